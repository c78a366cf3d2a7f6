/*
 * Query text to AST: a lexer with one token of lookahead and a
 * recursive-descent parser, one function per level of query_ast.h's grammar.
 *
 * Precedence is FTS5's as its documentation states it: operands written side
 * by side (a "run") are an implicit AND that binds tighter than every
 * operator, NOT included; then NOT, then AND, then OR.  So `a b NOT c` is
 * (NOT (AND a b) c) and `a NOT b c` is (NOT a (AND b c)), while
 * `a NOT b AND c` is (AND (NOT a b) c).  Unlike FTS5, a parenthesized group
 * may stand in a run: `(a OR b) c` is (AND (OR a b) c), not an error.
 *
 * Decisions the headers leave open, and why:
 *
 *  - Exclusion shorthand.  `-x` removes x from the run it is written in; when
 *    a run holds nothing but exclusions (`a AND -b`), from the enclosing AND.
 *    Every exclusion of one group goes into a single NOT whose right side is
 *    the OR of the excluded operands: `a b -c` is (NOT (AND a b) "c") and
 *    `a -b -c` is (NOT a (OR b c)), not a chain of NOTs, so a long list of
 *    exclusions costs one level of depth.  AND and set difference commute,
 *    so where the exclusion attaches never changes the result set.  A run
 *    of nothing but exclusions may not be an operand of NOT (`-a NOT b`,
 *    `a NOT -b`), and a group with nothing but exclusions is an error
 *    ("nothing to search for").
 *  - Field filters.  A word is a filter when it starts with one or more ASCII
 *    letters followed by ':' that is not followed by '/' or ':'.  The name is
 *    matched case-insensitively; an unknown name is an error naming the
 *    known fields.  So `10:30`, `q1:x`, `http://x` and `std::map` are plain
 *    words, while `color:red` is an error (quote it to search the text).
 *    The value follows the ':' directly, bare or quoted; `speaker:` and
 *    `speaker: tim` are errors.  year and quarter values are validated here
 *    but stored verbatim.
 *  - '*' ends a word or a phrase's closing quote (prefix search) and nothing
 *    else: `ch*at`, `*chat`, `chat**` and a lone `*` are errors at the '*'.
 *  - '~N' follows a closing quote directly; a word starting with '~' is an
 *    error (`"a b" ~3` would otherwise search for the word 3).
 *  - After a closing quote (and its '*' or '~N') comes white space, '(',
 *    ')' or the end: `"a b"c` is an error, not an implicit AND.
 *  - NUL bytes are rejected with their offset (node texts are C strings).
 *    Other bytes, invalid UTF-8 included, are word characters; the analyzer
 *    deals with them.  White space is ASCII: space, \t \n \v \f \r.
 *  - NEAR in upper case is always the operator and must be followed by '('
 *    (white space between is allowed, as in FTS5).  It needs two or more
 *    words or phrases; a phrase inside it takes no ~N.  ',' separates the
 *    distance only inside NEAR(...); elsewhere it is a word character.
 *  - A lone '-' (followed by white space, ')' or the end) is an error.
 *  - A missing operand is reported at the operator that lacks it:
 *    `a AND OR b` at the AND, `chat OR` at the OR, `AND chat` at the AND.
 *  - Spans: a leaf spans its text as written (with its '*', '~N', quotes or
 *    field name); an excluded node's span starts at its '-'; an AND, OR or
 *    NOT made from a parenthesized group spans the parentheses; any other
 *    AND, OR or NOT spans from its first to its last operand in the text.
 *  - Depth: parentheses may nest QUERY_MAX_DEPTH deep (this bounds the
 *    recursion), and the tree may hold at most QUERY_MAX_DEPTH operator
 *    nodes (AND, OR, NOT, NEAR) on any path from the root, so every later
 *    recursive walk over it is bounded too.
 */
#include "query_parser.h"

#include "alloc.h"
#include "error_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NEAR_DEFAULT_DISTANCE 10
#define YEAR_MIN 1900
#define YEAR_MAX 2100

static const struct {
    const char *name;
    int field;
} known_fields[] = {
    {"speaker", QUERY_FIELD_SPEAKER}, {"role", QUERY_FIELD_ROLE},
    {"firm", QUERY_FIELD_FIRM},       {"company", QUERY_FIELD_COMPANY},
    {"year", QUERY_FIELD_YEAR},       {"quarter", QUERY_FIELD_QUARTER},
};
#define KNOWN_FIELD_LIST "speaker, role, firm, company, year, quarter"

enum token_kind {
    TOK_EOF = 1,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COMMA, /* only inside NEAR(...) */
    TOK_AND,
    TOK_OR,
    TOK_NOT,
    TOK_NEAR,
    TOK_MINUS, /* '-' directly before what it excludes */
    TOK_WORD,
    TOK_PHRASE,
    TOK_FIELD
};

typedef struct token {
    int kind;                    /* enum token_kind */
    size_t start, end;           /* span in the query */
    size_t text_start, text_end; /* WORD: without '*'; PHRASE, FIELD: the value
                                    (inside the quotes when quoted, still escaped) */
    int quoted;                  /* text holds "" escapes */
    int prefix;
    int slop;                    /* PHRASE: -1 or N of ~N */
    size_t slop_at;              /* PHRASE: offset of the '~' */
    int field;                   /* FIELD: enum query_field */
} token;

typedef struct parser {
    const unsigned char *text;
    size_t len;
    size_t pos;     /* where the lexer resumes */
    int in_near;    /* lexing inside NEAR(...): ',' is a delimiter */
    token tok;      /* the lookahead */
    size_t leaves;  /* words, phrases and filters so far */
    int rc;         /* first failure; everything unwinds once it is set */
    lps_error *err;
} parser;

typedef struct node_list {
    query_node **items;
    size_t count, cap;
} node_list;

/* The operands of a run or of an AND, split into what is searched for and
 * what is excluded with '-'. */
typedef struct group {
    node_list pos, excl;
    size_t first_minus; /* offset of the first '-', valid when excl.count */
} group;

/* ---- Errors -------------------------------------------------------------- */

static int fail(parser *p, int code, size_t offset, const char *fmt, ...) LPS_PRINTF(4, 5);

static int fail(parser *p, int code, size_t offset, const char *fmt, ...)
{
    if (p->rc)
        return p->rc; /* the first problem is the one reported */
    char msg[sizeof p->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->rc = code;
    lps_error_set(p->err, code, NULL, -1, (long long)offset, "%s", msg);
    return code;
}

static int fail_nomem(parser *p)
{
    if (p->rc)
        return p->rc;
    p->rc = LPS_ENOMEM;
    lps_error_set(p->err, LPS_ENOMEM, NULL, -1, -1, "out of memory while parsing the query");
    return LPS_ENOMEM;
}

static const char *token_name(int kind)
{
    switch (kind) {
    case TOK_EOF: return "the end of the query";
    case TOK_LPAREN: return "'('";
    case TOK_RPAREN: return "')'";
    case TOK_COMMA: return "','";
    case TOK_AND: return "AND";
    case TOK_OR: return "OR";
    case TOK_NOT: return "NOT";
    case TOK_NEAR: return "NEAR";
    case TOK_MINUS: return "'-'";
    case TOK_WORD: return "a word";
    case TOK_PHRASE: return "a phrase";
    case TOK_FIELD: return "a field filter";
    }
    return "?";
}

/* A byte for a message: 'x' when printable ASCII, else its hex value, so
 * messages stay valid UTF-8 whatever the query holds. */
static const char *byte_name(unsigned char c, char buf[16])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

/* ---- Lexer --------------------------------------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Characters that end a bare word. */
static int ends_word(const parser *p, unsigned char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"' || (p->in_near && c == ',');
}

/* Reads the digits of s[start..end) into *value, saturating above cap.
 * Returns 0, or -1 when the range is empty or holds a non-digit. */
static int read_number(const unsigned char *s, size_t start, size_t end, int cap, int *value)
{
    if (start >= end)
        return -1;
    long v = 0;
    for (size_t i = start; i < end; i++) {
        if (!is_digit(s[i]))
            return -1;
        if (v <= cap)
            v = v * 10 + (s[i] - '0');
    }
    *value = v > cap ? cap + 1 : (int)v;
    return 0;
}

/* Finds the quote closing the one at s[open]; "" inside is a literal quote.
 * On success *close is its offset and *escaped says whether "" occurred. */
static int scan_quoted(parser *p, size_t open, size_t *close, int *escaped)
{
    assert(p->text[open] == '"');
    *escaped = 0;
    for (size_t i = open + 1; i < p->len; i++) {
        if (p->text[i] != '"')
            continue;
        if (i + 1 < p->len && p->text[i + 1] == '"') {
            *escaped = 1;
            i++;
            continue;
        }
        *close = i;
        return 0;
    }
    return fail(p, LPS_ESYNTAX, open,
                "unbalanced quote: the phrase opened here is never closed; add a closing '\"' "
                "(write \"\" for a quote inside a phrase)");
}

static int only_space(const unsigned char *s, size_t start, size_t end)
{
    for (size_t i = start; i < end; i++)
        if (!is_space(s[i]))
            return 0;
    return 1;
}

/* What may follow a closing quote (and its '*' or '~N'). */
static int check_after_quote(parser *p, size_t at, const char *what)
{
    if (at >= p->len || (ends_word(p, p->text[at]) && p->text[at] != '"'))
        return 0;
    char b[16];
    return fail(p, LPS_ESYNTAX, at,
                "unexpected %s right after the closing quote of %s: put a space after the quote",
                byte_name(p->text[at], b), what);
}

static int lex_phrase(parser *p, size_t open)
{
    token *t = &p->tok;
    size_t close = open;
    if (scan_quoted(p, open, &close, &t->quoted) != 0)
        return p->rc;
    if (only_space(p->text, open + 1, close))
        return fail(p, LPS_ESYNTAX, open, "empty phrase: put words between the quotes");
    size_t at = close + 1;
    if (at < p->len && p->text[at] == '*') {
        t->prefix = 1;
        at++;
    }
    if (at < p->len && p->text[at] == '~') {
        t->slop_at = at++;
        size_t digits = at;
        while (at < p->len && is_digit(p->text[at]))
            at++;
        if (read_number(p->text, digits, at, QUERY_MAX_DISTANCE, &t->slop) != 0)
            return fail(p, LPS_ESYNTAX, t->slop_at,
                        "'~' must be followed by a distance in tokens, as in \"a b\"~3");
        if (t->slop > QUERY_MAX_DISTANCE)
            return fail(p, LPS_ESYNTAX, digits,
                        "phrase distance %.*s is out of range: ~N takes 0..%d (QUERY_MAX_DISTANCE)",
                        (int)(at - digits > 20 ? 20 : at - digits), p->text + digits,
                        QUERY_MAX_DISTANCE);
    }
    if (check_after_quote(p, at, "a phrase") != 0)
        return p->rc;
    t->kind = TOK_PHRASE;
    t->text_start = open + 1;
    t->text_end = close;
    t->end = at;
    p->pos = at;
    return 0;
}

/* Checks a year value: 2014 or 2014..2016, each within YEAR_MIN..YEAR_MAX.
 * at is the offset of v[0] in the query. */
static int check_year(parser *p, const unsigned char *v, size_t n, size_t at)
{
    assert(n > 0); /* empty values were refused before */
    size_t lo_end = 0;
    while (lo_end < n && is_digit(v[lo_end]))
        lo_end++;
    size_t hi_start = lo_end, hi_end = lo_end;
    if (lo_end > 0 && lo_end + 1 < n && v[lo_end] == '.' && v[lo_end + 1] == '.') {
        hi_start = hi_end = lo_end + 2;
        while (hi_end < n && is_digit(v[hi_end]))
            hi_end++;
    }
    size_t bad = SIZE_MAX; /* offset in v of the first byte that does not fit */
    if (lo_end == 0)
        bad = 0;
    else if (hi_start > lo_end && hi_end == hi_start)
        bad = hi_start; /* "2014.." */
    else if (hi_end != n)
        bad = hi_end;
    if (bad != SIZE_MAX)
        return fail(p, LPS_ESYNTAX, at + bad,
                    "year takes a year %d..%d or a range like 2014..2016", YEAR_MIN, YEAR_MAX);
    int lo = 0, hi;
    read_number(v, 0, lo_end, YEAR_MAX, &lo);
    hi = lo;
    if (hi_end > hi_start)
        read_number(v, hi_start, hi_end, YEAR_MAX, &hi);
    if (lo < YEAR_MIN || lo > YEAR_MAX)
        return fail(p, LPS_ESYNTAX, at, "year %.*s is out of range %d..%d",
                    (int)(lo_end > 12 ? 12 : lo_end), v, YEAR_MIN, YEAR_MAX);
    if (hi < YEAR_MIN || hi > YEAR_MAX)
        return fail(p, LPS_ESYNTAX, at + hi_start, "year %.*s is out of range %d..%d",
                    (int)(hi_end - hi_start > 12 ? 12 : hi_end - hi_start), v + hi_start, YEAR_MIN,
                    YEAR_MAX);
    if (lo > hi)
        return fail(p, LPS_ESYNTAX, at, "year range %d..%d runs backwards: write %d..%d", lo, hi,
                    hi, lo);
    return 0;
}

static int check_quarter(parser *p, const unsigned char *v, size_t n, size_t at)
{
    if (n == 2 && (v[0] == 'q' || v[0] == 'Q')) {
        v++;
        n--;
    }
    if (n == 1 && v[0] >= '1' && v[0] <= '4')
        return 0;
    return fail(p, LPS_ESYNTAX, at, "quarter takes 1, 2, 3 or 4 (or Q1..Q4)");
}

/* The run s[start..end) starts with name ':'; lexes the filter. */
/* An example of the field in use, for error messages. */
static const char *field_example(int field)
{
    switch (field) {
    case QUERY_FIELD_SPEAKER:
        return "speaker:bixby or speaker:\"tim bixby\"";
    case QUERY_FIELD_ROLE:
        return "role:analyst or role:\"chief financial officer\"";
    case QUERY_FIELD_FIRM:
        return "firm:roth or firm:\"roth capital\"";
    case QUERY_FIELD_COMPANY:
        return "company:liveperson or company:lpsn";
    case QUERY_FIELD_YEAR:
        return "year:2014 or year:2014..2016";
    default:
        return "quarter:1 or quarter:Q1";
    }
}

static int lex_field(parser *p, size_t start, size_t colon, size_t end)
{
    assert(colon > start && colon < end && p->text[colon] == ':');
    token *t = &p->tok;
    size_t name_len = colon - start;
    t->field = 0;
    for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++) {
        const char *name = known_fields[i].name;
        if (strlen(name) != name_len)
            continue;
        size_t k = 0;
        while (k < name_len && (p->text[start + k] | 0x20) == (unsigned char)name[k])
            k++;
        if (k == name_len) {
            t->field = known_fields[i].field;
            break;
        }
    }
    if (!t->field)
        return fail(p, LPS_ESYNTAX, start,
                    "unknown field '%.*s': the fields are " KNOWN_FIELD_LIST
                    "; to search for the text itself, put it in quotes",
                    (int)(name_len > 40 ? 40 : name_len), p->text + start);
    size_t value = colon + 1;
    if (value == end && value < p->len && p->text[value] == '"') {
        size_t close = value;
        if (scan_quoted(p, value, &close, &t->quoted) != 0)
            return p->rc;
        if (only_space(p->text, value + 1, close))
            return fail(p, LPS_ESYNTAX, start, "%.*s: needs a value inside the quotes, as in %s",
                        (int)name_len, p->text + start, field_example(t->field));
        if (check_after_quote(p, close + 1, "a field value") != 0)
            return p->rc;
        t->text_start = value + 1;
        t->text_end = close;
        end = close + 1;
    } else {
        if (value == end)
            return fail(p, LPS_ESYNTAX, start, "%.*s: needs a value right after the ':', as in %s",
                        (int)name_len, p->text + start, field_example(t->field));
        t->text_start = value;
        t->text_end = end;
    }
    const unsigned char *v = p->text + t->text_start;
    size_t n = t->text_end - t->text_start;
    if (t->field == QUERY_FIELD_YEAR && check_year(p, v, n, t->text_start) != 0)
        return p->rc;
    if (t->field == QUERY_FIELD_QUARTER && check_quarter(p, v, n, t->text_start) != 0)
        return p->rc;
    t->kind = TOK_FIELD;
    t->end = end;
    p->pos = end;
    return 0;
}

static int is_keyword(const unsigned char *s, size_t n, const char *kw)
{
    return n == strlen(kw) && memcmp(s, kw, n) == 0;
}

/* A run of word characters at s[start]: an operator, '-', a filter or a word. */
static int lex_run(parser *p, size_t start)
{
    token *t = &p->tok;
    const unsigned char *s = p->text;
    size_t end = start;
    while (end < p->len && !ends_word(p, s[end]))
        end++;
    assert(end > start);

    if (s[start] == '-') {
        size_t next = start + 1;
        if (next < p->len && (s[next] == '(' || s[next] == '"' || !ends_word(p, s[next]))) {
            t->kind = TOK_MINUS;
            t->end = next;
            p->pos = next;
            return 0;
        }
        return fail(p, LPS_ESYNTAX, start,
                    "a lone '-' excludes nothing: write it directly before the word, phrase "
                    "or group to exclude, as in chat -price");
    }
    static const struct {
        const char *kw;
        int kind;
    } keywords[] = {{"AND", TOK_AND}, {"OR", TOK_OR}, {"NOT", TOK_NOT}, {"NEAR", TOK_NEAR}};
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        if (is_keyword(s + start, end - start, keywords[i].kw)) {
            t->kind = keywords[i].kind;
            t->end = end;
            p->pos = end;
            return 0;
        }
    }
    size_t colon = start;
    while (colon < end && is_alpha(s[colon]))
        colon++;
    if (colon > start && colon < end && s[colon] == ':' &&
        !(colon + 1 < p->len && (s[colon + 1] == '/' || s[colon + 1] == ':')))
        return lex_field(p, start, colon, end);

    if (s[start] == '~')
        return fail(p, LPS_ESYNTAX, start,
                    "'~N' sets a phrase's distance and must follow its closing quote directly, "
                    "as in \"a b\"~3");
    for (size_t i = start; i < end; i++) {
        if (s[i] != '*')
            continue;
        if (i == start)
            return fail(p, LPS_ESYNTAX, i,
                        "'*' must follow a word: chat* searches for words starting with chat");
        if (i + 1 < end)
            return fail(p, LPS_ESYNTAX, i,
                        "'*' can only end a word (chat* is a prefix search); it cannot stand "
                        "inside or repeat");
    }
    t->kind = TOK_WORD;
    t->prefix = s[end - 1] == '*';
    t->text_start = start;
    t->text_end = end - (size_t)t->prefix;
    t->end = end;
    p->pos = end;
    return 0;
}

static int lex_token(parser *p)
{
    token *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->slop = -1;
    size_t i = p->pos;
    while (i < p->len && is_space(p->text[i]))
        i++;
    t->start = t->end = i;
    p->pos = i;
    if (i >= p->len) {
        t->kind = TOK_EOF;
        return 0;
    }
    switch (p->text[i]) {
    case '(': t->kind = TOK_LPAREN; break;
    case ')': t->kind = TOK_RPAREN; break;
    case ',':
        if (!p->in_near)
            return lex_run(p, i);
        t->kind = TOK_COMMA;
        break;
    case '"': return lex_phrase(p, i);
    default: return lex_run(p, i);
    }
    t->end = i + 1;
    p->pos = i + 1;
    return 0;
}

/* Lexes the next token into p->tok. */
static int advance(parser *p)
{
    if (p->rc)
        return p->rc;
    if (lex_token(p) != 0)
        return p->rc;
    const token *t = &p->tok;
    /* The lexer consumed exactly the token, within the text. */
    assert(t->start <= t->end && t->end == p->pos && p->pos <= p->len);
    assert((t->kind == TOK_EOF) == (t->start == t->end));
    assert(t->text_start <= t->text_end && (t->text_end == 0 || t->text_end <= t->end));
    (void)t;
    return 0;
}

/* ---- Tree building ------------------------------------------------------- */

void query_node_free(query_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->child_count; i++)
        query_node_free(n->children[i]);
    lps_free(n->children);
    lps_free(n->text);
    lps_free(n);
}

static int is_operator(int kind)
{
    return kind == QUERY_AND || kind == QUERY_OR || kind == QUERY_NOT || kind == QUERY_NEAR;
}

/* Operator nodes on the longest path down from n; bounded because every
 * subtree was checked when it was built. */
static int tree_depth(const query_node *n)
{
    int deepest = 0;
    for (size_t i = 0; i < n->child_count; i++) {
        int d = tree_depth(n->children[i]);
        if (d > deepest)
            deepest = d;
    }
    return deepest + is_operator(n->kind);
}

static query_node *node_new(parser *p, int kind, size_t start, size_t end)
{
    assert(end >= start);
    query_node *n = lps_calloc(1, sizeof *n);
    if (!n) {
        fail_nomem(p);
        return NULL;
    }
    n->kind = kind;
    n->offset = start;
    n->length = end - start;
    n->slop = -1;
    return n;
}

static size_t node_end(const query_node *n)
{
    return n->offset + n->length;
}

static void list_free(node_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        query_node_free(l->items[i]);
    lps_free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

/* Appends n, taking ownership even on failure. */
static int list_push(parser *p, node_list *l, query_node *n)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        query_node **grown = lps_realloc(l->items, cap * sizeof *grown);
        if (!grown) {
            query_node_free(n);
            return fail_nomem(p);
        }
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->count++] = n;
    return 0;
}

static void group_free(group *g)
{
    list_free(&g->pos);
    list_free(&g->excl);
}

/* Fails with ELIMIT (and frees n) when n makes the tree too deep. */
static query_node *check_depth(parser *p, query_node *n, size_t at)
{
    if (tree_depth(n) <= QUERY_MAX_DEPTH)
        return n;
    query_node_free(n);
    fail(p, LPS_ELIMIT, at,
         "query nests operators more than %d deep (QUERY_MAX_DEPTH): use fewer NOTs or "
         "parentheses",
         QUERY_MAX_DEPTH);
    return NULL;
}

/* The AND or OR of the list's nodes, taking them all: one node stands for
 * itself, and an operand of the same kind gives its operands instead. */
static query_node *make_group_node(parser *p, int kind, node_list *l)
{
    assert(kind == QUERY_AND || kind == QUERY_OR);
    assert(l->count > 0);
    if (l->count == 1) {
        query_node *only = l->items[0];
        l->count = 0;
        list_free(l);
        return only;
    }
    size_t total = 0, start = SIZE_MAX, end = 0;
    for (size_t i = 0; i < l->count; i++) {
        const query_node *c = l->items[i];
        total += c->kind == kind ? c->child_count : 1;
        if (c->offset < start)
            start = c->offset;
        if (node_end(c) > end)
            end = node_end(c);
    }
    query_node **children = lps_calloc(total, sizeof *children);
    query_node *n = children ? node_new(p, kind, start, end) : NULL;
    if (!n) {
        lps_free(children);
        list_free(l);
        fail_nomem(p);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        query_node *c = l->items[i];
        if (c->kind != kind) {
            children[k++] = c;
            continue;
        }
        for (size_t j = 0; j < c->child_count; j++)
            children[k++] = c->children[j];
        lps_free(c->children);
        assert(c->text == NULL);
        lps_free(c);
    }
    assert(k == total && total >= 2);
    n->children = children;
    n->child_count = total;
    l->count = 0;
    list_free(l);
    return check_depth(p, n, start);
}

/* (NOT left right), taking both. */
static query_node *make_not(parser *p, query_node *left, query_node *right, size_t at)
{
    size_t start = left->offset < right->offset ? left->offset : right->offset;
    size_t end = node_end(left) > node_end(right) ? node_end(left) : node_end(right);
    query_node **children = lps_calloc(2, sizeof *children);
    query_node *n = children ? node_new(p, QUERY_NOT, start, end) : NULL;
    if (!n) {
        lps_free(children);
        query_node_free(left);
        query_node_free(right);
        fail_nomem(p);
        return NULL;
    }
    children[0] = left;
    children[1] = right;
    n->children = children;
    n->child_count = 2;
    return check_depth(p, n, at);
}

/* The group's positives ANDed, minus the OR of its exclusions. */
static query_node *finish_group(parser *p, group *g)
{
    assert(g->pos.count > 0);
    query_node *positive = make_group_node(p, QUERY_AND, &g->pos);
    if (!positive) {
        group_free(g);
        return NULL;
    }
    assert(g->pos.count == 0 && g->pos.items == NULL);
    if (g->excl.count == 0)
        return positive;
    query_node *excluded = make_group_node(p, QUERY_OR, &g->excl);
    if (!excluded) {
        query_node_free(positive);
        return NULL;
    }
    return make_not(p, positive, excluded, g->first_minus);
}

/* A WORD, PHRASE or FIELD node from the lookahead (not consumed). */
static query_node *make_leaf(parser *p)
{
    const token *t = &p->tok;
    assert(t->kind == TOK_WORD || t->kind == TOK_PHRASE || t->kind == TOK_FIELD);
    if (++p->leaves > QUERY_MAX_NODES) {
        fail(p, LPS_ELIMIT, t->start,
             "query has more than %d words, phrases and filters (QUERY_MAX_NODES)",
             QUERY_MAX_NODES);
        return NULL;
    }
    int kind = t->kind == TOK_WORD ? QUERY_WORD : t->kind == TOK_PHRASE ? QUERY_PHRASE : QUERY_FIELD;
    query_node *n = node_new(p, kind, t->start, t->end);
    if (!n)
        return NULL;
    const unsigned char *s = p->text + t->text_start;
    size_t len = t->text_end - t->text_start;
    n->text = lps_malloc(len + 1);
    if (!n->text) {
        query_node_free(n);
        fail_nomem(p);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        n->text[k++] = (char)s[i];
        if (t->quoted && s[i] == '"') {
            assert(i + 1 < len && s[i + 1] == '"');
            i++;
        }
    }
    assert(k > 0 && k <= len); /* empty words, phrases and values were refused */
    n->text[k] = '\0';
    n->text_len = k;
    n->prefix = t->prefix;
    n->slop = t->kind == TOK_PHRASE ? t->slop : -1;
    n->field = t->field;
    return n;
}

/* ---- Parser -------------------------------------------------------------- */

static int can_start(int kind)
{
    return kind == TOK_WORD || kind == TOK_PHRASE || kind == TOK_FIELD || kind == TOK_LPAREN ||
           kind == TOK_NEAR || kind == TOK_MINUS;
}

static query_node *parse_or(parser *p, int depth);

/* NEAR "(" phrase phrase+ [ "," N ] ")" with the NEAR as lookahead. */
static query_node *parse_near(parser *p)
{
    size_t near_at = p->tok.start;
    if (advance(p) != 0)
        return NULL;
    if (p->tok.kind != TOK_LPAREN) {
        fail(p, LPS_ESYNTAX, near_at,
             "NEAR must be followed by '(', as in NEAR(a \"b c\", 5); to search for the word "
             "near, write it in lower case");
        return NULL;
    }
    size_t open = p->tok.start;
    p->in_near = 1;
    if (advance(p) != 0)
        return NULL;
    node_list items = {NULL, 0, 0};
    while (p->tok.kind == TOK_WORD || p->tok.kind == TOK_PHRASE) {
        if (p->tok.slop >= 0) {
            fail(p, LPS_ESYNTAX, p->tok.slop_at,
                 "a phrase inside NEAR(...) takes no '~N': NEAR's own distance applies");
            goto failed;
        }
        query_node *leaf = make_leaf(p);
        if (!leaf || list_push(p, &items, leaf) != 0 || advance(p) != 0)
            goto failed;
    }
    int distance = NEAR_DEFAULT_DISTANCE;
    int after_distance = 0;
    if (p->tok.kind == TOK_COMMA) {
        if (advance(p) != 0)
            goto failed;
        const token *t = &p->tok;
        if (t->kind == TOK_EOF)
            goto unclosed;
        if (t->kind != TOK_WORD || t->prefix ||
            read_number(p->text, t->text_start, t->text_end, QUERY_MAX_DISTANCE, &distance) != 0) {
            fail(p, LPS_ESYNTAX, t->start,
                 "NEAR's distance after ',' must be a number of tokens, as in NEAR(a b, 5)");
            goto failed;
        }
        if (distance > QUERY_MAX_DISTANCE) {
            fail(p, LPS_ESYNTAX, t->start,
                 "NEAR distance %.*s is out of range 0..%d (QUERY_MAX_DISTANCE)",
                 (int)(t->end - t->start > 20 ? 20 : t->end - t->start), p->text + t->start,
                 QUERY_MAX_DISTANCE);
            goto failed;
        }
        after_distance = 1;
        if (advance(p) != 0)
            goto failed;
    }
    if (p->tok.kind == TOK_EOF)
        goto unclosed;
    if (p->tok.kind != TOK_RPAREN) {
        if (after_distance)
            fail(p, LPS_ESYNTAX, p->tok.start, "expected ')' after NEAR's distance, found %s",
                 token_name(p->tok.kind));
        else
            fail(p, LPS_ESYNTAX, p->tok.start,
                 "NEAR(...) may hold only words and quoted phrases, found %s",
                 token_name(p->tok.kind));
        goto failed;
    }
    if (items.count < 2) {
        fail(p, LPS_ESYNTAX, near_at,
             "NEAR needs two or more words or phrases, as in NEAR(a \"b c\")");
        goto failed;
    }
    size_t end = p->tok.end;
    assert(items.count >= 2 && distance >= 0 && distance <= QUERY_MAX_DISTANCE);
    query_node *n = node_new(p, QUERY_NEAR, near_at, end);
    if (!n)
        goto failed;
    n->children = items.items;
    n->child_count = items.count;
    n->distance = distance;
    p->in_near = 0;
    if (advance(p) != 0) {
        query_node_free(n);
        return NULL;
    }
    return check_depth(p, n, near_at);

unclosed:
    fail(p, LPS_ESYNTAX, open,
         "unbalanced parentheses: the NEAR( opened here is never closed; add a ')'");
failed:
    list_free(&items);
    return NULL;
}

/* primary := "(" or ")" | NEAR(...) | filter | phrase | word.  *end is the
 * end of the construct, its ')' included. */
static query_node *parse_primary(parser *p, int depth, size_t *end)
{
    query_node *n;
    switch (p->tok.kind) {
    case TOK_WORD:
    case TOK_PHRASE:
    case TOK_FIELD:
        n = make_leaf(p);
        *end = p->tok.end;
        if (n && advance(p) != 0) {
            query_node_free(n);
            return NULL;
        }
        return n;
    case TOK_NEAR:
        n = parse_near(p);
        if (n)
            *end = node_end(n);
        return n;
    default:
        break;
    }
    assert(p->tok.kind == TOK_LPAREN);
    size_t open = p->tok.start;
    if (depth >= QUERY_MAX_DEPTH) {
        fail(p, LPS_ELIMIT, open, "parentheses nest more than %d deep (QUERY_MAX_DEPTH)",
             QUERY_MAX_DEPTH);
        return NULL;
    }
    if (advance(p) != 0)
        return NULL;
    if (p->tok.kind == TOK_RPAREN) {
        fail(p, LPS_ESYNTAX, open, "empty parentheses: put something to search for inside");
        return NULL;
    }
    if (p->tok.kind == TOK_EOF) {
        fail(p, LPS_ESYNTAX, open,
             "unbalanced parentheses: the '(' opened here is never closed; add a ')'");
        return NULL;
    }
    n = parse_or(p, depth + 1);
    if (!n)
        return NULL;
    if (p->tok.kind != TOK_RPAREN) {
        assert(p->tok.kind == TOK_EOF);
        query_node_free(n);
        fail(p, LPS_ESYNTAX, open,
             "unbalanced parentheses: the '(' opened here is never closed; add a ')'");
        return NULL;
    }
    *end = p->tok.end;
    assert(n->offset > open && node_end(n) < *end);
    if (n->kind == QUERY_AND || n->kind == QUERY_OR || n->kind == QUERY_NOT) {
        n->offset = open;
        n->length = *end - open;
    }
    if (advance(p) != 0) {
        query_node_free(n);
        return NULL;
    }
    return n;
}

/* unary := "-" primary | primary */
static query_node *parse_unary(parser *p, int depth)
{
    size_t end;
    if (p->tok.kind != TOK_MINUS)
        return parse_primary(p, depth, &end);
    size_t minus = p->tok.start;
    if (advance(p) != 0)
        return NULL;
    int k = p->tok.kind;
    if (!(k == TOK_WORD || k == TOK_PHRASE || k == TOK_FIELD || k == TOK_LPAREN || k == TOK_NEAR)) {
        fail(p, LPS_ESYNTAX, minus,
             "'-' must be directly followed by the word, phrase or group to exclude, found %s",
             token_name(k));
        return NULL;
    }
    query_node *n = parse_primary(p, depth, &end);
    if (!n)
        return NULL;
    assert(end > minus && end >= node_end(n));
    n->excluded = 1;
    n->offset = minus;
    n->length = end - minus;
    return n;
}

/* run := unary+, sorted into g. */
static int parse_run(parser *p, int depth, group *g)
{
    assert(can_start(p->tok.kind) && depth <= QUERY_MAX_DEPTH);
    while (can_start(p->tok.kind)) {
        size_t at = p->tok.start;
        query_node *n = parse_unary(p, depth);
        if (!n)
            return p->rc;
        if (n->excluded && g->excl.count == 0)
            g->first_minus = at;
        if (list_push(p, n->excluded ? &g->excl : &g->pos, n) != 0)
            return p->rc;
    }
    return 0;
}

/* not := run ( "NOT" run )*, added to the enclosing AND's group: a run of
 * nothing but exclusions (`a AND -b`) gives them to the AND. */
static int parse_not(parser *p, int depth, group *and_group)
{
    group run = {{NULL, 0, 0}, {NULL, 0, 0}, 0};
    if (parse_run(p, depth, &run) != 0)
        goto failed;
    if (run.pos.count == 0) {
        if (p->tok.kind == TOK_NOT) {
            fail(p, LPS_ESYNTAX, run.first_minus,
                 "nothing to search for on the left of NOT: '-' only excludes; write "
                 "chat NOT price or chat -price");
            goto failed;
        }
        if (and_group->excl.count == 0)
            and_group->first_minus = run.first_minus;
        for (size_t i = 0; i < run.excl.count; i++) {
            query_node *n = run.excl.items[i];
            run.excl.items[i] = NULL;
            if (list_push(p, &and_group->excl, n) != 0)
                goto failed;
        }
        group_free(&run);
        return 0;
    }
    query_node *left = finish_group(p, &run);
    if (!left)
        return p->rc;
    while (p->tok.kind == TOK_NOT) {
        size_t op = p->tok.start;
        if (advance(p) != 0)
            goto failed_left;
        if (p->tok.kind == TOK_MINUS) {
            fail(p, LPS_ESYNTAX, p->tok.start,
                 "'-' cannot follow NOT: write chat NOT price or chat -price");
            goto failed_left;
        }
        if (!can_start(p->tok.kind)) {
            fail(p, LPS_ESYNTAX, op, "NOT needs a search term after it, found %s",
                 token_name(p->tok.kind));
            goto failed_left;
        }
        group right_run = {{NULL, 0, 0}, {NULL, 0, 0}, 0};
        if (parse_run(p, depth, &right_run) != 0) {
            group_free(&right_run);
            goto failed_left;
        }
        query_node *right = finish_group(p, &right_run);
        if (!right)
            goto failed_left;
        left = make_not(p, left, right, op);
        if (!left)
            return p->rc;
    }
    return list_push(p, &and_group->pos, left);

failed_left:
    query_node_free(left);
    return p->rc;
failed:
    group_free(&run);
    return p->rc;
}

/* and := not ( "AND" not )* */
static query_node *parse_and(parser *p, int depth)
{
    group g = {{NULL, 0, 0}, {NULL, 0, 0}, 0};
    if (parse_not(p, depth, &g) != 0)
        goto failed;
    while (p->tok.kind == TOK_AND) {
        size_t op = p->tok.start;
        if (advance(p) != 0)
            goto failed;
        if (!can_start(p->tok.kind)) {
            fail(p, LPS_ESYNTAX, op, "AND needs a search term after it, found %s",
                 token_name(p->tok.kind));
            goto failed;
        }
        if (parse_not(p, depth, &g) != 0)
            goto failed;
    }
    if (g.pos.count == 0) {
        fail(p, LPS_ESYNTAX, g.first_minus,
             "nothing to search for: this part of the query only excludes; add a word to "
             "search for, as in chat -price");
        goto failed;
    }
    return finish_group(p, &g);

failed:
    group_free(&g);
    return NULL;
}

/* or := and ( "OR" and )*; stops at ')' or the end. */
static query_node *parse_or(parser *p, int depth)
{
    int k = p->tok.kind;
    if (!can_start(k)) {
        if (k == TOK_AND || k == TOK_OR)
            fail(p, LPS_ESYNTAX, p->tok.start, "%s needs a search term before it",
                 token_name(k));
        else if (k == TOK_NOT)
            fail(p, LPS_ESYNTAX, p->tok.start,
                 "NOT needs a search term before it: write chat NOT price, or chat -price");
        else if (k == TOK_RPAREN)
            fail(p, LPS_ESYNTAX, p->tok.start,
                 "unbalanced parentheses: this ')' has no matching '('");
        else
            fail(p, LPS_ESYNTAX, p->tok.start, "expected a search term, found %s",
                 token_name(k));
        return NULL;
    }
    node_list items = {NULL, 0, 0};
    for (;;) {
        query_node *n = parse_and(p, depth);
        if (!n || list_push(p, &items, n) != 0)
            goto failed;
        if (p->tok.kind != TOK_OR)
            break;
        size_t op = p->tok.start;
        if (advance(p) != 0)
            goto failed;
        if (!can_start(p->tok.kind)) {
            fail(p, LPS_ESYNTAX, op, "OR needs a search term after it, found %s",
                 token_name(p->tok.kind));
            goto failed;
        }
    }
    assert(p->tok.kind == TOK_RPAREN || p->tok.kind == TOK_EOF);
    return make_group_node(p, QUERY_OR, &items);

failed:
    list_free(&items);
    return NULL;
}

int query_parse(const char *text, size_t len, query_node **out, lps_error *err)
{
    if (out)
        *out = NULL;
    lps_error_clear(err);
    if (!out || (!text && len))
        return lps_error_set(err, LPS_EARG, NULL, -1, -1, "query_parse: no query or no out");
    if (len > QUERY_MAX_BYTES)
        return lps_error_set(err, LPS_ELIMIT, NULL, -1, QUERY_MAX_BYTES,
                             "query is %zu bytes long; the limit is %d (QUERY_MAX_BYTES)", len,
                             QUERY_MAX_BYTES);
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul)
        return lps_error_set(err, LPS_ESYNTAX, NULL, -1, (long long)(nul - text),
                             "the query holds a NUL byte");
    if (only_space((const unsigned char *)text, 0, len))
        return lps_error_set(err, LPS_ESYNTAX, NULL, -1, 0,
                             "empty query: type words or \"a phrase\" to search for");

    parser p;
    memset(&p, 0, sizeof p);
    p.text = (const unsigned char *)text;
    p.len = len;
    p.err = err;
    query_node *root = NULL;
    if (advance(&p) == 0)
        root = parse_or(&p, 0);
    if (root && p.tok.kind != TOK_EOF) {
        assert(p.tok.kind == TOK_RPAREN);
        fail(&p, LPS_ESYNTAX, p.tok.start,
             "unbalanced parentheses: this ')' has no matching '('");
        query_node_free(root);
        root = NULL;
    }
    if (!root) {
        assert(p.rc != 0);
        return p.rc;
    }
    assert(p.rc == 0 && !root->excluded);
    assert(node_end(root) <= len && tree_depth(root) <= QUERY_MAX_DEPTH);
    *out = root;
    return LPS_OK;
}

/* ---- Canonical form ------------------------------------------------------ */

typedef struct writer {
    char *buf;
    size_t size;
    size_t len; /* needed so far, may exceed size */
} writer;

static void put(writer *w, const char *s, size_t n)
{
    assert(w->buf || w->size == 0);
    if (w->size && w->len < w->size - 1) {
        size_t room = w->size - 1 - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void put_str(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_quoted(writer *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        put(w, s + run, i + 1 - run);
        put(w, "\"", 1);
        run = i + 1;
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

static const char *field_name(int field)
{
    for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++)
        if (known_fields[i].field == field)
            return known_fields[i].name;
    return "?";
}

static void format_node(writer *w, const query_node *n)
{
    char num[32];
    switch (n->kind) {
    case QUERY_WORD:
    case QUERY_PHRASE:
        put_quoted(w, n->text, n->text_len);
        if (n->prefix)
            put(w, "*", 1);
        if (n->kind == QUERY_PHRASE && n->slop >= 0) {
            snprintf(num, sizeof num, "~%d", n->slop);
            put_str(w, num);
        }
        return;
    case QUERY_FIELD:
        put_str(w, field_name(n->field));
        put(w, ":", 1);
        put_quoted(w, n->text, n->text_len);
        return;
    case QUERY_NEAR:
        snprintf(num, sizeof num, "(NEAR/%d", n->distance);
        put_str(w, num);
        break;
    case QUERY_AND: put_str(w, "(AND"); break;
    case QUERY_OR: put_str(w, "(OR"); break;
    case QUERY_NOT: put_str(w, "(NOT"); break;
    default: put_str(w, "(?"); break;
    }
    for (size_t i = 0; i < n->child_count; i++) {
        put(w, " ", 1);
        format_node(w, n->children[i]);
    }
    put(w, ")", 1);
}

size_t query_format(const query_node *n, char *buf, size_t size)
{
    writer w = {buf, buf ? size : 0, 0};
    if (n)
        format_node(&w, n);
    if (w.size)
        w.buf[w.len < w.size ? w.len : w.size - 1] = '\0';
    return w.len;
}
