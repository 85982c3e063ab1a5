/* Sieve scripts as JMAP sees them (RFC 9661; store_jmap.h): each script of
 * sieve_scripts with the JMAP id that jmap_sieve_ids gives it (kept by
 * triggers across renames, whoever renames: ManageSieve, postroomctl or
 * JMAP). */
#include "core/pool.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <string.h>

int store_jmap_sieve_list(struct store_account *account, struct pool *pool,
                          struct store_jmap_sieve_script **list_r,
                          size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT i.id, s.name, s.is_active, s.script FROM sieve_scripts s"
	    " JOIN jmap_sieve_ids i ON i.name = s.name ORDER BY i.id");
	if (stmt == NULL)
		return -1;
	size_t n = 0, cap = 8;
	struct store_jmap_sieve_script *list =
	    pool_alloc(pool, cap * sizeof(*list));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			struct store_jmap_sieve_script *more =
			    pool_alloc(pool, cap * 2 * sizeof(*list));
			memcpy(more, list, n * sizeof(*list));
			list = more;
			cap *= 2;
		}
		struct store_jmap_sieve_script *s = &list[n++];
		s->id = sqlite3_column_int64(stmt, 0);
		s->name = pool_strdup(pool, store_db_column_str(stmt, 1));
		s->is_active = sqlite3_column_int(stmt, 2) != 0;
		s->size = (size_t)sqlite3_column_bytes(stmt, 3);
		char *data = pool_alloc(pool, s->size + 1);
		if (s->size > 0)
			memcpy(data, sqlite3_column_blob(stmt, 3), s->size);
		data[s->size] = '\0';
		s->data = data;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sieve scripts");
		return -1;
	}
	*list_r = list;
	*count_r = n;
	return 0;
}
