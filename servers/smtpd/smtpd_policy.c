/* smtpd's answers to the SMTP engine: who may relay (never anyone on port
 * 25: recipients must be in local domains), AUTH PLAIN/LOGIN for submission
 * (RFC 4954, only over TLS unless plaintext_auth_loopback and a loopback
 * peer), sender ownership, recipient resolution and quota, and queueing with
 * a Received header (RFC 5321 §4.4, RFC 3848). "250 queued" is sent only
 * after queue_writer_commit() made the message durable. */
#include "smtpd.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SMTPD_AUTH_MECHS "PLAIN LOGIN"

static void smtpd_tempfail(struct smtpd_client *c, struct smtp_server_cmd *cmd)
{
	smtp_server_cmd_reply(cmd, 451, "4.3.0",
	                      "Temporary failure, please try again later "
	                      "(conn=%u)",
	                      c->id);
}

/* ---- AUTH -------------------------------------------------------------- */

static bool smtpd_auth_allowed(const struct smtpd_client *c)
{
	struct conn *conn = smtp_server_conn_get_conn(c->srv);
	return conn_is_tls(conn) ||
	       (c->smtpd->set.plaintext_auth_loopback && c->is_loopback);
}

static const char *policy_auth_mechanisms(void *ctx)
{
	struct smtpd_client *c = ctx;
	if (c->service == SMTPD_SERVICE_SMTP || !smtpd_auth_allowed(c))
		return NULL;
	return SMTPD_AUTH_MECHS;
}

static void smtpd_auth_timer_cb(void *ctx)
{
	struct smtpd_client *c = ctx;
	struct smtp_server_cmd *cmd = c->auth_cmd;
	c->auth_cmd = NULL;
	if (cmd != NULL)
		smtp_server_cmd_reply(cmd, 535, "5.7.8",
		                      "Authentication credentials invalid");
}

/* Answers a failed AUTH after delay_msecs (authd's throttle). */
static void smtpd_auth_failed(struct smtpd_client *c, const char *user,
                              unsigned delay_msecs, bool is_throttled)
{
	struct smtpd *smtpd = c->smtpd;
	log_info(&c->log, "auth-failed mech=%s user=%s delay=%ums%s",
	         c->auth_mech, log_sanitize(user, 100), delay_msecs,
	         is_throttled ? " throttled=yes" : "");
	if (delay_msecs == 0) {
		smtpd_auth_timer_cb(c);
		return;
	}
	/* Answer later from a timer; the engine reads nothing meanwhile. */
	if (c->auth_timer == NULL)
		c->auth_timer =
		    event_timer_new(smtpd->loop, smtpd_auth_timer_cb, c);
	event_timer_set(c->auth_timer, delay_msecs);
}

/* authd's answer to smtpd_auth_verify. */
static void smtpd_auth_verified_cb(const struct auth_answer *answer, void *ctx)
{
	struct smtpd_client *c = ctx;
	struct smtp_server_cmd *cmd = c->auth_cmd;
	c->auth_req = NULL;
	ASSERT(cmd != NULL);
	switch (answer->result) {
	case AUTH_RESULT_TEMPFAIL:
		c->auth_cmd = NULL;
		log_error(&c->log, "auth-tempfail mech=%s error=%s",
		          c->auth_mech, answer->error);
		smtp_server_cmd_reply(cmd, 454, "4.7.0",
		                      "Temporary authentication failure "
		                      "(conn=%u)",
		                      c->id);
		return;
	case AUTH_RESULT_FAIL:
		smtpd_auth_failed(c, answer->user, answer->delay_msecs,
		                  answer->is_throttled);
		return;
	case AUTH_RESULT_OK:
		break;
	}
	c->auth_cmd = NULL;
	c->auth_user = pool_strdup(c->pool, answer->user);
	log_add(&c->log, "user=%s", c->auth_user);
	log_info(&c->log, "auth mech=%s", c->auth_mech);
	smtp_server_cmd_reply(cmd, 235, "2.7.0", "Authentication successful");
}

/* Hands user's password (wiped here) to authd, which verifies it against
 * some hash even for an unknown user so both take as long. The command
 * stays unanswered, and the engine reads nothing more, until the answer. */
static void smtpd_auth_verify(struct smtpd_client *c,
                              struct smtp_server_cmd *cmd, const char *user,
                              char *password)
{
	struct smtpd *smtpd = c->smtpd;
	const struct auth_request_info info = {
	    .user = user,
	    .password = password,
	    .service = "smtp",
	    .ip = c->addr,
	};
	c->auth_cmd = cmd;
	auth_request_free(&c->auth_req);
	c->auth_req = auth_request_new(smtpd->loop, smtpd->auth_socket, &info,
	                               AUTH_REQUEST_TIMEOUT_MSECS,
	                               smtpd_auth_verified_cb, c);
	explicit_bzero(password, strlen(password));
}

static void smtpd_auth_plain(struct smtpd_client *c,
                             struct smtp_server_cmd *cmd, const char *b64)
{
	const char *authzid, *authcid, *password, *error;
	if (auth_sasl_plain_decode(b64, strlen(b64), c->trans_pool, &authzid,
	                           &authcid, &password, &error) < 0) {
		smtp_server_cmd_reply(cmd, 501, "5.5.2",
		                      "Invalid authentication data");
		return;
	}
	if (authzid[0] != '\0' && strcmp(authzid, authcid) != 0) {
		/* No proxy authorization: refused without a check. */
		explicit_bzero((char *)password, strlen(password));
		c->auth_cmd = cmd;
		smtpd_auth_failed(c, authcid, 0, false);
		return;
	}
	smtpd_auth_verify(c, cmd, authcid, (char *)password);
}

static void smtpd_auth_login(struct smtpd_client *c,
                             struct smtp_server_cmd *cmd, const char *b64)
{
	const char *value, *error;
	if (auth_sasl_login_decode(b64, strlen(b64), c->trans_pool, &value,
	                           &error) < 0) {
		smtp_server_cmd_reply(cmd, 501, "5.5.2",
		                      "Invalid authentication data");
		return;
	}
	if (c->login_user == NULL) {
		c->login_user = value;
		smtp_server_cmd_reply_continue(cmd, "UGFzc3dvcmQ6");
		return;
	}
	smtpd_auth_verify(c, cmd, c->login_user, (char *)value);
}

static void policy_auth_begin(void *ctx, struct smtp_server_cmd *cmd,
                              const char *mech, const char *initial)
{
	struct smtpd_client *c = ctx;
	if (c->service == SMTPD_SERVICE_SMTP) {
		smtp_server_cmd_reply(cmd, 503, "5.5.1",
		                      "Authentication not enabled");
		return;
	}
	if (!smtpd_auth_allowed(c)) {
		smtp_server_cmd_reply(cmd, 538, "5.7.11",
		                      "Encryption required for requested "
		                      "authentication mechanism");
		return;
	}
	c->login_user = NULL;
	if (strcmp(mech, "PLAIN") == 0) {
		c->auth_mech = "PLAIN";
		if (initial == NULL)
			smtp_server_cmd_reply_continue(cmd, "");
		else
			smtpd_auth_plain(c, cmd, initial);
	} else if (strcmp(mech, "LOGIN") == 0) {
		c->auth_mech = "LOGIN";
		if (initial == NULL)
			smtp_server_cmd_reply_continue(cmd, "VXNlcm5hbWU6");
		else
			smtpd_auth_login(c, cmd, initial);
	} else {
		smtp_server_cmd_reply(cmd, 504, "5.5.4",
		                      "Unrecognized authentication type");
	}
}

static void policy_auth_continue(void *ctx, struct smtp_server_cmd *cmd,
                                 const char *response)
{
	struct smtpd_client *c = ctx;
	if (strcmp(c->auth_mech, "PLAIN") == 0)
		smtpd_auth_plain(c, cmd, response);
	else
		smtpd_auth_login(c, cmd, response);
}

static void policy_auth_abort(void *ctx)
{
	struct smtpd_client *c = ctx;
	c->login_user = NULL;
	c->auth_cmd = NULL;
	auth_request_free(&c->auth_req);
	if (c->auth_timer != NULL)
		event_timer_cancel(c->auth_timer);
}

/* ---- MAIL, RCPT -------------------------------------------------------- */

static void policy_mail(void *ctx, struct smtp_server_cmd *cmd,
                        const struct smtp_server_mail *mail)
{
	struct smtpd_client *c = ctx;
	if (c->service != SMTPD_SERVICE_SMTP) {
		if (c->auth_user == NULL) {
			smtp_server_cmd_reply(cmd, 530, "5.7.0",
			                      "Authentication required");
			return;
		}
		int ret =
		    mail->path.is_null
		        ? 0
		        : store_sender_allowed(c->smtpd->store, c->auth_user,
		                               mail->path.address);
		if (ret < 0) {
			log_error(&c->log, "sender check failed: %s",
			          store_last_error(c->smtpd->store));
			smtpd_tempfail(c, cmd);
			return;
		}
		if (ret == 0) {
			smtp_server_cmd_reply(cmd, 553, "5.7.1",
			                      "Sender address rejected: not "
			                      "owned by user %s",
			                      c->auth_user);
			return;
		}
	}
	c->mail = mail;
	smtp_server_cmd_reply(cmd, 250, "2.1.0", "Ok");
}

static void smtpd_rcpt_add(struct smtpd_client *c,
                           const struct smtp_server_rcpt *rcpt,
                           const char *address, const char *detail,
                           bool is_local)
{
	for (size_t i = 0; i < c->rcpt_count; i++) {
		const struct queue_recipient *r = &c->rcpts[i];
		if (strcmp(r->address, address) == 0 &&
		    ((r->detail == NULL && detail == NULL) ||
		     (r->detail != NULL && detail != NULL &&
		      strcmp(r->detail, detail) == 0)))
			return; /* the same mailbox twice */
	}
	if (c->rcpt_count == c->rcpt_alloc) {
		size_t n = c->rcpt_alloc == 0 ? 8 : c->rcpt_alloc * 2;
		struct queue_recipient *r =
		    pool_alloc(c->trans_pool, n * sizeof(*r));
		if (c->rcpt_count > 0)
			memcpy(r, c->rcpts, c->rcpt_count * sizeof(*r));
		c->rcpts = r;
		c->rcpt_alloc = n;
	}
	struct queue_recipient *r = &c->rcpts[c->rcpt_count++];
	memset(r, 0, sizeof(*r));
	r->address = pool_strdup(c->trans_pool, address);
	r->original = rcpt->path.address;
	r->detail = detail != NULL ? pool_strdup(c->trans_pool, detail) : NULL;
	r->orcpt = rcpt->orcpt;
	r->notify = rcpt->notify;
	r->is_local = is_local;
	r->status = QUEUE_RCPT_PENDING;
}

/* Resolves a recipient in a local domain. Returns the reply code: 250, or
 * 550 unknown, 452 over quota, 451 on error. */
static unsigned smtpd_rcpt_local(struct smtpd_client *c,
                                 const struct smtp_server_rcpt *rcpt,
                                 const char *address)
{
	struct store *store = c->smtpd->store;
	struct store_resolution res;
	int ret = store_address_resolve(store, address, c->trans_pool, &res);
	if (ret <= 0)
		return ret == 0 ? 550 : 451;
	uint64_t size = c->mail != NULL ? c->mail->size : 0;
	size_t local = 0, full = 0;
	for (size_t i = 0; i < res.count; i++) {
		if (!res.targets[i].is_local)
			continue;
		local++;
		ret = store_quota_check(store, res.targets[i].address, size);
		if (ret < 0)
			return 451;
		if (ret == 0)
			full++;
	}
	/* Refuse only when no local mailbox can take it; deliver checks
	 * each target again. */
	if (local > 0 && full == local && local == res.count)
		return 452;
	for (size_t i = 0; i < res.count; i++)
		smtpd_rcpt_add(c, rcpt, res.targets[i].address,
		               res.targets[i].detail, res.targets[i].is_local);
	return 250;
}

struct smtpd_first_domain {
	struct pool *pool;
	const char *domain;
};

static void smtpd_first_domain_cb(const char *domain, void *ctx)
{
	struct smtpd_first_domain *first = ctx;
	if (first->domain == NULL)
		first->domain = pool_strdup(first->pool, domain);
}

static void policy_rcpt(void *ctx, struct smtp_server_cmd *cmd,
                        const struct smtp_server_rcpt *rcpt)
{
	struct smtpd_client *c = ctx;
	struct store *store = c->smtpd->store;
	const char *address = rcpt->path.address;
	const char *domain = rcpt->path.domain;
	if (rcpt->path.is_postmaster) {
		/* RFC 5321 §4.5.1: <Postmaster> always reaches someone: the
		 * postmaster of our hostname's domain, else of the first
		 * local domain. */
		domain = c->smtpd->hostname;
		if (store_domain_exists(store, domain) != 1) {
			struct smtpd_first_domain first = {c->trans_pool, NULL};
			(void)store_domain_list(store, smtpd_first_domain_cb,
			                        &first);
			if (first.domain != NULL)
				domain = first.domain;
		}
		address = pool_printf(c->trans_pool, "postmaster@%s", domain);
	}
	int is_local =
	    domain[0] == '[' ? 0 : store_domain_exists(store, domain);
	unsigned code = 250;
	if (is_local < 0)
		code = 451;
	else if (is_local > 0)
		code = smtpd_rcpt_local(c, rcpt, address);
	else if (c->service == SMTPD_SERVICE_SMTP)
		code = 554; /* never relay for anyone on port 25 */
	else
		smtpd_rcpt_add(c, rcpt, address, NULL, false);

	switch (code) {
	case 250:
		if (c->rcpt_cmds++ == 0)
			c->first_rcpt = address;
		smtp_server_cmd_reply(cmd, 250, "2.1.5", "Ok");
		break;
	case 550:
		smtp_server_cmd_reply(
		    cmd, 550, "5.1.1",
		    "Recipient address rejected: user unknown");
		break;
	case 452:
		smtp_server_cmd_reply(cmd, 452, "4.2.2", "Mailbox full");
		break;
	case 554:
		smtp_server_cmd_reply(cmd, 554, "5.7.1", "Relay access denied");
		break;
	default:
		log_error(&c->log, "recipient lookup failed: %s",
		          store_last_error(store));
		smtpd_tempfail(c, cmd);
	}
}

/* ---- DATA -------------------------------------------------------------- */

/* Received header, RFC 5321 §4.4:
 * Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time */
static void smtpd_received(struct smtpd_client *c, struct buf *out)
{
	struct conn *conn = smtp_server_conn_get_conn(c->srv);
	const char *v6 = strchr(c->addr, ':') != NULL ? "IPv6:" : "";
	buf_printf(out,
	           "Received: from %s ([%s%s])\r\n\tby %s (Postroom) "
	           "with %s",
	           smtp_server_conn_helo(c->srv), v6, c->addr,
	           c->smtpd->hostname, smtp_server_conn_protocol(c->srv));
	if (conn_is_tls(conn))
		buf_printf(out, " (%s %s)", conn_tls_version(conn),
		           conn_tls_cipher(conn));
	buf_printf(out, " id %s", c->env.id);
	if (c->rcpt_cmds == 1)
		buf_printf(out, "\r\n\tfor <%s>", c->first_rcpt);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out, ";\r\n\t%s\r\n", date);
}

static int policy_data_begin(void *ctx, struct smtp_server_cmd *cmd)
{
	struct smtpd_client *c = ctx;
	const struct smtp_server_mail *m = c->mail;
	const char *error;
	struct queue_envelope *env = &c->env;
	memset(env, 0, sizeof(*env));
	env->arrival = time(NULL);
	env->sender = m->path.address;
	env->ret = m->ret;
	env->envid = m->envid;
	env->body = m->body == SMTP_BODY_8BITMIME ? "8BITMIME" : "7BIT";
	env->smtputf8 = m->smtputf8;
	env->auth_user = c->auth_user;
	env->client_addr = c->addr;
	env->helo = smtp_server_conn_helo(c->srv);
	env->rcpt_count = c->rcpt_count;
	env->rcpts = c->rcpts;
	if (queue_writer_begin(c->smtpd->queue_dir, env, &c->writer, &error) <
	    0) {
		log_error(&c->log, "queue-failed error=%s", error);
		smtpd_tempfail(c, cmd);
		return -1;
	}
	c->data_size = 0;
	c->has_write_failed = false;
	struct buf hdr;
	buf_init(&hdr);
	smtpd_received(c, &hdr);
	if (queue_writer_write(c->writer, hdr.data, hdr.len) < 0)
		c->has_write_failed = true;
	buf_deinit(&hdr);
	return 0;
}

static void policy_data_write(void *ctx, const unsigned char *data, size_t size)
{
	struct smtpd_client *c = ctx;
	c->data_size += size;
	if (c->has_write_failed || c->writer == NULL)
		return;
	if (queue_writer_write(c->writer, data, size) < 0)
		c->has_write_failed = true;
}

static void policy_data_end(void *ctx, struct smtp_server_cmd *cmd)
{
	struct smtpd_client *c = ctx;
	const char *error = "write failed";
	if (c->has_write_failed ||
	    queue_writer_commit(&c->writer, &error) < 0) {
		queue_writer_abort(&c->writer);
		log_error(&c->log, "queue-failed error=%s", error);
		smtpd_tempfail(c, cmd);
		return;
	}
	log_info(&c->log, "queued id=%s from=<%s> size=%llu nrcpt=%zu",
	         c->env.id, log_sanitize(c->env.sender, 300),
	         (unsigned long long)c->data_size, c->rcpt_count);
	smtp_server_cmd_reply(cmd, 250, "2.0.0", "Ok: queued as %s", c->env.id);
	queue_notify(c->smtpd->queue_dir);
}

void smtpd_policy_reset(struct smtpd_client *c)
{
	queue_writer_abort(&c->writer);
	c->mail = NULL;
	c->rcpts = NULL;
	c->rcpt_count = c->rcpt_alloc = 0;
	c->rcpt_cmds = 0;
	c->first_rcpt = NULL;
	c->login_user = NULL;
	pool_clear(c->trans_pool);
}

static void policy_reset(void *ctx)
{
	struct smtpd_client *c = ctx;
	if (c->auth_cmd == NULL) /* the AUTH exchange uses trans_pool */
		smtpd_policy_reset(c);
}

static void policy_disconnect(void *ctx, const char *reason)
{
	struct smtpd_client *c = ctx;
	c->auth_cmd = NULL;
	auth_request_free(&c->auth_req);
	smtpd_client_free(&c, reason);
}

const struct smtp_server_callbacks smtpd_policy_callbacks = {
    .auth_mechanisms = policy_auth_mechanisms,
    .auth_begin = policy_auth_begin,
    .auth_continue = policy_auth_continue,
    .auth_abort = policy_auth_abort,
    .mail = policy_mail,
    .rcpt = policy_rcpt,
    .data_begin = policy_data_begin,
    .data_write = policy_data_write,
    .data_end = policy_data_end,
    .reset = policy_reset,
    .disconnect = policy_disconnect,
};
