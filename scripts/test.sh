#!/usr/bin/env bash
# The whole test suite: installs dependencies, then builds and runs every
# test twice — a normal build with -Werror, and a Debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer (asserts enabled).
# ctest also checks the packaging: lpsearch_abi (exported symbols), and in the
# normal build only lpsearch_install (install, then build examples/embed.c
# against the installed library; see cmake/LpsearchPackaging.cmake for why).
# Then the reliability stages (docs/RELIABILITY.md): the CLI smoke test under
# valgrind, the threaded search test under ThreadSanitizer, and each libFuzzer
# target for LPS_FUZZ_SECONDS seconds (default 60; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
stage_start=$SECONDS
stage_done() { echo "== $1 took $((SECONDS - stage_start)) s"; stage_start=$SECONDS; }

echo "== normal build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPS_WERROR=ON -DLPS_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -V -j"$jobs"
# The benchmark programs are built above with -Werror too (Xapian's when
# libxapian-dev is present); the intersection benchmark checks every variant,
# the engine's conjunction included, against the scalar merge before timing,
# so a short run of it is a test of the compressed-postings paths.
build/bench/lps-bench-intersect --only intersect --long 20000 --reps 1 --rounds 1 >/dev/null
echo "ok: lps-bench-intersect agrees with the scalar merge on every variant"
stage_done "normal build"

echo "== sanitizer build (Debug, ASan + UBSan, -Werror)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLPS_WERROR=ON -DLPS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -V -j"$jobs"
stage_done "sanitizer build"

echo "== valgrind: the CLI smoke test on the normal build (no error, no leak)"
smoke=$(mktemp -d "${TMPDIR:-/tmp}/lpsearch-smoke.XXXXXX")
trap 'rm -rf "$smoke"' EXIT
vg() {
  if ! valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all \
      build/lpsearch "$@" >"$smoke/out" 2>&1; then
    cat "$smoke/out"
    echo "valgrind: lpsearch $* failed or reported errors" >&2
    exit 1
  fi
  echo "ok: lpsearch $*"
}
vg index -i "$smoke/idx" data/transcripts
vg index -i "$smoke/idx" data/transcripts
vg -i "$smoke/idx" "proactive chat"
vg --json -i "$smoke/idx" '"live chat" OR role:analyst' -C 1 --explain
vg check -i "$smoke/idx"
stage_done "valgrind"

echo "== ThreadSanitizer build: test_search_threads"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPS_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target test_search_threads
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -V -R '^test_search_threads$'
stage_done "ThreadSanitizer"

fuzz_seconds=${LPS_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzzing: libFuzzer + ASan + UBSan (clang), ${fuzz_seconds} s per target"
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DLPS_FUZZ=ON -DLPS_BUILD_TESTS=OFF >/dev/null
  targets=(query_parser transcript index)
  cmake --build build-fuzz -j"$jobs" --target "${targets[@]/#/fuzz_}"
  mkdir -p fuzz/crashes
  # Targets run $jobs at a time; each grows its own corpus in the build tree
  # from the checked-in seeds, and writes any crash input to fuzz/crashes/.
  fuzz_one() {
    local t=$1 dir=build-fuzz/fuzz-run/$1
    rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/tmp"
    TMPDIR="$PWD/$dir/tmp" build-fuzz/fuzz/fuzz_"$t" -max_total_time="$fuzz_seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=fuzz/crashes/"$t"- \
      "$dir/corpus" fuzz/corpus/"$t" >"$dir/log" 2>&1
  }
  fuzz_failed=()
  for ((i = 0; i < ${#targets[@]}; i += jobs)); do
    pids=()
    for t in "${targets[@]:i:jobs}"; do
      fuzz_one "$t" &
      pids+=("$!:$t")
    done
    for p in "${pids[@]}"; do
      t=${p#*:}
      log=build-fuzz/fuzz-run/$t/log
      if wait "${p%%:*}"; then
        execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
        rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
        seeds=$(find fuzz/corpus/"$t" -type f | wc -l)
        grown=$(find build-fuzz/fuzz-run/"$t"/corpus -type f | wc -l)
        echo "fuzz_$t: $execs executions in $fuzz_seconds s ($rate/s); $seeds seeds, $grown new corpus inputs"
      else
        tail -n 80 "$log"
        fuzz_failed+=("$t")
      fi
    done
  done
  if [ ${#fuzz_failed[@]} -gt 0 ]; then
    for t in "${fuzz_failed[@]}"; do
      echo "fuzz_$t FAILED: the input that crashed it is kept in fuzz/crashes/:"
      for f in fuzz/crashes/"$t"-*; do
        [ -f "$f" ] || continue
        echo "  $f (base64: $(base64 -w0 "$f" | head -c 2000))"
      done
    done
    echo "Fix the library, then keep each input as a regression seed (the replay tests run it in"
    echo "every build):  mv fuzz/crashes/<target>-<kind>-<sha1> fuzz/corpus/<target>/regress-<what-it-found>"
    echo "and replay it with: build/fuzz/fuzz_<target>_replay fuzz/corpus/<target>"
    exit 1
  fi
  stage_done "fuzzing"
fi
