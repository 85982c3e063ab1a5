/* The SMTP server engine: connection lifecycle, the input loop, replies with
 * enhanced status codes (RFC 2034, RFC 3463) and the states of RFC 5321
 * §4.1.4. Pipelined commands (RFC 2920) are handled one after the other from
 * the input buffer; their replies collect in the output buffer, which goes
 * out when the input is drained or a callback waits. */
#include "smtp/smtp_server_private.h"
#include "core/conn.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void smtp_server_input_cb(struct conn *conn, void *ctx);
static void smtp_server_timeout_cb(struct conn *conn, void *ctx);
static void smtp_server_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx);

static const struct conn_callbacks smtp_server_conn_callbacks = {
    .input = smtp_server_input_cb,
    .timeout = smtp_server_timeout_cb,
    .closed = smtp_server_closed_cb,
};

struct smtp_server_conn *
smtp_server_conn_new(struct event_loop *loop, int fd,
                     struct tls_server *implicit_tls,
                     const struct smtp_server_settings *settings,
                     const struct smtp_server_callbacks *callbacks, void *ctx)
{
	struct smtp_server_conn *srv = xcalloc(1, sizeof(*srv));
	srv->set = *settings;
	srv->cb = *callbacks;
	srv->ctx = ctx;
	srv->pool = pool_new();
	srv->trans_pool = pool_new();
	srv->cmd_pool = pool_new();
	srv->helo = pool_strdup(srv->pool, "");
	srv->cmd.srv = srv;
	buf_init(&srv->data_out);
	/* The input buffer must hold a whole command line and then some. */
	struct conn_settings cs = {
	    .input_max = settings->max_command_line + 64 * 1024,
	    .handshake_timeout = settings->handshake_timeout,
	};
	srv->conn = conn_new(loop, fd, implicit_tls, &cs,
	                     &smtp_server_conn_callbacks, srv);
	/* Nothing is read before the greeting (RFC 5321 §4.3.1). */
	conn_set_input_paused(srv->conn, true);
	smtp_server_update_timeout(srv);
	conn_set_line_timeout(srv->conn, settings->line_timeout);
	conn_set_deadline(srv->conn, settings->login_timeout);
	return srv;
}

static void smtp_server_free(struct smtp_server_conn *srv)
{
	conn_free(&srv->conn);
	pool_free(&srv->pool);
	pool_free(&srv->trans_pool);
	pool_free(&srv->cmd_pool);
	buf_deinit(&srv->data_out);
	free(srv);
}

void smtp_server_conn_start(struct smtp_server_conn *srv)
{
	smtp_server_reply(srv, 220, NULL, "%s ESMTP Postroom",
	                  srv->set.hostname);
	conn_set_input_paused(srv->conn, false);
}

void smtp_server_close(struct smtp_server_conn *srv, const char *reason)
{
	if (srv->is_closing)
		return;
	srv->is_closing = true;
	srv->close_reason = reason;
	conn_close_after_flush(srv->conn);
}

void smtp_server_conn_close(struct smtp_server_conn *srv, unsigned code,
                            const char *enh, const char *text)
{
	if (srv->is_closing)
		return;
	smtp_server_reply(srv, code, enh, "%s", text);
	smtp_server_close(srv, "closed");
}

static void smtp_server_shutdown_check(struct smtp_server_conn *srv)
{
	if (!srv->is_shutdown || srv->is_closing || srv->is_waiting ||
	    smtp_server_conn_in_transaction(srv) ||
	    srv->input != SMTP_SERVER_INPUT_COMMAND)
		return;
	smtp_server_reply(srv, 421, "4.3.2", "%s Service shutting down",
	                  srv->set.hostname);
	smtp_server_close(srv, "shutdown");
}

void smtp_server_conn_shutdown(struct smtp_server_conn *srv)
{
	srv->is_shutdown = true;
	smtp_server_shutdown_check(srv);
}

struct conn *smtp_server_conn_get_conn(struct smtp_server_conn *srv)
{
	return srv->conn;
}

const char *smtp_server_conn_helo(const struct smtp_server_conn *srv)
{
	return srv->helo;
}

bool smtp_server_conn_is_authenticated(const struct smtp_server_conn *srv)
{
	return srv->is_authenticated;
}

bool smtp_server_conn_in_transaction(const struct smtp_server_conn *srv)
{
	return srv->state == SMTP_SERVER_STATE_MAIL ||
	       srv->input == SMTP_SERVER_INPUT_DATA ||
	       srv->input == SMTP_SERVER_INPUT_BDAT;
}

const char *smtp_server_conn_protocol(const struct smtp_server_conn *srv)
{
	static const char *const names[2][4] = {
	    {"ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA"},
	    {"UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA"},
	};
	if (!srv->is_ehlo)
		return "SMTP";
	unsigned i =
	    (conn_is_tls(srv->conn) ? 1 : 0) + (srv->is_authenticated ? 2 : 0);
	bool utf8 = srv->state == SMTP_SERVER_STATE_MAIL && srv->mail.smtputf8;
	return names[utf8 ? 1 : 0][i];
}

unsigned smtp_server_conn_commands(const struct smtp_server_conn *srv)
{
	return srv->commands;
}

struct smtp_server_conn *smtp_server_cmd_conn(struct smtp_server_cmd *cmd)
{
	return cmd->srv;
}

void smtp_server_update_timeout(struct smtp_server_conn *srv)
{
	bool in_data = srv->input == SMTP_SERVER_INPUT_DATA ||
	               srv->input == SMTP_SERVER_INPUT_BDAT;
	conn_set_timeout(srv->conn, in_data ? srv->set.data_timeout
	                                    : srv->set.idle_timeout);
	/* One transfer per message: from DATA's 354, or from the first BDAT
	 * through the BDAT commands between chunks to the LAST one. */
	bool in_message = in_data || (srv->is_bdat && !srv->is_bdat_last &&
	                              srv->state == SMTP_SERVER_STATE_MAIL);
	if (in_message)
		conn_transfer_begin(srv->conn, srv->set.data_timeout,
		                    srv->set.min_data_rate);
	else
		conn_transfer_end(srv->conn);
}

/* Reply = *( code "-" [enh SP] text CRLF ) code SP [enh SP] text CRLF */
static void smtp_server_vreply(struct smtp_server_conn *srv, unsigned code,
                               const char *enh, const char *fmt, va_list ap)
{
	struct buf text, out;
	buf_init(&text);
	buf_init(&out);
	buf_vprintf(&text, fmt, ap);
	const char *p = text.data;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		buf_printf(&out, "%03u%c", code, nl != NULL ? '-' : ' ');
		if (enh != NULL)
			buf_printf(&out, "%s ", enh);
		buf_append(&out, p, len);
		buf_append_str(&out, "\r\n");
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	conn_write(srv->conn, out.data, out.len);
	if (code >= 400 && code != 421) {
		/* the sender of the transaction, or of the MAIL refused now
		 * (set from a valid path only; cleared when either ends) */
		const char *from = srv->mail.path.address;
		srv->errors++;
		log_info(
		    srv->set.log, "reject cmd=%s code=%u reason=\"%s\"%s%s%s",
		    srv->cmd.is_active ? srv->cmd.def->name : "-", code,
		    log_sanitize(text.data, 200), from != NULL ? " from=<" : "",
		    from != NULL ? log_sanitize(from, 300) : "",
		    from != NULL ? ">" : "");
	}
	buf_deinit(&text);
	buf_deinit(&out);
}

void smtp_server_reply(struct smtp_server_conn *srv, unsigned code,
                       const char *enh, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	smtp_server_vreply(srv, code, enh, fmt, ap);
	va_end(ap);
}

static void smtp_server_errors_check(struct smtp_server_conn *srv)
{
	if (srv->set.max_errors == 0 || srv->errors < srv->set.max_errors ||
	    srv->is_closing)
		return;
	smtp_server_reply(srv, 421, "4.7.0", "%s Too many errors",
	                  srv->set.hostname);
	smtp_server_close(srv, "too many errors");
}

void smtp_server_cmd_begin(struct smtp_server_conn *srv,
                           const struct smtp_server_cmd_def *def)
{
	struct smtp_server_cmd *cmd = &srv->cmd;
	cmd->def = def;
	cmd->proceed = NULL;
	cmd->is_active = true;
	cmd->has_continued = false;
}

void smtp_server_cmd_reply(struct smtp_server_cmd *cmd, unsigned code,
                           const char *enh, const char *fmt, ...)
{
	struct smtp_server_conn *srv = cmd->srv;
	ASSERT(cmd->is_active);
	va_list ap;
	va_start(ap, fmt);
	smtp_server_vreply(srv, code, enh, fmt, ap);
	va_end(ap);
	cmd->is_active = false;
	if (srv->input == SMTP_SERVER_INPUT_AUTH)
		srv->input = SMTP_SERVER_INPUT_COMMAND;
	if (cmd->proceed != NULL)
		cmd->proceed(cmd, code);
	pool_clear(srv->cmd_pool);
	smtp_server_errors_check(srv);
	if (srv->is_waiting) {
		/* An asynchronous answer: go on with pipelined input. */
		srv->is_waiting = false;
		conn_set_input_paused(srv->conn, false);
	}
	smtp_server_shutdown_check(srv);
}

void smtp_server_cmd_reply_continue(struct smtp_server_cmd *cmd,
                                    const char *challenge)
{
	struct smtp_server_conn *srv = cmd->srv;
	ASSERT(cmd->is_active);
	smtp_server_reply(srv, 334, NULL, "%s", challenge);
	srv->input = SMTP_SERVER_INPUT_AUTH;
	cmd->has_continued = true;
	if (srv->is_waiting) {
		srv->is_waiting = false;
		conn_set_input_paused(srv->conn, false);
	}
}

void smtp_server_transaction_reset(struct smtp_server_conn *srv)
{
	if (srv->state == SMTP_SERVER_STATE_MAIL)
		srv->state = SMTP_SERVER_STATE_READY;
	memset(&srv->mail, 0, sizeof(srv->mail));
	srv->rcpt_count = 0;
	srv->data_size = 0;
	srv->is_data_dropped = false;
	srv->is_bdat = false;
	srv->is_bdat_last = false;
	srv->bdat_error_code = 0;
	buf_truncate(&srv->data_out, 0);
	pool_clear(srv->trans_pool);
	conn_transfer_end(srv->conn);
	srv->cb.reset(srv->ctx);
}

/* Cross-protocol requests (HTTP sent to port 25) end the connection, as
 * Postfix does: nothing good comes after them. */
static bool smtp_server_is_http(const char *verb, size_t len)
{
	static const char *const verbs[] = {"GET", "POST",    "HEAD",
	                                    "PUT", "CONNECT", "OPTIONS"};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i]) == len && memcmp(verbs[i], verb, len) == 0)
			return true;
	return false;
}

/* command = verb [SP args] CRLF (RFC 5321 §4.1.1) */
static int smtp_server_read_command(struct smtp_server_conn *srv)
{
	const char *line;
	size_t len;
	int ret = conn_read_line(srv->conn, srv->set.max_command_line, &line,
	                         &len, NULL);
	if (ret == 0)
		return 0;
	if (ret < 0) {
		if (conn_last_error(srv->conn) != CONN_ERROR_TOO_LONG)
			return -1;
		srv->commands++;
		smtp_server_reply(srv, 500, "5.5.2", "Line too long");
		smtp_server_errors_check(srv);
		return 1;
	}
	srv->commands++;
	if (memchr(line, '\0', len) != NULL) {
		smtp_server_reply(srv, 500, "5.5.2", "NUL in command");
		smtp_server_errors_check(srv);
		return 1;
	}
	size_t vlen = strcspn(line, " ");
	if (smtp_server_is_http(line, vlen)) {
		smtp_server_reply(srv, 421, "4.7.0", "%s Not an HTTP server",
		                  srv->set.hostname);
		smtp_server_close(srv, "http request");
		return 1;
	}
	const struct smtp_server_cmd_def *def =
	    smtp_server_cmd_find(line, vlen);
	if (def == NULL) {
		smtp_server_reply(srv, 500, "5.5.1", "Command unrecognized");
		smtp_server_errors_check(srv);
		return 1;
	}
	const char *args = line + vlen;
	if (*args == ' ')
		args++;
	/* Trailing spaces are common and harmless (RFC 5321 §4.1.1). */
	char *copy = pool_strdup(srv->cmd_pool, args);
	size_t alen = strlen(copy);
	while (alen > 0 && copy[alen - 1] == ' ')
		copy[--alen] = '\0';
	smtp_server_cmd_begin(srv, def);
	def->func(&srv->cmd, copy);
	if (srv->cmd.is_active && !srv->cmd.has_continued) {
		/* Waiting for the callback's answer. */
		srv->is_waiting = true;
		conn_set_input_paused(srv->conn, true);
	}
	return 1;
}

static void smtp_server_input_cb(struct conn *conn, void *ctx)
{
	struct smtp_server_conn *srv = ctx;
	while (!srv->is_closing && !srv->is_waiting &&
	       !conn_output_is_full(conn)) {
		int ret;
		switch (srv->input) {
		case SMTP_SERVER_INPUT_COMMAND:
			ret = smtp_server_read_command(srv);
			break;
		case SMTP_SERVER_INPUT_AUTH:
			ret = smtp_server_auth_input(srv);
			break;
		case SMTP_SERVER_INPUT_DATA:
			ret = smtp_server_data_input(srv);
			break;
		case SMTP_SERVER_INPUT_BDAT:
			ret = smtp_server_bdat_input(srv);
			break;
		default:
			log_panic("smtp: bad input state %d", (int)srv->input);
		}
		if (ret <= 0)
			break;
	}
	smtp_server_shutdown_check(srv);
}

/* RFC 5321 §4.5.3.2: a server may end a session that exceeds its limits
 * with 421; 4.4.2 is "bad connection" (RFC 3463). */
static void smtp_server_timeout_cb(struct conn *conn, void *ctx)
{
	struct smtp_server_conn *srv = ctx;
	const char *text = "timeout exceeded", *reason = "timeout";
	switch (conn_timeout_kind(conn)) {
	case CONN_TIMEOUT_DEADLINE:
		if (srv->is_authenticated)
			return; /* login_timeout ends at AUTH */
		text = "login time limit exceeded";
		reason = "login-timeout";
		break;
	case CONN_TIMEOUT_LINE:
		text = "command line time limit exceeded";
		reason = "line-timeout";
		break;
	case CONN_TIMEOUT_TRANSFER:
		text = "message data arrives too slowly";
		reason = "data-rate";
		break;
	default:
		break;
	}
	smtp_server_reply(srv, 421, "4.4.2", "%s Error: %s", srv->set.hostname,
	                  text);
	smtp_server_close(srv, reason);
}

static void smtp_server_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx)
{
	struct smtp_server_conn *srv = ctx;
	const char *reason = srv->close_reason;
	if (status == CONN_STATUS_ERROR)
		reason = conn_error_str(conn);
	else if (reason != NULL)
		;
	else if (status == CONN_STATUS_EOF)
		reason = "eof";
	else if (status == CONN_STATUS_TIMEOUT)
		reason = "timeout";
	else
		reason = "closed";
	if (srv->input == SMTP_SERVER_INPUT_AUTH && srv->cb.auth_abort != NULL)
		srv->cb.auth_abort(srv->ctx);
	srv->cb.reset(srv->ctx);
	srv->cb.disconnect(srv->ctx, reason);
	smtp_server_free(srv);
}
