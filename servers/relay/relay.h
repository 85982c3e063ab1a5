/* relay: remote delivery. qmgr sends a request per queued message over
 * run/relay.sock (core/ipc records, one per line):
 *   relay id=<queue id> path=active/<id> rcpts=<i>,<j>,...
 * and relay answers, in any order across messages, once per recipient
 *   result id=<id> rcpt=<i> status=ok|tempfail|permfail code=<smtp code>
 *          enhanced=<x.y.z> text=<reply or reason> mta=<remote host>
 *          dsn=0|1
 * then "done id=<id>" when every listed recipient has its result.
 * dsn=1 says the peer took our DSN parameters (RFC 3461 §5.2.2: when 0 and
 * the peer took the message, qmgr reports "relayed" if SUCCESS was asked).
 * Routing (relay_route.c): smarthost, else transport_map, else the address
 * of an address literal (RFC 5321 §5.1; only public addresses or
 * allowed_literal_networks), else MX (with implicit MX and null MX).
 * Destinations, their connection limit and the sessions that carry several
 * messages each: relay_dest.c. */
#ifndef RELAY_RELAY_H
#define RELAY_RELAY_H

#include "smtp/smtp_client.h"

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct dns;
struct event_loop;
struct pool;
struct queue_envelope;
struct relay_dest;
struct relay_job;
struct tls_client;

/* ---- Routing (relay_route.c) ------------------------------------------- */

enum relay_route_kind {
	RELAY_ROUTE_MX,   /* look up the domain's MX */
	RELAY_ROUTE_HOST, /* a fixed host (smarthost, transport_map) */
};

struct relay_route {
	enum relay_route_kind kind;
	char host[256]; /* MX: the domain; HOST: the host name or address */
	unsigned port;
	bool is_smarthost;
	bool requires_tls;
	char key[300]; /* the destination's name: "mx:dom", "host:h:port" */
};

struct relay_config {
	const char *helo_name;
	const char *smarthost; /* "" or host[:port] */
	const char *smarthost_user, *smarthost_password;
	const char *transport_map;            /* "domain=host:port, ..." */
	const char *require_tls;              /* "domain, domain" */
	const char *allowed_literal_networks; /* "10.0.0.0/8, ..." */
	unsigned mx_port;
	unsigned max_per_destination;
	unsigned max_messages_per_connection;
	unsigned connect_timeout, command_timeout, data_timeout;
};

/* Returns NULL if relay may send to domain, else why not (static): an
 * address literal ("[10.0.0.1]") must name a public address or one in
 * allowed_literal_networks, whatever the route (defence in depth behind
 * smtpd's check at RCPT: a message queued before it, or a smarthost that
 * would follow the literal). */
const char *relay_route_refusal(const struct relay_config *cfg,
                                const char *domain);
/* Finds the route for a recipient domain. Returns 0 with *route_r, or -1
 * with a static reason if smarthost or transport_map is malformed or the
 * domain is a literal that is not an IP address. */
int relay_route_find(const struct relay_config *cfg, const char *domain,
                     struct relay_route *route_r, const char **error_r);
/* Returns true if domain is listed in the comma-separated list. */
bool relay_domain_listed(const char *list, const char *domain);
/* Splits "host[:port]" or "[v6]:port"; port defaults to def. Returns 0, or
 * -1 if malformed. */
int relay_hostport_parse(const char *str, size_t len, unsigned def,
                         char *host_r, size_t host_size, unsigned *port_r);

/* ---- Messages and jobs (relay_message.c) ------------------------------- */

struct relay_message {
	struct relay *relay;
	struct relay_message *prev, *next;
	struct conn *owner; /* qmgr's connection; NULL when it went away */
	char id[32];
	int fd;
	struct pool *pool;
	struct queue_envelope *env;
	size_t jobs_left;
	bool is_8bit, needs_smtputf8;
};

/* The recipients of one message for one destination. */
struct relay_job {
	struct relay_job *next; /* in the destination's queue */
	struct relay_message *msg;
	struct smtp_client_message smsg;
	size_t *rcpt_idx; /* index in the envelope of each smsg rcpt */
};

struct relay {
	struct event_loop *loop;
	struct dns *dns;
	struct tls_client *tls;
	struct relay_config cfg;
	char *queue_dir;
	struct relay_message *messages;
	struct relay_dest *dests;
};

/* Handles one request line from qmgr on conn: loads the message and
 * queues a job per destination. A request that cannot be served is
 * answered at once (tempfail for its recipients). */
void relay_request(struct relay *relay, struct conn *owner, const char *line,
                   size_t len);
/* Reports the job's results to qmgr and frees it; the message's done
 * record follows its last job. */
void relay_job_done(struct relay_job *job, const char *mta);
/* Gives every recipient of the job the same status, then relay_job_done. */
void relay_job_fail(struct relay_job *job, unsigned code, const char *enhanced,
                    const char *text);
/* qmgr's connection closed: its messages' results are dropped. */
void relay_owner_gone(struct relay *relay, struct conn *owner);
/* Frees every message (at exit). */
void relay_messages_free(struct relay *relay);

/* ---- Destinations (relay_dest.c) -------------------------------------- */

/* Queues job for the destination of route (made on first use) and starts
 * a session if the limit allows. */
void relay_dest_enqueue(struct relay *relay, const struct relay_route *route,
                        struct relay_job *job);
/* Closes every session and frees every destination (at exit). */
void relay_dests_free(struct relay *relay);

#endif
