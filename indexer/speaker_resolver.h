/*
 * Puts names on anonymous speakers ("- CFO", "- Analyst", "Speaker 3") from
 * what the call itself says:
 *   - the introduction names the executives with their roles
 *     ("Mr. Robert LoCascio, CEO; and Mr. Dan Murphy, CFO",
 *      "founder and CEO, Rob LoCascio and CFO, Dan Murphy");
 *   - the operator announces each questioner ("Richard Fetyko, ABR
 *     Investments.", "Your next question comes from Mark Chappell from
 *     Benchmark.", "Brad Whitt with RBC Capital Markets.");
 *   - a speaker hands over to the next one ("I'll turn the call over to
 *     Robert", "... in more detail. Dan?").
 * An announced questioner owns the anonymous label that speaks next until
 * the operator speaks again, because "- Analyst" is shared by every analyst
 * and "Speaker 3" is reused for different people in the same call.
 * Executives resolved by role or hand-off keep their identity for the call.
 */
#ifndef LPS_SPEAKER_RESOLVER_H
#define LPS_SPEAKER_RESOLVER_H

#include <stddef.h>

#include "speaker_label.h"

#define SPEAKER_FIELD_BYTES (SPEAKER_LABEL_MAX_BYTES + 1)

typedef struct resolved_speaker {
    char name[SPEAKER_FIELD_BYTES]; /* "" when unknown */
    char role[SPEAKER_FIELD_BYTES];
    char firm[SPEAKER_FIELD_BYTES];
    int name_source; /* enum speaker_name_source (transcript.h) */
} resolved_speaker;

/* What the resolver needs to know of one turn. */
typedef struct resolver_turn {
    const speaker_label *label; /* kind LABEL_NONE for text before any label */
    const char *text;           /* the turn's remarks, lines joined; may be empty */
    size_t len;
} resolver_turn;

/* Fills out[0..n) with the identity of each turn's speaker.  Never fails. */
void speaker_resolve(const resolver_turn *turns, size_t n, resolved_speaker *out);

#endif
