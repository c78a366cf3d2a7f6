/*
 * lpsearch index, remove and optimize: the commands that change an index.
 */
#include "cli.h"

#include "corpus.h"
#include "index_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cmd_index_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch index [-i DIR] [--stem] [--ram-mb N] [--threads N] [PATH...]\n"
            "\n"
            "Add the transcripts at PATH (files, or directories searched for *.txt\n"
            "files) to the index in DIR, creating it if needed. Files whose content\n"
            "is already in the index are skipped, so rerunning a build, or an\n"
            "interrupted one, only adds what is missing. With no PATH, the bundled\n"
            "transcripts are indexed.\n"
            "\n"
            "options:\n"
            "  -i, --index DIR   the index (default: $LPSEARCH_INDEX, else the default\n"
            "                    index of the bundled transcripts)\n"
            "  --stem            for a new index: store English (Snowball) stems, so\n"
            "                    'pricing' also finds 'priced'; fixed once the index exists\n"
            "  --ram-mb N        memory for buffered postings before they are written\n"
            "                    as a segment (default %d)\n"
            "  --threads N       parsing threads (default: one per CPU)\n"
            "  --merge-factor N  segments of one size before they merge (default %d;\n"
            "                    1 never merges)\n"
            "  -q, --quiet       no progress bar and no summary\n"
            "  -h, --help        show this help\n"
            "\n"
            "A progress bar is drawn on stderr when it is a terminal. Files that\n"
            "cannot be read are reported and skipped; the exit status is then 2.\n",
            INDEX_DEFAULT_RAM_MB, INDEX_DEFAULT_MERGE_FACTOR);
}

void cmd_remove_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch remove [-i DIR] CALL...\n"
            "\n"
            "Remove calls from the index. CALL is the file name the call was indexed\n"
            "from (e.g. liveperson-2014-q1.txt), its path as given to 'lpsearch index',\n"
            "or its title. Every call is checked before anything changes: if one is\n"
            "not in the index, nothing is removed and the exit status is 2.\n"
            "Removed sentences disappear from every search at once; their space is\n"
            "reclaimed when segments merge ('lpsearch optimize').\n");
}

void cmd_optimize_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch optimize [-i DIR]\n"
            "\n"
            "Merge every segment of the index into one and purge removed calls.\n"
            "Searches see the same results before and after; a single segment is\n"
            "the fastest to search.\n");
}

long long cli_parse_count(const char *cmd, const char *option, const char *value, long long max)
{
    char *end;
    errno = 0;
    long long v = value ? strtoll(value, &end, 10) : -1;
    if (!value || errno || end == value || *end != '\0' || v < 0 || v > max) {
        cli_errorf("%s: %s needs a whole number from 0 to %lld, not '%s'", cmd, option, max,
                   value ? value : "");
        return -1;
    }
    return v;
}

static void on_notice(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "lpsearch: %s\n", message);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct index_progress {
    int bar;             /* stderr is a terminal */
    double start, last_draw;
    size_t added, duplicates, failed;
    uint64_t sentences, bytes;
} index_progress;

static void draw_bar(const index_progress *p, const index_file_report *r)
{
    double elapsed = now_seconds() - p->start;
    double mbps = elapsed > 0 ? (double)p->bytes / 1e6 / elapsed : 0;
    int width = 24;
    int filled = r->total ? (int)((double)r->done / (double)r->total * width) : 0;
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu files  %llu sentences  %.1f MB/s ", bar, r->done, r->total,
            (unsigned long long)p->sentences, mbps);
    fflush(stderr);
}

static void on_file(const index_file_report *r, void *ctx)
{
    index_progress *p = ctx;
    p->bytes += r->bytes;
    if (r->outcome == INDEX_FILE_ADDED) {
        p->added++;
        p->sentences += r->sentences;
    } else if (r->outcome == INDEX_FILE_DUPLICATE) {
        p->duplicates++;
    } else {
        p->failed++;
        if (p->bar)
            fputs("\r\033[K", stderr);
        cli_report_error(r->error);
    }
    if (p->bar) {
        double t = now_seconds();
        if (t - p->last_draw > 0.1 || r->done == r->total) {
            p->last_draw = t;
            draw_bar(p, r);
        }
    }
}

static void on_corpus_error(const lps_error *err, void *ctx)
{
    (void)ctx;
    cli_report_error(err); /* corpus_collect counts it in progress.failed */
}

int cmd_index(int argc, char **argv)
{
    const char *dir_opt = NULL;
    index_writer_options opts = {0};
    opts.stem = -1;
    opts.create = 1;
    opts.notice = on_notice;
    int quiet = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cmd_index_usage(stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--stem") == 0) {
            opts.stem = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0 || strcmp(a, "--ram-mb") == 0 ||
                   strcmp(a, "--threads") == 0 || strcmp(a, "--merge-factor") == 0) {
            if (++i >= argc) {
                cli_errorf("index: %s needs a value", a);
                return CLI_EXIT_ERROR;
            }
            value = argv[i];
            if (a[1] == 'i' || strcmp(a, "--index") == 0) {
                dir_opt = value;
            } else if (strcmp(a, "--ram-mb") == 0) {
                long long mb = cli_parse_count("index", a, value, 1 << 20);
                if (mb < 0)
                    return CLI_EXIT_ERROR;
                if (mb < 1) {
                    cli_errorf("index: --ram-mb must be at least 1");
                    return CLI_EXIT_ERROR;
                }
                opts.ram_budget = (size_t)mb << 20;
            } else if (strcmp(a, "--threads") == 0) {
                long long n = cli_parse_count("index", a, value, 64);
                if (n < 0)
                    return CLI_EXIT_ERROR;
                opts.threads = (unsigned)n;
            } else {
                long long n = cli_parse_count("index", a, value, 1000);
                if (n < 0)
                    return CLI_EXIT_ERROR;
                opts.merge_factor = (unsigned)n;
            }
        } else {
            cli_errorf("index: unknown option '%s' (try 'lpsearch help index')", a);
            return CLI_EXIT_ERROR;
        }
    }
    const char *default_paths[1];
    const char **paths = (const char **)(argv + i);
    size_t path_count = (size_t)(argc - i);
    if (path_count == 0) {
        default_paths[0] = cli_default_corpus();
        paths = default_paths;
        path_count = 1;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 0, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;

    index_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.bar = !quiet && isatty(STDERR_FILENO);
    progress.start = now_seconds();
    corpus_files files = {0};
    if (corpus_collect(paths, path_count, &files, on_corpus_error, &progress, &progress.failed) != LPS_OK) {
        cli_errorf("index: out of memory listing files");
        corpus_files_free(&files);
        return CLI_EXIT_ERROR;
    }
    if (files.count == 0 && progress.failed == 0) {
        cli_errorf("index: no transcript files (*.txt) found under the given paths");
        corpus_files_free(&files);
        return CLI_EXIT_ERROR;
    }
    index_writer *w;
    lps_error err;
    if (index_writer_open(dir, &opts, &w, &err) != LPS_OK) {
        cli_report_error(&err);
        corpus_files_free(&files);
        return CLI_EXIT_ERROR;
    }
    int rc = index_writer_add_files(w, (const char *const *)files.paths, files.count, on_file, &progress, &err);
    if (rc == LPS_OK)
        rc = index_writer_commit(w, &err);
    if (progress.bar)
        fputs("\r\033[K", stderr);
    if (rc != LPS_OK) {
        cli_report_error(&err);
        fprintf(stderr, "lpsearch: index: stopped; everything committed before the error is intact\n");
    } else if (!quiet) {
        const index_snapshot *snap = index_writer_snapshot(w);
        double elapsed = now_seconds() - progress.start;
        fprintf(stderr,
                "lpsearch: %zu added (%llu sentences), %zu already indexed, %zu failed; %.1f MB in %.2f s (%.1f MB/s); "
                "%s now holds %llu calls, %llu sentences in %zu segment%s\n",
                progress.added, (unsigned long long)progress.sentences, progress.duplicates, progress.failed,
                (double)progress.bytes / 1e6, elapsed, elapsed > 0 ? (double)progress.bytes / 1e6 / elapsed : 0.0,
                dir, (unsigned long long)snap->live_calls, (unsigned long long)snap->live_docs,
                snap->segment_count, snap->segment_count == 1 ? "" : "s");
    }
    index_writer_close(w);
    corpus_files_free(&files);
    if (rc != LPS_OK)
        return CLI_EXIT_ERROR;
    return progress.failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int cli_parse_index_option(const char *cmd, int argc, char **argv, const char **dir,
                              void (*usage)(FILE *), int *help)
{
    *help = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            *help = 1;
            return -1;
        }
        if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
            if (++i >= argc) {
                cli_errorf("%s: %s needs a directory", cmd, a);
                return -1;
            }
            *dir = argv[i];
        } else if (strncmp(a, "--index=", 8) == 0) {
            *dir = a + 8;
        } else {
            cli_errorf("%s: unknown option '%s' (try 'lpsearch help %s')", cmd, a, cmd);
            return -1;
        }
    }
    return i;
}


int cmd_remove(int argc, char **argv)
{
    const char *dir_opt = NULL;
    int help;
    int first = cli_parse_index_option("remove", argc, argv, &dir_opt, cmd_remove_usage, &help);
    if (first < 0)
        return help ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (first >= argc) {
        cli_errorf("remove: name the calls to remove (try 'lpsearch help remove')");
        return CLI_EXIT_ERROR;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 1, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;
    index_writer_options opts = {0};
    opts.stem = -1;
    opts.notice = on_notice;
    index_writer *w;
    lps_error err;
    if (index_writer_open(dir, &opts, &w, &err) != LPS_OK) {
        cli_report_error(&err);
        return CLI_EXIT_ERROR;
    }
    int rc = LPS_OK, missing = 0;
    size_t total = 0;
    for (int i = first; i < argc && rc == LPS_OK; i++) {
        size_t removed;
        rc = index_writer_remove_call(w, argv[i], &removed, &err);
        if (rc == LPS_OK && removed == 0) {
            cli_errorf("remove: %s: no such call in %s (see 'lpsearch stats -i %s --calls')", argv[i], dir, dir);
            missing = 1;
        }
        total += removed;
    }
    if (rc == LPS_OK && !missing)
        rc = index_writer_commit(w, &err);
    if (rc != LPS_OK)
        cli_report_error(&err);
    else if (!missing)
        fprintf(stderr, "lpsearch: removed %zu call%s from %s\n", total, total == 1 ? "" : "s", dir);
    index_writer_close(w);
    return rc != LPS_OK || missing ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int cmd_optimize(int argc, char **argv)
{
    const char *dir_opt = NULL;
    int help;
    int first = cli_parse_index_option("optimize", argc, argv, &dir_opt, cmd_optimize_usage, &help);
    if (first < 0)
        return help ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (first < argc) {
        cli_errorf("optimize: unexpected argument '%s'", argv[first]);
        return CLI_EXIT_ERROR;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 1, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;
    index_writer_options opts = {0};
    opts.stem = -1;
    opts.notice = on_notice;
    index_writer *w;
    lps_error err;
    if (index_writer_open(dir, &opts, &w, &err) != LPS_OK) {
        cli_report_error(&err);
        return CLI_EXIT_ERROR;
    }
    size_t before = index_writer_snapshot(w)->segment_count;
    double start = now_seconds();
    int rc = index_writer_optimize(w, &err);
    if (rc != LPS_OK)
        cli_report_error(&err);
    else
        fprintf(stderr, "lpsearch: %zu segment%s merged into %zu in %.2f s\n", before, before == 1 ? "" : "s",
                index_writer_snapshot(w)->segment_count, now_seconds() - start);
    index_writer_close(w);
    return rc == LPS_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
