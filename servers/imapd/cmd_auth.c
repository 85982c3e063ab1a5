/* Logging in: LOGIN (RFC 9051 §6.2.3) and AUTHENTICATE (§6.2.2) with the
 * PLAIN (RFC 4616) and LOGIN mechanisms and an initial response (SASL-IR,
 * RFC 4959). Both are refused without TLS unless the peer is loopback and
 * plaintext_auth_loopback is set (LOGINDISABLED, RFC 9051 §6.2.3). authd
 * checks the password off the event loop (lib/auth/auth_client.h) and
 * keeps the login throttle; a failure is answered after the delay authd
 * gives. Until the answer nothing else is read from the client. */
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/base64.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool auth_allowed(const struct imapd_client *c)
{
	return conn_is_tls(c->conn) ||
	       (c->is_loopback && c->imapd->set.plaintext_auth_loopback);
}

static void auth_delay_cb(void *ctx)
{
	struct imapd_client *c = ctx;
	buf_printf(&c->out,
	           "%s NO [AUTHENTICATIONFAILED] Authentication failed\r\n",
	           c->wait_tag);
	imapd_client_resume(c);
}

static void auth_reply_ok(struct imapd_client *c, const char *tag)
{
	buf_printf(&c->out, "%s OK [CAPABILITY ", tag);
	imapd_capability(c, &c->out);
	buf_append_str(&c->out, "] Logged in\r\n");
}

/* authd's answer to auth_verify, for the command tagged wait_tag. */
static void auth_verified_cb(const struct auth_answer *answer, void *ctx)
{
	struct imapd_client *c = ctx;
	struct imapd *imapd = c->imapd;
	const char *tag = c->wait_tag, *mech = c->auth_verify_mech;
	c->auth_req = NULL;
	ASSERT(c->wait == IMAPD_WAIT_AUTH_VERIFY && tag != NULL);
	if (answer->result == AUTH_RESULT_TEMPFAIL) {
		log_error(&c->log, "login-tempfail mech=%s error=%s", mech,
		          answer->error);
		buf_printf(
		    &c->out,
		    "%s NO [UNAVAILABLE] Temporary failure (conn=%u)\r\n", tag,
		    c->id);
		imapd_client_resume(c);
		return;
	}
	if (answer->result == AUTH_RESULT_OK) {
		c->user = imapd_user_ref(imapd, answer->user);
		c->state = IMAPD_STATE_AUTH;
		log_add(&c->log, "user=%s", answer->user);
		log_info(&c->log, "login mech=%s", mech);
		auth_reply_ok(c, tag);
		imapd_client_resume(c);
		return;
	}
	log_info(&c->log, "login-failed mech=%s user=%s delay=%ums%s", mech,
	         log_sanitize(answer->user, 100), answer->delay_msecs,
	         answer->is_throttled ? " throttled=yes" : "");
	c->wait = IMAPD_WAIT_AUTH_DELAY;
	if (c->auth_timer == NULL)
		c->auth_timer = event_timer_new(imapd->loop, auth_delay_cb, c);
	event_timer_set(c->auth_timer, answer->delay_msecs);
}

/* Hands user and password (wiped here) to authd, which verifies against
 * some hash even for an unknown user, so both take as long. The session
 * reads nothing more (IMAPD_WAIT_AUTH_VERIFY: commands pipelined behind
 * wait) until auth_verified_cb answers tag. */
static void auth_verify(struct imapd_client *c, const char *tag,
                        const char *mech, const char *user, char *password)
{
	struct imapd *imapd = c->imapd;
	const struct auth_request_info info = {
	    .user = user,
	    .password = password,
	    .service = "imap",
	    .ip = c->addr,
	};
	char *wait_tag = xstrdup(tag); /* tag may be c->wait_tag */
	free(c->wait_tag);
	c->wait_tag = wait_tag;
	c->auth_verify_mech = mech;
	c->wait = IMAPD_WAIT_AUTH_VERIFY;
	auth_request_free(&c->auth_req);
	c->auth_req =
	    auth_request_new(imapd->loop, imapd->auth_socket, &info,
	                     AUTH_REQUEST_TIMEOUT_MSECS, auth_verified_cb, c);
	explicit_bzero(password, strlen(password));
}

static bool auth_is_pending(const struct imapd_client *c)
{
	return c->wait == IMAPD_WAIT_AUTH_VERIFY ||
	       c->wait == IMAPD_WAIT_AUTH_DELAY;
}

/* login = "LOGIN" SP userid SP password */
void cmd_login(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const char *user, *password;
	const struct imap_arg *a = cmd->args;
	if (!imap_arg_get_astring(a, &user) || a->next == NULL ||
	    !imap_arg_get_astring(a->next, &password) ||
	    a->next->next != NULL) {
		imapd_cmd_bad(cmd, "LOGIN needs a user and a password");
		return;
	}
	if (!auth_allowed(c)) {
		imapd_cmd_no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
		return;
	}
	auth_verify(c, cmd->tag, "login", user, (char *)password);
}

/* Handles one decoded SASL step. */
static void auth_step(struct imapd_client *c, const char *tag, const char *b64)
{
	const char *error, *authzid, *authcid, *password, *value;
	bool is_plain = strcasecmp(c->auth_mech, "PLAIN") == 0;
	if (is_plain) {
		if (auth_sasl_plain_decode(b64, strlen(b64), c->pool, &authzid,
		                           &authcid, &password, &error) < 0) {
			buf_printf(&c->out, "%s BAD %s\r\n", tag, error);
			return;
		}
		if (authzid[0] != '\0' && strcasecmp(authzid, authcid) != 0) {
			explicit_bzero((char *)password, strlen(password));
			buf_printf(&c->out,
			           "%s NO [AUTHORIZATIONFAILED] Cannot act as "
			           "another user\r\n",
			           tag);
			return;
		}
		auth_verify(c, tag, "plain", authcid, (char *)password);
		return;
	}
	if (auth_sasl_login_decode(b64, strlen(b64), c->pool, &value, &error) <
	    0) {
		buf_printf(&c->out, "%s BAD %s\r\n", tag, error);
		return;
	}
	if (c->auth_user == NULL) {
		c->auth_user = xstrdup(value);
		buf_append_str(&c->out, "+ UGFzc3dvcmQ6\r\n");
		c->wait = IMAPD_WAIT_AUTH_LINE;
		return;
	}
	char *user = c->auth_user;
	c->auth_user = NULL;
	auth_verify(c, tag, "login", user, (char *)value);
	free(user);
}

/* authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp]
 *                *(CRLF base64); initial-resp = base64 / "=" */
void cmd_authenticate(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const char *mech, *ir = NULL;
	const struct imap_arg *a = cmd->args;
	if (a == NULL || a->type != IMAP_ARG_ATOM ||
	    !imap_arg_get_astring(a, &mech) ||
	    (a->next != NULL &&
	     (!imap_arg_get_astring(a->next, &ir) || a->next->next != NULL))) {
		imapd_cmd_bad(cmd, "AUTHENTICATE needs a mechanism");
		return;
	}
	if (strcasecmp(mech, "PLAIN") != 0 && strcasecmp(mech, "LOGIN") != 0) {
		imapd_cmd_no(cmd, "Unsupported authentication mechanism");
		return;
	}
	if (!auth_allowed(c)) {
		imapd_cmd_no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
		return;
	}
	free(c->auth_mech);
	c->auth_mech = xstrdup(mech);
	free(c->wait_tag);
	c->wait_tag = xstrdup(cmd->tag);
	if (ir != NULL && strcmp(ir, "=") == 0)
		ir = "";
	if (ir != NULL && strcasecmp(mech, "PLAIN") == 0) {
		auth_step(c, cmd->tag, ir);
		if (!auth_is_pending(c))
			imapd_client_resume(c);
		return;
	}
	if (ir != NULL) {
		/* LOGIN with the user name as initial response */
		auth_step(c, cmd->tag, ir);
		if (c->wait != IMAPD_WAIT_AUTH_LINE && !auth_is_pending(c))
			imapd_client_resume(c);
		return;
	}
	buf_append_str(&c->out, strcasecmp(mech, "PLAIN") == 0
	                            ? "+ \r\n"
	                            : "+ VXNlcm5hbWU6\r\n");
	c->wait = IMAPD_WAIT_AUTH_LINE;
}

void cmd_authenticate_line(struct imapd_client *c, const char *line)
{
	char *tag = xstrdup(c->wait_tag);
	c->wait = IMAPD_WAIT_COMMAND;
	if (strcmp(line, "*") == 0) {
		buf_printf(&c->out, "%s BAD Authentication cancelled\r\n", tag);
	} else {
		auth_step(c, tag, line);
	}
	free(tag);
	if (c->wait == IMAPD_WAIT_COMMAND) {
		free(c->auth_user);
		c->auth_user = NULL;
		imapd_client_resume(c);
	}
}
