/* c-ares driven by the libevent base under an event_loop: c-ares reports
 * the sockets it wants watched (ARES_OPT_SOCK_STATE_CB), each gets a
 * persistent event, and one timer follows ares_timeout(). Results are
 * copied out of c-ares and handed to the caller from a deferred event, so
 * a callback never runs inside dns_mx_lookup() or dns_addr_lookup().
 * MX ordering: RFC 5321 §5.1; null MX: RFC 7505 §3. */
#include "core/dns.h"
#include "core/dns_private.h"
#include "core/event_loop_private.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int ares_library_refs;

void dns_timer_update(struct dns *dns)
{
	struct timeval tv, *tvp = ares_timeout(dns->channel, NULL, &tv);
	if (tvp == NULL)
		event_del(dns->timer);
	else
		event_add(dns->timer, tvp);
}

static void dns_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;
	ares_process_fd(dns->channel,
	                (what & EV_READ) != 0 ? fd : ARES_SOCKET_BAD,
	                (what & EV_WRITE) != 0 ? fd : ARES_SOCKET_BAD);
	dns_timer_update(dns);
}

static void dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;
	(void)fd;
	(void)what;
	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_timer_update(dns);
}

static struct dns_watch *dns_watch_find(struct dns *dns, ares_socket_t fd)
{
	for (size_t i = 0; i < dns->watch_count; i++) {
		if (dns->watches[i].fd == fd)
			return &dns->watches[i];
	}
	return NULL;
}

/* Slots are reused, never freed before dns_free: an event may be changed
 * from inside its own callback (ares_process_fd closes sockets). */
static void dns_sock_state_cb(void *data, ares_socket_t fd, int readable,
                              int writable)
{
	struct dns *dns = data;
	struct dns_watch *w = dns_watch_find(dns, fd);
	if (w != NULL)
		event_del(w->ev);
	if (!readable && !writable) {
		if (w != NULL)
			w->fd = ARES_SOCKET_BAD;
		return;
	}
	if (w == NULL)
		w = dns_watch_find(dns, ARES_SOCKET_BAD);
	if (w == NULL) {
		dns->watches =
		    xrealloc(dns->watches,
		             (dns->watch_count + 1) * sizeof(*dns->watches));
		w = &dns->watches[dns->watch_count++];
		w->ev = event_new(dns->base, -1, 0, dns_io_cb, dns);
		ASSERT(w->ev != NULL);
	}
	w->fd = fd;
	short what =
	    EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	event_assign(w->ev, dns->base, fd, what, dns_io_cb, dns);
	event_add(w->ev, NULL);
}

int dns_new(struct event_loop *loop, const char *server, struct dns **dns_r,
            const char **error_r)
{
	if (ares_library_refs++ == 0 &&
	    ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		ares_library_refs--;
		*error_r = "cannot initialise c-ares";
		return -1;
	}
	struct dns *dns = xcalloc(1, sizeof(*dns));
	struct ares_options opts;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state_cb;
	opts.sock_state_cb_data = dns;
	opts.timeout = 3000;
	opts.tries = 2;
	dns->base = event_loop_base(loop);
	if (ares_init_options(&dns->channel, &opts,
	                      ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
	                          ARES_OPT_TRIES) != ARES_SUCCESS) {
		free(dns);
		ares_library_refs--;
		*error_r = "cannot initialise the resolver";
		return -1;
	}
	if (server != NULL && server[0] != '\0' &&
	    ares_set_servers_ports_csv(dns->channel, server) != ARES_SUCCESS) {
		ares_destroy(dns->channel);
		free(dns);
		ares_library_refs--;
		*error_r = "bad DNS server address (want ip[:port])";
		return -1;
	}
	dns->timer = event_new(dns->base, -1, 0, dns_timer_cb, dns);
	ASSERT(dns->timer != NULL);
	*dns_r = dns;
	return 0;
}

static void dns_req_free(struct dns_req *req)
{
	struct dns *dns = req->dns;
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		dns->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	for (size_t i = 0; req->mx != NULL && i < req->count; i++)
		free(req->mx[i].host);
	free(req->mx);
	for (size_t i = 0; req->srv != NULL && i < req->count; i++)
		free(req->srv[i].host);
	free(req->srv);
	for (size_t i = 0; req->txt != NULL && i < req->count; i++)
		free(req->txt[i].text);
	free(req->txt);
	for (size_t i = 0; req->names != NULL && i < req->count; i++)
		free(req->names[i]);
	free(req->names);
	for (size_t i = 0; req->tlsa != NULL && i < req->count; i++)
		free(req->tlsa[i].data);
	free(req->tlsa);
	free(req->many);
	event_free(req->done_ev);
	free(req);
}

void dns_free(struct dns **dnsp)
{
	struct dns *dns = *dnsp;
	if (dns == NULL)
		return;
	*dnsp = NULL;
	dns->is_freeing = true;
	/* c-ares calls every pending callback with ARES_EDESTRUCTION */
	ares_destroy(dns->channel);
	while (dns->reqs != NULL)
		dns_req_free(dns->reqs);
	for (size_t i = 0; i < dns->watch_count; i++)
		event_free(dns->watches[i].ev);
	free(dns->watches);
	event_free(dns->timer);
	free(dns);
	if (--ares_library_refs == 0)
		ares_library_cleanup();
}

static void dns_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_req *req = arg;
	(void)fd;
	(void)what;
	const char *error = req->error[0] != '\0' ? req->error : NULL;
	if (req->is_cancelled) {
		dns_req_free(req);
		return;
	}
	switch (req->kind) {
	case DNS_KIND_SRV:
		req->srv_cb(req->status, req->srv, req->count, error,
		            req->ctx);
		break;
	case DNS_KIND_MX:
		req->mx_cb(req->status, req->mx, req->count, error, req->ctx);
		break;
	case DNS_KIND_ADDR:
		req->addr_cb(req->status, req->addrs, req->count, error,
		             req->ctx);
		break;
	case DNS_KIND_FAMILY:
		req->addr_cb(req->status, req->many, req->count, error,
		             req->ctx);
		break;
	case DNS_KIND_TXT:
		req->txt_cb(req->status, req->txt, req->count, error,
		            req->ctx);
		break;
	case DNS_KIND_PTR:
		req->name_cb(req->status, (const char *const *)req->names,
		             req->count, error, req->ctx);
		break;
	case DNS_KIND_MX_SECURE:
		req->mx_secure_cb(req->status, req->mx, req->count,
		                  req->is_secure, error, req->ctx);
		break;
	case DNS_KIND_TLSA:
		req->tlsa_cb(req->status, req->tlsa, req->count,
		             req->is_secure, error, req->ctx);
		break;
	}
	dns_req_free(req);
}

struct dns_req *dns_req_new(struct dns *dns, void *ctx)
{
	struct dns_req *req = xcalloc(1, sizeof(*req));
	req->dns = dns;
	req->ctx = ctx;
	req->done_ev = event_new(dns->base, -1, 0, dns_done_cb, req);
	ASSERT(req->done_ev != NULL);
	req->next = dns->reqs;
	if (req->next != NULL)
		req->next->prev = req;
	dns->reqs = req;
	return req;
}

/* Maps a c-ares status; returns false for ARES_EDESTRUCTION (dns_free). */
bool dns_req_status(struct dns_req *req, int status)
{
	if (status == ARES_EDESTRUCTION || req->dns->is_freeing)
		return false;
	switch (status) {
	case ARES_SUCCESS:
		req->status = DNS_STATUS_OK;
		break;
	case ARES_ENOTFOUND:
		req->status = DNS_STATUS_NXDOMAIN;
		break;
	case ARES_ENODATA:
		req->status = DNS_STATUS_NODATA;
		break;
	default:
		req->status = DNS_STATUS_TEMPFAIL;
		break;
	}
	if (status != ARES_SUCCESS)
		snprintf(req->error, sizeof(req->error), "%s",
		         ares_strerror(status));
	return true;
}

void dns_mx_answer_cb(void *arg, int status, int timeouts,
                             unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct ares_mx_reply *reply = NULL;
	(void)timeouts;
	if (!dns_req_status(req, status))
		return;
	if (status == ARES_SUCCESS) {
		int ret = ares_parse_mx_reply(abuf, alen, &reply);
		if (ret != ARES_SUCCESS || reply == NULL)
			(void)dns_req_status(
			    req, ret != ARES_SUCCESS ? ret : ARES_ENODATA);
	}
	for (struct ares_mx_reply *r = reply; r != NULL; r = r->next)
		req->count++;
	req->mx = xcalloc(req->count + 1, sizeof(*req->mx));
	size_t i = 0;
	for (struct ares_mx_reply *r = reply; r != NULL; r = r->next, i++) {
		size_t len = strlen(r->host);
		while (len > 0 && r->host[len - 1] == '.')
			len--;
		req->mx[i].host = xstrndup(r->host, len);
		req->mx[i].preference = r->priority;
	}
	if (reply != NULL)
		ares_free_data(reply);
	dns_mx_sort(req->mx, req->count, NULL);
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_mx_lookup(struct dns *dns, const char *domain,
                              dns_mx_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_MX;
	req->mx_cb = cb;
	ares_query(dns->channel, domain, ns_c_in, ns_t_mx, dns_mx_answer_cb,
	           req);
	dns_timer_update(dns);
	return req;
}

static void dns_addr_answer_cb(void *arg, int status, int timeouts,
                               struct ares_addrinfo *result)
{
	struct dns_req *req = arg;
	(void)timeouts;
	if (!dns_req_status(req, status)) {
		if (result != NULL)
			ares_freeaddrinfo(result);
		return;
	}
	for (struct ares_addrinfo_node *n = result != NULL ? result->nodes
	                                                   : NULL;
	     n != NULL && req->count < DNS_ADDR_MAX; n = n->ai_next) {
		if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
		    (size_t)n->ai_addrlen > sizeof(struct sockaddr_storage))
			continue;
		struct dns_addr *a = &req->addrs[req->count++];
		memcpy(&a->sa, n->ai_addr, n->ai_addrlen);
		a->len = (socklen_t)n->ai_addrlen;
		if (n->ai_family == AF_INET)
			((struct sockaddr_in *)&a->sa)->sin_port =
			    htons((uint16_t)req->port);
		else
			((struct sockaddr_in6 *)&a->sa)->sin6_port =
			    htons((uint16_t)req->port);
	}
	if (req->status == DNS_STATUS_OK && req->count == 0) {
		req->status = DNS_STATUS_NODATA;
		snprintf(req->error, sizeof(req->error), "no address");
	}
	if (result != NULL)
		ares_freeaddrinfo(result);
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_addr_lookup(struct dns *dns, const char *host,
                                unsigned port, dns_addr_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	struct ares_addrinfo_hints hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	req->addr_cb = cb;
	req->port = port;
	ares_getaddrinfo(dns->channel, host, NULL, &hints, dns_addr_answer_cb,
	                 req);
	dns_timer_update(dns);
	return req;
}

static unsigned dns_random(unsigned n)
{
	return (unsigned)(random() % n);
}

void dns_mx_sort(struct dns_mx *mx, size_t count,
                 unsigned (*random_cb)(unsigned n))
{
	if (random_cb == NULL)
		random_cb = dns_random;
	/* insertion sort: a domain has a handful of MX records */
	for (size_t i = 1; i < count; i++) {
		struct dns_mx x = mx[i];
		size_t j = i;
		for (; j > 0 && mx[j - 1].preference > x.preference; j--)
			mx[j] = mx[j - 1];
		mx[j] = x;
	}
	/* Fisher-Yates within each run of equal preference (§5.1) */
	for (size_t start = 0; start < count;) {
		size_t end = start + 1;
		while (end < count &&
		       mx[end].preference == mx[start].preference)
			end++;
		for (size_t i = end - 1; i > start; i--) {
			size_t k = start + random_cb((unsigned)(i - start + 1));
			struct dns_mx t = mx[i];
			mx[i] = mx[k];
			mx[k] = t;
		}
		start = end;
	}
}

bool dns_mx_is_null(const struct dns_mx *mx, size_t count)
{
	return count == 1 && mx[0].host[0] == '\0';
}

static int dns_srv_cmp(const void *a, const void *b)
{
	const struct dns_srv *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->weight > y->weight ? -1 : x->weight < y->weight;
}

static void dns_srv_answer_cb(void *arg, int status, int timeouts,
                              unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct ares_srv_reply *reply = NULL;
	(void)timeouts;
	if (!dns_req_status(req, status))
		return;
	if (status == ARES_SUCCESS) {
		int ret = ares_parse_srv_reply(abuf, alen, &reply);
		if (ret != ARES_SUCCESS || reply == NULL)
			(void)dns_req_status(
			    req, ret != ARES_SUCCESS ? ret : ARES_ENODATA);
	}
	for (struct ares_srv_reply *r = reply; r != NULL; r = r->next)
		req->count++;
	req->srv = xcalloc(req->count + 1, sizeof(*req->srv));
	size_t i = 0;
	for (struct ares_srv_reply *r = reply; r != NULL; r = r->next, i++) {
		size_t len = strlen(r->host);
		while (len > 0 && r->host[len - 1] == '.')
			len--;
		req->srv[i] = (struct dns_srv){ xstrndup(r->host, len),
			                        r->priority, r->weight,
			                        r->port };
	}
	if (reply != NULL)
		ares_free_data(reply);
	/* XXX: RFC 2782's weighted random choice among equal priorities is
	 * replaced by heaviest first: a client tries them in turn anyway. */
	qsort(req->srv, req->count, sizeof(*req->srv), dns_srv_cmp);
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_srv_lookup(struct dns *dns, const char *name,
                               dns_srv_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_SRV;
	req->srv_cb = cb;
	ares_query(dns->channel, name, ns_c_in, ns_t_srv, dns_srv_answer_cb,
	           req);
	dns_timer_update(dns);
	return req;
}

void dns_cancel(struct dns_req **reqp)
{
	struct dns_req *req = *reqp;
	if (req == NULL)
		return;
	*reqp = NULL;
	/* c-ares 1.18 cannot cancel one query: its answer is dropped */
	req->is_cancelled = true;
}

static void dns_txt_answer_cb(void *arg, int status, int timeouts,
                              unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct ares_txt_ext *reply = NULL;
	(void)timeouts;
	if (!dns_req_status(req, status))
		return;
	if (status == ARES_SUCCESS) {
		int ret = ares_parse_txt_reply_ext(abuf, alen, &reply);
		if (ret != ARES_SUCCESS || reply == NULL)
			(void)dns_req_status(
			    req, ret != ARES_SUCCESS ? ret : ARES_ENODATA);
	}
	for (struct ares_txt_ext *r = reply; r != NULL; r = r->next)
		req->count += r->record_start ? 1 : 0;
	req->txt = xcalloc(req->count + 1, sizeof(*req->txt));
	struct dns_txt *t = NULL;
	for (struct ares_txt_ext *r = reply; r != NULL; r = r->next) {
		if (r->record_start || t == NULL)
			t = t == NULL ? req->txt : t + 1;
		t->text = xrealloc(t->text, t->len + r->length + 1);
		memcpy(t->text + t->len, r->txt, r->length);
		t->len += r->length;
		t->text[t->len] = '\0';
	}
	if (reply != NULL)
		ares_free_data(reply);
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_txt_lookup(struct dns *dns, const char *name,
                               dns_txt_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_TXT;
	req->txt_cb = cb;
	ares_query(dns->channel, name, ns_c_in, ns_t_txt, dns_txt_answer_cb,
	           req);
	dns_timer_update(dns);
	return req;
}

static void dns_family_add(struct dns_req *req, const void *addr)
{
	struct dns_addr *a = &req->many[req->count++];
	memset(a, 0, sizeof(*a));
	if (req->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		a->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		a->len = sizeof(*sin6);
	}
}

static void dns_family_answer_cb(void *arg, int status, int timeouts,
                                 unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	(void)timeouts;
	if (!dns_req_status(req, status))
		return;
	req->many = xcalloc(DNS_FAMILY_MAX, sizeof(*req->many));
	if (status == ARES_SUCCESS) {
		int n = DNS_FAMILY_MAX, ret;
		if (req->family == AF_INET) {
			struct ares_addrttl ttls[DNS_FAMILY_MAX];
			ret = ares_parse_a_reply(abuf, alen, NULL, ttls, &n);
			for (int i = 0; ret == ARES_SUCCESS && i < n; i++)
				dns_family_add(req, &ttls[i].ipaddr);
		} else {
			struct ares_addr6ttl ttls[DNS_FAMILY_MAX];
			ret = ares_parse_aaaa_reply(abuf, alen, NULL, ttls, &n);
			for (int i = 0; ret == ARES_SUCCESS && i < n; i++)
				dns_family_add(req, &ttls[i].ip6addr);
		}
		if (ret != ARES_SUCCESS)
			(void)dns_req_status(req, ret);
		else if (req->count == 0)
			(void)dns_req_status(req, ARES_ENODATA);
	}
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_addr_family_lookup(struct dns *dns, const char *name,
                                       int family, dns_addr_cb *cb,
                                       void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_FAMILY;
	req->addr_cb = cb;
	req->family = family == AF_INET6 ? AF_INET6 : AF_INET;
	ares_query(dns->channel, name, ns_c_in,
	           req->family == AF_INET ? ns_t_a : ns_t_aaaa,
	           dns_family_answer_cb, req);
	dns_timer_update(dns);
	return req;
}

static void dns_name_add(struct dns_req *req, const char *name, size_t max)
{
	size_t len = strlen(name);
	while (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < req->count; i++) {
		if (strlen(req->names[i]) == len &&
		    strncasecmp(req->names[i], name, len) == 0)
			return;
	}
	if (req->count < max)
		req->names[req->count++] = xstrndup(name, len);
}

static void dns_ptr_answer_cb(void *arg, int status, int timeouts,
                              unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct hostent *host = NULL;
	(void)timeouts;
	if (!dns_req_status(req, status))
		return;
	if (status == ARES_SUCCESS) {
		/* the address is only copied into the hostent */
		unsigned char any[16] = {0};
		int ret = ares_parse_ptr_reply(
		    abuf, alen, any, req->family == AF_INET ? 4 : 16,
		    req->family, &host);
		if (ret != ARES_SUCCESS)
			(void)dns_req_status(req, ret);
	}
	size_t max = 1;
	for (size_t i = 0; host != NULL && host->h_aliases[i] != NULL; i++)
		max++;
	req->names = xcalloc(max + 1, sizeof(*req->names));
	if (host != NULL) {
		/* c-ares puts every PTR name among the aliases, and one of
		 * them in h_name */
		for (size_t i = 0; host->h_aliases[i] != NULL; i++)
			dns_name_add(req, host->h_aliases[i], max);
		dns_name_add(req, host->h_name, max);
		ares_free_hostent(host);
	}
	if (req->status == DNS_STATUS_OK && req->count == 0)
		(void)dns_req_status(req, ARES_ENODATA);
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

/* The reverse name of sa: "4.3.2.1.in-addr.arpa" or 32 nibbles and
 * "ip6.arpa" (RFC 3596 §2.5). */
static void dns_ptr_name(const struct sockaddr *sa, char *out, size_t size)
{
	if (sa->sa_family == AF_INET) {
		const unsigned char *a = (const unsigned char *)&(
		    (const struct sockaddr_in *)sa)->sin_addr;
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		         a[1], a[0]);
		return;
	}
	const unsigned char *a = (const unsigned char *)&(
	    (const struct sockaddr_in6 *)sa)->sin6_addr;
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	for (int i = 15; i >= 0 && n + 4 < size; i--) {
		out[n++] = hex[a[i] & 15];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	snprintf(out + n, size - n, "ip6.arpa");
}

struct dns_req *dns_ptr_lookup(struct dns *dns, const struct sockaddr *sa,
                               dns_name_cb *cb, void *ctx)
{
	char name[80];
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_PTR;
	req->name_cb = cb;
	req->family = sa->sa_family == AF_INET6 ? AF_INET6 : AF_INET;
	dns_ptr_name(sa, name, sizeof(name));
	ares_query(dns->channel, name, ns_c_in, ns_t_ptr, dns_ptr_answer_cb,
	           req);
	dns_timer_update(dns);
	return req;
}
