/*
 * SSE4.1 intersection by 4x4 block compare.
 *
 * Each step loads four values of each array, compares the block of a with
 * the block of b in all four rotations (so every value of a meets every
 * value of b), turns the equal lanes into a 4-bit mask and packs the
 * matching values of a to the front with one byte shuffle from a 16-entry
 * table.  Then the block with the smaller last value moves on (both when
 * the last values are equal).  The technique is the block-compare merge
 * described by Schlegel, Willhalm and Lehner (2011) and by Lemire, Boytsov
 * and Kurz, "SIMD Compression and the Intersection of Sorted Integers"
 * (2016); the code is ours.
 *
 * Reads stay inside a and b: the vector loop runs while four values remain
 * on both sides, and the tails go to the scalar galloping code.  Writes stay
 * inside out[0..min(na, nb)): a full 16-byte store is used only while four
 * more values fit under that bound, otherwise the matches are copied one by
 * one.
 */
#include "intersect.h"

#if defined(__x86_64__)

#include <assert.h>
#include <immintrin.h>

#define TARGET_SSE41 __attribute__((target("sse4.1,popcnt")))

/* pshufb masks moving the lanes set in a 4-bit mask to the front. */
static const uint8_t pack_lanes[16][16] __attribute__((aligned(16))) = {
    {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {4, 5, 6, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 4, 5, 6, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {8, 9, 10, 11, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 8, 9, 10, 11, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {4, 5, 6, 7, 8, 9, 10, 11, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x80, 0x80, 0x80, 0x80},
    {12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {4, 5, 6, 7, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80},
    {8, 9, 10, 11, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80},
    {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
};

TARGET_SSE41
size_t intersect_u32_sse41(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out)
{
    const size_t cap = na < nb ? na : nb;
    size_t i = 0, j = 0, k = 0;
    if (cap == 0)
        return 0; /* a or b may be NULL then: no pointer arithmetic on it */
    if (na >= 4 && nb >= 4) {
        for (;;) {
            __m128i va = _mm_loadu_si128((const __m128i *)(a + i));
            __m128i vb = _mm_loadu_si128((const __m128i *)(b + j));
            __m128i eq = _mm_cmpeq_epi32(va, vb);
            eq = _mm_or_si128(eq, _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(0, 3, 2, 1))));
            eq = _mm_or_si128(eq, _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(1, 0, 3, 2))));
            eq = _mm_or_si128(eq, _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(2, 1, 0, 3))));
            unsigned mask = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq));
            __m128i packed =
                _mm_shuffle_epi8(va, _mm_load_si128((const __m128i *)pack_lanes[mask]));
            unsigned found = (unsigned)__builtin_popcount(mask);
            if (k + 4 <= cap) {
                _mm_storeu_si128((__m128i *)(out + k), packed);
            } else {
                uint32_t lanes[4];
                _mm_storeu_si128((__m128i *)lanes, packed);
                for (unsigned l = 0; l < found; l++)
                    out[k + l] = lanes[l];
            }
            k += found;
            uint32_t a_last = a[i + 3], b_last = b[j + 3];
            i += (size_t)(a_last <= b_last) << 2;
            j += (size_t)(b_last <= a_last) << 2;
            if (i + 4 > na || j + 4 > nb)
                break;
        }
    }
    assert(k <= cap);
    /* The values of a already matched lie in b before j, so the tail cannot
     * find them again. */
    size_t tail = intersect_u32_gallop(a + i, na - i, b + j, nb - j, out + k);
    return k + tail;
}

#else
typedef int intersect_sse41_unused; /* ISO C forbids an empty file */
#endif
