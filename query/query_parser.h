/*
 * Query text to AST.  See query_ast.h for the grammar.
 */
#ifndef LPS_QUERY_PARSER_H
#define LPS_QUERY_PARSER_H

#include <stddef.h>

#include "lpsearch.h"
#include "query_ast.h"

/*
 * Parses text[0..len).  On success *out owns the tree (query_node_free).
 * On failure *out is NULL and err holds LPS_ESYNTAX (or LPS_ELIMIT for a
 * limit, LPS_ENOMEM) with err->offset the byte offset of the problem in the
 * query and err->message saying what is wrong there and how to fix it, e.g.
 * "unbalanced quote: the phrase opened here is never closed".
 *
 * err is cleared on entry and may be NULL; text may be NULL when len is 0;
 * a NULL out, or a NULL text with len > 0, is LPS_EARG.  The parser reads
 * text[0..len) only, never text[len].  Out of memory is LPS_ENOMEM with
 * err->offset -1 and nothing leaked.
 *
 * Semantic checks made here: a query (or an OR branch, or a parenthesized
 * group) must include something to search for, not only exclusions
 * ("-chat" alone, "NOT chat", "a OR -b" are errors); field names must be
 * known ("color:red" is an error listing the known fields); year and quarter
 * values must be numbers in range.
 */
int query_parse(const char *text, size_t len, query_node **out, lps_error *err);

/*
 * Writes a one-line canonical form of the tree (for tests and --explain),
 * e.g. (OR (AND "proactive" "chat") (NOT "a" "b")):
 *   WORD     "chat"            prefix: "chat"*
 *   PHRASE   "proactive chat"  prefix: "proactive ch"*   slop: "a b"~3
 *            (a word and a one-word phrase look the same: "chat")
 *   FIELD    speaker:"tim bixby"   (field name in lower case)
 *   NEAR     (NEAR/10 "a" "b c")   (the distance is always written)
 *   AND, OR  (AND x y ...), (OR x y ...)
 *   NOT      (NOT x y)             x minus y
 * Operands are separated by one space.  Texts are written between double
 * quotes, with a '"' doubled and every other byte as it is (a phrase holding
 * a line break is written with it).  Writes at most size bytes, always
 * NUL-terminated when size > 0 (buf may be NULL when size is 0); returns the
 * length the whole form needs, not counting the NUL, like snprintf.  A NULL
 * n writes "".  This form is not query syntax: operators are prefix.
 */
size_t query_format(const query_node *n, char *buf, size_t size);

#endif
