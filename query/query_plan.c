/*
 * From AST to plan: analysis of words, prefix expansion, field filters,
 * and the statistics of every scoring unit.
 *
 * Words go through the index's analyzer, so a query word always meets the
 * term the indexer made of the same word.  A bare word that analyzes into
 * several tokens (LivePerson's, $6.9, follow-up) becomes the phrase of those
 * tokens, as in FTS5; one that analyzes into none (a lone '&') drops out of
 * its group.  "a b"~N means NEAR(a b, N).
 */
#include "query_plan.h"

#include "alloc.h"
#include "buffer.h"
#include "error_internal.h"
#include "metadata_cache.h"
#include "query_exec.h"
#include "query_parser.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct planner {
    const index_snapshot *snap;
    const metadata_cache *meta;
    analyzer *a;
    query_plan *plan;
    lps_error *err;
    int status;
    size_t expansions; /* of every prefix so far */
} planner;

static int fail(planner *p, int code, size_t offset, const char *fmt, const char *arg)
{
    if (p->status == LPS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, fmt, arg ? arg : "");
        lps_error_set(p->err, code, NULL, -1, (long long)offset, "%s", msg);
        p->status = code;
    }
    return code;
}

static void node_free(plan_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->slot_count; i++) {
        for (size_t t = 0; t < n->slots[i].term_count; t++)
            lps_free(n->slots[i].terms[t].term);
        lps_free(n->slots[i].terms);
        lps_free(n->slots[i].prefix_text);
    }
    lps_free(n->slots);
    for (size_t i = 0; i < n->child_count; i++)
        node_free(n->children[i]);
    lps_free(n->children);
    for (size_t i = 0; i < n->filter.token_count; i++)
        lps_free(n->filter.tokens[i]);
    lps_free(n->filter.tokens);
    lps_free(n->filter.needle);
    plan_matches_free(n->matches, n->matches_segments);
    for (size_t s = 0; n->filter.ranges && s < n->filter.segment_count; s++)
        lps_free(n->filter.ranges[s]);
    lps_free(n->filter.ranges);
    lps_free(n->filter.range_counts);
    lps_free(n);
}

/* ---- Statistics ------------------------------------------------------------ */

/* Live documents holding term, over the whole snapshot. */
static int live_df(const index_snapshot *snap, const char *term, size_t len, uint64_t *df)
{
    *df = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        term_info ti;
        int r = segment_term_lookup(ss->seg, term, len, &ti);
        if (r < 0)
            return LPS_ECORRUPT;
        if (r == 0)
            continue;
        if (!ss->deleted) {
            *df += ti.df;
            continue;
        }
        posting_cursor pc;
        for (r = posting_cursor_open(&pc, ss->seg, &ti); r > 0; r = posting_cursor_next(&pc))
            if (!snapshot_is_deleted(ss, pc.doc))
                (*df)++;
        posting_cursor_close(&pc);
        if (r < 0)
            return LPS_ECORRUPT;
    }
    return LPS_OK;
}

static int add_expansion(plan_slot *slot, size_t *cap, const char *term, size_t len)
{
    if (slot->term_count == *cap) {
        size_t n = *cap ? *cap * 2 : 4;
        plan_expansion *grown = lps_realloc(slot->terms, n * sizeof *grown);
        if (!grown)
            return LPS_ENOMEM;
        slot->terms = grown;
        *cap = n;
    }
    plan_expansion *e = &slot->terms[slot->term_count];
    memset(e, 0, sizeof *e);
    e->term = lps_strndup(term, len);
    if (!e->term)
        return LPS_ENOMEM;
    e->len = len;
    slot->term_count++;
    return LPS_OK;
}

static int compare_expansions(const void *a, const void *b)
{
    const plan_expansion *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->term, y->term, n);
    return r ? r : (x->len < y->len ? -1 : x->len > y->len);
}

/* Every index term starting with prefix, over all segments, deduplicated. */
static int expand_prefix(planner *p, plan_slot *slot, const char *prefix, size_t len, size_t offset)
{
    size_t cap = 0;
    for (size_t i = 0; i < p->snap->segment_count; i++) {
        term_cursor c;
        int r = term_cursor_seek(&c, p->snap->segments[i].seg, prefix, len);
        for (; r > 0; r = term_cursor_next(&c)) {
            if (c.term_len < len || memcmp(c.term, prefix, len) != 0)
                break;
            if (slot->term_count >= QUERY_MAX_EXPANSION * 4 + 16)
                break; /* duplicates across segments; the exact limit is checked below */
            if (add_expansion(slot, &cap, c.term, c.term_len) != LPS_OK)
                return fail(p, LPS_ENOMEM, offset, "out of memory expanding a prefix%s", NULL);
        }
        if (r < 0)
            return fail(p, LPS_ECORRUPT, offset, "a term dictionary of the index does not decode%s", NULL);
    }
    if (slot->term_count > 1) /* terms is NULL when nothing matched: no qsort(NULL, 0) */
        qsort(slot->terms, slot->term_count, sizeof *slot->terms, compare_expansions);
    size_t kept = 0;
    for (size_t i = 0; i < slot->term_count; i++) {
        if (kept > 0 && compare_expansions(&slot->terms[kept - 1], &slot->terms[i]) == 0) {
            lps_free(slot->terms[i].term);
            continue;
        }
        slot->terms[kept++] = slot->terms[i];
    }
    slot->term_count = kept;
    if (kept > QUERY_MAX_EXPANSION) {
        char msg[160];
        snprintf(msg, sizeof msg, "%.*s*", (int)(len > 40 ? 40 : len), prefix);
        char full[300];
        snprintf(full, sizeof full,
                 "prefix '%%s' matches more than %d terms; make it longer", QUERY_MAX_EXPANSION);
        return fail(p, LPS_ELIMIT, offset, full, msg);
    }
    p->expansions += kept;
    if (p->expansions > QUERY_MAX_EXPANSION_TOTAL) {
        char full[200];
        snprintf(full, sizeof full, "the query's prefixes match more than %d terms in all; make them longer%%s",
                 QUERY_MAX_EXPANSION_TOTAL);
        return fail(p, LPS_ELIMIT, offset, full, NULL);
    }
    return LPS_OK;
}

/* Fills a slot: the term itself, or the prefix's expansions, with df and idf. */
static int fill_slot(planner *p, plan_slot *slot, const char *term, size_t len, int prefix, size_t offset)
{
    slot->prefix = prefix;
    if (prefix) {
        slot->prefix_text = lps_strndup(term, len);
        if (!slot->prefix_text)
            return fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
        if (expand_prefix(p, slot, term, len, offset) != LPS_OK)
            return p->status;
    } else {
        size_t cap = 0;
        if (add_expansion(slot, &cap, term, len) != LPS_OK)
            return fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
    }
    for (size_t i = 0; i < slot->term_count; i++) {
        plan_expansion *e = &slot->terms[i];
        if (live_df(p->snap, e->term, e->len, &e->df) != LPS_OK)
            return fail(p, LPS_ECORRUPT, offset, "a posting list of the index does not decode%s", NULL);
        e->idf = bm25_idf(&p->plan->bm25, (double)e->df);
    }
    return LPS_OK;
}

/* ---- Words and phrases --------------------------------------------------- */

static plan_node *new_node(planner *p, int kind, const query_node *q)
{
    plan_node *n = lps_calloc(1, sizeof *n);
    if (!n) {
        fail(p, LPS_ENOMEM, q ? q->offset : 0, "out of memory%s", NULL);
        return NULL;
    }
    n->kind = kind;
    if (q) {
        n->offset = q->offset;
        n->length = q->length;
    }
    return n;
}

/*
 * A TERM (one token) or PHRASE (several) from text; NULL with no error when
 * the text holds no token.  When prefix is set, the last token is a prefix
 * and is folded without stemming.
 */
static plan_node *plan_words(planner *p, const query_node *q, const char *text, size_t len, int prefix,
                             int scoring)
{
    analyzer_result r;
    if (analyzer_tokenize(p->a, text, len, &r) != LPS_OK) {
        fail(p, LPS_ENOMEM, q->offset, "out of memory analyzing the query%s", NULL);
        return NULL;
    }
    if (r.count == 0)
        return NULL;
    size_t count = r.count;
    if (count > 64) {
        fail(p, LPS_ELIMIT, q->offset, "a phrase may hold at most 64 words%s", NULL);
        return NULL;
    }
    /* Copy the terms out: folding the prefix reuses the analyzer. */
    char *terms[64];
    size_t lens[64];
    uint32_t starts[64], ends[64];
    for (size_t i = 0; i < count; i++) {
        terms[i] = lps_strndup(r.terms + r.tokens[i].term_off, r.tokens[i].term_len);
        lens[i] = r.tokens[i].term_len;
        starts[i] = r.tokens[i].start;
        ends[i] = r.tokens[i].end;
        if (!terms[i]) {
            for (size_t k = 0; k < i; k++)
                lps_free(terms[k]);
            fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
            return NULL;
        }
    }
    plan_node *n = new_node(p, count == 1 ? PLAN_TERM : PLAN_PHRASE, q);
    if (n) {
        n->scoring = scoring;
        n->slots = lps_calloc(count, sizeof *n->slots);
        if (!n->slots)
            fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
    }
    for (size_t i = 0; n && n->slots && i < count && p->status == LPS_OK; i++) {
        int is_prefix = prefix && i == count - 1;
        if (is_prefix) {
            const char *folded;
            size_t flen;
            if (analyzer_fold_term(p->a, text + starts[i], ends[i] - starts[i], 0, &folded, &flen) != LPS_OK) {
                fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
                break;
            }
            fill_slot(p, &n->slots[i], folded, flen, 1, q->offset);
        } else {
            fill_slot(p, &n->slots[i], terms[i], lens[i], 0, q->offset);
        }
        n->slot_count = i + 1;
    }
    for (size_t i = 0; i < count; i++)
        lps_free(terms[i]);
    if (p->status != LPS_OK) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* ---- Field filters ----------------------------------------------------------- */

/* Folded, unstemmed words of text; *count 0 for NULL text. */
static int fold_words(planner *p, const char *text, char ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!text)
        return LPS_OK;
    analyzer_result r;
    if (analyzer_tokenize(p->a, text, strlen(text), &r) != LPS_OK)
        return LPS_ENOMEM;
    if (r.count == 0)
        return LPS_OK;
    /* Unstemmed: metadata is matched word for word. */
    char **words = lps_calloc(r.count, sizeof *words);
    uint32_t *starts = lps_calloc(r.count, sizeof *starts), *ends = lps_calloc(r.count, sizeof *ends);
    if (!words || !starts || !ends) {
        lps_free(words);
        lps_free(starts);
        lps_free(ends);
        return LPS_ENOMEM;
    }
    size_t n = r.count;
    for (size_t i = 0; i < n; i++) {
        starts[i] = r.tokens[i].start;
        ends[i] = r.tokens[i].end;
    }
    int rc = LPS_OK;
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        const char *folded;
        size_t flen;
        rc = analyzer_fold_term(p->a, text + starts[i], ends[i] - starts[i], 0, &folded, &flen);
        if (rc == LPS_OK && !(words[i] = lps_strndup(folded, flen)))
            rc = LPS_ENOMEM;
        if (rc == LPS_OK)
            *count = i + 1;
    }
    lps_free(starts);
    lps_free(ends);
    *out = words;
    if (rc != LPS_OK) {
        for (size_t i = 0; i < *count; i++)
            lps_free(words[i]);
        lps_free(words);
        *out = NULL;
        *count = 0;
    }
    return rc;
}


/*
 * Whether the filter's words occur, in order and adjacent, in the folded
 * string id of segment s: a substring search for " w1 w2 " in " ... ",
 * memoized per distinct string (memo: 0 unknown, 1 no, 2 yes).
 */
static int words_match(const planner *p, const plan_filter *f, size_t s, uint32_t id, unsigned char *memo)
{
    if (id == UINT32_MAX)
        return 0;
    if (!memo[id])
        memo[id] = strstr(metadata_string(p->meta, s, id), f->needle) ? 2 : 1;
    return memo[id] == 2;
}

static int add_range(uint32_t **ranges, size_t *count, size_t *cap, uint32_t start, uint32_t end)
{
    if (start >= end)
        return LPS_OK;
    if (*count > 0 && (*ranges)[2 * *count - 1] == start) {
        (*ranges)[2 * *count - 1] = end;
        return LPS_OK;
    }
    if (*count == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        uint32_t *grown = lps_realloc(*ranges, n * 2 * sizeof *grown);
        if (!grown)
            return LPS_ENOMEM;
        *ranges = grown;
        *cap = n;
    }
    (*ranges)[2 * *count] = start;
    (*ranges)[2 * *count + 1] = end;
    (*count)++;
    return LPS_OK;
}

/*
 * The documents of segment s whose speaker matches a speaker:, role: or
 * firm: filter: the matching speakers' turns are marked in a bitmap (each
 * speaker's turns are listed in the metadata cache), which is then read in
 * turn order, so the ranges come out ascending and adjacent turns merge.
 */
static int speaker_ranges(planner *p, plan_filter *f, size_t s, size_t *cap, unsigned char *memo)
{
    const segment *seg = p->snap->segments[s].seg;
    const uint32_t *ids = metadata_speaker_ids(p->meta, s);
    const uint32_t *docs = metadata_turn_docs(p->meta, s);
    const uint32_t *turn_start;
    const uint32_t *by_speaker = metadata_speaker_turns(p->meta, s, &turn_start);
    int which = f->field == QUERY_FIELD_SPEAKER ? META_SPEAKER_NAME
                : f->field == QUERY_FIELD_ROLE  ? META_SPEAKER_ROLE
                                                : META_SPEAKER_FIRM;
    uint64_t *turns = lps_calloc(((size_t)seg->turn_count + 63) / 64 + 1, sizeof *turns);
    if (!turns)
        return LPS_ENOMEM;
    for (uint32_t sp = 0; sp < seg->speaker_count; sp++) {
        const uint32_t *sid = ids + (size_t)sp * META_SPEAKER_FIELDS;
        if (!words_match(p, f, s, sid[which], memo) &&
            !(f->field == QUERY_FIELD_SPEAKER && words_match(p, f, s, sid[META_SPEAKER_LABEL], memo)))
            continue;
        for (uint32_t i = turn_start[sp]; i < turn_start[sp + 1]; i++)
            turns[by_speaker[i] / 64] |= UINT64_C(1) << (by_speaker[i] % 64);
    }
    int rc = LPS_OK;
    for (size_t w = 0; w < ((size_t)seg->turn_count + 63) / 64 && rc == LPS_OK; w++) {
        for (uint64_t bits = turns[w]; bits && rc == LPS_OK; bits &= bits - 1) {
            size_t t = w * 64 + (size_t)__builtin_ctzll(bits);
            rc = add_range(&f->ranges[s], &f->range_counts[s], cap, docs[2 * t], docs[2 * t] + docs[2 * t + 1]);
        }
    }
    lps_free(turns);
    return rc;
}

/* Matches the filter against every segment's metadata once. */
static int resolve_filter(planner *p, plan_filter *f, size_t offset)
{
    size_t nseg = p->snap->segment_count;
    f->ranges = lps_calloc(nseg ? nseg : 1, sizeof *f->ranges);
    f->range_counts = lps_calloc(nseg ? nseg : 1, sizeof *f->range_counts);
    if (!f->ranges || !f->range_counts)
        return fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
    f->segment_count = nseg;
    for (size_t s = 0; s < nseg; s++) {
        const segment *seg = p->snap->segments[s].seg;
        size_t cap = 0;
        uint32_t nstrings = metadata_string_count(p->meta, s);
        unsigned char *memo = lps_calloc(nstrings ? nstrings : 1, 1);
        if (!memo)
            return fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
        int rc = LPS_OK;
        const metadata_call_info *calls = metadata_calls(p->meta, s);
        if (f->field == QUERY_FIELD_SPEAKER || f->field == QUERY_FIELD_ROLE || f->field == QUERY_FIELD_FIRM)
            if (speaker_ranges(p, f, s, &cap, memo) != LPS_OK)
                rc = fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
        for (uint32_t c = 0; c < seg->call_count && rc == LPS_OK; c++) {
            const metadata_call_info *ci = &calls[c];
            int match = 0;
            if (f->field == QUERY_FIELD_YEAR)
                match = ci->year >= f->year_lo && ci->year <= f->year_hi;
            else if (f->field == QUERY_FIELD_QUARTER)
                match = ci->quarter == f->quarter;
            else if (f->field == QUERY_FIELD_COMPANY)
                match = words_match(p, f, s, metadata_call(p->meta, s, c, META_CALL_COMPANY), memo) ||
                        words_match(p, f, s, metadata_call(p->meta, s, c, META_CALL_TICKER), memo);
            else
                break;
            if (match && add_range(&f->ranges[s], &f->range_counts[s], &cap, ci->first_doc,
                                   ci->first_doc + ci->doc_count) != LPS_OK)
                rc = fail(p, LPS_ENOMEM, offset, "out of memory%s", NULL);
        }
        lps_free(memo);
        if (rc != LPS_OK)
            return rc;
    }
    return LPS_OK;
}

static plan_node *plan_field(planner *p, const query_node *q)
{
    plan_node *n = new_node(p, PLAN_FILTER, q);
    if (!n)
        return NULL;
    plan_filter *f = &n->filter;
    f->field = q->field;
    const char *v = q->text;
    if (q->field == QUERY_FIELD_YEAR) {
        int lo = 0, hi = 0;
        if (sscanf(v, "%d..%d", &lo, &hi) == 2) {
            f->year_lo = lo;
            f->year_hi = hi;
        } else {
            f->year_lo = f->year_hi = atoi(v);
        }
    } else if (q->field == QUERY_FIELD_QUARTER) {
        f->quarter = (v[0] == 'q' || v[0] == 'Q') ? atoi(v + 1) : atoi(v);
    } else {
        if (fold_words(p, v, &f->tokens, &f->token_count) != LPS_OK) {
            fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
            node_free(n);
            return NULL;
        }
        if (f->token_count == 0) {
            fail(p, LPS_ESYNTAX, q->offset, "the field value has no words to match%s", NULL);
            node_free(n);
            return NULL;
        }
        buffer needle = BUFFER_INIT;
        buffer_append_byte(&needle, ' ');
        for (size_t i = 0; i < f->token_count; i++) {
            buffer_append_str(&needle, f->tokens[i]);
            buffer_append_byte(&needle, ' ');
        }
        buffer_append_byte(&needle, '\0');
        size_t nlen;
        f->needle = needle.failed ? NULL : (char *)buffer_detach(&needle, &nlen);
        buffer_free(&needle);
        if (!f->needle) {
            fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
            node_free(n);
            return NULL;
        }
    }
    if (resolve_filter(p, f, q->offset) != LPS_OK) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* ---- The tree ------------------------------------------------------------------ */

static plan_node *plan_ast(planner *p, const query_node *q, int scoring);

/* AND / OR: children that analyze to nothing drop out. */
static plan_node *plan_group(planner *p, const query_node *q, int kind, int scoring)
{
    plan_node *n = new_node(p, kind, q);
    if (!n)
        return NULL;
    n->children = lps_calloc(q->child_count, sizeof *n->children);
    if (!n->children) {
        fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
        node_free(n);
        return NULL;
    }
    for (size_t i = 0; i < q->child_count; i++) {
        plan_node *c = plan_ast(p, q->children[i], scoring);
        if (p->status != LPS_OK) {
            node_free(n);
            return NULL;
        }
        if (c)
            n->children[n->child_count++] = c;
    }
    if (n->child_count == 0) {
        node_free(n);
        return NULL;
    }
    if (n->child_count == 1) {
        plan_node *only = n->children[0];
        n->child_count = 0;
        node_free(n);
        return only;
    }
    n->scoring = scoring;
    return n;
}

static plan_node *plan_near(planner *p, const query_node *q, const query_node *const *members, size_t count,
                            int distance, int scoring)
{
    plan_node *n = new_node(p, PLAN_NEAR, q);
    if (!n)
        return NULL;
    n->distance = distance;
    n->scoring = scoring;
    n->children = lps_calloc(count ? count : 1, sizeof *n->children);
    if (!n->children) {
        fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
        node_free(n);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        const query_node *m = members[i];
        plan_node *c = plan_words(p, m, m->text, m->text_len, m->prefix, scoring);
        if (p->status != LPS_OK) {
            node_free(n);
            return NULL;
        }
        if (c)
            n->children[n->child_count++] = c;
    }
    if (n->child_count == 0) {
        node_free(n);
        return NULL;
    }
    if (n->child_count == 1) {
        /* NEAR of one phrase is the phrase. */
        plan_node *only = n->children[0];
        n->child_count = 0;
        node_free(n);
        return only;
    }
    return n;
}

static plan_node *plan_ast(planner *p, const query_node *q, int scoring)
{
    switch (q->kind) {
    case QUERY_WORD:
        return plan_words(p, q, q->text, q->text_len, q->prefix, scoring);
    case QUERY_PHRASE:
        if (q->slop < 0)
            return plan_words(p, q, q->text, q->text_len, q->prefix, scoring);
        {
            /* "a b c"~N: each word a member of NEAR(a b c, N). */
            analyzer_result r;
            if (analyzer_tokenize(p->a, q->text, q->text_len, &r) != LPS_OK) {
                fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
                return NULL;
            }
            size_t count = r.count;
            if (count > 64) {
                fail(p, LPS_ELIMIT, q->offset, "a phrase may hold at most 64 words%s", NULL);
                return NULL;
            }
            query_node words[64];
            const query_node *ptrs[64];
            uint32_t starts[64], ends[64];
            for (size_t i = 0; i < count; i++) {
                starts[i] = r.tokens[i].start;
                ends[i] = r.tokens[i].end;
            }
            for (size_t i = 0; i < count; i++) {
                memset(&words[i], 0, sizeof words[i]);
                words[i].kind = QUERY_WORD;
                words[i].offset = q->offset;
                words[i].length = q->length;
                words[i].text = q->text + starts[i];
                words[i].text_len = ends[i] - starts[i];
                words[i].prefix = q->prefix && i == count - 1;
                ptrs[i] = &words[i];
            }
            return plan_near(p, q, ptrs, count, q->slop, scoring);
        }
    case QUERY_NEAR:
        return plan_near(p, q, (const query_node *const *)q->children, q->child_count, q->distance, scoring);
    case QUERY_AND:
        return plan_group(p, q, PLAN_AND, scoring);
    case QUERY_OR:
        return plan_group(p, q, PLAN_OR, scoring);
    case QUERY_NOT: {
        plan_node *left = plan_ast(p, q->children[0], scoring);
        if (p->status != LPS_OK)
            return NULL;
        plan_node *right = plan_ast(p, q->children[1], 0);
        if (p->status != LPS_OK) {
            node_free(left);
            return NULL;
        }
        if (!right)
            return left;
        if (!left) {
            node_free(right);
            return NULL;
        }
        plan_node *n = new_node(p, PLAN_NOT, q);
        if (!n || !(n->children = lps_calloc(2, sizeof *n->children))) {
            fail(p, LPS_ENOMEM, q->offset, "out of memory%s", NULL);
            node_free(left);
            node_free(right);
            node_free(n);
            return NULL;
        }
        n->children[0] = left;
        n->children[1] = right;
        n->child_count = 2;
        n->scoring = scoring;
        return n;
    }
    case QUERY_FIELD:
        return plan_field(p, q);
    default:
        fail(p, LPS_EARG, q->offset, "unknown query node%s", NULL);
        return NULL;
    }
}

/* Phrase units need their document frequency: counted over the index. */
static int phrase_stats(planner *p, plan_node *n, int in_near)
{
    for (size_t i = 0; i < n->child_count; i++)
        if (phrase_stats(p, n->children[i], n->kind == PLAN_NEAR) != LPS_OK)
            return p->status;
    if (n->kind != PLAN_PHRASE)
        return LPS_OK;
    /* Inside NEAR the positions are needed anyway; elsewhere keep the matches. */
    int rc = in_near ? plan_count_matches(p->plan, n, &n->df) : plan_collect_phrase(p->plan, n, &n->df);
    if (rc != LPS_OK)
        return fail(p, rc, n->offset, "cannot count the phrase's documents: %s", lps_strerror(rc));
    n->idf = bm25_idf(&p->plan->bm25, (double)n->df);
    return LPS_OK;
}

int query_plan_build(const index_snapshot *snap, const metadata_cache *meta, analyzer *a, const char *text,
                     size_t len, double k1, double b, query_plan **out, lps_error *err)
{
    *out = NULL;
    query_node *ast;
    int rc = query_parse(text, len, &ast, err);
    if (rc != LPS_OK)
        return rc;
    query_plan *plan = lps_calloc(1, sizeof *plan);
    if (!plan || !(plan->text = lps_strndup(text, len))) {
        lps_free(plan);
        query_node_free(ast);
        return lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory planning the query");
    }
    plan->snap = snap;
    plan->bm25.k1 = k1;
    plan->bm25.b = b;
    plan->bm25.doc_count = (double)snap->live_docs;
    plan->bm25.avg_length = snap->live_docs ? (double)snap->live_tokens / (double)snap->live_docs : 0.0;
    planner p = {snap, meta, a, plan, err, LPS_OK, 0};
    plan->root = plan_ast(&p, ast, 1);
    if (p.status == LPS_OK && !plan->root)
        fail(&p, LPS_ESYNTAX, 0, "the query has no words to search for%s", NULL);
    if (p.status == LPS_OK)
        phrase_stats(&p, plan->root, 0);
    query_node_free(ast);
    if (p.status != LPS_OK) {
        query_plan_free(plan);
        return p.status;
    }
    *out = plan;
    return LPS_OK;
}

void query_plan_free(query_plan *plan)
{
    if (!plan)
        return;
    node_free(plan->root);
    lps_free(plan->text);
    lps_free(plan);
}
