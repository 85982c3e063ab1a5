/* Blob collection: the ids every account database refers to are gathered
 * into a sorted array first (read-only connections, so deliver's writes go
 * on), then blobs/ is walked and an old blob missing from the array is
 * unlinked. A database that cannot be read stops the run before anything
 * is removed: a blob is never taken on incomplete knowledge.
 * Expunge-log pruning (RFC 7162 §3.2.5.2): per mailbox, rows beyond the
 * newest keep go by whole MODSEQs, and the mailbox's expunge_horizon rises
 * to the highest MODSEQ removed in the same transaction. */
#include "store/store_gc.h"
#include "store/store.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gc_ids {
	char **ids;
	size_t count, cap;
};

static void ids_add(struct gc_ids *ids, const char *id)
{
	if (ids->count == ids->cap) {
		ids->cap = ids->cap == 0 ? 256 : ids->cap * 2;
		ids->ids = xrealloc(ids->ids, ids->cap * sizeof(*ids->ids));
	}
	ids->ids[ids->count++] = xstrdup(id);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ids_read_db(struct gc_ids *ids, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ret = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 10000);
	/* calendar and address book data over STORE_DAV_INLINE_MAX is in
	 * blobs too; a database from before those tables has none */
	if (sqlite3_prepare_v2(db,
	                       "SELECT blob_id FROM messages UNION SELECT"
	                       " blob_id FROM dav_objects WHERE blob_id IS NOT"
	                       " NULL",
	                       -1, &st, NULL) != SQLITE_OK &&
	    (strstr(sqlite3_errmsg(db), "no such table: dav_objects") == NULL ||
	     sqlite3_prepare_v2(db, "SELECT DISTINCT blob_id FROM messages", -1,
	                        &st, NULL) != SQLITE_OK))
		goto out;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);
		if (id != NULL)
			ids_add(ids, (const char *)id);
	}
	ret = rc == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

static int ids_read_all(struct gc_ids *ids, const char *data_dir)
{
	char *dir = xasprintf("%s/accounts", data_dir);
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;
	if (d == NULL) {
		free(dir);
		return 0; /* no account yet */
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s/mail.db", dir, de->d_name);
		if (access(path, F_OK) == 0)
			ret = ids_read_db(ids, path);
		free(path);
	}
	closedir(d);
	free(dir);
	return ret;
}

static void gc_dir(const struct gc_ids *ids, const char *dir, time_t limit,
                   size_t *removed_r, size_t *kept_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != STORE_BLOB_ID_LEN)
			continue;
		char *key = de->d_name;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		struct stat stbuf;
		/* qsort and bsearch take no NULL array, even empty */
		if ((ids->count == 0 ||
		     bsearch(&key, ids->ids, ids->count, sizeof(*ids->ids),
		             id_cmp) == NULL) &&
		    stat(path, &stbuf) == 0 && stbuf.st_mtime < limit &&
		    unlink(path) == 0)
			(*removed_r)++;
		else
			(*kept_r)++;
		free(path);
	}
	closedir(d);
}

int store_gc_blobs(const char *data_dir, unsigned grace, time_t now,
                   size_t *removed_r, size_t *kept_r, const char **error_r)
{
	struct gc_ids ids = {NULL, 0, 0};
	*removed_r = *kept_r = 0;
	int ret = ids_read_all(&ids, data_dir);
	if (ret < 0) {
		*error_r = "cannot read an account database";
	} else {
		if (ids.count > 0) /* ids.ids is NULL without any */
			qsort(ids.ids, ids.count, sizeof(*ids.ids), id_cmp);
		char *blobs = xasprintf("%s/blobs", data_dir);
		DIR *d = opendir(blobs);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strlen(de->d_name) != 2)
				continue;
			char *sub = xasprintf("%s/%s", blobs, de->d_name);
			gc_dir(&ids, sub, now - (time_t)grace, removed_r,
			       kept_r);
			free(sub);
		}
		if (d != NULL)
			closedir(d);
		free(blobs);
	}
	for (size_t i = 0; i < ids.count; i++)
		free(ids.ids[i]);
	free(ids.ids);
	return ret;
}

struct gc_cut {
	sqlite3_int64 box, modseq;
};

/* Reads each mailbox whose log has more than keep rows, with the MODSEQ
 * of its (keep + 1)th newest row: that one and all older go. */
static int expunged_cuts(sqlite3 *db, unsigned keep, struct gc_cut **cuts_r,
                         size_t *count_r)
{
	sqlite3_stmt *st;
	size_t count = 0, cap = 0;
	struct gc_cut *cuts = NULL;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT id, (SELECT modseq FROM expunged WHERE mailbox_id = m.id"
	        " ORDER BY modseq DESC LIMIT 1 OFFSET ?1) FROM mailboxes m",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, keep);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		if (count == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			cuts = xrealloc(cuts, cap * sizeof(*cuts));
		}
		cuts[count].box = sqlite3_column_int64(st, 0);
		cuts[count++].modseq = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	*cuts_r = cuts;
	*count_r = count;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int expunged_prune_db(const char *path, unsigned keep,
                             size_t *pruned_r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *del = NULL, *up = NULL;
	struct gc_cut *cuts = NULL;
	size_t count = 0;
	int ret = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 10000);
	/* A database not opened since the horizon column came has not been
	 * migrated: it is pruned after its next open. */
	if (sqlite3_exec(db, "SELECT expunge_horizon FROM mailboxes LIMIT 0",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		ret = 0;
		goto out;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (expunged_cuts(db, keep, &cuts, &count) < 0 ||
	    sqlite3_prepare_v2(db,
	                       "DELETE FROM expunged WHERE mailbox_id = ?1"
	                       " AND modseq <= ?2",
	                       -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE mailboxes SET expunge_horizon ="
	                       " max(expunge_horizon, ?2) WHERE id = ?1",
	                       -1, &up, NULL) != SQLITE_OK)
		goto rollback;
	for (size_t i = 0; i < count; i++) {
		sqlite3_stmt *sts[] = {up, del};
		for (size_t j = 0; j < 2; j++) {
			sqlite3_bind_int64(sts[j], 1, cuts[i].box);
			sqlite3_bind_int64(sts[j], 2, cuts[i].modseq);
			if (sqlite3_step(sts[j]) != SQLITE_DONE)
				goto rollback;
			sqlite3_reset(sts[j]);
		}
		*pruned_r += (size_t)sqlite3_changes(db);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		ret = 0;
		goto out;
	}
rollback:
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(cuts);
	sqlite3_finalize(del);
	sqlite3_finalize(up);
	sqlite3_close(db);
	return ret;
}

int store_gc_expunged(const char *data_dir, unsigned keep, size_t *pruned_r,
                      const char **error_r)
{
	*pruned_r = 0;
	char *dir = xasprintf("%s/accounts", data_dir);
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s/mail.db", dir, de->d_name);
		/* one unreadable account does not stop the others */
		if (access(path, F_OK) == 0 &&
		    expunged_prune_db(path, keep, pruned_r) < 0) {
			*error_r = "cannot prune an account database";
			ret = -1;
		}
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return ret;
}
