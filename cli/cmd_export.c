/*
 * lpsearch export: the parsed transcripts as JSON Lines, one object per
 * sentence.  This is the reader's output made visible: useful on its own
 * and the input of cross-checks against other engines.
 */
#include "cli.h"

#include "analyzer.h"
#include "buffer.h"
#include "corpus.h"
#include "index_snapshot.h"
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
            "       lpsearch export -i DIR [--tokens] [--stem]\n"
            "\n"
            "Print every sentence of the transcripts at PATH (files, or directories\n"
            "searched for *.txt files) as JSON Lines. With no PATH, the bundled\n"
            "transcripts are exported. With -i, the sentences stored in the index\n"
            "DIR are exported instead (deleted calls left out); an index built from\n"
            "the same files in the same order exports exactly the same lines.\n"
            "\n"
            "Each line is one object:\n"
            "  id        sentence number, from 0, stable for the same input (for an\n"
            "            index: its document id, stable until the index changes)\n"
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
            "  -i, --index DIR  export from the index in DIR\n"
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

/* One output line, whichever source (files or an index) it comes from. */
typedef struct export_row {
    const char *file, *title, *company, *ticker, *date, *layout;
    int year, quarter;
    const char *label, *name, *role, *firm; /* speaker; all NULL when unknown */
    int resolved;
    uint32_t turn, sentence, line;
    const char *text;
    size_t text_len;
} export_row;

static void append_row_fields(buffer *b, const export_row *r)
{
    buffer_append_str(b, "\"call\":{\"file\":");
    json_append_cstr_or_null(b, r->file);
    buffer_append_str(b, ",\"title\":");
    json_append_cstr_or_null(b, r->title);
    buffer_append_str(b, ",\"company\":");
    json_append_cstr_or_null(b, r->company);
    buffer_append_str(b, ",\"ticker\":");
    json_append_cstr_or_null(b, r->ticker);
    if (r->year)
        buffer_printf(b, ",\"year\":%d", r->year);
    else
        buffer_append_str(b, ",\"year\":null");
    if (r->quarter)
        buffer_printf(b, ",\"quarter\":%d", r->quarter);
    else
        buffer_append_str(b, ",\"quarter\":null");
    buffer_append_str(b, ",\"date\":");
    json_append_cstr_or_null(b, r->date);
    buffer_append_str(b, ",\"layout\":");
    json_append_cstr_or_null(b, r->layout);
    buffer_append_str(b, "},\"speaker\":{\"label\":");
    json_append_cstr_or_null(b, r->label);
    buffer_append_str(b, ",\"name\":");
    json_append_cstr_or_null(b, r->name);
    buffer_append_str(b, ",\"role\":");
    json_append_cstr_or_null(b, r->role);
    buffer_append_str(b, ",\"firm\":");
    json_append_cstr_or_null(b, r->firm);
    buffer_append_str(b, ",\"resolved\":");
    buffer_append_str(b, r->resolved ? "true" : "false");
    buffer_printf(b, "},\"turn\":%" PRIu32 ",\"sentence\":%" PRIu32 ",\"line\":%" PRIu32 ",\"text\":",
                  r->turn, r->sentence, r->line);
    json_append_string(b, r->text, r->text_len);
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

/* Formats and writes one row; returns nonzero when stdout or memory failed. */
static int export_row_write(export_state *st, const export_row *r, const char *source)
{
    buffer *b = &st->line;
    buffer_reset(b);
    buffer_printf(b, "{\"id\":%" PRIu64 ",", st->next_id++);
    append_row_fields(b, r);
    if (st->analyzer && append_tokens(b, st->analyzer, r->text, r->text_len) != LPS_OK) {
        cli_errorf("out of memory analyzing %s", source);
        return -1;
    }
    buffer_append_str(b, "}\n");
    if (b->failed) {
        cli_errorf("out of memory formatting %s", source);
        return -1;
    }
    if (fwrite(b->data, 1, b->len, stdout) != b->len) {
        cli_errorf("cannot write output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes one call's sentences; returns nonzero when stdout failed. */
static int export_transcript(export_state *st, const transcript *t)
{
    for (size_t i = 0; i < t->sentence_count; i++) {
        const transcript_sentence *s = &t->sentences[i];
        const transcript_speaker *sp = transcript_sentence_speaker(t, i);
        export_row r = {
            .file = t->file, .title = t->title, .company = t->company, .ticker = t->ticker,
            .date = t->date, .layout = t->layout, .year = t->year, .quarter = t->quarter,
            .label = sp ? sp->label : NULL, .name = sp ? sp->name : NULL,
            .role = sp ? sp->role : NULL, .firm = sp ? sp->firm : NULL,
            .resolved = sp && sp->name_source == SPEAKER_NAME_RESOLVED,
            .turn = s->turn, .sentence = s->ordinal, .line = s->line,
            .text = t->text + s->text_off, .text_len = s->text_len,
        };
        if (export_row_write(st, &r, t->path) != 0)
            return -1;
    }
    return 0;
}

/*
 * Writes every live sentence of the index.  Document ids are the index's,
 * so an index built from the same files in the same order exports exactly
 * what the files do.
 */
static int export_index(export_state *st, const char *dir)
{
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK) {
        cli_report_error(&err);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < snap->segment_count && rc == 0; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        const segment *seg = ss->seg;
        text_reader tr;
        text_reader_init(&tr, seg);
        for (uint32_t c = 0; c < seg->call_count && rc == 0; c++) {
            call_record cr;
            if (segment_call(seg, c, &cr) != LPS_OK) {
                segment_corrupt(seg, SECTION_CALLS, &err, "call %u is malformed", c);
                cli_report_error(&err);
                rc = -1;
                break;
            }
            for (uint32_t t = cr.first_turn; t < cr.first_turn + cr.turn_count && rc == 0; t++) {
                turn_record turn;
                speaker_record sp;
                if (segment_turn(seg, t, &turn) != LPS_OK || segment_speaker(seg, turn.speaker, &sp) != LPS_OK) {
                    segment_corrupt(seg, SECTION_TURNS, &err, "turn %u is malformed", t);
                    cli_report_error(&err);
                    rc = -1;
                    break;
                }
                for (uint32_t d = turn.first_doc; d < turn.first_doc + turn.doc_count && rc == 0; d++) {
                    st->next_id = (uint64_t)ss->base + d;
                    if (snapshot_is_deleted(ss, d))
                        continue;
                    export_row r = {
                        .file = cr.file, .title = cr.title, .company = cr.company, .ticker = cr.ticker,
                        .date = cr.date, .layout = cr.layout, .year = cr.year, .quarter = cr.quarter,
                        .label = sp.label, .name = sp.name, .role = sp.role, .firm = sp.firm,
                        .resolved = sp.name_source == SPEAKER_NAME_RESOLVED,
                        .turn = t - cr.first_turn, .sentence = d - turn.first_doc,
                    };
                    int trc = text_reader_get(&tr, d, &r.text, &r.text_len, &r.line);
                    if (trc != LPS_OK) {
                        segment_corrupt(seg, SECTION_TEXT, &err, "the text of document %u does not decode", d);
                        cli_report_error(&err);
                        rc = -1;
                        break;
                    }
                    rc = export_row_write(st, &r, seg->path);
                }
            }
        }
        text_reader_free(&tr);
    }
    index_snapshot_close(snap);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    int tokens = 0, stem = 0;
    const char *index_dir = NULL;
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
        else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
            if (++i >= argc) {
                cli_errorf("export: %s needs a directory", a);
                return CLI_EXIT_ERROR;
            }
            index_dir = argv[i];
        } else if (strncmp(a, "--index=", 8) == 0)
            index_dir = a + 8;
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
    if (index_dir) {
        if (argc - i > 0) {
            cli_errorf("export: give either -i DIR or paths, not both");
            analyzer_free(st.analyzer);
            return CLI_EXIT_ERROR;
        }
        int failed = export_index(&st, index_dir) != 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            if (!failed)
                cli_errorf("cannot write output: %s", strerror(errno));
            failed = 1;
        }
        analyzer_free(st.analyzer);
        buffer_free(&st.line);
        return failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
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
