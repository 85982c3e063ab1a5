/* WebDAV, CalDAV and CardDAV in httpd: the /dav/ route maps requests to
 * the store's collections (lib/store/store_dav.h) with lib/dav's XML,
 * iCalendar and vCard code, as imapd's cmd_*.c map IMAP to the store.
 *   /dav/                                   the context path (RFC 6764)
 *   /dav/principals/<user>/                 a principal (RFC 3744, 5397)
 *   /dav/calendars/<user>/                  calendar home (RFC 4791 §6.2.1)
 *   /dav/calendars/<user>/<cal>/<name>      calendars and their objects
 *   /dav/addressbooks/<user>/<book>/<name>  the same for CardDAV
 * <user> is the account's address. A user's home also holds the
 * collections others shared with it ("<collection>_shared_by_<owner>")
 * and, among address books, "directory": the domain's shared address
 * book (dav_share.c). dav_server.c parses the path, opens the owner's
 * account, checks access (store_dav_access: every check goes through it)
 * and dispatches by method to dav_propfind.c (PROPFIND, PROPPATCH, MKCOL,
 * MKCALENDAR), dav_object.c (GET, PUT, DELETE, COPY, MOVE),
 * dav_report.c (REPORT) and dav_freebusy.c (POST to the schedule outbox);
 * dav_props.c writes property values. */
#ifndef HTTPD_DAV_SERVER_H
#define HTTPD_DAV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dav/dav_body.h"
#include "http/http_method.h"
#include "dav/dav_prop.h"
#include "store/store_dav.h"

struct buf;
struct dav_propstats;
struct dav_xml_node;
struct http_request;
struct httpd;
struct pool;

/* The methods of the /dav route (http_method.h bits). */
#define DAV_ROUTE_METHODS                                                      \
	(HTTP_METHOD_BIT(HTTP_METHOD_OPTIONS) |                                \
	 HTTP_METHOD_BIT(HTTP_METHOD_GET) |                                    \
	 HTTP_METHOD_BIT(HTTP_METHOD_HEAD) |                                   \
	 HTTP_METHOD_BIT(HTTP_METHOD_PUT) |                                    \
	 HTTP_METHOD_BIT(HTTP_METHOD_DELETE) |                                 \
	 HTTP_METHOD_BIT(HTTP_METHOD_PROPFIND) |                               \
	 HTTP_METHOD_BIT(HTTP_METHOD_PROPPATCH) |                              \
	 HTTP_METHOD_BIT(HTTP_METHOD_MKCOL) |                                  \
	 HTTP_METHOD_BIT(HTTP_METHOD_MKCALENDAR) |                             \
	 HTTP_METHOD_BIT(HTTP_METHOD_COPY) |                                   \
	 HTTP_METHOD_BIT(HTTP_METHOD_MOVE) |                                   \
	 HTTP_METHOD_BIT(HTTP_METHOD_REPORT) |                                 \
	 HTTP_METHOD_BIT(HTTP_METHOD_POST))

/* The largest body /dav/ takes: the route's limit (413 past it). */
#define DAV_BODY_MAX STORE_DAV_DEFAULT_MAX_SIZE

enum dav_target_kind {
	DAV_TARGET_ROOT,       /* /dav/ */
	DAV_TARGET_PRINCIPALS, /* /dav/principals/ */
	DAV_TARGET_HOMES,      /* /dav/calendars/, /dav/addressbooks/ */
	DAV_TARGET_PRINCIPAL,
	DAV_TARGET_HOME,
	DAV_TARGET_COLLECTION,
	DAV_TARGET_OBJECT,
};

struct dav_target {
	enum dav_target_kind kind;
	enum store_dav_kind store_kind; /* HOMES and below */
	const char *owner;              /* PRINCIPAL and below, lowercased */
	const char *coll_name;          /* COLLECTION and OBJECT */
	const char *obj_name;           /* OBJECT */
	const char *path;               /* canonical: collections end in "/" */
};

/* One request under /dav/, from the request's pool. */
struct dav_request {
	struct httpd *httpd;
	struct http_request *req;
	struct pool *pool;
	const char *user; /* the signed-in account, lowercased */
	struct dav_target target;
	struct store_account *account; /* the owner's; released at the end */
	struct store_dav_collection coll;
	bool has_coll;
	/* the collection's path as the request names it (its owner's home,
	 * or a share or the directory in the user's home), and its owner's
	 * address (NULL for the domain's directory, which has none) */
	const char *coll_path;
	const char *owner;
	bool is_share;     /* reached through a share in the user's home */
	bool is_directory; /* the domain's shared address book */
	struct store_dav_object obj; /* without data */
	bool has_obj;
	int access; /* enum store_dav_access on the target */
};

/* A resource as a response describes it. */
struct dav_item {
	enum dav_resource kind;
	const char *path;
	const char *owner; /* NULL above the principals and homes */
	enum store_dav_kind store_kind;
	const struct store_dav_collection *coll;
	const struct store_dav_object *obj; /* data may be NULL */
	int access;
	/* the account that holds coll when it is not the request's (a share
	 * listed in the user's home) */
	struct store_account *account;
};

/* ---- dav_server.c ---- */
/* The /dav route's handler (ctx: struct httpd). */
void httpd_dav(struct http_request *req, void *ctx);
/* Parses a normalised path under /dav. Returns 0, or -1 when no resource
 * can live there (404). Strings from pool. */
int dav_target_parse(const char *path, struct pool *pool, struct dav_target *t);
/* Paths, from pool. */
const char *dav_path_principal(struct pool *pool, const char *user);
const char *dav_path_home(struct pool *pool, enum store_dav_kind kind,
                          const char *user);
const char *dav_path_collection(struct pool *pool, enum store_dav_kind kind,
                                const char *owner, const char *name);
const char *dav_path_object(struct pool *pool, enum store_dav_kind kind,
                            const char *owner, const char *coll,
                            const char *name);
/* Answers status with a DAV:error body naming ns:name (a precondition or
 * postcondition; ns NULL: a plain text body) and text, and logs it. */
void dav_error(struct dav_request *d, unsigned status, const char *ns,
               const char *name, const char *href, const char *text);
/* Logs a refusal (status, the precondition name or NULL, why). */
void dav_log(struct dav_request *d, unsigned status, const char *name,
             const char *text);
/* Answers 500 after a store failure, logged with the store's reason. */
void dav_fail(struct dav_request *d, const char *what);
/* Sends a finished multistatus body (207). */
void dav_send_multistatus(struct dav_request *d, const struct buf *body);
typedef void dav_body_cb(struct dav_request *d, const unsigned char *data,
                         size_t size);
/* Reads the request body (into memory, also when the engine spooled it
 * to a file) and calls cb; on a read failure answers 500. */
void dav_read_body(struct dav_request *d, dav_body_cb *cb);
/* Parses an XML body. Returns 1 with *root_r, 0 for an empty body, or -1
 * after answering 400 with the reason. */
int dav_read_xml(struct dav_request *d, const unsigned char *data, size_t size,
                 struct dav_xml_node **root_r);
/* The resource of the request's target. */
void dav_target_resource(struct dav_request *d, struct dav_item *res);
/* The floating time zone of a calendar (its calendar-timezone), or NULL;
 * free with ical_tz_free. */
struct ical_tz *dav_collection_tz(const struct store_dav_collection *coll);

/* The path of member name of the request's collection, from d->pool. */
const char *dav_member_path(struct dav_request *d, const char *name);
/* Where a collection named by a path is, and what the user may do. */
struct dav_location {
	struct store_account *account; /* holds it; dav_cache_release it */
	struct store_dav_collection coll;
	int access;        /* enum store_dav_access, never NONE */
	const char *owner; /* its owner's address; NULL: the directory */
	const char *path;  /* as the path names it */
	bool is_share, is_directory;
};
/* Finds the collection of target t (a collection or member path: the
 * request's, or a Destination) and the user's access: a collection of the
 * path's owner that the user may see, or, in the user's own home, a share
 * it received or its domain's directory. Returns 1 with *loc, 0 when
 * there is none the user may see, -1 after a store failure (logged, not
 * answered). Strings from d->pool. */
int dav_collection_locate(struct dav_request *d, const struct dav_target *t,
                          struct dav_location *loc);

/* ---- dav_cache.c: account databases kept open between requests ---- */
/* Opens (or takes from the process's cache) the account of address.
 * Returns 0 with *account_r, or -1 with *error_r ("no such account", or
 * a storage failure). Give it back with dav_cache_release. */
int dav_cache_open(struct httpd *httpd, const char *address,
                   struct store_account **account_r, const char **error_r);
/* The same for the domains' address books (store_dav_directory_open). */
int dav_cache_open_directory(struct httpd *httpd,
                             struct store_account **account_r,
                             const char **error_r);
/* Gives *account back to the cache (or closes it when it is not one of
 * the cache's) and sets it to NULL; accepts NULL. */
void dav_cache_release(struct store_account **account);
/* Closes every cached handle not lent out. */
void dav_cache_clear(void);

/* ---- dav_share.c: shares and the domain's directory ---- */
/* The directory's name in each address book home. */
#define DAV_DIRECTORY_NAME "directory"
/* Resolves name in the user's own home of kind when it is no collection
 * of the user's: a share it received (the owner's account opened), or
 * DAV_DIRECTORY_NAME among address books (the books' database). Returns
 * 1 with *loc but its path (the collection's displayname says whose it
 * is), 0 when the name is neither, -1 after a store failure (logged). */
int dav_share_resolve(struct dav_request *d, enum store_dav_kind kind,
                      const char *name, struct dav_location *loc);
/* Appends the responses of the shares and the directory in the user's
 * home of kind (PROPFIND Depth 1). Returns 0 or -1. */
int dav_share_home_children(struct dav_request *d,
                            const struct dav_propfind *pf, struct buf *out);
/* DELETE of a share in the grantee's home: the grantee leaves it (the
 * owner's collection stays). Answers. */
void dav_share_leave(struct dav_request *d);

/* ---- dav_sched.c: scheduling (RFC 6638) ---- */
struct dav_sched;
struct ical_object;
/* The names of the schedule inbox and outbox in a calendar home. */
#define DAV_INBOX_NAME "inbox"
#define DAV_OUTBOX_NAME "outbox"
/* Resolves DAV_INBOX_NAME or DAV_OUTBOX_NAME in the user's own calendar
 * home: the account's box, made on first use. Returns 1 with *loc but its
 * path, 0 for another name, -1 after a store failure (logged). */
int dav_sched_resolve(struct dav_request *d, const char *name,
                      struct dav_location *loc);
/* Before a PUT of obj into a calendar of the user's own is stored: what
 * RFC 6638 implicit scheduling will send once it is (the organizer's
 * REQUEST to its attendees and CANCEL to those it dropped, or an
 * attendee's REPLY when its PARTSTAT changed). When the organizer's copy
 * gets SCHEDULE-STATUS, *data_io and *size_io are set to the new bytes
 * (from d->pool) and *is_changed_r to true. Returns the plan, or NULL when
 * nothing is to be sent. obj must live until dav_sched_done. */
struct dav_sched *dav_sched_put(struct dav_request *d,
                                const struct ical_object *obj,
                                const unsigned char **data_io, size_t *size_io,
                                bool *is_changed_r);
/* dav_sched_put for the calendar object *data_io, *size_io (valid, as a
 * PUT checks it): the plan parses and keeps its own copy. */
struct dav_sched *dav_sched_put_data(struct dav_request *d,
                                     const unsigned char **data_io,
                                     size_t *size_io, bool *is_changed_r);
/* Makes d the request of a write by user outside /dav/ (JMAP's
 * CalendarEvent/set with sendSchedulingMessages) into collection coll_id
 * of account, on member name (NULL: a new one), so that dav_sched_put_data,
 * dav_sched_delete and dav_sched_done schedule it as a CalDAV PUT or
 * DELETE of it would (only in the user's own calendars). Strings from
 * pool. Returns 0, or -1 (no such collection, a store failure). */
int dav_sched_request_init(struct dav_request *d, struct httpd *httpd,
                           struct pool *pool, const char *user,
                           struct store_account *account, int64_t coll_id,
                           const char *name);
/* Before the DELETE of the target member: the organizer's CANCEL, or an
 * attendee's REPLY with DECLINED. Returns the plan or NULL. */
struct dav_sched *dav_sched_delete(struct dav_request *d);
/* After the write succeeded: sends what s planned and frees it. */
void dav_sched_done(struct dav_request *d, struct dav_sched **s);
/* Frees a plan that is not to be sent (the write failed); accepts NULL. */
void dav_sched_free(struct dav_sched **s);

/* ---- dav_freebusy.c: free/busy lookups (RFC 6638 §5) ---- */
/* Is the target a schedule outbox path (anyone's)? */
bool dav_freebusy_is_outbox(const struct dav_request *d);
/* POST to the user's own outbox (resolved): a VFREEBUSY REQUEST answered
 * with a CALDAV:schedule-response. Answers. */
void dav_freebusy_post(struct dav_request *d);

/* ---- dav_sched_deliver.c: messages for accounts of this server ---- */
/* An organizer's REQUEST or CANCEL (msg, its text) for attendee, to
 * account (an account address): the message into its inbox, and its copy
 * of the event made, updated (keeping its PARTSTAT) or marked
 * CANCELLED. Returns 0, or -1 (logged). */
int dav_sched_deliver_request(struct dav_request *d, const char *account,
                              const char *attendee,
                              const struct ical_object *msg, const char *text);
/* An attendee's REPLY (reply, its text) to organizer account account:
 * the PARTSTAT set in the organizer's copy, the message into its inbox.
 * Returns 0, or -1 (logged; also when the account holds no such event or
 * the attendee is not in it). */
int dav_sched_deliver_reply(struct dav_request *d, const char *account,
                            const struct ical_object *reply, const char *text);

/* ---- dav_imip.c: mail to other servers (RFC 6047) ---- */
struct dav_imip {
	const char *method; /* REQUEST, CANCEL, REPLY */
	const char *from, *from_name, *to;
	const char *uid, *summary; /* for the subject and text */
	int64_t start;             /* ICAL_TIME_MIN when none */
	const char *partstat;      /* of a REPLY */
	bool is_update;            /* a REQUEST for a changed event */
	bool is_uninvite;          /* a CANCEL to those taken off */
	const char *itip;          /* the iTIP object */
};
/* Queues m for m->to with m->from as the envelope sender, if the user may
 * send as m->from. Returns 0, or -1 (logged). */
int dav_imip_send(struct dav_request *d, const struct dav_imip *m);

/* ---- dav_props.c ---- */
/* Appends the <D:response> of res for pf (allprop, propname or the
 * properties named), with dead properties from the store. */
void dav_props_response(struct dav_request *d, const struct dav_item *res,
                        const struct dav_propfind *pf, struct buf *out);

/* ---- dav_propfind.c ---- */
void dav_propfind(struct dav_request *d);
void dav_proppatch(struct dav_request *d);
void dav_mkcol(struct dav_request *d);

/* ---- dav_object.c ---- */
void dav_get(struct dav_request *d);
void dav_put(struct dav_request *d);
void dav_delete(struct dav_request *d);
void dav_copy_move(struct dav_request *d);

/* ---- dav_report.c ---- */
void dav_report(struct dav_request *d);

#endif
