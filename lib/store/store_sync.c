/* What a client's local store remembers of a remote server (store_sync.h):
 * per-mailbox IMAP state (RFC 9051 §2.3.1.1 UIDVALIDITY and UIDNEXT,
 * RFC 7162 §3.1.2.1 HIGHESTMODSEQ), the local <-> remote UID map with the
 * flags last agreed, and POP3 UIDLs already downloaded (RFC 1939 §7). Rows
 * are keyed by mailbox name and never cascade, so local deletions stay
 * visible until the sync engine has sent them and forgets. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"
#include "store/store_sync.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* "inbox" in any case is INBOX (RFC 9051 §5.1). */
static const char *sync_name(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

/* Columns: name, local_uidvalidity, uidvalidity, uidnext, highestmodseq,
 * and the local mailbox's current UIDVALIDITY or NULL when it is gone. */
#define SYNC_MAILBOX_SELECT                                                    \
	"SELECT s.name, s.local_uidvalidity, s.uidvalidity, s.uidnext,"        \
	" s.highestmodseq, m.uidvalidity FROM sync_mailbox s"                  \
	" LEFT JOIN mailboxes m ON m.name = s.name"

static void sync_mailbox_read(sqlite3_stmt *stmt,
                              struct store_sync_mailbox *state_r)
{
	memset(state_r, 0, sizeof(*state_r));
	state_r->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 2);
	state_r->uidnext = (uint32_t)sqlite3_column_int64(stmt, 3);
	state_r->highestmodseq = (uint64_t)sqlite3_column_int64(stmt, 4);
	state_r->is_local_gone =
	    sqlite3_column_type(stmt, 5) == SQLITE_NULL ||
	    sqlite3_column_int64(stmt, 5) != sqlite3_column_int64(stmt, 1);
}

int store_sync_mailbox_get(struct store_account *account, const char *mailbox,
                           struct store_sync_mailbox *state_r)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, SYNC_MAILBOX_SELECT
	                                      " WHERE s.name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		sync_mailbox_read(stmt, state_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync mailbox");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_mailbox_set(struct store_account *account, const char *mailbox,
                           const struct store_sync_mailbox *state)
{
	/* INSERT ... SELECT inserts nothing when the mailbox is missing. */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT OR REPLACE INTO sync_mailbox (name, local_uidvalidity,"
	    " uidvalidity, uidnext, highestmodseq)"
	    " SELECT name, uidvalidity, ?2, ?3, ?4 FROM mailboxes"
	    " WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, state->uidvalidity);
	sqlite3_bind_int64(stmt, 3, state->uidnext);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)state->highestmodseq);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	if (sqlite3_changes(account->db.db) == 0) {
		buf_truncate(&account->db.error, 0);
		buf_append_str(&account->db.error, "no such mailbox");
		return -1;
	}
	return 0;
}

/* Runs one statement with the mailbox name as ?1. Returns 0 or -1. */
static int sync_exec_name(struct store_account *account, const char *sql,
                          const char *mailbox)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_sync_mailbox_forget(struct store_account *account,
                              const char *mailbox)
{
	const char *name = sync_name(mailbox);
	if (store_db_begin(&account->db) < 0)
		return -1;
	if (sync_exec_name(account, "DELETE FROM sync_map WHERE mailbox = ?1",
	                   name) < 0 ||
	    sync_exec_name(account, "DELETE FROM sync_mailbox WHERE name = ?1",
	                   name) < 0) {
		store_db_rollback(&account->db);
		return -1;
	}
	return store_db_commit(&account->db);
}

int store_sync_mailbox_list(struct store_account *account,
                            store_sync_mailbox_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, SYNC_MAILBOX_SELECT
	                                      " ORDER BY s.name");
	if (stmt == NULL)
		return -1;
	int rc, ret = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sync_mailbox state;
		sync_mailbox_read(stmt, &state);
		ret = cb(store_db_column_str(stmt, 0), &state, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync mailbox list");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_map_set(struct store_account *account, const char *mailbox,
                       const struct store_sync_map *map)
{
	/* OR REPLACE deletes every row in conflict with either key, which is
	 * the contract: one row per remote UID and per local UID. */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT OR REPLACE INTO sync_map (mailbox, remote_uid, local_uid,"
	    " flags, keywords) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, map->remote_uid);
	sqlite3_bind_int64(stmt, 3, map->local_uid);
	sqlite3_bind_int64(stmt, 4, map->flags);
	sqlite3_bind_text(stmt, 5, map->keywords == NULL ? "" : map->keywords,
	                  -1, SQLITE_STATIC);
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_sync_map_del(struct store_account *account, const char *mailbox,
                       uint32_t remote_uid)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "DELETE FROM sync_map WHERE mailbox = ?1 AND remote_uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, remote_uid);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	return sqlite3_changes(account->db.db) > 0 ? 1 : 0;
}

/* Columns: local_uid, remote_uid, flags, keywords. */
static void sync_map_read(sqlite3_stmt *stmt, struct store_sync_map *map_r)
{
	map_r->local_uid = (uint32_t)sqlite3_column_int64(stmt, 0);
	map_r->remote_uid = (uint32_t)sqlite3_column_int64(stmt, 1);
	map_r->flags = (uint32_t)sqlite3_column_int64(stmt, 2);
	map_r->keywords = store_db_column_str(stmt, 3);
}

/* Looks one row up with stmt bound to (mailbox, uid). */
static int sync_map_get(struct store_account *account, sqlite3_stmt *stmt,
                        const char *mailbox, uint32_t uid, struct pool *pool,
                        struct store_sync_map *map_r)
{
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, uid);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		sync_map_read(stmt, map_r);
		map_r->keywords = pool_strdup(pool, map_r->keywords);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync map");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_map_by_remote(struct store_account *account, const char *mailbox,
                             uint32_t remote_uid, struct pool *pool,
                             struct store_sync_map *map_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT local_uid, remote_uid, flags, keywords"
	    " FROM sync_map WHERE mailbox = ?1 AND remote_uid = ?2");
	if (stmt == NULL)
		return -1;
	return sync_map_get(account, stmt, mailbox, remote_uid, pool, map_r);
}

int store_sync_map_by_local(struct store_account *account, const char *mailbox,
                            uint32_t local_uid, struct pool *pool,
                            struct store_sync_map *map_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT local_uid, remote_uid, flags, keywords"
	    " FROM sync_map WHERE mailbox = ?1 AND local_uid = ?2");
	if (stmt == NULL)
		return -1;
	return sync_map_get(account, stmt, mailbox, local_uid, pool, map_r);
}

int store_sync_map_list(struct store_account *account, const char *mailbox,
                        store_sync_map_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT local_uid, remote_uid, flags, keywords"
	                  " FROM sync_map WHERE mailbox = ?1"
	                  " ORDER BY remote_uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sync_name(mailbox), -1, SQLITE_STATIC);
	int rc, ret = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sync_map map;
		sync_map_read(stmt, &map);
		ret = cb(&map, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync map list");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_sync_pop3_seen(struct store_account *account, const char *uidl)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM sync_pop3 WHERE uidl = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, uidl, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_db_fail(&account->db, "sync pop3");
	return -1;
}

int store_sync_pop3_mark(struct store_account *account, const char *uidl,
                         time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR REPLACE INTO sync_pop3 (uidl, downloaded) "
	                  "VALUES (?1, ?2)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, uidl, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	return store_db_step_done(&account->db, stmt, NULL);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads every recorded UIDL into *list_r (heap strings in a heap array).
 * Returns the count, or -1. */
static ssize_t pop3_all(struct store_account *account, char ***list_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, "SELECT uidl FROM sync_pop3");
	if (stmt == NULL)
		return -1;
	size_t count = 0, cap = 0;
	char **list = NULL;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[count++] = xstrdup(store_db_column_str(stmt, 0));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "sync pop3 list");
		while (count > 0)
			free(list[--count]);
		free(list);
		return -1;
	}
	*list_r = list;
	return (ssize_t)count;
}

/* Deletes every one of list[0..count) not in the sorted keep[]. Inside a
 * transaction. Returns how many went, or -1. */
static int pop3_delete_missing(struct store_account *account, char **list,
                               size_t count, const char **keep,
                               size_t keep_count)
{
	int gone = 0;
	for (size_t i = 0; i < count; i++) {
		if (keep_count > 0 && bsearch(&list[i], keep, keep_count,
		                              sizeof(*keep), str_cmp) != NULL)
			continue;
		sqlite3_stmt *stmt = store_db_prepare(
		    &account->db, "DELETE FROM sync_pop3 WHERE uidl = ?1");
		if (stmt == NULL)
			return -1;
		sqlite3_bind_text(stmt, 1, list[i], -1, SQLITE_STATIC);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
		gone++;
	}
	return gone;
}

int store_sync_pop3_prune(struct store_account *account,
                          const char *const *uidls, size_t count)
{
	const char **keep = xcalloc(count + 1, sizeof(*keep));
	if (count > 0)
		memcpy(keep, uidls, count * sizeof(*keep));
	qsort(keep, count, sizeof(*keep), str_cmp);
	char **list = NULL;
	int ret = -1;
	if (store_db_begin(&account->db) < 0)
		goto out;
	ssize_t have = pop3_all(account, &list);
	if (have >= 0)
		ret = pop3_delete_missing(account, list, (size_t)have, keep,
		                          count);
	if (ret < 0)
		store_db_rollback(&account->db);
	else if (store_db_commit(&account->db) < 0)
		ret = -1;
	for (ssize_t i = 0; list != NULL && i < have; i++)
		free(list[i]);
	free(list);
out:
	free(keep);
	return ret;
}
