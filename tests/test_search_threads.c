/*
 * Many threads searching one index while writers commit.
 *
 * The bundled transcripts are indexed; a fixed list of varied queries
 * (words, phrases, prefixes, NEAR, boolean operators, field filters, with
 * and without context, explanations and counts) runs single-threaded on one
 * lps_index to give the expected hits: ids, scores, ranks, texts, highlight
 * spans, speakers and totals, recorded exactly (scores bit for bit).
 *
 * Then a second lps_index of the same directory, opened fresh so that its
 * lazily built field metadata is built while threads race for it, is
 * searched by THREADS threads at once, ROUNDS times each, every thread in
 * its own shuffled order; each result must equal the expected one exactly.
 * Meanwhile one writer thread builds a new index in another directory and
 * then commits to the searched index's own directory (a new call, then an
 * optimize that merges and unlinks the segments the readers have mapped):
 * an open snapshot must not see any of it.  Afterwards a reopened index
 * does see the new call.
 *
 * This test runs in every build; scripts/test.sh also runs it under
 * ThreadSanitizer (LPS_TSAN=ON), which reports any data race it provokes.
 */
#include "test.h"

#include "lpsearch.h"

#include <pthread.h>

#define THREADS 4
#define ROUNDS 3

static const char *const bundled[] = {"liveperson-2006-q1.txt", "liveperson-2006-q3.txt",
                                      "liveperson-2007-q2.txt", "liveperson-2014-q1.txt",
                                      "liveperson-2016-q1.txt"};

typedef struct query_case {
    const char *query;
    size_t limit, offset;
    unsigned context;
    int explain, ids_only;
} query_case;

static const query_case cases[] = {
    {"proactive chat", 10, 0, 0, 0, 0},
    {"\"live chat\"", 10, 0, 1, 0, 0},
    {"chat OR messaging", 20, 0, 0, 0, 0},
    {"chat -mobile", 10, 0, 0, 1, 0},
    {"chat NOT mobile", 10, 5, 0, 0, 0},
    {"NEAR(mobile messaging, 5)", 10, 0, 0, 1, 0},
    {"\"mobile messaging\"~5", 10, 0, 0, 0, 0},
    {"engag*", 15, 0, 0, 0, 0},
    {"revenue*", 10, 3, 2, 0, 0},
    {"role:analyst pricing", 10, 0, 1, 0, 0},
    {"role:analyst pricing year:2006", 10, 0, 0, 0, 0},
    {"speaker:\"tim bixby\" guidance", 10, 0, 0, 1, 0},
    {"speaker:bixby revenue", 10, 0, 0, 0, 0},
    {"company:liveperson customers", 10, 0, 0, 0, 0},
    {"year:2006..2007 growth", 10, 0, 0, 0, 0},
    {"quarter:q1 mobile", 10, 0, 0, 0, 0},
    {"role:ceo (vision OR strategy)", 10, 0, 0, 0, 0},
    {"firm:capital question", 10, 0, 0, 0, 0},
    {"the", 50, 0, 0, 0, 1},
    {"the", 10, 40, 0, 0, 0},
    {"we AND our", 25, 0, 0, 0, 1},
    {"we OR our OR the", 30, 0, 0, 0, 0},
    {"quarter revenue", 10, 0, 0, 0, 0},
    {"\"fourth quarter\"", 10, 0, 0, 0, 0},
    {"\"first quarter\" -2006", 10, 0, 1, 0, 0},
    {"guidance OR outlook OR expect", 20, 0, 0, 1, 0},
    {"(chat OR voice) (mobile OR messaging) -email", 10, 0, 0, 0, 0},
    {"a NOT b AND chat", 10, 0, 0, 0, 0},
    {"LivePerson's", 10, 0, 0, 0, 0},
    {"$6.9", 10, 0, 0, 0, 0},
    {"follow-up", 10, 0, 0, 0, 0},
    {"U.S.", 10, 0, 0, 0, 0},
    {"Mr. Bixby", 10, 0, 0, 0, 0},
    {"cafe", 10, 0, 0, 0, 0},
    {"operator instructions", 10, 0, 0, 0, 0},
    {"question OR questions", 10, 0, 1, 1, 0},
    {"NEAR(customer service, 10)", 10, 0, 0, 0, 0},
    {"NEAR(\"proactive chat\" chat, 20)", 10, 0, 0, 0, 0},
    {"\"thank you\"", 10, 0, 0, 0, 0},
    {"thanks -operator", 10, 0, 0, 0, 0},
    {"margin*", 10, 0, 0, 0, 0},
    {"cash flow", 10, 0, 0, 0, 0},
    {"\"cash flow\" OR ebitda", 10, 0, 0, 0, 0},
    {"international OR europe OR uk", 10, 0, 0, 0, 0},
    {"acquisition*", 10, 0, 0, 0, 0},
    {"nonexistentword", 10, 0, 0, 0, 0},
    {"nonexistentword OR chat", 10, 0, 0, 0, 0},
    {"\"chat chat chat\"", 10, 0, 0, 0, 0},
    {"employees headcount", 10, 0, 0, 0, 0},
    {"speaker:operator", 10, 0, 0, 0, 0},
    {"year:2014", 5, 0, 0, 0, 0},
    {"role:cfo \"gross margin\"", 10, 0, 0, 0, 0},
};
#define CASES (sizeof cases / sizeof cases[0])

/* What one search returned, in a form that compares exactly. */
typedef struct outcome {
    int rc;
    uint64_t total;
    size_t count;
    size_t *rank;
    double *score;
    uint64_t *id;
    uint64_t *digest; /* text, call, speaker, highlights, context, explanation */
} outcome;

static uint64_t mix(uint64_t h, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}

static uint64_t hit_digest(const lps_hit *h)
{
    uint64_t d = 0xcbf29ce484222325u;
    d = mix(d, &h->text_len, sizeof h->text_len);
    d = mix_str(d, h->text);
    d = mix_str(d, h->call_file);
    d = mix_str(d, h->speaker_name);
    d = mix_str(d, h->speaker_role);
    d = mix(d, &h->turn, sizeof h->turn);
    d = mix(d, &h->sentence, sizeof h->sentence);
    for (size_t i = 0; i < h->highlight_count; i++)
        d = mix(d, &h->highlights[i], sizeof h->highlights[i]);
    for (size_t i = 0; i < h->context_count; i++) {
        d = mix(d, &h->context[i].id, sizeof h->context[i].id);
        d = mix_str(d, h->context[i].text);
    }
    if (h->explain)
        for (size_t i = 0; i < h->explain->row_count; i++) {
            d = mix_str(d, h->explain->rows[i].unit);
            d = mix(d, &h->explain->rows[i].score, sizeof(double));
        }
    return d;
}

static void outcome_free(outcome *o)
{
    free(o->rank);
    free(o->score);
    free(o->id);
    free(o->digest);
    memset(o, 0, sizeof *o);
}

/* Runs one case; returns 0 when out could be filled (allocation aside). */
static int run_case(lps_index *ix, const query_case *c, outcome *out)
{
    memset(out, 0, sizeof *out);
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = c->limit;
    o.offset = c->offset;
    o.context = c->context;
    o.explain = c->explain;
    o.ids_only = c->ids_only;
    o.count = 1;
    lps_results *res = NULL;
    lps_error err;
    out->rc = lps_search(ix, c->query, &o, &res, &err);
    if (out->rc != LPS_OK)
        return 0;
    out->total = lps_results_total(res);
    out->count = lps_results_count(res);
    size_t n = out->count ? out->count : 1;
    out->rank = calloc(n, sizeof *out->rank);
    out->score = calloc(n, sizeof *out->score);
    out->id = calloc(n, sizeof *out->id);
    out->digest = calloc(n, sizeof *out->digest);
    if (!out->rank || !out->score || !out->id || !out->digest) {
        lps_results_free(res);
        return -1;
    }
    for (size_t i = 0; i < out->count; i++) {
        const lps_hit *h = lps_results_hit(res, i);
        out->rank[i] = h->rank;
        out->score[i] = h->score;
        out->id[i] = h->id;
        out->digest[i] = hit_digest(h);
    }
    lps_results_free(res);
    uint64_t counted = 0;
    if (lps_count(ix, c->query, &counted, &err) != LPS_OK || counted != out->total)
        out->total = UINT64_MAX - 1; /* will not match the expected total */
    return 0;
}

static int outcome_equal(const outcome *a, const outcome *b)
{
    if (a->rc != b->rc || a->total != b->total || a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (a->rank[i] != b->rank[i] || memcmp(&a->score[i], &b->score[i], sizeof(double)) != 0 ||
            a->id[i] != b->id[i] || a->digest[i] != b->digest[i])
            return 0;
    return 1;
}

/* ---- Threads ------------------------------------------------------------- */

static outcome expected[CASES];
static pthread_barrier_t start_line;

typedef struct reader_job {
    lps_index *ix;
    uint32_t seed;
    size_t searches, mismatches;
    char first_mismatch[256];
} reader_job;

static void *reader_main(void *arg)
{
    reader_job *job = arg;
    size_t order[CASES];
    for (size_t i = 0; i < CASES; i++)
        order[i] = i;
    pthread_barrier_wait(&start_line);
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t i = CASES - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = next_random(&job->seed) % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < CASES; k++) {
            outcome got;
            const query_case *c = &cases[order[k]];
            int ok = run_case(job->ix, c, &got) == 0 && outcome_equal(&got, &expected[order[k]]);
            job->searches++;
            if (!ok && job->mismatches++ == 0)
                snprintf(job->first_mismatch, sizeof job->first_mismatch,
                         "round %d, query '%s': rc %d, %zu hits, total %llu", round, c->query, got.rc, got.count,
                         (unsigned long long)got.total);
            outcome_free(&got);
        }
    }
    return NULL;
}

typedef struct writer_job {
    char other_dir[4200];
    const char *searched_dir;
    int rc;
    char message[600];
} writer_job;

static int writer_fail(writer_job *job, const char *what, const lps_error *err)
{
    snprintf(job->message, sizeof job->message, "%s: %s", what, err->message);
    return job->rc = err->code ? err->code : -1;
}

static void *writer_main(void *arg)
{
    writer_job *job = arg;
    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    wo.threads = 2;
    lps_error err;
    lps_writer *w;
    pthread_barrier_wait(&start_line);

    /* A new index elsewhere, two commits. */
    if (lps_writer_open(job->other_dir, &wo, &w, &err) != LPS_OK)
        return (void)writer_fail(job, "open the other index", &err), NULL;
    for (size_t i = 0; i < 5; i++) {
        if (lps_writer_add_file(w, test_data_path(bundled[i]), NULL, &err) != LPS_OK ||
            ((i == 2 || i == 4) && lps_writer_commit(w, &err) != LPS_OK)) {
            lps_writer_close(w);
            return (void)writer_fail(job, "build the other index", &err), NULL;
        }
    }
    lps_writer_close(w);

    /* The searched index itself: a new call, then a merge of everything. */
    if (lps_writer_open(job->searched_dir, &wo, &w, &err) != LPS_OK)
        return (void)writer_fail(job, "open the searched index", &err), NULL;
    static const char extra[] = "Operator\nWelcome to the thread test call.\n"
                                "Jane Roe - CEO\nProactive chat is a thread-safe feature. We grew revenue.\n";
    int added = 0;
    if (lps_writer_add_text(w, "thread-writer.txt", extra, sizeof extra - 1, &added, &err) != LPS_OK ||
        lps_writer_commit(w, &err) != LPS_OK || lps_writer_optimize(w, &err) != LPS_OK) {
        lps_writer_close(w);
        return (void)writer_fail(job, "commit to the searched index", &err), NULL;
    }
    lps_writer_close(w);
    job->rc = added == 1 ? LPS_OK : -1;
    if (!added)
        snprintf(job->message, sizeof job->message, "the extra call was not added");
    return NULL;
}

static uint64_t live_calls(const char *dir)
{
    lps_index *ix;
    lps_error err;
    if (lps_index_open(dir, &ix, &err) != LPS_OK)
        fail_msg("cannot open %s: %s", dir, err.message);
    lps_index_info info;
    lps_index_get_info(ix, &info);
    lps_index_close(ix);
    return info.calls;
}

static void test_threads_match_single_thread(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_scratch_dir("threads"));
    writer_job wjob;
    memset(&wjob, 0, sizeof wjob);
    snprintf(wjob.other_dir, sizeof wjob.other_dir, "%s/other", dir);
    char searched[4200];
    snprintf(searched, sizeof searched, "%s/searched", dir);
    wjob.searched_dir = searched;

    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    lps_writer *w;
    lps_error err;
    assert_int_equal(lps_writer_open(searched, &wo, &w, &err), LPS_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(lps_writer_add_file(w, test_data_path(bundled[i]), NULL, &err), LPS_OK);
    assert_int_equal(lps_writer_commit(w, &err), LPS_OK);
    lps_writer_close(w);

    /* Expected results, one thread. */
    lps_index *single;
    assert_int_equal(lps_index_open(searched, &single, &err), LPS_OK);
    size_t with_hits = 0;
    for (size_t i = 0; i < CASES; i++) {
        assert_int_equal(run_case(single, &cases[i], &expected[i]), 0);
        if (expected[i].rc != LPS_OK)
            fail_msg("query '%s' fails: %s", cases[i].query, lps_strerror(expected[i].rc));
        with_hits += expected[i].count > 0;
    }
    assert_true(with_hits >= CASES - 3); /* the list exercises real matches */

    /* The same, from THREADS threads on a fresh index, while a writer commits. */
    lps_index *shared;
    assert_int_equal(lps_index_open(searched, &shared, &err), LPS_OK);
    assert_int_equal(pthread_barrier_init(&start_line, NULL, THREADS + 1), 0);
    pthread_t readers[THREADS], writer;
    reader_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].ix = shared;
        jobs[t].seed = 0x9e3779b9u * (uint32_t)(t + 1);
        assert_int_equal(pthread_create(&readers[t], NULL, reader_main, &jobs[t]), 0);
    }
    assert_int_equal(pthread_create(&writer, NULL, writer_main, &wjob), 0);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(readers[t], NULL), 0);
    assert_int_equal(pthread_join(writer, NULL), 0);
    pthread_barrier_destroy(&start_line);

    size_t searches = 0;
    for (int t = 0; t < THREADS; t++) {
        searches += jobs[t].searches;
        if (jobs[t].mismatches)
            fail_msg("thread %d: %zu results differ from the single-threaded run; first: %s", t,
                     jobs[t].mismatches, jobs[t].first_mismatch);
    }
    assert_int_equal(searches, (size_t)THREADS * ROUNDS * CASES);
    if (wjob.rc != LPS_OK)
        fail_msg("writer: %s", wjob.message);

    /* The open snapshots never changed; a new one sees the writer's call. */
    for (size_t i = 0; i < CASES; i++) {
        outcome again;
        assert_int_equal(run_case(single, &cases[i], &again), 0);
        assert_true(outcome_equal(&again, &expected[i]));
        outcome_free(&again);
    }
    assert_int_equal(live_calls(searched), 6);
    assert_int_equal(live_calls(wjob.other_dir), 5);
    lps_index_close(shared);
    lps_index_close(single);
    for (size_t i = 0; i < CASES; i++)
        outcome_free(&expected[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_match_single_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
