/* JMAP Identities (RFC 8621 §6) of an account, in its mail.db
 * (jmap_identities; store_jmap.h): identity 1 is the account's own
 * address, made on first use; the others are what the user added. A
 * destroyed identity stays as a tombstone (gone = 1) for /changes;
 * triggers stamp every change with the account's JMAP change counter. */
#include "core/pool.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <stdlib.h>
#include <string.h>

/* Identity 1: the account's address. Returns 0 or -1. */
static int identity_default(struct store_account *account)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR IGNORE INTO jmap_identities (id, email)"
	                  " VALUES (1, ?1)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, account->address, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	if (sqlite3_changes(account->db.db) > 0)
		store_account_db_touch(account);
	return 0;
}

static const char *column_or_null(sqlite3_stmt *stmt, int col,
                                  struct pool *pool)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return pool_strdup(pool, store_db_column_str(stmt, col));
}

int store_jmap_identity_list(struct store_account *account, struct pool *pool,
                             struct store_jmap_identity **list_r,
                             size_t *count_r)
{
	if (identity_default(account) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT id, name, email, reply_to, bcc, text_signature,"
	    " html_signature FROM jmap_identities WHERE gone = 0 ORDER BY id");
	if (stmt == NULL)
		return -1;
	size_t n = 0, cap = 8;
	struct store_jmap_identity *list = pool_alloc(pool, cap * sizeof(*list));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			struct store_jmap_identity *more =
			    pool_alloc(pool, cap * 2 * sizeof(*list));
			memcpy(more, list, n * sizeof(*list));
			list = more;
			cap *= 2;
		}
		struct store_jmap_identity *i = &list[n++];
		i->id = sqlite3_column_int64(stmt, 0);
		i->name = pool_strdup(pool, store_db_column_str(stmt, 1));
		i->email = pool_strdup(pool, store_db_column_str(stmt, 2));
		i->reply_to = column_or_null(stmt, 3, pool);
		i->bcc = column_or_null(stmt, 4, pool);
		i->text_signature =
		    pool_strdup(pool, store_db_column_str(stmt, 5));
		i->html_signature =
		    pool_strdup(pool, store_db_column_str(stmt, 6));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "identities");
		return -1;
	}
	*list_r = list;
	*count_r = n;
	return 0;
}

static void bind_identity(sqlite3_stmt *stmt,
                          const struct store_jmap_identity *i)
{
	sqlite3_bind_text(stmt, 1, i->name != NULL ? i->name : "", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, i->email, -1, SQLITE_STATIC);
	if (i->reply_to != NULL)
		sqlite3_bind_text(stmt, 3, i->reply_to, -1, SQLITE_STATIC);
	if (i->bcc != NULL)
		sqlite3_bind_text(stmt, 4, i->bcc, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5,
	                  i->text_signature != NULL ? i->text_signature : "",
	                  -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6,
	                  i->html_signature != NULL ? i->html_signature : "",
	                  -1, SQLITE_STATIC);
}

int store_jmap_identity_add(struct store_account *account,
                            const struct store_jmap_identity *identity,
                            int64_t *id_r)
{
	if (identity_default(account) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO jmap_identities (name, email, reply_to, bcc,"
	    " text_signature, html_signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (stmt == NULL)
		return -1;
	bind_identity(stmt, identity);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(account->db.db);
	store_account_db_touch(account);
	return 0;
}

int store_jmap_identity_update(struct store_account *account,
                               const struct store_jmap_identity *identity)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE jmap_identities SET name = ?1, email = ?2, reply_to = ?3,"
	    " bcc = ?4, text_signature = ?5, html_signature = ?6"
	    " WHERE id = ?7 AND gone = 0");
	if (stmt == NULL)
		return -1;
	bind_identity(stmt, identity);
	sqlite3_bind_int64(stmt, 7, identity->id);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	int changed = sqlite3_changes(account->db.db) > 0;
	if (changed)
		store_account_db_touch(account);
	return changed;
}

int store_jmap_identity_destroy(struct store_account *account, int64_t id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE jmap_identities SET gone = 1 WHERE id = ?1 AND gone = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	int changed = sqlite3_changes(account->db.db) > 0;
	if (changed)
		store_account_db_touch(account);
	return changed;
}
