/*
 * AVX2 unpacking of a full block of BITPACK_BLOCK values at widths 1..24,
 * bit-exact with the scalar decoder in bitpack.c (which handles the other
 * widths and is the reference the tests compare against).
 *
 * Eight values at width w take exactly w bytes and start on a byte
 * boundary, so a block is sixteen groups of eight.  For a group, the low
 * 128-bit lane is loaded from the group's first byte (values 0-3) and the
 * high lane from byte floor(4w/8) (values 4-7).  One byte shuffle per lane
 * gathers the four bytes under each value into its 32-bit slot, a variable
 * right shift by (k*w mod 8) drops the bits of the previous value and a
 * mask drops those of the next.  With w <= 24 a value and its shift fit in
 * the 4 gathered bytes (7 + 24 <= 32), and every byte a lane needs lies
 * within 13 of the lane's start.  Widths and shuffles are compile-time
 * constants: each width is its own instantiation of one inline function.
 *
 * Reads stay inside the 16*w bytes of the block: a lane whose 16-byte load
 * would pass the end is loaded from the last 16 bytes instead and its
 * shuffle indices moved up by the difference (a block is at least 16 bytes,
 * and what the lane needs lies between its start and the end).
 */
#include "bitpack.h"

#if defined(__x86_64__)

#include <assert.h>
#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2")))
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Byte b of the four under value k (0..7) of a group, counted from the start
 * of k's lane. */
#define LANE_BYTE(w, k, b) ((char)(((k) * (w)) / 8 - ((k) >= 4 ? (4 * (w)) / 8 : 0) + (b)))
#define VALUE_BYTES(w, k) \
    LANE_BYTE(w, k, 0), LANE_BYTE(w, k, 1), LANE_BYTE(w, k, 2), LANE_BYTE(w, k, 3)

TARGET_AVX2
static ALWAYS_INLINE void unpack_group(const unsigned char *low, const unsigned char *high,
                                       __m256i shuffle, __m256i shifts, __m256i mask,
                                       uint32_t *out)
{
    __m256i v = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)low)),
        _mm_loadu_si128((const __m128i *)high), 1);
    v = _mm256_shuffle_epi8(v, shuffle);
    v = _mm256_srlv_epi32(v, shifts);
    _mm256_storeu_si256((__m256i *)out, _mm256_and_si256(v, mask));
}

TARGET_AVX2
static ALWAYS_INLINE void unpack_block(const unsigned char *in, const unsigned w, uint32_t *out)
{
    const __m256i shuffle = _mm256_setr_epi8(
        VALUE_BYTES(w, 0), VALUE_BYTES(w, 1), VALUE_BYTES(w, 2), VALUE_BYTES(w, 3),
        VALUE_BYTES(w, 4), VALUE_BYTES(w, 5), VALUE_BYTES(w, 6), VALUE_BYTES(w, 7));
    const __m256i shifts = _mm256_setr_epi32(0, (int)(w & 7), (int)(2 * w & 7), (int)(3 * w & 7),
                                             (int)(4 * w & 7), (int)(5 * w & 7), (int)(6 * w & 7),
                                             (int)(7 * w & 7));
    const __m256i mask = _mm256_set1_epi32((int)((1u << w) - 1));
    const unsigned half = 4 * w / 8, block_bytes = 16 * w, last_load = block_bytes - 16;
    /* Groups whose high lane (the later of the two) ends inside the block. */
    const unsigned direct = (block_bytes - 16 - half) / w + 1;
    unsigned g = 0;
    for (; g < direct; g++)
        unpack_group(in + g * w, in + g * w + half, shuffle, shifts, mask, out + 8 * g);
    for (; g < BITPACK_BLOCK / 8; g++) {
        unsigned low = g * w, high = g * w + half;
        unsigned low_at = low < last_load ? low : last_load;
        unsigned high_at = high < last_load ? high : last_load;
        __m256i moved = _mm256_add_epi8(
            shuffle, _mm256_setr_m128i(_mm_set1_epi8((char)(low - low_at)),
                                       _mm_set1_epi8((char)(high - high_at))));
        unpack_group(in + low_at, in + high_at, moved, shifts, mask, out + 8 * g);
    }
}

/* Byte b of the eight under value k (0..7) of a group at a width above 24,
 * counted from the start of k's 128-bit load: loads start at the bytes
 * under values 0, 2, 4 and 6. */
#define WIDE_BYTE(w, k, b) ((char)(((k) * (w)) / 8 - (((k) & ~1) * (w)) / 8 + (b)))
#define WIDE_VALUE_BYTES(w, k)                                                             \
    WIDE_BYTE(w, k, 0), WIDE_BYTE(w, k, 1), WIDE_BYTE(w, k, 2), WIDE_BYTE(w, k, 3),        \
        WIDE_BYTE(w, k, 4), WIDE_BYTE(w, k, 5), WIDE_BYTE(w, k, 6), WIDE_BYTE(w, k, 7)

TARGET_AVX2
static ALWAYS_INLINE void unpack_group_wide(const unsigned char *in, const unsigned at[4],
                                            __m256i shuffle_lo, __m256i shuffle_hi,
                                            __m256i shifts_lo, __m256i shifts_hi, __m256i mask,
                                            uint32_t *out)
{
    __m256i lo = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(in + at[0]))),
        _mm_loadu_si128((const __m128i *)(in + at[1])), 1);
    __m256i hi = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(in + at[2]))),
        _mm_loadu_si128((const __m128i *)(in + at[3])), 1);
    lo = _mm256_srlv_epi64(_mm256_shuffle_epi8(lo, shuffle_lo), shifts_lo);
    hi = _mm256_srlv_epi64(_mm256_shuffle_epi8(hi, shuffle_hi), shifts_hi);
    /* Low dwords: lane 0 holds values 0 1 4 5, lane 1 values 2 3 6 7. */
    __m256i both = _mm256_castps_si256(_mm256_shuffle_ps(
        _mm256_castsi256_ps(lo), _mm256_castsi256_ps(hi), _MM_SHUFFLE(2, 0, 2, 0)));
    both = _mm256_permute4x64_epi64(both, _MM_SHUFFLE(3, 1, 2, 0));
    _mm256_storeu_si256((__m256i *)out, _mm256_and_si256(both, mask));
}

/*
 * Widths 25..31: a value and its shift need up to 38 bits, so each value
 * is gathered into a 64-bit lane, shifted there, and the low halves of the
 * eight lanes are packed back into 32-bit values.  The four loads of a
 * group start at the bytes under values 0, 2, 4 and 6.
 */
TARGET_AVX2
static ALWAYS_INLINE void unpack_block_wide(const unsigned char *in, const unsigned w,
                                            uint32_t *out)
{
    const __m256i shuffle_lo = _mm256_setr_epi8(WIDE_VALUE_BYTES(w, 0), WIDE_VALUE_BYTES(w, 1),
                                                WIDE_VALUE_BYTES(w, 2), WIDE_VALUE_BYTES(w, 3));
    const __m256i shuffle_hi = _mm256_setr_epi8(WIDE_VALUE_BYTES(w, 4), WIDE_VALUE_BYTES(w, 5),
                                                WIDE_VALUE_BYTES(w, 6), WIDE_VALUE_BYTES(w, 7));
    const __m256i shifts_lo = _mm256_setr_epi64x(0, w & 7, 2 * w & 7, 3 * w & 7);
    const __m256i shifts_hi = _mm256_setr_epi64x(4 * w & 7, 5 * w & 7, 6 * w & 7, 7 * w & 7);
    const __m256i mask = _mm256_set1_epi32((int)((1u << w) - 1));
    const unsigned last_load = 16 * w - 16, last_start = 6 * w / 8;
    /* Groups whose last load ends inside the block. */
    const unsigned direct = (16 * w - 16 - last_start) / w + 1;
    unsigned g = 0;
    for (; g < direct; g++) {
        const unsigned at[4] = {g * w, g * w + 2 * w / 8, g * w + 4 * w / 8, g * w + last_start};
        unpack_group_wide(in, at, shuffle_lo, shuffle_hi, shifts_lo, shifts_hi, mask, out + 8 * g);
    }
    for (; g < BITPACK_BLOCK / 8; g++) {
        const unsigned want[4] = {g * w, g * w + 2 * w / 8, g * w + 4 * w / 8, g * w + last_start};
        unsigned at[4];
        for (unsigned l = 0; l < 4; l++)
            at[l] = want[l] < last_load ? want[l] : last_load;
        __m256i moved_lo = _mm256_add_epi8(
            shuffle_lo, _mm256_setr_m128i(_mm_set1_epi8((char)(want[0] - at[0])),
                                          _mm_set1_epi8((char)(want[1] - at[1]))));
        __m256i moved_hi = _mm256_add_epi8(
            shuffle_hi, _mm256_setr_m128i(_mm_set1_epi8((char)(want[2] - at[2])),
                                          _mm_set1_epi8((char)(want[3] - at[3]))));
        unpack_group_wide(in, at, moved_lo, moved_hi, shifts_lo, shifts_hi, mask, out + 8 * g);
    }
}

/* Width 32: the values are stored as they are, little-endian like x86. */
TARGET_AVX2
static void copy_block(const unsigned char *in, uint32_t *out)
{
    for (unsigned i = 0; i < BITPACK_BLOCK; i += 8)
        _mm256_storeu_si256((__m256i *)(out + i),
                            _mm256_loadu_si256((const __m256i *)(in + 4 * i)));
}

#define NARROW_CASE(W)                  \
    case W:                             \
        unpack_block(in, W, out);       \
        break;
#define WIDE_CASE(W)                    \
    case W:                             \
        unpack_block_wide(in, W, out);  \
        break;

TARGET_AVX2
void bitpack_decode_block_avx2(const unsigned char *in, unsigned w, uint32_t *out)
{
    switch (w) {
        NARROW_CASE(1) NARROW_CASE(2) NARROW_CASE(3) NARROW_CASE(4)
        NARROW_CASE(5) NARROW_CASE(6) NARROW_CASE(7) NARROW_CASE(8)
        NARROW_CASE(9) NARROW_CASE(10) NARROW_CASE(11) NARROW_CASE(12)
        NARROW_CASE(13) NARROW_CASE(14) NARROW_CASE(15) NARROW_CASE(16)
        NARROW_CASE(17) NARROW_CASE(18) NARROW_CASE(19) NARROW_CASE(20)
        NARROW_CASE(21) NARROW_CASE(22) NARROW_CASE(23) NARROW_CASE(24)
        WIDE_CASE(25) WIDE_CASE(26) WIDE_CASE(27) WIDE_CASE(28)
        WIDE_CASE(29) WIDE_CASE(30) WIDE_CASE(31)
    case 32:
        copy_block(in, out);
        break;
    default:
        /* Width 0 (all zeros) and bad widths, which the scalar code asserts on. */
        bitpack_decode_block_scalar(in, w, out);
        break;
    }
}

#else
typedef int bitpack_avx2_unused; /* ISO C forbids an empty file */
#endif
