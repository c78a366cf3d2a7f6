/*
 * Minimal JSON output helpers: enough to write JSON Lines records correctly
 * escaped.  Input strings are UTF-8; they are written as-is except for the
 * characters JSON requires escaping (quote, backslash, C0 controls) and
 * U+2028/U+2029, which some JavaScript parsers reject in string literals.
 */
#ifndef LPS_JSON_H
#define LPS_JSON_H

#include <stddef.h>

#include "buffer.h"

/* Appends s[0..len) as a quoted JSON string. */
void json_append_string(buffer *out, const char *s, size_t len);
/* Appends a quoted string, or null when s is NULL. */
void json_append_cstr_or_null(buffer *out, const char *s);

#endif
