/*
 * Call-level metadata: which lines are headings rather than remarks, and the
 * company, ticker, fiscal quarter and year, call date and title of a call.
 *
 * Sources, most trusted first: the heading lines before the first speaker
 * ("LivePerson Inc (LPSN) 2006 Q3 ...", "LivePerson - Earnings Call - Q1
 * 2016", "May 4, 2016"); the operator's welcome ("Welcome to LivePerson's
 * first quarter 2006 earnings conference call ... recorded today, May 4,
 * 2006"); the opening remarks ("During the second quarter of 2007"); last,
 * the file name ("liveperson-2007-q2.txt").
 */
#ifndef LPS_CALL_METADATA_H
#define LPS_CALL_METADATA_H

#include <stddef.h>

typedef struct call_metadata {
    char title[256];   /* "" when no heading gives one */
    char company[128]; /* "" when unknown */
    char ticker[16];   /* "" when unknown */
    char date[11];     /* "YYYY-MM-DD" or "" */
    int year;          /* 0 when unknown */
    int quarter;       /* 1..4, 0 when unknown */
} call_metadata;

/*
 * Nonzero when line[0..len) (trimmed) is a non-content line wherever it
 * stands: a translation disclaimer, "完整原文", "Transcript", or a bare date.
 */
int call_metadata_is_note_line(const char *line, size_t len);

/*
 * Detects metadata.  notes are the heading lines (before the first speaker
 * label) and any note lines; texts are the first turns' remarks in order;
 * file_name is the base name of the source file.
 */
void call_metadata_detect(const char *const *notes, size_t note_count,
                          const char *const *texts, const size_t *text_lens,
                          size_t text_count, const char *file_name, call_metadata *out);

/* Parses "May 4, 2016" / "November 2, 2006" at text[0..len) into "YYYY-MM-DD";
 * returns the bytes consumed or 0. */
size_t call_metadata_parse_date(const char *text, size_t len, char out[11]);

#endif
