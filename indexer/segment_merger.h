/*
 * The k-way merge: several segments of one index become one, in their
 * order, with deleted documents purged and documents renumbered.  Memory is
 * bounded by the largest single posting list and one u32 per document, not
 * by the size of the segments: sections stream through spool files.
 */
#ifndef LPS_SEGMENT_MERGER_H
#define LPS_SEGMENT_MERGER_H

#include "index_snapshot.h"
#include "segment_writer.h"

/*
 * Writes segment new_id in dir holding the live documents of sources[0..n)
 * in that order.  flags are the index's SEGMENT_FLAG_*.
 */
int segment_merge(const char *dir, const snapshot_segment *sources, size_t n, uint64_t new_id,
                  uint32_t flags, segment_write_info *info, lps_error *err);

#endif
