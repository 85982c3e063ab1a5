/* The server-engine fixture: a socketpair, a writer that may trickle, a
 * reader that re-parses what arrived after each read, and stop rules. */
#include "http/http_testing.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/net.h"
#include "http/http_router.h"
#include "http/http_syntax.h"
#include "test/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void http_testing_disconnect(void *ctx, const char *reason)
{
	struct http_testing *t = ctx;
	t->is_disconnected = true;
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	t->srv = NULL;
	if (t->is_closing)
		event_loop_stop(t->loop);
}

void http_testing_init(struct http_testing *t)
{
	memset(t, 0, sizeof(*t));
	t->loop = event_loop_new();
	t->router = http_router_new();
	t->set.router = t->router;
	t->set.allow_plaintext_auth = true;
	t->fd = -1;
	buf_init(&t->out);
	buf_init(&t->got);
	for (unsigned i = 0; i < HTTP_TESTING_MAX; i++) {
		buf_init(&t->responses[i].head);
		buf_init(&t->responses[i].body);
	}
}

static const char *http_testing_find(const char *data, size_t len,
                                     const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(data + i, needle, n) == 0)
			return data + i;
	return NULL;
}

/* A chunked body at p; returns its end or NULL when incomplete. */
static const char *http_testing_chunked(const char *p, const char *end,
                                        struct buf *body)
{
	for (;;) {
		const char *eol =
		    http_testing_find(p, (size_t)(end - p), "\r\n");
		if (eol == NULL)
			return NULL;
		size_t size = strtoul(p, NULL, 16);
		p = eol + 2;
		if (size == 0) {
			const char *fin = http_testing_find(
			    p - 2, (size_t)(end - p + 2), "\r\n\r\n");
			return fin != NULL ? fin + 4 : NULL;
		}
		if ((size_t)(end - p) < size + 2)
			return NULL;
		buf_append(body, p, size);
		p += size + 2;
	}
}

/* Parses t->got into t->responses; interim 1xx responses are skipped. */
static void http_testing_parse(struct http_testing *t)
{
	const char *p = t->got.data, *end = t->got.data + t->got.len;
	t->count = 0;
	while (p < end && t->count < HTTP_TESTING_MAX) {
		const char *eoh =
		    http_testing_find(p, (size_t)(end - p), "\r\n\r\n");
		if (eoh == NULL || end - p < 12)
			return;
		unsigned status = (unsigned)atoi(p + 9);
		if (status < 200) {
			p = eoh + 4;
			continue;
		}
		struct http_testing_response *r = &t->responses[t->count];
		const char *fields =
		    (const char *)memchr(p, '\n', (size_t)(eoh - p)) + 1;
		buf_truncate(&r->head, 0);
		buf_truncate(&r->body, 0);
		buf_append(&r->head, fields, (size_t)(eoh + 2 - fields));
		r->status = status;
		const char *body = eoh + 4, *next;
		const char *cl = http_testing_find(r->head.data, r->head.len,
		                                   "Content-Length: ");
		bool is_head = (t->head_mask & (1u << t->count)) != 0;
		if (is_head || status == 204 || status == 304) {
			next = body;
		} else if (http_testing_find(r->head.data, r->head.len,
		                             "Transfer-Encoding: chunked")) {
			next = http_testing_chunked(body, end, &r->body);
			if (next == NULL)
				return;
		} else if (cl != NULL) {
			size_t n = strtoul(cl + 16, NULL, 10);
			if ((size_t)(end - body) < n)
				return;
			buf_append(&r->body, body, n);
			next = body + n;
		} else {
			/* until the close */
			if (!t->is_eof)
				return;
			buf_append(&r->body, body, (size_t)(end - body));
			next = end;
		}
		t->count++;
		p = next;
	}
}

static void http_testing_check_stop(struct http_testing *t)
{
	http_testing_parse(t);
	if (t->is_eof || (t->want != 0 && t->count >= t->want) ||
	    (t->want_text != NULL &&
	     http_testing_find(t->got.data, t->got.len, t->want_text) != NULL))
		event_loop_stop(t->loop);
}

static void http_testing_read_cb(void *ctx)
{
	struct http_testing *t = ctx;
	char data[65536];
	ssize_t n = read(t->fd, data, sizeof(data));
	if (n > 0)
		buf_append(&t->got, data, (size_t)n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		t->is_eof = true;
		event_io_set_enabled(t->io, false);
	}
	http_testing_check_stop(t);
}

static void http_testing_write_cb(void *ctx)
{
	struct http_testing *t = ctx;
	size_t left = t->out.len - t->out_pos;
	if (left == 0 || t->is_eof)
		return;
	if (t->trickle_msecs != 0 && t->out_pos >= t->trickle_from && left > 1)
		left = 1;
	else if (t->trickle_msecs != 0 && t->out_pos < t->trickle_from)
		left = t->trickle_from - t->out_pos;
	ssize_t n = write(t->fd, t->out.data + t->out_pos, left);
	if (n > 0)
		t->out_pos += (size_t)n;
	if (t->out_pos < t->out.len)
		event_timer_set(t->writer,
		                t->trickle_msecs != 0 ? t->trickle_msecs : 1);
	else if (t->shut_after_send)
		shutdown(t->fd, SHUT_WR);
}

static void http_testing_guard_cb(void *ctx)
{
	struct http_testing *t = ctx;
	t->has_timed_out = true;
	event_loop_stop(t->loop);
}

void http_testing_connect(struct http_testing *t)
{
	int sv[2];
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	net_set_nonblock(sv[0]);
	net_set_nonblock(sv[1]);
	t->fd = sv[1];
	t->cb.disconnect = http_testing_disconnect;
	t->srv = http_server_conn_new(t->loop, sv[0], NULL, &t->set, &t->cb,
	                              t->log, t);
	t->io = event_io_new(t->loop, t->fd, http_testing_read_cb, t);
	event_io_set_enabled(t->io, true);
	t->writer = event_timer_new(t->loop, http_testing_write_cb, t);
	t->guard = event_timer_new(t->loop, http_testing_guard_cb, t);
}

void http_testing_send(struct http_testing *t, const void *data, size_t size)
{
	buf_append(&t->out, data, size);
	event_timer_set(t->writer, 0);
}

void http_testing_send_str(struct http_testing *t, const char *str)
{
	http_testing_send(t, str, strlen(str));
}

void http_testing_run(struct http_testing *t, unsigned want)
{
	t->want = want;
	t->has_timed_out = false;
	http_testing_parse(t);
	if (!t->is_eof && (want == 0 || t->count < want)) {
		event_timer_set(t->guard, 20000);
		event_loop_run(t->loop);
		event_timer_cancel(t->guard);
	}
	test_assert(!t->has_timed_out);
	t->want_text = NULL;
}

static void http_testing_stop_cb(void *ctx)
{
	struct http_testing *t = ctx;
	event_loop_stop(t->loop);
}

void http_testing_run_for(struct http_testing *t, unsigned msecs)
{
	struct event_timer *stop =
	    event_timer_new(t->loop, http_testing_stop_cb, t);
	unsigned want = t->want;
	t->want = 0;
	event_timer_set(stop, msecs);
	event_loop_run(t->loop);
	event_timer_free(&stop);
	t->want = want;
}

void http_testing_set_reading(struct http_testing *t, bool is_reading)
{
	event_io_set_enabled(t->io, is_reading);
}

const char *http_testing_header(struct http_testing *t, unsigned i,
                                const char *name)
{
	static char value[1024];
	struct buf *head = &t->responses[i].head;
	const char *p = head->data;
	size_t nlen = strlen(name);
	value[0] = '\0';
	while (p < head->data + head->len) {
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nlen + 1 && p[nlen] == ':' &&
		    http_str_eq_ci(p, nlen, name)) {
			size_t n = (size_t)(eol - p) - nlen - 2;
			if (n >= sizeof(value))
				n = sizeof(value) - 1;
			memcpy(value, p + nlen + 2, n);
			value[n] = '\0';
			break;
		}
		p = eol + 2;
	}
	return value;
}

void http_testing_deinit(struct http_testing *t)
{
	if (t->srv != NULL) {
		/* close and let the engine finish from the loop */
		t->is_closing = true;
		http_server_conn_close(t->srv);
		close(t->fd);
		t->fd = -1;
		event_io_set_enabled(t->io, false);
		event_timer_set(t->guard, 20000);
		while (t->srv != NULL && !t->has_timed_out)
			event_loop_run(t->loop);
	}
	event_io_free(&t->io);
	event_timer_free(&t->writer);
	event_timer_free(&t->guard);
	if (t->fd >= 0)
		close(t->fd);
	http_router_free(&t->router);
	event_loop_free(&t->loop);
	buf_deinit(&t->out);
	buf_deinit(&t->got);
	for (unsigned i = 0; i < HTTP_TESTING_MAX; i++) {
		buf_deinit(&t->responses[i].head);
		buf_deinit(&t->responses[i].body);
	}
}
