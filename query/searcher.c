#include "searcher.h"

#include "alloc.h"
#include "query_exec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- The heap of the k best: its root is the worst kept --------------------- */

typedef struct top_heap {
    scored_doc *d;
    size_t n, k;
} top_heap;

/* a is worse than b: a lower score, or the same score later in the index. */
static int worse(const scored_doc *a, const scored_doc *b)
{
    return a->score < b->score || (a->score == b->score && a->id > b->id);
}

static void sift_down(top_heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && worse(&h->d[l], &h->d[m]))
            m = l;
        if (r < h->n && worse(&h->d[r], &h->d[m]))
            m = r;
        if (m == i)
            return;
        scored_doc t = h->d[i];
        h->d[i] = h->d[m];
        h->d[m] = t;
        i = m;
    }
}

static void heap_offer(top_heap *h, double score, uint64_t id)
{
    scored_doc doc = {score, id};
    if (h->n < h->k) {
        size_t i = h->n++;
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (!worse(&doc, &h->d[parent]))
                break;
            h->d[i] = h->d[parent];
            i = parent;
        }
        h->d[i] = doc;
        return;
    }
    if (h->k == 0 || !worse(&h->d[0], &doc))
        return;
    h->d[0] = doc;
    sift_down(h, 0);
}

/* The score a document must beat to enter; -1 while the heap has room. */
static double heap_threshold(const top_heap *h)
{
    return h->n < h->k ? -1.0 : h->d[0].score;
}

/* ---- Plain evaluation ------------------------------------------------------------ */

static int run_plain(const query_plan *plan, const snapshot_segment *ss, top_heap *h, search_stats *st)
{
    exec_ctx ctx = {plan, ss, LPS_OK};
    qiter *it = qiter_build(&ctx, plan->root);
    if (!it)
        return ctx.status;
    for (; it->doc != QITER_END; qiter_next(it)) {
        if (snapshot_is_deleted(ss, it->doc))
            continue;
        double score = qiter_score(it);
        st->scored++;
        heap_offer(h, score, (uint64_t)ss->base + it->doc);
    }
    qiter_free(it);
    return ctx.status;
}

/* ---- MaxScore over the clauses of a disjunction ------------------------------ */

typedef struct clause {
    qiter *it;
    double upper;
    size_t plan_index;
} clause;

static int compare_upper(const void *a, const void *b)
{
    const clause *x = a, *y = b;
    return x->upper < y->upper ? -1 : x->upper > y->upper;
}

/* Bounds are sums of doubles; allow for rounding before pruning on them. */
#define BOUND_SLACK 1e-9

static int run_maxscore(const query_plan *plan, const snapshot_segment *ss, top_heap *h, search_stats *st)
{
    const plan_node *root = plan->root;
    size_t n = root->child_count;
    exec_ctx ctx = {plan, ss, LPS_OK};
    clause *c = lps_calloc(n, sizeof *c);
    double *prefix = lps_calloc(n + 1, sizeof *prefix);
    double *partial = lps_calloc(n, sizeof *partial);
    unsigned char *hit = lps_calloc(n, 1);
    int rc = c && prefix && partial && hit ? LPS_OK : LPS_ENOMEM;
    size_t built = 0;
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        c[i].it = qiter_build(&ctx, root->children[i]);
        if (!c[i].it) {
            rc = ctx.status;
            break;
        }
        built++;
        c[i].upper = c[i].it->upper * (1 + BOUND_SLACK) + BOUND_SLACK;
        c[i].plan_index = i;
    }
    if (rc == LPS_OK) {
        qsort(c, n, sizeof *c, compare_upper);
        for (size_t i = 0; i < n; i++)
            prefix[i + 1] = prefix[i] + c[i].upper;
    }
    while (rc == LPS_OK) {
        double theta = heap_threshold(h);
        /* Clauses [0, first) cannot reach theta together: non-essential. */
        size_t first = 0;
        while (first < n && prefix[first + 1] <= theta)
            first++;
        if (first == n)
            break;
        uint32_t doc = QITER_END;
        for (size_t i = first; i < n; i++)
            if (c[i].it->doc < doc)
                doc = c[i].it->doc;
        if (doc == QITER_END)
            break;
        if (!snapshot_is_deleted(ss, doc)) {
            memset(hit, 0, n);
            double score = 0;
            for (size_t i = first; i < n; i++) {
                if (c[i].it->doc == doc) {
                    partial[c[i].plan_index] = qiter_score(c[i].it);
                    hit[c[i].plan_index] = 1;
                    score += partial[c[i].plan_index];
                }
            }
            int dropped = 0;
            for (size_t i = first; i-- > 0;) {
                if (score + prefix[i + 1] <= theta) {
                    dropped = 1;
                    break;
                }
                qiter_advance(c[i].it, doc);
                if (c[i].it->doc == doc) {
                    partial[c[i].plan_index] = qiter_score(c[i].it);
                    hit[c[i].plan_index] = 1;
                    score += partial[c[i].plan_index];
                }
            }
            if (dropped) {
                st->pruned++;
            } else {
                /* The final sum in plan order, as plain evaluation adds it. */
                double total = 0;
                for (size_t i = 0; i < n; i++)
                    if (hit[i])
                        total += partial[i];
                st->scored++;
                heap_offer(h, total, (uint64_t)ss->base + doc);
            }
        }
        for (size_t i = first; i < n; i++)
            if (c[i].it->doc == doc)
                qiter_next(c[i].it);
        if (ctx.status != LPS_OK)
            rc = ctx.status;
    }
    for (size_t i = 0; i < built; i++)
        qiter_free(c[i].it);
    lps_free(c);
    lps_free(prefix);
    lps_free(partial);
    lps_free(hit);
    return rc != LPS_OK ? rc : ctx.status;
}

static int cmp_best_first(const void *a, const void *b)
{
    const scored_doc *x = a, *y = b;
    if (worse(x, y))
        return 1;
    if (worse(y, x))
        return -1;
    return 0;
}

int search_top_k(const query_plan *plan, size_t k, scored_doc *out, size_t *n, search_stats *stats)
{
    search_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    top_heap h = {out, 0, k};
    *n = 0;
    int maxscore = plan->root->kind == PLAN_OR;
    for (size_t s = 0; s < plan->snap->segment_count; s++) {
        const snapshot_segment *ss = &plan->snap->segments[s];
        int rc = maxscore ? run_maxscore(plan, ss, &h, stats) : run_plain(plan, ss, &h, stats);
        if (rc != LPS_OK)
            return rc;
    }
    qsort(out, h.n, sizeof *out, cmp_best_first);
    *n = h.n;
    return LPS_OK;
}
