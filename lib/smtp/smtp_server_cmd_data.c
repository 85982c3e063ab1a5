/* DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2). The message streams to
 * the data_write callback as it arrives; it is never held whole. A message
 * with a bare CR or LF (§2.3.8), a text line over the limit (§4.5.3.1.6) or
 * more bytes than SIZE allows is read to its real end and then refused, so
 * the stream stays in sync and nothing in it is taken as a command. */
#include "smtp/smtp_server_private.h"
#include "core/conn.h"
#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

static void smtp_server_data_start(struct smtp_server_conn *srv)
{
	smtp_data_decoder_init(&srv->dec, srv->set.max_text_line);
	srv->data_size = 0;
	buf_truncate(&srv->data_out, 0);
}

static void smtp_server_data_add(struct smtp_server_conn *srv,
                                 const unsigned char *data, size_t size)
{
	uint64_t max = srv->set.max_message_size;
	srv->data_size += size;
	if (srv->is_data_dropped || (max != 0 && srv->data_size > max))
		return;
	srv->cb.data_write(srv->ctx, data, size);
}

static void proceed_data_end(struct smtp_server_cmd *cmd, unsigned code)
{
	(void)code;
	smtp_server_transaction_reset(cmd->srv);
}

/* The message is complete: refuse it or hand it to data_end. */
static void smtp_server_data_finish(struct smtp_server_conn *srv,
                                    const char *name)
{
	struct smtp_server_cmd *cmd = &srv->cmd;
	uint64_t max = srv->set.max_message_size;
	srv->input = SMTP_SERVER_INPUT_COMMAND;
	smtp_server_update_timeout(srv);
	smtp_server_cmd_begin(srv, smtp_server_cmd_find(name, strlen(name)));
	cmd->proceed = proceed_data_end;
	if (srv->dec.has_bare_cr_lf)
		smtp_server_cmd_reply(cmd, 554, "5.6.0",
		                      "Message refused: bare CR or LF "
		                      "(RFC 5321 2.3.8)");
	else if (max != 0 && srv->data_size > max)
		smtp_server_cmd_reply(cmd, 552, "5.3.4",
		                      "Message size exceeds fixed limit");
	else if (srv->dec.has_long_line)
		smtp_server_cmd_reply(cmd, 500, "5.5.2",
		                      "Message refused: line too long "
		                      "(RFC 5321 4.5.3.1.6)");
	else {
		srv->cb.data_end(srv->ctx, cmd);
		if (cmd->is_active) {
			srv->is_waiting = true;
			conn_set_input_paused(srv->conn, true);
		}
	}
}

/* The checks shared by DATA and BDAT. Returns 0, or -1 with the reply in
 * *code_r, *enh_r and *text_r. */
static int check_data(struct smtp_server_conn *srv, unsigned *code_r,
                      const char **enh_r, const char **text_r)
{
	*enh_r = "5.5.1";
	if (srv->state != SMTP_SERVER_STATE_MAIL) {
		*code_r = 503;
		*text_r = "Need MAIL command";
		return -1;
	}
	if (srv->rcpt_count == 0) {
		*code_r = 554; /* RFC 5321 §3.3 */
		*text_r = "No valid recipients";
		return -1;
	}
	return 0;
}

/* data = "DATA" CRLF */
void smtp_server_cmd_data(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	unsigned code;
	const char *enh, *text;
	if (args[0] != '\0') {
		smtp_server_cmd_reply(cmd, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	if (check_data(srv, &code, &enh, &text) < 0) {
		smtp_server_cmd_reply(cmd, code, enh, "%s", text);
		return;
	}
	if (srv->is_bdat) {
		smtp_server_cmd_reply(cmd, 503, "5.5.1",
		                      "DATA not allowed after BDAT");
		return;
	}
	if (srv->cb.data_begin(srv->ctx, cmd) < 0)
		return;
	/* 354 is an intermediate reply: the command ends with the data. */
	smtp_server_reply(srv, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	cmd->is_active = false;
	smtp_server_data_start(srv);
	srv->input = SMTP_SERVER_INPUT_DATA;
	smtp_server_update_timeout(srv);
}

int smtp_server_data_input(struct smtp_server_conn *srv)
{
	const unsigned char *data;
	size_t size, consumed;
	int ret = conn_peek(srv->conn, &data, &size);
	if (ret <= 0)
		return ret;
	ret =
	    smtp_data_decode(&srv->dec, data, size, &srv->data_out, &consumed);
	conn_consume(srv->conn, consumed);
	if (srv->data_out.len > 0) {
		smtp_server_data_add(srv, (unsigned char *)srv->data_out.data,
		                     srv->data_out.len);
		buf_truncate(&srv->data_out, 0);
	}
	if (ret == 1)
		smtp_server_data_finish(srv, "DATA");
	return 1;
}

/* bdat = "BDAT" SP chunk-size [ SP end-marker ] CRLF
 * chunk-size = 1*DIGIT; end-marker = "LAST" */
static int bdat_parse(const char *args, uint64_t *size_r, bool *is_last_r)
{
	size_t n = strspn(args, "0123456789");
	if (n == 0 || n > 18)
		return -1;
	*size_r = strtoull(args, NULL, 10);
	*is_last_r = false;
	if (args[n] == '\0')
		return 0;
	if (strcmp(args + n, " LAST") == 0 || strcmp(args + n, " last") == 0) {
		*is_last_r = true;
		return 0;
	}
	return -1;
}

void smtp_server_cmd_bdat(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	uint64_t size;
	bool is_last;
	if (bdat_parse(args, &size, &is_last) < 0) {
		/* The chunk's length is unknown, so its bytes would be read
		 * as commands: stop here. */
		smtp_server_cmd_reply(cmd, 501, "5.5.4",
		                      "Syntax: BDAT size [LAST]");
		smtp_server_close(srv, "bad BDAT");
		return;
	}
	cmd->is_active = false; /* the reply comes after the chunk */
	srv->bdat_chunk_size = size;
	srv->bdat_remaining = size;
	srv->is_bdat_last = is_last;
	srv->input = SMTP_SERVER_INPUT_BDAT;
	smtp_server_update_timeout(srv);
	if (srv->bdat_error_code != 0)
		return;
	const char *enh, *text;
	unsigned code;
	if (check_data(srv, &code, &enh, &text) < 0) {
		srv->bdat_error_code = code;
		srv->bdat_error_enh = enh;
		srv->bdat_error_text = text;
		return;
	}
	if (srv->is_bdat)
		return;
	srv->is_bdat = true;
	smtp_server_data_start(srv);
	cmd->is_active = true;
	if (srv->cb.data_begin(srv->ctx, cmd) < 0) {
		/* Replied already; this chunk and the rest are dropped. */
		srv->is_data_dropped = true;
		srv->bdat_error_code = 554;
		srv->bdat_error_enh = "5.5.0";
		srv->bdat_error_text = "Transaction failed";
		srv->bdat_remaining = size;
		srv->bdat_chunk_size = UINT64_MAX; /* marks "replied" */
	}
	cmd->is_active = false;
}

static void smtp_server_bdat_chunk_end(struct smtp_server_conn *srv)
{
	bool was_replied = srv->bdat_chunk_size == UINT64_MAX;
	bool in_trans = srv->state == SMTP_SERVER_STATE_MAIL;
	srv->input = SMTP_SERVER_INPUT_COMMAND;
	smtp_server_update_timeout(srv);
	if (srv->bdat_error_code != 0) {
		smtp_server_cmd_begin(srv, smtp_server_cmd_find("BDAT", 4));
		if (!was_replied)
			smtp_server_cmd_reply(&srv->cmd, srv->bdat_error_code,
			                      srv->bdat_error_enh, "%s",
			                      srv->bdat_error_text);
		srv->cmd.is_active = false;
		if (!in_trans)
			srv->bdat_error_code = 0; /* nothing to fail later */
		else if (srv->is_bdat_last)
			smtp_server_transaction_reset(srv);
		return;
	}
	if (!srv->is_bdat_last) {
		smtp_server_cmd_begin(srv, smtp_server_cmd_find("BDAT", 4));
		smtp_server_cmd_reply(&srv->cmd, 250, "2.0.0",
		                      "%llu octets received",
		                      (unsigned long long)srv->bdat_chunk_size);
		return;
	}
	smtp_data_scan_finish(&srv->dec);
	smtp_server_data_finish(srv, "BDAT");
}

int smtp_server_bdat_input(struct smtp_server_conn *srv)
{
	const unsigned char *data;
	size_t size;
	if (srv->bdat_remaining == 0) {
		smtp_server_bdat_chunk_end(srv);
		return 1;
	}
	int ret = conn_peek(srv->conn, &data, &size);
	if (ret <= 0)
		return ret;
	if (size > srv->bdat_remaining)
		size = (size_t)srv->bdat_remaining;
	if (srv->bdat_error_code == 0) {
		smtp_data_scan(&srv->dec, data, size);
		smtp_server_data_add(srv, data, size);
	}
	conn_consume(srv->conn, size);
	srv->bdat_remaining -= size;
	return 1;
}
