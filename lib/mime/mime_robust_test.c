/* Byte-by-byte robustness of the parser and its users (run under ASan and
 * UBSan in CI): every truncation of every test message, a few thousand
 * seeded mutations, 10,000+ parts, absurd nesting, NULs and bare CRs. Each
 * run checks that the tree nests inside the input and that ENVELOPE and
 * BODYSTRUCTURE balance. */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "mime/mime_section.h"
#include "mime/mime_text.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS_PER_MESSAGE 300

static const char *const messages[] = {
    "simple",          "alternative",
    "mixed_attach",    "rfc822",
    "encoded_words",   "rfc2231",
    "groups",          "malformed_noboundary",
    "malformed_noend", "malformed_header",
    "bare_lf",         "digest",
};

static bool tree_is_valid(const struct mime_part *part, size_t start,
                          size_t end)
{
	if (part->header_offset < start ||
	    part->header_offset > part->body_offset ||
	    part->body_offset > part->end_offset || part->end_offset > end)
		return false;
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0 &&
	    part->children == NULL)
		return false;
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		if (!tree_is_valid(c, part->body_offset, part->end_offset))
			return false;
	return true;
}

/* Parentheses balance outside quoted strings and literals. */
static bool imap_is_balanced(const struct buf *b)
{
	int depth = 0;
	for (size_t i = 0; i < b->len; i++) {
		char c = b->data[i];
		if (c == '"') {
			for (i++; i < b->len && b->data[i] != '"'; i++)
				if (b->data[i] == '\\')
					i++;
		} else if (c == '{') {
			char *end;
			size_t n = strtoul(b->data + i + 1, &end, 10);
			if (end[0] != '}' || end[1] != '\r' || end[2] != '\n')
				return false;
			i = (size_t)(end - b->data) + 2 + n;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth < 0) {
			return false;
		}
	}
	return depth == 0;
}

/* Runs everything over data; returns false if an invariant broke. */
static bool run_one(const unsigned char *data, size_t size,
                    const struct mime_settings *set)
{
	struct pool *pool = pool_new();
	/* an exact-size copy, so ASan sees any overread */
	unsigned char *copy = malloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(copy, data, size);
	struct mime_part *root = mime_parse(copy, size, set, pool);
	bool ok = tree_is_valid(root, 0, size) && root->end_offset == size;
	struct buf b;
	buf_init(&b);
	mime_imap_envelope(copy, root, &b);
	ok = ok && imap_is_balanced(&b);
	buf_truncate(&b, 0);
	mime_imap_bodystructure(copy, root, true, &b);
	ok = ok && imap_is_balanced(&b);
	static const char *const specs[] = {"1", "2.1", "1.HEADER",
	                                    "HEADER.FIELDS (From)", "2.MIME"};
	for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		struct mime_section sec;
		struct mime_section_result r;
		const char *error;
		size_t bsize;
		mime_section_parse(specs[i], strlen(specs[i]), pool, &sec,
		                   &error);
		if (mime_section_find(copy, root, &sec, pool, &r) > 0 &&
		    r.synth == NULL && r.offset + r.size > size)
			ok = false;
		if (sec.kind == MIME_SECTION_PART)
			(void)mime_section_binary_size(copy, root, &sec, &bsize,
			                               &error);
	}
	struct mime_text text;
	mime_text_init(&text);
	mime_text_extract(copy, root, 4096, &text);
	mime_text_deinit(&text);
	buf_deinit(&b);
	free(copy);
	pool_free(&pool);
	return ok;
}

static void test_robust_truncations_mutations(void)
{
	test_begin("every truncation and seeded mutations");
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	uint32_t seed = 12345;
	unsigned long runs = 0;
	static const char noise[] = "\r\n-:;=\"()<>@\\\0 \t=?*'%";
	for (size_t m = 0; m < sizeof(messages) / sizeof(*messages); m++) {
		struct buf msg;
		char path[512];
		buf_init(&msg);
		snprintf(path, sizeof(path), "%s/%s.eml", MIME_TEST_DATA,
		         messages[m]);
		test_assert_idx(file_read_all(path, &msg, 1 << 20) == 0, m);
		for (size_t n = 0; n <= msg.len; n++, runs++)
			test_assert_idx(
			    run_one((const unsigned char *)msg.data, n, &set),
			    m * 100000 + n);
		for (int k = 0; k < MUTATIONS_PER_MESSAGE && msg.len > 0;
		     k++, runs++) {
			struct buf mut;
			buf_init(&mut);
			buf_append(&mut, msg.data, msg.len);
			for (int e = 0; e < 1 + k % 8; e++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = (seed >> 8) % mut.len;
				mut.data[at] = k % 2
				                   ? (char)(seed >> 16)
				                   : noise[(seed >> 20) %
				                           (sizeof(noise) - 1)];
			}
			test_assert_idx(run_one((const unsigned char *)mut.data,
			                        mut.len, &set),
			                m * 100000 + (size_t)k);
			buf_deinit(&mut);
		}
		buf_deinit(&msg);
	}
	test_assert(runs > 3000);
	test_end();
}

static void test_robust_limits(void)
{
	test_begin("10,000 parts, deep nesting, limits");
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct buf b;
	buf_init(&b);
	/* 12,000 parts: the tree stops at max_parts, the rest is one leaf */
	buf_append_str(&b, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	for (int i = 0; i < 12000; i++)
		buf_append_str(&b, "--x\r\n\r\np\r\n");
	buf_append_str(&b, "--x--\r\n");
	struct mime_part *root =
	    mime_parse((const unsigned char *)b.data, b.len, &set, pool);
	test_assert(tree_is_valid(root, 0, b.len));
	test_assert(mime_part_count(root) <= set.max_parts + 1);
	test_assert(mime_part_count(root) >= set.max_parts);
	test_assert((root->flags & MIME_PART_FLAG_LIMIT) != 0);
	test_assert(run_one((const unsigned char *)b.data, b.len, &set));

	/* 5,000 nested multiparts and message/rfc822s */
	buf_truncate(&b, 0);
	for (int i = 0; i < 5000; i++)
		buf_printf(&b,
		           i % 2 ? "Content-Type: message/rfc822\r\n\r\n"
		                 : "Content-Type: multipart/mixed; "
		                   "boundary=b%d\r\n\r\n--b%d\r\n",
		           i, i);
	buf_append_str(&b, "deep\r\n");
	root = mime_parse((const unsigned char *)b.data, b.len, &set, pool);
	const struct mime_part *p = root;
	unsigned int depth = 0;
	while (p->children != NULL) {
		p = p->children;
		depth++;
	}
	test_assert_int(depth, set.max_depth);
	test_assert((p->flags & MIME_PART_FLAG_LIMIT) != 0);
	test_assert(run_one((const unsigned char *)b.data, b.len, &set));
	set.max_depth = 1000000; /* clamped to 1,000 */
	test_assert(run_one((const unsigned char *)b.data, b.len, &set));
	buf_deinit(&b);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_robust_truncations_mutations,
	                                      test_robust_limits, NULL};
	return test_run(tests);
}
