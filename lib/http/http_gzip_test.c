/* Tests for http_gzip.c: Accept-Encoding with q-values (RFC 9110
 * §12.5.3, including identity;q=0 and "*"), the media types, and a round
 * trip through zlib's inflate of a stream written in pieces. */
#include "http/http_gzip.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>
#include <zlib.h>

static void test_gzip_accept(void)
{
	test_begin("http_gzip Accept-Encoding");
	static const struct {
		const char *value;
		bool gzip, identity_refused;
	} rows[] = {
	    {NULL, false, false},
	    {"", false, false},
	    {"gzip", true, false},
	    {"GZIP", true, false},
	    {"x-gzip", true, false},
	    {"deflate, gzip;q=1.0, br", true, false},
	    {"gzip;q=0", false, false},
	    {"gzip; q=0.000", false, false},
	    {"gzip;q=0.001", true, false},
	    {"gzip;q=0.5, identity", false, false},
	    {"gzip;q=0.5, identity;q=0.4", true, false},
	    {"gzip, identity;q=0", true, true},
	    {"*", true, false},
	    {"*;q=0", false, true},
	    {"*;q=0, identity", false, false},
	    {"*, gzip;q=0", false, false},
	    {"br, deflate", false, false},
	    {"gzip;q=2", false, false}, /* bad qvalue: ignored */
	    {"gzip;q=0.1234", false, false},
	    {"gzip;q", false, false},
	    {"compress, gzip ;q=0.9", true, false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool refused;
		test_assert_idx(http_gzip_is_accepted(rows[i].value,
		                                      &refused) == rows[i].gzip,
		                i);
		test_assert_idx(refused == rows[i].identity_refused, i);
	}
	test_end();
}

static void test_gzip_types(void)
{
	test_begin("http_gzip compressible types");
	test_assert(http_gzip_is_compressible("text/html; charset=utf-8"));
	test_assert(http_gzip_is_compressible("Text/CSS"));
	test_assert(http_gzip_is_compressible("application/json"));
	test_assert(http_gzip_is_compressible("application/jmap+json"));
	test_assert(http_gzip_is_compressible("application/xml;charset=x"));
	test_assert(http_gzip_is_compressible("application/davmount+xml"));
	test_assert(http_gzip_is_compressible("image/svg+xml"));
	test_assert(!http_gzip_is_compressible("image/png"));
	test_assert(!http_gzip_is_compressible("application/octet-stream"));
	test_assert(!http_gzip_is_compressible("text/"));
	test_assert(!http_gzip_is_compressible("application/jsonx"));
	test_assert(!http_gzip_is_compressible(NULL));
	test_end();
}

static void test_gzip_roundtrip(void)
{
	test_begin("http_gzip stream inflates back");
	struct buf in, out;
	buf_init(&in);
	buf_init(&out);
	for (int i = 0; i < 20000; i++)
		buf_printf(&in, "line %d of the text\n", i % 97);
	struct http_gzip *gz = http_gzip_new();
	for (size_t pos = 0; pos < in.len; pos += 7777) {
		size_t n = in.len - pos < 7777 ? in.len - pos : 7777;
		http_gzip_write(gz, in.data + pos, n, &out);
	}
	http_gzip_finish(gz, &out);
	http_gzip_free(&gz);
	test_assert(gz == NULL);
	test_assert(out.len > 18 && out.len < in.len / 10);
	test_assert((unsigned char)out.data[0] == 0x1f &&
	            (unsigned char)out.data[1] == 0x8b);
	z_stream z;
	memset(&z, 0, sizeof(z));
	test_assert(inflateInit2(&z, 16 + 15) == Z_OK);
	struct buf back;
	buf_init(&back);
	buf_reserve(&back, in.len + 16);
	z.next_in = (Bytef *)out.data;
	z.avail_in = (uInt)out.len;
	z.next_out = (Bytef *)back.data;
	z.avail_out = (uInt)(in.len + 16);
	test_assert_int(inflate(&z, Z_FINISH), Z_STREAM_END);
	back.len = z.total_out;
	inflateEnd(&z);
	test_assert_int(back.len, in.len);
	test_assert(memcmp(back.data, in.data, in.len) == 0);
	buf_deinit(&back);
	buf_deinit(&in);
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_gzip_accept, test_gzip_types,
	                                      test_gzip_roundtrip, NULL};
	return test_run(tests);
}
