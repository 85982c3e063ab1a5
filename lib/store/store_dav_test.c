/* Unit tests for store_dav.c and store_dav_object.c: default collections
 * made once, create/update/delete with dead properties, put with
 * If-Match / If-None-Match and UID uniqueness, large data in blobs,
 * delete with tombstones, copy and move, listing by time span, changes
 * for sync-collection (and the token still good after reopening), the
 * access check and shares (names, and their end with the collection or
 * an account), the domain's shared address book, and the migration of a
 * store made before these tables existed. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_dav.h"
#include "store/store_gc.h"
#include "store/store_private.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct store *store;

static int64_t collection_id(struct store_account *account,
                             enum store_dav_kind kind, const char *name)
{
	struct pool *pool = pool_new();
	struct store_dav_collection c;
	int64_t id = -1;
	if (store_dav_collection_get(account, kind, name, pool, &c) == 1)
		id = c.id;
	pool_free(&pool);
	return id;
}

static uint64_t collection_modseq(struct store_account *account, int64_t id,
                                  const char *name)
{
	struct pool *pool = pool_new();
	struct store_dav_collection c = {0};
	(void)id;
	test_assert(store_dav_collection_get(account, STORE_DAV_CALENDAR, name,
	                                     pool, &c) == 1);
	pool_free(&pool);
	return c.modseq;
}

static int put(struct store_account *account, int64_t coll, const char *name,
               const char *uid, const char *data, const char *if_match,
               bool if_none_match, bool *created_r)
{
	struct store_dav_object obj = {
	    .name = name,
	    .uid = uid,
	    .etag = data, /* any distinct string will do here */
	    .content_type = "text/calendar; charset=utf-8",
	    .data = (const unsigned char *)data,
	    .size = strlen(data),
	    .component = STORE_DAV_COMP_VEVENT,
	    .time_start = STORE_DAV_TIME_MIN,
	    .time_end = STORE_DAV_TIME_MAX,
	};
	bool created = false;
	uint64_t modseq;
	const char *error = NULL;
	int ret =
	    store_dav_object_put(account, coll, &obj, if_match, if_none_match,
	                         1000, &created, &modseq, &error);
	if (ret < 0)
		test_assert_str(error, "");
	if (created_r != NULL)
		*created_r = created;
	return ret;
}

static void test_dav_collections(void)
{
	test_begin("store dav collections");
	struct store_account *a = store_testing_account(store, "c@x.test");
	struct pool *pool = pool_new();
	struct store_dav_collection *colls;
	size_t count;
	const char *error = NULL;
	test_assert(store_dav_collections(a, STORE_DAV_CALENDAR, pool, &colls,
	                                  &count) == 0);
	test_assert_int(count, 3);
	if (count == 3) {
		test_assert_str(colls[0].name, "calendar");
		test_assert_int(colls[0].components, STORE_DAV_COMP_VEVENT);
		test_assert_str(colls[1].name, "journal");
		test_assert_str(colls[2].name, "tasks");
		test_assert(colls[0].max_resource_size ==
		            STORE_DAV_DEFAULT_MAX_SIZE);
	}
	test_assert(store_dav_collections(a, STORE_DAV_ADDRESSBOOK, pool,
	                                  &colls, &count) == 0 &&
	            count == 1);
	/* a deleted default stays deleted */
	int64_t journal = collection_id(a, STORE_DAV_CALENDAR, "journal");
	test_assert(store_dav_collection_delete(a, journal, &error) == 0);
	test_assert(store_dav_collection_delete(a, journal, &error) ==
	            STORE_DAV_NOT_FOUND);
	test_assert(store_dav_collections(a, STORE_DAV_CALENDAR, pool, &colls,
	                                  &count) == 0 &&
	            count == 2);
	/* create, with a dead property; the name is taken afterwards */
	struct store_dav_collection c = {.kind = STORE_DAV_CALENDAR,
	                                 .name = "trips",
	                                 .displayname = "Trips",
	                                 .components = STORE_DAV_COMP_VEVENT |
	                                               STORE_DAV_COMP_VTODO};
	struct store_dav_prop dead = {"urn:x", "mood",
	                              "<mood xmlns=\"urn:x\">"
	                              "calm</mood>"};
	int64_t id;
	test_assert(
	    store_dav_collection_create(a, &c, &dead, 1, 5, &id, &error) == 0);
	test_assert(store_dav_collection_create(a, &c, NULL, 0, 5, &id,
	                                        &error) == STORE_DAV_EXISTS);
	c.kind = STORE_DAV_ADDRESSBOOK; /* names are per kind */
	test_assert(
	    store_dav_collection_create(a, &c, NULL, 0, 5, &id, &error) == 0);
	static const char *const bad[] = {"", ".", "..", "a/b", "a\nb"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		c.name = bad[i];
		test_assert_idx(store_dav_collection_create(a, &c, NULL, 0, 5,
		                                            &id, &error) == -1,
		                i);
	}
	/* update: fields and dead properties together, MODSEQ grows */
	int64_t trips = collection_id(a, STORE_DAV_CALENDAR, "trips");
	uint64_t before = collection_modseq(a, trips, "trips");
	struct store_dav_collection v = {
	    .displayname = "Voyages", .color = "#00FF00FF", .sort_order = 7};
	struct store_dav_prop changes[] = {
	    {"urn:x", "mood", NULL}, {"urn:x", "n", "<n xmlns=\"urn:x\"/>"}};
	test_assert(store_dav_collection_update(a, trips, &v,
	                                        STORE_DAV_FIELD_DISPLAYNAME |
	                                            STORE_DAV_FIELD_COLOR |
	                                            STORE_DAV_FIELD_ORDER,
	                                        changes, 2, &error) == 0);
	struct store_dav_collection got;
	test_assert(store_dav_collection_get(a, STORE_DAV_CALENDAR, "trips",
	                                     pool, &got) == 1);
	test_assert_str(got.displayname, "Voyages");
	test_assert_str(got.color, "#00FF00FF");
	test_assert_str(got.description, "");
	test_assert_int(got.sort_order, 7);
	test_assert(got.modseq == before + 1);
	struct store_dav_prop *props;
	test_assert(store_dav_props(a, trips, "", pool, &props, &count) == 0);
	test_assert_int(count, 1);
	if (count == 1)
		test_assert_str(props[0].name, "n");
	test_assert(store_dav_collection_update(a, 9999, &v, 0, NULL, 0,
	                                        &error) == STORE_DAV_NOT_FOUND);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

static void test_dav_put(void)
{
	test_begin("store dav put, preconditions, UID");
	struct store_account *a = store_testing_account(store, "p@x.test");
	struct pool *pool = pool_new();
	int64_t cal = collection_id(a, STORE_DAV_CALENDAR, "calendar");
	bool created;
	test_assert(put(a, cal, "a.ics", "uid-a", "A1", NULL, true, &created) ==
	                0 &&
	            created);
	/* If-None-Match: * on an existing member */
	test_assert(put(a, cal, "a.ics", "uid-a", "A2", NULL, true, NULL) ==
	            STORE_DAV_PRECONDITION);
	/* If-Match with the wrong and the right tag */
	test_assert(put(a, cal, "a.ics", "uid-a", "A2", "A9", false, NULL) ==
	            STORE_DAV_PRECONDITION);
	test_assert(
	    put(a, cal, "a.ics", "uid-a", "A2", "A1", false, &created) == 0 &&
	    !created);
	test_assert(put(a, cal, "new.ics", "uid-n", "N", "A1", false, NULL) ==
	            STORE_DAV_PRECONDITION);
	/* the UID is unique in the collection, not across collections */
	test_assert(put(a, cal, "b.ics", "uid-a", "B", NULL, false, NULL) ==
	            STORE_DAV_UID_CONFLICT);
	const char *holder;
	test_assert(store_dav_object_find_uid(a, cal, "uid-a", pool, &holder) ==
	            1);
	test_assert_str(holder, "a.ics");
	int64_t tasks = collection_id(a, STORE_DAV_CALENDAR, "tasks");
	test_assert(put(a, tasks, "b.ics", "uid-a", "B", NULL, false, NULL) ==
	            0);
	test_assert(put(a, 4242, "x.ics", "u", "X", NULL, false, NULL) ==
	            STORE_DAV_NOT_FOUND);
	const char *error;
	struct store_dav_object obj;
	test_assert(store_dav_object_get(a, cal, "a.ics", true, pool, &obj) ==
	            1);
	test_assert_str((const char *)obj.data, "A2");
	test_assert_str(obj.etag, "A2");
	test_assert_str(obj.content_type, "text/calendar; charset=utf-8");
	test_assert(obj.time_start == STORE_DAV_TIME_MIN &&
	            obj.time_end == STORE_DAV_TIME_MAX);
	test_assert(store_dav_object_get(a, cal, "zz.ics", false, pool, &obj) ==
	            0);
	/* large data goes to a blob and comes back the same */
	size_t big = STORE_DAV_INLINE_MAX + 1000;
	char *data = xmalloc(big + 1);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	data[big] = '\0';
	test_assert(
	    put(a, cal, "big.ics", "uid-big", data, NULL, false, NULL) == 0);
	test_assert(store_dav_object_get(a, cal, "big.ics", true, pool, &obj) ==
	            1);
	test_assert(obj.size == big && memcmp(obj.data, data, big) == 0);
	/* blob collection knows the blobs of DAV data */
	size_t removed, kept;
	char *dir = xasprintf("%s/dav", test_tmpdir());
	test_assert(store_gc_blobs(dir, 0, time(NULL) + 3600, &removed, &kept,
	                           &error) == 0);
	test_assert(removed == 0 && kept >= 1);
	test_assert(store_dav_object_get(a, cal, "big.ics", true, pool, &obj) ==
	            1);
	free(dir);
	free(data);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

struct change_log {
	struct buf text;
};

static int change_cb(const char *name, uint64_t modseq,
                     const struct store_dav_object *obj, void *ctx)
{
	struct change_log *log = ctx;
	(void)modseq;
	buf_printf(&log->text, "%s%s ", obj == NULL ? "-" : "+", name);
	return 0;
}

static const char *changes(struct store_account *a, int64_t coll,
                           uint64_t since, struct change_log *log, int *ret_r)
{
	buf_truncate(&log->text, 0);
	*ret_r = store_dav_changes(a, coll, since, change_cb, log);
	return log->text.data;
}

static void test_dav_sync(void)
{
	test_begin("store dav delete, copy, move, changes");
	struct store_account *a = store_testing_account(store, "s@x.test");
	struct pool *pool = pool_new();
	struct change_log log;
	buf_init(&log.text);
	const char *error;
	int ret;
	int64_t cal = collection_id(a, STORE_DAV_CALENDAR, "calendar");
	int64_t tasks = collection_id(a, STORE_DAV_CALENDAR, "tasks");
	test_assert(put(a, cal, "1.ics", "u1", "one", NULL, false, NULL) == 0);
	test_assert(put(a, cal, "2.ics", "u2", "two", NULL, false, NULL) == 0);
	uint64_t token = collection_modseq(a, cal, "calendar");
	test_assert_str(changes(a, cal, 0, &log, &ret), "+1.ics +2.ics ");
	test_assert(put(a, cal, "3.ics", "u3", "three", NULL, false, NULL) ==
	            0);
	test_assert(store_dav_object_delete(a, cal, "1.ics", "wrong", &error) ==
	            STORE_DAV_PRECONDITION);
	test_assert(store_dav_object_delete(a, cal, "1.ics", "one", &error) ==
	            0);
	test_assert(store_dav_object_delete(a, cal, "1.ics", NULL, &error) ==
	            STORE_DAV_NOT_FOUND);
	test_assert_str(changes(a, cal, token, &log, &ret), "+3.ics -1.ics ");
	/* a token from the future, or of another life, is refused */
	uint64_t now = collection_modseq(a, cal, "calendar");
	changes(a, cal, now + 1, &log, &ret);
	test_assert(ret == STORE_DAV_TOKEN_INVALID);
	test_assert_str(changes(a, cal, now, &log, &ret), "");
	test_assert(ret == 0);
	/* copy to another collection; overwrite refused; move renames */
	bool created;
	test_assert(store_dav_object_copy(a, cal, "2.ics", tasks, "2.ics",
	                                  false, true, 9, &created,
	                                  &error) == 0 &&
	            created);
	test_assert(store_dav_object_copy(a, cal, "3.ics", tasks, "2.ics",
	                                  false, false, 9, &created,
	                                  &error) == STORE_DAV_EXISTS);
	test_assert(store_dav_object_copy(a, cal, "2.ics", cal, "2b.ics", false,
	                                  true, 9, &created,
	                                  &error) == STORE_DAV_UID_CONFLICT);
	test_assert(store_dav_object_copy(a, cal, "nope.ics", cal, "x.ics",
	                                  false, true, 9, &created,
	                                  &error) == STORE_DAV_NOT_FOUND);
	test_assert(store_dav_object_copy(a, cal, "2.ics", cal, "2b.ics", true,
	                                  true, 9, &created, &error) == 0);
	test_assert_str(changes(a, cal, now, &log, &ret), "+2b.ics -2.ics ");
	struct store_dav_object obj = {0};
	test_assert(store_dav_object_get(a, cal, "2b.ics", true, pool, &obj) ==
	            1);
	test_assert(obj.data != NULL &&
	            strcmp((const char *)obj.data, "two") == 0);
	/* a re-created member leaves its tombstone behind */
	test_assert(put(a, cal, "1.ics", "u1", "again", NULL, true, NULL) == 0);
	test_assert(strstr(changes(a, cal, token, &log, &ret), "-1.ics") ==
	            NULL);
	/* the token is still good after the account is opened again */
	uint64_t last = collection_modseq(a, cal, "calendar");
	store_account_close(&a);
	test_assert(store_account_open(store, "s@x.test", &a, &error) == 0);
	test_assert(collection_modseq(a, cal, "calendar") == last);
	test_assert_str(changes(a, cal, last, &log, &ret), "");
	test_assert(ret == 0);
	test_assert(store_dav_object_delete(a, cal, "3.ics", NULL, &error) ==
	            0);
	test_assert_str(changes(a, cal, last, &log, &ret), "-3.ics ");
	buf_deinit(&log.text);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

static int name_cb(const struct store_dav_object *obj, void *ctx)
{
	buf_printf(ctx, "%s ", obj->name);
	return 0;
}

static void test_dav_range(void)
{
	test_begin("store dav time span index");
	struct store_account *a = store_testing_account(store, "r@x.test");
	int64_t cal = collection_id(a, STORE_DAV_CALENDAR, "calendar");
	static const struct {
		const char *name;
		int64_t start, end;
	} objs[] = {
	    {"early", 100, 200},
	    {"late", 500, 600},
	    {"forever", 150, STORE_DAV_TIME_MAX},
	    {"always", STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX},
	};
	for (size_t i = 0; i < sizeof(objs) / sizeof(*objs); i++) {
		struct store_dav_object o = {.name = objs[i].name,
		                             .uid = objs[i].name,
		                             .etag = "\"e\"",
		                             .content_type = "text/calendar",
		                             .data = (const unsigned char *)"x",
		                             .size = 1,
		                             .time_start = objs[i].start,
		                             .time_end = objs[i].end};
		bool created;
		uint64_t modseq;
		const char *error;
		test_assert_idx(store_dav_object_put(a, cal, &o, NULL, false, 1,
		                                     &created, &modseq,
		                                     &error) == 0,
		                i);
	}
	struct buf out;
	buf_init(&out);
	test_assert(store_dav_objects_list(a, cal, 190, 210, false, name_cb,
	                                   &out) == 0);
	test_assert_str(out.data, "always early forever ");
	buf_truncate(&out, 0);
	test_assert(store_dav_objects_list(a, cal, 200, 500, false, name_cb,
	                                   &out) == 0);
	test_assert_str(out.data, "always forever ");
	buf_truncate(&out, 0);
	test_assert(store_dav_objects_list(a, cal, STORE_DAV_TIME_MIN,
	                                   STORE_DAV_TIME_MAX, true, name_cb,
	                                   &out) == 0);
	test_assert_str(out.data, "always early forever late ");
	buf_deinit(&out);
	store_account_close(&a);
	test_end();
}

static void test_dav_access(void)
{
	test_begin("store dav access and shares");
	struct store_account *a = store_testing_account(store, "owner@x.test");
	struct store_account *b = store_testing_account(store, "other@x.test");
	struct pool *pool = pool_new();
	const char *error, *name;
	struct store_dav_collection cal;
	test_assert(store_dav_collection_get(a, STORE_DAV_CALENDAR, "calendar",
	                                     pool, &cal) == 1);
	test_assert_int(store_dav_access(a, "Owner@X.test", cal.id),
	                STORE_DAV_ACCESS_OWNER);
	test_assert_int(store_dav_access(a, "other@x.test", cal.id),
	                STORE_DAV_ACCESS_NONE);
	test_assert_int(store_dav_access(a, "not an address", cal.id),
	                STORE_DAV_ACCESS_NONE);
	test_assert(store_dav_share_set(a, &cal, "Other@x.test",
	                                STORE_DAV_ACCESS_READ, 1, pool, &name,
	                                &error) == 0);
	test_assert_str(name, "calendar_shared_by_owner@x.test");
	test_assert_int(store_dav_access(a, "other@x.test", cal.id),
	                STORE_DAV_ACCESS_READ);
	/* a change of access keeps the name */
	test_assert(store_dav_share_set(a, &cal, "other@x.test",
	                                STORE_DAV_ACCESS_READ_WRITE, 2, pool,
	                                &name, &error) == 0);
	test_assert_str(name, "calendar_shared_by_owner@x.test");
	test_assert_int(store_dav_access(a, "other@x.test", cal.id),
	                STORE_DAV_ACCESS_READ_WRITE);
	/* the grantee's home lists it; nobody else's */
	struct store_dav_share *shares, share;
	size_t count;
	test_assert(store_dav_share_list_granted(store, "OTHER@x.test",
	                                         STORE_DAV_CALENDAR, pool,
	                                         &shares, &count) == 0);
	test_assert_int(count, 1);
	test_assert_str(shares[0].owner, "owner@x.test");
	test_assert_int(shares[0].collection_id, cal.id);
	test_assert(store_dav_share_list_granted(store, "other@x.test",
	                                         STORE_DAV_ADDRESSBOOK, pool,
	                                         &shares, &count) == 0 &&
	            count == 0);
	test_assert(store_dav_share_find(
	                store, "other@x.test", STORE_DAV_CALENDAR,
	                "calendar_shared_by_owner@x.test", pool, &share) == 1);
	test_assert_int(share.access, STORE_DAV_ACCESS_READ_WRITE);
	test_assert(store_dav_share_find(
	                store, "owner@x.test", STORE_DAV_CALENDAR,
	                "calendar_shared_by_owner@x.test", pool, &share) == 0);
	test_assert(store_dav_share_list_collection(a, cal.id, pool, &shares,
	                                            &count) == 0 &&
	            count == 1);
	test_assert_str(shares[0].grantee, "other@x.test");
	/* refusals */
	test_assert(store_dav_share_set(a, &cal, "owner@x.test",
	                                STORE_DAV_ACCESS_READ, 1, pool, &name,
	                                &error) < 0);
	test_assert(store_dav_share_set(a, &cal, "nobody@x.test",
	                                STORE_DAV_ACCESS_READ, 1, pool, &name,
	                                &error) == STORE_DAV_NOT_FOUND);
	test_assert(store_dav_share_set(a, &cal, "other@x.test",
	                                STORE_DAV_ACCESS_OWNER, 1, pool, &name,
	                                &error) < 0);
	/* ending it */
	test_assert(store_dav_share_set(a, &cal, "other@x.test",
	                                STORE_DAV_ACCESS_NONE, 1, pool, &name,
	                                &error) == 0);
	test_assert_int(store_dav_access(a, "other@x.test", cal.id),
	                STORE_DAV_ACCESS_NONE);
	test_assert(store_dav_share_set(a, &cal, "other@x.test",
	                                STORE_DAV_ACCESS_NONE, 1, pool, &name,
	                                &error) == STORE_DAV_NOT_FOUND);
	store_account_close(&b);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

/* A share never takes a name the grantee uses; it goes with its
 * collection and with either account. */
static void test_dav_share_names(void)
{
	test_begin("store dav share names and their end");
	struct store_account *a = store_testing_account(store, "ann@x.test");
	struct store_account *b = store_testing_account(store, "ben@x.test");
	struct pool *pool = pool_new();
	const char *error, *name;
	int64_t id;
	struct store_dav_collection c = {.kind = STORE_DAV_CALENDAR,
	                                 .name =
	                                     "calendar_shared_by_ann@x.test",
	                                 .components = STORE_DAV_COMP_VEVENT};
	test_assert(
	    store_dav_collection_create(b, &c, NULL, 0, 1, &id, &error) == 0);
	struct store_dav_collection cal, book;
	test_assert(store_dav_collection_get(a, STORE_DAV_CALENDAR, "calendar",
	                                     pool, &cal) == 1);
	test_assert(store_dav_collection_get(a, STORE_DAV_ADDRESSBOOK,
	                                     "contacts", pool, &book) == 1);
	test_assert(store_dav_share_set(a, &cal, "ben@x.test",
	                                STORE_DAV_ACCESS_READ, 1, pool, &name,
	                                &error) == 0);
	test_assert_str(name, "calendar_shared_by_ann@x.test-2");
	test_assert(store_dav_share_set(a, &book, "ben@x.test",
	                                STORE_DAV_ACCESS_READ, 1, pool, &name,
	                                &error) == 0);
	test_assert_str(name, "contacts_shared_by_ann@x.test");
	/* the collection goes: its share too */
	test_assert(store_dav_collection_delete(a, cal.id, &error) == 0);
	struct store_dav_share *shares;
	size_t count;
	test_assert(store_dav_share_list_granted(store, "ben@x.test",
	                                         STORE_DAV_CALENDAR, pool,
	                                         &shares, &count) == 0 &&
	            count == 0);
	/* the owner goes: every share of it */
	store_account_close(&a);
	test_assert(store_account_del(store, "ann@x.test", &error) == 0);
	test_assert(store_dav_share_list_granted(store, "ben@x.test",
	                                         STORE_DAV_ADDRESSBOOK, pool,
	                                         &shares, &count) == 0 &&
	            count == 0);
	store_account_close(&b);
	pool_free(&pool);
	test_end();
}

static int card_cb(const struct store_dav_directory_entry *e, struct pool *pool,
                   struct store_dav_object *obj, void *ctx)
{
	unsigned *calls = ctx;
	(*calls)++;
	const char *text = pool_printf(pool, "card %s %s", e->address, e->name);
	obj->name = pool_printf(pool, "%s.vcf", e->address);
	obj->uid = e->address;
	obj->etag = pool_printf(pool, "\"%s\"", text);
	obj->content_type = "text/vcard; charset=utf-8";
	obj->data = (const unsigned char *)text;
	obj->size = strlen(text);
	return 0;
}

static int card_names_cb(const struct store_dav_object *obj, void *ctx)
{
	buf_printf(ctx, "%s ", obj->name);
	return 0;
}

static void test_dav_directory(void)
{
	test_begin("store dav domain directory");
	struct store *s = store_testing_open("dav-dir", "d.test");
	const char *error;
	struct pool *pool = pool_new();
	test_assert(store_domain_add(s, "e.test", &error) == 0);
	struct store_account *acc[3] = {store_testing_account(s, "zed@d.test"),
	                                store_testing_account(s, "amy@d.test"),
	                                store_testing_account(s, "eli@e.test")};
	struct store_account *dir;
	test_assert(store_dav_directory_open(s, &dir, &error) == 0);
	unsigned calls = 0;
	struct store_dav_collection book;
	struct buf out;
	buf_init(&out);
	test_assert(store_dav_directory_sync(s, dir, "d.test", card_cb, &calls,
	                                     pool, &book) == 1);
	test_assert_int(calls, 2);
	test_assert(store_dav_objects_list(dir, book.id, STORE_DAV_TIME_MIN,
	                                   STORE_DAV_TIME_MAX, false,
	                                   card_names_cb, &out) == 0);
	test_assert_str(out.data, "amy@d.test.vcf zed@d.test.vcf ");
	uint64_t token = book.modseq;
	/* nothing changed: no card is made again */
	test_assert(store_dav_directory_sync(s, dir, "d.test", card_cb, &calls,
	                                     pool, &book) == 1);
	test_assert_int(calls, 2);
	test_assert_int(book.modseq, token);
	/* a name, an account hidden, one added, one removed */
	test_assert(store_dav_directory_set(s, "Zed@d.test", "Zed Zulu", -1,
	                                    &error) == 0);
	test_assert(
	    store_dav_directory_set(s, "nobody@d.test", "N", -1, &error) < 0);
	const char *name;
	bool is_hidden;
	test_assert(store_dav_directory_get(s, "zed@d.test", pool, &name,
	                                    &is_hidden) == 1);
	test_assert_str(name, "Zed Zulu");
	test_assert(!is_hidden);
	store_account_close(&acc[1]);
	test_assert(store_account_del(s, "amy@d.test", &error) == 0);
	struct store_account *bo = store_testing_account(s, "bo@d.test");
	struct store_account *cy = store_testing_account(s, "cy@d.test");
	test_assert(store_dav_directory_set(s, "cy@d.test", NULL, 1, &error) ==
	            0);
	test_assert(store_dav_directory_sync(s, dir, "d.test", card_cb, &calls,
	                                     pool, &book) == 1);
	buf_truncate(&out, 0);
	struct change_log log;
	buf_init(&log.text);
	test_assert(store_dav_changes(dir, book.id, token, change_cb, &log) ==
	            0);
	test_assert_str(log.text.data, "-amy@d.test.vcf +bo@d.test.vcf "
	                               "+zed@d.test.vcf ");
	struct store_dav_object obj;
	test_assert(store_dav_object_get(dir, book.id, "zed@d.test.vcf", true,
	                                 pool, &obj) == 1);
	test_assert_str((const char *)obj.data, "card zed@d.test Zed Zulu");
	buf_deinit(&log.text);
	/* another domain's book is its own; a domain that is not local has
	 * none */
	test_assert(store_dav_directory_sync(s, dir, "e.test", card_cb, &calls,
	                                     pool, &book) == 1);
	buf_truncate(&out, 0);
	test_assert(store_dav_objects_list(dir, book.id, STORE_DAV_TIME_MIN,
	                                   STORE_DAV_TIME_MAX, false,
	                                   card_names_cb, &out) == 0);
	test_assert_str(out.data, "eli@e.test.vcf ");
	test_assert(store_dav_directory_sync(s, dir, "f.test", card_cb, &calls,
	                                     pool, &book) == 0);
	/* the books are nobody's: no access as owner */
	test_assert_int(store_dav_access(dir, "eli@e.test", book.id),
	                STORE_DAV_ACCESS_NONE);
	buf_deinit(&out);
	store_account_close(&dir);
	store_account_close(&cy);
	store_account_close(&bo);
	store_account_close(&acc[0]);
	store_account_close(&acc[2]);
	pool_free(&pool);
	store_close(&s);
	test_end();
}

/* The schedule inbox and outbox: made once, apart from the calendars;
 * a UID found in whichever calendar holds it. */
static void test_dav_schedule(void)
{
	test_begin("store dav schedule boxes and UID search");
	struct store_account *a = store_testing_account(store, "sched@x.test");
	struct pool *pool = pool_new();
	struct store_dav_collection in, in2, out, *colls, c;
	struct store_dav_object obj;
	size_t count;
	test_assert(store_dav_schedule_box(a, STORE_DAV_SCHEDULE_INBOX, pool,
	                                   &in) == 0);
	test_assert_str(in.name, "inbox");
	test_assert(store_dav_schedule_box(a, STORE_DAV_SCHEDULE_INBOX, pool,
	                                   &in2) == 0);
	test_assert_int(in2.id, in.id);
	test_assert(store_dav_schedule_box(a, STORE_DAV_SCHEDULE_OUTBOX, pool,
	                                   &out) == 0);
	test_assert(out.id != in.id);
	test_assert(store_dav_collections(a, STORE_DAV_CALENDAR, pool, &colls,
	                                  &count) == 0);
	test_assert_int(count, 3);
	int64_t tasks = collection_id(a, STORE_DAV_CALENDAR, "tasks");
	test_assert(put(a, tasks, "t.ics", "todo-uid", "T", NULL, true, NULL) ==
	            0);
	test_assert(store_dav_object_find_any(a, STORE_DAV_CALENDAR, "todo-uid",
	                                      pool, &c, &obj) == 1);
	test_assert_str(c.name, "tasks");
	test_assert_str((const char *)obj.data, "T");
	test_assert(store_dav_object_find_any(a, STORE_DAV_ADDRESSBOOK,
	                                      "todo-uid", pool, &c, &obj) == 0);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

/* Maintenance prunes tombstones beyond the newest keep: a token from
 * before the cut is refused, a later one still lists what went. */
static void test_dav_prune(void)
{
	test_begin("store dav tombstone pruning");
	struct store_account *a = store_testing_account(store, "prune@x.test");
	const char *error;
	int64_t cal = collection_id(a, STORE_DAV_CALENDAR, "calendar");
	char name[16], uid[16];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "p%d.ics", i);
		snprintf(uid, sizeof(uid), "p-%d", i);
		test_assert(put(a, cal, name, uid, name, NULL, true, NULL) ==
		            0);
	}
	uint64_t before = collection_modseq(a, cal, "calendar");
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "p%d.ics", i);
		test_assert(
		    store_dav_object_delete(a, cal, name, NULL, &error) == 0);
	}
	uint64_t late = collection_modseq(a, cal, "calendar") - 1;
	size_t pruned = 0;
	char *data_dir = xasprintf("%s/dav", test_tmpdir());
	test_assert(store_dav_gc_tombstones(data_dir, 2, &pruned, &error) == 0);
	test_assert(pruned >= 2);
	struct change_log log;
	buf_init(&log.text);
	int ret;
	changes(a, cal, before, &log, &ret);
	test_assert_int(ret, STORE_DAV_TOKEN_INVALID);
	test_assert_str(changes(a, cal, late, &log, &ret), "-p3.ics ");
	test_assert_int(ret, 0);
	/* an initial sync needs no tombstone */
	test_assert_str(changes(a, cal, 0, &log, &ret), "+p4.ics ");
	buf_deinit(&log.text);
	free(data_dir);
	store_account_close(&a);
	test_end();
}

/* An account database as it was before the DAV tables: the migration
 * adds them when the account is opened. */
static void test_dav_migration(void)
{
	test_begin("store dav migration of an existing account");
	struct store_account *a = store_testing_account(store, "old@x.test");
	struct store_account_info info;
	struct pool *pool = pool_new();
	test_assert(store_account_lookup(store, "old@x.test", pool, &info) ==
	            1);
	store_account_close(&a);
	const char *error;
	test_assert(store_account_db_make_old(store, info.id,
	                                      "CREATE TABLE dav_collections",
	                                      &error) > 0);
	test_assert(store_account_open(store, "old@x.test", &a, &error) == 0);
	struct store_dav_collection *colls;
	size_t count = 0;
	test_assert(a != NULL &&
	            store_dav_collections(a, STORE_DAV_ADDRESSBOOK, pool,
	                                  &colls, &count) == 0);
	test_assert_int(count, 1);
	store_account_close(&a);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	store = store_testing_open("dav", "x.test");
	static void (*const tests[])(void) = {test_dav_collections,
	                                      test_dav_put,
	                                      test_dav_sync,
	                                      test_dav_range,
	                                      test_dav_access,
	                                      test_dav_share_names,
	                                      test_dav_directory,
	                                      test_dav_schedule,
	                                      test_dav_prune,
	                                      test_dav_migration,
	                                      NULL};
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
