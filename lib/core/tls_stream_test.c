/* Tests for tls_stream.c: plain lines, exact reads, end of stream and
 * timeouts over a socketpair; then TLS against an OpenSSL server in a forked
 * child with a self-signed certificate: verification fails without the CA
 * and on a wrong name, succeeds with the CA file or with checking off; and
 * STARTTLS drops plaintext that arrived before the handshake. */
#include "core/tls_stream.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char *cert_path, *key_path;

static struct tls_stream *plain_pair(const char *data, int *peer_r)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (data != NULL && write(sv[1], data, strlen(data)) < 0)
		abort();
	*peer_r = sv[1];
	return tls_stream_new_fd(sv[0], NULL, NULL);
}

static void test_plain_lines(void)
{
	const char *line, *error;
	size_t len;
	int peer;
	test_begin("tls_stream plain lines and read_exact");
	struct tls_stream *s = plain_pair("one\r\ntwo\nabcdefXYZ", &peer);
	test_assert(!tls_stream_is_tls(s));
	test_assert(tls_stream_peer_is_loopback(s));
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 1);
	test_assert_str(line, "one");
	test_assert_int(len, 3);
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 1);
	test_assert_str(line, "two");
	struct buf out;
	buf_init(&out);
	test_assert_int(tls_stream_read_exact(s, 6, &out, &error), 0);
	test_assert_str(out.data, "abcdef");
	/* The rest must arrive in two parts. */
	if (write(peer, "12\r\n", 4) != 4)
		abort();
	buf_truncate(&out, 0);
	test_assert_int(tls_stream_read_exact(s, 5, &out, &error), 0);
	test_assert_str(out.data, "XYZ12");
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 1);
	test_assert_str(line, "");
	/* Writes are buffered until flush or the next read. */
	test_assert_int(tls_stream_write_str(s, "PING\r\n", &error), 0);
	test_assert_int(tls_stream_flush(s, &error), 0);
	char got[16] = "";
	test_assert(read(peer, got, sizeof(got) - 1) == 6);
	test_assert_str(got, "PING\r\n");
	close(peer);
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 0);
	buf_deinit(&out);
	tls_stream_free(&s);
	test_assert(s == NULL);
	tls_stream_free(&s);
	test_end();
}

static void test_plain_limits(void)
{
	const char *line, *error = NULL;
	size_t len;
	int peer;
	test_begin("tls_stream long lines, cut lines, end of stream");
	struct tls_stream *s = plain_pair("12345\r\n123456\r\n", &peer);
	test_assert_int(tls_stream_read_line(s, 5, &line, &len, &error), 1);
	test_assert_str(line, "12345");
	test_assert_int(tls_stream_read_line(s, 5, &line, &len, &error), -1);
	test_assert_str(error, "line longer than 5 bytes");
	tls_stream_free(&s);
	close(peer);

	/* A line without end that passes the limit fails before its LF. */
	s = plain_pair("aaaaaaaaaaaaaaaaaaaaaaaa", &peer);
	test_assert_int(tls_stream_read_line(s, 10, &line, &len, &error), -1);
	test_assert_str(error, "line longer than 10 bytes");
	tls_stream_free(&s);
	close(peer);

	s = plain_pair("half", &peer);
	close(peer);
	test_assert_int(tls_stream_read_line(s, 10, &line, &len, &error), -1);
	test_assert_str(error, "connection closed in the middle of a line");
	tls_stream_free(&s);

	struct buf out;
	buf_init(&out);
	s = plain_pair("abc", &peer);
	close(peer);
	test_assert_int(tls_stream_read_exact(s, 4, &out, &error), -1);
	test_assert_str(error, "connection closed by peer");
	tls_stream_free(&s);

	/* read_some: what is there, at most max, then 0 at the end (a
	 * body that runs until close ends without a line end) */
	buf_truncate(&out, 0);
	s = plain_pair("line\nlast", &peer);
	close(peer);
	test_assert_int(tls_stream_read_line(s, 10, &line, &len, &error), 1);
	test_assert_int(tls_stream_read_some(s, 3, &out, &error), 1);
	test_assert_str(out.data, "las");
	test_assert_int(tls_stream_read_some(s, 100, &out, &error), 1);
	test_assert_str(out.data, "last");
	test_assert_int(tls_stream_read_some(s, 100, &out, &error), 0);
	tls_stream_free(&s);
	buf_deinit(&out);
	test_end();
}

static void test_plain_timeout(void)
{
	const char *line, *error = NULL;
	size_t len;
	int peer;
	test_begin("tls_stream timeout and wait");
	struct tls_stream *s = plain_pair(NULL, &peer);
	tls_stream_set_timeout(s, 1);
	test_assert_int(tls_stream_wait(s, 50, &error), 0);
	test_assert_int(tls_stream_read_line(s, 10, &line, &len, &error), -1);
	test_assert_str(error, "timed out");
	if (write(peer, "x\n", 2) != 2)
		abort();
	test_assert_int(tls_stream_wait(s, 1000, &error), 1);
	test_assert_int(tls_stream_read_line(s, 10, &line, &len, &error), 1);
	test_assert_str(line, "x");
	close(peer);
	tls_stream_free(&s);
	test_end();
}

static void test_connect_refused(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sin_len = sizeof(sin);
	const char *error = NULL;
	struct tls_stream *s = NULL;
	test_begin("tls_stream_connect refused");
	/* Bind a port, then free it: nothing listens there. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	test_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	test_assert(getsockname(fd, (struct sockaddr *)&sin, &sin_len) == 0);
	close(fd);
	struct pool *pool = pool_new();
	test_assert_int(tls_stream_connect((struct sockaddr *)&sin, sin_len,
	                                   "localhost", false, NULL, pool, &s,
	                                   &error),
	                -1);
	test_assert_str(error, "connection refused");
	test_assert(s == NULL);
	pool_free(&pool);
	test_end();
}

/* ---- a TLS server in a child process -------------------------------- */

enum server_mode { SERVER_IMPLICIT, SERVER_STARTTLS };

static int ssl_read_line(SSL *ssl, char *line, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		if (SSL_read(ssl, line + len, 1) != 1)
			return -1;
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	return 0;
}

static int plain_read_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		if (read(fd, line + len, 1) != 1)
			return -1;
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	return 0;
}

/* Serves one connection: (STARTTLS: greeting, "STLS", the reply with a
 * plaintext line appended;) handshake; "hello"; echoes one line. */
static void server_child(int listen_fd, enum server_mode mode)
{
	char line[256];
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		_exit(10);
	if (mode == SERVER_STARTTLS) {
		const char *go = "+OK go\r\nINJECTED\r\n";
		if (write(fd, "+OK ready\r\n", 11) != 11 ||
		    plain_read_line(fd, line, sizeof(line)) < 0 ||
		    strcmp(line, "STLS\r\n") != 0 ||
		    write(fd, go, strlen(go)) != (ssize_t)strlen(go))
			_exit(11);
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1)
		_exit(12);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		_exit(13); /* the client refused the certificate */
	if (SSL_write(ssl, "hello\r\n", 7) != 7 ||
	    ssl_read_line(ssl, line, sizeof(line)) < 0)
		_exit(14);
	char reply[300];
	int n = snprintf(reply, sizeof(reply), "echo %s", line);
	SSL_write(ssl, reply, n);
	SSL_shutdown(ssl);
	_exit(0);
}

/* Starts the server; returns its pid and fills the address to connect. */
static pid_t server_start(enum server_mode mode, struct sockaddr_in *sin_r)
{
	socklen_t len = sizeof(*sin_r);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(sin_r, 0, sizeof(*sin_r));
	sin_r->sin_family = AF_INET;
	sin_r->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sin_r, sizeof(*sin_r)) < 0 ||
	    listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin_r, &len) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0)
		server_child(fd, mode);
	close(fd);
	return pid;
}

static int server_wait(pid_t pid)
{
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct tls_case {
	const char *name;
	bool has_ca;
	bool is_verify_off;
	const char *error; /* NULL: must connect */
	bool is_verified;
};

static const struct tls_case tls_cases[] = {
    {"mail.test", false, false,
     "certificate verify failed: self-signed certificate", false},
    {"mail.test", true, false, NULL, true},
    {"localhost", true, false, NULL, true},
    {"other.test", true, false, "certificate verify failed: hostname mismatch",
     false},
    {"other.test", false, true, NULL, false},
};

/* After the handshake: read "hello", send a line, read its echo. */
static void check_tls_talk(struct tls_stream *s, size_t idx)
{
	const char *line, *error;
	size_t len;
	test_assert_idx(tls_stream_read_line(s, 100, &line, &len, &error) == 1,
	                idx);
	test_assert_idx(strcmp(line, "hello") == 0, idx);
	test_assert_idx(tls_stream_write_str(s, "ping\r\n", &error) == 0, idx);
	test_assert_idx(tls_stream_read_line(s, 100, &line, &len, &error) == 1,
	                idx);
	test_assert_idx(strcmp(line, "echo ping") == 0, idx);
	test_assert_idx(tls_stream_read_line(s, 100, &line, &len, &error) == 0,
	                idx);
}

static void test_tls_verify(void)
{
	test_begin("tls_stream implicit TLS and certificate checks");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tls_cases) / sizeof(tls_cases[0]); i++) {
		const struct tls_case *tc = &tls_cases[i];
		struct sockaddr_in sin;
		pid_t pid = server_start(SERVER_IMPLICIT, &sin);
		struct tls_stream_settings set = {
		    .timeout = 5,
		    .ca_file = tc->has_ca ? cert_path : NULL,
		    .is_verify_off = tc->is_verify_off,
		};
		struct tls_stream *s = NULL;
		const char *error = NULL;
		int ret =
		    tls_stream_connect((struct sockaddr *)&sin, sizeof(sin),
		                       tc->name, true, &set, pool, &s, &error);
		if (tc->error != NULL) {
			test_assert_idx(ret == -1 && s == NULL, i);
			test_assert_str(error, tc->error);
		} else {
			test_assert_idx(ret == 0, i);
			if (ret != 0)
				fprintf(stderr, "error: %s\n", error);
		}
		if (s != NULL) {
			test_assert_idx(tls_stream_is_tls(s), i);
			test_assert_idx(
			    tls_stream_is_verified(s) == tc->is_verified, i);
			test_assert_idx(tls_stream_peer_is_loopback(s), i);
			test_assert_idx(
			    strcmp(tls_stream_peer(s), "127.0.0.1") == 0, i);
			check_tls_talk(s, i);
			tls_stream_free(&s);
		}
		int status = server_wait(pid);
		test_assert_idx(status == (tc->error != NULL ? 13 : 0), i);
	}
	pool_free(&pool);
	test_end();
}

static void test_tls_starttls(void)
{
	const char *line, *error = NULL;
	size_t len;
	struct sockaddr_in sin;
	struct tls_stream *s = NULL;
	test_begin("tls_stream STARTTLS drops plaintext read before it");
	struct pool *pool = pool_new();
	pid_t pid = server_start(SERVER_STARTTLS, &sin);
	struct tls_stream_settings set = {.timeout = 5, .ca_file = cert_path};
	test_assert_int(tls_stream_connect((struct sockaddr *)&sin, sizeof(sin),
	                                   "mail.test", false, &set, pool, &s,
	                                   &error),
	                0);
	if (s == NULL)
		abort();
	test_assert(!tls_stream_is_tls(s));
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 1);
	test_assert_str(line, "+OK ready");
	test_assert_int(tls_stream_write_str(s, "STLS\r\n", &error), 0);
	test_assert_int(tls_stream_read_line(s, 100, &line, &len, &error), 1);
	test_assert_str(line, "+OK go");
	test_assert_int(tls_stream_starttls(s, &error), 0);
	test_assert(tls_stream_is_tls(s));
	test_assert(tls_stream_is_verified(s));
	/* "INJECTED" came in plaintext and must not be read. */
	check_tls_talk(s, 0);
	test_assert_int(tls_stream_starttls(s, &error), -1);
	tls_stream_free(&s);
	test_assert_int(server_wait(pid), 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_plain_lines,
	                                      test_plain_limits,
	                                      test_plain_timeout,
	                                      test_connect_refused,
	                                      test_tls_verify,
	                                      test_tls_starttls,
	                                      NULL};
	const char *error;
	cert_path = xasprintf("%s/tls/cert.pem", test_tmpdir());
	key_path = xasprintf("%s/tls/key.pem", test_tmpdir());
	if (tls_selfsigned_create(cert_path, key_path, "mail.test", &error) <
	    0) {
		fprintf(stderr, "tls_selfsigned_create: %s\n", error);
		return 1;
	}
	int ret = test_run(tests);
	free(cert_path);
	free(key_path);
	return ret;
}
