/*
 * End-to-end tests of the synthetic corpus generator (bench/gen_corpus.c):
 * the built lps-gen-corpus (LPS_GEN_CORPUS_PATH) writes a small corpus and
 * the built lpsearch (LPS_CLI_PATH) reads it back.  Output trees are
 * compared by a digest of their sorted paths and bytes; export lines are
 * only searched for a few fields, so nothing here depends on the library.
 */
#include "test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SENTENCES 2000

typedef struct run_result {
    int status;
    char *out, *err; /* NUL-terminated */
    size_t out_len, err_len;
} run_result;

/* snprintf that fails the test rather than truncate. */
static void format(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("%zu bytes are not enough for '%s'", cap, fmt);
}

/* out = "dir/name" */
static void join(char *out, size_t cap, const char *dir, const char *name)
{
    format(out, cap, "%s/%s", dir, name);
}

/* Runs "PROGRAM ARGS" (ARGS already shell-quoted), capturing stdout and stderr in work. */
static run_result run(const char *program, const char *args, const char *work)
{
    char cmd[16384], out_path[4200], err_path[4200];
    join(out_path, sizeof out_path, work, "stdout");
    join(err_path, sizeof err_path, work, "stderr");
    format(cmd, sizeof cmd, "'%s' %s </dev/null >'%s' 2>'%s'", program, args, out_path,
           err_path);
    int status = system(cmd);
    if (status == -1 || !WIFEXITED(status))
        fail_msg("%s did not exit normally (status %d)", cmd, status);
    run_result r;
    r.status = WEXITSTATUS(status);
    r.out = test_read_file(out_path, &r.out_len);
    r.err = test_read_file(err_path, &r.err_len);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* A scratch directory of our own: test_scratch_dir returns a shared buffer. */
static char *scratch(const char *name)
{
    char *copy = strdup(test_scratch_dir(name));
    assert_non_null(copy);
    return copy;
}

/* Runs the generator into out_dir (which it creates); returns its result. */
static run_result generate(const char *work, const char *out_dir, unsigned long long seed,
                           const char *extra)
{
    char args[9000];
    format(args, sizeof args, "--out '%s' --sentences %d --seed %llu %s", out_dir, SENTENCES,
             seed, extra ? extra : "");
    return run(LPS_GEN_CORPUS_PATH, args, work);
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

static int skip_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* Folds every file below root/rel into *h, in sorted order: the relative
 * path, then the bytes.  Counts the files in *files. */
static void digest_tree(const char *root, const char *rel, uint64_t *h, size_t *files)
{
    char dir[4200];
    format(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    struct dirent **names;
    int n = scandir(dir, &names, skip_dots, alphasort);
    if (n < 0)
        fail_msg("cannot list %s", dir);
    for (int i = 0; i < n; i++) {
        char child_rel[4200], child[8500];
        format(child_rel, sizeof child_rel, "%s%s%s", rel, rel[0] ? "/" : "", names[i]->d_name);
        join(child, sizeof child, root, child_rel);
        struct stat st;
        assert_int_equal(stat(child, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            digest_tree(root, child_rel, h, files);
        } else {
            size_t len;
            char *bytes = test_read_file(child, &len);
            *h = fnv(*h, child_rel, strlen(child_rel) + 1);
            *h = fnv(*h, bytes, len);
            free(bytes);
            (*files)++;
        }
        free(names[i]);
    }
    free(names);
}

static uint64_t tree_digest(const char *root, size_t *files)
{
    uint64_t h = 0xCBF29CE484222325ull;
    *files = 0;
    digest_tree(root, "", &h, files);
    return h;
}

/* The sentence and file counts of the generator's summary line. */
static void parse_summary(const run_result *r, unsigned long long *sentences,
                          unsigned long long *files)
{
    const char *at = strstr(r->err, "wrote ");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "wrote %llu sentences in %llu files", sentences, files), 2);
}

/* Distinct values of a string field ("layout":"...") over the export lines;
 * returns how many there are, and the number of lines in *lines. */
static size_t distinct_field(const char *out, const char *field, size_t *lines)
{
    char key[64], seen[64][128];
    size_t count = 0;
    format(key, sizeof key, "\"%s\":\"", field);
    *lines = 0;
    for (const char *line = out; *line;) {
        const char *end = strchr(line, '\n');
        assert_non_null(end); /* every line is terminated */
        (*lines)++;
        const char *v = strstr(line, key);
        if (v && v < end) {
            v += strlen(key);
            const char *q = strchr(v, '"');
            assert_true(q && q < end);
            size_t len = (size_t)(q - v);
            assert_true(len < sizeof seen[0]);
            size_t k = 0;
            while (k < count && !(strlen(seen[k]) == len && memcmp(seen[k], v, len) == 0))
                k++;
            if (k == count && count < 64) {
                memcpy(seen[count], v, len);
                seen[count][len] = '\0';
                count++;
            }
        }
        line = end + 1;
    }
    return count;
}

/* ---- Determinism ------------------------------------------------------------ */

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    char *work = scratch("gen-same");
    char a[4200], b[4200];
    join(a, sizeof a, work, "a");
    join(b, sizeof b, work, "b/nested"); /* missing parents are created */
    run_result ra = generate(work, a, 1, NULL);
    assert_int_equal(ra.status, 0);
    run_result rb = generate(work, b, 1, NULL);
    assert_int_equal(rb.status, 0);

    size_t files_a, files_b;
    uint64_t da = tree_digest(a, &files_a), db = tree_digest(b, &files_b);
    assert_true(files_a > 1);
    assert_int_equal(files_a, files_b);
    assert_true(da == db);

    unsigned long long sentences, files;
    parse_summary(&ra, &sentences, &files);
    assert_int_equal(files, files_a);
    assert_int_equal(sentences, SENTENCES); /* exact whenever N holds one call */
    run_free(&ra);
    run_free(&rb);
    free(work);
}

static void test_other_seed_differs(void **state)
{
    (void)state;
    char *work = scratch("gen-seed");
    char a[4200], b[4200];
    join(a, sizeof a, work, "a");
    join(b, sizeof b, work, "b");
    run_result ra = generate(work, a, 1, NULL);
    run_result rb = generate(work, b, 2, NULL);
    assert_int_equal(ra.status, 0);
    assert_int_equal(rb.status, 0);
    size_t files_a, files_b;
    assert_true(tree_digest(a, &files_a) != tree_digest(b, &files_b));
    run_free(&ra);
    run_free(&rb);
    free(work);
}

/* ---- What lpsearch reads -------------------------------------------------------- */

static void test_export_reads_corpus(void **state)
{
    (void)state;
    char *work = scratch("gen-export");
    char dir[4200], args[9000];
    join(dir, sizeof dir, work, "corpus");
    run_result g = generate(work, dir, 1, NULL);
    assert_int_equal(g.status, 0);
    unsigned long long reported, files;
    parse_summary(&g, &reported, &files);

    format(args, sizeof args, "export '%s'", dir);
    run_result e = run(LPS_CLI_PATH, args, work);
    assert_int_equal(e.status, 0); /* every file parsed */
    size_t lines;
    size_t layouts = distinct_field(e.out, "layout", &lines);
    assert_true(lines >= SENTENCES * 95 / 100 && lines <= SENTENCES * 105 / 100);
    /* The generator writes sentences the reader splits exactly as intended. */
    assert_int_equal(lines, reported);
    assert_true(layouts > 1);
    size_t file_names = distinct_field(e.out, "file", &lines);
    assert_int_equal(file_names, files);
    run_free(&g);
    run_free(&e);
    free(work);
}

static void test_calls_per_company(void **state)
{
    (void)state;
    char *work = scratch("gen-companies");
    char one[4200], many[4200], args[9000];
    join(one, sizeof one, work, "one");
    join(many, sizeof many, work, "many");
    run_result g1 = generate(work, one, 1, "--calls-per-company 1");
    run_result g2 = generate(work, many, 1, "--calls-per-company=84");
    assert_int_equal(g1.status, 0);
    assert_int_equal(g2.status, 0);
    unsigned long long sentences, files;
    parse_summary(&g1, &sentences, &files);

    size_t lines;
    format(args, sizeof args, "export '%s'", one);
    run_result e = run(LPS_CLI_PATH, args, work);
    assert_int_equal(e.status, 0);
    assert_int_equal(distinct_field(e.out, "company", &lines), files); /* one call each */
    run_free(&e);

    format(args, sizeof args, "export '%s'", many);
    e = run(LPS_CLI_PATH, args, work);
    assert_int_equal(e.status, 0);
    assert_int_equal(distinct_field(e.out, "company", &lines), 1);
    run_free(&e);
    run_free(&g1);
    run_free(&g2);
    free(work);
}

/* ---- Bad arguments and failures ----------------------------------------------- */

static void test_bad_arguments(void **state)
{
    (void)state;
    char *work = scratch("gen-args");
    static const char *const bad[] = {
        "",
        "--sentences 10",
        "--out x",
        "--out x --sentences 0",
        "--out x --sentences 12abc",
        "--out x --sentences -5",
        "--out x --sentences 10 --seed",
        "--out x --sentences 10 --calls-per-company 85",
        "--out x --sentences 10 --frobnicate",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_result r = run(LPS_GEN_CORPUS_PATH, bad[i], work);
        if (r.status != 2)
            fail_msg("'%s' exited with %d, expected 2", bad[i], r.status);
        assert_non_null(strstr(r.err, "usage: lps-gen-corpus"));
        assert_int_equal(r.out_len, 0);
        run_free(&r);
    }
    run_result r = run(LPS_GEN_CORPUS_PATH, "--help", work);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lps-gen-corpus"));
    run_free(&r);
    free(work);
}

static void test_unwritable_output(void **state)
{
    (void)state;
    char *work = scratch("gen-unwritable");
    char blocker[4200], dir[4200];
    join(blocker, sizeof blocker, work, "file");
    test_write_file(blocker, "x", 1);
    join(dir, sizeof dir, blocker, "corpus"); /* a directory inside a regular file */
    run_result r = generate(work, dir, 1, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, blocker)); /* where */
    assert_non_null(strstr(r.err, "cannot create directory")); /* what */
    run_free(&r);
    free(work);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_export_reads_corpus),
        cmocka_unit_test(test_calls_per_company),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_unwritable_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
