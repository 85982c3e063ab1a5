/* The session commands: CAPA (RFC 2449 §5-6), STLS (RFC 2595 §4), QUIT
 * and the UPDATE state (RFC 1939 §6), NOOP, RSET and DELE (RFC 1939 §5).
 * DELE only marks; QUIT after login expunges what is marked. */
#include "pop3d.h"
#include "core/conn.h"

#include <stdlib.h>
#include <string.h>

void cmd_capa(struct pop3_client *c, const struct pop3_command *cmd)
{
	bool can_auth = pop3_client_can_auth(c);
	struct buf *out = &c->out;
	buf_append_str(out, "+OK Capability list follows\r\n");
	pop3_reply_line(out, "TOP");
	pop3_reply_line(out, "UIDL");
	pop3_reply_line(out, "RESP-CODES");
	pop3_reply_line(out, "AUTH-RESP-CODE");
	pop3_reply_line(out, "PIPELINING");
	pop3_reply_line(out, "EXPIRE NEVER");
	pop3_reply_line(out, "LOGIN-DELAY 0");
	pop3_reply_line(out, "IMPLEMENTATION Postroom");
	/* RFC 2595 §4: no USER or SASL before TLS unless it is allowed. */
	if (c->state == POP3_STATE_AUTHORIZATION && can_auth) {
		pop3_reply_line(out, "USER");
		pop3_reply_line(out, "SASL PLAIN LOGIN");
	}
	if (c->state == POP3_STATE_AUTHORIZATION && c->pop3d->tls != NULL &&
	    !conn_is_tls(c->conn))
		pop3_reply_line(out, "STLS");
	pop3_reply_end(out);
	pop3_client_flush(c);
}

void cmd_stls(struct pop3_client *c, const struct pop3_command *cmd)
{
	const char *error;
	if (c->pop3d->tls == NULL) {
		pop3_client_err(c, NULL, "TLS is not available");
		return;
	}
	if (conn_is_tls(c->conn)) {
		pop3_client_err(c, NULL, "TLS is already active");
		return;
	}
	pop3_client_ok(c, "Begin TLS negotiation");
	/* Drops any plaintext pipelined after STLS (RFC 2595 §8). */
	if (conn_starttls(c->conn, c->pop3d->tls, &error) < 0) {
		log_error(&c->log, "stls: %s", error);
		pop3_client_close(c, "stls failed");
		return;
	}
	free(c->user);
	c->user = NULL;
}

void cmd_quit(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (c->state == POP3_STATE_AUTHORIZATION) {
		pop3_client_ok(c, "Bye");
		pop3_client_close(c, "quit");
		return;
	}
	/* UPDATE: RFC 1939 §6. */
	int ret = pop3_maildrop_expunge(c);
	unsigned deleted = c->deleted_count;
	log_info(&c->log, "logout deleted=%u retrieved=%u", deleted,
	         c->retrieved);
	/* Unlock before the reply, so the client's next session never
	 * races this one's teardown. */
	pop3_maildrop_close(c);
	if (ret < 0)
		pop3_client_err(c, "SYS/TEMP",
		                "Some deleted messages were not removed "
		                "(conn=%u)",
		                c->id);
	else
		pop3_client_ok(c, "Bye, %u messages deleted", deleted);
	pop3_client_close(c, "quit");
}

void cmd_noop(struct pop3_client *c, const struct pop3_command *cmd)
{
	pop3_client_ok(c, "Nothing to do");
}

void cmd_rset(struct pop3_client *c, const struct pop3_command *cmd)
{
	for (uint32_t i = 0; i < c->msg_count; i++)
		c->msgs[i].is_deleted = false;
	c->deleted_count = 0;
	c->deleted_size = 0;
	pop3_client_ok(c, "%u messages (%llu octets)", c->msg_count,
	               (unsigned long long)c->total_size);
}

void cmd_dele(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (cmd->argc != 1) {
		pop3_client_err(c, NULL, "DELE takes a message number");
		return;
	}
	struct pop3_message *msg = pop3_client_message(c, cmd->argv[0]);
	if (msg == NULL)
		return;
	msg->is_deleted = true;
	c->deleted_count++;
	c->deleted_size += msg->size;
	pop3_client_ok(c, "Message %u deleted", (unsigned)(msg - c->msgs) + 1);
}
