/* Unit tests for base64, with the vectors of RFC 4648 §10. */
#include "core/base64.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

static const struct {
	const char *plain, *encoded;
} vectors[] = {
	{ "", "" },	       { "f", "Zg==" },	    { "fo", "Zm8=" },
	{ "foo", "Zm9v" },     { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_base64_vectors(void)
{
	test_begin("base64 RFC 4648 vectors both ways");
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b;
		buf_init(&b);
		base64_encode(vectors[i].plain, strlen(vectors[i].plain), &b);
		test_assert_str(b.data, vectors[i].encoded);
		buf_truncate(&b, 0);
		test_assert_idx(base64_decode(vectors[i].encoded,
					      strlen(vectors[i].encoded),
					      &b) == 0, i);
		test_assert_str(b.data, vectors[i].plain);
		buf_deinit(&b);
	}
	test_end();
}

static void test_base64_invalid(void)
{
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!", "Zg==Zg==",
					   "Zm 9v", "=Zg=" };
	test_begin("base64 rejects malformed input");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;
		buf_init(&b);
		test_assert_idx(base64_decode(bad[i], strlen(bad[i]), &b) < 0, i);
		buf_deinit(&b);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = { test_base64_vectors,
					       test_base64_invalid, NULL };
	return test_run(tests);
}
