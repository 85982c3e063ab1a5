/* The TLS records of postroomctl dns (doc/authentication.md): MTA-STS
 * (RFC 8461 §3.1: _mta-sts.<domain> with the id of the policy httpd
 * serves now, and the name mta-sts.<domain> that serves it) and TLS-RPT
 * (RFC 8460 §3: _smtp._tls.<domain>, where other servers send TLS
 * reports); and their part of dns check, which looks them up. */
#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mailauth/mta_sts.h"
#include "postroomctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_TLS_TTL 3600

/* The policy httpd serves for domain and its id. Returns 1, 0 when
 * mta_sts_mode is off, -1 after printing why it is bad. */
static int sts_policy(const struct ctl *ctl, const char *host,
                      struct pool *pool, struct mta_sts_policy *policy,
                      char id[21])
{
	const struct mailauth_settings *s = &ctl->settings.mailauth;
	const char *error;
	int ret = mta_sts_policy_from(s->mta_sts_mode, s->mta_sts_mx, host,
	                              s->mta_sts_max_age, pool, policy, &error);
	if (ret < 0)
		fprintf(stderr, "postroomctl: [mailauth] mta_sts_mx: %s\n",
		        error);
	if (ret > 0) {
		struct buf text;
		buf_init(&text);
		mta_sts_policy_write(policy, &text);
		mta_sts_policy_id(text.data, text.len, id);
		buf_deinit(&text);
	}
	return ret;
}

static char *tlsrpt_text(const struct ctl *ctl, const char *domain)
{
	const char *rua = ctl->settings.mailauth.tlsrpt_rua;
	if (rua[0] != '\0')
		return xasprintf("v=TLSRPTv1; rua=%s", rua);
	return xasprintf("v=TLSRPTv1; rua=mailto:postmaster@%s", domain);
}

void dns_tls_print(const struct ctl *ctl, const char *domain, const char *host)
{
	struct pool *pool = pool_new();
	struct mta_sts_policy policy;
	char id[21];
	if (sts_policy(ctl, host, pool, &policy, id) > 0) {
		printf("; MTA-STS (RFC 8461): senders use TLS with a valid "
		       "certificate to the MX %s (mode %s); httpd serves the "
		       "policy at https://mta-sts.%s/.well-known/mta-sts.txt, "
		       "so the certificate must name mta-sts.%s too; the id "
		       "changes with the policy\n",
		       host, mta_sts_mode_name(policy.mode), domain, domain);
		char *name = xasprintf("_mta-sts.%s.", domain);
		printf("%-40s %u IN TXT   \"v=STSv1; id=%s\"\n", name,
		       DNS_TLS_TTL, id);
		free(name);
		name = xasprintf("mta-sts.%s.", domain);
		printf("%-40s %u IN CNAME %s.\n", name, DNS_TLS_TTL, host);
		free(name);
	}
	char *name = xasprintf("_smtp._tls.%s.", domain);
	char *text = tlsrpt_text(ctl, domain);
	printf("; TLS-RPT (RFC 8460): where other servers report failed TLS "
	       "sessions with %s, daily\n",
	       domain);
	printf("%-40s %u IN TXT   \"%s\"\n", name, DNS_TLS_TTL, text);
	free(name);
	free(text);
	pool_free(&pool);
}

/* ---- dns check ---------------------------------------------------------- */

struct tls_check {
	struct event_loop *loop;
	size_t pending;
	enum dns_status sts_status, rpt_status, host_status;
	char **sts, **rpt;
	size_t sts_count, rpt_count;
	unsigned problems;
};

static void tls_check_done(struct tls_check *c)
{
	if (--c->pending == 0)
		event_loop_stop(c->loop);
}

static void texts_copy(const struct dns_txt *txt, size_t count, char ***out_r,
                       size_t *count_r)
{
	char **out = xcalloc(count + 1, sizeof(*out));
	for (size_t i = 0; i < count; i++)
		out[i] = xstrndup(txt[i].text, txt[i].len);
	*out_r = out;
	*count_r = count;
}

static void sts_cb(enum dns_status status, const struct dns_txt *txt,
                   size_t count, const char *error, void *ctx)
{
	struct tls_check *c = ctx;
	(void)error;
	c->sts_status = status;
	texts_copy(txt, count, &c->sts, &c->sts_count);
	tls_check_done(c);
}

static void rpt_cb(enum dns_status status, const struct dns_txt *txt,
                   size_t count, const char *error, void *ctx)
{
	struct tls_check *c = ctx;
	(void)error;
	c->rpt_status = status;
	texts_copy(txt, count, &c->rpt, &c->rpt_count);
	tls_check_done(c);
}

static void host_cb(enum dns_status status, const struct dns_addr *addrs,
                    size_t count, const char *error, void *ctx)
{
	struct tls_check *c = ctx;
	(void)addrs;
	(void)count;
	(void)error;
	c->host_status = status;
	tls_check_done(c);
}

static void line(struct tls_check *c, bool ok, const char *what,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* As the other lines of dns check: "ok WHAT ..." or "PROBLEM ...". */
static void line(struct tls_check *c, bool ok, const char *what,
                 const char *fmt, ...)
{
	va_list ap;
	printf("%-8s %-6s ", ok ? "ok" : what, ok ? what : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->problems += ok ? 0 : 1;
}

static void sts_report(struct tls_check *c, const char *domain,
                       const char *host, const char *want)
{
	size_t n = 0, which = 0;
	char id[33];
	const char *error;
	for (size_t i = 0; i < c->sts_count; i++) {
		if (mta_sts_txt_is_sts(c->sts[i], strlen(c->sts[i]))) {
			n++;
			which = i;
		}
	}
	if (c->sts_status == DNS_STATUS_TEMPFAIL)
		line(c, false, "FAILED",
		     "MTA-STS _mta-sts.%s: no answer from "
		     "DNS",
		     domain);
	else if (n == 0)
		line(c, false, "MISSING",
		     "MTA-STS _mta-sts.%s: publish TXT \"v=STSv1; id=%s\"",
		     domain, want);
	else if (n > 1)
		line(c, false, "WRONG",
		     "MTA-STS _mta-sts.%s: %zu records (RFC 8461 3.1: then "
		     "none applies)",
		     domain, n);
	else if (mta_sts_txt_parse(c->sts[which], strlen(c->sts[which]), id,
	                           &error) < 0)
		line(c, false, "WRONG", "MTA-STS _mta-sts.%s: %s: \"%s\"",
		     domain, error, c->sts[which]);
	else if (strcmp(id, want) != 0)
		line(c, false, "WRONG",
		     "MTA-STS _mta-sts.%s: id=%s, but the policy served now "
		     "has id=%s: publish it so senders fetch the new policy",
		     domain, id, want);
	else
		line(c, true, "MTA-STS", "_mta-sts.%s: id=%s", domain, id);
	if (c->host_status == DNS_STATUS_TEMPFAIL)
		line(c, false, "FAILED",
		     "MTA-STS mta-sts.%s: no answer from "
		     "DNS",
		     domain);
	else if (c->host_status != DNS_STATUS_OK)
		line(c, false, "MISSING",
		     "MTA-STS mta-sts.%s: publish mta-sts.%s. CNAME %s. (the "
		     "policy is served there)",
		     domain, domain, host);
	else
		line(c, true, "MTA-STS", "mta-sts.%s has an address", domain);
}

static void rpt_report(struct tls_check *c, const char *ctl_domain,
                       const char *want)
{
	struct pool *pool = pool_new();
	const char *rua = NULL, *error = "not v=TLSRPTv1";
	size_t n = 0;
	for (size_t i = 0; i < c->rpt_count; i++) {
		if (strncmp(c->rpt[i], "v=TLSRPTv1", 10) != 0)
			continue;
		n++;
		if (tlsrpt_txt_parse(c->rpt[i], strlen(c->rpt[i]), pool, &rua,
		                     &error) < 0)
			rua = NULL;
	}
	if (c->rpt_status == DNS_STATUS_TEMPFAIL)
		line(c, false, "FAILED",
		     "TLS-RPT _smtp._tls.%s: no answer "
		     "from DNS",
		     ctl_domain);
	else if (n == 0)
		line(c, false, "MISSING",
		     "TLS-RPT _smtp._tls.%s: publish TXT "
		     "\"%s\"",
		     ctl_domain, want);
	else if (n > 1 || rua == NULL)
		line(c, false, "WRONG", "TLS-RPT _smtp._tls.%s: %s", ctl_domain,
		     n > 1 ? "more than one record" : error);
	else
		line(c, true, "TLS-RPT", "_smtp._tls.%s: rua=%s", ctl_domain,
		     rua);
	pool_free(&pool);
}

unsigned dns_tls_check(const struct ctl *ctl, struct event_loop *loop,
                       struct dns *dns, const char *domain, const char *host)
{
	struct tls_check c = {.loop = loop};
	struct pool *pool = pool_new();
	struct mta_sts_policy policy;
	char id[21];
	int sts = sts_policy(ctl, host, pool, &policy, id);
	char *name = xasprintf("_smtp._tls.%s", domain);
	c.pending = sts > 0 ? 3 : 1;
	(void)dns_txt_lookup(dns, name, rpt_cb, &c);
	free(name);
	if (sts > 0) {
		name = xasprintf("_mta-sts.%s", domain);
		(void)dns_txt_lookup(dns, name, sts_cb, &c);
		free(name);
		name = xasprintf("mta-sts.%s", domain);
		(void)dns_addr_lookup(dns, name, 443, host_cb, &c);
		free(name);
	}
	(void)event_loop_run(loop);
	if (sts > 0)
		sts_report(&c, domain, host, id);
	if (sts < 0)
		line(&c, false, "WRONG",
		     "MTA-STS: [mailauth] mta_sts_mx is "
		     "not a list of host names");
	char *want = tlsrpt_text(ctl, domain);
	rpt_report(&c, domain, want);
	free(want);
	for (size_t i = 0; i < c.sts_count; i++)
		free(c.sts[i]);
	for (size_t i = 0; i < c.rpt_count; i++)
		free(c.rpt[i]);
	free(c.sts);
	free(c.rpt);
	pool_free(&pool);
	return c.problems;
}
