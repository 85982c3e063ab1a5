/* Composing: every message built is parsed back with lib/mime's parser and
 * checked field by field (encoded words, Date form, Message-ID domain),
 * part by part (types, encodings, RFC 2231 names, decoded attachment
 * bytes); reply subjects, recipients, References chains and quotes;
 * forwarding as message/rfc822. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_compose.h"
#include "mime/mime_decode.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

struct built {
	struct pool *pool;
	struct buf msg;
	const unsigned char *data;
	struct mime_part *root;
	const char *message_id;
};

static int build(const struct mime_compose *c, struct built *b)
{
	const char *error = NULL;
	b->pool = pool_new();
	buf_init(&b->msg);
	int ret =
	    mime_compose_build(c, b->pool, &b->msg, &b->message_id, &error);
	if (ret < 0) {
		printf("build failed: %s\n", error);
		return -1;
	}
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	b->data = (const unsigned char *)b->msg.data;
	b->root = mime_parse(b->data, b->msg.len, &set, b->pool);
	return 0;
}

static void built_free(struct built *b)
{
	buf_deinit(&b->msg);
	pool_free(&b->pool);
}

static const char *field(struct built *b, const struct mime_part *part,
                         const char *name)
{
	return mime_header_get(b->data, part, name, b->pool);
}

static const char *decoded(struct built *b, const char *name)
{
	const char *raw = field(b, b->root, name);
	if (raw == NULL)
		return "(none)";
	struct buf out;
	buf_init(&out);
	mime_decode_header((const unsigned char *)raw, strlen(raw), &out);
	const char *value = pool_strdup(b->pool, out.data);
	buf_deinit(&out);
	return value;
}

/* The transfer-decoded body of part (copied into the pool, NUL-ended),
 * with its length in *len_r when that is not NULL. */
static const char *body_of(struct built *b, const struct mime_part *part,
                           size_t *len_r)
{
	struct buf out;
	buf_init(&out);
	test_assert(mime_decode_transfer(
	                part->encoding, b->data + part->body_offset,
	                part->end_offset - part->body_offset, &out) == 0);
	char *copy = pool_alloc(b->pool, out.len + 1);
	memcpy(copy, out.data, out.len + 1);
	if (len_r != NULL)
		*len_r = out.len;
	buf_deinit(&out);
	return copy;
}

static bool has_bare_lf(const struct buf *msg)
{
	for (size_t i = 0; i < msg->len; i++)
		if (msg->data[i] == '\n' &&
		    (i == 0 || msg->data[i - 1] != '\r'))
			return true;
	return false;
}

static void test_guess_type(void)
{
	static const struct {
		const char *name, *data, *want;
	} rows[] = {
	    {"report.pdf", "%PDF", "application/pdf"},
	    {"PHOTO.JPG", "", "image/jpeg"},
	    {"a.jpeg", "", "image/jpeg"},
	    {"logo.png", "", "image/png"},
	    {"mail.eml", "", "message/rfc822"},
	    {"card.vcf", "", "text/vcard"},
	    {"invite.ics", "", "text/calendar"},
	    {"sheet.xlsx", "",
	     "application/vnd.openxmlformats-"
	     "officedocument.spreadsheetml.sheet"},
	    {"notes", "plain text\n", "text/plain"},
	    {"notes.unknown", "gr\xc3\xbc\xc3\x9f\n", "text/plain"},
	    {"dir.d/blob", "\x01\x02", "application/octet-stream"},
	    {NULL, "\xff\xfe", "application/octet-stream"},
	};
	test_begin("guess type");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = mime_compose_guess_type(
		    rows[i].name, (const unsigned char *)rows[i].data,
		    strlen(rows[i].data));
		test_assert_idx(strcmp(got, rows[i].want) == 0, i);
	}
	test_end();
}

static void test_build_plain(void)
{
	struct mime_compose c = {
	    .from_name = "Lisa Example",
	    .from_addr = "lisa@example.org",
	    .to = "Bob <bob@example.net>, carol@example.com",
	    .cc = "dave@example.com",
	    .bcc = "eve@example.com",
	    .subject = "Lunch",
	    .date = 1700000000,
	    .user_agent = "postroom",
	    .body = "Noon?\nAt the usual place.\n",
	    .body_size = 26,
	};
	struct built b;
	test_begin("build plain");
	test_assert(build(&c, &b) == 0);
	test_assert(!has_bare_lf(&b.msg));
	test_assert_str(field(&b, b.root, "From"),
	                "Lisa Example <lisa@example.org>");
	test_assert(strstr(field(&b, b.root, "To"), "bob@example.net") != NULL);
	test_assert(strstr(field(&b, b.root, "To"), "carol@example.com") !=
	            NULL);
	test_assert_str(field(&b, b.root, "Cc"), "dave@example.com");
	test_assert_str(field(&b, b.root, "Bcc"), "eve@example.com");
	test_assert_str(field(&b, b.root, "Subject"), "Lunch");
	test_assert_str(field(&b, b.root, "MIME-Version"), "1.0");
	test_assert_str(field(&b, b.root, "User-Agent"), "postroom");
	/* RFC 5322 §3.3: "Tue, 14 Nov 2023 22:13:20 +0000" in any zone */
	const char *date = field(&b, b.root, "Date");
	test_assert(date != NULL && strlen(date) == 31 && date[3] == ',' &&
	            (date[26] == '+' || date[26] == '-'));
	char want_id[300];
	snprintf(want_id, sizeof(want_id), "<%s>", b.message_id);
	test_assert_str(field(&b, b.root, "Message-ID"), want_id);
	test_assert(strstr(b.message_id, "@example.org") != NULL);
	test_assert(mime_part_is(b.root, "text", "plain"));
	test_assert_str(mime_param_get(b.root->params, b.root->param_count,
	                               "charset", NULL),
	                "utf-8");
	test_assert_str(b.root->encoding, "7bit");
	test_assert_str(body_of(&b, b.root, NULL),
	                "Noon?\r\nAt the usual place.\r\n");
	built_free(&b);
	test_end();
}

static void test_build_unique_ids(void)
{
	struct mime_compose c = {.from_addr = "a@example.org",
	                         .to = "b@example.net"};
	struct built b1, b2;
	test_begin("build unique message ids");
	test_assert(build(&c, &b1) == 0);
	test_assert(build(&c, &b2) == 0);
	test_assert(strcmp(b1.message_id, b2.message_id) != 0);
	built_free(&b1);
	built_free(&b2);
	test_end();
}

static void test_build_encoded(void)
{
	const char *body = "Gr\xc3\xbc\xc3\x9f"
	                   "e aus M\xc3\xbcnchen.\n"
	                   "A long line: 0123456789 0123456789 0123456789 "
	                   "0123456789 0123456789 0123456789 0123456789\n";
	struct mime_compose c = {
	    .from_name = "J\xc3\xb8rn Smith",
	    .from_addr = "jorn@example.dk",
	    .to = "\"M\xc3\xbcller, Anna\" <anna@example.de>",
	    .subject = "Caf\xc3\xa9 \xe2\x82\xac 5 \xe2\x80\x94 ok?",
	    .body = body,
	    .body_size = strlen(body),
	};
	struct built b;
	test_begin("build encoded words and quoted-printable");
	test_assert(build(&c, &b) == 0);
	for (size_t i = 0; i < b.root->body_offset; i++)
		test_assert_idx((unsigned char)b.msg.data[i] < 0x80, i);
	test_assert(strstr(field(&b, b.root, "Subject"), "=?") != NULL);
	test_assert_str(decoded(&b, "Subject"),
	                "Caf\xc3\xa9 \xe2\x82\xac 5 \xe2\x80\x94 ok?");
	test_assert_str(decoded(&b, "From"),
	                "J\xc3\xb8rn Smith <jorn@example.dk>");
	test_assert(strstr(decoded(&b, "To"), "M\xc3\xbcller, Anna") != NULL);
	test_assert_str(b.root->encoding, "quoted-printable");
	struct buf want;
	buf_init(&want);
	for (const char *p = body; *p != '\0'; p++) {
		if (*p == '\n')
			buf_append_char(&want, '\r');
		buf_append_char(&want, *p);
	}
	test_assert_str(body_of(&b, b.root, NULL), want.data);
	buf_deinit(&want);
	built_free(&b);
	test_end();
}

static void test_build_attachments(void)
{
	unsigned char bin[1000];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	const char *csv = "a,b\n1,2\n";
	struct mime_compose_attachment atts[] = {
	    {.filename = "r\xc3\xa9sum\xc3\xa9.png",
	     .data = bin,
	     .size = sizeof(bin)},
	    {.filename = "data.csv",
	     .data = (const unsigned char *)csv,
	     .size = strlen(csv)},
	};
	struct mime_compose c = {
	    .from_addr = "lisa@example.org",
	    .to = "bob@example.net",
	    .subject = "Files",
	    .body = "See attached.",
	    .body_size = 13,
	    .attachments = atts,
	    .attachment_count = 2,
	};
	struct built b;
	test_begin("build attachments");
	test_assert(build(&c, &b) == 0);
	test_assert(!has_bare_lf(&b.msg));
	test_assert(mime_part_is(b.root, "multipart", "mixed"));
	test_assert_int(b.root->child_count, 3);
	const struct mime_part *text = b.root->children;
	const struct mime_part *png = text->next;
	const struct mime_part *csvp = png->next;
	test_assert(mime_part_is(text, "text", "plain"));
	test_assert_str(body_of(&b, text, NULL), "See attached.");
	test_assert(mime_part_is(png, "image", "png"));
	test_assert_str(png->encoding, "base64");
	test_assert_str(png->disposition, "attachment");
	/* RFC 2231 §4: filename*=UTF-8''r%C3%A9sum%C3%A9.png */
	test_assert(strstr(b.msg.data, "filename*=UTF-8''r%C3%A9sum%C3%A9") !=
	            NULL);
	test_assert_str(mime_param_get(png->disposition_params,
	                               png->disposition_param_count, "filename",
	                               b.pool),
	                "r\xc3\xa9sum\xc3\xa9.png");
	size_t got_len;
	const char *got = body_of(&b, png, &got_len);
	test_assert_int(got_len, sizeof(bin));
	test_assert(got_len == sizeof(bin) &&
	            memcmp(got, bin, sizeof(bin)) == 0);
	test_assert(mime_part_is(csvp, "text", "csv"));
	test_assert_str(body_of(&b, csvp, NULL), csv);
	built_free(&b);

	/* RFC 6047 §2.4: the parameters of a given type are kept */
	const char *ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n";
	struct mime_compose_attachment cal = {
	    .filename = "invite.ics",
	    .content_type = "text/calendar; method=REQUEST",
	    .data = (const unsigned char *)ics,
	    .size = strlen(ics)};
	c.attachments = &cal;
	c.attachment_count = 1;
	test_assert(build(&c, &b) == 0);
	const struct mime_part *calp = b.root->children->next;
	test_assert(mime_part_is(calp, "text", "calendar"));
	test_assert_str(
	    mime_param_get(calp->params, calp->param_count, "method", b.pool),
	    "REQUEST");
	test_assert_str(body_of(&b, calp, NULL), ics);
	built_free(&b);
	test_end();
}

static void test_build_errors(void)
{
	static const struct {
		struct mime_compose c;
		const char *want;
	} rows[] = {
	    {{.to = "b@example.net"}, "no From address"},
	    {{.from_addr = "a@example.org"}, "no To, Cc or Bcc"},
	    {{.from_addr = "a@example.org", .to = "bob"},
	     "invalid address in To: bob"},
	    {{.from_addr = "a@example.org",
	      .to = "b@example.net",
	      .cc = "x@y, oops"},
	     "invalid address in Cc: oops"},
	    {{.from_addr = "a@example.org",
	      .to = "b@example.net",
	      .body = "\xff\xfe",
	      .body_size = 2},
	     "body is not valid UTF-8"},
	    {{.from_addr = "a@example.org",
	      .to = "b@example.net",
	      .subject = "x\r\nBcc: evil@example.com"},
	     "a header field holds a line break"},
	};
	test_begin("build errors");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pool *pool = pool_new();
		struct buf out;
		buf_init(&out);
		const char *id, *error = NULL;
		test_assert_idx(mime_compose_build(&rows[i].c, pool, &out, &id,
		                                   &error) == -1,
		                i);
		test_assert_idx(
		    error != NULL && strcmp(error, rows[i].want) == 0, i);
		test_assert_idx(out.len == 0, i);
		buf_deinit(&out);
		pool_free(&pool);
	}
	test_end();
}

static void test_subjects(void)
{
	static const struct {
		const char *in, *re, *fwd;
	} rows[] = {
	    {"Lunch", "Re: Lunch", "Fwd: Lunch"},
	    {"Re: Lunch", "Re: Lunch", "Fwd: Re: Lunch"},
	    {"RE: re: Re[2]: Lunch", "Re: Lunch", "Fwd: RE: re: Re[2]: Lunch"},
	    {"Re : Lunch", "Re: Lunch", "Fwd: Re : Lunch"},
	    {"Fwd: Lunch", "Re: Fwd: Lunch", "Fwd: Lunch"},
	    {"Regarding", "Re: Regarding", "Fwd: Regarding"},
	    {"", "Re: ", "Fwd: "},
	};
	test_begin("reply and forward subjects");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		test_assert_idx(
		    strcmp(mime_compose_reply_subject(rows[i].in, pool),
		           rows[i].re) == 0,
		    i);
		test_assert_idx(
		    strcmp(mime_compose_forward_subject(rows[i].in, pool),
		           rows[i].fwd) == 0,
		    i);
	}
	pool_free(&pool);
	test_end();
}

static const char original[] =
    "Date: Mon, 3 Feb 2025 10:00:00 +0100\r\n"
    "From: =?iso-8859-1?q?Ren=E9_Dupont?= <rene@example.fr>\r\n"
    "To: Lisa <LISA@example.org>, team@example.org\r\n"
    "Cc: rene@example.fr, \"Zoe Q\" <zoe@example.com>\r\n"
    "Subject: Re: =?utf-8?q?Caf=C3=A9?=\r\n"
    "Message-ID: <m3@example.fr>\r\n"
    "In-Reply-To: <m2@example.org>\r\n"
    "References: <m1@example.org> <m2@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Bonjour =E0 tous,\r\n"
    "\r\n"
    "> earlier\r\n"
    "--b\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>Bonjour</p>\r\n"
    "--b--\r\n";

static void test_reply(void)
{
	struct pool *pool = pool_new();
	struct mime_reply r;
	test_begin("reply");
	mime_compose_reply((const unsigned char *)original,
	                   sizeof(original) - 1, "lisa@example.org", false,
	                   pool, &r);
	test_assert_str(r.to, "\"Ren\xc3\xa9 Dupont\" <rene@example.fr>");
	test_assert(r.cc == NULL);
	test_assert_str(r.subject, "Re: Caf\xc3\xa9");
	test_assert_str(r.in_reply_to, "<m3@example.fr>");
	test_assert_str(r.references,
	                "<m1@example.org> <m2@example.org> <m3@example.fr>");
	test_assert_str(r.quoted,
	                "On Mon, 3 Feb 2025 10:00:00 +0100, Ren\xc3\xa9 Dupont "
	                "wrote:\n> Bonjour \xc3\xa0 tous,\n>\n>> earlier\n");

	mime_compose_reply((const unsigned char *)original,
	                   sizeof(original) - 1, "Lisa@Example.org", true, pool,
	                   &r);
	test_assert_str(r.to, "\"Ren\xc3\xa9 Dupont\" <rene@example.fr>");
	test_assert_str(r.cc, "team@example.org, \"Zoe Q\" <zoe@example.com>");
	pool_free(&pool);
	test_end();
}

/* An HTML-only original is quoted as the reader saw it, not as tags. */
static void test_reply_html(void)
{
	static const char html[] =
	    "From: Shop <news@shop.example>\r\nSubject: Sale\r\n"
	    "Message-ID: <s1@shop.example>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n"
	    "<html><head><style>p{}</style></head><body><p>Big "
	    "&amp; <b>cheap</b></p><p>Today</p></body></html>\r\n";
	struct pool *pool = pool_new();
	struct mime_reply r;
	test_begin("reply to HTML quotes its text");
	mime_compose_reply((const unsigned char *)html, sizeof(html) - 1,
	                   "lisa@example.org", false, pool, &r);
	test_assert(strstr(r.quoted, "> Big & cheap\n") != NULL);
	test_assert(strstr(r.quoted, "> Today") != NULL);
	test_assert(strchr(r.quoted, '<') == NULL);
	test_assert(strstr(r.quoted, "p{}") == NULL);
	pool_free(&pool);
	test_end();
}

static void test_reply_target(void)
{
	static const char *const rows[][3] = {
	    /* header, own address, want To */
	    {"From: a@x.org\r\nReply-To: list@x.org\r\n\r\nhi\r\n", "me@y.org",
	     "list@x.org"},
	    {"From: me@y.org\r\nTo: b@x.org\r\n\r\nhi\r\n", "ME@y.org",
	     "b@x.org"},
	    {"From: a@x.org\r\n\r\n", NULL, "a@x.org"},
	};
	test_begin("reply target");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_reply r;
		mime_compose_reply((const unsigned char *)rows[i][0],
		                   strlen(rows[i][0]), rows[i][1], false, pool,
		                   &r);
		test_assert_idx(r.to != NULL && strcmp(r.to, rows[i][2]) == 0,
		                i);
		test_assert_idx(r.in_reply_to == NULL && r.references == NULL,
		                i);
	}
	pool_free(&pool);
	test_end();
}

/* A reply built from mime_compose_reply carries the chain (§3.6.4). */
static void test_reply_built(void)
{
	struct pool *pool = pool_new();
	struct mime_reply r;
	struct built b;
	test_begin("reply built");
	mime_compose_reply((const unsigned char *)original,
	                   sizeof(original) - 1, "lisa@example.org", true, pool,
	                   &r);
	struct mime_compose c = {
	    .from_addr = "lisa@example.org",
	    .to = r.to,
	    .cc = r.cc,
	    .subject = r.subject,
	    .in_reply_to = r.in_reply_to,
	    .references = r.references,
	    .body = r.quoted,
	    .body_size = strlen(r.quoted),
	};
	test_assert(build(&c, &b) == 0);
	test_assert_str(field(&b, b.root, "In-Reply-To"), "<m3@example.fr>");
	test_assert_str(field(&b, b.root, "References"),
	                "<m1@example.org> <m2@example.org> <m3@example.fr>");
	test_assert_str(decoded(&b, "Subject"), "Re: Caf\xc3\xa9");
	test_assert(strstr(decoded(&b, "To"), "Ren\xc3\xa9 Dupont") != NULL);
	test_assert(strstr(decoded(&b, "Cc"), "zoe@example.com") != NULL);
	built_free(&b);
	pool_free(&pool);
	test_end();
}

static void test_forward(void)
{
	struct pool *pool = pool_new();
	struct mime_reply r;
	struct mime_compose_attachment att;
	struct built b;
	test_begin("forward as message/rfc822");
	mime_compose_forward((const unsigned char *)original,
	                     sizeof(original) - 1, pool, &r, &att);
	test_assert_str(r.subject, "Fwd: Re: Caf\xc3\xa9");
	test_assert_str(att.filename, "Re: Caf\xc3\xa9.eml");
	struct mime_compose c = {
	    .from_addr = "lisa@example.org",
	    .to = "bob@example.net",
	    .subject = r.subject,
	    .body = "FYI",
	    .body_size = 3,
	    .attachments = &att,
	    .attachment_count = 1,
	};
	test_assert(build(&c, &b) == 0);
	test_assert_int(b.root->child_count, 2);
	const struct mime_part *msg = b.root->children->next;
	test_assert(msg != NULL && mime_part_is(msg, "message", "rfc822"));
	test_assert((msg->flags & MIME_PART_FLAG_MESSAGE) != 0);
	test_assert_str(msg->encoding, "7bit");
	size_t size = msg->end_offset - msg->body_offset;
	test_assert_int(size, sizeof(original) - 1);
	test_assert(size == sizeof(original) - 1 &&
	            memcmp(b.data + msg->body_offset, original, size) == 0);
	test_assert(
	    msg->children != NULL &&
	    strcmp(mime_header_get(b.data, msg->children, "Message-ID", b.pool),
	           "<m3@example.fr>") == 0);
	built_free(&b);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_guess_type,        test_build_plain,
	    test_build_unique_ids,  test_build_encoded,
	    test_build_attachments, test_build_errors,
	    test_subjects,          test_reply,
	    test_reply_html,
	    test_reply_target,      test_reply_built,
	    test_forward,           NULL,
	};
	return test_run(tests);
}
