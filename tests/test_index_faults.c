/*
 * Faults during commits: a write error (the file size limit standing in for
 * a full disk) leaves the previous index intact and says so, and killing a
 * writer at a random moment loses nothing committed before.  Both run the
 * writer in a child process so the parent can inspect what it left behind.
 */
#include "test.h"

#include "index_check.h"
#include "index_snapshot.h"
#include "index_writer.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const bundled[] = {"liveperson-2006-q1.txt", "liveperson-2006-q3.txt",
                                      "liveperson-2007-q2.txt", "liveperson-2014-q1.txt",
                                      "liveperson-2016-q1.txt"};

static int add_bundled(const char *dir, size_t from, size_t to, size_t ram_budget, lps_error *err)
{
    index_writer_options opts = {0};
    opts.stem = -1;
    opts.create = 1;
    opts.threads = 1;
    opts.ram_budget = ram_budget;
    index_writer *w;
    int rc = index_writer_open(dir, &opts, &w, err);
    if (rc != LPS_OK)
        return rc;
    const char *paths[5];
    char storage[5][4096];
    for (size_t i = from; i < to; i++) {
        snprintf(storage[i - from], sizeof storage[0], "%s", test_data_path(bundled[i]));
        paths[i - from] = storage[i - from];
    }
    rc = index_writer_add_files(w, paths, to - from, NULL, NULL, err);
    if (rc == LPS_OK)
        rc = index_writer_commit(w, err);
    index_writer_close(w);
    return rc;
}

/* Live calls and sentences of the index, and whether it passes the checker. */
static void index_state(const char *dir, uint64_t *calls, uint64_t *docs)
{
    index_snapshot *snap;
    lps_error err;
    int rc = index_snapshot_open(dir, &snap, &err);
    if (rc != LPS_OK)
        fail_msg("index does not open: %s", err.message);
    index_check_stats st;
    rc = index_check(snap, &st, &err);
    if (rc != LPS_OK)
        fail_msg("index fails the check: %s (%s)", err.message, err.section);
    *calls = snap->live_calls;
    *docs = snap->live_docs;
    index_snapshot_close(snap);
}

static size_t count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        if (len >= sl && strcmp(e->d_name + len - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_write_error_keeps_previous_index(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("faults-fsize");
    lps_error err;
    assert_int_equal(add_bundled(dir, 0, 3, 0, &err), LPS_OK);
    uint64_t calls, docs;
    index_state(dir, &calls, &docs);
    assert_int_equal(calls, 3);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Files may not grow past 16 KiB: the new segment cannot be written. */
        struct rlimit lim = {16 * 1024, 16 * 1024};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &lim);
        lps_error child_err;
        int rc = add_bundled(dir, 3, 5, 0, &child_err);
        /* Report: 10 = failed as it should with a message naming the index. */
        _exit(rc == LPS_EIO && strstr(child_err.message, "cannot write") != NULL ? 10 : rc == LPS_OK ? 11 : 12);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 10);

    /* The previous commit is what readers see, whole. */
    uint64_t calls_after, docs_after;
    index_state(dir, &calls_after, &docs_after);
    assert_int_equal(calls_after, calls);
    assert_int_equal(docs_after, docs);

    /* The next writer clears the debris and completes the job. */
    assert_int_equal(add_bundled(dir, 3, 5, 0, &err), LPS_OK);
    assert_int_equal(count_files(dir, ".tmp"), 0);
    index_state(dir, &calls_after, &docs_after);
    assert_int_equal(calls_after, 5);
}

/*
 * SIGKILL at random moments of a build that commits often (a tiny RAM
 * budget flushes after every call or two, and merges run): after each kill
 * the index opens, checks clean, and holds whole calls only; a rerun then
 * completes it to exactly the full corpus.
 */
static void test_kill_at_random_moments(void **state)
{
    (void)state;
    const char *dir_tmpl = test_scratch_dir("faults-kill");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", dir_tmpl);
    uint64_t full_calls = 5, full_docs = 0;
    {
        char ref[4200];
        snprintf(ref, sizeof ref, "%s-ref", dir);
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", ref);
        assert_int_equal(system(cmd), 0);
        lps_error err;
        assert_int_equal(add_bundled(ref, 0, 5, 0, &err), LPS_OK);
        uint64_t c;
        index_state(ref, &c, &full_docs);
        assert_int_equal(c, full_calls);
    }
    uint32_t seed = 20261122;
    const int trials = 12;
    for (int trial = 0; trial < trials; trial++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            lps_error err;
            /* 64 KiB budget: a commit after nearly every call. */
            for (;;)
                if (add_bundled(dir, 0, 5, 64 * 1024, &err) != LPS_OK)
                    _exit(3);
        }
        struct timespec ts = {0, (long)(next_random(&seed) % 40000) * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 3));

        uint64_t calls = 0, docs = 0;
        index_snapshot *snap;
        lps_error err;
        int rc = index_snapshot_open(dir, &snap, &err);
        if (rc == LPS_ENOENT)
            continue; /* killed before the first manifest: nothing was committed */
        assert_int_equal(rc, LPS_OK);
        index_snapshot_close(snap);
        index_state(dir, &calls, &docs);
        assert_true(calls <= full_calls);
        assert_true(docs <= full_docs);
    }
    /* Completing the build gives the whole corpus, without duplicates. */
    lps_error err;
    assert_int_equal(add_bundled(dir, 0, 5, 0, &err), LPS_OK);
    uint64_t calls, docs;
    index_state(dir, &calls, &docs);
    assert_int_equal(calls, full_calls);
    assert_int_equal(docs, full_docs);
    assert_int_equal(count_files(dir, ".tmp"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_error_keeps_previous_index),
        cmocka_unit_test(test_kill_at_random_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
