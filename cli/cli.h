/*
 * Shared pieces of the lpsearch command-line program.
 */
#ifndef LPS_CLI_H
#define LPS_CLI_H

#include <stdio.h>

#include "lpsearch.h"

/* Exit statuses, as grep uses them. */
enum {
    CLI_EXIT_OK = 0,      /* success (for search: hits found) */
    CLI_EXIT_NONE = 1,    /* search found nothing */
    CLI_EXIT_ERROR = 2    /* an error, a bad option, or input that was skipped */
};

/* Prints "lpsearch: <formatted error>" to stderr. */
void cli_report_error(const lps_error *err);
/* Prints "lpsearch: " + message to stderr. */
void cli_errorf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The bundled transcripts, used when a command is given no paths. */
const char *cli_default_corpus(void);

int cmd_export(int argc, char **argv);
void cmd_export_usage(FILE *out);

#endif
