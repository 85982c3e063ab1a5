/* The HTTP/1.1 response-head parser for clients (RFC 9112 §2, §4, §5,
 * §6.3; RFC 9110 §15): incremental over (data, size), with limits from a
 * settings struct. It reads the status-line and the field lines up to the
 * empty line and decides how the body is delimited. As a recipient it is
 * lenient where RFC 9112 lets a user agent be (a bare LF ends a line, §2.2;
 * an obs-fold becomes a space, §5.2; whitespace before a colon is dropped)
 * and strict where the framing is at stake: a Content-Length that is not a
 * number or a list of different values, a transfer coding it cannot
 * undo before chunked, a bare CR or a status code outside 100-599 fail the
 * response, and the connection cannot be used again. */
#ifndef HTTP_HTTP_RESPONSE_PARSER_H
#define HTTP_HTTP_RESPONSE_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_headers.h"
#include "http/http_parser.h" /* enum http_framing */

struct pool;
struct http_response_parser;

struct http_response_parser_settings {
	size_t max_line;         /* bytes of one line incl. CRLF (0: 16384) */
	size_t max_header_bytes; /* field lines incl. CRLFs (0: 262144) */
	unsigned max_headers;    /* field lines (0: 200) */
};

/* A parsed response head. Strings are NUL-terminated and live in the pool
 * given to http_response_parser_reset. */
struct http_response_head {
	unsigned version_minor; /* HTTP/1.x */
	unsigned status;        /* 100..599 */
	const char *reason;     /* reason-phrase, "" when none */
	struct http_headers headers;

	/* RFC 9112 §6.3. NONE with is_until_close false: no body (HEAD,
	 * 1xx, 204, 304, or Content-Length: 0). is_until_close: the body
	 * is every byte until the server closes (no length, or a final
	 * coding other than chunked is not possible here: refused). */
	enum http_framing framing;
	uint64_t content_length; /* for HTTP_FRAMING_LENGTH */
	bool is_until_close;
	bool is_keep_alive; /* the connection may carry the next request */
};

/* Returns a parser with the given limits (settings may be NULL). */
struct http_response_parser *
http_response_parser_new(const struct http_response_parser_settings *set);
/* Sets *parser to NULL; accepts NULL. */
void http_response_parser_free(struct http_response_parser **parser);

/* Starts a new response head whose strings come from pool. is_head: the
 * request was HEAD, so the response has no body whatever it says
 * (RFC 9110 §9.3.2). */
void http_response_parser_reset(struct http_response_parser *parser,
                                struct pool *pool, bool is_head);
/* Parses data[0..size). Returns 1 when the head is complete: *head_r is
 * set and the first *consumed_r bytes of data were the head's (the rest is
 * the body); 0 when every byte was consumed and more are needed; -1 when
 * the response cannot be read, with *error_r (static). A 1xx head is
 * returned like any other: the caller skips it and resets the parser for
 * the final response. After 1 or -1, reset before parsing again. */
int http_response_parser_parse(struct http_response_parser *parser,
                               const unsigned char *data, size_t size,
                               size_t *consumed_r,
                               struct http_response_head **head_r,
                               const char **error_r);

#endif
