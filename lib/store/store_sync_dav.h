/* What a client's local store remembers of a CalDAV/CardDAV server, so
 * that syncing calendars and address books is the same three-way
 * comparison as syncing mail (store_sync.h): local now, remote now, and
 * the state both last agreed on. Kept in the account's mail.db:
 *   sync_dav_collections  one row per remote collection the client
 *                         follows: its URL (decoded path), the local
 *                         collection it is kept in (a calendar of
 *                         store_dav.h, or an address book whose cards live
 *                         in store_contact.h), whether it is read-only to
 *                         this user, and the sync token and CTag of the
 *                         last good sync
 *   sync_dav_objects      one row per member both sides agreed on: the
 *                         local key (a calendar member's name, a contact's
 *                         UID), the remote href, and the ETags both sides
 *                         had at that moment
 * A local change is a local ETag other than the agreed one (or a local
 * member gone); a remote change is a remote ETag other than the agreed
 * one (or a member gone there). Rows are keyed by the local key, not by
 * a row of the local tables, and nothing cascades from them, so a local
 * deletion stays visible until the sync has sent it. Deleting a
 * collection's row drops its object rows. None of these touch the
 * changes file: sync state is not data. */
#ifndef STORE_STORE_SYNC_DAV_H
#define STORE_STORE_SYNC_DAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct pool;

struct store_sync_dav_collection {
	int64_t id;             /* set by _add */
	int kind;               /* STORE_DAV_CALENDAR or _ADDRESSBOOK */
	const char *url;        /* the remote collection's decoded path */
	const char *local_name; /* the local collection's name */
	const char *displayname;
	bool is_read_only;
	const char *sync_token; /* "" before the first good sync */
	const char *ctag;       /* "" when unknown */
};

/* Adds a followed collection (url unique; local_name unique per kind).
 * Returns 0 with *id_r, or -1 with *error_r ("collection followed
 * already" or a storage failure). */
int store_sync_dav_collection_add(struct store_account *account,
                                  const struct store_sync_dav_collection *c,
                                  int64_t *id_r, const char **error_r);
/* Sets the display name, read-only flag, sync token and CTag of id from
 * c. Returns 0 or -1. */
int store_sync_dav_collection_update(struct store_account *account, int64_t id,
                                     const struct store_sync_dav_collection *c);
/* Every followed collection of kind (0: every kind), by local name.
 * Returns 0 with *colls_r and *count_r (from pool), or -1. */
int store_sync_dav_collections(struct store_account *account, int kind,
                               struct pool *pool,
                               struct store_sync_dav_collection **colls_r,
                               size_t *count_r);
/* Forgets collection id and every object row of it. Returns 0 or -1. */
int store_sync_dav_collection_forget(struct store_account *account, int64_t id);

struct store_sync_dav_object {
	const char *local_key;
	const char *href;
	const char *remote_etag; /* "" when the server gave none */
	const char *local_etag;
};

/* Inserts or replaces the row of (coll_id, obj->local_key); a row with the
 * same href is replaced too. Returns 0 or -1. */
int store_sync_dav_object_set(struct store_account *account, int64_t coll_id,
                              const struct store_sync_dav_object *obj);
/* Deletes the row of local_key. Returns 1 deleted, 0 none, -1. */
int store_sync_dav_object_del(struct store_account *account, int64_t coll_id,
                              const char *local_key);
/* Look-ups; return 1 with *obj_r (strings from pool), 0 none, -1. */
int store_sync_dav_object_by_key(struct store_account *account, int64_t coll_id,
                                 const char *local_key, struct pool *pool,
                                 struct store_sync_dav_object *obj_r);
int store_sync_dav_object_by_href(struct store_account *account,
                                  int64_t coll_id, const char *href,
                                  struct pool *pool,
                                  struct store_sync_dav_object *obj_r);
/* Which followed collection of kind holds local_key (a contact's UID is
 * in at most one). Returns 1 with *coll_id_r, 0 none, -1. */
int store_sync_dav_object_owner(struct store_account *account, int kind,
                                const char *local_key, int64_t *coll_id_r);
typedef int store_sync_dav_object_cb(const struct store_sync_dav_object *obj,
                                     void *ctx);
/* Calls cb for every row of coll_id by local key; cb returning non-zero
 * stops the walk and is returned. cb must not write rows of coll_id.
 * Returns 0, cb's value, or -1. */
int store_sync_dav_objects(struct store_account *account, int64_t coll_id,
                           store_sync_dav_object_cb *cb, void *ctx);

/* A small number remembered about the server (key up to 64 bytes):
 * returns it, or def when never set. */
int64_t store_sync_dav_meta_get(struct store_account *account, const char *key,
                                int64_t def);
/* Returns 0 or -1. */
int store_sync_dav_meta_set(struct store_account *account, const char *key,
                            int64_t value);

#endif
