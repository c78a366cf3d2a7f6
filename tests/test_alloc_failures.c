/*
 * Allocation failures in the index writer, the readers and search: each
 * operation runs once to count its allocations, then again with the Nth
 * allocation failing, for N = 1, 2, 3, ... (every N up to a bound, then a
 * deterministic sample up to the last), and with every allocation from N on
 * failing ("sticky") for a sample of N.  A failed run must return
 * LPS_ENOMEM with a message and no output object; the sanitizer build checks
 * that it leaked nothing (a leak check after each operation names it).  A
 * run that succeeds although an allocation failed must give the same result
 * as one without failures.
 *
 * Writers must also leave the index as it was before the failed call, or,
 * when the failure came after the manifest was replaced, as it is after the
 * call: a commit is all or nothing.  The index must pass index_check, and a
 * writer run afterwards without failures must complete the job and leave no
 * file the manifest does not name.  Searches must leave the lps_index usable:
 * the same search without failures gives the expected results.
 *
 * The hook counts allocations of every thread; every operation here
 * allocates on one thread at a time (threads = 1, and index_writer_add_files
 * is given one file, which its worker parses while the caller waits), so the
 * count is the same from run to run.
 */
#include "test.h"

#include "alloc.h"
#include "index_check.h"
#include "index_snapshot.h"
#include "index_writer.h"
#include "lpsearch.h"
#include "manifest.h"
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
int __lsan_do_recoverable_leak_check(void);
#endif

/* ---- The hook ------------------------------------------------------------- */

typedef struct alloc_plan {
    atomic_size_t calls;  /* allocations seen */
    atomic_size_t failed; /* allocations made to fail */
    size_t fail_at;       /* 1-based allocation to fail; 0 = none */
    int sticky;           /* fail every allocation from fail_at on */
    void *where[32];      /* the stack of the first failed allocation */
    int where_depth;
} alloc_plan;

static int alloc_hook(size_t size, void *ctx)
{
    (void)size;
    alloc_plan *p = ctx;
    size_t n = atomic_fetch_add(&p->calls, 1) + 1;
    int fail = p->fail_at && (n == p->fail_at || (p->sticky && n > p->fail_at));
    if (fail && atomic_fetch_add(&p->failed, 1) == 0)
        p->where_depth = backtrace(p->where, 32);
    return fail;
}

/* Where the failed allocation was made, for the message of a failed check
 * (addresses resolve with addr2line -f -e <test binary>). */
static void print_failed_allocation(const alloc_plan *p)
{
    if (p->where_depth <= 0)
        return;
    printf("the failed allocation was made at:\n");
    fflush(stdout);
    backtrace_symbols_fd((void *const *)p->where, p->where_depth, STDOUT_FILENO);
}

/* A check inside an operation, where the hook is set: remove it first, or the
 * failure message and the next tests would allocate through it. */
#define CHECK(cond, ...)                         \
    do {                                         \
        if (!(cond)) {                           \
            lps_alloc_set_hook(NULL, NULL);      \
            fail_msg(__VA_ARGS__);               \
        }                                        \
    } while (0)

/* ---- Operations and the sweep -------------------------------------------- */

typedef struct operation {
    const char *name;
    /* Before each run, without failures: bring the state back to the start. */
    void (*prepare)(void *ctx);
    /* The operation, with failures; releases whatever it allocated and
     * returns its status (err filled on failure). */
    int (*run)(void *ctx, lps_error *err);
    /* After a run that failed with rc, or succeeded (rc == LPS_OK), without
     * failures: check the state and release what prepare made. */
    void (*verify)(void *ctx, int rc, const lps_error *err);
    size_t dense;        /* every N up to this */
    size_t samples;      /* then about this many more, spread to the last */
    size_t sticky_every; /* sticky failure at N = 1 and every this many */
} operation;

static size_t total_points, total_sticky;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run with the plan; checks the status, returns 1 when the run succeeded
 * with an allocation failed on the way (tolerated). */
static int run_with(const operation *op, void *ctx, size_t fail_at, int sticky, size_t total)
{
    alloc_plan plan;
    atomic_init(&plan.calls, 0);
    atomic_init(&plan.failed, 0);
    plan.fail_at = fail_at;
    plan.sticky = sticky;
    plan.where_depth = 0;
    lps_error err;
    lps_error_clear(&err);
    op->prepare(ctx);
    lps_alloc_set_hook(alloc_hook, &plan);
    int rc = op->run(ctx, &err);
    lps_alloc_set_hook(NULL, NULL);
    size_t failed = atomic_load(&plan.failed);
    if (fail_at > total && rc == LPS_OK && failed > 0)
        fail_msg("%s: the allocation count changed from run to run (%zu, then more)", op->name, total);
    if (rc != LPS_OK && (failed == 0 || rc != LPS_ENOMEM || err.code != rc || err.message[0] == '\0'))
        print_failed_allocation(&plan);
    if (rc != LPS_OK) {
        if (failed == 0)
            fail_msg("%s: failed with %d (%s) although no allocation failed", op->name, rc, err.message);
        if (rc != LPS_ENOMEM)
            fail_msg("%s: allocation %zu of %zu%s failed: status %d (%s), expected LPS_ENOMEM", op->name,
                     fail_at, total, sticky ? " and on" : "", rc, err.message);
        if (err.code != rc || err.message[0] == '\0')
            fail_msg("%s: allocation %zu failed: status %d, but the error says %d \"%s\"", op->name, fail_at, rc,
                     err.code, err.message);
    }
    op->verify(ctx, rc, &err);
    return rc == LPS_OK && failed > 0;
}

static void sweep(const operation *op, void *ctx)
{
    double start = seconds_now();
    size_t points = 0, sticky = 0, tolerated = 0;

    /* Count the allocations of a run without failures. */
    alloc_plan plan;
    atomic_init(&plan.calls, 0);
    atomic_init(&plan.failed, 0);
    plan.fail_at = 0;
    plan.sticky = 0;
    plan.where_depth = 0;
    lps_error err;
    op->prepare(ctx);
    lps_alloc_set_hook(alloc_hook, &plan);
    int rc = op->run(ctx, &err);
    lps_alloc_set_hook(NULL, NULL);
    if (rc != LPS_OK)
        fail_msg("%s: fails without allocation failures: %d (%s)", op->name, rc, err.message);
    op->verify(ctx, rc, &err);
    size_t total = atomic_load(&plan.calls);
    assert_true(total > 0);

    /* Each allocation alone: every one up to dense, then a spread sample
     * (a fixed stride, so a run is reproducible), and always the last. */
    size_t dense = total < op->dense ? total : op->dense;
    size_t stride = total > dense && op->samples ? (total - dense + op->samples - 1) / op->samples : 1;
    for (size_t n = 1; n <= total;) {
        tolerated += (size_t)run_with(op, ctx, n, 0, total);
        points++;
        if (n == total)
            break;
        n = n < dense ? n + 1 : n + stride;
        if (n > total)
            n = total;
    }
    /* Every allocation from N on. */
    assert_true(op->sticky_every >= 2);
    for (size_t n = 1; n <= total; n = n == 1 ? op->sticky_every : n + op->sticky_every) {
        tolerated += (size_t)run_with(op, ctx, n, 1, total);
        sticky++;
    }
    /* Past the last allocation nothing fails. */
    (void)run_with(op, ctx, total + 1, 0, total);

#ifdef HAVE_LSAN
    if (__lsan_do_recoverable_leak_check() != 0)
        fail_msg("%s: memory leaked (see the report above)", op->name);
#endif
    printf("[ alloc    ] %-44s %5zu allocations, %4zu single + %3zu sticky injections, %zu tolerated, %.2f s\n",
           op->name, total, points, sticky, tolerated, seconds_now() - start);
    fflush(stdout);
    total_points += points;
    total_sticky += sticky;
}

/* ---- Files and directories ----------------------------------------------- */

static char scratch[4096];
static int scratch_in_shm; /* scratch is ours to remove at the end */
static char inputs[4200]; /* transcript files */

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4][4400];
    static int next;
    char *p = buf[next++ % 4];
    int n = snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof buf[0]);
    return p;
}

/* Removes dir and the files in it (an index directory has no subdirectories). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        assert_int_equal(errno, ENOENT);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlink(path_in(dir, e->d_name)) != 0)
            fail_msg("cannot remove %s/%s: %s", dir, e->d_name, strerror(errno));
    }
    closedir(d);
    if (rmdir(dir) != 0)
        fail_msg("cannot remove %s: %s", dir, strerror(errno));
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    if (!in || !out)
        fail_msg("cannot copy %s to %s", from, to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            fail_msg("short write to %s", to);
    fclose(in);
    if (fclose(out) != 0)
        fail_msg("cannot write %s", to);
}

/* Makes dst a copy of the index directory src (LOCK aside). */
static void copy_index(const char *src, const char *dst)
{
    remove_dir(dst);
    if (mkdir(dst, 0755) != 0)
        fail_msg("cannot create %s: %s", dst, strerror(errno));
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "LOCK") == 0)
            continue;
        char from[4400];
        snprintf(from, sizeof from, "%s", path_in(src, e->d_name));
        copy_file(from, path_in(dst, e->d_name));
    }
    closedir(d);
}

/* ---- Transcripts ---------------------------------------------------------- */

/* A short transcript that differs with i: a heading, an operator, a CFO and
 * an analyst, about ten sentences. */
static size_t make_transcript(unsigned i, char *buf, size_t size)
{
    static const char *const topics[] = {"chat", "voice", "messaging", "email", "mobile", "social", "video"};
    const char *topic = topics[i % 7];
    int n = snprintf(buf, size,
                     "Acme Corp Q%u %u Earnings Call\n"
                     "\n"
                     "Operator\n"
                     "Good afternoon, and welcome to the call. I will now hand over to Tim Bixby.\n"
                     "Tim Bixby - CFO\n"
                     "Thanks very much. Revenue grew %u%% this quarter, driven by %s. Gross margin was %u%%. "
                     "We are pleased with %s pricing.\n"
                     "Jane Doe - Acme Capital - Analyst\n"
                     "Congratulations on the quarter. What drove the revenue growth in %s? "
                     "Is the margin on %s sustainable?\n"
                     "Tim Bixby - CFO\n"
                     "Revenue growth came from new %s customers. Margin should hold, and "
                     "revenue guidance for the year is unchanged at %u million.\n",
                     i % 4 + 1, 2014 + i / 4, 10 + i, topic, 60 + i, topic, topic, topic, topic, 30 + 2 * i);
    assert_true(n > 0 && (size_t)n < size);
    return (size_t)n;
}

static const char *transcript_name(unsigned i)
{
    static char name[64];
    snprintf(name, sizeof name, "acme-%u-q%u.txt", 2014 + i / 4, i % 4 + 1);
    return name;
}

/* Writes transcript i as a file in scratch/inputs; returns its path. */
static const char *transcript_file(unsigned i)
{
    static char path[4400];
    char text[2048];
    size_t len = make_transcript(i, text, sizeof text);
    snprintf(path, sizeof path, "%s", path_in(inputs, transcript_name(i)));
    test_write_file(path, text, len);
    return path;
}

/* ---- Index state ----------------------------------------------------------- */

typedef struct index_state {
    int exists;         /* a MANIFEST is there */
    uint64_t calls, docs, segments;
} index_state;

/* Opens, checks and describes the index in dir; fails the test if it does
 * not open or fails index_check. */
static index_state state_of(const char *dir)
{
    index_state s = {0, 0, 0, 0};
    struct stat st;
    if (stat(path_in(dir, "MANIFEST"), &st) != 0)
        return s;
    index_snapshot *snap;
    lps_error err;
    int rc = index_snapshot_open(dir, &snap, &err);
    if (rc != LPS_OK)
        fail_msg("%s does not open: %s: %s", dir, err.path, err.message);
    index_check_stats stats;
    rc = index_check(snap, &stats, &err);
    if (rc != LPS_OK)
        fail_msg("%s fails index_check: %s (%s, section %s)", dir, err.message, err.path, err.section);
    s.exists = 1;
    s.calls = snap->live_calls;
    s.docs = snap->live_docs;
    s.segments = snap->segment_count;
    index_snapshot_close(snap);
    return s;
}

static int same_content(index_state a, index_state b)
{
    return a.exists == b.exists && a.calls == b.calls && a.docs == b.docs;
}

/* Fails if dir holds a file the manifest does not name (LOCK aside). */
static void expect_no_debris(const char *dir)
{
    manifest m;
    lps_error err;
    if (manifest_read(dir, &m, &err) != LPS_OK)
        fail_msg("%s: no manifest: %s", dir, err.message);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "MANIFEST") == 0 ||
            strcmp(name, "LOCK") == 0)
            continue;
        int named = 0;
        for (size_t i = 0; i < m.segment_count && !named; i++) {
            char seg[64], del[64];
            snprintf(seg, sizeof seg, "seg-%016llx.lps", (unsigned long long)m.segments[i].id);
            deletions_file_name(m.segments[i].id, m.segments[i].deletions_generation, del, sizeof del);
            named = strcmp(name, seg) == 0 || (m.segments[i].deletions_generation && strcmp(name, del) == 0);
        }
        if (!named)
            fail_msg("%s: %s is left over (the manifest does not name it)", dir, name);
    }
    closedir(d);
    manifest_free(&m);
}

/* ---- Writer operations ------------------------------------------------------- */

typedef struct writer_case {
    const char *dir;       /* where the operation runs */
    const char *base;      /* the state it starts from (NULL: no index) */
    index_state before;    /* state_of(base) */
    index_state after;     /* state after a run without failures */
    int counting;          /* the first run: records after */
    int redoing;           /* the run after a failed one */
    size_t committed_anyway; /* failures reported after the manifest changed */
    size_t partial;        /* failures that left some of several commits */
    /* Runs the job again without failures, to finish it after one failed. */
    int (*redo)(struct writer_case *wc, lps_error *err);
    unsigned first, count; /* transcripts the job adds */
    unsigned commits;      /* commits the job makes */
    uint64_t max_calls;    /* jobs that add and remove: the most calls on the way */
    const char *remove;    /* the call the job removes */
} writer_case;

static void writer_prepare(void *ctx)
{
    writer_case *wc = ctx;
    if (wc->base)
        copy_index(wc->base, wc->dir);
    else
        remove_dir(wc->dir);
}

/* After a failure the index is the previous commit, or (the error came after
 * the manifest was replaced) the new one; with several commits, one of the
 * states in between.  Either way it passes index_check, and a writer run
 * afterwards finishes the job and leaves no debris. */
static void writer_verify(void *ctx, int rc, const lps_error *err)
{
    writer_case *wc = ctx;
    index_state now = state_of(wc->dir);
    if (rc == LPS_OK) {
        if (wc->counting) {
            wc->after = now;
            wc->counting = 0;
        } else if (!same_content(now, wc->after)) {
            fail_msg("%s: a run that succeeded left %llu calls, %llu sentences; expected %llu, %llu", wc->dir,
                     (unsigned long long)now.calls, (unsigned long long)now.docs,
                     (unsigned long long)wc->after.calls, (unsigned long long)wc->after.docs);
        }
        expect_no_debris(wc->dir);
        return;
    }
    /* Where there was no index, an empty one is the same as none. */
    int as_before = same_content(now, wc->before) || (!wc->before.exists && now.exists && now.calls == 0);
    /* A failure after the commit point must say that the changes are in
     * (in jobs of one commit, where that commit is the failed call's). */
    if (!as_before && wc->commits <= 1 && !strstr(err->message, "committed"))
        fail_msg("%s: the index changed, but the error does not say so: %s", wc->dir, err->message);
    if (!as_before && same_content(now, wc->after)) {
        wc->committed_anyway++;
    } else if (!as_before) {
        /* Only jobs of several commits may stop in between, and only with
         * calls between the two ends. */
        int between = now.exists && wc->before.exists && now.calls > wc->before.calls &&
                      now.calls < wc->after.calls && wc->commits > 1;
        if (wc->max_calls)
            between = now.exists && now.calls >= wc->before.calls && now.calls <= wc->max_calls;
        if (!between)
            fail_msg("%s: after a failure the index holds %llu calls, %llu sentences (%s); before %llu, after %llu",
                     wc->dir, (unsigned long long)now.calls, (unsigned long long)now.docs,
                     now.exists ? "exists" : "no index", (unsigned long long)wc->before.calls,
                     (unsigned long long)wc->after.calls);
        wc->partial++;
    }
    lps_error again;
    int redo = wc->redo(wc, &again);
    if (redo != LPS_OK)
        fail_msg("%s: the writer after the failure fails too: %d (%s)", wc->dir, redo, again.message);
    now = state_of(wc->dir);
    if (!same_content(now, wc->after))
        fail_msg("%s: the writer after the failure left %llu calls; expected %llu", wc->dir,
                 (unsigned long long)now.calls, (unsigned long long)wc->after.calls);
    expect_no_debris(wc->dir);
}

/* A new index through the public interface: two calls from memory, one from
 * a file, one commit. */
static int run_create(void *ctx, lps_error *err)
{
    writer_case *wc = ctx;
    lps_writer_options o;
    lps_writer_options_init(&o);
    o.create = 1;
    o.threads = 1;
    lps_writer *w = (lps_writer *)&o;
    int rc = lps_writer_open(wc->dir, &o, &w, err);
    if (rc != LPS_OK) {
        CHECK(w == NULL, "lps_writer_open failed with %d but returned a writer", rc);
        return rc;
    }
    char text[2048];
    for (unsigned i = wc->first; i < wc->first + wc->count && rc == LPS_OK; i++) {
        int added = -1;
        if (i == wc->first + wc->count - 1) {
            char path[4400];
            snprintf(path, sizeof path, "%s", path_in(inputs, transcript_name(i)));
            rc = lps_writer_add_file(w, path, &added, err);
        } else {
            size_t len = make_transcript(i, text, sizeof text);
            rc = lps_writer_add_text(w, transcript_name(i), text, len, &added, err);
        }
        /* A run after a failed one may find the call committed already. */
        CHECK(rc == LPS_OK ? added == 1 || wc->redoing : added == 0, "add returned %d with added = %d", rc,
              added);
    }
    if (rc == LPS_OK)
        rc = lps_writer_commit(w, err);
    lps_writer_close(w);
    return rc;
}

static int redo_create(writer_case *wc, lps_error *err)
{
    wc->redoing = 1;
    int rc = run_create(wc, err);
    wc->redoing = 0;
    return rc;
}

/* An existing index, a RAM budget of one byte (a commit after every call)
 * and a merge factor of 2 (merges after most of them): calls added from
 * memory and, through the parsing pipeline, from a file. */
static int run_grow(void *ctx, lps_error *err)
{
    writer_case *wc = ctx;
    index_writer_options o = {0};
    o.stem = -1;
    o.threads = 1;
    o.ram_budget = 1;
    o.merge_factor = 2;
    index_writer *w = (index_writer *)&o;
    int rc = index_writer_open(wc->dir, &o, &w, err);
    if (rc != LPS_OK) {
        CHECK(w == NULL, "index_writer_open failed with %d but returned a writer", rc);
        return rc;
    }
    char text[2048];
    for (unsigned i = wc->first; i < wc->first + wc->count && rc == LPS_OK; i++) {
        int added = -1;
        if (i % 2) {
            char path[4400];
            snprintf(path, sizeof path, "%s", path_in(inputs, transcript_name(i)));
            const char *files[1] = {path};
            rc = index_writer_add_files(w, files, 1, NULL, NULL, err);
        } else {
            size_t len = make_transcript(i, text, sizeof text);
            transcript *t = (transcript *)&o;
            rc = transcript_read_memory(transcript_name(i), text, len, &t, err);
            if (rc != LPS_OK)
                CHECK(t == NULL, "transcript_read_memory failed with %d but returned a transcript", rc);
            else
                rc = index_writer_add_transcript(w, t, &added, err);
        }
    }
    if (rc == LPS_OK)
        rc = index_writer_commit(w, err);
    index_writer_close(w);
    return rc;
}

static int redo_grow(writer_case *wc, lps_error *err)
{
    return run_grow(wc, err);
}

/* Removes wc->remove and commits; with must_find, exactly one call must go. */
static int remove_and_commit(writer_case *wc, int must_find, lps_error *err)
{
    lps_writer_options o;
    lps_writer_options_init(&o);
    o.threads = 1;
    lps_writer *w;
    int rc = lps_writer_open(wc->dir, &o, &w, err);
    if (rc != LPS_OK)
        return rc;
    size_t removed = 0;
    rc = lps_writer_remove(w, wc->remove, &removed, err);
    CHECK(rc != LPS_OK || !must_find || removed == 1, "lps_writer_remove removed %zu calls", removed);
    if (rc == LPS_OK)
        rc = lps_writer_commit(w, err);
    lps_writer_close(w);
    return rc;
}

static int run_remove(void *ctx, lps_error *err)
{
    return remove_and_commit(ctx, 1, err);
}

/* After a failed removal the call may be gone already (the commit landed);
 * removing it again then finds nothing, which is fine. */
static int redo_remove(writer_case *wc, lps_error *err)
{
    return remove_and_commit(wc, 0, err);
}

static int run_optimize(void *ctx, lps_error *err)
{
    writer_case *wc = ctx;
    lps_writer *w;
    int rc = lps_writer_open(wc->dir, NULL, &w, err);
    if (rc != LPS_OK)
        return rc;
    rc = lps_writer_optimize(w, err);
    lps_writer_close(w);
    return rc;
}

static int redo_optimize(writer_case *wc, lps_error *err)
{
    return run_optimize(wc, err);
}

/*
 * A writer used on after one of its calls failed: every later call must
 * return a status (a failed commit leaves the writer refusing work) and
 * never crash; what was committed stays consistent.  The job adds call A,
 * commits, removes A, adds B, commits and optimizes, going on whatever
 * each step returns; it reports the first failure.
 */
static int run_persist(void *ctx, lps_error *err)
{
    writer_case *wc = ctx;
    lps_writer_options o;
    lps_writer_options_init(&o);
    o.threads = 1;
    lps_writer *w;
    int rc = lps_writer_open(wc->dir, &o, &w, err);
    if (rc != LPS_OK)
        return rc;
    char text[2048];
    char name_a[64];
    snprintf(name_a, sizeof name_a, "%s", transcript_name(wc->first));
    int steps[6];
    lps_error errs[6];
    size_t len = make_transcript(wc->first, text, sizeof text);
    steps[0] = lps_writer_add_text(w, name_a, text, len, NULL, &errs[0]);
    steps[1] = lps_writer_commit(w, &errs[1]);
    size_t removed;
    steps[2] = lps_writer_remove(w, name_a, &removed, &errs[2]);
    len = make_transcript(wc->first + 1, text, sizeof text);
    steps[3] = lps_writer_add_text(w, transcript_name(wc->first + 1), text, len, NULL, &errs[3]);
    steps[4] = lps_writer_commit(w, &errs[4]);
    steps[5] = lps_writer_optimize(w, &errs[5]);
    lps_writer_close(w);
    for (int i = 0; i < 6; i++) {
        if (steps[i] != LPS_OK) {
            *err = errs[i];
            return steps[i];
        }
    }
    return LPS_OK;
}

static int redo_persist(writer_case *wc, lps_error *err)
{
    return run_persist(wc, err);
}

/* The optimized index holds what the base held. */
static void optimize_verify(void *ctx, int rc, const lps_error *err)
{
    writer_case *wc = ctx;
    writer_verify(ctx, rc, err);
    index_state now = state_of(wc->dir);
    if (!same_content(now, wc->before) || now.segments != 1)
        fail_msg("optimize left %llu calls in %llu segments", (unsigned long long)now.calls,
                 (unsigned long long)now.segments);
}

/* ---- Shared fixtures -------------------------------------------------------------- */

/* Adds transcripts [first, first+count) to the index in dir (created if
 * needed), without failures, in one commit: one new segment (merge_factor 1
 * never merges). */
static void build_index(const char *dir, unsigned first, unsigned count, int stem)
{
    index_writer_options o = {0};
    o.stem = stem ? 1 : -1;
    o.create = 1;
    o.threads = 1;
    o.merge_factor = 1;
    index_writer *w;
    lps_error err;
    if (index_writer_open(dir, &o, &w, &err) != LPS_OK)
        fail_msg("cannot build %s: %s", dir, err.message);
    char text[2048];
    for (unsigned i = first; i < first + count; i++) {
        size_t len = make_transcript(i, text, sizeof text);
        transcript *t;
        int added;
        if (transcript_read_memory(transcript_name(i), text, len, &t, &err) != LPS_OK ||
            index_writer_add_transcript(w, t, &added, &err) != LPS_OK)
            fail_msg("cannot build %s: %s", dir, err.message);
    }
    if (index_writer_commit(w, &err) != LPS_OK)
        fail_msg("cannot build %s: %s", dir, err.message);
    index_writer_close(w);
}

static void remove_call(const char *dir, const char *name)
{
    lps_writer *w;
    lps_error err;
    size_t removed;
    if (lps_writer_open(dir, NULL, &w, &err) != LPS_OK || lps_writer_remove(w, name, &removed, &err) != LPS_OK ||
        lps_writer_commit(w, &err) != LPS_OK)
        fail_msg("cannot remove %s from %s: %s", name, dir, err.message);
    assert_int_equal(removed, 1);
    lps_writer_close(w);
}

static char base_small[4400]; /* 2 calls, 1 segment */
static char base_multi[4400]; /* 5 calls in 3 segments, one removed */
static char search_index[4400]; /* 6 calls in 3 segments, one removed */

static int setup(void **state)
{
    (void)state;
    /* The writers commit thousands of times, and each commit fsyncs several
     * files: on tmpfs that costs nothing, on a disk it takes minutes. */
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0) {
        snprintf(scratch, sizeof scratch, "/dev/shm/lpsearch-test-alloc-failures-%ld", (long)getpid());
        if (mkdir(scratch, 0755) != 0)
            fail_msg("cannot create %s: %s", scratch, strerror(errno));
        scratch_in_shm = 1;
    } else {
        snprintf(scratch, sizeof scratch, "%s", test_scratch_dir("alloc-failures"));
    }
    snprintf(inputs, sizeof inputs, "%s", path_in(scratch, "inputs"));
    assert_int_equal(mkdir(inputs, 0755), 0);
    for (unsigned i = 0; i < 12; i++)
        (void)transcript_file(i);
    snprintf(base_small, sizeof base_small, "%s", path_in(scratch, "base-small"));
    build_index(base_small, 0, 2, 0);
    snprintf(base_multi, sizeof base_multi, "%s", path_in(scratch, "base-multi"));
    build_index(base_multi, 0, 2, 0);
    build_index(base_multi, 2, 2, 0);
    build_index(base_multi, 4, 1, 0);
    remove_call(base_multi, transcript_name(1));
    snprintf(search_index, sizeof search_index, "%s", path_in(scratch, "search"));
    build_index(search_index, 4, 2, 0);
    build_index(search_index, 6, 2, 0);
    build_index(search_index, 8, 2, 0);
    remove_call(search_index, transcript_name(7));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (scratch_in_shm) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", scratch);
    }
    return 0;
}

static void report_writer(const writer_case *wc, const char *what)
{
    printf("[ alloc    ] %-44s after a failure the index held the job's result %zu times, a state in between "
           "%zu times\n",
           what, wc->committed_anyway, wc->partial);
}

static void test_writer_create(void **state)
{
    (void)state;
    writer_case wc;
    memset(&wc, 0, sizeof wc);
    wc.dir = path_in(scratch, "w-create");
    wc.dir = strdup(wc.dir);
    wc.counting = 1;
    wc.redo = redo_create;
    wc.first = 0;
    wc.count = 3;
    operation op = {"writer: new index, add, commit", writer_prepare, run_create, writer_verify, 400, 150, 37};
    sweep(&op, &wc);
    report_writer(&wc, op.name);
    free((void *)wc.dir);
}

static void test_writer_grow(void **state)
{
    (void)state;
    writer_case wc;
    memset(&wc, 0, sizeof wc);
    wc.dir = strdup(path_in(scratch, "w-grow"));
    wc.base = base_small;
    wc.before = state_of(base_small);
    wc.counting = 1;
    wc.redo = redo_grow;
    wc.first = 2;
    wc.count = 3;
    wc.commits = 3;
    operation op = {"writer: add, flush, merge", writer_prepare, run_grow, writer_verify, 400, 200, 41};
    sweep(&op, &wc);
    report_writer(&wc, op.name);
    free((void *)wc.dir);
}

static void test_writer_remove(void **state)
{
    (void)state;
    writer_case wc;
    memset(&wc, 0, sizeof wc);
    wc.dir = strdup(path_in(scratch, "w-remove"));
    wc.base = base_multi;
    wc.before = state_of(base_multi);
    wc.counting = 1;
    wc.redo = redo_remove;
    wc.remove = transcript_name(2);
    wc.remove = strdup(wc.remove);
    wc.count = 1;
    operation op = {"writer: remove, commit", writer_prepare, run_remove, writer_verify, 400, 100, 7};
    sweep(&op, &wc);
    report_writer(&wc, op.name);
    free((void *)wc.dir);
    free((void *)wc.remove);
}

static void test_writer_used_after_failure(void **state)
{
    (void)state;
    writer_case wc;
    memset(&wc, 0, sizeof wc);
    wc.dir = strdup(path_in(scratch, "w-persist"));
    wc.base = base_small;
    wc.before = state_of(base_small);
    wc.counting = 1;
    wc.redo = redo_persist;
    wc.first = 5;
    wc.commits = 4;
    wc.max_calls = wc.before.calls + 2;
    operation op = {"writer: calls after a failure", writer_prepare, run_persist, writer_verify, 1000, 0, 29};
    sweep(&op, &wc);
    report_writer(&wc, op.name);
    free((void *)wc.dir);
}

static void test_writer_optimize(void **state)
{
    (void)state;
    writer_case wc;
    memset(&wc, 0, sizeof wc);
    wc.dir = strdup(path_in(scratch, "w-optimize"));
    wc.base = base_multi;
    wc.before = state_of(base_multi);
    wc.counting = 1;
    wc.redo = redo_optimize;
    wc.count = 1;
    operation op = {"writer: optimize", writer_prepare, run_optimize, optimize_verify, 400, 150, 23};
    sweep(&op, &wc);
    report_writer(&wc, op.name);
    free((void *)wc.dir);
}

/* ---- Reader operations -------------------------------------------------------------- */

typedef struct reader_case {
    const char *dir;
    char segment_path[4600];
    uint64_t segment_id;
    index_snapshot *snap; /* for index_check */
    index_check_stats expected;
} reader_case;

static void nothing_to_prepare(void *ctx)
{
    (void)ctx;
}

static void nothing_to_verify(void *ctx, int rc, const lps_error *err)
{
    (void)ctx;
    (void)rc;
    (void)err;
}

static int run_segment_open(void *ctx, lps_error *err)
{
    reader_case *rc_ = ctx;
    segment *s = (segment *)rc_;
    int rc = segment_open(rc_->segment_path, rc_->segment_id, &s, err);
    if (rc != LPS_OK) {
        CHECK(s == NULL, "segment_open failed with %d but returned a segment", rc);
        return rc;
    }
    segment_close(s);
    return LPS_OK;
}

static int run_snapshot_open(void *ctx, lps_error *err)
{
    reader_case *rc_ = ctx;
    index_snapshot *snap = (index_snapshot *)rc_;
    int rc = index_snapshot_open(rc_->dir, &snap, err);
    if (rc != LPS_OK) {
        CHECK(snap == NULL, "index_snapshot_open failed with %d but returned a snapshot", rc);
        return rc;
    }
    index_snapshot_close(snap);
    return LPS_OK;
}

static int run_index_open(void *ctx, lps_error *err)
{
    reader_case *rc_ = ctx;
    lps_index *ix = (lps_index *)rc_;
    int rc = lps_index_open(rc_->dir, &ix, err);
    if (rc != LPS_OK) {
        CHECK(ix == NULL, "lps_index_open failed with %d but returned an index", rc);
        return rc;
    }
    lps_index_info info;
    lps_index_get_info(ix, &info);
    CHECK(info.calls == 5 && info.segments == 3, "the index holds %llu calls in %llu segments",
          (unsigned long long)info.calls, (unsigned long long)info.segments);
    lps_index_close(ix);
    return LPS_OK;
}

static void check_prepare(void *ctx)
{
    reader_case *r = ctx;
    lps_error err;
    if (index_snapshot_open(r->dir, &r->snap, &err) != LPS_OK)
        fail_msg("cannot open %s: %s", r->dir, err.message);
}

static int run_index_check(void *ctx, lps_error *err)
{
    reader_case *r = ctx;
    index_check_stats st;
    int rc = index_check(r->snap, &st, err);
    if (rc == LPS_OK)
        CHECK(memcmp(&st, &r->expected, sizeof st) == 0 || r->expected.segments == 0,
              "index_check counted differently");
    if (rc == LPS_OK && r->expected.segments == 0)
        r->expected = st;
    return rc;
}

static void check_verify(void *ctx, int rc, const lps_error *err)
{
    reader_case *r = ctx;
    (void)rc;
    (void)err;
    index_snapshot_close(r->snap);
    r->snap = NULL;
}

static void test_readers(void **state)
{
    (void)state;
    reader_case r;
    memset(&r, 0, sizeof r);
    r.dir = search_index;
    manifest m;
    lps_error err;
    assert_int_equal(manifest_read(search_index, &m, &err), LPS_OK);
    assert_true(m.segment_count == 3);
    r.segment_id = m.segments[1].id;
    snprintf(r.segment_path, sizeof r.segment_path, "%s/seg-%016llx.lps", search_index,
             (unsigned long long)r.segment_id);
    manifest_free(&m);

    operation ops[] = {
        {"segment_open", nothing_to_prepare, run_segment_open, nothing_to_verify, 1000, 0, 3},
        {"index_snapshot_open", nothing_to_prepare, run_snapshot_open, nothing_to_verify, 1000, 0, 3},
        {"lps_index_open", nothing_to_prepare, run_index_open, nothing_to_verify, 1000, 0, 3},
        {"index_check", check_prepare, run_index_check, check_verify, 1000, 200, 11},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        sweep(&ops[i], &r);
}

/* ---- Search ------------------------------------------------------------------------- */

typedef struct search_case {
    const char *query;
    size_t limit, offset;
    unsigned context;
    int explain, count, ids_only;
} search_case;

static const search_case searches[] = {
    {"revenue", 10, 0, 0, 0, 0, 0},
    {"revenue growth", 5, 1, 2, 1, 1, 0},
    {"\"revenue growth\"", 10, 0, 1, 1, 1, 0},
    {"chat OR voice OR margin", 10, 0, 0, 1, 1, 0},
    {"revenue NOT chat", 10, 2, 1, 0, 1, 0},
    {"revenue -voice -email", 10, 0, 0, 0, 0, 1},
    {"marg* rev*", 10, 0, 1, 1, 1, 0},
    {"\"gross marg\"*", 10, 0, 0, 1, 0, 0},
    {"NEAR(revenue growth, 3)", 10, 0, 1, 1, 1, 0},
    {"\"revenue guidance\"~2", 10, 0, 0, 1, 0, 0},
    {"speaker:bixby role:cfo margin", 10, 0, 1, 1, 1, 0},
    {"firm:\"acme capital\" (growth OR margin)", 10, 0, 0, 0, 1, 0},
    {"company:acme year:2015..2016 quarter:q2 revenue", 10, 0, 0, 1, 1, 0},
    {"year:2016", 3, 0, 0, 0, 1, 0},
    {"nonexistent OR revenue", 10, 0, 0, 0, 0, 0},
};
#define SEARCHES (sizeof searches / sizeof searches[0])

static uint64_t mix(uint64_t h, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}

/* Everything a result holds, read through the accessors. */
static uint64_t results_digest(const lps_results *res)
{
    uint64_t d = 0xcbf29ce484222325u;
    size_t n = lps_results_count(res);
    uint64_t total = lps_results_total(res);
    d = mix(d, &n, sizeof n);
    d = mix(d, &total, sizeof total);
    for (size_t i = 0; i < n; i++) {
        const lps_hit *h = lps_results_hit(res, i);
        d = mix(d, &h->rank, sizeof h->rank);
        d = mix(d, &h->id, sizeof h->id);
        d = mix(d, &h->score, sizeof h->score);
        d = mix(d, &h->text_len, sizeof h->text_len);
        d = mix_str(d, h->text);
        d = mix_str(d, h->call_file);
        d = mix_str(d, h->company);
        d = mix_str(d, h->speaker_name);
        d = mix_str(d, h->speaker_role);
        d = mix_str(d, h->speaker_firm);
        d = mix(d, &h->year, sizeof h->year);
        d = mix(d, &h->quarter, sizeof h->quarter);
        d = mix(d, &h->turn, sizeof h->turn);
        d = mix(d, &h->sentence, sizeof h->sentence);
        for (size_t k = 0; k < h->highlight_count; k++)
            d = mix(d, &h->highlights[k], sizeof h->highlights[k]);
        for (size_t k = 0; k < h->context_count; k++) {
            d = mix(d, &h->context[k].id, sizeof h->context[k].id);
            d = mix(d, &h->context[k].offset, sizeof h->context[k].offset);
            d = mix_str(d, h->context[k].text);
            d = mix_str(d, h->context[k].speaker_name);
        }
        if (h->explain) {
            d = mix(d, &h->explain->n, sizeof h->explain->n);
            for (size_t k = 0; k < h->explain->row_count; k++) {
                d = mix_str(d, h->explain->rows[k].unit);
                d = mix(d, &h->explain->rows[k].score, sizeof(double));
            }
        }
    }
    CHECK(lps_results_hit(res, n) == NULL, "lps_results_hit past the end is not NULL");
    return d;
}

typedef struct search_state {
    const search_case *c;
    lps_index *ix;       /* opened fresh for each run, so field metadata is built under failures */
    uint64_t expected;   /* digest of the results, or the count */
    int have_expected;
    uint64_t got;
    size_t hits;         /* of the last search */
    int counting_only;   /* lps_count instead of lps_search */
} search_state;

static void search_prepare(void *ctx)
{
    search_state *s = ctx;
    lps_error err;
    if (lps_index_open(search_index, &s->ix, &err) != LPS_OK)
        fail_msg("cannot open %s: %s", search_index, err.message);
}

static int search_once(search_state *s, lps_error *err)
{
    const search_case *c = s->c;
    if (s->counting_only) {
        uint64_t count = 12345;
        int rc = lps_count(s->ix, c->query, &count, err);
        CHECK(rc == LPS_OK || count == 0, "lps_count failed with %d but counted %llu", rc,
              (unsigned long long)count);
        s->got = count;
        return rc;
    }
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = c->limit;
    o.offset = c->offset;
    o.context = c->context;
    o.explain = c->explain;
    o.count = c->count;
    o.ids_only = c->ids_only;
    lps_results *res = (lps_results *)s;
    int rc = lps_search(s->ix, c->query, &o, &res, err);
    if (rc != LPS_OK) {
        CHECK(res == NULL, "lps_search failed with %d but returned results", rc);
        return rc;
    }
    s->got = results_digest(res);
    s->hits = lps_results_count(res);
    lps_results_free(res);
    return LPS_OK;
}

static int run_search(void *ctx, lps_error *err)
{
    return search_once(ctx, err);
}

/* A success gives the expected results; after a failure the same index
 * still searches correctly. */
static void search_verify(void *ctx, int rc, const lps_error *err)
{
    search_state *s = ctx;
    (void)err;
    if (rc != LPS_OK) {
        lps_error again;
        int rc2 = search_once(s, &again);
        if (rc2 != LPS_OK)
            fail_msg("\"%s\": the search after a failed one fails: %d (%s)", s->c->query, rc2, again.message);
    }
    if (!s->have_expected) {
        s->expected = s->got;
        s->have_expected = 1;
    } else if (s->got != s->expected) {
        fail_msg("\"%s\": the results differ from those of a run without failures", s->c->query);
    }
    lps_index_close(s->ix);
    s->ix = NULL;
}

static void test_search(void **state)
{
    (void)state;
    for (size_t i = 0; i < SEARCHES; i++) {
        search_state s;
        memset(&s, 0, sizeof s);
        s.c = &searches[i];
        char name[160];
        snprintf(name, sizeof name, "lps_search %s", searches[i].query);
        operation op = {name, search_prepare, run_search, search_verify, 300, 100, 13};
        sweep(&op, &s);
        if (s.hits == 0)
            fail_msg("\"%s\" finds nothing, so its hits are not tested", searches[i].query);
    }
    static const char *const counted[] = {"revenue growth", "rev* OR \"gross margin\"", "role:analyst margin"};
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) {
        search_case c = {counted[i], 0, 0, 0, 0, 0, 0};
        search_state s;
        memset(&s, 0, sizeof s);
        s.c = &c;
        s.counting_only = 1;
        char name[160];
        snprintf(name, sizeof name, "lps_count %s", counted[i]);
        operation op = {name, search_prepare, run_search, search_verify, 300, 100, 13};
        sweep(&op, &s);
        assert_true(s.expected > 0);
    }
}

/* A stemmed index takes another path through the analyzer and the plan. */
static void test_search_stemmed(void **state)
{
    (void)state;
    char dir[4400];
    snprintf(dir, sizeof dir, "%s", path_in(scratch, "stemmed"));
    build_index(dir, 0, 3, 1);
    char saved[4400];
    snprintf(saved, sizeof saved, "%s", search_index);
    snprintf(search_index, sizeof search_index, "%s", dir);
    search_case c = {"pricing margins grows*", 10, 0, 1, 1, 1, 0};
    search_state s;
    memset(&s, 0, sizeof s);
    s.c = &c;
    operation op = {"lps_search (stemmed) pricing ...", search_prepare, run_search, search_verify, 300, 100, 13};
    sweep(&op, &s);
    snprintf(search_index, sizeof search_index, "%s", saved);
}

static void test_totals(void **state)
{
    (void)state;
    printf("[ alloc    ] in all: %zu single and %zu sticky injections\n", total_points, total_sticky);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_search_stemmed),
        cmocka_unit_test(test_writer_create),
        cmocka_unit_test(test_writer_grow),
        cmocka_unit_test(test_writer_remove),
        cmocka_unit_test(test_writer_optimize),
        cmocka_unit_test(test_writer_used_after_failure),
        cmocka_unit_test(test_totals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
