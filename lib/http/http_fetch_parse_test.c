/* Tests for the reply parser of http_fetch.h (RFC 9112): framing by
 * Content-Length, chunked and the close, interim 1xx responses, each
 * response fed a byte at a time (0 until complete), and the refusals:
 * bad status lines, obsolete folding, conflicting lengths, unknown
 * codings, bodies past the limit, and a close too early. */
#include "http/http_fetch.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static const struct {
	const char *in;
	int ret; /* with is_eof at the end */
	unsigned status;
	const char *body, *type, *error;
} cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
     "\r\nhello",
     1, 200, "hello", "text/plain", NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: a\r\n\r\n",
     1, 200, "hello world", NULL, NULL},
    {"HTTP/1.0 200 OK\r\n\r\nuntil the close", 1, 200, "until the close", NULL,
     NULL},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
     "Content-Length: 2\r\n\r\nno",
     1, 404, "no", NULL, NULL},
    {"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\nContent-Length: 0\r\n"
     "\r\n",
     1, 301, "", NULL, NULL},
    {"HTTP/1.1 200\r\nContent-Length: 3, 3\r\n\r\nabc", 1, 200, "abc", NULL,
     NULL},
    {"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 1, 200, "ok", NULL, NULL},
    {"HTTP/2 200 OK\r\n\r\n", -1, 0, NULL, NULL, "bad status line"},
    {"HTTP/1.1 20 OK\r\n\r\n", -1, 0, NULL, NULL, "bad status line"},
    {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", -1, 0, NULL, NULL,
     "obsolete line folding"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     -1, 0, NULL, NULL, "conflicting Content-Length"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -1, 0, NULL,
     NULL, "transfer coding other than chunked"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort", -1, 0, NULL, NULL,
     "closed before Content-Length"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", -1, 0, NULL, NULL,
     "body too large"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", -1, 0,
     NULL, NULL, "closed inside the chunked body"},
    {"HTTP/1.1 200 OK\r\nX y: z\r\n\r\n", -1, 0, NULL, NULL, "bad field line"},
    {"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -1, 0, NULL, NULL, "bare CR"},
};

static void test_fetch_parse(void)
{
	test_begin("http fetch reply parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char *in = (const unsigned char *)cases[i].in;
		size_t len = strlen(cases[i].in);
		struct pool *pool = pool_new();
		struct http_fetch_reply r = {0};
		const char *error = NULL;
		buf_init(&r.body);
		/* a byte at a time: never complete, never an error before
		 * the bytes that make it one */
		int ret = 0;
		size_t n = 0;
		for (; n < len && ret == 0; n++)
			ret = http_fetch_parse(in, n, false, 1000, pool, &r,
			                       &error);
		test_assert_idx(ret == 0 || cases[i].ret == -1, i);
		ret = http_fetch_parse(in, len, true, 1000, pool, &r, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 1) {
			test_assert_idx(r.status == cases[i].status, i);
			test_assert_idx(strcmp(r.body.data, cases[i].body) == 0,
			                i);
			test_assert_idx(
			    cases[i].type == NULL
			        ? r.content_type == NULL
			        : strcmp(r.content_type, cases[i].type) == 0,
			    i);
		} else if (ret < 0) {
			test_assert_str(error, cases[i].error);
		}
		buf_deinit(&r.body);
		pool_free(&pool);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_fetch_parse, NULL};
	return test_run(tests);
}
