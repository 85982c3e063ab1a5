/* Collection of message blobs no row refers to (DESIGN.md "The store"):
 * a blob is written (or its mtime refreshed when it already exists)
 * before the row that names it is committed, so only blobs older than a
 * grace period are candidates; and pruning of the expunge log. Both run
 * from qmgr's maintenance timer. */
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

/* Prunes the expunge log (QRESYNC's VANISHED, RFC 7162 §3.2.5) of every
 * mailbox of every account database under data_dir to about its keep
 * newest rows: rows go by whole MODSEQs (the oldest first) and the
 * mailbox's expunge_horizon rises to the highest MODSEQ removed, so that
 * store_imap_vanished answers an older MODSEQ with every UID gone rather
 * than too few. HIGHESTMODSEQ does not change and no watcher wakes. A
 * database not migrated yet is left for a later run. *pruned_r counts
 * removed rows. Returns 0, or -1 with a static reason in *error_r if some
 * account database could not be pruned (the others are). */
int store_gc_expunged(const char *data_dir, unsigned keep, size_t *pruned_r,
                      const char **error_r);

#endif
