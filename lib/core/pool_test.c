/* Unit tests for memory pools. */
#include "core/pool.h"
#include "test/test.h"

#include <stdint.h>
#include <string.h>

static void test_pool_alloc(void)
{
	test_begin("pool alloc, big blocks and clear");
	struct pool *pool = pool_new();
	char *a = pool_strdup(pool, "hello");
	void *big = pool_alloc(pool, 100000);
	char *b = pool_printf(pool, "%s-%d", a, 7);
	test_assert_str(a, "hello");
	test_assert_str(b, "hello-7");
	test_assert(((uintptr_t)big % sizeof(void *)) == 0);
	memset(big, 1, 100000);
	pool_clear(pool);
	char *c = pool_strndup(pool, "abcdef", 3);
	test_assert_str(c, "abc");
	pool_free(&pool);
	test_assert(pool == NULL);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = { test_pool_alloc, NULL };
	return test_run(tests);
}
