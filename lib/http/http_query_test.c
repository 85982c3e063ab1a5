/* Tests for http_query.c: finding, decoding and refusing parameters. */
#include "http/http_query.h"
#include "core/pool.h"
#include "test/test.h"

#include <stddef.h>

static const struct {
	const char *query, *name;
	int ret;
	const char *value;
} cases[] = {
    {"emailaddress=bob%40example.com", "emailaddress", 1, "bob@example.com"},
    {"a=1&emailaddress=bob%2Btag%40x.test&b", "emailaddress", 1,
     "bob+tag@x.test"},
    {"a=1&b", "b", 1, ""},
    {"a=1&b=", "b", 1, ""},
    {"a=1&a=2", "a", 1, "1"},
    {"e%6Dail=x", "email", 1, "x"},
    {"x=a+b", "x", 1, "a+b"},
    {"x=caf%C3%A9", "x", 1, "caf\xc3\xa9"},
    {"x=100%", "x", 1, "100%"},
    {"emailaddress=bob", "email", 0, NULL},
    {"", "a", 0, NULL},
    {NULL, "a", 0, NULL},
    {"x=a%00b", "x", -1, NULL},
    {"x=a%0D%0Ab", "x", -1, NULL},
    {"x=%C3", "x", -1, NULL},
    {"y=%00&x=1", "x", 1, "1"},
};

static void test_query_get(void)
{
	test_begin("http_query_get");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *value = NULL;
		int ret =
		    http_query_get(cases[i].query, cases[i].name, pool, &value);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 1)
			test_assert_str(value, cases[i].value);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_query_get, NULL};
	return test_run(tests);
}
