/*
 * Hostile input given to the lpsearch program (LPS_CLI_PATH): a 100 MB
 * transcript of a single line, directories nested past CORPUS_MAX_DEPTH and
 * past PATH_MAX, symbolic-link loops, files and directories that cannot be
 * read, prefixes that expand past QUERY_MAX_EXPANSION, and huge or deeply
 * nested queries.  Each must end in bounded time and memory with a message
 * that names what is wrong and the exit status the usage text documents
 * (2 for an error or for input that was skipped; README.md, "lpsearch
 * help index"), and what could be read must be indexed.  Every run has a
 * deadline: a hang fails the test.
 *
 * The sanitizer build runs the same cases; the long line is 16 MB there,
 * as the instrumented indexer is about ten times slower.
 */
#include "test.h"
#include "test_process.h"

#include "index_snapshot.h"
#include "lpsearch.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifdef UNDER_SANITIZER
#define LONG_LINE_MB 16
#else
#define LONG_LINE_MB 100
#endif

/* ---- Running lpsearch ------------------------------------------------------ */

static char scratch[4096];

static const char *path_in(const char *dir, const char *name)
{
    static char buf[8][4400];
    static int next;
    char *p = buf[next++ % 8];
    int n = snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof buf[0]);
    return p;
}

/* Runs lpsearch with args[0..n) (without the program name). */
static proc_result run_args(const char *const *args, size_t n, const proc_options *opts)
{
    char **argv = calloc(n + 2, sizeof *argv);
    assert_non_null(argv);
    argv[0] = (char *)LPS_CLI_PATH;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    proc_result r = proc_run(LPS_CLI_PATH, argv, opts);
    free(argv);
    return r;
}

/* run_cli(timeout, "index", "-i", dir, path, NULL) */
static proc_result run_cli(double timeout, const char *first, ...)
{
    const char *args[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(n < sizeof args / sizeof args[0]);
        args[n++] = a;
    }
    va_end(ap);
    proc_options o = {timeout, 0, 0, 0, 0, -1, -1};
    return run_args(args, n, &o);
}

/* Fails unless the run ended by itself with the expected status. */
static void expect_status(const proc_result *r, int expected, const char *what)
{
    if (r->timed_out)
        fail_msg("%s: still running after %.0f s (killed); stderr:\n%.2000s", what, r->seconds, r->err);
    if (r->signal)
        fail_msg("%s: killed by signal %d; stderr:\n%.2000s", what, r->signal, r->err);
    if (r->status != expected)
        fail_msg("%s: exit status %d, expected %d; stderr:\n%.2000s", what, r->status, expected, r->err);
}

static void expect_stderr(const proc_result *r, const char *needle, const char *what)
{
    if (!strstr(r->err, needle))
        fail_msg("%s: stderr does not say \"%s\":\n%.2000s", what, needle, r->err);
}

/* Live calls of the index in dir (it must open). */
static uint64_t live_calls(const char *dir)
{
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK)
        fail_msg("%s does not open: %s", dir, err.message);
    uint64_t calls = snap->live_calls;
    index_snapshot_close(snap);
    return calls;
}

static void remove_tree(const char *path)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
    if (system(cmd) != 0)
        fail_msg("cannot remove %s", path);
}

/* A fresh directory scratch/name. */
static const char *fresh_dir(const char *name)
{
    static char dir[4400];
    snprintf(dir, sizeof dir, "%s", path_in(scratch, name));
    remove_tree(dir);
    if (mkdir(dir, 0755) != 0)
        fail_msg("cannot create %s: %s", dir, strerror(errno));
    return dir;
}

/* A short transcript that differs with i. */
static void write_transcript(const char *path, unsigned i)
{
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "Acme Corp Q%u %u Earnings Call\n"
                     "\n"
                     "Operator\n"
                     "Good afternoon, and welcome to call number %u. I will now hand over to Tim.\n"
                     "Tim Bixby - CFO\n"
                     "Thanks very much. Revenue grew %u%% this quarter. Margins held.\n",
                     i % 4 + 1, 2010 + i, i, 10 + i);
    test_write_file(path, text, (size_t)n);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("LPSEARCH_INDEX");
    unsetenv("LPSEARCH_CORPUS");
    snprintf(scratch, sizeof scratch, "%s", test_scratch_dir("hostile-cli"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(scratch);
    return 0;
}

/* ---- A 100 MB line ----------------------------------------------------------- */

/* Writes a transcript of one line of `bytes` bytes: sentences, no labels. */
static void write_long_line(const char *path, size_t bytes)
{
    static const char sentence[] = "Revenue grew in the quarter and margins held steady across chat and voice. ";
    size_t chunk_len = 1 << 20;
    char *chunk = malloc(chunk_len);
    assert_non_null(chunk);
    for (size_t i = 0; i < chunk_len; i++)
        chunk[i] = sentence[i % (sizeof sentence - 1)];
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    /* Whole sentences only, so each chunk continues where the last ended. */
    size_t whole = chunk_len / (sizeof sentence - 1) * (sizeof sentence - 1);
    for (size_t done = 0; done < bytes;) {
        size_t n = bytes - done < whole ? bytes - done : whole;
        assert_int_equal(fwrite(chunk, 1, n, f), n);
        done += n;
    }
    assert_int_equal(fputc('\n', f), '\n');
    assert_int_equal(fclose(f), 0);
    free(chunk);
}

static void test_long_line(void **state)
{
    (void)state;
    const char *dir = fresh_dir("long-line");
    char corpus[4400], index[4400], file[4400];
    snprintf(corpus, sizeof corpus, "%s", path_in(dir, "corpus"));
    snprintf(index, sizeof index, "%s", path_in(dir, "index"));
    assert_int_equal(mkdir(corpus, 0755), 0);
    snprintf(file, sizeof file, "%s", path_in(corpus, "one-line.txt"));
    size_t bytes = (size_t)LONG_LINE_MB * 1000 * 1000;
    double t0 = proc_now();
    write_long_line(file, bytes);
    double written = proc_now() - t0;

    proc_result r = run_cli(600, "index", "-q", "-i", index, corpus, NULL);
    printf("[ hostile  ] a %d MB line (written in %.2f s): lpsearch index exit %d in %.2f s, peak RSS %ld MB\n",
           LONG_LINE_MB, written, r.status, r.seconds, r.max_rss_kb / 1024);
    if (r.timed_out || r.signal)
        expect_status(&r, 0, "lpsearch index (long line)");
    /* Either indexed, or refused with a message naming the file. */
    if (r.status == 0) {
        assert_int_equal(live_calls(index), 1);
    } else {
        expect_status(&r, 2, "lpsearch index (long line)");
        expect_stderr(&r, file, "lpsearch index (long line)");
    }
    /* Memory stays within a small multiple of the input (the file, its
     * text arena and the postings of every sentence). */
    long limit_kb = (long)(bytes / 1024) * 8 + 256 * 1024;
    if (r.max_rss_kb > limit_kb)
        fail_msg("indexing a %zu-byte line took %ld KB of memory (limit %ld KB)", bytes, r.max_rss_kb, limit_kb);
    proc_free(&r);

    if (live_calls(index) == 1) {
        r = run_cli(120, "-i", index, "--limit", "2", "margins held", NULL);
        expect_status(&r, 0, "lpsearch search (long line)");
        assert_non_null(strstr(r.out, "margins held steady"));
        printf("[ hostile  ] searching it: %.2f s, peak RSS %ld MB\n", r.seconds, r.max_rss_kb / 1024);
        proc_free(&r);
        r = run_cli(120, "check", "-i", index, NULL);
        expect_status(&r, 0, "lpsearch check (long line)");
        proc_free(&r);
    }
    remove_tree(dir);
}

/* ---- Directories ---------------------------------------------------------------- */

/* dir/d1/d2/.../d<depth>; returns the deepest path. */
static const char *nest(const char *dir, unsigned depth)
{
    static char path[8192];
    size_t len = (size_t)snprintf(path, sizeof path, "%s", dir);
    for (unsigned i = 1; i <= depth; i++) {
        len += (size_t)snprintf(path + len, sizeof path - len, "/d%u", i);
        assert_true(len < sizeof path - 16);
        if (mkdir(path, 0755) != 0)
            fail_msg("mkdir %s: %s", path, strerror(errno));
    }
    return path;
}

static void test_deep_directories(void **state)
{
    (void)state;
    const char *dir = fresh_dir("deep");
    char tree[4400], index[4400];
    snprintf(tree, sizeof tree, "%s", path_in(dir, "tree"));
    snprintf(index, sizeof index, "%s", path_in(dir, "index"));
    assert_int_equal(mkdir(tree, 0755), 0);
    write_transcript(path_in(tree, "top.txt"), 1);
    /* One call within the limit (depth 60), one past it (depth 70). */
    char bottom[8192], path60[8192];
    snprintf(bottom, sizeof bottom, "%s", nest(tree, 70));
    size_t len = (size_t)snprintf(path60, sizeof path60, "%s", tree);
    for (unsigned i = 1; i <= 60; i++)
        len += (size_t)snprintf(path60 + len, sizeof path60 - len, "/d%u", i);
    write_transcript(path_in(path60, "at-60.txt"), 2);
    write_transcript(path_in(bottom, "at-70.txt"), 3);

    proc_result r = run_cli(120, "index", "-i", index, tree, NULL);
    expect_status(&r, 2, "lpsearch index (deep tree)");
    expect_stderr(&r, "directories nested deeper than 64 levels are not read", "lpsearch index (deep tree)");
    expect_stderr(&r, "/d64", "lpsearch index (deep tree)");
    printf("[ hostile  ] 70 nested directories: exit %d in %.2f s\n", r.status, r.seconds);
    proc_free(&r);
    assert_int_equal(live_calls(index), 2); /* top and depth 60 */

    /* Deeper than PATH_MAX: 30 names of 200 bytes, made relative to a
     * descriptor as no path can reach the bottom. */
    char longtree[4400];
    snprintf(longtree, sizeof longtree, "%s", path_in(dir, "long"));
    assert_int_equal(mkdir(longtree, 0755), 0);
    write_transcript(path_in(longtree, "top.txt"), 4);
    char name[201];
    memset(name, 'n', 200);
    name[200] = '\0';
    int fd = open(longtree, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(mkdirat(fd, name, 0755), 0);
        int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(fd);
        fd = next;
    }
    int f = openat(fd, "bottom.txt", O_WRONLY | O_CREAT, 0644);
    assert_true(f >= 0);
    assert_int_equal(write(f, "Operator\nHello there.\n", 22), 22);
    close(f);
    close(fd);
    char index2[4400];
    snprintf(index2, sizeof index2, "%s", path_in(dir, "index2"));
    r = run_cli(120, "index", "-i", index2, longtree, NULL);
    expect_status(&r, 2, "lpsearch index (path longer than PATH_MAX)");
    expect_stderr(&r, "File name too long", "lpsearch index (path longer than PATH_MAX)");
    printf("[ hostile  ] a path of 6000 bytes: exit %d in %.2f s\n", r.status, r.seconds);
    proc_free(&r);
    assert_int_equal(live_calls(index2), 1);
    remove_tree(dir);
}

static void test_symlink_loops(void **state)
{
    (void)state;
    const char *dir = fresh_dir("links");
    char tree[4400], outside[4400], index[4400];
    snprintf(tree, sizeof tree, "%s", path_in(dir, "tree"));
    snprintf(outside, sizeof outside, "%s", path_in(dir, "outside"));
    snprintf(index, sizeof index, "%s", path_in(dir, "index"));
    assert_int_equal(mkdir(tree, 0755), 0);
    assert_int_equal(mkdir(outside, 0755), 0);
    assert_int_equal(mkdir(path_in(tree, "a"), 0755), 0);
    assert_int_equal(mkdir(path_in(tree, "b"), 0755), 0);
    write_transcript(path_in(tree, "top.txt"), 1);
    write_transcript(path_in(outside, "elsewhere.txt"), 2);
    /* Back to the top; into each other (a/to-b -> ../b, b/to-a -> ../a);
     * a link to itself; a dangling link; and a link out of the tree, which
     * is followed. */
    assert_int_equal(symlink("..", path_in(tree, "a/up")), 0);
    assert_int_equal(symlink("../b", path_in(tree, "a/to-b")), 0);
    assert_int_equal(symlink("../a", path_in(tree, "b/to-a")), 0);
    assert_int_equal(symlink("self.txt", path_in(tree, "self.txt")), 0);
    assert_int_equal(symlink("nowhere.txt", path_in(tree, "dangling.txt")), 0);
    assert_int_equal(symlink("../outside", path_in(tree, "out")), 0);

    proc_result r = run_cli(120, "index", "-i", index, tree, NULL);
    expect_status(&r, 2, "lpsearch index (symbolic link loops)");
    expect_stderr(&r, "a/up: symbolic link loop", "lpsearch index (loops)");
    expect_stderr(&r, "to-a: symbolic link loop", "lpsearch index (loops)");
    expect_stderr(&r, "self.txt: symbolic link loop", "lpsearch index (loops)");
    expect_stderr(&r, "dangling.txt: dangling symbolic link", "lpsearch index (loops)");
    printf("[ hostile  ] symbolic link loops: exit %d in %.2f s\n", r.status, r.seconds);
    proc_free(&r);
    assert_int_equal(live_calls(index), 2);

    /* A loop named on the command line. */
    r = run_cli(60, "index", "-i", index, path_in(tree, "self.txt"), NULL);
    expect_status(&r, 2, "lpsearch index (a loop as the path)");
    expect_stderr(&r, "symbolic link loop", "lpsearch index (a loop as the path)");
    proc_free(&r);
    assert_int_equal(live_calls(index), 2);
    remove_tree(dir);
}

/*
 * A file and a directory that cannot be read, inside a directory.  Root
 * reads whatever the mode says, so as root lpsearch runs as nobody (when
 * nobody may run it and reach the scratch directory; else the case is
 * skipped).
 */
static void test_unreadable_entries(void **state)
{
    (void)state;
    proc_options opts = {120, 0, 0, 0, 0, -1, -1};
    char base[4400];
    if (geteuid() == 0) {
        const struct passwd *pw = getpwnam("nobody");
        if (!pw)
            skip();
        opts.as_user = 1;
        opts.uid = pw->pw_uid;
        opts.gid = pw->pw_gid;
        /* /tmp is reachable by everyone, the build tree may not be. */
        snprintf(base, sizeof base, "/tmp/lpsearch-test-unreadable-XXXXXX");
        if (!mkdtemp(base))
            fail_msg("mkdtemp: %s", strerror(errno));
        assert_int_equal(chmod(base, 0777), 0);
    } else {
        snprintf(base, sizeof base, "%s", fresh_dir("unreadable"));
    }
    char tree[4400], index[4400];
    snprintf(tree, sizeof tree, "%s", path_in(base, "tree"));
    snprintf(index, sizeof index, "%s", path_in(base, "index"));
    assert_int_equal(mkdir(tree, 0755), 0);
    assert_int_equal(mkdir(path_in(tree, "locked-dir"), 0755), 0);
    write_transcript(path_in(tree, "readable.txt"), 1);
    write_transcript(path_in(tree, "locked.txt"), 2);
    write_transcript(path_in(tree, "locked-dir/inside.txt"), 3);
    assert_int_equal(chmod(path_in(tree, "locked.txt"), 0), 0);
    assert_int_equal(chmod(path_in(tree, "locked-dir"), 0), 0);

    const char *args[] = {"index", "-i", index, tree};
    proc_result r = run_args(args, 4, &opts);
    if (opts.as_user && r.status == PROC_SETUID_FAILED) {
        proc_free(&r);
        remove_tree(base);
        skip(); /* nobody cannot run the build's lpsearch */
    }
    expect_status(&r, 2, "lpsearch index (unreadable entries)");
    char expect[4600];
    snprintf(expect, sizeof expect, "%s: cannot open", path_in(tree, "locked.txt"));
    expect_stderr(&r, expect, "lpsearch index (unreadable file)");
    snprintf(expect, sizeof expect, "%s: cannot open directory", path_in(tree, "locked-dir"));
    expect_stderr(&r, expect, "lpsearch index (unreadable directory)");
    expect_stderr(&r, "Permission denied", "lpsearch index (unreadable entries)");
    printf("[ hostile  ] an unreadable file and directory%s: exit %d in %.2f s\n",
           opts.as_user ? " (run as nobody)" : "", r.status, r.seconds);
    proc_free(&r);
    assert_int_equal(live_calls(index), 1);
    remove_tree(base);
}

/* ---- Queries -------------------------------------------------------------------- */

static char small_index[4400]; /* a few short calls */
static char prefix_index[4400]; /* 5000 terms zq0000..zq4999 */

static void build_query_indexes(void)
{
    if (small_index[0])
        return;
    const char *dir = fresh_dir("queries");
    char corpus[4400];
    snprintf(corpus, sizeof corpus, "%s", path_in(dir, "corpus"));
    assert_int_equal(mkdir(corpus, 0755), 0);
    for (unsigned i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "acme-%u.txt", i);
        write_transcript(path_in(corpus, name), i);
    }
    snprintf(small_index, sizeof small_index, "%s", path_in(dir, "small"));
    proc_result r = run_cli(120, "index", "-q", "-i", small_index, corpus, NULL);
    expect_status(&r, 0, "lpsearch index (small)");
    proc_free(&r);

    /* Sentences of 50 words each: "Zq0000 zq0001 ... zq0049." */
    char zq[4400];
    snprintf(zq, sizeof zq, "%s", path_in(dir, "zq"));
    assert_int_equal(mkdir(zq, 0755), 0);
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "Acme Q1 2020 Earnings Call\n\nOperator\n");
    for (unsigned i = 0; i < 5000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%04u%s", i % 50 ? "zq" : "Zq", i,
                                i % 50 == 49 ? ".\n" : " ");
    assert_true(len < cap);
    test_write_file(path_in(zq, "zq.txt"), text, len);
    free(text);
    snprintf(prefix_index, sizeof prefix_index, "%s", path_in(dir, "prefix"));
    r = run_cli(120, "index", "-q", "-i", prefix_index, zq, NULL);
    expect_status(&r, 0, "lpsearch index (zq terms)");
    proc_free(&r);
}

/* Runs a search that must fail with a query error saying `says`, fast and
 * small. */
static void expect_query_error(const char *index, const char *const *words, size_t n, const char *says,
                               const char *what)
{
    const char **args = calloc(n + 3, sizeof *args);
    assert_non_null(args);
    args[0] = "-i";
    args[1] = index;
    for (size_t i = 0; i < n; i++)
        args[i + 2] = words[i];
    proc_options o = {60, 0, 0, 0, 0, -1, -1};
    proc_result r = run_args(args, n + 2, &o);
    free(args);
    expect_status(&r, 2, what);
    expect_stderr(&r, "lpsearch: query error at column ", what);
    expect_stderr(&r, says, what);
    if (r.out_len != 0)
        fail_msg("%s: printed results: %.200s", what, r.out);
    if (r.seconds > 10 || r.max_rss_kb > 512 * 1024)
        fail_msg("%s: took %.2f s and %ld KB", what, r.seconds, r.max_rss_kb);
    proc_free(&r);
}

static void expect_one_query_error(const char *index, const char *query, const char *says, const char *what)
{
    expect_query_error(index, &query, 1, says, what);
}

static void test_prefix_expansion(void **state)
{
    (void)state;
    build_query_indexes();
    expect_one_query_error(prefix_index, "zq*", "prefix 'zq*' matches more than 4096 terms", "zq*");
    expect_one_query_error(prefix_index, "\"zq0001 zq\"*", "prefix 'zq*' matches more than 4096 terms",
                           "a phrase ending in zq*");
    expect_one_query_error(prefix_index, "NEAR(zq0001 zq*, 5)", "matches more than 4096 terms",
                           "NEAR with zq*");
    const char *count_args[] = {"--count", "zq*"};
    expect_query_error(prefix_index, count_args, 2, "matches more than 4096 terms", "--count zq*");

    /* 1000 expansions are fine. */
    proc_result r = run_cli(60, "-i", prefix_index, "--count", "zq1*", NULL);
    expect_status(&r, 0, "--count zq1*");
    proc_free(&r);

    /* Many prefixes under the limit each: 33 x 1000 expansions pass the
     * total; 32 x 1000 run in bounded time and memory. */
    char query[1024];
    size_t len = 0;
    for (int i = 0; i < 33; i++)
        len += (size_t)snprintf(query + len, sizeof query - len, "%szq%d*", i ? " OR " : "", i % 5);
    expect_one_query_error(prefix_index, query, "prefixes match more than 32768 terms in all",
                           "33 prefixes of 1000 terms");
    char *last_or = strrchr(query, 'O');
    assert_non_null(last_or);
    last_or[-1] = '\0';
    r = run_cli(60, "-i", prefix_index, query, NULL);
    expect_status(&r, 0, "32 prefixes of 1000 terms");
    printf("[ hostile  ] 32 prefixes of 1000 terms each: %.2f s, peak RSS %ld MB\n", r.seconds,
           r.max_rss_kb / 1024);
    if (r.max_rss_kb > 512 * 1024)
        fail_msg("32 prefixes of 1000 terms took %ld KB", r.max_rss_kb);
    proc_free(&r);
}

static void test_huge_and_deep_queries(void **state)
{
    (void)state;
    build_query_indexes();
    /* 100 KB in one argument, and 20000 arguments. */
    size_t big = 100 * 1000;
    char *q = malloc(big + 1);
    assert_non_null(q);
    for (size_t i = 0; i < big; i++)
        q[i] = i % 8 == 7 ? ' ' : "revenue"[i % 8];
    q[big] = '\0';
    expect_one_query_error(small_index, q, "the limit is 4096 (QUERY_MAX_BYTES)", "a 100 KB query");
    const char **words = calloc(20000, sizeof *words);
    assert_non_null(words);
    for (size_t i = 0; i < 20000; i++)
        words[i] = "margins";
    expect_query_error(small_index, words, 20000, "(QUERY_MAX_BYTES)", "20000 query words");
    free(words);

    /* 1000 nested parentheses, and the other nestings. */
    size_t depth = 1000;
    assert_true(2 * depth + 8 <= big);
    memset(q, '(', depth);
    memcpy(q + depth, "margins", 7);
    memset(q + depth + 7, ')', depth);
    q[2 * depth + 7] = '\0';
    expect_one_query_error(small_index, q, "(QUERY_MAX_DEPTH)", "1000 nested parentheses");
    size_t len = 0;
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(q + len, big - len, "-(");
    len += (size_t)snprintf(q + len, big - len, "margins");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(q + len, big - len, ")");
    expect_one_query_error(small_index, q, "(QUERY_MAX_DEPTH)", "40 nested exclusions");
    len = 0;
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(q + len, big - len, "%sw%d", i ? " OR " : "", i);
    expect_one_query_error(small_index, q, "(QUERY_MAX_NODES)", "300 words");
    len = (size_t)snprintf(q, big, "margins");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(q + len, big - len, " NOT w%d", i);
    /* A chain of NOT is left-associative: each one nests the last. */
    expect_one_query_error(small_index, q, "QUERY_MAX_DEPTH", "a chain of 100 NOT");
    len = 0;
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(q + len, big - len, "NEAR(");
    expect_one_query_error(small_index, q, "NEAR(...) may hold only words and quoted phrases",
                           "nested NEAR");
    const char *count_args[] = {"--count", "--json", q};
    memset(q, '(', depth);
    q[depth] = '\0';
    expect_query_error(small_index, count_args, 3, "", "--count --json with 1000 open parentheses");
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_deep_directories),
        cmocka_unit_test(test_symlink_loops),
        cmocka_unit_test(test_unreadable_entries),
        cmocka_unit_test(test_prefix_expansion),
        cmocka_unit_test(test_huge_and_deep_queries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
