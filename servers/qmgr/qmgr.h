/* The queue manager: takes messages from incoming/ (oldest first) and, when
 * their retry time comes, from deferred/; moves each to active/, hands its
 * local recipients to deliver over run/deliver.sock, records every
 * recipient's fate in its status byte, then removes the file or defers it
 * with the retry schedule of queue_retry_delay(). Single-threaded on one
 * libevent loop: a wake-up datagram on run/qmgr.sock, a run_interval timer,
 * and one message handled per loop turn so SIGTERM is seen between them. */
#ifndef QMGR_QMGR_H
#define QMGR_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct event;
struct event_base;
struct pool;
struct queue_envelope;

/* ---- The deliver client (qmgr_deliver.c) -------------------------------- */

enum qmgr_result_status {
	QMGR_RESULT_NONE, /* deliver said nothing about this recipient */
	QMGR_RESULT_OK,
	QMGR_RESULT_TEMPFAIL,
	QMGR_RESULT_PERMFAIL,
};

struct qmgr_result {
	enum qmgr_result_status status;
	const char *text; /* deliver's text, e.g. "4.2.2 mailbox full" */
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

/* ---- The manager (qmgr.c) ----------------------------------------------- */

struct qmgr_entry {
	char id[32];
	const char *state; /* "incoming" or "deferred" (static) */
};

struct qmgr {
	struct event_base *base;
	char *queue_dir;
	char *run_dir;
	unsigned run_interval; /* seconds */
	unsigned max_lifetime; /* seconds; 0 never expires */
	struct qmgr_deliver *deliver;
	struct pool *pool; /* cleared after each message */

	struct qmgr_entry *work; /* the current scan, oldest first */
	size_t work_count, work_pos, work_cap;
	bool rescan_incoming, rescan_all;
	unsigned backoff; /* seconds; 0 while deliver answers */
	bool is_paused;   /* deliver unreachable: waiting for retry_ev */
	bool relay_logged;
	bool is_flushing; /* "flush": deferred mail is due now, this scan */

	int dgram_fd;
	struct event *dgram_ev, *timer_ev, *work_ev, *retry_ev;
	struct event *term_ev, *int_ev;
};

/* Sets up q: creates the queue folders when missing, moves active/ back
 * to incoming/ (a crash left it mid-delivery), removes tmp/ files older
 * than an hour, binds run/qmgr.sock and schedules the first scan. Returns
 * 0, or -1 with a static reason. */
int qmgr_init(struct qmgr *q, struct event_base *base, const char *data_dir,
	      unsigned run_interval, unsigned max_lifetime,
	      const char **error_r);
void qmgr_deinit(struct qmgr *q);

/* ---- One message (qmgr_message.c) --------------------------------------- */

/* Handles queue file id in state ("incoming" or "deferred"): a deferred
 * one only when its retry time has come or its lifetime is over. Returns 0
 * when done with it (delivered, deferred, skipped, or moved to corrupt/),
 * or -1 if deliver could not be reached (the file is back in state). */
int qmgr_message_process(struct qmgr *q, const char *id, const char *state,
			 time_t now);

#endif
