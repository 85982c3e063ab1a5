/* Tests for imap_write.c: string forms (atom, quoted, literal, NIL) and
 * modified UTF-7 both ways, with the RFC 3501 §5.1.3 example. */
#include "imap/imap_write.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

struct str_case {
	const char *in;
	bool is_utf8;
	const char *astring;
	const char *string;
};

static const struct str_case str_cases[] = {
    {"INBOX", false, "INBOX", "\"INBOX\""},
    {"", false, "\"\"", "\"\""},
    {"NIL", false, "\"NIL\"", "\"NIL\""},
    {"a b", false, "\"a b\"", "\"a b\""},
    {"a\"b\\", false, "\"a\\\"b\\\\\"", "\"a\\\"b\\\\\""},
    {"a]b", false, "\"a]b\"", "\"a]b\""},
    {"a\r\nb", false, "{4}\r\na\r\nb", "{4}\r\na\r\nb"},
    {"\xc3\xa4", false, "{2}\r\n\xc3\xa4", "{2}\r\n\xc3\xa4"},
    {"\xc3\xa4", true, "\"\xc3\xa4\"", "\"\xc3\xa4\""},
    {"\xc3", true, "{1}\r\n\xc3", "{1}\r\n\xc3"},
};

static void test_strings(void)
{
	test_begin("imap_write strings");
	for (size_t i = 0; i < sizeof(str_cases) / sizeof(*str_cases); i++) {
		const struct str_case *c = &str_cases[i];
		struct buf out;
		buf_init(&out);
		imap_write_astring(&out, c->in, strlen(c->in), c->is_utf8);
		test_assert_str(out.data, c->astring);
		buf_truncate(&out, 0);
		imap_write_string(&out, c->in, strlen(c->in), c->is_utf8);
		test_assert_str(out.data, c->string);
		buf_deinit(&out);
	}
	struct buf out;
	buf_init(&out);
	imap_write_nstring(&out, NULL, 0, false);
	test_assert_str(out.data, "NIL");
	buf_deinit(&out);
	test_end();
}

struct utf7_case {
	const char *utf8;
	const char *mutf7;
};

static const struct utf7_case utf7_cases[] = {
    {"INBOX", "INBOX"},
    {"a&b", "a&-b"},
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
     "\x9e",
     "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"},
    {"Gr\xc3\xbc\xc3\x9f"
     "e",
     "Gr&APwA3w-e"},
};

static void test_utf7(void)
{
	test_begin("imap_utf7 encode and decode");
	for (size_t i = 0; i < sizeof(utf7_cases) / sizeof(*utf7_cases); i++) {
		struct buf out;
		buf_init(&out);
		test_assert_idx(imap_utf7_encode(utf7_cases[i].utf8, &out) == 0,
		                i);
		test_assert_str(out.data, utf7_cases[i].mutf7);
		buf_truncate(&out, 0);
		test_assert_idx(
		    imap_utf7_decode(utf7_cases[i].mutf7, &out) == 0, i);
		test_assert_str(out.data, utf7_cases[i].utf8);
		buf_deinit(&out);
	}
	static const char *const bad[] = {
	    "&",     "&U,BTFw", "&AGE-", /* "a" needlessly encoded */
	    "&2D0-", "&3gA-",   "a\x80", "&U,BTF-", "&-&*-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct buf out;
		buf_init(&out);
		test_assert_idx(imap_utf7_decode(bad[i], &out) < 0, i);
		buf_deinit(&out);
	}
	struct buf out;
	buf_init(&out);
	test_assert(imap_utf7_encode("\xc3", &out) < 0);
	test_assert(!imap_utf8_is_valid("\xed\xa0\x80", 3));
	test_assert(imap_utf8_is_valid("\xc3\xa4", 2));
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_strings, test_utf7, NULL};
	return test_run(tests);
}
