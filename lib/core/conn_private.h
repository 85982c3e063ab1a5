/* Inside lib/core only: struct conn and the helpers that conn.c shares with
 * conn_compress.c (COMPRESS=DEFLATE). */
#ifndef CORE_CONN_PRIVATE_H
#define CORE_CONN_PRIVATE_H

#include "core/buf.h"
#include "core/conn.h"
#include "core/conn_deadline.h"
#include "core/net.h"

#include <event2/bufferevent.h>
#include <event2/event.h>

struct conn {
	struct event_base *base;
	struct bufferevent *bev;
	struct bufferevent *under; /* below the deflate filter, or NULL */
	struct event *deferred;
	struct event *deadline_ev; /* the earliest of dl */
	struct evbuffer_cb_entry *input_counter;
	struct conn_deadline dl;
	enum conn_timeout timeout_kind;
	unsigned handshake_secs;
	int fd;
	struct conn_callbacks cb;
	void *ctx;
	size_t input_max, output_max;
	unsigned timeout_secs;

	struct buf line;
	enum conn_error error;
	enum conn_status close_status;
	struct tls_server *starttls;
	struct tls_client *starttls_client; /* client STARTTLS pending */
	char *servername;

	bool is_tls;
	bool is_handshaking; /* TLS bufferevent made, handshake not done */
	bool is_discarding;  /* dropping the rest of a too-long line */
	bool has_eof;
	bool is_closing;
	bool is_paused;
	bool is_output_blocked;
	bool is_drain_pending; /* the stream under deflate drained: tell */
	bool is_peer_loopback;
	char peer[NET_ADDR_STR_MAX];
	char error_str[256];
};

/* Runs the deferred work (input, closing, the STARTTLS swap) from the
 * loop. */
void conn_defer(struct conn *conn);
/* Hooks conn->bev up: callbacks, input count, watermark, timeouts. */
void conn_bev_setup(struct conn *conn);
/* Starts (is_partial) or stops the clock of the line being read. */
void conn_line_clock(struct conn *conn, bool is_partial);
/* A server or client STARTTLS is waiting for the output to drain. */
bool conn_is_swapping(const struct conn *conn);

#endif
