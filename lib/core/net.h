/* Network helpers shared by every server: numeric peer addresses, the
 * loopback test that plaintext_auth_loopback relies on (127.0.0.0/8, ::1 and
 * ::ffff:127.0.0.0/104), and listeners that accept on inherited sockets and
 * hand each new non-blocking fd to a callback. */
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
