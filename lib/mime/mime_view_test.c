/* Messages as a person reads them: summaries (encoded words, dates,
 * addresses), the readable text (alternative, HTML, charsets, forwarded
 * messages, broken structure) and attachments (names, sizes, bytes). */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_html.h"
#include "mime/mime_view.h"
#include "test/test.h"

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

struct view_msg {
	struct pool *pool;
	const unsigned char *data;
	size_t size;
	struct mime_part *root;
};

static void msg_parse(struct view_msg *m, const char *text)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	m->pool = pool_new();
	m->data = (const unsigned char *)text;
	m->size = strlen(text);
	m->root = mime_parse(m->data, m->size, &set, m->pool);
}

/* The readable text of text, in out (emptied first). */
static void msg_text(const char *text, struct buf *out)
{
	struct view_msg m;
	msg_parse(&m, text);
	buf_truncate(out, 0);
	mime_view_text(m.data, m.root, out);
	pool_free(&m.pool);
}

static const char html_only[] =
    "From: \"Shop News\" <news@shop.example>\r\n"
    "To: lisa@example.org\r\n"
    "Subject: Spring sale\r\n"
    "Date: Tue, 12 Mar 2024 08:15:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<!DOCTYPE html><html><head><title>Sale</title><style>p {color:red}"
    "</style></head>\r\n"
    "<body><script>if (a < b) alert(1);</script>\r\n"
    "<h1>Spring   sale</h1><p>Hello&nbsp;Lisa,<br>prices from 5&euro;=\r\n"
    " &amp; more.</p>\r\n"
    "<ul><li>Shoes</li><li>Hats &#8211; new</li></ul>\r\n"
    "<p><a href=3D\"https://shop.example/sale?a=3D1&amp;b=3D2\">Open th=\r\n"
    "e sale</a> or <a href=3D\"https://shop.example/\">https://shop.exampl=\r\n"
    "e/</a></p><pre>  keep   this\r\n  too</pre><!-- tracking -->\r\n"
    "<p>Bye</p></body></html>\r\n";

static void test_view_html_only(void)
{
	test_begin("view html-only message");
	struct buf out;
	buf_init(&out);
	msg_text(html_only, &out);
	test_assert_str(out.data,
	                "Spring sale\n\n"
	                "Hello Lisa,\nprices from 5\xe2\x82\xac & more.\n\n"
	                "- Shoes\n- Hats \xe2\x80\x93 new\n\n"
	                "Open the sale <https://shop.example/sale?a=1&b=2> or "
	                "https://shop.example/\n\n"
	                "  keep   this\n  too\n\n"
	                "Bye\n");
	buf_deinit(&out);
	test_end();
}

static const struct {
	const char *html, *want;
} html_cases[] = {
    {"", ""},
    {"plain words", "plain words\n"},
    {"a < b &unknown; &lt;c&gt; &#65;&#x42;&#0;",
     "a < b &unknown; <c> AB\xef\xbf\xbd\n"},
    {"<p>one</p><p>two</p>", "one\n\ntwo\n"},
    {"x<br><br><br><br><br>y", "x\n\n\ny\n"},
    {"<blockquote>quoted<br>line</blockquote>after",
     "> quoted\n> line\n\nafter\n"},
    {"<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c\n"},
    {"<a href=\"mailto:x@y.example\">x@y.example</a>", "x@y.example\n"},
    {"<a href='#top'>top</a> <a href=\"javascript:go()\">go</a>", "top go\n"},
    {"<img src=a.png alt=\"Logo\"><img src=b.png>", "[Logo]\n"},
    {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
     "a b\nc\n"},
    {"<div title=\"a>b\">in</div>", "in\n"},
    {"unterminated <b", "unterminated\n"},
    {"<!-- never closed", ""},
    {"&#150;&copy &copy=1", "\xe2\x80\x93\xc2\xa9 &copy=1\n"},
    {"<P>Upper<BR>Case</P>", "Upper\nCase\n"},
    {"<style>a{}", ""},
    {"text\x1b[31mred", "text\x1b[31mred\n"},
};

static void test_view_html_cases(void)
{
	test_begin("html to text cases");
	struct buf out;
	buf_init(&out);
	for (size_t i = 0; i < sizeof(html_cases) / sizeof(html_cases[0]);
	     i++) {
		buf_truncate(&out, 0);
		mime_html_to_text(html_cases[i].html,
		                  strlen(html_cases[i].html), &out);
		test_assert_idx(strcmp(out.data, html_cases[i].want) == 0, i);
		if (strcmp(out.data, html_cases[i].want) != 0)
			printf("  got \"%s\", want \"%s\"\n", out.data,
			       html_cases[i].want);
	}
	buf_deinit(&out);
	test_end();
}

static void test_view_html_charset(void)
{
	test_begin("html charset from meta");
	static const char *const cases[][2] = {
	    {"<meta charset=\"ISO-8859-1\">", "ISO-8859-1"},
	    {"<META http-equiv=Content-Type content='text/html; "
	     "charset=windows-1252'>",
	     "windows-1252"},
	    {"<meta name=x><p>charset=utf-8</p>", NULL},
	    {"no meta at all", NULL},
	};
	char cs[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got =
		    mime_html_charset((const unsigned char *)cases[i][0],
		                      strlen(cases[i][0]), cs, sizeof(cs));
		if (cases[i][1] == NULL)
			test_assert_idx(got == NULL, i);
		else
			test_assert_idx(
			    got != NULL && strcmp(got, cases[i][1]) == 0, i);
	}
	/* the charset decides how the body is decoded */
	struct buf out;
	buf_init(&out);
	msg_text("Content-Type: text/html\n\n<meta charset=iso-8859-1>"
	         "<p>Gr\xfc\xdf"
	         "e</p>\n",
	         &out);
	test_assert_str(out.data, "Gr\xc3\xbc\xc3\x9f"
	                          "e\n");
	buf_deinit(&out);
	test_end();
}

static const char alternative[] =
    "From: Bob <bob@example.com>\n"
    "Subject: lunch?\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>HTML version</p>\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Plain version.\n"
    "\n"
    "--b1--\n";

static void test_view_alternative(void)
{
	test_begin("view alternative prefers text/plain");
	struct buf out;
	buf_init(&out);
	msg_text(alternative, &out);
	test_assert_str(out.data, "Plain version.\n");
	/* without a plain part, the HTML one as text */
	msg_text("Content-Type: multipart/alternative; boundary=x\n\n--x\n"
	         "Content-Type: text/html\n\n<b>Only</b> html\n--x\n"
	         "Content-Type: text/calendar\n\nBEGIN:VCALENDAR\n--x--\n",
	         &out);
	test_assert_str(out.data, "Only html\n");
	buf_deinit(&out);
	test_end();
}

/* mixed( alternative( plain, related( html, inline png ) ), pdf, jpeg ) */
static const char nested[] =
    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\n"
    "To: Lisa <lisa@example.org>, team@example.org\n"
    "Cc: boss@example.org\n"
    "Subject: =?UTF-8?B?UXVhcnRhbHNiZXJpY2h0IOKAkyBRMQ==?=\n"
    "Date: Mon, 1 Apr 2024 10:00:00 +0200\n"
    "Message-ID: <q1@example.de>\n"
    "In-Reply-To: <plan@example.org>\n"
    "References: <start@example.org>\n <plan@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
    "\n"
    "--alt\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Hallo Lisa,\n"
    "anbei der Bericht.\n"
    "--alt\n"
    "Content-Type: multipart/related; boundary=\"rel\"\n"
    "\n"
    "--rel\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>Hallo Lisa,</p><img src=\"cid:logo\">\n"
    "--rel\n"
    "Content-Type: image/png\n"
    "Content-ID: <logo>\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgo=\n"
    "--rel--\n"
    "--alt--\n"
    "--outer\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment;\n"
    " filename*=utf-8''Bericht%20%C3%9Cbersicht.pdf\n"
    "\n"
    "JVBERi0xLjQKJcfsj6IK\n"
    "--outer\n"
    "Content-Type: image/jpeg\n"
    "Content-Disposition: attachment; filename=\"../../.bashrc\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "/9j/4AAQ\n"
    "--outer--\n";

static void test_view_nested_summary(void)
{
	test_begin("view summary of a nested message");
	struct view_msg m;
	msg_parse(&m, nested);
	struct mime_view_summary s;
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert_str(s.from_name, "J\xc3\xb6rg M\xc3\xbcller");
	test_assert_str(s.from_addr, "joerg@example.de");
	test_assert_str(s.to, "Lisa <lisa@example.org>, team@example.org");
	test_assert_str(s.cc, "boss@example.org");
	test_assert_str(s.subject, "Quartalsbericht \xe2\x80\x93 Q1");
	test_assert_int(s.date, 1711958400); /* 2024-04-01 08:00:00 UTC */
	test_assert_str(s.message_id, "<q1@example.de>");
	test_assert_str(s.in_reply_to, "<plan@example.org>");
	test_assert_str(s.references, "<start@example.org> <plan@example.org>");
	test_assert(s.has_attachments);
	pool_free(&m.pool);
	test_end();
}

static void test_view_nested_attachments(void)
{
	test_begin("view attachments of a nested message");
	struct view_msg m;
	msg_parse(&m, nested);
	struct buf out;
	buf_init(&out);
	mime_view_text(m.data, m.root, &out);
	test_assert_str(out.data, "Hallo Lisa,\nanbei der Bericht.\n");
	struct mime_view_attachment *atts;
	unsigned int n = mime_view_attachments(m.data, m.root, m.pool, &atts);
	test_assert_int(n, 3);
	if (n == 3) {
		test_assert(atts[0].filename == NULL);
		test_assert_str(atts[0].content_type, "image/png");
		test_assert_int(atts[0].size, 8);
		test_assert_str(mime_view_attachment_filename(&atts[0], m.pool),
		                "attachment-1.png");
		test_assert_str(atts[1].filename, "Bericht \xc3\x9c"
		                                  "bersicht.pdf");
		test_assert_str(atts[1].content_type, "application/pdf");
		test_assert_int(atts[1].index, 2);
		test_assert_int(atts[1].size, 15);
		buf_truncate(&out, 0);
		mime_view_attachment_data(m.data, &atts[1], &out);
		test_assert(
		    out.len == 15 &&
		    memcmp(out.data, "%PDF-1.4\n%\xc7\xec\x8f\xa2\n", 15) == 0);
		test_assert_str(mime_view_attachment_filename(&atts[2], m.pool),
		                "bashrc");
		test_assert_int(atts[2].size, 6);
	}
	buf_deinit(&out);
	pool_free(&m.pool);
	test_end();
}

static const char latin1[] =
    "From: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.fr>\n"
    "Subject: =?ISO-8859-1?Q?R=E9union_de_l'=E9quipe?= =?utf-8?q?_=E2=9C=93?=\n"
    "Date: 3 Feb 2024 17:45 -0500\n"
    "Content-Type: text/plain; charset=ISO-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Bonjour =E0 tous,\r\n"
    "la r=E9union est d=E9plac=E9e =\r\n"
    "=E0 demain.\r\n"
    "\r\n"
    "\r\n";

static void test_view_latin1(void)
{
	test_begin("view ISO-8859-1 and encoded words");
	struct view_msg m;
	msg_parse(&m, latin1);
	struct mime_view_summary s;
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert_str(s.from_name, "Fran\xc3\xa7ois");
	test_assert_str(s.subject,
	                "R\xc3\xa9union de l'\xc3\xa9quipe \xe2\x9c\x93");
	test_assert_int(s.date, 1707000300); /* 2024-02-03 22:45 UTC */
	test_assert(!s.has_attachments);
	test_assert_str(s.message_id, "");
	struct buf out;
	buf_init(&out);
	mime_view_text(m.data, m.root, &out);
	test_assert_str(out.data, "Bonjour \xc3\xa0 tous,\nla r\xc3\xa9union "
	                          "est d\xc3\xa9plac\xc3\xa9"
	                          "e \xc3\xa0 "
	                          "demain.\n");
	buf_deinit(&out);
	pool_free(&m.pool);
	test_end();
}

static const char forwarded[] = "From: a@example.org\n"
                                "Subject: Fwd: minutes\n"
                                "Content-Type: multipart/mixed; boundary=f\n"
                                "\n"
                                "--f\n"
                                "Content-Type: text/plain\n"
                                "\n"
                                "See below.\n"
                                "--f\n"
                                "Content-Type: message/rfc822\n"
                                "\n"
                                "From: Carol <carol@example.net>\n"
                                "Date: Fri, 5 Jan 2024 12:00:00 +0000\n"
                                "Subject: minutes\n"
                                "To: team@example.org\n"
                                "\n"
                                "Minutes attached.\n"
                                "--f--\n";

static void test_view_forwarded(void)
{
	test_begin("view forwarded message inline");
	struct view_msg m;
	msg_parse(&m, forwarded);
	struct buf out;
	buf_init(&out);
	mime_view_text(m.data, m.root, &out);
	test_assert_str(out.data, "See below.\n\n"
	                          "---------- Forwarded message ----------\n"
	                          "From: Carol <carol@example.net>\n"
	                          "Date: Fri, 5 Jan 2024 12:00:00 +0000\n"
	                          "Subject: minutes\n"
	                          "To: team@example.org\n\n"
	                          "Minutes attached.\n");
	struct mime_view_attachment *atts;
	test_assert_int(mime_view_attachments(m.data, m.root, m.pool, &atts),
	                1);
	if (atts != NULL) {
		test_assert_str(atts[0].content_type, "message/rfc822");
		test_assert_str(mime_view_attachment_filename(&atts[0], m.pool),
		                "attachment-1.eml");
	}
	buf_deinit(&out);
	pool_free(&m.pool);
	test_end();
}

static void test_view_malformed(void)
{
	test_begin("view malformed messages");
	struct buf out;
	buf_init(&out);
	/* no closing boundary, a header line without colon, an escape
	 * sequence in the subject, an undecodable date */
	static const char broken[] =
	    "From: <<<@@@\n"
	    "garbage line\n"
	    "Subject: hi \x1b[2J there\n"
	    "Date: yesterday-ish\n"
	    "Content-Type: multipart/mixed; boundary=zz\n"
	    "\n"
	    "--zz\n"
	    "Content-Type: text/plain; charset=x-unknown-charset\n"
	    "Content-Transfer-Encoding: x-weird\n"
	    "\n"
	    "still readable \x07text\n";
	struct view_msg m;
	msg_parse(&m, broken);
	struct mime_view_summary s;
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert_str(s.subject, "hi [2J there");
	test_assert_int(s.date, 0);
	test_assert(s.from_name != NULL && s.from_addr != NULL);
	mime_view_text(m.data, m.root, &out);
	test_assert_str(out.data, "still readable text\n");
	pool_free(&m.pool);
	/* multipart without a boundary parameter, and no header at all */
	msg_text("Content-Type: multipart/mixed\n\nbody text\n", &out);
	test_assert_str(out.data, "body text\n");
	msg_text("", &out);
	test_assert_str(out.data, "");
	/* raw 8-bit bytes where only ASCII belongs come out as UTF-8 */
	msg_parse(&m, "Message-ID: <caf\xe9@example.org>\n"
	              "Content-Type: application/pdf; name=\"Gr\xfc\xdf.pdf\"\n"
	              "\n%PDF\n");
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert_str(s.message_id, "<caf\xc3\xa9@example.org>");
	struct mime_view_attachment *atts;
	test_assert_int(mime_view_attachments(m.data, m.root, m.pool, &atts),
	                1);
	test_assert(atts != NULL &&
	            strcmp(atts[0].filename, "Gr\xc3\xbc\xc3\x9f.pdf") == 0);
	pool_free(&m.pool);
	/* a message that is one bare PDF: no text, one attachment */
	msg_parse(&m, "Content-Type: application/pdf\n\n%PDF\n");
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert(s.has_attachments);
	test_assert_str(s.from_name, "");
	pool_free(&m.pool);
	buf_deinit(&out);
	test_end();
}

/* Is text valid UTF-8 with no control character but tab and LF? */
static bool is_clean_text(const char *text, size_t len)
{
	if (!g_utf8_validate(text, (gssize)len, NULL))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return false;
	}
	return true;
}

/* Every sample message of tests/data/mime (broken ones included) gives
 * clean text, a summary and attachments whose sizes match their bytes. */
static void view_sample(const char *path)
{
	struct buf msg, out;
	buf_init(&msg);
	buf_init(&out);
	test_assert(file_read_all(path, &msg, 1 << 20) == 0);
	struct view_msg m;
	msg_parse(&m, msg.data);
	mime_view_text(m.data, m.root, &out);
	test_assert(is_clean_text(out.data, out.len));
	struct mime_view_summary s;
	mime_view_summary(m.data, m.root, m.pool, &s);
	test_assert(is_clean_text(s.subject, strlen(s.subject)));
	test_assert(is_clean_text(s.from_name, strlen(s.from_name)));
	struct mime_view_attachment *atts;
	unsigned int n = mime_view_attachments(m.data, m.root, m.pool, &atts);
	test_assert(s.has_attachments == (n > 0));
	for (unsigned int i = 0; i < n; i++) {
		buf_truncate(&out, 0);
		mime_view_attachment_data(m.data, &atts[i], &out);
		test_assert_idx(out.len == atts[i].size, i);
		const char *name =
		    mime_view_attachment_filename(&atts[i], m.pool);
		test_assert_idx(name[0] != '\0' && name[0] != '.' &&
		                    strchr(name, '/') == NULL,
		                i);
	}
	pool_free(&m.pool);
	buf_deinit(&msg);
	buf_deinit(&out);
}

static void test_view_samples(void)
{
	test_begin("view every sample message");
	DIR *dir = opendir(MIME_TEST_DATA);
	test_assert(dir != NULL);
	unsigned int count = 0;
	struct dirent *d;
	while (dir != NULL && (d = readdir(dir)) != NULL) {
		size_t len = strlen(d->d_name);
		if (len < 5 || strcmp(d->d_name + len - 4, ".eml") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", MIME_TEST_DATA,
		         d->d_name);
		view_sample(path);
		count++;
	}
	if (dir != NULL)
		closedir(dir);
	test_assert(count >= 10);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_view_html_only,
	    test_view_html_cases,
	    test_view_html_charset,
	    test_view_alternative,
	    test_view_nested_summary,
	    test_view_nested_attachments,
	    test_view_latin1,
	    test_view_forwarded,
	    test_view_malformed,
	    test_view_samples,
	    NULL,
	};
	return test_run(tests);
}
