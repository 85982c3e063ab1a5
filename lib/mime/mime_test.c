/* The part tree parser: offsets, line counts, Content-* fields, defaults,
 * boundaries (RFC 2046 §5.1.1: the CRLF before a delimiter belongs to it,
 * a boundary that is a prefix of a longer line is no delimiter), and
 * header walking. Table-driven over small inline messages. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_mime_parse_tree(void)
{
	static const struct {
		const char *msg;
		unsigned int parts;
		const char *leaf_type; /* of the first leaf */
		size_t leaf_body, leaf_size, leaf_lines;
	} tests[] = {
	    {"Subject: x\r\n\r\nbody\r\n", 1, "text/plain", 14, 6, 1},
	    {"Subject: x\r\n\r\nbody", 1, "text/plain", 14, 4, 0},
	    {"Subject: x\r\n", 1, "text/plain", 12, 0, 0},
	    {"\r\nbody", 1, "text/plain", 2, 4, 0},
	    /* RFC 2046 §5.1.1, note to implementors: "it is sufficient
	     * that the boundary appear in its entirety following the CRLF":
	     * "--abc" is a delimiter line of boundary "ab" */
	    {"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n"
	     "Content-Type: image/gif\r\n\r\nGIF\r\n--abc\r\nx\r\n--ab--\r\n",
	     3, "image/gif", 79, 3, 0},
	    {"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab  \r\n"
	     "\r\nA\r\n--ab--",
	     2, "text/plain", 56, 1, 0},
	    {"Content-Type: message/rfc822\r\n\r\nContent-Type: text/html\r\n"
	     "\r\n<b>",
	     2, "text/html", 59, 3, 0},
	    {"Content-Type: multipart/mixed\r\n\r\nno boundary", 1,
	     "text/plain", 33, 11, 0},
	    {"Content-Type: ;;;\r\n\r\nx", 1, "text/plain", 21, 1, 0},
	    {"", 1, "text/plain", 0, 0, 0},
	};
	test_begin("parse tree");
	struct mime_settings set;
	mime_settings_init(&set);
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		const unsigned char *d = (const unsigned char *)tests[i].msg;
		struct mime_part *root =
		    mime_parse(d, strlen(tests[i].msg), &set, pool);
		test_assert_idx(mime_part_count(root) == tests[i].parts, i);
		const struct mime_part *leaf = root;
		while (leaf->children != NULL)
			leaf = leaf->children;
		char type[64];
		snprintf(type, sizeof(type), "%s/%s", leaf->type,
		         leaf->subtype);
		test_assert_str(type, tests[i].leaf_type);
		test_assert_idx(leaf->body_offset == tests[i].leaf_body, i);
		test_assert_idx(leaf->end_offset - leaf->body_offset ==
		                    tests[i].leaf_size,
		                i);
		test_assert_idx(leaf->body_lines == tests[i].leaf_lines, i);
		test_assert_idx(root->end_offset == strlen(tests[i].msg), i);
	}
	pool_free(&pool);
	test_end();
}

static void test_mime_parse_fields(void)
{
	static const char msg[] =
	    "Content-Type: Application/Octet-Stream; Name=\"a b.bin\";\r\n"
	    "\tfoo=bar\r\n"
	    "content-transfer-encoding: BASE64\r\n"
	    "Content-ID: <id@x>\r\n"
	    "Content-Description:  a\r\n  file\r\n"
	    "Content-Disposition: attachment; "
	    "filename*=utf-8''%E2%82%AC.txt\r\n"
	    "Content-Language: en\r\n"
	    "Content-Location: http://x/\r\n"
	    "Content-MD5: abc=\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\nAA==\r\n";
	test_begin("parse content fields");
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct mime_part *p =
	    mime_parse((const unsigned char *)msg, strlen(msg), &set, pool);
	test_assert_str(p->type, "Application");
	test_assert_str(p->subtype, "Octet-Stream");
	test_assert_int(p->param_count, 2);
	test_assert_str(p->params[0].name, "name");
	test_assert_str(p->params[0].value, "a b.bin");
	test_assert_str(p->params[1].value, "bar");
	test_assert_str(p->encoding, "BASE64");
	test_assert_str(p->id, "<id@x>");
	test_assert_str(p->description, "a  file");
	test_assert_str(p->disposition, "attachment");
	test_assert_str(p->disposition_params[0].name, "filename*");
	test_assert_str(mime_param_get(p->disposition_params,
	                               p->disposition_param_count, "filename",
	                               pool),
	                "\xe2\x82\xac.txt");
	test_assert_str(p->language, "en");
	test_assert_str(p->location, "http://x/");
	test_assert_str(p->md5, "abc=");
	test_assert_int(p->header_lines, 12); /* with the blank line */
	test_assert(mime_part_is(p, "application", "octet-stream"));
	test_assert(!mime_part_is(p, "text", NULL));
	test_assert_str(
	    mime_header_get((const unsigned char *)msg, p, "CONTENT-ID", pool),
	    "<id@x>");
	test_assert(mime_header_get((const unsigned char *)msg, p, "X-No",
	                            pool) == NULL);
	pool_free(&pool);
	test_end();
}

static void test_mime_header_iter(void)
{
	static const char msg[] = "A: 1\r\nno colon\r\nB : 2\r\n x\nC:\r\n\r\n"
	                          "D: body\r\n";
	static const char *const names[] = {"A", "", "B", "C"};
	test_begin("header iteration");
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	const unsigned char *d = (const unsigned char *)msg;
	struct mime_part *p = mime_parse(d, strlen(msg), &set, pool);
	struct mime_header_iter iter;
	struct mime_header_field f;
	size_t n = 0, total = 0;
	mime_header_iter_init(&iter, d, p);
	while (mime_header_iter_next(&iter, &f) > 0) {
		test_assert_idx(n < 4, n);
		if (n < 4)
			test_assert_idx(
			    f.name_len == strlen(names[n]) &&
			        memcmp(f.name, names[n], f.name_len) == 0,
			    n);
		total += f.size;
		n++;
	}
	test_assert_int(n, 4);
	/* the fields and the blank line cover the whole header */
	test_assert_int(total + 2, p->body_offset);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_mime_parse_tree,
	                                      test_mime_parse_fields,
	                                      test_mime_header_iter, NULL};
	return test_run(tests);
}
