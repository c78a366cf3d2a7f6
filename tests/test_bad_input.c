/*
 * Tests for hostile and damaged input to the transcript reader
 * (indexer/text_source.c, indexer/transcript_reader.c): what is refused with
 * which status and where, what is repaired with which warning, that repairs
 * leave the sentences exactly as the clean input gives them, that huge input
 * stays linear, and that every allocation failure becomes LPS_ENOMEM with
 * nothing returned (and, under ASan, nothing leaked).
 */
#include "test.h"

#include "alloc.h"
#include "lpsearch.h"
#include "transcript.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Helpers ------------------------------------------------------------- */

/* A small clean transcript: a heading and three turns, 7 sentences. */
static const char small_lf[] =
    "LivePerson Q1 2014 Earnings Call\n"
    "\n"
    "Operator\n"
    "Good afternoon, and welcome to the call. I will now hand over to Tim.\n"
    "Tim Bixby - CFO\n"
    "Thanks very much. Revenue grew 10% this quarter. We are pleased.\n"
    "Jane Doe - Acme Capital - Analyst\n"
    "Congratulations on the quarter. What drove the growth?\n";

static const char *const small_sentences[] = {
    "Good afternoon, and welcome to the call.",
    "I will now hand over to Tim.",
    "Thanks very much.",
    "Revenue grew 10% this quarter.",
    "We are pleased.",
    "Congratulations on the quarter.",
    "What drove the growth?",
};
#define SMALL_SENTENCES (sizeof small_sentences / sizeof small_sentences[0])

static const char *sentence_text(const transcript *t, size_t i)
{
    assert_true(i < t->sentence_count);
    return t->text + t->sentences[i].text_off;
}

static const char *scratch_path(const char *dir, const char *name)
{
    static char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        fail_msg("path too long: %s/%s", dir, name);
    return path;
}

static transcript *read_ok(const void *bytes, size_t len)
{
    transcript *t = (transcript *)1;
    lps_error err;
    int rc = transcript_read_memory("mem.txt", bytes, len, &t, &err);
    if (rc != LPS_OK)
        fail_msg("expected success, got %d: %s", rc, err.message);
    assert_non_null(t);
    return t;
}

static int read_fails(const void *bytes, size_t len, lps_error *err)
{
    transcript *t = (transcript *)1;
    int rc = transcript_read_memory("mem.txt", bytes, len, &t, err);
    assert_int_not_equal(rc, LPS_OK);
    assert_null(t);
    assert_int_equal(err->code, rc);
    assert_string_equal(err->path, "mem.txt");
    return rc;
}

static const transcript_warning *find_warning(const transcript *t, const char *needle)
{
    for (size_t i = 0; i < t->warning_count; i++)
        if (strstr(t->warnings[i].message, needle))
            return &t->warnings[i];
    return NULL;
}

static int equal_or_both_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The two transcripts have the same turns, sentences, lines and speakers. */
static void assert_same_parse(const transcript *a, const transcript *b)
{
    assert_int_equal(a->turn_count, b->turn_count);
    assert_int_equal(a->sentence_count, b->sentence_count);
    assert_int_equal(a->speaker_count, b->speaker_count);
    for (size_t i = 0; i < a->turn_count; i++) {
        assert_int_equal(a->turns[i].label_line, b->turns[i].label_line);
        assert_int_equal(a->turns[i].sentence_count, b->turns[i].sentence_count);
    }
    for (size_t i = 0; i < a->sentence_count; i++) {
        assert_string_equal(sentence_text(a, i), sentence_text(b, i));
        assert_int_equal(a->sentences[i].turn, b->sentences[i].turn);
        assert_int_equal(a->sentences[i].ordinal, b->sentences[i].ordinal);
        assert_int_equal(a->sentences[i].line, b->sentences[i].line);
        const transcript_speaker *sa = transcript_sentence_speaker(a, i);
        const transcript_speaker *sb = transcript_sentence_speaker(b, i);
        assert_non_null(sa);
        assert_non_null(sb);
        assert_true(equal_or_both_null(sa->label, sb->label));
        assert_true(equal_or_both_null(sa->name, sb->name));
        assert_true(equal_or_both_null(sa->role, sb->role));
        assert_true(equal_or_both_null(sa->firm, sb->firm));
    }
    assert_true(equal_or_both_null(a->title, b->title));
}

/* Replaces every occurrence of from (one byte) with to in src. */
static char *replace_newlines(const char *src, const char *to, size_t *out_len)
{
    size_t tl = strlen(to), n = 0;
    for (const char *p = src; *p; p++)
        n += *p == '\n' ? tl : 1;
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t k = 0;
    for (const char *p = src; *p; p++) {
        if (*p == '\n') {
            memcpy(out + k, to, tl);
            k += tl;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* Copies s with insert placed just before the first occurrence of anchor. */
static char *insert_before(const char *s, const char *anchor, const char *insert, size_t insert_len,
                           size_t *out_len)
{
    const char *at = strstr(s, anchor);
    assert_non_null(at);
    size_t head = (size_t)(at - s), tail = strlen(at);
    char *out = malloc(head + insert_len + tail + 1);
    assert_non_null(out);
    memcpy(out, s, head);
    memcpy(out + head, insert, insert_len);
    memcpy(out + head + insert_len, at, tail + 1);
    *out_len = head + insert_len + tail;
    return out;
}

/* ---- Files that cannot be read ------------------------------------------ */

static void test_missing_file(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("bad-missing");
    char path[4096];
    strcpy(path, scratch_path(dir, "no-such-call.txt"));
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_ENOENT);
    assert_null(t);
    assert_int_equal(err.code, LPS_ENOENT);
    assert_string_equal(err.path, path);
    char line[2048];
    assert_non_null(strstr(lps_error_format(&err, line, sizeof line), path));

    /* A path through a regular file (ENOTDIR) is missing too. */
    test_write_file(scratch_path(dir, "plain.txt"), small_lf, strlen(small_lf));
    strcpy(path, scratch_path(dir, "plain.txt/inner.txt"));
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_ENOENT);
    assert_null(t);
    assert_string_equal(err.path, path);

    /* err may be NULL when only the code matters. */
    assert_int_equal(transcript_read_file(path, &t, NULL), LPS_ENOENT);
    assert_null(t);
}

static void test_directory_as_file(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("bad-dir");
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file(dir, &t, &err), LPS_EIO);
    assert_null(t);
    assert_string_equal(err.path, dir);
    assert_non_null(strstr(err.message, "directory"));
}

static void test_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads files whatever their mode */
    const char *dir = test_scratch_dir("bad-unreadable");
    char path[4096];
    strcpy(path, scratch_path(dir, "locked.txt"));
    test_write_file(path, small_lf, strlen(small_lf));
    assert_int_equal(chmod(path, 0), 0);
    transcript *t = (transcript *)1;
    lps_error err;
    int rc = transcript_read_file(path, &t, &err);
    chmod(path, 0644);
    assert_int_equal(rc, LPS_EIO);
    assert_null(t);
    assert_string_equal(err.path, path);
}

static void test_device_is_not_a_transcript(void **state)
{
    (void)state;
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file("/dev/null", &t, &err), LPS_EINPUT);
    assert_null(t);
    assert_non_null(strstr(err.message, "regular file"));
}

/* ---- Input refused as not a transcript ----------------------------------- */

static void test_fifo_is_refused(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("bad-fifo");
    char path[4200], cmd[8500];
    snprintf(path, sizeof path, "%s/pipe.txt", dir);
    snprintf(cmd, sizeof cmd, "mkfifo '%s'", path);
    assert_int_equal(system(cmd), 0);
    transcript *t = (transcript *)1;
    lps_error err;
    /* No writer: a blocking open would hang here. */
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_EINPUT);
    assert_null(t);
    assert_non_null(strstr(err.message, "not a regular file"));
}

static void test_empty_file(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("bad-empty");
    const char *path = scratch_path(dir, "empty.txt");
    test_write_file(path, "", 0);
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_EINPUT);
    assert_null(t);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, "empty"));

    /* In memory, with and without a buffer; a lone UTF-8 BOM is empty too. */
    assert_int_equal(read_fails("", 0, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(read_fails(NULL, 0, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(read_fails("\xEF\xBB\xBF", 3, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "empty"));
}

static void test_whitespace_only(void **state)
{
    (void)state;
    static const char blank[] = "  \n\t\r\n \f \v\n\n   \r";
    lps_error err;
    assert_int_equal(read_fails(blank, sizeof blank - 1, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "whitespace"));
    static const char bom_blank[] = "\xEF\xBB\xBF\n\n  \n";
    assert_int_equal(read_fails(bom_blank, sizeof bom_blank - 1, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "whitespace"));
}

/* Deterministic pseudo-random bytes, so failures reproduce. */
static void fill_random(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(next_random(&seed) >> 24);
}

static void test_binary_file(void **state)
{
    (void)state;
    enum { PREFIX = 100, SIZE = 4096 };
    unsigned char *bytes = malloc(SIZE);
    assert_non_null(bytes);
    /* 100 bytes of plain text, then random bytes with a NUL every 64. */
    memset(bytes, 'a', PREFIX);
    fill_random(bytes + PREFIX, SIZE - PREFIX, 12345);
    for (size_t i = PREFIX; i < SIZE; i += 64)
        bytes[i] = 0;

    const char *dir = test_scratch_dir("bad-binary");
    const char *path = scratch_path(dir, "random.txt");
    test_write_file(path, bytes, SIZE);
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_EINPUT);
    assert_null(t);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, "binary"));
    assert_int_equal(err.offset, PREFIX); /* the first NUL */

    assert_int_equal(read_fails(bytes, SIZE, &err), LPS_EINPUT);
    assert_int_equal(err.offset, PREFIX);

    /* Behind a UTF-8 BOM the offset still counts from the start of the file. */
    unsigned char *with_bom = malloc(SIZE + 3);
    assert_non_null(with_bom);
    memcpy(with_bom, "\xEF\xBB\xBF", 3);
    memcpy(with_bom + 3, bytes, SIZE);
    assert_int_equal(read_fails(with_bom, SIZE + 3, &err), LPS_EINPUT);
    assert_int_equal(err.offset, PREFIX + 3);

    /* Random bytes without any NUL are refused as well (mostly invalid UTF-8). */
    fill_random(bytes, SIZE, 777);
    for (size_t i = 0; i < SIZE; i++)
        if (bytes[i] == 0)
            bytes[i] = 0xFF;
    assert_int_equal(read_fails(bytes, SIZE, &err), LPS_EINPUT);
    assert_true(err.offset >= 0 && err.offset < SIZE);
    free(with_bom);
    free(bytes);
}

/* More than 1% control bytes is binary; up to 1% is repaired. */
static void test_binary_threshold(void **state)
{
    (void)state;
    enum { SIZE = 1000 };
    char text[SIZE];
    static const char head[] = "Operator\nGood afternoon. ";
    memset(text, 'x', SIZE);
    memcpy(text, head, sizeof head - 1);
    for (size_t i = sizeof head - 1; i + 1 < SIZE; i += 8)
        text[i] = ' ';
    text[SIZE - 1] = '.';
    for (size_t k = 0; k < 10; k++)
        text[100 + 50 * k] = 0x01;
    transcript *t = read_ok(text, SIZE); /* 10 controls in 1000 bytes: exactly 1% */
    const transcript_warning *w = find_warning(t, "0x01");
    assert_non_null(w);
    assert_int_equal(w->offset, 100);
    assert_non_null(find_warning(t, "10 control bytes"));
    for (size_t i = 0; i < t->sentence_count; i++)
        assert_null(strchr(sentence_text(t, i), 0x01));
    transcript_free(t);

    text[600] = 0x02; /* 11 controls */
    lps_error err;
    assert_int_equal(read_fails(text, SIZE, &err), LPS_EINPUT);
    assert_int_equal(err.offset, 100);
}

static void test_utf16_bom(void **state)
{
    (void)state;
    static const char utf16le[] = "\xFF\xFEO\0p\0e\0r\0a\0t\0o\0r\0\n\0H\0i\0.\0\n\0";
    static const char utf16be[] = "\xFE\xFF\0O\0p\0e\0r\0a\0t\0o\0r\0\n\0H\0i\0.\0\n";
    const char *dir = test_scratch_dir("bad-utf16");
    const char *path = scratch_path(dir, "utf16.txt");
    test_write_file(path, utf16le, sizeof utf16le - 1);
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_EINPUT);
    assert_null(t);
    assert_non_null(strstr(err.message, "UTF-16"));
    assert_int_equal(err.offset, 0);

    assert_int_equal(read_fails(utf16be, sizeof utf16be - 1, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "UTF-16"));
}

static void test_only_headings(void **state)
{
    (void)state;
    static const char headings[] = "LivePerson Q1 2014 Earnings Call\nMay 4, 2014\nTranscript\n";
    lps_error err;
    assert_int_equal(read_fails(headings, sizeof headings - 1, &err), LPS_EINPUT);
    assert_non_null(strstr(err.message, "headings"));
}

static void test_labels_without_remarks(void **state)
{
    (void)state;
    static const char labels[] = "Operator\nTim Bixby - CFO\n";
    transcript *t = read_ok(labels, sizeof labels - 1);
    assert_int_equal(t->turn_count, 2);
    assert_int_equal(t->sentence_count, 0);
    assert_int_equal(t->turns[0].sentence_count, 0);
    assert_int_equal(t->turns[1].label_line, 2);
    assert_non_null(t->text); /* an empty arena, never NULL */
    transcript_free(t);
}

static void test_too_big(void **state)
{
    (void)state;
    /* The length is checked before any byte is read, so a tiny buffer will do. */
    static const char tiny[16] = "Operator\nHi.\n";
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_memory("huge.txt", tiny, TRANSCRIPT_MAX_BYTES + 1, &t, &err),
                     LPS_ETOOBIG);
    assert_null(t);
    assert_string_equal(err.path, "huge.txt");

    /* On disk, a sparse file one byte over the limit. */
    const char *dir = test_scratch_dir("bad-toobig");
    const char *path = scratch_path(dir, "huge.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)TRANSCRIPT_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_ETOOBIG);
    assert_null(t);
    assert_string_equal(err.path, path);
    unlink(path);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    transcript *t = (transcript *)1;
    lps_error err;
    assert_int_equal(transcript_read_memory(NULL, small_lf, 4, &t, &err), LPS_EARG);
    assert_null(t);
    t = (transcript *)1;
    assert_int_equal(transcript_read_memory("x.txt", NULL, 4, &t, &err), LPS_EARG);
    assert_null(t);
}

/* ---- Input accepted after repair ----------------------------------------- */

static void test_clean_baseline(void **state)
{
    (void)state;
    transcript *t = read_ok(small_lf, strlen(small_lf));
    assert_int_equal(t->turn_count, 3);
    assert_int_equal(t->sentence_count, SMALL_SENTENCES);
    for (size_t i = 0; i < SMALL_SENTENCES; i++)
        assert_string_equal(sentence_text(t, i), small_sentences[i]);
    assert_int_equal(t->warning_count, 0);
    assert_string_equal(transcript_sentence_speaker(t, 0)->label, "Operator");
    assert_string_equal(transcript_sentence_speaker(t, 2)->name, "Tim Bixby");
    assert_string_equal(transcript_sentence_speaker(t, 6)->firm, "Acme Capital");
    transcript_free(t);
}

static void test_nul_bytes_removed(void **state)
{
    (void)state;
    size_t len;
    char *text = insert_before(small_lf, "ew 10%", "\0", 1, &len); /* "Revenue gr\0ew" */
    const char *dir = test_scratch_dir("bad-nul");
    const char *path = scratch_path(dir, "nul.txt");
    test_write_file(path, text, len);
    transcript *t = NULL;
    lps_error err;
    assert_int_equal(transcript_read_file(path, &t, &err), LPS_OK);
    assert_int_equal(t->sentence_count, SMALL_SENTENCES);
    assert_string_equal(sentence_text(t, 3), "Revenue grew 10% this quarter.");
    const transcript_warning *w = find_warning(t, "NUL");
    assert_non_null(w);
    assert_int_equal(w->line, 6);
    assert_int_equal(w->offset, (long long)(strstr(small_lf, "ew 10%") - small_lf));
    transcript *clean = read_ok(small_lf, strlen(small_lf));
    assert_same_parse(t, clean);
    transcript_free(clean);
    transcript_free(t);
    free(text);
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    size_t len;
    char *text = insert_before(small_lf, "grew 10%", "\xFF", 1, &len);
    transcript *t = read_ok(text, len);
    assert_int_equal(t->sentence_count, SMALL_SENTENCES);
    assert_string_equal(sentence_text(t, 3), "Revenue \xEF\xBF\xBDgrew 10% this quarter.");
    const transcript_warning *w = find_warning(t, "U+FFFD");
    assert_non_null(w);
    assert_int_equal(w->line, 6);
    assert_non_null(strstr(w->message, "0xFF"));
    transcript_free(t);
    free(text);

    /* Latin-1 text (a few high bytes in ASCII) is repaired, not refused. */
    static const char latin1[] = "Operator\nWelcome to the caf\xE9 call. Na\xEFve questions are fine.\n";
    t = read_ok(latin1, sizeof latin1 - 1);
    assert_int_equal(t->sentence_count, 2);
    assert_string_equal(sentence_text(t, 0), "Welcome to the caf\xEF\xBF\xBD call.");
    assert_string_equal(sentence_text(t, 1), "Na\xEF\xBF\xBDve questions are fine.");
    assert_non_null(find_warning(t, "2 invalid UTF-8 sequences"));
    transcript_free(t);
}

static void test_crlf_same_as_lf(void **state)
{
    (void)state;
    transcript *lf = read_ok(small_lf, strlen(small_lf));
    size_t len;
    char *crlf = replace_newlines(small_lf, "\r\n", &len);
    transcript *t = read_ok(crlf, len);
    assert_same_parse(lf, t);
    assert_int_equal(t->warning_count, 0);
    for (size_t i = 0; i < t->sentence_count; i++)
        assert_null(strchr(sentence_text(t, i), '\r'));
    transcript_free(t);
    free(crlf);

    char *cr = replace_newlines(small_lf, "\r", &len);
    t = read_ok(cr, len);
    assert_same_parse(lf, t);
    transcript_free(t);
    free(cr);
    transcript_free(lf);
}

static void test_utf8_bom_stripped(void **state)
{
    (void)state;
    transcript *plain = read_ok(small_lf, strlen(small_lf));
    size_t len = strlen(small_lf);
    char *bom = malloc(len + 3);
    assert_non_null(bom);
    memcpy(bom, "\xEF\xBB\xBF", 3);
    memcpy(bom + 3, small_lf, len);
    transcript *t = read_ok(bom, len + 3);
    assert_same_parse(plain, t);
    assert_non_null(t->title);
    assert_null(strstr(t->title, "\xEF\xBB\xBF"));
    transcript_free(t);

    /* The BOM directly in front of the first label: still a label. */
    const char *from_label = strstr(small_lf, "Operator");
    size_t tail = strlen(from_label);
    memcpy(bom + 3, from_label, tail);
    t = read_ok(bom, tail + 3);
    assert_int_equal(t->turn_count, 3);
    assert_string_equal(transcript_sentence_speaker(t, 0)->label, "Operator");
    assert_string_equal(sentence_text(t, 0), small_sentences[0]);
    assert_int_equal(t->warning_count, 0);
    transcript_free(t);
    free(bom);
    transcript_free(plain);
}

static void test_no_speaker_labels(void **state)
{
    (void)state;
    static const char text[] =
        "We grew revenue this quarter. Margins improved as well.\n"
        "Guidance for the year is unchanged.\n";
    transcript *t = read_ok(text, sizeof text - 1);
    assert_int_equal(t->turn_count, 1);
    assert_int_equal(t->sentence_count, 3);
    assert_string_equal(sentence_text(t, 2), "Guidance for the year is unchanged.");
    assert_int_equal(t->sentences[2].line, 2);
    assert_non_null(find_warning(t, "no speaker labels"));
    assert_string_equal(t->layout, "unlabelled");
    transcript_free(t);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_extremely_long_lines(void **state)
{
    (void)state;
    const size_t mib5 = (size_t)5 << 20;
    char *text = malloc(2 * mib5 + 64);
    assert_non_null(text);
    size_t n = 0;
    memcpy(text + n, "Operator\n", 9), n += 9;
    for (size_t i = 0; i < mib5 / 5; i++)
        memcpy(text + n, "word ", 5), n += 5;
    text[n++] = '\n';
    memcpy(text + n, "Tim Bixby - CFO\n", 16), n += 16;
    size_t repeats = mib5 / 6;
    for (size_t i = 0; i < repeats; i++)
        memcpy(text + n, "Word. ", 6), n += 6;
    text[n++] = '\n';

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    transcript *t = read_ok(text, n);
    double took = seconds_since(&start);
    /* About a second unoptimized; a quadratic pass would take hours. */
    assert_true(took < 60.0);
    assert_int_equal(t->turn_count, 2);
    assert_int_equal(t->turns[0].sentence_count, 1);
    assert_int_equal(t->sentences[0].text_len, mib5 / 5 * 5 - 1); /* trailing blank trimmed */
    assert_int_equal(t->turns[1].sentence_count, repeats);
    assert_int_equal(t->sentence_count, 1 + repeats);
    assert_string_equal(sentence_text(t, t->sentence_count - 1), "Word.");
    assert_int_equal(t->sentences[t->sentence_count - 1].line, 4);
    transcript_free(t);
    free(text);
}

/* ---- Allocation failures ------------------------------------------------- */

typedef struct alloc_plan {
    size_t calls;   /* allocations seen */
    size_t fail_at; /* 1-based allocation to fail; 0 = none */
} alloc_plan;

static int alloc_hook(size_t size, void *ctx)
{
    (void)size;
    alloc_plan *p = ctx;
    return ++p->calls == p->fail_at;
}

typedef int (*read_fn)(const void *arg, transcript **out, lps_error *err);

static int read_small_memory(const void *arg, transcript **out, lps_error *err)
{
    const char *text = arg;
    return transcript_read_memory("mem.txt", text, strlen(text), out, err);
}

static int read_path(const void *arg, transcript **out, lps_error *err)
{
    return transcript_read_file(arg, out, err);
}

static size_t count_allocations(read_fn fn, const void *arg)
{
    alloc_plan plan = {0, 0};
    transcript *t = NULL;
    lps_alloc_set_hook(alloc_hook, &plan);
    int rc = fn(arg, &t, NULL);
    lps_alloc_set_hook(NULL, NULL);
    assert_int_equal(rc, LPS_OK);
    transcript_free(t);
    return plan.calls;
}

/* Fails each allocation in turn; every one must surface as LPS_ENOMEM. */
static void fail_each_allocation(read_fn fn, const void *arg)
{
    size_t total = count_allocations(fn, arg);
    assert_true(total > 5);
    for (size_t n = 1; n <= total; n++) {
        alloc_plan plan = {0, n};
        transcript *t = (transcript *)1;
        lps_error err;
        lps_alloc_set_hook(alloc_hook, &plan);
        int rc = fn(arg, &t, &err);
        lps_alloc_set_hook(NULL, NULL);
        if (rc != LPS_ENOMEM) {
            transcript_free(rc == LPS_OK ? t : NULL);
            fail_msg("allocation %zu of %zu failed but the read returned %d", n, total, rc);
        }
        assert_null(t);
        assert_int_equal(err.code, LPS_ENOMEM);
    }
    /* With the hook gone, reading works again. */
    transcript *t = NULL;
    assert_int_equal(fn(arg, &t, NULL), LPS_OK);
    assert_int_equal(t->sentence_count, SMALL_SENTENCES);
    transcript_free(t);
}

static void test_alloc_failure_memory(void **state)
{
    (void)state;
    fail_each_allocation(read_small_memory, small_lf);
}

static void test_alloc_failure_file(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("bad-alloc");
    char path[4096];
    strcpy(path, scratch_path(dir, "small.txt"));
    test_write_file(path, small_lf, strlen(small_lf));
    fail_each_allocation(read_path, path);
}

/* Warnings are advisory: losing one to a failed allocation may still succeed,
 * but then the sentences are exactly those of the undisturbed read. */
static void test_alloc_failure_with_repairs(void **state)
{
    (void)state;
    size_t len;
    char *crlf = replace_newlines(small_lf, "\r\n", &len);
    char *text = insert_before(crlf, "grew 10%", "\xFF\x01", 2, &len);
    free(crlf);
    transcript *reference = read_ok(text, len);
    assert_int_equal(reference->warning_count, 2);
    size_t total = count_allocations(read_small_memory, text);
    size_t enomem = 0;
    for (size_t n = 1; n <= total; n++) {
        alloc_plan plan = {0, n};
        transcript *t = (transcript *)1;
        lps_alloc_set_hook(alloc_hook, &plan);
        int rc = transcript_read_memory("mem.txt", text, len, &t, NULL);
        lps_alloc_set_hook(NULL, NULL);
        if (rc == LPS_OK) {
            assert_non_null(t);
            assert_same_parse(reference, t);
            assert_true(t->warning_count < reference->warning_count);
            transcript_free(t);
        } else {
            assert_int_equal(rc, LPS_ENOMEM);
            assert_null(t);
            enomem++;
        }
    }
    assert_true(enomem + 1 >= total); /* only the warning list may be lost */
    transcript_free(reference);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory_as_file),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_device_is_not_a_transcript),
        cmocka_unit_test(test_fifo_is_refused),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_whitespace_only),
        cmocka_unit_test(test_binary_file),
        cmocka_unit_test(test_binary_threshold),
        cmocka_unit_test(test_utf16_bom),
        cmocka_unit_test(test_only_headings),
        cmocka_unit_test(test_labels_without_remarks),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_clean_baseline),
        cmocka_unit_test(test_nul_bytes_removed),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_crlf_same_as_lf),
        cmocka_unit_test(test_utf8_bom_stripped),
        cmocka_unit_test(test_no_speaker_labels),
        cmocka_unit_test(test_extremely_long_lines),
        cmocka_unit_test(test_alloc_failure_memory),
        cmocka_unit_test(test_alloc_failure_file),
        cmocka_unit_test(test_alloc_failure_with_repairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
