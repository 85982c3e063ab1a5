/* Golden tests of ENVELOPE, BODYSTRUCTURE and BODY: each message in
 * tests/data/mime/<name>.eml must give exactly <name>.ref. Run with
 * MIME_REF_WRITE=1 to write the .ref files (then read them!). Plus
 * table-driven tests of the IMAP string quoting. */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const messages[] = {
    "simple",          "alternative",
    "mixed_attach",    "rfc822",
    "encoded_words",   "rfc2231",
    "groups",          "malformed_noboundary",
    "malformed_noend", "malformed_header",
    "bare_lf",         "digest",
    "no_body",         "empty",
    "rfc822_top",      "rfc822_top_single",
};

static void golden_build(const struct buf *msg, struct buf *out)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	const unsigned char *data = (const unsigned char *)msg->data;
	struct mime_part *root = mime_parse(data, msg->len, &set, pool);
	buf_append_str(out, "ENVELOPE ");
	mime_imap_envelope(data, root, out);
	buf_append_str(out, "\r\nBODYSTRUCTURE ");
	mime_imap_bodystructure(data, root, true, out);
	buf_append_str(out, "\r\nBODY ");
	mime_imap_bodystructure(data, root, false, out);
	buf_append_str(out, "\r\n");
	pool_free(&pool);
}

static void test_imap_golden(void)
{
	test_begin("imap envelope and bodystructure golden files");
	bool do_write = getenv("MIME_REF_WRITE") != NULL;
	for (size_t i = 0; i < sizeof(messages) / sizeof(*messages); i++) {
		struct buf msg, got, want;
		buf_init(&msg);
		buf_init(&got);
		buf_init(&want);
		char path[512];
		snprintf(path, sizeof(path), "%s/%s.eml", MIME_TEST_DATA,
		         messages[i]);
		test_assert_idx(file_read_all(path, &msg, 1 << 20) == 0, i);
		golden_build(&msg, &got);
		snprintf(path, sizeof(path), "%s/%s.ref", MIME_TEST_DATA,
		         messages[i]);
		if (do_write) {
			FILE *f = fopen(path, "wb");
			test_assert_idx(f != NULL, i);
			if (f != NULL) {
				fwrite(got.data, 1, got.len, f);
				fclose(f);
			}
		}
		test_assert_idx(file_read_all(path, &want, 1 << 20) == 0, i);
		if (strcmp(got.data, want.data) != 0)
			printf("%s:\n", messages[i]);
		test_assert_str(got.data, want.data);
		buf_deinit(&msg);
		buf_deinit(&got);
		buf_deinit(&want);
	}
	test_end();
}

static void test_imap_string(void)
{
	static const struct {
		const char *in;
		const char *out;
	} tests[] = {
	    {"", "\"\""},
	    {"plain", "\"plain\""},
	    {"a \"q\" \\ b", "\"a \\\"q\\\" \\\\ b\""},
	    {"line\r\nbreak", "{11}\r\nline\r\nbreak"},
	    {"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
	};
	test_begin("imap string quoting");
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct buf b;
		buf_init(&b);
		mime_imap_string(tests[i].in, strlen(tests[i].in), &b);
		test_assert_str(b.data, tests[i].out);
		buf_deinit(&b);
	}
	struct buf b;
	buf_init(&b);
	mime_imap_nstring(NULL, &b);
	test_assert_str(b.data, "NIL");
	buf_truncate(&b, 0);
	char big[2000];
	memset(big, 'x', sizeof(big));
	mime_imap_string(big, sizeof(big), &b);
	test_assert(strncmp(b.data, "{2000}\r\n", 8) == 0);
	buf_deinit(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_imap_golden,
	                                      test_imap_string, NULL};
	return test_run(tests);
}
