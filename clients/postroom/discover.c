/* Finding an account's servers: RFC 6186 SRV records (with RFC 8314 §5.1:
 * implicit TLS preferred), Thunderbird-style autoconfig XML fetched over
 * HTTP (libxml2 parses it, with network access off), then common names;
 * CalDAV and CardDAV by RFC 6764 (SRV records, well-known URIs). Every
 * candidate is only a suggestion until the login test passes. */
#include "discover.h"
#include "sync_dav.h"

#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at != NULL ? at + 1 : address;
}

static void endpoint_set(struct pr_endpoint *ep, const char *host,
                         unsigned port, enum pr_tls tls)
{
	free(ep->host);
	ep->host = xstrdup(host);
	ep->port = port;
	ep->tls = tls;
}

/* ---- SRV records ---------------------------------------------------------- */

struct srv_query {
	const char *name;    /* "_imaps._tcp" */
	enum pr_tls tls;
	bool is_outgoing;
	bool is_done;
	char *host;          /* found, or NULL */
	unsigned port;
	int *pending;
	struct event_loop *loop;
};

static void srv_cb(enum dns_status status, const struct dns_srv *srv,
                   size_t count, const char *error, void *ctx)
{
	struct srv_query *q = ctx;
	(void)error;
	/* A target of "." says the service is not offered (RFC 6186 §3.4). */
	if (status == DNS_STATUS_OK && count > 0 && srv[0].host[0] != '\0') {
		q->host = xstrdup(srv[0].host);
		q->port = srv[0].port;
	}
	q->is_done = true;
	if (--*q->pending == 0)
		event_loop_stop(q->loop);
}

static int discover_srv(const struct pr_config *config,
                        struct pr_account *account, bool is_pop3,
                        struct pool *pool)
{
	struct srv_query qs[] = {
		{ .name = is_pop3 ? "_pop3s._tcp" : "_imaps._tcp",
		  .tls = PR_TLS_IMPLICIT },
		{ .name = is_pop3 ? "_pop3._tcp" : "_imap._tcp",
		  .tls = PR_TLS_STARTTLS },
		{ .name = "_submissions._tcp", .tls = PR_TLS_IMPLICIT,
		  .is_outgoing = true },
		{ .name = "_submission._tcp", .tls = PR_TLS_STARTTLS,
		  .is_outgoing = true },
	};
	size_t n = sizeof(qs) / sizeof(qs[0]);
	struct event_loop *loop = event_loop_new();
	struct dns *dns;
	const char *error;
	if (dns_new(loop, config->dns_server != NULL ? config->dns_server : "",
	            &dns, &error) < 0) {
		event_loop_free(&loop);
		return -1;
	}
	int pending = (int)n;
	for (size_t i = 0; i < n; i++) {
		qs[i].pending = &pending;
		qs[i].loop = loop;
		dns_srv_lookup(dns, pool_printf(pool, "%s.%s", qs[i].name,
		                                domain_of(account->address)),
		               srv_cb, &qs[i]);
	}
	while (pending > 0 && event_loop_run(loop) == 0)
		;
	dns_free(&dns);
	event_loop_free(&loop);
	bool has_in = false, has_out = false;
	for (size_t i = 0; i < n; i++) {
		struct pr_endpoint *ep = qs[i].is_outgoing ? &account->outgoing
		                                           : &account->incoming;
		bool *has = qs[i].is_outgoing ? &has_out : &has_in;
		if (qs[i].host != NULL && !*has) {
			endpoint_set(ep, qs[i].host, qs[i].port, qs[i].tls);
			*has = true;
		}
		free(qs[i].host);
	}
	return has_in && has_out ? 0 : -1;
}

/* ---- autoconfig ----------------------------------------------------------- */

/* Replaces the placeholders of the autoconfig format in value. */
static char *autoconfig_expand(const char *value, const char *address)
{
	struct buf out;
	buf_init(&out);
	const char *at = strrchr(address, '@');
	size_t local_len = at != NULL ? (size_t)(at - address) : 0;
	for (const char *p = value; *p != '\0';) {
		if (strncmp(p, "%EMAILADDRESS%", 14) == 0) {
			buf_append_str(&out, address);
			p += 14;
		} else if (strncmp(p, "%EMAILLOCALPART%", 16) == 0) {
			buf_append(&out, address, local_len);
			p += 16;
		} else if (strncmp(p, "%EMAILDOMAIN%", 13) == 0) {
			buf_append_str(&out, domain_of(address));
			p += 13;
		} else {
			buf_append_char(&out, *p++);
		}
	}
	char *str = buf_detach(&out);
	buf_deinit(&out); /* detach leaves an empty buffer */
	return str;
}

static const char *child_text(xmlNode *node, const char *name)
{
	for (xmlNode *c = node->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, name) == 0 &&
		    c->children != NULL && c->children->content != NULL)
			return (const char *)c->children->content;
	return NULL;
}

/* Fills ep from one incomingServer/outgoingServer element. */
static bool server_fill(xmlNode *server, const char *address,
                        struct pr_endpoint *ep)
{
	const char *host = child_text(server, "hostname");
	const char *port = child_text(server, "port");
	const char *socket = child_text(server, "socketType");
	const char *user = child_text(server, "username");
	if (host == NULL || port == NULL || socket == NULL)
		return false;
	enum pr_tls tls = strcasecmp(socket, "SSL") == 0 ? PR_TLS_IMPLICIT
	                : strcasecmp(socket, "STARTTLS") == 0 ? PR_TLS_STARTTLS
	                                                      : PR_TLS_NONE;
	char *h = autoconfig_expand(host, address);
	endpoint_set(ep, h, (unsigned)strtoul(port, NULL, 10), tls);
	free(h);
	if (user != NULL && ep->user == NULL)
		ep->user = autoconfig_expand(user, address);
	return ep->port > 0 && ep->port < 65536;
}

static xmlNode *find_provider(xmlNode *root)
{
	if (root == NULL || strcmp((const char *)root->name, "clientConfig"))
		return NULL;
	for (xmlNode *c = root->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, "emailProvider") == 0)
			return c;
	return NULL;
}

int pr_discover_autoconfig_parse(const char *xml, size_t len,
                                 const char *address,
                                 struct pr_account *account, bool is_pop3)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "config-v1.1.xml", NULL,
	                            XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                XML_PARSE_NOWARNING);
	if (doc == NULL)
		return -1;
	xmlNode *provider = find_provider(xmlDocGetRootElement(doc));
	bool has_in = false, has_out = false;
	for (xmlNode *c = provider != NULL ? provider->children : NULL;
	     c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *type = xmlGetProp(c, (const xmlChar *)"type");
		const char *t = type != NULL ? (const char *)type : "";
		if (!has_in && strcmp((const char *)c->name,
		                      "incomingServer") == 0 &&
		    strcmp(t, is_pop3 ? "pop3" : "imap") == 0)
			has_in = server_fill(c, address, &account->incoming);
		else if (!has_out && strcmp((const char *)c->name,
		                            "outgoingServer") == 0 &&
		         strcmp(t, "smtp") == 0)
			has_out = server_fill(c, address, &account->outgoing);
		xmlFree(type);
	}
	xmlFreeDoc(doc);
	return has_in && has_out ? 0 : -1;
}

/* GET http://host/path; appends the body of a 200 answer to body.
 * Returns 0 or -1. Plain HTTP as Thunderbird's first try; the result is
 * only trusted after the TLS login test. */
static int http_get(const struct pr_config *config, const char *host,
                    const char *path, struct pool *pool, struct buf *body)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	const char *error, *line;
	size_t len;
	struct tls_stream *s;
	struct tls_stream_settings set = { .timeout = 10 };
	if (pr_resolve(config, host, 80, &sa, &sa_len, pool, &error) < 0 ||
	    tls_stream_connect((struct sockaddr *)&sa, sa_len, host, false,
	                       &set, pool, &s, &error) < 0)
		return -1;
	char *req = pool_printf(pool, "GET %s HTTP/1.0\r\nHost: %s\r\n"
	                              "Connection: close\r\n\r\n", path, host);
	int ret = -1;
	if (tls_stream_write_str(s, req, &error) == 0 &&
	    tls_stream_read_line(s, 8192, &line, &len, &error) == 1 &&
	    strncmp(line, "HTTP/1.", 7) == 0 && strncmp(line + 8, " 200", 4) == 0) {
		while (tls_stream_read_line(s, 8192, &line, &len, &error) == 1 &&
		       len > 0)
			; /* headers */
		ret = 0;
		while (body->len < 1024 * 1024 &&
		       tls_stream_read_line(s, 65536, &line, &len, &error) == 1) {
			buf_append(body, line, len);
			buf_append_char(body, '\n');
		}
	}
	tls_stream_free(&s);
	return ret;
}

static int discover_autoconfig(const struct pr_config *config,
                               struct pr_account *account, bool is_pop3,
                               struct pool *pool)
{
	const char *domain = domain_of(account->address);
	const char *hosts[] = { pool_printf(pool, "autoconfig.%s", domain),
		                domain };
	const char *paths[] = {
		pool_printf(pool, "/mail/config-v1.1.xml?emailaddress=%s",
		            account->address),
		"/.well-known/autoconfig/mail/config-v1.1.xml",
	};
	for (size_t i = 0; i < 2; i++) {
		struct buf body;
		buf_init(&body);
		int ret = http_get(config, hosts[i], paths[i], pool, &body);
		if (ret == 0)
			ret = pr_discover_autoconfig_parse(
			    body.data, body.len, account->address, account,
			    is_pop3);
		buf_deinit(&body);
		if (ret == 0)
			return 0;
	}
	return -1;
}

/* ---- common names ---------------------------------------------------------- */

static bool probe(const struct pr_config *config, const char *host,
                  unsigned port, struct pool *pool)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	const char *error;
	struct tls_stream *s;
	struct tls_stream_settings set = { .timeout = 5 };
	if (pr_resolve(config, host, port, &sa, &sa_len, pool, &error) < 0 ||
	    tls_stream_connect((struct sockaddr *)&sa, sa_len, host, false,
	                       &set, pool, &s, &error) < 0)
		return false;
	tls_stream_free(&s);
	return true;
}

/* Tries prefixes x ports in order; fills ep with the first that answers. */
static bool guess_one(const struct pr_config *config, const char *domain,
                      const char *const *prefixes, const unsigned *ports,
                      const enum pr_tls *tls, struct pr_endpoint *ep,
                      struct pool *pool)
{
	for (size_t p = 0; prefixes[p] != NULL; p++) {
		const char *host = prefixes[p][0] != '\0'
		                       ? pool_printf(pool, "%s.%s", prefixes[p],
		                                     domain)
		                       : domain;
		for (size_t i = 0; ports[i] != 0; i++)
			if (probe(config, host, ports[i], pool)) {
				endpoint_set(ep, host, ports[i], tls[i]);
				return true;
			}
	}
	return false;
}

static int discover_guess(const struct pr_config *config,
                          struct pr_account *account, bool is_pop3,
                          struct pool *pool)
{
	const char *domain = domain_of(account->address);
	const char *in_names[] = { is_pop3 ? "pop3" : "imap", "mail", "", NULL };
	const char *out_names[] = { "smtp", "mail", "", NULL };
	const unsigned in_ports[] = { is_pop3 ? 995 : 993, is_pop3 ? 110 : 143,
		                      0 };
	const unsigned out_ports[] = { 465, 587, 0 };
	const enum pr_tls tls[] = { PR_TLS_IMPLICIT, PR_TLS_STARTTLS };
	if (!guess_one(config, domain, in_names, in_ports, tls,
	               &account->incoming, pool) ||
	    !guess_one(config, domain, out_names, out_ports, tls,
	               &account->outgoing, pool))
		return -1;
	return 0;
}

int pr_discover(const struct pr_config *config, struct pr_account *account,
                bool is_pop3, struct pool *pool, const char **how_r,
                const char **error_r)
{
	account->proto = is_pop3 ? PR_PROTO_POP3 : PR_PROTO_IMAP;
	if (discover_srv(config, account, is_pop3, pool) == 0) {
		*how_r = "SRV records";
		return 0;
	}
	if (discover_autoconfig(config, account, is_pop3, pool) == 0) {
		*how_r = "autoconfig";
		return 0;
	}
	if (discover_guess(config, account, is_pop3, pool) == 0) {
		*how_r = "common names";
		return 0;
	}
	*error_r = pool_printf(pool, "cannot find the servers of %s: name them "
	                             "with --imap/--pop3 and --smtp",
	                       domain_of(account->address));
	return -1;
}

/* ---- CalDAV and CardDAV (RFC 6764) ------------------------------------------ */

/* Looks up one SRV name. Returns 0 with *host_r (from pool) and *port_r,
 * or -1 when there is none (or "." says the service is not offered). */
static int srv_one(const struct pr_config *config, const char *name,
                   struct pool *pool, const char **host_r, unsigned *port_r)
{
	struct srv_query q = {.name = name};
	struct event_loop *loop = event_loop_new();
	struct dns *dns;
	const char *error;
	if (dns_new(loop, config->dns_server != NULL ? config->dns_server : "",
	            &dns, &error) < 0) {
		event_loop_free(&loop);
		return -1;
	}
	int pending = 1;
	q.pending = &pending;
	q.loop = loop;
	dns_srv_lookup(dns, name, srv_cb, &q);
	while (pending > 0 && event_loop_run(loop) == 0)
		;
	dns_free(&dns);
	event_loop_free(&loop);
	if (q.host == NULL)
		return -1;
	*host_r = pool_strdup(pool, q.host);
	*port_r = q.port;
	free(q.host);
	return 0;
}

/* ---- ManageSieve (RFC 5804 §1.8) ----------------------------------------- */

int pr_discover_sieve(const struct pr_config *config,
                      struct pr_account *account, struct pool *pool)
{
	const char *host;
	unsigned port;
	const char *name = pool_printf(pool, "_sieve._tcp.%s",
	                               domain_of(account->address));
	if (srv_one(config, name, pool, &host, &port) < 0)
		return 0;
	free(account->sieve.host);
	account->sieve.host = xstrdup(host);
	account->sieve.port = port;
	account->sieve.tls = PR_TLS_STARTTLS; /* §2.2: the SRV port is plain */
	return 1;
}

struct txt_query {
	char *path; /* the value of path=, or NULL */
	bool is_done;
	struct event_loop *loop;
};

static void txt_cb(enum dns_status status, const struct dns_txt *txt,
                   size_t count, const char *error, void *ctx)
{
	struct txt_query *q = ctx;
	(void)error;
	/* RFC 6764 §4: "path=" and the context path (RFC 6763 §6 key=value) */
	for (size_t i = 0; status == DNS_STATUS_OK && i < count; i++)
		if (q->path == NULL && strncmp(txt[i].text, "path=", 5) == 0 &&
		    txt[i].text[5] == '/' && strlen(txt[i].text) == txt[i].len)
			q->path = xstrdup(txt[i].text + 5);
	q->is_done = true;
	event_loop_stop(q->loop);
}

/* The context path the TXT record of name gives, from pool, or NULL. */
static const char *txt_path(const struct pr_config *config, const char *name,
                            struct pool *pool)
{
	struct txt_query q = {.loop = event_loop_new()};
	struct dns *dns;
	const char *error;
	if (dns_new(q.loop, config->dns_server != NULL ? config->dns_server : "",
	            &dns, &error) < 0) {
		event_loop_free(&q.loop);
		return NULL;
	}
	(void)dns_txt_lookup(dns, name, txt_cb, &q);
	while (!q.is_done && event_loop_run(q.loop) == 0)
		;
	dns_free(&dns);
	event_loop_free(&q.loop);
	const char *path = q.path != NULL ? pool_strdup(pool, q.path) : NULL;
	free(q.path);
	return path;
}

/* Tries url as the account's DAV server of kind. */
static bool dav_try(const struct pr_config *config, struct pr_account *account,
                    enum dav_remote_kind kind, const char *url,
                    struct pool *pool)
{
	char **slot = kind == DAV_REMOTE_CALENDAR ? &account->caldav_url
	                                          : &account->carddav_url;
	char *old = *slot;
	*slot = xstrdup(url);
	struct pr_dav dav;
	const char *error;
	if (pr_dav_open(config, account, kind, pool, &dav, &error) == 0) {
		pr_dav_close(&dav);
		free(old);
		return true;
	}
	free(*slot);
	*slot = old;
	return false;
}

static const char *https_url(const char *host, unsigned port, const char *path,
                             struct pool *pool)
{
	return port == 443 ? pool_printf(pool, "https://%s%s", host, path)
	                   : pool_printf(pool, "https://%s:%u%s", host, port,
	                                 path);
}

int pr_discover_dav(const struct pr_config *config, struct pr_account *account,
                    struct pool *pool, const char **how_r)
{
	static const struct {
		enum dav_remote_kind kind;
		const char *srv, *well_known;
	} kinds[] = {
	    {DAV_REMOTE_CALENDAR, "_caldavs._tcp", "/.well-known/caldav"},
	    {DAV_REMOTE_ADDRESSBOOK, "_carddavs._tcp", "/.well-known/carddav"},
	};
	const char *domain = domain_of(account->address);
	int found = 0;
	*how_r = "well-known URI";
	for (size_t i = 0; i < 2; i++) {
		const char *host;
		unsigned port;
		/* RFC 6764 §6 steps 2-4: SRV, then the TXT record's path,
		 * else the well-known URI at the SRV target */
		const char *name =
		    pool_printf(pool, "%s.%s", kinds[i].srv, domain);
		if (srv_one(config, name, pool, &host, &port) == 0) {
			const char *path = txt_path(config, name, pool);
			if ((path != NULL &&
			     dav_try(config, account, kinds[i].kind,
			             https_url(host, port, path, pool), pool)) ||
			    dav_try(config, account, kinds[i].kind,
			            https_url(host, port, kinds[i].well_known,
			                      pool),
			            pool)) {
				*how_r = path != NULL ? "SRV and TXT records"
				                      : "SRV records";
				found++;
				continue;
			}
		}
		/* §6 step 3 without SRV: the domain itself, then the incoming
		 * server's name, which often serves HTTPS too */
		const char *hosts[] = {domain, account->incoming.host};
		for (size_t h = 0; h < 2; h++) {
			if (hosts[h] != NULL &&
			    dav_try(config, account, kinds[i].kind,
			            https_url(hosts[h], 443, kinds[i].well_known,
			                      pool),
			            pool)) {
				found++;
				break;
			}
		}
	}
	return found;
}
