/* Unit tests for domains, accounts and aliases in the global database. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct store *open_store(const char *name, uint64_t default_quota)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);
	struct store_settings set = {.data_dir = dir,
	                             .default_quota = default_quota};
	struct store *store = NULL;
	const char *error = NULL;
	if (store_open(&set, &store, &error) < 0)
		test_assert_str(error, "(opened)");
	free(dir);
	return store;
}

static void list_cb(const char *str, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%s;", str);
}

static void test_store_domain(void)
{
	test_begin("store domain add, list, exists, del");
	struct store *store = open_store("domain", 0);
	const char *error = NULL;
	test_assert(store_domain_add(store, "Example.ORG", &error) == 0);
	test_assert(store_domain_add(store, "b.test", &error) == 0);
	test_assert(store_domain_add(store, "example.org", &error) < 0);
	test_assert_str(error, "domain exists");
	test_assert(store_domain_add(store, "bad..test", &error) < 0);
	test_assert_str(error, "invalid domain");
	test_assert_int(store_domain_exists(store, "EXAMPLE.org"), 1);
	test_assert_int(store_domain_exists(store, "c.test"), 0);
	struct buf out;
	buf_init(&out);
	test_assert(store_domain_list(store, list_cb, &out) == 0);
	test_assert_str(out.data, "b.test;example.org;");
	test_assert(store_domain_del(store, "B.test", &error) == 0);
	test_assert(store_domain_del(store, "b.test", &error) < 0);
	test_assert_str(error, "no such domain");
	test_assert_int(store_domain_exists(store, "b.test"), 0);
	buf_deinit(&out);
	store_close(&store);
	test_assert(store == NULL);
	store_close(&store);
	test_end();
}

static void account_cb(const struct store_account_info *info, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%s=%llu;", info->address,
	           (unsigned long long)info->quota);
}

static void test_store_account_errors(void)
{
	test_begin("store account add errors");
	struct store *store = open_store("account-errors", 1000);
	const char *error = NULL;
	test_assert(store_domain_add(store, "x.test", &error) == 0);
	static const struct {
		const char *addr, *error;
	} cases[] = {
	    {"bob@x.test", NULL},
	    {"BOB@X.TEST", "account exists"},
	    {"bob@y.test", "no such domain"},
	    {"bob", "invalid address"},
	    {"@x.test", "invalid address"},
	    {"b..ob@x.test", "invalid address"},
	    {"list@x.test", "address is an alias"},
	};
	test_assert(
	    store_alias_add(store, "list@x.test", "bob@x.test", &error) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		error = NULL;
		int ret = store_account_add(store, cases[i].addr, "$y$hash", 0,
		                            &error);
		test_assert_idx(ret == (cases[i].error == NULL ? 0 : -1), i);
		if (cases[i].error != NULL && error != NULL)
			test_assert_str(error, cases[i].error);
	}
	test_assert(store_domain_del(store, "x.test", &error) < 0);
	test_assert_str(error, "domain has accounts");
	store_close(&store);
	test_end();
}

static void test_store_account_lifecycle(void)
{
	test_begin("store account lookup, password, quota, list, del");
	struct store *store = open_store("account", 1000);
	struct pool *pool = pool_new();
	const char *error = NULL;
	struct store_account_info info;
	test_assert(store_domain_add(store, "x.test", &error) == 0);
	test_assert(store_account_add(store, "Alice@X.test", "h1", 0, &error) ==
	            0);
	test_assert(store_account_add(store, "bob@x.test", "h2", 5, &error) ==
	            0);
	test_assert_int(
	    store_account_lookup(store, "ALICE@x.test", pool, &info), 1);
	test_assert_str(info.address, "alice@x.test");
	test_assert_str(info.password_hash, "h1");
	test_assert_int(info.quota, 1000);
	test_assert(info.created > 0);
	test_assert_int(
	    store_account_lookup(store, "carol@x.test", pool, &info), 0);
	test_assert(store_account_set_password(store, "alice@x.test", "h3",
	                                       &error) == 0);
	test_assert(store_account_set_quota(store, "alice@x.test", 0, &error) ==
	            0);
	test_assert(
	    store_account_set_password(store, "zed@x.test", "h", &error) < 0);
	test_assert_str(error, "no such account");
	test_assert_int(
	    store_account_lookup(store, "alice@x.test", pool, &info), 1);
	test_assert_str(info.password_hash, "h3");
	test_assert_int(info.quota, 0);

	struct buf out;
	buf_init(&out);
	test_assert(store_account_list(store, account_cb, &out) == 0);
	test_assert_str(out.data, "alice@x.test=0;bob@x.test=5;");

	int64_t bob_id = 0;
	test_assert_int(store_account_lookup(store, "bob@x.test", pool, &info),
	                1);
	bob_id = info.id;
	char *dir = xasprintf("%s/account/accounts/%lld", test_tmpdir(),
	                      (long long)bob_id);
	struct stat st;
	test_assert(stat(dir, &st) == 0);
	test_assert(store_account_del(store, "bob@x.test", &error) == 0);
	test_assert(stat(dir, &st) < 0);
	test_assert(store_account_del(store, "bob@x.test", &error) < 0);
	test_assert_str(error, "no such account");
	/* ids are never reused */
	test_assert(store_account_add(store, "carol@x.test", "h", 0, &error) ==
	            0);
	test_assert_int(
	    store_account_lookup(store, "carol@x.test", pool, &info), 1);
	test_assert(info.id > bob_id);
	free(dir);
	buf_deinit(&out);
	pool_free(&pool);
	store_close(&store);
	test_end();
}

static void mailbox_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%s:%d;", info->name, (int)info->special_use);
}

static void test_store_account_default_mailboxes(void)
{
	test_begin("store account gets default mailboxes with roles");
	struct store *store = open_store("account-mailboxes", 0);
	const char *error = NULL;
	struct store_account *account = NULL;
	test_assert(store_domain_add(store, "x.test", &error) == 0);
	test_assert(store_account_add(store, "a@x.test", "h", 0, &error) == 0);
	test_assert(
	    store_account_open(store, "nobody@x.test", &account, &error) < 0);
	test_assert_str(error, "no such account");
	test_assert(store_account_open(store, "A@X.test", &account, &error) ==
	            0);
	struct buf out;
	buf_init(&out);
	test_assert(store_mailbox_list(account, mailbox_cb, &out) == 0);
	test_assert_str(out.data, "INBOX:1;Archive:6;Drafts:2;Junk:5;"
	                          "Sent:3;Trash:4;");
	buf_deinit(&out);
	store_account_close(&account);
	test_assert(account == NULL);
	store_account_close(&account);
	store_close(&store);
	test_end();
}

static void alias_cb(const char *source, const char *target, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%s>%s;", source, target);
}

static void test_store_alias(void)
{
	test_begin("store alias add, list, del");
	struct store *store = open_store("alias", 0);
	const char *error = NULL;
	test_assert(store_domain_add(store, "x.test", &error) == 0);
	test_assert(store_domain_add(store, "y.test", &error) == 0);
	test_assert(store_account_add(store, "bob@x.test", "h", 0, &error) ==
	            0);
	static const struct {
		const char *source, *target, *error;
	} cases[] = {
	    {"Team@x.test", "bob@x.test", NULL},
	    {"team@x.test", "friend@remote.example", NULL},
	    {"@x.test", "bob@x.test", NULL},
	    {"team@y.test", "bob@x.test", NULL},
	    {"team@x.test", "BOB@x.test", "alias exists"},
	    {"bob@x.test", "friend@remote.example", "address is an account"},
	    {"team@z.test", "bob@x.test", "no such domain"},
	    {"team", "bob@x.test", "invalid address"},
	    {"team@x.test", "@x.test", "invalid address"},
	    {"team@x.test", "bo..b@x.test", "invalid address"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		error = NULL;
		int ret = store_alias_add(store, cases[i].source,
		                          cases[i].target, &error);
		test_assert_idx(ret == (cases[i].error == NULL ? 0 : -1), i);
		if (cases[i].error != NULL && error != NULL)
			test_assert_str(error, cases[i].error);
	}
	struct buf out;
	buf_init(&out);
	test_assert(store_alias_list(store, alias_cb, &out) == 0);
	test_assert_str(out.data, "@x.test>bob@x.test;"
	                          "team@x.test>bob@x.test;"
	                          "team@x.test>friend@remote.example;"
	                          "team@y.test>bob@x.test;");
	test_assert(
	    store_alias_del(store, "team@x.test", "bob@x.test", &error) == 0);
	test_assert(
	    store_alias_del(store, "team@x.test", "bob@x.test", &error) < 0);
	test_assert_str(error, "no such alias");
	test_assert(store_alias_del(store, "team@x.test", NULL, &error) == 0);
	/* a domain's aliases go with it */
	test_assert(store_domain_del(store, "y.test", &error) == 0);
	buf_truncate(&out, 0);
	test_assert(store_alias_list(store, alias_cb, &out) == 0);
	test_assert_str(out.data, "@x.test>bob@x.test;");
	buf_deinit(&out);
	store_close(&store);
	test_end();
}

static void test_store_open_fails(void)
{
	test_begin("store open fails on an unusable data_dir");
	struct store_settings set = {.data_dir = "/proc/postroom-no"};
	struct store *store = NULL;
	const char *error = NULL;
	test_assert(store_open(&set, &store, &error) < 0);
	test_assert(error != NULL && strstr(error, "mkdir") != NULL);
	test_assert(store == NULL);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_domain,
	    test_store_account_errors,
	    test_store_account_lifecycle,
	    test_store_account_default_mailboxes,
	    test_store_alias,
	    test_store_open_fails,
	    NULL,
	};
	return test_run(tests);
}
