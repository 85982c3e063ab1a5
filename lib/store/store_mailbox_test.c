/* Unit tests for mailboxes: names, create, delete, rename, subscribe,
 * UIDVALIDITY. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

#define BLOB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct store *store;

static struct store_account *open_account(const char *address)
{
	return store_testing_account(store, address);
}

static void names_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%s%s;", info->name, info->is_subscribed ? "" : "-");
}

static const char *names(struct store_account *account, struct buf *out)
{
	buf_truncate(out, 0);
	test_assert(store_mailbox_list(account, names_cb, out) == 0);
	return out->data;
}

static void test_store_mailbox_create_delete(void)
{
	test_begin("store mailbox create and delete");
	struct store_account *account = open_account("m1@x.test");
	static const struct {
		const char *name, *error;
	} cases[] = {
	    {"Work", NULL},
	    {"Work/2024", NULL},
	    {"work", NULL},
	    {"Work", "mailbox exists"},
	    {"inbox", "mailbox exists"},
	    {"", "invalid name"},
	    {"..", "invalid name"},
	    {"/abs", "invalid name"},
	    {"a//b", "invalid name"},
	    {"a/../b", "invalid name"},
	    {"trail/", "invalid name"},
	    {"ctl\x01", "invalid name"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *error = NULL;
		int ret = store_mailbox_create(account, cases[i].name,
		                               STORE_SPECIAL_NONE, &error);
		test_assert_idx(ret == (cases[i].error == NULL ? 0 : -1), i);
		if (cases[i].error != NULL && error != NULL)
			test_assert_str(error, cases[i].error);
	}
	const char *error = NULL;
	test_assert(store_mailbox_delete(account, "Inbox", &error) < 0);
	test_assert_str(error, "cannot delete INBOX");
	test_assert(store_mailbox_delete(account, "nope", &error) < 0);
	test_assert_str(error, "no such mailbox");
	test_assert(store_mailbox_delete(account, "work", &error) == 0);
	struct buf out;
	buf_init(&out);
	test_assert_str(names(account, &out),
	                "INBOX;Archive;Drafts;Junk;Sent;Trash;Work;Work/2024;");
	buf_deinit(&out);
	store_account_close(&account);
	test_end();
}

static void test_store_mailbox_uidvalidity(void)
{
	test_begin("store mailbox UIDVALIDITY never repeats");
	struct store_account *account = open_account("m2@x.test");
	struct pool *pool = pool_new();
	struct store_mailbox_info a, b;
	const char *error;
	test_assert(store_mailbox_create(account, "X", 0, &error) == 0);
	test_assert_int(store_mailbox_get(account, "X", pool, &a), 1);
	test_assert(store_mailbox_delete(account, "X", &error) == 0);
	test_assert_int(store_mailbox_get(account, "X", pool, &b), 0);
	test_assert(store_mailbox_create(account, "X", 0, &error) == 0);
	test_assert_int(store_mailbox_get(account, "X", pool, &b), 1);
	test_assert(b.uidvalidity > a.uidvalidity);
	test_assert(b.id != a.id);
	test_assert_int(b.uidnext, 1);
	test_assert_int(store_mailbox_get(account, "inBOX", pool, &a), 1);
	test_assert_str(a.name, "INBOX");
	test_assert_int(a.special_use, STORE_SPECIAL_INBOX);
	test_assert_int(a.messages, 0);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static void test_store_mailbox_rename(void)
{
	test_begin("store mailbox rename with children, and INBOX");
	struct store_account *account = open_account("m3@x.test");
	struct pool *pool = pool_new();
	struct buf out;
	const char *error = NULL;
	uint32_t uid;
	buf_init(&out);
	test_assert(store_mailbox_create(account, "A", 0, &error) == 0);
	test_assert(store_mailbox_create(account, "A/B", 0, &error) == 0);
	test_assert(store_mailbox_create(account, "AB", 0, &error) == 0);
	test_assert(store_mailbox_rename(account, "A", "C", &error) == 0);
	test_assert_str(names(account, &out), "INBOX;AB;Archive;C;C/B;Drafts;"
	                                      "Junk;Sent;Trash;");
	test_assert(store_mailbox_rename(account, "C", "AB", &error) < 0);
	test_assert_str(error, "mailbox exists");
	test_assert(store_mailbox_rename(account, "C", "C/D", &error) < 0);
	test_assert_str(error, "invalid name");
	test_assert(store_mailbox_rename(account, "Q", "R", &error) < 0);
	test_assert_str(error, "no such mailbox");
	test_assert(store_mailbox_rename(account, "C", "a//b", &error) < 0);
	test_assert_str(error, "invalid name");

	test_assert(store_message_add(account, "INBOX", BLOB, 10, 0, NULL, 0,
	                              NULL, &uid, &error) == 1);
	test_assert(store_message_add(account, "INBOX", BLOB, 10, 0, NULL, 0,
	                              NULL, &uid, &error) == 1);
	test_assert(store_mailbox_rename(account, "INBOX", "Old", &error) == 0);
	struct store_mailbox_info inbox, old;
	test_assert_int(store_mailbox_get(account, "INBOX", pool, &inbox), 1);
	test_assert_int(store_mailbox_get(account, "Old", pool, &old), 1);
	test_assert_int(inbox.messages, 0);
	test_assert_int(old.messages, 2);
	test_assert_int(old.uidnext, 3);
	test_assert_int(inbox.uidnext, 3);
	test_assert(store_message_add(account, "INBOX", BLOB, 10, 0, NULL, 0,
	                              NULL, &uid, &error) == 1);
	test_assert_int(uid, 3);

	test_assert(store_mailbox_subscribe(account, "Old", false, &error) ==
	            0);
	test_assert(store_mailbox_subscribe(account, "None", true, &error) < 0);
	test_assert_int(store_mailbox_get(account, "Old", pool, &old), 1);
	test_assert(!old.is_subscribed);
	buf_deinit(&out);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_mailbox_create_delete,
	    test_store_mailbox_uidvalidity,
	    test_store_mailbox_rename,
	    NULL,
	};
	store = store_testing_open("mailbox", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
