/* Aliases in the global database: source "user@domain" (or "@domain", the
 * catch-all) to one or more targets, local or remote. A source's domain
 * must be local and a source may not also be an account. */
#include "core/pool.h"
#include "store/store_private.h"

#include <string.h>

/* Inside a transaction: the checks before inserting source -> target. */
static int alias_add_check(struct store *store, const char *source,
                           int64_t *domain_id_r, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *local, *domain;
	int64_t id;
	int ret = -1;
	if (store_address_split(source, pool, &local, &domain) < 0) {
		*error_r = "invalid address";
		goto out;
	}
	int found = store_domain_get_id(store, domain, domain_id_r);
	if (found <= 0) {
		*error_r = found == 0 ? "no such domain" : store->db.error.data;
		goto out;
	}
	found = store_account_get_id(store, source, &id);
	if (found != 0) {
		*error_r =
		    found > 0 ? "address is an account" : store->db.error.data;
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

static int alias_insert(struct store *store, const char *source,
                        const char *target, const char **error_r)
{
	int64_t domain_id;
	if (alias_add_check(store, source, &domain_id, error_r) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "INSERT INTO aliases (source, target, domain_id)"
	                " VALUES (?1, ?2, ?3)");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, domain_id);
	bool is_constraint;
	if (store_db_step_done(&store->db, stmt, &is_constraint) < 0) {
		*error_r =
		    is_constraint ? "alias exists" : store->db.error.data;
		return -1;
	}
	return 0;
}

int store_alias_add(struct store *store, const char *source, const char *target,
                    const char **error_r)
{
	struct pool *pool = pool_new();
	const char *src = store_address_normalize(source, pool);
	const char *dst = store_address_normalize(target, pool);
	int ret = -1;
	if (src == NULL || dst == NULL || dst[0] == '@') {
		*error_r = "invalid address";
		goto out;
	}
	if (store_db_begin(&store->db) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	if (alias_insert(store, src, dst, error_r) < 0) {
		store_db_rollback(&store->db);
		goto out;
	}
	if (store_db_commit(&store->db) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

int store_alias_del(struct store *store, const char *source, const char *target,
                    const char **error_r)
{
	struct pool *pool = pool_new();
	const char *src = store_address_normalize(source, pool);
	const char *dst =
	    target != NULL ? store_address_normalize(target, pool) : NULL;
	int ret = -1;
	if (src == NULL || (target != NULL && dst == NULL)) {
		*error_r = "no such alias";
		goto out;
	}
	sqlite3_stmt *stmt =
	    store_db_prepare(&store->db, "DELETE FROM aliases WHERE source = ?1"
	                                 " AND (?2 IS NULL OR target = ?2)");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_text(stmt, 1, src, -1, SQLITE_STATIC);
	if (dst != NULL)
		sqlite3_bind_text(stmt, 2, dst, -1, SQLITE_STATIC);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	if (sqlite3_changes(store->db.db) == 0) {
		*error_r = "no such alias";
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

int store_alias_list(struct store *store, store_alias_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT source, target FROM aliases ORDER BY source, target");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cb(store_db_column_str(stmt, 0), store_db_column_str(stmt, 1),
		   ctx);
	int ret = 0;
	if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "alias list");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}
