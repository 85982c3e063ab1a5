/* Tests of the server engine's handling of a session cookie and bearer
 * tokens (http_testing.h): checked at every request (never cached per
 * connection, so a logout elsewhere takes effect), the CSRF check of a
 * state-changing request made with the cookie (Sec-Fetch-Site, Origin),
 * and the challenge of a 401 (Basic only where a browser's own password
 * dialog is wanted). */
#include "http/http_testing.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static unsigned auth_calls;

static void user(struct http_request *req, void *ctx)
{
	(void)ctx;
	http_response_send_text(http_response_new(req, 200), "user=%s\n",
	                        http_request_user(req));
}

/* like httpd's session look-up: answered at once */
static void authenticate(void *ctx, struct http_request *req,
                         const struct http_credentials *cred)
{
	(void)ctx;
	auth_calls++;
	bool ok = (cred->scheme == HTTP_AUTH_COOKIE ||
	           cred->scheme == HTTP_AUTH_BEARER) &&
	          strcmp(cred->token, "good") == 0;
	http_request_auth_done(req, ok ? HTTP_AUTH_OK : HTTP_AUTH_FAIL,
	                       "alice@example.com");
}

static void setup(struct http_testing *t)
{
	http_testing_init(t);
	auth_calls = 0;
	http_router_add(t->router,
	                &(struct http_route){
	                    .prefix = "/me",
	                    .methods = HTTP_METHOD_BIT(HTTP_METHOD_GET) |
	                               HTTP_METHOD_BIT(HTTP_METHOD_POST) |
	                               HTTP_METHOD_BIT(HTTP_METHOD_DELETE),
	                    .flags = HTTP_ROUTE_AUTH,
	                    .handler = user});
	t->set.auth_cookie = "sess";
	t->cb.authenticate = authenticate;
	http_testing_connect(t);
}

static void test_cookie_not_cached(void)
{
	test_begin("http_server cookie and bearer checked at every request");
	struct http_testing t;
	setup(&t);
	const char *req = "GET /me HTTP/1.1\r\nHost: a\r\n"
	                  "Cookie: x=1; sess=good; y=2\r\n\r\n";
	http_testing_send_str(&t, req);
	http_testing_send_str(&t, req);
	http_testing_send_str(&t, "GET /me HTTP/1.1\r\nHost: a\r\n"
	                          "Authorization: Bearer good\r\n\r\n");
	http_testing_send_str(&t, "GET /me HTTP/1.1\r\nHost: a\r\n"
	                          "Cookie: sess=gone\r\n\r\n");
	http_testing_run(&t, 4);
	test_assert_int(t.responses[0].status, 200);
	test_assert_str(t.responses[0].body.data, "user=alice@example.com\n");
	test_assert_int(t.responses[1].status, 200);
	test_assert_int(t.responses[2].status, 200);
	test_assert_int(t.responses[3].status, 401);
	test_assert_int(auth_calls, 4);
	http_testing_deinit(&t);
	test_end();
}

static void test_cookie_csrf(void)
{
	test_begin("http_server cookie CSRF check");
	static const struct {
		const char *method;
		const char *fields;
		unsigned status;
	} cases[] = {
	    /* reading is allowed from anywhere (SameSite keeps the cookie
	       off other sites' requests anyway) */
	    {"GET", "", 200},
	    {"GET", "Sec-Fetch-Site: cross-site\r\n", 200},
	    /* a change must say it comes from our pages */
	    {"POST", "", 403},
	    {"POST", "Origin: http://a\r\n", 200},
	    {"POST", "Origin: http://A:80\r\n", 200},
	    {"POST", "Origin: https://a\r\n", 403},
	    {"POST", "Origin: http://a.evil\r\n", 403},
	    {"POST", "Origin: http://a:8080\r\n", 403},
	    {"POST", "Origin: null\r\n", 403},
	    {"POST", "Sec-Fetch-Site: same-origin\r\n", 200},
	    {"POST", "Sec-Fetch-Site: same-site\r\nOrigin: http://a\r\n", 403},
	    {"DELETE", "Sec-Fetch-Site: cross-site\r\n", 403},
	    {"DELETE", "Origin: http://a\r\n", 200},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_testing t;
		setup(&t);
		char req[512];
		snprintf(req, sizeof(req),
		         "%s /me HTTP/1.1\r\nHost: a\r\n%sCookie: sess=good\r\n"
		         "Content-Length: 0\r\n\r\n",
		         cases[i].method, cases[i].fields);
		http_testing_send_str(&t, req);
		http_testing_run(&t, 1);
		test_assert_idx(t.responses[0].status == cases[i].status, i);
		/* refused before any check of the session */
		test_assert_idx(auth_calls == (cases[i].status == 403 ? 0u : 1u),
		                i);
		http_testing_deinit(&t);
	}
	/* Basic credentials are no cookie: a client's own header */
	struct http_testing t;
	setup(&t);
	http_testing_send_str(&t, "POST /me HTTP/1.1\r\nHost: a\r\n"
	                          "Authorization: Bearer good\r\n"
	                          "Content-Length: 0\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 200);
	http_testing_deinit(&t);
	test_end();
}

static void test_challenge(void)
{
	test_begin("http_server 401 challenge by the kind of client");
	static const struct {
		const char *fields;
		const char *want;
	} cases[] = {
	    {"", "Basic realm=\"Postroom\", charset=\"UTF-8\""},
	    {"Sec-Fetch-Mode: navigate\r\n",
	     "Basic realm=\"Postroom\", charset=\"UTF-8\""},
	    {"Sec-Fetch-Mode: cors\r\n", "Bearer realm=\"Postroom\""},
	    {"Sec-Fetch-Mode: same-origin\r\n", "Bearer realm=\"Postroom\""},
	    {"Cookie: sess=expired\r\n", "Bearer realm=\"Postroom\""},
	    {"Authorization: Bearer nope\r\n",
	     "Bearer realm=\"Postroom\", error=\"invalid_token\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_testing t;
		setup(&t);
		char req[512];
		snprintf(req, sizeof(req), "GET /me HTTP/1.1\r\nHost: a\r\n%s\r\n",
		         cases[i].fields);
		http_testing_send_str(&t, req);
		http_testing_run(&t, 1);
		test_assert_idx(t.responses[0].status == 401, i);
		test_assert_str(http_testing_header(&t, 0, "WWW-Authenticate"),
		                cases[i].want);
		http_testing_deinit(&t);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_cookie_not_cached,
	                                      test_cookie_csrf, test_challenge,
	                                      NULL};
	return test_run(tests);
}
