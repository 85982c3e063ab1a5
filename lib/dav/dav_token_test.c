/* Unit tests for dav_token.c: strong entity-tags that depend on content
 * only, and sync tokens (RFC 6578 §3.2) that parse back and refuse what
 * this server did not make. */
#include "core/pool.h"
#include "dav/dav_token.h"
#include "test/test.h"

#include <stdint.h>
#include <string.h>

static void test_token_etag(void)
{
	test_begin("token etag");
	char a[DAV_TOKEN_ETAG_LEN + 1], b[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag("hello", 5, a);
	dav_token_etag("hello", 5, b);
	test_assert_str(a, b);
	test_assert_int(strlen(a), DAV_TOKEN_ETAG_LEN);
	test_assert(a[0] == '"' && a[DAV_TOKEN_ETAG_LEN - 1] == '"');
	/* SHA-256("hello") starts 2cf24dba5fb0a30e26e83b2ac5b9e29e */
	test_assert_str(a, "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
	dav_token_etag("hellp", 5, b);
	test_assert(strcmp(a, b) != 0);
	test_end();
}

static void test_token_sync(void)
{
	test_begin("token sync");
	struct pool *pool = pool_new();
	const char *t = dav_token_sync(pool, 7, 12345);
	test_assert_str(t, "http://postroom.invalid/ns/sync/7-12345");
	int64_t id;
	uint64_t modseq;
	test_assert(dav_token_sync_parse(t, &id, &modseq) == 0);
	test_assert(id == 7 && modseq == 12345);
	t = dav_token_sync(pool, INT64_MAX, UINT64_MAX - 9);
	test_assert(dav_token_sync_parse(t, &id, &modseq) == 0 &&
	            id == INT64_MAX);
	static const char *const bad[] = {
	    "",
	    "7-1",
	    "http://postroom.invalid/ns/sync/",
	    "http://postroom.invalid/ns/sync/7",
	    "http://postroom.invalid/ns/sync/7-",
	    "http://postroom.invalid/ns/sync/-7-1",
	    "http://postroom.invalid/ns/sync/7-1x",
	    "http://postroom.invalid/ns/sync/9223372036854775808-1",
	    "http://postroom.invalid/ns/sync/1-99999999999999999999999",
	    "http://example.com/ns/sync/7-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(dav_token_sync_parse(bad[i], &id, &modseq) < 0,
		                i);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_token_etag, test_token_sync,
	                                      NULL};
	return test_run(tests);
}
