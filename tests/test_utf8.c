/*
 * Tests for common/utf8.c: valid sequences of every length, each class of
 * ill-formed input (overlong, surrogate, beyond U+10FFFF, truncated, stray
 * bytes) and the maximal-subpart rule that decides how many U+FFFD a repair
 * writes; then a round trip over every scalar value.
 */
#include "test.h"

#include "alloc.h"
#include "buffer.h"
#include "utf8.h"

/* ---- Helpers ------------------------------------------------------------- */

/* Decodes the first code point of the bytes and checks value and length. */
static void expect_decode(const char *bytes, size_t len, int32_t want_cp, size_t want_len)
{
    int32_t cp = 12345;
    size_t n = utf8_decode((const unsigned char *)bytes, len, &cp);
    if (cp != want_cp || n != want_len)
        fail_msg("decode of %zu bytes: got cp %ld len %zu, want cp %ld len %zu", len, (long)cp, n,
                 (long)want_cp, want_len);
}

/* Splits bytes into the lengths utf8_decode consumes, e.g. "1,1,3". */
static void expect_subparts(const char *bytes, size_t len, const char *want)
{
    char got[256] = "";
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        size_t n = utf8_decode((const unsigned char *)bytes + i, len - i, &cp);
        assert_true(n >= 1 && n <= 4 && n <= len - i);
        char part[16];
        snprintf(part, sizeof part, "%s%zu%s", got[0] ? "," : "", n, cp < 0 ? "!" : "");
        strncat(got, part, sizeof got - strlen(got) - 1);
        i += n;
    }
    assert_string_equal(got, want);
}

/* Repairs bytes and checks the output and the replacement count. */
static void expect_repair(const char *bytes, size_t len, const char *want, size_t want_replaced)
{
    buffer out = BUFFER_INIT;
    size_t replaced = utf8_repair((const unsigned char *)bytes, len, &out);
    assert_false(out.failed);
    assert_int_equal(replaced, want_replaced);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data ? (const char *)out.data : "", want, out.len);
    assert_int_equal(utf8_first_invalid(out.data, out.len), out.len);
    buffer_free(&out);
}

/* ---- Decoding ------------------------------------------------------------ */

static void test_decode_valid(void **state)
{
    (void)state;
    expect_decode("A", 1, 'A', 1);
    expect_decode("\x00", 1, 0, 1);
    expect_decode("\x7F", 1, 0x7F, 1);
    expect_decode("\xC2\x80", 2, 0x80, 2);
    expect_decode("\xC3\xA9", 2, 0xE9, 2); /* é */
    expect_decode("\xDF\xBF", 2, 0x7FF, 2);
    expect_decode("\xE0\xA0\x80", 3, 0x800, 3);
    expect_decode("\xE2\x80\x99", 3, 0x2019, 3); /* ’ */
    expect_decode("\xED\x9F\xBF", 3, 0xD7FF, 3); /* last before the surrogates */
    expect_decode("\xEE\x80\x80", 3, 0xE000, 3); /* first after them */
    expect_decode("\xEF\xBF\xBD", 3, 0xFFFD, 3);
    expect_decode("\xEF\xBF\xBF", 3, 0xFFFF, 3);
    expect_decode("\xF0\x90\x80\x80", 4, 0x10000, 4);
    expect_decode("\xF0\x9F\x98\x80", 4, 0x1F600, 4);
    expect_decode("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, 4);
    /* Only the first code point is consumed. */
    expect_decode("\xC3\xA9x", 3, 0xE9, 2);
}

static void test_decode_overlong(void **state)
{
    (void)state;
    expect_decode("\xC0\x80", 2, -1, 1); /* overlong NUL: C0 never starts a sequence */
    expect_decode("\xC1\xBF", 2, -1, 1);
    expect_decode("\xE0\x80\x80", 3, -1, 1); /* E0 needs A0..BF next */
    expect_decode("\xE0\x9F\xBF", 3, -1, 1);
    expect_decode("\xF0\x80\x80\x80", 4, -1, 1); /* F0 needs 90..BF next */
    expect_decode("\xF0\x8F\xBF\xBF", 4, -1, 1);
    expect_subparts("\xC0\x80", 2, "1!,1!");
    expect_subparts("\xE0\x80\x80", 3, "1!,1!,1!");
}

static void test_decode_surrogate(void **state)
{
    (void)state;
    expect_decode("\xED\xA0\x80", 3, -1, 1); /* U+D800: ED needs 80..9F next */
    expect_decode("\xED\xBF\xBF", 3, -1, 1); /* U+DFFF */
    expect_subparts("\xED\xA0\x80", 3, "1!,1!,1!");
    /* CESU-8 style surrogate pair: six separate subparts. */
    expect_subparts("\xED\xA0\xBD\xED\xB8\x80", 6, "1!,1!,1!,1!,1!,1!");
}

static void test_decode_beyond_max(void **state)
{
    (void)state;
    expect_decode("\xF4\x90\x80\x80", 4, -1, 1); /* U+110000: F4 needs 80..8F next */
    expect_subparts("\xF4\x90\x80\x80", 4, "1!,1!,1!,1!");
    for (unsigned b = 0xF5; b <= 0xFF; b++) {
        char s[4] = {(char)b, '\x80', '\x80', '\x80'};
        expect_decode(s, 4, -1, 1);
    }
}

static void test_decode_truncated(void **state)
{
    (void)state;
    /* A valid prefix cut short is one subpart, however long it is. */
    expect_decode("\xC3", 1, -1, 1);
    expect_decode("\xE2\x80", 2, -1, 2);
    expect_decode("\xF0\x9F\x98", 3, -1, 3);
    expect_decode("\xF0\x9F", 2, -1, 2);
    /* Cut short by a byte that cannot continue it: the subpart ends there. */
    expect_decode("\xE2\x80x", 3, -1, 2);
    expect_decode("\xF0\x9F\x98x", 4, -1, 3);
    expect_decode("\xC3\xC3\xA9", 3, -1, 1);
    expect_subparts("\xE2\x80" "A" "\xF0\x9F\x98\x80", 7, "2!,1,4");
    expect_subparts("\xF0\x9F\x98\xF0\x9F\x98\x80", 7, "3!,4");
}

static void test_decode_stray_continuation(void **state)
{
    (void)state;
    expect_decode("\x80", 1, -1, 1);
    expect_decode("\xBF", 1, -1, 1);
    expect_subparts("\x80\x80\x80", 3, "1!,1!,1!");
    expect_subparts("\xC3\xA9\xA9", 3, "2,1!");
}

/* ---- Repair and first_invalid -------------------------------------------- */

static void test_repair_maximal_subparts(void **state)
{
    (void)state;
    expect_repair("", 0, "", 0);
    expect_repair("plain ascii", 11, "plain ascii", 0);
    expect_repair("caf\xC3\xA9", 5, "caf\xC3\xA9", 0);
    expect_repair("a\xF0\x9F\x98", 4, "a\xEF\xBF\xBD", 1);
    expect_repair("\xE0\x80\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3);
    expect_repair("\xC0\x80", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", 2);
    expect_repair("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3);
    expect_repair("\xF4\x90\x80\x80", 4,
                  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 4);
    expect_repair("x\xE2\x80y", 4, "x\xEF\xBF\xBDy", 1);
    expect_repair("\xFF" "ab" "\xFE", 4, "\xEF\xBF\xBD" "ab" "\xEF\xBF\xBD", 2);
    /* The example of the Unicode standard, section 3.9 (U+FFFD substitution
     * of maximal subparts): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64. */
    expect_repair("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
                  "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d",
                  6);
}

static void test_repair_appends(void **state)
{
    (void)state;
    buffer out = BUFFER_INIT;
    buffer_append_str(&out, "kept:");
    assert_int_equal(utf8_repair((const unsigned char *)"\x80z", 2, &out), 1);
    assert_string_equal(buffer_cstr(&out), "kept:\xEF\xBF\xBDz");
    buffer_free(&out);
}

static int fail_always(size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    return 1;
}

static void test_repair_out_of_memory(void **state)
{
    (void)state;
    buffer out = BUFFER_INIT;
    lps_alloc_set_hook(fail_always, NULL);
    size_t replaced = utf8_repair((const unsigned char *)"a\xFF" "b", 3, &out);
    lps_alloc_set_hook(NULL, NULL);
    assert_int_equal(replaced, 1); /* counted even though nothing was stored */
    assert_true(out.failed);
    buffer_free(&out);
}

static void test_first_invalid(void **state)
{
    (void)state;
    const unsigned char *s = (const unsigned char *)"ab\xC3\xA9" "cd\xE2\x80" "e";
    assert_int_equal(utf8_first_invalid(s, 9), 6);
    assert_int_equal(utf8_first_invalid(s, 6), 6);
    assert_int_equal(utf8_first_invalid(s, 3), 2); /* a cut sequence is invalid */
    assert_int_equal(utf8_first_invalid(s, 0), 0);
    assert_int_equal(utf8_first_invalid((const unsigned char *)"\xED\xA0\x80", 3), 0);
}

/* ---- Round trip ---------------------------------------------------------- */

static void test_round_trip_all_scalars(void **state)
{
    (void)state;
    for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp == 0xD800)
            cp = 0xE000;
        unsigned char bytes[4];
        size_t n = utf8_encode(cp, bytes);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n != want)
            fail_msg("U+%04lX encodes to %zu bytes, want %zu", (long)cp, n, want);
        int32_t back = -2;
        size_t used = utf8_decode(bytes, n, &back);
        if (used != n || back != cp)
            fail_msg("U+%04lX decodes back to %ld (%zu bytes)", (long)cp, (long)back, used);
        /* Every proper prefix of a multi-byte sequence is one truncated
         * subpart. */
        for (size_t cut = 1; cut < n; cut++) {
            used = utf8_decode(bytes, cut, &back);
            if (used != cut || back != -1)
                fail_msg("U+%04lX cut to %zu bytes: consumed %zu, cp %ld", (long)cp, cut, used,
                         (long)back);
        }
    }
}

/* Every 2-byte pattern decodes consistently with the standard's table of
 * well-formed sequences: a check of the decoder against a brute-force rule. */
static void test_all_two_byte_prefixes(void **state)
{
    (void)state;
    for (unsigned b0 = 0x80; b0 <= 0xFF; b0++) {
        for (unsigned b1 = 0; b1 <= 0xFF; b1++) {
            unsigned char s[2] = {(unsigned char)b0, (unsigned char)b1};
            int32_t cp;
            size_t n = utf8_decode(s, 2, &cp);
            unsigned lo = 0x80, hi = 0xBF;
            int lead = (b0 >= 0xC2 && b0 <= 0xF4);
            if (b0 == 0xE0)
                lo = 0xA0;
            else if (b0 == 0xED)
                hi = 0x9F;
            else if (b0 == 0xF0)
                lo = 0x90;
            else if (b0 == 0xF4)
                hi = 0x8F;
            int second_ok = lead && b1 >= lo && b1 <= hi;
            if (!second_ok) {
                assert_int_equal(n, 1);
                assert_int_equal(cp, -1);
            } else if (b0 <= 0xDF) {
                assert_int_equal(n, 2);
                assert_int_equal(cp, (int32_t)(((b0 & 0x1F) << 6) | (b1 & 0x3F)));
            } else {
                assert_int_equal(n, 2); /* valid prefix, cut short */
                assert_int_equal(cp, -1);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_overlong),
        cmocka_unit_test(test_decode_surrogate),
        cmocka_unit_test(test_decode_beyond_max),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_stray_continuation),
        cmocka_unit_test(test_repair_maximal_subparts),
        cmocka_unit_test(test_repair_appends),
        cmocka_unit_test(test_repair_out_of_memory),
        cmocka_unit_test(test_first_invalid),
        cmocka_unit_test(test_round_trip_all_scalars),
        cmocka_unit_test(test_all_two_byte_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
