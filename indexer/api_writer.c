/*
 * The public writing interface (include/lpsearch.h) over index_writer.
 */
#include "lpsearch.h"

#include "alloc.h"
#include "error_internal.h"
#include "index_writer.h"
#include "transcript.h"

#include <string.h>

struct lps_writer {
    index_writer *w;
};

void lps_writer_options_init(lps_writer_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int lps_writer_open(const char *dir, const lps_writer_options *opts, lps_writer **out, lps_error *err)
{
    lps_error_clear(err);
    if (!out || !dir)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "dir or out is NULL");
    *out = NULL;
    lps_writer_options defaults;
    if (!opts) {
        lps_writer_options_init(&defaults);
        opts = &defaults;
    }
    if (opts->ram_mb > ((size_t)1 << 20))
        return lps_error_set(err, LPS_EARG, dir, -1, -1, "ram_mb is larger than 1 TiB");
    index_writer_options o = {0};
    o.create = opts->create;
    o.stem = opts->stem ? 1 : -1;
    o.ram_budget = opts->ram_mb << 20;
    o.threads = opts->threads;
    lps_writer *lw = lps_calloc(1, sizeof *lw);
    if (!lw)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory opening the index");
    int rc = index_writer_open(dir, &o, &lw->w, err);
    if (rc != LPS_OK) {
        lps_free(lw);
        return rc;
    }
    *out = lw;
    return LPS_OK;
}

static int add_parsed(lps_writer *w, transcript *t, int *added, lps_error *err)
{
    int local;
    int rc = index_writer_add_transcript(w->w, t, &local, err);
    if (added)
        *added = rc == LPS_OK ? local : 0;
    return rc;
}

int lps_writer_add_file(lps_writer *w, const char *path, int *added, lps_error *err)
{
    lps_error_clear(err);
    if (added)
        *added = 0;
    if (!w || !path)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "writer or path is NULL");
    transcript *t;
    int rc = transcript_read_file(path, &t, err);
    if (rc != LPS_OK)
        return rc;
    return add_parsed(w, t, added, err);
}

int lps_writer_add_text(lps_writer *w, const char *name, const char *text, size_t len, int *added,
                        lps_error *err)
{
    lps_error_clear(err);
    if (added)
        *added = 0;
    if (!w || !name || (!text && len > 0))
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "writer, name or text is NULL");
    transcript *t;
    int rc = transcript_read_memory(name, text, len, &t, err);
    if (rc != LPS_OK)
        return rc;
    return add_parsed(w, t, added, err);
}

int lps_writer_remove(lps_writer *w, const char *name, size_t *removed, lps_error *err)
{
    lps_error_clear(err);
    size_t local = 0;
    if (!w || !name)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "writer or name is NULL");
    int rc = index_writer_remove_call(w->w, name, &local, err);
    if (removed)
        *removed = local;
    return rc;
}

int lps_writer_commit(lps_writer *w, lps_error *err)
{
    lps_error_clear(err);
    if (!w)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "writer is NULL");
    return index_writer_commit(w->w, err);
}

int lps_writer_optimize(lps_writer *w, lps_error *err)
{
    lps_error_clear(err);
    if (!w)
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "writer is NULL");
    return index_writer_optimize(w->w, err);
}

void lps_writer_close(lps_writer *w)
{
    if (!w)
        return;
    index_writer_close(w->w);
    lps_free(w);
}
