/*
 * The manifest: the small file that says which segments make up an index
 * and which of their documents are deleted.  Replacing it is the commit
 * point of every change; see manifest.c for the format and the protocol.
 */
#ifndef LPS_MANIFEST_H
#define LPS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lpsearch.h"

typedef struct manifest_segment {
    uint64_t id;
    uint32_t doc_count;
    uint32_t deleted_count;
    uint64_t file_size;
    uint64_t deletions_generation; /* 0: no deletions file */
} manifest_segment;

typedef struct manifest {
    uint32_t flags;            /* SEGMENT_FLAG_*: analyzer settings of the index */
    uint64_t generation;       /* increases with every commit */
    uint64_t next_segment_id;  /* ids are never reused */
    manifest_segment *segments; /* owned, in document order */
    size_t segment_count;
} manifest;

/* Reads dir/MANIFEST.  LPS_ENOENT when the index has none (not an index). */
int manifest_read(const char *dir, manifest *out, lps_error *err);
/* Replaces dir/MANIFEST atomically and durably: temp file, fsync, rename,
 * fsync of the directory.  On failure the previous manifest is untouched. */
int manifest_write(const char *dir, const manifest *m, lps_error *err);
void manifest_free(manifest *m);
/* Deep copy. */
int manifest_copy(manifest *dst, const manifest *src);

/*
 * Writes path's bytes atomically: path.tmp, fsync, rename over path, fsync
 * of dir.  Used for every small file that must change all at once.
 */
int atomic_write_file(const char *dir, const char *name, const void *bytes, size_t len,
                      lps_error *err);

/* Deletion markers: one bitmap file per segment and generation. */
void deletions_file_name(uint64_t segment_id, uint64_t generation, char *buf, size_t size);
/* Reads a bitmap of doc_count bits; *bits is owned by the caller (lps_free). */
int deletions_read(const char *dir, uint64_t segment_id, uint64_t generation, uint32_t doc_count,
                   unsigned char **bits, uint32_t *deleted_count, lps_error *err);
int deletions_write(const char *dir, uint64_t segment_id, uint64_t generation, uint32_t doc_count,
                    const unsigned char *bits, lps_error *err);

#endif
