/*
 * The in-memory inverted buffer: transcripts go in, one after another, and
 * come out as a segment.  Postings are kept per term as compact varint
 * streams (document gap, frequency, position gaps), so the buffer holds
 * about as many bytes as the final postings plus the transcripts' text.
 *
 * inverter_memory() is what the buffer holds now; the index writer flushes
 * when it passes the RAM budget.
 */
#ifndef LPS_INVERTER_H
#define LPS_INVERTER_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "lpsearch.h"
#include "segment_writer.h"
#include "transcript.h"

typedef struct inverter inverter;

/* The tokens of one transcript, made by a worker thread ahead of inversion. */
typedef struct analyzed_transcript {
    transcript *t;              /* owned */
    uint32_t *token_counts;     /* per sentence */
    uint32_t *term_offsets;     /* per token: offset of its term in terms */
    uint16_t *term_lengths;     /* per token */
    char *terms;                /* term bytes, not NUL-separated */
    size_t token_count;
    size_t terms_len;
} analyzed_transcript;

/* Tokenizes every sentence of t with a; on success *out owns t. */
int analyzed_transcript_make(analyzer *a, transcript *t, analyzed_transcript **out);
void analyzed_transcript_free(analyzed_transcript *at);
/* Approximate bytes it holds. */
size_t analyzed_transcript_memory(const analyzed_transcript *at);

int inverter_create(inverter **out);
void inverter_free(inverter *inv);

/* Adds a transcript (taking ownership of at) as the next call. */
int inverter_add(inverter *inv, analyzed_transcript *at);

size_t inverter_memory(const inverter *inv);
uint32_t inverter_doc_count(const inverter *inv);
size_t inverter_call_count(const inverter *inv);
/* Content hashes of the calls in the buffer, for duplicate detection. */
uint64_t inverter_call_hash(const inverter *inv, size_t call);

/* Writes everything as segment id in dir, then empties the buffer. */
int inverter_flush(inverter *inv, const char *dir, uint64_t id, uint32_t flags,
                   segment_write_info *info, lps_error *err);

#endif
