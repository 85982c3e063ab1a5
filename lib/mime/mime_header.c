/* Walking the fields of a part's header (RFC 5322 §2.2, §2.2.3 folding,
 * §3.6; obsolete whitespace before the colon, §4.5). Lines end at LF; a CR
 * before it belongs to the line end. A line without a colon is a field
 * without a name, so that no byte of a header is ever lost. */
#include "mime/mime.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime_private.h"

#include <string.h>

void mime_header_iter_init(struct mime_header_iter *iter,
                           const unsigned char *data,
                           const struct mime_part *part)
{
	iter->data = data;
	iter->pos = part->header_offset;
	iter->end = part->body_offset;
}

/* Returns the offset after the line that starts at pos. */
static size_t line_next(const unsigned char *d, size_t pos, size_t end)
{
	const unsigned char *lf = memchr(d + pos, '\n', end - pos);
	return lf == NULL ? end : (size_t)(lf - d) + 1;
}

static bool line_is_blank(const unsigned char *d, size_t pos, size_t end)
{
	return d[pos] == '\n' ||
	       (d[pos] == '\r' && pos + 1 < end && d[pos + 1] == '\n');
}

/* field      = field-name ":" unstructured CRLF
 * field-name = 1*ftext ; ftext = %d33-57 / %d59-126
 * folding    = CRLF 1*WSP     (a following line starting with SP or HT) */
int mime_header_iter_next(struct mime_header_iter *iter,
                          struct mime_header_field *field_r)
{
	const unsigned char *d = iter->data;
	size_t pos = iter->pos, end = iter->end;
	if (pos >= end || line_is_blank(d, pos, end))
		return 0;
	size_t next = line_next(d, pos, end);
	while (next < end && (d[next] == ' ' || d[next] == '\t'))
		next = line_next(d, next, end);

	size_t field_end = next;
	while (field_end > pos &&
	       (d[field_end - 1] == '\n' || d[field_end - 1] == '\r'))
		field_end--;
	const unsigned char *colon = memchr(d + pos, ':', field_end - pos);
	memset(field_r, 0, sizeof(*field_r));
	field_r->name = d + pos;
	field_r->offset = pos;
	field_r->size = next - pos;
	if (colon == NULL) {
		field_r->value = d + pos;
		field_r->value_len = field_end - pos;
	} else {
		size_t name_end = (size_t)(colon - d);
		field_r->value = colon + 1;
		field_r->value_len = field_end - name_end - 1;
		/* obs-optional: WSP before the colon */
		while (name_end > pos &&
		       (d[name_end - 1] == ' ' || d[name_end - 1] == '\t'))
			name_end--;
		field_r->name_len = name_end - pos;
	}
	iter->pos = next;
	return 1;
}

void mime_header_unfold(const unsigned char *value, size_t len, struct buf *out)
{
	size_t start = 0, end = len;
	while (start < end && (value[start] == ' ' || value[start] == '\t' ||
	                       value[start] == '\r' || value[start] == '\n'))
		start++;
	while (end > start &&
	       (value[end - 1] == ' ' || value[end - 1] == '\t' ||
	        value[end - 1] == '\r' || value[end - 1] == '\n'))
		end--;
	for (size_t i = start; i < end; i++) {
		/* NUL cannot travel in IMAP strings or C strings: U+FFFD
		 * instead, as Dovecot sends it in ENVELOPE */
		if (value[i] == '\0')
			buf_append_str(out, "\xef\xbf\xbd");
		else if (value[i] != '\r' && value[i] != '\n')
			buf_append_char(out, (char)value[i]);
	}
}

const char *mime_header_get(const unsigned char *data,
                            const struct mime_part *part, const char *name,
                            struct pool *pool)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	mime_header_iter_init(&iter, data, part);
	while (mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 0 || !mime_name_eq(f.name, f.name_len, name))
			continue;
		struct buf b;
		buf_init(&b);
		mime_header_unfold(f.value, f.value_len, &b);
		const char *s = pool_strndup(pool, b.data, b.len);
		buf_deinit(&b);
		return s;
	}
	return NULL;
}
