/*
 * The parsed form of one transcript file: a call with its metadata, the
 * speaker turns in order, and the sentences of each turn.  This is the data
 * path's middle: files -> transcripts -> turns -> sentences -> tokens.
 *
 * Ownership: a transcript owns every string and array it points to; all of
 * them live until transcript_free.
 */
#ifndef LPS_TRANSCRIPT_H
#define LPS_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "lpsearch.h"

/* How a speaker's name was learned. */
enum speaker_name_source {
    SPEAKER_NAME_NONE = 0,     /* unknown: the label names no one and nothing resolved it */
    SPEAKER_NAME_LABEL = 1,    /* written in the label itself */
    SPEAKER_NAME_RESOLVED = 2  /* inferred from context (operator, introduction, hand-off) */
};

/*
 * One speaker identity within a call.  Turns with the same label may map to
 * different speakers: every "- Analyst" turn after the operator names a new
 * analyst belongs to that analyst.
 */
typedef struct transcript_speaker {
    char *label; /* the label as written, bullet and whitespace removed */
    char *name;  /* person's name, NULL when unknown */
    char *role;  /* "CEO", "President & CFO", "Analyst", "Operator"...; NULL when unknown */
    char *firm;  /* affiliation (an analyst's firm), NULL when unknown */
    int name_source; /* enum speaker_name_source */
} transcript_speaker;

typedef struct transcript_turn {
    uint32_t speaker;        /* index into transcript.speakers */
    uint32_t label_line;     /* 1-based line of the speaker label; 0 for text before any label */
    uint32_t first_sentence; /* index into transcript.sentences */
    uint32_t sentence_count; /* may be 0: a label with no remarks */
} transcript_turn;

typedef struct transcript_sentence {
    uint32_t turn;     /* index into transcript.turns */
    uint32_t ordinal;  /* 0-based position within its turn */
    uint32_t line;     /* 1-based line where the sentence starts */
    uint32_t text_off; /* text is transcript.text + text_off, NUL-terminated */
    uint32_t text_len;
} transcript_sentence;

/* A diagnostic about input that was accepted after repair, e.g. invalid UTF-8. */
typedef struct transcript_warning {
    long long line;   /* 1-based, -1 if unknown */
    long long offset; /* byte offset in the file, -1 if unknown */
    char message[256];
} transcript_warning;

typedef struct transcript {
    char *path;    /* as given by the caller */
    char *file;    /* base name of path */
    char *title;   /* as written in the file, or composed from company, quarter and year; NULL if none */
    char *company; /* NULL when unknown */
    char *ticker;  /* e.g. "LPSN", NULL when unknown */
    char *date;    /* ISO 8601 "YYYY-MM-DD" when the text states it, else NULL */
    int year;      /* fiscal year, 0 when unknown */
    int quarter;   /* fiscal quarter 1..4, 0 when unknown */
    const char *layout; /* static name of the detected layout, see transcript_layout_name */
    uint64_t content_hash; /* XXH3-64 of the raw file bytes */

    char **notes; /* non-content lines kept as metadata (disclaimer, headings) */
    size_t note_count;

    transcript_speaker *speakers;
    size_t speaker_count;
    transcript_turn *turns;
    size_t turn_count;
    transcript_sentence *sentences;
    size_t sentence_count;
    char *text; /* arena holding every sentence, each NUL-terminated */
    size_t text_len;

    transcript_warning *warnings;
    size_t warning_count;
} transcript;

/* Upper bound on the size of one transcript file; larger inputs fail with LPS_ETOOBIG. */
#define TRANSCRIPT_MAX_BYTES ((size_t)256 << 20)

/*
 * Reads and parses the transcript at path.  On success *out owns the result
 * (free with transcript_free) and its warnings list what was repaired.  On
 * failure *out is NULL and err says what, where and why: LPS_ENOENT,
 * LPS_EIO (unreadable, a directory), LPS_EINPUT (empty, binary, no text),
 * LPS_ETOOBIG, LPS_ENOMEM.
 */
int transcript_read_file(const char *path, transcript **out, lps_error *err);

/*
 * Parses a transcript held in memory; name is used as its path and file name
 * in metadata and messages.  The bytes are not retained.  Same results as
 * transcript_read_file.
 */
int transcript_read_memory(const char *name, const void *bytes, size_t len,
                           transcript **out, lps_error *err);

void transcript_free(transcript *t);

/* The speaker of a sentence. */
const transcript_speaker *transcript_sentence_speaker(const transcript *t, size_t sentence);

#endif
