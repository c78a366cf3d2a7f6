/*
 * Constants of the segment, deletion-marker and manifest file formats.  The
 * formats themselves are specified byte by byte in indexer/segment_writer.c
 * (segments), common/deletions.c (deletion markers), common/manifest.c
 * (manifest) and docs/FORMAT.md.  Readers and writers take every number
 * from here so the two halves cannot drift apart.
 */
#ifndef LPS_SEGMENT_FORMAT_H
#define LPS_SEGMENT_FORMAT_H

#include <stdint.h>

#define SEGMENT_MAGIC "LPSSEGMT"         /* 8 bytes at offset 0 */
#define SEGMENT_FOOTER_MAGIC "LPSSEGND"  /* last 8 bytes of the file */
#define SEGMENT_FORMAT_VERSION 1u
#define SEGMENT_HEADER_SIZE 64u
#define SEGMENT_FOOTER_SIZE 32u
#define SEGMENT_DIR_ENTRY_SIZE 32u

/* Header flags. */
#define SEGMENT_FLAG_STEM_ENGLISH 0x1u
#define SEGMENT_KNOWN_FLAGS SEGMENT_FLAG_STEM_ENGLISH

/* Version of the tokenizer rules (common/analyzer.c); bumped when tokens change. */
#define ANALYZER_RULES_VERSION 1u

/* Section identifiers, in the order a writer lays them out. */
enum segment_section_id {
    SECTION_POSTINGS = 1,
    SECTION_POSITIONS = 2,
    SECTION_TERMS = 3,
    SECTION_TERM_INDEX = 4,
    SECTION_DOCS = 5,
    SECTION_TURNS = 6,
    SECTION_SPEAKERS = 7,
    SECTION_CALLS = 8,
    SECTION_TEXT = 9,
    SECTION_TEXT_INDEX = 10,
    SECTION_TEXT_DICT = 11, /* optional: zstd dictionary for TEXT */
    SECTION_ID_MAX = 11
};

/* The section's name as error messages and `lpsearch stats` print it. */
const char *segment_section_name(unsigned id);

/* Terms per front-coded dictionary block. */
#define TERMS_PER_BLOCK 32u
/* Longest term kept in the index, in bytes: the analyzer's own cut
 * (ANALYZER_MAX_TOKEN_BYTES), applied at index and query time alike. */
#define TERM_MAX_BYTES 256u

/* Documents per postings block; lists shorter than this are one tail block. */
#define POSTING_BLOCK 128u
/* Skip entry per block of a list with at least POSTING_BLOCK documents. */
#define SKIP_ENTRY_SIZE 20u
/* Positions are coded in runs of this many values. */
#define POSITION_RUN 128u

/* Stored text blocks: at most this many raw bytes or documents each. */
#define TEXT_BLOCK_BYTES (16u * 1024u)
#define TEXT_BLOCK_DOCS 256u
#define TEXT_INDEX_ENTRY_SIZE 16u

#define TURN_RECORD_SIZE 20u

/* Deletion markers. */
#define DELETIONS_MAGIC "LPSDELMK"
#define DELETIONS_FORMAT_VERSION 1u
#define DELETIONS_HEADER_SIZE 24u

/* Manifest. */
#define MANIFEST_MAGIC "LPSMANIF"
#define MANIFEST_FORMAT_VERSION 1u
#define MANIFEST_HEADER_SIZE 40u
#define MANIFEST_ENTRY_SIZE 40u
#define MANIFEST_NAME "MANIFEST"
#define LOCK_NAME "LOCK"

/* Largest number of live segments a manifest may name. */
#define MANIFEST_MAX_SEGMENTS 4096u

#endif
