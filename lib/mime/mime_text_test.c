/* Search text: decoded From/To/Cc/Subject, the whole decoded header, and
 * text bodies decoded and converted to UTF-8 (attachments skipped, the
 * header of an attached message counted as body). */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_text.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void extract(const char *name, size_t max, struct mime_text *text)
{
	struct buf msg;
	char path[512];
	buf_init(&msg);
	snprintf(path, sizeof(path), "%s/%s.eml", MIME_TEST_DATA, name);
	test_assert(file_read_all(path, &msg, 1 << 20) == 0);
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct mime_part *root =
	    mime_parse((const unsigned char *)msg.data, msg.len, &set, pool);
	mime_text_extract((const unsigned char *)msg.data, root, max, text);
	pool_free(&pool);
	buf_deinit(&msg);
}

static void test_text_extract(void)
{
	test_begin("text extract");
	struct mime_text t;
	mime_text_init(&t);
	extract("encoded_words", 0, &t);
	test_assert_str(t.from.data,
	                "Keld J\xc3\xb8rn Simonsen <keld@example.dk>");
	test_assert_str(t.subject.data,
	                "If you can read this you understand the example.");
	test_assert_str(t.cc.data,
	                "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e"
	                " <taro@example.jp>");
	test_assert_str(t.body.data, "Gr\xc3\xbc\xc3\x9f"
	                             "e aus M\xc3\xbcnchen, "
	                             "n\xc3\xa6ste gang i K\xc3\xb8"
	                             "benhavn.\r\n\n");
	test_assert(strstr(t.header.data, "Subject: If you can read") != NULL);
	extract("mixed_attach", 0, &t);
	test_assert_str(t.body.data, "See the attached report.\n");
	extract("rfc822", 0, &t);
	test_assert(strstr(t.body.data, "Forwarding this.") != NULL);
	test_assert(strstr(t.body.data, "<p>Coffee at ten.</p>") != NULL);
	/* RFC 9051 §6.4.4 TEXT: "the header (including MIME header
	 * fields)": MIME headers and the attached message's header count
	 * as header text, not body */
	test_assert(strstr(t.body.data, "Subject: Agenda") == NULL);
	test_assert(strstr(t.header.data, "Subject: Agenda\n") != NULL);
	test_assert(strstr(t.header.data, "Content-Disposition: inline\n") !=
	            NULL);
	test_assert(strstr(t.header.data, "Content-Type: text/html\n") != NULL);
	test_assert(strncmp(t.header.data, "From: Dave", 10) == 0);
	extract("alternative", 10, &t);
	test_assert_int(t.body.len, 10);
	mime_text_deinit(&t);
	test_end();
}

static void extract_str(const char *msg, size_t len, struct mime_text *text)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct mime_part *root =
	    mime_parse((const unsigned char *)msg, len, &set, pool);
	mime_text_extract((const unsigned char *)msg, root, 0, text);
	pool_free(&pool);
}

/* RFC 9051 §6.4.4: FROM, TO, CC, BCC match "the envelope structure's"
 * field: the addresses as ENVELOPE parses them, so a comment inside an
 * address does not split it, and a comment is not text of the field
 * (unless it names an address that has no display name, as ENVELOPE
 * takes it). Every field of a name counts. */
static void test_text_addresses(void)
{
	static const char msg[] =
	    "From: John (the boss) Smith <john.smith(work)@example.com>\r\n"
	    "To: mary@example.net (Mary Jones), \"Pete\" <pete@(sub)example"
	    ".net>\r\n"
	    "Cc: (only a comment) kim @ example . org, Team: ann@example.com,"
	    "\r\n Ben <ben@example.com>;, =?utf-8?q?J=C3=B6rg?= <j@example.de>"
	    "\r\n"
	    "Bcc: <@relay.example:routed@example.org>\r\n"
	    "Cc: second@example.org\r\n"
	    "Subject: s\r\n\r\nbody\r\n";
	test_begin("text of address fields (as ENVELOPE parses them)");
	struct mime_text t;
	mime_text_init(&t);
	extract_str(msg, sizeof(msg) - 1, &t);
	test_assert_str(t.from.data, "John Smith <john.smith@example.com>");
	test_assert_str(t.to.data, "Mary Jones <mary@example.net>, "
	                           "Pete <pete@example.net>");
	test_assert_str(t.cc.data,
	                "kim@example.org, Team: ann@example.com, Ben "
	                "<ben@example.com>;, J\xc3\xb6rg <j@example.de>, "
	                "second@example.org");
	test_assert_str(t.bcc.data, "@relay.example:routed@example.org");
	mime_text_deinit(&t);
	test_end();
}

/* Body text is transfer-decoded as RFC 2045 §6.7 says (soft line break
 * after "=" and blanks), and a NUL byte (not allowed in 7bit or 8bit
 * text, §2.7-2.8) does not cut or garble the text. */
static void test_text_body_decoding(void)
{
	static const char qp[] =
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a sof=\t\r\nt break, trailing   \r\nblanks=20\r\n";
	static const char nul[] = "Content-Type: text/plain; charset=utf-8\r\n"
	                          "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                          "Gr\xc3\xbc\xc3\x9f"
	                          "e\0mit NUL\r\n";
	test_begin("text of bodies: quoted-printable, NUL");
	struct mime_text t;
	mime_text_init(&t);
	extract_str(qp, sizeof(qp) - 1, &t);
	test_assert_str(t.body.data, "a soft break, trailing\r\nblanks \r\n\n");
	extract_str(nul, sizeof(nul) - 1, &t);
	test_assert_str(t.body.data, "Gr\xc3\xbc\xc3\x9f"
	                             "e mit NUL\r\n\n");
	mime_text_deinit(&t);
	test_end();
}

/* RFC 9051 §6.4.4 HEADER: "Messages that have a header field with the
 * specified field-name ... and that contains the specified string in the
 * text of the header (what comes after the colon). If the string to
 * search is zero-length, this matches all messages that have a header
 * field with the specified field-name regardless of the contents." Any
 * field of the name counts, not the first only. */
static void test_text_header_contains(void)
{
	static const char msg[] =
	    "Received: from relay1.example.net by mx.example.com\r\n"
	    "Received: from relay2.example.net\r\n by relay1.example.net\r\n"
	    "X-Tag: first\r\nX-Tag: second\r\n"
	    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus K\xc3\xb6ln\r\n"
	    "X-Empty:\r\n\r\nbody\r\n";
	static const struct {
		const char *name, *needle;
		bool want;
	} tests[] = {
	    {"X-Tag", "first", true},
	    {"x-tag", "SECOND", true},
	    {"X-Tag", "third", false},
	    {"Received", "relay2.example.net by relay1", true},
	    {"Received", "mx.example.com", true},
	    {"Subject",
	     "gr\xc3\xbc\xc3\x9f"
	     "e",
	     true},
	    {"Subject",
	     "GR\xc3\x9c\xc3\x9f"
	     "E AUS K\xc3\x96LN",
	     true},
	    {"Subject", "=?utf-8?q?", false},
	    {"X-Empty", "", true},
	    {"X-Tag", "", true},
	    {"X-None", "", false},
	    {"Tag", "first", false},
	};
	test_begin("HEADER: every field of the name, decoded");
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	const unsigned char *d = (const unsigned char *)msg;
	struct mime_part *root = mime_parse(d, sizeof(msg) - 1, &set, pool);
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++)
		test_assert_idx(
		    mime_text_header_contains(d, root, tests[i].name,
		                              tests[i].needle) == tests[i].want,
		    i);
	test_assert(mime_text_contains("Stra\xc3\x9f"
	                               "e",
	                               "STRASSE"));
	test_assert(mime_text_contains("bad \xff byte", "BYTE"));
	test_assert(!mime_text_contains("abc", "abd"));
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_text_extract, test_text_addresses, test_text_body_decoding,
	    test_text_header_contains, NULL};
	return test_run(tests);
}
