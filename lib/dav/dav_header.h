/* WebDAV request header fields (RFC 4918 §10): Depth, Overwrite,
 * Destination, and a subset of If; and hrefs from request bodies turned
 * into normalised paths.
 *
 * If (§10.4) subset: untagged lists and lists tagged with a resource, each
 * list a conjunction of conditions "[Not] <state-token>" and
 * "[Not] [entity-tag]"; the header holds if any list holds. Postroom has
 * no locks (DAV class 1 and 3, not 2), so a state token never matches a
 * resource (DAV:no-lock included) and "Not <token>" always holds. A tagged
 * list is evaluated only against the resource it names when that is the
 * request's own target; a list tagged with another resource does not
 * hold. */
#ifndef DAV_DAV_HEADER_H
#define DAV_DAV_HEADER_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

enum dav_depth {
	DAV_DEPTH_0 = 0,
	DAV_DEPTH_1 = 1,
	DAV_DEPTH_INFINITY = 2,
};

/* Depth = "Depth" ":" ("0" | "1" | "infinity") (§10.2). value NULL (no
 * field) gives def. Returns 0 with *depth_r, or -1 for another value. */
int dav_header_depth(const char *value, enum dav_depth def,
                     enum dav_depth *depth_r);
/* Overwrite = "Overwrite" ":" ("T" | "F") (§10.6); NULL means T. Returns
 * 0 with *overwrite_r, or -1. */
int dav_header_overwrite(const char *value, bool *overwrite_r);
/* Destination = Simple-ref (§10.3): an absolute URI or an absolute path.
 * host is the request's Host (NULL: not compared). Returns 0 with the
 * normalised path in *path_r (from pool), 1 when the URI names another
 * authority than host (the caller answers 502, §9.8.5), or -1 with
 * *error_r when it is not a usable reference (400). */
int dav_header_destination(const char *value, const char *host,
                           struct pool *pool, const char **path_r,
                           const char **error_r);
/* Turns an href of a request body (absolute URI or absolute path,
 * percent-encoded) into a normalised path as the router sees paths (no
 * "." or empty segments, ".." refused, trailing "/" kept). Returns 0 with
 * *path_r (from pool), or -1. */
int dav_href_to_path(const char *href, struct pool *pool, const char **path_r);

struct dav_if_condition {
	bool is_not;
	bool is_etag;      /* entity-tag, else state token */
	const char *value; /* "\"tag\"" (with quotes, W/ kept) or the token */
};

struct dav_if_list {
	const char *resource; /* the tag's path, NULL for an untagged list */
	struct dav_if_condition *conds;
	size_t count;
};

struct dav_if {
	struct dav_if_list *lists;
	size_t count;
};

/* If = "If" ":" ( 1*No-tag-list | 1*Tagged-list ) (§10.4.2). Returns 0
 * with *if_r (from pool), or -1 when it does not parse (400). */
int dav_header_if_parse(const char *value, struct pool *pool,
                        struct dav_if *if_r);
/* Evaluates the header for the request's target path whose current
 * entity-tag is etag (NULL when it does not exist). Returns true if the
 * request may proceed, false for 412. */
bool dav_header_if_holds(const struct dav_if *hdr, const char *path,
                         const char *etag);

#endif
