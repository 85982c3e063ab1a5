/* IMAP helpers over one account database (RFC 9051 §2.3.1 UIDs and
 * sequence numbers, RFC 7162 MODSEQ) and the process-wide change watcher
 * (inotify on accounts/<id>/changes, which every commit touches). */
#include "core/xmalloc.h"
#include "store/store_imap.h"
#include "store/store_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <unistd.h>

int store_imap_mailbox_state(struct store_account *account, const char *mailbox,
                             uint32_t *uidvalidity_r, uint32_t *uidnext_r,
                             uint64_t *highestmodseq_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT uidvalidity, uidnext, highestmodseq"
	                  " FROM mailboxes WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	const char *name =
	    strcasecmp(mailbox, "INBOX") == 0 ? "INBOX" : mailbox;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		*uidnext_r = (uint32_t)sqlite3_column_int64(stmt, 1);
		*highestmodseq_r = (uint64_t)sqlite3_column_int64(stmt, 2);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "mailbox state");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Runs stmt (bound) and collects its first column as UIDs. Returns 1 or
 * -1 (what names the failure). */
static int uids_collect(struct store_account *account, sqlite3_stmt *stmt,
                        const char *what, uint32_t **uids_r, size_t *count_r)
{
	size_t count = 0, cap = 0;
	uint32_t *uids = NULL;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			uids = xrealloc(uids, cap * sizeof(*uids));
		}
		uids[count++] = (uint32_t)sqlite3_column_int64(stmt, 0);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, what);
		free(uids);
		return -1;
	}
	*uids_r = uids;
	*count_r = count;
	return 1;
}

int store_imap_uids(struct store_account *account, const char *mailbox,
                    uint32_t **uids_r, size_t *count_r)
{
	int64_t box;
	uint32_t uidnext;
	uint64_t hms;
	*uids_r = NULL;
	*count_r = 0;
	int ret = store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms);
	if (ret <= 0)
		return ret;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT uid FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	return uids_collect(account, stmt, "uid list", uids_r, count_r);
}

int store_imap_select_info(struct store_account *account, const char *mailbox,
                           uint32_t *first_unseen_r,
                           void (*cb)(const char *keywords, void *ctx),
                           void *ctx)
{
	int64_t box;
	uint32_t uidnext;
	uint64_t hms;
	*first_unseen_r = 0;
	int ret = store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms);
	if (ret <= 0)
		return ret;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT min(uid) FROM messages WHERE mailbox_id = ?1"
	                  " AND (flags & 1) = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*first_unseen_r = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		store_db_fail(&account->db, "first unseen");
		return -1;
	}
	stmt = store_db_prepare(&account->db,
	                        "SELECT DISTINCT keywords FROM messages"
	                        " WHERE mailbox_id = ?1 AND keywords <> ''");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(stmt, 0), ctx);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "keywords in use");
		return -1;
	}
	return 1;
}

/* Reads the expunge log's horizon of box into *horizon_r. Returns 0 or
 * -1. */
static int expunge_horizon(struct store_account *account, int64_t box,
                           uint64_t *horizon_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT expunge_horizon FROM mailboxes WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	int rc = sqlite3_step(stmt);
	*horizon_r = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(stmt, 0)
	                              : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_db_fail(&account->db, "expunge horizon");
		return -1;
	}
	return 0;
}

/* The log was pruned past since: every UID below uidnext that is not in
 * box now may have gone after since (RFC 7162 §3.2.5.2 allows the wider
 * answer). XXX one uint32_t per missing UID: a mailbox with UIDNEXT in
 * the millions and few messages costs megabytes for one such request. */
static int vanished_all(struct store_account *account, int64_t box,
                        uint32_t uidnext, uint32_t **uids_r, size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT uid FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	uint32_t *present;
	size_t n;
	if (uids_collect(account, stmt, "uid list", &present, &n) < 0)
		return -1;
	size_t count = 0, cap = 0, j = 0;
	uint32_t *uids = NULL;
	for (uint32_t uid = 1; uid < uidnext; uid++) {
		if (j < n && present[j] == uid) {
			j++;
			continue;
		}
		if (count == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			uids = xrealloc(uids, cap * sizeof(*uids));
		}
		uids[count++] = uid;
	}
	free(present);
	*uids_r = uids;
	*count_r = count;
	return 1;
}

int store_imap_vanished(struct store_account *account, const char *mailbox,
                        uint64_t since, uint32_t **uids_r, size_t *count_r)
{
	int64_t box;
	uint32_t uidnext;
	uint64_t hms, horizon;
	*uids_r = NULL;
	*count_r = 0;
	int ret = store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms);
	if (ret <= 0 || hms <= since)
		return ret;
	if (expunge_horizon(account, box, &horizon) < 0)
		return -1;
	if (since < horizon)
		return vanished_all(account, box, uidnext, uids_r, count_r);
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT uid FROM expunged"
	    " WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	return uids_collect(account, stmt, "vanished list", uids_r, count_r);
}

/* Inside a transaction when claiming: the body of store_imap_recent. */
static int recent_tx(struct store_account *account, const char *mailbox,
                     uint32_t last_uid, bool claim, uint32_t *old_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT id, recent_uid FROM mailboxes"
	                  " WHERE name = ?1");
	if (stmt == NULL)
		return -1;
	const char *name =
	    strcasecmp(mailbox, "INBOX") == 0 ? "INBOX" : mailbox;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	int64_t box = 0;
	if (rc == SQLITE_ROW) {
		box = sqlite3_column_int64(stmt, 0);
		*old_r = (uint32_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			store_db_fail(&account->db, "recent");
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (!claim || last_uid <= *old_r)
		return 1;
	stmt = store_db_prepare(&account->db,
	                        "UPDATE mailboxes SET recent_uid = ?2"
	                        " WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, last_uid);
	return store_db_step_done(&account->db, stmt, NULL) < 0 ? -1 : 1;
}

int store_imap_recent(struct store_account *account, const char *mailbox,
                      uint32_t last_uid, bool claim, uint32_t *old_r)
{
	*old_r = 0;
	if (!claim)
		return recent_tx(account, mailbox, last_uid, false, old_r);
	if (store_db_begin(&account->db) < 0)
		return -1;
	int ret = recent_tx(account, mailbox, last_uid, true, old_r);
	if (ret <= 0) {
		store_db_rollback(&account->db);
		return ret;
	}
	return store_db_commit(&account->db) < 0 ? -1 : 1;
}

int store_imap_changed(struct store_account *account, const char *mailbox,
                       uint64_t since, store_message_cb *cb, void *ctx)
{
	int64_t box;
	uint32_t uidnext;
	uint64_t hms;
	int ret = store_mailbox_get_ids(account, mailbox, &box, &uidnext, &hms);
	if (ret <= 0)
		return ret < 0 ? -1 : 0;
	if (hms <= since)
		return 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT uid, modseq, flags, keywords, internal_date, size,"
	    " blob_id, guid FROM messages"
	    " WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, box);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	return store_message_rows_walk(account, stmt, cb, ctx, "changed list");
}

struct watch_ref {
	int wd;
	unsigned refs;
};

struct store_watcher {
	int fd;
	struct watch_ref *refs;
	size_t count, cap;
};

struct store_watcher *store_watcher_new(struct store *store)
{
	(void)store;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct store_watcher *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	return w;
}

void store_watcher_free(struct store_watcher **watcher)
{
	struct store_watcher *w = *watcher;
	if (w == NULL)
		return;
	*watcher = NULL;
	close(w->fd);
	free(w->refs);
	free(w);
}

int store_watcher_fd(const struct store_watcher *w)
{
	return w->fd;
}

int store_watcher_add(struct store_watcher *w, struct store_account *account)
{
	int wd = inotify_add_watch(w->fd, account->changes_path,
	                           IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE);
	if (wd < 0)
		return -1;
	for (size_t i = 0; i < w->count; i++) {
		if (w->refs[i].wd == wd) {
			w->refs[i].refs++;
			return wd;
		}
	}
	if (w->count == w->cap) {
		w->cap = w->cap == 0 ? 16 : w->cap * 2;
		w->refs = xrealloc(w->refs, w->cap * sizeof(*w->refs));
	}
	w->refs[w->count++] = (struct watch_ref){.wd = wd, .refs = 1};
	return wd;
}

void store_watcher_remove(struct store_watcher *w, int watch_id)
{
	for (size_t i = 0; i < w->count; i++) {
		if (w->refs[i].wd != watch_id)
			continue;
		if (--w->refs[i].refs == 0) {
			(void)inotify_rm_watch(w->fd, watch_id);
			w->refs[i] = w->refs[--w->count];
		}
		return;
	}
}

void store_watcher_read(struct store_watcher *w, store_watcher_cb *cb,
                        void *ctx)
{
	char data[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->fd, data, sizeof(data));
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (char *p = data; p < data + n;) {
			const struct inotify_event *ev = (const void *)p;
			if ((ev->mask & IN_IGNORED) == 0)
				cb(ev->wd, ctx);
			p += sizeof(*ev) + ev->len;
		}
	}
}
