/* JMAP's view of an account (store_jmap.h): states and changes from the
 * change counter the triggers keep (store_account_db.c), Emails by guid,
 * Mailboxes with their counts, Threads, and the writes JMAP makes by guid.
 * The writes go through the public message calls (store_message_copy,
 * _expunge, _set_flags), so IMAP's MODSEQs, the expunge log and every
 * other effect of a change are the same whichever protocol made it. */
#include "core/buf.h"
#include "core/pool.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int meta_get(struct store_account *account, const char *key,
                    uint64_t *value_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT value FROM meta WHERE key = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW)
		*value_r = (uint64_t)sqlite3_column_int64(stmt, 0);
	else
		ret = -1;
	sqlite3_reset(stmt);
	if (ret < 0)
		store_db_fail(&account->db, "jmap state");
	return ret;
}

/* Threads for Emails stored before this code ran (an upgraded store). */
static int threads_pending(struct store_account *account)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM emails WHERE thread_id = 0 AND"
	                  " rows > 0 LIMIT 1");
	if (stmt == NULL)
		return -1;
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW || store_db_begin(&account->db) < 0)
		return -1;
	if (store_thread_assign(account) < 0) {
		store_db_rollback(&account->db);
		return -1;
	}
	if (store_db_commit(&account->db) < 0)
		return -1;
	store_account_db_touch(account);
	return threads_pending(account);
}

int store_jmap_states(struct store_account *account,
                      struct store_jmap_states *st)
{
	if (threads_pending(account) < 0 ||
	    meta_get(account, "jmap_state_email", &st->email) < 0 ||
	    meta_get(account, "jmap_state_mailbox", &st->mailbox) < 0 ||
	    meta_get(account, "jmap_state_thread", &st->thread) < 0)
		return -1;
	return 0;
}

/* ---- Mailboxes ---- */

int store_jmap_mailbox_list(struct store_account *account,
                            store_jmap_mailbox_cb *cb, void *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT b.id, b.name, b.special_use, b.subscribed, b.sort_order,"
	    " (SELECT count(DISTINCT m.guid) FROM messages m WHERE"
	    "  m.mailbox_id = b.id AND (m.flags & 8) = 0),"
	    " (SELECT count(DISTINCT m.guid) FROM messages m WHERE"
	    "  m.mailbox_id = b.id AND (m.flags & 9) = 0),"
	    " (SELECT count(DISTINCT e.thread_id) FROM messages m JOIN emails"
	    "  e ON e.guid = m.guid WHERE m.mailbox_id = b.id AND"
	    "  (m.flags & 8) = 0),"
	    " (SELECT count(DISTINCT e.thread_id) FROM messages m JOIN emails"
	    "  e ON e.guid = m.guid WHERE m.mailbox_id = b.id AND"
	    "  (m.flags & 9) = 0)"
	    " FROM mailboxes b ORDER BY b.name");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_jmap_mailbox mb = {
		    .id = sqlite3_column_int64(stmt, 0),
		    .name = store_db_column_str(stmt, 1),
		    .special_use = sqlite3_column_int(stmt, 2),
		    .is_subscribed = sqlite3_column_int(stmt, 3) != 0,
		    .sort_order = (uint32_t)sqlite3_column_int64(stmt, 4),
		    .total_emails = (uint32_t)sqlite3_column_int64(stmt, 5),
		    .unread_emails = (uint32_t)sqlite3_column_int64(stmt, 6),
		    .total_threads = (uint32_t)sqlite3_column_int64(stmt, 7),
		    .unread_threads = (uint32_t)sqlite3_column_int64(stmt, 8),
		};
		cb(&mb, ctx);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox list");
		return -1;
	}
	return 0;
}

int store_jmap_mailbox_name(struct store_account *account, int64_t id,
                            struct pool *pool, const char **name_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT name FROM mailboxes WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*name_r = pool_strdup(pool, store_db_column_str(stmt, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_jmap_mailbox_id(struct store_account *account, const char *name,
                          int64_t *id_r)
{
	uint32_t uidnext;
	uint64_t hms;
	return store_mailbox_get_ids(account, name, id_r, &uidnext, &hms);
}

static int mailbox_set_int(struct store_account *account, const char *sql,
                           int64_t id, int64_t value)
{
	if (store_db_begin(&account->db) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL) {
		store_db_rollback(&account->db);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, value);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		store_db_rollback(&account->db);
		return -1;
	}
	int changed = sqlite3_changes(account->db.db) > 0;
	if (store_db_commit(&account->db) < 0)
		return -1;
	store_account_db_touch(account);
	return changed;
}

int store_jmap_mailbox_set_sort_order(struct store_account *account,
                                      int64_t id, uint32_t sort_order)
{
	return mailbox_set_int(account,
	                       "UPDATE mailboxes SET sort_order = ?2"
	                       " WHERE id = ?1",
	                       id, sort_order);
}

int store_jmap_mailbox_set_role(struct store_account *account, int64_t id,
                                enum store_special_use special_use)
{
	return mailbox_set_int(account,
	                       "UPDATE mailboxes SET special_use = ?2"
	                       " WHERE id = ?1",
	                       id, special_use);
}

int64_t store_jmap_mailbox_count(struct store_account *account, int64_t id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT count(*) FROM messages WHERE mailbox_id ="
	                  " ?1 AND (flags & 8) = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	int64_t n = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

/* ---- Changes ---- */

struct change_row {
	char id[40];
	uint64_t created, modseq, props_modseq;
	bool is_visible;
};

static const char *const changes_sql[] = {
    [STORE_JMAP_EMAIL] = "SELECT guid, created, modseq, modseq, visible > 0"
                         " FROM emails WHERE modseq > ?1 ORDER BY modseq"
                         " LIMIT ?2",
    [STORE_JMAP_MAILBOX] =
        "SELECT id, jmap_created, jmap_modseq, jmap_props_modseq, 1"
        " FROM mailboxes WHERE jmap_modseq > ?1 UNION ALL"
        " SELECT id, created, modseq, modseq, 0 FROM jmap_mailbox_gone"
        " WHERE modseq > ?1 ORDER BY 3 LIMIT ?2",
    [STORE_JMAP_THREAD] = "SELECT id, created, modseq, modseq, visible > 0"
                          " FROM threads WHERE modseq > ?1 ORDER BY modseq"
                          " LIMIT ?2",
};

static const char *const state_keys[] = {
    [STORE_JMAP_EMAIL] = "jmap_state_email",
    [STORE_JMAP_MAILBOX] = "jmap_state_mailbox",
    [STORE_JMAP_THREAD] = "jmap_state_thread",
};

/* Reads at most limit changed rows into *rows_r (heap). Returns the
 * count, or -1. */
static int changes_read(struct store_account *account,
                        enum store_jmap_type type, uint64_t since,
                        size_t limit, struct change_row **rows_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, changes_sql[type]);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)since);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
	struct change_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			rows = realloc(rows, cap * sizeof(*rows));
			if (rows == NULL)
				abort();
		}
		struct change_row *r = &rows[n++];
		snprintf(r->id, sizeof(r->id), "%s",
		         store_db_column_str(stmt, 0));
		r->created = (uint64_t)sqlite3_column_int64(stmt, 1);
		r->modseq = (uint64_t)sqlite3_column_int64(stmt, 2);
		r->props_modseq = (uint64_t)sqlite3_column_int64(stmt, 3);
		r->is_visible = sqlite3_column_int(stmt, 4) != 0;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		free(rows);
		store_db_fail(&account->db, "jmap changes");
		return -1;
	}
	*rows_r = rows;
	return (int)n;
}

int store_jmap_changes(struct store_account *account, enum store_jmap_type type,
                       uint64_t since, unsigned max, store_jmap_change_cb *cb,
                       void *ctx, uint64_t *upto_r, bool *has_more_r)
{
	uint64_t current;
	if (threads_pending(account) < 0 ||
	    meta_get(account, state_keys[type], &current) < 0)
		return -1;
	if (since > current)
		return 1;
	struct change_row *rows = NULL;
	size_t limit = max == 0 ? 100000000 : (size_t)max + 1;
	int n = changes_read(account, type, since, limit, &rows);
	if (n < 0)
		return -1;
	size_t count = (size_t)n;
	*has_more_r = false;
	*upto_r = current;
	if (max != 0 && count > max) {
		/* cut between two modseqs: a change is never split */
		size_t cut = max;
		while (cut > 0 && rows[cut].modseq == rows[cut - 1].modseq)
			cut--;
		if (cut == 0) { /* one change larger than max: all of it */
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
		bool is_new = r->created > since;
		if (!r->is_visible) {
			if (!is_new)
				cb(STORE_JMAP_DESTROYED, r->id, false, ctx);
		} else if (is_new) {
			cb(STORE_JMAP_CREATED, r->id, false, ctx);
		} else {
			cb(STORE_JMAP_UPDATED, r->id,
			   r->props_modseq <= since && type == STORE_JMAP_MAILBOX,
			   ctx);
		}
	}
	free(rows);
	return 0;
}

/* ---- Emails ---- */

/* Adds the words of list to out unless there (case-insensitive). */
static void keywords_union(struct buf *out, const char *list)
{
	const char *p = list;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		bool found = false;
		const char *q = out->data;
		while (*q != '\0' && !found) {
			while (*q == ' ')
				q++;
			size_t ql = strcspn(q, " ");
			found = ql == len && strncasecmp(q, p, len) == 0;
			q += ql;
		}
		if (!found) {
			if (out->len > 0)
				buf_append_char(out, ' ');
			buf_append(out, p, len);
		}
		p += len;
	}
}

int store_jmap_email_get(struct store_account *account, const char *guid,
                         struct pool *pool, struct store_jmap_email *e)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT m.mailbox_id, m.uid, m.flags, m.keywords,"
	    " m.internal_date, m.size, m.blob_id, e.thread_id FROM messages m"
	    " JOIN emails e ON e.guid = m.guid WHERE m.guid = ?1"
	    " AND (m.flags & 8) = 0 ORDER BY m.mailbox_id, m.uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	memset(e, 0, sizeof(*e));
	struct buf kw;
	buf_init(&kw);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (e->row_count == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			struct store_jmap_row *rows =
			    pool_alloc(pool, cap * sizeof(*rows));
			if (e->row_count > 0)
				memcpy(rows, e->rows,
				       e->row_count * sizeof(*rows));
			e->rows = rows;
		}
		struct store_jmap_row *r = &e->rows[e->row_count++];
		r->mailbox_id = sqlite3_column_int64(stmt, 0);
		r->uid = (uint32_t)sqlite3_column_int64(stmt, 1);
		r->flags = (uint32_t)sqlite3_column_int64(stmt, 2);
		r->keywords = pool_strdup(pool, store_db_column_str(stmt, 3));
		time_t date = (time_t)sqlite3_column_int64(stmt, 4);
		if (e->row_count == 1 || date < e->received)
			e->received = date;
		e->flags |= r->flags;
		keywords_union(&kw, r->keywords);
		if (e->row_count == 1) {
			e->size = (uint64_t)sqlite3_column_int64(stmt, 5);
			e->blob_id =
			    pool_strdup(pool, store_db_column_str(stmt, 6));
			e->thread_id = sqlite3_column_int64(stmt, 7);
		}
	}
	sqlite3_reset(stmt);
	e->guid = pool_strdup(pool, guid);
	e->keywords = pool_strdup(pool, kw.data);
	buf_deinit(&kw);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "jmap email");
		return -1;
	}
	return e->row_count > 0 ? 1 : 0;
}

int store_jmap_email_walk(struct store_account *account, int64_t mailbox_id,
                          bool is_desc, store_jmap_item_cb *cb, void *ctx)
{
#define WALK_SELECT                                                            \
	"SELECT m.guid, e.thread_id, m.mailbox_id, m.uid, m.flags,"            \
	" m.keywords, m.internal_date, m.size, m.blob_id FROM messages m"     \
	" JOIN emails e ON e.guid = m.guid WHERE (m.flags & 8) = 0 "
	static const char *const sql[2][2] = {
	    {WALK_SELECT "ORDER BY m.internal_date, m.uid",
	     WALK_SELECT "ORDER BY m.internal_date DESC, m.uid DESC"},
	    {WALK_SELECT "AND m.mailbox_id = ?1 ORDER BY m.internal_date,"
	                 " m.uid",
	     WALK_SELECT "AND m.mailbox_id = ?1 ORDER BY m.internal_date"
	                 " DESC, m.uid DESC"},
	};
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, sql[mailbox_id != 0][is_desc ? 1 : 0]);
	if (stmt == NULL)
		return -1;
	if (mailbox_id != 0)
		sqlite3_bind_int64(stmt, 1, mailbox_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_jmap_item it = {
		    .guid = store_db_column_str(stmt, 0),
		    .thread_id = sqlite3_column_int64(stmt, 1),
		    .mailbox_id = sqlite3_column_int64(stmt, 2),
		    .uid = (uint32_t)sqlite3_column_int64(stmt, 3),
		    .flags = (uint32_t)sqlite3_column_int64(stmt, 4),
		    .keywords = store_db_column_str(stmt, 5),
		    .received = (time_t)sqlite3_column_int64(stmt, 6),
		    .size = (uint64_t)sqlite3_column_int64(stmt, 7),
		    .blob_id = store_db_column_str(stmt, 8),
		};
		ret = cb(&it, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_db_fail(&account->db, "jmap walk");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_jmap_thread_get(struct store_account *account, int64_t id,
                          struct pool *pool, const char ***guids_r,
                          size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT e.guid, min(m.internal_date) AS d FROM emails e JOIN"
	    " messages m ON m.guid = e.guid WHERE e.thread_id = ?1 AND"
	    " e.visible > 0 AND (m.flags & 8) = 0 GROUP BY e.guid"
	    " ORDER BY d, e.guid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	const char **guids = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			const char **g = pool_alloc(pool, cap * sizeof(*g));
			if (n > 0)
				memcpy(g, guids, n * sizeof(*g));
			guids = g;
		}
		guids[n++] = pool_strdup(pool, store_db_column_str(stmt, 0));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return -1;
	*guids_r = guids;
	*count_r = n;
	return n > 0 ? 1 : 0;
}

int store_jmap_email_set_keywords(struct store_account *account,
                                  const char *guid, uint32_t flags,
                                  const char *keywords)
{
	struct pool *pool = pool_new();
	struct store_jmap_email e;
	int ret = store_jmap_email_get(account, guid, pool, &e);
	for (size_t i = 0; ret > 0 && i < e.row_count; i++) {
		const char *name;
		if (store_jmap_mailbox_name(account, e.rows[i].mailbox_id,
		                            pool, &name) <= 0 ||
		    store_message_set_flags(account, name, e.rows[i].uid,
		                            STORE_FLAGS_SET, flags, keywords,
		                            NULL) < 0)
			ret = -1;
	}
	pool_free(&pool);
	return ret;
}

static bool ids_has(const int64_t *ids, size_t count, int64_t id)
{
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

int store_jmap_email_set_mailboxes(struct store_account *account,
                                   const char *guid, const int64_t *ids,
                                   size_t count, const char **error_r)
{
	struct pool *pool = pool_new();
	struct store_jmap_email e;
	int ret = store_jmap_email_get(account, guid, pool, &e);
	*error_r = "storage failure";
	if (ret <= 0)
		goto out;
	/* the first row is the one copied or moved */
	const char *src;
	uint32_t src_uid = e.rows[0].uid;
	if (store_jmap_mailbox_name(account, e.rows[0].mailbox_id, pool,
	                            &src) <= 0)
		goto fail;
	bool keep_src = ids_has(ids, count, e.rows[0].mailbox_id);
	bool moved = keep_src;
	for (size_t i = 0; i < count; i++) {
		bool present = false;
		for (size_t k = 0; k < e.row_count; k++)
			present = present || e.rows[k].mailbox_id == ids[i];
		if (present)
			continue;
		const char *to;
		int r = store_jmap_mailbox_name(account, ids[i], pool, &to);
		if (r == 0)
			*error_r = "no such mailbox";
		uint32_t uid;
		/* the first new mailbox takes the source row by MOVE when the
		   source is left (RFC 6851: IMAP sessions see one move) */
		if (r <= 0 ||
		    store_message_copy(account, src, src_uid, to, !moved,
		                       &uid) <= 0)
			goto fail;
		moved = true;
	}
	for (size_t k = keep_src || !moved ? 0 : 1; k < e.row_count; k++) {
		if (ids_has(ids, count, e.rows[k].mailbox_id))
			continue;
		const char *name;
		if (store_jmap_mailbox_name(account, e.rows[k].mailbox_id,
		                            pool, &name) <= 0 ||
		    store_message_expunge(account, name, &e.rows[k].uid, 1) <
		        0)
			goto fail;
	}
	ret = 1;
	goto out;
fail:
	ret = -1;
out:
	pool_free(&pool);
	return ret;
}

int store_jmap_email_destroy(struct store_account *account, const char *guid)
{
	struct pool *pool = pool_new();
	struct store_jmap_email e;
	int ret = store_jmap_email_get(account, guid, pool, &e);
	for (size_t i = 0; ret > 0 && i < e.row_count; i++) {
		const char *name;
		if (store_jmap_mailbox_name(account, e.rows[i].mailbox_id,
		                            pool, &name) <= 0 ||
		    store_message_expunge(account, name, &e.rows[i].uid, 1) <
		        0)
			ret = -1;
	}
	pool_free(&pool);
	return ret;
}

int store_jmap_message_guid(struct store_account *account, const char *mailbox,
                            uint32_t uid, struct pool *pool,
                            const char **guid_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT guid FROM messages WHERE mailbox_id = (SELECT id FROM"
	    " mailboxes WHERE name = ?1) AND uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, strcasecmp(mailbox, "inbox") == 0 ? "INBOX"
	                                                             : mailbox,
	                  -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, uid);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*guid_r = pool_strdup(pool, store_db_column_str(stmt, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* ---- Blobs ---- */

int store_jmap_upload_add(struct store_account *account, const char *blob_id,
                          const char *type, uint64_t size)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR REPLACE INTO uploads (blob_id, type,"
	                  " size, created) VALUES (?1, ?2, ?3, ?4)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)time(NULL));
	return store_db_step_done(&account->db, stmt, NULL);
}

int store_jmap_blob_is_owned(struct store_account *account,
                             const char *blob_id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT 1 FROM messages WHERE blob_id = ?1 UNION ALL"
	    " SELECT 1 FROM uploads WHERE blob_id = ?1 LIMIT 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
