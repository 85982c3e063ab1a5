/* Rewriting the account's active Sieve script in one transaction
 * (store_sieve.h): how the settings block of vacation and forwarding
 * (lib/rules/sieve_managed.h) is changed by postroomctl and by JMAP's
 * VacationResponse alike, so that two writers cannot lose each other's
 * change between reading the script and storing it. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store_private.h"
#include "store/store_sieve.h"

#include <string.h>

static bool is_blank(const struct buf *text)
{
	for (size_t i = 0; i < text->len; i++)
		if (strchr(" \t\r\n", text->data[i]) == NULL ||
		    text->data[i] == '\0')
			return false;
	return true;
}

/* Stores text as name and makes it the active script. Returns 0 or -1. */
static int store_active(struct store_account *account, const char *name,
                        const struct buf *text, time_t now)
{
	const char *error;
	if (store_sieve_put(account, name, text->data, text->len, now,
	                    &error) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE sieve_scripts SET is_active = (name = ?1)"
	    " WHERE is_active = 1 OR name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

static int remove_script(struct store_account *account, const char *name)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "DELETE FROM sieve_scripts WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_sieve_rewrite_active(struct store_account *account,
                               const char *default_name,
                               store_sieve_rewrite_cb *cb, void *ctx,
                               time_t now, const char **error_r)
{
	struct pool *pool = pool_new();
	struct buf text;
	buf_init(&text);
	const char *name = default_name, *data = "";
	size_t size = 0;
	int ret = -1;
	*error_r = NULL;
	if (store_db_begin(&account->db) < 0)
		goto out;
	if (store_sieve_get_active(account, pool, &name, &data, &size) < 0 ||
	    cb(name, data, size, &text, ctx, error_r) < 0)
		goto rollback;
	if (is_blank(&text) && strcmp(name, default_name) == 0
	        ? remove_script(account, name) < 0
	        : store_active(account, name, &text, now) < 0)
		goto rollback;
	if (store_db_commit(&account->db) < 0)
		goto out;
	store_account_db_touch(account);
	ret = 0;
	goto out;
rollback:
	store_db_rollback(&account->db);
out:
	if (ret < 0 && *error_r == NULL)
		*error_r = account->db.error.data;
	buf_deinit(&text);
	pool_free(&pool);
	return ret;
}
