/* The HTTPS GET client of http_fetch.h on lib/core's connection layer:
 * address look-up, connect to each address in turn until one answers,
 * implicit TLS with a peer client of the caller's context (so this
 * fetch's certificate check is its own), the request, and the answer
 * parsed as it arrives. One timer is the deadline of the whole fetch. */
#include "http/http_fetch.h"
#include "core/conn.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_fetch {
	struct event_loop *loop;
	struct dns *dns;
	struct dns_req *dns_req;
	struct tls_client *tls, *peer;
	char *host, *path;
	unsigned port;
	size_t max_body;
	struct dns_addr addrs[DNS_ADDR_MAX];
	size_t addr_count, addr_idx;
	struct conn *conn;
	bool is_tls;
	struct buf in;
	struct event_timer *timer; /* the deadline, then the answer */
	http_fetch_cb *cb;
	void *ctx;
	char error[256];
	enum http_fetch_status last; /* why the last address failed */
	/* the outcome, handed over from the loop: a connection's callback
	 * must not free it */
	bool is_finished;
	enum http_fetch_status status;
	struct pool *pool;
	struct http_fetch_reply reply;
};

static void fetch_free(struct http_fetch *f)
{
	dns_cancel(&f->dns_req);
	conn_free(&f->conn);
	tls_client_free(&f->peer);
	event_timer_free(&f->timer);
	buf_deinit(&f->in);
	buf_deinit(&f->reply.body);
	pool_free(&f->pool);
	free(f->host);
	free(f->path);
	free(f);
}

void http_fetch_cancel(struct http_fetch **fp)
{
	if (*fp == NULL)
		return;
	fetch_free(*fp);
	*fp = NULL;
}

/* Ends the fetch with status (the reply is f->reply with OK): the
 * callback runs from the loop, never from a connection's callback. */
static void fetch_done(struct http_fetch *f, enum http_fetch_status status)
{
	if (f->is_finished)
		return;
	f->is_finished = true;
	f->status = status;
	if (f->conn != NULL)
		conn_set_input_paused(f->conn, true);
	event_timer_set(f->timer, 0);
}

static void fetch_timer_cb(void *ctx)
{
	struct http_fetch *f = ctx;
	if (!f->is_finished) {
		f->status = HTTP_FETCH_TIMEOUT;
		snprintf(f->error, sizeof(f->error), "timed out");
	}
	struct http_fetch_result r = {.status = f->status, .error = f->error};
	if (f->status == HTTP_FETCH_OK) {
		r.code = f->reply.status;
		r.content_type = f->reply.content_type;
		r.body = f->reply.body.data;
		r.body_len = f->reply.body.len;
	}
	f->cb(&r, f->ctx);
	fetch_free(f);
}

/* Ends the fetch with status and the reason prefix followed by detail. */
static void fetch_fail(struct http_fetch *f, enum http_fetch_status status,
                       const char *prefix, const char *detail)
{
	if (!f->is_finished)
		snprintf(f->error, sizeof(f->error), "%s%s", prefix, detail);
	fetch_done(f, status);
}

/* Parses what came; is_eof: the peer closed. */
static void fetch_parse(struct http_fetch *f, bool is_eof)
{
	const char *error;
	pool_clear(f->pool);
	int ret =
	    http_fetch_parse((const unsigned char *)f->in.data, f->in.len,
	                     is_eof, f->max_body, f->pool, &f->reply, &error);
	if (ret < 0)
		fetch_fail(f, HTTP_FETCH_PROTOCOL, "bad response: ", error);
	else if (ret > 0)
		fetch_done(f, HTTP_FETCH_OK);
}

static void fetch_input_cb(struct conn *conn, void *ctx)
{
	struct http_fetch *f = ctx;
	const unsigned char *data;
	size_t size;
	while (!f->is_finished && conn_peek(conn, &data, &size) > 0) {
		buf_append(&f->in, data, size);
		conn_consume(conn, size);
		if (f->in.len > HTTP_FETCH_HEAD_MAX + f->max_body + 4096) {
			fetch_fail(f, HTTP_FETCH_PROTOCOL, "response too large",
			           "");
			return;
		}
	}
	if (!f->is_finished)
		fetch_parse(f, false);
}

static void fetch_next_addr(struct http_fetch *f);

static void fetch_connected_cb(struct conn *conn, void *ctx)
{
	struct http_fetch *f = ctx;
	const char *error;
	if (!f->is_tls) {
		f->is_tls = true;
		tls_client_free(&f->peer);
		if (tls_client_peer_new(f->tls, NULL, NULL, 0, &f->peer) < 0 ||
		    conn_starttls_client(conn, f->peer, f->host, &error) < 0)
			fetch_fail(f, HTTP_FETCH_TLS, "cannot start TLS", "");
		return;
	}
	/* RFC 8461 §3.3: a certificate valid for the host (RFC 6125) */
	if (!conn_tls_is_verified(conn)) {
		const char *why = tls_client_verify_error(f->peer);
		fetch_fail(f, HTTP_FETCH_VERIFY, "certificate verify failed: ",
		           why[0] != '\0' ? why : "not trusted");
		return;
	}
	struct buf req;
	buf_init(&req);
	buf_printf(&req,
	           "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Postroom\r\n"
	           "Accept: text/plain, */*;q=0.1\r\nConnection: close\r\n\r\n",
	           f->path, f->host);
	conn_write(conn, req.data, req.len);
	buf_deinit(&req);
}

static void fetch_closed_cb(struct conn *conn, enum conn_status status,
                            void *ctx)
{
	struct http_fetch *f = ctx;
	bool has_answer = f->is_tls && conn_tls_is_verified(conn);
	if (f->is_finished) {
		conn_free(&f->conn);
		return;
	}
	if (has_answer) {
		/* the answer ends with the close (Connection: close) */
		conn_free(&f->conn);
		fetch_parse(f, true);
		return;
	}
	snprintf(f->error, sizeof(f->error), "%s: %s", conn_peer_addr(conn),
	         status == CONN_STATUS_ERROR ? conn_error_str(conn) : "closed");
	f->last = f->is_tls ? HTTP_FETCH_TLS : HTTP_FETCH_CONNECT;
	conn_free(&f->conn);
	f->addr_idx++;
	fetch_next_addr(f);
}

static void fetch_next_addr(struct http_fetch *f)
{
	static const struct conn_callbacks cbs = {
	    .input = fetch_input_cb,
	    .closed = fetch_closed_cb,
	    .connected = fetch_connected_cb,
	};
	static const struct conn_settings set = {
	    .input_max = 64 * 1024,
	};
	if (f->addr_idx >= f->addr_count) {
		fetch_done(f, f->last);
		return;
	}
	const struct dns_addr *a = &f->addrs[f->addr_idx];
	f->is_tls = false;
	buf_truncate(&f->in, 0);
	f->conn = conn_connect(f->loop, (const struct sockaddr *)&a->sa, a->len,
	                       &set, &cbs, f);
}

static void fetch_addr_cb(enum dns_status status, const struct dns_addr *addrs,
                          size_t count, const char *error, void *ctx)
{
	struct http_fetch *f = ctx;
	f->dns_req = NULL;
	if (status != DNS_STATUS_OK || count == 0) {
		fetch_fail(f, HTTP_FETCH_DNS,
		           "no address: ", error != NULL ? error : "none");
		return;
	}
	memcpy(f->addrs, addrs, count * sizeof(*addrs));
	f->addr_count = count;
	fetch_next_addr(f);
}

struct http_fetch *http_fetch_start(struct event_loop *loop, struct dns *dns,
                                    struct tls_client *tls, const char *host,
                                    unsigned port, const char *path,
                                    unsigned timeout_secs, size_t max_body,
                                    http_fetch_cb *cb, void *ctx)
{
	struct http_fetch *f = xcalloc(1, sizeof(*f));
	f->loop = loop;
	f->dns = dns;
	f->tls = tls;
	f->host = xstrdup(host);
	f->path = xstrdup(path);
	f->port = port;
	f->max_body = max_body;
	f->cb = cb;
	f->ctx = ctx;
	f->last = HTTP_FETCH_CONNECT;
	buf_init(&f->in);
	buf_init(&f->reply.body);
	f->pool = pool_new();
	f->timer = event_timer_new(loop, fetch_timer_cb, f);
	event_timer_set(f->timer,
	                (timeout_secs > 0 ? timeout_secs : 60) * 1000);
	f->dns_req = dns_addr_lookup(dns, host, port, fetch_addr_cb, f);
	return f;
}
