#!/bin/sh
# The whole query-latency comparison, reproducible from a clean clone:
#
#   bench/run_benchmarks.sh [SENTENCES] [PASSES] [QUERIES_PER_KIND]
#
# 1. builds lpsearch with the benchmarks (build-bench/);
# 2. generates SENTENCES synthetic sentences (default 1000000, seed 1);
# 3. indexes them with lpsearch (timed; peak memory) and optimizes;
# 4. writes QUERIES_PER_KIND (default 100) queries per kind with
#    lps-gen-queries (seed 1);
# 5. loads the same sentences into SQLite FTS5 (timed) and, when
#    lps-bench-xapian was built (libxapian-dev installed), into a Xapian
#    database (timed, compacted), and runs the same queries on every engine,
#    one after the other, with the same protocol (warm-up pass, PASSES timed
#    passes, default 5; top-10, top-100 and count; 1 and 2 threads);
# 6. prints the table of medians and ratios to lpsearch and writes CSV and
#    SVG plots under bench/results/ (gnuplot, if installed).
# Without Xapian everything else runs as before, with no Xapian columns.
# Scratch data goes to ${TMPDIR:-/tmp}/lpsearch-bench-<SENTENCES>.
#
# For the larger runs, where FTS5 and Xapian take hours at every depth and
# thread count, the environment narrows the protocol:
#   LPS_BENCH_THREADS=1     thread counts (default 1,2)
#   LPS_BENCH_K=10          one top-k depth plus count (default 10 and 100)
#   LPS_BENCH_XAPIAN=0      leave Xapian out even if it was built
# e.g. the 10M comparison of docs/BENCHMARKS.md:
#   LPS_BENCH_THREADS=1 LPS_BENCH_K=10 LPS_BENCH_XAPIAN=0 bench/run_benchmarks.sh 10000000 1 20
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
sentences=${1:-1000000}
passes=${2:-5}
per_kind=${3:-100}
build=$here/build-bench
work=${TMPDIR:-/tmp}/lpsearch-bench-$sentences
results=$here/bench/results
mkdir -p "$work" "$results"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLPS_BUILD_BENCH=ON -DLPS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
lpsearch=$build/lpsearch
xapian=$build/bench/lps-bench-xapian
[ -x "$xapian" ] && [ "${LPS_BENCH_XAPIAN:-1}" != 0 ] || xapian=""
# The same protocol options for every engine.
protocol="--passes $passes --threads ${LPS_BENCH_THREADS:-1,2}${LPS_BENCH_K:+ -k $LPS_BENCH_K}"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
     "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
if [ ! -d "$work/corpus" ]; then
    "$build/bench/lps-gen-corpus" --out "$work/corpus" --sentences "$sentences" --seed 1
fi
bytes=$(find "$work/corpus" -name '*.txt' -type f -exec cat {} + | wc -c)

rm -rf "$work/index"
/usr/bin/time -f '%e %M' -o "$work/index.time" "$lpsearch" index -q -i "$work/index" "$work/corpus"
"$lpsearch" optimize -i "$work/index" 2>/dev/null
read -r secs peak < "$work/index.time"
index_bytes=$(du -sb "$work/index" | cut -f1)
echo "lpsearch build: $sentences sentences ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')) in $secs s" \
     "($(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f MB/s", b / 1e6 / s }')), peak RSS $((peak / 1024)) MB;" \
     "index $index_bytes bytes"

"$build/bench/lps-gen-queries" -i "$work/index" --per-kind "$per_kind" > "$work/queries.tsv"
"$build/bench/lps-bench-fts5" --index "$work/index" --db "$work/fts5.db" --build | tee "$work/fts5.build"
rm -f "$work/xapian.jsonl"
if [ -n "$xapian" ]; then
    "$xapian" --index "$work/index" --db "$work/xapian.db" --build | tee "$work/xapian.build"
fi

# shellcheck disable=SC2086 # $protocol is a list of options
"$lpsearch" bench -i "$work/index" $protocol --json "$work/queries.tsv" > "$work/lpsearch.jsonl"
# shellcheck disable=SC2086
"$build/bench/lps-bench-fts5" --db "$work/fts5.db" $protocol --json "$work/queries.tsv" > "$work/fts5.jsonl"
if [ -n "$xapian" ]; then
    # shellcheck disable=SC2086
    "$xapian" --db "$work/xapian.db" $protocol --json "$work/queries.tsv" > "$work/xapian.jsonl"
fi
has_xapian=0
xapian_jsonl=""
if [ -s "$work/xapian.jsonl" ]; then
    has_xapian=1
    xapian_jsonl=$work/xapian.jsonl
fi

# One CSV row per engine, mode, threads and kind.
csv=$results/latency-$sentences.csv
echo "engine,mode,threads,kind,runs,p50_ms,p95_ms,p99_ms,qps" > "$csv"
cat "$work/lpsearch.jsonl" "$work/fts5.jsonl" ${xapian_jsonl:+"$xapian_jsonl"} | sed 's/[{}"]//g' | awk -F, '{
    for (i = 1; i <= NF; i++) { split($i, kv, ":"); v[kv[1]] = kv[2] }
    print v["engine"] "," v["mode"] "," v["threads"] "," v["kind"] "," v["runs"] "," v["p50_ms"] "," v["p95_ms"] "," v["p99_ms"] "," v["qps"]
}' >> "$csv"

# Side by side: median latency and each peer's ratio to lpsearch (plain awk:
# mawk has no asorti).  The Xapian columns only when Xapian ran.
{
    if [ $has_xapian = 1 ]; then
        printf "%-7s %-3s %-10s %12s %12s %9s %12s %9s %12s\n" mode thr kind "lpsearch p50" "fts5 p50" ratio \
            "xapian p50" ratio "lpsearch p99"
    else
        printf "%-7s %-3s %-10s %12s %12s %9s %12s\n" mode thr kind "lpsearch p50" "fts5 p50" ratio "lpsearch p99"
    fi
    awk -F, -v x=$has_xapian 'NR > 1 { key = $2 "," $3 "," $4; keys[key] = 1
        if ($1 == "lpsearch") { l[key] = $6; l99[key] = $8 } else if ($1 == "fts5") f[key] = $6; else if ($1 == "xapian") xa[key] = $6 }
    END {
        for (k in keys) {
            split(k, p, ",")
            printf "%-7s %-3s %-10s %10.3f ms %10.3f ms %8.1fx", p[1], p[2], p[3], l[k], f[k], (l[k] > 0 ? f[k] / l[k] : 0)
            if (x) printf " %10.3f ms %8.1fx", xa[k], (l[k] > 0 ? xa[k] / l[k] : 0)
            printf " %10.3f ms\n", l99[k]
        }
    }' "$csv" | sort
} | tee "$results/latency-$sentences.txt"

if command -v gnuplot >/dev/null 2>&1; then
    xplot=""
    if [ $has_xapian = 1 ]; then xplot=", '' using 4 title 'Xapian'"; fi
    for mode in top10 count; do
        awk -F, -v m=$mode 'NR > 1 && $2 == m && $3 == 1 { if ($1 == "lpsearch") l[$4] = $6; else if ($1 == "fts5") f[$4] = $6; else x[$4] = $6; k[$4] = 1 }
            END { for (q in k) print q, l[q], f[q], ((q in x) ? x[q] : 0) }' "$csv" | sort > "$work/plot-$mode.dat"
        gnuplot -e "set terminal svg size 900,420 noenhanced; set output '$results/latency-$sentences-$mode.svg';
            set title 'Median latency per query kind, $mode, 1 thread, $sentences sentences';
            set style data histogram; set style histogram clustered; set style fill solid 0.8;
            set logscale y; set ylabel 'ms (log scale)'; set xtics rotate by -30;
            plot '$work/plot-$mode.dat' using 2:xtic(1) title 'lpsearch', '' using 3 title 'SQLite FTS5'$xplot"
    done
    echo "plots: $results/latency-$sentences-top10.svg, $results/latency-$sentences-count.svg"
fi
