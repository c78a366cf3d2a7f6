/*
 * lps-bench-fts5: the SQLite FTS5 side of the query-latency comparison.
 *
 *   lps-bench-fts5 --index DIR --db FILE [--build] [--passes N] [--threads LIST]
 *                  [-k N] [--json] QUERYFILE
 *
 * --build loads every live sentence of the lpsearch index DIR (the same
 * text, rowid = lpsearch's sentence id) with its speaker and call fields
 * into an FTS5 table t(x, speaker, role, firm, company, year, quarter)
 * using the unicode61 tokenizer with remove_diacritics 2 (the tokenization
 * lpsearch reproduces), then runs FTS5's 'optimize' so it is one b-tree
 * like the optimized lpsearch index; it prints the build time and size.
 *
 * Queries are the third column of QUERYFILE (see lps-gen-queries), run
 * with the protocol of `lpsearch bench`: one warm-up pass, timed passes,
 * each query timed alone, top-k as "ORDER BY rank LIMIT k" (bm25) through
 * prepared statements, count-only as count(*).  Output has the same shape
 * so bench/run_benchmarks.sh can put the two side by side.
 */
#include "index_snapshot.h"
#include "latency_stats.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fts_query {
    char *text;
    size_t kind;
} fts_query;

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "lps-bench-fts5: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 2;
}

static int build(const char *dir, const char *db_path)
{
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK) {
        char msg[2048];
        return die(lps_error_format(&err, msg, sizeof msg), NULL);
    }
    unlink(db_path);
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        return die("cannot create the database", db_path);
    double t0 = latency_now();
    char *msg = NULL;
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
                     "CREATE VIRTUAL TABLE t USING fts5(x, speaker, role, firm, company, year, quarter,"
                     " tokenize=\"unicode61 remove_diacritics 2\");",
                     NULL, NULL, &msg) != SQLITE_OK)
        return die("cannot create the FTS5 table", msg);
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(rowid, x, speaker, role, firm, company, year, quarter)"
                               " VALUES (?,?,?,?,?,?,?,?)", -1, &ins, NULL) != SQLITE_OK)
        return die("cannot prepare the insert", sqlite3_errmsg(db));
    uint64_t rows = 0;
    for (size_t s = 0; s < snap->segment_count; s++) {
        const snapshot_segment *ss = &snap->segments[s];
        text_reader tr;
        text_reader_init(&tr, ss->seg);
        for (uint32_t c = 0; c < ss->seg->call_count; c++) {
            call_record cr;
            if (segment_call(ss->seg, c, &cr) != LPS_OK)
                return die("a call record does not decode", NULL);
            if (snapshot_is_deleted(ss, cr.first_doc))
                continue;
            for (uint32_t t = cr.first_turn; t < cr.first_turn + cr.turn_count; t++) {
                turn_record turn;
                speaker_record sp;
                if (segment_turn(ss->seg, t, &turn) != LPS_OK || segment_speaker(ss->seg, turn.speaker, &sp) != LPS_OK)
                    return die("a turn does not decode", NULL);
                for (uint32_t d = turn.first_doc; d < turn.first_doc + turn.doc_count; d++) {
                    const char *text;
                    size_t len;
                    uint32_t line;
                    if (text_reader_get(&tr, d, &text, &len, &line) != LPS_OK)
                        return die("stored text does not decode", NULL);
                    sqlite3_bind_int64(ins, 1, (sqlite3_int64)(ss->base + d));
                    sqlite3_bind_text(ins, 2, text, (int)len, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ins, 3, sp.name ? sp.name : sp.label, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ins, 4, sp.role, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ins, 5, sp.firm, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ins, 6, cr.company, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int(ins, 7, cr.year);
                    sqlite3_bind_int(ins, 8, cr.quarter);
                    if (sqlite3_step(ins) != SQLITE_DONE)
                        return die("insert failed", sqlite3_errmsg(db));
                    sqlite3_reset(ins);
                    rows++;
                }
            }
        }
        text_reader_free(&tr);
    }
    sqlite3_finalize(ins);
    if (sqlite3_exec(db, "COMMIT; INSERT INTO t(t) VALUES('optimize');", NULL, NULL, &msg) != SQLITE_OK)
        return die("commit or optimize failed", msg);
    sqlite3_close(db);
    double secs = latency_now() - t0;
    struct stat st;
    stat(db_path, &st);
    printf("fts5 build: %llu sentences in %.2f s; database %lld bytes\n", (unsigned long long)rows, secs,
           (long long)st.st_size);
    index_snapshot_close(snap);
    return 0;
}

typedef struct fts_run {
    const char *db_path;
    const fts_query *queries;
    size_t nq;
    size_t k;
    unsigned passes;
    atomic_size_t next;
    double *latency;
    int failed;
} fts_run;

static void *fts_worker(void *arg)
{
    fts_run *r = arg;
    sqlite3 *db;
    if (sqlite3_open_v2(r->db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        r->failed = 1;
        return NULL;
    }
    sqlite3_stmt *st;
    const char *sql = r->k ? "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT ?2"
                           : "SELECT count(*) FROM t WHERE t MATCH ?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        r->failed = 1;
        sqlite3_close(db);
        return NULL;
    }
    size_t total = r->nq * r->passes;
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= total)
            break;
        const fts_query *q = &r->queries[i % r->nq];
        double t0 = latency_now();
        sqlite3_bind_text(st, 1, q->text, -1, SQLITE_STATIC);
        if (r->k)
            sqlite3_bind_int64(st, 2, (sqlite3_int64)r->k);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "lps-bench-fts5: query %s: %s\n", q->text, sqlite3_errmsg(db));
            r->failed = 1;
        }
        sqlite3_reset(st);
        r->latency[i] = latency_now() - t0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *db_path = NULL, *file = NULL;
    int do_build = 0, json = 0;
    long passes = 5, k_only = 0;
    unsigned threads[8] = {1, 2};
    size_t nthreads = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--index") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (strcmp(argv[i], "--build") == 0)
            do_build = 1;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            k_only = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = 0;
            for (char *p = argv[++i]; *p && nthreads < 8;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 64)
                    return die("--threads takes counts from 1 to 64 separated by commas", NULL);
                threads[nthreads++] = (unsigned)v;
                p = *end == ',' ? end + 1 : end;
                if (*end && *end != ',')
                    return die("--threads takes counts from 1 to 64 separated by commas", NULL);
            }
        } else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return die("usage: lps-bench-fts5 --index DIR --db FILE [--build] [--passes N] [--threads LIST] [-k N] [--json] [QUERYFILE]", NULL);
    }
    if (!db_path || (do_build && !dir) || passes < 1 || k_only < 0)
        return die("usage: lps-bench-fts5 --index DIR --db FILE [--build] [--passes N] [--threads LIST] [-k N] [--json] [QUERYFILE]", NULL);
    if (do_build && build(dir, db_path) != 0)
        return 2;
    if (!file)
        return 0;

    FILE *f = fopen(file, "r");
    if (!f)
        return die("cannot open the query file", strerror(errno));
    fts_query *queries = NULL;
    size_t nq = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            return die("each query line needs kind, lpsearch query and FTS5 query separated by tabs", line);
        *t1 = '\0';
        if (nq == cap) {
            cap = cap ? cap * 2 : 256;
            queries = realloc(queries, cap * sizeof *queries);
            if (!queries)
                return die("out of memory", NULL);
        }
        queries[nq].kind = latency_kind_index(line);
        queries[nq].text = strdup(t2 + 1);
        nq++;
    }
    free(line);
    fclose(f);
    if (nq == 0)
        return die("the query file holds no queries", file);
    size_t modes[3] = {10, 100, 0}, nmodes = 3;
    if (k_only > 0) {
        modes[0] = (size_t)k_only;
        modes[1] = 0;
        nmodes = 2;
    }
    double *latency = malloc(nq * (size_t)passes * sizeof *latency);
    double *sorted = malloc(nq * (size_t)passes * sizeof *sorted);
    size_t *kinds = malloc(nq * sizeof *kinds);
    for (size_t i = 0; kinds && i < nq; i++)
        kinds[i] = queries[i].kind;
    if (!latency || !sorted || !kinds)
        return die("out of memory", NULL);
    int status = 0;
    for (size_t m = 0; m < nmodes && !status; m++) {
        for (size_t t = 0; t < nthreads && !status; t++) {
            fts_run run = {db_path, queries, nq, modes[m], 1, 0, latency, 0};
            fts_worker(&run);
            run.passes = (unsigned)passes;
            atomic_store(&run.next, 0);
            pthread_t tids[64];
            unsigned started = 0;
            double wall0 = latency_now();
            for (unsigned w = 1; w < threads[t]; w++)
                if (pthread_create(&tids[started], NULL, fts_worker, &run) == 0)
                    started++;
            fts_worker(&run);
            for (unsigned w = 0; w < started; w++)
                pthread_join(tids[w], NULL);
            double wall = latency_now() - wall0;
            if (run.failed) {
                status = die("a query failed", NULL);
                break;
            }
            char mode[32];
            if (modes[m])
                snprintf(mode, sizeof mode, "top%zu", modes[m]);
            else
                snprintf(mode, sizeof mode, "count");
            latency_report("fts5", mode, started + 1, wall, latency, kinds, nq, (size_t)passes, sorted, json);
        }
    }
    free(latency);
    free(sorted);
    free(kinds);
    for (size_t i = 0; i < nq; i++)
        free(queries[i].text);
    free(queries);
    return status;
}
