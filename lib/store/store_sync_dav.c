/* What a client remembers of a CalDAV/CardDAV server (store_sync_dav.h):
 * the collections it follows with their RFC 6578 sync tokens and CTags,
 * and per member the href and the ETags both sides last agreed on (RFC
 * 9110 §8.8.3 entity-tags, compared as strings). */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"
#include "store/store_sync_dav.h"

#include <stdio.h>
#include <string.h>

static const char *or_empty(const char *str)
{
	return str != NULL ? str : "";
}

int store_sync_dav_collection_add(struct store_account *account,
                                  const struct store_sync_dav_collection *c,
                                  int64_t *id_r, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO sync_dav_collections (kind, url, local_name,"
	    " displayname, read_only, sync_token, ctag)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_int(stmt, 1, c->kind);
	sqlite3_bind_text(stmt, 2, c->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, c->local_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, or_empty(c->displayname), -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, c->is_read_only ? 1 : 0);
	sqlite3_bind_text(stmt, 6, or_empty(c->sync_token), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, or_empty(c->ctag), -1, SQLITE_STATIC);
	bool is_constraint = false;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0) {
		*error_r = is_constraint ? "collection followed already"
		                         : account->db.error.data;
		return -1;
	}
	*id_r = sqlite3_last_insert_rowid(account->db.db);
	return 0;
}

int store_sync_dav_collection_update(struct store_account *account, int64_t id,
                                     const struct store_sync_dav_collection *c)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE sync_dav_collections SET displayname = ?2, read_only = ?3,"
	    " sync_token = ?4, ctag = ?5 WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, or_empty(c->displayname), -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, c->is_read_only ? 1 : 0);
	sqlite3_bind_text(stmt, 4, or_empty(c->sync_token), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, or_empty(c->ctag), -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_sync_dav_collections(struct store_account *account, int kind,
                               struct pool *pool,
                               struct store_sync_dav_collection **colls_r,
                               size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT id, kind, url, local_name, displayname, read_only,"
	    " sync_token, ctag FROM sync_dav_collections"
	    " WHERE ?1 = 0 OR kind = ?1 ORDER BY local_name, id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, kind);
	size_t count = 0, cap = 0;
	struct store_sync_dav_collection *colls = NULL;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			struct store_sync_dav_collection *n =
			    pool_alloc(pool, cap * sizeof(*n));
			if (count > 0)
				memcpy(n, colls, count * sizeof(*n));
			colls = n;
		}
		struct store_sync_dav_collection *c = &colls[count++];
		c->id = sqlite3_column_int64(stmt, 0);
		c->kind = sqlite3_column_int(stmt, 1);
		c->url = pool_strdup(pool, store_db_column_str(stmt, 2));
		c->local_name = pool_strdup(pool, store_db_column_str(stmt, 3));
		c->displayname =
		    pool_strdup(pool, store_db_column_str(stmt, 4));
		c->is_read_only = sqlite3_column_int(stmt, 5) != 0;
		c->sync_token = pool_strdup(pool, store_db_column_str(stmt, 6));
		c->ctag = pool_strdup(pool, store_db_column_str(stmt, 7));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync dav collections");
		return -1;
	}
	*colls_r = colls;
	*count_r = count;
	return 0;
}

int store_sync_dav_collection_forget(struct store_account *account, int64_t id)
{
	if (store_db_begin(&account->db) < 0)
		return -1;
	static const char *const sql[] = {
	    "DELETE FROM sync_dav_objects WHERE collection_id = ?1",
	    "DELETE FROM sync_dav_collections WHERE id = ?1",
	};
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *stmt = store_db_prepare(&account->db, sql[i]);
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			goto fail;
	}
	return store_db_commit(&account->db);
fail:
	store_db_rollback(&account->db);
	return -1;
}

int store_sync_dav_object_set(struct store_account *account, int64_t coll_id,
                              const struct store_sync_dav_object *obj)
{
	/* OR REPLACE drops every row in conflict with either key: one row
	 * per local key and per href */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT OR REPLACE INTO sync_dav_objects (collection_id,"
	    " local_key, href, remote_etag, local_etag)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, obj->local_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, obj->href, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, or_empty(obj->remote_etag), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, or_empty(obj->local_etag), -1,
	                  SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_sync_dav_object_del(struct store_account *account, int64_t coll_id,
                              const char *local_key)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "DELETE FROM sync_dav_objects"
	                  " WHERE collection_id = ?1 AND local_key = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, local_key, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	return sqlite3_changes(account->db.db) > 0 ? 1 : 0;
}

/* Columns: local_key, href, remote_etag, local_etag. */
static void object_read(sqlite3_stmt *stmt, struct store_sync_dav_object *obj)
{
	obj->local_key = store_db_column_str(stmt, 0);
	obj->href = store_db_column_str(stmt, 1);
	obj->remote_etag = store_db_column_str(stmt, 2);
	obj->local_etag = store_db_column_str(stmt, 3);
}

static int object_get(struct store_account *account, sqlite3_stmt *stmt,
                      int64_t coll_id, const char *value, struct pool *pool,
                      struct store_sync_dav_object *obj_r)
{
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		object_read(stmt, obj_r);
		obj_r->local_key = pool_strdup(pool, obj_r->local_key);
		obj_r->href = pool_strdup(pool, obj_r->href);
		obj_r->remote_etag = pool_strdup(pool, obj_r->remote_etag);
		obj_r->local_etag = pool_strdup(pool, obj_r->local_etag);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync dav object");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_dav_object_by_key(struct store_account *account, int64_t coll_id,
                                 const char *local_key, struct pool *pool,
                                 struct store_sync_dav_object *obj_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT local_key, href, remote_etag, local_etag FROM"
	    " sync_dav_objects WHERE collection_id = ?1 AND local_key = ?2");
	if (stmt == NULL)
		return -1;
	return object_get(account, stmt, coll_id, local_key, pool, obj_r);
}

int store_sync_dav_object_by_href(struct store_account *account,
                                  int64_t coll_id, const char *href,
                                  struct pool *pool,
                                  struct store_sync_dav_object *obj_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT local_key, href, remote_etag, local_etag FROM"
	    " sync_dav_objects WHERE collection_id = ?1 AND href = ?2");
	if (stmt == NULL)
		return -1;
	return object_get(account, stmt, coll_id, href, pool, obj_r);
}

int store_sync_dav_object_owner(struct store_account *account, int kind,
                                const char *local_key, int64_t *coll_id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT o.collection_id FROM sync_dav_objects o"
	    " JOIN sync_dav_collections c ON c.id = o.collection_id"
	    " WHERE c.kind = ?1 AND o.local_key = ?2 LIMIT 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, kind);
	sqlite3_bind_text(stmt, 2, local_key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*coll_id_r = sqlite3_column_int64(stmt, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync dav owner");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_dav_objects(struct store_account *account, int64_t coll_id,
                           store_sync_dav_object_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT local_key, href, remote_etag, local_etag FROM"
	    " sync_dav_objects WHERE collection_id = ?1 ORDER BY local_key");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sync_dav_object obj;
		object_read(stmt, &obj);
		ret = cb(&obj, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync dav objects");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* The meta table's key for key: "sync_dav_<key>". */
static void meta_key(const char *key, char out[80])
{
	snprintf(out, 80, "sync_dav_%.64s", key);
}

int64_t store_sync_dav_meta_get(struct store_account *account, const char *key,
                                int64_t def)
{
	char name[80];
	meta_key(key, name);
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT value FROM meta WHERE key = ?1");
	if (stmt == NULL)
		return def;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	int64_t value = def;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return value;
}

int store_sync_dav_meta_set(struct store_account *account, const char *key,
                            int64_t value)
{
	char name[80];
	meta_key(key, name);
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, value);
	return store_db_step_done(&account->db, stmt, NULL);
}
