/* struct service: what every protocol server process (smtpd, pop3d, imapd)
 * does around its sessions. It parses POSTROOM_LISTEN ("pop3:3 pop3s:4",
 * the sockets postroomd hands down), accepts on them, counts connections
 * per process and per peer address, ignores SIGPIPE and SIGHUP, and on
 * SIGTERM or SIGINT closes the listeners at once (so a new master can bind
 * the ports), asks the server to finish its sessions and, after a grace
 * period, to drop the ones left. It also loads the TLS certificate.
 * When the process is at max_connections, a new connection takes the slot
 * of the oldest one that has not logged in (as Dovecot's login processes
 * do), so a flood of unauthenticated connections cannot lock out users. */
#ifndef CORE_SERVICE_H
#define CORE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_loop;
struct service;
struct service_slot;
struct tls_server;

/* A new connection on the listener of names[name_idx] (see service_new).
 * fd is non-blocking, close-on-exec and belongs to the callee. */
typedef void service_accept_cb(unsigned name_idx, int fd,
                               const struct sockaddr *addr, void *ctx);
typedef void service_event_cb(void *ctx);

struct service_callbacks {
	service_accept_cb *accept;
	/* SIGTERM/SIGINT (once): the listeners are closed already. The
	 * server lets its sessions finish (or closes idle ones) and calls
	 * event_loop_stop() when none is left, at once if there is none. */
	service_event_cb *stop;
	/* The grace period after stop is over: close every session now. */
	service_event_cb *grace_over;
};

struct service_settings {
	/* The POSTROOM_LISTEN service names this server takes, NULL-
	 * terminated: { "pop3", "pop3s", NULL }. Any other name is an
	 * error. */
	const char *const *names;
	unsigned max_connections;        /* per process; 0: unlimited */
	unsigned max_connections_per_ip; /* 0: unlimited */
	unsigned grace_msecs;            /* after SIGTERM; 0: 30000 */
};

/* Makes the service of one process: parses listen (the value of
 * POSTROOM_LISTEN: listen = entry *(SP entry); entry = name ":" fd),
 * watches every socket on loop, installs the signal handlers, and ignores
 * SIGPIPE and SIGHUP. settings->names must outlive the service. Returns 0
 * with *service_r, or -1 with *error_r (static, or valid until the next
 * call) for an empty, malformed or unknown entry. */
int service_new(struct event_loop *loop, const char *listen,
                const struct service_settings *settings,
                const struct service_callbacks *callbacks, void *ctx,
                struct service **service_r, const char **error_r);
/* Closes the listeners (the sockets too) and the signal handlers; sets
 * *service to NULL; accepts NULL. Call before event_loop_free(). */
void service_free(struct service **service);

/* How many listening sockets were handed down. */
size_t service_listener_count(const struct service *service);
/* True once SIGTERM or SIGINT has arrived. */
bool service_is_stopping(const struct service *service);
/* Starts the graceful stop as SIGTERM would (tests, or a fatal condition);
 * does nothing the second time. */
void service_stop(struct service *service);

/* What the service asks of a counted connection when it needs its slot. */
struct service_slot_callbacks {
	/* True while the connection may be dropped to make room: it has
	 * not logged in and is not in the middle of work worth keeping (a
	 * mail transaction). */
	bool (*can_evict)(void *ctx);
	/* Drop it now: reply as the protocol says, close after the flush,
	 * and give the slot back with service_slot_remove() before
	 * returning. */
	void (*evict)(void *ctx);
};

/* Connection limits. service_slot_add counts a new connection from addr (a
 * numeric address string, see net_addr_str) and returns 0 with *slot_r.
 * It returns -1 without counting it when addr is at max_connections_per_ip
 * (*error_r "too many connections from your address"), or when the
 * process is at max_connections and no connection can be evicted ("too
 * many connections"); if one can, the oldest such is evicted first
 * (callbacks->evict) and the new one takes its slot. callbacks must
 * outlive the slot. Every slot must later be given back with
 * service_slot_remove, which sets *slot to NULL and accepts NULL. */
int service_slot_add(struct service *service, const char *addr,
                     const struct service_slot_callbacks *callbacks, void *ctx,
                     struct service_slot **slot_r, const char **error_r);
void service_slot_remove(struct service *service, struct service_slot **slot);
/* How many connections were evicted since the start. */
unsigned service_evicted_count(const struct service *service);
/* Counted connections of the whole process, and of addr. */
unsigned service_conn_count(const struct service *service);
unsigned service_conn_count_ip(const struct service *service, const char *addr);

/* Loads the server TLS context from cert and key (PEM paths); an empty or
 * NULL path means data_dir/tls/cert.pem or data_dir/tls/key.pem; staples
 * data_dir/tls/ocsp.der when ocspd keeps one (tls_server_set_ocsp_file). Returns
 * 0 with *tls_r (free with tls_server_free), or -1 with *error_r (valid
 * until the next call). */
int service_tls_load(const char *cert, const char *key, const char *data_dir,
                     struct tls_server **tls_r, const char **error_r);

#endif
