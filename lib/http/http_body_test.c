/* Tests for http_body.c (RFC 9112 §6.2, §7.1): each body is decoded whole
 * and one byte at a time; both must give the same bytes, the same end and
 * the same refusal. Bad chunk sizes (overflow, signs, 0x, spaces), bad
 * extensions, missing CRLF after data, bare LF, trailer limits, body size
 * limits. */
#include "http/http_body.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

struct decoded {
	int ret; /* 1 done, 0 needs more, -1 refused */
	unsigned status;
	size_t consumed; /* bytes of input the body took */
	struct buf out;
};

static void decode_steps(enum http_framing framing, uint64_t length,
                         const struct http_body_settings *set,
                         const char *input, size_t len, size_t step,
                         struct decoded *d)
{
	struct http_body *body = http_body_new(framing, length, set);
	size_t pos = 0, fed = 0;
	buf_init(&d->out);
	d->ret = 0;
	d->status = 0;
	/* feed step bytes more each round; the decoder may leave some */
	while (!http_body_is_done(body)) {
		if (fed < len)
			fed += step == 0 || len - fed < step ? len - fed : step;
		size_t consumed, out_size;
		const unsigned char *out;
		const char *error;
		int ret = http_body_read(
		    body, (const unsigned char *)input + pos, fed - pos,
		    &consumed, &out, &out_size, &d->status, &error);
		if (ret < 0) {
			d->ret = -1;
			test_assert(error != NULL);
			break;
		}
		buf_append(&d->out, out, out_size);
		pos += consumed;
		if (ret == 0 && fed == len && !http_body_is_done(body))
			break;
	}
	if (d->ret == 0 && http_body_is_done(body)) {
		d->ret = 1;
		test_assert_int(http_body_size(body), d->out.len);
	}
	d->consumed = pos;
	http_body_free(&body);
}

static struct decoded decode(enum http_framing framing, uint64_t length,
                             const struct http_body_settings *set,
                             const char *input)
{
	struct decoded whole, bytes;
	size_t len = strlen(input);
	decode_steps(framing, length, set, input, len, 0, &whole);
	decode_steps(framing, length, set, input, len, 1, &bytes);
	test_assert_int(bytes.ret, whole.ret);
	test_assert_int(bytes.status, whole.status);
	if (whole.ret == 1) {
		test_assert_int(bytes.consumed, whole.consumed);
		test_assert_str(bytes.out.data, whole.out.data);
	}
	buf_deinit(&bytes.out);
	return whole;
}

static void test_body_length(void)
{
	test_begin("http_body Content-Length");
	struct decoded d = decode(HTTP_FRAMING_LENGTH, 5, NULL, "helloGET /");
	test_assert_int(d.ret, 1);
	test_assert_str(d.out.data, "hello");
	test_assert_int(d.consumed, 5);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_LENGTH, 5, NULL, "hel");
	test_assert_int(d.ret, 0);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_NONE, 0, NULL, "GET");
	test_assert_int(d.ret, 1);
	test_assert_int(d.consumed, 0);
	buf_deinit(&d.out);
	struct http_body_settings set = {.max_size = 4};
	d = decode(HTTP_FRAMING_LENGTH, 5, &set, "hello");
	test_assert_int(d.ret, -1);
	test_assert_int(d.status, 413);
	buf_deinit(&d.out);
	test_end();
}

static void test_body_chunked(void)
{
	test_begin("http_body chunked");
	const char *in = "5\r\nhello\r\n6;name=val;q=\"x y\" ; z\r\n world\r\n"
	                 "00000000000000000001\r\n!\r\n"
	                 "0\r\nTrailer: x\r\nOther:\r\n\r\nGET /next";
	struct decoded d = decode(HTTP_FRAMING_CHUNKED, 0, NULL, in);
	test_assert_int(d.ret, 1);
	test_assert_str(d.out.data, "hello world!");
	test_assert_int(d.consumed, strlen(in) - strlen("GET /next"));
	buf_deinit(&d.out);
	/* upper-case hex, an empty body, a missing final CRLF */
	d = decode(HTTP_FRAMING_CHUNKED, 0, NULL,
	           "A\r\n0123456789\r\n0\r\n\r\n");
	test_assert_int(d.ret, 1);
	test_assert_int(d.out.len, 10);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, NULL, "0\r\n\r\n");
	test_assert_int(d.ret, 1);
	test_assert_int(d.out.len, 0);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, NULL, "0\r\n");
	test_assert_int(d.ret, 0);
	buf_deinit(&d.out);
	test_end();
}

struct refusal {
	const char *input;
	unsigned status;
};

static const struct refusal refusals[] = {
    {"g\r\nhello\r\n0\r\n\r\n", 400},  /* not hex */
    {"\r\n0\r\n\r\n", 400},            /* empty size */
    {"-5\r\nhello\r\n0\r\n\r\n", 400}, /* sign */
    {"+5\r\nhello\r\n0\r\n\r\n", 400},
    {"0x5\r\nhello\r\n0\r\n\r\n", 400}, /* C syntax */
    {" 5\r\nhello\r\n0\r\n\r\n", 400},  /* leading space */
    {"5 \r\nhello\r\n0\r\n\r\n", 400},  /* BWS only before ";" */
    {"5 5\r\nhello\r\n0\r\n\r\n", 400},
    {"5;\r\nhello\r\n0\r\n\r\n", 400},      /* empty extension name */
    {"5;a=\r\nhello\r\n0\r\n\r\n", 400},    /* empty extension value */
    {"5;a=\"x\r\nhello\r\n0\r\n\r\n", 400}, /* unterminated quote */
    {"5;a b\r\nhello\r\n0\r\n\r\n", 400},
    {"FFFFFFFFFFFFFFFFF\r\n", 400}, /* overflows 64 bits */
    {"10000000000000000\r\n", 400},
    {"5\r\nhelloX\r\n0\r\n\r\n", 400}, /* data not ended by CRLF */
    {"5\r\nhello\n0\r\n\r\n", 400},
    {"5\r\nhello\r\r\n0\r\n\r\n", 400},
    {"5\nhello\r\n0\r\n\r\n", 400}, /* bare LF */
    {"5\rhello\r\n0\r\n\r\n", 400}, /* bare CR */
    {"0\r\n\n", 400},
    {"0\r\n x: y\r\n\r\n", 400}, /* obs-fold in trailers */
    {"0\r\nno colon\r\n\r\n", 400},
    {"0\r\nX : y\r\n\r\n", 400},
    {"0\r\nX: \x01\r\n\r\n", 400},
};

static void test_body_refusals(void)
{
	test_begin("http_body chunked refusals");
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct decoded d =
		    decode(HTTP_FRAMING_CHUNKED, 0, NULL, refusals[i].input);
		test_assert_idx(d.ret == -1, i);
		test_assert_idx(d.status == refusals[i].status, i);
		buf_deinit(&d.out);
	}
	test_end();
}

static void test_body_limits(void)
{
	test_begin("http_body limits");
	struct http_body_settings set = {.max_chunk_line = 8,
	                                 .max_trailer_bytes = 12,
	                                 .max_trailers = 2,
	                                 .max_size = 10};
	/* the size line: 8 bytes with CRLF fit, 9 do not */
	struct decoded d =
	    decode(HTTP_FRAMING_CHUNKED, 0, &set, "1;a=bc\r\nx\r\n0\r\n\r\n");
	test_assert_int(d.ret, 1);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set, "1;a=bcd\r\nx\r\n0\r\n\r\n");
	test_assert_int(d.ret, -1);
	test_assert_int(d.status, 400);
	buf_deinit(&d.out);
	/* the body: 10 bytes fit; 11 are refused, by the announced size
	 * before any data */
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set,
	           "5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n");
	test_assert_int(d.ret, 1);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set, "5\r\n12345\r\n6\r\n");
	test_assert_int(d.ret, -1);
	test_assert_int(d.status, 413);
	buf_deinit(&d.out);
	/* trailers: 12 bytes with CRLFs, at most 2 fields */
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set, "0\r\nA: 1\r\nB: 2\r\n\r\n");
	test_assert_int(d.ret, 1);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set, "0\r\nA: 12\r\nB: 2\r\n\r\n");
	test_assert_int(d.ret, -1);
	test_assert_int(d.status, 431);
	buf_deinit(&d.out);
	d = decode(HTTP_FRAMING_CHUNKED, 0, &set,
	           "0\r\nA:\r\nB:\r\nC:\r\n\r\n");
	test_assert_int(d.ret, -1);
	test_assert_int(d.status, 431);
	buf_deinit(&d.out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_body_length, test_body_chunked, test_body_refusals,
	    test_body_limits, NULL};
	return test_run(tests);
}
