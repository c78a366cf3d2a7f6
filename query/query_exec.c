/*
 * Posting iterators over one segment.  See query_exec.h.
 */
#include "query_exec.h"

#include "alloc.h"
#include "conjunction.h"
#include "error_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void set_error(exec_ctx *ctx, int status)
{
    if (ctx->status == LPS_OK)
        ctx->status = status;
}

static double doc_length(const exec_ctx *ctx, uint32_t doc)
{
    return (double)segment_doc_length(ctx->ss->seg, doc);
}

/* ---- Slots: one word position, one term or a prefix's expansions ------- */

typedef struct slot_cursor {
    posting_cursor *pc;   /* one per expansion present in this segment */
    double *idf;
    uint32_t *expansion;  /* index in the plan slot's terms */
    uint32_t n;
    uint32_t *heap;       /* cursors ahead of doc, a min-heap on their doc */
    uint32_t heap_n;
    uint32_t *cur;        /* cursors on doc */
    uint32_t cur_n;
    uint32_t doc;
    uint32_t *pos;        /* merged positions of doc (more than one cursor) */
    size_t pos_n, pos_cap;
    uint32_t pos_doc;
    uint32_t max_freq, min_length;
    double upper;         /* bound on the slot's term score in this segment */
    uint64_t cost;
} slot_cursor;

static uint32_t pc_doc(const slot_cursor *s, uint32_t i)
{
    return s->pc[i].doc;
}

static void heap_push(slot_cursor *s, uint32_t i)
{
    uint32_t k = s->heap_n++;
    while (k > 0) {
        uint32_t parent = (k - 1) / 2;
        if (pc_doc(s, s->heap[parent]) <= pc_doc(s, i))
            break;
        s->heap[k] = s->heap[parent];
        k = parent;
    }
    s->heap[k] = i;
}

static uint32_t heap_pop(slot_cursor *s)
{
    uint32_t top = s->heap[0];
    uint32_t last = s->heap[--s->heap_n];
    uint32_t k = 0;
    for (;;) {
        uint32_t child = 2 * k + 1;
        if (child >= s->heap_n)
            break;
        if (child + 1 < s->heap_n && pc_doc(s, s->heap[child + 1]) < pc_doc(s, s->heap[child]))
            child++;
        if (pc_doc(s, s->heap[child]) >= pc_doc(s, last))
            break;
        s->heap[k] = s->heap[child];
        k = child;
    }
    if (s->heap_n > 0)
        s->heap[k] = last;
    return top;
}

/* Moves every cursor on the smallest document into cur. */
static void slot_settle(slot_cursor *s)
{
    s->cur_n = 0;
    if (s->heap_n == 0) {
        s->doc = QITER_END;
        return;
    }
    s->doc = pc_doc(s, s->heap[0]);
    while (s->heap_n > 0 && pc_doc(s, s->heap[0]) == s->doc)
        s->cur[s->cur_n++] = heap_pop(s);
}

static void slot_check(exec_ctx *ctx, int r)
{
    if (r < 0)
        set_error(ctx, r == -LPS_ENOMEM ? LPS_ENOMEM : LPS_ECORRUPT);
}

static void slot_next(exec_ctx *ctx, slot_cursor *s)
{
    for (uint32_t k = 0; k < s->cur_n; k++) {
        uint32_t i = s->cur[k];
        int r = posting_cursor_next(&s->pc[i]);
        slot_check(ctx, r);
        if (r > 0)
            heap_push(s, i);
    }
    slot_settle(s);
}

static void slot_advance(exec_ctx *ctx, slot_cursor *s, uint32_t target)
{
    if (s->doc >= target)
        return;
    for (uint32_t k = 0; k < s->cur_n; k++) {
        uint32_t i = s->cur[k];
        int r = posting_cursor_advance(&s->pc[i], target);
        slot_check(ctx, r);
        if (r > 0)
            heap_push(s, i);
    }
    s->cur_n = 0;
    while (s->heap_n > 0 && pc_doc(s, s->heap[0]) < target) {
        uint32_t i = heap_pop(s);
        int r = posting_cursor_advance(&s->pc[i], target);
        slot_check(ctx, r);
        if (r > 0)
            heap_push(s, i);
    }
    slot_settle(s);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Positions of the slot's document, ascending; count in *n. */
static const uint32_t *slot_positions(exec_ctx *ctx, slot_cursor *s, size_t *n)
{
    *n = 0;
    if (s->doc == QITER_END)
        return NULL;
    if (s->cur_n == 1) {
        const uint32_t *p;
        int r = posting_cursor_positions(&s->pc[s->cur[0]], &p);
        if (r < 0) {
            slot_check(ctx, r);
            return NULL;
        }
        *n = (size_t)r;
        return p;
    }
    if (s->pos_doc == s->doc && s->pos)
        return *n = s->pos_n, s->pos;
    s->pos_n = 0;
    for (uint32_t k = 0; k < s->cur_n; k++) {
        const uint32_t *p;
        int r = posting_cursor_positions(&s->pc[s->cur[k]], &p);
        if (r < 0) {
            slot_check(ctx, r);
            return NULL;
        }
        if (s->pos_n + (size_t)r > s->pos_cap) {
            size_t cap = (s->pos_n + (size_t)r) * 2;
            uint32_t *grown = lps_realloc(s->pos, cap * sizeof *grown);
            if (!grown) {
                set_error(ctx, LPS_ENOMEM);
                return NULL;
            }
            s->pos = grown;
            s->pos_cap = cap;
        }
        memcpy(s->pos + s->pos_n, p, (size_t)r * sizeof *p);
        s->pos_n += (size_t)r;
    }
    /* Distinct terms never share a position, so no duplicates appear. */
    qsort(s->pos, s->pos_n, sizeof *s->pos, compare_u32);
    s->pos_doc = s->doc;
    *n = s->pos_n;
    return s->pos;
}

/* Sum of the expansions' term scores at the slot's document. */
static double slot_term_score(const exec_ctx *ctx, const slot_cursor *s)
{
    const bm25_params *p = &ctx->plan->bm25;
    double length = doc_length(ctx, s->doc), norm = bm25_norm(p, length), score = 0;
    /* In expansion order, so the sum does not depend on the heap. */
    if (s->cur_n == 1) {
        double tf = posting_cursor_freq(&s->pc[s->cur[0]]);
        return s->idf[s->cur[0]] * (tf / (tf + norm));
    }
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->pc[i].doc != s->doc)
            continue;
        double tf = posting_cursor_freq(&s->pc[i]);
        score += s->idf[i] * (tf / (tf + norm));
    }
    return score;
}

static void slot_close(slot_cursor *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        posting_cursor_close(&s->pc[i]);
    lps_free(s->pc);
    lps_free(s->idf);
    lps_free(s->expansion);
    lps_free(s->heap);
    lps_free(s->cur);
    lps_free(s->pos);
    memset(s, 0, sizeof *s);
}

static int slot_open(exec_ctx *ctx, slot_cursor *s, const plan_slot *slot)
{
    memset(s, 0, sizeof *s);
    s->doc = QITER_END;
    s->min_length = UINT32_MAX;
    size_t cap = slot->term_count ? slot->term_count : 1;
    s->pc = lps_calloc(cap, sizeof *s->pc);
    s->idf = lps_calloc(cap, sizeof *s->idf);
    s->expansion = lps_calloc(cap, sizeof *s->expansion);
    s->heap = lps_calloc(cap, sizeof *s->heap);
    s->cur = lps_calloc(cap, sizeof *s->cur);
    if (!s->pc || !s->idf || !s->expansion || !s->heap || !s->cur) {
        slot_close(s);
        return LPS_ENOMEM;
    }
    const segment *seg = ctx->ss->seg;
    const bm25_params *p = &ctx->plan->bm25;
    for (size_t i = 0; i < slot->term_count; i++) {
        const plan_expansion *e = &slot->terms[i];
        term_info ti;
        int r = segment_term_lookup(seg, e->term, e->len, &ti);
        if (r < 0) {
            slot_close(s);
            return LPS_ECORRUPT;
        }
        if (r == 0)
            continue;
        uint32_t k = s->n;
        r = posting_cursor_open(&s->pc[k], seg, &ti);
        if (r < 0) {
            s->n++;
            slot_close(s);
            return r == -LPS_ENOMEM ? LPS_ENOMEM : LPS_ECORRUPT;
        }
        s->idf[k] = e->idf;
        s->expansion[k] = (uint32_t)i;
        s->n++;
        s->cost += ti.df;
        if (ti.max_freq > s->max_freq)
            s->max_freq = ti.max_freq;
        if (ti.min_length < s->min_length)
            s->min_length = ti.min_length;
        s->upper += e->idf * bm25_tf_part(p, ti.max_freq, ti.min_length);
        heap_push(s, k);
    }
    slot_settle(s);
    return LPS_OK;
}

/* A slot of one cursor that a conjunction moved: its state follows the
 * cursor (no heap: the one cursor is on the slot's document or at the end). */
static int slot_is_single(const slot_cursor *s)
{
    return s->n == 1;
}

static void slot_follow_cursor(slot_cursor *s)
{
    assert(s->n == 1);
    s->doc = s->pc[0].doc;
    s->heap_n = 0;
    s->cur[0] = 0;
    s->cur_n = s->doc != QITER_END;
}

/* ---- Term ---------------------------------------------------------------- */

typedef struct term_iter {
    qiter base;
    slot_cursor slot;
} term_iter;

static void term_next(qiter *it)
{
    term_iter *t = (term_iter *)it;
    slot_next(it->ctx, &t->slot);
    it->doc = t->slot.doc;
}

static void term_advance(qiter *it, uint32_t target)
{
    term_iter *t = (term_iter *)it;
    slot_advance(it->ctx, &t->slot, target);
    it->doc = t->slot.doc;
}

static double term_score(qiter *it)
{
    term_iter *t = (term_iter *)it;
    return it->node->scoring ? slot_term_score(it->ctx, &t->slot) : 0.0;
}

static void term_free(qiter *it)
{
    term_iter *t = (term_iter *)it;
    slot_close(&t->slot);
    lps_free(t);
}

static const qiter_ops term_ops = {term_next, term_advance, term_score, term_free};

static qiter *build_term(exec_ctx *ctx, const plan_node *node)
{
    term_iter *t = lps_calloc(1, sizeof *t);
    if (!t) {
        set_error(ctx, LPS_ENOMEM);
        return NULL;
    }
    int rc = slot_open(ctx, &t->slot, &node->slots[0]);
    if (rc != LPS_OK) {
        set_error(ctx, rc);
        lps_free(t);
        return NULL;
    }
    t->base.ops = &term_ops;
    t->base.ctx = ctx;
    t->base.node = node;
    t->base.doc = t->slot.doc;
    t->base.cost = t->slot.cost;
    t->base.upper = node->scoring ? t->slot.upper : 0.0;
    return &t->base;
}

/* ---- Phrases and NEAR groups --------------------------------------------- */

typedef struct pos_member {
    const plan_node *node; /* TERM or PHRASE */
    slot_cursor *slots;
    uint32_t nslots;
    uint32_t *starts;      /* instances at the current document */
    size_t nstarts, cap;
} pos_member;

typedef struct pos_iter {
    qiter base;
    pos_member *members;
    uint32_t nmembers;
    int near;
    uint32_t distance;
    slot_cursor **all;     /* every slot of every member, rarest first */
    uint32_t nall;
    uint32_t *idx;         /* scratch for the window sweep */
    /* When every slot is one term, candidates come from a conjunction of
     * their cursors (conj.window non-NULL), else from leapfrogging slots. */
    conjunction conj;
    posting_cursor **conj_cursors;
} pos_iter;

static int push_start(exec_ctx *ctx, pos_member *m, uint32_t start)
{
    if (m->nstarts == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        uint32_t *grown = lps_realloc(m->starts, cap * sizeof *grown);
        if (!grown) {
            set_error(ctx, LPS_ENOMEM);
            return -1;
        }
        m->starts = grown;
        m->cap = cap;
    }
    m->starts[m->nstarts++] = start;
    return 0;
}

/* The member's instances (start positions) at the current document. */
static void member_instances(exec_ctx *ctx, pos_member *m)
{
    m->nstarts = 0;
    size_t n0;
    const uint32_t *p0 = slot_positions(ctx, &m->slots[0], &n0);
    if (m->nslots == 1) {
        for (size_t i = 0; i < n0; i++)
            if (push_start(ctx, m, p0[i]) != 0)
                return;
        return;
    }
    /* Positions of later slots must follow at +1, +2, ...: walk them in step. */
    const uint32_t *p[64];
    size_t n[64], at[64] = {0};
    uint32_t k = m->nslots < 64 ? m->nslots : 64;
    for (uint32_t j = 1; j < k; j++)
        p[j] = slot_positions(ctx, &m->slots[j], &n[j]);
    for (size_t i = 0; i < n0; i++) {
        uint32_t start = p0[i];
        int ok = 1;
        for (uint32_t j = 1; j < k && ok; j++) {
            uint64_t want = (uint64_t)start + j;
            while (at[j] < n[j] && p[j][at[j]] < want)
                at[j]++;
            ok = at[j] < n[j] && p[j][at[j]] == want;
        }
        if (ok && push_start(ctx, m, start) != 0)
            return;
    }
}

/*
 * FTS5's NEAR rule: pick one instance of every member; the largest start
 * minus the smallest end, minus one, must be at most distance (the tokens
 * between the instance that ends first and the one that starts last; an
 * instance inside another counts from its own end, as FTS5 checks every
 * member against the last start).  Instances of a member have one length,
 * so their ends ascend with their starts: advancing the member that ends
 * first is the only move that can shrink the window, and the sweep visits
 * every minimal one.
 */
static int near_window(pos_iter *it)
{
    uint32_t *idx = it->idx;
    for (uint32_t i = 0; i < it->nmembers; i++)
        idx[i] = 0;
    for (;;) {
        uint32_t first_end = 0;
        int64_t min_end = INT64_MAX, max_start = -1;
        for (uint32_t i = 0; i < it->nmembers; i++) {
            int64_t start = it->members[i].starts[idx[i]];
            int64_t end = start + it->members[i].nslots - 1;
            if (end < min_end) {
                min_end = end;
                first_end = i;
            }
            if (start > max_start)
                max_start = start;
        }
        if (max_start - min_end - 1 <= (int64_t)it->distance)
            return 1;
        if (++idx[first_end] >= it->members[first_end].nstarts)
            return 0;
    }
}

/* Whether the current document (all slots on it) satisfies the positions. */
static int pos_matches(pos_iter *it)
{
    for (uint32_t m = 0; m < it->nmembers; m++) {
        member_instances(it->base.ctx, &it->members[m]);
        if (it->members[m].nstarts == 0)
            return 0;
    }
    return it->near ? near_window(it) : 1;
}

/* The next document >= target where all slots agree and the positions
 * match: candidates from the conjunction of the slots' cursors. */
static void pos_seek_conjunction(pos_iter *it, uint32_t target)
{
    exec_ctx *ctx = it->base.ctx;
    for (uint32_t candidate = target;; candidate++) {
        candidate = conjunction_seek(&it->conj, candidate);
        for (uint32_t i = 0; i < it->nall; i++)
            slot_follow_cursor(it->all[i]);
        if (it->conj.status)
            set_error(ctx, it->conj.status);
        if (candidate == QITER_END || ctx->status) {
            it->base.doc = QITER_END;
            return;
        }
        if (pos_matches(it)) {
            it->base.doc = candidate;
            return;
        }
        if (ctx->status || candidate == QITER_END - 1) {
            it->base.doc = QITER_END;
            return;
        }
    }
}

/* Leapfrog the slots to the next document >= target where all agree and the
 * positions match. */
static void pos_seek(pos_iter *it, uint32_t target)
{
    if (it->conj.window) {
        pos_seek_conjunction(it, target);
        return;
    }
    exec_ctx *ctx = it->base.ctx;
    uint32_t candidate = target;
    for (;;) {
        int agreed = 1;
        for (uint32_t i = 0; i < it->nall; i++) {
            slot_advance(ctx, it->all[i], candidate);
            uint32_t d = it->all[i]->doc;
            if (d == QITER_END || ctx->status) {
                it->base.doc = QITER_END;
                return;
            }
            if (d > candidate) {
                candidate = d;
                agreed = 0;
                break;
            }
        }
        if (!agreed)
            continue;
        if (pos_matches(it)) {
            it->base.doc = candidate;
            return;
        }
        if (ctx->status) {
            it->base.doc = QITER_END;
            return;
        }
        candidate++;
        if (candidate == QITER_END) {
            it->base.doc = QITER_END;
            return;
        }
    }
}

static void pos_next(qiter *base)
{
    if (base->doc == QITER_END)
        return;
    pos_seek((pos_iter *)base, base->doc + 1);
}

static void pos_advance(qiter *base, uint32_t target)
{
    pos_seek((pos_iter *)base, target);
}

/* A member's score: a one-word member scores as its term (each expansion a
 * unit); a phrase as one unit whose frequency is its instance count. */
static double member_score(exec_ctx *ctx, const pos_member *m, uint32_t doc)
{
    if (m->nslots == 1)
        return slot_term_score(ctx, &m->slots[0]);
    const bm25_params *p = &ctx->plan->bm25;
    return m->node->idf * bm25_tf_part(p, (double)m->nstarts, doc_length(ctx, doc));
}

static double pos_score(qiter *base)
{
    pos_iter *it = (pos_iter *)base;
    double score = 0;
    for (uint32_t m = 0; m < it->nmembers; m++)
        if (it->members[m].node->scoring)
            score += member_score(base->ctx, &it->members[m], base->doc);
    return score;
}

static void pos_free(qiter *base)
{
    pos_iter *it = (pos_iter *)base;
    /* members is NULL when its allocation failed in build_positional. */
    for (uint32_t m = 0; it->members && m < it->nmembers; m++) {
        for (uint32_t s = 0; s < it->members[m].nslots; s++)
            slot_close(&it->members[m].slots[s]);
        lps_free(it->members[m].slots);
        lps_free(it->members[m].starts);
    }
    lps_free(it->members);
    lps_free(it->all);
    lps_free(it->idx);
    conjunction_free(&it->conj);
    lps_free(it->conj_cursors);
    lps_free(it);
}

static const qiter_ops pos_ops = {pos_next, pos_advance, pos_score, pos_free};

static int compare_slot_cost(const void *a, const void *b)
{
    const slot_cursor *x = *(slot_cursor *const *)a, *y = *(slot_cursor *const *)b;
    return x->cost < y->cost ? -1 : x->cost > y->cost;
}

static double member_upper(const exec_ctx *ctx, const pos_member *m)
{
    if (!m->node->scoring)
        return 0;
    if (m->nslots == 1)
        return m->slots[0].upper;
    /* A phrase occurs at most as often as its rarest word, in a document at
     * least as long as its longest shortest-document. */
    uint32_t max_freq = UINT32_MAX, min_length = 0;
    for (uint32_t s = 0; s < m->nslots; s++) {
        if (m->slots[s].max_freq < max_freq)
            max_freq = m->slots[s].max_freq;
        if (m->slots[s].min_length != UINT32_MAX && m->slots[s].min_length > min_length)
            min_length = m->slots[s].min_length;
    }
    if (max_freq == UINT32_MAX || max_freq == 0)
        return 0;
    return m->node->idf * bm25_tf_part(&ctx->plan->bm25, max_freq, min_length);
}

static qiter *build_positional(exec_ctx *ctx, const plan_node *node)
{
    pos_iter *it = lps_calloc(1, sizeof *it);
    if (!it) {
        set_error(ctx, LPS_ENOMEM);
        return NULL;
    }
    it->base.ops = &pos_ops;
    it->base.ctx = ctx;
    it->base.node = node;
    it->near = node->kind == PLAN_NEAR;
    it->distance = (uint32_t)node->distance;
    const plan_node *const *members = it->near ? (const plan_node *const *)node->children : &node;
    it->nmembers = it->near ? (uint32_t)node->child_count : 1;
    it->members = lps_calloc(it->nmembers, sizeof *it->members);
    it->idx = lps_calloc(it->nmembers, sizeof *it->idx);
    uint32_t total = 0;
    for (uint32_t m = 0; m < it->nmembers; m++)
        total += (uint32_t)members[m]->slot_count;
    it->all = lps_calloc(total ? total : 1, sizeof *it->all);
    int rc = it->members && it->idx && it->all ? LPS_OK : LPS_ENOMEM;
    for (uint32_t m = 0; m < it->nmembers && rc == LPS_OK; m++) {
        pos_member *pm = &it->members[m];
        pm->node = members[m];
        pm->slots = lps_calloc(members[m]->slot_count, sizeof *pm->slots);
        if (!pm->slots) {
            rc = LPS_ENOMEM;
            break;
        }
        for (size_t s = 0; s < members[m]->slot_count && rc == LPS_OK; s++) {
            rc = slot_open(ctx, &pm->slots[s], &members[m]->slots[s]);
            if (rc == LPS_OK) {
                pm->nslots++;
                it->all[it->nall++] = &pm->slots[s];
            }
        }
    }
    if (rc != LPS_OK) {
        set_error(ctx, rc);
        pos_free(&it->base);
        return NULL;
    }
    qsort(it->all, it->nall, sizeof *it->all, compare_slot_cost);
    it->base.cost = it->nall ? it->all[0]->cost : 0;
    int single = it->nall > 0;
    for (uint32_t i = 0; i < it->nall; i++)
        single &= slot_is_single(it->all[i]);
    if (single) {
        it->conj_cursors = lps_calloc(it->nall, sizeof *it->conj_cursors);
        rc = it->conj_cursors ? LPS_OK : LPS_ENOMEM;
        for (uint32_t i = 0; i < it->nall && rc == LPS_OK; i++)
            it->conj_cursors[i] = &it->all[i]->pc[0];
        if (rc == LPS_OK)
            rc = conjunction_init(&it->conj, it->conj_cursors, it->nall);
        if (rc != LPS_OK) {
            set_error(ctx, rc);
            pos_free(&it->base);
            return NULL;
        }
    }
    for (uint32_t m = 0; m < it->nmembers; m++)
        it->base.upper += member_upper(ctx, &it->members[m]);
    pos_seek(it, 0);
    return &it->base;
}

/* ---- Materialized phrase matches ------------------------------------------- */

typedef struct list_iter {
    qiter base;
    const uint32_t *docs, *freqs;
    size_t n, at;
} list_iter;

static void list_set(list_iter *l)
{
    l->base.doc = l->at < l->n ? l->docs[l->at] : QITER_END;
}

static void list_next(qiter *base)
{
    list_iter *l = (list_iter *)base;
    if (l->at < l->n)
        l->at++;
    list_set(l);
}

static void list_advance(qiter *base, uint32_t target)
{
    list_iter *l = (list_iter *)base;
    /* Gallop, then binary search: targets are usually near. */
    size_t lo = l->at, step = 1, hi = lo;
    while (hi < l->n && l->docs[hi] < target) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > l->n)
        hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->docs[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    l->at = lo;
    list_set(l);
}

static double list_score(qiter *base)
{
    list_iter *l = (list_iter *)base;
    if (!base->node->scoring)
        return 0;
    const bm25_params *p = &base->ctx->plan->bm25;
    return base->node->idf * bm25_tf_part(p, (double)l->freqs[l->at], doc_length(base->ctx, base->doc));
}

static void list_free(qiter *base)
{
    lps_free(base);
}

static const qiter_ops list_ops = {list_next, list_advance, list_score, list_free};

static qiter *build_list(exec_ctx *ctx, const plan_node *node)
{
    list_iter *l = lps_calloc(1, sizeof *l);
    if (!l) {
        set_error(ctx, LPS_ENOMEM);
        return NULL;
    }
    size_t seg = (size_t)(ctx->ss - ctx->plan->snap->segments);
    const plan_matches *m = &node->matches[seg];
    l->base.ops = &list_ops;
    l->base.ctx = ctx;
    l->base.node = node;
    l->docs = m->docs;
    l->freqs = m->freqs;
    l->n = m->count;
    l->base.cost = m->count;
    uint32_t max_freq = 0, min_length = UINT32_MAX;
    for (size_t i = 0; i < m->count; i++) {
        if (m->freqs[i] > max_freq)
            max_freq = m->freqs[i];
        uint32_t len = segment_doc_length(ctx->ss->seg, m->docs[i]);
        if (len < min_length)
            min_length = len;
    }
    l->base.upper = node->scoring && m->count ? node->idf * bm25_tf_part(&ctx->plan->bm25, max_freq, min_length) : 0;
    list_set(l);
    return &l->base;
}

/* ---- AND, OR, NOT ---------------------------------------------------------- */

typedef struct group_iter {
    qiter base;
    qiter **children;      /* plan order: scores are summed in this order */
    qiter **by_cost;       /* AND: rarest first */
    size_t n;
    /* AND with two or more one-term children: they are joined by a
     * conjunction of their cursors (conj.window non-NULL), and the other
     * children, rest[], are checked on its documents. */
    conjunction conj;
    posting_cursor **conj_cursors;
    term_iter **conj_terms;
    uint32_t nconj;
    qiter **rest;
    size_t nrest;
} group_iter;

static void and_seek_conjunction(group_iter *g, uint32_t target)
{
    exec_ctx *ctx = g->base.ctx;
    uint32_t candidate = target;
    for (;;) {
        candidate = conjunction_seek(&g->conj, candidate);
        for (uint32_t i = 0; i < g->nconj; i++) {
            slot_follow_cursor(&g->conj_terms[i]->slot);
            g->conj_terms[i]->base.doc = g->conj_terms[i]->slot.doc;
        }
        if (g->conj.status)
            set_error(ctx, g->conj.status);
        if (candidate == QITER_END || ctx->status) {
            candidate = QITER_END;
            break;
        }
        size_t i = 0;
        for (; i < g->nrest; i++) {
            qiter_advance(g->rest[i], candidate);
            if (g->rest[i]->doc != candidate) {
                candidate = g->rest[i]->doc;
                break;
            }
        }
        if (i == g->nrest || candidate == QITER_END)
            break;
    }
    g->base.doc = candidate;
}

static void and_seek(group_iter *g, uint32_t target)
{
    if (g->conj.window) {
        and_seek_conjunction(g, target);
        return;
    }
    uint32_t candidate = target;
    for (;;) {
        qiter *lead = g->by_cost[0];
        qiter_advance(lead, candidate);
        candidate = lead->doc;
        if (candidate == QITER_END)
            break;
        size_t i = 1;
        for (; i < g->n; i++) {
            qiter_advance(g->by_cost[i], candidate);
            if (g->by_cost[i]->doc != candidate) {
                candidate = g->by_cost[i]->doc;
                break;
            }
        }
        if (i == g->n || candidate == QITER_END)
            break;
    }
    g->base.doc = candidate;
}

static void and_next(qiter *base)
{
    if (base->doc != QITER_END)
        and_seek((group_iter *)base, base->doc + 1);
}

static void and_advance(qiter *base, uint32_t target)
{
    and_seek((group_iter *)base, target);
}

static double sum_scores(qiter *base)
{
    group_iter *g = (group_iter *)base;
    double score = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->children[i]->doc == base->doc)
            score += qiter_score(g->children[i]);
    return score;
}

static void or_settle(group_iter *g)
{
    uint32_t min = QITER_END;
    for (size_t i = 0; i < g->n; i++)
        if (g->children[i]->doc < min)
            min = g->children[i]->doc;
    g->base.doc = min;
}

static void or_next(qiter *base)
{
    group_iter *g = (group_iter *)base;
    if (base->doc == QITER_END)
        return;
    for (size_t i = 0; i < g->n; i++)
        if (g->children[i]->doc == base->doc)
            qiter_next(g->children[i]);
    or_settle(g);
}

static void or_advance(qiter *base, uint32_t target)
{
    group_iter *g = (group_iter *)base;
    for (size_t i = 0; i < g->n; i++)
        qiter_advance(g->children[i], target);
    or_settle(g);
}

static void not_seek(group_iter *g)
{
    qiter *left = g->children[0], *right = g->children[1];
    while (left->doc != QITER_END) {
        qiter_advance(right, left->doc);
        if (right->doc != left->doc)
            break;
        qiter_next(left);
    }
    g->base.doc = left->doc;
}

static void not_next(qiter *base)
{
    group_iter *g = (group_iter *)base;
    if (base->doc == QITER_END)
        return;
    qiter_next(g->children[0]);
    not_seek(g);
}

static void not_advance(qiter *base, uint32_t target)
{
    group_iter *g = (group_iter *)base;
    qiter_advance(g->children[0], target);
    not_seek(g);
}

static double not_score(qiter *base)
{
    group_iter *g = (group_iter *)base;
    return qiter_score(g->children[0]);
}

static void group_free(qiter *base)
{
    group_iter *g = (group_iter *)base;
    conjunction_free(&g->conj);
    lps_free(g->conj_cursors);
    lps_free(g->conj_terms);
    lps_free(g->rest);
    for (size_t i = 0; i < g->n; i++)
        qiter_free(g->children[i]);
    lps_free(g->children);
    lps_free(g->by_cost);
    lps_free(g);
}

static const qiter_ops and_ops = {and_next, and_advance, sum_scores, group_free};
static const qiter_ops or_ops = {or_next, or_advance, sum_scores, group_free};
static const qiter_ops not_ops = {not_next, not_advance, not_score, group_free};

static int is_single_term(const qiter *it)
{
    return it->ops == &term_ops && slot_is_single(&((const term_iter *)it)->slot);
}

/* Sets up the conjunction when two or more children are one-term iterators. */
static int and_use_conjunction(group_iter *g)
{
    size_t singles = 0;
    for (size_t i = 0; i < g->n; i++)
        singles += is_single_term(g->by_cost[i]);
    if (singles < 2)
        return LPS_OK;
    g->conj_cursors = lps_calloc(singles, sizeof *g->conj_cursors);
    g->conj_terms = lps_calloc(singles, sizeof *g->conj_terms);
    g->rest = lps_calloc(g->n - singles + 1, sizeof *g->rest);
    if (!g->conj_cursors || !g->conj_terms || !g->rest)
        return LPS_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        if (is_single_term(g->by_cost[i])) {
            term_iter *t = (term_iter *)g->by_cost[i];
            g->conj_terms[g->nconj] = t;
            g->conj_cursors[g->nconj++] = &t->slot.pc[0];
        } else {
            g->rest[g->nrest++] = g->by_cost[i];
        }
    }
    return conjunction_init(&g->conj, g->conj_cursors, g->nconj);
}

static int compare_iter_cost(const void *a, const void *b)
{
    const qiter *x = *(qiter *const *)a, *y = *(qiter *const *)b;
    return x->cost < y->cost ? -1 : x->cost > y->cost;
}

static qiter *build_group(exec_ctx *ctx, const plan_node *node)
{
    group_iter *g = lps_calloc(1, sizeof *g);
    if (!g) {
        set_error(ctx, LPS_ENOMEM);
        return NULL;
    }
    g->base.ctx = ctx;
    g->base.node = node;
    g->children = lps_calloc(node->child_count, sizeof *g->children);
    g->by_cost = lps_calloc(node->child_count, sizeof *g->by_cost);
    if (!g->children || !g->by_cost) {
        set_error(ctx, LPS_ENOMEM);
        group_free(&g->base);
        return NULL;
    }
    for (size_t i = 0; i < node->child_count; i++) {
        g->children[i] = qiter_build(ctx, node->children[i]);
        if (!g->children[i]) {
            group_free(&g->base);
            return NULL;
        }
        g->n++;
        g->by_cost[i] = g->children[i];
    }
    if (node->kind == PLAN_AND) {
        g->base.ops = &and_ops;
        qsort(g->by_cost, g->n, sizeof *g->by_cost, compare_iter_cost);
        g->base.cost = g->by_cost[0]->cost;
        for (size_t i = 0; i < g->n; i++)
            g->base.upper += g->children[i]->upper;
        if (and_use_conjunction(g) != LPS_OK) {
            set_error(ctx, LPS_ENOMEM);
            group_free(&g->base);
            return NULL;
        }
        and_seek(g, 0);
    } else if (node->kind == PLAN_OR) {
        g->base.ops = &or_ops;
        for (size_t i = 0; i < g->n; i++) {
            g->base.cost += g->children[i]->cost;
            g->base.upper += g->children[i]->upper;
        }
        or_settle(g);
    } else {
        assert(node->kind == PLAN_NOT && g->n == 2);
        g->base.ops = &not_ops;
        g->base.cost = g->children[0]->cost;
        g->base.upper = g->children[0]->upper;
        not_seek(g);
    }
    return &g->base;
}

/* ---- Metadata filters ---------------------------------------------------- */

typedef struct filter_iter {
    qiter base;
    const uint32_t *shared; /* the plan's pairs [start, end), ascending */
    size_t nranges;
    size_t at;
} filter_iter;

static void filter_seek(filter_iter *f, uint32_t target)
{
    while (f->at < f->nranges && f->shared[2 * f->at + 1] <= target)
        f->at++;
    if (f->at >= f->nranges) {
        f->base.doc = QITER_END;
        return;
    }
    uint32_t start = f->shared[2 * f->at];
    f->base.doc = target > start ? target : start;
}

static void filter_next(qiter *base)
{
    if (base->doc != QITER_END)
        filter_seek((filter_iter *)base, base->doc + 1);
}

static void filter_advance(qiter *base, uint32_t target)
{
    filter_seek((filter_iter *)base, target);
}

static double filter_score(qiter *base)
{
    (void)base;
    return 0.0;
}

static void filter_free(qiter *base)
{
    lps_free(base);
}

static const qiter_ops filter_ops = {filter_next, filter_advance, filter_score, filter_free};

static qiter *build_filter(exec_ctx *ctx, const plan_node *node)
{
    filter_iter *f = lps_calloc(1, sizeof *f);
    if (!f) {
        set_error(ctx, LPS_ENOMEM);
        return NULL;
    }
    f->base.ops = &filter_ops;
    f->base.ctx = ctx;
    f->base.node = node;
    /* The plan matched the metadata already; ranges are per segment. */
    size_t seg = (size_t)(ctx->ss - ctx->plan->snap->segments);
    const plan_filter *pf = &node->filter;
    f->nranges = pf->range_counts[seg];
    f->shared = pf->ranges[seg];
    for (size_t i = 0; i < f->nranges; i++)
        f->base.cost += f->shared[2 * i + 1] - f->shared[2 * i];
    filter_seek(f, 0);
    return &f->base;
}

/* ---- Building -------------------------------------------------------------- */

qiter *qiter_build(exec_ctx *ctx, const plan_node *node)
{
    switch (node->kind) {
    case PLAN_TERM:
        return build_term(ctx, node);
    case PLAN_PHRASE:
        return node->matches ? build_list(ctx, node) : build_positional(ctx, node);
    case PLAN_NEAR:
        return build_positional(ctx, node);
    case PLAN_AND:
    case PLAN_OR:
    case PLAN_NOT:
        return build_group(ctx, node);
    case PLAN_FILTER:
        return build_filter(ctx, node);
    default:
        set_error(ctx, LPS_EARG);
        return NULL;
    }
}

void qiter_free(qiter *it)
{
    if (it)
        it->ops->free(it);
}

int plan_count_matches(const query_plan *plan, const plan_node *node, uint64_t *count)
{
    *count = 0;
    for (size_t i = 0; i < plan->snap->segment_count; i++) {
        exec_ctx ctx = {plan, &plan->snap->segments[i], LPS_OK};
        qiter *it = qiter_build(&ctx, node);
        if (!it)
            return ctx.status;
        for (; it->doc != QITER_END; qiter_next(it))
            if (!snapshot_is_deleted(ctx.ss, it->doc))
                (*count)++;
        qiter_free(it);
        if (ctx.status != LPS_OK)
            return ctx.status;
    }
    return LPS_OK;
}

/* ---- Explanations ---------------------------------------------------------- */

static int add_row(explain_rows *out, const explain_row *row)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        explain_row *grown = lps_realloc(out->rows, cap * sizeof *grown);
        if (!grown)
            return -1;
        out->rows = grown;
        out->cap = cap;
    }
    out->rows[out->count++] = *row;
    return 0;
}

void explain_rows_free(explain_rows *rows)
{
    if (!rows)
        return;
    lps_free(rows->rows);
    memset(rows, 0, sizeof *rows);
}

/* Rows of one term-like unit (each expansion at the document). */
static int explain_slot(exec_ctx *ctx, const plan_node *node, const slot_cursor *s, explain_rows *out,
                        double *score)
{
    const bm25_params *p = &ctx->plan->bm25;
    double length = doc_length(ctx, s->doc);
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->pc[i].doc != s->doc)
            continue;
        const plan_slot *ps = &node->slots[0];
        uint32_t e = s->expansion[i];
        double tf = posting_cursor_freq(&s->pc[i]);
        explain_row row = {node, e < ps->term_count ? ps->terms[e].term : NULL, tf,
                           e < ps->term_count ? (double)ps->terms[e].df : 0, s->idf[i], length,
                           bm25_tf_part(p, tf, length), 0};
        row.score = row.idf * row.tf_part;
        *score += row.score;
        if (add_row(out, &row) != 0)
            return LPS_ENOMEM;
    }
    return LPS_OK;
}

int plan_explain_doc(const query_plan *plan, const snapshot_segment *ss, const plan_node *node,
                     uint32_t doc, explain_rows *out, double *score)
{
    exec_ctx ctx = {plan, ss, LPS_OK};
    if (node->kind == PLAN_AND || node->kind == PLAN_OR || node->kind == PLAN_NOT) {
        /* Recurse so each unit is explained where the tree counts it. */
        int matched = node->kind != PLAN_OR;
        double sub = 0;
        size_t mark = out->count;
        for (size_t i = 0; i < node->child_count; i++) {
            if (node->kind == PLAN_NOT && i == 1) {
                explain_rows scratch = {0};
                double ignored = 0;
                int r = plan_explain_doc(plan, ss, node->children[1], doc, &scratch, &ignored);
                explain_rows_free(&scratch);
                if (r < 0)
                    return r;
                if (r)
                    matched = 0;
                continue;
            }
            int r = plan_explain_doc(plan, ss, node->children[i], doc, out, &sub);
            if (r < 0)
                return r;
            if (node->kind == PLAN_OR && r)
                matched = 1;
            if (node->kind != PLAN_OR && !r)
                matched = 0;
        }
        if (!matched) {
            out->count = mark;
            return 0;
        }
        *score += sub;
        return 1;
    }
    /* Positions are needed here, so phrases are matched afresh. */
    qiter *it = node->kind == PLAN_PHRASE || node->kind == PLAN_NEAR ? build_positional(&ctx, node)
                                                                       : qiter_build(&ctx, node);
    if (!it)
        return -ctx.status;
    qiter_advance(it, doc);
    int matched = it->doc == doc;
    if (matched && node->scoring) {
        if (node->kind == PLAN_TERM) {
            if (explain_slot(&ctx, node, &((term_iter *)it)->slot, out, score) != LPS_OK)
                ctx.status = LPS_ENOMEM;
        } else if (node->kind == PLAN_PHRASE || node->kind == PLAN_NEAR) {
            pos_iter *pi = (pos_iter *)it;
            pos_matches(pi);
            for (uint32_t m = 0; m < pi->nmembers && ctx.status == LPS_OK; m++) {
                pos_member *pm = &pi->members[m];
                if (pm->nslots == 1) {
                    if (explain_slot(&ctx, pm->node, &pm->slots[0], out, score) != LPS_OK)
                        ctx.status = LPS_ENOMEM;
                    continue;
                }
                double length = doc_length(&ctx, doc);
                explain_row row = {pm->node, NULL, (double)pm->nstarts, (double)pm->node->df, pm->node->idf,
                                   length, bm25_tf_part(&plan->bm25, (double)pm->nstarts, length), 0};
                row.score = row.idf * row.tf_part;
                *score += row.score;
                if (add_row(out, &row) != 0)
                    ctx.status = LPS_ENOMEM;
            }
        }
    }
    qiter_free(it);
    if (ctx.status != LPS_OK)
        return -ctx.status;
    return matched;
}

int plan_collect_phrase(const query_plan *plan, plan_node *node, uint64_t *df)
{
    *df = 0;
    size_t nseg = plan->snap->segment_count;
    plan_matches *m = lps_calloc(nseg ? nseg : 1, sizeof *m);
    size_t *caps = lps_calloc(nseg ? nseg : 1, sizeof *caps);
    if (!m || !caps) {
        lps_free(m);
        lps_free(caps);
        return LPS_ENOMEM;
    }
    int keep = 1, rc = LPS_OK;
    size_t total = 0;
    for (size_t i = 0; i < nseg && rc == LPS_OK; i++) {
        exec_ctx ctx = {plan, &plan->snap->segments[i], LPS_OK};
        qiter *it = build_positional(&ctx, node);
        if (!it) {
            rc = ctx.status;
            break;
        }
        pos_iter *pi = (pos_iter *)it;
        for (; it->doc != QITER_END; qiter_next(it)) {
            if (!snapshot_is_deleted(ctx.ss, it->doc))
                (*df)++;
            if (!keep)
                continue;
            if (++total > PLAN_MAX_MATERIALIZED) {
                keep = 0;
                continue;
            }
            if (m[i].count == caps[i]) {
                size_t cap = caps[i] ? caps[i] * 2 : 64;
                uint32_t *docs = lps_realloc(m[i].docs, cap * sizeof *docs);
                if (docs)
                    m[i].docs = docs;
                uint32_t *freqs = lps_realloc(m[i].freqs, cap * sizeof *freqs);
                if (freqs)
                    m[i].freqs = freqs;
                if (!docs || !freqs) {
                    rc = LPS_ENOMEM;
                    break;
                }
                caps[i] = cap;
            }
            m[i].docs[m[i].count] = it->doc;
            m[i].freqs[m[i].count] = (uint32_t)pi->members[0].nstarts;
            m[i].count++;
        }
        qiter_free(it);
        if (rc == LPS_OK && ctx.status != LPS_OK)
            rc = ctx.status;
    }
    lps_free(caps);
    if (rc != LPS_OK || !keep) {
        plan_matches_free(m, nseg);
        return rc;
    }
    node->matches = m;
    node->matches_segments = nseg;
    return LPS_OK;
}

void plan_matches_free(plan_matches *m, size_t segments)
{
    if (!m)
        return;
    for (size_t i = 0; i < segments; i++) {
        lps_free(m[i].docs);
        lps_free(m[i].freqs);
    }
    lps_free(m);
}
