/*
 * Latency samples and their summary, shared by `lpsearch bench` and the
 * FTS5 side of the comparison (bench/bench_fts5.c) so both engines are
 * measured and summarised the same way.
 */
#ifndef LPS_LATENCY_STATS_H
#define LPS_LATENCY_STATS_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double latency_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int latency_compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0..100) of n sorted samples. */
static inline double latency_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

/* Kinds of benchmark queries, in the order reports list them. */
static const char *const latency_kinds[] = {
    "term_low", "term_mid", "term_high", "and2", "and3", "or", "phrase2", "phrase3",
    "near", "prefix", "not", "field", "other",
};
#define LATENCY_KIND_COUNT (sizeof latency_kinds / sizeof latency_kinds[0])

static inline size_t latency_kind_index(const char *kind)
{
    for (size_t i = 0; i + 1 < LATENCY_KIND_COUNT; i++) {
        size_t n = 0;
        while (kind[n] && kind[n] == latency_kinds[i][n])
            n++;
        if (!kind[n] && !latency_kinds[i][n])
            return i;
    }
    return LATENCY_KIND_COUNT - 1;
}

/*
 * Prints one block of results: the mode line, then per kind the runs,
 * p50/p95/p99 in ms and QPS (runs per second of the time spent on them,
 * times the threads running at once), as a table or as JSON Lines.
 * latency[i] is the time of run i, of query i % nq, whose kind is
 * kinds[i % nq]; sorted is scratch for nq * passes values.
 */
static inline void latency_report(const char *engine, const char *mode, unsigned threads, double wall,
                                  const double *latency, const size_t *kinds, size_t nq, size_t passes,
                                  double *sorted, int json)
{
    if (!json)
        printf("\n%s %s, %u thread%s: %.0f queries/s overall\n%-10s %6s %9s %9s %9s %10s\n", engine, mode,
               threads, threads > 1 ? "s" : "", (double)(nq * passes) / wall, "kind", "runs", "p50 ms", "p95 ms",
               "p99 ms", "qps");
    for (size_t kind = 0; kind < LATENCY_KIND_COUNT; kind++) {
        size_t n = 0;
        double sum = 0;
        for (size_t i = 0; i < nq * passes; i++) {
            if (kinds[i % nq] != kind)
                continue;
            sorted[n++] = latency[i];
            sum += latency[i];
        }
        if (n == 0)
            continue;
        qsort(sorted, n, sizeof *sorted, latency_compare);
        double qps = sum > 0 ? (double)n / sum * threads : 0;
        double p50 = latency_percentile(sorted, n, 50) * 1e3, p95 = latency_percentile(sorted, n, 95) * 1e3,
               p99 = latency_percentile(sorted, n, 99) * 1e3;
        if (json)
            printf("{\"engine\":\"%s\",\"mode\":\"%s\",\"threads\":%u,\"kind\":\"%s\",\"runs\":%zu,"
                   "\"p50_ms\":%.6f,\"p95_ms\":%.6f,\"p99_ms\":%.6f,\"qps\":%.1f}\n",
                   engine, mode, threads, latency_kinds[kind], n, p50, p95, p99, qps);
        else
            printf("%-10s %6zu %9.3f %9.3f %9.3f %10.0f\n", latency_kinds[kind], n, p50, p95, p99, qps);
    }
}

#endif
