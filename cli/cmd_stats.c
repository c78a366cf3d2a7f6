/*
 * lpsearch stats and check: what an index holds, and whether it is sound.
 */
#include "cli.h"

#include "buffer.h"
#include "bytes.h"
#include "index_check.h"
#include "index_snapshot.h"
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

void cmd_stats_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch stats [-i DIR] [--json] [--calls]\n"
            "\n"
            "Describe the index: calls, turns, sentences, distinct terms, tokens,\n"
            "segments, and the bytes of each section with its share of the stored\n"
            "text and compression ratios.\n"
            "\n"
            "options:\n"
            "  -i, --index DIR  the index (default: $LPSEARCH_INDEX, else the default index)\n"
            "  --json           one JSON object instead of a table\n"
            "  --calls          also list the calls (file, title, sentences)\n");
}

void cmd_check_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch check [-i DIR]\n"
            "\n"
            "Verify the index: every checksum, every structural invariant, and every\n"
            "posting, position and stored sentence decoded. Prints a summary and\n"
            "exits 0 when the index is sound; names the damaged file and section and\n"
            "exits 2 otherwise.\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Distinct terms over all segments: a k-way walk of the dictionaries. */
static int count_distinct_terms(const index_snapshot *snap, uint64_t *out)
{
    size_t n = snap->segment_count;
    term_cursor *c = n ? calloc(n, sizeof *c) : NULL;
    int *live = n ? calloc(n, sizeof *live) : NULL;
    if (n && (!c || !live)) {
        free(c);
        free(live);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        live[i] = term_cursor_seek(&c[i], snap->segments[i].seg, "", 0);
    uint64_t distinct = 0;
    int rc = 0;
    for (;;) {
        const term_cursor *min = NULL;
        for (size_t i = 0; i < n; i++) {
            if (live[i] < 0)
                rc = -1;
            if (live[i] <= 0)
                continue;
            if (!min) {
                min = &c[i];
                continue;
            }
            size_t l = c[i].term_len < min->term_len ? c[i].term_len : min->term_len;
            int r = memcmp(c[i].term, min->term, l);
            if (r < 0 || (r == 0 && c[i].term_len < min->term_len))
                min = &c[i];
        }
        if (!min || rc)
            break;
        char term[TERM_MAX_BYTES];
        size_t len = min->term_len;
        memcpy(term, min->term, len);
        distinct++;
        for (size_t i = 0; i < n; i++)
            if (live[i] > 0 && c[i].term_len == len && memcmp(c[i].term, term, len) == 0)
                live[i] = term_cursor_next(&c[i]);
    }
    free(c);
    free(live);
    *out = distinct;
    return rc;
}

int cmd_stats(int argc, char **argv)
{
    const char *dir_opt = NULL;
    int json = 0, calls = 0;
    /* --json and --calls are peeled off before the shared -i parser. */
    char *rest[256];
    int nrest = 0;
    for (int i = 0; i < argc && nrest < 255; i++) {
        if (i > 0 && strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (i > 0 && strcmp(argv[i], "--calls") == 0)
            calls = 1;
        else
            rest[nrest++] = argv[i];
    }
    int help;
    int first = cli_parse_index_option("stats", nrest, rest, &dir_opt, cmd_stats_usage, &help);
    if (first < 0)
        return help ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (first < nrest) {
        cli_errorf("stats: unexpected argument '%s'", rest[first]);
        return CLI_EXIT_ERROR;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 1, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK) {
        cli_report_error(&err);
        return CLI_EXIT_ERROR;
    }
    uint64_t section[SECTION_ID_MAX + 1] = {0}, file_bytes = 0, text_raw = 0, turns = 0, deleted = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        const segment *s = snap->segments[i].seg;
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++)
            section[id] += s->sections[id].length;
        file_bytes += s->map_len;
        deleted += snap->segments[i].deleted_count;
        for (uint32_t c = 0; c < s->call_count; c++) {
            call_record cr;
            if (segment_call(s, c, &cr) == LPS_OK && !snapshot_is_deleted(&snap->segments[i], cr.first_doc))
                turns += cr.turn_count;
        }
        const unsigned char *idx = s->sections[SECTION_TEXT_INDEX].data + 8;
        for (uint32_t b = 0; b < s->text_block_count; b++)
            text_raw += load_le32(idx + (size_t)b * TEXT_INDEX_ENTRY_SIZE + 4);
    }
    uint64_t distinct = 0;
    if (count_distinct_terms(snap, &distinct) != 0) {
        cli_errorf("stats: %s: a term dictionary does not decode; run 'lpsearch check'", dir);
        index_snapshot_close(snap);
        return CLI_EXIT_ERROR;
    }
    double base = text_raw ? (double)text_raw : 1.0;
    int stem = (snap->flags & SEGMENT_FLAG_STEM_ENGLISH) != 0;
    if (json) {
        buffer b = BUFFER_INIT;
        buffer_append_str(&b, "{\"index\":");
        json_append_string(&b, dir, strlen(dir));
        buffer_printf(&b,
                      ",\"segments\":%zu,\"calls\":%llu,\"turns\":%llu,\"sentences\":%llu,\"removed_sentences\":%llu,"
                      "\"tokens\":%llu,\"distinct_terms\":%llu,\"stemming\":%s,\"text_bytes\":%llu,\"index_bytes\":%llu,"
                      "\"sections\":{",
                      snap->segment_count, (unsigned long long)snap->live_calls, (unsigned long long)turns,
                      (unsigned long long)snap->live_docs, (unsigned long long)deleted,
                      (unsigned long long)snap->live_tokens, (unsigned long long)distinct, stem ? "true" : "false",
                      (unsigned long long)text_raw, (unsigned long long)file_bytes);
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++)
            buffer_printf(&b, "%s\"%s\":%llu", id > 1 ? "," : "", segment_section_name(id),
                          (unsigned long long)section[id]);
        buffer_append_str(&b, "}}\n");
        fwrite(b.data, 1, b.len, stdout);
        buffer_free(&b);
    } else {
        printf("index       %s\n", dir);
        printf("segments    %zu\n", snap->segment_count);
        printf("calls       %llu\n", (unsigned long long)snap->live_calls);
        printf("turns       %llu\n", (unsigned long long)turns);
        printf("sentences   %llu", (unsigned long long)snap->live_docs);
        if (deleted)
            printf(" (+%llu removed, purged at the next merge)", (unsigned long long)deleted);
        printf("\ntokens      %llu (%.1f per sentence)\n", (unsigned long long)snap->live_tokens,
               snap->live_docs ? (double)snap->live_tokens / (double)snap->live_docs : 0.0);
        printf("terms       %llu distinct\n", (unsigned long long)distinct);
        printf("stemming    %s\n", stem ? "English (Snowball)" : "off");
        printf("\n%-12s %14s %12s\n", "section", "bytes", "of text");
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++) {
            if (id == SECTION_TEXT_DICT && section[id] == 0)
                continue;
            printf("%-12s %14llu %11.1f%%\n", segment_section_name(id), (unsigned long long)section[id],
                   100.0 * (double)section[id] / base);
        }
        uint64_t overhead = file_bytes;
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++)
            overhead -= section[id];
        printf("%-12s %14llu %11.1f%%\n", "framing", (unsigned long long)overhead, 100.0 * (double)overhead / base);
        printf("%-12s %14llu %11.1f%%\n", "total", (unsigned long long)file_bytes, 100.0 * (double)file_bytes / base);
        printf("\nstored text %llu bytes uncompressed; compressed %.2fx\n", (unsigned long long)text_raw,
               section[SECTION_TEXT] ? (double)text_raw / (double)section[SECTION_TEXT] : 0.0);
        printf("postings + positions: %.1f%% of the text; whole index: %.1f%%\n",
               100.0 * (double)(section[SECTION_POSTINGS] + section[SECTION_POSITIONS]) / base,
               100.0 * (double)file_bytes / base);
    }
    if (calls) {
        for (size_t i = 0; i < snap->segment_count; i++) {
            const snapshot_segment *ss = &snap->segments[i];
            for (uint32_t c = 0; c < ss->seg->call_count; c++) {
                call_record cr;
                if (segment_call(ss->seg, c, &cr) != LPS_OK || snapshot_is_deleted(ss, cr.first_doc))
                    continue;
                if (json) {
                    buffer b = BUFFER_INIT;
                    buffer_append_str(&b, "{\"call\":{\"file\":");
                    json_append_cstr_or_null(&b, cr.file);
                    buffer_append_str(&b, ",\"title\":");
                    json_append_cstr_or_null(&b, cr.title);
                    buffer_printf(&b, ",\"sentences\":%u,\"first_id\":%llu}}\n", cr.doc_count,
                                  (unsigned long long)ss->base + cr.first_doc);
                    fwrite(b.data, 1, b.len, stdout);
                    buffer_free(&b);
                } else {
                    if (i == 0 && c == 0)
                        printf("\n%-32s %9s  %s\n", "file", "sentences", "title");
                    printf("%-32s %9u  %s\n", cr.file ? cr.file : "-", cr.doc_count, cr.title ? cr.title : "-");
                }
            }
        }
    }
    index_snapshot_close(snap);
    if (fflush(stdout) != 0) {
        cli_errorf("cannot write output");
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
    const char *dir_opt = NULL;
    int help;
    int first = cli_parse_index_option("check", argc, argv, &dir_opt, cmd_check_usage, &help);
    if (first < 0)
        return help ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (first < argc) {
        cli_errorf("check: unexpected argument '%s'", argv[first]);
        return CLI_EXIT_ERROR;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 1, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;
    double start = now_seconds();
    index_snapshot *snap;
    lps_error err;
    int rc = index_snapshot_open(dir, &snap, &err);
    index_check_stats st;
    memset(&st, 0, sizeof st);
    if (rc == LPS_OK) {
        rc = index_check(snap, &st, &err);
        index_snapshot_close(snap);
    }
    if (rc != LPS_OK) {
        cli_report_error(&err);
        cli_errorf("check: %s is damaged", dir);
        return CLI_EXIT_ERROR;
    }
    printf("ok: %s: %llu segment%s, %llu calls, %llu turns, %llu speakers, %llu sentences, %llu terms, "
           "%llu postings, %llu positions; %.1f MB verified in %.2f s\n",
           dir, (unsigned long long)st.segments, st.segments == 1 ? "" : "s", (unsigned long long)st.calls,
           (unsigned long long)st.turns, (unsigned long long)st.speakers, (unsigned long long)st.documents,
           (unsigned long long)st.terms, (unsigned long long)st.postings, (unsigned long long)st.positions,
           (double)st.bytes_verified / 1e6, now_seconds() - start);
    return CLI_EXIT_OK;
}
