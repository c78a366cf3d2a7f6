/*
 * Fuzz target: the transcript reader and the analyzer, on arbitrary bytes.
 *
 * transcript_read_memory must either fail with an input error (never
 * crash, never leak) or return a transcript whose structure holds
 * together: every sentence lies inside the text arena and is
 * NUL-terminated there, the turns tile the sentences in order (each turn's
 * first_sentence is the sum of the counts before it, each sentence names
 * its turn and its ordinal in it), speakers and lines are in range, and the
 * content hash is that of the bytes.
 *
 * The analyzer then tokenizes every sentence and the raw bytes themselves
 * (ill-formed UTF-8 included), with and without stemming: tokens are in
 * order, inside the text, numbered 0..count-1, and their terms are
 * NUL-terminated, 1..ANALYZER_MAX_TOKEN_BYTES long; folding a token's own
 * bytes with analyzer_fold_term gives the term tokenizing gave it.
 */
#include "fuzz_support.h"

#include "analyzer.h"
#include "lpsearch.h"
#include "transcript.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static analyzer *plain, *stemming;

static void clean_up(void)
{
    analyzer_free(plain);
    analyzer_free(stemming);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    FUZZ_CHECK(analyzer_create(&plain, 0) == LPS_OK, "analyzer_create failed");
    FUZZ_CHECK(analyzer_create(&stemming, ANALYZER_STEM_ENGLISH) == LPS_OK, "analyzer_create failed");
    fuzz_limit_allocations((size_t)512 << 20);
    atexit(clean_up);
    return 0;
}

static void check_tokens(analyzer *a, const char *text, size_t len)
{
    analyzer_result res;
    int rc = analyzer_tokenize(a, text, len, &res);
    FUZZ_CHECK(rc == LPS_OK, "analyzer_tokenize returned %s on %zu bytes", lps_strerror(rc), len);
    FUZZ_CHECK(res.terms != NULL && (res.count == 0 || res.tokens != NULL), "empty result pointers");
    uint32_t last_end = 0;
    for (size_t i = 0; i < res.count; i++) {
        const analyzer_token *t = &res.tokens[i];
        FUZZ_CHECK(t->position == i, "token %zu at position %u", i, t->position);
        FUZZ_CHECK(t->start < t->end && t->end <= len, "token [%u,%u) in %zu bytes", t->start, t->end, len);
        FUZZ_CHECK(t->start >= last_end, "tokens overlap or go backwards");
        last_end = t->end;
        FUZZ_CHECK(t->term_len >= 1 && t->term_len <= ANALYZER_MAX_TOKEN_BYTES, "term of %u bytes", t->term_len);
        const char *term = res.terms + t->term_off;
        FUZZ_CHECK(term[t->term_len] == '\0' && memchr(term, '\0', t->term_len) == NULL,
                   "term not a C string of its length");
    }
    /* Folding the token alone gives the same term (unstemmed: prefixes use this). */
    if (analyzer_flags(a) != 0)
        return;
    for (size_t i = 0; i < res.count && i < 64; i++) {
        const analyzer_token *t = &res.tokens[i];
        const char *folded;
        size_t folded_len;
        rc = analyzer_fold_term(a, text + t->start, t->end - t->start, 0, &folded, &folded_len);
        FUZZ_CHECK(rc == LPS_OK, "analyzer_fold_term returned %s on token %zu", lps_strerror(rc), i);
        FUZZ_CHECK(folded_len == t->term_len && memcmp(folded, res.terms + t->term_off, folded_len) == 0,
                   "token %zu: tokenize gives \"%.*s\", fold_term \"%.*s\"", i, (int)t->term_len,
                   res.terms + t->term_off, (int)folded_len, folded);
    }
}

static void check_transcript(const transcript *t, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(t->content_hash == XXH3_64bits(data, size), "content hash is not that of the bytes");
    FUZZ_CHECK(t->path && t->file && t->layout, "path, file or layout missing");
    FUZZ_CHECK(t->quarter >= 0 && t->quarter <= 4, "quarter %d", t->quarter);
    FUZZ_CHECK(t->text != NULL, "no text arena");
    FUZZ_CHECK(t->turn_count >= 1, "a transcript without turns");
    for (size_t i = 0; i < t->note_count; i++)
        FUZZ_CHECK(t->notes[i] != NULL, "NULL note");
    for (size_t i = 0; i < t->speaker_count; i++) {
        const transcript_speaker *s = &t->speakers[i];
        FUZZ_CHECK(s->name_source >= SPEAKER_NAME_NONE && s->name_source <= SPEAKER_NAME_RESOLVED,
                   "name source %d", s->name_source);
        FUZZ_CHECK((s->name == NULL) == (s->name_source == SPEAKER_NAME_NONE),
                   "speaker %zu: name %s but source %d", i, s->name ? s->name : "(none)", s->name_source);
    }
    size_t next = 0;
    for (size_t i = 0; i < t->turn_count; i++) {
        const transcript_turn *turn = &t->turns[i];
        FUZZ_CHECK(turn->speaker < t->speaker_count, "turn %zu: speaker %u of %zu", i, turn->speaker,
                   t->speaker_count);
        FUZZ_CHECK(turn->first_sentence == next, "turn %zu starts at sentence %u, not %zu", i,
                   turn->first_sentence, next);
        for (uint32_t k = 0; k < turn->sentence_count; k++) {
            FUZZ_CHECK(next + k < t->sentence_count, "turn %zu runs past the sentences", i);
            const transcript_sentence *s = &t->sentences[next + k];
            FUZZ_CHECK(s->turn == i && s->ordinal == k, "sentence %zu says turn %u ordinal %u, not %zu %u",
                       next + k, s->turn, s->ordinal, i, k);
            FUZZ_CHECK(s->line >= 1 && (turn->label_line == 0 || s->line >= turn->label_line),
                       "sentence %zu on line %u, its label on %u", next + k, s->line, turn->label_line);
        }
        next += turn->sentence_count;
    }
    FUZZ_CHECK(next == t->sentence_count, "turns hold %zu sentences of %zu", next, t->sentence_count);
    for (size_t i = 0; i < t->sentence_count; i++) {
        const transcript_sentence *s = &t->sentences[i];
        FUZZ_CHECK(s->text_len > 0 && (size_t)s->text_off + s->text_len < t->text_len,
                   "sentence %zu at %u+%u outside a %zu-byte arena", i, s->text_off, s->text_len, t->text_len);
        const char *text = t->text + s->text_off;
        FUZZ_CHECK(text[s->text_len] == '\0' && memchr(text, '\0', s->text_len) == NULL,
                   "sentence %zu is not a C string of its length", i);
        FUZZ_CHECK(i == 0 || s->text_off > t->sentences[i - 1].text_off, "sentences out of arena order");
        check_tokens(plain, text, s->text_len);
        check_tokens(stemming, text, s->text_len);
        FUZZ_CHECK(transcript_sentence_speaker(t, i) == &t->speakers[t->turns[s->turn].speaker],
                   "transcript_sentence_speaker disagrees with the turn");
    }
    for (size_t i = 0; i < t->warning_count; i++) {
        const transcript_warning *w = &t->warnings[i];
        FUZZ_CHECK(w->line == -1 || w->line >= 1, "warning on line %lld", w->line);
        FUZZ_CHECK(w->offset >= -1 && w->offset <= (long long)size, "warning at byte %lld", w->offset);
        FUZZ_CHECK(memchr(w->message, '\0', sizeof w->message) != NULL, "warning not terminated");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    transcript *t = (transcript *)1;
    lps_error err;
    int rc = transcript_read_memory("fuzz/input.txt", data, size, &t, &err);
    if (rc == LPS_OK) {
        FUZZ_CHECK(t != NULL, "success without a transcript");
        check_transcript(t, data, size);
        transcript_free(t);
    } else {
        FUZZ_CHECK(t == NULL, "out-param not cleared on failure");
        FUZZ_CHECK(rc == LPS_EINPUT || rc == LPS_EENCODING, "transcript_read_memory returned %s: %s",
                   lps_strerror(rc), err.message);
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "error without code or message");
        FUZZ_CHECK(strcmp(err.path, "fuzz/input.txt") == 0, "error names \"%s\"", err.path);
    }
    /* The raw bytes, ill-formed UTF-8 and all. */
    check_tokens(plain, (const char *)data, size);
    check_tokens(stemming, (const char *)data, size);
    return 0;
}
