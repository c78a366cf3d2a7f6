/*
 * embed.c — how a program embeds lpsearch through its public interface,
 * include/lpsearch.h, and nothing else.
 *
 *   usage: embed [-n LIMIT] [--explain] INDEX_DIR PATH... -- QUERY...
 *
 * It adds the transcripts at PATH (files, or directories whose *.txt files
 * are read) to the index in INDEX_DIR, creating the index the first time
 * and skipping calls already in it on later runs; commits; opens the
 * committed index; and runs each QUERY (one argument per query), printing
 * the best hits with the matched words in [brackets].
 *
 *   embed /tmp/idx data/transcripts -- '"proactive chat"' 'role:analyst pricing'
 *
 * Exit status: 0 on success (whether or not a query matched), 1 when a
 * call failed, 2 on a usage error.
 *
 * Build it against an installed lpsearch with either of
 *   cc embed.c $(pkg-config --cflags --libs lpsearch)
 *   find_package(lpsearch CONFIG REQUIRED) + target_link_libraries(embed lpsearch::lpsearch)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* opendir, readdir, stat */
#endif

#include <lpsearch.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every failing lpsearch call fills an lps_error; this prints it as one line
 * ("path: section S: message" and so on) after what the program was doing. */
static void report(const char *doing, const lps_error *err)
{
    char line[2048];
    fprintf(stderr, "embed: %s: %s (%s)\n", doing, lps_error_format(err, line, sizeof line),
            lps_strerror(err->code));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_transcript_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".txt") == 0;
}

/*
 * Adds one file and says what happened.  A file that cannot be read or is
 * not a transcript leaves the writer usable (lpsearch.h says so), so the
 * caller carries on with the other files and only remembers the failure.
 */
static int add_file(lps_writer *w, const char *path)
{
    lps_error err;
    int added;
    if (lps_writer_add_file(w, path, &added, &err) != LPS_OK) {
        report("adding a transcript", &err);
        return -1;
    }
    printf("%s %s\n", added ? "added" : "already indexed:", path);
    return 0;
}

/* Adds the *.txt files directly in dir, in byte order of their names so that
 * runs are reproducible (readdir order is not). */
static int add_directory(lps_writer *w, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "embed: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    int failed = 0;
    struct dirent *e;
    while (!failed && (e = readdir(d)) != NULL) {
        if (!is_transcript_name(e->d_name))
            continue;
        if (count == cap) {
            size_t grown_cap = cap ? 2 * cap : 16;
            char **grown = realloc(names, grown_cap * sizeof *grown);
            if (!grown) {
                failed = 1;
                break;
            }
            names = grown;
            cap = grown_cap;
        }
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        names[count] = malloc(len);
        if (!names[count]) {
            failed = 1;
            break;
        }
        snprintf(names[count++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (failed) {
        fprintf(stderr, "embed: %s: out of memory listing the directory\n", dir);
    } else if (count == 0) {
        fprintf(stderr, "embed: %s: no *.txt files\n", dir);
        failed = 1;
    } else {
        qsort(names, count, sizeof *names, compare_names);
        for (size_t i = 0; i < count; i++)
            failed |= add_file(w, names[i]) != 0;
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return failed ? -1 : 0;
}

/*
 * Builds or updates the index: one writer holds the index lock from open to
 * close, and nothing it adds is visible to searches before the commit.
 */
static int update_index(const char *index_dir, char **paths, int path_count)
{
    lps_writer_options opts;
    lps_writer_options_init(&opts); /* defaults first, then what we change */
    opts.create = 1;                /* make the index on the first run */

    lps_writer *w;
    lps_error err;
    if (lps_writer_open(index_dir, &opts, &w, &err) != LPS_OK) {
        report("opening the index for writing", &err); /* LPS_ELOCKED: another writer */
        return -1;
    }
    int failed = 0;
    for (int i = 0; i < path_count; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            failed |= add_directory(w, paths[i]) != 0;
        else
            failed |= add_file(w, paths[i]) != 0;
    }
    /* Commit what was added even when a file failed: the good ones count. */
    if (lps_writer_commit(w, &err) != LPS_OK) {
        report("committing", &err);
        failed = 1;
    }
    lps_writer_close(w); /* releases the lock; accepts NULL */
    return failed ? -1 : 0;
}

/* The hit's text with every highlight span in [brackets].  Spans are byte
 * ranges into hit->text, ascending and non-overlapping. */
static void print_highlighted(const lps_hit *hit)
{
    size_t at = 0;
    for (size_t i = 0; i < hit->highlight_count; i++) {
        const lps_span *span = &hit->highlights[i];
        printf("%.*s[%.*s]", (int)(span->start - at), hit->text + at, (int)(span->end - span->start),
               hit->text + span->start);
        at = span->end;
    }
    printf("%.*s\n", (int)(hit->text_len - at), hit->text + at);
}

static void print_hit(const lps_hit *hit)
{
    /* Metadata strings are NULL when the transcript did not say. */
    const char *company = hit->company ? hit->company : hit->call_file;
    const char *speaker = hit->speaker_name ? hit->speaker_name : hit->speaker_label;
    printf("%zu. [score %.3f] %s", hit->rank, hit->score, company ? company : "?");
    if (hit->quarter)
        printf(" Q%d", hit->quarter);
    if (hit->year)
        printf(" %d", hit->year);
    printf(" (%s), %s", hit->call_file ? hit->call_file : "?", speaker ? speaker : "unknown speaker");
    if (hit->speaker_role)
        printf(" (%s)", hit->speaker_role);
    printf(":\n   ");
    print_highlighted(hit);

    if (hit->explain) {
        /* The score is the sum of the rows' scores: one row per term or phrase. */
        const lps_explain *e = hit->explain;
        printf("   N = %.0f, average length %.2f, k1 = %g, b = %g\n", e->n, e->avg_length, e->k1, e->b);
        for (size_t i = 0; i < e->row_count; i++) {
            const lps_explain_row *r = &e->rows[i];
            printf("   %-24s tf %g  df %g  idf %.4f  length %g  -> %.4f\n", r->unit, r->tf, r->df, r->idf,
                   r->length, r->score);
        }
    }
}

/* Runs one query.  Syntax errors carry the byte of the query at fault in
 * err.offset, which a program can point at. */
static int run_query(lps_index *index, const char *query, size_t limit, int explain)
{
    lps_search_options opts;
    lps_search_options_init(&opts);
    opts.limit = limit;
    opts.explain = explain;
    opts.count = 1; /* we want the total as well as the best hits */

    lps_results *results;
    lps_error err;
    if (lps_search(index, query, &opts, &results, &err) != LPS_OK) {
        if (err.code == LPS_ESYNTAX && err.offset >= 0)
            fprintf(stderr, "embed: query %s: at byte %lld: %s\n", query, err.offset, err.message);
        else
            report("searching", &err);
        return -1;
    }
    printf("\nquery: %s\n", query);
    size_t n = lps_results_count(results);
    for (size_t i = 0; i < n; i++)
        print_hit(lps_results_hit(results, i)); /* valid until lps_results_free */
    printf("total: %llu matching sentence%s, %zu shown\n", (unsigned long long)lps_results_total(results),
           lps_results_total(results) == 1 ? "" : "s", n);
    lps_results_free(results);
    return 0;
}

static int usage(void)
{
    fputs("usage: embed [-n LIMIT] [--explain] INDEX_DIR PATH... -- QUERY...\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    size_t limit = 5;
    int explain = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--explain") == 0) {
            explain = 1;
        } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || end == argv[i] || v == 0 || v > 1000)
                return usage();
            limit = (size_t)v;
        } else {
            return usage();
        }
    }
    /* INDEX_DIR, then PATH... up to "--", then the queries. */
    int sep = i;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    if (sep - i < 2 || sep + 1 >= argc)
        return usage();
    const char *index_dir = argv[i];

    int status = 0;
    if (update_index(index_dir, argv + i + 1, sep - i - 1) != 0)
        status = 1; /* still search what was committed */

    /* A read-only snapshot of what the commit made visible.  Every section's
     * checksum is verified here, so a damaged index fails now, not mid-query. */
    lps_index *index;
    lps_error err;
    if (lps_index_open(index_dir, &index, &err) != LPS_OK) {
        report("opening the index", &err);
        return 1;
    }
    lps_index_info info;
    lps_index_get_info(index, &info);
    printf("index %s: %llu calls, %llu sentences, %llu segment%s\n", index_dir, (unsigned long long)info.calls,
           (unsigned long long)info.sentences, (unsigned long long)info.segments, info.segments == 1 ? "" : "s");

    for (int q = sep + 1; q < argc; q++)
        if (run_query(index, argv[q], limit, explain) != 0)
            status = 1;

    lps_index_close(index); /* after every lps_results_free */
    return status;
}
