/* The query of a request-target (RFC 3986 §3.4) read as name=value pairs
 * separated by "&", as HTML forms and Thunderbird's autoconfig
 * ("?emailaddress=bob%40example.com") send them. Names and values are
 * percent-decoded (RFC 3986 §2.1); a "+" stays a "+" (only form bodies,
 * not URIs, turn it into a space, and an address like bob+tag@x must
 * survive). */
#ifndef HTTP_HTTP_QUERY_H
#define HTTP_HTTP_QUERY_H

struct pool;

/* Finds the first pair called name (compared after decoding, exactly) in
 * query (as sent, without the "?"; NULL is an empty query). Returns 1
 * with the decoded value (from pool; "" for "name" or "name=") in
 * *value_r, 0 when there is no such pair, or -1 when the value decodes to
 * a control character, NUL or invalid UTF-8 (answer 400). */
int http_query_get(const char *query, const char *name, struct pool *pool,
                   const char **value_r);

#endif
