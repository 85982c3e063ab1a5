/* Unit tests for the MIME cache and the search index: cache put and get,
 * the lazy path for a blob never cached, search by field with substring
 * semantics, only the account's own messages and mailbox, lazy indexing
 * of messages added without it, and what an upgraded store computes again
 * (cache rows and search text of an older version of lib/mime). */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_mime.h"
#include "store/store_private.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static struct store *store;

static const char *const msgs[] = {
    "From: Alice <alice@x.test>\r\nTo: bob@x.test\r\nSubject: Quarterly "
    "numbers\r\n\r\nThe revenue grew by ten percent.\r\n",
    "From: =?utf-8?q?J=C3=B6rg?= <jorg@x.test>\r\nSubject: "
    "=?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain; "
    "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "S2FmZmVlIHVtIHpld24/\r\n",
    "From: carol@x.test\r\nCc: team@x.test\r\nSubject: hi\r\n"
    "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
    "Content-Type: text/html\r\n\r\n<p>Lunch at noon</p>\r\n--b--\r\n",
    "From: Outer <outer@x.test>\r\nSubject: outer\r\nContent-Type: "
    "message/rfc822\r\n\r\nFrom: Inner <inner@x.test>\r\nSubject: "
    "inner\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft "
    "brea=\t\r\nk here\r\n",
};

/* Writes message i as a blob; returns its id (static buffer per i). */
static const char *blob_add(size_t i)
{
	static char ids[4][STORE_BLOB_ID_LEN + 1];
	struct store_blob_writer *w;
	const char *error;
	uint64_t size;
	if (store_blob_begin(store, &w, &error) < 0 ||
	    store_blob_write(w, msgs[i], strlen(msgs[i])) < 0 ||
	    store_blob_finish(&w, ids[i], &size, &error) < 0)
		abort();
	return ids[i];
}

static void test_mime_cache(void)
{
	test_begin("mime cache put and get");
	struct pool *pool = pool_new();
	struct store_mime_info info;
	const char *error = NULL;
	const char *id0 = blob_add(0), *id2 = blob_add(2);
	test_assert(store_mime_cache_put(store, id0,
	                                 (const unsigned char *)msgs[0],
	                                 strlen(msgs[0]), &error) == 0);
	/* a second put keeps the row */
	test_assert(store_mime_cache_put(store, id0,
	                                 (const unsigned char *)msgs[0],
	                                 strlen(msgs[0]), &error) == 0);
	test_assert(store_mime_info_get(store, id0, pool, &info, &error) == 0);
	test_assert_str(info.envelope,
	                "(NIL \"Quarterly numbers\" ((\"Alice\" NIL \"alice\" "
	                "\"x.test\")) ((\"Alice\" NIL \"alice\" \"x.test\")) "
	                "((\"Alice\" NIL \"alice\" \"x.test\")) ((NIL NIL "
	                "\"bob\" \"x.test\")) NIL NIL NIL NIL)");
	test_assert_str(info.body, "(\"text\" \"plain\" (\"charset\" "
	                           "\"us-ascii\") NIL NIL \"7bit\" 34 1)");
	/* lazy: never put, computed from the blob */
	test_assert(store_mime_info_get(store, id2, pool, &info, &error) == 0);
	test_assert_str(
	    info.body, "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL "
	               "\"7bit\" 20 0) \"alternative\")");
	test_assert(store_mime_cache_del(store, id2) == 0);
	test_assert(store_mime_info_get(store, id2, pool, &info, &error) == 0);
	test_assert(strstr(info.bodystructure, "\"boundary\" \"b\"") != NULL);
	test_assert(store_mime_info_get(store, "00", pool, &info, &error) < 0);
	test_assert_str(error, "cannot open blob");
	pool_free(&pool);
	test_end();
}

static void uid_cb(uint32_t uid, void *ctx)
{
	buf_printf(ctx, "%u ", (unsigned)uid);
}

static const char *search(struct store_account *a, const char *mailbox,
                          enum store_mime_field field, const char *query)
{
	static struct buf out;
	const char *error;
	if (out.data == NULL)
		buf_init(&out);
	buf_truncate(&out, 0);
	if (store_mime_search(a, mailbox, field, query, uid_cb, &out, &error) <
	    0)
		return error;
	return out.data;
}

static void test_mime_search(void)
{
	test_begin("mime search");
	const char *error = NULL;
	struct store_account *a, *b;
	uint32_t uid;
	if (store_account_add(store, "a@x.test", "h", 0, &error) < 0 ||
	    store_account_add(store, "b@x.test", "h", 0, &error) < 0 ||
	    store_account_open(store, "a@x.test", &a, &error) < 0 ||
	    store_account_open(store, "b@x.test", &b, &error) < 0)
		abort();
	for (size_t i = 0; i < 3; i++) {
		const char *id = blob_add(i);
		test_assert(store_message_add(a, "INBOX", id, 10, 0, "", 1,
		                              NULL, &uid, &error) == 1);
		if (i == 0) /* indexed at delivery; the others lazily */
			test_assert(store_mime_index_add(
			                a, id, (const unsigned char *)msgs[0],
			                strlen(msgs[0]), &error) == 1);
	}
	test_assert(store_mime_index_add(a, blob_add(0), NULL, 0, &error) == 0);
	test_assert(store_message_add(a, "Archive", blob_add(1), 10, 0, "", 1,
	                              NULL, &uid, &error) == 1);
	test_assert(store_message_add(b, "INBOX", blob_add(2), 10, 0, "", 1,
	                              NULL, &uid, &error) == 1);
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "revenue"), "1 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_TEXT, "REVENUE GREW"),
	                "1 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "venu"), "1 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "kaffee"), "2 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_SUBJECT, "grüße"), "2 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_FROM, "Jörg"), "2 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "noon"), "3 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_CC, "team"), "3 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_TO, "team"), "");
	test_assert_str(search(a, "INBOX", STORE_MIME_TEXT, "x.test"),
	                "1 2 3 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "x.test"), "");
	test_assert_str(search(a, "INBOX", STORE_MIME_SUBJECT, "hi"), "3 ");
	test_assert_str(search(a, "INBOX", STORE_MIME_SUBJECT, "\"%_"), "");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, ""), "1 2 3 ");
	test_assert_str(search(a, "Archive", STORE_MIME_BODY, "kaffee"), "1 ");
	test_assert_str(search(a, "Archive", STORE_MIME_BODY, "revenue"), "");
	test_assert_str(search(b, "INBOX", STORE_MIME_BODY, "revenue"), "");
	test_assert_str(search(b, "INBOX", STORE_MIME_BODY, "noon"), "1 ");
	test_assert_str(search(a, "Nope", STORE_MIME_BODY, "x"),
	                "no such mailbox");
	store_account_close(&a);
	store_account_close(&b);
	test_end();
}

/* Runs sql with text bound to ?1 on db. */
static void sql_run(sqlite3 *db, const char *sql, const char *text)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(stmt, 1, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		abort();
	sqlite3_finalize(stmt);
}

static int cache_version(const char *blob_id)
{
	sqlite3_stmt *stmt;
	int version = -1;
	if (sqlite3_prepare_v2(store->db.db,
	                       "SELECT version FROM mime_cache"
	                       " WHERE blob_id = ?",
	                       -1, &stmt, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(stmt, 1, blob_id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

/* An upgraded store holds cache rows computed by an older lib/mime (here:
 * the inner ENVELOPE of a top-level message/rfc822, as before version 1;
 * rows from before the version column are version 0): they are computed
 * again when read, and a put replaces them. */
static void test_mime_cache_upgrade(void)
{
	test_begin("mime cache rows of an older version are recomputed");
	struct pool *pool = pool_new();
	struct store_mime_info info;
	const char *error = NULL, *id = blob_add(3);
	static const char stale[] =
	    "INSERT OR REPLACE INTO mime_cache"
	    " (blob_id, envelope, bodystructure, body, version)"
	    " VALUES (?1, '(NIL \"inner\")', '(stale)', '(stale)', 0)";
	sql_run(store->db.db, stale, id);
	test_assert(store_mime_info_get(store, id, pool, &info, &error) == 0);
	test_assert(strncmp(info.envelope, "(NIL \"outer\" ", 13) == 0);
	test_assert(strncmp(info.body, "(\"message\" \"rfc822\" ", 20) == 0);
	test_assert(cache_version(id) == 1);
	/* a put replaces an old row, keeps a current one */
	sql_run(store->db.db, stale, id);
	test_assert(store_mime_cache_put(store, id,
	                                 (const unsigned char *)msgs[3],
	                                 strlen(msgs[3]), &error) == 0);
	test_assert(cache_version(id) == 1);
	sql_run(store->db.db,
	        "UPDATE mime_cache SET body = '(kept)' WHERE blob_id = ?1", id);
	test_assert(store_mime_cache_put(store, id,
	                                 (const unsigned char *)msgs[3],
	                                 strlen(msgs[3]), &error) == 0);
	test_assert(store_mime_info_get(store, id, pool, &info, &error) == 0);
	test_assert_str(info.body, "(kept)");
	pool_free(&pool);
	test_end();
}

/* An account's search index made by an older text extraction (no
 * meta.text_version: from before versions) is emptied and rebuilt: the
 * old text is not found any more, the new one is, in every mailbox. */
static void test_mime_index_upgrade(void)
{
	test_begin("search index of an older version is rebuilt");
	const char *error = NULL;
	struct store_account *a;
	uint32_t uid;
	if (store_account_add(store, "up@x.test", "h", 0, &error) < 0 ||
	    store_account_open(store, "up@x.test", &a, &error) < 0)
		abort();
	const char *id = blob_add(3);
	test_assert(store_message_add(a, "INBOX", id, 10, 0, "", 1, NULL, &uid,
	                              &error) == 1);
	test_assert(store_message_add(a, "Archive", id, 10, 0, "", 1, NULL,
	                              &uid, &error) == 1);
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "soft break here"),
	                "1 ");
	/* what version 0 indexed: the QP soft break before a TAB missed */
	sql_run(a->db.db, "DELETE FROM meta WHERE key = ?1", "text_version");
	sql_run(a->db.db, "UPDATE message_text SET body = ?1",
	        "soft brea=\t\r\nk here");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "brea="), "");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "soft break here"),
	                "1 ");
	test_assert_str(
	    search(a, "Archive", STORE_MIME_BODY, "soft break here"), "1 ");
	/* deliver's path checks too: a new message after an upgrade */
	sql_run(a->db.db, "DELETE FROM meta WHERE key = ?1", "text_version");
	sql_run(a->db.db, "UPDATE message_text SET body = ?1", "stale");
	test_assert(store_mime_index_add(a, id, (const unsigned char *)msgs[3],
	                                 strlen(msgs[3]), &error) == 1);
	test_assert_str(search(a, "Archive", STORE_MIME_BODY, "stale"), "");
	test_assert_str(search(a, "INBOX", STORE_MIME_BODY, "break here"),
	                "1 ");
	store_account_close(&a);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_mime_cache, test_mime_search,
	                                      test_mime_cache_upgrade,
	                                      test_mime_index_upgrade, NULL};
	char *dir = xasprintf("%s/store", test_tmpdir());
	struct store_settings set = {.data_dir = dir};
	const char *error;
	if (store_open(&set, &store, &error) < 0 ||
	    store_domain_add(store, "x.test", &error) < 0)
		abort();
	free(dir);
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
