/* Unit tests for content-addressed blobs. */
#include "core/buf.h"
#include "core/digest.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "test/test.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct store *store_of_batch;

static struct store *open_store(const char *name)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);
	struct store_settings set = {.data_dir = dir};
	struct store *store = NULL;
	const char *error;
	if (store_open(&set, &store, &error) < 0)
		abort();
	free(dir);
	return store;
}

static int write_blob(struct store *store, const char *text, size_t chunk,
                      char id_r[STORE_BLOB_ID_LEN + 1], uint64_t *size_r)
{
	struct store_blob_writer *w = NULL;
	const char *error;
	if (store_blob_begin(store, &w, &error) < 0)
		return -1;
	size_t len = strlen(text);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (store_blob_write(w, text + off, n) < 0) {
			store_blob_abort(&w);
			return -1;
		}
	}
	int ret = store_blob_finish(&w, id_r, size_r, &error);
	test_assert(w == NULL);
	return ret;
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_store_blob_roundtrip(void)
{
	test_begin("store blob write, dedupe, open");
	struct store *store = open_store("blob");
	static const char text[] = "Subject: hi\r\n\r\nhello\r\n";
	char id[STORE_BLOB_ID_LEN + 1], id2[STORE_BLOB_ID_LEN + 1];
	char want[DIGEST_SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	digest_sha256_hex(text, strlen(text), want);
	test_assert(write_blob(store, text, 1, id, &size) == 0);
	test_assert_str(id, want);
	test_assert_int(size, strlen(text));
	test_assert(write_blob(store, text, 7, id2, &size) == 0);
	test_assert_str(id2, id);

	char *dir = xasprintf("%s/blob/blobs/%.2s", test_tmpdir(), id);
	char *tmp = xasprintf("%s/blob/blobs/tmp", test_tmpdir());
	test_assert_int(count_files(dir), 1);
	test_assert_int(count_files(tmp), 0);

	int fd = store_blob_open(store, id);
	test_assert(fd >= 0);
	char buf[128] = "";
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	test_assert_int(n, (ssize_t)strlen(text));
	test_assert_str(buf, text);
	close(fd);
	free(dir);
	free(tmp);
	store_close(&store);
	test_end();
}

static void test_store_blob_errors(void)
{
	test_begin("store blob open errors and abort");
	struct store *store = open_store("blob-errors");
	static const char *const bad[] = {
	    "",
	    "../../postroom.db",
	    "ABCDEF",
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		errno = 0;
		test_assert_idx(store_blob_open(store, bad[i]) == -1, i);
		test_assert_idx(errno == EINVAL, i);
	}
	errno = 0;
	test_assert(store_blob_open(store,
	                            "0123456789abcdef0123456789abcdef"
	                            "0123456789abcdef0123456789abcdef") == -1);
	test_assert(errno == ENOENT);

	struct store_blob_writer *w = NULL;
	const char *error;
	test_assert(store_blob_begin(store, &w, &error) == 0);
	test_assert(store_blob_write(w, "partial", 7) == 0);
	store_blob_abort(&w);
	test_assert(w == NULL);
	store_blob_abort(&w);
	char *tmp = xasprintf("%s/blob-errors/blobs/tmp", test_tmpdir());
	test_assert_int(count_files(tmp), 0);
	free(tmp);

	/* the empty blob is a blob too */
	char id[STORE_BLOB_ID_LEN + 1];
	uint64_t size = 1;
	test_assert(write_blob(store, "", 1, id, &size) == 0);
	test_assert_int(size, 0);
	test_assert_str(id, "e3b0c44298fc1c149afbf4c8996fb924"
	                    "27ae41e4649b934ca495991b7852b855");
	store_close(&store);
	test_end();
}

static int batch_add(struct store_blob_batch *b, const char *text,
                     char id_r[STORE_BLOB_ID_LEN + 1])
{
	struct store_blob_writer *w = NULL;
	const char *error;
	if (store_blob_begin(store_of_batch, &w, &error) < 0 ||
	    store_blob_write(w, text, strlen(text)) < 0)
		return -1;
	return store_blob_batch_add(b, &w, id_r, NULL, &error);
}

/* A batch's blobs are not in place before the sync, all are after it;
 * duplicates (inside the batch, and of a blob already there) are kept
 * once; a batch freed unsynced leaves nothing behind. */
static void test_store_blob_batch(void)
{
	test_begin("store blob batch: placed together by one sync");
	struct store *store = open_store("blob-batch");
	struct store_blob_batch *b = store_blob_batch_new(store);
	char ids[4][STORE_BLOB_ID_LEN + 1], old[STORE_BLOB_ID_LEN + 1];
	const char *error = NULL;
	store_of_batch = store;
	test_assert(write_blob(store, "already here", 5, old, NULL) == 0);
	test_assert(batch_add(b, "one", ids[0]) == 0);
	test_assert(batch_add(b, "two", ids[1]) == 0);
	test_assert(batch_add(b, "one", ids[2]) == 0);
	test_assert(batch_add(b, "already here", ids[3]) == 0);
	test_assert_str(ids[0], ids[2]);
	test_assert_str(ids[3], old);
	int fd = store_blob_open(store, ids[0]);
	test_assert(fd < 0);
	test_assert(store_blob_batch_sync(b, &error) == 0);
	for (size_t i = 0; i < 4; i++) {
		fd = store_blob_open(store, ids[i]);
		test_assert_idx(fd >= 0, i);
		if (fd >= 0)
			close(fd);
	}
	char *tmp = xasprintf("%s/blob-batch/blobs/tmp", test_tmpdir());
	test_assert_int(count_files(tmp), 0);
	/* an empty batch syncs trivially; an unsynced one is dropped */
	test_assert(store_blob_batch_sync(b, &error) == 0);
	test_assert(batch_add(b, "never synced", ids[0]) == 0);
	test_assert_int(count_files(tmp), 1);
	store_blob_batch_free(&b);
	test_assert(b == NULL);
	test_assert_int(count_files(tmp), 0);
	fd = store_blob_open(store, ids[0]);
	test_assert(fd < 0);
	free(tmp);
	store_close(&store);
	test_end();
}

/* store_blob_write_from: CATENATE copies TEXT literals, each streamed
 * into a writer of its own, into the message it builds. */
static void test_store_blob_write_from(void)
{
	test_begin("store blob write_from");
	struct store *store = open_store("from");
	struct store_blob_writer *a, *b, *msg;
	const char *error;
	char id[STORE_BLOB_ID_LEN + 1], want[DIGEST_SHA256_HEX_LEN + 1];
	uint64_t size;
	test_assert(store_blob_begin(store, &a, &error) == 0);
	test_assert(store_blob_begin(store, &b, &error) == 0);
	test_assert(store_blob_begin(store, &msg, &error) == 0);
	test_assert(store_blob_write(a, "Subject: x\r\n\r\n", 14) == 0);
	/* larger than the copy's chunk, with NULs */
	char *big = xcalloc(1, 200000);
	memset(big, 'z', 150000);
	test_assert(store_blob_write(b, big, 200000) == 0);
	test_assert(store_blob_write_from(msg, a) == 0);
	test_assert(store_blob_write(msg, "|", 1) == 0);
	test_assert(store_blob_write_from(msg, b) == 0);
	test_assert(store_blob_write_from(msg, a) == 0);
	test_assert_int(store_blob_written(msg), 14 + 1 + 200000 + 14);
	test_assert_int(store_blob_written(a), 14);
	struct buf all;
	buf_init(&all);
	buf_append(&all, "Subject: x\r\n\r\n|", 15);
	buf_append(&all, big, 200000);
	buf_append(&all, "Subject: x\r\n\r\n", 14);
	digest_sha256_hex(all.data, all.len, want);
	test_assert(store_blob_finish(&msg, id, &size, &error) == 0);
	test_assert_str(id, want);
	test_assert_int(size, all.len);
	buf_deinit(&all);
	free(big);
	store_blob_abort(&a);
	store_blob_abort(&b);
	store_close(&store);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_store_blob_roundtrip,
	                                      test_store_blob_errors,
	                                      test_store_blob_write_from,
	                                      test_store_blob_batch, NULL};
	return test_run(tests);
}
