/* AUTH (RFC 4954 §4): the engine runs the exchange (initial response, 334
 * challenges, "*" to cancel) and leaves the mechanisms and the credentials
 * to the server's callbacks, which see raw base64. A 235 reply marks the
 * connection authenticated for the rest of the session. */
#include "smtp/smtp_server_private.h"
#include "core/conn.h"
#include "core/pool.h"

#include <string.h>

#define SMTP_AUTH_LINE_MAX 12288 /* RFC 4954 §4 */

static bool is_base64(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789+/=") == strlen(s);
}

static void proceed_auth(struct smtp_server_cmd *cmd, unsigned code)
{
	if (code == 235)
		cmd->srv->is_authenticated = true;
}

/* auth = "AUTH" SP sasl-mech [SP initial-response] CRLF
 * sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_")
 * initial-response = base64 / "=" */
void smtp_server_cmd_auth(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	const char *reason = NULL;
	if (srv->state == SMTP_SERVER_STATE_INIT)
		reason = "Send EHLO first";
	else if (srv->is_authenticated)
		reason = "Already authenticated";
	else if (smtp_server_conn_in_transaction(srv))
		reason = "AUTH not permitted during a mail transaction";
	else if (srv->cb.auth_begin == NULL)
		reason = "Authentication not enabled";
	if (reason != NULL) {
		smtp_server_cmd_reply(cmd, 503, "5.5.1", "%s", reason);
		return;
	}
	size_t mlen = strcspn(args, " ");
	char *mech = pool_strndup(srv->cmd_pool, args, mlen);
	bool ok = mlen > 0 && mlen <= 20;
	for (char *p = mech; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			ok = false;
	}
	const char *initial = args[mlen] == ' ' ? args + mlen + 1 : NULL;
	if (!ok ||
	    (initial != NULL && (!is_base64(initial) || initial[0] == '\0'))) {
		smtp_server_cmd_reply(cmd, 501, "5.5.2",
		                      "Syntax: AUTH mechanism "
		                      "[initial-response]");
		return;
	}
	if (initial != NULL && strcmp(initial, "=") == 0)
		initial = "";
	cmd->proceed = proceed_auth;
	srv->cb.auth_begin(srv->ctx, cmd, mech, initial);
}

/* response = base64 / "*" (RFC 4954 §4) */
int smtp_server_auth_input(struct smtp_server_conn *srv)
{
	struct smtp_server_cmd *cmd = &srv->cmd;
	const char *line;
	size_t len;
	size_t max = srv->set.max_command_line > SMTP_AUTH_LINE_MAX
	                 ? srv->set.max_command_line
	                 : SMTP_AUTH_LINE_MAX;
	int ret = conn_read_line(srv->conn, max, &line, &len, NULL);
	if (ret == 0)
		return 0;
	if (ret < 0 && conn_last_error(srv->conn) != CONN_ERROR_TOO_LONG)
		return -1;
	bool is_cancel = ret > 0 && strcmp(line, "*") == 0;
	if (ret < 0 || is_cancel || !is_base64(line) ||
	    memchr(line, '\0', len) != NULL) {
		if (srv->cb.auth_abort != NULL)
			srv->cb.auth_abort(srv->ctx);
		if (is_cancel)
			smtp_server_cmd_reply(cmd, 501, "5.0.0",
			                      "Authentication cancelled");
		else if (ret < 0)
			smtp_server_cmd_reply(cmd, 500, "5.5.2",
			                      "Line too long");
		else
			smtp_server_cmd_reply(cmd, 501, "5.5.2",
			                      "Invalid base64 data");
		return 1;
	}
	cmd->has_continued = false;
	srv->cb.auth_continue(srv->ctx, cmd,
	                      pool_strndup(srv->cmd_pool, line, len));
	if (cmd->is_active && !cmd->has_continued) {
		srv->is_waiting = true;
		conn_set_input_paused(srv->conn, true);
	}
	return 1;
}
