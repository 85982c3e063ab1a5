/* Tests for smtp_syntax.c: paths (quoted local parts, source routes,
 * Postmaster, UTF-8), parameters, domains, address literals and xtext. */
#include "smtp/smtp_syntax.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

struct path_case {
	const char *in;
	bool is_reverse;
	int ret;
	const char *address; /* when ret == 1 */
	const char *domain;
	size_t consumed;
};

static const struct path_case path_cases[] = {
    {"<a@b.test>", false, 1, "a@b.test", "b.test", 10},
    {"<a@b.test> SIZE=1", false, 1, "a@b.test", "b.test", 10},
    {"<>", true, 1, "", "", 2},
    {"<>", false, -1, NULL, NULL, 0},
    {"<Postmaster>", false, 1, "postmaster", "", 12},
    {"<\"a b\"@x.test>", false, 1, "\"a b\"@x.test", "x.test", 14},
    {"<\"ab\"@x.test>", false, 1, "ab@x.test", "x.test", 13},
    {"<\"u@far.test\"@x.test>", false, 1, "\"u@far.test\"@x.test", "x.test",
     21},
    {"<\"a>b\"@x.test>", false, 1, "\"a>b\"@x.test", "x.test", 14},
    {"<\"a\\\"b\"@x.test>", false, 1, "\"a\\\"b\"@x.test", "x.test", 15},
    {"<@r1.test,@r2.test:u@far.test>", false, 1, "u@far.test", "far.test", 30},
    {"<@r1.test:u@far.test>", false, 1, "u@far.test", "far.test", 21},
    {"<@:u@far.test>", false, -1, NULL, NULL, 0},
    {"<u%far.test@x.test>", false, 1, "u%far.test@x.test", "x.test", 19},
    {"<far.test!u@x.test>", false, 1, "far.test!u@x.test", "x.test", 19},
    {"<a@[127.0.0.1]>", false, 1, "a@[127.0.0.1]", "[127.0.0.1]", 15},
    {"<a@[IPv6:::1]>", false, 1, "a@[IPv6:::1]", "[IPv6:::1]", 14},
    {"<a@[1.2.3]>", false, -1, NULL, NULL, 0},
    {"<a.@b.test>", false, -1, NULL, NULL, 0},
    {"<a..b@b.test>", false, -1, NULL, NULL, 0},
    {"<a@b..test>", false, -1, NULL, NULL, 0},
    {"<a@-b.test>", false, -1, NULL, NULL, 0},
    {"<a@b.test", false, -1, NULL, NULL, 0},
    {"a@b.test", false, -1, NULL, NULL, 0},
    {"<a>", false, -1, NULL, NULL, 0},
    {"<a b@x.test>", false, -1, NULL, NULL, 0},
    {"<\xc3\xa4@x.test>", false, 1, "\xc3\xa4@x.test", "x.test", 11},
    {"<\xc3@x.test>", false, -1, NULL, NULL, 0},
    {"<a@\xc3\xa4.test>", false, 1, "a@\xc3\xa4.test", "\xc3\xa4.test", 11},
    {"<0123456789012345678901234567890123456789012345678901234567890"
     "12345@x.test>",
     false, -1, NULL, NULL, 0},
};

static void test_path_parse(void)
{
	struct pool *pool = pool_new();
	test_begin("smtp_path_parse");
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]);
	     i++) {
		const struct path_case *c = &path_cases[i];
		struct smtp_path path;
		size_t consumed = 0;
		const char *error;
		int ret = smtp_path_parse((const unsigned char *)c->in,
		                          strlen(c->in), c->is_reverse, pool,
		                          &path, &consumed, &error);
		test_assert_idx(ret == c->ret, i);
		if (ret != 1 || c->ret != 1)
			continue;
		test_assert_str(path.address, c->address);
		test_assert_str(path.domain, c->domain);
		test_assert_idx(consumed == c->consumed, i);
	}
	test_end();
	pool_free(&pool);
}

static void test_params_parse(void)
{
	static const struct {
		const char *in;
		int ret;
		size_t count;
	} cases[] = {
	    {"", 1, 0},
	    {"SIZE=10", 1, 1},
	    {"SIZE=10 BODY=8BITMIME SMTPUTF8", 1, 3},
	    {"SIZE=", -1, 0},
	    {"=10", -1, 0},
	    {"SIZE=10 ", -1, 0},
	    {"SIZE=10  BODY=7BIT", -1, 0},
	    {"X=a=b", -1, 0},
	    {"ORCPT=rfc822;a@b", 1, 1},
	};
	struct pool *pool = pool_new();
	test_begin("smtp_params_parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_param *params;
		size_t count = 0;
		const char *error;
		int ret = smtp_params_parse((const unsigned char *)cases[i].in,
		                            strlen(cases[i].in), pool, &params,
		                            &count, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 1)
			test_assert_idx(count == cases[i].count, i);
	}
	test_end();
	pool_free(&pool);
}

static void test_xtext_domain(void)
{
	static const struct {
		const char *in;
		bool ok;
	} xtext[] = {
	    {"abc", true},  {"a+2Bb", true}, {"a+2bb", false}, {"a+2", false},
	    {"a=b", false}, {"a b", false},  {"", true},
	};
	static const struct {
		const char *in;
		bool ok;
	} domains[] = {
	    {"a.test", true},    {"a-b.test", true},  {"-a.test", false},
	    {"a-.test", false},  {"a..b", false},     {".a", false},
	    {"a_b.test", false}, {"localhost", true},
	};
	test_begin("smtp_xtext_is_valid, smtp_domain_is_valid");
	for (size_t i = 0; i < sizeof(xtext) / sizeof(xtext[0]); i++)
		test_assert_idx(
		    smtp_xtext_is_valid((const unsigned char *)xtext[i].in,
		                        strlen(xtext[i].in)) == xtext[i].ok,
		    i);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		test_assert_idx(
		    smtp_domain_is_valid((const unsigned char *)domains[i].in,
		                         strlen(domains[i].in),
		                         false) == domains[i].ok,
		    i);
	test_assert(
	    smtp_utf8_is_valid((const unsigned char *)"\xe2\x82\xac", 3));
	test_assert(!smtp_utf8_is_valid((const unsigned char *)"\xc0\xaf", 2));
	test_assert(
	    !smtp_utf8_is_valid((const unsigned char *)"\xed\xa0\x80", 3));
	test_end();
}

static void test_address_literal_addr(void)
{
	static const struct {
		const char *in, *addr; /* addr NULL: -1 */
	} cases[] = {
	    {"[192.0.2.1]", "192.0.2.1"},
	    {"[IPv6:2001:db8::1]", "2001:db8::1"},
	    {"[ipv6:::1]", "::1"},
	    {"[IPv6:::ffff:127.0.0.1]", "::ffff:127.0.0.1"},
	    {"[x-tag:anything]", NULL},
	    {"[IPv6:10.0.0.1]", NULL},
	    {"[::1]", NULL},
	    {"[192.0.2.256]", NULL},
	    {"192.0.2.1", NULL},
	    {"[]", NULL},
	    {"[IPv6:]", NULL},
	};
	test_begin("smtp_address_literal_addr");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char addr[SMTP_LITERAL_ADDR_MAX];
		int ret = smtp_address_literal_addr(
		    (const unsigned char *)cases[i].in, strlen(cases[i].in),
		    addr);
		test_assert_idx(ret == (cases[i].addr != NULL ? 0 : -1), i);
		if (ret == 0 && cases[i].addr != NULL)
			test_assert_str(addr, cases[i].addr);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_path_parse, test_params_parse, test_xtext_domain,
	    test_address_literal_addr, NULL};
	return test_run(tests);
}
