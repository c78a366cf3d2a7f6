/*
 * Intersection of sorted u32 arrays: every variant (scalar merge, galloping,
 * SSE4.1, AVX2, AVX2 galloping, and the dispatching intersect_u32) against a
 * brute-force reference, on random lists of many lengths, length ratios and
 * densities and on the edge cases (empty, identical, disjoint, single
 * values, UINT32_MAX, lengths off the SIMD block sizes, every 8-lane match
 * pattern).  Inputs are copied to heap blocks of their exact size and the
 * output gets exactly min(na, nb) slots followed by guard values, so
 * AddressSanitizer and the guards catch any over-read or over-write.
 * Variants the CPU lacks are skipped with a message.
 */
#include "test.h"

#include "intersect.h"

#define GUARD 16
#define GUARD_VALUE 0xDEADBEEFu

/* The definition: every value of a that a binary search finds in b. */
static size_t reference_intersect(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                  uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < na; i++) {
        size_t lo = 0, hi = nb;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (b[mid] < a[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < nb && b[lo] == a[i])
            out[k++] = a[i];
    }
    return k;
}

static uint32_t *heap_copy(const uint32_t *v, size_t n)
{
    uint32_t *p = malloc(n ? n * sizeof *p : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, v, n * sizeof *p);
    return p;
}

typedef struct variant {
    const char *name;
    intersect_fn fn;
} variant;

/* The variants this CPU runs, the dispatcher last. */
static size_t available_variants(variant *v)
{
    static int reported;
    size_t n = 0;
    for (int i = 0; i < INTERSECT_VARIANT_COUNT; i++) {
        intersect_fn fn = intersect_variant_fn((intersect_variant)i);
        if (fn) {
            v[n].name = intersect_variant_name((intersect_variant)i);
            v[n++].fn = fn;
        } else if (!reported) {
            printf("[  SKIP    ] %s: not supported by this CPU or build\n",
                   intersect_variant_name((intersect_variant)i));
        }
    }
    reported = 1;
    v[n].name = "intersect_u32";
    v[n++].fn = intersect_u32;
    return n;
}

/* Runs every variant on (a, b) and (b, a) and compares with the reference. */
static void check_pair(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, const char *what)
{
    size_t cap = na < nb ? na : nb;
    uint32_t *expected = malloc((cap ? cap : 1) * sizeof *expected);
    assert_non_null(expected);
    size_t want = reference_intersect(a, na, b, nb, expected);
    uint32_t *ha = heap_copy(a, na), *hb = heap_copy(b, nb);
    uint32_t *buf = malloc((cap + GUARD) * sizeof *buf);
    assert_non_null(buf);
    variant vs[INTERSECT_VARIANT_COUNT + 1];
    size_t nv = available_variants(vs);
    for (size_t v = 0; v < nv; v++) {
        for (int swap = 0; swap < 2; swap++) {
            for (size_t g = 0; g < cap + GUARD; g++)
                buf[g] = GUARD_VALUE;
            size_t got = swap ? vs[v].fn(hb, nb, ha, na, buf) : vs[v].fn(ha, na, hb, nb, buf);
            if (got != want)
                fail_msg("%s (%s, na=%zu nb=%zu%s): %zu values, expected %zu", vs[v].name, what,
                         na, nb, swap ? ", swapped" : "", got, want);
            for (size_t i = 0; i < want; i++)
                if (buf[i] != expected[i])
                    fail_msg("%s (%s, na=%zu nb=%zu%s): value %zu is %u, expected %u", vs[v].name,
                             what, na, nb, swap ? ", swapped" : "", i, buf[i], expected[i]);
            /* Scratch may land in out[want..cap), nothing beyond. */
            for (size_t g = cap; g < cap + GUARD; g++)
                if (buf[g] != GUARD_VALUE)
                    fail_msg("%s (%s, na=%zu nb=%zu%s): slot %zu written, past min(na, nb)",
                             vs[v].name, what, na, nb, swap ? ", swapped" : "", g);
        }
    }
    free(buf);
    free(ha);
    free(hb);
    free(expected);
}

/*
 * n distinct sorted values: a random subset of [base, base + universe) by
 * selection sampling, so density n / universe is exact.  universe >= n.
 */
static void random_sorted(uint32_t *seed, uint32_t *out, size_t n, uint64_t base, uint64_t universe)
{
    assert_true(universe >= n && base + universe <= (uint64_t)UINT32_MAX + 1);
    size_t k = 0;
    uint64_t left = universe;
    for (uint64_t v = 0; k < n; v++, left--) {
        /* Take v with probability (n - k) / left. */
        uint64_t r = ((uint64_t)next_random(seed) << 32 | next_random(seed)) % left;
        if (r < n - k)
            out[k++] = (uint32_t)(base + v);
    }
}

/* Up to n increasing values from start with random gaps of mean mean_gap,
 * stopping below 2^32; returns how many. */
static size_t random_gaps(uint32_t *seed, uint32_t *out, size_t n, uint64_t mean_gap, uint64_t start)
{
    uint64_t v = start;
    size_t k = 0;
    while (k < n && v <= UINT32_MAX) {
        out[k++] = (uint32_t)v;
        uint64_t r = (uint64_t)next_random(seed) << 32 | next_random(seed);
        v += 1 + r % (2 * mean_gap - 1);
    }
    return k;
}

static void test_edge_cases(void **state)
{
    (void)state;
    static const uint32_t one[1] = {7};
    static const uint32_t other[1] = {8};
    static const uint32_t max1[1] = {UINT32_MAX};
    static const uint32_t zero1[1] = {0};
    check_pair(NULL, 0, NULL, 0, "both empty");
    check_pair(one, 1, NULL, 0, "one empty");
    check_pair(one, 1, one, 1, "single equal");
    check_pair(one, 1, other, 1, "single different");
    check_pair(max1, 1, max1, 1, "UINT32_MAX alone");
    check_pair(zero1, 1, zero1, 1, "zero alone");

    uint32_t v[1100], w[1100];
    for (size_t n = 0; n <= 70; n++) {
        for (size_t i = 0; i < n; i++)
            v[i] = (uint32_t)(3 * i + 1);
        check_pair(v, n, v, n, "identical");
        for (size_t i = 0; i < n; i++)
            w[i] = (uint32_t)(3 * i + 2);
        check_pair(v, n, w, n, "interleaved disjoint");
        for (size_t i = 0; i < n; i++)
            w[i] = (uint32_t)(1000 + i);
        check_pair(v, n, w, n, "ranges disjoint");
        /* The top of the range, UINT32_MAX included. */
        for (size_t i = 0; i < n; i++) {
            v[i] = UINT32_MAX - (uint32_t)(n - 1 - i) * 2;
            w[i] = UINT32_MAX - (uint32_t)(n - 1 - i);
        }
        check_pair(v, n, w, n, "top of range");
        /* One value against many, at the start, middle, end and outside. */
        for (size_t i = 0; i < n; i++)
            w[i] = (uint32_t)(10 * i + 5);
        for (uint32_t probe = 0; probe < 10 * n + 10; probe += 5) {
            check_pair(&probe, 1, w, n, "one against many");
        }
    }
    /* The first and the last values only; lengths around the block sizes. */
    for (size_t n = 1; n < 1100; n += n < 40 ? 1 : 37) {
        for (size_t i = 0; i < n; i++)
            v[i] = (uint32_t)i;
        uint32_t ends[2] = {0, (uint32_t)(n - 1)};
        check_pair(ends, n > 1 ? 2 : 1, v, n, "ends");
        for (size_t i = 0; i < n; i++)
            w[i] = (uint32_t)(i * 2 + (i & 1));
        check_pair(v, n, w, n, "dense half");
    }
}

/* Every 8-lane and 4-lane match pattern, at several alignments of the blocks. */
static void test_every_match_pattern(void **state)
{
    (void)state;
    uint32_t a[40], b[40];
    for (unsigned mask = 0; mask < 256; mask++) {
        for (unsigned shift = 0; shift < 9; shift++) {
            size_t nb = 0;
            for (size_t i = 0; i < 32; i++)
                a[i] = (uint32_t)(2 * i + 100);
            for (size_t i = 0; i < shift; i++)
                b[nb++] = (uint32_t)(i + 1);
            for (unsigned lane = 0; lane < 8; lane++)
                b[nb++] = (mask >> lane & 1) ? a[lane + 8] : a[lane + 8] + 1;
            for (size_t i = 0; i < 16; i++)
                b[nb++] = (uint32_t)(1000 + i);
            check_pair(a, 32, b, nb, "match pattern");
        }
    }
}

/* Random lists: lengths 0..~10k, ratios 1:1 to 1:10000, dense and sparse. */
static void test_random_lists(void **state)
{
    (void)state;
    static const size_t ratios[] = {1, 2, 3, 8, 10, 31, 100, 333, 1000, 10000};
    static const size_t short_lengths[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33,
                                           63, 100, 127, 129, 500, 1000, 4097, 10001};
    uint32_t seed = 0x9E3779B9u;
    uint32_t *a = malloc(200000 * sizeof *a), *b = malloc(200000 * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    size_t cases = 0;
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
        for (size_t s = 0; s < sizeof short_lengths / sizeof short_lengths[0]; s++) {
            size_t na = short_lengths[s], nb = na * ratios[r];
            if (nb > 100000)
                continue;
            for (int density = 0; density < 3; density++) {
                /* dense: both spread over about 2*nb values, so about half
                 * of a matches; sparse: over 64*nb values, few matches;
                 * wide: b spread over all of 2^32 and a picked from b and
                 * its neighbours. */
                size_t la = na, lb = nb;
                if (density < 2) {
                    uint64_t spread = density == 0 ? 2 : 64;
                    lb = random_gaps(&seed, b, nb, spread, next_random(&seed) % 4);
                    la = random_gaps(&seed, a, na, spread * ratios[r], next_random(&seed) % 4);
                } else {
                    uint64_t gap = (uint64_t)UINT32_MAX / (nb + 1) / 2 + 1;
                    lb = random_gaps(&seed, b, nb, gap, next_random(&seed) % 64);
                    la = 0;
                    for (size_t i = 0; i < lb && la < na; i += 1 + next_random(&seed) % ratios[r]) {
                        uint32_t x = b[i] + (next_random(&seed) % 3 == 0 && b[i] < UINT32_MAX);
                        if (la == 0 || x > a[la - 1])
                            a[la++] = x;
                    }
                }
                check_pair(a, la, b, lb,
                           density == 0 ? "random dense" : density == 1 ? "random sparse" : "random wide");
                cases++;
            }
        }
    }
    /* All lengths 0..300 against each other at a few densities. */
    for (size_t na = 0; na <= 300; na += 1 + na / 16) {
        for (size_t nb = na; nb <= 300; nb += 1 + nb / 8) {
            random_sorted(&seed, a, na, 5, 400);
            random_sorted(&seed, b, nb, 0, 405);
            check_pair(a, na, b, nb, "small lengths");
            cases++;
        }
    }
    assert_true(cases > 100);
    free(a);
    free(b);
}

static void test_names(void **state)
{
    (void)state;
    const char *impl = intersect_impl_name();
    assert_true(strcmp(impl, "avx2") == 0 || strcmp(impl, "sse41") == 0 || strcmp(impl, "merge") == 0);
    printf("intersect_impl_name: %s\n", impl);
    assert_string_equal(intersect_variant_name(INTERSECT_MERGE), "merge");
    assert_string_equal(intersect_variant_name(INTERSECT_VARIANT_COUNT), "?");
    assert_non_null(intersect_variant_fn(INTERSECT_MERGE));
    assert_non_null(intersect_variant_fn(INTERSECT_GALLOP));
    assert_null(intersect_variant_fn(INTERSECT_VARIANT_COUNT));
#if !defined(__x86_64__)
    assert_null(intersect_variant_fn(INTERSECT_AVX2));
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_every_match_pattern),
        cmocka_unit_test(test_random_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
