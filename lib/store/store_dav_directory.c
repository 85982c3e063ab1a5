/* The shared address book of each local domain (store_dav.h): one
 * collection per domain, named by it, in data_dir/accounts/0/mail.db (the
 * account schema; account ids start at 1), holding one card per account
 * of the domain that is not hidden (postroom.db's dav_directory keeps an
 * account's name and hidden flag). The book is reconciled with the
 * accounts when it is read: a fingerprint of the domain's accounts and
 * their directory rows (count, sum and largest id, sum of versions) is
 * kept in the book's meta table, and only when it differs are the cards
 * made again (by the caller's callback), compared by ETag, and written or
 * removed in one transaction, each change with its own MODSEQ and a
 * tombstone for a removed card, so sync-collection sees what changed. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_dav.h"
#include "store/store_dav_private.h"
#include "store/store_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DIRECTORY_ID 0 /* never an account's id */

int store_dav_directory_open(struct store *store, struct store_account **dir_r,
                             const char **error_r)
{
	static char error[256];
	char *dir = xasprintf("%s/%d", store->accounts_dir, DIRECTORY_ID);
	int ret = mkdir(dir, 0750);
	if (ret < 0 && errno != EEXIST) {
		snprintf(error, sizeof(error), "mkdir %s: %s", dir,
		         strerror(errno));
		*error_r = error;
		free(dir);
		return -1;
	}
	free(dir);
	if (store_account_db_open(store, DIRECTORY_ID, "", dir_r, error_r) < 0)
		return -1;
	/* the books' database gets none of an account's default
	 * collections */
	if (store_db_exec(&(*dir_r)->db,
	                  "INSERT OR IGNORE INTO meta (key, value)"
	                  " VALUES ('dav_defaults', 1)") < 0) {
		snprintf(error, sizeof(error), "%s", (*dir_r)->db.error.data);
		*error_r = error;
		store_account_close(dir_r);
		return -1;
	}
	return 0;
}

/* The fingerprint of domain's accounts and directory rows. Returns 1, 0
 * when domain is not local, -1. */
static int fingerprint(struct store *store, const char *domain, int64_t *fp_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT m.id, count(a.id), coalesce(sum(a.id), 0),"
	    " coalesce(max(a.id), 0), coalesce(sum(d.version), 0)"
	    " FROM domains m LEFT JOIN accounts a ON a.domain_id = m.id"
	    " LEFT JOIN dav_directory d ON d.account_id = a.id"
	    " WHERE m.name = ?1 GROUP BY m.id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		/* FNV-1a over the five numbers */
		uint64_t h = 14695981039346656037u;
		for (int col = 0; col < 5; col++) {
			uint64_t v = (uint64_t)sqlite3_column_int64(stmt, col);
			for (int i = 0; i < 8; i++) {
				h ^= (v >> (8 * i)) & 0xff;
				h *= 1099511628211u;
			}
		}
		*fp_r = (int64_t)(h & INT64_MAX);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "dav directory");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* The book's fingerprint as last made (0: never). */
static int fingerprint_kept(struct store_account *dir, const char *key,
                            int64_t *fp_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&dir->db, "SELECT value FROM meta WHERE key = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	*fp_r = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (store_db_fail(&dir->db, "dav directory"), -1);
	return 0;
}

static int object_name_cmp(const void *a, const void *b)
{
	const struct store_dav_object *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The cards the book should hold, sorted by name. */
struct wanted {
	struct store_dav_object *objs;
	size_t count;
};

static int wanted_make(struct store *store, const char *domain,
                       store_dav_card_cb *cb, void *ctx, struct pool *pool,
                       struct wanted *w)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT a.id, a.address, coalesce(d.name, '') FROM accounts a"
	    " JOIN domains m ON m.id = a.domain_id"
	    " LEFT JOIN dav_directory d ON d.account_id = a.id"
	    " WHERE m.name = ?1 AND coalesce(d.hidden, 0) = 0"
	    " ORDER BY a.address");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	size_t cap = 16;
	w->objs = pool_alloc(pool, cap * sizeof(*w->objs));
	w->count = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_dav_directory_entry e = {
		    .account_id = sqlite3_column_int64(stmt, 0),
		    .address = pool_strdup(pool, store_db_column_str(stmt, 1)),
		    .name = pool_strdup(pool, store_db_column_str(stmt, 2)),
		};
		if (w->count == cap) {
			struct store_dav_object *bigger =
			    pool_alloc(pool, 2 * cap * sizeof(*w->objs));
			memcpy(bigger, w->objs, cap * sizeof(*w->objs));
			w->objs = bigger;
			cap *= 2;
		}
		struct store_dav_object *obj = &w->objs[w->count];
		memset(obj, 0, sizeof(*obj));
		obj->time_start = STORE_DAV_TIME_MIN;
		obj->time_end = STORE_DAV_TIME_MAX;
		if (cb(&e, pool, obj, ctx) == 0 &&
		    store_dav_name_is_valid(obj->name))
			w->count++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return (store_db_fail(&store->db, "dav directory"), -1);
	qsort(w->objs, w->count, sizeof(*w->objs), object_name_cmp);
	return 0;
}

/* What the book holds now: name and ETag of each card, by name. */
struct held {
	const char **names, **etags;
	size_t count, cap;
	struct pool *pool;
};

static int held_cb(const struct store_dav_object *obj, void *ctx)
{
	struct held *h = ctx;
	if (h->count == h->cap) {
		size_t cap = h->cap == 0 ? 16 : 2 * h->cap;
		const char **names = pool_alloc(h->pool, cap * sizeof(*names));
		const char **etags = pool_alloc(h->pool, cap * sizeof(*etags));
		if (h->count > 0) {
			memcpy(names, h->names, h->count * sizeof(*names));
			memcpy(etags, h->etags, h->count * sizeof(*etags));
		}
		h->names = names;
		h->etags = etags;
		h->cap = cap;
	}
	h->names[h->count] = pool_strdup(h->pool, obj->name);
	h->etags[h->count++] = pool_strdup(h->pool, obj->etag);
	return 0;
}

/* Inside a transaction: the collection of domain, made when missing. */
static int book_id(struct store_account *dir, const char *domain, int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &dir->db,
	    "INSERT OR IGNORE INTO dav_collections (kind, name, displayname,"
	    " max_resource_size, created) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL)
		return -1;
	struct pool *pool = pool_new();
	sqlite3_bind_int(stmt, 1, STORE_DAV_ADDRESSBOOK);
	sqlite3_bind_text(stmt, 2, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, pool_printf(pool, "Directory of %s", domain),
	                  -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, STORE_DAV_DEFAULT_MAX_SIZE);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)time(NULL));
	int ret = store_db_step_done(&dir->db, stmt, NULL);
	pool_free(&pool);
	if (ret < 0)
		return -1;
	stmt = store_db_prepare(&dir->db, "SELECT id FROM dav_collections"
	                                  " WHERE kind = ?1 AND name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, STORE_DAV_ADDRESSBOOK);
	sqlite3_bind_text(stmt, 2, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_r = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : (store_db_fail(&dir->db, "book"), -1);
}

/* Inside a transaction: writes what changed between h and w, both by
 * name (a merge of the two lists). */
static int book_apply(struct store_account *dir, int64_t id,
                      const struct wanted *w, const struct held *h)
{
	time_t now = time(NULL);
	uint64_t modseq;
	size_t i = 0, j = 0;
	while (i < w->count || j < h->count) {
		int cmp = i == w->count ? 1
		          : j == h->count
		              ? -1
		              : strcmp(w->objs[i].name, h->names[j]);
		if (cmp == 0 && strcmp(w->objs[i].etag, h->etags[j]) == 0) {
			i++, j++;
			continue;
		}
		if (store_dav_bump(dir, id, &modseq) != 0)
			return -1;
		if (cmp <= 0) { /* new or changed */
			if (store_dav_object_row_write(dir, id, &w->objs[i],
			                               NULL, modseq, now) < 0)
				return -1;
			i++;
			j += cmp == 0;
		} else { /* gone */
			if (store_dav_object_row_remove(dir, id, h->names[j],
			                                modseq) < 0)
				return -1;
			j++;
		}
	}
	return 0;
}

/* Remakes the book in one transaction unless another process did it
 * meanwhile. Returns 0 or -1. */
static int book_remake(struct store_account *dir, const char *domain,
                       const char *key, int64_t fp, const struct wanted *w)
{
	struct held h = {.pool = pool_new()};
	const char *error;
	int64_t kept, id;
	int ret = -1;
	if (store_db_begin(&dir->db) < 0)
		goto out;
	if (fingerprint_kept(dir, key, &kept) < 0 || book_id(dir, domain, &id))
		goto rollback;
	if (kept == fp) {
		ret = store_dav_rollback(dir, 0);
		goto out;
	}
	if (store_dav_objects_list(dir, id, STORE_DAV_TIME_MIN,
	                           STORE_DAV_TIME_MAX, false, held_cb,
	                           &h) < 0 ||
	    book_apply(dir, id, w, &h) < 0)
		goto rollback;
	sqlite3_stmt *stmt = store_db_prepare(
	    &dir->db,
	    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
	if (stmt == NULL)
		goto rollback;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, fp);
	if (store_db_step_done(&dir->db, stmt, NULL) < 0)
		goto rollback;
	ret = store_dav_commit(dir, &error);
	goto out;
rollback:
	store_dav_rollback(dir, -1);
out:
	pool_free(&h.pool);
	return ret;
}

int store_dav_directory_sync(struct store *store, struct store_account *dir,
                             const char *domain, store_dav_card_cb *cb,
                             void *ctx, struct pool *pool,
                             struct store_dav_collection *coll_r)
{
	int64_t fp, kept;
	const char *key = pool_printf(pool, "directory:%s", domain);
	int ret = fingerprint(store, domain, &fp);
	if (ret <= 0)
		return ret;
	if (fingerprint_kept(dir, key, &kept) < 0)
		return -1;
	if (kept != fp) {
		struct pool *work = pool_new();
		struct wanted w;
		ret = wanted_make(store, domain, cb, ctx, work, &w);
		if (ret == 0)
			ret = book_remake(dir, domain, key, fp, &w);
		pool_free(&work);
		if (ret < 0)
			return -1;
	}
	ret = store_dav_collection_get(dir, STORE_DAV_ADDRESSBOOK, domain, pool,
	                               coll_r);
	if (ret == 0) /* a fingerprint without its book: made before */
		return (store_db_fail(&dir->db, "dav directory book gone"), -1);
	return ret;
}

int store_dav_directory_set(struct store *store, const char *address,
                            const char *name, int hidden, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int64_t id;
	int ret = -1;
	int found = addr == NULL ? 0 : store_account_get_id(store, addr, &id);
	if (found <= 0) {
		*error_r =
		    found == 0 ? "no such account" : store->db.error.data;
		goto out;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "INSERT INTO dav_directory (account_id, name, hidden, version)"
	    " VALUES (?1, coalesce(?2, ''), max(?3, 0), 1)"
	    " ON CONFLICT (account_id) DO UPDATE SET"
	    " name = coalesce(?2, name),"
	    " hidden = CASE WHEN ?3 < 0 THEN hidden ELSE ?3 END,"
	    " version = version + 1");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, id);
	if (name != NULL)
		sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, hidden < 0 ? -1 : hidden > 0);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

int store_dav_directory_get(struct store *store, const char *address,
                            struct pool *pool, const char **name_r,
                            bool *is_hidden_r)
{
	const char *addr = store_address_normalize(address, pool);
	if (addr == NULL)
		return 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT coalesce(d.name, ''), coalesce(d.hidden, 0) FROM accounts a"
	    " LEFT JOIN dav_directory d ON d.account_id = a.id"
	    " WHERE a.address = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*name_r = pool_strdup(pool, store_db_column_str(stmt, 0));
		*is_hidden_r = sqlite3_column_int(stmt, 1) != 0;
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "dav directory");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}
