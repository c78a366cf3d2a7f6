/*
 * Top-k over a plan: the k best documents by BM25, ties broken by index
 * order, over every segment of the snapshot.
 *
 * When the query is a disjunction, MaxScore prunes: its clauses are ordered
 * by their score bound, the ones whose bounds together cannot lift a
 * document past the current k-th score are "non-essential" and only probed
 * (advance to the candidate) for documents an essential clause proposes,
 * and a candidate is dropped as soon as its score plus the bounds left
 * cannot beat the k-th.  Frequent clauses thus stop driving iteration once
 * the heap is full of better documents.
 */
#ifndef LPS_SEARCHER_H
#define LPS_SEARCHER_H

#include <stddef.h>
#include <stdint.h>

#include "query_plan.h"

typedef struct scored_doc {
    double score;
    uint64_t id;          /* global document id */
} scored_doc;

typedef struct search_stats {
    uint64_t scored;      /* documents scored */
    uint64_t pruned;      /* candidates dropped by the bounds */
} search_stats;

/*
 * Fills out[0..*n) with the best min(k, matches) documents, best first.
 * out has room for k.  stats may be NULL.  Returns an lps_status.
 */
int search_top_k(const query_plan *plan, size_t k, scored_doc *out, size_t *n, search_stats *stats);

#endif
