/* A message's header fields (RFC 9110 §5) in the order received: names
 * compared case-insensitively, values with their surrounding whitespace
 * removed. Strings and the array live in the pool given to
 * http_headers_add. */
#ifndef HTTP_HTTP_HEADERS_H
#define HTTP_HTTP_HEADERS_H

#include <stddef.h>

struct pool;

struct http_header {
	const char *name;  /* as sent */
	const char *value; /* NUL-free, OWS trimmed */
};

struct http_headers {
	struct http_header *items;
	unsigned count;
	unsigned cap;
};

/* Appends a field (the strings are copied into pool). */
void http_headers_add(struct http_headers *headers, struct pool *pool,
                      const char *name, size_t name_len, const char *value,
                      size_t value_len);
/* Returns the value of the first field called name, or NULL. */
const char *http_headers_get(const struct http_headers *headers,
                             const char *name);
/* Returns how many field lines are called name. */
unsigned http_headers_count(const struct http_headers *headers,
                            const char *name);
/* Returns the values of every field line called name joined with ", "
 * (RFC 9110 §5.3: the same as one combined line), allocated from pool;
 * the value itself when there is one line; NULL when there is none. */
const char *http_headers_join(const struct http_headers *headers,
                              struct pool *pool, const char *name);

#endif
