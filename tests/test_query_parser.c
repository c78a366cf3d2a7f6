/*
 * Query parser: every construct and its canonical form, FTS5 precedence,
 * the exclusion shorthand, spans, every malformed query with its offset and
 * message, the limits, allocation failure at every allocation, and a
 * fuzz-ish round trip over random queries.
 */
#include "test.h"

#include "alloc.h"
#include "buffer.h"
#include "lpsearch.h"
#include "query_parser.h"

/* ---- Helpers ------------------------------------------------------------- */

/* Parses q[0..len) from an exact-size heap copy, so that ASan catches any
 * read past len. */
static int parse_exact(const char *q, size_t len, query_node **out, lps_error *err)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, q, len);
    int rc = query_parse(len ? copy : NULL, len, out, err);
    free(copy);
    return rc;
}

static const char *format(const query_node *n)
{
    static char buf[16384];
    size_t need = query_format(n, buf, sizeof buf);
    assert_true(need < sizeof buf);
    assert_int_equal(strlen(buf), need);
    return buf;
}

/* Operator nodes on the longest path from n. */
static int depth_of(const query_node *n)
{
    int deepest = 0;
    for (size_t i = 0; i < n->child_count; i++) {
        int d = depth_of(n->children[i]);
        deepest = d > deepest ? d : deepest;
    }
    return deepest + (n->kind == QUERY_AND || n->kind == QUERY_OR || n->kind == QUERY_NOT ||
                      n->kind == QUERY_NEAR);
}

/* The documented shape of a parsed tree: child counts, no nested same-kind
 * AND/OR, children inside their parent's span, leaves with their text. */
static size_t check_tree(const query_node *n, const char *q, size_t len)
{
    assert_true(n->offset + n->length <= len);
    assert_true(n->length > 0);
    if (n->excluded)
        assert_int_equal(q[n->offset], '-');
    size_t leaves = 0;
    switch (n->kind) {
    case QUERY_WORD:
    case QUERY_PHRASE:
    case QUERY_FIELD:
        assert_int_equal(n->child_count, 0);
        assert_null(n->children);
        assert_non_null(n->text);
        assert_true(n->text_len > 0);
        assert_int_equal(memchr(n->text, '\0', n->text_len + 1), n->text + n->text_len);
        if (n->kind == QUERY_WORD && !n->excluded) {
            assert_int_equal(n->length, n->text_len + (size_t)n->prefix);
            assert_memory_equal(q + n->offset, n->text, n->text_len);
        }
        if (n->kind == QUERY_PHRASE && !n->excluded)
            assert_int_equal(q[n->offset], '"');
        if (n->kind == QUERY_FIELD)
            assert_true(n->field >= QUERY_FIELD_SPEAKER && n->field <= QUERY_FIELD_QUARTER);
        if (n->kind != QUERY_PHRASE)
            assert_int_equal(n->slop, -1);
        return 1;
    case QUERY_NEAR:
        assert_true(n->child_count >= 2);
        assert_true(n->distance >= 0 && n->distance <= QUERY_MAX_DISTANCE);
        for (size_t i = 0; i < n->child_count; i++) {
            int k = n->children[i]->kind;
            assert_true(k == QUERY_WORD || k == QUERY_PHRASE);
            assert_int_equal(n->children[i]->slop, -1);
        }
        break;
    case QUERY_AND:
    case QUERY_OR:
        assert_true(n->child_count >= 2);
        for (size_t i = 0; i < n->child_count; i++)
            assert_int_not_equal(n->children[i]->kind, n->kind);
        break;
    case QUERY_NOT:
        assert_int_equal(n->child_count, 2);
        break;
    default:
        fail_msg("bad node kind %d", n->kind);
    }
    assert_null(n->text);
    for (size_t i = 0; i < n->child_count; i++) {
        const query_node *c = n->children[i];
        assert_true(c->offset >= n->offset);
        assert_true(c->offset + c->length <= n->offset + n->length);
        leaves += check_tree(c, q, len);
    }
    return leaves;
}

static void check_whole_tree(const query_node *n, const char *q, size_t len)
{
    assert_false(n->excluded);
    assert_true(depth_of(n) <= QUERY_MAX_DEPTH);
    assert_true(check_tree(n, q, len) <= QUERY_MAX_NODES);
}

/* Parses q, which must succeed, and returns its tree after checking it. */
static query_node *parse_ok(const char *q)
{
    query_node *n = NULL;
    lps_error err;
    int rc = parse_exact(q, strlen(q), &n, &err);
    if (rc != LPS_OK)
        fail_msg("query [%s]: %s at %lld: %s", q, lps_strerror(rc), err.offset, err.message);
    assert_int_equal(err.code, LPS_OK);
    assert_non_null(n);
    check_whole_tree(n, q, strlen(q));
    return n;
}

static void expect(const char *q, const char *canonical)
{
    query_node *n = parse_ok(q);
    const char *got = format(n);
    if (strcmp(got, canonical) != 0)
        fail_msg("query [%s]\n  got      %s\n  expected %s", q, got, canonical);
    query_node_free(n);
}

static void expect_error_len(const char *q, size_t len, int code, long long offset,
                             const char *needle)
{
    query_node *n = (query_node *)1;
    lps_error err;
    int rc = parse_exact(q, len, &n, &err);
    if (rc != code || err.offset != offset || !strstr(err.message, needle))
        fail_msg("query [%.*s]: got %s at %lld \"%s\"; expected %s at %lld containing \"%s\"",
                 (int)len, q, lps_strerror(rc), err.offset, err.message, lps_strerror(code),
                 offset, needle);
    assert_int_equal(err.code, code);
    assert_null(n);
}

static void expect_error(const char *q, int code, long long offset, const char *needle)
{
    expect_error_len(q, strlen(q), code, offset, needle);
}

/* ---- Constructs ---------------------------------------------------------- */

static void test_words(void **state)
{
    (void)state;
    query_node *n = parse_ok("  chat*  ");
    assert_int_equal(n->kind, QUERY_WORD);
    assert_string_equal(n->text, "chat");
    assert_int_equal(n->text_len, 4);
    assert_true(n->prefix);
    assert_int_equal(n->offset, 2);
    assert_int_equal(n->length, 5);
    assert_false(n->excluded);
    query_node_free(n);

    expect("chat", "\"chat\"");
    expect("chat*", "\"chat\"*");
    expect("LivePerson's", "\"LivePerson's\"");
    expect("$6.9", "\"$6.9\"");
    expect("follow-up", "\"follow-up\"");
    expect("a,b", "\"a,b\"");
    expect("a~3", "\"a~3\"");
    expect("\t\n\v\f\rchat\r\n", "\"chat\"");
    /* Operators only in upper case. */
    expect("a and b", "(AND \"a\" \"and\" \"b\")");
    expect("a or b", "(AND \"a\" \"or\" \"b\")");
    expect("a Not b", "(AND \"a\" \"Not\" \"b\")");
    expect("near(a b)", "(AND \"near\" \"a\" \"b\")");
    expect("ANDROID ORACLE NOTE NEARBY", "(AND \"ANDROID\" \"ORACLE\" \"NOTE\" \"NEARBY\")");
    expect("AND*", "\"AND\"*");
    /* Colons that do not make a field. */
    expect("10:30", "\"10:30\"");
    expect("http://example.com/a", "\"http://example.com/a\"");
    expect("std::map", "\"std::map\"");
    expect("q1:x", "\"q1:x\"");
    expect(":x", "\":x\"");
    /* Bytes that are not UTF-8 are word characters. */
    expect("\xff\xfe caf\xc3\xa9 \x80", "(AND \"\xff\xfe\" \"caf\xc3\xa9\" \"\x80\")");
    expect("a\x01" "b", "\"a\x01" "b\"");
}

static void test_phrases(void **state)
{
    (void)state;
    query_node *n = parse_ok(" \"proactive chat\"");
    assert_int_equal(n->kind, QUERY_PHRASE);
    assert_string_equal(n->text, "proactive chat");
    assert_int_equal(n->slop, -1);
    assert_false(n->prefix);
    assert_int_equal(n->offset, 1);
    assert_int_equal(n->length, 16);
    query_node_free(n);

    n = parse_ok("\"proactive ch\"*~12");
    assert_int_equal(n->kind, QUERY_PHRASE);
    assert_string_equal(n->text, "proactive ch");
    assert_true(n->prefix);
    assert_int_equal(n->slop, 12);
    assert_int_equal(n->length, 18);
    query_node_free(n);

    n = parse_ok("\"say \"\"hi\"\"\"");
    assert_string_equal(n->text, "say \"hi\"");
    assert_int_equal(n->text_len, 8);
    assert_int_equal(n->length, 12);
    query_node_free(n);

    expect("\"proactive chat\"", "\"proactive chat\"");
    expect("\"a b\"~3", "\"a b\"~3");
    expect("\"a b\"~0", "\"a b\"~0");
    expect("\"a b\"~1000", "\"a b\"~1000");
    expect("\"proactive ch\"*", "\"proactive ch\"*");
    expect("\"a b\"*~2", "\"a b\"*~2");
    expect("\"say \"\"hi\"\"\"", "\"say \"\"hi\"\"\"");
    expect("\"\"\"\"", "\"\"\"\"");
    expect("\"a\"(b)", "(AND \"a\" \"b\")");
    expect("\"AND\" \"OR\" \"NOT\"", "(AND \"AND\" \"OR\" \"NOT\")");
    expect("\"color:red\"", "\"color:red\"");
    expect("a\"b c\"", "(AND \"a\" \"b c\")");
}

static void test_near(void **state)
{
    (void)state;
    query_node *n = parse_ok("NEAR(a \"b c\" d*, 5)");
    assert_int_equal(n->kind, QUERY_NEAR);
    assert_int_equal(n->distance, 5);
    assert_int_equal(n->child_count, 3);
    assert_int_equal(n->children[0]->kind, QUERY_WORD);
    assert_int_equal(n->children[1]->kind, QUERY_PHRASE);
    assert_string_equal(n->children[1]->text, "b c");
    assert_true(n->children[2]->prefix);
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 19);
    assert_int_equal(n->children[1]->offset, 7);
    query_node_free(n);

    expect("NEAR(a b)", "(NEAR/10 \"a\" \"b\")");
    expect("NEAR (a b,0)", "(NEAR/0 \"a\" \"b\")");
    expect("NEAR( a  b ,  1000 )", "(NEAR/1000 \"a\" \"b\")");
    expect("NEAR(chat* \"proactive ch\"*, 3)", "(NEAR/3 \"chat\"* \"proactive ch\"*)");
    expect("NEAR(\"a,b\" c)", "(NEAR/10 \"a,b\" \"c\")");
    expect("NEAR(a b) c", "(AND (NEAR/10 \"a\" \"b\") \"c\")");
    expect("NEAR(a b) OR NEAR(c d, 2)", "(OR (NEAR/10 \"a\" \"b\") (NEAR/2 \"c\" \"d\"))");
    expect("a,b NEAR(a b)", "(AND \"a,b\" (NEAR/10 \"a\" \"b\"))");
}

static void test_fields(void **state)
{
    (void)state;
    query_node *n = parse_ok("a speaker:\"tim bixby\"");
    assert_int_equal(n->kind, QUERY_AND);
    const query_node *f = n->children[1];
    assert_int_equal(f->kind, QUERY_FIELD);
    assert_int_equal(f->field, QUERY_FIELD_SPEAKER);
    assert_string_equal(f->text, "tim bixby");
    assert_int_equal(f->offset, 2);
    assert_int_equal(f->length, 19);
    query_node_free(n);

    static const struct {
        const char *q;
        int field;
        const char *text;
    } cases[] = {
        {"speaker:Bixby", QUERY_FIELD_SPEAKER, "Bixby"},
        {"SPEAKER:Bixby", QUERY_FIELD_SPEAKER, "Bixby"},
        {"role:CEO", QUERY_FIELD_ROLE, "CEO"},
        {"Role:\"President & CFO\"", QUERY_FIELD_ROLE, "President & CFO"},
        {"firm:\"Stephens Inc\"", QUERY_FIELD_FIRM, "Stephens Inc"},
        {"company:LPSN", QUERY_FIELD_COMPANY, "LPSN"},
        {"year:2014", QUERY_FIELD_YEAR, "2014"},
        {"YEAR:1900", QUERY_FIELD_YEAR, "1900"},
        {"year:2100", QUERY_FIELD_YEAR, "2100"},
        {"year:2014..2016", QUERY_FIELD_YEAR, "2014..2016"},
        {"year:2014..2014", QUERY_FIELD_YEAR, "2014..2014"},
        {"year:\"2014\"", QUERY_FIELD_YEAR, "2014"},
        {"quarter:1", QUERY_FIELD_QUARTER, "1"},
        {"quarter:4", QUERY_FIELD_QUARTER, "4"},
        {"quarter:Q1", QUERY_FIELD_QUARTER, "Q1"},
        {"Quarter:q4", QUERY_FIELD_QUARTER, "q4"},
        {"speaker:tim*", QUERY_FIELD_SPEAKER, "tim*"},
        {"speaker:a:b", QUERY_FIELD_SPEAKER, "a:b"},
        {"speaker:\"say \"\"hi\"\"\"", QUERY_FIELD_SPEAKER, "say \"hi\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n = parse_ok(cases[i].q);
        if (n->kind != QUERY_FIELD || n->field != cases[i].field ||
            strcmp(n->text, cases[i].text) != 0)
            fail_msg("query [%s]: kind %d field %d text [%s]", cases[i].q, n->kind, n->field,
                     n->text ? n->text : "(null)");
        assert_int_equal(n->offset, 0);
        assert_int_equal(n->length, strlen(cases[i].q));
        query_node_free(n);
    }
    expect("speaker:\"tim bixby\"", "speaker:\"tim bixby\"");
    expect("COMPANY:lpsn year:2014..2016 quarter:Q1",
           "(AND company:\"lpsn\" year:\"2014..2016\" quarter:\"Q1\")");
    expect("chat speaker:bixby(a)", "(AND \"chat\" speaker:\"bixby\" \"a\")");
    expect("speaker:\"x\"\"y\"", "speaker:\"x\"\"y\"");
}

/* ---- Precedence, exclusion, shape ---------------------------------------- */

static void test_precedence(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a b", "(AND \"a\" \"b\")"},
        {"a AND b", "(AND \"a\" \"b\")"},
        {"a OR b", "(OR \"a\" \"b\")"},
        {"a NOT b", "(NOT \"a\" \"b\")"},
        /* OR is loosest. */
        {"a OR b c", "(OR \"a\" (AND \"b\" \"c\"))"},
        {"a OR b AND c", "(OR \"a\" (AND \"b\" \"c\"))"},
        {"a b OR c d", "(OR (AND \"a\" \"b\") (AND \"c\" \"d\"))"},
        {"a OR b NOT c", "(OR \"a\" (NOT \"b\" \"c\"))"},
        /* FTS5: implicit AND binds tighter than NOT, explicit AND looser. */
        {"a b NOT c", "(NOT (AND \"a\" \"b\") \"c\")"},
        {"a NOT b c", "(NOT \"a\" (AND \"b\" \"c\"))"},
        {"a NOT b AND c", "(AND (NOT \"a\" \"b\") \"c\")"},
        {"a AND b NOT c", "(AND \"a\" (NOT \"b\" \"c\"))"},
        {"a NOT b NOT c", "(NOT (NOT \"a\" \"b\") \"c\")"},
        {"a b NOT c d OR e", "(OR (NOT (AND \"a\" \"b\") (AND \"c\" \"d\")) \"e\")"},
        /* Parentheses override. */
        {"(a OR b) c", "(AND (OR \"a\" \"b\") \"c\")"},
        {"a (b OR c)", "(AND \"a\" (OR \"b\" \"c\"))"},
        {"a NOT (b OR c)", "(NOT \"a\" (OR \"b\" \"c\"))"},
        {"(a NOT b) c", "(AND (NOT \"a\" \"b\") \"c\")"},
        {"a NOT (b NOT c)", "(NOT \"a\" (NOT \"b\" \"c\"))"},
        {"(a OR b) NOT (c d)", "(NOT (OR \"a\" \"b\") (AND \"c\" \"d\"))"},
        /* Collapsing and flattening. */
        {"(a)", "\"a\""},
        {"((((a))))", "\"a\""},
        {"a AND b AND c", "(AND \"a\" \"b\" \"c\")"},
        {"a b AND c d", "(AND \"a\" \"b\" \"c\" \"d\")"},
        {"(a b) (c d)", "(AND \"a\" \"b\" \"c\" \"d\")"},
        {"a (b (c (d)))", "(AND \"a\" \"b\" \"c\" \"d\")"},
        {"a OR (b OR c) OR (d)", "(OR \"a\" \"b\" \"c\" \"d\")"},
        {"(a OR b) OR c", "(OR \"a\" \"b\" \"c\")"},
        {"((a OR b)) (c)", "(AND (OR \"a\" \"b\") \"c\")"},
        {"a OR (b c) OR d", "(OR \"a\" (AND \"b\" \"c\") \"d\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i][0], cases[i][1]);
}

static void test_exclusion(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a -b", "(NOT \"a\" \"b\")"},
        {"a b -c", "(NOT (AND \"a\" \"b\") \"c\")"},
        {"a -b -c", "(NOT \"a\" (OR \"b\" \"c\"))"},
        {"-a b", "(NOT \"b\" \"a\")"},
        {"a -b c", "(NOT (AND \"a\" \"c\") \"b\")"},
        {"a -b c -d e", "(NOT (AND \"a\" \"c\" \"e\") (OR \"b\" \"d\"))"},
        {"a AND -b", "(NOT \"a\" \"b\")"},
        {"a AND -b -c", "(NOT \"a\" (OR \"b\" \"c\"))"},
        {"-b AND a", "(NOT \"a\" \"b\")"},
        {"a -b AND c", "(AND (NOT \"a\" \"b\") \"c\")"},
        {"a -b AND -c", "(NOT (NOT \"a\" \"b\") \"c\")"},
        {"a -(b OR c) -d", "(NOT \"a\" (OR \"b\" \"c\" \"d\"))"},
        {"a -(b c)", "(NOT \"a\" (AND \"b\" \"c\"))"},
        {"a -\"b c\"", "(NOT \"a\" \"b c\")"},
        {"a -\"b c\"*", "(NOT \"a\" \"b c\"*)"},
        {"a -b*", "(NOT \"a\" \"b\"*)"},
        {"chat -speaker:operator", "(NOT \"chat\" speaker:\"operator\")"},
        {"a -NEAR(b c)", "(NOT \"a\" (NEAR/10 \"b\" \"c\"))"},
        {"a NOT b -c", "(NOT \"a\" (NOT \"b\" \"c\"))"},
        {"x -a NOT b", "(NOT (NOT \"x\" \"a\") \"b\")"},
        {"a b -c NOT d", "(NOT (NOT (AND \"a\" \"b\") \"c\") \"d\")"},
        {"a b -c OR d", "(OR (NOT (AND \"a\" \"b\") \"c\") \"d\")"},
        {"(a -b) c", "(AND (NOT \"a\" \"b\") \"c\")"},
        {"x -(a -b)", "(NOT \"x\" (NOT \"a\" \"b\"))"},
        {"a-b", "\"a-b\""},
        {"follow-up -x", "(NOT \"follow-up\" \"x\")"},
        {"a -\xff", "(NOT \"a\" \"\xff\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i][0], cases[i][1]);

    /* The excluded flag and spans of the shorthand. */
    query_node *n = parse_ok("a b -c");
    assert_int_equal(n->kind, QUERY_NOT);
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 6);
    assert_int_equal(n->children[0]->offset, 0);
    assert_int_equal(n->children[0]->length, 3);
    assert_false(n->children[0]->excluded);
    assert_true(n->children[1]->excluded);
    assert_int_equal(n->children[1]->offset, 4);
    assert_int_equal(n->children[1]->length, 2);
    assert_string_equal(n->children[1]->text, "c");
    query_node_free(n);

    n = parse_ok("x -(a)");
    assert_true(n->children[1]->excluded);
    assert_int_equal(n->children[1]->kind, QUERY_WORD);
    assert_int_equal(n->children[1]->offset, 2);
    assert_int_equal(n->children[1]->length, 4);
    query_node_free(n);

    n = parse_ok("-a b -c");
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 7);
    assert_int_equal(n->children[1]->kind, QUERY_OR);
    assert_int_equal(n->children[1]->offset, 0);
    assert_int_equal(n->children[1]->length, 7);
    assert_true(n->children[1]->children[0]->excluded);
    assert_true(n->children[1]->children[1]->excluded);
    query_node_free(n);

    /* a NOT b is not an exclusion written with '-'. */
    n = parse_ok("a NOT b");
    assert_false(n->children[1]->excluded);
    query_node_free(n);
}

static void test_spans(void **state)
{
    (void)state;
    query_node *n = parse_ok("(a b) NOT c");
    assert_int_equal(n->kind, QUERY_NOT);
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 11);
    assert_int_equal(n->children[0]->offset, 0); /* the parentheses */
    assert_int_equal(n->children[0]->length, 5);
    assert_int_equal(n->children[1]->offset, 10);
    query_node_free(n);

    n = parse_ok("x (a -b)  y");
    assert_int_equal(n->kind, QUERY_AND);
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 11);
    assert_int_equal(n->children[1]->kind, QUERY_NOT);
    assert_int_equal(n->children[1]->offset, 2);
    assert_int_equal(n->children[1]->length, 6);
    query_node_free(n);

    n = parse_ok("  a \"b c\"~2 OR speaker:\"x y\" ");
    assert_int_equal(n->kind, QUERY_OR);
    assert_int_equal(n->offset, 2);
    assert_int_equal(n->length, 26);
    const query_node *and = n->children[0];
    assert_int_equal(and->offset, 2);
    assert_int_equal(and->length, 9);
    assert_int_equal(and->children[1]->offset, 4);
    assert_int_equal(and->children[1]->length, 7);
    assert_int_equal(n->children[1]->offset, 15);
    assert_int_equal(n->children[1]->length, 13);
    query_node_free(n);

    n = parse_ok("a NOT b NOT c");
    assert_int_equal(n->length, 13);
    assert_int_equal(n->children[0]->offset, 0);
    assert_int_equal(n->children[0]->length, 7);
    query_node_free(n);

    n = parse_ok("((a OR b))");
    assert_int_equal(n->offset, 0);
    assert_int_equal(n->length, 10);
    query_node_free(n);
}

/* ---- Errors -------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        long long offset;
        const char *needle;
    } cases[] = {
        {"", 0, "empty query"},
        {"   \t\n", 0, "empty query"},
        /* Quotes. */
        {"\"chat", 0, "unbalanced quote"},
        {"a \"b c", 2, "unbalanced quote"},
        {"a \"b\"\" c", 2, "unbalanced quote"},
        {"( \"abc", 2, "unbalanced quote"},
        {"\"\"", 0, "empty phrase"},
        {"a \"  \" b", 2, "empty phrase"},
        {"\"a b\"c", 5, "unexpected 'c' right after the closing quote"},
        {"\"a\"-b", 3, "unexpected '-'"},
        {"\"a\"~3*", 5, "unexpected '*'"},
        {"\"a b\"~3x", 7, "unexpected 'x'"},
        {"\"a b\"\x01", 5, "byte 0x01"},
        /* Parentheses. */
        {"(a b", 0, "unbalanced parentheses: the '(' opened here is never closed"},
        {"a (b (c)", 2, "never closed"},
        {"(", 0, "never closed"},
        {"a b)", 3, "this ')' has no matching '('"},
        {"(a))", 3, "no matching '('"},
        {")", 0, "no matching '('"},
        {") a", 0, "no matching '('"},
        {"()", 0, "empty parentheses"},
        {"a ( ) b", 2, "empty parentheses"},
        /* Dangling operators, reported at the operator that lacks an operand. */
        {"chat OR", 5, "OR needs a search term after it, found the end of the query"},
        {"AND chat", 0, "AND needs a search term before it"},
        {"OR chat", 0, "OR needs a search term before it"},
        {"a AND OR b", 2, "AND needs a search term after it, found OR"},
        {"a AND AND b", 2, "found AND"},
        {"a OR OR b", 2, "OR needs a search term after it, found OR"},
        {"a OR NOT b", 2, "found NOT"},
        {"NOT chat", 0, "NOT needs a search term before it"},
        {"NOT", 0, "NOT needs a search term before it"},
        {"a NOT", 2, "NOT needs a search term after it"},
        {"a NOT NOT b", 2, "found NOT"},
        {"a AND", 2, "found the end of the query"},
        {"(a AND)", 3, "found ')'"},
        {"(OR a)", 1, "OR needs a search term before it"},
        {"a (NOT b)", 3, "NOT needs a search term before it"},
        /* NEAR. */
        {"NEAR(a b", 4, "NEAR( opened here is never closed"},
        {"NEAR(a b, 5", 4, "never closed"},
        {"NEAR(a b,", 4, "never closed"},
        {"NEAR(", 4, "never closed"},
        {"NEAR(a b,)", 9, "must be a number"},
        {"NEAR(a b, x)", 10, "must be a number"},
        {"NEAR(a b, 5*)", 10, "must be a number"},
        {"NEAR(a b, -1)", 10, "must be a number"},
        {"NEAR(a b, 1001)", 10, "out of range 0..1000"},
        {"NEAR(a b, 99999999999999999999999)", 10, "out of range"},
        {"NEAR(a b, 5 c)", 12, "expected ')' after NEAR's distance"},
        {"NEAR(a b, 5, 6)", 11, "expected ')'"},
        {"NEAR(a OR b)", 7, "only words and quoted phrases, found OR"},
        {"NEAR(a (b c))", 7, "found '('"},
        {"NEAR(a -b)", 7, "found '-'"},
        {"NEAR(a speaker:x)", 7, "found a field filter"},
        {"NEAR(a NEAR(b c))", 7, "found NEAR"},
        {"NEAR(a \"b c\"~2)", 12, "takes no '~N'"},
        {"NEAR(a)", 0, "two or more"},
        {"NEAR()", 0, "two or more"},
        {"NEAR(, 5)", 0, "two or more"},
        {"NEAR a b", 0, "NEAR must be followed by '('"},
        {"a NEAR", 2, "must be followed by '('"},
        /* ~N. */
        {"\"a b\"~", 5, "'~' must be followed by a distance"},
        {"\"a b\"~x", 5, "'~' must be followed"},
        {"\"a b\"~1001", 6, "out of range"},
        {"\"a b\"~99999999999999999999", 6, "out of range"},
        {"\"a b\" ~3", 6, "must follow its closing quote"},
        {"~", 0, "must follow its closing quote"},
        /* '*'. */
        {"*", 0, "'*' must follow a word"},
        {"a *", 2, "'*' must follow a word"},
        {"*chat", 0, "'*' must follow a word"},
        {"ch*at", 2, "can only end a word"},
        {"chat**", 4, "can only end a word"},
        {"-*", 1, "'*' must follow a word"},
        /* Fields. */
        {"speaker:", 0, "speaker: needs a value"},
        {"speaker: tim", 0, "needs a value"},
        {"a speaker:)", 2, "needs a value"},
        {"speaker:(tim)", 0, "needs a value"},
        {"speaker:\"\"", 0, "needs a value inside the quotes"},
        {"speaker:\" \"", 0, "needs a value inside the quotes"},
        {"speaker:\"tim", 8, "unbalanced quote"},
        {"speaker:\"tim\"*", 13, "unexpected '*'"},
        {"color:red", 0, "unknown field 'color'"},
        {"a Color:red", 2, "unknown field 'Color'"},
        {"note:", 0, "unknown field 'note'"},
        {"year:1899", 5, "year 1899 is out of range 1900..2100"},
        {"year:2101", 5, "out of range"},
        {"year:99999999999999", 5, "out of range"},
        {"year:abc", 5, "year takes"},
        {"year:2014..", 11, "year takes"},
        {"year:..2014", 5, "year takes"},
        {"year:2014.5", 9, "year takes"},
        {"year:2014..2016x", 15, "year takes"},
        {"year:2014..2200", 11, "year 2200 is out of range"},
        {"year:2016..2014", 5, "runs backwards: write 2014..2016"},
        {"year:\"2014\"\"\"", 10, "year takes"},
        {"year:\" 2014\"", 6, "year takes"},
        {"quarter:5", 8, "quarter takes 1, 2, 3 or 4"},
        {"quarter:0", 8, "quarter takes"},
        {"quarter:Q0", 8, "quarter takes"},
        {"quarter:q12", 8, "quarter takes"},
        {"quarter:first", 8, "quarter takes"},
        {"quarter:\"Q5\"", 9, "quarter takes"},
        /* Only exclusions. */
        {"-chat", 0, "nothing to search for"},
        {"-a -b", 0, "nothing to search for"},
        {"(-a)", 1, "nothing to search for"},
        {"a OR -b", 5, "nothing to search for"},
        {"x (-a) y", 3, "nothing to search for"},
        {"-a AND -b", 0, "nothing to search for"},
        {"-a NOT b", 0, "nothing to search for on the left of NOT"},
        {"a NOT -b", 6, "'-' cannot follow NOT"},
        /* '-'. */
        {"a - b", 2, "a lone '-' excludes nothing"},
        {"a -", 2, "lone '-'"},
        {"(a -)", 3, "lone '-'"},
        {"--a", 0, "'-' must be directly followed by the word, phrase or group to exclude, "
                   "found '-'"},
        {"a -OR b", 2, "found OR"},
        {"a -NOT b", 2, "found NOT"},
        {"a -)", 2, "lone '-'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].q, LPS_ESYNTAX, cases[i].offset, cases[i].needle);

    /* The unknown-field message lists the known fields. */
    expect_error("color:red", LPS_ESYNTAX, 0,
                 "the fields are speaker, role, firm, company, year, quarter");
    /* NUL bytes are rejected where they are, whatever follows. */
    expect_error_len("a\0b", 3, LPS_ESYNTAX, 1, "NUL byte");
    expect_error_len("\"a\0", 3, LPS_ESYNTAX, 2, "NUL byte");
    expect_error_len("\0", 1, LPS_ESYNTAX, 0, "NUL byte");
}

static void test_arguments(void **state)
{
    (void)state;
    query_node *n = (query_node *)1;
    lps_error err;
    assert_int_equal(query_parse(NULL, 1, &n, &err), LPS_EARG);
    assert_null(n);
    assert_int_equal(err.code, LPS_EARG);
    assert_int_equal(query_parse("a", 1, NULL, &err), LPS_EARG);
    assert_int_equal(query_parse(NULL, 0, &n, &err), LPS_ESYNTAX);
    assert_int_equal(err.offset, 0);
    /* err may be NULL. */
    assert_int_equal(query_parse("(", 1, &n, NULL), LPS_ESYNTAX);
    assert_null(n);
    assert_int_equal(query_parse("a", 1, &n, NULL), LPS_OK);
    query_node_free(n);
    /* err is cleared on success. */
    err.code = LPS_EIO;
    err.offset = 7;
    assert_int_equal(query_parse("a", 1, &n, &err), LPS_OK);
    assert_int_equal(err.code, LPS_OK);
    assert_int_equal(err.offset, -1);
    query_node_free(n);
    query_node_free(NULL);
}

/* The parser reads text[0..len) only: what follows len does not count. */
static void test_length_bounds(void **state)
{
    (void)state;
    query_node *n = NULL;
    lps_error err;
    assert_int_equal(parse_exact("chat OR", 4, &n, &err), LPS_OK);
    assert_string_equal(format(n), "\"chat\"");
    query_node_free(n);
    assert_int_equal(parse_exact("chat* more", 5, &n, &err), LPS_OK);
    assert_string_equal(format(n), "\"chat\"*");
    query_node_free(n);
    assert_int_equal(parse_exact("\"a b\"~12", 7, &n, &err), LPS_OK);
    assert_string_equal(format(n), "\"a b\"~1");
    query_node_free(n);
    expect_error_len("\"abc\"", 4, LPS_ESYNTAX, 0, "unbalanced quote");
    expect_error_len("\"a b\"~3", 6, LPS_ESYNTAX, 5, "'~' must be followed");
    expect_error_len("speaker:x", 8, LPS_ESYNTAX, 0, "needs a value");
    expect_error_len("NEAR(a b)", 8, LPS_ESYNTAX, 4, "never closed");
    expect_error_len("a -b", 3, LPS_ESYNTAX, 2, "lone '-'");
    /* The '/' past len does not make http: a plain word. */
    expect_error_len("http://x", 5, LPS_ESYNTAX, 0, "unknown field 'http'");
}

/* ---- Limits -------------------------------------------------------------- */

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t ulen = strlen(unit), tlen = strlen(tail);
    char *s = malloc(ulen * times + tlen + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * ulen, unit, ulen);
    memcpy(s + ulen * times, tail, tlen + 1);
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    /* Bytes. */
    char *q = repeat("a", QUERY_MAX_BYTES, "");
    query_node *n = parse_ok(q);
    assert_int_equal(n->text_len, QUERY_MAX_BYTES);
    query_node_free(n);
    free(q);
    q = repeat("a", QUERY_MAX_BYTES + 1, "");
    expect_error(q, LPS_ELIMIT, QUERY_MAX_BYTES, "QUERY_MAX_BYTES");
    free(q);
    q = repeat("(", 100000, "");
    expect_error(q, LPS_ELIMIT, QUERY_MAX_BYTES, "4096");
    free(q);

    /* Parentheses: 32 deep parse, the 33rd '(' is refused. */
    char *open = repeat("(", QUERY_MAX_DEPTH, "a");
    char *closed = repeat(")", QUERY_MAX_DEPTH, "");
    q = malloc(strlen(open) + strlen(closed) + 1);
    assert_non_null(q);
    strcpy(q, open);
    strcat(q, closed);
    expect(q, "\"a\"");
    free(q);
    free(open);
    free(closed);
    q = repeat("(", QUERY_MAX_DEPTH + 1, "a");
    expect_error(q, LPS_ELIMIT, QUERY_MAX_DEPTH, "QUERY_MAX_DEPTH");
    free(q);
    q = repeat("(", 4000, "");
    expect_error(q, LPS_ELIMIT, QUERY_MAX_DEPTH, "parentheses nest more than 32 deep");
    free(q);
    q = repeat("-(", 2000, "a");
    expect_error(q, LPS_ELIMIT, 2 * QUERY_MAX_DEPTH + 1, "QUERY_MAX_DEPTH");
    free(q);

    /* Operators: a NOT chain of 32 parses, the 33rd NOT is refused where it
     * stands. */
    q = repeat("a NOT ", QUERY_MAX_DEPTH, "b");
    n = parse_ok(q);
    assert_int_equal(depth_of(n), QUERY_MAX_DEPTH);
    query_node_free(n);
    free(q);
    q = repeat("a NOT ", QUERY_MAX_DEPTH + 1, "b");
    expect_error(q, LPS_ELIMIT, 6 * QUERY_MAX_DEPTH + 2, "QUERY_MAX_DEPTH");
    free(q);
    /* Alternating groups nest two operators per unit a OR (b ( ... )). */
    q = repeat("a OR (b (", QUERY_MAX_DEPTH / 4, "");
    char *tail = repeat("))", QUERY_MAX_DEPTH / 4, "");
    char *full = malloc(strlen(q) + strlen(tail) + 16);
    assert_non_null(full);
    sprintf(full, "%sc%s", q, tail);
    n = parse_ok(full);
    assert_int_equal(depth_of(n), QUERY_MAX_DEPTH / 2);
    query_node_free(n);
    free(full);
    free(tail);
    free(q);
    q = repeat("a OR (b (", QUERY_MAX_DEPTH / 2, "");
    tail = repeat("))", QUERY_MAX_DEPTH / 2, "");
    full = malloc(strlen(q) + strlen(tail) + 16);
    assert_non_null(full);
    sprintf(full, "%sc%s", q, tail);
    n = parse_ok(full);
    assert_int_equal(depth_of(n), QUERY_MAX_DEPTH);
    query_node_free(n);
    /* One more operator at the bottom makes the whole tree too deep. */
    sprintf(full, "%sc OR d%s", q, tail);
    expect_error(full, LPS_ELIMIT, 0, "QUERY_MAX_DEPTH");
    free(full);
    free(tail);
    free(q);
    /* A long list of exclusions costs one level. */
    q = repeat("-x ", 200, "a");
    n = parse_ok(q);
    assert_int_equal(depth_of(n), 2);
    assert_int_equal(n->children[1]->child_count, 200);
    query_node_free(n);
    free(q);

    /* Leaves: 256 words, phrases and filters; the 257th is refused. */
    q = repeat("w ", QUERY_MAX_NODES, "");
    n = parse_ok(q);
    assert_int_equal(n->child_count, QUERY_MAX_NODES);
    query_node_free(n);
    free(q);
    q = repeat("w ", QUERY_MAX_NODES, "x");
    expect_error(q, LPS_ELIMIT, 2 * QUERY_MAX_NODES, "QUERY_MAX_NODES");
    free(q);
    q = repeat("\"p\" speaker:s ", QUERY_MAX_NODES / 2, "x");
    expect_error(q, LPS_ELIMIT, 14 * (QUERY_MAX_NODES / 2), "more than 256");
    free(q);
    char *inner = repeat("w ", QUERY_MAX_NODES + 1, ")");
    q = malloc(strlen(inner) + 6);
    assert_non_null(q);
    strcpy(q, "NEAR(");
    strcat(q, inner);
    expect_error(q, LPS_ELIMIT, 5 + 2 * QUERY_MAX_NODES, "QUERY_MAX_NODES");
    free(q);
    free(inner);

    /* Distances at the limit. */
    expect("NEAR(a b, 1000)", "(NEAR/1000 \"a\" \"b\")");
    expect_error("NEAR(a b, 1001)", LPS_ESYNTAX, 10, "QUERY_MAX_DISTANCE");
    expect_error("\"a b\"~1001", LPS_ESYNTAX, 6, "QUERY_MAX_DISTANCE");
}

/* ---- query_format -------------------------------------------------------- */

static void test_format(void **state)
{
    (void)state;
    query_node *n = parse_ok("a OR \"b \"\"c\"\"\"");
    const char *full = "(OR \"a\" \"b \"\"c\"\"\")";
    size_t len = strlen(full);
    char buf[64];
    assert_int_equal(query_format(n, buf, sizeof buf), len);
    assert_string_equal(buf, full);
    assert_int_equal(query_format(n, NULL, 0), len);
    memset(buf, 'X', sizeof buf);
    assert_int_equal(query_format(n, buf, 0), len);
    assert_int_equal(buf[0], 'X');
    assert_int_equal(query_format(n, buf, 1), len);
    assert_string_equal(buf, "");
    assert_int_equal(query_format(n, buf, 6), len);
    assert_string_equal(buf, "(OR \"");
    for (size_t size = 1; size <= len + 1; size++) {
        memset(buf, 'X', sizeof buf);
        assert_int_equal(query_format(n, buf, size), len);
        assert_int_equal(strlen(buf), size - 1 < len ? size - 1 : len);
        assert_memory_equal(buf, full, strlen(buf));
        assert_int_equal(buf[size], 'X');
    }
    query_node_free(n);
    assert_int_equal(query_format(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

/* ---- Allocation failure -------------------------------------------------- */

typedef struct fail_nth {
    long countdown;
    int fired;
} fail_nth;

static int fail_nth_hook(size_t size, void *ctx)
{
    (void)size;
    fail_nth *f = ctx;
    if (f->countdown-- == 0) {
        f->fired = 1;
        return 1;
    }
    return 0;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        int rc; /* without failures */
    } cases[] = {
        {"a b -c OR (d NOT \"e f\"~2) NEAR(g \"h i\"* j, 3) speaker:\"tim bixby\" year:2014..2016 "
         "-(k OR l) -m n*",
         LPS_OK},
        {"a b c d e f g h i j k l m n o p q r s t u v w x y z", LPS_OK},
        {"a OR b OR c OR d OR e OR f OR g OR (h i j) OR (k l) -m", LPS_OK},
        {"a NOT b NOT c NOT d -e -f -g", LPS_OK},
        {"a b c (d e f) \"g h\" OR i )", LPS_ESYNTAX},
        {"a b c NEAR(d e f, 1001)", LPS_ESYNTAX},
        {"a b (c d -e) OR -f", LPS_ESYNTAX},
        {"a b c d e f g h i j k l m n o p q r s t u v w x y z AND", LPS_ESYNTAX},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *q = cases[c].q;
        query_node *ref = NULL;
        lps_error err;
        assert_int_equal(query_parse(q, strlen(q), &ref, &err), cases[c].rc);
        char expected[4096] = "";
        if (ref)
            snprintf(expected, sizeof expected, "%s", format(ref));
        long long expected_offset = err.offset;
        query_node_free(ref);

        int completed = 0;
        long nth;
        for (nth = 0; nth < 100000 && !completed; nth++) {
            fail_nth f = {nth, 0};
            query_node *n = (query_node *)1;
            lps_alloc_set_hook(fail_nth_hook, &f);
            int rc = query_parse(q, strlen(q), &n, &err);
            lps_alloc_set_hook(NULL, NULL);
            if (!f.fired) {
                assert_int_equal(rc, cases[c].rc);
                if (rc == LPS_OK)
                    assert_string_equal(format(n), expected);
                else
                    assert_int_equal(err.offset, expected_offset);
                query_node_free(n);
                completed = 1;
                continue;
            }
            if (rc == LPS_ENOMEM) {
                assert_null(n);
                assert_int_equal(err.code, LPS_ENOMEM);
                assert_int_equal(err.offset, -1);
                assert_non_null(strstr(err.message, "out of memory"));
            } else {
                /* A syntax error found before the failed allocation mattered. */
                assert_int_equal(rc, cases[c].rc);
                assert_int_not_equal(rc, LPS_OK);
                assert_null(n);
            }
        }
        assert_true(completed);
        assert_true(nth > 3); /* the hook saw the allocations */
    }
}

/* ---- Round trip over random queries -------------------------------------- */

/* Writes n back as fully parenthesized query syntax (the canonical form is
 * prefix and is not itself query syntax). */
static void write_query(buffer *b, const query_node *n)
{
    static const char *const names[] = {"", "speaker", "role", "firm", "company", "year",
                                        "quarter"};
    switch (n->kind) {
    case QUERY_WORD:
        buffer_append(b, n->text, n->text_len);
        if (n->prefix)
            buffer_append_byte(b, '*');
        return;
    case QUERY_FIELD:
        buffer_append_str(b, names[n->field]);
        buffer_append_byte(b, ':');
        /* fall through */
    case QUERY_PHRASE:
        buffer_append_byte(b, '"');
        for (size_t i = 0; i < n->text_len; i++) {
            buffer_append_byte(b, (unsigned char)n->text[i]);
            if (n->text[i] == '"')
                buffer_append_byte(b, '"');
        }
        buffer_append_byte(b, '"');
        if (n->prefix)
            buffer_append_byte(b, '*');
        if (n->kind == QUERY_PHRASE && n->slop >= 0)
            buffer_printf(b, "~%d", n->slop);
        return;
    case QUERY_NEAR:
        buffer_append_str(b, "NEAR(");
        for (size_t i = 0; i < n->child_count; i++) {
            write_query(b, n->children[i]);
            buffer_append_byte(b, ' ');
        }
        buffer_printf(b, ", %d)", n->distance);
        return;
    default:
        break;
    }
    const char *op = n->kind == QUERY_AND ? " AND " : n->kind == QUERY_OR ? " OR " : " NOT ";
    buffer_append_byte(b, '(');
    for (size_t i = 0; i < n->child_count; i++) {
        if (i)
            buffer_append_str(b, op);
        write_query(b, n->children[i]);
    }
    buffer_append_byte(b, ')');
}

static int same_tree(const query_node *a, const query_node *b)
{
    if (a->kind != b->kind || a->prefix != b->prefix || a->child_count != b->child_count)
        return 0;
    if (a->kind == QUERY_PHRASE && a->slop != b->slop)
        return 0;
    if (a->kind == QUERY_NEAR && a->distance != b->distance)
        return 0;
    if (a->kind == QUERY_FIELD && a->field != b->field)
        return 0;
    if ((a->text == NULL) != (b->text == NULL))
        return 0;
    if (a->text && (a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0))
        return 0;
    for (size_t i = 0; i < a->child_count; i++)
        if (!same_tree(a->children[i], b->children[i]))
            return 0;
    return 1;
}

/* Single bytes of the fuzz alphabet. */
static const char alphabet[] = "ab()\"-*:~,12 \t\xffQ";

/* Whole tokens, so that a good share of the queries parse. */
static const char *const tokens[] = {
    "a", "b", "chat*", "1", "2", "\"a b\"", "\"a\"*~2", "\"x \"\"y\"", "speaker:x",
    "year:2014", "year:2014..2016", "quarter:Q2", "role:\"c d\"", "NEAR(a b)",
    "NEAR(a \"b c\" d*, 2)", "OR", "AND", "NOT", "-", "(", ")", "\xff", "a:b", "10:30",
    "NEAR", "~", "*", ":", ",", "\"", "-a", "a-b",
};

/* A random query from the grammar into b, nesting at most depth deep. */
static void generate(uint32_t *seed, buffer *b, int depth)
{
    static const char *const ops[] = {" OR ", " AND ", " NOT ", " "};
    unsigned choice = next_random(seed) % (depth <= 0 ? 4 : 9);
    if (choice < 4) {
        buffer_append_str(b, tokens[next_random(seed) % 15]);
    } else if (choice < 7) {
        generate(seed, b, depth - 1);
        buffer_append_str(b, ops[next_random(seed) % 4]);
        generate(seed, b, depth - 1);
    } else if (choice == 7) {
        buffer_append_byte(b, '(');
        generate(seed, b, depth - 1);
        buffer_append_byte(b, ')');
    } else {
        generate(seed, b, depth - 1);
        buffer_append_str(b, " -");
        generate(seed, b, 0);
    }
}

/* One random query of at most max bytes: raw bytes of the alphabet, a soup
 * of tokens mostly separated by spaces, or a query from the grammar, now and
 * then with one byte changed, dropped or added. */
static size_t random_query(uint32_t *seed, char *out, size_t max, buffer *scratch)
{
    unsigned mode = next_random(seed) % 4;
    size_t target = next_random(seed) % (max + 1);
    size_t len = 0;
    if (mode == 0) {
        while (len < target)
            out[len++] = alphabet[next_random(seed) % (sizeof alphabet - 1)];
        return len;
    }
    if (mode == 1) {
        /* Weighted toward words: operators, then punctuation, are the tail. */
        static const size_t spreads[] = {15, 21, sizeof tokens / sizeof tokens[0]};
        size_t spread = spreads[next_random(seed) % 3];
        while (len < target) {
            const char *piece = tokens[next_random(seed) % spread];
            size_t plen = strlen(piece);
            if (len + plen + 1 > target)
                break;
            memcpy(out + len, piece, plen);
            len += plen;
            if (next_random(seed) % 8 != 0)
                out[len++] = ' ';
        }
        return len;
    }
    do {
        buffer_reset(scratch);
        generate(seed, scratch, 1 + (int)(next_random(seed) % 6));
    } while (scratch->len > max - 1);
    assert_false(scratch->failed);
    len = scratch->len;
    memcpy(out, scratch->data, len);
    if (len > 0 && next_random(seed) % 3 == 0) {
        size_t at = next_random(seed) % len;
        unsigned char c = (unsigned char)alphabet[next_random(seed) % (sizeof alphabet - 1)];
        switch (next_random(seed) % 3) {
        case 0: out[at] = (char)c; break;
        case 1: memmove(out + at, out + at + 1, len - at - 1); len--; break;
        default: memmove(out + at + 1, out + at, len - at); out[at] = (char)c; len++; break;
        }
    }
    return len;
}

/* Which node kinds (bit 1 << kind) and whether an exclusion (bit 0) occur
 * in n. */
static unsigned kinds_in(const query_node *n)
{
    unsigned mask = (1u << n->kind) | (n->excluded ? 1u : 0u);
    for (size_t i = 0; i < n->child_count; i++)
        mask |= kinds_in(n->children[i]);
    return mask;
}

static void test_round_trip_random(void **state)
{
    (void)state;
    uint32_t seed = 0x9e3779b9u;
    char q[256];
    size_t ok = 0, total = 200000;
    size_t seen[QUERY_FIELD + 1] = {0};
    buffer b = BUFFER_INIT, scratch = BUFFER_INIT;
    for (size_t iter = 0; iter < total; iter++) {
        size_t len = random_query(&seed, q, 200, &scratch);
        query_node *n = (query_node *)1;
        lps_error err;
        int rc = parse_exact(q, len, &n, &err);
        if (rc != LPS_OK) {
            if (rc != LPS_ESYNTAX && rc != LPS_ELIMIT)
                fail_msg("[%.*s]: %s", (int)len, q, lps_strerror(rc));
            assert_null(n);
            assert_int_equal(err.code, rc);
            assert_true(err.offset >= 0 && (size_t)err.offset <= len);
            assert_true(err.message[0] != '\0');
            continue;
        }
        ok++;
        unsigned mask = kinds_in(n);
        for (int k = 0; k <= QUERY_FIELD; k++)
            seen[k] += (mask >> k) & 1;
        check_whole_tree(n, q, len);
        char canonical[16384];
        assert_true(query_format(n, canonical, sizeof canonical) < sizeof canonical);

        buffer_reset(&b);
        write_query(&b, n);
        assert_false(b.failed);
        query_node *again = NULL;
        rc = parse_exact((const char *)b.data, b.len, &again, &err);
        if (rc != LPS_OK)
            fail_msg("[%.*s] wrote [%s], which fails: %s at %lld", (int)len, q, buffer_cstr(&b),
                     err.message, err.offset);
        if (strcmp(format(again), canonical) != 0 || !same_tree(n, again))
            fail_msg("[%.*s]\n  canonical %s\n  rewritten [%s]\n  reparsed  %s", (int)len, q,
                     canonical, buffer_cstr(&b), format(again));
        query_node_free(again);
        query_node_free(n);
    }
    buffer_free(&b);
    buffer_free(&scratch);
    print_message("round trip: %zu of %zu random queries parsed; with AND %zu, OR %zu, "
                  "NOT %zu, NEAR %zu, a filter %zu, a '-' %zu\n",
                  ok, total, seen[QUERY_AND], seen[QUERY_OR], seen[QUERY_NOT], seen[QUERY_NEAR],
                  seen[QUERY_FIELD], seen[0]);
    /* The property was exercised on every construct. */
    assert_true(ok > total / 10);
    for (int k = QUERY_AND; k <= QUERY_FIELD; k++)
        assert_true(seen[k] > ok / 50);
    assert_true(seen[0] > ok / 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_near),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_exclusion),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_length_bounds),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
