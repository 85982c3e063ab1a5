/* The mailto method of enotify (RFC 5436) over mailto URIs (RFC 6068 §2):
 *   mailtoURI = "mailto:" [ to ] [ hfields ]
 *   to        = addr-spec *("," addr-spec )
 *   hfields   = "?" hfield *( "&" hfield ); hfield = hfname "=" hfvalue
 * with %XX escapes. Recipients come from the address part and the "to"
 * and "cc" fields; "subject" and "body" are kept; other fields are
 * ignored, as §2.7 of RFC 5436 requires for From, Sender and
 * Auto-Submitted. */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <string.h>
#include <strings.h>

#define MAILTO_RCPTS_MAX 16

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [p, end) into pool. Returns NULL for a broken escape or
 * an encoded NUL. */
static char *pct_decode(const char *p, const char *end, struct pool *pool)
{
	char *out = pool_alloc(pool, (size_t)(end - p) + 1);
	size_t n = 0;
	while (p < end) {
		if (*p == '%') {
			if (end - p < 3 || hex_digit(p[1]) < 0 ||
			    hex_digit(p[2]) < 0)
				return NULL;
			char c = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
			if (c == '\0')
				return NULL;
			out[n++] = c;
			p += 3;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

/* Adds each address of a comma-separated list. Returns 0, or -1 if one
 * is not valid. */
static int rcpts_add(const char *list, struct sieve_mailto *m,
                     struct pool *pool)
{
	const char *p = list;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *a = p;
		size_t len = n;
		while (len > 0 && (*a == ' ' || *a == '\t')) {
			a++;
			len--;
		}
		while (len > 0 && (a[len - 1] == ' ' || a[len - 1] == '\t'))
			len--;
		if (len > 0) {
			if (!sieve_address_is_valid(a, len) ||
			    m->rcpt_count >= MAILTO_RCPTS_MAX)
				return -1;
			m->rcpts[m->rcpt_count++] = pool_strndup(pool, a, len);
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

int sieve_mailto_parse(const char *uri, size_t len, struct pool *pool,
                       struct sieve_mailto *mailto_r)
{
	memset(mailto_r, 0, sizeof(*mailto_r));
	if (len < 7 || strncasecmp(uri, "mailto:", 7) != 0 ||
	    memchr(uri, '\0', len) != NULL)
		return -1;
	mailto_r->rcpts =
	    pool_alloc(pool, MAILTO_RCPTS_MAX * sizeof(*mailto_r->rcpts));
	const char *p = uri + 7, *end = uri + len;
	const char *q = memchr(p, '?', (size_t)(end - p));
	const char *to_end = q != NULL ? q : end;
	char *to = pct_decode(p, to_end, pool);
	if (to == NULL || rcpts_add(to, mailto_r, pool) < 0)
		return -1;
	p = q != NULL ? q + 1 : end;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *field_end = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(field_end - p));
		if (eq == NULL)
			return -1;
		char *name = pct_decode(p, eq, pool);
		char *value = pct_decode(eq + 1, field_end, pool);
		if (name == NULL || value == NULL)
			return -1;
		if (strcasecmp(name, "to") == 0 ||
		    strcasecmp(name, "cc") == 0) {
			if (rcpts_add(value, mailto_r, pool) < 0)
				return -1;
		} else if (strcasecmp(name, "subject") == 0) {
			mailto_r->subject = value;
		} else if (strcasecmp(name, "body") == 0) {
			mailto_r->body = value;
		}
		p = amp != NULL ? amp + 1 : end;
	}
	return mailto_r->rcpt_count > 0 ? 0 : -1;
}

bool sieve_notify_uri_is_valid(const char *uri, size_t len)
{
	struct pool *pool = pool_new();
	struct sieve_mailto m;
	int ret = sieve_mailto_parse(uri, len, pool, &m);
	pool_free(&pool);
	return ret == 0;
}
