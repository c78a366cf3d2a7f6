/*
 * Latency samples and their summary, shared by `lpsearch bench` and the
 * FTS5 side of the comparison (bench/bench_fts5.c) so both engines are
 * measured and summarised the same way.
 */
#ifndef LPS_LATENCY_STATS_H
#define LPS_LATENCY_STATS_H

#include <stddef.h>
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

#endif
