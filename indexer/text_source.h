/*
 * From raw file bytes to clean text: the first stage of reading a transcript.
 * The result is valid UTF-8 with LF line ends, no byte-order mark and no NUL
 * or other C0 control bytes except tab and newline, so every later stage can
 * rely on that.  Repairs are reported as warnings, refusals as errors.
 */
#ifndef LPS_TEXT_SOURCE_H
#define LPS_TEXT_SOURCE_H

#include <stddef.h>

#include "transcript.h"

typedef struct warning_list {
    transcript_warning *items;
    size_t count, cap;
} warning_list;

/* Appends a warning; silently drops it on allocation failure (warnings are advisory). */
void warning_list_add(warning_list *list, long long line, long long offset,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void warning_list_free(warning_list *list);

/*
 * Reads the whole file at path into a new buffer (free with lps_free).
 * Errors: LPS_ENOENT (missing), LPS_EIO (unreadable, a directory, read
 * error), LPS_ETOOBIG (over TRANSCRIPT_MAX_BYTES), LPS_ENOMEM.
 */
int text_source_load(const char *path, unsigned char **bytes, size_t *len, lps_error *err);

/*
 * Normalizes raw[0..len) into *text (NUL-terminated, free with lps_free) of
 * *text_len bytes.  name labels errors and warnings.  Errors: LPS_EINPUT for
 * empty, whitespace-only, binary or UTF-16/32 input; LPS_ENOMEM.  Line
 * numbering is preserved: line n of the result is line n of the input.
 */
int text_source_normalize(const char *name, const unsigned char *raw, size_t len,
                          char **text, size_t *text_len, warning_list *warnings,
                          lps_error *err);

#endif
