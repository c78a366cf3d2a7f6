#include "highlighter.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct span_list {
    lps_span *s;
    size_t n, cap;
    int failed;
} span_list;

static void add_span(span_list *l, uint32_t start, uint32_t end)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        lps_span *grown = lps_realloc(l->s, cap * sizeof *grown);
        if (!grown) {
            l->failed = 1;
            return;
        }
        l->s = grown;
        l->cap = cap;
    }
    l->s[l->n].start = start;
    l->s[l->n].end = end;
    l->n++;
}

/* Whether the token's term is one the slot accepts: a binary search, as a
 * prefix may expand to thousands of terms (in byte order, query_plan.h). */
static int slot_accepts(const plan_slot *slot, const char *term, size_t len)
{
    size_t lo = 0, hi = slot->term_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const plan_expansion *e = &slot->terms[mid];
        int r = memcmp(e->term, term, e->len < len ? e->len : len);
        if (r == 0)
            r = e->len < len ? -1 : e->len > len;
        if (r == 0)
            return 1;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int token_in_slot(const analyzer_result *r, size_t t, const plan_slot *slot)
{
    const analyzer_token *tok = &r->tokens[t];
    return slot_accepts(slot, r->terms + tok->term_off, tok->term_len);
}

/* Marks every occurrence of a TERM or PHRASE node. */
static void mark_words(const plan_node *n, const analyzer_result *r, span_list *out)
{
    size_t k = n->slot_count;
    if (k == 0)
        return;
    for (size_t t = 0; t + k <= r->count; t++) {
        size_t j = 0;
        while (j < k && token_in_slot(r, t + j, &n->slots[j]))
            j++;
        if (j == k)
            add_span(out, r->tokens[t].start, r->tokens[t + k - 1].end);
    }
}

static void mark(const plan_node *n, const analyzer_result *r, span_list *out)
{
    switch (n->kind) {
    case PLAN_TERM:
    case PLAN_PHRASE:
        mark_words(n, r, out);
        break;
    case PLAN_NOT:
        mark(n->children[0], r, out);
        break;
    case PLAN_FILTER:
        break;
    default:
        for (size_t i = 0; i < n->child_count; i++)
            mark(n->children[i], r, out);
    }
}

static int compare_spans(const void *a, const void *b)
{
    const lps_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

int highlight_text(const query_plan *plan, analyzer *a, const char *text, size_t len, lps_span **spans,
                   size_t *count)
{
    *spans = NULL;
    *count = 0;
    analyzer_result r;
    int rc = analyzer_tokenize(a, text, len, &r);
    if (rc != LPS_OK)
        return rc;
    span_list l = {0};
    mark(plan->root, &r, &l);
    if (l.failed) {
        lps_free(l.s);
        return LPS_ENOMEM;
    }
    if (l.n == 0)
        return LPS_OK;
    qsort(l.s, l.n, sizeof *l.s, compare_spans);
    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (kept > 0 && l.s[i].start <= l.s[kept - 1].end) {
            if (l.s[i].end > l.s[kept - 1].end)
                l.s[kept - 1].end = l.s[i].end;
            continue;
        }
        l.s[kept++] = l.s[i];
    }
    *spans = l.s;
    *count = kept;
    return LPS_OK;
}
