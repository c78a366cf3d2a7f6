/*
 * Sentence segmentation of one speaker turn.
 *
 * The transcript reader joins the lines of a turn into one UTF-8 string; a
 * '\n' inside that string marks a paragraph end that had no punctuation and
 * is always a sentence boundary.  sentence_split() finds the sentences as
 * byte ranges into that string, in one left-to-right pass with bounded
 * look-behind and look-ahead, so the cost is linear in the text length
 * whatever the bytes are (invalid UTF-8 and NUL bytes are ordinary content).
 *
 * A sentence ends after a run of '.', '?', '!' or '…' plus any closing
 * quotes or brackets, when whitespace follows and the context says the run
 * is not part of a number, an abbreviation, an initial or an ellipsis inside
 * a sentence.  docs/SEGMENTATION.md lists the rules and their known limits.
 */
#ifndef LPS_SENTENCE_SPLITTER_H
#define LPS_SENTENCE_SPLITTER_H

#include <stddef.h>
#include <stdint.h>

#include "lpsearch.h"

/* Offsets are 32-bit: longer texts are refused with LPS_ETOOBIG. */
#define SENTENCE_MAX_TEXT_BYTES ((size_t)UINT32_MAX)

/*
 * [start, end) byte range into the text given to sentence_split().  The
 * range never starts or ends with whitespace (ASCII blanks, '\n', U+00A0)
 * and is never empty.  It starts and ends on character boundaries when the
 * text is valid UTF-8.
 */
typedef struct sentence_span {
    uint32_t start, end;
} sentence_span;

/*
 * A growable array of spans, owned by the caller.  Zero-initialize it before
 * first use; release it with sentence_spans_free().  items is reallocated as
 * spans are appended, so pointers into it are invalid after the next
 * sentence_split() on the same array.
 */
typedef struct sentence_spans {
    sentence_span *items;
    size_t count, cap;
} sentence_spans;

/*
 * Appends the sentences of text[0..len) to out, in text order, without
 * touching the spans already there (offsets are relative to this text, so
 * several turns can share one array if the caller remembers where each
 * turn's spans begin).  Text without any non-whitespace byte appends
 * nothing.  text may be NULL when len is 0.
 *
 * Returns LPS_OK; LPS_ENOMEM when growing out fails (out->count is then
 * what it was on entry); LPS_ETOOBIG when len exceeds
 * SENTENCE_MAX_TEXT_BYTES; LPS_EARG when out is NULL, or text is NULL while
 * len is not 0.  out is unchanged on every error except that out->items may
 * have been reallocated to a larger capacity.
 */
int sentence_split(const char *text, size_t len, sentence_spans *out);

/*
 * Releases the array and leaves *spans zeroed, ready for reuse.  Accepts
 * NULL and an already empty array.
 */
void sentence_spans_free(sentence_spans *spans);

#endif
