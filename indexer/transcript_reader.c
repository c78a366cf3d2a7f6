/*
 * The transcript reader: raw bytes -> clean text -> classified lines ->
 * speaker turns -> sentences, with call metadata and resolved speakers.
 *
 * Line classes, in the order they are tested:
 *   blank         separates paragraphs (and, in the bullet layout, everything)
 *   note          disclaimer, "完整原文", "Transcript", bare dates: metadata
 *   heading       any short line before the first speaker label: metadata
 *   procedural    "(Operator Instructions)" alone on a line: dropped
 *   label         a speaker label (speaker_label.h): starts a turn
 *   remark        everything else: text of the current turn
 * The lines of a turn are joined (see join_separator) and then split into
 * sentences, so a sentence never spans two turns.
 */
#include "transcript.h"

#include "alloc.h"
#include "buffer.h"
#include "call_metadata.h"
#include "error_internal.h"
#include "sentence_splitter.h"
#include "speaker_label.h"
#include "speaker_resolver.h"
#include "text_source.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

/* Lines before the first label longer than this are remarks, not headings. */
#define HEADING_MAX_BYTES 200

typedef struct line_ref {
    const char *s; /* trimmed content, bullet removed */
    size_t len;
    uint32_t number; /* 1-based */
    int bulleted;
} line_ref;

/* One turn while it is being assembled. */
typedef struct turn_draft {
    speaker_label label;
    uint32_t label_line;
    buffer text;      /* remarks joined, see join_separator */
    uint32_t *line_at; /* pairs (offset in text, line number) */
    size_t line_count, line_cap;
} turn_draft;

typedef struct reader {
    transcript *t;
    const char *name;
    lps_error *err;
    int rc; /* sticky: once set, the helpers below do nothing */
    warning_list warnings;
    turn_draft *turns;
    size_t turn_count, turn_cap;
    char **notes;
    size_t note_count, note_cap;
    buffer arena;
    sentence_spans spans;
    size_t bulleted_labels; /* labels written with a bullet, for the layout name */
} reader;

static void *grow(reader *r, void *array, size_t *cap, size_t count, size_t elem)
{
    if (r->rc)
        return NULL;
    if (count < *cap)
        return array;
    size_t next = *cap ? *cap * 2 : 16;
    void *grown = lps_realloc(array, next * elem);
    if (!grown) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory parsing transcript");
        return NULL;
    }
    *cap = next;
    return grown;
}

static void add_note(reader *r, const char *s, size_t len)
{
    char **notes = grow(r, r->notes, &r->note_cap, r->note_count, sizeof *notes);
    if (!notes)
        return;
    r->notes = notes;
    char *copy = lps_strndup(s, len);
    if (!copy) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
        return;
    }
    r->notes[r->note_count++] = copy;
}

static turn_draft *start_turn(reader *r, const speaker_label *label, uint32_t line)
{
    turn_draft *turns = grow(r, r->turns, &r->turn_cap, r->turn_count, sizeof *turns);
    if (!turns)
        return NULL;
    r->turns = turns;
    turn_draft *d = &r->turns[r->turn_count++];
    memset(d, 0, sizeof *d);
    if (label)
        d->label = *label;
    else
        d->label.kind = LABEL_NONE, d->label.number = -1;
    d->label_line = line;
    return d;
}

static int is_procedural(const char *s, size_t len)
{
    static const char phrase[] = "operator instructions";
    size_t pl = sizeof phrase - 1;
    return len == pl + 2 && (s[0] == '(' || s[0] == '[') &&
           (s[len - 1] == ')' || s[len - 1] == ']') && strncasecmp(s + 1, phrase, pl) == 0;
}

/* Words after which a sentence cannot end: a line that stops on one was
 * broken mid-sentence even when the next line starts with a capital
 * ("Our speaker today is" + "Jane Doe, our CEO."). */
static int ends_with_function_word(const char *s, size_t len)
{
    static const char *const words[] = {"a", "an", "the", "of", "to", "and", "or", "but", "with",
                                        "for", "from", "by", "in", "on", "at", "is", "are", "was",
                                        "were", "be", "our", "their", "your", "its", "my", "as",
                                        "that", "than", "will", "would", "about", "like", "into"};
    size_t start = len;
    while (start > 0 && isalpha((unsigned char)s[start - 1]))
        start--;
    if (start == len || (start > 0 && s[start - 1] != ' '))
        return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == len - start && strncasecmp(words[i], s + start, len - start) == 0)
            return 1;
    return 0;
}

/* How two lines of one turn are joined: "" inside a word broken across
 * lines, " " inside a sentence, "\n" (a hard sentence break for the
 * splitter) when the first line ended a paragraph without punctuation. */
static const char *join_separator(const char *prev, size_t plen, const char *next)
{
    unsigned char last = (unsigned char)prev[plen - 1];
    unsigned char first = (unsigned char)next[0];
    if (strchr(".?!:;,", last) || last >= 0x80)
        return " ";
    if (islower(first)) {
        /* "... one of our largest banks recently. S" + "o everything so far" */
        if (isalpha(last) && (plen == 1 || prev[plen - 2] == ' ') && last != 'I' && last != 'a' &&
            last != 'A')
            return "";
        return " ";
    }
    return ends_with_function_word(prev, plen) ? " " : "\n";
}

/* Removes "(Operator Instructions)" and "[OPERATOR INSTRUCTIONS]" wherever they stand. */
static size_t strip_procedural(char *s, size_t len)
{
    static const char phrase[] = "operator instructions";
    size_t pl = sizeof phrase - 1, out = 0;
    for (size_t i = 0; i < len;) {
        if ((s[i] == '(' || s[i] == '[') && i + pl + 2 <= len &&
            strncasecmp(s + i + 1, phrase, pl) == 0 && (s[i + pl + 1] == ')' || s[i + pl + 1] == ']')) {
            i += pl + 2;
            while (i < len && (s[i] == '.' || s[i] == ',' || s[i] == ';' || s[i] == ':'))
                i++; /* "[Operator Instructions]. Our first question" */
            while (i < len && s[i] == ' ')
                i++;
            continue;
        }
        s[out++] = s[i++];
    }
    while (out && s[out - 1] == ' ')
        out--;
    return out;
}

static void append_remark(reader *r, turn_draft *d, const line_ref *line)
{
    if (r->rc)
        return;
    char *copy = lps_strndup(line->s, line->len);
    if (!copy) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
        return;
    }
    size_t len = strip_procedural(copy, line->len);
    size_t start = 0;
    while (start < len && copy[start] == ' ')
        start++;
    if (start < len) {
        if (d->text.len > 0)
            buffer_append_str(&d->text, join_separator((const char *)d->text.data, d->text.len,
                                                       copy + start));
        uint32_t *at = grow(r, d->line_at, &d->line_cap, d->line_count + 1, 2 * sizeof *at);
        if (at) {
            d->line_at = at;
            at[2 * d->line_count] = (uint32_t)d->text.len;
            at[2 * d->line_count + 1] = line->number;
            d->line_count++;
        }
        buffer_append(&d->text, copy + start, len - start);
        if (d->text.failed && !r->rc)
            r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
    }
    lps_free(copy);
}

static uint32_t line_of_offset(const turn_draft *d, uint32_t offset)
{
    uint32_t line = d->label_line;
    for (size_t i = 0; i < d->line_count && d->line_at[2 * i] <= offset; i++)
        line = d->line_at[2 * i + 1];
    return line;
}

/* Splits the file into lines and sorts them into headings, notes, labels and remarks. */
static void classify_lines(reader *r, const char *text, size_t len)
{
    size_t first_label = (size_t)-1;
    /* First pass: where does the first speaker label stand? */
    {
        size_t pos = 0;
        for (uint32_t number = 1; pos < len; number++) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - text) : len;
            speaker_label probe;
            if (end - pos <= SPEAKER_LABEL_MAX_BYTES + 16 &&
                speaker_label_parse(text + pos, end - pos, &probe) != LABEL_NONE) {
                first_label = pos;
                break;
            }
            pos = end + 1;
        }
    }
    if (first_label == (size_t)-1)
        warning_list_add(&r->warnings, -1, -1,
                         "no speaker labels found; the remarks form one turn with no speaker");

    turn_draft *current = NULL;
    speaker_label label;
    size_t pos = 0;
    for (uint32_t number = 1; pos < len && !r->rc; number++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line_ref line = {text + pos, end - pos, number, 0};
        size_t line_start = pos;
        pos = end + 1;
        while (line.len && isspace((unsigned char)line.s[0]))
            line.s++, line.len--;
        while (line.len && isspace((unsigned char)line.s[line.len - 1]))
            line.len--;
        size_t bullet = speaker_label_bullet_length(line.s, line.len);
        if (bullet) {
            line.s += bullet;
            line.len -= bullet;
            line.bulleted = 1;
            while (line.len && isspace((unsigned char)line.s[0]))
                line.s++, line.len--;
        }
        if (line.len == 0)
            continue;
        if (call_metadata_is_note_line(line.s, line.len)) {
            add_note(r, line.s, line.len);
            continue;
        }
        if (line_start < first_label && first_label != (size_t)-1 && line.len <= HEADING_MAX_BYTES) {
            add_note(r, line.s, line.len);
            continue;
        }
        if (first_label == (size_t)-1 && !current && line.len <= HEADING_MAX_BYTES &&
            r->note_count < 4 && !strchr(".?!", line.s[line.len - 1])) {
            add_note(r, line.s, line.len); /* unlabelled text: short opening lines are headings */
            continue;
        }
        if (is_procedural(line.s, line.len))
            continue;
        if (line.len <= SPEAKER_LABEL_MAX_BYTES &&
            speaker_label_parse(line.s, line.len, &label) != LABEL_NONE) {
            r->bulleted_labels += line.bulleted;
            current = start_turn(r, &label, number);
            continue;
        }
        if (!current)
            current = start_turn(r, NULL, 0);
        if (current)
            append_remark(r, current, &line);
    }
}

static int speaker_equal(const transcript_speaker *s, const char *label, const resolved_speaker *v)
{
#define FIELD_EQ(field, value) ((s->field == NULL && !(value)[0]) || (s->field && strcmp(s->field, value) == 0))
    return FIELD_EQ(label, label) && FIELD_EQ(name, v->name) && FIELD_EQ(role, v->role) &&
           FIELD_EQ(firm, v->firm) && s->name_source == v->name_source;
#undef FIELD_EQ
}

static char *dup_or_null(reader *r, const char *s)
{
    if (!s[0] || r->rc)
        return NULL;
    char *copy = lps_strdup(s);
    if (!copy)
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
    return copy;
}

static uint32_t intern_speaker(reader *r, const char *label, const resolved_speaker *v)
{
    transcript *t = r->t;
    for (size_t i = 0; i < t->speaker_count; i++)
        if (speaker_equal(&t->speakers[i], label, v))
            return (uint32_t)i;
    size_t cap = t->speaker_count; /* grow exactly: speakers are few */
    transcript_speaker *grown = lps_realloc(t->speakers, (cap + 1) * sizeof *grown);
    if (!grown) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
        return 0;
    }
    t->speakers = grown;
    transcript_speaker *s = &t->speakers[t->speaker_count++];
    memset(s, 0, sizeof *s);
    s->label = dup_or_null(r, label);
    s->name = dup_or_null(r, v->name);
    s->role = dup_or_null(r, v->role);
    s->firm = dup_or_null(r, v->firm);
    s->name_source = v->name_source;
    return (uint32_t)(t->speaker_count - 1);
}

/* Nonzero when s holds a letter or digit (any non-ASCII byte counts: the
 * analyzer decides later; this only drops pure punctuation). */
static int has_word_character(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

static void build_sentences(reader *r)
{
    transcript *t = r->t;
    if (r->rc)
        return;
    t->turns = lps_calloc(r->turn_count ? r->turn_count : 1, sizeof *t->turns);
    if (!t->turns) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
        return;
    }
    t->turn_count = r->turn_count;
    size_t sentence_cap = 0;
    for (size_t i = 0; i < r->turn_count && !r->rc; i++) {
        turn_draft *d = &r->turns[i];
        transcript_turn *turn = &t->turns[i];
        turn->label_line = d->label_line;
        turn->first_sentence = (uint32_t)t->sentence_count;
        r->spans.count = 0;
        const char *text = buffer_cstr(&d->text);
        if (sentence_split(text, d->text.len, &r->spans) != LPS_OK) {
            r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
            return;
        }
        for (size_t k = 0; k < r->spans.count; k++) {
            const sentence_span *sp = &r->spans.items[k];
            assert(sp->start < sp->end && sp->end <= d->text.len);
            if (!has_word_character(text + sp->start, sp->end - sp->start))
                continue; /* punctuation debris such as a lone "." or "--" */
            transcript_sentence *grown =
                grow(r, t->sentences, &sentence_cap, t->sentence_count, sizeof *grown);
            if (!grown)
                return;
            t->sentences = grown;
            transcript_sentence *s = &t->sentences[t->sentence_count++];
            s->turn = (uint32_t)i;
            s->ordinal = turn->sentence_count++;
            s->line = line_of_offset(d, sp->start);
            s->text_off = (uint32_t)r->arena.len;
            s->text_len = sp->end - sp->start;
            size_t at = r->arena.len;
            buffer_append(&r->arena, text + sp->start, s->text_len);
            buffer_append_byte(&r->arena, '\0');
            /* Hard breaks never survive inside a sentence, but a stray one must not reach output. */
            if (!r->arena.failed)
                for (size_t c = at; c < at + s->text_len; c++)
                    if (r->arena.data[c] == '\n')
                        r->arena.data[c] = ' ';
        }
    }
    if (r->arena.failed && !r->rc)
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
}

static void resolve_speakers(reader *r)
{
    if (r->rc || r->turn_count == 0)
        return;
    resolver_turn *in = lps_calloc(r->turn_count, sizeof *in);
    resolved_speaker *out = lps_calloc(r->turn_count, sizeof *out);
    if (!in || !out) {
        r->rc = lps_error_set(r->err, LPS_ENOMEM, r->name, -1, -1, "out of memory");
    } else {
        for (size_t i = 0; i < r->turn_count; i++) {
            in[i].label = &r->turns[i].label;
            in[i].text = buffer_cstr(&r->turns[i].text);
            in[i].len = r->turns[i].text.len;
        }
        speaker_resolve(in, r->turn_count, out);
        for (size_t i = 0; i < r->turn_count && !r->rc; i++)
            r->t->turns[i].speaker = intern_speaker(r, r->turns[i].label.label, &out[i]);
    }
    lps_free(in);
    lps_free(out);
}

static const char *detect_layout(const reader *r)
{
    size_t numbered = 0, role_only = 0, labels = 0;
    for (size_t i = 0; i < r->turn_count; i++) {
        switch (r->turns[i].label.kind) {
        case LABEL_NUMBERED: numbered++; break;
        case LABEL_ROLE_ONLY: role_only++; break;
        default: break;
        }
        if (r->turns[i].label.kind != LABEL_NONE)
            labels++;
    }
    if (labels == 0)
        return "unlabelled";
    if (numbered * 2 > labels)
        return "numbered-speakers";
    if (role_only * 2 > labels)
        return "role-labels";
    return "named-labels";
}

static void fill_metadata(reader *r)
{
    transcript *t = r->t;
    if (r->rc)
        return;
    const char *texts[3];
    size_t lens[3], n = 0;
    for (size_t i = 0; i < r->turn_count && n < 3; i++) {
        texts[n] = buffer_cstr(&r->turns[i].text);
        lens[n++] = r->turns[i].text.len;
    }
    call_metadata m;
    call_metadata_detect((const char *const *)r->notes, r->note_count, texts, lens, n, t->file, &m);
    char composed[256] = "";
    if (!m.title[0] && (m.company[0] || m.year)) {
        if (m.quarter && m.year)
            snprintf(composed, sizeof composed, "%s%sQ%d %d earnings call", m.company,
                     m.company[0] ? " " : "", m.quarter, m.year);
        else
            snprintf(composed, sizeof composed, "%s earnings call", m.company);
    }
    t->title = dup_or_null(r, m.title[0] ? m.title : composed);
    t->company = dup_or_null(r, m.company);
    t->ticker = dup_or_null(r, m.ticker);
    t->date = dup_or_null(r, m.date);
    t->year = m.year;
    t->quarter = m.quarter;
    t->layout = detect_layout(r);
    if (r->bulleted_labels * 2 > r->turn_count && strcmp(t->layout, "named-labels") == 0)
        t->layout = "bulleted-labels";
}

static void reader_release(reader *r)
{
    for (size_t i = 0; i < r->turn_count; i++) {
        buffer_free(&r->turns[i].text);
        lps_free(r->turns[i].line_at);
    }
    lps_free(r->turns);
    for (size_t i = 0; i < r->note_count; i++)
        lps_free(r->notes[i]);
    lps_free(r->notes);
    buffer_free(&r->arena);
    sentence_spans_free(&r->spans);
    warning_list_free(&r->warnings);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int transcript_read_memory(const char *name, const void *bytes, size_t len,
                           transcript **out, lps_error *err)
{
    *out = NULL;
    lps_error_clear(err);
    if (!name || (!bytes && len))
        return lps_error_set(err, LPS_EARG, name, -1, -1, "no name or no bytes given");
    if (len > TRANSCRIPT_MAX_BYTES)
        return lps_error_set(err, LPS_ETOOBIG, name, -1, -1, "input larger than %zu MiB",
                             TRANSCRIPT_MAX_BYTES >> 20);
    reader r;
    memset(&r, 0, sizeof r);
    r.name = name;
    r.err = err;
    r.t = lps_calloc(1, sizeof *r.t);
    if (!r.t)
        return lps_error_set(err, LPS_ENOMEM, name, -1, -1, "out of memory");
    r.t->path = lps_strdup(name);
    r.t->file = r.t->path ? lps_strdup(base_name(name)) : NULL;
    if (!r.t->file) {
        transcript_free(r.t);
        return lps_error_set(err, LPS_ENOMEM, name, -1, -1, "out of memory");
    }
    r.t->content_hash = XXH3_64bits(bytes, len);

    char *text = NULL;
    size_t text_len = 0;
    r.rc = text_source_normalize(name, bytes, len, &text, &text_len, &r.warnings, err);
    if (!r.rc) {
        classify_lines(&r, text, text_len);
        if (!r.rc && r.turn_count == 0)
            r.rc = lps_error_set(err, LPS_EINPUT, name, -1, -1,
                                 "no remarks found: the file holds only headings");
    }
    build_sentences(&r);
    resolve_speakers(&r);
    fill_metadata(&r);
    lps_free(text);
    if (!r.rc) {
        transcript *t = r.t;
        t->text = (char *)buffer_detach(&r.arena, &t->text_len);
        t->notes = r.notes;
        t->note_count = r.note_count;
        r.notes = NULL;
        r.note_count = 0;
        t->warnings = r.warnings.items;
        t->warning_count = r.warnings.count;
        r.warnings.items = NULL;
        r.warnings.count = 0;
        if (!t->text) { /* a call whose turns are all empty */
            t->text = lps_calloc(1, 1);
            if (!t->text)
                r.rc = lps_error_set(err, LPS_ENOMEM, name, -1, -1, "out of memory");
        }
    }
    reader_release(&r);
    if (r.rc) {
        transcript_free(r.t);
        return r.rc;
    }
    *out = r.t;
    return LPS_OK;
}

int transcript_read_file(const char *path, transcript **out, lps_error *err)
{
    *out = NULL;
    lps_error_clear(err);
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc = text_source_load(path, &bytes, &len, err);
    if (rc)
        return rc;
    rc = transcript_read_memory(path, bytes, len, out, err);
    lps_free(bytes);
    return rc;
}

void transcript_free(transcript *t)
{
    if (!t)
        return;
    lps_free(t->path);
    lps_free(t->file);
    lps_free(t->title);
    lps_free(t->company);
    lps_free(t->ticker);
    lps_free(t->date);
    for (size_t i = 0; i < t->note_count; i++)
        lps_free(t->notes[i]);
    lps_free(t->notes);
    for (size_t i = 0; i < t->speaker_count; i++) {
        lps_free(t->speakers[i].label);
        lps_free(t->speakers[i].name);
        lps_free(t->speakers[i].role);
        lps_free(t->speakers[i].firm);
    }
    lps_free(t->speakers);
    lps_free(t->turns);
    lps_free(t->sentences);
    lps_free(t->text);
    lps_free(t->warnings);
    lps_free(t);
}

const transcript_speaker *transcript_sentence_speaker(const transcript *t, size_t sentence)
{
    assert(sentence < t->sentence_count);
    const transcript_turn *turn = &t->turns[t->sentences[sentence].turn];
    return t->speaker_count ? &t->speakers[turn->speaker] : NULL;
}
