/* Tests of qmgr's handling of one message against a fake deliver server
 * (a child process answering with canned results): marks written in
 * place, removal when all is done, deferral with the retry schedule, a
 * deliver that is down, expiry, remote-only mail, corrupt files, and a
 * message deferred for lack of space waiting for room, not its retry, and
 * a message held for later (FUTURERELEASE) until its release time. */
#include "qmgr/qmgr.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"
#include "test/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char *data_dir, *queue_dir, *sock_path;

/* Serves one connection at a time: answers every request with one result
 * per character of script ('o' ok, 't' tempfail, 'p' permfail, '.' none,
 * 'f' tempfail for lack of space). */
static void fake_deliver_serve(int lfd, const char *script)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(1);
		char line[4096];
		ssize_t n;
		while ((n = recv(fd, line, sizeof(line) - 1, 0)) > 0) {
			line[n] = '\0';
			char id[QUEUE_ID_MAX] = "";
			const char *at = strstr(line, "id=");
			if (at != NULL)
				snprintf(id, sizeof(id), "%.23s", at + 3);
			struct buf out;
			buf_init(&out);
			for (size_t i = 0; script[i] != '\0'; i++) {
				const char *status = script[i] == 'o' ? "ok"
				                     : script[i] == 'p'
				                         ? "permfail"
				                         : "tempfail";
				if (script[i] == 'f')
					buf_printf(&out,
					           "result id=%s rcpt=%zu "
					           "status=tempfail "
					           "text=4.3.1%%20full\n",
					           id, i);
				else if (script[i] != '.')
					buf_printf(&out,
					           "result id=%s rcpt=%zu "
					           "status=%s text=x%%20%c\n",
					           id, i, status, script[i]);
			}
			buf_printf(&out, "done id=%s status=ok\n", id);
			if (send(fd, out.data, out.len, MSG_NOSIGNAL) < 0)
				break;
			buf_deinit(&out);
		}
		close(fd);
	}
}

static pid_t fake_deliver_start(const char *script)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	unlink(sock_path);
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 4) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0)
		fake_deliver_serve(lfd, script);
	close(lfd);
	return pid;
}

static void fake_deliver_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sock_path);
}

static void qmgr_setup(struct qmgr *q)
{
	memset(q, 0, sizeof(*q));
	q->queue_dir = queue_dir;
	q->max_lifetime = 86400;
	q->pool = pool_new();
	q->deliver = qmgr_deliver_new(sock_path, 5);
	/* no relay listening: remote recipients are deferred */
	q->relay = qmgr_relay_new(q, "/nonexistent/relay.sock");
	q->min_backoff = 60;
	q->max_backoff = 3600;
	q->hostname = (char *)"qmgr.test";
}

static void qmgr_teardown(struct qmgr *q)
{
	qmgr_deliver_free(&q->deliver);
	qmgr_relay_free(&q->relay);
	pool_free(&q->pool);
}

/* Queues a message for rcpts ("l:addr" local, "r:addr" remote), held
 * until release when it is not 0 (FUTURERELEASE). */
static void queue_message_held(const char *const *rcpts, size_t count,
                               time_t arrival, time_t release,
                               char id_r[QUEUE_ID_MAX])
{
	struct queue_recipient r[8];
	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < count; i++) {
		r[i].address = rcpts[i] + 2;
		r[i].is_local = rcpts[i][0] == 'l';
	}
	struct queue_envelope env = {.arrival = arrival,
	                             .sender = "s@x",
	                             .rcpt_count = count,
	                             .rcpts = r,
	                             .release = release,
	                             .release_request = "for;300"};
	struct queue_writer *w;
	const char *error;
	if (queue_writer_begin(queue_dir, &env, &w, &error) < 0 ||
	    queue_writer_write(w, "x\r\n", 3) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	memcpy(id_r, env.id, QUEUE_ID_MAX);
}

static void queue_message(const char *const *rcpts, size_t count,
                          time_t arrival, char id_r[QUEUE_ID_MAX])
{
	queue_message_held(rcpts, count, arrival, 0, id_r);
}

/* Returns the status bytes of state/id ("" if the file is not there). */
static const char *statuses(const char *state, const char *id,
                            unsigned *attempts_r, time_t *next_r)
{
	static char got[16];
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error;
	char *path = queue_path(queue_dir, state, id);
	got[0] = '\0';
	if (queue_envelope_read(path, pool, &env, NULL, &error) == 0) {
		for (size_t i = 0; i < env.rcpt_count && i < 15; i++)
			got[i] = env.rcpts[i].status;
		got[env.rcpt_count] = '\0';
		*attempts_r = env.attempts;
		*next_r = env.next_attempt;
	}
	free(path);
	pool_free(&pool);
	return got;
}

static const struct {
	const char *script; /* the fake deliver's answers */
	const char *rcpts[4];
	size_t count;
	const char *state_after;  /* where the file is then */
	const char *status_after; /* its status bytes */
} process_rows[] = {
    {"oo", {"l:a@x", "l:b@x"}, 2, NULL, ""},
    {"otp", {"l:a@x", "l:b@x", "l:c@x"}, 3, "deferred", "D-F"},
    {"o", {"l:a@x", "r:far@y"}, 2, "deferred", "D-"},
    {"p", {"l:a@x"}, 1, NULL, ""},
    {".o", {"l:a@x", "l:b@x"}, 2, "deferred", "-D"},
    {"", {"r:far@y"}, 1, "deferred", "-"},
};

static void test_qmgr_process(void)
{
	test_begin("qmgr message: results marked, removed or deferred");
	time_t now = time(NULL);
	for (size_t i = 0; i < sizeof(process_rows) / sizeof(process_rows[0]);
	     i++) {
		struct qmgr q;
		char id[QUEUE_ID_MAX];
		unsigned attempts = 0;
		time_t next = 0;
		pid_t pid = fake_deliver_start(process_rows[i].script);
		qmgr_setup(&q);
		queue_message(process_rows[i].rcpts, process_rows[i].count, now,
		              id);
		test_assert_idx(
		    qmgr_message_process(&q, id, "incoming", now) == 0, i);
		const char *state = process_rows[i].state_after;
		if (state == NULL) {
			test_assert_idx(*statuses("incoming", id, &attempts,
			                          &next) == '\0' &&
			                    *statuses("active", id, &attempts,
			                              &next) == '\0',
			                i);
		} else {
			test_assert_str(statuses(state, id, &attempts, &next),
			                process_rows[i].status_after);
			test_assert_idx(attempts == 1 && next == now + 60, i);
		}
		qmgr_teardown(&q);
		fake_deliver_stop(pid);
	}
	test_end();
}

static void test_qmgr_deferred(void)
{
	test_begin("qmgr message: deferred retry, deliver down, expiry");
	static const char *const rcpts[] = {"l:a@x", "l:b@x"};
	time_t now = time(NULL);
	struct qmgr q;
	char id[QUEUE_ID_MAX];
	unsigned attempts;
	time_t next;
	pid_t pid = fake_deliver_start("ot");
	qmgr_setup(&q);
	queue_message(rcpts, 2, now, id);
	test_assert(qmgr_message_process(&q, id, "incoming", now) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	/* not due yet: untouched */
	test_assert(qmgr_message_process(&q, id, "deferred", now + 59) == 0);
	test_assert_int(attempts, 1);
	/* due: second attempt, min_backoff doubled */
	test_assert(qmgr_message_process(&q, id, "deferred", now + 60) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 2);
	test_assert_int(next, now + 60 + 120);
	/* deliver is down: back in deferred/, nothing counted */
	fake_deliver_stop(pid);
	test_assert(qmgr_message_process(&q, id, "deferred", now + 400) < 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 2);
	/* past max_lifetime: failed (bounce needed) and removed */
	test_assert(qmgr_message_process(&q, id, "deferred", now + 86400) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "");
	qmgr_teardown(&q);
	test_end();
}

static void test_qmgr_space_wait(void)
{
	test_begin("qmgr message: deferred for lack of space waits for room");
	static const char *const rcpts[] = {"l:a@x", "l:b@x"};
	time_t now = time(NULL);
	struct qmgr q;
	char id[QUEUE_ID_MAX], other[QUEUE_ID_MAX];
	unsigned attempts;
	time_t next;
	pid_t pid = fake_deliver_start("of");
	qmgr_setup(&q);
	queue_message(rcpts, 2, now, id);
	test_assert(qmgr_message_process(&q, id, "incoming", now) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(q.space_wait_count, 1);
	test_assert_str(q.space_wait[0].id, id);
	test_assert_int(q.space_wait[0].size, 3);
	/* no room yet: its retry time rules */
	test_assert(!qmgr_space_is_due(&q, id));
	test_assert(qmgr_message_process(&q, id, "deferred", now + 1) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 1);
	/* room came back (the space timer's verdict): taken at once, long
	 * before next; deferred again for space, so waiting again */
	q.space_wait[0].is_due = true;
	test_assert(qmgr_message_process(&q, id, "deferred", now + 1) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 2);
	test_assert_int(q.space_wait_count, 1);
	test_assert(!qmgr_space_is_due(&q, id));
	fake_deliver_stop(pid);
	/* another reason for a tempfail does not wait for space; handling a
	 * message ends its wait */
	pid = fake_deliver_start("ot");
	queue_message(rcpts, 2, now, other);
	test_assert(qmgr_message_process(&q, other, "incoming", now) == 0);
	test_assert_int(q.space_wait_count, 1);
	q.space_wait[0].is_due = true;
	test_assert(qmgr_message_process(&q, id, "deferred", now + 2) == 0);
	test_assert_int(q.space_wait_count, 0);
	test_assert_int(statuses("deferred", id, &attempts, &next)[1], '-');
	test_assert_int(attempts, 3);
	fake_deliver_stop(pid);
	free(q.space_wait);
	qmgr_teardown(&q);
	test_end();
}

static void test_qmgr_held(void)
{
	test_begin("qmgr message: held for later (RFC 4865) until its time");
	static const char *const rcpts[] = {"l:a@x", "r:far@y"};
	time_t now = time(NULL);
	struct qmgr q;
	char id[QUEUE_ID_MAX];
	unsigned attempts = 9;
	time_t next = 0;
	pid_t pid = fake_deliver_start("o");
	qmgr_setup(&q);
	queue_message_held(rcpts, 2, now, now + 300, id);
	/* from incoming/ straight to deferred/, nobody asked, no attempt */
	test_assert(qmgr_message_process(&q, id, "incoming", now) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "--");
	test_assert_int(attempts, 0);
	test_assert_int(next, now + 300);
	/* a flush does not release it */
	q.is_flushing = true;
	test_assert(qmgr_message_process(&q, id, "deferred", now + 299) == 0);
	q.is_flushing = false;
	test_assert_str(statuses("deferred", id, &attempts, &next), "--");
	test_assert_int(attempts, 0);
	/* its time: the local recipient delivered, the remote one tried */
	test_assert(qmgr_message_process(&q, id, "deferred", now + 300) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 1);
	/* its lifetime runs from the release, not the arrival */
	test_assert(qmgr_message_process(&q, id, "deferred", now + 86399) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "D-");
	test_assert_int(attempts, 2);
	test_assert(qmgr_message_process(&q, id, "deferred", now + 86700) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "");
	/* a release time already past when qmgr sees it: at once */
	queue_message_held(rcpts, 1, now - 10, now - 5, id);
	test_assert(qmgr_message_process(&q, id, "incoming", now) == 0);
	test_assert_str(statuses("deferred", id, &attempts, &next), "");
	qmgr_teardown(&q);
	fake_deliver_stop(pid);
	test_end();
}

static void test_qmgr_corrupt(void)
{
	test_begin("qmgr message: a corrupt file goes to corrupt/");
	static const char *const rcpts[] = {"l:a@x"};
	struct qmgr q;
	char id[QUEUE_ID_MAX];
	qmgr_setup(&q);
	queue_message(rcpts, 1, time(NULL), id);
	char *path = queue_path(queue_dir, "incoming", id);
	test_assert(truncate(path, 40) == 0);
	test_assert(qmgr_message_process(&q, id, "incoming", time(NULL)) == 0);
	char *moved = queue_path(queue_dir, "corrupt", id);
	test_assert(access(moved, F_OK) == 0);
	free(moved);
	free(path);
	qmgr_teardown(&q);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_qmgr_process, test_qmgr_deferred, test_qmgr_space_wait,
	    test_qmgr_held,    test_qmgr_corrupt,  NULL,
	};
	const char *error;
	data_dir = xasprintf("%s/data", test_tmpdir());
	queue_dir = xasprintf("%s/queue", data_dir);
	sock_path = xasprintf("%s/deliver.sock", data_dir);
	if (queue_dirs_create(queue_dir, &error) < 0)
		abort();
	int ret = test_run(tests);
	free(data_dir);
	free(queue_dir);
	free(sock_path);
	return ret;
}
