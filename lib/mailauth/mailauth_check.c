/* The asynchronous driver of SPF, DKIM, ARC and DMARC for one message
 * (mailauth_check.h). Each look-up keeps its c-ares handle so that freeing
 * the check cancels it; the answers feed the state machines of spf_eval.c
 * and dkim_verify.c. DMARC discovery (RFC 7489 §6.6.3): _dmarc.<From
 * domain>, and when that has no record, _dmarc.<organisational domain>. */
#include "mailauth/mailauth_check.h"
#include "mailauth/authres.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct dkim_lookup {
	struct mailauth_check *check;
	size_t idx;
	struct dns_req *req;
	bool is_done;
	bool is_arc; /* a key of the ARC chain, else a DKIM signature's */
};

struct mailauth_check {
	struct pool *pool;
	struct event_loop *loop;
	struct dns *dns;
	struct mailauth_check_settings set;
	struct sockaddr_storage client;
	unsigned queries;
	bool is_over; /* timed out or out of budget */

	struct spf_eval *spf;
	struct dns_req *spf_req;
	const char *spf_sender, *spf_domain;
	bool spf_done;

	struct dkim_verify *dkim;
	struct dkim_lookup *lookups;
	size_t lookup_count;

	struct arc_verify *arc;
	struct dkim_lookup *arc_lookups;
	size_t arc_lookup_count;

	const char *from_domain, *dmarc_domain;
	struct dns_req *dmarc_req;
	bool dmarc_done, dmarc_tried_org, has_dmarc_record;
	struct dmarc_record dmarc_rec;
	bool dmarc_is_org;
	bool dmarc_tempfail;

	bool has_header, is_ended;
	struct event_timer *timer; /* the timeout, then the callback */
	bool is_notified;
	mailauth_check_cb *cb;
	void *cb_ctx;
};

static void check_maybe_done(struct mailauth_check *c);

/* Counts one query; false when the budget is spent. */
static bool budget_take(struct mailauth_check *c)
{
	if (c->is_over || c->queries >= c->set.max_queries)
		return false;
	c->queries++;
	return true;
}

/* ---- SPF ----------------------------------------------------------------- */

static void spf_run(struct mailauth_check *c);

static void spf_txt_cb(enum dns_status status, const struct dns_txt *txt,
                       size_t count, const char *error, void *ctx)
{
	struct mailauth_check *c = ctx;
	(void)error;
	c->spf_req = NULL;
	struct spf_answer a = {.status = status, .txt = txt, .count = count};
	spf_eval_answer(c->spf, &a);
	spf_run(c);
}

static void spf_addr_cb(enum dns_status status, const struct dns_addr *addrs,
                        size_t count, const char *error, void *ctx)
{
	struct mailauth_check *c = ctx;
	(void)error;
	c->spf_req = NULL;
	struct spf_answer a = {
	    .status = status, .addrs = addrs, .count = count};
	spf_eval_answer(c->spf, &a);
	spf_run(c);
}

static void spf_mx_cb(enum dns_status status, const struct dns_mx *mx,
                      size_t count, const char *error, void *ctx)
{
	struct mailauth_check *c = ctx;
	(void)error;
	c->spf_req = NULL;
	struct spf_answer a = {.status = status, .mx = mx, .count = count};
	spf_eval_answer(c->spf, &a);
	spf_run(c);
}

static void spf_ptr_cb(enum dns_status status, const char *const *names,
                       size_t count, const char *error, void *ctx)
{
	struct mailauth_check *c = ctx;
	(void)error;
	c->spf_req = NULL;
	struct spf_answer a = {
	    .status = status, .names = names, .count = count};
	spf_eval_answer(c->spf, &a);
	spf_run(c);
}

static void spf_run(struct mailauth_check *c)
{
	struct spf_query q;
	if (spf_eval_step(c->spf, &q) == 0) {
		c->spf_done = true;
		check_maybe_done(c);
		return;
	}
	if (!budget_take(c)) {
		spf_eval_abort(c->spf,
		               c->is_over ? "timed out" : "DNS budget spent");
		c->spf_done = true;
		check_maybe_done(c);
		return;
	}
	switch (q.type) {
	case SPF_QUERY_TXT:
		c->spf_req = dns_txt_lookup(c->dns, q.name, spf_txt_cb, c);
		break;
	case SPF_QUERY_A:
	case SPF_QUERY_AAAA:
		c->spf_req = dns_addr_family_lookup(
		    c->dns, q.name, q.type == SPF_QUERY_A ? AF_INET : AF_INET6,
		    spf_addr_cb, c);
		break;
	case SPF_QUERY_MX:
		c->spf_req = dns_mx_lookup(c->dns, q.name, spf_mx_cb, c);
		break;
	case SPF_QUERY_PTR:
		c->spf_req = dns_ptr_lookup(
		    c->dns, (const struct sockaddr *)&c->client, spf_ptr_cb, c);
		break;
	}
}

/* ---- DKIM and ARC keys --------------------------------------------------- */

/* Hands lookup l's answer to DKIM or ARC. */
static void lookup_answer(struct dkim_lookup *l, enum dkim_key_answer answer,
                          const char *const *txt, const size_t *len,
                          size_t count)
{
	struct mailauth_check *c = l->check;
	l->is_done = true;
	if (l->is_arc)
		arc_verify_key(c->arc, l->idx, answer, txt, len, count);
	else
		dkim_verify_key(c->dkim, l->idx, answer, txt, len, count);
}

static void dkim_key_cb(enum dns_status status, const struct dns_txt *txt,
                        size_t count, const char *error, void *ctx)
{
	struct dkim_lookup *l = ctx;
	struct mailauth_check *c = l->check;
	(void)error;
	l->req = NULL;
	if (status == DNS_STATUS_TEMPFAIL) {
		lookup_answer(l, DKIM_KEY_TEMPFAIL, NULL, NULL, 0);
	} else if (status != DNS_STATUS_OK) {
		lookup_answer(l, DKIM_KEY_NONE, NULL, NULL, 0);
	} else {
		const char **texts =
		    pool_alloc(c->pool, (count + 1) * sizeof(*texts));
		size_t *lens = pool_alloc(c->pool, (count + 1) * sizeof(*lens));
		for (size_t i = 0; i < count; i++) {
			texts[i] = txt[i].text;
			lens[i] = txt[i].len;
		}
		lookup_answer(l, DKIM_KEY_FOUND, texts, lens, count);
	}
	check_maybe_done(c);
}

/* Starts the key look-ups of DKIM (is_arc false) or of the ARC chain,
 * within the message's DNS budget. */
static struct dkim_lookup *keys_start(struct mailauth_check *c, bool is_arc,
                                      size_t *count_r)
{
	size_t n =
	    is_arc ? arc_verify_key_count(c->arc) : dkim_verify_count(c->dkim);
	struct dkim_lookup *lookups =
	    pool_alloc(c->pool, (n + 1) * sizeof(*lookups));
	memset(lookups, 0, (n + 1) * sizeof(*lookups));
	*count_r = n;
	for (size_t i = 0; i < n; i++) {
		struct dkim_lookup *l = &lookups[i];
		l->check = c;
		l->idx = i;
		l->is_arc = is_arc;
		const char *name = is_arc ? arc_verify_key_name(c->arc, i)
		                          : dkim_verify_key_name(c->dkim, i);
		if (name == NULL)
			l->is_done = true;
		else if (!budget_take(c))
			lookup_answer(l, DKIM_KEY_TEMPFAIL, NULL, NULL, 0);
		else
			l->req = dns_txt_lookup(c->dns, name, dkim_key_cb, l);
	}
	return lookups;
}

/* ---- DMARC ----------------------------------------------------------------
 */

static void dmarc_lookup(struct mailauth_check *c, const char *domain);

static void dmarc_txt_cb(enum dns_status status, const struct dns_txt *txt,
                         size_t count, const char *error, void *ctx)
{
	struct mailauth_check *c = ctx;
	(void)error;
	c->dmarc_req = NULL;
	if (status == DNS_STATUS_TEMPFAIL) {
		c->dmarc_tempfail = true;
		c->dmarc_done = true;
		check_maybe_done(c);
		return;
	}
	size_t found = 0, which = 0;
	for (size_t i = 0; status == DNS_STATUS_OK && i < count; i++) {
		if (dmarc_record_is_dmarc(txt[i].text, txt[i].len)) {
			found++;
			which = i;
		}
	}
	const char *error2;
	/* §6.6.3: exactly one record, or policy discovery ends */
	if (found == 1 &&
	    dmarc_record_parse(txt[which].text, txt[which].len, c->pool,
	                       &c->dmarc_rec, &error2) == 0) {
		c->has_dmarc_record = true;
	} else if (found == 0 && !c->dmarc_tried_org) {
		const char *org = dmarc_org_domain(c->from_domain, c->pool);
		if (strcmp(org, c->from_domain) != 0) {
			c->dmarc_tried_org = true;
			c->dmarc_is_org = true;
			dmarc_lookup(c, org);
			return;
		}
	}
	c->dmarc_done = true;
	check_maybe_done(c);
}

static void dmarc_lookup(struct mailauth_check *c, const char *domain)
{
	if (!budget_take(c)) {
		c->dmarc_tempfail = true;
		c->dmarc_done = true;
		return;
	}
	c->dmarc_domain = domain;
	c->dmarc_req = dns_txt_lookup(
	    c->dns, pool_printf(c->pool, "_dmarc.%s", domain), dmarc_txt_cb, c);
}

/* ---- The check ------------------------------------------------------------
 */

/* Copies client, an IPv4-mapped IPv6 address as the IPv4 address it is
 * (its PTR name is in in-addr.arpa). */
static void client_copy(struct sockaddr_storage *out,
                        const struct sockaddr *client)
{
	memset(out, 0, sizeof(*out));
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)client;
	if (client->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, sin6->sin6_addr.s6_addr + 12, 4);
		return;
	}
	memcpy(out, client,
	       client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                     : sizeof(struct sockaddr_in));
}

struct mailauth_check *
mailauth_check_new(struct event_loop *loop, struct dns *dns,
                   const struct mailauth_check_settings *set,
                   const struct sockaddr *client, const char *helo,
                   const char *mail_from)
{
	struct mailauth_check *c = xcalloc(1, sizeof(*c));
	c->pool = pool_new();
	c->loop = loop;
	c->dns = dns;
	c->set = *set;
	client_copy(&c->client, client);
	/* RFC 7208 §2.4: the null reverse-path checks the HELO identity */
	c->spf_sender = mail_from[0] != '\0'
	                    ? pool_strdup(c->pool, mail_from)
	                    : pool_printf(c->pool, "postmaster@%s", helo);
	const char *at = strrchr(c->spf_sender, '@');
	c->spf_domain = at != NULL ? at + 1 : c->spf_sender;
	c->spf = spf_eval_new((const struct sockaddr *)&c->client,
	                      c->spf_sender, helo);
	spf_run(c);
	return c;
}

void mailauth_check_free(struct mailauth_check **cp)
{
	struct mailauth_check *c = *cp;
	if (c == NULL)
		return;
	*cp = NULL;
	dns_cancel(&c->spf_req);
	dns_cancel(&c->dmarc_req);
	for (size_t i = 0; i < c->lookup_count; i++)
		dns_cancel(&c->lookups[i].req);
	for (size_t i = 0; i < c->arc_lookup_count; i++)
		dns_cancel(&c->arc_lookups[i].req);
	event_timer_free(&c->timer);
	spf_eval_free(&c->spf);
	dkim_verify_free(&c->dkim);
	arc_verify_free(&c->arc);
	pool_free(&c->pool);
	free(c);
}

void mailauth_check_header(struct mailauth_check *c, const char *header,
                           size_t size)
{
	if (c->has_header)
		return;
	c->has_header = true;
	c->dkim = dkim_verify_new(header, size, &c->set.dkim, time(NULL));
	c->lookups = keys_start(c, false, &c->lookup_count);
	c->arc = arc_verify_new(header, size, &c->set.dkim);
	c->arc_lookups = keys_start(c, true, &c->arc_lookup_count);
	const char *from;
	if (dmarc_from_domain(header, size, c->pool, &from) == 1) {
		c->from_domain = from;
		dmarc_lookup(c, from);
	} else {
		c->dmarc_done = true;
	}
}

void mailauth_check_body(struct mailauth_check *c, const void *data,
                         size_t size)
{
	if (c->dkim != NULL)
		dkim_verify_body(c->dkim, data, size);
	if (c->arc != NULL)
		arc_verify_body(c->arc, data, size);
}

static bool check_is_done(const struct mailauth_check *c)
{
	if (!c->is_ended || !c->spf_done || !c->dmarc_done)
		return false;
	for (size_t i = 0; i < c->lookup_count; i++) {
		if (!c->lookups[i].is_done)
			return false;
	}
	for (size_t i = 0; i < c->arc_lookup_count; i++) {
		if (!c->arc_lookups[i].is_done)
			return false;
	}
	return true;
}

static void check_notify_cb(void *ctx)
{
	struct mailauth_check *c = ctx;
	if (c->is_notified)
		return;
	if (!check_is_done(c)) {
		/* the time ran out: what is missing is a temperror */
		c->is_over = true;
		dns_cancel(&c->spf_req);
		if (!c->spf_done) {
			spf_eval_abort(c->spf, "timed out");
			c->spf_done = true;
		}
		dns_cancel(&c->dmarc_req);
		if (!c->dmarc_done)
			c->dmarc_tempfail = c->dmarc_done = true;
		for (size_t i = 0; i < c->lookup_count + c->arc_lookup_count;
		     i++) {
			struct dkim_lookup *l =
			    i < c->lookup_count
			        ? &c->lookups[i]
			        : &c->arc_lookups[i - c->lookup_count];
			if (l->is_done)
				continue;
			dns_cancel(&l->req);
			lookup_answer(l, DKIM_KEY_TEMPFAIL, NULL, NULL, 0);
		}
	}
	c->is_notified = true;
	c->cb(c->cb_ctx);
}

static void check_maybe_done(struct mailauth_check *c)
{
	if (c->is_notified || !check_is_done(c))
		return;
	/* from the loop, never from inside a caller's call */
	event_timer_set(c->timer, 0);
}

void mailauth_check_end(struct mailauth_check *c, mailauth_check_cb *cb,
                        void *ctx)
{
	if (!c->has_header)
		mailauth_check_header(c, "", 0);
	c->is_ended = true;
	c->cb = cb;
	c->cb_ctx = ctx;
	dkim_verify_body_end(c->dkim);
	arc_verify_body_end(c->arc);
	c->timer = event_timer_new(c->loop, check_notify_cb, c);
	event_timer_set(c->timer, c->set.timeout_msecs);
	check_maybe_done(c);
}

static void results_dkim(struct mailauth_check *c, struct authres *ar,
                         struct mailauth_verdict *v, const char ***pass_r)
{
	size_t n = c->dkim != NULL ? dkim_verify_count(c->dkim) : 0;
	const char **pass = pool_alloc(c->pool, (n + 1) * sizeof(*pass));
	const struct dkim_result **all =
	    pool_alloc(c->pool, (n + 1) * sizeof(*all));
	v->dkim_count = n;
	v->dkim_results = all;
	if (n == 0)
		authres_add(ar, "dkim", "none", NULL, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		const struct dkim_result *r = dkim_verify_result(c->dkim, i);
		all[i] = r;
		const char *props[6];
		size_t np = 0;
		if (r->domain != NULL) {
			props[2 * np] = "header.d";
			props[2 * np++ + 1] = r->domain;
			props[2 * np] = "header.s";
			props[2 * np++ + 1] = r->selector;
			props[2 * np] = "header.b";
			props[2 * np++ + 1] = r->b;
		}
		const char *reason = r->reason;
		if (r->status == DKIM_STATUS_PASS)
			reason = pool_printf(
			    c->pool, "%u-bit %s key%s", r->key_bits,
			    r->alg == DKIM_ALG_ED25519_SHA256 ? "ed25519"
			                                      : "rsa",
			    r->is_testing ? ", testing" : "");
		authres_add(ar, "dkim", dkim_status_name(r->status), reason,
		            props, np);
		/* RFC 6376 §3.6.1 t=y: results must not be treated
		 * differently; a pass stays a pass for DMARC */
		if (r->status == DKIM_STATUS_PASS)
			pass[v->dkim_pass++] = r->domain;
	}
	*pass_r = pass;
}

/* arc=none|pass|fail (RFC 8617 §10.2: the method "arc" with the
 * client's address as smtp.remote-ip). */
static void results_arc(struct mailauth_check *c, struct authres *ar,
                        struct mailauth_verdict *v)
{
	const struct arc_result *r = arc_verify_result(c->arc);
	char addr[NET_ADDR_STR_MAX];
	v->arc = *r;
	net_addr_str((const struct sockaddr *)&c->client, addr);
	const char *props[2] = {"smtp.remote-ip", addr};
	const char *reason = r->reason;
	if (r->cv == ARC_CV_PASS)
		reason =
		    pool_printf(c->pool, "i=%u d=%s", r->instance, r->sealer);
	authres_add(ar, "arc", arc_cv_name(r->cv), reason, props, 1);
}

/* Is domain (or a parent of it) in the comma-separated list? */
static bool domain_listed(const char *list, const char *domain)
{
	size_t dlen = strlen(domain);
	for (const char *p = list; p != NULL && *p != '\0';) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len > 0 && len <= dlen &&
		    strncasecmp(domain + dlen - len, p, len) == 0 &&
		    (len == dlen || domain[dlen - len - 1] == '.'))
			return true;
		p += len;
	}
	return false;
}

static void results_dmarc(struct mailauth_check *c, struct authres *ar,
                          struct mailauth_verdict *v, const char **pass)
{
	const char *props[2] = {"header.from", c->from_domain};
	v->from_domain = c->from_domain;
	if (c->from_domain == NULL) {
		v->dmarc.result = DMARC_RESULT_PERMERROR;
		authres_add(ar, "dmarc", "permerror", "no single From address",
		            NULL, 0);
		return;
	}
	if (c->dmarc_tempfail) {
		v->dmarc.result = DMARC_RESULT_TEMPERROR;
		authres_add(ar, "dmarc", "temperror", NULL, props, 1);
		return;
	}
	if (!c->has_dmarc_record) {
		authres_add(ar, "dmarc", "none", NULL, props, 1);
		return;
	}
	v->has_dmarc_record = true;
	v->dmarc_record = c->dmarc_rec;
	v->dmarc_domain = c->dmarc_domain;
	struct dmarc_input in = {
	    .from_domain = c->from_domain,
	    .spf_domain = c->spf_domain,
	    .spf_pass = v->spf == SPF_RESULT_PASS,
	    .dkim_pass_domains = pass,
	    .dkim_pass_count = v->dkim_pass,
	};
	dmarc_evaluate(&in, &c->dmarc_rec, c->dmarc_is_org,
	               (unsigned)(random() % 100), &v->dmarc);
	const char *override = "";
	/* RFC 7489 §6.7 local policy, RFC 8617 §7.2: a forwarder we trust
	 * vouches (its chain passes) for what it received */
	if (v->dmarc.result == DMARC_RESULT_FAIL &&
	    v->dmarc.action != DMARC_POLICY_NONE && v->arc.cv == ARC_CV_PASS &&
	    v->arc.sealer != NULL &&
	    domain_listed(c->set.arc_trusted_sealers, v->arc.sealer)) {
		v->dmarc.action = DMARC_POLICY_NONE;
		v->arc_override = v->arc.sealer;
		override =
		    pool_printf(c->pool, " arc-override=%s", v->arc.sealer);
	}
	const char *reason = pool_printf(
	    c->pool, "p=%s dis=%s%s", dmarc_policy_name(v->dmarc.policy),
	    dmarc_policy_name(v->dmarc.action), override);
	authres_add(ar, "dmarc", dmarc_result_name(v->dmarc.result), reason,
	            props, 1);
}

void mailauth_check_results(struct mailauth_check *c, const char *authserv_id,
                            struct buf *out, struct mailauth_verdict *v)
{
	struct authres ar;
	memset(v, 0, sizeof(*v));
	authres_begin(&ar, out, authserv_id);
	v->spf = spf_eval_result(c->spf);
	v->spf_domain = c->spf_domain;
	const char *spf_props[2] = {"smtp.mailfrom", c->spf_sender};
	authres_add(&ar, "spf", spf_result_name(v->spf),
	            spf_eval_reason(c->spf), spf_props, 1);
	const char **pass;
	results_dkim(c, &ar, v, &pass);
	results_arc(c, &ar, v);
	results_dmarc(c, &ar, v, pass);
	authres_end(&ar);
}
