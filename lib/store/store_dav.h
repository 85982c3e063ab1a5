/* Calendars and address books of one account (WebDAV collections for
 * CalDAV and CardDAV), kept in its mail.db beside the mail:
 *   dav_collections  one row per collection: kind, URL name, display name,
 *                    description, color, order, time zone, supported
 *                    components, max resource size, and its modification
 *                    sequence (the sync token and CTag: it grows with every
 *                    change to the collection or a member)
 *   dav_objects      one row per resource: name, UID (unique in its
 *                    collection), ETag, MODSEQ, content type, the bytes as
 *                    the client sent them (inline up to STORE_DAV_INLINE_MAX,
 *                    else a content-addressed blob), and for calendars the
 *                    component kind and the time span an index narrows
 *                    calendar-query with
 *   dav_tombstones   a member's name and the MODSEQ it went at, for
 *                    sync-collection (RFC 6578); a token older than the
 *                    collection's tombstone horizon is refused
 *   dav_props        dead properties (RFC 4918 §4) of a collection or
 *                    member, as XML
 *   dav_grants       unused: shares live in postroom.db (dav_shares,
 *                    below); store_dav_access is the one check every
 *                    access goes through
 * The store does not parse iCalendar or vCard: the caller (httpd, with
 * lib/dav) validates and computes the UID, kind and span. The tables
 * refer to nothing else in mail.db, so the per-domain shared address
 * books live in a database of their own with the same schema. Every write
 * touches the account's changes file after its commit. */
#ifndef STORE_STORE_DAV_H
#define STORE_STORE_DAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct pool;

enum store_dav_kind {
	STORE_DAV_CALENDAR = 1,
	STORE_DAV_ADDRESSBOOK = 2,
	/* RFC 6638 §2.1, §2.2: where scheduling messages arrive, and the
	 * outbox; one each per account, never listed with the calendars */
	STORE_DAV_SCHEDULE_INBOX = 3,
	STORE_DAV_SCHEDULE_OUTBOX = 4,
};

/* What a user may do with a collection (store_dav_access). */
enum store_dav_access {
	STORE_DAV_ACCESS_NONE = 0,
	STORE_DAV_ACCESS_READ = 1,
	STORE_DAV_ACCESS_READ_WRITE = 2,
	STORE_DAV_ACCESS_OWNER = 3,
};

/* Outcomes of the writes below besides 0 (done) and -1 (storage failure,
 * reason in *error_r). */
#define STORE_DAV_NOT_FOUND 1     /* no such collection or member */
#define STORE_DAV_PRECONDITION 2  /* If-Match / If-None-Match failed */
#define STORE_DAV_UID_CONFLICT 3  /* another member holds the UID */
#define STORE_DAV_EXISTS 4        /* the name is taken */
#define STORE_DAV_TOKEN_INVALID 5 /* a sync token this store cannot serve */

#define STORE_DAV_INLINE_MAX (128 * 1024) /* larger data goes to a blob */
#define STORE_DAV_DEFAULT_MAX_SIZE (10 * 1024 * 1024)
#define STORE_DAV_NAME_MAX 255
#define STORE_DAV_TIME_MIN INT64_MIN /* unbounded time span */
#define STORE_DAV_TIME_MAX INT64_MAX

/* Component bits of a calendar (the same as lib/dav's enum ical_kind). */
#define STORE_DAV_COMP_VEVENT 1
#define STORE_DAV_COMP_VTODO 2
#define STORE_DAV_COMP_VJOURNAL 4
#define STORE_DAV_COMP_VFREEBUSY 8

struct store_dav_collection {
	int64_t id;
	enum store_dav_kind kind;
	const char *name;        /* the URL segment */
	const char *displayname; /* "" when none */
	const char *description;
	const char *color;    /* "#RRGGBB[AA]" or "" */
	const char *timezone; /* a VCALENDAR with one VTIMEZONE, or "" */
	int64_t sort_order;
	unsigned components; /* STORE_DAV_COMP_* (calendars) */
	uint64_t max_resource_size;
	uint64_t modseq; /* grows with every change */
	uint64_t tombstone_horizon;
	time_t created;
};

/* The fields store_dav_collection_update may change (bits). */
enum store_dav_field {
	STORE_DAV_FIELD_DISPLAYNAME = 1 << 0,
	STORE_DAV_FIELD_DESCRIPTION = 1 << 1,
	STORE_DAV_FIELD_COLOR = 1 << 2,
	STORE_DAV_FIELD_TIMEZONE = 1 << 3,
	STORE_DAV_FIELD_ORDER = 1 << 4,
};

struct store_dav_object {
	int64_t collection_id;
	const char *name; /* the URL segment */
	const char *uid;
	const char *etag; /* with its quotes */
	const char *content_type;
	uint64_t modseq;
	uint64_t size;
	unsigned component;           /* STORE_DAV_COMP_* bit, 0 for a card */
	int64_t time_start, time_end; /* STORE_DAV_TIME_MIN / _MAX */
	bool is_recurring;
	time_t created, updated;
	const unsigned char *data; /* size bytes and a NUL, or NULL when not
	                              loaded */
};

/* A dead property: value is its element as XML, NULL to remove it. */
struct store_dav_prop {
	const char *ns, *name;
	const char *value;
};

/* Returns true if name may name a collection or member: 1 to
 * STORE_DAV_NAME_MAX bytes, no "/", no control character, not "." or
 * "..". */
bool store_dav_name_is_valid(const char *name);

/* The reason of the last failure on account's database, for logging. */
const char *store_dav_last_error(struct store_account *account);

/* ---- Collections ---- */

/* Lists the collections of kind, by sort order then name; the first call
 * on an account makes its default ones ("calendar" with VEVENT, "tasks"
 * with VTODO, "journal" with VJOURNAL; "contacts"), once: deleted
 * defaults stay deleted. Returns 0 with *colls_r and *count_r (from
 * pool), or -1. */
int store_dav_collections(struct store_account *account,
                          enum store_dav_kind kind, struct pool *pool,
                          struct store_dav_collection **colls_r,
                          size_t *count_r);
/* Returns 1 with *coll_r (from pool; defaults made as above), 0 if there
 * is no such collection, -1. */
int store_dav_collection_get(struct store_account *account,
                             enum store_dav_kind kind, const char *name,
                             struct pool *pool,
                             struct store_dav_collection *coll_r);
/* The schedule inbox or outbox (kind) of account, made on first use
 * (named "inbox", "outbox"). Returns 0 with *coll_r (from pool), or -1. */
int store_dav_schedule_box(struct store_account *account,
                           enum store_dav_kind kind, struct pool *pool,
                           struct store_dav_collection *coll_r);
/* The collection with row id id. Returns 1 with *coll_r (from pool), 0
 * if there is none, -1. */
int store_dav_collection_get_by_id(struct store_account *account, int64_t id,
                                   struct pool *pool,
                                   struct store_dav_collection *coll_r);
/* Creates a collection from coll (kind, name, the text fields, order,
 * components, max_resource_size; 0 means the default) with the dead
 * properties props. Returns 0 with *id_r, STORE_DAV_EXISTS, or -1 with
 * *error_r ("invalid name" too). */
int store_dav_collection_create(struct store_account *account,
                                const struct store_dav_collection *coll,
                                const struct store_dav_prop *props,
                                size_t prop_count, time_t now, int64_t *id_r,
                                const char **error_r);
/* Sets the fields of id named by fields (enum store_dav_field) from
 * values and sets or removes the dead properties props, all or nothing
 * (RFC 4918 §9.2), and bumps the collection's MODSEQ. Returns 0,
 * STORE_DAV_NOT_FOUND, or -1. */
int store_dav_collection_update(struct store_account *account, int64_t id,
                                const struct store_dav_collection *values,
                                unsigned fields,
                                const struct store_dav_prop *props,
                                size_t prop_count, const char **error_r);
/* Deletes a collection with its members, tombstones, properties and
 * grants. Returns 0, STORE_DAV_NOT_FOUND, or -1. */
int store_dav_collection_delete(struct store_account *account, int64_t id,
                                const char **error_r);

/* ---- Members ---- */

/* Returns 1 with *obj_r (strings from pool; data loaded, blob or not,
 * when with_data), 0 if there is no such member, -1. */
int store_dav_object_get(struct store_account *account, int64_t coll_id,
                         const char *name, bool with_data, struct pool *pool,
                         struct store_dav_object *obj_r);
/* Returns 1 with the name of the member holding uid in *name_r (from
 * pool), 0 if none does, -1. */
int store_dav_object_find_uid(struct store_account *account, int64_t coll_id,
                              const char *uid, struct pool *pool,
                              const char **name_r);
/* Finds the member holding uid among account's collections of kind (the
 * oldest collection first). Returns 1 with *coll_r and *obj_r (data
 * loaded; from pool), 0 if none has it, -1. */
int store_dav_object_find_any(struct store_account *account,
                              enum store_dav_kind kind, const char *uid,
                              struct pool *pool,
                              struct store_dav_collection *coll_r,
                              struct store_dav_object *obj_r);
/* Stores obj (name, uid, etag, content_type, data and size, component,
 * span, is_recurring) into coll_id, creating or replacing the member of
 * that name, in one transaction with the checks: if_match (NULL: none) is
 * the entity-tag the current member must have, if_none_match that no
 * member may exist (If-None-Match: *). Sets *created_r and *modseq_r.
 * Returns 0, STORE_DAV_NOT_FOUND (no collection), STORE_DAV_PRECONDITION,
 * STORE_DAV_UID_CONFLICT (another member has the UID;
 * store_dav_object_find_uid names it), or -1 with *error_r. */
int store_dav_object_put(struct store_account *account, int64_t coll_id,
                         const struct store_dav_object *obj,
                         const char *if_match, bool if_none_match, time_t now,
                         bool *created_r, uint64_t *modseq_r,
                         const char **error_r);
/* Deletes a member, leaving a tombstone. Returns 0, STORE_DAV_NOT_FOUND,
 * STORE_DAV_PRECONDITION (if_match, when not NULL, differs), or -1. */
int store_dav_object_delete(struct store_account *account, int64_t coll_id,
                            const char *name, const char *if_match,
                            const char **error_r);
/* Copies (or moves, leaving a tombstone) member from_name of from_coll to
 * to_name in to_coll of the same account, with its dead properties.
 * overwrite false refuses an existing destination. Sets *created_r.
 * Returns 0, STORE_DAV_NOT_FOUND (source), STORE_DAV_EXISTS (destination
 * exists and !overwrite), STORE_DAV_UID_CONFLICT, or -1. */
int store_dav_object_copy(struct store_account *account, int64_t from_coll,
                          const char *from_name, int64_t to_coll,
                          const char *to_name, bool move, bool overwrite,
                          time_t now, bool *created_r, const char **error_r);

/* Returns non-zero to stop the walk. obj and its strings live until cb
 * returns. */
typedef int store_dav_object_cb(const struct store_dav_object *obj, void *ctx);
/* Calls cb for each member of coll_id whose span overlaps [start, end)
 * (STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX: all), by name, with its data
 * when with_data. Returns 0, cb's value, or -1. */
int store_dav_objects_list(struct store_account *account, int64_t coll_id,
                           int64_t start, int64_t end, bool with_data,
                           store_dav_object_cb *cb, void *ctx);

/* Returns non-zero to stop the walk; obj is NULL for a member that went
 * (name and modseq given), else the member as it is now. */
typedef int store_dav_change_cb(const char *name, uint64_t modseq,
                                const struct store_dav_object *obj, void *ctx);
/* RFC 6578: calls cb for every member changed or gone since modseq
 * since, in MODSEQ order; since 0 lists every present member (an initial
 * sync). Returns 0, cb's value, STORE_DAV_TOKEN_INVALID when since is
 * below the tombstone horizon or above the collection's MODSEQ, or -1. */
int store_dav_changes(struct store_account *account, int64_t coll_id,
                      uint64_t since, store_dav_change_cb *cb, void *ctx);

/* The bytes of every member of every collection of account (the schedule
 * inbox too) into *bytes_r. Returns 0 or -1. */
int store_dav_usage(struct store_account *account, uint64_t *bytes_r);

/* ---- Dead properties and access ---- */

/* The dead properties of a collection (object "") or member, by
 * namespace and name. Returns 0 with *props_r and *count_r (from pool),
 * or -1. */
int store_dav_props(struct store_account *account, int64_t coll_id,
                    const char *object, struct pool *pool,
                    struct store_dav_prop **props_r, size_t *count_r);
/* Sets or removes (value NULL) dead properties of a member, all or
 * nothing. Returns 0, STORE_DAV_NOT_FOUND, or -1. */
int store_dav_props_set(struct store_account *account, int64_t coll_id,
                        const char *object, const struct store_dav_prop *props,
                        size_t count, const char **error_r);
/* What user (an account address) may do with collection coll_id of the
 * account open as owner: STORE_DAV_ACCESS_OWNER for its owner, else what
 * a share says (store_dav_share_set). Every access check of DAV goes
 * through here. Returns the access, or -1. */
int store_dav_access(struct store_account *owner, const char *user,
                     int64_t coll_id);

/* ---- Sharing (store_dav_share.c) ----
 * A share gives another account of the server read or read-write access
 * to one collection, and puts the collection into the grantee's home
 * under a name of its own ("<collection>_shared_by_<owner>"), which no
 * collection of the grantee's has. The row lives in postroom.db
 * (dav_shares), so the grantee's home lists its shares without opening
 * any other account; it goes with either account, and with the
 * collection (store_dav_collection_delete). The per-account dav_grants
 * table of the first DAV schema is not used. */

struct store_dav_share {
	const char *owner;   /* the owner's address */
	const char *grantee; /* the grantee's address */
	int64_t collection_id;
	enum store_dav_kind kind;
	enum store_dav_access access; /* READ or READ_WRITE */
	const char *name;             /* in the grantee's home */
	time_t created;
};

/* Shares coll of owner with grantee (an account address) with access
 * READ or READ_WRITE, or changes the access of an existing share (its
 * name stays); STORE_DAV_ACCESS_NONE ends the share. Sets *name_r (from
 * pool; may be NULL) to the collection's name in the grantee's home.
 * Returns 0, STORE_DAV_NOT_FOUND (grantee is not an account, or there
 * is no such share to end), or -1 with *error_r ("cannot share with its
 * owner", "invalid access", or a storage failure). */
int store_dav_share_set(struct store_account *owner,
                        const struct store_dav_collection *coll,
                        const char *grantee, enum store_dav_access access,
                        time_t now, struct pool *pool, const char **name_r,
                        const char **error_r);
/* The shares of collection coll_id of owner, by grantee. Returns 0 with
 * *shares_r and *count_r (from pool), or -1. */
int store_dav_share_list_collection(struct store_account *owner,
                                    int64_t coll_id, struct pool *pool,
                                    struct store_dav_share **shares_r,
                                    size_t *count_r);
/* The shares grantee received of collections of kind, by name. Returns
 * 0 with *shares_r and *count_r (from pool), or -1. */
int store_dav_share_list_granted(struct store *store, const char *grantee,
                                 enum store_dav_kind kind, struct pool *pool,
                                 struct store_dav_share **shares_r,
                                 size_t *count_r);
/* The share named name in grantee's home of kind. Returns 1 with *share_r
 * (from pool), 0 if none, -1. */
int store_dav_share_find(struct store *store, const char *grantee,
                         enum store_dav_kind kind, const char *name,
                         struct pool *pool, struct store_dav_share *share_r);

/* ---- The domain's shared address book (store_dav_directory.c) ----
 * Each local domain has one address book that every account of the
 * domain may read, filled from the domain's accounts (one card each,
 * unless hidden). The books live in a database of their own with the
 * account schema, data_dir/accounts/0/mail.db (no account has id 0), one
 * collection per domain named by the domain; sync tokens, ETags and
 * tombstones work as in any collection. The book is brought up to date
 * when it is read and the domain's accounts changed since
 * (store_dav_directory_sync): the store makes no vCard, the caller's
 * callback does. */

struct store_dav_directory_entry {
	int64_t account_id;
	const char *address;
	const char *name; /* "" when the account has none */
};

/* Fills obj (name, uid, etag, content_type, data, size; strings from
 * pool) with the card of e. Returns 0, or -1 to leave e out. */
typedef int store_dav_card_cb(const struct store_dav_directory_entry *e,
                              struct pool *pool, struct store_dav_object *obj,
                              void *ctx);

/* Opens the books' database (made on first use). Close it with
 * store_account_close. Returns 0, or -1 with *error_r. */
int store_dav_directory_open(struct store *store, struct store_account **dir_r,
                             const char **error_r);
/* Brings domain's book in dir up to date (nothing to do when its
 * accounts, names and hidden flags did not change since the last time)
 * and reads its collection into *coll_r (strings from pool). Returns 1,
 * 0 when domain is not local, or -1. */
int store_dav_directory_sync(struct store *store, struct store_account *dir,
                             const char *domain, store_dav_card_cb *cb,
                             void *ctx, struct pool *pool,
                             struct store_dav_collection *coll_r);
/* Sets the name the book shows for address (NULL: unchanged) and whether
 * the account is left out of it (hidden < 0: unchanged). Returns 0, or -1
 * with *error_r ("no such account", a storage failure). */
int store_dav_directory_set(struct store *store, const char *address,
                            const char *name, int hidden, const char **error_r);
/* The entry of address. Returns 1 with *name_r (from pool) and
 * *is_hidden_r, 0 if there is no such account, -1. */
int store_dav_directory_get(struct store *store, const char *address,
                            struct pool *pool, const char **name_r,
                            bool *is_hidden_r);

/* ---- Maintenance (store_dav_gc.c) ---- */

/* Prunes the tombstones of every collection of every database under
 * data_dir/accounts to about its keep newest, raising the collection's
 * tombstone horizon to the highest MODSEQ removed (a sync token older
 * than that is then refused with STORE_DAV_TOKEN_INVALID). *pruned_r
 * counts removed rows. Returns 0, or -1 with a static reason in *error_r
 * if some database could not be pruned (the others are). */
int store_dav_gc_tombstones(const char *data_dir, unsigned keep,
                            size_t *pruned_r, const char **error_r);

#endif
