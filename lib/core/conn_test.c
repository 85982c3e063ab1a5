/* Tests for conn.c over a socketpair: lines with a limit (too long, then
 * resync), bare LF, raw bytes with peek/consume, EOF, close after flush,
 * COMPRESS=DEFLATE (raw deflate both ways, close after flush), and
 * backpressure with and without compression (a producer that refills from
 * the drained callback pauses while the peer does not read). */
#include "core/conn.h"
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "test/test.h"

#include <stdint.h>
#include <stdio.h>
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

int main(void)
{
	static void (*const tests[])(void) = {
	    test_conn_lines, test_conn_eof, test_conn_compress,
	    test_conn_backpressure, NULL};
	return test_run(tests);
}
