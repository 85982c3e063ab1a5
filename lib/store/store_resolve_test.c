/* Unit tests for recipient resolution, sender checks and quota. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static struct store *store;

static void setup(void)
{
	static const char *const domains[] = {"x.test", "y.test", "z.test"};
	static const char *const accounts[] = {"alice@x.test", "bob@x.test",
	                                       "carol@y.test"};
	static const char *const aliases[][2] = {
	    {"team@x.test", "alice@x.test"},
	    {"team@x.test", "bob@x.test"},
	    {"team@x.test", "friend@remote.example"},
	    {"list@x.test", "alice@x.test"},
	    {"list+vip@x.test", "carol@y.test"},
	    {"a1@x.test", "a2@x.test"},
	    {"a2@x.test", "a3@x.test"},
	    {"a3@x.test", "alice+chain@x.test"},
	    {"l1@x.test", "l2@x.test"},
	    {"l2@x.test", "l1@x.test"},
	    {"l2@x.test", "bob@x.test"},
	    {"s@x.test", "s@x.test"},
	    {"d@x.test", "alice@x.test"},
	    {"d@x.test", "team@x.test"},
	    {"dead@x.test", "nobody@x.test"},
	    {"@y.test", "carol@y.test"},
	    {"postmaster@z.test", "bob@x.test"},
	};
	char *dir = xasprintf("%s/resolve", test_tmpdir());
	struct store_settings set = {.data_dir = dir};
	const char *error = NULL;
	if (store_open(&set, &store, &error) < 0)
		abort();
	free(dir);
	for (size_t i = 0; i < sizeof(domains) / sizeof(*domains); i++)
		if (store_domain_add(store, domains[i], &error) < 0)
			abort();
	for (size_t i = 0; i < sizeof(accounts) / sizeof(*accounts); i++)
		if (store_account_add(store, accounts[i], "h", 0, &error) < 0)
			abort();
	for (size_t i = 0; i < sizeof(aliases) / sizeof(*aliases); i++)
		if (store_alias_add(store, aliases[i][0], aliases[i][1],
		                    &error) < 0)
			abort();
	/* a chain deeper than the limit: c0 -> c1 -> ... -> c12 -> bob */
	for (int i = 0; i <= 12; i++) {
		char *src = xasprintf("c%d@x.test", i);
		char *dst = i < 12 ? xasprintf("c%d@x.test", i + 1)
		                   : xstrdup("bob@x.test");
		if (store_alias_add(store, src, dst, &error) < 0)
			abort();
		free(src);
		free(dst);
	}
}

static void test_store_resolve(void)
{
	test_begin("store address resolve table");
	static const struct {
		const char *addr;
		int ret;
		const char *want;
	} cases[] = {
	    {"alice@x.test", 1, "alice@x.test;"},
	    {"ALICE@X.TEST", 1, "alice@x.test;"},
	    {"alice+news@x.test", 1, "alice@x.test#news;"},
	    {"alice+@x.test", 0, ""},
	    {"team@x.test", 1,
	     "alice@x.test;bob@x.test;friend@remote.example(r);"},
	    {"team+foo@x.test", 1,
	     "alice@x.test#foo;bob@x.test#foo;friend@remote.example(r);"},
	    {"list+vip@x.test", 1, "carol@y.test;"},
	    {"list+other@x.test", 1, "alice@x.test#other;"},
	    {"a1@x.test", 1, "alice@x.test#chain;"},
	    {"l1@x.test", 1, "bob@x.test;"},
	    {"s@x.test", 0, ""},
	    {"d@x.test", 1,
	     "alice@x.test;bob@x.test;friend@remote.example(r);"},
	    {"dead@x.test", 0, ""},
	    {"zed@x.test", 0, ""},
	    {"anyone@y.test", 1, "carol@y.test;"},
	    {"carol@y.test", 1, "carol@y.test;"},
	    /* 10 alias levels reach bob, 11 do not */
	    {"c3@x.test", 1, "bob@x.test;"},
	    {"c2@x.test", 0, ""},
	    {"someone@remote.example", 0, ""},
	    {"not an address", 0, ""},
	    {"@x.test", 0, ""},
	    /* RFC 5321 §4.5.1: no postmaster alias, the first account */
	    {"postmaster@x.test", 1, "alice@x.test;"},
	    {"PostMaster@X.Test", 1, "alice@x.test;"},
	    {"postmaster+x@x.test", 0, ""},
	    {"postmasters@x.test", 0, ""},
	    {"postmaster@remote.example", 0, ""},
	    /* a catch-all or an alias of the domain comes first */
	    {"postmaster@y.test", 1, "carol@y.test;"},
	    {"postmaster@z.test", 1, "bob@x.test;"},
	};
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct store_resolution res;
		int ret =
		    store_address_resolve(store, cases[i].addr, pool, &res);
		test_assert_idx(ret == cases[i].ret, i);
		struct buf out;
		buf_init(&out);
		for (size_t j = 0; j < res.count; j++) {
			const struct store_target *t = &res.targets[j];
			buf_append_str(&out, t->address);
			if (t->detail != NULL)
				buf_printf(&out, "#%s", t->detail);
			buf_append_str(&out, t->is_local ? ";" : "(r);");
		}
		test_assert_str(out.data, cases[i].want);
		buf_deinit(&out);
	}
	pool_free(&pool);
	test_end();
}

static void test_store_sender_allowed(void)
{
	test_begin("store sender allowed table");
	static const struct {
		const char *account, *sender;
		int ret;
	} cases[] = {
	    {"alice@x.test", "alice@x.test", 1},
	    {"alice@x.test", "Alice@X.test", 1},
	    {"alice@x.test", "alice+tag@x.test", 1},
	    {"alice@x.test", "team@x.test", 1},
	    {"alice@x.test", "team+x@x.test", 1},
	    {"alice@x.test", "list@x.test", 1},
	    {"alice@x.test", "bob@x.test", 0},
	    {"alice@x.test", "dead@x.test", 0},
	    {"carol@y.test", "whatever@y.test", 0},
	    {"carol@y.test", "list+vip@x.test", 1},
	    {"alice@x.test", "", 0},
	    {"alice@x.test", "@x.test", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(store_sender_allowed(store, cases[i].account,
		                                     cases[i].sender) ==
		                    cases[i].ret,
		                i);
	test_end();
}

static void add_message(const char *address, uint64_t size)
{
	struct store_account *account = NULL;
	const char *error;
	uint32_t uid;
	if (store_account_open(store, address, &account, &error) < 0)
		abort();
	test_assert(store_message_add(account, "INBOX",
	                              "0123456789abcdef0123456789abcdef"
	                              "0123456789abcdef0123456789abcdef",
	                              size, 0, NULL, 0, NULL, &uid,
	                              &error) == 1);
	store_account_close(&account);
}

static void test_store_quota_check(void)
{
	test_begin("store quota check");
	const char *error;
	test_assert_int(store_quota_check(store, "alice@x.test", 1u << 30), 1);
	test_assert(
	    store_account_set_quota(store, "bob@x.test", 1000, &error) == 0);
	test_assert_int(store_quota_check(store, "bob@x.test", 1000), 1);
	test_assert_int(store_quota_check(store, "bob@x.test", 1001), 0);
	add_message("bob@x.test", 600);
	test_assert_int(store_quota_check(store, "bob@x.test", 400), 1);
	test_assert_int(store_quota_check(store, "bob@x.test", 401), 0);
	add_message("bob@x.test", 600);
	test_assert_int(store_quota_check(store, "bob@x.test", 0), 0);
	test_assert_int(store_quota_check(store, "nobody@x.test", 1), -1);
	test_end();
}

/* Resolves address in a store opened with postmaster set. */
static void resolve_with_postmaster(const char *name, const char *postmaster,
                                    bool has_account, const char *address,
                                    int want_ret, const char *want)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);
	struct store_settings set = {.data_dir = dir, .postmaster = postmaster};
	struct store *s = NULL;
	const char *error = NULL;
	test_assert(store_open(&set, &s, &error) == 0);
	free(dir);
	if (s == NULL)
		return;
	test_assert(store_domain_add(s, "x.test", &error) == 0);
	test_assert(store_domain_add(s, "y.test", &error) == 0);
	if (has_account) {
		test_assert(
		    store_account_add(s, "root@y.test", "h", 0, &error) == 0);
		test_assert(
		    store_account_add(s, "ann@x.test", "h", 0, &error) == 0);
		test_assert(store_alias_add(s, "admins@x.test", "ann@x.test",
		                            &error) == 0);
		test_assert(store_alias_add(s, "admins@x.test",
		                            "ops@remote.example", &error) == 0);
	}
	struct pool *pool = pool_new();
	struct store_resolution res;
	test_assert_int(store_address_resolve(s, address, pool, &res),
	                want_ret);
	struct buf out;
	buf_init(&out);
	for (size_t j = 0; j < res.count; j++)
		buf_printf(&out, "%s%s", res.targets[j].address,
		           res.targets[j].is_local ? ";" : "(r);");
	test_assert_str(out.data, want);
	buf_deinit(&out);
	pool_free(&pool);
	store_close(&s);
}

static void test_store_postmaster(void)
{
	test_begin("store postmaster default");
	/* the first account made, whatever its domain */
	resolve_with_postmaster("pm1", NULL, true, "postmaster@x.test", 1,
	                        "root@y.test;");
	resolve_with_postmaster("pm2", "", true, "postmaster@x.test", 1,
	                        "root@y.test;");
	/* the setting: an account, a remote address, an alias */
	resolve_with_postmaster("pm3", "Ann@X.test", true, "postmaster@y.test",
	                        1, "ann@x.test;");
	resolve_with_postmaster("pm4", "noc@remote.example", true,
	                        "postmaster@x.test", 1,
	                        "noc@remote.example(r);");
	resolve_with_postmaster("pm5", "admins@x.test", true,
	                        "postmaster@y.test", 1,
	                        "ann@x.test;ops@remote.example(r);");
	/* pointing at itself ends, with nobody */
	resolve_with_postmaster("pm6", "postmaster@x.test", true,
	                        "postmaster@x.test", 0, "");
	/* no account at all: nobody to take it */
	resolve_with_postmaster("pm7", NULL, false, "postmaster@x.test", 0, "");
	char *dir = xasprintf("%s/pm8", test_tmpdir());
	struct store_settings set = {.data_dir = dir, .postmaster = "nobody"};
	struct store *s = NULL;
	const char *error = NULL;
	test_assert(store_open(&set, &s, &error) < 0);
	test_assert_str(error, "invalid postmaster address");
	free(dir);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_resolve, test_store_postmaster,
	    test_store_sender_allowed, test_store_quota_check, NULL};
	setup();
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
