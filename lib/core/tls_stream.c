/* A blocking client stream over TCP with optional TLS (tls_stream.h): the
 * socket is non-blocking underneath and every wait goes through poll() with
 * the stream's timeout. TLS is OpenSSL with SNI (RFC 6066 §3), the peer
 * certificate checked against the trust store and the server name (RFC 6125
 * via X509_VERIFY_PARAM_set1_host), for implicit TLS (RFC 8314 §3) and
 * STARTTLS (RFC 3207 §4, RFC 2595 §4). Input buffered before STARTTLS is
 * dropped so nothing a man in the middle injected is read as protected. */
#include "core/tls_stream.h"
#include "core/buf.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TLS_STREAM_DEFAULT_TIMEOUT 30
#define TLS_STREAM_READ_CHUNK 16384
#define TLS_STREAM_WRITE_MAX 65536 /* flush when more is buffered */
#define TLS_STREAM_WOULD_BLOCK (-2)

struct tls_stream {
	int fd;
	unsigned timeout; /* seconds */
	char *ca_file;
	char *servername;
	bool is_verify_off;
	SSL_CTX *ctx;
	SSL *ssl;
	bool is_verified;
	bool is_eof;
	struct buf in;
	struct buf out;
	struct buf line;
	char peer[NET_ADDR_STR_MAX];
	bool is_loopback;
	char error[TLS_STREAM_ERROR_MAX];
};

__attribute__((format(printf, 2, 3))) static const char *
stream_fail(struct tls_stream *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return s->error;
}

static const char *errno_text(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ETIMEDOUT:
		return "timed out";
	case ECONNRESET:
		return "connection reset by peer";
	case EPIPE:
		return "connection closed by peer";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	default:
		return strerror(err);
	}
}

static void stream_set_peer(struct tls_stream *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getpeername(s->fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(s->peer, sizeof(s->peer), "unknown");
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		/* A socket on this machine (tests, local proxies). */
		snprintf(s->peer, sizeof(s->peer), "local");
		s->is_loopback = true;
		return;
	}
	net_addr_str((struct sockaddr *)&ss, s->peer);
	s->is_loopback = net_addr_is_loopback((struct sockaddr *)&ss);
}

static struct tls_stream *stream_new(int fd,
                                     const struct tls_stream_settings *set,
                                     const char *servername)
{
	struct tls_stream *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->timeout = set != NULL && set->timeout != 0
	                 ? set->timeout
	                 : TLS_STREAM_DEFAULT_TIMEOUT;
	if (set != NULL && set->ca_file != NULL)
		s->ca_file = xstrdup(set->ca_file);
	s->is_verify_off = set != NULL && set->is_verify_off;
	s->servername = xstrdup(servername != NULL ? servername : "");
	buf_init(&s->in);
	buf_init(&s->out);
	buf_init(&s->line);
	return s;
}

struct tls_stream *tls_stream_new_fd(int fd,
                                     const struct tls_stream_settings *set,
                                     const char *servername)
{
	struct tls_stream *s = stream_new(fd, set, servername);
	(void)net_set_nonblock(fd);
	stream_set_peer(s);
	return s;
}

void tls_stream_free(struct tls_stream **stream)
{
	struct tls_stream *s = *stream;
	if (s == NULL)
		return;
	if (s->ssl != NULL) {
		/* close_notify is a courtesy; never wait for it. */
		(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	SSL_CTX_free(s->ctx);
	ERR_clear_error();
	if (s->fd >= 0)
		close(s->fd);
	buf_deinit(&s->in);
	buf_deinit(&s->out);
	buf_deinit(&s->line);
	free(s->ca_file);
	free(s->servername);
	free(s);
	*stream = NULL;
}

static long long now_msecs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the fd until deadline (monotonic msecs). Returns 1
 * when ready, 0 on timeout, -1 with the error set. */
static int stream_poll(struct tls_stream *s, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_msecs();
		if (left < 0)
			left = 0;
		struct pollfd pfd = {.fd = s->fd, .events = events};
		int ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 1;
		if (ret == 0)
			return 0;
		if (errno != EINTR) {
			stream_fail(s, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static long long stream_deadline(const struct tls_stream *s)
{
	return now_msecs() + (long long)s->timeout * 1000;
}

/* Waits as OpenSSL or the socket asked (want is POLLIN or POLLOUT).
 * Returns 0 when ready, -1 with "timed out" or a poll error. */
static int stream_wait_want(struct tls_stream *s, short want,
                            long long deadline)
{
	int ret = stream_poll(s, want, deadline);
	if (ret == 0)
		stream_fail(s, "timed out");
	return ret > 0 ? 0 : -1;
}

/* Describes a failed OpenSSL call (ssl_err from SSL_get_error) in the
 * stream's error text, prefixed with what. */
static void stream_fail_ssl(struct tls_stream *s, int ssl_err, const char *what)
{
	unsigned long e = ERR_get_error();
	if (e != 0) {
		const char *reason = ERR_reason_error_string(e);
		stream_fail(s, "%s: %s", what,
		            reason != NULL ? reason : "unknown TLS error");
	} else if (ssl_err == SSL_ERROR_SYSCALL && errno != 0) {
		stream_fail(s, "%s: %s", what, errno_text(errno));
	} else {
		stream_fail(s, "%s: connection closed by peer", what);
	}
	ERR_clear_error();
}

/* Reads what is available. Returns the byte count, 0 at end of stream,
 * TLS_STREAM_WOULD_BLOCK with *want_r, or -1 with the error set. */
static ssize_t stream_recv(struct tls_stream *s, char *dst, size_t size,
                           short *want_r)
{
	if (s->ssl == NULL) {
		ssize_t n = read(s->fd, dst, size);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			*want_r = POLLIN;
			return TLS_STREAM_WOULD_BLOCK;
		}
		stream_fail(s, "read: %s", errno_text(errno));
		return -1;
	}
	ERR_clear_error();
	int n = SSL_read(s->ssl, dst, size > INT_MAX ? INT_MAX : (int)size);
	if (n > 0)
		return n;
	int err = SSL_get_error(s->ssl, n);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		*want_r = POLLIN;
		return TLS_STREAM_WOULD_BLOCK;
	case SSL_ERROR_WANT_WRITE:
		*want_r = POLLOUT;
		return TLS_STREAM_WOULD_BLOCK;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		stream_fail_ssl(s, err, "TLS read");
		return -1;
	}
}

/* Writes some of data. Returns the byte count, TLS_STREAM_WOULD_BLOCK with
 * *want_r, or -1 with the error set. */
static ssize_t stream_send(struct tls_stream *s, const char *data, size_t size,
                           short *want_r)
{
	if (s->ssl == NULL) {
		ssize_t n = send(s->fd, data, size, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			*want_r = POLLOUT;
			return TLS_STREAM_WOULD_BLOCK;
		}
		if (errno == ENOTSOCK) /* a pipe in a test */
			n = write(s->fd, data, size);
		if (n >= 0)
			return n;
		stream_fail(s, "write: %s", errno_text(errno));
		return -1;
	}
	ERR_clear_error();
	int n = SSL_write(s->ssl, data, size > INT_MAX ? INT_MAX : (int)size);
	if (n > 0)
		return n;
	int err = SSL_get_error(s->ssl, n);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		*want_r = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return TLS_STREAM_WOULD_BLOCK;
	}
	stream_fail_ssl(s, err, "TLS write");
	return -1;
}

int tls_stream_flush(struct tls_stream *s, const char **error_r)
{
	long long deadline = stream_deadline(s);
	size_t done = 0;
	while (done < s->out.len) {
		short want = 0;
		ssize_t n = stream_send(s, s->out.data + done,
		                        s->out.len - done, &want);
		if (n == TLS_STREAM_WOULD_BLOCK) {
			if (stream_wait_want(s, want, deadline) < 0)
				goto fail;
			continue;
		}
		if (n < 0)
			goto fail;
		done += (size_t)n;
		deadline = stream_deadline(s); /* the timeout is per write */
	}
	buf_truncate(&s->out, 0);
	return 0;
fail:
	buf_consume(&s->out, done);
	*error_r = s->error;
	return -1;
}

int tls_stream_write(struct tls_stream *s, const void *data, size_t size,
                     const char **error_r)
{
	buf_append(&s->out, data, size);
	if (s->out.len >= TLS_STREAM_WRITE_MAX)
		return tls_stream_flush(s, error_r);
	return 0;
}

int tls_stream_write_str(struct tls_stream *s, const char *str,
                         const char **error_r)
{
	return tls_stream_write(s, str, strlen(str), error_r);
}

/* Reads more input into s->in, waiting up to the timeout. Returns 1 when
 * something was added, 0 at end of stream, -1 with *error_r. */
static int stream_fill(struct tls_stream *s, const char **error_r)
{
	if (s->out.len > 0 && tls_stream_flush(s, error_r) < 0)
		return -1;
	if (s->is_eof)
		return 0;
	long long deadline = stream_deadline(s);
	for (;;) {
		short want = 0;
		buf_reserve(&s->in, TLS_STREAM_READ_CHUNK);
		ssize_t n = stream_recv(s, s->in.data + s->in.len,
		                        TLS_STREAM_READ_CHUNK, &want);
		if (n > 0) {
			s->in.len += (size_t)n;
			s->in.data[s->in.len] = '\0';
			return 1;
		}
		if (n == 0) {
			s->is_eof = true;
			return 0;
		}
		if (n == -1 || stream_wait_want(s, want, deadline) < 0) {
			*error_r = s->error;
			return -1;
		}
	}
}

int tls_stream_read_line(struct tls_stream *s, size_t max, const char **line_r,
                         size_t *len_r, const char **error_r)
{
	size_t scanned = 0;
	for (;;) {
		const char *lf =
		    memchr(s->in.data + scanned, '\n', s->in.len - scanned);
		if (lf != NULL) {
			size_t len = (size_t)(lf - s->in.data);
			size_t used = len + 1;
			if (len > 0 && s->in.data[len - 1] == '\r')
				len--;
			if (len > max)
				break;
			buf_truncate(&s->line, 0);
			buf_append(&s->line, s->in.data, len);
			buf_consume(&s->in, used);
			*line_r = s->line.data;
			*len_r = len;
			return 1;
		}
		scanned = s->in.len;
		/* max plus CR is the most a line can hold before its LF. */
		if (s->in.len > max + 1)
			break;
		int ret = stream_fill(s, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0) {
			if (s->in.len == 0)
				return 0;
			*error_r = stream_fail(s, "connection closed in the "
			                          "middle of a line");
			return -1;
		}
	}
	*error_r = stream_fail(s, "line longer than %zu bytes", max);
	return -1;
}

int tls_stream_read_exact(struct tls_stream *s, size_t size, struct buf *out,
                          const char **error_r)
{
	while (size > 0) {
		if (s->in.len == 0) {
			int ret = stream_fill(s, error_r);
			if (ret < 0)
				return -1;
			if (ret == 0) {
				*error_r = stream_fail(s, "connection closed "
				                          "by peer");
				return -1;
			}
		}
		size_t n = s->in.len < size ? s->in.len : size;
		buf_append(out, s->in.data, n);
		buf_consume(&s->in, n);
		size -= n;
	}
	return 0;
}

int tls_stream_read_some(struct tls_stream *s, size_t max, struct buf *out,
                         const char **error_r)
{
	if (s->in.len == 0) {
		int ret = stream_fill(s, error_r);
		if (ret <= 0)
			return ret;
	}
	size_t n = s->in.len < max ? s->in.len : max;
	buf_append(out, s->in.data, n);
	buf_consume(&s->in, n);
	return 1;
}

int tls_stream_wait(struct tls_stream *s, int msecs, const char **error_r)
{
	if (s->out.len > 0 && tls_stream_flush(s, error_r) < 0)
		return -1;
	long long deadline = now_msecs() + (msecs < 0 ? 0 : msecs);
	for (;;) {
		if (s->in.len > 0 || s->is_eof)
			return 1;
		if (s->ssl != NULL && SSL_pending(s->ssl) > 0)
			return 1;
		int ret = stream_poll(s, POLLIN, deadline);
		if (ret <= 0) {
			if (ret < 0)
				*error_r = s->error;
			return ret;
		}
		if (s->ssl == NULL)
			return 1;
		/* A TLS record may carry no data (a TLS 1.3 session
		 * ticket): read it now and wait again if it was empty. */
		short want = 0;
		buf_reserve(&s->in, TLS_STREAM_READ_CHUNK);
		ssize_t n = stream_recv(s, s->in.data + s->in.len,
		                        TLS_STREAM_READ_CHUNK, &want);
		if (n > 0) {
			s->in.len += (size_t)n;
			s->in.data[s->in.len] = '\0';
		} else if (n == 0) {
			s->is_eof = true;
		} else if (n == -1) {
			*error_r = s->error;
			return -1;
		} else if (want == POLLOUT &&
		           stream_wait_want(s, POLLOUT, deadline) < 0) {
			return 0;
		}
	}
}

void tls_stream_set_timeout(struct tls_stream *s, unsigned secs)
{
	s->timeout = secs != 0 ? secs : TLS_STREAM_DEFAULT_TIMEOUT;
}

bool tls_stream_is_tls(const struct tls_stream *s)
{
	return s->ssl != NULL;
}

bool tls_stream_is_verified(const struct tls_stream *s)
{
	return s->is_verified;
}

const char *tls_stream_peer(const struct tls_stream *s)
{
	return s->peer;
}

bool tls_stream_peer_is_loopback(const struct tls_stream *s)
{
	return s->is_loopback;
}

static bool is_ip_literal(const char *name)
{
	unsigned char addr[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, name, addr) == 1 ||
	       inet_pton(AF_INET6, name, addr) == 1;
}

/* Makes the context and the SSL object: TLS 1.2 or later, the trust
 * anchors, SNI and the name to check. Returns 0 or -1 with the error. */
static int stream_ssl_new(struct tls_stream *s)
{
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (s->ctx == NULL) {
		stream_fail(s, "cannot make a TLS client context");
		return -1;
	}
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_COMPRESSION |
	                                SSL_OP_NO_RENEGOTIATION |
	                                SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (s->is_verify_off) {
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	} else if (s->ca_file != NULL) {
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_load_verify_locations(s->ctx, s->ca_file, NULL) !=
		    1) {
			stream_fail_ssl(s, SSL_ERROR_SSL, s->ca_file);
			return -1;
		}
	} else {
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
		(void)SSL_CTX_set_default_verify_paths(s->ctx);
	}
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
		stream_fail(s, "cannot make a TLS connection object");
		return -1;
	}
	const char *name = s->servername;
	X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
	if (name[0] == '\0') {
		if (!s->is_verify_off) {
			stream_fail(s, "certificate verify failed: no server "
			               "name to check");
			return -1;
		}
	} else if (is_ip_literal(name)) {
		/* RFC 6066 §3: SNI never carries an address. */
		(void)X509_VERIFY_PARAM_set1_ip_asc(param, name);
	} else {
		(void)SSL_set_tlsext_host_name(s->ssl, name);
		X509_VERIFY_PARAM_set_hostflags(
		    param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		(void)X509_VERIFY_PARAM_set1_host(param, name, 0);
	}
	ERR_clear_error();
	return 0;
}

/* Runs the client handshake on the connected socket. Returns 0, or -1
 * with the error set ("certificate verify failed: ..." when the peer's
 * certificate was the reason). */
static int stream_handshake(struct tls_stream *s)
{
	if (stream_ssl_new(s) < 0)
		return -1;
	long long deadline = stream_deadline(s);
	for (;;) {
		ERR_clear_error();
		int ret = SSL_connect(s->ssl);
		if (ret == 1)
			break;
		int err = SSL_get_error(s->ssl, ret);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			short want =
			    err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			if (stream_wait_want(s, want, deadline) < 0)
				return -1;
			continue;
		}
		long code = SSL_get_verify_result(s->ssl);
		if (!s->is_verify_off && code != X509_V_OK) {
			ERR_clear_error();
			stream_fail(s, "certificate verify failed: %s",
			            tls_verify_error_text(code));
		} else {
			stream_fail_ssl(s, err, "TLS handshake failed");
		}
		return -1;
	}
	s->is_verified = !s->is_verify_off &&
	                 SSL_get0_peer_certificate(s->ssl) != NULL &&
	                 SSL_get_verify_result(s->ssl) == X509_V_OK;
	return 0;
}

int tls_stream_starttls(struct tls_stream *s, const char **error_r)
{
	if (s->ssl != NULL) {
		*error_r = stream_fail(s, "TLS is already active");
		return -1;
	}
	if (s->out.len > 0 && tls_stream_flush(s, error_r) < 0)
		return -1;
	/* RFC 3207 §4, RFC 2595 §4: nothing read before the handshake may
	 * be taken as part of the protected session. */
	buf_truncate(&s->in, 0);
	if (stream_handshake(s) < 0) {
		*error_r = s->error;
		return -1;
	}
	return 0;
}

/* A non-blocking connect bounded by the timeout. Returns the socket, or -1
 * with the error set in s. */
static int stream_tcp_connect(struct tls_stream *s, const struct sockaddr *sa,
                              socklen_t sa_len)
{
	int fd = socket(sa->sa_family,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		stream_fail(s, "socket: %s", strerror(errno));
		return -1;
	}
	s->fd = fd;
	net_set_nodelay(fd); /* a command's pieces go at once */
	if (connect(fd, sa, sa_len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR) {
		stream_fail(s, "%s", errno_text(errno));
		return -1;
	}
	int ret = stream_poll(s, POLLOUT, stream_deadline(s));
	if (ret <= 0) {
		if (ret == 0)
			stream_fail(s, "timed out");
		return -1;
	}
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		stream_fail(s, "%s", errno_text(err));
		return -1;
	}
	return 0;
}

int tls_stream_connect(const struct sockaddr *sa, socklen_t sa_len,
                       const char *servername, bool is_tls,
                       const struct tls_stream_settings *set, struct pool *pool,
                       struct tls_stream **stream_r, const char **error_r)
{
	struct tls_stream *s = stream_new(-1, set, servername);
	if (stream_tcp_connect(s, sa, sa_len) < 0)
		goto fail;
	stream_set_peer(s);
	if (is_tls && stream_handshake(s) < 0)
		goto fail;
	*stream_r = s;
	return 0;
fail:
	*error_r = pool_strdup(pool, s->error);
	tls_stream_free(&s);
	return -1;
}
