/* Unit tests for messages: add (idempotent), list, flags and MODSEQ,
 * expunge and UID monotonicity, copy and move, usage, two handles on one
 * account and change notification, group commit (batches). */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define BLOB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct store *store;

static struct store_account *new_account(const char *address)
{
	return store_testing_account(store, address);
}

static int add(struct store_account *account, const char *mailbox,
               const char *key, uint32_t *uid_r)
{
	const char *error = NULL;
	return store_message_add(account, mailbox, BLOB, 100, 0, NULL,
	                         1700000000, key, uid_r, &error);
}

static int uids_cb(const struct store_message *msg, void *ctx)
{
	struct buf *out = ctx;
	buf_printf(out, "%u", (unsigned)msg->uid);
	if (msg->flags != 0)
		buf_printf(out, "/%u", (unsigned)msg->flags);
	if (msg->keywords[0] != '\0')
		buf_printf(out, "[%s]", msg->keywords);
	buf_append_char(out, ';');
	return 0;
}

static const char *uids(struct store_account *account, const char *mailbox,
                        struct buf *out)
{
	buf_truncate(out, 0);
	test_assert(store_message_list(account, mailbox, 1, UINT32_MAX, uids_cb,
	                               out) == 0);
	return out->data;
}

static void test_store_message_add_idempotent(void)
{
	test_begin("store message add is idempotent with a delivery key");
	struct store_account *account = new_account("m1@x.test");
	uint32_t uid = 0, uid2 = 0;
	const char *error = NULL;
	test_assert_int(add(account, "INBOX", "q1/rcpt0", &uid), 1);
	test_assert_int(uid, 1);
	test_assert_int(add(account, "INBOX", "q1/rcpt0", &uid2), 0);
	test_assert_int(uid2, 1);
	test_assert_int(add(account, "INBOX", "q1/rcpt1", &uid), 1);
	test_assert_int(uid, 2);
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	test_assert_int(uid, 4);
	/* still recognised after expunge */
	uint32_t one = 1;
	test_assert_int(store_message_expunge(account, "INBOX", &one, 1), 1);
	test_assert_int(add(account, "INBOX", "q1/rcpt0", &uid2), 0);
	test_assert_int(uid2, 1);
	test_assert_int(add(account, "Nope", "q2", &uid), -1);
	test_assert(store_message_add(account, "INBOX", "../etc/passwd", 1, 0,
	                              NULL, 0, NULL, &uid, &error) == -1);
	test_assert_str(error, "invalid blob id");
	uint64_t bytes = 0, messages = 0;
	test_assert(store_account_usage(account, &bytes, &messages) == 0);
	test_assert_int(messages, 3);
	test_assert_int(bytes, 300);
	store_account_close(&account);
	test_end();
}

static void test_store_message_uid_monotonic(void)
{
	test_begin("store message UIDs never reused after expunge");
	struct store_account *account = new_account("m2@x.test");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	uint32_t uid;
	for (int i = 0; i < 5; i++)
		test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	uint32_t gone[] = {5, 2, 99};
	test_assert_int(store_message_expunge(account, "INBOX", gone, 3), 2);
	test_assert_str(uids(account, "INBOX", &out), "1;3;4;");
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	test_assert_int(uid, 6);
	struct store_mailbox_info info;
	test_assert_int(store_mailbox_get(account, "INBOX", pool, &info), 1);
	test_assert_int(info.uidnext, 7);
	test_assert_int(info.messages, 4);
	test_assert_int(info.unseen, 4);
	test_assert_int(info.size, 400);
	/* a range */
	buf_truncate(&out, 0);
	test_assert(store_message_list(account, "INBOX", 2, 4, uids_cb, &out) ==
	            0);
	test_assert_str(out.data, "3;4;");
	buf_deinit(&out);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static uint64_t highestmodseq(struct store_account *account,
                              const char *mailbox)
{
	struct pool *pool = pool_new();
	struct store_mailbox_info info;
	test_assert_int(store_mailbox_get(account, mailbox, pool, &info), 1);
	pool_free(&pool);
	return info.highestmodseq;
}

static void test_store_message_flags(void)
{
	test_begin("store message flags, keywords and MODSEQ");
	struct store_account *account = new_account("m3@x.test");
	struct buf out;
	buf_init(&out);
	uint32_t uid;
	uint64_t m0, m1, m2;
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	m0 = highestmodseq(account, "INBOX");
	test_assert_int(
	    store_message_set_flags(account, "INBOX", uid, STORE_FLAGS_ADD,
	                            STORE_FLAG_SEEN, "$Junk work", &m1),
	    1);
	test_assert(m1 > m0);
	test_assert_int(highestmodseq(account, "INBOX"), m1);
	test_assert_str(uids(account, "INBOX", &out), "1/1[$Junk work];");
	/* no change: no new MODSEQ */
	test_assert_int(store_message_set_flags(account, "INBOX", uid,
	                                        STORE_FLAGS_ADD,
	                                        STORE_FLAG_SEEN, "WORK", &m2),
	                1);
	test_assert_int(m2, m1);
	test_assert_int(store_message_set_flags(account, "INBOX", uid,
	                                        STORE_FLAGS_REMOVE,
	                                        STORE_FLAG_SEEN, "$junk", &m2),
	                1);
	test_assert(m2 > m1);
	test_assert_str(uids(account, "INBOX", &out), "1[work];");
	test_assert_int(
	    store_message_set_flags(account, "INBOX", uid, STORE_FLAGS_SET,
	                            STORE_FLAG_FLAGGED | STORE_FLAG_DELETED,
	                            "a b a", &m2),
	    1);
	test_assert_str(uids(account, "INBOX", &out), "1/12[a b];");
	test_assert_int(store_message_set_flags(account, "INBOX", 42,
	                                        STORE_FLAGS_SET, 0, NULL, &m2),
	                0);
	uint64_t before = highestmodseq(account, "INBOX");
	test_assert_int(store_message_expunge(account, "INBOX", &uid, 1), 1);
	test_assert(highestmodseq(account, "INBOX") > before);
	buf_deinit(&out);
	store_account_close(&account);
	test_end();
}

static int guid_cb(const struct store_message *msg, void *ctx)
{
	struct buf *out = ctx;
	buf_append_str(out, msg->guid);
	return 0;
}

static void test_store_message_copy_move(void)
{
	test_begin("store message copy and move keep blob and guid");
	struct store_account *account = new_account("m4@x.test");
	struct buf out, g1, g2;
	buf_init(&out);
	buf_init(&g1);
	buf_init(&g2);
	uint32_t uid, new_uid = 0;
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	test_assert_int(add(account, "INBOX", NULL, &uid), 1);
	test_assert(store_message_list(account, "INBOX", 2, 2, guid_cb, &g1) ==
	            0);
	test_assert_int(g1.len, 32);
	test_assert_int(
	    store_message_copy(account, "INBOX", 2, "Archive", false, &new_uid),
	    1);
	test_assert_int(new_uid, 1);
	test_assert_int(
	    store_message_copy(account, "INBOX", 2, "Trash", true, &new_uid),
	    1);
	test_assert_str(uids(account, "INBOX", &out), "1;");
	test_assert_str(uids(account, "Trash", &out), "1;");
	test_assert(store_message_list(account, "Trash", 1, 1, guid_cb, &g2) ==
	            0);
	test_assert_str(g2.data, g1.data);
	buf_truncate(&g2, 0);
	test_assert(store_message_list(account, "INBOX", 1, 1, guid_cb, &g2) ==
	            0);
	test_assert(strcmp(g2.data, g1.data) != 0);
	test_assert_int(
	    store_message_copy(account, "INBOX", 9, "Trash", true, &new_uid),
	    0);
	test_assert_int(
	    store_message_copy(account, "INBOX", 1, "Nope", true, &new_uid),
	    -1);
	test_assert_str(uids(account, "INBOX", &out), "1;");
	buf_deinit(&out);
	buf_deinit(&g1);
	buf_deinit(&g2);
	store_account_close(&account);
	test_end();
}

static int stop_cb(const struct store_message *msg, void *ctx)
{
	int *seen = ctx;
	return ++*seen == 2 ? 7 : 0;
}

static void test_store_message_two_handles(void)
{
	test_begin("store two handles on one account see each other");
	struct store_account *a = new_account("m5@x.test");
	struct store_account *b = NULL;
	const char *error;
	struct buf out;
	buf_init(&out);
	uint32_t uid;
	test_assert(store_account_open(store, "m5@x.test", &b, &error) == 0);
	int fd = store_account_watch_fd(b);
	test_assert(fd >= 0);
	test_assert_int(store_account_watch_fd(b), fd);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	test_assert_int(poll(&pfd, 1, 0), 0);
	test_assert_int(add(a, "INBOX", NULL, &uid), 1);
	test_assert_int(poll(&pfd, 1, 1000), 1);
	store_account_watch_drain(b);
	test_assert_int(poll(&pfd, 1, 0), 0);
	test_assert_str(uids(b, "INBOX", &out), "1;");
	test_assert_int(add(b, "INBOX", NULL, &uid), 1);
	test_assert_int(uid, 2);
	test_assert_str(uids(a, "INBOX", &out), "1;2;");
	test_assert_int(add(a, "INBOX", NULL, &uid), 1);
	test_assert_int(uid, 3);
	int seen = 0;
	test_assert_int(store_message_list(b, "INBOX", 1, 3, stop_cb, &seen),
	                7);
	test_assert_int(seen, 2);
	test_assert_int(poll(&pfd, 1, 1000), 1);
	store_account_watch_drain(b);
	buf_deinit(&out);
	store_account_close(&a);
	store_account_close(&b);
	test_end();
}

/* Group commit: adds in a batch are seen by another handle only after the
 * commit, all at once; a failed add inside leaves the others; a batch
 * rolled back (or lost in a crash before commit, the blob already
 * written) leaves nothing, and the repeat with the same keys adds each
 * message exactly once. */
static void test_store_message_batch(void)
{
	test_begin(
	    "store message batch: committed together, repeat is a no-op");
	struct store_account *a = new_account("m6@x.test");
	struct store_account *b = NULL;
	const char *error = NULL;
	struct buf out;
	uint32_t uid = 0;
	buf_init(&out);
	test_assert(store_account_open(store, "m6@x.test", &b, &error) == 0);

	/* a crash between blob and row: the transaction never commits */
	test_assert(store_message_batch_begin(a, &error) == 0);
	test_assert_int(add(a, "INBOX", "q1/0", &uid), 1);
	test_assert_int(add(a, "INBOX", "q2/0", &uid), 1);
	store_message_batch_rollback(a);
	test_assert_str(uids(b, "INBOX", &out), "");

	test_assert(store_message_batch_begin(a, &error) == 0);
	test_assert_int(add(a, "INBOX", "q1/0", &uid), 1);
	test_assert_int(add(a, "No such", "q9/0", &uid), -1);
	test_assert_int(add(a, "INBOX", "q2/0", &uid), 1);
	test_assert_int(add(a, "INBOX", "q2/0", &uid), 0); /* same batch */
	test_assert_str(uids(b, "INBOX", &out), "");
	test_assert(store_message_batch_commit(a, &error) == 0);
	test_assert_str(uids(b, "INBOX", &out), "1;2;");

	/* the repeat after a lost answer: nothing twice */
	test_assert(store_message_batch_begin(a, &error) == 0);
	test_assert_int(add(a, "INBOX", "q1/0", &uid), 0);
	test_assert_int(uid, 1);
	test_assert_int(add(a, "INBOX", "q2/0", &uid), 0);
	test_assert_int(add(a, "INBOX", "q3/0", &uid), 1);
	test_assert(store_message_batch_commit(a, &error) == 0);
	test_assert_str(uids(b, "INBOX", &out), "1;2;3;");
	/* outside a batch, adds commit on their own again */
	test_assert_int(add(a, "INBOX", "q4/0", &uid), 1);
	test_assert_str(uids(b, "INBOX", &out), "1;2;3;4;");
	buf_deinit(&out);
	store_account_close(&a);
	store_account_close(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_message_add_idempotent,
	    test_store_message_uid_monotonic,
	    test_store_message_flags,
	    test_store_message_copy_move,
	    test_store_message_two_handles,
	    test_store_message_batch,
	    NULL,
	};
	store = store_testing_open("message", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
