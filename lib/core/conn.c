/* Connections over libevent bufferevents: a socket bufferevent for plain TCP,
 * an OpenSSL one (made in tls.c) for TLS, and on top of either a filter
 * bufferevent doing raw deflate (RFC 1951, conn_compress.c) once
 * COMPRESS=DEFLATE (RFC 4978) starts. Work that must not run inside a
 * bufferevent callback (closing, the STARTTLS swap, resuming input) goes
 * through one deferred event, so the owner never sees re-entrant calls. A
 * TLS handshake that ends early (EOF, reset, error) or passes its deadline
 * closes the connection at once: no output can reach the peer before it, so
 * none is waited for. One timer carries the deadlines of conn_deadline.h;
 * the idle timeout is the bufferevent's own. */
#include "core/conn.h"
#include "core/buf.h"
#include "core/conn_deadline.h"
#include "core/conn_private.h"
#include "core/event_loop_private.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_INPUT_MAX_DEFAULT (64 * 1024)
#define CONN_OUTPUT_MAX_DEFAULT (256 * 1024)
#define CONN_HANDSHAKE_SECS_DEFAULT 60

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

void conn_defer(struct conn *conn)
{
	event_active(conn->deferred, EV_TIMEOUT, 0);
}

/* Counts what arrives (after TLS and inflation) for a running transfer's
 * minimum rate. */
static void conn_input_count_cb(struct evbuffer *buf,
                                const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *conn = arg;
	(void)buf;
	if (info->n_added > 0)
		conn_deadline_input(&conn->dl, info->n_added);
}

void conn_bev_setup(struct conn *conn)
{
	bufferevent_setcb(conn->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	                  conn);
	conn->input_counter = evbuffer_add_cb(bufferevent_get_input(conn->bev),
	                                      conn_input_count_cb, conn);
	bufferevent_setwatermark(conn->bev, EV_READ, 0, conn->input_max);
	conn_set_timeout(conn, conn->timeout_secs);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
}

/* (Re)arms the deadline timer for the earliest running deadline. A timer
 * left for a deadline that has stopped fires and finds nothing due. */
static void conn_deadline_arm(struct conn *conn)
{
	enum conn_timeout kind;
	uint64_t at = conn_deadline_next(&conn->dl, &kind);
	if (at == 0) {
		evtimer_del(conn->deadline_ev);
		return;
	}
	uint64_t now = conn_deadline_now();
	uint64_t ms = at > now ? at - now : 0;
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(conn->deadline_ev, &tv);
}

/* Closing: what the owner reads no longer matters, only a handshake that
 * must finish before the last reply can go out. */
static void conn_deadline_closing(struct conn *conn)
{
	conn_deadline_session_set(&conn->dl, 0, 0);
	conn_deadline_line_end(&conn->dl);
	conn_deadline_transfer_end(&conn->dl);
	conn_deadline_arm(conn);
}

/* The line clock runs while an incomplete line is buffered (or being
 * discarded): from its first byte, whatever trickles in after it. */
void conn_line_clock(struct conn *conn, bool is_partial)
{
	bool is_running = conn_deadline_line_is_running(&conn->dl);
	if (is_partial && !is_running) {
		conn_deadline_line_begin(&conn->dl, conn_deadline_now());
		if (conn->dl.line_ms != 0)
			conn_deadline_arm(conn);
	} else if (!is_partial && is_running) {
		conn_deadline_line_end(&conn->dl);
	}
}

static void conn_finish(struct conn *conn)
{
	/* The owner frees the conn here: nothing may touch it afterwards. */
	conn->cb.closed(conn, conn->close_status, conn->ctx);
}

/* Ends the connection from the loop without waiting for the output, which
 * can no longer reach the peer (an error, or a TLS handshake that did not
 * finish). */
static void conn_abort(struct conn *conn, enum conn_status status)
{
	conn->is_closing = true;
	conn->close_status = status;
	conn_deadline_init(&conn->dl);
	evtimer_del(conn->deadline_ev);
	if (conn->bev != NULL) {
		bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
		struct evbuffer *out = bufferevent_get_output(conn->bev);
		evbuffer_drain(out, evbuffer_get_length(out));
	}
	if (conn->under != NULL) {
		bufferevent_disable(conn->under, EV_READ | EV_WRITE);
		struct evbuffer *out = bufferevent_get_output(conn->under);
		evbuffer_drain(out, evbuffer_get_length(out));
	}
	conn_defer(conn);
}

/* A TLS handshake that ended early or took too long: the peer will never
 * read a reply, so the connection goes at once (one "disconnect" line for
 * the owner to log, its slot freed). */
static void conn_handshake_fail(struct conn *conn, const char *why)
{
	snprintf(conn->error_str, sizeof(conn->error_str), "tls handshake: %s",
	         why);
	conn->is_handshaking = false;
	conn_abort(conn, CONN_STATUS_ERROR);
}

/* A TLS bufferevent was just made on fd: the handshake runs from now. */
static void conn_handshake_begin(struct conn *conn, bool is_server)
{
	conn->is_tls = true;
	conn->is_handshaking = true;
	/* The client side (relay) bounds it with its own timeouts. */
	if (is_server) {
		conn_deadline_handshake_begin(&conn->dl, conn_deadline_now(),
		                              conn->handshake_secs);
		conn_deadline_arm(conn);
	}
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;
	(void)fd;
	(void)what;
	enum conn_timeout kind =
	    conn_deadline_expire(&conn->dl, conn_deadline_now());
	if (kind == CONN_TIMEOUT_HANDSHAKE) {
		conn->timeout_kind = kind;
		conn_handshake_fail(conn, "timed out");
		return;
	}
	if (kind != CONN_TIMEOUT_NONE && !conn->is_closing) {
		conn->timeout_kind = kind;
		if (conn->cb.timeout != NULL)
			conn->cb.timeout(conn, conn->ctx);
		else
			conn_abort(conn, CONN_STATUS_TIMEOUT);
	}
	conn_deadline_arm(conn);
}

static bool conn_has_input(struct conn *conn)
{
	return evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0;
}

/* Output not yet written: the filter's and the stream's below it. */
static size_t conn_output_len(struct conn *conn)
{
	size_t len = evbuffer_get_length(bufferevent_get_output(conn->bev));
	if (conn->under != NULL)
		len += evbuffer_get_length(bufferevent_get_output(conn->under));
	return len;
}

static bool conn_output_empty(struct conn *conn)
{
	return conn_output_len(conn) == 0;
}

/* The TLS bufferevent, under the deflate filter if there is one. */
static struct bufferevent *conn_tls_bev(const struct conn *conn)
{
	return conn->under != NULL ? conn->under : conn->bev;
}

/* A server or client STARTTLS is waiting for the output to drain. */
bool conn_is_swapping(const struct conn *conn)
{
	return conn->starttls != NULL || conn->starttls_client != NULL;
}

static void conn_starttls_swap(struct conn *conn)
{
	struct tls_server *tls = conn->starttls;
	struct tls_client *client = conn->starttls_client;
	conn->starttls = NULL;
	conn->starttls_client = NULL;
	/* The plain bufferevent does not own fd; anything it read since the
	 * STARTTLS command is dropped with it (CVE-2011-0411). */
	bufferevent_free(conn->bev);
	if (client != NULL)
		conn->bev = tls_client_bufferevent_new(
		    conn->base, conn->fd, client, conn->servername);
	else
		conn->bev = tls_bufferevent_new(conn->base, conn->fd, tls);
	if (conn->bev == NULL) {
		conn->bev = NULL;
		snprintf(conn->error_str, sizeof(conn->error_str),
		         "cannot start TLS");
		conn->close_status = CONN_STATUS_ERROR;
		conn->is_closing = true;
		return;
	}
	conn->is_discarding = false;
	conn_handshake_begin(conn, client == NULL);
	conn_bev_setup(conn);
}

static void conn_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;
	(void)fd;
	(void)what;
	if (conn_is_swapping(conn) && conn_output_empty(conn))
		conn_starttls_swap(conn);
	if (conn->bev == NULL) {
		conn_finish(conn);
		return;
	}
	if (!conn->is_closing && !conn->is_paused && !conn->is_output_blocked &&
	    !conn_is_swapping(conn) && (conn_has_input(conn) || conn->has_eof))
		conn->cb.input(conn, conn->ctx);
	if (conn->is_drain_pending) {
		/* Only now has the compressed output reached the socket
		 * (conn_under_output_cb): the owner may produce more. */
		conn->is_drain_pending = false;
		if (!conn->is_closing && !conn_is_swapping(conn) &&
		    conn_output_empty(conn) && conn->cb.drained != NULL)
			conn->cb.drained(conn, conn->ctx);
	}
	if (conn->has_eof && !conn->is_paused && !conn->is_closing) {
		conn->is_closing = true;
		conn->close_status = CONN_STATUS_EOF;
		bufferevent_disable(conn->bev, EV_READ);
		conn_deadline_closing(conn);
	}
	if (conn->is_closing && conn_output_empty(conn))
		conn_finish(conn);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;
	(void)bev;
	if (conn->is_closing || conn->is_paused || conn->is_output_blocked ||
	    conn_is_swapping(conn))
		return;
	conn->cb.input(conn, conn->ctx);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *conn = arg;
	(void)bev;
	/* Called when the output has drained completely. Under deflate that
	 * only means the filter moved it into the stream below, which may
	 * still hold it all: conn_under_output_cb tells once that drains,
	 * or else a producer refilling here would never pause. */
	if (!conn_output_empty(conn))
		return;
	if (conn->is_output_blocked) {
		conn->is_output_blocked = false;
		conn_defer(conn);
	}
	if (conn->is_closing || conn_is_swapping(conn))
		conn_defer(conn);
	else if (conn->cb.drained != NULL)
		conn->cb.drained(conn, conn->ctx);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *conn = arg;
	if ((what & BEV_EVENT_CONNECTED) != 0) {
		/* TLS handshake done, or a client's TCP connect */
		if (conn->is_handshaking) {
			conn->is_handshaking = false;
			conn_deadline_handshake_done(&conn->dl);
			conn_deadline_arm(conn);
		}
		if (conn->cb.connected != NULL && !conn->is_closing)
			conn->cb.connected(conn, conn->ctx);
		return;
	}
	if (conn->is_handshaking) {
		/* Nothing written (a greeting, a refusal) can reach the peer
		 * before the handshake: do not wait for it to drain. */
		char detail[200];
		if ((what & BEV_EVENT_TIMEOUT) != 0) {
			conn->timeout_kind = CONN_TIMEOUT_IDLE;
			snprintf(detail, sizeof(detail), "timed out");
		} else if ((what & BEV_EVENT_EOF) != 0) {
			snprintf(detail, sizeof(detail), "closed by peer");
		} else {
			tls_bufferevent_error(conn_tls_bev(conn), detail,
			                      sizeof(detail));
		}
		conn_handshake_fail(conn, detail);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) != 0) {
		conn->timeout_kind = CONN_TIMEOUT_IDLE;
		if ((what & BEV_EVENT_READING) != 0 &&
		    conn->cb.timeout != NULL && !conn->is_closing) {
			conn->cb.timeout(conn, conn->ctx);
			return;
		}
		conn->close_status = CONN_STATUS_TIMEOUT;
	} else if ((what & BEV_EVENT_EOF) != 0) {
		conn->has_eof = true;
		conn_defer(conn);
		return;
	} else {
		int err = EVUTIL_SOCKET_ERROR();
		if (conn->is_tls)
			tls_bufferevent_error(conn_tls_bev(conn),
			                      conn->error_str,
			                      sizeof(conn->error_str));
		else
			snprintf(conn->error_str, sizeof(conn->error_str), "%s",
			         err != 0 ? strerror(err) : "error");
		conn->close_status = CONN_STATUS_ERROR;
	}
	/* Nothing more can be written: finish from the loop. */
	conn_abort(conn, conn->close_status);
}

struct conn *conn_new(struct event_loop *loop, int fd, struct tls_server *tls,
                      const struct conn_settings *settings,
                      const struct conn_callbacks *callbacks, void *ctx)
{
	struct conn *conn = xcalloc(1, sizeof(*conn));
	conn->base = event_loop_base(loop);
	conn->fd = fd;
	conn->cb = *callbacks;
	conn->ctx = ctx;
	conn->input_max = settings != NULL && settings->input_max != 0
	                      ? settings->input_max
	                      : CONN_INPUT_MAX_DEFAULT;
	conn->output_max = settings != NULL && settings->output_max != 0
	                       ? settings->output_max
	                       : CONN_OUTPUT_MAX_DEFAULT;
	conn->handshake_secs =
	    settings != NULL && settings->handshake_timeout != 0
	        ? settings->handshake_timeout
	        : CONN_HANDSHAKE_SECS_DEFAULT;
	conn_deadline_init(&conn->dl);
	buf_init(&conn->line);
	net_set_nodelay(fd);

	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		net_addr_str((struct sockaddr *)&ss, conn->peer);
		conn->is_peer_loopback =
		    net_addr_is_loopback((struct sockaddr *)&ss);
	} else {
		memcpy(conn->peer, "unknown", sizeof("unknown"));
	}
	conn->deferred = event_new(conn->base, -1, 0, conn_deferred_cb, conn);
	conn->deadline_ev = evtimer_new(conn->base, conn_deadline_cb, conn);
	ASSERT(conn->deferred != NULL && conn->deadline_ev != NULL);
	if (tls != NULL) {
		conn->bev = tls_bufferevent_new(conn->base, fd, tls);
		conn->is_tls = true;
		if (conn->bev != NULL)
			conn_handshake_begin(conn, true);
	} else {
		conn->bev = bufferevent_socket_new(conn->base, fd, 0);
	}
	if (conn->bev == NULL) {
		/* Reported through closed, from the loop. */
		snprintf(conn->error_str, sizeof(conn->error_str),
		         "cannot set up the connection");
		conn->close_status = CONN_STATUS_ERROR;
		conn->is_closing = true;
		conn_defer(conn);
		return conn;
	}
	conn_bev_setup(conn);
	return conn;
}

void conn_free(struct conn **connp)
{
	struct conn *conn = *connp;
	if (conn == NULL)
		return;
	*connp = NULL;
	if (conn->bev != NULL)
		bufferevent_free(conn->bev);
	/* A TLS bufferevent owns fd; a plain one does not. */
	if (!conn->is_tls || conn->bev == NULL)
		close(conn->fd);
	event_free(conn->deferred);
	event_free(conn->deadline_ev);
	buf_deinit(&conn->line);
	free(conn->servername);
	free(conn);
}

static int conn_discard_line(struct conn *conn, struct evbuffer *input)
{
	struct evbuffer_ptr p = evbuffer_search(input, "\n", 1, NULL);
	if (p.pos < 0) {
		evbuffer_drain(input, evbuffer_get_length(input));
		return 0;
	}
	evbuffer_drain(input, (size_t)p.pos + 1);
	conn->is_discarding = false;
	return 1;
}

int conn_read_line(struct conn *conn, size_t max, const char **line_r,
                   size_t *len_r, bool *has_bare_lf_r)
{
	if (conn->bev == NULL || conn_is_swapping(conn))
		return 0;
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	conn->error = CONN_ERROR_NONE;
	if (conn->is_discarding && conn_discard_line(conn, input) == 0)
		goto need_more;
	size_t avail = evbuffer_get_length(input);
	struct evbuffer_ptr p = evbuffer_search(input, "\n", 1, NULL);
	if (p.pos < 0) {
		if (avail < max)
			goto need_more;
		evbuffer_drain(input, avail);
		conn->is_discarding = true;
		conn->error = CONN_ERROR_TOO_LONG;
		conn_line_clock(conn, true); /* the line goes on */
		return -1;
	}
	size_t n = (size_t)p.pos + 1;
	conn_line_clock(conn, false);
	if (n > max) {
		evbuffer_drain(input, n);
		conn->error = CONN_ERROR_TOO_LONG;
		return -1;
	}
	buf_truncate(&conn->line, 0);
	buf_reserve(&conn->line, n);
	evbuffer_remove(input, conn->line.data, n);
	size_t len = n - 1;
	bool has_cr = len > 0 && conn->line.data[len - 1] == '\r';
	if (has_cr)
		len--;
	conn->line.len = len;
	conn->line.data[len] = '\0';
	*line_r = conn->line.data;
	*len_r = len;
	if (has_bare_lf_r != NULL)
		*has_bare_lf_r = !has_cr;
	return 1;
need_more:
	conn_line_clock(conn,
	                conn->is_discarding || evbuffer_get_length(input) > 0);
	if (conn->has_eof) {
		conn->error = CONN_ERROR_EOF;
		return -1;
	}
	return 0;
}

enum conn_error conn_last_error(const struct conn *conn)
{
	return conn->error;
}

int conn_peek(struct conn *conn, const unsigned char **data_r, size_t *size_r)
{
	if (conn->bev == NULL || conn_is_swapping(conn))
		return 0;
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	size_t avail = evbuffer_get_length(input);
	if (avail == 0)
		return conn->has_eof ? -1 : 0;
	/* The first chunk is enough: callers loop until 0. */
	struct evbuffer_iovec vec;
	if (evbuffer_peek(input, -1, NULL, &vec, 1) < 1)
		return 0;
	*data_r = vec.iov_base;
	*size_r = vec.iov_len;
	return 1;
}

void conn_consume(struct conn *conn, size_t n)
{
	evbuffer_drain(bufferevent_get_input(conn->bev), n);
}

void conn_write(struct conn *conn, const void *data, size_t size)
{
	if (conn->bev == NULL || size == 0)
		return;
	bufferevent_write(conn->bev, data, size);
}

void conn_write_str(struct conn *conn, const char *str)
{
	conn_write(conn, str, strlen(str));
}

bool conn_output_is_full(struct conn *conn)
{
	if (conn->bev == NULL)
		return false;
	if (conn_output_len(conn) > conn->output_max)
		conn->is_output_blocked = true;
	return conn->is_output_blocked;
}

void conn_set_timeout(struct conn *conn, unsigned secs)
{
	conn->timeout_secs = secs;
	if (conn->bev == NULL)
		return;
	struct timeval tv = {.tv_sec = secs, .tv_usec = 0};
	bufferevent_set_timeouts(conn->bev, secs != 0 ? &tv : NULL,
	                         secs != 0 ? &tv : NULL);
}

void conn_set_deadline(struct conn *conn, unsigned secs)
{
	conn_deadline_session_set(&conn->dl, conn_deadline_now(), secs);
	conn_deadline_arm(conn);
}

void conn_set_line_timeout(struct conn *conn, unsigned secs)
{
	conn_deadline_line_set(&conn->dl, secs);
	conn_deadline_arm(conn);
}

void conn_set_line_pending(struct conn *conn, bool is_pending)
{
	conn_line_clock(conn, is_pending);
}

void conn_transfer_begin(struct conn *conn, unsigned base_secs,
                         unsigned min_rate)
{
	if (conn->is_closing)
		return;
	conn_deadline_transfer_begin(&conn->dl, conn_deadline_now(), base_secs,
	                             min_rate);
	conn_deadline_arm(conn);
}

void conn_transfer_end(struct conn *conn)
{
	if (!conn_deadline_transfer_is_running(&conn->dl))
		return;
	conn_deadline_transfer_end(&conn->dl);
	conn_deadline_arm(conn);
}

enum conn_timeout conn_timeout_kind(const struct conn *conn)
{
	return conn->timeout_kind;
}

bool conn_is_handshaking(const struct conn *conn)
{
	return conn->is_handshaking;
}

void conn_set_input_paused(struct conn *conn, bool is_paused)
{
	if (conn->is_paused == is_paused)
		return;
	conn->is_paused = is_paused;
	if (!is_paused)
		conn_defer(conn);
}

void conn_close_after_flush(struct conn *conn)
{
	if (conn->is_closing)
		return;
	conn->is_closing = true;
	conn->close_status = CONN_STATUS_CLOSED;
	if (conn->bev != NULL)
		bufferevent_disable(conn->bev, EV_READ);
	conn_deadline_closing(conn);
	conn_defer(conn);
}

bool conn_is_closing(const struct conn *conn)
{
	return conn->is_closing;
}

int conn_starttls(struct conn *conn, struct tls_server *tls,
                  const char **error_r)
{
	if (conn->is_tls || conn->starttls != NULL) {
		*error_r = "TLS already active";
		return -1;
	}
	if (conn->under != NULL) {
		*error_r = "compression active";
		return -1;
	}
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	evbuffer_drain(input, evbuffer_get_length(input));
	conn->is_discarding = false;
	conn_line_clock(conn, false);
	conn->starttls = tls;
	/* Keep reading off until the swap: bytes the client sends before the
	 * handshake must reach the TLS layer, not the old stream. */
	bufferevent_disable(conn->bev, EV_READ);
	conn_defer(conn);
	return 0;
}

bool conn_is_tls(const struct conn *conn)
{
	return conn->is_tls;
}

const char *conn_tls_version(const struct conn *conn)
{
	return conn->is_tls && conn->bev != NULL
	           ? tls_bufferevent_version(conn_tls_bev(conn))
	           : "";
}

const char *conn_tls_cipher(const struct conn *conn)
{
	return conn->is_tls && conn->bev != NULL
	           ? tls_bufferevent_cipher(conn_tls_bev(conn))
	           : "";
}

const char *conn_peer_addr(const struct conn *conn)
{
	return conn->peer;
}

bool conn_peer_is_loopback(const struct conn *conn)
{
	return conn->is_peer_loopback;
}

const char *conn_error_str(const struct conn *conn)
{
	return conn->error_str[0] != '\0' ? conn->error_str : "closed";
}

/* ---- Client side -------------------------------------------------------- */

struct conn *conn_connect(struct event_loop *loop, const struct sockaddr *sa,
                          socklen_t sa_len,
                          const struct conn_settings *settings,
                          const struct conn_callbacks *callbacks, void *ctx)
{
	int fd = socket(sa->sa_family,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int saved = errno;
	if (fd < 0) {
		/* conn_new reports a bad fd through closed */
		fd = -1;
	}
	struct conn *conn = conn_new(loop, fd, NULL, settings, callbacks, ctx);
	net_addr_str(sa, conn->peer);
	conn->is_peer_loopback = net_addr_is_loopback(sa);
	if (conn->bev == NULL)
		return conn;
	if (fd < 0 ||
	    bufferevent_socket_connect(conn->bev, sa, (int)sa_len) < 0) {
		if (fd >= 0)
			saved = errno;
		snprintf(conn->error_str, sizeof(conn->error_str), "%s",
		         strerror(saved != 0 ? saved : ECONNREFUSED));
		conn->close_status = CONN_STATUS_ERROR;
		conn->is_closing = true;
		bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
		conn_defer(conn);
	}
	return conn;
}

int conn_starttls_client(struct conn *conn, struct tls_client *tls,
                         const char *servername, const char **error_r)
{
	if (conn->is_tls || conn_is_swapping(conn)) {
		*error_r = "TLS already active";
		return -1;
	}
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	evbuffer_drain(input, evbuffer_get_length(input));
	conn->is_discarding = false;
	free(conn->servername);
	conn->servername = xstrdup(servername != NULL ? servername : "");
	conn->starttls_client = tls;
	bufferevent_disable(conn->bev, EV_READ);
	conn_defer(conn);
	return 0;
}

bool conn_tls_is_verified(const struct conn *conn)
{
	return conn->is_tls && conn->bev != NULL &&
	       tls_bufferevent_is_verified(conn_tls_bev(conn));
}
