/* struct conn: one client connection, plain TCP or TLS behind the same calls
 * (libevent bufferevents underneath), shared by smtpd, pop3d and imapd.
 * Input is read as lines with an explicit limit, or as raw bytes (BDAT,
 * literals, DATA filters); output is buffered, and while it is above
 * output_max the owner's input callback is not called (backpressure).
 * STARTTLS flushes the pending output, DISCARDS any plaintext already
 * received (CVE-2011-0411) and swaps in a TLS stream without the protocol
 * code noticing. Callbacks run on the event loop; the owner frees the conn
 * only from its closed callback or outside any conn callback.
 * Time limits: the idle timeout, which every byte restarts, and deadlines
 * that bytes cannot extend (conn_deadline.h): a server TLS handshake, a
 * session deadline, one line from its first byte, a transfer's minimum
 * rate. A handshake that fails, is abandoned (EOF, reset) or passes its
 * deadline ends the conn at once with CONN_STATUS_ERROR, whatever output
 * was waiting for it. */
#ifndef CORE_CONN_H
#define CORE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/conn_deadline.h"

struct conn;
struct event_loop;
struct tls_server;
struct tls_client;

enum conn_status {
	CONN_STATUS_EOF,     /* the peer closed (its output was flushed) */
	CONN_STATUS_ERROR,   /* socket or TLS error: see conn_error_str() */
	CONN_STATUS_TIMEOUT, /* idle with no timeout callback, or stuck output
	                      */
	CONN_STATUS_CLOSED,  /* conn_close_after_flush() finished */
};

enum conn_error {
	CONN_ERROR_NONE,
	CONN_ERROR_TOO_LONG, /* a line passed its limit and was dropped */
	CONN_ERROR_EOF,      /* no more input will come */
};

typedef void conn_cb(struct conn *conn, void *ctx);
typedef void conn_closed_cb(struct conn *conn, enum conn_status status,
                            void *ctx);

struct conn_callbacks {
	/* New input is buffered (or reading was resumed): read until 0. */
	conn_cb *input;
	/* A timeout or deadline passed, conn_timeout_kind() says which:
	 * typically reply and close after flush. Not called for a TLS
	 * handshake (closed follows with CONN_STATUS_ERROR). May be NULL:
	 * the conn is then closed with CONN_STATUS_TIMEOUT. */
	conn_cb *timeout;
	/* The conn is finished; the owner must conn_free() it now. */
	conn_closed_cb *closed;
	/* May be NULL: the TCP connection is up (conn_connect), or a TLS
	 * handshake is done: a client's (conn_starttls_client), or a
	 * server's, implicit or after conn_starttls (sieved sends its
	 * capabilities again then, RFC 5804 §2.2). */
	conn_cb *connected;
	/* May be NULL: the output has been written out completely (a client
	 * streaming a message refills it here). */
	conn_cb *drained;
};

struct conn_settings {
	size_t input_max;  /* bytes buffered before reading stops; must be
	                      larger than any line limit (0: 64 KiB) */
	size_t output_max; /* backpressure above this (0: 256 KiB) */
	/* seconds a server TLS handshake may take, implicit or after
	 * STARTTLS (0: 60) */
	unsigned handshake_timeout;
};

/* Wraps the connected socket fd (which it owns from now on). With tls not
 * NULL the server side of a TLS handshake starts at once (implicit TLS,
 * RFC 8314). Reading starts immediately. settings may be NULL. */
struct conn *conn_new(struct event_loop *loop, int fd, struct tls_server *tls,
                      const struct conn_settings *settings,
                      const struct conn_callbacks *callbacks, void *ctx);
/* Closes the socket and frees; sets *conn to NULL; accepts NULL. */
void conn_free(struct conn **conn);

/* Reads one line of at most max bytes including its LF. Returns 1 with the
 * line, without LF and without a CR just before it, in *line_r (NUL-
 * terminated; may hold NULs; valid until the next read call); 0 if no full
 * line is buffered yet; -1 with conn_last_error() CONN_ERROR_TOO_LONG (the
 * line is dropped up to its LF and the next call resyncs) or
 * CONN_ERROR_EOF. *has_bare_lf_r (may be NULL) says it ended in LF only. */
int conn_read_line(struct conn *conn, size_t max, const char **line_r,
                   size_t *len_r, bool *has_bare_lf_r);
enum conn_error conn_last_error(const struct conn *conn);
/* Shows the buffered input without removing it. Returns 1 with at least one
 * byte, 0 if nothing is buffered, -1 if nothing is buffered and the peer
 * closed. The bytes are valid until the next conn call. */
int conn_peek(struct conn *conn, const unsigned char **data_r, size_t *size_r);
/* Removes the first n (<= buffered) bytes of input. */
void conn_consume(struct conn *conn, size_t n);

void conn_write(struct conn *conn, const void *data, size_t size);
void conn_write_str(struct conn *conn, const char *str);
/* Returns true while output is above output_max: stop producing. Reading
 * stops meanwhile; once output falls below the limit the input callback
 * runs again only if input is waiting, so a producer that is not driven by
 * input (RETR, FETCH of a large body) resumes from the drained callback. */
bool conn_output_is_full(struct conn *conn);

/* Sets the idle timeout in seconds (0: none); restarts the clock. */
void conn_set_timeout(struct conn *conn, unsigned secs);
/* A deadline secs from now that no input moves (0 cancels it): greeting to
 * login, one request. When it passes, the timeout callback runs with
 * conn_timeout_kind() CONN_TIMEOUT_DEADLINE (once). */
void conn_set_deadline(struct conn *conn, unsigned secs);
/* A line must be complete within secs of its first byte (0: no limit), or
 * the timeout callback runs with CONN_TIMEOUT_LINE. conn_read_line keeps
 * the clock: it runs while an incomplete line is buffered. */
void conn_set_line_timeout(struct conn *conn, unsigned secs);
/* For owners that parse lines from conn_peek (IMAP): true while they hold
 * an incomplete command line, false once it is complete. */
void conn_set_line_pending(struct conn *conn, bool is_pending);
/* A transfer (SMTP DATA, BDAT) must end within base_secs plus one second
 * per min_rate bytes received (Postfix's smtpd_min_data_rate), or the
 * timeout callback runs with CONN_TIMEOUT_TRANSFER. min_rate 0: no limit.
 * Does nothing while one runs; conn_transfer_end stops it. */
void conn_transfer_begin(struct conn *conn, unsigned base_secs,
                         unsigned min_rate);
void conn_transfer_end(struct conn *conn);
/* Which limit called the timeout callback last (CONN_TIMEOUT_NONE before
 * any). */
enum conn_timeout conn_timeout_kind(const struct conn *conn);
/* True while a TLS handshake runs (nothing written reaches the peer). */
bool conn_is_handshaking(const struct conn *conn);
/* While paused the input callback is not called (data stays buffered);
 * unpausing calls it again from the loop if input is waiting. */
void conn_set_input_paused(struct conn *conn, bool is_paused);
/* Stops reading, writes what is buffered, then calls closed with
 * CONN_STATUS_CLOSED (from the loop, never from inside this call). */
void conn_close_after_flush(struct conn *conn);
bool conn_is_closing(const struct conn *conn);

/* STARTTLS (RFC 3207 §4): drops all buffered input now, and once the
 * output written so far (the "go ahead" reply) is flushed, starts the
 * server handshake. Returns 0, or -1 with *error_r if already TLS. */
int conn_starttls(struct conn *conn, struct tls_server *tls,
                  const char **error_r);
bool conn_is_tls(const struct conn *conn);
/* "TLSv1.3" and the cipher name once the handshake is done, else "". */
const char *conn_tls_version(const struct conn *conn);
const char *conn_tls_cipher(const struct conn *conn);

/* COMPRESS=DEFLATE (RFC 4978): from now on input is inflated and output
 * deflated (raw deflate, RFC 1951, a sync flush after each write). Call it
 * after writing the tagged OK, which goes out uncompressed; input already
 * buffered is dropped (the client may not send any before the OK). Returns
 * 0, or -1 with *error_r (already compressed, zlib failed). STARTTLS is
 * refused afterwards. */
int conn_compress_start(struct conn *conn, const char **error_r);
bool conn_is_compressed(const struct conn *conn);

/* ---- Client side (relay) ------------------------------------------- */

/* Starts a non-blocking TCP connect to sa; callbacks->connected runs when
 * it is up, closed (CONN_STATUS_ERROR, or the timeout callback / TIMEOUT
 * once conn_set_timeout's time passes) when it fails. Never NULL: an
 * immediate failure is reported through closed from the loop. */
struct conn *conn_connect(struct event_loop *loop, const struct sockaddr *sa,
                          socklen_t sa_len,
                          const struct conn_settings *settings,
                          const struct conn_callbacks *callbacks, void *ctx);
/* Client STARTTLS (RFC 3207 §4): once the output written so far (the
 * STARTTLS command) is flushed, drops any buffered input (nothing may
 * follow the 220 reply) and runs the client handshake with servername as
 * SNI; callbacks->connected runs when it is done, closed if it fails.
 * Returns 0, or -1 with *error_r if already TLS. */
int conn_starttls_client(struct conn *conn, struct tls_client *tls,
                         const char *servername, const char **error_r);
/* Returns true once a client TLS handshake is done and the certificate
 * verified and matched servername (tls_bufferevent_is_verified). */
bool conn_tls_is_verified(const struct conn *conn);

/* The peer's numeric address ("unknown" if not IP). */
const char *conn_peer_addr(const struct conn *conn);
bool conn_peer_is_loopback(const struct conn *conn);
/* The detail of the last CONN_STATUS_ERROR, for a log line. */
const char *conn_error_str(const struct conn *conn);

#endif
