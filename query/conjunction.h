/*
 * Interface to code in conjunction.c: the documents common to several
 * posting lists of one segment, found a decoded block at a time.
 *
 * The cursors are ordered by document frequency; the rarest leads.  Lists
 * whose frequency is within CONJUNCTION_SIMD_RATIO of the lead's are
 * "dense partners": a window of the lead's decoded block, cut at the end of
 * every dense partner's current block, is intersected with their decoded
 * blocks by intersect_u32 (SIMD where the CPU has it).  The other lists are
 * much longer than the lead, so each surviving candidate is looked up in
 * them by skipping (galloping over skip entries, then a scan of one block):
 * cheaper than reading blocks of which only a few documents matter.
 *
 * The window never reaches past a dense partner's current block, so when
 * conjunction_seek returns a document every cursor sits on it and its
 * frequency and positions can be read: the scorer and the phrase checker
 * run only on documents all lists share.
 */
#ifndef LPS_CONJUNCTION_H
#define LPS_CONJUNCTION_H

#include "segment.h"

#include <stdint.h>

/* Below this df ratio to the lead, a list is intersected block by block;
 * at or above it, it is probed per candidate.  The same cut-over as
 * intersect_u32's switch from block compare to galloping. */
#define CONJUNCTION_SIMD_RATIO 8

typedef struct conjunction {
    posting_cursor **cursors;  /* rarest first; not owned */
    uint32_t n;
    uint32_t dense;            /* cursors[0..dense) take part in the window */
    uint32_t *window;          /* POSTING_BLOCK candidates each */
    uint32_t *scratch;
    uint32_t count, at;        /* window[at..count) not yet returned */
    int status;                /* first error (LPS_ECORRUPT, LPS_ENOMEM), else LPS_OK */
} conjunction;

/*
 * Prepares c over cursors (n >= 1, each open; the array is reordered by df
 * and must outlive c).  Returns LPS_OK or LPS_ENOMEM.
 */
int conjunction_init(conjunction *c, posting_cursor **cursors, uint32_t n);
/*
 * Moves to the first document >= target that every list holds, with every
 * cursor on it, and returns it; UINT32_MAX at the end or on an error (then
 * c->status says which).  Targets must not decrease.
 */
uint32_t conjunction_seek(conjunction *c, uint32_t target);
void conjunction_free(conjunction *c);

#endif
