/* The HTTP server engine: connection lifecycle, the input loop over the
 * request heads, the checks between a head and its handler (rate, method,
 * path, route, allowed methods, body limit, credentials), the deadlines,
 * and the access log. A request that ends never parses the next one
 * itself: the next head is read from the loop (the kick timer), so a long
 * pipeline cannot nest calls. */
#include "http/http_server_private.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_path.h"
#include "http/http_router.h"
#include "http/http_syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HTTP_BURST_DEFAULT 100

static void http_server_input_cb(struct conn *conn, void *ctx);
static void http_server_timeout_cb(struct conn *conn, void *ctx);
static void http_server_drained_cb(struct conn *conn, void *ctx);
static void http_server_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx);
static void http_server_input(struct http_server_conn *srv);

static const struct conn_callbacks http_server_conn_callbacks = {
    .input = http_server_input_cb,
    .timeout = http_server_timeout_cb,
    .drained = http_server_drained_cb,
    .closed = http_server_closed_cb,
};

uint64_t http_server_now_msecs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The header or body deadline passed (conn_set_deadline). */
static void http_server_deadline_passed(struct http_server_conn *srv)
{
	if (srv->req == NULL || srv->is_closing)
		return;
	if (srv->input == HTTP_INPUT_DISCARD) {
		/* answered already: only the unread rest was late */
		http_server_close(srv, "body deadline");
		return;
	}
	http_server_error(srv->req, 408,
	                  srv->input == HTTP_INPUT_BODY ? "body deadline"
	                                                : "header deadline",
	                  true);
}

static void http_server_kick_cb(void *ctx)
{
	http_server_input(ctx);
}

struct http_server_conn *
http_server_conn_new(struct event_loop *loop, int fd,
                     struct tls_server *implicit_tls,
                     const struct http_server_settings *settings,
                     const struct http_server_callbacks *callbacks,
                     const struct log *log, void *ctx)
{
	struct http_server_conn *srv = xcalloc(1, sizeof(*srv));
	srv->set = *settings;
	if (srv->set.body_memory_max == 0)
		srv->set.body_memory_max = 64 * 1024;
	if (srv->set.idle_timeout == 0)
		srv->set.idle_timeout = 60;
	if (srv->set.header_timeout == 0)
		srv->set.header_timeout = 30;
	if (srv->set.body_timeout == 0)
		srv->set.body_timeout = 60;
	if (srv->set.request_burst == 0)
		srv->set.request_burst = HTTP_BURST_DEFAULT;
	if (srv->set.gzip_min_size == 0)
		srv->set.gzip_min_size = 256;
	if (srv->set.realm == NULL)
		srv->set.realm = "Postroom";
	ASSERT(srv->set.router != NULL);
	if (callbacks != NULL)
		srv->cb = *callbacks;
	srv->ctx = ctx;
	srv->log = log;
	srv->loop = loop;
	srv->parser = http_parser_new(&srv->set.parser);
	srv->kick = event_timer_new(loop, http_server_kick_cb, srv);
	srv->tokens = srv->set.request_burst;
	srv->tokens_msecs = http_server_now_msecs();
	const struct conn_settings cs = {
	    .handshake_timeout = srv->set.tls_timeout,
	};
	srv->conn = conn_new(loop, fd, implicit_tls, &cs,
	                     &http_server_conn_callbacks, srv);
	conn_set_timeout(srv->conn, srv->set.idle_timeout);
	return srv;
}

static void http_server_free(struct http_server_conn *srv)
{
	http_ws_free(&srv->ws);
	http_request_free(&srv->req);
	conn_free(&srv->conn);
	http_parser_free(&srv->parser);
	event_timer_free(&srv->kick);
	free(srv->auth_user);
	free(srv);
}

void http_server_close(struct http_server_conn *srv, const char *reason)
{
	if (srv->is_closing)
		return;
	srv->is_closing = true;
	srv->close_reason = reason;
	http_server_deadline_clear(srv);
	conn_close_after_flush(srv->conn);
}

void http_server_conn_shutdown(struct http_server_conn *srv)
{
	srv->is_shutdown = true;
	if (srv->ws != NULL) {
		http_ws_shutdown(srv->ws);
		return;
	}
	/* idle: no request, or only empty lines of one */
	if (srv->req == NULL || (srv->input == HTTP_INPUT_HEAD &&
	                         !http_parser_has_started(srv->parser)))
		http_server_close(srv, "shutdown");
}

void http_server_conn_refuse(struct http_server_conn *srv, const char *reason)
{
	srv->refuse_reason = reason;
}

void http_server_conn_close(struct http_server_conn *srv)
{
	http_server_close(srv, "closed");
}

struct conn *http_server_conn_get_conn(struct http_server_conn *srv)
{
	return srv->conn;
}

unsigned http_server_conn_requests(const struct http_server_conn *srv)
{
	return srv->requests;
}

bool http_server_conn_is_secure(const struct http_server_conn *srv)
{
	return conn_is_tls(srv->conn) || srv->set.allow_plaintext_auth ||
	       (srv->set.allow_loopback_plaintext_auth &&
	        conn_peer_is_loopback(srv->conn));
}

void http_server_kick(struct http_server_conn *srv)
{
	event_timer_set(srv->kick, 0);
}

/* The header and body deadlines are conn's: bytes trickling in cannot
 * move them, unlike the idle timeout. */
void http_server_deadline_set(struct http_server_conn *srv, unsigned secs)
{
	conn_set_deadline(srv->conn, secs);
}

void http_server_deadline_clear(struct http_server_conn *srv)
{
	conn_set_deadline(srv->conn, 0);
}

/* The access line: one per request (STYLE.md §7). */
static void http_server_log_request(struct http_server_conn *srv,
                                    struct http_request *req)
{
	if (req->is_logged)
		return;
	req->is_logged = true;
	const struct http_request_head *head = req->head;
	uint64_t msecs = http_server_now_msecs() - req->start_msecs;
	char reason[128] = "";
	if (req->error != NULL)
		snprintf(reason, sizeof(reason), " reason=\"%s\"",
		         log_sanitize(req->error, 100));
	log_info(
	    srv->log,
	    "http method=%s path=%s status=%u bytes=%llu duration=%llums "
	    "user=%s%s",
	    head != NULL ? log_sanitize(head->method, 32) : "-",
	    head != NULL ? log_sanitize(head->path, 200) : "-", req->status,
	    (unsigned long long)req->bytes, (unsigned long long)msecs,
	    req->user != NULL ? log_sanitize(req->user, 100) : "-", reason);
}

void http_server_request_finished(struct http_server_conn *srv)
{
	srv->req->is_finished = true;
	http_server_kick(srv);
}

static void http_server_request_end(struct http_server_conn *srv)
{
	struct http_request *req = srv->req;
	http_server_log_request(srv, req);
	bool must_close = req->must_close || srv->is_shutdown;
	bool discard =
	    !must_close && !req->is_body_read && http_request_has_body(req);
	if (discard) {
		/* the small rest of an unread body, then the next request;
		 * the response is written and logged already */
		req->is_finished = false;
		srv->input = HTTP_INPUT_DISCARD;
		http_server_deadline_set(srv, srv->set.body_timeout);
		conn_set_input_paused(srv->conn, false);
		return;
	}
	http_request_free(&srv->req);
	if (must_close) {
		http_server_close(srv,
		                  srv->is_shutdown ? "shutdown" : "closed");
		return;
	}
	srv->input = HTTP_INPUT_HEAD;
	conn_set_input_paused(srv->conn, false);
}

void http_server_error(struct http_request *req, unsigned status,
                       const char *reason, bool must_close)
{
	struct http_server_conn *srv = req->srv;
	if (req->resp != NULL && req->resp->is_sending) {
		/* a response is under way: nothing sane can follow */
		req->must_close = true;
		http_server_close(srv, reason);
		return;
	}
	http_response_free(&req->resp); /* made by the handler, not sent */
	req->error = reason;
	if (must_close)
		req->must_close = true;
	struct http_response *resp = http_response_new(req, status);
	http_response_send_text(resp, "%u %s: %s\n", status,
	                        http_response_reason(status), reason);
}

/* The 401 challenge (RFC 9110 §11.6.1). Basic makes a browser ask for a
 * password in a dialog of its own, which must not cover a page that logs
 * in by itself: a request that came with a session cookie or a bearer
 * token, or that a page's script made (Sec-Fetch-Mode other than
 * "navigate", Fetch Metadata), is challenged with Bearer only (RFC 6750
 * §3), which no browser answers with a dialog. */
void http_server_unauthorized(struct http_request *req, const char *reason)
{
	req->error = reason;
	struct http_response *resp = http_response_new(req, 401);
	const char *mode = http_request_header(req, "Sec-Fetch-Mode");
	enum http_auth_scheme scheme = req->cred.scheme;
	if (scheme == HTTP_AUTH_BEARER)
		http_response_add_header(resp, "WWW-Authenticate",
		                         "Bearer realm=\"%s\", "
		                         "error=\"invalid_token\"",
		                         req->srv->set.realm);
	else if (scheme == HTTP_AUTH_COOKIE ||
	         (mode != NULL && strcmp(mode, "navigate") != 0))
		http_response_add_header(resp, "WWW-Authenticate",
		                         "Bearer realm=\"%s\"",
		                         req->srv->set.realm);
	else
		http_response_add_header(resp, "WWW-Authenticate",
		                         "Basic realm=\"%s\", charset=\"UTF-8\"",
		                         req->srv->set.realm);
	http_response_send_text(resp, "401 Unauthorized\n");
}

/* A token bucket: request_rate a second, request_burst at most. */
static bool http_server_rate_ok(struct http_server_conn *srv)
{
	if (srv->set.request_rate == 0)
		return true;
	uint64_t now = http_server_now_msecs();
	srv->tokens +=
	    (double)(now - srv->tokens_msecs) * srv->set.request_rate / 1000.0;
	srv->tokens_msecs = now;
	if (srv->tokens > srv->set.request_burst)
		srv->tokens = srv->set.request_burst;
	if (srv->tokens < 1.0)
		return false;
	srv->tokens -= 1.0;
	return true;
}

/* The methods a route allows, as the Allow field. */
static void http_server_allow(struct http_response *resp, uint32_t methods)
{
	char allow[256];
	http_method_set_str(methods, allow, sizeof(allow));
	http_response_add_header(resp, "Allow", "%s", allow);
}

static void http_server_options(struct http_request *req, uint32_t methods)
{
	struct http_response *resp = http_response_new(req, 204);
	http_server_allow(resp, methods | HTTP_METHOD_BIT(HTTP_METHOD_OPTIONS));
	http_response_send_empty(resp);
}

/* Normalises the path and finds its route; an encoded "/" is decoded only
 * for a route that allows it. Returns 0, or -1 after an error reply. */
static int http_server_route(struct http_request *req)
{
	const struct http_router *router = req->srv->set.router;
	unsigned status;
	const char *error;
	if (http_path_normalize(req->head->path, false, req->pool, &req->path,
	                        &status, &error) == 0) {
		req->route = http_router_match(router, req->path);
	} else if (status == 404 &&
	           http_path_normalize(req->head->path, true, req->pool,
	                               &req->path, &status, &error) == 0) {
		req->route = http_router_match(router, req->path);
		if (req->route != NULL &&
		    (req->route->flags & HTTP_ROUTE_ENCODED_SLASH) == 0)
			req->route = NULL;
	} else {
		http_server_error(req, status, error, false);
		return -1;
	}
	if (req->route == NULL) {
		http_server_error(req, 404, "no such resource", false);
		return -1;
	}
	return 0;
}

/* The checks of RFC 9110 that need the route: methods (405, OPTIONS),
 * the body limit (413 before reading it). Returns 0 or -1. */
static int http_server_check_route(struct http_request *req)
{
	const struct http_request_head *head = req->head;
	const struct http_route *route = req->route;
	uint32_t methods = http_route_methods(route);
	if ((methods & HTTP_METHOD_BIT(head->method_id)) == 0) {
		if (head->method_id == HTTP_METHOD_OPTIONS) {
			http_server_options(req, methods);
			return -1;
		}
		req->error = "method not allowed";
		struct http_response *resp = http_response_new(req, 405);
		http_server_allow(resp, methods);
		http_response_send_text(resp, "405 Method Not Allowed\n");
		return -1;
	}
	if ((head->framing == HTTP_FRAMING_LENGTH &&
	     head->content_length > route->body_max) ||
	    (head->framing == HTTP_FRAMING_CHUNKED && route->body_max == 0)) {
		/* RFC 9110 §15.5.14: refused before any of it is read */
		http_server_error(req, 413, "body too large", true);
		return -1;
	}
	return 0;
}

/* Credentials for a route that needs them. Returns 1 to run the handler
 * now, 0 when the server verifies them (or after an error reply). */
static int http_server_check_auth(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	if ((req->route->flags & HTTP_ROUTE_AUTH) == 0)
		return 1;
	if (!http_server_conn_is_secure(srv)) {
		http_server_error(req, 403, "credentials need TLS", false);
		return 0;
	}
	unsigned status;
	const char *error;
	int ret = http_auth_parse(&req->head->headers, srv->set.auth_cookie,
	                          req->pool, &req->cred, &status, &error);
	/* the copy in the head is not needed any more */
	for (unsigned i = 0; i < req->head->headers.count; i++) {
		const struct http_header *h = &req->head->headers.items[i];
		if (http_str_eq_ci(h->name, strlen(h->name), "Authorization"))
			explicit_bzero((char *)h->value, strlen(h->value));
	}
	if (ret < 0 && status == 400) {
		http_server_error(req, 400, error, false);
		return 0;
	}
	if (ret <= 0) {
		http_server_unauthorized(req,
		                         ret < 0 ? error : "no credentials");
		return 0;
	}
	if (req->cred.scheme == HTTP_AUTH_COOKIE &&
	    !http_method_is_safe(req->head->method_id) &&
	    !http_request_is_same_origin(req)) {
		/* CSRF: a state-changing request that carries the cookie must
		   come from our own pages (besides SameSite=Strict) */
		http_auth_wipe(&req->cred);
		http_server_error(req, 403, "cross-origin request", false);
		return 0;
	}
	char key[DIGEST_SHA256_HEX_LEN + 1];
	http_auth_key(&req->cred, key);
	/* only a password is cached per connection: a session or a token
	   can end (logout, revoke, expiry) and is checked at every request,
	   which costs one indexed look-up */
	if (req->cred.scheme == HTTP_AUTH_BASIC && srv->auth_user != NULL &&
	    strcmp(key, srv->auth_key) == 0) {
		http_auth_wipe(&req->cred);
		req->user = pool_strdup(req->pool, srv->auth_user);
		return 1;
	}
	memcpy(req->auth_key, key, sizeof(key));
	srv->input = HTTP_INPUT_WAIT;
	conn_set_input_paused(srv->conn, true);
	if (srv->cb.authenticate == NULL)
		http_request_auth_done(req, HTTP_AUTH_FAIL, NULL);
	else
		srv->cb.authenticate(srv->ctx, req, &req->cred);
	return 0;
}

void http_server_run_handler(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	srv->input = HTTP_INPUT_WAIT;
	conn_set_input_paused(srv->conn, true);
	req->route->handler(req, req->route->ctx);
}

/* A whole head arrived: check it and hand it on. */
static void http_server_dispatch(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	const struct http_request_head *head = req->head;
	http_server_deadline_clear(srv);
	srv->input = HTTP_INPUT_WAIT;
	conn_set_input_paused(srv->conn, true);
	if (srv->set.max_requests != 0 &&
	    srv->requests >= srv->set.max_requests)
		req->must_close = true;
	if (srv->refuse_reason != NULL) {
		req->error = srv->refuse_reason;
		req->must_close = true;
		struct http_response *resp = http_response_new(req, 503);
		http_response_add_header(resp, "Retry-After", "10");
		http_response_send_text(resp, "503 Service Unavailable: %s\n",
		                        srv->refuse_reason);
		return;
	}
	if (!http_server_rate_ok(srv)) {
		/* RFC 6585 §4 */
		req->error = "request rate";
		req->must_close = true;
		struct http_response *resp = http_response_new(req, 429);
		http_response_add_header(resp, "Retry-After", "%u",
		                         1 + 1 / srv->set.request_rate);
		http_response_send_text(resp, "429 Too Many Requests\n");
		return;
	}
	if (head->has_bad_expect)
		http_server_error(req, 417, "unknown expectation", false);
	else if (head->method_id == HTTP_METHOD_UNKNOWN ||
	         head->method_id == HTTP_METHOD_CONNECT)
		http_server_error(req, 501, "method not implemented", false);
	else if (head->form == HTTP_TARGET_ASTERISK)
		http_server_options(req, http_router_methods(srv->set.router));
	else if (http_server_route(req) == 0 &&
	         http_server_check_route(req) == 0 &&
	         http_server_check_auth(req) > 0)
		http_server_run_handler(req);
}

/* Reads request heads. Returns 1 to go on, 0 to stop. */
static int http_server_head_input(struct http_server_conn *srv)
{
	const unsigned char *data;
	size_t size;
	int ret = conn_peek(srv->conn, &data, &size);
	if (ret < 0) {
		/* a request cut short is not answered: nobody listens */
		http_server_close(srv,
		                  srv->req != NULL &&
		                          http_parser_has_started(srv->parser)
		                      ? "eof in request"
		                      : "eof");
		return 0;
	}
	if (ret == 0)
		return 0;
	if (srv->req == NULL) {
		if (srv->is_shutdown) {
			http_server_close(srv, "shutdown");
			return 0;
		}
		srv->req = http_request_new(srv);
		http_parser_reset(srv->parser, srv->req->pool);
	}
	bool had_started = http_parser_has_started(srv->parser);
	size_t consumed;
	struct http_request_head *head;
	unsigned status;
	const char *error;
	ret = http_parser_parse(srv->parser, data, size, &consumed, &head,
	                        &status, &error);
	if (ret < 0) {
		srv->requests++;
		http_server_error(srv->req, status, error, true);
		return 0;
	}
	conn_consume(srv->conn, consumed);
	if (!had_started && http_parser_has_started(srv->parser)) {
		srv->req->start_msecs = http_server_now_msecs();
		http_server_deadline_set(srv, srv->set.header_timeout);
	}
	if (ret == 0)
		return 1;
	srv->requests++;
	srv->req->head = head;
	http_server_dispatch(srv->req);
	return 0;
}

static void http_server_input(struct http_server_conn *srv)
{
	if (srv->req != NULL && srv->req->is_finished && !srv->is_closing)
		http_server_request_end(srv);
	while (!srv->is_closing && !conn_output_is_full(srv->conn)) {
		int ret;
		switch (srv->input) {
		case HTTP_INPUT_HEAD:
			ret = http_server_head_input(srv);
			break;
		case HTTP_INPUT_BODY:
			ret = http_request_body_input(srv->req);
			break;
		case HTTP_INPUT_WEBSOCKET:
			if (srv->req != NULL) {
				/* the 101 is out: the request is over */
				http_server_log_request(srv, srv->req);
				http_request_free(&srv->req);
			}
			http_ws_input(srv->ws);
			return;
		case HTTP_INPUT_DISCARD:
			ret = http_request_discard_input(srv->req);
			if (ret == 0 && srv->req != NULL &&
			    srv->req->is_body_read) {
				http_server_deadline_clear(srv);
				http_request_free(&srv->req);
				srv->input = HTTP_INPUT_HEAD;
				ret = 1;
			}
			break;
		default:
			return;
		}
		if (ret <= 0)
			break;
	}
}

static void http_server_input_cb(struct conn *conn, void *ctx)
{
	(void)conn;
	http_server_input(ctx);
}

static void http_server_timeout_cb(struct conn *conn, void *ctx)
{
	struct http_server_conn *srv = ctx;
	if (srv->ws != NULL) {
		http_ws_timeout(srv->ws);
		return;
	}
	if (conn_timeout_kind(conn) == CONN_TIMEOUT_DEADLINE) {
		http_server_deadline_passed(srv);
		return;
	}
	switch (srv->input) {
	case HTTP_INPUT_HEAD:
		if (srv->req == NULL || !http_parser_has_started(srv->parser)) {
			/* RFC 9112 §9.5: an idle connection just closes */
			http_server_close(srv, "idle timeout");
			return;
		}
		break;
	case HTTP_INPUT_WAIT:
		/* the client waits for us: not its silence */
		conn_set_timeout(conn, srv->set.idle_timeout);
		return;
	case HTTP_INPUT_DISCARD:
		/* answered already: only the unread rest is late */
		http_server_close(srv, "idle timeout");
		return;
	default:
		break;
	}
	if (srv->req != NULL)
		http_server_error(srv->req, 408, "idle timeout", true);
	else
		http_server_close(srv, "idle timeout");
}

static void http_server_drained_cb(struct conn *conn, void *ctx)
{
	struct http_server_conn *srv = ctx;
	(void)conn;
	if (srv->ws != NULL && srv->req == NULL) {
		http_ws_drained(srv->ws);
		return;
	}
	if (srv->req != NULL && srv->req->resp != NULL &&
	    srv->req->resp->is_sending)
		http_response_pump(srv->req->resp);
}

static void http_server_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx)
{
	struct http_server_conn *srv = ctx;
	const char *reason = srv->close_reason;
	if (status == CONN_STATUS_ERROR)
		reason = conn_error_str(conn);
	else if (reason != NULL)
		;
	else if (status == CONN_STATUS_EOF)
		reason = "eof";
	else if (status == CONN_STATUS_TIMEOUT)
		reason = "timeout";
	else
		reason = "closed";
	if (srv->req != NULL && srv->req->head != NULL &&
	    !srv->req->is_logged) {
		/* the client left before its answer was out */
		if (srv->req->error == NULL)
			srv->req->error = reason;
		http_server_log_request(srv, srv->req);
	}
	http_request_free(&srv->req);
	http_ws_free(&srv->ws);
	if (srv->cb.disconnect != NULL)
		srv->cb.disconnect(srv->ctx, reason);
	http_server_free(srv);
}
