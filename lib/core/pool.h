/* Memory pools: a connection owns one, a command or transaction a child one
 * cleared after its reply (STYLE.md §5). Everything allocated from a pool is
 * freed together by pool_clear() or pool_free(); nothing is freed alone. */
#ifndef CORE_POOL_H
#define CORE_POOL_H

#include <stddef.h>

struct pool;

/* Returns a new empty pool. Never fails. */
struct pool *pool_new(void);
/* Frees everything in *pool and the pool; sets *pool to NULL. Accepts NULL. */
void pool_free(struct pool **pool);
/* Frees everything allocated from pool; the pool stays usable. */
void pool_clear(struct pool *pool);
/* Returns size zeroed bytes, aligned for any type; lives until pool_clear. */
void *pool_alloc(struct pool *pool, size_t size);
char *pool_strdup(struct pool *pool, const char *str);
char *pool_strndup(struct pool *pool, const char *str, size_t len);
char *pool_printf(struct pool *pool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
