/*
 * Writing one segment file.  The caller feeds the tables first (calls with
 * their speakers and turns, then every document in order), then the terms in
 * strictly increasing byte order, each with its postings in increasing
 * document order; segment_writer_finish lays the sections out, writes the
 * directory and footer, fsyncs and renames the file into place.
 *
 * Nothing is visible under the final name until finish succeeds; on any
 * failure the temporary file is removed and the directory is as before.
 */
#ifndef LPS_SEGMENT_WRITER_H
#define LPS_SEGMENT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "lpsearch.h"
#include "segment.h"
#include "spool.h"

typedef struct segment_writer segment_writer;

/* Sizes of what was written, for stats and the merge policy. */
typedef struct segment_write_info {
    uint64_t file_size;
    uint32_t doc_count;
    uint64_t term_count;
    uint64_t section_bytes[SECTION_ID_MAX + 1];
    uint64_t text_raw_bytes; /* stored text before compression */
} segment_write_info;

/*
 * Starts segment `id` in directory dir, as dir/seg-<id>.lps once finished.
 * flags are SEGMENT_FLAG_*.
 */
int segment_writer_open(const char *dir, uint64_t id, uint32_t flags, segment_writer **out,
                        lps_error *err);

/* Tables.  Calls, speakers and turns are numbered in the order added; the
 * record's first_* and *_count fields must describe what follows. */
int segment_writer_add_call(segment_writer *w, const call_record *call);
int segment_writer_add_speaker(segment_writer *w, const speaker_record *speaker);
int segment_writer_add_turn(segment_writer *w, const turn_record *turn);
/* Documents in id order: length in tokens, source line and sentence text. */
int segment_writer_add_doc(segment_writer *w, uint32_t length, uint32_t line, const char *text,
                           size_t text_len);

/* Terms: begin, then one add_posting per document (ascending), then end.
 * positions are the term's positions in the document, ascending, freq of them. */
int segment_writer_begin_term(segment_writer *w, const char *term, size_t len);
int segment_writer_add_posting(segment_writer *w, uint32_t doc, const uint32_t *positions,
                               uint32_t freq);
int segment_writer_end_term(segment_writer *w);

/* Completes the file.  On success info (may be NULL) describes it. */
int segment_writer_finish(segment_writer *w, segment_write_info *info, lps_error *err);
/* Abandons the segment, removing its temporary file.  Accepts NULL. */
void segment_writer_free(segment_writer *w);

/* The file name of segment id inside its index directory. */
void segment_file_name(uint64_t id, char *buf, size_t size);

#endif
