/* One mail transaction of the SMTP client (RFC 5321 §3.3): MAIL, RCPT for
 * each recipient and DATA, sent as one group when the peer offers
 * PIPELINING (RFC 2920 §3.1, DATA last), or BDAT chunks when it offers
 * CHUNKING (RFC 3030 §2). Parameters: SIZE (RFC 1870), BODY=8BITMIME (RFC
 * 6152), SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461 §4) only to
 * a peer that offers them. A message the peer cannot take is refused here
 * without being sent: 8-bit to a 7-bit peer (5.6.3: relay does not
 * convert), UTF-8 to a peer without SMTPUTF8 (5.6.7, RFC 6531 §3.2), and
 * a message over the peer's SIZE (5.3.4). The body is streamed from the
 * queue file with dot-stuffing (§4.5.2) under the conn's backpressure. */
#include "smtp/smtp_release.h"
#include "smtp/smtp_client_private.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMTP_CLIENT_READ_CHUNK 65536
#define SMTP_CLIENT_BDAT_CHUNK (1024 * 1024)

static bool has_ext(const struct smtp_client *client, unsigned bit)
{
	return (client->ext & bit) != 0;
}

static void mail_finish(struct smtp_client *client)
{
	struct smtp_client_message *msg = client->msg;
	client->msg = NULL;
	client->is_streaming = false;
	free(client->is_accepted);
	client->is_accepted = NULL;
	conn_set_timeout(client->conn, client->set.command_timeout);
	client->state = SMTP_CLIENT_READY;
	client->cb.message_done(client, msg, client->ctx);
	if (client->state == SMTP_CLIENT_READY && client->msg == NULL)
		client->cb.ready(client, client->ctx);
}

void smtp_client_mail_abort(struct smtp_client *client,
                            const struct smtp_client_status *status)
{
	struct smtp_client_message *msg = client->msg;
	client->msg = NULL;
	for (size_t i = 0; i < msg->rcpt_count; i++) {
		if (msg->rcpts[i].status.code == 0 ||
		    (client->is_accepted != NULL && client->is_accepted[i]))
			msg->rcpts[i].status = *status;
	}
	free(client->is_accepted);
	client->is_accepted = NULL;
	client->cb.message_done(client, msg, client->ctx);
}

void smtp_client_mail_done_cb(void *ctx)
{
	struct smtp_client *client = ctx;
	if (client->msg != NULL && client->state == SMTP_CLIENT_MAIL)
		mail_finish(client);
}

/* Gives every recipient without a status this one. */
static void rcpts_set(struct smtp_client *client, unsigned code,
                      const char *enhanced, const char *text)
{
	for (size_t i = 0; i < client->msg->rcpt_count; i++) {
		if (client->msg->rcpts[i].status.code == 0)
			smtp_client_status_set(&client->msg->rcpts[i].status,
			                       code, enhanced, text);
	}
}

/* Returns true (with every recipient refused) if the peer cannot take
 * msg at all. */
static bool mail_precheck(struct smtp_client *client)
{
	struct smtp_client_message *msg = client->msg;
	if (msg->needs_smtputf8 && !has_ext(client, SMTP_CLIENT_EXT_SMTPUTF8))
		rcpts_set(client, 553, "5.6.7",
		          "the message needs SMTPUTF8, which the receiving "
		          "server does not offer");
	else if (msg->is_8bit && !has_ext(client, SMTP_CLIENT_EXT_8BITMIME))
		rcpts_set(client, 554, "5.6.3",
		          "8-bit message and the receiving server offers no "
		          "8BITMIME (no conversion done)");
	else if (client->size_max > 0 && msg->size > client->size_max)
		rcpts_set(client, 552, "5.3.4",
		          "message larger than the receiving server's SIZE");
	else if (msg->release != 0 &&
	         !has_ext(client, SMTP_CLIENT_EXT_FUTURERELEASE))
		rcpts_set(client, 554, "5.3.3",
		          "sending later needs FUTURERELEASE (RFC 4865), which "
		          "the server does not offer");
	else
		return false;
	return true;
}

static void pending_push(struct smtp_client *client, enum smtp_client_step step,
                         size_t rcpt)
{
	ASSERT(client->pending_len < client->pending_cap);
	size_t at =
	    (client->pending_head + client->pending_len) % client->pending_cap;
	client->pending[at].step = step;
	client->pending[at].rcpt = rcpt;
	client->pending_len++;
}

static void mail_send_mail(struct smtp_client *client)
{
	struct smtp_client_message *msg = client->msg;
	struct buf *b = &client->out;
	bool dsn = has_ext(client, SMTP_CLIENT_EXT_DSN);
	buf_truncate(b, 0);
	buf_printf(b, "MAIL FROM:<%s>", msg->sender);
	if (has_ext(client, SMTP_CLIENT_EXT_SIZE))
		buf_printf(b, " SIZE=%llu", (unsigned long long)msg->size);
	if (msg->is_8bit)
		buf_append_str(b, " BODY=8BITMIME");
	if (msg->needs_smtputf8)
		buf_append_str(b, " SMTPUTF8");
	if (dsn && msg->ret != NULL)
		buf_printf(b, " RET=%s", msg->ret);
	if (dsn && msg->envid != NULL)
		buf_printf(b, " ENVID=%s", msg->envid);
	if (msg->release != 0) {
		char until[SMTP_DATETIME_MAX];
		smtp_release_datetime_format(msg->release, until);
		buf_printf(b, " HOLDUNTIL=%s", until);
	}
	buf_append(b, "\r\n", 2);
	conn_write(client->conn, b->data, b->len);
	pending_push(client, SMTP_STEP_MAIL, 0);
}

static void mail_send_rcpt(struct smtp_client *client, size_t i)
{
	const struct smtp_client_rcpt *r = &client->msg->rcpts[i];
	struct buf *b = &client->out;
	bool dsn = has_ext(client, SMTP_CLIENT_EXT_DSN);
	buf_truncate(b, 0);
	buf_printf(b, "RCPT TO:<%s>", r->address);
	if (dsn && r->notify != NULL)
		buf_printf(b, " NOTIFY=%s", r->notify);
	if (dsn && r->orcpt != NULL)
		buf_printf(b, " ORCPT=%s", r->orcpt);
	buf_append(b, "\r\n", 2);
	conn_write(client->conn, b->data, b->len);
	pending_push(client, SMTP_STEP_RCPT, i);
	client->next_rcpt = i + 1;
}

static void mail_send_data(struct smtp_client *client)
{
	smtp_client_write(client, "DATA");
	pending_push(client, SMTP_STEP_DATA, 0);
}

static void mail_rset(struct smtp_client *client)
{
	client->is_streaming = false;
	smtp_client_write(client, "RSET");
	pending_push(client, SMTP_STEP_RSET, 0);
}

void smtp_client_send(struct smtp_client *client,
                      struct smtp_client_message *msg)
{
	ASSERT(client->state == SMTP_CLIENT_READY && client->msg == NULL);
	client->state = SMTP_CLIENT_MAIL;
	client->msg = msg;
	client->is_accepted = xcalloc(msg->rcpt_count + 1, sizeof(bool));
	client->accepted = 0;
	client->is_mail_failed = false;
	client->is_streaming = false;
	client->is_bdat = has_ext(client, SMTP_CLIENT_EXT_CHUNKING);
	client->next_rcpt = 0;
	client->pending_cap = msg->rcpt_count + 8;
	client->pending_head = client->pending_len = 0;
	free(client->pending);
	client->pending =
	    xcalloc(client->pending_cap, sizeof(*client->pending));
	for (size_t i = 0; i < msg->rcpt_count; i++) {
		memset(&msg->rcpts[i].status, 0, sizeof(msg->rcpts[i].status));
		msg->rcpts[i].is_dsn_passed = false;
	}
	if (mail_precheck(client)) {
		event_timer_set(client->done_timer, 0);
		return;
	}
	conn_set_timeout(client->conn, client->set.command_timeout);
	mail_send_mail(client);
	if (has_ext(client, SMTP_CLIENT_EXT_PIPELINING)) {
		/* RFC 2920 §3.1: DATA is the last command of the group */
		for (size_t i = 0; i < msg->rcpt_count; i++)
			mail_send_rcpt(client, i);
		if (!client->is_bdat)
			mail_send_data(client);
	}
}

/* Starts the body: DATA's 354 came, or the last RCPT reply for BDAT. */
static void mail_body_start(struct smtp_client *client)
{
	client->pos = 0;
	client->at_line_start = true;
	client->ends_crlf = true;
	client->is_last_chunk = false;
	client->chunk_left = 0;
	client->is_streaming = true;
	conn_set_timeout(client->conn, client->set.data_timeout);
	smtp_client_mail_stream(client);
}

/* Appends data to out with a '.' doubled at each line start (§4.5.2). */
static void dot_stuff(struct smtp_client *client, const char *data, size_t size,
                      struct buf *out)
{
	size_t start = 0;
	for (size_t i = 0; i < size; i++) {
		if (client->at_line_start && data[i] == '.') {
			buf_append(out, data + start, i - start);
			buf_append_char(out, '.');
			start = i;
		}
		client->at_line_start = data[i] == '\n';
	}
	buf_append(out, data + start, size - start);
}

/* Writes the next BDAT command; returns false if nothing is left. */
static bool mail_bdat_next(struct smtp_client *client)
{
	uint64_t left = client->msg->size - client->pos;
	if (client->is_last_chunk)
		return false;
	uint64_t n =
	    left < SMTP_CLIENT_BDAT_CHUNK ? left : SMTP_CLIENT_BDAT_CHUNK;
	client->is_last_chunk = n == left;
	client->chunk_left = n;
	smtp_client_write(client, "BDAT %llu%s", (unsigned long long)n,
	                  client->is_last_chunk ? " LAST" : "");
	pending_push(client, SMTP_STEP_BDAT, 0);
	return true;
}

/* Reads and writes one piece of the body; returns false to stop. */
static bool mail_stream_piece(struct smtp_client *client, char *chunk)
{
	struct smtp_client_message *msg = client->msg;
	uint64_t left = msg->size - client->pos;
	size_t want = left < SMTP_CLIENT_READ_CHUNK ? (size_t)left
	                                            : SMTP_CLIENT_READ_CHUNK;
	if (client->is_bdat && want > client->chunk_left)
		want = (size_t)client->chunk_left;
	ssize_t n =
	    pread(msg->fd, chunk, want, msg->offset + (off_t)client->pos);
	if (n <= 0) {
		char text[128];
		snprintf(text, sizeof(text), "cannot read the queue file: %s",
		         n < 0 ? strerror(errno) : "short");
		smtp_client_fail(client, 451, "4.3.0", text, false);
		return false;
	}
	client->pos += (uint64_t)n;
	if (client->is_bdat) {
		client->chunk_left -= (uint64_t)n;
		conn_write(client->conn, chunk, (size_t)n);
		return true;
	}
	buf_truncate(&client->out, 0);
	dot_stuff(client, chunk, (size_t)n, &client->out);
	client->ends_crlf =
	    n >= 2 && chunk[n - 2] == '\r' && chunk[n - 1] == '\n';
	conn_write(client->conn, client->out.data, client->out.len);
	return true;
}

void smtp_client_mail_stream(struct smtp_client *client)
{
	char *chunk = NULL;
	while (client->is_streaming && !conn_output_is_full(client->conn)) {
		if (client->is_bdat && client->chunk_left == 0) {
			/* one chunk at a time: wait for its reply */
			if (client->pending_len > 0 || !mail_bdat_next(client))
				break;
			continue;
		}
		if (!client->is_bdat && client->pos == client->msg->size) {
			client->is_streaming = false;
			conn_write_str(client->conn, client->ends_crlf
			                                 ? ".\r\n"
			                                 : "\r\n.\r\n");
			pending_push(client, SMTP_STEP_DATA_END, 0);
			break;
		}
		if (chunk == NULL)
			chunk = xmalloc(SMTP_CLIENT_READ_CHUNK);
		if (!mail_stream_piece(client, chunk))
			break;
	}
	free(chunk);
}

/* The final answer for every accepted recipient. */
static void mail_final(struct smtp_client *client)
{
	struct smtp_client_status st;
	smtp_client_status_from_reply(&st, &client->reply);
	for (size_t i = 0; i < client->msg->rcpt_count; i++) {
		if (client->is_accepted[i])
			client->msg->rcpts[i].status = st;
		client->is_accepted[i] = false;
	}
	client->accepted = 0;
	client->is_streaming = false;
}

/* After the reply to the last RCPT when nothing else was pipelined. */
static void mail_after_rcpts(struct smtp_client *client)
{
	if (client->accepted == 0)
		mail_rset(client);
	else if (client->is_bdat)
		mail_body_start(client);
	else
		mail_send_data(client);
}

static void mail_reply_rcpt(struct smtp_client *client, size_t i)
{
	struct smtp_client_message *msg = client->msg;
	bool is_pipelined = has_ext(client, SMTP_CLIENT_EXT_PIPELINING);
	if (!client->is_mail_failed) {
		if (client->reply.code / 100 == 2) {
			client->is_accepted[i] = true;
			client->accepted++;
			msg->rcpts[i].is_dsn_passed =
			    has_ext(client, SMTP_CLIENT_EXT_DSN);
		} else {
			smtp_client_status_from_reply(&msg->rcpts[i].status,
			                              &client->reply);
		}
	}
	if (!is_pipelined && i + 1 < msg->rcpt_count)
		mail_send_rcpt(client, i + 1);
	else if (i + 1 == msg->rcpt_count && (!is_pipelined || client->is_bdat))
		mail_after_rcpts(client);
}

static void mail_reply_data(struct smtp_client *client)
{
	if (client->reply.code == 354 && client->accepted == 0) {
		/* pipelined DATA with no recipient: end it empty (RFC 2920
		 * §3.1) and ignore the answer */
		conn_write_str(client->conn, ".\r\n");
		pending_push(client, SMTP_STEP_DOT_DISCARD, 0);
	} else if (client->reply.code == 354) {
		mail_body_start(client);
	} else {
		if (client->accepted > 0)
			mail_final(client);
		mail_rset(client);
	}
}

void smtp_client_mail_reply(struct smtp_client *client)
{
	struct smtp_client_message *msg = client->msg;
	if (client->pending_len == 0) {
		smtp_client_fail(client, 451, "4.5.0",
		                 "protocol error: unexpected reply", false);
		return;
	}
	struct smtp_client_pending p = client->pending[client->pending_head];
	client->pending_head = (client->pending_head + 1) % client->pending_cap;
	client->pending_len--;
	bool is_ok = client->reply.code / 100 == 2;
	switch (p.step) {
	case SMTP_STEP_MAIL:
		if (!is_ok) {
			struct smtp_client_status st;
			smtp_client_status_from_reply(&st, &client->reply);
			client->is_mail_failed = true;
			rcpts_set(client, st.code, st.enhanced, st.text);
			if (!has_ext(client, SMTP_CLIENT_EXT_PIPELINING))
				mail_rset(client);
		} else if (!has_ext(client, SMTP_CLIENT_EXT_PIPELINING)) {
			mail_send_rcpt(client, 0);
		}
		if (msg->rcpt_count == 0 && is_ok)
			mail_rset(client);
		break;
	case SMTP_STEP_RCPT:
		mail_reply_rcpt(client, p.rcpt);
		break;
	case SMTP_STEP_DATA:
		mail_reply_data(client);
		break;
	case SMTP_STEP_BDAT:
		if (!is_ok || client->is_last_chunk) {
			mail_final(client);
			if (!is_ok)
				mail_rset(client);
			else
				mail_finish(client);
		} else {
			smtp_client_mail_stream(client);
		}
		break;
	case SMTP_STEP_DATA_END:
		mail_final(client);
		mail_finish(client);
		break;
	case SMTP_STEP_DOT_DISCARD:
		mail_rset(client);
		break;
	case SMTP_STEP_RSET:
		if (client->pending_len == 0)
			mail_finish(client);
		break;
	}
}
