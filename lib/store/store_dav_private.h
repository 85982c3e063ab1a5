/* Helpers shared by store_dav.c and store_dav_object.c and nothing else:
 * transactions that end in a touch of the changes file, the collection's
 * MODSEQ step and dead property writes. */
#ifndef STORE_STORE_DAV_PRIVATE_H
#define STORE_STORE_DAV_PRIVATE_H

#include "store/store_dav.h"

/* Sets *error_r to the SQLite failure of what and returns -1. */
int store_dav_fail(struct store_account *account, const char *what,
                   const char **error_r);
/* Rolls the transaction back and returns ret. */
int store_dav_rollback(struct store_account *account, int ret);
/* Commits and touches the changes file. Returns 0, or -1 with *error_r. */
int store_dav_commit(struct store_account *account, const char **error_r);
/* Inside a transaction: the collection's next MODSEQ into *modseq_r (may
 * be NULL). Returns 0, STORE_DAV_NOT_FOUND, or -1. */
int store_dav_bump(struct store_account *account, int64_t coll_id,
                   uint64_t *modseq_r);
/* Inside a transaction: sets or removes (value NULL) dead properties of
 * a collection (object "") or member. Returns 0 or -1. */
int store_dav_props_write(struct store_account *account, int64_t coll_id,
                          const char *object,
                          const struct store_dav_prop *props, size_t count);
/* Inside a transaction: inserts or replaces member obj->name of coll_id
 * with MODSEQ modseq (data inline, or blob_id), removes its tombstone.
 * Returns 0 or -1. */
int store_dav_object_row_write(struct store_account *account, int64_t coll_id,
                               const struct store_dav_object *obj,
                               const char *blob_id, uint64_t modseq,
                               time_t now);
/* Inside a transaction: removes member name of coll_id with its dead
 * properties and leaves a tombstone at modseq. Returns 0 or -1. */
int store_dav_object_row_remove(struct store_account *account, int64_t coll_id,
                                const char *name, uint64_t modseq);

#endif
