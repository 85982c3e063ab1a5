/* Header field lists: an array that doubles in the pool, looked up by a
 * case-insensitive name, combined per RFC 9110 §5.3. */
#include "http/http_headers.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_syntax.h"

#include <string.h>

void http_headers_add(struct http_headers *headers, struct pool *pool,
                      const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
	if (headers->count == headers->cap) {
		unsigned cap = headers->cap == 0 ? 16 : headers->cap * 2;
		struct http_header *items =
		    pool_alloc(pool, cap * sizeof(*items));
		if (headers->count > 0)
			memcpy(items, headers->items,
			       headers->count * sizeof(*items));
		headers->items = items;
		headers->cap = cap;
	}
	struct http_header *h = &headers->items[headers->count++];
	h->name = pool_strndup(pool, name, name_len);
	h->value = pool_strndup(pool, value, value_len);
}

const char *http_headers_get(const struct http_headers *headers,
                             const char *name)
{
	for (unsigned i = 0; i < headers->count; i++) {
		const struct http_header *h = &headers->items[i];
		if (http_str_eq_ci(h->name, strlen(h->name), name))
			return h->value;
	}
	return NULL;
}

unsigned http_headers_count(const struct http_headers *headers,
                            const char *name)
{
	unsigned n = 0;
	for (unsigned i = 0; i < headers->count; i++) {
		const struct http_header *h = &headers->items[i];
		if (http_str_eq_ci(h->name, strlen(h->name), name))
			n++;
	}
	return n;
}

const char *http_headers_join(const struct http_headers *headers,
                              struct pool *pool, const char *name)
{
	const char *first = NULL;
	struct buf joined;
	unsigned n = 0;
	buf_init(&joined);
	for (unsigned i = 0; i < headers->count; i++) {
		const struct http_header *h = &headers->items[i];
		if (!http_str_eq_ci(h->name, strlen(h->name), name))
			continue;
		if (n++ == 0)
			first = h->value;
		else
			buf_append_str(&joined, ", ");
		buf_append_str(&joined, h->value);
	}
	const char *ret = n <= 1 ? first : pool_strdup(pool, joined.data);
	buf_deinit(&joined);
	return ret;
}
