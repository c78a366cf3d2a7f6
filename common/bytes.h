/*
 * Fixed-order integer access and LEB128 varints.  Every integer lpsearch
 * writes to disk is little-endian, whatever the host; these helpers are the
 * only place that knows it.
 *
 * Varint decoders take the end of the readable range and fail (return 0)
 * rather than read past it: bytes from disk are hostile.
 */
#ifndef LPS_BYTES_H
#define LPS_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t load_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)load_le32(p) | ((uint64_t)load_le32(p + 4) << 32);
}

static inline void store_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void store_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline void store_le64(unsigned char *p, uint64_t v)
{
    store_le32(p, (uint32_t)v);
    store_le32(p + 4, (uint32_t)(v >> 32));
}

/* Longest encoding of a 64-bit varint. */
#define VARINT_MAX_BYTES 10

/* Writes v as LEB128 (7 bits per byte, low group first) and returns the byte count. */
static inline size_t varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static inline size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/*
 * Reads one varint from [*p, end).  Returns 1 and advances *p, or 0 when the
 * encoding runs past end or is longer than 64 bits (corrupt input).
 */
static inline int varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    const unsigned char *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; q < end && shift < 64; shift += 7) {
        unsigned char c = *q++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (shift == 63 && c > 1)
                return 0; /* bits beyond 64 */
            *p = q;
            *out = v;
            return 1;
        }
    }
    return 0;
}

/* As varint_get, but the value must also fit in 32 bits. */
static inline int varint_get32(const unsigned char **p, const unsigned char *end, uint32_t *out)
{
    uint64_t v;
    if (!varint_get(p, end, &v) || v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

#endif
