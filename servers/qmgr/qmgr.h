/* The queue manager: takes messages from incoming/ (oldest first) and, when
 * their retry time comes, from deferred/; moves each to active/, hands its
 * local recipients to deliver over run/deliver.sock, records every
 * recipient's fate in its status byte, then removes the file or defers it
 * with the retry schedule of queue_retry_delay(). Single-threaded on one
 * libevent loop: a wake-up datagram on run/qmgr.sock, a run_interval timer,
 * and up to 32 messages handled per loop turn (their deliver requests
 * pipelined, for deliver's group commit) so SIGTERM is seen between them.
 * A message deferred because the disk was full (deliver's 4.3.1) is
 * retried as soon as free space returns, watched by a one-second timer.
 * A message held for later (FUTURERELEASE, RFC 4865) waits in deferred/
 * until its release time, local and remote recipients alike, and a timer
 * set to the earliest release time in deferred/ wakes qmgr for it. */
#ifndef QMGR_QMGR_H
#define QMGR_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store_expire.h"

struct buf;
struct event;
struct event_base;
struct pool;
struct queue_envelope;
struct store;

/* ---- The deliver client (qmgr_deliver.c) -------------------------------- */

enum qmgr_result_status {
	QMGR_RESULT_NONE, /* deliver said nothing about this recipient */
	QMGR_RESULT_OK,
	QMGR_RESULT_TEMPFAIL,
	QMGR_RESULT_PERMFAIL,
};

struct qmgr_result {
	enum qmgr_result_status status;
	const char *text;     /* deliver's text, e.g. "4.2.2 mailbox full", or
	                         relay's "550 5.1.1 peer text" */
	const char *enhanced; /* relay: "5.1.1", or NULL */
	const char *mta;      /* relay: the remote host, or NULL */
	bool is_dsn_passed;   /* relay: the peer took our DSN parameters */
};

struct qmgr_deliver;

/* Returns a client for the deliver socket at path (copied); it connects on
 * first use and keeps the connection. timeout is in seconds per read. */
struct qmgr_deliver *qmgr_deliver_new(const char *path, unsigned timeout);
/* Closes the connection and frees *c (set to NULL); accepts NULL. */
void qmgr_deliver_free(struct qmgr_deliver **c);
/* Asks deliver to deliver the queue file at queue_dir-relative path whose
 * envelope is env; fills results[0..env->rcpt_count) (texts from pool).
 * Returns 1 when deliver answered "done status=ok"; 0 when deliver cannot
 * be reached (nothing was delivered: try again later); -1 when the
 * connection broke or deliver failed mid-request, with *error_r (results
 * hold what arrived). */
int qmgr_deliver_run(struct qmgr_deliver *c, const struct queue_envelope *env,
                     const char *path, struct pool *pool,
                     struct qmgr_result *results, const char **error_r);

/* One request of a batch: env and path in, the rest out. */
struct qmgr_deliver_req {
	const struct queue_envelope *env;
	const char *path;
	struct qmgr_result *results; /* env->rcpt_count, zeroed by caller */
	int ret;           /* as qmgr_deliver_run returns */
	const char *error; /* with ret <= 0 */
};

/* Sends every request at once (deliver commits the waiting requests
 * together) and reads the replies in order; fills each req's ret, error
 * and results like qmgr_deliver_run. When the connection breaks, the
 * request being answered gets -1 and those behind it 0 (not looked at:
 * send them again later). */
void qmgr_deliver_run_batch(struct qmgr_deliver *c,
                            struct qmgr_deliver_req *reqs, size_t count,
                            struct pool *pool);

/* ---- The relay client (qmgr_relay.c) ------------------------------------ */

struct qmgr;
struct qmgr_relay;

/* Returns a client for the relay socket at path (copied); it connects on
 * first use, without blocking on relay's answers. */
struct qmgr_relay *qmgr_relay_new(struct qmgr *q, const char *path);
/* Closes and frees *r (set to NULL); messages in flight are forgotten
 * (they stay in active/, which the next start recovers). */
void qmgr_relay_free(struct qmgr_relay **r);
/* Asks relay to deliver recipients idx[0..count) of the queue file at the
 * queue_dir-relative path. Returns 0 when sent: qmgr_message_relayed()
 * follows once relay answered or the connection broke; -1 when relay
 * cannot be reached. */
int qmgr_relay_send(struct qmgr_relay *r, const struct queue_envelope *env,
                    const char *path, const size_t *idx, size_t count);
/* The number of messages relay is working on. */
size_t qmgr_relay_in_flight(const struct qmgr_relay *r);

/* ---- The manager (qmgr.c) ----------------------------------------------- */

struct qmgr_entry {
	char id[32];
	const char *state; /* "incoming" or "deferred" (static) */
};

/* A message deferred for lack of space, waiting for room. */
struct qmgr_space_wait {
	char id[32];
	uint64_t size; /* of the message */
	bool is_due;   /* there is room now: take it at the next scan */
};

struct qmgr {
	struct event_base *base;
	char *queue_dir;
	char *run_dir;
	unsigned run_interval; /* seconds */
	unsigned max_lifetime; /* seconds; 0 never expires */
	struct qmgr_deliver *deliver;
	struct qmgr_relay *relay;
	struct store *store;    /* to tell local DSN recipients; may be NULL */
	char *hostname;         /* Reporting-MTA of DSNs */
	unsigned min_backoff;   /* seconds: first retry after a tempfail */
	unsigned max_backoff;   /* retries double up to this */
	unsigned delay_warning; /* seconds; 0: no delay DSN */
	unsigned blob_grace;    /* seconds before an unreferenced blob goes */
	unsigned expunge_log_keep; /* rows per mailbox; 0: never prune */
	struct store_expiry_settings expiry; /* Trash/Junk expiry by role */
	char *data_dir;
	struct pool *pool; /* cleared after each message */

	struct qmgr_entry *work; /* the current scan, oldest first */
	size_t work_count, work_pos, work_cap;
	bool rescan_incoming, rescan_all;
	unsigned backoff; /* seconds; 0 while deliver answers */
	bool is_paused;   /* deliver unreachable: waiting for retry_ev */
	bool relay_logged;
	bool is_flushing; /* "flush": deferred mail is due now, this scan */

	struct qmgr_space_wait *space_wait; /* deferred for lack of space */
	size_t space_wait_count, space_wait_cap;

	int dgram_fd;
	struct event *dgram_ev, *timer_ev, *work_ev, *retry_ev, *maint_ev;
	struct event *term_ev, *int_ev, *space_ev;
	struct event *wake_ev; /* the next deferred message's due time */
	time_t wake_at;        /* when wake_ev fires; 0: not armed */

	/* signing and reports ([mailauth]; main.c copies them) */
	unsigned dkim_lifetime;   /* x= of signatures; 0: none */
	bool reports;             /* send DMARC and TLS-RPT reports */
	unsigned report_interval; /* seconds */
	char *report_from;        /* "" until main sets it */
	char *dns_server;         /* for RFC 7489 §7.1 checks */
	struct event *report_ev, *report_work_ev;
};

/* Sets up q: creates the queue folders when missing, moves active/ back
 * to incoming/ (a crash left it mid-delivery), removes tmp/ files older
 * than an hour, binds run/qmgr.sock and schedules the first scan. Returns
 * 0, or -1 with a static reason. */
int qmgr_init(struct qmgr *q, struct event_base *base, const char *data_dir,
              unsigned run_interval, unsigned max_lifetime,
              const char **error_r);
void qmgr_deinit(struct qmgr *q);
/* Runs the maintenance jobs every interval seconds. Returns 0 or -1. */
int qmgr_maintenance_start(struct qmgr *q, unsigned interval);
/* Queue file id (size bytes) was deferred because local delivery found no
 * room (QUEUE_STATUS_NO_SPACE): watch the free space of data_dir every
 * second, and once size + QUEUE_SPACE_MARGIN bytes are free, make it due
 * and scan, whatever its retry time. Kept in memory only: after a restart
 * such a message waits for its retry time like any other. */
void qmgr_space_wait_add(struct qmgr *q, const char *id, uint64_t size);
/* A message held for later (FUTURERELEASE) is due at t: scans the queue
 * then, unless a scan is set for earlier. So qmgr wakes at each release
 * time instead of polling. Retries keep to the run_interval scans. */
void qmgr_wake_at(struct qmgr *q, time_t t);
/* Returns true if deferred id is due because its space came back. */
bool qmgr_space_is_due(const struct qmgr *q, const char *id);
/* Stops waiting for id (it is being handled). */
void qmgr_space_forget(struct qmgr *q, const char *id);

/* ---- Expiry of Trash and Junk (qmgr_expire.c) --------------------------- */

/* Expires old mail of every account's mailboxes (q->expiry), logging one
 * line per mailbox that lost mail. Needs q->store; errors are logged. */
void qmgr_expire_run(struct qmgr *q, time_t now);

/* ---- One message (qmgr_message.c) --------------------------------------- */

/* Handles queue file id in state ("incoming" or "deferred"): a deferred
 * one only when its retry time has come or its lifetime is over. Returns 0
 * when done with it (delivered, deferred, skipped, or moved to corrupt/),
 * or -1 if deliver could not be reached (the file is back in state). */
int qmgr_message_process(struct qmgr *q, const char *id, const char *state,
                         time_t now);
/* qmgr_message_process for count entries at once: their deliver requests
 * go out together (pipelined), so deliver can commit them as one group.
 * Returns 0, or -1 if deliver could not be reached for one of them (each
 * such file is back in its state). */
int qmgr_message_process_batch(struct qmgr *q,
                               const struct qmgr_entry *entries, size_t count,
                               time_t now);
/* relay answered for active/id (results[0..count) indexed like the
 * envelope's recipients; NONE where it said nothing): marks, bounces,
 * then removes or defers the file. */
void qmgr_message_relayed(struct qmgr *q, const char *id,
                          const struct qmgr_result *results, size_t count);
/* The delay before retry number attempts+1: min_backoff doubled per
 * failed attempt, at most max_backoff. */
unsigned qmgr_backoff(const struct qmgr *q, unsigned attempts);

/* ---- Bounces (qmgr_bounce.c) -------------------------------------------- */

enum qmgr_dsn_kind { QMGR_DSN_FAILED, QMGR_DSN_DELAYED, QMGR_DSN_RELAYED };

struct qmgr_dsn_entry {
	size_t rcpt; /* index in the envelope */
	enum qmgr_dsn_kind kind;
	const char *status;     /* "5.1.1" */
	const char *mta;        /* remote host or NULL */
	const char *diagnostic; /* reply or reason, or NULL */
};

/* Queues a DSN (RFC 3464) from <> to env's sender about the entries whose
 * recipients asked for one (NOTIFY, RFC 3461 §4.1); nothing for a null
 * sender. fd is the queue file (for the original message). Returns 0
 * (also when nothing was due), or -1 after logging. */
int qmgr_bounce_send(struct qmgr *q, const struct queue_envelope *env, int fd,
                     const struct qmgr_dsn_entry *entries, size_t count,
                     time_t now);
/* Fills the recipient r of mail qmgr writes (a DSN, a report) for
 * address: local when the store takes it, else remote. */
struct queue_recipient;
void qmgr_rcpt_fill(struct qmgr *q, const char *address,
                    struct queue_recipient *r);

/* ---- Signing and reports (qmgr_report.c) -------------------------------- */

/* Appends a DKIM-Signature per key to out for msg[0..size) when domain,
 * or a parent of it up to its organisational domain, has keys in
 * data_dir/dkim (mailauth_keys_for). Returns the signing domain (static
 * until the next call), or NULL when nothing signed. */
const char *qmgr_sign(struct qmgr *q, const char *domain, const char *msg,
                      size_t size, struct buf *out);
/* Queues msg[0..size) from sender to rcpt as a new message, signed as
 * qmgr_sign does for sign_domain. Returns 0, or -1 after logging. */
int qmgr_queue_mail(struct qmgr *q, const char *sender, const char *rcpt,
                    const char *sign_domain, const char *msg, size_t size);
/* Starts the report timer ([mailauth] report_interval). */
void qmgr_report_start(struct qmgr *q);
/* Sends the reports gathered so far now (postroomctl report send-now). */
void qmgr_report_now(struct qmgr *q);
void qmgr_report_stop(struct qmgr *q);

#endif
