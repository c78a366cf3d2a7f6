/*
 * The real `lpsearch` program writing an index while it is killed or read.
 *
 * The corpus is the five bundled transcripts followed by SYNTH_FILES
 * synthetic ones written here (six companies, named-label layout, about
 * 29 KB each, nearly a third of their words made-up names), in one
 * fixed order F[0..N).  The writer inverts files in input order and commits
 * whole files only (after the file whose postings pass the RAM budget, and
 * at the end of a run), and merges keep document order, so every state an
 * index may be in is a prefix F[0..m).  The answers expected of that state
 * come from a reference index built by the library from scratch, in a
 * directory of its own, from exactly F[0..m); answers are cached by m and
 * shared by both tests.  Sixteen queries (words, AND, OR, phrases, NOT,
 * prefixes, NEAR, field filters, paging) are compared: the total,
 * lps_count, and per hit its id, score (1e-9 relative), text, call and
 * speaker.
 *
 * test_kill_index_process: `lpsearch index -q --ram-mb 1 --threads 1
 * --merge-factor 2` adds the next RUN_FILES files to the index, as a child
 * process (posix_spawn, no shell), and is killed with SIGKILL after a
 * random delay.  Such a run flushes two or three segments and merges after
 * most flushes; the delays are spread uniformly over the measured length of
 * an uninterrupted run (and a little past it), so kills land before the
 * first commit, while segments are written, during merges and around
 * manifest renames.  After each kill: the index opens; it holds exactly the
 * calls F[0..m) in order, with m between the calls committed before the
 * run and the last file the run was given (nothing committed is lost,
 * nothing half-added shows); its answers are those of the reference for m;
 * `lpsearch check` exits 0; a writer that finished before the kill left no
 * debris.  The next trial continues from there, so every writer but the
 * first starts on the leftovers of a killed one.  A quarter of the runs
 * also name up to 8 files already indexed, as a rerun of an interrupted
 * build does (they are skipped by content).  Once every file is in, every
 * other time an `lpsearch optimize` is killed instead; then the index goes
 * back to the bundled five.  At the end an uninterrupted writer completes
 * the corpus, and the directory holds nothing but LOCK, MANIFEST and the
 * segments the manifest names.  LPS_KILL_TRIALS sets the number of trials
 * (default 50), LPS_KILL_SEED the seed of the delays (printed; by default
 * it changes from run to run).  A seed repeats the delays, not the
 * scheduler, so a failure may take a few runs to recur.
 *
 * test_search_while_process_commits: READER_THREADS threads search one
 * lps_index while `lpsearch index` processes commit the synthetic files
 * into its directory (two runs, seven flushes and their merges) and an
 * `lpsearch optimize` process then merges every segment, unlinking the
 * files the readers have mapped.  Every search must equal, bit for bit, the
 * single-threaded run on the snapshot the threads share.  Meanwhile another
 * thread keeps opening the index anew: each snapshot it gets must answer as
 * the reference of the commit it holds.  Afterwards the shared snapshot
 * still answers as before, and a reopened index holds the whole corpus in
 * one segment and passes `lpsearch check`.
 */
#include "test.h"

#include "index_snapshot.h"
#include "lpsearch.h"
#include "manifest.h"
#include "segment_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SYNTH_FILES 32
#define BUNDLED_FILES 5
#define CORPUS_FILES (BUNDLED_FILES + SYNTH_FILES)
#define DEFAULT_TRIALS 50
#define RUN_FILES 12 /* new files per writer run in the kill test */
#define READER_THREADS 3
#define MAX_SAMPLES 256

static const char *const bundled[BUNDLED_FILES] = {"liveperson-2006-q1.txt", "liveperson-2006-q3.txt",
                                                   "liveperson-2007-q2.txt", "liveperson-2014-q1.txt",
                                                   "liveperson-2016-q1.txt"};

/* The arguments every writer run gets besides its files.  A 1 MiB budget
 * (the least the CLI takes) flushes every 4 or 5 synthetic files, and a
 * merge factor of 2 merges after most flushes. */
#define WRITER_RAM_MB "1"
#define WRITER_MERGE_FACTOR 2

/* ---- Time and processes --------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Starts the CLI with argv (argv[0] is replaced by LPS_CLI_PATH), stdin from
 * /dev/null, stdout and stderr appended to log. */
static pid_t spawn_cli(const char **argv, const char *log)
{
    posix_spawn_file_actions_t actions;
    assert_int_equal(posix_spawn_file_actions_init(&actions), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&actions, 1, 2), 0);
    argv[0] = LPS_CLI_PATH;
    pid_t pid;
    int rc = posix_spawn(&pid, LPS_CLI_PATH, &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        fail_msg("cannot start %s: %s", LPS_CLI_PATH, strerror(rc));
    return pid;
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    return status;
}

/* The last lines of a log, for failure messages. */
static const char *log_tail(const char *log)
{
    static char tail[2048];
    tail[0] = '\0';
    FILE *f = fopen(log, "rb");
    if (!f)
        return tail;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof tail - 1 ? size - (long)sizeof tail + 1 : 0, SEEK_SET);
    size_t n = fread(tail, 1, sizeof tail - 1, f);
    tail[n] = '\0';
    fclose(f);
    return tail;
}

/* Runs the CLI to completion; its exit status (fails on a signal). */
static int run_cli(const char **argv, const char *log)
{
    int status = wait_child(spawn_cli(argv, log));
    if (!WIFEXITED(status))
        fail_msg("%s %s died of signal %d; log:\n%s", LPS_CLI_PATH, argv[1], WTERMSIG(status), log_tail(log));
    return WEXITSTATUS(status);
}

static void check_with_cli(const char *dir, const char *log)
{
    const char *argv[] = {NULL, "check", "-i", dir, NULL};
    int code = run_cli(argv, log);
    if (code != 0)
        fail_msg("lpsearch check -i %s exited %d; log:\n%s", dir, code, log_tail(log));
}

/* argv of `lpsearch index` for files[0..n); the caller frees the array. */
static const char **index_argv(const char *dir, const char *const *files, size_t n)
{
    static char merge_factor[16];
    snprintf(merge_factor, sizeof merge_factor, "%d", WRITER_MERGE_FACTOR);
    const char *head[] = {NULL, "index", "-q", "-i", dir, "--ram-mb", WRITER_RAM_MB, "--threads", "1",
                          "--merge-factor", merge_factor, "--"};
    size_t h = sizeof head / sizeof head[0];
    const char **argv = calloc(h + n + 1, sizeof *argv);
    assert_non_null(argv);
    memcpy(argv, head, sizeof head);
    for (size_t i = 0; i < n; i++)
        argv[h + i] = files[i];
    return argv;
}

/* ---- Files and directories ------------------------------------------------- */

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Replaces dst by a copy of the index in src (without its lock file). */
static void copy_index(const char *src, const char *dst)
{
    remove_tree(dst);
    assert_int_equal(mkdir(dst, 0755), 0);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *e;
    static char buf[1 << 16];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "LOCK") == 0)
            continue;
        char from[4400], to[4400];
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        if (!in || !out)
            fail_msg("cannot copy %s to %s", from, to);
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
        assert_int_equal(fclose(out), 0);
    }
    closedir(d);
}

/* What a directory listing says about a writer's leftovers. */
typedef struct debris {
    int seg_tmp;      /* seg-*.tmp: a segment being written */
    int manifest_tmp; /* MANIFEST*.tmp: a commit being published */
    int other_tmp;    /* any other *.tmp (spool files) */
    int orphans;      /* seg-* files the manifest does not name */
    int unexpected;   /* anything else that is not LOCK, MANIFEST or a named segment */
    char first[256];  /* the first leftover, for messages */
} debris;

static int manifest_names(const manifest *m, const char *name)
{
    for (size_t i = 0; i < m->segment_count; i++) {
        char expect[64];
        snprintf(expect, sizeof expect, "seg-%016llx.lps", (unsigned long long)m->segments[i].id);
        if (strcmp(name, expect) == 0)
            return 1;
        if (m->segments[i].deletions_generation) {
            deletions_file_name(m->segments[i].id, m->segments[i].deletions_generation, expect, sizeof expect);
            if (strcmp(name, expect) == 0)
                return 1;
        }
    }
    return 0;
}

static void list_debris(const char *dir, debris *out)
{
    memset(out, 0, sizeof *out);
    manifest m;
    lps_error err;
    if (manifest_read(dir, &m, &err) != LPS_OK)
        fail_msg("cannot read the manifest of %s: %s", dir, err.message);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "LOCK") == 0 ||
            strcmp(name, MANIFEST_NAME) == 0 || manifest_names(&m, name))
            continue;
        int tmp = len > 4 && strcmp(name + len - 4, ".tmp") == 0;
        if (tmp && strncmp(name, "seg-", 4) == 0)
            out->seg_tmp++;
        else if (tmp && strncmp(name, MANIFEST_NAME, strlen(MANIFEST_NAME)) == 0)
            out->manifest_tmp++;
        else if (tmp)
            out->other_tmp++;
        else if (strncmp(name, "seg-", 4) == 0)
            out->orphans++;
        else
            out->unexpected++;
        if (!out->first[0])
            snprintf(out->first, sizeof out->first, "%s", name);
    }
    closedir(d);
    manifest_free(&m);
}

static int debris_count(const debris *d)
{
    return d->seg_tmp + d->manifest_tmp + d->other_tmp + d->orphans + d->unexpected;
}

/* ---- The corpus ---------------------------------------------------------- */

typedef struct company {
    const char *name, *ticker, *ceo, *cfo;
} company;

static const company companies[] = {
    {"Acme Widgets", "ACMW", "Laura Chen", "Marcus Webb"},
    {"Borealis Networks", "BORN", "Henrik Dahl", "Priya Raman"},
    {"Cobalt Data", "CBLT", "Samuel Ortiz", "Nina Brooks"},
    {"Delta Freight", "DLTF", "Grace Mueller", "Owen Fletcher"},
    {"Ember Health", "EMBR", "Victor Alvarez", "Hannah Price"},
    {"Fathom Retail", "FTHM", "Rachel Kim", "Daniel Foster"},
};
#define COMPANIES (sizeof companies / sizeof companies[0])

static const char *const analysts[][2] = {
    {"Alex Turner", "Roth Capital"}, {"Maria Santos", "Benchmark"}, {"Kevin Doyle", "Needham"},
    {"Sophie Laurent", "Cowen"},     {"Brian Walsh", "Stifel"},     {"Emma Novak", "Piper Sandler"},
    {"Jacob Reyes", "Jefferies"},    {"Olivia Grant", "William Blair"},
};

static const char *const nouns[] = {
    "revenue", "customers", "growth", "margin", "pricing", "chat", "mobile", "messaging", "platform",
    "bookings", "guidance", "outlook", "ebitda", "expenses", "investment", "engagement", "market",
    "segment", "demand", "pipeline", "retention", "deals", "partners", "products", "teams", "sales",
    "operations", "inventory", "shipments", "backlog", "contracts", "subscribers", "churn", "capacity",
    "freight", "clinics", "stores", "software", "analytics", "automation", "headcount", "dividend",
    "buyback", "leverage", "currency", "supply", "costs", "efficiency", "innovation", "quarter", "year",
    "results", "strategy", "execution", "momentum", "visibility",
};
static const char *const verbs[] = {
    "grew", "expect", "delivered", "improved", "signed", "launched", "invested", "reported",
    "increased", "declined", "continue", "see", "believe", "drive", "expanded", "reduced",
    "added", "closed", "achieved", "remain", "focus", "deliver", "accelerate", "engaged",
};
static const char *const adjectives[] = {
    "strong", "solid", "record", "new", "enterprise", "global", "recurring", "adjusted",
    "operating", "digital", "healthy", "modest", "significant", "steady", "international", "proactive",
    "organic", "seasonal", "higher", "lower", "engaging", "competitive",
};
static const char *const glue[] = {
    "we", "our", "the", "and", "in", "of", "to", "a", "for", "with", "on", "this", "that", "as", "is", "are",
    "was", "were", "be", "it", "have", "has", "from", "by", "at", "also", "very", "more", "into", "across",
    "while", "over",
};
#define NAME_PERCENT 30 /* of the words: names of products, customers and places */
static const char *const syllables[] = {
    "ka", "zu", "mor", "vel", "tri", "dex", "lo", "quin", "sar", "bel", "nox", "ra", "fen", "dor", "ly", "pex",
    "tor", "vi", "gal", "mun", "cor", "zen", "ba", "ris", "ty", "wen", "os", "hap", "ju", "rel", "sim", "ek",
};
static const char *const phrases[] = {
    "gross margin",       "cash flow",     "proactive chat", "mobile messaging", "free cash flow",
    "operating leverage", "net retention", "fourth quarter", "first quarter",    "customer engagement",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct text_buf {
    char *bytes;
    size_t len, cap;
} text_buf;

static void put(text_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->bytes = realloc(b->bytes, b->cap);
        assert_non_null(b->bytes);
    }
    memcpy(b->bytes + b->len, s, n + 1);
    b->len += n;
}

/* One sentence of 6 to 23 words: capitalized, no abbreviations, ending in
 * '.' or, for a question, '?'. */
static void put_sentence(text_buf *b, uint32_t *rng, int question)
{
    int words = 6 + (int)(next_random(rng) % 18);
    char word[64];
    for (int i = 0; i < words; i++) {
        uint32_t r = next_random(rng) % 100;
        const char *w;
        if (r < 26)
            w = glue[next_random(rng) % COUNT(glue)];
        else if (r < 44)
            w = nouns[next_random(rng) % COUNT(nouns)];
        else if (r < 52)
            w = verbs[next_random(rng) % COUNT(verbs)];
        else if (r < 60)
            w = adjectives[next_random(rng) % COUNT(adjectives)];
        else if (r < 64)
            w = phrases[next_random(rng) % COUNT(phrases)];
        else if (r < 64 + NAME_PERCENT) {
            /* Names of products, customers and places, nearly all distinct:
             * they make the writer's term table, not the text, fill the RAM
             * budget, so commits come often without much text to index. */
            int n = 3 + (int)(next_random(rng) % 2);
            word[0] = '\0';
            for (int k = 0; k < n; k++)
                strcat(word, syllables[next_random(rng) % COUNT(syllables)]);
            word[0] = (char)(word[0] - 'a' + 'A');
            w = word;
        } else {
            if (next_random(rng) % 2)
                snprintf(word, sizeof word, "$%u.%u million", 1 + next_random(rng) % 400, next_random(rng) % 10);
            else
                snprintf(word, sizeof word, "%u%%", 1 + next_random(rng) % 90);
            w = word;
        }
        if (i == 0) {
            char first[64];
            snprintf(first, sizeof first, "%s", w);
            if (first[0] >= 'a' && first[0] <= 'z')
                first[0] = (char)(first[0] - 'a' + 'A');
            put(b, first);
        } else {
            put(b, " ");
            put(b, w);
        }
    }
    put(b, question ? "? " : ". ");
}

/* `lines` lines of 3 to 6 sentences each. */
static void put_remarks(text_buf *b, uint32_t *rng, int lines, int questions)
{
    for (int l = 0; l < lines; l++) {
        int n = 3 + (int)(next_random(rng) % 4);
        for (int s = 0; s < n; s++)
            put_sentence(b, rng, questions && s == n - 1);
        b->len--; /* the space after the last sentence */
        put(b, "\n");
    }
}

static const char *const ordinals[] = {"first", "second", "third", "fourth"};

/* Synthetic call k (0-based): a function of k only. */
static void synth_call(size_t k, text_buf *b)
{
    const company *c = &companies[k % COMPANIES];
    int year = 2018 + (int)(k / COMPANIES);
    int quarter = 1 + (int)((k / 2) % 4);
    uint32_t rng = 0x2545f491u ^ (uint32_t)(k * 0x9e3779b9u);
    if (!rng)
        rng = 1;
    char line[512];
    snprintf(line, sizeof line, "%s Inc (%s) %d Q%d Earnings Call\nOperator\n", c->name, c->ticker, year, quarter);
    put(b, line);
    snprintf(line, sizeof line,
             "Good day, and welcome to the %s %s quarter %d earnings conference call. "
             "Joining us today are %s, CEO; and %s, CFO. I will now turn the call over to %s.\n",
             c->name, ordinals[quarter - 1], year, c->ceo, c->cfo, c->ceo);
    put(b, line);
    snprintf(line, sizeof line, "%s - CEO\n", c->ceo);
    put(b, line);
    put_remarks(b, &rng, 16, 0);
    snprintf(line, sizeof line, "%s - CFO\n", c->cfo);
    put(b, line);
    put_remarks(b, &rng, 16, 0);
    for (int q = 0; q < 5; q++) {
        const char *const *a = analysts[next_random(&rng) % COUNT(analysts)];
        snprintf(line, sizeof line, "Operator\nOur next question comes from %s with %s.\n%s - %s - Analyst\n", a[0],
                 a[1], a[0], a[1]);
        put(b, line);
        put_remarks(b, &rng, 1, 1);
        snprintf(line, sizeof line, "%s - %s\n", q % 2 ? c->cfo : c->ceo, q % 2 ? "CFO" : "CEO");
        put(b, line);
        put_remarks(b, &rng, 3, 0);
    }
    put(b, "Operator\nThat concludes today's conference call. Thank you for your participation.\n");
}

typedef struct corpus {
    char *paths[CORPUS_FILES];
} corpus;

static void corpus_make(corpus *c, const char *dir)
{
    for (size_t i = 0; i < BUNDLED_FILES; i++)
        c->paths[i] = strdup(test_data_path(bundled[i]));
    for (size_t k = 0; k < SYNTH_FILES; k++) {
        const company *co = &companies[k % COMPANIES];
        char path[4400];
        snprintf(path, sizeof path, "%s/synth-%02zu-%s.txt", dir, k, co->ticker);
        text_buf b = {0};
        synth_call(k, &b);
        test_write_file(path, b.bytes, b.len);
        free(b.bytes);
        c->paths[BUNDLED_FILES + k] = strdup(path);
    }
    for (size_t i = 0; i < CORPUS_FILES; i++)
        assert_non_null(c->paths[i]);
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < CORPUS_FILES; i++)
        free(c->paths[i]);
}

/*
 * Which commit the index in dir holds: m when its live calls are exactly
 * F[0..m) in that order; -1 otherwise, with why in msg.
 */
static int committed_prefix(const corpus *c, const char *dir, char *msg, size_t size)
{
    index_snapshot *snap;
    lps_error err;
    int rc = index_snapshot_open(dir, &snap, &err);
    if (rc != LPS_OK) {
        snprintf(msg, size, "the index does not open: %.200s: %.200s", err.path, err.message);
        return -1;
    }
    int m = 0;
    for (size_t i = 0; i < snap->segment_count && m >= 0; i++) {
        const snapshot_segment *ss = &snap->segments[i];
        for (uint32_t k = 0; k < ss->seg->call_count && m >= 0; k++) {
            call_record cr;
            if (segment_call(ss->seg, k, &cr) != LPS_OK) {
                snprintf(msg, size, "call %u of segment %zu does not decode", k, i);
                m = -1;
            } else if (cr.doc_count > 0 && snapshot_is_deleted(ss, cr.first_doc)) {
                continue;
            } else if (m >= CORPUS_FILES || !cr.path || strcmp(cr.path, c->paths[m]) != 0) {
                snprintf(msg, size, "call %d of the index is %s, not %s", m, cr.path ? cr.path : "(no path)",
                         m < CORPUS_FILES ? c->paths[m] : "(past the corpus)");
                m = -1;
            } else {
                m++;
            }
        }
    }
    if (m >= 0 && snap->live_calls != (uint64_t)m) {
        snprintf(msg, size, "the index counts %llu live calls but lists %d", (unsigned long long)snap->live_calls, m);
        m = -1;
    }
    index_snapshot_close(snap);
    return m;
}

/* ---- Queries and their answers ----------------------------------------- */

typedef struct query_case {
    const char *query;
    size_t limit, offset;
} query_case;

static const query_case cases[] = {
    {"revenue", 20, 0},
    {"customers", 10, 25},
    {"mobile messaging", 20, 0},
    {"chat AND pricing", 20, 0},
    {"margin OR ebitda", 20, 0},
    {"\"gross margin\"", 20, 0},
    {"\"cash flow\" -free", 20, 0},
    {"growth NOT quarter", 20, 0},
    {"engag*", 20, 0},
    {"NEAR(proactive chat, 5)", 20, 0},
    {"role:cfo margin", 20, 0},
    {"role:analyst (pricing OR demand)", 20, 0},
    {"company:borealis year:2019..2021 growth", 20, 0},
    {"speaker:operator", 20, 0},
    {"firm:needham", 20, 0},
    {"liveperson", 20, 0},
};
#define CASES COUNT(cases)

typedef struct hit_record {
    uint64_t id;
    double score;
    char *what; /* call, speaker and text, compared as one string */
} hit_record;

typedef struct outcome {
    int rc;
    uint64_t total, counted;
    size_t count;
    hit_record *hits;
} outcome;

static void outcome_free(outcome *o)
{
    for (size_t i = 0; i < o->count; i++)
        free(o->hits[i].what);
    free(o->hits);
    memset(o, 0, sizeof *o);
}

static char *describe_hit(const lps_hit *h)
{
#define S(x) ((x) ? (x) : "-")
    const char *fmt = "%s|%s|%s|%s|%s|%s|%d|%d|t%u|s%u|%.*s";
    int n = snprintf(NULL, 0, fmt, S(h->call_file), S(h->company), S(h->speaker_label), S(h->speaker_name),
                     S(h->speaker_role), S(h->speaker_firm), h->year, h->quarter, h->turn, h->sentence,
                     (int)h->text_len, h->text);
    char *s = malloc((size_t)n + 1);
    if (s)
        snprintf(s, (size_t)n + 1, fmt, S(h->call_file), S(h->company), S(h->speaker_label), S(h->speaker_name),
                 S(h->speaker_role), S(h->speaker_firm), h->year, h->quarter, h->turn, h->sentence,
                 (int)h->text_len, h->text);
    return s;
#undef S
}

/* Runs one case; 0 when out was filled, -1 when memory ran out. */
static int run_case(lps_index *ix, const query_case *c, outcome *out)
{
    memset(out, 0, sizeof *out);
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = c->limit;
    o.offset = c->offset;
    o.count = 1;
    lps_results *res = NULL;
    lps_error err;
    out->rc = lps_search(ix, c->query, &o, &res, &err);
    if (out->rc != LPS_OK)
        return 0;
    out->total = lps_results_total(res);
    out->count = lps_results_count(res);
    out->hits = calloc(out->count ? out->count : 1, sizeof *out->hits);
    if (!out->hits) {
        lps_results_free(res);
        out->count = 0;
        return -1;
    }
    for (size_t i = 0; i < out->count; i++) {
        const lps_hit *h = lps_results_hit(res, i);
        out->hits[i].id = h->id;
        out->hits[i].score = h->score;
        if (!(out->hits[i].what = describe_hit(h))) {
            lps_results_free(res);
            return -1;
        }
    }
    lps_results_free(res);
    out->counted = UINT64_MAX;
    if (lps_count(ix, c->query, &out->counted, &err) != LPS_OK)
        out->counted = UINT64_MAX - 1;
    return 0;
}

static int scores_agree(double a, double b, int exact)
{
    if (exact)
        return memcmp(&a, &b, sizeof a) == 0;
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

/* 1 when got equals want; otherwise 0 and why in msg.  exact: scores bit for bit. */
static int outcome_matches(const outcome *got, const outcome *want, int exact, char *msg, size_t size)
{
    if (got->rc != want->rc) {
        snprintf(msg, size, "status %d, expected %d", got->rc, want->rc);
        return 0;
    }
    if (got->total != want->total || got->counted != got->total || got->count != want->count) {
        snprintf(msg, size, "total %llu (lps_count %llu), %zu hits; expected total %llu, %zu hits",
                 (unsigned long long)got->total, (unsigned long long)got->counted, got->count,
                 (unsigned long long)want->total, want->count);
        return 0;
    }
    for (size_t i = 0; i < got->count; i++) {
        const hit_record *g = &got->hits[i], *w = &want->hits[i];
        if (g->id != w->id || !scores_agree(g->score, w->score, exact) || strcmp(g->what, w->what) != 0) {
            snprintf(msg, size, "hit %zu is id %llu score %.17g [%.120s], expected id %llu score %.17g [%.120s]", i,
                     (unsigned long long)g->id, g->score, g->what, (unsigned long long)w->id, w->score, w->what);
            return 0;
        }
    }
    return 1;
}

static void run_all(lps_index *ix, outcome out[CASES])
{
    for (size_t i = 0; i < CASES; i++)
        assert_int_equal(run_case(ix, &cases[i], &out[i]), 0);
}

/* Fails unless the index in dir answers every case as want does. */
static void expect_answers(const char *dir, const outcome want[CASES], const char *what)
{
    lps_index *ix;
    lps_error err;
    if (lps_index_open(dir, &ix, &err) != LPS_OK)
        fail_msg("%s: lps_index_open: %s: %s", what, err.path, err.message);
    for (size_t i = 0; i < CASES; i++) {
        outcome got;
        assert_int_equal(run_case(ix, &cases[i], &got), 0);
        char msg[512];
        if (!outcome_matches(&got, &want[i], 0, msg, sizeof msg))
            fail_msg("%s: query '%s': %s", what, cases[i].query, msg);
        outcome_free(&got);
    }
    lps_index_close(ix);
}

/* ---- References: a fresh index of F[0..m) per m, answers cached ------------ */

typedef struct references {
    const corpus *corpus;
    char dir[4200];
    int built[CORPUS_FILES + 1];
    outcome answers[CORPUS_FILES + 1][CASES];
    int builds;
    double seconds;
} references;

static const outcome *reference(references *r, int m)
{
    assert_true(m >= 0 && m <= CORPUS_FILES);
    if (r->built[m])
        return r->answers[m];
    double start = now_seconds();
    remove_tree(r->dir);
    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    wo.threads = 1;
    lps_writer *w;
    lps_error err;
    if (lps_writer_open(r->dir, &wo, &w, &err) != LPS_OK)
        fail_msg("reference %d: %s", m, err.message);
    for (int i = 0; i < m; i++) {
        int added = 0;
        if (lps_writer_add_file(w, r->corpus->paths[i], &added, &err) != LPS_OK)
            fail_msg("reference %d: %s: %s", m, err.path, err.message);
        assert_int_equal(added, 1);
    }
    assert_int_equal(lps_writer_commit(w, &err), LPS_OK);
    lps_writer_close(w);
    lps_index *ix;
    assert_int_equal(lps_index_open(r->dir, &ix, &err), LPS_OK);
    run_all(ix, r->answers[m]);
    lps_index_close(ix);
    remove_tree(r->dir);
    r->built[m] = 1;
    r->builds++;
    r->seconds += now_seconds() - start;
    return r->answers[m];
}

static void references_free(references *r)
{
    for (int m = 0; m <= CORPUS_FILES; m++)
        for (size_t i = 0; r->built[m] && i < CASES; i++)
            outcome_free(&r->answers[m][i]);
}

/* The cases must find something, and what they find must grow with the
 * corpus, or comparing answers would prove little. */
static void check_cases_discriminate(references *r)
{
    const outcome *small = reference(r, BUNDLED_FILES), *full = reference(r, CORPUS_FILES);
    size_t with_hits = 0, grown = 0;
    for (size_t i = 0; i < CASES; i++) {
        if (full[i].rc != LPS_OK)
            fail_msg("query '%s' fails: %s", cases[i].query, lps_strerror(full[i].rc));
        with_hits += full[i].count > 0;
        grown += full[i].total > small[i].total;
    }
    assert_int_equal(with_hits, CASES);
    assert_true(grown >= CASES - 2);
}

/* ---- Shared set-up ----------------------------------------------------------- */

typedef struct fixture {
    char root[4096];
    char base[4200]; /* the index of the bundled files, kept pristine */
    char log[4200];
    corpus corpus;
    references refs;
} fixture;

/* Built once for both tests (the references are shared). */
static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "%s", test_scratch_dir("crash-cli"));
    char corpus_dir[4200];
    snprintf(corpus_dir, sizeof corpus_dir, "%s/corpus", f->root);
    assert_int_equal(mkdir(corpus_dir, 0755), 0);
    corpus_make(&f->corpus, corpus_dir);
    snprintf(f->base, sizeof f->base, "%s/base", f->root);
    snprintf(f->log, sizeof f->log, "%s/cli.log", f->root);
    f->refs.corpus = &f->corpus;
    snprintf(f->refs.dir, sizeof f->refs.dir, "%s/reference", f->root);

    const char **argv = index_argv(f->base, (const char *const *)f->corpus.paths, BUNDLED_FILES);
    int code = run_cli(argv, f->log);
    free(argv);
    if (code != 0)
        fail_msg("building the base index exited %d; log:\n%s", code, log_tail(f->log));
    char msg[512];
    assert_int_equal(committed_prefix(&f->corpus, f->base, msg, sizeof msg), BUNDLED_FILES);
    check_cases_discriminate(&f->refs);
    *state = f;
    return 0;
}

static double cpu_seconds(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;
    print_message("CPU time: %.1f s in this process, %.1f s in the lpsearch processes\n", cpu_seconds(RUSAGE_SELF),
                  cpu_seconds(RUSAGE_CHILDREN));
    print_message("%d reference indexes built in %.1f s\n", f->refs.builds, f->refs.seconds);
    references_free(&f->refs);
    corpus_free(&f->corpus);
    free(f);
    return 0;
}

/* The index in dir, after whatever happened to it: opens, holds the commit
 * F[0..m) for some lo <= m <= hi, answers as the reference of m, and passes
 * `lpsearch check`.  Returns m. */
static int verify_commit(fixture *f, const char *dir, int lo, int hi, const char *what)
{
    char msg[512];
    int m = committed_prefix(&f->corpus, dir, msg, sizeof msg);
    if (m < 0)
        fail_msg("%s: the index is no commit of the corpus: %s", what, msg);
    if (m < lo)
        fail_msg("%s: the index holds %d calls, fewer than the %d committed before", what, m, lo);
    if (m > hi)
        fail_msg("%s: the index holds %d calls, more than the %d given", what, m, hi);
    char label[256];
    snprintf(label, sizeof label, "%s (commit of %d calls)", what, m);
    expect_answers(dir, reference(&f->refs, m), label);
    check_with_cli(dir, f->log);
    return m;
}

static unsigned env_unsigned(const char *name, unsigned fallback)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return fallback;
    char *end;
    unsigned long n = strtoul(v, &end, 0);
    return *end == '\0' && n <= 100000 ? (unsigned)n : fallback;
}

/* ---- Killing the writer ------------------------------------------------------ */

/* Segments flushed and merged by a run, from the manifests around it: every
 * flush and every merge takes a new segment id; a flush adds a segment and
 * a merge of F removes F - 1. */
static void count_work(const manifest *before, const manifest *after, unsigned factor, unsigned *flushes,
                       unsigned *merges)
{
    long ids = (long)(after->next_segment_id - before->next_segment_id);
    long grown = (long)after->segment_count - (long)before->segment_count;
    *merges = (unsigned)((ids - grown) / (long)factor);
    *flushes = (unsigned)(ids - (long)*merges);
}

typedef struct kill_stats {
    unsigned trials, index_runs, rerun_runs, optimize_runs;
    unsigned before_first_commit, between_commits, after_last_commit, optimize_killed, finished;
    unsigned seg_tmp, manifest_tmp, other_tmp, orphans;
} kill_stats;

/* Runs `lpsearch index` on F[from..to) to completion; returns how long it took. */
static double timed_index_run(fixture *f, const char *dir, size_t from, size_t to)
{
    const char **argv = index_argv(dir, (const char *const *)f->corpus.paths + from, to - from);
    double t0 = now_seconds();
    int code = run_cli(argv, f->log);
    double took = now_seconds() - t0;
    free(argv);
    if (code != 0)
        fail_msg("lpsearch index exited %d; log:\n%s", code, log_tail(f->log));
    return took;
}

/* Waits for the child until deadline: the time it exited (its status in
 * *status), or -1 when it is still running. */
static double wait_until(pid_t pid, double deadline, int *status)
{
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid)
            return now_seconds();
        if (got < 0 && errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
        double left = deadline - now_seconds();
        if (left <= 0)
            return -1;
        sleep_seconds(fmin(left, 0.001));
    }
}

static void test_kill_index_process(void **state)
{
    fixture *f = *state;
    double started = now_seconds();
    unsigned trials = env_unsigned("LPS_KILL_TRIALS", DEFAULT_TRIALS);
    uint32_t seed = env_unsigned("LPS_KILL_SEED", 0);
    if (!seed)
        seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
    if (!seed)
        seed = 1;
    const uint32_t first_seed = seed;
    print_message("kill trials: %u, seed %u (LPS_KILL_SEED=%u repeats the delays)\n", trials, seed, seed);

    /* Uninterrupted runs give the time lines to spread the kills over: one
     * run of RUN_FILES new files, then the rest of the corpus, then an
     * optimize of the whole. */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/calibrate", f->root);
    copy_index(f->base, dir);
    manifest before, after;
    lps_error err;
    assert_int_equal(manifest_read(dir, &before, &err), LPS_OK);
    double run_time = timed_index_run(f, dir, BUNDLED_FILES, BUNDLED_FILES + RUN_FILES);
    assert_int_equal(manifest_read(dir, &after, &err), LPS_OK);
    unsigned flushes, merges;
    count_work(&before, &after, WRITER_MERGE_FACTOR, &flushes, &merges);
    unsigned commits = (unsigned)(after.generation - before.generation);
    manifest_free(&before);
    manifest_free(&after);
    /* Several commits and merges per run, or the kills could not land in them. */
    if (flushes < 2 || merges < 1)
        fail_msg("a run of %d files flushed %u segments and merged %u times; the test needs 2 and 1", RUN_FILES,
                 flushes, merges);
    assert_int_equal(verify_commit(f, dir, BUNDLED_FILES + RUN_FILES, BUNDLED_FILES + RUN_FILES, "uninterrupted run"),
                     BUNDLED_FILES + RUN_FILES);
    timed_index_run(f, dir, BUNDLED_FILES + RUN_FILES, CORPUS_FILES);
    assert_int_equal(verify_commit(f, dir, CORPUS_FILES, CORPUS_FILES, "uninterrupted runs"), CORPUS_FILES);
    const char *opt_argv[] = {NULL, "optimize", "-i", dir, NULL};
    double start = now_seconds();
    assert_int_equal(run_cli(opt_argv, f->log), 0);
    double optimize_time = now_seconds() - start;
    remove_tree(dir);
    print_message("uninterrupted: %d files in %.0f ms (%u manifest writes: %u flushes, %u merges); "
                  "optimize of all in %.0f ms\n",
                  RUN_FILES, run_time * 1e3, commits, flushes, merges, optimize_time * 1e3);

    snprintf(dir, sizeof dir, "%s/killed", f->root);
    copy_index(f->base, dir);
    kill_stats st;
    memset(&st, 0, sizeof st);
    int cur = BUNDLED_FILES;
    unsigned full_seen = 0;
    for (unsigned trial = 0; trial < trials; trial++) {
        /* Once every file is in, every other time an optimize is killed;
         * then the index goes back to the bundled files. */
        int optimize = cur == CORPUS_FILES && full_seen++ % 2 == 0;
        if (cur == CORPUS_FILES && !optimize) {
            copy_index(f->base, dir);
            cur = BUNDLED_FILES;
        }
        pid_t pid;
        double *estimate, share; /* the expected run is share * *estimate */
        int from = cur, to = cur + RUN_FILES < CORPUS_FILES ? cur + RUN_FILES : CORPUS_FILES;
        double t0 = now_seconds();
        if (optimize) {
            const char *args[] = {NULL, "optimize", "-i", dir, NULL};
            estimate = &optimize_time;
            share = 1;
            pid = spawn_cli(args, f->log);
            st.optimize_runs++;
        } else {
            /* A quarter of the runs also name files already indexed, as a
             * rerun of an interrupted build does: they are read and skipped. */
            if (next_random(&seed) % 4 == 0) {
                from = cur >= 8 ? cur - 8 : 0;
                st.rerun_runs++;
            }
            const char **argv = index_argv(dir, (const char *const *)f->corpus.paths + from, (size_t)(to - from));
            estimate = &run_time;
            share = fmax(0.3, ((double)(to - cur) + 0.3 * (double)(cur - from)) / RUN_FILES);
            pid = spawn_cli(argv, f->log);
            free(argv);
            st.index_runs++;
        }
        /* Uniform over the expected run, and a little past its end. */
        double window = *estimate * share;
        double delay = window * 1.1 * (double)(next_random(&seed) % 10000) / 10000.0;
        int status, killed = 0;
        double ran = wait_until(pid, t0 + delay, &status);
        if (ran < 0) {
            kill(pid, SIGKILL);
            status = wait_child(pid);
            killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        }
        /* The machine's speed drifts (other jobs share it): a run that ended
         * early, or outlived its window, corrects the estimate. */
        if (ran >= 0)
            *estimate = 0.7 * *estimate + 0.3 * (ran - t0) / share;
        else if (delay > window)
            *estimate = 0.7 * *estimate + 0.3 * delay / share;
        if (!killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            fail_msg("trial %u: the writer failed by itself (status 0x%x); log:\n%s", trial, status,
                     log_tail(f->log));

        debris d;
        list_debris(dir, &d);
        if (!killed && debris_count(&d))
            fail_msg("trial %u: a writer that finished left %s behind", trial, d.first);
        if (d.unexpected)
            fail_msg("trial %u: unexpected file %s in the index", trial, d.first);
        st.seg_tmp += d.seg_tmp > 0;
        st.manifest_tmp += d.manifest_tmp > 0;
        st.other_tmp += d.other_tmp > 0;
        st.orphans += d.orphans > 0;

        char what[160];
        snprintf(what, sizeof what, "trial %u (%s of files %d..%d, kill after %.1f ms, LPS_KILL_SEED=%u)", trial,
                 optimize ? "optimize" : "index", from, to, delay * 1e3, first_seed);
        int m = verify_commit(f, dir, cur, to, what);
        if (!killed)
            st.finished++;
        else if (optimize)
            st.optimize_killed++;
        else if (m == cur)
            st.before_first_commit++;
        else if (m < to)
            st.between_commits++;
        else
            st.after_last_commit++;
        st.trials++;
        cur = m;
        if (optimize) {
            copy_index(f->base, dir);
            cur = BUNDLED_FILES;
        }
    }

    /* The next writer clears whatever the last kill left and completes the corpus. */
    timed_index_run(f, dir, 0, CORPUS_FILES);
    debris d;
    list_debris(dir, &d);
    if (debris_count(&d))
        fail_msg("the final run left %s behind (%d files)", d.first, debris_count(&d));
    assert_int_equal(verify_commit(f, dir, CORPUS_FILES, CORPUS_FILES, "final run"), CORPUS_FILES);

    print_message("kills: %u index runs (%u also naming indexed files), %u optimize runs; index killed before "
                  "its first commit %u, between commits %u, after its last new call (merging or exiting) %u; "
                  "optimize killed %u; finished before the kill %u\n",
                  st.index_runs, st.rerun_runs, st.optimize_runs, st.before_first_commit, st.between_commits,
                  st.after_last_commit, st.optimize_killed, st.finished);
    print_message("left behind by kills: segment .tmp %u, MANIFEST.tmp %u, other .tmp %u, unnamed segments %u; "
                  "estimates at the end: index run %.0f ms, optimize %.0f ms; %.1f s in all\n",
                  st.seg_tmp, st.manifest_tmp, st.other_tmp, st.orphans, run_time * 1e3, optimize_time * 1e3,
                  now_seconds() - started);
    /* With enough trials the kills must have landed all over the runs. */
    if (trials >= 20) {
        assert_true(st.before_first_commit >= 1);
        assert_true(st.between_commits >= 1);
    }
    remove_tree(dir);
}

/* ---- Searching while another process commits -------------------------------- */

typedef struct shared_state {
    lps_index *ix;
    const outcome *expected;
    atomic_int writers_done;
    const char *dir;
} shared_state;

typedef struct reader_job {
    shared_state *shared;
    uint32_t seed;
    size_t searches, mismatches;
    char first_mismatch[600];
} reader_job;

static void *reader_main(void *arg)
{
    reader_job *job = arg;
    size_t order[CASES];
    for (size_t i = 0; i < CASES; i++)
        order[i] = i;
    for (int round = 0; round < 2 || !atomic_load(&job->shared->writers_done); round++) {
        for (size_t i = CASES - 1; i > 0; i--) {
            size_t j = next_random(&job->seed) % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < CASES; k++) {
            outcome got;
            char msg[512] = "out of memory";
            int ok = run_case(job->shared->ix, &cases[order[k]], &got) == 0 &&
                     outcome_matches(&got, &job->shared->expected[order[k]], 1, msg, sizeof msg);
            job->searches++;
            if (!ok && job->mismatches++ == 0)
                snprintf(job->first_mismatch, sizeof job->first_mismatch, "round %d, query '%s': %s", round,
                         cases[order[k]].query, msg);
            outcome_free(&got);
            sleep_seconds(0.001); /* so that the writer, on the same cores, is not starved */
        }
    }
    return NULL;
}

/* A snapshot opened while the writers ran: how many calls it held and what
 * it answered. */
typedef struct sample {
    uint64_t calls, segments;
    outcome answers[CASES];
} sample;

typedef struct reopen_job {
    shared_state *shared;
    sample *samples;
    size_t count, opened;
    char failure[600];
} reopen_job;

static void *reopen_main(void *arg)
{
    reopen_job *job = arg;
    while (!atomic_load(&job->shared->writers_done) && !job->failure[0]) {
        lps_index *ix;
        lps_error err;
        if (lps_index_open(job->shared->dir, &ix, &err) != LPS_OK) {
            snprintf(job->failure, sizeof job->failure, "lps_index_open: %.250s: %.250s", err.path, err.message);
            break;
        }
        job->opened++;
        lps_index_info info;
        lps_index_get_info(ix, &info);
        /* Answers are kept for the first snapshot of each state: calls
         * committed, and segments (merges change only these). */
        int seen = 0;
        for (size_t i = 0; i < job->count; i++)
            seen |= job->samples[i].calls == info.calls && job->samples[i].segments == info.segments;
        if (!seen && job->count < MAX_SAMPLES) {
            sample *s = &job->samples[job->count];
            s->calls = info.calls;
            s->segments = info.segments;
            for (size_t i = 0; i < CASES; i++)
                if (run_case(ix, &cases[i], &s->answers[i]) != 0)
                    snprintf(job->failure, sizeof job->failure, "out of memory");
            job->count++;
        }
        lps_index_close(ix);
        sleep_seconds(0.02); /* leave the cores to the writer and the readers */
    }
    return NULL;
}

static void test_search_while_process_commits(void **state)
{
    fixture *f = *state;
    double started = now_seconds();
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/concurrent", f->root);
    copy_index(f->base, dir);

    /* Expected answers: one thread, on the snapshot the threads will share. */
    shared_state shared;
    memset(&shared, 0, sizeof shared);
    shared.dir = dir;
    atomic_init(&shared.writers_done, 0);
    lps_error err;
    assert_int_equal(lps_index_open(dir, &shared.ix, &err), LPS_OK);
    outcome expected[CASES];
    run_all(shared.ix, expected);
    const outcome *base_ref = reference(&f->refs, BUNDLED_FILES);
    for (size_t i = 0; i < CASES; i++) {
        char msg[512];
        if (!outcome_matches(&expected[i], &base_ref[i], 0, msg, sizeof msg))
            fail_msg("base index, query '%s': %s", cases[i].query, msg);
    }
    shared.expected = expected;

    pthread_t readers[READER_THREADS], reopener;
    reader_job jobs[READER_THREADS];
    for (int t = 0; t < READER_THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].shared = &shared;
        jobs[t].seed = 0x9e3779b9u * (uint32_t)(t + 1);
        assert_int_equal(pthread_create(&readers[t], NULL, reader_main, &jobs[t]), 0);
    }
    reopen_job rjob;
    memset(&rjob, 0, sizeof rjob);
    rjob.shared = &shared;
    rjob.samples = calloc(MAX_SAMPLES, sizeof *rjob.samples);
    assert_non_null(rjob.samples);
    assert_int_equal(pthread_create(&reopener, NULL, reopen_main, &rjob), 0);

    /* The writers: separate processes, one after the other (the same runs
     * as the kill test's uninterrupted ones, so they share references). */
    const char *const *paths = (const char *const *)f->corpus.paths;
    const char **argv = index_argv(dir, paths + BUNDLED_FILES, RUN_FILES);
    int codes[3] = {run_cli(argv, f->log), -1, -1};
    free(argv);
    argv = index_argv(dir, paths + BUNDLED_FILES + RUN_FILES, CORPUS_FILES - BUNDLED_FILES - RUN_FILES);
    if (codes[0] == 0)
        codes[1] = run_cli(argv, f->log);
    free(argv);
    const char *opt_argv[] = {NULL, "optimize", "-i", dir, NULL};
    if (codes[1] == 0)
        codes[2] = run_cli(opt_argv, f->log);
    atomic_store(&shared.writers_done, 1);
    for (int t = 0; t < READER_THREADS; t++)
        assert_int_equal(pthread_join(readers[t], NULL), 0);
    assert_int_equal(pthread_join(reopener, NULL), 0);
    if (codes[0] != 0 || codes[1] != 0 || codes[2] != 0)
        fail_msg("writers exited %d, %d and %d; log:\n%s", codes[0], codes[1], codes[2], log_tail(f->log));

    size_t searches = 0;
    for (int t = 0; t < READER_THREADS; t++) {
        searches += jobs[t].searches;
        if (jobs[t].mismatches)
            fail_msg("reader %d: %zu of %zu results differ from the single-threaded run; first: %s", t,
                     jobs[t].mismatches, jobs[t].searches, jobs[t].first_mismatch);
    }
    if (rjob.failure[0])
        fail_msg("reopening while the writers ran: %s", rjob.failure);
    /* Every snapshot opened meanwhile was some commit, answering as its reference. */
    for (size_t s = 0; s < rjob.count; s++) {
        sample *sm = &rjob.samples[s];
        if (sm->calls < BUNDLED_FILES || sm->calls > CORPUS_FILES)
            fail_msg("a snapshot opened meanwhile holds %llu calls", (unsigned long long)sm->calls);
        const outcome *want = reference(&f->refs, (int)sm->calls);
        for (size_t i = 0; i < CASES; i++) {
            char msg[512];
            if (!outcome_matches(&sm->answers[i], &want[i], 0, msg, sizeof msg))
                fail_msg("snapshot of %llu calls in %llu segments opened meanwhile, query '%s': %s",
                         (unsigned long long)sm->calls, (unsigned long long)sm->segments, cases[i].query, msg);
            outcome_free(&sm->answers[i]);
        }
    }

    /* The shared snapshot never changed; a new one holds the whole corpus. */
    for (size_t i = 0; i < CASES; i++) {
        outcome again;
        char msg[512];
        assert_int_equal(run_case(shared.ix, &cases[i], &again), 0);
        if (!outcome_matches(&again, &expected[i], 1, msg, sizeof msg))
            fail_msg("the shared snapshot changed, query '%s': %s", cases[i].query, msg);
        outcome_free(&again);
    }
    lps_index *fresh;
    assert_int_equal(lps_index_open(dir, &fresh, &err), LPS_OK);
    lps_index_info info;
    lps_index_get_info(fresh, &info);
    assert_int_equal(info.calls, CORPUS_FILES);
    assert_int_equal(info.segments, 1);
    lps_index_close(fresh);
    assert_int_equal(verify_commit(f, dir, CORPUS_FILES, CORPUS_FILES, "after the writers"), CORPUS_FILES);
    print_message("%zu searches by %d threads while the writers ran; %zu snapshots opened meanwhile, "
                  "%zu distinct states (calls, segments); %.1f s in all\n",
                  searches, READER_THREADS, rjob.opened, rjob.count, now_seconds() - started);

    lps_index_close(shared.ix);
    for (size_t i = 0; i < CASES; i++)
        outcome_free(&expected[i]);
    free(rjob.samples);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_index_process),
        cmocka_unit_test(test_search_while_process_commits),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
