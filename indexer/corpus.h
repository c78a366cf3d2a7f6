/*
 * Expands the paths a user names into the list of transcript files to read.
 * A file is taken as given, whatever its name.  A directory is walked
 * recursively for files ending in ".txt" (case-insensitive); hidden entries
 * (names starting with '.') are skipped, entries are visited in byte order
 * of their names so the result (and every sentence id derived from it) is
 * stable, symbolic links to directories are followed once but a link that
 * leads back into a directory being walked is reported as a loop, and
 * nesting deeper than CORPUS_MAX_DEPTH is reported and not entered.
 */
#ifndef LPS_CORPUS_H
#define LPS_CORPUS_H

#include <stddef.h>

#include "lpsearch.h"

#define CORPUS_MAX_DEPTH 64

typedef struct corpus_files {
    char **paths; /* owned */
    size_t count, cap;
} corpus_files;

/* Called for each path that cannot be used (missing, unreadable, a loop). */
typedef void (*corpus_error_fn)(const lps_error *err, void *ctx);

/*
 * Appends the transcript files under paths[0..n) to out.  Problems with
 * individual paths go to on_error (which may be NULL) and the walk goes on;
 * *problems counts them.  Returns LPS_OK, or LPS_ENOMEM (out keeps what it
 * had collected).
 */
int corpus_collect(const char *const *paths, size_t n, corpus_files *out,
                   corpus_error_fn on_error, void *ctx, size_t *problems);

void corpus_files_free(corpus_files *files); /* accepts NULL; leaves it empty */

#endif
