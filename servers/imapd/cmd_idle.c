/* IDLE (RFC 2177, RFC 9051 §6.3.13): the client waits for "DONE" while
 * changes to its account (another session, a delivery) arrive through the
 * process-wide store watcher and are sent at once as untagged EXPUNGE,
 * EXISTS and FETCH responses (imapd_user.c). */
#include "imapd.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <strings.h>

/* idle = "IDLE" CRLF "DONE" */
void cmd_idle(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	if (cmd->args != NULL) {
		imapd_cmd_bad(cmd, "IDLE takes no arguments");
		return;
	}
	if (c->box != NULL)
		(void)imapd_mailbox_sync(c, true);
	buf_append_str(&c->out, "+ idling\r\n");
	free(c->wait_tag);
	c->wait_tag = xstrdup(cmd->tag);
	c->wait = IMAPD_WAIT_IDLE;
}

void cmd_idle_line(struct imapd_client *c, const char *line)
{
	if (strcasecmp(line, "DONE") != 0) {
		buf_printf(&c->out, "%s BAD Expected DONE\r\n", c->wait_tag);
	} else {
		if (c->box != NULL)
			(void)imapd_mailbox_sync(c, true);
		buf_printf(&c->out, "%s OK Idle completed\r\n", c->wait_tag);
	}
	imapd_client_resume(c);
}
