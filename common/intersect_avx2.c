/*
 * AVX2 intersections: an 8x8 block-compare merge for lists of similar
 * length, and a galloping search with one 32-value compare per probe for
 * skewed lengths.
 *
 * The merge loads eight values of each array and compares the block of a
 * with the block of b in eight arrangements: b itself and its three
 * in-lane rotations, then the same four with the two 128-bit halves of b
 * swapped, so every value of a meets every value of b with only one
 * lane-crossing shuffle.  The equal lanes become an 8-bit mask; a 256-entry
 * table of packed 3-bit lane numbers (one nibble each) gives the
 * permutation that moves the matching values of a to the front.  The block
 * with the smaller last value moves on (both when they are equal).  This is
 * the block-compare merge of Schlegel, Willhalm and Lehner (2011) and of
 * Lemire, Boytsov and Kurz (2016) widened to eight lanes; the code is ours.
 *
 * The galloping variant walks the shorter array; for each value x it
 * doubles a window over the longer array until the window's last value
 * reaches x, halves it back down to 32 values, and compares x against those
 * 32 at once instead of finishing the binary search (Lemire et al. call this
 * SIMD galloping).
 *
 * Reads stay inside a and b (the vector loops run only over whole blocks;
 * the tails go to the scalar galloping code); writes stay inside
 * out[0..min(na, nb)), as intersect.h promises.
 */
#include "intersect.h"

#if defined(__x86_64__)

#include <assert.h>
#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,popcnt")))

/* For each 8-bit mask, the numbers of its set lanes in increasing order,
 * nibble k holding the k-th; unused nibbles are 0. */
static const uint32_t pack_lanes[256] = {
    0x00000000, 0x00000000, 0x00000001, 0x00000010, 0x00000002, 0x00000020, 0x00000021, 0x00000210,
    0x00000003, 0x00000030, 0x00000031, 0x00000310, 0x00000032, 0x00000320, 0x00000321, 0x00003210,
    0x00000004, 0x00000040, 0x00000041, 0x00000410, 0x00000042, 0x00000420, 0x00000421, 0x00004210,
    0x00000043, 0x00000430, 0x00000431, 0x00004310, 0x00000432, 0x00004320, 0x00004321, 0x00043210,
    0x00000005, 0x00000050, 0x00000051, 0x00000510, 0x00000052, 0x00000520, 0x00000521, 0x00005210,
    0x00000053, 0x00000530, 0x00000531, 0x00005310, 0x00000532, 0x00005320, 0x00005321, 0x00053210,
    0x00000054, 0x00000540, 0x00000541, 0x00005410, 0x00000542, 0x00005420, 0x00005421, 0x00054210,
    0x00000543, 0x00005430, 0x00005431, 0x00054310, 0x00005432, 0x00054320, 0x00054321, 0x00543210,
    0x00000006, 0x00000060, 0x00000061, 0x00000610, 0x00000062, 0x00000620, 0x00000621, 0x00006210,
    0x00000063, 0x00000630, 0x00000631, 0x00006310, 0x00000632, 0x00006320, 0x00006321, 0x00063210,
    0x00000064, 0x00000640, 0x00000641, 0x00006410, 0x00000642, 0x00006420, 0x00006421, 0x00064210,
    0x00000643, 0x00006430, 0x00006431, 0x00064310, 0x00006432, 0x00064320, 0x00064321, 0x00643210,
    0x00000065, 0x00000650, 0x00000651, 0x00006510, 0x00000652, 0x00006520, 0x00006521, 0x00065210,
    0x00000653, 0x00006530, 0x00006531, 0x00065310, 0x00006532, 0x00065320, 0x00065321, 0x00653210,
    0x00000654, 0x00006540, 0x00006541, 0x00065410, 0x00006542, 0x00065420, 0x00065421, 0x00654210,
    0x00006543, 0x00065430, 0x00065431, 0x00654310, 0x00065432, 0x00654320, 0x00654321, 0x06543210,
    0x00000007, 0x00000070, 0x00000071, 0x00000710, 0x00000072, 0x00000720, 0x00000721, 0x00007210,
    0x00000073, 0x00000730, 0x00000731, 0x00007310, 0x00000732, 0x00007320, 0x00007321, 0x00073210,
    0x00000074, 0x00000740, 0x00000741, 0x00007410, 0x00000742, 0x00007420, 0x00007421, 0x00074210,
    0x00000743, 0x00007430, 0x00007431, 0x00074310, 0x00007432, 0x00074320, 0x00074321, 0x00743210,
    0x00000075, 0x00000750, 0x00000751, 0x00007510, 0x00000752, 0x00007520, 0x00007521, 0x00075210,
    0x00000753, 0x00007530, 0x00007531, 0x00075310, 0x00007532, 0x00075320, 0x00075321, 0x00753210,
    0x00000754, 0x00007540, 0x00007541, 0x00075410, 0x00007542, 0x00075420, 0x00075421, 0x00754210,
    0x00007543, 0x00075430, 0x00075431, 0x00754310, 0x00075432, 0x00754320, 0x00754321, 0x07543210,
    0x00000076, 0x00000760, 0x00000761, 0x00007610, 0x00000762, 0x00007620, 0x00007621, 0x00076210,
    0x00000763, 0x00007630, 0x00007631, 0x00076310, 0x00007632, 0x00076320, 0x00076321, 0x00763210,
    0x00000764, 0x00007640, 0x00007641, 0x00076410, 0x00007642, 0x00076420, 0x00076421, 0x00764210,
    0x00007643, 0x00076430, 0x00076431, 0x00764310, 0x00076432, 0x00764320, 0x00764321, 0x07643210,
    0x00000765, 0x00007650, 0x00007651, 0x00076510, 0x00007652, 0x00076520, 0x00076521, 0x00765210,
    0x00007653, 0x00076530, 0x00076531, 0x00765310, 0x00076532, 0x00765320, 0x00765321, 0x07653210,
    0x00007654, 0x00076540, 0x00076541, 0x00765410, 0x00076542, 0x00765420, 0x00765421, 0x07654210,
    0x00076543, 0x00765430, 0x00765431, 0x07654310, 0x00765432, 0x07654320, 0x07654321, 0x76543210,
};

TARGET_AVX2
static inline __m256i all_pairs_equal(__m256i va, __m256i vb)
{
    __m256i vs = _mm256_permute2x128_si256(vb, vb, 1);
    __m256i e0 = _mm256_cmpeq_epi32(va, vb);
    __m256i e1 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, _MM_SHUFFLE(0, 3, 2, 1)));
    __m256i e2 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, _MM_SHUFFLE(1, 0, 3, 2)));
    __m256i e3 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, _MM_SHUFFLE(2, 1, 0, 3)));
    __m256i e4 = _mm256_cmpeq_epi32(va, vs);
    __m256i e5 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, _MM_SHUFFLE(0, 3, 2, 1)));
    __m256i e6 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, _MM_SHUFFLE(1, 0, 3, 2)));
    __m256i e7 = _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, _MM_SHUFFLE(2, 1, 0, 3)));
    return _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3)),
                           _mm256_or_si256(_mm256_or_si256(e4, e5), _mm256_or_si256(e6, e7)));
}

TARGET_AVX2
size_t intersect_u32_avx2(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                          uint32_t *out)
{
    const size_t cap = na < nb ? na : nb;
    size_t i = 0, j = 0, k = 0;
    if (cap == 0)
        return 0; /* a or b may be NULL then: no pointer arithmetic on it */
    if (na >= 8 && nb >= 8) {
        const __m256i nibble_shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
        for (;;) {
            __m256i va = _mm256_loadu_si256((const __m256i *)(a + i));
            __m256i vb = _mm256_loadu_si256((const __m256i *)(b + j));
            __m256i eq = all_pairs_equal(va, vb);
            unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
            __m256i lanes = _mm256_srlv_epi32(_mm256_set1_epi32((int)pack_lanes[mask]), nibble_shifts);
            __m256i packed = _mm256_permutevar8x32_epi32(va, lanes);
            unsigned found = (unsigned)__builtin_popcount(mask);
            if (k + 8 <= cap) {
                _mm256_storeu_si256((__m256i *)(out + k), packed);
            } else {
                uint32_t staged[8];
                _mm256_storeu_si256((__m256i *)staged, packed);
                for (unsigned l = 0; l < found; l++)
                    out[k + l] = staged[l];
            }
            k += found;
            uint32_t a_last = a[i + 7], b_last = b[j + 7];
            i += (size_t)(a_last <= b_last) << 3;
            j += (size_t)(b_last <= a_last) << 3;
            if (i + 8 > na || j + 8 > nb)
                break;
        }
    }
    assert(k <= cap);
    /* Values of a matched so far lie in b before j: the tail cannot repeat them. */
    return k + intersect_u32_gallop(a + i, na - i, b + j, nb - j, out + k);
}

#define WINDOW 32

TARGET_AVX2
size_t intersect_u32_avx2_gallop(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
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
    if (nb < WINDOW)
        return intersect_u32_gallop(a, na, b, nb, out);
    size_t k = 0, lo = 0;
    for (size_t i = 0; i < na && lo < nb; i++) {
        uint32_t x = a[i];
        /* Every value before lo is below x; find a window of WINDOW values
         * holding the first one >= x. */
        size_t span = WINDOW;
        while (span < nb - lo && b[lo + span - 1] < x) {
            lo += span;
            span <<= 1;
        }
        size_t hi = span < nb - lo ? lo + span : nb;
        while (hi - lo > WINDOW) {
            size_t mid = lo + (hi - lo) / 2;
            if (b[mid - 1] < x)
                lo = mid;
            else
                hi = mid;
        }
        /* Near the end the window slides back to stay inside b; the values
         * it gains are below x and cannot match. */
        size_t w = lo < nb - WINDOW ? lo : nb - WINDOW;
        const __m256i vx = _mm256_set1_epi32((int)x);
        const __m256i *p = (const __m256i *)(b + w);
        __m256i e = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi32(vx, _mm256_loadu_si256(p)),
                            _mm256_cmpeq_epi32(vx, _mm256_loadu_si256(p + 1))),
            _mm256_or_si256(_mm256_cmpeq_epi32(vx, _mm256_loadu_si256(p + 2)),
                            _mm256_cmpeq_epi32(vx, _mm256_loadu_si256(p + 3))));
        /* k <= i < na = min(na, nb): the unconditional store is in bounds. */
        out[k] = x;
        k += !_mm256_testz_si256(e, e);
    }
    assert(k <= na);
    return k;
}

#else
typedef int intersect_avx2_unused; /* ISO C forbids an empty file */
#endif
