/* Threads for JMAP (RFC 8621 §3: every Email belongs to exactly one Thread
 * from the moment it is stored). An Email joins the thread of a message it
 * names (its own Message-ID, In-Reply-To, References) when that thread has
 * the same base subject, as RFC 8621 §3 suggests and Cyrus does; otherwise
 * it starts a thread. Threads never merge, so an Email's threadId never
 * changes. thread_refs remembers every Message-ID seen and its thread, so
 * a reply that arrives before its parent still meets it. Runs inside the
 * transaction that added the message (store_message_add), so deliver and
 * IMAP APPEND thread mail as they store it. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_decode.h"
#include "store/store_jmap.h"
#include "store/store_private.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define THREAD_HEADER_MAX (64 * 1024) /* bytes of a blob read for it */
#define THREAD_REFS_MAX 50            /* Message-IDs looked at */

static bool prefix_skip(const char **p, const char *prefix)
{
	size_t len = strlen(prefix);
	if (strncasecmp(*p, prefix, len) != 0)
		return false;
	*p += len;
	return true;
}

void store_thread_base_subject(const char *subject, struct buf *out)
{
	const char *p = subject;
	for (bool again = true; again;) {
		again = false;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') { /* "[list] " */
			const char *end = strchr(p, ']');
			if (end != NULL && end[1] != '\0') {
				p = end + 1;
				again = true;
				continue;
			}
		}
		const char *save = p;
		if (prefix_skip(&p, "re") || prefix_skip(&p, "fwd") ||
		    prefix_skip(&p, "fw") || prefix_skip(&p, "aw") ||
		    prefix_skip(&p, "sv")) {
			if (*p == '[') { /* "Re[2]:" */
				while (*p != '\0' && *p != ']')
					p++;
				if (*p == ']')
					p++;
			}
			while (*p == ' ')
				p++;
			if (*p == ':') {
				p++;
				again = true;
			} else {
				p = save;
			}
		}
	}
	size_t start = out->len;
	bool space = false;
	for (; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = true;
			continue;
		}
		if (space && out->len > start)
			buf_append_char(out, ' ');
		space = false;
		buf_append_char(out, (char)tolower(ch));
	}
	/* "(fwd)" at the end (RFC 5256 §2.1 step 2) */
	const char *tail = " (fwd)";
	size_t tl = strlen(tail);
	if (out->len - start >= tl &&
	    strcmp(out->data + out->len - tl, tail) == 0)
		buf_truncate(out, out->len - tl);
}

/* Appends each "<id>" of a field value to ids (at most max in all). */
static void msgids_add(const char *value, const char **ids, size_t *count,
                       size_t max, struct pool *pool)
{
	const char *p = value;
	while (p != NULL && *count < max && (p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>');
		if (end == NULL)
			break;
		size_t len = (size_t)(end - p) - 1;
		if (len > 0 && len < 512 && memchr(p + 1, '<', len) == NULL)
			ids[(*count)++] = pool_strndup(pool, p + 1, len);
		p = end + 1;
	}
}

/* Reads up to THREAD_HEADER_MAX bytes of blob_id into out. */
static int blob_head_read(struct store *store, const char *blob_id,
                          struct buf *out)
{
	int fd = store_blob_open(store, blob_id);
	if (fd < 0)
		return -1;
	buf_reserve(out, THREAD_HEADER_MAX);
	while (out->len < THREAD_HEADER_MAX) {
		ssize_t n = read(fd, out->data + out->len,
		                 THREAD_HEADER_MAX - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (strstr(out->data, "\r\n\r\n") != NULL ||
		    strstr(out->data, "\n\n") != NULL)
			break;
	}
	close(fd);
	return 0;
}

/* Inside a transaction: a thread of ids (count) with base subject, or 0. */
static int64_t thread_find(struct store_account *account, const char **ids,
                           size_t count, const char *subject)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT t.id FROM thread_refs r JOIN threads t ON t.id ="
	    " r.thread_id WHERE r.msgid = ?1 AND t.subject = ?2");
	if (stmt == NULL)
		return -1;
	int64_t found = 0;
	for (size_t i = 0; i < count && found == 0; i++) {
		sqlite3_bind_text(stmt, 1, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, subject, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW)
			found = sqlite3_column_int64(stmt, 0);
		else if (rc != SQLITE_DONE)
			found = -1;
		sqlite3_reset(stmt);
	}
	return found;
}

static int64_t thread_new(struct store_account *account, const char *subject)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT INTO threads (subject) VALUES (?1)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, subject, -1, SQLITE_STATIC);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	return sqlite3_last_insert_rowid(account->db.db);
}

static int thread_refs_add(struct store_account *account, const char **ids,
                           size_t count, int64_t thread_id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "INSERT OR IGNORE INTO thread_refs (msgid,"
	                  " thread_id) VALUES (?1, ?2)");
	if (stmt == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		sqlite3_bind_text(stmt, 1, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, thread_id);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Inside a transaction: the thread of one Email. */
static int thread_assign_one(struct store_account *account, const char *guid,
                             const char *blob_id)
{
	struct pool *pool = pool_new();
	struct buf head, subject, base;
	buf_init(&head);
	buf_init(&subject);
	buf_init(&base);
	const char *ids[THREAD_REFS_MAX + 2];
	size_t count = 0;
	int ret = -1;
	/* a blob that cannot be read (gone) still gets a thread of its own */
	if (blob_head_read(account->store, blob_id, &head) == 0) {
		struct mime_settings set;
		mime_settings_init(&set);
		set.max_parts = 1;
		const unsigned char *data = (const unsigned char *)head.data;
		struct mime_part *root = mime_parse(data, head.len, &set, pool);
		msgids_add(mime_header_get(data, root, "message-id", pool), ids,
		           &count, 1, pool);
		msgids_add(mime_header_get(data, root, "in-reply-to", pool),
		           ids, &count, 2, pool);
		msgids_add(mime_header_get(data, root, "references", pool), ids,
		           &count, THREAD_REFS_MAX, pool);
		const char *s = mime_header_get(data, root, "subject", pool);
		if (s != NULL)
			mime_decode_header((const unsigned char *)s, strlen(s),
			                   &subject);
	}
	store_thread_base_subject(subject.data, &base);
	int64_t thread_id = thread_find(account, ids, count, base.data);
	if (thread_id == 0)
		thread_id = thread_new(account, base.data);
	if (thread_id < 0 ||
	    thread_refs_add(account, ids, count, thread_id) < 0)
		goto out;
	/* a change of its own, so that no two threads share a modseq */
	if (store_db_exec(&account->db, "UPDATE meta SET value = value + 1"
	                                " WHERE key = 'jmap_modseq'") < 0)
		goto out;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "UPDATE emails SET thread_id = ?2, modseq = (SELECT value FROM"
	    " meta WHERE key = 'jmap_modseq') WHERE guid = ?1");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, thread_id);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		goto out;
	ret = store_db_exec(&account->db,
	                    "UPDATE meta SET value = (SELECT value FROM meta"
	                    " WHERE key = 'jmap_modseq') WHERE key ="
	                    " 'jmap_state_email'");
out:
	buf_deinit(&head);
	buf_deinit(&subject);
	buf_deinit(&base);
	pool_free(&pool);
	return ret;
}

int store_thread_assign(struct store_account *account)
{
	struct pool *pool = pool_new();
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT e.guid, (SELECT blob_id FROM messages m WHERE m.guid ="
	    " e.guid LIMIT 1) FROM emails e WHERE e.thread_id = 0 AND"
	    " e.rows > 0 LIMIT 1000");
	if (stmt == NULL) {
		pool_free(&pool);
		return -1;
	}
	const char *guids[1000], *blobs[1000];
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && n < 1000) {
		guids[n] = pool_strdup(pool, store_db_column_str(stmt, 0));
		blobs[n++] = pool_strdup(pool, store_db_column_str(stmt, 1));
	}
	sqlite3_reset(stmt);
	int ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
	if (ret < 0)
		store_db_fail(&account->db, "thread list");
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = thread_assign_one(account, guids[i], blobs[i]);
	pool_free(&pool);
	return ret;
}
