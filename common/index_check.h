/*
 * The integrity checker behind `lpsearch check`: beyond the checksums that
 * segment_open verifies, it walks every structure and decodes every byte,
 * checking the invariants the format promises (sorted terms, document and
 * collection frequencies equal to the postings, skip data equal to the
 * blocks, positions inside their sentences, per-document token counts equal
 * to the sum of term frequencies, tables that tile the documents, stored
 * text for every document).  Tests run it on every index they build.
 */
#ifndef LPS_INDEX_CHECK_H
#define LPS_INDEX_CHECK_H

#include <stdint.h>

#include "index_snapshot.h"
#include "lpsearch.h"

typedef struct index_check_stats {
    uint64_t segments, terms, postings, positions, documents, texts, calls, turns, speakers;
    uint64_t bytes_verified;
} index_check_stats;

/* Checks one segment; LPS_ECORRUPT with err naming the file and section. */
int segment_check(const segment *s, index_check_stats *stats, lps_error *err);
/* Checks every segment of the snapshot and its deletion markers. */
int index_check(const index_snapshot *snap, index_check_stats *stats, lps_error *err);

#endif
