/* Logging in and out: AUTHENTICATE with PLAIN (RFC 4616) and LOGIN, with
 * or without an initial response, the challenges and responses as
 * ManageSieve strings (RFC 5804 §2.1), "*" to cancel; only over TLS, or
 * from loopback with plaintext_auth_loopback (§2.1: PLAIN needs TLS),
 * else NO (ENCRYPT-NEEDED). authd checks the password off the event loop
 * (lib/auth/auth_client.h, service=sieve) and keeps the login throttle:
 * an unknown user and a wrong password get the same NO after the same
 * delay, held back from a timer. UNAUTHENTICATE (§2.14.1) returns to the
 * state before login. Secrets are wiped once checked. */
#include "sieved.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_FAILED_TEXT "Authentication failed"

static void cmd_auth_timer_cb(void *ctx)
{
	struct sieved_client *c = ctx;
	c->is_auth_waiting = false;
	sieved_client_no(c, NULL, AUTH_FAILED_TEXT);
	sieved_client_resume(c);
}

/* Answers a failed login after delay_msecs (authd's throttle). */
static void cmd_auth_failed(struct sieved_client *c, const char *user,
                            unsigned delay_msecs, bool is_throttled)
{
	log_info(&c->log, "auth-failed mech=%s user=%s delay=%ums%s",
	         c->sasl_mech, log_sanitize(user, 100), delay_msecs,
	         is_throttled ? " throttled=yes" : "");
	if (delay_msecs == 0) {
		sieved_client_no(c, NULL, AUTH_FAILED_TEXT);
		return;
	}
	if (c->auth_timer == NULL)
		c->auth_timer =
		    event_timer_new(c->sieved->loop, cmd_auth_timer_cb, c);
	c->is_auth_waiting = true;
	conn_set_input_paused(c->conn, true);
	event_timer_set(c->auth_timer, delay_msecs);
}

/* The password is right: opens the account of user (its address, as
 * authd found it). */
static void cmd_auth_open(struct sieved_client *c, const char *user)
{
	const char *error;
	if (store_account_open(c->sieved->store, user, &c->account, &error) <
	    0) {
		if (strcmp(error, "no such account") == 0) {
			/* removed since authd looked */
			cmd_auth_failed(c, user, 0, false);
			return;
		}
		log_error(&c->log, "account open failed user=%s error=%s",
		          log_sanitize(user, 100), error);
		sieved_client_no(c, "TRYLATER",
		                 "Temporary authentication failure (conn=%u)",
		                 c->id);
		return;
	}
	c->user = xstrdup(user);
	sieved_client_state_set(c, SIEVED_STATE_AUTH);
	conn_set_deadline(c->conn, 0);
	log_add(&c->log, "user=%s", c->user);
	log_info(&c->log, "login mech=%s", c->sasl_mech);
	sieved_client_ok(c, NULL, "Logged in");
}

/* authd's answer. */
static void cmd_auth_verified_cb(const struct auth_answer *answer, void *ctx)
{
	struct sieved_client *c = ctx;
	c->auth_req = NULL;
	c->is_auth_waiting = false;
	switch (answer->result) {
	case AUTH_RESULT_TEMPFAIL:
		log_error(&c->log, "auth-tempfail mech=%s error=%s",
		          c->sasl_mech, answer->error);
		sieved_client_no(c, "TRYLATER",
		                 "Temporary authentication failure (conn=%u)",
		                 c->id);
		break;
	case AUTH_RESULT_FAIL:
		cmd_auth_failed(c, answer->user, answer->delay_msecs,
		                answer->is_throttled);
		break;
	case AUTH_RESULT_OK:
		cmd_auth_open(c, answer->user);
		break;
	}
	if (!c->is_auth_waiting)
		sieved_client_resume(c);
}

/* Hands user's password (wiped here) to authd; nothing more is read from
 * the client until the answer. */
static void cmd_auth_login(struct sieved_client *c, const char *user,
                           char *password)
{
	const struct auth_request_info info = {
	    .user = user,
	    .password = password,
	    .service = "sieve",
	    .ip = c->addr,
	};
	auth_request_free(&c->auth_req);
	c->auth_req = auth_request_new(c->sieved->loop, c->sieved->auth_socket,
	                               &info, AUTH_REQUEST_TIMEOUT_MSECS,
	                               cmd_auth_verified_cb, c);
	explicit_bzero(password, strlen(password));
	c->is_auth_waiting = true;
	conn_set_input_paused(c->conn, true);
}

static void cmd_auth_plain(struct sieved_client *c, const char *b64, size_t len)
{
	const char *authzid, *authcid, *password, *error;
	if (auth_sasl_plain_decode(b64, len, c->cmd_pool, &authzid, &authcid,
	                           &password, &error) < 0) {
		sieved_client_bad(c, "Invalid PLAIN response");
		return;
	}
	if (authzid[0] != '\0' && strcmp(authzid, authcid) != 0) {
		/* no proxy login: refused without a check, so at once */
		explicit_bzero((char *)password, strlen(password));
		cmd_auth_failed(c, authcid, 0, false);
		return;
	}
	cmd_auth_login(c, authcid, (char *)password);
}

/* LOGIN's first answer: the user name; then ask for the password. */
static void cmd_auth_login_user(struct sieved_client *c, const char *b64,
                                size_t len)
{
	const char *user, *error;
	if (auth_sasl_login_decode(b64, len, c->cmd_pool, &user, &error) < 0) {
		sieved_client_bad(c, "Invalid LOGIN response");
		return;
	}
	free(c->login_user);
	c->login_user = xstrdup(user);
	c->sasl = SIEVED_SASL_LOGIN_PASS;
	managesieve_string_append_str(&c->out, "UGFzc3dvcmQ6"); /* Password: */
	buf_append_str(&c->out, "\r\n");
	sieved_client_flush(c);
}

/* AUTHENTICATE SP auth-type [SP string] *(CRLF string) (RFC 5804 §2.1) */
void cmd_authenticate(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count)
{
	if (count < 1 || count > 2 ||
	    args[0].type != MANAGESIEVE_TOKEN_STRING ||
	    (count == 2 && args[1].type != MANAGESIEVE_TOKEN_STRING)) {
		sieved_client_bad(c,
		                  "Usage: AUTHENTICATE mechanism [response]");
		return;
	}
	if (!sieved_client_can_auth(c)) {
		sieved_client_no(c, "ENCRYPT-NEEDED",
		                 "Authentication requires TLS, use STARTTLS");
		return;
	}
	const char *mech = args[0].str;
	const struct managesieve_token *ir = count == 2 ? &args[1] : NULL;
	if (strcasecmp(mech, "PLAIN") == 0) {
		c->sasl_mech = "PLAIN";
		if (ir != NULL) {
			cmd_auth_plain(c, ir->str, ir->len);
			explicit_bzero((char *)ir->str, ir->len);
			return;
		}
		c->sasl = SIEVED_SASL_PLAIN;
		managesieve_string_append_str(&c->out, "");
	} else if (strcasecmp(mech, "LOGIN") == 0) {
		c->sasl_mech = "LOGIN";
		if (ir != NULL) {
			cmd_auth_login_user(c, ir->str, ir->len);
			return;
		}
		c->sasl = SIEVED_SASL_LOGIN_USER;
		/* Username: */
		managesieve_string_append_str(&c->out, "VXNlcm5hbWU6");
	} else {
		sieved_client_no(c, NULL,
		                 "Unsupported authentication mechanism");
		return;
	}
	buf_append_str(&c->out, "\r\n");
	sieved_client_flush(c);
}

/* One step of an exchange; the response (which may carry a secret) is
 * wiped in the parser's buffer by the caller. */
static void cmd_authenticate_step(struct sieved_client *c,
                                  enum sieved_sasl step,
                                  const struct managesieve_token *arg)
{
	const char *password, *error;
	char *user;
	switch (step) {
	case SIEVED_SASL_PLAIN:
		cmd_auth_plain(c, arg->str, arg->len);
		break;
	case SIEVED_SASL_LOGIN_USER:
		cmd_auth_login_user(c, arg->str, arg->len);
		break;
	case SIEVED_SASL_LOGIN_PASS:
		user = c->login_user;
		c->login_user = NULL;
		if (user == NULL ||
		    auth_sasl_login_decode(arg->str, arg->len, c->cmd_pool,
		                           &password, &error) < 0) {
			free(user);
			sieved_client_bad(c, "Invalid LOGIN response");
			return;
		}
		cmd_auth_login(c, user, (char *)password);
		free(user);
		break;
	case SIEVED_SASL_NONE:
		log_panic("sieved: AUTHENTICATE response without an exchange");
	}
}

void cmd_authenticate_response(struct sieved_client *c,
                               const struct managesieve_token *args,
                               size_t count)
{
	enum sieved_sasl step = c->sasl;
	c->sasl = SIEVED_SASL_NONE;
	if (count != 1 || args[0].type != MANAGESIEVE_TOKEN_STRING) {
		free(c->login_user);
		c->login_user = NULL;
		sieved_client_bad(c, "Invalid authentication response");
	} else if (strcmp(args[0].str, "*") == 0) {
		/* RFC 5804 §2.1: the client cancels; the server says NO */
		free(c->login_user);
		c->login_user = NULL;
		sieved_client_no(c, NULL, "Authentication cancelled");
	} else {
		cmd_authenticate_step(c, step, &args[0]);
	}
	for (size_t i = 0; i < count; i++)
		explicit_bzero((char *)args[i].str, args[i].len);
}

void cmd_auth_logout(struct sieved_client *c)
{
	store_account_close(&c->account);
	free(c->user);
	c->user = NULL;
}

/* UNAUTHENTICATE (RFC 5804 §2.14.1) */
void cmd_unauthenticate(struct sieved_client *c,
                        const struct managesieve_token *args, size_t count)
{
	if (count != 0) {
		sieved_client_bad(c, "UNAUTHENTICATE takes no arguments");
		return;
	}
	log_info(&c->log, "unauthenticate");
	cmd_auth_logout(c);
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	sieved_client_state_set(c, SIEVED_STATE_NOT_AUTH);
	conn_set_deadline(c->conn, c->sieved->set.sieved.login_timeout);
	sieved_client_ok(c, NULL, "Unauthenticated");
}
