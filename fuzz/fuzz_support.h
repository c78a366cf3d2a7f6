/*
 * Helpers shared by the fuzz targets: invariant checks that abort (so
 * libFuzzer and the replay tests both see a crash), scratch directories and
 * whole-file I/O.  Nothing here is part of the library.
 */
#ifndef LPS_FUZZ_SUPPORT_H
#define LPS_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points every target defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 3, 4)))
#endif
void fuzz_fail(const char *file, int line, const char *fmt, ...);

/* An invariant of the code under test: prints where and why, then aborts. */
#define FUZZ_CHECK(cond, ...)                                                                                    \
    do {                                                                                                         \
        if (!(cond))                                                                                             \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                                          \
    } while (0)

/* The bundled transcripts: $LPS_FUZZ_DATA_DIR, else the source tree's data/transcripts. */
const char *fuzz_data_dir(void);

/* A new empty directory under $TMPDIR (default /tmp); the path is malloc'ed. */
char *fuzz_make_temp_dir(const char *tag);
/* Removes dir and everything in it (no symlinks followed).  Accepts NULL. */
void fuzz_remove_tree(const char *dir);

/* Whole-file I/O; read returns malloc'ed bytes (NUL-terminated past len) or NULL. */
unsigned char *fuzz_read_file(const char *path, size_t *len);
/* Returns 0 on success. */
int fuzz_write_file(const char *path, const void *bytes, size_t len);

/*
 * Makes any single library allocation (lps_malloc and friends) larger than
 * max bytes a violated invariant: hostile bytes must never make the library
 * ask for memory out of proportion (libFuzzer's -malloc_limit_mb does the
 * same for every allocation, but only under libFuzzer).
 */
void fuzz_limit_allocations(size_t max);

/* A deterministic 64-bit hash of the input, to derive options from it. */
uint64_t fuzz_hash(const uint8_t *data, size_t size);

#endif
