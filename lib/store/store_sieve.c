/* Sieve scripts (RFC 5804's model: named scripts, one active) and the
 * memory of delivery rules (vacation, duplicate ids, error reports) in
 * the account's mail.db; store_sieve.h has the contract. One active
 * script is enforced by a partial unique index, so no two writers can
 * leave two. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store_private.h"
#include "store/store_sieve.h"

#include <string.h>

bool store_sieve_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > STORE_SIEVE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '/')
			return false;
		size_t n = c < 0x80             ? 1
		           : (c & 0xE0) == 0xC0 ? 2
		           : (c & 0xF0) == 0xE0 ? 3
		           : (c & 0xF8) == 0xF0 ? 4
		                                : 0;
		if (n == 0 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++)
			if (((unsigned char)name[i + k] & 0xC0) != 0x80)
				return false;
		/* C1 controls U+0080-U+009F */
		if (n == 2 && c == 0xC2 && (unsigned char)name[i + 1] < 0xA0)
			return false;
		i += n;
	}
	return true;
}

int store_sieve_put(struct store_account *account, const char *name,
                    const void *data, size_t size, time_t now,
                    const char **error_r)
{
	if (!store_sieve_name_is_valid(name)) {
		*error_r = "invalid script name";
		return -1;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO sieve_scripts (name, script, is_active, updated)"
	    " VALUES (?1, ?2, 0, ?3) ON CONFLICT (name) DO UPDATE"
	    " SET script = excluded.script, updated = excluded.updated");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, size > 0 ? data : "", (int)size,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)now);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 0;
}

/* Reads the script of a statement whose columns are name and script. */
static int script_read(struct store_account *account, sqlite3_stmt *stmt,
                       struct pool *pool, const char **name_r,
                       const char **data_r, size_t *size_r)
{
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		size_t size = (size_t)sqlite3_column_bytes(stmt, 1);
		const void *blob = sqlite3_column_blob(stmt, 1);
		char *data = pool_alloc(pool, size + 1);
		if (size > 0)
			memcpy(data, blob, size);
		data[size] = '\0';
		if (name_r != NULL)
			*name_r =
			    pool_strdup(pool, store_db_column_str(stmt, 0));
		*data_r = data;
		*size_r = size;
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sieve script");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sieve_get(struct store_account *account, const char *name,
                    struct pool *pool, const char **data_r, size_t *size_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT name, script FROM sieve_scripts WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	return script_read(account, stmt, pool, NULL, data_r, size_r);
}

int store_sieve_get_active(struct store_account *account, struct pool *pool,
                           const char **name_r, const char **data_r,
                           size_t *size_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT name, script FROM sieve_scripts WHERE is_active = 1");
	if (stmt == NULL)
		return -1;
	return script_read(account, stmt, pool, name_r, data_r, size_r);
}

/* Runs sql with name bound to ?1 (and name2 to ?2 when not NULL).
 * Returns the rows changed, or -1. */
static int exec_named(struct store_account *account, const char *sql,
                      const char *name, const char *name2)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL)
		return -1;
	if (name != NULL)
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (name2 != NULL)
		sqlite3_bind_text(stmt, 2, name2, -1, SQLITE_STATIC);
	bool is_constraint = false;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0)
		return is_constraint ? -2 : -1;
	return sqlite3_changes(account->db.db);
}

int store_sieve_activate(struct store_account *account, const char *name,
                         const char **error_r)
{
	if (store_db_begin(&account->db) < 0)
		goto fail;
	if (exec_named(account,
	               "UPDATE sieve_scripts SET is_active = 0"
	               " WHERE is_active = 1",
	               NULL, NULL) < 0)
		goto rollback;
	if (name != NULL) {
		int n = exec_named(account,
		                   "UPDATE sieve_scripts SET is_active = 1"
		                   " WHERE name = ?1",
		                   name, NULL);
		if (n < 0)
			goto rollback;
		if (n == 0) {
			store_db_rollback(&account->db);
			*error_r = "no such script";
			return -1;
		}
	}
	if (store_db_commit(&account->db) < 0)
		goto fail;
	return 0;
rollback:
	store_db_rollback(&account->db);
fail:
	*error_r = account->db.error.data;
	return -1;
}

int store_sieve_delete(struct store_account *account, const char *name,
                       const char **error_r)
{
	int n = exec_named(account,
	                   "DELETE FROM sieve_scripts WHERE name = ?1"
	                   " AND is_active = 0",
	                   name, NULL);
	if (n < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	if (n > 0)
		return 0;
	struct pool *pool = pool_new();
	const char *data;
	size_t size;
	int found = store_sieve_get(account, name, pool, &data, &size);
	pool_free(&pool);
	*error_r = found > 0    ? "script is active"
	           : found == 0 ? "no such script"
	                        : account->db.error.data;
	return -1;
}

int store_sieve_rename(struct store_account *account, const char *old_name,
                       const char *new_name, const char **error_r)
{
	if (!store_sieve_name_is_valid(new_name)) {
		*error_r = "invalid script name";
		return -1;
	}
	int n = exec_named(account,
	                   "UPDATE sieve_scripts SET name = ?2 WHERE name = ?1",
	                   old_name, new_name);
	if (n == -2) {
		*error_r = "script exists";
		return -1;
	}
	if (n < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	if (n == 0) {
		*error_r = "no such script";
		return -1;
	}
	return 0;
}

int store_sieve_list(struct store_account *account, store_sieve_cb *cb,
                     void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT name, is_active, length(script), updated"
	                  " FROM sieve_scripts ORDER BY name");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sieve_script s = {
		    .name = store_db_column_str(stmt, 0),
		    .is_active = sqlite3_column_int(stmt, 1) != 0,
		    .size = (size_t)sqlite3_column_int64(stmt, 2),
		    .updated = (time_t)sqlite3_column_int64(stmt, 3),
		};
		cb(&s, ctx);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sieve list");
		return -1;
	}
	return 0;
}

/* ---- memory ---- */

int store_sieve_memory_seen(struct store_account *account, const char *key,
                            time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM sieve_memory WHERE key = ?1"
	                  " AND expires > ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_db_fail(&account->db, "sieve memory");
	return -1;
}

int store_sieve_memory_put(struct store_account *account, const char *key,
                           time_t expires, time_t now, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT INTO sieve_memory (key, expires)"
	                  " VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE"
	                  " SET expires = excluded.expires");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)expires);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		goto fail;
	/* a few expired keys go each time, so the table stays small */
	stmt = store_db_prepare(&account->db,
	                        "DELETE FROM sieve_memory WHERE key IN"
	                        " (SELECT key FROM sieve_memory"
	                        " WHERE expires <= ?1 LIMIT 16)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		goto fail;
	return 0;
fail:
	*error_r = account->db.error.data;
	return -1;
}

/* ---- delivery keys ---- */

int store_sieve_delivery_done(struct store_account *account,
                              const char *delivery_key)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM deliveries WHERE key = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, delivery_key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_db_fail(&account->db, "delivery lookup");
	return -1;
}

int store_sieve_delivery_mark(struct store_account *account,
                              const char *delivery_key, time_t now,
                              const char **error_r)
{
	/* mailbox 0, UID 0: delivered by rules without a row of its own */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR IGNORE INTO deliveries (key, mailbox_id,"
	                  " uid, created) VALUES (?1, 0, 0, ?2)");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, delivery_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 0;
}
