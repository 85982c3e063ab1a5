/* httpd: the HTTP server process on lib/http. One struct httpd per process
 * holds what every connection shares (settings, store, TLS, the routers);
 * one struct httpd_client per connection holds its lib/http engine, its
 * place in the per-IP count and a credentials check in progress at authd.
 * main.c starts and stops the process, httpd_client.c accepts connections
 * and checks credentials, httpd_routes.c holds the route table, and one
 * file per route family answers: httpd_autoconfig.c (Thunderbird),
 * httpd_autodiscover.c (Outlook), httpd_mobileconfig.c (Apple). */
#ifndef HTTPD_HTTPD_H
#define HTTPD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/settings.h"
#include "config/settings_endpoint.h"
#include "core/log.h"
#include "core/net.h"
#include "http/http_server.h"

struct auth_request;
struct buf;
struct event_loop;
struct event_timer;
struct http_request;
struct http_router;
struct pool;
struct service;
struct service_slot;
struct store;
struct tls_server;

enum httpd_service {
	HTTPD_SERVICE_HTTP,  /* plain: redirects to HTTPS except on loopback */
	HTTPD_SERVICE_HTTPS, /* implicit TLS */
};

struct httpd {
	struct postroom_settings set;
	struct event_loop *loop;
	struct service *service;
	struct store *store;
	struct tls_server *tls; /* NULL if the certificate did not load */
	char *auth_socket;      /* data_dir/run/auth.sock (authd) */
	char *tmp_dir;  /* data_dir/run/http-tmp: large request bodies */
	char *hostname; /* announced in autoconfig files */
	char *web_root; /* the webmail's built files (httpd_static.c) */
	time_t started; /* Last-Modified of the generated documents */
	struct settings_endpoint endpoints[SETTINGS_ENDPOINT_COUNT];
	/* Every route: HTTPS, and plain HTTP where it serves everything. */
	struct http_router *router;
	struct http_server_settings http_set;
	/* The plain port where it serves everything (loopback): the same,
	 * but the session cookie has no __Host- prefix there, which
	 * browsers refuse without TLS (doc/jmap.md, Authentication). */
	struct http_server_settings plain_set;
	/* The plain port elsewhere: redirects, and what must stay plain. */
	struct http_router *redirect_router;
	struct http_server_settings redirect_set;
	struct httpd_client *clients; /* doubly linked */
	unsigned next_id;
};

struct httpd_client {
	struct httpd *httpd;
	struct httpd_client *prev, *next;
	struct http_server_conn *srv;
	enum httpd_service service;
	unsigned id;
	struct log log;
	char addr[NET_ADDR_STR_MAX];
	struct service_slot *slot; /* in the service's counts, or NULL */
	bool has_user;             /* credentials verified here once */
	/* a credentials check in progress */
	struct http_request *auth_http_req;
	struct auth_request *auth_req;  /* at authd */
	struct event_timer *auth_timer; /* delays a failure (throttle) */
};

/* ---- httpd_client.c ---- */
/* Takes a new connection (fd is owned from now on). */
void httpd_client_accept(struct httpd *httpd, enum httpd_service service,
                         int fd, const struct sockaddr *addr);
/* SIGTERM: closes idle connections now, busy ones after their response. */
void httpd_client_shutdown_all(struct httpd *httpd);
/* Grace period over: closes every connection now. */
void httpd_client_close_all(struct httpd *httpd);

/* The session cookie's name on HTTPS and on the plain port. */
#define HTTPD_SESSION_COOKIE_TLS "__Host-postroom_session"
#define HTTPD_SESSION_COOKIE_PLAIN "postroom_session"

/* ---- httpd_routes.c ---- */
/* Builds httpd->router and httpd->redirect_router from the route table. */
void httpd_routes_init(struct httpd *httpd);
void httpd_routes_deinit(struct httpd *httpd);
/* True when the plain port serves everything to this peer: HTTPS is off,
 * or the peer is on loopback and plaintext_auth_loopback is on (then
 * credentials may travel in plain, so nothing needs the redirect). */
bool httpd_routes_plain_serves_all(const struct httpd *httpd, bool is_loopback);
/* The host of the request (Host or the absolute-form authority, without
 * its port; "[::1]" kept in brackets), or the configured hostname. From
 * the request's pool. */
const char *httpd_routes_host(struct http_request *req,
                              const struct httpd *httpd);
/* "https://host[:port]" for this request (":port" unless 443). From the
 * request's pool. */
const char *httpd_routes_https_origin(struct http_request *req,
                                      const struct httpd *httpd);

/* ---- httpd_discovery.c: what the autoconfig files share ---- */
/* A domain named by the request that the store serves: the domain of
 * address if not NULL, else the Host with "autoconfig." or
 * "autodiscover." taken off. Returns 1 with *domain_r (lowercase, from
 * the request's pool), 0 when it is not a local domain, -1 after a store
 * failure (logged). */
int httpd_discovery_domain(struct http_request *req, struct httpd *httpd,
                           const char *address, const char **domain_r);
/* Sends body with type, a strong ETag from its digest and Last-Modified
 * of the process start, so that GET answers If-None-Match,
 * If-Modified-Since and Range as for a static file. filename (a plain
 * file name, or NULL) makes it a download (Content-Disposition). */
void httpd_discovery_send(struct http_request *req, const struct httpd *httpd,
                          const char *type, const char *filename,
                          const struct buf *body);
/* Appends str to out with &, <, >, " and ' escaped (XML 1.0 §2.4). */
void httpd_discovery_xml_escape(struct buf *out, const char *str);

/* ---- route handlers: one file per family (http_handler_cb, ctx is the
 * struct httpd) ---- */
void httpd_autoconfig(struct http_request *req, void *ctx);
void httpd_autodiscover(struct http_request *req, void *ctx);
void httpd_mobileconfig(struct http_request *req, void *ctx);
void httpd_static(struct http_request *req, void *ctx);
void httpd_msg(struct http_request *req, void *ctx);
void httpd_mta_sts(struct http_request *req, void *ctx);

/* ---- httpd_static.c: the webmail's files ---- */
/* The webmail's own pages (doc/webmail.md): scripts and styles only from
 * its files, no inline code, no eval; images of its own and made in the
 * page; requests to itself; frames of its own (/msg/); nobody frames it. */
#define HTTPD_WEBMAIL_CSP                                                      \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' blob: data:; font-src 'self'; connect-src 'self'; "    \
	"frame-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "      \
	"base-uri 'none'; form-action 'self'"
/* True for a path below web_root that may be served: "/"-separated
 * segments of [A-Za-z0-9._-], none empty or starting with ".". */
bool httpd_static_path_is_valid(const char *rel);

/* ---- httpd_msg.c: the frame of a message's HTML ---- */
/* Its Content-Security-Policy before and after the user allows remote
 * images. */
extern const char *const httpd_msg_csp_blocked;
extern const char *const httpd_msg_csp_images;
/* True for a JMAP Id (RFC 8620 §1.2): 1-255 of [A-Za-z0-9_-]. */
bool httpd_msg_id_is_valid(const char *id, size_t len);

#endif
