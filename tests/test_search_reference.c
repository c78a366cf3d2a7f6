/*
 * The search engine against a brute-force reference.
 *
 * Random small corpora (a few dozen sentences per call, a vocabulary of
 * about forty words so that queries hit, with words the analyzer splits,
 * folds or drops) are indexed through the public API.  The reference reads
 * the same transcripts with transcript_read_memory, tokenizes every sentence
 * with the analyzer, and evaluates each query tree by scanning every live
 * sentence, with the scoring rules written out below independently of
 * query/:
 *
 *   N = live sentences, avgdl = their mean length in tokens;
 *   idf(df) = ln(1 + (N - df + 0.5) / (df + 0.5));
 *   tf part = tf / (tf + k1 * (1 - b + b * dl / avgdl));
 *   a word scores idf(df) * tf part; a prefix scores that for every index
 *   term with the (unstemmed) folded prefix that occurs in the sentence; a
 *   phrase (quoted, or a bare word of several tokens) is one unit whose tf
 *   is its number of start positions and whose df counts live sentences
 *   holding it; NEAR scores the sum of its members' own unit scores and
 *   matches when some choice of one instance per member has at most N
 *   tokens between the end of the instance that starts first (of those
 *   that start together, the one that ends first) and the start of the
 *   instance that starts last;
 *   AND sums its children, OR the children that match, `a NOT b` scores a;
 *   field filters score 0.  Hits sort by score, ties by ascending id.
 *
 * The query is generated as a tree, rendered to text in several equivalent
 * spellings (implicit and explicit AND, NOT and the '-' shorthand,
 * precedence without parentheses where the grammar allows it), and the tree
 * itself is what the reference evaluates, so the engine's parser is checked
 * too.  For every query: lps_count, and the full hit list of lps_search
 * (limit above the corpus size, with count) against the reference: the
 * same ids, scores within 1e-6, the stored text, lps_results_total, and an
 * order by the engine's exact score, exact ties by ascending id, that the
 * reference's scores confirm up to rounding (scores that are equal on
 * paper may differ in the last bit).  Pages of 1, 5 and 10 hits and at
 * random offsets (top-k with pruning) must be slices of that list; with
 * explain, the rows must be BM25 factors that add up to the score.
 *
 * Index states: one commit; a commit per call (several segments, merged
 * by the tiered policy); that index optimized (the same results, bit for
 * bit); calls removed from several segments (N, avgdl, df and hits over
 * the live sentences only); optimized again; a stemmed index.  A filter
 * every call passes lists the live sentences in id order, which gives the
 * reference its ids: 0..n-1 except after removal, where a removed call
 * leaves a gap or, when its segment empties, the later ids move down.
 *
 * Failures print the seed, the index state, the query and what differs.
 * LPS_SEARCH_REF_SEED=S runs one seed; LPS_SEARCH_REF_QUERIES=N sets the
 * queries per seed.
 */
#include "test.h"

#include "analyzer.h"
#include "lpsearch.h"
#include "transcript.h"

#include <math.h>

/* ---- Small helpers ------------------------------------------------------- */

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

static char *xstrdup_or_null(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
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
    char tmp[1024];
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

/* ---- Failure accounting: report many, then fail once --------------------- */

static char scenario[256];   /* seed and index state, for messages */
static unsigned failures;
static unsigned failures_printed;

#define REPORT(...)                                                         \
    do {                                                                    \
        failures++;                                                         \
        if (failures_printed < 25) {                                        \
            failures_printed++;                                             \
            fprintf(stdout, "MISMATCH [%s] ", scenario);                    \
            fprintf(stdout, __VA_ARGS__);                                   \
            fputc('\n', stdout);                                            \
        }                                                                   \
    } while (0)

#define CHECK_OK(call, err)                                                           \
    do {                                                                              \
        int rc_ = (call);                                                             \
        if (rc_ != LPS_OK) {                                                          \
            char msg_[1400];                                                          \
            fail_msg("[%s] %s: %s (%s)", scenario, #call, lps_strerror(rc_),          \
                     lps_error_format((err), msg_, sizeof msg_));                     \
        }                                                                             \
    } while (0)

/* ---- Corpus generation ------------------------------------------------------ */

/* Words of the generated sentences.  None is AND, OR, NOT or NEAR in any
 * case; some split into several tokens, fold, or carry diacritics. */
static const char *const vocabulary[] = {
    "the", "we", "our", "in", "of", "to", "revenue", "growth", "margin", "customers", "customer",
    "chat", "platform", "mobile", "guidance", "bookings", "engagement", "messaging", "pricing",
    "enterprise", "market", "marketing", "sales", "data", "digital", "cash", "deal", "deals",
    "team", "product", "strong", "résumé", "café", "follow-up", "LivePerson's", "$6.9", "e-mail",
    "non-GAAP", "year-over-year", "Q1",
};
#define VOCABULARY_SIZE (sizeof vocabulary / sizeof vocabulary[0])

/* Words no generated sentence holds, and words with no token at all. */
static const char *const missing_words[] = {"zebra", "quux", "xylophone", "revenuex"};
static const char *const empty_words[] = {"&", "+", "§"};

static const char *const speaker_labels[] = {
    "Operator",
    "John Smith - CFO",
    "Mary Jones - President & CEO",
    "Alan Brown - Acme Capital - Analyst",
    "Kate Green - Benchmark - Analyst",
    "Tom White - Chief Technology Officer",
};
#define SPEAKER_COUNT (sizeof speaker_labels / sizeof speaker_labels[0])

static const char *const companies[] = {"Acme Corp (ACME)", "Globex Inc (GLBX)", "Initech Inc (INTK)"};
#define COMPANY_COUNT (sizeof companies / sizeof companies[0])

typedef struct ref_doc {
    char *text;
    size_t len;
    char **terms;           /* the analyzer's terms in order */
    uint32_t *starts, *ends; /* byte ranges of the tokens in text */
    uint32_t ntok;
    size_t call;
    char *name, *label, *role, *firm; /* the speaker; NULL when unknown */
} ref_doc;

typedef struct ref_call {
    char name[32];
    char *text;
    size_t len;
    int year, quarter;
    char *company, *ticker;
} ref_call;

typedef struct corpus {
    ref_call *calls;
    size_t ncalls;
    ref_doc *docs;          /* every sentence of every call, in id order */
    size_t ndocs, cap;
    int stem;
    uint32_t word_rank[VOCABULARY_SIZE]; /* a per-seed permutation: Zipf ranks */
} corpus;

/* A vocabulary word, frequent ones much more often than rare ones. */
static const char *zipf_word(const corpus *c, uint32_t *rng)
{
    /* Inverse of a 1/(rank+1) distribution, approximately: rank = e^(u ln V) - 1. */
    double u = (double)pick(rng, 1u << 20) / (double)(1u << 20);
    size_t rank = (size_t)(exp(u * log((double)VOCABULARY_SIZE + 1.0)) - 1.0);
    if (rank >= VOCABULARY_SIZE)
        rank = VOCABULARY_SIZE - 1;
    for (size_t i = 0; i < VOCABULARY_SIZE; i++)
        if (c->word_rank[i] == rank)
            return vocabulary[i];
    return vocabulary[0];
}

/* Upper-cases the first ASCII letter of a word, or all ASCII letters. */
static void case_variant(strbuf *b, const char *w, int mode)
{
    size_t start = b->n;
    sb_puts(b, w);
    for (size_t i = start; i < b->n; i++) {
        char ch = b->p[i];
        if (ch >= 'a' && ch <= 'z') {
            b->p[i] = (char)(ch - 'a' + 'A');
            if (mode == 1)
                break;
        } else if (mode == 1 && ((ch >= 'A' && ch <= 'Z') || (unsigned char)ch >= 0x80)) {
            break;
        }
    }
}

static void gen_sentence(const corpus *c, uint32_t *rng, strbuf *b)
{
    if (chance(rng, 2)) {
        sb_puts(b, "\xC2\xA7\xC2\xA7 \xC2\xB6 ?"); /* no token at all */
        return;
    }
    size_t words = 2 + pick(rng, 16);
    for (size_t i = 0; i < words; i++) {
        const char *w = zipf_word(c, rng);
        if (i > 0)
            sb_puts(b, chance(rng, 8) ? ", " : " ");
        int mode = i == 0 ? 1 : chance(rng, 10) ? 1 : chance(rng, 3) ? 2 : 0;
        case_variant(b, w, mode);
    }
    sb_puts(b, chance(rng, 80) ? "." : chance(rng, 50) ? "?" : "!");
}

static char *gen_transcript(const corpus *c, uint32_t *rng, size_t *len)
{
    strbuf b = {0};
    sb_printf(&b, "%s %d Q%u Earnings Call\n", companies[pick(rng, COMPANY_COUNT)], 2011 + (int)pick(rng, 6),
              1 + pick(rng, 4));
    size_t sentences = 20 + pick(rng, 30);
    size_t done = 0;
    for (int turn = 0; done < sentences; turn++) {
        sb_puts(&b, speaker_labels[turn == 0 ? 0 : pick(rng, SPEAKER_COUNT)]);
        sb_puts(&b, "\n");
        size_t lines = 1 + pick(rng, 3);
        for (size_t l = 0; l < lines && done < sentences; l++) {
            size_t k = 1 + pick(rng, 3);
            for (size_t s = 0; s < k && done < sentences; s++, done++) {
                if (s > 0)
                    sb_puts(&b, " ");
                gen_sentence(c, rng, &b);
            }
            sb_puts(&b, "\n");
        }
    }
    *len = b.n;
    return b.p;
}

/* Reads the call back as the indexer will, and appends its sentences. */
static void corpus_add_call(corpus *c, analyzer *a, size_t call)
{
    ref_call *rc = &c->calls[call];
    transcript *t = NULL;
    lps_error err;
    CHECK_OK(transcript_read_memory(rc->name, rc->text, rc->len, &t, &err), &err);
    rc->year = t->year;
    rc->quarter = t->quarter;
    rc->company = xstrdup_or_null(t->company);
    rc->ticker = xstrdup_or_null(t->ticker);
    for (size_t s = 0; s < t->sentence_count; s++) {
        if (c->ndocs == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->docs = xrealloc(c->docs, c->cap * sizeof *c->docs);
        }
        ref_doc *d = &c->docs[c->ndocs++];
        memset(d, 0, sizeof *d);
        const transcript_sentence *ts = &t->sentences[s];
        d->text = xstrndup(t->text + ts->text_off, ts->text_len);
        d->len = ts->text_len;
        d->call = call;
        const transcript_speaker *sp = transcript_sentence_speaker(t, s);
        if (sp) {
            d->name = xstrdup_or_null(sp->name);
            d->label = xstrdup_or_null(sp->label);
            d->role = xstrdup_or_null(sp->role);
            d->firm = xstrdup_or_null(sp->firm);
        }
        analyzer_result r;
        assert_int_equal(analyzer_tokenize(a, d->text, d->len, &r), LPS_OK);
        d->ntok = (uint32_t)r.count;
        d->terms = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *d->terms);
        d->starts = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *d->starts);
        d->ends = xrealloc(NULL, (r.count ? r.count : 1) * sizeof *d->ends);
        for (size_t k = 0; k < r.count; k++) {
            d->terms[k] = xstrndup(r.terms + r.tokens[k].term_off, r.tokens[k].term_len);
            d->starts[k] = r.tokens[k].start;
            d->ends[k] = r.tokens[k].end;
        }
    }
    transcript_free(t);
}

static void corpus_build(corpus *c, uint32_t seed, size_t ncalls, int stem)
{
    memset(c, 0, sizeof *c);
    c->stem = stem;
    uint32_t rng = seed;
    for (size_t i = 0; i < VOCABULARY_SIZE; i++)
        c->word_rank[i] = (uint32_t)i;
    for (size_t i = VOCABULARY_SIZE; i-- > 1;) {
        uint32_t j = pick(&rng, (uint32_t)i + 1), t = c->word_rank[i];
        c->word_rank[i] = c->word_rank[j];
        c->word_rank[j] = t;
    }
    analyzer *a = NULL;
    assert_int_equal(analyzer_create(&a, stem ? ANALYZER_STEM_ENGLISH : 0), LPS_OK);
    c->calls = xrealloc(NULL, ncalls * sizeof *c->calls);
    c->ncalls = ncalls;
    for (size_t i = 0; i < ncalls; i++) {
        ref_call *rc = &c->calls[i];
        memset(rc, 0, sizeof *rc);
        snprintf(rc->name, sizeof rc->name, "call-%02zu.txt", i);
        rc->text = gen_transcript(c, &rng, &rc->len);
        corpus_add_call(c, a, i);
    }
    analyzer_free(a);
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->ndocs; i++) {
        ref_doc *d = &c->docs[i];
        for (uint32_t k = 0; k < d->ntok; k++)
            free(d->terms[k]);
        free(d->terms);
        free(d->starts);
        free(d->ends);
        free(d->text);
        free(d->name);
        free(d->label);
        free(d->role);
        free(d->firm);
    }
    for (size_t i = 0; i < c->ncalls; i++) {
        free(c->calls[i].text);
        free(c->calls[i].company);
        free(c->calls[i].ticker);
    }
    free(c->calls);
    free(c->docs);
    memset(c, 0, sizeof *c);
}

/* ---- The live view of a corpus: what one index state holds ------------------ */

typedef struct live_doc {
    uint64_t id;
    const ref_doc *doc;
} live_doc;

typedef struct term_df {
    const char *term;
    uint32_t df;
} term_df;

typedef struct ref_view {
    const corpus *c;
    live_doc *docs;
    size_t n;
    double avgdl;
    size_t id_space;        /* every id is below it */
    term_df *dict;          /* every term of a live sentence, sorted, with its df */
    size_t nterms;
    double k1, b;
} ref_view;

static int compare_term_df(const void *x, const void *y)
{
    return strcmp(((const term_df *)x)->term, ((const term_df *)y)->term);
}

/* The sentences of the calls not removed, numbered from 0 (run_state sets
 * the ids the index gives them). */
static void view_build(ref_view *v, const corpus *c, const unsigned char *removed)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    v->k1 = 1.2;
    v->b = 0.75;
    v->docs = xrealloc(NULL, (c->ndocs ? c->ndocs : 1) * sizeof *v->docs);
    uint64_t tokens = 0, next = 0;
    size_t pairs = 0;
    for (size_t i = 0; i < c->ndocs; i++) {
        if (removed && removed[c->docs[i].call])
            continue;
        v->docs[v->n].id = next++;
        v->docs[v->n].doc = &c->docs[i];
        v->n++;
        tokens += c->docs[i].ntok;
        pairs += c->docs[i].ntok;
    }
    v->avgdl = v->n ? (double)tokens / (double)v->n : 0.0;
    v->id_space = v->n;
    /* df: distinct (term, sentence) pairs. */
    term_df *all = xrealloc(NULL, (pairs ? pairs : 1) * sizeof *all);
    size_t na = 0;
    for (size_t i = 0; i < v->n; i++) {
        const ref_doc *d = v->docs[i].doc;
        for (uint32_t k = 0; k < d->ntok; k++) {
            int seen = 0;
            for (uint32_t j = 0; j < k && !seen; j++)
                seen = strcmp(d->terms[j], d->terms[k]) == 0;
            if (!seen)
                all[na++] = (term_df){d->terms[k], 1};
        }
    }
    qsort(all, na, sizeof *all, compare_term_df);
    size_t kept = 0;
    for (size_t i = 0; i < na; i++) {
        if (kept > 0 && strcmp(all[kept - 1].term, all[i].term) == 0)
            all[kept - 1].df++;
        else
            all[kept++] = all[i];
    }
    v->dict = all;
    v->nterms = kept;
}

static void view_free(ref_view *v)
{
    free(v->docs);
    free(v->dict);
    memset(v, 0, sizeof *v);
}

static uint32_t view_df(const ref_view *v, const char *term)
{
    term_df key = {term, 0};
    const term_df *hit = bsearch(&key, v->dict, v->nterms, sizeof *v->dict, compare_term_df);
    return hit ? hit->df : 0;
}

static double ref_idf(const ref_view *v, double df)
{
    double n = (double)v->n;
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

static double ref_tf_part(const ref_view *v, double tf, double dl)
{
    double avg = v->avgdl > 0 ? v->avgdl : 1.0;
    return tf / (tf + v->k1 * (1.0 - v->b + v->b * dl / avg));
}

/* ---- Query trees --------------------------------------------------------------- */

enum gkind { G_WORD = 1, G_PHRASE, G_NEAR, G_AND, G_OR, G_NOT, G_FIELD };
enum gfield { F_SPEAKER = 1, F_ROLE, F_FIRM, F_COMPANY, F_YEAR, F_QUARTER };

typedef struct gnode {
    int kind;
    char *text;             /* WORD: as written, without '*'; PHRASE: between the quotes; FIELD: value */
    int prefix;
    int slop;               /* PHRASE: -1, or N of "..."~N */
    int distance;           /* NEAR: -1 for the default (10) */
    int field;
    int quoted;             /* FIELD: the value is quoted */
    int style;              /* AND: 0 run, 1 AND; NOT: 0 NOT, 1 '-', 2 AND -; OR: 1 children bare */
    struct gnode *kids[4];
    size_t nkids;
} gnode;

static gnode *gnew(int kind)
{
    gnode *g = xcalloc(1, sizeof *g);
    g->kind = kind;
    g->slop = -1;
    g->distance = -1;
    return g;
}

static void gfree(gnode *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nkids; i++)
        gfree(g->kids[i]);
    free(g->text);
    free(g);
}

static int is_leaf(const gnode *g)
{
    return g->kind == G_WORD || g->kind == G_PHRASE || g->kind == G_NEAR || g->kind == G_FIELD;
}

/* An implicit AND of leaves: it may stand bare where a run may. */
static int is_bare_run(const gnode *g)
{
    if (g->kind != G_AND || g->style != 0)
        return 0;
    for (size_t i = 0; i < g->nkids; i++)
        if (!is_leaf(g->kids[i]))
            return 0;
    return 1;
}

static void render(strbuf *b, const gnode *g);

static void render_quoted(strbuf *b, const char *text)
{
    sb_puts(b, "\"");
    for (const char *p = text; *p; p++)
        sb_putn(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    sb_puts(b, "\"");
}

static void render_operand(strbuf *b, const gnode *g, int bare_runs)
{
    if (is_leaf(g) || (bare_runs && is_bare_run(g))) {
        render(b, g);
    } else {
        sb_puts(b, "(");
        render(b, g);
        sb_puts(b, ")");
    }
}

static const char *const field_names[] = {"", "speaker", "role", "firm", "company", "year", "quarter"};

static void render(strbuf *b, const gnode *g)
{
    switch (g->kind) {
    case G_WORD:
        sb_puts(b, g->text);
        if (g->prefix)
            sb_puts(b, "*");
        break;
    case G_PHRASE:
        render_quoted(b, g->text);
        if (g->prefix)
            sb_puts(b, "*");
        if (g->slop >= 0)
            sb_printf(b, "~%d", g->slop);
        break;
    case G_NEAR:
        sb_puts(b, "NEAR(");
        for (size_t i = 0; i < g->nkids; i++) {
            if (i > 0)
                sb_puts(b, " ");
            render(b, g->kids[i]);
        }
        if (g->distance >= 0)
            sb_printf(b, ", %d", g->distance);
        sb_puts(b, ")");
        break;
    case G_FIELD:
        sb_puts(b, field_names[g->field]);
        sb_puts(b, ":");
        if (g->quoted)
            render_quoted(b, g->text);
        else
            sb_puts(b, g->text);
        break;
    case G_AND:
        for (size_t i = 0; i < g->nkids; i++) {
            if (i > 0)
                sb_puts(b, g->style ? " AND " : " ");
            render_operand(b, g->kids[i], 0);
        }
        break;
    case G_OR:
        for (size_t i = 0; i < g->nkids; i++) {
            if (i > 0)
                sb_puts(b, " OR ");
            render_operand(b, g->kids[i], g->style);
        }
        break;
    case G_NOT: {
        const gnode *l = g->kids[0], *r = g->kids[1];
        if (g->style == 0) {
            render_operand(b, l, 1);
            sb_puts(b, " NOT ");
            render_operand(b, r, 1);
        } else {
            render_operand(b, l, g->style == 1);
            sb_puts(b, g->style == 1 ? " " : " AND ");
            if (r->kind == G_OR && r->style) {
                /* `a -b -c`: the exclusions of one run are one NOT of their OR. */
                for (size_t i = 0; i < r->nkids; i++) {
                    if (i > 0)
                        sb_puts(b, " ");
                    sb_puts(b, "-");
                    render_operand(b, r->kids[i], 0);
                }
            } else {
                sb_puts(b, "-");
                render_operand(b, r, 0);
            }
        }
        break;
    }
    default:
        fail_msg("bad node");
    }
}

/* ---- Query generation ------------------------------------------------------------ */

typedef struct qgen {
    uint32_t rng;
    const corpus *c;
} qgen;

static const ref_doc *random_doc(qgen *q)
{
    for (int tries = 0; tries < 20; tries++) {
        const ref_doc *d = &q->c->docs[pick(&q->rng, (uint32_t)q->c->ndocs)];
        if (d->ntok > 0)
            return d;
    }
    return NULL;
}

/* The text of tokens [i, j] of d as written, separators between included. */
static char *surface(const ref_doc *d, uint32_t i, uint32_t j)
{
    return xstrndup(d->text + d->starts[i], d->ends[j] - d->starts[i]);
}

static char *word_text(qgen *q, const ref_doc *d)
{
    uint32_t r = pick(&q->rng, 100);
    const char *w;
    char *own = NULL;
    if (d && d->ntok > 0 && r < 45) {
        uint32_t i = pick(&q->rng, d->ntok);
        own = surface(d, i, i);
        w = own;
    } else if (r < 90) {
        w = zipf_word(q->c, &q->rng);
    } else if (r < 96) {
        w = missing_words[pick(&q->rng, sizeof missing_words / sizeof *missing_words)];
    } else {
        w = empty_words[pick(&q->rng, sizeof empty_words / sizeof *empty_words)];
    }
    strbuf b = {0};
    case_variant(&b, w, chance(&q->rng, 15) ? 1 : chance(&q->rng, 5) ? 2 : 0);
    free(own);
    return b.p;
}

static gnode *gen_word(qgen *q, const ref_doc *d)
{
    gnode *g = gnew(G_WORD);
    g->text = word_text(q, d);
    return g;
}

/* Cuts s to at most len bytes (at least one), at a character boundary. */
static void cut_text(char *s, size_t len)
{
    size_t n = strlen(s);
    if (len >= n)
        return;
    if (len == 0)
        len = 1;
    while (len > 1 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    s[len] = '\0';
}

static gnode *gen_prefix(qgen *q, const ref_doc *d)
{
    gnode *g = gnew(G_WORD);
    char *w = word_text(q, d);
    size_t n = strlen(w);
    if (!chance(&q->rng, 15)) /* else the whole word is the prefix */
        cut_text(w, n > 1 ? 1 + pick(&q->rng, (uint32_t)(n - 1)) : n);
    g->text = w;
    g->prefix = 1;
    return g;
}

/* Words joined by spaces: two or three from one place of d, or from the vocabulary. */
static char *words_text(qgen *q, const ref_doc *d, int adjacent, size_t *count)
{
    strbuf b = {0};
    size_t k = 2 + pick(&q->rng, 2);
    if (d && d->ntok >= 2 && chance(&q->rng, 75)) {
        if (k > d->ntok)
            k = d->ntok;
        uint32_t i = pick(&q->rng, d->ntok - (uint32_t)k + 1);
        if (adjacent) {
            char *s = surface(d, i, i + (uint32_t)k - 1);
            sb_puts(&b, s);
            free(s);
        } else {
            /* Nearby words in any order. */
            for (size_t m = 0; m < k; m++) {
                uint32_t j = i + pick(&q->rng, (uint32_t)k + 3);
                if (j >= d->ntok)
                    j = d->ntok - 1;
                if (m > 0)
                    sb_puts(&b, " ");
                sb_putn(&b, d->text + d->starts[j], d->ends[j] - d->starts[j]);
            }
        }
    } else {
        for (size_t m = 0; m < k; m++) {
            if (m > 0)
                sb_puts(&b, " ");
            sb_puts(&b, zipf_word(q->c, &q->rng));
        }
    }
    *count = k;
    return b.p;
}

static gnode *gen_phrase(qgen *q, const ref_doc *d, int allow_slop)
{
    gnode *g = gnew(G_PHRASE);
    size_t k;
    if (chance(&q->rng, 8)) {
        g->text = word_text(q, d); /* one word in quotes */
    } else {
        g->text = words_text(q, d, 1, &k);
    }
    g->prefix = chance(&q->rng, 12);
    if (g->prefix) {
        /* Cut the last word short, at a character boundary. */
        size_t n = strlen(g->text);
        if (n > 2)
            cut_text(g->text, n - pick(&q->rng, 3));
    }
    if (allow_slop && chance(&q->rng, 20)) {
        static const int slops[] = {0, 1, 2, 3, 5};
        free(g->text);
        g->text = words_text(q, d, 0, &k);
        g->slop = slops[pick(&q->rng, 5)];
    }
    return g;
}

static gnode *gen_slop(qgen *q, const ref_doc *d)
{
    static const int slops[] = {0, 1, 2, 3, 4, 6, 10};
    gnode *g = gnew(G_PHRASE);
    size_t k;
    g->text = words_text(q, d, 0, &k);
    g->slop = slops[pick(&q->rng, 7)];
    g->prefix = chance(&q->rng, 8);
    if (g->prefix) {
        size_t n = strlen(g->text);
        if (n > 2)
            cut_text(g->text, n - 1);
    }
    return g;
}

/* A NEAR member: a token of d near position at, two adjacent tokens, or a vocabulary word. */
static gnode *near_member(qgen *q, const ref_doc *d, uint32_t at)
{
    uint32_t r = pick(&q->rng, 100);
    if (d && d->ntok > 0 && r < 70) {
        uint32_t i = at + pick(&q->rng, 7);
        i = i >= 3 ? i - 3 : 0;
        if (i >= d->ntok)
            i = d->ntok - 1;
        if (r < 20 && i + 1 < d->ntok) {
            gnode *g = gnew(G_PHRASE);
            g->text = surface(d, i, i + 1 + (r < 5 && i + 2 < d->ntok));
            g->prefix = chance(&q->rng, 10);
            if (g->prefix && strlen(g->text) > 3)
                cut_text(g->text, strlen(g->text) - 1);
            return g;
        }
        gnode *g = gnew(G_WORD);
        g->text = xstrndup(d->text + d->starts[i], d->ends[i] - d->starts[i]);
        if (r >= 60) {
            g->prefix = 1;
            size_t n = strlen(g->text);
            if (n > 2)
                cut_text(g->text, n - 1 - pick(&q->rng, (uint32_t)(n - 2)));
        }
        return g;
    }
    return r < 85 ? gen_word(q, d) : gen_phrase(q, NULL, 0);
}

static gnode *gen_near(qgen *q, const ref_doc *d)
{
    static const int distances[] = {-1, 0, 1, 2, 3, 5, 0, 1};
    gnode *g = gnew(G_NEAR);
    g->distance = distances[pick(&q->rng, 8)];
    g->nkids = 2 + chance(&q->rng, 35);
    uint32_t at = d && d->ntok ? pick(&q->rng, d->ntok) : 0;
    for (size_t i = 0; i < g->nkids; i++)
        g->kids[i] = near_member(q, d, at);
    /* A member that starts where another does, with another length. */
    if (d && d->ntok >= 3 && chance(&q->rng, 15)) {
        uint32_t i = pick(&q->rng, d->ntok - 2);
        for (size_t k = 0; k < g->nkids; k++)
            gfree(g->kids[k]);
        g->kids[0] = gnew(G_WORD);
        g->kids[0]->text = surface(d, i, i);
        g->kids[1] = gnew(G_PHRASE);
        g->kids[1]->text = surface(d, i, i + 1);
        if (chance(&q->rng, 50)) {
            gnode *t = g->kids[0];
            g->kids[0] = g->kids[1];
            g->kids[1] = t;
        }
        uint32_t j = i + 2 + pick(&q->rng, 3);
        g->kids[2] = gnew(G_WORD);
        g->kids[2]->text = j < d->ntok ? surface(d, j, j) : word_text(q, d);
        g->nkids = 3;
        g->distance = (int)pick(&q->rng, 4);
    }
    return g;
}

static gnode *gen_field(qgen *q)
{
    gnode *g = gnew(G_FIELD);
    static const char *const roles[] = {"cfo", "CEO", "analyst", "Operator", "president", "officer"};
    static const char *const roles_quoted[] = {"president & ceo", "President CEO", "technology officer"};
    static const char *const speakers[] = {"smith", "Jones", "operator", "brown", "cfo"};
    static const char *const speakers_quoted[] = {"John Smith", "kate green", "Mary Jones - President"};
    static const char *const firms[] = {"acme", "Benchmark", "capital"};
    static const char *const companies_bare[] = {"acme", "Globex", "INTK", "corp"};
    char value[64];
    uint32_t r = pick(&q->rng, 100);
    if (r < 30) {
        g->field = F_ROLE;
        if (chance(&q->rng, 25)) {
            g->quoted = 1;
            snprintf(value, sizeof value, "%s", roles_quoted[pick(&q->rng, 3)]);
        } else {
            snprintf(value, sizeof value, "%s", roles[pick(&q->rng, 6)]);
        }
    } else if (r < 45) {
        g->field = F_SPEAKER;
        if (chance(&q->rng, 30)) {
            g->quoted = 1;
            snprintf(value, sizeof value, "%s", speakers_quoted[pick(&q->rng, 3)]);
        } else {
            snprintf(value, sizeof value, "%s", speakers[pick(&q->rng, 5)]);
        }
    } else if (r < 55) {
        g->field = F_FIRM;
        snprintf(value, sizeof value, "%s", firms[pick(&q->rng, 3)]);
    } else if (r < 65) {
        g->field = F_COMPANY;
        snprintf(value, sizeof value, "%s", companies_bare[pick(&q->rng, 4)]);
    } else if (r < 85) {
        g->field = F_YEAR;
        int lo = 2011 + (int)pick(&q->rng, 6);
        if (chance(&q->rng, 40))
            snprintf(value, sizeof value, "%d..%d", lo, lo + (int)pick(&q->rng, 3));
        else
            snprintf(value, sizeof value, "%d", lo);
    } else {
        g->field = F_QUARTER;
        unsigned n = 1 + pick(&q->rng, 4);
        if (chance(&q->rng, 50))
            snprintf(value, sizeof value, "%c%u", chance(&q->rng, 50) ? 'Q' : 'q', n);
        else
            snprintf(value, sizeof value, "%u", n);
    }
    g->text = xstrndup(value, strlen(value));
    return g;
}

static gnode *gen_node(qgen *q, int depth, const ref_doc *d);

static gnode *gen_group(qgen *q, int kind, int depth, const ref_doc *d, size_t kids)
{
    gnode *g = gnew(kind);
    g->nkids = kids;
    for (size_t i = 0; i < kids; i++)
        g->kids[i] = gen_node(q, depth - 1, chance(&q->rng, 70) ? d : random_doc(q));
    g->style = chance(&q->rng, 50);
    return g;
}

static gnode *gen_not(qgen *q, int depth, const ref_doc *d, int style)
{
    gnode *g = gnew(G_NOT);
    g->nkids = 2;
    g->kids[0] = gen_node(q, depth - 1, d);
    const ref_doc *other = chance(&q->rng, 50) ? d : random_doc(q);
    if (style != 0 && chance(&q->rng, 25)) {
        g->kids[1] = gnew(G_OR);
        g->kids[1]->style = 1;
        g->kids[1]->nkids = 2;
        g->kids[1]->kids[0] = gen_word(q, other);
        g->kids[1]->kids[1] = chance(&q->rng, 50) ? gen_word(q, other) : gen_phrase(q, other, 0);
    } else {
        g->kids[1] = gen_node(q, depth - 1, other);
    }
    g->style = style;
    return g;
}

static gnode *gen_node(qgen *q, int depth, const ref_doc *d)
{
    uint32_t r = pick(&q->rng, depth > 0 ? 100 : 62);
    if (r < 18)
        return gen_word(q, d);
    if (r < 28)
        return gen_prefix(q, d);
    if (r < 40)
        return gen_phrase(q, d, 1);
    if (r < 46)
        return gen_slop(q, d);
    if (r < 56)
        return gen_near(q, d);
    if (r < 62)
        return gen_field(q);
    if (r < 76)
        return gen_group(q, G_AND, depth, d, 2 + chance(&q->rng, 30));
    if (r < 88)
        return gen_group(q, G_OR, depth, d, 2 + chance(&q->rng, 30));
    return gen_not(q, depth, d, (int)pick(&q->rng, 3));
}

enum { QK_WORD, QK_AND2, QK_AND3, QK_AND_EXPLICIT, QK_OR, QK_NOT, QK_EXCLUDE, QK_PHRASE, QK_NEAR,
       QK_SLOP, QK_PREFIX, QK_NESTED, QK_FILTERED, QK_FILTER_ONLY, QK_COUNT };
static const char *const kind_names[] = {"word", "and2", "and3", "AND", "OR", "NOT", "-x", "phrase",
                                         "NEAR", "~N", "prefix", "nested", "filter+words", "filter"};

static gnode *gen_query(qgen *q, int kind)
{
    const ref_doc *d = random_doc(q);
    gnode *g;
    switch (kind) {
    case QK_WORD:
        return gen_word(q, d);
    case QK_AND2:
    case QK_AND3:
    case QK_AND_EXPLICIT:
        g = gnew(G_AND);
        g->nkids = kind == QK_AND3 ? 3 : 2;
        for (size_t i = 0; i < g->nkids; i++)
            g->kids[i] = chance(&q->rng, 80) ? gen_word(q, d) : gen_phrase(q, d, 0);
        g->style = kind == QK_AND_EXPLICIT;
        return g;
    case QK_OR:
        g = gnew(G_OR);
        g->nkids = 2 + chance(&q->rng, 30);
        for (size_t i = 0; i < g->nkids; i++)
            g->kids[i] = chance(&q->rng, 70) ? gen_word(q, chance(&q->rng, 50) ? d : random_doc(q))
                                             : gen_node(q, 1, d);
        g->style = chance(&q->rng, 50);
        return g;
    case QK_NOT:
    case QK_EXCLUDE:
        g = gen_not(q, 1, d, kind == QK_NOT ? 0 : 1 + (int)pick(&q->rng, 2));
        return g;
    case QK_PHRASE:
        return gen_phrase(q, d, 0);
    case QK_NEAR:
        return gen_near(q, d);
    case QK_SLOP:
        return gen_slop(q, d);
    case QK_PREFIX:
        if (chance(&q->rng, 70))
            return gen_prefix(q, d);
        g = gnew(G_AND);
        g->nkids = 2;
        g->kids[0] = gen_prefix(q, d);
        g->kids[1] = chance(&q->rng, 50) ? gen_word(q, d) : gen_prefix(q, d);
        return g;
    case QK_NESTED:
        return gen_node(q, 3, d);
    case QK_FILTERED:
        g = gnew(G_AND);
        g->nkids = 2 + chance(&q->rng, 30);
        g->kids[0] = gen_field(q);
        for (size_t i = 1; i < g->nkids; i++)
            g->kids[i] = chance(&q->rng, 70) ? gen_word(q, d) : gen_node(q, 1, d);
        if (chance(&q->rng, 50)) {
            gnode *t = g->kids[0];
            g->kids[0] = g->kids[g->nkids - 1];
            g->kids[g->nkids - 1] = t;
        }
        g->style = chance(&q->rng, 50);
        return g;
    default:
        if (chance(&q->rng, 60))
            return gen_field(q);
        g = gnew(chance(&q->rng, 50) ? G_AND : G_OR);
        g->nkids = 2;
        g->kids[0] = gen_field(q);
        g->kids[1] = gen_field(q);
        return g;
    }
}

/* ---- The reference evaluator ------------------------------------------------------ */

typedef struct rslot {
    char *term;
    int prefix;
} rslot;

/* A word (one slot) or phrase (several): the scoring unit. */
typedef struct runit {
    rslot *slots;
    size_t n;
    double idf;             /* phrases: idf of the phrase's df */
} runit;

enum ekind { E_UNIT = 1, E_NEAR, E_AND, E_OR, E_NOT, E_FIELD };

typedef struct enode {
    int kind;
    runit *units;           /* UNIT: one; NEAR: the members */
    size_t nunits;
    int distance;
    struct enode **kids;
    size_t nkids;
    const gnode *field;
    char **fwords;          /* FIELD: the value's folded words */
    size_t nfwords;
    int year_lo, year_hi, quarter;
} enode;

/* Members of one NEAR: a "..."~N of three words the analyzer splits has more than three. */
#define MAX_MEMBERS 64

typedef struct refctx {
    const ref_view *v;
    analyzer *a;            /* the index's analysis (stemmed or not) */
    analyzer *plain;        /* folding only, for prefixes and metadata */
    uint32_t *scratch[MAX_MEMBERS]; /* instance starts, one array per NEAR member */
    size_t scratch_cap;
} refctx;

static void unit_free(runit *u)
{
    for (size_t i = 0; i < u->n; i++)
        free(u->slots[i].term);
    free(u->slots);
}

static void enode_free(enode *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nunits; i++)
        unit_free(&e->units[i]);
    free(e->units);
    for (size_t i = 0; i < e->nkids; i++)
        enode_free(e->kids[i]);
    free(e->kids);
    for (size_t i = 0; i < e->nfwords; i++)
        free(e->fwords[i]);
    free(e->fwords);
    free(e);
}

static int slot_matches(const rslot *s, const char *term)
{
    if (!s->prefix)
        return strcmp(s->term, term) == 0;
    return strncmp(s->term, term, strlen(s->term)) == 0;
}

/* Start positions in d where the unit's slots match consecutive tokens. */
static size_t unit_instances(const runit *u, const ref_doc *d, uint32_t *starts)
{
    size_t n = 0;
    for (uint32_t p = 0; p + u->n <= d->ntok; p++) {
        size_t k = 0;
        while (k < u->n && slot_matches(&u->slots[k], d->terms[p + k]))
            k++;
        if (k == u->n)
            starts[n++] = p;
    }
    return n;
}

static double unit_score(const refctx *r, const runit *u, const ref_doc *d, size_t instances)
{
    const ref_view *v = r->v;
    if (u->n > 1)
        return u->idf * ref_tf_part(v, (double)instances, d->ntok);
    /* A word, or every distinct term of d that the prefix covers. */
    double score = 0;
    for (uint32_t i = 0; i < d->ntok; i++) {
        if (!slot_matches(&u->slots[0], d->terms[i]))
            continue;
        int seen = 0;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = strcmp(d->terms[j], d->terms[i]) == 0;
        if (seen)
            continue;
        size_t tf = 0;
        for (uint32_t j = i; j < d->ntok; j++)
            tf += strcmp(d->terms[j], d->terms[i]) == 0;
        score += ref_idf(v, view_df(v, d->terms[i])) * ref_tf_part(v, (double)tf, d->ntok);
    }
    return score;
}

/* The unit of a word or phrase text; 0 when it has no token. */
static int analyze_unit(refctx *r, const char *text, size_t len, int prefix, runit *u)
{
    memset(u, 0, sizeof *u);
    analyzer_result res;
    assert_int_equal(analyzer_tokenize(r->a, text, len, &res), LPS_OK);
    if (res.count == 0)
        return 0;
    u->n = res.count;
    u->slots = xrealloc(NULL, u->n * sizeof *u->slots);
    for (size_t i = 0; i < u->n; i++) {
        u->slots[i].term = xstrndup(res.terms + res.tokens[i].term_off, res.tokens[i].term_len);
        u->slots[i].prefix = 0;
    }
    if (prefix) {
        /* The prefix is folded, never stemmed. */
        const analyzer_token *last = &res.tokens[u->n - 1];
        analyzer_result folded;
        assert_int_equal(analyzer_tokenize(r->plain, text + last->start, last->end - last->start, &folded), LPS_OK);
        assert_int_equal(folded.count, 1);
        free(u->slots[u->n - 1].term);
        u->slots[u->n - 1].term = xstrndup(folded.terms + folded.tokens[0].term_off, folded.tokens[0].term_len);
        u->slots[u->n - 1].prefix = 1;
    }
    if (u->n > 1) {
        uint32_t *starts = NULL;
        size_t cap = 0, df = 0;
        for (size_t i = 0; i < r->v->n; i++) {
            const ref_doc *d = r->v->docs[i].doc;
            if (d->ntok > cap) {
                cap = d->ntok;
                starts = xrealloc(starts, cap * sizeof *starts);
            }
            df += unit_instances(u, d, starts) > 0;
        }
        free(starts);
        u->idf = ref_idf(r->v, (double)df);
    }
    return 1;
}

static enode *enew(int kind)
{
    enode *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    return e;
}

/* Folded, unstemmed words of text (metadata matching). */
static size_t fold_words(refctx *r, const char *text, char ***out)
{
    *out = NULL;
    if (!text)
        return 0;
    analyzer_result res;
    assert_int_equal(analyzer_tokenize(r->plain, text, strlen(text), &res), LPS_OK);
    char **w = xrealloc(NULL, (res.count ? res.count : 1) * sizeof *w);
    for (size_t i = 0; i < res.count; i++)
        w[i] = xstrndup(res.terms + res.tokens[i].term_off, res.tokens[i].term_len);
    *out = w;
    return res.count;
}

static void free_words(char **w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

/* NEAR members from a list of (text, prefix) pairs; NULL when none has a token. */
static enode *make_near(refctx *r, const char *const *texts, const size_t *lens, const int *prefixes, size_t n,
                        int distance)
{
    enode *e = enew(E_NEAR);
    e->distance = distance;
    e->units = xrealloc(NULL, (n ? n : 1) * sizeof *e->units);
    for (size_t i = 0; i < n; i++)
        if (analyze_unit(r, texts[i], lens[i], prefixes[i], &e->units[e->nunits]))
            e->nunits++;
    if (e->nunits == 0) {
        enode_free(e);
        return NULL;
    }
    if (e->nunits == 1)
        e->kind = E_UNIT;
    return e;
}

/* The reference's plan of a query tree; NULL when it holds no token. */
static enode *analyze(refctx *r, const gnode *g)
{
    switch (g->kind) {
    case G_WORD:
    case G_PHRASE: {
        if (g->kind == G_PHRASE && g->slop >= 0) {
            /* "a b c"~N is NEAR(a b c, N) of its words. */
            analyzer_result res;
            assert_int_equal(analyzer_tokenize(r->a, g->text, strlen(g->text), &res), LPS_OK);
            size_t n = res.count;
            const char **texts = xrealloc(NULL, (n ? n : 1) * sizeof *texts);
            size_t *lens = xrealloc(NULL, (n ? n : 1) * sizeof *lens);
            int *prefixes = xrealloc(NULL, (n ? n : 1) * sizeof *prefixes);
            for (size_t i = 0; i < n; i++) {
                texts[i] = g->text + res.tokens[i].start;
                lens[i] = res.tokens[i].end - res.tokens[i].start;
                prefixes[i] = g->prefix && i == n - 1;
            }
            enode *e = make_near(r, texts, lens, prefixes, n, g->slop);
            free(texts);
            free(lens);
            free(prefixes);
            return e;
        }
        enode *e = enew(E_UNIT);
        e->units = xrealloc(NULL, sizeof *e->units);
        if (!analyze_unit(r, g->text, strlen(g->text), g->prefix, &e->units[0])) {
            enode_free(e);
            return NULL;
        }
        e->nunits = 1;
        return e;
    }
    case G_NEAR: {
        const char *texts[4];
        size_t lens[4];
        int prefixes[4];
        for (size_t i = 0; i < g->nkids; i++) {
            texts[i] = g->kids[i]->text;
            lens[i] = strlen(g->kids[i]->text);
            prefixes[i] = g->kids[i]->prefix;
        }
        return make_near(r, texts, lens, prefixes, g->nkids, g->distance >= 0 ? g->distance : 10);
    }
    case G_AND:
    case G_OR: {
        enode *e = enew(g->kind == G_AND ? E_AND : E_OR);
        e->kids = xrealloc(NULL, g->nkids * sizeof *e->kids);
        for (size_t i = 0; i < g->nkids; i++) {
            enode *k = analyze(r, g->kids[i]);
            if (k)
                e->kids[e->nkids++] = k;
        }
        if (e->nkids == 0) {
            enode_free(e);
            return NULL;
        }
        return e;
    }
    case G_NOT: {
        enode *left = analyze(r, g->kids[0]);
        enode *right = analyze(r, g->kids[1]);
        if (!left || !right) {
            enode_free(right);
            return left;
        }
        enode *e = enew(E_NOT);
        e->kids = xrealloc(NULL, 2 * sizeof *e->kids);
        e->kids[0] = left;
        e->kids[1] = right;
        e->nkids = 2;
        return e;
    }
    case G_FIELD: {
        enode *e = enew(E_FIELD);
        e->field = g;
        if (g->field == F_YEAR) {
            if (sscanf(g->text, "%d..%d", &e->year_lo, &e->year_hi) != 2)
                e->year_lo = e->year_hi = atoi(g->text);
        } else if (g->field == F_QUARTER) {
            e->quarter = atoi(g->text[0] == 'q' || g->text[0] == 'Q' ? g->text + 1 : g->text);
        } else {
            e->nfwords = fold_words(r, g->text, &e->fwords);
            assert_true(e->nfwords > 0);
        }
        return e;
    }
    default:
        fail_msg("bad node");
        return NULL;
    }
}

/* Whether the field's words occur, in order and adjacent, in text. */
static int words_in(refctx *r, const enode *e, const char *text)
{
    char **w;
    size_t n = fold_words(r, text, &w);
    int found = 0;
    for (size_t i = 0; i + e->nfwords <= n && !found; i++) {
        size_t k = 0;
        while (k < e->nfwords && strcmp(w[i + k], e->fwords[k]) == 0)
            k++;
        found = k == e->nfwords;
    }
    free_words(w, n);
    return found;
}

static int field_matches(refctx *r, const enode *e, const ref_doc *d)
{
    const ref_call *call = &r->v->c->calls[d->call];
    switch (e->field->field) {
    case F_YEAR:
        return call->year >= e->year_lo && call->year <= e->year_hi;
    case F_QUARTER:
        return call->quarter == e->quarter;
    case F_COMPANY:
        return words_in(r, e, call->company) || words_in(r, e, call->ticker);
    case F_SPEAKER:
        return words_in(r, e, d->name) || words_in(r, e, d->label);
    case F_ROLE:
        return words_in(r, e, d->role);
    case F_FIRM:
        return words_in(r, e, d->firm);
    default:
        return 0;
    }
}

/*
 * Some choice of one instance per member fits the window (FTS5's rule: the
 * last start minus the first end, minus one, is at most the distance).
 * Equivalently: some instance (start p, end e) of some member can be the
 * one that ends first -- every other member has an instance ending no
 * earlier than e -- with all those starts at most e + 1 + distance.
 */
static int near_fits(const enode *e, uint32_t *const *starts, const size_t *counts)
{
    for (size_t f = 0; f < e->nunits; f++) {
        uint32_t flen = (uint32_t)e->units[f].n;
        for (size_t i = 0; i < counts[f]; i++) {
            long long p = starts[f][i], end = p + flen - 1, limit = end + 1 + e->distance;
            int all = 1;
            for (size_t m = 0; m < e->nunits && all; m++) {
                if (m == f)
                    continue;
                int found = 0;
                for (size_t k = 0; k < counts[m] && !found; k++) {
                    long long s = starts[m][k], s_end = s + (long long)e->units[m].n - 1;
                    /* f's instance ends first and every start is close enough. */
                    found = s_end >= end && s <= limit;
                }
                all = found;
            }
            if (all)
                return 1;
        }
    }
    return 0;
}

/* 1 when e matches d, with its score added to *score. */
static int eval(refctx *r, const enode *e, const ref_doc *d, double *score)
{
    switch (e->kind) {
    case E_UNIT:
    case E_NEAR: {
        size_t counts[MAX_MEMBERS];
        assert_true(e->nunits <= MAX_MEMBERS);
        for (size_t i = 0; i < e->nunits; i++) {
            if (d->ntok > r->scratch_cap) {
                r->scratch_cap = d->ntok * 2;
                for (size_t k = 0; k < MAX_MEMBERS; k++)
                    r->scratch[k] = xrealloc(r->scratch[k], r->scratch_cap * sizeof **r->scratch);
            }
            counts[i] = unit_instances(&e->units[i], d, r->scratch[i]);
            if (counts[i] == 0)
                return 0;
        }
        if (e->kind == E_NEAR && !near_fits(e, r->scratch, counts))
            return 0;
        for (size_t i = 0; i < e->nunits; i++)
            *score += unit_score(r, &e->units[i], d, counts[i]);
        return 1;
    }
    case E_AND: {
        double sum = 0;
        for (size_t i = 0; i < e->nkids; i++)
            if (!eval(r, e->kids[i], d, &sum))
                return 0;
        *score += sum;
        return 1;
    }
    case E_OR: {
        int any = 0;
        for (size_t i = 0; i < e->nkids; i++)
            any |= eval(r, e->kids[i], d, score);
        return any;
    }
    case E_NOT: {
        double sum = 0, ignored = 0;
        if (!eval(r, e->kids[0], d, &sum) || eval(r, e->kids[1], d, &ignored))
            return 0;
        *score += sum;
        return 1;
    }
    case E_FIELD:
        return field_matches(r, e, d);
    default:
        fail_msg("bad node");
        return 0;
    }
}

typedef struct scored {
    uint64_t id;
    double score;
    const ref_doc *doc;
} scored;

/* Scores equal up to rounding are ties, broken by id. */
static int compare_scored(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    double tol = 1e-9 * (fabs(a->score) > 1 ? fabs(a->score) : 1);
    if (fabs(a->score - b->score) > tol)
        return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Every match of root over the view, best first; *n of them. */
static scored *reference_search(refctx *r, const enode *root, size_t *n)
{
    scored *out = xrealloc(NULL, (r->v->n ? r->v->n : 1) * sizeof *out);
    *n = 0;
    for (size_t i = 0; i < r->v->n; i++) {
        double s = 0;
        if (eval(r, root, r->v->docs[i].doc, &s))
            out[(*n)++] = (scored){r->v->docs[i].id, s, r->v->docs[i].doc};
    }
    qsort(out, *n, sizeof *out, compare_scored);
    return out;
}

/* ---- Comparing the engine with the reference ------------------------------------------ */

typedef struct query_case {
    gnode *tree;
    char *text;
    int kind;
    double k1, b;           /* BM25 parameters for this query */
    /* The engine's full result in the state being compared against (optimize checks). */
    uint64_t *ids;
    double *scores;
    size_t nhits;
    int have;
} query_case;

typedef struct stats {
    unsigned queries, with_hits, errors_expected;
    unsigned by_kind[QK_COUNT], hits_by_kind[QK_COUNT];
    unsigned long long hits;
} stats;

static lps_results *engine_search(lps_index *ix, const query_case *qc, size_t limit, size_t offset, int count,
                                  int explain, int *status, lps_error *err)
{
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = limit;
    o.offset = offset;
    o.count = count;
    o.explain = explain;
    o.k1 = qc->k1;
    o.b = qc->b;
    lps_results *res = NULL;
    *status = lps_search(ix, qc->text, &o, &res, err);
    return res;
}

static void check_page(lps_index *ix, const query_case *qc, const uint64_t *ids, const double *scores, size_t n,
                       size_t limit, size_t offset)
{
    int st;
    lps_error err;
    lps_results *res = engine_search(ix, qc, limit, offset, 0, 0, &st, &err);
    if (st != LPS_OK) {
        REPORT("query %s: limit %zu offset %zu: lps_search failed: %s", qc->text, limit, offset, lps_strerror(st));
        return;
    }
    size_t want = offset < n ? (n - offset < limit ? n - offset : limit) : 0;
    size_t got = lps_results_count(res);
    if (got != want) {
        REPORT("query %s: limit %zu offset %zu: %zu hits, expected %zu", qc->text, limit, offset, got, want);
    } else {
        for (size_t i = 0; i < got; i++) {
            const lps_hit *h = lps_results_hit(res, i);
            if (h->id != ids[offset + i] || h->rank != offset + i + 1 || h->score != scores[offset + i]) {
                REPORT("query %s: limit %zu offset %zu: hit %zu is id %llu score %a rank %zu; the full list has id "
                       "%llu score %a there",
                       qc->text, limit, offset, i, (unsigned long long)h->id, h->score, h->rank,
                       (unsigned long long)ids[offset + i], scores[offset + i]);
                break;
            }
        }
    }
    lps_results_free(res);
}

/* The explanation's rows must be BM25 factors that add up to the score. */
static void check_explain(lps_index *ix, const query_case *qc, const ref_view *v)
{
    int st;
    lps_error err;
    lps_results *res = engine_search(ix, qc, 5, 0, 0, 1, &st, &err);
    if (st != LPS_OK) {
        REPORT("query %s: explain: lps_search failed: %s", qc->text, lps_strerror(st));
        return;
    }
    for (size_t i = 0; i < lps_results_count(res); i++) {
        const lps_hit *h = lps_results_hit(res, i);
        const lps_explain *x = h->explain;
        if (!x) {
            REPORT("query %s: explain requested, hit %zu has none", qc->text, i);
            break;
        }
        if (x->n != (double)v->n || fabs(x->avg_length - v->avgdl) > 1e-9 || x->k1 != qc->k1 || x->b != qc->b) {
            REPORT("query %s: explain: N %g avgdl %g k1 %g b %g, reference N %zu avgdl %g", qc->text, x->n,
                   x->avg_length, x->k1, x->b, v->n, v->avgdl);
            break;
        }
        double sum = 0;
        int bad = 0;
        for (size_t k = 0; k < x->row_count; k++) {
            const lps_explain_row *row = &x->rows[k];
            double idf = log(1.0 + (x->n - row->df + 0.5) / (row->df + 0.5));
            double tfp = row->tf / (row->tf + x->k1 * (1 - x->b + x->b * row->length / x->avg_length));
            if (fabs(idf - row->idf) > 1e-9 || fabs(tfp - row->tf_part) > 1e-9 ||
                fabs(row->idf * row->tf_part - row->score) > 1e-9 || row->tf < 1 || row->df < 1)
                bad = 1;
            sum += row->score;
        }
        if (bad || fabs(sum - h->score) > 1e-6) {
            REPORT("query %s: explain of hit %zu (id %llu): rows sum to %.12g (score %.12g)%s", qc->text, i,
                   (unsigned long long)h->id, sum, h->score, bad ? ", a row's factors disagree" : "");
            break;
        }
    }
    lps_results_free(res);
}

static void run_case(lps_index *ix, refctx *r, query_case *qc, stats *st, int record, int compare_recorded,
                     uint32_t *rng)
{
    enode *root = analyze(r, qc->tree);
    st->queries++;
    st->by_kind[qc->kind]++;
    lps_error err;
    uint64_t count = 0;
    int rc = lps_count(ix, qc->text, &count, &err);
    if (!root) {
        st->errors_expected++;
        if (rc != LPS_ESYNTAX)
            REPORT("query %s has no token: lps_count gave %s, expected a syntax error", qc->text, lps_strerror(rc));
        return;
    }
    size_t nref = 0;
    scored *ref = reference_search(r, root, &nref);
    if (nref > 0) {
        st->with_hits++;
        st->hits_by_kind[qc->kind]++;
    }
    st->hits += nref;
    if (rc != LPS_OK) {
        char msg[1400];
        REPORT("query %s: lps_count failed: %s (%s)", qc->text, lps_strerror(rc),
               lps_error_format(&err, msg, sizeof msg));
        goto done;
    }
    if (count != nref)
        REPORT("query %s: lps_count %llu, reference %zu", qc->text, (unsigned long long)count, nref);

    /* Every hit: the same set, scores within 1e-6, stored text, and an order
     * that sorts by the engine's score with exact ties by id and agrees with
     * the reference's scores up to rounding. */
    int status;
    size_t big = r->v->c->ndocs + 10;
    lps_results *res = engine_search(ix, qc, big, 0, 1, 0, &status, &err);
    if (status != LPS_OK) {
        REPORT("query %s: lps_search failed: %s", qc->text, lps_strerror(status));
        goto done;
    }
    size_t got = lps_results_count(res);
    if (lps_results_total(res) != nref)
        REPORT("query %s: lps_results_total %llu, reference %zu", qc->text,
               (unsigned long long)lps_results_total(res), nref);
    /* The reference's entry of each id. */
    size_t *at = xrealloc(NULL, r->v->id_space * sizeof *at);
    for (size_t i = 0; i < r->v->id_space; i++)
        at[i] = SIZE_MAX;
    for (size_t k = 0; k < nref; k++)
        at[ref[k].id] = k;
    int same_set = got == nref;
    for (size_t i = 0; i < got && same_set; i++) {
        uint64_t id = lps_results_hit(res, i)->id;
        same_set = id < r->v->id_space && at[id] != SIZE_MAX;
    }
    uint64_t *eng_ids = xrealloc(NULL, (got ? got : 1) * sizeof *eng_ids);
    double *eng_scores = xrealloc(NULL, (got ? got : 1) * sizeof *eng_scores);
    for (size_t i = 0; i < got; i++) {
        eng_ids[i] = lps_results_hit(res, i)->id;
        eng_scores[i] = lps_results_hit(res, i)->score;
    }
    if (!same_set) {
        strbuf extra = {0}, missing = {0};
        sb_puts(&extra, "");
        sb_puts(&missing, "");
        unsigned char *in_engine = xrealloc(NULL, r->v->id_space + 1);
        memset(in_engine, 0, r->v->id_space + 1);
        for (size_t i = 0, shown = 0; i < got; i++) {
            uint64_t id = eng_ids[i];
            if (id < r->v->id_space)
                in_engine[id] = 1;
            if ((id >= r->v->id_space || at[id] == SIZE_MAX) && shown++ < 10)
                sb_printf(&extra, " %llu", (unsigned long long)id);
        }
        const char *example = NULL;
        for (size_t k = 0, shown = 0; k < nref; k++) {
            if (in_engine[ref[k].id])
                continue;
            if (shown++ < 10)
                sb_printf(&missing, " %llu", (unsigned long long)ref[k].id);
            if (!example)
                example = ref[k].doc->text;
        }
        REPORT("query %s: %zu hits, reference %zu; only the engine:%s; only the reference:%s%s%s", qc->text, got,
               nref, extra.p, missing.p, example ? "; e.g. " : "", example ? example : "");
        free(in_engine);
        free(extra.p);
        free(missing.p);
    } else {
        for (size_t i = 0; i < got; i++) {
            const lps_hit *h = lps_results_hit(res, i);
            const scored *s = &ref[at[h->id]];
            if (fabs(h->score - s->score) > 1e-6 || h->rank != i + 1) {
                REPORT("query %s: id %llu (rank %zu) scores %.12g, reference %.12g: \"%s\"", qc->text,
                       (unsigned long long)h->id, h->rank, h->score, s->score, s->doc->text);
                break;
            }
            if (h->text_len != s->doc->len || memcmp(h->text, s->doc->text, h->text_len) != 0) {
                REPORT("query %s: id %llu holds \"%.*s\", reference \"%s\"", qc->text, (unsigned long long)h->id,
                       (int)h->text_len, h->text, s->doc->text);
                break;
            }
            if (i == 0)
                continue;
            const scored *prev = &ref[at[eng_ids[i - 1]]];
            double tol = 1e-9 * (1 + fabs(s->score));
            int engine_order = eng_scores[i - 1] > h->score || (eng_scores[i - 1] == h->score && eng_ids[i - 1] < h->id);
            if (!engine_order || prev->score < s->score - tol) {
                REPORT("query %s: rank %zu: id %llu score %a (reference %a) after id %llu score %a (reference %a)",
                       qc->text, i + 1, (unsigned long long)h->id, h->score, s->score,
                       (unsigned long long)eng_ids[i - 1], eng_scores[i - 1], prev->score);
                break;
            }
        }
    }
    free(at);
    if (compare_recorded && qc->have) {
        int same = got == qc->nhits;
        for (size_t i = 0; same && i < got; i++)
            same = eng_ids[i] == qc->ids[i] && eng_scores[i] == qc->scores[i];
        if (!same)
            REPORT("query %s: results differ from the same index before optimize", qc->text);
    }
    if (record) {
        free(qc->ids);
        free(qc->scores);
        qc->ids = eng_ids;
        qc->scores = eng_scores;
        qc->nhits = got;
        qc->have = 1;
        eng_ids = xrealloc(NULL, (got ? got : 1) * sizeof *eng_ids);
        eng_scores = xrealloc(NULL, (got ? got : 1) * sizeof *eng_scores);
        memcpy(eng_ids, qc->ids, got * sizeof *eng_ids);
        memcpy(eng_scores, qc->scores, got * sizeof *eng_scores);
    }
    lps_results_free(res);

    /* Pages (top-k with pruning) are slices of the full, checked, order. */
    static const size_t limits[] = {1, 5, 10};
    for (size_t i = 0; i < 3; i++)
        check_page(ix, qc, eng_ids, eng_scores, got, limits[i], 0);
    if (got > 1) {
        check_page(ix, qc, eng_ids, eng_scores, got, 1 + pick(rng, 10), 1 + pick(rng, (uint32_t)got));
        check_page(ix, qc, eng_ids, eng_scores, got, 3, got - 1);
    }
    if (pick(rng, 4) == 0)
        check_explain(ix, qc, r->v);
    free(eng_ids);
    free(eng_scores);
done:
    free(ref);
    enode_free(root);
}

/* ---- Scenarios ------------------------------------------------------------------------ */

static uint32_t env_number(const char *name, uint32_t fallback)
{
    const char *s = getenv(name);
    return s && *s ? (uint32_t)strtoul(s, NULL, 0) : fallback;
}

static query_case *make_queries(const corpus *c, uint32_t seed, size_t n)
{
    qgen q = {seed * 2654435761u + 1, c};
    query_case *qs = xrealloc(NULL, n * sizeof *qs);
    for (size_t i = 0; i < n; i++) {
        query_case *qc = &qs[i];
        memset(qc, 0, sizeof *qc);
        qc->kind = (int)(i % QK_COUNT);
        qc->tree = gen_query(&q, qc->kind);
        strbuf b = {0};
        render(&b, qc->tree);
        qc->text = b.p;
        qc->k1 = 1.2;
        qc->b = 0.75;
        if (chance(&q.rng, 10)) {
            qc->k1 = 0.5 + pick(&q.rng, 20) / 10.0;
            qc->b = pick(&q.rng, 11) / 10.0;
        }
    }
    return qs;
}

static void free_queries(query_case *qs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        gfree(qs[i].tree);
        free(qs[i].text);
        free(qs[i].ids);
        free(qs[i].scores);
    }
    free(qs);
}

enum id_rule {
    IDS_DENSE,      /* 0..n-1: nothing removed, or optimized since */
    IDS_INCREASING  /* removed sentences may leave gaps, or whole segments go */
};

/*
 * The ids the index gives the live sentences.  A filter that every call
 * passes scores 0 everywhere, so it lists them all in id order; each must
 * hold the reference's text.
 */
static void learn_ids(lps_index *ix, ref_view *v, int rule)
{
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = v->n + 10;
    lps_results *res = NULL;
    lps_error err;
    CHECK_OK(lps_search(ix, "year:1900..2100", &o, &res, &err), &err);
    if (lps_results_count(res) != v->n)
        fail_msg("[%s] year:1900..2100 lists %zu sentences, the reference holds %zu", scenario,
                 lps_results_count(res), v->n);
    for (size_t k = 0; k < v->n; k++) {
        const lps_hit *h = lps_results_hit(res, k);
        const ref_doc *d = v->docs[k].doc;
        if (h->text_len != d->len || memcmp(h->text, d->text, d->len) != 0)
            fail_msg("[%s] live sentence %zu is id %llu \"%.*s\", the reference has \"%s\"", scenario, k,
                     (unsigned long long)h->id, (int)h->text_len, h->text, d->text);
        if (h->score != 0 || (rule == IDS_DENSE && h->id != k) || (k > 0 && h->id <= v->docs[k - 1].id))
            fail_msg("[%s] live sentence %zu has id %llu, score %g", scenario, k, (unsigned long long)h->id,
                     h->score);
        v->docs[k].id = h->id;
    }
    v->id_space = v->n ? v->docs[v->n - 1].id + 1 : 0;
    lps_results_free(res);
}

/* Runs every query against the index in dir and the reference view. */
static void run_state(const char *dir, const corpus *c, const unsigned char *removed, int rule,
                      query_case *qs, size_t nq, int record, int compare_recorded, stats *st, uint32_t seed)
{
    lps_index *ix = NULL;
    lps_error err;
    CHECK_OK(lps_index_open(dir, &ix, &err), &err);
    ref_view v;
    view_build(&v, c, removed);
    learn_ids(ix, &v, rule);
    lps_index_info info;
    lps_index_get_info(ix, &info);
    uint64_t tokens = 0;
    for (size_t i = 0; i < v.n; i++)
        tokens += v.docs[i].doc->ntok;
    if (info.sentences != v.n || info.tokens != tokens || info.stemmed != c->stem)
        REPORT("index info: %llu sentences, %llu tokens, stemmed %d; reference %zu, %llu, %d",
               (unsigned long long)info.sentences, (unsigned long long)info.tokens, info.stemmed, v.n,
               (unsigned long long)tokens, c->stem);
    refctx r = {0};
    r.v = &v;
    assert_int_equal(analyzer_create(&r.a, c->stem ? ANALYZER_STEM_ENGLISH : 0), LPS_OK);
    assert_int_equal(analyzer_create(&r.plain, 0), LPS_OK);
    uint32_t rng = seed ^ 0x9e3779b9u;
    for (size_t i = 0; i < nq; i++) {
        v.k1 = qs[i].k1;
        v.b = qs[i].b;
        run_case(ix, &r, &qs[i], st, record, compare_recorded, &rng);
    }
    for (size_t k = 0; k < MAX_MEMBERS; k++)
        free(r.scratch[k]);
    analyzer_free(r.a);
    analyzer_free(r.plain);
    view_free(&v);
    lps_index_close(ix);
}

static void add_calls(lps_writer *w, const corpus *c, size_t from, size_t to, int commit_each)
{
    lps_error err;
    for (size_t i = from; i < to; i++) {
        int added = 0;
        CHECK_OK(lps_writer_add_text(w, c->calls[i].name, c->calls[i].text, c->calls[i].len, &added, &err), &err);
        assert_int_equal(added, 1);
        if (commit_each)
            CHECK_OK(lps_writer_commit(w, &err), &err);
    }
    if (!commit_each)
        CHECK_OK(lps_writer_commit(w, &err), &err);
}

static lps_writer *open_writer(const char *dir, int create, int stem)
{
    lps_writer_options o;
    lps_writer_options_init(&o);
    o.create = create;
    o.stem = stem;
    lps_writer *w = NULL;
    lps_error err;
    CHECK_OK(lps_writer_open(dir, &o, &w, &err), &err);
    return w;
}

static void print_stats(const stats *st)
{
    printf("  %u queries, %u with hits, %u with no token (syntax error expected), %llu hits compared\n", st->queries,
           st->with_hits, st->errors_expected, st->hits);
    printf("  with hits by kind:");
    for (int k = 0; k < QK_COUNT; k++)
        printf(" %s %u/%u", kind_names[k], st->hits_by_kind[k], st->by_kind[k]);
    printf("\n");
}

static void finish(const char *what)
{
    if (failures > 0)
        fail_msg("%s: %u mismatches with the reference (the first %u are printed above)", what, failures,
                 failures_printed);
}

/* One commit, several segments, optimize, removal, optimize again. */
static void test_states(void **state)
{
    (void)state;
    uint32_t only = env_number("LPS_SEARCH_REF_SEED", 0);
    uint32_t nq = env_number("LPS_SEARCH_REF_QUERIES", 196);
    static const uint32_t seeds[] = {1, 0x5eed, 0xbadc0de};
    stats st = {0};
    failures = failures_printed = 0;
    for (size_t si = 0; si < 3; si++) {
        uint32_t seed = only ? only : seeds[si];
        corpus c;
        corpus_build(&c, seed, 10, 0);
        query_case *qs = make_queries(&c, seed, nq);

        snprintf(scenario, sizeof scenario, "seed %u, one commit", seed);
        const char *dir = test_scratch_dir("search-ref-one");
        lps_writer *w = open_writer(dir, 1, 0);
        add_calls(w, &c, 0, c.ncalls, 0);
        lps_writer_close(w);
        run_state(dir, &c, NULL, IDS_DENSE, qs, nq, 0, 0, &st, seed);

        snprintf(scenario, sizeof scenario, "seed %u, a commit per call", seed);
        dir = test_scratch_dir("search-ref-multi");
        w = open_writer(dir, 1, 0);
        add_calls(w, &c, 0, c.ncalls, 1);
        lps_writer_close(w);
        {
            lps_index *ix = NULL;
            lps_error err;
            CHECK_OK(lps_index_open(dir, &ix, &err), &err);
            lps_index_info info;
            lps_index_get_info(ix, &info);
            assert_true(info.segments > 1);
            lps_index_close(ix);
        }
        run_state(dir, &c, NULL, IDS_DENSE, qs, nq, 1, 0, &st, seed);

        snprintf(scenario, sizeof scenario, "seed %u, a commit per call, optimized", seed);
        w = open_writer(dir, 0, 0);
        lps_error err;
        CHECK_OK(lps_writer_optimize(w, &err), &err);
        lps_writer_close(w);
        run_state(dir, &c, NULL, IDS_DENSE, qs, nq, 0, 1, &st, seed);

        /* Remove calls from several segments: two commits of calls, a few removed. */
        snprintf(scenario, sizeof scenario, "seed %u, calls removed", seed);
        dir = test_scratch_dir("search-ref-removed");
        w = open_writer(dir, 1, 0);
        add_calls(w, &c, 0, c.ncalls / 2, 0);
        add_calls(w, &c, c.ncalls / 2, c.ncalls, 1);
        unsigned char removed[64] = {0};
        size_t victims[3] = {1, c.ncalls / 2 + 1, c.ncalls - 1};
        for (size_t k = 0; k < 3; k++) {
            size_t n = 0;
            CHECK_OK(lps_writer_remove(w, c.calls[victims[k]].name, &n, &err), &err);
            assert_int_equal(n, 1);
            removed[victims[k]] = 1;
        }
        CHECK_OK(lps_writer_commit(w, &err), &err);
        lps_writer_close(w);
        run_state(dir, &c, removed, IDS_INCREASING, qs, nq, 0, 0, &st, seed);

        snprintf(scenario, sizeof scenario, "seed %u, calls removed, optimized", seed);
        w = open_writer(dir, 0, 0);
        CHECK_OK(lps_writer_optimize(w, &err), &err);
        lps_writer_close(w);
        run_state(dir, &c, removed, IDS_DENSE, qs, nq, 0, 0, &st, seed);

        free_queries(qs, nq);
        corpus_free(&c);
        if (only)
            break;
    }
    print_stats(&st);
    finish("index states");
}

/*
 * Long posting lists: about 10,000 sentences, so frequent words span dozens
 * of 128-document blocks while rare ones fill one.  AND and phrases of such
 * words take both paths of the conjunction (block intersection of lists of
 * similar length, probing of much longer ones) across block boundaries.
 */
static void test_long_lists(void **state)
{
    (void)state;
    uint32_t seed = env_number("LPS_SEARCH_REF_SEED", 0x10c5);
    uint32_t nq = env_number("LPS_SEARCH_REF_QUERIES", 196);
    stats st = {0};
    failures = failures_printed = 0;
    corpus c;
    corpus_build(&c, seed, 300, 0);
    assert_true(c.ndocs > 8000);
    query_case *qs = make_queries(&c, seed, nq);
    snprintf(scenario, sizeof scenario, "seed %u, %zu sentences", seed, c.ndocs);
    const char *dir = test_scratch_dir("search-ref-long");
    lps_writer *w = open_writer(dir, 1, 0);
    add_calls(w, &c, 0, c.ncalls, 0);
    lps_writer_close(w);
    run_state(dir, &c, NULL, IDS_DENSE, qs, nq, 0, 0, &st, seed);
    free_queries(qs, nq);
    corpus_free(&c);
    print_stats(&st);
    finish("long posting lists");
}

/* A stemmed index: words are stemmed, prefixes and metadata are not. */
static void test_stemmed(void **state)
{
    (void)state;
    uint32_t seed = env_number("LPS_SEARCH_REF_SEED", 0x57e3);
    uint32_t nq = env_number("LPS_SEARCH_REF_QUERIES", 196);
    stats st = {0};
    failures = failures_printed = 0;
    corpus c;
    corpus_build(&c, seed, 6, 1);
    query_case *qs = make_queries(&c, seed, nq);
    snprintf(scenario, sizeof scenario, "seed %u, stemmed", seed);
    const char *dir = test_scratch_dir("search-ref-stem");
    lps_writer *w = open_writer(dir, 1, 1);
    add_calls(w, &c, 0, c.ncalls, 0);
    lps_writer_close(w);
    run_state(dir, &c, NULL, IDS_DENSE, qs, nq, 0, 0, &st, seed);
    free_queries(qs, nq);
    corpus_free(&c);
    print_stats(&st);
    finish("stemmed index");
}

/* The generated corpus is what the tests assume: metadata read, words present. */
static void test_corpus_shape(void **state)
{
    (void)state;
    corpus c;
    corpus_build(&c, 1, 10, 0);
    assert_true(c.ndocs > 200);
    size_t roles = 0, named = 0;
    for (size_t i = 0; i < c.ndocs; i++) {
        roles += c.docs[i].role != NULL;
        named += c.docs[i].name != NULL;
    }
    assert_true(roles > c.ndocs / 2);
    assert_true(named > c.ndocs / 4);
    for (size_t i = 0; i < c.ncalls; i++) {
        assert_true(c.calls[i].year >= 2011 && c.calls[i].year <= 2016);
        assert_true(c.calls[i].quarter >= 1 && c.calls[i].quarter <= 4);
        assert_non_null(c.calls[i].company);
    }
    corpus_free(&c);
}

/*
 * NEAR members that start at the same token with different lengths: the
 * shorter one ends first and the window counts from its end, whatever the
 * order the members are written in.
 */
static void test_near_member_order(void **state)
{
    (void)state;
    static const char text[] = "Acme Corp (ACME) 2014 Q2 Earnings Call\n"
                               "John Smith - CFO\n"
                               "Alpha beta gamma delta.\n"
                               "Alpha beta delta gamma.\n";
    static const struct {
        const char *query;
        uint64_t count;
    } cases[] = {
        {"NEAR(\"alpha beta\" alpha delta, 1)", 1}, {"NEAR(alpha \"alpha beta\" delta, 1)", 1},
        {"NEAR(delta alpha \"alpha beta\", 1)", 1}, {"NEAR(\"alpha beta\" alpha delta, 2)", 2},
        {"NEAR(alpha \"alpha beta\" delta, 2)", 2},  {"NEAR(\"alpha beta\" alpha delta, 0)", 0},
        {"NEAR(alpha \"alpha beta\" delta, 0)", 0},  {"NEAR(\"alpha beta\" alpha, 0)", 2},
        /* An instance inside a longer one counts from its own end (checked
         * against SQLite FTS5 3.40: 0, 1 and 0 matches). */
        {"NEAR(\"alpha beta gamma\" beta delta, 0)", 0}, {"NEAR(\"alpha beta gamma\" beta delta, 1)", 1},
        {"NEAR(beta \"alpha beta gamma\" delta, 0)", 0},
    };
    snprintf(scenario, sizeof scenario, "NEAR member order");
    const char *dir = test_scratch_dir("search-ref-near");
    lps_writer *w = open_writer(dir, 1, 0);
    lps_error err;
    int added = 0;
    CHECK_OK(lps_writer_add_text(w, "near.txt", text, sizeof text - 1, &added, &err), &err);
    CHECK_OK(lps_writer_commit(w, &err), &err);
    lps_writer_close(w);
    lps_index *ix = NULL;
    CHECK_OK(lps_index_open(dir, &ix, &err), &err);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t n = UINT64_MAX;
        CHECK_OK(lps_count(ix, cases[i].query, &n, &err), &err);
        if (n != cases[i].count)
            fail_msg("%s matches %llu sentences, expected %llu", cases[i].query, (unsigned long long)n,
                     (unsigned long long)cases[i].count);
    }
    lps_index_close(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_shape),
        cmocka_unit_test(test_near_member_order),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_stemmed),
        cmocka_unit_test(test_long_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
