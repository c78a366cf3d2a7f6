/*
 * Which index a command uses, and the default index of the bundled
 * transcripts that is built the first time a command needs it.
 *
 * Order: -i DIR, then $LPSEARCH_INDEX, then the default index.  The default
 * index lives in the build tree when that is writable (so a fresh clone
 * needs no set-up beyond the build) and in $XDG_CACHE_HOME/lpsearch (or
 * ~/.cache/lpsearch) otherwise; its directory name carries a hash of the
 * corpus path, so pointing LPSEARCH_CORPUS elsewhere gets its own index.
 */
#include "cli.h"

#include "corpus.h"
#include "index_writer.h"
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#ifndef LPS_DEFAULT_INDEX_PARENT
#define LPS_DEFAULT_INDEX_PARENT "."
#endif

/* A default index counts as built once a commit has given it segments: an
 * interrupted first build leaves an empty manifest and is simply resumed. */
static int is_built(const char *dir)
{
    manifest m;
    if (manifest_read(dir, &m, NULL) != LPS_OK)
        return 0;
    int built = m.segment_count > 0;
    manifest_free(&m);
    return built;
}

static int writable_dir(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
}

static int make_dirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static void default_index_dir(char *out, size_t size)
{
    const char *corpus = cli_default_corpus();
    char real[4096];
    if (!realpath(corpus, real))
        snprintf(real, sizeof real, "%s", corpus);
    unsigned long long h = (unsigned long long)XXH64(real, strlen(real), 0);
    if (writable_dir(LPS_DEFAULT_INDEX_PARENT)) {
        snprintf(out, size, "%s/default-index-%08llx", LPS_DEFAULT_INDEX_PARENT, h & 0xffffffffull);
        return;
    }
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache && cache[0])
        snprintf(out, size, "%s/lpsearch/default-index-%08llx", cache, h & 0xffffffffull);
    else if (home && home[0])
        snprintf(out, size, "%s/.cache/lpsearch/default-index-%08llx", home, h & 0xffffffffull);
    else
        snprintf(out, size, "/tmp/lpsearch-%ld/default-index-%08llx", (long)getuid(), h & 0xffffffffull);
}

static void on_notice(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "lpsearch: %s\n", message);
}

static void on_file_quiet(const index_file_report *r, void *ctx)
{
    (void)ctx;
    if (r->outcome == INDEX_FILE_FAILED)
        cli_report_error(r->error);
}

/* Builds the default index from the bundled transcripts. */
static int build_default(const char *dir)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (make_dirs(parent) != 0) {
            cli_errorf("cannot create %s for the default index: %s", parent, strerror(errno));
            return -1;
        }
    }
    const char *corpus = cli_default_corpus();
    fprintf(stderr, "lpsearch: first run: indexing the bundled transcripts (%s) into %s\n", corpus, dir);
    index_writer_options opts = {0};
    opts.stem = -1;
    opts.create = 1;
    opts.notice = on_notice;
    index_writer *w;
    lps_error err;
    int orc = index_writer_open(dir, &opts, &w, &err);
    if (orc == LPS_ELOCKED) {
        /* Another lpsearch is building it right now: wait for its commit. */
        for (int i = 0; i < 1200 && !is_built(dir); i++)
            usleep(100 * 1000);
        if (is_built(dir))
            return 0;
    }
    if (orc != LPS_OK) {
        cli_report_error(&err);
        return -1;
    }
    corpus_files files = {0};
    size_t problems = 0;
    int rc = corpus_collect(&corpus, 1, &files, NULL, NULL, &problems);
    if (rc == LPS_OK)
        rc = index_writer_add_files(w, (const char *const *)files.paths, files.count, on_file_quiet, NULL, &err);
    if (rc == LPS_OK)
        rc = index_writer_commit(w, &err);
    if (rc != LPS_OK)
        cli_report_error(&err);
    corpus_files_free(&files);
    index_writer_close(w);
    return rc == LPS_OK ? 0 : -1;
}

int cli_resolve_index(const char *given, int need_existing, char *out, size_t size)
{
    if (given && given[0]) {
        snprintf(out, size, "%s", given);
        return 0;
    }
    const char *env = getenv("LPSEARCH_INDEX");
    if (env && env[0]) {
        snprintf(out, size, "%s", env);
        return 0;
    }
    default_index_dir(out, size);
    if (need_existing && !is_built(out))
        return build_default(out);
    return 0;
}
