/*
 * The index round-trips exactly.  Random transcripts are generated as text,
 * parsed, and indexed; a brute-force truth is built from the same parsed
 * transcripts with the analyzer (every term's documents and positions, every
 * document's text, line and length, every call's records).  The snapshot is
 * then checked against that truth through every reader entry point: the
 * dictionary walk and seeks, lookups, postings with positions, skips and
 * block bounds, stored text and the call, speaker and turn tables.
 *
 * The same checker runs on single-segment builds of many sizes, on indexes
 * flushed into many segments, after merges and optimize, and across writer
 * sessions that add, deduplicate and remove calls.  Then the failure paths:
 * corrupted, truncated and wrong-version segments and manifests, the writer
 * lock, and garbage left by an interrupted writer.
 *
 * Every failure message starts with the scenario and seed that produced it.
 */
#include "test.h"

#include "analyzer.h"
#include "bytes.h"
#include "index_check.h"
#include "index_snapshot.h"
#include "index_writer.h"
#include "manifest.h"
#include "segment.h"
#include "transcript.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

/* What is being checked, for failure messages. */
static char context[256];

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            char detail_[8192];                                                           \
            if (snprintf(detail_, sizeof detail_, __VA_ARGS__) < 0)                       \
                detail_[0] = '\0';                                                       \
            fail_msg("%s: %s (%s:%d: %s)", context, detail_, __FILE__, __LINE__, #cond); \
        }                                                                                 \
    } while (0)

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        fail_msg("out of memory");
    return q;
}

#define GROW(array, count, cap)                                          \
    do {                                                                 \
        if ((count) >= (cap)) {                                          \
            (cap) = (cap) ? (cap) * 2 : 64;                              \
            (array) = xrealloc((array), (cap) * sizeof *(array));        \
        }                                                                \
    } while (0)

static int compare_key(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

#define CHECK_OK(rc, err)                                                   \
    do {                                                                    \
        int rc_ = (rc);                                                     \
        if (rc_ != LPS_OK) {                                                \
            char msg_[2048];                                                \
            lps_error_format((err), msg_, sizeof msg_);                     \
            fail_msg("%s: %s failed: %s (%s)", context, #rc, lps_strerror(rc_), msg_); \
        }                                                                   \
    } while (0)

/* dir/name into out, failing the test when it does not fit. */
static void path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path %s/%s is too long", dir, name);
}

/* ---- Growable text -------------------------------------------------------- */

typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void text_add_n(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->data = xrealloc(t->data, cap);
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_add(text *t, const char *s)
{
    text_add_n(t, s, strlen(s));
}

static void text_addf(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void text_addf(text *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof buf);
    text_add_n(t, buf, (size_t)n);
}

/* ---- Generated transcripts ------------------------------------------------ */

typedef struct source_file {
    char name[1024]; /* file name, or the path when it is written to disk */
    char *bytes;
    size_t len;
} source_file;

typedef struct corpus {
    source_file *files;
    size_t count, cap;
    size_t planned_sentences;
} corpus;

/* Lowercase ASCII words that can open a sentence with their first letter
 * capitalized: none is an abbreviation, a title, a month or a starter word
 * the splitter treats specially. */
static const char *const plain_words[] = {
    "revenue", "growth", "quarter", "margin", "customers", "platform", "guidance", "pipeline",
    "bookings", "churn", "expansion", "pricing", "renewal", "deals", "partners", "segment",
    "cash", "flow", "operating", "expenses", "hiring", "product", "launch", "adoption",
    "engagement", "messaging", "conversational", "commerce", "retail", "banking", "telecom",
    "travel", "automation", "bots", "agents", "voice", "mobile", "digital", "channels", "brands",
    "enterprise", "midmarket", "small", "business", "international", "europe", "asia",
    "pacific", "momentum", "visibility", "headwinds", "tailwinds", "currency", "taxes",
    "dilution", "buyback", "capital", "allocation", "leverage", "efficiency", "gross",
    "contribution", "recurring", "subscription", "usage", "seats", "contract", "duration",
    "backlog", "deferred", "billing", "collections", "receivables", "inventory", "supply",
    "demand", "competition", "differentiation", "roadmap", "innovation", "research",
    "development", "sales", "marketing", "general", "administrative", "restructuring",
};
#define PLAIN_WORD_COUNT (sizeof plain_words / sizeof plain_words[0])

/* Words that exercise the analyzer and byte order inside sentences. */
static const char *const odd_words[] = {
    "café", "Café", "naïve", "Zürich", "日本語", "données", "ÉCOLE", "straße", "2019", "$1.5",
    "e-mail", "we're", "--", "(inaudible)", "R&D", "10.5%", "Ωmega", "ОТЧЕТ", "x86", "µs",
};
#define ODD_WORD_COUNT (sizeof odd_words / sizeof odd_words[0])

/* Terms placed in exactly this many sentences: around the 128-document
 * postings block and twice that. */
static const unsigned marker_dfs[] = {127, 128, 129, 255, 256, 257};
#define MARKER_COUNT (sizeof marker_dfs / sizeof marker_dfs[0])

static const char *const named_labels[] = {"John Smith - CFO", "Jane Doe - CEO",
                                           "Peter Parker - Analyst", "Mary Major - Analyst"};
static const char *const role_labels[] = {"- CFO", "- CEO", "- Analyst"};
static const char *const companies[] = {"Acme Corp", "Globex", "Initech", "Umbrella Holdings",
                                        "Stark Industries", "Wayne Enterprises"};

static uint32_t pick(uint32_t *seed, uint32_t n)
{
    return next_random(seed) % n;
}

/* A word index skewed towards the front of the list (repeats are common). */
static const char *skewed_word(uint32_t *seed)
{
    uint32_t a = pick(seed, PLAIN_WORD_COUNT), b = pick(seed, PLAIN_WORD_COUNT);
    return plain_words[(size_t)a * b / PLAIN_WORD_COUNT];
}

static void add_long_word(text *t, uint32_t *seed)
{
    /* Exactly as long as a term may be (256 bytes), or around and beyond it. */
    size_t n = pick(seed, 2) ? 256 : 250 + pick(seed, 120);
    char w[400];
    for (size_t i = 0; i < n; i++)
        w[i] = (char)('a' + (i * 7 + pick(seed, 2)) % 26);
    w[n] = '\0';
    text_add(t, w);
}

/* One sentence; marker_mask says which markers it holds. */
static void add_sentence(text *t, uint32_t *seed, unsigned marker_mask)
{
    uint32_t roll = pick(seed, 1000);
    size_t words = roll < 20 ? 1 : roll < 25 ? 280 + pick(seed, 60) : 3 + pick(seed, 18);
    char first[64];
    snprintf(first, sizeof first, "%s", plain_words[pick(seed, PLAIN_WORD_COUNT)]);
    first[0] = (char)(first[0] - 'a' + 'A');
    text_add(t, first);
    text_add(t, " omni");
    for (size_t i = 1; i < words; i++) {
        text_add(t, " ");
        uint32_t r = pick(seed, 400);
        if (r < 12) {
            text_add(t, odd_words[pick(seed, ODD_WORD_COUNT)]);
        } else if (r == 12) {
            add_long_word(t, seed);
        } else if (r < 20) {
            /* The same word several times: frequency above 1. */
            const char *w = skewed_word(seed);
            unsigned times = 2 + pick(seed, 4);
            for (unsigned k = 0; k < times; k++)
                text_addf(t, "%s%s", k ? " " : "", w);
        } else if (r < 40) {
            /* A rare word, so the dictionary has many blocks: it cannot be an
             * abbreviation that would keep the sentence open. */
            char w[16];
            size_t n = 4 + pick(seed, 6);
            w[0] = "qxz"[pick(seed, 3)];
            for (size_t k = 1; k < n; k++)
                w[k] = (char)('a' + pick(seed, k < 3 ? 3 : 26));
            w[n] = '\0';
            text_add(t, w);
        } else if (r == 40 && pick(seed, 8) == 0) {
            /* More than a positions run (128) in one sentence. */
            for (unsigned k = 0; k < 140; k++)
                text_addf(t, "%secho", k ? " " : "");
        } else {
            text_add(t, skewed_word(seed));
        }
        for (unsigned m = 0; m < MARKER_COUNT; m++)
            if ((marker_mask >> m & 1) && i == 1 + m % words)
                text_addf(t, " mk%u", marker_dfs[m]);
    }
    for (unsigned m = 0; m < MARKER_COUNT; m++)
        if ((marker_mask >> m & 1) && 1 + m % words >= words)
            text_addf(t, " mk%u", marker_dfs[m]);
    uint32_t end = pick(seed, 20);
    text_add(t, end == 0 ? "!" : end < 3 ? "?" : ".");
}

static void corpus_add(corpus *c, const char *name, const char *bytes, size_t len)
{
    GROW(c->files, c->count, c->cap);
    source_file *f = &c->files[c->count++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->bytes = xrealloc(NULL, len + 1);
    memcpy(f->bytes, bytes, len);
    f->bytes[len] = '\0';
    f->len = len;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->files[i].bytes);
    free(c->files);
    memset(c, 0, sizeof *c);
}

/*
 * Transcripts holding `sentences` generated sentences in all; every marker
 * whose document frequency fits goes into exactly that many of them.
 */
static void corpus_generate(corpus *c, const char *prefix, uint32_t seed, size_t sentences)
{
    memset(c, 0, sizeof *c);
    c->planned_sentences = sentences;
    unsigned char *masks = calloc(sentences ? sentences : 1, 1);
    uint32_t *order = malloc((sentences ? sentences : 1) * sizeof *order);
    assert_non_null(masks);
    assert_non_null(order);
    for (unsigned m = 0; m < MARKER_COUNT; m++) {
        if (marker_dfs[m] > sentences)
            continue;
        for (uint32_t i = 0; i < sentences; i++)
            order[i] = i;
        for (uint32_t i = 0; i < marker_dfs[m]; i++) {
            uint32_t j = i + pick(&seed, (uint32_t)sentences - i);
            uint32_t tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
            masks[order[i]] |= (unsigned char)(1u << m);
        }
    }
    size_t done = 0;
    for (unsigned file = 0; done < sentences; file++) {
        text t = {0};
        size_t n = 1 + pick(&seed, 40);
        if (n > sentences - done)
            n = sentences - done;
        int named = pick(&seed, 4) != 0;
        uint32_t heading = pick(&seed, 4);
        const char *company = companies[pick(&seed, 6)];
        unsigned quarter = 1 + pick(&seed, 4), year = 2005 + pick(&seed, 15);
        if (heading == 1)
            text_addf(&t, "%s Q%u %u Earnings Call\n", company, quarter, year);
        else if (heading == 2)
            text_addf(&t, "%s - Earnings Call - Q%u %u\nTranscript\n", company, quarter, year);
        text_add(&t, "Operator\n");
        int first_turn = 1;
        for (size_t s = 0; s < n;) {
            if (!first_turn) {
                text_add(&t, named ? named_labels[pick(&seed, 4)] : role_labels[pick(&seed, 3)]);
                text_add(&t, "\n");
                if (pick(&seed, 12) == 0) { /* a label with no remarks */
                    text_add(&t, named ? named_labels[pick(&seed, 4)] : role_labels[pick(&seed, 3)]);
                    text_add(&t, "\n");
                }
            }
            first_turn = 0;
            size_t k = 1 + pick(&seed, 6);
            for (size_t j = 0; j < k && s < n; s++, j++) {
                add_sentence(&t, &seed, masks[done + s]);
                if (pick(&seed, 60) == 0)
                    text_add(&t, " \xC2\xA7\xC2\xA7 \xC2\xB6 ?"); /* "§§ ¶ ?": no token at all */
                text_add(&t, pick(&seed, 3) == 0 || j + 1 == k ? "\n" : " ");
            }
            if (t.data[t.len - 1] != '\n')
                text_add(&t, "\n");
        }
        if (pick(&seed, 5) == 0) { /* a last label with no remarks */
            text_add(&t, named ? named_labels[pick(&seed, 4)] : role_labels[pick(&seed, 3)]);
            text_add(&t, "\n");
        }
        char name[64];
        snprintf(name, sizeof name, "%s-%08x-%04u.txt", prefix, seed, file);
        corpus_add(c, name, t.data, t.len);
        free(t.data);
        done += n;
    }
    free(masks);
    free(order);
}

static transcript *parse(const source_file *f)
{
    transcript *t = NULL;
    lps_error err;
    CHECK_OK(transcript_read_memory(f->name, f->bytes, f->len, &t, &err), &err);
    return t;
}

/* ---- The truth ------------------------------------------------------------ */

typedef struct truth_doc {
    const char *text;
    uint32_t text_len, line, length;
} truth_doc;

typedef struct truth_posting {
    uint32_t doc, freq;
    size_t positions; /* index into truth.positions */
} truth_posting;

typedef struct truth_term {
    const char *text;
    uint32_t len;
    uint32_t df;
    uint64_t cf;
    size_t first_posting;
} truth_term;

typedef struct truth {
    unsigned analyzer_flags; /* ANALYZER_STEM_ENGLISH for a stemmed index */
    transcript **calls;
    uint32_t *call_first_doc;
    size_t call_count;
    truth_doc *docs;
    uint32_t doc_count;
    uint64_t tokens;
    char *term_bytes;
    truth_term *terms;
    size_t term_count;
    truth_posting *postings;
    size_t posting_count;
    uint32_t *positions;
    size_t position_count;
} truth;

typedef struct occurrence {
    size_t term_off;
    uint32_t term_len, doc, pos;
} occurrence;

static const char *sort_arena;

static int compare_occurrences(const void *a, const void *b)
{
    const occurrence *x = a, *y = b;
    int r = compare_key(sort_arena + x->term_off, x->term_len, sort_arena + y->term_off, y->term_len);
    if (r != 0)
        return r;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The truth for files[0..n) indexed in that order, by an analyzer with flags. */
static void truth_build_flags(truth *t, const source_file *const *files, size_t n, unsigned flags)
{
    memset(t, 0, sizeof *t);
    t->analyzer_flags = flags;
    analyzer *a = NULL;
    assert_int_equal(analyzer_create(&a, flags), LPS_OK);
    t->calls = calloc(n ? n : 1, sizeof *t->calls);
    t->call_first_doc = calloc(n ? n : 1, sizeof *t->call_first_doc);
    size_t docs_cap = 0, occ_count = 0, occ_cap = 0, arena_len = 0, arena_cap = 0;
    occurrence *occ = NULL;
    for (size_t c = 0; c < n; c++) {
        transcript *tr = parse(files[c]);
        t->calls[t->call_count++] = tr;
        t->call_first_doc[c] = t->doc_count;
        for (size_t s = 0; s < tr->sentence_count; s++) {
            const transcript_sentence *ts = &tr->sentences[s];
            analyzer_result r;
            assert_int_equal(analyzer_tokenize(a, tr->text + ts->text_off, ts->text_len, &r), LPS_OK);
            GROW(t->docs, t->doc_count, docs_cap);
            truth_doc *d = &t->docs[t->doc_count];
            d->text = tr->text + ts->text_off;
            d->text_len = ts->text_len;
            d->line = ts->line;
            d->length = (uint32_t)r.count;
            t->tokens += r.count;
            for (size_t k = 0; k < r.count; k++) {
                const analyzer_token *tok = &r.tokens[k];
                assert_int_equal(tok->position, k);
                while (arena_len + tok->term_len > arena_cap) {
                    arena_cap = arena_cap ? arena_cap * 2 : 4096;
                    t->term_bytes = xrealloc(t->term_bytes, arena_cap);
                }
                memcpy(t->term_bytes + arena_len, r.terms + tok->term_off, tok->term_len);
                GROW(occ, occ_count, occ_cap);
                occ[occ_count++] = (occurrence){arena_len, tok->term_len, t->doc_count, tok->position};
                arena_len += tok->term_len;
            }
            t->doc_count++;
        }
    }
    analyzer_free(a);

    sort_arena = t->term_bytes;
    if (occ_count > 0)
        qsort(occ, occ_count, sizeof *occ, compare_occurrences);
    t->positions = xrealloc(NULL, occ_count * sizeof *t->positions);
    t->postings = xrealloc(NULL, occ_count * sizeof *t->postings);
    t->terms = xrealloc(NULL, occ_count * sizeof *t->terms);
    for (size_t i = 0; i < occ_count;) {
        truth_term *term = &t->terms[t->term_count++];
        term->text = t->term_bytes + occ[i].term_off;
        term->len = occ[i].term_len;
        term->df = 0;
        term->cf = 0;
        term->first_posting = t->posting_count;
        size_t j = i;
        while (j < occ_count &&
               compare_key(t->term_bytes + occ[j].term_off, occ[j].term_len, term->text, term->len) == 0) {
            truth_posting *p = &t->postings[t->posting_count++];
            p->doc = occ[j].doc;
            p->freq = 0;
            p->positions = t->position_count;
            while (j < occ_count && occ[j].doc == p->doc &&
                   compare_key(t->term_bytes + occ[j].term_off, occ[j].term_len, term->text, term->len) == 0) {
                t->positions[t->position_count++] = occ[j].pos;
                p->freq++;
                j++;
            }
            term->df++;
            term->cf += p->freq;
        }
        i = j;
    }
    free(occ);
}

static void truth_build(truth *t, const source_file *const *files, size_t n)
{
    truth_build_flags(t, files, n, 0);
}

static void truth_free(truth *t)
{
    for (size_t c = 0; c < t->call_count; c++)
        transcript_free(t->calls[c]);
    free(t->calls);
    free(t->call_first_doc);
    free(t->docs);
    free(t->term_bytes);
    free(t->terms);
    free(t->postings);
    free(t->positions);
    memset(t, 0, sizeof *t);
}

/* Index of the term in the truth, or -1. */
static long truth_find(const truth *t, const char *term, size_t len)
{
    size_t lo = 0, hi = t->term_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = compare_key(t->terms[mid].text, t->terms[mid].len, term, len);
        if (r == 0)
            return (long)mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static uint32_t truth_df(const truth *t, const char *term)
{
    long i = truth_find(t, term, strlen(term));
    return i < 0 ? 0 : t->terms[i].df;
}

/* The generator really produced the block-boundary frequencies. */
static void check_markers(const truth *t, size_t planned)
{
    for (unsigned m = 0; m < MARKER_COUNT; m++) {
        char w[16];
        snprintf(w, sizeof w, "mk%u", marker_dfs[m]);
        uint32_t want = marker_dfs[m] <= planned ? marker_dfs[m] : 0;
        CHECK(truth_df(t, w) == want, "marker %s has df %u, planned %u", w, truth_df(t, w), want);
    }
}

/* ---- Building ------------------------------------------------------------- */

typedef struct notices {
    char text[8][1024];
    int count;
} notices;

static void record_notice(void *ctx, const char *message)
{
    notices *n = ctx;
    if (n->count < 8)
        snprintf(n->text[n->count], sizeof n->text[0], "%s", message);
    n->count++;
}

static index_writer_options build_options(size_t ram_budget, unsigned merge_factor)
{
    index_writer_options o;
    memset(&o, 0, sizeof o);
    o.create = 1;
    o.stem = -1;
    o.threads = 1;
    o.ram_budget = ram_budget;
    o.merge_factor = merge_factor;
    return o;
}

static index_writer *open_writer(const char *dir, const index_writer_options *o)
{
    index_writer *w = NULL;
    lps_error err;
    CHECK_OK(index_writer_open(dir, o, &w, &err), &err);
    assert_non_null(w);
    return w;
}

/* Adds every file; each must be new (added = 1) or, with expect_added 0, a duplicate. */
static void add_files(index_writer *w, const source_file *const *files, size_t n, int expect_added)
{
    for (size_t i = 0; i < n; i++) {
        lps_error err;
        int added = -1;
        CHECK_OK(index_writer_add_transcript(w, parse(files[i]), &added, &err), &err);
        CHECK(added == expect_added, "%s: added = %d, expected %d", files[i]->name, added, expect_added);
    }
}

/*
 * After a writer is done, the directory holds the manifest, LOCK and exactly
 * the segment and deletion files the manifest names: nothing temporary,
 * nothing superseded by a merge or a newer deletions generation.
 */
static void check_no_garbage(const char *dir)
{
    manifest m;
    lps_error err;
    CHECK_OK(manifest_read(dir, &m, &err), &err);
    size_t lps_files = 0, del_files = 0, del_wanted = 0;
    for (size_t i = 0; i < m.segment_count; i++)
        del_wanted += m.segments[i].deletions_generation != 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        CHECK(len < 4 || strcmp(name + len - 4, ".tmp") != 0, "%s left behind", name);
        CHECK(strncmp(name, "spool-", 6) != 0, "%s left behind", name);
        if (strncmp(name, "seg-", 4) != 0)
            continue;
        unsigned long long id = 0, gen = 0;
        int found = 0;
        if (len == 24 && sscanf(name, "seg-%16llx.lps", &id) == 1) {
            for (size_t i = 0; i < m.segment_count; i++)
                found |= m.segments[i].id == id;
            lps_files++;
        } else if (len == 41 && sscanf(name, "seg-%16llx.%16llx.del", &id, &gen) == 2) {
            for (size_t i = 0; i < m.segment_count; i++)
                found |= m.segments[i].id == id && m.segments[i].deletions_generation == gen;
            del_files++;
        }
        CHECK(found, "%s is not named by the manifest", name);
    }
    closedir(d);
    CHECK(lps_files == m.segment_count && del_files == del_wanted,
          "%zu segment files for %zu segments, %zu deletion files for %zu", lps_files, m.segment_count,
          del_files, del_wanted);
    manifest_free(&m);
}

static void build_index(const char *dir, const index_writer_options *o, const source_file *const *files,
                        size_t n)
{
    index_writer *w = open_writer(dir, o);
    add_files(w, files, n, 1);
    lps_error err;
    CHECK_OK(index_writer_commit(w, &err), &err);
    index_writer_close(w);
    check_no_garbage(dir);
}

static const source_file **file_list(const corpus *c, size_t from, size_t to, const source_file **out)
{
    for (size_t i = from; i < to; i++)
        out[i - from] = &c->files[i];
    return out;
}

/* ---- The checker ---------------------------------------------------------- */

typedef struct seg_term {
    char *text;
    size_t len;
    term_info info;
} seg_term;

static void expect_str(const char *got, const char *want, const char *what)
{
    if (!want) {
        CHECK(got == NULL, "%s is \"%s\", expected none", what, got);
        return;
    }
    CHECK(got != NULL, "%s is missing, expected \"%s\"", what, want);
    CHECK(strcmp(got, want) == 0, "%s is \"%s\", expected \"%s\"", what, got, want);
}

static char *join_notes(const transcript *tr)
{
    if (tr->note_count == 0)
        return NULL;
    text t = {0};
    for (size_t i = 0; i < tr->note_count; i++) {
        if (i)
            text_add(&t, "\n");
        text_add(&t, tr->notes[i]);
    }
    return t.data;
}

static int info_equal(const term_info *a, const term_info *b)
{
    return a->df == b->df && a->cf == b->cf && a->postings_offset == b->postings_offset &&
           a->postings_length == b->postings_length && a->positions_offset == b->positions_offset &&
           a->positions_length == b->positions_length && a->max_freq == b->max_freq &&
           a->min_length == b->min_length;
}

/* Global document -> truth document (UINT32_MAX: deleted), walking the snapshot. */
static uint32_t *map_documents(const index_snapshot *snap, const truth *t, int strict)
{
    uint32_t *map = xrealloc(NULL, (size_t)snap->doc_count * sizeof *map);
    uint32_t next = 0;
    uint64_t expect_base = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        CHECK(ss->base == expect_base, "segment %zu has base %u, expected %llu", i, ss->base,
              (unsigned long long)expect_base);
        if (strict)
            CHECK(ss->deleted == NULL && ss->deleted_count == 0, "segment %zu has deletions", i);
        uint32_t deleted = 0;
        for (uint32_t d = 0; d < ss->seg->doc_count; d++) {
            if (snapshot_is_deleted(ss, d)) {
                map[ss->base + d] = UINT32_MAX;
                deleted++;
            } else {
                CHECK(next < t->doc_count, "more live documents than the truth holds (%u)", t->doc_count);
                map[ss->base + d] = next++;
            }
            uint32_t local = UINT32_MAX;
            const snapshot_segment *found = snapshot_locate(snap, ss->base + d, &local);
            CHECK(found == ss && local == d, "snapshot_locate(%u) is wrong", ss->base + d);
        }
        CHECK(deleted == ss->deleted_count, "segment %zu: %u documents deleted, snapshot says %u", i,
              deleted, ss->deleted_count);
        expect_base += ss->seg->doc_count;
    }
    CHECK(expect_base == snap->doc_count, "documents: %llu in segments, snapshot says %llu",
          (unsigned long long)expect_base, (unsigned long long)snap->doc_count);
    CHECK(next == t->doc_count, "%u live documents, the truth has %u", next, t->doc_count);
    uint32_t local;
    CHECK(snapshot_locate(snap, snap->doc_count, &local) == NULL, "snapshot_locate past the end");
    return map;
}

static void check_documents(const index_snapshot *snap, const truth *t, const uint32_t *map, uint32_t *seed)
{
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        const segment *seg = ss->seg;
        text_reader tr;
        text_reader_init(&tr, seg);
        uint64_t total = 0;
        for (uint32_t d = 0; d < seg->doc_count; d++) {
            uint32_t length = segment_doc_length(seg, d);
            total += length;
            const char *txt;
            size_t len;
            uint32_t line;
            CHECK(text_reader_get(&tr, d, &txt, &len, &line) == LPS_OK, "segment %zu doc %u: no text", i, d);
            CHECK(txt[len] == '\0', "segment %zu doc %u: text not NUL-terminated", i, d);
            uint32_t truth_doc_id = map[ss->base + d];
            if (truth_doc_id == UINT32_MAX)
                continue;
            const truth_doc *td = &t->docs[truth_doc_id];
            CHECK(length == td->length, "doc %u: length %u, expected %u", ss->base + d, length, td->length);
            CHECK(len == td->text_len && memcmp(txt, td->text, len) == 0,
                  "doc %u: text \"%.*s\", expected \"%s\"", ss->base + d, (int)len, txt, td->text);
            CHECK(line == td->line, "doc %u: line %u, expected %u", ss->base + d, line, td->line);
        }
        CHECK(total == seg->total_tokens, "segment %zu: lengths sum to %llu, header says %llu", i,
              (unsigned long long)total, (unsigned long long)seg->total_tokens);
        /* Random access, across text blocks in both directions. */
        for (int k = 0; k < 200 && seg->doc_count > 0; k++) {
            uint32_t d = pick(seed, seg->doc_count);
            const char *txt;
            size_t len;
            uint32_t line;
            CHECK(text_reader_get(&tr, d, &txt, &len, &line) == LPS_OK, "segment %zu doc %u: no text", i, d);
            uint32_t td = map[ss->base + d];
            if (td != UINT32_MAX)
                CHECK(len == t->docs[td].text_len && memcmp(txt, t->docs[td].text, len) == 0 &&
                          line == t->docs[td].line,
                      "doc %u read at random differs", ss->base + d);
        }
        const char *txt;
        size_t len;
        uint32_t line;
        CHECK(text_reader_get(&tr, seg->doc_count, &txt, &len, &line) == LPS_EARG,
              "text past the last document");
        text_reader_free(&tr);
    }
}

static void check_calls(const index_snapshot *snap, const truth *t, const uint32_t *map)
{
    size_t next_call = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        const segment *seg = ss->seg;
        uint32_t doc = 0, turn = 0, speaker = 0;
        for (uint32_t c = 0; c < seg->call_count; c++) {
            call_record cr;
            CHECK(segment_call(seg, c, &cr) == LPS_OK, "segment %zu call %u does not read", i, c);
            CHECK(cr.first_doc == doc && cr.first_turn == turn && cr.first_speaker == speaker,
                  "segment %zu call %u does not follow the previous one", i, c);
            doc += cr.doc_count;
            turn += cr.turn_count;
            speaker += cr.speaker_count;
            CHECK(cr.doc_count > 0, "segment %zu call %u has no documents", i, c);
            if (map[ss->base + cr.first_doc] == UINT32_MAX) {
                for (uint32_t d = 0; d < cr.doc_count; d++)
                    CHECK(map[ss->base + cr.first_doc + d] == UINT32_MAX, "call partly deleted");
                continue;
            }
            CHECK(next_call < t->call_count, "more live calls than the truth holds");
            const transcript *tr = t->calls[next_call];
            snprintf(context + strlen(context), sizeof context - strlen(context), " [call %s]", tr->file);
            CHECK(map[ss->base + cr.first_doc] == t->call_first_doc[next_call],
                  "first document maps to %u, expected %u", map[ss->base + cr.first_doc],
                  t->call_first_doc[next_call]);
            CHECK(cr.content_hash == tr->content_hash, "content hash differs");
            CHECK(cr.doc_count == tr->sentence_count, "%u documents, expected %zu", cr.doc_count,
                  tr->sentence_count);
            CHECK(cr.turn_count == tr->turn_count, "%u turns, expected %zu", cr.turn_count, tr->turn_count);
            CHECK(cr.speaker_count == tr->speaker_count, "%u speakers, expected %zu", cr.speaker_count,
                  tr->speaker_count);
            CHECK(cr.year == tr->year && cr.quarter == tr->quarter, "year/quarter %d/%d, expected %d/%d",
                  cr.year, cr.quarter, tr->year, tr->quarter);
            expect_str(cr.path, tr->path, "path");
            expect_str(cr.file, tr->file, "file");
            expect_str(cr.title, tr->title, "title");
            expect_str(cr.company, tr->company, "company");
            expect_str(cr.ticker, tr->ticker, "ticker");
            expect_str(cr.date, tr->date, "date");
            expect_str(cr.layout, tr->layout, "layout");
            char *notes = join_notes(tr);
            expect_str(cr.notes, notes, "notes");
            free(notes);
            for (uint32_t s = 0; s < cr.speaker_count; s++) {
                speaker_record sr;
                CHECK(segment_speaker(seg, cr.first_speaker + s, &sr) == LPS_OK, "speaker %u", s);
                const transcript_speaker *ts = &tr->speakers[s];
                expect_str(sr.label, ts->label, "speaker label");
                expect_str(sr.name, ts->name, "speaker name");
                expect_str(sr.role, ts->role, "speaker role");
                expect_str(sr.firm, ts->firm, "speaker firm");
                CHECK(sr.name_source == (uint32_t)ts->name_source, "speaker %u name source", s);
            }
            for (uint32_t k = 0; k < cr.turn_count; k++) {
                turn_record rec;
                CHECK(segment_turn(seg, cr.first_turn + k, &rec) == LPS_OK, "turn %u", k);
                const transcript_turn *tt = &tr->turns[k];
                CHECK(rec.call == c, "turn %u belongs to call %u", k, rec.call);
                CHECK(rec.speaker == cr.first_speaker + tt->speaker, "turn %u speaker %u, expected %u", k,
                      rec.speaker, cr.first_speaker + tt->speaker);
                CHECK(rec.first_doc == cr.first_doc + tt->first_sentence, "turn %u first doc", k);
                CHECK(rec.doc_count == tt->sentence_count, "turn %u has %u docs, expected %u", k,
                      rec.doc_count, tt->sentence_count);
                CHECK(rec.label_line == tt->label_line, "turn %u label line %u, expected %u", k,
                      rec.label_line, tt->label_line);
            }
            for (uint32_t s = 0; s < cr.doc_count; s++) {
                uint32_t found = UINT32_MAX;
                CHECK(segment_doc_turn(seg, cr.first_doc + s, &found) == LPS_OK, "doc %u has no turn", s);
                CHECK(found == cr.first_turn + tr->sentences[s].turn, "sentence %u in turn %u, expected %u",
                      s, found, cr.first_turn + tr->sentences[s].turn);
            }
            *strrchr(context, '[') = '\0';
            context[strlen(context) - 1] = '\0';
            next_call++;
        }
        CHECK(doc == seg->doc_count && turn == seg->turn_count && speaker == seg->speaker_count,
              "segment %zu: calls cover %u docs, %u turns, %u speakers of %u, %u, %u", i, doc, turn,
              speaker, seg->doc_count, seg->turn_count, seg->speaker_count);
        call_record cr;
        CHECK(segment_call(seg, seg->call_count, &cr) != LPS_OK, "call past the end reads");
        turn_record rec;
        CHECK(segment_turn(seg, seg->turn_count, &rec) != LPS_OK, "turn past the end reads");
    }
    CHECK(next_call == t->call_count, "%zu live calls, the truth has %zu", next_call, t->call_count);
    CHECK(snap->live_calls == t->call_count, "snapshot counts %llu live calls, expected %zu",
          (unsigned long long)snap->live_calls, t->call_count);
}

/* Decoded postings of one term in one segment. */
typedef struct decoded {
    uint32_t *docs, *freqs;
    size_t *pos_start;
    uint32_t *positions;
    size_t count, cap, pos_count, pos_cap;
} decoded;

static void decode_all(const segment *seg, const term_info *info, decoded *out)
{
    out->count = 0;
    out->pos_count = 0;
    posting_cursor pc;
    int r = posting_cursor_open(&pc, seg, info);
    CHECK(r == 1, "posting list does not open (%d)", r);
    uint32_t prev = UINT32_MAX;
    while (r == 1) {
        CHECK(prev == UINT32_MAX || pc.doc > prev, "documents not increasing: %u after %u", pc.doc, prev);
        CHECK(pc.doc < seg->doc_count, "document %u out of range", pc.doc);
        prev = pc.doc;
        if (out->count >= out->cap) {
            out->cap = out->cap ? out->cap * 2 : 256;
            out->docs = xrealloc(out->docs, out->cap * sizeof *out->docs);
            out->freqs = xrealloc(out->freqs, out->cap * sizeof *out->freqs);
            out->pos_start = xrealloc(out->pos_start, out->cap * sizeof *out->pos_start);
        }
        uint32_t freq = posting_cursor_freq(&pc);
        const uint32_t *pos = NULL;
        int n = posting_cursor_positions(&pc, &pos);
        CHECK(n > 0 && (uint32_t)n == freq, "doc %u: %d positions for frequency %u", pc.doc, n, freq);
        out->docs[out->count] = pc.doc;
        out->freqs[out->count] = freq;
        out->pos_start[out->count] = out->pos_count;
        while (out->pos_count + freq > out->pos_cap) {
            out->pos_cap = out->pos_cap ? out->pos_cap * 2 : 1024;
            out->positions = xrealloc(out->positions, out->pos_cap * sizeof *out->positions);
        }
        uint32_t length = segment_doc_length(seg, pc.doc);
        for (uint32_t k = 0; k < freq; k++) {
            CHECK(k == 0 || pos[k] > pos[k - 1], "doc %u: positions not increasing", pc.doc);
            CHECK(pos[k] < length, "doc %u: position %u beyond length %u", pc.doc, pos[k], length);
            out->positions[out->pos_count++] = pos[k];
        }
        out->count++;
        r = posting_cursor_next(&pc);
    }
    CHECK(r == 0, "posting list ends with %d", r);
    CHECK(pc.doc == UINT32_MAX, "doc after the end is %u", pc.doc);
    CHECK(posting_cursor_next(&pc) == 0, "next after the end");
    CHECK(posting_cursor_advance(&pc, 0) == 0, "advance after the end");
    posting_cursor_close(&pc);
}

static void decoded_free(decoded *d)
{
    free(d->docs);
    free(d->freqs);
    free(d->pos_start);
    free(d->positions);
}

static void check_block_bounds(const segment *seg, const term_info *info, const decoded *d)
{
    posting_cursor pc;
    CHECK(posting_cursor_open(&pc, seg, info) == 1, "posting list does not open");
    uint32_t blocks = (uint32_t)((d->count + POSTING_BLOCK - 1) / POSTING_BLOCK);
    uint32_t last, max_freq, min_length;
    if (d->count < POSTING_BLOCK) {
        CHECK(posting_cursor_block_bounds(&pc, 0, &last, &max_freq, &min_length) == LPS_EARG,
              "a single tail block has no bounds");
    } else {
        for (uint32_t b = 0; b < blocks; b++) {
            size_t from = (size_t)b * POSTING_BLOCK;
            size_t to = from + POSTING_BLOCK < d->count ? from + POSTING_BLOCK : d->count;
            uint32_t want_max = 0, want_min = UINT32_MAX;
            for (size_t k = from; k < to; k++) {
                if (d->freqs[k] > want_max)
                    want_max = d->freqs[k];
                uint32_t len = segment_doc_length(seg, d->docs[k]);
                if (len < want_min)
                    want_min = len;
            }
            CHECK(posting_cursor_block_bounds(&pc, b, &last, &max_freq, &min_length) == LPS_OK,
                  "block %u has no bounds", b);
            CHECK(last == d->docs[to - 1], "block %u: last doc %u, expected %u", b, last, d->docs[to - 1]);
            CHECK(max_freq == want_max, "block %u: max freq %u, expected %u", b, max_freq, want_max);
            CHECK(min_length == want_min, "block %u: min length %u, expected %u", b, min_length, want_min);
        }
        CHECK(posting_cursor_block_bounds(&pc, blocks, &last, &max_freq, &min_length) == LPS_EARG,
              "bounds past the last block");
    }
    CHECK(pc.block_count == blocks, "%u blocks, expected %u", pc.block_count, blocks);
    posting_cursor_close(&pc);
}

/* advance() against a linear scan of the decoded list. */
static void check_advance(const segment *seg, const term_info *info, const decoded *d, uint32_t *seed)
{
    for (int round = 0; round < 2; round++) {
        posting_cursor pc;
        CHECK(posting_cursor_open(&pc, seg, info) == 1, "posting list does not open");
        size_t at = 0;
        int steps = d->count < 40 ? (int)d->count + 2 : 40;
        for (int s = 0; s < steps; s++) {
            uint32_t target;
            uint32_t kind = pick(seed, 6);
            size_t ahead = at + pick(seed, (uint32_t)(d->count - at + (round ? 300 : 3)));
            if (kind == 0)
                target = pick(seed, seg->doc_count + 2);
            else if (kind == 1)
                target = d->docs[at]; /* no move */
            else if (ahead < d->count)
                target = d->docs[ahead] + (kind == 2); /* exact, or just past */
            else
                target = seg->doc_count + pick(seed, 3);
            size_t lo = 0, hi = d->count;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (d->docs[mid] < target)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            size_t want = lo > at ? lo : at;
            int r = posting_cursor_advance(&pc, target);
            if (want >= d->count) {
                CHECK(r == 0 && pc.doc == UINT32_MAX, "advance(%u) should end the list: %d, doc %u", target,
                      r, pc.doc);
                break;
            }
            CHECK(r == 1 && pc.doc == d->docs[want], "advance(%u) gave %d, doc %u; expected doc %u", target,
                  r, pc.doc, d->docs[want]);
            CHECK(posting_cursor_freq(&pc) == d->freqs[want], "freq after advance");
            const uint32_t *pos;
            int n = posting_cursor_positions(&pc, &pos);
            CHECK(n == (int)d->freqs[want] &&
                      memcmp(pos, d->positions + d->pos_start[want], (size_t)n * sizeof *pos) == 0,
                  "positions after advance(%u) differ", target);
            at = want;
            if (pick(seed, 4) == 0 && at + 1 < d->count) {
                CHECK(posting_cursor_next(&pc) == 1 && pc.doc == d->docs[at + 1], "next after advance");
                at++;
            }
        }
        posting_cursor_close(&pc);
    }
}

/* Terms of one segment, collected while walking its dictionary. */
typedef struct seg_terms {
    seg_term *items;
    size_t count, cap;
} seg_terms;

static void check_seeks(const segment *seg, const seg_terms *st, uint32_t *seed)
{
    char key[TERM_MAX_BYTES + 8];
    size_t samples = st->count < 150 ? st->count : 150;
    for (size_t k = 0; k < samples + 3; k++) {
        size_t key_len;
        if (k == samples) {
            key_len = 0;
        } else if (k == samples + 1) {
            memset(key, 0xff, 4);
            key_len = 4;
        } else if (k == samples + 2) {
            memcpy(key, "zzzzzzzzzz", 10);
            key_len = 10;
        } else {
            const seg_term *base = &st->items[samples == st->count ? k : pick(seed, (uint32_t)st->count)];
            memcpy(key, base->text, base->len);
            key_len = base->len;
            switch (pick(seed, 5)) {
            case 0: /* the term itself */
                break;
            case 1: /* a proper prefix */
                if (key_len > 0)
                    key_len = pick(seed, (uint32_t)key_len);
                break;
            case 2: /* just after it */
                key[key_len++] = '\0';
                break;
            case 3: /* last byte raised */
                if (key_len > 0 && (unsigned char)key[key_len - 1] < 0xff)
                    key[key_len - 1]++;
                break;
            default: /* a longer word */
                memcpy(key + key_len, "qq", 2);
                key_len += 2;
                break;
            }
        }
        size_t lo = 0, hi = st->count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (compare_key(st->items[mid].text, st->items[mid].len, key, key_len) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        term_cursor c;
        int r = term_cursor_seek(&c, seg, key, key_len);
        if (lo == st->count) {
            CHECK(r == 0, "seek(\"%.*s\") should find nothing, found \"%s\"", (int)key_len, key, c.term);
        } else {
            CHECK(r == 1, "seek(\"%.*s\") returned %d", (int)key_len, key, r);
            CHECK(c.term_len == st->items[lo].len && memcmp(c.term, st->items[lo].text, c.term_len) == 0,
                  "seek(\"%.*s\") landed on \"%s\", expected \"%.*s\"", (int)key_len, key, c.term,
                  (int)st->items[lo].len, st->items[lo].text);
            CHECK(info_equal(&c.info, &st->items[lo].info), "seek(\"%.*s\"): term info differs",
                  (int)key_len, key);
            /* The walk goes on from there. */
            r = term_cursor_next(&c);
            if (lo + 1 == st->count)
                CHECK(r == 0, "next after the last term");
            else
                CHECK(r == 1 && c.term_len == st->items[lo + 1].len &&
                          memcmp(c.term, st->items[lo + 1].text, c.term_len) == 0,
                      "next after seek(\"%.*s\")", (int)key_len, key);
        }
        term_info info;
        int found = segment_term_lookup(seg, key, key_len, &info);
        int present = lo < st->count && compare_key(st->items[lo].text, st->items[lo].len, key, key_len) == 0;
        CHECK(found == present, "lookup(\"%.*s\") returned %d, expected %d", (int)key_len, key, found, present);
    }
}

/*
 * Checks the dictionaries and postings of every segment against the truth:
 * live postings, mapped to truth documents, must be exactly each truth
 * term's postings, in order, across segments.
 */
static void check_postings(const index_snapshot *snap, const truth *t, const uint32_t *map, int strict,
                           uint32_t *seed)
{
    size_t *matched = calloc(t->term_count ? t->term_count : 1, sizeof *matched);
    size_t *stamp = calloc(t->term_count ? t->term_count : 1, sizeof *stamp);
    assert_non_null(matched);
    assert_non_null(stamp);
    decoded d;
    memset(&d, 0, sizeof d);
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        const segment *seg = ss->seg;
        seg_terms st;
        memset(&st, 0, sizeof st);
        term_cursor c;
        int r = term_cursor_seek(&c, seg, "", 0);
        while (r == 1) {
            GROW(st.items, st.count, st.cap);
            seg_term *item = &st.items[st.count++];
            item->text = xrealloc(NULL, c.term_len + 1);
            memcpy(item->text, c.term, c.term_len + 1);
            item->len = c.term_len;
            item->info = c.info;
            CHECK(c.term_len > 0 && c.term_len <= TERM_MAX_BYTES, "term of %zu bytes", c.term_len);
            if (st.count > 1) {
                const seg_term *prev = &st.items[st.count - 2];
                CHECK(compare_key(prev->text, prev->len, item->text, item->len) < 0,
                      "dictionary not strictly increasing at \"%s\"", item->text);
            }
            r = term_cursor_next(&c);
        }
        CHECK(r == 0, "segment %zu: dictionary walk ends with %d", i, r);
        CHECK(term_cursor_next(&c) == 0, "next after the end of the dictionary");
        CHECK(st.count == seg->term_count, "segment %zu: walked %zu terms, header says %llu", i, st.count,
              (unsigned long long)seg->term_count);

        for (size_t k = 0; k < st.count; k++) {
            const seg_term *item = &st.items[k];
            long ti = truth_find(t, item->text, item->len);
            if (strict)
                CHECK(ti >= 0, "segment %zu holds \"%s\", which the truth does not", i, item->text);
            if (ti >= 0)
                stamp[ti] = i + 1;
            decode_all(seg, &item->info, &d);
            CHECK(d.count == item->info.df, "\"%s\": %zu postings, df %u", item->text, d.count, item->info.df);
            uint64_t cf = 0;
            uint32_t max_freq = 0, min_length = UINT32_MAX;
            for (size_t p = 0; p < d.count; p++) {
                cf += d.freqs[p];
                if (d.freqs[p] > max_freq)
                    max_freq = d.freqs[p];
                if (segment_doc_length(seg, d.docs[p]) < min_length)
                    min_length = segment_doc_length(seg, d.docs[p]);
            }
            CHECK(cf == item->info.cf, "\"%s\": frequencies sum to %llu, cf %llu", item->text,
                  (unsigned long long)cf, (unsigned long long)item->info.cf);
            CHECK(max_freq == item->info.max_freq && min_length == item->info.min_length,
                  "\"%s\": largest frequency %u and shortest document %u, the dictionary says %u and %u",
                  item->text, max_freq, min_length, item->info.max_freq, item->info.min_length);
            size_t live = 0;
            for (size_t p = 0; p < d.count; p++) {
                uint32_t td = map[ss->base + d.docs[p]];
                if (td == UINT32_MAX)
                    continue;
                live++;
                CHECK(ti >= 0, "\"%s\" has a live posting but is not in the truth", item->text);
                const truth_term *tt = &t->terms[ti];
                CHECK(matched[ti] < tt->df, "\"%s\": more postings than the truth's %u", item->text, tt->df);
                const truth_posting *want = &t->postings[tt->first_posting + matched[ti]];
                CHECK(want->doc == td, "\"%s\": posting %zu is doc %u, expected %u", item->text, matched[ti],
                      td, want->doc);
                CHECK(want->freq == d.freqs[p], "\"%s\" doc %u: freq %u, expected %u", item->text, td,
                      d.freqs[p], want->freq);
                CHECK(memcmp(&t->positions[want->positions], d.positions + d.pos_start[p],
                             want->freq * sizeof(uint32_t)) == 0,
                      "\"%s\" doc %u: positions differ", item->text, td);
                matched[ti]++;
            }
            if (strict)
                CHECK(live == d.count, "\"%s\": deleted postings in a strict check", item->text);
            check_block_bounds(seg, &item->info, &d);
            if (d.count >= POSTING_BLOCK || pick(seed, 8) == 0)
                check_advance(seg, &item->info, &d, seed);
            term_info info;
            CHECK(segment_term_lookup(seg, item->text, item->len, &info) == 1, "lookup(\"%s\") fails",
                  item->text);
            CHECK(info_equal(&info, &item->info), "lookup(\"%s\"): info differs from the walk", item->text);
        }
        /* Truth terms this segment does not hold are absent from it (all of
         * them for a few segments, a sample for many). */
        size_t sample = snap->segment_count <= 4 ? t->term_count : 300;
        for (size_t k = 0; k < sample && k < t->term_count; k++) {
            size_t ti = sample == t->term_count ? k : pick(seed, (uint32_t)t->term_count);
            if (stamp[ti] == i + 1)
                continue;
            term_info info;
            CHECK(segment_term_lookup(seg, t->terms[ti].text, t->terms[ti].len, &info) == 0,
                  "segment %zu: lookup(\"%.*s\") finds a term it does not hold", i, (int)t->terms[ti].len,
                  t->terms[ti].text);
        }
        term_info info;
        CHECK(segment_term_lookup(seg, "", 0, &info) == 0, "the empty term is found");
        CHECK(segment_term_lookup(seg, "absentterm", 10, &info) == 0, "an absent term is found");
        check_seeks(seg, &st, seed);

        if (strict && snap->segment_count == 1) {
            /* One segment: its dictionary is the truth's term list. */
            CHECK(st.count == t->term_count, "%zu terms, the truth has %zu", st.count, t->term_count);
            for (size_t k = 0; k < st.count; k++)
                CHECK(st.items[k].len == t->terms[k].len &&
                          memcmp(st.items[k].text, t->terms[k].text, st.items[k].len) == 0 &&
                          st.items[k].info.df == t->terms[k].df && st.items[k].info.cf == t->terms[k].cf,
                      "term %zu is \"%s\", expected \"%.*s\"", k, st.items[k].text, (int)t->terms[k].len,
                      t->terms[k].text);
        }
        for (size_t k = 0; k < st.count; k++)
            free(st.items[k].text);
        free(st.items);
    }
    for (size_t ti = 0; ti < t->term_count; ti++)
        CHECK(matched[ti] == t->terms[ti].df, "\"%.*s\": %zu of %u postings found", (int)t->terms[ti].len,
              t->terms[ti].text, matched[ti], t->terms[ti].df);
    decoded_free(&d);
    free(matched);
    free(stamp);
}

/* Everything the snapshot says equals the truth.  strict: no deletions. */
static void check_snapshot(const index_snapshot *snap, const truth *t, int strict, uint32_t seed)
{
    CHECK(snap->live_docs == t->doc_count, "%llu live documents, expected %u",
          (unsigned long long)snap->live_docs, t->doc_count);
    CHECK(snap->live_tokens == t->tokens, "%llu live tokens, expected %llu",
          (unsigned long long)snap->live_tokens, (unsigned long long)t->tokens);
    uint32_t flags = t->analyzer_flags & ANALYZER_STEM_ENGLISH ? SEGMENT_FLAG_STEM_ENGLISH : 0;
    CHECK(snap->flags == flags, "index flags 0x%x, expected 0x%x", snap->flags, flags);
    CHECK(snap->segment_count == snap->manifest.segment_count, "segment count differs from the manifest");
    for (size_t i = 0; i < snap->segment_count; i++) {
        const segment *seg = snap->segments[i].seg;
        CHECK(seg->id == snap->manifest.segments[i].id, "segment %zu id", i);
        CHECK(seg->flags == flags, "segment %zu flags 0x%x", i, seg->flags);
        CHECK(seg->analyzer_rules == ANALYZER_RULES_VERSION, "segment %zu analyzer rules", i);
        CHECK(seg->doc_count > 0, "segment %zu is empty", i);
    }
    index_check_stats stats;
    memset(&stats, 0, sizeof stats);
    lps_error err;
    CHECK_OK(index_check(snap, &stats, &err), &err);
    CHECK(stats.segments == snap->segment_count && stats.documents == snap->doc_count,
          "the checker saw %llu segments and %llu documents", (unsigned long long)stats.segments,
          (unsigned long long)stats.documents);
    uint32_t *map = map_documents(snap, t, strict);
    check_documents(snap, t, map, &seed);
    check_calls(snap, t, map);
    check_postings(snap, t, map, strict, &seed);
    free(map);
}

static void check_index(const char *dir, const truth *t, int strict, uint32_t seed)
{
    index_snapshot *snap = NULL;
    lps_error err;
    CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
    check_snapshot(snap, t, strict, seed);
    index_snapshot_close(snap);
}

static size_t segment_count(const char *dir)
{
    index_snapshot *snap = NULL;
    lps_error err;
    CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
    size_t n = snap->segment_count;
    index_snapshot_close(snap);
    return n;
}

/* ---- Scenarios ------------------------------------------------------------ */

static void expect_segment_error(const char *dir, const char *seg_path, int code, const char *section,
                                 const char *what);

static void test_single_segment_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 10, 100, 1000, 3000};
    static const uint32_t seeds[] = {0x9E3779B9u, 12345u, 0xC0FFEEu};
    for (size_t si = 0; si < sizeof seeds / sizeof seeds[0]; si++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            if (sizes[k] == 3000 && si > 0)
                continue; /* one large corpus is enough for the run time */
            snprintf(context, sizeof context, "single segment, %zu sentences, seed %08x", sizes[k], seeds[si]);
            corpus c;
            if (sizes[k] == 1) {
                memset(&c, 0, sizeof c);
                char one[96];
                int n = snprintf(one, sizeof one, "Operator\nWelcome everyone to call %08x.\n", seeds[si]);
                corpus_add(&c, "one.txt", one, (size_t)n);
                c.planned_sentences = 1;
            } else {
                corpus_generate(&c, "call", seeds[si] + (uint32_t)k, sizes[k]);
            }
            const source_file **files = malloc(c.count * sizeof *files);
            file_list(&c, 0, c.count, files);
            truth t;
            truth_build(&t, files, c.count);
            if (sizes[k] > 1) {
                check_markers(&t, c.planned_sentences);
                CHECK(t.doc_count >= c.planned_sentences, "%u documents for %zu planned sentences", t.doc_count,
                      c.planned_sentences);
            } else {
                CHECK(t.doc_count == 1 && t.call_count == 1, "one call, one sentence");
            }
            const char *dir = test_scratch_dir("single");
            index_writer_options o = build_options(0, 1);
            build_index(dir, &o, files, c.count);
            CHECK(segment_count(dir) == 1, "one segment expected");
            check_index(dir, &t, 1, seeds[si]);
            truth_free(&t);
            free(files);
            corpus_free(&c);
        }
    }
}

/* The data the generator promises is really in the corpora. */
static void test_generator_covers_edges(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "generator coverage");
    corpus c;
    corpus_generate(&c, "cover", 777u, 3000);
    const source_file **files = malloc(c.count * sizeof *files);
    file_list(&c, 0, c.count, files);
    truth t;
    truth_build(&t, files, c.count);
    check_markers(&t, 3000);
    uint32_t max_freq = 0, max_length = 0, zero_length = 0, long_terms = 0;
    for (size_t i = 0; i < t.posting_count; i++)
        if (t.postings[i].freq > max_freq)
            max_freq = t.postings[i].freq;
    for (uint32_t d = 0; d < t.doc_count; d++) {
        if (t.docs[d].length > max_length)
            max_length = t.docs[d].length;
        zero_length += t.docs[d].length == 0;
    }
    for (size_t i = 0; i < t.term_count; i++)
        long_terms += t.terms[i].len == TERM_MAX_BYTES;
    int non_ascii = 0, empty_turn = 0, empty_last_turn = 0;
    for (size_t i = 0; i < t.term_count; i++)
        non_ascii |= (unsigned char)t.terms[i].text[0] >= 0x80;
    for (size_t c2 = 0; c2 < t.call_count; c2++) {
        const transcript *tr = t.calls[c2];
        for (size_t k = 0; k < tr->turn_count; k++) {
            if (tr->turns[k].sentence_count > 0)
                continue;
            if (k + 1 < tr->turn_count)
                empty_turn = 1;
            else
                empty_last_turn = 1;
        }
    }
    CHECK(max_freq > POSITION_RUN, "largest frequency %u", max_freq);
    CHECK(max_length > 255, "longest sentence %u tokens", max_length);
    CHECK(long_terms > 0, "no term of the maximum length");
    CHECK(non_ascii, "no term starting with a non-ASCII byte");
    CHECK(empty_turn, "no turn without sentences");
    CHECK(empty_last_turn, "no call ending with a turn without sentences");
    CHECK(truth_df(&t, "omni") >= 3000, "omni in %u documents", truth_df(&t, "omni"));
    CHECK(zero_length > 0, "no sentence without tokens");
    truth_free(&t);
    free(files);
    corpus_free(&c);
}

/* A sentence of more than 65535 tokens: 4-byte document lengths, a term
 * frequency above 65535 and hundreds of positions runs in one document. */
static void test_huge_sentence(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "huge sentence");
    text t = {0};
    text_add(&t, "Operator\nGood morning and welcome.\nJohn Smith - CFO\nHuge");
    for (int i = 0; i < 35000; i++)
        text_add(&t, i % 7 ? " wx yy" : " wx zz");
    text_add(&t, " end.\nThank you all. Goodbye wx.\n");
    corpus c;
    memset(&c, 0, sizeof c);
    corpus_add(&c, "huge.txt", t.data, t.len);
    free(t.data);
    const source_file *files[1] = {&c.files[0]};
    truth tr;
    truth_build(&tr, files, 1);
    CHECK(tr.doc_count == 4, "%u documents", tr.doc_count);
    CHECK(tr.docs[1].length == 70002, "huge sentence has %u tokens", tr.docs[1].length);
    CHECK(truth_df(&tr, "wx") == 2, "wx in %u documents", truth_df(&tr, "wx"));
    const char *dir = test_scratch_dir("huge");
    index_writer_options o = build_options(0, 1);
    build_index(dir, &o, files, 1);
    index_snapshot *snap = NULL;
    lps_error err;
    CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
    CHECK(snap->segments[0].seg->doc_length_width == 4, "document lengths stored in %u bytes",
          snap->segments[0].seg->doc_length_width);
    check_snapshot(snap, &tr, 1, 13);
    index_snapshot_close(snap);
    truth_free(&tr);
    corpus_free(&c);
}

static void test_many_segments_then_optimize(void **state)
{
    (void)state;
    static const uint32_t seeds[] = {31337u, 0xABCDEFu};
    for (size_t si = 0; si < sizeof seeds / sizeof seeds[0]; si++) {
        snprintf(context, sizeof context, "many segments, seed %08x", seeds[si]);
        corpus c;
        corpus_generate(&c, "multi", seeds[si], 700);
        const source_file **files = malloc(c.count * sizeof *files);
        file_list(&c, 0, c.count, files);
        truth t;
        truth_build(&t, files, c.count);
        check_markers(&t, 700);

        const char *dir = test_scratch_dir("multi");
        index_writer_options o = build_options(64 << 10, 1);
        build_index(dir, &o, files, c.count);
        size_t segments = segment_count(dir);
        CHECK(segments >= 5, "only %zu segments with a 64 KiB budget", segments);
        check_index(dir, &t, 1, seeds[si]);

        /* Optimize: one segment, same answers. */
        snprintf(context, sizeof context, "many segments optimized, seed %08x", seeds[si]);
        index_writer *w = open_writer(dir, &o);
        lps_error err;
        CHECK_OK(index_writer_optimize(w, &err), &err);
        index_writer_close(w);
        check_no_garbage(dir);
        CHECK(segment_count(dir) == 1, "optimize left %zu segments", segment_count(dir));
        check_index(dir, &t, 1, seeds[si] + 1);

        /* Merging as it goes (factor 2) keeps document order. */
        snprintf(context, sizeof context, "merge factor 2, seed %08x", seeds[si]);
        dir = test_scratch_dir("merge2");
        o = build_options(64 << 10, 2);
        build_index(dir, &o, files, c.count);
        size_t merged = segment_count(dir);
        CHECK(merged < segments, "merge factor 2 left %zu segments, as many as without merging (%zu)", merged,
              segments);
        check_index(dir, &t, 1, seeds[si] + 2);

        truth_free(&t);
        free(files);
        corpus_free(&c);
    }
}

/* Random calls removed from an index of several segments with several calls
 * each, then new calls added and removed calls re-added, then optimize. */
static void test_random_removals(void **state)
{
    (void)state;
    const uint32_t seed = 0xD1CEu;
    corpus x, z;
    corpus_generate(&x, "rx", seed, 900);
    corpus_generate(&z, "rz", seed + 1, 150);
    const source_file **all = malloc((x.count + z.count + x.count) * sizeof *all);
    file_list(&x, 0, x.count, all);
    truth t;
    truth_build(&t, all, x.count);
    const char *dir = test_scratch_dir("removals");
    lps_error err;
    snprintf(context, sizeof context, "random removals: build");
    index_writer_options o = build_options(400 << 10, 1);
    build_index(dir, &o, all, x.count);
    size_t segments = segment_count(dir);
    CHECK(segments >= 3, "only %zu segments", segments);
    check_index(dir, &t, 1, 20);

    /* Remove about a third of the calls, in random order. */
    snprintf(context, sizeof context, "random removals: removed");
    unsigned char *gone = calloc(x.count, 1);
    uint32_t rs = seed;
    index_writer *w = open_writer(dir, &o);
    for (size_t k = 0; k < x.count / 3; k++) {
        size_t i = pick(&rs, (uint32_t)x.count);
        size_t removed = 99;
        CHECK_OK(index_writer_remove_call(w, x.files[i].name, &removed, &err), &err);
        CHECK(removed == !gone[i], "removing %s removed %zu calls", x.files[i].name, removed);
        gone[i] = 1;
    }
    CHECK_OK(index_writer_commit(w, &err), &err);
    size_t kept = 0;
    for (size_t i = 0; i < x.count; i++)
        if (!gone[i])
            all[kept++] = &x.files[i];
    truth_free(&t);
    truth_build(&t, all, kept);
    check_index(dir, &t, 0, 21);

    /* New calls, and the removed ones again: they go at the end. */
    snprintf(context, sizeof context, "random removals: re-added");
    size_t n = kept;
    for (size_t i = 0; i < z.count; i++)
        all[n++] = &z.files[i];
    size_t readd_from = n;
    for (size_t i = 0; i < x.count; i++)
        if (gone[i])
            all[n++] = &x.files[i];
    add_files(w, all + kept, n - kept, 1);
    add_files(w, all, kept, 0);
    CHECK_OK(index_writer_commit(w, &err), &err);
    index_writer_close(w);
    check_no_garbage(dir);
    truth_free(&t);
    truth_build(&t, all, n);
    check_index(dir, &t, 0, 22);
    CHECK(readd_from < n, "nothing was removed");

    snprintf(context, sizeof context, "random removals: optimized");
    w = open_writer(dir, &o);
    CHECK_OK(index_writer_optimize(w, &err), &err);
    index_writer_close(w);
    check_no_garbage(dir);
    CHECK(segment_count(dir) == 1, "optimize left %zu segments", segment_count(dir));
    check_index(dir, &t, 1, 23);

    truth_free(&t);
    free(gone);
    free(all);
    corpus_free(&x);
    corpus_free(&z);
}

typedef struct file_outcomes {
    size_t added, duplicate, failed, reports;
    size_t last_done;
    int ordered;
} file_outcomes;

static void record_file(const index_file_report *r, void *ctx)
{
    file_outcomes *o = ctx;
    o->reports++;
    if (r->done != o->last_done + 1)
        o->ordered = 0;
    o->last_done = r->done;
    if (r->outcome == INDEX_FILE_ADDED)
        o->added++;
    else if (r->outcome == INDEX_FILE_DUPLICATE)
        o->duplicate++;
    else
        o->failed++;
}

/* Files read from disk on several threads land in input order. */
static void test_add_files_threads(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "add_files on threads");
    corpus c;
    corpus_generate(&c, "disk", 0xF11Eu, 1200);
    const char *scratch = test_scratch_dir("threads-files");
    char files_dir[4096];
    snprintf(files_dir, sizeof files_dir, "%s", scratch);
    const char **paths = malloc((c.count + 2) * sizeof *paths);
    const source_file **list = malloc(c.count * sizeof *list);
    for (size_t i = 0; i < c.count; i++) {
        char path[1024];
        path_join(path, sizeof path, files_dir, c.files[i].name);
        snprintf(c.files[i].name, sizeof c.files[i].name, "%s", path);
        test_write_file(c.files[i].name, c.files[i].bytes, c.files[i].len);
        paths[i] = c.files[i].name;
        list[i] = &c.files[i];
    }
    /* An empty file fails alone; a copy under another name is a duplicate. */
    char empty[1024], copy[1024];
    path_join(empty, sizeof empty, files_dir, "empty.txt");
    path_join(copy, sizeof copy, files_dir, "copy.txt");
    test_write_file(empty, "", 0);
    test_write_file(copy, c.files[0].bytes, c.files[0].len);
    paths[c.count] = empty;
    paths[c.count + 1] = copy;
    truth t;
    truth_build(&t, list, c.count);
    check_markers(&t, 1200);

    const char *dir = test_scratch_dir("threads");
    index_writer_options o = build_options(256 << 10, 2);
    o.threads = 3;
    index_writer *w = open_writer(dir, &o);
    file_outcomes seen = {0, 0, 0, 0, 0, 1};
    lps_error err;
    CHECK_OK(index_writer_add_files(w, paths, c.count + 2, record_file, &seen, &err), &err);
    CHECK_OK(index_writer_commit(w, &err), &err);
    index_writer_close(w);
    CHECK(seen.reports == c.count + 2 && seen.ordered, "%zu reports, in order: %d", seen.reports, seen.ordered);
    CHECK(seen.added == c.count && seen.duplicate == 1 && seen.failed == 1,
          "added %zu, duplicates %zu, failed %zu", seen.added, seen.duplicate, seen.failed);
    check_index(dir, &t, 1, 30);
    truth_free(&t);
    free(paths);
    free(list);
    corpus_free(&c);
}

/* A segment with over 1 MiB of text compresses it with a trained
 * dictionary; smaller ones do not.  Merging small segments into a big one
 * brings the dictionary in. */
static void test_text_dictionary(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "text dictionary");
    corpus c;
    corpus_generate(&c, "dict", 0xD1C7u, 10000);
    const source_file **files = malloc(c.count * sizeof *files);
    file_list(&c, 0, c.count, files);
    truth t;
    truth_build(&t, files, c.count);
    size_t text_bytes = 0;
    for (uint32_t d = 0; d < t.doc_count; d++)
        text_bytes += t.docs[d].text_len;
    CHECK(text_bytes > (size_t)1 << 20, "only %zu bytes of text", text_bytes);

    const char *dir = test_scratch_dir("dict");
    index_writer_options o = build_options(1 << 20, 1);
    build_index(dir, &o, files, c.count);
    index_snapshot *snap = NULL;
    lps_error err;
    CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
    CHECK(snap->segment_count > 1, "one segment with a 1 MiB budget");
    for (size_t i = 0; i < snap->segment_count; i++)
        CHECK(snap->segments[i].seg->sections[SECTION_TEXT_DICT].data == NULL,
              "segment %zu of %llu documents has a text dictionary", i,
              (unsigned long long)snap->segments[i].seg->doc_count);
    check_snapshot(snap, &t, 1, 40);
    index_snapshot_close(snap);

    index_writer *w = open_writer(dir, &o);
    CHECK_OK(index_writer_optimize(w, &err), &err);
    index_writer_close(w);
    CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
    CHECK(snap->segment_count == 1, "optimize left %zu segments", snap->segment_count);
    const segment *seg = snap->segments[0].seg;
    CHECK(seg->sections[SECTION_TEXT_DICT].data != NULL && seg->text_ddict != NULL,
          "a segment of %zu bytes of text has no dictionary", text_bytes);
    check_snapshot(snap, &t, 1, 41);
    char path[4096];
    snprintf(path, sizeof path, "%s", seg->path);
    segment_section dict = seg->sections[SECTION_TEXT_DICT];
    index_snapshot_close(snap);

    /* The dictionary is checked like every section. */
    size_t len;
    unsigned char *good = (unsigned char *)test_read_file(path, &len);
    unsigned char *bad = xrealloc(NULL, len);
    memcpy(bad, good, len);
    bad[dict.offset + dict.length / 2] ^= 0x01;
    test_write_file(path, bad, len);
    expect_segment_error(dir, path, LPS_ECORRUPT, segment_section_name(SECTION_TEXT_DICT), "text-dict flipped");
    test_write_file(path, good, len);
    free(bad);
    free(good);
    truth_free(&t);
    free(files);
    corpus_free(&c);
}

/* An index of English stems holds exactly the stemmed analyzer's terms,
 * across segments and merges, and refuses to change its setting. */
static void test_stemmed_index(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "stemmed index");
    corpus c;
    corpus_generate(&c, "stem", 0x57E3u, 800);
    const source_file **files = malloc(c.count * sizeof *files);
    file_list(&c, 0, c.count, files);
    truth t;
    truth_build_flags(&t, files, c.count, ANALYZER_STEM_ENGLISH);
    CHECK(truth_df(&t, "custom") > 0 && truth_df(&t, "customers") == 0, "the truth is not stemmed");
    const char *dir = test_scratch_dir("stem");
    index_writer_options o = build_options(256 << 10, 3);
    o.stem = 1;
    build_index(dir, &o, files, c.count);
    check_index(dir, &t, 1, 60);

    lps_error err;
    index_writer *w = NULL;
    o.stem = 0;
    CHECK(index_writer_open(dir, &o, &w, &err) == LPS_EARG && w == NULL, "stemming switched off");
    CHECK(strcmp(err.path, dir) == 0, "error path \"%s\"", err.path);
    o.stem = -1; /* keep */
    w = open_writer(dir, &o);
    CHECK(index_writer_flags(w) == SEGMENT_FLAG_STEM_ENGLISH, "writer flags 0x%x", index_writer_flags(w));
    CHECK_OK(index_writer_optimize(w, &err), &err);
    index_writer_close(w);
    check_index(dir, &t, 1, 61);
    truth_free(&t);
    free(files);
    corpus_free(&c);
}

/* An index with nothing in it, and one whose directory does not exist yet. */
static void test_empty_index(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "empty index");
    const char *scratch = test_scratch_dir("empty");
    char dir[4096];
    path_join(dir, sizeof dir, scratch, "new-index");
    index_writer_options o = build_options(0, 1);
    o.create = 0;
    index_writer *w = NULL;
    lps_error err;
    CHECK(index_writer_open(dir, &o, &w, &err) == LPS_ENOENT && w == NULL, "opened a missing index");
    CHECK(strcmp(err.path, dir) == 0, "error path \"%s\"", err.path);
    o.create = 1;
    w = open_writer(dir, &o);
    CHECK_OK(index_writer_commit(w, &err), &err);
    CHECK_OK(index_writer_optimize(w, &err), &err);
    size_t removed = 9;
    CHECK_OK(index_writer_remove_call(w, "nothing.txt", &removed, &err), &err);
    CHECK(removed == 0, "removed %zu from an empty index", removed);
    index_writer_close(w);
    check_no_garbage(dir);
    truth t;
    truth_build(&t, NULL, 0);
    check_index(dir, &t, 1, 70);
    CHECK(segment_count(dir) == 0, "an empty index has segments");
    truth_free(&t);
}

/* Bytes of section id of the index's single segment. */
static unsigned char *section_bytes(const index_snapshot *snap, unsigned id, size_t *len)
{
    const segment_section *sec = &snap->segments[0].seg->sections[id];
    *len = (size_t)sec->length;
    unsigned char *copy = xrealloc(NULL, *len);
    if (*len)
        memcpy(copy, sec->data, *len);
    return copy;
}

static void test_add_remove_sessions(void **state)
{
    (void)state;
    const uint32_t seed = 0x5EED5u;
    corpus x, y;
    corpus_generate(&x, "x", seed, 500);
    corpus_generate(&y, "y", seed * 3, 400);
    size_t nx = x.count, ny = y.count, half = ny / 2;
    assert_true(ny >= 2);
    const source_file **all = malloc((nx + ny) * sizeof *all);
    file_list(&x, 0, nx, all);
    file_list(&y, 0, ny, all + nx);
    truth tx, txy, tx_half;
    truth_build(&tx, all, nx);
    truth_build(&txy, all, nx + ny);
    /* X plus the second half of Y: what is left after removing the first half. */
    const source_file **partial = malloc((nx + ny) * sizeof *partial);
    memcpy(partial, all, nx * sizeof *partial);
    memcpy(partial + nx, all + nx + half, (ny - half) * sizeof *partial);
    truth_build(&tx_half, partial, nx + ny - half);

    const char *dir = test_scratch_dir("sessions");
    lps_error err;

    /* Session 1: X, in several segments. */
    snprintf(context, sizeof context, "sessions: X");
    index_writer_options small = build_options(64 << 10, 1);
    build_index(dir, &small, all, nx);
    check_index(dir, &tx, 1, 1);

    /* Session 2: Y, then everything duplicated is refused. */
    snprintf(context, sizeof context, "sessions: X + Y");
    index_writer_options big = build_options(0, 1);
    big.create = 0;
    index_writer *w = open_writer(dir, &big);
    add_files(w, all + nx, ny, 1);
    add_files(w, all, nx, 0);          /* committed calls */
    add_files(w, all + nx, 1, 0);      /* a buffered call */
    CHECK_OK(index_writer_commit(w, &err), &err);
    add_files(w, all + nx + 1, ny - 1, 0);
    check_index(dir, &txy, 1, 2);
    /* One segment for everything, so removals leave deletion markers in it. */
    CHECK_OK(index_writer_optimize(w, &err), &err);
    CHECK(segment_count(dir) == 1, "optimize left %zu segments", segment_count(dir));
    check_index(dir, &txy, 1, 3);

    /* Remove the first half of Y. */
    snprintf(context, sizeof context, "sessions: X + second half of Y");
    for (size_t i = 0; i < half; i++) {
        size_t removed = 99;
        CHECK_OK(index_writer_remove_call(w, all[nx + i]->name, &removed, &err), &err);
        CHECK(removed == 1, "removing %s removed %zu calls", all[nx + i]->name, removed);
        CHECK_OK(index_writer_remove_call(w, all[nx + i]->name, &removed, &err), &err);
        CHECK(removed == 0, "removing %s twice removed %zu calls", all[nx + i]->name, removed);
    }
    CHECK_OK(index_writer_commit(w, &err), &err);
    index_writer_close(w);
    check_no_garbage(dir);
    check_index(dir, &tx_half, 0, 4);

    /* Session 3: the rest of Y; the deletion markers are read back from disk. */
    snprintf(context, sizeof context, "sessions: X again");
    w = open_writer(dir, &big);
    for (size_t i = 0; i < ny; i++) {
        size_t removed = 99;
        CHECK_OK(index_writer_remove_call(w, all[nx + i]->name, &removed, &err), &err);
        CHECK(removed == (i >= half), "removing %s removed %zu calls", all[nx + i]->name, removed);
    }
    size_t removed = 99;
    CHECK_OK(index_writer_remove_call(w, "no-such-call.txt", &removed, &err), &err);
    CHECK(removed == 0, "removing an unknown call removed %zu", removed);
    CHECK_OK(index_writer_commit(w, &err), &err);
    check_no_garbage(dir); /* the first generation of markers is superseded */
    check_index(dir, &tx, 0, 5);
    {
        index_snapshot *snap = NULL;
        CHECK_OK(index_snapshot_open(dir, &snap, &err), &err);
        CHECK(snap->segment_count == 1 && snap->segments[0].deleted_count == txy.doc_count - tx.doc_count,
              "expected one segment with the documents of Y deleted");
        CHECK(snap->doc_count == txy.doc_count, "the id space keeps deleted documents");
        index_snapshot_close(snap);
    }
    /* X is live again as far as deduplication goes; Y is gone. */
    add_files(w, all, 1, 0);

    /* Optimize purges the deleted documents: the index is X built afresh. */
    snprintf(context, sizeof context, "sessions: X optimized");
    CHECK_OK(index_writer_optimize(w, &err), &err);
    index_writer_close(w);
    check_no_garbage(dir);
    check_index(dir, &tx, 1, 6);

    const char *fresh = test_scratch_dir("sessions-fresh");
    index_writer_options fresh_options = build_options(0, 1);
    build_index(fresh, &fresh_options, all, nx);
    check_index(fresh, &tx, 1, 7);
    index_snapshot *a = NULL, *b = NULL;
    CHECK_OK(index_snapshot_open(dir, &a, &err), &err);
    CHECK_OK(index_snapshot_open(fresh, &b, &err), &err);
    CHECK(a->segment_count == 1 && b->segment_count == 1, "one segment each");
    CHECK(a->live_tokens == b->live_tokens && a->live_calls == b->live_calls && a->doc_count == b->doc_count,
          "totals differ");
    for (unsigned id = 1; id <= SECTION_ID_MAX; id++) {
        size_t la, lb;
        unsigned char *sa = section_bytes(a, id, &la), *sb = section_bytes(b, id, &lb);
        CHECK(la == lb && memcmp(sa, sb, la) == 0, "section %s differs from a fresh build (%zu vs %zu bytes)",
              segment_section_name(id), la, lb);
        free(sa);
        free(sb);
    }
    index_snapshot_close(a);
    index_snapshot_close(b);

    /* A removed call may come back; uncommitted work is dropped on close. */
    w = open_writer(dir, &big);
    add_files(w, all + nx, 1, 1);
    index_writer_close(w);
    check_index(dir, &tx, 1, 8);

    truth_free(&tx);
    truth_free(&txy);
    truth_free(&tx_half);
    free(all);
    free(partial);
    corpus_free(&x);
    corpus_free(&y);
}

/* ---- Corruption ----------------------------------------------------------- */

/* A small committed index; returns the name of its one segment. */
static void build_small_index(const char *dir, corpus *c, truth *t, char *seg_name, size_t name_size)
{
    corpus_generate(c, "small", 4242u, 300);
    const source_file **files = malloc(c->count * sizeof *files);
    file_list(c, 0, c->count, files);
    truth_build(t, files, c->count);
    index_writer_options o = build_options(0, 1);
    build_index(dir, &o, files, c->count);
    free(files);
    manifest m;
    lps_error err;
    CHECK_OK(manifest_read(dir, &m, &err), &err);
    CHECK(m.segment_count == 1, "one segment");
    snprintf(seg_name, name_size, "seg-%016llx.lps", (unsigned long long)m.segments[0].id);
    manifest_free(&m);
}

/* The damaged file must fail to open, as a segment and as an index. */
static void expect_segment_error(const char *dir, const char *seg_path, int code, const char *section,
                                 const char *what)
{
    segment *s = (segment *)1;
    lps_error err;
    lps_error_clear(&err);
    int rc = segment_open(seg_path, UINT64_MAX, &s, &err);
    CHECK(rc == code, "%s: segment_open returned %s, expected %s (%s)", what, lps_strerror(rc),
          lps_strerror(code), err.message);
    CHECK(s == NULL, "%s: out-param not cleared", what);
    CHECK(err.code == code, "%s: error code %d", what, err.code);
    CHECK(strcmp(err.path, seg_path) == 0, "%s: error path \"%s\"", what, err.path);
    if (section)
        CHECK(strcmp(err.section, section) == 0, "%s: error names section \"%s\", expected \"%s\"", what,
              err.section, section);
    else
        CHECK(err.section[0] != '\0', "%s: error names no section", what);
    CHECK(err.message[0] != '\0', "%s: no message", what);

    index_snapshot *snap = (index_snapshot *)1;
    lps_error_clear(&err);
    rc = index_snapshot_open(dir, &snap, &err);
    CHECK(rc == code, "%s: index_snapshot_open returned %s, expected %s", what, lps_strerror(rc),
          lps_strerror(code));
    CHECK(snap == NULL, "%s: snapshot out-param not cleared", what);
    CHECK(strcmp(err.path, seg_path) == 0, "%s: snapshot error path \"%s\"", what, err.path);
    if (section)
        CHECK(strcmp(err.section, section) == 0, "%s: snapshot error names section \"%s\", expected \"%s\"",
              what, err.section, section);
}

static void test_corrupt_segment(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "corrupt segment");
    const char *dir = test_scratch_dir("corrupt");
    corpus c;
    truth t;
    char name[64], path[4096];
    build_small_index(dir, &c, &t, name, sizeof name);
    path_join(path, sizeof path, dir, name);
    size_t len;
    unsigned char *good = (unsigned char *)test_read_file(path, &len);

    segment *seg = NULL;
    lps_error err;
    CHECK_OK(segment_open(path, UINT64_MAX, &seg, &err), &err);
    segment_section sections[SECTION_ID_MAX + 1];
    memcpy(sections, seg->sections, sizeof sections);
    segment_close(seg);

    /* One byte flipped in the middle of each section. */
    int flipped = 0;
    for (unsigned id = 1; id <= SECTION_ID_MAX; id++) {
        if (!sections[id].data || sections[id].length == 0)
            continue;
        unsigned char *bad = xrealloc(NULL, len);
        memcpy(bad, good, len);
        bad[sections[id].offset + sections[id].length / 2] ^= 0x40;
        test_write_file(path, bad, len);
        char what[64];
        snprintf(what, sizeof what, "section %s flipped", segment_section_name(id));
        expect_segment_error(dir, path, LPS_ECORRUPT, segment_section_name(id), what);
        free(bad);
        flipped++;
    }
    CHECK(flipped >= 10, "only %d sections to damage", flipped);

    /* Header, directory and footer. */
    const unsigned char *footer = good + len - SEGMENT_FOOTER_SIZE;
    uint64_t dir_off = load_le64(footer);
    static const struct {
        const char *what;
        int where; /* 0 header, 1 directory, 2 footer */
        size_t offset;
        const char *section;
    } spots[] = {
        {"magic", 0, 0, "header"},          {"document count", 0, 32, "header"},
        {"header checksum", 0, 60, "header"}, {"directory entry", 1, 12, "directory"},
        {"directory checksum", 1, 70, "directory"}, {"footer offset", 2, 1, "footer"},
        {"footer entry count", 2, 8, "footer"}, {"footer checksum", 2, 17, "directory"},
        {"footer magic", 2, 30, "footer"},
    };
    for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
        size_t at = spots[k].where == 0   ? spots[k].offset
                    : spots[k].where == 1 ? (size_t)dir_off + spots[k].offset
                                          : len - SEGMENT_FOOTER_SIZE + spots[k].offset;
        assert_true(at < len);
        unsigned char *bad = xrealloc(NULL, len);
        memcpy(bad, good, len);
        bad[at] ^= 0x10;
        test_write_file(path, bad, len);
        expect_segment_error(dir, path, LPS_ECORRUPT, spots[k].section, spots[k].what);
        free(bad);
    }

    /* Truncations. */
    const size_t cuts[] = {0, 10, SEGMENT_HEADER_SIZE, SEGMENT_HEADER_SIZE + SEGMENT_FOOTER_SIZE, len / 2,
                           len - SEGMENT_FOOTER_SIZE, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        test_write_file(path, good, cuts[k]);
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", cuts[k]);
        expect_segment_error(dir, path, LPS_ECORRUPT, NULL, what);
    }
    /* One byte too many: the footer is no longer at the end. */
    {
        unsigned char *longer = xrealloc(NULL, len + 1);
        memcpy(longer, good, len);
        longer[len] = 0;
        test_write_file(path, longer, len + 1);
        expect_segment_error(dir, path, LPS_ECORRUPT, NULL, "one byte appended");
        free(longer);
    }

    /* A format version from the future, with a valid header checksum. */
    {
        unsigned char *future = xrealloc(NULL, len);
        memcpy(future, good, len);
        store_le32(future + 8, SEGMENT_FORMAT_VERSION + 1);
        store_le64(future + 56, XXH64(future, 56, 0));
        test_write_file(path, future, len);
        expect_segment_error(dir, path, LPS_EVERSION, "header", "format version + 1");
        free(future);
    }

    /* The intact file opens again and still holds the truth. */
    test_write_file(path, good, len);
    check_index(dir, &t, 1, 9);
    free(good);
    truth_free(&t);
    corpus_free(&c);
}

/*
 * Reads everything a segment holds through every entry point, accepting any
 * error code but nothing else: this is what a reader meets when a writer
 * bug (not a disk error: the checksums match) leaves bad bytes behind.
 */
static void walk_hostile(const segment *s, uint32_t *seed)
{
    for (uint32_t d = 0; d < s->doc_count; d++) {
        uint32_t turn;
        (void)segment_doc_length(s, d);
        (void)segment_doc_turn(s, d, &turn);
    }
    for (uint32_t c = 0; c <= s->call_count; c++) {
        call_record cr;
        (void)segment_call(s, c, &cr);
    }
    for (uint32_t i = 0; i <= s->speaker_count; i++) {
        speaker_record sr;
        (void)segment_speaker(s, i, &sr);
    }
    for (uint32_t i = 0; i <= s->turn_count; i++) {
        turn_record tr;
        (void)segment_turn(s, i, &tr);
    }
    text_reader tr;
    text_reader_init(&tr, s);
    for (uint32_t k = 0; k < s->doc_count + 20 && s->doc_count > 0; k++) {
        const char *txt;
        size_t len;
        uint32_t line;
        uint32_t d = k < s->doc_count ? k : pick(seed, s->doc_count);
        if (text_reader_get(&tr, d, &txt, &len, &line) == LPS_OK)
            CHECK(txt[len] == '\0', "text %u not terminated", d);
    }
    text_reader_free(&tr);

    term_cursor c;
    int r = term_cursor_seek(&c, s, "", 0);
    for (uint64_t n = 0; r == 1; n++) {
        CHECK(n < s->term_count, "the dictionary walk runs past its %llu terms",
              (unsigned long long)s->term_count);
        term_info info = c.info, found;
        (void)segment_term_lookup(s, c.term, c.term_len, &found);
        posting_cursor pc;
        int pr = posting_cursor_open(&pc, s, &info);
        for (uint32_t k = 0; pr == 1; k++) {
            CHECK(k < info.df, "a posting list runs past its df %u", info.df);
            const uint32_t *pos;
            if (posting_cursor_positions(&pc, &pos) < 0)
                break;
            pr = posting_cursor_next(&pc);
        }
        for (uint32_t b = 0; b <= pc.block_count; b++) {
            uint32_t last, max_freq, min_length;
            (void)posting_cursor_block_bounds(&pc, b, &last, &max_freq, &min_length);
        }
        posting_cursor_close(&pc);
        pr = posting_cursor_open(&pc, s, &info);
        uint32_t target = 0;
        for (int k = 0; pr == 1 && k < 20; k++) {
            target += pick(seed, 200);
            pr = posting_cursor_advance(&pc, target);
            const uint32_t *pos;
            if (pr == 1 && posting_cursor_positions(&pc, &pos) < 0)
                break;
        }
        posting_cursor_close(&pc);
        r = term_cursor_next(&c);
    }
    for (int k = 0; k < 20; k++) {
        char key[8];
        for (int i = 0; i < 8; i++)
            key[i] = (char)('a' + pick(seed, 26));
        term_info info;
        (void)term_cursor_seek(&c, s, key, 1 + pick(seed, 8));
        (void)segment_term_lookup(s, key, 1 + pick(seed, 8), &info);
    }
    index_check_stats stats;
    memset(&stats, 0, sizeof stats);
    lps_error err;
    int rc = segment_check(s, &stats, &err);
    CHECK(rc == LPS_OK || rc == LPS_ECORRUPT, "segment_check returned %s", lps_strerror(rc));
}

/* Rewrites the section and directory checksums so the damage passes them. */
static void fix_checksums(unsigned char *file, size_t len)
{
    unsigned char *footer = file + len - SEGMENT_FOOTER_SIZE;
    uint64_t dir_off = load_le64(footer);
    uint32_t entries = load_le32(footer + 8);
    for (uint32_t i = 0; i < entries; i++) {
        unsigned char *e = file + dir_off + (size_t)i * SEGMENT_DIR_ENTRY_SIZE;
        store_le64(e + 24, XXH64(file + load_le64(e + 8), (size_t)load_le64(e + 16), 0));
    }
    store_le64(footer + 16, XXH64(file + dir_off, (size_t)entries * SEGMENT_DIR_ENTRY_SIZE, 0));
    store_le64(file + 56, XXH64(file, 56, 0));
}

static void test_hostile_bytes_behind_valid_checksums(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "hostile segment");
    const char *dir = test_scratch_dir("hostile");
    corpus c;
    truth t;
    char name[64], path[4096];
    build_small_index(dir, &c, &t, name, sizeof name);
    path_join(path, sizeof path, dir, name);
    size_t len;
    unsigned char *good = (unsigned char *)test_read_file(path, &len);
    segment *seg = NULL;
    lps_error err;
    CHECK_OK(segment_open(path, UINT64_MAX, &seg, &err), &err);
    segment_section sections[SECTION_ID_MAX + 1];
    memcpy(sections, seg->sections, sizeof sections);
    segment_close(seg);

    uint32_t seed = 0xBADB17u;
    unsigned char *bad = xrealloc(NULL, len);
    int opened = 0, refused = 0;
    for (unsigned id = 0; id <= SECTION_ID_MAX; id++) {
        /* id 0 stands for the header's counts (bytes 32..55). */
        uint64_t from = id == 0 ? 32 : sections[id].offset;
        uint64_t size = id == 0 ? 24 : sections[id].length;
        if (id > 0 && (!sections[id].data || size == 0))
            continue;
        for (int trial = 0; trial < 40; trial++) {
            memcpy(bad, good, len);
            int flips = 1 + (int)pick(&seed, 3);
            for (int f = 0; f < flips; f++) {
                size_t at = (size_t)(from + pick(&seed, (uint32_t)size));
                unsigned char x = (unsigned char)(1u << pick(&seed, 8));
                if (pick(&seed, 4) == 0)
                    x = (unsigned char)(1 + pick(&seed, 255));
                bad[at] ^= x;
            }
            fix_checksums(bad, len);
            test_write_file(path, bad, len);
            snprintf(context, sizeof context, "hostile segment: section %s, trial %d", segment_section_name(id),
                     trial);
            lps_error_clear(&err);
            int rc = segment_open(path, UINT64_MAX, &seg, &err);
            if (rc == LPS_OK) {
                opened++;
                walk_hostile(seg, &seed);
                segment_close(seg);
            } else {
                refused++;
                CHECK(rc == LPS_ECORRUPT || rc == LPS_EVERSION, "open returned %s", lps_strerror(rc));
                CHECK(strcmp(err.path, path) == 0 && err.section[0] != '\0', "error without path or section");
            }
        }
    }
    snprintf(context, sizeof context, "hostile segment");
    CHECK(opened > 0 && refused > 0, "opened %d, refused %d", opened, refused);
    test_write_file(path, good, len);
    check_index(dir, &t, 1, 50);
    free(bad);
    free(good);
    truth_free(&t);
    corpus_free(&c);
}

static void expect_manifest_error(const char *dir, int code, const char *section, const char *what)
{
    char path[4096];
    path_join(path, sizeof path, dir, MANIFEST_NAME);
    manifest m;
    lps_error err;
    lps_error_clear(&err);
    int rc = manifest_read(dir, &m, &err);
    CHECK(rc == code, "%s: manifest_read returned %s, expected %s (%s)", what, lps_strerror(rc),
          lps_strerror(code), err.message);
    CHECK(m.segments == NULL && m.segment_count == 0, "%s: manifest not cleared", what);
    CHECK(strcmp(err.path, path) == 0, "%s: error path \"%s\"", what, err.path);
    if (section)
        CHECK(strcmp(err.section, section) == 0, "%s: error names section \"%s\", expected \"%s\"", what,
              err.section, section);
    else
        CHECK(err.section[0] != '\0', "%s: error names no section", what);

    index_snapshot *snap = (index_snapshot *)1;
    lps_error_clear(&err);
    rc = index_snapshot_open(dir, &snap, &err);
    CHECK(rc == code, "%s: index_snapshot_open returned %s", what, lps_strerror(rc));
    CHECK(snap == NULL, "%s: snapshot out-param not cleared", what);
    CHECK(strcmp(err.path, path) == 0, "%s: snapshot error path \"%s\"", what, err.path);

    index_writer_options o = build_options(0, 1);
    index_writer *w = (index_writer *)1;
    lps_error_clear(&err);
    rc = index_writer_open(dir, &o, &w, &err);
    CHECK(rc == code, "%s: index_writer_open returned %s", what, lps_strerror(rc));
    CHECK(w == NULL, "%s: writer out-param not cleared", what);
    CHECK(strcmp(err.path, path) == 0, "%s: writer error path \"%s\"", what, err.path);
}

static void test_corrupt_manifest(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "corrupt manifest");
    const char *dir = test_scratch_dir("corrupt-manifest");
    corpus c;
    truth t;
    char name[64], path[4096];
    build_small_index(dir, &c, &t, name, sizeof name);
    path_join(path, sizeof path, dir, MANIFEST_NAME);
    size_t len;
    unsigned char *good = (unsigned char *)test_read_file(path, &len);
    CHECK(len == MANIFEST_HEADER_SIZE + MANIFEST_ENTRY_SIZE + 8, "manifest of %zu bytes", len);

    /* Every byte flipped in turn: the checksum catches each. */
    for (size_t at = 0; at < len; at++) {
        unsigned char *bad = xrealloc(NULL, len);
        memcpy(bad, good, len);
        bad[at] ^= 0x04;
        test_write_file(path, bad, len);
        char what[64];
        snprintf(what, sizeof what, "manifest byte %zu flipped", at);
        expect_manifest_error(dir, LPS_ECORRUPT, at < 8 ? "header" : "manifest", what);
        free(bad);
    }
    const size_t cuts[] = {0, 7, 8, MANIFEST_HEADER_SIZE, MANIFEST_HEADER_SIZE + 8, len / 2, len - 8, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        test_write_file(path, good, cuts[k]);
        char what[64];
        snprintf(what, sizeof what, "manifest truncated to %zu bytes", cuts[k]);
        expect_manifest_error(dir, LPS_ECORRUPT, NULL, what);
    }
    {
        unsigned char *future = xrealloc(NULL, len);
        memcpy(future, good, len);
        store_le32(future + 8, MANIFEST_FORMAT_VERSION + 1);
        store_le64(future + len - 8, XXH64(future, len - 8, 0));
        test_write_file(path, future, len);
        expect_manifest_error(dir, LPS_EVERSION, "header", "manifest version + 1");
        free(future);
    }
    {
        /* Valid checksum, but the segment's size disagrees with the file. */
        unsigned char *lie = xrealloc(NULL, len);
        memcpy(lie, good, len);
        store_le64(lie + MANIFEST_HEADER_SIZE + 16, load_le64(lie + MANIFEST_HEADER_SIZE + 16) + 1);
        store_le64(lie + len - 8, XXH64(lie, len - 8, 0));
        test_write_file(path, lie, len);
        index_snapshot *snap = NULL;
        lps_error err;
        int rc = index_snapshot_open(dir, &snap, &err);
        char seg_path[4096];
        path_join(seg_path, sizeof seg_path, dir, name);
        CHECK(rc == LPS_ECORRUPT && strcmp(err.path, seg_path) == 0 && strcmp(err.section, "manifest") == 0,
              "a wrong segment size gives %s at \"%s\" section \"%s\"", lps_strerror(rc), err.path, err.section);
        free(lie);
    }
    {
        /* A manifest naming a segment that is not there. */
        unsigned char *ghost = xrealloc(NULL, len);
        memcpy(ghost, good, len);
        store_le64(ghost + MANIFEST_HEADER_SIZE, 0); /* id 0: never written */
        store_le64(ghost + len - 8, XXH64(ghost, len - 8, 0));
        test_write_file(path, ghost, len);
        index_snapshot *snap = NULL;
        lps_error err;
        int rc = index_snapshot_open(dir, &snap, &err);
        CHECK(rc == LPS_ENOENT && strstr(err.path, "seg-0000000000000000.lps") != NULL,
              "a missing segment gives %s at \"%s\"", lps_strerror(rc), err.path);
        free(ghost);
    }
    /* No manifest at all: not an index. */
    unlink(path);
    {
        index_snapshot *snap = NULL;
        lps_error err;
        CHECK(index_snapshot_open(dir, &snap, &err) == LPS_ENOENT, "no manifest is not ENOENT");
        index_writer_options o = build_options(0, 1);
        o.create = 0;
        index_writer *w = NULL;
        CHECK(index_writer_open(dir, &o, &w, &err) == LPS_ENOENT && w == NULL, "opening a non-index");
    }
    test_write_file(path, good, len);
    check_index(dir, &t, 1, 10);
    free(good);
    truth_free(&t);
    corpus_free(&c);
}

/* ---- Lock and leftovers --------------------------------------------------- */

static void test_lock(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "lock");
    const char *dir = test_scratch_dir("lock");
    index_writer_options o = build_options(0, 1);
    notices seen;
    memset(&seen, 0, sizeof seen);
    o.notice = record_notice;
    o.notice_ctx = &seen;
    index_writer *first = open_writer(dir, &o);

    /* flock() locks belong to open file descriptions: a second open in the
     * same process is refused like another process's would be. */
    index_writer *second = (index_writer *)1;
    lps_error err;
    int rc = index_writer_open(dir, &o, &second, &err);
    CHECK(rc == LPS_ELOCKED, "second writer: %s", lps_strerror(rc));
    CHECK(second == NULL, "second writer out-param not cleared");
    CHECK(strcmp(err.path, dir) == 0, "lock error path \"%s\"", err.path);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    CHECK(strstr(err.message, pid) != NULL, "lock error does not name the holder: %s", err.message);
    index_writer_close(first);
    CHECK(seen.count == 0, "notice on a fresh index: %s", seen.text[0]);

    /* Released: the next writer gets in, and LOCK is empty again after it. */
    first = open_writer(dir, &o);
    index_writer_close(first);
    char lock_path[4096];
    path_join(lock_path, sizeof lock_path, dir, LOCK_NAME);
    struct stat st;
    CHECK(stat(lock_path, &st) == 0 && st.st_size == 0, "LOCK holds %lld bytes after a clean close",
          (long long)st.st_size);
    CHECK(seen.count == 0, "notice after a clean close: %s", seen.text[0]);

    /* A writer that died: its pid is left in LOCK but nobody holds the lock. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    char stale[32];
    int n = snprintf(stale, sizeof stale, "%ld\n", (long)child);
    test_write_file(lock_path, stale, (size_t)n);
    first = open_writer(dir, &o);
    snprintf(pid, sizeof pid, "%ld", (long)child);
    CHECK(seen.count == 1, "%d notices for a stale lock", seen.count);
    CHECK(strstr(seen.text[0], pid) != NULL && strstr(seen.text[0], dir) != NULL,
          "stale lock notice does not name the pid and index: %s", seen.text[0]);
    /* The lock now holds our pid. */
    size_t len;
    unsigned char *content = (unsigned char *)test_read_file(lock_path, &len);
    CHECK(len > 0 && strtol((const char *)content, NULL, 10) == (long)getpid(), "LOCK does not hold our pid");
    free(content);
    index_writer_close(first);
}

static void test_leftovers_removed(void **state)
{
    (void)state;
    snprintf(context, sizeof context, "leftovers");
    const char *dir = test_scratch_dir("leftovers");
    corpus c;
    corpus_generate(&c, "left", 99u, 200);
    const source_file **files = malloc(c.count * sizeof *files);
    file_list(&c, 0, c.count, files);
    truth t;
    truth_build(&t, files, c.count);
    index_writer_options o = build_options(64 << 10, 1);
    build_index(dir, &o, files, c.count);

    static const char *const garbage[] = {"seg-00000000000000ff.lps", "MANIFEST.tmp",
                                          "seg-0000000000000001.lps.tmp", "seg-0000000000000002.00000000000000aa.del"};
    static const char *const kept[] = {"notes.txt", "seg-readme"};
    char path[4096];
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        path_join(path, sizeof path, dir, garbage[i]);
        test_write_file(path, "junk", 4);
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        path_join(path, sizeof path, dir, kept[i]);
        test_write_file(path, "mine", 4);
    }
    /* Readers ignore the garbage. */
    check_index(dir, &t, 1, 11);
    index_writer *w = open_writer(dir, &o);
    index_writer_close(w);
    struct stat st;
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        path_join(path, sizeof path, dir, garbage[i]);
        CHECK(stat(path, &st) != 0 && errno == ENOENT, "%s survived the writer", garbage[i]);
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        path_join(path, sizeof path, dir, kept[i]);
        CHECK(stat(path, &st) == 0, "%s (not ours) was removed", kept[i]);
    }
    /* Every committed segment is still there, and nothing else of ours. */
    manifest m;
    lps_error err;
    CHECK_OK(manifest_read(dir, &m, &err), &err);
    CHECK(m.segment_count > 1, "expected several segments");
    for (size_t i = 0; i < m.segment_count; i++) {
        char seg_name[64];
        snprintf(seg_name, sizeof seg_name, "seg-%016llx.lps", (unsigned long long)m.segments[i].id);
        path_join(path, sizeof path, dir, seg_name);
        CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == m.segments[i].file_size, "%s is gone", path);
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t seg_files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "seg-", 4) == 0 && strlen(e->d_name) == 24)
            seg_files++;
    closedir(d);
    CHECK(seg_files == m.segment_count, "%zu segment files for %zu segments", seg_files, m.segment_count);
    manifest_free(&m);
    check_index(dir, &t, 1, 12);
    truth_free(&t);
    free(files);
    corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_covers_edges),
        cmocka_unit_test(test_single_segment_sizes),
        cmocka_unit_test(test_huge_sentence),
        cmocka_unit_test(test_many_segments_then_optimize),
        cmocka_unit_test(test_add_remove_sessions),
        cmocka_unit_test(test_random_removals),
        cmocka_unit_test(test_add_files_threads),
        cmocka_unit_test(test_text_dictionary),
        cmocka_unit_test(test_stemmed_index),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_corrupt_segment),
        cmocka_unit_test(test_hostile_bytes_behind_valid_checksums),
        cmocka_unit_test(test_corrupt_manifest),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_leftovers_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
