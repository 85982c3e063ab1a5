/* Tests for DMARC: records (RFC 7489 §6.3 and the examples of Appendix
 * B.2), organisational domains by the Public Suffix List, alignment in
 * both modes (§3.1), evaluation with pct= and sp= (§6.6), the From domain
 * (§6.6.1), and the Authentication-Results writer and forgery check
 * (RFC 8601 §2.2, §5). */
#include "mailauth/authres.h"
#include "mailauth/dmarc.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static void test_dmarc_record(void)
{
	static const struct {
		const char *txt;
		int ret;
		const char *p, *sp;
		unsigned pct;
		bool adkim_strict, aspf_strict;
	} cases[] = {
	    {"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com", 0,
	     "none", "none", 100, false, false},
	    {"v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com;"
	     " pct=25",
	     0, "quarantine", "quarantine", 25, false, false},
	    {"v=DMARC1; p=reject; sp=none; adkim=s; aspf=s", 0, "reject",
	     "none", 100, true, true},
	    {"v = DMARC1;p=reject", 0, "reject", "reject", 100, false, false},
	    {"v=DMARC1; rua=mailto:a@example.com", 0, "none", "none", 100,
	     false, false},
	    {"v=DMARC1; p=reject; foo=bar", 0, "reject", "reject", 100, false,
	     false},
	    {"v=DMARC1", -1, NULL, NULL, 0, false, false},
	    {"v=DMARC1; p=bogus", -1, NULL, NULL, 0, false, false},
	    {"p=reject; v=DMARC1", -1, NULL, NULL, 0, false, false},
	    {"v=DMARC2; p=reject", -1, NULL, NULL, 0, false, false},
	    {"v=DMARC1; p=reject; pct=101", -1, NULL, NULL, 0, false, false},
	    {"v=DMARC1; p=reject; adkim=x", -1, NULL, NULL, 0, false, false},
	    {"v=DMARC1; p=reject; p=none", -1, NULL, NULL, 0, false, false},
	};
	test_begin("dmarc record");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct dmarc_record rec;
		const char *error;
		int ret = dmarc_record_parse(cases[i].txt, strlen(cases[i].txt),
		                             pool, &rec, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 0) {
			test_assert_str(dmarc_policy_name(rec.p), cases[i].p);
			test_assert_str(dmarc_policy_name(rec.sp), cases[i].sp);
			test_assert_idx(rec.pct == cases[i].pct, i);
			test_assert_idx(
			    rec.adkim_strict == cases[i].adkim_strict, i);
			test_assert_idx(rec.aspf_strict == cases[i].aspf_strict,
			                i);
		}
		pool_free(&pool);
	}
	test_end();
}

static void test_dmarc_alignment(void)
{
	static const struct {
		const char *domain, *org;
	} orgs[] = {
	    {"example.com", "example.com"},
	    {"mail.example.com", "example.com"},
	    {"a.b.Example.COM", "example.com"},
	    {"example.co.uk", "example.co.uk"},
	    {"news.example.co.uk", "example.co.uk"},
	    {"com", "com"},
	};
	static const struct {
		const char *a, *b;
		bool strict, want;
	} aligns[] = {
	    {"example.com", "example.com", true, true},
	    {"example.com", "EXAMPLE.com", true, true},
	    {"mail.example.com", "example.com", true, false},
	    {"mail.example.com", "example.com", false, true},
	    {"mail.example.com", "news.example.com", false, true},
	    {"example.com", "example.net", false, false},
	    {"a.example.co.uk", "b.example.co.uk", false, true},
	    {"example1.co.uk", "example2.co.uk", false, false},
	};
	test_begin("dmarc organisational domain and alignment");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++)
		test_assert_str(dmarc_org_domain(orgs[i].domain, pool),
		                orgs[i].org);
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++)
		test_assert_idx(dmarc_is_aligned(aligns[i].a, aligns[i].b,
		                                 aligns[i].strict) ==
		                    aligns[i].want,
		                i);
	pool_free(&pool);
	test_end();
}

static void test_dmarc_evaluate(void)
{
	static const struct {
		const char *record, *from, *spf_domain;
		bool spf_pass;
		const char *dkim_d; /* a DKIM pass, or NULL */
		bool is_org;
		unsigned sample;
		const char *result, *action;
	} cases[] = {
	    /* relaxed: subdomains align */
	    {"v=DMARC1; p=reject", "example.com", "mail.example.com", true,
	     NULL, false, 0, "pass", "none"},
	    {"v=DMARC1; p=reject", "example.com", NULL, false,
	     "sub.example.com", false, 0, "pass", "none"},
	    /* strict: only the same domain */
	    {"v=DMARC1; p=reject; aspf=s", "example.com", "mail.example.com",
	     true, NULL, false, 0, "fail", "reject"},
	    {"v=DMARC1; p=reject; adkim=s", "example.com", NULL, false,
	     "sub.example.com", false, 0, "fail", "reject"},
	    {"v=DMARC1; p=reject; adkim=s", "example.com", NULL, false,
	     "example.com", false, 0, "pass", "none"},
	    /* a pass for another domain is no pass */
	    {"v=DMARC1; p=quarantine", "example.com", "example.net", true,
	     "example.org", false, 0, "fail", "quarantine"},
	    {"v=DMARC1; p=none", "example.com", "example.net", false, NULL,
	     false, 0, "fail", "none"},
	    /* an SPF result other than pass does not count */
	    {"v=DMARC1; p=reject", "example.com", "example.com", false, NULL,
	     false, 0, "fail", "reject"},
	    /* sp= for a subdomain whose record came from the org domain */
	    {"v=DMARC1; p=reject; sp=quarantine", "a.example.com", NULL, false,
	     NULL, true, 0, "fail", "quarantine"},
	    {"v=DMARC1; p=reject; sp=quarantine", "example.com", NULL, false,
	     NULL, false, 0, "fail", "reject"},
	    /* pct=: outside the sample one step lower */
	    {"v=DMARC1; p=reject; pct=50", "example.com", NULL, false, NULL,
	     false, 49, "fail", "reject"},
	    {"v=DMARC1; p=reject; pct=50", "example.com", NULL, false, NULL,
	     false, 50, "fail", "quarantine"},
	    {"v=DMARC1; p=quarantine; pct=0", "example.com", NULL, false, NULL,
	     false, 0, "fail", "none"},
	};
	test_begin("dmarc evaluate");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct dmarc_record rec;
		const char *error;
		test_assert(dmarc_record_parse(cases[i].record,
		                               strlen(cases[i].record), pool,
		                               &rec, &error) == 0);
		const char *dkim[1] = {cases[i].dkim_d};
		struct dmarc_input in = {
		    .from_domain = cases[i].from,
		    .spf_domain = cases[i].spf_domain,
		    .spf_pass = cases[i].spf_pass,
		    .dkim_pass_domains = dkim,
		    .dkim_pass_count = cases[i].dkim_d != NULL ? 1 : 0,
		};
		struct dmarc_outcome out;
		dmarc_evaluate(&in, &rec, cases[i].is_org, cases[i].sample,
		               &out);
		test_assert_str(dmarc_result_name(out.result), cases[i].result);
		test_assert_str(dmarc_policy_name(out.action), cases[i].action);
		pool_free(&pool);
	}
	test_end();
}

static void test_dmarc_from(void)
{
	static const struct {
		const char *header, *want;
	} cases[] = {
	    {"From: Ann <ann@Example.COM>\r\nTo: b@c.org\r\n\r\n",
	     "example.com"},
	    {"To: b@c.org\r\nfrom: a@b.example.org\r\n", "b.example.org"},
	    {"From: a@b.org, c@d.org\r\n", NULL},
	    {"From: a@b.org\r\nFrom: c@d.org\r\n", NULL},
	    {"From: nobody\r\n", NULL},
	    {"Subject: x\r\n", NULL},
	    {"From: Ann\0 <ann@example.com>\r\n", NULL}, /* a NUL */
	};
	test_begin("dmarc From domain");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		const char *d = NULL;
		size_t len = strlen(cases[i].header);
		if (strncmp(cases[i].header, "From: Ann", 9) == 0 &&
		    cases[i].header[9] == '\0')
			len = 9 + strlen(cases[i].header + 10) + 1;
		int ret = dmarc_from_domain(cases[i].header, len, pool, &d);
		if (cases[i].want == NULL)
			test_assert_idx(ret == 0, i);
		else
			test_assert_str(ret == 1 ? d : "(none)", cases[i].want);
		pool_free(&pool);
	}
	test_end();
}

static void test_authres(void)
{
	test_begin("authentication-results");
	struct buf out;
	struct authres ar;
	buf_init(&out);
	authres_begin(&ar, &out, "mx.example.org");
	const char *spf[] = {"smtp.mailfrom", "sender@example.com"};
	const char *dkim[] = {"header.d", "example.com", "header.s",
	                      "sel;evil", "header.b",    "abc\r\nd"};
	authres_add(&ar, "spf", "pass", NULL, spf, 1);
	authres_add(&ar, "dkim", "fail", "body hash (mismatch)", dkim, 3);
	authres_end(&ar);
	test_assert_str(out.data,
	                "Authentication-Results: mx.example.org;\r\n"
	                "\tspf=pass smtp.mailfrom=sender@example.com;\r\n"
	                "\tdkim=fail (body hash mismatch) header.d=example.com"
	                " header.s=\"sel;evil\" header.b=\"abcd\"\r\n");
	buf_truncate(&out, 0);
	authres_begin(&ar, &out, "mx.example.org");
	authres_end(&ar);
	test_assert_str(out.data,
	                "Authentication-Results: mx.example.org; none\r\n");
	buf_deinit(&out);
	static const struct {
		const char *value;
		bool want;
	} claims[] = {
	    {" mx.example.org; spf=pass", true},
	    {" MX.Example.ORG 1; dkim=pass", true},
	    {" (comment (nested)) mx.example.org;none", true},
	    {" mx.example.org.evil; spf=pass", false},
	    {" other.example.net; spf=pass", false},
	    {"mx.example.org", true},
	    {" \"mx.example.org\"; spf=pass", true},
	};
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		test_assert_idx(
		    authres_claims(claims[i].value, strlen(claims[i].value),
		                   "mx.example.org") == claims[i].want,
		    i);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_dmarc_record, test_dmarc_alignment, test_dmarc_evaluate,
	    test_dmarc_from,   test_authres,         NULL};
	return test_run(tests);
}
