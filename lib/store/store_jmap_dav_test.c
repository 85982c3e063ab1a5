/* Unit tests for store_jmap_dav.c: the triggers give a DAV member a JMAP
 * id that a PUT over it and a MOVE keep, /changes reports creations,
 * updates and destructions per type (a member made and gone between two
 * states is not reported), maxChanges cuts between changes, collections
 * (and their grants) have changes of their own, and the listing by span
 * and type. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_dav.h"
#include "store/store_jmap_dav.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static struct store *store;

static int64_t coll_id(struct store_account *a, enum store_dav_kind kind,
                       const char *name)
{
	struct pool *pool = pool_new();
	struct store_dav_collection c;
	int64_t id = -1;
	if (store_dav_collection_get(a, kind, name, pool, &c) == 1)
		id = c.id;
	pool_free(&pool);
	return id;
}

static void put(struct store_account *a, int64_t coll, const char *name,
                const char *uid, unsigned component, int64_t start, int64_t end)
{
	struct store_dav_object obj = {
	    .name = name,
	    .uid = uid,
	    .etag = "\"x\"",
	    .content_type = "text/plain",
	    .data = (const unsigned char *)"data",
	    .size = 4,
	    .component = component,
	    .time_start = start,
	    .time_end = end,
	};
	bool created;
	uint64_t modseq;
	const char *error;
	test_assert_int(store_dav_object_put(a, coll, &obj, NULL, false,
	                                     time(NULL), &created, &modseq,
	                                     &error),
	                0);
}

struct seen {
	char text[512];
};

static void seen_cb(enum store_jmap_change change, const char *id,
                    bool is_counts_only, void *ctx)
{
	struct seen *s = ctx;
	(void)is_counts_only;
	static const char mark[] = {'+', '~', '-'};
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%c%s ", mark[change],
	         id);
}

static const char *changes(struct store_account *a,
                           enum store_jmap_dav_type type, uint64_t since,
                           unsigned max, struct seen *s, uint64_t *upto_r,
                           bool *more_r)
{
	s->text[0] = '\0';
	test_assert_int(store_jmap_dav_changes(a, type, since, max, seen_cb, s,
	                                       upto_r, more_r),
	                0);
	return s->text;
}

static int64_t jmap_id(struct store_account *a, int64_t coll, const char *name)
{
	int64_t id = -1;
	test_assert_int(store_jmap_dav_id(a, coll, name, &id), 1);
	return id;
}

static void test_ids_and_changes(void)
{
	test_begin("store jmap dav ids and changes");
	struct store_account *a = store_testing_account(store, "ids@x.test");
	int64_t book = coll_id(a, STORE_DAV_ADDRESSBOOK, "contacts");
	int64_t cal = coll_id(a, STORE_DAV_CALENDAR, "calendar");
	uint64_t s0, upto;
	bool more;
	struct seen s;
	test_assert_int(store_jmap_dav_state(a, STORE_JMAP_DAV_CARD, &s0), 0);
	put(a, book, "a.vcf", "A", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	put(a, book, "b.vcf", "B", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	put(a, cal, "e.ics", "E", STORE_DAV_COMP_VEVENT, 1000, 2000);
	int64_t ida = jmap_id(a, book, "a.vcf"),
	        idb = jmap_id(a, book, "b.vcf");
	char want[128];
	snprintf(want, sizeof(want), "+%lld +%lld ", (long long)ida,
	         (long long)idb);
	test_assert_str(
	    changes(a, STORE_JMAP_DAV_CARD, s0, 0, &s, &upto, &more), want);
	uint64_t s1 = upto;
	/* a PUT over a member keeps its id and is an update */
	put(a, book, "a.vcf", "A", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	test_assert_int(jmap_id(a, book, "a.vcf"), ida);
	snprintf(want, sizeof(want), "~%lld ", (long long)ida);
	test_assert_str(
	    changes(a, STORE_JMAP_DAV_CARD, s1, 0, &s, &upto, &more), want);
	uint64_t s2 = upto;
	/* a member made and deleted after s2 is not reported; b goes */
	put(a, book, "c.vcf", "C", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	const char *error;
	test_assert_int(store_dav_object_delete(a, book, "c.vcf", NULL, &error),
	                0);
	test_assert_int(store_dav_object_delete(a, book, "b.vcf", NULL, &error),
	                0);
	snprintf(want, sizeof(want), "-%lld ", (long long)idb);
	test_assert_str(
	    changes(a, STORE_JMAP_DAV_CARD, s2, 0, &s, &upto, &more), want);
	struct pool *pool = pool_new();
	struct store_jmap_dav_ref ref;
	test_assert_int(store_jmap_dav_locate(a, idb, pool, &ref), 0);
	test_assert_int(store_jmap_dav_locate(a, ida, pool, &ref), 1);
	test_assert_str(ref.name, "a.vcf");
	test_assert_int(ref.type, STORE_JMAP_DAV_CARD);
	/* the event is not a card, and a future state is refused */
	int64_t ide = jmap_id(a, cal, "e.ics");
	test_assert_int(store_jmap_dav_locate(a, ide, pool, &ref), 1);
	test_assert_int(ref.type, STORE_JMAP_DAV_EVENT);
	test_assert_int(store_jmap_dav_changes(a, STORE_JMAP_DAV_CARD,
	                                       upto + 1000, 0, seen_cb, &s,
	                                       &upto, &more),
	                1);
	pool_free(&pool);
	store_account_close(&a);
	test_end();
}

static void test_move_and_max(void)
{
	test_begin("store jmap dav move keeps the id, maxChanges");
	struct store_account *a = store_testing_account(store, "mv@x.test");
	int64_t book = coll_id(a, STORE_DAV_ADDRESSBOOK, "contacts");
	struct store_dav_collection nc = {.kind = STORE_DAV_ADDRESSBOOK,
	                                  .name = "work",
	                                  .displayname = "Work",
	                                  .description = "",
	                                  .color = "",
	                                  .timezone = ""};
	int64_t work;
	const char *error;
	test_assert_int(store_dav_collection_create(a, &nc, NULL, 0, time(NULL),
	                                            &work, &error),
	                0);
	uint64_t s0, upto;
	bool more;
	struct seen s;
	test_assert_int(store_jmap_dav_state(a, STORE_JMAP_DAV_CARD, &s0), 0);
	put(a, book, "a.vcf", "A", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	put(a, book, "b.vcf", "B", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	put(a, book, "c.vcf", "C", 0, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX);
	int64_t ida = jmap_id(a, book, "a.vcf");
	bool created;
	test_assert_int(store_dav_object_copy(a, book, "a.vcf", work, "a.vcf",
	                                      true, false, time(NULL), &created,
	                                      &error),
	                0);
	test_assert_int(jmap_id(a, work, "a.vcf"), ida);
	/* two at a time, then the rest */
	changes(a, STORE_JMAP_DAV_CARD, s0, 2, &s, &upto, &more);
	test_assert(more);
	uint64_t mid = upto;
	char want[64];
	/* a was made before the cut (RFC 8620 §5.2 lets an update stand
	   for a creation the client was not told of) */
	snprintf(want, sizeof(want), "~%lld ", (long long)ida);
	test_assert_str(
	    changes(a, STORE_JMAP_DAV_CARD, mid, 0, &s, &upto, &more), want);
	test_assert(!more);
	/* collections: the new one, then a rename and its deletion */
	uint64_t c0;
	test_assert_int(
	    store_jmap_dav_collection_state(a, STORE_DAV_ADDRESSBOOK, &c0), 0);
	struct store_dav_collection v = {.displayname = "Work people"};
	test_assert_int(store_dav_collection_update(a, work, &v,
	                                            STORE_DAV_FIELD_DISPLAYNAME,
	                                            NULL, 0, &error),
	                0);
	s.text[0] = '\0';
	test_assert_int(
	    store_jmap_dav_collection_changes(a, STORE_DAV_ADDRESSBOOK, c0, 0,
	                                      seen_cb, &s, &upto, &more),
	    0);
	snprintf(want, sizeof(want), "~%lld ", (long long)work);
	test_assert_str(s.text, want);
	test_assert_int(store_dav_collection_delete(a, work, &error), 0);
	s.text[0] = '\0';
	test_assert_int(
	    store_jmap_dav_collection_changes(a, STORE_DAV_ADDRESSBOOK, upto, 0,
	                                      seen_cb, &s, &upto, &more),
	    0);
	snprintf(want, sizeof(want), "-%lld ", (long long)work);
	test_assert_str(s.text, want);
	/* the card in it went with it */
	struct pool *pool = pool_new();
	struct store_jmap_dav_ref ref;
	test_assert_int(store_jmap_dav_locate(a, ida, pool, &ref), 0);
	pool_free(&pool);
	store_account_close(&a);
	test_end();
}

static void test_list(void)
{
	test_begin("store jmap dav list by type and span");
	struct store_account *a = store_testing_account(store, "ls@x.test");
	int64_t cal = coll_id(a, STORE_DAV_CALENDAR, "calendar");
	int64_t tasks = coll_id(a, STORE_DAV_CALENDAR, "tasks");
	put(a, cal, "1.ics", "1", STORE_DAV_COMP_VEVENT, 1000, 2000);
	put(a, cal, "2.ics", "2", STORE_DAV_COMP_VEVENT, 5000, 6000);
	put(a, cal, "3.ics", "3", STORE_DAV_COMP_VEVENT, 5500,
	    STORE_DAV_TIME_MAX);
	put(a, tasks, "t.ics", "t", STORE_DAV_COMP_VTODO, STORE_DAV_TIME_MIN,
	    STORE_DAV_TIME_MAX);
	struct pool *pool = pool_new();
	struct store_jmap_dav_ref *refs;
	size_t count;
	test_assert_int(
	    store_jmap_dav_list(a, STORE_JMAP_DAV_EVENT, 0, STORE_DAV_TIME_MIN,
	                        STORE_DAV_TIME_MAX, pool, &refs, &count),
	    0);
	test_assert_int(count, 3);
	test_assert_int(store_jmap_dav_list(a, STORE_JMAP_DAV_EVENT, cal, 4000,
	                                    5600, pool, &refs, &count),
	                0);
	test_assert_int(count, 2);
	test_assert_str(count > 0 ? refs[0].name : "", "2.ics");
	test_assert_int(store_jmap_dav_list(a, STORE_JMAP_DAV_TASK, 0, 0, 1,
	                                    pool, &refs, &count),
	                0);
	test_assert_int(count, 1);
	test_assert_int(
	    store_jmap_dav_list(a, STORE_JMAP_DAV_TASK, cal, STORE_DAV_TIME_MIN,
	                        STORE_DAV_TIME_MAX, pool, &refs, &count),
	    0);
	test_assert_int(count, 0);
	pool_free(&pool);
	store_account_close(&a);
	test_end();
}

int main(void)
{
	store = store_testing_open("jmapdav", "x.test");
	static void (*const tests[])(void) = {
	    test_ids_and_changes, test_move_and_max, test_list, NULL};
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
