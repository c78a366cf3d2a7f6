/*
 * Which sentences a query matches: lpsearch against SQLite FTS5.
 *
 * The bundled transcripts are indexed through the public API (in sorted
 * order, so ids are sentence order across the files) and the same sentences,
 * read with transcript_read_file, go into an in-memory FTS5 table
 * (unicode61, remove_diacritics 2: the analyzer's rules) with rowid = id.
 * Hit texts are checked against those sentences, which pins the id mapping.
 *
 * A few hundred queries of every kind the two share -- words, implicit and
 * explicit AND, OR, NOT and the '-' shorthand, phrases, prefixes, NEAR and
 * "a b"~N, nested groups -- are built from terms of the corpus (frequent,
 * middling and rare ones) and from real sentences (phrases, words near one
 * another), then written once in lpsearch syntax and once in FTS5 syntax
 * (every word quoted, every group parenthesized, explicit operators,
 * NEAR("a" "b", N) for "a b"~N).  lps_count, the ids of lps_search with a
 * limit above the corpus size and FTS5's rowids must be the same set.  A
 * mismatch prints both queries, the counts and the ids only one side found,
 * with one such sentence.
 *
 * Scores are not compared (FTS5's bm25 differs); test_search_reference
 * checks them.
 */
#include "test.h"

#include "analyzer.h"
#include "lpsearch.h"
#include "transcript.h"

#include <dirent.h>
#include <sqlite3.h>

/* ---- Helpers ---------------------------------------------------------------- */

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        fail_msg("out of memory");
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        fail_msg("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static void sb_putn(strbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(strbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    sb_putn(b, tmp, (size_t)n);
}

static uint32_t pick(uint32_t *rng, uint32_t n)
{
    return n ? next_random(rng) % n : 0;
}

static int chance(uint32_t *rng, unsigned percent)
{
    return pick(rng, 100) < percent;
}

#define CHECK_OK(call, err)                                                                    \
    do {                                                                                       \
        int rc_ = (call);                                                                      \
        if (rc_ != LPS_OK) {                                                                   \
            char msg_[1400];                                                                   \
            fail_msg("%s: %s (%s)", #call, lps_strerror(rc_), lps_error_format((err), msg_, sizeof msg_)); \
        }                                                                                      \
    } while (0)

/* ---- The corpus on both sides ------------------------------------------------- */

typedef struct sentence {
    char *text;
    size_t len;
    uint32_t *starts, *ends; /* tokens' byte ranges */
    char **terms;
    uint32_t ntok;
} sentence;

typedef struct term_stat {
    char *term;
    uint32_t df;
} term_stat;

typedef struct fixture {
    sentence *s;
    size_t n, cap;
    term_stat *terms;        /* ASCII terms, by descending df */
    size_t nterms;
    lps_index *ix;
    sqlite3 *db;
    sqlite3_stmt *match;
} fixture;

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int compare_stat(const void *a, const void *b)
{
    const term_stat *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return strcmp(x->term, y->term);
}

static int compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ascii_alnum(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* The .txt files of the data directory, sorted. */
static size_t data_files(char names[][256], size_t max)
{
    DIR *d = opendir(LPS_TEST_DATA_DIR);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && len < 256 && strcmp(e->d_name + len - 4, ".txt") == 0 && n < max)
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    return n;
}

static void add_sentence(fixture *fx, analyzer *a, const char *text, size_t len)
{
    if (fx->n == fx->cap) {
        fx->cap = fx->cap ? fx->cap * 2 : 1024;
        fx->s = xrealloc(fx->s, fx->cap * sizeof *fx->s);
    }
    sentence *s = &fx->s[fx->n++];
    memset(s, 0, sizeof *s);
    s->text = xstrndup(text, len);
    s->len = len;
    analyzer_result r;
    assert_int_equal(analyzer_tokenize(a, s->text, len, &r), LPS_OK);
    s->ntok = (uint32_t)r.count;
    s->starts = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *s->starts);
    s->ends = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *s->ends);
    s->terms = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *s->terms);
    for (size_t k = 0; k < r.count; k++) {
        s->starts[k] = r.tokens[k].start;
        s->ends[k] = r.tokens[k].end;
        s->terms[k] = xstrndup(r.terms + r.tokens[k].term_off, r.tokens[k].term_len);
    }
}

/* Document frequencies of the ASCII terms, most frequent first. */
static void count_terms(fixture *fx)
{
    size_t total = 0;
    for (size_t i = 0; i < fx->n; i++)
        total += fx->s[i].ntok;
    char **all = xrealloc(NULL, (total ? total : 1) * sizeof *all);
    size_t na = 0;
    for (size_t i = 0; i < fx->n; i++) {
        const sentence *s = &fx->s[i];
        for (uint32_t k = 0; k < s->ntok; k++) {
            int seen = 0;
            for (uint32_t j = 0; j < k && !seen; j++)
                seen = strcmp(s->terms[j], s->terms[k]) == 0;
            if (!seen && ascii_alnum(s->terms[k]))
                all[na++] = s->terms[k];
        }
    }
    qsort(all, na, sizeof *all, compare_str);
    fx->terms = xrealloc(NULL, (na ? na : 1) * sizeof *fx->terms);
    for (size_t i = 0; i < na; i++) {
        if (fx->nterms > 0 && strcmp(fx->terms[fx->nterms - 1].term, all[i]) == 0)
            fx->terms[fx->nterms - 1].df++;
        else
            fx->terms[fx->nterms++] = (term_stat){all[i], 1};
    }
    qsort(fx->terms, fx->nterms, sizeof *fx->terms, compare_stat);
    free(all);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    char names[16][256];
    size_t nfiles = data_files(names, 16);
    assert_int_equal(nfiles, 5);

    const char *dir = test_scratch_dir("search-fts5");
    lps_writer_options o;
    lps_writer_options_init(&o);
    o.create = 1;
    lps_writer *w = NULL;
    lps_error err;
    CHECK_OK(lps_writer_open(dir, &o, &w, &err), &err);
    analyzer *a = NULL;
    assert_int_equal(analyzer_create(&a, 0), LPS_OK);
    for (size_t i = 0; i < nfiles; i++) {
        const char *path = test_data_path(names[i]);
        int added = 0;
        CHECK_OK(lps_writer_add_file(w, path, &added, &err), &err);
        assert_int_equal(added, 1);
        transcript *t = NULL;
        CHECK_OK(transcript_read_file(path, &t, &err), &err);
        for (size_t s = 0; s < t->sentence_count; s++)
            add_sentence(fx, a, t->text + t->sentences[s].text_off, t->sentences[s].text_len);
        transcript_free(t);
    }
    CHECK_OK(lps_writer_commit(w, &err), &err);
    lps_writer_close(w);
    analyzer_free(a);
    CHECK_OK(lps_index_open(dir, &fx->ix, &err), &err);
    lps_index_info info;
    lps_index_get_info(fx->ix, &info);
    assert_int_equal(info.sentences, fx->n);
    count_terms(fx);

    if (sqlite3_open(":memory:", &fx->db) != SQLITE_OK)
        fail_msg("cannot open SQLite");
    exec_sql(fx->db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize=\"unicode61 remove_diacritics 2\")");
    exec_sql(fx->db, "BEGIN");
    sqlite3_stmt *insert = NULL;
    assert_int_equal(sqlite3_prepare_v2(fx->db, "INSERT INTO t(rowid, x) VALUES(?1, ?2)", -1, &insert, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < fx->n; i++) {
        sqlite3_bind_int64(insert, 1, (sqlite3_int64)i);
        sqlite3_bind_text(insert, 2, fx->s[i].text, (int)fx->s[i].len, SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE)
            fail_msg("insert: %s", sqlite3_errmsg(fx->db));
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    exec_sql(fx->db, "COMMIT");
    assert_int_equal(sqlite3_prepare_v2(fx->db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1,
                                        &fx->match, NULL),
                     SQLITE_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    for (size_t i = 0; i < fx->n; i++) {
        sentence *s = &fx->s[i];
        for (uint32_t k = 0; k < s->ntok; k++)
            free(s->terms[k]);
        free(s->terms);
        free(s->starts);
        free(s->ends);
        free(s->text);
    }
    free(fx->s);
    free(fx->terms);
    sqlite3_finalize(fx->match);
    sqlite3_close(fx->db);
    lps_index_close(fx->ix);
    free(fx);
    return 0;
}

/* ---- Queries: one tree, two spellings ---------------------------------------------- */

enum qkind { Q_WORD = 1, Q_PHRASE, Q_NEAR, Q_AND, Q_OR, Q_NOT };

typedef struct qnode {
    int kind;
    char *text;         /* WORD: one word as written; PHRASE: the quoted text */
    int prefix;
    int slop;           /* PHRASE: -1, or N of "a b"~N (text: single-token words) */
    int distance;       /* NEAR: -1 for the default (10) */
    int style;          /* AND: 0 run, 1 AND; NOT: 0 NOT, 1 '-' */
    struct qnode *k[4];
    size_t nk;
} qnode;

static qnode *qnew(int kind)
{
    qnode *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->slop = -1;
    q->distance = -1;
    return q;
}

static void qfree(qnode *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nk; i++)
        qfree(q->k[i]);
    free(q->text);
    free(q);
}

static int is_leaf(const qnode *q)
{
    return q->kind == Q_WORD || q->kind == Q_PHRASE || q->kind == Q_NEAR;
}

static void quoted(strbuf *b, const char *text)
{
    sb_puts(b, "\"");
    for (const char *p = text; *p; p++)
        sb_putn(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    sb_puts(b, "\"");
}

static void render_lps(strbuf *b, const qnode *q);

static void lps_operand(strbuf *b, const qnode *q)
{
    if (is_leaf(q)) {
        render_lps(b, q);
    } else {
        sb_puts(b, "(");
        render_lps(b, q);
        sb_puts(b, ")");
    }
}

static void render_lps(strbuf *b, const qnode *q)
{
    switch (q->kind) {
    case Q_WORD:
        sb_puts(b, q->text);
        if (q->prefix)
            sb_puts(b, "*");
        break;
    case Q_PHRASE:
        quoted(b, q->text);
        if (q->prefix)
            sb_puts(b, "*");
        if (q->slop >= 0)
            sb_printf(b, "~%d", q->slop);
        break;
    case Q_NEAR:
        sb_puts(b, "NEAR(");
        for (size_t i = 0; i < q->nk; i++) {
            if (i > 0)
                sb_puts(b, " ");
            render_lps(b, q->k[i]);
        }
        if (q->distance >= 0)
            sb_printf(b, ", %d", q->distance);
        sb_puts(b, ")");
        break;
    case Q_AND:
    case Q_OR:
        for (size_t i = 0; i < q->nk; i++) {
            if (i > 0)
                sb_puts(b, q->kind == Q_OR ? " OR " : q->style ? " AND " : " ");
            lps_operand(b, q->k[i]);
        }
        break;
    case Q_NOT:
        lps_operand(b, q->k[0]);
        sb_puts(b, q->style ? " -" : " NOT ");
        lps_operand(b, q->k[1]);
        break;
    default:
        fail_msg("bad node");
    }
}

/* FTS5: every word a quoted string, every group parenthesized. */
static void render_fts5(strbuf *b, const qnode *q)
{
    switch (q->kind) {
    case Q_WORD:
        quoted(b, q->text);
        if (q->prefix)
            sb_puts(b, "*");
        break;
    case Q_PHRASE:
        if (q->slop < 0) {
            quoted(b, q->text);
            if (q->prefix)
                sb_puts(b, "*");
            break;
        }
        /* "a b"~N is NEAR(a b, N) of its words, which are single tokens. */
        sb_puts(b, "NEAR(");
        for (const char *p = q->text; *p;) {
            const char *e = strchr(p, ' ');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *w = xstrndup(p, n);
            if (p != q->text)
                sb_puts(b, " ");
            quoted(b, w);
            free(w);
            p += n;
            if (*p == ' ')
                p++;
            else if (q->prefix)
                sb_puts(b, "*");
        }
        sb_printf(b, ", %d)", q->slop);
        break;
    case Q_NEAR:
        sb_puts(b, "NEAR(");
        for (size_t i = 0; i < q->nk; i++) {
            if (i > 0)
                sb_puts(b, " ");
            render_fts5(b, q->k[i]);
        }
        sb_printf(b, ", %d)", q->distance >= 0 ? q->distance : 10);
        break;
    case Q_AND:
    case Q_OR:
    case Q_NOT:
        sb_puts(b, "(");
        for (size_t i = 0; i < q->nk; i++) {
            if (i > 0)
                sb_puts(b, q->kind == Q_OR ? " OR " : q->kind == Q_AND ? " AND " : " NOT ");
            render_fts5(b, q->k[i]);
        }
        sb_puts(b, ")");
        break;
    default:
        fail_msg("bad node");
    }
}

/* ---- Generation ------------------------------------------------------------------ */

typedef struct qgen {
    uint32_t rng;
    const fixture *fx;
} qgen;

/* A sentence with at least min tokens. */
static const sentence *random_sentence(qgen *g, uint32_t min)
{
    for (;;) {
        const sentence *s = &g->fx->s[pick(&g->rng, (uint32_t)g->fx->n)];
        if (s->ntok >= min)
            return s;
    }
}

static int is_operator(const char *w)
{
    return strcmp(w, "AND") == 0 || strcmp(w, "OR") == 0 || strcmp(w, "NOT") == 0 || strcmp(w, "NEAR") == 0;
}

/* Token i of s as written, or NULL when it is not plain ASCII. */
static char *token_text(const sentence *s, uint32_t i)
{
    char *w = xstrndup(s->text + s->starts[i], s->ends[i] - s->starts[i]);
    for (const char *p = w; *p; p++)
        if ((unsigned char)*p >= 0x80) {
            free(w);
            return NULL;
        }
    if (is_operator(w)) {
        free(w);
        return NULL;
    }
    return w;
}

/* A term by frequency class: 0 frequent, 1 middling, 2 rare. */
static char *corpus_term(qgen *g, int klass)
{
    size_t n = g->fx->nterms, lo, hi;
    if (klass == 0) {
        lo = 0;
        hi = n < 60 ? n : 60;
    } else if (klass == 1) {
        lo = n / 20;
        hi = n / 3;
    } else {
        lo = n / 2;
        hi = n;
    }
    const char *t = g->fx->terms[lo + pick(&g->rng, (uint32_t)(hi - lo))].term;
    char *w = xstrndup(t, strlen(t));
    if (chance(&g->rng, 20))
        w[0] = (char)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 'a' + 'A' : w[0]);
    return w;
}

/* A white-space delimited word of s that the analyzer splits ("LivePerson's",
 * "$6.9", "follow-up"), trimmed of punctuation; NULL if none is usable. */
static char *compound_word(qgen *g, const sentence *s)
{
    for (int tries = 0; tries < 8; tries++) {
        const char *p = s->text + pick(&g->rng, (uint32_t)s->len);
        while (p > s->text && p[-1] != ' ')
            p--;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        while (e > p && strchr(".,;:?!)]'\"", e[-1]))
            e--;
        while (p < e && strchr("([\"'-", *p))
            p++;
        if (e - p < 3)
            continue;
        int ok = 1, separators = 0;
        for (const char *c = p; c < e && ok; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch >= 0x80 || strchr("()\"*~:,", ch))
                ok = 0;
            else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
                separators = 1;
        }
        if (ok && separators)
            return xstrndup(p, (size_t)(e - p));
    }
    return NULL;
}

static qnode *word_node(qgen *g, const sentence *s)
{
    qnode *q = qnew(Q_WORD);
    uint32_t r = pick(&g->rng, 100);
    if (s && r < 50)
        q->text = token_text(s, pick(&g->rng, s->ntok));
    else if (s && r < 60)
        q->text = compound_word(g, s);
    if (!q->text)
        q->text = corpus_term(g, (int)pick(&g->rng, 3));
    return q;
}

/* A token of s as written (a corpus term when s is NULL or the token is not ASCII). */
static qnode *sentence_word(qgen *g, const sentence *s)
{
    qnode *q = qnew(Q_WORD);
    if (s)
        q->text = token_text(s, pick(&g->rng, s->ntok));
    if (!q->text)
        q->text = corpus_term(g, (int)pick(&g->rng, 3));
    return q;
}

static qnode *prefix_node(qgen *g, const sentence *s)
{
    qnode *q = word_node(g, s);
    size_t n = strlen(q->text);
    if (n > 2 && !chance(&g->rng, 15))
        q->text[2 + pick(&g->rng, (uint32_t)(n - 2))] = '\0';
    q->prefix = 1;
    return q;
}

/* Tokens [i, i+k) of s as written (punctuation between them included). */
static char *span_text(const sentence *s, uint32_t i, uint32_t k)
{
    return xstrndup(s->text + s->starts[i], s->ends[i + k - 1] - s->starts[i]);
}

static qnode *phrase_node(qgen *g, const sentence *s)
{
    qnode *q = qnew(Q_PHRASE);
    uint32_t k = 2 + pick(&g->rng, 3);
    if (!s || s->ntok < k)
        s = random_sentence(g, k);
    q->text = span_text(s, pick(&g->rng, s->ntok - k + 1), k);
    if (chance(&g->rng, 12)) {
        size_t n = strlen(q->text);
        if (n > 4 && q->text[n - 2] != ' ' && (unsigned char)q->text[n - 1] < 0x80) {
            q->text[n - 1] = '\0';
            q->prefix = 1;
        }
    }
    return q;
}

/* "a b"~N: single-token words near one another in s, any order. */
static qnode *slop_node(qgen *g, const sentence *s)
{
    static const int slops[] = {0, 1, 2, 3, 5, 8};
    if (!s || s->ntok < 3)
        s = random_sentence(g, 3);
    qnode *q = qnew(Q_PHRASE);
    strbuf b = {0};
    uint32_t k = 2 + chance(&g->rng, 30), at = pick(&g->rng, s->ntok);
    for (uint32_t m = 0; m < k; m++) {
        uint32_t i = at + pick(&g->rng, 7);
        i = i >= 3 ? i - 3 : 0;
        if (i >= s->ntok)
            i = s->ntok - 1;
        char *w = token_text(s, i);
        if (!w)
            w = corpus_term(g, 0);
        if (b.n > 0)
            sb_puts(&b, " ");
        sb_puts(&b, w);
        free(w);
    }
    q->text = b.p;
    q->slop = slops[pick(&g->rng, 6)];
    return q;
}

static qnode *near_node(qgen *g, const sentence *s)
{
    static const int distances[] = {-1, 0, 1, 2, 3, 5};
    if (!s || s->ntok < 3)
        s = random_sentence(g, 3);
    qnode *q = qnew(Q_NEAR);
    q->distance = distances[pick(&g->rng, 6)];
    q->nk = 2 + chance(&g->rng, 30);
    uint32_t at = pick(&g->rng, s->ntok);
    for (size_t m = 0; m < q->nk; m++) {
        uint32_t i = at + pick(&g->rng, 9);
        i = i >= 4 ? i - 4 : 0;
        if (i >= s->ntok)
            i = s->ntok - 1;
        uint32_t r = pick(&g->rng, 100);
        qnode *k;
        if (r < 20 && i + 1 < s->ntok) {
            k = qnew(Q_PHRASE);
            k->text = span_text(s, i, 2);
        } else if (r < 85) {
            k = qnew(Q_WORD);
            k->text = token_text(s, i);
            if (!k->text)
                k->text = corpus_term(g, 0);
            if (r >= 70 && strlen(k->text) > 3) {
                k->text[strlen(k->text) - 1] = '\0';
                k->prefix = 1;
            }
        } else {
            k = word_node(g, NULL);
        }
        q->k[m] = k;
    }
    return q;
}

static qnode *gen_node(qgen *g, int depth, const sentence *s);

static qnode *group_node(qgen *g, int kind, int depth, const sentence *s)
{
    qnode *q = qnew(kind);
    q->nk = 2 + chance(&g->rng, 30);
    for (size_t i = 0; i < q->nk; i++)
        q->k[i] = gen_node(g, depth - 1, chance(&g->rng, 70) ? s : random_sentence(g, 1));
    q->style = chance(&g->rng, 50);
    return q;
}

static qnode *not_node(qgen *g, int depth, const sentence *s, int style)
{
    qnode *q = qnew(Q_NOT);
    q->nk = 2;
    q->k[0] = gen_node(g, depth - 1, s);
    q->k[1] = gen_node(g, depth - 1, chance(&g->rng, 60) ? s : random_sentence(g, 1));
    q->style = style;
    return q;
}

static qnode *gen_node(qgen *g, int depth, const sentence *s)
{
    uint32_t r = pick(&g->rng, depth > 0 ? 100 : 60);
    if (r < 22)
        return word_node(g, s);
    if (r < 32)
        return prefix_node(g, s);
    if (r < 44)
        return phrase_node(g, s);
    if (r < 50)
        return slop_node(g, s);
    if (r < 60)
        return near_node(g, s);
    if (r < 75)
        return group_node(g, Q_AND, depth, s);
    if (r < 88)
        return group_node(g, Q_OR, depth, s);
    return not_node(g, depth, s, chance(&g->rng, 50));
}

enum { K_WORD, K_AND, K_AND_EXPLICIT, K_OR, K_NOT, K_EXCLUDE, K_PHRASE, K_NEAR, K_SLOP, K_PREFIX, K_NESTED,
       K_COUNT };
static const char *const kind_names[] = {"word", "and", "AND", "OR", "NOT", "-x", "phrase", "NEAR", "~N",
                                         "prefix", "nested"};

static qnode *gen_query(qgen *g, int kind)
{
    const sentence *s = random_sentence(g, 2);
    qnode *q;
    switch (kind) {
    case K_WORD:
        return word_node(g, chance(&g->rng, 50) ? s : NULL);
    case K_AND:
    case K_AND_EXPLICIT:
        q = qnew(Q_AND);
        q->nk = 2 + chance(&g->rng, 30);
        for (size_t i = 0; i < q->nk; i++)
            q->k[i] = chance(&g->rng, 80) ? sentence_word(g, chance(&g->rng, 85) ? s : NULL) : phrase_node(g, s);
        q->style = kind == K_AND_EXPLICIT;
        return q;
    case K_OR:
        q = qnew(Q_OR);
        q->nk = 2 + chance(&g->rng, 30);
        for (size_t i = 0; i < q->nk; i++)
            q->k[i] = chance(&g->rng, 75) ? word_node(g, chance(&g->rng, 50) ? s : NULL) : gen_node(g, 1, s);
        return q;
    case K_NOT:
    case K_EXCLUDE:
        q = qnew(Q_NOT);
        q->nk = 2;
        q->k[0] = chance(&g->rng, 70) ? word_node(g, s) : gen_node(g, 1, s);
        q->k[1] = chance(&g->rng, 70) ? word_node(g, chance(&g->rng, 60) ? s : NULL) : gen_node(g, 1, s);
        q->style = kind == K_EXCLUDE;
        return q;
    case K_PHRASE:
        return phrase_node(g, s);
    case K_NEAR:
        return near_node(g, s);
    case K_SLOP:
        return slop_node(g, s);
    case K_PREFIX:
        if (chance(&g->rng, 70))
            return prefix_node(g, s);
        q = qnew(Q_AND);
        q->nk = 2;
        q->k[0] = prefix_node(g, s);
        q->k[1] = chance(&g->rng, 50) ? word_node(g, s) : prefix_node(g, s);
        return q;
    default:
        return gen_node(g, 3, s);
    }
}

/* ---- Comparison -------------------------------------------------------------------- */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* FTS5's rowids in order; -1 with the message when it rejects the query. */
static long fts5_ids(fixture *fx, const char *query, uint64_t **out)
{
    *out = NULL;
    sqlite3_reset(fx->match);
    sqlite3_bind_text(fx->match, 1, query, -1, SQLITE_TRANSIENT);
    size_t n = 0, cap = 0;
    uint64_t *ids = NULL;
    int rc;
    while ((rc = sqlite3_step(fx->match)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            ids = xrealloc(ids, cap * sizeof *ids);
        }
        ids[n++] = (uint64_t)sqlite3_column_int64(fx->match, 0);
    }
    if (rc != SQLITE_DONE) {
        free(ids);
        return -1;
    }
    *out = ids;
    return (long)n;
}

static unsigned mismatches;

/* Appends up to 12 of the ids of a that b lacks (both ascending). */
static size_t only_in(strbuf *b, const uint64_t *a, size_t na, const uint64_t *x, size_t nx, uint64_t *first)
{
    size_t shown = 0, count = 0, j = 0;
    for (size_t i = 0; i < na; i++) {
        while (j < nx && x[j] < a[i])
            j++;
        if (j < nx && x[j] == a[i])
            continue;
        if (count++ == 0)
            *first = a[i];
        if (shown++ < 12)
            sb_printf(b, " %llu", (unsigned long long)a[i]);
    }
    if (count > shown)
        sb_printf(b, " (%zu in all)", count);
    return count;
}

/* 1 when both engines agree on the query's matches. */
static int compare_query(fixture *fx, const qnode *q, unsigned long long *hits)
{
    strbuf lq = {0}, fq = {0};
    render_lps(&lq, q);
    render_fts5(&fq, q);
    uint64_t *theirs = NULL;
    long nf = fts5_ids(fx, fq.p, &theirs);
    if (nf < 0)
        fail_msg("FTS5 rejects %s (lpsearch: %s): %s", fq.p, lq.p, sqlite3_errmsg(fx->db));

    lps_error err;
    uint64_t count = 0;
    int rc = lps_count(fx->ix, lq.p, &count, &err);
    if (rc != LPS_OK) {
        char msg[1400];
        fail_msg("lpsearch rejects %s: %s (%s)", lq.p, lps_strerror(rc), lps_error_format(&err, msg, sizeof msg));
    }
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = fx->n + 10;
    o.count = 1;
    lps_results *res = NULL;
    CHECK_OK(lps_search(fx->ix, lq.p, &o, &res, &err), &err);
    size_t n = lps_results_count(res);
    uint64_t *ours = xrealloc(NULL, (n ? n : 1) * sizeof *ours);
    for (size_t i = 0; i < n; i++) {
        const lps_hit *h = lps_results_hit(res, i);
        ours[i] = h->id;
        if (h->id >= fx->n || h->text_len != fx->s[h->id].len || memcmp(h->text, fx->s[h->id].text, h->text_len))
            fail_msg("query %s: hit id %llu holds \"%.*s\", sentence %llu is \"%s\"", lq.p,
                     (unsigned long long)h->id, (int)h->text_len, h->text, (unsigned long long)h->id,
                     h->id < fx->n ? fx->s[h->id].text : "(none)");
    }
    qsort(ours, n, sizeof *ours, compare_u64);
    int same = count == (uint64_t)nf && n == (size_t)nf && lps_results_total(res) == count;
    for (size_t i = 0; same && i < n; i++)
        same = ours[i] == theirs[i];
    if (!same) {
        strbuf a = {0}, b = {0};
        sb_puts(&a, "");
        sb_puts(&b, "");
        uint64_t first_a = 0, first_b = 0;
        size_t na = only_in(&a, ours, n, theirs, (size_t)nf, &first_a);
        size_t nb = only_in(&b, theirs, (size_t)nf, ours, n, &first_b);
        mismatches++;
        printf("MISMATCH lpsearch: %s\n         FTS5:     %s\n"
               "         lps_count %llu, lps_search %zu hits (total %llu), FTS5 %ld\n"
               "         only lpsearch:%s\n         only FTS5:%s\n",
               lq.p, fq.p, (unsigned long long)count, n, (unsigned long long)lps_results_total(res), nf, a.p,
               b.p);
        if (na)
            printf("         e.g. lpsearch only, %llu: %s\n", (unsigned long long)first_a, fx->s[first_a].text);
        if (nb)
            printf("         e.g. FTS5 only, %llu: %s\n", (unsigned long long)first_b, fx->s[first_b].text);
        free(a.p);
        free(b.p);
    }
    *hits += n;
    lps_results_free(res);
    free(ours);
    free(theirs);
    free(lq.p);
    free(fq.p);
    return same;
}

static void test_random_queries(void **state)
{
    fixture *fx = *state;
    const char *env = getenv("LPS_SEARCH_FTS5_QUERIES");
    size_t nq = env && *env ? (size_t)strtoul(env, NULL, 0) : 440;
    env = getenv("LPS_SEARCH_FTS5_SEED");
    qgen g = {env && *env ? (uint32_t)strtoul(env, NULL, 0) : 0xf75u, fx};
    unsigned by_kind[K_COUNT] = {0}, hit_kind[K_COUNT] = {0};
    unsigned long long hits = 0;
    mismatches = 0;
    for (size_t i = 0; i < nq; i++) {
        int kind = (int)(i % K_COUNT);
        qnode *q = gen_query(&g, kind);
        unsigned long long before = hits;
        compare_query(fx, q, &hits);
        by_kind[kind]++;
        hit_kind[kind] += hits > before;
        qfree(q);
    }
    printf("  %zu queries over %zu sentences, %llu hits; with hits by kind:", nq, fx->n, hits);
    for (int k = 0; k < K_COUNT; k++)
        printf(" %s %u/%u", kind_names[k], hit_kind[k], by_kind[k]);
    printf("\n");
    if (mismatches)
        fail_msg("%u of %zu queries match other sentences than FTS5 (printed above)", mismatches, nq);
}

/* Fixed cases: operators, precedence, folding and splitting the analyzer does. */
static void test_fixed_queries(void **state)
{
    fixture *fx = *state;
    static const char *const pairs[][2] = {
        {"chat", "\"chat\""},
        {"Chat", "\"chat\""},
        {"LivePerson's", "\"LivePerson's\""},
        {"follow-up", "\"follow-up\""},
        {"chat OR mobile", "\"chat\" OR \"mobile\""},
        {"chat mobile", "\"chat\" AND \"mobile\""},
        {"chat -mobile", "\"chat\" NOT \"mobile\""},
        {"chat NOT mobile", "\"chat\" NOT \"mobile\""},
        {"chat OR mobile revenue", "\"chat\" OR (\"mobile\" AND \"revenue\")"},
        {"chat mobile NOT revenue", "(\"chat\" AND \"mobile\") NOT \"revenue\""},
        {"chat NOT mobile revenue", "\"chat\" NOT (\"mobile\" AND \"revenue\")"},
        {"chat -mobile -revenue", "\"chat\" NOT (\"mobile\" OR \"revenue\")"},
        {"(chat OR mobile) customers", "(\"chat\" OR \"mobile\") AND \"customers\""},
        {"\"forward-looking statements\"", "\"forward-looking statements\""},
        {"mobil*", "\"mobil\"*"},
        {"\"gross mar\"*", "\"gross mar\"*"},
        {"NEAR(chat mobile)", "NEAR(\"chat\" \"mobile\")"},
        {"NEAR(chat mobile, 0)", "NEAR(\"chat\" \"mobile\", 0)"},
        {"NEAR(\"adjusted EBITDA\" share, 5)", "NEAR(\"adjusted EBITDA\" \"share\", 5)"},
        {"\"chat mobile\"~3", "NEAR(\"chat\" \"mobile\", 3)"},
        {"\"the of\"~1", "NEAR(\"the\" \"of\", 1)"},
        {"NEAR(the the, 0)", "NEAR(\"the\" \"the\", 0)"},
    };
    unsigned long long hits = 0;
    mismatches = 0;
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        /* Build a leaf that renders verbatim on each side. */
        strbuf lq = {0};
        sb_puts(&lq, pairs[i][0]);
        uint64_t *theirs = NULL;
        long nf = fts5_ids(fx, pairs[i][1], &theirs);
        if (nf < 0)
            fail_msg("FTS5 rejects %s: %s", pairs[i][1], sqlite3_errmsg(fx->db));
        lps_error err;
        uint64_t count = 0;
        CHECK_OK(lps_count(fx->ix, lq.p, &count, &err), &err);
        lps_search_options o;
        lps_search_options_init(&o);
        o.limit = fx->n + 10;
        lps_results *res = NULL;
        CHECK_OK(lps_search(fx->ix, lq.p, &o, &res, &err), &err);
        size_t n = lps_results_count(res);
        uint64_t *ours = xrealloc(NULL, (n ? n : 1) * sizeof *ours);
        for (size_t k = 0; k < n; k++)
            ours[k] = lps_results_hit(res, k)->id;
        qsort(ours, n, sizeof *ours, compare_u64);
        int same = count == (uint64_t)nf && n == (size_t)nf;
        for (size_t k = 0; same && k < n; k++)
            same = ours[k] == theirs[k];
        if (!same) {
            mismatches++;
            printf("MISMATCH lpsearch: %s (%llu, %zu hits)\n         FTS5:     %s (%ld)\n", lq.p,
                   (unsigned long long)count, n, pairs[i][1], nf);
        }
        if (nf == 0)
            printf("note: %s matches nothing\n", pairs[i][0]);
        hits += n;
        lps_results_free(res);
        free(ours);
        free(theirs);
        free(lq.p);
    }
    if (mismatches)
        fail_msg("%u fixed queries disagree with FTS5", mismatches);
    assert_true(hits > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_queries),
        cmocka_unit_test(test_random_queries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
