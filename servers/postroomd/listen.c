/* Binding the ports, with per-source-IP steering across the workers of
 * each server (smtpd, pop3d, imapd, httpd, sieved). */
#define _GNU_SOURCE /* SO_REUSEPORT, SO_ATTACH_REUSEPORT_CBPF */
#include "listen.h"
#include "config/settings.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 511

static int attach_steering(int fd, int family, unsigned workers)
{
	/* The program sees the packet past the TCP header; SKF_NET_OFF
	 * reaches back to the IP header: IPv4 source at 12, the last word of
	 * the IPv6 source at 8 + 12. */
	struct sock_filter code[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0,
		  (unsigned)(SKF_NET_OFF + (family == AF_INET ? 12 : 20)) },
		{ BPF_ALU | BPF_MOD | BPF_K, 0, 0, workers },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	struct sock_fprog prog = { .len = 3, .filter = code };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
			  sizeof(prog));
}

static int open_socket(const struct addrinfo *ai, int reuseport,
		       const char **what_r)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0) {
		*what_r = "socket";
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				     sizeof(one)) < 0)) {
		*what_r = "setsockopt";
		goto fail;
	}
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		*what_r = "setsockopt";
		goto fail;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		*what_r = "bind";
		goto fail;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		*what_r = "listen";
		goto fail;
	}
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Listener fds live at 100 and above so that installing them at 3, 4, ...
 * in a child never overwrites one not yet installed. */
#define LISTEN_FD_FLOOR 100

static void add_listener(struct listener_set *set, const char *service,
			 const char *server, const char *addr_str,
			 unsigned group, unsigned worker, int is_shared, int fd)
{
	if (fd < LISTEN_FD_FLOOR) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, LISTEN_FD_FLOOR);
		if (high < 0)
			log_panic("cannot move listener fd: %s", strerror(errno));
		close(fd);
		fd = high;
	}
	set->items = xrealloc(set->items,
			      (set->count + 1) * sizeof(*set->items));
	set->items[set->count++] = (struct listener){
		.service = service,
		.server = server,
		.addr_str = xstrdup(addr_str),
		.group = group,
		.worker = worker,
		.is_shared = is_shared,
		.fd = fd,
	};
}

/* Binds one (address, port) for all workers. Returns 0, or -1 with errno
 * and *what_r naming the failing call. */
static int bind_group(struct listener_set *set, const char *service,
		      const char *server, const struct addrinfo *ai,
		      const char *addr_str, unsigned group, unsigned workers,
		      const char **what_r)
{
	int first = open_socket(ai, workers > 1, what_r);
	if (first < 0)
		return -1;
	if (workers == 1 || attach_steering(first, ai->ai_family, workers) < 0) {
		if (workers > 1) {
			log_warn(NULL, "steering unavailable addr=%s errno=%s: "
				 "workers share one socket; per-IP limits "
				 "are per worker", addr_str, strerror(errno));
			/* drop SO_REUSEPORT so no stranger can join */
			close(first);
			if ((first = open_socket(ai, 0, what_r)) < 0)
				return -1;
		}
		add_listener(set, service, server, addr_str, group, 0, 1,
			     first);
		return 0;
	}
	add_listener(set, service, server, addr_str, group, 0, 0, first);
	for (unsigned w = 1; w < workers; w++) {
		int fd = open_socket(ai, 1, what_r);
		if (fd < 0)
			return -1;
		add_listener(set, service, server, addr_str, group, w, 0, fd);
	}
	return 0;
}

struct service {
	const char *name;
	const char *server;
	unsigned port;
};

#define SERVICE_COUNT 10

/* Every listening service, with its port from s. */
static size_t services_of(const struct postroom_settings *s,
			  struct service out[SERVICE_COUNT])
{
	const struct service all[] = {
		{ "smtp", "smtpd", s->smtpd.port },
		{ "submission", "smtpd", s->smtpd.submission_port },
		{ "submissions", "smtpd", s->smtpd.submissions_port },
		{ "pop3", "pop3d", s->pop3d.port },
		{ "pop3s", "pop3d", s->pop3d.pop3s_port },
		{ "imap", "imapd", s->imapd.port },
		{ "imaps", "imapd", s->imapd.imaps_port },
		{ "http", "httpd", s->httpd.port },
		{ "https", "httpd", s->httpd.https_port },
		{ "sieve", "sieved", s->sieved.port },
	};
	memcpy(out, all, sizeof(all));
	return sizeof(all) / sizeof(all[0]);
}

unsigned listen_server_workers(const struct postroom_settings *s,
			       const char *server)
{
	struct service services[SERVICE_COUNT];
	size_t n = services_of(s, services);
	bool is_on = false;
	for (size_t i = 0; i < n; i++)
		is_on = is_on || (strcmp(services[i].server, server) == 0 &&
				  services[i].port != 0);
	if (!is_on)
		return 0;
	unsigned asked = strcmp(server, "smtpd") == 0 ? s->smtpd.workers
			 : strcmp(server, "pop3d") == 0 ? s->pop3d.workers
			 : strcmp(server, "httpd") == 0 ? s->httpd.workers
			 : strcmp(server, "sieved") == 0 ? s->sieved.workers
							: s->imapd.workers;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return asked != 0 ? asked : cores > 0 ? (unsigned)cores : 1;
}

/* Binds one address for every service. Returns 0, or -1 with *error_r. */
static int bind_address(const struct postroom_settings *s, const char *a,
			unsigned *group, struct listener_set *set,
			char **error_r)
{
	struct service services[SERVICE_COUNT];
	size_t n = services_of(s, services);
	for (size_t i = 0; i < n; i++) {
		if (services[i].port == 0)
			continue;
		char port[16];
		snprintf(port, sizeof(port), "%u", services[i].port);
		struct addrinfo hints = { .ai_flags = AI_NUMERICHOST |
						      AI_NUMERICSERV | AI_PASSIVE,
					  .ai_socktype = SOCK_STREAM };
		struct addrinfo *ai = NULL;
		char *addr_str = xasprintf(strchr(a, ':') ? "[%s]:%s" : "%s:%s",
					   a, port);
		int gai = getaddrinfo(a, port, &hints, &ai);
		const char *what = NULL;
		int ret = 0;
		if (gai != 0) {
			*error_r = xasprintf("key 'listen': bad address '%s': "
					     "%s", a, gai_strerror(gai));
			ret = -1;
		} else if (bind_group(set, services[i].name, services[i].server,
				      ai, addr_str, (*group)++,
				      listen_server_workers(s,
						services[i].server),
				      &what) < 0) {
			*error_r = xasprintf("cannot listen on %s (%s): %s: %s",
					     addr_str, services[i].name, what,
					     strerror(errno));
			ret = -1;
		}
		if (ai != NULL)
			freeaddrinfo(ai);
		free(addr_str);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int listen_bind_all(const struct postroom_settings *s,
		    struct listener_set *set_r, char **error_r)
{
	memset(set_r, 0, sizeof(*set_r));
	char *list = xstrdup(s->listen), *save = NULL;
	unsigned group = 0;
	int ret = 0;
	for (char *a = strtok_r(list, ", ", &save); a != NULL && ret == 0;
	     a = strtok_r(NULL, ", ", &save))
		ret = bind_address(s, a, &group, set_r, error_r);
	free(list);
	if (ret < 0)
		listen_close_all(set_r);
	return ret;
}

int listen_same_config(const struct postroom_settings *a,
		       const struct postroom_settings *b)
{
	struct service sa[SERVICE_COUNT], sb[SERVICE_COUNT];
	size_t n = services_of(a, sa);
	services_of(b, sb);
	for (size_t i = 0; i < n; i++) {
		if (sa[i].port != sb[i].port)
			return 0;
	}
	return strcmp(a->listen, b->listen) == 0 &&
	       listen_server_workers(a, "smtpd") ==
		       listen_server_workers(b, "smtpd") &&
	       listen_server_workers(a, "pop3d") ==
		       listen_server_workers(b, "pop3d") &&
	       listen_server_workers(a, "imapd") ==
		       listen_server_workers(b, "imapd") &&
	       listen_server_workers(a, "httpd") ==
		       listen_server_workers(b, "httpd") &&
	       listen_server_workers(a, "sieved") ==
		       listen_server_workers(b, "sieved");
}

int listen_install_for_worker(const struct listener_set *set,
			      const char *server, unsigned w, int first_fd,
			      char *env, size_t env_size)
{
	int next = first_fd;
	size_t used = strlen(env);
	for (size_t i = 0; i < set->count; i++) {
		const struct listener *l = &set->items[i];
		if (strcmp(l->server, server) != 0 ||
		    (!l->is_shared && l->worker != w))
			continue;
		/* every listener fd is >= LISTEN_FD_FLOOR (add_listener) */
		if (dup2(l->fd, next) < 0)
			return -1;
		int n = snprintf(env + used, env_size - used, "%s%s:%d",
				 used > 0 ? " " : "", l->service, next);
		if (n < 0 || (size_t)n >= env_size - used)
			return -1;
		used += (size_t)n;
		next++;
	}
	return next;
}

void listen_close_all(struct listener_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		if (set->items[i].fd >= 0)
			close(set->items[i].fd);
		free(set->items[i].addr_str);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}
