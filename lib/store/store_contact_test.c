/* Unit tests for store_contact.c: add, get, update, delete, list order,
 * search, completion order and quoting, use counts. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_contact.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <string.h>

static struct store *store;

/* Adds a contact with up to two addresses; returns its id. */
static int64_t add(struct store_account *account, const char *uid,
                   const char *name, const char *email1, const char *email2)
{
	const char *emails[] = {email1, email2};
	struct store_contact c = {
	    .uid = uid,
	    .name = name,
	    .emails = emails,
	    .email_count = email1 == NULL   ? 0
	                   : email2 == NULL ? 1
	                                    : 2,
	};
	int64_t id = 0;
	const char *error = NULL;
	test_assert(store_contact_add(account, &c, 100, &id, &error) == 0);
	test_assert_str(error == NULL ? "" : error, "");
	return id;
}

static const char *names(const struct store_contact *list, size_t count,
                         struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s;", list[i].name);
	return out->data;
}

static void test_store_contact_crud(void)
{
	test_begin("store contact add, get, update, delete");
	struct store_account *account =
	    store_testing_account(store, "c1@x.test");
	struct pool *pool = pool_new();
	const char *emails[] = {"ann@example.org", "Ann@Work.example"};
	const char *phones[] = {"+1 555 0100"};
	struct store_contact c = {.uid = "u1",
	                          .name = "Ann One",
	                          .emails = emails,
	                          .email_count = 2,
	                          .phones = phones,
	                          .phone_count = 1,
	                          .org = "Acme",
	                          .note = "met at\nthe fair",
	                          .vcard = "BEGIN:VCARD\r\nEND:VCARD\r\n"};
	int64_t id;
	const char *error = NULL;
	test_assert(store_contact_add(account, &c, 1000, &id, &error) == 0);
	/* the UID is unique */
	test_assert(store_contact_add(account, &c, 1000, &id, &error) == -1);
	test_assert_str(error, "contact exists");
	struct store_contact bad = {.uid = "", .name = "x"};
	test_assert(store_contact_add(account, &bad, 1, &id, &error) == -1);
	test_assert_str(error, "contact needs a UID");
	bad = (struct store_contact){.uid = "u9"};
	test_assert(store_contact_add(account, &bad, 1, &id, &error) == -1);
	test_assert_str(error, "contact needs a name or an address");

	struct store_contact got;
	test_assert(store_contact_get_by_uid(account, "u1", pool, &got) == 1);
	test_assert(store_contact_get(account, got.id, pool, &got) == 1);
	test_assert_str(got.name, "Ann One");
	test_assert_int(got.email_count, 2);
	if (got.email_count == 2)
		test_assert_str(got.emails[1], "Ann@Work.example");
	test_assert_int(got.phone_count, 1);
	test_assert_str(got.org, "Acme");
	test_assert_str(got.note, "met at\nthe fair");
	test_assert_str(got.vcard, "BEGIN:VCARD\r\nEND:VCARD\r\n");
	test_assert_int(got.updated, 1000);

	/* update replaces the lists too */
	got.name = "Ann Two";
	got.email_count = 1;
	got.phone_count = 0;
	got.org = NULL;
	test_assert(store_contact_update(account, &got, 2000, &error) == 1);
	test_assert(store_contact_get(account, got.id, pool, &got) == 1);
	test_assert_str(got.name, "Ann Two");
	test_assert_int(got.email_count, 1);
	test_assert_int(got.phone_count, 0);
	test_assert_str(got.org, "");
	test_assert_int(got.updated, 2000);
	/* an update to another contact's UID is refused */
	add(account, "u2", "Bob", "bob@example.org", NULL);
	got.uid = "u2";
	test_assert(store_contact_update(account, &got, 3000, &error) == -1);
	test_assert_str(error, "contact exists");
	got.id = 9999;
	got.uid = "u3";
	test_assert(store_contact_update(account, &got, 3000, &error) == 0);

	test_assert(store_contact_delete(account, id) == 1);
	test_assert(store_contact_delete(account, id) == 0);
	test_assert(store_contact_get(account, id, pool, &got) == 0);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static void test_store_contact_list_search(void)
{
	test_begin("store contact list and search");
	struct store_account *account =
	    store_testing_account(store, "c2@x.test");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	add(account, "a", "carol Smith", "carol@example.org", NULL);
	add(account, "b", "Alice Jones", "alice@wonder.example",
	    "aj@work.example");
	add(account, "c", "Bob Brown", "bob@example.org", NULL);
	add(account, "d", "", "100%_sure@example.net", NULL);
	struct store_contact *list;
	size_t count;
	test_assert(store_contact_list(account, pool, &list, &count) == 0);
	test_assert_str(names(list, count, &out),
	                ";Alice Jones;Bob Brown;carol Smith;");
	static const struct {
		const char *query, *want;
	} cases[] = {
	    {"SMITH", "carol Smith;"},
	    {"example.org", "Bob Brown;carol Smith;"},
	    {"WORK.EX", "Alice Jones;"},
	    {"E", ";Alice Jones;Bob Brown;carol Smith;"},
	    {"%_", ";"},
	    {"zzz", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		test_assert_idx(store_contact_search(account, cases[i].query,
		                                     pool, &list, &count) == 0,
		                i);
		test_assert_str(names(list, count, &out), cases[i].want);
	}
	buf_deinit(&out);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

static const char *joined(const char **entries, size_t count, struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s|", entries[i]);
	return out->data;
}

static void test_store_contact_complete(void)
{
	test_begin("store contact complete and use counts");
	struct store_account *account =
	    store_testing_account(store, "c3@x.test");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	add(account, "a", "Jane Doe", "jane@example.org", "jd@work.example");
	add(account, "b", "Doe, John", "john@example.org", NULL);
	add(account, "c", "Jim \"Jimbo\" Beam", "jim@example.org", NULL);
	add(account, "d", "", "jx@example.net", NULL);
	const char **entries;
	size_t count;
	test_assert(store_contact_complete(account, "j", 10, pool, &entries,
	                                   &count) == 0);
	/* nothing used yet: by name, then address; the nameless first */
	test_assert_str(joined(entries, count, &out),
	                "jx@example.net|"
	                "\"Doe, John\" <john@example.org>|"
	                "Jane Doe <jane@example.org>|"
	                "Jane Doe <jd@work.example>|"
	                "\"Jim \\\"Jimbo\\\" Beam\" <jim@example.org>|");
	test_assert(store_contact_use(account, "JD@work.example", 1) == 0);
	test_assert(store_contact_use(account, "jd@work.example", 2) == 0);
	test_assert(store_contact_use(account, "jim@example.org", 3) == 0);
	test_assert(store_contact_use(account, "nobody@else.example", 3) == 0);
	test_assert(store_contact_complete(account, "J", 3, pool, &entries,
	                                   &count) == 0);
	test_assert_str(joined(entries, count, &out),
	                "Jane Doe <jd@work.example>|"
	                "\"Jim \\\"Jimbo\\\" Beam\" <jim@example.org>|"
	                "jx@example.net|");
	/* a word of the name, or the address */
	test_assert(store_contact_complete(account, "doe", 10, pool, &entries,
	                                   &count) == 0);
	test_assert_int(count, 3);
	test_assert(store_contact_complete(account, "john@", 10, pool, &entries,
	                                   &count) == 0);
	test_assert_str(joined(entries, count, &out),
	                "\"Doe, John\" <john@example.org>|");
	test_assert(store_contact_complete(account, "oe", 10, pool, &entries,
	                                   &count) == 0);
	test_assert_int(count, 0);
	/* the contact's use count is the sum over its addresses */
	struct store_contact c;
	test_assert(store_contact_get_by_uid(account, "a", pool, &c) == 1);
	test_assert_int(c.use_count, 2);
	buf_deinit(&out);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_store_contact_crud,
	    test_store_contact_list_search,
	    test_store_contact_complete,
	    NULL,
	};
	store = store_testing_open("contact", "x.test");
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
