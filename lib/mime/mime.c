/* The MIME tree parser (RFC 5322 §2.1-2.2, RFC 2045 §5-6, RFC 2046 §5.1.1
 * boundaries, §5.1.5 digest, §5.2.1 message/rfc822, RFC 6532 §3.7).
 * Our own parser rather than GMime's: IMAP needs exact byte offsets and
 * line counts of every header and body, and a tree for any input however
 * broken; GMime re-encodes and normalises. A multipart body is split at its
 * delimiter lines ("--" boundary, then only whitespace, or "--"), and the
 * CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1). */
#include "mime/mime.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime_private.h"

#include <string.h>
#include <strings.h>

#define MIME_DEPTH_HARD_MAX 1000

struct parser {
	const unsigned char *data;
	size_t size;
	const struct mime_settings *set;
	struct pool *pool;
	unsigned int part_count;
	unsigned int max_depth;
};

static struct mime_part *parse_part(struct parser *p, struct mime_part *parent,
                                    size_t start, size_t end,
                                    bool default_rfc822);

void mime_settings_init(struct mime_settings *settings)
{
	const struct mime_settings defaults = MIME_SETTINGS_DEFAULT;
	*settings = defaults;
}

bool mime_name_eq(const unsigned char *name, size_t len, const char *str)
{
	return strlen(str) == len &&
	       strncasecmp((const char *)name, str, len) == 0;
}

/* body-fld-lines: the line ends (LF) in [start, end). A last line without
 * one is not counted, as Dovecot counts (RFC 9051 leaves it open): the
 * CRLF that ends the last line of a body part belongs to the delimiter
 * after it (RFC 2046 §5.1.1), so a part "text" before "\r\n--b" has 0
 * lines where "text\r\n" has 1. */
static size_t count_lines(const unsigned char *data, size_t start, size_t end)
{
	size_t lines = 0;
	const unsigned char *s = data + start, *e = data + end;
	while (s < e) {
		const unsigned char *lf = memchr(s, '\n', (size_t)(e - s));
		if (lf == NULL)
			break;
		lines++;
		s = lf + 1;
	}
	return lines;
}

/* header = *field CRLF: returns the offset after the blank line that ends
 * the header, or end when there is none (then the body is empty). */
static size_t header_end_find(const unsigned char *data, size_t start,
                              size_t end)
{
	size_t pos = start;
	while (pos < end) {
		if (data[pos] == '\n')
			return pos + 1;
		if (data[pos] == '\r' && pos + 1 < end && data[pos + 1] == '\n')
			return pos + 2;
		const unsigned char *lf = memchr(data + pos, '\n', end - pos);
		if (lf == NULL)
			return end;
		pos = (size_t)(lf - data) + 1;
	}
	return end;
}

static const char *field_value(struct parser *p,
                               const struct mime_header_field *f)
{
	struct buf b;
	buf_init(&b);
	size_t len = f->value_len;
	if (len > p->set->max_header_field_size)
		len = p->set->max_header_field_size;
	mime_header_unfold(f->value, len, &b);
	const char *s = pool_strndup(p->pool, b.data, b.len);
	buf_deinit(&b);
	return s;
}

static void content_type_set(struct parser *p, struct mime_part *part,
                             const char *value)
{
	struct mime_param_value v;
	if (mime_param_parse(value, true, p->set->max_params, p->pool, &v) <
	    1) {
		/* RFC 2045 §5.2: an invalid Content-Type means text/plain;
		 * its parameters are dropped with it. */
		part->type = "text";
		part->subtype = "plain";
		return;
	}
	part->type = v.type;
	part->subtype = v.subtype;
	part->params = v.params;
	part->param_count = v.param_count;
}

static void disposition_set(struct parser *p, struct mime_part *part,
                            const char *value)
{
	struct mime_param_value v;
	if (mime_param_parse(value, false, p->set->max_params, p->pool, &v) < 1)
		return;
	part->disposition = v.type;
	part->disposition_params = v.params;
	part->disposition_param_count = v.param_count;
}

/* The first of each Content-* field counts; later copies are ignored. */
static void header_fields_parse(struct parser *p, struct mime_part *part)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	unsigned int count = 0;
	const char **slot;
	mime_header_iter_init(&iter, p->data, part);
	while (count++ < p->set->max_header_count &&
	       mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len < 8 ||
		    strncasecmp((const char *)f.name, "content-", 8) != 0)
			continue;
		const unsigned char *n = f.name + 8;
		size_t nl = f.name_len - 8;
		if (mime_name_eq(n, nl, "type")) {
			if (part->type == NULL)
				content_type_set(p, part, field_value(p, &f));
			continue;
		} else if (mime_name_eq(n, nl, "disposition")) {
			if (part->disposition == NULL)
				disposition_set(p, part, field_value(p, &f));
			continue;
		} else if (mime_name_eq(n, nl, "transfer-encoding"))
			slot = &part->encoding;
		else if (mime_name_eq(n, nl, "id"))
			slot = &part->id;
		else if (mime_name_eq(n, nl, "description"))
			slot = &part->description;
		else if (mime_name_eq(n, nl, "md5"))
			slot = &part->md5;
		else if (mime_name_eq(n, nl, "language"))
			slot = &part->language;
		else if (mime_name_eq(n, nl, "location"))
			slot = &part->location;
		else
			continue;
		if (*slot == NULL)
			*slot = field_value(p, &f);
	}
}

/* memmem() is a GNU extension, which STYLE.md keeps in lib/core. */
static const unsigned char *bytes_find(const unsigned char *hay, size_t len,
                                       const char *needle, size_t nlen)
{
	const unsigned char *end = hay + len;
	while ((size_t)(end - hay) >= nlen) {
		hay = memchr(hay, needle[0], (size_t)(end - hay) - nlen + 1);
		if (hay == NULL)
			return NULL;
		if (memcmp(hay, needle, nlen) == 0)
			return hay;
		hay++;
	}
	return NULL;
}

/* Finds the next delimiter line of boundary in [pos, end) that starts a
 * line (at line_min or after an LF). Returns 1 with *at_r (where "--"
 * starts), *after_r (after its line end) and *is_close_r, or 0. */
static int delimiter_find(struct parser *p, const char *needle,
                          size_t needle_len, size_t line_min, size_t pos,
                          size_t end, size_t *at_r, size_t *after_r,
                          bool *is_close_r)
{
	const unsigned char *d = p->data;
	while (pos + needle_len <= end) {
		const unsigned char *hit =
		    bytes_find(d + pos, end - pos, needle, needle_len);
		if (hit == NULL)
			return 0;
		size_t at = (size_t)(hit - d);
		pos = at + 1;
		if (at != line_min && d[at - 1] != '\n')
			continue;
		size_t q = at + needle_len;
		bool is_close = q + 1 < end && d[q] == '-' && d[q + 1] == '-';
		if (!is_close) {
			/* transport-padding: only LWSP until the line end */
			while (q < end &&
			       (d[q] == ' ' || d[q] == '\t' || d[q] == '\r'))
				q++;
			if (q < end && d[q] != '\n')
				continue;
		}
		const unsigned char *lf = memchr(d + q, '\n', end - q);
		*at_r = at;
		*after_r = lf == NULL ? end : (size_t)(lf - d) + 1;
		*is_close_r = is_close;
		return 1;
	}
	return 0;
}

/* The end of the content before a delimiter at at: its CRLF (or LF) is
 * part of the delimiter. */
static size_t content_end(const unsigned char *d, size_t start, size_t at)
{
	if (at > start && d[at - 1] == '\n') {
		at--;
		if (at > start && d[at - 1] == '\r')
			at--;
	}
	return at;
}

static void child_append(struct mime_part *parent, struct mime_part **last,
                         struct mime_part *child)
{
	if (*last == NULL)
		parent->children = child;
	else
		(*last)->next = child;
	*last = child;
	parent->child_count++;
}

static void multipart_parse(struct parser *p, struct mime_part *part,
                            const char *boundary)
{
	size_t blen = strlen(boundary);
	char *needle = pool_printf(p->pool, "--%s", boundary);
	size_t nlen = blen + 2, body = part->body_offset,
	       end = part->end_offset;
	size_t at, after, start = 0;
	bool is_close = false, has_start = false;
	struct mime_part *last = NULL;
	bool is_digest = strcasecmp(part->subtype, "digest") == 0;
	size_t pos = body;

	while (delimiter_find(p, needle, nlen, body, pos, end, &at, &after,
	                      &is_close) > 0) {
		pos = after;
		if (has_start) {
			size_t cend = content_end(p->data, start, at);
			if (p->part_count >= p->set->max_parts) {
				/* Limit: this child keeps the rest. */
				cend = end;
				is_close = true;
				part->flags |= MIME_PART_FLAG_LIMIT;
			}
			child_append(
			    part, &last,
			    parse_part(p, part, start, cend, is_digest));
		}
		if (is_close)
			break;
		start = after;
		has_start = true;
	}
	if (has_start && !is_close) {
		/* No close-delimiter: the last part runs to the end. */
		child_append(part, &last,
		             parse_part(p, part, start, end, is_digest));
		part->flags |= MIME_PART_FLAG_BROKEN;
	}
	if (part->children == NULL) {
		/* No delimiter at all: an empty part keeps the tree valid
		 * for BODYSTRUCTURE (body-type-mpart needs one body). */
		child_append(part, &last, parse_part(p, part, end, end, false));
		part->flags |= MIME_PART_FLAG_BROKEN;
	}
}

static void part_descend(struct parser *p, struct mime_part *part)
{
	bool can_descend =
	    part->depth < p->max_depth && p->part_count < p->set->max_parts;
	if (strcasecmp(part->type, "multipart") == 0) {
		const char *boundary = mime_param_get(
		    part->params, part->param_count, "boundary", NULL);
		if (boundary == NULL || *boundary == '\0' ||
		    strlen(boundary) > p->set->max_boundary_len) {
			/* RFC 2045 §5.2: unusable, so text/plain */
			part->type = "text";
			part->subtype = "plain";
			part->flags |=
			    MIME_PART_FLAG_BROKEN | MIME_PART_FLAG_TEXT;
		} else if (!can_descend) {
			part->type = "application";
			part->subtype = "octet-stream";
			part->flags |= MIME_PART_FLAG_LIMIT;
		} else {
			part->flags |= MIME_PART_FLAG_MULTIPART;
			multipart_parse(p, part, boundary);
		}
	} else if (strcasecmp(part->type, "message") == 0 &&
	           (strcasecmp(part->subtype, "rfc822") == 0 ||
	            strcasecmp(part->subtype, "global") == 0)) {
		if (!can_descend) {
			part->type = "application";
			part->subtype = "octet-stream";
			part->flags |= MIME_PART_FLAG_LIMIT;
			return;
		}
		part->flags |= MIME_PART_FLAG_MESSAGE;
		struct mime_part *last = NULL;
		child_append(part, &last,
		             parse_part(p, part, part->body_offset,
		                        part->end_offset, false));
	} else if (strcasecmp(part->type, "text") == 0) {
		part->flags |= MIME_PART_FLAG_TEXT;
	}
}

static struct mime_part *parse_part(struct parser *p, struct mime_part *parent,
                                    size_t start, size_t end,
                                    bool default_rfc822)
{
	struct mime_part *part = pool_alloc(p->pool, sizeof(*part));
	p->part_count++;
	part->parent = parent;
	part->depth = parent == NULL ? 0 : parent->depth + 1;
	part->header_offset = start;
	part->end_offset = end;
	part->body_offset = header_end_find(p->data, start, end);
	part->header_lines = count_lines(p->data, start, part->body_offset);
	part->body_lines = count_lines(p->data, part->body_offset, end);
	if (memchr(p->data + start, '\0', end - start) != NULL)
		part->flags |= MIME_PART_FLAG_HAS_NUL;
	header_fields_parse(p, part);
	if (part->type == NULL) {
		part->type = default_rfc822 ? "message" : "text";
		part->subtype = default_rfc822 ? "rfc822" : "plain";
	}
	part_descend(p, part);
	return part;
}

struct mime_part *mime_parse(const unsigned char *data, size_t size,
                             const struct mime_settings *settings,
                             struct pool *pool)
{
	static const unsigned char empty[1] = {0};
	struct parser p = {
	    .data = data != NULL ? data : empty,
	    .size = data != NULL ? size : 0,
	    .set = settings,
	    .pool = pool,
	    .max_depth = settings->max_depth < MIME_DEPTH_HARD_MAX
	                     ? settings->max_depth
	                     : MIME_DEPTH_HARD_MAX,
	};
	return parse_part(&p, NULL, 0, p.size, false);
}

unsigned int mime_part_count(const struct mime_part *part)
{
	unsigned int n = 1;
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		n += mime_part_count(c);
	return n;
}

bool mime_part_is(const struct mime_part *part, const char *type,
                  const char *subtype)
{
	return strcasecmp(part->type, type) == 0 &&
	       (subtype == NULL || strcasecmp(part->subtype, subtype) == 0);
}
