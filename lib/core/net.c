/* Numeric addresses, the loopback test, address scopes after the IANA
 * special-purpose address registries (RFC 6890 and its updates), lists of
 * networks, and listeners on inherited sockets. accept4() is Linux-only
 * and so stays here in lib/core (STYLE.md §10). */
#define _GNU_SOURCE
#include "core/net.h"
#include "core/event_loop.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
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

/* ---- Scopes and networks ------------------------------------------------ */

struct net_range {
	unsigned char prefix[16];
	unsigned bits;
	enum net_scope scope;
};

static const struct net_range net_v4_ranges[] = {
    {{0}, 8, NET_SCOPE_RESERVED},             /* "this network" */
    {{10}, 8, NET_SCOPE_PRIVATE},             /* RFC 1918 */
    {{100, 64}, 10, NET_SCOPE_SHARED},        /* RFC 6598 */
    {{127}, 8, NET_SCOPE_LOOPBACK},           /* RFC 1122 */
    {{169, 254}, 16, NET_SCOPE_LINK_LOCAL},   /* RFC 3927 */
    {{172, 16}, 12, NET_SCOPE_PRIVATE},       /* RFC 1918 */
    {{192, 0, 0}, 24, NET_SCOPE_RESERVED},    /* RFC 6890 */
    {{192, 0, 2}, 24, NET_SCOPE_RESERVED},    /* TEST-NET-1 */
    {{192, 88, 99}, 24, NET_SCOPE_RESERVED},  /* 6to4 relay, gone */
    {{192, 168}, 16, NET_SCOPE_PRIVATE},      /* RFC 1918 */
    {{198, 18}, 15, NET_SCOPE_RESERVED},      /* benchmarking */
    {{198, 51, 100}, 24, NET_SCOPE_RESERVED}, /* TEST-NET-2 */
    {{203, 0, 113}, 24, NET_SCOPE_RESERVED},  /* TEST-NET-3 */
    {{224}, 4, NET_SCOPE_RESERVED},           /* multicast */
    {{240}, 4, NET_SCOPE_RESERVED},           /* and broadcast */
};

/* After the cases that carry an IPv4 address (net_addr_scope). */
static const struct net_range net_v6_ranges[] = {
    {{0}, 128, NET_SCOPE_RESERVED},                       /* :: */
    {{[15] = 1}, 128, NET_SCOPE_LOOPBACK},                /* ::1 */
    {{0}, 96, NET_SCOPE_RESERVED},                        /* compatible */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, NET_SCOPE_PRIVATE}, /* RFC 8215 */
    {{1, 0}, 64, NET_SCOPE_RESERVED},                     /* discard */
    {{0x20, 0x01, 0, 0}, 32, NET_SCOPE_RESERVED},         /* Teredo */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, NET_SCOPE_RESERVED},   /* documentation */
    {{0x3f, 0xff}, 20, NET_SCOPE_RESERVED},               /* documentation */
    {{0xfc}, 7, NET_SCOPE_PRIVATE},                       /* RFC 4193 */
    {{0xfe, 0x80}, 10, NET_SCOPE_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, NET_SCOPE_PRIVATE}, /* site-local, deprecated */
    {{0xff}, 8, NET_SCOPE_RESERVED},       /* multicast */
};

/* Returns true if the first bits of a and b are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b,
                         unsigned bits)
{
	size_t bytes = bits / 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static enum net_scope scope_find(const struct net_range *ranges, size_t count,
                                 const unsigned char *addr)
{
	for (size_t i = 0; i < count; i++) {
		if (prefix_equal(addr, ranges[i].prefix, ranges[i].bits))
			return ranges[i].scope;
	}
	return NET_SCOPE_PUBLIC;
}

#define N_RANGES(a) (sizeof(a) / sizeof((a)[0]))

/* The IPv4 address an IPv6 one stands for, or NULL: IPv4-mapped
 * (RFC 4291 §2.5.5.2), NAT64 64:ff9b::/96 (RFC 6052), 6to4 (RFC 3056). */
static const unsigned char *v6_embedded_v4(const struct in6_addr *a)
{
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (addr_is_v4mapped(a) || memcmp(a->s6_addr, nat64, 12) == 0)
		return &a->s6_addr[12];
	if (a->s6_addr[0] == 0x20 && a->s6_addr[1] == 0x02)
		return &a->s6_addr[2];
	return NULL;
}

enum net_scope net_addr_scope(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return scope_find(net_v4_ranges, N_RANGES(net_v4_ranges),
		                  (const unsigned char *)&in->sin_addr);
	}
	if (sa->sa_family != AF_INET6)
		return NET_SCOPE_RESERVED;
	const struct in6_addr *a =
	    &((const struct sockaddr_in6 *)sa)->sin6_addr;
	const unsigned char *v4 = v6_embedded_v4(a);
	if (v4 != NULL)
		return scope_find(net_v4_ranges, N_RANGES(net_v4_ranges), v4);
	return scope_find(net_v6_ranges, N_RANGES(net_v6_ranges), a->s6_addr);
}

const char *net_scope_name(enum net_scope scope)
{
	switch (scope) {
	case NET_SCOPE_PUBLIC:
		return "public";
	case NET_SCOPE_LOOPBACK:
		return "loopback";
	case NET_SCOPE_PRIVATE:
		return "private";
	case NET_SCOPE_LINK_LOCAL:
		return "link-local";
	case NET_SCOPE_SHARED:
		return "shared";
	case NET_SCOPE_RESERVED:
		break;
	}
	return "reserved";
}

int net_addr_parse(const char *str, unsigned port,
                   struct sockaddr_storage *ss_r, socklen_t *len_r)
{
	memset(ss_r, 0, sizeof(*ss_r));
	struct sockaddr_in *in = (struct sockaddr_in *)ss_r;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss_r;
	if (inet_pton(AF_INET, str, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, str, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* An address as bytes for prefix matching: IPv4 (4 bytes) for AF_INET and
 * IPv4-mapped IPv6, else 16 bytes. Returns the byte count, 0 if neither. */
static size_t addr_bytes(const struct sockaddr *sa, unsigned char out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *a =
	    &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (addr_is_v4mapped(a)) {
		memcpy(out, &a->s6_addr[12], 4);
		return 4;
	}
	memcpy(out, a->s6_addr, 16);
	return 16;
}

/* net = address [ "/" 1*3DIGIT ] (len bytes of item, no spaces). Fills
 * the network's bytes (IPv4-mapped as IPv4) and prefix length. Returns 0,
 * or -1 if malformed. */
static int network_parse(const char *item, size_t len, unsigned char net[16],
                         size_t *size_r, unsigned *bits_r)
{
	char addr[64];
	const char *slash = memchr(item, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - item) : len;
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, item, alen);
	addr[alen] = '\0';
	if (net_addr_parse(addr, 0, &ss, &sslen) < 0)
		return -1;
	bool is_mapped =
	    ss.ss_family == AF_INET6 &&
	    addr_is_v4mapped(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	*size_r = addr_bytes((struct sockaddr *)&ss, net);
	unsigned max = ss.ss_family == AF_INET ? 32 : 128;
	unsigned bits = max;
	if (slash != NULL) {
		size_t plen = len - alen - 1;
		if (plen == 0 || plen > 3)
			return -1;
		bits = 0;
		for (size_t i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)slash[1 + i]))
				return -1;
			bits = bits * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (bits > max || (is_mapped && bits < 96))
			return -1;
	}
	*bits_r = is_mapped ? bits - 96 : bits;
	return 0;
}

/* Calls network_parse on each item; with sa, stops at the first that
 * holds it. Returns 1 (sa matched), 0 (no match), -1 (malformed). */
static int networks_walk(const char *list, const struct sockaddr *sa)
{
	unsigned char want[16], net[16];
	size_t want_size = sa != NULL ? addr_bytes(sa, want) : 0;
	const char *p = list;
	while (isspace((unsigned char)*p))
		p++;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *item = p;
		while (len > 0 && isspace((unsigned char)*item)) {
			item++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)item[len - 1]))
			len--;
		size_t size;
		unsigned bits;
		if (network_parse(item, len, net, &size, &bits) < 0)
			return -1;
		if (want_size != 0 && size == want_size &&
		    prefix_equal(want, net, bits))
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

int net_networks_match(const char *list, const struct sockaddr *sa)
{
	/* the whole list is checked first, so a typo after a match is
	 * still reported */
	if (networks_walk(list, NULL) < 0)
		return -1;
	return networks_walk(list, sa);
}

bool net_networks_are_valid(const char *list)
{
	return networks_walk(list, NULL) == 0;
}

const char *net_addr_refusal(const char *addr, const char *allowed)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (net_addr_parse(addr, 0, &ss, &len) < 0)
		return "not an IP address";
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	if (net_networks_match(allowed, sa) == 1)
		return NULL;
	enum net_scope scope = net_addr_scope(sa);
	return scope == NET_SCOPE_PUBLIC ? NULL : net_scope_name(scope);
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
