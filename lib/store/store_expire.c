/* Mailbox expiry (store_expire.h): the per-mailbox setting in
 * mailboxes.expire_days, and the maintenance job that expunges messages
 * whose messages.saved is older than the mailbox's days. The candidates of
 * one batch are read outside any transaction, then expunged in one short
 * transaction each (store_message_expunge: new MODSEQ, expunge log, the
 * changes file for IDLE sessions), so a writer such as deliver or imapd
 * never waits long for the account database. */
#include "store/store_expire.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPIRE_DAY_SECS 86400

unsigned store_expiry_effective(const struct store_expiry_settings *set,
                                enum store_special_use special_use,
                                int days_set)
{
	if (days_set >= 0)
		return (unsigned)days_set;
	switch (special_use) {
	case STORE_SPECIAL_TRASH:
		return set->trash_days;
	case STORE_SPECIAL_JUNK:
		return set->junk_days;
	default:
		return 0;
	}
}

int store_expiry_get(struct store_account *account, const char *mailbox,
                     int *days_r, enum store_special_use *special_use_r,
                     const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT special_use, expire_days FROM mailboxes"
	                  " WHERE name = ?1");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*special_use_r =
		    (enum store_special_use)sqlite3_column_int(stmt, 0);
		*days_r = sqlite3_column_type(stmt, 1) == SQLITE_NULL
		              ? -1
		              : sqlite3_column_int(stmt, 1);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		*error_r = store_db_fail(&account->db, "expiry lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_expiry_set(struct store_account *account, const char *mailbox,
                     int days, const char **error_r)
{
	if (days < -1 || days > STORE_EXPIRY_DAYS_MAX) {
		*error_r = "days out of range";
		return -1;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE mailboxes SET expire_days = ?1 WHERE name = ?2");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	if (days >= 0)
		sqlite3_bind_int(stmt, 1, days);
	else
		sqlite3_bind_null(stmt, 1);
	sqlite3_bind_text(stmt, 2, mailbox, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	if (sqlite3_changes(account->db.db) == 0) {
		*error_r = "no such mailbox";
		return -1;
	}
	return 0;
}

struct expire_box {
	int64_t id;
	const char *name;
	unsigned days;
};

/* Reads the mailboxes that have an expiry. Returns their count (array
 * from pool in *boxes_r), or -1. */
static int expire_boxes(struct store_account *account,
                        const struct store_expiry_settings *set,
                        struct pool *pool, struct expire_box **boxes_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT id, name, special_use, expire_days FROM mailboxes");
	size_t count = 0, cap = 16;
	struct expire_box *boxes = pool_alloc(pool, cap * sizeof(*boxes));
	int rc;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int days_set = sqlite3_column_type(stmt, 3) == SQLITE_NULL
		                   ? -1
		                   : sqlite3_column_int(stmt, 3);
		unsigned days = store_expiry_effective(
		    set, (enum store_special_use)sqlite3_column_int(stmt, 2),
		    days_set);
		if (days == 0)
			continue;
		if (count == cap) {
			struct expire_box *more =
			    pool_alloc(pool, cap * 2 * sizeof(*boxes));
			memcpy(more, boxes, count * sizeof(*boxes));
			boxes = more;
			cap *= 2;
		}
		boxes[count++] = (struct expire_box){
		    .id = sqlite3_column_int64(stmt, 0),
		    .name = pool_strdup(pool, store_db_column_str(stmt, 1)),
		    .days = days,
		};
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox list");
		return -1;
	}
	*boxes_r = boxes;
	return (int)count;
}

/* Up to max UIDs of box that arrived before cutoff, oldest UIDs first.
 * Returns their count, or -1. */
static int expire_candidates(struct store_account *account, int64_t box,
                             time_t cutoff, uint32_t *uids, size_t max)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT uid FROM messages WHERE mailbox_id = ?1"
	                  " AND saved < ?2 ORDER BY uid LIMIT ?3");
	size_t count = 0;
	int rc;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)cutoff);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && count < max)
		uids[count++] = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_db_fail(&account->db, "expiry candidates");
		return -1;
	}
	return (int)count;
}

/* Expires one mailbox. Returns the messages removed, or -1. */
static long expire_box(struct store_account *account,
                       const struct store_expiry_settings *set,
                       const struct expire_box *box, time_t now, uint32_t *uids,
                       bool *has_more_r)
{
	time_t cutoff = now - (time_t)box->days * EXPIRE_DAY_SECS;
	size_t batch = set->batch > 0 ? set->batch : 500;
	long removed = 0;
	*has_more_r = false;
	for (;;) {
		if (set->max_per_run > 0 &&
		    (size_t)removed >= set->max_per_run) {
			/* the rest waits for the next run: is there a rest? */
			int more = expire_candidates(account, box->id, cutoff,
			                             uids, 1);
			if (more < 0)
				return -1;
			*has_more_r = more > 0;
			break;
		}
		int n =
		    expire_candidates(account, box->id, cutoff, uids, batch);
		if (n <= 0)
			return n < 0 ? -1 : removed;
		int gone =
		    store_message_expunge(account, box->name, uids, (size_t)n);
		if (gone < 0)
			return -1;
		removed += gone;
		if ((size_t)n < batch || gone == 0)
			break;
	}
	return removed;
}

long store_expire_account(struct store_account *account,
                          const struct store_expiry_settings *set, time_t now,
                          store_expire_cb *cb, void *ctx, const char **error_r)
{
	struct pool *pool = pool_new();
	struct expire_box *boxes;
	long total = 0;
	int count = expire_boxes(account, set, pool, &boxes);
	size_t batch = set->batch > 0 ? set->batch : 500;
	uint32_t *uids = pool_alloc(pool, batch * sizeof(*uids));
	for (int i = 0; i < count; i++) {
		bool has_more;
		long n =
		    expire_box(account, set, &boxes[i], now, uids, &has_more);
		if (n < 0) {
			count = -1;
			break;
		}
		total += n;
		if (n > 0 && cb != NULL)
			cb(boxes[i].name, boxes[i].days, (size_t)n, has_more,
			   ctx);
	}
	if (count < 0) {
		*error_r = account->db.error.data;
		total = -1;
	}
	pool_free(&pool);
	return total;
}
