/*
 * A strict JSON parser (RFC 8259) for the CLI tests: it rejects anything a
 * lenient reader would let through (trailing commas, leading zeros, bad
 * escapes, lone surrogates, invalid UTF-8, duplicate keys), so the tests
 * prove that lpsearch's JSON output is valid, not just readable.  Every
 * number keeps its double value and, when it has no fraction or exponent,
 * its integer value.
 */
#ifndef LPS_TEST_JSON_H
#define LPS_TEST_JSON_H

#include "test.h"


enum json_type { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct jval {
    enum json_type type;
    int boolean;
    int integral;      /* a number without fraction or exponent */
    long long integer; /* its value when integral */
    double number;     /* the value of any number */
    char *str;         /* decoded UTF-8 of a string, NUL-terminated */
    size_t len;
    struct jval *items; /* array elements or object values */
    char **keys;        /* object keys (decoded) */
    size_t count;
} jval;

typedef struct jparser {
    const char *p, *end;
    int depth;
} jparser;

static inline int parse_value(jparser *ps, jval *v);

static inline void jval_release(jval *v)
{
    free(v->str);
    for (size_t i = 0; i < v->count; i++) {
        jval_release(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static inline void jval_free(jval *v)
{
    if (v) {
        jval_release(v);
        free(v);
    }
}

static inline void skip_ws(jparser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static inline int literal(jparser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return -1;
    ps->p += n;
    return 0;
}

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int parse_number(jparser *ps, jval *v)
{
    const char *start = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || !is_digit(*ps->p))
        return -1;
    if (*ps->p == '0')
        ps->p++;
    else
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    v->integral = 1;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
        v->integral = 0;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
        v->integral = 0;
    }
    v->type = J_NUMBER;
    char digits[64];
    size_t n = (size_t)(ps->p - start);
    if (n >= sizeof digits)
        return -1; /* longer than any number we write (%.17g) */
    memcpy(digits, start, n);
    digits[n] = '\0';
    v->number = strtod(digits, NULL);
    if (v->integral)
        v->integer = strtoll(digits, NULL, 10);
    return 0;
}

static inline int hex4(jparser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return -1;
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        value <<= 4;
        if (c >= '0' && c <= '9')
            value |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            value |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            value |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = value;
    return 0;
}

static inline size_t encode_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 (overlong, surrogate,
 * above U+10FFFF, truncated). */
static inline size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static inline int parse_string(jparser *ps, char **out, size_t *out_len)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return -1;
    ps->p++;
    /* Decoded text is never longer than its escaped form. */
    char *s = malloc((size_t)(ps->end - ps->p) + 1);
    assert_non_null(s);
    size_t n = 0;
    for (;;) {
        if (ps->p >= ps->end)
            goto bad;
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20)
            goto bad;
        if (c >= 0x80) {
            size_t k = utf8_sequence((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
            if (!k)
                goto bad;
            memcpy(s + n, ps->p, k);
            n += k;
            ps->p += k;
            continue;
        }
        ps->p++;
        if (c != '\\') {
            s[n++] = (char)c;
            continue;
        }
        if (ps->p >= ps->end)
            goto bad;
        char e = *ps->p++;
        switch (e) {
        case '"': s[n++] = '"'; break;
        case '\\': s[n++] = '\\'; break;
        case '/': s[n++] = '/'; break;
        case 'b': s[n++] = '\b'; break;
        case 'f': s[n++] = '\f'; break;
        case 'n': s[n++] = '\n'; break;
        case 'r': s[n++] = '\r'; break;
        case 't': s[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(ps, &cp) != 0)
                goto bad;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                goto bad; /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned low;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
                    goto bad;
                ps->p += 2;
                if (hex4(ps, &low) != 0 || low < 0xDC00 || low > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            n += encode_utf8(cp, s + n);
            break;
        }
        default:
            goto bad;
        }
    }
    s[n] = '\0';
    *out = s;
    *out_len = n;
    return 0;
bad:
    free(s);
    return -1;
}

/* Consumes c when it is the next byte. */
static inline int take(jparser *ps, char c)
{
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

/* Adds a zeroed element to an array or object and returns it. */
static inline jval *append_item(jval *v)
{
    jval *grown = realloc(v->items, (v->count + 1) * sizeof *grown);
    assert_non_null(grown);
    v->items = grown;
    memset(&v->items[v->count], 0, sizeof *grown);
    return &v->items[v->count++];
}

/* After an element: 1 when ',' says another follows, 0 when close ends the
 * list, -1 on anything else. */
static inline int after_element(jparser *ps, char close)
{
    skip_ws(ps);
    if (take(ps, ','))
        return 1;
    return take(ps, close) ? 0 : -1;
}

static inline int parse_array(jparser *ps, jval *v)
{
    v->type = J_ARRAY;
    ps->p++; /* '[' */
    skip_ws(ps);
    if (take(ps, ']'))
        return 0;
    int more;
    do {
        if (parse_value(ps, append_item(v)) != 0)
            return -1;
    } while ((more = after_element(ps, ']')) == 1);
    return more;
}

static inline int parse_object(jparser *ps, jval *v)
{
    v->type = J_OBJECT;
    ps->p++; /* '{' */
    skip_ws(ps);
    if (take(ps, '}'))
        return 0;
    int more;
    do {
        skip_ws(ps);
        char *key;
        size_t key_len;
        if (parse_string(ps, &key, &key_len) != 0)
            return -1;
        for (size_t i = 0; i < v->count; i++)
            if (strcmp(v->keys[i], key) == 0) {
                free(key);
                return -1; /* duplicate keys are legal JSON but never right here */
            }
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        assert_non_null(keys);
        v->keys = keys;
        v->keys[v->count] = key;
        jval *value = append_item(v);
        skip_ws(ps);
        if (!take(ps, ':'))
            return -1;
        if (parse_value(ps, value) != 0)
            return -1;
    } while ((more = after_element(ps, '}')) == 1);
    return more;
}

static inline int parse_value(jparser *ps, jval *v)
{
    if (++ps->depth > 64)
        return -1;
    skip_ws(ps);
    int rc = -1;
    if (ps->p < ps->end) {
        switch (*ps->p) {
        case '{': rc = parse_object(ps, v); break;
        case '[': rc = parse_array(ps, v); break;
        case '"':
            v->type = J_STRING;
            rc = parse_string(ps, &v->str, &v->len);
            break;
        case 't':
            v->type = J_BOOL, v->boolean = 1;
            rc = literal(ps, "true");
            break;
        case 'f':
            v->type = J_BOOL;
            rc = literal(ps, "false");
            break;
        case 'n':
            v->type = J_NULL;
            rc = literal(ps, "null");
            break;
        default: rc = parse_number(ps, v); break;
        }
    }
    ps->depth--;
    return rc;
}

/* Parses exactly one JSON value filling text[0..len); NULL if it is not JSON. */
static inline jval *json_parse(const char *text, size_t len)
{
    jparser ps = {text, text + len, 0};
    jval *v = calloc(1, sizeof *v);
    assert_non_null(v);
    if (parse_value(&ps, v) != 0) {
        jval_free(v);
        return NULL;
    }
    skip_ws(&ps);
    if (ps.p != ps.end) {
        jval_free(v);
        return NULL;
    }
    return v;
}

static inline const jval *jget(const jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

/* The member key of obj, failing the test unless it exists with the given type. */
static inline const jval *jreq(const jval *obj, const char *key, enum json_type type)
{
    const jval *v = jget(obj, key);
    if (!v)
        fail_msg("key \"%s\" missing", key);
    if (v->type != type)
        fail_msg("key \"%s\" has type %d, expected %d", key, (int)v->type, (int)type);
    return v;
}

/* An integer member (a number without fraction or exponent). */
static inline long long jreq_int(const jval *obj, const char *key)
{
    const jval *v = jreq(obj, key, J_NUMBER);
    if (!v->integral)
        fail_msg("key \"%s\" is not an integer", key);
    return v->integer;
}

static inline const jval *jreq_string_or_null(const jval *obj, const char *key)
{
    const jval *v = jget(obj, key);
    if (!v)
        fail_msg("key \"%s\" missing", key);
    if (v->type != J_STRING && v->type != J_NULL)
        fail_msg("key \"%s\" is neither a string nor null", key);
    return v;
}

static inline const jval *jreq_int_or_null(const jval *obj, const char *key)
{
    const jval *v = jget(obj, key);
    if (!v)
        fail_msg("key \"%s\" missing", key);
    if (v->type != J_NULL && !(v->type == J_NUMBER && v->integral))
        fail_msg("key \"%s\" is neither an integer nor null", key);
    return v;
}

/* Output split into parsed JSON objects, one per line (JSON Lines); fails
 * the test on a line that is not an object or a last line without '\n'. */
typedef struct json_lines {
    jval **rows;
    size_t count;
} json_lines;

static inline json_lines json_lines_parse(const char *out, size_t len)
{
    json_lines lines = {NULL, 0};
    if (len > 0 && out[len - 1] != '\n')
        fail_msg("output does not end with a newline");
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(out + pos, '\n', len - pos);
        size_t end = (size_t)(nl - out);
        jval *v = json_parse(out + pos, end - pos);
        if (!v)
            fail_msg("line %zu is not valid JSON: %.*s", lines.count + 1,
                     (int)(end - pos > 300 ? 300 : end - pos), out + pos);
        if (v->type != J_OBJECT)
            fail_msg("line %zu is not a JSON object", lines.count + 1);
        lines.rows = realloc(lines.rows, (lines.count + 1) * sizeof *lines.rows);
        assert_non_null(lines.rows);
        lines.rows[lines.count++] = v;
        pos = end + 1;
    }
    return lines;
}

static inline void json_lines_free(json_lines *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        jval_free(lines->rows[i]);
    free(lines->rows);
    lines->rows = NULL;
    lines->count = 0;
}

#endif
