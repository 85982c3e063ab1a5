/* qmgr's client of the deliver server: one kept UNIX stream connection to
 * run/deliver.sock, blocking with a read timeout, carrying core/ipc records
 * (deliver.h in servers/deliver gives the protocol). A batch of requests is
 * sent at once (pipelined) so deliver can commit them together; replies
 * come back in request order. A kept connection that turns out dead
 * (deliver restarted) is reopened once before giving up; repeating a
 * request is safe because deliver's delivery keys make it idempotent. */
#include "qmgr/qmgr.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct qmgr_deliver {
	char *path;
	int fd;
	unsigned timeout;
	struct buf in;
};

struct qmgr_deliver *qmgr_deliver_new(const char *path, unsigned timeout)
{
	struct qmgr_deliver *c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->fd = -1;
	c->timeout = timeout;
	buf_init(&c->in);
	return c;
}

static void deliver_close(struct qmgr_deliver *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_truncate(&c->in, 0);
}

void qmgr_deliver_free(struct qmgr_deliver **cp)
{
	struct qmgr_deliver *c = *cp;
	if (c == NULL)
		return;
	deliver_close(c);
	buf_deinit(&c->in);
	free(c->path);
	free(c);
	*cp = NULL;
}

static int deliver_connect(struct qmgr_deliver *c)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = c->timeout};
	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int saved = errno;
		deliver_close(c);
		errno = saved;
		return -1;
	}
	return 0;
}

static int send_all(int fd, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Reads one line into c->in; returns its length without LF (the caller
 * consumes length + 1), or -1 on EOF, timeout or an overlong line. */
static ssize_t read_line(struct qmgr_deliver *c)
{
	for (;;) {
		char *nl = memchr(c->in.data, '\n', c->in.len);
		if (nl != NULL)
			return nl - c->in.data;
		if (c->in.len > IPC_RECORD_MAX_LEN)
			return -1;
		buf_reserve(&c->in, 4096);
		ssize_t n = recv(c->fd, c->in.data + c->in.len, 4096, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	}
}

static enum qmgr_result_status status_parse(const char *status)
{
	if (status == NULL)
		return QMGR_RESULT_NONE;
	if (strcmp(status, "ok") == 0)
		return QMGR_RESULT_OK;
	if (strcmp(status, "permfail") == 0)
		return QMGR_RESULT_PERMFAIL;
	return QMGR_RESULT_TEMPFAIL;
}

/* Handles one reply record. Returns 1 on "done status=ok", 2 on "done"
 * with an error (*error_r), 0 to read on, -1 on a reply that makes no
 * sense. */
static int reply_handle(const struct ipc_record *rec,
                        const struct queue_envelope *env, struct pool *pool,
                        struct qmgr_result *results, const char **error_r)
{
	const char *id = ipc_record_get(rec, "id");
	const char *text = ipc_record_get(rec, "text");
	if (id == NULL || strcmp(id, env->id) != 0) {
		*error_r = "reply for another message";
		return -1;
	}
	if (strcmp(rec->verb, "done") == 0) {
		const char *status = ipc_record_get(rec, "status");
		if (status != NULL && strcmp(status, "ok") == 0)
			return 1;
		*error_r =
		    pool_strdup(pool, text != NULL ? text : "deliver failed");
		return 2;
	}
	const char *rcpt = ipc_record_get(rec, "rcpt");
	char *end;
	unsigned long idx = rcpt != NULL ? strtoul(rcpt, &end, 10) : 0;
	if (strcmp(rec->verb, "result") != 0 || rcpt == NULL || *end != '\0' ||
	    idx >= env->rcpt_count) {
		*error_r = "unexpected reply from deliver";
		return -1;
	}
	results[idx].status = status_parse(ipc_record_get(rec, "status"));
	results[idx].text = pool_strdup(pool, text != NULL ? text : "");
	return 0;
}

/* Reads the replies to one request until its "done". Returns 1 (done ok),
 * 0 (done with an error: *error_r; the connection stays usable), or -1
 * when the connection broke or the replies make no sense (*error_r). */
static int replies_read(struct qmgr_deliver *c,
                        const struct queue_envelope *env, struct pool *pool,
                        struct qmgr_result *results, size_t *count_r,
                        const char **error_r)
{
	for (;;) {
		struct ipc_record rec;
		ssize_t len = read_line(c);
		if (len < 0) {
			*error_r = "deliver connection lost";
			return -1;
		}
		int ret =
		    ipc_record_decode(c->in.data, (size_t)len, &rec, error_r);
		buf_consume(&c->in, (size_t)len + 1);
		if (ret == 0)
			ret = reply_handle(&rec, env, pool, results, error_r);
		ipc_record_deinit(&rec);
		if (ret != 0)
			return ret == 2 ? 0 : ret;
		(*count_r)++;
	}
}

static void reqs_fail(struct qmgr_deliver_req *reqs, size_t from, size_t count,
                      int ret, const char *error)
{
	for (size_t i = from; i < count; i++) {
		reqs[i].ret = ret;
		reqs[i].error = error;
	}
}

/* Sends reqs[next..count) on the connection (opening it when needed) and
 * reads their replies in order. Returns the index of the first request
 * still unanswered: count when all were, or less after the connection
 * broke (closed then; *is_retryable_r says that nothing at all came back
 * on a kept connection, which may have died before this batch). */
static size_t batch_send_read(struct qmgr_deliver *c,
                              struct qmgr_deliver_req *reqs, size_t next,
                              size_t count, const struct buf *lines,
                              const size_t *offsets, struct pool *pool,
                              bool *is_retryable_r)
{
	bool is_reused = c->fd >= 0;
	*is_retryable_r = false;
	if (!is_reused && deliver_connect(c) < 0) {
		reqs_fail(reqs, next, count, 0, "cannot connect to deliver");
		return count;
	}
	if (send_all(c->fd, lines->data + offsets[next],
	             offsets[count] - offsets[next]) < 0) {
		deliver_close(c);
		*is_retryable_r = is_reused;
		reqs_fail(reqs, next, count, 0, "deliver connection lost");
		return next;
	}
	for (size_t first = next; next < count; next++) {
		size_t n = 0;
		const char *error;
		int ret = replies_read(c, reqs[next].env, pool,
		                       reqs[next].results, &n, &error);
		if (ret >= 0) {
			reqs[next].ret = ret > 0 ? 1 : -1;
			reqs[next].error = ret > 0 ? NULL : error;
			continue;
		}
		deliver_close(c);
		*is_retryable_r = is_reused && next == first && n == 0;
		/* The request being answered failed (deliver may die on it
		 * again); the ones behind it were not looked at: back to the
		 * queue, to be sent again. */
		reqs[next].ret = -1;
		reqs[next].error = error;
		reqs_fail(reqs, next + 1, count, 0, "deliver connection lost");
		return next;
	}
	return count;
}

void qmgr_deliver_run_batch(struct qmgr_deliver *c,
                            struct qmgr_deliver_req *reqs, size_t count,
                            struct pool *pool)
{
	struct buf lines;
	size_t *offsets = pool_alloc(pool, (count + 1) * sizeof(*offsets));
	bool is_retryable;
	buf_init(&lines);
	for (size_t i = 0; i < count; i++) {
		struct ipc_record req;
		offsets[i] = lines.len;
		ipc_record_init(&req, "deliver");
		ipc_record_add(&req, "id", reqs[i].env->id);
		ipc_record_add(&req, "path", reqs[i].path);
		ipc_record_encode(&req, &lines);
		ipc_record_deinit(&req);
		reqs[i].ret = 0;
		reqs[i].error = NULL;
	}
	offsets[count] = lines.len;
	size_t next = batch_send_read(c, reqs, 0, count, &lines, offsets, pool,
	                              &is_retryable);
	/* a dead kept connection: deliver restarted meanwhile */
	if (next < count && is_retryable)
		(void)batch_send_read(c, reqs, next, count, &lines, offsets,
		                      pool, &is_retryable);
	buf_deinit(&lines);
}

int qmgr_deliver_run(struct qmgr_deliver *c, const struct queue_envelope *env,
                     const char *path, struct pool *pool,
                     struct qmgr_result *results, const char **error_r)
{
	struct qmgr_deliver_req req = {
	    .env = env, .path = path, .results = results};
	qmgr_deliver_run_batch(c, &req, 1, pool);
	*error_r = req.error;
	return req.ret;
}
