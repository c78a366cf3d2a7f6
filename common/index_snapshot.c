#include "index_snapshot.h"

#include "alloc.h"
#include "error_internal.h"

#include <stdio.h>
#include <string.h>

/* A merge may unlink segments between our reading the manifest and opening
 * them; the manifest is then re-read.  A few attempts suffice: each retry
 * needs a whole new commit to land in a window of microseconds. */
#define OPEN_ATTEMPTS 8

static void free_segments(index_snapshot *snap)
{
    for (size_t i = 0; i < snap->segment_count; i++) {
        segment_close(snap->segments[i].seg);
        lps_free(snap->segments[i].deleted);
    }
    lps_free(snap->segments);
    snap->segments = NULL;
    snap->segment_count = 0;
}

/* Takes segment id out of prev (so closing prev leaves it open), or NULL. */
static segment *take_segment(index_snapshot *prev, uint64_t id)
{
    for (size_t i = 0; prev && i < prev->segment_count; i++) {
        segment *s = prev->segments[i].seg;
        if (s && s->id == id) {
            prev->segments[i].seg = NULL;
            return s;
        }
    }
    return NULL;
}

static int open_once(index_snapshot *snap, index_snapshot *prev, lps_error *err, int *vanished)
{
    *vanished = 0;
    manifest_free(&snap->manifest);
    int rc = manifest_read(snap->dir, &snap->manifest, err);
    if (rc != LPS_OK)
        return rc;
    const manifest *m = &snap->manifest;
    snap->flags = m->flags;
    if (m->segment_count > 0 && !(snap->segments = lps_calloc(m->segment_count, sizeof *snap->segments)))
        return lps_error_set(err, LPS_ENOMEM, snap->dir, -1, -1, "out of memory opening the index");
    uint64_t base = 0;
    for (size_t i = 0; i < m->segment_count; i++) {
        const manifest_segment *ms = &m->segments[i];
        snapshot_segment *ss = &snap->segments[i];
        snap->segment_count = i + 1;
        char name[64], path[4096];
        snprintf(name, sizeof name, "seg-%016llx.lps", (unsigned long long)ms->id);
        snprintf(path, sizeof path, "%s/%s", snap->dir, name);
        ss->seg = take_segment(prev, ms->id);
        rc = ss->seg ? LPS_OK : segment_open(path, ms->id, &ss->seg, err);
        if (rc == LPS_ENOENT) {
            *vanished = 1;
            return rc;
        }
        if (rc != LPS_OK)
            return rc;
        if (ss->seg->doc_count != ms->doc_count || ss->seg->map_len != ms->file_size) {
            return lps_error_set_section(err, LPS_ECORRUPT, path, "manifest", -1,
                                         "segment has %u documents and %zu bytes; the manifest says %u and %llu",
                                         ss->seg->doc_count, ss->seg->map_len, ms->doc_count,
                                         (unsigned long long)ms->file_size);
        }
        if ((ss->seg->flags & SEGMENT_FLAG_STEM_ENGLISH) != (m->flags & SEGMENT_FLAG_STEM_ENGLISH))
            return lps_error_set_section(err, LPS_ECORRUPT, path, "header", -1,
                                         "segment's stemming setting differs from the index's");
        if (ms->deletions_generation != 0) {
            rc = deletions_read(snap->dir, ms->id, ms->deletions_generation, ms->doc_count,
                                &ss->deleted, &ss->deleted_count, err);
            if (rc == LPS_ENOENT) {
                *vanished = 1;
                return rc;
            }
            if (rc != LPS_OK)
                return rc;
            if (ss->deleted_count != ms->deleted_count)
                return lps_error_set_section(err, LPS_ECORRUPT, path, "deletions", -1,
                                             "%u documents marked deleted; the manifest says %u",
                                             ss->deleted_count, ms->deleted_count);
        }
        ss->base = (uint32_t)base;
        base += ms->doc_count;
        snap->live_docs += ms->doc_count - ss->deleted_count;
        uint64_t tokens = ss->seg->total_tokens;
        for (uint32_t d = 0; ss->deleted && d < ms->doc_count; d++)
            if (snapshot_is_deleted(ss, d))
                tokens -= segment_doc_length(ss->seg, d);
        snap->live_tokens += tokens;
        for (uint32_t c = 0; c < ss->seg->call_count; c++) {
            call_record cr;
            if (segment_call(ss->seg, c, &cr) != LPS_OK)
                return segment_corrupt(ss->seg, SECTION_CALLS, err, "call %u is malformed", c);
            if (cr.doc_count == 0 || !snapshot_is_deleted(ss, cr.first_doc))
                snap->live_calls++;
        }
    }
    snap->doc_count = base;
    return LPS_OK;
}

static int open_snapshot(const char *dir, index_snapshot *prev, index_snapshot **out, lps_error *err)
{
    *out = NULL;
    index_snapshot *snap = lps_calloc(1, sizeof *snap);
    if (!snap || !(snap->dir = lps_strdup(dir))) {
        lps_free(snap);
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory opening the index");
    }
    int rc = LPS_OK;
    for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
        int vanished;
        free_segments(snap);
        snap->live_docs = snap->live_tokens = snap->live_calls = snap->doc_count = 0;
        rc = open_once(snap, prev, err, &vanished);
        if (rc == LPS_OK || !vanished)
            break;
    }
    if (rc != LPS_OK) {
        index_snapshot_close(snap);
        return rc;
    }
    lps_error_clear(err);
    *out = snap;
    return LPS_OK;
}

int index_snapshot_open(const char *dir, index_snapshot **out, lps_error *err)
{
    return open_snapshot(dir, NULL, out, err);
}

int index_snapshot_reopen(index_snapshot *prev, index_snapshot **out, lps_error *err)
{
    int rc = open_snapshot(prev->dir, prev, out, err);
    index_snapshot_close(prev);
    return rc;
}

void index_snapshot_close(index_snapshot *snap)
{
    if (!snap)
        return;
    free_segments(snap);
    manifest_free(&snap->manifest);
    lps_free(snap->dir);
    lps_free(snap);
}

const snapshot_segment *snapshot_locate(const index_snapshot *snap, uint64_t doc, uint32_t *local)
{
    size_t lo = 0, hi = snap->segment_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snap->segments[mid].base <= doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo > 0) {
        const snapshot_segment *s = &snap->segments[lo - 1];
        if (doc - s->base < s->seg->doc_count) {
            *local = (uint32_t)(doc - s->base);
            return s;
        }
        lo--; /* empty segments share their base with the next */
        if (doc < s->base)
            break;
    }
    return NULL;
}
