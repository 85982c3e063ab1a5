/* The HTTP/1.1 server engine (RFC 9110, RFC 9112), policy-free like
 * lib/smtp's smtp_server.h: it reads requests from a struct conn, checks
 * them (parser, path, route, methods, body limit, credentials), and hands
 * each one to its route's handler (http_router.h), which answers through
 * http_response.h, now or later. One request is handled at a time, in
 * order: pipelined requests wait in the input buffer (RFC 9112 §9.3.2).
 * Persistence follows RFC 9112 §9.3 (HTTP/1.0 keep-alive included); after
 * any error that leaves the framing unknown the connection is closed.
 * Deadlines: the head must arrive within header_timeout of its first byte
 * and the body within body_timeout (plus size / body_min_rate) of its
 * start, however the bytes trickle in; between requests idle_timeout.
 * Each finished request is logged as one access line. */
#ifndef HTTP_HTTP_SERVER_H
#define HTTP_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_auth.h"
#include "http/http_body.h"
#include "http/http_parser.h"

struct conn;
struct event_loop;
struct log;
struct tls_server;
struct http_router;
struct http_request;
struct http_server_conn;

struct http_server_settings {
	struct http_parser_settings parser; /* head limits */
	struct http_body_settings body;     /* chunk and trailer limits;
	                                       max_size comes from the route */
	size_t body_memory_max;    /* larger bodies go to a file (0: 64 KiB) */
	const char *tmp_dir;       /* where body files are made; NULL: bodies
	                              past body_memory_max get 413 */
	unsigned idle_timeout;     /* seconds without a request (0: 60) */
	unsigned header_timeout;   /* seconds for a whole head (0: 30) */
	unsigned body_timeout;     /* seconds for a whole body (0: 60) ... */
	unsigned body_min_rate;    /* ... plus one per this many bytes of its
	                              announced size or limit (0: none) */
	unsigned max_requests;     /* per connection, then close (0: none) */
	unsigned request_rate;     /* requests per second per connection, 429
	                              past it (0: no limit) ... */
	unsigned request_burst;    /* ... with this many at once (0: 100) */
	unsigned hsts_max_age;     /* Strict-Transport-Security on TLS (0:
	                              not sent) */
	unsigned tls_timeout;      /* seconds for the TLS handshake (0: 60) */
	size_t gzip_min_size;      /* smaller bodies are not compressed (0:
	                              256) */
	const char *realm;         /* of WWW-Authenticate (NULL: "Postroom") */
	const char *auth_cookie;   /* session cookie name, or NULL */
	bool allow_plaintext_auth; /* credentials without TLS */
	bool allow_loopback_plaintext_auth; /* ... from 127/8 and ::1 */
	const struct http_router *router;   /* must outlive the conns */
};

enum http_auth_result {
	HTTP_AUTH_OK,       /* verified: the route's handler runs */
	HTTP_AUTH_FAIL,     /* wrong credentials: 401 */
	HTTP_AUTH_TEMPFAIL, /* cannot check now: 503 with Retry-After */
};

struct http_server_callbacks {
	/* Credentials not in the connection's cache, on a route that needs
	 * them: verify (typically through authd) and answer with
	 * http_request_auth_done(), now or later. The strings in cred live
	 * until then; they are wiped afterwards. If the request ends first
	 * (the client went away), its destroy callback
	 * (http_request_set_destroy) says so. NULL: every credential fails. */
	void (*authenticate)(void *ctx, struct http_request *req,
	                     const struct http_credentials *cred);
	/* Last call: the connection is gone (reason "eof", "idle timeout",
	 * "closed", "shutdown", an error text). The engine frees itself
	 * after it returns. */
	void (*disconnect)(void *ctx, const char *reason);
};

/* Starts HTTP on fd (owned from now on): implicit_tls not NULL begins a
 * TLS handshake first. log (may be NULL) is the connection's log context
 * ("conn=12 peer=...") for the access and error lines; it and settings
 * must outlive the connection. */
struct http_server_conn *
http_server_conn_new(struct event_loop *loop, int fd,
                     struct tls_server *implicit_tls,
                     const struct http_server_settings *settings,
                     const struct http_server_callbacks *callbacks,
                     const struct log *log, void *ctx);
/* Graceful stop: an idle connection is closed now, a busy one after its
 * current response (which says Connection: close). */
void http_server_conn_shutdown(struct http_server_conn *srv);
/* For a connection over a limit (service_conn_add refused it): its first
 * request is answered 503 with Retry-After and reason, then it closes. */
void http_server_conn_refuse(struct http_server_conn *srv, const char *reason);
/* Closes at once (after flushing what is written); the request in
 * progress, if any, is destroyed; disconnect follows with "closed". */
void http_server_conn_close(struct http_server_conn *srv);

struct conn *http_server_conn_get_conn(struct http_server_conn *srv);
/* Requests started on this connection so far. */
unsigned http_server_conn_requests(const struct http_server_conn *srv);
/* True if credentials may be sent here: TLS, or the settings allow it. */
bool http_server_conn_is_secure(const struct http_server_conn *srv);

#endif
