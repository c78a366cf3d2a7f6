#include "json.h"

#include <string.h>

void json_append_string(buffer *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buffer_append_byte(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *escape = NULL;
        char unicode[7];
        if (c == '"')
            escape = "\\\"";
        else if (c == '\\')
            escape = "\\\\";
        else if (c == '\n')
            escape = "\\n";
        else if (c == '\r')
            escape = "\\r";
        else if (c == '\t')
            escape = "\\t";
        else if (c < 0x20 || c == 0x7F) {
            unicode[0] = '\\';
            unicode[1] = 'u';
            unicode[2] = '0';
            unicode[3] = '0';
            unicode[4] = hex[c >> 4];
            unicode[5] = hex[c & 15];
            unicode[6] = '\0';
            escape = unicode;
        } else if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            buffer_append(out, s + run, i - run);
            buffer_append_str(out, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
            run = i + 1;
            continue;
        }
        if (escape) {
            buffer_append(out, s + run, i - run);
            buffer_append_str(out, escape);
            run = i + 1;
        }
    }
    buffer_append(out, s + run, len - run);
    buffer_append_byte(out, '"');
}

void json_append_cstr_or_null(buffer *out, const char *s)
{
    if (s)
        json_append_string(out, s, strlen(s));
    else
        buffer_append_str(out, "null");
}
