/* Tests for imap_write.c: string forms (atom, quoted, literal, NIL) and
 * modified UTF-7 both ways, with the RFC 3501 §5.1.3 examples: one form
 * per name (no superfluous shifts, no U+0000, no stray bits). */
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
    /* the RFC's correct form of a run that mixes two words */
    {"\xe5\x8f\xb0\xe5\x8c\x97\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "&U,BTF2XlZyyKng-"},
    {"\xc3\xa9&", "&AOk-&-"},
    {"\xef\xbf\xbd", "&,,0-"}, /* U+FFFD itself */
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
	    "&",
	    "&U,BTFw",
	    "&AGE-", /* "a" needlessly encoded */
	    "&2D0-",
	    "&3gA-",
	    "a\x80",
	    "&U,BTF-",
	    "&-&*-",
	    "&U,BTFw-&ZeVnLIqe-", /* a superfluous shift (RFC 3501 §5.1.3) */
	    "&Jjo!",              /* no shift back (RFC 3501 §5.1.3) */
	    "&AAA-",              /* U+0000 */
	    "&AOl-",              /* padding bits set */
	    "&AOkA-",             /* a BASE64 digit too many */
	    "&2AA-",              /* a lone high surrogate at the end */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct buf out;
		buf_init(&out);
		test_assert_idx(imap_utf7_decode(bad[i], &out) < 0, i);
		buf_deinit(&out);
	}
	/* 90 UTF-16 units: one shift, not one per 64 units */
	struct buf in, out;
	buf_init(&in);
	buf_init(&out);
	for (int i = 0; i < 30; i++)
		buf_append_str(&in, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	test_assert(imap_utf7_encode(in.data, &out) == 0);
	test_assert(out.data[0] == '&' && strchr(out.data + 1, '&') == NULL);
	test_assert(strlen(out.data) == 2 + 30 * 8);
	struct buf back;
	buf_init(&back);
	test_assert(imap_utf7_decode(out.data, &back) == 0);
	test_assert_str(back.data, in.data);
	buf_deinit(&back);
	buf_deinit(&in);
	buf_truncate(&out, 0);
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
