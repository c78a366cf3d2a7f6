/*
 * Which bytes of a hit's sentence the query matched: every occurrence of a
 * query term (or of an expansion of a prefix), and every occurrence of a
 * phrase as one span from its first word to its last.  Words under the
 * right side of a NOT are not highlighted: they did not match.
 */
#ifndef LPS_HIGHLIGHTER_H
#define LPS_HIGHLIGHTER_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "lpsearch.h"
#include "query_plan.h"

/*
 * Computes the spans of text[0..len) into *spans (allocated with lps_malloc,
 * ascending, merged where they touch or overlap) and their count.  Returns
 * an lps_status.
 */
int highlight_text(const query_plan *plan, analyzer *a, const char *text, size_t len, lps_span **spans,
                   size_t *count);

#endif
