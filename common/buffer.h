/*
 * A growable byte buffer with a sticky out-of-memory flag: appends after a
 * failed growth do nothing, so long builders check once at the end
 * (buffer_failed) instead of after every append.
 */
#ifndef LPS_BUFFER_H
#define LPS_BUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct buffer {
    unsigned char *data; /* owned; NUL-terminated after buffer_cstr */
    size_t len;
    size_t cap;
    int failed; /* set once an allocation failed; cleared by buffer_reset */
} buffer;

#define BUFFER_INIT {NULL, 0, 0, 0}

/* Ensures room for extra more bytes; returns 0 or -1 (and sets failed). */
int buffer_reserve(buffer *b, size_t extra);
void buffer_append(buffer *b, const void *bytes, size_t len);
void buffer_append_str(buffer *b, const char *s);
void buffer_append_byte(buffer *b, unsigned char c);
/* Appends printf-formatted text. */
void buffer_printf(buffer *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Returns the contents as a NUL-terminated string (not counted in len);
 * "" when empty or failed.  Valid until the next append or free. */
const char *buffer_cstr(buffer *b);
/* Empties the buffer, keeping its memory. */
void buffer_reset(buffer *b);
void buffer_free(buffer *b);
/* Hands the contents to the caller (free with lps_free) and empties b. */
unsigned char *buffer_detach(buffer *b, size_t *len);

#endif
