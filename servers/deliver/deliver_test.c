/* Tests of local delivery against a real store in a temporary folder: one
 * queued message with recipients that are delivered, over quota, unknown,
 * remote and already done; the blob carries Return-Path and the exact
 * queued bytes; a repeated request adds nothing; bad requests are refused;
 * a batch of requests is answered in order and committed together. */
#include "deliver/deliver.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"
#include "store/store.h"
#include "test/test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char *data_dir;
	char *queue_dir;
	struct store *store;
	struct deliver *deliver;
};

static void fixture_init(struct fixture *f)
{
	static int n;
	const char *error;
	f->data_dir = xasprintf("%s/d%d", test_tmpdir(), n++);
	f->queue_dir = xasprintf("%s/queue", f->data_dir);
	struct store_settings set = { .data_dir = f->data_dir };
	if (queue_dirs_create(f->queue_dir, &error) < 0 ||
	    store_open(&set, &f->store, &error) < 0 ||
	    store_domain_add(f->store, "example.org", &error) < 0 ||
	    store_account_add(f->store, "bob@example.org", "x", 0, &error) < 0 ||
	    store_account_add(f->store, "carol@example.org", "x", 10, &error) < 0 ||
	    store_account_add(f->store, "dave@example.org", "x", 0, &error) < 0)
		abort();
	f->deliver = deliver_new(f->store, f->queue_dir, 2);
}

static void fixture_deinit(struct fixture *f)
{
	deliver_free(&f->deliver);
	store_close(&f->store);
	free(f->queue_dir);
	free(f->data_dir);
}

/* Queues data for rcpts; returns the id in id_r. */
static void queue_message(struct fixture *f, struct queue_recipient *rcpts,
			  size_t count, const char *data, size_t size,
			  char id_r[QUEUE_ID_MAX])
{
	struct queue_envelope env = { .arrival = 1700000000,
				      .sender = "alice@example.net",
				      .rcpt_count = count, .rcpts = rcpts };
	struct queue_writer *w;
	const char *error;
	if (queue_writer_begin(f->queue_dir, &env, &w, &error) < 0 ||
	    queue_writer_write(w, data, size) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	memcpy(id_r, env.id, QUEUE_ID_MAX);
}

static void request(struct fixture *f, const char *id, struct buf *out)
{
	char *line = xasprintf("deliver id=%s path=incoming/%s", id, id);
	buf_truncate(out, 0);
	deliver_request(f->deliver, line, strlen(line), out);
	free(line);
}

struct listing {
	int count;
	uint64_t size;
	char blob_id[STORE_BLOB_ID_LEN + 1];
};

static int list_cb(const struct store_message *msg, void *ctx)
{
	struct listing *l = ctx;
	l->count++;
	l->size = msg->size;
	snprintf(l->blob_id, sizeof(l->blob_id), "%s", msg->blob_id);
	return 0;
}

static void inbox_list(struct fixture *f, const char *addr, struct listing *l)
{
	struct store_account *account;
	const char *error;
	memset(l, 0, sizeof(*l));
	if (store_account_open(f->store, addr, &account, &error) < 0)
		abort();
	store_message_list(account, "INBOX", 1, UINT32_MAX, list_cb, l);
	store_account_close(&account);
}

static void blob_read(struct fixture *f, const char *blob_id, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = store_blob_open(f->store, blob_id);
	buf_truncate(out, 0);
	while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	if (fd >= 0)
		close(fd);
}

static const char message[] = "Subject: hi\r\n\r\nhello\r\n";
static const char return_path[] = "Return-Path: <alice@example.net>\r\n";

static void mark_done(struct fixture *f, const char *id, size_t index)
{
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error;
	int fd;
	char *path = queue_path(f->queue_dir, "incoming", id);
	if (queue_envelope_read(path, pool, &env, &fd, &error) < 0 ||
	    queue_envelope_mark(fd, &env.rcpts[index], QUEUE_RCPT_DELIVERED,
				&error) < 0)
		abort();
	close(fd);
	free(path);
	pool_free(&pool);
}

static void test_deliver_recipients(void)
{
	test_begin("deliver: ok, over quota, unknown, remote, already done");
	struct fixture f;
	struct buf out, want, blob;
	char id[QUEUE_ID_MAX];
	fixture_init(&f);
	buf_init(&out);
	buf_init(&want);
	buf_init(&blob);
	struct queue_recipient rcpts[] = {
		{ .address = "bob@example.org", .is_local = true },
		{ .address = "carol@example.org", .is_local = true },
		{ .address = "nobody@example.org", .is_local = true },
		{ .address = "someone@far.example" },
		{ .address = "dave@example.org", .is_local = true },
	};
	queue_message(&f, rcpts, 5, message, sizeof(message) - 1, id);
	mark_done(&f, id, 4);
	request(&f, id, &out);
	buf_printf(&want,
		   "result id=%s rcpt=0 status=ok text=2.0.0%%20delivered\n"
		   "result id=%s rcpt=1 status=tempfail text=4.2.2%%20mailbox%%20full\n"
		   "result id=%s rcpt=2 status=permfail text=5.1.1%%20no%%20such%%20user\n"
		   "done id=%s status=ok\n", id, id, id, id);
	test_assert_str(out.data, want.data);

	struct listing l;
	inbox_list(&f, "bob@example.org", &l);
	test_assert_int(l.count, 1);
	test_assert_int(l.size, strlen(return_path) + sizeof(message) - 1);
	blob_read(&f, l.blob_id, &blob);
	buf_truncate(&want, 0);
	buf_printf(&want, "%s%s", return_path, message);
	test_assert_str(blob.data, want.data);
	inbox_list(&f, "dave@example.org", &l);
	test_assert_int(l.count, 0);

	/* the same request again: idempotent */
	request(&f, id, &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	inbox_list(&f, "bob@example.org", &l);
	test_assert_int(l.count, 1);
	buf_deinit(&out);
	buf_deinit(&want);
	buf_deinit(&blob);
	fixture_deinit(&f);
	test_end();
}

static void test_deliver_large(void)
{
	test_begin("deliver: a 5 MB message is streamed whole");
	struct fixture f;
	struct buf out, blob;
	char id[QUEUE_ID_MAX];
	fixture_init(&f);
	buf_init(&out);
	buf_init(&blob);
	size_t size = 5 * 1024 * 1024 + 17;
	char *data = xmalloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 23);
	struct queue_recipient rcpt = { .address = "bob@example.org",
					.is_local = true };
	queue_message(&f, &rcpt, 1, data, size, id);
	request(&f, id, &out);
	test_assert(strstr(out.data, "status=ok text=") != NULL);
	struct listing l;
	inbox_list(&f, "bob@example.org", &l);
	test_assert_int(l.size, strlen(return_path) + size);
	blob_read(&f, l.blob_id, &blob);
	test_assert(blob.len == strlen(return_path) + size &&
		    memcmp(blob.data + strlen(return_path), data, size) == 0);
	free(data);
	buf_deinit(&out);
	buf_deinit(&blob);
	fixture_deinit(&f);
	test_end();
}

/* A batch: three messages for bob and dave plus a bad request in the
 * middle, answered in request order with one result each; all rows are
 * there after the one call; the same batch again adds nothing (delivery
 * keys), as after a crash between commit and answer. */
static void test_deliver_batch(void)
{
	test_begin("deliver: a batch is committed together, repeat is a no-op");
	struct fixture f;
	struct buf out;
	char ids[3][QUEUE_ID_MAX];
	char *lines[4];
	size_t lens[4];
	fixture_init(&f);
	buf_init(&out);
	for (size_t i = 0; i < 3; i++) {
		struct queue_recipient rcpts[] = {
			{ .address = "bob@example.org", .is_local = true },
			{ .address = "dave@example.org", .is_local = true },
		};
		char *data = xasprintf("Subject: batch %zu\r\n\r\nbody\r\n", i);
		queue_message(&f, rcpts, 2, data, strlen(data), ids[i]);
		free(data);
	}
	for (size_t i = 0, j = 0; i < 4; i++) {
		if (i == 2) {
			lines[i] = xstrdup("deliver id=../x path=incoming/x");
		} else {
			lines[i] = xasprintf("deliver id=%s path=incoming/%s",
					     ids[j], ids[j]);
			j++;
		}
		lens[i] = strlen(lines[i]);
	}
	for (int round = 0; round < 2; round++) {
		buf_truncate(&out, 0);
		deliver_batch(f.deliver, (const char *const *)lines, lens, 4,
			      &out);
		/* replies in request order: 2 results + done, except the
		 * bad request's lone done */
		const char *p = out.data;
		for (size_t i = 0; i < 4; i++) {
			const char *id = i == 2 ? "-" : ids[i < 2 ? i : i - 1];
			int want = i == 2 ? 1 : 3;
			for (int k = 0; k < want; k++) {
				const char *want_verb = k == want - 1 ?
					"done id=" : "result id=";
				test_assert_idx(strncmp(p, want_verb,
						strlen(want_verb)) == 0 &&
					strncmp(p + strlen(want_verb), id,
						strlen(id)) == 0, i);
				if (k < want - 1)
					test_assert_idx(strstr(p, "status=ok") != NULL &&
						strstr(p, "status=ok") < strchr(p, '\n'), i);
				p = strchr(p, '\n');
				if (p == NULL)
					break;
				p++;
			}
			if (p == NULL)
				break;
		}
		test_assert(p != NULL && *p == '\0');
		struct listing l;
		inbox_list(&f, "bob@example.org", &l);
		test_assert_int(l.count, 3);
		inbox_list(&f, "dave@example.org", &l);
		test_assert_int(l.count, 3);
	}
	for (size_t i = 0; i < 4; i++)
		free(lines[i]);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_deliver_bad_requests(void)
{
	static const char *const rows[] = {
		"deliver id=0123456789ABCDEF0123456 path=incoming/0123456789ABCDEF0123456",
		"deliver id=0123456789ABCDEF0123456 path=../0123456789ABCDEF0123456",
		"deliver id=0123456789ABCDEF0123456 path=incoming/../../etc/passwd",
		"deliver id=../../x path=incoming/../../x",
		"frob id=0123456789ABCDEF0123456",
		"deliver id=0123456789ABCDEF0123456",
		"",
		"deliver id=%zz",
	};
	test_begin("deliver: bad requests answer done status=error");
	struct fixture f;
	struct buf out;
	fixture_init(&f);
	buf_init(&out);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_truncate(&out, 0);
		deliver_request(f.deliver, rows[i], strlen(rows[i]), &out);
		test_assert_idx(strncmp(out.data, "done id=", 8) == 0 &&
				strstr(out.data, " status=error") != NULL, i);
	}
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_deliver_recipients, test_deliver_large,
		test_deliver_bad_requests, test_deliver_batch, NULL,
	};
	return test_run(tests);
}
