/* Tests for SPF: the macro examples of RFC 7208 §7.4, record syntax, and
 * check_host() over the example zone of Appendix A with the records of
 * A.1 to A.4, plus the look-up limits of §4.6.4. DNS answers come from an
 * in-memory zone here; tests/integration/test_mailauth_spf.py compares
 * results with pyspf over dnsmasq. */
#include "mailauth/spf.h"
#include "core/pool.h"
#include "test/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static void test_spf_macros(void)
{
	static const struct {
		const char *spec, *want;
	} cases[] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
	     "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
	     "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net",
	     "example.com.trusted-domains.example.net"},
	    {"%%%_%-", "% %20"},
	    {"%{S}", "strong-bad%40email.example.com"},
	    {"%{x}", NULL},
	    {"%{d0}", NULL},
	    {"%{c}", NULL}, /* exp only */
	    {"%", NULL},
	};
	unsigned char ip[4] = {192, 0, 2, 3};
	struct spf_macro_ctx ctx = {
	    .sender = "strong-bad@email.example.com",
	    .local = "strong-bad",
	    .sender_domain = "email.example.com",
	    .domain = "email.example.com",
	    .ip = ip,
	    .helo = "mx.example.org",
	};
	test_begin("spf macros (RFC 7208 7.4)");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *out = NULL, *error;
		int ret =
		    spf_macro_expand(cases[i].spec, &ctx, pool, &out, &error);
		if (cases[i].want == NULL)
			test_assert_idx(ret < 0, i);
		else
			test_assert_str(ret == 0 ? out : error, cases[i].want);
	}
	unsigned char ip6[16];
	inet_pton(AF_INET6, "2001:db8::cb01", ip6);
	ctx.ip = ip6;
	ctx.is_ipv6 = true;
	const char *out, *error;
	test_assert(spf_macro_expand("%{ir}.%{v}._spf.%{d2}", &ctx, pool, &out,
	                             &error) == 0);
	test_assert_str(out, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	                     "0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
	pool_free(&pool);
	test_end();
}

static void test_spf_record_parse(void)
{
	static const struct {
		const char *txt;
		int ret;
	} cases[] = {
	    {"v=spf1", 0},
	    {"v=spf1 -all", 0},
	    {"v=spf1  a  mx -all ", 0},
	    {"v=spf1 a/24//64 mx:example.org/30 ptr ip4:192.0.2.0/24 "
	     "ip6:2001:db8::/32 exists:%{i}.x.example.com ~all",
	     0},
	    {"v=spf1 include:_spf.example.com redirect=x.example.com", 0},
	    {"v=spf1 foo=%{l}.bar", 0}, /* unknown modifier */
	    {"v=spf1 ip4:192.0.2.0/33", -1},
	    {"v=spf1 ip6:2001:db8::/129", -1},
	    {"v=spf1 ip4:300.1.2.3", -1},
	    {"v=spf1 frobnicate", -1},
	    {"v=spf1 include", -1},
	    {"v=spf1 a:foo.123", -1}, /* numeric top label */
	    {"v=spf1 redirect=a.example.com redirect=b.example.com", -1},
	    {"v=spf1 exists:%{z}.example.com", -1},
	    {"v=spf10 -all", -1},
	    {"v=spf1 a//129", -1},
	    {"v=spf1 -all:x", -1},
	};
	test_begin("spf record parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct spf_record rec;
		const char *error;
		test_assert_idx(spf_record_parse(cases[i].txt,
		                                 strlen(cases[i].txt), pool,
		                                 &rec, &error) == cases[i].ret,
		                i);
		pool_free(&pool);
	}
	test_end();
}

/* The zone: "TYPE name" -> space-separated data; TXT data is one record
 * per '|'. "!" as data means SERVFAIL. */
static const char *const zone[] = {
    "MX example.com",
    "mail-a.example.com mail-b.example.com",
    "A example.com",
    "192.0.2.10 192.0.2.11",
    "A amy.example.com",
    "192.0.2.65",
    "A bob.example.com",
    "192.0.2.66",
    "A mail-a.example.com",
    "192.0.2.129",
    "A mail-b.example.com",
    "192.0.2.130",
    "MX example.org",
    "mail-c.example.org",
    "A mail-c.example.org",
    "192.0.2.140",
    "PTR 192.0.2.10",
    "example.com",
    "PTR 192.0.2.11",
    "example.com",
    "PTR 192.0.2.65",
    "amy.example.com",
    "PTR 192.0.2.66",
    "bob.example.com",
    "PTR 192.0.2.129",
    "mail-a.example.com",
    "PTR 192.0.2.130",
    "mail-b.example.com",
    "PTR 192.0.2.140",
    "mail-c.example.org",
    "PTR 10.0.0.4",
    "bob.example.com",
    "TXT inc.example.net",
    "v=spf1 ip4:198.51.100.0/24 -all",
    "TXT two.example.net",
    "v=spf1 -all|v=spf1 +all",
    "TXT fail.example.net",
    "!",
    "TXT none.example.net",
    "just text",
    "A 3.2.0.192.in-addr._spf.example.net",
    "127.0.0.2",
    NULL,
};

static const char *zone_find(const char *key)
{
	for (size_t i = 0; zone[i] != NULL; i += 2) {
		if (strcmp(zone[i], key) == 0)
			return zone[i + 1];
	}
	return NULL;
}

/* Runs check_host for ip and sender with the domain's record txt (the
 * TXT of "example.com" or the sender's domain); other records from zone. */
static enum spf_result run(const char *ip, const char *sender, const char *txt,
                           unsigned *queries_r)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		ss.ss_family = AF_INET6;
		inet_pton(AF_INET6, ip,
		          &((struct sockaddr_in6 *)&ss)->sin6_addr);
	} else {
		ss.ss_family = AF_INET;
		inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
	}
	const char *domain = strchr(sender, '@') + 1;
	struct spf_eval *e =
	    spf_eval_new((struct sockaddr *)&ss, sender, "helo.example.com");
	struct spf_query q;
	while (spf_eval_step(e, &q) == 1) {
		char key[300], data[600];
		const char *types[] = {"TXT", "A", "AAAA", "MX", "PTR"};
		snprintf(key, sizeof(key), "%s %s", types[q.type],
		         q.type == SPF_QUERY_PTR ? ip : q.name);
		const char *found = zone_find(key);
		if (q.type == SPF_QUERY_TXT && strcmp(q.name, domain) == 0)
			found = txt;
		/* lots.example.net has 11 MX hosts; nx.* does not exist */
		struct spf_answer a = {.status = DNS_STATUS_NXDOMAIN};
		struct dns_txt txts[4];
		struct dns_addr addrs[16];
		struct dns_mx mx[16];
		const char *names[16];
		char *words[16];
		size_t n = 0;
		if (found != NULL && strcmp(found, "!") == 0) {
			a.status = DNS_STATUS_TEMPFAIL;
			spf_eval_answer(e, &a);
			continue;
		}
		if (found != NULL) {
			snprintf(data, sizeof(data), "%s", found);
			const char *sep = q.type == SPF_QUERY_TXT ? "|" : " ";
			for (char *w = strtok(data, sep); w != NULL && n < 16;
			     w = strtok(NULL, sep))
				words[n++] = w;
			a.status = DNS_STATUS_OK;
			a.count = n;
		}
		for (size_t i = 0; i < n; i++) {
			if (q.type == SPF_QUERY_TXT && i < 4) {
				txts[i].text = words[i];
				txts[i].len = strlen(words[i]);
			} else if (q.type == SPF_QUERY_MX) {
				mx[i].host = words[i];
				mx[i].preference = (unsigned)i;
			} else if (q.type == SPF_QUERY_PTR) {
				names[i] = words[i];
			} else {
				struct sockaddr_in *sin =
				    (struct sockaddr_in *)&addrs[i].sa;
				memset(&addrs[i], 0, sizeof(addrs[i]));
				sin->sin_family = AF_INET;
				inet_pton(AF_INET, words[i], &sin->sin_addr);
			}
		}
		a.txt = txts;
		a.addrs = addrs;
		a.mx = mx;
		a.names = names;
		spf_eval_answer(e, &a);
	}
	enum spf_result r = spf_eval_result(e);
	if (queries_r != NULL)
		*queries_r = spf_eval_queries(e);
	spf_eval_free(&e);
	return r;
}

static void test_spf_appendix_a(void)
{
	static const struct {
		const char *record, *ip, *want;
	} cases[] = {
	    {"v=spf1 +all", "192.0.2.99", "pass"},
	    {"v=spf1 a -all", "192.0.2.10", "pass"},
	    {"v=spf1 a -all", "192.0.2.11", "pass"},
	    {"v=spf1 a -all", "192.0.2.12", "fail"},
	    {"v=spf1 a:example.org -all", "192.0.2.10", "fail"},
	    {"v=spf1 mx -all", "192.0.2.129", "pass"},
	    {"v=spf1 mx -all", "192.0.2.130", "pass"},
	    {"v=spf1 mx -all", "192.0.2.140", "fail"},
	    {"v=spf1 mx:example.org -all", "192.0.2.140", "pass"},
	    {"v=spf1 mx mx:example.org -all", "192.0.2.140", "pass"},
	    {"v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.131", "pass"},
	    {"v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.143", "pass"},
	    {"v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.144", "fail"},
	    {"v=spf1 ptr -all", "192.0.2.10", "pass"},
	    {"v=spf1 ptr -all", "192.0.2.65", "pass"},
	    {"v=spf1 ptr -all", "192.0.2.140", "fail"},
	    {"v=spf1 ptr -all", "10.0.0.4", "fail"}, /* not validated */
	    {"v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129", "pass"},
	    {"v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65", "fail"},
	    {"v=spf1 ~all", "192.0.2.1", "softfail"},
	    {"v=spf1 ?all", "192.0.2.1", "neutral"},
	    {"v=spf1", "192.0.2.1", "neutral"},
	    {"v=spf1 include:inc.example.net -all", "198.51.100.7", "pass"},
	    {"v=spf1 include:inc.example.net ~all", "192.0.2.1", "softfail"},
	    {"v=spf1 include:none.example.net -all", "192.0.2.1", "permerror"},
	    {"v=spf1 include:fail.example.net -all", "192.0.2.1", "temperror"},
	    {"v=spf1 redirect=inc.example.net", "198.51.100.7", "pass"},
	    {"v=spf1 redirect=inc.example.net", "192.0.2.1", "fail"},
	    {"v=spf1 redirect=none.example.net", "192.0.2.1", "permerror"},
	    {"v=spf1 -all redirect=inc.example.net", "198.51.100.7", "fail"},
	    {"v=spf1 include:two.example.net", "192.0.2.1", "permerror"},
	    {"v=spf1 exists:%{ir}.%{v}._spf.example.net -all", "192.0.2.3",
	     "pass"},
	    {"v=spf1 exists:%{ir}.%{v}._spf.example.net -all", "192.0.2.4",
	     "fail"},
	    {"v=spf1 a:%{p} -all", "192.0.2.65", "pass"},
	    {"v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", "pass"},
	    {"v=spf1 ip4:0.0.0.0/0 -all", "2001:db8::1", "fail"},
	    {"v=spf1 bogus -all", "192.0.2.10", "permerror"},
	    {"v=spf1 ip4:192.0.2.10 bogus", "192.0.2.10", "permerror"},
	    /* §4.6.4: the 11th look-up, the 3rd void look-up */
	    {"v=spf1 a a a a a a a a a a -all", "192.0.2.99", "fail"},
	    {"v=spf1 a a a a a a a a a a a -all", "192.0.2.99", "permerror"},
	    {"v=spf1 a:nx1.example.net a:nx2.example.net -all", "192.0.2.1",
	     "fail"},
	    {"v=spf1 a:nx1.example.net a:nx2.example.net a:nx3.example.net "
	     "-all",
	     "192.0.2.1", "permerror"},
	};
	test_begin("spf check_host (RFC 7208 appendix A)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum spf_result r =
		    run(cases[i].ip, "joe@example.com", cases[i].record, NULL);
		if (strcmp(spf_result_name(r), cases[i].want) != 0)
			printf("case %zu: %s\n", i, cases[i].record);
		test_assert_str(spf_result_name(r), cases[i].want);
	}
	/* no record, a domain that cannot be one */
	test_assert_str(
	    spf_result_name(run("192.0.2.1", "x@nx.example.net", NULL, NULL)),
	    "none");
	test_assert_str(
	    spf_result_name(run("192.0.2.1", "x@localhost", NULL, NULL)),
	    "none");
	test_assert_str(
	    spf_result_name(run("192.0.2.1", "x@fail.example.net", "!", NULL)),
	    "temperror");
	unsigned queries;
	(void)run("192.0.2.99", "joe@example.com",
	          "v=spf1 a a a a a a a a a a a a a a -all", &queries);
	test_assert(queries == 11); /* the TXT and 10 look-ups, no more */
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_spf_macros, test_spf_record_parse, test_spf_appendix_a, NULL};
	return test_run(tests);
}
