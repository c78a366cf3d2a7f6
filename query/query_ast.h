/*
 * The parsed form of a query, before analysis: what the user wrote, with
 * every node's place in the query text so errors and explanations can point
 * at it.  query_parse (query_parser.c) builds it; query_plan.c analyzes the
 * words and turns it into posting iterators.
 *
 * Grammar (FTS5's precedence: NOT binds tightest, then AND, then OR; a run
 * of operands without an operator is an AND):
 *
 *   query    := or
 *   or       := and ( "OR" and )*
 *   and      := not ( ["AND"] not )*          -- adjacency is AND
 *   not      := unary ( "NOT" unary )*        -- binary: a NOT b NOT c
 *   unary    := "-" primary                   -- exclusion shorthand
 *             | primary
 *   primary  := "(" or ")"
 *             | NEAR "(" phrase+ [ "," N ] ")"   -- N defaults to 10
 *             | FIELD ":" ( word | quoted )     -- speaker: role: firm:
 *                                               -- company: year: quarter:
 *             | quoted [ "~" N ]                -- "a b"~N: within N tokens
 *             | word [ "*" ]                    -- chat* is a prefix
 *   quoted   := '"' text '"'  (a '*' right after the last word makes the
 *               phrase's last word a prefix; "" inside quotes is a literal ")
 *   phrase   := quoted | word ["*"]
 *
 * Operators are the upper-case words AND, OR, NOT and NEAR; in any other
 * case they are ordinary words.  A word is a run of characters other than
 * white space and the characters ( ) " ; it may hold '-', '$', '.', '\''
 * and so on, which the analyzer then splits: `LivePerson's` becomes the
 * phrase "liveperson s", `$6.9` the phrase "6 9", `follow-up` "follow up".
 * A '-' starts an exclusion only at the start of a word.
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

void query_node_free(query_node *n);

#endif
