/*
 * Cross-check of common/analyzer.c against SQLite FTS5's "unicode61"
 * tokenizer, the reference our token rules copy.  Each text goes into an
 * in-memory FTS5 table; an fts5vocab "instance" table lists the terms FTS5
 * made, with their offsets; the analyzer (no stemming) must produce the same
 * terms at the same positions.
 *
 * Where FTS5 and the analyzer differ by design (docs/ANALYZER.md), the texts
 * here avoid it: FTS5's Unicode tables are from about Unicode 6.1, so code
 * points assigned since (and all unassigned ones, which FTS5 takes for token
 * characters) are left out, as is ill-formed UTF-8, which FTS5 decodes
 * leniently.
 */
#include "test.h"

#include "analyzer.h"
#include "lpsearch.h"
#include "utf8.h"

#include <sqlite3.h>
#include <utf8proc.h>

/* ---- Helpers ------------------------------------------------------------- */

/* Both tokenizer configurations that we compare with. */
#define TABLES_SQL                                                                                 \
    "CREATE VIRTUAL TABLE t2 USING fts5(x, tokenize='unicode61 remove_diacritics 2');"            \
    "CREATE VIRTUAL TABLE v2 USING fts5vocab(t2, instance);"                                       \
    "CREATE VIRTUAL TABLE t1 USING fts5(x);"                                                       \
    "CREATE VIRTUAL TABLE v1 USING fts5vocab(t1, instance);"

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static int setup_db(void **state)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return -1;
    char *err = NULL;
    if (sqlite3_exec(db, TABLES_SQL, NULL, NULL, &err) != SQLITE_OK) {
        /* Without FTS5 there is nothing to compare with. */
        fprintf(stderr, "cannot create FTS5 tables: %s\n", err ? err : "?");
        sqlite3_free(err);
        sqlite3_close(db);
        return -1;
    }
    *state = db;
    return 0;
}

static int teardown_db(void **state)
{
    sqlite3_close(*state);
    return 0;
}

/* A growable list of texts, stored as rowid = index + 1. */
typedef struct text_list {
    char **texts;
    size_t *lens;
    size_t count, cap;
} text_list;

static void text_list_add(text_list *l, const char *text, size_t len)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->texts = realloc(l->texts, l->cap * sizeof *l->texts);
        l->lens = realloc(l->lens, l->cap * sizeof *l->lens);
        assert_non_null(l->texts);
        assert_non_null(l->lens);
    }
    l->texts[l->count] = malloc(len + 1);
    assert_non_null(l->texts[l->count]);
    memcpy(l->texts[l->count], text, len);
    l->texts[l->count][len] = '\0';
    l->lens[l->count] = len;
    l->count++;
}

static void text_list_free(text_list *l)
{
    for (size_t k = 0; k < l->count; k++)
        free(l->texts[k]);
    free(l->texts);
    free(l->lens);
    memset(l, 0, sizeof *l);
}

/* Appends "position:term " to out (at *used, of size cap). */
static void append_entry(char *out, size_t cap, size_t *used, long long position, const char *term)
{
    int n = snprintf(out + *used, cap - *used, "%lld:%s ", position, term);
    assert_true(n >= 0 && (size_t)n < cap - *used);
    *used += (size_t)n;
}

/*
 * Inserts every text into table (t1 or t2), then reads the matching vocab
 * table once, sorted by document and offset, and compares each document's
 * "offset:term" list with the analyzer's "position:term" list.  Returns the
 * number of tokens compared, so that callers can rule out a vacuous pass.
 */
static size_t compare_with_fts5(sqlite3 *db, const char *table, const char *vocab, const text_list *l)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DELETE FROM %s", table);
    exec_sql(db, sql);
    exec_sql(db, "BEGIN");
    snprintf(sql, sizeof sql, "INSERT INTO %s(rowid, x) VALUES(?1, ?2)", table);
    sqlite3_stmt *insert = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &insert, NULL), SQLITE_OK);
    for (size_t k = 0; k < l->count; k++) {
        sqlite3_bind_int64(insert, 1, (sqlite3_int64)k + 1);
        sqlite3_bind_text(insert, 2, l->texts[k], (int)l->lens[k], SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE)
            fail_msg("insert: %s", sqlite3_errmsg(db));
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    exec_sql(db, "COMMIT");

    snprintf(sql, sizeof sql, "SELECT doc, offset, term FROM %s ORDER BY doc, offset", vocab);
    sqlite3_stmt *query = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &query, NULL), SQLITE_OK);
    analyzer *a = NULL;
    assert_int_equal(analyzer_create(&a, 0), LPS_OK);
    size_t cap = 1 << 20;
    char *theirs = malloc(cap), *ours = malloc(cap);
    assert_non_null(theirs);
    assert_non_null(ours);
    int rc = sqlite3_step(query);
    size_t compared_tokens = 0;
    for (size_t k = 0; k < l->count; k++) {
        size_t used = 0;
        theirs[0] = '\0';
        while (rc == SQLITE_ROW && sqlite3_column_int64(query, 0) == (sqlite3_int64)k + 1) {
            append_entry(theirs, cap, &used, sqlite3_column_int64(query, 1),
                         (const char *)sqlite3_column_text(query, 2));
            rc = sqlite3_step(query);
        }
        analyzer_result r;
        assert_int_equal(analyzer_tokenize(a, l->texts[k], l->lens[k], &r), LPS_OK);
        used = 0;
        ours[0] = '\0';
        for (size_t t = 0; t < r.count; t++)
            append_entry(ours, cap, &used, r.tokens[t].position, r.terms + r.tokens[t].term_off);
        if (strcmp(theirs, ours) != 0)
            fail_msg("%s disagrees on text %zu \"%.200s\"\n  fts5: %.600s\n  ours: %.600s", table, k,
                     l->texts[k], theirs, ours);
        compared_tokens += r.count;
    }
    assert_int_equal(rc, SQLITE_DONE); /* no document we did not insert */
    sqlite3_finalize(query);
    free(theirs);
    free(ours);
    analyzer_free(a);
    return compared_tokens;
}

/* ---- Hand-picked texts --------------------------------------------------- */

typedef struct fts_case {
    const char *text;
    int needs_remove_diacritics_2; /* a letter with two or more diacritics */
} fts_case;

static const fts_case cases[] = {
    {"LivePerson\xE2\x80\x99s revenue of $6.9 million, up 39% \xE2\x80\x94 U.S. e.g. na\xC3\xAFve "
     "Caf\xC3\xA9 \xC7\x96 \xE5\xAE\x8C\xE6\x95\xB4\xE5\x8E\x9F\xE6\x96\x87 \xCE\xA9",
     1},
    {"Hello, World!", 0},
    {"The QUICK brown fox\tjumps\nover the lazy dog\r\n", 0},
    {"foo_bar a.b c/d e@f g+h i=j k~l m`n o^p q|r s\\t u#v", 0},
    {"LivePerson's LivePerson\xE2\x80\x99s don't \xE2\x80\x98quoted\xE2\x80\x99 \xE2\x80\x9C" "double\xE2\x80\x9D "
     "\xC2\xABguillemets\xC2\xBB",
     0},
    {"don\xCA\xBCt", 0},
    {"e-mail year\xE2\x80\x90over\xE2\x80\x90year non\xE2\x80\x91" "breaking growth\xE2\x80\x94strong "
     "en\xE2\x80\x93" "dash minus\xE2\x88\x92sign",
     0},
    {"soft\xC2\xADhyphen zero\xE2\x80\x8Bwidth word\xE2\x81\xA0joiner", 0},
    {"$6.9 million, up 39% year-over-year", 0},
    {"Q1'14 10-K 2,500 3.5x", 0},
    {"\xD9\xA1\xD9\xA2\xD9\xA3 \xC2\xBD m\xC2\xB2 \xE2\x85\xA7 \xE2\x85\xAB", 0},
    {"caf\xC3\xA9 Caf\xC3\xA9 CAF\xC3\x89", 0},
    {"na\xC3\xAFve Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e", 0},
    {"\xC7\x96 \xC7\x97 \xC7\x9E", 1},
    {"\xC3\x85 \xC3\x85ngstr\xC3\xB6m \xE2\x84\xAB", 0},
    {"Nguy\xE1\xBB\x85n \xC5\x81\xC3\xB3" "d\xC5\xBA", 1},
    {"\xC3\x98re \xC3\x86" "ble \xC5\x92uvre \xC4\x90\xC3\xA0 \xC3\x9Eorn", 0},
    {"\xC7\xA0 \xC7\xA1 \xE1\xBA\x9B", 1},
    {"\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1 \xD0\x99\xD0\xBE\xD0\xB4 \xCE\x86\xCE\x88\xCE\x89", 0},
    {"\xC3\x80\xC3\x89\xC3\x8E \xC3\x91O\xC3\x91O", 0},
    {"\xCE\xA3\xCE\x91\xCE\xA3 \xCF\x83\xCE\xB1\xCF\x82 \xCF\x82 "
     "\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3",
     0},
    {"Stra\xC3\x9F" "e STRASSE \xE1\xBA\x9E \xEF\xAC\x81nance", 0},
    {"\xC4\xB0stanbul \xC4\xB1i \xC7\x84 \xC7\x85" "emal \xC7\x86", 0},
    {"\xC2\xB5 \xC5\xBF \xE2\x84\xAA \xE2\x84\x8C \xE2\x84\x93", 0},
    {"\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2 \xD0\xBC\xD0\xB8\xD1\x80 \xD0\x81\xD0\xBB\xD0\xBA\xD0\xB0", 0},
    {"\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93 \xEF\xBD\xB1\xEF\xBD\xB2\xEF\xBD\xB3", 0},
    {"Cafe\xCC\x81 e\xCC\x81x a\xCC\x81\xCC\x81" "b", 0},
    {"\xCE\xB1\xCC\x81\xCE\xB2 \xE4\xB8\xAD\xCC\x81\xE6\x96\x87 1\xCC\x81", 0},
    {"\xCC\x81" "abc x \xCC\x81 y", 0},
    {"e\xCC\x85x o\xCC\xB8" "k", 0},
    {"\xE5\xAE\x8C\xE6\x95\xB4\xE5\x8E\x9F\xE6\x96\x87 \xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88 "
     "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
     0},
    {"\xE4\xB8\xAD\xE6\x96\x87" "English\xE6\xB7\xB7\xE5\x90\x88", 0},
    {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x80\x81\xE4\xB8\xAD\xE6\x96\x87\xE3\x80\x82", 0},
    {"\xF0\xA0\x80\x80\xF0\xA0\x80\x81 \xE3\x81\xB2\xE3\x82\x89\xE3\x81\x8C\xE3\x81\xAA "
     "\xE3\x82\xAB\xE3\x82\xBF\xE3\x82\xAB\xE3\x83\x8A\xE3\x83\xBC",
     0},
    {"\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 "
     "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 \xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA",
     0},
    {"great \xF0\x9F\x91\x8D quarter\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80" "ahead", 0},
    {"\xEE\x80\x80X\xEE\x80\x81 a\xF3\xB0\x80\x80" "b", 0},
    {"NBSP\xC2\xA0" "em\xE2\x80\x83ideographic\xE3\x80\x80space", 0},
    {"\xC8\xBA\xC8\xBA\xE2\xB1\xA5 \xC9\x90\xE2\xB1\xAF", 0},
    {"Operator: Good day, ladies and gentlemen, and welcome to the LivePerson Q1 2014 earnings call.", 0},
    {"Robert LoCascio \xE2\x80\x94 Chief Executive Officer: Thank you. We grew revenue 23% "
     "year-over-year to $47.7 million.",
     0},
    {"GAAP EPS of $(0.05); non-GAAP EPS $0.06 \xE2\x80\x94 ~3,000 customers (+12%) & 20+ markets.", 0},
    {"email@example.com https://www.liveperson.com/about?id=42#top", 0},
    {"", 0},
    {" \t\r\n ... -- \xE2\x80\x94 ", 0},
};

static void test_hand_picked_texts(void **state)
{
    sqlite3 *db = *state;
    text_list all = {0}, single = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        text_list_add(&all, cases[k].text, strlen(cases[k].text));
        if (!cases[k].needs_remove_diacritics_2)
            text_list_add(&single, cases[k].text, strlen(cases[k].text));
    }
    assert_true(all.count >= 40);
    assert_true(compare_with_fts5(db, "t2", "v2", &all) > 200);
    /* The default tokenizer (remove_diacritics 1) differs only on letters
     * with several diacritics, which it leaves alone. */
    assert_true(compare_with_fts5(db, "t1", "v1", &single) > 150);
    text_list_free(&all);
    text_list_free(&single);
}

/* ---- Bundled transcripts ------------------------------------------------- */

static void test_bundled_transcripts(void **state)
{
    sqlite3 *db = *state;
    static const char *const names[] = {
        "liveperson-2006-q1.txt", "liveperson-2006-q3.txt", "liveperson-2007-q2.txt",
        "liveperson-2014-q1.txt", "liveperson-2016-q1.txt",
    };
    text_list l = {0};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        FILE *f = fopen(test_data_path(names[k]), "rb");
        if (!f)
            fail_msg("cannot open %s", test_data_path(names[k]));
        static char bytes[1 << 20];
        size_t len = fread(bytes, 1, sizeof bytes, f);
        fclose(f);
        assert_true(len > 0 && len < sizeof bytes);
        assert_int_equal(utf8_first_invalid((const unsigned char *)bytes, len), len);
        text_list_add(&l, bytes, len);
    }
    assert_true(compare_with_fts5(db, "t2", "v2", &l) > 30000);
    text_list_free(&l);
}

/* ---- Random texts -------------------------------------------------------- */


/* Random mixtures of letters, digits, separators, accents (precomposed and
 * combining), Greek, CJK, private use, emoji and punctuation. */
static void test_random_texts(void **state)
{
    sqlite3 *db = *state;
    static const char *const pieces[] = {
        "a", "Z", "q", "9", "0", " ", " ", "-", "'", ".", "$", "_", "\t", "\xE2\x80\x99",
        "\xE2\x80\x94", "\xC3\xA9", "\xC3\x89", "\xC3\x9F", "\xC7\x96", "\xC3\x85", "\xC3\xB8",
        "\xCC\x81", "\xCC\x88", "\xCC\x85", "\xCC\xB8", "\xCE\xA3", "\xCF\x82", "\xCE\xAC",
        "\xD0\x99", "\xE4\xB8\xAD", "\xE3\x82\xAB", "\xED\x95\x9C", "\xEE\x80\x80", "\xF0\x9F\x91\x8D",
        "\xF0\xA0\x80\x80", "\xC2\xAD", "\xC2\xA0", "\xE2\x80\x8B", "\xC2\xB2", "\xC2\xBD",
        "\xD9\xA3", "\xE0\xA4\xBF", "\xE0\xA5\x8D", "\xCA\xBC", "\xE2\x84\xAA", "\xEF\xAC\x81",
        "\xC4\xB0", "\xC7\x85", "\xE1\xBA\x9E",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 0xF75u;
    text_list l = {0};
    char text[512];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0, want = next_random(&seed) % 60;
        for (size_t k = 0; k < want; k++) {
            const char *p = pieces[next_random(&seed) % npieces];
            size_t plen = strlen(p);
            if (len + plen > sizeof text)
                break;
            memcpy(text + len, p, plen);
            len += plen;
        }
        text_list_add(&l, text, len);
    }
    assert_true(compare_with_fts5(db, "t2", "v2", &l) > 10000);
    text_list_free(&l);
}

/* ---- Every code point of the common blocks ------------------------------- */

/*
 * Code points in the blocks below that were assigned, or given a case
 * mapping, after FTS5's Unicode tables were made: FTS5 takes them for
 * unassigned (token characters, folded to themselves).
 */
static const struct {
    int32_t first, last;
} newer_than_fts5[] = {
    {0x037F, 0x037F}, /* GREEK CAPITAL LETTER YOT (Unicode 7.0) */
    {0x0528, 0x052F}, /* Cyrillic Supplement additions (7.0) */
    {0x2066, 0x2069}, /* directional isolates (6.3) */
    {0x20BA, 0x20C0}, /* TURKISH LIRA SIGN .. SOM SIGN (6.2 and later) */
    {0x218A, 0x218B}, /* TURNED DIGIT TWO, THREE (8.0) */
    {0x23F4, 0x23FF}, /* Miscellaneous Technical additions (7.0 and later) */
    {0x2700, 0x2700}, /* BLACK SAFETY SCISSORS (7.0) */
};

static int is_newer_than_fts5(int32_t cp)
{
    for (size_t k = 0; k < sizeof newer_than_fts5 / sizeof newer_than_fts5[0]; k++)
        if (cp >= newer_than_fts5[k].first && cp <= newer_than_fts5[k].last)
            return 1;
    return 0;
}

/*
 * Each assigned code point of the blocks that business text uses, alone,
 * between letters, and doubled: "X aXb XX".  This covers every decision the
 * analyzer makes for them: token character or not, in-token mark or not,
 * and the folded form.
 */
static void test_every_code_point_of_common_blocks(void **state)
{
    sqlite3 *db = *state;
    static const struct {
        int32_t first, last;
    } blocks[] = {
        {0x0001, 0x052F}, /* Basic Latin .. Cyrillic Supplement */
        {0x1E00, 0x1FFF}, /* Latin Extended Additional, Greek Extended */
        {0x2000, 0x2AFF}, /* punctuation, currency, letterlike, numbers, arrows, math, dingbats */
        {0x3000, 0x30FF}, /* CJK symbols, Hiragana, Katakana */
        {0x3400, 0x4DBF}, /* CJK Extension A */
        {0x4E00, 0x9FCB}, /* CJK Unified Ideographs as of Unicode 6.1 */
        {0xAC00, 0xD7A3}, /* Hangul syllables */
        {0xE000, 0xF8FF}, /* private use */
        {0xF900, 0xFAFF}, /* CJK compatibility ideographs */
        {0xFB00, 0xFB4F}, /* alphabetic presentation forms */
        {0xFF00, 0xFFEF}, /* halfwidth and fullwidth forms */
    };
    text_list l = {0};
    size_t skipped_unassigned = 0;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        for (int32_t cp = blocks[b].first; cp <= blocks[b].last; cp++) {
            if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CN) {
                skipped_unassigned++;
                continue;
            }
            if ((cp >= 0xD800 && cp <= 0xDFFF) || is_newer_than_fts5(cp))
                continue;
            unsigned char c[4];
            size_t n = utf8_encode(cp, c);
            /* "X aXb XX" */
            char text[32];
            size_t len = 0;
            const char *const parts[] = {(const char *)c, " a", (const char *)c, "b ",
                                         (const char *)c, (const char *)c};
            const size_t part_lens[] = {n, 2, n, 2, n, n};
            for (size_t p = 0; p < 6; p++) {
                memcpy(text + len, parts[p], part_lens[p]);
                len += part_lens[p];
            }
            text_list_add(&l, text, len);
        }
    }
    assert_true(l.count > 50000);
    assert_true(skipped_unassigned < 5000);
    assert_true(compare_with_fts5(db, "t2", "v2", &l) > 50000);
    text_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_picked_texts),
        cmocka_unit_test(test_bundled_transcripts),
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_every_code_point_of_common_blocks),
    };
    return cmocka_run_group_tests(tests, setup_db, teardown_db);
}
