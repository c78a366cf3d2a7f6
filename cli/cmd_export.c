/*
 * lpsearch export: the parsed transcripts as JSON Lines, one object per
 * sentence.  This is the reader's output made visible: useful on its own
 * and the input of cross-checks against other engines.
 */
#include "cli.h"

#include "analyzer.h"
#include "buffer.h"
#include "corpus.h"
#include "json.h"
#include "transcript.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void cmd_export_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch export [--tokens] [--stem] [PATH...]\n"
            "\n"
            "Print every sentence of the transcripts at PATH (files, or directories\n"
            "searched for *.txt files) as JSON Lines. With no PATH, the bundled\n"
            "transcripts are exported.\n"
            "\n"
            "Each line is one object:\n"
            "  id        sentence number, from 0, stable for the same input\n"
            "  call      {file, title, company, ticker, year, quarter, date, layout}\n"
            "  speaker   {label, name, role, firm, resolved}; resolved is true when\n"
            "            the name was inferred from context rather than the label\n"
            "  turn      ordinal of the speaker turn in the call, from 0\n"
            "  sentence  ordinal of the sentence in its turn, from 0\n"
            "  line      line of the file where the sentence starts\n"
            "  text      the sentence as written\n"
            "\n"
            "options:\n"
            "  --tokens   add \"tokens\": [{term, start, end}] (byte offsets into text)\n"
            "  --stem     with --tokens, apply English (Snowball) stemming to terms\n"
            "  -h, --help show this help\n"
            "\n"
            "Problems with a file are reported on stderr and the other files are\n"
            "still exported; the exit status is then 2.\n");
}

typedef struct export_state {
    buffer line;
    analyzer *analyzer; /* NULL unless --tokens */
    uint64_t next_id;
    size_t problems;
} export_state;

static void on_corpus_error(const lps_error *err, void *ctx)
{
    (void)ctx;
    cli_report_error(err);
}

static void append_call(buffer *b, const transcript *t)
{
    buffer_append_str(b, "\"call\":{\"file\":");
    json_append_cstr_or_null(b, t->file);
    buffer_append_str(b, ",\"title\":");
    json_append_cstr_or_null(b, t->title);
    buffer_append_str(b, ",\"company\":");
    json_append_cstr_or_null(b, t->company);
    buffer_append_str(b, ",\"ticker\":");
    json_append_cstr_or_null(b, t->ticker);
    if (t->year)
        buffer_printf(b, ",\"year\":%d", t->year);
    else
        buffer_append_str(b, ",\"year\":null");
    if (t->quarter)
        buffer_printf(b, ",\"quarter\":%d", t->quarter);
    else
        buffer_append_str(b, ",\"quarter\":null");
    buffer_append_str(b, ",\"date\":");
    json_append_cstr_or_null(b, t->date);
    buffer_append_str(b, ",\"layout\":");
    json_append_cstr_or_null(b, t->layout);
    buffer_append_byte(b, '}');
}

static void append_speaker(buffer *b, const transcript_speaker *s)
{
    buffer_append_str(b, "\"speaker\":{\"label\":");
    json_append_cstr_or_null(b, s ? s->label : NULL);
    buffer_append_str(b, ",\"name\":");
    json_append_cstr_or_null(b, s ? s->name : NULL);
    buffer_append_str(b, ",\"role\":");
    json_append_cstr_or_null(b, s ? s->role : NULL);
    buffer_append_str(b, ",\"firm\":");
    json_append_cstr_or_null(b, s ? s->firm : NULL);
    buffer_append_str(b, ",\"resolved\":");
    buffer_append_str(b, s && s->name_source == SPEAKER_NAME_RESOLVED ? "true" : "false");
    buffer_append_byte(b, '}');
}

static int append_tokens(buffer *b, analyzer *a, const char *text, size_t len)
{
    analyzer_result r;
    int rc = analyzer_tokenize(a, text, len, &r);
    if (rc)
        return rc;
    buffer_append_str(b, ",\"tokens\":[");
    for (size_t i = 0; i < r.count; i++) {
        const analyzer_token *tok = &r.tokens[i];
        if (i)
            buffer_append_byte(b, ',');
        buffer_append_str(b, "{\"term\":");
        json_append_string(b, r.terms + tok->term_off, tok->term_len);
        buffer_printf(b, ",\"start\":%" PRIu32 ",\"end\":%" PRIu32 "}", tok->start, tok->end);
    }
    buffer_append_byte(b, ']');
    return LPS_OK;
}

/* Writes one call's sentences; returns nonzero when stdout failed. */
static int export_transcript(export_state *st, const transcript *t)
{
    for (size_t i = 0; i < t->sentence_count; i++) {
        const transcript_sentence *s = &t->sentences[i];
        const char *text = t->text + s->text_off;
        buffer *b = &st->line;
        buffer_reset(b);
        buffer_printf(b, "{\"id\":%" PRIu64 ",", st->next_id++);
        append_call(b, t);
        buffer_append_byte(b, ',');
        append_speaker(b, transcript_sentence_speaker(t, i));
        buffer_printf(b, ",\"turn\":%" PRIu32 ",\"sentence\":%" PRIu32 ",\"line\":%" PRIu32
                         ",\"text\":",
                      s->turn, s->ordinal, s->line);
        json_append_string(b, text, s->text_len);
        if (st->analyzer && append_tokens(b, st->analyzer, text, s->text_len) != LPS_OK) {
            cli_errorf("out of memory analyzing %s", t->path);
            return -1;
        }
        buffer_append_str(b, "}\n");
        if (b->failed) {
            cli_errorf("out of memory formatting %s", t->path);
            return -1;
        }
        if (fwrite(b->data, 1, b->len, stdout) != b->len) {
            cli_errorf("cannot write output: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    int tokens = 0, stem = 0;
    const char *paths_default[1];
    const char **paths = NULL;
    size_t path_count = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--tokens") == 0)
            tokens = 1;
        else if (strcmp(a, "--stem") == 0)
            stem = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cmd_export_usage(stdout);
            return CLI_EXIT_OK;
        } else {
            cli_errorf("export: unknown option '%s' (try 'lpsearch help export')", a);
            return CLI_EXIT_ERROR;
        }
    }
    paths = (const char **)(argv + i);
    path_count = (size_t)(argc - i);
    if (path_count == 0) {
        paths_default[0] = cli_default_corpus();
        paths = paths_default;
        path_count = 1;
    }
    if (stem && !tokens) {
        cli_errorf("export: --stem only changes --tokens output; add --tokens");
        return CLI_EXIT_ERROR;
    }

    export_state st;
    memset(&st, 0, sizeof st);
    if (tokens && analyzer_create(&st.analyzer, stem ? ANALYZER_STEM_ENGLISH : 0) != LPS_OK) {
        cli_errorf("export: cannot create the analyzer (out of memory)");
        return CLI_EXIT_ERROR;
    }
    corpus_files files = {0};
    int rc = corpus_collect(paths, path_count, &files, on_corpus_error, NULL, &st.problems);
    int failed = rc != LPS_OK;
    if (failed)
        cli_errorf("export: out of memory listing files");
    if (!failed && files.count == 0 && st.problems == 0) {
        cli_errorf("export: no transcript files (*.txt) found under the given paths");
        st.problems++;
    }
    for (size_t f = 0; f < files.count && !failed; f++) {
        transcript *t = NULL;
        lps_error err;
        rc = transcript_read_file(files.paths[f], &t, &err);
        if (rc != LPS_OK) {
            cli_report_error(&err);
            st.problems++;
            if (rc == LPS_ENOMEM)
                failed = 1;
            continue;
        }
        for (size_t w = 0; w < t->warning_count; w++) {
            const transcript_warning *tw = &t->warnings[w];
            if (tw->line >= 0)
                fprintf(stderr, "lpsearch: %s: line %lld: warning: %s\n", t->path, tw->line,
                        tw->message);
            else
                fprintf(stderr, "lpsearch: %s: warning: %s\n", t->path, tw->message);
        }
        if (export_transcript(&st, t) != 0)
            failed = 1;
        transcript_free(t);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!failed)
            cli_errorf("cannot write output: %s", strerror(errno));
        failed = 1;
    }
    corpus_files_free(&files);
    analyzer_free(st.analyzer);
    buffer_free(&st.line);
    return failed || st.problems ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
