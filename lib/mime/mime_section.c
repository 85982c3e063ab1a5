/* IMAP section specs (RFC 9051 §6.4.5 BODY[<section>] and BINARY[], §9
 * "section", "section-binary") parsed and resolved against a part tree into
 * a byte range of the message, or synthesized bytes for HEADER.FIELDS
 * (RFC 9051 §6.4.5: the matching field lines, then the blank line).
 * BINARY decodes with GMime's decoders (mime_decode.c). */
#include "mime/mime_section.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_decode.h"
#include "mime/mime_private.h"

#include <string.h>
#include <strings.h>

#define SECTION_FIELDS_MAX 256

static bool keyword_at(const char **s, const char *end, const char *kw)
{
	size_t n = strlen(kw);
	if ((size_t)(end - *s) < n || strncasecmp(*s, kw, n) != 0)
		return false;
	*s += n;
	return true;
}

/* header-fld-name = astring (atom or quoted; imapd turns literals into
 * plain strings before calling) */
static const char *field_name_read(const char *s, const char *end,
                                   struct pool *pool, const char **name_r)
{
	struct buf b;
	buf_init(&b);
	if (*s == '"') {
		for (s++; s < end && *s != '"'; s++) {
			if (*s == '\\' && s + 1 < end)
				s++;
			buf_append_char(&b, *s);
		}
		s = s < end ? s + 1 : s;
	} else {
		while (s < end && *s != ' ' && *s != ')' && *s != '(' &&
		       (unsigned char)*s > ' ')
			buf_append_char(&b, *s++);
	}
	*name_r = b.len > 0 ? pool_strndup(pool, b.data, b.len) : NULL;
	buf_deinit(&b);
	return s;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static int header_list_parse(const char *s, const char *end, struct pool *pool,
                             struct mime_section *sec, const char **error_r)
{
	if (s >= end || *s++ != ' ' || s >= end || *s++ != '(') {
		*error_r = "expected header list";
		return -1;
	}
	sec->fields = pool_alloc(pool, sizeof(char *) * SECTION_FIELDS_MAX);
	while (s < end && *s != ')') {
		const char *name;
		if (*s == ' ') {
			s++;
			continue;
		}
		s = field_name_read(s, end, pool, &name);
		if (name == NULL || sec->field_count == SECTION_FIELDS_MAX) {
			*error_r = name == NULL ? "invalid header field name"
			                        : "too many header fields";
			return -1;
		}
		sec->fields[sec->field_count++] = name;
	}
	if (s >= end || s + 1 != end || sec->field_count == 0) {
		*error_r = "invalid header list";
		return -1;
	}
	return 1;
}

/* section-text = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list /
 *                "TEXT" / "MIME" */
static int section_text_parse(const char *s, const char *end, struct pool *pool,
                              struct mime_section *sec, const char **error_r)
{
	if (keyword_at(&s, end, "HEADER.FIELDS")) {
		sec->kind = MIME_SECTION_FIELDS;
		if (keyword_at(&s, end, ".NOT"))
			sec->kind = MIME_SECTION_FIELDS_NOT;
		return header_list_parse(s, end, pool, sec, error_r);
	}
	if (keyword_at(&s, end, "HEADER"))
		sec->kind = MIME_SECTION_HEADER;
	else if (keyword_at(&s, end, "TEXT"))
		sec->kind = MIME_SECTION_TEXT;
	else if (sec->part_count > 0 && keyword_at(&s, end, "MIME"))
		sec->kind = MIME_SECTION_MIME;
	else {
		*error_r = "invalid section text";
		return -1;
	}
	if (s != end) {
		*error_r = "junk after section text";
		return -1;
	}
	return 1;
}

/* section      = [section-part ["." section-text]] / section-text
 * section-part = nz-number *("." nz-number) */
int mime_section_parse(const char *spec, size_t len, struct pool *pool,
                       struct mime_section *section_r, const char **error_r)
{
	const char *s = spec, *end = spec + len;
	memset(section_r, 0, sizeof(*section_r));
	section_r->kind = MIME_SECTION_PART;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned long n = 0;
		for (; s < end && *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (unsigned long)(*s - '0');
			if (n > 0xffffffffUL) {
				*error_r = "part number too big";
				return -1;
			}
		}
		if (n == 0 || section_r->part_count == MIME_SECTION_MAX_PARTS) {
			*error_r =
			    n == 0 ? "part number 0" : "section too deep";
			return -1;
		}
		section_r->parts[section_r->part_count++] = (unsigned int)n;
		if (s == end)
			return 1;
		if (*s++ != '.' || s == end) {
			*error_r = "invalid section";
			return -1;
		}
	}
	if (s == end)
		return 1; /* "" */
	return section_text_parse(s, end, pool, section_r, error_r);
}

/* Part n of a message (the root, or the message a message/rfc822 part
 * encapsulates): its nth body part when it is multipart, else only part 1,
 * the message itself taken as its one body part (RFC 9051 §6.4.5: "non-
 * multipart messages with no encapsulated message only have a part 1").
 * Returns the part, or NULL. */
static const struct mime_part *message_part(const struct mime_part *msg,
                                            unsigned int n)
{
	if ((msg->flags & MIME_PART_FLAG_MULTIPART) == 0)
		return n == 1 ? msg : NULL;
	const struct mime_part *cur = msg->children;
	while (cur != NULL && --n > 0)
		cur = cur->next;
	return cur;
}

/* Follows the part numbers (RFC 9051 §6.4.5): the first counts in the
 * message itself; after it, a multipart part's numbers index its body
 * parts, and a message/rfc822 part's numbers go on into the message it
 * encapsulates ("3.1" is part 1 of the message in part 3). A top-level
 * message/rfc822 is a single-part message: "1" is its body, the
 * encapsulated message, and "1.1" is part 1 of that. Returns the part, or
 * NULL (a leaf has no subparts). */
static const struct mime_part *part_find(const struct mime_part *root,
                                         const struct mime_section *section)
{
	const struct mime_part *cur = NULL;
	for (unsigned int i = 0; i < section->part_count; i++) {
		unsigned int n = section->parts[i];
		if (cur == NULL)
			cur = message_part(root, n);
		else if ((cur->flags & MIME_PART_FLAG_MESSAGE) != 0)
			cur = message_part(cur->children, n);
		else if ((cur->flags & MIME_PART_FLAG_MULTIPART) != 0)
			cur = message_part(cur, n);
		else
			return NULL;
		if (cur == NULL)
			return NULL;
	}
	return cur != NULL ? cur : root;
}

static bool field_is_listed(const struct mime_section *section,
                            const struct mime_header_field *f)
{
	for (unsigned int i = 0; i < section->field_count; i++) {
		if (mime_name_eq(f->name, f->name_len, section->fields[i]))
			return true;
	}
	return false;
}

/* Does part's header end with the blank line before a body? A message
 * that is all header has none. */
static bool header_has_blank_line(const unsigned char *data,
                                  const struct mime_part *part)
{
	size_t start = part->header_offset, end = part->body_offset;
	if (end == start || data[end - 1] != '\n')
		return false;
	end--;
	if (end > start && data[end - 1] == '\r')
		end--;
	return end == start || data[end - 1] == '\n';
}

/* RFC 9051 §6.4.5: HEADER.FIELDS gives "only those header fields with a
 * field-name that matches", HEADER.FIELDS.NOT "only the header fields with
 * a non-matching field-name" (a line without a colon has no name to match:
 * it stays, as in Dovecot); "the blank line is included in all header
 * fetches, except in the case of a message that has no body and no blank
 * line". */
static void fields_synth(const unsigned char *data, const struct mime_part *msg,
                         const struct mime_section *section, struct pool *pool,
                         struct mime_section_result *r)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	struct buf b;
	bool want = section->kind == MIME_SECTION_FIELDS;
	buf_init(&b);
	mime_header_iter_init(&iter, data, msg);
	while (mime_header_iter_next(&iter, &f) > 0) {
		bool is_listed = f.name_len > 0 && field_is_listed(section, &f);
		if (is_listed == want)
			buf_append(&b, data + f.offset, f.size);
	}
	if (header_has_blank_line(data, msg))
		buf_append_str(&b, "\r\n");
	unsigned char *synth = pool_alloc(pool, b.len);
	memcpy(synth, b.data, b.len);
	r->synth = synth;
	r->synth_size = b.len;
	buf_deinit(&b);
}

int mime_section_find(const unsigned char *data, const struct mime_part *root,
                      const struct mime_section *section, struct pool *pool,
                      struct mime_section_result *result_r)
{
	const struct mime_part *part = part_find(root, section);
	memset(result_r, 0, sizeof(*result_r));
	if (part == NULL)
		return 0;
	result_r->part = part;
	/* HEADER, TEXT, FIELDS of "n" look into the message in part n. */
	const struct mime_part *msg = part;
	if (section->part_count > 0 &&
	    (part->flags & MIME_PART_FLAG_MESSAGE) != 0)
		msg = part->children;
	bool has_msg = section->part_count == 0 || msg != part;

	switch (section->kind) {
	case MIME_SECTION_PART:
		if (section->part_count == 0) {
			result_r->offset = 0;
			result_r->size = root->end_offset;
		} else {
			result_r->offset = part->body_offset;
			result_r->size = part->end_offset - part->body_offset;
		}
		break;
	case MIME_SECTION_MIME:
		result_r->offset = part->header_offset;
		result_r->size = part->body_offset - part->header_offset;
		break;
	case MIME_SECTION_HEADER:
	case MIME_SECTION_TEXT:
		if (!has_msg)
			break; /* not a message: empty */
		bool is_header = section->kind == MIME_SECTION_HEADER;
		result_r->offset =
		    is_header ? msg->header_offset : msg->body_offset;
		result_r->size = is_header
		                     ? msg->body_offset - msg->header_offset
		                     : msg->end_offset - msg->body_offset;
		break;
	case MIME_SECTION_FIELDS:
	case MIME_SECTION_FIELDS_NOT:
		if (has_msg)
			fields_synth(data, msg, section, pool, result_r);
		break;
	}
	return 1;
}

int mime_section_binary(const unsigned char *data, const struct mime_part *root,
                        const struct mime_section *section, struct buf *out,
                        const char **error_r)
{
	if (section->kind != MIME_SECTION_PART) {
		*error_r = "not a part section";
		return -1;
	}
	if (section->part_count == 0) {
		buf_append(out, data, root->end_offset);
		return 1;
	}
	const struct mime_part *part = part_find(root, section);
	if (part == NULL)
		return 0;
	const unsigned char *body = data + part->body_offset;
	size_t size = part->end_offset - part->body_offset;
	if (mime_decode_transfer(part->encoding, body, size, out) < 0) {
		*error_r = "unknown encoding";
		return -1;
	}
	return 1;
}

int mime_section_binary_size(const unsigned char *data,
                             const struct mime_part *root,
                             const struct mime_section *section, size_t *size_r,
                             const char **error_r)
{
	const struct mime_part *part = part_find(root, section);
	*size_r = 0;
	if (section->kind == MIME_SECTION_PART && part != NULL &&
	    section->part_count > 0 &&
	    mime_decode_transfer_is_known(part->encoding)) {
		const char *enc = part->encoding;
		if (enc == NULL || (strcasecmp(enc, "base64") != 0 &&
		                    strcasecmp(enc, "quoted-printable") != 0)) {
			/* identity encodings: no need to decode */
			*size_r = part->end_offset - part->body_offset;
			return 1;
		}
	}
	struct buf b;
	buf_init(&b);
	int ret = mime_section_binary(data, root, section, &b, error_r);
	*size_r = b.len;
	buf_deinit(&b);
	return ret;
}
