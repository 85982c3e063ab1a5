/* Logging in: USER and PASS (RFC 1939 §7), AUTH PLAIN and LOGIN with or
 * without an initial response (RFC 5034 §4, RFC 4616), only over TLS or
 * from loopback with plaintext_auth_loopback (RFC 2595 §2.5). authd checks
 * the password off the event loop (lib/auth/auth_client.h) and keeps the
 * login throttle. Unknown user and wrong password get the same reply after
 * the same work, held back from a timer for the delay authd gives; a
 * locked maildrop gets [IN-USE] (RFC 2449 §8.1.1). Secrets are wiped once
 * checked. */
#include "pop3d.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define AUTH_FAILED_TEXT "Authentication failed"

static bool cmd_auth_check_allowed(struct pop3_client *c)
{
	if (pop3_client_can_auth(c))
		return true;
	pop3_client_err(c, "AUTH",
	                "Plaintext authentication disallowed on non-secure "
	                "connections, use STLS");
	return false;
}

static void cmd_auth_timer_cb(void *ctx)
{
	struct pop3_client *c = ctx;
	c->is_auth_waiting = false;
	conn_set_input_paused(c->conn, false);
	pop3_client_err(c, "AUTH", AUTH_FAILED_TEXT);
}

/* Answers a failed login after delay_msecs (authd's throttle). */
static void cmd_auth_failed(struct pop3_client *c, const char *user,
                            unsigned delay_msecs, bool is_throttled)
{
	struct pop3d *pop3d = c->pop3d;
	log_info(&c->log, "auth-failed mech=%s user=%s delay=%ums%s",
	         c->sasl_mech, log_sanitize(user, 100), delay_msecs,
	         is_throttled ? " throttled=yes" : "");
	if (delay_msecs == 0) {
		pop3_client_err(c, "AUTH", AUTH_FAILED_TEXT);
		return;
	}
	/* Answer later from a timer; nothing is read meanwhile. */
	if (c->auth_timer == NULL)
		c->auth_timer =
		    event_timer_new(pop3d->loop, cmd_auth_timer_cb, c);
	c->is_auth_waiting = true;
	conn_set_input_paused(c->conn, true);
	event_timer_set(c->auth_timer, delay_msecs);
}

/* The password is right: opens the maildrop of user (the account's
 * address, as authd found it). */
static void cmd_auth_open(struct pop3_client *c, const char *user)
{
	struct pop3d *pop3d = c->pop3d;
	struct store_account_info info;
	int ret = store_account_lookup(pop3d->store, user, c->cmd_pool, &info);
	if (ret < 0) {
		log_error(&c->log, "auth lookup failed: %s",
		          store_last_error(pop3d->store));
		pop3_client_err(c, "SYS/TEMP",
		                "Temporary authentication failure (conn=%u)",
		                c->id);
		return;
	}
	if (ret == 0) { /* removed since authd looked */
		cmd_auth_failed(c, user, 0, false);
		return;
	}
	ret = pop3_maildrop_open(c, &info);
	if (ret == 0) {
		log_info(&c->log, "login-refused user=%s reason=in-use",
		         log_sanitize(info.address, 100));
		pop3_client_err(c, "IN-USE",
		                "Maildrop is in use by another session");
		return;
	}
	if (ret < 0) {
		pop3_client_err(c, "SYS/TEMP", "Cannot open maildrop (conn=%u)",
		                c->id);
		return;
	}
	c->state = POP3_STATE_TRANSACTION;
	log_add(&c->log, "user=%s", c->account_addr);
	log_info(&c->log, "login mech=%s messages=%u size=%llu", c->sasl_mech,
	         c->msg_count, (unsigned long long)c->total_size);
	pop3_client_ok(c, "Logged in, %u messages (%llu octets)", c->msg_count,
	               (unsigned long long)c->total_size);
}

/* authd's answer to cmd_auth_login. */
static void cmd_auth_verified_cb(const struct auth_answer *answer, void *ctx)
{
	struct pop3_client *c = ctx;
	c->auth_req = NULL;
	c->is_auth_waiting = false;
	conn_set_input_paused(c->conn, false);
	switch (answer->result) {
	case AUTH_RESULT_TEMPFAIL:
		log_error(&c->log, "auth-tempfail mech=%s error=%s",
		          c->sasl_mech, answer->error);
		pop3_client_err(c, "SYS/TEMP",
		                "Temporary authentication failure (conn=%u)",
		                c->id);
		return;
	case AUTH_RESULT_FAIL:
		cmd_auth_failed(c, answer->user, answer->delay_msecs,
		                answer->is_throttled);
		return;
	case AUTH_RESULT_OK:
		cmd_auth_open(c, answer->user);
		return;
	}
}

/* Hands user's password (wiped here) to authd, which verifies it against
 * some hash even for an unknown user, so both cost the same; nothing more
 * is read from the client until the answer. */
static void cmd_auth_login(struct pop3_client *c, const char *user,
                           char *password)
{
	struct pop3d *pop3d = c->pop3d;
	const struct auth_request_info info = {
	    .user = user,
	    .password = password,
	    .service = "pop3",
	    .ip = c->addr,
	};
	auth_request_free(&c->auth_req);
	c->auth_req = auth_request_new(pop3d->loop, pop3d->auth_socket, &info,
	                               AUTH_REQUEST_TIMEOUT_MSECS,
	                               cmd_auth_verified_cb, c);
	explicit_bzero(password, strlen(password));
	c->is_auth_waiting = true;
	conn_set_input_paused(c->conn, true);
}

void cmd_user(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (!cmd_auth_check_allowed(c))
		return;
	if (cmd->argc != 1) {
		pop3_client_err(c, NULL, "USER takes one argument");
		return;
	}
	free(c->user);
	c->user = xstrdup(cmd->argv[0]);
	pop3_client_ok(c, "Send the password");
}

void cmd_pass(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (!cmd_auth_check_allowed(c))
		return;
	if (c->user == NULL) {
		pop3_client_err(c, NULL, "USER first");
		return;
	}
	char *user = c->user;
	c->user = NULL;
	/* RFC 1939 §7: the password is the whole rest of the line. */
	char *password = (char *)cmd->args;
	c->sasl_mech = "USER";
	cmd_auth_login(c, user, password);
	free(user);
}

static void cmd_auth_plain(struct pop3_client *c, const char *b64)
{
	const char *authzid, *authcid, *password, *error;
	if (auth_sasl_plain_decode(b64, strlen(b64), c->cmd_pool, &authzid,
	                           &authcid, &password, &error) < 0) {
		pop3_client_err(c, NULL, "Invalid AUTH PLAIN response");
		return;
	}
	if (authzid[0] != '\0' && strcmp(authzid, authcid) != 0) {
		/* No proxy login: refused without a check, so at once. */
		explicit_bzero((char *)password, strlen(password));
		cmd_auth_failed(c, authcid, 0, false);
		return;
	}
	cmd_auth_login(c, authcid, (char *)password);
}

/* LOGIN's first answer: the user name; then ask for the password. */
static void cmd_auth_login_user(struct pop3_client *c, const char *b64)
{
	const char *user, *error;
	if (auth_sasl_login_decode(b64, strlen(b64), c->cmd_pool, &user,
	                           &error) < 0) {
		c->sasl = POP3_SASL_NONE;
		pop3_client_err(c, NULL, "Invalid AUTH LOGIN response");
		return;
	}
	free(c->login_user);
	c->login_user = xstrdup(user);
	c->sasl = POP3_SASL_LOGIN_PASS;
	buf_append_str(&c->out, "+ UGFzc3dvcmQ6\r\n"); /* Password: */
	pop3_client_flush(c);
}

void cmd_auth(struct pop3_client *c, const struct pop3_command *cmd)
{
	if (cmd->argc == 0) {
		/* The pre-RFC 5034 mechanism list some clients ask for. */
		buf_append_str(&c->out, "+OK\r\n");
		if (pop3_client_can_auth(c))
			buf_append_str(&c->out, "PLAIN\r\nLOGIN\r\n");
		pop3_reply_end(&c->out);
		pop3_client_flush(c);
		return;
	}
	if (!cmd_auth_check_allowed(c))
		return;
	if (cmd->argc > 2) {
		pop3_client_err(c, NULL, "Too many arguments");
		return;
	}
	const char *mech = cmd->argv[0];
	const char *ir = cmd->argc == 2 ? cmd->argv[1] : NULL;
	if (strcasecmp(mech, "PLAIN") == 0) {
		c->sasl_mech = "PLAIN";
		if (ir != NULL) {
			cmd_auth_plain(c, ir);
			return;
		}
		c->sasl = POP3_SASL_PLAIN;
		buf_append_str(&c->out, "+ \r\n");
	} else if (strcasecmp(mech, "LOGIN") == 0) {
		c->sasl_mech = "LOGIN";
		if (ir != NULL) {
			cmd_auth_login_user(c, ir);
			return;
		}
		c->sasl = POP3_SASL_LOGIN_USER;
		buf_append_str(&c->out, "+ VXNlcm5hbWU6\r\n"); /* Username: */
	} else {
		pop3_client_err(c, NULL,
		                "Unsupported authentication mechanism");
		return;
	}
	pop3_client_flush(c);
}

void cmd_auth_response(struct pop3_client *c, const char *line)
{
	enum pop3_sasl step = c->sasl;
	c->sasl = POP3_SASL_NONE;
	if (strcmp(line, "*") == 0) {
		/* RFC 5034 §4: the client cancels the exchange. */
		pop3_client_err(c, NULL, "Authentication cancelled");
		return;
	}
	switch (step) {
	case POP3_SASL_PLAIN:
		cmd_auth_plain(c, line);
		break;
	case POP3_SASL_LOGIN_USER:
		cmd_auth_login_user(c, line);
		break;
	case POP3_SASL_LOGIN_PASS: {
		const char *password, *error;
		char *user = c->login_user;
		c->login_user = NULL;
		if (user == NULL ||
		    auth_sasl_login_decode(line, strlen(line), c->cmd_pool,
		                           &password, &error) < 0) {
			free(user);
			pop3_client_err(c, NULL, "Invalid AUTH LOGIN response");
			return;
		}
		cmd_auth_login(c, user, (char *)password);
		free(user);
		break;
	}
	case POP3_SASL_NONE:
		log_panic("pop3d: AUTH response without an exchange");
	}
}
