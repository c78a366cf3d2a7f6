/*
 * Reading one segment file: an immutable, memory-mapped slice of the index
 * holding a term dictionary, positional postings, the document, turn,
 * speaker and call tables and the stored sentence text.  The format is
 * specified in indexer/segment_writer.c and docs/FORMAT.md.
 *
 * segment_open verifies the header, the footer, the section directory and
 * the XXH64 of every section before it returns, so later decoding only
 * meets bytes that were written by a writer; decoders still bounds-check
 * everything and report LPS_ECORRUPT instead of trusting offsets.
 *
 * Lifetime: every pointer a segment hands out (strings in records, text)
 * points into its mapping and is valid until segment_close.  A segment is
 * read-only after open and may be used by many threads at once; cursors
 * belong to one thread each.
 */
#ifndef LPS_SEGMENT_H
#define LPS_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "lpsearch.h"
#include "segment_format.h"

typedef struct segment_section {
    const unsigned char *data; /* into the mapping; NULL when absent */
    uint64_t offset, length, checksum;
} segment_section;

typedef struct segment {
    char *path;
    uint64_t id;
    const unsigned char *map;
    size_t map_len;
    uint32_t flags;           /* SEGMENT_FLAG_* */
    uint32_t analyzer_rules;  /* ANALYZER_RULES_VERSION of the writer */
    uint32_t unicode_version; /* (major << 16) | (minor << 8) | patch */
    uint32_t doc_count, call_count, turn_count, speaker_count;
    uint64_t term_count;
    uint64_t total_tokens;    /* sum of document lengths */
    segment_section sections[SECTION_ID_MAX + 1];

    uint32_t term_block_count;
    unsigned doc_length_width; /* bytes per document length: 1, 2 or 4 */
    uint32_t text_block_count;
    struct ZSTD_DDict_s *text_ddict; /* NULL unless the segment has a text dictionary */
} segment;

/* Metadata records.  Strings point into the mapping; NULL when unknown. */
typedef struct call_record {
    uint64_t content_hash; /* XXH3-64 of the source file's bytes */
    uint32_t first_doc, doc_count;
    uint32_t first_turn, turn_count;
    uint32_t first_speaker, speaker_count;
    int32_t year, quarter;
    const char *path, *file, *title, *company, *ticker, *date, *layout;
    const char *notes; /* non-content lines joined by '\n', NULL when none */
} call_record;

typedef struct speaker_record {
    const char *label, *name, *role, *firm;
    uint32_t name_source; /* enum speaker_name_source */
} speaker_record;

typedef struct turn_record {
    uint32_t call, speaker; /* segment-local indexes */
    uint32_t first_doc, doc_count;
    uint32_t label_line;
} turn_record;

/* What the dictionary says about one term. */
typedef struct term_info {
    uint32_t df;                  /* documents containing the term */
    uint64_t cf;                  /* occurrences in all */
    uint64_t postings_offset, postings_length;   /* in SECTION_POSTINGS */
    uint64_t positions_offset, positions_length; /* in SECTION_POSITIONS */
    uint32_t max_freq;            /* largest frequency in any document */
    uint32_t min_length;          /* shortest document holding the term */
} term_info;

/*
 * Maps and verifies the segment at path.  expected_id is the id the
 * manifest gives it (UINT64_MAX: do not check).  Errors: LPS_ENOENT,
 * LPS_EIO, LPS_ECORRUPT and LPS_EVERSION with err naming the file and the
 * section; LPS_ENOMEM.
 */
int segment_open(const char *path, uint64_t expected_id, segment **out, lps_error *err);
void segment_close(segment *s);

/* Document length in tokens (the BM25 norm).  doc < doc_count. */
uint32_t segment_doc_length(const segment *s, uint32_t doc);

int segment_call(const segment *s, uint32_t call, call_record *out);
int segment_speaker(const segment *s, uint32_t speaker, speaker_record *out);
int segment_turn(const segment *s, uint32_t turn, turn_record *out);
/* The turn holding doc, found by binary search over the turn table. */
int segment_doc_turn(const segment *s, uint32_t doc, uint32_t *turn);

/* Looks term up: 1 and *info when present, 0 when absent, or -LPS_ECORRUPT. */
int segment_term_lookup(const segment *s, const char *term, size_t len, term_info *info);

/*
 * Walks the dictionary in byte order.  term_cursor_seek positions the
 * cursor on the first term >= key (pass an empty key to start at the
 * beginning); term_cursor_next moves on.  Both return 1 on a term, 0 at
 * the end, -LPS_ECORRUPT on a bad block.
 */
typedef struct term_cursor {
    const segment *seg;
    uint32_t block;            /* current block */
    uint32_t in_block;         /* index of the current term in its block */
    uint32_t block_terms;      /* terms in the current block */
    const unsigned char *p, *end; /* decoding position in the block */
    uint64_t next_postings, next_positions;
    char term[TERM_MAX_BYTES + 1];
    size_t term_len;
    term_info info;
} term_cursor;

int term_cursor_seek(term_cursor *c, const segment *s, const char *key, size_t len);
int term_cursor_next(term_cursor *c);

/*
 * Iterates one term's postings.  docs[] and freqs[] hold the decoded block;
 * positions are decoded on demand for the current block.  advance() uses the
 * skip table to jump over blocks whose last document is below the target.
 *
 * posting_cursor_next / _advance return 1 on a document, 0 at the end and
 * -LPS_ECORRUPT on bad bytes; after the end, doc is UINT32_MAX.
 */
typedef struct posting_cursor {
    const segment *seg;
    term_info info;
    const unsigned char *list, *list_end;     /* the term's postings */
    const unsigned char *skips;               /* NULL for a single tail block */
    const unsigned char *blocks;              /* first block after the skip table */
    const unsigned char *pos_list, *pos_end;  /* the term's positions */
    uint32_t block_count;
    uint32_t block;         /* current block, block_count at the end */
    uint32_t in_block;      /* index in docs[] */
    uint32_t block_len;     /* documents in the current block */
    uint32_t doc;           /* current document, UINT32_MAX at the end */
    uint32_t docs[POSTING_BLOCK];
    uint32_t freqs[POSTING_BLOCK];
    /* Positions of the current block, decoded lazily: the block's bit-packed
     * runs at once (cheap, SIMD), the per-document deltas only for the
     * documents whose positions are asked for (a branchy loop that a phrase
     * on frequent words would otherwise run for every document). */
    int positions_ready;
    uint64_t positions_absolute[POSTING_BLOCK / 64]; /* per doc: deltas undone */
    uint32_t *positions;   /* all positions of the block, per doc in order */
    size_t positions_cap;
    uint32_t pos_start[POSTING_BLOCK + 1]; /* offsets into positions per doc */
} posting_cursor;

int posting_cursor_open(posting_cursor *c, const segment *s, const term_info *info);
int posting_cursor_next(posting_cursor *c);
int posting_cursor_advance(posting_cursor *c, uint32_t target);
static inline uint32_t posting_cursor_freq(const posting_cursor *c)
{
    return c->freqs[c->in_block];
}
/* Positions of the current document, ascending; valid until the cursor moves
 * to another block.  Returns the count, or -LPS_ECORRUPT. */
int posting_cursor_positions(posting_cursor *c, const uint32_t **positions);
/* Per-block bounds for dynamic pruning: the block's last document, largest
 * term frequency and smallest document length. */
int posting_cursor_block_bounds(const posting_cursor *c, uint32_t block, uint32_t *last_doc,
                                uint32_t *max_freq, uint32_t *min_length);
void posting_cursor_close(posting_cursor *c);

/*
 * Stored text.  A text_reader caches one decompressed block, so reading
 * neighbouring sentences (snippets with context) costs one decompression.
 * The text pointer is valid until the next call on the same reader.
 */
typedef struct text_reader {
    const segment *seg;
    struct ZSTD_DCtx_s *dctx;
    uint32_t block;     /* cached block, UINT32_MAX for none */
    uint32_t first_doc, doc_count;
    unsigned char *raw;
    size_t raw_len, raw_cap;
    uint32_t *doc_offsets; /* per doc of the block: offset of its record in raw */
    size_t doc_offsets_cap;
} text_reader;

void text_reader_init(text_reader *r, const segment *s);
int text_reader_get(text_reader *r, uint32_t doc, const char **text, size_t *len, uint32_t *line);
void text_reader_free(text_reader *r);

/*
 * Tells the kernel the first upto bytes of a section will not be read again
 * soon, so their pages leave this process's resident set (they are clean
 * file pages: a later read simply faults them back in).  A merge streams
 * through its sources once and calls this as it goes, which keeps its
 * resident memory near the RAM budget instead of the size of the segments.
 */
void segment_release(const segment *s, unsigned section, uint64_t upto);

/* Sets err to LPS_ECORRUPT naming this segment and section; returns LPS_ECORRUPT. */
int segment_corrupt(const segment *s, unsigned section, lps_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
