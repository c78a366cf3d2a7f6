/*
 * Segment file format, version 1.
 *
 * A segment is one immutable file, seg-<id as 16 hex digits>.lps, holding a
 * slice of the index: documents (sentences) numbered from 0, their metadata
 * and stored text, and an inverted index over them.  Every integer is
 * little-endian.  "varint" is unsigned LEB128 (7 bits per byte, low group
 * first, high bit set on all bytes but the last, at most 10 bytes).  A
 * "string" is varint(n + 1) followed by n bytes of UTF-8 and a NUL byte, or
 * the single byte 0 for "no value".
 *
 * File layout:
 *
 *   header      64 bytes at offset 0
 *   sections    one after another, in the order of their ids, no padding
 *   directory   one 32-byte entry per section present
 *   footer      the last 32 bytes of the file
 *
 * Header:
 *   0   8  magic "LPSSEGMT"
 *   8   4  format version (1)
 *   12  4  flags: bit 0 = terms are English (Snowball) stems; others zero
 *   16  4  analyzer rules version (tokenizer rules of common/analyzer.c)
 *   20  4  Unicode version of the case folding tables, major<<16|minor<<8|patch
 *   24  8  segment id (matches the file name and the manifest)
 *   32  4  document count
 *   36  4  call count
 *   40  8  total tokens (sum of document lengths)
 *   48  8  term count
 *   56  8  XXH64 (seed 0) of bytes 0..55
 *
 * Directory entry:
 *   0   4  section id (1..11, see segment_format.h), each at most once
 *   4   4  zero
 *   8   8  offset of the section from the start of the file
 *   16  8  length in bytes
 *   24  8  XXH64 (seed 0) of the section's bytes
 *
 * Footer:
 *   0   8  offset of the directory
 *   8   4  number of directory entries
 *   12  4  zero
 *   16  8  XXH64 (seed 0) of the directory's bytes
 *   24  8  magic "LPSSEGND"
 *
 * Sections (all are present except TEXT_DICT):
 *
 * POSTINGS (1): per term, in dictionary order, contiguous.  A term with df
 *   documents has B = ceil(df / 128) blocks of 128 documents, the last one
 *   possibly short (the tail).  When df >= 128 the list opens with a skip
 *   table of B 20-byte entries:
 *     0  4  last document id of the block
 *     4  4  byte offset of the block, from the end of the skip table
 *     8  4  byte offset of the block's positions, from the term's first
 *           byte in POSITIONS
 *     12 4  largest term frequency in the block
 *     16 4  smallest document length in the block
 *   The last two bound the BM25 contribution of every document in the block
 *   for any k1, b and average length (the score rises with frequency and
 *   falls with length).  Gaps are "document id minus previous document id
 *   minus 1", the previous id being -1 before the first document of the term.
 *   A full block (128 documents) is:
 *     1 byte  gap width g, 1 byte frequency width f (0..32),
 *     bitpack(128 gaps, g), bitpack(128 frequencies minus 1, f)
 *   where bitpack(n values, w) is ceil(n*w/8) bytes holding value i in bits
 *   [i*w, i*w+w) of the bytes read as a little-endian bit stream.  The tail
 *   block (fewer than 128 documents; the whole list when df < 128) is, per
 *   document, varint(gap << 1 | (frequency == 1)) and, when the frequency is
 *   not 1, varint(frequency).
 *
 * POSITIONS (2): per term, contiguous, in the order of its postings blocks.
 *   A block's positions are the positions of its documents in document
 *   order, each document's ascending and coded as the first position, then
 *   "position minus previous position minus 1".  The block's values are
 *   coded in runs of 128: 1 byte width w, bitpack(run, w); the last run of a
 *   block may be short.  Positions count tokens from 0 within a sentence.
 *
 * TERMS (3): the dictionary, terms sorted by bytes, in blocks of 32 terms
 *   (the last block may hold fewer).  A block starts with varint postings
 *   offset and varint positions offset of its first term (offsets into
 *   POSTINGS and POSITIONS); each following term's offsets are the previous
 *   term's plus its lengths.  Then per term:
 *     varint shared prefix length with the previous term of the block (0 for
 *     the first), varint suffix length, suffix bytes, varint df,
 *     varint (cf - df), varint largest frequency, varint smallest document
 *     length, varint postings length, varint positions length.
 *   Terms are at most 256 bytes.
 *
 * TERM_INDEX (4): 4 bytes block count, 4 bytes zero, 8 bytes term count,
 *   then per block 8 bytes: offset of the block in TERMS.  Binary search on
 *   the first term of each block finds a term's block.
 *
 * DOCS (5): 4 bytes document count, 1 byte width W (1, 2 or 4), 3 bytes
 *   zero, then per document its length in tokens in W bytes.
 *
 * The record tables below end with their counts, so a writer can stream
 * the records before it knows how many there are.
 *
 * TURNS (6): per turn 20 bytes: call, speaker (segment-local indexes),
 *   first document, document count, 1-based line of the speaker label (0 for
 *   text before any label); then 4 bytes turn count.  Turns are in call
 *   order and their documents are consecutive; a turn may have none.
 *
 * SPEAKERS (7): the records, per speaker: 1 byte name source (0 unknown,
 *   1 label, 2 resolved from context), strings label, name, role, firm; then
 *   (count + 1) offsets of 4 bytes from the start of the section (the last
 *   one is the end of the records), then 4 bytes count, 4 bytes zero.
 *
 * CALLS (8): the records, per call: 8 bytes XXH3-64 of the source file,
 *   4 bytes each first document, document count, first turn, turn count,
 *   first speaker, speaker count, year, quarter (0 when unknown), then
 *   strings path, file, title, company, ticker, date, layout, notes (lines
 *   joined by "\n"); then offsets and counts as for SPEAKERS.
 *
 * TEXT (9): zstd frames, one per block of at most 256 documents or 16 KiB
 *   (a block closes at the first document that reaches 16 KiB).
 *   A block decompresses to, per document: varint source line, varint text
 *   length n, n bytes of text, a NUL byte.
 *
 * TEXT_INDEX (10): 4 bytes block count, 4 bytes flags (bit 0: frames use the
 *   TEXT_DICT dictionary), then block count + 1 entries of 16 bytes: first
 *   document, decompressed size, 8 bytes offset in TEXT.  The last entry is
 *   a sentinel: the document count, 0, the length of TEXT.
 *
 * TEXT_DICT (11, optional): a zstd dictionary for the TEXT frames, trained
 *   on the segment's first 1 MiB of text (only segments with that much).
 */
#include "segment_writer.h"

#include "alloc.h"
#include "bitpack.h"
#include "bytes.h"
#include "error_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>
#include <xxhash.h>
#include <zdict.h>
#include <zstd.h>

#define SPILL_THRESHOLD ((size_t)1 << 20)
/*
 * Text compression, measured on 300k generated sentences (34 MB, one
 * thread): level 6 stores the text 5% smaller than level 3 for 15% more
 * indexing CPU, and training the dictionary on 4 MiB instead of 1 MiB
 * gains 1% for 40% more; indexing speed won both times.
 */
#define TEXT_ZSTD_LEVEL 3
/* Text dictionary: trained on the first TEXT_DICT_SAMPLE_BYTES of a
 * segment's text when there is at least TEXT_DICT_MIN_SAMPLE of it. */
#define TEXT_DICT_BYTES (64u * 1024u)
#define TEXT_DICT_SAMPLE_BYTES ((size_t)1 << 20)
#define TEXT_DICT_MIN_SAMPLE ((size_t)1 << 20)

enum {
    W_POSTINGS, W_POSITIONS, W_TERMS, W_DOCS, W_TURNS, W_SPEAKERS, W_CALLS, W_TEXT,
    W_SPOOL_COUNT
};

struct segment_writer {
    char *dir;
    char final_path[4096];
    char tmp_path[4096];
    int fd;
    uint64_t id;
    uint32_t flags;
    int status;
    int failed_errno;

    spool spools[W_SPOOL_COUNT];

    /* Tables. */
    uint32_t call_count, speaker_count, turn_count;
    buffer call_offsets, speaker_offsets; /* u32 per record, from the record area */
    uint32_t *doc_lengths;
    uint32_t doc_count, doc_cap;
    uint64_t total_tokens;

    /* Stored text. */
    buffer text_raw;      /* the block being filled */
    uint32_t text_block_first_doc, text_block_docs;
    buffer text_index;    /* 16-byte entries */
    uint32_t text_block_count;
    uint64_t text_raw_bytes;
    ZSTD_CCtx *cctx;
    buffer text_frame;
    /* The first blocks wait uncompressed until the dictionary is decided. */
    int text_dict_settled;
    buffer held_text;
    uint32_t *held_sizes, *held_docs;
    uint32_t held_count, held_cap;
    buffer text_dict;      /* trained dictionary, empty when none */
    ZSTD_CDict *cdict;

    /* Dictionary. */
    char prev_term[TERM_MAX_BYTES];
    size_t prev_term_len;
    uint64_t term_count;
    buffer term_index;     /* u64 per block */
    uint32_t terms_in_block;
    uint64_t postings_offset, positions_offset;

    /* The term being written. */
    int in_term;
    char term[TERM_MAX_BYTES];
    size_t term_len;
    uint32_t df;
    uint64_t cf;
    uint32_t max_freq, min_length;
    int64_t last_doc;          /* -1 before the first posting */
    uint64_t term_positions_start;
    buffer blocks;             /* encoded postings blocks of this term */
    buffer skips;              /* 20-byte skip entries */
    uint32_t pend_docs[POSTING_BLOCK], pend_freqs[POSTING_BLOCK];
    uint32_t pend_count;
    int64_t pend_prev_doc;     /* last doc before the pending block */
    uint32_t block_max_freq, block_min_length;
    uint32_t block_positions_start; /* from the term's first positions byte */
    uint32_t pos_run[POSITION_RUN];
    uint32_t pos_run_len;
};

void segment_file_name(uint64_t id, char *buf, size_t size)
{
    snprintf(buf, size, "seg-%016llx.lps", (unsigned long long)id);
}

static void fail(segment_writer *w, int status)
{
    if (w->status == LPS_OK)
        w->status = status;
}

int segment_writer_open(const char *dir, uint64_t id, uint32_t flags, segment_writer **out,
                        lps_error *err)
{
    *out = NULL;
    segment_writer *w = lps_calloc(1, sizeof *w);
    if (!w)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory starting a segment");
    w->fd = -1;
    w->id = id;
    w->flags = flags;
    w->last_doc = -1;
    w->dir = lps_strdup(dir);
    char name[64];
    segment_file_name(id, name, sizeof name);
    int n1 = snprintf(w->final_path, sizeof w->final_path, "%s/%s", dir, name);
    int n2 = snprintf(w->tmp_path, sizeof w->tmp_path, "%s/%s.tmp", dir, name);
    if (!w->dir) {
        segment_writer_free(w);
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory starting a segment");
    }
    if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof w->tmp_path) {
        segment_writer_free(w);
        return lps_error_set(err, LPS_EARG, dir, -1, -1, "index directory path is too long");
    }
    for (int i = 0; i < W_SPOOL_COUNT; i++) {
        if (spool_init(&w->spools[i], w->dir, SPILL_THRESHOLD) != LPS_OK) {
            segment_writer_free(w);
            return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory starting a segment");
        }
    }
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx) {
        segment_writer_free(w);
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory starting a segment");
    }
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        segment_writer_free(w);
        return lps_error_set(err, LPS_EIO, dir, -1, -1, "cannot create segment file %s: %s", name,
                             strerror(e));
    }
    *out = w;
    return LPS_OK;
}

static void append_u32(buffer *b, uint32_t v)
{
    unsigned char tmp[4];
    store_le32(tmp, v);
    buffer_append(b, tmp, 4);
}

static void append_u64(buffer *b, uint64_t v)
{
    unsigned char tmp[8];
    store_le64(tmp, v);
    buffer_append(b, tmp, 8);
}

static void append_varint(buffer *b, uint64_t v)
{
    unsigned char tmp[VARINT_MAX_BYTES];
    buffer_append(b, tmp, varint_put(tmp, v));
}

int segment_writer_add_call(segment_writer *w, const call_record *c)
{
    spool *s = &w->spools[W_CALLS];
    assert(s->length <= UINT32_MAX);
    append_u32(&w->call_offsets, (uint32_t)s->length);
    spool_write_u64(s, c->content_hash);
    spool_write_u32(s, c->first_doc);
    spool_write_u32(s, c->doc_count);
    spool_write_u32(s, c->first_turn);
    spool_write_u32(s, c->turn_count);
    spool_write_u32(s, c->first_speaker);
    spool_write_u32(s, c->speaker_count);
    spool_write_u32(s, (uint32_t)c->year);
    spool_write_u32(s, (uint32_t)c->quarter);
    spool_write_string(s, c->path);
    spool_write_string(s, c->file);
    spool_write_string(s, c->title);
    spool_write_string(s, c->company);
    spool_write_string(s, c->ticker);
    spool_write_string(s, c->date);
    spool_write_string(s, c->layout);
    spool_write_string(s, c->notes);
    w->call_count++;
    if (w->call_offsets.failed)
        fail(w, LPS_ENOMEM);
    return w->status ? w->status : s->status;
}

int segment_writer_add_speaker(segment_writer *w, const speaker_record *sp)
{
    spool *s = &w->spools[W_SPEAKERS];
    assert(s->length <= UINT32_MAX);
    append_u32(&w->speaker_offsets, (uint32_t)s->length);
    unsigned char source = (unsigned char)sp->name_source;
    spool_write(s, &source, 1);
    spool_write_string(s, sp->label);
    spool_write_string(s, sp->name);
    spool_write_string(s, sp->role);
    spool_write_string(s, sp->firm);
    w->speaker_count++;
    if (w->speaker_offsets.failed)
        fail(w, LPS_ENOMEM);
    return w->status ? w->status : s->status;
}

int segment_writer_add_turn(segment_writer *w, const turn_record *t)
{
    spool *s = &w->spools[W_TURNS];
    assert(t->call < w->call_count && t->speaker < w->speaker_count);
    spool_write_u32(s, t->call);
    spool_write_u32(s, t->speaker);
    spool_write_u32(s, t->first_doc);
    spool_write_u32(s, t->doc_count);
    spool_write_u32(s, t->label_line);
    w->turn_count++;
    return s->status;
}

/* Compresses one raw block and appends it to TEXT and TEXT_INDEX. */
static void compress_text_block(segment_writer *w, const unsigned char *raw, size_t len, uint32_t docs)
{
    size_t bound = ZSTD_compressBound(len);
    buffer_reset(&w->text_frame);
    if (buffer_reserve(&w->text_frame, bound) != 0) {
        fail(w, LPS_ENOMEM);
        return;
    }
    size_t n = w->cdict ? ZSTD_compress_usingCDict(w->cctx, w->text_frame.data, bound, raw, len, w->cdict)
                        : ZSTD_compressCCtx(w->cctx, w->text_frame.data, bound, raw, len, TEXT_ZSTD_LEVEL);
    if (ZSTD_isError(n)) {
        fail(w, LPS_ENOMEM);
        return;
    }
    append_u32(&w->text_index, w->text_block_first_doc);
    append_u32(&w->text_index, (uint32_t)len);
    append_u64(&w->text_index, w->spools[W_TEXT].length);
    if (w->text_index.failed) {
        fail(w, LPS_ENOMEM);
        return;
    }
    spool_write(&w->spools[W_TEXT], w->text_frame.data, n);
    w->text_block_count++;
    w->text_block_first_doc += docs;
}

/*
 * Decides on a text dictionary from the blocks held back so far, then
 * compresses them.  A dictionary pays once a segment has a few MB of text
 * (measured on the bundled calls: 8 to 15% smaller 16-32 KiB blocks when
 * trained on other calls); below TEXT_DICT_MIN_SAMPLE its own size would
 * cost more than it saves.
 */
static void settle_text_dictionary(segment_writer *w)
{
    if (w->text_dict_settled || w->status)
        return;
    w->text_dict_settled = 1;
    if (w->held_text.len >= TEXT_DICT_MIN_SAMPLE) {
        unsigned char *dict = lps_malloc(TEXT_DICT_BYTES);
        size_t *sizes = lps_malloc(w->held_count * sizeof *sizes);
        if (dict && sizes) {
            for (uint32_t i = 0; i < w->held_count; i++)
                sizes[i] = w->held_sizes[i];
            size_t n = ZDICT_trainFromBuffer(dict, TEXT_DICT_BYTES, w->held_text.data, sizes, w->held_count);
            if (!ZDICT_isError(n)) {
                w->cdict = ZSTD_createCDict(dict, n, TEXT_ZSTD_LEVEL);
                if (w->cdict) {
                    buffer_append(&w->text_dict, dict, n);
                    if (w->text_dict.failed) {
                        ZSTD_freeCDict(w->cdict);
                        w->cdict = NULL;
                    }
                }
            }
            /* Training can refuse odd samples; the text is then stored without one. */
        }
        lps_free(dict);
        lps_free(sizes);
    }
    size_t off = 0;
    for (uint32_t i = 0; i < w->held_count && !w->status; i++) {
        compress_text_block(w, w->held_text.data + off, w->held_sizes[i], w->held_docs[i]);
        off += w->held_sizes[i];
    }
    buffer_free(&w->held_text);
    lps_free(w->held_sizes);
    lps_free(w->held_docs);
    w->held_sizes = w->held_docs = NULL;
    w->held_count = w->held_cap = 0;
}

/* Ends the block being filled: held back while the dictionary is undecided. */
static void flush_text_block(segment_writer *w)
{
    if (w->text_block_docs == 0 || w->status)
        return;
    if (!w->text_dict_settled) {
        if (w->held_count == w->held_cap) {
            uint32_t cap = w->held_cap ? w->held_cap * 2 : 64;
            uint32_t *sizes = lps_realloc(w->held_sizes, cap * sizeof *sizes);
            if (sizes)
                w->held_sizes = sizes;
            uint32_t *docs = lps_realloc(w->held_docs, cap * sizeof *docs);
            if (docs)
                w->held_docs = docs;
            if (!sizes || !docs) {
                fail(w, LPS_ENOMEM);
                return;
            }
            w->held_cap = cap;
        }
        buffer_append(&w->held_text, w->text_raw.data, w->text_raw.len);
        if (w->held_text.failed) {
            fail(w, LPS_ENOMEM);
            return;
        }
        w->held_sizes[w->held_count] = (uint32_t)w->text_raw.len;
        w->held_docs[w->held_count] = w->text_block_docs;
        w->held_count++;
        if (w->held_text.len >= TEXT_DICT_SAMPLE_BYTES)
            settle_text_dictionary(w);
    } else {
        compress_text_block(w, w->text_raw.data, w->text_raw.len, w->text_block_docs);
    }
    w->text_block_docs = 0;
    buffer_reset(&w->text_raw);
}

int segment_writer_add_doc(segment_writer *w, uint32_t length, uint32_t line, const char *text,
                           size_t text_len)
{
    if (w->status)
        return w->status;
    if (w->doc_count == UINT32_MAX - 1) {
        fail(w, LPS_ELIMIT);
        return w->status;
    }
    if (w->doc_count == w->doc_cap) {
        uint32_t cap = w->doc_cap ? w->doc_cap * 2 : 1024;
        uint32_t *grown = lps_realloc(w->doc_lengths, (size_t)cap * sizeof *grown);
        if (!grown) {
            fail(w, LPS_ENOMEM);
            return w->status;
        }
        w->doc_lengths = grown;
        w->doc_cap = cap;
    }
    w->doc_lengths[w->doc_count++] = length;
    w->total_tokens += length;

    append_varint(&w->text_raw, line);
    append_varint(&w->text_raw, text_len);
    buffer_append(&w->text_raw, text, text_len);
    buffer_append_byte(&w->text_raw, 0);
    w->text_raw_bytes += text_len;
    if (w->text_raw.failed) {
        fail(w, LPS_ENOMEM);
        return w->status;
    }
    w->text_block_docs++;
    if (w->text_block_docs >= TEXT_BLOCK_DOCS || w->text_raw.len >= TEXT_BLOCK_BYTES)
        flush_text_block(w);
    return w->status;
}

/* ---- Terms and postings ------------------------------------------------ */

int segment_writer_begin_term(segment_writer *w, const char *term, size_t len)
{
    if (w->status)
        return w->status;
    assert(!w->in_term);
    assert(len <= TERM_MAX_BYTES);
    /* Terms must arrive strictly increasing: the dictionary's binary search
     * and the merge depend on it. */
    assert(w->term_count == 0 ||
           memcmp(w->prev_term, term, len < w->prev_term_len ? len : w->prev_term_len) < 0 ||
           (memcmp(w->prev_term, term, len < w->prev_term_len ? len : w->prev_term_len) == 0 &&
            w->prev_term_len < len));
    if (!w->text_dict_settled) {
        flush_text_block(w); /* all documents are in once terms start */
        settle_text_dictionary(w);
    }
    w->in_term = 1;
    memcpy(w->term, term, len);
    w->term_len = len;
    w->df = 0;
    w->cf = 0;
    w->max_freq = 0;
    w->min_length = UINT32_MAX;
    w->last_doc = -1;
    w->pend_prev_doc = -1;
    w->pend_count = 0;
    w->block_max_freq = 0;
    w->block_min_length = UINT32_MAX;
    w->pos_run_len = 0;
    w->term_positions_start = w->spools[W_POSITIONS].length;
    buffer_reset(&w->blocks);
    buffer_reset(&w->skips);
    return LPS_OK;
}

static void flush_position_run(segment_writer *w)
{
    if (w->pos_run_len == 0)
        return;
    unsigned width = bitpack_width(w->pos_run, w->pos_run_len);
    unsigned char packed[1 + POSITION_RUN * 4];
    packed[0] = (unsigned char)width;
    bitpack_encode(w->pos_run, w->pos_run_len, width, packed + 1);
    spool_write(&w->spools[W_POSITIONS], packed, 1 + bitpack_bytes(w->pos_run_len, width));
    w->pos_run_len = 0;
}

static void encode_full_block(segment_writer *w)
{
    uint32_t gaps[POSTING_BLOCK], freqs_minus1[POSTING_BLOCK];
    int64_t prev = w->pend_prev_doc;
    for (uint32_t i = 0; i < POSTING_BLOCK; i++) {
        gaps[i] = (uint32_t)((int64_t)w->pend_docs[i] - prev - 1);
        prev = w->pend_docs[i];
        freqs_minus1[i] = w->pend_freqs[i] - 1;
    }
    unsigned gw = bitpack_width(gaps, POSTING_BLOCK);
    unsigned fw = bitpack_width(freqs_minus1, POSTING_BLOCK);
    unsigned char out[2 + 2 * POSTING_BLOCK * 4];
    out[0] = (unsigned char)gw;
    out[1] = (unsigned char)fw;
    size_t n = 2;
    bitpack_encode(gaps, POSTING_BLOCK, gw, out + n);
    n += bitpack_bytes(POSTING_BLOCK, gw);
    bitpack_encode(freqs_minus1, POSTING_BLOCK, fw, out + n);
    n += bitpack_bytes(POSTING_BLOCK, fw);
    buffer_append(&w->blocks, out, n);
}

static void encode_tail_block(segment_writer *w)
{
    int64_t prev = w->pend_prev_doc;
    for (uint32_t i = 0; i < w->pend_count; i++) {
        uint64_t gap = (uint64_t)((int64_t)w->pend_docs[i] - prev - 1);
        prev = w->pend_docs[i];
        append_varint(&w->blocks, gap << 1 | (w->pend_freqs[i] == 1));
        if (w->pend_freqs[i] != 1)
            append_varint(&w->blocks, w->pend_freqs[i]);
    }
}

/* Closes the pending block: its skip entry, its postings, its positions. */
static void close_block(segment_writer *w)
{
    assert(w->pend_count > 0);
    unsigned char skip[SKIP_ENTRY_SIZE];
    store_le32(skip, w->pend_docs[w->pend_count - 1]);
    store_le32(skip + 4, (uint32_t)w->blocks.len);
    store_le32(skip + 8, w->block_positions_start);
    store_le32(skip + 12, w->block_max_freq);
    store_le32(skip + 16, w->block_min_length);
    if (w->pend_count == POSTING_BLOCK)
        encode_full_block(w);
    else
        encode_tail_block(w);
    flush_position_run(w);
    buffer_append(&w->skips, skip, SKIP_ENTRY_SIZE);
    w->pend_prev_doc = w->pend_docs[w->pend_count - 1];
    w->pend_count = 0;
    w->block_max_freq = 0;
    w->block_min_length = UINT32_MAX;
}

int segment_writer_add_posting(segment_writer *w, uint32_t doc, const uint32_t *positions,
                               uint32_t freq)
{
    if (w->status)
        return w->status;
    assert(w->in_term);
    assert(freq > 0 && doc < w->doc_count && (int64_t)doc > w->last_doc);
    if (w->pend_count == 0) {
        /* Where this block's positions start, for its skip entry. */
        uint64_t offset = w->spools[W_POSITIONS].length - w->term_positions_start;
        if (offset > UINT32_MAX) {
            fail(w, LPS_ELIMIT);
            return w->status;
        }
        w->block_positions_start = (uint32_t)offset;
    }
    w->pend_docs[w->pend_count] = doc;
    w->pend_freqs[w->pend_count] = freq;
    w->pend_count++;
    uint32_t length = w->doc_lengths[doc];
    if (freq > w->block_max_freq)
        w->block_max_freq = freq;
    if (length < w->block_min_length)
        w->block_min_length = length;
    if (freq > w->max_freq)
        w->max_freq = freq;
    if (length < w->min_length)
        w->min_length = length;
    w->df++;
    w->cf += freq;
    w->last_doc = doc;

    uint32_t prev = 0;
    for (uint32_t i = 0; i < freq; i++) {
        assert(i == 0 || positions[i] > positions[i - 1]);
        w->pos_run[w->pos_run_len++] = i == 0 ? positions[0] : positions[i] - prev - 1;
        prev = positions[i];
        if (w->pos_run_len == POSITION_RUN)
            flush_position_run(w);
    }
    if (w->pend_count == POSTING_BLOCK)
        close_block(w);
    if (w->blocks.failed || w->skips.failed)
        fail(w, LPS_ENOMEM);
    return w->status;
}

int segment_writer_end_term(segment_writer *w)
{
    if (w->status)
        return w->status;
    assert(w->in_term && w->df > 0);
    if (w->pend_count > 0)
        close_block(w);
    if (w->blocks.failed || w->skips.failed) {
        fail(w, LPS_ENOMEM);
        return w->status;
    }
    spool *postings = &w->spools[W_POSTINGS];
    uint64_t list_start = postings->length;
    if (w->df >= POSTING_BLOCK)
        spool_write(postings, w->skips.data, w->skips.len);
    spool_write(postings, w->blocks.data, w->blocks.len);
    uint64_t postings_length = postings->length - list_start;
    uint64_t positions_length = w->spools[W_POSITIONS].length - w->term_positions_start;

    /* Dictionary entry, front-coded within its block. */
    spool *terms = &w->spools[W_TERMS];
    size_t shared = 0;
    if (w->terms_in_block == TERMS_PER_BLOCK)
        w->terms_in_block = 0;
    if (w->terms_in_block == 0) {
        append_u64(&w->term_index, terms->length);
        spool_write_varint(terms, list_start);
        spool_write_varint(terms, w->term_positions_start);
    } else {
        while (shared < w->term_len && shared < w->prev_term_len &&
               w->term[shared] == w->prev_term[shared])
            shared++;
    }
    spool_write_varint(terms, shared);
    spool_write_varint(terms, w->term_len - shared);
    spool_write(terms, w->term + shared, w->term_len - shared);
    spool_write_varint(terms, w->df);
    spool_write_varint(terms, w->cf - w->df);
    spool_write_varint(terms, w->max_freq);
    spool_write_varint(terms, w->min_length);
    spool_write_varint(terms, postings_length);
    spool_write_varint(terms, positions_length);
    w->terms_in_block++;
    w->term_count++;
    memcpy(w->prev_term, w->term, w->term_len);
    w->prev_term_len = w->term_len;
    w->in_term = 0;
    if (w->term_index.failed)
        fail(w, LPS_ENOMEM);
    return w->status;
}

/* ---- Finishing --------------------------------------------------------- */

typedef struct section_out {
    unsigned id;
    uint64_t offset, length, checksum;
} section_out;

static int write_bytes(segment_writer *w, const void *p, size_t len)
{
    const unsigned char *b = p;
    while (len > 0) {
        ssize_t n = write(w->fd, b, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->failed_errno = errno;
            return LPS_EIO;
        }
        b += n;
        len -= (size_t)n;
    }
    return LPS_OK;
}

/* Writes an in-memory section and records it. */
static int emit_buffer(segment_writer *w, unsigned id, const buffer *b, uint64_t *pos,
                       section_out *dir, unsigned *count)
{
    section_out *s = &dir[(*count)++];
    s->id = id;
    s->offset = *pos;
    s->length = b->len;
    s->checksum = XXH64(b->data, b->len, 0);
    *pos += b->len;
    return write_bytes(w, b->data, b->len);
}

static int emit_spool(segment_writer *w, unsigned id, spool *sp, uint64_t *pos,
                      section_out *dir, unsigned *count)
{
    section_out *s = &dir[(*count)++];
    s->id = id;
    s->offset = *pos;
    s->length = sp->length;
    s->checksum = spool_hash(sp);
    *pos += sp->length;
    int rc = spool_copy_to(sp, w->fd);
    if (rc == LPS_EIO)
        w->failed_errno = sp->saved_errno;
    return rc;
}

static uint32_t unicode_version_packed(void)
{
    unsigned major = 0, minor = 0, patch = 0;
    sscanf(utf8proc_unicode_version(), "%u.%u.%u", &major, &minor, &patch);
    return major << 16 | minor << 8 | patch;
}

static int sync_directory(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int segment_writer_finish(segment_writer *w, segment_write_info *info, lps_error *err)
{
    if (info)
        memset(info, 0, sizeof *info);
    assert(!w->in_term);
    flush_text_block(w);
    settle_text_dictionary(w);
    if (w->status == LPS_OK) {
        for (int i = 0; i < W_SPOOL_COUNT; i++) {
            if (w->spools[i].status != LPS_OK) {
                w->status = w->spools[i].status;
                w->failed_errno = w->spools[i].saved_errno;
                break;
            }
        }
    }
    if (w->status != LPS_OK)
        goto failed;

    /* Small tables are assembled in memory; the record tables get their
     * trailers (offsets, counts) appended to their spools. */
    buffer term_index = BUFFER_INIT, docs = BUFFER_INIT, text_index = BUFFER_INIT;
    append_u32(&term_index, (uint32_t)(w->term_index.len / 8));
    append_u32(&term_index, 0);
    append_u64(&term_index, w->term_count);
    buffer_append(&term_index, w->term_index.data, w->term_index.len);

    uint32_t max_length = 0;
    for (uint32_t i = 0; i < w->doc_count; i++)
        if (w->doc_lengths[i] > max_length)
            max_length = w->doc_lengths[i];
    unsigned width = max_length <= UINT8_MAX ? 1 : max_length <= UINT16_MAX ? 2 : 4;
    append_u32(&docs, w->doc_count);
    unsigned char wb[4] = {(unsigned char)width, 0, 0, 0};
    buffer_append(&docs, wb, 4);
    if (buffer_reserve(&docs, (size_t)w->doc_count * width) == 0) {
        for (uint32_t i = 0; i < w->doc_count; i++) {
            unsigned char le[4];
            store_le32(le, w->doc_lengths[i]);
            buffer_append(&docs, le, width);
        }
    }

    spool *speakers = &w->spools[W_SPEAKERS], *calls = &w->spools[W_CALLS];
    uint32_t speakers_end = (uint32_t)speakers->length, calls_end = (uint32_t)calls->length;
    spool_write(speakers, w->speaker_offsets.data, w->speaker_offsets.len);
    spool_write_u32(speakers, speakers_end);
    spool_write_u32(speakers, w->speaker_count);
    spool_write_u32(speakers, 0);
    spool_write(calls, w->call_offsets.data, w->call_offsets.len);
    spool_write_u32(calls, calls_end);
    spool_write_u32(calls, w->call_count);
    spool_write_u32(calls, 0);
    spool_write_u32(&w->spools[W_TURNS], w->turn_count);

    append_u32(&text_index, w->text_block_count);
    append_u32(&text_index, w->text_dict.len > 0 ? 1u : 0u);
    buffer_append(&text_index, w->text_index.data, w->text_index.len);
    append_u32(&text_index, w->doc_count);
    append_u32(&text_index, 0);
    append_u64(&text_index, w->spools[W_TEXT].length);

    int rc = LPS_OK;
    if (term_index.failed || docs.failed || text_index.failed)
        rc = LPS_ENOMEM;

    unsigned char header[SEGMENT_HEADER_SIZE] = {0};
    memcpy(header, SEGMENT_MAGIC, 8);
    store_le32(header + 8, SEGMENT_FORMAT_VERSION);
    store_le32(header + 12, w->flags);
    store_le32(header + 16, ANALYZER_RULES_VERSION);
    store_le32(header + 20, unicode_version_packed());
    store_le64(header + 24, w->id);
    store_le32(header + 32, w->doc_count);
    store_le32(header + 36, w->call_count);
    store_le64(header + 40, w->total_tokens);
    store_le64(header + 48, w->term_count);
    store_le64(header + 56, XXH64(header, 56, 0));

    section_out dir[SECTION_ID_MAX];
    unsigned count = 0;
    uint64_t pos = SEGMENT_HEADER_SIZE;
    if (rc == LPS_OK)
        rc = write_bytes(w, header, sizeof header);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_POSTINGS, &w->spools[W_POSTINGS], &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_POSITIONS, &w->spools[W_POSITIONS], &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_TERMS, &w->spools[W_TERMS], &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_buffer(w, SECTION_TERM_INDEX, &term_index, &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_buffer(w, SECTION_DOCS, &docs, &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_TURNS, &w->spools[W_TURNS], &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_SPEAKERS, speakers, &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_CALLS, calls, &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_spool(w, SECTION_TEXT, &w->spools[W_TEXT], &pos, dir, &count);
    if (rc == LPS_OK)
        rc = emit_buffer(w, SECTION_TEXT_INDEX, &text_index, &pos, dir, &count);
    if (rc == LPS_OK && w->text_dict.len > 0)
        rc = emit_buffer(w, SECTION_TEXT_DICT, &w->text_dict, &pos, dir, &count);

    buffer_free(&term_index);
    buffer_free(&docs);
    buffer_free(&text_index);
    if (rc != LPS_OK) {
        w->status = rc;
        goto failed;
    }

    {
        unsigned char dirbytes[SECTION_ID_MAX * SEGMENT_DIR_ENTRY_SIZE];
        memset(dirbytes, 0, sizeof dirbytes);
        for (unsigned i = 0; i < count; i++) {
            unsigned char *e = dirbytes + i * SEGMENT_DIR_ENTRY_SIZE;
            store_le32(e, dir[i].id);
            store_le64(e + 8, dir[i].offset);
            store_le64(e + 16, dir[i].length);
            store_le64(e + 24, dir[i].checksum);
        }
        size_t dirlen = (size_t)count * SEGMENT_DIR_ENTRY_SIZE;
        unsigned char footer[SEGMENT_FOOTER_SIZE] = {0};
        store_le64(footer, pos);
        store_le32(footer + 8, count);
        store_le64(footer + 16, XXH64(dirbytes, dirlen, 0));
        memcpy(footer + 24, SEGMENT_FOOTER_MAGIC, 8);
        rc = write_bytes(w, dirbytes, dirlen);
        if (rc == LPS_OK)
            rc = write_bytes(w, footer, sizeof footer);
        if (rc == LPS_OK && fsync(w->fd) != 0) {
            w->failed_errno = errno;
            rc = LPS_EIO;
        }
        if (rc == LPS_OK) {
            int closed = close(w->fd);
            w->fd = -1;
            if (closed != 0) {
                w->failed_errno = errno;
                rc = LPS_EIO;
            }
        }
        if (rc == LPS_OK && rename(w->tmp_path, w->final_path) != 0) {
            w->failed_errno = errno;
            rc = LPS_EIO;
        }
        if (rc == LPS_OK && sync_directory(w->dir) != 0) {
            w->failed_errno = errno;
            rc = LPS_EIO;
        }
        if (rc != LPS_OK) {
            w->status = rc;
            goto failed;
        }
        if (info) {
            info->file_size = pos + dirlen + SEGMENT_FOOTER_SIZE;
            info->doc_count = w->doc_count;
            info->term_count = w->term_count;
            info->text_raw_bytes = w->text_raw_bytes;
            for (unsigned i = 0; i < count; i++)
                info->section_bytes[dir[i].id] = dir[i].length;
        }
        w->tmp_path[0] = '\0'; /* renamed: nothing to remove any more */
        return LPS_OK;
    }

failed:
    if (w->status == LPS_ENOMEM)
        return lps_error_set(err, LPS_ENOMEM, w->final_path, -1, -1,
                             "out of memory writing the segment");
    if (w->status == LPS_ELIMIT)
        return lps_error_set(err, LPS_ELIMIT, w->final_path, -1, -1,
                             "a segment holds at most %u documents", UINT32_MAX - 1);
    return lps_error_set(err, w->status, w->final_path, -1, -1, "cannot write the segment: %s",
                         strerror(w->failed_errno ? w->failed_errno : EIO));
}

void segment_writer_free(segment_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp_path[0])
        unlink(w->tmp_path);
    for (int i = 0; i < W_SPOOL_COUNT; i++)
        spool_free(&w->spools[i]);
    buffer_free(&w->call_offsets);
    buffer_free(&w->speaker_offsets);
    lps_free(w->doc_lengths);
    buffer_free(&w->text_raw);
    buffer_free(&w->text_index);
    buffer_free(&w->text_frame);
    buffer_free(&w->held_text);
    lps_free(w->held_sizes);
    lps_free(w->held_docs);
    buffer_free(&w->text_dict);
    ZSTD_freeCDict(w->cdict);
    ZSTD_freeCCtx(w->cctx);
    buffer_free(&w->term_index);
    buffer_free(&w->blocks);
    buffer_free(&w->skips);
    lps_free(w->dir);
    lps_free(w);
}
