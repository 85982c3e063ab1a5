/* A blocking client stream over TCP, with TLS (OpenSSL) from the start
 * (RFC 8314 implicit TLS) or after STARTTLS/STLS: for programs that say one
 * command and wait for its answer, like the terminal client's IMAP, POP3
 * and autoconfig HTTP. Every read and write has a timeout. The certificate
 * is checked against the trust store (the system's, or a PEM file) and the
 * server name; a failure stops the handshake unless the caller turned
 * checking off, and the reason names what was wrong. */
#ifndef CORE_TLS_STREAM_H
#define CORE_TLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct buf;
struct pool;
struct tls_stream;

#define TLS_STREAM_ERROR_MAX 256

struct tls_stream_settings {
	unsigned timeout;    /* seconds for connect, handshake and each
	                        read or write; 0: 30 */
	const char *ca_file; /* PEM trust anchors; NULL: the system's */
	bool is_verify_off;  /* accept any certificate (the user chose so) */
};

/* Connects to sa (a blocking connect bounded by the timeout); with
 * is_tls, runs the TLS handshake at once, sending servername as SNI and
 * checking the certificate against it. Returns 0 with *stream_r, or -1
 * with a reason allocated from pool in *error_r ("connection refused",
 * "certificate verify failed: self-signed certificate", "timed out"...).
 * set and servername are copied. */
int tls_stream_connect(const struct sockaddr *sa, socklen_t sa_len,
                       const char *servername, bool is_tls,
                       const struct tls_stream_settings *set, struct pool *pool,
                       struct tls_stream **stream_r, const char **error_r);
/* Wraps a connected socket (plain); the stream owns fd. For tests. */
struct tls_stream *tls_stream_new_fd(int fd,
                                     const struct tls_stream_settings *set,
                                     const char *servername);
/* Closes; sets *stream to NULL; accepts NULL. */
void tls_stream_free(struct tls_stream **stream);

/* Starts TLS on a plain stream after the protocol's STARTTLS was accepted;
 * input already buffered is dropped first (RFC 3207 §4, RFC 2595 §4).
 * Returns 0, or -1 with *error_r (kept until the stream's next failure). */
int tls_stream_starttls(struct tls_stream *stream, const char **error_r);

/* Reads one line ending in LF. Returns 1 with *line_r (CRLF or LF cut off,
 * NUL-terminated, valid until the next read) and *len_r; 0 at end of
 * stream before any byte of a line; -1 with *error_r on error, timeout or
 * a line longer than max bytes. */
int tls_stream_read_line(struct tls_stream *stream, size_t max,
                         const char **line_r, size_t *len_r,
                         const char **error_r);
/* Reads exactly size bytes and appends them to out. Returns 0, or -1 with
 * *error_r (end of stream counts as an error). */
int tls_stream_read_exact(struct tls_stream *stream, size_t size,
                          struct buf *out, const char **error_r);
/* Appends what has arrived (waiting for something when nothing has),
 * at most max bytes, to out: for a body that runs until the peer closes.
 * Returns 1 when bytes were appended, 0 at end of stream, -1 with
 * *error_r. */
int tls_stream_read_some(struct tls_stream *stream, size_t max,
                         struct buf *out, const char **error_r);
/* Buffers data for sending; the buffer is sent by tls_stream_flush() and
 * before any read. Returns 0, or -1 with *error_r. */
int tls_stream_write(struct tls_stream *stream, const void *data, size_t size,
                     const char **error_r);
int tls_stream_write_str(struct tls_stream *stream, const char *str,
                         const char **error_r);
int tls_stream_flush(struct tls_stream *stream, const char **error_r);

/* Waits up to msecs for input (buffered input counts). Returns 1 when
 * there is some, 0 on timeout, -1 with *error_r. For IMAP IDLE. */
int tls_stream_wait(struct tls_stream *stream, int msecs,
                    const char **error_r);
/* Changes the timeout of later reads and writes (seconds, 0: 30). */
void tls_stream_set_timeout(struct tls_stream *stream, unsigned secs);

bool tls_stream_is_tls(const struct tls_stream *stream);
/* True once a TLS handshake checked the certificate and the name (false
 * when checking was off). */
bool tls_stream_is_verified(const struct tls_stream *stream);
/* The peer's numeric address, and whether it is loopback. */
const char *tls_stream_peer(const struct tls_stream *stream);
bool tls_stream_peer_is_loopback(const struct tls_stream *stream);

#endif
