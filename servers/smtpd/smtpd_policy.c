/* smtpd's answers to the SMTP engine: who may relay (never anyone on port
 * 25: recipients must be in local domains; on submission, address literals
 * only to public addresses or allowed networks, RFC 6409 §6.2), AUTH
 * PLAIN/LOGIN for submission
 * (RFC 4954, only over TLS unless plaintext_auth_loopback and a loopback
 * peer), sender ownership, recipient resolution and quota, and queueing with
 * a Received header (RFC 5321 §4.4, RFC 3848). On submission, the message
 * submission agent's Date and Message-ID go under the Received header and a
 * message without From is refused (smtpd_msa.h). Free space is checked at
 * MAIL and DATA/BDAT, before any body is sent (452 4.3.1). "250 queued" is
 * sent only after queue_writer_commit() made the message durable. */
#include "smtpd.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/net.h"
#include "core/pool.h"
#include "store/store.h"

#include <errno.h>
#include <stdint.h>
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

/* Is there room for a message of size bytes (0: not declared) beyond
 * [smtpd] min_free_space on the file systems of the queue and the store?
 * Returns true if so, and also when free space cannot be read (logged):
 * a failed statvfs must not stop the mail. */
static bool smtpd_has_space(struct smtpd_client *c, uint64_t size)
{
	const char *paths[] = {c->smtpd->queue_dir, c->smtpd->set.data_dir};
	uint64_t reserve = c->smtpd->set.smtpd.min_free_space;
	uint64_t need =
	    size > UINT64_MAX - reserve ? UINT64_MAX : reserve + size;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		uint64_t free_bytes;
		if (file_free_space(paths[i], &free_bytes) < 0) {
			log_error(&c->log, "statvfs-failed path=%s error=%s",
			          paths[i], strerror(errno));
			continue;
		}
		if (free_bytes < need) {
			log_warn(&c->log,
			         "low-space path=%s free=%llu need=%llu",
			         paths[i], (unsigned long long)free_bytes,
			         (unsigned long long)need);
			return false;
		}
	}
	return true;
}

/* RFC 3463 §3.4: X.3.1 "Mail system full". */
static void smtpd_reply_full(struct smtp_server_cmd *cmd)
{
	smtp_server_cmd_reply(cmd, 452, "4.3.1", "Insufficient system storage");
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
	if (!smtpd_has_space(c, mail->size)) {
		smtpd_reply_full(cmd);
		return;
	}
	c->mail = mail;
	smtpd_mailauth_mail(c, mail); /* SPF runs meanwhile */
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

/* May a submission user send to the address-literal domain ("[10.0.0.1]",
 * "[IPv6:::1]")? The relay would connect to it, so only public addresses
 * and [relay] allowed_literal_networks may be named: a user must not reach
 * our loopback or the private network behind us. Returns NULL if allowed,
 * else the reason (a static string). */
static const char *smtpd_literal_refusal(const struct smtpd_client *c,
                                         const char *domain)
{
	char addr[SMTP_LITERAL_ADDR_MAX];
	if (smtp_address_literal_addr((const unsigned char *)domain,
	                              strlen(domain), addr) < 0)
		return "not an IP address";
	return net_addr_refusal(addr,
	                        c->smtpd->set.relay.allowed_literal_networks);
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
	const char *refusal = NULL;
	unsigned code = 250;
	if (is_local < 0)
		code = 451;
	else if (is_local > 0)
		code = smtpd_rcpt_local(c, rcpt, address);
	else if (c->service == SMTPD_SERVICE_SMTP)
		code = 554; /* never relay for anyone on port 25 */
	else if (domain[0] == '[' &&
	         (refusal = smtpd_literal_refusal(c, domain)) != NULL)
		code = 550;
	else
		smtpd_rcpt_add(c, rcpt, address, NULL, false);

	switch (code) {
	case 250:
		if (c->rcpt_cmds++ == 0)
			c->first_rcpt = address;
		smtp_server_cmd_reply(cmd, 250, "2.1.5", "Ok");
		break;
	case 550:
		if (refusal != NULL)
			/* RFC 6409 §6.2: not a recipient this user may
			 * send to */
			smtp_server_cmd_reply(
			    cmd, 550, "5.7.1",
			    "Relay to address literal %s not allowed: %s "
			    "network",
			    domain, refusal);
		else
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
	struct tm tm;
	localtime_r(&c->env.arrival, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out, ";\r\n\t%s\r\n", date);
}

static void smtpd_write(struct smtpd_client *c, const void *data, size_t size)
{
	if (c->has_write_failed || c->writer == NULL || size == 0)
		return;
	if (queue_writer_write(c->writer, data, size) < 0) {
		c->has_write_failed = true;
		c->write_errno = errno;
	}
}

/* Writes what goes before the message: our Received field, then on
 * submission the Date and Message-ID the message lacks (RFC 6409 §8.2,
 * §8.3) and the header held back until now, which the signer sees; on
 * port 25 the held header goes to the checks and is written without
 * forged Authentication-Results fields. So the queue file holds the
 * message as it will be stored (and signed), the added fields at the top
 * of the header under the trace field. */
static void smtpd_write_top(struct smtpd_client *c)
{
	struct buf top;
	buf_init(&top);
	smtpd_received(c, &top);
	if (c->is_msa) {
		smtpd_msa_fields(&c->msa, c->env.arrival, c->env.id,
		                 c->smtpd->hostname, &top);
		smtpd_mailauth_header_in(c, c->msa.header.data,
		                         c->msa.header.len, &top);
		smtpd_mailauth_header_out(c, top.data, top.len);
	} else if (c->holds_header) {
		smtpd_mailauth_header_in(c, c->msa.header.data,
		                         c->msa.header.len, &top);
	}
	smtpd_write(c, top.data, top.len);
	buf_deinit(&top);
}

/* Submission's checks of the whole message. Returns true after refusing
 * it: a header section too long to hold back, or no From field (RFC 6409
 * §6.3: 554 for a syntactic problem in the data; RFC 5322 §3.6 makes From
 * mandatory). Adding a From from the login would name an author the
 * client did not write (which of the user's addresses, which display
 * name), and §8 lists only Sender, Date and Message-ID as fields an MSA
 * may add. */
static bool smtpd_msa_refused(struct smtpd_client *c,
                              struct smtp_server_cmd *cmd)
{
	if (c->msa.is_too_big) {
		smtp_server_cmd_reply(cmd, 552, "5.3.4",
		                      "Message header section exceeds fixed "
		                      "limit of %u bytes",
		                      (unsigned)SMTPD_MSA_HEADER_MAX);
		return true;
	}
	if (!c->msa.has_from) {
		smtp_server_cmd_reply(cmd, 554, "5.6.0",
		                      "Message has no From header field "
		                      "(RFC 5322 3.6)");
		return true;
	}
	return false;
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
	env->release = m->release;
	env->release_request = m->release_request;
	env->body = m->body == SMTP_BODY_8BITMIME ? "8BITMIME" : "7BIT";
	env->smtputf8 = m->smtputf8;
	env->auth_user = c->auth_user;
	env->client_addr = c->addr;
	env->helo = smtp_server_conn_helo(c->srv);
	env->rcpt_count = c->rcpt_count;
	env->rcpts = c->rcpts;
	/* again now, before the client sends the body: the space may have
	 * gone since MAIL */
	if (!smtpd_has_space(c, m->size)) {
		smtpd_reply_full(cmd);
		return -1;
	}
	if (queue_writer_begin(c->smtpd->queue_dir, env, &c->writer, &error) <
	    0) {
		log_error(&c->log, "queue-failed error=%s", error);
		smtpd_tempfail(c, cmd);
		return -1;
	}
	c->data_size = 0;
	c->has_write_failed = false;
	c->is_msa = c->service != SMTPD_SERVICE_SMTP;
	if (c->is_msa || smtpd_mailauth_wants_header(c)) {
		/* the top is written once the header section is complete */
		smtpd_msa_init(&c->msa);
		c->holds_header = true;
		/* the fields put on top at the end go there, so a large
		 * message is not copied for them */
		queue_writer_reserve(c->writer, SMTPD_MAILAUTH_HEAD_RESERVE);
	} else {
		smtpd_write_top(c);
	}
	return 0;
}

static void policy_data_write(void *ctx, const unsigned char *data, size_t size)
{
	struct smtpd_client *c = ctx;
	c->data_size += size;
	if (c->holds_header && !c->msa.is_done) {
		size_t n = smtpd_msa_feed(&c->msa, data, size);
		if (c->msa.is_done && !c->msa.is_too_big)
			smtpd_write_top(c);
		data += n;
		size -= n;
	}
	if (c->holds_header && c->msa.is_too_big)
		return; /* refused at the end */
	smtpd_mailauth_body(c, data, size);
	smtpd_write(c, data, size);
}

static void policy_data_end(void *ctx, struct smtp_server_cmd *cmd)
{
	struct smtpd_client *c = ctx;
	if (c->holds_header && !c->msa.is_done) {
		smtpd_msa_finish(&c->msa); /* no body: all of it was header */
		smtpd_write_top(c);
	}
	if ((c->is_msa && smtpd_msa_refused(c, cmd)) ||
	    (c->holds_header && c->msa.is_too_big &&
	     smtpd_msa_refused(c, cmd))) {
		queue_writer_abort(&c->writer);
		return;
	}
	smtpd_mailauth_end(c, cmd);
}

void smtpd_data_commit(struct smtpd_client *c, struct smtp_server_cmd *cmd,
                       const char *prefix, size_t size)
{
	const char *error = "write failed";
	if (!c->has_write_failed && (size > 0 || c->env.is_quarantined) &&
	    queue_writer_reframe(c->writer, &c->env, prefix, size, &error) <
	        0) {
		c->has_write_failed = true;
		c->write_errno = errno;
	}
	c->data_size += size;
	if (c->has_write_failed ||
	    queue_writer_commit(&c->writer, &error) < 0) {
		int err = c->has_write_failed ? c->write_errno : errno;
		queue_writer_abort(&c->writer);
		log_error(&c->log, "queue-failed error=%s (%s)", error,
		          strerror(err));
		if (err == ENOSPC || err == EDQUOT)
			smtpd_reply_full(cmd);
		else
			smtpd_tempfail(c, cmd);
		return;
	}
	log_info(&c->log, "queued id=%s from=<%s> size=%llu nrcpt=%zu%s%s",
	         c->env.id, log_sanitize(c->env.sender, 300),
	         (unsigned long long)c->data_size, c->rcpt_count,
	         c->env.release_request != NULL ? " hold=" : "",
	         c->env.release_request != NULL ? c->env.release_request : "");
	smtp_server_cmd_reply(cmd, 250, "2.0.0", "Ok: queued as %s", c->env.id);
	queue_notify(c->smtpd->queue_dir);
}

void smtpd_policy_reset(struct smtpd_client *c)
{
	queue_writer_abort(&c->writer);
	smtpd_mailauth_reset(c);
	if (c->holds_header) {
		smtpd_msa_deinit(&c->msa);
		c->holds_header = false;
	}
	c->is_msa = false;
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
