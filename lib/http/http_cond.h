/* Conditional requests (RFC 9110 §13): entity tags with strong and weak
 * comparison (§8.8.3.2), the four preconditions evaluated in the order of
 * §13.2.2 (If-Match, If-Unmodified-Since, If-None-Match,
 * If-Modified-Since) and If-Range (§13.1.5). The caller (a route's
 * handler) gives the selected representation's validators and evaluates
 * only when the response without preconditions would be 2xx (§13.2.1). */
#ifndef HTTP_HTTP_COND_H
#define HTTP_HTTP_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http/http_headers.h"
#include "http/http_method.h"

/* What the server knows of the selected representation. */
struct http_validators {
	const char *etag;     /* entity-tag with quotes ("\"x\"", W/"x"),
	                         or NULL */
	time_t last_modified; /* 0: unknown */
	bool exists;          /* a current representation exists ("*") */
};

/* Returns 0 to perform the method, 304 (Not Modified: GET or HEAD) or 412
 * (Precondition Failed). now bounds the rfc850 two-digit year. */
unsigned http_cond_evaluate(const struct http_headers *headers,
                            enum http_method method,
                            const struct http_validators *validators,
                            time_t now);
/* If-Range: returns true if a Range may be honoured (no If-Range, or its
 * entity-tag strongly matches, or its date equals last_modified). */
bool http_cond_if_range(const struct http_headers *headers,
                        const struct http_validators *validators, time_t now);

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (§8.8.3) */
bool http_etag_is_valid(const char *str, size_t len);
/* Compares two valid entity-tags: strong comparison needs both strong and
 * the same opaque-tag; weak comparison only the same opaque-tag. */
bool http_etag_match(const char *a, size_t alen, const char *b, size_t blen,
                     bool is_strong);

#endif
