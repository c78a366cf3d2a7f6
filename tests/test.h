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
