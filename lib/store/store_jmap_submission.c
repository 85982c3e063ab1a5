/* JMAP EmailSubmissions (RFC 8621 §7) of an account, in its mail.db
 * (jmap_submissions; store_jmap.h): what was sent, from which identity,
 * with which envelope, when it goes, and whether it can still be undone
 * (a message held for later in the queue is "pending" until its release
 * time, then "final"; canceling it is "canceled"). A destroyed submission
 * stays as a tombstone (gone = 1) for /changes; triggers stamp every
 * change with the account's JMAP change counter. */
#include "core/pool.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <string.h>

int store_jmap_submission_add(struct store_account *account,
                              const struct store_jmap_submission *sub,
                              int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO jmap_submissions (identity_id, email_guid, thread_id,"
	    " envelope, send_at, undo_status, queue_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, sub->identity_id);
	sqlite3_bind_text(stmt, 2, sub->email_guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, sub->thread_id);
	sqlite3_bind_text(stmt, 4, sub->envelope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)sub->send_at);
	sqlite3_bind_text(stmt, 6, sub->undo_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, sub->queue_id, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(account->db.db);
	store_account_db_touch(account);
	return 0;
}

/* Pending submissions whose time came are final. Returns 0 or -1. */
static int submissions_finalize(struct store_account *account, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE jmap_submissions SET undo_status = 'final'"
	    " WHERE undo_status = 'pending' AND send_at <= ?1 AND gone = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	if (sqlite3_changes(account->db.db) > 0)
		store_account_db_touch(account);
	return 0;
}

int store_jmap_submission_list(struct store_account *account, time_t now,
                               struct pool *pool,
                               struct store_jmap_submission **list_r,
                               size_t *count_r)
{
	if (submissions_finalize(account, now) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT id, identity_id, email_guid, thread_id, envelope, send_at,"
	    " undo_status, queue_id FROM jmap_submissions WHERE gone = 0"
	    " ORDER BY id");
	if (stmt == NULL)
		return -1;
	size_t n = 0, cap = 16;
	struct store_jmap_submission *list =
	    pool_alloc(pool, cap * sizeof(*list));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			struct store_jmap_submission *more =
			    pool_alloc(pool, cap * 2 * sizeof(*list));
			memcpy(more, list, n * sizeof(*list));
			list = more;
			cap *= 2;
		}
		struct store_jmap_submission *s = &list[n++];
		s->id = sqlite3_column_int64(stmt, 0);
		s->identity_id = sqlite3_column_int64(stmt, 1);
		s->email_guid = pool_strdup(pool, store_db_column_str(stmt, 2));
		s->thread_id = sqlite3_column_int64(stmt, 3);
		s->envelope = pool_strdup(pool, store_db_column_str(stmt, 4));
		s->send_at = (time_t)sqlite3_column_int64(stmt, 5);
		s->undo_status = pool_strdup(pool, store_db_column_str(stmt, 6));
		s->queue_id = pool_strdup(pool, store_db_column_str(stmt, 7));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "submissions");
		return -1;
	}
	*list_r = list;
	*count_r = n;
	return 0;
}

int store_jmap_submission_set_status(struct store_account *account,
                                     int64_t id, const char *undo_status)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "UPDATE jmap_submissions SET undo_status = ?2"
	                  " WHERE id = ?1 AND gone = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, undo_status, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	int changed = sqlite3_changes(account->db.db) > 0;
	if (changed)
		store_account_db_touch(account);
	return changed;
}

int store_jmap_submission_destroy(struct store_account *account, int64_t id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE jmap_submissions SET gone = 1 WHERE id = ?1 AND gone = 0");
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
