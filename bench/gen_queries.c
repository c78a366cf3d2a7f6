/*
 * lps-gen-queries: writes a benchmark query file from an index, so the
 * queries hit the corpus the way real ones would.  Deterministic for a seed.
 *
 *   lps-gen-queries -i DIR [--per-kind N] [--seed S] > queries.tsv
 *
 * Each line is "kind<TAB>lpsearch query<TAB>FTS5 query":
 *   term_low / term_mid / term_high   one word of low, medium, high df
 *                                     (df below 0.01% of sentences, 0.1-1%,
 *                                     the 200 most frequent words)
 *   and2, and3      two or three words from one real sentence
 *   or              two words from one sentence, either
 *   phrase2/3       two or three consecutive words of a real sentence
 *   near            two words at most 5 apart in a sentence, NEAR(a b, 5)
 *   prefix          the first 3 to 5 letters of a medium word, then *
 *   not             a frequent word NOT a word from one of its sentences
 *   field           role:analyst or role:cfo with a medium word
 * The FTS5 translation queries a table t(x, speaker, role, firm, company,
 * year, quarter) whose sentence column is x.
 */
#include "analyzer.h"
#include "index_snapshot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct term_df {
    char *term;
    uint64_t df;
} term_df;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_u64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t pick(size_t n)
{
    return n ? (size_t)(next_u64() % n) : 0;
}

static int compare_df_desc(const void *a, const void *b)
{
    const term_df *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return strcmp(x->term, y->term);
}

/* Only plain alphabetic words make portable queries for both engines. */
static int usable(const char *t, size_t len)
{
    if (len < 2)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z')))
            return 0;
    return strcmp(t, "and") && strcmp(t, "or") && strcmp(t, "not") && strcmp(t, "near");
}

static uint64_t global_df(const index_snapshot *snap, const char *t, size_t len)
{
    uint64_t df = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        term_info ti;
        if (segment_term_lookup(snap->segments[i].seg, t, len, &ti) > 0)
            df += ti.df;
    }
    return df;
}

/* A random live sentence's tokens: up to 256 usable-or-not folded terms. */
typedef struct sentence_terms {
    char terms[256][64];
    size_t count;
} sentence_terms;

static int random_sentence(const index_snapshot *snap, analyzer *a, text_reader *readers, sentence_terms *out)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        uint64_t id = pick(snap->doc_count);
        uint32_t local;
        const snapshot_segment *ss = snapshot_locate(snap, id, &local);
        if (!ss || snapshot_is_deleted(ss, local))
            continue;
        const char *text;
        size_t len;
        uint32_t line;
        if (text_reader_get(&readers[ss - snap->segments], local, &text, &len, &line) != LPS_OK)
            return -1;
        analyzer_result r;
        if (analyzer_tokenize(a, text, len, &r) != LPS_OK)
            return -1;
        out->count = 0;
        for (size_t i = 0; i < r.count && out->count < 256; i++) {
            size_t tl = r.tokens[i].term_len < 63 ? r.tokens[i].term_len : 63;
            memcpy(out->terms[out->count], r.terms + r.tokens[i].term_off, tl);
            out->terms[out->count][tl] = '\0';
            out->count++;
        }
        if (out->count >= 4)
            return 0;
    }
    return -1;
}

static void emit(const char *kind, const char *ours, const char *fts5)
{
    printf("%s\t%s\t%s\n", kind, ours, fts5);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    long per_kind = 100;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--index") == 0) && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--per-kind") == 0 && i + 1 < argc)
            per_kind = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            rng_state ^= strtoull(argv[++i], NULL, 10) * 0x2545f4914f6cdd1dull;
        else {
            fprintf(stderr, "usage: lps-gen-queries -i DIR [--per-kind N] [--seed S] > queries.tsv\n");
            return 2;
        }
    }
    if (!dir || per_kind < 1 || per_kind > 100000) {
        fprintf(stderr, "usage: lps-gen-queries -i DIR [--per-kind N] [--seed S] > queries.tsv\n");
        return 2;
    }
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK) {
        char msg[2048];
        fprintf(stderr, "lps-gen-queries: %s\n", lps_error_format(&err, msg, sizeof msg));
        return 2;
    }
    if (snap->segment_count == 0 || snap->live_docs == 0) {
        fprintf(stderr, "lps-gen-queries: %s: the index is empty\n", dir);
        return 2;
    }
    /* Vocabulary of the largest segment, with index-wide df. */
    size_t largest = 0;
    for (size_t i = 1; i < snap->segment_count; i++)
        if (snap->segments[i].seg->doc_count > snap->segments[largest].seg->doc_count)
            largest = i;
    term_df *vocab = NULL;
    size_t nv = 0, cap = 0;
    term_cursor c;
    for (int r = term_cursor_seek(&c, snap->segments[largest].seg, "", 0); r > 0; r = term_cursor_next(&c)) {
        if (!usable(c.term, c.term_len))
            continue;
        if (nv == cap) {
            cap = cap ? cap * 2 : 4096;
            vocab = realloc(vocab, cap * sizeof *vocab);
            if (!vocab)
                return 2;
        }
        vocab[nv].term = strndup(c.term, c.term_len);
        vocab[nv].df = global_df(snap, c.term, c.term_len);
        nv++;
    }
    qsort(vocab, nv, sizeof *vocab, compare_df_desc);
    double n = (double)snap->live_docs;
    size_t high_end = nv < 200 ? nv : 200, mid_lo = 0, mid_hi = 0, low_lo = nv, low_hi = nv;
    for (size_t i = 0; i < nv; i++) {
        double share = (double)vocab[i].df / n;
        if (share <= 0.01 && mid_lo == 0)
            mid_lo = i;
        if (share < 0.001 && mid_hi == 0)
            mid_hi = i;
        if (share < 0.0001 && vocab[i].df >= 2 && low_lo == nv)
            low_lo = i;
    }
    if (mid_hi <= mid_lo)
        mid_hi = mid_lo + 1 < nv ? mid_lo + 1 : nv;
    if (low_lo >= nv)
        low_lo = mid_hi < nv ? mid_hi : 0;
    low_hi = nv;
    analyzer *a;
    if (analyzer_create(&a, 0) != LPS_OK)
        return 2;
    text_reader *readers = calloc(snap->segment_count, sizeof *readers);
    for (size_t i = 0; i < snap->segment_count; i++)
        text_reader_init(&readers[i], snap->segments[i].seg);

    printf("# lps-gen-queries -i %s --per-kind %ld: kind<TAB>lpsearch<TAB>FTS5 (table t, text column x)\n", dir,
           per_kind);
    char ours[1024], fts[1024];
    sentence_terms st;
    for (long i = 0; i < per_kind; i++) {
        const char *w = vocab[low_lo + pick(low_hi - low_lo)].term;
        snprintf(fts, sizeof fts, "x : \"%s\"", w);
        emit("term_low", w, fts);
        w = vocab[mid_lo + pick(mid_hi - mid_lo)].term;
        snprintf(fts, sizeof fts, "x : \"%s\"", w);
        emit("term_mid", w, fts);
        w = vocab[pick(high_end)].term;
        snprintf(fts, sizeof fts, "x : \"%s\"", w);
        emit("term_high", w, fts);
    }
    /* Sentence-based kinds: draw until each has per_kind queries. */
    const char *kinds[] = {"and2", "and3", "or", "phrase2", "phrase3", "near", "not"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (long done = 0, tries = 0; done < per_kind && tries < per_kind * 100; tries++) {
            if (random_sentence(snap, a, readers, &st) != 0)
                break;
            size_t p = pick(st.count - 2);
            const char *t0 = st.terms[p], *t1 = st.terms[p + 1], *t2 = st.terms[p + 2];
            const char *kind = kinds[k];
            if (strcmp(kind, "phrase2") == 0 || strcmp(kind, "phrase3") == 0) {
                int three = kind[6] == '3';
                if (!usable(t0, strlen(t0)) || !usable(t1, strlen(t1)) || (three && !usable(t2, strlen(t2))))
                    continue;
                snprintf(ours, sizeof ours, three ? "\"%.63s %.63s %.63s\"" : "\"%.63s %.63s\"", t0, t1, t2);
                snprintf(fts, sizeof fts, three ? "x : \"%.63s %.63s %.63s\"" : "x : \"%.63s %.63s\"", t0, t1, t2);
            } else {
                /* Two or three distinct usable words of the sentence. */
                size_t i0 = pick(st.count), i1 = pick(st.count), i2 = pick(st.count);
                if (strcmp(kind, "near") == 0)
                    i1 = i0 + 1 + pick(5) < st.count ? i0 + 1 + pick(5) : st.count - 1;
                t0 = st.terms[i0];
                t1 = st.terms[i1];
                t2 = st.terms[i2];
                int need3 = strcmp(kind, "and3") == 0;
                if (!usable(t0, strlen(t0)) || !usable(t1, strlen(t1)) || strcmp(t0, t1) == 0 ||
                    (need3 && (!usable(t2, strlen(t2)) || !strcmp(t2, t0) || !strcmp(t2, t1))))
                    continue;
                if (strcmp(kind, "and2") == 0) {
                    snprintf(ours, sizeof ours, "%.63s %.63s", t0, t1);
                    snprintf(fts, sizeof fts, "x : (\"%.63s\" \"%.63s\")", t0, t1);
                } else if (need3) {
                    snprintf(ours, sizeof ours, "%.63s %.63s %.63s", t0, t1, t2);
                    snprintf(fts, sizeof fts, "x : (\"%.63s\" \"%.63s\" \"%.63s\")", t0, t1, t2);
                } else if (strcmp(kind, "or") == 0) {
                    snprintf(ours, sizeof ours, "%.63s OR %.63s", t0, t1);
                    snprintf(fts, sizeof fts, "x : (\"%.63s\" OR \"%.63s\")", t0, t1);
                } else if (strcmp(kind, "near") == 0) {
                    snprintf(ours, sizeof ours, "NEAR(%.63s %.63s, 5)", t0, t1);
                    snprintf(fts, sizeof fts, "x : NEAR(\"%.63s\" \"%.63s\", 5)", t0, t1);
                } else {
                    /* not: a frequent word minus a word of this sentence */
                    const char *hi = vocab[pick(high_end)].term;
                    if (strcmp(hi, t0) == 0)
                        continue;
                    snprintf(ours, sizeof ours, "%.63s NOT %.63s", hi, t0);
                    snprintf(fts, sizeof fts, "x : (\"%.63s\" NOT \"%.63s\")", hi, t0);
                }
            }
            emit(kind, ours, fts);
            done++;
        }
    }
    for (long i = 0; i < per_kind; i++) {
        const char *w = vocab[mid_lo + pick(mid_hi - mid_lo)].term;
        size_t len = strlen(w), keep = 3 + pick(3);
        if (keep > len)
            keep = len;
        snprintf(ours, sizeof ours, "%.*s*", (int)keep, w);
        snprintf(fts, sizeof fts, "x : \"%.*s\"*", (int)keep, w);
        emit("prefix", ours, fts);
        w = vocab[mid_lo + pick(mid_hi - mid_lo)].term;
        const char *role = pick(2) ? "analyst" : "cfo";
        snprintf(ours, sizeof ours, "role:%s %s", role, w);
        snprintf(fts, sizeof fts, "role : \"%s\" AND x : \"%s\"", role, w);
        emit("field", ours, fts);
    }
    for (size_t i = 0; i < snap->segment_count; i++)
        text_reader_free(&readers[i]);
    free(readers);
    analyzer_free(a);
    for (size_t i = 0; i < nv; i++)
        free(vocab[i].term);
    free(vocab);
    index_snapshot_close(snap);
    return fflush(stdout) == 0 ? 0 : 1;
}
