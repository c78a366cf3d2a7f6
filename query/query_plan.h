/*
 * The analyzed query: the AST with every word run through the index's
 * analyzer, prefixes expanded against the dictionaries, field filters
 * interpreted, and the global statistics each scoring unit needs (document
 * frequency over live sentences, idf).  A plan belongs to one snapshot.
 *
 * Scoring units are the leaves that carry a score: a term, each expansion
 * of a prefix, a phrase (one unit whose frequency is its occurrence count),
 * and each member of a NEAR group.  Leaves under the right side of a NOT
 * only filter.
 */
#ifndef LPS_QUERY_PLAN_H
#define LPS_QUERY_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "bm25.h"
#include "index_snapshot.h"
#include "lpsearch.h"
#include "query_ast.h"

/* Largest number of index terms one prefix may expand to. */
#define QUERY_MAX_EXPANSION 4096
/* Largest number of expansions of all the prefixes of one query: each holds
 * a posting cursor (about 2 KB) while the query runs, so 256 prefixes of
 * 4096 terms would need 2 GB. */
#define QUERY_MAX_EXPANSION_TOTAL (8 * QUERY_MAX_EXPANSION)

enum plan_kind {
    PLAN_TERM = 1, /* one slot; a prefix slot scores each expansion as a unit */
    PLAN_PHRASE,   /* slots in order, adjacent */
    PLAN_NEAR,     /* children: TERM/PHRASE members within distance tokens */
    PLAN_AND,
    PLAN_OR,
    PLAN_NOT,      /* children[0] minus children[1] */
    PLAN_FILTER    /* a metadata filter; scores 0 */
};

typedef struct plan_expansion {
    char *term;          /* owned, NUL-terminated */
    size_t len;
    uint64_t df;         /* live documents in the whole index */
    double idf;
} plan_expansion;

typedef struct plan_slot {
    plan_expansion *terms; /* the term, or every expansion of a prefix in byte order; owned */
    size_t term_count;     /* 0: the word or prefix is in no document */
    int prefix;
    char *prefix_text;     /* the folded prefix, for highlighting; owned */
} plan_slot;

typedef struct plan_filter {
    int field;           /* enum query_field */
    int year_lo, year_hi, quarter;
    char **tokens;       /* folded words of the value (text fields); owned */
    size_t token_count;
    char *needle;        /* " w1 w2 ": what a folded field must contain; owned */
    /* What it selects, matched once at planning: per snapshot segment, pairs
     * [start, end) of document ids, ascending. */
    uint32_t **ranges;
    size_t *range_counts;
    size_t segment_count;
} plan_filter;

typedef struct plan_node {
    int kind;
    size_t offset, length;  /* span in the query text */
    plan_slot *slots;       /* TERM, PHRASE */
    size_t slot_count;
    int distance;           /* NEAR */
    struct plan_node **children;
    size_t child_count;
    plan_filter filter;
    int scoring;            /* contributes to the score */
    uint64_t df;            /* PHRASE: live documents holding the phrase */
    double idf;             /* PHRASE */
    /* PHRASE outside NEAR: its matches, found while counting df, so top-k
     * reads them instead of matching positions a second time.  Per
     * snapshot segment: ascending documents and their phrase frequencies;
     * NULL when not materialized (too many matches). */
    struct plan_matches *matches;
    size_t matches_segments;
} plan_node;

typedef struct plan_matches {
    uint32_t *docs, *freqs; /* owned */
    size_t count;
} plan_matches;

/* Phrases with more matches than this are matched again instead of kept. */
#define PLAN_MAX_MATERIALIZED ((size_t)8 << 20)

typedef struct query_plan {
    plan_node *root;
    bm25_params bm25;
    const index_snapshot *snap;
    char *text;             /* the query, for explanations */
} query_plan;

/*
 * Parses and plans text against snap.  k1 and b are the BM25 parameters.
 * Errors: LPS_ESYNTAX and LPS_ELIMIT with err->offset in the query,
 * LPS_ECORRUPT from the index, LPS_ENOMEM.  The analyzer must match the
 * index's settings (stemming).  meta holds the folded metadata that field
 * filters match (metadata_cache.h).
 */
struct metadata_cache;
int query_plan_build(const index_snapshot *snap, const struct metadata_cache *meta, analyzer *a,
                     const char *text, size_t len, double k1, double b, query_plan **out, lps_error *err);
void query_plan_free(query_plan *plan);

#endif
