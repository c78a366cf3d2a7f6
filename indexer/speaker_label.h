/*
 * Recognizes speaker label lines and splits them into name, role and firm.
 *
 * Layouts understood (after an optional bullet such as "•", "●", "▪" or "*"):
 *   Operator                      role Operator
 *   Speaker 3                     anonymous, numbered
 *   - CFO / - Analyst             anonymous, role only
 *   Tim Bixby - President & CFO   name and role ("Role, Role" and "Role & Role" too)
 *   Jane Doe - Acme Capital - Analyst   name, firm and role
 * A label is a short line with no sentence punctuation whose role part
 * contains a known job word, and whose name part looks like a person's name.
 * That is what keeps "Thanks." or "I think our - where we think..." from
 * being taken for labels.
 */
#ifndef LPS_SPEAKER_LABEL_H
#define LPS_SPEAKER_LABEL_H

#include <stddef.h>

enum speaker_label_kind {
    LABEL_NONE = 0,     /* not a label */
    LABEL_OPERATOR,     /* "Operator" */
    LABEL_NUMBERED,     /* "Speaker N" */
    LABEL_ROLE_ONLY,    /* "- CFO" */
    LABEL_NAMED         /* "Name - Role" */
};

/* Longest line considered as a label; longer lines are always remarks. */
#define SPEAKER_LABEL_MAX_BYTES 160

typedef struct speaker_label {
    int kind;           /* enum speaker_label_kind */
    char label[SPEAKER_LABEL_MAX_BYTES + 1]; /* the label, trimmed, bullet removed */
    char name[SPEAKER_LABEL_MAX_BYTES + 1];  /* "" when absent */
    char role[SPEAKER_LABEL_MAX_BYTES + 1];  /* normalized: "Chairman, CEO"; "" when absent */
    char firm[SPEAKER_LABEL_MAX_BYTES + 1];  /* "" when absent */
    int number;         /* N of "Speaker N", else -1 */
} speaker_label;

/*
 * Returns the length of a bullet prefix ("•", "●", "▪", "◦", "‣", "·", "*")
 * followed by whitespace at the start of line[0..len), else 0.  Leading
 * whitespace must already be stripped.
 */
size_t speaker_label_bullet_length(const char *line, size_t len);

/*
 * Parses line[0..len) (any leading whitespace and bullet are skipped here).
 * Returns the kind and fills *out; out->kind is LABEL_NONE when the line is
 * not a label.
 */
int speaker_label_parse(const char *line, size_t len, speaker_label *out);

/* Nonzero when word (len bytes) is a job-title word such as CEO, Analyst, President. */
int speaker_label_is_role_word(const char *word, size_t len);

#endif
