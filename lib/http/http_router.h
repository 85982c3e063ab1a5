/* The router: method + path to a handler. Routes are matched by prefix on
 * whole segments ("/dav" matches "/dav", "/dav/" and "/dav/x", never
 * "/davx"), the longest prefix winning, and carry their own settings: the
 * methods allowed (others get 405 with Allow), the body limit, whether
 * authentication is required, whether an encoded "/" may appear in the
 * path, and the Content-Security-Policy. The server engine consults it for
 * every request; the router itself only matches. */
#ifndef HTTP_HTTP_ROUTER_H
#define HTTP_HTTP_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http_method.h"

struct http_request;
struct http_router;

/* A request whose head passed every check of its route: respond with
 * http_response_*, now or later, after reading the body or not. */
typedef void http_handler_cb(struct http_request *req, void *ctx);

enum http_route_flags {
	HTTP_ROUTE_AUTH = 1 << 0,          /* credentials required (401) */
	HTTP_ROUTE_ENCODED_SLASH = 1 << 1, /* "%2F" allowed in the path */
	HTTP_ROUTE_EXACT = 1 << 2,         /* the path must equal prefix */
	HTTP_ROUTE_NO_GZIP = 1 << 3,       /* never compress (secrets next
	                                      to reflected input: BREACH) */
};

struct http_route {
	const char *prefix; /* "/", "/dav", "/.well-known/caldav" */
	uint32_t methods;   /* HTTP_METHOD_BIT set; HEAD comes with GET */
	uint64_t body_max;  /* request body bytes (413); 0: no body */
	unsigned flags;     /* enum http_route_flags */
	/* Content-Security-Policy of its responses (a handler may still set
	 * its own); NULL: "frame-ancestors 'none'". */
	const char *csp;
	http_handler_cb *handler;
	void *ctx;
};

struct http_router *http_router_new(void);
/* Sets *router to NULL; accepts NULL. */
void http_router_free(struct http_router **router);
/* Adds a route (copied; its strings must outlive the router). A prefix
 * must start with "/"; a trailing "/" is ignored. */
void http_router_add(struct http_router *router,
                     const struct http_route *route);
/* Returns the route of a normalised path, or NULL (404). */
const struct http_route *http_router_match(const struct http_router *router,
                                           const char *path);
/* The methods of a route, HEAD added when GET is there. */
uint32_t http_route_methods(const struct http_route *route);
/* The union of every route's methods (for OPTIONS *). */
uint32_t http_router_methods(const struct http_router *router);

#endif
