#include "index_check.h"

#include "alloc.h"
#include "bytes.h"
#include "error_internal.h"

#include <string.h>

static int compare_key(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

static int check_tables(const segment *s, index_check_stats *st, lps_error *err)
{
    uint32_t next_doc = 0, next_turn = 0, next_speaker = 0;
    for (uint32_t c = 0; c < s->call_count; c++) {
        call_record cr;
        if (segment_call(s, c, &cr) != LPS_OK)
            return segment_corrupt(s, SECTION_CALLS, err, "call %u does not decode", c);
        if (cr.first_doc != next_doc || cr.first_turn != next_turn || cr.first_speaker != next_speaker)
            return segment_corrupt(s, SECTION_CALLS, err, "call %u does not follow the previous call", c);
        if (cr.doc_count == 0)
            return segment_corrupt(s, SECTION_CALLS, err, "call %u has no documents", c);
        uint32_t turn_doc = cr.first_doc;
        for (uint32_t t = cr.first_turn; t < cr.first_turn + cr.turn_count; t++) {
            turn_record tr;
            segment_turn(s, t, &tr);
            if (tr.call != c || tr.first_doc != turn_doc || tr.speaker < cr.first_speaker ||
                tr.speaker - cr.first_speaker >= cr.speaker_count)
                return segment_corrupt(s, SECTION_TURNS, err, "turn %u does not fit call %u", t, c);
            turn_doc += tr.doc_count;
            st->turns++;
        }
        if (turn_doc != cr.first_doc + cr.doc_count)
            return segment_corrupt(s, SECTION_TURNS, err, "the turns of call %u do not cover its documents", c);
        for (uint32_t sp = cr.first_speaker; sp < cr.first_speaker + cr.speaker_count; sp++) {
            speaker_record sr;
            if (segment_speaker(s, sp, &sr) != LPS_OK)
                return segment_corrupt(s, SECTION_SPEAKERS, err, "speaker %u does not decode", sp);
            st->speakers++;
        }
        next_doc += cr.doc_count;
        next_turn += cr.turn_count;
        next_speaker += cr.speaker_count;
        st->calls++;
    }
    if (next_doc != s->doc_count || next_turn != s->turn_count || next_speaker != s->speaker_count)
        return segment_corrupt(s, SECTION_CALLS, err, "calls do not cover all documents, turns and speakers");
    for (uint32_t d = 0; d < s->doc_count; d++) {
        uint32_t turn;
        if (segment_doc_turn(s, d, &turn) != LPS_OK)
            return segment_corrupt(s, SECTION_TURNS, err, "document %u belongs to no turn", d);
    }
    text_reader tr;
    text_reader_init(&tr, s);
    for (uint32_t d = 0; d < s->doc_count; d++) {
        const char *text;
        size_t len;
        uint32_t line;
        int rc = text_reader_get(&tr, d, &text, &len, &line);
        if (rc != LPS_OK) {
            text_reader_free(&tr);
            if (rc == LPS_ENOMEM)
                return lps_error_set(err, rc, s->path, -1, -1, "out of memory reading text");
            return segment_corrupt(s, SECTION_TEXT, err, "the text of document %u does not decode", d);
        }
        if (memchr(text, 0, len) != NULL) {
            text_reader_free(&tr);
            return segment_corrupt(s, SECTION_TEXT, err, "the text of document %u holds a NUL byte", d);
        }
        st->texts++;
    }
    text_reader_free(&tr);
    return LPS_OK;
}

static int check_postings(const segment *s, uint32_t *freq_sum, index_check_stats *st, lps_error *err)
{
    term_cursor tc;
    posting_cursor pc;
    memset(&pc, 0, sizeof pc);
    char prev[TERM_MAX_BYTES];
    size_t prev_len = 0;
    uint64_t terms = 0, postings_end = 0, positions_end = 0;
    int rc = term_cursor_seek(&tc, s, "", 0);
    for (; rc > 0; rc = term_cursor_next(&tc)) {
        if (terms > 0 && compare_key(prev, prev_len, tc.term, tc.term_len) >= 0) {
            posting_cursor_close(&pc);
            return segment_corrupt(s, SECTION_TERMS, err, "terms are out of order at \"%.*s\"",
                                   (int)tc.term_len, tc.term);
        }
        if (tc.term_len == 0) {
            posting_cursor_close(&pc);
            return segment_corrupt(s, SECTION_TERMS, err, "an empty term");
        }
        memcpy(prev, tc.term, tc.term_len);
        prev_len = tc.term_len;
        const term_info *ti = &tc.info;
        if (ti->postings_offset != postings_end || ti->positions_offset != positions_end) {
            posting_cursor_close(&pc);
            return segment_corrupt(s, SECTION_TERMS, err, "term \"%s\" does not start where the previous ended",
                                   tc.term);
        }
        postings_end += ti->postings_length;
        positions_end += ti->positions_length;
        uint64_t df = 0, cf = 0;
        uint32_t term_max = 0, term_min = UINT32_MAX;
        int64_t last = -1;
        int r = posting_cursor_open(&pc, s, ti);
        uint32_t block = 0, block_max = 0, block_min = UINT32_MAX;
        for (; r > 0; r = posting_cursor_next(&pc)) {
            uint32_t doc = pc.doc, freq = posting_cursor_freq(&pc);
            if ((int64_t)doc <= last)
                break;
            last = doc;
            const uint32_t *pos;
            int n = posting_cursor_positions(&pc, &pos);
            if (n != (int)freq) {
                r = n == -LPS_ENOMEM ? n : -LPS_ECORRUPT;
                break;
            }
            uint32_t length = segment_doc_length(s, doc);
            for (int k = 0; k < n; k++)
                if (pos[k] >= length || (k > 0 && pos[k] <= pos[k - 1]))
                    r = -LPS_ECORRUPT;
            if (r < 0)
                break;
            freq_sum[doc] += freq;
            df++;
            cf += freq;
            st->positions += freq;
            if (freq > term_max)
                term_max = freq;
            if (length < term_min)
                term_min = length;
            if (freq > block_max)
                block_max = freq;
            if (length < block_min)
                block_min = length;
            if (pc.skips && pc.in_block == pc.block_len - 1) {
                uint32_t bl, bf, bm;
                posting_cursor_block_bounds(&pc, block, &bl, &bf, &bm);
                if (bl != doc || bf != block_max || bm != block_min) {
                    r = -LPS_ECORRUPT;
                    break;
                }
                block++;
                block_max = 0;
                block_min = UINT32_MAX;
            }
        }
        posting_cursor_close(&pc);
        if (r == -LPS_ENOMEM)
            return lps_error_set(err, LPS_ENOMEM, s->path, -1, -1, "out of memory reading the positions of \"%s\"",
                                 tc.term);
        if (r < 0 || df != ti->df || cf != ti->cf || term_max != ti->max_freq || term_min != ti->min_length) {
            posting_cursor_close(&pc);
            return segment_corrupt(s, SECTION_POSTINGS, err,
                                   "the postings of \"%s\" do not decode to the dictionary's counts", tc.term);
        }
        st->postings += df;
        terms++;
    }
    posting_cursor_close(&pc);
    if (rc < 0)
        return segment_corrupt(s, SECTION_TERMS, err, "the dictionary does not decode");
    if (terms != s->term_count)
        return segment_corrupt(s, SECTION_TERMS, err, "%llu terms decoded, the header says %llu",
                               (unsigned long long)terms, (unsigned long long)s->term_count);
    if (postings_end != s->sections[SECTION_POSTINGS].length)
        return segment_corrupt(s, SECTION_POSTINGS, err, "posting lists do not fill the section");
    if (positions_end != s->sections[SECTION_POSITIONS].length)
        return segment_corrupt(s, SECTION_POSITIONS, err, "position lists do not fill the section");
    st->terms += terms;
    return LPS_OK;
}

int segment_check(const segment *s, index_check_stats *st, lps_error *err)
{
    int rc = check_tables(s, st, err);
    if (rc != LPS_OK)
        return rc;
    uint32_t *freq_sum = lps_calloc(s->doc_count ? s->doc_count : 1, sizeof *freq_sum);
    if (!freq_sum)
        return lps_error_set(err, LPS_ENOMEM, s->path, -1, -1, "out of memory checking");
    rc = check_postings(s, freq_sum, st, err);
    uint64_t tokens = 0;
    for (uint32_t d = 0; rc == LPS_OK && d < s->doc_count; d++) {
        uint32_t length = segment_doc_length(s, d);
        if (freq_sum[d] != length)
            rc = segment_corrupt(s, SECTION_DOCS, err,
                                 "document %u has length %u but its terms occur %u times", d, length,
                                 freq_sum[d]);
        tokens += length;
    }
    lps_free(freq_sum);
    if (rc == LPS_OK && tokens != s->total_tokens)
        rc = segment_corrupt(s, SECTION_DOCS, err, "document lengths do not sum to the header's total");
    if (rc == LPS_OK) {
        st->documents += s->doc_count;
        st->segments++;
        st->bytes_verified += s->map_len;
    }
    return rc;
}

int index_check(const index_snapshot *snap, index_check_stats *st, lps_error *err)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        int rc = segment_check(ss->seg, st, err);
        if (rc != LPS_OK)
            return rc;
        /* Deletion is per call: a marker covering part of a call is damage. */
        for (uint32_t c = 0; ss->deleted && c < ss->seg->call_count; c++) {
            call_record cr;
            segment_call(ss->seg, c, &cr);
            int first = snapshot_is_deleted(ss, cr.first_doc);
            for (uint32_t d = cr.first_doc; d < cr.first_doc + cr.doc_count; d++)
                if (snapshot_is_deleted(ss, d) != first)
                    return lps_error_set_section(err, LPS_ECORRUPT, ss->seg->path, "deletions", -1,
                                                 "call %u is only partly deleted", c);
        }
    }
    return LPS_OK;
}
