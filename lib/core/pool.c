/* A bump allocator over a list of blocks; big requests get a block of their
 * own. */
#include "core/pool.h"
#include "core/buf.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BLOCK_SIZE 8192

struct pool_block {
	struct pool_block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct pool {
	struct pool_block *blocks;
};

struct pool *pool_new(void)
{
	return xcalloc(1, sizeof(struct pool));
}

void pool_clear(struct pool *pool)
{
	struct pool_block *b = pool->blocks;
	while (b != NULL) {
		struct pool_block *next = b->next;
		free(b);
		b = next;
	}
	pool->blocks = NULL;
}

void pool_free(struct pool **pool)
{
	if (*pool == NULL)
		return;
	pool_clear(*pool);
	free(*pool);
	*pool = NULL;
}

void *pool_alloc(struct pool *pool, size_t size)
{
	const size_t align = alignof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct pool_block *b = pool->blocks;
	if (b == NULL || b->size - b->used < size) {
		size_t bsize = size > POOL_BLOCK_SIZE / 2 ? size : POOL_BLOCK_SIZE;
		b = xmalloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->used = 0;
		if (size > POOL_BLOCK_SIZE / 2 && pool->blocks != NULL) {
			/* keep the partly used block at the head */
			b->next = pool->blocks->next;
			pool->blocks->next = b;
		} else {
			b->next = pool->blocks;
			pool->blocks = b;
		}
	}
	void *p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *pool_strndup(struct pool *pool, const char *str, size_t len)
{
	char *p = pool_alloc(pool, len + 1);
	memcpy(p, str, len);
	p[len] = '\0';
	return p;
}

char *pool_strdup(struct pool *pool, const char *str)
{
	return pool_strndup(pool, str, strlen(str));
}

char *pool_printf(struct pool *pool, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *p = pool_strndup(pool, b.data, b.len);
	buf_deinit(&b);
	return p;
}
