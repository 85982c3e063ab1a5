/* The collections of a DAV sync: every calendar and address book in the
 * home set (RFC 4791 §6.2.1, RFC 6352 §7.1.1) is followed, kept in a
 * local collection of the same name (calendars) or in the local address
 * book (cards), and synced member by member (sync_dav_objects.c). A
 * collection gone from the server goes here too; a local calendar with
 * items the server has never had is made there (MKCALENDAR), and so is
 * an address book when there are contacts and the server has none to
 * write to. Read-only collections (the domain's shared address book) are
 * followed but never written to. */
#include "sync_dav.h"

#include "core/pool.h"
#include "dav/ical.h"
#include "store/store_contact.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct kind_sync {
	struct pr_dav dav;
	struct pr_local *local;
	enum dav_remote_kind kind;
	struct pr_sync_report *report;
	struct pool *pool;
	struct dav_remote_collection *remote;
	size_t remote_count;
	struct store_sync_dav_collection *rows;
	size_t row_count;
};

/* The last segment of a collection path ("/a/b/" -> "b"), from pool. */
static const char *collection_name(const char *path, struct pool *pool)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *start = path + len;
	while (start > path && start[-1] != '/')
		start--;
	return pool_strndup(pool, start, (size_t)(path + len - start));
}

static int rows_load(struct kind_sync *k)
{
	return store_sync_dav_collections(k->local->account, (int)k->kind,
	                                  k->pool, &k->rows, &k->row_count);
}

static const struct dav_remote_collection *remote_find(struct kind_sync *k,
                                                       const char *path)
{
	for (size_t i = 0; i < k->remote_count; i++)
		if (strcmp(k->remote[i].path, path) == 0)
			return &k->remote[i];
	return NULL;
}

static const struct store_sync_dav_collection *row_find(struct kind_sync *k,
                                                        const char *url)
{
	for (size_t i = 0; i < k->row_count; i++)
		if (strcmp(k->rows[i].url, url) == 0)
			return &k->rows[i];
	return NULL;
}

static bool name_is_followed(struct kind_sync *k, const char *name)
{
	for (size_t i = 0; i < k->row_count; i++)
		if (strcmp(k->rows[i].local_name, name) == 0)
			return true;
	return false;
}

/* A collection gone from the server: its local copy goes too. */
static int collection_gone(struct kind_sync *k,
                           const struct store_sync_dav_collection *row)
{
	struct store_dav_collection coll;
	const char *error;
	if (k->kind == DAV_REMOTE_CALENDAR &&
	    store_dav_collection_get(k->local->account, STORE_DAV_CALENDAR,
	                             row->local_name, k->pool, &coll) == 1 &&
	    store_dav_collection_delete(k->local->account, coll.id, &error) < 0)
		return -1;
	if (k->kind == DAV_REMOTE_ADDRESSBOOK) {
		struct store_contact *list;
		size_t count;
		if (store_contact_list(k->local->account, k->pool, &list,
		                       &count) < 0)
			return -1;
		for (size_t i = 0; i < count; i++) {
			int64_t owner;
			if (store_sync_dav_object_owner(
			        k->local->account, STORE_DAV_ADDRESSBOOK,
			        list[i].uid, &owner) == 1 &&
			    owner == row->id)
				(void)store_contact_delete(k->local->account,
				                           list[i].id);
		}
	}
	return store_sync_dav_collection_forget(k->local->account, row->id);
}

/* Follows a collection new on the server, in a local collection of its
 * name (or that name with a number, when taken by another). */
static int collection_follow(struct kind_sync *k,
                             const struct dav_remote_collection *r,
                             const char **error_r)
{
	const char *base = collection_name(r->path, k->pool), *name = base;
	for (unsigned n = 2;
	     name_is_followed(k, name) || !store_dav_name_is_valid(name); n++)
		name = pool_printf(k->pool, "%s-%u",
		                   store_dav_name_is_valid(base) ? base : "dav",
		                   n);
	struct store_dav_collection coll;
	if (k->kind == DAV_REMOTE_CALENDAR &&
	    store_dav_collection_get(k->local->account, STORE_DAV_CALENDAR,
	                             name, k->pool, &coll) == 0) {
		struct store_dav_collection c = {
		    .kind = STORE_DAV_CALENDAR,
		    .name = name,
		    .displayname = r->displayname,
		    .description = "",
		    .color = r->color,
		    .timezone = "",
		    .components = r->components,
		};
		int64_t id;
		if (store_dav_collection_create(k->local->account, &c, NULL, 0,
		                                time(NULL), &id, error_r) != 0)
			return -1;
	}
	struct store_sync_dav_collection row = {
	    .kind = (int)k->kind,
	    .url = r->path,
	    .local_name = name,
	    .displayname = r->displayname,
	    .is_read_only = r->is_read_only,
	};
	int64_t id;
	return store_sync_dav_collection_add(k->local->account, &row, &id,
	                                     error_r);
}

/* Adds a collection just made on the server to the remote list. */
static void remote_add(struct kind_sync *k, const char *path, const char *name,
                       unsigned components)
{
	struct dav_remote_collection *n =
	    pool_alloc(k->pool, (k->remote_count + 1) * sizeof(*n));
	if (k->remote_count > 0)
		memcpy(n, k->remote, k->remote_count * sizeof(*n));
	n[k->remote_count++] = (struct dav_remote_collection){
	    .path = path,
	    .displayname = name,
	    .color = "",
	    .components = components,
	    .has_sync = true,
	};
	k->remote = n;
}

static int object_any_cb(const struct store_dav_object *obj, void *ctx)
{
	(void)obj;
	*(bool *)ctx = true;
	return 1;
}

/* Local calendars the server has never had, with items: made there. */
static int calendars_push(struct kind_sync *k, const char **error_r)
{
	struct store_dav_collection *colls;
	size_t count;
	if (store_dav_collections(k->local->account, STORE_DAV_CALENDAR,
	                          k->pool, &colls, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		bool has_items = false;
		if (name_is_followed(k, colls[i].name) ||
		    store_dav_objects_list(k->local->account, colls[i].id,
		                           STORE_DAV_TIME_MIN,
		                           STORE_DAV_TIME_MAX, false,
		                           object_any_cb, &has_items) < 0 ||
		    !has_items)
			continue;
		const char *path = pool_printf(k->pool, "%s%s/",
		                               k->dav.home.home, colls[i].name);
		const char *name = colls[i].displayname[0] != '\0'
		                       ? colls[i].displayname
		                       : colls[i].name;
		if (remote_find(k, path) == NULL &&
		    dav_remote_make(k->dav.client, path, DAV_REMOTE_CALENDAR,
		                    name, colls[i].components, k->pool,
		                    error_r) < 0)
			return -1;
		struct store_sync_dav_collection row = {
		    .kind = STORE_DAV_CALENDAR,
		    .url = path,
		    .local_name = colls[i].name,
		    .displayname = name,
		};
		int64_t id;
		if (remote_find(k, path) == NULL)
			remote_add(k, path, name, colls[i].components);
		if (store_sync_dav_collection_add(k->local->account, &row, &id,
		                                  error_r) < 0)
			return -1;
	}
	return 0;
}

/* The writable address book new contacts go to: "contacts" if there is
 * one, else the first. NULL when none. */
static const struct dav_remote_collection *default_book(struct kind_sync *k)
{
	const struct dav_remote_collection *first = NULL;
	for (size_t i = 0; i < k->remote_count; i++) {
		const struct dav_remote_collection *r = &k->remote[i];
		if (r->is_read_only)
			continue;
		if (strcmp(collection_name(r->path, k->pool), "contacts") == 0)
			return r;
		if (first == NULL)
			first = r;
	}
	return first;
}

/* Contacts and no writable address book there: one is made. */
static int book_push(struct kind_sync *k, const char **error_r)
{
	struct store_contact *list;
	size_t count;
	if (default_book(k) != NULL ||
	    store_contact_list(k->local->account, k->pool, &list, &count) < 0 ||
	    count == 0)
		return 0;
	const char *path =
	    pool_printf(k->pool, "%scontacts/", k->dav.home.home);
	if (dav_remote_make(k->dav.client, path, DAV_REMOTE_ADDRESSBOOK,
	                    "Contacts", 0, k->pool, error_r) < 0)
		return -1;
	remote_add(k, path, "Contacts", 0);
	return 0;
}

static int collections_sync(struct kind_sync *k, const char **error_r)
{
	const struct dav_remote_collection *book = default_book(k);
	int ret = 0;
	for (size_t i = 0; i < k->row_count; i++) {
		struct store_sync_dav_collection *row = &k->rows[i];
		const struct dav_remote_collection *r =
		    remote_find(k, row->url);
		if (r == NULL)
			continue;
		struct pr_dav_side side = {
		    .ops = k->kind == DAV_REMOTE_CALENDAR
		               ? &pr_dav_calendar_ops
		               : &pr_dav_contacts_ops,
		    .local = k->local,
		    .collection = row->local_name,
		    .sync_id = row->id,
		    .is_default_book = r == book,
		};
		const char *error;
		if (pr_sync_dav_collection(&k->dav, &side, row, r,
		                           r->is_read_only, k->report, k->pool,
		                           &error) < 0) {
			*error_r = error;
			ret = -1;
		}
	}
	return ret;
}

static int kind_sync(struct kind_sync *k, const char **error_r)
{
	if (dav_remote_collections(k->dav.client, k->dav.home.home, k->kind,
	                           k->pool, &k->remote, &k->remote_count,
	                           error_r) < 0 ||
	    rows_load(k) < 0)
		return -1;
	for (size_t i = 0; i < k->row_count; i++)
		if (remote_find(k, k->rows[i].url) == NULL &&
		    collection_gone(k, &k->rows[i]) < 0)
			return -1;
	if (rows_load(k) < 0)
		return -1;
	if ((k->kind == DAV_REMOTE_CALENDAR ? calendars_push(k, error_r)
	                                    : book_push(k, error_r)) < 0)
		return -1;
	if (rows_load(k) < 0)
		return -1;
	for (size_t i = 0; i < k->remote_count; i++)
		if (row_find(k, k->remote[i].path) == NULL) {
			if (collection_follow(k, &k->remote[i], error_r) < 0 ||
			    rows_load(k) < 0)
				return -1;
		}
	return collections_sync(k, error_r);
}

int pr_sync_dav(const struct pr_config *config,
                const struct pr_account *account, struct pr_local *local,
                struct pr_sync_report *report, struct pool *pool,
                const char **error_r)
{
	static const enum dav_remote_kind kinds[] = {DAV_REMOTE_CALENDAR,
	                                             DAV_REMOTE_ADDRESSBOOK};
	int ret = 0;
	for (size_t i = 0; i < 2; i++) {
		if (pr_dav_url(account, kinds[i]) == NULL)
			continue;
		struct kind_sync k = {.local = local,
		                      .kind = kinds[i],
		                      .report = report,
		                      .pool = pool};
		const char *error = NULL;
		if (pr_dav_open(config, account, kinds[i], pool, &k.dav,
		                &error) < 0) {
			*error_r = error;
			ret = -1;
			continue;
		}
		if (kinds[i] == DAV_REMOTE_CALENDAR)
			(void)store_sync_dav_meta_set(
			    local->account, "auto_schedule",
			    k.dav.home.is_auto_schedule ? 1 : 0);
		if (kind_sync(&k, &error) < 0) {
			*error_r = error != NULL
			               ? error
			               : "cannot read or write the local store";
			ret = -1;
		}
		pr_dav_close(&k.dav);
	}
	return ret;
}
