/* Preconditions (RFC 9110 §13.1, §13.2.2). An If-Match that cannot be
 * parsed fails (412): a client that asked for a check must not get an
 * unchecked write. An unparsable If-None-Match or date field is ignored,
 * as §13.1.3 and §13.1.4 say of dates. */
#include "http/http_cond.h"
#include "http/http_date.h"
#include "http/http_syntax.h"

#include <string.h>

static bool http_is_etagc(unsigned char c)
{
	/* etagc = %x21 / %x23-7E / obs-text */
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* The length of the entity-tag at the start of str, or 0. */
static size_t http_etag_len(const char *str, size_t len)
{
	size_t i = 0;
	if (len >= 2 && str[0] == 'W' && str[1] == '/')
		i = 2;
	if (i >= len || str[i] != '"')
		return 0;
	for (i++; i < len; i++) {
		if (str[i] == '"')
			return i + 1;
		if (!http_is_etagc((unsigned char)str[i]))
			return 0;
	}
	return 0;
}

bool http_etag_is_valid(const char *str, size_t len)
{
	return len > 0 && http_etag_len(str, len) == len;
}

bool http_etag_match(const char *a, size_t alen, const char *b, size_t blen,
                     bool is_strong)
{
	bool a_weak = alen >= 2 && a[0] == 'W',
	     b_weak = blen >= 2 && b[0] == 'W';
	if (is_strong && (a_weak || b_weak))
		return false;
	if (a_weak) {
		a += 2;
		alen -= 2;
	}
	if (b_weak) {
		b += 2;
		blen -= 2;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* If-Match / If-None-Match = "*" / #entity-tag. Returns 1 if the list
 * matches the current entity-tag, 0 if not, -1 if it cannot be parsed. */
static int http_etag_list_match(const char *value,
                                const struct http_validators *v, bool is_strong)
{
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		return *q != '\0' ? -1 : v->exists ? 1 : 0;
	}
	bool matched = false, any = false;
	size_t elen = v->etag != NULL ? strlen(v->etag) : 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		size_t n = http_etag_len(p, strlen(p));
		if (n == 0)
			return -1;
		if (v->etag != NULL && v->exists &&
		    http_etag_match(p, n, v->etag, elen, is_strong))
			matched = true;
		any = true;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return -1;
	}
	return any ? (matched ? 1 : 0) : -1;
}

/* The lists of every field line called name: -2 when there is none, else
 * as http_etag_list_match over all of them (RFC 9110 §5.3). */
static int http_cond_list(const struct http_headers *headers, const char *name,
                          const struct http_validators *v, bool is_strong)
{
	int result = -2;
	for (unsigned i = 0; i < headers->count; i++) {
		const struct http_header *h = &headers->items[i];
		if (!http_str_eq_ci(h->name, strlen(h->name), name))
			continue;
		int ret = http_etag_list_match(h->value, v, is_strong);
		if (ret < 0)
			return -1;
		if (result < 1)
			result = ret;
	}
	return result;
}

/* A date field: 1 with *t_r, 0 when absent or to be ignored. */
static int http_cond_date(const struct http_headers *headers, const char *name,
                          time_t now, time_t *t_r)
{
	if (http_headers_count(headers, name) != 1)
		return 0;
	const char *value = http_headers_get(headers, name);
	return http_date_parse(value, strlen(value), now, t_r) == 0 ? 1 : 0;
}

unsigned http_cond_evaluate(const struct http_headers *headers,
                            enum http_method method,
                            const struct http_validators *v, time_t now)
{
	bool is_get = method == HTTP_METHOD_GET || method == HTTP_METHOD_HEAD;
	int if_match = http_cond_list(headers, "If-Match", v, true);
	int if_none = http_cond_list(headers, "If-None-Match", v, false);
	time_t t;
	/* step 1 and 2: If-Match, else If-Unmodified-Since */
	if (if_match != -2) {
		if (if_match != 1)
			return 412;
	} else if (http_cond_date(headers, "If-Unmodified-Since", now, &t) >
	               0 &&
	           v->last_modified != 0 && v->last_modified > t) {
		return 412;
	}
	/* step 3 and 4: If-None-Match, else If-Modified-Since */
	if (if_none != -2) {
		if (if_none == 1)
			return is_get ? 304 : 412;
	} else if (is_get &&
	           http_cond_date(headers, "If-Modified-Since", now, &t) > 0 &&
	           v->last_modified != 0 && v->last_modified <= t) {
		return 304;
	}
	return 0;
}

bool http_cond_if_range(const struct http_headers *headers,
                        const struct http_validators *v, time_t now)
{
	const char *value = http_headers_get(headers, "If-Range");
	if (value == NULL)
		return true;
	if (http_headers_count(headers, "If-Range") != 1)
		return false;
	size_t len = strlen(value);
	if (http_etag_is_valid(value, len))
		return v->etag != NULL &&
		       http_etag_match(value, len, v->etag, strlen(v->etag),
		                       true);
	time_t t;
	if (http_date_parse(value, len, now, &t) < 0)
		return false;
	return v->last_modified != 0 && v->last_modified == t;
}
