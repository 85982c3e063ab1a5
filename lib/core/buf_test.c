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

int main(void)
{
	static void (*const tests[])(void) = { test_buf_append, test_buf_grow,
					       NULL };
	return test_run(tests);
}
