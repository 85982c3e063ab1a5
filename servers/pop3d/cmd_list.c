/* The listing commands of the TRANSACTION state: STAT and LIST (RFC 1939
 * §5) and UIDL (RFC 1939 §7), over the snapshot taken at login. Messages
 * marked deleted are left out and not counted. The unique id is the
 * message's store GUID, stable for its whole life. */
#include "pop3d.h"

void cmd_stat(struct pop3_client *c, const struct pop3_command *cmd)
{
	pop3_client_ok(c, "%u %llu", c->msg_count - c->deleted_count,
	               (unsigned long long)(c->total_size - c->deleted_size));
}

/* Writes one listing line: the size for LIST, the GUID for UIDL. */
static void cmd_list_line(struct pop3_client *c, uint32_t i, bool is_uidl)
{
	if (is_uidl)
		pop3_reply_line(&c->out, "%u %s", i + 1, c->msgs[i].guid);
	else
		pop3_reply_line(&c->out, "%u %llu", i + 1,
		                (unsigned long long)c->msgs[i].size);
}

static void cmd_list_common(struct pop3_client *c,
                            const struct pop3_command *cmd, bool is_uidl)
{
	if (cmd->argc > 1) {
		pop3_client_err(c, NULL, "Too many arguments");
		return;
	}
	if (cmd->argc == 1) {
		struct pop3_message *msg = pop3_client_message(c, cmd->argv[0]);
		if (msg == NULL)
			return;
		uint32_t i = (uint32_t)(msg - c->msgs);
		if (is_uidl)
			pop3_client_ok(c, "%u %s", i + 1, msg->guid);
		else
			pop3_client_ok(c, "%u %llu", i + 1,
			               (unsigned long long)msg->size);
		return;
	}
	if (is_uidl)
		buf_append_str(&c->out, "+OK Unique-ID listing follows\r\n");
	else
		buf_printf(
		    &c->out, "+OK %u messages (%llu octets)\r\n",
		    c->msg_count - c->deleted_count,
		    (unsigned long long)(c->total_size - c->deleted_size));
	for (uint32_t i = 0; i < c->msg_count; i++) {
		if (c->msgs[i].is_deleted)
			continue;
		cmd_list_line(c, i, is_uidl);
		if (c->out.len >= 16384)
			pop3_client_flush(c);
	}
	pop3_reply_end(&c->out);
	pop3_client_flush(c);
}

void cmd_list(struct pop3_client *c, const struct pop3_command *cmd)
{
	cmd_list_common(c, cmd, false);
}

void cmd_uidl(struct pop3_client *c, const struct pop3_command *cmd)
{
	cmd_list_common(c, cmd, true);
}
