/* The local calendars (calendar.h): members checked and indexed as the
 * CalDAV server does it in servers/httpd/dav_object.c (UID, kind, span,
 * ETag of the bytes), instances expanded with lib/dav/ical_item, and the
 * choice of a collection for a new item. */
#include "calendar.h"
#include "postroom.h"

#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/ical_item.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *pr_cal_uid_new(struct pool *pool)
{
	unsigned char b[16] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, b, sizeof(b));
	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof(b)) {
		/* XXX no urandom: time, pid and a counter stay unique here */
		static unsigned counter;
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		uint64_t c = (uint64_t)clock() + counter++;
		memcpy(b, &t, sizeof(t));
		memcpy(b + 8, &c, sizeof(c));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return pool_printf(pool,
	                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                   "%02x%02x%02x%02x%02x%02x",
	                   b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
	                   b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int collection_id(struct pr_local *local, const char *name,
                         struct pool *pool, struct store_dav_collection *c)
{
	return store_dav_collection_get(local->account, STORE_DAV_CALENDAR,
	                                name, pool, c);
}

int pr_cal_store(struct pr_local *local, const char *collection,
                 const char *name, const unsigned char *data, size_t size,
                 const char *if_match, bool if_none_match, struct pool *pool,
                 const char **etag_r, const char **error_r)
{
	struct store_dav_collection coll;
	int found = collection_id(local, collection, pool, &coll);
	if (found <= 0) {
		*error_r = found == 0
		               ? pool_printf(pool, "no calendar %s", collection)
		               : store_dav_last_error(local->account);
		return -1;
	}
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *ical;
	if (ical_object_parse(data, size, &set, pool, &ical, error_r) < 0)
		return -1;
	struct store_dav_object obj = {
	    .name = name,
	    .uid = pool_strdup(pool, ical_object_uid(ical)),
	    .content_type = "text/calendar; charset=utf-8",
	    .data = data,
	    .size = size,
	    .component = ical_object_kind(ical),
	    .is_recurring = ical_object_is_recurring(ical),
	};
	ical_object_span(ical, &obj.time_start, &obj.time_end);
	ical_object_free(&ical);
	if ((obj.component & coll.components) == 0) {
		*error_r = pool_printf(pool,
		                       "calendar %s does not take that "
		                       "kind of item",
		                       collection);
		return -1;
	}
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(data, size, etag);
	obj.etag = etag;
	bool created;
	uint64_t modseq;
	int ret = store_dav_object_put(local->account, coll.id, &obj, if_match,
	                               if_none_match, time(NULL), &created,
	                               &modseq, error_r);
	if (ret == STORE_DAV_PRECONDITION || ret == STORE_DAV_UID_CONFLICT) {
		*error_r = ret == STORE_DAV_UID_CONFLICT
		               ? "another item of the calendar has the UID"
		               : "changed meanwhile";
		return 1;
	}
	if (ret != 0) {
		*error_r = store_dav_last_error(local->account);
		return -1;
	}
	if (etag_r != NULL)
		*etag_r = pool_strdup(pool, etag);
	return 0;
}

int pr_cal_remove(struct pr_local *local, const char *collection,
                  const char *name, const char **error_r)
{
	struct pool *pool = pool_new();
	struct store_dav_collection coll;
	int ret = collection_id(local, collection, pool, &coll);
	if (ret > 0) {
		ret = store_dav_object_delete(local->account, coll.id, name,
		                              NULL, error_r);
		ret = ret == STORE_DAV_NOT_FOUND ? 0 : ret;
	} else if (ret == 0) {
		ret = 0;
	}
	if (ret < 0)
		*error_r = "cannot write the local store";
	pool_free(&pool);
	return ret < 0 ? -1 : 0;
}

int pr_cal_read(struct pr_local *local, const char *collection,
                const char *name, struct pool *pool,
                const unsigned char **data_r, size_t *size_r,
                const char **etag_r)
{
	struct store_dav_collection coll;
	int ret = collection_id(local, collection, pool, &coll);
	if (ret <= 0)
		return ret;
	struct store_dav_object obj;
	ret = store_dav_object_get(local->account, coll.id, name, true, pool,
	                           &obj);
	if (ret <= 0)
		return ret;
	*data_r = obj.data;
	*size_r = obj.size;
	*etag_r = obj.etag;
	return 1;
}

/* ---- Listing ------------------------------------------------------------- */

struct list_ctx {
	struct pool *pool;
	const struct ical_tz *tz;
	unsigned kinds;
	int64_t from, to;
	const char *collection;
	struct pr_cal_entry *list;
	size_t count, cap;
	const char *member; /* while an object's instances are added */
	int ret;
};

static void entry_add(struct list_ctx *l, const struct ical_item *item)
{
	if (l->count == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		struct pr_cal_entry *n =
		    pool_alloc(l->pool, l->cap * sizeof(*n));
		if (l->count > 0)
			memcpy(n, l->list, l->count * sizeof(*n));
		l->list = n;
	}
	l->list[l->count++] = (struct pr_cal_entry){
	    .item = *item, .collection = l->collection, .name = l->member};
}

static int item_cb(const struct ical_item *item, void *ctx)
{
	entry_add(ctx, item);
	return 0;
}

static int object_cb(const struct store_dav_object *obj, void *ctx)
{
	struct list_ctx *l = ctx;
	if ((obj->component & l->kinds) == 0)
		return 0;
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *ical;
	const char *error;
	if (ical_object_parse(obj->data, obj->size, &set, l->pool, &ical,
	                      &error) < 0)
		return 0; /* stored valid; a later libical may differ */
	l->member = pool_strdup(l->pool, obj->name);
	if (l->from == ICAL_TIME_MIN && l->to == ICAL_TIME_MAX) {
		struct ical_item item;
		ical_item_master(ical, l->tz, l->pool, &item);
		entry_add(l, &item);
	} else {
		(void)ical_item_each(ical, l->from, l->to, l->tz, l->pool,
		                     item_cb, l);
	}
	ical_object_free(&ical);
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct ical_item *x = &((const struct pr_cal_entry *)a)->item;
	const struct ical_item *y = &((const struct pr_cal_entry *)b)->item;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	int c = strcmp(x->summary, y->summary);
	return c != 0 ? c : strcmp(x->uid, y->uid);
}

int pr_cal_entries(struct pr_local *local, unsigned kinds, int64_t from,
                   int64_t to, const struct ical_tz *tz, struct pool *pool,
                   struct pr_cal_entry **entries_r, size_t *count_r)
{
	struct store_dav_collection *colls;
	size_t count;
	if (store_dav_collections(local->account, STORE_DAV_CALENDAR, pool,
	                          &colls, &count) < 0)
		return -1;
	struct list_ctx l = {
	    .pool = pool, .tz = tz, .kinds = kinds, .from = from, .to = to};
	/* the store's spans are widened for floating times: a window a day
	 * wider each way finds every candidate */
	int64_t lo = from == ICAL_TIME_MIN ? STORE_DAV_TIME_MIN : from - 86400;
	int64_t hi = to == ICAL_TIME_MAX ? STORE_DAV_TIME_MAX : to + 86400;
	for (size_t i = 0; i < count; i++) {
		if ((colls[i].components & kinds) == 0)
			continue;
		l.collection = colls[i].name;
		if (store_dav_objects_list(local->account, colls[i].id, lo, hi,
		                           true, object_cb, &l) < 0)
			return -1;
	}
	if (l.count > 1)
		qsort(l.list, l.count, sizeof(*l.list), entry_cmp);
	*entries_r = l.list;
	*count_r = l.count;
	return 0;
}

static int alarm_cmp(const void *a, const void *b)
{
	const struct pr_cal_alarm *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

int pr_cal_alarms(struct pr_local *local, int64_t from, int64_t to,
                  const struct ical_tz *tz, struct pool *pool,
                  struct pr_cal_alarm **alarms_r, size_t *count_r)
{
	struct pr_cal_entry *list;
	size_t count, n = 0, cap = 0;
	if (pr_cal_entries(local, ICAL_KIND_VEVENT | ICAL_KIND_VTODO, from,
	                   to + 7 * 86400, tz, pool, &list, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		cap += list[i].item.alarm_count;
	struct pr_cal_alarm *alarms =
	    pool_alloc(pool, (cap + 1) * sizeof(*alarms));
	for (size_t i = 0; i < count; i++) {
		const struct ical_item *it = &list[i].item;
		int64_t base =
		    it->kind == ICAL_KIND_VTODO ? it->due : it->start;
		for (size_t j = 0; j < it->alarm_count && base != ICAL_TIME_MIN;
		     j++) {
			int64_t at = base - it->alarms[j];
			if (at >= from && at < to)
				alarms[n++] = (struct pr_cal_alarm){
				    .entry = &list[i], .at = at, .base = base};
		}
	}
	if (n > 1)
		qsort(alarms, n, sizeof(*alarms), alarm_cmp);
	*alarms_r = alarms;
	*count_r = n;
	return 0;
}

int pr_cal_find(struct pr_local *local, const char *uid, unsigned kinds,
                const struct ical_tz *tz, struct pool *pool,
                struct pr_cal_entry *entry_r, const char **error_r)
{
	struct pr_cal_entry *list;
	size_t count, found = 0;
	if (pr_cal_entries(local, kinds, ICAL_TIME_MIN, ICAL_TIME_MAX, tz, pool,
	                   &list, &count) < 0) {
		*error_r = store_dav_last_error(local->account);
		return -1;
	}
	size_t len = strlen(uid);
	for (size_t i = 0; i < count; i++) {
		if (strcmp(list[i].item.uid, uid) == 0) {
			*entry_r = list[i];
			return 1;
		}
		if (len > 0 && strncmp(list[i].item.uid, uid, len) == 0) {
			if (found++ == 0)
				*entry_r = list[i];
		}
	}
	if (found > 1) {
		*error_r =
		    pool_printf(pool, "several items start with %s", uid);
		return -1;
	}
	return found == 1 ? 1 : 0;
}

/* Is the local calendar name followed on a server, and writable there? */
static int synced_state(struct pr_local *local, const char *name,
                        struct pool *pool)
{
	struct store_sync_dav_collection *colls;
	size_t count;
	if (store_sync_dav_collections(local->account, STORE_DAV_CALENDAR, pool,
	                               &colls, &count) < 0)
		return 0;
	for (size_t i = 0; i < count; i++)
		if (strcmp(colls[i].local_name, name) == 0)
			return colls[i].is_read_only ? -1 : 1;
	return 0;
}

const char *pr_cal_collection_for(struct pr_local *local, enum ical_kind kind,
                                  const char *want, struct pool *pool,
                                  const char **error_r)
{
	struct store_dav_collection *colls;
	size_t count;
	if (store_dav_collections(local->account, STORE_DAV_CALENDAR, pool,
	                          &colls, &count) < 0) {
		*error_r = store_dav_last_error(local->account);
		return NULL;
	}
	const char *first = NULL;
	for (size_t i = 0; i < count; i++) {
		if ((colls[i].components & kind) == 0)
			continue;
		int state = synced_state(local, colls[i].name, pool);
		if (want != NULL && strcmp(colls[i].name, want) == 0) {
			if (state < 0) {
				*error_r = pool_printf(pool,
				                       "calendar %s is "
				                       "read-only",
				                       want);
				return NULL;
			}
			return colls[i].name;
		}
		if (want == NULL && state > 0)
			return colls[i].name;
		if (first == NULL && state == 0)
			first = colls[i].name;
	}
	if (want != NULL || first == NULL) {
		*error_r = want != NULL
		               ? pool_printf(pool,
		                             "no calendar %s takes that "
		                             "kind of item",
		                             want)
		               : "no calendar takes that kind of item";
		return NULL;
	}
	return first;
}
