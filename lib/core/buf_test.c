/* Unit tests for struct buf. */
#include "core/buf.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static void test_buf_append(void)
{
	test_begin("buf append and printf");
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "abc");
	buf_append(&b, "\0x", 2);
	test_assert_int(b.len, 5);
	test_assert(memcmp(b.data, "abc\0x", 6) == 0);
	buf_truncate(&b, 3);
	buf_printf(&b, "-%d-%s", 42, "z");
	test_assert_str(b.data, "abc-42-z");
	buf_deinit(&b);
	test_end();
}

static void test_buf_grow(void)
{
	test_begin("buf grows past many doublings");
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%04d", i % 10000);
	test_assert_int(b.len, 40000);
	test_assert(strncmp(b.data + 39996, "9999", 4) == 0);
	test_assert(b.data[b.len] == '\0');
	buf_consume(&b, 39996);
	test_assert_str(b.data, "9999");
	char *s = buf_detach(&b);
	test_assert_str(s, "9999");
	test_assert_int(b.len, 0);
	free(s);
	buf_deinit(&b);
	test_end();
}

static void test_buf_utf8(void)
{
	static const struct {
		uint32_t cp;
		const char *want;
	} rows[] = {
		{ 0x41, "A" },
		{ 0xe9, "\xc3\xa9" },
		{ 0x20ac, "\xe2\x82\xac" },
		{ 0x1f600, "\xf0\x9f\x98\x80" },
		{ 0x10ffff, "\xf4\x8f\xbf\xbf" },
		{ 0xd800, "\xef\xbf\xbd" },   /* surrogate */
		{ 0x110000, "\xef\xbf\xbd" }, /* past U+10FFFF */
		{ 0, "\xef\xbf\xbd" },
	};
	test_begin("buf_append_utf8");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;
		buf_init(&b);
		buf_append_utf8(&b, rows[i].cp);
		test_assert_str(b.data, rows[i].want);
		buf_deinit(&b);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = { test_buf_append, test_buf_grow,
					       test_buf_utf8, NULL };
	return test_run(tests);
}
