/* Unit tests for address, domain and mailbox name syntax. */
#include "core/pool.h"
#include "store/store_private.h"
#include "test/test.h"

#include <string.h>

static void test_store_address_is_valid(void)
{
	test_begin("store address syntax");
	static const struct {
		const char *addr;
		bool valid;
	} cases[] = {
	    {"user@example.org", true},
	    {"first.last+tag@sub.example.org", true},
	    {"\"john doe\"@example.org", true},
	    {"\"a\\\"b\"@example.org", true},
	    {"o'neil@example.org", true},
	    {"x@localhost", true},
	    {"UPPER@EXAMPLE.ORG", true},
	    {"", false},
	    {"user", false},
	    {"@example.org", false},
	    {"user@", false},
	    {".user@example.org", false},
	    {"user.@example.org", false},
	    {"us..er@example.org", false},
	    {"us er@example.org", false},
	    {"user@exa_mple.org", false},
	    {"user@-example.org", false},
	    {"user@example-.org", false},
	    {"user@example..org", false},
	    {"user@example.org.", false},
	    {"user@[192.0.2.1]", false},
	    {"\"unterminated@example.org", false},
	    {"a@b@example.org", false},
	    {"user\n@example.org", false},
	    {"j\xc3\xb6rg@example.org", true},     /* RFC 6531 UTF-8 */
	    {"\xe7\x94\xa8\xe6\x88\xb7@example.org", true},
	    {"j\xc3rg@example.org", false},         /* truncated sequence */
	    {"j\xc0\xafrg@example.org", false},    /* overlong */
	    {"j\xed\xa0\x80@example.org", false}, /* surrogate */
	    {"j\xff@example.org", false},
	    {"1234567890123456789012345678901234567890123456789012345678901234"
	     "5@example.org",
	     false},
	    {"1234567890123456789012345678901234567890123456789012345678901234"
	     "@example.org",
	     true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(
		    store_address_is_valid(cases[i].addr) == cases[i].valid, i);
	test_end();
}

static void test_store_domain_is_valid(void)
{
	test_begin("store domain syntax");
	static const struct {
		const char *domain;
		bool valid;
	} cases[] = {
	    {"example.org", true},
	    {"a.b.c.d", true},
	    {"xn--bcher-kva.example", true},
	    {"x1-y2.test", true},
	    {"", false},
	    {".", false},
	    {"a..b", false},
	    {"-a.b", false},
	    {"a-.b", false},
	    {"a b", false},
	    {"a.b.", false},
	    {"\xc3\xa4.test", false},
	    {"1234567890123456789012345678901234567890123456789012345678901234"
	     ".test",
	     false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(store_domain_is_valid(cases[i].domain) ==
		                    cases[i].valid,
		                i);
	test_end();
}

static void test_store_address_normalize(void)
{
	test_begin("store address normalize and split");
	struct pool *pool = pool_new();
	test_assert_str(store_address_normalize("Bob+Tag@Example.ORG", pool),
	                "bob+tag@example.org");
	test_assert_str(store_address_normalize("@Example.ORG", pool),
	                "@example.org");
	test_assert(store_address_normalize("@", pool) == NULL);
	test_assert(store_address_normalize("bob", pool) == NULL);
	const char *local, *domain;
	test_assert(
	    store_address_split("\"a@b\"@x.test", pool, &local, &domain) == 0);
	test_assert_str(local, "\"a@b\"");
	test_assert_str(domain, "x.test");
	test_assert(store_address_split("nope", pool, &local, &domain) < 0);
	pool_free(&pool);
	test_end();
}

static void test_store_mailbox_name_is_valid(void)
{
	test_begin("store mailbox names");
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
	    {"INBOX", true},      {"Work", true},     {"Work/2024", true},
	    {"a.b", true},        {"...x", true},     {"caf\xc3\xa9", true},
	    {"", false},          {"..", false},      {".", false},
	    {"/Work", false},     {"Work/", false},   {"Work//x", false},
	    {"a/../b", false},    {"a/./b", false},   {"a/..", false},
	    {"tab\there", false}, {"del\x7f", false}, {"star*", false},
	    {"per%cent", false},  {"nl\n", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(store_mailbox_name_is_valid(cases[i].name) ==
		                    cases[i].valid,
		                i);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_address_is_valid,
	    test_store_domain_is_valid,
	    test_store_address_normalize,
	    test_store_mailbox_name_is_valid,
	    NULL,
	};
	return test_run(tests);
}
