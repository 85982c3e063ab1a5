/* What JMAP for contacts and calendars (RFC 9610, doc/jmap.md) needs from
 * the DAV tables (store_dav.h): a JMAP id for each member that stays
 * while the member lives (a PUT over it or a MOVE keeps it), states and
 * changes per JMAP type from the account's JMAP change counter, kept by
 * triggers (store_account_db.c), so a CardDAV or CalDAV write is a JMAP
 * change too and the reverse. Collections keep their store ids. */
#ifndef STORE_STORE_JMAP_DAV_H
#define STORE_STORE_JMAP_DAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_dav.h"
#include "store/store_jmap.h"

struct pool;

/* The JMAP type of a member: from its collection's kind and component. */
enum store_jmap_dav_type {
	STORE_JMAP_DAV_NONE = 0, /* VFREEBUSY: not a JMAP object */
	STORE_JMAP_DAV_CARD = 1,
	STORE_JMAP_DAV_EVENT = 2,
	STORE_JMAP_DAV_TASK = 3,
	STORE_JMAP_DAV_JOURNAL = 4,
};

/* The state of the members of type, or of the collections of kind (the
 * highest change stamp among them, 0 when there were never any). Returns
 * 0 or -1. */
int store_jmap_dav_state(struct store_account *account,
                         enum store_jmap_dav_type type, uint64_t *state_r);
int store_jmap_dav_collection_state(struct store_account *account,
                                    enum store_dav_kind kind,
                                    uint64_t *state_r);

/* The members of type changed after since, oldest change first, at most
 * max (0: no limit), as store_jmap_changes does (ids are the JMAP ids as
 * decimal text). Returns 0, 1 when since is in the future, -1. */
int store_jmap_dav_changes(struct store_account *account,
                           enum store_jmap_dav_type type, uint64_t since,
                           unsigned max, store_jmap_change_cb *cb, void *ctx,
                           uint64_t *upto_r, bool *has_more_r);
/* The same for the collections of kind (ids: the collection ids). */
int store_jmap_dav_collection_changes(struct store_account *account,
                                      enum store_dav_kind kind, uint64_t since,
                                      unsigned max, store_jmap_change_cb *cb,
                                      void *ctx, uint64_t *upto_r,
                                      bool *has_more_r);

/* A member as JMAP names it. */
struct store_jmap_dav_ref {
	int64_t id;
	int64_t collection_id;
	const char *name;
	enum store_jmap_dav_type type;
};

/* Finds the member with JMAP id. Returns 1 with *ref_r (name from pool),
 * 0 if no such member lives, -1. */
int store_jmap_dav_locate(struct store_account *account, int64_t id,
                          struct pool *pool, struct store_jmap_dav_ref *ref_r);
/* The JMAP id of member name of coll_id. Returns 1, 0 if none, -1. */
int store_jmap_dav_id(struct store_account *account, int64_t coll_id,
                      const char *name, int64_t *id_r);
/* The members of type (in collection coll_id, or all when 0) whose span
 * overlaps [start, end) (STORE_DAV_TIME_MIN, _MAX: all), by JMAP id.
 * Returns 0 with *refs_r and *count_r (from pool), or -1. */
int store_jmap_dav_list(struct store_account *account,
                        enum store_jmap_dav_type type, int64_t coll_id,
                        int64_t start, int64_t end, struct pool *pool,
                        struct store_jmap_dav_ref **refs_r, size_t *count_r);

#endif
