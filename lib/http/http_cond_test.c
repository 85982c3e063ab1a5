/* Tests for http_cond.c: the comparison table of RFC 9110 §8.8.3.2, and
 * the precondition order of §13.2.2 (If-Match before If-None-Match, dates
 * ignored when a tag field is present, 304 only for GET and HEAD). */
#include "http/http_cond.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

#define NOW 1700000000
#define LM 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static void test_etag_compare(void)
{
	test_begin("http_cond entity-tag comparison (§8.8.3.2)");
	/* ETag 1, ETag 2, strong, weak */
	static const struct {
		const char *a, *b;
		bool strong, weak;
	} rows[] = {
	    {"W/\"1\"", "W/\"1\"", false, true},
	    {"W/\"1\"", "W/\"2\"", false, false},
	    {"W/\"1\"", "\"1\"", false, true},
	    {"\"1\"", "\"1\"", true, true},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *a = rows[i].a, *b = rows[i].b;
		test_assert_idx(http_etag_match(a, strlen(a), b, strlen(b),
		                                true) == rows[i].strong,
		                i);
		test_assert_idx(http_etag_match(a, strlen(a), b, strlen(b),
		                                false) == rows[i].weak,
		                i);
	}
	test_assert(http_etag_is_valid("\"\"", 2));
	test_assert(http_etag_is_valid("\"a\\b\"", 5));
	test_assert(!http_etag_is_valid("a", 1));
	test_assert(!http_etag_is_valid("\"a", 2));
	test_assert(!http_etag_is_valid("w/\"a\"", 5));
	test_assert(!http_etag_is_valid("\"a b\"", 5));
	test_end();
}

static unsigned eval(enum http_method method, const char *name1,
                     const char *value1, const char *name2, const char *value2)
{
	struct pool *pool = pool_new();
	struct http_headers h = {0};
	if (name1 != NULL)
		http_headers_add(&h, pool, name1, strlen(name1), value1,
		                 strlen(value1));
	if (name2 != NULL)
		http_headers_add(&h, pool, name2, strlen(name2), value2,
		                 strlen(value2));
	struct http_validators v = {
	    .etag = "\"v2\"", .last_modified = LM, .exists = true};
	unsigned ret = http_cond_evaluate(&h, method, &v, NOW);
	pool_free(&pool);
	return ret;
}

static void test_cond_order(void)
{
	test_begin("http_cond evaluation (§13.1, §13.2.2)");
	const enum http_method G = HTTP_METHOD_GET, P = HTTP_METHOD_PUT;
	const char *before = "Sat, 05 Nov 1994 08:49:37 GMT";
	const char *same = "Sun, 06 Nov 1994 08:49:37 GMT";
	test_assert_int(eval(G, NULL, NULL, NULL, NULL), 0);
	/* If-Match: strong comparison, "*", a list, garbage */
	test_assert_int(eval(P, "If-Match", "\"v2\"", NULL, NULL), 0);
	test_assert_int(eval(P, "If-Match", "\"v1\"", NULL, NULL), 412);
	test_assert_int(eval(P, "If-Match", "W/\"v2\"", NULL, NULL), 412);
	test_assert_int(eval(P, "If-Match", "\"a\", \"v2\"", NULL, NULL), 0);
	test_assert_int(eval(P, "If-Match", "*", NULL, NULL), 0);
	test_assert_int(eval(P, "If-Match", "v2", NULL, NULL), 412);
	test_assert_int(eval(P, "If-Match", "\"a\"", "If-Match", "\"v2\""), 0);
	/* If-Unmodified-Since, ignored when If-Match is there */
	test_assert_int(eval(P, "If-Unmodified-Since", before, NULL, NULL),
	                412);
	test_assert_int(eval(P, "If-Unmodified-Since", same, NULL, NULL), 0);
	test_assert_int(
	    eval(P, "If-Match", "\"v2\"", "If-Unmodified-Since", before), 0);
	test_assert_int(eval(P, "If-Unmodified-Since", "yesterday", NULL, NULL),
	                0);
	/* If-None-Match: weak comparison; 304 for GET, 412 otherwise */
	test_assert_int(eval(G, "If-None-Match", "W/\"v2\"", NULL, NULL), 304);
	test_assert_int(
	    eval(HTTP_METHOD_HEAD, "If-None-Match", "\"v2\"", NULL, NULL), 304);
	test_assert_int(eval(P, "If-None-Match", "\"v2\"", NULL, NULL), 412);
	test_assert_int(eval(P, "If-None-Match", "*", NULL, NULL), 412);
	test_assert_int(eval(G, "If-None-Match", "\"v1\"", NULL, NULL), 0);
	/* If-Match is checked first */
	test_assert_int(
	    eval(G, "If-Match", "\"v1\"", "If-None-Match", "\"v2\""), 412);
	/* If-Modified-Since: GET/HEAD only, ignored with If-None-Match */
	test_assert_int(eval(G, "If-Modified-Since", same, NULL, NULL), 304);
	test_assert_int(eval(G, "If-Modified-Since", before, NULL, NULL), 0);
	test_assert_int(eval(P, "If-Modified-Since", same, NULL, NULL), 0);
	test_assert_int(
	    eval(G, "If-None-Match", "\"v1\"", "If-Modified-Since", same), 0);
	test_assert_int(eval(G, "If-Modified-Since",
	                     "Sunday, 06-Nov-94 "
	                     "08:49:37 GMT",
	                     NULL, NULL),
	                304);
	/* "*" with no current representation */
	struct pool *pool = pool_new();
	struct http_headers h = {0};
	http_headers_add(&h, pool, "If-Match", 8, "*", 1);
	struct http_validators none = {0};
	test_assert_int(http_cond_evaluate(&h, P, &none, NOW), 412);
	h.count = 0;
	http_headers_add(&h, pool, "If-None-Match", 13, "*", 1);
	test_assert_int(http_cond_evaluate(&h, P, &none, NOW), 0);
	pool_free(&pool);
	test_end();
}

static void test_cond_if_range(void)
{
	test_begin("http_cond If-Range (§13.1.5)");
	struct pool *pool = pool_new();
	struct http_validators v = {
	    .etag = "\"v2\"", .last_modified = LM, .exists = true};
	struct http_headers h = {0};
	test_assert(http_cond_if_range(&h, &v, NOW));
	static const struct {
		const char *value;
		bool ok;
	} rows[] = {
	    {"\"v2\"", true},
	    {"\"v1\"", false},
	    {"W/\"v2\"", false},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", true},
	    {"Sun, 06 Nov 1994 08:49:38 GMT", false},
	    {"garbage", false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		h.count = 0;
		http_headers_add(&h, pool, "If-Range", 8, rows[i].value,
		                 strlen(rows[i].value));
		test_assert_idx(http_cond_if_range(&h, &v, NOW) == rows[i].ok,
		                i);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_etag_compare, test_cond_order, test_cond_if_range, NULL};
	return test_run(tests);
}
