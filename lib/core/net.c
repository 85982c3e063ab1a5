/* Numeric addresses, the loopback test and listeners on inherited sockets.
 * accept4() is Linux-only and so stays here in lib/core (STYLE.md §10). */
#define _GNU_SOURCE
#include "core/net.h"
#include "core/event_loop.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct net_listener {
	int fd;
	net_accept_cb *cb;
	void *ctx;
	struct event_io *io;
	struct event_timer *retry; /* after EMFILE: accept again later */
};

static bool addr_is_v4mapped(const struct in6_addr *a)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0,    0,
	                                         0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->s6_addr, prefix, sizeof(prefix)) == 0;
}

void net_addr_str(const struct sockaddr *sa, char str_r[NET_ADDR_STR_MAX])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, str_r, NET_ADDR_STR_MAX);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		if (addr_is_v4mapped(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], str_r,
			          NET_ADDR_STR_MAX);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, str_r,
			          NET_ADDR_STR_MAX);
	} else {
		memcpy(str_r, "unknown", sizeof("unknown"));
	}
}

bool net_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return addr_is_v4mapped(a) && a->s6_addr[12] == 127;
	}
	return false;
}

int net_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

void net_set_nodelay(int fd)
{
	int on = 1;
	/* a UNIX socket refuses it (EOPNOTSUPP): nothing to do there */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void listener_retry_cb(void *ctx)
{
	struct net_listener *l = ctx;
	event_io_set_enabled(l->io, true);
}

static void listener_io_cb(void *ctx)
{
	struct net_listener *l = ctx;
	/* A bounded batch, so one busy listener cannot starve the loop. */
	for (int i = 0; i < 32; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			l->cb(fd, (struct sockaddr *)&ss, l->ctx);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			event_io_set_enabled(l->io, false);
			event_timer_set(l->retry, 1000);
		}
		return; /* EAGAIN: another worker took it */
	}
}

struct net_listener *net_listener_new(struct event_loop *loop, int fd,
                                      net_accept_cb *cb, void *ctx)
{
	struct net_listener *l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->cb = cb;
	l->ctx = ctx;
	l->io = event_io_new(loop, fd, listener_io_cb, l);
	l->retry = event_timer_new(loop, listener_retry_cb, l);
	event_io_set_enabled(l->io, true);
	return l;
}

void net_listener_free(struct net_listener **listener)
{
	struct net_listener *l = *listener;
	if (l == NULL)
		return;
	*listener = NULL;
	event_io_free(&l->io);
	event_timer_free(&l->retry);
	free(l);
}
