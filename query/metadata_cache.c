#include "metadata_cache.h"

#include "alloc.h"
#include "buffer.h"

#include <string.h>
#include <xxhash.h>

/*
 * Per segment, every distinct folded string once (roles repeat in every
 * call, names in every call of a company), and per speaker and call field
 * the id of its string.  A filter then tests each distinct string once.
 */
typedef struct segment_meta {
    uint32_t *turn_speaker; /* per turn: its speaker */
    uint32_t *speaker_turn_start; /* per speaker: its first entry in speaker_turns; one more at the end */
    uint32_t *speaker_turns;      /* turns grouped by speaker, ascending within each */
    uint32_t *turn_docs;    /* per turn: first document, document count */
    metadata_call_info *calls; /* per call, decoded once */
    uint32_t *speaker_ids; /* META_SPEAKER_FIELDS per speaker; UINT32_MAX = empty */
    uint32_t *call_ids;    /* META_CALL_FIELDS per call */
    uint32_t *string_off;  /* per distinct string: offset in arena */
    uint32_t string_count;
    char *arena;
} segment_meta;

struct metadata_cache {
    segment_meta *segs;
    size_t count;
};

typedef struct interner {
    buffer arena;
    uint32_t *offs;        /* per string */
    uint32_t count, cap;
    uint32_t *slots;       /* open addressing: string id + 1 */
    uint32_t slot_count;
} interner;

static int intern_grow(interner *in)
{
    uint32_t n = in->slot_count ? in->slot_count * 2 : 1024;
    uint32_t *slots = lps_calloc(n, sizeof *slots);
    if (!slots)
        return LPS_ENOMEM;
    for (uint32_t i = 0; i < in->count; i++) {
        const char *s = (const char *)in->arena.data + in->offs[i];
        uint32_t h = (uint32_t)XXH3_64bits(s, strlen(s)) & (n - 1);
        while (slots[h])
            h = (h + 1) & (n - 1);
        slots[h] = i + 1;
    }
    lps_free(in->slots);
    in->slots = slots;
    in->slot_count = n;
    return LPS_OK;
}

/* The id of the NUL-terminated string s (len bytes), added if new. */
static int intern(interner *in, const char *s, size_t len, uint32_t *id)
{
    if ((in->count + 1) * 2 > in->slot_count && intern_grow(in) != LPS_OK)
        return LPS_ENOMEM;
    uint32_t mask = in->slot_count - 1, h = (uint32_t)XXH3_64bits(s, len) & mask;
    for (; in->slots[h]; h = (h + 1) & mask) {
        const char *t = (const char *)in->arena.data + in->offs[in->slots[h] - 1];
        if (strncmp(t, s, len) == 0 && t[len] == '\0') {
            *id = in->slots[h] - 1;
            return LPS_OK;
        }
    }
    if (in->count == in->cap) {
        uint32_t cap = in->cap ? in->cap * 2 : 1024;
        uint32_t *grown = lps_realloc(in->offs, cap * sizeof *grown);
        if (!grown)
            return LPS_ENOMEM;
        in->offs = grown;
        in->cap = cap;
    }
    if (in->arena.len > UINT32_MAX / 2)
        return LPS_ETOOBIG;
    in->offs[in->count] = (uint32_t)in->arena.len;
    buffer_append(&in->arena, s, len);
    buffer_append_byte(&in->arena, '\0');
    if (in->arena.failed)
        return LPS_ENOMEM;
    in->slots[h] = in->count + 1;
    *id = in->count++;
    return LPS_OK;
}

/* Folds text into " w1 w2 ... " (unstemmed) and interns it; UINT32_MAX when empty. */
static int fold_field(analyzer *a, interner *in, buffer *scratch, const char *text, uint32_t *id)
{
    *id = UINT32_MAX;
    if (!text)
        return LPS_OK;
    analyzer_result r;
    int rc = analyzer_tokenize(a, text, strlen(text), &r);
    if (rc != LPS_OK || r.count == 0)
        return rc;
    /* Copy the token spans out first: folding reuses the analyzer's scratch. */
    size_t n = r.count < 64 ? r.count : 64;
    uint32_t spans[2 * 64];
    for (size_t i = 0; i < n; i++) {
        spans[2 * i] = r.tokens[i].start;
        spans[2 * i + 1] = r.tokens[i].end;
    }
    buffer_reset(scratch);
    buffer_append_byte(scratch, ' ');
    for (size_t i = 0; i < n; i++) {
        const char *folded;
        size_t flen;
        rc = analyzer_fold_term(a, text + spans[2 * i], spans[2 * i + 1] - spans[2 * i], 0, &folded, &flen);
        if (rc != LPS_OK)
            return rc;
        buffer_append(scratch, folded, flen);
        buffer_append_byte(scratch, ' ');
    }
    if (scratch->failed)
        return LPS_ENOMEM;
    return intern(in, (const char *)scratch->data, scratch->len, id);
}

/*
 * Turns grouped by speaker (a counting sort), so a speaker filter visits
 * the turns of the speakers it matches instead of every turn of the index.
 */
static int group_turns_by_speaker(const segment *seg, segment_meta *m)
{
    m->speaker_turn_start = lps_calloc((size_t)seg->speaker_count + 1, sizeof(uint32_t));
    m->speaker_turns = lps_malloc(((size_t)seg->turn_count + 1) * sizeof(uint32_t));
    if (!m->speaker_turn_start || !m->speaker_turns)
        return LPS_ENOMEM;
    uint32_t *start = m->speaker_turn_start;
    for (uint32_t t = 0; t < seg->turn_count; t++)
        start[m->turn_speaker[t] + 1]++;
    for (uint32_t sp = 0; sp < seg->speaker_count; sp++)
        start[sp + 1] += start[sp];
    for (uint32_t t = 0; t < seg->turn_count; t++)
        m->speaker_turns[start[m->turn_speaker[t]]++] = t;
    /* The fill advanced each start to the next speaker's: shift back. */
    for (uint32_t sp = seg->speaker_count; sp > 0; sp--)
        start[sp] = start[sp - 1];
    start[0] = 0;
    return LPS_OK;
}

int metadata_cache_build(const index_snapshot *snap, analyzer *a, metadata_cache **out)
{
    *out = NULL;
    metadata_cache *c = lps_calloc(1, sizeof *c);
    if (!c || !(c->segs = lps_calloc(snap->segment_count ? snap->segment_count : 1, sizeof *c->segs))) {
        lps_free(c);
        return LPS_ENOMEM;
    }
    c->count = snap->segment_count;
    int rc = LPS_OK;
    buffer scratch = BUFFER_INIT;
    for (size_t s = 0; s < snap->segment_count && rc == LPS_OK; s++) {
        const segment *seg = snap->segments[s].seg;
        segment_meta *m = &c->segs[s];
        m->speaker_ids = lps_malloc(((size_t)seg->speaker_count * META_SPEAKER_FIELDS + 1) * sizeof(uint32_t));
        m->call_ids = lps_malloc(((size_t)seg->call_count * META_CALL_FIELDS + 1) * sizeof(uint32_t));
        if (!m->speaker_ids || !m->call_ids) {
            rc = LPS_ENOMEM;
            break;
        }
        /* Turns flattened: filters walk them all, and decoding records
         * one by one would dominate such queries. */
        m->turn_speaker = lps_malloc(((size_t)seg->turn_count + 1) * sizeof(uint32_t));
        m->turn_docs = lps_malloc(((size_t)seg->turn_count + 1) * 2 * sizeof(uint32_t));
        if (!m->turn_speaker || !m->turn_docs) {
            rc = LPS_ENOMEM;
            break;
        }
        for (uint32_t t = 0; t < seg->turn_count; t++) {
            turn_record tr;
            if (segment_turn(seg, t, &tr) != LPS_OK) {
                rc = LPS_ECORRUPT;
                break;
            }
            if (tr.speaker >= seg->speaker_count) {
                rc = LPS_ECORRUPT;
                break;
            }
            m->turn_speaker[t] = tr.speaker;
            m->turn_docs[2 * t] = tr.first_doc;
            m->turn_docs[2 * t + 1] = tr.doc_count;
        }
        if (rc == LPS_OK)
            rc = group_turns_by_speaker(seg, m);
        interner in;
        memset(&in, 0, sizeof in);
        for (uint32_t i = 0; i < seg->speaker_count && rc == LPS_OK; i++) {
            speaker_record sr;
            if (segment_speaker(seg, i, &sr) != LPS_OK) {
                rc = LPS_ECORRUPT;
                break;
            }
            const char *fields[META_SPEAKER_FIELDS] = {sr.name, sr.label, sr.role, sr.firm};
            for (int f = 0; f < META_SPEAKER_FIELDS && rc == LPS_OK; f++)
                rc = fold_field(a, &in, &scratch, fields[f], &m->speaker_ids[(size_t)i * META_SPEAKER_FIELDS + f]);
        }
        m->calls = lps_malloc(((size_t)seg->call_count + 1) * sizeof *m->calls);
        if (!m->calls)
            rc = LPS_ENOMEM;
        for (uint32_t i = 0; i < seg->call_count && rc == LPS_OK; i++) {
            call_record cr;
            if (segment_call(seg, i, &cr) != LPS_OK) {
                rc = LPS_ECORRUPT;
                break;
            }
            metadata_call_info ci = {cr.first_doc, cr.doc_count, cr.first_turn, cr.turn_count, cr.year, cr.quarter};
            m->calls[i] = ci;
            rc = fold_field(a, &in, &scratch, cr.company, &m->call_ids[(size_t)i * META_CALL_FIELDS + META_CALL_COMPANY]);
            if (rc == LPS_OK)
                rc = fold_field(a, &in, &scratch, cr.ticker, &m->call_ids[(size_t)i * META_CALL_FIELDS + META_CALL_TICKER]);
        }
        size_t len;
        m->arena = (char *)buffer_detach(&in.arena, &len);
        m->string_off = in.offs;
        m->string_count = in.count;
        lps_free(in.slots);
    }
    buffer_free(&scratch);
    if (rc != LPS_OK) {
        metadata_cache_free(c);
        return rc;
    }
    *out = c;
    return LPS_OK;
}

void metadata_cache_free(metadata_cache *c)
{
    if (!c)
        return;
    for (size_t s = 0; s < c->count; s++) {
        lps_free(c->segs[s].calls);
        lps_free(c->segs[s].turn_speaker);
        lps_free(c->segs[s].speaker_turn_start);
        lps_free(c->segs[s].speaker_turns);
        lps_free(c->segs[s].turn_docs);
        lps_free(c->segs[s].speaker_ids);
        lps_free(c->segs[s].call_ids);
        lps_free(c->segs[s].string_off);
        lps_free(c->segs[s].arena);
    }
    lps_free(c->segs);
    lps_free(c);
}

uint32_t metadata_string_count(const metadata_cache *c, size_t seg_index)
{
    return c->segs[seg_index].string_count;
}

const char *metadata_string(const metadata_cache *c, size_t seg_index, uint32_t id)
{
    return c->segs[seg_index].arena + c->segs[seg_index].string_off[id];
}

uint32_t metadata_speaker(const metadata_cache *c, size_t seg_index, uint32_t speaker, int field)
{
    return c->segs[seg_index].speaker_ids[(size_t)speaker * META_SPEAKER_FIELDS + (size_t)field];
}

uint32_t metadata_call(const metadata_cache *c, size_t seg_index, uint32_t call, int field)
{
    return c->segs[seg_index].call_ids[(size_t)call * META_CALL_FIELDS + (size_t)field];
}

const uint32_t *metadata_turn_speakers(const metadata_cache *c, size_t seg_index)
{
    return c->segs[seg_index].turn_speaker;
}

const uint32_t *metadata_turn_docs(const metadata_cache *c, size_t seg_index)
{
    return c->segs[seg_index].turn_docs;
}

const metadata_call_info *metadata_calls(const metadata_cache *c, size_t seg_index)
{
    return c->segs[seg_index].calls;
}

const uint32_t *metadata_speaker_ids(const metadata_cache *c, size_t seg_index)
{
    return c->segs[seg_index].speaker_ids;
}

const uint32_t *metadata_speaker_turns(const metadata_cache *c, size_t seg_index, const uint32_t **start)
{
    *start = c->segs[seg_index].speaker_turn_start;
    return c->segs[seg_index].speaker_turns;
}
