/* The command table and the small commands of RFC 5321 §4.1.1 (EHLO, HELO,
 * RSET, NOOP, QUIT, VRFY, HELP) and STARTTLS (RFC 3207). The EHLO reply
 * lists the extensions; like the greeting it carries no enhanced codes
 * (RFC 2034 §3). MAIL/RCPT, AUTH and DATA/BDAT have files of their own. */
#include "smtp/smtp_server_private.h"
#include "smtp/smtp_release.h"
#include "core/conn.h"
#include "core/pool.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void cmd_ehlo(struct smtp_server_cmd *cmd, const char *args);
static void cmd_helo(struct smtp_server_cmd *cmd, const char *args);
static void cmd_rset(struct smtp_server_cmd *cmd, const char *args);
static void cmd_noop(struct smtp_server_cmd *cmd, const char *args);
static void cmd_quit(struct smtp_server_cmd *cmd, const char *args);
static void cmd_vrfy(struct smtp_server_cmd *cmd, const char *args);
static void cmd_help(struct smtp_server_cmd *cmd, const char *args);
static void cmd_starttls(struct smtp_server_cmd *cmd, const char *args);
static void cmd_not_implemented(struct smtp_server_cmd *cmd, const char *args);

static const struct smtp_server_cmd_def smtp_server_commands[] = {
    {"EHLO", cmd_ehlo},
    {"HELO", cmd_helo},
    {"MAIL", smtp_server_cmd_mail},
    {"RCPT", smtp_server_cmd_rcpt},
    {"DATA", smtp_server_cmd_data},
    {"BDAT", smtp_server_cmd_bdat},
    {"RSET", cmd_rset},
    {"NOOP", cmd_noop},
    {"QUIT", cmd_quit},
    {"VRFY", cmd_vrfy},
    {"HELP", cmd_help},
    {"STARTTLS", cmd_starttls},
    {"AUTH", smtp_server_cmd_auth},
    {"EXPN", cmd_not_implemented},
    {"TURN", cmd_not_implemented},
    {"ETRN", cmd_not_implemented},
};

const struct smtp_server_cmd_def *smtp_server_cmd_find(const char *name,
                                                       size_t len)
{
	size_t n =
	    sizeof(smtp_server_commands) / sizeof(smtp_server_commands[0]);
	for (size_t i = 0; i < n; i++) {
		const char *c = smtp_server_commands[i].name;
		if (strlen(c) == len && strncasecmp(c, name, len) == 0)
			return &smtp_server_commands[i];
	}
	return NULL;
}

static void smtp_server_ehlo_reply(struct smtp_server_conn *srv,
                                   struct smtp_server_cmd *cmd)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s\nPIPELINING\n", srv->set.hostname);
	if (srv->set.max_message_size != 0)
		buf_printf(&b, "SIZE %llu\n",
		           (unsigned long long)srv->set.max_message_size);
	else
		buf_append_str(&b, "SIZE\n");
	buf_append_str(&b, "8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8\n"
	                   "CHUNKING\nDSN\n");
	if (srv->set.starttls != NULL && !conn_is_tls(srv->conn))
		buf_append_str(&b, "STARTTLS\n");
	if (srv->set.future_release_max > 0) {
		/* RFC 4865 §3: the longest interval and the latest date-time */
		char until[SMTP_DATETIME_MAX];
		smtp_release_datetime_format(
		    time(NULL) + (time_t)srv->set.future_release_max, until);
		buf_printf(&b, "FUTURERELEASE %u %s\n",
		           srv->set.future_release_max, until);
	}
	const char *mechs =
	    srv->cb.auth_mechanisms != NULL && !srv->is_authenticated
	        ? srv->cb.auth_mechanisms(srv->ctx)
	        : NULL;
	if (mechs != NULL && mechs[0] != '\0')
		buf_printf(&b, "AUTH %s\n", mechs);
	buf_truncate(&b, b.len - 1);
	smtp_server_cmd_reply(cmd, 250, NULL, "%s", b.data);
	buf_deinit(&b);
}

/* ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
 * helo = "HELO" SP Domain CRLF */
static void smtp_server_helo(struct smtp_server_cmd *cmd, const char *args,
                             bool is_ehlo)
{
	struct smtp_server_conn *srv = cmd->srv;
	const unsigned char *a = (const unsigned char *)args;
	size_t len = strcspn(args, " ");
	if (len == 0) {
		smtp_server_cmd_reply(cmd, 501, "5.5.4", "%s requires a domain",
		                      is_ehlo ? "EHLO" : "HELO");
		return;
	}
	if (!smtp_domain_is_valid(a, len, true) &&
	    !smtp_address_literal_is_valid(a, len)) {
		smtp_server_cmd_reply(cmd, 501, "5.5.4", "Invalid domain");
		return;
	}
	if (srv->cb.helo != NULL &&
	    srv->cb.helo(srv->ctx, cmd, pool_strndup(srv->cmd_pool, args, len),
	                 is_ehlo) < 0)
		return;
	/* RFC 5321 §4.1.4: EHLO/HELO resets any transaction. */
	smtp_server_transaction_reset(srv);
	srv->helo = pool_strndup(srv->pool, args, len);
	srv->is_ehlo = is_ehlo;
	srv->state = SMTP_SERVER_STATE_READY;
	if (is_ehlo)
		smtp_server_ehlo_reply(srv, cmd);
	else
		smtp_server_cmd_reply(cmd, 250, NULL, "%s", srv->set.hostname);
}

static void cmd_ehlo(struct smtp_server_cmd *cmd, const char *args)
{
	smtp_server_helo(cmd, args, true);
}

static void cmd_helo(struct smtp_server_cmd *cmd, const char *args)
{
	smtp_server_helo(cmd, args, false);
}

/* rset = "RSET" CRLF */
static void cmd_rset(struct smtp_server_cmd *cmd, const char *args)
{
	if (args[0] != '\0') {
		smtp_server_cmd_reply(cmd, 501, "5.5.4", "Syntax: RSET");
		return;
	}
	smtp_server_transaction_reset(cmd->srv);
	smtp_server_cmd_reply(cmd, 250, "2.0.0", "Ok");
}

/* noop = "NOOP" [ SP String ] CRLF */
static void cmd_noop(struct smtp_server_cmd *cmd, const char *args)
{
	(void)args;
	smtp_server_cmd_reply(cmd, 250, "2.0.0", "Ok");
}

/* quit = "QUIT" CRLF */
static void cmd_quit(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	(void)args;
	smtp_server_cmd_reply(cmd, 221, "2.0.0", "%s Bye", srv->set.hostname);
	smtp_server_close(srv, "quit");
}

/* vrfy = "VRFY" SP String CRLF; 252 as RFC 5321 §3.5.3 allows */
static void cmd_vrfy(struct smtp_server_cmd *cmd, const char *args)
{
	if (args[0] == '\0') {
		smtp_server_cmd_reply(cmd, 501, "5.5.4",
		                      "Syntax: VRFY address");
		return;
	}
	smtp_server_cmd_reply(cmd, 252, "2.5.2",
	                      "Cannot VRFY user, but will accept message "
	                      "and attempt delivery");
}

/* help = "HELP" [ SP String ] CRLF */
static void cmd_help(struct smtp_server_cmd *cmd, const char *args)
{
	(void)args;
	smtp_server_cmd_reply(cmd, 214, "2.0.0",
	                      "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET "
	                      "NOOP QUIT VRFY HELP STARTTLS AUTH");
}

static void cmd_not_implemented(struct smtp_server_cmd *cmd, const char *args)
{
	(void)args;
	smtp_server_cmd_reply(cmd, 502, "5.5.1", "Command not implemented");
}

static void proceed_starttls(struct smtp_server_cmd *cmd, unsigned code)
{
	struct smtp_server_conn *srv = cmd->srv;
	const char *error;
	if (code != 220)
		return;
	/* RFC 3207 §4.2: forget everything learnt before TLS. */
	smtp_server_transaction_reset(srv);
	srv->state = SMTP_SERVER_STATE_INIT;
	srv->helo = pool_strdup(srv->pool, "");
	srv->is_ehlo = false;
	if (conn_starttls(srv->conn, srv->set.starttls, &error) < 0)
		smtp_server_close(srv, error);
}

/* starttls = "STARTTLS" CRLF (RFC 3207 §4) */
static void cmd_starttls(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	if (srv->set.starttls == NULL || conn_is_tls(srv->conn)) {
		smtp_server_cmd_reply(cmd, 502, "5.5.1",
		                      conn_is_tls(srv->conn)
		                          ? "TLS already active"
		                          : "Command not implemented");
		return;
	}
	if (args[0] != '\0') {
		smtp_server_cmd_reply(cmd, 501, "5.5.4", "Syntax: STARTTLS");
		return;
	}
	if (srv->state == SMTP_SERVER_STATE_INIT) {
		smtp_server_cmd_reply(cmd, 503, "5.5.1", "Send EHLO first");
		return;
	}
	if (smtp_server_conn_in_transaction(srv)) {
		smtp_server_cmd_reply(cmd, 503, "5.5.1",
		                      "STARTTLS not allowed in a transaction");
		return;
	}
	cmd->proceed = proceed_starttls;
	smtp_server_cmd_reply(cmd, 220, "2.0.0", "Ready to start TLS");
}
