/* Tests for http_response_parser.c from the text of RFC 9112 and RFC 9110:
 * every row is parsed whole and one byte at a time, and both runs must
 * agree on the result and where the head ends. The framing rows follow
 * RFC 9112 §6.3 item by item. */
#include "http/http_response_parser.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

struct parsed {
	int ret;
	const char *error;
	size_t consumed;
	struct http_response_head *head;
};

static struct parsed parse_steps(struct http_response_parser *parser,
                                 struct pool *pool, const char *input,
                                 size_t len, size_t step, bool is_head)
{
	struct parsed p = {0};
	size_t pos = 0;
	http_response_parser_reset(parser, pool, is_head);
	while (pos < len) {
		size_t n = step == 0 || len - pos < step ? len - pos : step;
		size_t consumed;
		p.ret = http_response_parser_parse(
		    parser, (const unsigned char *)input + pos, n, &consumed,
		    &p.head, &p.error);
		if (p.ret != 0) {
			p.consumed = p.ret > 0 ? pos + consumed : 0;
			return p;
		}
		test_assert(consumed == n);
		pos += n;
	}
	p.consumed = pos;
	return p;
}

static struct parsed parse_with(const struct http_response_parser_settings *set,
                                struct pool *pool, const char *input,
                                bool is_head)
{
	struct http_response_parser *parser = http_response_parser_new(set);
	struct pool *pool1 = pool_new();
	size_t len = strlen(input);
	struct parsed bytewise =
	    parse_steps(parser, pool1, input, len, 1, is_head);
	struct parsed whole = parse_steps(parser, pool, input, len, 0, is_head);
	test_assert_int(bytewise.ret, whole.ret);
	test_assert_int(bytewise.consumed, whole.consumed);
	if (whole.ret > 0 && bytewise.ret > 0) {
		test_assert_int(bytewise.head->framing, whole.head->framing);
		test_assert_int(bytewise.head->headers.count,
		                whole.head->headers.count);
	}
	pool_free(&pool1);
	http_response_parser_free(&parser);
	return whole;
}

static struct parsed parse(struct pool *pool, const char *input)
{
	return parse_with(NULL, pool, input, false);
}

static void test_response_basic(void)
{
	test_begin("http_response_parser status-line and fields");
	struct pool *pool = pool_new();
	const char *text = "HTTP/1.1 207 Multi-Status\r\nContent-Type: "
	                   "application/xml; charset=utf-8\r\nETag: \"x\"\r\n"
	                   "Content-Length: 4\r\n\r\nBODY";
	struct parsed p = parse(pool, text);
	test_assert_int(p.ret, 1);
	test_assert_int(p.consumed, strlen(text) - 4);
	test_assert_int(p.head->status, 207);
	test_assert_str(p.head->reason, "Multi-Status");
	test_assert_int(p.head->version_minor, 1);
	test_assert_str(http_headers_get(&p.head->headers, "etag"), "\"x\"");
	test_assert_int(p.head->framing, HTTP_FRAMING_LENGTH);
	test_assert_int(p.head->content_length, 4);
	test_assert(p.head->is_keep_alive);
	test_assert(!p.head->is_until_close);

	/* §4: the reason-phrase is optional, and so (leniently) its SP */
	p = parse(pool, "HTTP/1.1 204 \r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_str(p.head->reason, "");
	p = parse(pool, "HTTP/1.1 204\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->status, 204);

	/* §2.2: a bare LF ends a line for a recipient */
	p = parse(pool, "HTTP/1.1 200 OK\nContent-Length: 0\n\nrest");
	test_assert_int(p.ret, 1);
	test_assert_int(p.consumed, strlen("HTTP/1.1 200 OK\nContent-Length: "
	                                   "0\n\n"));
	test_assert_int(p.head->framing, HTTP_FRAMING_NONE);
	test_assert(!p.head->is_until_close);

	/* §5.2: obs-fold becomes a space in a response */
	p = parse(pool, "HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n\tthree\r\n"
	                "Content-Length: 0\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_str(http_headers_get(&p.head->headers, "X-A"),
	                "one two three");
	/* §5.1: whitespace before the colon is dropped by a user agent */
	p = parse(pool, "HTTP/1.1 200 OK\r\nETag : \"y\"\r\n"
	                "Content-Length: 0\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_str(http_headers_get(&p.head->headers, "ETag"), "\"y\"");
	pool_free(&pool);
	test_end();
}

static void test_response_framing(void)
{
	test_begin("http_response_parser framing (RFC 9112 6.3)");
	struct pool *pool = pool_new();
	/* item 1: HEAD, 1xx, 204 and 304 have no body */
	struct parsed p = parse_with(NULL, pool,
	                             "HTTP/1.1 200 OK\r\nContent-Length: 99"
	                             "\r\n\r\n",
	                             true);
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->framing, HTTP_FRAMING_NONE);
	test_assert(!p.head->is_until_close);
	const char *no_body[] = {
	    "HTTP/1.1 100 Continue\r\n\r\n",
	    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
	    "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(no_body) / sizeof(*no_body); i++) {
		p = parse(pool, no_body[i]);
		test_assert_idx(p.ret == 1, i);
		test_assert_idx(p.head->framing == HTTP_FRAMING_NONE, i);
		test_assert_idx(!p.head->is_until_close, i);
		test_assert_idx(p.head->is_keep_alive, i);
	}
	/* item 3: Transfer-Encoding overrides Content-Length, and the
	 * connection is not used again */
	p = parse(pool, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	                "Transfer-Encoding: chunked\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->framing, HTTP_FRAMING_CHUNKED);
	test_assert(!p.head->is_keep_alive);
	p = parse(pool,
	          "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n");
	test_assert_int(p.head->framing, HTTP_FRAMING_CHUNKED);
	test_assert(p.head->is_keep_alive);
	/* item 4: a final coding other than chunked runs until close; one
	 * before chunked cannot be undone */
	p = parse(pool, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert(p.head->is_until_close);
	test_assert(!p.head->is_keep_alive);
	p = parse(pool, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked"
	                "\r\n\r\n");
	test_assert_int(p.ret, -1);
	/* item 5: equal values are one length, different ones fail */
	p = parse(pool, "HTTP/1.1 200 OK\r\nContent-Length: 42, 42\r\n"
	                "Content-Length: 42\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->content_length, 42);
	const char *bad_length[] = {
	    "HTTP/1.1 200 OK\r\nContent-Length: 42, 43\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n"
	    "\r\n",
	};
	for (size_t i = 0; i < sizeof(bad_length) / sizeof(*bad_length); i++)
		test_assert_idx(parse(pool, bad_length[i]).ret == -1, i);
	/* item 8: no length at all: until close */
	p = parse(pool, "HTTP/1.1 200 OK\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert(p.head->is_until_close);
	test_assert(!p.head->is_keep_alive);
	/* §9.3: HTTP/1.0 persists only with keep-alive; 1.1 unless close */
	p = parse(pool, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
	test_assert(!p.head->is_keep_alive);
	p = parse(pool, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	                "Content-Length: 1\r\n\r\n");
	test_assert(p.head->is_keep_alive);
	p = parse(pool, "HTTP/1.1 200 OK\r\nConnection: Close\r\n"
	                "Content-Length: 1\r\n\r\n");
	test_assert(!p.head->is_keep_alive);
	pool_free(&pool);
	test_end();
}

static void test_response_refused(void)
{
	test_begin("http_response_parser refusals");
	struct pool *pool = pool_new();
	const char *bad[] = {
	    "HTTP/2.0 200 OK\r\n\r\n",
	    "HTTP/1.1 099 Low\r\n\r\n",
	    "HTTP/1.1 600 High\r\n\r\n",
	    "HTTP/1.1 2x0 OK\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "http/1.1 200 OK\r\n\r\n",
	    "HTTP/1.1  200 OK\r\n\r\n",
	    "SSH-2.0-OpenSSH\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",    /* bare CR */
	    "HTTP/1.1 200 OK\r\n continued\r\n\r\n", /* fold first */
	    "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct parsed p = parse(pool, bad[i]);
		test_assert_idx(p.ret == -1, i);
		test_assert_idx(p.error != NULL, i);
	}
	/* limits: a line, the header section, the field count */
	struct http_response_parser_settings set = {
	    .max_line = 64, .max_header_bytes = 100, .max_headers = 3};
	struct parsed p = parse_with(
	    &set, pool,
	    "HTTP/1.1 200 OK\r\nX-Long: "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\r\n\r\n",
	    false);
	test_assert_int(p.ret, -1);
	test_assert_str(p.error, "line too long");
	p = parse_with(
	    &set, pool,
	    "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", false);
	test_assert_int(p.ret, -1);
	test_assert_str(p.error, "too many header fields");
	p = parse_with(&set, pool,
	               "HTTP/1.1 200 OK\r\nA: 12345678901234567890123456789\r\n"
	               "B: 12345678901234567890123456789\r\n"
	               "C: 12345678901234567890123456789\r\n\r\n",
	               false);
	test_assert_int(p.ret, -1);
	test_assert_str(p.error, "header section too large");
	/* an incomplete head needs more */
	p = parse(pool, "HTTP/1.1 200 OK\r\nContent-Le");
	test_assert_int(p.ret, 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_response_basic,
	    test_response_framing,
	    test_response_refused,
	    NULL,
	};
	return test_run(tests);
}
