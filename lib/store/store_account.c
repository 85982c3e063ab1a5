/* Accounts in the global database: adding one (its row, then its folder
 * with mail.db and the default mailboxes, committed together), changing
 * password or quota, deleting, looking up and listing. The folder is named
 * by the numeric id, never by the address. */
#include "core/pool.h"
#include "store/store_private.h"

#include <string.h>
#include <time.h>

int store_account_get_id(struct store *store, const char *address,
                         int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT id FROM accounts WHERE address = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(stmt, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "account lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Returns 1 if address is the source of an alias, 0 if not, -1. */
static int address_is_alias(struct store *store, const char *address)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT EXISTS (SELECT 1 FROM aliases WHERE source = ?1)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	int ret = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		ret = sqlite3_column_int(stmt, 0);
	else
		store_db_fail(&store->db, "alias lookup");
	sqlite3_reset(stmt);
	return ret;
}

/* Inside a transaction: inserts the row. Returns the new id, or -1. */
static int64_t account_insert(struct store *store, const char *address,
                              int64_t domain_id, const char *password_hash,
                              uint64_t quota, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "INSERT INTO accounts (address, domain_id, password_hash,"
	    " quota, created) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, domain_id);
	sqlite3_bind_text(stmt, 3, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)quota);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)time(NULL));
	bool is_constraint;
	if (store_db_step_done(&store->db, stmt, &is_constraint) < 0) {
		*error_r =
		    is_constraint ? "account exists" : store->db.error.data;
		return -1;
	}
	return sqlite3_last_insert_rowid(store->db.db);
}

/* Inside a transaction: the checks before inserting address. */
static int account_add_check(struct store *store, const char *address,
                             const char *domain, int64_t *domain_id_r,
                             const char **error_r)
{
	int ret = store_domain_get_id(store, domain, domain_id_r);
	if (ret <= 0) {
		*error_r = ret == 0 ? "no such domain" : store->db.error.data;
		return -1;
	}
	ret = address_is_alias(store, address);
	if (ret != 0) {
		*error_r =
		    ret > 0 ? "address is an alias" : store->db.error.data;
		return -1;
	}
	return 0;
}

int store_account_add(struct store *store, const char *address,
                      const char *password_hash, uint64_t quota,
                      const char **error_r)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	const char *local, *domain;
	int64_t domain_id, id = -1;
	int ret = -1;
	if (addr == NULL || addr[0] == '@' ||
	    store_address_split(addr, pool, &local, &domain) < 0) {
		*error_r = "invalid address";
		goto out;
	}
	if (store_db_begin(&store->db) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	if (account_add_check(store, addr, domain, &domain_id, error_r) < 0)
		goto rollback;
	id = account_insert(store, addr, domain_id, password_hash,
	                    quota != 0 ? quota : store->default_quota, error_r);
	if (id < 0)
		goto rollback;
	if (store_account_db_create(store, id, error_r) < 0)
		goto rollback;
	if (store_db_commit(&store->db) < 0) {
		*error_r = store->db.error.data;
		(void)store_account_db_remove(store, id);
		goto out;
	}
	ret = 0;
	goto out;
rollback:
	store_db_rollback(&store->db);
out:
	pool_free(&pool);
	return ret;
}

/* Runs an UPDATE of one account by address (?1) with value bound as ?2
 * (text when text is not NULL, else number). */
static int account_update(struct store *store, const char *sql,
                          const char *address, const char *text,
                          uint64_t number, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int ret = -1;
	if (addr == NULL) {
		*error_r = "no such account";
		goto out;
	}
	sqlite3_stmt *stmt = store_db_prepare(&store->db, sql);
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)number);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	if (sqlite3_changes(store->db.db) == 0) {
		*error_r = "no such account";
		goto out;
	}
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

int store_account_set_password(struct store *store, const char *address,
                               const char *password_hash, const char **error_r)
{
	return account_update(store,
	                      "UPDATE accounts SET password_hash = ?2"
	                      " WHERE address = ?1",
	                      address, password_hash, 0, error_r);
}

int store_account_set_quota(struct store *store, const char *address,
                            uint64_t quota, const char **error_r)
{
	return account_update(store,
	                      "UPDATE accounts SET quota = ?2"
	                      " WHERE address = ?1",
	                      address, NULL, quota, error_r);
}

int store_account_del(struct store *store, const char *address,
                      const char **error_r)
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
	sqlite3_stmt *stmt =
	    store_db_prepare(&store->db, "DELETE FROM accounts WHERE id = ?1");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, id);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	/* XXX: if removing the folder fails the account is still gone; the
	 * folder stays as an orphan (ids are never reused) for maintenance,
	 * which also collects the blobs nobody refers to any more. */
	(void)store_account_db_remove(store, id);
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

static void account_info_read(sqlite3_stmt *stmt, struct pool *pool,
                              struct store_account_info *info_r)
{
	info_r->id = sqlite3_column_int64(stmt, 0);
	info_r->address = store_db_column_str(stmt, 1);
	info_r->password_hash = store_db_column_str(stmt, 2);
	info_r->quota = (uint64_t)sqlite3_column_int64(stmt, 3);
	info_r->created = (time_t)sqlite3_column_int64(stmt, 4);
	if (pool != NULL) {
		info_r->address = pool_strdup(pool, info_r->address);
		info_r->password_hash =
		    pool_strdup(pool, info_r->password_hash);
	}
}

int store_account_lookup(struct store *store, const char *address,
                         struct pool *pool, struct store_account_info *info_r)
{
	const char *addr = store_address_normalize(address, pool);
	if (addr == NULL)
		return 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT id, address, password_hash, quota, created"
	                " FROM accounts WHERE address = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		account_info_read(stmt, pool, info_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "account lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_account_list(struct store *store, store_account_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT id, address, password_hash, quota, created"
	                " FROM accounts ORDER BY address");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_account_info info;
		account_info_read(stmt, NULL, &info);
		cb(&info, ctx);
	}
	int ret = 0;
	if (rc != SQLITE_DONE) {
		store_db_fail(&store->db, "account list");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}
