/*
 * Manifest format, version 1 (dir/MANIFEST).  Little-endian.
 *
 *   0   8  magic "LPSMANIF"
 *   8   4  format version (1)
 *   12  4  index flags: bit 0 = English stemming (every segment agrees)
 *   16  8  generation, +1 per commit
 *   24  8  next segment id
 *   32  4  segment count S (at most 4096)
 *   36  4  zero
 *   40  S entries of 40 bytes, in document order:
 *        0  8  segment id (file seg-<id as 16 hex digits>.lps)
 *        8  4  document count
 *        12 4  deleted document count
 *        16 8  segment file size in bytes
 *        24 8  deletions generation, 0 when nothing is deleted
 *              (file seg-<id>.<generation as 16 hex digits>.del)
 *        32 8  zero
 *   then 8 bytes: XXH64 (seed 0) of all the bytes before.
 *
 * Deletion markers, version 1 (seg-<id>.<generation>.del):
 *
 *   0   8  magic "LPSDELMK"
 *   8   4  format version (1)
 *   12  4  document count of the segment
 *   16  4  deleted count (must equal the bits set)
 *   20  4  zero
 *   24  ceil(document count / 8) bytes: bit d (byte d/8, bit d%8) set
 *       when document d is deleted; unused high bits zero
 *   then 8 bytes: XXH64 (seed 0) of all the bytes before.
 *
 * Commit protocol: a writer first makes every new file durable (segments,
 * deletion markers), then writes MANIFEST.tmp, fsyncs it, renames it over
 * MANIFEST and fsyncs the directory.  rename() is atomic, so a reader sees
 * the old manifest or the new one, never a mixture; files named by neither
 * are garbage that the next writer removes.  Files are never modified after
 * they are written: a change writes new ones.
 */
#include "manifest.h"

#include "alloc.h"
#include "bytes.h"
#include "error_internal.h"
#include "segment_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* Larger files are not manifests; bounds the read of a hostile file. */
#define MANIFEST_MAX_BYTES (MANIFEST_HEADER_SIZE + MANIFEST_MAX_SEGMENTS * MANIFEST_ENTRY_SIZE + 8)

static int read_whole(const char *path, size_t limit, unsigned char **out, size_t *len,
                      lps_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return lps_error_set(err, e == ENOENT ? LPS_ENOENT : LPS_EIO, path, -1, -1,
                             "cannot open: %s", strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "not a regular file");
    }
    if ((uint64_t)st.st_size > limit) {
        close(fd);
        return lps_error_set_section(err, LPS_ECORRUPT, path, "header", -1,
                                     "file is %lld bytes, more than any valid one (%zu)",
                                     (long long)st.st_size, limit);
    }
    unsigned char *buf = lps_malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return lps_error_set(err, LPS_ENOMEM, path, -1, -1, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != (size_t)st.st_size) {
        lps_free(buf);
        return lps_error_set(err, LPS_EIO, path, -1, -1, "short read");
    }
    *out = buf;
    *len = got;
    return LPS_OK;
}

int manifest_read(const char *dir, manifest *out, lps_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
    unsigned char *b;
    size_t len;
    int rc = read_whole(path, MANIFEST_MAX_BYTES, &b, &len, err);
    if (rc != LPS_OK)
        return rc;
    if (len < MANIFEST_HEADER_SIZE + 8 || memcmp(b, MANIFEST_MAGIC, 8) != 0) {
        rc = lps_error_set_section(err, LPS_ECORRUPT, path, "header", -1,
                                   len < 8 || memcmp(b, MANIFEST_MAGIC, 8) != 0
                                       ? "not an lpsearch manifest (bad magic)"
                                       : "manifest is truncated");
        goto done;
    }
    if (XXH64(b, len - 8, 0) != load_le64(b + len - 8)) {
        rc = lps_error_set_section(err, LPS_ECORRUPT, path, "manifest", -1,
                                   "checksum mismatch: the manifest is corrupted or truncated");
        goto done;
    }
    uint32_t version = load_le32(b + 8);
    if (version != MANIFEST_FORMAT_VERSION) {
        rc = lps_error_set_section(err, LPS_EVERSION, path, "header", -1,
                                   "manifest format version %u; this lpsearch reads version %u",
                                   version, MANIFEST_FORMAT_VERSION);
        goto done;
    }
    out->flags = load_le32(b + 12);
    out->generation = load_le64(b + 16);
    out->next_segment_id = load_le64(b + 24);
    uint32_t count = load_le32(b + 32);
    if ((out->flags & ~SEGMENT_KNOWN_FLAGS) != 0 || count > MANIFEST_MAX_SEGMENTS ||
        len != MANIFEST_HEADER_SIZE + (size_t)count * MANIFEST_ENTRY_SIZE + 8) {
        rc = lps_error_set_section(err, LPS_ECORRUPT, path, "header", -1,
                                   "manifest header does not match its size");
        goto done;
    }
    if (count > 0 && !(out->segments = lps_calloc(count, sizeof *out->segments))) {
        rc = lps_error_set(err, LPS_ENOMEM, path, -1, -1, "out of memory");
        goto done;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *e = b + MANIFEST_HEADER_SIZE + (size_t)i * MANIFEST_ENTRY_SIZE;
        manifest_segment *s = &out->segments[i];
        s->id = load_le64(e);
        s->doc_count = load_le32(e + 8);
        s->deleted_count = load_le32(e + 12);
        s->file_size = load_le64(e + 16);
        s->deletions_generation = load_le64(e + 24);
        total += s->doc_count;
        int dup = 0;
        for (uint32_t j = 0; j < i; j++)
            dup |= out->segments[j].id == s->id;
        if (s->id >= out->next_segment_id || dup || s->deleted_count > s->doc_count ||
            (s->deleted_count > 0) != (s->deletions_generation != 0) || total > UINT32_MAX - 1) {
            rc = lps_error_set_section(err, LPS_ECORRUPT, path, "manifest", -1,
                                       "segment entry %u is inconsistent", i);
            goto done;
        }
    }
    out->segment_count = count;
    rc = LPS_OK;
done:
    lps_free(b);
    if (rc != LPS_OK)
        manifest_free(out);
    return rc;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int atomic_write_file(const char *dir, const char *name, const void *bytes, size_t len,
                      lps_error *err)
{
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name) >= sizeof tmp)
        return lps_error_set(err, LPS_EARG, dir, -1, -1, "index directory path is too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return lps_error_set(err, LPS_EIO, tmp, -1, -1, "cannot create: %s", strerror(errno));
    const unsigned char *p = bytes;
    size_t left = len;
    int e = 0;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return lps_error_set(err, LPS_EIO, path, -1, -1,
                             "cannot write (the previous version is intact): %s", strerror(e));
    }
    if (sync_dir(dir) != 0)
        return lps_error_set(err, LPS_EIO, dir, -1, -1, "cannot sync the index directory: %s",
                             strerror(errno));
    return LPS_OK;
}

int manifest_write(const char *dir, const manifest *m, lps_error *err)
{
    size_t len = MANIFEST_HEADER_SIZE + m->segment_count * MANIFEST_ENTRY_SIZE + 8;
    unsigned char *b = lps_calloc(1, len);
    if (!b)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory writing the manifest");
    memcpy(b, MANIFEST_MAGIC, 8);
    store_le32(b + 8, MANIFEST_FORMAT_VERSION);
    store_le32(b + 12, m->flags);
    store_le64(b + 16, m->generation);
    store_le64(b + 24, m->next_segment_id);
    store_le32(b + 32, (uint32_t)m->segment_count);
    for (size_t i = 0; i < m->segment_count; i++) {
        unsigned char *e = b + MANIFEST_HEADER_SIZE + i * MANIFEST_ENTRY_SIZE;
        const manifest_segment *s = &m->segments[i];
        store_le64(e, s->id);
        store_le32(e + 8, s->doc_count);
        store_le32(e + 12, s->deleted_count);
        store_le64(e + 16, s->file_size);
        store_le64(e + 24, s->deletions_generation);
    }
    store_le64(b + len - 8, XXH64(b, len - 8, 0));
    int rc = atomic_write_file(dir, MANIFEST_NAME, b, len, err);
    lps_free(b);
    return rc;
}

void manifest_free(manifest *m)
{
    if (!m)
        return;
    lps_free(m->segments);
    memset(m, 0, sizeof *m);
}

int manifest_copy(manifest *dst, const manifest *src)
{
    *dst = *src;
    dst->segments = NULL;
    if (src->segment_count > 0) {
        dst->segments = lps_malloc(src->segment_count * sizeof *dst->segments);
        if (!dst->segments) {
            dst->segment_count = 0;
            return LPS_ENOMEM;
        }
        memcpy(dst->segments, src->segments, src->segment_count * sizeof *dst->segments);
    }
    return LPS_OK;
}

void deletions_file_name(uint64_t segment_id, uint64_t generation, char *buf, size_t size)
{
    snprintf(buf, size, "seg-%016llx.%016llx.del", (unsigned long long)segment_id,
             (unsigned long long)generation);
}

int deletions_read(const char *dir, uint64_t segment_id, uint64_t generation, uint32_t doc_count,
                   unsigned char **bits, uint32_t *deleted_count, lps_error *err)
{
    *bits = NULL;
    *deleted_count = 0;
    char name[64], path[4096];
    deletions_file_name(segment_id, generation, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t nbytes = ((size_t)doc_count + 7) / 8;
    unsigned char *b;
    size_t len;
    int rc = read_whole(path, DELETIONS_HEADER_SIZE + nbytes + 8, &b, &len, err);
    if (rc != LPS_OK)
        return rc;
    if (len != DELETIONS_HEADER_SIZE + nbytes + 8 || memcmp(b, DELETIONS_MAGIC, 8) != 0) {
        lps_free(b);
        return lps_error_set_section(err, LPS_ECORRUPT, path, "deletions", -1,
                                     "deletion markers are truncated or not a deletions file");
    }
    if (XXH64(b, len - 8, 0) != load_le64(b + len - 8)) {
        lps_free(b);
        return lps_error_set_section(err, LPS_ECORRUPT, path, "deletions", -1,
                                     "checksum mismatch: the deletion markers are corrupted");
    }
    uint32_t version = load_le32(b + 8);
    if (version != DELETIONS_FORMAT_VERSION) {
        lps_free(b);
        return lps_error_set_section(err, LPS_EVERSION, path, "deletions", -1,
                                     "deletions format version %u; this lpsearch reads version %u",
                                     version, DELETIONS_FORMAT_VERSION);
    }
    uint32_t count = 0;
    for (size_t i = 0; i < nbytes; i++)
        count += (uint32_t)__builtin_popcount(b[DELETIONS_HEADER_SIZE + i]);
    unsigned char last_mask = doc_count % 8 ? (unsigned char)(0xff << (doc_count % 8)) : 0;
    if (load_le32(b + 12) != doc_count || load_le32(b + 16) != count ||
        (nbytes > 0 && (b[DELETIONS_HEADER_SIZE + nbytes - 1] & last_mask) != 0)) {
        lps_free(b);
        return lps_error_set_section(err, LPS_ECORRUPT, path, "deletions", -1,
                                     "deletion markers do not match the segment");
    }
    memmove(b, b + DELETIONS_HEADER_SIZE, nbytes);
    *bits = b;
    *deleted_count = count;
    return LPS_OK;
}

int deletions_write(const char *dir, uint64_t segment_id, uint64_t generation, uint32_t doc_count,
                    const unsigned char *bits, lps_error *err)
{
    size_t nbytes = ((size_t)doc_count + 7) / 8;
    size_t len = DELETIONS_HEADER_SIZE + nbytes + 8;
    unsigned char *b = lps_calloc(1, len);
    if (!b)
        return lps_error_set(err, LPS_ENOMEM, dir, -1, -1, "out of memory writing deletions");
    uint32_t count = 0;
    for (size_t i = 0; i < nbytes; i++)
        count += (uint32_t)__builtin_popcount(bits[i]);
    memcpy(b, DELETIONS_MAGIC, 8);
    store_le32(b + 8, DELETIONS_FORMAT_VERSION);
    store_le32(b + 12, doc_count);
    store_le32(b + 16, count);
    memcpy(b + DELETIONS_HEADER_SIZE, bits, nbytes);
    store_le64(b + len - 8, XXH64(b, len - 8, 0));
    char name[64];
    deletions_file_name(segment_id, generation, name, sizeof name);
    int rc = atomic_write_file(dir, name, b, len, err);
    lps_free(b);
    return rc;
}
