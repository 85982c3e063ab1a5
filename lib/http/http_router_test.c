/* Tests for http_router.c and http_method.c: prefix matching on segment
 * boundaries, the longest prefix, exact routes, HEAD with GET, the Allow
 * list. */
#include "http/http_router.h"
#include "test/test.h"

#include <string.h>

static void handler(struct http_request *req, void *ctx)
{
	(void)req;
	(void)ctx;
}

static void test_router_match(void)
{
	test_begin("http_router longest prefix on segments");
	struct http_router *r = http_router_new();
	int root, dav, wk;
	http_router_add(r, &(struct http_route){
	                       .prefix = "/",
	                       .ctx = &root,
	                       .handler = handler,
	                       .methods = HTTP_METHOD_BIT(HTTP_METHOD_GET)});
	http_router_add(r, &(struct http_route){.prefix = "/dav/",
	                                        .ctx = &dav,
	                                        .handler = handler});
	http_router_add(r, &(struct http_route){.prefix = "/.well-known/caldav",
	                                        .ctx = &wk,
	                                        .handler = handler,
	                                        .flags = HTTP_ROUTE_EXACT});
	static const struct {
		const char *path;
		int which; /* 0 root, 1 dav, 2 well-known */
	} rows[] = {
	    {"/", 0},
	    {"/index.html", 0},
	    {"/dav", 1},
	    {"/dav/", 1},
	    {"/dav/a/b", 1},
	    {"/davx", 0},
	    {"/.well-known/caldav", 2},
	    {"/.well-known/caldav/", 2},
	    {"/.well-known/caldav/x", 0},
	};
	void *want[] = {&root, &dav, &wk};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct http_route *m = http_router_match(r, rows[i].path);
		test_assert_idx(m != NULL && m->ctx == want[rows[i].which], i);
	}
	http_router_free(&r);
	test_assert(r == NULL);
	/* without a "/" route, other paths have none */
	r = http_router_new();
	http_router_add(
	    r, &(struct http_route){.prefix = "/jmap", .handler = handler});
	test_assert(http_router_match(r, "/") == NULL);
	test_assert(http_router_match(r, "/jmapx") == NULL);
	test_assert(http_router_match(r, "/jmap/api") != NULL);
	http_router_free(&r);
	test_end();
}

static void test_router_methods(void)
{
	test_begin("http_router methods and Allow");
	struct http_route route = {.prefix = "/",
	                           .methods =
	                               HTTP_METHOD_BIT(HTTP_METHOD_GET) |
	                               HTTP_METHOD_BIT(HTTP_METHOD_PUT) |
	                               HTTP_METHOD_BIT(HTTP_METHOD_PROPFIND),
	                           .handler = handler};
	uint32_t set = http_route_methods(&route);
	test_assert((set & HTTP_METHOD_BIT(HTTP_METHOD_HEAD)) != 0);
	char allow[128];
	http_method_set_str(set, allow, sizeof(allow));
	test_assert_str(allow, "GET, HEAD, PUT, PROPFIND");
	http_method_set_str(set, allow, 8);
	test_assert_str(allow, "GET");
	test_assert_int(http_method_parse("PROPFIND", 8), HTTP_METHOD_PROPFIND);
	test_assert_int(http_method_parse("propfind", 8), HTTP_METHOD_UNKNOWN);
	test_assert_int(http_method_parse("GETX", 4), HTTP_METHOD_UNKNOWN);
	test_assert_str(http_method_name(HTTP_METHOD_MKCALENDAR), "MKCALENDAR");
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_router_match,
	                                      test_router_methods, NULL};
	return test_run(tests);
}
