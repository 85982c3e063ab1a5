/* Tests of the server engine over a socketpair with its event loop
 * (http_testing.h): keep-alive, pipelined requests answered in order,
 * chunked bodies in and out, 100-continue, 413 before the body, a body
 * streamed to a file past the memory limit, the request-smuggling cases
 * each refused with 400 and the connection closed, the router's answers,
 * credentials with the per-connection cache, the rate limit, HTTP/1.0,
 * and the header, body and idle deadlines (which trickled bytes do not
 * extend). */
#include "http/http_testing.h"
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "test/test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	unsigned auth_calls;
	unsigned destroyed;
} state;

static void echo_body(struct http_request *req, void *ctx)
{
	(void)ctx;
	const struct http_request_body *b = http_request_body(req);
	struct buf out;
	buf_init(&out);
	unsigned sum = 0;
	if (b->fd >= 0) {
		unsigned char piece[4096];
		ssize_t n;
		while ((n = read(b->fd, piece, sizeof(piece))) > 0)
			for (ssize_t i = 0; i < n; i++)
				sum += piece[i];
	} else {
		for (size_t i = 0; i < b->size_in_memory; i++)
			sum += b->data[i];
	}
	buf_printf(&out, "%s %s size=%llu file=%d sum=%u\n",
	           http_request_head(req)->method, http_request_path(req),
	           (unsigned long long)b->size, b->fd >= 0, sum);
	if (b->fd < 0)
		buf_append(&out, b->data, b->size_in_memory);
	struct http_response *resp = http_response_new(req, 200);
	http_response_send_data(resp, out.data, out.len);
	buf_deinit(&out);
}

static void echo(struct http_request *req, void *ctx)
{
	http_request_read_body(req, echo_body, ctx);
}

static void text(struct http_request *req, void *ctx)
{
	http_response_send_text(http_response_new(req, 200), "%s\n",
	                        (const char *)ctx);
}

struct slow {
	struct event_timer *timer;
	struct http_request *req;
};

static void slow_fire(void *ctx)
{
	struct slow *s = ctx;
	http_response_send_text(http_response_new(s->req, 200), "slow\n");
}

static void slow_destroy(struct http_request *req, void *ctx)
{
	struct slow *s = ctx;
	(void)req;
	event_timer_free(&s->timer);
	state.destroyed++;
}

static void slow(struct http_request *req, void *ctx)
{
	struct event_loop *loop = ctx;
	struct slow *s = pool_alloc(http_request_pool(req), sizeof(*s));
	s->req = req;
	s->timer = event_timer_new(loop, slow_fire, s);
	event_timer_set(s->timer, 50);
	http_request_set_destroy(req, slow_destroy, s);
}

static enum http_produce stream_produce(struct http_response *resp, void *ctx)
{
	unsigned *left = ctx;
	char piece[8192];
	if (*left == 0)
		return HTTP_PRODUCE_DONE;
	memset(piece, 'a' + (char)(*left % 26), sizeof(piece));
	http_response_write(resp, piece, sizeof(piece));
	(*left)--;
	return HTTP_PRODUCE_MORE;
}

static void stream(struct http_request *req, void *ctx)
{
	(void)ctx;
	unsigned *left = pool_alloc(http_request_pool(req), sizeof(*left));
	*left = 40;
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "application/octet-stream");
	http_response_send_stream(resp, stream_produce, left);
}

static void user(struct http_request *req, void *ctx)
{
	(void)ctx;
	http_response_send_text(http_response_new(req, 200), "user=%s\n",
	                        http_request_user(req));
}

struct auth_check {
	struct event_timer *timer;
	struct http_request *req;
	bool ok;
};

static void auth_fire(void *ctx)
{
	struct auth_check *a = ctx;
	http_request_auth_done(a->req, a->ok ? HTTP_AUTH_OK : HTTP_AUTH_FAIL,
	                       "alice@example.com");
}

static void auth_destroy(struct http_request *req, void *ctx)
{
	struct auth_check *a = ctx;
	(void)req;
	event_timer_free(&a->timer);
}

/* like authd: answered later, from the loop */
static void authenticate(void *ctx, struct http_request *req,
                         const struct http_credentials *cred)
{
	struct http_testing *t = ctx;
	state.auth_calls++;
	struct auth_check *a = pool_alloc(http_request_pool(req), sizeof(*a));
	a->req = req;
	a->ok = cred->scheme == HTTP_AUTH_BASIC &&
	        strcmp(cred->user, "alice") == 0 &&
	        strcmp(cred->password, "secret") == 0;
	a->timer = event_timer_new(t->loop, auth_fire, a);
	event_timer_set(a->timer, 5);
	http_request_set_destroy(req, auth_destroy, a);
}

static void setup(struct http_testing *t)
{
	const uint32_t get = HTTP_METHOD_BIT(HTTP_METHOD_GET);
	const uint32_t body = HTTP_METHOD_BIT(HTTP_METHOD_POST) |
	                      HTTP_METHOD_BIT(HTTP_METHOD_PUT);
	http_testing_init(t);
	memset(&state, 0, sizeof(state));
	struct http_router *r = t->router;
	http_router_add(r, &(struct http_route){.prefix = "/",
	                                        .methods = get,
	                                        .handler = text,
	                                        .ctx = "root"});
	http_router_add(r, &(struct http_route){.prefix = "/fast",
	                                        .methods = get,
	                                        .handler = text,
	                                        .ctx = "fast"});
	http_router_add(r, &(struct http_route){.prefix = "/echo",
	                                        .methods = get | body,
	                                        .body_max = 4 * 1024 * 1024,
	                                        .handler = echo});
	http_router_add(r, &(struct http_route){.prefix = "/small",
	                                        .methods = body,
	                                        .body_max = 10,
	                                        .handler = echo});
	http_router_add(r, &(struct http_route){.prefix = "/slow",
	                                        .methods = get,
	                                        .handler = slow,
	                                        .ctx = t->loop});
	http_router_add(r, &(struct http_route){.prefix = "/stream",
	                                        .methods = get,
	                                        .handler = stream});
	http_router_add(r, &(struct http_route){.prefix = "/me",
	                                        .methods = get,
	                                        .flags = HTTP_ROUTE_AUTH,
	                                        .handler = user});
	t->set.body_memory_max = 16 * 1024;
	t->set.tmp_dir = test_tmpdir();
	t->cb.authenticate = authenticate;
}

static bool has(const struct buf *b, const char *needle)
{
	return strstr(b->data, needle) != NULL;
}

static void test_server_keepalive(void)
{
	test_begin("http_server keep-alive and pipelining in order");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 200);
	test_assert_str(t.responses[0].body.data, "fast\n");
	test_assert_str(http_testing_header(&t, 0, "Connection"), "");
	test_assert_str(http_testing_header(&t, 0, "X-Content-Type-Options"),
	                "nosniff");
	test_assert_str(http_testing_header(&t, 0, "Content-Security-Policy"),
	                "frame-ancestors 'none'");
	test_assert(http_testing_header(&t, 0, "Date")[0] != '\0');
	/* a second request on the same connection, then three pipelined:
	 * the slow one is answered first although it finishes last */
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 2);
	test_assert_int(t.count, 2);
	http_testing_send_str(&t, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
	                          "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n"
	                          "GET /fast?x HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 5);
	test_assert_int(t.count, 5);
	test_assert_str(t.responses[2].body.data, "slow\n");
	test_assert_str(t.responses[3].body.data, "fast\n");
	test_assert_str(t.responses[4].body.data, "fast\n");
	test_assert(!t.is_eof);
	test_assert_int(http_server_conn_requests(t.srv), 5);
	test_assert_int(state.destroyed, 1);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_http10(void)
{
	test_begin("http_server HTTP/1.0 persistence (RFC 9112 §9.3)");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /fast HTTP/1.0\r\n"
	                          "Connection: keep-alive\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_str(http_testing_header(&t, 0, "Connection"), "keep-alive");
	test_assert(!t.is_eof);
	/* without keep-alive: answered, then closed; a stream ends with the
	 * connection since 1.0 has no chunked */
	http_testing_send_str(&t, "GET /stream HTTP/1.0\r\n\r\n");
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	test_assert_int(t.count, 2);
	test_assert_int(t.responses[1].body.len, 40 * 8192);
	test_assert_str(http_testing_header(&t, 1, "Connection"), "close");
	test_assert_str(http_testing_header(&t, 1, "Transfer-Encoding"), "");
	http_testing_deinit(&t);
	/* HTTP/1.1 with Connection: close */
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n"
	                          "Connection: close\r\n\r\n"
	                          "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	test_assert_int(t.count, 1);
	test_assert_str(http_testing_header(&t, 0, "Connection"), "close");
	http_testing_deinit(&t);
	test_end();
}

static void test_server_chunked(void)
{
	test_begin("http_server chunked in and out");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "POST /echo HTTP/1.1\r\nHost: a\r\n"
	                          "Transfer-Encoding: chunked\r\n\r\n"
	                          "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n"
	                          "0\r\nX-Trailer: 1\r\n\r\n"
	                          "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 2);
	test_assert_int(t.responses[0].status, 200);
	test_assert(has(&t.responses[0].body, "size=11 file=0"));
	test_assert(has(&t.responses[0].body, "hello world"));
	test_assert_str(http_testing_header(&t, 1, "Transfer-Encoding"),
	                "chunked");
	test_assert_int(t.responses[1].body.len, 40 * 8192);
	test_assert(t.responses[1].body.data[0] == 'a' + 40 % 26);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_continue(void)
{
	test_begin("http_server Expect: 100-continue");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	/* the 100 comes once the handler reads the body; then the body */
	http_testing_send_str(&t, "PUT /echo HTTP/1.1\r\nHost: a\r\n"
	                          "Expect: 100-continue\r\n"
	                          "Content-Length: 5\r\n\r\n");
	t.want_text = "HTTP/1.1 100 Continue\r\n\r\n";
	http_testing_run(&t, 1);
	test_assert(has(&t.got, "HTTP/1.1 100 Continue\r\n\r\n"));
	test_assert_int(t.count, 0);
	http_testing_send_str(&t, "abcde");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 200);
	test_assert(has(&t.responses[0].body, "size=5"));
	/* refused by its length: 413 without a 100, and the connection
	 * closes since the client may or may not send the body */
	http_testing_send_str(&t, "POST /small HTTP/1.1\r\nHost: a\r\n"
	                          "Expect: 100-continue\r\n"
	                          "Content-Length: 11\r\n\r\n");
	http_testing_run(&t, 2);
	test_assert_int(t.responses[1].status, 413);
	test_assert_str(http_testing_header(&t, 1, "Connection"), "close");
	http_testing_run(&t, 3);
	test_assert(t.is_eof);
	const char *second = strstr(t.got.data, "HTTP/1.1 100");
	test_assert(second != NULL &&
	            strstr(second + 1, "HTTP/1.1 100") == NULL);
	http_testing_deinit(&t);
	/* another expectation: 417 (RFC 9110 §10.1.1) */
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n"
	                          "Expect: 200-ok\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 417);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_bodies(void)
{
	test_begin("http_server bodies: 413 first, files, discard");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	/* 413 by Content-Length before any body byte, then closed */
	http_testing_send_str(&t, "POST /small HTTP/1.1\r\nHost: a\r\n"
	                          "Content-Length: 1000000\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 413);
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	/* chunked past the limit: 413 while streaming */
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t,
	                      "POST /small HTTP/1.1\r\nHost: a\r\n"
	                      "Transfer-Encoding: chunked\r\n\r\n"
	                      "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 413);
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	/* 300 KiB, past the 16 KiB memory limit: streamed to a file */
	setup(&t);
	http_testing_connect(&t);
	struct buf big;
	buf_init(&big);
	unsigned sum = 0;
	for (unsigned i = 0; i < 300 * 1024; i++) {
		char c = (char)('a' + i % 23);
		buf_append_char(&big, c);
		sum += (unsigned char)c;
	}
	char head[128], want[64];
	snprintf(head, sizeof(head),
	         "PUT /echo/big HTTP/1.1\r\nHost: a\r\n"
	         "Content-Length: %zu\r\n\r\n",
	         big.len);
	http_testing_send_str(&t, head);
	http_testing_send(&t, big.data, big.len);
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 2);
	snprintf(want, sizeof(want), "size=%zu file=1 sum=%u", big.len, sum);
	test_assert(has(&t.responses[0].body, want));
	test_assert_str(t.responses[1].body.data, "fast\n");
	buf_deinit(&big);
	/* a small body the handler never read is skipped, the connection
	 * kept: the next request is parsed after it */
	http_testing_send_str(&t, "POST /fast HTTP/1.1\r\nHost: a\r\n"
	                          "Content-Length: 3\r\n\r\nabc"
	                          "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 4);
	test_assert_int(t.responses[2].status, 405);
	test_assert_int(t.responses[3].status, 200);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

/* RFC 9112 §6.3, §11.2: each is refused with 400 (or 501) and the
 * connection closed, and the hidden request is never answered. */
static void test_server_smuggling(void)
{
	test_begin("http_server smuggling cases: 400 and close");
	static const struct {
		const char *request;
		unsigned status;
	} cases[] = {
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
	     "Content-Length: 35\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 35\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     " x\r\n\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\nHost: a\nContent-Length: 4\n\n", 400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n"
	     "\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
	     "identity\r\n\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     "\r\n0x1\r\nA\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     "\r\n1\r\nAB\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     "\r\nFFFFFFFFFFFFFFFFF1\r\nA\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     "\r\n1\nA\r\n0\r\n\r\n",
	     400},
	    {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
	     "chunked\r\n\r\n0\r\n\r\n",
	     501},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_testing t;
		setup(&t);
		http_testing_connect(&t);
		http_testing_send_str(&t, cases[i].request);
		/* the request a smuggler would hide behind the first */
		http_testing_send_str(&t,
		                      "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
		http_testing_run(&t, 2);
		test_assert_idx(t.is_eof, i);
		test_assert_idx(t.count == 1, i);
		test_assert_idx(t.responses[0].status == cases[i].status, i);
		test_assert_idx(strcmp(http_testing_header(&t, 0, "Connection"),
		                       "close") == 0,
		                i);
		test_assert_idx(!has(&t.got, "fast\n"), i);
		http_testing_deinit(&t);
	}
	test_end();
}

static void test_server_router(void)
{
	test_begin("http_server router answers (404, 405, 501, OPTIONS)");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t,
	                      "DELETE /fast HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "BREW /fast HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "OPTIONS /echo HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET /a/../fast HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET /fast%2Fx HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET /./fast//x/ HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET http://a/fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 9);
	test_assert_int(t.count, 9);
	test_assert_int(t.responses[0].status, 405);
	test_assert_str(http_testing_header(&t, 0, "Allow"), "GET, HEAD");
	test_assert_int(t.responses[1].status, 501);
	test_assert_int(t.responses[2].status, 204);
	test_assert_str(http_testing_header(&t, 2, "Allow"),
	                "GET, HEAD, POST, PUT, OPTIONS");
	test_assert_int(t.responses[3].status, 204);
	test_assert_int(t.responses[4].status, 400);
	test_assert_int(t.responses[5].status, 404);
	test_assert_int(t.responses[6].status, 400);
	test_assert_int(t.responses[7].status, 200);
	test_assert_str(t.responses[7].body.data, "fast\n");
	test_assert_int(t.responses[8].status, 200);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_auth(void)
{
	test_begin("http_server credentials and their cache");
	struct http_testing t;
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /me HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 401);
	test_assert_str(http_testing_header(&t, 0, "WWW-Authenticate"),
	                "Basic realm=\"Postroom\", charset=\"UTF-8\"");
	/* alice:secret twice: checked once; then a wrong password */
	const char *ok = "GET /me HTTP/1.1\r\nHost: a\r\n"
	                 "Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n";
	http_testing_send_str(&t, ok);
	http_testing_send_str(&t, ok);
	http_testing_send_str(&t, "GET /me HTTP/1.1\r\nHost: a\r\n"
	                          "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"
	                          "\r\n");
	http_testing_send_str(&t, "GET /me HTTP/1.1\r\nHost: a\r\n"
	                          "Authorization: Basic !!\r\n\r\n");
	http_testing_send_str(&t, ok);
	http_testing_run(&t, 6);
	test_assert_int(t.responses[1].status, 200);
	test_assert_str(t.responses[1].body.data, "user=alice@example.com\n");
	test_assert_int(t.responses[2].status, 200);
	test_assert_int(t.responses[3].status, 401);
	test_assert_int(t.responses[4].status, 400);
	test_assert_int(t.responses[5].status, 200);
	test_assert_int(state.auth_calls, 3);
	http_testing_deinit(&t);
	/* without TLS and not allowed: credentials are refused unread */
	setup(&t);
	t.set.allow_plaintext_auth = false;
	http_testing_connect(&t);
	http_testing_send_str(&t, ok);
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 403);
	test_assert_int(state.auth_calls, 0);
	http_testing_deinit(&t);
	/* a client that half-closes while authd thinks still gets its
	 * answer, then the connection closes */
	setup(&t);
	http_testing_connect(&t);
	t.shut_after_send = true;
	http_testing_send_str(&t, ok);
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 200);
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_rate(void)
{
	test_begin(
	    "http_server request rate (429), refusal (503), max requests");
	struct http_testing t;
	setup(&t);
	t.set.request_rate = 1;
	t.set.request_burst = 2;
	http_testing_connect(&t);
	for (int i = 0; i < 3; i++)
		http_testing_send_str(&t,
		                      "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 3);
	test_assert_int(t.responses[0].status, 200);
	test_assert_int(t.responses[1].status, 200);
	test_assert_int(t.responses[2].status, 429);
	test_assert_str(http_testing_header(&t, 2, "Retry-After"), "2");
	http_testing_run(&t, 4);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	/* over a per-IP limit: 503 and close */
	setup(&t);
	http_testing_connect(&t);
	http_server_conn_refuse(t.srv,
	                        "too many connections from your address");
	http_testing_send_str(&t, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 503);
	test_assert_str(http_testing_header(&t, 0, "Retry-After"), "10");
	test_assert(strstr(t.responses[0].body.data, "your address") != NULL);
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	/* max_requests: the last one says close */
	setup(&t);
	t.set.max_requests = 2;
	http_testing_connect(&t);
	for (int i = 0; i < 3; i++)
		http_testing_send_str(&t,
		                      "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run(&t, 3);
	test_assert_int(t.count, 2);
	test_assert_str(http_testing_header(&t, 1, "Connection"), "close");
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_server_deadlines(void)
{
	test_begin("http_server deadlines bytes cannot extend");
	struct http_testing t;
	/* the head trickles a byte every 200 ms: 408 after 1 s anyway */
	setup(&t);
	t.set.header_timeout = 1;
	t.set.idle_timeout = 10;
	http_testing_connect(&t);
	t.trickle_msecs = 200;
	http_testing_send_str(&t,
	                      "GET /fast HTTP/1.1\r\nX-Slow: "
	                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	                      "\r\n");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 408);
	test_assert(t.out_pos < t.out.len);
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	http_testing_deinit(&t);
	/* the body likewise */
	setup(&t);
	t.set.body_timeout = 1;
	t.set.idle_timeout = 10;
	http_testing_connect(&t);
	const char *put = "PUT /echo HTTP/1.1\r\nHost: a\r\n"
	                  "Content-Length: 40\r\n\r\n";
	t.trickle_msecs = 200;
	t.trickle_from = strlen(put);
	http_testing_send_str(&t, put);
	http_testing_send_str(&t, "0123456789012345678901234567890123456789");
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 408);
	test_assert(t.out_pos < t.out.len);
	http_testing_deinit(&t);
	/* an idle connection just closes, without a response */
	setup(&t);
	t.set.idle_timeout = 1;
	http_testing_connect(&t);
	http_testing_run(&t, 1);
	test_assert(t.is_eof);
	test_assert_int(t.got.len, 0);
	test_assert_str(t.reason, "idle timeout");
	http_testing_deinit(&t);
	test_end();
}

static void test_server_access_log(void)
{
	test_begin("http_server access log lines");
	struct http_testing t;
	struct log log = {0};
	struct buf lines;
	char path[4096];
	buf_init(&lines);
	log_init(&log, "conn=7 peer=test");
	snprintf(path, sizeof(path), "%s/stderr", test_tmpdir());
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	test_assert(saved >= 0 && fd >= 0 && dup2(fd, 2) == 2);
	setup(&t);
	t.log = &log;
	http_testing_connect(&t);
	http_testing_send_str(&t,
	                      "GET /me?secret=1 HTTP/1.1\r\nHost: a\r\n"
	                      "Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n"
	                      "DELETE /nope HTTP/1.1\r\nHost: a\r\n\r\n"
	                      "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n");
	http_testing_run(&t, 3);
	http_testing_deinit(&t);
	dup2(saved, 2);
	close(saved);
	close(fd);
	test_assert(file_read_all(path, &lines, 1 << 20) == 0);
	test_assert(has(&lines, "info: conn=7 peer=test http method=GET "
	                        "path=/me status=200 bytes=23 duration="));
	test_assert(has(&lines, "user=alice@example.com\n"));
	test_assert(!has(&lines, "secret"));
	test_assert(has(&lines, "http method=DELETE path=/nope status=405 "));
	test_assert(has(&lines, "user=- reason=\"method not allowed\"\n"));
	test_assert(has(&lines, "http method=- path=- status=400 bytes="));
	test_assert(has(&lines, "reason=\"bad character in field value\""));
	log_deinit(&log);
	buf_deinit(&lines);
	test_end();
}

static void test_server_shutdown(void)
{
	test_begin("http_server graceful shutdown");
	struct http_testing t;
	/* busy: the answer in progress says close, then the end */
	setup(&t);
	http_testing_connect(&t);
	http_testing_send_str(&t, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_run_for(&t, 10);
	http_server_conn_shutdown(t.srv);
	http_testing_run(&t, 1);
	test_assert_int(t.responses[0].status, 200);
	test_assert_str(http_testing_header(&t, 0, "Connection"), "close");
	http_testing_run(&t, 2);
	test_assert(t.is_eof);
	test_assert_str(t.reason, "shutdown");
	http_testing_deinit(&t);
	/* idle: closed at once */
	setup(&t);
	http_testing_connect(&t);
	http_server_conn_shutdown(t.srv);
	http_testing_run(&t, 1);
	test_assert(t.is_eof);
	test_assert_int(t.got.len, 0);
	http_testing_deinit(&t);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_server_keepalive,
	                                      test_server_http10,
	                                      test_server_chunked,
	                                      test_server_continue,
	                                      test_server_bodies,
	                                      test_server_smuggling,
	                                      test_server_router,
	                                      test_server_auth,
	                                      test_server_rate,
	                                      test_server_deadlines,
	                                      test_server_shutdown,
	                                      test_server_access_log,
	                                      NULL};
	return test_run(tests);
}
