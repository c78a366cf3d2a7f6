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

/*
 * Puts the index directory a command should use in out: given (from -i),
 * else $LPSEARCH_INDEX, else the default index of the bundled transcripts,
 * which is built first when need_existing and it is not built yet.
 * Returns 0, or -1 after reporting why the default index could not be built.
 */
int cli_resolve_index(const char *given, int need_existing, char *out, size_t size);

/*
 * Parses the options of a command that takes only [-i DIR] (and -h): sets
 * *dir and returns the index of the first operand; returns -1 after printing
 * the usage (*help set) or an error.
 */
int cli_parse_index_option(const char *cmd, int argc, char **argv, const char **dir,
                           void (*usage)(FILE *), int *help);

/* Parses a non-negative integer option value; -1 and a message on error. */
long long cli_parse_count(const char *cmd, const char *option, const char *value, long long max);

/* Search: argv[0] is the first option or query word (no command name). */
int cmd_search(int argc, char **argv);
void cmd_search_usage(FILE *out);
int cmd_bench(int argc, char **argv);
void cmd_bench_usage(FILE *out);
int cmd_export(int argc, char **argv);
void cmd_export_usage(FILE *out);
int cmd_index(int argc, char **argv);
void cmd_index_usage(FILE *out);
int cmd_remove(int argc, char **argv);
void cmd_remove_usage(FILE *out);
int cmd_optimize(int argc, char **argv);
void cmd_optimize_usage(FILE *out);
int cmd_stats(int argc, char **argv);
void cmd_stats_usage(FILE *out);
int cmd_check(int argc, char **argv);
void cmd_check_usage(FILE *out);

#endif
