/* Fuzzer for the request-head parser and the chunked decoder. The input is
 * parsed whole and again in pieces whose size comes from its last byte;
 * both must agree on the result, the status and where the head ends,
 * because request smuggling lives in exactly such disagreements. An
 * accepted head must hold no bare LF or CR, and must not carry both
 * Content-Length and Transfer-Encoding or two Content-Lengths. What
 * follows an accepted chunked head, and the whole input too, go through
 * the chunked decoder the same two ways, which must agree on the bytes. */
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_body.h"
#include "http/http_parser.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct head_result {
	int ret;
	unsigned status;
	size_t end;
	struct http_request_head *head;
};

static struct head_result parse_head(struct http_parser *parser,
                                     struct pool *pool, const uint8_t *data,
                                     size_t size, size_t step)
{
	struct head_result r = {0};
	size_t pos = 0;
	const char *error;
	http_parser_reset(parser, pool);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step, consumed;
		r.ret = http_parser_parse(parser, data + pos, n, &consumed,
		                          &r.head, &r.status, &error);
		if (consumed > n)
			__builtin_trap();
		if (r.ret != 0) {
			r.end = r.ret > 0 ? pos + consumed : 0;
			return r;
		}
		pos += n;
	}
	return r;
}

/* Returns 1 done, 0 needs more, -1 refused; the body goes to out. */
static int decode_chunked(const uint8_t *data, size_t size, size_t step,
                          struct buf *out, size_t *end_r, unsigned *status_r)
{
	struct http_body_settings set = {.max_size = 1 << 20};
	struct http_body *body = http_body_new(HTTP_FRAMING_CHUNKED, 0, &set);
	size_t pos = 0, fed = 0;
	int ret = 0;
	*status_r = 0;
	while (!http_body_is_done(body)) {
		if (fed < size)
			fed += size - fed < step ? size - fed : step;
		const unsigned char *piece;
		size_t consumed, n;
		const char *error;
		int r = http_body_read(body, data + pos, fed - pos, &consumed,
		                       &piece, &n, status_r, &error);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (consumed > fed - pos || n > consumed)
			__builtin_trap();
		buf_append(out, piece, n);
		pos += consumed;
		if (r == 0 && fed == size && !http_body_is_done(body))
			break;
	}
	if (ret == 0 && http_body_is_done(body))
		ret = 1;
	*end_r = pos;
	http_body_free(&body);
	return ret;
}

static void check_chunked(const uint8_t *data, size_t size, size_t step)
{
	struct buf a, b;
	size_t end_a, end_b;
	unsigned st_a, st_b;
	buf_init(&a);
	buf_init(&b);
	int ra =
	    decode_chunked(data, size, size > 0 ? size : 1, &a, &end_a, &st_a);
	int rb = decode_chunked(data, size, step, &b, &end_b, &st_b);
	if (ra != rb || st_a != st_b ||
	    (ra == 1 && (end_a != end_b || a.len != b.len ||
	                 memcmp(a.data, b.data, a.len) != 0)))
		__builtin_trap();
	buf_deinit(&a);
	buf_deinit(&b);
}

/* What an accepted head may never contain. */
static void check_head(const uint8_t *data, const struct head_result *r)
{
	for (size_t i = 0; i < r->end; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			__builtin_trap();
		if (data[i] == '\r' && (i + 1 >= r->end || data[i + 1] != '\n'))
			__builtin_trap();
	}
	const struct http_headers *h = &r->head->headers;
	unsigned cl = http_headers_count(h, "Content-Length");
	unsigned te = http_headers_count(h, "Transfer-Encoding");
	if (cl > 1 || (cl > 0 && te > 0) ||
	    (r->head->framing == HTTP_FRAMING_CHUNKED && te == 0))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parser_settings set = {.max_request_line = 512,
	                                   .max_header_bytes = 2048,
	                                   .max_headers = 20};
	struct http_parser *parser = http_parser_new(&set);
	struct pool *pool = pool_new();
	size_t step = size > 0 ? 1 + data[size - 1] % 7 : 1;
	struct head_result whole =
	    parse_head(parser, pool, data, size, size > 0 ? size : 1);
	struct head_result pieces = parse_head(parser, pool, data, size, step);
	if (whole.ret != pieces.ret || whole.status != pieces.status ||
	    whole.end != pieces.end)
		__builtin_trap();
	if (whole.ret < 0 && (whole.status < 400 || whole.status > 505))
		__builtin_trap();
	if (whole.ret > 0) {
		check_head(data, &whole);
		if (whole.head->framing == HTTP_FRAMING_CHUNKED)
			check_chunked(data + whole.end, size - whole.end, step);
	}
	check_chunked(data, size, step);
	pool_free(&pool);
	http_parser_free(&parser);
	return 0;
}
