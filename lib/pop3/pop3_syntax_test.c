/* Tests for pop3_syntax.c: command lines (good, odd and hostile), message
 * numbers, and the formatting of status and multi-line reply lines. */
#include "pop3/pop3_syntax.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static void test_pop3_command_parse(void)
{
	static const struct {
		const char *line;
		size_t len; /* 0: strlen */
		int ret;
		const char *name, *args;
		size_t argc;
		const char *arg0, *arg1;
	} cases[] = {
	    {"STAT", 0, 1, "STAT", "", 0, NULL, NULL},
	    {"stat", 0, 1, "STAT", "", 0, NULL, NULL},
	    {"LIST 1", 0, 1, "LIST", "1", 1, "1", NULL},
	    {"top 2 10", 0, 1, "TOP", "2 10", 2, "2", "10"},
	    {"PASS my secret  pw", 0, 1, "PASS", "my secret  pw", 3, "my",
	     "secret"},
	    {"USER bob@example.org ", 0, 1, "USER", "bob@example.org ", 1,
	     "bob@example.org", NULL},
	    {"PASS p\xc3\xa4ss", 0, 1, "PASS", "p\xc3\xa4ss", 1, "p\xc3\xa4ss",
	     NULL},
	    {"AUTH PLAIN AGJvYgBwdw==", 0, 1, "AUTH", "PLAIN AGJvYgBwdw==", 2,
	     "PLAIN", "AGJvYgBwdw=="},
	    {"", 0, 0, NULL, NULL, 0, NULL, NULL},
	    {"ST", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"STATS", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"ST4T", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {" STAT", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"STAT\x01", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"LIST 1\r2", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"USER a\0b", 8, -1, NULL, NULL, 0, NULL, NULL},
	    {"\xff\xfe\xfd\xfc", 0, -1, NULL, NULL, 0, NULL, NULL},
	    {"\x16\x03\x01\x02", 0, -1, NULL, NULL, 0, NULL, NULL},
	};
	test_begin("pop3_command_parse");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len =
		    cases[i].len != 0 ? cases[i].len : strlen(cases[i].line);
		struct pop3_command cmd;
		const char *error = NULL;
		int ret =
		    pop3_command_parse((const unsigned char *)cases[i].line,
		                       len, pool, &cmd, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret < 0)
			test_assert_idx(error != NULL, i);
		if (ret != 1 || cases[i].ret != 1)
			continue;
		test_assert_str(cmd.name, cases[i].name);
		test_assert_str(cmd.args, cases[i].args);
		test_assert_idx(cmd.argc == cases[i].argc, i);
		if (cases[i].arg0 != NULL)
			test_assert_str(cmd.argv[0], cases[i].arg0);
		if (cases[i].arg1 != NULL)
			test_assert_str(cmd.argv[1], cases[i].arg1);
	}
	pool_free(&pool);
	test_end();
}

static void test_pop3_number_parse(void)
{
	static const struct {
		const char *str;
		int ret;
		uint32_t num;
	} cases[] = {
	    {"1", 0, 1},           {"0", 0, 0},
	    {"007", 0, 7},         {"4294967295", 0, UINT32_MAX},
	    {"4294967296", -1, 0}, {"99999999999", -1, 0},
	    {"", -1, 0},           {"-1", -1, 0},
	    {"+1", -1, 0},         {"1a", -1, 0},
	    {" 1", -1, 0},
	};
	test_begin("pop3_number_parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t num = 12345;
		test_assert_idx(
		    pop3_number_parse(cases[i].str, &num) == cases[i].ret, i);
		if (cases[i].ret == 0)
			test_assert_idx(num == cases[i].num, i);
	}
	test_end();
}

static void test_pop3_reply(void)
{
	test_begin("pop3_reply_*");
	struct buf out;
	buf_init(&out);
	pop3_reply_ok(&out, "%u messages", 3u);
	test_assert_str(out.data, "+OK 3 messages\r\n");
	buf_truncate(&out, 0);
	pop3_reply_err(&out, "IN-USE", "Maildrop is locked");
	test_assert_str(out.data, "-ERR [IN-USE] Maildrop is locked\r\n");
	buf_truncate(&out, 0);
	pop3_reply_err(&out, NULL, "No such message");
	test_assert_str(out.data, "-ERR No such message\r\n");
	buf_truncate(&out, 0);
	pop3_reply_line(&out, "%s", "TOP");
	pop3_reply_line(&out, "%s", ".hidden");
	pop3_reply_end(&out);
	test_assert_str(out.data, "TOP\r\n..hidden\r\n.\r\n");
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_pop3_command_parse,
	                                      test_pop3_number_parse,
	                                      test_pop3_reply, NULL};
	return test_run(tests);
}
