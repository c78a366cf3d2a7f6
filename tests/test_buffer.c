/*
 * Tests for common/buffer.c, common/json.c and common/error.c: growth and
 * ownership of the byte buffer, its sticky failure flag under injected
 * allocation failures, JSON string escaping, and the formatting of status
 * codes and error records.
 */
#include "test.h"

#include "alloc.h"
#include "buffer.h"
#include "json.h"
#include "lpsearch.h"

/* ---- Helpers ------------------------------------------------------------- */

static int fail_all_allocations(size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    return 1;
}

static void assert_buffer_equals(buffer *b, const char *expected)
{
    size_t len = strlen(expected);
    assert_false(b->failed);
    assert_int_equal(b->len, len);
    assert_true(b->cap > b->len);
    assert_memory_equal(b->data, expected, len);
    assert_string_equal(buffer_cstr(b), expected);
}

/* The JSON text json_append_string writes for s[0..len). */
static void assert_json(const char *s, size_t len, const char *expected)
{
    buffer b = BUFFER_INIT;
    json_append_string(&b, s, len);
    assert_buffer_equals(&b, expected);
    buffer_free(&b);
}

#define ASSERT_JSON(literal, expected) assert_json(literal, sizeof literal - 1, expected)

/* ---- Buffer -------------------------------------------------------------- */

static void test_append(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    assert_string_equal(buffer_cstr(&b), "");
    assert_int_equal(b.len, 0);
    buffer_append(&b, "abc", 3);
    buffer_append(&b, "ignored", 0);
    buffer_append_str(&b, "def");
    buffer_append_byte(&b, 'g');
    buffer_append_byte(&b, '\0'); /* embedded NUL counts in len */
    buffer_append_str(&b, "h");
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "abcdefg\0h", 9);
    assert_false(b.failed);

    /* Growth past the first allocation keeps every byte. */
    for (int i = 0; i < 1000; i++)
        buffer_append_byte(&b, (unsigned char)('a' + i % 26));
    assert_int_equal(b.len, 1009);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(b.data[9 + i], 'a' + i % 26);
    assert_true(b.cap > b.len);
    const char *c = buffer_cstr(&b);
    assert_int_equal(c[1009], '\0');
    assert_int_equal(b.len, 1009); /* the terminator is not counted */
    buffer_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buffer_free(&b); /* twice is harmless */
    buffer_free(NULL);
}

static void test_reserve(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    assert_int_equal(buffer_reserve(&b, 1000), 0);
    assert_true(b.cap >= 1001); /* room for 1000 bytes and buffer_cstr's NUL */
    assert_int_equal(b.len, 0);
    unsigned char *before = b.data;
    size_t cap = b.cap;
    for (int i = 0; i < 1000; i++)
        buffer_append_byte(&b, 'x');
    buffer_cstr(&b);
    assert_ptr_equal(b.data, before); /* reserved room means no reallocation */
    assert_int_equal(b.cap, cap);
    assert_int_equal(buffer_reserve(&b, 0), 0);
    assert_ptr_equal(b.data, before);

    /* A request whose size overflows fails and sets the sticky flag, including
     * SIZE_MAX itself, where len + extra + 1 would wrap back to len. */
    assert_int_equal(buffer_reserve(&b, SIZE_MAX - 1), -1);
    assert_true(b.failed);
    assert_ptr_equal(b.data, before);
    buffer_free(&b);
    buffer empty = BUFFER_INIT;
    assert_int_equal(buffer_reserve(&empty, SIZE_MAX), -1);
    assert_true(empty.failed);
    buffer_free(&empty);
}

static void test_printf(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    buffer_printf(&b, "%d-%s-%c", 42, "x", 'y');
    assert_buffer_equals(&b, "42-x-y");

    /* Longer than the 256-byte stack buffer: formatted straight into the buffer. */
    char word[400];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    buffer_printf(&b, "[%s|%05d]", word, 7);
    char expected[600];
    snprintf(expected, sizeof expected, "42-x-y[%s|%05d]", word, 7);
    assert_buffer_equals(&b, expected);
    assert_int_equal(b.len, 6 + 1 + 399 + 7); /* "42-x-y" "[" word "|00007]" */

    /* Exactly at the stack buffer's edges: 255 and 256 bytes of output. */
    for (size_t n = 254; n <= 258; n++) {
        buffer_reset(&b);
        buffer_append_str(&b, "<");
        buffer_printf(&b, "%.*s", (int)n, word);
        buffer_append_str(&b, ">");
        assert_int_equal(b.len, n + 2);
        assert_int_equal(b.data[0], '<');
        assert_int_equal(b.data[n + 1], '>');
        for (size_t i = 1; i <= n; i++)
            assert_int_equal(b.data[i], 'w');
    }

    /* An empty format appends nothing. */
    buffer_reset(&b);
    buffer_printf(&b, "%s", "");
    assert_int_equal(b.len, 0);
    buffer_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    buffer_append_str(&b, "some text that will be forgotten");
    unsigned char *data = b.data;
    size_t cap = b.cap;
    buffer_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_string_equal(buffer_cstr(&b), "");
    buffer_append_str(&b, "new");
    assert_buffer_equals(&b, "new");
    buffer_free(&b);
}

static void test_detach(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    size_t len = 99;
    assert_null(buffer_detach(&b, &len)); /* nothing allocated yet */
    assert_int_equal(len, 0);

    buffer_append_str(&b, "hello, world");
    unsigned char *data = buffer_detach(&b, &len);
    assert_non_null(data);
    assert_int_equal(len, 12);
    assert_memory_equal(data, "hello, world", 12);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_false(b.failed);

    /* The buffer is reusable and independent of the detached memory. */
    buffer_append_str(&b, "again");
    assert_buffer_equals(&b, "again");
    assert_memory_equal(data, "hello, world", 12);
    lps_free(data);

    unsigned char *again = buffer_detach(&b, NULL);
    assert_memory_equal(again, "again", 5);
    lps_free(again);
    buffer_free(&b);
}

static void test_sticky_failure(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    buffer_append_str(&b, "abc"); /* first allocation: 64 bytes */
    size_t cap = b.cap;
    assert_true(cap > 3 && cap < 1000);

    lps_alloc_set_hook(fail_all_allocations, NULL);
    char big[1000];
    memset(big, 'b', sizeof big);
    buffer_append(&b, big, sizeof big); /* needs to grow: fails */
    assert_true(b.failed);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.cap, cap);
    assert_memory_equal(b.data, "abc", 3); /* what was there survives */

    /* Small appends would fit, but do nothing once failed. */
    buffer_append_byte(&b, 'd');
    buffer_append(&b, "ef", 2);
    buffer_append_str(&b, "gh");
    buffer_printf(&b, "%d", 5);
    assert_int_equal(buffer_reserve(&b, 1), -1);
    lps_alloc_set_hook(NULL, NULL);

    /* Still failed with allocation working again: the flag is sticky. */
    buffer_append_str(&b, "ij");
    buffer_printf(&b, "%s", "kl");
    assert_true(b.failed);
    assert_int_equal(b.len, 3);
    assert_string_equal(buffer_cstr(&b), "");

    /* buffer_reset clears it. */
    buffer_reset(&b);
    assert_false(b.failed);
    buffer_append_str(&b, "fresh");
    assert_buffer_equals(&b, "fresh");
    buffer_free(&b);
}

static void test_failure_paths(void **state)
{
    (void)state;
    /* The very first allocation failing. */
    buffer b = BUFFER_INIT;
    lps_alloc_set_hook(fail_all_allocations, NULL);
    buffer_append_byte(&b, 'a');
    assert_true(b.failed);
    assert_null(b.data);
    assert_string_equal(buffer_cstr(&b), "");
    lps_alloc_set_hook(NULL, NULL);
    buffer_free(&b);
    assert_false(b.failed);

    /* A long printf whose growth fails. */
    buffer_append_str(&b, "x");
    char word[300];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    lps_alloc_set_hook(fail_all_allocations, NULL);
    buffer_printf(&b, "%s", word);
    lps_alloc_set_hook(NULL, NULL);
    assert_true(b.failed);
    assert_int_equal(b.len, 1);

    /* JSON writers share the flag. */
    buffer_reset(&b);
    lps_alloc_set_hook(fail_all_allocations, NULL);
    json_append_string(&b, word, sizeof word - 1);
    lps_alloc_set_hook(NULL, NULL);
    assert_true(b.failed);
    assert_int_equal(b.len, 1); /* the opening quote fit; the rest could not grow */
    buffer_free(&b);
}

/* ---- JSON strings -------------------------------------------------------- */

static void test_json_escapes(void **state)
{
    (void)state;
    ASSERT_JSON("", "\"\"");
    ASSERT_JSON("plain text", "\"plain text\"");
    ASSERT_JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
    ASSERT_JSON("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    ASSERT_JSON("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
    ASSERT_JSON("\x01", "\"\\u0001\"");
    ASSERT_JSON("\x1f|\x08|\x0c|\x1b", "\"\\u001f|\\u0008|\\u000c|\\u001b\"");
    ASSERT_JSON("del\x7f", "\"del\\u007f\"");
    ASSERT_JSON("nul\0byte", "\"nul\\u0000byte\"");
    ASSERT_JSON("/slash/", "\"/slash/\""); /* '/' needs no escape */
}

static void test_json_unicode(void **state)
{
    (void)state;
    /* Plain UTF-8 is written as-is. */
    ASSERT_JSON("caf\xC3\xA9 \xE2\x80\x9C" "curly" "\xE2\x80\x9D \xE4\xB8\xAD \xF0\x9F\x93\x88",
                "\"caf\xC3\xA9 \xE2\x80\x9C" "curly" "\xE2\x80\x9D \xE4\xB8\xAD \xF0\x9F\x93\x88\"");
    /* U+2028 and U+2029 are escaped; their neighbours U+2027 and U+202A are not. */
    ASSERT_JSON("a\xE2\x80\xA8" "b", "\"a\\u2028b\"");
    ASSERT_JSON("\xE2\x80\xA9", "\"\\u2029\"");
    ASSERT_JSON("\xE2\x80\xA7\xE2\x80\xAA", "\"\xE2\x80\xA7\xE2\x80\xAA\"");
    /* A truncated U+2028 at the end is not mistaken for one. */
    ASSERT_JSON("x\xE2\x80", "\"x\xE2\x80\"");
    /* Only len bytes are read. */
    assert_json("abc\"def", 3, "\"abc\"");
    assert_json("\xE2\x80\xA8", 2, "\"\xE2\x80\"");
}

static void test_json_appends(void **state)
{
    (void)state;
    buffer b = BUFFER_INIT;
    buffer_append_str(&b, "{\"a\":");
    json_append_cstr_or_null(&b, NULL);
    buffer_append_str(&b, ",\"b\":");
    json_append_cstr_or_null(&b, "q\"");
    buffer_append_str(&b, ",\"c\":");
    json_append_cstr_or_null(&b, "");
    buffer_append_byte(&b, '}');
    assert_buffer_equals(&b, "{\"a\":null,\"b\":\"q\\\"\",\"c\":\"\"}");
    buffer_free(&b);
}

/* ---- Status codes and error records ------------------------------------- */

static void test_strerror(void **state)
{
    (void)state;
    static const int codes[] = {
        LPS_OK, LPS_ENOMEM, LPS_EIO, LPS_ENOENT, LPS_EINPUT, LPS_EENCODING, LPS_ECORRUPT,
        LPS_EVERSION, LPS_ESYNTAX, LPS_ELIMIT, LPS_ELOCKED, LPS_EARG, LPS_ETOOBIG,
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(codes[i], (int)i); /* the numbers are ABI: never renumbered */
        const char *s = lps_strerror(codes[i]);
        assert_non_null(s);
        assert_true(s[0] != '\0');
        assert_string_not_equal(s, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, lps_strerror(codes[j]));
    }
    assert_string_equal(lps_strerror(-1), "unknown error");
    assert_string_equal(lps_strerror((int)n), "unknown error");
    assert_string_equal(lps_strerror(1000), "unknown error");
}

static lps_error make_error(int code, const char *path, long long line, long long offset,
                            const char *section, const char *message)
{
    lps_error err;
    lps_error_clear(&err);
    err.code = code;
    snprintf(err.path, sizeof err.path, "%s", path);
    err.line = line;
    err.offset = offset;
    snprintf(err.section, sizeof err.section, "%s", section);
    snprintf(err.message, sizeof err.message, "%s", message);
    return err;
}

static void test_error_clear(void **state)
{
    (void)state;
    lps_error err;
    memset(&err, 0x5a, sizeof err);
    lps_error_clear(&err);
    assert_int_equal(err.code, LPS_OK);
    assert_string_equal(err.path, "");
    assert_string_equal(err.section, "");
    assert_string_equal(err.message, "");
    assert_int_equal(err.line, -1);
    assert_int_equal(err.offset, -1);
    lps_error_clear(NULL);
}

static void test_error_format(void **state)
{
    (void)state;
    char buf[2048];
    lps_error err = make_error(LPS_EINPUT, "calls/q1.txt", 12, -1, "", "bad line");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf), "calls/q1.txt: line 12: bad line");
    assert_ptr_equal(lps_error_format(&err, buf, sizeof buf), buf);

    /* A line wins over an offset. */
    err = make_error(LPS_EINPUT, "calls/q1.txt", 3, 40, "", "both");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf), "calls/q1.txt: line 3: both");

    err = make_error(LPS_EINPUT, "blob.txt", -1, 4096, "", "binary file");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf), "blob.txt: byte 4096: binary file");

    err = make_error(LPS_ECORRUPT, "index/seg.lps", -1, 128, "postings", "checksum mismatch");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf),
                        "index/seg.lps: byte 128: section postings: checksum mismatch");

    err = make_error(LPS_ECORRUPT, "index/seg.lps", -1, -1, "header", "");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf),
                        "index/seg.lps: section header: corrupt data");

    /* No path, no position, no message: the status string alone. */
    err = make_error(LPS_ENOMEM, "", -1, -1, "", "");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf), "out of memory");
    err = make_error(LPS_ESYNTAX, "", -1, 7, "", "unbalanced quote");
    assert_string_equal(lps_error_format(&err, buf, sizeof buf), "byte 7: unbalanced quote");

    assert_string_equal(lps_error_format(NULL, buf, sizeof buf), "invalid argument");
}

static void test_error_format_bounds(void **state)
{
    (void)state;
    /* Truncated to bufsize, always terminated, nothing written past it. */
    lps_error err = make_error(LPS_EIO, "file.txt", 5, -1, "", "read error");
    char small[12];
    memset(small, '#', sizeof small);
    lps_error_format(&err, small, 10);
    assert_string_equal(small, "file.txt:");
    assert_int_equal(small[10], '#');
    assert_int_equal(small[11], '#');

    char one = '#';
    assert_ptr_equal(lps_error_format(&err, &one, 1), &one);
    assert_int_equal(one, '\0');
    char untouched = '#';
    lps_error_format(&err, &untouched, 0);
    assert_int_equal(untouched, '#');
    assert_null(lps_error_format(&err, NULL, 10));

    /* The longest path and message the record holds. */
    memset(err.path, 'p', sizeof err.path - 1);
    err.path[sizeof err.path - 1] = '\0';
    memset(err.message, 'm', sizeof err.message - 1);
    err.message[sizeof err.message - 1] = '\0';
    snprintf(err.section, sizeof err.section, "postings");
    char big[4096];
    lps_error_format(&err, big, sizeof big);
    assert_int_equal(strlen(big), 1023 + strlen(": line 5: section postings: ") + 511);
    assert_int_equal(strspn(big, "p"), 1023);
    assert_non_null(strstr(big, ": line 5: section postings: mmm"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_sticky_failure),
        cmocka_unit_test(test_failure_paths),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_unicode),
        cmocka_unit_test(test_json_appends),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_error_clear),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_error_format_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
