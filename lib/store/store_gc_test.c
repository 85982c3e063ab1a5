/* Tests for store_gc.c: a referenced blob stays, an unreferenced old one
 * goes, an unreferenced young one (inside the grace period) stays, and an
 * unreadable account database stops the run before anything goes. */
#include "store/store_gc.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char *blob_make(const char *data_dir, char c, time_t mtime)
{
	char id[65];
	memset(id, c, 64);
	id[64] = '\0';
	char *dir = xasprintf("%s/blobs/%.2s", data_dir, id);
	(void)file_mkdirs(dir, 0700);
	char *path = xasprintf("%s/%s", dir, id);
	FILE *f = fopen(path, "w");
	if (f != NULL)
		fclose(f);
	struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
	(void)utimes(path, tv);
	free(dir);
	return path;
}

static void db_make(const char *data_dir, const char *blob_id)
{
	char *dir = xasprintf("%s/accounts/1", data_dir);
	char *path = xasprintf("%s/mail.db", dir);
	char *sql = xasprintf("CREATE TABLE messages (blob_id TEXT);"
	                      "INSERT INTO messages VALUES ('%s');",
	                      blob_id);
	sqlite3 *db;
	(void)file_mkdirs(dir, 0700);
	if (sqlite3_open(path, &db) == SQLITE_OK)
		(void)sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	free(sql);
	free(path);
	free(dir);
}

static void test_gc_blobs(void)
{
	char *data_dir = xasprintf("%s/gc", test_tmpdir());
	time_t now = time(NULL);
	char kept_id[65];
	size_t removed, kept;
	const char *error;
	test_begin("store_gc_blobs");
	memset(kept_id, 'a', 64);
	kept_id[64] = '\0';
	db_make(data_dir, kept_id);
	char *referenced = blob_make(data_dir, 'a', now - 10 * 86400);
	char *orphan_old = blob_make(data_dir, 'b', now - 10 * 86400);
	char *orphan_new = blob_make(data_dir, 'c', now - 60);
	test_assert(
	    store_gc_blobs(data_dir, 86400, now, &removed, &kept, &error) == 0);
	test_assert(removed == 1 && kept == 2);
	test_assert(access(referenced, F_OK) == 0);
	test_assert(access(orphan_old, F_OK) != 0);
	test_assert(access(orphan_new, F_OK) == 0);
	/* a database that cannot be read: nothing goes */
	char *bad = xasprintf("%s/accounts/2", data_dir);
	char *bad_db = xasprintf("%s/mail.db", bad);
	(void)file_mkdirs(bad, 0700);
	FILE *f = fopen(bad_db, "w");
	if (f != NULL) {
		fputs("not a database", f);
		fclose(f);
	}
	test_assert(store_gc_blobs(data_dir, 0, now + 86400, &removed, &kept,
	                           &error) < 0);
	test_assert(access(orphan_new, F_OK) == 0);
	test_end();
	free(bad);
	free(bad_db);
	free(referenced);
	free(orphan_old);
	free(orphan_new);
	free(data_dir);
}

int main(void)
{
	static void (*const tests[])(void) = {test_gc_blobs, NULL};
	return test_run(tests);
}
