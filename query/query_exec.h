/*
 * Posting iterators: the plan of one query, instantiated over one segment.
 * Every iterator walks documents in increasing id order with next() and
 * advance(target) (the first document >= target, using the skip data), and
 * scores the document it is on.  doc is QITER_END once exhausted.
 *
 *   term      one posting list, or the union of a prefix's expansions
 *   phrase    the slots' lists intersected (a conjunction when every slot
 *             is one term), then positions checked
 *   near      the members' lists intersected, then a window check
 *   and       one-term children joined by a conjunction (conjunction.h),
 *             the others leapfrogged onto its documents, rarest first
 *   or        union
 *   not       left minus right
 *   filter    document ranges of the calls or turns a field selects
 *
 * Errors while decoding (a corrupt list) end the iterator and set
 * ctx->status; callers check it after the loop.
 */
#ifndef LPS_QUERY_EXEC_H
#define LPS_QUERY_EXEC_H

#include <stdint.h>

#include "query_plan.h"

#define QITER_END UINT32_MAX

typedef struct exec_ctx {
    const query_plan *plan;
    const snapshot_segment *ss;
    int status;          /* first error, LPS_OK while healthy */
} exec_ctx;

typedef struct qiter qiter;
typedef struct qiter_ops {
    void (*next)(qiter *it);
    void (*advance)(qiter *it, uint32_t target);
    double (*score)(qiter *it); /* at the current document */
    void (*free)(qiter *it);
} qiter_ops;

struct qiter {
    const qiter_ops *ops;
    uint32_t doc;
    double upper;      /* no document of this segment scores more */
    uint64_t cost;     /* about how many documents it visits */
    exec_ctx *ctx;
    const plan_node *node;
};

/* Builds the iterator for node over ctx->ss, positioned on its first
 * document.  NULL with ctx->status set when out of memory. */
qiter *qiter_build(exec_ctx *ctx, const plan_node *node);
void qiter_free(qiter *it);

static inline void qiter_next(qiter *it)
{
    it->ops->next(it);
}
static inline void qiter_advance(qiter *it, uint32_t target)
{
    if (it->doc < target)
        it->ops->advance(it, target);
}
static inline double qiter_score(qiter *it)
{
    return it->ops->score(it);
}

/* Live documents of the snapshot that node matches (for phrase df and --count). */
int plan_count_matches(const query_plan *plan, const plan_node *node, uint64_t *count);

/*
 * For a PHRASE node: counts its live documents into *df and, unless there
 * are more than PLAN_MAX_MATERIALIZED matches, keeps every match (document,
 * phrase frequency) per segment in node->matches.
 */
int plan_collect_phrase(const query_plan *plan, plan_node *node, uint64_t *df);
void plan_matches_free(plan_matches *matches, size_t segments);

/* One scoring unit's share of a document's score, for --explain. */
typedef struct explain_row {
    const plan_node *node;   /* the unit (TERM, PHRASE) */
    const char *term;        /* the index term (an expansion for prefixes); NULL for a phrase */
    double tf, df, idf, length, tf_part, score;
} explain_row;

typedef struct explain_rows {
    explain_row *rows;
    size_t count, cap;
} explain_rows;

/*
 * Evaluates node at one document of ss: 1 when it matches, 0 when not,
 * -status on error.  Appends a row per scoring unit that counts toward the
 * score and adds their scores to *score, summing in the same order as the
 * iterators do.
 */
int plan_explain_doc(const query_plan *plan, const snapshot_segment *ss, const plan_node *node,
                     uint32_t doc, explain_rows *out, double *score);
void explain_rows_free(explain_rows *rows);

#endif
