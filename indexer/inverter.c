#include "inverter.h"

#include "alloc.h"
#include "bytes.h"
#include "error_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- Analyzed transcripts ---------------------------------------------- */

int analyzed_transcript_make(analyzer *a, transcript *t, analyzed_transcript **out)
{
    *out = NULL;
    analyzed_transcript *at = lps_calloc(1, sizeof *at);
    if (!at)
        return LPS_ENOMEM;
    at->token_counts = lps_calloc(t->sentence_count ? t->sentence_count : 1, sizeof *at->token_counts);
    buffer terms = BUFFER_INIT, offsets = BUFFER_INIT, lengths = BUFFER_INIT;
    int rc = at->token_counts ? LPS_OK : LPS_ENOMEM;
    for (size_t s = 0; s < t->sentence_count && rc == LPS_OK; s++) {
        const transcript_sentence *ts = &t->sentences[s];
        analyzer_result r;
        rc = analyzer_tokenize(a, t->text + ts->text_off, ts->text_len, &r);
        if (rc != LPS_OK)
            break;
        if (r.count > UINT32_MAX) {
            rc = LPS_ELIMIT;
            break;
        }
        at->token_counts[s] = (uint32_t)r.count;
        for (size_t i = 0; i < r.count; i++) {
            const analyzer_token *tok = &r.tokens[i];
            uint32_t off = (uint32_t)terms.len;
            uint16_t len = (uint16_t)tok->term_len;
            buffer_append(&offsets, &off, sizeof off);
            buffer_append(&lengths, &len, sizeof len);
            buffer_append(&terms, r.terms + tok->term_off, tok->term_len);
        }
        at->token_count += r.count;
        if (terms.failed || offsets.failed || lengths.failed || terms.len > UINT32_MAX / 2)
            rc = terms.len > UINT32_MAX / 2 ? LPS_ETOOBIG : LPS_ENOMEM;
    }
    if (rc != LPS_OK) {
        buffer_free(&terms);
        buffer_free(&offsets);
        buffer_free(&lengths);
        lps_free(at->token_counts);
        lps_free(at);
        return rc;
    }
    at->terms_len = terms.len;
    at->terms = (char *)buffer_detach(&terms, &at->terms_len);
    size_t n;
    at->term_offsets = (uint32_t *)buffer_detach(&offsets, &n);
    at->term_lengths = (uint16_t *)buffer_detach(&lengths, &n);
    at->t = t;
    *out = at;
    return LPS_OK;
}

void analyzed_transcript_free(analyzed_transcript *at)
{
    if (!at)
        return;
    transcript_free(at->t);
    lps_free(at->token_counts);
    lps_free(at->term_offsets);
    lps_free(at->term_lengths);
    lps_free(at->terms);
    lps_free(at);
}

size_t analyzed_transcript_memory(const analyzed_transcript *at)
{
    const transcript *t = at->t;
    return sizeof *at + t->text_len + t->sentence_count * (sizeof(transcript_sentence) + 4) +
           t->turn_count * sizeof(transcript_turn) + t->speaker_count * 128 + 1024;
}

/* ---- The inverted buffer ----------------------------------------------- */

typedef struct term_entry {
    uint64_t hash;
    uint32_t text_off;     /* in inv->term_text */
    uint16_t text_len;
    uint32_t df;
    uint32_t last_doc;     /* UINT32_MAX before the first */
    /* The sentence being inverted: its stamp (doc + 1), occurrences, chain ends. */
    uint32_t doc_stamp, freq, first_tok, last_tok;
    unsigned char *stream; /* varints: gap-1, freq, position gaps */
    size_t stream_len, stream_cap;
} term_entry;

typedef struct call_entry {
    transcript *t;         /* owned */
    uint32_t first_doc;
} call_entry;

struct inverter {
    term_entry *terms;
    size_t term_count, term_cap;
    uint32_t *slots;       /* open addressing: term index + 1, 0 = empty */
    size_t slot_count;     /* power of two */
    buffer term_text;

    call_entry *calls;
    size_t call_count, call_cap;
    uint32_t *doc_lengths;
    uint32_t doc_count, doc_cap;

    size_t stream_bytes;   /* capacity of all term streams */
    size_t transcript_bytes;

    /* Scratch for one sentence: occurrence chains and its distinct terms. */
    uint32_t *next, *distinct;
    uint32_t scratch_cap;
};

int inverter_create(inverter **out)
{
    *out = NULL;
    inverter *inv = lps_calloc(1, sizeof *inv);
    if (!inv)
        return LPS_ENOMEM;
    inv->slot_count = 1 << 14;
    inv->slots = lps_calloc(inv->slot_count, sizeof *inv->slots);
    if (!inv->slots) {
        lps_free(inv);
        return LPS_ENOMEM;
    }
    *out = inv;
    return LPS_OK;
}

static void clear(inverter *inv)
{
    for (size_t i = 0; i < inv->term_count; i++)
        lps_free(inv->terms[i].stream);
    inv->term_count = 0;
    memset(inv->slots, 0, inv->slot_count * sizeof *inv->slots);
    buffer_reset(&inv->term_text);
    for (size_t i = 0; i < inv->call_count; i++)
        transcript_free(inv->calls[i].t);
    inv->call_count = 0;
    inv->doc_count = 0;
    inv->stream_bytes = 0;
    inv->transcript_bytes = 0;
}

void inverter_free(inverter *inv)
{
    if (!inv)
        return;
    clear(inv);
    lps_free(inv->terms);
    lps_free(inv->slots);
    buffer_free(&inv->term_text);
    lps_free(inv->calls);
    lps_free(inv->doc_lengths);
    lps_free(inv->next);
    lps_free(inv->distinct);
    lps_free(inv);
}

size_t inverter_memory(const inverter *inv)
{
    return inv->term_cap * sizeof(term_entry) + inv->slot_count * sizeof(uint32_t) +
           inv->term_text.cap + inv->stream_bytes + inv->transcript_bytes +
           (size_t)inv->doc_cap * sizeof(uint32_t) + (size_t)inv->scratch_cap * 2 * sizeof(uint32_t);
}

uint32_t inverter_doc_count(const inverter *inv)
{
    return inv->doc_count;
}

size_t inverter_call_count(const inverter *inv)
{
    return inv->call_count;
}

uint64_t inverter_call_hash(const inverter *inv, size_t call)
{
    return inv->calls[call].t->content_hash;
}

static int grow_slots(inverter *inv)
{
    size_t count = inv->slot_count * 2;
    uint32_t *slots = lps_calloc(count, sizeof *slots);
    if (!slots)
        return LPS_ENOMEM;
    for (size_t i = 0; i < inv->term_count; i++) {
        size_t s = (size_t)inv->terms[i].hash & (count - 1);
        while (slots[s])
            s = (s + 1) & (count - 1);
        slots[s] = (uint32_t)i + 1;
    }
    lps_free(inv->slots);
    inv->slots = slots;
    inv->slot_count = count;
    return LPS_OK;
}

/* Finds or adds term; returns its index or -1 when out of memory. */
static int64_t intern(inverter *inv, const char *term, size_t len)
{
    uint64_t h = XXH3_64bits(term, len);
    size_t mask = inv->slot_count - 1;
    for (size_t s = (size_t)h & mask;; s = (s + 1) & mask) {
        uint32_t v = inv->slots[s];
        if (!v)
            break;
        const term_entry *e = &inv->terms[v - 1];
        if (e->hash == h && e->text_len == len && memcmp(inv->term_text.data + e->text_off, term, len) == 0)
            return v - 1;
    }
    if ((inv->term_count + 1) * 4 > inv->slot_count * 3) {
        if (grow_slots(inv) != LPS_OK)
            return -1;
        mask = inv->slot_count - 1;
    }
    if (inv->term_count == inv->term_cap) {
        size_t cap = inv->term_cap ? inv->term_cap * 2 : 4096;
        term_entry *grown = lps_realloc(inv->terms, cap * sizeof *grown);
        if (!grown)
            return -1;
        inv->terms = grown;
        inv->term_cap = cap;
    }
    if (inv->term_text.len > UINT32_MAX - len)
        return -1;
    term_entry *e = &inv->terms[inv->term_count];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->text_off = (uint32_t)inv->term_text.len;
    e->text_len = (uint16_t)len;
    e->last_doc = UINT32_MAX;
    buffer_append(&inv->term_text, term, len);
    if (inv->term_text.failed)
        return -1;
    size_t s = (size_t)h & mask;
    while (inv->slots[s])
        s = (s + 1) & mask;
    inv->slots[s] = (uint32_t)inv->term_count + 1;
    return (int64_t)inv->term_count++;
}

static int stream_reserve(inverter *inv, term_entry *e, size_t extra)
{
    if (e->stream_len + extra <= e->stream_cap)
        return LPS_OK;
    size_t cap = e->stream_cap ? e->stream_cap + e->stream_cap / 2 : 16;
    while (cap < e->stream_len + extra)
        cap += cap / 2;
    unsigned char *grown = lps_realloc(e->stream, cap);
    if (!grown)
        return LPS_ENOMEM;
    inv->stream_bytes += cap - e->stream_cap;
    e->stream = grown;
    e->stream_cap = cap;
    return LPS_OK;
}

/*
 * Inverts one sentence.  Each token's term gets a chain of its occurrences
 * (next[]) in a single pass, so a term's positions are written in order
 * without sorting the sentence.
 */
static int add_sentence(inverter *inv, const analyzed_transcript *at, size_t first_token,
                        uint32_t count, uint32_t doc)
{
    if (count > inv->scratch_cap) {
        uint32_t *next = lps_realloc(inv->next, (size_t)count * sizeof *next);
        if (next)
            inv->next = next;
        uint32_t *distinct = lps_realloc(inv->distinct, (size_t)count * sizeof *distinct);
        if (distinct)
            inv->distinct = distinct;
        if (!next || !distinct)
            return LPS_ENOMEM;
        inv->scratch_cap = count;
    }
    uint32_t stamp = doc + 1; /* 0 marks a term not seen in any sentence yet */
    uint32_t ndistinct = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t tok = first_token + i;
        int64_t id = intern(inv, at->terms + at->term_offsets[tok], at->term_lengths[tok]);
        if (id < 0)
            return LPS_ENOMEM;
        term_entry *e = &inv->terms[id];
        inv->next[i] = UINT32_MAX;
        if (e->doc_stamp != stamp) {
            e->doc_stamp = stamp;
            e->first_tok = e->last_tok = i;
            e->freq = 1;
            inv->distinct[ndistinct++] = (uint32_t)id;
        } else {
            inv->next[e->last_tok] = i;
            e->last_tok = i;
            e->freq++;
        }
    }
    for (uint32_t k = 0; k < ndistinct; k++) {
        term_entry *e = &inv->terms[inv->distinct[k]];
        uint32_t freq = e->freq;
        if (stream_reserve(inv, e, 2 * VARINT_MAX_BYTES + (size_t)freq * 5) != LPS_OK)
            return LPS_ENOMEM;
        uint32_t gap = e->last_doc == UINT32_MAX ? doc : doc - e->last_doc - 1;
        e->stream_len += varint_put(e->stream + e->stream_len, gap);
        e->stream_len += varint_put(e->stream + e->stream_len, freq);
        uint32_t prev = 0, n = 0;
        for (uint32_t pos = e->first_tok; pos != UINT32_MAX; pos = inv->next[pos], n++) {
            e->stream_len += varint_put(e->stream + e->stream_len, n == 0 ? pos : pos - prev - 1);
            prev = pos;
        }
        e->last_doc = doc;
        e->df++;
    }
    return LPS_OK;
}

int inverter_add(inverter *inv, analyzed_transcript *at)
{
    const transcript *t = at->t;
    if ((uint64_t)inv->doc_count + t->sentence_count >= UINT32_MAX - 1) {
        analyzed_transcript_free(at);
        return LPS_ELIMIT;
    }
    if (inv->call_count == inv->call_cap) {
        size_t cap = inv->call_cap ? inv->call_cap * 2 : 64;
        call_entry *grown = lps_realloc(inv->calls, cap * sizeof *grown);
        if (!grown) {
            analyzed_transcript_free(at);
            return LPS_ENOMEM;
        }
        inv->calls = grown;
        inv->call_cap = cap;
    }
    if (inv->doc_count + t->sentence_count > inv->doc_cap) {
        uint32_t cap = inv->doc_cap ? inv->doc_cap : 4096;
        while (cap < inv->doc_count + t->sentence_count)
            cap *= 2;
        uint32_t *grown = lps_realloc(inv->doc_lengths, (size_t)cap * sizeof *grown);
        if (!grown) {
            analyzed_transcript_free(at);
            return LPS_ENOMEM;
        }
        inv->doc_lengths = grown;
        inv->doc_cap = cap;
    }
    uint32_t first_doc = inv->doc_count;
    size_t token = 0;
    int rc = LPS_OK;
    for (size_t s = 0; s < t->sentence_count && rc == LPS_OK; s++) {
        uint32_t n = at->token_counts[s];
        rc = add_sentence(inv, at, token, n, first_doc + (uint32_t)s);
        inv->doc_lengths[first_doc + s] = n;
        token += n;
    }
    if (rc != LPS_OK) {
        /* A half-added call cannot be taken back out of the term streams;
         * the caller must discard the whole buffer. */
        analyzed_transcript_free(at);
        return rc;
    }
    inv->doc_count += (uint32_t)t->sentence_count;
    inv->transcript_bytes += analyzed_transcript_memory(at);
    inv->calls[inv->call_count].t = at->t;
    inv->calls[inv->call_count].first_doc = first_doc;
    inv->call_count++;
    at->t = NULL;
    analyzed_transcript_free(at);
    return LPS_OK;
}

typedef struct term_order {
    const char *text;
    uint32_t len;
    uint32_t index;
} term_order;

static int compare_terms(const void *a, const void *b)
{
    const term_order *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->text, y->text, n);
    if (r != 0)
        return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

static char *join_notes(const transcript *t)
{
    if (t->note_count == 0)
        return NULL;
    buffer b = BUFFER_INIT;
    for (size_t i = 0; i < t->note_count; i++) {
        if (i > 0)
            buffer_append_byte(&b, '\n');
        buffer_append_str(&b, t->notes[i]);
    }
    buffer_append_byte(&b, 0);
    if (b.failed) {
        buffer_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)buffer_detach(&b, &len);
}

static int write_tables(inverter *inv, segment_writer *w)
{
    uint32_t turn_base = 0, speaker_base = 0;
    int rc = LPS_OK;
    for (size_t c = 0; c < inv->call_count && rc == LPS_OK; c++) {
        const transcript *t = inv->calls[c].t;
        char *notes = join_notes(t);
        if (t->note_count > 0 && !notes)
            return LPS_ENOMEM;
        call_record cr = {
            .content_hash = t->content_hash,
            .first_doc = inv->calls[c].first_doc,
            .doc_count = (uint32_t)t->sentence_count,
            .first_turn = turn_base,
            .turn_count = (uint32_t)t->turn_count,
            .first_speaker = speaker_base,
            .speaker_count = (uint32_t)t->speaker_count,
            .year = t->year,
            .quarter = t->quarter,
            .path = t->path,
            .file = t->file,
            .title = t->title,
            .company = t->company,
            .ticker = t->ticker,
            .date = t->date,
            .layout = t->layout,
            .notes = notes,
        };
        rc = segment_writer_add_call(w, &cr);
        lps_free(notes);
        for (size_t s = 0; s < t->speaker_count && rc == LPS_OK; s++) {
            const transcript_speaker *sp = &t->speakers[s];
            speaker_record sr = {sp->label, sp->name, sp->role, sp->firm, (uint32_t)sp->name_source};
            rc = segment_writer_add_speaker(w, &sr);
        }
        turn_base += (uint32_t)t->turn_count;
        speaker_base += (uint32_t)t->speaker_count;
    }
    uint32_t speaker_first = 0;
    for (size_t c = 0; c < inv->call_count && rc == LPS_OK; c++) {
        const transcript *t = inv->calls[c].t;
        for (size_t i = 0; i < t->turn_count && rc == LPS_OK; i++) {
            const transcript_turn *tt = &t->turns[i];
            turn_record tr = {
                .call = (uint32_t)c,
                .speaker = speaker_first + tt->speaker,
                .first_doc = inv->calls[c].first_doc + tt->first_sentence,
                .doc_count = tt->sentence_count,
                .label_line = tt->label_line,
            };
            rc = segment_writer_add_turn(w, &tr);
        }
        speaker_first += (uint32_t)t->speaker_count;
    }
    for (size_t c = 0; c < inv->call_count && rc == LPS_OK; c++) {
        const transcript *t = inv->calls[c].t;
        for (size_t s = 0; s < t->sentence_count && rc == LPS_OK; s++) {
            const transcript_sentence *ts = &t->sentences[s];
            rc = segment_writer_add_doc(w, inv->doc_lengths[inv->calls[c].first_doc + s], ts->line,
                                        t->text + ts->text_off, ts->text_len);
        }
    }
    return rc;
}

static int write_postings(inverter *inv, segment_writer *w)
{
    term_order *order = lps_malloc((inv->term_count ? inv->term_count : 1) * sizeof *order);
    uint32_t *positions = NULL;
    size_t positions_cap = 0;
    if (!order)
        return LPS_ENOMEM;
    for (size_t i = 0; i < inv->term_count; i++) {
        order[i].text = (const char *)inv->term_text.data + inv->terms[i].text_off;
        order[i].len = inv->terms[i].text_len;
        order[i].index = (uint32_t)i;
    }
    qsort(order, inv->term_count, sizeof *order, compare_terms);

    int rc = LPS_OK;
    for (size_t i = 0; i < inv->term_count && rc == LPS_OK; i++) {
        const term_entry *e = &inv->terms[order[i].index];
        rc = segment_writer_begin_term(w, order[i].text, order[i].len);
        const unsigned char *p = e->stream, *end = e->stream + e->stream_len;
        int64_t doc = -1;
        while (rc == LPS_OK && p < end) {
            uint32_t gap = 0, freq = 0;
            varint_get32(&p, end, &gap);
            varint_get32(&p, end, &freq);
            doc += (int64_t)gap + 1;
            if (freq > positions_cap) {
                size_t cap = freq * 2;
                uint32_t *grown = lps_realloc(positions, cap * sizeof *grown);
                if (!grown) {
                    rc = LPS_ENOMEM;
                    break;
                }
                positions = grown;
                positions_cap = cap;
            }
            uint32_t prev = 0;
            for (uint32_t k = 0; k < freq; k++) {
                uint32_t v = 0;
                varint_get32(&p, end, &v);
                positions[k] = k == 0 ? v : prev + 1 + v;
                prev = positions[k];
            }
            rc = segment_writer_add_posting(w, (uint32_t)doc, positions, freq);
        }
        if (rc == LPS_OK)
            rc = segment_writer_end_term(w);
    }
    lps_free(positions);
    lps_free(order);
    return rc;
}

int inverter_flush(inverter *inv, const char *dir, uint64_t id, uint32_t flags,
                   segment_write_info *info, lps_error *err)
{
    segment_writer *w;
    int rc = segment_writer_open(dir, id, flags, &w, err);
    if (rc != LPS_OK)
        return rc;
    rc = write_tables(inv, w);
    if (rc == LPS_OK)
        rc = write_postings(inv, w);
    if (rc == LPS_OK) {
        rc = segment_writer_finish(w, info, err); /* reports file and cause itself */
    } else {
        lps_error_set(err, rc, dir, -1, -1, "cannot write segment %llu: %s",
                      (unsigned long long)id, lps_strerror(rc));
    }
    segment_writer_free(w);
    if (rc == LPS_OK)
        clear(inv);
    return rc;
}
