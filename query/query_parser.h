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
 * Semantic checks made here: a query (or an OR branch, or a parenthesized
 * group) must include something to search for, not only exclusions
 * ("-chat" alone, "NOT chat", "a OR -b" are errors); field names must be
 * known ("color:red" is an error listing the known fields); year and quarter
 * values must be numbers in range.
 */
int query_parse(const char *text, size_t len, query_node **out, lps_error *err);

/* Writes a one-line canonical form of the tree (for tests and --explain),
 * e.g. (OR (AND "proactive" "chat") (NOT "a" "b")).  Returns the length it
 * needed, like snprintf. */
size_t query_format(const query_node *n, char *buf, size_t size);

#endif
