/* The HTTP/1.1 request-head parser (RFC 9112 §2-§7, RFC 9110 §5-§7):
 * incremental over (data, size), strict, with limits from a settings
 * struct. It reads the request-line and the field lines up to the empty
 * line, then decides the message framing (RFC 9112 §6.3) and refuses what
 * request smuggling is made of: Content-Length with Transfer-Encoding,
 * several Content-Lengths or a list, obs-fold, bare LF or CR, whitespace
 * before a colon, chunked not last. Every refusal carries the status code
 * the server must send (400, 414, 431, 501, 505); after any refusal the
 * framing is unknown and the connection must be closed. */
#ifndef HTTP_HTTP_PARSER_H
#define HTTP_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_headers.h"
#include "http/http_method.h"

struct pool;
struct http_parser;

struct http_parser_settings {
	size_t max_request_line; /* bytes incl. CRLF, 414 past it (0: 8192) */
	size_t max_header_bytes; /* field lines incl. CRLFs, 431 (0: 65536) */
	unsigned max_headers;    /* field lines, 431 past it (0: 100) */
};

/* request-target forms (RFC 9112 §3.2) */
enum http_target_form {
	HTTP_TARGET_ORIGIN,    /* /path?query */
	HTTP_TARGET_ABSOLUTE,  /* http://host/path?query */
	HTTP_TARGET_AUTHORITY, /* host:port, CONNECT only */
	HTTP_TARGET_ASTERISK,  /* *, OPTIONS only */
};

/* How the request's body is delimited (RFC 9112 §6.3). */
enum http_framing {
	HTTP_FRAMING_NONE,    /* no body */
	HTTP_FRAMING_LENGTH,  /* Content-Length bytes (> 0) */
	HTTP_FRAMING_CHUNKED, /* Transfer-Encoding: chunked */
};

/* A parsed request head. Strings are NUL-terminated and live in the pool
 * given to http_parser_reset. */
struct http_request_head {
	const char *method;         /* token, as sent */
	enum http_method method_id; /* UNKNOWN for other tokens */
	const char *target;         /* request-target, as sent */
	enum http_target_form form;
	/* The absolute-path (still percent-encoded; "/" for an absolute-form
	 * with an empty path), "*" for the asterisk form, "" for CONNECT. */
	const char *path;
	const char *query;      /* after '?', or NULL */
	const char *authority;  /* absolute-form's, else Host's; "" if empty */
	unsigned version_minor; /* HTTP/1.x (a 1.x above 1 is kept as sent) */
	struct http_headers headers;

	enum http_framing framing;
	uint64_t content_length; /* for HTTP_FRAMING_LENGTH */
	bool is_keep_alive;      /* persistent (RFC 9112 §9.3) */
	bool expect_continue;    /* Expect: 100-continue on HTTP/1.1 */
	bool has_bad_expect;     /* another expectation: answer 417 */
};

/* Returns a parser with the given limits (settings may be NULL). */
struct http_parser *http_parser_new(const struct http_parser_settings *set);
/* Sets *parser to NULL; accepts NULL. */
void http_parser_free(struct http_parser **parser);

/* Starts a new request head whose strings are allocated from pool. */
void http_parser_reset(struct http_parser *parser, struct pool *pool);
/* Parses data[0..size). Returns 1 when the head is complete: *head_r is
 * set and the first *consumed_r bytes of data were the head's (the rest is
 * the body or the next request); 0 when every byte was consumed and more
 * are needed; -1 when the request is refused, with *status_r (400, 414,
 * 431, 501, 505) and *error_r (static text for the reply and the log).
 * Once 1 or -1 has been returned, call http_parser_reset before parsing
 * again. */
int http_parser_parse(struct http_parser *parser, const unsigned char *data,
                      size_t size, size_t *consumed_r,
                      struct http_request_head **head_r, unsigned *status_r,
                      const char **error_r);
/* Returns true once a byte of the request-line (not a leading empty
 * line) has been read: a request has begun (its header deadline runs). */
bool http_parser_has_started(const struct http_parser *parser);

#endif
