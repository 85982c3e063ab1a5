/* The MIME cache and search index of the store (issue 4; RFC 9051 §7.5.2
 * ENVELOPE/BODYSTRUCTURE, §6.4.4 SEARCH). ENVELOPE, BODYSTRUCTURE and BODY
 * depend only on a blob's bytes, so they are kept once per blob in the
 * global database. Search text goes into an FTS5 trigram table in each
 * account database: a search touches only that account's rows, and a
 * trigram index answers IMAP's case-insensitive substring match. An index
 * row is per blob, shared by copies; a row whose messages are all expunged
 * stays until maintenance (searches join through messages, so it is never
 * found). */
#include "store/store_mime.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "mime/mime_text.h"
#include "store/store_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOB_READ_MAX (64u * 1024 * 1024)

/* What lib/mime computes for a blob: raise MIME_CACHE_VERSION when
 * ENVELOPE, BODYSTRUCTURE or BODY change for some message, and
 * MIME_TEXT_VERSION when the search text does. Rows made by an older
 * version are never answered from: a cache row is computed again when it
 * is read, and an account's search index is emptied and rebuilt, one
 * mailbox at a time, by its next search. 1: RFC 9051 §6.4.5 numbering of
 * a top-level message/rfc822, its outer ENVELOPE, line ends counted as
 * body-fld-lines; RFC 2045 §6.7 quoted-printable, address fields as
 * ENVELOPE parses them, NUL bytes in text parts, MIME headers as TEXT. */
#define MIME_CACHE_VERSION 1
#define MIME_TEXT_VERSION 1

int store_mime_blob_read(struct store *store, const char *blob_id,
                         struct buf *out, const char **error_r)
{
	int fd = store_blob_open(store, blob_id);
	if (fd < 0) {
		*error_r =
		    errno == ENOENT ? "no such blob" : "cannot open blob";
		return -1;
	}
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || out->len + (size_t)n > BLOB_READ_MAX) {
			close(fd);
			if (n == 0)
				return 0;
			*error_r =
			    n < 0 ? "cannot read blob" : "blob too large";
			return -1;
		}
		buf_append(out, chunk, (size_t)n);
	}
}

struct mime_strings {
	struct buf envelope, bodystructure, body;
};

static void strings_build(const unsigned char *data, size_t size,
                          struct mime_strings *s)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct mime_part *root = mime_parse(data, size, &set, pool);
	buf_init(&s->envelope);
	buf_init(&s->bodystructure);
	buf_init(&s->body);
	mime_imap_envelope(data, root, &s->envelope);
	mime_imap_bodystructure(data, root, true, &s->bodystructure);
	mime_imap_bodystructure(data, root, false, &s->body);
	pool_free(&pool);
}

static void strings_deinit(struct mime_strings *s)
{
	buf_deinit(&s->envelope);
	buf_deinit(&s->bodystructure);
	buf_deinit(&s->body);
}

static int strings_insert(struct store *store, const char *blob_id,
                          const struct mime_strings *s, const char **error_r)
{
	/* a row of this version is kept; one of an older version replaced */
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "INSERT INTO mime_cache"
	    " (blob_id, envelope, bodystructure, body, version)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (blob_id) DO UPDATE"
	    " SET envelope = ?2, bodystructure = ?3, body = ?4, version = ?5"
	    " WHERE mime_cache.version <> ?5");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, s->envelope.data, (int)s->envelope.len,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, s->bodystructure.data,
	                  (int)s->bodystructure.len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, s->body.data, (int)s->body.len,
	                  SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, MIME_CACHE_VERSION);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		return -1;
	}
	return 0;
}

int store_mime_cache_put(struct store *store, const char *blob_id,
                         const unsigned char *data, size_t size,
                         const char **error_r)
{
	struct mime_strings s;
	strings_build(data, size, &s);
	/* The cache can be rebuilt from the blob: no sync of its commit. */
	int ret = store_db_begin_relaxed(&store->db);
	if (ret < 0)
		*error_r = store->db.error.data;
	else if ((ret = strings_insert(store, blob_id, &s, error_r)) < 0)
		store_db_rollback(&store->db);
	else if ((ret = store_db_commit(&store->db)) < 0)
		*error_r = store->db.error.data;
	strings_deinit(&s);
	return ret;
}

/* Returns 1 with the cached row, 0 if none, -1. */
static int cache_lookup(struct store *store, const char *blob_id,
                        struct pool *pool, struct store_mime_info *info_r,
                        const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT envelope, bodystructure, body FROM mime_cache"
	                " WHERE blob_id = ? AND version = ?");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		return -1;
	}
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, MIME_CACHE_VERSION);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		info_r->envelope =
		    pool_strdup(pool, store_db_column_str(stmt, 0));
		info_r->bodystructure =
		    pool_strdup(pool, store_db_column_str(stmt, 1));
		info_r->body = pool_strdup(pool, store_db_column_str(stmt, 2));
	} else if (rc != SQLITE_DONE) {
		*error_r = store_db_fail(&store->db, "mime cache");
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_mime_info_get(struct store *store, const char *blob_id,
                        struct pool *pool, struct store_mime_info *info_r,
                        const char **error_r)
{
	int ret = cache_lookup(store, blob_id, pool, info_r, error_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	/* Not cached (APPEND, import, a failure at delivery): compute. */
	struct buf data;
	buf_init(&data);
	if (store_mime_blob_read(store, blob_id, &data, error_r) < 0) {
		buf_deinit(&data);
		return -1;
	}
	struct mime_strings s;
	strings_build((const unsigned char *)data.data, data.len, &s);
	buf_deinit(&data);
	info_r->envelope = pool_strndup(pool, s.envelope.data, s.envelope.len);
	info_r->bodystructure =
	    pool_strndup(pool, s.bodystructure.data, s.bodystructure.len);
	info_r->body = pool_strndup(pool, s.body.data, s.body.len);
	/* A failure to store only costs the next FETCH a parse. */
	const char *ignored;
	(void)strings_insert(store, blob_id, &s, &ignored);
	strings_deinit(&s);
	return 0;
}

int store_mime_cache_del(struct store *store, const char *blob_id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "DELETE FROM mime_cache WHERE blob_id = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	return store_db_step_done(&store->db, stmt, NULL);
}

/* ---- Search index ------------------------------------------------------- */

static int text_insert(struct store_db *db, int64_t rowid,
                       const struct mime_text *t)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    db, "INSERT INTO message_text"
	        " (rowid, hfrom, hto, hcc, subject, header, body)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (stmt == NULL)
		return -1;
	const struct buf *cols[] = {&t->from,    &t->to,     &t->cc,
	                            &t->subject, &t->header, &t->body};
	sqlite3_bind_int64(stmt, 1, rowid);
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(stmt, i + 2, cols[i]->data, (int)cols[i]->len,
		                  SQLITE_STATIC);
	return store_db_step_done(db, stmt, NULL);
}

/* Inside a transaction: takes an id for blob_id. Returns 1 with *id_r,
 * 0 if the blob is indexed already, -1. */
static int text_id_take(struct store_db *db, const char *blob_id, int64_t *id_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    db, "INSERT OR IGNORE INTO message_text_ids (blob_id) VALUES (?)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	if (store_db_step_done(db, stmt, NULL) < 0)
		return -1;
	if (sqlite3_changes(db->db) == 0)
		return 0;
	*id_r = sqlite3_last_insert_rowid(db->db);
	return 1;
}

static int index_add_data(struct store_account *account, const char *blob_id,
                          const unsigned char *data, size_t size,
                          const char **error_r)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct pool *pool = pool_new();
	struct mime_part *root = mime_parse(data, size, &set, pool);
	struct mime_text text;
	mime_text_init(&text);
	mime_text_extract(data, root, STORE_MIME_TEXT_MAX, &text);
	pool_free(&pool);

	struct store_db *db = &account->db;
	int64_t id = 0;
	/* The index can be rebuilt (search indexes what is missing): the
	 * commit need not be synced. */
	int ret = store_db_begin_relaxed(db);
	if (ret == 0)
		ret = text_id_take(db, blob_id, &id);
	if (ret > 0 && text_insert(db, id, &text) < 0)
		ret = -1;
	if (ret < 0) {
		*error_r = store_db_fail(db, "search index");
		store_db_rollback(db);
	} else if (store_db_commit(db) < 0) {
		*error_r = store_db_fail(db, "search index commit");
		ret = -1;
	}
	mime_text_deinit(&text);
	return ret;
}

/* Returns the MIME_TEXT_VERSION that made account's index (0: none said,
 * an index from before versions), or -1. */
static int index_version_get(struct store_db *db)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    db, "SELECT value FROM meta WHERE key = 'text_version'");
	if (stmt == NULL)
		return -1;
	int rc = sqlite3_step(stmt);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? version : -1;
}

static int index_version_set(struct store_db *db)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(db, "INSERT OR REPLACE INTO meta (key, value)"
	                         " VALUES ('text_version', ?)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, MIME_TEXT_VERSION);
	return store_db_step_done(db, stmt, NULL);
}

/* Empties account's search index if an older MIME_TEXT_VERSION made it,
 * and lowers every mailbox's indexed_uid mark to 0, so that the next
 * search of each mailbox indexes its messages again (index_missing).
 * Returns 0 or -1. */
static int index_version_check(struct store_account *account,
                               const char **error_r)
{
	struct store_db *db = &account->db;
	int version = index_version_get(db);
	if (version == MIME_TEXT_VERSION)
		return 0;
	/* again inside the transaction: another process may have done it */
	int ret = version < 0 ? -1 : store_db_begin_relaxed(db);
	if (ret == 0 && (version = index_version_get(db)) < 0)
		ret = -1;
	if (ret == 0 && version != MIME_TEXT_VERSION) {
		if (store_db_exec(db, "DELETE FROM message_text") < 0 ||
		    store_db_exec(db, "DELETE FROM message_text_ids") < 0 ||
		    store_db_exec(db, "UPDATE mailboxes SET indexed_uid = 0") <
		        0 ||
		    index_version_set(db) < 0)
			ret = -1;
	}
	if (ret < 0) {
		*error_r = store_db_fail(db, "search index version");
		store_db_rollback(db);
	} else if (store_db_commit(db) < 0) {
		*error_r = store_db_fail(db, "search index version commit");
		ret = -1;
	}
	return ret;
}

int store_mime_index_add(struct store_account *account, const char *blob_id,
                         const unsigned char *data, size_t size,
                         const char **error_r)
{
	if (index_version_check(account, error_r) < 0)
		return -1;
	if (data != NULL)
		return index_add_data(account, blob_id, data, size, error_r);
	struct buf b;
	buf_init(&b);
	int ret = store_mime_blob_read(account->store, blob_id, &b, error_r);
	if (ret == 0)
		ret = index_add_data(account, blob_id,
		                     (const unsigned char *)b.data, b.len,
		                     error_r);
	buf_deinit(&b);
	return ret;
}

static int index_mark_set(struct store_account *account, int64_t mailbox_id,
                          uint32_t uid, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "UPDATE mailboxes SET indexed_uid = ?2"
	                  " WHERE id = ?1 AND indexed_uid < ?2");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, uid);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		*error_r = store_db_fail(&account->db, "search index mark");
		return -1;
	}
	return 0;
}

/* Reads indexed_uid and the highest UID of mailbox_id. Returns 0 or -1. */
static int index_mark_get(struct store_account *account, int64_t mailbox_id,
                          uint32_t *indexed_r, uint32_t *last_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT indexed_uid, uidnext - 1 FROM mailboxes WHERE id = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*indexed_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		*last_r = (uint32_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Indexes the messages of mailbox_id not indexed yet (APPENDed, imported,
 * or delivered while indexing failed) above its indexed_uid mark, then
 * raises the mark to the UID that was last when the scan began (a message
 * added meanwhile gets a higher UID). A blob that cannot be read is left
 * out for good. Returns 0 or -1. */
static int index_missing(struct store_account *account, int64_t mailbox_id,
                         const char **error_r)
{
	uint32_t indexed, last;
	if (index_mark_get(account, mailbox_id, &indexed, &last) < 0) {
		*error_r = store_db_fail(&account->db, "search index mark");
		return -1;
	}
	if (indexed >= last)
		return 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT DISTINCT m.blob_id FROM messages m"
	    " LEFT JOIN message_text_ids i ON i.blob_id = m.blob_id"
	    " WHERE m.mailbox_id = ?1 AND m.uid > ?2 AND i.id IS NULL");
	if (stmt == NULL) {
		*error_r = account->db.error.data;
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, indexed);
	struct pool *pool = pool_new();
	size_t count = 0, cap = 16;
	const char **ids = xmalloc(cap * sizeof(*ids));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
		ids[count++] = pool_strdup(pool, store_db_column_str(stmt, 0));
	}
	sqlite3_reset(stmt);
	int ret = rc == SQLITE_DONE ? 0 : -1;
	if (ret < 0)
		*error_r = store_db_fail(&account->db, "search index scan");
	for (size_t i = 0; i < count && ret == 0; i++) {
		/* A blob that cannot be read (gone) is not searchable; the
		 * search goes on. */
		const char *ignored;
		(void)store_mime_index_add(account, ids[i], NULL, 0, &ignored);
	}
	free(ids);
	pool_free(&pool);
	if (ret == 0)
		ret = index_mark_set(account, mailbox_id, last, error_r);
	return ret;
}

/* FTS5 column filters (MATCH) and LIKE statements, by enum
 * store_mime_field. LIKE serves queries under 3 characters, which have no
 * trigram (FTS5 then scans this account's rows). */
static const char *const match_columns[] = {
    [STORE_MIME_TEXT] = "{header body}",
    [STORE_MIME_BODY] = "body",
    [STORE_MIME_FROM] = "hfrom",
    [STORE_MIME_TO] = "hto",
    [STORE_MIME_CC] = "hcc",
    [STORE_MIME_SUBJECT] = "subject",
    [STORE_MIME_HEADER] = "header",
};

#define SEARCH_FROM                                                            \
	"SELECT m.uid FROM message_text t"                                     \
	" CROSS JOIN message_text_ids i ON i.id = t.rowid"                     \
	" CROSS JOIN messages m ON m.blob_id = i.blob_id"                      \
	" WHERE m.mailbox_id = ?1 AND "
#define SEARCH_LIKE(col) "t." col " LIKE ?2 ESCAPE '\\' ORDER BY m.uid"

static const char *const like_sql[] = {
    [STORE_MIME_TEXT] = SEARCH_FROM
    "(t.header LIKE ?2 ESCAPE '\\' OR t.body LIKE ?2 ESCAPE '\\')"
    " ORDER BY m.uid",
    [STORE_MIME_BODY] = SEARCH_FROM SEARCH_LIKE("body"),
    [STORE_MIME_FROM] = SEARCH_FROM SEARCH_LIKE("hfrom"),
    [STORE_MIME_TO] = SEARCH_FROM SEARCH_LIKE("hto"),
    [STORE_MIME_CC] = SEARCH_FROM SEARCH_LIKE("hcc"),
    [STORE_MIME_SUBJECT] = SEARCH_FROM SEARCH_LIKE("subject"),
    [STORE_MIME_HEADER] = SEARCH_FROM SEARCH_LIKE("header"),
};

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Builds the bound value: an FTS5 phrase with a column filter, or a LIKE
 * pattern. */
static void query_build(enum store_mime_field field, const char *query,
                        bool use_match, struct buf *out)
{
	if (use_match) {
		buf_printf(out, "%s : \"", match_columns[field]);
		for (const char *s = query; *s != '\0'; s++) {
			if (*s == '"')
				buf_append_char(out, '"');
			buf_append_char(out, *s);
		}
		buf_append_char(out, '"');
		return;
	}
	buf_append_char(out, '%');
	for (const char *s = query; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *s);
	}
	buf_append_char(out, '%');
}

static int search_run(struct store_account *account, int64_t mailbox_id,
                      enum store_mime_field field, const char *query,
                      store_mime_search_cb *cb, void *ctx)
{
	bool use_match = utf8_chars(query) >= 3;
	const char *sql =
	    *query == '\0'
	        ? "SELECT uid FROM messages WHERE mailbox_id = ?1 ORDER BY uid"
	    : use_match ? SEARCH_FROM "message_text MATCH ?2 ORDER BY m.uid"
	                : like_sql[field];
	sqlite3_stmt *stmt = store_db_prepare(&account->db, sql);
	if (stmt == NULL)
		return -1;
	struct buf q;
	buf_init(&q);
	query_build(field, query, use_match, &q);
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if (*query != '\0')
		sqlite3_bind_text(stmt, 2, q.data, (int)q.len, SQLITE_STATIC);
	int rc;
	uint32_t last_uid = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(stmt, 0);
		/* one blob twice in a mailbox gives each UID once anyway;
		 * this only guards against a join repeating a row */
		if (uid != last_uid)
			cb(uid, ctx);
		last_uid = uid;
	}
	if (rc != SQLITE_DONE)
		store_db_fail(&account->db, "search");
	sqlite3_reset(stmt);
	buf_deinit(&q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_mime_search(struct store_account *account, const char *mailbox,
                      enum store_mime_field field, const char *query,
                      store_mime_search_cb *cb, void *ctx, const char **error_r)
{
	int64_t mailbox_id;
	uint32_t uidnext;
	uint64_t modseq;
	int ret = store_mailbox_get_ids(account, mailbox, &mailbox_id, &uidnext,
	                                &modseq);
	if (ret <= 0) {
		*error_r =
		    ret == 0 ? "no such mailbox" : account->db.error.data;
		return -1;
	}
	if ((unsigned)field >= sizeof(match_columns) / sizeof(*match_columns)) {
		*error_r = "invalid search field";
		return -1;
	}
	if (index_version_check(account, error_r) < 0 ||
	    index_missing(account, mailbox_id, error_r) < 0)
		return -1;
	if (search_run(account, mailbox_id, field, query, cb, ctx) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 0;
}
