/* Tests for conn.c over a socketpair: lines with a limit (too long, then
 * resync), bare LF, raw bytes with peek/consume, EOF, close after flush,
 * COMPRESS=DEFLATE (raw deflate both ways, close after flush), and
 * backpressure with and without compression (a producer that refills from
 * the drained callback pauses while the peer does not read); a server TLS
 * handshake the peer abandons (close, part of a ClientHello then close or
 * silence) ends the conn at once or at its deadline although a greeting
 * waits to go out; deadlines that a trickle of bytes does not move (line,
 * session, transfer rate). */
#include "core/conn.h"
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/net.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

struct reader {
	struct event_loop *loop;
	struct buf got;
	bool raw_mode;
	enum conn_status status;
};

static void reader_input(struct conn *conn, void *ctx)
{
	struct reader *r = ctx;
	for (;;) {
		if (r->raw_mode) {
			const unsigned char *data;
			size_t size;
			int ret = conn_peek(conn, &data, &size);
			if (ret <= 0)
				return;
			buf_printf(&r->got, "raw:%zu|", size);
			conn_consume(conn, size);
			continue;
		}
		const char *line;
		size_t len;
		bool bare;
		int ret = conn_read_line(conn, 10, &line, &len, &bare);
		if (ret == 0)
			return;
		if (ret < 0) {
			if (conn_last_error(conn) == CONN_ERROR_EOF)
				return;
			buf_append_str(&r->got, "TOO-LONG|");
			continue;
		}
		buf_printf(&r->got, "%s%s|", line, bare ? "(lf)" : "");
		if (strcmp(line, "raw") == 0)
			r->raw_mode = true;
		if (strcmp(line, "compress") == 0) {
			const char *error;
			conn_write_str(conn, "OK\r\n");
			test_assert(conn_compress_start(conn, &error) == 0);
			test_assert(conn_compress_start(conn, &error) < 0);
			event_loop_stop(r->loop); /* the test sends deflated */
			return;
		}
		if (strcmp(line, "bye") == 0) {
			conn_write_str(conn, "closing\r\n");
			conn_close_after_flush(conn);
			return;
		}
	}
}

static void reader_closed(struct conn *conn, enum conn_status status, void *ctx)
{
	struct reader *r = ctx;
	(void)conn;
	r->status = status;
	event_loop_stop(r->loop);
}

static const struct conn_callbacks reader_callbacks = {
    .input = reader_input,
    .closed = reader_closed,
};

static void run_reader(const char *input, bool half_close, const char *want,
                       enum conn_status want_status, const char *want_reply)
{
	int sv[2];
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct reader r = {.loop = event_loop_new()};
	buf_init(&r.got);
	struct conn *conn =
	    conn_new(r.loop, sv[0], NULL, NULL, &reader_callbacks, &r);
	test_assert(file_write_all(sv[1], input, strlen(input)) == 0);
	if (half_close)
		shutdown(sv[1], SHUT_WR);
	event_loop_run(r.loop);
	test_assert_str(r.got.data, want);
	test_assert_int(r.status, want_status);
	conn_free(&conn);
	test_assert(conn == NULL);
	char reply[64] = "";
	ssize_t n = read(sv[1], reply, sizeof(reply) - 1);
	reply[n > 0 ? n : 0] = '\0';
	test_assert_str(reply, want_reply);
	close(sv[1]);
	buf_deinit(&r.got);
	event_loop_free(&r.loop);
}

static void test_conn_lines(void)
{
	test_begin("conn_read_line");
	run_reader("a\r\nb\nccc\r\n0123456789abc\r\nd\r\nbye\r\n", false,
	           "a|b(lf)|ccc|TOO-LONG|d|bye|", CONN_STATUS_CLOSED,
	           "closing\r\n");
	/* Exactly the limit (10 with CRLF) is fine; 11 is not. */
	run_reader("12345678\r\n123456789\r\nbye\r\n", false,
	           "12345678|TOO-LONG|bye|", CONN_STATUS_CLOSED, "closing\r\n");
	/* A long line split over reads: dropped up to its LF. */
	run_reader("0123456789012345678901234567890\nx\r\nbye\r\n", false,
	           "TOO-LONG|x|bye|", CONN_STATUS_CLOSED, "closing\r\n");
	test_end();
}

static void test_conn_eof(void)
{
	test_begin("conn EOF");
	run_reader("a\r\npartial", true, "a|", CONN_STATUS_EOF, "");
	run_reader("raw\r\nxyz", true, "raw|raw:3|", CONN_STATUS_EOF, "");
	test_end();
}

/* Raw deflate (zlib windowBits -15) of str with a sync flush, to fd. */
static void write_deflated(int fd, z_stream *z, const char *str)
{
	unsigned char out[256];
	z->next_in = (unsigned char *)(uintptr_t)str;
	z->avail_in = (uInt)strlen(str);
	z->next_out = out;
	z->avail_out = sizeof(out);
	test_assert(deflate(z, Z_SYNC_FLUSH) == Z_OK);
	test_assert(file_write_all(fd, out, sizeof(out) - z->avail_out) == 0);
}

static void test_conn_compress(void)
{
	test_begin("conn_compress_start");
	int sv[2];
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct reader r = {.loop = event_loop_new()};
	buf_init(&r.got);
	struct conn *conn =
	    conn_new(r.loop, sv[0], NULL, NULL, &reader_callbacks, &r);
	test_assert(file_write_all(sv[1], "a\r\ncompress\r\n", 13) == 0);
	event_loop_run(r.loop);
	test_assert(conn_is_compressed(conn));
	z_stream zo = {0}, zi = {0};
	test_assert(deflateInit2(&zo, 6, Z_DEFLATED, -15, 8,
	                         Z_DEFAULT_STRATEGY) == Z_OK);
	test_assert(inflateInit2(&zi, -15) == Z_OK);
	write_deflated(sv[1], &zo, "hello\r\n0123456789abc\r\n");
	write_deflated(sv[1], &zo, "bye\r\n");
	event_loop_run(r.loop);
	test_assert_str(r.got.data, "a|compress|hello|TOO-LONG|bye|");
	test_assert_int(r.status, CONN_STATUS_CLOSED);
	conn_free(&conn);
	unsigned char in[256], text[64];
	ssize_t n = read(sv[1], in, sizeof(in));
	test_assert(n > 4 && memcmp(in, "OK\r\n", 4) == 0);
	zi.next_in = in + 4;
	zi.avail_in = (uInt)(n - 4);
	zi.next_out = text;
	zi.avail_out = sizeof(text) - 1;
	test_assert(inflate(&zi, Z_SYNC_FLUSH) == Z_OK);
	text[sizeof(text) - 1 - zi.avail_out] = '\0';
	test_assert_str((const char *)text, "closing\r\n");
	deflateEnd(&zo);
	inflateEnd(&zi);
	close(sv[1]);
	buf_deinit(&r.got);
	event_loop_free(&r.loop);
	test_end();
}

/* A producer like FETCH: writes incompressible chunks until the output is
 * full, goes on from the drained callback, stops after total bytes. */
struct producer {
	struct event_loop *loop;
	struct conn *conn;
	size_t written, total, drained_calls;
	uint32_t seed;
	bool is_done;
};

#define PRODUCER_CHUNK 8192

static void producer_fill(struct producer *p)
{
	unsigned char chunk[PRODUCER_CHUNK];
	while (p->written < p->total && !conn_output_is_full(p->conn)) {
		for (size_t i = 0; i < sizeof(chunk); i++) {
			p->seed = p->seed * 1103515245u + 12345u;
			chunk[i] = (unsigned char)(p->seed >> 16);
		}
		conn_write(p->conn, chunk, sizeof(chunk));
		p->written += sizeof(chunk);
	}
	if (p->written >= p->total && !p->is_done) {
		p->is_done = true;
		conn_close_after_flush(p->conn);
	}
}

static void producer_input(struct conn *conn, void *ctx)
{
	struct producer *p = ctx;
	const unsigned char *data;
	size_t size;
	while (conn_peek(conn, &data, &size) > 0) {
		conn_consume(conn, size);
		if (p->conn == NULL) { /* the "go" line */
			p->conn = conn;
			producer_fill(p);
		}
	}
}

static void producer_drained(struct conn *conn, void *ctx)
{
	struct producer *p = ctx;
	(void)conn;
	p->drained_calls++;
	if (p->conn != NULL)
		producer_fill(p);
}

static void producer_closed(struct conn *conn, enum conn_status status,
                            void *ctx)
{
	struct producer *p = ctx;
	(void)conn;
	(void)status;
	event_loop_stop(p->loop);
}

static void producer_stop_cb(void *ctx)
{
	event_loop_stop(ctx);
}

static const struct conn_callbacks producer_callbacks = {
    .input = producer_input,
    .closed = producer_closed,
    .drained = producer_drained,
};

/* Reads everything the conn sends until EOF (inflating when z is not
 * NULL); returns the plain byte count. */
static size_t read_all(int fd, z_stream *z)
{
	static unsigned char in[65536], out[262144];
	size_t total = 0;
	ssize_t n;
	while ((n = read(fd, in, sizeof(in))) > 0) {
		if (z == NULL) {
			total += (size_t)n;
			continue;
		}
		z->next_in = in;
		z->avail_in = (uInt)n;
		do {
			z->next_out = out;
			z->avail_out = sizeof(out);
			int r = inflate(z, Z_SYNC_FLUSH);
			test_assert(r == Z_OK || r == Z_BUF_ERROR);
			total += sizeof(out) - z->avail_out;
		} while (z->avail_in > 0 || z->avail_out == 0);
	}
	return total;
}

static void run_producer(bool is_compressed)
{
	int sv[2];
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct producer p = {.loop = event_loop_new(), .total = 16u << 20};
	const struct conn_settings set = {.output_max = 256 * 1024};
	struct conn *conn =
	    conn_new(p.loop, sv[0], NULL, &set, &producer_callbacks, &p);
	if (is_compressed) {
		const char *error;
		test_assert(conn_compress_start(conn, &error) == 0);
		z_stream zo = {0};
		test_assert(deflateInit2(&zo, 6, Z_DEFLATED, -15, 8,
		                         Z_DEFAULT_STRATEGY) == Z_OK);
		write_deflated(sv[1], &zo, "go\r\n");
		deflateEnd(&zo);
	} else {
		test_assert(file_write_all(sv[1], "go\r\n", 4) == 0);
	}
	/* The peer reads nothing for 300 ms: the producer must pause with
	 * about output_max queued plus what the socket holds, not write all
	 * 16 MiB into memory. */
	struct event_timer *stop =
	    event_timer_new(p.loop, producer_stop_cb, p.loop);
	event_timer_set(stop, 300);
	event_loop_run(p.loop);
	test_assert(p.conn != NULL);
	if (p.written > 8u << 20)
		fprintf(stderr, "got %zu bytes written unread, want < 8 MiB\n",
		        p.written);
	test_assert(p.written < 8u << 20);
	test_assert(!p.is_done);
	/* Once the peer reads, the drained callback resumes the producer to
	 * the end (no stall): everything arrives. */
	event_timer_cancel(stop);
	pid_t pid = fork();
	test_assert(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		z_stream zi = {0};
		test_assert(inflateInit2(&zi, -15) == Z_OK);
		size_t got = read_all(sv[1], is_compressed ? &zi : NULL);
		_exit(got == p.total ? 0 : 1);
	}
	close(sv[1]);
	event_timer_set(stop, 20000); /* a stall fails rather than hangs */
	event_loop_run(p.loop);
	if (!p.is_done)
		fprintf(stderr, "got a stall at %zu bytes, want %zu\n",
		        p.written, p.total);
	test_assert(p.is_done);
	test_assert(p.drained_calls > 0);
	conn_free(&conn); /* EOF for the reader, done or not */
	int status;
	test_assert(waitpid(pid, &status, 0) == pid);
	test_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	event_timer_free(&stop);
	event_loop_free(&p.loop);
}

static void test_conn_backpressure(void)
{
	test_begin("conn backpressure");
	run_producer(false);
	test_end();
	test_begin("conn backpressure under COMPRESS=DEFLATE");
	run_producer(true);
	test_end();
}

/* ---- TLS handshakes that never finish, and deadlines ------------------ */

struct limits {
	struct event_loop *loop;
	struct conn *conn;
	int peer;            /* the other end of the socketpair */
	const char *trickle; /* sent one byte per tick */
	size_t trickle_at;
	bool is_raw; /* consume everything, no lines */
	enum conn_status status;
	enum conn_timeout kind;
	bool is_closed;
	unsigned lines, ticks;
	char error[200];
};

static void limits_input(struct conn *conn, void *ctx)
{
	struct limits *l = ctx;
	const char *line;
	size_t len;
	const unsigned char *data;
	size_t size;
	if (l->is_raw) {
		while (conn_peek(conn, &data, &size) > 0)
			conn_consume(conn, size);
		return;
	}
	while (conn_read_line(conn, 100, &line, &len, NULL) > 0)
		l->lines++;
}

static void limits_timeout(struct conn *conn, void *ctx)
{
	struct limits *l = ctx;
	l->kind = conn_timeout_kind(conn);
	conn_write_str(conn, "timeout\r\n");
	conn_close_after_flush(conn);
}

static void limits_closed(struct conn *conn, enum conn_status status, void *ctx)
{
	struct limits *l = ctx;
	l->status = status;
	l->is_closed = true;
	snprintf(l->error, sizeof(l->error), "%s", conn_error_str(conn));
	event_loop_stop(l->loop);
}

static const struct conn_callbacks limits_callbacks = {
    .input = limits_input,
    .timeout = limits_timeout,
    .closed = limits_closed,
};

struct ticker {
	struct limits *l;
	struct event_timer *timer;
};

/* Every 100 ms: the next byte of the trickle, if any. */
static void limits_tick_cb(void *ctx)
{
	struct ticker *t = ctx;
	struct limits *l = t->l;
	l->ticks++;
	if (l->trickle != NULL && l->trickle[l->trickle_at] != '\0') {
		test_assert(write(l->peer, l->trickle + l->trickle_at, 1) == 1);
		l->trickle_at++;
	}
	event_timer_set(t->timer, 100);
}

static void limits_stop_cb(void *ctx)
{
	event_loop_stop(ctx);
}

/* Runs the loop until the conn closes or max_ms pass, ticking every
 * 100 ms. Returns the milliseconds it ran (by ticks). */
static unsigned limits_run(struct limits *l, unsigned max_ms)
{
	struct event_timer *stop =
	    event_timer_new(l->loop, limits_stop_cb, l->loop);
	struct ticker t = {.l = l};
	t.timer = event_timer_new(l->loop, limits_tick_cb, &t);
	event_timer_set(stop, max_ms);
	event_timer_set(t.timer, 100);
	unsigned start = l->ticks;
	if (!l->is_closed)
		event_loop_run(l->loop);
	event_timer_free(&t.timer);
	event_timer_free(&stop);
	return (l->ticks - start) * 100;
}

static void limits_init(struct limits *l, struct tls_server *tls,
                        unsigned handshake_timeout)
{
	int sv[2];
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	test_assert(net_set_nonblock(sv[0]) == 0); /* as accept4 makes it */
	memset(l, 0, sizeof(*l));
	l->loop = event_loop_new();
	l->peer = sv[1];
	const struct conn_settings set = {.handshake_timeout =
	                                      handshake_timeout};
	l->conn = conn_new(l->loop, sv[0], tls, &set, &limits_callbacks, l);
}

static void limits_deinit(struct limits *l)
{
	conn_free(&l->conn);
	close(l->peer);
	event_loop_free(&l->loop);
}

/* The first bytes of a TLS 1.2+ ClientHello record: a handshake that can
 * never complete with what follows. */
static const char partial_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"
                                    "\x03\x03";

static void test_conn_tls_abandoned(void)
{
	test_begin("conn: an abandoned TLS handshake ends at once");
	const char *error;
	char *cert = xasprintf("%s/tls/cert.pem", test_tmpdir());
	char *key = xasprintf("%s/tls/key.pem", test_tmpdir());
	struct tls_server *tls = NULL;
	test_assert(tls_selfsigned_create(cert, key, "mx.test", &error) == 0);
	test_assert(tls_server_new(cert, key, &tls, &error) == 0);
	for (int how = 0; how < 3; how++) {
		struct limits l;
		limits_init(&l, tls, 0);
		/* a greeting waits for the handshake, as with implicit TLS */
		conn_write_str(l.conn, "* OK ready\r\n");
		test_assert(conn_is_handshaking(l.conn));
		if (how >= 1)
			test_assert(write(l.peer, partial_hello,
			                  sizeof(partial_hello) - 1) > 0);
		if (how == 2) {
			/* reset: SO_LINGER 0 does not apply to AF_UNIX; a
			 * close with unread data comes closest */
			test_assert(write(l.peer, "x", 1) == 1);
		}
		shutdown(l.peer, SHUT_WR);
		limits_run(&l, 10000);
		test_assert_idx(l.is_closed, how);
		test_assert_idx(l.status == CONN_STATUS_ERROR, how);
		test_assert_idx(strncmp(l.error, "tls handshake: ", 15) == 0,
		                how);
		limits_deinit(&l);
	}
	/* Part of a ClientHello, then silence: the handshake deadline. */
	struct limits l;
	limits_init(&l, tls, 1);
	conn_set_timeout(l.conn, 60); /* the idle timeout is far away */
	conn_write_str(l.conn, "* OK ready\r\n");
	test_assert(write(l.peer, partial_hello, sizeof(partial_hello) - 1) >
	            0);
	unsigned ms = limits_run(&l, 15000);
	test_assert(l.is_closed);
	test_assert_int(l.status, CONN_STATUS_ERROR);
	test_assert_str(l.error, "tls handshake: timed out");
	test_assert(ms >= 900);
	/* the owner's timeout callback is not called: no reply can go out */
	test_assert_int(l.kind, CONN_TIMEOUT_NONE);
	limits_deinit(&l);
	tls_server_free(&tls);
	free(cert);
	free(key);
	test_end();
}

static void test_conn_line_deadline(void)
{
	test_begin("conn: a trickled line ends at the line deadline");
	struct limits l;
	limits_init(&l, NULL, 0);
	conn_set_timeout(l.conn, 60);
	conn_set_line_timeout(l.conn, 1);
	/* complete lines first: each restarts the clock */
	l.trickle = "a\nb\nc\nd\nNOOPNOOPNOOPNOOPNOOPNOOPNOOPNOOPNOOPNOOP";
	unsigned ms = limits_run(&l, 15000);
	test_assert(l.is_closed);
	test_assert_int(l.kind, CONN_TIMEOUT_LINE);
	test_assert_int(l.status, CONN_STATUS_CLOSED);
	test_assert_int(l.lines, 4);
	/* 8 bytes (0.8 s) of lines, then 1 s for the trickled one */
	test_assert(ms >= 1700);
	test_assert(l.trickle[l.trickle_at] != '\0');
	char reply[32] = "";
	test_assert(read(l.peer, reply, sizeof(reply) - 1) == 9);
	test_assert_str(reply, "timeout\r\n");
	limits_deinit(&l);
	test_end();
}

static void test_conn_session_deadline(void)
{
	test_begin("conn: the session deadline ignores complete lines");
	struct limits l;
	limits_init(&l, NULL, 0);
	conn_set_timeout(l.conn, 60);
	conn_set_line_timeout(l.conn, 1);
	conn_set_deadline(l.conn, 2);
	l.trickle = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\n";
	unsigned ms = limits_run(&l, 15000);
	test_assert(l.is_closed);
	test_assert_int(l.kind, CONN_TIMEOUT_DEADLINE);
	test_assert(ms >= 1900 && l.lines >= 5);
	test_assert(l.trickle[l.trickle_at] != '\0');
	limits_deinit(&l);
	/* cancelled: nothing fires */
	limits_init(&l, NULL, 0);
	conn_set_deadline(l.conn, 1);
	conn_set_deadline(l.conn, 0);
	limits_run(&l, 1500);
	test_assert(!l.is_closed);
	limits_deinit(&l);
	test_end();
}

static void test_conn_transfer_rate(void)
{
	test_begin("conn: a transfer below its minimum rate ends");
	struct limits l;
	limits_init(&l, NULL, 0);
	conn_set_timeout(l.conn, 60);
	l.is_raw = true;
	/* 1 s plus 1 ms per byte: ten bytes a second is far too slow */
	conn_transfer_begin(l.conn, 1, 1000);
	l.trickle = "0123456789012345678901234567890123456789";
	unsigned ms = limits_run(&l, 15000);
	test_assert(l.is_closed);
	test_assert_int(l.kind, CONN_TIMEOUT_TRANSFER);
	test_assert(ms >= 900);
	test_assert(l.trickle[l.trickle_at] != '\0');
	limits_deinit(&l);
	/* 64 KiB at once buys 65 s more: nothing fires in 2 s */
	limits_init(&l, NULL, 0);
	l.is_raw = true;
	conn_transfer_begin(l.conn, 1, 1000);
	static char block[65536];
	memset(block, 'x', sizeof(block));
	test_assert(file_write_all(l.peer, block, sizeof(block)) == 0);
	limits_run(&l, 2000);
	test_assert(!l.is_closed);
	conn_transfer_end(l.conn);
	limits_deinit(&l);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_conn_lines,
	                                      test_conn_eof,
	                                      test_conn_compress,
	                                      test_conn_backpressure,
	                                      test_conn_tls_abandoned,
	                                      test_conn_line_deadline,
	                                      test_conn_session_deadline,
	                                      test_conn_transfer_rate,
	                                      NULL};
	return test_run(tests);
}
