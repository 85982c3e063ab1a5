/* Messages of one account: adding (idempotent through a delivery key kept
 * in the deliveries table, even after expunge), listing by UID range,
 * flags and keywords (RFC 9051 §2.3.2) with a new MODSEQ per change (RFC
 * 7162 §3.1), expunge, copy and move. The body stays in its blob; the
 * message's guid (random 128 bits) follows it through copy and move. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <string.h>
#include <strings.h>

static bool blob_id_is_valid(const char *blob_id)
{
	if (strlen(blob_id) != STORE_BLOB_ID_LEN)
		return false;
	for (const char *p = blob_id; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

/* Inside a transaction: the UID already delivered under key. Returns 1
 * with *uid_r, 0 if none, -1. */
static int delivery_lookup(struct store_account *account, const char *key,
                           uint32_t *uid_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT uid FROM deliveries WHERE key = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*uid_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "delivery lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

struct message_row {
	int64_t mailbox_id;
	uint32_t uid;
	uint64_t modseq;
	uint32_t flags;
	const char *keywords;
	time_t internal_date;
	uint64_t size;
	const char *blob_id;
	const char *guid; /* NULL: a new random one */
	time_t saved;     /* arrival in this mailbox (store_expire.c) */
};

static int message_insert(struct store_account *account,
                          const struct message_row *m)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords,"
	    " internal_date, size, blob_id, guid, saved) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8, coalesce(?9, lower(hex(randomblob(16)))),"
	    " ?10)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, m->mailbox_id);
	sqlite3_bind_int64(stmt, 2, m->uid);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)m->modseq);
	sqlite3_bind_int64(stmt, 4, m->flags);
	sqlite3_bind_text(stmt, 5, m->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)m->internal_date);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)m->size);
	sqlite3_bind_text(stmt, 8, m->blob_id, -1, SQLITE_STATIC);
	if (m->guid != NULL)
		sqlite3_bind_text(stmt, 9, m->guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 10, (sqlite3_int64)m->saved);
	return store_db_step_done(&account->db, stmt, NULL);
}

static int delivery_insert(struct store_account *account, const char *key,
                           int64_t mailbox_id, uint32_t uid, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT INTO deliveries (key, mailbox_id, uid,"
	                  " created) VALUES (?1, ?2, ?3, ?4)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, mailbox_id);
	sqlite3_bind_int64(stmt, 3, uid);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)now);
	return store_db_step_done(&account->db, stmt, NULL);
}

/* Inside a transaction: the body of store_message_add. Returns 1, 0 (key
 * seen before) or -1. */
static int message_add_tx(struct store_account *account, const char *mailbox,
                          struct message_row *m, const char *delivery_key,
                          const char **error_r)
{
	uint32_t uidnext;
	uint64_t hms;
	int ret;
	if (delivery_key != NULL) {
		ret = delivery_lookup(account, delivery_key, &m->uid);
		if (ret < 0) {
			*error_r = account->db.error.data;
			return -1;
		}
		if (ret > 0)
			return 0; /* delivered before: m->uid is its UID */
	}
	ret = store_mailbox_get_ids(account, mailbox, &m->mailbox_id, &uidnext,
	                            &hms);
	if (ret <= 0) {
		*error_r =
		    ret == 0 ? "no such mailbox" : account->db.error.data;
		return -1;
	}
	if (store_mailbox_bump(account, m->mailbox_id, true, &m->uid,
	                       &m->modseq, error_r) < 0)
		return -1;
	/* store_thread.c: JMAP's thread, in the same transaction */
	if (message_insert(account, m) < 0 ||
	    (delivery_key != NULL &&
	     delivery_insert(account, delivery_key, m->mailbox_id, m->uid,
	                     time(NULL)) < 0) ||
	    store_thread_assign(account) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 1;
}

int store_message_add(struct store_account *account, const char *mailbox,
                      const char *blob_id, uint64_t size, uint32_t flags,
                      const char *keywords, time_t internal_date,
                      const char *delivery_key, uint32_t *uid_r,
                      const char **error_r)
{
	if (!blob_id_is_valid(blob_id)) {
		*error_r = "invalid blob id";
		return -1;
	}
	struct message_row m = {
	    .flags = flags,
	    .keywords = keywords != NULL ? keywords : "",
	    .internal_date = internal_date,
	    .size = size,
	    .blob_id = blob_id,
	    /* delivered or appended: it arrives at its internal date (an
	     * APPEND with an old date keeps it, as a client moving mail in
	     * from another server expects) */
	    .saved = internal_date,
	};
	/* In a batch, a savepoint keeps each add all or nothing on its own. */
	if ((account->is_batch ? store_db_exec(&account->db, "SAVEPOINT message_add")
	                       : store_db_begin(&account->db)) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	int ret = message_add_tx(account, mailbox, &m, delivery_key, error_r);
	if (ret <= 0) {
		if (account->is_batch) {
			(void)store_db_exec(&account->db, "ROLLBACK TO message_add");
			(void)store_db_exec(&account->db, "RELEASE message_add");
		} else {
			store_db_rollback(&account->db);
		}
		if (ret == 0 && uid_r != NULL)
			*uid_r = m.uid;
		return ret;
	}
	if (account->is_batch) {
		if (store_db_exec(&account->db, "RELEASE message_add") < 0) {
			*error_r = account->db.error.data;
			return -1;
		}
	} else {
		if (store_db_commit(&account->db) < 0) {
			*error_r = account->db.error.data;
			return -1;
		}
		store_account_db_touch(account);
	}
	if (uid_r != NULL)
		*uid_r = m.uid;
	return 1;
}

int store_message_batch_begin(struct store_account *account,
                              const char **error_r)
{
	ASSERT(!account->is_batch);
	if (store_db_begin(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	account->is_batch = true;
	return 0;
}

int store_message_batch_commit(struct store_account *account,
                               const char **error_r)
{
	ASSERT(account->is_batch);
	account->is_batch = false;
	if (store_db_commit(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	store_account_db_touch(account);
	return 0;
}

void store_message_batch_rollback(struct store_account *account)
{
	if (!account->is_batch)
		return;
	account->is_batch = false;
	store_db_rollback(&account->db);
}

int store_message_rows_walk(struct store_account *account,
                            sqlite3_stmt *stmt, store_message_cb *cb,
                            void *ctx, const char *what)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_message msg = {
		    .uid = (uint32_t)sqlite3_column_int64(stmt, 0),
		    .modseq = (uint64_t)sqlite3_column_int64(stmt, 1),
		    .flags = (uint32_t)sqlite3_column_int64(stmt, 2),
		    .keywords = store_db_column_str(stmt, 3),
		    .internal_date = (time_t)sqlite3_column_int64(stmt, 4),
		    .size = (uint64_t)sqlite3_column_int64(stmt, 5),
		    .blob_id = store_db_column_str(stmt, 6),
		    .guid = store_db_column_str(stmt, 7),
		};
		ret = cb(&msg, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_db_fail(&account->db, what);
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_message_list(struct store_account *account, const char *mailbox,
                       uint32_t first_uid, uint32_t last_uid,
                       store_message_cb *cb, void *ctx)
{
	int64_t id;
	uint32_t uidnext;
	uint64_t hms;
	if (store_mailbox_get_ids(account, mailbox, &id, &uidnext, &hms) <= 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT uid, modseq, flags, keywords, internal_date, size,"
	    " blob_id, guid FROM messages WHERE mailbox_id = ?1"
	    " AND uid BETWEEN ?2 AND ?3 ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, first_uid);
	sqlite3_bind_int64(stmt, 3, last_uid);
	return store_message_rows_walk(account, stmt, cb, ctx, "message list");
}

/* Calls fn for each space-separated word of list. */
static void keywords_each(const char *list,
                          void (*fn)(const char *word, size_t len, void *ctx),
                          void *ctx)
{
	const char *p = list != NULL ? list : "";
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len > 0)
			fn(p, len, ctx);
		p += len;
	}
}

/* Returns true if list holds word (keywords are case-insensitive). */
static bool keywords_has(const char *list, const char *word, size_t len)
{
	const char *p = list;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == len && strncasecmp(p, word, len) == 0)
			return true;
		p += n;
	}
	return false;
}

struct keywords_ctx {
	struct buf *out;
	const char *exclude; /* words not to copy, or NULL */
};

static void keywords_append(const char *word, size_t len, void *context)
{
	struct keywords_ctx *ctx = context;
	if (keywords_has(ctx->out->data, word, len) ||
	    (ctx->exclude != NULL && keywords_has(ctx->exclude, word, len)))
		return;
	if (ctx->out->len > 0)
		buf_append_char(ctx->out, ' ');
	buf_append(ctx->out, word, len);
}

/* Computes the new flags and keywords into *flags_r and out. */
static void flags_apply(enum store_flag_mode mode, uint32_t old_flags,
                        const char *old_keywords, uint32_t flags,
                        const char *keywords, uint32_t *flags_r,
                        struct buf *out)
{
	struct keywords_ctx ctx = {.out = out};
	*flags_r = old_flags;
	switch (mode) {
	case STORE_FLAGS_SET:
		*flags_r = flags;
		keywords_each(keywords, keywords_append, &ctx);
		break;
	case STORE_FLAGS_ADD:
		*flags_r = old_flags | flags;
		keywords_each(old_keywords, keywords_append, &ctx);
		keywords_each(keywords, keywords_append, &ctx);
		break;
	case STORE_FLAGS_REMOVE:
		*flags_r = old_flags & ~flags;
		ctx.exclude = keywords != NULL ? keywords : "";
		keywords_each(old_keywords, keywords_append, &ctx);
		break;
	}
}

/* Inside a transaction: reads a message's flags, keywords (into kw) and
 * modseq. Returns 1, 0 no such UID, -1. */
static int message_flags_get(struct store_account *account, int64_t box,
                             uint32_t uid, uint32_t *flags_r, struct buf *kw,
                             uint64_t *modseq_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT flags, keywords, modseq FROM messages"
	                  " WHERE mailbox_id = ?1 AND uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, uid);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*flags_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		buf_append_str(kw, store_db_column_str(stmt, 1));
		*modseq_r = (uint64_t)sqlite3_column_int64(stmt, 2);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "message lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

static int message_flags_put(struct store_account *account, int64_t box,
                             uint32_t uid, uint32_t flags, const char *keywords,
                             uint64_t modseq)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5"
	    " WHERE mailbox_id = ?1 AND uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, uid);
	sqlite3_bind_int64(stmt, 3, flags);
	sqlite3_bind_text(stmt, 4, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)modseq);
	return store_db_step_done(&account->db, stmt, NULL);
}

/* Inside a transaction: the body of store_message_set_flags. */
static int message_set_flags_tx(struct store_account *account,
                                const char *mailbox, uint32_t uid,
                                enum store_flag_mode mode, uint32_t flags,
                                const char *keywords, uint64_t *modseq_r)
{
	int64_t box;
	uint32_t uidnext, old_flags, new_flags;
	uint64_t hms;
	const char *error;
	struct buf old_kw, new_kw;
	int ret = store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms);
	if (ret <= 0)
		return -1;
	buf_init(&old_kw);
	buf_init(&new_kw);
	ret =
	    message_flags_get(account, box, uid, &old_flags, &old_kw, modseq_r);
	if (ret <= 0)
		goto out;
	flags_apply(mode, old_flags, old_kw.data, flags, keywords, &new_flags,
	            &new_kw);
	/* RFC 7162 §3.1.3: no change, no new MODSEQ */
	if (new_flags == old_flags && strcmp(old_kw.data, new_kw.data) == 0)
		goto out;
	if (store_mailbox_bump(account, box, false, NULL, modseq_r, &error) <
	        0 ||
	    message_flags_put(account, box, uid, new_flags, new_kw.data,
	                      *modseq_r) < 0)
		ret = -1;
	else
		ret = 2; /* changed: touch after commit */
out:
	buf_deinit(&old_kw);
	buf_deinit(&new_kw);
	return ret;
}

int store_message_set_flags(struct store_account *account, const char *mailbox,
                            uint32_t uid, enum store_flag_mode mode,
                            uint32_t flags, const char *keywords,
                            uint64_t *modseq_r)
{
	uint64_t modseq = 0;
	if (store_db_begin(&account->db) < 0)
		return -1;
	int ret = message_set_flags_tx(account, mailbox, uid, mode, flags,
	                               keywords, &modseq);
	if (ret <= 0) {
		store_db_rollback(&account->db);
		return ret;
	}
	if (store_db_commit(&account->db) < 0)
		return -1;
	if (ret == 2)
		store_account_db_touch(account);
	if (modseq_r != NULL)
		*modseq_r = modseq;
	return 1;
}

/* Inside a transaction: logs uid of box as expunged at modseq (RFC 7162
 * §3.2.10 VANISHED). Returns 0 or -1. */
static int expunged_insert(struct store_account *account, int64_t box,
                           uint32_t uid, uint64_t modseq)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR REPLACE INTO expunged (mailbox_id, uid,"
	                  " modseq) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, uid);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)modseq);
	return store_db_step_done(&account->db, stmt, NULL);
}

/* Inside a transaction: deletes the listed UIDs of box, logging each one
 * deleted in the expunge log with modseq. Returns the number deleted, or
 * -1. */
static int message_delete(struct store_account *account, int64_t box,
                          const uint32_t *uids, size_t count, uint64_t modseq)
{
	int deleted = 0;
	for (size_t i = 0; i < count; i++) {
		sqlite3_stmt *stmt = store_db_prepare(
		    &account->db, "DELETE FROM messages"
		                  " WHERE mailbox_id = ?1 AND uid = ?2");
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, box);
		sqlite3_bind_int64(stmt, 2, uids[i]);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
		if (sqlite3_changes(account->db.db) == 0)
			continue;
		if (expunged_insert(account, box, uids[i], modseq) < 0)
			return -1;
		deleted++;
	}
	return deleted;
}

int store_message_expunge(struct store_account *account, const char *mailbox,
                          const uint32_t *uids, size_t count)
{
	int64_t box;
	uint32_t uidnext;
	uint64_t hms;
	const char *error;
	if (store_db_begin(&account->db) < 0)
		return -1;
	int n = -1;
	/* the new MODSEQ first: the expunge log rows carry it; nothing
	 * deleted rolls the bump back */
	if (store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms) <=
	        0 ||
	    store_mailbox_bump(account, box, false, NULL, &hms, &error) < 0)
		goto fail;
	n = message_delete(account, box, uids, count, hms);
	if (n <= 0)
		goto fail;
	if (store_db_commit(&account->db) < 0)
		return -1;
	store_account_db_touch(account);
	return n;
fail:
	store_db_rollback(&account->db);
	return n == 0 ? 0 : -1;
}

/* Inside a transaction: reads message uid of box into *m (strings from
 * pool). Returns 1, 0 no such UID, -1. */
static int message_get(struct store_account *account, int64_t box, uint32_t uid,
                       struct pool *pool, struct message_row *m)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT flags, keywords, internal_date, size, blob_id, guid"
	    " FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, uid);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		m->flags = (uint32_t)sqlite3_column_int64(stmt, 0);
		m->keywords = pool_strdup(pool, store_db_column_str(stmt, 1));
		m->internal_date = (time_t)sqlite3_column_int64(stmt, 2);
		m->size = (uint64_t)sqlite3_column_int64(stmt, 3);
		m->blob_id = pool_strdup(pool, store_db_column_str(stmt, 4));
		m->guid = pool_strdup(pool, store_db_column_str(stmt, 5));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "message lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Inside a transaction: the body of store_message_copy. */
static int message_copy_tx(struct store_account *account, const char *from,
                           uint32_t uid, const char *to, bool move,
                           struct pool *pool, uint32_t *uid_r)
{
	int64_t src;
	uint32_t uidnext;
	uint64_t hms;
	const char *error;
	struct message_row m;
	if (store_mailbox_get_ids(account, from, &src, &uidnext, &hms) <= 0)
		return -1;
	int ret = message_get(account, src, uid, pool, &m);
	if (ret <= 0)
		return ret;
	if (store_mailbox_get_ids(account, to, &m.mailbox_id, &uidnext, &hms) <=
	        0 ||
	    store_mailbox_bump(account, m.mailbox_id, true, &m.uid, &m.modseq,
	                       &error) < 0)
		return -1;
	/* it arrives in "to" now, whatever its internal date */
	m.saved = time(NULL);
	if (message_insert(account, &m) < 0)
		return -1;
	if (move &&
	    (store_mailbox_bump(account, src, false, NULL, &hms, &error) < 0 ||
	     message_delete(account, src, &uid, 1, hms) < 0))
		return -1;
	*uid_r = m.uid;
	return 1;
}

int store_message_copy(struct store_account *account, const char *from,
                       uint32_t uid, const char *to, bool move, uint32_t *uid_r)
{
	struct pool *pool = pool_new();
	uint32_t new_uid = 0;
	int ret = -1;
	if (store_db_begin(&account->db) < 0)
		goto out;
	ret = message_copy_tx(account, from, uid, to, move, pool, &new_uid);
	if (ret <= 0) {
		store_db_rollback(&account->db);
		goto out;
	}
	if (store_db_commit(&account->db) < 0) {
		ret = -1;
		goto out;
	}
	store_account_db_touch(account);
	if (uid_r != NULL)
		*uid_r = new_uid;
out:
	pool_free(&pool);
	return ret;
}
