/* Reaching a server: name resolution (the system resolver, or the DNS
 * server postroom.conf names, through lib/core/dns) and the connection,
 * with TLS from the first byte when the endpoint says implicit (RFC 8314
 * §3.3) and the certificate checked as the account says. */
#include "postroom.h"

#include "core/dns.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/tls_stream.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

struct lookup {
	struct event_loop *loop;
	bool is_done;
	enum dns_status status;
	struct dns_addr addrs[DNS_ADDR_MAX];
	size_t count;
	char error[128];
};

static void lookup_cb(enum dns_status status, const struct dns_addr *addrs,
                      size_t count, const char *error, void *ctx)
{
	struct lookup *l = ctx;
	l->is_done = true;
	l->status = count > 0 ? DNS_STATUS_OK : status;
	l->count = count < DNS_ADDR_MAX ? count : DNS_ADDR_MAX;
	memcpy(l->addrs, addrs, l->count * sizeof(*addrs));
	if (count == 0)
		snprintf(l->error, sizeof(l->error), "%s",
		         error != NULL ? error : "no address");
	event_loop_stop(l->loop);
}

static int resolve_dns(const char *server, const char *host, unsigned port,
                       struct pr_addrs *addrs_r, struct pool *pool,
                       const char **error_r)
{
	struct lookup l = { .loop = event_loop_new() };
	struct dns *dns;
	if (dns_new(l.loop, server, &dns, error_r) < 0) {
		event_loop_free(&l.loop);
		return -1;
	}
	dns_addr_lookup(dns, host, port, lookup_cb, &l);
	while (!l.is_done && event_loop_run(l.loop) == 0)
		;
	dns_free(&dns);
	event_loop_free(&l.loop);
	if (l.status != DNS_STATUS_OK) {
		*error_r = pool_printf(pool, "%s: %s", host,
		                       l.status == DNS_STATUS_NXDOMAIN
		                           ? "no such host" : l.error);
		return -1;
	}
	for (size_t i = 0; i < l.count; i++) {
		addrs_r->sa[i] = l.addrs[i].sa;
		addrs_r->len[i] = l.addrs[i].len;
	}
	addrs_r->count = l.count;
	return 0;
}

int pr_resolve_all(const struct pr_config *config, const char *host,
                   unsigned port, struct pr_addrs *addrs_r, struct pool *pool,
                   const char **error_r)
{
	addrs_r->count = 0;
	if (host == NULL || host[0] == '\0') {
		*error_r = "no server name configured";
		return -1;
	}
	if (config->dns_server != NULL)
		return resolve_dns(config->dns_server, host, port, addrs_r,
		                   pool, error_r);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char service[16];
	snprintf(service, sizeof(service), "%u", port);
	int ret = getaddrinfo(host, service, &hints, &res);
	if (ret != 0) {
		*error_r = pool_printf(pool, "%s: %s", host,
		                       ret == EAI_NONAME ? "no such host"
		                                         : gai_strerror(ret));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && addrs_r->count < PR_ADDRS_MAX;
	     ai = ai->ai_next) {
		memcpy(&addrs_r->sa[addrs_r->count], ai->ai_addr,
		       ai->ai_addrlen);
		addrs_r->len[addrs_r->count++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return 0;
}

int pr_resolve(const struct pr_config *config, const char *host,
               unsigned port, struct sockaddr_storage *sa_r,
               socklen_t *sa_len_r, struct pool *pool, const char **error_r)
{
	struct pr_addrs addrs;
	if (pr_resolve_all(config, host, port, &addrs, pool, error_r) < 0)
		return -1;
	*sa_r = addrs.sa[0];
	*sa_len_r = addrs.len[0];
	return 0;
}

int pr_connect(const struct pr_config *config, const struct pr_account *account,
               const struct pr_endpoint *ep, struct pool *pool,
               struct tls_stream **stream_r, const char **error_r)
{
	struct pr_addrs addrs;
	if (pr_resolve_all(config, ep->host, ep->port, &addrs, pool,
	                   error_r) < 0)
		return -1;
	struct tls_stream_settings set = {
		.timeout = config->timeout,
		.ca_file = account->tls_ca_file,
		.is_verify_off = !account->tls_verify,
	};
	const char *error = "no address";
	/* Every address in turn, as RFC 6724 orders them ("localhost" is
	 * ::1 first, while a server may listen on 127.0.0.1 only); a TLS
	 * failure is final, since another address is the same server. */
	for (size_t i = 0; i < addrs.count; i++) {
		if (tls_stream_connect((struct sockaddr *)&addrs.sa[i],
		                       addrs.len[i], ep->host,
		                       ep->tls == PR_TLS_IMPLICIT, &set, pool,
		                       stream_r, &error) == 0)
			return 0;
		if (strstr(error, "certificate") != NULL)
			break;
	}
	*error_r = pool_printf(pool, "%s:%u: %s", ep->host, ep->port, error);
	return -1;
}
