#!/usr/bin/env bash
# The whole test suite: installs dependencies, then builds and runs every
# test twice — a normal build with -Werror, and a Debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer (asserts enabled).
# ctest also checks the packaging: lpsearch_abi (exported symbols), and in the
# normal build only lpsearch_install (install, then build examples/embed.c
# against the installed library; see cmake/LpsearchPackaging.cmake for why).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== normal build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPS_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -V -j"$jobs"

echo "== sanitizer build (Debug, ASan + UBSan, -Werror)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLPS_WERROR=ON -DLPS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -V -j"$jobs"
