/* WebSocket connections on the server engine (http_ws.h): the opening
 * handshake (RFC 6455 §4.2), then messages over the same struct conn,
 * whose callbacks http_server.c hands here once the request is upgraded
 * (HTTP_INPUT_WEBSOCKET). */
#include "http/http_ws.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/digest.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_server_private.h"
#include "http/http_syntax.h"
#include "http/http_ws_frame.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* §1.3 */
#define WS_PING_DEFAULT 30
#define WS_CLOSE_WAIT 5 /* seconds for the peer's close after ours */
#define WS_ABNORMAL 1006

struct http_ws {
	struct http_server_conn *srv;
	struct conn *conn;
	struct http_ws_settings set;
	struct http_ws_callbacks cb;
	void *ctx;
	char *user;
	struct http_ws_reader reader;
	struct event_timer *ping;
	unsigned peer_code; /* the peer's close code, 0: none yet */
	bool is_closing;    /* our close frame is out */
};

/* True if the comma list field (any of its lines) has token, ignoring
 * case. */
static bool ws_list_has(struct http_request *req, const char *name,
                        const char *token)
{
	const char *v = http_request_header_join(req, name);
	size_t tlen = strlen(token);
	while (v != NULL && *v != '\0') {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		size_t len = strcspn(v, ",");
		size_t end = len;
		while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end == tlen && strncasecmp(v, token, tlen) == 0)
			return true;
		v += len;
	}
	return false;
}

static int ws_bad(unsigned status, const char *error, unsigned *status_r,
                  const char **error_r)
{
	*status_r = status;
	*error_r = error;
	return -1;
}

int http_ws_check(struct http_request *req, const char *protocol,
                  unsigned *status_r, const char **error_r)
{
	const struct http_request_head *head = http_request_head(req);
	const char *key = http_request_header(req, "Sec-WebSocket-Key");
	const char *version = http_request_header(req, "Sec-WebSocket-Version");
	struct buf raw;
	if (head->method_id != HTTP_METHOD_GET || head->version_minor < 1 ||
	    http_request_has_body(req))
		return ws_bad(400, "not a GET of HTTP/1.1", status_r, error_r);
	if (!ws_list_has(req, "Upgrade", "websocket") ||
	    !ws_list_has(req, "Connection", "upgrade"))
		return ws_bad(400, "not a WebSocket upgrade", status_r,
		              error_r);
	if (version == NULL || strcmp(version, "13") != 0)
		return ws_bad(426, "Sec-WebSocket-Version must be 13",
		              status_r, error_r);
	buf_init(&raw);
	bool key_ok = key != NULL &&
	              base64_decode(key, strlen(key), &raw) == 0 &&
	              raw.len == 16;
	buf_deinit(&raw);
	if (!key_ok)
		return ws_bad(400, "bad Sec-WebSocket-Key", status_r, error_r);
	if (protocol != NULL &&
	    !ws_list_has(req, "Sec-WebSocket-Protocol", protocol))
		return ws_bad(400, "subprotocol not offered", status_r,
		              error_r);
	return 0;
}

void http_ws_refuse(struct http_request *req, unsigned status,
                    const char *error)
{
	struct http_response *resp = http_response_new(req, status);
	if (status == 426) {
		http_response_add_header(resp, "Sec-WebSocket-Version", "13");
		http_response_add_header(resp, "Upgrade", "websocket");
	}
	http_response_send_text(resp, "%u %s: %s\n", status,
	                        http_response_reason(status), error);
}

static void ws_write_frame(struct http_ws *ws, enum http_ws_opcode op,
                           const void *data, size_t size)
{
	unsigned char h[HTTP_WS_HEADER_MAX];
	size_t hl = http_ws_frame_header(op, size, h);
	conn_write(ws->conn, h, hl);
	if (size > 0)
		conn_write(ws->conn, data, size);
}

static void ws_ping_cb(void *ctx)
{
	struct http_ws *ws = ctx;
	if (ws->is_closing)
		return;
	ws_write_frame(ws, HTTP_WS_PING, "", 0);
	event_timer_set(ws->ping, ws->set.ping_interval * 1000);
}

struct http_ws *http_ws_accept(struct http_request *req, const char *protocol,
                               const struct http_ws_settings *set,
                               const struct http_ws_callbacks *cb, void *ctx)
{
	struct http_server_conn *srv = req->srv;
	struct http_ws *ws = xcalloc(1, sizeof(*ws));
	ws->srv = srv;
	ws->conn = srv->conn;
	ws->set = *set;
	if (ws->set.ping_interval == 0)
		ws->set.ping_interval = WS_PING_DEFAULT;
	if (ws->set.idle_timeout == 0)
		ws->set.idle_timeout = 3 * ws->set.ping_interval + 5;
	ws->cb = *cb;
	ws->ctx = ctx;
	if (http_request_user(req) != NULL)
		ws->user = xstrdup(http_request_user(req));
	http_ws_reader_init(&ws->reader, ws->set.max_message);
	/* §4.2.2: the accept value is base64(SHA-1(key GUID)) */
	struct buf b, accept;
	buf_init(&b);
	buf_init(&accept);
	buf_printf(&b, "%s%s", http_request_header(req, "Sec-WebSocket-Key"),
	           WS_GUID);
	unsigned char sha[DIGEST_SHA1_SIZE];
	digest_sha1(b.data, b.len, sha);
	base64_encode(sha, sizeof(sha), &accept);
	buf_truncate(&b, 0);
	buf_printf(&b,
	           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
	           accept.data);
	if (protocol != NULL)
		buf_printf(&b, "Sec-WebSocket-Protocol: %s\r\n", protocol);
	buf_append_str(&b, "\r\n");
	conn_write(ws->conn, b.data, b.len);
	buf_deinit(&b);
	buf_deinit(&accept);
	req->status = 101;
	srv->ws = ws;
	srv->input = HTTP_INPUT_WEBSOCKET;
	http_server_deadline_clear(srv);
	conn_set_timeout(ws->conn, ws->set.idle_timeout);
	ws->ping = event_timer_new(srv->loop, ws_ping_cb, ws);
	event_timer_set(ws->ping, ws->set.ping_interval * 1000);
	/* the request ends from the loop, then input is read */
	conn_set_input_paused(ws->conn, false);
	http_server_kick(srv);
	return ws;
}

void http_ws_send(struct http_ws *ws, bool is_text, const void *data,
                  size_t size)
{
	if (ws->is_closing)
		return;
	ws_write_frame(ws, is_text ? HTTP_WS_TEXT : HTTP_WS_BINARY, data, size);
}

bool http_ws_output_is_full(struct http_ws *ws)
{
	return conn_output_is_full(ws->conn);
}

const char *http_ws_user(const struct http_ws *ws)
{
	return ws->user;
}

void http_ws_close(struct http_ws *ws, unsigned code, const char *reason)
{
	if (ws->is_closing)
		return;
	ws->is_closing = true;
	unsigned char payload[HTTP_WS_CONTROL_MAX];
	size_t rlen = reason != NULL ? strlen(reason) : 0;
	if (rlen > sizeof(payload) - 2)
		rlen = sizeof(payload) - 2;
	payload[0] = (unsigned char)(code >> 8);
	payload[1] = (unsigned char)code;
	if (rlen > 0)
		memcpy(payload + 2, reason, rlen);
	ws_write_frame(ws, HTTP_WS_CLOSE, payload, 2 + rlen);
	event_timer_cancel(ws->ping);
	if (ws->peer_code != 0) {
		/* the peer closed first: our echo ends it (§5.5.1) */
		http_server_close(ws->srv, "websocket closed");
		return;
	}
	/* wait a little for the peer's close frame */
	conn_set_deadline(ws->conn, WS_CLOSE_WAIT);
}

/* One event of the reader. Returns 1 to go on reading, 0 to stop. */
static int ws_event(struct http_ws *ws, const struct http_ws_event *ev)
{
	switch (ev->type) {
	case HTTP_WS_EVENT_MESSAGE:
		if (!ws->is_closing && ws->cb.message != NULL)
			ws->cb.message(ws, ev->is_text, ev->data, ev->size,
			               ws->ctx);
		return 1;
	case HTTP_WS_EVENT_PING:
		if (!ws->is_closing)
			ws_write_frame(ws, HTTP_WS_PONG, ev->data, ev->size);
		return 1;
	case HTTP_WS_EVENT_PONG:
		return 1;
	case HTTP_WS_EVENT_CLOSE:
		ws->peer_code = ev->code;
		if (ws->is_closing)
			http_server_close(ws->srv, "websocket closed");
		else
			http_ws_close(ws, ev->code == HTTP_WS_CLOSE_NO_STATUS
			                      ? HTTP_WS_CLOSE_NORMAL
			                      : ev->code,
			              NULL);
		return 0;
	}
	return 1;
}

void http_ws_input(struct http_ws *ws)
{
	while (!ws->srv->is_closing && !conn_output_is_full(ws->conn)) {
		const unsigned char *data;
		size_t size, used;
		int ret = conn_peek(ws->conn, &data, &size);
		if (ret < 0) {
			http_server_close(ws->srv, "eof");
			return;
		}
		if (ret == 0)
			return;
		struct http_ws_event ev;
		unsigned code;
		const char *error;
		ret = http_ws_reader_read(&ws->reader, data, size, &used, &ev,
		                          &code, &error);
		if (ret < 0) {
			conn_consume(ws->conn, used);
			log_info(ws->srv->log, "websocket error=\"%s\" code=%u",
			         error, code);
			ws->peer_code = WS_ABNORMAL;
			http_ws_close(ws, code, error);
			return;
		}
		/* the event's data lives in the reader, not in conn */
		conn_consume(ws->conn, used);
		if (ret == 1 && ws_event(ws, &ev) == 0)
			return;
	}
}

void http_ws_drained(struct http_ws *ws)
{
	if (!ws->is_closing && ws->cb.drained != NULL)
		ws->cb.drained(ws, ws->ctx);
}

void http_ws_timeout(struct http_ws *ws)
{
	if (conn_timeout_kind(ws->conn) == CONN_TIMEOUT_DEADLINE ||
	    ws->is_closing) {
		http_server_close(ws->srv, "websocket close timeout");
		return;
	}
	ws->peer_code = WS_ABNORMAL;
	http_ws_close(ws, HTTP_WS_CLOSE_GOING_AWAY, "idle");
	http_server_close(ws->srv, "idle timeout");
}

void http_ws_shutdown(struct http_ws *ws)
{
	http_ws_close(ws, HTTP_WS_CLOSE_GOING_AWAY, "server shutting down");
}

void http_ws_free(struct http_ws **wsp)
{
	struct http_ws *ws = *wsp;
	if (ws == NULL)
		return;
	*wsp = NULL;
	if (ws->cb.closed != NULL)
		ws->cb.closed(ws, ws->peer_code != 0 ? ws->peer_code
		                                     : WS_ABNORMAL,
		              ws->ctx);
	event_timer_free(&ws->ping);
	http_ws_reader_deinit(&ws->reader);
	free(ws->user);
	free(ws);
}
