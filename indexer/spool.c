#include "spool.h"

#include "alloc.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int spool_init(spool *s, const char *dir, size_t spill_threshold)
{
    memset(s, 0, sizeof *s);
    s->dir = dir;
    s->fd = -1;
    s->spill_threshold = spill_threshold;
    s->hash = XXH64_createState();
    if (!s->hash) {
        s->status = LPS_ENOMEM;
        return LPS_ENOMEM;
    }
    XXH64_reset(s->hash, 0);
    return LPS_OK;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void spill(spool *s)
{
    if (s->fd < 0) {
        /* O_TMPFILE would be tidier but is not on every filesystem; an
         * immediately unlinked mkstemp file disappears with the process. */
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/spool-XXXXXX.tmp", s->dir);
        if (n < 0 || (size_t)n >= sizeof path) {
            s->status = LPS_EARG;
            return;
        }
        s->fd = mkstemps(path, 4);
        if (s->fd < 0) {
            s->saved_errno = errno;
            s->status = LPS_EIO;
            return;
        }
        unlink(path);
    }
    if (write_all(s->fd, s->mem, s->mem_len) != 0) {
        s->saved_errno = errno;
        s->status = LPS_EIO;
        return;
    }
    s->mem_len = 0;
}

void spool_write(spool *s, const void *bytes, size_t len)
{
    if (s->status != LPS_OK || len == 0)
        return;
    XXH64_update(s->hash, bytes, len);
    s->length += len;
    if (s->mem_len + len > s->mem_cap) {
        if (s->mem_len + len > s->spill_threshold && s->mem_len > 0) {
            spill(s);
            if (s->status != LPS_OK)
                return;
        }
        if (len > s->spill_threshold) {
            /* Too big to stage: goes straight to the file. */
            spill(s);
            if (s->status == LPS_OK && write_all(s->fd, bytes, len) != 0) {
                s->saved_errno = errno;
                s->status = LPS_EIO;
            }
            return;
        }
        size_t cap = s->mem_cap ? s->mem_cap : 4096;
        while (cap < s->mem_len + len)
            cap *= 2;
        if (cap > s->spill_threshold && s->spill_threshold >= s->mem_len + len)
            cap = s->spill_threshold;
        unsigned char *grown = lps_realloc(s->mem, cap);
        if (!grown) {
            s->status = LPS_ENOMEM;
            return;
        }
        s->mem = grown;
        s->mem_cap = cap;
    }
    memcpy(s->mem + s->mem_len, bytes, len);
    s->mem_len += len;
}

void spool_write_varint(spool *s, uint64_t v)
{
    unsigned char tmp[VARINT_MAX_BYTES];
    spool_write(s, tmp, varint_put(tmp, v));
}

void spool_write_u32(spool *s, uint32_t v)
{
    unsigned char tmp[4];
    store_le32(tmp, v);
    spool_write(s, tmp, 4);
}

void spool_write_u64(spool *s, uint64_t v)
{
    unsigned char tmp[8];
    store_le64(tmp, v);
    spool_write(s, tmp, 8);
}

void spool_write_string(spool *s, const char *str)
{
    if (!str) {
        spool_write_varint(s, 0);
        return;
    }
    size_t len = strlen(str);
    spool_write_varint(s, (uint64_t)len + 1);
    spool_write(s, str, len + 1);
}

uint64_t spool_hash(const spool *s)
{
    return XXH64_digest(s->hash);
}

int spool_copy_to(spool *s, int fd)
{
    if (s->status != LPS_OK)
        return s->status;
    if (s->fd >= 0) {
        if (lseek(s->fd, 0, SEEK_SET) < 0) {
            s->saved_errno = errno;
            return s->status = LPS_EIO;
        }
        unsigned char *chunk = lps_malloc(1 << 20);
        if (!chunk)
            return s->status = LPS_ENOMEM;
        for (;;) {
            ssize_t n = read(s->fd, chunk, 1 << 20);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                s->saved_errno = errno;
                s->status = LPS_EIO;
                break;
            }
            if (n == 0)
                break;
            if (write_all(fd, chunk, (size_t)n) != 0) {
                s->saved_errno = errno;
                s->status = LPS_EIO;
                break;
            }
        }
        lps_free(chunk);
        if (s->status != LPS_OK)
            return s->status;
    }
    if (write_all(fd, s->mem, s->mem_len) != 0) {
        s->saved_errno = errno;
        return s->status = LPS_EIO;
    }
    return LPS_OK;
}

void spool_free(spool *s)
{
    if (!s)
        return;
    lps_free(s->mem);
    if (s->fd >= 0)
        close(s->fd);
    if (s->hash)
        XXH64_freeState(s->hash);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}
