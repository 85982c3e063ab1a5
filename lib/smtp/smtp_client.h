/* The SMTP client engine (RFC 5321 §3, §4): one outgoing session on a
 * struct conn that it connects itself. Greeting, EHLO with HELO fallback,
 * STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954), then any number of
 * mail transactions, each with PIPELINING (RFC 2920), SIZE (RFC 1870),
 * 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461) and CHUNKING
 * (RFC 3030) used when the peer offers them, and FUTURERELEASE (RFC 4865)
 * when a message asks to be sent later. Replies are parsed strictly
 * with bounded memory (smtp_client_reply.h). Policy-free: the owner
 * (servers/relay) decides where to connect and what a failure means. */
#ifndef SMTP_SMTP_CLIENT_H
#define SMTP_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

struct event_loop;
struct tls_client;
struct smtp_client;

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,          /* never STARTTLS */
	SMTP_CLIENT_TLS_OPPORTUNISTIC, /* when offered; a failed handshake
	                                  fails the session (RFC 3207 §4.1) */
	SMTP_CLIENT_TLS_REQUIRED,      /* no TLS, no mail (4.7.10) */
	SMTP_CLIENT_TLS_IMPLICIT,      /* TLS before the greeting
	                                  (RFC 8314 §3.3, port 465) */
};

struct smtp_client_settings {
	const char *helo_name;    /* our host name for EHLO/HELO */
	const char *servername;   /* the peer's name for SNI and logs */
	unsigned connect_timeout; /* seconds; 0: 30 */
	unsigned command_timeout; /* greeting, EHLO, MAIL, RCPT (§4.5.3.2) */
	unsigned data_timeout;    /* data blocks and the final reply */
	enum smtp_client_tls tls_mode;
	struct tls_client *tls; /* needed unless tls_mode is NONE */
	const char *auth_user;  /* AUTH when not NULL or "" */
	const char *auth_password;
	bool allow_plain_auth; /* AUTH without TLS (loopback smarthost) */
	/* The session fails (421 4.7.5, "certificate verify failed: ...")
	 * unless the TLS certificate verified and matched servername; tls
	 * should then come from tls_client_new_verify(..., true, ...) so
	 * the handshake stops before anything is sent (RFC 8314 §4.1). */
	bool is_verify_required;
};

/* The outcome of a command or a whole transaction for one recipient. */
struct smtp_client_status {
	unsigned code;     /* reply code; 4xx for local failures, 0: none */
	char enhanced[16]; /* "5.1.1" (from the reply or chosen by us) */
	char text[512];    /* the reply text, or our reason */
};

struct smtp_client_rcpt {
	const char *address;
	const char *orcpt;  /* DSN ORCPT (xtext) or NULL */
	const char *notify; /* DSN NOTIFY or NULL */
	/* filled in: the fate of this recipient, and whether the peer took
	 * our DSN parameters (false: the peer lacks DSN, RFC 3461 §5.2.2
	 * "relayed") */
	struct smtp_client_status status;
	bool is_dsn_passed;
};

struct smtp_client_message {
	const char *sender;  /* "" for <> */
	const char *ret;     /* DSN RET or NULL */
	const char *envid;   /* DSN ENVID (xtext) or NULL */
	bool is_8bit;        /* the body holds 8-bit bytes (BODY=8BITMIME) */
	bool needs_smtputf8; /* UTF-8 in addresses or headers */
	time_t release;      /* send later (HOLDUNTIL, RFC 4865); 0: now */
	int fd;              /* the message: size bytes at offset of fd */
	off_t offset;
	uint64_t size;
	size_t rcpt_count;
	struct smtp_client_rcpt *rcpts;
};

struct smtp_client_callbacks {
	/* The session is up (after EHLO, STARTTLS, AUTH), or the last
	 * message is done: hand over the next one or quit. */
	void (*ready)(struct smtp_client *client, void *ctx);
	/* Every recipient of msg has its status. */
	void (*message_done)(struct smtp_client *client,
	                     struct smtp_client_message *msg, void *ctx);
	/* The session is over. is_ready_seen says whether it ever reached
	 * ready; status says why it ended before (for trying the next host).
	 * The owner must smtp_client_free() it now or later. */
	void (*closed)(struct smtp_client *client, bool is_ready_seen,
	               const struct smtp_client_status *status, void *ctx);
};

/* Connects to sa and runs the session; callbacks come from the loop.
 * settings' strings and tls must outlive the client. Never fails: an
 * error arrives through closed. */
struct smtp_client *smtp_client_new(struct event_loop *loop,
                                    const struct sockaddr *sa, socklen_t sa_len,
                                    const struct smtp_client_settings *set,
                                    const struct smtp_client_callbacks *cb,
                                    void *ctx);
/* Closes the connection without QUIT (a message in progress is not
 * reported); sets *client to NULL; accepts NULL. */
void smtp_client_free(struct smtp_client **client);

/* Starts a transaction; only after ready. msg and its strings must live
 * until message_done. A recipient the peer could never take (SMTPUTF8,
 * 8BITMIME or SIZE it lacks) gets its status without being sent. */
void smtp_client_send(struct smtp_client *client,
                      struct smtp_client_message *msg);
/* Sends QUIT and closes once it is answered (or after a short time);
 * closed follows. Only after ready. */
void smtp_client_quit(struct smtp_client *client);

/* Fills status (enhanced and text are copied, cut to fit). */
void smtp_client_status_set(struct smtp_client_status *status, unsigned code,
                            const char *enhanced, const char *text);

/* The peer's address and what it offered, for log lines. */
const char *smtp_client_peer(const struct smtp_client *client);
bool smtp_client_is_tls(const struct smtp_client *client);
bool smtp_client_is_tls_verified(const struct smtp_client *client);

#endif
