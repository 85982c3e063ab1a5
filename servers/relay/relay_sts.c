/* Other domains' MTA-STS policies (RFC 8461 §5) and TLS-RPT records
 * (RFC 8460 §3), per recipient domain (relay.h). A discovery looks up
 * _mta-sts.<domain>: exactly one "v=STSv1" record with an id; when that
 * id differs from the cached policy's (or nothing is cached) the policy is
 * fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt (a 200
 * with a valid policy, the certificate verified for that name, no
 * redirects; http_fetch) and cached until its max_age, in memory and in
 * data_dir/relay/mta-sts/<domain>, so a restart keeps it. When the TXT
 * record is gone, cannot be fetched, or the new policy cannot be, the
 * cached policy stays in force until it expires (§5.1: a policy an
 * attacker could otherwise strip). The failure is kept for the TLS-RPT
 * report (§4.3.2.2 result types). Waiting sessions are told when the
 * discovery ends; a domain is looked at again RELAY_STS_RECHECK later. */
#include "relay/relay.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_fetch.h"
#include "mailauth/mta_sts.h"
#include "mailauth/report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RELAY_RUA_RECHECK 3600

struct relay_sts_wait {
	struct relay_sts *sts;
	struct relay_sts_wait *next;
	struct event_timer *timer; /* tells from the loop */
	relay_sts_cb *cb;
	void *ctx;
};

static char *cache_path(const struct relay_sts *sts)
{
	return xasprintf("%s/relay/mta-sts/%s", sts->relay->cfg.data_dir,
	                 sts->domain);
}

/* Takes policy text[0..len) with id, valid until expires. Returns 0, or
 * -1 when it does not parse. */
static int sts_set(struct relay_sts *sts, const char *text, size_t len,
                   const char *id, time_t expires, const char **error_r)
{
	struct pool *pool = pool_new();
	struct mta_sts_policy *p = pool_alloc(pool, sizeof(*p));
	if (mta_sts_policy_parse(text, len, pool, p, error_r) < 0) {
		pool_free(&pool);
		return -1;
	}
	pool_free(&sts->pool);
	sts->pool = pool;
	sts->policy = p;
	sts->text = pool_strndup(pool, text, len);
	snprintf(sts->id, sizeof(sts->id), "%s", id);
	sts->expires = expires;
	sts->has_policy = true;
	return 0;
}

/* The disk cache: "id=<id> expires=<time>" then the policy text. */
static void cache_load(struct relay_sts *sts)
{
	char *path = cache_path(sts);
	struct buf b;
	buf_init(&b);
	if (file_read_all(path, &b, MTA_STS_POLICY_MAX + 256) == 0) {
		char id[33];
		long long expires;
		const char *lf = memchr(b.data, '\n', b.len);
		const char *error;
		if (lf != NULL &&
		    sscanf(b.data, "id=%32[A-Za-z0-9] expires=%lld", id,
		           &expires) == 2 &&
		    expires > (long long)time(NULL) &&
		    sts_set(sts, lf + 1, b.len - (size_t)(lf + 1 - b.data), id,
		            (time_t)expires, &error) < 0)
			log_warn(NULL, "mta-sts-cache-bad path=%s error=%s",
			         path, error);
	}
	buf_deinit(&b);
	free(path);
}

static void cache_save(struct relay_sts *sts)
{
	char *dir = xasprintf("%s/relay/mta-sts", sts->relay->cfg.data_dir);
	char *path = cache_path(sts);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "id=%s expires=%" PRId64 "\n%s", sts->id,
	           (int64_t)sts->expires, sts->text);
	if (file_mkdirs(dir, 0700) < 0 ||
	    file_write_atomic(path, b.data, b.len, 0600) < 0)
		log_error(NULL, "mta-sts-cache-failed path=%s error=%s", path,
		          strerror(errno));
	buf_deinit(&b);
	free(path);
	free(dir);
}

struct relay_sts *relay_sts_get(struct relay *relay, const char *domain)
{
	struct relay_sts *sts = relay->sts_list;
	while (sts != NULL && strcasecmp(sts->domain, domain) != 0)
		sts = sts->next;
	if (sts != NULL)
		return sts;
	sts = xcalloc(1, sizeof(*sts));
	sts->relay = relay;
	sts->domain = xstrdup(domain);
	sts->next = relay->sts_list;
	relay->sts_list = sts;
	if (relay->cfg.mta_sts && strchr(domain, '/') == NULL &&
	    domain[0] != '.')
		cache_load(sts);
	sts->is_loaded = true;
	return sts;
}

static bool sts_is_busy(const struct relay_sts *sts)
{
	return sts->txt_req != NULL || sts->rpt_req != NULL ||
	       sts->fetch != NULL;
}

static void wait_timer_cb(void *ctx)
{
	struct relay_sts_wait *w = ctx;
	struct relay_sts_wait **p = &w->sts->waiting;
	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	relay_sts_cb *cb = w->cb;
	void *cb_ctx = w->ctx;
	event_timer_free(&w->timer);
	free(w);
	cb(cb_ctx);
}

/* The discovery is over: the waiting sessions go on (from the loop). */
static void sts_done(struct relay_sts *sts)
{
	if (sts_is_busy(sts))
		return;
	/* a policy past its max_age no longer holds (§5) */
	if (sts->has_policy && sts->expires <= time(NULL))
		sts->has_policy = false;
	for (struct relay_sts_wait *w = sts->waiting; w != NULL; w = w->next)
		event_timer_set(w->timer, 0);
}

static void fetch_cb(const struct http_fetch_result *r, void *ctx)
{
	struct relay_sts *sts = ctx;
	const char *error = NULL;
	sts->fetch = NULL;
	if (r->status == HTTP_FETCH_OK && r->code == 200) {
		struct pool *pool = pool_new();
		struct mta_sts_policy p;
		if (mta_sts_policy_parse(r->body, r->body_len, pool, &p,
		                         &error) == 0) {
			(void)sts_set(sts, r->body, r->body_len, sts->fetch_id,
			              time(NULL) + (time_t)p.max_age, &error);
			sts->failure = NULL;
			cache_save(sts);
			log_info(NULL,
			         "mta-sts-policy domain=%s id=%s mode=%s "
			         "max_age=%u",
			         sts->domain, sts->fetch_id,
			         mta_sts_mode_name(p.mode), p.max_age);
		} else {
			sts->failure = "sts-policy-invalid";
		}
		pool_free(&pool);
	} else {
		sts->failure = r->status == HTTP_FETCH_VERIFY
		                   ? "sts-webpki-invalid"
		                   : "sts-policy-fetch-error";
		error = r->status == HTTP_FETCH_OK ? "not 200" : r->error;
	}
	if (sts->failure != NULL)
		log_warn(NULL,
		         "mta-sts-fetch-failed domain=%s code=%u error=%s%s",
		         sts->domain, r->code, log_sanitize(error, 300),
		         sts->has_policy ? " (the cached policy stays)" : "");
	sts_done(sts);
}

static void txt_cb(enum dns_status status, const struct dns_txt *txt,
                   size_t count, const char *error, void *ctx)
{
	struct relay_sts *sts = ctx;
	const struct relay_config *cfg = &sts->relay->cfg;
	size_t n = 0, which = 0;
	char id[33];
	(void)error;
	sts->txt_req = NULL;
	for (size_t i = 0; status == DNS_STATUS_OK && i < count; i++) {
		if (mta_sts_txt_is_sts(txt[i].text, txt[i].len)) {
			n++;
			which = i;
		}
	}
	/* §3.1: exactly one record, else no MTA-STS (a cached policy
	 * stays until it expires) */
	const char *why;
	if (n == 1 &&
	    mta_sts_txt_parse(txt[which].text, txt[which].len, id, &why) == 0 &&
	    (!sts->has_policy || strcmp(id, sts->id) != 0 ||
	     sts->expires <= time(NULL))) {
		snprintf(sts->fetch_id, sizeof(sts->fetch_id), "%s", id);
		char *host = xasprintf("mta-sts.%s", sts->domain);
		sts->fetch = http_fetch_start(
		    sts->relay->loop, sts->relay->dns, sts->relay->tls, host,
		    cfg->mta_sts_port, "/.well-known/mta-sts.txt",
		    cfg->mta_sts_timeout, MTA_STS_POLICY_MAX, fetch_cb, sts);
		free(host);
	}
	sts_done(sts);
}

static void rpt_cb(enum dns_status status, const struct dns_txt *txt,
                   size_t count, const char *error, void *ctx)
{
	struct relay_sts *sts = ctx;
	(void)error;
	sts->rpt_req = NULL;
	if (status != DNS_STATUS_TEMPFAIL) {
		struct pool *pool = pool_new();
		const char *rua = NULL, *why;
		size_t n = 0;
		for (size_t i = 0; status == DNS_STATUS_OK && i < count; i++) {
			if (strncmp(txt[i].text, "v=TLSRPTv1", 10) != 0)
				continue;
			n++;
			if (tlsrpt_txt_parse(txt[i].text, txt[i].len, pool,
			                     &rua, &why) < 0)
				rua = NULL;
		}
		free(sts->rua);
		/* RFC 8460 §3: one record, else none */
		sts->rua = n == 1 && rua != NULL ? xstrdup(rua) : NULL;
		sts->rua_checked = time(NULL);
		pool_free(&pool);
	}
	sts_done(sts);
}

int relay_sts_refresh(struct relay_sts *sts, relay_sts_cb *cb, void *ctx,
                      struct relay_sts_wait **wait_r)
{
	struct relay *relay = sts->relay;
	time_t now = time(NULL);
	if (!sts_is_busy(sts)) {
		if (relay->cfg.mta_sts &&
		    (sts->checked == 0 ||
		     now - sts->checked >= RELAY_STS_RECHECK)) {
			char *name = xasprintf("_mta-sts.%s", sts->domain);
			sts->checked = now;
			sts->txt_req =
			    dns_txt_lookup(relay->dns, name, txt_cb, sts);
			free(name);
		}
		if (relay->cfg.tlsrpt &&
		    (sts->rua_checked == 0 ||
		     now - sts->rua_checked >= RELAY_RUA_RECHECK)) {
			char *name = xasprintf("_smtp._tls.%s", sts->domain);
			sts->rua_checked = now;
			sts->rpt_req =
			    dns_txt_lookup(relay->dns, name, rpt_cb, sts);
			free(name);
		}
		if (!sts_is_busy(sts)) {
			sts_done(sts);
			return 1;
		}
	}
	struct relay_sts_wait *w = xcalloc(1, sizeof(*w));
	w->sts = sts;
	w->cb = cb;
	w->ctx = ctx;
	w->timer = event_timer_new(relay->loop, wait_timer_cb, w);
	w->next = sts->waiting;
	sts->waiting = w;
	*wait_r = w;
	return 0;
}

void relay_sts_wait_cancel(struct relay_sts_wait **wp)
{
	struct relay_sts_wait *w = *wp;
	if (w == NULL)
		return;
	*wp = NULL;
	struct relay_sts_wait **p = &w->sts->waiting;
	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	event_timer_free(&w->timer);
	free(w);
}

bool relay_sts_is_active(const struct relay_sts *sts)
{
	return sts->has_policy && sts->expires > time(NULL) &&
	       sts->policy->mode != MTA_STS_NONE;
}

bool relay_sts_is_enforced(const struct relay_sts *sts)
{
	return relay_sts_is_active(sts) && sts->policy->mode == MTA_STS_ENFORCE;
}

void relay_sts_record(struct relay_sts *sts, const char *policy_type,
                      const char *policy, const char *mx, const char *ip,
                      const char *result)
{
	const struct relay_config *cfg = &sts->relay->cfg;
	if (!cfg->tlsrpt || sts->rua == NULL)
		return;
	time_t now = time(NULL);
	struct report_tls_event e = {
	    .when = now,
	    .domain = sts->domain,
	    .policy_type = policy_type,
	    .policy = policy,
	    .mx_host = mx,
	    .ip = ip,
	    .result = result,
	    .rua = sts->rua,
	};
	struct buf line;
	char name[64];
	buf_init(&line);
	report_tls_record(&e, &line);
	report_file_name("tls", now, name, sizeof(name));
	char *dir = xasprintf("%s/reports", cfg->data_dir);
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && file_mkdirs(dir, 0700) == 0)
		fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line.data, line.len) != (ssize_t)line.len)
		log_error(NULL, "report-write-failed path=%s error=%s", path,
		          strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	free(dir);
	buf_deinit(&line);
}

void relay_sts_free_all(struct relay *relay)
{
	while (relay->sts_list != NULL) {
		struct relay_sts *sts = relay->sts_list;
		relay->sts_list = sts->next;
		dns_cancel(&sts->txt_req);
		dns_cancel(&sts->rpt_req);
		http_fetch_cancel(&sts->fetch);
		while (sts->waiting != NULL) {
			struct relay_sts_wait *w = sts->waiting;
			relay_sts_wait_cancel(&w);
		}
		pool_free(&sts->pool);
		free(sts->rua);
		free(sts->domain);
		free(sts);
	}
}
