/* The SMTP server engine (RFC 5321), policy-free, after Dovecot
 * src/lib-smtp/smtp-server.h: it reads commands from a struct conn, checks
 * syntax and sequence, and hands every decision to the server through
 * struct smtp_server_callbacks. Extensions: PIPELINING (RFC 2920), SIZE
 * (RFC 1870), 8BITMIME (RFC 6152), ENHANCEDSTATUSCODES (RFC 2034/3463),
 * SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030), DSN (RFC 3461), STARTTLS
 * (RFC 3207), AUTH (RFC 4954), FUTURERELEASE (RFC 4865). Each callback that gets a cmd answers it with
 * smtp_server_cmd_reply(), now or later (input waits meanwhile). */
#ifndef SMTP_SMTP_SERVER_H
#define SMTP_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "smtp/smtp_syntax.h"

struct conn;
struct event_loop;
struct log;
struct tls_server;
struct smtp_server_conn;
struct smtp_server_cmd;

struct smtp_server_settings {
	const char *hostname;        /* in the greeting and EHLO reply */
	uint64_t max_message_size;   /* SIZE; 0 is unlimited */
	unsigned max_recipients;     /* 452 4.5.3 past it; 0 is unlimited */
	unsigned max_command_line;   /* bytes incl. CRLF (>= 512) */
	unsigned max_text_line;      /* bytes incl. CRLF in DATA/BDAT */
	unsigned max_errors;         /* 421 after this many errors; 0: none */
	unsigned idle_timeout;       /* seconds between commands */
	unsigned data_timeout;       /* seconds between reads in DATA/BDAT */
	/* Deadlines no byte moves; each ends with 421 4.4.2 (0: none). */
	unsigned login_timeout; /* from connect to a successful AUTH */
	unsigned line_timeout;  /* a command line from its first byte */
	/* A message (DATA, or BDAT to LAST) must arrive within data_timeout
	 * plus 1 s per min_data_rate bytes (Postfix smtpd_min_data_rate) */
	unsigned min_data_rate;
	unsigned handshake_timeout;  /* TLS handshake (0: conn's default) */
	/* FUTURERELEASE (RFC 4865): the longest hold in seconds, offered in
	 * EHLO with the date-time it reaches; 0: not offered, and HOLDFOR /
	 * HOLDUNTIL are unknown parameters (555) */
	unsigned future_release_max;
	struct tls_server *starttls; /* offer STARTTLS; NULL: not offered */
	const struct log *log;       /* "reject ..." lines; may be NULL */
};

enum smtp_body { SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

/* MAIL FROM, after RFC 5321 §4.1.1.2 and its extensions. Strings live until
 * the transaction ends (the reset callback). */
struct smtp_server_mail {
	struct smtp_path path; /* is_null for <> */
	uint64_t size;         /* SIZE=, 0 when absent */
	enum smtp_body body;
	bool smtputf8;
	const char *ret;   /* DSN RET "FULL"/"HDRS" (upper case), or NULL */
	const char *envid; /* DSN ENVID (xtext), or NULL */
	const char *auth;  /* AUTH= (RFC 4954 §5, xtext or "<>"), or NULL */
	/* HOLDFOR / HOLDUNTIL (RFC 4865): when to release the message (0:
	 * no hold; a time already past releases it at once), and the
	 * request as DSNs report it: "for;SECONDS" or "until;DATE-TIME" */
	time_t release;
	const char *release_request;
};

/* RCPT TO (§4.1.1.3). */
struct smtp_server_rcpt {
	struct smtp_path path;
	const char *notify; /* DSN NOTIFY, upper case, or NULL */
	const char *orcpt;  /* DSN ORCPT "type;xtext", or NULL */
};

struct smtp_server_callbacks {
	/* EHLO/HELO with a valid domain: returns 0 to accept (the engine
	 * replies), or -1 after replying to cmd. NULL: always accepted. */
	int (*helo)(void *ctx, struct smtp_server_cmd *cmd, const char *domain,
	            bool is_ehlo);
	/* The SASL mechanisms to offer now ("PLAIN LOGIN"), or NULL. */
	const char *(*auth_mechanisms)(void *ctx);
	/* AUTH mech [initial-response]: initial is NULL when absent, "" for
	 * "=". Reply 235, 5xx, or smtp_server_cmd_reply_continue(). */
	void (*auth_begin)(void *ctx, struct smtp_server_cmd *cmd,
	                   const char *mech, const char *initial);
	/* The client's answer to a 334 challenge (not "*"). */
	void (*auth_continue)(void *ctx, struct smtp_server_cmd *cmd,
	                      const char *response);
	/* The exchange was cancelled ("*") or the connection went away. */
	void (*auth_abort)(void *ctx);
	/* A syntactically valid MAIL; reply 250 to start the transaction. */
	void (*mail)(void *ctx, struct smtp_server_cmd *cmd,
	             const struct smtp_server_mail *mail);
	/* A valid RCPT within the limit; reply 250 to add it. */
	void (*rcpt)(void *ctx, struct smtp_server_cmd *cmd,
	             const struct smtp_server_rcpt *rcpt);
	/* DATA or the first BDAT: returns 0 to receive the message, or -1
	 * after replying to cmd (the message is then read and dropped). */
	int (*data_begin)(void *ctx, struct smtp_server_cmd *cmd);
	/* Message bytes (unstuffed, CRLF lines) as they arrive. */
	void (*data_write)(void *ctx, const unsigned char *data, size_t size);
	/* The whole message arrived and passed the engine's checks: make it
	 * durable, then reply (250 only once it is). */
	void (*data_end)(void *ctx, struct smtp_server_cmd *cmd);
	/* The transaction is over (RSET, EHLO, a refused or finished
	 * message, STARTTLS, disconnect): drop it. May be called when there
	 * is none. */
	void (*reset)(void *ctx);
	/* Last call: the connection is gone (reason "quit", "eof",
	 * "timeout", "too many errors", "shutdown", "closed", or an I/O
	 * error). The engine frees itself after it returns. */
	void (*disconnect)(void *ctx, const char *reason);
};

/* Starts SMTP on fd (owned from now on): implicit_tls not NULL begins a
 * TLS handshake first (RFC 8314). Nothing is sent until
 * smtp_server_conn_start() or smtp_server_conn_close(). */
struct smtp_server_conn *
smtp_server_conn_new(struct event_loop *loop, int fd,
                     struct tls_server *implicit_tls,
                     const struct smtp_server_settings *settings,
                     const struct smtp_server_callbacks *callbacks, void *ctx);
/* Sends the 220 greeting and starts reading commands. */
void smtp_server_conn_start(struct smtp_server_conn *srv);
/* Sends "code enh text" (e.g. 421 4.7.0 ...) and closes after the flush;
 * disconnect follows with reason "closed". */
void smtp_server_conn_close(struct smtp_server_conn *srv, unsigned code,
                            const char *enh, const char *text);
/* Graceful stop: an idle connection gets 421 4.3.2 now; one inside a
 * transaction when the transaction ends. */
void smtp_server_conn_shutdown(struct smtp_server_conn *srv);

struct conn *smtp_server_conn_get_conn(struct smtp_server_conn *srv);
/* The EHLO/HELO domain ("" before one). */
const char *smtp_server_conn_helo(const struct smtp_server_conn *srv);
bool smtp_server_conn_is_authenticated(const struct smtp_server_conn *srv);
bool smtp_server_conn_in_transaction(const struct smtp_server_conn *srv);
/* The "with" keyword of RFC 3848 / RFC 6531 §3.7.3 for the current
 * transaction: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP, ... */
const char *smtp_server_conn_protocol(const struct smtp_server_conn *srv);
/* Commands read so far. */
unsigned smtp_server_conn_commands(const struct smtp_server_conn *srv);

/* Answers cmd with code, enhanced code enh (RFC 3463, NULL for none) and
 * text; '\n' in the text makes a multi-line reply. A 2xx/3xx reply lets the
 * engine move on (transaction started, recipient added, authenticated...).
 * cmd must not be used afterwards. */
void smtp_server_cmd_reply(struct smtp_server_cmd *cmd, unsigned code,
                           const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* AUTH only: sends "334 challenge" (base64, may be "") and waits for the
 * client's next line; cmd stays valid. */
void smtp_server_cmd_reply_continue(struct smtp_server_cmd *cmd,
                                    const char *challenge);
struct smtp_server_conn *smtp_server_cmd_conn(struct smtp_server_cmd *cmd);

#endif
