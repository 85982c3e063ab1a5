/* Tests of JMAP's view of the store: states and changes kept by the
 * triggers whatever call made the change, \Deleted hiding a message,
 * threads by references and subject, and the writes by guid. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static struct store *store;
static struct store_account *account;

/* Stores a message with these fields in mailbox; returns its guid (from
 * pool). */
static const char *add(const char *mailbox, const char *msgid,
                       const char *refs, const char *subject, uint32_t flags,
                       struct pool *pool)
{
	char text[1024];
	snprintf(text, sizeof(text),
	         "From: a@example.com\r\nMessage-ID: <%s>\r\n%s%s%s"
	         "Subject: %s\r\n\r\nbody %s\r\n",
	         msgid, refs != NULL ? "References: " : "",
	         refs != NULL ? refs : "", refs != NULL ? "\r\n" : "", subject,
	         msgid);
	struct store_blob_writer *w;
	const char *error;
	char blob[STORE_BLOB_ID_LEN + 1];
	uint64_t size;
	uint32_t uid;
	if (store_blob_begin(store, &w, &error) < 0 ||
	    store_blob_write(w, text, strlen(text)) < 0 ||
	    store_blob_finish(&w, blob, &size, &error) < 0 ||
	    store_message_add(account, mailbox, blob, size, flags, "",
	                      time(NULL), NULL, &uid, &error) < 0)
		return NULL;
	const char *guid = NULL;
	store_jmap_message_guid(account, mailbox, uid, pool, &guid);
	return guid;
}

struct changes {
	char text[2048];
};

static void change_cb(enum store_jmap_change change, const char *id,
                      bool is_counts_only, void *ctx)
{
	struct changes *ch = ctx;
	static const char *const names[] = {"c", "u", "d"};
	size_t len = strlen(ch->text);
	snprintf(ch->text + len, sizeof(ch->text) - len, "%s%s%s ",
	         names[change], is_counts_only ? "*" : "", id);
}

static const char *changes(enum store_jmap_type type, uint64_t since,
                           unsigned max, uint64_t *upto_r, bool *more_r)
{
	static struct changes ch;
	ch.text[0] = '\0';
	uint64_t upto;
	bool more;
	if (store_jmap_changes(account, type, since, max, change_cb, &ch,
	                       upto_r != NULL ? upto_r : &upto,
	                       more_r != NULL ? more_r : &more) != 0)
		return "error";
	return ch.text;
}

static void test_states_and_changes(void)
{
	test_begin("jmap store changes");
	struct pool *pool = pool_new();
	struct store_jmap_states s0, s1, s2;
	test_assert(store_jmap_states(account, &s0) == 0);
	const char *g1 = add("INBOX", "1@x", NULL, "Hello", 0, pool);
	const char *g2 = add("INBOX", "2@x", NULL, "Other", 0, pool);
	test_assert(g1 != NULL && g2 != NULL);
	test_assert(store_jmap_states(account, &s1) == 0);
	test_assert(s1.email > s0.email && s1.mailbox > s0.mailbox &&
	            s1.thread > s0.thread);
	char want[256];
	snprintf(want, sizeof(want), "c%s c%s ", g1, g2);
	test_assert_str(changes(STORE_JMAP_EMAIL, s0.email, 0, NULL, NULL),
	                want);
	/* the INBOX counts changed, nothing else of it */
	int64_t inbox;
	test_assert(store_jmap_mailbox_id(account, "INBOX", &inbox) == 1);
	snprintf(want, sizeof(want), "u*%lld ", (long long)inbox);
	test_assert_str(changes(STORE_JMAP_MAILBOX, s0.mailbox, 0, NULL, NULL),
	                want);
	/* a flag through the IMAP call is an update; \Deleted a destroy */
	struct store_jmap_email e;
	test_assert(store_jmap_email_get(account, g1, pool, &e) == 1);
	test_assert(store_message_set_flags(account, "INBOX", e.rows[0].uid,
	                                    STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	                                    NULL, NULL) == 1);
	snprintf(want, sizeof(want), "u%s ", g1);
	test_assert_str(changes(STORE_JMAP_EMAIL, s1.email, 0, NULL, NULL),
	                want);
	test_assert(store_message_set_flags(account, "INBOX", e.rows[0].uid,
	                                    STORE_FLAGS_ADD, STORE_FLAG_DELETED,
	                                    NULL, NULL) == 1);
	snprintf(want, sizeof(want), "d%s ", g1);
	test_assert_str(changes(STORE_JMAP_EMAIL, s1.email, 0, NULL, NULL),
	                want);
	test_assert(store_jmap_email_get(account, g1, pool, &e) == 0);
	/* created and destroyed since s0: not reported */
	snprintf(want, sizeof(want), "c%s ", g2);
	test_assert_str(changes(STORE_JMAP_EMAIL, s0.email, 0, NULL, NULL),
	                want);
	/* maxChanges: one at a time, with the state that covers it */
	uint64_t upto;
	bool more;
	const char *g3 = add("INBOX", "3@x", NULL, "Third", 0, pool);
	test_assert(g3 != NULL);
	test_assert(store_jmap_states(account, &s2) == 0);
	snprintf(want, sizeof(want), "c%s ", g2);
	test_assert_str(changes(STORE_JMAP_EMAIL, s0.email, 1, &upto, &more),
	                want);
	test_assert(more && upto < s2.email);
	test_assert(changes(STORE_JMAP_EMAIL, upto, 100, &upto, &more)[0] !=
	            '\0');
	test_assert(!more && upto == s2.email);
	/* a state from the future cannot be calculated */
	test_assert_str(changes(STORE_JMAP_EMAIL, s2.email + 1000, 0, NULL,
	                        NULL),
	                "error");
	pool_free(&pool);
	test_end();
}

static void test_threads(void)
{
	test_begin("jmap store threads");
	struct pool *pool = pool_new();
	const char *a = add("INBOX", "a@t", NULL, "Plans", 0, pool);
	const char *b = add("INBOX", "b@t", "<a@t>", "Re: Plans", 0, pool);
	const char *c = add("INBOX", "c@t", "<a@t> <b@t>", "RE: [list] plans",
	                    0, pool);
	const char *d = add("INBOX", "d@t", "<a@t>", "Something else", 0, pool);
	/* a reply that came before its parent */
	const char *f = add("INBOX", "f@t", "<e@t>", "Re: Late", 0, pool);
	const char *g = add("INBOX", "e@t", NULL, "Late", 0, pool);
	struct store_jmap_email ea, eb, ec, ed, ef, eg;
	test_assert(store_jmap_email_get(account, a, pool, &ea) == 1 &&
	            store_jmap_email_get(account, b, pool, &eb) == 1 &&
	            store_jmap_email_get(account, c, pool, &ec) == 1 &&
	            store_jmap_email_get(account, d, pool, &ed) == 1 &&
	            store_jmap_email_get(account, f, pool, &ef) == 1 &&
	            store_jmap_email_get(account, g, pool, &eg) == 1);
	test_assert(ea.thread_id > 0 && ea.thread_id == eb.thread_id &&
	            eb.thread_id == ec.thread_id);
	test_assert(ed.thread_id != ea.thread_id);
	test_assert(ef.thread_id == eg.thread_id);
	const char **guids;
	size_t n;
	test_assert(store_jmap_thread_get(account, ea.thread_id, pool, &guids,
	                                  &n) == 1);
	test_assert(n == 3);
	struct buf base;
	buf_init(&base);
	store_thread_base_subject("Re: Fwd: [x] RE[2]:  Hello   World (fwd)",
	                          &base);
	test_assert_str(base.data, "hello world");
	buf_deinit(&base);
	pool_free(&pool);
	test_end();
}

static void test_writes(void)
{
	test_begin("jmap store writes by guid");
	struct pool *pool = pool_new();
	const char *g = add("INBOX", "w@x", NULL, "Move me", 0, pool);
	int64_t inbox, archive, trash;
	test_assert(store_jmap_mailbox_id(account, "INBOX", &inbox) == 1);
	test_assert(store_jmap_mailbox_id(account, "Archive", &archive) == 1);
	test_assert(store_jmap_mailbox_id(account, "Trash", &trash) == 1);
	const char *error;
	/* in two mailboxes: one Email */
	int64_t two[] = {inbox, archive};
	test_assert(store_jmap_email_set_mailboxes(account, g, two, 2,
	                                           &error) == 1);
	struct store_jmap_email e;
	test_assert(store_jmap_email_get(account, g, pool, &e) == 1);
	test_assert(e.row_count == 2);
	/* moved to Trash only */
	test_assert(store_jmap_email_set_mailboxes(account, g, &trash, 1,
	                                           &error) == 1);
	test_assert(store_jmap_email_get(account, g, pool, &e) == 1);
	test_assert(e.row_count == 1 && e.rows[0].mailbox_id == trash);
	test_assert(store_jmap_email_set_keywords(account, g,
	                                          STORE_FLAG_FLAGGED,
	                                          "$label") == 1);
	test_assert(store_jmap_email_get(account, g, pool, &e) == 1);
	test_assert(e.flags == STORE_FLAG_FLAGGED);
	test_assert_str(e.keywords, "$label");
	test_assert(store_jmap_email_destroy(account, g) == 1);
	test_assert(store_jmap_email_get(account, g, pool, &e) == 0);
	test_assert(store_jmap_blob_is_owned(account, "00") == 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	store = store_testing_open("jmap", "example.com");
	account = store_testing_account(store, "jmap@example.com");
	static void (*const tests[])(void) = {
	    test_states_and_changes, test_threads, test_writes, NULL};
	int ret = test_run(tests);
	store_account_close(&account);
	store_close(&store);
	return ret;
}
