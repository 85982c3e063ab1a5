/* Unit tests for the MIME cache and the search index: cache put and get,
 * the lazy path for a blob never cached, search by field with substring
 * semantics, only the account's own messages and mailbox, and lazy
 * indexing of messages added without it. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_mime.h"
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
};

/* Writes message i as a blob; returns its id (static buffer per i). */
static const char *blob_add(size_t i)
{
	static char ids[3][STORE_BLOB_ID_LEN + 1];
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

int main(void)
{
	static void (*const tests[])(void) = {test_mime_cache, test_mime_search,
	                                      NULL};
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
