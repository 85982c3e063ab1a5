/* The mail-authentication records of postroomctl dns (doc/authentication.md):
 * SPF (RFC 7208: the domain's MX hosts send its mail, nothing else), the
 * DKIM keys of data_dir/dkim/<domain>/ (RFC 6376 §3.6.2.1; retired keys
 * until their signatures expire) and DMARC (RFC 7489 §6.1: quarantine what
 * fails, reports to postmaster), then MTA-STS and TLS-RPT
 * (cmd_dns_tls.c); and postroomctl dns check, which looks them up
 * (c-ares through lib/core/dns, the [mailauth] or [relay] resolver) and
 * says what is missing or wrong. */
#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mailauth/dmarc.h"
#include "mailauth/spf.h"
#include "postroomctl.h"
#include "store/store.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_AUTH_TTL 3600
#define DNS_AUTH_KEYS_MAX 16

/* A TXT record in zone-file form: character-strings of at most 255
 * octets (RFC 1035 §3.3.14), one line. */
static void txt_record(const char *name, const char *text)
{
	printf("%-40s %u IN TXT   ", name, DNS_AUTH_TTL);
	size_t len = strlen(text);
	for (size_t i = 0; i < len || i == 0; i += 255) {
		size_t n = len - i < 255 ? len - i : 255;
		printf("%s\"%.*s\"", i > 0 ? " " : "", (int)n, text + i);
		if (len == 0)
			break;
	}
	putchar('\n');
}

static char *spf_text(void)
{
	return xstrdup("v=spf1 mx -all");
}

static char *dmarc_text(const char *domain)
{
	return xasprintf("v=DMARC1; p=quarantine; adkim=r; aspf=r; "
	                 "rua=mailto:postmaster@%s",
	                 domain);
}

struct print_ctx {
	const struct ctl *ctl;
	const char *domain;
	size_t count;
};

static void print_key_cb(const struct dkim_key_info *info, void *ctx)
{
	struct print_ctx *p = ctx;
	if (dkim_key_is_expired(p->ctl, info))
		return;
	char *name = xasprintf("%s._domainkey.%s.", info->selector, p->domain);
	if (info->retired == 0)
		printf("; DKIM (RFC 6376%s): the %s key that signs its "
		       "mail, selector %s\n",
		       info->is_ed25519 ? ", RFC 8463" : "",
		       info->is_ed25519 ? "Ed25519" : "RSA-2048",
		       info->selector);
	else
		printf("; DKIM: a retired key, kept so mail signed before the "
		       "rotation still verifies; remove it when postroomctl "
		       "dkim list says expired\n");
	txt_record(name, info->record);
	free(name);
	p->count++;
}

void dns_auth_print(const struct ctl *ctl, const char *domain, const char *host)
{
	char *name = xasprintf("%s.", domain);
	char *spf = spf_text(), *dmarc = dmarc_text(domain);
	printf("; SPF (RFC 7208): only the MX host %s sends mail for %s\n",
	       host, domain);
	if (ctl->settings.relay.smarthost[0] != '\0')
		printf("; mail leaves through the smarthost %s: add its "
		       "addresses or its include: to the SPF record\n",
		       ctl->settings.relay.smarthost);
	txt_record(name, spf);
	struct print_ctx p = {ctl, domain, 0};
	(void)dkim_keys_scan(ctl, domain, print_key_cb, &p);
	if (p.count == 0)
		printf("; DKIM: %s has no keys; postroomctl dkim rotate %s "
		       "makes them\n",
		       domain, domain);
	free(name);
	name = xasprintf("_dmarc.%s.", domain);
	printf("; DMARC (RFC 7489): mail from %s that passes neither SPF nor "
	       "DKIM goes to spam; reports to postmaster (p=reject once "
	       "they show only your mail)\n",
	       domain);
	txt_record(name, dmarc);
	free(name);
	free(spf);
	free(dmarc);
	dns_tls_print(ctl, domain, host);
}

/* ---- dns check -------------------------------------------------------- */

struct check_answer {
	struct check *check;
	char *name;
	enum dns_status status;
	char **texts; /* TXT records or MX hosts */
	size_t count;
	const struct dkim_key_info *key; /* for a key record */
	char *key_selector, *key_record;
	time_t key_retired;
};

struct check {
	struct event_loop *loop;
	size_t pending;
	struct check_answer mx, spf, dmarc;
	struct check_answer keys[DNS_AUTH_KEYS_MAX];
	size_t key_count;
	unsigned problems;
};

static void answer_done(struct check_answer *a)
{
	if (--a->check->pending == 0)
		event_loop_stop(a->check->loop);
}

static void check_txt_cb(enum dns_status status, const struct dns_txt *txt,
                         size_t count, const char *error, void *ctx)
{
	struct check_answer *a = ctx;
	(void)error;
	a->status = status;
	a->texts = xcalloc(count + 1, sizeof(*a->texts));
	for (size_t i = 0; i < count; i++)
		a->texts[a->count++] = xstrndup(txt[i].text, txt[i].len);
	answer_done(a);
}

static void check_mx_cb(enum dns_status status, const struct dns_mx *mx,
                        size_t count, const char *error, void *ctx)
{
	struct check_answer *a = ctx;
	(void)error;
	a->status = status;
	a->texts = xcalloc(count + 1, sizeof(*a->texts));
	for (size_t i = 0; i < count; i++)
		a->texts[a->count++] = xstrdup(mx[i].host);
	answer_done(a);
}

static void check_key_cb(const struct dkim_key_info *info, void *ctx)
{
	struct check *c = ctx;
	if (c->key_count == DNS_AUTH_KEYS_MAX)
		return;
	struct check_answer *a = &c->keys[c->key_count++];
	a->key_selector = xstrdup(info->selector);
	a->key_record = xstrdup(info->record);
	a->key_retired = info->retired;
}

static void report(struct check *c, bool ok, const char *what, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void report(struct check *c, bool ok, const char *what, const char *fmt,
                   ...)
{
	va_list ap;
	printf("%-8s %-6s ", ok ? "ok" : what, ok ? what : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		c->problems++;
}

/* Which records of a are the ones that start with prefix (SPF, DMARC)? */
static size_t txt_find(const struct check_answer *a, bool is_spf,
                       const char **found_r)
{
	size_t n = 0;
	for (size_t i = 0; i < a->count; i++) {
		bool is =
		    is_spf ? spf_record_is_spf(a->texts[i], strlen(a->texts[i]))
		           : dmarc_record_is_dmarc(a->texts[i],
		                                   strlen(a->texts[i]));
		if (is) {
			*found_r = a->texts[i];
			n++;
		}
	}
	return n;
}

static void check_report_mx(struct check *c, const char *domain,
                            const char *host)
{
	bool has_host = false;
	for (size_t i = 0; i < c->mx.count; i++)
		has_host |= strcasecmp(c->mx.texts[i], host) == 0;
	if (c->mx.status == DNS_STATUS_TEMPFAIL)
		report(c, false, "FAILED", "MX %s: no answer from DNS", domain);
	else if (c->mx.count == 0)
		report(c, false, "MISSING", "MX %s: publish %s. MX 10 %s.",
		       domain, domain, host);
	else
		report(c, has_host, has_host ? "MX" : "WRONG", "MX %s: %s%s",
		       domain, c->mx.texts[0],
		       has_host ? "" : " (this server is not among them)");
}

static void check_report_spf(struct check *c, const char *domain)
{
	const char *rec = NULL;
	size_t n = txt_find(&c->spf, true, &rec);
	struct pool *pool = pool_new();
	struct spf_record parsed;
	const char *error;
	if (c->spf.status == DNS_STATUS_TEMPFAIL)
		report(c, false, "FAILED", "SPF %s: no answer from DNS",
		       domain);
	else if (n == 0)
		report(c, false, "MISSING",
		       "SPF %s: publish %s. TXT \"v=spf1 mx -all\"", domain,
		       domain);
	else if (n > 1)
		report(c, false, "WRONG",
		       "SPF %s: %zu SPF records, RFC 7208 4.5 allows one",
		       domain, n);
	else if (spf_record_parse(rec, strlen(rec), pool, &parsed, &error) < 0)
		report(c, false, "WRONG", "SPF %s: %s: \"%s\"", domain, error,
		       rec);
	else if (strstr(rec, "+all") != NULL ||
	         (parsed.count > 0 &&
	          parsed.terms[parsed.count - 1].mech == SPF_MECH_ALL &&
	          parsed.terms[parsed.count - 1].qualifier == '+'))
		report(c, false, "WRONG",
		       "SPF %s: \"+all\" lets anyone send as %s", domain,
		       domain);
	else
		report(c, true, "SPF", "%s: \"%s\"", domain, rec);
	pool_free(&pool);
}

static void check_report_dmarc(struct check *c, const char *domain)
{
	const char *rec = NULL;
	size_t n = txt_find(&c->dmarc, false, &rec);
	struct pool *pool = pool_new();
	struct dmarc_record parsed;
	const char *error;
	if (c->dmarc.status == DNS_STATUS_TEMPFAIL)
		report(c, false, "FAILED",
		       "DMARC _dmarc.%s: no answer from DNS", domain);
	else if (n == 0)
		report(c, false, "MISSING",
		       "DMARC _dmarc.%s: publish a record "
		       "(postroomctl dns %s)",
		       domain, domain);
	else if (n > 1)
		report(c, false, "WRONG",
		       "DMARC _dmarc.%s: %zu records "
		       "(RFC 7489 6.6.3: then none applies)",
		       domain, n);
	else if (dmarc_record_parse(rec, strlen(rec), pool, &parsed, &error) <
	         0)
		report(c, false, "WRONG", "DMARC _dmarc.%s: %s: \"%s\"", domain,
		       error, rec);
	else
		report(c, true, "DMARC", "_dmarc.%s: p=%s", domain,
		       dmarc_policy_name(parsed.p));
	pool_free(&pool);
}

/* The p= of a key record, without spaces. */
static char *key_p(const char *record)
{
	const char *p = record;
	while ((p = strstr(p, "p=")) != NULL && p != record && p[-1] != ' ' &&
	       p[-1] != ';')
		p += 2;
	struct buf b;
	buf_init(&b);
	for (p = p != NULL ? p + 2 : ""; *p != '\0' && *p != ';'; p++) {
		if (!isspace((unsigned char)*p))
			buf_append_char(&b, *p);
	}
	char *out = xstrdup(b.data);
	buf_deinit(&b);
	return out;
}

static void check_report_key(struct check *c, const struct check_answer *a)
{
	char *want = key_p(a->key_record);
	bool found = false, same = false;
	for (size_t i = 0; i < a->count; i++) {
		char *got = key_p(a->texts[i]);
		found = true;
		same |= strcmp(got, want) == 0;
		free(got);
	}
	const char *state = a->key_retired != 0 ? " (retired)" : "";
	if (a->status == DNS_STATUS_TEMPFAIL)
		report(c, false, "FAILED", "DKIM %s: no answer from DNS",
		       a->name);
	else if (!found)
		report(c, a->key_retired != 0,
		       a->key_retired ? "DKIM" : "MISSING",
		       "DKIM %s%s: publish TXT \"%s\"", a->name, state,
		       a->key_record);
	else
		report(c, same, same ? "DKIM" : "WRONG", "DKIM %s%s: %s",
		       a->name, state,
		       same ? "the key matches"
		            : "the published key is not this server's");
	free(want);
}

static void check_free(struct check *c)
{
	struct check_answer *all[3 + DNS_AUTH_KEYS_MAX] = {&c->mx, &c->spf,
	                                                   &c->dmarc};
	for (size_t i = 0; i < c->key_count; i++)
		all[3 + i] = &c->keys[i];
	for (size_t i = 0; i < 3 + c->key_count; i++) {
		for (size_t k = 0; k < all[i]->count; k++)
			free(all[i]->texts[k]);
		free(all[i]->texts);
		free(all[i]->name);
		free(all[i]->key_selector);
		free(all[i]->key_record);
	}
}

int dns_auth_check(struct ctl *ctl, const char *domain)
{
	const struct postroom_settings *s = &ctl->settings;
	const char *server = s->mailauth.dns_server[0] != '\0'
	                         ? s->mailauth.dns_server
	                         : s->relay.dns_server;
	struct check c;
	struct dns *dns;
	const char *error;
	memset(&c, 0, sizeof(c));
	if (ctl_store(ctl) == NULL)
		return CTL_EXIT_FAIL;
	(void)dkim_keys_scan(ctl, domain, check_key_cb, &c);
	c.loop = event_loop_new();
	if (dns_new(c.loop, server, &dns, &error) < 0) {
		event_loop_free(&c.loop);
		check_free(&c);
		return ctl_error(ctl, "%s", error);
	}
	struct check_answer *txts[2 + DNS_AUTH_KEYS_MAX] = {&c.spf, &c.dmarc};
	c.spf.name = xstrdup(domain);
	c.dmarc.name = xasprintf("_dmarc.%s", domain);
	for (size_t i = 0; i < c.key_count; i++) {
		c.keys[i].name = xasprintf("%s._domainkey.%s",
		                           c.keys[i].key_selector, domain);
		txts[2 + i] = &c.keys[i];
	}
	c.mx.check = &c;
	c.pending = 3 + c.key_count;
	(void)dns_mx_lookup(dns, domain, check_mx_cb, &c.mx);
	for (size_t i = 0; i < 2 + c.key_count; i++) {
		txts[i]->check = &c;
		(void)dns_txt_lookup(dns, txts[i]->name, check_txt_cb, txts[i]);
	}
	(void)event_loop_run(c.loop);
	char *host = settings_hostname(s);
	check_report_mx(&c, domain, host);
	check_report_spf(&c, domain);
	for (size_t i = 0; i < c.key_count; i++)
		check_report_key(&c, &c.keys[i]);
	if (c.key_count == 0)
		report(&c, false, "MISSING",
		       "DKIM %s has no keys: postroomctl "
		       "dkim rotate %s",
		       domain, domain);
	check_report_dmarc(&c, domain);
	c.problems += dns_tls_check(ctl, c.loop, dns, domain, host);
	free(host);
	dns_free(&dns);
	event_loop_free(&c.loop);
	unsigned problems = c.problems;
	check_free(&c);
	if (problems > 0)
		printf("%u problem(s) with the records of %s\n", problems,
		       domain);
	return problems > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
