/*
 * Block-at-a-time conjunction.  See conjunction.h.
 */
#include "conjunction.h"

#include "alloc.h"
#include "intersect.h"
#include "lpsearch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int compare_df(const void *a, const void *b)
{
    uint32_t x = (*(posting_cursor *const *)a)->info.df, y = (*(posting_cursor *const *)b)->info.df;
    return x < y ? -1 : x > y;
}

int conjunction_init(conjunction *c, posting_cursor **cursors, uint32_t n)
{
    assert(n >= 1);
    memset(c, 0, sizeof *c);
    c->window = lps_malloc(2 * POSTING_BLOCK * sizeof *c->window);
    if (!c->window)
        return LPS_ENOMEM;
    c->scratch = c->window + POSTING_BLOCK;
    qsort(cursors, n, sizeof *cursors, compare_df);
    c->cursors = cursors;
    c->n = n;
    uint64_t lead_df = cursors[0]->info.df;
    c->dense = 1;
    while (c->dense < n && cursors[c->dense]->info.df < lead_df * CONJUNCTION_SIMD_RATIO)
        c->dense++;
    return LPS_OK;
}

void conjunction_free(conjunction *c)
{
    lps_free(c->window);
    memset(c, 0, sizeof *c);
}

/* Advances one cursor; 0 at its end or on an error (recorded). */
static int cursor_to(conjunction *c, posting_cursor *pc, uint32_t target)
{
    int r = posting_cursor_advance(pc, target);
    if (r < 0 && c->status == LPS_OK)
        c->status = r == -LPS_ENOMEM ? LPS_ENOMEM : LPS_ECORRUPT;
    return r > 0;
}

static uint32_t block_last(const posting_cursor *pc)
{
    return pc->docs[pc->block_len - 1];
}

/*
 * Fills the window with the next documents >= target that the lead and
 * every dense partner share.  Returns 0 when no list has more.
 */
static int fill_window(conjunction *c, uint32_t target)
{
    posting_cursor *lead = c->cursors[0];
    for (;;) {
        if (!cursor_to(c, lead, target))
            return 0;
        uint32_t bound = block_last(lead), next = lead->doc;
        for (uint32_t j = 1; j < c->dense; j++) {
            posting_cursor *pc = c->cursors[j];
            if (!cursor_to(c, pc, lead->doc))
                return 0;
            if (block_last(pc) < bound)
                bound = block_last(pc);
            if (pc->doc > next)
                next = pc->doc;
        }
        /* Candidates: the lead's documents from its cursor up to bound. */
        const uint32_t *docs = lead->docs + lead->in_block;
        size_t count = lead->block_len - lead->in_block;
        while (count > 0 && docs[count - 1] > bound)
            count--;
        uint32_t *out = c->window, *spare = c->scratch;
        for (uint32_t j = 1; j < c->dense && count > 0; j++) {
            const posting_cursor *pc = c->cursors[j];
            count = intersect_u32(docs, count, pc->docs + pc->in_block, pc->block_len - pc->in_block, out);
            docs = out;
            out = spare;
            spare = (uint32_t *)docs;
        }
        if (count > 0) {
            if (docs != c->window)
                memmove(c->window, docs, count * sizeof *docs);
            c->count = (uint32_t)count;
            c->at = 0;
            return 1;
        }
        /* Nothing common up to bound; no list's current document can be
         * skipped either. */
        if (bound >= UINT32_MAX - 1)
            return 0;
        target = bound + 1 > next ? bound + 1 : next;
    }
}

uint32_t conjunction_seek(conjunction *c, uint32_t target)
{
    for (;;) {
        while (c->at < c->count && c->window[c->at] < target)
            c->at++;
        if (c->at == c->count) {
            c->count = c->at = 0;
            if (!fill_window(c, target))
                return UINT32_MAX;
            continue;
        }
        uint32_t doc = c->window[c->at];
        /* The dense cursors hold doc in their current block: a short scan,
         * inline because it runs for every document returned. */
        for (uint32_t j = 0; j < c->dense; j++) {
            posting_cursor *pc = c->cursors[j];
            uint32_t i = pc->in_block;
            while (pc->docs[i] < doc)
                i++;
            assert(i < pc->block_len && pc->docs[i] == doc);
            pc->in_block = i;
            pc->doc = doc;
        }
        uint32_t j = c->dense;
        for (; j < c->n; j++) {
            if (!cursor_to(c, c->cursors[j], doc))
                return UINT32_MAX;
            if (c->cursors[j]->doc != doc) {
                target = c->cursors[j]->doc;
                break;
            }
        }
        if (j == c->n) {
            c->at++;
            return doc;
        }
    }
}
