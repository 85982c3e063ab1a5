/* The queue manager's loop: start-up recovery (active/ back to incoming/,
 * stale tmp/ files removed), the wake-up datagram socket run/qmgr.sock,
 * the run_interval timer, and the work list of one scan that is handled
 * up to QMGR_BATCH_MAX messages per loop turn (their deliver requests are
 * pipelined, for deliver's group commit). When deliver cannot be reached the work stops and
 * a retry timer backs off from 1 to 30 seconds; nothing is lost, since the
 * message goes back where it came from. Messages deferred for lack of space
 * are watched by a one-second timer and retried when room returns. */
#include "qmgr/qmgr.h"
#include "core/file.h"
#include "store/store_dav.h"
#include "store/store_gc.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define QMGR_TMP_MAX_AGE 3600
#define QMGR_DELIVER_TIMEOUT 600
#define QMGR_BACKOFF_MAX 30
#define QMGR_BATCH_MAX 32 /* messages handed to deliver at once */
#define QMGR_SPACE_CHECK_SECS 1

typedef void qmgr_dir_cb(struct qmgr *q, const char *name, void *ctx);

/* Calls cb for every entry of queue_dir/state except dot files. */
static void dir_walk(struct qmgr *q, const char *state, qmgr_dir_cb *cb,
                     void *ctx)
{
	char *dir = queue_path(q->queue_dir, state, "");
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_error(NULL, "opendir-failed dir=%s error=%s", dir,
		          strerror(errno));
		free(dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			cb(q, de->d_name, ctx);
	}
	closedir(d);
	free(dir);
}

static void recover_cb(struct qmgr *q, const char *name, void *ctx)
{
	const char *error;
	if (queue_move(q->queue_dir, name, "active", "incoming", QUEUE_NOSYNC,
		       &error) < 0)
		log_error(NULL, "recover-failed id=%s error=%s", name, error);
	else
		log_info(NULL, "recovered id=%s", name);
}

static void tmp_clean_cb(struct qmgr *q, const char *name, void *ctx)
{
	const time_t *now = ctx;
	struct stat st;
	char *path = queue_path(q->queue_dir, "tmp", name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime + QMGR_TMP_MAX_AGE < *now) {
		if (unlink(path) == 0)
			log_info(NULL, "removed-stale path=tmp/%s", name);
	}
	free(path);
}

static void work_add_cb(struct qmgr *q, const char *name, void *ctx)
{
	const char *state = ctx, *error;
	if (!queue_id_is_valid(name)) {
		log_error(NULL, "corrupt name=%s state=%s error=not a queue id",
		          log_sanitize(name, 64), state);
		if (queue_move(q->queue_dir, name, state, "corrupt",
			       QUEUE_DURABLE, &error) <
		    0)
			log_error(NULL, "move-failed error=%s", error);
		return;
	}
	if (q->work_count == q->work_cap) {
		q->work_cap = q->work_cap == 0 ? 64 : q->work_cap * 2;
		q->work = xrealloc(q->work, q->work_cap * sizeof(*q->work));
	}
	struct qmgr_entry *e = &q->work[q->work_count++];
	memcpy(e->id, name, QUEUE_ID_LEN + 1);
	e->state = state;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct qmgr_entry *x = a, *y = b;
	return strcmp(x->id, y->id);
}

/* Replaces the work list with incoming/ (and deferred/ if all), oldest
 * first, and starts on it. */
static void scan(struct qmgr *q, bool all)
{
	size_t first_deferred;
	q->work_count = q->work_pos = 0;
	q->rescan_incoming = false;
	q->rescan_all = q->rescan_all && !all;
	dir_walk(q, "incoming", work_add_cb, (void *)"incoming");
	first_deferred = q->work_count;
	if (all)
		dir_walk(q, "deferred", work_add_cb, (void *)"deferred");
	/* new mail first, then retries, each oldest first */
	if (first_deferred > 1)
		qsort(q->work, first_deferred, sizeof(*q->work), entry_cmp);
	if (q->work_count - first_deferred > 1)
		qsort(q->work + first_deferred, q->work_count - first_deferred,
		      sizeof(*q->work), entry_cmp);
	if (q->work_count > 0)
		event_active(q->work_ev, EV_TIMEOUT, 0);
}

static bool is_working(const struct qmgr *q)
{
	return q->work_pos < q->work_count;
}

static void work_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	if (q->is_paused || !is_working(q))
		return;
	size_t n = q->work_count - q->work_pos;
	if (n > QMGR_BATCH_MAX)
		n = QMGR_BATCH_MAX;
	struct qmgr_entry *e = &q->work[q->work_pos];
	q->work_pos += n;
	if (qmgr_message_process_batch(q, e, n, time(NULL)) < 0) {
		/* deliver is down: stop, and look again after a back-off */
		struct timeval tv = {.tv_sec = 0};
		q->backoff = q->backoff == 0 ? 1 : q->backoff * 2;
		if (q->backoff > QMGR_BACKOFF_MAX)
			q->backoff = QMGR_BACKOFF_MAX;
		tv.tv_sec = q->backoff;
		q->work_count = q->work_pos = 0;
		q->is_paused = true;
		event_add(q->retry_ev, &tv);
		return;
	}
	q->backoff = 0;
	if (is_working(q))
		event_active(q->work_ev, EV_TIMEOUT, 0);
	else if (q->rescan_all || q->rescan_incoming)
		scan(q, q->rescan_all);
	if (!is_working(q))
		q->is_flushing = false;
}

/* A deferred message's due time (qmgr_wake_at) has come. */
static void wake_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	q->wake_at = 0;
	if (q->is_paused)
		return; /* retry_cb scans */
	if (is_working(q))
		q->rescan_all = true;
	else
		scan(q, true);
}

void qmgr_wake_at(struct qmgr *q, time_t t)
{
	struct timeval now, tv;
	if (q->wake_ev == NULL || (q->wake_at != 0 && q->wake_at <= t))
		return;
	gettimeofday(&now, NULL);
	/* a few milliseconds past t, so the scan finds it due */
	int64_t usec = ((int64_t)t - (int64_t)now.tv_sec) * 1000000 -
	               (int64_t)now.tv_usec + 5000;
	if (usec < 0)
		usec = 0;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	q->wake_at = t;
	event_add(q->wake_ev, &tv);
}

static void retry_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	q->is_paused = false;
	scan(q, true);
}

static void dgram_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	char msg[64];
	ssize_t n;
	bool flush = false, report = false;
	while ((n = recv(fd, msg, sizeof(msg), 0)) >= 0) {
		flush = flush || (n == 5 && memcmp(msg, "flush", 5) == 0);
		report = report || (n == 6 && memcmp(msg, "report", 6) == 0);
	}
	if (report) /* postroomctl report send-now */
		qmgr_report_now(q);
	if (flush) {
		/* postroomctl queue flush: every deferred message is due */
		log_info(NULL, "flush requested");
		q->is_flushing = true;
		q->is_paused = false;
		q->backoff = 0;
	}
	if (q->is_paused)
		return;
	if (is_working(q)) {
		q->rescan_incoming = true;
		q->rescan_all = q->rescan_all || flush;
	} else {
		scan(q, flush);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	time_t now = time(NULL);
	dir_walk(q, "tmp", tmp_clean_cb, &now);
	if (q->is_paused)
		return;
	if (is_working(q))
		q->rescan_all = true;
	else
		scan(q, true);
}

/* Scheduled maintenance (maintenance_interval): expiry of Trash and Junk
 * (first, so the blobs it frees age from now), unreferenced blobs older
 * than blob_grace, and the QRESYNC expunge log of each mailbox (and the
 * tombstones of each DAV collection) beyond its expunge_log_keep newest
 * rows. Mail sent for later needs no job here: a
 * timer wakes the queue at its release time (qmgr_wake_at). */
static void maint_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	const char *error;
	size_t removed = 0, kept = 0;
	qmgr_expire_run(q, time(NULL));
	if (store_gc_blobs(q->data_dir, q->blob_grace, time(NULL), &removed,
	                   &kept, &error) < 0)
		log_error(NULL, "blob-gc-failed error=%s", error);
	else if (removed > 0)
		log_info(NULL, "blob-gc removed=%zu kept=%zu", removed, kept);
	if (q->expunge_log_keep == 0)
		return;
	size_t pruned = 0;
	if (store_gc_expunged(q->data_dir, q->expunge_log_keep, &pruned,
	                      &error) < 0)
		log_error(NULL, "expunge-log-prune-failed error=%s", error);
	if (pruned > 0)
		log_info(NULL, "expunge-log-pruned rows=%zu", pruned);
	/* the same for calendars and address books (RFC 6578 §3.2) */
	pruned = 0;
	if (store_dav_gc_tombstones(q->data_dir, q->expunge_log_keep, &pruned,
	                            &error) < 0)
		log_error(NULL, "dav-tombstones-prune-failed error=%s", error);
	if (pruned > 0)
		log_info(NULL, "dav-tombstones-pruned rows=%zu", pruned);
}

/* ---- Waiting for free space --------------------------------------------- */

static struct qmgr_space_wait *space_find(const struct qmgr *q, const char *id)
{
	for (size_t i = 0; i < q->space_wait_count; i++) {
		if (strcmp(q->space_wait[i].id, id) == 0)
			return &q->space_wait[i];
	}
	return NULL;
}

void qmgr_space_forget(struct qmgr *q, const char *id)
{
	struct qmgr_space_wait *w = space_find(q, id);
	if (w == NULL)
		return;
	*w = q->space_wait[--q->space_wait_count];
	if (q->space_wait_count == 0 && q->space_ev != NULL)
		event_del(q->space_ev);
}

bool qmgr_space_is_due(const struct qmgr *q, const char *id)
{
	const struct qmgr_space_wait *w = space_find(q, id);
	return w != NULL && w->is_due;
}

void qmgr_space_wait_add(struct qmgr *q, const char *id, uint64_t size)
{
	struct qmgr_space_wait *w = space_find(q, id);
	if (w == NULL) {
		if (q->space_wait_count == q->space_wait_cap) {
			q->space_wait_cap =
			    q->space_wait_cap == 0 ? 16 : q->space_wait_cap * 2;
			q->space_wait =
			    xrealloc(q->space_wait,
			             q->space_wait_cap * sizeof(*q->space_wait));
		}
		w = &q->space_wait[q->space_wait_count++];
		snprintf(w->id, sizeof(w->id), "%s", id);
	}
	w->size = size;
	w->is_due = false;
	log_info(NULL, "space-wait id=%s size=%llu", id,
	         (unsigned long long)size);
	struct timeval tv = {.tv_sec = QMGR_SPACE_CHECK_SECS};
	if (q->space_ev != NULL && !event_pending(q->space_ev, EV_TIMEOUT, NULL))
		event_add(q->space_ev, &tv);
}

/* Every second while messages wait for space: those that fit now become
 * due, and a scan takes them (with the other due ones). Waits for files
 * no longer in deferred/ are dropped. */
static void space_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	uint64_t free_bytes;
	size_t due = 0;
	if (file_free_space(q->data_dir, &free_bytes) < 0) {
		log_error(NULL, "statvfs-failed path=%s error=%s", q->data_dir,
		          strerror(errno));
		free_bytes = 0;
	}
	for (size_t i = 0; i < q->space_wait_count;) {
		struct qmgr_space_wait *w = &q->space_wait[i];
		char *path = queue_path(q->queue_dir, "deferred", w->id);
		bool is_there = access(path, F_OK) == 0;
		free(path);
		if (!is_there) { /* handled, held or deleted meanwhile */
			qmgr_space_forget(q, w->id);
			continue;
		}
		if (!w->is_due && w->size <= free_bytes &&
		    free_bytes - w->size >= QUEUE_SPACE_MARGIN) {
			w->is_due = true;
			due++;
		}
		i++;
	}
	if (q->space_wait_count > 0) {
		struct timeval tv = {.tv_sec = QMGR_SPACE_CHECK_SECS};
		event_add(q->space_ev, &tv);
	}
	if (due == 0)
		return;
	log_info(NULL, "space-returned free=%llu due=%zu",
	         (unsigned long long)free_bytes, due);
	if (q->is_paused)
		return; /* retry_cb scans */
	if (is_working(q))
		q->rescan_all = true;
	else
		scan(q, true);
}

static void signal_cb(evutil_socket_t sig, short what, void *ctx)
{
	struct qmgr *q = ctx;
	log_info(NULL, "stopping signal=%d", (int)sig);
	event_base_loopbreak(q->base);
}

/* Binds the wake-up socket, replacing a stale one. */
static int dgram_bind(struct qmgr *q, const char **error_r)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char *path = xasprintf("%s/qmgr.sock", q->run_dir);
	int ret = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*error_r = "socket path too long";
		goto out;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	q->dgram_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (q->dgram_fd < 0 || fcntl(q->dgram_fd, F_SETFL, O_NONBLOCK) < 0) {
		*error_r = "cannot create qmgr.sock";
		goto out;
	}
	(void)unlink(path);
	mode_t old = umask(0177);
	ret = bind(q->dgram_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0)
		*error_r = "cannot bind qmgr.sock";
out:
	free(path);
	return ret;
}

static int events_add(struct qmgr *q, const char **error_r)
{
	struct timeval interval = {.tv_sec = q->run_interval};
	q->dgram_ev =
	    event_new(q->base, q->dgram_fd, EV_READ | EV_PERSIST, dgram_cb, q);
	q->timer_ev = event_new(q->base, -1, EV_PERSIST, timer_cb, q);
	q->work_ev = event_new(q->base, -1, 0, work_cb, q);
	q->retry_ev = event_new(q->base, -1, 0, retry_cb, q);
	q->maint_ev = event_new(q->base, -1, EV_PERSIST, maint_cb, q);
	q->space_ev = event_new(q->base, -1, 0, space_cb, q);
	q->wake_ev = event_new(q->base, -1, 0, wake_cb, q);
	q->term_ev = evsignal_new(q->base, SIGTERM, signal_cb, q);
	q->int_ev = evsignal_new(q->base, SIGINT, signal_cb, q);
	if (q->dgram_ev == NULL || q->timer_ev == NULL || q->work_ev == NULL ||
	    q->retry_ev == NULL || q->term_ev == NULL || q->int_ev == NULL ||
	    q->maint_ev == NULL || q->space_ev == NULL || q->wake_ev == NULL ||
	    event_add(q->dgram_ev, NULL) < 0 ||
	    event_add(q->timer_ev, &interval) < 0 ||
	    event_add(q->term_ev, NULL) < 0 || event_add(q->int_ev, NULL) < 0) {
		*error_r = "cannot set up events";
		return -1;
	}
	return 0;
}

int qmgr_maintenance_start(struct qmgr *q, unsigned interval)
{
	struct timeval tv = {.tv_sec = interval > 0 ? interval : 3600};
	return event_add(q->maint_ev, &tv);
}

int qmgr_init(struct qmgr *q, struct event_base *base, const char *data_dir,
              unsigned run_interval, unsigned max_lifetime,
              const char **error_r)
{
	memset(q, 0, sizeof(*q));
	q->base = base;
	q->dgram_fd = -1;
	q->queue_dir = xasprintf("%s/queue", data_dir);
	q->run_dir = xasprintf("%s/run", data_dir);
	q->run_interval = run_interval > 0 ? run_interval : 60;
	q->max_lifetime = max_lifetime;
	/* defaults until main() copies the [queue] settings */
	q->min_backoff = 60;
	q->max_backoff = 3600;
	q->blob_grace = 86400;
	q->expunge_log_keep = 10000;
	q->expiry = (struct store_expiry_settings){
	    .trash_days = 30, .junk_days = 30, .batch = 500,
	    .max_per_run = 5000};
	q->data_dir = xstrdup(data_dir);
	q->hostname = xstrdup("localhost");
	q->pool = pool_new();
	char *sock = xasprintf("%s/deliver.sock", q->run_dir);
	q->deliver = qmgr_deliver_new(sock, QMGR_DELIVER_TIMEOUT);
	free(sock);
	sock = xasprintf("%s/relay.sock", q->run_dir);
	q->relay = qmgr_relay_new(q, sock);
	free(sock);
	if (queue_dirs_create(q->queue_dir, error_r) < 0)
		return -1;
	if (file_mkdirs(q->run_dir, 0700) < 0) {
		*error_r = "cannot create run folder";
		return -1;
	}
	if (dgram_bind(q, error_r) < 0 || events_add(q, error_r) < 0)
		return -1;
	time_t now = time(NULL);
	dir_walk(q, "active", recover_cb, NULL);
	dir_walk(q, "tmp", tmp_clean_cb, &now);
	scan(q, true);
	return 0;
}

void qmgr_deinit(struct qmgr *q)
{
	struct event **evs[] = {&q->dgram_ev, &q->timer_ev, &q->work_ev,
	                        &q->retry_ev, &q->term_ev,  &q->int_ev,
	                        &q->maint_ev, &q->space_ev, &q->wake_ev};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	if (q->dgram_fd >= 0) {
		char *path = xasprintf("%s/qmgr.sock", q->run_dir);
		(void)unlink(path);
		free(path);
		close(q->dgram_fd);
	}
	qmgr_report_stop(q);
	qmgr_deliver_free(&q->deliver);
	qmgr_relay_free(&q->relay);
	pool_free(&q->pool);
	free(q->data_dir);
	free(q->hostname);
	free(q->report_from);
	free(q->dns_server);
	free(q->work);
	free(q->space_wait);
	free(q->queue_dir);
	free(q->run_dir);
}
