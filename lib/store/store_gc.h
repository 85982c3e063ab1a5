/* Collection of message blobs no row refers to (DESIGN.md "The store"):
 * a blob is written (or its mtime refreshed when it already exists)
 * before the row that names it is committed, so only blobs older than a
 * grace period are candidates. Run by qmgr's maintenance timer. */
#ifndef STORE_STORE_GC_H
#define STORE_STORE_GC_H

#include <stddef.h>
#include <time.h>

/* Removes data_dir/blobs/xx/<sha256> files that no messages row of any
 * account database (data_dir/accounts/<id>/mail.db) names and whose mtime
 * is more than grace seconds before now. *removed_r and *kept_r count the
 * blob files. Returns 0, or -1 with a static reason in *error_r (nothing
 * is removed when an account database cannot be read). */
int store_gc_blobs(const char *data_dir, unsigned grace, time_t now,
                   size_t *removed_r, size_t *kept_r, const char **error_r);

#endif
