/*
 * Scalar intersections (the reference merge and galloping) and the run-time
 * choice among all variants.  The SIMD variants live in intersect_sse41.c
 * and intersect_avx2.c, compiled for their instruction sets by function
 * attributes, so this file and the rest of the build stay baseline x86-64.
 */
#include "intersect.h"

#include <assert.h>

/*
 * Branchless merge.  Every step stores a[i] at out[k] whether or not it
 * matches and advances i, j or both by comparisons, so the loop has no
 * data-dependent branch.  The unconditional store is in bounds: k counts
 * matches among a[0..i) and b[0..j), so k <= min(i, j) < min(na, nb) while
 * the loop runs.
 */
size_t intersect_u32_merge(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        uint32_t x = a[i], y = b[j];
        assert(k < na && k < nb);
        out[k] = x;
        k += x == y;
        i += x <= y;
        j += y <= x;
    }
    return k;
}

/*
 * The first index in [lo, n) whose value is >= x, or n.  Requires lo < n.
 * Doubling steps from lo bracket the answer in (prev, prev + step]; a
 * branchless binary search finishes inside the bracket.  The cost is
 * O(log(distance)), which is what makes galloping win on skewed lengths.
 */
static size_t gallop_lower_bound(const uint32_t *v, size_t lo, size_t n, uint32_t x)
{
    assert(lo < n);
    if (v[lo] >= x)
        return lo;
    size_t prev = lo, step = 1;
    while (step < n - prev && v[prev + step] < x) {
        prev += step;
        step <<= 1;
    }
    /* v[prev] < x, and v[prev + step] >= x unless prev + step >= n: the
     * answer lies in [prev + 1, hi] with hi = min(prev + step, n). */
    size_t hi = step < n - prev ? prev + step : n;
    const uint32_t *p = v + prev + 1;
    size_t len = hi - (prev + 1); /* answer in [p, p + len] */
    if (len == 0)
        return hi;
    while (len > 1) {
        size_t half = len / 2;
        p = p[half] < x ? p + half : p;
        len -= half;
    }
    size_t at = (size_t)(p - v) + (p[0] < x);
    assert(at <= n && (at == n || v[at] >= x) && v[at - 1] < x);
    return at;
}

/*
 * Galloping: walk the shorter array and search each of its values in the
 * longer one from where the previous search stopped.  Writes only matches,
 * so it also serves as the tail of the SIMD variants, whose out positions
 * need not satisfy the merge's k <= min(i, j).
 */
size_t intersect_u32_gallop(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                            uint32_t *out)
{
    if (na > nb) {
        const uint32_t *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    size_t k = 0, j = 0;
    for (size_t i = 0; i < na && j < nb; i++) {
        uint32_t x = a[i];
        j = gallop_lower_bound(b, j, nb, x);
        if (j == nb)
            break;
        if (b[j] == x) {
            out[k++] = x;
            j++;
        }
    }
    assert(k <= na);
    return k;
}

/* ---- Run-time dispatch -------------------------------------------------- */

#if defined(__x86_64__)
static int have_sse41(void)
{
    return __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("popcnt");
}

static int have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}
#endif

intersect_fn intersect_variant_fn(intersect_variant v)
{
    switch (v) {
    case INTERSECT_MERGE:
        return intersect_u32_merge;
    case INTERSECT_GALLOP:
        return intersect_u32_gallop;
#if defined(__x86_64__)
    case INTERSECT_SSE41:
        return have_sse41() ? intersect_u32_sse41 : NULL;
    case INTERSECT_AVX2:
        return have_avx2() ? intersect_u32_avx2 : NULL;
    case INTERSECT_AVX2_GALLOP:
        return have_avx2() ? intersect_u32_avx2_gallop : NULL;
#endif
    default:
        return NULL;
    }
}

const char *intersect_variant_name(intersect_variant v)
{
    static const char *const names[INTERSECT_VARIANT_COUNT] = {
        "merge", "gallop", "sse41", "avx2", "avx2_gallop",
    };
    return (unsigned)v < INTERSECT_VARIANT_COUNT ? names[v] : "?";
}

const char *intersect_impl_name(void)
{
#if defined(__x86_64__)
    if (have_avx2())
        return "avx2";
    if (have_sse41())
        return "sse41";
#endif
    return "merge";
}

/*
 * __builtin_cpu_supports reads a table libgcc fills before main, so asking
 * on every call costs a load and a test and needs no lazy state to guard.
 */
size_t intersect_u32(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out)
{
    size_t shorter = na < nb ? na : nb, longer = na < nb ? nb : na;
    if (shorter == 0)
        return 0;
    size_t ratio = longer / shorter;
#if defined(__x86_64__)
    if (have_avx2())
        return ratio < INTERSECT_GALLOP_RATIO_AVX2 ? intersect_u32_avx2(a, na, b, nb, out)
                                                   : intersect_u32_avx2_gallop(a, na, b, nb, out);
    if (have_sse41())
        return ratio < INTERSECT_GALLOP_RATIO_SSE41 ? intersect_u32_sse41(a, na, b, nb, out)
                                                    : intersect_u32_gallop(a, na, b, nb, out);
#endif
    return ratio < INTERSECT_GALLOP_RATIO_SCALAR ? intersect_u32_merge(a, na, b, nb, out)
                                                 : intersect_u32_gallop(a, na, b, nb, out);
}
