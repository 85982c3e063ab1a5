/* Tests of the ManageSieve writer: strings quoted or literal (RFC 5804
 * §4), responses with codes, and the capability list of §1.7 in the
 * order and form of the RFC's examples. */
#include "core/buf.h"
#include "managesieve/managesieve_reply.h"
#include "test/test.h"

#include <string.h>

static void test_strings(void)
{
	test_begin("managesieve strings");
	struct buf out;
	buf_init(&out);
	managesieve_string_append_str(&out, "foo");
	test_assert_str(out.data, "\"foo\"");
	buf_truncate(&out, 0);
	managesieve_string_append_str(&out, "a\"b\\c");
	test_assert_str(out.data, "\"a\\\"b\\\\c\"");
	buf_truncate(&out, 0);
	managesieve_string_append_str(&out, "\xc3\xa9t\xc3\xa9");
	test_assert_str(out.data, "\"\xc3\xa9t\xc3\xa9\"");
	/* CR, LF, NUL, invalid UTF-8 and long strings become literals */
	buf_truncate(&out, 0);
	managesieve_string_append_str(&out, "line 1\r\nline 2");
	test_assert_str(out.data, "{14}\r\nline 1\r\nline 2");
	buf_truncate(&out, 0);
	managesieve_string_append(&out, "a\0b", 3);
	test_assert(out.len == 8 && memcmp(out.data, "{3}\r\na\0b", 8) == 0);
	buf_truncate(&out, 0);
	managesieve_string_append_str(&out, "\xff");
	test_assert_str(out.data, "{1}\r\n\xff");
	buf_truncate(&out, 0);
	char big[1026];
	memset(big, 'x', sizeof(big));
	managesieve_string_append(&out, big, 1024);
	test_assert(out.len == 1026 && out.data[0] == '"');
	buf_truncate(&out, 0);
	managesieve_string_append(&out, big, 1025);
	test_assert(strncmp(out.data, "{1025}\r\n", 8) == 0);
	buf_truncate(&out, 0);
	managesieve_literal_append(&out, "x", 1);
	test_assert_str(out.data, "{1}\r\nx");
	buf_deinit(&out);
	test_end();
}

static void test_responses(void)
{
	test_begin("managesieve responses");
	struct buf out;
	buf_init(&out);
	managesieve_reply(&out, MANAGESIEVE_OK, NULL, NULL);
	managesieve_reply(&out, MANAGESIEVE_NO, "QUOTA/MAXSIZE", "Too big");
	managesieve_reply(&out, MANAGESIEVE_BYE, NULL, "Bye");
	managesieve_reply(&out, MANAGESIEVE_OK, "TAG \"x\"", "Done");
	managesieve_reply(&out, MANAGESIEVE_NO, NULL, "line 2\nsecond");
	test_assert_str(out.data, "OK\r\n"
	                          "NO (QUOTA/MAXSIZE) \"Too big\"\r\n"
	                          "BYE \"Bye\"\r\n"
	                          "OK (TAG \"x\") \"Done\"\r\n"
	                          "NO {13}\r\nline 2\nsecond\r\n");
	buf_deinit(&out);
	test_end();
}

static void test_capabilities(void)
{
	test_begin("managesieve capabilities");
	struct buf out;
	buf_init(&out);
	struct managesieve_capabilities caps = {
	    .implementation = "Postroom",
	    .sasl = "PLAIN LOGIN",
	    .sieve = "fileinto vacation",
	    .has_starttls = true,
	    .max_redirects = 4,
	    .notify = "mailto",
	    .has_unauthenticate = true,
	};
	managesieve_capabilities_append(&out, &caps);
	test_assert_str(out.data, "\"IMPLEMENTATION\" \"Postroom\"\r\n"
	                          "\"SASL\" \"PLAIN LOGIN\"\r\n"
	                          "\"SIEVE\" \"fileinto vacation\"\r\n"
	                          "\"STARTTLS\"\r\n"
	                          "\"MAXREDIRECTS\" \"4\"\r\n"
	                          "\"NOTIFY\" \"mailto\"\r\n"
	                          "\"UNAUTHENTICATE\"\r\n"
	                          "\"VERSION\" \"1.0\"\r\n");
	/* after login: OWNER, no STARTTLS; no mechanisms offered */
	buf_truncate(&out, 0);
	caps.has_starttls = false;
	caps.sasl = "";
	caps.owner = "bob@example.org";
	caps.max_redirects = 0;
	caps.notify = NULL;
	caps.has_unauthenticate = false;
	managesieve_capabilities_append(&out, &caps);
	test_assert_str(out.data, "\"IMPLEMENTATION\" \"Postroom\"\r\n"
	                          "\"SASL\" \"\"\r\n"
	                          "\"SIEVE\" \"fileinto vacation\"\r\n"
	                          "\"OWNER\" \"bob@example.org\"\r\n"
	                          "\"VERSION\" \"1.0\"\r\n");
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_strings, test_responses,
	                                      test_capabilities, NULL};
	return test_run(tests);
}
