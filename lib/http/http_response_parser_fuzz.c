/* Fuzzer for the response-head parser (what a DAV server, or anything
 * pretending to be one, sends the terminal client). The input is parsed
 * whole and again in pieces whose size comes from its first byte; both
 * must agree on the result, where the head ends and the framing. An
 * accepted head must have a status in 100-599, field values without CR,
 * LF or NUL, exactly one way of delimiting the body, and no keep-alive
 * when the body runs until close. */
#include "core/pool.h"
#include "http/http_response_parser.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int ret;
	size_t end;
	struct http_response_head *head;
};

static struct result parse(struct http_response_parser *parser,
                           struct pool *pool, const uint8_t *data, size_t size,
                           size_t step, bool is_head)
{
	struct result r = {0};
	size_t pos = 0;
	const char *error;
	http_response_parser_reset(parser, pool, is_head);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step, consumed;
		r.ret = http_response_parser_parse(parser, data + pos, n,
		                                   &consumed, &r.head, &error);
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

static void check_head(const struct http_response_head *head)
{
	if (head->status < 100 || head->status > 599)
		__builtin_trap();
	for (unsigned i = 0; i < head->headers.count; i++) {
		const char *v = head->headers.items[i].value;
		if (strpbrk(v, "\r\n") != NULL ||
		    strpbrk(head->headers.items[i].name, "\r\n: \t") != NULL)
			__builtin_trap();
	}
	if (head->is_until_close &&
	    (head->framing != HTTP_FRAMING_NONE || head->is_keep_alive))
		__builtin_trap();
	if (head->framing == HTTP_FRAMING_LENGTH && head->content_length == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)(data[0] % 13) + 1;
	bool is_head = (data[0] & 0x80) != 0;
	data++;
	size--;
	struct http_response_parser_settings set = {
	    .max_line = 1024, .max_header_bytes = 4096, .max_headers = 32};
	struct http_response_parser *parser = http_response_parser_new(&set);
	struct pool *pool = pool_new();
	struct result whole = parse(parser, pool, data, size, size, is_head);
	struct result parts = parse(parser, pool, data, size, step, is_head);
	if (whole.ret != parts.ret || whole.end != parts.end)
		__builtin_trap();
	if (whole.ret > 0) {
		check_head(whole.head);
		check_head(parts.head);
		if (whole.head->framing != parts.head->framing ||
		    whole.head->status != parts.head->status ||
		    whole.head->is_until_close != parts.head->is_until_close)
			__builtin_trap();
	}
	pool_free(&pool);
	http_response_parser_free(&parser);
	return 0;
}
