/* check_host() of RFC 7208 §4 as a state machine. Frames stack for
 * include (§5.2) and redirect (§6.1); a mechanism that needs several
 * answers (mx: the MX set, then each host's addresses, §5.4; ptr and %{p}:
 * the PTR names, then each name's addresses, §5.5) keeps its place in the
 * frame. Every DNS-querying term counts toward SPF_LOOKUP_LIMIT, every
 * empty or NXDOMAIN answer of those toward SPF_VOID_LIMIT (§4.6.4). */
#include "mailauth/spf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPF_DEPTH_MAX 16

enum frame_kind { FRAME_TOP, FRAME_INCLUDE, FRAME_REDIRECT };

enum wait {
	WAIT_NONE,
	WAIT_RECORD,    /* the TXT records of the frame's domain */
	WAIT_ADDRS,     /* a, exists: addresses of target */
	WAIT_MX,        /* mx: the MX set of target */
	WAIT_MX_ADDRS,  /* mx: addresses of hosts[host_idx] */
	WAIT_PTR,       /* the PTR names of the client */
	WAIT_PTR_ADDRS, /* addresses of ptr_names[ptr_idx] */
};

struct spf_frame {
	enum frame_kind kind;
	const char *domain;
	struct spf_record rec;
	bool has_record;
	size_t term;        /* the term being evaluated */
	bool term_counted;  /* its look-up was counted */
	const char *target; /* its expanded domain */
	char **hosts;       /* mx host names */
	size_t host_count, host_idx;
};

struct spf_eval {
	struct pool *pool;
	unsigned char ip[16];
	bool is_ipv6;
	const char *sender, *local, *sender_domain, *helo;
	struct spf_frame frames[SPF_DEPTH_MAX];
	size_t depth;
	unsigned lookups, voids, queries;
	enum wait wait;
	/* PTR validation (§5.5), shared by ptr and %{p}: done once */
	bool ptr_done, ptr_started;
	char **ptr_names;
	size_t ptr_count, ptr_idx;
	char **validated;
	size_t validated_count;
	bool is_done;
	enum spf_result result;
	const char *reason;
};

static void eval_finish(struct spf_eval *e, enum spf_result r,
                        const char *reason)
{
	e->is_done = true;
	e->result = r;
	e->reason = reason;
}

/* §4.3: a usable domain has labels of 1..63 octets and at least two. */
static bool domain_is_valid(const char *d)
{
	size_t len = strlen(d), labels = 0;
	if (len == 0 || len > 253)
		return false;
	for (const char *p = d; *p != '\0';) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n > 63)
			return n == 0 && p[0] == '.' && p[1] == '\0' &&
			       labels >= 2;
		labels++;
		p += n;
		if (*p == '.')
			p++;
	}
	return labels >= 2;
}

struct spf_eval *spf_eval_new(const struct sockaddr *ip, const char *sender,
                              const char *helo)
{
	struct spf_eval *e = xcalloc(1, sizeof(*e));
	e->pool = pool_new();
	if (ip->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)ip)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(e->ip, a6->s6_addr + 12, 4);
		} else {
			memcpy(e->ip, a6, 16);
			e->is_ipv6 = true;
		}
	} else {
		memcpy(e->ip, &((const struct sockaddr_in *)ip)->sin_addr, 4);
	}
	const char *at = strrchr(sender, '@');
	e->sender = pool_strdup(e->pool, sender);
	e->local = at != NULL && at != sender
	               ? pool_strndup(e->pool, sender, (size_t)(at - sender))
	               : "postmaster";
	e->sender_domain = pool_strdup(e->pool, at != NULL ? at + 1 : sender);
	e->helo = pool_strdup(e->pool, helo != NULL ? helo : "");
	struct spf_frame *f = &e->frames[e->depth++];
	f->kind = FRAME_TOP;
	f->domain = e->sender_domain;
	if (!domain_is_valid(f->domain))
		eval_finish(e, SPF_RESULT_NONE, "not a usable domain");
	return e;
}

void spf_eval_free(struct spf_eval **ep)
{
	struct spf_eval *e = *ep;
	if (e == NULL)
		return;
	*ep = NULL;
	pool_free(&e->pool);
	free(e);
}

enum spf_result spf_eval_result(const struct spf_eval *e)
{
	return e->result;
}

const char *spf_eval_reason(const struct spf_eval *e)
{
	return e->reason != NULL ? e->reason : "";
}

const char *spf_eval_domain(const struct spf_eval *e)
{
	return e->sender_domain;
}

unsigned spf_eval_queries(const struct spf_eval *e)
{
	return e->queries;
}

void spf_eval_abort(struct spf_eval *e, const char *reason)
{
	if (!e->is_done)
		eval_finish(e, SPF_RESULT_TEMPERROR,
		            pool_strdup(e->pool, reason));
}

static struct spf_frame *top(struct spf_eval *e)
{
	return &e->frames[e->depth - 1];
}

/* Is addr (4 or 16 bytes, per is_v6) in the client's network of prefix
 * bits? */
static bool ip_matches(const struct spf_eval *e, const unsigned char *addr,
                       bool is_v6, unsigned bits)
{
	if (is_v6 != e->is_ipv6)
		return false;
	for (unsigned i = 0; bits > 0; i++) {
		unsigned n = bits >= 8 ? 8 : bits;
		unsigned char mask = (unsigned char)(0xff << (8 - n));
		if ((addr[i] & mask) != (e->ip[i] & mask))
			return false;
		bits -= n;
	}
	return true;
}

static bool addr_matches(const struct spf_eval *e, const struct dns_addr *a,
                         unsigned cidr4, unsigned cidr6)
{
	if (a->sa.ss_family == AF_INET)
		return ip_matches(
		    e,
		    (const unsigned char *)&((const struct sockaddr_in *)&a->sa)
		        ->sin_addr,
		    false, cidr4);
	return ip_matches(
	    e,
	    (const unsigned char *)&((const struct sockaddr_in6 *)&a->sa)
	        ->sin6_addr,
	    true, cidr6);
}

static struct spf_term *cur_term(struct spf_eval *e)
{
	struct spf_frame *f = top(e);
	return &f->rec.terms[f->term];
}

static enum spf_result qualifier_result(char q)
{
	switch (q) {
	case '-':
		return SPF_RESULT_FAIL;
	case '~':
		return SPF_RESULT_SOFTFAIL;
	case '?':
		return SPF_RESULT_NEUTRAL;
	default:
		return SPF_RESULT_PASS;
	}
}

/* A frame ended with result r: pop it and give the result to its parent
 * (§5.2's table for include; redirect's result is the parent's). */
static void frame_done(struct spf_eval *e, enum spf_result r,
                       const char *reason)
{
	struct spf_frame *f = top(e);
	enum frame_kind kind = f->kind;
	if (r == SPF_RESULT_TEMPERROR || r == SPF_RESULT_PERMERROR ||
	    kind == FRAME_TOP) {
		eval_finish(e, r, reason);
		return;
	}
	e->depth--;
	if (kind == FRAME_REDIRECT) {
		if (r == SPF_RESULT_NONE)
			r = SPF_RESULT_PERMERROR,
			reason = "redirect to a domain without SPF record";
		frame_done(e, r, reason);
		return;
	}
	/* include */
	struct spf_frame *parent = top(e);
	if (r == SPF_RESULT_NONE) {
		eval_finish(e, SPF_RESULT_PERMERROR,
		            "include of a domain without SPF record");
	} else if (r == SPF_RESULT_PASS) {
		struct spf_term *t = cur_term(e);
		frame_done(
		    e, qualifier_result(t->qualifier),
		    pool_printf(e->pool, "include:%s matched", parent->target));
	} else {
		parent->term++;
		parent->term_counted = false;
	}
}

static void frame_push(struct spf_eval *e, enum frame_kind kind,
                       const char *domain)
{
	if (e->depth == SPF_DEPTH_MAX) {
		eval_finish(e, SPF_RESULT_PERMERROR, "nested too deep");
		return;
	}
	struct spf_frame *f = &e->frames[e->depth++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->domain = domain;
}

/* Counts one DNS-querying term; false (after finishing) past the limit. */
static bool count_lookup(struct spf_eval *e)
{
	struct spf_frame *f = top(e);
	if (f->term_counted)
		return true;
	f->term_counted = true;
	if (++e->lookups > SPF_LOOKUP_LIMIT) {
		eval_finish(e, SPF_RESULT_PERMERROR, "too many DNS look-ups");
		return false;
	}
	return true;
}

/* Counts a void answer; false (after finishing) past the limit. */
static bool count_void(struct spf_eval *e)
{
	if (++e->voids > SPF_VOID_LIMIT) {
		eval_finish(e, SPF_RESULT_PERMERROR,
		            "too many void DNS look-ups");
		return false;
	}
	return true;
}

/* Expands spec (NULL: the frame's domain). Returns NULL after finishing
 * on a bad expansion. */
static const char *expand(struct spf_eval *e, const char *spec)
{
	struct spf_frame *f = top(e);
	if (spec == NULL)
		return f->domain;
	struct spf_macro_ctx ctx = {
	    .sender = e->sender,
	    .local = e->local,
	    .sender_domain = e->sender_domain,
	    .domain = f->domain,
	    .ip = e->ip,
	    .is_ipv6 = e->is_ipv6,
	    .helo = e->helo,
	};
	/* %{p}: a validated name in the domain if any, else any (§7.3) */
	for (size_t i = 0; i < e->validated_count; i++) {
		const char *v = e->validated[i];
		size_t vl = strlen(v), dl = strlen(f->domain);
		if (ctx.validated == NULL || strcasecmp(v, f->domain) == 0 ||
		    (vl > dl && v[vl - dl - 1] == '.' &&
		     strcasecmp(v + vl - dl, f->domain) == 0))
			ctx.validated = v;
	}
	const char *out, *error;
	if (spf_macro_expand(spec, &ctx, e->pool, &out, &error) < 0) {
		eval_finish(e, SPF_RESULT_PERMERROR, error);
		return NULL;
	}
	return out;
}

static void term_matched(struct spf_eval *e, const char *what)
{
	struct spf_term *t = cur_term(e);
	frame_done(e, qualifier_result(t->qualifier),
	           pool_printf(e->pool, "%s matched", what));
}

static void term_next(struct spf_eval *e)
{
	struct spf_frame *f = top(e);
	f->term++;
	f->term_counted = false;
	f->target = NULL;
}

static int ask(struct spf_eval *e, enum spf_query_type type, const char *name,
               enum wait wait, struct spf_query *q)
{
	e->wait = wait;
	e->queries++;
	q->type = type;
	q->name = name;
	return 1;
}

static enum spf_query_type addr_type(const struct spf_eval *e)
{
	return e->is_ipv6 ? SPF_QUERY_AAAA : SPF_QUERY_A;
}

/* Drives the PTR validation (§5.5): returns 1 with a query, or 0 when the
 * validated names are known. */
static int ptr_step(struct spf_eval *e, struct spf_query *q)
{
	if (e->ptr_done)
		return 0;
	if (!e->ptr_started) {
		e->ptr_started = true;
		return ask(e, SPF_QUERY_PTR, NULL, WAIT_PTR, q);
	}
	if (e->ptr_idx < e->ptr_count)
		return ask(e, addr_type(e), e->ptr_names[e->ptr_idx],
		           WAIT_PTR_ADDRS, q);
	e->ptr_done = true;
	return 0;
}

static bool name_in_domain(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (nl == dl)
		return strncasecmp(name, domain, dl) == 0;
	return nl > dl && name[nl - dl - 1] == '.' &&
	       strncasecmp(name + nl - dl, domain, dl) == 0;
}

/* Evaluates the current term; returns 1 with a query, 0 to go on. */
static int term_step(struct spf_eval *e, struct spf_query *q)
{
	struct spf_frame *f = top(e);
	struct spf_term *t = cur_term(e);
	if (t->mech == SPF_MECH_ALL) {
		term_matched(e, "all");
		return 0;
	}
	if (t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6) {
		bool is6 = t->mech == SPF_MECH_IP6;
		if (ip_matches(e, t->ip, is6, is6 ? t->cidr6 : t->cidr4))
			term_matched(e, is6 ? "ip6" : "ip4");
		else
			term_next(e);
		return 0;
	}
	if (!count_lookup(e))
		return 0;
	bool needs_ptr =
	    t->mech == SPF_MECH_PTR ||
	    (t->domain_spec != NULL && spf_macro_uses_ptr(t->domain_spec));
	if (needs_ptr && ptr_step(e, q) == 1)
		return 1;
	if (f->target == NULL &&
	    (f->target = expand(e, t->domain_spec)) == NULL)
		return 0;
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		frame_push(e, FRAME_INCLUDE, f->target);
		return 0;
	case SPF_MECH_A:
		return ask(e, addr_type(e), f->target, WAIT_ADDRS, q);
	case SPF_MECH_EXISTS:
		return ask(e, SPF_QUERY_A, f->target, WAIT_ADDRS, q);
	case SPF_MECH_MX:
		if (f->hosts == NULL)
			return ask(e, SPF_QUERY_MX, f->target, WAIT_MX, q);
		if (f->host_idx < f->host_count)
			return ask(e, addr_type(e), f->hosts[f->host_idx],
			           WAIT_MX_ADDRS, q);
		f->hosts = NULL;
		term_next(e);
		return 0;
	case SPF_MECH_PTR:
		for (size_t i = 0; i < e->validated_count; i++) {
			if (name_in_domain(e->validated[i], f->target)) {
				term_matched(e, "ptr");
				return 0;
			}
		}
		term_next(e);
		return 0;
	default:
		ASSERT(!"unreachable");
	}
	return 0;
}

int spf_eval_step(struct spf_eval *e, struct spf_query *q)
{
	while (!e->is_done) {
		ASSERT(e->wait == WAIT_NONE);
		struct spf_frame *f = top(e);
		if (!f->has_record) {
			if (f->kind != FRAME_TOP &&
			    !domain_is_valid(f->domain)) {
				frame_done(e, SPF_RESULT_NONE, NULL);
				continue;
			}
			return ask(e, SPF_QUERY_TXT, f->domain, WAIT_RECORD, q);
		}
		if (f->term < f->rec.count) {
			if (term_step(e, q) == 1)
				return 1;
			continue;
		}
		if (f->rec.redirect != NULL && f->term == f->rec.count) {
			/* §6.1: counts as a look-up; its result is ours */
			if (++e->lookups > SPF_LOOKUP_LIMIT) {
				eval_finish(e, SPF_RESULT_PERMERROR,
				            "too many DNS look-ups");
				break;
			}
			const char *target = expand(e, f->rec.redirect);
			if (target == NULL)
				break;
			f->term++;
			frame_push(e, FRAME_REDIRECT, target);
			continue;
		}
		frame_done(e, SPF_RESULT_NEUTRAL, "no mechanism matched");
	}
	return 0;
}

static void answer_record(struct spf_eval *e, const struct spf_answer *a)
{
	struct spf_frame *f = top(e);
	if (a->status == DNS_STATUS_TEMPFAIL) {
		frame_done(e, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	size_t found = 0, which = 0;
	for (size_t i = 0; a->status == DNS_STATUS_OK && i < a->count; i++) {
		if (spf_record_is_spf(a->txt[i].text, a->txt[i].len)) {
			found++;
			which = i;
		}
	}
	if (found == 0) {
		if (f->kind != FRAME_TOP && a->status != DNS_STATUS_OK &&
		    !count_void(e))
			return;
		frame_done(e, SPF_RESULT_NONE, "no SPF record");
		return;
	}
	if (found > 1) {
		frame_done(e, SPF_RESULT_PERMERROR, "more than one SPF record");
		return;
	}
	const char *error;
	if (spf_record_parse(a->txt[which].text, a->txt[which].len, e->pool,
	                     &f->rec, &error) < 0) {
		frame_done(e, SPF_RESULT_PERMERROR,
		           pool_printf(e->pool, "%s in the record of %s", error,
		                       f->domain));
		return;
	}
	f->has_record = true;
}

static void answer_addrs(struct spf_eval *e, const struct spf_answer *a)
{
	struct spf_term *t = cur_term(e);
	if (a->status == DNS_STATUS_TEMPFAIL) {
		frame_done(e, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	if (a->status != DNS_STATUS_OK || a->count == 0) {
		if (count_void(e))
			term_next(e);
		return;
	}
	if (t->mech == SPF_MECH_EXISTS) {
		term_matched(e, "exists");
		return;
	}
	for (size_t i = 0; i < a->count; i++) {
		if (addr_matches(e, &a->addrs[i], t->cidr4, t->cidr6)) {
			term_matched(e, "a");
			return;
		}
	}
	term_next(e);
}

static void answer_mx(struct spf_eval *e, const struct spf_answer *a)
{
	struct spf_frame *f = top(e);
	if (a->status == DNS_STATUS_TEMPFAIL) {
		frame_done(e, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	if (a->status != DNS_STATUS_OK || a->count == 0) {
		if (count_void(e))
			term_next(e);
		return;
	}
	if (a->count > SPF_NAMES_LIMIT) {
		frame_done(e, SPF_RESULT_PERMERROR, "more than 10 MX records");
		return;
	}
	f->hosts = pool_alloc(e->pool, (a->count + 1) * sizeof(*f->hosts));
	f->host_count = f->host_idx = 0;
	for (size_t i = 0; i < a->count; i++) {
		if (a->mx[i].host[0] != '\0')
			f->hosts[f->host_count++] =
			    pool_strdup(e->pool, a->mx[i].host);
	}
}

static void answer_mx_addrs(struct spf_eval *e, const struct spf_answer *a)
{
	struct spf_frame *f = top(e);
	struct spf_term *t = cur_term(e);
	if (a->status == DNS_STATUS_TEMPFAIL) {
		frame_done(e, SPF_RESULT_TEMPERROR, "DNS failure");
		return;
	}
	for (size_t i = 0; a->status == DNS_STATUS_OK && i < a->count; i++) {
		if (addr_matches(e, &a->addrs[i], t->cidr4, t->cidr6)) {
			f->hosts = NULL;
			term_matched(e, "mx");
			return;
		}
	}
	f->host_idx++;
}

static void answer_ptr(struct spf_eval *e, const struct spf_answer *a)
{
	/* §5.5: a failed PTR look-up only means no match */
	size_t n = a->status == DNS_STATUS_OK ? a->count : 0;
	if (n > SPF_NAMES_LIMIT)
		n = SPF_NAMES_LIMIT;
	e->ptr_names = pool_alloc(e->pool, (n + 1) * sizeof(*e->ptr_names));
	e->validated = pool_alloc(e->pool, (n + 1) * sizeof(*e->validated));
	for (size_t i = 0; i < n; i++)
		e->ptr_names[e->ptr_count++] =
		    pool_strdup(e->pool, a->names[i]);
}

static void answer_ptr_addrs(struct spf_eval *e, const struct spf_answer *a)
{
	for (size_t i = 0; a->status == DNS_STATUS_OK && i < a->count; i++) {
		if (addr_matches(e, &a->addrs[i], 32, 128)) {
			e->validated[e->validated_count++] =
			    e->ptr_names[e->ptr_idx];
			break;
		}
	}
	e->ptr_idx++;
}

void spf_eval_answer(struct spf_eval *e, const struct spf_answer *a)
{
	enum wait wait = e->wait;
	e->wait = WAIT_NONE;
	if (e->is_done)
		return;
	switch (wait) {
	case WAIT_NONE:
		break;
	case WAIT_RECORD:
		answer_record(e, a);
		break;
	case WAIT_ADDRS:
		answer_addrs(e, a);
		break;
	case WAIT_MX:
		answer_mx(e, a);
		break;
	case WAIT_MX_ADDRS:
		answer_mx_addrs(e, a);
		break;
	case WAIT_PTR:
		answer_ptr(e, a);
		break;
	case WAIT_PTR_ADDRS:
		answer_ptr_addrs(e, a);
		break;
	}
}
