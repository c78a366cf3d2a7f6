#include "segment_merger.h"

#include "alloc.h"
#include "error_internal.h"

#include <assert.h>
#include <string.h>

typedef struct merge_source {
    const snapshot_segment *snap;
    uint32_t *doc_map;     /* old local id -> new id, UINT32_MAX when deleted */
    term_cursor terms;
    int has_term;          /* terms cursor is on a term */
    uint64_t terms_done;
} merge_source;

static int corrupt(const snapshot_segment *s, unsigned section, lps_error *err, const char *what)
{
    return segment_corrupt(s->seg, section, err, "%s", what);
}

/* Calls, speakers, turns and documents of the live calls, renumbered. */
static int merge_tables(segment_writer *w, merge_source *src, size_t n, lps_error *err)
{
    uint32_t next_doc = 0, next_turn = 0, next_speaker = 0;
    int rc = LPS_OK;
    /* Pass 1: calls and speakers (speakers follow their calls' order). */
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        const snapshot_segment *ss = src[i].snap;
        const segment *seg = ss->seg;
        for (uint32_t c = 0; c < seg->call_count && rc == LPS_OK; c++) {
            call_record cr;
            if (segment_call(seg, c, &cr) != LPS_OK)
                return corrupt(ss, SECTION_CALLS, err, "call record is malformed");
            int deleted = cr.doc_count > 0 && snapshot_is_deleted(ss, cr.first_doc);
            for (uint32_t d = 0; d < cr.doc_count; d++) {
                /* Deletion is per call: a partly deleted call is a broken marker file. */
                if (snapshot_is_deleted(ss, cr.first_doc + d) != deleted)
                    return corrupt(ss, SECTION_CALLS, err, "a call is only partly deleted");
                src[i].doc_map[cr.first_doc + d] = deleted ? UINT32_MAX : next_doc + d;
            }
            if (deleted)
                continue;
            call_record out = cr;
            out.first_doc = next_doc;
            out.first_turn = next_turn;
            out.first_speaker = next_speaker;
            rc = segment_writer_add_call(w, &out);
            for (uint32_t s = 0; s < cr.speaker_count && rc == LPS_OK; s++) {
                speaker_record sr;
                if (segment_speaker(seg, cr.first_speaker + s, &sr) != LPS_OK)
                    return corrupt(ss, SECTION_SPEAKERS, err, "speaker record is malformed");
                rc = segment_writer_add_speaker(w, &sr);
            }
            next_doc += cr.doc_count;
            next_turn += cr.turn_count;
            next_speaker += cr.speaker_count;
        }
    }
    /* Pass 2: turns.  Pass 3: documents with their text. */
    uint32_t call_index = 0, speaker_base = 0, doc_base = 0;
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        const snapshot_segment *ss = src[i].snap;
        const segment *seg = ss->seg;
        for (uint32_t c = 0; c < seg->call_count && rc == LPS_OK; c++) {
            call_record cr;
            segment_call(seg, c, &cr);
            if (cr.doc_count > 0 && snapshot_is_deleted(ss, cr.first_doc))
                continue;
            for (uint32_t t = 0; t < cr.turn_count && rc == LPS_OK; t++) {
                turn_record tr;
                if (segment_turn(seg, cr.first_turn + t, &tr) != LPS_OK || tr.call != c ||
                    tr.speaker < cr.first_speaker || tr.speaker - cr.first_speaker >= cr.speaker_count ||
                    tr.first_doc < cr.first_doc || tr.first_doc - cr.first_doc > cr.doc_count)
                    return corrupt(ss, SECTION_TURNS, err, "turn record does not fit its call");
                turn_record out = tr;
                out.call = call_index;
                out.speaker = speaker_base + (tr.speaker - cr.first_speaker);
                out.first_doc = doc_base + (tr.first_doc - cr.first_doc);
                rc = segment_writer_add_turn(w, &out);
            }
            call_index++;
            speaker_base += cr.speaker_count;
            doc_base += cr.doc_count;
        }
    }
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        const snapshot_segment *ss = src[i].snap;
        text_reader tr;
        text_reader_init(&tr, ss->seg);
        for (uint32_t d = 0; d < ss->seg->doc_count && rc == LPS_OK; d++) {
            if (src[i].doc_map[d] == UINT32_MAX)
                continue;
            const char *text;
            size_t len;
            uint32_t line;
            rc = text_reader_get(&tr, d, &text, &len, &line);
            if (rc == LPS_ECORRUPT) {
                text_reader_free(&tr);
                return corrupt(ss, SECTION_TEXT, err, "stored text does not decode");
            }
            if (rc == LPS_OK)
                rc = segment_writer_add_doc(w, segment_doc_length(ss->seg, d), line, text, len);
        }
        text_reader_free(&tr);
        segment_release(ss->seg, SECTION_TEXT, ss->seg->sections[SECTION_TEXT].length);
    }
    return rc;
}

static int compare_key(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

static int merge_postings(segment_writer *w, merge_source *src, size_t n, lps_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int r = term_cursor_seek(&src[i].terms, src[i].snap->seg, "", 0);
        if (r < 0)
            return corrupt(src[i].snap, SECTION_TERMS, err, "term dictionary does not decode");
        src[i].has_term = r;
    }
    posting_cursor pc;
    memset(&pc, 0, sizeof pc);
    int rc = LPS_OK;
    for (;;) {
        /* The smallest current term; n is small, a linear scan beats a heap. */
        const term_cursor *min = NULL;
        for (size_t i = 0; i < n; i++)
            if (src[i].has_term &&
                (!min || compare_key(src[i].terms.term, src[i].terms.term_len, min->term, min->term_len) < 0))
                min = &src[i].terms;
        if (!min)
            break;
        char term[TERM_MAX_BYTES + 1];
        size_t term_len = min->term_len;
        memcpy(term, min->term, term_len);
        int begun = 0;
        for (size_t i = 0; i < n && rc == LPS_OK; i++) {
            if (!src[i].has_term || compare_key(src[i].terms.term, src[i].terms.term_len, term, term_len) != 0)
                continue;
            const snapshot_segment *ss = src[i].snap;
            int r = posting_cursor_open(&pc, ss->seg, &src[i].terms.info);
            while (r > 0 && rc == LPS_OK) {
                uint32_t mapped = src[i].doc_map[pc.doc];
                if (mapped != UINT32_MAX) {
                    const uint32_t *positions;
                    int count = posting_cursor_positions(&pc, &positions);
                    if (count <= 0) {
                        r = count == -LPS_ENOMEM ? -LPS_ENOMEM : -LPS_ECORRUPT;
                        break;
                    }
                    if (!begun) {
                        rc = segment_writer_begin_term(w, term, term_len);
                        begun = 1;
                    }
                    if (rc == LPS_OK)
                        rc = segment_writer_add_posting(w, mapped, positions, (uint32_t)count);
                }
                r = posting_cursor_next(&pc);
            }
            /* posting_cursor_open clears the cursor: free its positions
             * buffer before the next list reopens it. */
            posting_cursor_close(&pc);
            if (r == -LPS_ENOMEM)
                rc = LPS_ENOMEM;
            else if (r < 0) {
                posting_cursor_close(&pc);
                return corrupt(ss, SECTION_POSTINGS, err, "posting list does not decode");
            }
            /* Everything before this term's lists has been copied. */
            if (++src[i].terms_done % 1024 == 0) {
                segment_release(ss->seg, SECTION_POSTINGS, src[i].terms.info.postings_offset);
                segment_release(ss->seg, SECTION_POSITIONS, src[i].terms.info.positions_offset);
            }
            r = term_cursor_next(&src[i].terms);
            if (r < 0) {
                posting_cursor_close(&pc);
                return corrupt(ss, SECTION_TERMS, err, "term dictionary does not decode");
            }
            src[i].has_term = r;
        }
        if (rc == LPS_OK && begun)
            rc = segment_writer_end_term(w);
        if (rc != LPS_OK)
            break;
    }
    posting_cursor_close(&pc);
    return rc;
}

int segment_merge(const char *dir, const snapshot_segment *sources, size_t n, uint64_t new_id,
                  uint32_t flags, segment_write_info *info, lps_error *err)
{
    merge_source *src = lps_calloc(n ? n : 1, sizeof *src);
    if (!src)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory merging segments");
    int rc = LPS_OK;
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        src[i].snap = &sources[i];
        size_t docs = sources[i].seg->doc_count;
        src[i].doc_map = lps_malloc((docs ? docs : 1) * sizeof *src[i].doc_map);
        if (!src[i].doc_map)
            rc = lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory merging segments");
    }
    segment_writer *w = NULL;
    if (rc == LPS_OK)
        rc = segment_writer_open(dir, new_id, flags, &w, err);
    if (rc == LPS_OK) {
        lps_error_clear(err);
        rc = merge_tables(w, src, n, err);
        if (rc == LPS_OK)
            rc = merge_postings(w, src, n, err);
        if (rc == LPS_OK)
            rc = segment_writer_finish(w, info, err);
        else if (err && err->code == LPS_OK)
            lps_error_set(err, rc, dir, -1, -1, "cannot merge segments: %s", lps_strerror(rc));
    }
    segment_writer_free(w);
    for (size_t i = 0; i < n; i++)
        lps_free(src[i].doc_map);
    lps_free(src);
    return rc;
}
