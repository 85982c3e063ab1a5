/* A test fixture for the server engine (built only into tests): an event
 * loop, a router the test fills, and one connection over a socketpair
 * whose far end the test writes raw bytes into and reads responses from,
 * parsed here (status, head, body after Content-Length or chunked). The
 * loop runs until the wanted number of responses is complete, the server
 * closes, or a text appears; a 20 s guard turns a hang into a failure. */
#ifndef HTTP_HTTP_TESTING_H
#define HTTP_HTTP_TESTING_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "http/http_server.h"

#define HTTP_TESTING_MAX 16

struct event_io;
struct event_timer;

struct http_testing_response {
	unsigned status;
	struct buf head; /* the field lines, CRLFs included */
	struct buf body; /* de-chunked */
};

struct http_testing {
	struct event_loop *loop;
	struct http_router *router;
	struct http_server_settings set;
	struct http_server_callbacks cb; /* their ctx is this struct */
	const struct log *log;           /* the connection's log context */
	struct http_server_conn *srv;
	int fd;
	struct event_io *io;
	struct event_timer *writer, *guard;
	struct buf out; /* still to send */
	size_t out_pos;
	unsigned trickle_msecs; /* send one byte every this often; 0: all */
	size_t trickle_from;    /* ... from this offset of out on */
	bool shut_after_send;   /* half-close once out is written */
	struct buf got;
	unsigned want;
	unsigned head_mask; /* bit i: response i answers a HEAD */
	const char *want_text;
	bool is_eof;
	bool is_disconnected;
	bool has_timed_out;
	bool is_closing;
	char reason[128];
	struct http_testing_response responses[HTTP_TESTING_MAX];
	unsigned count;
};

/* Makes the loop and an empty router; settings are zero (defaults) but
 * allow_plaintext_auth. */
void http_testing_init(struct http_testing *t);
/* Opens the connection with t->set and t->cb. */
void http_testing_connect(struct http_testing *t);
/* Queues bytes to send to the server. */
void http_testing_send(struct http_testing *t, const void *data, size_t size);
void http_testing_send_str(struct http_testing *t, const char *str);
/* Runs until want complete responses (or EOF, or want_text). */
void http_testing_run(struct http_testing *t, unsigned want);
/* Runs the loop for msecs whatever arrives (backpressure tests). */
void http_testing_run_for(struct http_testing *t, unsigned msecs);
/* Stops or resumes reading responses (they pile up in the socket). */
void http_testing_set_reading(struct http_testing *t, bool is_reading);
/* The value of a field in response i ("" if absent). */
const char *http_testing_header(struct http_testing *t, unsigned i,
                                const char *name);
void http_testing_deinit(struct http_testing *t);

#endif
