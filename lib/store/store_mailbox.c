/* Mailboxes of one account (RFC 9051 §5.1 names, §2.3.1.1 UIDs): names are
 * "/"-separated, "INBOX" in any case is the inbox. UIDVALIDITY comes from
 * the clock but always grows (meta.last_uidvalidity), so a mailbox deleted
 * and created again never repeats it. UIDNEXT only grows, and
 * HIGHESTMODSEQ (RFC 7162 §3) grows with every change to a mailbox. */
#include "core/pool.h"
#include "store/store_private.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAILBOX_NAME_MAX 1024

bool store_mailbox_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > MAILBOX_NAME_MAX || name[0] == '/' ||
	    name[len - 1] == '/')
		return false;
	const char *component = name;
	for (const char *p = name;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == '\0') {
			size_t clen = (size_t)(p - component);
			/* doubled "/", or a "." or ".." component */
			if (clen == 0 || (clen == 1 && component[0] == '.') ||
			    (clen == 2 && strncmp(component, "..", 2) == 0))
				return false;
			if (c == '\0')
				return true;
			component = p + 1;
		} else if (c < 0x20 || c == 0x7f || c == '*' || c == '%') {
			/* control bytes, and IMAP LIST wildcards */
			return false;
		}
	}
}

/* "inbox" in any case is INBOX (RFC 9051 §5.1). */
static const char *mailbox_name(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

int store_mailbox_get_ids(struct store_account *account, const char *name,
                          int64_t *id_r, uint32_t *uidnext_r,
                          uint64_t *highestmodseq_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, "SELECT id, uidnext, highestmodseq"
	                                   " FROM mailboxes WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, mailbox_name(name), -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(stmt, 0);
		*uidnext_r = (uint32_t)sqlite3_column_int64(stmt, 1);
		*highestmodseq_r = (uint64_t)sqlite3_column_int64(stmt, 2);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_mailbox_bump(struct store_account *account, int64_t mailbox_id,
                       bool take_uid, uint32_t *uid_r, uint64_t *modseq_r,
                       const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "UPDATE mailboxes SET uidnext = uidnext + ?2,"
	                  " highestmodseq = highestmodseq + 1 WHERE id = ?1"
	                  " RETURNING uidnext - ?2, highestmodseq");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int(stmt, 2, take_uid ? 1 : 0);
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		*error_r = rc == SQLITE_DONE
		               ? "no such mailbox"
		               : store_db_fail(&account->db, "mailbox");
		sqlite3_reset(stmt);
		return -1;
	}
	int64_t uid = sqlite3_column_int64(stmt, 0);
	if (modseq_r != NULL)
		*modseq_r = (uint64_t)sqlite3_column_int64(stmt, 1);
	sqlite3_reset(stmt);
	/* UIDs are 32-bit (RFC 9051 §2.3.1.1): the transaction is rolled back
	 * by the caller, so uidnext never passes the limit. */
	if (take_uid && uid >= (int64_t)UINT32_MAX) {
		*error_r = "mailbox full";
		return -1;
	}
	if (uid_r != NULL)
		*uid_r = (uint32_t)uid;
	return 0;
}

/* Inside a transaction: the next UIDVALIDITY, never below the last one. */
static int next_uidvalidity(struct store_account *account, uint32_t *uv_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO meta (key, value) VALUES ('last_uidvalidity', ?1)"
	    " ON CONFLICT (key) DO UPDATE SET value ="
	    " max(excluded.value, value + 1) RETURNING value");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)(uint32_t)time(NULL));
	int ret = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*uv_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		ret = 0;
	} else {
		store_db_fail(&account->db, "uidvalidity");
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_mailbox_insert(struct store_account *account, const char *name,
                         enum store_special_use special_use,
                         const char **error_r)
{
	uint32_t uidvalidity;
	if (next_uidvalidity(account, &uidvalidity) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO mailboxes (name, special_use, uidvalidity)"
	    " VALUES (?1, ?2, ?3)");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, mailbox_name(name), -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, (int)special_use);
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	bool is_constraint;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0) {
		*error_r =
		    is_constraint ? "mailbox exists" : account->db.error.data;
		return -1;
	}
	return 0;
}

#define MAILBOX_INFO_SELECT                                                    \
	"SELECT m.id, m.name, m.special_use, m.uidvalidity, m.uidnext,"        \
	" m.highestmodseq, m.subscribed,"                                      \
	" (SELECT count(*) FROM messages WHERE mailbox_id = m.id),"            \
	" (SELECT count(*) FROM messages WHERE mailbox_id = m.id"              \
	"  AND (flags & 1) = 0),"                                              \
	" (SELECT coalesce(sum(size), 0) FROM messages"                        \
	"  WHERE mailbox_id = m.id) FROM mailboxes m"

static void mailbox_info_read(sqlite3_stmt *stmt,
                              struct store_mailbox_info *info_r)
{
	info_r->id = sqlite3_column_int64(stmt, 0);
	info_r->name = store_db_column_str(stmt, 1);
	info_r->special_use =
	    (enum store_special_use)sqlite3_column_int(stmt, 2);
	info_r->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 3);
	info_r->uidnext = (uint32_t)sqlite3_column_int64(stmt, 4);
	info_r->highestmodseq = (uint64_t)sqlite3_column_int64(stmt, 5);
	info_r->is_subscribed = sqlite3_column_int(stmt, 6) != 0;
	info_r->messages = (uint32_t)sqlite3_column_int64(stmt, 7);
	info_r->unseen = (uint32_t)sqlite3_column_int64(stmt, 8);
	info_r->size = (uint64_t)sqlite3_column_int64(stmt, 9);
}

int store_mailbox_get(struct store_account *account, const char *name,
                      struct pool *pool, struct store_mailbox_info *info_r)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, MAILBOX_INFO_SELECT
	                                      " WHERE m.name = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, mailbox_name(name), -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		mailbox_info_read(stmt, info_r);
		info_r->name = pool_strdup(pool, info_r->name);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_mailbox_list(struct store_account *account, store_mailbox_cb *cb,
                       void *ctx)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, MAILBOX_INFO_SELECT
	                     " ORDER BY m.name <> 'INBOX', m.name");
	if (stmt == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_mailbox_info info;
		mailbox_info_read(stmt, &info);
		cb(&info, ctx);
	}
	int ret = 0;
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox list");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Runs body (a transaction step) between BEGIN and COMMIT, then touches
 * the changes file. Returns 0, or -1 with *error_r. */
static int
mailbox_write(struct store_account *account,
              int (*body)(struct store_account *account, const char *a,
                          const char *b, int flag, const char **error_r),
              const char *a, const char *b, int flag, const char **error_r)
{
	if (store_db_begin(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	if (body(account, a, b, flag, error_r) < 0) {
		store_db_rollback(&account->db);
		return -1;
	}
	if (store_db_commit(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	store_account_db_touch(account);
	return 0;
}

static int mailbox_create_body(struct store_account *account, const char *name,
                               const char *unused, int special_use,
                               const char **error_r)
{
	return store_mailbox_insert(
	    account, name, (enum store_special_use)special_use, error_r);
}

int store_mailbox_create(struct store_account *account, const char *name,
                         enum store_special_use special_use,
                         const char **error_r)
{
	if (!store_mailbox_name_is_valid(name)) {
		*error_r = "invalid name";
		return -1;
	}
	return mailbox_write(account, mailbox_create_body, name, NULL,
	                     (int)special_use, error_r);
}

/* Runs a one-statement change binding ?1 = a, ?2 = b (if not NULL) or
 * flag. Returns 0, or -1 with "no such mailbox" when nothing changed. */
static int mailbox_update(struct store_account *account, const char *sql,
                          const char *a, const char *b, int flag,
                          const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int(stmt, 2, flag);
	bool is_constraint;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0) {
		*error_r =
		    is_constraint ? "mailbox exists" : account->db.error.data;
		return -1;
	}
	if (sqlite3_changes(account->db.db) == 0) {
		*error_r = "no such mailbox";
		return -1;
	}
	return 0;
}

static int mailbox_delete_body(struct store_account *account, const char *name,
                               const char *unused, int flag,
                               const char **error_r)
{
	return mailbox_update(account,
	                      "DELETE FROM mailboxes WHERE name = ?1"
	                      " AND ?2 = ?2",
	                      name, NULL, flag, error_r);
}

int store_mailbox_delete(struct store_account *account, const char *name,
                         const char **error_r)
{
	name = mailbox_name(name);
	if (strcmp(name, "INBOX") == 0) {
		*error_r = "cannot delete INBOX";
		return -1;
	}
	return mailbox_write(account, mailbox_delete_body, name, NULL, 0,
	                     error_r);
}

/* RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and
 * leaves INBOX empty. UIDs stay, so the new mailbox takes INBOX's UIDNEXT
 * and HIGHESTMODSEQ (under its own new UIDVALIDITY). */
static int mailbox_rename_inbox(struct store_account *account,
                                const char *new_name, const char **error_r)
{
	if (store_mailbox_insert(account, new_name, STORE_SPECIAL_NONE,
	                         error_r) < 0)
		return -1;
	if (mailbox_update(account,
	                   "UPDATE mailboxes SET (uidnext, highestmodseq) ="
	                   " (SELECT uidnext, highestmodseq FROM mailboxes"
	                   "  WHERE name = 'INBOX') WHERE name = ?1"
	                   " AND ?2 = ?2",
	                   new_name, NULL, 0, error_r) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE messages SET mailbox_id ="
	    " (SELECT id FROM mailboxes WHERE name = ?1) WHERE mailbox_id ="
	    " (SELECT id FROM mailboxes WHERE name = 'INBOX')");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, new_name, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	/* INBOX changed (it lost its messages): one more MODSEQ. */
	return mailbox_update(account,
	                      "UPDATE mailboxes SET highestmodseq ="
	                      " highestmodseq + 1 WHERE name = ?1 AND ?2 = ?2",
	                      "INBOX", NULL, 0, error_r);
}

/* Renames old_name and every mailbox below it ("old/x" -> "new/x"). */
static int mailbox_rename_body(struct store_account *account,
                               const char *old_name, const char *new_name,
                               int flag, const char **error_r)
{
	if (strcmp(old_name, "INBOX") == 0)
		return mailbox_rename_inbox(account, new_name, error_r);
	return mailbox_update(account,
	                      "UPDATE mailboxes SET name = ?2 ||"
	                      " substr(name, length(?1) + 1)"
	                      " WHERE name = ?1 OR"
	                      " substr(name, 1, length(?1) + 1) = ?1 || '/'",
	                      old_name, new_name, flag, error_r);
}

int store_mailbox_rename(struct store_account *account, const char *old_name,
                         const char *new_name, const char **error_r)
{
	old_name = mailbox_name(old_name);
	if (!store_mailbox_name_is_valid(new_name)) {
		*error_r = "invalid name";
		return -1;
	}
	new_name = mailbox_name(new_name);
	size_t old_len = strlen(old_name);
	if (strcmp(old_name, new_name) == 0) {
		*error_r = "mailbox exists";
		return -1;
	}
	if (strncmp(new_name, old_name, old_len) == 0 &&
	    new_name[old_len] == '/' && strcmp(old_name, "INBOX") != 0) {
		*error_r = "invalid name"; /* into its own child */
		return -1;
	}
	return mailbox_write(account, mailbox_rename_body, old_name, new_name,
	                     0, error_r);
}

static int mailbox_subscribe_body(struct store_account *account,
                                  const char *name, const char *unused,
                                  int subscribe, const char **error_r)
{
	return mailbox_update(account,
	                      "UPDATE mailboxes SET subscribed = ?2"
	                      " WHERE name = ?1",
	                      name, NULL, subscribe, error_r);
}

int store_mailbox_subscribe(struct store_account *account, const char *name,
                            bool subscribe, const char **error_r)
{
	return mailbox_write(account, mailbox_subscribe_body,
	                     mailbox_name(name), NULL, subscribe ? 1 : 0,
	                     error_r);
}
