/*
 * The index writer: lock, buffer, flush, commit, merge, remove.
 *
 * Files in an index directory:
 *   MANIFEST                      the commit point (common/manifest.c)
 *   LOCK                          held with flock() by the one writer;
 *                                 holds its pid while it runs, empty after
 *                                 a clean exit
 *   seg-<id>.lps                  segments (segment_writer.c)
 *   seg-<id>.<generation>.del     deletion markers
 *   *.tmp                         files being written; never read
 * Anything of these shapes that the manifest does not name is left over
 * from an interrupted writer and is removed when the next writer opens.
 *
 * Merge policy: segments are kept in document order and only neighbours
 * merge, so merging never changes document order (and search results never
 * depend on how the index happens to be split).  A segment's tier is
 * floor(log_F(live documents)); whenever F neighbours share a tier they are
 * merged into one.  This is the logarithmic policy: every document is
 * rewritten O(log_F N) times and there are O(F log_F N) segments.
 */
#include "index_writer.h"

#include "alloc.h"
#include "analyzer.h"
#include "error_internal.h"
#include "inverter.h"
#include "manifest.h"
#include "segment_format.h"
#include "segment_merger.h"
#include "segment_writer.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- A set of content hashes ------------------------------------------- */

typedef struct hash_set {
    uint64_t *slots; /* 0 = empty; a real 0 hash is stored as 1 (harmless) */
    size_t count, cap;
} hash_set;

static uint64_t hash_key(uint64_t h)
{
    return h ? h : 1;
}

static int hash_set_add(hash_set *s, uint64_t h)
{
    h = hash_key(h);
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *slots = lps_calloc(cap, sizeof *slots);
        if (!slots)
            return LPS_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i])
                continue;
            size_t j = s->slots[i] & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = s->slots[i];
        }
        lps_free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t j = h & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == h)
            return LPS_OK;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = h;
    s->count++;
    return LPS_OK;
}

static int hash_set_has(const hash_set *s, uint64_t h)
{
    if (!s->cap)
        return 0;
    h = hash_key(h);
    for (size_t j = h & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
        if (s->slots[j] == h)
            return 1;
    return 0;
}

/* ---- The writer --------------------------------------------------------- */

struct index_writer {
    char *dir;
    index_writer_options opts;
    int lock_fd;
    index_snapshot *snap;      /* the committed state */
    uint32_t flags;
    uint64_t next_segment_id;
    uint64_t generation;
    inverter *inv;
    analyzer *analyzer;        /* for transcripts added one at a time */
    hash_set hashes;           /* live calls, committed and buffered */
    unsigned char **pending_deletions; /* per snapshot segment, NULL = unchanged */
    int dirty;                 /* something to commit */
    int broken;                /* a failed commit left memory out of step with disk */
};

static void notice(const index_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void notice(const index_writer *w, const char *fmt, ...)
{
    if (!w->opts.notice)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->opts.notice(w->opts.notice_ctx, msg);
}

static int acquire_lock(index_writer *w, lps_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, LOCK_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return lps_error_set(err, LPS_EIO, path, -1, -1, "cannot open the lock file: %s", strerror(errno));
    char content[64] = {0};
    ssize_t n = pread(fd, content, sizeof content - 1, 0);
    long pid = n > 0 ? strtol(content, NULL, 10) : 0;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            if (pid > 0)
                return lps_error_set(err, LPS_ELOCKED, w->dir, -1, -1,
                                     "the index is being written by another process (pid %ld); try again when it finishes",
                                     pid);
            return lps_error_set(err, LPS_ELOCKED, w->dir, -1, -1,
                                 "the index is being written by another process");
        }
        return lps_error_set(err, LPS_EIO, path, -1, -1, "cannot lock: %s", strerror(e));
    }
    /* The lock is ours, so a pid left in the file belongs to a writer that
     * died without cleaning up (flock locks die with their process). */
    n = pread(fd, content, sizeof content - 1, 0);
    content[n > 0 ? n : 0] = '\0';
    pid = n > 0 ? strtol(content, NULL, 10) : 0;
    if (pid > 0 && pid != (long)getpid())
        notice(w, "%s: a previous writer (pid %ld) stopped without finishing; its uncommitted files are removed and committed data is intact",
               w->dir, pid);
    char mine[32];
    int len = snprintf(mine, sizeof mine, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, mine, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "cannot write the lock file: %s", strerror(e));
    }
    w->lock_fd = fd;
    return LPS_OK;
}

static void release_lock(index_writer *w)
{
    if (w->lock_fd < 0)
        return;
    if (ftruncate(w->lock_fd, 0) != 0) {
        /* Not fatal: the next writer will just report a stale lock. */
    }
    flock(w->lock_fd, LOCK_UN);
    close(w->lock_fd);
    w->lock_fd = -1;
}

static int parse_hex16(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 1;
}

/* 1: a file the committed manifest names; 0: one of ours it does not name;
 * -1: not a segment or deletions file. */
static int referenced(const index_snapshot *snap, const char *name)
{
    unsigned long long id, gen;
    size_t len = strlen(name);
    const manifest *m = &snap->manifest;
    if (len == 24 && strncmp(name, "seg-", 4) == 0 && parse_hex16(name + 4, &id) &&
        strcmp(name + 20, ".lps") == 0) {
        for (size_t i = 0; i < m->segment_count; i++)
            if (m->segments[i].id == id)
                return 1;
        return 0;
    }
    if (len == 41 && strncmp(name, "seg-", 4) == 0 && parse_hex16(name + 4, &id) && name[20] == '.' &&
        parse_hex16(name + 21, &gen) && strcmp(name + 37, ".del") == 0) {
        for (size_t i = 0; i < m->segment_count; i++)
            if (m->segments[i].id == id && m->segments[i].deletions_generation == gen)
                return 1;
        return 0;
    }
    return -1;
}

/* Removes files of ours that the committed manifest does not name. */
static void collect_garbage(index_writer *w)
{
    DIR *d = opendir(w->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        int remove_it = 0;
        if (len > 4 && strcmp(name + len - 4, ".tmp") == 0 &&
            (strncmp(name, "seg-", 4) == 0 || strncmp(name, "spool-", 6) == 0 ||
             strncmp(name, MANIFEST_NAME, strlen(MANIFEST_NAME)) == 0))
            remove_it = 1;
        else if (strncmp(name, "seg-", 4) == 0 && referenced(w->snap, name) == 0)
            remove_it = 1;
        if (remove_it) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", w->dir, name);
            unlink(path);
        }
    }
    closedir(d);
}

static int load_hashes(index_writer *w)
{
    w->hashes.count = 0;
    if (w->hashes.slots)
        memset(w->hashes.slots, 0, w->hashes.cap * sizeof *w->hashes.slots);
    for (size_t i = 0; i < w->snap->segment_count; i++) {
        const snapshot_segment *ss = &w->snap->segments[i];
        for (uint32_t c = 0; c < ss->seg->call_count; c++) {
            call_record cr;
            if (segment_call(ss->seg, c, &cr) != LPS_OK)
                return LPS_ECORRUPT;
            if (cr.doc_count > 0 && snapshot_is_deleted(ss, cr.first_doc))
                continue;
            if (w->pending_deletions && w->pending_deletions[i] && cr.doc_count > 0 &&
                (w->pending_deletions[i][cr.first_doc >> 3] >> (cr.first_doc & 7) & 1))
                continue;
            if (hash_set_add(&w->hashes, cr.content_hash) != LPS_OK)
                return LPS_ENOMEM;
        }
    }
    for (size_t c = 0; c < inverter_call_count(w->inv); c++)
        if (hash_set_add(&w->hashes, inverter_call_hash(w->inv, c)) != LPS_OK)
            return LPS_ENOMEM;
    return LPS_OK;
}

uint32_t index_writer_flags(const index_writer *w)
{
    return w->flags;
}

const index_snapshot *index_writer_snapshot(const index_writer *w)
{
    return w->snap;
}

int index_writer_open(const char *dir, const index_writer_options *opts, index_writer **out,
                      lps_error *err)
{
    *out = NULL;
    index_writer *w = lps_calloc(1, sizeof *w);
    if (!w || !(w->dir = lps_strdup(dir))) {
        lps_free(w);
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory opening the index");
    }
    w->lock_fd = -1;
    if (opts)
        w->opts = *opts;
    else
        w->opts.stem = -1;
    if (w->opts.ram_budget == 0)
        w->opts.ram_budget = (size_t)INDEX_DEFAULT_RAM_MB << 20;
    if (w->opts.merge_factor == 0)
        w->opts.merge_factor = INDEX_DEFAULT_MERGE_FACTOR;
    if (w->opts.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        w->opts.threads = n > 0 ? (unsigned)n : 1;
    }

    int rc = LPS_OK;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || !w->opts.create)
            rc = lps_error_set(err, errno == ENOENT ? LPS_ENOENT : LPS_EIO, dir, -1, -1,
                               errno == ENOENT ? "no index here" : "cannot access: %s", strerror(errno));
        else if (mkdir(dir, 0755) != 0)
            rc = lps_error_set(err, LPS_EIO, dir, -1, -1, "cannot create the index directory: %s",
                               strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        rc = lps_error_set(err, LPS_EARG, dir, -1, -1, "not a directory: an index is a directory");
    }
    if (rc == LPS_OK)
        rc = acquire_lock(w, err);
    if (rc == LPS_OK) {
        manifest m;
        rc = manifest_read(dir, &m, err);
        if (rc == LPS_ENOENT && w->opts.create) {
            /* A new index: an empty manifest makes it one. */
            memset(&m, 0, sizeof m);
            m.flags = w->opts.stem == 1 ? SEGMENT_FLAG_STEM_ENGLISH : 0;
            m.next_segment_id = 1;
            rc = manifest_write(dir, &m, err);
        } else if (rc == LPS_ENOENT) {
            rc = lps_error_set(err, LPS_ENOENT, dir, -1, -1, "not an lpsearch index (no MANIFEST)");
        }
        if (rc == LPS_OK && w->opts.stem != -1 &&
            (int)(m.flags & SEGMENT_FLAG_STEM_ENGLISH) != (w->opts.stem ? (int)SEGMENT_FLAG_STEM_ENGLISH : 0))
            rc = lps_error_set(err, LPS_EARG, dir, -1, -1,
                               "the index was built %s stemming; it cannot change (build a new index)",
                               m.flags & SEGMENT_FLAG_STEM_ENGLISH ? "with" : "without");
        manifest_free(&m);
    }
    if (rc == LPS_OK)
        rc = index_snapshot_open(dir, &w->snap, err);
    if (rc == LPS_OK) {
        w->flags = w->snap->flags;
        w->next_segment_id = w->snap->manifest.next_segment_id;
        w->generation = w->snap->manifest.generation;
        collect_garbage(w);
        if (inverter_create(&w->inv) != LPS_OK ||
            analyzer_create(&w->analyzer, w->flags & SEGMENT_FLAG_STEM_ENGLISH ? ANALYZER_STEM_ENGLISH : 0) != LPS_OK)
            rc = lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory opening the index");
    }
    if (rc == LPS_OK) {
        rc = load_hashes(w);
        if (rc != LPS_OK)
            rc = lps_error_set(err, rc, dir, -1, -1, "cannot read the calls of the index: %s", lps_strerror(rc));
    }
    if (rc != LPS_OK) {
        index_writer_close(w);
        return rc;
    }
    *out = w;
    return LPS_OK;
}

void index_writer_close(index_writer *w)
{
    if (!w)
        return;
    if (w->pending_deletions && w->snap) {
        for (size_t i = 0; i < w->snap->segment_count; i++)
            lps_free(w->pending_deletions[i]);
    }
    lps_free(w->pending_deletions);
    index_snapshot_close(w->snap);
    inverter_free(w->inv);
    analyzer_free(w->analyzer);
    lps_free(w->hashes.slots);
    release_lock(w);
    lps_free(w->dir);
    lps_free(w);
}

/* ---- Commit ------------------------------------------------------------- */

static unsigned tier(uint64_t docs, unsigned factor)
{
    unsigned t = 0;
    while (docs >= factor) {
        docs /= factor;
        t++;
    }
    return t;
}

/* Merges sources [from, to) of the working manifest m into one segment. */
static int merge_range(index_writer *w, manifest *m, const snapshot_segment *segs, size_t from, size_t to,
                       lps_error *err)
{
    uint64_t id = w->next_segment_id++;
    segment_write_info info;
    int rc = segment_merge(w->dir, segs + from, to - from, id, w->flags, &info, err);
    if (rc != LPS_OK)
        return rc;
    manifest_segment merged = {id, info.doc_count, 0, info.file_size, 0};
    m->segments[from] = merged;
    memmove(&m->segments[from + 1], &m->segments[to], (m->segment_count - to) * sizeof *m->segments);
    m->segment_count -= to - from - 1;
    return LPS_OK;
}

/*
 * Chooses a run of neighbours to merge: the first F neighbours sharing a
 * tier (by live documents).  Returns 0 when there is none.
 */
static int pick_merge(const manifest *m, unsigned factor, size_t *from, size_t *to)
{
    if (factor < 2)
        return 0;
    for (size_t i = 0; i + factor <= m->segment_count; i++) {
        unsigned t = tier(m->segments[i].doc_count - m->segments[i].deleted_count, factor);
        size_t j = i + 1;
        while (j < m->segment_count && j - i < factor &&
               tier(m->segments[j].doc_count - m->segments[j].deleted_count, factor) == t)
            j++;
        if (j - i == factor) {
            *from = i;
            *to = j;
            return 1;
        }
    }
    return 0;
}

/* For a failure after the manifest was replaced: the changes are durable,
 * and the message says so, or a caller would take them for lost. */
static void note_committed(lps_error *err)
{
    if (!err)
        return;
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof err->message - len, " (the changes were committed before this failure)");
}

/*
 * Writes the new state and publishes it.  Every file is durable before the
 * manifest names it; if anything fails the manifest on disk is the old one
 * and the files written so far are garbage for the next writer.
 */
static int commit(index_writer *w, int optimize, lps_error *err)
{
    if (w->broken)
        return lps_error_set(err, LPS_EIO, w->dir, -1, -1,
                             "an earlier commit failed; reopen the index to continue");
    manifest m;
    if (manifest_copy(&m, &w->snap->manifest) != LPS_OK)
        return lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory committing");
    int rc = LPS_OK;
    uint64_t generation = w->generation + 1;

    /* Deletions first: they apply to the committed segments. */
    for (size_t i = 0; w->pending_deletions && i < w->snap->segment_count && rc == LPS_OK; i++) {
        if (!w->pending_deletions[i])
            continue;
        manifest_segment *ms = &m.segments[i];
        rc = deletions_write(w->dir, ms->id, generation, ms->doc_count, w->pending_deletions[i], err);
        if (rc == LPS_OK) {
            uint32_t count = 0;
            for (size_t b = 0; b < ((size_t)ms->doc_count + 7) / 8; b++)
                count += (uint32_t)__builtin_popcount(w->pending_deletions[i][b]);
            ms->deleted_count = count;
            ms->deletions_generation = count ? generation : 0;
        }
    }
    /* Whole segments whose every document is deleted just leave the manifest. */
    if (rc == LPS_OK) {
        size_t kept = 0;
        for (size_t i = 0; i < m.segment_count; i++)
            if (m.segments[i].deleted_count < m.segments[i].doc_count)
                m.segments[kept++] = m.segments[i];
        m.segment_count = kept;
    }
    /* Then the buffer becomes a segment. */
    if (rc == LPS_OK && inverter_doc_count(w->inv) > 0) {
        if (m.segment_count >= MANIFEST_MAX_SEGMENTS) {
            rc = lps_error_set(err, LPS_ELIMIT, w->dir, -1, -1, "the index holds %u segments, the most it can",
                               MANIFEST_MAX_SEGMENTS);
        } else {
            uint64_t id = w->next_segment_id++;
            segment_write_info info;
            rc = inverter_flush(w->inv, w->dir, id, w->flags, &info, err);
            if (rc == LPS_OK) {
                manifest_segment *grown = lps_realloc(m.segments, (m.segment_count + 1) * sizeof *grown);
                if (!grown) {
                    rc = lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory committing");
                } else {
                    m.segments = grown;
                    manifest_segment ms = {id, info.doc_count, 0, info.file_size, 0};
                    m.segments[m.segment_count++] = ms;
                }
            }
        }
    }
    m.generation = generation;
    m.next_segment_id = w->next_segment_id;
    if (rc == LPS_OK)
        rc = manifest_write(w->dir, &m, err);
    manifest_free(&m);
    int committed = rc == LPS_OK;
    if (rc == LPS_OK) {
        for (size_t i = 0; w->pending_deletions && i < w->snap->segment_count; i++)
            lps_free(w->pending_deletions[i]);
        lps_free(w->pending_deletions);
        w->pending_deletions = NULL;
        w->generation = generation;
        rc = index_snapshot_reopen(w->snap, &w->snap, err);
        if (rc != LPS_OK)
            w->snap = NULL;
    }
    /* Merges, each its own commit, so a merge that fails loses nothing. */
    while (rc == LPS_OK) {
        manifest cur;
        if (manifest_copy(&cur, &w->snap->manifest) != LPS_OK) {
            rc = lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory merging");
            break;
        }
        size_t from = 0, to = 0;
        int any = optimize ? (cur.segment_count > 1 ||
                              (cur.segment_count == 1 && cur.segments[0].deleted_count > 0))
                           : pick_merge(&cur, w->opts.merge_factor, &from, &to);
        if (optimize && any) {
            from = 0;
            to = cur.segment_count;
        }
        if (!any) {
            manifest_free(&cur);
            break;
        }
        rc = merge_range(w, &cur, w->snap->segments, from, to, err);
        if (rc == LPS_OK) {
            cur.generation = ++w->generation;
            cur.next_segment_id = w->next_segment_id;
            rc = manifest_write(w->dir, &cur, err);
        }
        manifest_free(&cur);
        if (rc == LPS_OK) {
            rc = index_snapshot_reopen(w->snap, &w->snap, err);
            if (rc != LPS_OK)
                w->snap = NULL;
        }
        if (optimize)
            break;
    }
    if (rc != LPS_OK) {
        w->broken = 1;
        if (committed)
            note_committed(err);
        return rc;
    }
    w->dirty = 0;
    collect_garbage(w);
    return LPS_OK;
}

int index_writer_commit(index_writer *w, lps_error *err)
{
    return commit(w, 0, err);
}

int index_writer_optimize(index_writer *w, lps_error *err)
{
    return commit(w, 1, err);
}

/* ---- Adding ------------------------------------------------------------- */

static int add_analyzed(index_writer *w, analyzed_transcript *at, int *added, lps_error *err)
{
    *added = 0;
    if (w->broken) {
        analyzed_transcript_free(at);
        return lps_error_set(err, LPS_EIO, w->dir, -1, -1, "an earlier commit failed; reopen the index to continue");
    }
    uint64_t hash = at->t->content_hash;
    if (hash_set_has(&w->hashes, hash)) {
        analyzed_transcript_free(at);
        return LPS_OK;
    }
    if (hash_set_add(&w->hashes, hash) != LPS_OK) {
        analyzed_transcript_free(at);
        return lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory adding a transcript");
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", at->t->path ? at->t->path : "");
    int rc = inverter_add(w->inv, at);
    if (rc != LPS_OK) {
        /* A partly inverted call poisons the buffer: drop uncommitted work. */
        w->broken = 1;
        return lps_error_set(err, rc, path, -1, -1, "cannot index: %s", lps_strerror(rc));
    }
    *added = 1;
    w->dirty = 1;
    if (inverter_memory(w->inv) >= w->opts.ram_budget)
        return index_writer_commit(w, err);
    return LPS_OK;
}

int index_writer_add_transcript(index_writer *w, transcript *t, int *added, lps_error *err)
{
    *added = 0;
    analyzed_transcript *at;
    int rc = analyzed_transcript_make(w->analyzer, t, &at);
    if (rc != LPS_OK) {
        lps_error_set(err, rc, t->path, -1, -1, "cannot analyze: %s", lps_strerror(rc));
        transcript_free(t);
        return rc;
    }
    return add_analyzed(w, at, added, err);
}

/*
 * Parsing and tokenizing run on worker threads; inversion stays on the
 * calling thread, in input order, so document ids do not depend on timing.
 * Workers run at most RING files ahead of the consumer, which bounds the
 * memory in flight.
 */
#define RING_PER_THREAD 4

typedef struct pipeline_slot {
    int ready;
    int rc;
    analyzed_transcript *at;
    lps_error error;
    uint64_t bytes;
} pipeline_slot;

typedef struct pipeline {
    const char *const *files;
    size_t n, claimed, consumed;
    pipeline_slot *ring;
    size_t ring_size;
    int stop;
    unsigned analyzer_flags;
    pthread_mutex_t mutex;
    pthread_cond_t produced, freed;
} pipeline;

static void *pipeline_worker(void *arg)
{
    pipeline *p = arg;
    analyzer *a = NULL;
    int arc = analyzer_create(&a, p->analyzer_flags);
    for (;;) {
        pthread_mutex_lock(&p->mutex);
        while (!p->stop && p->claimed < p->n && p->claimed >= p->consumed + p->ring_size)
            pthread_cond_wait(&p->freed, &p->mutex);
        if (p->stop || p->claimed >= p->n) {
            pthread_mutex_unlock(&p->mutex);
            break;
        }
        size_t i = p->claimed++;
        pthread_mutex_unlock(&p->mutex);

        pipeline_slot result;
        memset(&result, 0, sizeof result);
        lps_error_clear(&result.error);
        transcript *t = NULL;
        if (arc != LPS_OK) {
            result.rc = lps_error_set(&result.error, LPS_ENOMEM, p->files[i], -1, -1, "out of memory");
        } else {
            result.rc = transcript_read_file(p->files[i], &t, &result.error);
            if (result.rc == LPS_OK) {
                struct stat st;
                result.bytes = stat(p->files[i], &st) == 0 ? (uint64_t)st.st_size : 0;
                result.rc = analyzed_transcript_make(a, t, &result.at);
                if (result.rc != LPS_OK) {
                    lps_error_set(&result.error, result.rc, p->files[i], -1, -1, "cannot analyze: %s",
                                  lps_strerror(result.rc));
                    transcript_free(t);
                }
            }
        }
        pthread_mutex_lock(&p->mutex);
        pipeline_slot *slot = &p->ring[i % p->ring_size];
        *slot = result;
        slot->ready = 1;
        pthread_cond_broadcast(&p->produced);
        pthread_mutex_unlock(&p->mutex);
    }
    analyzer_free(a);
    return NULL;
}

static int is_fatal_read_error(int rc)
{
    return rc == LPS_ENOMEM;
}

int index_writer_add_files(index_writer *w, const char *const *files, size_t n,
                           index_file_fn on_file, void *ctx, lps_error *err)
{
    if (n == 0)
        return LPS_OK;
    pipeline p;
    memset(&p, 0, sizeof p);
    p.files = files;
    p.n = n;
    unsigned threads = w->opts.threads;
    if (threads > 64)
        threads = 64;
    if (threads > n)
        threads = (unsigned)n;
    p.ring_size = (size_t)threads * RING_PER_THREAD;
    p.ring = lps_calloc(p.ring_size, sizeof *p.ring);
    p.analyzer_flags = w->flags & SEGMENT_FLAG_STEM_ENGLISH ? ANALYZER_STEM_ENGLISH : 0;
    pthread_t tids[64];
    unsigned started = 0;
    if (!p.ring)
        return lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory starting the indexer");
    pthread_mutex_init(&p.mutex, NULL);
    pthread_cond_init(&p.produced, NULL);
    pthread_cond_init(&p.freed, NULL);
    for (unsigned t = 0; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, pipeline_worker, &p) != 0)
            break;
        started++;
    }
    int rc = LPS_OK;
    if (started == 0)
        rc = lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "cannot start an indexing thread");
    for (size_t i = 0; i < n && rc == LPS_OK; i++) {
        pthread_mutex_lock(&p.mutex);
        pipeline_slot *slot = &p.ring[i % p.ring_size];
        while (!slot->ready)
            pthread_cond_wait(&p.produced, &p.mutex);
        pipeline_slot got = *slot;
        slot->ready = 0;
        slot->at = NULL;
        p.consumed++;
        pthread_cond_broadcast(&p.freed);
        pthread_mutex_unlock(&p.mutex);

        index_file_report report = {files[i], INDEX_FILE_FAILED, &got.error, got.bytes, 0, i + 1, n};
        if (got.rc != LPS_OK) {
            if (is_fatal_read_error(got.rc)) {
                *err = got.error;
                rc = got.rc;
                break;
            }
        } else {
            uint32_t sentences = (uint32_t)got.at->t->sentence_count;
            int added;
            rc = add_analyzed(w, got.at, &added, err);
            if (rc != LPS_OK)
                break;
            report.outcome = added ? INDEX_FILE_ADDED : INDEX_FILE_DUPLICATE;
            report.sentences = added ? sentences : 0;
        }
        if (on_file)
            on_file(&report, ctx);
    }
    pthread_mutex_lock(&p.mutex);
    p.stop = 1;
    pthread_cond_broadcast(&p.freed);
    pthread_mutex_unlock(&p.mutex);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    for (size_t i = 0; i < p.ring_size; i++)
        if (p.ring[i].ready)
            analyzed_transcript_free(p.ring[i].at);
    pthread_mutex_destroy(&p.mutex);
    pthread_cond_destroy(&p.produced);
    pthread_cond_destroy(&p.freed);
    lps_free(p.ring);
    return rc;
}

/* ---- Removing ----------------------------------------------------------- */

static int name_matches(const call_record *cr, const char *name)
{
    return (cr->file && strcmp(cr->file, name) == 0) || (cr->path && strcmp(cr->path, name) == 0) ||
           (cr->title && strcmp(cr->title, name) == 0);
}

int index_writer_remove_call(index_writer *w, const char *name, size_t *removed, lps_error *err)
{
    *removed = 0;
    /* After a failed commit the snapshot may be gone (w->snap NULL). */
    if (w->broken)
        return lps_error_set(err, LPS_EIO, w->dir, -1, -1, "an earlier commit failed; reopen the index to continue");
    /* Calls still in the buffer are committed first, so a call can be
     * removed whatever the RAM budget made of it. */
    if (inverter_doc_count(w->inv) > 0) {
        int rc = index_writer_commit(w, err);
        if (rc != LPS_OK)
            return rc;
    }
    const index_snapshot *snap = w->snap;
    if (!w->pending_deletions && snap->segment_count > 0) {
        w->pending_deletions = lps_calloc(snap->segment_count, sizeof *w->pending_deletions);
        if (!w->pending_deletions)
            return lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory removing a call");
    }
    for (size_t i = 0; i < snap->segment_count; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        for (uint32_t c = 0; c < ss->seg->call_count; c++) {
            call_record cr;
            if (segment_call(ss->seg, c, &cr) != LPS_OK)
                return segment_corrupt(ss->seg, SECTION_CALLS, err, "call %u is malformed", c);
            if (cr.doc_count == 0 || snapshot_is_deleted(ss, cr.first_doc) || !name_matches(&cr, name))
                continue;
            size_t nbytes = ((size_t)ss->seg->doc_count + 7) / 8;
            if (!w->pending_deletions[i]) {
                w->pending_deletions[i] = lps_calloc(nbytes, 1);
                if (!w->pending_deletions[i])
                    return lps_error_set(err, LPS_ENOMEM, w->dir, -1, -1, "out of memory removing a call");
                if (ss->deleted)
                    memcpy(w->pending_deletions[i], ss->deleted, nbytes);
            }
            unsigned char *bits = w->pending_deletions[i];
            if (bits[cr.first_doc >> 3] >> (cr.first_doc & 7) & 1)
                continue; /* already removed in this session */
            for (uint32_t d = cr.first_doc; d < cr.first_doc + cr.doc_count; d++)
                bits[d >> 3] |= (unsigned char)(1u << (d & 7));
            (*removed)++;
            w->dirty = 1;
        }
    }
    if (*removed > 0) {
        int rc = load_hashes(w);
        if (rc != LPS_OK)
            return lps_error_set(err, rc, w->dir, -1, -1, "cannot update the call list: %s", lps_strerror(rc));
    }
    return LPS_OK;
}
