/* The text of a message for the full-text index (RFC 9051 §6.4.4: BODY,
 * TEXT, FROM, TO, CC, SUBJECT are substring matches over the decoded
 * text). Header fields are decoded by GMime (RFC 2047); text/ * bodies are
 * transfer-decoded and converted from their charset (RFC 2046 §4.1.2) to
 * UTF-8. TEXT looks at "the header (including MIME header fields) or
 * body" (RFC 9051 §6.4.4): the MIME header of every part and the header of
 * every encapsulated message join the header text, as in Dovecot; BODY
 * looks at the text of the text parts only.
 * FROM, TO, CC and BCC match "the envelope structure's" field: the address
 * list as ENVELOPE parses it (comments dropped, or the name of an address
 * without one), written "name <mailbox@host>" with the name decoded. */
#include "mime/mime_text.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"
#include "mime/mime_private.h"

#include <gmime/gmime.h>
#include <string.h>

/* Fields longer than this add nothing to search but index size. */
#define TEXT_FIELD_MAX 16384

void mime_text_init(struct mime_text *text)
{
	buf_init(&text->from);
	buf_init(&text->to);
	buf_init(&text->cc);
	buf_init(&text->bcc);
	buf_init(&text->subject);
	buf_init(&text->header);
	buf_init(&text->body);
}

void mime_text_deinit(struct mime_text *text)
{
	buf_deinit(&text->from);
	buf_deinit(&text->to);
	buf_deinit(&text->cc);
	buf_deinit(&text->bcc);
	buf_deinit(&text->subject);
	buf_deinit(&text->header);
	buf_deinit(&text->body);
}

/* Returns where field f's value goes (*is_address_r: as an address
 * list), or NULL. */
static struct buf *field_target(struct mime_text *text,
                                const struct mime_header_field *f,
                                bool *is_address_r)
{
	*is_address_r = true;
	if (mime_name_eq(f->name, f->name_len, "from"))
		return &text->from;
	if (mime_name_eq(f->name, f->name_len, "to"))
		return &text->to;
	if (mime_name_eq(f->name, f->name_len, "cc"))
		return &text->cc;
	if (mime_name_eq(f->name, f->name_len, "bcc"))
		return &text->bcc;
	*is_address_r = false;
	if (mime_name_eq(f->name, f->name_len, "subject"))
		return &text->subject;
	return NULL;
}

/* Appends the address list value (raw, len bytes) as ENVELOPE parses it:
 * "name <@route:mailbox@host>" or "mailbox@host", groups as "name: ...;",
 * separated by ", ". */
static void address_text(const unsigned char *value, size_t len,
                         struct buf *out)
{
	struct pool *pool = pool_new();
	struct mime_address *list;
	const char *sep = out->len > 0 ? ", " : "";
	struct buf unfolded;
	/* unfolded as for ENVELOPE (mime_imap.c): NULs dropped */
	buf_init(&unfolded);
	mime_header_unfold(value, len, &unfolded);
	(void)mime_address_parse((const unsigned char *)unfolded.data,
	                         unfolded.len, pool, &list);
	buf_deinit(&unfolded);
	for (const struct mime_address *a = list; a != NULL; a = a->next) {
		if (a->is_group_end) {
			buf_append_char(out, ';');
			sep = ", ";
			continue;
		}
		buf_append_str(out, sep);
		if (a->is_group_start) {
			mime_decode_header((const unsigned char *)a->mailbox,
			                   strlen(a->mailbox), out);
			buf_append_char(out, ':');
			sep = " ";
			continue;
		}
		sep = ", ";
		if (a->name != NULL) {
			mime_decode_header((const unsigned char *)a->name,
			                   strlen(a->name), out);
			buf_append_str(out, " <");
		}
		if (a->route != NULL)
			buf_printf(out, "%s:", a->route);
		buf_printf(out, "%s@%s", a->mailbox, a->host);
		if (a->name != NULL)
			buf_append_char(out, '>');
	}
	pool_free(&pool);
}

/* Appends "Name: decoded value\n" for each field of part's header to out,
 * and the value of From/To/Cc/Subject to text's fields when text given. */
static void header_text(const unsigned char *data, const struct mime_part *part,
                        struct mime_text *text, struct buf *out)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	struct buf value;
	buf_init(&value);
	mime_header_iter_init(&iter, data, part);
	while (mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 0)
			continue;
		buf_truncate(&value, 0);
		mime_decode_header(
		    f.value,
		    f.value_len < TEXT_FIELD_MAX ? f.value_len : TEXT_FIELD_MAX,
		    &value);
		buf_append(out, f.name, f.name_len);
		buf_append_str(out, ": ");
		buf_append(out, value.data, value.len);
		buf_append_char(out, '\n');
		bool is_address;
		struct buf *target =
		    text != NULL ? field_target(text, &f, &is_address) : NULL;
		if (target == NULL)
			continue;
		if (target->len > 0 && !is_address)
			buf_append_char(target, ' ');
		if (is_address)
			address_text(f.value,
			             f.value_len < TEXT_FIELD_MAX
			                 ? f.value_len
			                 : TEXT_FIELD_MAX,
			             target);
		else
			buf_append(target, value.data, value.len);
	}
	buf_deinit(&value);
}

/* The text of part and the parts under it: the header of each (a MIME
 * header, or the header of an encapsulated message) into text->header,
 * the decoded body of each text part into text->body. */
static void parts_text(const unsigned char *data, const struct mime_part *part,
                       size_t max_body, struct mime_text *text)
{
	struct buf *out = &text->body;
	if (part->parent != NULL &&
	    (max_body == 0 || text->header.len < max_body))
		header_text(data, part, NULL, &text->header);
	if ((part->flags &
	     (MIME_PART_FLAG_MESSAGE | MIME_PART_FLAG_MULTIPART)) != 0) {
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next)
			parts_text(data, c, max_body, text);
		return;
	}
	if ((part->flags & MIME_PART_FLAG_TEXT) == 0 ||
	    (max_body > 0 && out->len >= max_body))
		return;
	if ((part->flags & MIME_PART_FLAG_TEXT) == 0)
		return;
	struct buf raw;
	buf_init(&raw);
	if (mime_decode_transfer(part->encoding, data + part->body_offset,
	                         part->end_offset - part->body_offset,
	                         &raw) < 0) {
		/* unknown encoding: the bytes as they are */
		buf_append(&raw, data + part->body_offset,
		           part->end_offset - part->body_offset);
	}
	const char *charset =
	    mime_param_get(part->params, part->param_count, "charset", NULL);
	mime_decode_charset(charset, (const unsigned char *)raw.data, raw.len,
	                    out);
	buf_deinit(&raw);
	buf_append_char(out, '\n');
	if (max_body > 0 && out->len > max_body) {
		/* cut at a UTF-8 character start */
		size_t n = max_body;
		while (n > 0 && ((unsigned char)out->data[n] & 0xc0) == 0x80)
			n--;
		buf_truncate(out, n);
	}
}

void mime_text_extract(const unsigned char *data, const struct mime_part *root,
                       size_t max_body, struct mime_text *text)
{
	buf_truncate(&text->from, 0);
	buf_truncate(&text->to, 0);
	buf_truncate(&text->cc, 0);
	buf_truncate(&text->bcc, 0);
	buf_truncate(&text->subject, 0);
	buf_truncate(&text->header, 0);
	buf_truncate(&text->body, 0);
	header_text(data, root, text, &text->header);
	parts_text(data, root, max_body, text);
}

/* Case folding by GLib (Unicode full case folding, CaseFolding.txt):
 * "Straße" holds "STRASSE". Invalid UTF-8 is made valid first. */
static char *casefold(const char *s)
{
	if (g_utf8_validate(s, -1, NULL))
		return g_utf8_casefold(s, -1);
	char *valid = g_utf8_make_valid(s, -1);
	char *folded = g_utf8_casefold(valid, -1);
	g_free(valid);
	return folded;
}

bool mime_text_contains(const char *text, const char *needle)
{
	if (*needle == '\0')
		return true;
	char *t = casefold(text), *n = casefold(needle);
	bool found = strstr(t, n) != NULL;
	g_free(t);
	g_free(n);
	return found;
}

bool mime_text_header_contains(const unsigned char *data,
                               const struct mime_part *part, const char *name,
                               const char *needle)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	struct buf value;
	bool is_found = false;
	buf_init(&value);
	mime_header_iter_init(&iter, data, part);
	while (!is_found && mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 0 || !mime_name_eq(f.name, f.name_len, name))
			continue;
		buf_truncate(&value, 0);
		mime_decode_header(
		    f.value,
		    f.value_len < TEXT_FIELD_MAX ? f.value_len : TEXT_FIELD_MAX,
		    &value);
		is_found = mime_text_contains(value.data, needle);
	}
	buf_deinit(&value);
	return is_found;
}
