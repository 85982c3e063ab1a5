/* Members of calendar and address book collections (store_dav.h): put
 * with the If-Match / If-None-Match check and UID uniqueness in the same
 * transaction (RFC 4918 §9.7, RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1),
 * delete and move leaving tombstones, copy, listing by time span, and
 * the changes since a MODSEQ for sync-collection (RFC 6578 §3). Bytes
 * over STORE_DAV_INLINE_MAX are written as a blob (synced) before the row
 * that names it is committed, as message bodies are. */
#include "core/pool.h"
#include "store/store_dav.h"
#include "store/store_dav_private.h"
#include "store/store_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define OBJECT_COLUMNS                                                         \
	"SELECT collection_id, name, uid, etag, modseq, content_type, size,"   \
	" component, time_start, time_end, recurring, created, updated,"       \
	" data, blob_id FROM dav_objects"

/* Reads blob_id's size bytes into pool (NUL-terminated). Returns 0 or -1
 * with errno. */
static int blob_read(struct store_account *account, const char *blob_id,
                     uint64_t size, struct pool *pool,
                     const unsigned char **data_r)
{
	int fd = store_blob_open(account->store, blob_id);
	if (fd < 0)
		return -1;
	unsigned char *data = pool_alloc(pool, size + 1);
	uint64_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		got += (uint64_t)n;
	}
	close(fd);
	*data_r = data;
	return 0;
}

static int64_t time_column(sqlite3_stmt *stmt, int col, int64_t unbounded)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return unbounded;
	return sqlite3_column_int64(stmt, col);
}

/* Fills obj from a row of OBJECT_COLUMNS; the data too when with_data.
 * Returns 0 or -1 (a blob that cannot be read). */
static int object_read(struct store_account *account, sqlite3_stmt *stmt,
                       bool with_data, struct pool *pool,
                       struct store_dav_object *obj)
{
	memset(obj, 0, sizeof(*obj));
	obj->collection_id = sqlite3_column_int64(stmt, 0);
	obj->name = pool_strdup(pool, store_db_column_str(stmt, 1));
	obj->uid = pool_strdup(pool, store_db_column_str(stmt, 2));
	obj->etag = pool_strdup(pool, store_db_column_str(stmt, 3));
	obj->modseq = (uint64_t)sqlite3_column_int64(stmt, 4);
	obj->content_type = pool_strdup(pool, store_db_column_str(stmt, 5));
	obj->size = (uint64_t)sqlite3_column_int64(stmt, 6);
	obj->component = (unsigned)sqlite3_column_int(stmt, 7);
	obj->time_start = time_column(stmt, 8, STORE_DAV_TIME_MIN);
	obj->time_end = time_column(stmt, 9, STORE_DAV_TIME_MAX);
	obj->is_recurring = sqlite3_column_int(stmt, 10) != 0;
	obj->created = (time_t)sqlite3_column_int64(stmt, 11);
	obj->updated = (time_t)sqlite3_column_int64(stmt, 12);
	if (!with_data)
		return 0;
	if (sqlite3_column_type(stmt, 13) != SQLITE_NULL) {
		unsigned char *data = pool_alloc(pool, obj->size + 1);
		if (obj->size > 0)
			memcpy(data, sqlite3_column_blob(stmt, 13), obj->size);
		obj->data = data;
		return 0;
	}
	if (blob_read(account, store_db_column_str(stmt, 14), obj->size, pool,
	              &obj->data) < 0) {
		buf_truncate(&account->db.error, 0);
		buf_printf(&account->db.error, "dav blob %s: %s",
		           store_db_column_str(stmt, 14), strerror(errno));
		return -1;
	}
	return 0;
}

int store_dav_object_get(struct store_account *account, int64_t coll_id,
                         const char *name, bool with_data, struct pool *pool,
                         struct store_dav_object *obj_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, OBJECT_COLUMNS
	                     " WHERE collection_id = ?1 AND name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW)
		ret = object_read(account, stmt, with_data, pool, obj_r) < 0
		          ? -1
		          : 1;
	else if (rc != SQLITE_DONE)
		ret = (store_db_fail(&account->db, "dav object"), -1);
	sqlite3_reset(stmt);
	return ret;
}

int store_dav_object_find_uid(struct store_account *account, int64_t coll_id,
                              const char *uid, struct pool *pool,
                              const char **name_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT name FROM dav_objects WHERE collection_id = ?1"
	    " AND uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, uid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*name_r = pool_strdup(pool, store_db_column_str(stmt, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = (store_db_fail(&account->db, "dav uid"), -1);
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_dav_object_find_any(struct store_account *account,
                              enum store_dav_kind kind, const char *uid,
                              struct pool *pool,
                              struct store_dav_collection *coll_r,
                              struct store_dav_object *obj_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT o.collection_id, o.name FROM dav_objects o"
	    " JOIN dav_collections c ON c.id = o.collection_id"
	    " WHERE c.kind = ?1 AND o.uid = ?2 ORDER BY c.id LIMIT 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, (int)kind);
	sqlite3_bind_text(stmt, 2, uid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	int64_t coll_id = 0;
	const char *name = NULL;
	if (rc == SQLITE_ROW) {
		coll_id = sqlite3_column_int64(stmt, 0);
		name = pool_strdup(pool, store_db_column_str(stmt, 1));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE
		           ? 0
		           : (store_db_fail(&account->db, "dav find"), -1);
	int ret =
	    store_dav_collection_get_by_id(account, coll_id, pool, coll_r);
	if (ret == 1)
		ret = store_dav_object_get(account, coll_id, name, true, pool,
		                           obj_r);
	return ret;
}

/* Inside a transaction: the etag of member name (NULL when absent) into
 * *etag_r, from pool. Returns 0 or -1. */
static int current_etag(struct store_account *account, int64_t coll_id,
                        const char *name, struct pool *pool,
                        const char **etag_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT etag FROM dav_objects WHERE collection_id = ?1"
	    " AND name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	*etag_r = rc == SQLITE_ROW
	              ? pool_strdup(pool, store_db_column_str(stmt, 0))
	              : NULL;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (store_db_fail(&account->db, "dav etag"), -1);
	return 0;
}

/* Inside a transaction: does another member than name and other hold
 * uid? Returns 1, 0, or -1. */
static int uid_taken(struct store_account *account, int64_t coll_id,
                     const char *uid, const char *name, const char *other)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM dav_objects WHERE collection_id = ?1"
	                  " AND uid = ?2 AND name != ?3 AND name != ?4");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, other != NULL ? other : name, -1,
	                  SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (store_db_fail(&account->db, "dav uid"), -1);
	return rc == SQLITE_ROW;
}

static void bind_time(sqlite3_stmt *stmt, int col, int64_t t)
{
	if (t == STORE_DAV_TIME_MIN || t == STORE_DAV_TIME_MAX)
		sqlite3_bind_null(stmt, col);
	else
		sqlite3_bind_int64(stmt, col, t);
}

int store_dav_object_row_write(struct store_account *account, int64_t coll_id,
                               const struct store_dav_object *obj,
                               const char *blob_id, uint64_t modseq, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO dav_objects (collection_id, name, uid, etag, modseq,"
	    " content_type, size, data, blob_id, component, time_start,"
	    " time_end, recurring, created, updated) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
	    " ON CONFLICT (collection_id, name) DO UPDATE SET uid = ?3,"
	    " etag = ?4, modseq = ?5, content_type = ?6, size = ?7, data = ?8,"
	    " blob_id = ?9, component = ?10, time_start = ?11, time_end = ?12,"
	    " recurring = ?13, updated = ?14");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, obj->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, obj->uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, obj->etag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)modseq);
	sqlite3_bind_text(stmt, 6, obj->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)obj->size);
	if (blob_id == NULL)
		sqlite3_bind_blob64(stmt, 8,
		                    obj->data != NULL ? (const void *)obj->data
		                                      : (const void *)"",
		                    obj->size, SQLITE_STATIC);
	else
		sqlite3_bind_text(stmt, 9, blob_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 10, (int)obj->component);
	bind_time(stmt, 11, obj->time_start);
	bind_time(stmt, 12, obj->time_end);
	sqlite3_bind_int(stmt, 13, obj->is_recurring);
	sqlite3_bind_int64(stmt, 14, (sqlite3_int64)now);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	stmt =
	    store_db_prepare(&account->db, "DELETE FROM dav_tombstones WHERE"
	                                   " collection_id = ?1 AND name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, obj->name, -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

/* Writes data as a durable blob. Returns 0 with blob_id_r, or -1. */
static int blob_write(struct store_account *account, const void *data,
                      size_t size, char blob_id_r[STORE_BLOB_ID_LEN + 1],
                      const char **error_r)
{
	struct store_blob_writer *w;
	uint64_t written;
	if (store_blob_begin(account->store, &w, error_r) < 0)
		return -1;
	if (store_blob_write(w, data, size) < 0) {
		store_blob_abort(&w);
		*error_r = "dav blob write failed";
		return -1;
	}
	return store_blob_finish(&w, blob_id_r, &written, error_r);
}

/* Inside a transaction: the If-Match / If-None-Match check and the UID.
 * Returns 0, STORE_DAV_PRECONDITION, STORE_DAV_UID_CONFLICT, or -1. */
static int put_check(struct store_account *account, int64_t coll_id,
                     const struct store_dav_object *obj, const char *if_match,
                     bool if_none_match, bool *created_r)
{
	struct pool *pool = pool_new();
	const char *etag;
	int ret = current_etag(account, coll_id, obj->name, pool, &etag);
	if (ret == 0) {
		*created_r = etag == NULL;
		if ((if_none_match && etag != NULL) ||
		    (if_match != NULL &&
		     (etag == NULL || strcmp(etag, if_match) != 0)))
			ret = STORE_DAV_PRECONDITION;
	}
	if (ret == 0) {
		int taken =
		    uid_taken(account, coll_id, obj->uid, obj->name, NULL);
		ret = taken < 0 ? -1 : taken ? STORE_DAV_UID_CONFLICT : 0;
	}
	pool_free(&pool);
	return ret;
}

int store_dav_object_put(struct store_account *account, int64_t coll_id,
                         const struct store_dav_object *obj,
                         const char *if_match, bool if_none_match, time_t now,
                         bool *created_r, uint64_t *modseq_r,
                         const char **error_r)
{
	char blob_id[STORE_BLOB_ID_LEN + 1];
	bool is_blob = obj->size > STORE_DAV_INLINE_MAX;
	if (!store_dav_name_is_valid(obj->name)) {
		*error_r = "invalid name";
		return -1;
	}
	if (is_blob &&
	    blob_write(account, obj->data, obj->size, blob_id, error_r) < 0)
		return -1;
	if (store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav put", error_r);
	int ret = store_dav_bump(account, coll_id, modseq_r);
	if (ret == 0)
		ret = put_check(account, coll_id, obj, if_match, if_none_match,
		                created_r);
	if (ret == 0 && store_dav_object_row_write(account, coll_id, obj,
	                                           is_blob ? blob_id : NULL,
	                                           *modseq_r, now) < 0)
		ret = -1;
	if (ret != 0) {
		if (ret < 0)
			*error_r = account->db.error.data;
		return store_dav_rollback(account, ret);
	}
	return store_dav_commit(account, error_r);
}

int store_dav_object_row_remove(struct store_account *account, int64_t coll_id,
                                const char *name, uint64_t modseq)
{
	static const char *const sql[] = {
	    "DELETE FROM dav_objects WHERE collection_id = ?1 AND name = ?2",
	    "DELETE FROM dav_props WHERE collection_id = ?1 AND object = ?2",
	    "INSERT OR REPLACE INTO dav_tombstones (collection_id, name,"
	    " modseq) VALUES (?1, ?2, ?3)",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
		sqlite3_stmt *stmt = store_db_prepare(&account->db, sql[i]);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, coll_id);
		sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
		if (i == 2)
			sqlite3_bind_int64(stmt, 3, (sqlite3_int64)modseq);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	return 0;
}

int store_dav_object_delete(struct store_account *account, int64_t coll_id,
                            const char *name, const char *if_match,
                            const char **error_r)
{
	struct pool *pool = pool_new();
	const char *etag;
	uint64_t modseq;
	int ret = -1;
	if (store_db_begin(&account->db) < 0) {
		ret = store_dav_fail(account, "dav delete", error_r);
		goto out;
	}
	ret = current_etag(account, coll_id, name, pool, &etag);
	if (ret == 0 && etag == NULL)
		ret = STORE_DAV_NOT_FOUND;
	else if (ret == 0 && if_match != NULL && strcmp(etag, if_match) != 0)
		ret = STORE_DAV_PRECONDITION;
	if (ret == 0)
		ret = store_dav_bump(account, coll_id, &modseq);
	if (ret == 0 &&
	    store_dav_object_row_remove(account, coll_id, name, modseq) < 0)
		ret = -1;
	if (ret != 0) {
		if (ret < 0)
			*error_r = account->db.error.data;
		ret = store_dav_rollback(account, ret);
		goto out;
	}
	ret = store_dav_commit(account, error_r);
out:
	pool_free(&pool);
	return ret;
}

static const char *const copy_sql[] = {
    "DELETE FROM dav_objects WHERE collection_id = ?3 AND name = ?4",
    "DELETE FROM dav_props WHERE collection_id = ?3 AND object = ?4",
    "DELETE FROM dav_tombstones WHERE collection_id = ?3 AND name = ?4",
    "INSERT INTO dav_objects (collection_id, name, uid, etag, modseq,"
    " content_type, size, data, blob_id, component, time_start,"
    " time_end, recurring, created, updated) SELECT ?3, ?4, uid, etag,"
    " ?5, content_type, size, data, blob_id, component, time_start,"
    " time_end, recurring, ?6, ?6 FROM dav_objects"
    " WHERE collection_id = ?1 AND name = ?2",
    "INSERT INTO dav_props (collection_id, object, ns, name, value)"
    " SELECT ?3, ?4, ns, name, value FROM dav_props"
    " WHERE collection_id = ?1 AND object = ?2",
};

/* A move renames the row in place: a copy would hold the UID twice in
 * one collection for a moment, which the UNIQUE index refuses. */
static const char *const move_sql[] = {
    "DELETE FROM dav_objects WHERE collection_id = ?3 AND name = ?4",
    "DELETE FROM dav_props WHERE collection_id = ?3 AND object = ?4",
    "DELETE FROM dav_tombstones WHERE collection_id = ?3 AND name = ?4",
    "UPDATE dav_objects SET collection_id = ?3, name = ?4, modseq = ?5,"
    " updated = ?6 WHERE collection_id = ?1 AND name = ?2",
    "UPDATE dav_props SET collection_id = ?3, object = ?4"
    " WHERE collection_id = ?1 AND object = ?2",
};

/* Inside a transaction: copies or moves the row of from_name to to_name
 * of to_coll at modseq, with its dead properties, replacing what was
 * there. Returns 0 or -1. */
static int row_copy(struct store_account *account, int64_t from_coll,
                    const char *from_name, int64_t to_coll, const char *to_name,
                    bool move, uint64_t modseq, time_t now)
{
	const char *const *sql = move ? move_sql : copy_sql;
	for (size_t i = 0; i < sizeof(copy_sql) / sizeof(*copy_sql); i++) {
		sqlite3_stmt *stmt = store_db_prepare(&account->db, sql[i]);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, from_coll);
		sqlite3_bind_text(stmt, 2, from_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, to_coll);
		sqlite3_bind_text(stmt, 4, to_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 5, (sqlite3_int64)modseq);
		sqlite3_bind_int64(stmt, 6, (sqlite3_int64)now);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Inside a transaction: a tombstone for name of coll_id at modseq. */
static int tombstone_add(struct store_account *account, int64_t coll_id,
                         const char *name, uint64_t modseq)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR REPLACE INTO dav_tombstones"
	                  " (collection_id, name, modseq) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)modseq);
	return store_db_step_done(&account->db, stmt, NULL);
}

/* Inside a transaction: the checks of a copy or move. */
static int copy_check(struct store_account *account, int64_t from_coll,
                      const char *from_name, int64_t to_coll,
                      const char *to_name, bool move, bool overwrite,
                      bool *created_r)
{
	struct pool *pool = pool_new();
	struct store_dav_object src;
	const char *etag;
	int ret = store_dav_object_get(account, from_coll, from_name, false,
	                               pool, &src);
	ret = ret < 0 ? -1 : ret == 0 ? STORE_DAV_NOT_FOUND : 0;
	if (ret == 0)
		ret = current_etag(account, to_coll, to_name, pool, &etag);
	if (ret == 0) {
		*created_r = etag == NULL;
		if (etag != NULL && !overwrite)
			ret = STORE_DAV_EXISTS;
	}
	if (ret == 0) {
		/* a move within a collection takes the UID along */
		const char *other =
		    move && from_coll == to_coll ? from_name : NULL;
		int taken =
		    uid_taken(account, to_coll, src.uid, to_name, other);
		ret = taken < 0 ? -1 : taken ? STORE_DAV_UID_CONFLICT : 0;
	}
	pool_free(&pool);
	return ret;
}

int store_dav_object_copy(struct store_account *account, int64_t from_coll,
                          const char *from_name, int64_t to_coll,
                          const char *to_name, bool move, bool overwrite,
                          time_t now, bool *created_r, const char **error_r)
{
	uint64_t to_modseq, from_modseq;
	if (!store_dav_name_is_valid(to_name)) {
		*error_r = "invalid name";
		return -1;
	}
	if (from_coll == to_coll && strcmp(from_name, to_name) == 0) {
		*error_r = "source and destination are the same";
		return -1;
	}
	if (store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav copy", error_r);
	int ret = copy_check(account, from_coll, from_name, to_coll, to_name,
	                     move, overwrite, created_r);
	if (ret == 0)
		ret = store_dav_bump(account, to_coll, &to_modseq);
	if (ret == 0 && row_copy(account, from_coll, from_name, to_coll,
	                         to_name, move, to_modseq, now) < 0)
		ret = -1;
	if (ret == 0 && move) {
		ret = store_dav_bump(account, from_coll, &from_modseq);
		if (ret == 0 && tombstone_add(account, from_coll, from_name,
		                              from_modseq) < 0)
			ret = -1;
	}
	if (ret != 0) {
		if (ret < 0)
			*error_r = account->db.error.data;
		return store_dav_rollback(account, ret);
	}
	return store_dav_commit(account, error_r);
}

int store_dav_objects_list(struct store_account *account, int64_t coll_id,
                           int64_t start, int64_t end, bool with_data,
                           store_dav_object_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, OBJECT_COLUMNS
	                     " WHERE collection_id = ?1"
	                     " AND (?3 IS NULL OR time_start IS NULL"
	                     "  OR time_start < ?3)"
	                     " AND (?2 IS NULL OR time_end IS NULL"
	                     "  OR time_end > ?2) ORDER BY name");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	bind_time(stmt, 2, start);
	bind_time(stmt, 3, end);
	struct pool *pool = pool_new();
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_dav_object obj;
		if (object_read(account, stmt, with_data, pool, &obj) < 0)
			ret = -1;
		else
			ret = cb(&obj, ctx);
		pool_clear(pool);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = (store_db_fail(&account->db, "dav list"), -1);
	sqlite3_reset(stmt);
	pool_free(&pool);
	return ret;
}

/* The collection's MODSEQ and tombstone horizon. Returns 1, 0 (no such
 * collection), -1. */
static int collection_modseqs(struct store_account *account, int64_t coll_id,
                              uint64_t *modseq_r, uint64_t *horizon_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT modseq, tombstone_horizon"
	                  " FROM dav_collections WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*modseq_r = (uint64_t)sqlite3_column_int64(stmt, 0);
		*horizon_r = (uint64_t)sqlite3_column_int64(stmt, 1);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = (store_db_fail(&account->db, "dav collection"), -1);
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_dav_changes(struct store_account *account, int64_t coll_id,
                      uint64_t since, store_dav_change_cb *cb, void *ctx)
{
	uint64_t modseq, horizon;
	int ret = collection_modseqs(account, coll_id, &modseq, &horizon);
	if (ret <= 0)
		return ret < 0 ? -1 : STORE_DAV_TOKEN_INVALID;
	if (since > modseq || (since != 0 && since < horizon))
		return STORE_DAV_TOKEN_INVALID;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT name, modseq, 0 FROM dav_objects WHERE collection_id = ?1"
	    " AND modseq > ?2 UNION ALL SELECT name, modseq, 1"
	    " FROM dav_tombstones WHERE collection_id = ?1 AND modseq > ?2"
	    " AND ?2 > 0 ORDER BY 2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	struct pool *pool = pool_new();
	int rc;
	ret = 0;
	while (ret == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name =
		    pool_strdup(pool, store_db_column_str(stmt, 0));
		uint64_t m = (uint64_t)sqlite3_column_int64(stmt, 1);
		struct store_dav_object obj;
		if (sqlite3_column_int(stmt, 2) != 0) {
			ret = cb(name, m, NULL, ctx);
		} else {
			int got = store_dav_object_get(account, coll_id, name,
			                               false, pool, &obj);
			ret =
			    got < 0 ? -1 : cb(name, m, got ? &obj : NULL, ctx);
		}
		pool_clear(pool);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = (store_db_fail(&account->db, "dav changes"), -1);
	sqlite3_reset(stmt);
	pool_free(&pool);
	return ret;
}

int store_dav_usage(struct store_account *account, uint64_t *bytes_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT coalesce(sum(size), 0) FROM dav_objects");
	if (stmt == NULL)
		return -1;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*bytes_r = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW
	           ? 0
	           : (store_db_fail(&account->db, "dav usage"), -1);
}
