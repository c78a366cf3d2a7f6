/*
 * Folded metadata for field filters.  speaker:, role:, firm: and company:
 * match the query's words as a run of whole words of the field, compared as
 * the analyzer folds them (case and accents do not matter; no stemming).
 * Folding every speaker of a large index for every query would dominate
 * such queries, so each field is folded once per opened index, into
 * " word word " strings where a filter is a substring search.
 */
#ifndef LPS_METADATA_CACHE_H
#define LPS_METADATA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "index_snapshot.h"

enum metadata_field {
    META_SPEAKER_NAME = 0,
    META_SPEAKER_LABEL,
    META_SPEAKER_ROLE,
    META_SPEAKER_FIRM,
    META_SPEAKER_FIELDS
};

enum metadata_call_field {
    META_CALL_COMPANY = 0,
    META_CALL_TICKER,
    META_CALL_FIELDS
};

typedef struct metadata_cache metadata_cache;

/* The numeric fields of a call, decoded once. */
typedef struct metadata_call_info {
    uint32_t first_doc, doc_count, first_turn, turn_count;
    int32_t year, quarter;
} metadata_call_info;

/* Folds every speaker and call field of snap.  Returns an lps_status. */
int metadata_cache_build(const index_snapshot *snap, analyzer *a, metadata_cache **out);
void metadata_cache_free(metadata_cache *cache);

/*
 * Each field of a speaker or call is a string id (UINT32_MAX when the field
 * is empty); equal folded strings of a segment share one id.  The string
 * is " word word ", valid until metadata_cache_free.
 */
uint32_t metadata_speaker(const metadata_cache *cache, size_t seg_index, uint32_t speaker, int field);
uint32_t metadata_call(const metadata_cache *cache, size_t seg_index, uint32_t call, int field);
uint32_t metadata_string_count(const metadata_cache *cache, size_t seg_index);
const char *metadata_string(const metadata_cache *cache, size_t seg_index, uint32_t id);
/* Per call of the segment. */
const metadata_call_info *metadata_calls(const metadata_cache *cache, size_t seg_index);
/* META_SPEAKER_FIELDS string ids per speaker (as metadata_speaker). */
const uint32_t *metadata_speaker_ids(const metadata_cache *cache, size_t seg_index);
/* Per turn of the segment: its speaker; and (first document, count) pairs. */
const uint32_t *metadata_turn_speakers(const metadata_cache *cache, size_t seg_index);
const uint32_t *metadata_turn_docs(const metadata_cache *cache, size_t seg_index);
/* Turns grouped by speaker: speaker s's turns, ascending, are
 * turns[(*start)[s] .. (*start)[s + 1]) of the array returned. */
const uint32_t *metadata_speaker_turns(const metadata_cache *cache, size_t seg_index, const uint32_t **start);

#endif
