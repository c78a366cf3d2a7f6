#!/bin/sh
# install_check.sh BUILD_DIR WORK_DIR EMBED_C TRANSCRIPTS_DIR
#
# Installs the build into WORK_DIR/prefix with 'cmake --install', then builds
# examples/embed.c against the installed files only, four ways, and runs
# each build on the bundled transcripts:
#   1. pkg-config --cflags --libs lpsearch            (liblpsearch.so)
#   2. pkg-config --cflags --libs --static lpsearch   (-static: every library
#      archived, so Libs.private and Requires.private must be complete)
#   3. find_package(lpsearch CONFIG) + lpsearch::lpsearch
#   4. find_package(lpsearch CONFIG) + lpsearch::lpsearch_static
# Environment: CC, CMAKE and PKG_CONFIG (default cc, cmake, pkg-config).
# Any failure prints "install_check: FAILED: <step>: <why>" and exits 1.
set -eu

if [ $# -ne 4 ]; then
    echo "usage: install_check.sh BUILD_DIR WORK_DIR EMBED_C TRANSCRIPTS_DIR" >&2
    exit 2
fi
build=$1
work=$2
embed_c=$3
transcripts=$4
CC=${CC:-cc}
CMAKE=${CMAKE:-cmake}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
prefix=$work/prefix
step="setup"

fail() {
    echo "install_check: FAILED: $step: $*" >&2
    exit 1
}

# Runs "$@" with its output in $work/<step>.log, shown only on failure.
run() {
    log=$work/$(echo "$step" | tr -c 'A-Za-z0-9\n' '-').log
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        fail "command failed: $*"
    fi
}

# check_embed BINARY INDEX_DIR: the program indexes the transcripts and
# prints the one sentence of the Q1 2014 call with the phrase.
check_embed() {
    out=$work/$(basename "$1").out
    rm -rf "$2"
    status=0
    "$1" "$2" "$transcripts" -- '"proactive chat"' >"$out" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$out" >&2
        fail "$1 exited with status $status"
    fi
    grep -q '^1\. .*LivePerson Q1 2014 (liveperson-2014-q1\.txt)' "$out" ||
        { cat "$out" >&2; fail "$1 does not rank the Q1 2014 call first"; }
    grep -q 'like we did with \[proactive chat\] back in 2006' "$out" ||
        { cat "$out" >&2; fail "$1 does not print the highlighted sentence"; }
    grep -q '^total: 1 matching sentence' "$out" ||
        { cat "$out" >&2; fail "$1 does not print the total"; }
}

# needs BINARY: the shared libraries BINARY names in DT_NEEDED.
needs() {
    LC_ALL=C readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

rm -rf "$work"
mkdir -p "$work"

step="install"
run "$CMAKE" --install "$build" --prefix "$prefix"
pc=$(find "$prefix" -name lpsearch.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no lpsearch.pc installed under $prefix"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
for f in "$prefix/bin/lpsearch" "$prefix/include/lpsearch.h" "$libdir/liblpsearch.a" \
         "$libdir/liblpsearch.so" "$libdir/cmake/lpsearch/lpsearchConfig.cmake" \
         "$libdir/cmake/lpsearch/lpsearchConfigVersion.cmake" "$libdir/cmake/lpsearch/lpsearchTargets.cmake"; do
    [ -e "$f" ] || fail "$f was not installed"
done
# The installed metadata must not point back into the build or source tree.
if grep -l -F "$build" "$pc" "$libdir"/cmake/lpsearch/*.cmake >"$work/leaks" 2>/dev/null; then
    fail "installed files name the build directory $build: $(cat "$work/leaks")"
fi
version=$("$prefix/bin/lpsearch" --version) || fail "the installed lpsearch does not run"

step="pkg-config"
PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
modversion=$($PKG_CONFIG --modversion lpsearch) || fail "pkg-config does not find lpsearch in $pcdir"
[ "lpsearch $modversion" = "$version" ] ||
    fail "lpsearch.pc says version $modversion, the installed program says '$version'"
cflags=$($PKG_CONFIG --cflags lpsearch) || fail "pkg-config --cflags lpsearch"
libs=$($PKG_CONFIG --libs lpsearch) || fail "pkg-config --libs lpsearch"
static_libs=$($PKG_CONFIG --libs --static lpsearch) || fail "pkg-config --libs --static lpsearch"

step="pkg-config shared"
# shellcheck disable=SC2086 # the flags are meant to split into words
run "$CC" -std=c11 -Wall -Wextra -Werror -o "$work/embed-pc-shared" "$embed_c" $cflags $libs
needs "$work/embed-pc-shared" | grep -q '^liblpsearch\.so\.' ||
    fail "embed-pc-shared does not link liblpsearch.so"
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
check_embed "$work/embed-pc-shared" "$work/index-pc-shared"
unset LD_LIBRARY_PATH

step="pkg-config static"
# shellcheck disable=SC2086
run "$CC" -std=c11 -Wall -Wextra -Werror -static -o "$work/embed-pc-static" "$embed_c" $cflags $static_libs
[ -z "$(needs "$work/embed-pc-static")" ] || fail "embed-pc-static is not statically linked"
check_embed "$work/embed-pc-static" "$work/index-pc-static"

step="find_package"
consumer=$work/consumer
mkdir -p "$consumer"
cp "$embed_c" "$consumer/embed.c"
cat >"$consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(lpsearch_consumer LANGUAGES C)
find_package(lpsearch 0.1 CONFIG REQUIRED)
add_executable(embed-cmake-shared embed.c)
target_link_libraries(embed-cmake-shared PRIVATE lpsearch::lpsearch)
add_executable(embed-cmake-static embed.c)
target_link_libraries(embed-cmake-static PRIVATE lpsearch::lpsearch_static)
file(WRITE ${CMAKE_BINARY_DIR}/lpsearch_dir.txt "${lpsearch_DIR}")
EOF
run "$CMAKE" -S "$consumer" -B "$consumer/build" -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Release
found=$(cat "$consumer/build/lpsearch_dir.txt")
case "$found" in
    "$prefix"/*) ;;
    *) fail "find_package(lpsearch) used $found, not the package installed in $prefix" ;;
esac
run "$CMAKE" --build "$consumer/build"
shared=$consumer/build/embed-cmake-shared
static=$consumer/build/embed-cmake-static
needs "$shared" | grep -q '^liblpsearch\.so\.' || fail "lpsearch::lpsearch did not link liblpsearch.so"
if needs "$static" | grep -q '^liblpsearch'; then
    fail "lpsearch::lpsearch_static linked the shared library"
fi
# No LD_LIBRARY_PATH: CMake's build-tree RPATH must find the installed library.
check_embed "$shared" "$work/index-cmake-shared"
check_embed "$static" "$work/index-cmake-static"

echo "install_check: ok: installed to $prefix; embed.c built and run with pkg-config (shared, static)" \
     "and find_package (lpsearch::lpsearch, lpsearch::lpsearch_static)"
