/* Section addressing (RFC 9051 §6.4.5) over tests/data/mime messages:
 * spec parsing, the bytes each section names, HEADER.FIELDS synthesis, and
 * BINARY decoding with BINARY.SIZE. */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_section.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_section_parse(void)
{
	static const struct {
		const char *spec;
		int ret;
		unsigned int part_count;
		enum mime_section_kind kind;
		unsigned int field_count;
	} tests[] = {
	    {"", 1, 0, MIME_SECTION_PART, 0},
	    {"1", 1, 1, MIME_SECTION_PART, 0},
	    {"1.2.3", 1, 3, MIME_SECTION_PART, 0},
	    {"HEADER", 1, 0, MIME_SECTION_HEADER, 0},
	    {"text", 1, 0, MIME_SECTION_TEXT, 0},
	    {"3.1.TEXT", 1, 2, MIME_SECTION_TEXT, 0},
	    {"1.MIME", 1, 1, MIME_SECTION_MIME, 0},
	    {"HEADER.FIELDS (From To)", 1, 0, MIME_SECTION_FIELDS, 2},
	    {"2.HEADER.FIELDS.NOT (\"Subject\")", 1, 1, MIME_SECTION_FIELDS_NOT,
	     1},
	    {"MIME", -1, 0, 0, 0},
	    {"0", -1, 0, 0, 0},
	    {"1.", -1, 0, 0, 0},
	    {"1..2", -1, 0, 0, 0},
	    {"HEADER.FIELDS", -1, 0, 0, 0},
	    {"HEADER.FIELDS ()", -1, 0, 0, 0},
	    {"HEADER.FIELDS (From", -1, 0, 0, 0},
	    {"TEXTX", -1, 0, 0, 0},
	    {"99999999999", -1, 0, 0, 0},
	};
	test_begin("section parse");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct mime_section sec;
		const char *error = NULL;
		int ret = mime_section_parse(
		    tests[i].spec, strlen(tests[i].spec), pool, &sec, &error);
		test_assert_idx(ret == tests[i].ret, i);
		if (ret < 0) {
			test_assert_idx(error != NULL, i);
			continue;
		}
		test_assert_idx(sec.part_count == tests[i].part_count, i);
		test_assert_idx(sec.kind == tests[i].kind, i);
		test_assert_idx(sec.field_count == tests[i].field_count, i);
	}
	pool_free(&pool);
	test_end();
}

/* Returns the bytes section spec names in message name ("<none>" if the
 * part does not exist), from pool. */
static const char *section_get(const char *name, const char *spec,
                               struct pool *pool)
{
	struct buf msg;
	char path[512];
	buf_init(&msg);
	snprintf(path, sizeof(path), "%s/%s.eml", MIME_TEST_DATA, name);
	if (file_read_all(path, &msg, 1 << 20) < 0)
		return "<unreadable>";
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	const unsigned char *data = (const unsigned char *)msg.data;
	struct mime_part *root = mime_parse(data, msg.len, &set, pool);
	struct mime_section sec;
	struct mime_section_result r;
	const char *error, *ret = "<bad spec>";
	if (mime_section_parse(spec, strlen(spec), pool, &sec, &error) > 0) {
		if (mime_section_find(data, root, &sec, pool, &r) == 0)
			ret = "<none>";
		else if (r.synth != NULL)
			ret = pool_strndup(pool, (const char *)r.synth,
			                   r.synth_size);
		else
			ret = pool_strndup(pool, msg.data + r.offset, r.size);
	}
	buf_deinit(&msg);
	return ret;
}

static void test_section_find(void)
{
	static const struct {
		const char *msg, *spec, *want;
	} tests[] = {
	    {"simple", "1",
	     "Hi Bob,\r\n\r\nare you free for lunch on "
	     "Friday?\r\n\r\nAlice\r\n"},
	    {"simple", "2", "<none>"},
	    {"simple", "1.1", "<none>"},
	    {"simple", "HEADER.FIELDS (subject FROM)",
	     "From: Alice Example <alice@example.org>\r\n"
	     "Subject: Lunch on Friday?\r\n\r\n"},
	    {"simple", "HEADER.FIELDS (X-None)", "\r\n"},
	    {"alternative", "1",
	     "Caf=C3=A9 at ten, then the agenda=\r\n"
	     " review."},
	    {"alternative", "2.MIME",
	     "Content-Type: text/html; charset=utf-8\r\n"
	     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"},
	    {"alternative", "3", "<none>"},
	    {"alternative", "1.HEADER", ""},
	    {"mixed_attach", "3", "iVBORw0KGgo="},
	    {"rfc822", "2.HEADER.FIELDS (Subject)", "Subject: Agenda\r\n\r\n"},
	    {"rfc822", "2.1", "Coffee at ten."},
	    {"rfc822", "2.2.MIME", "Content-Type: text/html\r\n\r\n"},
	    {"rfc822", "2.TEXT",
	     "--inner\r\nContent-Type: text/plain\r\n\r\nCoffee at ten.\r\n"
	     "--inner\r\nContent-Type: text/html\r\n\r\n<p>Coffee at "
	     "ten.</p>\r\n--inner--"},
	    {"rfc822", "2.3", "<none>"},
	    {"rfc822", "1.TEXT", ""},
	    {"digest", "1.1", "one"},
	    {"digest", "1.HEADER",
	     "From: one@example.com\r\nSubject: first\r\n\r\n"},
	    {"no_body", "TEXT", ""},
	    /* "except in the case of a message that has no body and no
	     * blank line" (RFC 9051 §6.4.5) */
	    {"no_body", "HEADER.FIELDS (Subject)", "Subject: header only\r\n"},
	    {"no_body", "HEADER.FIELDS.NOT (Subject)",
	     "From: z@example.com\r\n"},
	    {"malformed_header",
	     "HEADER.FIELDS.NOT (Subject Content-Type "
	     "Content-Transfer-Encoding)",
	     "From: w@example.com\nThis line has no colon\n\r\n"},
	    {"no_body", "HEADER",
	     "From: z@example.com\r\nSubject: header "
	     "only\r\n"},
	    {"malformed_noend", "1.2", "inner two, no end of b"},
	    {"bare_lf", "1", "lf only"},
	    {"empty", "", ""},
	    {"empty", "1", ""},
	};
	test_begin("section find");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		const char *got =
		    section_get(tests[i].msg, tests[i].spec, pool);
		if (strcmp(got, tests[i].want) != 0)
			printf("row %zu: %s [%s]\n", i, tests[i].msg,
			       tests[i].spec);
		test_assert_str(got, tests[i].want);
	}
	pool_free(&pool);
	test_end();
}

/* RFC 9051 §6.4.5's own example: "an example of a complex message with
 * some of its part specifiers", rebuilt as tests/data/mime/
 * rfc9051_sections.eml with each part's type as the table names it, and
 * each leaf's text naming its number. */
static void test_section_rfc9051_example(void)
{
	static const struct {
		const char *spec, *want;
	} tests[] = {
	    {"1", "part 1 text"},
	    {"2", "cGFydCAy"},
	    {"3.HEADER", "From: Cy <cy@example.com>\r\nSubject: part 3 message"
	                 "\r\nContent-Type: MULTIPART/MIXED; "
	                 "boundary=\"p3\"\r\n\r\n"},
	    {"3.TEXT", "--p3\r\nContent-Type: TEXT/PLAIN\r\n\r\npart 3.1 text"
	               "\r\n--p3\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n"
	               "\r\npart 3.2 data\r\n--p3--"},
	    {"3.1", "part 3.1 text"},
	    {"3.2", "part 3.2 data"},
	    {"4.1", "R0lGODlh"},
	    {"4.1.MIME", "Content-Type: IMAGE/GIF\r\nContent-Transfer-Encoding:"
	                 " base64\r\n\r\n"},
	    {"4.2.HEADER", "From: Di <di@example.com>\r\nSubject: part 4.2 "
	                   "message\r\nContent-Type: MULTIPART/MIXED; "
	                   "boundary=\"p42\"\r\n\r\n"},
	    {"4.2.1", "part 4.2.1 text"},
	    {"4.2.2.1", "part 4.2.2.1 text"},
	    {"4.2.2.2", "part 4.2.2.2 richtext"},
	    {"4.2.2.3", "<none>"},
	    {"5", "<none>"},
	    {"4.2.1.1", "<none>"},
	};
	test_begin("section numbers of RFC 9051 §6.4.5's example");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		const char *got =
		    section_get("rfc9051_sections", tests[i].spec, pool);
		if (strcmp(got, tests[i].want) != 0)
			printf("row %zu: [%s]\n", i, tests[i].spec);
		test_assert_str(got, tests[i].want);
	}
	pool_free(&pool);
	test_end();
}

/* A message whose top level is message/rfc822 is a single-part message
 * (RFC 9051 §6.4.5: "non-multipart messages ... only have a part 1"), and
 * its part 1 is the encapsulated message; the numbers after it go into
 * that message, as after any message/rfc822 part. */
static void test_section_rfc822_top(void)
{
	static const char inner_header[] =
	    "From: Inner <inner@example.org>\r\n"
	    "To: Someone <someone@example.org>\r\n"
	    "Subject: Inner envelope\r\n"
	    "Date: Wed, 6 Mar 2024 10:00:00 +0000\r\n"
	    "Message-ID: <inner@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n";
	static const char inner_text[] =
	    "--in\r\nContent-Type: text/plain\r\n\r\ninner part one\r\n"
	    "--in\r\nContent-Type: text/plain\r\n\r\ninner part two\r\n"
	    "--in--\r\n";
	static const char outer_header[] =
	    "From: Outer <outer@example.com>\r\n"
	    "To: Reader <reader@example.com>\r\n"
	    "Subject: Outer envelope\r\n"
	    "Date: Thu, 7 Mar 2024 11:00:00 +0000\r\n"
	    "Message-ID: <outer@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: message/rfc822\r\n\r\n";
	struct pool *pool = pool_new();
	const char *inner = pool_printf(pool, "%s%s", inner_header, inner_text);
	const struct {
		const char *msg, *spec, *want;
	} tests[] = {
	    {"rfc822_top", "HEADER", outer_header},
	    {"rfc822_top", "TEXT", inner},
	    {"rfc822_top", "1", inner},
	    {"rfc822_top", "1.MIME", outer_header},
	    {"rfc822_top", "1.HEADER", inner_header},
	    {"rfc822_top", "1.TEXT", inner_text},
	    {"rfc822_top", "1.1", "inner part one"},
	    {"rfc822_top", "1.2", "inner part two"},
	    {"rfc822_top", "1.1.MIME", "Content-Type: text/plain\r\n\r\n"},
	    {"rfc822_top", "1.HEADER.FIELDS (Subject)",
	     "Subject: Inner envelope\r\n\r\n"},
	    {"rfc822_top", "2", "<none>"},
	    {"rfc822_top", "1.3", "<none>"},
	    {"rfc822_top_single", "1",
	     "From: Inner <inner@example.org>\r\nSubject: Inner single "
	     "part\r\n\r\nthe inner body\r\n"},
	    {"rfc822_top_single", "1.TEXT", "the inner body\r\n"},
	    {"rfc822_top_single", "1.1", "the inner body\r\n"},
	    {"rfc822_top_single", "1.1.MIME",
	     "From: Inner <inner@example.org>\r\nSubject: Inner single "
	     "part\r\n\r\n"},
	    {"rfc822_top_single", "1.1.1", "<none>"},
	};
	test_begin("section numbers under a top-level message/rfc822");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		const char *got =
		    section_get(tests[i].msg, tests[i].spec, pool);
		if (strcmp(got, tests[i].want) != 0)
			printf("row %zu: %s [%s]\n", i, tests[i].msg,
			       tests[i].spec);
		test_assert_str(got, tests[i].want);
	}
	pool_free(&pool);
	test_end();
}

static void test_section_binary(void)
{
	static const struct {
		const char *msg, *spec;
		int ret;
		const char *want;
		size_t size;
	} tests[] = {
	    {"alternative", "1", 1,
	     "Caf\xc3\xa9 at ten, then the agenda review.", 37},
	    {"mixed_attach", "3", 1, "\x89PNG\r\n\x1a\n", 8},
	    {"rfc2231", "1", 1, "\x00\x01\x02\x03", 4},
	    {"simple", "1", 1, "Hi Bob,", 55},
	    {"malformed_header", "1", -1, "", 0},
	    {"simple", "4", 0, "", 0},
	    /* a composite part's own encoding: identity for the message in
	     * part 2 (its parts keep theirs), base64 for a message/rfc822
	     * sent so against RFC 2046 §5.2.1 */
	    {"rfc822", "2", 1, "From: Renee <renee@example.org>\r\n", 324},
	    {"rfc822_base64", "1", 1,
	     "From: a@example.com\r\nSubject: hidden\r\n\r\nbody\r\n", 46},
	};
	test_begin("section binary");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf msg, out;
		char path[512];
		buf_init(&msg);
		buf_init(&out);
		snprintf(path, sizeof(path), "%s/%s.eml", MIME_TEST_DATA,
		         tests[i].msg);
		test_assert_idx(file_read_all(path, &msg, 1 << 20) == 0, i);
		struct mime_settings set = MIME_SETTINGS_DEFAULT;
		const unsigned char *data = (const unsigned char *)msg.data;
		struct mime_part *root = mime_parse(data, msg.len, &set, pool);
		struct mime_section sec;
		const char *error = NULL;
		size_t size = 99;
		test_assert_idx(mime_section_parse(tests[i].spec,
		                                   strlen(tests[i].spec), pool,
		                                   &sec, &error) == 1,
		                i);
		int ret = mime_section_binary(data, root, &sec, &out, &error);
		test_assert_int(ret, tests[i].ret);
		test_assert_int(
		    mime_section_binary_size(data, root, &sec, &size, &error),
		    tests[i].ret);
		if (ret > 0) {
			test_assert_idx(out.len == tests[i].size, i);
			test_assert_idx(size == tests[i].size, i);
			test_assert_idx(memcmp(out.data, tests[i].want,
			                       strlen(tests[i].want)) == 0 ||
			                    tests[i].want[0] == '\0',
			                i);
		} else if (ret < 0) {
			test_assert_str(error, "unknown encoding");
		}
		buf_deinit(&msg);
		buf_deinit(&out);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_section_parse,           test_section_find,
	    test_section_rfc9051_example, test_section_rfc822_top,
	    test_section_binary,          NULL};
	return test_run(tests);
}
