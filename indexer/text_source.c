#include "text_source.h"

#include "alloc.h"
#include "buffer.h"
#include "error_internal.h"
#include "utf8.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void warning_list_add(warning_list *list, long long line, long long offset,
                      const char *fmt, ...)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        transcript_warning *grown = lps_realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return;
        list->items = grown;
        list->cap = cap;
    }
    transcript_warning *w = &list->items[list->count++];
    w->line = line;
    w->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
}

void warning_list_free(warning_list *list)
{
    if (!list)
        return;
    lps_free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

int text_source_load(const char *path, unsigned char **bytes, size_t *len, lps_error *err)
{
    *bytes = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int code = (errno == ENOENT || errno == ENOTDIR) ? LPS_ENOENT : LPS_EIO;
        return lps_error_set(err, code, path, -1, -1, "cannot open: %s", strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "is a directory, not a transcript file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return lps_error_set(err, LPS_EINPUT, path, -1, -1,
                             "not a regular file (device, pipe or socket)");
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if ((unsigned long long)st.st_size > TRANSCRIPT_MAX_BYTES) {
        close(fd);
        return lps_error_set(err, LPS_ETOOBIG, path, -1, -1,
                             "file is %lld bytes; transcripts larger than %zu MiB are refused",
                             (long long)st.st_size, TRANSCRIPT_MAX_BYTES >> 20);
    }
    /* Read until EOF rather than trusting st_size: the file may change under us. */
    buffer b = BUFFER_INIT;
    buffer_reserve(&b, (size_t)st.st_size + 1);
    for (;;) {
        if (buffer_reserve(&b, 65536) != 0) {
            close(fd);
            buffer_free(&b);
            return lps_error_set(err, LPS_ENOMEM, path, -1, -1, "out of memory reading file");
        }
        ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            buffer_free(&b);
            return lps_error_set(err, LPS_EIO, path, -1, (long long)b.len,
                                 "read error: %s", strerror(e));
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > TRANSCRIPT_MAX_BYTES) {
            close(fd);
            buffer_free(&b);
            return lps_error_set(err, LPS_ETOOBIG, path, -1, -1,
                                 "file grew past %zu MiB while being read",
                                 TRANSCRIPT_MAX_BYTES >> 20);
        }
    }
    close(fd);
    *bytes = buffer_detach(&b, len);
    return LPS_OK;
}

/* Bytes that never occur in text: C0 controls other than tab, LF, VT, FF, CR, and DEL is allowed. */
static int is_binary_control(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1B;
}

/*
 * A file is refused as binary when its start is not plausibly text: more
 * than 1% control bytes or more than 10% invalid UTF-8 in the first 64 KiB.
 * A few stray bad bytes in real text are repaired instead, with a warning.
 */
static int looks_binary(const unsigned char *s, size_t len, size_t *first_bad)
{
    size_t sample = len < 65536 ? len : 65536;
    size_t controls = 0, invalid = 0, i = 0;
    *first_bad = (size_t)-1;
    while (i < sample) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (is_binary_control(c)) {
                controls++;
                if (*first_bad == (size_t)-1)
                    *first_bad = i;
            }
            i++;
            continue;
        }
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0) {
            invalid += n;
            if (*first_bad == (size_t)-1)
                *first_bad = i;
        }
        i += n;
    }
    return controls * 100 > sample || invalid * 10 > sample;
}

static int is_blank_text(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f' &&
            s[i] != '\v')
            return 0;
    return 1;
}

int text_source_normalize(const char *name, const unsigned char *raw, size_t len,
                          char **text, size_t *text_len, warning_list *warnings,
                          lps_error *err)
{
    *text = NULL;
    *text_len = 0;
    if (len >= 2 && ((raw[0] == 0xFF && raw[1] == 0xFE) || (raw[0] == 0xFE && raw[1] == 0xFF)))
        return lps_error_set(err, LPS_EINPUT, name, -1, 0,
                             "UTF-16 or UTF-32 text (byte-order mark); convert it to UTF-8");
    size_t start = 0;
    if (len >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF)
        start = 3; /* a UTF-8 BOM carries no content */
    if (len == start)
        return lps_error_set(err, LPS_EINPUT, name, -1, -1, "empty file");
    size_t first_bad;
    if (looks_binary(raw + start, len - start, &first_bad))
        return lps_error_set(err, LPS_EINPUT, name, -1, (long long)(start + first_bad),
                             "binary file, not a text transcript (first non-text byte at offset %zu)",
                             start + first_bad);
    if (is_blank_text(raw + start, len - start))
        return lps_error_set(err, LPS_EINPUT, name, -1, -1, "file holds only whitespace");

    buffer out = BUFFER_INIT;
    buffer_reserve(&out, len - start);
    long long line = 1;
    size_t controls = 0, invalid = 0;
    size_t i = start, run = start;
    /* One pass: CRLF and lone CR become LF, control bytes go, invalid UTF-8 becomes U+FFFD. */
    while (i < len) {
        unsigned char c = raw[i];
        if (c >= 0x20 && c < 0x80) {
            i++;
            continue;
        }
        if (c == '\n' || c == '\t') {
            if (c == '\n')
                line++;
            i++;
            continue;
        }
        buffer_append(&out, raw + run, i - run);
        if (c == '\r') {
            buffer_append_byte(&out, '\n');
            line++;
            i += (i + 1 < len && raw[i + 1] == '\n') ? 2 : 1;
        } else if (c < 0x80) {
            if (c == '\f' || c == '\v')
                buffer_append_byte(&out, ' ');
            else {
                if (controls++ == 0)
                    warning_list_add(warnings, line, (long long)i,
                                     "control byte 0x%02X removed%s", c,
                                     c == 0 ? " (NUL)" : "");
            }
            i++;
        } else {
            int32_t cp;
            size_t n = utf8_decode(raw + i, len - i, &cp);
            if (cp < 0) {
                if (invalid++ == 0)
                    warning_list_add(warnings, line, (long long)i,
                                     "invalid UTF-8 byte 0x%02X replaced by U+FFFD", c);
                buffer_append_str(&out, "\xEF\xBF\xBD");
            } else {
                buffer_append(&out, raw + i, n);
            }
            i += n;
        }
        run = i;
    }
    buffer_append(&out, raw + run, len - run);
    if (controls > 1)
        warning_list_add(warnings, -1, -1, "%zu control bytes removed in all", controls);
    if (invalid > 1)
        warning_list_add(warnings, -1, -1, "%zu invalid UTF-8 sequences replaced in all", invalid);
    buffer_cstr(&out);
    if (out.failed) {
        buffer_free(&out);
        return lps_error_set(err, LPS_ENOMEM, name, -1, -1, "out of memory normalizing text");
    }
    *text = (char *)buffer_detach(&out, text_len);
    assert(utf8_first_invalid((const unsigned char *)*text, *text_len) == *text_len);
    return LPS_OK;
}
