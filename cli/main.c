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
            "usage: lpsearch <command> [options] [arguments]\n"
            "\n"
            "Search earnings-call transcripts.\n"
            "\n"
            "commands:\n"
            "  export [--tokens] [--stem] [PATH...]\n"
            "                 print every sentence of the transcripts as JSON Lines\n"
            "  help [COMMAND] show help for a command\n"
            "\n"
            "options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n"
            "\n"
            "With no PATH, commands read the bundled transcripts (%s;\n"
            "set LPSEARCH_CORPUS to use another directory).\n",
            cli_default_corpus());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
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
        if (strcmp(argv[2], "export") == 0) {
            cmd_export_usage(stdout);
            return CLI_EXIT_OK;
        }
        cli_errorf("no help for '%s': unknown command (try 'lpsearch --help')", argv[2]);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    cli_errorf("unknown command '%s' (try 'lpsearch --help')", cmd);
    return CLI_EXIT_ERROR;
}
