/* Tests for http_range.c with the examples of RFC 9110 §14.1.2 on a
 * 10000-byte representation, coalescing, 416 and the ignored cases. */
#include "http/http_range.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <inttypes.h>

/* "first-last,..." of the parsed ranges, or "ignore" / "416". */
static const char *ranges(struct buf *out, const char *value, uint64_t len)
{
	struct pool *pool = pool_new();
	struct http_range *r;
	unsigned count;
	buf_truncate(out, 0);
	int ret = http_range_parse(value, len, 8, pool, &r, &count);
	if (ret == 0)
		buf_append_str(out, "ignore");
	else if (ret < 0)
		buf_append_str(out, "416");
	else
		for (unsigned i = 0; i < count; i++)
			buf_printf(out, "%s%" PRIu64 "-%" PRIu64,
			           i > 0 ? "," : "", r[i].first, r[i].last);
	pool_free(&pool);
	return out->data;
}

static void test_range_parse(void)
{
	test_begin("http_range (§14.1.2)");
	struct buf b;
	buf_init(&b);
	/* the RFC's examples */
	test_assert_str(ranges(&b, "bytes=0-499", 10000), "0-499");
	test_assert_str(ranges(&b, "bytes=500-999", 10000), "500-999");
	test_assert_str(ranges(&b, "bytes=-500", 10000), "9500-9999");
	test_assert_str(ranges(&b, "bytes=9500-", 10000), "9500-9999");
	test_assert_str(ranges(&b, "bytes=0-0,-1", 10000), "0-0,9999-9999");
	test_assert_str(ranges(&b, "bytes= 0-999, 4500-5499, -1000", 10000),
	                "0-999,4500-5499,9000-9999");
	test_assert_str(ranges(&b, "bytes=500-600,601-999", 10000), "500-999");
	test_assert_str(ranges(&b, "bytes=500-700,601-999", 10000), "500-999");
	/* unit is case-insensitive; last-pos past the end is cut */
	test_assert_str(ranges(&b, "Bytes=9000-20000", 10000), "9000-9999");
	test_assert_str(ranges(&b, "bytes=-20000", 10000), "0-9999");
	/* unordered and close ranges are sorted and merged */
	test_assert_str(ranges(&b, "bytes=150-300,0-100", 10000), "0-300");
	test_assert_str(ranges(&b, "bytes=5000-5010,0-10", 10000),
	                "0-10,5000-5010");
	/* unsatisfiable: 416 only if none is satisfiable */
	test_assert_str(ranges(&b, "bytes=10000-", 10000), "416");
	test_assert_str(ranges(&b, "bytes=-0", 10000), "416");
	test_assert_str(ranges(&b, "bytes=10000-,0-1", 10000), "0-1");
	/* ignored: other units, bad syntax, too many, empty files */
	test_assert_str(ranges(&b, "items=0-1", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=1-0", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=a-b", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=--1", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=0-1-2", 10000), "ignore");
	test_assert_str(ranges(&b, "bytes=99999999999999999999-", 10000),
	                "ignore");
	test_assert_str(ranges(&b,
	                       "bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,"
	                       "14-15,16-17",
	                       10000),
	                "ignore");
	test_assert_str(ranges(&b, "bytes=0-1", 0), "ignore");
	buf_deinit(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_range_parse, NULL};
	return test_run(tests);
}
