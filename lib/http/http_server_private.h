/* Inside the HTTP server engine: the connection, request and response
 * state shared by http_server.c, http_request.c and http_response.c. */
#ifndef HTTP_HTTP_SERVER_PRIVATE_H
#define HTTP_HTTP_SERVER_PRIVATE_H

#include "core/buf.h"
#include "core/digest.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_server.h"

struct event_timer;
struct http_gzip;
struct http_ws;

/* What the input callback does with bytes. */
enum http_server_input {
	HTTP_INPUT_HEAD,    /* parsing the next request head */
	HTTP_INPUT_BODY,    /* reading the body the handler asked for */
	HTTP_INPUT_DISCARD, /* dropping an unread small body after a reply */
	HTTP_INPUT_WAIT,    /* the handler, authd or the response runs */
	HTTP_INPUT_WEBSOCKET, /* upgraded: http_ws.c reads and writes */
};

struct http_server_conn {
	struct http_server_settings set;
	struct http_server_callbacks cb;
	void *ctx;
	const struct log *log;
	struct event_loop *loop;
	struct conn *conn;
	struct http_parser *parser;
	struct event_timer *kick; /* runs the input from the loop */
	enum http_server_input input;
	struct http_request *req; /* the request in progress, or NULL */
	unsigned requests;
	double tokens; /* the request-rate bucket */
	uint64_t tokens_msecs;
	char auth_key[DIGEST_SHA256_HEX_LEN + 1]; /* "" when no cache */
	char *auth_user;
	bool is_closing;
	bool is_shutdown;
	const char *close_reason;
	const char *refuse_reason; /* answer 503 (http_server_conn_refuse) */
	struct http_ws *ws;        /* after an upgrade (http_ws_accept) */
};

struct http_request {
	struct http_server_conn *srv;
	struct pool *pool;
	struct http_request_head *head; /* NULL until parsed */
	const char *path;
	const struct http_route *route;
	const char *user;
	uint64_t start_msecs;
	http_request_cb *destroy;
	void *destroy_ctx;
	struct http_credentials cred;
	char auth_key[DIGEST_SHA256_HEX_LEN + 1]; /* of cred, being checked */
	/* the body */
	struct http_body *body;
	http_request_cb *body_done;
	void *body_ctx;
	struct buf body_mem;
	struct http_request_body result;
	bool has_body_started;
	bool is_body_read;
	bool has_sent_continue;
	/* the response */
	struct http_response *resp;
	unsigned status;
	uint64_t bytes;
	const char *error; /* the engine's reason for an error status */
	bool must_close;   /* the framing is lost, or the body is unread */
	bool is_finished;  /* the response is out: end it from the loop */
	bool is_logged;    /* its access line is written */
};

enum http_source {
	HTTP_SOURCE_NONE,
	HTTP_SOURCE_DATA,
	HTTP_SOURCE_FILE,
	HTTP_SOURCE_STREAM,
};

/* A piece of a sized body: literal text (a multipart header) or a range
 * of the source. */
struct http_segment {
	const char *text; /* NULL for a range of the source */
	uint64_t first, len;
};

struct http_response {
	struct http_request *req;
	unsigned status;
	struct buf headers; /* "Name: value\r\n" lines from the handler */
	const char *type;
	bool has_csp;
	bool has_content_encoding;
	bool is_gzip_disabled;
	bool has_validators;
	struct http_validators validators;
	/* the body */
	enum http_source source;
	struct buf data;
	int fd;
	uint64_t size;
	http_response_produce_cb *produce;
	void *produce_ctx;
	uint64_t produced; /* bytes the producer wrote */
	/* writing it */
	struct http_segment *segments;
	unsigned segment_count, segment;
	uint64_t segment_pos;
	struct http_gzip *gzip;
	struct buf piece;
	bool is_sending;
	bool is_chunked;
	bool is_waiting; /* the producer said WAIT */
	bool is_done;
};

/* http_server.c */
uint64_t http_server_now_msecs(void);
void http_server_kick(struct http_server_conn *srv);
void http_server_deadline_set(struct http_server_conn *srv, unsigned secs);
void http_server_deadline_clear(struct http_server_conn *srv);
/* The response is written: the request ends from the loop (log, then the
 * next request), never inside the handler's send call. */
void http_server_request_finished(struct http_server_conn *srv);
/* Closes the connection after what is written. */
void http_server_close(struct http_server_conn *srv, const char *reason);
/* Runs the route's handler (after the credentials checks). */
void http_server_run_handler(struct http_request *req);
/* Answers an error the engine found: a short text body; with
 * must_close the connection closes after it. */
void http_server_error(struct http_request *req, unsigned status,
                       const char *reason, bool must_close);
/* The 401 challenge. */
void http_server_unauthorized(struct http_request *req, const char *reason);

/* http_request.c */
struct http_request *http_request_new(struct http_server_conn *srv);
/* Runs the destroy callback, frees the body and the pool. */
void http_request_free(struct http_request **req);
/* The input states HTTP_INPUT_BODY and HTTP_INPUT_DISCARD: return 1 to
 * go on reading, 0 to stop (need more input, or done), -1 when the
 * request has ended with an error reply or the peer closed. */
int http_request_body_input(struct http_request *req);
int http_request_discard_input(struct http_request *req);
/* True if what is left of an unread body is small and announced, so it
 * can be read and dropped to keep the connection. */
bool http_request_can_discard(const struct http_request *req);

/* http_ws.c: the connection's events once it is a WebSocket */
void http_ws_input(struct http_ws *ws);
void http_ws_drained(struct http_ws *ws);
void http_ws_timeout(struct http_ws *ws);
void http_ws_shutdown(struct http_ws *ws);
/* Runs the closed callback and frees; sets *ws to NULL; accepts NULL. */
void http_ws_free(struct http_ws **ws);

/* http_response.c */
/* Writes more of the response while the output has room. */
void http_response_pump(struct http_response *resp);
void http_response_free(struct http_response **resp);

#endif
