/* Tests for pop3_dotstuff.c: each case is fed whole, then one byte at a
 * time, and must give the same dot-stuffed CRLF output both ways, for RETR
 * (all lines) and TOP (header and n body lines). */
#include "pop3/pop3_dotstuff.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

static const struct {
	const char *in;
	uint64_t max; /* body lines, or POP3_DOTSTUFF_ALL_LINES */
	const char *out;
} cases[] = {
    {"", POP3_DOTSTUFF_ALL_LINES, ".\r\n"},
    {"A: b\r\n\r\nbody\r\n", POP3_DOTSTUFF_ALL_LINES,
     "A: b\r\n\r\nbody\r\n.\r\n"},
    {"A: b\n\nbody\n", POP3_DOTSTUFF_ALL_LINES, "A: b\r\n\r\nbody\r\n.\r\n"},
    {"A: b\r\n\r\n.\r\n..x\r\n.", POP3_DOTSTUFF_ALL_LINES,
     "A: b\r\n\r\n..\r\n...x\r\n..\r\n.\r\n"},
    {".start\r\nno end", POP3_DOTSTUFF_ALL_LINES, "..start\r\nno end\r\n.\r\n"},
    {"a\rb\r\n", POP3_DOTSTUFF_ALL_LINES, "a\rb\r\n.\r\n"},
    {"ends in cr\r", POP3_DOTSTUFF_ALL_LINES, "ends in cr\r\n.\r\n"},
    {"x. y\r\n \r\n", POP3_DOTSTUFF_ALL_LINES, "x. y\r\n \r\n.\r\n"},
    /* TOP */
    {"A: b\r\nC: d\r\n\r\n1\r\n2\r\n3\r\n", 0, "A: b\r\nC: d\r\n\r\n.\r\n"},
    {"A: b\r\n\r\n1\r\n.2\r\n3\r\n", 2, "A: b\r\n\r\n1\r\n..2\r\n.\r\n"},
    {"A: b\r\n\r\n1\r\n", 10, "A: b\r\n\r\n1\r\n.\r\n"},
    {"A: b\r\nno body", 0, "A: b\r\nno body\r\n.\r\n"},
    {"A: b\n\n1\n2\n", 1, "A: b\r\n\r\n1\r\n.\r\n"},
};

static void run(size_t i, size_t step, struct buf *out)
{
	struct pop3_dotstuff ds;
	size_t len = strlen(cases[i].in);
	pop3_dotstuff_init(&ds, cases[i].max);
	for (size_t pos = 0; pos < len; pos += step) {
		size_t n = len - pos < step ? len - pos : step;
		if (pop3_dotstuff_feed(&ds,
		                       (const unsigned char *)cases[i].in + pos,
		                       n, out) == 0)
			break;
	}
	pop3_dotstuff_finish(&ds, out);
}

static void test_pop3_dotstuff(void)
{
	test_begin("pop3_dotstuff whole and byte by byte");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf whole, bytes;
		buf_init(&whole);
		buf_init(&bytes);
		run(i, strlen(cases[i].in) + 1, &whole);
		run(i, 1, &bytes);
		test_assert_str(whole.data, cases[i].out);
		test_assert_str(bytes.data, cases[i].out);
		test_assert_idx(whole.len == strlen(cases[i].out), i);
		buf_deinit(&whole);
		buf_deinit(&bytes);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_pop3_dotstuff, NULL};
	return test_run(tests);
}
