#include "buffer.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int buffer_reserve(buffer *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra < b->cap - b->len)
        return 0; /* strictly less: keep one byte for buffer_cstr's NUL */
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    unsigned char *grown = lps_realloc(b->data, cap);
    if (!grown) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

void buffer_append(buffer *b, const void *bytes, size_t len)
{
    if (len == 0 || buffer_reserve(b, len) != 0)
        return;
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

void buffer_append_str(buffer *b, const char *s)
{
    buffer_append(b, s, strlen(s));
}

void buffer_append_byte(buffer *b, unsigned char c)
{
    if (buffer_reserve(b, 1) != 0)
        return;
    b->data[b->len++] = c;
}

void buffer_printf(buffer *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buffer_append(b, small, (size_t)n);
        return;
    }
    if (buffer_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *buffer_cstr(buffer *b)
{
    if (b->failed || buffer_reserve(b, 0) != 0)
        return "";
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

void buffer_reset(buffer *b)
{
    b->len = 0;
    b->failed = 0;
}

void buffer_free(buffer *b)
{
    if (!b)
        return;
    lps_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

unsigned char *buffer_detach(buffer *b, size_t *len)
{
    unsigned char *data = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return data;
}
