/* Sharing a calendar or address book with another account of the server
 * (store_dav.h): one row of postroom.db's dav_shares per (collection,
 * grantee) holds the access (read or read-write) and the name the
 * collection has in the grantee's home, so the access check
 * (store_dav_access) and the grantee's home listing both read one table
 * and one write makes or ends a share. The name is
 * "<collection>_shared_by_<owner>", or "shared_<owner id>_<collection
 * id>" when that is too long, with "-2", "-3" ... added when the grantee
 * has a collection or another share of that name already. */
#include "core/pool.h"
#include "store/store_dav.h"
#include "store/store_private.h"

#include <string.h>

#define SHARE_NAME_TRIES 50

#define SHARE_COLUMNS                                                          \
	"SELECT o.address, g.address, s.collection_id, s.kind, s.access,"      \
	" s.name, s.created FROM dav_shares s"                                 \
	" JOIN accounts o ON o.id = s.owner_id"                                \
	" JOIN accounts g ON g.id = s.grantee_id"

static void share_read(sqlite3_stmt *stmt, struct pool *pool,
                       struct store_dav_share *s)
{
	s->owner = pool_strdup(pool, store_db_column_str(stmt, 0));
	s->grantee = pool_strdup(pool, store_db_column_str(stmt, 1));
	s->collection_id = sqlite3_column_int64(stmt, 2);
	s->kind = (enum store_dav_kind)sqlite3_column_int(stmt, 3);
	s->access = sqlite3_column_int(stmt, 4) == STORE_DAV_ACCESS_READ_WRITE
	                ? STORE_DAV_ACCESS_READ_WRITE
	                : STORE_DAV_ACCESS_READ;
	s->name = pool_strdup(pool, store_db_column_str(stmt, 5));
	s->created = (time_t)sqlite3_column_int64(stmt, 6);
}

/* Steps stmt (bound) into an array of shares. Returns 0 or -1. */
static int shares_read(struct store_db *db, sqlite3_stmt *stmt,
                       struct pool *pool, struct store_dav_share **shares_r,
                       size_t *count_r)
{
	size_t count = 0, cap = 4;
	struct store_dav_share *shares =
	    pool_alloc(pool, cap * sizeof(*shares));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			struct store_dav_share *bigger =
			    pool_alloc(pool, 2 * cap * sizeof(*shares));
			memcpy(bigger, shares, cap * sizeof(*shares));
			shares = bigger;
			cap *= 2;
		}
		share_read(stmt, pool, &shares[count++]);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(db, "dav shares");
		return -1;
	}
	*shares_r = shares;
	*count_r = count;
	return 0;
}

int store_dav_share_list_collection(struct store_account *owner,
                                    int64_t coll_id, struct pool *pool,
                                    struct store_dav_share **shares_r,
                                    size_t *count_r)
{
	struct store_db *db = &owner->store->db;
	sqlite3_stmt *stmt = store_db_prepare(
	    db, SHARE_COLUMNS " WHERE s.owner_id = ?1 AND s.collection_id = ?2"
	                      " ORDER BY g.address");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, owner->id);
	sqlite3_bind_int64(stmt, 2, coll_id);
	return shares_read(db, stmt, pool, shares_r, count_r);
}

int store_dav_share_list_granted(struct store *store, const char *grantee,
                                 enum store_dav_kind kind, struct pool *pool,
                                 struct store_dav_share **shares_r,
                                 size_t *count_r)
{
	const char *addr = store_address_normalize(grantee, pool);
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, SHARE_COLUMNS " WHERE g.address = ?1 AND s.kind = ?2"
	                              " ORDER BY s.name");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr != NULL ? addr : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, (int)kind);
	return shares_read(&store->db, stmt, pool, shares_r, count_r);
}

int store_dav_share_find(struct store *store, const char *grantee,
                         enum store_dav_kind kind, const char *name,
                         struct pool *pool, struct store_dav_share *share_r)
{
	const char *addr = store_address_normalize(grantee, pool);
	if (addr == NULL)
		return 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, SHARE_COLUMNS " WHERE g.address = ?1 AND s.kind = ?2"
	                              " AND s.name = ?3");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, (int)kind);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		share_read(stmt, pool, share_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "dav share");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Updates or removes an existing share. Returns 1 with *name_r when
 * there was one, 0 if not, -1. */
static int share_change(struct store_account *owner, int64_t coll_id,
                        int64_t grantee_id, enum store_dav_access access,
                        struct pool *pool, const char **name_r)
{
	struct store_db *db = &owner->store->db;
	sqlite3_stmt *stmt = store_db_prepare(
	    db, access == STORE_DAV_ACCESS_NONE
	            ? "DELETE FROM dav_shares WHERE owner_id = ?1"
	              " AND collection_id = ?2 AND grantee_id = ?3"
	              " RETURNING name"
	            : "UPDATE dav_shares SET access = ?4 WHERE owner_id = ?1"
	              " AND collection_id = ?2 AND grantee_id = ?3"
	              " RETURNING name");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, owner->id);
	sqlite3_bind_int64(stmt, 2, coll_id);
	sqlite3_bind_int64(stmt, 3, grantee_id);
	if (access != STORE_DAV_ACCESS_NONE)
		sqlite3_bind_int(stmt, 4, (int)access);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*name_r = pool_strdup(pool, store_db_column_str(stmt, 0));
		ret = 1;
		rc = sqlite3_step(stmt);
	}
	if (rc != SQLITE_DONE) {
		store_db_fail(db, "dav share");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Returns 1 if the grantee has a collection of its own named name, 0 if
 * not, -1. */
static int own_name_taken(struct store_account *grantee,
                          enum store_dav_kind kind, const char *name)
{
	struct pool *pool = pool_new();
	struct store_dav_collection c;
	int ret = store_dav_collection_get(grantee, kind, name, pool, &c);
	pool_free(&pool);
	return ret;
}

/* The name of try number i (0: the plain one). */
static const char *share_name(struct pool *pool, struct store_account *owner,
                              const struct store_dav_collection *coll,
                              unsigned i)
{
	const char *base =
	    pool_printf(pool, "%s_shared_by_%s", coll->name, owner->address);
	if (strlen(base) > STORE_DAV_NAME_MAX - 4)
		base = pool_printf(pool, "shared_%lld_%lld",
		                   (long long)owner->id, (long long)coll->id);
	return i == 0 ? base : pool_printf(pool, "%s-%u", base, i + 1);
}

/* Inserts a new share under the first free name. Returns 0 or -1. */
static int share_insert(struct store_account *owner,
                        const struct store_dav_collection *coll,
                        const struct store_account_info *grantee,
                        enum store_dav_access access, time_t now,
                        struct pool *pool, const char **name_r,
                        const char **error_r)
{
	struct store_db *db = &owner->store->db;
	struct store_account *g;
	if (store_account_open(owner->store, grantee->address, &g, error_r) < 0)
		return -1;
	int ret = -1;
	for (unsigned i = 0; i < SHARE_NAME_TRIES; i++) {
		const char *name = share_name(pool, owner, coll, i);
		int taken = own_name_taken(g, coll->kind, name);
		if (taken < 0) {
			*error_r = store_dav_last_error(g);
			break;
		}
		if (taken)
			continue;
		sqlite3_stmt *stmt = store_db_prepare(
		    db, "INSERT INTO dav_shares (owner_id, collection_id, kind,"
		        " grantee_id, access, name, created)"
		        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
		if (stmt == NULL) {
			*error_r = db->error.data;
			break;
		}
		sqlite3_bind_int64(stmt, 1, owner->id);
		sqlite3_bind_int64(stmt, 2, coll->id);
		sqlite3_bind_int(stmt, 3, (int)coll->kind);
		sqlite3_bind_int64(stmt, 4, grantee->id);
		sqlite3_bind_int(stmt, 5, (int)access);
		sqlite3_bind_text(stmt, 6, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, (sqlite3_int64)now);
		bool is_constraint;
		if (store_db_step_done(db, stmt, &is_constraint) == 0) {
			*name_r = name;
			ret = 0;
			break;
		}
		if (!is_constraint) {
			*error_r = db->error.data;
			break;
		}
	}
	if (ret < 0 && *error_r == NULL)
		*error_r = "no free name in the grantee's home";
	if (ret == 0)
		store_account_db_touch(g);
	store_account_close(&g);
	return ret;
}

int store_dav_share_set(struct store_account *owner,
                        const struct store_dav_collection *coll,
                        const char *grantee, enum store_dav_access access,
                        time_t now, struct pool *pool, const char **name_r,
                        const char **error_r)
{
	struct store_account_info info;
	const char *name = NULL;
	*error_r = NULL;
	if (access == STORE_DAV_ACCESS_OWNER) {
		*error_r = "invalid access";
		return -1;
	}
	int ret = store_account_lookup(owner->store, grantee, pool, &info);
	if (ret <= 0) {
		if (ret < 0)
			*error_r = owner->store->db.error.data;
		return ret < 0 ? -1 : STORE_DAV_NOT_FOUND;
	}
	if (info.id == owner->id) {
		*error_r = "cannot share with its owner";
		return -1;
	}
	ret = share_change(owner, coll->id, info.id, access, pool, &name);
	if (ret < 0) {
		*error_r = owner->store->db.error.data;
		return -1;
	}
	if (ret == 0 && access == STORE_DAV_ACCESS_NONE)
		return STORE_DAV_NOT_FOUND;
	if (ret == 0 && share_insert(owner, coll, &info, access, now, pool,
	                             &name, error_r) < 0)
		return -1;
	if (name_r != NULL)
		*name_r = name;
	return 0;
}
