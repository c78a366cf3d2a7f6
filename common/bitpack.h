/*
 * Bit packing of unsigned 32-bit integers, the codec under postings and
 * positions.
 *
 * A packed run of n values at width w (0..32) is ceil(n*w/8) bytes: value i
 * occupies bits [i*w, i*w+w) of the run read as a little-endian bit stream
 * (bit 0 is the low bit of byte 0).  A full block of BITPACK_BLOCK values is
 * exactly 16*w bytes, so the full-block decoder reads whole 64-bit words and
 * never over-reads; partial runs are staged through a local buffer.
 *
 * Callers provide the buffers: the encoder writes exactly bitpack_bytes(n, w)
 * bytes; decoders write n values.  No padding is required on either side.
 */
#ifndef LPS_BITPACK_H
#define LPS_BITPACK_H

#include <stddef.h>
#include <stdint.h>

#define BITPACK_BLOCK 128

/* Bytes taken by n values packed at width w. */
static inline size_t bitpack_bytes(size_t n, unsigned w)
{
    return (n * w + 7) / 8;
}

/* The smallest width that holds every one of the n values (0 when all are 0). */
unsigned bitpack_width(const uint32_t *values, size_t n);

/* Packs n <= BITPACK_BLOCK values, each < 2^w, into out. */
void bitpack_encode(const uint32_t *values, size_t n, unsigned w, unsigned char *out);

/* Unpacks a full block of BITPACK_BLOCK values from 16*w bytes.  Reads
 * exactly those bytes and writes exactly BITPACK_BLOCK values; uses the
 * AVX2 decoder for widths 1..24 when the CPU has AVX2. */
void bitpack_decode_block(const unsigned char *in, unsigned w, uint32_t *out);

/* The same contract, one implementation each, for tests and benchmarks. */
void bitpack_decode_block_scalar(const unsigned char *in, unsigned w, uint32_t *out);
#if defined(__x86_64__)
/* Only when the CPU has AVX2 (bitpack_decode_impl_name() says "avx2");
 * every width 0..32, the ones it does not vectorize through the scalar code. */
void bitpack_decode_block_avx2(const unsigned char *in, unsigned w, uint32_t *out);
#endif
/* "avx2" or "scalar": what bitpack_decode_block uses on this CPU. */
const char *bitpack_decode_impl_name(void);

/* Unpacks n <= BITPACK_BLOCK values from bitpack_bytes(n, w) bytes. */
void bitpack_decode(const unsigned char *in, size_t n, unsigned w, uint32_t *out);

#endif
