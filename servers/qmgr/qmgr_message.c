/* One queued message through qmgr: move it to active/, hand its pending
 * local recipients to deliver, write each recipient's fate into its status
 * byte, then remove the file (all done) or move it to deferred/ with the
 * next retry time. Recipients' marks and the schedule are synced before
 * the rename, so a crash can only repeat a delivery, which deliver's keys
 * make harmless. A file that does not parse goes to corrupt/. */
#include "qmgr/qmgr.h"
#include "core/log.h"
#include "core/pool.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const relay_reason = "relay not yet available";

static void message_corrupt(struct qmgr *q, const char *id, const char *state,
			    const char *error)
{
	const char *move_error;
	log_error(NULL, "corrupt id=%s state=%s error=%s", id, state, error);
	if (queue_move(q->queue_dir, id, state, "corrupt", &move_error) < 0)
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

static bool has_pending(const struct queue_envelope *env, bool local_only)
{
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status == QUEUE_RCPT_PENDING &&
		    (env->rcpts[i].is_local || !local_only))
			return true;
	}
	return false;
}

static bool is_expired(const struct qmgr *q, const struct queue_envelope *env,
		       time_t now)
{
	return q->max_lifetime > 0 &&
	       now - env->arrival >= (time_t)q->max_lifetime;
}

static void log_bounce_needed(const struct queue_envelope *env,
			      const struct queue_recipient *r,
			      const char *reason)
{
	/* XXX: a DSN (RFC 3464) must be queued to env->sender before this
	 * recipient is forgotten; the relay issue builds DSNs. Until then
	 * the failure is only logged. */
	log_warn(NULL, "bounce-needed id=%s to=<%s> reason=%s", env->id,
		 log_sanitize(r->address, 200), log_sanitize(reason, 200));
}

/* Marks recipient i failed (permanently); returns 0 or -1. */
static int rcpt_fail(int fd, struct queue_envelope *env, size_t i,
		     const char *reason)
{
	const char *error;
	if (queue_envelope_mark(fd, &env->rcpts[i], QUEUE_RCPT_FAILED,
				&error) < 0) {
		log_error(NULL, "mark-failed id=%s error=%s", env->id, error);
		return -1;
	}
	log_bounce_needed(env, &env->rcpts[i], reason);
	return 0;
}

/* Applies deliver's results; reasons[i] gets the tempfail text of each
 * recipient still pending. */
static void results_apply(int fd, struct queue_envelope *env,
			  const struct qmgr_result *results,
			  const char *fallback, const char **reasons)
{
	const char *error;
	for (size_t i = 0; i < env->rcpt_count; i++) {
		struct queue_recipient *r = &env->rcpts[i];
		if (r->status != QUEUE_RCPT_PENDING)
			continue;
		if (!r->is_local) {
			reasons[i] = relay_reason;
			continue;
		}
		switch (results[i].status) {
		case QMGR_RESULT_OK:
			if (queue_envelope_mark(fd, r, QUEUE_RCPT_DELIVERED,
						&error) < 0)
				log_error(NULL, "mark-failed id=%s error=%s",
					  env->id, error);
			break;
		case QMGR_RESULT_PERMFAIL:
			(void)rcpt_fail(fd, env, i, results[i].text);
			break;
		case QMGR_RESULT_TEMPFAIL:
			reasons[i] = results[i].text;
			break;
		case QMGR_RESULT_NONE:
			reasons[i] = fallback;
			break;
		}
	}
}

/* Removes the finished file, or defers it with attempts + 1. */
static void message_finish(struct qmgr *q, struct queue_envelope *env, int fd,
			   const char **reasons, time_t now)
{
	const char *error;
	if (!has_pending(env, false)) {
		if (queue_remove(q->queue_dir, "active", env->id, &error) < 0)
			log_error(NULL, "remove-failed id=%s error=%s", env->id,
				  error);
		else
			log_info(NULL, "removed id=%s", env->id);
		return;
	}
	env->attempts++;
	unsigned delay = queue_retry_delay(env->attempts);
	env->next_attempt = now + (time_t)delay;
	if (queue_envelope_set_schedule(fd, env, &error) < 0 ||
	    queue_envelope_sync(fd, &error) < 0 ||
	    queue_move(q->queue_dir, env->id, "active", "deferred", &error) < 0) {
		/* left in active/: the next start of qmgr retries it */
		log_error(NULL, "defer-failed id=%s error=%s", env->id, error);
		return;
	}
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].status != QUEUE_RCPT_PENDING)
			continue;
		log_info(NULL, "deferred id=%s to=<%s> attempts=%u delay=%u "
			 "reason=%s", env->id,
			 log_sanitize(env->rcpts[i].address, 200),
			 env->attempts, delay,
			 log_sanitize(reasons[i] != NULL ? reasons[i]
							 : relay_reason, 200));
	}
}

/* Returns true if a deferred message should be taken now. */
static bool deferred_is_due(struct qmgr *q, const char *id, time_t now)
{
	struct queue_envelope env;
	if (message_read(q, id, "deferred", &env, NULL) < 0)
		return false;
	if (is_expired(q, &env, now))
		return true;
	if (env.next_attempt > now && !q->is_flushing)
		return false;
	if (!has_pending(&env, true)) {
		if (!q->relay_logged)
			log_info(NULL, "waiting id=%s reason=%s (remote mail "
				 "stays in deferred/)", id, relay_reason);
		q->relay_logged = true;
		return false;
	}
	return true;
}

/* Delivers, marks and finishes an open active/ file. Returns -1 if deliver
 * was unreachable (the caller moves the file back). */
static int message_deliver(struct qmgr *q, struct queue_envelope *env, int fd,
			   time_t now)
{
	const char **reasons = pool_alloc(q->pool,
					  env->rcpt_count * sizeof(*reasons));
	const char *error = NULL;
	if (is_expired(q, env, now)) {
		for (size_t i = 0; i < env->rcpt_count; i++) {
			if (env->rcpts[i].status == QUEUE_RCPT_PENDING)
				(void)rcpt_fail(fd, env, i,
						"5.4.7 delivery time expired");
		}
	} else if (has_pending(env, true)) {
		struct qmgr_result *results =
			pool_alloc(q->pool, env->rcpt_count * sizeof(*results));
		char *path = pool_printf(q->pool, "active/%s", env->id);
		int ret = qmgr_deliver_run(q->deliver, env, path, q->pool,
					   results, &error);
		if (ret == 0) {
			log_warn(NULL, "deliver-unavailable id=%s error=%s",
				 env->id, error);
			return -1;
		}
		if (ret < 0)
			log_warn(NULL, "deliver-failed id=%s error=%s", env->id,
				 error);
		results_apply(fd, env, results,
			      error != NULL ? error : "no result from deliver",
			      reasons);
	} else {
		results_apply(fd, env, NULL, NULL, reasons);
	}
	message_finish(q, env, fd, reasons, now);
	return 0;
}

int qmgr_message_process(struct qmgr *q, const char *id, const char *state,
			 time_t now)
{
	struct queue_envelope env;
	const char *error;
	int fd = -1, ret = 0;
	if (strcmp(state, "deferred") == 0 && !deferred_is_due(q, id, now))
		goto out;
	if (queue_move(q->queue_dir, id, state, "active", &error) < 0) {
		if (errno != ENOENT)
			log_error(NULL, "move-failed id=%s error=%s", id, error);
		goto out;
	}
	if (message_read(q, id, "active", &env, &fd) < 0)
		goto out;
	if (message_deliver(q, &env, fd, now) < 0) {
		ret = -1;
		if (queue_move(q->queue_dir, id, "active", state, &error) < 0)
			log_error(NULL, "move-failed id=%s error=%s", id, error);
	}
	close(fd);
out:
	pool_clear(q->pool);
	return ret;
}
