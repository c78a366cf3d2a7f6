/*
 * A write-once byte stream for one section of a segment being built.  Bytes
 * stay in memory up to a threshold, then spill to an unlinked temporary file
 * in the index directory, so that merging large segments runs in bounded
 * memory.  The stream keeps its length and its XXH64 as it grows, which the
 * segment writer records in the section directory.
 *
 * Errors are sticky: after a failed write every call does nothing and
 * spool_error() reports the first failure.
 */
#ifndef LPS_SPOOL_H
#define LPS_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "lpsearch.h"

typedef struct spool {
    const char *dir;      /* where to spill; not owned */
    unsigned char *mem;   /* pending bytes not yet spilled */
    size_t mem_len, mem_cap;
    size_t spill_threshold;
    int fd;               /* -1 until the first spill */
    uint64_t length;      /* bytes written in all */
    XXH64_state_t *hash;
    int status;           /* first failure, LPS_OK while healthy */
    int saved_errno;
} spool;

/* Prepares an empty spool that spills to dir beyond spill_threshold bytes. */
int spool_init(spool *s, const char *dir, size_t spill_threshold);
void spool_write(spool *s, const void *bytes, size_t len);
void spool_write_varint(spool *s, uint64_t v);
void spool_write_u32(spool *s, uint32_t v);
void spool_write_u64(spool *s, uint64_t v);
/* Writes varint(len + 1), the bytes and a NUL; NULL is written as varint 0. */
void spool_write_string(spool *s, const char *str);
uint64_t spool_hash(const spool *s);
/* Copies the whole stream to fd at its current offset; returns an lps_status. */
int spool_copy_to(spool *s, int fd);
/* Releases memory and closes the temporary file (which is already unlinked). */
void spool_free(spool *s);

#endif
