/* Tests for http_parser.c, from the text of RFC 9112 and RFC 9110: every
 * row is parsed whole and again one byte at a time, and both runs must give
 * the same result, status and head length. The request-smuggling cases
 * (CL+TE, two Content-Lengths, lists, obs-fold, bare LF/CR, whitespace
 * before the colon, chunked not last, TE in HTTP/1.0) each get their 400. */
#include "http/http_parser.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

struct parsed {
	int ret;
	unsigned status;
	const char *error;
	size_t consumed;
	struct http_request_head *head;
};

/* Parses input in pieces of step bytes (0: whole). */
static struct parsed parse_steps(struct http_parser *parser, struct pool *pool,
                                 const char *input, size_t len, size_t step)
{
	struct parsed p = {0};
	size_t pos = 0;
	http_parser_reset(parser, pool);
	while (pos < len) {
		size_t n = step == 0 || len - pos < step ? len - pos : step;
		size_t consumed;
		p.ret = http_parser_parse(
		    parser, (const unsigned char *)input + pos, n, &consumed,
		    &p.head, &p.status, &p.error);
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

/* Parses whole and byte by byte; fails the test if they disagree. */
static struct parsed parse_with(const struct http_parser_settings *set,
                                struct pool *pool, const char *input,
                                size_t len)
{
	struct http_parser *parser = http_parser_new(set);
	struct pool *pool1 = pool_new();
	struct parsed bytewise = parse_steps(parser, pool1, input, len, 1);
	struct parsed whole = parse_steps(parser, pool, input, len, 0);
	test_assert_int(bytewise.ret, whole.ret);
	test_assert_int(bytewise.status, whole.status);
	test_assert_int(bytewise.consumed, whole.consumed);
	pool_free(&pool1);
	http_parser_free(&parser);
	return whole;
}

static struct parsed parse(struct pool *pool, const char *input)
{
	return parse_with(NULL, pool, input, strlen(input));
}

static void test_parser_accepts(void)
{
	test_begin("http_parser accepts valid heads and target forms");
	struct pool *pool = pool_new();
	const char *req = "GET /a/b%20c?x=1&y=/? HTTP/1.1\r\nHost: example.com"
	                  "\r\nX-Empty:\r\nX-Pad: \t v \t \r\n\r\nBODY";
	struct parsed p = parse(pool, req);
	test_assert_int(p.ret, 1);
	test_assert_int(p.consumed, strlen(req) - 4);
	test_assert_str(p.head->method, "GET");
	test_assert_int(p.head->method_id, HTTP_METHOD_GET);
	test_assert_int(p.head->form, HTTP_TARGET_ORIGIN);
	test_assert_str(p.head->path, "/a/b%20c");
	test_assert_str(p.head->query, "x=1&y=/?");
	test_assert_str(p.head->authority, "example.com");
	test_assert_int(p.head->version_minor, 1);
	test_assert(p.head->is_keep_alive);
	test_assert_int(p.head->framing, HTTP_FRAMING_NONE);
	test_assert_str(http_headers_get(&p.head->headers, "x-empty"), "");
	test_assert_str(http_headers_get(&p.head->headers, "X-PAD"), "v");

	/* §2.2: an empty line before the request-line is ignored */
	p = parse(pool, "\r\n\r\nPOST /u HTTP/1.1\r\nHost: h\r\n"
	                "Content-Length: 5\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->framing, HTTP_FRAMING_LENGTH);
	test_assert_int(p.head->content_length, 5);

	/* §3.2.2: the absolute-form's authority wins over Host */
	p = parse(pool, "GET http://Example.COM:8080/x?q HTTP/1.1\r\n"
	                "Host: other\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->form, HTTP_TARGET_ABSOLUTE);
	test_assert_str(p.head->authority, "Example.COM:8080");
	test_assert_str(p.head->path, "/x");
	test_assert_str(p.head->query, "q");
	p = parse(pool, "GET https://h HTTP/1.1\r\nHost: h\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_str(p.head->path, "/");

	/* §3.2.4 asterisk-form, §3.2.3 authority-form */
	p = parse(pool, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->form, HTTP_TARGET_ASTERISK);
	p = parse(pool, "CONNECT h.example:443 HTTP/1.1\r\nHost: h\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->form, HTTP_TARGET_AUTHORITY);
	test_assert_str(p.head->authority, "h.example:443");

	pool_free(&pool);
	test_end();
}

static void test_parser_options(void)
{
	test_begin("http_parser persistence, framing, Expect");
	struct pool *pool = pool_new();
	struct parsed p;
	/* §9.3: HTTP/1.0 persists only with keep-alive; no Host needed */
	p = parse(pool, "GET / HTTP/1.0\r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert(!p.head->is_keep_alive);
	test_assert_int(p.head->version_minor, 0);
	p = parse(pool, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	test_assert(p.head->is_keep_alive);
	p = parse(pool, "GET / HTTP/1.1\r\nHost: h\r\nConnection: x, close\r\n"
	                "\r\n");
	test_assert(!p.head->is_keep_alive);

	/* chunked, case-insensitive (§7) */
	p = parse(pool, "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\t"
	                "Chunked \r\n\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->framing, HTTP_FRAMING_CHUNKED);

	/* RFC 9110 §10.1.1 Expect */
	p = parse(pool, "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	                "Content-Length: 1\r\n\r\n");
	test_assert(p.head->expect_continue && !p.head->has_bad_expect);
	p = parse(pool, "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n");
	test_assert(p.head->has_bad_expect);
	p = parse(pool, "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
	test_assert(!p.head->expect_continue && !p.head->has_bad_expect);

	/* RFC 9110 §2.5: a higher 1.x minor is served as 1.1; unknown
	 * methods are the router's to refuse; obs-text is allowed */
	p = parse(pool, "FOO / HTTP/1.2\r\nHost: [::1]:80\r\nX: \xe9t\xe9\r\n"
	                "\r\n");
	test_assert_int(p.ret, 1);
	test_assert_int(p.head->method_id, HTTP_METHOD_UNKNOWN);
	test_assert_int(p.head->version_minor, 2);
	test_assert_str(p.head->authority, "[::1]:80");
	pool_free(&pool);
	test_end();
}

struct refusal {
	const char *input;
	unsigned status;
};

static const struct refusal refusals[] = {
    /* §2.2 bare LF and bare CR */
    {"GET / HTTP/1.1\nHost: a\n\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400},
    /* §5.2 obs-fold, §2.2 whitespace before the first field */
    {"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
    /* §5.1 no whitespace between field name and colon */
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400},
    /* §5.5 field values: no CTL, NUL or DEL */
    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
     "b\r\n\r\n",
     400},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400},
    /* §6.3: Content-Length with Transfer-Encoding, either order */
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
     "Content-Length: 3\r\n\r\n",
     400},
    /* §6.3 item 5: several Content-Lengths, lists, bad numbers */
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
     "Content-Length: 5\r\n\r\n",
     400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\n"
     "Content-Length: 99999999999999999999999\r\n\r\n",
     400},
    /* §6.3 item 4 and §6.1: chunked must be the final coding, once;
     * unknown codings are 501; TE in HTTP/1.0 is faulty framing */
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n"
     "\r\n",
     400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
     "\r\n",
     501},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    /* §3.2 exactly one valid Host in HTTP/1.1 */
    {"GET / HTTP/1.1\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
    {"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400},
    /* §3 request-line: single SPs, a version, a valid target */
    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
    {"GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /\r\n\r\n", 400},
    {"GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
    {"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /<x> HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    /* a TLS ClientHello on the plain port is refused at its first byte */
    {"\x16\x03\x01\x02", 400},
    /* §2.5, RFC 9110 §15.6.6: other major versions */
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
    {"GET / HTTP/0.9\r\n\r\n", 505},
    /* RFC 9110 §9.1: longer than any method implemented */
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ / HTTP/1.1\r\n", 501},
};

static void test_parser_refusals(void)
{
	test_begin("http_parser refusals (smuggling, grammar)");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct parsed p = parse(pool, refusals[i].input);
		test_assert_idx(p.ret == -1, i);
		test_assert_idx(p.status == refusals[i].status, i);
		test_assert_idx(p.error != NULL, i);
	}
	/* NUL in the target and in a value (parsers tolerate NULs) */
	static const char nul1[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
	struct parsed p = parse_with(NULL, pool, nul1, sizeof(nul1) - 1);
	test_assert(p.ret == -1 && p.status == 400);
	static const char nul2[] = "GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n";
	p = parse_with(NULL, pool, nul2, sizeof(nul2) - 1);
	test_assert(p.ret == -1 && p.status == 400);
	pool_free(&pool);
	test_end();
}

static void test_parser_limits(void)
{
	test_begin("http_parser limits (414, 431)");
	struct pool *pool = pool_new();
	struct http_parser_settings set = {
	    .max_request_line = 32, .max_header_bytes = 40, .max_headers = 3};
	/* exactly 32 bytes with CRLF: fine; 33: 414, before the line ends */
	const char *ok = "GET /1234567890123456 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct parsed p = parse_with(&set, pool, ok, strlen(ok));
	test_assert_int(p.ret, 1);
	const char *long_line = "GET /12345678901234567 HTTP/1.1";
	p = parse_with(&set, pool, long_line, strlen(long_line));
	test_assert_int(p.ret, -1);
	test_assert_int(p.status, 414);
	/* field lines: 40 bytes including CRLFs and the final empty line */
	const char *fits = "GET / HTTP/1.1\r\nHost: a\r\n"
	                   "X: 12345678901234567890123456\r\n\r\n";
	p = parse_with(&set, pool, fits, strlen(fits));
	test_assert_int(p.ret, 1);
	const char *big = "GET / HTTP/1.1\r\nHost: a\r\n"
	                  "X: 123456789012345678901234567\r\n\r\n";
	p = parse_with(&set, pool, big, strlen(big));
	test_assert_int(p.ret, -1);
	test_assert_int(p.status, 431);
	const char *endless = "GET / HTTP/1.1\r\nHost: a\r\nX: "
	                      "1234567890123456789012345678901234567890";
	p = parse_with(&set, pool, endless, strlen(endless));
	test_assert_int(p.status, 431);
	const char *many = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n";
	p = parse_with(&set, pool, many, strlen(many));
	test_assert_int(p.ret, -1);
	test_assert_int(p.status, 431);
	pool_free(&pool);
	test_end();
}

static void test_parser_pipelined(void)
{
	test_begin("http_parser stops at the end of the head");
	struct pool *pool = pool_new();
	struct http_parser *parser = http_parser_new(NULL);
	const char *two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	                  "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct parsed p = parse_steps(parser, pool, two, strlen(two), 0);
	test_assert_int(p.ret, 1);
	test_assert_str(p.head->path, "/1");
	size_t first = p.consumed;
	p = parse_steps(parser, pool, two + first, strlen(two) - first, 0);
	test_assert_int(p.ret, 1);
	test_assert_str(p.head->path, "/2");
	test_assert_int(first + p.consumed, strlen(two));
	/* only empty lines: not started yet */
	http_parser_reset(parser, pool);
	size_t consumed;
	unsigned status;
	const char *error;
	struct http_request_head *head;
	test_assert_int(http_parser_parse(parser, (const unsigned char *)"\r\n",
	                                  2, &consumed, &head, &status, &error),
	                0);
	test_assert(!http_parser_has_started(parser));
	test_assert_int(http_parser_parse(parser, (const unsigned char *)"G", 1,
	                                  &consumed, &head, &status, &error),
	                0);
	test_assert(http_parser_has_started(parser));
	http_parser_free(&parser);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_parser_accepts, test_parser_options,   test_parser_refusals,
	    test_parser_limits,  test_parser_pipelined, NULL};
	return test_run(tests);
}
