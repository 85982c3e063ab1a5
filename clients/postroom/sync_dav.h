/* CalDAV and CardDAV in postroom: a session with an account's DAV server
 * (dav.c), and the two-way sync of its calendars, task lists, journals
 * (into the local store's calendars, calendar.h) and address books (into
 * the local address book, store_contact.h) with the same three-state
 * comparison as mail: local now, remote now, last agreed
 * (store_sync_dav.h). sync_dav.c follows the collections,
 * sync_dav_objects.c compares and moves one collection's members,
 * sync_dav_local.c is the local side of each kind. */
#ifndef POSTROOM_SYNC_DAV_H
#define POSTROOM_SYNC_DAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dav/dav_client.h"
#include "dav/dav_remote.h"
#include "postroom.h"

struct buf;
struct pool;
struct store_sync_dav_collection;

/* ---- dav.c: the session -----------------------------------------------------
 */

struct pr_dav {
	const struct pr_config *config;
	const struct pr_account *account;
	struct dav_client *client;
	struct dav_url url;          /* the configured context URL */
	struct dav_remote_home home; /* filled by pr_dav_open */
	enum dav_remote_kind kind;
};

/* Connects to the account's CalDAV (kind CALENDAR) or CardDAV server
 * with its password and finds the principal and home set. Returns 0, or
 * -1 with *error_r (from pool; the session is then closed). */
int pr_dav_open(const struct pr_config *config,
                const struct pr_account *account, enum dav_remote_kind kind,
                struct pool *pool, struct pr_dav *dav, const char **error_r);
void pr_dav_close(struct pr_dav *dav);
/* The URL of kind for the account (caldav_url or carddav_url), or NULL. */
const char *pr_dav_url(const struct pr_account *account,
                       enum dav_remote_kind kind);

/* ---- sync_dav_local.c: the local side of a collection ----------------------
 */

struct pr_dav_item {
	const char *key;  /* a calendar member's name, a contact's UID */
	const char *etag; /* of its bytes as stored */
};

struct pr_dav_side;
struct pr_dav_side_ops {
	/* Every local member of the collection. Returns 0 or -1. */
	int (*list)(struct pr_dav_side *side, struct pool *pool,
	            struct pr_dav_item **items_r, size_t *count_r);
	/* Returns 1 with the data and ETag of key, 0 when absent, -1. */
	int (*read)(struct pr_dav_side *side, const char *key,
	            struct pool *pool, const unsigned char **data_r,
	            size_t *size_r, const char **etag_r);
	/* Stores data under key (created or replaced). Returns 0 with
	 * *etag_r, or -1 with *error_r. */
	int (*write)(struct pr_dav_side *side, const char *key,
	             const unsigned char *data, size_t size, struct pool *pool,
	             const char **etag_r, const char **error_r);
	/* Removes key. Returns 0 or -1. */
	int (*remove)(struct pr_dav_side *side, const char *key,
	              const char **error_r);
	/* The key a member found on the server gets, from its path and data;
	 * NULL when the data is not valid (*error_r says why). */
	const char *(*key_for)(struct pr_dav_side *side, const char *path,
	                       const unsigned char *data, size_t size,
	                       struct pool *pool, const char **error_r);
	/* The member's name on the server for a new local key. */
	const char *(*remote_name)(struct pr_dav_side *side, const char *key,
	                           struct pool *pool);
	/* Keeps a copy of data (a local version the server's won over) under
	 * a new UID and key, as a new local member. Returns 0 or -1. */
	int (*copy)(struct pr_dav_side *side, const unsigned char *data,
	            size_t size, struct pool *pool, const char **error_r);
};

struct pr_dav_side {
	const struct pr_dav_side_ops *ops;
	struct pr_local *local;
	const char *collection; /* calendars: the local collection's name */
	int64_t sync_id;        /* the sync_dav_collections row */
	bool is_default_book;   /* address books: new contacts go here */
};

extern const struct pr_dav_side_ops pr_dav_calendar_ops;
extern const struct pr_dav_side_ops pr_dav_contacts_ops;

/* ---- sync_dav_objects.c: one collection ------------------------------------
 */

/* Syncs the members of one followed collection (sync token or ETags,
 * downloads, uploads, deletions, conflicts) and records the new state.
 * remote: the collection as the server listed it now. Returns 0, or -1
 * with *error_r when the server could not be asked; a member that failed
 * is counted in report->dav_errors and tried again next time. */
int pr_sync_dav_collection(struct pr_dav *dav, struct pr_dav_side *side,
                           struct store_sync_dav_collection *state,
                           const struct dav_remote_collection *remote,
                           bool is_read_only, struct pr_sync_report *report,
                           struct pool *pool, const char **error_r);

#endif
