/*
 * The parsed form of a query, before analysis: what the user wrote, with
 * every node's place in the query text so errors and explanations can point
 * at it.  query_parse (query_parser.c) builds it; query_plan.c analyzes the
 * words and turns it into posting iterators.
 *
 * Grammar.  Precedence is FTS5's, as its documentation states it: operands
 * written side by side (a run) are an implicit AND that binds tighter than
 * every operator, NOT included; then NOT, then AND, then OR.  So
 * `a b NOT c` is (a b) NOT c, `a NOT b c` is a NOT (b c), `a NOT b AND c`
 * is (a NOT b) AND c and `a OR b c` is a OR (b c).  Unlike FTS5, a
 * parenthesized group may stand in a run: `(a OR b) c`.
 *
 *   query    := or
 *   or       := and ( "OR" and )*
 *   and      := not ( "AND" not )*
 *   not      := run ( "NOT" run )*            -- a NOT b NOT c = (a NOT b) NOT c
 *   run      := unary unary*                  -- adjacency is AND
 *   unary    := "-" primary                   -- exclusion shorthand
 *             | primary
 *   primary  := "(" or ")"
 *             | NEAR "(" phrase phrase+ [ "," N ] ")"   -- N defaults to 10
 *             | FIELD ":" ( value | quoted )    -- speaker: role: firm:
 *                                               -- company: year: quarter:
 *             | quoted ["*"] [ "~" N ]          -- "a b"~N: within N tokens
 *             | word [ "*" ]                    -- chat* is a prefix
 *   quoted   := '"' text '"'  (a '*' right after the closing quote makes the
 *               phrase's last word a prefix; "" inside quotes is a literal ")
 *   phrase   := quoted ["*"] | word ["*"]     -- no ~N inside NEAR
 *
 * Operators are the upper-case words AND, OR, NOT and NEAR; in any other
 * case they are ordinary words.  A word is a run of characters other than
 * white space (ASCII) and the characters ( ) " (and ',' inside NEAR(...));
 * it may hold '-', '$', '.', '\'', ':' and so on, which the analyzer then
 * splits: `LivePerson's` becomes the phrase "liveperson s", `$6.9` the
 * phrase "6 9", `follow-up` "follow up".  Bytes that are not valid UTF-8
 * are word characters too; a NUL byte is an error.
 *
 * Lexical rules:
 *   - '*' may only end a word or follow a closing quote: `ch*at`, `*a`,
 *     `a**` and a lone `*` are errors.  '~N' must follow a closing quote
 *     directly; a word may not start with '~'.  A closing quote (with its
 *     '*' and '~N') must be followed by white space, '(' , ')' or the end.
 *   - A '-' starts an exclusion only at the start of a word and only when
 *     something follows it directly (`-price`, `-"a b"`, `-(a OR b)`); a
 *     lone '-' is an error.
 *   - A word is a field filter when it starts with ASCII letters followed
 *     by ':' that is not followed by '/' or ':'.  The name is matched
 *     without regard to case and must be a known field (`color:red` is an
 *     error: quote it to search the text); `10:30`, `q1:x`, `http://x` and
 *     `std::map` are plain words.  The value follows the ':' directly, bare
 *     (up to white space, '(' , ')' or '"') or quoted, and is kept verbatim
 *     (unescaped when quoted).  year: takes 1900..2100 or a range
 *     lo..hi with lo <= hi; quarter: takes 1..4 or Q1..Q4 in either case.
 *
 * Exclusions.  `-x` removes x from the run it stands in, or, when that run
 * holds nothing but exclusions (`a AND -b`), from the enclosing AND.  All
 * the exclusions of one group become one NOT whose right side is their OR:
 * `a b -c` is (NOT (AND a b) c), `a -b -c` is (NOT a (OR b c)), and, as
 * the run binds tighter than NOT, `a NOT b -c` is (NOT a (NOT b c)).  A
 * group that only excludes (`-a`, `(-a)`, `a OR -b`) is an error, and so is
 * a run of nothing but exclusions on either side of NOT (`-a NOT b`,
 * `a NOT -b`); `x -a NOT b` is (NOT (NOT x a) b).
 *
 * Shape of the tree: AND and OR have two or more children and never a
 * child of their own kind (single operands collapse, nested ones flatten);
 * NOT has exactly two; NEAR has two or more WORD/PHRASE children.  Spans: a
 * leaf spans its text as written (quotes, '*', '~N' and "field:" included);
 * an excluded node's span starts at its '-'; an AND, OR or NOT that came
 * from parentheses spans them; any other AND, OR or NOT spans from the start
 * of its first operand in the text to the end of its last.  No path from
 * the root holds more than QUERY_MAX_DEPTH operator nodes (AND, OR, NOT,
 * NEAR), so recursive walks over a parsed tree are bounded.
 */
#ifndef LPS_QUERY_AST_H
#define LPS_QUERY_AST_H

#include <stddef.h>

enum query_node_kind {
    QUERY_WORD = 1,   /* text: one bare word (may analyze to several tokens) */
    QUERY_PHRASE,     /* text: the quoted text; slop: -1 exact, else "~N" */
    QUERY_NEAR,       /* children: WORD/PHRASE nodes; distance */
    QUERY_AND,        /* children: two or more */
    QUERY_OR,         /* children: two or more */
    QUERY_NOT,        /* children[0] minus children[1] */
    QUERY_FIELD       /* field, text: the value (quoted or bare) */
};

enum query_field {
    QUERY_FIELD_SPEAKER = 1, /* the speaker's name or label */
    QUERY_FIELD_ROLE,        /* "CEO", "Analyst", "President & CFO"... */
    QUERY_FIELD_FIRM,        /* an analyst's firm */
    QUERY_FIELD_COMPANY,     /* the company or its ticker */
    QUERY_FIELD_YEAR,        /* fiscal year: 2014, or a range 2014..2016 */
    QUERY_FIELD_QUARTER      /* fiscal quarter: 1..4 or Q1..Q4 */
};

typedef struct query_node {
    int kind;                 /* enum query_node_kind */
    size_t offset, length;    /* byte span in the query text */
    char *text;               /* WORD, PHRASE, FIELD: NUL-terminated, unescaped; owned */
    size_t text_len;
    int prefix;               /* WORD: "chat*"; PHRASE: last word is a prefix */
    int slop;                 /* PHRASE: -1 exact, else N of "..."~N */
    int distance;             /* NEAR: N */
    int field;                /* FIELD: enum query_field */
    int excluded;             /* written with the '-' shorthand (for messages) */
    struct query_node **children; /* owned */
    size_t child_count;
} query_node;

/* Limits, each reported with its own message. */
#define QUERY_MAX_BYTES 4096   /* longest query text */
#define QUERY_MAX_DEPTH 32     /* nesting of parentheses and operators */
#define QUERY_MAX_NODES 256    /* words, phrases and filters in all */
#define QUERY_MAX_DISTANCE 1000 /* N of NEAR and ~N */

/* Frees n and everything under it.  Accepts NULL. */
void query_node_free(query_node *n);

#endif
