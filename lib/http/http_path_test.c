/* Tests for http_path.c: decoding, "." and empty segments, and the
 * refusals (".." raw or encoded, NUL, controls, encoded "/", bad UTF-8). */
#include "http/http_path.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static const char *norm(struct pool *pool, const char *path, bool slash,
                        unsigned *status)
{
	const char *out, *error;
	*status = 0;
	if (http_path_normalize(path, slash, pool, &out, status, &error) < 0)
		return "ERR";
	return out;
}

static void test_path_normalize(void)
{
	test_begin("http_path normalisation");
	struct pool *pool = pool_new();
	unsigned st;
	test_assert_str(norm(pool, "/", false, &st), "/");
	test_assert_str(norm(pool, "/a/b", false, &st), "/a/b");
	test_assert_str(norm(pool, "/a/b/", false, &st), "/a/b/");
	test_assert_str(norm(pool, "//a//./b/.", false, &st), "/a/b");
	test_assert_str(norm(pool, "/a%20b/%41", false, &st), "/a b/A");
	test_assert_str(norm(pool, "/caf%C3%A9", false, &st), "/caf\xc3\xa9");
	test_assert_str(norm(pool, "/a%2Fb", true, &st), "/a/b");
	test_assert_str(norm(pool, "/a..b/...", false, &st), "/a..b/...");
	static const struct {
		const char *path;
		unsigned status;
	} bad[] = {
	    {"/a/../b", 400},       {"/..", 400},     {"/a/%2e%2E/b", 400},
	    {"/a/.%2e", 400},       {"/a%00b", 400},  {"/a%0Ab", 400},
	    {"/a%7f", 400},         {"/a%2Fb", 404},  {"/a%2fb", 404},
	    {"/%C3", 400},          {"/%C0%AF", 400}, {"/%ED%A0%80", 400},
	    {"/%F4%90%80%80", 400}, {"a", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_assert_idx(
		    strcmp(norm(pool, bad[i].path, false, &st), "ERR") == 0, i);
		test_assert_idx(st == bad[i].status, i);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_path_normalize, NULL};
	return test_run(tests);
}
