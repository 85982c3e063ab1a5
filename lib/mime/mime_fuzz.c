/* Fuzzer for the MIME parser and everything built on its tree: the tree's
 * offsets must nest inside the input, ENVELOPE and BODYSTRUCTURE must be
 * balanced IMAP, and sections, BINARY and search text must not crash.
 * (Dovecot src/lib-mail/fuzz-message-parser.c) */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "mime/mime_section.h"
#include "mime/mime_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tree_check(const struct mime_part *part, size_t start, size_t end)
{
	if (part->header_offset < start ||
	    part->header_offset > part->body_offset ||
	    part->body_offset > part->end_offset || part->end_offset > end)
		abort();
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		tree_check(c, part->body_offset, part->end_offset);
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0 &&
	    part->children == NULL)
		abort();
}

/* Skips literals and quoted strings; parentheses must balance. */
static void imap_check(const struct buf *b)
{
	int depth = 0;
	for (size_t i = 0; i < b->len; i++) {
		char c = b->data[i];
		if (c == '"') {
			for (i++; i < b->len && b->data[i] != '"'; i++)
				if (b->data[i] == '\\')
					i++;
		} else if (c == '{') {
			size_t n = strtoul(b->data + i + 1, NULL, 10);
			i = (size_t)(strchr(b->data + i, '\n') - b->data) + n;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth < 0) {
			abort();
		}
	}
	if (depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const specs[] = {
	    "",
	    "1",
	    "2",
	    "1.1",
	    "1.2.3",
	    "TEXT",
	    "HEADER",
	    "1.MIME",
	    "2.HEADER",
	    "1.TEXT",
	    "HEADER.FIELDS (From To Subject)",
	    "2.HEADER.FIELDS.NOT (Content-Type)",
	};
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	set.max_parts = 100; /* keep each run short */
	struct pool *pool = pool_new();
	struct mime_part *root = mime_parse(data, size, &set, pool);
	tree_check(root, 0, size);
	struct buf b;
	buf_init(&b);
	mime_imap_envelope(data, root, &b);
	imap_check(&b);
	buf_truncate(&b, 0);
	mime_imap_bodystructure(data, root, true, &b);
	imap_check(&b);
	for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		struct mime_section sec;
		struct mime_section_result r;
		const char *error;
		size_t bsize;
		if (mime_section_parse(specs[i], strlen(specs[i]), pool, &sec,
		                       &error) < 0)
			abort();
		if (mime_section_find(data, root, &sec, pool, &r) > 0 &&
		    r.synth == NULL && r.offset + r.size > size)
			abort();
		if (sec.kind == MIME_SECTION_PART)
			(void)mime_section_binary_size(data, root, &sec, &bsize,
			                               &error);
	}
	struct mime_text text;
	mime_text_init(&text);
	mime_text_extract(data, root, 65536, &text);
	mime_text_deinit(&text);
	buf_deinit(&b);
	pool_free(&pool);
	return 0;
}
