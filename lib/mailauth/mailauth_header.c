/* Splitting a header section into fields (mailauth_header.h). */
#include "mailauth/mailauth_header.h"
#include "core/pool.h"

#include <string.h>
#include <strings.h>

/* Returns the end of the line at p (past its LF), or end. */
static const char *line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	return lf != NULL ? lf + 1 : end;
}

static bool line_is_empty(const char *p, const char *next)
{
	size_t n = (size_t)(next - p);
	return n == 0 || (n == 1 && p[0] == '\n') ||
	       (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Fills f from the field raw[0..len): name before the colon (WSP before
 * it is allowed by the obsolete syntax, RFC 5322 §4.5), value after it.
 * Returns false if there is no colon. */
static bool field_fill(struct mailauth_field *f, const char *raw, size_t len)
{
	const char *colon = memchr(raw, ':', len);
	if (colon == NULL || colon == raw)
		return false;
	size_t name_len = (size_t)(colon - raw);
	while (name_len > 0 &&
	       (raw[name_len - 1] == ' ' || raw[name_len - 1] == '\t'))
		name_len--;
	if (name_len == 0)
		return false;
	f->name = raw;
	f->name_len = name_len;
	f->raw = raw;
	f->raw_len = len;
	f->value = colon + 1;
	size_t vlen = len - (size_t)(f->value - raw);
	if (vlen > 0 && f->value[vlen - 1] == '\n')
		vlen--;
	if (vlen > 0 && f->value[vlen - 1] == '\r')
		vlen--;
	f->value_len = vlen;
	return true;
}

size_t mailauth_header_split(const char *data, size_t size, struct pool *pool,
                             struct mailauth_field **fields_r)
{
	const char *p = data, *end = data + size;
	size_t count = 0, alloc = 16;
	struct mailauth_field *fields =
	    pool_alloc(pool, alloc * sizeof(*fields));
	while (p < end && count < MAILAUTH_HEADER_FIELDS_MAX) {
		const char *next = line_end(p, end);
		if (line_is_empty(p, next))
			break;
		const char *start = p;
		p = next;
		/* continuation lines start with WSP (folding, §2.2.3) */
		while (p < end && (*p == ' ' || *p == '\t'))
			p = line_end(p, end);
		if (start[0] == ' ' || start[0] == '\t')
			continue; /* a continuation without a field */
		if (count == alloc) {
			struct mailauth_field *n =
			    pool_alloc(pool, 2 * alloc * sizeof(*n));
			memcpy(n, fields, count * sizeof(*n));
			fields = n;
			alloc *= 2;
		}
		if (field_fill(&fields[count], start, (size_t)(p - start)))
			count++;
	}
	*fields_r = fields;
	return count;
}

bool mailauth_field_is(const struct mailauth_field *field, const char *name)
{
	size_t n = strlen(name);
	return field->name_len == n && strncasecmp(field->name, name, n) == 0;
}

char *mailauth_field_value(const struct mailauth_field *field,
                           struct pool *pool)
{
	char *out = pool_alloc(pool, field->value_len + 1);
	size_t n = 0;
	for (size_t i = 0; i < field->value_len; i++) {
		char c = field->value[i];
		if (c != '\r' && c != '\n')
			out[n++] = c;
	}
	size_t start = 0;
	while (start < n && (out[start] == ' ' || out[start] == '\t'))
		start++;
	while (n > start && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	memmove(out, out + start, n - start);
	out[n - start] = '\0';
	return out;
}
