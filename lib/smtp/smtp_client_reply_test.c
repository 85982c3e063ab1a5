/* Tests for smtp_client_reply.c: single and multi-line replies, enhanced
 * codes, malformed lines, code changes, an endless reply that must stop
 * at the line limit, over-long text that must be cut, and EHLO keywords. */
#include "smtp/smtp_client_reply.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_reply_parse(void)
{
	static const struct {
		const char *lines; /* separated by '|' */
		int ret;           /* of the last line */
		unsigned code;
		const char *enhanced;
		const char *text;
	} cases[] = {
	    {"250 OK", 1, 250, "", "OK"},
	    {"250", 1, 250, "", ""},
	    {"250 2.1.0 Sender ok", 1, 250, "2.1.0", "Sender ok"},
	    {"550 5.1.1 no such user", 1, 550, "5.1.1", "no such user"},
	    {"550 4.1.1 wrong class", 1, 550, "", "4.1.1 wrong class"},
	    {"250-mx.test|250-PIPELINING|250 SIZE 100", 1, 250, "",
	     "mx.test\nPIPELINING\nSIZE 100"},
	    {"451-4.3.0 one|451 4.3.0 two", 1, 451, "4.3.0", "one\ntwo"},
	    {"250-first", 0, 250, "", "first"},
	    {"250-a|251 b", -1, 0, "", ""},
	    {"25 short", -1, 0, "", ""},
	    {"650 bad class", -1, 0, "", ""},
	    {"2500 no separator", -1, 0, "", ""},
	    {"250_x", -1, 0, "", ""},
	    {"hello", -1, 0, "", ""},
	    {"", -1, 0, "", ""},
	    {"250 a\001b", -1, 0, "", ""},
	    /* a code with no text after it (smtp_client_reply_fuzz) */
	    {"550 5.1.1", 1, 550, "5.1.1", ""},
	    {"510-5.1.3|510 5.1.3 bad address", 1, 510, "5.1.3", "\nbad address"},
	    {"250 2.1.", 1, 250, "", "2.1."},
	};
	test_begin("smtp_client_reply_add");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_client_reply r;
		const char *error = NULL;
		char lines[256];
		int ret = 0;
		smtp_client_reply_init(&r);
		snprintf(lines, sizeof(lines), "%s", cases[i].lines);
		char *p = lines;
		for (;;) {
			char *bar = strchr(p, '|');
			size_t len =
			    bar != NULL ? (size_t)(bar - p) : strlen(p);
			ret = smtp_client_reply_add(&r, p, len, &error);
			if (bar == NULL || ret != 0)
				break;
			p = bar + 1;
		}
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 1) {
			test_assert_idx(r.code == cases[i].code, i);
			test_assert_str(r.enhanced, cases[i].enhanced);
			test_assert_str(r.text, cases[i].text);
		}
		test_assert_idx(ret >= 0 || error != NULL, i);
	}
	test_end();
}

static void test_reply_endless(void)
{
	struct smtp_client_reply r;
	const char *error = NULL;
	int ret = 0;
	size_t n = 0;
	char line[SMTP_CLIENT_REPLY_LINE_MAX];
	test_begin("smtp_client_reply_add endless and long replies");
	smtp_client_reply_init(&r);
	while (ret == 0 && n < 100000) {
		ret = smtp_client_reply_add(&r, "250-more", 8, &error);
		n++;
	}
	test_assert(ret == -1);
	test_assert(n == SMTP_CLIENT_REPLY_LINES_MAX + 1);
	/* long lines: the text is cut, the reply still completes */
	smtp_client_reply_init(&r);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250-", 4);
	for (int i = 0; i < 10; i++)
		test_assert(
		    smtp_client_reply_add(&r, line, sizeof(line), &error) == 0);
	line[3] = ' ';
	test_assert(smtp_client_reply_add(&r, line, sizeof(line), &error) == 1);
	test_assert(r.text_len == SMTP_CLIENT_REPLY_TEXT_MAX - 1);
	test_assert(strlen(r.text) == r.text_len);
	test_end();
}

static void test_ehlo_parse(void)
{
	static const struct {
		const char *lines;
		unsigned bits;
		uint64_t size;
	} cases[] = {
	    {"250 mx.test", 0, 0},
	    {"250-mx.test|250-PIPELINING|250-SIZE 1000|250 8BITMIME",
	     SMTP_CLIENT_EXT_PIPELINING | SMTP_CLIENT_EXT_SIZE |
	         SMTP_CLIENT_EXT_8BITMIME,
	     1000},
	    {"250-mx.test|250-dsn|250-smtputf8|250-CHUNKING|250 STARTTLS",
	     SMTP_CLIENT_EXT_DSN | SMTP_CLIENT_EXT_SMTPUTF8 |
	         SMTP_CLIENT_EXT_CHUNKING | SMTP_CLIENT_EXT_STARTTLS,
	     0},
	    {"250-mx.test|250-AUTH LOGIN PLAIN|250 SIZE",
	     SMTP_CLIENT_EXT_AUTH_PLAIN | SMTP_CLIENT_EXT_AUTH_LOGIN |
	         SMTP_CLIENT_EXT_SIZE,
	     0},
	    {"250-mx.test|250-AUTH=LOGIN|250 PIPELININGX",
	     SMTP_CLIENT_EXT_AUTH_LOGIN, 0},
	    {"250-PIPELINING|250 mx.test", 0, 0},
	    {"250-mx.test|250 FUTURERELEASE 604800 2004-08-31T10:20:30Z",
	     SMTP_CLIENT_EXT_FUTURERELEASE, 0},
	};
	test_begin("smtp_client_ehlo_parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_client_reply r;
		const char *error;
		char lines[256];
		uint64_t size = 99;
		smtp_client_reply_init(&r);
		snprintf(lines, sizeof(lines), "%s", cases[i].lines);
		for (char *p = lines; p != NULL;) {
			char *bar = strchr(p, '|');
			size_t len =
			    bar != NULL ? (size_t)(bar - p) : strlen(p);
			(void)smtp_client_reply_add(&r, p, len, &error);
			p = bar != NULL ? bar + 1 : NULL;
		}
		unsigned bits = smtp_client_ehlo_parse(&r, &size);
		test_assert_idx(bits == cases[i].bits, i);
		test_assert_idx(size == cases[i].size, i);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_reply_parse, test_reply_endless, test_ehlo_parse, NULL};
	return test_run(tests);
}
