/* RETR and TOP (RFC 1939 §5, §7): the message is streamed from its blob fd
 * in chunks through the dot-stuffing filter, never whole in memory, and
 * only while the connection's output is below its limit (backpressure);
 * the input callback resumes it once the output has drained, and reads no
 * further command before the response is complete. */
#include "pop3d.h"
#include "core/conn.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void cmd_retr_start(struct pop3_client *c, struct pop3_message *msg,
                           uint64_t max_body_lines)
{
	int fd = store_blob_open(c->pop3d->store, msg->blob_id);
	if (fd < 0) {
		log_error(&c->log, "blob open %s: %s", msg->blob_id,
		          strerror(errno));
		pop3_client_err(c, "SYS/TEMP", "Cannot read message (conn=%u)",
		                c->id);
		return;
	}
	if (max_body_lines == POP3_DOTSTUFF_ALL_LINES) {
		c->retrieved++;
		buf_printf(&c->out, "+OK %llu octets\r\n",
		           (unsigned long long)msg->size);
	} else {
		buf_append_str(&c->out, "+OK Top of message follows\r\n");
	}
	c->stream_fd = fd;
	pop3_dotstuff_init(&c->stuff, max_body_lines);
	(void)cmd_retr_continue(c);
}

static void cmd_retr_finish(struct pop3_client *c)
{
	close(c->stream_fd);
	c->stream_fd = -1;
	pop3_dotstuff_finish(&c->stuff, &c->out);
	pop3_client_flush(c);
}

bool cmd_retr_continue(struct pop3_client *c)
{
	unsigned char *chunk = c->pop3d->read_buf;
	while (c->stream_fd >= 0) {
		if (conn_is_closing(c->conn)) {
			close(c->stream_fd);
			c->stream_fd = -1;
			break;
		}
		if (conn_output_is_full(c->conn))
			return false;
		ssize_t n = read(c->stream_fd, chunk, POP3D_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Mid-response: the only honest signal is to close. */
			log_error(&c->log, "blob read: %s", strerror(errno));
			close(c->stream_fd);
			c->stream_fd = -1;
			pop3_client_close(c, "blob read error");
			break;
		}
		if (n == 0 || pop3_dotstuff_feed(&c->stuff, chunk, (size_t)n,
		                                 &c->out) == 0) {
			cmd_retr_finish(c);
			break;
		}
		pop3_client_flush(c);
	}
	return true;
}

void cmd_retr(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (cmd->argc != 1) {
		pop3_client_err(c, NULL, "RETR takes a message number");
		return;
	}
	struct pop3_message *msg = pop3_client_message(c, cmd->argv[0]);
	if (msg != NULL)
		cmd_retr_start(c, msg, POP3_DOTSTUFF_ALL_LINES);
}

void cmd_top(struct pop3_client *c, const struct pop3_command *cmd)
{
	uint32_t lines;
	if (cmd->argc != 2) {
		pop3_client_err(c, NULL,
		                "TOP takes a message number and lines");
		return;
	}
	struct pop3_message *msg = pop3_client_message(c, cmd->argv[0]);
	if (msg == NULL)
		return;
	if (pop3_number_parse(cmd->argv[1], &lines) < 0) {
		pop3_client_err(c, NULL, "Invalid number of lines");
		return;
	}
	cmd_retr_start(c, msg, lines);
}
