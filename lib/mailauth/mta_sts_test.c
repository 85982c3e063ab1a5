/* Tests for MTA-STS and TLS-RPT records, from the RFCs' own examples: the
 * policy of RFC 8461 §3.2, the TXT record of §3.1, the wildcards of §4.1,
 * the TLS-RPT records of RFC 8460 §3; what our writer makes parses back,
 * and its id follows its text. */
#include "mailauth/mta_sts.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static void test_policy_parse(void)
{
	static const struct {
		const char *text, *error; /* error NULL: parses */
	} cases[] = {
	    /* RFC 8461 §3.2 */
	    {"version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	     "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
	     NULL},
	    {"version: STSv1\r\nmode: testing\r\nmx: a.example\r\n"
	     "max_age: 86400",
	     NULL},
	    {"mode: none\r\nversion: STSv1\r\nmax_age: 0\r\nx-extra: 1\r\n",
	     NULL},
	    {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
	     "not version: STSv1"},
	    {"mode: enforce\nmx: a.example\nmax_age: 1\n", "no version: STSv1"},
	    {"version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx:"},
	    {"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
	     "bad mode:"},
	    {"version: STSv1\nmode: enforce\nmx: a.example\n"
	     "max_age: 31557601\n",
	     "bad max_age:"},
	    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
	     "bad max_age:"},
	    {"version: STSv1\nmode: enforce\nmode: none\nmx: a\nmax_age: 1\n",
	     "repeated policy field"},
	    {"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",
	     "bad mx: pattern"},
	    {"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n",
	     "bad mx: pattern"},
	    {"version: STSv1\nmode\nmx: a.example\nmax_age: 1\n",
	     "policy line without ':'"},
	};
	test_begin("mta-sts policy parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct mta_sts_policy p;
		const char *error = NULL;
		int ret = mta_sts_policy_parse(
		    cases[i].text, strlen(cases[i].text), pool, &p, &error);
		test_assert_idx(ret == (cases[i].error == NULL ? 0 : -1), i);
		if (cases[i].error != NULL && ret < 0)
			test_assert_str(error, cases[i].error);
		pool_free(&pool);
	}
	struct pool *pool = pool_new();
	struct mta_sts_policy p;
	const char *error;
	const char *text = cases[0].text;
	test_assert(
	    mta_sts_policy_parse(text, strlen(text), pool, &p, &error) == 0);
	test_assert(p.mode == MTA_STS_ENFORCE);
	test_assert_int(p.max_age, 604800);
	test_assert_int(p.mx_count, 3);
	test_assert_str(p.mx[1], "*.example.net");
	/* §4.1: the MX hosts it allows */
	test_assert(mta_sts_policy_allows(&p, "mail.example.com"));
	test_assert(mta_sts_policy_allows(&p, "MAIL.Example.COM."));
	test_assert(mta_sts_policy_allows(&p, "mx1.example.net"));
	test_assert(!mta_sts_policy_allows(&p, "example.net"));
	test_assert(!mta_sts_policy_allows(&p, "a.mx1.example.net"));
	test_assert(!mta_sts_policy_allows(&p, "evil.example.com"));
	/* a policy too long, or with a NUL */
	test_assert(
	    mta_sts_policy_parse("version: STSv1\0", 15, pool, &p, &error) < 0);
	pool_free(&pool);
	test_end();
}

static void test_policy_write(void)
{
	test_begin("mta-sts policy write and id");
	struct mta_sts_policy p = {.mode = MTA_STS_TESTING,
	                           .max_age = 604800,
	                           .mx = {"mx.example.org", "*.example.net"},
	                           .mx_count = 2};
	struct buf b;
	buf_init(&b);
	mta_sts_policy_write(&p, &b);
	test_assert_str(b.data, "version: STSv1\r\nmode: testing\r\n"
	                        "mx: mx.example.org\r\nmx: *.example.net\r\n"
	                        "max_age: 604800\r\n");
	struct pool *pool = pool_new();
	struct mta_sts_policy back;
	const char *error;
	test_assert(mta_sts_policy_parse(b.data, b.len, pool, &back, &error) ==
	            0);
	test_assert(back.mode == MTA_STS_TESTING && back.mx_count == 2);
	char id1[21], id2[21];
	mta_sts_policy_id(b.data, b.len, id1);
	test_assert_int(strlen(id1), 20);
	p.mode = MTA_STS_ENFORCE;
	buf_truncate(&b, 0);
	mta_sts_policy_write(&p, &b);
	mta_sts_policy_id(b.data, b.len, id2);
	test_assert(strcmp(id1, id2) != 0);
	/* from the settings */
	test_assert(mta_sts_policy_from("off", "", "mx.example.org", 1, pool,
	                                &back, &error) == 0);
	test_assert(mta_sts_policy_from("enforce", "", "mx.example.org", 86400,
	                                pool, &back, &error) == 1);
	test_assert(back.mx_count == 1 &&
	            strcmp(back.mx[0], "mx.example.org") == 0);
	test_assert(mta_sts_policy_from("testing", " a.example, *.b.example ",
	                                "mx.example.org", 86400, pool, &back,
	                                &error) == 1);
	test_assert(back.mx_count == 2 &&
	            strcmp(back.mx[1], "*.b.example") == 0);
	test_assert(
	    mta_sts_policy_from("strict", "", "h", 1, pool, &back, &error) < 0);
	test_assert(mta_sts_policy_from("enforce", "a b/c", "h", 1, pool, &back,
	                                &error) < 0);
	pool_free(&pool);
	buf_deinit(&b);
	test_end();
}

static void test_txt_records(void)
{
	char id[33];
	const char *error, *rua;
	test_begin("mta-sts and tls-rpt txt records");
	/* RFC 8461 §3.1 */
	const char *sts = "v=STSv1; id=20160831085700Z;";
	test_assert(mta_sts_txt_is_sts(sts, strlen(sts)));
	test_assert(mta_sts_txt_parse(sts, strlen(sts), id, &error) == 0);
	test_assert_str(id, "20160831085700Z");
	test_assert(!mta_sts_txt_is_sts("v=STSv10", 8));
	test_assert(mta_sts_txt_parse("v=STSv1", 7, id, &error) < 0);
	test_assert_str(error, "no id=");
	test_assert(mta_sts_txt_parse("v=STSv1; id=a-b", 15, id, &error) < 0);
	test_assert_str(error, "bad id=");
	test_assert(mta_sts_txt_parse("id=1; v=STSv1", 13, id, &error) < 0);
	/* RFC 8460 §3 */
	struct pool *pool = pool_new();
	const char *r1 = "v=TLSRPTv1;rua=mailto:reports@example.com";
	test_assert(tlsrpt_txt_parse(r1, strlen(r1), pool, &rua, &error) == 0);
	test_assert_str(rua, "mailto:reports@example.com");
	const char *r2 =
	    "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt";
	test_assert(tlsrpt_txt_parse(r2, strlen(r2), pool, &rua, &error) == 0);
	test_assert_str(rua, "https://reporting.example.com/v1/tlsrpt");
	test_assert(tlsrpt_txt_parse("v=TLSRPTv1", 10, pool, &rua, &error) < 0);
	test_assert(tlsrpt_txt_parse("v=spf1 -all", 11, pool, &rua, &error) <
	            0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_policy_parse, test_policy_write, test_txt_records, NULL};
	return test_run(tests);
}
