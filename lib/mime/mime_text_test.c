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
	test_assert(strstr(t.body.data, "Subject: Agenda\n") != NULL);
	test_assert(strstr(t.body.data, "<p>Coffee at ten.</p>") != NULL);
	extract("alternative", 10, &t);
	test_assert_int(t.body.len, 10);
	mime_text_deinit(&t);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_text_extract, NULL};
	return test_run(tests);
}
