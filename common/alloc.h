/*
 * Every allocation in the library goes through these wrappers so that tests
 * can inject failures (see lps_alloc_set_hook) and prove that an allocation
 * failure becomes LPS_ENOMEM with nothing leaked.
 */
#ifndef LPS_ALLOC_H
#define LPS_ALLOC_H

#include <stddef.h>

void *lps_malloc(size_t size);
void *lps_calloc(size_t count, size_t size);
void *lps_realloc(void *ptr, size_t size);
void lps_free(void *ptr);
/* Copies the first len bytes of s into a new NUL-terminated string. */
char *lps_strndup(const char *s, size_t len);
char *lps_strdup(const char *s);

/*
 * Test hook: when set, it is called before every allocation with the
 * requested size and returns nonzero to make that allocation fail.  Not
 * thread-safe to change while other threads allocate.  NULL removes it.
 */
typedef int (*lps_alloc_fail_hook)(size_t size, void *ctx);
void lps_alloc_set_hook(lps_alloc_fail_hook hook, void *ctx);

#endif
