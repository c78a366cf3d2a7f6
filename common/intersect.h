/*
 * Intersection of two sorted arrays of distinct unsigned 32-bit integers:
 * the inner loop of a conjunctive query once postings are decoded.
 *
 * Variants, all with the same contract and all giving identical output:
 *   merge        scalar branchless merge; the reference (intersect.c)
 *   gallop       scalar: each value of the shorter array is found in the
 *                longer one by exponential then binary search (intersect.c)
 *   sse41        4x4 block compare with SSE4.1 (intersect_sse41.c)
 *   avx2         8x8 block compare with AVX2 (intersect_avx2.c)
 *   avx2_gallop  exponential search over blocks of 32 of the longer array,
 *                then one 32-value AVX2 compare per probe (intersect_avx2.c)
 * The SIMD variants exist only on x86-64 and may only be called when
 * intersect_variant_fn() returns them non-NULL (the CPU has the instructions).
 *
 * intersect_u32 picks one by the ratio of the lengths and what the CPU
 * offers, with cut-overs (INTERSECT_GALLOP_RATIO_*) measured with
 * bench/bench_intersect.c.
 *
 * Buffer rules, the same for every variant:
 *   - a and b are sorted strictly increasing (no duplicates); any values,
 *     0 and UINT32_MAX included.  Either may be empty (and then NULL).
 *   - out holds at least min(na, nb) values and must not overlap a or b.
 *     No variant writes outside out[0..min(na, nb)), but the slots past the
 *     returned count may be overwritten with scratch (the branchless stores
 *     and full-vector stores do), so out needs no padding but its tail is
 *     not preserved.
 *   - No variant reads outside a[0..na) or b[0..nb): no padding is needed
 *     and no alignment is assumed.
 *   - The result is sorted strictly increasing.
 * All functions are pure and thread-safe.
 */
#ifndef LPS_INTERSECT_H
#define LPS_INTERSECT_H

#include <stddef.h>
#include <stdint.h>

typedef size_t (*intersect_fn)(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                               uint32_t *out);

/*
 * Writes a ∩ b to out in increasing order and returns its size, choosing the
 * variant by what the CPU offers and by the ratio longer / shorter of the
 * lengths (integer division):
 *   AVX2:     avx2 below INTERSECT_GALLOP_RATIO_AVX2, else avx2_gallop
 *   SSE4.1:   sse41 below INTERSECT_GALLOP_RATIO_SSE41, else gallop
 *   neither:  merge below INTERSECT_GALLOP_RATIO_SCALAR, else gallop
 */
size_t intersect_u32(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out);

/*
 * The cut-overs, from a bench_intersect sweep over ratios 2..48 with a long
 * list of 1M on the AMD EPYC (Zen 3) of docs/BENCHMARKS.md, dense and
 * sparse lists: avx2_gallop overtakes avx2 at about 7 on both; scalar
 * galloping overtakes sse41 at about 27 (sparse) to 34 (dense); it overtakes
 * the scalar merge at about 3.5 (sparse) to 6 (dense).  The SSE4.1 and
 * scalar cut-overs are from the same AVX2 machine, not from CPUs that lack
 * AVX2.
 */
#define INTERSECT_GALLOP_RATIO_AVX2 8
#define INTERSECT_GALLOP_RATIO_SSE41 30
#define INTERSECT_GALLOP_RATIO_SCALAR 5

typedef enum intersect_variant {
    INTERSECT_MERGE = 0,
    INTERSECT_GALLOP,
    INTERSECT_SSE41,
    INTERSECT_AVX2,
    INTERSECT_AVX2_GALLOP,
    INTERSECT_VARIANT_COUNT
} intersect_variant;

/* The function of variant v, or NULL when this build or this CPU lacks it. */
intersect_fn intersect_variant_fn(intersect_variant v);
/* A short constant name ("merge", "avx2", ...); "?" for an unknown v. */
const char *intersect_variant_name(intersect_variant v);
/* Name of the block-compare merge intersect_u32 uses on this CPU for
 * lists of similar length: "avx2", "sse41" or "merge". */
const char *intersect_impl_name(void);

/* The variants themselves, for tests and benchmarks. */
size_t intersect_u32_merge(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out);
size_t intersect_u32_gallop(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                            uint32_t *out);
#if defined(__x86_64__)
/* Only when intersect_variant_fn(INTERSECT_SSE41) is non-NULL. */
size_t intersect_u32_sse41(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out);
/* Only when intersect_variant_fn(INTERSECT_AVX2) is non-NULL. */
size_t intersect_u32_avx2(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                          uint32_t *out);
size_t intersect_u32_avx2_gallop(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                 uint32_t *out);
#endif

#endif
