/* SPF, DKIM and DMARC for smtpd (smtpd_mailauth.h, doc/authentication.md).
 * Signing happens here, when smtpd writes the queue file of a submitted
 * message: local recipients then get the very bytes remote ones get, the
 * message is signed once however many destinations it has, and the keys
 * (data_dir/dkim/<domain>/<selector>.key, 0600) are read by smtpd, which
 * runs as the data folder's owner like postroomctl that made them. */
#include "smtpd.h"
#include "smtpd_mailauth.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mailauth/arc.h"
#include "mailauth/authres.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/mailauth_check.h"
#include "mailauth/mailauth_header.h"
#include "mailauth/mailauth_keys.h"
#include "mailauth/report.h"
#include "core/file.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#define SMTPD_DKIM_KEYS_MAX 4

/* The ARC seal of a message that an alias forwards to another domain
 * (RFC 8617 §5.1), made with the RSA key of the alias's domain. */
struct smtpd_sealer {
	struct dkim_sign_key *keys[SMTPD_DKIM_KEYS_MAX];
	size_t count;
	struct arc_seal *seal;
	struct buf header; /* as stored, under the fields put on top */
	const char *domain;
};

struct smtpd_signer {
	struct dkim_sign_key *keys[SMTPD_DKIM_KEYS_MAX];
	size_t count;
	struct dkim_sign *sign;
	struct buf header; /* as stored */
};

int smtpd_mailauth_init(struct smtpd *smtpd, const char **error_r)
{
	const struct mailauth_settings *s = &smtpd->set.mailauth;
	smtpd->authserv_id = s->authserv_id[0] != '\0'
	                         ? xstrdup(s->authserv_id)
	                         : xstrdup(smtpd->hostname);
	if (!s->verify || smtpd->set.smtpd.port == 0)
		return 0;
	const char *server = s->dns_server[0] != '\0'
	                         ? s->dns_server
	                         : smtpd->set.relay.dns_server;
	return dns_new(smtpd->loop, server, &smtpd->dns, error_r);
}

void smtpd_mailauth_deinit(struct smtpd *smtpd)
{
	dns_free(&smtpd->dns);
	free(smtpd->authserv_id);
}

bool smtpd_mailauth_wants_header(const struct smtpd_client *c)
{
	return c->check != NULL;
}

void smtpd_mailauth_mail(struct smtpd_client *c,
                         const struct smtp_server_mail *mail)
{
	struct smtpd *smtpd = c->smtpd;
	const struct mailauth_settings *s = &smtpd->set.mailauth;
	smtpd_mailauth_reset(c);
	if (smtpd->dns == NULL || c->service != SMTPD_SERVICE_SMTP)
		return;
	struct mailauth_check_settings set = {
	    .timeout_msecs = s->timeout * 1000,
	    .max_queries = s->max_dns_queries,
	    .dkim = {.min_rsa_bits = s->dkim_min_rsa_bits,
	             .refuse_length = s->dkim_refuse_length,
	             .max_signatures = s->dkim_max_signatures},
	    .arc_trusted_sealers = s->arc_trusted_sealers,
	};
	c->check = mailauth_check_new(
	    smtpd->loop, smtpd->dns, &set, (const struct sockaddr *)&c->peer,
	    smtp_server_conn_helo(c->srv),
	    mail->path.is_null ? "" : mail->path.address);
}

/* Appends header to out without the Authentication-Results fields that
 * claim our authserv-id: nobody else may speak for it (RFC 8601 §5). */
static void strip_authres(struct smtpd_client *c, const char *header,
                          size_t size, struct buf *out)
{
	struct mailauth_field *fields;
	size_t n = mailauth_header_split(header, size, c->trans_pool, &fields);
	const char *p = header;
	for (size_t i = 0; i < n; i++) {
		const struct mailauth_field *f = &fields[i];
		if (!mailauth_field_is(f, "Authentication-Results") ||
		    !authres_claims(f->value, f->value_len,
		                    c->smtpd->authserv_id))
			continue;
		buf_append(out, p, (size_t)(f->raw - p));
		p = f->raw + f->raw_len;
		log_info(&c->log, "authres-removed authserv-id=%s",
		         log_sanitize(c->smtpd->authserv_id, 100));
	}
	buf_append(out, p, (size_t)(header + size - p));
}

static void smtpd_key_error_cb(const char *path, const char *error, void *ctx)
{
	struct smtpd_client *c = ctx;
	log_error(&c->log, "dkim-key-failed path=%s error=%s", path, error);
}

/* Loads the active keys of domain (every <selector>.key of its folder). */
static size_t signer_keys(struct smtpd_client *c, const char *domain,
                          struct dkim_sign_key **keys)
{
	return mailauth_keys_load(c->smtpd->set.data_dir, domain, keys,
	                          SMTPD_DKIM_KEYS_MAX, smtpd_key_error_cb, c);
}

/* The domain whose alias forwards this message to another domain: that of
 * the address given at RCPT for the first recipient that is not local
 * (aliases resolve at RCPT), or NULL. */
static const char *forward_domain(const struct smtpd_client *c)
{
	for (size_t i = 0; i < c->rcpt_count; i++) {
		const struct queue_recipient *r = &c->rcpts[i];
		const char *at =
		    r->original != NULL ? strrchr(r->original, '@') : NULL;
		if (!r->is_local && at != NULL)
			return at + 1;
	}
	return NULL;
}

static void sealer_free(struct smtpd_sealer **sp)
{
	struct smtpd_sealer *s = *sp;
	if (s == NULL)
		return;
	*sp = NULL;
	arc_seal_free(&s->seal);
	mailauth_keys_free(s->keys, s->count);
	buf_deinit(&s->header);
	free(s);
}

/* Port 25 mail that goes on to another domain gets an ARC set at the end
 * of DATA; stored[0..size) is its header as stored so far. */
static void sealer_start(struct smtpd_client *c, const char *stored,
                         size_t size)
{
	const char *domain = forward_domain(c);
	if (!c->smtpd->set.mailauth.arc_seal || domain == NULL)
		return;
	struct smtpd_sealer *s = xcalloc(1, sizeof(*s));
	buf_init(&s->header);
	s->domain = pool_strdup(c->trans_pool, domain);
	s->count = signer_keys(c, domain, s->keys);
	const struct dkim_sign_key *key = mailauth_keys_rsa(s->keys, s->count);
	if (key == NULL) {
		log_info(&c->log,
		         "arc-seal-skipped domain=%s reason=no RSA key",
		         log_sanitize(domain, 200));
		sealer_free(&s);
		return;
	}
	buf_append(&s->header, stored, size);
	s->seal = arc_seal_new(key, time(NULL));
	c->sealer = s;
}

void smtpd_mailauth_header_in(struct smtpd_client *c, const char *header,
                              size_t size, struct buf *out)
{
	if (c->check != NULL)
		mailauth_check_header(c->check, header, size);
	strip_authres(c, header, size, out);
	if (c->check != NULL)
		sealer_start(c, out->data, out->len);
}

void smtpd_mailauth_header_out(struct smtpd_client *c, const char *header,
                               size_t size)
{
	const char *domain;
	if (!c->smtpd->set.mailauth.sign ||
	    dmarc_from_domain(header, size, c->trans_pool, &domain) != 1 ||
	    store_domain_exists(c->smtpd->store, domain) != 1)
		return;
	struct smtpd_signer *s = xcalloc(1, sizeof(*s));
	s->count = signer_keys(c, domain, s->keys);
	if (s->count == 0) {
		free(s);
		return;
	}
	buf_init(&s->header);
	buf_append(&s->header, header, size);
	s->sign = dkim_sign_new(s->keys, s->count, time(NULL),
	                        c->smtpd->set.mailauth.dkim_signature_lifetime);
	c->signer = s;
}

void smtpd_mailauth_body(struct smtpd_client *c, const void *data, size_t size)
{
	if (c->check != NULL)
		mailauth_check_body(c->check, data, size);
	if (c->signer != NULL)
		dkim_sign_body(c->signer->sign, data, size);
	if (c->sealer != NULL)
		arc_seal_body(c->sealer->seal, data, size);
}

enum smtpd_dmarc_action { SMTPD_ACCEPT, SMTPD_QUARANTINE, SMTPD_REJECT };

/* What [mailauth] dmarc_policy makes of a DMARC failure. */
static enum smtpd_dmarc_action
smtpd_dmarc_action(const struct smtpd_client *c,
                   const struct mailauth_verdict *v)
{
	const char *mode = c->smtpd->set.mailauth.dmarc_policy;
	enum dmarc_policy action = v->dmarc.action;
	if (v->dmarc.result != DMARC_RESULT_FAIL || strcmp(mode, "none") == 0 ||
	    action == DMARC_POLICY_NONE)
		return SMTPD_ACCEPT;
	if (action == DMARC_POLICY_REJECT && strcmp(mode, "enforce") == 0)
		return SMTPD_REJECT;
	return SMTPD_QUARANTINE;
}

/* Appends the message's record for DMARC aggregate reports (RFC 7489
 * §7.2) to data_dir/reports/dmarc-<day>.log when its domain asks for them
 * (rua=): one write with O_APPEND, so the lines of the workers never mix
 * (one record is far below PIPE_BUF). qmgr sends the reports. */
static void smtpd_report_dmarc(struct smtpd_client *c,
                               const struct mailauth_verdict *v,
                               const char *disposition)
{
	const struct postroom_settings *set = &c->smtpd->set;
	if (!set->mailauth.reports || !v->has_dmarc_record)
		return;
	time_t now = time(NULL);
	const struct report_dmarc_event e = {
	    .when = now,
	    .domain = v->dmarc_domain,
	    .record = &v->dmarc_record,
	    .source_ip = c->addr,
	    .header_from = v->from_domain,
	    .envelope_from = v->spf_domain,
	    .spf = v->spf,
	    .dkim = v->dkim_results,
	    .dkim_count = v->dkim_count,
	    .outcome = &v->dmarc,
	    .disposition = disposition,
	    .override = v->arc_override,
	};
	struct buf line;
	buf_init(&line);
	report_dmarc_record(&e, &line);
	if (line.len > 0) {
		char name[64];
		report_file_name("dmarc", now, name, sizeof(name));
		char *dir =
		    pool_printf(c->trans_pool, "%s/reports", set->data_dir);
		char *path = pool_printf(c->trans_pool, "%s/%s", dir, name);
		int fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 && errno == ENOENT && file_mkdirs(dir, 0700) == 0)
			fd = open(path,
			          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			          0600);
		if (fd < 0 ||
		    write(fd, line.data, line.len) != (ssize_t)line.len)
			log_error(&c->log,
			          "report-write-failed path=%s error=%s", path,
			          strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	buf_deinit(&line);
}

/* Puts an ARC set on top of the Authentication-Results field ar (its
 * value is the set's verdict), when the message is forwarded. */
static void smtpd_seal(struct smtpd_client *c, const struct buf *ar,
                       enum arc_cv cv, struct buf *top)
{
	struct smtpd_sealer *s = c->sealer;
	const char *error;
	const char *value = strchr(ar->data, ':');
	char *authres =
	    xstrndup(value + 1, ar->len - (size_t)(value + 1 - ar->data) - 2);
	if (arc_seal_finish(s->seal, s->header.data, s->header.len, authres, cv,
	                    top, &error) < 0)
		log_error(&c->log, "arc-seal-failed domain=%s error=%s",
		          log_sanitize(s->domain, 200), error);
	else
		log_info(&c->log, "arc-sealed domain=%s cv=%s",
		         log_sanitize(s->domain, 200), arc_cv_name(cv));
	free(authres);
}

static void smtpd_check_done_cb(void *ctx)
{
	static const char *const names[] = {"accept", "quarantine", "reject"};
	struct smtpd_client *c = ctx;
	struct smtp_server_cmd *cmd = c->data_cmd;
	struct mailauth_verdict v;
	struct buf ar, top;
	c->data_cmd = NULL;
	buf_init(&ar);
	buf_init(&top);
	mailauth_check_results(c->check, c->smtpd->authserv_id, &ar, &v);
	enum smtpd_dmarc_action action = smtpd_dmarc_action(c, &v);
	log_info(&c->log,
	         "mailauth spf=%s dkim=%zu/%zu arc=%s dmarc=%s from_domain=%s "
	         "action=%s%s%s",
	         spf_result_name(v.spf), v.dkim_pass, v.dkim_count,
	         arc_cv_name(v.arc.cv), dmarc_result_name(v.dmarc.result),
	         log_sanitize(v.from_domain != NULL ? v.from_domain : "", 200),
	         names[action], v.arc_override != NULL ? " arc_override=" : "",
	         v.arc_override != NULL ? log_sanitize(v.arc_override, 200)
	                                : "");
	smtpd_report_dmarc(c, &v,
	                   action == SMTPD_ACCEPT ? "none" : names[action]);
	/* a reply ends the transaction: v and the check are gone after it */
	if (action == SMTPD_REJECT) {
		/* RFC 7489 §6.7, §10.3: refused in the SMTP session */
		queue_writer_abort(&c->writer);
		smtp_server_cmd_reply(cmd, 550, "5.7.1",
		                      "Message refused: DMARC policy of %s "
		                      "(p=reject); SPF and DKIM did not pass "
		                      "for it",
		                      v.from_domain);
	} else {
		c->env.is_quarantined = action == SMTPD_QUARANTINE;
		if (c->sealer != NULL)
			smtpd_seal(c, &ar, v.arc.cv, &top);
		buf_append(&top, ar.data, ar.len);
		smtpd_data_commit(c, cmd, top.data, top.len);
	}
	buf_deinit(&ar);
	buf_deinit(&top);
}

void smtpd_mailauth_end(struct smtpd_client *c, struct smtp_server_cmd *cmd)
{
	if (c->signer != NULL) {
		struct buf sig;
		const char *error;
		buf_init(&sig);
		struct smtpd_signer *s = c->signer;
		if (dkim_sign_finish(s->sign, s->header.data, s->header.len,
		                     &sig, &error) < 0) {
			log_error(&c->log, "dkim-sign-failed error=%s", error);
			buf_truncate(&sig, 0);
		}
		smtpd_data_commit(c, cmd, sig.data, sig.len);
		buf_deinit(&sig);
		return;
	}
	if (c->check != NULL) {
		c->data_cmd = cmd;
		mailauth_check_end(c->check, smtpd_check_done_cb, c);
		return;
	}
	smtpd_data_commit(c, cmd, NULL, 0);
}

void smtpd_mailauth_reset(struct smtpd_client *c)
{
	mailauth_check_free(&c->check);
	sealer_free(&c->sealer);
	c->data_cmd = NULL;
	struct smtpd_signer *s = c->signer;
	if (s == NULL)
		return;
	c->signer = NULL;
	dkim_sign_free(&s->sign);
	for (size_t i = 0; i < s->count; i++)
		dkim_sign_key_free(&s->keys[i]);
	buf_deinit(&s->header);
	free(s);
}
