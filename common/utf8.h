/*
 * UTF-8 decoding and repair.  Decoding follows the Unicode "maximal subpart"
 * rule: an invalid sequence is consumed one maximal ill-formed subpart at a
 * time, and each subpart becomes one U+FFFD on repair, as browsers and
 * Python's "replace" error handler do.  Surrogates (U+D800..DFFF), overlong
 * forms and values above U+10FFFF are invalid.
 */
#ifndef LPS_UTF8_H
#define LPS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

#define UTF8_REPLACEMENT 0xFFFD

/*
 * Decodes the code point at s[0..len), len >= 1.  Returns the number of
 * bytes consumed (1..4, never more than len).  *cp receives the code point,
 * or -1 when the bytes consumed are an ill-formed subpart.
 */
size_t utf8_decode(const unsigned char *s, size_t len, int32_t *cp);

/* Encodes cp (a valid scalar value) into out; returns 1..4. */
size_t utf8_encode(int32_t cp, unsigned char out[4]);

/* Returns the offset of the first invalid byte in s[0..len), or len. */
size_t utf8_first_invalid(const unsigned char *s, size_t len);

/*
 * Appends s[0..len) to out with every ill-formed subpart replaced by U+FFFD.
 * Returns the number of replacements.  out->failed reports allocation
 * failure.
 */
size_t utf8_repair(const unsigned char *s, size_t len, buffer *out);

#endif
