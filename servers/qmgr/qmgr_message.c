/* One queued message through qmgr: move it to active/, hand its pending
 * local recipients to deliver and its remote ones to relay (the file then
 * waits in active/ for relay's answer), write each recipient's fate into
 * its status byte, queue a DSN for permanent failures (and a delay warning
 * once the message is delay_warning old), then remove the file (all done)
 * or move it to deferred/ with the next retry time (min_backoff doubling
 * up to max_backoff). Past max_lifetime every pending recipient fails.
 * Marks and the schedule are synced before the rename, so a crash can only
 * repeat a delivery. A file that does not parse goes to corrupt/. A
 * message whose local delivery found the disk full (4.3.1) waits for free
 * space instead of its retry time (qmgr_space_wait_add). */
#include "qmgr/qmgr.h"
#include "core/log.h"
#include "core/pool.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const relay_down = "4.4.0 relay not reachable";

struct qmgr_outcome {
	const char **reasons;           /* tempfail text per recipient */
	struct qmgr_dsn_entry *entries; /* failures and reports for a DSN */
	size_t entry_count;
};

unsigned qmgr_backoff(const struct qmgr *q, unsigned attempts)
{
	unsigned delay = q->min_backoff > 0 ? q->min_backoff : 300;
	unsigned max = q->max_backoff >= delay ? q->max_backoff : delay;
	for (unsigned i = 1; i < attempts && delay < max; i++)
		delay = delay > max / 2 ? max : delay * 2;
	return delay < max ? delay : max;
}

static void message_corrupt(struct qmgr *q, const char *id, const char *state,
                            const char *error)
{
	const char *move_error;
	log_error(NULL, "corrupt id=%s state=%s error=%s", id, state, error);
	if (queue_move(q->queue_dir, id, state, "corrupt", QUEUE_DURABLE,
	               &move_error) < 0)
		log_error(NULL, "move-failed id=%s to=corrupt error=%s", id,
		          move_error);
}

/* Reads state/id. Returns 0, or -1 after logging (and moving aside a
 * corrupt file). fd_r may be NULL. */
static int message_read(struct qmgr *q, const char *id, const char *state,
                        struct queue_envelope *env, int *fd_r)
{
	const char *error;
	char *path = queue_path(q->queue_dir, state, id);
	int ret = queue_envelope_read(path, q->pool, env, fd_r, &error);
	int saved = errno;
	free(path);
	if (ret == 0 && strcmp(env->id, id) != 0) {
		saved = EBADMSG;
		error = "id in file differs from its name";
		if (fd_r != NULL)
			close(*fd_r);
		ret = -1;
	}
	if (ret == 0)
		return 0;
	if (saved == EBADMSG)
		message_corrupt(q, id, state, error);
	else if (saved != ENOENT)
		log_error(NULL, "read-failed id=%s error=%s", id, error);
	return -1;
}

/* 0: any, 1: local only, 2: remote only */
static bool has_pending(const struct queue_envelope *env, int which)
{
	for (size_t i = 0; i < env->rcpt_count; i++) {
		const struct queue_recipient *r = &env->rcpts[i];
		if (r->status == QUEUE_RCPT_PENDING &&
		    (which == 0 || (which == 1) == r->is_local))
			return true;
	}
	return false;
}

/* When the message entered the queue for delivery: its arrival, or the
 * release time of a message held for later (RFC 4865), so a hold does not
 * eat its lifetime nor bring a delay warning. */
static time_t queued_since(const struct queue_envelope *env)
{
	return env->release > env->arrival ? env->release : env->arrival;
}

static bool is_expired(const struct qmgr *q, const struct queue_envelope *env,
                       time_t now)
{
	return q->max_lifetime > 0 &&
	       now - queued_since(env) >= (time_t)q->max_lifetime;
}

static struct qmgr_outcome *outcome_new(struct qmgr *q,
                                        const struct queue_envelope *env)
{
	struct qmgr_outcome *o = pool_alloc(q->pool, sizeof(*o));
	o->reasons =
	    pool_alloc(q->pool, (env->rcpt_count + 1) * sizeof(*o->reasons));
	o->entries =
	    pool_alloc(q->pool, (env->rcpt_count + 1) * sizeof(*o->entries));
	return o;
}

static void outcome_add(struct qmgr_outcome *o, size_t i,
                        enum qmgr_dsn_kind kind, const char *status,
                        const char *mta, const char *diagnostic)
{
	o->entries[o->entry_count++] = (struct qmgr_dsn_entry){
	    .rcpt = i,
	    .kind = kind,
	    .status = status,
	    .mta = mta,
	    .diagnostic = diagnostic,
	};
}

static void rcpt_mark(int fd, struct queue_envelope *env, size_t i, char st)
{
	const char *error;
	if (queue_envelope_mark(fd, &env->rcpts[i], st, &error) < 0)
		log_error(NULL, "mark-failed id=%s error=%s", env->id, error);
}

/* Takes "5.1.1" from text like "550 5.1.1 ..." or "5.1.1 ..."; else def. */
static const char *status_of(struct qmgr *q, const struct qmgr_result *res,
                             const char *def)
{
	if (res != NULL && res->enhanced != NULL && res->enhanced[0] != '\0')
		return res->enhanced;
	const char *t = res != NULL && res->text != NULL ? res->text : "";
	if (t[0] >= '2' && t[0] <= '5' && t[1] == '.')
		return pool_strndup(q->pool, t, strcspn(t, " "));
	return def;
}

/* Applies one recipient's result. */
static void result_apply(struct qmgr *q, int fd, struct queue_envelope *env,
                         size_t i, const struct qmgr_result *res,
                         const char *fallback, struct qmgr_outcome *o)
{
	struct queue_recipient *r = &env->rcpts[i];
	switch (res != NULL ? res->status : QMGR_RESULT_NONE) {
	case QMGR_RESULT_OK:
		rcpt_mark(fd, env, i, QUEUE_RCPT_DELIVERED);
		/* RFC 3461 §5.2.2: the peer has no DSN, so we report */
		if (!r->is_local && !res->is_dsn_passed)
			outcome_add(o, i, QMGR_DSN_RELAYED,
			            status_of(q, res, "2.0.0"), res->mta,
			            res->text);
		break;
	case QMGR_RESULT_PERMFAIL:
		rcpt_mark(fd, env, i, QUEUE_RCPT_FAILED);
		log_info(NULL, "bounced id=%s to=<%s> reason=%s", env->id,
		         log_sanitize(r->address, 200),
		         log_sanitize(res->text, 300));
		outcome_add(o, i, QMGR_DSN_FAILED, status_of(q, res, "5.0.0"),
		            res->mta, res->text);
		break;
	case QMGR_RESULT_TEMPFAIL:
		o->reasons[i] = res->text;
		break;
	case QMGR_RESULT_NONE:
		o->reasons[i] = fallback;
		break;
	}
}

/* Past max_lifetime: every pending recipient fails (RFC 5321 §4.5.4.1). */
static void message_expire(struct qmgr *q, int fd, struct queue_envelope *env,
                           struct qmgr_outcome *o)
{
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status != QUEUE_RCPT_PENDING)
			continue;
		rcpt_mark(fd, env, i, QUEUE_RCPT_FAILED);
		log_info(NULL, "expired id=%s to=<%s>", env->id,
		         log_sanitize(env->rcpts[i].address, 200));
		outcome_add(o, i, QMGR_DSN_FAILED, "4.4.7", NULL,
		            "delivery time expired: the message could not be "
		            "delivered within the queue lifetime");
	}
}

/* The first time a deferral finds the message delay_warning old. */
static bool delay_warning_due(const struct qmgr *q,
                              const struct queue_envelope *env, time_t now)
{
	time_t since = queued_since(env);
	if (q->delay_warning == 0 || env->sender[0] == '\0' ||
	    now - since < (time_t)q->delay_warning)
		return false;
	if (env->attempts == 0)
		return true;
	/* the previous deferral happened at next_attempt - its delay */
	time_t prev =
	    env->next_attempt - (time_t)qmgr_backoff(q, env->attempts);
	return prev - since < (time_t)q->delay_warning;
}

static void delay_warn(struct qmgr *q, struct queue_envelope *env, int fd,
                       struct qmgr_outcome *o, time_t now)
{
	struct qmgr_outcome *w = outcome_new(q, env);
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status == QUEUE_RCPT_PENDING)
			outcome_add(w, i, QMGR_DSN_DELAYED, "4.4.7", NULL,
			            o->reasons[i]);
	}
	(void)qmgr_bounce_send(q, env, fd, w->entries, w->entry_count, now);
}

/* DSNs, then removes the finished file or defers it with attempts + 1. */
static void message_finish(struct qmgr *q, struct queue_envelope *env, int fd,
                           struct qmgr_outcome *o, time_t now)
{
	const char *error;
	(void)qmgr_bounce_send(q, env, fd, o->entries, o->entry_count, now);
	if (!has_pending(env, 0)) {
		if (queue_remove(q->queue_dir, "active", env->id,
		                 QUEUE_NOSYNC, &error) < 0)
			log_error(NULL, "remove-failed id=%s error=%s", env->id,
			          error);
		else
			log_info(NULL, "removed id=%s", env->id);
		return;
	}
	if (delay_warning_due(q, env, now))
		delay_warn(q, env, fd, o, now);
	env->attempts++;
	unsigned delay = qmgr_backoff(q, env->attempts);
	env->next_attempt = now + (time_t)delay;
	if (queue_envelope_set_schedule(fd, env, &error) < 0 ||
	    queue_envelope_sync(fd, &error) < 0 ||
	    queue_move(q->queue_dir, env->id, "active", "deferred",
	               QUEUE_NOSYNC, &error) <
	        0) {
		/* left in active/: the next start of qmgr retries it */
		log_error(NULL, "defer-failed id=%s error=%s", env->id, error);
		return;
	}
	bool is_full = false;
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status != QUEUE_RCPT_PENDING)
			continue;
		is_full = is_full ||
		          (env->rcpts[i].is_local && o->reasons[i] != NULL &&
		           strncmp(o->reasons[i], QUEUE_STATUS_NO_SPACE,
		                   strlen(QUEUE_STATUS_NO_SPACE)) == 0);
		log_info(NULL,
		         "deferred id=%s to=<%s> attempts=%u delay=%u "
		         "reason=%s",
		         env->id, log_sanitize(env->rcpts[i].address, 200),
		         env->attempts, delay,
		         log_sanitize(o->reasons[i] != NULL ? o->reasons[i]
		                                            : "unknown",
		                      300));
	}
	/* deliver found no room: retry when there is, not after the backoff */
	if (is_full)
		qmgr_space_wait_add(q, env->id, env->data_size);
}

/* Returns true if a deferred message should be taken now. One held for
 * later (RFC 4865) makes sure qmgr wakes at its time; retries wait for
 * the run_interval scans as ever. "postroomctl queue flush" makes retries
 * due, not a message held for later: the sender chose its time;
 * "postroomctl queue release" sends one early. */
static bool deferred_is_due(struct qmgr *q, const char *id, time_t now)
{
	struct queue_envelope env;
	if (message_read(q, id, "deferred", &env, NULL) < 0)
		return false;
	if (queue_envelope_is_held(&env, now)) {
		qmgr_wake_at(q, env.next_attempt);
		return false;
	}
	if (is_expired(q, &env, now))
		return true;
	return env.next_attempt <= now || q->is_flushing;
}

/* Hands the pending remote recipients to relay. Returns 0 when relay
 * took them (the file waits in active/), -1 if relay is unreachable. */
static int message_relay(struct qmgr *q, struct queue_envelope *env, int fd,
                         struct qmgr_outcome *o)
{
	const char *error;
	size_t *idx = pool_alloc(q->pool, (env->rcpt_count + 1) * sizeof(*idx));
	size_t n = 0;
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status == QUEUE_RCPT_PENDING &&
		    !env->rcpts[i].is_local)
			idx[n++] = i;
	}
	/* local marks must be durable before relay's answer can come */
	if (queue_envelope_sync(fd, &error) < 0) {
		log_error(NULL, "sync-failed id=%s error=%s", env->id, error);
		return -1;
	}
	char *path = pool_printf(q->pool, "active/%s", env->id);
	if (qmgr_relay_send(q->relay, env, path, idx, n) < 0) {
		for (size_t i = 0; i < n; i++)
			o->reasons[idx[i]] = relay_down;
		return -1;
	}
	/* local failures are reported now; remote ones come later */
	(void)qmgr_bounce_send(q, env, fd, o->entries, o->entry_count,
	                       time(NULL));
	return 0;
}

/* One message of a batch, between qmgr_message_process_batch's steps. */
struct qmgr_job {
	const char *id, *state;
	struct queue_envelope env;
	int fd; /* active/id, or -1 when skipped */
	struct qmgr_outcome *o;
	struct qmgr_deliver_req *req; /* NULL: nothing for deliver */
};

/* A message held for later (FUTURERELEASE) that came in through
 * incoming/: it waits in deferred/ for its release time, which its
 * next_attempt already is. Returns true if job was such a message. */
static bool job_hold(struct qmgr *q, struct qmgr_job *job, time_t now)
{
	const char *error;
	char until[32] = "";
	struct tm tm;
	if (!queue_envelope_is_held(&job->env, now))
		return false;
	close(job->fd);
	job->fd = -1;
	if (queue_move(q->queue_dir, job->id, "active", "deferred",
	               QUEUE_NOSYNC, &error) < 0) {
		/* left in active/: the next start of qmgr holds it again */
		log_error(NULL, "hold-failed id=%s error=%s", job->id, error);
		return true;
	}
	if (gmtime_r(&job->env.next_attempt, &tm) != NULL)
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_info(NULL, "held id=%s until=%s request=%s", job->id, until,
	         log_sanitize(job->env.release_request != NULL
	                          ? job->env.release_request
	                          : "",
	                      100));
	qmgr_wake_at(q, job->env.next_attempt);
	return true;
}

/* Moves the message to active/ and reads it; expires it or prepares its
 * deliver request. Leaves job->fd -1 when there is nothing to do. */
static void job_open(struct qmgr *q, struct qmgr_job *job, time_t now)
{
	const char *error;
	job->fd = -1;
	if (strcmp(job->state, "deferred") == 0 &&
	    !qmgr_space_is_due(q, job->id) &&
	    !deferred_is_due(q, job->id, now))
		return;
	qmgr_space_forget(q, job->id); /* handled now; may come back */
	if (queue_move(q->queue_dir, job->id, job->state, "active",
	               QUEUE_NOSYNC, &error) < 0) {
		if (errno != ENOENT)
			log_error(NULL, "move-failed id=%s error=%s", job->id,
			          error);
		return;
	}
	if (message_read(q, job->id, "active", &job->env, &job->fd) < 0) {
		job->fd = -1;
		return;
	}
	if (job_hold(q, job, now))
		return;
	job->o = outcome_new(q, &job->env);
	if (is_expired(q, &job->env, now)) {
		message_expire(q, job->fd, &job->env, job->o);
	} else if (has_pending(&job->env, 1)) {
		job->req = pool_alloc(q->pool, sizeof(*job->req));
		job->req->env = &job->env;
		job->req->path = pool_printf(q->pool, "active/%s", job->id);
		job->req->results = pool_alloc(
		    q->pool, (job->env.rcpt_count + 1) * sizeof(struct qmgr_result));
	}
}

/* Marks deliver's results, hands remote recipients to relay, finishes.
 * Returns -1 if deliver was unreachable (the file is moved back). */
static int job_finish(struct qmgr *q, struct qmgr_job *job, time_t now)
{
	struct queue_envelope *env = &job->env;
	struct qmgr_deliver_req *req = job->req;
	const char *error;
	if (req != NULL && req->ret == 0) {
		log_warn(NULL, "deliver-unavailable id=%s error=%s", env->id,
		         req->error);
		if (queue_move(q->queue_dir, job->id, "active", job->state,
		               QUEUE_NOSYNC, &error) < 0)
			log_error(NULL, "move-failed id=%s error=%s", job->id,
			          error);
		return -1;
	}
	if (req != NULL && req->ret < 0)
		log_warn(NULL, "deliver-failed id=%s error=%s", env->id,
		         req->error);
	for (size_t i = 0; req != NULL && i < env->rcpt_count; i++) {
		if (env->rcpts[i].status == QUEUE_RCPT_PENDING &&
		    env->rcpts[i].is_local)
			result_apply(q, job->fd, env, i, &req->results[i],
			             req->error != NULL ? req->error
			                                : "no result from deliver",
			             job->o);
	}
	if (has_pending(env, 2) && !is_expired(q, env, now) &&
	    message_relay(q, env, job->fd, job->o) == 0)
		return 0;
	message_finish(q, env, job->fd, job->o, now);
	return 0;
}

int qmgr_message_process_batch(struct qmgr *q, const struct qmgr_entry *entries,
                               size_t count, time_t now)
{
	struct qmgr_job *jobs = pool_alloc(q->pool, count * sizeof(*jobs));
	struct qmgr_deliver_req *reqs =
	    pool_alloc(q->pool, count * sizeof(*reqs));
	size_t req_count = 0;
	int ret = 0;
	for (size_t i = 0; i < count; i++) {
		jobs[i].id = entries[i].id;
		jobs[i].state = entries[i].state;
		job_open(q, &jobs[i], now);
		if (jobs[i].req != NULL)
			reqs[req_count++] = *jobs[i].req;
	}
	if (req_count > 0)
		qmgr_deliver_run_batch(q->deliver, reqs, req_count, q->pool);
	for (size_t i = 0, r = 0; i < count; i++) {
		if (jobs[i].fd < 0)
			continue;
		if (jobs[i].req != NULL)
			*jobs[i].req = reqs[r++];
		if (job_finish(q, &jobs[i], now) < 0)
			ret = -1;
		close(jobs[i].fd);
	}
	pool_clear(q->pool);
	return ret;
}

int qmgr_message_process(struct qmgr *q, const char *id, const char *state,
                         time_t now)
{
	struct qmgr_entry e = {.state = state};
	snprintf(e.id, sizeof(e.id), "%s", id);
	return qmgr_message_process_batch(q, &e, 1, now);
}

void qmgr_message_relayed(struct qmgr *q, const char *id,
                          const struct qmgr_result *results, size_t count)
{
	struct queue_envelope env;
	int fd = -1;
	time_t now = time(NULL);
	if (message_read(q, id, "active", &env, &fd) < 0) {
		pool_clear(q->pool);
		return;
	}
	struct qmgr_outcome *o = outcome_new(q, &env);
	for (size_t i = 0; i < env.rcpt_count && i < count; i++) {
		if (env.rcpts[i].status == QUEUE_RCPT_PENDING &&
		    !env.rcpts[i].is_local)
			result_apply(q, fd, &env, i, &results[i],
			             "4.4.0 no answer from relay", o);
	}
	message_finish(q, &env, fd, o, now);
	close(fd);
	pool_clear(q->pool);
}
