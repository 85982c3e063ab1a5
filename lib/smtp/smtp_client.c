/* The SMTP client session (RFC 5321 §3.1, §4.1.1.1, §4.5.3.2): connect,
 * greeting, EHLO (HELO when EHLO is not recognised), STARTTLS (RFC 3207;
 * every EHLO keyword is forgotten and asked again after the handshake),
 * AUTH PLAIN or LOGIN (RFC 4954, RFC 4616), READY between transactions,
 * and QUIT. A failure before READY is reported through closed so the owner
 * can try the next address; replies are read with smtp_client_reply. */
#include "smtp/smtp_client_private.h"
#include "core/base64.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMTP_CLIENT_QUIT_TIMEOUT 10

void smtp_client_status_set(struct smtp_client_status *status, unsigned code,
                            const char *enhanced, const char *text)
{
	status->code = code;
	snprintf(status->enhanced, sizeof(status->enhanced), "%s", enhanced);
	snprintf(status->text, sizeof(status->text), "%s", text);
}

void smtp_client_status_from_reply(struct smtp_client_status *status,
                                   const struct smtp_client_reply *reply)
{
	char enhanced[16];
	if (reply->enhanced[0] != '\0')
		snprintf(enhanced, sizeof(enhanced), "%s", reply->enhanced);
	else
		/* RFC 3463 §3.1: "X.0.0" when the peer gave no detail */
		snprintf(enhanced, sizeof(enhanced), "%u.0.0",
		         reply->code / 100);
	smtp_client_status_set(status, reply->code, enhanced, reply->text);
}

void smtp_client_write(struct smtp_client *client, const char *fmt, ...)
{
	va_list ap;
	buf_truncate(&client->out, 0);
	va_start(ap, fmt);
	buf_vprintf(&client->out, fmt, ap);
	va_end(ap);
	buf_append(&client->out, "\r\n", 2);
	conn_write(client->conn, client->out.data, client->out.len);
}

void smtp_client_fail(struct smtp_client *client, unsigned code,
                      const char *enhanced, const char *text, bool is_polite)
{
	if (client->fail.code == 0)
		smtp_client_status_set(&client->fail, code, enhanced, text);
	if (client->state == SMTP_CLIENT_CLOSING)
		return;
	if (is_polite && client->state != SMTP_CLIENT_CONNECTING &&
	    client->state != SMTP_CLIENT_HANDSHAKE)
		smtp_client_write(client, "QUIT");
	client->state = SMTP_CLIENT_CLOSING;
	client->is_streaming = false;
	conn_set_timeout(client->conn, SMTP_CLIENT_QUIT_TIMEOUT);
	conn_close_after_flush(client->conn);
}

static void smtp_client_ehlo(struct smtp_client *client)
{
	client->state = SMTP_CLIENT_EHLO;
	client->ext = 0;
	client->size_max = 0;
	smtp_client_write(client, "EHLO %s", client->set.helo_name);
}

static void smtp_client_ready(struct smtp_client *client)
{
	client->state = SMTP_CLIENT_READY;
	client->is_ready_seen = true;
	client->cb.ready(client, client->ctx);
}

static void smtp_client_auth(struct smtp_client *client)
{
	const char *user = client->set.auth_user;
	if (user == NULL || user[0] == '\0') {
		smtp_client_ready(client);
		return;
	}
	if (!client->is_tls && !client->set.allow_plain_auth) {
		smtp_client_fail(client, 451, "4.7.0",
		                 "refusing to send AUTH without TLS", true);
		return;
	}
	if ((client->ext & SMTP_CLIENT_EXT_AUTH_PLAIN) != 0) {
		/* RFC 4616 §2: [authzid] NUL authcid NUL passwd */
		struct buf raw, enc;
		buf_init(&raw);
		buf_init(&enc);
		buf_append_char(&raw, '\0');
		buf_append_str(&raw, user);
		buf_append_char(&raw, '\0');
		buf_append_str(&raw, client->set.auth_password);
		base64_encode(raw.data, raw.len, &enc);
		smtp_client_write(client, "AUTH PLAIN %s", enc.data);
		explicit_bzero(raw.data, raw.len);
		explicit_bzero(enc.data, enc.len);
		buf_deinit(&raw);
		buf_deinit(&enc);
		client->state = SMTP_CLIENT_AUTH;
	} else if ((client->ext & SMTP_CLIENT_EXT_AUTH_LOGIN) != 0) {
		smtp_client_write(client, "AUTH LOGIN");
		client->state = SMTP_CLIENT_AUTH_USER;
	} else {
		smtp_client_fail(client, 451, "4.7.0",
		                 "peer offers no AUTH PLAIN or LOGIN", true);
	}
}

static void smtp_client_auth_send(struct smtp_client *client, const char *str)
{
	struct buf enc;
	buf_init(&enc);
	base64_encode(str, strlen(str), &enc);
	smtp_client_write(client, "%s", enc.data);
	explicit_bzero(enc.data, enc.len);
	buf_deinit(&enc);
}

/* After EHLO or HELO: STARTTLS, the TLS policy, then AUTH. */
static void smtp_client_after_ehlo(struct smtp_client *client)
{
	enum smtp_client_tls mode = client->set.tls_mode;
	if (!client->is_tls && mode != SMTP_CLIENT_TLS_NONE &&
	    (client->ext & SMTP_CLIENT_EXT_STARTTLS) != 0) {
		client->state = SMTP_CLIENT_STARTTLS;
		smtp_client_write(client, "STARTTLS");
		return;
	}
	if (!client->is_tls && mode == SMTP_CLIENT_TLS_REQUIRED) {
		smtp_client_fail(client, 451, "4.7.10",
		                 "TLS is required but the peer offers no "
		                 "STARTTLS",
		                 true);
		return;
	}
	smtp_client_auth(client);
}

static void smtp_client_session_reply(struct smtp_client *client)
{
	struct smtp_client_reply *r = &client->reply;
	unsigned cls = r->code / 100;
	const char *error;
	switch (client->state) {
	case SMTP_CLIENT_GREETING:
		if (cls != 2)
			break;
		smtp_client_ehlo(client);
		return;
	case SMTP_CLIENT_EHLO:
		if (cls == 2) {
			client->ext =
			    smtp_client_ehlo_parse(r, &client->size_max);
			smtp_client_after_ehlo(client);
			return;
		}
		if (r->code != 500 && r->code != 502 && r->code != 504 &&
		    r->code != 550)
			break;
		/* §4.1.4: a server without EHLO: fall back to HELO */
		client->state = SMTP_CLIENT_HELO;
		smtp_client_write(client, "HELO %s", client->set.helo_name);
		return;
	case SMTP_CLIENT_HELO:
		if (cls != 2)
			break;
		client->ext = 0;
		smtp_client_after_ehlo(client);
		return;
	case SMTP_CLIENT_STARTTLS:
		if (r->code == 220) {
			if (conn_starttls_client(client->conn, client->set.tls,
			                         client->set.servername,
			                         &error) < 0) {
				smtp_client_fail(client, 451, "4.7.5", error,
				                 false);
				return;
			}
			client->state = SMTP_CLIENT_HANDSHAKE;
			return;
		}
		if (client->set.tls_mode == SMTP_CLIENT_TLS_REQUIRED)
			break;
		smtp_client_auth(client); /* refused: go on in plaintext */
		return;
	case SMTP_CLIENT_AUTH:
		if (r->code != 235)
			break;
		smtp_client_ready(client);
		return;
	case SMTP_CLIENT_AUTH_USER:
	case SMTP_CLIENT_AUTH_PASS:
		if (r->code == 235 && client->state == SMTP_CLIENT_AUTH_PASS) {
			smtp_client_ready(client);
			return;
		}
		if (r->code != 334)
			break;
		smtp_client_auth_send(client,
		                      client->state == SMTP_CLIENT_AUTH_USER
		                          ? client->set.auth_user
		                          : client->set.auth_password);
		client->state = client->state == SMTP_CLIENT_AUTH_USER
		                    ? SMTP_CLIENT_AUTH_PASS
		                    : SMTP_CLIENT_AUTH;
		return;
	case SMTP_CLIENT_QUIT:
		client->state = SMTP_CLIENT_CLOSING;
		conn_close_after_flush(client->conn);
		return;
	default:
		/* READY: an unsolicited reply, typically 421 */
		break;
	}
	/* a refusal at the session level: the owner tries elsewhere */
	struct smtp_client_status st;
	smtp_client_status_from_reply(&st, r);
	if (cls != 4 && cls != 5) {
		st.code = 451;
		snprintf(st.enhanced, sizeof(st.enhanced), "4.5.0");
	}
	smtp_client_fail(client, st.code, st.enhanced, st.text, r->code != 421);
}

static void smtp_client_handle_reply(struct smtp_client *client)
{
	if (client->state == SMTP_CLIENT_MAIL)
		smtp_client_mail_reply(client);
	else if (client->state != SMTP_CLIENT_CLOSING)
		smtp_client_session_reply(client);
}

static void smtp_client_input_cb(struct conn *conn, void *ctx)
{
	struct smtp_client *client = ctx;
	const char *line, *error;
	size_t len;
	while (client->state != SMTP_CLIENT_CLOSING) {
		int ret = conn_read_line(conn, SMTP_CLIENT_REPLY_LINE_MAX,
		                         &line, &len, NULL);
		if (ret == 0)
			return;
		if (ret < 0) {
			if (conn_last_error(conn) == CONN_ERROR_TOO_LONG)
				smtp_client_fail(
				    client, 451, "4.5.0",
				    "protocol error: reply line too "
				    "long",
				    false);
			else
				smtp_client_fail(
				    client, 421, "4.4.2",
				    "connection closed by the peer", false);
			return;
		}
		ret = smtp_client_reply_add(&client->reply, line, len, &error);
		if (ret < 0) {
			char text[128];
			snprintf(text, sizeof(text), "protocol error: %s",
			         error);
			smtp_client_fail(client, 451, "4.5.0", text, false);
			return;
		}
		if (ret == 1) {
			smtp_client_handle_reply(client);
			smtp_client_reply_init(&client->reply);
		}
	}
}

static void smtp_client_timeout_cb(struct conn *conn, void *ctx)
{
	struct smtp_client *client = ctx;
	(void)conn;
	smtp_client_fail(client, 421, "4.4.2",
	                 client->state == SMTP_CLIENT_CONNECTING
	                     ? "connection timed out"
	                     : "timed out waiting for the peer",
	                 false);
}

/* The certificate check failed: says why (RFC 8314 §4.1). */
static void smtp_client_verify_status(const struct smtp_client *client,
                                      struct smtp_client_status *status)
{
	const char *why = client->set.tls != NULL
	                      ? tls_client_verify_error(client->set.tls)
	                      : "";
	char text[300];
	snprintf(text, sizeof(text), "certificate verify failed: %s",
	         why[0] != '\0' ? why : "not trusted");
	smtp_client_status_set(status, 421, "4.7.5", text);
}

static void smtp_client_connected_cb(struct conn *conn, void *ctx)
{
	struct smtp_client *client = ctx;
	const char *error;
	if (client->state == SMTP_CLIENT_CONNECTING &&
	    client->set.tls_mode == SMTP_CLIENT_TLS_IMPLICIT) {
		/* RFC 8314 §3.3: the handshake comes before the greeting. */
		client->state = SMTP_CLIENT_HANDSHAKE;
		conn_set_timeout(conn, client->set.command_timeout);
		if (conn_starttls_client(conn, client->set.tls,
		                         client->set.servername, &error) < 0)
			smtp_client_fail(client, 421, "4.7.5", error, false);
	} else if (client->state == SMTP_CLIENT_CONNECTING) {
		client->state = SMTP_CLIENT_GREETING;
		conn_set_timeout(conn, client->set.command_timeout);
	} else if (client->state == SMTP_CLIENT_HANDSHAKE) {
		client->is_tls = true;
		if (client->set.is_verify_required &&
		    !conn_tls_is_verified(conn)) {
			struct smtp_client_status st;
			smtp_client_verify_status(client, &st);
			smtp_client_fail(client, st.code, st.enhanced, st.text,
			                 false);
			return;
		}
		if (client->set.tls_mode == SMTP_CLIENT_TLS_IMPLICIT)
			client->state = SMTP_CLIENT_GREETING;
		else
			smtp_client_ehlo(client);
	}
}

static void smtp_client_drained_cb(struct conn *conn, void *ctx)
{
	struct smtp_client *client = ctx;
	(void)conn;
	if (client->is_streaming)
		smtp_client_mail_stream(client);
}

static void smtp_client_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx)
{
	struct smtp_client *client = ctx;
	char text[300];
	if (client->fail.code == 0) {
		bool is_connect = client->state == SMTP_CLIENT_CONNECTING;
		if (status == CONN_STATUS_TIMEOUT)
			snprintf(text, sizeof(text), "timed out");
		else if (status == CONN_STATUS_ERROR)
			snprintf(text, sizeof(text), "%s%s",
			         is_connect ? "connect failed: " : "",
			         conn_error_str(conn));
		else
			snprintf(text, sizeof(text), "connection closed");
		if (client->state == SMTP_CLIENT_HANDSHAKE &&
		    client->set.is_verify_required && client->set.tls != NULL &&
		    tls_client_verify_error(client->set.tls)[0] != '\0')
			smtp_client_verify_status(client, &client->fail);
		else if (client->state == SMTP_CLIENT_HANDSHAKE)
			smtp_client_status_set(&client->fail, 421, "4.7.5",
			                       "TLS handshake failed");
		else if (status != CONN_STATUS_CLOSED || !client->is_ready_seen)
			smtp_client_status_set(&client->fail, 421,
			                       is_connect ? "4.4.1" : "4.4.2",
			                       text);
	}
	client->state = SMTP_CLIENT_CLOSING;
	client->is_streaming = false;
	if (client->msg != NULL) {
		struct smtp_client_status st = client->fail;
		if (st.code == 0)
			smtp_client_status_set(&st, 421, "4.4.2",
			                       "connection closed");
		smtp_client_mail_abort(client, &st);
	}
	client->cb.closed(client, client->is_ready_seen, &client->fail,
	                  client->ctx);
}

struct smtp_client *smtp_client_new(struct event_loop *loop,
                                    const struct sockaddr *sa, socklen_t sa_len,
                                    const struct smtp_client_settings *set,
                                    const struct smtp_client_callbacks *cb,
                                    void *ctx)
{
	static const struct conn_callbacks conn_cbs = {
	    .input = smtp_client_input_cb,
	    .timeout = smtp_client_timeout_cb,
	    .closed = smtp_client_closed_cb,
	    .connected = smtp_client_connected_cb,
	    .drained = smtp_client_drained_cb,
	};
	struct smtp_client *client = xcalloc(1, sizeof(*client));
	client->loop = loop;
	client->set = *set;
	if (client->set.command_timeout == 0)
		client->set.command_timeout = 300;
	if (client->set.data_timeout == 0)
		client->set.data_timeout = 600;
	client->cb = *cb;
	client->ctx = ctx;
	client->state = SMTP_CLIENT_CONNECTING;
	buf_init(&client->out);
	smtp_client_reply_init(&client->reply);
	client->done_timer =
	    event_timer_new(loop, smtp_client_mail_done_cb, client);
	client->conn = conn_connect(loop, sa, sa_len, NULL, &conn_cbs, client);
	snprintf(client->peer, sizeof(client->peer), "%s",
	         conn_peer_addr(client->conn));
	conn_set_timeout(client->conn,
	                 set->connect_timeout > 0 ? set->connect_timeout : 30);
	return client;
}

void smtp_client_free(struct smtp_client **clientp)
{
	struct smtp_client *client = *clientp;
	if (client == NULL)
		return;
	*clientp = NULL;
	conn_free(&client->conn);
	event_timer_free(&client->done_timer);
	free(client->is_accepted);
	free(client->pending);
	buf_deinit(&client->out);
	free(client);
}

void smtp_client_quit(struct smtp_client *client)
{
	ASSERT(client->state == SMTP_CLIENT_READY);
	client->state = SMTP_CLIENT_QUIT;
	conn_set_timeout(client->conn, SMTP_CLIENT_QUIT_TIMEOUT);
	smtp_client_write(client, "QUIT");
}

const char *smtp_client_peer(const struct smtp_client *client)
{
	return client->peer;
}

bool smtp_client_is_tls(const struct smtp_client *client)
{
	return client->is_tls;
}

bool smtp_client_is_tls_verified(const struct smtp_client *client)
{
	return client->conn != NULL && conn_tls_is_verified(client->conn);
}
