/*
 * Segment reader.  See indexer/segment_writer.c for the format.  Every
 * decoder here checks its bounds against the section it reads from: a
 * checksum verified at open makes corruption unlikely, never impossible
 * (a writer bug, a hash collision), and a reader must not crash on it.
 */
#include "segment.h"

#include "alloc.h"
#include "bitpack.h"
#include "bytes.h"
#include "error_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

/*
 * Largest decompressed text block a writer can produce: it closes a block at
 * the first document that reaches TEXT_BLOCK_BYTES, and no sentence is
 * longer than a transcript (TRANSCRIPT_MAX_BYTES, 256 MiB, in
 * indexer/transcript.h), plus the two varints and the NUL of its record.
 * A reader refuses larger sizes before allocating for them.
 */
#define TEXT_BLOCK_MAX_RAW ((uint64_t)TEXT_BLOCK_BYTES + ((uint64_t)256 << 20) + 2 * 10 + 1)

static const char *const section_names[SECTION_ID_MAX + 1] = {
    "header", "postings", "positions", "terms", "term-index", "docs",
    "turns", "speakers", "calls", "text", "text-index", "text-dict",
};

const char *segment_section_name(unsigned id)
{
    return id <= SECTION_ID_MAX ? section_names[id] : "unknown";
}

int segment_corrupt(const segment *s, unsigned section, lps_error *err, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lps_error_set_section(err, LPS_ECORRUPT, s->path, segment_section_name(section), -1,
                                 "%s", msg);
}

static int corrupt_at(const char *path, const char *section, lps_error *err, const char *msg)
{
    return lps_error_set_section(err, LPS_ECORRUPT, path, section, -1, "%s", msg);
}

/* Reads a string field: varint(n + 1), n bytes, NUL; 0 means NULL. */
static int get_string(const unsigned char **p, const unsigned char *end, const char **out)
{
    uint64_t n;
    if (!varint_get(p, end, &n))
        return 0;
    if (n == 0) {
        *out = NULL;
        return 1;
    }
    if (n > (uint64_t)(end - *p) || (*p)[n - 1] != 0 || memchr(*p, 0, n - 1) != NULL)
        return 0;
    *out = (const char *)*p;
    *p += n;
    return 1;
}

static int check_tables(segment *s, lps_error *err)
{
    const segment_section *sec;

    /* DOCS */
    sec = &s->sections[SECTION_DOCS];
    if (sec->length < 8 || load_le32(sec->data) != s->doc_count)
        return segment_corrupt(s, SECTION_DOCS, err, "document table does not match the header");
    s->doc_length_width = sec->data[4];
    if ((s->doc_length_width != 1 && s->doc_length_width != 2 && s->doc_length_width != 4) ||
        sec->length != 8 + (uint64_t)s->doc_count * s->doc_length_width)
        return segment_corrupt(s, SECTION_DOCS, err, "document table has a bad width or size");
    /* BM25's average length comes from the header's total: one that
     * disagrees with the table would change every score, unseen. */
    uint64_t tokens = 0;
    for (uint32_t d = 0; d < s->doc_count; d++)
        tokens += segment_doc_length(s, d);
    if (tokens != s->total_tokens)
        return segment_corrupt(s, SECTION_DOCS, err, "document lengths do not sum to the header's total");

    /* TURNS */
    sec = &s->sections[SECTION_TURNS];
    if (sec->length < 4)
        return segment_corrupt(s, SECTION_TURNS, err, "turn table is truncated");
    s->turn_count = load_le32(sec->data + sec->length - 4);
    if ((uint64_t)s->turn_count * TURN_RECORD_SIZE + 4 != sec->length)
        return segment_corrupt(s, SECTION_TURNS, err, "turn table size does not match its count");

    /* SPEAKERS and CALLS: records, offsets, count. */
    for (unsigned id = SECTION_SPEAKERS; id <= SECTION_CALLS; id++) {
        sec = &s->sections[id];
        if (sec->length < 12)
            return segment_corrupt(s, id, err, "table is truncated");
        uint32_t count = load_le32(sec->data + sec->length - 8);
        uint64_t table = (uint64_t)(count + 1ull) * 4;
        if (table + 8 > sec->length)
            return segment_corrupt(s, id, err, "table count %u does not fit the section", count);
        uint64_t records_end = sec->length - 8 - table;
        const unsigned char *offsets = sec->data + records_end;
        if (load_le32(offsets + (uint64_t)count * 4) != records_end)
            return segment_corrupt(s, id, err, "record offsets do not end at the offset table");
        uint32_t prev = 0;
        for (uint32_t i = 0; i <= count; i++) {
            uint32_t off = load_le32(offsets + (uint64_t)i * 4);
            if (off < prev || off > records_end || (i == 0 && off != 0))
                return segment_corrupt(s, id, err, "record offsets are not increasing");
            prev = off;
        }
        if (id == SECTION_SPEAKERS)
            s->speaker_count = count;
        else if (count != s->call_count)
            return segment_corrupt(s, id, err, "call table holds %u calls, the header says %u",
                                   count, s->call_count);
    }

    /* TERM_INDEX */
    sec = &s->sections[SECTION_TERM_INDEX];
    if (sec->length < 16)
        return segment_corrupt(s, SECTION_TERM_INDEX, err, "term index is truncated");
    s->term_block_count = load_le32(sec->data);
    uint64_t term_count = load_le64(sec->data + 8);
    if (sec->length != 16 + (uint64_t)s->term_block_count * 8 || term_count != s->term_count ||
        (uint64_t)s->term_block_count != (term_count + TERMS_PER_BLOCK - 1) / TERMS_PER_BLOCK)
        return segment_corrupt(s, SECTION_TERM_INDEX, err, "term index does not match the term count");
    uint64_t prev_off = 0;
    for (uint32_t b = 0; b < s->term_block_count; b++) {
        uint64_t off = load_le64(sec->data + 16 + (uint64_t)b * 8);
        if (off >= s->sections[SECTION_TERMS].length || (b > 0 && off <= prev_off) ||
            (b == 0 && off != 0))
            return segment_corrupt(s, SECTION_TERM_INDEX, err, "term block %u has a bad offset", b);
        prev_off = off;
    }

    /* TEXT_INDEX */
    sec = &s->sections[SECTION_TEXT_INDEX];
    if (sec->length < 8 + TEXT_INDEX_ENTRY_SIZE)
        return segment_corrupt(s, SECTION_TEXT_INDEX, err, "text index is truncated");
    s->text_block_count = load_le32(sec->data);
    uint32_t text_flags = load_le32(sec->data + 4);
    if (sec->length != 8 + ((uint64_t)s->text_block_count + 1) * TEXT_INDEX_ENTRY_SIZE ||
        (text_flags & ~1u) != 0)
        return segment_corrupt(s, SECTION_TEXT_INDEX, err, "text index size does not match its count");
    uint32_t prev_doc = 0;
    uint64_t prev_text = 0;
    for (uint32_t b = 0; b <= s->text_block_count; b++) {
        const unsigned char *e = sec->data + 8 + (uint64_t)b * TEXT_INDEX_ENTRY_SIZE;
        uint32_t first = load_le32(e), raw_size = load_le32(e + 4);
        uint64_t off = load_le64(e + 8);
        int last = b == s->text_block_count;
        if ((b == 0 && (first != 0 || off != 0)) || (b > 0 && (first <= prev_doc || off <= prev_text)) ||
            first > s->doc_count || off > s->sections[SECTION_TEXT].length ||
            (last && (first != s->doc_count || off != s->sections[SECTION_TEXT].length)))
            return segment_corrupt(s, SECTION_TEXT_INDEX, err, "text block %u has a bad entry", b);
        /* Each record takes at least 3 bytes (two varints and a NUL). */
        uint64_t block_docs = last ? 0 : (uint64_t)load_le32(e + TEXT_INDEX_ENTRY_SIZE) - first;
        if (!last && (raw_size > TEXT_BLOCK_MAX_RAW || raw_size < 3 * block_docs))
            return segment_corrupt(s, SECTION_TEXT_INDEX, err, "text block %u has a bad size %u", b, raw_size);
        if (s->doc_count == 0 && last && b == 0)
            break;
        prev_doc = first;
        prev_text = off;
    }
    if (text_flags & 1u) {
        sec = &s->sections[SECTION_TEXT_DICT];
        if (!sec->data)
            return segment_corrupt(s, SECTION_TEXT_INDEX, err, "text uses a dictionary the segment lacks");
        s->text_ddict = (struct ZSTD_DDict_s *)ZSTD_createDDict(sec->data, sec->length);
        if (!s->text_ddict)
            return segment_corrupt(s, SECTION_TEXT_DICT, err, "text dictionary does not load");
    }

    /* Every turn must lie inside its call and the document range. */
    for (uint32_t t = 0; t < s->turn_count; t++) {
        turn_record tr;
        if (segment_turn(s, t, &tr) != LPS_OK || tr.call >= s->call_count ||
            tr.speaker >= s->speaker_count || (uint64_t)tr.first_doc + tr.doc_count > s->doc_count)
            return segment_corrupt(s, SECTION_TURNS, err, "turn %u points outside the segment", t);
    }
    return LPS_OK;
}

/*
 * XXH64 of a section.  Large sections are hashed in 8 MiB steps, each
 * released once hashed, so opening a multi-GB segment never makes all of it
 * resident at once.
 */
static uint64_t section_hash(const segment *s, unsigned id)
{
    const segment_section *sec = &s->sections[id];
    const uint64_t step = (uint64_t)8 << 20;
    if (sec->length <= step || (id != SECTION_POSTINGS && id != SECTION_POSITIONS && id != SECTION_TEXT))
        return XXH64(sec->data, sec->length, 0);
    XXH64_state_t *state = XXH64_createState();
    if (!state)
        return XXH64(sec->data, sec->length, 0);
    XXH64_reset(state, 0);
    for (uint64_t done = 0; done < sec->length;) {
        uint64_t n = sec->length - done < step ? sec->length - done : step;
        XXH64_update(state, sec->data + done, (size_t)n);
        done += n;
        segment_release(s, id, done);
    }
    uint64_t h = XXH64_digest(state);
    XXH64_freeState(state);
    return h;
}

int segment_open(const char *path, uint64_t expected_id, segment **out, lps_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return lps_error_set(err, e == ENOENT ? LPS_ENOENT : LPS_EIO, path, -1, -1,
                             "cannot open segment: %s", strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "segment is not a regular file");
    }
    if ((uint64_t)st.st_size < SEGMENT_HEADER_SIZE + SEGMENT_FOOTER_SIZE) {
        close(fd);
        return corrupt_at(path, "header", err, "segment is truncated: shorter than its header and footer");
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED)
        return lps_error_set(err, LPS_EIO, path, -1, -1, "cannot map segment: %s", strerror(map_errno));

    segment *s = lps_calloc(1, sizeof *s);
    if (!s || !(s->path = lps_strdup(path))) {
        munmap(map, (size_t)st.st_size);
        lps_free(s);
        return lps_error_set(err, LPS_ENOMEM, path, -1, -1, "out of memory opening segment");
    }
    s->map = map;
    s->map_len = (size_t)st.st_size;
    const unsigned char *m = s->map;
    int rc;

    if (memcmp(m, SEGMENT_MAGIC, 8) != 0) {
        rc = segment_corrupt(s, 0, err, "not an lpsearch segment (bad magic)");
        goto fail;
    }
    if (XXH64(m, 56, 0) != load_le64(m + 56)) {
        rc = segment_corrupt(s, 0, err, "header checksum mismatch");
        goto fail;
    }
    uint32_t version = load_le32(m + 8);
    if (version != SEGMENT_FORMAT_VERSION) {
        rc = lps_error_set_section(err, LPS_EVERSION, path, "header", -1,
                                   "segment format version %u; this lpsearch reads version %u",
                                   version, SEGMENT_FORMAT_VERSION);
        goto fail;
    }
    s->flags = load_le32(m + 12);
    s->analyzer_rules = load_le32(m + 16);
    s->unicode_version = load_le32(m + 20);
    s->id = load_le64(m + 24);
    s->doc_count = load_le32(m + 32);
    s->call_count = load_le32(m + 36);
    s->total_tokens = load_le64(m + 40);
    s->term_count = load_le64(m + 48);
    if ((s->flags & ~SEGMENT_KNOWN_FLAGS) != 0) {
        rc = segment_corrupt(s, 0, err, "unknown header flags 0x%x", s->flags);
        goto fail;
    }
    if (s->analyzer_rules != ANALYZER_RULES_VERSION) {
        rc = lps_error_set_section(err, LPS_EVERSION, path, "header", -1,
                                   "segment was written with tokenizer rules %u; this lpsearch uses %u",
                                   s->analyzer_rules, ANALYZER_RULES_VERSION);
        goto fail;
    }
    if (expected_id != UINT64_MAX && s->id != expected_id) {
        rc = segment_corrupt(s, 0, err, "segment id %llu does not match its file name",
                             (unsigned long long)s->id);
        goto fail;
    }

    /* Footer and directory. */
    const unsigned char *footer = m + s->map_len - SEGMENT_FOOTER_SIZE;
    if (memcmp(footer + 24, SEGMENT_FOOTER_MAGIC, 8) != 0) {
        rc = corrupt_at(path, "footer", err, "segment is truncated or its footer is damaged");
        goto fail;
    }
    uint64_t dir_off = load_le64(footer);
    uint32_t entries = load_le32(footer + 8);
    if (entries == 0 || entries > SECTION_ID_MAX || dir_off < SEGMENT_HEADER_SIZE ||
        dir_off + (uint64_t)entries * SEGMENT_DIR_ENTRY_SIZE != s->map_len - SEGMENT_FOOTER_SIZE) {
        rc = corrupt_at(path, "footer", err, "footer points to a directory outside the file");
        goto fail;
    }
    /* No checksum covers the footer: each of its fields must hold the one
     * value that fits, the zero field included, or a flip there goes unseen. */
    if (load_le32(footer + 12) != 0) {
        rc = corrupt_at(path, "footer", err, "footer's zero field is not zero");
        goto fail;
    }
    if (XXH64(m + dir_off, (size_t)entries * SEGMENT_DIR_ENTRY_SIZE, 0) != load_le64(footer + 16)) {
        rc = corrupt_at(path, "directory", err, "section directory checksum mismatch");
        goto fail;
    }
    uint64_t expect_off = SEGMENT_HEADER_SIZE;
    for (uint32_t i = 0; i < entries; i++) {
        const unsigned char *e = m + dir_off + (uint64_t)i * SEGMENT_DIR_ENTRY_SIZE;
        uint32_t id = load_le32(e);
        uint64_t off = load_le64(e + 8), len = load_le64(e + 16);
        if (id == 0 || id > SECTION_ID_MAX || s->sections[id].data || off != expect_off ||
            len > dir_off - off) {
            rc = corrupt_at(path, "directory", err, "section directory entry is invalid");
            goto fail;
        }
        s->sections[id].data = m + off;
        s->sections[id].offset = off;
        s->sections[id].length = len;
        s->sections[id].checksum = load_le64(e + 24);
        expect_off = off + len;
    }
    if (expect_off != dir_off) {
        rc = corrupt_at(path, "directory", err, "sections do not fill the file");
        goto fail;
    }
    for (unsigned id = 1; id <= SECTION_ID_MAX; id++) {
        if (!s->sections[id].data) {
            if (id == SECTION_TEXT_DICT)
                continue;
            rc = segment_corrupt(s, id, err, "section is missing");
            goto fail;
        }
        if (section_hash(s, id) != s->sections[id].checksum) {
            rc = segment_corrupt(s, id, err, "checksum mismatch: the section is corrupted");
            goto fail;
        }
    }
    rc = check_tables(s, err);
    if (rc != LPS_OK)
        goto fail;
    /* Verifying touched every page; the large sections need not stay
     * resident until a query or a merge reads them (then they fault back
     * in from the page cache).  Keeps a writer's memory near its budget
     * however large the index it opens. */
    segment_release(s, SECTION_POSTINGS, s->sections[SECTION_POSTINGS].length);
    segment_release(s, SECTION_POSITIONS, s->sections[SECTION_POSITIONS].length);
    segment_release(s, SECTION_TEXT, s->sections[SECTION_TEXT].length);
    *out = s;
    return LPS_OK;

fail:
    segment_close(s);
    return rc;
}

void segment_close(segment *s)
{
    if (!s)
        return;
    if (s->text_ddict)
        ZSTD_freeDDict((ZSTD_DDict *)s->text_ddict);
    if (s->map)
        munmap((void *)s->map, s->map_len);
    lps_free(s->path);
    lps_free(s);
}

/* ---- Tables ------------------------------------------------------------ */

uint32_t segment_doc_length(const segment *s, uint32_t doc)
{
    assert(doc < s->doc_count);
    const unsigned char *p = s->sections[SECTION_DOCS].data + 8;
    switch (s->doc_length_width) {
    case 1:
        return p[doc];
    case 2:
        return load_le16(p + (size_t)doc * 2);
    default:
        return load_le32(p + (size_t)doc * 4);
    }
}

int segment_turn(const segment *s, uint32_t turn, turn_record *out)
{
    if (turn >= s->turn_count)
        return LPS_ECORRUPT;
    const unsigned char *p = s->sections[SECTION_TURNS].data + (size_t)turn * TURN_RECORD_SIZE;
    out->call = load_le32(p);
    out->speaker = load_le32(p + 4);
    out->first_doc = load_le32(p + 8);
    out->doc_count = load_le32(p + 12);
    out->label_line = load_le32(p + 16);
    return LPS_OK;
}

int segment_doc_turn(const segment *s, uint32_t doc, uint32_t *turn)
{
    /* Last turn whose first document is <= doc and that holds documents:
     * empty turns share their first_doc with the next turn. */
    uint32_t lo = 0, hi = s->turn_count;
    const unsigned char *t = s->sections[SECTION_TURNS].data;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (load_le32(t + (size_t)mid * TURN_RECORD_SIZE + 8) <= doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo > 0) {
        turn_record tr;
        segment_turn(s, lo - 1, &tr);
        if (tr.doc_count > 0) {
            if (doc >= tr.first_doc && doc - tr.first_doc < tr.doc_count) {
                *turn = lo - 1;
                return LPS_OK;
            }
            break;
        }
        lo--;
    }
    return LPS_ECORRUPT;
}

static const unsigned char *record_at(const segment_section *sec, uint32_t i, uint32_t count,
                                      const unsigned char **end)
{
    uint64_t table = (uint64_t)(count + 1ull) * 4;
    const unsigned char *offsets = sec->data + sec->length - 8 - table;
    if (i >= count)
        return NULL;
    *end = sec->data + load_le32(offsets + (uint64_t)(i + 1) * 4);
    return sec->data + load_le32(offsets + (uint64_t)i * 4);
}

int segment_speaker(const segment *s, uint32_t speaker, speaker_record *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *end;
    const unsigned char *p = record_at(&s->sections[SECTION_SPEAKERS], speaker, s->speaker_count, &end);
    if (!p || p >= end)
        return LPS_ECORRUPT;
    out->name_source = *p++;
    if (out->name_source > 2 || !get_string(&p, end, &out->label) || !get_string(&p, end, &out->name) ||
        !get_string(&p, end, &out->role) || !get_string(&p, end, &out->firm) || p != end)
        return LPS_ECORRUPT;
    return LPS_OK;
}

int segment_call(const segment *s, uint32_t call, call_record *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *end;
    const unsigned char *p = record_at(&s->sections[SECTION_CALLS], call, s->call_count, &end);
    if (!p || end - p < 40)
        return LPS_ECORRUPT;
    out->content_hash = load_le64(p);
    out->first_doc = load_le32(p + 8);
    out->doc_count = load_le32(p + 12);
    out->first_turn = load_le32(p + 16);
    out->turn_count = load_le32(p + 20);
    out->first_speaker = load_le32(p + 24);
    out->speaker_count = load_le32(p + 28);
    out->year = (int32_t)load_le32(p + 32);
    out->quarter = (int32_t)load_le32(p + 36);
    p += 40;
    if (!get_string(&p, end, &out->path) || !get_string(&p, end, &out->file) ||
        !get_string(&p, end, &out->title) || !get_string(&p, end, &out->company) ||
        !get_string(&p, end, &out->ticker) || !get_string(&p, end, &out->date) ||
        !get_string(&p, end, &out->layout) || !get_string(&p, end, &out->notes) || p != end)
        return LPS_ECORRUPT;
    if ((uint64_t)out->first_doc + out->doc_count > s->doc_count ||
        (uint64_t)out->first_turn + out->turn_count > s->turn_count ||
        (uint64_t)out->first_speaker + out->speaker_count > s->speaker_count)
        return LPS_ECORRUPT;
    return LPS_OK;
}

/* ---- Dictionary -------------------------------------------------------- */

static int load_block(term_cursor *c, uint32_t block)
{
    const segment *s = c->seg;
    const segment_section *terms = &s->sections[SECTION_TERMS];
    const unsigned char *index = s->sections[SECTION_TERM_INDEX].data + 16;
    uint64_t off = load_le64(index + (uint64_t)block * 8);
    uint64_t end = block + 1 < s->term_block_count ? load_le64(index + (uint64_t)(block + 1) * 8)
                                                   : terms->length;
    c->block = block;
    c->in_block = 0;
    c->term_len = 0;
    c->p = terms->data + off;
    c->end = terms->data + end;
    uint64_t remaining = s->term_count - (uint64_t)block * TERMS_PER_BLOCK;
    c->block_terms = remaining < TERMS_PER_BLOCK ? (uint32_t)remaining : TERMS_PER_BLOCK;
    if (!varint_get(&c->p, c->end, &c->next_postings) || !varint_get(&c->p, c->end, &c->next_positions))
        return -LPS_ECORRUPT;
    return 1;
}

/* Decodes the next entry of the loaded block into the cursor. */
static int decode_entry(term_cursor *c)
{
    uint64_t shared, suffix, df, cf_extra, max_freq, min_length, plen, qlen;
    if (!varint_get(&c->p, c->end, &shared) || !varint_get(&c->p, c->end, &suffix) ||
        shared > c->term_len || (c->in_block == 0 && shared != 0) ||
        shared + suffix > TERM_MAX_BYTES || suffix > (uint64_t)(c->end - c->p))
        return -LPS_ECORRUPT;
    memcpy(c->term + shared, c->p, suffix);
    c->p += suffix;
    c->term_len = shared + suffix;
    c->term[c->term_len] = '\0';
    if (!varint_get(&c->p, c->end, &df) || !varint_get(&c->p, c->end, &cf_extra) ||
        !varint_get(&c->p, c->end, &max_freq) || !varint_get(&c->p, c->end, &min_length) ||
        !varint_get(&c->p, c->end, &plen) || !varint_get(&c->p, c->end, &qlen))
        return -LPS_ECORRUPT;
    const segment *s = c->seg;
    if (df == 0 || df > s->doc_count || cf_extra > UINT64_MAX - df ||
        plen > s->sections[SECTION_POSTINGS].length - c->next_postings ||
        c->next_postings > s->sections[SECTION_POSTINGS].length ||
        c->next_positions > s->sections[SECTION_POSITIONS].length ||
        qlen > s->sections[SECTION_POSITIONS].length - c->next_positions)
        return -LPS_ECORRUPT;
    c->info.df = (uint32_t)df;
    c->info.cf = df + cf_extra;
    c->info.postings_offset = c->next_postings;
    c->info.postings_length = plen;
    c->info.positions_offset = c->next_positions;
    c->info.positions_length = qlen;
    if (max_freq == 0 || max_freq > UINT32_MAX || min_length > UINT32_MAX)
        return -LPS_ECORRUPT;
    c->info.max_freq = (uint32_t)max_freq;
    c->info.min_length = (uint32_t)min_length;
    c->next_postings += plen;
    c->next_positions += qlen;
    c->in_block++;
    return 1;
}

static int compare_key(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

/* First term of a block, decoded without a cursor. */
static int block_first_term(const segment *s, uint32_t block, const char **term, size_t *len)
{
    const segment_section *terms = &s->sections[SECTION_TERMS];
    const unsigned char *p = terms->data + load_le64(s->sections[SECTION_TERM_INDEX].data + 16 + (uint64_t)block * 8);
    const unsigned char *end = terms->data + terms->length;
    uint64_t skip, shared, suffix;
    if (!varint_get(&p, end, &skip) || !varint_get(&p, end, &skip) || !varint_get(&p, end, &shared) ||
        !varint_get(&p, end, &suffix) || shared != 0 || suffix > TERM_MAX_BYTES ||
        suffix > (uint64_t)(end - p))
        return -LPS_ECORRUPT;
    *term = (const char *)p;
    *len = suffix;
    return 1;
}

int term_cursor_seek(term_cursor *c, const segment *s, const char *key, size_t len)
{
    memset(c, 0, sizeof *c);
    c->seg = s;
    if (s->term_block_count == 0) {
        c->block = 0;
        c->block_terms = 0;
        return 0;
    }
    /* Last block whose first term is <= key. */
    uint32_t lo = 0, hi = s->term_block_count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *t;
        size_t tlen;
        if (block_first_term(s, mid, &t, &tlen) < 0)
            return -LPS_ECORRUPT;
        if (compare_key(t, tlen, key, len) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    int rc = load_block(c, lo);
    if (rc < 0)
        return rc;
    for (;;) {
        rc = term_cursor_next(c);
        if (rc <= 0)
            return rc;
        if (compare_key(c->term, c->term_len, key, len) >= 0)
            return 1;
    }
}

int term_cursor_next(term_cursor *c)
{
    if (c->in_block == c->block_terms) {
        if (c->block_terms == 0 || c->block + 1 >= c->seg->term_block_count) {
            c->block_terms = c->in_block; /* stay at the end */
            return 0;
        }
        uint64_t postings = c->next_postings, positions = c->next_positions;
        int rc = load_block(c, c->block + 1);
        if (rc < 0)
            return rc;
        /* Blocks restate their offsets; they must continue the previous block's. */
        if (c->next_postings != postings || c->next_positions != positions)
            return -LPS_ECORRUPT;
    }
    return decode_entry(c);
}

int segment_term_lookup(const segment *s, const char *term, size_t len, term_info *info)
{
    term_cursor c;
    int rc = term_cursor_seek(&c, s, term, len);
    if (rc <= 0)
        return rc;
    if (compare_key(c.term, c.term_len, term, len) != 0)
        return 0;
    *info = c.info;
    return 1;
}

/* ---- Postings ---------------------------------------------------------- */

static int decode_block(posting_cursor *c, uint32_t block)
{
    const unsigned char *p, *end = c->list_end;
    uint32_t prev_doc;
    if (c->skips) {
        const unsigned char *e = c->skips + (size_t)block * SKIP_ENTRY_SIZE;
        uint64_t off = load_le32(e + 4);
        if (off > (uint64_t)(end - c->blocks))
            return -LPS_ECORRUPT;
        p = c->blocks + off;
        prev_doc = block == 0 ? UINT32_MAX : load_le32(e - SKIP_ENTRY_SIZE);
        if (block + 1 < c->block_count) {
            uint64_t next = load_le32(e + SKIP_ENTRY_SIZE + 4);
            if (next < off || next > (uint64_t)(end - c->blocks))
                return -LPS_ECORRUPT;
            end = c->blocks + next;
        }
    } else {
        p = c->blocks;
        prev_doc = UINT32_MAX;
    }
    uint32_t n = block + 1 < c->block_count || c->info.df % POSTING_BLOCK == 0
                     ? POSTING_BLOCK
                     : c->info.df % POSTING_BLOCK;
    uint64_t doc = prev_doc; /* UINT32_MAX stands for -1: the first gap adds 1 */
    if (n == POSTING_BLOCK) {
        if (end - p < 2)
            return -LPS_ECORRUPT;
        unsigned gw = p[0], fw = p[1];
        p += 2;
        if (gw > 32 || fw > 32 ||
            (uint64_t)(end - p) < bitpack_bytes(POSTING_BLOCK, gw) + bitpack_bytes(POSTING_BLOCK, fw))
            return -LPS_ECORRUPT;
        bitpack_decode_block(p, gw, c->docs);
        p += bitpack_bytes(POSTING_BLOCK, gw);
        bitpack_decode_block(p, fw, c->freqs);
        /* Prefix sum with the checks hoisted out of the loop: documents
         * only grow, so the last one bounds them all, and a wrapped
         * frequency shows up in the OR of the zero tests. */
        uint64_t next = (uint32_t)(doc + 1); /* the smallest id the next document may have */
        uint32_t wrapped = 0;
        for (uint32_t i = 0; i < POSTING_BLOCK; i++) {
            next += c->docs[i];
            c->docs[i] = (uint32_t)next;
            next += 1;
            c->freqs[i] += 1;
            wrapped |= c->freqs[i] == 0;
        }
        if (next - 1 >= c->seg->doc_count || wrapped)
            return -LPS_ECORRUPT;
    } else {
        for (uint32_t i = 0; i < n; i++) {
            uint64_t v;
            if (!varint_get(&p, end, &v))
                return -LPS_ECORRUPT;
            doc = (uint32_t)(doc + 1) + (v >> 1);
            if (doc >= c->seg->doc_count)
                return -LPS_ECORRUPT;
            c->docs[i] = (uint32_t)doc;
            if (v & 1) {
                c->freqs[i] = 1;
            } else {
                uint32_t f;
                if (!varint_get32(&p, end, &f) || f < 2)
                    return -LPS_ECORRUPT;
                c->freqs[i] = f;
            }
        }
    }
    if (c->skips && c->docs[n - 1] != load_le32(c->skips + (size_t)block * SKIP_ENTRY_SIZE))
        return -LPS_ECORRUPT;
    c->block = block;
    c->block_len = n;
    c->in_block = 0;
    c->positions_ready = 0;
    c->doc = c->docs[0];
    return 1;
}

int posting_cursor_open(posting_cursor *c, const segment *s, const term_info *info)
{
    memset(c, 0, sizeof *c);
    c->seg = s;
    c->info = *info;
    c->doc = UINT32_MAX;
    const segment_section *post = &s->sections[SECTION_POSTINGS], *pos = &s->sections[SECTION_POSITIONS];
    if (info->df == 0 || info->postings_offset > post->length ||
        info->postings_length > post->length - info->postings_offset ||
        info->positions_offset > pos->length ||
        info->positions_length > pos->length - info->positions_offset)
        return -LPS_ECORRUPT;
    c->list = post->data + info->postings_offset;
    c->list_end = c->list + info->postings_length;
    c->pos_list = pos->data + info->positions_offset;
    c->pos_end = c->pos_list + info->positions_length;
    c->block_count = (info->df + POSTING_BLOCK - 1) / POSTING_BLOCK;
    if (info->df >= POSTING_BLOCK) {
        uint64_t table = (uint64_t)c->block_count * SKIP_ENTRY_SIZE;
        if (table > info->postings_length)
            return -LPS_ECORRUPT;
        c->skips = c->list;
        c->blocks = c->list + table;
    } else {
        c->blocks = c->list;
    }
    int rc = decode_block(c, 0);
    if (rc < 0)
        c->doc = UINT32_MAX;
    return rc;
}

int posting_cursor_next(posting_cursor *c)
{
    if (c->doc == UINT32_MAX)
        return 0;
    if (++c->in_block < c->block_len) {
        c->doc = c->docs[c->in_block];
        return 1;
    }
    if (c->block + 1 >= c->block_count) {
        c->doc = UINT32_MAX;
        c->block = c->block_count;
        return 0;
    }
    int rc = decode_block(c, c->block + 1);
    if (rc < 0)
        c->doc = UINT32_MAX;
    return rc;
}

/*
 * The first block after c->block whose last document is >= target, or
 * c->block_count.  Skip entries are searched by galloping (1, 2, 4, ...
 * blocks ahead, then binary search in the last gap): a rare list driving a
 * dense one jumps over thousands of blocks in a few probes, while a target
 * in the next block costs one probe.
 */
static uint32_t skip_search(const posting_cursor *c, uint32_t target)
{
    uint32_t lo = c->block + 1, step = 1, hi;
    for (;;) {
        hi = lo + step - 1;
        if (hi >= c->block_count) {
            hi = c->block_count;
            break;
        }
        if (load_le32(c->skips + (size_t)hi * SKIP_ENTRY_SIZE) >= target)
            break;
        lo = hi + 1;
        step *= 2;
    }
    /* Every block before lo ends below target; block hi (if any) does not. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (load_le32(c->skips + (size_t)mid * SKIP_ENTRY_SIZE) < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int posting_cursor_advance(posting_cursor *c, uint32_t target)
{
    if (c->doc == UINT32_MAX)
        return 0;
    if (c->doc >= target)
        return 1;
    if (c->docs[c->block_len - 1] < target) {
        uint32_t b = c->skips ? skip_search(c, target) : c->block_count;
        if (b >= c->block_count) {
            c->doc = UINT32_MAX;
            c->block = c->block_count;
            return 0;
        }
        int rc = decode_block(c, b);
        if (rc < 0) {
            c->doc = UINT32_MAX;
            return rc;
        }
        if (c->doc >= target)
            return 1;
    }
    /* The block's last document is >= target, so the scan stops inside it. */
    uint32_t i = c->in_block;
    while (c->docs[i] < target)
        i++;
    c->in_block = i;
    c->doc = c->docs[i];
    return 1;
}

int posting_cursor_block_bounds(const posting_cursor *c, uint32_t block, uint32_t *last_doc,
                                uint32_t *max_freq, uint32_t *min_length)
{
    if (!c->skips || block >= c->block_count)
        return LPS_EARG;
    const unsigned char *e = c->skips + (size_t)block * SKIP_ENTRY_SIZE;
    *last_doc = load_le32(e);
    *max_freq = load_le32(e + 12);
    *min_length = load_le32(e + 16);
    return LPS_OK;
}

static int decode_positions(posting_cursor *c)
{
    const unsigned char *p = c->pos_list;
    if (c->skips) {
        uint64_t off = load_le32(c->skips + (size_t)c->block * SKIP_ENTRY_SIZE + 8);
        if (off > (uint64_t)(c->pos_end - c->pos_list))
            return -LPS_ECORRUPT;
        p += off;
    }
    /* 128 frequencies below 2^32 cannot overflow 64 bits: check once. */
    uint64_t total = 0;
    for (uint32_t i = 0; i < c->block_len; i++) {
        c->pos_start[i] = (uint32_t)total;
        total += c->freqs[i];
    }
    if (total > UINT32_MAX / 2)
        return -LPS_ECORRUPT;
    c->pos_start[c->block_len] = (uint32_t)total;
    if (total > c->positions_cap) {
        size_t cap = c->positions_cap ? c->positions_cap : 256;
        while (cap < total)
            cap *= 2;
        uint32_t *grown = lps_realloc(c->positions, (cap + POSITION_RUN) * sizeof *grown);
        if (!grown)
            return -LPS_ENOMEM;
        c->positions = grown;
        c->positions_cap = cap;
    }
    for (uint64_t done = 0; done < total;) {
        size_t n = total - done < POSITION_RUN ? (size_t)(total - done) : POSITION_RUN;
        if (p >= c->pos_end)
            return -LPS_ECORRUPT;
        unsigned w = *p++;
        if (w > 32 || bitpack_bytes(n, w) > (size_t)(c->pos_end - p))
            return -LPS_ECORRUPT;
        bitpack_decode(p, n, w, c->positions + done);
        p += bitpack_bytes(n, w);
        done += n;
    }
    memset(c->positions_absolute, 0, sizeof c->positions_absolute);
    c->positions_ready = 1;
    return 1;
}

int posting_cursor_positions(posting_cursor *c, const uint32_t **positions)
{
    if (c->doc == UINT32_MAX)
        return 0;
    if (!c->positions_ready) {
        int rc = decode_positions(c);
        if (rc < 0)
            return rc;
    }
    uint32_t i = c->in_block;
    uint32_t *q = c->positions + c->pos_start[i];
    uint64_t bit = UINT64_C(1) << (i % 64);
    if (!(c->positions_absolute[i / 64] & bit)) {
        /* Stored as the first position, then gaps minus one. */
        uint64_t prev = q[0];
        for (uint32_t j = 1; j < c->freqs[i]; j++) {
            prev = prev + 1 + q[j];
            if (prev > UINT32_MAX)
                return -LPS_ECORRUPT;
            q[j] = (uint32_t)prev;
        }
        c->positions_absolute[i / 64] |= bit;
    }
    *positions = q;
    return (int)c->freqs[i];
}

void posting_cursor_close(posting_cursor *c)
{
    if (!c)
        return;
    lps_free(c->positions);
    c->positions = NULL;
    c->positions_cap = 0;
}

/* ---- Stored text ------------------------------------------------------- */

void text_reader_init(text_reader *r, const segment *s)
{
    memset(r, 0, sizeof *r);
    r->seg = s;
    r->block = UINT32_MAX;
}

static int load_text_block(text_reader *r, uint32_t block)
{
    const segment *s = r->seg;
    const unsigned char *e = s->sections[SECTION_TEXT_INDEX].data + 8 + (size_t)block * TEXT_INDEX_ENTRY_SIZE;
    uint32_t first = load_le32(e), raw_size = load_le32(e + 4);
    uint64_t off = load_le64(e + 8);
    uint32_t next_first = load_le32(e + TEXT_INDEX_ENTRY_SIZE);
    uint64_t next_off = load_le64(e + TEXT_INDEX_ENTRY_SIZE + 8);
    const void *src = s->sections[SECTION_TEXT].data + off;
    /* The writer's frames state their size: a frame that disagrees with the
     * index is refused before a buffer of the claimed size is allocated. */
    if (ZSTD_getFrameContentSize(src, next_off - off) != raw_size)
        return LPS_ECORRUPT;
    if (!r->dctx && !(r->dctx = (struct ZSTD_DCtx_s *)ZSTD_createDCtx()))
        return LPS_ENOMEM;
    if (raw_size > r->raw_cap) {
        unsigned char *grown = lps_realloc(r->raw, raw_size);
        if (!grown)
            return LPS_ENOMEM;
        r->raw = grown;
        r->raw_cap = raw_size;
    }
    uint32_t docs = next_first - first;
    if (docs > r->doc_offsets_cap) {
        uint32_t *grown = lps_realloc(r->doc_offsets, (size_t)docs * sizeof *grown);
        if (!grown)
            return LPS_ENOMEM;
        r->doc_offsets = grown;
        r->doc_offsets_cap = docs;
    }
    r->block = UINT32_MAX;
    size_t n = s->text_ddict
                   ? ZSTD_decompress_usingDDict((ZSTD_DCtx *)r->dctx, r->raw, raw_size, src,
                                                next_off - off, (const ZSTD_DDict *)s->text_ddict)
                   : ZSTD_decompressDCtx((ZSTD_DCtx *)r->dctx, r->raw, raw_size, src, next_off - off);
    if (ZSTD_isError(n) || n != raw_size)
        return LPS_ECORRUPT;
    const unsigned char *p = r->raw, *end = r->raw + raw_size;
    for (uint32_t i = 0; i < docs; i++) {
        uint64_t line, len;
        r->doc_offsets[i] = (uint32_t)(p - r->raw);
        /* Texts are C strings of exactly len bytes: sentences never hold a NUL. */
        if (!varint_get(&p, end, &line) || !varint_get(&p, end, &len) || line > UINT32_MAX ||
            len >= (uint64_t)(end - p) || p[len] != 0 || memchr(p, 0, (size_t)len) != NULL)
            return LPS_ECORRUPT;
        p += len + 1;
    }
    if (p != end)
        return LPS_ECORRUPT;
    r->block = block;
    r->raw_len = raw_size;
    r->first_doc = first;
    r->doc_count = docs;
    return LPS_OK;
}

int text_reader_get(text_reader *r, uint32_t doc, const char **text, size_t *len, uint32_t *line)
{
    const segment *s = r->seg;
    if (doc >= s->doc_count)
        return LPS_EARG;
    if (r->block == UINT32_MAX || doc < r->first_doc || doc - r->first_doc >= r->doc_count) {
        /* Last block whose first document is <= doc. */
        const unsigned char *idx = s->sections[SECTION_TEXT_INDEX].data + 8;
        uint32_t lo = 0, hi = s->text_block_count;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (load_le32(idx + (size_t)mid * TEXT_INDEX_ENTRY_SIZE) <= doc)
                lo = mid;
            else
                hi = mid;
        }
        int rc = load_text_block(r, lo);
        if (rc != LPS_OK)
            return rc;
    }
    const unsigned char *p = r->raw + r->doc_offsets[doc - r->first_doc];
    const unsigned char *end = r->raw + r->raw_len;
    uint64_t l = 0, n = 0;
    /* The block was validated whole when it was loaded. */
    int ok = varint_get(&p, end, &l) && varint_get(&p, end, &n);
    assert(ok);
    (void)ok;
    *line = (uint32_t)l;
    *len = (size_t)n;
    *text = (const char *)p;
    return LPS_OK;
}

void text_reader_free(text_reader *r)
{
    if (!r)
        return;
    ZSTD_freeDCtx((ZSTD_DCtx *)r->dctx);
    lps_free(r->raw);
    lps_free(r->doc_offsets);
    memset(r, 0, sizeof *r);
    r->block = UINT32_MAX;
}

void segment_release(const segment *s, unsigned section, uint64_t upto)
{
    const segment_section *sec = &s->sections[section];
    if (!sec->data || upto == 0)
        return;
    if (upto > sec->length)
        upto = sec->length;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return;
    uintptr_t start = (uintptr_t)sec->data, end = (uintptr_t)(sec->data + upto);
    start = (start + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    end &= ~((uintptr_t)page - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_DONTNEED);
}
