/*
 * lpsearch bench: query latency on an index, per kind of query, built on
 * the public library exactly as an embedding program would use it.
 *
 * Protocol: the index is opened once; one warm-up pass runs every query;
 * then --passes timed passes run them all again, each query timed alone
 * (CLOCK_MONOTONIC around lps_search or lps_count).  With T threads, T
 * workers take queries from one shared counter, so every query runs the
 * same number of times whatever T is.  Percentiles are nearest-rank over
 * all timed runs of a kind; QPS is runs of the kind per second of wall
 * time spent on them (with T threads, T runs proceed at once).
 */
#include "cli.h"

#include "buffer.h"
#include "json.h"
#include "latency_stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_bench_usage(FILE *out)
{
    fprintf(out,
            "usage: lpsearch bench [-i DIR] [-k N] [--passes N] [--threads LIST] [--json] QUERYFILE\n"
            "\n"
            "Measure query latency on the index. QUERYFILE holds one query per line,\n"
            "optionally preceded by its kind and a tab (term_low, term_mid, term_high,\n"
            "and2, and3, or, phrase2, phrase3, near, prefix, not, field); a third\n"
            "tab-separated column (an FTS5 translation) is ignored; lines starting\n"
            "with # are comments. bench/ has a generator of such files.\n"
            "\n"
            "For top-10, top-100 (or the -k given) and count-only, with each thread\n"
            "count, it runs a warm-up pass and then timed passes, and prints per kind\n"
            "the median, 95th and 99th percentile latency and the queries per second.\n"
            "Top-k runs return ids and scores only (the cost of the ranking itself).\n"
            "\n"
            "options:\n"
            "  -i, --index DIR   the index (default: $LPSEARCH_INDEX, else the default index)\n"
            "  -k N              one top-k depth instead of 10 and 100\n"
            "  --passes N        timed passes over the queries (default 5)\n"
            "  --threads LIST    comma-separated thread counts (default 1,2)\n"
            "  --json            JSON Lines, one object per mode, threads and kind\n");
}

typedef struct bench_query {
    char *text;
    size_t kind;
    unsigned line;
} bench_query;

typedef struct bench_run {
    lps_index *index;
    const bench_query *queries;
    size_t nqueries;
    size_t k;          /* 0: count only */
    unsigned passes;
    atomic_size_t next;
    double *latency;   /* per run (pass * nqueries + query) */
    int failed;
} bench_run;

static int run_one(lps_index *index, const bench_query *q, size_t k)
{
    lps_error err;
    if (k == 0) {
        uint64_t count;
        return lps_count(index, q->text, &count, &err);
    }
    lps_search_options opts;
    lps_search_options_init(&opts);
    opts.limit = k;
    opts.ids_only = 1;
    lps_results *res;
    int rc = lps_search(index, q->text, &opts, &res, &err);
    lps_results_free(res);
    return rc;
}

static void *bench_worker(void *arg)
{
    bench_run *r = arg;
    size_t total = r->nqueries * r->passes;
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= total)
            break;
        const bench_query *q = &r->queries[i % r->nqueries];
        double t0 = latency_now();
        if (run_one(r->index, q, r->k) != LPS_OK)
            r->failed = 1;
        r->latency[i] = latency_now() - t0;
    }
    return NULL;
}

static int load_queries(const char *path, bench_query **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_errorf("bench: %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *query = line, *kind = "other";
        char *tab = strchr(line, '\t');
        if (tab) {
            *tab = '\0';
            kind = line;
            query = tab + 1;
            char *second = strchr(query, '\t');
            if (second)
                *second = '\0'; /* the FTS5 translation, for the FTS5 side */
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            bench_query *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                rc = -1;
                break;
            }
            *out = grown;
        }
        (*out)[*n].text = strdup(query);
        (*out)[*n].kind = latency_kind_index(kind);
        (*out)[*n].line = lineno;
        if (!(*out)[*n].text) {
            rc = -1;
            break;
        }
        (*n)++;
    }
    free(line);
    fclose(f);
    if (rc != 0)
        cli_errorf("bench: out of memory reading %s", path);
    else if (*n == 0) {
        cli_errorf("bench: %s holds no queries", path);
        rc = -1;
    }
    return rc;
}

static int parse_threads(const char *s, unsigned *threads, size_t *n)
{
    *n = 0;
    while (*s && *n < 8) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 64)
            return -1;
        threads[(*n)++] = (unsigned)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return *n ? 0 : -1;
}

int cmd_bench(int argc, char **argv)
{
    const char *dir_opt = NULL, *file = NULL;
    long long k_only = -1, passes = 5;
    unsigned threads[8] = {1, 2};
    size_t nthreads = 2;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cmd_bench_usage(stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0 || strcmp(a, "-k") == 0 ||
                    strcmp(a, "--passes") == 0 || strcmp(a, "--threads") == 0)) {
            if (i + 1 >= argc) {
                cli_errorf("bench: %s needs a value", a);
                return CLI_EXIT_ERROR;
            }
            const char *v = argv[++i];
            if (a[1] == 'i' || strcmp(a, "--index") == 0)
                dir_opt = v;
            else if (strcmp(a, "-k") == 0) {
                if ((k_only = cli_parse_count("bench", a, v, 100000)) < 1) {
                    if (k_only == 0)
                        cli_errorf("bench: -k must be at least 1");
                    return CLI_EXIT_ERROR;
                }
            } else if (strcmp(a, "--passes") == 0) {
                if ((passes = cli_parse_count("bench", a, v, 100000)) < 1) {
                    if (passes == 0)
                        cli_errorf("bench: --passes must be at least 1");
                    return CLI_EXIT_ERROR;
                }
            } else if (parse_threads(v, threads, &nthreads) != 0) {
                cli_errorf("bench: --threads takes counts from 1 to 64 separated by commas, not '%s'", v);
                return CLI_EXIT_ERROR;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_errorf("bench: unknown option '%s' (try 'lpsearch help bench')", a);
            return CLI_EXIT_ERROR;
        } else if (!file) {
            file = a;
        } else {
            cli_errorf("bench: one QUERYFILE only ('%s' is extra)", a);
            return CLI_EXIT_ERROR;
        }
    }
    if (!file) {
        cli_errorf("bench: name a QUERYFILE (try 'lpsearch help bench')");
        return CLI_EXIT_ERROR;
    }
    char dir[4096];
    if (cli_resolve_index(dir_opt, 1, dir, sizeof dir) != 0)
        return CLI_EXIT_ERROR;
    bench_query *queries;
    size_t nq;
    if (load_queries(file, &queries, &nq) != 0)
        return CLI_EXIT_ERROR;
    lps_index *index;
    lps_error err;
    int status = CLI_EXIT_OK;
    if (lps_index_open(dir, &index, &err) != LPS_OK) {
        cli_report_error(&err);
        status = CLI_EXIT_ERROR;
        goto done;
    }
    /* Every query must parse before anything is timed. */
    for (size_t i = 0; i < nq; i++) {
        uint64_t count;
        if (lps_count(index, queries[i].text, &count, &err) != LPS_OK) {
            char msg[2048];
            cli_errorf("bench: %s: line %u: %s", file, queries[i].line, lps_error_format(&err, msg, sizeof msg));
            status = CLI_EXIT_ERROR;
            goto done;
        }
    }
    size_t modes[3] = {10, 100, 0};
    size_t nmodes = 3;
    if (k_only > 0) {
        modes[0] = (size_t)k_only;
        modes[1] = 0;
        nmodes = 2;
    }
    lps_index_info info;
    lps_index_get_info(index, &info);
    if (!json)
        printf("index %s: %llu sentences in %llu segment%s; %zu queries, %lld timed passes\n", dir,
               (unsigned long long)info.sentences, (unsigned long long)info.segments,
               info.segments == 1 ? "" : "s", nq, passes);
    double *latency = malloc(nq * (size_t)passes * sizeof *latency);
    double *sorted = malloc(nq * (size_t)passes * sizeof *sorted);
    size_t *kinds = malloc(nq * sizeof *kinds);
    for (size_t i = 0; kinds && i < nq; i++)
        kinds[i] = queries[i].kind;
    if (!latency || !sorted || !kinds) {
        cli_errorf("bench: out of memory");
        free(latency);
        free(sorted);
        free(kinds);
        status = CLI_EXIT_ERROR;
        goto done;
    }
    for (size_t m = 0; m < nmodes && status == CLI_EXIT_OK; m++) {
        for (size_t t = 0; t < nthreads && status == CLI_EXIT_OK; t++) {
            bench_run run = {index, queries, nq, modes[m], 1, 0, latency, 0};
            bench_worker(&run); /* warm-up, one thread */
            run.passes = (unsigned)passes;
            atomic_store(&run.next, 0);
            pthread_t tids[64];
            unsigned started = 0;
            double wall0 = latency_now();
            for (unsigned w = 1; w < threads[t]; w++)
                if (pthread_create(&tids[started], NULL, bench_worker, &run) == 0)
                    started++;
            bench_worker(&run);
            for (unsigned w = 0; w < started; w++)
                pthread_join(tids[w], NULL);
            double wall = latency_now() - wall0;
            if (run.failed) {
                cli_errorf("bench: a query failed while timing");
                status = CLI_EXIT_ERROR;
                break;
            }
            char mode[32];
            if (modes[m])
                snprintf(mode, sizeof mode, "top%zu", modes[m]);
            else
                snprintf(mode, sizeof mode, "count");
            latency_report("lpsearch", mode, started + 1, wall, latency, kinds, nq, (size_t)passes, sorted, json);
        }
    }
    free(latency);
    free(sorted);
    free(kinds);
done:
    lps_index_close(index);
    for (size_t i = 0; i < nq; i++)
        free(queries[i].text);
    free(queries);
    if (fflush(stdout) != 0)
        status = CLI_EXIT_ERROR;
    return status;
}
