/* Unit tests for the queue folders: moves, removal, listing oldest first
 * across states, the retry schedule, and the wake-up datagram. */
#include "queue/queue.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char *queue_one(const char *dir, const char *sender)
{
	struct queue_recipient rcpt = { .address = "a@b", .is_local = true };
	struct queue_envelope env = { .sender = sender, .rcpt_count = 1,
				      .rcpts = &rcpt };
	struct queue_writer *w;
	const char *error;
	if (queue_writer_begin(dir, &env, &w, &error) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	return xstrdup(env.id);
}

struct seen {
	int count;
	char states[8][16];
	char senders[8][16];
};

static void list_cb(const char *state, const struct queue_envelope *env,
		    void *ctx)
{
	struct seen *seen = ctx;
	if (seen->count < 8) {
		snprintf(seen->states[seen->count], 16, "%s", state);
		snprintf(seen->senders[seen->count], 16, "%s", env->sender);
	}
	seen->count++;
}

static void test_queue_move_list(void)
{
	test_begin("queue move, remove and list");
	const char *error;
	char *dir = xasprintf("%s/queue", test_tmpdir());
	test_assert(queue_dirs_create(dir, &error) == 0);
	char *id1 = queue_one(dir, "first");
	char *id2 = queue_one(dir, "second");
	char *id3 = queue_one(dir, "third");
	test_assert(queue_move(dir, id1, "incoming", "deferred",
			       QUEUE_DURABLE, &error) == 0);
	test_assert(queue_move(dir, id2, "incoming", "active",
			       QUEUE_NOSYNC, &error) == 0);
	test_assert(queue_move(dir, id2, "incoming", "active",
			       QUEUE_NOSYNC, &error) < 0);
	test_assert_int(errno, ENOENT);
	test_assert(queue_move(dir, "../x", "incoming", "active",
			       QUEUE_DURABLE, &error) < 0);

	struct seen seen = { 0 };
	test_assert_int(queue_list(dir, list_cb, &seen, &error), 3);
	test_assert_str(seen.senders[0], "first");
	test_assert_str(seen.states[0], "deferred");
	test_assert_str(seen.senders[1], "second");
	test_assert_str(seen.states[1], "active");
	test_assert_str(seen.senders[2], "third");
	test_assert_str(seen.states[2], "incoming");

	test_assert(queue_remove(dir, "active", id2, QUEUE_DURABLE,
				 &error) == 0);
	test_assert(queue_remove(dir, "active", id2, QUEUE_NOSYNC,
				 &error) < 0);
	/* a corrupt file is not listed */
	char *path = queue_path(dir, "incoming", id3);
	test_assert(truncate(path, 10) == 0);
	memset(&seen, 0, sizeof(seen));
	test_assert_int(queue_list(dir, list_cb, &seen, &error), 1);
	free(path);
	free(id1);
	free(id2);
	free(id3);
	free(dir);
	test_end();
}

static void test_queue_retry_delay(void)
{
	static const unsigned rows[][2] = {
		{ 1, 60 }, { 2, 300 }, { 3, 900 }, { 4, 1800 },
		{ 5, 3600 }, { 6, 3600 }, { 100, 3600 },
	};
	test_begin("queue retry schedule");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		test_assert_idx(queue_retry_delay(rows[i][0]) == rows[i][1], i);
	test_end();
}

static void test_queue_notify(void)
{
	test_begin("queue notify sends a datagram to run/qmgr.sock");
	const char *error;
	char *dir = xasprintf("%s/n/queue", test_tmpdir());
	char *run = xasprintf("%s/n/run", test_tmpdir());
	test_assert(queue_dirs_create(dir, &error) == 0);
	test_assert(mkdir(run, 0700) == 0);
	/* nobody listening: nothing happens */
	queue_notify(dir);

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/qmgr.sock", run);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	test_assert(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	queue_notify(dir);
	char got[16] = "";
	test_assert(recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT) == 3);
	test_assert_str(got, "new");
	close(fd);
	free(dir);
	free(run);
	test_end();
}

static char *queue_held(const char *dir, time_t release)
{
	struct queue_recipient rcpt = { .address = "a@b", .is_local = true };
	struct queue_envelope env = { .sender = "later", .rcpt_count = 1,
				      .rcpts = &rcpt, .release = release,
				      .release_request = "for;3600" };
	struct queue_writer *w;
	const char *error;
	if (queue_writer_begin(dir, &env, &w, &error) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	return xstrdup(env.id);
}

static bool queued_in(const char *dir, const char *state, const char *id)
{
	char *path = queue_path(dir, state, id);
	bool ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

static void test_queue_cancel_held(void)
{
	test_begin("a message held for later is canceled, no other");
	const char *error;
	char *dir = xasprintf("%s/cancel", test_tmpdir());
	time_t now = time(NULL);
	test_assert(queue_dirs_create(dir, &error) == 0);
	char *held = queue_held(dir, now + 3600);
	char *moved = queue_held(dir, now + 3600);
	char *due = queue_held(dir, now - 10);
	char *plain = queue_one(dir, "now");
	test_assert(queue_move(dir, moved, "incoming", "deferred",
			       QUEUE_NOSYNC, &error) == 0);
	test_assert(queue_move(dir, plain, "incoming", "active",
			       QUEUE_NOSYNC, &error) == 0);
	test_assert_int(queue_cancel_held(dir, held, now, &error), 1);
	test_assert(!queued_in(dir, "incoming", held));
	test_assert(!queued_in(dir, "tmp", held));
	test_assert_int(queue_cancel_held(dir, moved, now, &error), 1);
	test_assert(!queued_in(dir, "deferred", moved));
	/* due already: put back where it was */
	test_assert_int(queue_cancel_held(dir, due, now, &error), 0);
	test_assert(queued_in(dir, "incoming", due));
	test_assert(!queued_in(dir, "tmp", due));
	/* qmgr has it, or it is gone: untouched */
	test_assert_int(queue_cancel_held(dir, plain, now, &error), 0);
	test_assert(queued_in(dir, "active", plain));
	test_assert_int(queue_cancel_held(dir, held, now, &error), 0);
	test_assert_int(queue_cancel_held(dir, "../../etc", now, &error), 0);
	free(held);
	free(moved);
	free(due);
	free(plain);
	free(dir);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_queue_move_list, test_queue_retry_delay, test_queue_notify,
		test_queue_cancel_held, NULL,
	};
	return test_run(tests);
}
