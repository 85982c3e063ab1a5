/* What a CalDAV/CardDAV client asks a server, over dav_client: finding the
 * principal and the home sets (RFC 5397 current-user-principal, RFC 4791
 * §6.2.1 calendar-home-set, RFC 6352 §7.1.1 addressbook-home-set, RFC 6638
 * §2.1 schedule-outbox-URL), listing the collections of a home, listing a
 * collection's members with their ETags (PROPFIND Depth 1), what changed
 * since a sync token (RFC 6578 sync-collection, following truncated
 * answers), fetching members (calendar-multiget, addressbook-multiget),
 * making a calendar (MKCALENDAR, RFC 4791 §5.3.1) and asking for busy time
 * (free-busy-query, RFC 4791 §7.10; the scheduling outbox, RFC 6638 §5).
 * Each call is one or a few requests; the answers are read with
 * dav_multistatus. Everything returned is allocated from the caller's
 * pool. */
#ifndef DAV_DAV_REMOTE_H
#define DAV_DAV_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dav_client;
struct pool;

enum dav_remote_kind {
	DAV_REMOTE_CALENDAR = 1,    /* CalDAV */
	DAV_REMOTE_ADDRESSBOOK = 2, /* CardDAV */
};

/* Where an account's data lives on the server. */
struct dav_remote_home {
	const char *principal; /* decoded path */
	const char *home;      /* the kind's home set, decoded path */
	const char *outbox;    /* schedule-outbox-URL, or NULL */
	bool is_auto_schedule; /* the DAV field names calendar-auto-schedule */
};

/* Finds the principal from start (a context path such as "/dav/" or
 * "/.well-known/caldav", following redirects on the same server, RFC 6764
 * §5), then the home set of kind. A server without current-user-principal
 * or without the home set is taken to keep the collections under start
 * (RFC 6764 §6 step 5 falls back the same way). Returns 0 with *home_r,
 * or -1 with *error_r: 401 reads "wrong user name or password". */
int dav_remote_find_home(struct dav_client *client, const char *start,
                         enum dav_remote_kind kind, struct pool *pool,
                         struct dav_remote_home *home_r, const char **error_r);

struct dav_remote_collection {
	const char *path;        /* decoded, ends in "/" */
	const char *displayname; /* "" when none */
	const char *color;       /* Apple calendar-color, "" when none */
	const char *ctag;        /* CalendarServer getctag, or NULL */
	const char *sync_token;  /* DAV:sync-token, or NULL */
	unsigned components;     /* ICAL_KIND_* bits (calendars); every
	                            kind when the server does not say */
	bool is_read_only;       /* no DAV:write-content or DAV:bind in
	                            current-user-privilege-set */
	bool has_sync;           /* sync-collection in supported-report-set */
	const char *owner;       /* DAV:owner's href (decoded), "" when none:
	                            another principal's on a shared one */
};

/* Lists the collections of kind directly under home (PROPFIND Depth 1).
 * Returns 0 with *colls_r and *count_r, or -1 with *error_r. */
int dav_remote_collections(struct dav_client *client, const char *home,
                           enum dav_remote_kind kind, struct pool *pool,
                           struct dav_remote_collection **colls_r,
                           size_t *count_r, const char **error_r);

/* A member of a collection: its path, ETag (with quotes; NULL when the
 * server gave none) and, when fetched, its data; is_gone for one a sync
 * report says was removed. */
struct dav_remote_member {
	const char *path;
	const char *etag;
	bool is_gone;
	const unsigned char *data; /* NULL when not fetched */
	size_t size;
};

/* Every member of a collection with its ETag (PROPFIND Depth 1: the
 * ETag comparison a client falls back on). Returns 0 or -1. */
int dav_remote_members(struct dav_client *client, const char *collection,
                       struct pool *pool, struct dav_remote_member **members_r,
                       size_t *count_r, const char **error_r);

/* The changes since token ("" for everything, RFC 6578 §3.8) with their
 * ETags; answers truncated with 507 (§3.6) are followed with the token
 * they give. Returns 1 with the members, *count_r and *token_r (the new
 * token), 0 when the server refuses the token (403/409 valid-sync-token:
 * start again from ""), or -1 with *error_r (also when the server has no
 * sync-collection). */
int dav_remote_sync(struct dav_client *client, const char *collection,
                    const char *token, struct pool *pool,
                    struct dav_remote_member **members_r, size_t *count_r,
                    const char **token_r, const char **error_r);

/* Fetches the data and ETags of paths[0..count) in collection
 * (calendar-multiget or addressbook-multiget, in batches). A path the
 * server does not have comes back with is_gone. Returns 0 with
 * *members_r (count entries, in any order), or -1 with *error_r. */
int dav_remote_multiget(struct dav_client *client, const char *collection,
                        enum dav_remote_kind kind, const char *const *paths,
                        size_t count, struct pool *pool,
                        struct dav_remote_member **members_r, size_t *count_r,
                        const char **error_r);

/* Makes a calendar at path (MKCALENDAR with a display name and the
 * components, ICAL_KIND_* bits) or an address book (extended MKCOL, RFC
 * 5689). Returns 0, or -1 with *error_r. */
int dav_remote_make(struct dav_client *client, const char *path,
                    enum dav_remote_kind kind, const char *displayname,
                    unsigned components, struct pool *pool,
                    const char **error_r);

/* Busy time of a calendar in [start, end) (UTC seconds): a
 * free-busy-query REPORT. Returns 1 with the VCALENDAR text the server
 * answered (*text_r), 0 when the server answers it otherwise (a
 * multistatus, or a refusal: the caller may query the events instead), or
 * -1 with *error_r. */
int dav_remote_freebusy(struct dav_client *client, const char *collection,
                        int64_t start, int64_t end, struct pool *pool,
                        const char **text_r, const char **error_r);
/* The VEVENT objects of a calendar overlapping [start, end) with their
 * data (calendar-query with a time-range, RFC 4791 §7.8). Returns 0 or
 * -1. */
int dav_remote_events(struct dav_client *client, const char *collection,
                      int64_t start, int64_t end, struct pool *pool,
                      struct dav_remote_member **members_r, size_t *count_r,
                      const char **error_r);
/* Posts a VFREEBUSY request (text: a METHOD:REQUEST VCALENDAR) to the
 * scheduling outbox (RFC 6638 §5.1). Returns 1 with the calendar-data of
 * the first recipient that got one (*text_r), 0 when none did (their
 * request-status in *error_r) or the outbox takes no POST (403, 405,
 * 501: a server that schedules but answers no free-busy requests), or -1
 * with *error_r. */
int dav_remote_outbox_freebusy(struct dav_client *client, const char *outbox,
                               const char *text, struct pool *pool,
                               const char **text_r, const char **error_r);

/* "HTTP 403 (valid-sync-token)" and the like for an unexpected answer,
 * from pool. */
const char *dav_remote_status_error(unsigned status, const unsigned char *body,
                                    size_t size, struct pool *pool);

#endif
