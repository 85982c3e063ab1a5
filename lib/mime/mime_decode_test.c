/* Decoding by GMime: RFC 2047 encoded words, charsets to UTF-8, base64
 * and quoted-printable, unknown encodings. */
#include "core/buf.h"
#include "mime/mime_decode.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_decode_header(void)
{
	static const struct {
		const char *in, *want;
	} tests[] = {
	    {"plain text", "plain text"},
	    {"=?utf-8?q?J=C3=B6rg?=", "J\xc3\xb6rg"},
	    {"=?ISO-8859-1?Q?Keld_J=F8rn?= x", "Keld J\xc3\xb8rn x"},
	    {"=?ISO-8859-1?B?SWYgeW91?=\r\n =?ISO-8859-1?B?IGNhbg==?=",
	     "If you can"},
	    {"=?utf-8?b?5bGx55Sw?=", "\xe5\xb1\xb1\xe7\x94\xb0"},
	    {"  trimmed  ", "trimmed"},
	    {"raw \xff byte", "raw \xc3\xbf byte"},
	};
	test_begin("decode header");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf b;
		buf_init(&b);
		mime_decode_header((const unsigned char *)tests[i].in,
		                   strlen(tests[i].in), &b);
		test_assert_str(b.data, tests[i].want);
		buf_deinit(&b);
	}
	test_end();
}

static void test_decode_charset(void)
{
	static const struct {
		const char *charset, *in, *want;
	} tests[] = {
	    {"iso-8859-1", "Gr\xfc\xdf", "Gr\xc3\xbc\xc3\x9f"},
	    {"windows-1252", "\x80", "\xe2\x82\xac"},
	    {"us-ascii", "caf\xc3\xa9", "caf\xc3\xa9"},
	    {NULL, "caf\xe9", "caf\xc3\xa9"},
	    {"x-no-such-charset", "a\xe9", "a\xc3\xa9"},
	    {"koi8-r", "\xf0\xd2\xc9", "\xd0\x9f\xd1\x80\xd0\xb8"},
	};
	test_begin("decode charset");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf b;
		buf_init(&b);
		mime_decode_charset(tests[i].charset,
		                    (const unsigned char *)tests[i].in,
		                    strlen(tests[i].in), &b);
		test_assert_str(b.data, tests[i].want);
		buf_deinit(&b);
	}
	test_end();
}

static void test_decode_transfer(void)
{
	static const struct {
		const char *enc, *in;
		int ret;
		const char *want;
	} tests[] = {
	    {"base64", "aGVs\r\nbG8=\r\n", 0, "hello"},
	    {"BASE64", "aGVs*bG8", 0, "hello"},
	    {"quoted-printable", "a=3Db=\r\nc=\r\n", 0, "a=bc"},
	    {"quoted-printable", "bad =ZZ end", 0, "bad =ZZ end"},
	    {"7bit", "as is", 0, "as is"},
	    {NULL, "none", 0, "none"},
	    {"x-uuencode", "begin", -1, ""},
	};
	test_begin("decode transfer");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf b;
		buf_init(&b);
		int ret = mime_decode_transfer(
		    tests[i].enc, (const unsigned char *)tests[i].in,
		    strlen(tests[i].in), &b);
		test_assert_idx(ret == tests[i].ret, i);
		test_assert_str(b.data, tests[i].want);
		buf_deinit(&b);
	}
	test_assert(mime_decode_transfer_is_known("Quoted-Printable"));
	test_assert(!mime_decode_transfer_is_known("x-gzip"));
	test_end();
}

/* RFC 2045 §6.7, rule by rule (the texts are the RFC's own example where
 * it gives one). Inputs and outputs may hold NUL: sizes are explicit. */
static void test_decode_qp(void)
{
#define QP(in, want)                                                           \
	{                                                                      \
		in, sizeof(in) - 1, want, sizeof(want) - 1                     \
	}
	static const struct {
		const char *in;
		size_t in_len;
		const char *want;
		size_t want_len;
	} tests[] = {
	    /* rule 1: =XX is the octet; lowercase hex decoded (note 1) */
	    QP("a=3Db=c3=A9", "a=b\xc3\xa9"),
	    QP("nul=00byte", "nul\0byte"),
	    /* rule 3: trailing white space of a line is deleted */
	    QP("spaces   \r\ntab\t\r\nmixed \t \r\nend", "spaces\r\ntab\r\n"
	                                                 "mixed\r\nend"),
	    QP("last line  ", "last line"),
	    QP("kept=20\r\nkept=09\r\n", "kept \r\nkept\t\r\n"),
	    /* rule 4: a hard line break stays; bare LF stays LF */
	    QP("one\r\ntwo\nthree", "one\r\ntwo\nthree"),
	    /* rule 5: soft line breaks, §6.7's own example */
	    QP("Now's the time =\r\nfor all folk to come=\r\n to the aid of "
	       "their country.",
	       "Now's the time for all folk to come to the aid of their "
	       "country."),
	    /* rules 3 and 5: "=" then blanks before the line end is soft */
	    QP("soft= \r\nbreak=\t\r\nhere=  \t\nend", "softbreakhereend"),
	    QP("at the end=", "at the end"),
	    QP("at the end= \t", "at the end"),
	    QP("=\r\n=\r\n", ""),
	    /* note 2: an "=" that starts no escape is kept with what follows */
	    QP("bad =ZZ and =4", "bad =ZZ and =4"),
	    QP("= lone", "= lone"),
	    QP("a=3", "a=3"),
	    QP("=3D=", "="),
	    QP("", ""),
	};
#undef QP
	test_begin("decode quoted-printable (RFC 2045 §6.7)");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf b;
		buf_init(&b);
		test_assert_idx(
		    mime_decode_transfer("quoted-printable",
		                         (const unsigned char *)tests[i].in,
		                         tests[i].in_len, &b) == 0,
		    i);
		test_assert_idx(b.len == tests[i].want_len &&
		                    memcmp(b.data, tests[i].want, b.len) == 0,
		                i);
		if (b.len != tests[i].want_len)
			printf("row %zu: got %zu bytes \"%s\", want %zu\n", i,
			       b.len, b.data, tests[i].want_len);
		buf_deinit(&b);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_decode_header, test_decode_charset, test_decode_transfer,
	    test_decode_qp, NULL};
	return test_run(tests);
}
