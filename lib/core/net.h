/* Network helpers shared by every server: numeric peer addresses, the
 * loopback test that plaintext_auth_loopback relies on (127.0.0.0/8, ::1 and
 * ::ffff:127.0.0.0/104), the scope of an address (public or not: RFC 6890
 * special-purpose registries) and lists of networks, and listeners that
 * accept on inherited sockets and hand each new non-blocking fd to a
 * callback. */
#ifndef CORE_NET_H
#define CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_loop;
struct net_listener;

#define NET_ADDR_STR_MAX 64 /* an IPv6 address with a scope, and NUL */

/* Writes the numeric address of sa ("192.0.2.1", "2001:db8::1") into
 * str_r; an IPv4-mapped IPv6 address is written as IPv4, anything that is
 * not IP as "unknown". */
void net_addr_str(const struct sockaddr *sa, char str_r[NET_ADDR_STR_MAX]);
/* Returns true if sa is 127.0.0.0/8, ::1 or an IPv4-mapped 127/8 address. */
bool net_addr_is_loopback(const struct sockaddr *sa);
/* Where an address leads, for deciding whether mail may be sent there.
 * Only NET_SCOPE_PUBLIC is globally reachable unicast; an IPv6 address that
 * carries an IPv4 one (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) has the scope of the IPv4 address. */
enum net_scope {
	NET_SCOPE_PUBLIC,
	NET_SCOPE_LOOPBACK,   /* 127/8, ::1 */
	NET_SCOPE_PRIVATE,    /* 10/8, 172.16/12, 192.168/16 (RFC 1918),
	                         fc00::/7 (RFC 4193) */
	NET_SCOPE_LINK_LOCAL, /* 169.254/16, fe80::/10 */
	NET_SCOPE_SHARED,     /* 100.64/10, carrier-grade NAT (RFC 6598) */
	NET_SCOPE_RESERVED,   /* "this network" 0/8 and ::, multicast
	                         224/4 and ff00::/8, 240/4 and broadcast,
	                         192.0.0/24, the documentation and
	                         benchmarking ranges, IPv4-compatible ::/96 */
};

/* Returns the scope of sa (AF_INET or AF_INET6; anything else is
 * RESERVED). */
enum net_scope net_addr_scope(const struct sockaddr *sa);
/* "public", "loopback", "private", "link-local", "shared", "reserved". */
const char *net_scope_name(enum net_scope scope);
/* Parses a numeric IPv4 or IPv6 address (no scope id) into *ss_r with
 * port. Returns 0, or -1 if str is not one. */
int net_addr_parse(const char *str, unsigned port,
                   struct sockaddr_storage *ss_r, socklen_t *len_r);
/* list = [ net *( "," net ) ]; net = address [ "/" prefix-length ], spaces
 * around items ignored ("10.0.0.0/8, fd00::/8, 192.0.2.7"). Returns 1 if
 * sa is in one of the networks (an IPv4-mapped address matches IPv4
 * networks), 0 if not, -1 if list is malformed. */
int net_networks_match(const char *list, const struct sockaddr *sa);
/* Returns true if list is well-formed for net_networks_match. */
bool net_networks_are_valid(const char *list);
/* May mail be sent to the numeric address addr? Returns NULL if it is
 * public or in the networks of allowed (a net_networks_match list), else
 * the reason, a static string: the scope's name ("loopback", "private",
 * ...), or "not an IP address". */
const char *net_addr_refusal(const char *addr, const char *allowed);
/* Makes fd non-blocking and close-on-exec. Returns 0, or -1 with errno. */
int net_set_nonblock(int fd);
/* Turns Nagle's algorithm off on a TCP socket (TCP_NODELAY): a reply
 * written in pieces (a FETCH literal, then its tagged OK) must not wait
 * for the peer's delayed ACK (about 40 ms a command). Ignores failure. */
void net_set_nodelay(int fd);

/* Called for each accepted connection: fd is non-blocking and close-on-exec
 * and now belongs to the callback; addr is the peer address. */
typedef void net_accept_cb(int fd, const struct sockaddr *addr, void *ctx);

/* Watches the listening socket fd (not owned: net_listener_free leaves it
 * open) and calls cb for every connection. EAGAIN (another worker won the
 * race) is silent; EMFILE and friends pause accepting for a second. */
struct net_listener *net_listener_new(struct event_loop *loop, int fd,
                                      net_accept_cb *cb, void *ctx);
/* Stops watching; sets *listener to NULL; accepts NULL. */
void net_listener_free(struct net_listener **listener);

#endif
