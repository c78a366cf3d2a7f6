/*
 * Every single-byte damage to a small index is detected (reliability issue
 * #6): never a crash, a hang or a wrong answer, always an error that names
 * the damaged file and, for a segment, the section that holds the byte.
 *
 * The fixture builds, once, an index of two segments (a call; then two
 * more, one of them removed), so the directory holds a MANIFEST, two
 * seg-*.lps files, one seg-*.del file of deletion markers and the writer's
 * LOCK.  The transcripts are generated here, small enough that the
 * exhaustive passes stay within seconds, large enough that one term has a
 * skip table.  A working copy of the index is damaged in place, one case at
 * a time, and repaired from the intact bytes kept in memory:
 *
 *   - every byte of every file XORed with each of FLIP_MASKS;
 *   - every file truncated to every length below its own;
 *   - bytes appended: a zero, a 0xFF, a copy of the file's last 32 bytes
 *     (for a segment, a second well-formed footer) and a page of zeros;
 *   - wrong format versions in each kind of file, with a checksum that
 *     matches them (LPS_EVERSION) and without (LPS_ECORRUPT), and wrong
 *     tokenizer-rules versions in the segments;
 *   - each file removed (LPS_ENOENT) or replaced by a directory (LPS_EIO).
 *
 * After each damage the index is opened with index_snapshot_open and with
 * lps_index_open.  Both must fail with the expected code, the damaged
 * file's path and the expected section; an index that opens anyway is
 * checked (index_check) and searched, then reported as undetected damage.
 * Readers never read LOCK, so damage to it must leave every answer exactly
 * as the intact index gives it.
 *
 * Every byte is covered because every byte of every file is under a
 * checksum or is checked exactly: a segment's header, sections and
 * directory have XXH64s, and its footer's fields must each hold the one
 * value the file's size allows (the zero field included); the MANIFEST and
 * the deletion markers end with the XXH64 of all their bytes before.
 *
 * A last test goes behind the checksums, as a writer bug would: each byte
 * of the fixed-layout fields (a segment's header, directory and footer, the
 * MANIFEST, a deletion file's header) is flipped and every checksum
 * recomputed.  The reader must refuse the index, or the damage must change
 * nothing at all (index_check passes, every answer is the intact one).
 *
 * Each test prints how many cases it ran.  All failures of a test are
 * collected and reported together (the first MAX_REPORTED of them).
 */
#include "test.h"

#include "bytes.h"
#include "index_check.h"
#include "index_snapshot.h"
#include "lpsearch.h"
#include "manifest.h"
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* 0x01 and 0x80: a count off by one, a varint's continuation bit; 0xFF: every bit. */
static const unsigned char FLIP_MASKS[] = {0x01, 0x80, 0xFF};
#define MASK_COUNT (sizeof FLIP_MASKS / sizeof FLIP_MASKS[0])
#define MAX_FILES 8
#define MAX_REPORTED 40

typedef enum file_kind { KIND_MANIFEST, KIND_SEGMENT, KIND_DELETIONS, KIND_LOCK, KIND_COUNT } file_kind;

static const char *const kind_names[KIND_COUNT] = {"manifest", "segment", "deletions", "lock"};

typedef struct index_file {
    char name[64];
    char path[4096]; /* of the working copy */
    file_kind kind;
    unsigned char *good;
    size_t len;
    /* Segments: where the directory and each section start in the file. */
    uint64_t dir_off;
    uint64_t section_off[SECTION_ID_MAX + 1], section_len[SECTION_ID_MAX + 1];
} index_file;

static const char *const queries[] = {
    "the",
    "revenue",
    "\"the customers\"",
    "chat OR mobile",
    "NEAR(revenue growth, 4)",
    "engag* -pricing",
    "role:analyst guidance",
    "speaker:whitfield margin",
};
#define QUERY_COUNT (sizeof queries / sizeof queries[0])

static struct {
    char root[1024], base[1100], work[1100];
    index_file files[MAX_FILES];
    size_t count;
    uint64_t answers; /* digest of the intact index's answers */
    /* Per test. */
    uint64_t cases, failures;
    uint64_t by_kind[KIND_COUNT];
    char report[MAX_REPORTED * 600];
    size_t report_len;
} fx;

/* ---- The index ----------------------------------------------------------- */

/* A short call of `turns` turns in deterministic words; malloc'ed. */
static char *make_transcript(uint32_t seed, const char *title, unsigned turns, size_t *len)
{
    static const char *const labels[] = {"Dana Whitfield - CFO", "Robert Lane - CEO", "Ann Smith - Analyst"};
    static const char *const words[] = {
        "revenue", "customers", "chat", "mobile", "growth", "quarter", "guidance", "platform",
        "engagement", "bookings", "margin", "enterprise", "pricing", "messaging", "agents",
        "conversions", "retention", "deals", "cash", "expenses", "we", "our", "and", "of", "in",
        "to", "a", "strong", "year", "engaged", "digital", "consumers", "brands", "telecom",
        "banks", "retail", "europe", "investment", "operating", "income", "subscription", "usage",
        "partners", "campaign", "intelligence", "data", "sales", "marketing", "billion", "shares"};
    size_t cap = 4096, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
#define EMIT(...)                                                                   \
    do {                                                                            \
        for (;;) {                                                                  \
            int k_ = snprintf(t + n, cap - n, __VA_ARGS__);                         \
            assert_true(k_ >= 0);                                                   \
            if ((size_t)k_ < cap - n) {                                             \
                n += (size_t)k_;                                                    \
                break;                                                              \
            }                                                                       \
            cap *= 2;                                                               \
            t = realloc(t, cap);                                                    \
            assert_non_null(t);                                                     \
        }                                                                           \
    } while (0)
    EMIT("%s\nOperator\nWelcome to the %s conference call.\n", title, title);
    for (unsigned turn = 0; turn < turns; turn++) {
        EMIT("%s\n", labels[turn % 3]);
        unsigned sentences = 2 + next_random(&seed) % 4;
        for (unsigned s = 0; s < sentences; s++) {
            EMIT("%sThe", s ? " " : "");
            unsigned count = 4 + next_random(&seed) % 7;
            for (unsigned w = 0; w < count; w++)
                EMIT(" %s", words[next_random(&seed) % (sizeof words / sizeof words[0])]);
            if (next_random(&seed) % 2)
                EMIT(" %u", next_random(&seed) % 1000);
            EMIT(" the customers.");
        }
        EMIT("\n");
    }
#undef EMIT
    *len = n;
    return t;
}

static void add_call(lps_writer *w, const char *name, uint32_t seed, unsigned turns)
{
    size_t len;
    char *text = make_transcript(seed, name, turns, &len);
    lps_error err;
    int added = 0;
    int rc = lps_writer_add_text(w, name, text, len, &added, &err);
    if (rc != LPS_OK || !added)
        fail_msg("cannot index %s: %s", name, err.message);
    free(text);
}

static void build_index(const char *dir)
{
    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    wo.threads = 1;
    lps_writer *w;
    lps_error err;
    if (lps_writer_open(dir, &wo, &w, &err) != LPS_OK)
        fail_msg("writer: %s", err.message);
    add_call(w, "alpha-2015-q1.txt", 0xA1u, 80);
    if (lps_writer_commit(w, &err) != LPS_OK)
        fail_msg("commit: %s", err.message);
    add_call(w, "beta-2015-q2.txt", 0xB2u, 12);
    add_call(w, "gamma-2015-q3.txt", 0xC3u, 8);
    if (lps_writer_commit(w, &err) != LPS_OK)
        fail_msg("commit: %s", err.message);
    size_t removed = 0;
    if (lps_writer_remove(w, "gamma-2015-q3.txt", &removed, &err) != LPS_OK || removed != 1 ||
        lps_writer_commit(w, &err) != LPS_OK)
        fail_msg("remove: %s", err.message);
    lps_writer_close(w);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const index_file *)a)->name, ((const index_file *)b)->name);
}

static void load_files(void)
{
    DIR *d = opendir(fx.base);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if (fx.count == MAX_FILES || len >= sizeof fx.files[0].name)
            fail_msg("unexpected file %s in the index", n);
        index_file *f = &fx.files[fx.count++];
        memcpy(f->name, n, len + 1);
        if (strcmp(n, MANIFEST_NAME) == 0)
            f->kind = KIND_MANIFEST;
        else if (strcmp(n, LOCK_NAME) == 0)
            f->kind = KIND_LOCK;
        else if (len > 4 && strcmp(n + len - 4, ".lps") == 0)
            f->kind = KIND_SEGMENT;
        else if (len > 4 && strcmp(n + len - 4, ".del") == 0)
            f->kind = KIND_DELETIONS;
        else
            fail_msg("unexpected file %s in the index", n);
    }
    closedir(d);
    qsort(fx.files, fx.count, sizeof fx.files[0], by_name);
    unsigned per_kind[KIND_COUNT] = {0};
    for (size_t i = 0; i < fx.count; i++) {
        index_file *f = &fx.files[i];
        char path[4096], work_path[sizeof f->path];
        snprintf(path, sizeof path, "%s/%s", fx.base, f->name);
        snprintf(work_path, sizeof work_path, "%s/%s", fx.work, f->name);
        memcpy(f->path, work_path, sizeof f->path);
        f->good = (unsigned char *)test_read_file(path, &f->len);
        per_kind[f->kind]++;
        if (f->kind != KIND_SEGMENT)
            continue;
        segment *s;
        lps_error err;
        if (segment_open(path, UINT64_MAX, &s, &err) != LPS_OK)
            fail_msg("segment_open %s: %s", path, err.message);
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++) {
            f->section_off[id] = s->sections[id].offset;
            f->section_len[id] = s->sections[id].data ? s->sections[id].length : 0;
        }
        f->dir_off = load_le64(f->good + f->len - SEGMENT_FOOTER_SIZE);
        char layout[512];
        int n = snprintf(layout, sizeof layout, "  header %u", SEGMENT_HEADER_SIZE);
        for (unsigned id = 1; id <= SECTION_ID_MAX && n > 0 && (size_t)n < sizeof layout; id++)
            if (f->section_len[id] > 0)
                n += snprintf(layout + n, sizeof layout - (size_t)n, ", %s %llu", segment_section_name(id),
                              (unsigned long long)f->section_len[id]);
        print_message("%s: %u documents, %u text blocks, %u term blocks;\n%s, directory %u, footer %u\n", f->name,
                      s->doc_count, s->text_block_count, s->term_block_count, layout,
                      (unsigned)(f->len - SEGMENT_FOOTER_SIZE - f->dir_off), SEGMENT_FOOTER_SIZE);
        segment_close(s);
    }
    if (per_kind[KIND_MANIFEST] != 1 || per_kind[KIND_SEGMENT] != 2 || per_kind[KIND_DELETIONS] != 1 ||
        per_kind[KIND_LOCK] > 1)
        fail_msg("the index has %u manifests, %u segments, %u deletion files and %u locks",
                 per_kind[KIND_MANIFEST], per_kind[KIND_SEGMENT], per_kind[KIND_DELETIONS], per_kind[KIND_LOCK]);
}

/* ---- Answers ------------------------------------------------------------- */

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    return XXH64(p, n, h);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "", 0) + 1;
}

/*
 * A digest of everything the queries answer: totals, counts and every
 * hit's id, score (bit for bit), text, highlights, call and speaker.
 * *corrupt is set when a search reports damage.
 */
static uint64_t answers_digest(lps_index *ix, int *corrupt)
{
    uint64_t h = 0;
    *corrupt = 0;
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = 20;
    o.count = 1;
    o.context = 1;
    for (size_t q = 0; q < QUERY_COUNT; q++) {
        lps_results *res = NULL;
        lps_error err;
        int rc = lps_search(ix, queries[q], &o, &res, &err);
        h = mix(h, &rc, sizeof rc);
        if (rc != LPS_OK) {
            assert_null(res);
            *corrupt |= rc == LPS_ECORRUPT;
            continue;
        }
        uint64_t total = lps_results_total(res);
        h = mix(h, &total, sizeof total);
        for (size_t i = 0; i < lps_results_count(res); i++) {
            const lps_hit *hit = lps_results_hit(res, i);
            h = mix(h, &hit->id, sizeof hit->id);
            h = mix(h, &hit->score, sizeof hit->score);
            h = mix(h, hit->text, hit->text_len);
            h = mix(h, hit->highlights, hit->highlight_count * sizeof *hit->highlights);
            h = mix_str(h, hit->call_file);
            h = mix_str(h, hit->speaker_name);
            h = mix(h, &hit->line, sizeof hit->line);
            h = mix(h, &hit->context_count, sizeof hit->context_count);
        }
        lps_results_free(res);
        uint64_t count = 0;
        rc = lps_count(ix, queries[q], &count, &err);
        h = mix(h, &rc, sizeof rc);
        h = mix(h, &count, sizeof count);
        *corrupt |= rc == LPS_ECORRUPT;
    }
    return h;
}

/* ---- Cases --------------------------------------------------------------- */

/* What was done to the file, for failure messages. */
typedef struct damage {
    const char *op; /* "flip", "truncate", ... */
    size_t at;      /* offset or length */
    unsigned value; /* mask, version, ... */
} damage;

static void record_failure(const index_file *f, const damage *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Counts a failed case; the first MAX_REPORTED are described in fx.report. */
static void record_failure(const index_file *f, const damage *d, const char *fmt, ...)
{
    fx.failures++;
    if (fx.failures > MAX_REPORTED)
        return;
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    int n = snprintf(fx.report + fx.report_len, sizeof fx.report - fx.report_len,
                     "  %s %s at %zu (0x%x): %s\n", f->name, d->op, d->at, d->value, detail);
    if (n > 0 && (size_t)n < sizeof fx.report - fx.report_len)
        fx.report_len += (size_t)n;
}

/* The index opened although it should not have: how far does the damage get? */
static void describe_undetected(const index_file *f, const damage *d, index_snapshot *snap, const char *via)
{
    index_check_stats stats;
    lps_error err;
    int rc = index_check(snap, &stats, &err);
    lps_index *ix = NULL;
    int corrupt = 0;
    uint64_t answers = 0;
    if (lps_index_open(fx.work, &ix, &err) == LPS_OK) {
        answers = answers_digest(ix, &corrupt);
        lps_index_close(ix);
    }
    record_failure(f, d, "undetected: %s opened it; index_check says %s; the answers %s", via,
                   lps_strerror(rc), corrupt ? "report damage" : answers == fx.answers ? "are unchanged" : "CHANGED");
}

/* Checks one opener's error against what the damage must give. */
static void check_error(const index_file *f, const damage *d, const char *via, int rc, const lps_error *err,
                        int code, const char *section)
{
    if (rc != code) {
        record_failure(f, d, "%s returned %s, expected %s (%s: %s)", via, lps_strerror(rc), lps_strerror(code),
                       err->path, err->message);
        return;
    }
    if (err->code != code || err->message[0] == '\0' || strcmp(err->path, f->path) != 0)
        record_failure(f, d, "%s: error code %d, path \"%s\", message \"%s\"", via, err->code, err->path,
                       err->message);
    else if (section && strcmp(err->section, section) != 0)
        record_failure(f, d, "%s names section \"%s\", expected \"%s\" (%s)", via, err->section, section,
                       err->message);
}

/*
 * Opens the damaged working copy both ways.  code LPS_OK: the damage must
 * not matter (LOCK), every answer as before.  Otherwise both openers must
 * fail with code, f's path and section (NULL: any).
 */
static void run_case(const index_file *f, const damage *d, int code, const char *section)
{
    fx.cases++;
    fx.by_kind[f->kind]++;
    index_snapshot *snap = (index_snapshot *)1;
    lps_error err;
    int rc = index_snapshot_open(fx.work, &snap, &err);
    if (rc == LPS_OK && code != LPS_OK) {
        describe_undetected(f, d, snap, "index_snapshot_open");
        index_snapshot_close(snap);
    } else if (rc == LPS_OK) {
        index_check_stats stats;
        if (index_check(snap, &stats, &err) != LPS_OK)
            record_failure(f, d, "index_check: %s", err.message);
        index_snapshot_close(snap);
    } else {
        if (snap != NULL)
            record_failure(f, d, "index_snapshot_open did not clear its out-param");
        check_error(f, d, "index_snapshot_open", rc, &err, code, section);
    }

    lps_index *ix = (lps_index *)1;
    rc = lps_index_open(fx.work, &ix, &err);
    if (rc == LPS_OK) {
        if (code != LPS_OK) {
            record_failure(f, d, "undetected: lps_index_open opened it");
        } else {
            int corrupt;
            if (answers_digest(ix, &corrupt) != fx.answers || corrupt)
                record_failure(f, d, "the answers changed");
        }
        lps_index_close(ix);
    } else {
        if (ix != NULL)
            record_failure(f, d, "lps_index_open did not clear its out-param");
        check_error(f, d, "lps_index_open", rc, &err, code, section);
    }
}

/* ---- Damage in place ----------------------------------------------------- */

static int open_work(const index_file *f)
{
    int fd = open(f->path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot open %s: %s", f->path, strerror(errno));
    return fd;
}

static void put(int fd, size_t at, const void *bytes, size_t n)
{
    if (pwrite(fd, bytes, n, (off_t)at) != (ssize_t)n)
        fail_msg("pwrite: %s", strerror(errno));
}

static void cut(int fd, size_t len)
{
    if (ftruncate(fd, (off_t)len) != 0)
        fail_msg("ftruncate: %s", strerror(errno));
}

/* Puts f's intact bytes back. */
static void restore(const index_file *f)
{
    test_write_file(f->path, f->good, f->len);
}

/* The section a reader must blame for a damaged byte of a segment. */
static const char *segment_region(const index_file *f, size_t at)
{
    size_t footer = f->len - SEGMENT_FOOTER_SIZE;
    if (at < SEGMENT_HEADER_SIZE)
        return "header";
    if (at >= footer)
        /* The footer's checksum is the directory's: a mismatch blames the directory. */
        return at - footer >= 16 && at - footer < 24 ? "directory" : "footer";
    if (at >= f->dir_off)
        return "directory";
    for (unsigned id = 1; id <= SECTION_ID_MAX; id++)
        if (at >= f->section_off[id] && at - f->section_off[id] < f->section_len[id])
            return segment_section_name(id);
    fail_msg("%s: byte %zu is in no section", f->name, at);
    return NULL;
}

static int flip_expected(const index_file *f, size_t at, const char **section)
{
    switch (f->kind) {
    case KIND_MANIFEST:
        *section = at < 8 ? "header" : "manifest"; /* the magic, else the checksum */
        return LPS_ECORRUPT;
    case KIND_SEGMENT:
        *section = segment_region(f, at);
        return LPS_ECORRUPT;
    case KIND_DELETIONS:
        *section = "deletions";
        return LPS_ECORRUPT;
    default:
        *section = NULL;
        return LPS_OK;
    }
}

static int truncation_expected(const index_file *f, size_t len, const char **section)
{
    switch (f->kind) {
    case KIND_MANIFEST:
        *section = len < MANIFEST_HEADER_SIZE + 8 ? "header" : "manifest";
        return LPS_ECORRUPT;
    case KIND_SEGMENT:
        *section = len < SEGMENT_HEADER_SIZE + SEGMENT_FOOTER_SIZE ? "header" : "footer";
        return LPS_ECORRUPT;
    case KIND_DELETIONS:
        *section = "deletions";
        return LPS_ECORRUPT;
    default:
        *section = NULL;
        return LPS_OK;
    }
}

/* ---- Fixture ------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    const char *root = test_scratch_dir("corruption-exhaustive");
    if (strlen(root) >= sizeof fx.root)
        fail_msg("scratch path %s is too long", root);
    snprintf(fx.root, sizeof fx.root, "%s", root);
    snprintf(fx.base, sizeof fx.base, "%s/base", fx.root);
    snprintf(fx.work, sizeof fx.work, "%s/work", fx.root);
    if (mkdir(fx.base, 0755) != 0 || mkdir(fx.work, 0755) != 0)
        fail_msg("cannot create %s/{base,work}", fx.root);
    build_index(fx.base);
    load_files();
    for (size_t i = 0; i < fx.count; i++)
        restore(&fx.files[i]);

    /* The intact copy opens, passes the checker and answers every query. */
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(fx.work, &snap, &err) != LPS_OK)
        fail_msg("the intact index does not open: %s", err.message);
    index_check_stats stats;
    if (index_check(snap, &stats, &err) != LPS_OK)
        fail_msg("the intact index fails index_check: %s", err.message);
    int skip_table = 0;
    for (size_t i = 0; i < snap->segment_count; i++) {
        term_info info;
        if (segment_term_lookup(snap->segments[i].seg, "the", 3, &info) == 1 && info.df >= POSTING_BLOCK)
            skip_table = 1;
    }
    assert_true(skip_table);
    assert_int_equal(snap->segment_count, 2);
    index_snapshot_close(snap);
    lps_index *ix;
    if (lps_index_open(fx.work, &ix, &err) != LPS_OK)
        fail_msg("lps_index_open: %s", err.message);
    int corrupt;
    fx.answers = answers_digest(ix, &corrupt);
    assert_false(corrupt);
    for (size_t q = 0; q < QUERY_COUNT; q++) {
        uint64_t count = 0;
        if (lps_count(ix, queries[q], &count, &err) != LPS_OK || count == 0)
            fail_msg("query %s finds nothing in the intact index", queries[q]);
    }
    lps_index_close(ix);

    size_t total = 0;
    for (size_t i = 0; i < fx.count; i++) {
        print_message("%-40s %-9s %6zu bytes\n", fx.files[i].name, kind_names[fx.files[i].kind], fx.files[i].len);
        total += fx.files[i].len;
    }
    print_message("%zu files, %zu bytes\n", fx.count, total);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < fx.count; i++)
        free(fx.files[i].good);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.root);
    return system(cmd) == 0 ? 0 : -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double started;

static void begin(void)
{
    fx.cases = fx.failures = 0;
    memset(fx.by_kind, 0, sizeof fx.by_kind);
    fx.report_len = 0;
    fx.report[0] = '\0';
    started = now();
}

/* Prints the tally and fails with the collected failures, if any. */
static void finish(const char *what)
{
    for (size_t i = 0; i < fx.count; i++)
        restore(&fx.files[i]);
    print_message("%s: %llu cases in %.1f s (manifest %llu, segments %llu, deletions %llu, lock %llu)\n", what,
                  (unsigned long long)fx.cases, now() - started, (unsigned long long)fx.by_kind[KIND_MANIFEST],
                  (unsigned long long)fx.by_kind[KIND_SEGMENT], (unsigned long long)fx.by_kind[KIND_DELETIONS],
                  (unsigned long long)fx.by_kind[KIND_LOCK]);
    if (fx.failures > 0) {
        for (char *line = fx.report, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            *nl = '\0';
            print_message("%s\n", line);
        }
        fail_msg("%s: %llu of %llu cases failed%s", what, (unsigned long long)fx.failures,
                 (unsigned long long)fx.cases, fx.failures > MAX_REPORTED ? " (the first ones are above)" : "");
    }
    /* The repaired copy is the intact index again. */
    lps_index *ix;
    lps_error err;
    if (lps_index_open(fx.work, &ix, &err) != LPS_OK)
        fail_msg("the repaired index does not open: %s", err.message);
    int corrupt;
    assert_true(answers_digest(ix, &corrupt) == fx.answers);
    lps_index_close(ix);
}

/* ---- Tests --------------------------------------------------------------- */

static void test_every_byte_flipped(void **state)
{
    (void)state;
    begin();
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        int fd = open_work(f);
        for (size_t at = 0; at < f->len; at++) {
            const char *section;
            int code = flip_expected(f, at, &section);
            for (size_t m = 0; m < MASK_COUNT; m++) {
                unsigned char b = f->good[at] ^ FLIP_MASKS[m];
                put(fd, at, &b, 1);
                damage d = {"flip", at, FLIP_MASKS[m]};
                run_case(f, &d, code, section);
            }
            put(fd, at, &f->good[at], 1);
        }
        close(fd);
    }
    finish("every byte flipped");
}

static void test_every_truncation(void **state)
{
    (void)state;
    begin();
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        int fd = open_work(f);
        /* Longest first: each cut only shortens the file further. */
        for (size_t len = f->len; len-- > 0;) {
            cut(fd, len);
            const char *section;
            int code = truncation_expected(f, len, &section);
            damage d = {"truncate", len, 0};
            run_case(f, &d, code, section);
        }
        close(fd);
        restore(f);
    }
    finish("every truncation");
}

static void test_bytes_appended(void **state)
{
    (void)state;
    begin();
    static unsigned char page[4096];
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        const unsigned char zero = 0, ones = 0xFF;
        size_t tail = f->len < 32 ? f->len : 32;
        const struct {
            const void *bytes;
            size_t n;
        } extra[] = {{&zero, 1}, {&ones, 1}, {f->good + f->len - tail, tail}, {page, sizeof page}};
        int fd = open_work(f);
        for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
            if (extra[k].n == 0)
                continue;
            put(fd, f->len, extra[k].bytes, extra[k].n);
            /* A deletion file's reader refuses any size but the exact one
             * before reading, as too large: the size check names the header. */
            const char *section = f->kind == KIND_MANIFEST   ? "manifest"
                                  : f->kind == KIND_SEGMENT  ? "footer"
                                  : f->kind == KIND_DELETIONS ? "header"
                                                              : NULL;
            damage d = {"append", extra[k].n, k};
            run_case(f, &d, f->kind == KIND_LOCK ? LPS_OK : LPS_ECORRUPT, section);
            cut(fd, f->len);
        }
        close(fd);
    }
    finish("bytes appended");
}

/* Where each kind keeps its format version, and how its checksum is resealed. */
static void write_version(const index_file *f, int fd, size_t at, uint32_t version, int reseal)
{
    unsigned char *b = malloc(f->len);
    assert_non_null(b);
    memcpy(b, f->good, f->len);
    store_le32(b + at, version);
    if (reseal && f->kind == KIND_SEGMENT)
        store_le64(b + 56, XXH64(b, 56, 0));
    else if (reseal)
        store_le64(b + f->len - 8, XXH64(b, f->len - 8, 0));
    put(fd, 0, b, f->len);
    free(b);
}

static void test_wrong_versions(void **state)
{
    (void)state;
    begin();
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        if (f->kind == KIND_LOCK)
            continue;
        uint32_t current = f->kind == KIND_SEGMENT    ? SEGMENT_FORMAT_VERSION
                           : f->kind == KIND_MANIFEST ? MANIFEST_FORMAT_VERSION
                                                      : DELETIONS_FORMAT_VERSION;
        assert_int_equal(load_le32(f->good + 8), current);
        const uint32_t versions[] = {0, current + 1, current + 0x100, UINT32_MAX};
        /* The version itself is under the checksum: a bad one with the old
         * checksum is damage; with a matching checksum, a version this
         * reader does not know. */
        const char *raw_section = f->kind == KIND_SEGMENT    ? "header"
                                  : f->kind == KIND_MANIFEST ? "manifest"
                                                             : "deletions";
        const char *version_section = f->kind == KIND_DELETIONS ? "deletions" : "header";
        int fd = open_work(f);
        for (size_t k = 0; k < sizeof versions / sizeof versions[0]; k++) {
            for (int reseal = 0; reseal <= 1; reseal++) {
                write_version(f, fd, 8, versions[k], reseal);
                damage d = {reseal ? "version, resealed" : "version", 8, versions[k]};
                run_case(f, &d, reseal ? LPS_EVERSION : LPS_ECORRUPT, reseal ? version_section : raw_section);
            }
        }
        if (f->kind == KIND_SEGMENT) {
            /* The tokenizer rules the segment's terms were made with. */
            assert_int_equal(load_le32(f->good + 16), ANALYZER_RULES_VERSION);
            const uint32_t rules[] = {0, ANALYZER_RULES_VERSION + 1, UINT32_MAX};
            for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
                write_version(f, fd, 16, rules[k], 1);
                damage d = {"tokenizer rules, resealed", 16, rules[k]};
                run_case(f, &d, LPS_EVERSION, "header");
            }
        }
        put(fd, 0, f->good, f->len);
        close(fd);
    }
    finish("wrong versions");
}

static void test_files_missing_or_not_files(void **state)
{
    (void)state;
    begin();
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        char aside[4200];
        snprintf(aside, sizeof aside, "%s/aside", fx.root);
        if (rename(f->path, aside) != 0)
            fail_msg("rename %s: %s", f->path, strerror(errno));
        damage d = {"removed", 0, 0};
        run_case(f, &d, f->kind == KIND_LOCK ? LPS_OK : LPS_ENOENT, NULL);
        if (mkdir(f->path, 0755) != 0)
            fail_msg("mkdir %s: %s", f->path, strerror(errno));
        damage dd = {"replaced by a directory", 0, 0};
        run_case(f, &dd, f->kind == KIND_LOCK ? LPS_OK : LPS_EIO, NULL);
        if (rmdir(f->path) != 0 || rename(aside, f->path) != 0)
            fail_msg("cannot put %s back: %s", f->path, strerror(errno));
    }
    finish("files missing or not files");
}

/* Re-computes every checksum of f's kind over the damaged bytes b. */
static void reseal(const index_file *f, unsigned char *b, size_t len)
{
    if (f->kind != KIND_SEGMENT) {
        store_le64(b + len - 8, XXH64(b, len - 8, 0));
        return;
    }
    unsigned char *footer = b + len - SEGMENT_FOOTER_SIZE;
    uint64_t dir_off = load_le64(footer);
    uint32_t entries = load_le32(footer + 8);
    if (dir_off <= len && (uint64_t)entries * SEGMENT_DIR_ENTRY_SIZE <= len - dir_off) {
        for (uint32_t i = 0; i < entries; i++) {
            unsigned char *e = b + dir_off + (size_t)i * SEGMENT_DIR_ENTRY_SIZE;
            uint64_t off = load_le64(e + 8), size = load_le64(e + 16);
            if (off <= len && size <= len - off)
                store_le64(e + 24, XXH64(b + off, (size_t)size, 0));
        }
        store_le64(footer + 16, XXH64(b + dir_off, (size_t)entries * SEGMENT_DIR_ENTRY_SIZE, 0));
    }
    store_le64(b + 56, XXH64(b, 56, 0));
}

/*
 * Damage behind valid checksums (what a writer bug would leave) in the
 * fields of fixed layout: a segment's header, directory and footer, the
 * whole MANIFEST and a deletion file's header.  Each byte is flipped and
 * every checksum recomputed.  The reader must refuse the file with its path
 * and a section, or the damage must change nothing at all: index_check
 * passes and every answer is the intact one.  The bytes of the second kind
 * are printed; they are fields no reader acts on (zero fields, the Unicode
 * version a segment was written with, the manifest's generation and next
 * segment id, which only a writer uses).
 */
static void test_fixed_fields_resealed(void **state)
{
    (void)state;
    begin();
    uint64_t refused = 0, harmless = 0;
    for (size_t i = 0; i < fx.count; i++) {
        const index_file *f = &fx.files[i];
        if (f->kind == KIND_LOCK)
            continue;
        unsigned char *b = malloc(f->len);
        assert_non_null(b);
        char accepted[1024] = "";
        size_t accepted_len = 0, run_start = SIZE_MAX, run_end = 0;
        int fd = open_work(f);
        for (size_t at = 0; at <= f->len; at++) {
            int fixed = at < f->len && (f->kind == KIND_MANIFEST ||
                                        (f->kind == KIND_DELETIONS && at < DELETIONS_HEADER_SIZE) ||
                                        (f->kind == KIND_SEGMENT && (at < SEGMENT_HEADER_SIZE || at >= f->dir_off)));
            int harmless_here = 0;
            for (size_t m = 0; fixed && m < MASK_COUNT; m++) {
                memcpy(b, f->good, f->len);
                b[at] ^= FLIP_MASKS[m];
                reseal(f, b, f->len);
                if (memcmp(b, f->good, f->len) == 0)
                    continue; /* a checksum byte: resealing undid the flip */
                put(fd, 0, b, f->len);
                fx.cases++;
                fx.by_kind[f->kind]++;
                damage d = {"flip, resealed", at, FLIP_MASKS[m]};
                index_snapshot *snap;
                lps_error err;
                int rc = index_snapshot_open(fx.work, &snap, &err);
                if (rc != LPS_OK) {
                    /* A field that disagrees with another file (a count,
                     * a size, a segment id, the stemming flag) may be
                     * blamed on that other file. */
                    refused++;
                    if (!(rc == LPS_ENOENT || ((rc == LPS_ECORRUPT || rc == LPS_EVERSION) && err.section[0])) ||
                        strncmp(err.path, fx.work, strlen(fx.work)) != 0)
                        record_failure(f, &d, "%s at \"%s\", section \"%s\": %s", lps_strerror(rc), err.path,
                                       err.section, err.message);
                    continue;
                }
                index_check_stats stats;
                int check = index_check(snap, &stats, &err);
                index_snapshot_close(snap);
                lps_index *ix;
                int corrupt = 1;
                uint64_t answers = 0;
                if (lps_index_open(fx.work, &ix, &err) == LPS_OK) {
                    answers = answers_digest(ix, &corrupt);
                    lps_index_close(ix);
                }
                if (check != LPS_OK || corrupt || answers != fx.answers)
                    record_failure(f, &d, "opens; index_check says %s, the answers %s", lps_strerror(check),
                                   corrupt ? "report damage" : answers == fx.answers ? "are unchanged" : "CHANGED");
                harmless++;
                harmless_here = 1;
            }
            /* Ranges of bytes accepted, for the log. */
            if (harmless_here && run_start != SIZE_MAX && at == run_end + 1) {
                run_end = at;
            } else if (run_start != SIZE_MAX && (!harmless_here || at != run_end + 1)) {
                int n = snprintf(accepted + accepted_len, sizeof accepted - accepted_len,
                                 run_start == run_end ? " %zu" : " %zu-%zu", run_start, run_end);
                if (n > 0 && (size_t)n < sizeof accepted - accepted_len)
                    accepted_len += (size_t)n;
                run_start = harmless_here ? at : SIZE_MAX;
                run_end = at;
            } else if (harmless_here) {
                run_start = run_end = at;
            }
        }
        put(fd, 0, f->good, f->len);
        close(fd);
        free(b);
        print_message("  %s: accepted without effect at bytes%s\n", f->name, accepted_len ? accepted : " (none)");
    }
    print_message("refused %llu, accepted without effect %llu\n", (unsigned long long)refused,
                  (unsigned long long)harmless);
    finish("fixed fields, resealed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_bytes_appended),
        cmocka_unit_test(test_wrong_versions),
        cmocka_unit_test(test_files_missing_or_not_files),
        cmocka_unit_test(test_fixed_fields_resealed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
