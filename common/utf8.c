#include "utf8.h"

#include <assert.h>

/*
 * Table 3-7 of the Unicode standard: the valid ranges of the second byte
 * depend on the first, which is how overlongs and surrogates are rejected
 * without decoding them first.
 */
size_t utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    assert(len >= 1);
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    int32_t value;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        value = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        value = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        value = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        *cp = -1;
        return 1;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi) {
            *cp = -1;
            return i; /* the maximal ill-formed subpart ends before s[i] */
        }
        value = (value << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = value;
    return i;
}

size_t utf8_encode(int32_t cp, unsigned char out[4])
{
    assert(cp >= 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t utf8_first_invalid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0)
            return i;
        i += n;
    }
    return len;
}

size_t utf8_repair(const unsigned char *s, size_t len, buffer *out)
{
    static const unsigned char replacement[3] = {0xEF, 0xBF, 0xBD};
    size_t replaced = 0, run = 0, i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0) {
            buffer_append(out, s + run, i - run);
            buffer_append(out, replacement, sizeof replacement);
            replaced++;
            run = i + n;
        }
        i += n;
    }
    buffer_append(out, s + run, len - run);
    return replaced;
}
