/* Unit tests for dav_header.c: Depth, Overwrite, Destination (absolute
 * URI or path, another authority, bad references), hrefs to paths, and
 * the If header subset (RFC 4918 §10.4: lists ORed, conditions ANDed,
 * Not, entity-tags compared strongly, state tokens never matching since
 * there are no locks, tagged lists). */
#include "core/pool.h"
#include "dav/dav_header.h"
#include "test/test.h"

#include <string.h>

static void test_header_simple(void)
{
	test_begin("header Depth and Overwrite");
	enum dav_depth d;
	test_assert(dav_header_depth(NULL, DAV_DEPTH_INFINITY, &d) == 0 &&
	            d == DAV_DEPTH_INFINITY);
	test_assert(dav_header_depth("0", DAV_DEPTH_1, &d) == 0 &&
	            d == DAV_DEPTH_0);
	test_assert(dav_header_depth("1", DAV_DEPTH_0, &d) == 0 &&
	            d == DAV_DEPTH_1);
	test_assert(dav_header_depth("Infinity", DAV_DEPTH_0, &d) == 0 &&
	            d == DAV_DEPTH_INFINITY);
	test_assert(dav_header_depth("2", DAV_DEPTH_0, &d) < 0);
	test_assert(dav_header_depth("", DAV_DEPTH_0, &d) < 0);
	bool o;
	test_assert(dav_header_overwrite(NULL, &o) == 0 && o);
	test_assert(dav_header_overwrite("F", &o) == 0 && !o);
	test_assert(dav_header_overwrite("T", &o) == 0 && o);
	test_assert(dav_header_overwrite("f", &o) < 0);
	test_end();
}

static void test_header_destination(void)
{
	test_begin("header Destination and hrefs");
	struct pool *pool = pool_new();
	const char *path, *error;
	test_assert(
	    dav_header_destination("http://127.0.0.1:2080/dav/a/b%20c.ics",
	                           "127.0.0.1:2080", pool, &path, &error) == 0);
	test_assert_str(path, "/dav/a/b c.ics");
	test_assert(dav_header_destination("/dav/x/./y/", NULL, pool, &path,
	                                   &error) == 0);
	test_assert_str(path, "/dav/x/y/");
	test_assert(dav_header_destination("https://other.example/dav/a",
	                                   "127.0.0.1:2080", pool, &path,
	                                   &error) == 1);
	static const char *const bad[] = {NULL,
	                                  "",
	                                  "dav/a",
	                                  "/dav/../etc",
	                                  "/dav/%2e%2e/x",
	                                  "/dav/a%2Fb",
	                                  "/dav/%zz",
	                                  "/dav/%00",
	                                  "ftp://h/x",
	                                  "http://u@h/x",
	                                  "/dav/%ff"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(dav_header_destination(bad[i], NULL, pool,
		                                       &path, &error) == -1,
		                i);
	test_assert(dav_href_to_path("  http://h/dav/c/%C3%A9.vcf\n", pool,
	                             &path) == 0);
	test_assert_str(path, "/dav/c/\xc3\xa9.vcf");
	test_assert(dav_href_to_path("/", pool, &path) == 0);
	test_assert_str(path, "/");
	test_assert(dav_href_to_path("/a//b", pool, &path) == 0);
	test_assert_str(path, "/a/b");
	pool_free(&pool);
	test_end();
}

static bool if_holds(const char *value, const char *path, const char *etag,
                     struct pool *pool)
{
	struct dav_if hdr;
	if (dav_header_if_parse(value, pool, &hdr) < 0) {
		test_assert_str(value, "(parses)");
		return false;
	}
	return dav_header_if_holds(&hdr, path, etag);
}

static void test_header_if(void)
{
	test_begin("header If");
	struct pool *pool = pool_new();
	const char *tag = "\"abc\"";
	test_assert(if_holds("([\"abc\"])", "/r", tag, pool));
	test_assert(!if_holds("([\"abd\"])", "/r", tag, pool));
	test_assert(!if_holds("([W/\"abc\"])", "/r", tag, pool));
	test_assert(if_holds("(Not [\"x\"])", "/r", tag, pool));
	/* no locks: a token never matches, Not of one always holds */
	test_assert(!if_holds("(<urn:uuid:1>)", "/r", tag, pool));
	test_assert(if_holds("(Not <urn:uuid:1>)", "/r", tag, pool));
	test_assert(!if_holds("(<DAV:no-lock>)", "/r", tag, pool));
	/* conditions of a list are ANDed, lists ORed */
	test_assert(!if_holds("([\"abc\"] <urn:uuid:1>)", "/r", tag, pool));
	test_assert(if_holds("(<urn:uuid:1>) ([\"abc\"])", "/r", tag, pool));
	/* tagged lists apply to their resource */
	test_assert(if_holds("<http://h/r> ([\"abc\"])", "/r", tag, pool));
	test_assert(!if_holds("<http://h/other> ([\"abc\"])", "/r", tag, pool));
	/* a resource that does not exist has no entity-tag */
	test_assert(!if_holds("([\"abc\"])", "/r", NULL, pool));
	test_assert(if_holds("(Not [\"abc\"])", "/r", NULL, pool));
	struct dav_if hdr;
	static const char *const bad[] = {"",
	                                  "x",
	                                  "(",
	                                  "()",
	                                  "([abc])",
	                                  "(<>)",
	                                  "<http://h/r>",
	                                  "(Not)",
	                                  "([\"a\"]) <http://h/r> ([\"a\"])"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(dav_header_if_parse(bad[i], pool, &hdr) < 0, i);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_header_simple, test_header_destination, test_header_if, NULL};
	return test_run(tests);
}
