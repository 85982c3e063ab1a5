/* Tests for store_expire.c: the per-mailbox setting over the role
 * defaults, expiry by the time a message arrived in its mailbox (its
 * internal date when added, the time of a COPY or MOVE), batches and the
 * per-run cap, and that expiry is an expunge (MODSEQ, expunge log). */
#include "store/store_expire.h"
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdint.h>
#include <string.h>

#define BLOB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DAY 86400

static struct store *store;
static time_t now;

static uint32_t add(struct store_account *account, const char *mailbox,
                    time_t internal_date)
{
	const char *error = NULL;
	uint32_t uid = 0;
	test_assert(store_message_add(account, mailbox, BLOB, 100, 0, NULL,
	                              internal_date, NULL, &uid, &error) == 1);
	return uid;
}

static int uids_cb(const struct store_message *msg, void *ctx)
{
	buf_printf(ctx, "%u;", (unsigned)msg->uid);
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

static void log_cb(const char *mailbox, unsigned days, size_t removed,
                   bool has_more, void *ctx)
{
	buf_printf(ctx, "%s:%u:%zu%s ", mailbox, days, removed,
	           has_more ? "+" : "");
}

static void test_expiry_setting(void)
{
	test_begin("store expiry: per-mailbox setting over the role default");
	struct store_account *account =
	    store_testing_account(store, "set@x.test");
	struct store_expiry_settings set = {.trash_days = 30, .junk_days = 7};
	enum store_special_use su;
	const char *error;
	int days = 99;
	test_assert_int(store_expiry_get(account, "Trash", &days, &su, &error),
	                1);
	test_assert_int(days, -1);
	test_assert_int(su, STORE_SPECIAL_TRASH);
	test_assert_int(store_expiry_effective(&set, su, days), 30);
	test_assert_int(store_expiry_effective(&set, STORE_SPECIAL_JUNK, -1),
	                7);
	test_assert_int(store_expiry_effective(&set, STORE_SPECIAL_INBOX, -1),
	                0);
	test_assert(store_expiry_set(account, "Trash", 0, &error) == 0);
	test_assert(store_expiry_get(account, "Trash", &days, &su, &error) ==
	            1);
	test_assert_int(store_expiry_effective(&set, su, days), 0);
	test_assert(store_expiry_set(account, "INBOX", 90, &error) == 0);
	test_assert(store_expiry_get(account, "INBOX", &days, &su, &error) ==
	            1);
	test_assert_int(days, 90);
	test_assert(store_expiry_set(account, "Trash", -1, &error) == 0);
	test_assert(store_expiry_get(account, "Trash", &days, &su, &error) ==
	            1);
	test_assert_int(days, -1);
	test_assert(store_expiry_set(account, "Nope", 5, &error) < 0);
	test_assert_str(error, "no such mailbox");
	test_assert(store_expiry_set(account, "Trash", -2, &error) < 0);
	test_assert(store_expiry_set(account, "Trash",
	                             STORE_EXPIRY_DAYS_MAX + 1, &error) < 0);
	test_assert_int(store_expiry_get(account, "Nope", &days, &su, &error),
	                0);
	store_account_close(&account);
	test_end();
}

static void test_expire_by_arrival(void)
{
	test_begin("store expiry: by arrival in the mailbox, as expunges");
	struct store_account *account =
	    store_testing_account(store, "exp@x.test");
	struct store_expiry_settings set = {.trash_days = 30, .batch = 2};
	struct pool *pool = pool_new();
	struct store_mailbox_info before, after;
	struct buf b, log;
	const char *error;
	buf_init(&b);
	buf_init(&log);
	/* Trash: three older than 30 days, one of 29, one new */
	add(account, "Trash", now - 40 * DAY);
	add(account, "Trash", now - 31 * DAY);
	add(account, "Trash", now - 30 * DAY - 1);
	add(account, "Trash", now - 29 * DAY);
	add(account, "Trash", now);
	/* Junk: its default is 0 here, never */
	add(account, "Junk", now - 400 * DAY);
	/* a year-old message moved to Trash now stays its 30 days */
	uint32_t old = add(account, "Archive", now - 365 * DAY), moved;
	test_assert(store_message_copy(account, "Archive", old, "Trash", true,
	                               &moved) == 1);
	test_assert(store_mailbox_get(account, "Trash", pool, &before) == 1);
	test_assert_int(
	    store_expire_account(account, &set, now, log_cb, &log, &error), 3);
	test_assert_str(uids(account, "Trash", &b), "4;5;6;");
	test_assert_str(uids(account, "Junk", &b), "1;");
	test_assert_str(log.data, "Trash:30:3 ");
	/* an expunge like any other: a new MODSEQ, and the expunge log */
	test_assert(store_mailbox_get(account, "Trash", pool, &after) == 1);
	test_assert(after.highestmodseq > before.highestmodseq);
	test_assert_int(after.messages, 3);
	/* nothing more to do now; a day later the 29-day one goes */
	buf_truncate(&log, 0);
	test_assert_int(
	    store_expire_account(account, &set, now, log_cb, &log, &error), 0);
	test_assert_str(log.data, "");
	test_assert_int(store_expire_account(account, &set, now + 2 * DAY, NULL,
	                                     NULL, &error),
	                1);
	test_assert_str(uids(account, "Trash", &b), "5;6;");
	/* a mailbox's own setting: Junk after 100 days */
	test_assert(store_expiry_set(account, "Junk", 100, &error) == 0);
	test_assert_int(
	    store_expire_account(account, &set, now, NULL, NULL, &error), 1);
	test_assert_str(uids(account, "Junk", &b), "");
	buf_deinit(&b);
	buf_deinit(&log);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static void test_expire_cap(void)
{
	test_begin("store expiry: batches and the per-run cap");
	struct store_account *account =
	    store_testing_account(store, "cap@x.test");
	struct store_expiry_settings set = {
	    .trash_days = 1, .batch = 3, .max_per_run = 5};
	struct buf b, log;
	const char *error;
	buf_init(&b);
	buf_init(&log);
	for (int i = 0; i < 12; i++)
		add(account, "Trash", now - 10 * DAY);
	test_assert_int(
	    store_expire_account(account, &set, now, log_cb, &log, &error),
	    6); /* two batches of 3 pass the cap of 5 */
	test_assert_str(log.data, "Trash:1:6+ ");
	buf_truncate(&log, 0);
	test_assert_int(
	    store_expire_account(account, &set, now, log_cb, &log, &error), 6);
	test_assert_str(log.data, "Trash:1:6 ");
	test_assert_str(uids(account, "Trash", &b), "");
	buf_deinit(&b);
	buf_deinit(&log);
	store_account_close(&account);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_expiry_setting, test_expire_by_arrival, test_expire_cap, NULL};
	now = time(NULL);
	store = store_testing_open("expire", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
