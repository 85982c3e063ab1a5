/* The process frame of a protocol server (service.h): POSTROOM_LISTEN,
 * listeners on the event loop, per-process and per-IP connection counts,
 * the graceful stop on SIGTERM/SIGINT with its grace timer, and TLS
 * loading. Per-IP counts are exact per process; postroomd's reuseport
 * program sends every connection of one address to the same worker. Slots
 * are kept oldest first; when the process is full, a newcomer evicts the
 * oldest that can_evict() allows (one that has not logged in). The check is
 * asked only then, so servers need no hook at login. */
#include "core/service.h"
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVICE_MAX_LISTENERS 32
#define SERVICE_DEFAULT_GRACE_MSECS 30000

struct service_listener {
	struct service *service;
	unsigned name_idx;
	int fd;
	struct net_listener *listener;
};

struct service_ip {
	char addr[NET_ADDR_STR_MAX];
	unsigned count;
};

struct service_slot {
	struct service_slot *prev, *next; /* oldest first */
	char addr[NET_ADDR_STR_MAX];
	const struct service_slot_callbacks *cb;
	void *ctx;
};

struct service {
	struct event_loop *loop;
	struct service_settings set;
	struct service_callbacks cb;
	void *ctx;
	struct service_listener listeners[SERVICE_MAX_LISTENERS];
	size_t listener_count;
	struct event_signal *sigterm, *sigint;
	struct event_timer *grace_timer;
	bool is_stopping;
	unsigned conn_count;
	unsigned evicted_count;
	struct service_slot *oldest, *newest;
	struct service_ip *ips; /* addresses with count > 0, unordered */
	size_t ip_count, ip_alloc;
};

static char service_error[256];

static void service_accept_cb_(int fd, const struct sockaddr *addr, void *ctx)
{
	struct service_listener *l = ctx;
	l->service->cb.accept(l->name_idx, fd, addr, l->service->ctx);
}

static int service_name_find(const struct service *service, const char *name,
                             unsigned *idx_r)
{
	for (unsigned i = 0; service->set.names[i] != NULL; i++) {
		if (strcmp(service->set.names[i], name) == 0) {
			*idx_r = i;
			return 0;
		}
	}
	return -1;
}

/* listen = entry *(SP entry); entry = name ":" fd */
static int service_listen_parse(struct service *service, const char *listen,
                                const char **error_r)
{
	char *copy = xstrdup(listen), *save = NULL;
	int ret = 0;
	for (char *tok = strtok_r(copy, " ", &save); tok != NULL && ret == 0;
	     tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');
		char *end = NULL;
		errno = 0;
		long fd = colon != NULL ? strtol(colon + 1, &end, 10) : -1;
		unsigned idx = 0;
		if (colon == NULL || end == colon + 1 || *end != '\0' ||
		    fd < 0 || fd > 1 << 20 || errno != 0) {
			snprintf(service_error, sizeof(service_error),
			         "bad POSTROOM_LISTEN entry '%.100s'", tok);
			ret = -1;
			break;
		}
		*colon = '\0';
		if (service_name_find(service, tok, &idx) < 0) {
			snprintf(service_error, sizeof(service_error),
			         "unknown service '%.100s' in POSTROOM_LISTEN",
			         tok);
			ret = -1;
		} else if (service->listener_count == SERVICE_MAX_LISTENERS) {
			snprintf(service_error, sizeof(service_error),
			         "too many listeners in POSTROOM_LISTEN");
			ret = -1;
		} else if (net_set_nonblock((int)fd) < 0) {
			snprintf(service_error, sizeof(service_error),
			         "fd %ld: %s", fd, strerror(errno));
			ret = -1;
		} else {
			struct service_listener *l =
			    &service->listeners[service->listener_count++];
			l->service = service;
			l->name_idx = idx;
			l->fd = (int)fd;
			l->listener = net_listener_new(service->loop, l->fd,
			                               service_accept_cb_, l);
		}
	}
	free(copy);
	if (ret == 0 && service->listener_count == 0) {
		snprintf(service_error, sizeof(service_error),
		         "POSTROOM_LISTEN has no sockets");
		ret = -1;
	}
	if (ret < 0)
		*error_r = service_error;
	return ret;
}

static void service_listeners_close(struct service *service)
{
	for (size_t i = 0; i < service->listener_count; i++) {
		struct service_listener *l = &service->listeners[i];
		if (l->listener == NULL)
			continue;
		net_listener_free(&l->listener);
		close(l->fd);
	}
}

static void service_grace_cb(void *ctx)
{
	struct service *service = ctx;
	if (service->cb.grace_over != NULL)
		service->cb.grace_over(service->ctx);
}

static void service_signal_cb(void *ctx)
{
	service_stop(ctx);
}

void service_stop(struct service *service)
{
	if (service->is_stopping)
		return;
	service->is_stopping = true;
	/* Free the ports at once so that a new master can bind them. */
	service_listeners_close(service);
	event_timer_set(service->grace_timer, service->set.grace_msecs);
	if (service->cb.stop != NULL)
		service->cb.stop(service->ctx);
	else
		event_loop_stop(service->loop);
}

int service_new(struct event_loop *loop, const char *listen,
                const struct service_settings *settings,
                const struct service_callbacks *callbacks, void *ctx,
                struct service **service_r, const char **error_r)
{
	ASSERT(settings->names != NULL && callbacks->accept != NULL);
	if (listen == NULL || listen[0] == '\0') {
		*error_r = "POSTROOM_LISTEN is not set";
		return -1;
	}
	struct service *service = xcalloc(1, sizeof(*service));
	service->loop = loop;
	service->set = *settings;
	if (service->set.grace_msecs == 0)
		service->set.grace_msecs = SERVICE_DEFAULT_GRACE_MSECS;
	service->cb = *callbacks;
	service->ctx = ctx;
	if (service_listen_parse(service, listen, error_r) < 0) {
		service_free(&service);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	service->sigterm =
	    event_signal_new(loop, SIGTERM, service_signal_cb, service);
	service->sigint =
	    event_signal_new(loop, SIGINT, service_signal_cb, service);
	service->grace_timer = event_timer_new(loop, service_grace_cb, service);
	*service_r = service;
	return 0;
}

void service_free(struct service **servicep)
{
	struct service *service = *servicep;
	if (service == NULL)
		return;
	*servicep = NULL;
	service_listeners_close(service);
	event_signal_free(&service->sigterm);
	event_signal_free(&service->sigint);
	event_timer_free(&service->grace_timer);
	/* The servers give their slots back before; this is for tests. */
	while (service->oldest != NULL) {
		struct service_slot *slot = service->oldest;
		service_slot_remove(service, &slot);
	}
	free(service->ips);
	free(service);
}

size_t service_listener_count(const struct service *service)
{
	return service->listener_count;
}

bool service_is_stopping(const struct service *service)
{
	return service->is_stopping;
}

static struct service_ip *service_ip_find(const struct service *service,
                                          const char *addr)
{
	for (size_t i = 0; i < service->ip_count; i++)
		if (strcmp(service->ips[i].addr, addr) == 0)
			return &service->ips[i];
	return NULL;
}

static void service_ip_add(struct service *service, const char *addr)
{
	struct service_ip *ip = service_ip_find(service, addr);
	if (ip == NULL) {
		if (service->ip_count == service->ip_alloc) {
			service->ip_alloc =
			    service->ip_alloc == 0 ? 16 : service->ip_alloc * 2;
			service->ips =
			    xrealloc(service->ips,
			             service->ip_alloc * sizeof(*service->ips));
		}
		ip = &service->ips[service->ip_count++];
		snprintf(ip->addr, sizeof(ip->addr), "%s", addr);
		ip->count = 0;
	}
	ip->count++;
}

/* The process is full: evicts the oldest connection that allows it.
 * Returns 0 once a slot is free, -1 if none could go. */
static int service_slot_evict(struct service *service)
{
	struct service_slot *slot = service->oldest;
	while (slot != NULL &&
	       (slot->cb->can_evict == NULL || !slot->cb->can_evict(slot->ctx)))
		slot = slot->next;
	if (slot == NULL)
		return -1;
	unsigned before = service->conn_count;
	slot->cb->evict(slot->ctx);
	/* evict() must have given its slot back (service_slot_remove). */
	ASSERT(service->conn_count == before - 1);
	service->evicted_count++;
	return 0;
}

int service_slot_add(struct service *service, const char *addr,
                     const struct service_slot_callbacks *callbacks, void *ctx,
                     struct service_slot **slot_r, const char **error_r)
{
	const struct service_ip *ip = service_ip_find(service, addr);
	if (ip != NULL && service->set.max_connections_per_ip != 0 &&
	    ip->count >= service->set.max_connections_per_ip) {
		*error_r = "too many connections from your address";
		return -1;
	}
	if (service->set.max_connections != 0 &&
	    service->conn_count >= service->set.max_connections &&
	    service_slot_evict(service) < 0) {
		*error_r = "too many connections";
		return -1;
	}
	struct service_slot *slot = xcalloc(1, sizeof(*slot));
	snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
	slot->cb = callbacks;
	slot->ctx = ctx;
	slot->prev = service->newest;
	if (service->newest != NULL)
		service->newest->next = slot;
	else
		service->oldest = slot;
	service->newest = slot;
	service_ip_add(service, addr);
	service->conn_count++;
	*slot_r = slot;
	return 0;
}

void service_slot_remove(struct service *service, struct service_slot **slotp)
{
	struct service_slot *slot = *slotp;
	if (slot == NULL)
		return;
	*slotp = NULL;
	struct service_ip *ip = service_ip_find(service, slot->addr);
	ASSERT(ip != NULL && ip->count > 0 && service->conn_count > 0);
	service->conn_count--;
	if (--ip->count == 0)
		*ip = service->ips[--service->ip_count];
	if (slot->prev != NULL)
		slot->prev->next = slot->next;
	else
		service->oldest = slot->next;
	if (slot->next != NULL)
		slot->next->prev = slot->prev;
	else
		service->newest = slot->prev;
	free(slot);
}

unsigned service_evicted_count(const struct service *service)
{
	return service->evicted_count;
}

unsigned service_conn_count(const struct service *service)
{
	return service->conn_count;
}

unsigned service_conn_count_ip(const struct service *service, const char *addr)
{
	const struct service_ip *ip = service_ip_find(service, addr);
	return ip != NULL ? ip->count : 0;
}

int service_tls_load(const char *cert, const char *key, const char *data_dir,
                     struct tls_server **tls_r, const char **error_r)
{
	struct buf cert_path, key_path;
	buf_init(&cert_path);
	buf_init(&key_path);
	if (cert != NULL && cert[0] != '\0')
		buf_append_str(&cert_path, cert);
	else
		buf_printf(&cert_path, "%s/tls/cert.pem", data_dir);
	if (key != NULL && key[0] != '\0')
		buf_append_str(&key_path, key);
	else
		buf_printf(&key_path, "%s/tls/key.pem", data_dir);
	int ret = tls_server_new(cert_path.data, key_path.data, tls_r, error_r);
	if (ret == 0) {
		/* the OCSP response ocspd keeps fresh, when there is one */
		buf_truncate(&key_path, 0);
		buf_printf(&key_path, "%s/tls/ocsp.der", data_dir);
		(void)tls_server_set_ocsp_file(*tls_r, key_path.data);
	}
	buf_deinit(&cert_path);
	buf_deinit(&key_path);
	return ret;
}
