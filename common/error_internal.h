/*
 * Helpers for filling an lps_error from inside the library.
 */
#ifndef LPS_ERROR_INTERNAL_H
#define LPS_ERROR_INTERNAL_H

#include "lpsearch.h"

#if defined(__GNUC__)
#define LPS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LPS_PRINTF(fmt, args)
#endif

/*
 * Records a failure in err (which may be NULL) and returns code, so a caller
 * can write `return lps_error_set(err, LPS_EIO, path, -1, -1, "...")`.
 * line and offset are -1 when they do not apply.
 */
int lps_error_set(lps_error *err, int code, const char *path, long long line,
                  long long offset, const char *fmt, ...) LPS_PRINTF(6, 7);

/* Like lps_error_set, naming an on-disk section instead of a line. */
int lps_error_set_section(lps_error *err, int code, const char *path,
                          const char *section, long long offset,
                          const char *fmt, ...) LPS_PRINTF(6, 7);

#endif
