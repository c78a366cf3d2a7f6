/*
 * A consistent, read-only view of an index directory: the segments its
 * manifest named at the moment of opening, with their deletion markers.
 * Later commits by a writer do not disturb an open snapshot: its files are
 * immutable and stay mapped even if a merge unlinks them.
 *
 * Documents get global ids: segment i's document d is base[i] + d, in the
 * manifest's order.  Ids are stable until the index changes.
 *
 * A snapshot is read-only after opening and may be shared by threads.
 */
#ifndef LPS_INDEX_SNAPSHOT_H
#define LPS_INDEX_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "lpsearch.h"
#include "manifest.h"
#include "segment.h"

typedef struct snapshot_segment {
    segment *seg;
    uint32_t base;            /* global id of local document 0 */
    unsigned char *deleted;   /* bitmap, NULL when nothing is deleted; owned */
    uint32_t deleted_count;
} snapshot_segment;

typedef struct index_snapshot {
    char *dir;
    manifest manifest;
    snapshot_segment *segments;
    size_t segment_count;
    uint32_t flags;            /* SEGMENT_FLAG_* of the index */
    uint64_t doc_count;        /* all documents, deleted included (the id space) */
    uint64_t live_docs;        /* N for BM25 */
    uint64_t live_tokens;      /* sum of live document lengths */
    uint64_t live_calls;
} index_snapshot;

/*
 * Opens the index in dir.  Errors: LPS_ENOENT (no index there), LPS_ECORRUPT
 * and LPS_EVERSION naming the file and section, LPS_EIO, LPS_ENOMEM.
 */
int index_snapshot_open(const char *dir, index_snapshot **out, lps_error *err);
/*
 * Opens the index's current state again, reusing the segments of prev that
 * are still live instead of mapping and verifying them anew.  prev is closed
 * in every case.
 */
int index_snapshot_reopen(index_snapshot *prev, index_snapshot **out, lps_error *err);
void index_snapshot_close(index_snapshot *snap);

static inline int snapshot_is_deleted(const snapshot_segment *s, uint32_t doc)
{
    return s->deleted && (s->deleted[doc >> 3] >> (doc & 7) & 1);
}

/* The segment holding global document id doc; NULL when out of range. */
const snapshot_segment *snapshot_locate(const index_snapshot *snap, uint64_t doc, uint32_t *local);

#endif
