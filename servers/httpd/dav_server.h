/* WebDAV, CalDAV and CardDAV in httpd: the /dav/ route maps requests to
 * the store's collections (lib/store/store_dav.h) with lib/dav's XML,
 * iCalendar and vCard code, as imapd's cmd_*.c map IMAP to the store.
 *   /dav/                                   the context path (RFC 6764)
 *   /dav/principals/<user>/                 a principal (RFC 3744, 5397)
 *   /dav/calendars/<user>/                  calendar home (RFC 4791 §6.2.1)
 *   /dav/calendars/<user>/<cal>/<name>      calendars and their objects
 *   /dav/addressbooks/<user>/<book>/<name>  the same for CardDAV
 * <user> is the account's address. dav_server.c parses the path, opens the
 * owner's account, checks access (store_dav_access: every check goes
 * through it) and dispatches by method to dav_propfind.c (PROPFIND,
 * PROPPATCH, MKCOL, MKCALENDAR), dav_object.c (GET, PUT, DELETE, COPY,
 * MOVE) and dav_report.c (REPORT); dav_props.c writes property values. */
#ifndef HTTPD_DAV_SERVER_H
#define HTTPD_DAV_SERVER_H

#include <stdbool.h>
#include <stddef.h>

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
	 HTTP_METHOD_BIT(HTTP_METHOD_REPORT))

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
	struct store_account *account; /* the owner's; closed at the end */
	struct store_dav_collection coll;
	bool has_coll;
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
