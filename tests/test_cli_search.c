/*
 * End-to-end tests of `lpsearch [search]` and of the commands around an
 * index (stats, check, export -i, remove, index, optimize), run on the
 * bundled transcripts.  The built binary (LPS_CLI_PATH) is started by
 * tests/test_process.h: argv passed as is (no shell), stdin from /dev/null,
 * stdout and stderr read through pipes, or stdout through a pseudo-terminal
 * for the colour rules, and killed if it outlives its deadline.  JSON output is checked with a strict parser.
 *
 * Every index lives in a scratch directory under the test binary directory;
 * LPSEARCH_INDEX, LPSEARCH_CORPUS and NO_COLOR are unset for the whole run so
 * the user's environment cannot leak in.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include "test.h"
#include "test_json.h"
#include "test_process.h"

#include "lpsearch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_json_parser_reads_numbers(void **state)
{
    (void)state;
    static const char doc[] = "[2.4486039614651056,-0.5e+3,2230,1e-9]";
    jval *v = json_parse(doc, sizeof doc - 1);
    assert_non_null(v);
    assert_int_equal(v->count, 4);
    assert_true(fabs(v->items[0].number - 2.4486039614651056) < 1e-15);
    assert_true(v->items[1].number == -500.0 && !v->items[1].integral);
    assert_true(v->items[2].integral && v->items[2].integer == 2230 && v->items[2].number == 2230.0);
    assert_true(v->items[3].number == 1e-9);
    jval_free(v);
    static const char *const bad[] = {"[1,]", "01", "1.", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "[1 2]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(json_parse(bad[i], strlen(bad[i])));
}

/* ---- Running the binary -------------------------------------------------- */

typedef struct run_result {
    int status;  /* exit status */
    char *out;   /* stdout, NUL-terminated */
    size_t out_len;
    char *err;   /* stderr, NUL-terminated */
    size_t err_len;
} run_result;

/*
 * Runs lpsearch with args (NULL-terminated, without the program name) and
 * returns its exit status and output.  stdout is a pipe, or the slave side
 * of a pseudo-terminal when tty_master >= 0: tty_slave is its other side.
 * Both tty descriptors are closed on return.
 */
static run_result run_argv(const char *const *args, int tty_master, int tty_slave)
{
    const char *argv[64];
    size_t argc = 0;
    argv[argc++] = LPS_CLI_PATH;
    for (size_t i = 0; args[i]; i++) {
        assert_true(argc < sizeof argv / sizeof argv[0] - 1);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    proc_options opts = {120, 0, 0, 0, tty_master >= 0, tty_master, tty_slave};
    proc_result p = proc_run(LPS_CLI_PATH, (char *const *)argv, &opts);
    if (p.timed_out || p.signal || p.status == PROC_EXEC_FAILED)
        fail_msg("lpsearch %s did not exit normally (status %d, signal %d%s)", args[0] ? args[0] : "",
                 p.status, p.signal, p.timed_out ? ", killed at the deadline" : "");
    run_result r = {p.status, p.out, p.out_len, p.err, p.err_len};
    return r;
}

/* run_cli("-i", dir, "chat", NULL) */
static run_result run_cli(const char *first, ...)
{
    const char *args[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(n < sizeof args / sizeof args[0] - 1);
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    return run_argv(args, -1, -1);
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Fails with the command's stderr when the status is not the expected one. */
static void expect_status(const run_result *r, int expected, const char *what)
{
    if (r->status != expected)
        fail_msg("%s: exit status %d, expected %d; stderr:\n%s", what, r->status, expected, r->err);
}

/* ---- Fixtures ------------------------------------------------------------ */

static char scratch[4096];     /* this program's scratch directory */
static char main_index[4200];  /* the bundled transcripts, never changed by a test */
static char word_index[4200];  /* a call that says "index", for command-like queries */

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4][4400];
    static int next;
    char *p = buf[next++ % 4];
    int n = snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof buf[0]);
    return p;
}

/* Builds a fresh index of path in dir with `lpsearch index`. */
static void build_index(const char *dir, const char *path)
{
    run_result r = run_cli("index", "-i", dir, path, NULL);
    expect_status(&r, 0, "lpsearch index");
    run_free(&r);
}

/* A fresh index of the bundled transcripts in scratch/name, for a test that
 * changes or damages it. */
static const char *private_index(const char *name)
{
    static char dir[4400];
    snprintf(dir, sizeof dir, "%s", path_in(scratch, name));
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    build_index(dir, LPS_TEST_DATA_DIR);
    return dir;
}

static const char word_call[] =
    "Acme Q2 2020 Earnings Call\n"
    "\n"
    "Operator\n"
    "Welcome to the call. Please go ahead.\n"
    "Jane Roe - CEO\n"
    "Thank you. Our customer satisfaction index rose again this quarter.\n";

static int setup(void **state)
{
    (void)state;
    unsetenv("LPSEARCH_INDEX");
    unsetenv("LPSEARCH_CORPUS");
    unsetenv("NO_COLOR");
    snprintf(scratch, sizeof scratch, "%s", test_scratch_dir("cli-search"));
    snprintf(main_index, sizeof main_index, "%s", path_in(scratch, "index"));
    build_index(main_index, LPS_TEST_DATA_DIR);

    char corpus[4400];
    snprintf(corpus, sizeof corpus, "%s", path_in(scratch, "word-corpus"));
    assert_int_equal(mkdir(corpus, 0755), 0);
    test_write_file(path_in(corpus, "acme-2020-q2.txt"), word_call, strlen(word_call));
    snprintf(word_index, sizeof word_index, "%s", path_in(scratch, "word-index"));
    build_index(word_index, corpus);
    return 0;
}

/* ---- Output helpers ------------------------------------------------------ */

/* The number of lines of s that start with prefix. */
static size_t count_lines_starting(const char *s, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *line = s; *line;) {
        if (strncmp(line, prefix, len) == 0)
            n++;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return n;
}

static int has_escape(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '\033' && s[i + 1] == '[')
            return 1;
    return 0;
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static char fold_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether text[start..start+len) folds (ASCII case) to one of terms. */
static int folds_to_term(const char *text, size_t len, const char *const *terms)
{
    for (size_t t = 0; terms[t]; t++) {
        if (strlen(terms[t]) != len)
            continue;
        size_t i = 0;
        while (i < len && fold_ascii(text[i]) == terms[t][i])
            i++;
        if (i == len)
            return 1;
    }
    return 0;
}

/*
 * The "hits" lines of a --json search: every documented field with its type;
 * ranks from first_rank on; scores not increasing.  Each highlight is a byte
 * range of the text, in bounds, on UTF-8 boundaries, ascending and disjoint,
 * and every word under it folds to one of terms; every term of required is
 * highlighted in every hit.  Returns the number of hit lines before the
 * summary (which must be the last line).
 */
static size_t check_json_hits(const json_lines *lines, size_t first_rank, const char *const *terms,
                              const char *const *required)
{
    assert_true(lines->count >= 1);
    double prev_score = INFINITY;
    size_t hits = lines->count - 1;
    for (size_t i = 0; i < hits; i++) {
        const jval *row = lines->rows[i];
        assert_null(jget(row, "summary"));
        assert_int_equal(jreq_int(row, "rank"), (long long)(first_rank + i));
        double score = jreq(row, "score", J_NUMBER)->number;
        assert_true(score > 0 && score <= prev_score);
        prev_score = score;
        assert_true(jreq_int(row, "id") >= 0);
        const jval *call = jreq(row, "call", J_OBJECT);
        assert_int_equal(jreq_string_or_null(call, "file")->type, J_STRING);
        jreq_string_or_null(call, "title");
        jreq_string_or_null(call, "company");
        const jval *speaker = jreq(row, "speaker", J_OBJECT);
        jreq_string_or_null(speaker, "label");
        jreq_string_or_null(speaker, "name");
        jreq_string_or_null(speaker, "role");
        assert_true(jreq_int(row, "turn") >= 0);
        assert_true(jreq_int(row, "sentence") >= 0);
        assert_true(jreq_int(row, "line") >= 1);
        const jval *text = jreq(row, "text", J_STRING);
        assert_true(text->len > 0);

        const jval *highlights = jreq(row, "highlights", J_ARRAY);
        assert_true(highlights->count > 0);
        long long prev_end = 0;
        int seen[16] = {0};
        for (size_t h = 0; h < highlights->count; h++) {
            const jval *range = &highlights->items[h];
            assert_int_equal(range->type, J_ARRAY);
            assert_int_equal(range->count, 2);
            assert_true(range->items[0].integral && range->items[1].integral);
            long long start = range->items[0].integer, end = range->items[1].integer;
            if (!(start >= prev_end && start < end && (size_t)end <= text->len))
                fail_msg("hit %zu: highlight [%lld,%lld) out of order or outside the %zu-byte text", i + 1,
                         start, end, text->len);
            prev_end = end;
            const unsigned char *s = (const unsigned char *)text->str;
            assert_true((s[start] & 0xC0) != 0x80);
            assert_true((size_t)end == text->len || (s[end] & 0xC0) != 0x80);
            /* The range holds whole words, each one a query term. */
            assert_true(is_word_byte(s[start]) && is_word_byte(s[end - 1]));
            assert_false(start > 0 && is_word_byte(s[start - 1]));
            assert_false((size_t)end < text->len && is_word_byte(s[end]));
            for (long long w = start; w < end;) {
                if (!is_word_byte(s[w])) {
                    w++;
                    continue;
                }
                long long we = w;
                while (we < end && is_word_byte(s[we]))
                    we++;
                if (!folds_to_term(text->str + w, (size_t)(we - w), terms))
                    fail_msg("hit %zu: highlighted \"%.*s\" is not a query term (text: %s)", i + 1, (int)(we - w),
                             text->str + w, text->str);
                for (size_t t = 0; required && required[t]; t++) {
                    const char *one[2] = {required[t], NULL};
                    if (folds_to_term(text->str + w, (size_t)(we - w), one))
                        seen[t] = 1;
                }
                w = we;
            }
        }
        for (size_t t = 0; required && required[t]; t++)
            if (!seen[t])
                fail_msg("hit %zu: \"%s\" matched but is not highlighted (text: %s)", i + 1, required[t], text->str);
    }
    const jval *summary = jreq(lines->rows[hits], "summary", J_OBJECT);
    assert_int_equal(jreq_int(summary, "returned"), (long long)hits);
    assert_true(jreq_int(summary, "total") >= (long long)hits);
    jreq(summary, "query", J_STRING);
    return hits;
}

/* The number `lpsearch --count` prints for query. */
static long long count_matches(const char *query)
{
    run_result r = run_cli("-i", main_index, "--count", query, NULL);
    assert_true(r.status == 0 || r.status == 1);
    char *end;
    long long n = strtoll(r.out, &end, 10);
    if (end == r.out || strcmp(end, "\n") != 0)
        fail_msg("--count printed \"%s\", not a number and a newline", r.out);
    assert_int_equal(r.status, n > 0 ? 0 : 1);
    run_free(&r);
    return n;
}

/* ---- Searching ----------------------------------------------------------- */

static void test_phrase_first_hit(void **state)
{
    (void)state;
    run_result r = run_cli("-i", main_index, "\"proactive chat\"", NULL);
    expect_status(&r, 0, "lpsearch \"proactive chat\"");
    assert_int_equal(r.err_len, 0);
    /* The first hit is the Q1 2014 sentence, on the line after its heading. */
    assert_true(strncmp(r.out, "1. LivePerson Q1 2014 ", 22) == 0);
    const char *text = strchr(r.out, '\n');
    assert_non_null(text);
    const char *next = strchr(text + 1, '\n');
    assert_non_null(next);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(next - text - 1), text + 1);
    if (!strstr(line, "like we did with proactive chat back in 2006"))
        fail_msg("first hit text is \"%s\"", line);
    assert_non_null(strstr(r.out, "\n1 match, showing 1-1\n"));
    run_free(&r);

    /* The words unquoted match more sentences, the phrase one still first. */
    r = run_cli("-i", main_index, "proactive", "chat", NULL);
    expect_status(&r, 0, "lpsearch proactive chat");
    assert_true(strncmp(r.out, "1. LivePerson Q1 2014 ", 22) == 0);
    run_free(&r);
}

static void test_query_named_like_a_command(void **state)
{
    (void)state;
    /* "index" is not in the bundled calls: a search finds nothing (1) where
     * the index command would have printed a summary and exited 0. */
    static const char *const forms[][5] = {
        {"search", "-i", "DIR", "index", NULL},
        {"-i", "DIR", "--", "index", NULL},
        {"search", "-i", "DIR", "--", "index"},
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        const char *args[6] = {NULL};
        for (size_t k = 0; k < 5 && forms[f][k]; k++)
            args[k] = strcmp(forms[f][k], "DIR") == 0 ? main_index : forms[f][k];
        run_result r = run_argv(args, -1, -1);
        expect_status(&r, 1, "search for the word index");
        assert_int_equal(r.out_len, 0);
        assert_non_null(strstr(r.err, "no sentence matches index"));
        assert_null(strstr(r.err, "added"));
        run_free(&r);

        /* In an index whose call says "index", the same command finds it. */
        for (size_t k = 0; k < 5 && forms[f][k]; k++)
            if (strcmp(forms[f][k], "DIR") == 0)
                args[k] = word_index;
        r = run_argv(args, -1, -1);
        expect_status(&r, 0, "search the word index");
        assert_non_null(strstr(r.out, "customer satisfaction index rose"));
        run_free(&r);
    }

    /* With the index from LPSEARCH_INDEX the commands are literally these. */
    assert_int_equal(setenv("LPSEARCH_INDEX", word_index, 1), 0);
    run_result a = run_cli("search", "index", NULL);
    run_result b = run_cli("--", "index", NULL);
    unsetenv("LPSEARCH_INDEX");
    expect_status(&a, 0, "LPSEARCH_INDEX=... lpsearch search index");
    expect_status(&b, 0, "LPSEARCH_INDEX=... lpsearch -- index");
    assert_non_null(strstr(a.out, "customer satisfaction index rose"));
    assert_int_equal(a.out_len, b.out_len);
    assert_memory_equal(a.out, b.out, a.out_len);
    run_free(&a);
    run_free(&b);
}

static void test_no_hits(void **state)
{
    (void)state;
    run_result r = run_cli("-i", main_index, "zzyzx", NULL);
    expect_status(&r, 1, "a query with no hits");
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "no sentence matches zzyzx"));
    run_free(&r);

    r = run_cli("-i", main_index, "--json", "zzyzx", NULL);
    expect_status(&r, 1, "--json with no hits");
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, 1);
    const jval *summary = jreq(lines.rows[0], "summary", J_OBJECT);
    assert_int_equal(jreq_int(summary, "total"), 0);
    assert_int_equal(jreq_int(summary, "returned"), 0);
    json_lines_free(&lines);
    run_free(&r);

    assert_int_equal(count_matches("zzyzx"), 0);
    /* Both words exist, never in one sentence. */
    assert_int_equal(count_matches("\"proactive chat\" -2006"), 0);
}

/* The query echoed after "  " and a caret under column N of the message. */
static void expect_caret(const char *query, const char *why)
{
    run_result r = run_cli("-i", main_index, query, NULL);
    if (r.status != 2)
        fail_msg("query %s: exit status %d, expected 2", query, r.status);
    assert_int_equal(r.out_len, 0);
    const char *msg = strstr(r.err, "query error at column ");
    if (!msg)
        fail_msg("query %s: no column in: %s", query, r.err);
    long column = strtol(msg + strlen("query error at column "), NULL, 10);
    assert_true(column >= 1 && (size_t)column <= strlen(query) + 1);
    if (!strstr(r.err, why))
        fail_msg("query %s: the message does not say \"%s\": %s", query, why, r.err);
    char echo[512];
    snprintf(echo, sizeof echo, "\n  %s\n", query);
    const char *at = strstr(r.err, echo);
    if (!at)
        fail_msg("query %s: not echoed: %s", query, r.err);
    const char *caret = at + strlen(echo);
    for (long i = 0; i < 2 + column - 1; i++)
        if (caret[i] != ' ')
            fail_msg("query %s: caret line is not blank before column %ld: %s", query, column, r.err);
    assert_true(strncmp(caret + 2 + column - 1, "^\n", 2) == 0);
    run_free(&r);
}

static void test_malformed_queries(void **state)
{
    (void)state;
    expect_caret("\"proactive chat", "quote");
    expect_caret("chat OR", "OR");
    expect_caret("OR chat", "OR");
    expect_caret("(chat sales", "parenthes");
    expect_caret("chat sales)", ")");
}

static void test_bad_options(void **state)
{
    (void)state;
    static const char *const cases[][4] = {
        {"--frobnicate", "chat", NULL, "--frobnicate"},
        {"-n", "x", "chat", "-n"},
        {"-n", "-1", "chat", "-n"},
        {"-n", "1000001", "chat", "-n"},
        {"--limit=ten", "chat", NULL, "--limit"},
        {"--offset", "1.5", "chat", "--offset"},
        {"-C", "many", "chat", "-C"},
        {"--color=sometimes", "chat", NULL, "--color"},
        {"chat", "-n", NULL, "-n"}, /* a value option with no value */
        {"--k1", "-3", "chat", "--k1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[7] = {"-i", main_index};
        size_t n = 2;
        for (size_t k = 0; k < 3 && cases[i][k]; k++)
            args[n++] = cases[i][k];
        args[n] = NULL;
        run_result r = run_argv(args, -1, -1);
        if (r.status != 2)
            fail_msg("lpsearch ... %s %s: exit status %d, expected 2", cases[i][0], cases[i][1] ? cases[i][1] : "",
                     r.status);
        assert_int_equal(r.out_len, 0);
        if (!strstr(r.err, cases[i][3]))
            fail_msg("the error does not name %s: %s", cases[i][3], r.err);
        run_free(&r);
    }
    /* No query at all. */
    run_result r = run_cli("-i", main_index, NULL);
    expect_status(&r, 2, "no query");
    assert_non_null(strstr(r.err, "no query"));
    run_free(&r);
}

static void test_json_lines(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        const char *const terms[4];    /* every word a highlight may hold */
        const char *const required[4]; /* words every hit must highlight */
    } cases[] = {
        {"chat", {"chat", NULL}, {"chat", NULL}},
        {"chat sales", {"chat", "sales", NULL}, {"chat", "sales", NULL}},
        {"\"proactive chat\"", {"proactive", "chat", NULL}, {"proactive", "chat", NULL}},
        {"chat OR messaging", {"chat", "messaging", NULL}, {NULL}},
        {"role:analyst pricing", {"pricing", NULL}, {"pricing", NULL}},
        {"customers -chat", {"customers", NULL}, {"customers", NULL}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        run_result r = run_cli("-i", main_index, "--json", "-n", "1000", cases[c].query, NULL);
        expect_status(&r, 0, cases[c].query);
        assert_int_equal(r.err_len, 0);
        json_lines lines = json_lines_parse(r.out, r.out_len);
        size_t hits = check_json_hits(&lines, 1, cases[c].terms, cases[c].required);
        const jval *summary = jreq(lines.rows[hits], "summary", J_OBJECT);
        assert_string_equal(jreq(summary, "query", J_STRING)->str, cases[c].query);
        assert_int_equal(jreq_int(summary, "offset"), 0);
        long long total = jreq_int(summary, "total");
        /* Every match fits in 1000 hits here: the total is what was listed,
         * and what --count and --count --json say. */
        assert_int_equal(total, (long long)hits);
        assert_int_equal(total, count_matches(cases[c].query));
        run_result cj = run_cli("-i", main_index, "--count", "--json", cases[c].query, NULL);
        expect_status(&cj, 0, "--count --json");
        json_lines cl = json_lines_parse(cj.out, cj.out_len);
        assert_int_equal(cl.count, 1);
        assert_int_equal(jreq_int(cl.rows[0], "total"), total);
        json_lines_free(&cl);
        run_free(&cj);

        /* The --json hits are the text hits, in the same order. */
        run_result t = run_cli("-i", main_index, "-n", "1000", "--color=never", cases[c].query, NULL);
        expect_status(&t, 0, cases[c].query);
        for (size_t i = 0; i < hits; i++) {
            char needle[64];
            snprintf(needle, sizeof needle, ", #%lld]\n", jreq_int(lines.rows[i], "id"));
            const char *at = strstr(t.out, needle);
            assert_non_null(at);
            const char *text = jreq(lines.rows[i], "text", J_STRING)->str;
            assert_true(strncmp(at + strlen(needle), "   ", 3) == 0);
            assert_true(strncmp(at + strlen(needle) + 3, text, strlen(text)) == 0);
        }
        assert_int_equal(count_lines_starting(t.out, "   "), hits);
        run_free(&t);
        json_lines_free(&lines);
        run_free(&r);
    }
}

static void test_count(void **state)
{
    (void)state;
    long long chat = count_matches("chat");
    long long sales = count_matches("sales");
    long long both = count_matches("chat sales");
    long long either = count_matches("chat OR sales");
    long long only = count_matches("chat -sales");
    assert_true(chat > 10 && sales > 10 && both > 0);
    assert_int_equal(either, chat + sales - both); /* inclusion-exclusion */
    assert_int_equal(only, chat - both);
    /* Case does not matter. */
    assert_int_equal(count_matches("CHAT"), chat);

    run_result r = run_cli("-i", main_index, "--count", "chat", NULL);
    expect_status(&r, 0, "--count chat");
    char expected[32];
    snprintf(expected, sizeof expected, "%lld\n", chat);
    assert_string_equal(r.out, expected);
    run_free(&r);
}

/* The ids and scores of a --json search with the given paging. */
static json_lines search_page(const char *query, const char *limit, const char *offset)
{
    run_result r = run_cli("-i", main_index, "--json", "-n", limit, "--offset", offset, query, NULL);
    expect_status(&r, 0, "paging");
    json_lines lines = json_lines_parse(r.out, r.out_len);
    run_free(&r);
    return lines;
}

static void test_paging(void **state)
{
    (void)state;
    static const char *const terms[] = {"chat", NULL};
    json_lines all = search_page("chat", "30", "0");
    json_lines head = search_page("chat", "10", "0");
    json_lines tail = search_page("chat", "20", "10");
    json_lines last = search_page("chat", "1000", "65");
    assert_int_equal(check_json_hits(&all, 1, terms, terms), 30);
    assert_int_equal(check_json_hits(&head, 1, terms, terms), 10);
    assert_int_equal(check_json_hits(&tail, 11, terms, terms), 20);
    long long total = jreq_int(jreq(all.rows[30], "summary", J_OBJECT), "total");
    assert_true(total > 65);
    assert_int_equal(check_json_hits(&last, 66, terms, terms), (size_t)(total - 65));
    assert_int_equal(jreq_int(jreq(tail.rows[20], "summary", J_OBJECT), "offset"), 10);
    /* offset 10 + limit 20 is the tail of limit 30, hit for hit. */
    for (size_t i = 0; i < 30; i++) {
        const jval *a = all.rows[i];
        const jval *b = i < 10 ? head.rows[i] : tail.rows[i - 10];
        assert_int_equal(jreq_int(a, "id"), jreq_int(b, "id"));
        assert_int_equal(jreq_int(a, "rank"), jreq_int(b, "rank"));
        assert_true(jreq(a, "score", J_NUMBER)->number == jreq(b, "score", J_NUMBER)->number);
    }
    json_lines_free(&all);
    json_lines_free(&head);
    json_lines_free(&tail);
    json_lines_free(&last);

    /* Text output: ranks continue after the offset; the footer says which. */
    run_result r = run_cli("-i", main_index, "--color=never", "-n", "5", "--offset", "5", "chat", NULL);
    expect_status(&r, 0, "text paging");
    assert_true(strncmp(r.out + strspn(r.out, "\n"), "6. ", 3) == 0);
    assert_non_null(strstr(r.out, "\n10. "));
    assert_null(strstr(r.out, "\n11. "));
    assert_non_null(strstr(r.out, "showing 6-10\n"));
    run_free(&r);

    /* -n5 is -n 5; past the end nothing is listed but the query matched. */
    r = run_cli("-i", main_index, "-n5", "--json", "chat", NULL);
    expect_status(&r, 0, "-n5");
    json_lines five = json_lines_parse(r.out, r.out_len);
    assert_int_equal(five.count, 6);
    json_lines_free(&five);
    run_free(&r);
    r = run_cli("-i", main_index, "--json", "--offset", "100000", "chat", NULL);
    expect_status(&r, 0, "an offset past the end");
    json_lines none = json_lines_parse(r.out, r.out_len);
    assert_int_equal(none.count, 1);
    assert_int_equal(jreq_int(jreq(none.rows[0], "summary", J_OBJECT), "returned"), 0);
    json_lines_free(&none);
    run_free(&r);
}

static void test_context(void **state)
{
    (void)state;
    run_result r = run_cli("-i", main_index, "-C", "1", "--color=never", "\"proactive chat\"", NULL);
    expect_status(&r, 0, "-C 1");
    /* Heading, one sentence before, the hit, one after. */
    const char *hit = strstr(r.out, "\n   > ");
    assert_non_null(hit);
    assert_non_null(strstr(hit, "like we did with proactive chat back in 2006"));
    assert_int_equal(count_lines_starting(r.out, "   - "), 1);
    assert_int_equal(count_lines_starting(r.out, "   + "), 1);
    assert_true(strstr(r.out, "   - ") < hit);
    assert_true(strstr(r.out, "   + ") > hit);
    run_free(&r);

    /* Without -C there are no context lines. */
    r = run_cli("-i", main_index, "--color=never", "\"proactive chat\"", NULL);
    expect_status(&r, 0, "no context");
    assert_int_equal(count_lines_starting(r.out, "   - ") + count_lines_starting(r.out, "   + ") +
                         count_lines_starting(r.out, "   > "),
                     0);
    run_free(&r);

    /* JSON: the neighbours in the same call, by id. */
    r = run_cli("-i", main_index, "-C", "2", "--json", "\"proactive chat\"", NULL);
    expect_status(&r, 0, "-C 2 --json");
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, 2);
    long long id = jreq_int(lines.rows[0], "id");
    const jval *context = jreq(lines.rows[0], "context", J_ARRAY);
    assert_int_equal(context->count, 4);
    static const int offsets[] = {-2, -1, 1, 2};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(jreq_int(&context->items[i], "offset"), offsets[i]);
        assert_int_equal(jreq_int(&context->items[i], "id"), id + offsets[i]);
        assert_true(jreq(&context->items[i], "text", J_STRING)->len > 0);
    }
    json_lines_free(&lines);
    run_free(&r);
}

static void test_explain(void **state)
{
    (void)state;
    run_result r = run_cli("-i", main_index, "--explain", "--color=never", "-n", "2", "chat sales", NULL);
    expect_status(&r, 0, "--explain");
    assert_non_null(strstr(r.out, "= sum over 2 units; N = "));
    assert_non_null(strstr(r.out, "avg length = "));
    assert_non_null(strstr(r.out, "k1 = 1.2, b = 0.75"));
    assert_int_equal(count_lines_starting(r.out, "     chat "), 2);
    assert_int_equal(count_lines_starting(r.out, "     sales "), 2);
    assert_non_null(strstr(r.out, "idf "));
    assert_non_null(strstr(r.out, "tf part "));
    run_free(&r);

    static const char *const queries[] = {"chat sales", "\"proactive chat\"", "chat OR messaging",
                                          "NEAR(chat sales, 10)", "engag*"};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        r = run_cli("-i", main_index, "--json", "--explain", "-n", "50", "--k1", "1.5", "--b", "0.5", queries[q],
                    NULL);
        expect_status(&r, 0, queries[q]);
        json_lines lines = json_lines_parse(r.out, r.out_len);
        assert_true(lines.count >= 2);
        for (size_t i = 0; i + 1 < lines.count; i++) {
            const jval *row = lines.rows[i];
            double score = jreq(row, "score", J_NUMBER)->number;
            const jval *e = jreq(row, "explain", J_OBJECT);
            assert_true(jreq(e, "k1", J_NUMBER)->number == 1.5);
            assert_true(jreq(e, "b", J_NUMBER)->number == 0.5);
            double n = jreq(e, "n", J_NUMBER)->number;
            const jval *units = jreq(e, "units", J_ARRAY);
            assert_true(units->count >= 1);
            double sum = 0;
            for (size_t u = 0; u < units->count; u++) {
                const jval *unit = &units->items[u];
                jreq(unit, "unit", J_STRING);
                double df = jreq(unit, "df", J_NUMBER)->number;
                double idf = jreq(unit, "idf", J_NUMBER)->number;
                assert_true(df >= 1 && df <= n);
                assert_true(fabs(idf - log(1 + (n - df + 0.5) / (df + 0.5))) < 1e-9);
                assert_true(fabs(jreq(unit, "score", J_NUMBER)->number -
                                 idf * jreq(unit, "tf_part", J_NUMBER)->number) < 1e-9);
                sum += jreq(unit, "score", J_NUMBER)->number;
            }
            if (fabs(sum - score) > 1e-9)
                fail_msg("%s: hit %zu: units sum to %.17g, the score is %.17g", queries[q], i + 1, sum, score);
        }
        json_lines_free(&lines);
        run_free(&r);
    }
}

/*
 * Runs `lpsearch -i INDEX -n 1 COLOR_OPTION chat` with stdout on a new
 * pseudo-terminal.  Returns 0 when the system has none to give.
 */
static int run_on_tty(const char *color_option, run_result *r)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        return 0;
    const char *name = grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
    int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    if (slave < 0) {
        close(master);
        return 0;
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    const char *args[] = {"-i", main_index, "-n", "1", color_option, "chat", NULL};
    *r = run_argv(args, master, slave);
    return 1;
}

static void test_color(void **state)
{
    (void)state;
    run_result r = run_cli("-i", main_index, "-n", "3", "--color=always", "chat", NULL);
    expect_status(&r, 0, "--color=always");
    assert_true(has_escape(r.out, r.out_len));
    assert_non_null(strstr(r.out, "\033[1;31mchat\033[0m")); /* the match itself */
    run_free(&r);

    static const char *const plain[] = {"--color=never", "--color=auto", "--color", "--colour=never"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        r = run_cli("-i", main_index, "-n", "3", plain[i], "chat", NULL); /* stdout is a pipe */
        expect_status(&r, 0, plain[i]);
        if (has_escape(r.out, r.out_len))
            fail_msg("%s with stdout a pipe printed an escape sequence", plain[i]);
        run_free(&r);
    }
    r = run_cli("-i", main_index, "-n", "3", "chat", NULL); /* auto is the default */
    assert_false(has_escape(r.out, r.out_len));
    run_free(&r);

    assert_int_equal(setenv("NO_COLOR", "1", 1), 0);
    r = run_cli("-i", main_index, "-n", "3", "--color=auto", "chat", NULL);
    assert_false(has_escape(r.out, r.out_len));
    run_free(&r);
    r = run_cli("-i", main_index, "-n", "3", "--color=always", "chat", NULL); /* an explicit request wins */
    assert_true(has_escape(r.out, r.out_len));
    run_free(&r);
    unsetenv("NO_COLOR");

    /* JSON is never coloured. */
    r = run_cli("-i", main_index, "--json", "--color=always", "chat", NULL);
    assert_false(has_escape(r.out, r.out_len));
    run_free(&r);

    /* On a terminal, auto colours unless NO_COLOR is set or TERM is dumb. */
    if (!run_on_tty("--color=auto", &r)) {
        print_message("no pseudo-terminal: the terminal cases are skipped\n");
        return;
    }
    expect_status(&r, 0, "--color=auto on a terminal");
    assert_true(has_escape(r.out, r.out_len));
    run_free(&r);
    assert_true(run_on_tty("--color=never", &r));
    assert_false(has_escape(r.out, r.out_len));
    assert_non_null(strstr(r.out, "chat")); /* the output did arrive */
    run_free(&r);
    assert_int_equal(setenv("NO_COLOR", "1", 1), 0);
    assert_true(run_on_tty("--color=auto", &r));
    unsetenv("NO_COLOR");
    assert_false(has_escape(r.out, r.out_len));
    run_free(&r);
    const char *term = getenv("TERM");
    char *saved = term ? strdup(term) : NULL;
    assert_int_equal(setenv("TERM", "dumb", 1), 0);
    assert_true(run_on_tty("--color=auto", &r));
    if (saved)
        setenv("TERM", saved, 1);
    else
        unsetenv("TERM");
    free(saved);
    assert_false(has_escape(r.out, r.out_len));
    run_free(&r);
}

static void test_help(void **state)
{
    (void)state;
    static const char *const forms[][3] = {{"--help", NULL}, {"help", "search", NULL}, {"search", "--help", NULL},
                                           {"-h", NULL}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        run_result r = run_argv(forms[i], -1, -1);
        expect_status(&r, 0, forms[i][0]);
        assert_non_null(strstr(r.out, "usage: lpsearch"));
        assert_non_null(strstr(r.out, "NEAR("));
        assert_non_null(strstr(r.out, "role:"));
        assert_non_null(strstr(r.out, "--json"));
        assert_int_equal(r.err_len, 0);
        run_free(&r);
    }
}

/* ---- The other commands on an index --------------------------------------- */

static void test_stats_check_export(void **state)
{
    (void)state;
    run_result export_dir = run_cli("export", LPS_TEST_DATA_DIR, NULL);
    run_result export_index = run_cli("export", "-i", main_index, NULL);
    expect_status(&export_dir, 0, "export data/transcripts");
    expect_status(&export_index, 0, "export -i");
    assert_true(export_dir.out_len > 0);
    assert_int_equal(export_index.out_len, export_dir.out_len);
    assert_memory_equal(export_index.out, export_dir.out, export_dir.out_len);
    size_t sentences = count_lines_starting(export_dir.out, "{\"id\":");

    run_result r = run_cli("stats", "-i", main_index, NULL);
    expect_status(&r, 0, "stats");
    char expected[64];
    snprintf(expected, sizeof expected, "\nsentences   %zu\n", sentences);
    if (!strstr(r.out, expected))
        fail_msg("stats does not report %zu sentences:\n%s", sentences, r.out);
    assert_non_null(strstr(r.out, "\ncalls       5\n"));
    assert_non_null(strstr(r.out, "\nsegments    1\n"));
    run_free(&r);

    r = run_cli("stats", "-i", main_index, "--json", NULL);
    expect_status(&r, 0, "stats --json");
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, 1);
    json_lines_free(&lines);
    run_free(&r);

    r = run_cli("check", "-i", main_index, NULL);
    expect_status(&r, 0, "check");
    assert_true(strncmp(r.out, "ok: ", 4) == 0);
    run_free(&r);
    run_free(&export_dir);
    run_free(&export_index);
}

static void test_remove_reindex_optimize(void **state)
{
    (void)state;
    const char *dir = private_index("index-remove");
    run_result r = run_cli("remove", "-i", dir, "liveperson-2014-q1.txt", NULL);
    expect_status(&r, 0, "remove");
    assert_non_null(strstr(r.err, "removed 1 call"));
    run_free(&r);
    r = run_cli("-i", dir, "\"proactive chat\"", NULL);
    expect_status(&r, 1, "the removed call is not found");
    run_free(&r);

    /* A name not in the index: nothing changes, exit 2. */
    r = run_cli("remove", "-i", dir, "nosuchcall", NULL);
    expect_status(&r, 2, "remove nosuchcall");
    assert_non_null(strstr(r.err, "nosuchcall"));
    assert_non_null(strstr(r.err, "no such call"));
    run_free(&r);
    r = run_cli("remove", "-i", dir, "liveperson-2006-q1.txt", "nosuchcall", NULL);
    expect_status(&r, 2, "remove a call and nosuchcall");
    run_free(&r);
    r = run_cli("-i", dir, "--count", "year:2006", NULL);
    expect_status(&r, 0, "the 2006 calls were kept");
    run_free(&r);

    /* Indexing the directory again adds back just the removed call. */
    r = run_cli("index", "-i", dir, LPS_TEST_DATA_DIR, NULL);
    expect_status(&r, 0, "re-index");
    if (!strstr(r.err, "lpsearch: 1 added (") || !strstr(r.err, ", 4 already indexed, 0 failed"))
        fail_msg("re-index summary: %s", r.err);
    run_free(&r);
    r = run_cli("-i", dir, "--color=never", "\"proactive chat\"", NULL);
    expect_status(&r, 0, "found again");
    assert_non_null(strstr(r.out, "like we did with proactive chat back in 2006"));
    run_free(&r);

    run_result before = run_cli("-i", dir, "--json", "-n", "50", "chat OR sales", NULL);
    r = run_cli("optimize", "-i", dir, NULL);
    expect_status(&r, 0, "optimize");
    assert_non_null(strstr(r.err, "merged into 1"));
    run_free(&r);
    r = run_cli("check", "-i", dir, NULL);
    expect_status(&r, 0, "check after optimize");
    run_free(&r);
    /* The same hits, scores and texts (ids are renumbered by the merge). */
    run_result after = run_cli("-i", dir, "--json", "-n", "50", "chat OR sales", NULL);
    expect_status(&after, 0, "search after optimize");
    json_lines a = json_lines_parse(before.out, before.out_len), b = json_lines_parse(after.out, after.out_len);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i + 1 < a.count; i++) {
        assert_true(fabs(jreq(a.rows[i], "score", J_NUMBER)->number - jreq(b.rows[i], "score", J_NUMBER)->number) <
                    1e-9);
        assert_string_equal(jreq(a.rows[i], "text", J_STRING)->str, jreq(b.rows[i], "text", J_STRING)->str);
    }
    json_lines_free(&a);
    json_lines_free(&b);
    run_free(&before);
    run_free(&after);
}

static void test_locked_index(void **state)
{
    (void)state;
    const char *dir = private_index("index-locked");
    int fd = open(path_in(dir, "LOCK"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);

    run_result r = run_cli("index", "-i", dir, LPS_TEST_DATA_DIR, NULL);
    expect_status(&r, 2, "index while another process holds the lock");
    if (!strstr(r.err, "another process"))
        fail_msg("the lock error does not say another process holds it: %s", r.err);
    run_free(&r);
    r = run_cli("remove", "-i", dir, "liveperson-2014-q1.txt", NULL);
    expect_status(&r, 2, "remove while locked");
    assert_non_null(strstr(r.err, "another process"));
    run_free(&r);
    r = run_cli("optimize", "-i", dir, NULL);
    expect_status(&r, 2, "optimize while locked");
    run_free(&r);
    /* Readers take no lock. */
    r = run_cli("-i", dir, "\"proactive chat\"", NULL);
    expect_status(&r, 0, "search while locked");
    run_free(&r);

    close(fd); /* releases the lock */
    r = run_cli("index", "-i", dir, LPS_TEST_DATA_DIR, NULL);
    expect_status(&r, 0, "index once the lock is free");
    assert_non_null(strstr(r.err, "0 added"));
    run_free(&r);
}

static void test_corrupted_segment(void **state)
{
    (void)state;
    const char *dir = private_index("index-corrupt");
    char cmd[4600], segment[4400];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep '^seg-.*\\.lps$'", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char name[256];
    assert_non_null(fgets(name, sizeof name, ls));
    assert_int_equal(pclose(ls), 0);
    name[strcspn(name, "\n")] = '\0';
    snprintf(segment, sizeof segment, "%s", path_in(dir, name));

    FILE *f = fopen(segment, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 1024);
    assert_int_equal(fseek(f, size / 2, SEEK_SET), 0);
    int c = fgetc(f);
    assert_true(c != EOF);
    assert_int_equal(fseek(f, size / 2, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0x5A, f), c ^ 0x5A);
    assert_int_equal(fclose(f), 0);

    static const char *const sections[] = {"postings", "positions", "terms", "term-index", "docs", "turns",
                                           "speakers", "calls", "text", "text-index", "framing"};
    const char *const commands[][6] = {
        {"-i", dir, "chat", NULL},
        {"check", "-i", dir, NULL},
        {"stats", "-i", dir, NULL},
        {"export", "-i", dir, NULL},
    };
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        run_result r = run_argv(commands[k], -1, -1);
        if (r.status != 2)
            fail_msg("lpsearch %s on a damaged segment: exit status %d, expected 2", commands[k][0], r.status);
        if (!strstr(r.err, name))
            fail_msg("lpsearch %s: the error does not name %s: %s", commands[k][0], name, r.err);
        const char *section = strstr(r.err, "section ");
        int named = 0;
        for (size_t s = 0; section && s < sizeof sections / sizeof sections[0]; s++) {
            size_t len = strlen(sections[s]);
            named |= strncmp(section + 8, sections[s], len) == 0 && section[8 + len] == ':';
        }
        if (!named)
            fail_msg("lpsearch %s: the error does not name a section: %s", commands[k][0], r.err);
        run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parser_reads_numbers),
        cmocka_unit_test(test_phrase_first_hit),
        cmocka_unit_test(test_query_named_like_a_command),
        cmocka_unit_test(test_no_hits),
        cmocka_unit_test(test_malformed_queries),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_color),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_stats_check_export),
        cmocka_unit_test(test_remove_reindex_optimize),
        cmocka_unit_test(test_locked_index),
        cmocka_unit_test(test_corrupted_segment),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
