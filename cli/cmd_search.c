/*
 * lpsearch [search] QUERY: the main job.  Prints the best hits, each with
 * its call, its speaker and the sentence with the matches highlighted, as
 * text for people or JSON Lines for programs.  Built on the public library
 * (include/lpsearch.h) like any program that embeds lpsearch.
 */
#include "cli.h"

#include "buffer.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cmd_search_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch [OPTIONS] QUERY...\n"
            "       lpsearch search [OPTIONS] QUERY...   (QUERY may be a command's name)\n"
            "       lpsearch [OPTIONS] -- QUERY...\n"
            "\n"
            "Search the sentences of the indexed calls and print the best first.\n"
            "The words of QUERY... are joined with spaces. Options may also follow\n"
            "the query; any other word starting with '-' is an exclusion.\n"
            "\n"
            "Query language:\n"
            "  proactive chat         both words, anywhere in the sentence (AND)\n"
            "  \"proactive chat\"       the exact phrase\n"
            "  chat OR messaging      either word; AND and OR must be upper case\n"
            "  chat NOT mobile        chat without mobile; also written chat -mobile\n"
            "  -\"live chat\" pricing   exclude a phrase\n"
            "  (chat OR voice) sales  parentheses group. As in SQLite FTS5, words side by\n"
            "                         side bind tightest, then NOT, then AND, then OR:\n"
            "                         a NOT b c means a NOT (b c)\n"
            "  NEAR(chat pricing, 5)  both within 5 words, any order (default 10)\n"
            "  \"chat pricing\"~5       the same\n"
            "  engag*                 every word starting with engag\n"
            "  speaker:\"tim bixby\"    said by Tim Bixby (name or label)\n"
            "  role:analyst pricing   asked by an analyst;  role:cfo  role:ceo\n"
            "  firm:roth              said by someone from the firm\n"
            "  company:liveperson     in that company's calls (name or ticker)\n"
            "  year:2014  year:2014..2016  quarter:1  quarter:Q4\n"
            "Words are matched as the index stores them: case and accents do not\n"
            "matter, and LivePerson's, $6.9 and follow-up match as phrases.\n"
            "\n"
            "options:\n"
            "  -n, --limit N       hits to show (default 10)\n"
            "      --offset N      skip the first N hits (paging)\n"
            "  -C, --context N     show N sentences before and after each hit\n"
            "      --count         print only the number of matching sentences\n"
            "      --json          JSON Lines: one object per hit, then a summary\n"
            "      --explain       show every BM25 factor of each score\n"
            "      --color=WHEN    auto (default: on a terminal, unless NO_COLOR is set),\n"
            "                      always or never\n"
            "      --k1 X, --b X   BM25 parameters (default 1.2 and 0.75)\n"
            "  -i, --index DIR     the index (default: $LPSEARCH_INDEX, else the default\n"
            "                      index of the bundled transcripts, built on first use)\n"
            "  -h, --help          show this help\n"
            "\n"
            "Exit status: 0 when something matched, 1 when nothing did, 2 on error.\n"
            "\n"
            "examples:\n"
            "  lpsearch \"proactive chat\"\n"
            "  lpsearch -C 1 'role:analyst pricing year:2014'\n"
            "  lpsearch --json 'NEAR(mobile messaging, 5)' | jq .text\n");
}

typedef struct search_cli {
    lps_search_options opts;
    const char *index_dir;
    int json, count_only, color;
    buffer query;
} search_cli;

static const char *SGR_MATCH = "\033[1;31m";
static const char *SGR_DIM = "\033[2m";
static const char *SGR_HEAD = "\033[1m";
static const char *SGR_RESET = "\033[0m";

static int parse_double(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = v ? strtod(v, &end) : 0;
    if (!v || errno || end == v || *end || d < 0 || d > 100) {
        cli_errorf("%s needs a number from 0 to 100, not '%s'", opt, v ? v : "");
        return -1;
    }
    *out = d;
    return 0;
}

static int is_value_option(const char *a)
{
    static const char *const names[] = {"-n", "--limit", "--offset", "-C", "--context", "-i", "--index",
                                        "--color", "--colour", "--k1", "--b"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(a, names[i]) == 0)
            return 1;
    return 0;
}

static int is_flag_option(const char *a)
{
    static const char *const names[] = {"-h", "--help", "--count", "--json", "--explain"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(a, names[i]) == 0)
            return 1;
    return 0;
}

/*
 * Parses options and the query words; returns 0, 1 (help printed) or -1.
 * Options may come before or after the query words, as with GNU tools, but
 * only the options above are taken: any other word starting with a single
 * '-' is an exclusion in the query ("chat -mobile").  After "--" everything
 * is query.
 */
static int parse_args(search_cli *s, int argc, char **argv)
{
    const char *color = "auto";
    int words = 0, rest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (rest || a[0] != '-' || a[1] == '\0') {
            if (words++)
                buffer_append_byte(&s->query, ' ');
            buffer_append_str(&s->query, a);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            rest = 1;
            continue;
        }
        const char *value = NULL;
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        char name[64];
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            value = eq + 1;
            a = name;
        } else if ((a[1] == 'n' || a[1] == 'C') && a[2] >= '0' && a[2] <= '9') {
            /* -n5, -C2 */
            snprintf(name, sizeof name, "-%c", a[1]);
            value = a + 2;
            a = name;
            eq = a;
        }
        if (!is_value_option(a) && !is_flag_option(a)) {
            if (a[1] != '-' && !eq) {
                /* "-mobile": an exclusion, part of the query. */
                if (words++)
                    buffer_append_byte(&s->query, ' ');
                buffer_append_str(&s->query, a);
                continue;
            }
            cli_errorf("unknown option '%s' (try 'lpsearch --help'; to search for it, put it after '--')", argv[i]);
            return -1;
        }
        if (is_value_option(a) && !value) {
            if (strcmp(a, "--color") == 0 || strcmp(a, "--colour") == 0) {
                value = "auto";
            } else {
                if (i + 1 >= argc) {
                    cli_errorf("%s needs a value (try 'lpsearch --help')", a);
                    return -1;
                }
                value = argv[++i];
            }
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cmd_search_usage(stdout);
            return 1;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--limit") == 0) {
            long long v = cli_parse_count("search", a, value, 1000000);
            if (v < 0)
                return -1;
            s->opts.limit = (size_t)v;
        } else if (strcmp(a, "--offset") == 0) {
            long long v = cli_parse_count("search", a, value, 1000000);
            if (v < 0)
                return -1;
            s->opts.offset = (size_t)v;
        } else if (strcmp(a, "-C") == 0 || strcmp(a, "--context") == 0) {
            long long v = cli_parse_count("search", a, value, 1000);
            if (v < 0)
                return -1;
            s->opts.context = (unsigned)v;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
            s->index_dir = value;
        } else if (strcmp(a, "--color") == 0 || strcmp(a, "--colour") == 0) {
            color = value;
        } else if (strcmp(a, "--k1") == 0) {
            if (parse_double(a, value, &s->opts.k1) != 0)
                return -1;
        } else if (strcmp(a, "--b") == 0) {
            if (parse_double(a, value, &s->opts.b) != 0)
                return -1;
            if (s->opts.b > 1) {
                cli_errorf("--b must be between 0 and 1");
                return -1;
            }
        } else if (strcmp(a, "--count") == 0) {
            s->count_only = 1;
        } else if (strcmp(a, "--json") == 0) {
            s->json = 1;
        } else if (strcmp(a, "--explain") == 0) {
            s->opts.explain = 1;
        }
    }
    if (strcmp(color, "always") == 0) {
        s->color = 1;
    } else if (strcmp(color, "never") == 0) {
        s->color = 0;
    } else if (strcmp(color, "auto") == 0) {
        const char *no_color = getenv("NO_COLOR");
        const char *term = getenv("TERM");
        s->color = isatty(STDOUT_FILENO) && !(no_color && no_color[0]) && !(term && strcmp(term, "dumb") == 0);
    } else {
        cli_errorf("--color must be auto, always or never, not '%s'", color);
        return -1;
    }
    if (words == 0) {
        cli_errorf("no query given (try 'lpsearch --help')");
        return -1;
    }
    if (s->query.failed) {
        cli_errorf("out of memory");
        return -1;
    }
    return 0;
}

/* A query error with the query echoed and a caret under the fault. */
static void report_query_error(const lps_error *err, const char *query)
{
    if ((err->code != LPS_ESYNTAX && err->code != LPS_ELIMIT) || err->offset < 0 || err->path[0]) {
        cli_report_error(err);
        return;
    }
    size_t len = strlen(query);
    size_t at = (size_t)err->offset <= len ? (size_t)err->offset : len;
    fprintf(stderr, "lpsearch: query error at column %zu: %s\n", at + 1, err->message);
    if (len <= 200) {
        fprintf(stderr, "  %s\n  ", query);
        for (size_t i = 0; i < at; i++)
            fputc(query[i] == '\t' ? '\t' : ' ', stderr);
        fputs("^\n", stderr);
    }
}

static void append_text_highlighted(buffer *b, const lps_hit *h, int color)
{
    size_t at = 0;
    for (size_t i = 0; i < h->highlight_count; i++) {
        const lps_span *sp = &h->highlights[i];
        buffer_append(b, h->text + at, sp->start - at);
        if (color)
            buffer_append_str(b, SGR_MATCH);
        buffer_append(b, h->text + sp->start, sp->end - sp->start);
        if (color)
            buffer_append_str(b, SGR_RESET);
        at = sp->end;
    }
    buffer_append(b, h->text + at, h->text_len - at);
}

static void append_call_label(buffer *b, const lps_hit *h)
{
    const char *company = h->company ? h->company : h->call_file;
    buffer_append_str(b, company ? company : "unknown call");
    if (h->quarter)
        buffer_printf(b, " Q%d", h->quarter);
    if (h->year)
        buffer_printf(b, " %d", h->year);
}

static void append_speaker_label(buffer *b, const lps_hit *h)
{
    const char *who = h->speaker_name ? h->speaker_name : h->speaker_label;
    buffer_append_str(b, who ? who : "unknown speaker");
    if (h->speaker_role || h->speaker_firm) {
        buffer_append_str(b, " (");
        if (h->speaker_role)
            buffer_append_str(b, h->speaker_role);
        if (h->speaker_role && h->speaker_firm)
            buffer_append_str(b, ", ");
        if (h->speaker_firm)
            buffer_append_str(b, h->speaker_firm);
        buffer_append_byte(b, ')');
    }
}

static void print_text_hit(buffer *b, const lps_hit *h, int first, int color)
{
    if (!first)
        buffer_append_byte(b, '\n');
    if (color)
        buffer_append_str(b, SGR_HEAD);
    buffer_printf(b, "%zu. ", h->rank);
    append_call_label(b, h);
    buffer_append_str(b, " \xe2\x80\x94 "); /* em dash */
    append_speaker_label(b, h);
    if (color)
        buffer_append_str(b, SGR_RESET);
    if (color)
        buffer_append_str(b, SGR_DIM);
    buffer_printf(b, "  [score %.3f, #%llu]", h->score, (unsigned long long)h->id);
    if (color)
        buffer_append_str(b, SGR_RESET);
    buffer_append_byte(b, '\n');
    for (size_t i = 0; i < h->context_count && h->context[i].offset < 0; i++) {
        if (color)
            buffer_append_str(b, SGR_DIM);
        buffer_append_str(b, "   - ");
        buffer_append(b, h->context[i].text, h->context[i].text_len);
        if (color)
            buffer_append_str(b, SGR_RESET);
        buffer_append_byte(b, '\n');
    }
    buffer_append_str(b, h->context_count ? "   > " : "   ");
    append_text_highlighted(b, h, color);
    buffer_append_byte(b, '\n');
    for (size_t i = 0; i < h->context_count; i++) {
        if (h->context[i].offset < 0)
            continue;
        if (color)
            buffer_append_str(b, SGR_DIM);
        buffer_append_str(b, "   + ");
        buffer_append(b, h->context[i].text, h->context[i].text_len);
        if (color)
            buffer_append_str(b, SGR_RESET);
        buffer_append_byte(b, '\n');
    }
    if (h->explain) {
        const lps_explain *e = h->explain;
        buffer_printf(b, "   score %.6f = sum over %zu unit%s; N = %.0f, avg length = %.3f, k1 = %g, b = %g\n",
                      h->score, e->row_count, e->row_count == 1 ? "" : "s", e->n, e->avg_length, e->k1, e->b);
        for (size_t i = 0; i < e->row_count; i++) {
            const lps_explain_row *r = &e->rows[i];
            buffer_printf(b,
                          "     %-20s tf %g, df %g, idf %.6f, length %g, tf part %.6f -> %.6f\n",
                          r->unit, r->tf, r->df, r->idf, r->length, r->tf_part, r->score);
        }
    }
}

static void append_json_string_or_null(buffer *b, const char *s)
{
    json_append_cstr_or_null(b, s);
}

static void print_json_hit(buffer *b, const lps_hit *h)
{
    buffer_printf(b, "{\"rank\":%zu,\"score\":%.17g,\"id\":%llu,\"call\":{\"file\":", h->rank, h->score,
                  (unsigned long long)h->id);
    append_json_string_or_null(b, h->call_file);
    buffer_append_str(b, ",\"title\":");
    append_json_string_or_null(b, h->call_title);
    buffer_append_str(b, ",\"company\":");
    append_json_string_or_null(b, h->company);
    buffer_append_str(b, ",\"ticker\":");
    append_json_string_or_null(b, h->ticker);
    if (h->year)
        buffer_printf(b, ",\"year\":%d", h->year);
    else
        buffer_append_str(b, ",\"year\":null");
    if (h->quarter)
        buffer_printf(b, ",\"quarter\":%d", h->quarter);
    else
        buffer_append_str(b, ",\"quarter\":null");
    buffer_append_str(b, ",\"date\":");
    append_json_string_or_null(b, h->date);
    buffer_append_str(b, "},\"speaker\":{\"label\":");
    append_json_string_or_null(b, h->speaker_label);
    buffer_append_str(b, ",\"name\":");
    append_json_string_or_null(b, h->speaker_name);
    buffer_append_str(b, ",\"role\":");
    append_json_string_or_null(b, h->speaker_role);
    buffer_append_str(b, ",\"firm\":");
    append_json_string_or_null(b, h->speaker_firm);
    buffer_printf(b, ",\"resolved\":%s},\"turn\":%u,\"sentence\":%u,\"line\":%u,\"text\":",
                  h->speaker_resolved ? "true" : "false", h->turn, h->sentence, h->line);
    json_append_string(b, h->text, h->text_len);
    buffer_append_str(b, ",\"highlights\":[");
    for (size_t i = 0; i < h->highlight_count; i++)
        buffer_printf(b, "%s[%u,%u]", i ? "," : "", h->highlights[i].start, h->highlights[i].end);
    buffer_append_byte(b, ']');
    if (h->context_count) {
        buffer_append_str(b, ",\"context\":[");
        for (size_t i = 0; i < h->context_count; i++) {
            const lps_context_sentence *c = &h->context[i];
            buffer_printf(b, "%s{\"offset\":%d,\"id\":%llu,\"speaker\":", i ? "," : "", c->offset,
                          (unsigned long long)c->id);
            append_json_string_or_null(b, c->speaker_name);
            buffer_append_str(b, ",\"text\":");
            json_append_string(b, c->text, c->text_len);
            buffer_append_byte(b, '}');
        }
        buffer_append_byte(b, ']');
    }
    if (h->explain) {
        const lps_explain *e = h->explain;
        buffer_printf(b, ",\"explain\":{\"n\":%.17g,\"avg_length\":%.17g,\"k1\":%.17g,\"b\":%.17g,\"units\":[", e->n,
                      e->avg_length, e->k1, e->b);
        for (size_t i = 0; i < e->row_count; i++) {
            const lps_explain_row *r = &e->rows[i];
            buffer_append_str(b, i ? ",{\"unit\":" : "{\"unit\":");
            json_append_string(b, r->unit, strlen(r->unit));
            buffer_printf(b, ",\"tf\":%.17g,\"df\":%.17g,\"idf\":%.17g,\"length\":%.17g,\"tf_part\":%.17g,\"score\":%.17g}",
                          r->tf, r->df, r->idf, r->length, r->tf_part, r->score);
        }
        buffer_append_str(b, "]}");
    }
    buffer_append_str(b, "}\n");
}

static int write_out(buffer *b)
{
    if (b->failed) {
        cli_errorf("out of memory formatting the results");
        return -1;
    }
    if (fwrite(b->data, 1, b->len, stdout) != b->len) {
        cli_errorf("cannot write output: %s", strerror(errno));
        return -1;
    }
    buffer_reset(b);
    return 0;
}

int cmd_search(int argc, char **argv)
{
    search_cli s;
    memset(&s, 0, sizeof s);
    lps_search_options_init(&s.opts);
    int pr = parse_args(&s, argc, argv);
    if (pr != 0) {
        buffer_free(&s.query);
        return pr > 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    const char *query = buffer_cstr(&s.query);
    char dir[4096];
    if (cli_resolve_index(s.index_dir, 1, dir, sizeof dir) != 0) {
        buffer_free(&s.query);
        return CLI_EXIT_ERROR;
    }
    lps_index *index;
    lps_error err;
    if (lps_index_open(dir, &index, &err) != LPS_OK) {
        cli_report_error(&err);
        buffer_free(&s.query);
        return CLI_EXIT_ERROR;
    }
    int status = CLI_EXIT_ERROR;
    buffer out = BUFFER_INIT;
    if (s.count_only) {
        uint64_t count;
        if (lps_count(index, query, &count, &err) != LPS_OK) {
            report_query_error(&err, query);
        } else {
            if (s.json)
                buffer_printf(&out, "{\"total\":%llu}\n", (unsigned long long)count);
            else
                buffer_printf(&out, "%llu\n", (unsigned long long)count);
            status = write_out(&out) != 0 ? CLI_EXIT_ERROR : count ? CLI_EXIT_OK : CLI_EXIT_NONE;
        }
    } else {
        s.opts.count = 1;
        lps_results *res;
        if (lps_search(index, query, &s.opts, &res, &err) != LPS_OK) {
            report_query_error(&err, query);
        } else {
            size_t n = lps_results_count(res);
            uint64_t total = lps_results_total(res);
            int failed = 0;
            for (size_t i = 0; i < n && !failed; i++) {
                if (s.json)
                    print_json_hit(&out, lps_results_hit(res, i));
                else
                    print_text_hit(&out, lps_results_hit(res, i), i == 0, s.color);
                failed = write_out(&out) != 0;
            }
            if (!failed) {
                if (s.json) {
                    buffer_printf(&out, "{\"summary\":{\"query\":");
                    json_append_string(&out, query, strlen(query));
                    buffer_printf(&out, ",\"total\":%llu,\"returned\":%zu,\"offset\":%zu}}\n",
                                  (unsigned long long)total, n, s.opts.offset);
                } else if (total == 0) {
                    fprintf(stderr, "lpsearch: no sentence matches %s\n", query);
                } else {
                    if (s.color)
                        buffer_append_str(&out, SGR_DIM);
                    buffer_printf(&out, "%s%llu match%s", n ? "\n" : "", (unsigned long long)total,
                                  total == 1 ? "" : "es");
                    if (n)
                        buffer_printf(&out, ", showing %zu-%zu", s.opts.offset + 1, s.opts.offset + n);
                    if (s.color)
                        buffer_append_str(&out, SGR_RESET);
                    buffer_append_byte(&out, '\n');
                }
                failed = write_out(&out) != 0;
            }
            lps_results_free(res);
            status = failed ? CLI_EXIT_ERROR : total > 0 ? CLI_EXIT_OK : CLI_EXIT_NONE;
        }
    }
    if (fflush(stdout) != 0 && status != CLI_EXIT_ERROR) {
        cli_errorf("cannot write output: %s", strerror(errno));
        status = CLI_EXIT_ERROR;
    }
    buffer_free(&out);
    lps_index_close(index);
    buffer_free(&s.query);
    return status;
}
