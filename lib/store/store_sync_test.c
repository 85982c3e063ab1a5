/* Unit tests for the sync state of store_sync.c: mailbox state that
 * outlives a local DELETE, the UID map (both keys unique, surviving an
 * expunge), forgetting, and POP3 UIDLs. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_sync.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <string.h>

#define BLOB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct store *store;

static void test_store_sync_mailbox_state(void)
{
	test_begin("store sync mailbox state");
	struct store_account *account =
	    store_testing_account(store, "s1@x.test");
	struct store_sync_mailbox st = {0},
	                          in = {.uidvalidity = 77,
	                                .uidnext = 12,
	                                .highestmodseq = 5000000000ull};
	const char *error;
	test_assert(store_sync_mailbox_get(account, "INBOX", &st) == 0);
	test_assert(store_sync_mailbox_set(account, "inbox", &in) == 0);
	test_assert(store_sync_mailbox_get(account, "INBOX", &st) == 1);
	test_assert_int(st.uidvalidity, 77);
	test_assert_int(st.uidnext, 12);
	test_assert(st.highestmodseq == 5000000000ull);
	test_assert(!st.is_local_gone);
	/* set replaces */
	in.uidnext = 20;
	test_assert(store_sync_mailbox_set(account, "INBOX", &in) == 0);
	test_assert(store_sync_mailbox_get(account, "INBOX", &st) == 1);
	test_assert_int(st.uidnext, 20);
	/* the mailbox must exist */
	test_assert(store_sync_mailbox_set(account, "Nope", &in) == -1);
	test_assert(store_sync_mailbox_get(account, "Nope", &st) == 0);
	(void)error;
	store_account_close(&account);
	test_end();
}

static int names_cb(const char *mailbox, const struct store_sync_mailbox *st,
                    void *ctx)
{
	buf_printf(ctx, "%s%s;", mailbox, st->is_local_gone ? "(gone)" : "");
	return 0;
}

static int stop_cb(const char *mailbox, const struct store_sync_mailbox *st,
                   void *ctx)
{
	(void)mailbox;
	(void)st;
	(*(int *)ctx)++;
	return 7;
}

static void test_store_sync_mailbox_deleted(void)
{
	test_begin("store sync mailbox deleted locally");
	struct store_account *account =
	    store_testing_account(store, "s2@x.test");
	struct store_sync_mailbox st, in = {.uidvalidity = 1, .uidnext = 3};
	struct store_sync_map map = {.local_uid = 1, .remote_uid = 2};
	const char *error;
	struct buf out;
	buf_init(&out);
	test_assert(store_mailbox_create(account, "Work", 0, &error) == 0);
	test_assert(store_sync_mailbox_set(account, "Work", &in) == 0);
	test_assert(store_sync_mailbox_set(account, "INBOX", &in) == 0);
	test_assert(store_sync_map_set(account, "Work", &map) == 0);
	test_assert(store_mailbox_delete(account, "Work", &error) == 0);
	/* the state survives the local DELETE and says so */
	test_assert(store_sync_mailbox_get(account, "Work", &st) == 1);
	test_assert(st.is_local_gone);
	test_assert(store_sync_mailbox_list(account, names_cb, &out) == 0);
	test_assert_str(out.data, "INBOX;Work(gone);");
	/* created again under the same name: still a different mailbox */
	test_assert(store_mailbox_create(account, "Work", 0, &error) == 0);
	test_assert(store_sync_mailbox_get(account, "Work", &st) == 1);
	test_assert(st.is_local_gone);
	int calls = 0;
	test_assert(store_sync_mailbox_list(account, stop_cb, &calls) == 7);
	test_assert_int(calls, 1);
	/* forget takes the map rows along */
	struct pool *pool = pool_new();
	test_assert(store_sync_map_by_remote(account, "Work", 2, pool, &map) ==
	            1);
	test_assert(store_sync_mailbox_forget(account, "Work") == 0);
	test_assert(store_sync_mailbox_get(account, "Work", &st) == 0);
	test_assert(store_sync_map_by_remote(account, "Work", 2, pool, &map) ==
	            0);
	test_assert(store_sync_mailbox_forget(account, "Work") == 0);
	buf_truncate(&out, 0);
	test_assert(store_sync_mailbox_list(account, names_cb, &out) == 0);
	test_assert_str(out.data, "INBOX;");
	pool_free(&pool);
	buf_deinit(&out);
	store_account_close(&account);
	test_end();
}

static int map_cb(const struct store_sync_map *map, void *ctx)
{
	buf_printf(ctx, "%u>%u:%u:%s;", map->remote_uid, map->local_uid,
	           map->flags, map->keywords);
	return 0;
}

static const char *map_dump(struct store_account *account, const char *box,
                            struct buf *out)
{
	buf_truncate(out, 0);
	test_assert(store_sync_map_list(account, box, map_cb, out) == 0);
	return out->data;
}

static void test_store_sync_map(void)
{
	test_begin("store sync map");
	struct store_account *account =
	    store_testing_account(store, "s3@x.test");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	static const struct store_sync_map rows[] = {
	    {.local_uid = 1, .remote_uid = 30, .flags = 1, .keywords = "$a"},
	    {.local_uid = 2, .remote_uid = 10, .flags = 0, .keywords = NULL},
	    {.local_uid = 3, .remote_uid = 20, .flags = 4, .keywords = ""},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		test_assert_idx(
		    store_sync_map_set(account, "INBOX", &rows[i]) == 0, i);
	test_assert_str(map_dump(account, "INBOX", &out),
	                "10>2:0:;20>3:4:;30>1:1:$a;");
	/* other mailboxes are apart */
	test_assert_str(map_dump(account, "Sent", &out), "");
	/* same remote UID: replaced */
	struct store_sync_map m = {.local_uid = 4, .remote_uid = 10};
	test_assert(store_sync_map_set(account, "INBOX", &m) == 0);
	/* same local UID with a new remote UID: the old row goes */
	m = (struct store_sync_map){.local_uid = 1, .remote_uid = 40};
	test_assert(store_sync_map_set(account, "inbox", &m) == 0);
	test_assert_str(map_dump(account, "INBOX", &out),
	                "10>4:0:;20>3:4:;40>1:0:;");
	test_assert(store_sync_map_by_local(account, "INBOX", 3, pool, &m) ==
	            1);
	test_assert_int(m.remote_uid, 20);
	test_assert_int(m.flags, 4);
	test_assert(store_sync_map_by_local(account, "INBOX", 9, pool, &m) ==
	            0);
	test_assert(store_sync_map_by_remote(account, "INBOX", 40, pool, &m) ==
	            1);
	test_assert_int(m.local_uid, 1);
	test_assert(store_sync_map_del(account, "INBOX", 40) == 1);
	test_assert(store_sync_map_del(account, "INBOX", 40) == 0);
	test_assert_str(map_dump(account, "INBOX", &out), "10>4:0:;20>3:4:;");
	pool_free(&pool);
	buf_deinit(&out);
	store_account_close(&account);
	test_end();
}

static void test_store_sync_map_outlives_expunge(void)
{
	test_begin("store sync map outlives expunge");
	struct store_account *account =
	    store_testing_account(store, "s4@x.test");
	struct pool *pool = pool_new();
	const char *error;
	uint32_t uid;
	test_assert(store_message_add(account, "INBOX", BLOB, 10, 0, NULL, 0,
	                              NULL, &uid, &error) == 1);
	struct store_sync_map m = {.local_uid = uid, .remote_uid = 5};
	test_assert(store_sync_map_set(account, "INBOX", &m) == 0);
	test_assert(store_message_expunge(account, "INBOX", &uid, 1) == 1);
	test_assert(store_sync_map_by_local(account, "INBOX", uid, pool, &m) ==
	            1);
	test_assert_int(m.remote_uid, 5);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static void test_store_sync_pop3(void)
{
	test_begin("store sync pop3");
	struct store_account *account =
	    store_testing_account(store, "s5@x.test");
	static const char *const marked[] = {"a1", "b2", "c3", "d4"};
	for (size_t i = 0; i < 4; i++)
		test_assert_idx(
		    store_sync_pop3_mark(account, marked[i], 100) == 0, i);
	test_assert(store_sync_pop3_mark(account, "a1", 200) == 0);
	test_assert(store_sync_pop3_seen(account, "a1") == 1);
	test_assert(store_sync_pop3_seen(account, "zz") == 0);
	static const char *const keep[] = {"d4", "zz", "b2"};
	test_assert_int(store_sync_pop3_prune(account, keep, 3), 2);
	test_assert(store_sync_pop3_seen(account, "a1") == 0);
	test_assert(store_sync_pop3_seen(account, "c3") == 0);
	test_assert(store_sync_pop3_seen(account, "b2") == 1);
	test_assert(store_sync_pop3_seen(account, "d4") == 1);
	test_assert(store_sync_pop3_seen(account, "zz") == 0);
	test_assert_int(store_sync_pop3_prune(account, NULL, 0), 2);
	test_assert(store_sync_pop3_seen(account, "b2") == 0);
	store_account_close(&account);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_sync_mailbox_state, test_store_sync_mailbox_deleted,
	    test_store_sync_map,           test_store_sync_map_outlives_expunge,
	    test_store_sync_pop3,          NULL,
	};
	store = store_testing_open("sync", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
