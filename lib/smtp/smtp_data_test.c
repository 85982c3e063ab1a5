/* Tests for smtp_data.c: dot-unstuffing, the only end <CRLF>.<CRLF>, and
 * every smuggling ending of CVE-2023-51764, fed whole and byte by byte. */
#include "smtp/smtp_data.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

struct data_case {
	const char *in;
	int ret;         /* 1 if the end is in "in" */
	const char *out; /* message bytes */
	size_t consumed; /* when ret == 1 */
	bool bare;
	bool long_line;
};

static const struct data_case data_cases[] = {
    {".\r\n", 1, "", 3, false, false},
    {"a\r\n.\r\n", 1, "a\r\n", 6, false, false},
    {"..a\r\n.\r\nX", 1, ".a\r\n", 8, false, false},
    {"a\r\n..\r\n.\r\n", 1, "a\r\n.\r\n", 10, false, false},
    {"a\n.\n", 0, "a\n.\n", 0, true, false},
    {"a\r.\r", 0, "a\r.", 0, true, false},
    {"a\r\n.\nb", 0, "a\r\n\nb", 0, true, false},
    {"a\n.\r\n", 0, "a\n.\r\n", 0, true, false},
    {"a\r.\r\n", 0, "a\r.\r\n", 0, true, false},
    {"a\r\n.\rb", 0, "a\r\n\rb", 0, true, false},
    {"a\n.\r\n.\r\n", 1, "a\n.\r\n", 8, true, false},
    {"12345\r\n.\r\n", 1, "12345\r\n", 10, false, true},
    {"1234\r\n.\r\n", 1, "1234\r\n", 9, false, false},
    {"..234\r\n.\r\n", 1, ".234\r\n", 10, false, false},
};

static void test_data_decode(void)
{
	test_begin("smtp_data_decode");
	for (size_t i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]);
	     i++) {
		const struct data_case *c = &data_cases[i];
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct smtp_data_decoder dec;
			struct buf out;
			buf_init(&out);
			smtp_data_decoder_init(&dec, 6);
			const unsigned char *in = (const unsigned char *)c->in;
			size_t len = strlen(c->in), pos = 0, consumed = 0;
			int ret = 0;
			while (pos < len && ret == 0) {
				size_t n = bytewise ? 1 : len - pos;
				ret = smtp_data_decode(&dec, in + pos, n, &out,
				                       &consumed);
				pos += consumed;
			}
			test_assert_idx(ret == c->ret, i);
			if (c->ret == 1)
				test_assert_idx(pos == c->consumed, i);
			test_assert_idx(out.len == strlen(c->out) &&
			                    memcmp(out.data, c->out, out.len) ==
			                        0,
			                i);
			test_assert_idx(dec.has_bare_cr_lf == c->bare, i);
			test_assert_idx(dec.has_long_line == c->long_line, i);
			buf_deinit(&out);
		}
	}
	test_end();
}

static void test_data_scan(void)
{
	static const struct {
		const char *in;
		bool bare;
	} cases[] = {
	    {"a\r\nb\r\n", false}, {"a\nb", true},      {"a\rb", true},
	    {"a\r", true},         {"\r\n\r\n", false},
	};
	test_begin("smtp_data_scan");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_data_decoder dec;
		smtp_data_decoder_init(&dec, 0);
		/* Byte by byte: a CR at a chunk's end may meet its LF later. */
		for (size_t j = 0; cases[i].in[j] != '\0'; j++)
			smtp_data_scan(
			    &dec, (const unsigned char *)cases[i].in + j, 1);
		smtp_data_scan_finish(&dec);
		test_assert_idx(dec.has_bare_cr_lf == cases[i].bare, i);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_data_decode, test_data_scan,
	                                      NULL};
	return test_run(tests);
}
