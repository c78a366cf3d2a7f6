/*
 * Helpers shared by the fuzz targets; see fuzz_support.h.
 */
#include "fuzz_support.h"

#include "alloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LPS_FUZZ_DATA_DIR
#define LPS_FUZZ_DATA_DIR "data/transcripts"
#endif

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: invariant violated: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const char *fuzz_data_dir(void)
{
    const char *dir = getenv("LPS_FUZZ_DATA_DIR");
    return dir && *dir ? dir : LPS_FUZZ_DATA_DIR;
}

char *fuzz_make_temp_dir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t size = strlen(base) + strlen(tag) + 32;
    char *path = malloc(size);
    FUZZ_CHECK(path != NULL, "out of memory");
    snprintf(path, size, "%s/lps-fuzz-%s-XXXXXX", base, tag);
    FUZZ_CHECK(mkdtemp(path) != NULL, "cannot create a directory like %s", path);
    return path;
}

void fuzz_remove_tree(const char *dir)
{
    if (!dir)
        return;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return;
    DIR *d = S_ISDIR(st.st_mode) ? opendir(dir) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t size = strlen(dir) + strlen(e->d_name) + 2;
            char *path = malloc(size);
            if (!path)
                break;
            snprintf(path, size, "%s/%s", dir, e->d_name);
            fuzz_remove_tree(path);
            free(path);
        }
        closedir(d);
    }
    remove(dir); /* best effort */
}

unsigned char *fuzz_read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            unsigned char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int fuzz_write_file(const char *path, const void *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const unsigned char *p = bytes;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close(fd);
}

uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001b3u;
    return h;
}

static size_t allocation_limit;

static int check_allocation(size_t size, void *ctx)
{
    (void)ctx;
    FUZZ_CHECK(size <= allocation_limit, "the library asked for %zu bytes at once (limit %zu)", size,
               allocation_limit);
    return 0;
}

void fuzz_limit_allocations(size_t max)
{
    allocation_limit = max;
    lps_alloc_set_hook(check_allocation, NULL);
}
