/*
 * Fuzz target: the query language, from bytes to hits.
 *
 * Every input is a query.  query_parse must either build a tree that keeps
 * the shape query_ast.h promises (spans inside the text and inside their
 * parent, AND/OR with two or more children never of their own kind, NOT
 * with two, NEAR over words and phrases, depth and size within the limits)
 * or fail with LPS_ESYNTAX/LPS_ELIMIT and an offset inside the query.
 * query_format must agree with itself when its buffer is cut short.
 *
 * Then the same query runs against a small real index (the bundled
 * transcripts, built once at start-up into a scratch directory; a stemmed
 * one too), with options derived from the input's hash, so planning,
 * execution, top-k and hit assembly all see arbitrary queries.  Results
 * must be consistent: ranks in order, scores finite and not increasing,
 * highlights inside the text, the hit count equal to what the match count
 * allows, lps_count equal to that count, and a deeper top-k starting with
 * the same hits.
 */
#include "fuzz_support.h"

#include "lpsearch.h"
#include "query_parser.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *scratch;
static lps_index *plain_index, *stemmed_index;

static const char *const bundled[] = {"liveperson-2006-q1.txt", "liveperson-2006-q3.txt",
                                      "liveperson-2007-q2.txt", "liveperson-2014-q1.txt",
                                      "liveperson-2016-q1.txt"};

static lps_index *build_index(const char *name, int stem, size_t files)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", scratch, name);
    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    wo.stem = stem;
    wo.threads = 1;
    lps_writer *w;
    lps_error err;
    int rc = lps_writer_open(dir, &wo, &w, &err);
    FUZZ_CHECK(rc == LPS_OK, "cannot create an index in %s: %s", dir, err.message);
    for (size_t i = 0; i < files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", fuzz_data_dir(), bundled[i]);
        rc = lps_writer_add_file(w, path, NULL, &err);
        FUZZ_CHECK(rc == LPS_OK, "cannot index %s: %s", path, err.message);
    }
    rc = lps_writer_commit(w, &err);
    FUZZ_CHECK(rc == LPS_OK, "cannot commit %s: %s", dir, err.message);
    lps_writer_close(w);
    lps_index *ix;
    rc = lps_index_open(dir, &ix, &err);
    FUZZ_CHECK(rc == LPS_OK, "cannot open %s: %s", dir, err.message);
    return ix;
}

static void clean_up(void)
{
    lps_index_close(plain_index);
    lps_index_close(stemmed_index);
    fuzz_remove_tree(scratch);
    free(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    scratch = fuzz_make_temp_dir("query");
    plain_index = build_index("plain", 0, 5);
    stemmed_index = build_index("stemmed", 1, 2);
    fuzz_limit_allocations((size_t)512 << 20);
    atexit(clean_up);
    return 0;
}

/* ---- The tree ---------------------------------------------------------------------- */

typedef struct tree_stats {
    size_t leaves;
} tree_stats;

static void check_node(const query_node *n, const query_node *parent, size_t size, int depth, tree_stats *st)
{
    FUZZ_CHECK(n != NULL, "NULL node");
    FUZZ_CHECK(n->offset <= size && n->length <= size - n->offset, "span %zu+%zu outside a %zu-byte query",
               n->offset, n->length, size);
    if (parent)
        FUZZ_CHECK(n->offset >= parent->offset && n->offset + n->length <= parent->offset + parent->length,
                   "span %zu+%zu outside its parent's %zu+%zu", n->offset, n->length, parent->offset,
                   parent->length);
    switch (n->kind) {
    case QUERY_WORD:
    case QUERY_PHRASE:
    case QUERY_FIELD:
        st->leaves++;
        FUZZ_CHECK(n->text != NULL && strlen(n->text) == n->text_len, "leaf text and length disagree");
        FUZZ_CHECK(n->child_count == 0, "leaf with children");
        FUZZ_CHECK(n->kind != QUERY_PHRASE || (n->slop >= -1 && n->slop <= QUERY_MAX_DISTANCE),
                   "slop %d", n->slop);
        FUZZ_CHECK(n->kind != QUERY_FIELD || (n->field >= QUERY_FIELD_SPEAKER && n->field <= QUERY_FIELD_QUARTER),
                   "field %d", n->field);
        return;
    case QUERY_NEAR:
        FUZZ_CHECK(n->distance >= 0 && n->distance <= QUERY_MAX_DISTANCE, "NEAR distance %d", n->distance);
        FUZZ_CHECK(n->child_count >= 2, "NEAR with %zu children", n->child_count);
        for (size_t i = 0; i < n->child_count; i++)
            FUZZ_CHECK(n->children[i]->kind == QUERY_WORD || n->children[i]->kind == QUERY_PHRASE,
                       "NEAR over a node of kind %d", n->children[i]->kind);
        break;
    case QUERY_AND:
    case QUERY_OR:
        FUZZ_CHECK(n->child_count >= 2, "AND/OR with %zu children", n->child_count);
        for (size_t i = 0; i < n->child_count; i++)
            FUZZ_CHECK(n->children[i]->kind != n->kind, "AND/OR directly under its own kind");
        break;
    case QUERY_NOT:
        FUZZ_CHECK(n->child_count == 2, "NOT with %zu children", n->child_count);
        break;
    default:
        FUZZ_CHECK(0, "node of unknown kind %d", n->kind);
    }
    FUZZ_CHECK(depth + 1 <= QUERY_MAX_DEPTH, "operator depth %d exceeds %d", depth + 1, QUERY_MAX_DEPTH);
    for (size_t i = 0; i < n->child_count; i++)
        check_node(n->children[i], n, size, depth + 1, st);
}

static void check_format(const query_node *root)
{
    size_t need = query_format(root, NULL, 0);
    char *full = malloc(need + 1);
    FUZZ_CHECK(full != NULL, "out of memory");
    FUZZ_CHECK(query_format(root, full, need + 1) == need, "query_format length changed");
    FUZZ_CHECK(strlen(full) == need, "query_format wrote %zu bytes, said %zu", strlen(full), need);
    /* A short buffer gets a NUL-terminated prefix of the same form. */
    size_t cuts[] = {1, 2, need / 2 + 1, need};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t cut = cuts[k];
        char *part = malloc(cut);
        FUZZ_CHECK(part != NULL, "out of memory");
        memset(part, 'x', cut);
        FUZZ_CHECK(query_format(root, part, cut) == need, "query_format length depends on the buffer");
        FUZZ_CHECK(part[cut - 1] == '\0' || strlen(part) == cut - 1, "not NUL-terminated");
        FUZZ_CHECK(strncmp(part, full, cut - 1) == 0 && strlen(part) == (cut - 1 < need ? cut - 1 : need),
                   "a cut form is not a prefix of the whole one");
        free(part);
    }
    free(full);
}

/* Parses; returns the status, checking what any outcome promises. */
static int parse_and_check(const uint8_t *data, size_t size)
{
    query_node *root = (query_node *)1;
    lps_error err;
    int rc = query_parse((const char *)data, size, &root, &err);
    if (rc != LPS_OK) {
        FUZZ_CHECK(root == NULL, "out-param not cleared on failure");
        FUZZ_CHECK(rc == LPS_ESYNTAX || rc == LPS_ELIMIT, "query_parse returned %s", lps_strerror(rc));
        FUZZ_CHECK(err.code == rc, "err.code %d, returned %d", err.code, rc);
        FUZZ_CHECK(err.message[0] != '\0', "error without a message");
        FUZZ_CHECK(err.offset >= 0 && (size_t)err.offset <= size, "error offset %lld outside a %zu-byte query",
                   err.offset, size);
        return rc;
    }
    FUZZ_CHECK(root != NULL, "query_parse succeeded without a tree");
    tree_stats st = {0};
    check_node(root, NULL, size, 0, &st);
    FUZZ_CHECK(st.leaves >= 1 && st.leaves <= QUERY_MAX_NODES, "%zu leaves", st.leaves);
    check_format(root);

    /* Parsing is a function of the bytes. */
    query_node *again;
    FUZZ_CHECK(query_parse((const char *)data, size, &again, NULL) == LPS_OK, "a second parse failed");
    size_t n1 = query_format(root, NULL, 0), n2 = query_format(again, NULL, 0);
    char *f1 = malloc(n1 + 1), *f2 = malloc(n2 + 1);
    FUZZ_CHECK(f1 && f2, "out of memory");
    query_format(root, f1, n1 + 1);
    query_format(again, f2, n2 + 1);
    FUZZ_CHECK(n1 == n2 && memcmp(f1, f2, n1) == 0, "two parses differ");
    free(f1);
    free(f2);
    query_node_free(again);
    query_node_free(root);
    return LPS_OK;
}

/* ---- Searching --------------------------------------------------------------------- */

static void check_hit(const lps_hit *h, const lps_search_options *o, size_t rank)
{
    FUZZ_CHECK(h->rank == rank, "hit rank %zu, expected %zu", h->rank, rank);
    FUZZ_CHECK(isfinite(h->score) && h->score >= 0, "score %g", h->score);
    if (o->ids_only)
        return;
    FUZZ_CHECK(h->text != NULL && strlen(h->text) == h->text_len, "hit text and length disagree");
    FUZZ_CHECK(h->call_file != NULL, "hit without a call file");
    uint32_t last_end = 0;
    for (size_t i = 0; i < h->highlight_count; i++) {
        const lps_span *s = &h->highlights[i];
        FUZZ_CHECK(s->start < s->end && s->end <= h->text_len, "highlight [%u,%u) in a %zu-byte text", s->start,
                   s->end, h->text_len);
        FUZZ_CHECK(i == 0 || s->start >= last_end, "highlights overlap or go backwards");
        last_end = s->end;
    }
    FUZZ_CHECK(h->context_count <= 2 * (size_t)o->context, "%zu context sentences", h->context_count);
    for (size_t i = 0; i < h->context_count; i++) {
        const lps_context_sentence *c = &h->context[i];
        FUZZ_CHECK(c->text && strlen(c->text) == c->text_len, "context text and length disagree");
        FUZZ_CHECK(c->offset != 0 && c->offset >= -(int)o->context && c->offset <= (int)o->context,
                   "context offset %d", c->offset);
        FUZZ_CHECK(i == 0 || c->offset > h->context[i - 1].offset, "context out of order");
    }
    if (o->explain && h->explain)
        for (size_t i = 0; i < h->explain->row_count; i++)
            FUZZ_CHECK(h->explain->rows[i].unit && isfinite(h->explain->rows[i].score), "bad explanation row");
}

static void search_and_check(lps_index *ix, const char *query, int parse_rc, uint64_t h)
{
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = 1 + h % 12;
    o.offset = (h >> 4) % 3;
    o.context = (unsigned)((h >> 8) % 3);
    o.explain = (int)((h >> 10) & 1);
    o.count = 1;
    o.ids_only = (h >> 12) % 4 == 0;
    lps_results *res = (lps_results *)1;
    lps_error err;
    int rc = lps_search(ix, query, &o, &res, &err);
    if (parse_rc != LPS_OK)
        FUZZ_CHECK(rc == parse_rc, "the parser says %s, lps_search %s", lps_strerror(parse_rc), lps_strerror(rc));
    if (rc != LPS_OK) {
        FUZZ_CHECK(res == NULL, "results not cleared on failure");
        FUZZ_CHECK(rc == LPS_ESYNTAX || rc == LPS_ELIMIT, "lps_search returned %s: %s", lps_strerror(rc),
                   err.message);
        FUZZ_CHECK(err.code == rc && err.message[0], "error without code or message");
        return;
    }
    size_t n = lps_results_count(res);
    uint64_t total = lps_results_total(res);
    size_t k = o.offset + o.limit;
    uint64_t shown = total < k ? total : k;
    FUZZ_CHECK(n == (shown > o.offset ? shown - o.offset : 0), "%zu hits for %llu matches, offset %zu, limit %zu",
               n, (unsigned long long)total, o.offset, o.limit);
    for (size_t i = 0; i < n; i++) {
        const lps_hit *hit = lps_results_hit(res, i);
        check_hit(hit, &o, o.offset + i + 1);
        if (i > 0)
            FUZZ_CHECK(hit->score <= lps_results_hit(res, i - 1)->score, "scores go up at rank %zu", hit->rank);
    }
    uint64_t counted = UINT64_MAX;
    FUZZ_CHECK(lps_count(ix, query, &counted, &err) == LPS_OK, "lps_count failed: %s", err.message);
    FUZZ_CHECK(counted == total, "lps_count %llu, lps_search total %llu", (unsigned long long)counted,
               (unsigned long long)total);

    /* A deeper top-k starts with the same hits (ties break by index order). */
    lps_search_options deeper = o;
    deeper.limit = o.limit + 7;
    deeper.ids_only = 1;
    deeper.count = 0;
    lps_results *more;
    FUZZ_CHECK(lps_search(ix, query, &deeper, &more, &err) == LPS_OK, "deeper search failed: %s", err.message);
    FUZZ_CHECK(lps_results_count(more) >= n, "a deeper search found fewer hits");
    for (size_t i = 0; i < n; i++) {
        const lps_hit *a = lps_results_hit(res, i), *b = lps_results_hit(more, i);
        FUZZ_CHECK(a->id == b->id && a->score == b->score, "hit %zu differs between limit %zu and %zu", i + 1,
                   o.limit, deeper.limit);
    }
    lps_results_free(more);
    lps_results_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int parse_rc = parse_and_check(data, size);

    /* lps_search takes a C string: the query up to the first NUL. */
    if (size > 2 * QUERY_MAX_BYTES)
        return 0;
    size_t len = strnlen((const char *)data, size);
    char *query = malloc(len + 1);
    FUZZ_CHECK(query != NULL, "out of memory");
    memcpy(query, data, len);
    query[len] = '\0';
    if (len < size) {
        query_node *root;
        parse_rc = query_parse(query, len, &root, NULL);
        query_node_free(root);
    }
    uint64_t h = fuzz_hash(data, size);
    search_and_check((h >> 20) % 4 == 0 ? stemmed_index : plain_index, query, parse_rc, h);
    free(query);
    return 0;
}
