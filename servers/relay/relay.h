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

#include "core/tls.h"
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
	const char *data_dir;
	bool mta_sts, dane, tlsrpt;
	unsigned mta_sts_port, mta_sts_timeout;
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
	struct tls_client *tls; /* verifies with [relay] tls_ca_file */
	struct relay_config cfg;
	char *queue_dir;
	struct relay_message *messages;
	struct relay_dest *dests;
	struct relay_sts *sts_list; /* per recipient domain */
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

/* ---- Other domains' TLS policies (relay_sts.c) ------------------------
 * MTA-STS (RFC 8461 §5): the _mta-sts TXT record looked at most every
 * RELAY_STS_RECHECK seconds per domain, the policy fetched over HTTPS
 * when its id is new and kept until max_age, in memory and in
 * data_dir/relay/mta-sts/<domain>; and the domain's TLS-RPT rua=. */

#define RELAY_STS_RECHECK 300

struct mta_sts_policy;

struct relay_sts {
	struct relay_sts *next;
	struct relay *relay;
	char *domain;
	bool is_loaded;    /* the disk cache was read */
	struct pool *pool; /* the policy's strings */
	bool has_policy;   /* a policy within its max_age */
	struct mta_sts_policy *policy;
	char *text; /* as fetched, for TLS-RPT policy-string */
	char id[33];
	char fetch_id[33]; /* of the policy being fetched */
	time_t expires;
	/* RFC 8460 §4.3.2.2 result type of the last failed discovery
	 * (static), or NULL */
	const char *failure;
	char *rua; /* TLS-RPT rua=, or NULL */
	time_t checked, rua_checked;
	/* a discovery in progress, and who waits for it */
	struct dns_req *txt_req, *rpt_req;
	struct http_fetch *fetch;
	struct relay_sts_wait *waiting;
};

typedef void relay_sts_cb(void *ctx);
struct relay_sts_wait;

/* The policy state of domain, made (and its disk cache read) on first
 * use. */
struct relay_sts *relay_sts_get(struct relay *relay, const char *domain);
/* Brings sts up to date when it was last checked RELAY_STS_RECHECK ago or
 * more. Returns 1 when it is (nothing to wait for), else 0 with *wait_r:
 * cb(ctx) runs from the loop when it is. */
int relay_sts_refresh(struct relay_sts *sts, relay_sts_cb *cb, void *ctx,
                      struct relay_sts_wait **wait_r);
/* Stops waiting (cb never runs); sets *wait to NULL; accepts NULL. */
void relay_sts_wait_cancel(struct relay_sts_wait **wait);
/* Is the policy in force ("testing" or "enforce", not "none")? */
bool relay_sts_is_active(const struct relay_sts *sts);
bool relay_sts_is_enforced(const struct relay_sts *sts);
/* Frees every domain's state (at exit). */
void relay_sts_free_all(struct relay *relay);
/* Appends one TLS-RPT record (report.h) for sts's domain when it has a
 * rua=: policy_type "sts", "tlsa" or "no-policy-found", the policy text
 * (or ""), the MX host and address, and "success" or an RFC 8460 §4.3
 * result type. */
void relay_sts_record(struct relay_sts *sts, const char *policy_type,
                      const char *policy, const char *mx, const char *ip,
                      const char *result);

/* ---- One MX host's TLS policy (relay_policy.c) ------------------------
 * DANE (RFC 7672) when [relay] dane is on and the host's TLSA records
 * came back authenticated (AD); else the domain's MTA-STS policy; else
 * opportunistic TLS. And the TLS-RPT result (RFC 8460 §4.3) of each
 * session for the domain's report. */

enum relay_tls_policy {
	RELAY_TLS_NONE_FOUND,    /* opportunistic */
	RELAY_TLS_STS_TESTING,   /* try, verify, report, deliver anyway */
	RELAY_TLS_STS_ENFORCE,   /* verified TLS (PKIX) or nothing */
	RELAY_TLS_DANE,          /* TLS that matches a TLSA record */
	RELAY_TLS_DANE_UNUSABLE, /* TLSA records, none usable: TLS anyway */
};

#define RELAY_TLSA_MAX 16

struct relay_host_tls {
	enum relay_tls_policy policy;
	struct tls_dane_record tlsa[RELAY_TLSA_MAX]; /* usable ones */
	size_t tlsa_count;
	char *tlsa_text; /* "3 1 1 <hex>" lines, for the report (heap) */
};

struct dns_tlsa;
void relay_host_tls_clear(struct relay_host_tls *h);
/* The host's policy from its TLSA answer (status, records, AD bit) and,
 * when DANE does not apply, sts (may be NULL). */
void relay_host_tls_set(struct relay_host_tls *h, bool is_secure,
                        const struct dns_tlsa *tlsa, size_t count,
                        const struct relay_sts *sts);
bool relay_host_tls_needs_tls(const struct relay_host_tls *h);
bool relay_host_tls_needs_verify(const struct relay_host_tls *h);
/* "none", "sts-testing", "sts-enforce", "dane", "dane-unusable" */
const char *relay_host_tls_name(const struct relay_host_tls *h);
/* The TLS-RPT result of a session with the host: one that got ready
 * (is_tls, is_verified, peer's verify outcome), or NULL when it ended
 * before, for a reason that is not about TLS (its status says). */
struct tls_client;
const char *relay_tls_result_ready(const struct relay_host_tls *h, bool is_tls,
                                   bool is_verified,
                                   const struct tls_client *peer);
const char *relay_tls_result_failed(const struct smtp_client_status *st,
                                    const struct tls_client *peer);
/* Records result for the host at ip with the policy type and text. */
void relay_tls_record(struct relay_sts *sts, const struct relay_host_tls *h,
                      const char *mx, const char *ip, const char *result);

/* ---- Destinations (relay_dest.c) -------------------------------------- */

/* Queues job for the destination of route (made on first use) and starts
 * a session if the limit allows. */
void relay_dest_enqueue(struct relay *relay, const struct relay_route *route,
                        struct relay_job *job);
/* Closes every session and frees every destination (at exit). */
void relay_dests_free(struct relay *relay);

#endif
