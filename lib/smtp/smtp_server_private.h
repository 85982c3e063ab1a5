/* Inside lib/smtp only: the engine's connection and command structs, shared
 * by smtp_server.c and the smtp_server_cmd*.c files. */
#ifndef SMTP_SMTP_SERVER_PRIVATE_H
#define SMTP_SMTP_SERVER_PRIVATE_H

#include "core/buf.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_server.h"

struct pool;

enum smtp_server_state {
	SMTP_SERVER_STATE_INIT,  /* no EHLO/HELO yet */
	SMTP_SERVER_STATE_READY, /* greeted, no transaction */
	SMTP_SERVER_STATE_MAIL,  /* MAIL accepted */
};

enum smtp_server_input {
	SMTP_SERVER_INPUT_COMMAND,
	SMTP_SERVER_INPUT_AUTH, /* a SASL response line after 334 */
	SMTP_SERVER_INPUT_DATA, /* dot-stuffed message */
	SMTP_SERVER_INPUT_BDAT, /* the bytes of a BDAT chunk */
};

typedef void smtp_server_cmd_func(struct smtp_server_cmd *cmd,
                                  const char *args);
/* Runs after the reply to a command, with its code: the proceed_ half. */
typedef void smtp_server_proceed_func(struct smtp_server_cmd *cmd,
                                      unsigned code);

struct smtp_server_cmd_def {
	const char *name;
	smtp_server_cmd_func *func;
};

struct smtp_server_cmd {
	struct smtp_server_conn *srv;
	const struct smtp_server_cmd_def *def;
	smtp_server_proceed_func *proceed;
	bool is_active;
	bool has_continued; /* AUTH: a 334 was sent since the last input */
};

struct smtp_server_conn {
	struct conn *conn;
	struct smtp_server_settings set;
	struct smtp_server_callbacks cb;
	void *ctx;
	struct pool *pool;       /* lives with the connection */
	struct pool *trans_pool; /* cleared when the transaction ends */
	struct pool *cmd_pool;   /* cleared after each reply */

	enum smtp_server_state state;
	enum smtp_server_input input;
	struct smtp_server_cmd cmd;
	char *helo;
	bool is_ehlo;
	bool is_authenticated;
	bool is_waiting; /* a callback has not replied yet: input paused */
	bool is_closing;
	bool is_shutdown;
	const char *close_reason;
	unsigned commands;
	unsigned errors;

	/* The transaction */
	struct smtp_server_mail mail;
	unsigned rcpt_count;
	struct smtp_data_decoder dec;
	struct buf data_out;
	uint64_t data_size;
	bool is_data_dropped; /* data_begin refused: read and discard */
	bool is_bdat;         /* this transaction uses BDAT */
	bool is_bdat_last;
	uint64_t bdat_remaining;
	uint64_t bdat_chunk_size;
	unsigned bdat_error_code; /* a failed chunk: later ones fail alike */
	const char *bdat_error_enh;
	const char *bdat_error_text;
};

/* Writes a reply not tied to a callback (syntax errors, 354...). Counts
 * errors (code >= 400) and logs them as "reject". */
void smtp_server_reply(struct smtp_server_conn *srv, unsigned code,
                       const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Starts cmd for def; the command function then replies or calls a
 * callback. */
void smtp_server_cmd_begin(struct smtp_server_conn *srv,
                           const struct smtp_server_cmd_def *def);
/* Ends the transaction (callbacks->reset) and returns to READY. */
void smtp_server_transaction_reset(struct smtp_server_conn *srv);
/* Closes after the flush with reason; the reply must already be written. */
void smtp_server_close(struct smtp_server_conn *srv, const char *reason);
/* The timeout in force for the current input state. */
void smtp_server_update_timeout(struct smtp_server_conn *srv);

/* The command table (smtp_server_cmd.c): returns NULL if unknown. */
const struct smtp_server_cmd_def *smtp_server_cmd_find(const char *name,
                                                       size_t len);
void smtp_server_cmd_mail(struct smtp_server_cmd *cmd, const char *args);
void smtp_server_cmd_rcpt(struct smtp_server_cmd *cmd, const char *args);
void smtp_server_cmd_auth(struct smtp_server_cmd *cmd, const char *args);
void smtp_server_cmd_data(struct smtp_server_cmd *cmd, const char *args);
void smtp_server_cmd_bdat(struct smtp_server_cmd *cmd, const char *args);
/* Input handlers; return 1 to go on, 0 for more input, -1 on EOF. */
int smtp_server_auth_input(struct smtp_server_conn *srv);
int smtp_server_data_input(struct smtp_server_conn *srv);
int smtp_server_bdat_input(struct smtp_server_conn *srv);

#endif
