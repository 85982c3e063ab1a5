/* Tests for tls.c: the self-signed pair (mode, SAN, loads as a server
 * context) and STARTTLS over a conn: plaintext sent after STARTTLS is
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

static void test_tls_selfsigned(void)
{
	const char *error;
	struct stat st;
	test_begin("tls_selfsigned_create");
	cert_path = xasprintf("%s/tls/cert.pem", test_tmpdir());
	key_path = xasprintf("%s/tls/key.pem", test_tmpdir());
	test_assert(
	    tls_selfsigned_create(cert_path, key_path, "mx.test", &error) == 0);
	test_assert(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600);
	FILE *f = fopen(cert_path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	test_assert(x != NULL);
	if (x != NULL) {
		test_assert(X509_check_host(x, "mx.test", 0, 0, NULL) == 1);
		test_assert(X509_check_host(x, "localhost", 0, 0, NULL) == 1);
		test_assert(X509_check_host(x, "other.test", 0, 0, NULL) != 1);
		X509_free(x);
	}
	if (f != NULL)
		fclose(f);
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

int main(void)
{
	static void (*const tests[])(void) = {test_tls_selfsigned,
	                                      test_tls_starttls, NULL};
	int ret = test_run(tests);
	free(cert_path);
	free(key_path);
	return ret;
}
