/* The queue folders: creating them, moving files between states with
 * rename() and an fsync of the target folder, removing delivered files,
 * listing everything queued (postroomctl), the retry schedule, and the
 * wake-up datagram smtpd sends to qmgr (run/qmgr.sock). */
#include "queue/queue_private.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const queue_states[] = { "incoming", "active", "deferred",
					    "held" };
#define QUEUE_STATE_COUNT (sizeof(queue_states) / sizeof(queue_states[0]))

bool queue_id_is_valid(const char *id)
{
	size_t i;
	for (i = 0; id[i] != '\0'; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'A' && id[i] <= 'F')))
			return false;
	}
	return i == QUEUE_ID_LEN;
}

char *queue_path(const char *queue_dir, const char *state, const char *name)
{
	return xasprintf("%s/%s/%s", queue_dir, state, name);
}

int queue_dirs_create(const char *queue_dir, const char **error_r)
{
	static const char *const dirs[] = { "tmp", "incoming", "active",
					    "deferred", "corrupt", "held" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *path = queue_path(queue_dir, dirs[i], "");
		int ret = file_mkdirs(path, 0700);
		free(path);
		if (ret < 0) {
			*error_r = "cannot create queue folders";
			return -1;
		}
	}
	return 0;
}

static bool name_is_safe(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int queue_move(const char *queue_dir, const char *name, const char *from,
	       const char *to, enum queue_sync sync, const char **error_r)
{
	if (!name_is_safe(name)) {
		errno = EINVAL;
		*error_r = "bad queue file name";
		return -1;
	}
	char *old_path = queue_path(queue_dir, from, name);
	char *new_path = queue_path(queue_dir, to, name);
	char *to_dir = queue_path(queue_dir, to, "");
	int ret = rename(old_path, new_path);
	if (ret < 0)
		*error_r = errno == ENOENT ? "no such queue file"
					   : "cannot rename queue file";
	else if (sync == QUEUE_DURABLE && (ret = file_fsync_dir(to_dir)) < 0)
		*error_r = "fsync of queue folder failed";
	int saved = errno;
	free(old_path);
	free(new_path);
	free(to_dir);
	errno = saved;
	return ret;
}

int queue_remove(const char *queue_dir, const char *state, const char *name,
		 enum queue_sync sync, const char **error_r)
{
	if (!name_is_safe(name)) {
		*error_r = "bad queue file name";
		return -1;
	}
	char *path = queue_path(queue_dir, state, name);
	char *dir = queue_path(queue_dir, state, "");
	int ret = unlink(path);
	if (ret < 0)
		*error_r = "cannot remove queue file";
	else if (sync == QUEUE_DURABLE && (ret = file_fsync_dir(dir)) < 0)
		*error_r = "fsync of queue folder failed";
	free(path);
	free(dir);
	return ret;
}

unsigned queue_retry_delay(unsigned attempts)
{
	static const unsigned delays[] = { 60, 300, 900, 1800, 3600 };
	if (attempts == 0)
		attempts = 1;
	if (attempts > sizeof(delays) / sizeof(delays[0]))
		return 3600;
	return delays[attempts - 1];
}

static int qmgr_send(const char *queue_dir, const char *msg)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	char *path = xasprintf("%s/../run/qmgr.sock", queue_dir);
	size_t len = strlen(path);
	if (len >= sizeof(sun.sun_path)) {
		free(path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, len + 1);
	free(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a full socket buffer means qmgr has wake-ups pending anyway */
	int ret = -1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == 0 &&
	    sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun,
		   sizeof(sun)) >= 0)
		ret = 0;
	int saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

void queue_notify(const char *queue_dir)
{
	(void)qmgr_send(queue_dir, "new");
}

int queue_flush_request(const char *queue_dir)
{
	return qmgr_send(queue_dir, "flush");
}

int queue_report_request(const char *queue_dir)
{
	return qmgr_send(queue_dir, "report");
}

/* ---- Listing ------------------------------------------------------------ */

struct list_entry {
	char id[QUEUE_ID_MAX];
	size_t state;
};

struct list_ctx {
	struct list_entry *entries;
	size_t count, cap;
};

static int list_state(const char *queue_dir, size_t state,
		      struct list_ctx *ctx)
{
	char *dir = queue_path(queue_dir, queue_states[state], "");
	DIR *d = opendir(dir);
	free(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!queue_id_is_valid(de->d_name))
			continue;
		if (ctx->count == ctx->cap) {
			ctx->cap = ctx->cap == 0 ? 64 : ctx->cap * 2;
			ctx->entries = xrealloc(ctx->entries,
						ctx->cap * sizeof(*ctx->entries));
		}
		memcpy(ctx->entries[ctx->count].id, de->d_name,
		       QUEUE_ID_LEN + 1);
		ctx->entries[ctx->count++].state = state;
	}
	closedir(d);
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;
	return strcmp(x->id, y->id);
}

/* Reads one entry, following it to another state if it moved meanwhile.
 * Returns 1 if cb was called, 0 if it is gone or unreadable. */
static int list_one(const char *queue_dir, const struct list_entry *e,
		    struct pool *pool, queue_list_cb *cb, void *ctx)
{
	for (size_t i = 0; i < QUEUE_STATE_COUNT; i++) {
		size_t state = (e->state + i) % QUEUE_STATE_COUNT;
		struct queue_envelope env;
		const char *error;
		char *path = queue_path(queue_dir, queue_states[state], e->id);
		int ret = queue_envelope_read(path, pool, &env, NULL, &error);
		int saved = errno;
		free(path);
		if (ret == 0) {
			cb(queue_states[state], &env, ctx);
			return 1;
		}
		if (saved != ENOENT)
			return 0;
	}
	return 0;
}

int queue_list(const char *queue_dir, queue_list_cb *cb, void *ctx,
	       const char **error_r)
{
	struct list_ctx list = { 0 };
	for (size_t i = 0; i < QUEUE_STATE_COUNT; i++) {
		if (list_state(queue_dir, i, &list) < 0) {
			free(list.entries);
			*error_r = "cannot read queue folder";
			return -1;
		}
	}
	if (list.count > 0)
		qsort(list.entries, list.count, sizeof(*list.entries),
		      entry_cmp);
	struct pool *pool = pool_new();
	int count = 0;
	for (size_t i = 0; i < list.count; i++) {
		count += list_one(queue_dir, &list.entries[i], pool, cb, ctx);
		pool_clear(pool);
	}
	pool_free(&pool);
	free(list.entries);
	return count;
}
