# liblpsearch for other programs: a static and a shared library made of the
# objects of lps_common, lps_indexer and lps_query, installed with the public
# header, a pkg-config file and a CMake package (find_package(lpsearch)).
#
# Included at the end of the root CMakeLists.txt, after those three targets
# exist.  Their objects are compiled once (position-independent) and reused
# here through $<TARGET_OBJECTS:...>, so the libraries always hold exactly
# what the command-line program links, whatever sources the targets list.
#
# Targets:
#   lpsearch_static  liblpsearch.a   (alias lpsearch::lpsearch_static)
#   lpsearch_shared  liblpsearch.so  (alias lpsearch::lpsearch); exports the
#                    functions of include/lpsearch.h only (cmake/lpsearch.map)
# Installed package targets: lpsearch::lpsearch (shared) and
# lpsearch::lpsearch_static.

include(CMakePackageConfigHelpers)

set(LPS_LIBRARY_PARTS lps_common lps_indexer lps_query)
set(LPS_LIBRARY_OBJECTS)
foreach(part IN LISTS LPS_LIBRARY_PARTS)
  list(APPEND LPS_LIBRARY_OBJECTS $<TARGET_OBJECTS:${part}>)
endforeach()

# Before 1.0 a minor release may change the ABI, so the soname carries the
# minor version too (liblpsearch.so.0.1); from 1.0 on, the major alone.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(LPS_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(LPS_PACKAGE_COMPATIBILITY SameMinorVersion)
else()
  set(LPS_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(LPS_PACKAGE_COMPATIBILITY SameMajorVersion)
endif()

# What linking liblpsearch.a needs besides it.  Inside the build tree these
# are the targets found at the top of the root CMakeLists.txt; for installed
# consumers, plain library names resolved by the linker's default search.
set(LPS_STATIC_DEPENDENCIES
  $<BUILD_INTERFACE:PkgConfig::ZSTD> $<BUILD_INTERFACE:PkgConfig::UTF8PROC>
  $<BUILD_INTERFACE:${XXHASH_LIBRARY}> $<BUILD_INTERFACE:${STEMMER_LIBRARY}>
  $<INSTALL_INTERFACE:zstd> $<INSTALL_INTERFACE:utf8proc>
  $<INSTALL_INTERFACE:xxhash> $<INSTALL_INTERFACE:stemmer>
  Threads::Threads m)

add_library(lpsearch_static STATIC ${LPS_LIBRARY_OBJECTS})
add_library(lpsearch_shared SHARED ${LPS_LIBRARY_OBJECTS})
foreach(lib lpsearch_static lpsearch_shared)
  add_dependencies(${lib} ${LPS_LIBRARY_PARTS})
  set_target_properties(${lib} PROPERTIES OUTPUT_NAME lpsearch LINKER_LANGUAGE C)
  target_include_directories(${lib} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

target_link_libraries(lpsearch_static INTERFACE ${LPS_STATIC_DEPENDENCIES})
set_target_properties(lpsearch_static PROPERTIES EXPORT_NAME lpsearch_static)

set(LPS_VERSION_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/lpsearch.map)
target_link_libraries(lpsearch_shared PRIVATE
  PkgConfig::ZSTD PkgConfig::UTF8PROC ${XXHASH_LIBRARY} ${STEMMER_LIBRARY} Threads::Threads m)
target_link_options(lpsearch_shared PRIVATE "LINKER:--version-script=${LPS_VERSION_SCRIPT}")
if(NOT LPS_SANITIZE)
  # Every symbol must resolve when the library is linked, not when a program
  # loads it.  (Sanitized builds leave the runtime's symbols to the program.)
  target_link_options(lpsearch_shared PRIVATE "LINKER:--no-undefined")
endif()
set_target_properties(lpsearch_shared PROPERTIES
  EXPORT_NAME lpsearch
  VERSION ${PROJECT_VERSION}
  SOVERSION ${LPS_SOVERSION}
  LINK_DEPENDS ${LPS_VERSION_SCRIPT})

# The names consumers of the installed package use, for code in this tree.
add_library(lpsearch::lpsearch ALIAS lpsearch_shared)
add_library(lpsearch::lpsearch_static ALIAS lpsearch_static)

# ---- install -----------------------------------------------------------------

set(LPS_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lpsearch)

install(TARGETS lpsearch_static lpsearch_shared EXPORT lpsearchTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT lpsearchTargets NAMESPACE lpsearch:: DESTINATION ${LPS_CMAKE_PACKAGE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lpsearchConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lpsearchConfig.cmake
  INSTALL_DESTINATION ${LPS_CMAKE_PACKAGE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lpsearchConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${LPS_PACKAGE_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/lpsearchConfig.cmake ${PROJECT_BINARY_DIR}/lpsearchConfigVersion.cmake
  DESTINATION ${LPS_CMAKE_PACKAGE_DIR})

# lpsearch.pc locates the prefix from its own directory (${pcfiledir}), so it
# stays right for 'cmake --install BUILD --prefix DIR' and moved trees.
function(lps_pc_dir var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  else()
    set(${var} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
set(LPS_PC_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${LPS_PC_INSTALL_DIR}")
  message(FATAL_ERROR "lpsearch.pc: CMAKE_INSTALL_LIBDIR must be relative to the prefix, not ${CMAKE_INSTALL_LIBDIR}")
endif()
file(RELATIVE_PATH LPS_PC_RELATIVE_PREFIX /prefix/${LPS_PC_INSTALL_DIR} /prefix)
string(REGEX REPLACE "/$" "" LPS_PC_RELATIVE_PREFIX "${LPS_PC_RELATIVE_PREFIX}")
lps_pc_dir(LPS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
lps_pc_dir(LPS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lpsearch.pc.in ${PROJECT_BINARY_DIR}/lpsearch.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lpsearch.pc DESTINATION ${LPS_PC_INSTALL_DIR})

# ---- tests -------------------------------------------------------------------

if(LPS_BUILD_TESTS)
  # The exported symbols are exactly the functions of the public header, and
  # the version script lists exactly those.
  add_test(NAME lpsearch_abi COMMAND ${CMAKE_COMMAND}
    -DNM=${CMAKE_NM}
    -DLIBRARY=$<TARGET_FILE:lpsearch_shared>
    -DHEADER=${PROJECT_SOURCE_DIR}/include/lpsearch.h
    -DVERSION_SCRIPT=${LPS_VERSION_SCRIPT}
    -P ${PROJECT_SOURCE_DIR}/cmake/check_abi.cmake)

  # Install into a scratch prefix and build examples/embed.c against the
  # installed files with pkg-config (shared and fully static) and with
  # find_package(lpsearch).  Not under the sanitizers: the installed objects
  # are instrumented, and programs built by pkg-config flags alone do not
  # link the sanitizer runtimes.
  if(NOT LPS_SANITIZE)
    add_test(NAME lpsearch_install
      COMMAND sh ${PROJECT_SOURCE_DIR}/tests/install_check.sh
        ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/install-check
        ${PROJECT_SOURCE_DIR}/examples/embed.c ${PROJECT_SOURCE_DIR}/data/transcripts)
    set_tests_properties(lpsearch_install PROPERTIES
      ENVIRONMENT "CC=${CMAKE_C_COMPILER};CMAKE=${CMAKE_COMMAND};PKG_CONFIG=${PKG_CONFIG_EXECUTABLE}"
      TIMEOUT 300)
  endif()
endif()
