/* Allocation that never fails for the caller: on out-of-memory the process
 * logs and aborts (STYLE.md §4). Every pointer returned is freed with free(). */
#ifndef CORE_XMALLOC_H
#define CORE_XMALLOC_H

#include <stddef.h>

/* Returns size bytes (at least 1), uninitialised. */
void *xmalloc(size_t size);
/* Returns n * size zeroed bytes; aborts on multiplication overflow. */
void *xcalloc(size_t n, size_t size);
/* Resizes ptr (which may be NULL) to size bytes. */
void *xrealloc(void *ptr, size_t size);
/* Returns a heap copy of str. */
char *xstrdup(const char *str);
/* Returns a heap copy of the first len bytes of str, NUL-terminated. */
char *xstrndup(const char *str, size_t len);
/* Returns a heap string formatted like printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
