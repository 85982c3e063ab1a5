/* Unit tests for the IMAP helpers of the store: the expunge log behind
 * QRESYNC's VANISHED (store_imap_vanished after expunge, move, a flag
 * change, an expunge of nothing and a mailbox deletion; after pruning by
 * store_gc_expunged, never fewer UIDs than were expunged), and the \Recent
 * watermark claimed by two handles on one account. */
#include "core/buf.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_gc.h"
#include "store/store_imap.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

#define BLOB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct store *store;

static struct store_account *new_account(const char *address)
{
	return store_testing_account(store, address);
}

static uint64_t modseq_of(struct store_account *account, const char *mailbox)
{
	uint32_t uidvalidity, uidnext;
	uint64_t hms = 0;
	test_assert_int(store_imap_mailbox_state(account, mailbox, &uidvalidity,
	                                         &uidnext, &hms),
	                1);
	return hms;
}

/* The vanished UIDs of mailbox since since, as "2,4,5" ("-" on error,
 * "none" for no such mailbox). */
static const char *vanished(struct store_account *account, const char *mailbox,
                            uint64_t since, struct buf *out)
{
	uint32_t *uids;
	size_t count;
	buf_truncate(out, 0);
	int ret = store_imap_vanished(account, mailbox, since, &uids, &count);
	if (ret <= 0) {
		buf_append_str(out, ret == 0 ? "none" : "-");
		return out->data;
	}
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s%u", i > 0 ? "," : "", (unsigned)uids[i]);
	free(uids);
	return out->data;
}

static void test_store_imap_vanished(void)
{
	test_begin("store imap vanished follows expunge and move");
	struct store_account *a = new_account("v1@x.test");
	const char *error;
	uint32_t uid, moved;
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < 6; i++)
		test_assert_int(store_message_add(a, "INBOX", BLOB, 10, 0, NULL,
		                                  1700000000, NULL, &uid,
		                                  &error),
		                1);
	/* step i: the HIGHESTMODSEQ after it, for the table below */
	uint64_t step[6];
	step[0] = modseq_of(a, "INBOX");
	const uint32_t gone[] = {2, 4, 99};
	test_assert_int(store_message_expunge(a, "INBOX", gone, 3), 2);
	step[1] = modseq_of(a, "INBOX");
	test_assert(step[1] == step[0] + 1);
	test_assert_int(store_message_expunge(a, "INBOX", &gone[2], 1), 0);
	test_assert(modseq_of(a, "INBOX") == step[1]);
	test_assert_int(store_message_set_flags(a, "INBOX", 1, STORE_FLAGS_ADD,
	                                        STORE_FLAG_SEEN, NULL, NULL),
	                1);
	step[2] = modseq_of(a, "INBOX");
	test_assert_int(
	    store_message_copy(a, "INBOX", 5, "Trash", true, &moved), 1);
	step[3] = modseq_of(a, "INBOX");
	test_assert_int(
	    store_message_copy(a, "INBOX", 6, "Trash", false, &moved), 1);
	step[4] = modseq_of(a, "INBOX");
	const uint32_t last[] = {6, 3};
	test_assert_int(store_message_expunge(a, "INBOX", last, 2), 2);
	step[5] = modseq_of(a, "INBOX");
	static const struct {
		const char *mailbox;
		int step; /* -1: since 0 */
		const char *want;
	} cases[] = {
	    {"INBOX", -1, "2,3,4,5,6"}, {"INBOX", 0, "2,3,4,5,6"},
	    {"INBOX", 1, "3,5,6"},      {"INBOX", 2, "3,5,6"},
	    {"INBOX", 3, "3,6"},        {"INBOX", 4, "3,6"},
	    {"INBOX", 5, ""},           {"Trash", -1, ""},
	    {"Nope", -1, "none"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t since = cases[i].step < 0 ? 0 : step[cases[i].step];
		test_assert_str(vanished(a, cases[i].mailbox, since, &out),
		                cases[i].want);
	}
	buf_deinit(&out);
	store_account_close(&a);
	test_end();
}

static void test_store_imap_vanished_delete(void)
{
	test_begin("store imap vanished: a deleted mailbox takes its log");
	struct store_account *a = new_account("v2@x.test");
	const char *error;
	uint32_t uid;
	struct buf out;
	buf_init(&out);
	test_assert_int(store_message_add(a, "INBOX", BLOB, 10, 0, NULL,
	                                  1700000000, NULL, &uid, &error),
	                1);
	test_assert_int(
	    store_mailbox_create(a, "Box", STORE_SPECIAL_NONE, &error), 0);
	test_assert_int(store_message_copy(a, "INBOX", 1, "Box", false, &uid),
	                1);
	test_assert_int(store_message_expunge(a, "Box", &uid, 1), 1);
	test_assert_str(vanished(a, "Box", 0, &out), "1");
	test_assert_int(store_mailbox_delete(a, "Box", &error), 0);
	test_assert_int(
	    store_mailbox_create(a, "Box", STORE_SPECIAL_NONE, &error), 0);
	test_assert_str(vanished(a, "Box", 0, &out), "");
	buf_deinit(&out);
	store_account_close(&a);
	test_end();
}

static void test_store_imap_vanished_pruned(void)
{
	test_begin("store imap vanished after pruning: wider, never narrower");
	/* a store of its own: pruning counts rows of every account */
	struct store *own = store_testing_open("imap-prune", "x.test");
	struct store_account *a = store_testing_account(own, "v3@x.test");
	const char *error;
	uint32_t uid;
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < 8; i++)
		test_assert_int(store_message_add(a, "INBOX", BLOB, 10, 0, NULL,
		                                  1700000000, NULL, &uid,
		                                  &error),
		                1);
	/* log: 1 at m[1], 2 and 3 at m[2], 4 at m[3], 5 at m[4] */
	static const uint32_t gone[] = {1, 2, 3, 4, 5};
	static const size_t at[] = {0, 1, 3, 4, 5};
	uint64_t m[5];
	m[0] = modseq_of(a, "INBOX");
	for (size_t i = 0; i < 4; i++) {
		test_assert(store_message_expunge(a, "INBOX", &gone[at[i]],
		                                  at[i + 1] - at[i]) > 0);
		m[i + 1] = modseq_of(a, "INBOX");
	}
	test_assert_int(store_message_expunge(a, "Trash", gone, 1), 0);
	char *data_dir = xasprintf("%s/imap-prune", test_tmpdir());
	size_t pruned = 99;
	/* keep 3: the 4th newest row is at m[2], so 1, 2 and 3 go (whole
	 * MODSEQs: fewer than 3 rows may stay); again: nothing more */
	test_assert_int(store_gc_expunged(data_dir, 3, &pruned, &error), 0);
	test_assert_int((long long)pruned, 3);
	test_assert_int(store_gc_expunged(data_dir, 2, &pruned, &error), 0);
	test_assert_int((long long)pruned, 0);
	static const struct {
		int since; /* index in m, -1: 0 */
		const char *want;
	} cases[] = {
	    /* before the horizon m[2]: every UID below UIDNEXT not here */
	    {-1, "1,2,3,4,5"}, {0, "1,2,3,4,5"}, {1, "1,2,3,4,5"},
	    /* from the horizon on: the log, exact */
	    {2, "4,5"}, {3, "5"}, {4, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t since = cases[i].since < 0 ? 0 : m[cases[i].since];
		test_assert_str(vanished(a, "INBOX", since, &out),
		                cases[i].want);
	}
	/* A later expunge is logged as before; the horizon stays. */
	const uint32_t six = 6;
	test_assert_int(store_message_expunge(a, "INBOX", &six, 1), 1);
	test_assert_str(vanished(a, "INBOX", m[4], &out), "6");
	test_assert_str(vanished(a, "INBOX", m[1], &out), "1,2,3,4,5,6");
	test_assert_str(vanished(a, "Trash", 0, &out), "");
	free(data_dir);
	buf_deinit(&out);
	store_account_close(&a);
	store_close(&own);
	test_end();
}

static void test_store_imap_recent(void)
{
	test_begin("store imap recent watermark claims once, never lowers");
	struct store_account *a = new_account("r1@x.test");
	struct store_account *b = NULL;
	const char *error;
	test_assert_int(store_account_open(store, "r1@x.test", &b, &error), 0);
	static const struct {
		int handle; /* 0: a, 1: b (two sessions of one account) */
		const char *mailbox;
		uint32_t last_uid;
		bool claim;
		int want_ret;
		uint32_t want_old;
	} cases[] = {
	    {0, "INBOX", 0, false, 1, 0}, {0, "INBOX", 5, true, 1, 0},
	    {1, "INBOX", 5, true, 1, 5},  {1, "inbox", 3, true, 1, 5},
	    {0, "INBOX", 7, false, 1, 5}, {1, "INBOX", 7, true, 1, 5},
	    {0, "INBOX", 9, false, 1, 7}, {0, "Sent", 2, true, 1, 0},
	    {0, "Nope", 2, true, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint32_t old = 99;
		int ret = store_imap_recent(cases[i].handle == 0 ? a : b,
		                            cases[i].mailbox, cases[i].last_uid,
		                            cases[i].claim, &old);
		test_assert_idx(ret == cases[i].want_ret, i);
		test_assert_idx(old == cases[i].want_old, i);
	}
	store_account_close(&a);
	store_account_close(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_imap_vanished,
	    test_store_imap_vanished_delete,
	    test_store_imap_vanished_pruned,
	    test_store_imap_recent,
	    NULL,
	};
	store = store_testing_open("imap", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
