/* Local domains in the global database. A domain with accounts cannot be
 * deleted; its aliases go with it (ON DELETE CASCADE). Names are stored
 * lowercased (RFC 5321 §2.4: domains are case-insensitive). */
#include "core/pool.h"
#include "store/store_private.h"

#include <string.h>
#include <time.h>

int store_domain_get_id(struct store *store, const char *domain, int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT id FROM domains WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "domain lookup");
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

static char *domain_normalize(const char *domain, struct pool *pool)
{
	if (!store_domain_is_valid(domain))
		return NULL;
	/* lowercased like the domain part of an address */
	char *at =
	    store_address_normalize(pool_printf(pool, "@%s", domain), pool);
	return at != NULL ? at + 1 : NULL;
}

int store_domain_add(struct store *store, const char *domain,
                     const char **error_r)
{
	struct pool *pool = pool_new();
	int ret = -1;
	const char *name = domain_normalize(domain, pool);
	if (name == NULL) {
		*error_r = "invalid domain";
		goto out;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "INSERT INTO domains (name, created) VALUES (?1, ?2)");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)time(NULL));
	bool is_constraint;
	if (store_db_step_done(&store->db, stmt, &is_constraint) < 0) {
		*error_r =
		    is_constraint ? "domain exists" : store->db.error.data;
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

/* Inside a transaction: deletes domain id unless it has accounts. */
static int domain_del_id(struct store *store, int64_t id, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT EXISTS (SELECT 1 FROM accounts WHERE domain_id = ?1)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_db_fail(&store->db, "domain accounts");
		goto fail;
	}
	int has_accounts = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	if (has_accounts) {
		*error_r = "domain has accounts";
		return -1;
	}
	stmt =
	    store_db_prepare(&store->db, "DELETE FROM domains WHERE id = ?1");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_db_step_done(&store->db, stmt, NULL) < 0)
		goto fail;
	return 0;
fail:
	*error_r = store->db.error.data;
	return -1;
}

int store_domain_del(struct store *store, const char *domain,
                     const char **error_r)
{
	struct pool *pool = pool_new();
	int ret = -1;
	const char *name = domain_normalize(domain, pool);
	int64_t id;
	if (name == NULL) {
		*error_r = "no such domain";
		goto out;
	}
	if (store_db_begin(&store->db) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	int found = store_domain_get_id(store, name, &id);
	if (found <= 0) {
		*error_r = found == 0 ? "no such domain" : store->db.error.data;
		store_db_rollback(&store->db);
		goto out;
	}
	if (domain_del_id(store, id, error_r) < 0) {
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

int store_domain_exists(struct store *store, const char *domain)
{
	struct pool *pool = pool_new();
	const char *name = domain_normalize(domain, pool);
	int64_t id;
	int ret = name == NULL ? 0 : store_domain_get_id(store, name, &id);
	pool_free(&pool);
	return ret;
}

int store_domain_list(struct store *store, store_domain_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT name FROM domains ORDER BY name");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cb(store_db_column_str(stmt, 0), ctx);
	if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "domain list");
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}
