/*
 * End-to-end tests of `lpsearch export` and the command dispatcher: the
 * built binary (LPS_CLI_PATH) is run with stdin from /dev/null, its stdout
 * and stderr captured in files, and every output line checked with a strict
 * JSON parser written here (so the tests depend on nothing but libc).
 */
#include "test.h"
#include "test_json.h"

#include "lpsearch.h"

#include <dirent.h>
#include <sys/wait.h>

static void test_json_parser_is_strict(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}", "[]", "0", "-0.5e+3", "\"\"", "null", " true ", "[1,[2,{\"a\":false}]]",
        "\"\\u00e9\\ud83d\\udcc8\\/\"", "{\"a\":1,\"b\":\"x\"}",
    };
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "+1", ".5", "'x'", "\"a\tb\"", "\"\\x\"",
        "\"\\ud800\"", "\"\\udc00\"", "{\"a\" 1}", "{\"a\":1}{", "nul", "[1 2]", "\"\xff\"",
        "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "{\"a\":1,\"a\":2}", "{a:1}", "\"abc",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        jval *v = json_parse(good[i], strlen(good[i]));
        if (!v)
            fail_msg("valid JSON rejected: %s", good[i]);
        jval_free(v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jval *v = json_parse(bad[i], strlen(bad[i]));
        if (v)
            fail_msg("invalid JSON accepted: %s", bad[i]);
    }
    static const char escaped[] = "\"q\\\"b\\\\t\\tu\\u00e9\\ud83d\\udcc8\"";
    jval *v = json_parse(escaped, sizeof escaped - 1);
    assert_non_null(v);
    assert_string_equal(v->str, "q\"b\\t\tu\xC3\xA9\xF0\x9F\x93\x88");
    jval_free(v);
}

/* ---- Running the binary -------------------------------------------------- */

typedef struct run_result {
    int status;  /* exit status */
    char *out;   /* stdout, NUL-terminated */
    size_t out_len;
    char *err;   /* stderr, NUL-terminated */
    size_t err_len;
} run_result;

static const char *run_dir;

/* Runs "lpsearch ARGS" (ARGS already shell-quoted) with stdin from /dev/null. */
static run_result run_cli(const char *args)
{
    char cmd[16384], out_path[4200], err_path[4200];
    int n1 = snprintf(out_path, sizeof out_path, "%s/stdout", run_dir);
    int n2 = snprintf(err_path, sizeof err_path, "%s/stderr", run_dir);
    int n3 = snprintf(cmd, sizeof cmd, "'%s' %s </dev/null >'%s' 2>'%s'", LPS_CLI_PATH, args,
                      out_path, err_path);
    assert_true(n1 > 0 && (size_t)n1 < sizeof out_path);
    assert_true(n2 > 0 && (size_t)n2 < sizeof err_path);
    assert_true(n3 > 0 && (size_t)n3 < sizeof cmd);
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

/* A single-quoted shell word for path (paths under test never hold a quote). */
static const char *quote(const char *path)
{
    static char buf[4][4200];
    static int next;
    assert_null(strchr(path, '\''));
    char *q = buf[next++ % 4];
    int n = snprintf(q, sizeof buf[0], "'%s'", path);
    assert_true(n > 0 && (size_t)n < sizeof buf[0]);
    return q;
}

static const char *join(const char *dir, const char *name)
{
    static char buf[4][4200];
    static int next;
    char *p = buf[next++ % 4];
    int n = snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof buf[0]);
    return p;
}

static void write_text(const char *path, const char *text)
{
    test_write_file(path, text, strlen(text));
}

static const char *row_text(const jval *row)
{
    return jreq(row, "text", J_STRING)->str;
}

static const char *row_file(const jval *row)
{
    const jval *file = jreq_string_or_null(jreq(row, "call", J_OBJECT), "file");
    assert_int_equal(file->type, J_STRING);
    return file->str;
}

/* Every line has the documented shape; ids run 0..N-1; turns and sentence
 * ordinals advance the way the reader numbers them. */
static void check_export_shape(const json_lines *lines)
{
    const char *prev_file = NULL;
    long long prev_turn = -1, prev_sentence = -1;
    for (size_t i = 0; i < lines->count; i++) {
        const jval *row = lines->rows[i];
        const jval *id = jreq(row, "id", J_NUMBER);
        assert_true(id->integral);
        assert_int_equal(id->integer, (long long)i);

        const jval *call = jreq(row, "call", J_OBJECT);
        assert_int_equal(jreq_string_or_null(call, "file")->type, J_STRING);
        jreq_string_or_null(call, "title");
        jreq_string_or_null(call, "company");
        jreq_string_or_null(call, "ticker");
        jreq_string_or_null(call, "date");
        jreq_string_or_null(call, "layout");
        const jval *year = jreq_int_or_null(call, "year");
        const jval *quarter = jreq_int_or_null(call, "quarter");
        if (quarter->type == J_NUMBER)
            assert_true(quarter->integer >= 1 && quarter->integer <= 4);
        if (year->type == J_NUMBER)
            assert_true(year->integer >= 1900 && year->integer <= 2100);
        const jval *date = jget(call, "date");
        if (date->type == J_STRING) {
            assert_int_equal(date->len, 10); /* YYYY-MM-DD */
            assert_true(date->str[4] == '-' && date->str[7] == '-');
        }

        const jval *speaker = jreq(row, "speaker", J_OBJECT);
        jreq_string_or_null(speaker, "label");
        jreq_string_or_null(speaker, "name");
        jreq_string_or_null(speaker, "role");
        jreq_string_or_null(speaker, "firm");
        jreq(speaker, "resolved", J_BOOL);

        const jval *turn = jreq(row, "turn", J_NUMBER);
        const jval *sentence = jreq(row, "sentence", J_NUMBER);
        const jval *line = jreq(row, "line", J_NUMBER);
        assert_true(turn->integral && sentence->integral && line->integral);
        assert_true(turn->integer >= 0 && sentence->integer >= 0 && line->integer >= 1);

        const jval *text = jreq(row, "text", J_STRING);
        assert_true(text->len > 0);
        assert_int_equal(strlen(text->str), text->len); /* no NUL inside */
        assert_null(strchr(text->str, '\n'));
        assert_false(text->str[0] == ' ' || text->str[text->len - 1] == ' ');

        const char *file = jget(call, "file")->str;
        if (!prev_file || strcmp(prev_file, file) != 0) {
            prev_turn = -1;
            prev_sentence = -1;
        }
        if (turn->integer == prev_turn) {
            assert_int_equal(sentence->integer, prev_sentence + 1);
        } else {
            assert_true(turn->integer > prev_turn);
            assert_int_equal(sentence->integer, 0);
        }
        prev_file = file;
        prev_turn = turn->integer;
        prev_sentence = sentence->integer;
    }
}

/* Sorted names of the *.txt files directly in dir. */
static size_t list_txt(const char *dir, char names[][256], size_t max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        assert_true(n < max && len < 256);
        memcpy(names[n++], e->d_name, len + 1);
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char tmp[256];
            memcpy(tmp, names[j], 256);
            memcpy(names[j], names[j - 1], 256);
            memcpy(names[j - 1], tmp, 256);
        }
    return n;
}

/* ---- Exporting the bundled transcripts ----------------------------------- */

static void test_export_bundled(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-bundled");
    char args[4300];
    snprintf(args, sizeof args, "export %s", quote(LPS_TEST_DATA_DIR));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 0);
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_true(lines.count > 100);
    check_export_shape(&lines);

    /* Exported one by one, the files give the same sentences in the same
     * order: the directory export has exactly one line per sentence. */
    char names[64][256];
    size_t files = list_txt(LPS_TEST_DATA_DIR, names, 64);
    assert_true(files >= 2);
    size_t at = 0;
    for (size_t f = 0; f < files; f++) {
        snprintf(args, sizeof args, "export %s", quote(join(LPS_TEST_DATA_DIR, names[f])));
        run_result one = run_cli(args);
        assert_int_equal(one.status, 0);
        json_lines part = json_lines_parse(one.out, one.out_len);
        assert_true(part.count > 0);
        check_export_shape(&part);
        for (size_t i = 0; i < part.count; i++, at++) {
            assert_true(at < lines.count);
            assert_string_equal(row_file(lines.rows[at]), names[f]);
            assert_string_equal(row_text(lines.rows[at]), row_text(part.rows[i]));
            assert_int_equal(jreq(lines.rows[at], "turn", J_NUMBER)->integer,
                             jreq(part.rows[i], "turn", J_NUMBER)->integer);
        }
        json_lines_free(&part);
        run_free(&one);
    }
    assert_int_equal(at, lines.count);
    json_lines_free(&lines);

    /* With no PATH the bundled corpus is the default. */
    unsetenv("LPSEARCH_CORPUS");
    run_result dflt = run_cli("export");
    assert_int_equal(dflt.status, 0);
    assert_int_equal(dflt.out_len, r.out_len);
    assert_memory_equal(dflt.out, r.out, r.out_len);
    run_free(&dflt);
    run_free(&r);
}

static void test_export_is_stable(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-stable");
    char args[4300];
    snprintf(args, sizeof args, "export %s", quote(LPS_TEST_DATA_DIR));
    run_result a = run_cli(args);
    run_result b = run_cli(args);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_true(a.out_len > 0);
    assert_int_equal(a.out_len, b.out_len);
    assert_memory_equal(a.out, b.out, a.out_len);
    run_free(&a);
    run_free(&b);
}

/* The first token whose text is word, or NULL. */
static const jval *find_token(const jval *row, const char *word)
{
    const char *text = row_text(row);
    const jval *tokens = jreq(row, "tokens", J_ARRAY);
    size_t wl = strlen(word);
    for (size_t i = 0; i < tokens->count; i++) {
        const jval *tok = &tokens->items[i];
        long long start = jreq(tok, "start", J_NUMBER)->integer;
        long long end = jreq(tok, "end", J_NUMBER)->integer;
        if ((size_t)(end - start) == wl && memcmp(text + start, word, wl) == 0)
            return tok;
    }
    return NULL;
}

static void check_tokens(const json_lines *lines)
{
    for (size_t i = 0; i < lines->count; i++) {
        const jval *row = lines->rows[i];
        const jval *tokens = jreq(row, "tokens", J_ARRAY);
        size_t text_len = jreq(row, "text", J_STRING)->len;
        long long prev_end = 0;
        for (size_t k = 0; k < tokens->count; k++) {
            const jval *tok = &tokens->items[k];
            assert_int_equal(tok->type, J_OBJECT);
            const jval *term = jreq(tok, "term", J_STRING);
            long long start = jreq(tok, "start", J_NUMBER)->integer;
            long long end = jreq(tok, "end", J_NUMBER)->integer;
            assert_true(term->len > 0);
            assert_true(start >= prev_end && start < end && (size_t)end <= text_len);
            prev_end = end;
        }
    }
}

static void test_export_tokens(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-tokens");
    const char *path = join(LPS_TEST_DATA_DIR, "liveperson-2006-q1.txt");
    char args[4400];
    snprintf(args, sizeof args, "export %s", quote(path));
    run_result plain = run_cli(args);
    snprintf(args, sizeof args, "export --tokens %s", quote(path));
    run_result tok = run_cli(args);
    snprintf(args, sizeof args, "export --tokens --stem %s", quote(path));
    run_result stem = run_cli(args);
    assert_int_equal(plain.status, 0);
    assert_int_equal(tok.status, 0);
    assert_int_equal(stem.status, 0);

    json_lines lp = json_lines_parse(plain.out, plain.out_len);
    json_lines lt = json_lines_parse(tok.out, tok.out_len);
    json_lines ls = json_lines_parse(stem.out, stem.out_len);
    check_export_shape(&lt);
    check_tokens(&lt);
    check_tokens(&ls);
    assert_int_equal(lp.count, lt.count);
    assert_int_equal(lp.count, ls.count);
    size_t with_tokens = 0, stemmed = 0;
    for (size_t i = 0; i < lp.count; i++) {
        assert_null(jget(lp.rows[i], "tokens"));
        assert_string_equal(row_text(lp.rows[i]), row_text(lt.rows[i]));
        assert_string_equal(row_text(lp.rows[i]), row_text(ls.rows[i]));
        const jval *t1 = jreq(lt.rows[i], "tokens", J_ARRAY);
        const jval *t2 = jreq(ls.rows[i], "tokens", J_ARRAY);
        assert_int_equal(t1->count, t2->count); /* stemming changes terms, not positions */
        with_tokens += t1->count > 0;
        for (size_t k = 0; k < t1->count; k++) {
            assert_int_equal(jget(&t1->items[k], "start")->integer, jget(&t2->items[k], "start")->integer);
            assert_int_equal(jget(&t1->items[k], "end")->integer, jget(&t2->items[k], "end")->integer);
            stemmed += strcmp(jget(&t1->items[k], "term")->str, jget(&t2->items[k], "term")->str) != 0;
        }
        /* Without --tokens the line is the same object minus "tokens". */
        assert_int_equal(lp.rows[i]->count + 1, lt.rows[i]->count);
    }
    assert_true(with_tokens * 10 >= lp.count * 9);
    assert_true(stemmed > 0);

    /* "expectations" is stemmed, the unstemmed term keeps the word. */
    int checked = 0;
    for (size_t i = 0; i < lt.count && !checked; i++) {
        const jval *a = find_token(lt.rows[i], "expectations");
        const jval *b = find_token(ls.rows[i], "expectations");
        if (!a)
            continue;
        assert_non_null(b);
        assert_string_equal(jget(a, "term")->str, "expectations");
        assert_string_equal(jget(b, "term")->str, "expect");
        checked = 1;
    }
    assert_true(checked);
    json_lines_free(&lp);
    json_lines_free(&lt);
    json_lines_free(&ls);
    run_free(&plain);
    run_free(&tok);
    run_free(&stem);
}

/* ---- Options and commands ------------------------------------------------ */

static void test_stem_requires_tokens(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-stem");
    char args[4300];
    snprintf(args, sizeof args, "export --stem %s", quote(LPS_TEST_DATA_DIR));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "--tokens"));
    run_free(&r);
}

static void test_unknown_option(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-option");
    run_result r = run_cli("export --frobnicate");
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "--frobnicate"));
    run_free(&r);
}

static void test_help_and_version(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-help");
    run_result r = run_cli("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lpsearch"));
    assert_non_null(strstr(r.out, "export"));
    run_free(&r);

    r = run_cli("-h");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lpsearch"));
    run_free(&r);

    r = run_cli("help export");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lpsearch export"));
    assert_non_null(strstr(r.out, "--tokens"));
    assert_non_null(strstr(r.out, "--stem"));
    run_free(&r);

    r = run_cli("export --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lpsearch export"));
    run_free(&r);

    r = run_cli("--version");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "lpsearch " LPS_VERSION_STRING "\n");
    run_free(&r);

    r = run_cli("-V");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "lpsearch " LPS_VERSION_STRING "\n");
    run_free(&r);
}

static void test_bad_commands(void **state)
{
    (void)state;
    run_dir = test_scratch_dir("cli-badcmd");
    /* A word that is no command is a search: nothing matches it. */
    run_result r = run_cli("nosuchcommand");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "nosuchcommand"));
    run_free(&r);

    r = run_cli("--nosuchoption");
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "--nosuchoption"));
    run_free(&r);

    r = run_cli("help nosuchcommand");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "nosuchcommand"));
    run_free(&r);

    r = run_cli(""); /* no command at all: usage on stderr */
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "usage: lpsearch"));
    run_free(&r);
}

/* ---- Problems with input paths ------------------------------------------- */

static const char good_call[] =
    "Acme Q2 2020 Earnings Call\n"
    "\n"
    "Operator\n"
    "Welcome to the call. Please go ahead.\n"
    "Jane Roe - CEO\n"
    "Thank you. We had a strong quarter.\n";
#define GOOD_CALL_SENTENCES 4

static void test_missing_path_with_good_file(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("cli-missing");
    run_dir = dir;
    char good[4200], missing[4200], args[9000];
    snprintf(good, sizeof good, "%s", join(dir, "good.txt"));
    snprintf(missing, sizeof missing, "%s", join(dir, "gone/absent.txt"));
    write_text(good, good_call);

    snprintf(args, sizeof args, "export %s %s", quote(good), quote(missing));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, missing));
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, GOOD_CALL_SENTENCES);
    check_export_shape(&lines);
    assert_string_equal(row_text(lines.rows[3]), "We had a strong quarter.");
    json_lines_free(&lines);
    run_free(&r);

    /* The order of the paths does not matter. */
    snprintf(args, sizeof args, "export %s %s", quote(missing), quote(good));
    r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, missing));
    lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, GOOD_CALL_SENTENCES);
    json_lines_free(&lines);
    run_free(&r);
}

static void test_bad_file_is_skipped(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("cli-badfile");
    run_dir = dir;
    char corpus[4200], args[4400];
    snprintf(corpus, sizeof corpus, "%s", join(dir, "corpus"));
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", quote(corpus));
    assert_int_equal(system(cmd), 0);
    write_text(join(corpus, "a-empty.txt"), "");
    static const unsigned char binary[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           3, 0, 0x3e, 0, 1, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0};
    test_write_file(join(corpus, "b-binary.txt"), binary, sizeof binary);
    write_text(join(corpus, "c-good.txt"), good_call);

    snprintf(args, sizeof args, "export %s", quote(corpus));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "a-empty.txt"));
    assert_non_null(strstr(r.err, "b-binary.txt"));
    assert_null(strstr(r.err, "c-good.txt"));
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, GOOD_CALL_SENTENCES);
    check_export_shape(&lines);
    assert_string_equal(row_file(lines.rows[0]), "c-good.txt");
    json_lines_free(&lines);
    run_free(&r);
}

static void test_directory_reads_only_txt(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("cli-txtonly");
    run_dir = dir;
    char corpus[4200], args[4400], cmd[4400];
    snprintf(corpus, sizeof corpus, "%s", join(dir, "corpus"));
    snprintf(cmd, sizeof cmd, "mkdir -p %s/sub %s/.hidden", quote(corpus), quote(corpus));
    assert_int_equal(system(cmd), 0);
    /* Every file holds a readable transcript, so only the walk decides. */
    write_text(join(corpus, "README.md"), good_call);
    write_text(join(corpus, "notes.txt.bak"), good_call);
    write_text(join(corpus, "call.txt"), good_call);
    write_text(join(corpus, "LOUD.TXT"), good_call);
    write_text(join(corpus, ".secret.txt"), good_call);
    write_text(join(corpus, "sub/nested.txt"), good_call);
    write_text(join(corpus, ".hidden/inside.txt"), good_call);

    snprintf(args, sizeof args, "export %s", quote(corpus));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 0);
    json_lines lines = json_lines_parse(r.out, r.out_len);
    check_export_shape(&lines);
    static const char *const expected[] = {"LOUD.TXT", "call.txt", "nested.txt"}; /* byte order */
    assert_int_equal(lines.count, 3 * GOOD_CALL_SENTENCES);
    for (size_t i = 0; i < lines.count; i++)
        assert_string_equal(row_file(lines.rows[i]), expected[i / GOOD_CALL_SENTENCES]);
    json_lines_free(&lines);
    run_free(&r);

    /* A file named on the command line is read whatever its name. */
    snprintf(args, sizeof args, "export %s", quote(join(corpus, "README.md")));
    r = run_cli(args);
    assert_int_equal(r.status, 0);
    lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, GOOD_CALL_SENTENCES);
    assert_string_equal(row_file(lines.rows[0]), "README.md");
    json_lines_free(&lines);
    run_free(&r);

    /* A directory with no *.txt at all is an error. */
    char only_md[4200];
    snprintf(only_md, sizeof only_md, "%s", join(dir, "docs"));
    snprintf(cmd, sizeof cmd, "mkdir -p %s", quote(only_md));
    assert_int_equal(system(cmd), 0);
    write_text(join(only_md, "README.md"), good_call);
    snprintf(args, sizeof args, "export %s", quote(only_md));
    r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "no transcript files"));
    run_free(&r);

    /* An empty directory, and a FIFO named as a file: errors, never a hang. */
    char empty[4200];
    snprintf(empty, sizeof empty, "%s", join(dir, "empty"));
    snprintf(cmd, sizeof cmd, "mkdir -p %s && mkfifo %s", quote(empty), quote(join(dir, "fifo.txt")));
    assert_int_equal(system(cmd), 0);
    snprintf(args, sizeof args, "export %s %s", quote(empty), quote(join(dir, "fifo.txt")));
    r = run_cli(args);
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "not a regular file"));
    run_free(&r);

    /* LPSEARCH_CORPUS replaces the bundled corpus when no PATH is given. */
    assert_int_equal(setenv("LPSEARCH_CORPUS", corpus, 1), 0);
    r = run_cli("export");
    unsetenv("LPSEARCH_CORPUS");
    assert_int_equal(r.status, 0);
    lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, 3 * GOOD_CALL_SENTENCES);
    json_lines_free(&lines);
    run_free(&r);
}

/* ---- Escaping and repaired input ----------------------------------------- */

static void test_json_escaping(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("cli-escape");
    run_dir = dir;
    static const char call[] =
        "Operator\n"
        "We said \"hello\" to C:\\path\\file today. "
        "The \xE2\x80\x9C" "curly\xE2\x80\x9D caf\xC3\xA9 is open. Revenue\tgrew. "
        "Growth \xF0\x9F\x93\x88 was 10%.\n"
        "Jane Roe - CEO\n"
        "A \\\"quoted backslash\\\" stays.\n";
    static const char *const sentences[] = {
        "We said \"hello\" to C:\\path\\file today.",
        ("The \xE2\x80\x9C" "curly\xE2\x80\x9D caf\xC3\xA9 is open."),
        "Revenue\tgrew.",
        "Growth \xF0\x9F\x93\x88 was 10%.",
        "A \\\"quoted backslash\\\" stays.",
    };
    char path[4200], args[4400];
    snprintf(path, sizeof path, "%s", join(dir, "escape.txt"));
    write_text(path, call);
    snprintf(args, sizeof args, "export --tokens %s", quote(path));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 0);
    json_lines lines = json_lines_parse(r.out, r.out_len);
    check_export_shape(&lines);
    assert_int_equal(lines.count, 5);
    for (size_t i = 0; i < lines.count; i++)
        assert_string_equal(row_text(lines.rows[i]), sentences[i]);
    check_tokens(&lines);

    /* The escaped forms are in the raw output; UTF-8 passes through unescaped. */
    assert_non_null(strstr(r.out, "\"text\":\"We said \\\"hello\\\" to C:\\\\path\\\\file today.\""));
    assert_non_null(strstr(r.out, "\"text\":\"Revenue\\tgrew.\""));
    assert_non_null(strstr(r.out, "\"text\":\"A \\\\\\\"quoted backslash\\\\\\\" stays.\""));
    assert_non_null(strstr(r.out, "\xE2\x80\x9C" "curly\xE2\x80\x9D caf\xC3\xA9"));
    assert_null(strchr(r.out, '\t'));
    json_lines_free(&lines);
    run_free(&r);
}

static void test_repaired_input_warns(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("cli-repair");
    run_dir = dir;
    static const char call[] = "Operator\r\nBad \xFF byte here. Fine.\r\n";
    char path[4200], args[4400];
    snprintf(path, sizeof path, "%s", join(dir, "repair.txt"));
    write_text(path, call);
    snprintf(args, sizeof args, "export %s", quote(path));
    run_result r = run_cli(args);
    assert_int_equal(r.status, 0); /* repaired, not skipped */
    assert_non_null(strstr(r.err, path));
    assert_non_null(strstr(r.err, "line 2: warning:"));
    assert_non_null(strstr(r.err, "U+FFFD"));
    json_lines lines = json_lines_parse(r.out, r.out_len);
    assert_int_equal(lines.count, 2);
    assert_string_equal(row_text(lines.rows[0]), "Bad \xEF\xBF\xBD byte here.");
    assert_int_equal(jreq(lines.rows[1], "line", J_NUMBER)->integer, 2);
    json_lines_free(&lines);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parser_is_strict),
        cmocka_unit_test(test_export_bundled),
        cmocka_unit_test(test_export_is_stable),
        cmocka_unit_test(test_export_tokens),
        cmocka_unit_test(test_stem_requires_tokens),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_bad_commands),
        cmocka_unit_test(test_missing_path_with_good_file),
        cmocka_unit_test(test_bad_file_is_skipped),
        cmocka_unit_test(test_directory_reads_only_txt),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_repaired_input_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
