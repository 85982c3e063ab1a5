/* Unit tests for the queue writer: write, commit and read back every
 * envelope field (weird bytes, DSN fields, many recipients, large bodies),
 * ids that are unique and sorted, and a crash before commit that leaves
 * nothing visible in incoming/. */
#include "queue/queue.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *new_queue_dir(void)
{
	static int n;
	const char *error;
	char *dir = xasprintf("%s/q%d/queue", test_tmpdir(), n++);
	if (queue_dirs_create(dir, &error) < 0)
		abort();
	return dir;
}

static bool file_exists(const char *dir, const char *state, const char *id)
{
	char *path = queue_path(dir, state, id);
	bool ret = access(path, F_OK) == 0;
	free(path);
	return ret;
}

static int count_files(const char *dir, const char *state)
{
	char *path = queue_path(dir, state, "");
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;
	free(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Reads the message bytes of a queued file. */
static void read_data(const char *path, const struct queue_envelope *env,
		      struct buf *out)
{
	int fd = open(path, O_RDONLY);
	buf_reserve(out, env->data_size);
	ssize_t n = pread(fd, out->data, env->data_size, env->data_offset);
	out->len = n < 0 ? 0 : (size_t)n;
	out->data[out->len] = '\0';
	close(fd);
}

static const struct {
	const char *sender;
	const char *helo;
	const char *data;
} roundtrip_rows[] = {
	{ "alice@example.org", "mx.example.org", "Subject: x\r\n\r\nhi\r\n" },
	{ "", NULL, "" },
	{ "we ird=%20\x01\x7f\xc3\xa9@x", "h\r\ne lo %", "\r\n.\r\n\n\n" },
	{ "\"quoted local\"@x", "[127.0.0.1]", "a\0b" },
};

/* Compares what was read back with what was written (row i). */
static void check_envelope(const struct queue_envelope *got,
			   const struct queue_envelope *env, size_t i)
{
	test_assert_str(got->id, env->id);
	test_assert_int(got->arrival, env->arrival);
	test_assert_str(got->sender, env->sender);
	test_assert_str(got->ret, "HDRS");
	test_assert_str(got->envid, "QQ+2B1");
	test_assert_str(got->body, "8BITMIME");
	test_assert(got->smtputf8);
	test_assert_str(got->auth_user, "alice@example.org");
	test_assert_str(got->client_addr, "::1");
	test_assert_idx(env->helo == NULL ? got->helo == NULL
		       : strcmp(got->helo, env->helo) == 0, i);
	test_assert_int(got->attempts, 0);
	test_assert_int(got->rcpt_count, 2);
	test_assert_str(got->rcpts[0].address, "bob@example.org");
	test_assert_str(got->rcpts[0].original, "Bob+tag@Example.org");
	test_assert_str(got->rcpts[0].detail, "tag");
	test_assert_str(got->rcpts[0].orcpt,
		"rfc822;Bob+2Btag@Example.org");
	test_assert_str(got->rcpts[0].notify, "SUCCESS,FAILURE");
	test_assert(got->rcpts[0].is_local);
	test_assert(got->rcpts[0].status == QUEUE_RCPT_PENDING);
	test_assert_str(got->rcpts[1].address, "r\xc3\xa9mote=%@far.example");
	test_assert(got->rcpts[1].original == NULL);
	test_assert(!got->rcpts[1].is_local);
}

static void test_writer_roundtrip(void)
{
	test_begin("queue writer round-trip of every field");
	char *dir = new_queue_dir();
	for (size_t i = 0; i < sizeof(roundtrip_rows) / sizeof(roundtrip_rows[0]);
	     i++) {
		struct queue_recipient rcpts[2] = {
			{ .address = "bob@example.org",
			  .original = "Bob+tag@Example.org",
			  .detail = "tag",
			  .orcpt = "rfc822;Bob+2Btag@Example.org",
			  .notify = "SUCCESS,FAILURE",
			  .is_local = true },
			{ .address = "r\xc3\xa9mote=%@far.example" },
		};
		struct queue_envelope env = {
			.arrival = 1700000000 + (time_t)i,
			.sender = roundtrip_rows[i].sender,
			.ret = "HDRS", .envid = "QQ+2B1", .body = "8BITMIME",
			.smtputf8 = true, .auth_user = "alice@example.org",
			.client_addr = "::1", .helo = roundtrip_rows[i].helo,
			.rcpt_count = 2, .rcpts = rcpts,
		};
		struct queue_writer *w;
		const char *error;
		size_t size = strlen(roundtrip_rows[i].data) + (i == 3 ? 2 : 0);
		test_assert_idx(queue_writer_begin(dir, &env, &w, &error) == 0, i);
		test_assert_idx(queue_id_is_valid(env.id), i);
		test_assert_idx(queue_writer_write(w, roundtrip_rows[i].data,
						   size) == 0, i);
		test_assert_idx(queue_writer_commit(&w, &error) == 0, i);
		test_assert_idx(w == NULL, i);
		test_assert_idx(!file_exists(dir, "tmp", env.id), i);

		struct pool *pool = pool_new();
		struct queue_envelope got;
		char *path = queue_path(dir, "incoming", env.id);
		test_assert_idx(queue_envelope_read(path, pool, &got, NULL,
						    &error) == 0, i);
		check_envelope(&got, &env, i);
		test_assert_int(got.data_size, size);
		struct buf data;
		buf_init(&data);
		read_data(path, &got, &data);
		test_assert_idx(data.len == size &&
				memcmp(data.data, roundtrip_rows[i].data, size) == 0,
				i);
		buf_deinit(&data);
		free(path);
		pool_free(&pool);
	}
	free(dir);
	test_end();
}

static void test_writer_many_large(void)
{
	test_begin("queue writer: 1000 recipients and a 3 MB body");
	char *dir = new_queue_dir();
	struct queue_recipient *rcpts = xcalloc(1000, sizeof(*rcpts));
	char **addrs = xcalloc(1000, sizeof(*addrs));
	for (size_t i = 0; i < 1000; i++) {
		addrs[i] = xasprintf("user%zu@example.org", i);
		rcpts[i].address = addrs[i];
		rcpts[i].is_local = i % 2 == 0;
	}
	struct queue_envelope env = { .arrival = 1, .sender = "s@x",
				      .rcpt_count = 1000, .rcpts = rcpts };
	struct queue_writer *w;
	const char *error;
	test_assert(queue_writer_begin(dir, &env, &w, &error) == 0);
	/* odd-sized chunks cross the writer's buffer boundary */
	char chunk[7001];
	uint64_t total = 0;
	for (size_t i = 0; total < 3 * 1024 * 1024; i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		test_assert(queue_writer_write(w, chunk, sizeof(chunk)) == 0);
		total += sizeof(chunk);
	}
	test_assert(queue_writer_commit(&w, &error) == 0);
	struct pool *pool = pool_new();
	struct queue_envelope got;
	char *path = queue_path(dir, "incoming", env.id);
	test_assert(queue_envelope_read(path, pool, &got, NULL, &error) == 0);
	test_assert_int(got.rcpt_count, 1000);
	test_assert_int(got.data_size, total);
	for (size_t i = 0; i < got.rcpt_count; i++) {
		test_assert_idx(strcmp(got.rcpts[i].address, addrs[i]) == 0, i);
		test_assert_idx(got.rcpts[i].is_local == (i % 2 == 0), i);
	}
	struct buf data;
	buf_init(&data);
	read_data(path, &got, &data);
	test_assert(data.len == total && data.data[7001] == 'b');
	buf_deinit(&data);
	for (size_t i = 0; i < 1000; i++)
		free(addrs[i]);
	free(addrs);
	free(rcpts);
	free(path);
	pool_free(&pool);
	free(dir);
	test_end();
}

/* queue_writer_reframe: a prefix before what was written and a flag set
 * at the end, for a message still in the buffer and one on disk. */
static void test_writer_reframe(void)
{
	test_begin("queue writer: reframe with a prefix and quarantine");
	static const size_t sizes[] = {100, 200000};
	for (size_t k = 0; k < 2; k++) {
		char *dir = new_queue_dir();
		struct queue_recipient rcpt = { .address = "a@x",
						.is_local = true };
		struct queue_envelope env = { .arrival = 5, .sender = "s@x",
					      .rcpt_count = 1,
					      .rcpts = &rcpt };
		struct queue_writer *w;
		const char *error;
		test_assert(queue_writer_begin(dir, &env, &w, &error) == 0);
		struct buf want;
		buf_init(&want);
		buf_append_str(&want, "Authentication-Results: x; none\r\n");
		size_t prefix_len = want.len;
		for (size_t i = 0; i < sizes[k]; i++) {
			char c = (char)('a' + (char)(i % 26));
			buf_append_char(&want, c);
			test_assert(queue_writer_write(w, &c, 1) == 0);
		}
		env.is_quarantined = true;
		test_assert(queue_writer_reframe(w, &env, want.data,
						 prefix_len, &error) == 0);
		test_assert(queue_writer_commit(&w, &error) == 0);
		struct pool *pool = pool_new();
		struct queue_envelope got;
		char *path = queue_path(dir, "incoming", env.id);
		test_assert(queue_envelope_read(path, pool, &got, NULL,
						&error) == 0);
		test_assert(got.is_quarantined);
		test_assert_int(got.data_size, want.len);
		struct buf data;
		buf_init(&data);
		read_data(path, &got, &data);
		test_assert(data.len == want.len &&
			    memcmp(data.data, want.data, want.len) == 0);
		test_assert_int(count_files(dir, "tmp"), 0);
		buf_deinit(&data);
		buf_deinit(&want);
		free(path);
		pool_free(&pool);
		free(dir);
	}
	test_end();
}

/* The only file in dir/tmp: its inode number. */
static ino_t tmp_inode(const char *dir)
{
	char *path = queue_path(dir, "tmp", "");
	DIR *d = opendir(path);
	struct dirent *de;
	ino_t ino = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			char *file = xasprintf("%s/%s", path, de->d_name);
			struct stat st;
			if (stat(file, &st) == 0)
				ino = st.st_ino;
			free(file);
		}
	}
	if (d != NULL)
		closedir(d);
	free(path);
	return ino;
}

/* queue_writer_reserve: a large message reframed in place (same file, no
 * copy) with pad records, committed without a reframe, and a prefix too
 * large for the room (then copied). */
static void test_writer_reserve(void)
{
	test_begin("queue writer: reserved room for a head");
	static const size_t prefixes[] = {40, 0, 5000};
	for (size_t k = 0; k < 3; k++) {
		char *dir = new_queue_dir();
		struct queue_recipient rcpt = { .address = "a@x",
						.is_local = true };
		struct queue_envelope env = { .arrival = 5, .sender = "s@x",
					      .rcpt_count = 1,
					      .rcpts = &rcpt };
		struct queue_writer *w;
		const char *error;
		test_assert(queue_writer_begin(dir, &env, &w, &error) == 0);
		queue_writer_reserve(w, 4096);
		struct buf want, chunk;
		buf_init(&want);
		buf_init(&chunk);
		for (size_t i = 0; i < prefixes[k]; i++)
			buf_append_char(&want, (char)('A' + (char)(i % 26)));
		size_t prefix_len = want.len;
		for (size_t i = 0; i < 300000; i++)
			buf_append_char(&chunk, (char)('a' + (char)(i % 26)));
		buf_append(&want, chunk.data, chunk.len);
		test_assert(queue_writer_write(w, chunk.data, chunk.len) == 0);
		ino_t before = tmp_inode(dir);
		if (prefix_len > 0) {
			env.is_quarantined = true;
			test_assert(queue_writer_reframe(w, &env, want.data,
							 prefix_len,
							 &error) == 0);
			/* in place unless the prefix outgrew the room */
			test_assert((tmp_inode(dir) == before) ==
				    (prefix_len < 4096));
		}
		test_assert(queue_writer_commit(&w, &error) == 0);
		struct pool *pool = pool_new();
		struct queue_envelope got;
		char *path = queue_path(dir, "incoming", env.id);
		test_assert(queue_envelope_read(path, pool, &got, NULL,
						&error) == 0);
		test_assert(got.is_quarantined == (prefix_len > 0));
		test_assert_int(got.rcpt_count, 1);
		test_assert_int(got.data_size, want.len);
		struct buf data;
		buf_init(&data);
		read_data(path, &got, &data);
		test_assert(data.len == want.len &&
			    memcmp(data.data, want.data, want.len) == 0);
		struct stat st;
		test_assert(stat(path, &st) == 0 &&
			    (uint64_t)st.st_size ==
				(uint64_t)got.data_offset + want.len);
		buf_deinit(&data);
		buf_deinit(&want);
		buf_deinit(&chunk);
		free(path);
		pool_free(&pool);
		free(dir);
	}
	test_end();
}

static void test_writer_crash(void)
{
	test_begin("queue writer: uncommitted files stay out of incoming");
	char *dir = new_queue_dir();
	struct queue_recipient rcpt = { .address = "a@b" };
	struct queue_envelope env = { .sender = "", .rcpt_count = 1,
				      .rcpts = &rcpt };
	struct queue_writer *w;
	const char *error;
	test_assert(queue_writer_begin(dir, &env, &w, &error) == 0);
	test_assert(queue_writer_write(w, "x", 1) == 0);
	/* a crash here: the file is in tmp/ only */
	test_assert(file_exists(dir, "tmp", env.id));
	test_assert_int(count_files(dir, "incoming"), 0);
	char *path = queue_path(dir, "tmp", env.id);
	struct pool *pool = pool_new();
	struct queue_envelope got;
	/* unflushed and without its size: not a valid queue file */
	test_assert(queue_envelope_read(path, pool, &got, NULL, &error) < 0);
	queue_writer_abort(&w);
	test_assert(w == NULL);
	test_assert_int(count_files(dir, "tmp"), 0);
	queue_writer_abort(&w);

	env.rcpt_count = 0;
	test_assert(queue_writer_begin(dir, &env, &w, &error) < 0);
	test_assert_str(error, "envelope without recipients");
	test_assert_int(count_files(dir, "tmp"), 0);
	free(path);
	pool_free(&pool);
	free(dir);
	test_end();
}

static void test_writer_ids(void)
{
	test_begin("queue ids are unique and sorted by age");
	char *dir = new_queue_dir();
	struct queue_recipient rcpt = { .address = "a@b" };
	struct queue_envelope env = { .sender = "", .rcpt_count = 1,
				      .rcpts = &rcpt };
	char prev[QUEUE_ID_MAX] = "";
	for (int i = 0; i < 200; i++) {
		struct queue_writer *w;
		const char *error;
		test_assert_idx(queue_writer_begin(dir, &env, &w, &error) == 0, i);
		test_assert_idx(strcmp(prev, env.id) < 0, i);
		memcpy(prev, env.id, sizeof(prev));
		queue_writer_abort(&w);
	}
	test_assert(!queue_id_is_valid("0123"));
	test_assert(!queue_id_is_valid("0123456789abcdef0123456"));
	test_assert(queue_id_is_valid("0123456789ABCDEF0123456"));
	free(dir);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_writer_roundtrip, test_writer_many_large,
		test_writer_reframe, test_writer_reserve,
		test_writer_crash, test_writer_ids, NULL,
	};
	return test_run(tests);
}
