/*
 * lpsearch — search earnings-call transcripts.  This file dispatches the
 * subcommands; each lives in its own cmd_*.c.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LPS_DEFAULT_CORPUS_DIR
#define LPS_DEFAULT_CORPUS_DIR "data/transcripts"
#endif

void cli_report_error(const lps_error *err)
{
    char line[2048];
    fprintf(stderr, "lpsearch: %s\n", lps_error_format(err, line, sizeof line));
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lpsearch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *cli_default_corpus(void)
{
    const char *env = getenv("LPSEARCH_CORPUS");
    return env && env[0] ? env : LPS_DEFAULT_CORPUS_DIR;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch [OPTIONS] QUERY...      search (see below)\n"
            "       lpsearch <command> [options] [arguments]\n"
            "\n"
            "Search earnings-call transcripts.\n"
            "\n"
            "commands:\n"
            "  search [OPTIONS] QUERY...\n"
            "                 search, also for a query that is a command's name\n"
            "  index [-i DIR] [--stem] [--ram-mb N] [PATH...]\n"
            "                 add transcripts to an index (created if needed)\n"
            "  remove [-i DIR] CALL...\n"
            "                 remove calls from an index\n"
            "  optimize [-i DIR]\n"
            "                 merge an index's segments into one\n"
            "  stats [-i DIR] [--json] [--calls]\n"
            "                 what an index holds and how big each part is\n"
            "  check [-i DIR] verify every checksum and structure of an index\n"
            "  export [--tokens] [--stem] [-i DIR | PATH...]\n"
            "                 print every sentence as JSON Lines\n"
            "  bench [-i DIR] [-k N] [--passes N] [--threads LIST] QUERYFILE\n"
            "                 query latency per kind of query\n"
            "  help [COMMAND] show help for a command ('lpsearch help search': the\n"
            "                 query language)\n"
            "\n"
            "options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n"
            "\n"
            "With no PATH, commands read the bundled transcripts (%s;\n"
            "set LPSEARCH_CORPUS to use another directory). With no -i, commands use\n"
            "$LPSEARCH_INDEX, else an index of the bundled transcripts that is built\n"
            "automatically the first time it is needed.\n",
            cli_default_corpus());
}

static int cmd_search_command(int argc, char **argv)
{
    return cmd_search(argc - 1, argv + 1);
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} commands[] = {
    {"search", cmd_search_command, cmd_search_usage},
    {"index", cmd_index, cmd_index_usage},
    {"remove", cmd_remove, cmd_remove_usage},
    {"optimize", cmd_optimize, cmd_optimize_usage},
    {"stats", cmd_stats, cmd_stats_usage},
    {"check", cmd_check, cmd_check_usage},
    {"export", cmd_export, cmd_export_usage},
    {"bench", cmd_bench, cmd_bench_usage},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        cmd_search_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("lpsearch %s\n", LPS_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                commands[i].usage(stdout);
                return CLI_EXIT_OK;
            }
        }
        cli_errorf("no help for '%s': unknown command (try 'lpsearch --help')", argv[2]);
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    /* Anything else is a search: options and query words. */
    return cmd_search(argc - 1, argv + 1);
}
