/*
 * lps-bench-intersect: microbenchmarks of the two hot loops under a
 * conjunctive query, posting-list intersection and block decoding.
 *
 *   lps-bench-intersect [--csv FILE] [--reps N] [--rounds N] [--long N]
 *                       [--ratios R,R,...] [--only intersect|decode]
 *                       [--seed S] [--dir DIR]
 *
 * Intersection: for each density (dense: the long list holds 1 document in
 * 2 of the segment, sparse: 1 in 16) and each length ratio (default 1, 10,
 * 100, 1000, 10000), a long list of N doc ids (default 1,000,000) and an
 * independent short one of N/ratio, intersected by every variant of
 * common/intersect.h on decoded arrays, and by two loops over the same
 * lists stored as real compressed postings in a segment written with
 * indexer/segment_writer.h: "cursor", the block-skipping leapfrog of
 * posting_cursor_advance/next, and "decode+simd", every block of both lists
 * decoded into arrays and then intersect_u32.  Reported: ns per input
 * posting ((na + nb), the figure the literature quotes), ns per result,
 * and cycles per input posting.
 *
 * Decode: bitpack_decode_block, scalar and AVX2, at every width 1..32 on
 * 256 blocks of random values (4 KB to 128 KB: in L1 or L2), in integers per
 * second and cycles per integer.
 *
 * Each figure is the median of --rounds (default 9) times --reps (default
 * 11) samples.  A sample repeats the operation until it lasts about 200 us
 * of the thread's CPU time (so the time the scheduler gives to other
 * processes does not count); an intersection sample comes after as many
 * untimed runs, so every variant is measured in its own steady cache state.  Within a round the variants of one case take turns
 * (the array variants first, then the compressed ones), and the rounds go
 * over all cases in turn, so a burst of load from other processes on a
 * shared machine lands in a few samples of many figures rather than in all
 * samples of one.  The spread column is (90th percentile - minimum) /
 * median.  Cycles come from two clocks: the TSC (constant rate, "ref") and
 * an estimate of the core clock measured with a chain of dependent
 * additions at start-up ("core").
 */
#include "bitpack.h"
#include "conjunction.h"
#include "intersect.h"
#include "segment.h"
#include "segment_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define SAMPLE_NS 200000.0
#define DECODE_BLOCKS 256

/* ---- Clocks ---------------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/*
 * Samples are timed in the thread's CPU time: on a shared machine a sample
 * that the scheduler interrupts would otherwise count the time given to other
 * processes.  A reading costs about 1 us here, so samples last 200 us.
 */
static double cpu_ns(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
        return now_ns();
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double tsc_ghz;  /* TSC ticks per ns, 0 when there is no TSC */
static double core_ghz; /* estimated core cycles per ns, 0 when unknown */

#if defined(__x86_64__)
/* Four dependent 1-cycle additions per iteration: the loop runs at the core
 * clock whatever the TSC rate. */
static double core_clock_once(void)
{
    uint64_t iterations = 1000000, n = iterations, acc = 0;
    double t0 = now_ns();
    __asm__ volatile("1:\n\t"
                     "add $1, %1\n\t"
                     "add $1, %1\n\t"
                     "add $1, %1\n\t"
                     "add $1, %1\n\t"
                     "dec %0\n\t"
                     "jnz 1b"
                     : "+r"(n), "+r"(acc)
                     :
                     : "cc");
    double t = now_ns() - t0;
    return 4.0 * (double)iterations / t;
}
#endif

static void calibrate_clocks(void)
{
#if defined(__x86_64__)
    /* Short runs, many of them, the fastest kept: a run the scheduler
     * interrupts only looks slower. */
    double best = 0;
    for (int i = 0; i < 200; i++) {
        double g = core_clock_once();
        if (g > best)
            best = g;
    }
    core_ghz = best;
    double t0 = now_ns();
    uint64_t c0 = __rdtsc();
    while (now_ns() - t0 < 50e6)
        ;
    tsc_ghz = (double)(__rdtsc() - c0) / (now_ns() - t0);
#endif
}

/* ---- Samples --------------------------------------------------------------- */

typedef struct stats {
    double median, min, p90, spread;
} stats;

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static stats summarize(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_double);
    stats s;
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.min = v[0];
    s.p90 = v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
    s.spread = s.median > 0 ? (s.p90 - s.min) / s.median : 0;
    return s;
}

/* ---- Random lists ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* n increasing doc ids from 0 with gaps uniform in [1, 2*mean - 1]. */
static void random_list(uint32_t *out, size_t n, double mean_gap)
{
    uint64_t span = (uint64_t)(2 * mean_gap - 1);
    if (span < 1)
        span = 1;
    uint64_t v = next_u64() % span;
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint32_t)v;
        v += 1 + next_u64() % span;
    }
}

/* ---- Compressed postings ----------------------------------------------------- */

/*
 * A segment of doc_count documents holding the lists as terms t00, t01, ...
 * (in that order, so the names sort as the writer requires).  Every
 * document has length 1; every posting has frequency 1 at position 0.
 */
static int write_segment(const char *dir, uint32_t doc_count, uint32_t *const *lists,
                         const size_t *lengths, size_t list_count, segment **out)
{
    lps_error err;
    memset(&err, 0, sizeof err);
    segment_writer *w;
    int rc = segment_writer_open(dir, 1, 0, &w, &err);
    if (rc != LPS_OK)
        return rc;
    call_record call = {
        .first_doc = 0, .doc_count = doc_count, .first_turn = 0, .turn_count = 1,
        .first_speaker = 0, .speaker_count = 1, .year = 2024, .quarter = 1,
        .path = "bench", .file = "bench", .title = "bench", .company = "bench",
        .ticker = "BNCH", .date = "2024-01-01", .layout = "bench",
    };
    speaker_record speaker = {"Speaker", "Speaker", NULL, NULL, 0};
    turn_record turn = {.call = 0, .speaker = 0, .first_doc = 0, .doc_count = doc_count};
    rc = segment_writer_add_call(w, &call);
    if (rc == LPS_OK)
        rc = segment_writer_add_speaker(w, &speaker);
    if (rc == LPS_OK)
        rc = segment_writer_add_turn(w, &turn);
    for (uint32_t d = 0; d < doc_count && rc == LPS_OK; d++)
        rc = segment_writer_add_doc(w, 1, 1, "", 0);
    static const uint32_t position0[1] = {0};
    for (size_t t = 0; t < list_count && rc == LPS_OK; t++) {
        char name[16];
        int len = snprintf(name, sizeof name, "t%02zu", t);
        rc = segment_writer_begin_term(w, name, (size_t)len);
        for (size_t i = 0; i < lengths[t] && rc == LPS_OK; i++)
            rc = segment_writer_add_posting(w, lists[t][i], position0, 1);
        if (rc == LPS_OK)
            rc = segment_writer_end_term(w);
    }
    if (rc == LPS_OK)
        rc = segment_writer_finish(w, NULL, &err);
    segment_writer_free(w);
    if (rc != LPS_OK)
        return rc;
    char path[4096], file[64];
    segment_file_name(1, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    rc = segment_open(path, UINT64_MAX, out, &err);
    if (rc == LPS_OK)
        unlink(path); /* the mapping stays valid */
    return rc;
}

static int lookup_term(const segment *seg, size_t t, term_info *info)
{
    char name[16];
    int len = snprintf(name, sizeof name, "t%02zu", t);
    return segment_term_lookup(seg, name, (size_t)len, info) == 1 ? 0 : -1;
}

/* Leapfrog over two cursors: advance each to the other's document. */
static size_t cursor_intersect(const segment *seg, const term_info *a, const term_info *b,
                               uint32_t *out)
{
    posting_cursor ca, cb;
    size_t k = 0;
    int ra = posting_cursor_open(&ca, seg, a), rb = posting_cursor_open(&cb, seg, b);
    if (ra == 1 && rb == 1) {
        for (;;) {
            if (posting_cursor_advance(&cb, ca.doc) <= 0)
                break;
            int rc;
            if (cb.doc == ca.doc) {
                out[k++] = ca.doc;
                rc = posting_cursor_next(&ca);
            } else {
                rc = posting_cursor_advance(&ca, cb.doc);
            }
            if (rc <= 0)
                break;
        }
    }
    posting_cursor_close(&ca);
    posting_cursor_close(&cb);
    return k;
}

/* The query engine's loop (query/conjunction.h): a window of the short
 * list's block intersected with the long list's blocks, or probed into it
 * when the long list is CONJUNCTION_SIMD_RATIO times longer or more. */
static size_t conjunction_intersect(const segment *seg, const term_info *a, const term_info *b,
                                    uint32_t *out)
{
    posting_cursor ca, cb;
    size_t k = 0;
    int ra = posting_cursor_open(&ca, seg, a), rb = posting_cursor_open(&cb, seg, b);
    posting_cursor *cursors[2] = {&ca, &cb};
    conjunction conj;
    if (ra == 1 && rb == 1 && conjunction_init(&conj, cursors, 2) == LPS_OK) {
        for (uint32_t d = conjunction_seek(&conj, 0); d != UINT32_MAX; d = conjunction_seek(&conj, d + 1))
            out[k++] = d;
        conjunction_free(&conj);
    }
    posting_cursor_close(&ca);
    posting_cursor_close(&cb);
    return k;
}

/* Every block of a list into an array, by jumping the cursor block to block. */
static size_t cursor_decode_all(const segment *seg, const term_info *info, uint32_t *out)
{
    posting_cursor c;
    size_t n = 0;
    int rc = posting_cursor_open(&c, seg, info);
    while (rc == 1) {
        memcpy(out + n, c.docs + c.in_block, (c.block_len - c.in_block) * sizeof *out);
        n += c.block_len - c.in_block;
        uint32_t last = c.docs[c.block_len - 1];
        rc = last == UINT32_MAX ? 0 : posting_cursor_advance(&c, last + 1);
    }
    posting_cursor_close(&c);
    return n;
}

/* ---- Intersection benchmark ----------------------------------------------- */

/* The variants on decoded arrays, then those on compressed postings. */
enum { V_DISPATCH = INTERSECT_VARIANT_COUNT, V_CURSOR, V_DECODE_SIMD, V_CONJUNCTION, V_COUNT };

static const char *variant_label(int v)
{
    switch (v) {
    case V_CURSOR:
        return "cursor";
    case V_DECODE_SIMD:
        return "decode+simd";
    case V_CONJUNCTION:
        return "conjunction";
    case V_DISPATCH:
        return "intersect_u32";
    default:
        return intersect_variant_name((intersect_variant)v);
    }
}

typedef struct intersect_case {
    const uint32_t *a, *b; /* a the short list, b the long one */
    size_t na, nb;
    const segment *seg;
    term_info ta, tb;
    uint32_t *out, *scratch_a, *scratch_b;
} intersect_case;

static size_t run_variant(int v, const intersect_case *c)
{
    switch (v) {
    case V_CURSOR:
        return cursor_intersect(c->seg, &c->ta, &c->tb, c->out);
    case V_CONJUNCTION:
        return conjunction_intersect(c->seg, &c->ta, &c->tb, c->out);
    case V_DECODE_SIMD: {
        size_t na = cursor_decode_all(c->seg, &c->ta, c->scratch_a);
        size_t nb = cursor_decode_all(c->seg, &c->tb, c->scratch_b);
        return intersect_u32(c->scratch_a, na, c->scratch_b, nb, c->out);
    }
    case V_DISPATCH:
        return intersect_u32(c->a, c->na, c->b, c->nb, c->out);
    default:
        return intersect_variant_fn((intersect_variant)v)(c->a, c->na, c->b, c->nb, c->out);
    }
}

static FILE *csv;

static void csv_header(void)
{
    if (csv)
        fprintf(csv, "bench,variant,density,ratio,width,len_short,len_long,results,reps,"
                     "median_ns,min_ns,p90_ns,spread,ns_per_posting,ns_per_result,"
                     "ref_cycles_per_int,core_cycles_per_int,gints_per_s\n");
}

/* One density and ratio: its lists, its variants and their samples. */
typedef struct case_samples {
    size_t ratio, expected;
    intersect_case c;
    int avail[V_COUNT];
    long inner[V_COUNT];  /* runs per sample */
    double *samples;      /* [V_COUNT][rounds * reps] */
} case_samples;

/* Checks every variant against the merge and sizes its samples. */
static void case_calibrate(case_samples *cs, const char *density)
{
    intersect_case *c = &cs->c;
    for (int v = 0; v < V_COUNT; v++)
        cs->avail[v] = v >= INTERSECT_VARIANT_COUNT || intersect_variant_fn((intersect_variant)v);
    cs->avail[V_CURSOR] = cs->avail[V_DECODE_SIMD] = cs->avail[V_CONJUNCTION] = c->seg != NULL;
    cs->expected = intersect_u32_merge(c->a, c->na, c->b, c->nb, c->out);
    for (int v = 0; v < V_COUNT; v++) {
        if (!cs->avail[v])
            continue;
        double t0 = cpu_ns();
        size_t got = run_variant(v, c);
        double t = cpu_ns() - t0;
        if (got != cs->expected) {
            fprintf(stderr, "%s: %zu results, merge found %zu (%s, 1:%zu)\n", variant_label(v),
                    got, cs->expected, density, cs->ratio);
            exit(1);
        }
        cs->inner[v] = t >= SAMPLE_NS ? 1 : (long)(SAMPLE_NS / (t > 50 ? t : 50)) + 1;
    }
}

/* reps samples of every variant into slots [first, first + reps). */
static void case_sample(case_samples *cs, int reps, size_t stride, size_t first)
{
    volatile size_t sink = 0;
    /* Two groups, each in turns: the compressed variants sweep megabytes
     * and would leave the array variants measuring their cache misses. */
    static const int groups[2][2] = {{0, V_DISPATCH + 1}, {V_CURSOR, V_COUNT}};
    for (int g = 0; g < 2; g++) {
        for (int r = 0; r < reps; r++) {
            for (int v = groups[g][0]; v < groups[g][1]; v++) {
                if (!cs->avail[v])
                    continue;
                /* As long untimed first, so no variant pays for the cache
                 * misses of the one before it. */
                for (long i = 0; i < cs->inner[v]; i++)
                    sink += run_variant(v, &cs->c);
                double t0 = cpu_ns();
                for (long i = 0; i < cs->inner[v]; i++)
                    sink += run_variant(v, &cs->c);
                cs->samples[(size_t)v * stride + first + (size_t)r] =
                    (cpu_ns() - t0) / (double)cs->inner[v];
            }
        }
    }
    (void)sink;
}

static void case_report(const case_samples *cs, const char *density, size_t count)
{
    const intersect_case *c = &cs->c;
    double postings = (double)(c->na + c->nb);
    for (int v = 0; v < V_COUNT; v++) {
        if (!cs->avail[v])
            continue;
        stats s = summarize(cs->samples + (size_t)v * count, count);
        double per_posting = s.median / postings;
        double per_result = cs->expected ? s.median / (double)cs->expected : 0;
        printf("%-7s 1:%-6zu %-13s %9zu %9zu %8zu %10.1f %7.3f %9.2f %6.2f %6.2f %5.0f%%\n",
               density, cs->ratio, variant_label(v), c->na, c->nb, cs->expected,
               s.median / 1e3, per_posting, per_result, per_posting * tsc_ghz,
               per_posting * core_ghz, s.spread * 100);
        if (csv)
            fprintf(csv, "intersect,%s,%s,%zu,,%zu,%zu,%zu,%zu,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n",
                    variant_label(v), density, cs->ratio, c->na, c->nb, cs->expected, count,
                    s.median, s.min, s.p90, s.spread, per_posting, per_result,
                    per_posting * tsc_ghz, per_posting * core_ghz, postings / s.median);
    }
}

/*
 * The whole long list decoded through the cursor (gaps and frequencies
 * unpacked, gaps summed and checked): the decode cost a query pays per
 * posting, next to the raw unpacking rate of the decode benchmark.
 */
static void bench_list_decode(const char *density, const segment *seg, const intersect_case *c,
                              size_t count)
{
    double *samples = malloc(count * sizeof *samples);
    if (!samples)
        exit(1);
    if (cursor_decode_all(seg, &c->tb, c->scratch_b) != c->nb) {
        fprintf(stderr, "the cursor decodes a different list than was written\n");
        exit(1);
    }
    for (size_t r = 0; r < count; r++) {
        double t0 = cpu_ns();
        cursor_decode_all(seg, &c->tb, c->scratch_b);
        samples[r] = cpu_ns() - t0;
    }
    stats s = summarize(samples, count);
    double ns_per_int = s.median / (double)c->nb;
    printf("%-7s list decode through posting_cursor: %zu postings, %.3f ns each "
           "(%.2f G/s, %.2f core cycles), spread %.0f%%\n",
           density, c->nb, ns_per_int, 1 / ns_per_int, ns_per_int * core_ghz, s.spread * 100);
    if (csv)
        fprintf(csv, "listdecode,cursor,%s,,,,%zu,%zu,%zu,%.1f,%.1f,%.1f,%.4f,%.5f,,%.5f,%.5f,%.4f\n",
                density, c->nb, c->nb, count, s.median, s.min, s.p90, s.spread, ns_per_int,
                ns_per_int * tsc_ghz, ns_per_int * core_ghz, 1 / ns_per_int);
    free(samples);
}

static void bench_intersect(size_t long_len, const size_t *ratios, size_t ratio_count, int reps,
                            int rounds, const char *dir)
{
    static const struct {
        const char *name;
        double mean_gap; /* of the long list: 1 document in mean_gap */
    } densities[] = {{"dense", 2}, {"sparse", 16}};
    const size_t count = (size_t)rounds * (size_t)reps;

    printf("\nIntersection: median of %zu samples (%d rounds of %d); ns per input posting\n"
           "(na + nb) and per result; cycles per input posting by the TSC (ref) and by the\n"
           "estimated core clock (core); spread = (p90 - min) / median\n\n",
           count, rounds, reps);
    printf("%-7s %-8s %-13s %9s %9s %8s %10s %7s %9s %6s %6s %6s\n", "density", "ratio",
           "variant", "short", "long", "results", "median us", "ns/post", "ns/result", "ref",
           "core", "spread");

    for (size_t d = 0; d < sizeof densities / sizeof densities[0]; d++) {
        /* Terms: t00 the long list, then one short list per ratio. */
        size_t list_count = ratio_count + 1;
        uint32_t **lists = calloc(list_count, sizeof *lists);
        size_t *lengths = calloc(list_count, sizeof *lengths);
        case_samples *cases = calloc(ratio_count, sizeof *cases);
        if (!lists || !lengths || !cases)
            exit(1);
        double universe = (double)long_len * densities[d].mean_gap;
        for (size_t t = 0; t < list_count; t++) {
            lengths[t] = t == 0 ? long_len : long_len / ratios[t - 1];
            if (lengths[t] == 0)
                lengths[t] = 1;
            lists[t] = malloc(lengths[t] * sizeof **lists);
            if (!lists[t])
                exit(1);
            random_list(lists[t], lengths[t], universe / (double)lengths[t]);
        }
        uint32_t doc_count = 0;
        for (size_t t = 0; t < list_count; t++)
            if (lists[t][lengths[t] - 1] + 1 > doc_count)
                doc_count = lists[t][lengths[t] - 1] + 1;

        segment *seg = NULL;
        double t0 = now_ns();
        int rc = write_segment(dir, doc_count, lists, lengths, list_count, &seg);
        if (rc != LPS_OK) {
            fprintf(stderr, "cannot write the benchmark segment in %s: %s\n", dir,
                    lps_strerror(rc));
            seg = NULL;
        } else {
            printf("(%s: segment of %" PRIu32 " documents written in %.1f s)\n",
                   densities[d].name, doc_count, (now_ns() - t0) / 1e9);
        }

        uint32_t *out = malloc(long_len * sizeof *out);
        uint32_t *scratch_a = malloc(long_len * sizeof *scratch_a);
        uint32_t *scratch_b = malloc(long_len * sizeof *scratch_b);
        if (!out || !scratch_a || !scratch_b)
            exit(1);
        for (size_t r = 0; r < ratio_count; r++) {
            case_samples *cs = &cases[r];
            cs->ratio = ratios[r];
            cs->c = (intersect_case){.a = lists[r + 1], .na = lengths[r + 1], .b = lists[0],
                                     .nb = lengths[0], .seg = seg, .out = out,
                                     .scratch_a = scratch_a, .scratch_b = scratch_b};
            if (seg && (lookup_term(seg, r + 1, &cs->c.ta) != 0 ||
                        lookup_term(seg, 0, &cs->c.tb) != 0)) {
                fprintf(stderr, "benchmark terms missing from the segment\n");
                exit(1);
            }
            cs->samples = malloc((size_t)V_COUNT * count * sizeof *cs->samples);
            if (!cs->samples)
                exit(1);
            case_calibrate(cs, densities[d].name);
        }
        /* Round after round over all ratios: a burst of load from other
         * processes then lands in one round of each case, not in all of
         * the samples of one. */
        for (int round = 0; round < rounds; round++)
            for (size_t r = 0; r < ratio_count; r++)
                case_sample(&cases[r], reps, count, (size_t)round * (size_t)reps);
        for (size_t r = 0; r < ratio_count; r++) {
            case_report(&cases[r], densities[d].name, count);
            free(cases[r].samples);
        }
        if (seg)
            bench_list_decode(densities[d].name, seg, &cases[0].c, count);
        segment_close(seg);
        free(out);
        free(scratch_a);
        free(scratch_b);
        for (size_t t = 0; t < list_count; t++)
            free(lists[t]);
        free(lists);
        free(lengths);
        free(cases);
    }
}

/* ---- Decode benchmark -------------------------------------------------------- */

typedef void (*decode_fn)(const unsigned char *in, unsigned w, uint32_t *out);

static void bench_decode(int reps, int rounds)
{
    struct {
        const char *name;
        decode_fn fn;
    } variants[2] = {{"scalar", bitpack_decode_block_scalar}, {NULL, NULL}};
    size_t variant_count = 1;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        variants[1].name = "avx2";
        variants[1].fn = bitpack_decode_block_avx2;
        variant_count = 2;
    }
#endif
    const size_t per_round = (size_t)reps, count = per_round * (size_t)rounds;
    printf("\nBlock decode (bitpack_decode_block, %d blocks of %u values, dispatch uses %s):\n"
           "median of %zu samples (%d rounds of %zu)\n\n",
           DECODE_BLOCKS, BITPACK_BLOCK, bitpack_decode_impl_name(), count, rounds, per_round);
    printf("%-6s %-7s %10s %10s %10s %7s\n", "width", "variant", "Gints/s", "ref cyc", "core cyc",
           "spread");
    unsigned char *packed = malloc((size_t)32 * DECODE_BLOCKS * 16 * 32);
    uint32_t values[BITPACK_BLOCK], out[BITPACK_BLOCK];
    double *samples = malloc((size_t)33 * variant_count * count * sizeof *samples);
    if (!packed || !samples)
        exit(1);
    /* Width w's blocks start at packed + block_base(w). */
#define BLOCK_AT(w, blk) (packed + (size_t)((w) - 1) * DECODE_BLOCKS * 16 * 32 + (blk) * 16 * (w))
    for (unsigned w = 1; w <= 32; w++) {
        uint32_t mask = w == 32 ? UINT32_MAX : (1u << w) - 1;
        for (size_t blk = 0; blk < DECODE_BLOCKS; blk++) {
            for (size_t i = 0; i < BITPACK_BLOCK; i++)
                values[i] = (uint32_t)next_u64() & mask;
            bitpack_encode(values, BITPACK_BLOCK, w, BLOCK_AT(w, blk));
        }
        for (size_t v = 0; v < variant_count; v++) {
            for (size_t blk = 0; blk < DECODE_BLOCKS; blk++) {
                uint32_t ref[BITPACK_BLOCK];
                bitpack_decode_block_scalar(BLOCK_AT(w, blk), w, ref);
                variants[v].fn(BLOCK_AT(w, blk), w, out);
                if (memcmp(ref, out, sizeof out) != 0) {
                    fprintf(stderr, "%s decoder disagrees at width %u\n", variants[v].name, w);
                    exit(1);
                }
            }
        }
    }
    /* Passes over the 256 blocks per sample: enough for SAMPLE_NS. */
    long passes[33][2];
    for (unsigned w = 1; w <= 32; w++) {
        for (size_t v = 0; v < variant_count; v++) {
            double t0 = cpu_ns();
            for (size_t blk = 0; blk < DECODE_BLOCKS; blk++) {
                variants[v].fn(BLOCK_AT(w, blk), w, out);
                __asm__ volatile("" : : "r"(out) : "memory");
            }
            double t = cpu_ns() - t0;
            passes[w][v] = t >= SAMPLE_NS ? 1 : (long)(SAMPLE_NS / (t > 50 ? t : 50)) + 1;
        }
    }
    for (int round = 0; round < rounds; round++) {
        for (unsigned w = 1; w <= 32; w++) {
            for (size_t r = 0; r < per_round; r++) {
                for (size_t v = 0; v < variant_count; v++) {
                    double t0 = cpu_ns();
                    for (long p = 0; p < passes[w][v]; p++) {
                        for (size_t blk = 0; blk < DECODE_BLOCKS; blk++) {
                            variants[v].fn(BLOCK_AT(w, blk), w, out);
                            __asm__ volatile("" : : "r"(out) : "memory");
                        }
                    }
                    samples[((size_t)w * variant_count + v) * count +
                            (size_t)round * per_round + r] =
                        (cpu_ns() - t0) / (double)passes[w][v];
                }
            }
        }
    }
#undef BLOCK_AT
    const double ints = (double)DECODE_BLOCKS * BITPACK_BLOCK;
    for (unsigned w = 1; w <= 32; w++) {
        for (size_t v = 0; v < variant_count; v++) {
            stats s = summarize(samples + ((size_t)w * variant_count + v) * count, count);
            double ns_per_int = s.median / ints;
            printf("%-6u %-7s %10.2f %10.3f %10.3f %6.0f%%\n", w, variants[v].name,
                   1.0 / ns_per_int, ns_per_int * tsc_ghz, ns_per_int * core_ghz, s.spread * 100);
            if (csv)
                fprintf(csv, "decode,%s,,,%u,,,%.0f,%zu,%.1f,%.1f,%.1f,%.4f,%.5f,,%.5f,%.5f,%.4f\n",
                        variants[v].name, w, ints, count, s.median, s.min, s.p90, s.spread,
                        ns_per_int, ns_per_int * tsc_ghz, ns_per_int * core_ghz, 1.0 / ns_per_int);
        }
    }
    free(packed);
    free(samples);
}

/* ---- Main ---------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: lps-bench-intersect [--csv FILE] [--reps N] [--rounds N] [--long N]\n"
            "                           [--ratios R,R,...]\n"
            "                           [--only intersect|decode] [--seed S] [--dir DIR]\n");
    exit(2);
}

static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0)
        usage();
    return (size_t)v;
}

int main(int argc, char **argv)
{
    const char *csv_path = NULL, *only = NULL, *dir_arg = NULL;
    int reps = 11, rounds = 9;
    size_t long_len = 1000000;
    size_t ratios[32] = {1, 10, 100, 1000, 10000};
    size_t ratio_count = 5;
    rng_state = 42;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *val = argv[++i];
        if (strcmp(arg, "--csv") == 0) {
            csv_path = val;
        } else if (strcmp(arg, "--reps") == 0) {
            reps = (int)parse_size(val);
        } else if (strcmp(arg, "--rounds") == 0) {
            rounds = (int)parse_size(val);
        } else if (strcmp(arg, "--long") == 0) {
            long_len = parse_size(val);
        } else if (strcmp(arg, "--seed") == 0) {
            rng_state = parse_size(val);
        } else if (strcmp(arg, "--only") == 0) {
            only = val;
            if (strcmp(only, "intersect") != 0 && strcmp(only, "decode") != 0)
                usage();
        } else if (strcmp(arg, "--dir") == 0) {
            dir_arg = val;
        } else if (strcmp(arg, "--ratios") == 0) {
            ratio_count = 0;
            char *copy = strdup(val), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (ratio_count == sizeof ratios / sizeof ratios[0])
                    usage();
                ratios[ratio_count++] = parse_size(tok);
            }
            free(copy);
            if (ratio_count == 0)
                usage();
        } else {
            usage();
        }
    }
    if (long_len > UINT32_MAX / 32)
        usage();
    if (csv_path) {
        csv = fopen(csv_path, "w");
        if (!csv) {
            fprintf(stderr, "cannot write %s: %s\n", csv_path, strerror(errno));
            return 1;
        }
    }
    calibrate_clocks();
    printf("lps-bench-intersect: intersect_impl_name %s, bitpack_decode_impl_name %s\n",
           intersect_impl_name(), bitpack_decode_impl_name());
    printf("TSC %.3f GHz, estimated core clock %.3f GHz\n", tsc_ghz, core_ghz);
    csv_header();

    if (!only || strcmp(only, "intersect") == 0) {
        char tmpl[] = "/tmp/lps-bench-intersect-XXXXXX";
        const char *dir = dir_arg;
        if (!dir) {
            dir = mkdtemp(tmpl);
            if (!dir) {
                fprintf(stderr, "cannot create a scratch directory: %s\n", strerror(errno));
                return 1;
            }
        }
        bench_intersect(long_len, ratios, ratio_count, reps, rounds, dir);
        if (!dir_arg)
            rmdir(dir);
    }
    if (!only || strcmp(only, "decode") == 0)
        bench_decode(reps, rounds);
    if (csv && fclose(csv) != 0) {
        fprintf(stderr, "cannot write %s\n", csv_path);
        return 1;
    }
    return 0;
}
