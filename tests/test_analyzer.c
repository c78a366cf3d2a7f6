/*
 * Tests for common/analyzer.c: one test per rule (token characters, case
 * folding, diacritics, the in-token combining marks, digits, apostrophes,
 * hyphens, CJK, private use, invalid bytes), byte offsets and positions, the
 * term length cap, stemming, analyzer_fold_term, argument checking, and
 * allocation failure.  Properties over every code point and over random
 * bytes check the invariants that callers rely on.  Agreement with SQLite
 * FTS5 itself is tested in test_analyzer_fts5.c.
 */
#include "test.h"

#include "alloc.h"
#include "analyzer.h"
#include "lpsearch.h"
#include "utf8.h"

#include <utf8proc.h>

/* ---- Helpers ------------------------------------------------------------- */

static int setup_plain(void **state)
{
    analyzer *a = NULL;
    if (analyzer_create(&a, 0) != LPS_OK)
        return -1;
    *state = a;
    return 0;
}

static int setup_stemming(void **state)
{
    analyzer *a = NULL;
    if (analyzer_create(&a, ANALYZER_STEM_ENGLISH) != LPS_OK)
        return -1;
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    analyzer_free(*state);
    return 0;
}

/*
 * What every result must satisfy: positions 0..count-1, byte ranges in
 * order, inside the text, non-empty and made of valid UTF-8; terms
 * NUL-terminated, 1..ANALYZER_MAX_TOKEN_BYTES long, valid UTF-8.
 */
static void check_invariants(const char *text, size_t len, const analyzer_result *r)
{
    assert_non_null(r->terms);
    size_t previous_end = 0;
    for (size_t k = 0; k < r->count; k++) {
        const analyzer_token *t = &r->tokens[k];
        assert_int_equal(t->position, k);
        assert_true(t->start >= previous_end);
        assert_true(t->start < t->end);
        assert_true(t->end <= len);
        assert_int_equal(utf8_first_invalid((const unsigned char *)text + t->start, t->end - t->start),
                         t->end - t->start);
        const char *term = r->terms + t->term_off;
        assert_true(t->term_len >= 1 && t->term_len <= ANALYZER_MAX_TOKEN_BYTES);
        assert_int_equal(strlen(term), t->term_len);
        assert_int_equal(utf8_first_invalid((const unsigned char *)term, t->term_len), t->term_len);
        previous_end = t->end;
    }
}

/* Tokenizes text[0..len), checks the invariants and returns the terms
 * joined by '|' (never a term character).  Valid until the next call. */
static const char *joined_terms(analyzer *a, const char *text, size_t len, analyzer_result *r)
{
    static char joined[8192];
    assert_int_equal(analyzer_tokenize(a, text, len, r), LPS_OK);
    check_invariants(text, len, r);
    joined[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < r->count; k++) {
        int n = snprintf(joined + used, sizeof joined - used, "%s%s", k ? "|" : "",
                         r->terms + r->tokens[k].term_off);
        assert_true(n >= 0 && (size_t)n < sizeof joined - used);
        used += (size_t)n;
    }
    return joined;
}

static void expect_terms_n(analyzer *a, const char *text, size_t len, const char *want)
{
    analyzer_result r;
    const char *got = joined_terms(a, text, len, &r);
    if (strcmp(got, want) != 0)
        fail_msg("terms of \"%.*s\": got \"%s\", want \"%s\"", (int)len, text, got, want);
}

#define expect_terms(a, text, want) expect_terms_n((a), (text), strlen(text), (want))

/* Checks that the tokens of text cover exactly the '|'-separated source
 * substrings in want, in order. */
static void expect_spans(analyzer *a, const char *text, const char *want)
{
    analyzer_result r;
    joined_terms(a, text, strlen(text), &r);
    char got[4096] = "";
    size_t used = 0;
    for (size_t k = 0; k < r.count; k++) {
        const analyzer_token *t = &r.tokens[k];
        int n = snprintf(got + used, sizeof got - used, "%s%.*s", k ? "|" : "",
                         (int)(t->end - t->start), text + t->start);
        assert_true(n >= 0 && (size_t)n < sizeof got - used);
        used += (size_t)n;
    }
    if (strcmp(got, want) != 0)
        fail_msg("spans of \"%s\": got \"%s\", want \"%s\"", text, got, want);
}

/* ---- Creation and arguments ---------------------------------------------- */

static void test_create_and_flags(void **state)
{
    (void)state;
    static char sentinel;
    analyzer *a = (analyzer *)(void *)&sentinel; /* must be overwritten */
    assert_int_equal(analyzer_create(&a, 0x2u), LPS_EARG);
    assert_null(a);
    assert_int_equal(analyzer_create(NULL, 0), LPS_EARG);
    assert_int_equal(analyzer_create(&a, 0), LPS_OK);
    assert_non_null(a);
    assert_int_equal(analyzer_flags(a), 0);
    analyzer_free(a);
    assert_int_equal(analyzer_create(&a, ANALYZER_STEM_ENGLISH), LPS_OK);
    assert_int_equal(analyzer_flags(a), ANALYZER_STEM_ENGLISH);
    analyzer_free(a);
    analyzer_free(NULL);
    const char *version = analyzer_unicode_version();
    assert_non_null(version);
    assert_true(version[0] >= '1' && version[0] <= '9');
}

static void test_bad_arguments(void **state)
{
    analyzer *a = *state;
    analyzer_result r;
    r.count = 99;
    assert_int_equal(analyzer_tokenize(NULL, "x", 1, &r), LPS_EARG);
    assert_int_equal(r.count, 0); /* zeroed even on failure */
    assert_string_equal(r.terms, "");
    assert_int_equal(analyzer_tokenize(a, NULL, 1, &r), LPS_EARG);
    assert_int_equal(analyzer_tokenize(a, "x", 1, NULL), LPS_EARG);
#if SIZE_MAX > UINT32_MAX
    /* Rejected before the text is read: offsets are 32-bit. */
    assert_int_equal(analyzer_tokenize(a, "x", (size_t)UINT32_MAX + 1, &r), LPS_ETOOBIG);
    assert_int_equal(r.count, 0);
#endif
    const char *out = NULL;
    size_t out_len = 7;
    assert_int_equal(analyzer_fold_term(NULL, "x", 1, 0, &out, &out_len), LPS_EARG);
    assert_string_equal(out, "");
    assert_int_equal(out_len, 0);
    assert_int_equal(analyzer_fold_term(a, NULL, 1, 0, &out, &out_len), LPS_EARG);
    assert_int_equal(analyzer_fold_term(a, "x", 1, 0, NULL, &out_len), LPS_EARG);
    assert_int_equal(analyzer_fold_term(a, "x", 1, 0, &out, NULL), LPS_EARG);
}

/* ---- Token rules --------------------------------------------------------- */

static void test_ascii(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "Hello, World!", "hello|world");
    expect_terms(a, "  The QUICK brown\tfox\njumps\r\n", "the|quick|brown|fox|jumps");
    /* Only [0-9A-Za-z] are token characters in ASCII. */
    expect_terms(a, "foo_bar a.b c/d e@f g+h i=j k~l m`n o^p q|r s\\t u#v",
                 "foo|bar|a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v");
    expect_terms_n(a, "ab\0cd", 5, "ab|cd");
    /* Every ASCII byte: 62 token characters, each folding to itself or its
     * lowercase letter. */
    for (int c = 0; c < 128; c++) {
        char s[1] = {(char)c};
        analyzer_result r;
        joined_terms(a, s, 1, &r);
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        assert_int_equal(r.count, alnum ? 1 : 0);
        if (alnum) {
            char want = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
            assert_int_equal(r.terms[r.tokens[0].term_off], want);
        }
    }
}

static void test_empty_and_blank(void **state)
{
    analyzer *a = *state;
    analyzer_result r;
    assert_int_equal(analyzer_tokenize(a, "", 0, &r), LPS_OK);
    assert_int_equal(r.count, 0);
    assert_string_equal(r.terms, "");
    assert_int_equal(analyzer_tokenize(a, NULL, 0, &r), LPS_OK);
    assert_int_equal(r.count, 0);
    expect_terms(a, " \t\r\n\v\f", "");
    expect_terms(a, "... -- !? $%& ()[]{}", "");
    expect_terms(a, "\xC2\xA0\xE2\x80\x83\xE3\x80\x80", ""); /* NBSP, em space, ideographic space */
    expect_terms(a, "\xE2\x80\x94\xE2\x80\x99\xE2\x80\x9C", ""); /* — ’ “ */
}

static void test_accents_removed(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "caf\xC3\xA9 Caf\xC3\xA9 CAF\xC3\x89", "cafe|cafe|cafe");
    expect_terms(a, "na\xC3\xAFve Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e", "naive|creme|brulee");
    expect_terms(a, "\xC7\x96 \xC7\x97", "u|u");                      /* ǖ Ǘ: two marks */
    expect_terms(a, "\xC3\x85 \xC3\x85ngstr\xC3\xB6m \xE2\x84\xAB", "a|angstrom|a"); /* Å, Angstrom sign */
    expect_terms(a, "Nguy\xE1\xBB\x85n \xC5\x81\xC3\xB3" "d\xC5\xBA", "nguyen|łodz"); /* ễ; Ł keeps its stroke */
    expect_terms(a, "\xC3\x98re \xC3\x86" "ble \xC5\x92uvre \xC4\x90\xC3\xA0 \xC3\x9Eorn",
                 "øre|æble|œuvre|đa|þorn");
    /* FTS5 leaves ǡ (a + dot above + macron) unstripped; so do we. */
    expect_terms(a, "\xC7\xA0 \xC7\xA1", "ǡ|ǡ");
    /* Folding happens first: ẛ (long s with dot) folds to ṡ, then loses the dot. */
    expect_terms(a, "\xE1\xBA\x9B", "s");
    /* Diacritics are removed from Latin letters only. */
    expect_terms(a, "\xCE\x86\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1 \xD0\x99\xD0\xBE\xD0\xB4", "άθήνα|йод");
}

static void test_case_folding_beyond_ascii(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "\xC3\x80\xC3\x89\xC3\x8E \xC3\x91O\xC3\x91O", "aei|nono");
    /* Greek: simple case folding maps final sigma to sigma, as FTS5 does. */
    expect_terms(a, "\xCE\xA3\xCE\x91\xCE\xA3 \xCF\x83\xCE\xB1\xCF\x82 \xCF\x82", "σασ|σασ|σ");
    expect_terms(a, "\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3", "οδυσσευσ");
    /* Simple, not full, folding: ß stays one letter; ẞ folds to it. */
    expect_terms(a, "Stra\xC3\x9F" "e STRASSE \xE1\xBA\x9E", "straße|strasse|ß");
    expect_terms(a, "\xEF\xAC\x81nance", "ﬁnance"); /* the ﬁ ligature is not expanded */
    /* Dotted capital I loses its dot; dotless i stays. */
    expect_terms(a, "\xC4\xB0stanbul \xC4\xB1i", "istanbul|ıi");
    expect_terms(a, "\xC7\x85" "emal \xC7\x84", "ǆemal|ǆ"); /* title case and capital digraph */
    expect_terms(a, "\xC2\xB5 \xC5\xBF \xE2\x84\xAA", "μ|s|k"); /* micro, long s, Kelvin sign */
    expect_terms(a, "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2", "привет");
    /* No compatibility mapping: fullwidth letters only change case. */
    expect_terms(a, "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\x91", "ａｂ１");
}

static void test_in_token_combining_marks(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "Cafe\xCC\x81 e\xCC\x81x", "cafe|ex"); /* decomposed é */
    expect_terms(a, "a\xCC\x81\xCC\x81" "b", "ab");
    expect_terms(a, "\xCE\xB1\xCC\x81\xCE\xB2 \xE4\xB8\xAD\xCC\x81\xE6\x96\x87 1\xCC\x81", "αβ|中文|1");
    /* A mark never starts a token. */
    expect_terms(a, "\xCC\x81" "abc x \xCC\x81 y", "abc|x|y");
    expect_spans(a, "\xCC\x81" "abc x \xCC\x81 y", "abc|x|y");
    /* U+0305 (overline) is not in the set: it separates. */
    expect_terms(a, "e\xCC\x85x", "e|x");
    /* The token's byte range includes its trailing marks. */
    expect_spans(a, "Cafe\xCC\x81 ok", "Cafe\xCC\x81|ok");
}

/* The in-token marks are exactly those that precomposed Latin letters with
 * an ASCII base decompose into; recomputed here from utf8proc. */
static void test_in_token_mark_set(void **state)
{
    analyzer *a = *state;
    int in_set[0x370 - 0x300] = {0};
    for (int32_t cp = 0xC0; cp <= 0x1EFF; cp++) {
        if (cp == 0x250)
            cp = 0x1E00;
        utf8proc_int32_t seq[8];
        int boundclass = 0;
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, seq, 8, UTF8PROC_DECOMPOSE, &boundclass);
        if (n < 2 || n > 8 || seq[0] >= 0x80)
            continue;
        for (utf8proc_ssize_t k = 1; k < n; k++) {
            assert_true(seq[k] >= 0x300 && seq[k] < 0x370);
            in_set[seq[k] - 0x300] = 1;
        }
    }
    int members = 0;
    for (int32_t mark = 0x300; mark < 0x370; mark++) {
        char text[8] = "a";
        size_t n = 1 + utf8_encode(mark, (unsigned char *)text + 1);
        text[n++] = 'b';
        analyzer_result r;
        const char *got = joined_terms(a, text, n, &r);
        const char *want = in_set[mark - 0x300] ? "ab" : "a|b";
        if (strcmp(got, want) != 0)
            fail_msg("a U+%04lX b: got \"%s\", want \"%s\"", (long)mark, got, want);
        members += in_set[mark - 0x300];
    }
    assert_int_equal(members, 25);
}

static void test_digits_and_numbers(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "$6.9 million, up 39% year-over-year", "6|9|million|up|39|year|over|year");
    expect_terms(a, "Q1'14 10-K 2,500 3.5x", "q1|14|10|k|2|500|3|5x");
    /* Other N* categories: Arabic-Indic digits, fractions, superscripts,
     * roman numerals (Nl, folded to lowercase). */
    expect_terms(a, "\xD9\xA1\xD9\xA2\xD9\xA3 \xC2\xBD m\xC2\xB2 \xE2\x85\xA7",
                 "١٢٣|½|m²|ⅷ");
}

static void test_apostrophes_and_quotes(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "LivePerson's LivePerson\xE2\x80\x99s", "liveperson|s|liveperson|s");
    expect_spans(a, "LivePerson\xE2\x80\x99s", "LivePerson|s");
    expect_terms(a, "don't \xE2\x80\x98quoted\xE2\x80\x99 \xE2\x80\x9C" "double\xE2\x80\x9D \xC2\xABguillemets\xC2\xBB",
                 "don|t|quoted|double|guillemets");
    /* U+02BC MODIFIER LETTER APOSTROPHE is a letter (Lm), so it joins. */
    expect_terms(a, "don\xCA\xBCt", "donʼt");
}

static void test_hyphens_and_dashes(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "e-mail year\xE2\x80\x90over\xE2\x80\x90year non\xE2\x80\x91" "breaking",
                 "e|mail|year|over|year|non|breaking");
    expect_terms(a, "growth\xE2\x80\x94strong en\xE2\x80\x93" "dash minus\xE2\x88\x92sign",
                 "growth|strong|en|dash|minus|sign");
    /* Format characters separate too: soft hyphen, zero-width space, word joiner. */
    expect_terms(a, "soft\xC2\xADhyphen zero\xE2\x80\x8Bwidth word\xE2\x81\xA0joiner",
                 "soft|hyphen|zero|width|word|joiner");
}

static void test_cjk_and_other_scripts(void **state)
{
    analyzer *a = *state;
    /* A run of letters is one token, whatever the script. */
    expect_terms(a, "\xE5\xAE\x8C\xE6\x95\xB4\xE5\x8E\x9F\xE6\x96\x87 "
                    "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88 \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
                 "完整原文|テスト|한국어");
    expect_terms(a, "\xE4\xB8\xAD\xE6\x96\x87" "English\xE6\xB7\xB7\xE5\x90\x88", "中文english混合");
    expect_terms(a, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x80\x81\xE4\xB8\xAD\xE6\x96\x87\xE3\x80\x82",
                 "日本語|中文"); /* ideographic comma and full stop separate */
    expect_terms(a, "\xF0\xA0\x80\x80\xF0\xA0\x80\x81", "𠀀𠀁"); /* CJK extension B, 4 bytes each */
    /* Spacing and nonspacing marks of Indic scripts separate, as in FTS5. */
    expect_terms(a, "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80", "ह|न|द");
    /* Emoji are symbols (So): separators. */
    expect_terms(a, "great \xF0\x9F\x91\x8D quarter\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80" "ahead",
                 "great|quarter|ahead");
}

static void test_private_use(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "\xEE\x80\x80X\xEE\x80\x81 a\xF3\xB0\x80\x80" "b", "\xEE\x80\x80x\xEE\x80\x81|a\xF3\xB0\x80\x80" "b");
}

static void test_invalid_bytes_separate(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "ab\xFF" "cd", "ab|cd");
    expect_terms(a, "ab\xC0\x80" "cd", "ab|cd");     /* overlong */
    expect_terms(a, "ab\xED\xA0\x80" "cd", "ab|cd"); /* surrogate */
    expect_terms(a, "ab\xF4\x90\x80\x80" "cd", "ab|cd");
    expect_terms(a, "ab\xF0\x9F", "ab"); /* truncated at the end */
    expect_terms(a, "caf\xC3", "caf");
    expect_terms(a, "caf\xC3" "e", "caf|e");
    expect_spans(a, "\x80\x80x\xFEy\xC3", "x|y");
    expect_terms(a, "\xFF\xFE\xFD", "");
}

static void test_byte_offsets(void **state)
{
    analyzer *a = *state;
    const char *text = "LivePerson\xE2\x80\x99s revenue of $6.9 million, up 39% \xE2\x80\x94 "
                       "U.S. e.g. na\xC3\xAFve Caf\xC3\xA9 \xC7\x96 \xE5\xAE\x8C\xE6\x95\xB4 \xCE\xA9";
    expect_spans(a, text,
                 "LivePerson|s|revenue|of|6|9|million|up|39|U|S|e|g|na\xC3\xAFve|Caf\xC3\xA9|\xC7\x96|"
                 "\xE5\xAE\x8C\xE6\x95\xB4|\xCE\xA9");
    expect_terms(a, text, "liveperson|s|revenue|of|6|9|million|up|39|u|s|e|g|naive|cafe|u|完整|ω");
    analyzer_result r;
    joined_terms(a, text, strlen(text), &r);
    assert_int_equal(r.tokens[0].start, 0);
    assert_int_equal(r.tokens[0].end, 10);
    assert_int_equal(r.tokens[1].start, 13); /* after the 3-byte ’ */
    assert_int_equal(r.tokens[r.count - 1].end, strlen(text));
}

static void test_positions_restart_per_call(void **state)
{
    analyzer *a = *state;
    analyzer_result r;
    joined_terms(a, "one two three", 13, &r);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.tokens[2].position, 2);
    joined_terms(a, "four", 4, &r);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.tokens[0].position, 0);
    assert_int_equal(r.tokens[0].term_off, 0);
}

static void test_many_tokens(void **state)
{
    analyzer *a = *state;
    size_t words = 100000, len = words * 5;
    char *text = lps_malloc(len);
    assert_non_null(text);
    for (size_t k = 0; k < words; k++)
        memcpy(text + k * 5, k % 2 ? "Beta " : "alfa ", 5);
    analyzer_result r;
    assert_int_equal(analyzer_tokenize(a, text, len, &r), LPS_OK);
    check_invariants(text, len, &r);
    assert_int_equal(r.count, words);
    assert_string_equal(r.terms + r.tokens[words - 1].term_off, "beta");
    assert_int_equal(r.tokens[words - 1].start, len - 5);
    lps_free(text);
}

/* ---- Length cap ---------------------------------------------------------- */

static void test_token_length_cap(void **state)
{
    analyzer *a = *state;
    char text[1200];
    analyzer_result r;

    memset(text, 'A', 300);
    joined_terms(a, text, 300, &r);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.tokens[0].term_len, ANALYZER_MAX_TOKEN_BYTES);
    assert_int_equal(r.tokens[0].end, 300); /* the range still covers the whole token */
    for (size_t k = 0; k < ANALYZER_MAX_TOKEN_BYTES; k++)
        assert_int_equal(r.terms[k], 'a');

    /* Exactly at the cap: nothing cut. */
    memset(text, 'b', ANALYZER_MAX_TOKEN_BYTES);
    joined_terms(a, text, ANALYZER_MAX_TOKEN_BYTES, &r);
    assert_int_equal(r.tokens[0].term_len, ANALYZER_MAX_TOKEN_BYTES);

    /* 3-byte letters: the cut falls on a code-point boundary (255 bytes), and
     * a later 1-byte letter that would fit is not appended. */
    size_t n = 0;
    for (int k = 0; k < 100; k++) {
        memcpy(text + n, "\xE4\xB8\xAD", 3);
        n += 3;
    }
    text[n++] = 'z';
    memcpy(text + n, " next", 5);
    n += 5;
    joined_terms(a, text, n, &r);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.tokens[0].term_len, 255);
    assert_int_equal(r.tokens[0].end, 301);
    assert_int_equal(utf8_first_invalid((const unsigned char *)r.terms, 255), 255);
    assert_string_equal(r.terms + r.tokens[1].term_off, "next");

    /* A letter that grows when folded (Ⱥ, 2 bytes, folds to ⱥ, 3 bytes). */
    n = 0;
    for (int k = 0; k < 200; k++) {
        memcpy(text + n, "\xC8\xBA", 2);
        n += 2;
    }
    joined_terms(a, text, n, &r);
    assert_int_equal(r.tokens[0].term_len, 255);
    assert_memory_equal(r.terms, "\xE2\xB1\xA5", 3);
}

/* ---- Stemming ------------------------------------------------------------ */

static void test_stemming(void **state)
{
    analyzer *a = *state;
    assert_int_equal(analyzer_flags(a), ANALYZER_STEM_ENGLISH);
    expect_terms(a, "Running proactively, the customers' revenues grew; quarterly earnings guidance",
                 "run|proactiv|the|custom|revenu|grew|quarter|earn|guidanc");
    expect_terms(a, "operating operations organizations", "oper|oper|organ");
    /* Stemming comes after folding, and offsets still cover the source word. */
    expect_terms(a, "Na\xC3\xAFvely NAIVE 39 \xE5\xAE\x8C\xE6\x95\xB4", "naiv|naiv|39|完整");
    expect_spans(a, "Na\xC3\xAFvely customers", "Na\xC3\xAFvely|customers");
    /* Long tokens stay within the cap when stemmed. */
    char text[400];
    memset(text, 'x', sizeof text);
    memcpy(text + sizeof text - 3, "ing", 3);
    analyzer_result r;
    joined_terms(a, text, sizeof text, &r);
    assert_int_equal(r.count, 1);
    assert_true(r.tokens[0].term_len <= ANALYZER_MAX_TOKEN_BYTES);
}

static void test_no_stemming_by_default(void **state)
{
    analyzer *a = *state;
    expect_terms(a, "Running proactively customers revenues", "running|proactively|customers|revenues");
}

/* ---- analyzer_fold_term -------------------------------------------------- */

static void expect_fold(analyzer *a, const char *term, int stem, const char *want)
{
    const char *out = NULL;
    size_t out_len = 99;
    int rc = analyzer_fold_term(a, term, strlen(term), stem, &out, &out_len);
    if (rc != LPS_OK)
        fail_msg("fold \"%s\": %s", term, lps_strerror(rc));
    assert_string_equal(out, want);
    assert_int_equal(out_len, strlen(want));
}

static void test_fold_term(void **state)
{
    analyzer *a = *state;
    expect_fold(a, "Caf\xC3\xA9", 0, "cafe");
    expect_fold(a, "Cafe\xCC\x81", 0, "cafe");
    expect_fold(a, "Running", 1, "run");
    expect_fold(a, "Running", 0, "running"); /* prefix queries: no stemming */
    expect_fold(a, "  \xCE\xA3\xCE\x91\xCE\xA3. ", 1, "σασ");
    expect_fold(a, "", 1, "");
    expect_fold(a, " - ", 1, "");
    const char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(analyzer_fold_term(a, "e-mail", 6, 0, &out, &out_len), LPS_EARG);
    assert_string_equal(out, "");
    assert_int_equal(analyzer_fold_term(a, "two words", 9, 0, &out, &out_len), LPS_EARG);
    assert_int_equal(analyzer_fold_term(a, NULL, 0, 0, &out, &out_len), LPS_OK);
    assert_int_equal(out_len, 0);

    /* Folding a term leaves the last tokenize result intact, and back. */
    analyzer_result r;
    joined_terms(a, "Alpha Beta", 10, &r);
    expect_fold(a, "GAMMA", 0, "gamma");
    assert_string_equal(r.terms + r.tokens[1].term_off, "beta");
    assert_int_equal(analyzer_fold_term(a, "Delta", 5, 0, &out, &out_len), LPS_OK);
    joined_terms(a, "Epsilon", 7, &r);
    assert_string_equal(out, "delta");

    /* The cap applies as in analyzer_tokenize. */
    char longterm[300];
    memset(longterm, 'Q', sizeof longterm);
    assert_int_equal(analyzer_fold_term(a, longterm, sizeof longterm, 0, &out, &out_len), LPS_OK);
    assert_int_equal(out_len, ANALYZER_MAX_TOKEN_BYTES);
}

static void test_fold_term_without_stemmer(void **state)
{
    analyzer *a = *state;
    expect_fold(a, "Running", 1, "running"); /* stem is ignored without the flag */
}

/* ---- Properties ---------------------------------------------------------- */

/*
 * Every token, re-analyzed on its own bytes, is one token with the same
 * term, and analyzer_fold_term agrees with it: a query word and the indexed
 * word meet.
 */
static void check_tokens_refold(analyzer *a, const char *text, size_t len)
{
    analyzer_result r;
    assert_int_equal(analyzer_tokenize(a, text, len, &r), LPS_OK);
    check_invariants(text, len, &r);
    size_t count = r.count;
    for (size_t k = 0; k < count; k++) {
        /* r is invalidated by the next tokenize: copy what we need first. */
        assert_int_equal(analyzer_tokenize(a, text, len, &r), LPS_OK);
        analyzer_token t = r.tokens[k];
        char term[ANALYZER_MAX_TOKEN_BYTES + 1];
        memcpy(term, r.terms + t.term_off, t.term_len + 1);
        const char *out;
        size_t out_len;
        assert_int_equal(analyzer_fold_term(a, text + t.start, t.end - t.start, 1, &out, &out_len), LPS_OK);
        assert_int_equal(out_len, t.term_len);
        assert_string_equal(out, term);
        assert_int_equal(analyzer_tokenize(a, text + t.start, t.end - t.start, &r), LPS_OK);
        assert_int_equal(r.count, 1);
        assert_string_equal(r.terms, term);
    }
}


static void test_random_bytes(void **state)
{
    analyzer *a = *state;
    static const char *pieces[] = {
        "a", "Z", "9", " ", "-", "'", "\xE2\x80\x99", "\xC3\xA9", "\xC3\x89", "\xCC\x81", "\xCC\x85",
        "\xCE\xA3", "\xCF\x82", "\xE4\xB8\xAD", "\xEE\x80\x80", "\xF0\x9F\x91\x8D", "\xF0\xA0\x80\x80",
        "\xC3\x9F", "\xC7\x96", "\xE2\x80\x94", "\xC2\xAD", "\xFF", "\x80", "\xC3", "\xE2\x80",
        "\xF0\x9F\x98", "\xED\xA0\x80", "\xC0\x80", "\0",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 0x5EEDu;
    char text[256];
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        size_t want = next_random(&seed) % 40;
        for (size_t k = 0; k < want; k++) {
            const char *p = pieces[next_random(&seed) % npieces];
            size_t plen = p[0] ? strlen(p) : 1;
            if (len + plen > sizeof text)
                break;
            memcpy(text + len, p, plen);
            len += plen;
        }
        /* Raw random bytes now and then, for everything the pieces miss. */
        if (round % 4 == 0)
            for (size_t k = 0; k < len; k += 3)
                text[k] = (char)(next_random(&seed) & 0xFF);
        check_tokens_refold(a, text, len);
    }
}

/* Every code point alone and between two letters: no crash, invariants hold,
 * and the letters survive as one or two tokens. */
static void test_every_code_point(void **state)
{
    analyzer *a = *state;
    for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp == 0xD800)
            cp = 0xE000;
        char text[8] = "a";
        size_t n = 1 + utf8_encode(cp, (unsigned char *)text + 1);
        text[n++] = 'b';
        analyzer_result r;
        assert_int_equal(analyzer_tokenize(a, text + 1, n - 2, &r), LPS_OK);
        assert_true(r.count <= 1);
        size_t alone = r.count;
        assert_int_equal(analyzer_tokenize(a, text, n, &r), LPS_OK);
        check_invariants(text, n, &r);
        if (alone) {
            assert_int_equal(r.count, 1);
        } else {
            assert_true(r.count == 1 || r.count == 2); /* 1: an in-token mark */
            if (r.count == 1)
                assert_string_equal(r.terms, "ab");
        }
    }
}

/* ---- Allocation failure -------------------------------------------------- */

typedef struct fail_nth {
    long countdown; /* allocations to let through before failing one */
    int fired;
} fail_nth;

static int fail_nth_hook(size_t size, void *ctx)
{
    (void)size;
    fail_nth *f = ctx;
    if (f->countdown-- == 0) {
        f->fired = 1;
        return 1;
    }
    return 0;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    static const char text[] = "Out of memory must become LPS_ENOMEM, with nothing leaked: "
                               "na\xC3\xAFve caf\xC3\xA9 \xE5\xAE\x8C\xE6\x95\xB4 running";
    int completed = 0;
    for (long nth = 0; nth < 100 && !completed; nth++) {
        fail_nth f = {nth, 0};
        lps_alloc_set_hook(fail_nth_hook, &f);
        analyzer *a = NULL;
        int rc = analyzer_create(&a, ANALYZER_STEM_ENGLISH);
        analyzer_result r = {NULL, 0, ""};
        const char *out = NULL;
        size_t out_len = 0;
        if (rc == LPS_OK) {
            rc = analyzer_tokenize(a, text, sizeof text - 1, &r);
            if (rc != LPS_OK) {
                assert_int_equal(r.count, 0);
                assert_string_equal(r.terms, "");
            }
        }
        if (rc == LPS_OK) {
            rc = analyzer_fold_term(a, "Running", 7, 1, &out, &out_len);
            if (rc != LPS_OK) {
                assert_string_equal(out, "");
                assert_int_equal(out_len, 0);
            }
        }
        lps_alloc_set_hook(NULL, NULL);
        if (rc == LPS_OK) {
            assert_false(f.fired);
            assert_int_equal(r.count, 14);
            assert_string_equal(out, "run");
            completed = 1;
        } else {
            assert_int_equal(rc, LPS_ENOMEM);
            assert_true(f.fired);
            /* The analyzer is still usable after a failure. */
            if (a) {
                analyzer_result again;
                assert_int_equal(analyzer_tokenize(a, text, sizeof text - 1, &again), LPS_OK);
                assert_int_equal(again.count, 14);
            }
        }
        analyzer_free(a);
    }
    assert_true(completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_flags),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_ascii, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_blank, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_accents_removed, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_case_folding_beyond_ascii, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_in_token_combining_marks, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_in_token_mark_set, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_digits_and_numbers, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_apostrophes_and_quotes, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_hyphens_and_dashes, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_cjk_and_other_scripts, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_private_use, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_bytes_separate, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_byte_offsets, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_positions_restart_per_call, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_many_tokens, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_token_length_cap, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_stemming, setup_stemming, teardown),
        cmocka_unit_test_setup_teardown(test_no_stemming_by_default, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_fold_term, setup_stemming, teardown),
        cmocka_unit_test_setup_teardown(test_fold_term_without_stemmer, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_random_bytes, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_random_bytes, setup_stemming, teardown),
        cmocka_unit_test_setup_teardown(test_every_code_point, setup_plain, teardown),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
