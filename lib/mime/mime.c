/* The MIME tree parser (RFC 5322 §2.1-2.2, RFC 2045 §5-6, RFC 2046 §5.1.1
 * boundaries, §5.1.5 digest, §5.2.1 message/rfc822, RFC 6532 §3.7).
 * Our own parser rather than GMime's: IMAP needs exact byte offsets and
 * line counts of every header and body, and a tree for any input however
 * broken; GMime re-encodes and normalises. One pass over the message with
 * a stack of the boundaries of the open multiparts, as Dovecot parses: a
 * line that begins with "--" and a boundary is a delimiter line, of the
 * innermost multipart whose boundary it has (RFC 2046 §5.1.1 and its note
 * to implementors), and the CRLF before a delimiter belongs to the
 * delimiter. A delimiter of an outer multipart ends every part inside it. */
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
	/* The boundaries of the multiparts open around the part being
	 * parsed, outermost first (a stack: a multipart pushes its own for
	 * its body parts). */
	const char **boundaries;
	size_t *boundary_lens;
};

static struct mime_part *parse_entity(struct parser *p,
                                      struct mime_part *parent, size_t start,
                                      size_t end, unsigned int count,
                                      bool default_rfc822, size_t *stop_r);

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

/* Is the line that ends at pos (its LF included) an empty line? */
static bool blank_line_ends_at(const unsigned char *d, size_t start, size_t pos)
{
	if (pos == start || d[pos - 1] != '\n')
		return false;
	pos--;
	if (pos > start && d[pos - 1] == '\r')
		pos--;
	return pos == start || d[pos - 1] == '\n';
}

/* Is the line at at a delimiter line of stack boundary i: "--" and the
 * boundary, whatever follows (RFC 2046 §5.1.1, note to implementors: "An
 * exact match of the entire candidate line is not required; it is
 * sufficient that the boundary appear in its entirety following the
 * CRLF")? */
static bool line_is_delimiter(const struct parser *p, size_t at, size_t end,
                              unsigned int i)
{
	size_t n = p->boundary_lens[i];
	return end - at >= n + 2 && p->data[at] == '-' &&
	       p->data[at + 1] == '-' &&
	       memcmp(p->data + at + 2, p->boundaries[i], n) == 0;
}

/* Finds the first line in [pos, end) (pos starts a line, or is the CR/LF
 * that ends one) that is a delimiter line of one of the innermost count
 * boundaries of the stack; the innermost boundary is tried first, so a
 * nested boundary that begins with an outer one is the nested one's.
 * Returns where the line starts, with its stack index in *index_r, or end
 * if there is none. */
static size_t delimiter_line_find(const struct parser *p, size_t pos,
                                  size_t end, unsigned int count,
                                  unsigned int *index_r)
{
	const unsigned char *d = p->data;
	while (count > 0 && pos < end) {
		for (unsigned int i = count; d[pos] == '-' && i-- > 0;) {
			if (line_is_delimiter(p, pos, end, i)) {
				*index_r = i;
				return pos;
			}
		}
		const unsigned char *lf = memchr(d + pos, '\n', end - pos);
		if (lf == NULL)
			break;
		pos = (size_t)(lf - d) + 1;
	}
	return end;
}

static size_t line_after(const unsigned char *d, size_t at, size_t end)
{
	const unsigned char *lf = memchr(d + at, '\n', end - at);
	return lf == NULL ? end : (size_t)(lf - d) + 1;
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

/* multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
 *                   body-part *encapsulation close-delimiter
 *                   transport-padding [CRLF epilogue]     (RFC 2046 §5.1.1)
 * The body of part, inside the multiparts of the innermost count stack
 * boundaries, with its own boundary pushed as number count. It ends after
 * its epilogue, or (broken) at a delimiter line of an outer multipart or
 * at end; *stop_r is where that line starts (end if none). */
static void multipart_parse(struct parser *p, struct mime_part *part,
                            const char *boundary, size_t end,
                            unsigned int count, size_t *stop_r)
{
	const unsigned char *d = p->data;
	bool is_digest = strcasecmp(part->subtype, "digest") == 0;
	bool is_closed = false;
	struct mime_part *last = NULL;
	size_t pos = part->body_offset, part_end = end, stop = end;
	unsigned int idx;
	p->boundaries[count] = boundary;
	p->boundary_lens[count] = strlen(boundary);
	for (;;) {
		size_t at = delimiter_line_find(p, pos, end, count + 1, &idx);
		if (at == end)
			break; /* no close-delimiter: the last part ran to end
			        */
		if (idx != count) { /* an outer one's: ours was not closed */
			part_end = content_end(d, part->header_offset, at);
			/* an empty last part may start right at that line */
			if (last != NULL && last->end_offset > part_end)
				part_end = last->end_offset;
			if (part->body_offset > part_end) /* no body at all */
				part->body_offset = part_end;
			stop = at;
			break;
		}
		size_t after = line_after(d, at, end),
		       q = at + 2 + strlen(boundary);
		if (q + 1 < end && d[q] == '-' && d[q + 1] == '-') {
			/* close-delimiter; the epilogue runs to an outer one */
			is_closed = true;
			stop = delimiter_line_find(p, after, end, count, &idx);
			part_end = stop < end ? content_end(d, at, stop) : end;
			break;
		}
		if (p->part_count >= p->set->max_parts) {
			/* Limit: this part keeps the rest, a leaf. */
			struct mime_part *c = parse_entity(
			    p, part, after, end, count, is_digest, &stop);
			child_append(part, &last, c);
			part_end = c->end_offset;
			is_closed = true;
			part->flags |= MIME_PART_FLAG_LIMIT;
			break;
		}
		child_append(part, &last,
		             parse_entity(p, part, after, end, count + 1,
		                          is_digest, &pos));
	}
	if (part->children == NULL) {
		/* No delimiter at all: an empty part keeps the tree valid
		 * for BODYSTRUCTURE (body-type-mpart needs one body). */
		size_t ignored;
		child_append(part, &last,
		             parse_entity(p, part, part_end, part_end, 0, false,
		                          &ignored));
		is_closed = false;
	}
	if (!is_closed)
		part->flags |= MIME_PART_FLAG_BROKEN;
	part->end_offset = part_end;
	*stop_r = stop;
}

/* Turns a part that cannot be descended into (a limit) into a leaf. */
static void part_limit(struct mime_part *part)
{
	part->type = "application";
	part->subtype = "octet-stream";
	part->flags |= MIME_PART_FLAG_LIMIT;
}

/* The body of part by its type: a multipart's body parts, the message a
 * message/rfc822 or message/global part encapsulates, or nothing more. */
static void part_descend(struct parser *p, struct mime_part *part, size_t body,
                         size_t end, unsigned int count, size_t *stop_r)
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
			part_limit(part);
		} else {
			part->flags |= MIME_PART_FLAG_MULTIPART;
			part->body_offset = body;
			multipart_parse(p, part, boundary, end, count, stop_r);
		}
	} else if (strcasecmp(part->type, "message") == 0 &&
	           (strcasecmp(part->subtype, "rfc822") == 0 ||
	            strcasecmp(part->subtype, "global") == 0)) {
		if (!can_descend) {
			part_limit(part);
			return;
		}
		part->flags |= MIME_PART_FLAG_MESSAGE;
		struct mime_part *last = NULL;
		struct mime_part *child = parse_entity(
		    p, part, part->body_offset, end, count, false, stop_r);
		child_append(part, &last, child);
		part->end_offset = child->end_offset;
	} else if (strcasecmp(part->type, "text") == 0) {
		part->flags |= MIME_PART_FLAG_TEXT;
	}
}

/* entity = header [CRLF body], inside the multiparts of the innermost count
 * stack boundaries: a leaf's body ends before the first delimiter line of
 * one of them (its CRLF belongs to the delimiter), or at end; so does a
 * header without a blank line. *stop_r is where the entity stopped: that
 * delimiter line, or end. */
static struct mime_part *parse_entity(struct parser *p,
                                      struct mime_part *parent, size_t start,
                                      size_t end, unsigned int count,
                                      bool default_rfc822, size_t *stop_r)
{
	struct mime_part *part = pool_alloc(p->pool, sizeof(*part));
	unsigned int idx;
	p->part_count++;
	part->parent = parent;
	part->depth = parent == NULL ? 0 : parent->depth + 1;
	part->header_offset = start;
	size_t stop = delimiter_line_find(p, start, end, count, &idx);
	size_t limit = stop < end ? content_end(p->data, start, stop) : end;
	/* The header ends at its blank line; without one before the next
	 * delimiter, at that delimiter's CRLF. A blank line right before a
	 * delimiter lends its CRLF to it, unless the delimiter may be the
	 * part's own (a multipart's body can start with its dash-boundary,
	 * RFC 2046 §5.1.1), decided once the header is read. */
	size_t body = header_end_find(p->data, start, stop);
	if (body == stop && !blank_line_ends_at(p->data, start, stop))
		body = limit;
	part->end_offset = limit;
	part->body_offset = body < limit ? body : limit;
	header_fields_parse(p, part);
	if (part->type == NULL) {
		part->type = default_rfc822 ? "message" : "text";
		part->subtype = default_rfc822 ? "rfc822" : "plain";
	}
	*stop_r = stop;
	part_descend(p, part, body, end, count, stop_r);
	part->header_lines = count_lines(p->data, start, part->body_offset);
	part->body_lines =
	    count_lines(p->data, part->body_offset, part->end_offset);
	if (memchr(p->data + start, '\0', part->end_offset - start) != NULL)
		part->flags |= MIME_PART_FLAG_HAS_NUL;
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
	size_t stop;
	/* one boundary per multipart level, at most max_depth + 1 */
	p.boundaries = pool_alloc(pool, (p.max_depth + 2) * sizeof(char *));
	p.boundary_lens = pool_alloc(pool, (p.max_depth + 2) * sizeof(size_t));
	return parse_entity(&p, NULL, 0, p.size, 0, false, &stop);
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
