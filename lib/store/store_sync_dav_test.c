/* Unit tests for store_sync_dav.c: followed collections (URL and local
 * name unique, token and CTag updated), object rows keyed both by local
 * key and by href, the owner look-up across collections, forgetting a
 * collection with its rows, and the meta numbers. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <string.h>

static struct store *store;

static int dump_cb(const struct store_sync_dav_object *obj, void *ctx)
{
	buf_printf(ctx, "%s>%s:%s:%s;", obj->local_key, obj->href,
	           obj->remote_etag, obj->local_etag);
	return 0;
}

static const char *dump(struct store_account *account, int64_t id,
                        struct buf *out)
{
	buf_truncate(out, 0);
	test_assert(store_sync_dav_objects(account, id, dump_cb, out) == 0);
	return out->data;
}

static void test_collections(void)
{
	test_begin("store sync dav collections");
	struct store_account *account =
	    store_testing_account(store, "d1@x.test");
	struct pool *pool = pool_new();
	const char *error;
	struct store_sync_dav_collection c = {
	    .kind = STORE_DAV_CALENDAR,
	    .url = "/dav/calendars/d1@x.test/cal/",
	    .local_name = "cal",
	    .displayname = "Work"};
	int64_t id, id2, id3;
	test_assert(store_sync_dav_collection_add(account, &c, &id, &error) ==
	            0);
	/* the same URL, or the same local name of the kind, is refused */
	test_assert(store_sync_dav_collection_add(account, &c, &id2, &error) ==
	            -1);
	test_assert_str(error, "collection followed already");
	c.url = "/other/";
	test_assert(store_sync_dav_collection_add(account, &c, &id2, &error) ==
	            -1);
	c.kind = STORE_DAV_ADDRESSBOOK;
	c.url = "/dav/addressbooks/d1@x.test/contacts/";
	c.local_name = "contacts";
	c.is_read_only = true;
	test_assert(store_sync_dav_collection_add(account, &c, &id2, &error) ==
	            0);
	c.url = "/dav/addressbooks/shared/";
	c.local_name = "shared";
	test_assert(store_sync_dav_collection_add(account, &c, &id3, &error) ==
	            0);
	struct store_sync_dav_collection *list;
	size_t count;
	test_assert(
	    store_sync_dav_collections(account, 0, pool, &list, &count) == 0);
	test_assert_int(count, 3);
	test_assert_str(list[0].local_name, "cal");
	test_assert_str(list[0].sync_token, "");
	test_assert_str(list[0].displayname, "Work");
	test_assert(!list[0].is_read_only);
	test_assert(store_sync_dav_collections(account, STORE_DAV_ADDRESSBOOK,
	                                       pool, &list, &count) == 0);
	test_assert_int(count, 2);
	test_assert_str(list[0].local_name, "contacts");
	test_assert(list[0].is_read_only);
	/* update: token, CTag, name, read-only */
	struct store_sync_dav_collection u = {
	    .displayname = "Home", .sync_token = "tok-2", .ctag = "c2"};
	test_assert(store_sync_dav_collection_update(account, id, &u) == 0);
	test_assert(store_sync_dav_collections(account, STORE_DAV_CALENDAR,
	                                       pool, &list, &count) == 0);
	test_assert_int(count, 1);
	test_assert_str(list[0].sync_token, "tok-2");
	test_assert_str(list[0].ctag, "c2");
	test_assert_str(list[0].displayname, "Home");

	/* objects: both keys unique, replace, delete, owner */
	struct buf out;
	buf_init(&out);
	struct store_sync_dav_object o = {.local_key = "a.ics",
	                                  .href = "/c/a.ics",
	                                  .remote_etag = "\"r1\"",
	                                  .local_etag = "\"l1\""};
	test_assert(store_sync_dav_object_set(account, id, &o) == 0);
	o.local_key = "b.ics";
	o.href = "/c/b.ics";
	test_assert(store_sync_dav_object_set(account, id, &o) == 0);
	test_assert_str(dump(account, id, &out),
	                "a.ics>/c/a.ics:\"r1\":\"l1\";"
	                "b.ics>/c/b.ics:\"r1\":\"l1\";");
	/* a new key for an href that has one replaces that row */
	o.local_key = "c.ics";
	o.href = "/c/a.ics";
	o.remote_etag = NULL;
	test_assert(store_sync_dav_object_set(account, id, &o) == 0);
	test_assert_str(dump(account, id, &out),
	                "b.ics>/c/b.ics:\"r1\":\"l1\";c.ics>/c/a.ics::\"l1\";");
	struct store_sync_dav_object got;
	test_assert(store_sync_dav_object_by_href(account, id, "/c/b.ics", pool,
	                                          &got) == 1);
	test_assert_str(got.local_key, "b.ics");
	test_assert(store_sync_dav_object_by_key(account, id, "c.ics", pool,
	                                         &got) == 1);
	test_assert_str(got.href, "/c/a.ics");
	test_assert(store_sync_dav_object_by_key(account, id, "a.ics", pool,
	                                         &got) == 0);
	test_assert(store_sync_dav_object_del(account, id, "b.ics") == 1);
	test_assert(store_sync_dav_object_del(account, id, "b.ics") == 0);
	/* the owner of a contact UID among the address books */
	o.local_key = "urn:uuid:1";
	o.href = "/s/1.vcf";
	test_assert(store_sync_dav_object_set(account, id3, &o) == 0);
	int64_t owner = 0;
	test_assert(store_sync_dav_object_owner(account, STORE_DAV_ADDRESSBOOK,
	                                        "urn:uuid:1", &owner) == 1);
	test_assert(owner == id3);
	test_assert(store_sync_dav_object_owner(account, STORE_DAV_CALENDAR,
	                                        "urn:uuid:1", &owner) == 0);
	/* forgetting a collection drops its rows only */
	test_assert(store_sync_dav_collection_forget(account, id3) == 0);
	test_assert_str(dump(account, id3, &out), "");
	test_assert_str(dump(account, id, &out), "c.ics>/c/a.ics::\"l1\";");
	test_assert(store_sync_dav_collections(account, STORE_DAV_ADDRESSBOOK,
	                                       pool, &list, &count) == 0);
	test_assert_int(count, 1);

	/* meta numbers */
	test_assert_int(store_sync_dav_meta_get(account, "auto_schedule", -1),
	                -1);
	test_assert(store_sync_dav_meta_set(account, "auto_schedule", 1) == 0);
	test_assert_int(store_sync_dav_meta_get(account, "auto_schedule", -1),
	                1);
	buf_deinit(&out);
	pool_free(&pool);
	store_account_close(&account);
	test_end();
}

int main(void)
{
	store = store_testing_open("sync_dav", "x.test");
	static void (*const tests[])(void) = {
	    test_collections,
	    NULL,
	};
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
