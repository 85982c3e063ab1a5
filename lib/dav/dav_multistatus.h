/* Reading the 207 Multi-Status answers a DAV server sends a client (RFC
 * 4918 §13, §14.16; RFC 6578 §6.4 sync-token): each DAV:response with its
 * href (decoded, as dav_client_href_path makes it), its bare status if it
 * has one (a member gone in a sync-collection report, RFC 6578 §3.5.2),
 * and the properties of each propstat with that propstat's status. The
 * body goes through dav_xml (libxml2 without DTDs, with limits), so a
 * hostile answer costs what a hostile request would. Also the DAV:error
 * element of a refusal (RFC 4918 §16): the name of its first
 * precondition. */
#ifndef DAV_DAV_MULTISTATUS_H
#define DAV_DAV_MULTISTATUS_H

#include <stddef.h>

struct dav_xml_node;
struct pool;

struct dav_ms_prop {
	const struct dav_xml_node *node; /* the property element */
	unsigned status;                 /* its propstat's, 200 ... */
};

struct dav_ms_response {
	const char *href; /* decoded path; the first href of the response */
	unsigned status;  /* a bare DAV:status, 0 when propstats instead */
	struct dav_ms_prop *props;
	size_t prop_count;
};

struct dav_multistatus {
	struct dav_ms_response *responses;
	size_t count;
	const char *sync_token; /* RFC 6578 §6.4, or NULL */
};

/* Parses a multistatus body (max_size bytes at most; 0: 64 MiB).
 * Responses whose href is not a usable path are skipped. Returns 0 with
 * *ms_r (everything from pool), or -1 with *error_r (from pool or
 * static) when it is not XML or not a DAV:multistatus. */
int dav_multistatus_parse(const unsigned char *data, size_t size,
                          size_t max_size, struct pool *pool,
                          struct dav_multistatus *ms_r, const char **error_r);
/* The property ns:name of r if it came with a 2xx status, else NULL. */
const struct dav_xml_node *dav_ms_prop(const struct dav_ms_response *r,
                                       const char *ns, const char *name);
/* Its text without surrounding whitespace (from pool), or NULL. */
const char *dav_ms_prop_text(const struct dav_ms_response *r, const char *ns,
                             const char *name, struct pool *pool);
/* The decoded path of the first DAV:href inside property ns:name
 * (current-user-principal, calendar-home-set ...), or NULL. */
const char *dav_ms_prop_href(const struct dav_ms_response *r, const char *ns,
                             const char *name, struct pool *pool);
/* The response for path (decoded; a trailing "/" does not matter), or
 * NULL. */
const struct dav_ms_response *dav_ms_find(const struct dav_multistatus *ms,
                                          const char *path);
/* The status code in "HTTP/1.1 404 Not Found", or 0. */
unsigned dav_ms_status_parse(const char *text);
/* The local name of the first element inside a DAV:error body ("valid-
 * sync-token", "no-uid-conflict"), or NULL when body is not one. */
const char *dav_ms_error_name(const unsigned char *data, size_t size,
                              struct pool *pool);

#endif
