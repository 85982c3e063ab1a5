/* Pruning of DAV tombstones (store_dav.h), as store_gc.c prunes the IMAP
 * expunge log: per collection, tombstones beyond the newest keep go by
 * whole MODSEQs, and the collection's tombstone_horizon rises to the
 * highest MODSEQ removed in the same transaction, so that a sync token
 * from before it is refused (RFC 6578 §3.2, DAV:valid-sync-token) rather
 * than answered without the deletions it no longer knows. Works on every
 * database under data_dir/accounts (the domains' shared address books
 * too) with plain connections, from qmgr's maintenance. */
#include "core/xmalloc.h"
#include "store/store_dav.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dav_cut {
	sqlite3_int64 coll, modseq;
};

/* Each collection with more than keep tombstones, with the MODSEQ of its
 * (keep + 1)th newest: that one and all older go. */
static int tombstone_cuts(sqlite3 *db, unsigned keep, struct dav_cut **cuts_r,
                          size_t *count_r)
{
	sqlite3_stmt *st;
	size_t count = 0, cap = 0;
	struct dav_cut *cuts = NULL;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT id, (SELECT modseq FROM dav_tombstones"
	        " WHERE collection_id = c.id ORDER BY modseq DESC LIMIT 1"
	        " OFFSET ?1) FROM dav_collections c",
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
		cuts[count].coll = sqlite3_column_int64(st, 0);
		cuts[count++].modseq = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	*cuts_r = cuts;
	*count_r = count;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int tombstones_prune_db(const char *path, unsigned keep,
                               size_t *pruned_r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *del = NULL, *up = NULL;
	struct dav_cut *cuts = NULL;
	size_t count = 0;
	int ret = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 10000);
	/* a database not opened since the DAV tables came: next time */
	if (sqlite3_exec(db, "SELECT 1 FROM dav_tombstones LIMIT 0", NULL, NULL,
	                 NULL) != SQLITE_OK) {
		ret = 0;
		goto out;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (tombstone_cuts(db, keep, &cuts, &count) < 0 ||
	    sqlite3_prepare_v2(db,
	                       "DELETE FROM dav_tombstones WHERE"
	                       " collection_id = ?1 AND modseq <= ?2",
	                       -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE dav_collections SET tombstone_horizon ="
	                       " max(tombstone_horizon, ?2) WHERE id = ?1",
	                       -1, &up, NULL) != SQLITE_OK)
		goto rollback;
	for (size_t i = 0; i < count; i++) {
		sqlite3_stmt *sts[] = {up, del};
		for (size_t j = 0; j < 2; j++) {
			sqlite3_bind_int64(sts[j], 1, cuts[i].coll);
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

int store_dav_gc_tombstones(const char *data_dir, unsigned keep,
                            size_t *pruned_r, const char **error_r)
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
		/* one unreadable database does not stop the others */
		if (access(path, F_OK) == 0 &&
		    tombstones_prune_db(path, keep, pruned_r) < 0) {
			*error_r = "cannot prune a database's DAV tombstones";
			ret = -1;
		}
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return ret;
}
