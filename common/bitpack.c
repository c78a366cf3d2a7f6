/*
 * Scalar bit unpacking, and the choice between it and the AVX2 decoder of
 * bitpack_avx2.c (widths 1..24).  Each width gets its own instantiation of
 * one inline loop so that the shift amounts and word indices are
 * compile-time constants and the 128-value loop can be fully unrolled; the
 * dispatch on w happens once per block, not once per value.
 */
#include "bitpack.h"

#include "bytes.h"

#include <assert.h>
#include <string.h>

unsigned bitpack_width(const uint32_t *values, size_t n)
{
    uint32_t all = 0;
    for (size_t i = 0; i < n; i++)
        all |= values[i];
    unsigned w = 0;
    while (w < 32 && (all >> w) != 0)
        w++;
    return w;
}

void bitpack_encode(const uint32_t *values, size_t n, unsigned w, unsigned char *out)
{
    assert(n <= BITPACK_BLOCK && w <= 32);
    size_t nbytes = bitpack_bytes(n, w);
    memset(out, 0, nbytes);
    uint64_t acc = 0;
    unsigned filled = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        assert(w == 32 || values[i] >> w == 0);
        acc |= (uint64_t)values[i] << filled;
        filled += w;
        while (filled >= 8) {
            out[o++] = (unsigned char)acc;
            acc >>= 8;
            filled -= 8;
        }
    }
    if (filled > 0)
        out[o++] = (unsigned char)acc;
    assert(o == nbytes);
}

static inline void unpack_words(const unsigned char *in, unsigned w, uint32_t *out)
{
    const uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
    for (unsigned i = 0; i < BITPACK_BLOCK; i++) {
        unsigned bit = i * w;
        unsigned word = bit >> 6, shift = bit & 63;
        uint64_t v = load_le64(in + 8 * word) >> shift;
        if (shift + w > 64)
            v |= load_le64(in + 8 * (word + 1)) << (64 - shift);
        out[i] = (uint32_t)(v & mask);
    }
}

#define UNPACK_CASE(W)                 \
    case W:                            \
        unpack_words(in, W, out);      \
        break;

void bitpack_decode_block_scalar(const unsigned char *in, unsigned w, uint32_t *out)
{
    switch (w) {
    case 0:
        memset(out, 0, BITPACK_BLOCK * sizeof *out);
        break;
        UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4)
        UNPACK_CASE(5) UNPACK_CASE(6) UNPACK_CASE(7) UNPACK_CASE(8)
        UNPACK_CASE(9) UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12)
        UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15) UNPACK_CASE(16)
        UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20)
        UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
        UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28)
        UNPACK_CASE(29) UNPACK_CASE(30) UNPACK_CASE(31) UNPACK_CASE(32)
    default:
        assert(!"bitpack width above 32");
    }
}

#if defined(__x86_64__)
/* __builtin_cpu_supports reads a table libgcc fills before main: a load and a
 * test per block, and no lazily set state to race on. */
#define HAVE_AVX2() __builtin_cpu_supports("avx2")
#else
#define HAVE_AVX2() 0
#endif

void bitpack_decode_block(const unsigned char *in, unsigned w, uint32_t *out)
{
#if defined(__x86_64__)
    if (w >= 1 && HAVE_AVX2()) {
        bitpack_decode_block_avx2(in, w, out);
        return;
    }
#endif
    bitpack_decode_block_scalar(in, w, out);
}

const char *bitpack_decode_impl_name(void)
{
    return HAVE_AVX2() ? "avx2" : "scalar";
}

void bitpack_decode(const unsigned char *in, size_t n, unsigned w, uint32_t *out)
{
    assert(n <= BITPACK_BLOCK && w <= 32);
    if (n == BITPACK_BLOCK) {
        bitpack_decode_block(in, w, out);
        return;
    }
    /* 8-byte aligned staging so the word loop can run over a zero-padded copy. */
    uint64_t staged[BITPACK_BLOCK * 32 / 64];
    uint32_t full[BITPACK_BLOCK];
    size_t nbytes = bitpack_bytes(n, w);
    memset(staged, 0, sizeof staged);
    memcpy(staged, in, nbytes);
    bitpack_decode_block((const unsigned char *)staged, w, full);
    memcpy(out, full, n * sizeof *out);
}
