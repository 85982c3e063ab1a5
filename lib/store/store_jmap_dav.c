/* JMAP ids, states and changes of the DAV collections and members
 * (store_jmap_dav.h), read from dav_jmap_objects and dav_jmap_collections,
 * which triggers on the DAV tables keep (store_account_db.c): nothing here
 * writes, so CardDAV, CalDAV and JMAP writes are all seen the same way. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_jmap_dav.h"
#include "store/store_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int state_read(struct store_account *account, const char *sql,
                      int64_t key, uint64_t *state_r)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, key);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*state_r = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		store_db_fail(&account->db, "jmap dav state");
		return -1;
	}
	return 0;
}

int store_jmap_dav_state(struct store_account *account,
                         enum store_jmap_dav_type type, uint64_t *state_r)
{
	return state_read(account,
	                  "SELECT coalesce(max(modseq), 0) FROM"
	                  " dav_jmap_objects WHERE type = ?1",
	                  type, state_r);
}

int store_jmap_dav_collection_state(struct store_account *account,
                                    enum store_dav_kind kind, uint64_t *state_r)
{
	return state_read(account,
	                  "SELECT coalesce(max(modseq), 0) FROM"
	                  " dav_jmap_collections WHERE kind = ?1",
	                  kind, state_r);
}

struct change_row {
	int64_t id;
	uint64_t created, modseq;
	bool is_gone;
};

/* Reads the rows of sql (?1 the key, ?2 since, ?3 the limit) into
 * *rows_r (malloc'd). Returns the count or -1. */
static int rows_read(struct store_account *account, const char *sql,
                     int64_t key, uint64_t since, size_t limit,
                     struct change_row **rows_r)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, key);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)limit);
	struct change_row *rows = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		rows[count].id = sqlite3_column_int64(stmt, 0);
		rows[count].created = (uint64_t)sqlite3_column_int64(stmt, 1);
		rows[count].modseq = (uint64_t)sqlite3_column_int64(stmt, 2);
		rows[count].is_gone = sqlite3_column_int(stmt, 3) != 0;
		count++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		free(rows);
		store_db_fail(&account->db, "jmap dav changes");
		return -1;
	}
	*rows_r = rows;
	return (int)count;
}

/* The common part of both /changes: cuts between two stamps, never
 * inside one change (as store_jmap_changes does). */
static int changes_run(struct store_account *account, const char *sql,
                       int64_t key, uint64_t current, uint64_t since,
                       unsigned max, store_jmap_change_cb *cb, void *ctx,
                       uint64_t *upto_r, bool *has_more_r)
{
	if (since > current)
		return 1;
	struct change_row *rows = NULL;
	size_t limit = max == 0 ? 100000000 : (size_t)max + 1;
	int n = rows_read(account, sql, key, since, limit, &rows);
	if (n < 0)
		return -1;
	size_t count = (size_t)n;
	*has_more_r = false;
	*upto_r = current;
	if (max != 0 && count > max) {
		size_t cut = max;
		while (cut > 0 && rows[cut].modseq == rows[cut - 1].modseq)
			cut--;
		if (cut == 0) {
			cut = 1;
			while (cut < count &&
			       rows[cut].modseq == rows[0].modseq)
				cut++;
		}
		if (cut < count) {
			*has_more_r = true;
			*upto_r = rows[cut - 1].modseq;
			count = cut;
		}
	}
	for (size_t i = 0; i < count; i++) {
		const struct change_row *r = &rows[i];
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)r->id);
		bool is_new = r->created > since;
		if (r->is_gone) {
			if (!is_new)
				cb(STORE_JMAP_DESTROYED, id, false, ctx);
		} else {
			cb(is_new ? STORE_JMAP_CREATED : STORE_JMAP_UPDATED, id,
			   false, ctx);
		}
	}
	free(rows);
	return 0;
}

int store_jmap_dav_changes(struct store_account *account,
                           enum store_jmap_dav_type type, uint64_t since,
                           unsigned max, store_jmap_change_cb *cb, void *ctx,
                           uint64_t *upto_r, bool *has_more_r)
{
	uint64_t current;
	if (store_jmap_dav_state(account, type, &current) < 0)
		return -1;
	return changes_run(account,
	                   "SELECT id, created, modseq, obj IS NULL FROM"
	                   " dav_jmap_objects WHERE type = ?1 AND modseq > ?2"
	                   " ORDER BY modseq, id LIMIT ?3",
	                   type, current, since, max, cb, ctx, upto_r,
	                   has_more_r);
}

int store_jmap_dav_collection_changes(struct store_account *account,
                                      enum store_dav_kind kind, uint64_t since,
                                      unsigned max, store_jmap_change_cb *cb,
                                      void *ctx, uint64_t *upto_r,
                                      bool *has_more_r)
{
	uint64_t current;
	if (store_jmap_dav_collection_state(account, kind, &current) < 0)
		return -1;
	return changes_run(account,
	                   "SELECT id, created, modseq, gone FROM"
	                   " dav_jmap_collections WHERE kind = ?1 AND"
	                   " modseq > ?2 ORDER BY modseq, id LIMIT ?3",
	                   kind, current, since, max, cb, ctx, upto_r,
	                   has_more_r);
}

static void ref_read(sqlite3_stmt *stmt, struct pool *pool,
                     struct store_jmap_dav_ref *ref)
{
	ref->id = sqlite3_column_int64(stmt, 0);
	ref->collection_id = sqlite3_column_int64(stmt, 1);
	ref->name =
	    pool_strdup(pool, (const char *)sqlite3_column_text(stmt, 2));
	ref->type = (enum store_jmap_dav_type)sqlite3_column_int(stmt, 3);
}

int store_jmap_dav_locate(struct store_account *account, int64_t id,
                          struct pool *pool, struct store_jmap_dav_ref *ref_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT j.id, o.collection_id, o.name, j.type FROM"
	    " dav_jmap_objects j JOIN dav_objects o ON o.rowid = j.obj"
	    " WHERE j.id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		ref_read(stmt, pool, ref_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_reset(stmt);
	if (ret < 0)
		store_db_fail(&account->db, "jmap dav locate");
	return ret;
}

int store_jmap_dav_id(struct store_account *account, int64_t coll_id,
                      const char *name, int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT j.id FROM dav_objects o JOIN dav_jmap_objects j ON"
	    " j.obj = o.rowid WHERE o.collection_id = ?1 AND o.name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(stmt, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_reset(stmt);
	if (ret < 0)
		store_db_fail(&account->db, "jmap dav id");
	return ret;
}

int store_jmap_dav_list(struct store_account *account,
                        enum store_jmap_dav_type type, int64_t coll_id,
                        int64_t start, int64_t end, struct pool *pool,
                        struct store_jmap_dav_ref **refs_r, size_t *count_r)
{
	/* an unbounded span is NULL in the table (store_account_db.c) */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT j.id, o.collection_id, o.name, j.type FROM"
	    " dav_jmap_objects j JOIN dav_objects o ON o.rowid = j.obj"
	    " WHERE j.type = ?1 AND (?2 = 0 OR o.collection_id = ?2)"
	    " AND (o.time_start IS NULL OR o.time_start < ?4)"
	    " AND (o.time_end IS NULL OR o.time_end > ?3) ORDER BY j.id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, type);
	sqlite3_bind_int64(stmt, 2, coll_id);
	sqlite3_bind_int64(stmt, 3, start);
	sqlite3_bind_int64(stmt, 4, end);
	struct store_jmap_dav_ref *refs = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap == 0 ? 32 : cap * 2;
			struct store_jmap_dav_ref *n =
			    pool_alloc(pool, ncap * sizeof(*n));
			if (count > 0)
				memcpy(n, refs, count * sizeof(*n));
			refs = n;
			cap = ncap;
		}
		ref_read(stmt, pool, &refs[count++]);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "jmap dav list");
		return -1;
	}
	*refs_r = refs;
	*count_r = count;
	return 0;
}
