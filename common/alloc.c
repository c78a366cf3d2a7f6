#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static lps_alloc_fail_hook fail_hook;
static void *fail_hook_ctx;

void lps_alloc_set_hook(lps_alloc_fail_hook hook, void *ctx)
{
    fail_hook = hook;
    fail_hook_ctx = ctx;
}

static int should_fail(size_t size)
{
    return fail_hook && fail_hook(size, fail_hook_ctx);
}

void *lps_malloc(size_t size)
{
    if (should_fail(size))
        return NULL;
    return malloc(size ? size : 1);
}

void *lps_calloc(size_t count, size_t size)
{
    if (should_fail(count * size))
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lps_realloc(void *ptr, size_t size)
{
    if (should_fail(size))
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void lps_free(void *ptr)
{
    free(ptr);
}

char *lps_strndup(const char *s, size_t len)
{
    char *copy = lps_malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *lps_strdup(const char *s)
{
    return lps_strndup(s, strlen(s));
}
