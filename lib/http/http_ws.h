/* WebSocket connections (RFC 6455) on the server engine: a route's handler
 * checks the opening handshake (§4.2.1) and accepts it; the connection
 * then leaves HTTP and carries messages both ways until one side closes.
 * Frames are read and checked by http_ws_frame.h; pings are answered with
 * pongs (§5.5.2); the server pings an idle peer every ping_interval and
 * closes it after idle_timeout without a byte; a close frame is echoed
 * (§5.5.1) and the TCP connection closed after it, or 5 s after ours.
 * Backpressure: while the output is above the connection's limit no input
 * is read (so a client that sends requests without reading the answers
 * stops itself), and drained says when there is room again. */
#ifndef HTTP_HTTP_WS_H
#define HTTP_HTTP_WS_H

#include <stdbool.h>
#include <stddef.h>

struct http_request;
struct http_ws;

struct http_ws_settings {
	size_t max_message;     /* bytes of one message; 1009 past it */
	unsigned ping_interval; /* seconds of silence before a ping (0: 30) */
	unsigned idle_timeout;  /* seconds without a byte, then close (0:
	                           3 pings' time) */
};

struct http_ws_callbacks {
	/* A whole text or binary message (data lives until return). */
	void (*message)(struct http_ws *ws, bool is_text,
	                const unsigned char *data, size_t size, void *ctx);
	/* The output went below its limit: produce more. May be NULL. */
	void (*drained)(struct http_ws *ws, void *ctx);
	/* The connection is gone (code: the peer's close code, or 1006 when
	 * it went without one); ws is freed after this returns. */
	void (*closed)(struct http_ws *ws, unsigned code, void *ctx);
};

/* Checks the opening handshake of req (RFC 6455 §4.2.1): GET, HTTP/1.1,
 * Upgrade: websocket, Connection: upgrade, Sec-WebSocket-Version: 13 and a
 * Sec-WebSocket-Key of 16 bytes in base64. protocol (may be NULL) must be
 * one of the client's Sec-WebSocket-Protocol values. Returns 0, or -1 with
 * the status to answer (400, or 426 for another version, which the caller
 * answers with http_ws_refuse) and a static reason. */
int http_ws_check(struct http_request *req, const char *protocol,
                  unsigned *status_r, const char **error_r);
/* Answers a failed check: the status, with Sec-WebSocket-Version: 13 on a
 * 426 (§4.4). */
void http_ws_refuse(struct http_request *req, unsigned status,
                    const char *error);
/* After a successful check: answers 101 Switching Protocols (with
 * Sec-WebSocket-Accept and the protocol), ends the request (its destroy
 * callback runs) and turns the connection into a WebSocket. The
 * settings are copied. */
struct http_ws *http_ws_accept(struct http_request *req, const char *protocol,
                               const struct http_ws_settings *set,
                               const struct http_ws_callbacks *cb, void *ctx);
/* Sends one message in one frame. Ignored once closing. */
void http_ws_send(struct http_ws *ws, bool is_text, const void *data,
                  size_t size);
/* True while the output is over its limit: stop sending (drained will
 * follow). */
bool http_ws_output_is_full(struct http_ws *ws);
/* Starts the closing handshake with code (§7.4.1) and a short reason. */
void http_ws_close(struct http_ws *ws, unsigned code, const char *reason);
/* The verified user of the request that opened it (copied), or NULL. */
const char *http_ws_user(const struct http_ws *ws);

#endif
