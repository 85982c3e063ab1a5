/* A request as its handler sees it: the parsed head, the normalised path,
 * the route, the authenticated user, and the body, which the handler asks
 * for (http_request_read_body) only once it has decided to accept it, so
 * that "100 Continue" goes out only then (RFC 9110 §10.1.1). A body
 * smaller than body_memory_max is kept in memory, a larger one streamed to
 * an unlinked temporary file, and the route's limit is enforced while it
 * arrives (413). Everything allocated from the request's pool lives until
 * the request ends: its response is written, or the connection is gone,
 * which the destroy callback reports. */
#ifndef HTTP_HTTP_REQUEST_H
#define HTTP_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http/http_cond.h"
#include "http/http_method.h"
#include "http/http_parser.h"
#include "http/http_server.h"

struct pool;
struct http_route;

/* The body, once read: data/size when in memory (fd -1), else fd (an
 * unlinked file at offset 0, closed when the request ends) and size. */
struct http_request_body {
	const unsigned char *data;
	size_t size_in_memory;
	int fd;
	uint64_t size;
};

typedef void http_request_cb(struct http_request *req, void *ctx);

const struct http_request_head *
http_request_head(const struct http_request *req);
enum http_method http_request_method(const struct http_request *req);
/* The decoded, normalised path (http_path.h); head->path is as sent. */
const char *http_request_path(const struct http_request *req);
/* The first field called name, or NULL. */
const char *http_request_header(const struct http_request *req,
                                const char *name);
/* All lines of a field combined (RFC 9110 §5.3), or NULL. */
const char *http_request_header_join(struct http_request *req,
                                     const char *name);
/* Lives until the request ends. */
struct pool *http_request_pool(struct http_request *req);
const struct http_route *http_request_route(const struct http_request *req);
/* The verified identity on a route that requires it, else NULL. */
const char *http_request_user(const struct http_request *req);
struct http_server_conn *http_request_conn(struct http_request *req);
/* The server's answer to the authenticate callback: user is the verified
 * identity for HTTP_AUTH_OK (copied), else ignored. */
void http_request_auth_done(struct http_request *req,
                            enum http_auth_result result, const char *user);
/* destroy runs once when the request ends, however it ends (response
 * written, connection closed, deadline): drop pending work then. */
void http_request_set_destroy(struct http_request *req,
                              http_request_cb *destroy, void *ctx);

/* True if a browser says the request comes from a page of this origin:
 * Sec-Fetch-Site is "same-origin" (Fetch Metadata), or, without it,
 * Origin (RFC 6454 §7) is this server's scheme, host and port as the
 * request names them (Host). False for any other site, for "null", and
 * when neither field is there. The CSRF check of a state-changing request
 * made with a session cookie. */
bool http_request_is_same_origin(const struct http_request *req);

/* True if the request has a body (Content-Length > 0 or chunked). */
bool http_request_has_body(const struct http_request *req);
/* Reads the body, then calls done from the event loop (never from inside
 * this call). A body past the route's limit, a framing error or a missed
 * deadline is answered by the engine (413, 400, 408) and the request ends
 * without done. For a request without a body done comes at once. */
void http_request_read_body(struct http_request *req, http_request_cb *done,
                            void *ctx);
/* The body read by http_request_read_body (valid in done and after). */
const struct http_request_body *
http_request_body(const struct http_request *req);

/* RFC 9110 §13.2.2 for a state-changing method: evaluates the
 * preconditions against the current representation. Returns 0 (go on),
 * 304 or 412: answer with that status. (GET and HEAD get this done by
 * http_response_set_validators.) */
unsigned http_request_check_preconditions(const struct http_request *req,
                                          const struct http_validators *v);

#endif
