/* The route table: what httpd serves, by path prefix (lib/http's router,
 * longest prefix wins), and on which port. HTTPS serves every route; the
 * plain port serves every route too where httpd_routes_plain_serves_all
 * says so (loopback in the embedded default, or no HTTPS at all), and
 * elsewhere only the routes marked HTTPD_ON_PLAIN (the autoconfig files
 * that mail clients fetch over plain HTTP; ACME later), redirecting all
 * else to HTTPS: 301 for GET and HEAD, 308 for other methods so that a
 * client repeats the same method and body (RFC 9110 §15.4.2, RFC 9110
 * §15.4.9). Adding a route family (the DAV engine's /dav/, JMAP, the
 * webmail's static files under "/") is one line in httpd_route_table. */
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "dav_server.h"
#include "httpd.h"
#include "jmap_server.h"
#include "store/store.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

enum httpd_route_where {
	HTTPD_ON_ALL = 1 << 0,   /* HTTPS, and plain where it serves all */
	HTTPD_ON_PLAIN = 1 << 1, /* the plain port for everyone, too */
};

struct httpd_route_def {
	struct http_route route; /* ctx is set to the struct httpd */
	unsigned where;
};

#define M(name) HTTP_METHOD_BIT(HTTP_METHOD_##name)
/* Outlook's POX request is a few hundred bytes. */
#define HTTPD_AUTODISCOVER_BODY_MAX (64 * 1024)
/* a user name and passwords as JSON */
#define HTTPD_LOGIN_BODY_MAX (8 * 1024)

static http_handler_cb httpd_routes_well_known_dav;
static http_handler_cb httpd_routes_health;

static const struct httpd_route_def httpd_route_table[] = {
    /* RFC 6764 §5: the context path of CalDAV and CardDAV. Clients
     * send their PROPFIND body here too (RFC 6764 §6 step 5): it is
     * read and dropped, not refused with 413. */
    {.route = {.prefix = "/.well-known/caldav",
               .methods = M(GET) | M(PROPFIND),
               .body_max = HTTPD_AUTODISCOVER_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_routes_well_known_dav},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/.well-known/carddav",
               .methods = M(GET) | M(PROPFIND),
               .body_max = HTTPD_AUTODISCOVER_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_routes_well_known_dav},
     .where = HTTPD_ON_ALL},
    /* MTA-STS (RFC 8461 §3.3) on mta-sts.<domain>, HTTPS only */
    {.route = {.prefix = "/.well-known/mta-sts.txt",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_mta_sts},
     .where = HTTPD_ON_ALL},
    /* Thunderbird's autoconfig, on autoconfig.<domain> and on the domain
     * itself; mail clients also fetch both over plain HTTP. */
    {.route = {.prefix = "/mail/config-v1.1.xml",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_autoconfig},
     .where = HTTPD_ON_ALL | HTTPD_ON_PLAIN},
    {.route = {.prefix = "/.well-known/autoconfig/mail/config-v1.1.xml",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_autoconfig},
     .where = HTTPD_ON_ALL | HTTPD_ON_PLAIN},
    /* Outlook's POX autodiscover (both spellings are in use). */
    {.route = {.prefix = "/autodiscover/autodiscover.xml",
               .methods = M(POST),
               .body_max = HTTPD_AUTODISCOVER_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_autodiscover},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/Autodiscover/Autodiscover.xml",
               .methods = M(POST),
               .body_max = HTTPD_AUTODISCOVER_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_autodiscover},
     .where = HTTPD_ON_ALL},
    /* An Apple configuration profile for the signed-in account. */
    {.route = {.prefix = "/apple/postroom.mobileconfig",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT | HTTP_ROUTE_AUTH,
               .handler = httpd_mobileconfig},
     .where = HTTPD_ON_ALL},
    /* WebDAV, CalDAV and CardDAV (dav_server.h, doc/dav.md) */
    {.route = {.prefix = "/dav",
               .methods = DAV_ROUTE_METHODS,
               .body_max = DAV_BODY_MAX,
               .flags = HTTP_ROUTE_AUTH | HTTP_ROUTE_NO_GZIP,
               .handler = httpd_dav},
     .where = HTTPD_ON_ALL},
    /* The webmail (doc/webmail.md): its files, and the frame a
     * message's HTML is shown in. */
    {.route = {.prefix = "/",
               .methods = M(GET),
               .csp = HTTPD_WEBMAIL_CSP,
               .handler = httpd_static},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/msg", .methods = M(GET), .handler = httpd_msg},
     .where = HTTPD_ON_ALL},
    /* JMAP (RFC 8620, RFC 8621; servers/httpd/jmap_*.c) */
    {.route = {.prefix = "/.well-known/jmap",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT | HTTP_ROUTE_AUTH,
               .handler = jmap_session_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/session",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT | HTTP_ROUTE_AUTH,
               .handler = jmap_session_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/api",
               .methods = M(POST),
               .body_max = 10 * 1024 * 1024, /* maxSizeRequest */
               .flags = HTTP_ROUTE_EXACT | HTTP_ROUTE_AUTH |
                        HTTP_ROUTE_NO_GZIP,
               .handler = jmap_api_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/upload",
               .methods = M(POST),
               .body_max = 50 * 1024 * 1024, /* maxSizeUpload */
               .flags = HTTP_ROUTE_AUTH,
               .handler = jmap_upload_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/download",
               .methods = M(GET),
               .flags = HTTP_ROUTE_AUTH,
               .handler = jmap_download_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/ws",
               .methods = M(GET),
               .flags = HTTP_ROUTE_AUTH,
               .handler = jmap_ws_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/jmap/eventsource",
               .methods = M(GET),
               .flags = HTTP_ROUTE_AUTH,
               .handler = jmap_eventsource_handler},
     .where = HTTPD_ON_ALL},
    /* the session cookie: log in and out, the user's sessions and
     * password (jmap_login.c) */
    {.route = {.prefix = "/login",
               .methods = M(POST),
               .body_max = HTTPD_LOGIN_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = jmap_login_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/logout",
               .methods = M(POST),
               .body_max = HTTPD_LOGIN_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT,
               .handler = jmap_logout_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/account/sessions",
               .methods = M(GET) | M(DELETE),
               .flags = HTTP_ROUTE_AUTH,
               .handler = jmap_sessions_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/account/password",
               .methods = M(POST),
               .body_max = HTTPD_LOGIN_BODY_MAX,
               .flags = HTTP_ROUTE_EXACT | HTTP_ROUTE_AUTH,
               .handler = jmap_password_handler},
     .where = HTTPD_ON_ALL},
    {.route = {.prefix = "/health",
               .methods = M(GET),
               .flags = HTTP_ROUTE_EXACT,
               .handler = httpd_routes_health},
     .where = HTTPD_ON_ALL},
};

bool httpd_routes_plain_serves_all(const struct httpd *httpd, bool is_loopback)
{
	return httpd->set.httpd.https_port == 0 ||
	       (is_loopback && httpd->set.plaintext_auth_loopback);
}

const char *httpd_routes_host(struct http_request *req,
                              const struct httpd *httpd)
{
	/* authority = host [":" port], checked by the parser; an IPv6
	 * literal keeps its brackets */
	const char *authority = http_request_head(req)->authority;
	const char *end = authority[0] == '[' ? strchr(authority, ']')
	                                      : strchr(authority, ':');
	size_t len = end == NULL           ? strlen(authority)
	             : authority[0] == '[' ? (size_t)(end - authority) + 1
	                                   : (size_t)(end - authority);
	if (len == 0)
		return httpd->hostname;
	char *host = pool_strndup(http_request_pool(req), authority, len);
	for (char *p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return host;
}

const char *httpd_routes_https_origin(struct http_request *req,
                                      const struct httpd *httpd)
{
	unsigned port = httpd->set.httpd.https_port;
	const char *host = httpd_routes_host(req, httpd);
	if (port == 443)
		return pool_printf(http_request_pool(req), "https://%s", host);
	return pool_printf(http_request_pool(req), "https://%s:%u", host, port);
}

/* The plain port outside loopback: the same target on HTTPS. */
static void httpd_routes_redirect(struct http_request *req, void *ctx)
{
	const struct httpd *httpd = ctx;
	const struct http_request_head *head = http_request_head(req);
	enum http_method method = http_request_method(req);
	bool is_get = method == HTTP_METHOD_GET || method == HTTP_METHOD_HEAD;
	struct http_response *resp = http_response_new(req, is_get ? 301 : 308);
	/* head->path and query passed the parser's RFC 3986 checks */
	http_response_add_header(resp, "Location", "%s%s%s%s",
	                         httpd_routes_https_origin(req, httpd),
	                         head->path, head->query != NULL ? "?" : "",
	                         head->query != NULL ? head->query : "");
	http_response_send_text(resp, "Use HTTPS.\n");
}

/* RFC 6764 §5: a redirect to the context path. */
static void httpd_routes_well_known_dav(struct http_request *req, void *ctx)
{
	(void)ctx;
	struct http_response *resp = http_response_new(req, 301);
	http_response_add_header(resp, "Location", "/dav/");
	http_response_send_text(resp, "See /dav/.\n");
}

/* For load balancers and monitoring: 200 when the store answers. */
static void httpd_routes_health(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	bool is_ok = store_domain_exists(httpd->store, "health.invalid") >= 0;
	struct http_response *resp = http_response_new(req, is_ok ? 200 : 503);
	http_response_add_header(resp, "Cache-Control", "no-store");
	http_response_send_text(resp, is_ok ? "ok\n" : "store unavailable\n");
}

void httpd_routes_init(struct httpd *httpd)
{
	httpd->router = http_router_new();
	httpd->redirect_router = http_router_new();
	size_t n = sizeof(httpd_route_table) / sizeof(httpd_route_table[0]);
	for (size_t i = 0; i < n; i++) {
		struct http_route route = httpd_route_table[i].route;
		route.ctx = httpd;
		/* [jmap] maxSizeRequest and maxSizeUpload */
		if (strcmp(route.prefix, "/jmap/api") == 0)
			route.body_max = httpd->set.jmap.max_size_request;
		else if (strcmp(route.prefix, "/jmap/upload") == 0)
			route.body_max = httpd->set.jmap.max_size_upload;
		if ((httpd_route_table[i].where & HTTPD_ON_ALL) != 0)
			http_router_add(httpd->router, &route);
		if ((httpd_route_table[i].where & HTTPD_ON_PLAIN) != 0)
			http_router_add(httpd->redirect_router, &route);
	}
	/* every known method but CONNECT (501 before routing); a body is
	 * never read, so any size may be announced */
	uint32_t all = 0;
	for (unsigned m = HTTP_METHOD_GET; m < HTTP_METHOD_COUNT; m++)
		all |= m != HTTP_METHOD_CONNECT ? HTTP_METHOD_BIT(m) : 0;
	const struct http_route redirect = {
	    .prefix = "/",
	    .methods = all,
	    .body_max = UINT64_MAX,
	    .handler = httpd_routes_redirect,
	    .ctx = httpd,
	};
	http_router_add(httpd->redirect_router, &redirect);
}

void httpd_routes_deinit(struct httpd *httpd)
{
	http_router_free(&httpd->router);
	http_router_free(&httpd->redirect_router);
}
