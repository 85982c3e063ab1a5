/* The imapd command table (after Dovecot src/imap/imap-commands.c) and the
 * small commands of RFC 9051 §6.1 (CAPABILITY, NOOP, LOGOUT), §6.2.1
 * STARTTLS, §6.3.1 ENABLE (RFC 5161; CONDSTORE and QRESYNC from RFC 7162),
 * ID (RFC 2971), NAMESPACE (RFC 2342), plus the tagged-reply helpers that
 * send the untagged mailbox updates first (RFC 9051 §7.5.1 decides when
 * EXPUNGE may go out). */
#include "core/conn.h"
#include "core/pool.h"
#include "imap/imap_write.h"
#include "imapd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct imapd_command commands[] = {
    {"CAPABILITY", cmd_capability, IMAPD_CMD_NOT_AUTH | IMAPD_CMD_AUTH},
    {"NOOP", cmd_noop, IMAPD_CMD_NOT_AUTH | IMAPD_CMD_AUTH},
    {"LOGOUT", cmd_logout, IMAPD_CMD_NOT_AUTH | IMAPD_CMD_AUTH},
    {"STARTTLS", cmd_starttls, IMAPD_CMD_NOT_AUTH},
    {"LOGIN", cmd_login, IMAPD_CMD_NOT_AUTH},
    {"AUTHENTICATE", cmd_authenticate, IMAPD_CMD_NOT_AUTH},
    {"ID", cmd_id, IMAPD_CMD_NOT_AUTH | IMAPD_CMD_AUTH},
    {"ENABLE", cmd_enable, IMAPD_CMD_AUTH},
    {"NAMESPACE", cmd_namespace, IMAPD_CMD_AUTH},
    {"SELECT", cmd_select, IMAPD_CMD_AUTH},
    {"EXAMINE", cmd_select, IMAPD_CMD_AUTH},
    {"CREATE", cmd_create, IMAPD_CMD_AUTH},
    {"DELETE", cmd_delete, IMAPD_CMD_AUTH},
    {"RENAME", cmd_rename, IMAPD_CMD_AUTH},
    {"SUBSCRIBE", cmd_subscribe, IMAPD_CMD_AUTH},
    {"UNSUBSCRIBE", cmd_subscribe, IMAPD_CMD_AUTH},
    {"LIST", cmd_list, IMAPD_CMD_AUTH},
    {"LSUB", cmd_list, IMAPD_CMD_AUTH},
    {"STATUS", cmd_status, IMAPD_CMD_AUTH},
    {"APPEND", cmd_append, IMAPD_CMD_AUTH},
    {"IDLE", cmd_idle, IMAPD_CMD_AUTH},
    {"GETQUOTAROOT", cmd_getquotaroot, IMAPD_CMD_AUTH},
    {"GETQUOTA", cmd_getquotaroot, IMAPD_CMD_AUTH},
    {"SETQUOTA", cmd_setquota, IMAPD_CMD_AUTH},
    {"COMPRESS", cmd_compress, IMAPD_CMD_AUTH},
    {"CHECK", cmd_noop, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED},
    {"CLOSE", cmd_close, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED},
    {"UNSELECT", cmd_close, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED},
    {"EXPUNGE", cmd_expunge,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID},
    {"FETCH", cmd_fetch,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID |
         IMAPD_CMD_NO_EXPUNGE},
    {"STORE", cmd_store,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID |
         IMAPD_CMD_NO_EXPUNGE},
    {"SEARCH", cmd_search_ext,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID |
         IMAPD_CMD_NO_EXPUNGE},
    {"SORT", cmd_sort,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID |
         IMAPD_CMD_NO_EXPUNGE},
    {"THREAD", cmd_thread,
     IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID |
         IMAPD_CMD_NO_EXPUNGE},
    {"NOTIFY", cmd_notify, IMAPD_CMD_AUTH},
    {"CANCELUPDATE", cmd_cancelupdate, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED},
    {"COPY", cmd_copy, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID},
    {"MOVE", cmd_copy, IMAPD_CMD_AUTH | IMAPD_CMD_SELECTED | IMAPD_CMD_UID},
};

const struct imapd_command *imapd_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static bool client_can_login(const struct imapd_client *c)
{
	return conn_is_tls(c->conn) ||
	       (c->is_loopback && c->imapd->set.plaintext_auth_loopback);
}

void imapd_capability(struct imapd_client *c, struct buf *out)
{
	buf_append_str(out, "IMAP4rev1 IMAP4rev2");
	if (c->state == IMAPD_STATE_NOT_AUTH) {
		if (!conn_is_tls(c->conn) && c->imapd->tls != NULL)
			buf_append_str(out, " STARTTLS");
		if (client_can_login(c))
			buf_append_str(out, " AUTH=PLAIN AUTH=LOGIN");
		else
			buf_append_str(out, " LOGINDISABLED");
	}
	buf_append_str(out, " SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE"
	                    " UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE"
	                    " CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS"
	                    " STATUS=SIZE QUOTA QUOTA=RES-STORAGE UTF8=ACCEPT"
	                    " MULTIAPPEND CATENATE UIDONLY NOTIFY");
	buf_append_str(out, " CONDSTORE QRESYNC ESEARCH SEARCHRES BINARY");
	buf_append_str(out, " SORT SORT=DISPLAY ESORT CONTEXT=SEARCH"
	                    " CONTEXT=SORT THREAD=ORDEREDSUBJECT"
	                    " THREAD=REFERENCES");
	if (c->state != IMAPD_STATE_NOT_AUTH && !conn_is_compressed(c->conn))
		buf_append_str(out, " COMPRESS=DEFLATE"); /* RFC 4978 §3 */
	buf_printf(out, " APPENDLIMIT=%llu",
	           (unsigned long long)c->imapd->set.imapd.max_literal_size);
}

static void cmd_reply(struct imapd_cmd *cmd, const char *status,
                      const char *fmt, va_list ap)
{
	struct imapd_client *c = cmd->client;
	if (c->box != NULL && strcmp(status, "BAD") != 0) {
		bool allow =
		    (cmd->flags & IMAPD_CMD_NO_EXPUNGE) == 0 || cmd->is_uid;
		(void)imapd_mailbox_sync(c, allow);
	}
	buf_printf(&c->out, "%s %s ", cmd->tag, status);
	buf_vprintf(&c->out, fmt, ap);
	buf_append_str(&c->out, "\r\n");
}

void imapd_cmd_ok(struct imapd_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cmd_reply(cmd, "OK", fmt, ap);
	va_end(ap);
}

void imapd_cmd_no(struct imapd_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cmd_reply(cmd, "NO", fmt, ap);
	va_end(ap);
}

void imapd_cmd_bad(struct imapd_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cmd_reply(cmd, "BAD", fmt, ap);
	va_end(ap);
	cmd->client->bad_count++;
}

void imapd_cmd_fail(struct imapd_cmd *cmd, const char *what)
{
	log_error(&cmd->client->log, "command=%s failed: %s", cmd->name, what);
	imapd_cmd_no(cmd, "[SERVERBUG] Internal error (conn=%u)",
	             cmd->client->id);
}

/* mailbox = "INBOX" / astring */
const char *imapd_arg_mailbox(struct imapd_cmd *cmd, const struct imap_arg *arg)
{
	const char *str;
	if (!imap_arg_get_astring(arg, &str)) {
		imapd_cmd_bad(cmd, "Mailbox name expected");
		return NULL;
	}
	if (strlen(str) != arg->len) {
		imapd_cmd_no(cmd, "[CANNOT] Invalid mailbox name");
		return NULL;
	}
	if (strcasecmp(str, "INBOX") == 0)
		return "INBOX";
	if (cmd->client->is_utf8) {
		if (!imap_utf8_is_valid(str, arg->len)) {
			imapd_cmd_no(cmd, "[CANNOT] Invalid mailbox name");
			return NULL;
		}
		return str;
	}
	struct buf tmp;
	buf_init(&tmp);
	const char *name = NULL;
	if (imap_utf7_decode(str, &tmp) == 0)
		name = pool_strdup(cmd->pool, tmp.data);
	else
		imapd_cmd_no(cmd, "[CANNOT] Invalid mailbox name");
	buf_deinit(&tmp);
	return name;
}

void cmd_capability(struct imapd_cmd *cmd)
{
	struct buf *out = &cmd->client->out;
	buf_append_str(out, "* CAPABILITY ");
	imapd_capability(cmd->client, out);
	buf_append_str(out, "\r\n");
	imapd_cmd_ok(cmd, "Capability completed");
}

void cmd_noop(struct imapd_cmd *cmd)
{
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

void cmd_logout(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	buf_append_str(&c->out, "* BYE Logging out\r\n");
	imapd_mailbox_close(c);
	imapd_cmd_ok(cmd, "Logout completed");
	imapd_client_flush(c);
	c->state = IMAPD_STATE_LOGOUT;
	conn_close_after_flush(c->conn);
}

void cmd_starttls(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const char *error;
	if (cmd->args != NULL) {
		imapd_cmd_bad(cmd, "STARTTLS takes no arguments");
		return;
	}
	if (c->imapd->tls == NULL || conn_is_tls(c->conn)) {
		imapd_cmd_bad(cmd, "TLS is not available");
		return;
	}
	imapd_cmd_ok(cmd, "Begin TLS negotiation now");
	imapd_client_flush(c);
	/* RFC 9051 §6.2.1: input after the command line is discarded */
	if (conn_starttls(c->conn, c->imapd->tls, &error) < 0) {
		log_warn(&c->log, "starttls failed: %s", error);
		imapd_client_bye(c, "TLS failed");
		return;
	}
	log_info(&c->log, "starttls");
}

void imapd_condstore_enable(struct imapd_client *c)
{
	if (c->is_condstore)
		return;
	c->is_condstore = true;
	/* RFC 7162 §3.1: enabled with a mailbox selected */
	if (c->box != NULL)
		buf_printf(&c->out, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
		           (unsigned long long)c->box->highestmodseq);
}

/* enable-data = "ENABLED" *(SP capability) */
void cmd_enable(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	if (cmd->args == NULL) {
		imapd_cmd_bad(cmd, "ENABLE needs a capability");
		return;
	}
	struct buf *out = &c->out;
	bool was_condstore = c->is_condstore;
	buf_append_str(out, "* ENABLED");
	for (const struct imap_arg *a = cmd->args; a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "IMAP4rev2") && !c->is_rev2) {
			c->is_rev2 = c->is_utf8 = true;
			buf_append_str(out, " IMAP4rev2");
		} else if (imap_arg_atom_equals(a, "UTF8=ACCEPT") &&
		           !c->is_utf8) {
			c->is_utf8 = true;
			buf_append_str(out, " UTF8=ACCEPT");
		} else if (imap_arg_atom_equals(a, "CONDSTORE") &&
		           !c->is_condstore) {
			c->is_condstore = true;
			buf_append_str(out, " CONDSTORE");
		} else if (imap_arg_atom_equals(a, "UIDONLY") &&
		           !c->is_uidonly) {
			c->is_uidonly = true; /* RFC 9586 */
			buf_append_str(out, " UIDONLY");
		} else if (imap_arg_atom_equals(a, "QRESYNC") &&
		           !c->is_qresync) {
			/* RFC 7162 §3.2.3: QRESYNC implies CONDSTORE */
			c->is_qresync = c->is_condstore = true;
			buf_append_str(out, " QRESYNC");
		}
	}
	buf_append_str(out, "\r\n");
	if (c->is_condstore && !was_condstore) {
		c->is_condstore = false;
		imapd_condstore_enable(c);
	}
	imapd_cmd_ok(cmd, "Enabled");
}

/* id = "ID" SP id-params-list; id-params-list = "(" ... ")" / nil */
void cmd_id(struct imapd_cmd *cmd)
{
	const struct imap_arg *a = cmd->args;
	if (a == NULL || a->next != NULL ||
	    (a->type != IMAP_ARG_LIST && !imap_arg_atom_equals(a, "NIL"))) {
		imapd_cmd_bad(cmd, "ID needs a list or NIL");
		return;
	}
	buf_append_str(&cmd->client->out,
	               "* ID (\"name\" \"Postroom\" \"version\" \"0.1\")\r\n");
	imapd_cmd_ok(cmd, "ID completed");
}

void cmd_namespace(struct imapd_cmd *cmd)
{
	buf_append_str(&cmd->client->out,
	               "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
	imapd_cmd_ok(cmd, "Namespace completed");
}
