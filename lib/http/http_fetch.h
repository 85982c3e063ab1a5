/* A small HTTPS GET client on the event loop, for a document a server
 * fetches for itself (relay: the MTA-STS policy of a domain, RFC 8461
 * §3.3): the host looked up through lib/core/dns, TLS with the host as SNI
 * and a certificate that must verify for it (RFC 6125), one request with
 * "Connection: close", the answer read whole into memory up to a size
 * limit, all within one deadline. Redirects are not followed (RFC 8461
 * §3.3 forbids it): a 3xx is handed back like any status.
 *
 * The reply parser (RFC 9112 §4-§7) is separate and pure, for tests and
 * the fuzzer. XXX: lib/http may gain a general response parser for
 * clients (the CalDAV client's); this one should then use it. */
#ifndef HTTP_HTTP_FETCH_H
#define HTTP_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct dns;
struct event_loop;
struct pool;
struct tls_client;

#define HTTP_FETCH_HEAD_MAX (16 * 1024) /* status line and fields */

struct http_fetch_reply {
	unsigned status;          /* the final status code (after 1xx) */
	const char *content_type; /* as sent, or NULL (from the pool) */
	struct buf body;          /* decoded (chunked), owned by caller */
};

/* response = *( interim 1xx ) status-line *( field-line CRLF ) CRLF
 *            [ message-body ]                       (RFC 9112 §2.1)
 * status-line = HTTP-version SP status-code SP [ reason-phrase ]
 * Parses the response data[0..size) received so far; is_eof says the peer
 * closed. The body is framed by chunked, else Content-Length, else the
 * close (RFC 9112 §6.3). Returns 1 when the response is complete (reply
 * filled; init its body first), 0 when more is needed, -1 with a static
 * reason: bad syntax, obsolete line folding, conflicting Content-Length,
 * a transfer coding other than chunked, a head over HTTP_FETCH_HEAD_MAX,
 * a body over max_body, or a close before the end. */
int http_fetch_parse(const unsigned char *data, size_t size, bool is_eof,
                     size_t max_body, struct pool *pool,
                     struct http_fetch_reply *reply, const char **error_r);

enum http_fetch_status {
	HTTP_FETCH_OK,       /* a complete response (any status code) */
	HTTP_FETCH_DNS,      /* the host has no address */
	HTTP_FETCH_CONNECT,  /* no address could be reached */
	HTTP_FETCH_TLS,      /* the handshake failed */
	HTTP_FETCH_VERIFY,   /* the certificate does not verify for host */
	HTTP_FETCH_PROTOCOL, /* not a valid response, or too large */
	HTTP_FETCH_TIMEOUT,  /* the deadline passed */
};

struct http_fetch_result {
	enum http_fetch_status status;
	unsigned code;            /* the HTTP status with OK */
	const char *content_type; /* or NULL */
	const char *body;         /* NUL-terminated; body_len bytes */
	size_t body_len;
	const char *error; /* for a log line when status is not OK */
};

struct http_fetch;
/* r and its strings live until the callback returns; the fetch is freed
 * after it. */
typedef void http_fetch_cb(const struct http_fetch_result *r, void *ctx);

/* Fetches https://host:port/path. tls is the context whose trust anchors
 * verify the server; the deadline covers look-up, connect, handshake and
 * the answer. cb is always called from the loop, once. */
struct http_fetch *http_fetch_start(struct event_loop *loop, struct dns *dns,
                                    struct tls_client *tls, const char *host,
                                    unsigned port, const char *path,
                                    unsigned timeout_secs, size_t max_body,
                                    http_fetch_cb *cb, void *ctx);
/* Stops a fetch before its callback (which then never runs); sets *f to
 * NULL; accepts NULL. */
void http_fetch_cancel(struct http_fetch **f);

#endif
