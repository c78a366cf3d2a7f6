/*
 * Shared includes and helpers for the cmocka test programs.
 */
#ifndef LPS_TEST_H
#define LPS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path of a bundled transcript, e.g. test_data_path("liveperson-2014-q1.txt"). */
static inline const char *test_data_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", LPS_TEST_DATA_DIR, name);
    return path;
}

/* A fresh scratch directory under the test binary directory. */
static inline const char *test_scratch_dir(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/scratch-%s", LPS_TEST_BINARY_DIR, name);
    char cmd[2 * sizeof path + 64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        fail_msg("cannot create scratch directory %s", path);
    return path;
}

/* Writes len bytes to path, failing the test on error. */
static inline void test_write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    if (len && fwrite(bytes, 1, len, f) != len)
        fail_msg("short write to %s", path);
    fclose(f);
}

/* The whole of path in a new buffer (free it), NUL-terminated so text can be
 * read as a string; its size without the NUL in *len.  Fails the test if
 * the file cannot be read. */
static inline char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    size_t cap = 1 << 16, n = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    for (;;) {
        if (cap - n < 4096) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        fail_msg("error reading %s", path);
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

/* A small deterministic generator (xorshift32) so failures reproduce from the seed. */
static inline uint32_t next_random(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

#endif
