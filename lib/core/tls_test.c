/* Tests for tls.c: a server context loads a pair, TLS 1.2 offers ECDHE
 * with AEAD ciphers only (the CBC suites are refused, TLS 1.3 is as it
 * was), and STARTTLS over a conn: plaintext sent after STARTTLS is
 * discarded (CVE-2011-0411) and the protocol keeps reading lines. */
#include "core/tls.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *cert_path, *key_path;

static void test_tls_server_new(void)
{
	const char *error;
	test_begin("tls_server_new");
	struct tls_server *server = NULL;
	test_assert(tls_server_new(cert_path, key_path, &server, &error) == 0);
	tls_server_free(&server);
	test_assert(server == NULL);
	test_assert(tls_server_new("/nonexistent", key_path, &server, &error) <
	            0);
	test_end();
}

/* The client: plaintext STARTTLS plus an injected command, then TLS. */
static void starttls_client(int fd)
{
	const char *hello = "STARTTLS\r\nINJECTED\r\n";
	char buf[256];
	if (write(fd, hello, strlen(hello)) < 0 || read(fd, buf, 8) != 8)
		_exit(1);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		_exit(2);
	SSL_write(ssl, "AFTER\r\n", 7);
	int n = SSL_read(ssl, buf, sizeof(buf) - 1);
	_exit(n > 0 && strncmp(buf, "OK AFTER", 8) == 0 ? 0 : 3);
}

struct tls_reader {
	struct event_loop *loop;
	struct tls_server *server;
	struct buf got;
};

static void tls_reader_input(struct conn *conn, void *ctx)
{
	struct tls_reader *r = ctx;
	const char *line, *error;
	size_t len;
	while (conn_read_line(conn, 100, &line, &len, NULL) > 0) {
		buf_printf(&r->got, "%s|", line);
		if (strcmp(line, "STARTTLS") == 0) {
			conn_write_str(conn, "220 go\r\n");
			test_assert(conn_starttls(conn, r->server, &error) ==
			            0);
		} else {
			conn_write_str(conn, "OK ");
			conn_write(conn, line, len);
			conn_write_str(conn, "\r\n");
			test_assert(conn_is_tls(conn));
			test_assert(
			    strncmp(conn_tls_version(conn), "TLSv1.", 6) == 0);
			conn_close_after_flush(conn);
		}
	}
}

static void tls_reader_closed(struct conn *conn, enum conn_status status,
                              void *ctx)
{
	struct tls_reader *r = ctx;
	(void)conn;
	(void)status;
	event_loop_stop(r->loop);
}

static void test_tls_starttls(void)
{
	static const struct conn_callbacks cb = {
	    .input = tls_reader_input,
	    .closed = tls_reader_closed,
	};
	const char *error;
	int sv[2];
	test_begin("conn_starttls discards buffered plaintext");
	struct tls_reader r = {.loop = event_loop_new()};
	buf_init(&r.got);
	test_assert(tls_server_new(cert_path, key_path, &r.server, &error) ==
	            0);
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		starttls_client(sv[1]);
	}
	close(sv[1]);
	struct conn *conn = conn_new(r.loop, sv[0], NULL, NULL, &cb, &r);
	event_loop_run(r.loop);
	conn_free(&conn);
	int status = -1;
	waitpid(pid, &status, 0);
	test_assert_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	test_assert_str(r.got.data, "STARTTLS|AFTER|");
	tls_server_free(&r.server);
	buf_deinit(&r.got);
	event_loop_free(&r.loop);
	test_end();
}

/* The client of a handshake: offers only cipher (a TLS 1.2 suite) or only
 * suite (TLS 1.3), then says HI. Exits 0 when the server answered, 2 when
 * the handshake failed, 3 on a wrong answer. */
static void cipher_client(int fd, const char *cipher, const char *suite)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (cipher != NULL) {
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		if (SSL_CTX_set_cipher_list(ctx, cipher) != 1)
			_exit(4);
	} else if (SSL_CTX_set_ciphersuites(ctx, suite) != 1) {
		_exit(4);
	}
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		_exit(2);
	char buf[64];
	SSL_write(ssl, "HI\r\n", 4);
	int n = SSL_read(ssl, buf, sizeof(buf) - 1);
	_exit(n > 0 && strncmp(buf, "OK HI", 5) == 0 ? 0 : 3);
}

static void echo_input(struct conn *conn, void *ctx)
{
	const char *line;
	size_t len;
	(void)ctx;
	while (conn_read_line(conn, 100, &line, &len, NULL) > 0) {
		conn_write_str(conn, "OK ");
		conn_write(conn, line, len);
		conn_write_str(conn, "\r\n");
		conn_close_after_flush(conn);
	}
}

static void echo_closed(struct conn *conn, enum conn_status status, void *ctx)
{
	(void)conn;
	(void)status;
	event_loop_stop(ctx);
}

/* The client's exit status after a handshake with our server context. */
static int handshake_with(struct tls_server *server, const char *cipher,
                          const char *suite)
{
	static const struct conn_callbacks cb = {
	    .input = echo_input,
	    .closed = echo_closed,
	};
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		cipher_client(sv[1], cipher, suite);
	}
	close(sv[1]);
	struct event_loop *loop = event_loop_new();
	struct conn *conn = conn_new(loop, sv[0], server, NULL, &cb, loop);
	event_loop_run(loop);
	conn_free(&conn);
	event_loop_free(&loop);
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_tls12_aead_only(void)
{
	/* the four CBC suites OpenSSL 3 offers by default with an ECDSA key,
	 * and static RSA key exchange */
	static const char *const refused[] = {
	    "ECDHE-ECDSA-AES128-SHA",    "ECDHE-ECDSA-AES256-SHA",
	    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
	    "AES128-GCM-SHA256",
	};
	static const char *const accepted[] = {
	    "ECDHE-ECDSA-AES128-GCM-SHA256",
	    "ECDHE-ECDSA-AES256-GCM-SHA384",
	    "ECDHE-ECDSA-CHACHA20-POLY1305",
	};
	static const char *const suites13[] = {
	    "TLS_AES_128_GCM_SHA256",
	    "TLS_AES_256_GCM_SHA384",
	    "TLS_CHACHA20_POLY1305_SHA256",
	};
	const char *error;
	struct tls_server *server = NULL;
	test_begin("TLS 1.2 offers ECDHE with AEAD only; TLS 1.3 unchanged");
	test_assert(tls_server_new(cert_path, key_path, &server, &error) == 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		test_assert_idx(handshake_with(server, refused[i], NULL) == 2,
		                i);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		test_assert_idx(handshake_with(server, accepted[i], NULL) == 0,
		                i);
	for (size_t i = 0; i < sizeof(suites13) / sizeof(suites13[0]); i++)
		test_assert_idx(handshake_with(server, NULL, suites13[i]) == 0,
		                i);
	tls_server_free(&server);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_tls_server_new, test_tls_starttls, test_tls12_aead_only, NULL};
	const char *error;
	cert_path = xasprintf("%s/tls/cert.pem", test_tmpdir());
	key_path = xasprintf("%s/tls/key.pem", test_tmpdir());
	if (tls_selfsigned_create(cert_path, key_path, "mx.test", &error) < 0) {
		fprintf(stderr, "tls_selfsigned_create: %s\n", error);
		return 1;
	}
	int ret = test_run(tests);
	free(cert_path);
	free(key_path);
	return ret;
}
