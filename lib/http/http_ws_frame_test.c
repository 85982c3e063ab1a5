/* Tests of the WebSocket frame reader and writer: RFC 6455 §5.7's
 * examples, every input fed whole and one byte at a time, fragmentation
 * with control frames between the fragments, the limits, and each
 * protocol error with its close code. */
#include "http/http_ws_frame.h"
#include "core/buf.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

/* A masked client frame into out. */
static void frame(struct buf *out, unsigned first, const char *payload,
                  size_t len)
{
	static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	unsigned char h[HTTP_WS_HEADER_MAX];
	size_t hl = http_ws_frame_header(HTTP_WS_TEXT, len, h);
	h[0] = (unsigned char)first;
	h[1] |= 0x80;
	buf_append(out, h, hl);
	buf_append(out, mask, 4);
	for (size_t i = 0; i < len; i++)
		buf_append_char(out, (char)(payload[i] ^ mask[i & 3]));
}

/* Feeds data whole (step 0) or step bytes at a time; writes what came
 * out as "M:text|P:x|C:1000:bye|" or "E<code>". */
static void feed(const unsigned char *data, size_t size, size_t step,
                 size_t max, char *out, size_t out_size)
{
	struct http_ws_reader r;
	http_ws_reader_init(&r, max);
	size_t pos = 0, len = 0;
	out[0] = '\0';
	while (pos < size) {
		size_t n = step == 0 || size - pos < step ? size - pos : step;
		size_t used = 0;
		while (used < n) {
			struct http_ws_event ev;
			unsigned code;
			const char *error;
			size_t c;
			int ret = http_ws_reader_read(&r, data + pos + used,
			                              n - used, &c, &ev, &code,
			                              &error);
			used += c;
			if (ret < 0) {
				snprintf(out + len, out_size - len, "E%u", code);
				http_ws_reader_deinit(&r);
				return;
			}
			if (ret == 0)
				break;
			static const char *const kind[] = {"M", "P", "O", "C"};
			if (ev.type == HTTP_WS_EVENT_CLOSE)
				len += (size_t)snprintf(out + len, out_size - len,
				                        "C:%u:%.*s|", ev.code,
				                        (int)ev.size, ev.data);
			else
				len += (size_t)snprintf(
				    out + len, out_size - len, "%s%s:%.*s|",
				    kind[ev.type], ev.is_text ? "t" : "",
				    (int)(ev.size > 40 ? 40 : ev.size), ev.data);
		}
		pos += n;
	}
	http_ws_reader_deinit(&r);
}

static void check(const struct buf *in, size_t max, const char *want)
{
	char got[512];
	feed((const unsigned char *)in->data, in->len, 0, max, got,
	     sizeof(got));
	test_assert_str(got, want);
	feed((const unsigned char *)in->data, in->len, 1, max, got,
	     sizeof(got));
	test_assert_str(got, want);
	feed((const unsigned char *)in->data, in->len, 7, max, got,
	     sizeof(got));
	test_assert_str(got, want);
}

static void test_rfc_examples(void)
{
	test_begin("ws frames: RFC 6455 §5.7 examples");
	/* a single-frame masked text message "Hello" */
	static const unsigned char hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21,
	                                      0x3d, 0x7f, 0x9f, 0x4d, 0x51,
	                                      0x58};
	struct buf b;
	buf_init(&b);
	buf_append(&b, hello, sizeof(hello));
	check(&b, 1024, "Mt:Hello|");
	/* the masked Pong of the example, and an unmasked one refused */
	static const unsigned char pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21,
	                                     0x3d, 0x7f, 0x9f, 0x4d, 0x51,
	                                     0x58};
	buf_truncate(&b, 0);
	buf_append(&b, pong, sizeof(pong));
	check(&b, 1024, "O:Hello|");
	static const unsigned char ping[] = {0x89, 0x05, 'H', 'e', 'l', 'l',
	                                     'o'};
	buf_truncate(&b, 0);
	buf_append(&b, ping, sizeof(ping));
	check(&b, 1024, "E1002");
	/* the server's headers: 5, 256 and 65536 bytes */
	unsigned char h[HTTP_WS_HEADER_MAX];
	test_assert(http_ws_frame_header(HTTP_WS_TEXT, 5, h) == 2);
	test_assert(h[0] == 0x81 && h[1] == 0x05);
	test_assert(http_ws_frame_header(HTTP_WS_BINARY, 256, h) == 4);
	test_assert(h[0] == 0x82 && h[1] == 0x7e && h[2] == 0x01 && h[3] == 0);
	test_assert(http_ws_frame_header(HTTP_WS_BINARY, 65536, h) == 10);
	static const unsigned char big[] = {0x82, 0x7f, 0, 0, 0, 0,
	                                    0,    1,    0, 0};
	test_assert(memcmp(h, big, sizeof(big)) == 0);
	buf_deinit(&b);
	test_end();
}

static void test_fragments(void)
{
	test_begin("ws frames: fragments with control frames between");
	struct buf b;
	buf_init(&b);
	/* "Hel" (text, no FIN), ping, "lo" (continuation, FIN) */
	frame(&b, 0x01, "Hel", 3);
	frame(&b, 0x89, "p1", 2);
	frame(&b, 0x80, "lo", 2);
	frame(&b, 0x82, "", 0);
	frame(&b, 0x88, "\x03\xe8" "bye", 5);
	check(&b, 1024, "P:p1|Mt:Hello|M:|C:1000:bye|");
	/* a close without a code */
	buf_truncate(&b, 0);
	frame(&b, 0x88, "", 0);
	check(&b, 1024, "C:1005:|");
	/* 70,000 bytes: the 64-bit length */
	buf_truncate(&b, 0);
	static char large[70000];
	memset(large, 'x', sizeof(large));
	frame(&b, 0x82, large, sizeof(large));
	char want[64];
	snprintf(want, sizeof(want), "M:%.40s|", large);
	check(&b, 100000, want);
	buf_deinit(&b);
	test_end();
}

static void test_errors(void)
{
	test_begin("ws frames: refusals and their close codes");
	static const struct {
		unsigned first;
		const char *payload;
		size_t len;
		const char *want;
	} cases[] = {
	    {0xc1, "a", 1, "E1002"},           /* RSV1 without extension */
	    {0x83, "a", 1, "E1002"},           /* reserved data opcode */
	    {0x8b, "a", 1, "E1002"},           /* reserved control opcode */
	    {0x80, "a", 1, "E1002"},           /* continuation, no message */
	    {0x09, "a", 1, "E1002"},           /* fragmented ping */
	    {0x81, "\xff", 1, "E1007"},        /* not UTF-8 */
	    {0x81, "\xed\xa0\x80", 3, "E1007"}, /* a surrogate */
	    {0x88, "\x03", 1, "E1002"},        /* close of one byte */
	    {0x88, "\x03\xed", 2, "E1002"},    /* close code 1005 sent */
	    {0x88, "\x00\x10", 2, "E1002"},    /* close code 16 */
	    {0x88, "\x03\xe8\xff", 3, "E1007"}, /* reason not UTF-8 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf b;
		buf_init(&b);
		frame(&b, cases[i].first, cases[i].payload, cases[i].len);
		char got[64];
		feed((const unsigned char *)b.data, b.len, 1, 1024, got,
		     sizeof(got));
		test_assert_idx(strcmp(got, cases[i].want) == 0, i);
		buf_deinit(&b);
	}
	struct buf b;
	buf_init(&b);
	/* a new message inside a fragmented one */
	frame(&b, 0x01, "a", 1);
	frame(&b, 0x81, "b", 1);
	check(&b, 1024, "E1002");
	/* a control frame of 126 bytes */
	buf_truncate(&b, 0);
	static char c126[126];
	memset(c126, 'p', sizeof(c126));
	frame(&b, 0x89, c126, sizeof(c126));
	check(&b, 1024, "E1002");
	/* too big: one frame, and fragments adding up */
	buf_truncate(&b, 0);
	frame(&b, 0x81, "0123456789a", 11);
	check(&b, 10, "E1009");
	buf_truncate(&b, 0);
	frame(&b, 0x01, "012345", 6);
	frame(&b, 0x80, "6789a", 5);
	check(&b, 10, "E1009");
	/* exactly the limit passes */
	buf_truncate(&b, 0);
	frame(&b, 0x01, "012345", 6);
	frame(&b, 0x80, "6789", 4);
	check(&b, 10, "Mt:0123456789|");
	/* the 64-bit length's top bit */
	static const unsigned char top[] = {0x82, 0xff, 0x80, 0, 0, 0,
	                                    0,    0,    0,    1, 1, 2, 3, 4};
	buf_truncate(&b, 0);
	buf_append(&b, top, sizeof(top));
	check(&b, 1024, "E1002");
	buf_deinit(&b);
	test_assert(http_ws_close_code_is_valid(1000));
	test_assert(http_ws_close_code_is_valid(4999));
	test_assert(!http_ws_close_code_is_valid(1004));
	test_assert(!http_ws_close_code_is_valid(1006));
	test_assert(!http_ws_close_code_is_valid(1015));
	test_assert(!http_ws_close_code_is_valid(5000));
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_rfc_examples,
	                                      test_fragments, test_errors,
	                                      NULL};
	return test_run(tests);
}
