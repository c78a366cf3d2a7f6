/*
 * Fuzz target: the index reader on damaged files.
 *
 * At start-up two small real indexes are built into a scratch directory.
 * In the first, one segment holds a whole bundled transcript (long enough
 * for multi-block posting lists with skip tables and several text blocks),
 * a second the beginnings of two others, one of which is then removed, so
 * the index has a MANIFEST, two segment files and a deletion-marker file.
 * The second index has the same shape, but its first segment also holds a
 * call of over 1 MiB of text (in few tokens: see make_filler), enough for
 * the writer to train a zstd dictionary for the stored text: it is the
 * only one with a TEXT_DICT section and frames that need it.  Their bytes
 * are kept in memory; the files of each are listed in name order
 * (MANIFEST, then seg-*.lps and seg-*.del).
 *
 * Each input is a mutation recipe applied to copies of those files in a
 * second directory (so seeds stay meaningful whatever bytes the writer
 * produces today):
 *
 *   byte 0   flags: bit 0 re-seal the segments (recompute the header,
 *            section and directory checksums, so the damage reaches the
 *            decoders behind them); bit 1 re-seal the MANIFEST; bit 2
 *            re-seal deletion markers; bit 3 raw mode (below); bit 4
 *            damage the second index (the one with a text dictionary)
 *            instead of the first; bits 5..7 unused
 *   raw mode byte 1 picks a file (modulo the file count), the remaining
 *            bytes replace it whole (then the re-seal flags apply)
 *   else     a list of operations until the input ends; each starts with a
 *            byte whose high nibble picks the file (modulo the count) and
 *            whose low nibble is the opcode; integers are little-endian,
 *            offsets are taken modulo the file's current length:
 *     0 XOR     u32 offset, u8 mask
 *     1 SET8    u32 offset, u8 value
 *     2 SET32   u32 offset, u32 value
 *     3 SET64   u32 offset, u64 value
 *     4 TRUNC   u32 length (modulo length + 1)
 *     5 APPEND  u8 n, n bytes
 *     6 SECXOR  u8 section, u32 offset, u8 mask: offset inside a segment's
 *               section as the intact file lays it out (section 0 is the
 *               header, 12 the directory, 13 the footer)
 *     7 SECADD  u8 section, u32 offset, i8 delta: adds delta to the u32 there
 *     8 DELETE  u32 offset, u16 n: removes up to n bytes
 *     9 INSERT  u32 offset, u8 n, n bytes
 *     10..15    ADD32 u32 offset, i8 delta (like SECADD, file offsets)
 *   A truncated operation ends the list.
 *
 * Then the index is opened (index_snapshot_open), checked (index_check) and
 * searched through the public API with a few queries.  Every call must
 * return OK or an error code with the file (and for damage, the section)
 * named; never crash, hang or leak.  Two properties tie the answers
 * together: lps_index_open agrees with index_snapshot_open, and an index
 * that passes index_check is searched without a corruption error.
 */
#include "fuzz_support.h"

#include "bytes.h"
#include "index_check.h"
#include "index_snapshot.h"
#include "lpsearch.h"
#include "segment.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#define MAX_FILES 8
#define MAX_FILE_BYTES ((size_t)4 << 20)

typedef struct index_file {
    char name[256];
    unsigned char *base; /* the intact bytes */
    size_t base_len;
    int is_segment, is_manifest, is_deletions;
    /* Sections of an intact segment: 0 the header, 1..11 as in segment_format.h,
     * 12 the directory, 13 the footer (the recipes' section numbers). */
    uint64_t section_off[14], section_len[14];
} index_file;

/* One intact index and the directory its damaged copies go to. */
typedef struct base_index {
    const char *tag;
    char *base_dir, *work_dir;
    index_file files[MAX_FILES];
    size_t file_count;
} base_index;

#define TEXT_DICT_INDEX 1 /* indexes[1] has a segment with a text dictionary */
static base_index indexes[2] = {{.tag = "base"}, {.tag = "dict"}};
static char *scratch;
/* The index the current input damages. */
static base_index *cur;
/* LPS_FUZZ_VERBOSE set: print the files and what each step of an input
 * gave (to write seeds that reach what they mean to). */
static int verbose;

/* The working copy of each file for the current input. */
static unsigned char *work[MAX_FILES];
static size_t work_len[MAX_FILES], work_cap[MAX_FILES];
static int dirty[MAX_FILES];

static const char *const queries[] = {
    "chat",
    "\"live chat\" OR proactive",
    "engag* -mobile",
    "NEAR(customer revenue, 5)",
    "role:analyst pricing",
    "year:2006..2016 quarter",
    "speaker:\"tim bixby\" OR company:liveperson",
    "the AND we",
};

static void add_text(lps_writer *w, const char *name, const char *file, size_t max_bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", fuzz_data_dir(), file);
    size_t len;
    unsigned char *bytes = fuzz_read_file(path, &len);
    FUZZ_CHECK(bytes != NULL, "cannot read %s", path);
    if (len > max_bytes)
        len = max_bytes;
    lps_error err;
    int rc = lps_writer_add_text(w, name, (const char *)bytes, len, NULL, &err);
    FUZZ_CHECK(rc == LPS_OK, "cannot index %s: %s", path, err.message);
    free(bytes);
}

/*
 * A call of over 1 MiB of text in a few thousand tokens, so that the writer
 * trains a zstd dictionary for the segment's stored text while its postings
 * stay small (every input's index_check walks them all; 1 MiB of ordinary
 * prose would make each input of the dictionary index ten times as slow).
 * Its sentences are made of long words (each one token) drawn from a pool
 * of FILLER_WORDS, so the term dictionary stays small too.
 */
#define FILLER_WORDS 32
#define FILLER_BYTES ((size_t)1200 << 10)

static uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return *state = x;
}

static char *make_filler(size_t *len)
{
    static const char *const syllables[] = {"rev", "en", "ue", "cus", "to", "mer", "chat", "mo", "bile", "grow",
                                            "th", "plat", "form", "en", "gage", "ment", "quar", "ter", "deal", "s"};
    static char pool[FILLER_WORDS][400];
    uint32_t seed = 0x5EEDF111u;
    for (size_t k = 0; k < FILLER_WORDS; k++) {
        size_t n = 0;
        while (n < 300) {
            const char *syl = syllables[xorshift32(&seed) % (sizeof syllables / sizeof syllables[0])];
            memcpy(pool[k] + n, syl, strlen(syl));
            n += strlen(syl);
        }
        pool[k][n] = '\0';
    }
    /* Room for the last line, begun below FILLER_BYTES. */
    char *text = malloc(FILLER_BYTES + 64 + 6 * 4 * sizeof pool[0]);
    FUZZ_CHECK(text != NULL, "out of memory");
    size_t n = (size_t)snprintf(text, 64, "Filler call\nOperator\n");
    while (n < FILLER_BYTES) {
        for (int sentence = 0; sentence < 6; sentence++) {
            for (int w = 0; w < 4; w++) {
                const char *word = pool[xorshift32(&seed) % FILLER_WORDS];
                size_t wl = strlen(word);
                memcpy(text + n, word, wl);
                if (w == 0) /* a capital after the full stop starts a sentence */
                    text[n] = (char)toupper((unsigned char)text[n]);
                n += wl;
                text[n++] = w < 3 ? ' ' : '.';
            }
            text[n++] = sentence < 5 ? ' ' : '\n';
        }
    }
    *len = n;
    return text;
}

static void build_base_index(const char *dir, int with_text_dict)
{
    lps_writer_options wo;
    lps_writer_options_init(&wo);
    wo.create = 1;
    wo.threads = 1;
    lps_writer *w;
    lps_error err;
    FUZZ_CHECK(lps_writer_open(dir, &wo, &w, &err) == LPS_OK, "writer: %s", err.message);
    add_text(w, "q1-2016.txt", "liveperson-2016-q1.txt", SIZE_MAX);
    if (with_text_dict) {
        size_t len;
        char *filler = make_filler(&len);
        FUZZ_CHECK(lps_writer_add_text(w, "filler.txt", filler, len, NULL, &err) == LPS_OK, "filler: %s",
                   err.message);
        free(filler);
    }
    FUZZ_CHECK(lps_writer_commit(w, &err) == LPS_OK, "commit: %s", err.message);
    add_text(w, "q3-2006.txt", "liveperson-2006-q3.txt", 6000);
    add_text(w, "q1-2014.txt", "liveperson-2014-q1.txt", 6000);
    FUZZ_CHECK(lps_writer_commit(w, &err) == LPS_OK, "commit: %s", err.message);
    size_t removed = 0;
    FUZZ_CHECK(lps_writer_remove(w, "q1-2014.txt", &removed, &err) == LPS_OK && removed == 1, "remove: %s",
               err.message);
    FUZZ_CHECK(lps_writer_commit(w, &err) == LPS_OK, "commit: %s", err.message);
    lps_writer_close(w);
}

static char *join(const char *dir, const char *name)
{
    size_t size = strlen(dir) + strlen(name) + 2;
    char *p = malloc(size);
    FUZZ_CHECK(p != NULL, "out of memory");
    snprintf(p, size, "%s/%s", dir, name);
    return p;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const index_file *)a)->name, ((const index_file *)b)->name);
}

static void load_base_files(void)
{
    const char *base_dir = cur->base_dir;
    DIR *d = opendir(base_dir);
    FUZZ_CHECK(d != NULL, "cannot list %s", base_dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        int is_manifest = strcmp(n, "MANIFEST") == 0;
        int seg = len > 4 && strncmp(n, "seg-", 4) == 0 && strcmp(n + len - 4, ".lps") == 0;
        int del = len > 4 && strncmp(n, "seg-", 4) == 0 && strcmp(n + len - 4, ".del") == 0;
        if (!is_manifest && !seg && !del)
            continue;
        FUZZ_CHECK(cur->file_count < MAX_FILES && len < sizeof cur->files[0].name, "unexpected files in %s",
                   base_dir);
        index_file *f = &cur->files[cur->file_count++];
        snprintf(f->name, sizeof f->name, "%s", n);
        f->is_manifest = is_manifest, f->is_segment = seg, f->is_deletions = del;
    }
    closedir(d);
    qsort(cur->files, cur->file_count, sizeof cur->files[0], by_name);
    int segments = 0, deletions = 0, dictionaries = 0;
    for (size_t i = 0; i < cur->file_count; i++) {
        index_file *f = &cur->files[i];
        char *path = join(base_dir, f->name);
        f->base = fuzz_read_file(path, &f->base_len);
        FUZZ_CHECK(f->base != NULL, "cannot read %s", path);
        if (!f->is_segment) {
            free(path);
            deletions += f->is_deletions;
            continue;
        }
        segments++;
        segment *s;
        lps_error err;
        FUZZ_CHECK(segment_open(path, UINT64_MAX, &s, &err) == LPS_OK, "segment_open: %s", err.message);
        for (unsigned id = 1; id <= SECTION_ID_MAX; id++)
            f->section_off[id] = s->sections[id].offset, f->section_len[id] = s->sections[id].length;
        dictionaries += s->text_ddict != NULL;
        segment_close(s);
        free(path);
        f->section_off[0] = 0, f->section_len[0] = SEGMENT_HEADER_SIZE;
        const unsigned char *footer = f->base + f->base_len - SEGMENT_FOOTER_SIZE;
        f->section_off[12] = load_le64(footer);
        f->section_len[12] = (uint64_t)load_le32(footer + 8) * SEGMENT_DIR_ENTRY_SIZE;
        f->section_off[13] = f->base_len - SEGMENT_FOOTER_SIZE, f->section_len[13] = SEGMENT_FOOTER_SIZE;
    }
    if (verbose)
        for (size_t i = 0; i < cur->file_count; i++) {
            fprintf(stderr, "%s file %zu: %s, %zu bytes\n", cur->tag, i, cur->files[i].name, cur->files[i].base_len);
            for (unsigned id = 0; cur->files[i].is_segment && id < 14; id++)
                fprintf(stderr, "  section %u at %llu, %llu bytes\n", id,
                        (unsigned long long)cur->files[i].section_off[id],
                        (unsigned long long)cur->files[i].section_len[id]);
        }
    FUZZ_CHECK(segments == 2 && deletions == 1, "the %s index has %d segments and %d deletion files", cur->tag,
               segments, deletions);
    /* The first segment of the dictionary index is the one with the dictionary;
     * recipes address it as file 1, like the first index's big segment. */
    FUZZ_CHECK(dictionaries == (cur == &indexes[TEXT_DICT_INDEX]) &&
                   (dictionaries == 0 || cur->files[1].section_len[SECTION_TEXT_DICT] > 0),
               "the %s index has %d segments with a text dictionary", cur->tag, dictionaries);
}

static void clean_up(void)
{
    for (size_t k = 0; k < sizeof indexes / sizeof indexes[0]; k++) {
        for (size_t i = 0; i < indexes[k].file_count; i++)
            free(indexes[k].files[i].base);
        free(indexes[k].base_dir);
        free(indexes[k].work_dir);
    }
    for (size_t i = 0; i < MAX_FILES; i++)
        free(work[i]);
    fuzz_remove_tree(scratch);
    free(scratch);
}

static void write_work_file(size_t i, const unsigned char *bytes, size_t len)
{
    char *path = join(cur->work_dir, cur->files[i].name);
    FUZZ_CHECK(fuzz_write_file(path, bytes, len) == 0, "cannot write %s", path);
    free(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    verbose = getenv("LPS_FUZZ_VERBOSE") != NULL;
    scratch = fuzz_make_temp_dir("index");
    for (size_t k = 0; k < sizeof indexes / sizeof indexes[0]; k++) {
        cur = &indexes[k];
        char name[32];
        snprintf(name, sizeof name, "%s-base", cur->tag);
        cur->base_dir = join(scratch, name);
        snprintf(name, sizeof name, "%s-work", cur->tag);
        cur->work_dir = join(scratch, name);
        build_base_index(cur->base_dir, k == TEXT_DICT_INDEX);
        load_base_files();
        FUZZ_CHECK(mkdir(cur->work_dir, 0755) == 0, "cannot create %s", cur->work_dir);
        for (size_t i = 0; i < cur->file_count; i++)
            write_work_file(i, cur->files[i].base, cur->files[i].base_len);
    }
    cur = &indexes[0];
    fuzz_limit_allocations((size_t)512 << 20);
    atexit(clean_up);
    return 0;
}

/* ---- Mutations --------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p, *end;
    int ok;
} reader;

static uint64_t take(reader *r, unsigned bytes)
{
    uint64_t v = 0;
    if (!r->ok || (size_t)(r->end - r->p) < bytes) {
        r->ok = 0;
        return 0;
    }
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    return v;
}

/* Makes file i's working copy writable, holding its intact bytes at first. */
static void touch(size_t i)
{
    if (dirty[i])
        return;
    dirty[i] = 1;
    if (work_cap[i] < cur->files[i].base_len + 1) {
        free(work[i]);
        work_cap[i] = cur->files[i].base_len + 1;
        work[i] = malloc(work_cap[i]);
        FUZZ_CHECK(work[i] != NULL, "out of memory");
    }
    memcpy(work[i], cur->files[i].base, cur->files[i].base_len);
    work_len[i] = cur->files[i].base_len;
}

static void reserve(size_t i, size_t len)
{
    if (len <= work_cap[i])
        return;
    size_t cap = len * 2;
    unsigned char *grown = realloc(work[i], cap);
    FUZZ_CHECK(grown != NULL, "out of memory");
    work[i] = grown;
    work_cap[i] = cap;
}

static void store_le(unsigned char *at, uint64_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        at[k] = (unsigned char)(v >> (8 * k));
}

/* Writes bytes at off of file i, clipped to its end. */
static void put(size_t i, size_t off, uint64_t v, unsigned bytes)
{
    if (work_len[i] == 0)
        return;
    off %= work_len[i];
    if (bytes > work_len[i] - off)
        bytes = (unsigned)(work_len[i] - off);
    store_le(work[i] + off, v, bytes);
}

static void add32(size_t i, size_t off, int delta)
{
    if (work_len[i] < 4)
        return;
    off %= work_len[i] - 3;
    store_le(work[i] + off, load_le32(work[i] + off) + (uint32_t)delta, 4);
}

/* A file offset from a section-relative one; the intact layout is the reference. */
static size_t section_offset(size_t i, unsigned section, uint64_t off)
{
    const index_file *f = &cur->files[i];
    if (!f->is_segment)
        return (size_t)off;
    section %= 14;
    uint64_t len = f->section_len[section];
    return (size_t)(f->section_off[section] + (len ? off % len : 0));
}

static void apply_op(reader *r)
{
    unsigned op = (unsigned)take(r, 1);
    if (!r->ok)
        return;
    size_t i = (op >> 4) % cur->file_count;
    unsigned code = op & 15;
    uint64_t off, v;
    unsigned section, n;
    switch (code) {
    case 0: case 1: case 2: case 3:
        off = take(r, 4);
        v = take(r, code == 2 ? 4 : code == 3 ? 8 : 1);
        if (!r->ok)
            return;
        touch(i);
        if (code == 0 && work_len[i] > 0)
            work[i][off % work_len[i]] ^= (unsigned char)v;
        else if (code != 0)
            put(i, (size_t)off, v, code == 2 ? 4 : code == 3 ? 8 : 1);
        return;
    case 4:
        off = take(r, 4);
        if (!r->ok)
            return;
        touch(i);
        work_len[i] = (size_t)(off % (work_len[i] + 1));
        return;
    case 5:
    case 9:
        off = code == 9 ? take(r, 4) : 0;
        n = (unsigned)take(r, 1);
        if (!r->ok || (size_t)(r->end - r->p) < n) {
            r->ok = 0;
            return;
        }
        touch(i);
        if (work_len[i] + n > MAX_FILE_BYTES)
            return;
        reserve(i, work_len[i] + n);
        off = code == 5 ? work_len[i] : off % (work_len[i] + 1);
        memmove(work[i] + off + n, work[i] + off, work_len[i] - off);
        memcpy(work[i] + off, r->p, n);
        work_len[i] += n;
        r->p += n;
        return;
    case 6:
    case 7:
        section = (unsigned)take(r, 1);
        off = take(r, 4);
        v = take(r, 1);
        if (!r->ok)
            return;
        touch(i);
        off = section_offset(i, section, off);
        if (code == 6 && work_len[i] > 0)
            work[i][off % work_len[i]] ^= (unsigned char)v;
        else if (code == 7)
            add32(i, (size_t)off, (int8_t)v);
        return;
    case 8:
        off = take(r, 4);
        n = (unsigned)take(r, 2);
        if (!r->ok)
            return;
        touch(i);
        if (work_len[i] == 0)
            return;
        off %= work_len[i];
        if (n > work_len[i] - off)
            n = (unsigned)(work_len[i] - off);
        memmove(work[i] + off, work[i] + off + n, work_len[i] - off - n);
        work_len[i] -= n;
        return;
    default:
        off = take(r, 4);
        v = take(r, 1);
        if (!r->ok)
            return;
        touch(i);
        add32(i, (size_t)off, (int8_t)v);
        return;
    }
}

/* ---- Re-sealing: checksums that match the damage ---------------------------------- */

static int range_ok(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

static void reseal_segment(unsigned char *b, size_t len)
{
    if (len < SEGMENT_HEADER_SIZE + SEGMENT_FOOTER_SIZE)
        return;
    unsigned char *footer = b + len - SEGMENT_FOOTER_SIZE;
    uint64_t dir_off = load_le64(footer);
    uint64_t entries = load_le32(footer + 8);
    if (range_ok(len, dir_off, entries * SEGMENT_DIR_ENTRY_SIZE)) {
        for (uint64_t k = 0; k < entries; k++) {
            unsigned char *e = b + dir_off + k * SEGMENT_DIR_ENTRY_SIZE;
            uint64_t off = load_le64(e + 8), size = load_le64(e + 16);
            if (range_ok(len, off, size))
                store_le(e + 24, XXH64(b + off, (size_t)size, 0), 8);
        }
        store_le(footer + 16, XXH64(b + dir_off, (size_t)(entries * SEGMENT_DIR_ENTRY_SIZE), 0), 8);
    }
    store_le(b + 56, XXH64(b, 56, 0), 8);
}

/* MANIFEST and deletion markers end with the XXH64 of every byte before. */
static void reseal_trailer(unsigned char *b, size_t len)
{
    if (len >= 8)
        store_le(b + len - 8, XXH64(b, len - 8, 0), 8);
}

static void apply_recipe(const uint8_t *data, size_t size)
{
    cur = &indexes[size > 0 && (data[0] & 16) ? TEXT_DICT_INDEX : 0];
    if (size == 0)
        return;
    unsigned flags = data[0];
    if (flags & 8) {
        if (size < 2)
            return;
        size_t i = data[1] % cur->file_count;
        size_t len = size - 2 < MAX_FILE_BYTES ? size - 2 : MAX_FILE_BYTES;
        touch(i);
        reserve(i, len + 1);
        memcpy(work[i], data + 2, len);
        work_len[i] = len;
    } else {
        reader r = {data + 1, data + size, 1};
        while (r.ok && r.p < r.end)
            apply_op(&r);
    }
    for (size_t i = 0; i < cur->file_count; i++) {
        if (!dirty[i])
            continue;
        if (cur->files[i].is_segment && (flags & 1))
            reseal_segment(work[i], work_len[i]);
        else if ((cur->files[i].is_manifest && (flags & 2)) || (cur->files[i].is_deletions && (flags & 4)))
            reseal_trailer(work[i], work_len[i]);
    }
}

/* ---- Reading the damaged index ---------------------------------------------------- */

static void check_error(int rc, const lps_error *err, const char *what)
{
    FUZZ_CHECK(err->code == rc, "%s: returned %s, err.code %d", what, lps_strerror(rc), err->code);
    FUZZ_CHECK(err->message[0] != '\0', "%s: %s without a message", what, lps_strerror(rc));
    FUZZ_CHECK(err->path[0] != '\0', "%s: %s without a file: %s", what, lps_strerror(rc), err->message);
    if (rc == LPS_ECORRUPT || rc == LPS_EVERSION)
        FUZZ_CHECK(err->section[0] != '\0', "%s: %s names no section: %s: %s", what, lps_strerror(rc), err->path,
                   err->message);
}

static void report(const char *what, int rc, const lps_error *err)
{
    if (!verbose)
        return;
    if (rc == LPS_OK)
        fprintf(stderr, "  %s index, %s: ok\n", cur->tag, what);
    else
        fprintf(stderr, "  %s index, %s: %s, %s, section \"%s\": %s\n", cur->tag, what, lps_strerror(rc),
                err->path, err->section, err->message);
}

static int open_and_check(void)
{
    index_snapshot *snap = (index_snapshot *)1;
    lps_error err;
    int rc = index_snapshot_open(cur->work_dir, &snap, &err);
    if (rc != LPS_OK) {
        FUZZ_CHECK(snap == NULL, "snapshot out-param not cleared");
        FUZZ_CHECK(rc == LPS_ECORRUPT || rc == LPS_EVERSION || rc == LPS_ENOENT || rc == LPS_EIO,
                   "index_snapshot_open returned %s: %s", lps_strerror(rc), err.message);
        check_error(rc, &err, "index_snapshot_open");
        report("index_snapshot_open", rc, &err);
        return rc;
    }
    index_check_stats stats;
    memset(&stats, 0, sizeof stats);
    rc = index_check(snap, &stats, &err);
    FUZZ_CHECK(rc == LPS_OK || rc == LPS_ECORRUPT, "index_check returned %s: %s", lps_strerror(rc), err.message);
    if (rc != LPS_OK)
        check_error(rc, &err, "index_check");
    report("index_check", rc, &err);
    index_snapshot_close(snap);
    return rc == LPS_OK ? LPS_OK : -LPS_ECORRUPT; /* opened, but damaged */
}

static void search_all(int checked_clean)
{
    lps_index *ix = (lps_index *)1;
    lps_error err;
    int rc = lps_index_open(cur->work_dir, &ix, &err);
    if (rc != LPS_OK) {
        FUZZ_CHECK(ix == NULL, "index out-param not cleared");
        FUZZ_CHECK(0, "index_snapshot_open succeeded, lps_index_open returned %s: %s", lps_strerror(rc),
                   err.message);
    }
    lps_search_options o;
    lps_search_options_init(&o);
    o.limit = 5;
    o.context = 1;
    o.explain = 1;
    o.count = 1;
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        lps_results *res = (lps_results *)1;
        rc = lps_search(ix, queries[q], &o, &res, &err);
        if (rc != LPS_OK) {
            FUZZ_CHECK(res == NULL, "results out-param not cleared");
            FUZZ_CHECK(rc == LPS_ECORRUPT, "lps_search(%s) returned %s: %s", queries[q], lps_strerror(rc),
                       err.message);
            FUZZ_CHECK(!checked_clean, "index_check passed, yet lps_search(%s) says: %s (%s, section %s)",
                       queries[q], err.message, err.path, err.section);
            FUZZ_CHECK(err.code == rc && err.message[0], "lps_search error without code or message");
            report(queries[q], rc, &err);
            continue;
        }
        for (size_t i = 0; i < lps_results_count(res); i++) {
            const lps_hit *h = lps_results_hit(res, i);
            FUZZ_CHECK(h->text != NULL && strlen(h->text) == h->text_len, "hit text and length disagree");
            for (size_t k = 0; k < h->highlight_count; k++)
                FUZZ_CHECK(h->highlights[k].start < h->highlights[k].end && h->highlights[k].end <= h->text_len,
                           "highlight outside the text");
        }
        lps_results_free(res);
        uint64_t count;
        rc = lps_count(ix, queries[q], &count, &err);
        FUZZ_CHECK(rc == LPS_OK || (rc == LPS_ECORRUPT && !checked_clean), "lps_count(%s) returned %s: %s",
                   queries[q], lps_strerror(rc), err.message);
    }
    lps_index_close(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apply_recipe(data, size);
    for (size_t i = 0; i < cur->file_count; i++)
        if (dirty[i])
            write_work_file(i, work[i], work_len[i]);
    int rc = open_and_check();
    if (rc == LPS_OK || rc == -LPS_ECORRUPT)
        search_all(rc == LPS_OK);
    /* Back to the intact index for the next input. */
    for (size_t i = 0; i < cur->file_count; i++)
        if (dirty[i]) {
            write_work_file(i, cur->files[i].base, cur->files[i].base_len);
            dirty[i] = 0;
        }
    return 0;
}
