#!/bin/sh
# Indexing benchmark: throughput with one and two threads, peak memory, and
# index size per section, on the bundled calls and on a generated corpus.
#
#   bench/bench_index.sh [BUILD_DIR] [SENTENCES] [RUNS]
#
# BUILD_DIR defaults to build/, SENTENCES to 1000000, RUNS (per setting) to 3;
# the median run is reported.  Needs GNU time (/usr/bin/time).  Scratch
# files go to ${TMPDIR:-/tmp}/lpsearch-bench and are removed at the end.
set -eu

build=${1:-build}
sentences=${2:-1000000}
runs=${3:-3}
lpsearch=$build/lpsearch
gen=$build/bench/lps-gen-corpus
scratch=${TMPDIR:-/tmp}/lpsearch-bench
here=$(cd "$(dirname "$0")/.." && pwd)

for tool in "$lpsearch" "$gen" /usr/bin/time; do
    if [ ! -x "$tool" ]; then
        echo "bench_index.sh: $tool is missing: build first (cmake --build $build), and install GNU time (scripts/install-deps.sh)" >&2
        exit 2
    fi
done
rm -rf "$scratch"
mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT

corpus_bytes() { find "$1" -name '*.txt' -type f -exec cat {} + | wc -c; }

# index CORPUS THREADS RAM_MB -> prints "seconds peak_kb"
index_once() {
    rm -rf "$scratch/idx"
    /usr/bin/time -f '%e %M' -o "$scratch/time" \
        "$lpsearch" index -q -i "$scratch/idx" --threads "$2" --ram-mb "$3" "$1"
    cat "$scratch/time"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

report() { # name corpus
    bytes=$(corpus_bytes "$2")
    for threads in 1 2; do
        : > "$scratch/secs"
        : > "$scratch/peak"
        i=0
        while [ $i -lt "$runs" ]; do
            set -- $(index_once "$2" $threads 256) "$1" "$2"
            echo "$1" >> "$scratch/secs"
            echo "$2" >> "$scratch/peak"
            shift 2
            i=$((i + 1))
        done
        secs=$(median < "$scratch/secs")
        peak=$(median < "$scratch/peak")
        awk -v n="$1" -v t=$threads -v b="$bytes" -v s="$secs" -v p="$peak" 'BEGIN {
            printf "%-10s threads=%d  %.1f MB in %.2f s = %.1f MB/s  peak RSS %.0f MB (budget 256 MB)\n",
                   n, t, b / 1e6, s, b / 1e6 / s, p / 1024 }'
    done
    "$lpsearch" stats -i "$scratch/idx"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
report bundled "$here/data/transcripts"
"$gen" --out "$scratch/corpus" --sentences "$sentences" --seed 1
report generated "$scratch/corpus"

# Peak memory against the budget: a small budget forces several flushes and merges.
for ram in 32 64; do
    set -- $(index_once "$scratch/corpus" 2 $ram)
    awk -v s="$1" -v p="$2" -v r=$ram 'BEGIN { printf "budget %d MB: %.2f s, peak RSS %.0f MB (%.2fx the budget)\n", r, s, p / 1024, p / 1024 / r }'
done
