/* Inside lib/smtp only: the state of one client session, shared by
 * smtp_client.c (connection, greeting, EHLO, STARTTLS, AUTH, QUIT) and
 * smtp_client_mail.c (MAIL, RCPT, DATA/BDAT with pipelining). */
#ifndef SMTP_SMTP_CLIENT_PRIVATE_H
#define SMTP_SMTP_CLIENT_PRIVATE_H

#include "core/buf.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_client_reply.h"

struct conn;
struct event_timer;

enum smtp_client_state {
	SMTP_CLIENT_CONNECTING,
	SMTP_CLIENT_GREETING,
	SMTP_CLIENT_EHLO,
	SMTP_CLIENT_HELO,
	SMTP_CLIENT_STARTTLS,
	SMTP_CLIENT_HANDSHAKE,
	SMTP_CLIENT_AUTH,
	SMTP_CLIENT_AUTH_USER,
	SMTP_CLIENT_AUTH_PASS,
	SMTP_CLIENT_READY,
	SMTP_CLIENT_MAIL, /* a transaction: smtp_client_mail.c */
	SMTP_CLIENT_QUIT,
	SMTP_CLIENT_CLOSING,
};

/* What the next reply of a transaction answers. */
enum smtp_client_step {
	SMTP_STEP_MAIL,
	SMTP_STEP_RCPT,
	SMTP_STEP_DATA,
	SMTP_STEP_DATA_END,
	SMTP_STEP_BDAT,
	SMTP_STEP_DOT_DISCARD, /* "." after a 354 with no recipient */
	SMTP_STEP_RSET,
};

struct smtp_client {
	struct event_loop *loop;
	struct conn *conn;
	struct smtp_client_settings set;
	struct smtp_client_callbacks cb;
	void *ctx;
	enum smtp_client_state state;
	unsigned ext;
	uint64_t size_max;
	bool is_ready_seen, is_tls;
	struct smtp_client_reply reply;
	struct smtp_client_status fail; /* why the session ends (code 0:
	                                   not failed) */
	struct event_timer *done_timer; /* message refused before sending */
	char peer[64];

	/* the transaction */
	struct smtp_client_message *msg;
	bool *is_accepted;
	size_t accepted;
	struct smtp_client_pending {
		enum smtp_client_step step;
		size_t rcpt; /* for SMTP_STEP_RCPT */
	} * pending;         /* replies expected, a ring of pending_cap */
	size_t pending_cap, pending_head, pending_len;
	size_t next_rcpt; /* without PIPELINING: the next RCPT to send */
	bool is_mail_failed;
	bool is_streaming, is_bdat, is_last_chunk;
	bool at_line_start, ends_crlf;
	uint64_t pos;        /* bytes of the message read so far */
	uint64_t chunk_left; /* bytes left in this BDAT chunk or DATA */
	struct buf out;
};

/* smtp_client.c */
void smtp_client_write(struct smtp_client *client, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends the session: keeps the first reason, sends QUIT if is_polite, and
 * closes after the flush. */
void smtp_client_fail(struct smtp_client *client, unsigned code,
                      const char *enhanced, const char *text, bool is_polite);
void smtp_client_status_from_reply(struct smtp_client_status *status,
                                   const struct smtp_client_reply *reply);

/* smtp_client_mail.c */
/* Handles a reply while state is SMTP_CLIENT_MAIL. */
void smtp_client_mail_reply(struct smtp_client *client);
/* Refills the output while a message body is being streamed. */
void smtp_client_mail_stream(struct smtp_client *client);
/* Gives every undecided recipient status and reports the message. */
void smtp_client_mail_abort(struct smtp_client *client,
                            const struct smtp_client_status *status);
/* Reports a message refused before anything was sent (done_timer). */
void smtp_client_mail_done_cb(void *ctx);

#endif
