/* Unit tests for queue file parsing and in-place updates: status bytes and
 * the retry schedule survive a reopen, and truncated or corrupted files
 * (every prefix of a valid file, and a table of edits) are rejected with
 * EBADMSG instead of crashing or being half-read. */
#include "queue/queue.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Queues a message with three recipients; returns its incoming path. */
static char *make_file(struct buf *contents)
{
	static int n;
	const char *error;
	char *dir = xasprintf("%s/e%d", test_tmpdir(), n++);
	struct queue_recipient rcpts[3] = {
		{ .address = "a@x", .is_local = true },
		{ .address = "b@x", .is_local = true, .detail = "d" },
		{ .address = "c@far" },
	};
	struct queue_envelope env = { .arrival = 42, .sender = "s@y",
				      .rcpt_count = 3, .rcpts = rcpts };
	struct queue_writer *w;
	if (queue_dirs_create(dir, &error) < 0 ||
	    queue_writer_begin(dir, &env, &w, &error) < 0 ||
	    queue_writer_write(w, "Subject: t\r\n\r\nbody\r\n", 20) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	char *path = queue_path(dir, "incoming", env.id);
	free(dir);
	if (contents != NULL && file_read_all(path, contents, 1 << 20) < 0)
		abort();
	return path;
}

static void test_envelope_mark(void)
{
	test_begin("queue envelope: marks and schedule survive reopen");
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error;
	int fd;
	char *path = make_file(NULL);
	test_assert(queue_envelope_read(path, pool, &env, &fd, &error) == 0);
	test_assert(queue_envelope_mark(fd, &env.rcpts[0], QUEUE_RCPT_DELIVERED,
					&error) == 0);
	test_assert(queue_envelope_mark(fd, &env.rcpts[2], QUEUE_RCPT_FAILED,
					&error) == 0);
	test_assert(env.rcpts[2].status == QUEUE_RCPT_FAILED);
	env.attempts = 7;
	env.next_attempt = 1999999999;
	test_assert(queue_envelope_set_schedule(fd, &env, &error) == 0);
	test_assert(queue_envelope_sync(fd, &error) == 0);
	close(fd);

	struct queue_envelope got;
	test_assert(queue_envelope_read(path, pool, &got, NULL, &error) == 0);
	test_assert(got.rcpts[0].status == QUEUE_RCPT_DELIVERED);
	test_assert(got.rcpts[1].status == QUEUE_RCPT_PENDING);
	test_assert(got.rcpts[2].status == QUEUE_RCPT_FAILED);
	test_assert_str(got.rcpts[1].detail, "d");
	test_assert_int(got.attempts, 7);
	test_assert_int(got.next_attempt, 1999999999);
	test_assert_int(got.data_size, 20);
	test_assert_int(got.arrival, 42);
	free(path);
	pool_free(&pool);
	test_end();
}

/* Writes data to a fresh file and expects the reader to reject it. */
static bool is_rejected(const char *data, size_t size, const char **error_r)
{
	static int n;
	struct pool *pool = pool_new();
	struct queue_envelope env;
	char *path = xasprintf("%s/bad%d", test_tmpdir(), n++);
	if (file_write_atomic(path, data, size, 0600) < 0)
		abort();
	int ret = queue_envelope_read(path, pool, &env, NULL, error_r);
	bool rejected = ret < 0 && errno == EBADMSG;
	/* the reason is from pool: keep a static copy for the caller */
	*error_r = ret < 0 ? "rejected" : "accepted";
	unlink(path);
	free(path);
	pool_free(&pool);
	return rejected;
}

static void test_envelope_truncated(void)
{
	test_begin("queue envelope: every truncation is rejected");
	struct buf file;
	const char *error;
	buf_init(&file);
	char *path = make_file(&file);
	for (size_t len = 0; len < file.len; len++)
		test_assert_idx(is_rejected(file.data, len, &error), len);
	test_assert(!is_rejected(file.data, file.len, &error));
	buf_append_str(&file, "x");
	test_assert(is_rejected(file.data, file.len, &error));
	buf_deinit(&file);
	free(path);
	test_end();
}

static const struct {
	const char *from; /* replaced once in a valid file */
	const char *to;
} corrupt_rows[] = {
	{ "postroom-queue version=1", "postroom-queue version=2" },
	{ "control id=", "control  id=" },
	{ " size=000", " size=00x" },
	{ " attempts=", " attempts:" },
	{ "envelope arrival=42", "envelope arrival=4x" },
	{ "envelope arrival=42 ", "envelope " },
	{ " sender=s@y", " sender=s@y color=red" },
	{ " sender=s@y", " sender=s@y%2" },
	{ " sender=s@y", " sender=s@y release=12x" },
	{ "rcpt status=-", "rcpt status=X" },
	{ "rcpt status=-", "rcpt status=%2D" },
	{ "rcpt status=- local=1", "rcpt status=- local=2" },
	{ "rcpt status=- local=1 address=a@x", "rcpt status=- local=1" },
	{ "rcpt status=- local=1 address=a@x", "rcpt status=- local=1 address=" },
	{ "rcpt status=-", "recipient status=-" },
	{ "\n\nSubject", "\nSubject" },
	{ "\n\nSubject", "\n\n\nSubject" },
};

static void test_envelope_corrupt(void)
{
	test_begin("queue envelope: corrupt files are rejected");
	struct buf file, bad;
	const char *error;
	buf_init(&file);
	buf_init(&bad);
	char *path = make_file(&file);
	for (size_t i = 0; i < sizeof(corrupt_rows) / sizeof(corrupt_rows[0]);
	     i++) {
		const char *at = strstr(file.data, corrupt_rows[i].from);
		test_assert_idx(at != NULL, i);
		if (at == NULL)
			continue;
		buf_truncate(&bad, 0);
		buf_append(&bad, file.data, (size_t)(at - file.data));
		buf_append_str(&bad, corrupt_rows[i].to);
		at += strlen(corrupt_rows[i].from);
		buf_append(&bad, at, file.len - (size_t)(at - file.data));
		test_assert_idx(is_rejected(bad.data, bad.len, &error), i);
	}
	/* a line with a NUL byte */
	buf_truncate(&bad, 0);
	buf_append(&bad, file.data, file.len);
	bad.data[strstr(bad.data, "sender=") - bad.data + 7] = '\0';
	test_assert(is_rejected(bad.data, bad.len, &error));
	/* no recipients at all */
	buf_truncate(&bad, 0);
	const char *rcpt = strstr(file.data, "rcpt ");
	const char *blank = strstr(file.data, "\n\n");
	buf_append(&bad, file.data, (size_t)(rcpt - file.data));
	buf_append_str(&bad, blank + 1);
	test_assert(is_rejected(bad.data, bad.len, &error));
	buf_deinit(&bad);
	buf_deinit(&file);
	free(path);
	test_end();
}

static void test_envelope_release(void)
{
	test_begin("queue envelope: a release time (RFC 4865) is kept and due");
	struct pool *pool = pool_new();
	struct queue_recipient rcpt = { .address = "a@x", .is_local = true };
	struct queue_envelope env = { .arrival = 1000, .sender = "s@y",
				      .rcpt_count = 1, .rcpts = &rcpt,
				      .release = 1300,
				      .release_request = "for;300" };
	struct queue_envelope got;
	struct queue_writer *w;
	const char *error;
	int fd;
	char *dir = xasprintf("%s/release", test_tmpdir());
	test_assert(queue_dirs_create(dir, &error) == 0);
	test_assert(queue_writer_begin(dir, &env, &w, &error) == 0);
	test_assert(queue_writer_write(w, "\r\n", 2) == 0);
	test_assert(queue_writer_commit(&w, &error) == 0);
	char *path = queue_path(dir, "incoming", env.id);
	test_assert(queue_envelope_read(path, pool, &got, &fd, &error) == 0);
	test_assert_int(got.release, 1300);
	test_assert_str(got.release_request, "for;300");
	/* the writer makes it due at its release, not before */
	test_assert_int(got.next_attempt, 1300);
	test_assert_int(got.attempts, 0);
	test_assert(queue_envelope_is_held(&got, 1000));
	test_assert(queue_envelope_is_held(&got, 1299));
	test_assert(!queue_envelope_is_held(&got, 1300));
	/* postroomctl queue release: due at once, though the time is ahead */
	got.next_attempt = 0;
	test_assert(queue_envelope_set_schedule(fd, &got, &error) == 0);
	close(fd);
	test_assert(queue_envelope_read(path, pool, &got, NULL, &error) == 0);
	test_assert(!queue_envelope_is_held(&got, 1000));
	/* a message without a hold is never held */
	got.release = 0;
	test_assert(!queue_envelope_is_held(&got, 0));
	free(path);
	free(dir);
	pool_free(&pool);
	test_end();
}

static void test_envelope_missing(void)
{
	test_begin("queue envelope: a missing file reports ENOENT");
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error;
	char *path = xasprintf("%s/nonexistent", test_tmpdir());
	test_assert(queue_envelope_read(path, pool, &env, NULL, &error) < 0);
	test_assert_int(errno, ENOENT);
	test_assert(strstr(error, "nonexistent") != NULL);
	free(path);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_envelope_mark, test_envelope_truncated,
		test_envelope_corrupt, test_envelope_release,
		test_envelope_missing, NULL,
	};
	return test_run(tests);
}
