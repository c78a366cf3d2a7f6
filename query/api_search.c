/*
 * The public search interface (include/lpsearch.h): an lps_index wraps a
 * snapshot; lps_search plans the query, runs the top-k, and assembles hits
 * with their metadata, text, highlights, context and explanations.
 *
 * Thread safety: the snapshot is read-only; everything mutable (analyzer,
 * cursors, text readers) belongs to one lps_search call.
 */
#include "lpsearch.h"

#include "alloc.h"
#include "analyzer.h"
#include "buffer.h"
#include "error_internal.h"
#include "highlighter.h"
#include "index_snapshot.h"
#include "metadata_cache.h"
#include "query_exec.h"
#include "query_plan.h"
#include "searcher.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct lps_index {
    index_snapshot *snap;
    /* Folded metadata for field filters, built by the first query that
     * needs it; the mutex makes that safe when threads search at once. */
    pthread_mutex_t meta_lock;
    metadata_cache *meta;
};

int lps_index_open(const char *dir, lps_index **out, lps_error *err)
{
    lps_error_clear(err);
    if (!out)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "out is NULL");
    *out = NULL;
    if (!dir)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "dir is NULL");
    lps_index *ix = lps_calloc(1, sizeof *ix);
    if (!ix)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory opening the index");
    int rc = index_snapshot_open(dir, &ix->snap, err);
    if (rc != LPS_OK) {
        lps_free(ix);
        return rc;
    }
    pthread_mutex_init(&ix->meta_lock, NULL);
    *out = ix;
    return LPS_OK;
}

void lps_index_close(lps_index *index)
{
    if (!index)
        return;
    metadata_cache_free(index->meta);
    pthread_mutex_destroy(&index->meta_lock);
    index_snapshot_close(index->snap);
    lps_free(index);
}

void lps_index_get_info(const lps_index *index, lps_index_info *info)
{
    memset(info, 0, sizeof *info);
    info->calls = index->snap->live_calls;
    info->sentences = index->snap->live_docs;
    info->tokens = index->snap->live_tokens;
    info->segments = index->snap->segment_count;
    info->stemmed = (index->snap->flags & SEGMENT_FLAG_STEM_ENGLISH) != 0;
}

void lps_search_options_init(lps_search_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->limit = 10;
    opts->k1 = 1.2;
    opts->b = 0.75;
}

/* ---- Results ---------------------------------------------------------------- */

typedef struct hit_storage {
    char *text;
    lps_span *spans;
    lps_context_sentence *context;
    char **context_texts;
    lps_explain explain;
    lps_explain_row *rows;
    char **row_units;
} hit_storage;

struct lps_results {
    lps_hit *hits;
    hit_storage *store;
    size_t count;
    uint64_t total;
};

size_t lps_results_count(const lps_results *r)
{
    return r ? r->count : 0;
}

const lps_hit *lps_results_hit(const lps_results *r, size_t i)
{
    return r && i < r->count ? &r->hits[i] : NULL;
}

uint64_t lps_results_total(const lps_results *r)
{
    return r ? r->total : UINT64_MAX;
}

void lps_results_free(lps_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        hit_storage *s = &r->store[i];
        lps_free(s->text);
        lps_free(s->spans);
        for (size_t k = 0; s->context_texts && k < r->hits[i].context_count; k++)
            lps_free(s->context_texts[k]);
        lps_free(s->context_texts);
        lps_free(s->context);
        for (size_t k = 0; s->row_units && k < s->explain.row_count; k++)
            lps_free(s->row_units[k]);
        lps_free(s->row_units);
        lps_free(s->rows);
    }
    lps_free(r->store);
    lps_free(r->hits);
    lps_free(r);
}

/* ---- Assembling hits ---------------------------------------------------------- */

typedef struct assembler {
    const query_plan *plan;
    analyzer *a;
    const lps_search_options *opts;
    text_reader *readers; /* one per segment, created on demand */
    lps_error *err;
} assembler;

static int corrupt(const snapshot_segment *ss, unsigned section, lps_error *err, const char *what)
{
    return segment_corrupt(ss->seg, section, err, "%s", what);
}

/* A stored text that cannot be read: out of memory, or damage. */
static int text_failed(const snapshot_segment *ss, int rc, lps_error *err, const char *what)
{
    if (rc == LPS_ENOMEM)
        return lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory reading stored text");
    return corrupt(ss, SECTION_TEXT, err, what);
}

static text_reader *reader_for(assembler *as, const snapshot_segment *ss)
{
    size_t i = (size_t)(ss - as->plan->snap->segments);
    text_reader *r = &as->readers[i];
    if (!r->seg)
        text_reader_init(r, ss->seg);
    return r;
}

static int fill_explain(assembler *as, const snapshot_segment *ss, uint32_t local, hit_storage *st,
                        lps_hit *hit)
{
    explain_rows rows = {0};
    double score = 0;
    int r = plan_explain_doc(as->plan, ss, as->plan->root, local, &rows, &score);
    if (r < 0) {
        explain_rows_free(&rows);
        return lps_error_set(as->err, -r, ss->seg->path, -1, -1, "cannot explain a hit: %s", lps_strerror(-r));
    }
    st->rows = lps_calloc(rows.count ? rows.count : 1, sizeof *st->rows);
    st->row_units = lps_calloc(rows.count ? rows.count : 1, sizeof *st->row_units);
    if (!st->rows || !st->row_units) {
        explain_rows_free(&rows);
        return lps_error_set(as->err, LPS_ENOMEM, NULL, -1, -1, "out of memory explaining a hit");
    }
    for (size_t i = 0; i < rows.count; i++) {
        const explain_row *er = &rows.rows[i];
        const char *unit = er->term;
        size_t len = unit ? strlen(unit) : 0;
        if (!unit) {
            unit = as->plan->text + er->node->offset;
            len = er->node->length;
        }
        st->row_units[i] = lps_strndup(unit, len);
        st->explain.row_count = i + 1;
        if (!st->row_units[i]) {
            explain_rows_free(&rows);
            return lps_error_set(as->err, LPS_ENOMEM, NULL, -1, -1, "out of memory explaining a hit");
        }
        lps_explain_row *row = &st->rows[i];
        row->unit = st->row_units[i];
        row->tf = er->tf;
        row->df = er->df;
        row->idf = er->idf;
        row->length = er->length;
        row->tf_part = er->tf_part;
        row->score = er->score;
    }
    explain_rows_free(&rows);
    st->explain.n = as->plan->bm25.doc_count;
    st->explain.avg_length = as->plan->bm25.avg_length;
    st->explain.k1 = as->plan->bm25.k1;
    st->explain.b = as->plan->bm25.b;
    st->explain.rows = st->rows;
    hit->explain = &st->explain;
    return LPS_OK;
}

static int fill_context(assembler *as, const snapshot_segment *ss, uint32_t local, const call_record *cr,
                        hit_storage *st, lps_hit *hit)
{
    unsigned n = as->opts->context;
    uint32_t first = local - cr->first_doc < n ? cr->first_doc : local - n;
    uint32_t end = cr->first_doc + cr->doc_count;
    uint32_t last = end - local - 1 < n ? end - 1 : local + n;
    size_t count = (size_t)(last - first);
    if (count == 0)
        return LPS_OK;
    st->context = lps_calloc(count, sizeof *st->context);
    st->context_texts = lps_calloc(count, sizeof *st->context_texts);
    if (!st->context || !st->context_texts)
        return lps_error_set(as->err, LPS_ENOMEM, NULL, -1, -1, "out of memory reading context");
    text_reader *tr = reader_for(as, ss);
    size_t k = 0;
    for (uint32_t d = first; d <= last; d++) {
        if (d == local)
            continue;
        const char *text;
        size_t len;
        uint32_t line;
        int rc = text_reader_get(tr, d, &text, &len, &line);
        if (rc != LPS_OK)
            return text_failed(ss, rc, as->err, "stored text does not decode");
        lps_context_sentence *cs = &st->context[k];
        st->context_texts[k] = lps_strndup(text, len);
        hit->context_count = ++k;
        if (!st->context_texts[k - 1])
            return lps_error_set(as->err, LPS_ENOMEM, NULL, -1, -1, "out of memory reading context");
        cs->id = (uint64_t)ss->base + d;
        cs->offset = (int)((int64_t)d - (int64_t)local);
        cs->text = st->context_texts[k - 1];
        cs->text_len = len;
        uint32_t turn;
        turn_record tr2;
        speaker_record sr;
        if (segment_doc_turn(ss->seg, d, &turn) == LPS_OK && segment_turn(ss->seg, turn, &tr2) == LPS_OK &&
            segment_speaker(ss->seg, tr2.speaker, &sr) == LPS_OK)
            cs->speaker_name = sr.name ? sr.name : sr.label;
    }
    hit->context = st->context;
    return LPS_OK;
}

static int assemble(assembler *as, const scored_doc *sd, size_t rank, lps_hit *hit, hit_storage *st)
{
    uint32_t local;
    const snapshot_segment *ss = snapshot_locate(as->plan->snap, sd->id, &local);
    if (!ss)
        return lps_error_set(as->err, LPS_EARG, NULL, -1, -1, "hit outside the index");
    uint32_t turn;
    turn_record tr;
    speaker_record sr;
    call_record cr;
    if (segment_doc_turn(ss->seg, local, &turn) != LPS_OK || segment_turn(ss->seg, turn, &tr) != LPS_OK ||
        segment_speaker(ss->seg, tr.speaker, &sr) != LPS_OK || segment_call(ss->seg, tr.call, &cr) != LPS_OK)
        return corrupt(ss, SECTION_TURNS, as->err, "the metadata of a hit does not decode");
    hit->rank = rank;
    hit->score = sd->score;
    hit->id = sd->id;
    hit->call_file = cr.file;
    hit->call_title = cr.title;
    hit->company = cr.company;
    hit->ticker = cr.ticker;
    hit->date = cr.date;
    hit->year = cr.year;
    hit->quarter = cr.quarter;
    hit->speaker_label = sr.label;
    hit->speaker_name = sr.name;
    hit->speaker_role = sr.role;
    hit->speaker_firm = sr.firm;
    hit->speaker_resolved = sr.name_source == 2;
    hit->turn = turn - cr.first_turn;
    hit->sentence = local - tr.first_doc;

    const char *text;
    size_t len;
    int rc = text_reader_get(reader_for(as, ss), local, &text, &len, &hit->line);
    if (rc != LPS_OK)
        return text_failed(ss, rc, as->err, "the stored text of a hit does not decode");
    st->text = lps_strndup(text, len);
    if (!st->text)
        return lps_error_set(as->err, LPS_ENOMEM, NULL, -1, -1, "out of memory reading a hit");
    hit->text = st->text;
    hit->text_len = len;
    rc = highlight_text(as->plan, as->a, st->text, len, &st->spans, &hit->highlight_count);
    if (rc != LPS_OK)
        return lps_error_set(as->err, rc, NULL, -1, -1, "cannot highlight a hit: %s", lps_strerror(rc));
    hit->highlights = st->spans;
    if (as->opts->context > 0 && (rc = fill_context(as, ss, local, &cr, st, hit)) != LPS_OK)
        return rc;
    if (as->opts->explain && (rc = fill_explain(as, ss, local, st, hit)) != LPS_OK)
        return rc;
    return LPS_OK;
}

/* ---- Searching -------------------------------------------------------------------- */

static int plan_query(lps_index *index, const char *query, const lps_search_options *opts, analyzer **a,
                      query_plan **plan, lps_error *err)
{
    *a = NULL;
    *plan = NULL;
    if (!index || !query)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "index or query is NULL");
    unsigned flags = index->snap->flags & SEGMENT_FLAG_STEM_ENGLISH ? ANALYZER_STEM_ENGLISH : 0;
    if (analyzer_create(a, flags) != LPS_OK)
        return lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory creating the analyzer");
    pthread_mutex_lock(&index->meta_lock);
    int rc = index->meta ? LPS_OK : metadata_cache_build(index->snap, *a, &index->meta);
    pthread_mutex_unlock(&index->meta_lock);
    if (rc != LPS_OK) {
        analyzer_free(*a);
        *a = NULL;
        return lps_error_set(err, rc, index->snap->dir, -1, -1, "cannot read the index's speakers and calls: %s",
                             lps_strerror(rc));
    }
    rc = query_plan_build(index->snap, index->meta, *a, query, strlen(query), opts->k1, opts->b, plan, err);
    if (rc != LPS_OK) {
        analyzer_free(*a);
        *a = NULL;
    }
    return rc;
}

int lps_search(lps_index *index, const char *query, const lps_search_options *opts, lps_results **out,
               lps_error *err)
{
    lps_error_clear(err);
    if (!out)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "out is NULL");
    *out = NULL;
    lps_search_options defaults;
    if (!opts) {
        lps_search_options_init(&defaults);
        opts = &defaults;
    }
    if (!(opts->k1 >= 0) || !(opts->b >= 0 && opts->b <= 1))
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "BM25 needs k1 >= 0 and 0 <= b <= 1");
    if (opts->limit > ((size_t)1 << 24) || opts->offset > ((size_t)1 << 24))
        return lps_error_set(err, LPS_ELIMIT, NULL, -1, -1, "limit and offset may be at most %zu",
                             (size_t)1 << 24);
    if (opts->context > 1000)
        return lps_error_set(err, LPS_ELIMIT, NULL, -1, -1, "context may be at most 1000 sentences");
    analyzer *a;
    query_plan *plan;
    int rc = plan_query(index, query, opts, &a, &plan, err);
    if (rc != LPS_OK)
        return rc;
    size_t k = opts->offset + opts->limit;
    scored_doc *top = lps_calloc(k ? k : 1, sizeof *top);
    lps_results *res = lps_calloc(1, sizeof *res);
    size_t n = 0;
    if (!top || !res)
        rc = lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory searching");
    if (rc == LPS_OK) {
        rc = search_top_k(plan, k, top, &n, NULL);
        if (rc != LPS_OK)
            lps_error_set(err, rc, index->snap->dir, -1, -1, "search failed: %s", lps_strerror(rc));
    }
    if (rc == LPS_OK) {
        res->total = UINT64_MAX;
        if (opts->count) {
            rc = plan_count_matches(plan, plan->root, &res->total);
            if (rc != LPS_OK)
                lps_error_set(err, rc, index->snap->dir, -1, -1, "counting failed: %s", lps_strerror(rc));
        }
    }
    size_t first = opts->offset < n ? opts->offset : n;
    size_t count = n - first;
    if (rc == LPS_OK && count > 0) {
        res->hits = lps_calloc(count, sizeof *res->hits);
        res->store = lps_calloc(count, sizeof *res->store);
        if (!res->hits || !res->store)
            rc = lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory collecting hits");
    }
    if (rc == LPS_OK && count > 0 && opts->ids_only) {
        for (size_t i = 0; i < count; i++) {
            res->hits[i].rank = first + i + 1;
            res->hits[i].score = top[first + i].score;
            res->hits[i].id = top[first + i].id;
        }
        res->count = count;
    } else if (rc == LPS_OK && count > 0) {
        assembler as = {plan, a, opts, lps_calloc(index->snap->segment_count, sizeof(text_reader)), err};
        if (!as.readers)
            rc = lps_error_set(err, LPS_ENOMEM, NULL, -1, -1, "out of memory collecting hits");
        for (size_t i = 0; i < count && rc == LPS_OK; i++) {
            res->count = i + 1;
            rc = assemble(&as, &top[first + i], first + i + 1, &res->hits[i], &res->store[i]);
        }
        for (size_t s = 0; as.readers && s < index->snap->segment_count; s++)
            if (as.readers[s].seg)
                text_reader_free(&as.readers[s]);
        lps_free(as.readers);
    }
    lps_free(top);
    query_plan_free(plan);
    analyzer_free(a);
    if (rc != LPS_OK) {
        lps_results_free(res);
        return rc;
    }
    *out = res;
    return LPS_OK;
}

int lps_count(lps_index *index, const char *query, uint64_t *count, lps_error *err)
{
    lps_error_clear(err);
    if (!count)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "count is NULL");
    *count = 0;
    lps_search_options opts;
    lps_search_options_init(&opts);
    analyzer *a;
    query_plan *plan;
    int rc = plan_query(index, query, &opts, &a, &plan, err);
    if (rc != LPS_OK)
        return rc;
    rc = plan_count_matches(plan, plan->root, count);
    if (rc != LPS_OK) {
        *count = 0; /* not a partial count */
        lps_error_set(err, rc, index->snap->dir, -1, -1, "counting failed: %s", lps_strerror(rc));
    }
    query_plan_free(plan);
    analyzer_free(a);
    return rc;
}
