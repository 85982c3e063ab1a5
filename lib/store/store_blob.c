/* Message bodies as immutable, content-addressed files:
 * data_dir/blobs/xx/<sha256 hex>, xx being the hash's first two digits.
 * A blob is written to blobs/tmp/, fsynced, renamed into place and its
 * folder fsynced before any row names it, so a committed row never points
 * at a missing or partial blob. A batch (deliver's group commit) does the
 * same for many blobs with two file system syncs: the data before any
 * rename, the names after. Only synced files are ever renamed into place,
 * but a name may not be durable yet (its batch has not synced): so an
 * identical blob found in place is trusted only after syncing it and its
 * folder again (cheap when clean), then kept (its mtime refreshed, for the
 * collector's grace period) and the new copy dropped. */
#include "core/digest.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct store_blob_writer {
	struct store *store;
	char *tmp_path;
	int fd;
	bool failed;
	uint64_t size;
	struct digest_sha256 *digest;
};

int store_blob_begin(struct store *store, struct store_blob_writer **w_r,
                     const char **error_r)
{
	static char error[256];
	char *path = xasprintf("%s/tmp/XXXXXX", store->blobs_dir);
	int fd = mkstemp(path);
	if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(error, sizeof(error), "mkstemp %s: %s", path,
		         strerror(errno));
		*error_r = error;
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return -1;
	}
	struct store_blob_writer *w = xcalloc(1, sizeof(*w));
	w->store = store;
	w->tmp_path = path;
	w->fd = fd;
	w->digest = digest_sha256_new();
	*w_r = w;
	return 0;
}

int store_blob_write(struct store_blob_writer *w, const void *data, size_t size)
{
	if (w->failed)
		return -1;
	if (file_write_all(w->fd, data, size) < 0) {
		w->failed = true;
		return -1;
	}
	digest_sha256_update(w->digest, data, size);
	w->size += size;
	return 0;
}

int store_blob_write_from(struct store_blob_writer *w,
                          const struct store_blob_writer *src)
{
	char chunk[65536];
	uint64_t off = 0;
	if (src->failed)
		return -1;
	while (off < src->size) {
		size_t n = src->size - off < sizeof(chunk)
		               ? (size_t)(src->size - off)
		               : sizeof(chunk);
		ssize_t r = pread(src->fd, chunk, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || store_blob_write(w, chunk, (size_t)r) < 0)
			return -1;
		off += (uint64_t)r;
	}
	return 0;
}

uint64_t store_blob_written(const struct store_blob_writer *w)
{
	return w->size;
}

void store_blob_abort(struct store_blob_writer **w)
{
	struct store_blob_writer *bw = *w;
	if (bw == NULL)
		return;
	if (bw->fd >= 0)
		close(bw->fd);
	if (bw->tmp_path != NULL)
		unlink(bw->tmp_path);
	free(bw->tmp_path);
	digest_sha256_free(&bw->digest);
	free(bw);
	*w = NULL;
}

/* Moves the synced temporary file to blobs/xx/<id>. Returns 0 or -1 with
 * errno. */
static int blob_place(struct store_blob_writer *w, const char *id)
{
	char *dir = xasprintf("%s/%.2s", w->store->blobs_dir, id);
	char *path = xasprintf("%s/%s", dir, id);
	int ret = -1;
	if (mkdir(dir, 0750) == 0) {
		if (file_fsync_dir(w->store->blobs_dir) < 0)
			goto out;
	} else if (errno != EEXIST) {
		goto out;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* Same content, but its name may not be durable yet. */
		(void)utimensat(AT_FDCWD, path, NULL, 0);
		int saved = 0;
		if (fsync(fd) < 0 || file_fsync_dir(dir) < 0)
			saved = errno;
		close(fd);
		errno = saved;
		ret = saved != 0 ? -1 : unlink(w->tmp_path);
		goto out;
	}
	if (errno != ENOENT)
		goto out;
	if (rename(w->tmp_path, path) < 0 || file_fsync_dir(dir) < 0)
		goto out;
	ret = 0;
out:
	free(dir);
	free(path);
	return ret;
}

int store_blob_finish(struct store_blob_writer **w,
                      char blob_id_r[STORE_BLOB_ID_LEN + 1], uint64_t *size_r,
                      const char **error_r)
{
	static char error[256];
	struct store_blob_writer *bw = *w;
	char id[DIGEST_SHA256_HEX_LEN + 1];
	if (bw->failed) {
		*error_r = "blob write failed";
		store_blob_abort(w);
		return -1;
	}
	if (fsync(bw->fd) < 0 || close(bw->fd) < 0) {
		bw->fd = -1;
		goto fail;
	}
	bw->fd = -1;
	digest_sha256_final_hex(bw->digest, id);
	if (blob_place(bw, id) < 0)
		goto fail;
	memcpy(blob_id_r, id, STORE_BLOB_ID_LEN + 1);
	if (size_r != NULL)
		*size_r = bw->size;
	free(bw->tmp_path);
	bw->tmp_path = NULL; /* renamed or removed */
	store_blob_abort(w);
	return 0;
fail:
	snprintf(error, sizeof(error), "blob %s: %s", bw->tmp_path,
	         strerror(errno));
	*error_r = error;
	store_blob_abort(w);
	return -1;
}

int store_blob_open(struct store *store, const char *blob_id)
{
	size_t len = strlen(blob_id);
	bool is_valid = len == STORE_BLOB_ID_LEN;
	for (size_t i = 0; is_valid && i < len; i++) {
		char c = blob_id[i];
		is_valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	}
	if (!is_valid) {
		errno = EINVAL;
		return -1;
	}
	char *path =
	    xasprintf("%s/%.2s/%s", store->blobs_dir, blob_id, blob_id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	return fd;
}

/* ---- Batches ------------------------------------------------------------ */

struct blob_batch_item {
	char *tmp_path;
	char id[STORE_BLOB_ID_LEN + 1];
};

struct store_blob_batch {
	struct store *store;
	struct blob_batch_item *items;
	size_t count, cap;
	int sync_fd; /* blobs/tmp, for file_sync_fs; -1 until first sync */
	char error[256];
};

struct store_blob_batch *store_blob_batch_new(struct store *store)
{
	struct store_blob_batch *b = xcalloc(1, sizeof(*b));
	b->store = store;
	b->sync_fd = -1;
	return b;
}

static void batch_clear(struct store_blob_batch *b)
{
	for (size_t i = 0; i < b->count; i++) {
		if (b->items[i].tmp_path != NULL)
			(void)unlink(b->items[i].tmp_path);
		free(b->items[i].tmp_path);
	}
	b->count = 0;
}

void store_blob_batch_free(struct store_blob_batch **bp)
{
	struct store_blob_batch *b = *bp;
	if (b == NULL)
		return;
	batch_clear(b);
	free(b->items);
	if (b->sync_fd >= 0)
		close(b->sync_fd);
	free(b);
	*bp = NULL;
}

int store_blob_batch_add(struct store_blob_batch *b,
                         struct store_blob_writer **w,
                         char blob_id_r[STORE_BLOB_ID_LEN + 1],
                         uint64_t *size_r, const char **error_r)
{
	struct store_blob_writer *bw = *w;
	if (bw->failed || close(bw->fd) < 0) {
		bw->fd = -1;
		*error_r = "blob write failed";
		store_blob_abort(w);
		return -1;
	}
	bw->fd = -1;
	if (b->count == b->cap) {
		b->cap = b->cap == 0 ? 16 : b->cap * 2;
		b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
	}
	struct blob_batch_item *item = &b->items[b->count++];
	digest_sha256_final_hex(bw->digest, item->id);
	item->tmp_path = bw->tmp_path;
	bw->tmp_path = NULL; /* the batch owns it now */
	memcpy(blob_id_r, item->id, sizeof(item->id));
	if (size_r != NULL)
		*size_r = bw->size;
	store_blob_abort(w);
	return 0;
}

/* Renames item into blobs/xx/<id>, or drops it when an identical blob is
 * there (made durable by the caller's next sync). Returns 0 or -1. */
static int batch_place(struct store_blob_batch *b, struct blob_batch_item *item)
{
	const char *blobs = b->store->blobs_dir;
	char *dir = xasprintf("%s/%.2s", blobs, item->id);
	char *path = xasprintf("%s/%s", dir, item->id);
	int ret = -1;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		goto out;
	if (access(path, F_OK) == 0) {
		(void)utimensat(AT_FDCWD, path, NULL, 0);
		ret = unlink(item->tmp_path);
	} else if (errno == ENOENT) {
		ret = rename(item->tmp_path, path);
	}
	if (ret == 0) {
		free(item->tmp_path);
		item->tmp_path = NULL;
	}
out:
	free(dir);
	free(path);
	return ret;
}

int store_blob_batch_sync(struct store_blob_batch *b, const char **error_r)
{
	const char *step = "open blobs/tmp";
	int ret = -1;
	if (b->count == 0)
		return 0;
	if (b->sync_fd < 0) {
		char *tmp = xasprintf("%s/tmp", b->store->blobs_dir);
		b->sync_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(tmp);
		if (b->sync_fd < 0)
			goto out;
	}
	/* The data first: only synced files are ever renamed into place. */
	step = "sync data";
	if (file_sync_fs(b->sync_fd) < 0)
		goto out;
	step = "rename";
	for (size_t i = 0; i < b->count; i++) {
		if (batch_place(b, &b->items[i]) < 0)
			goto out;
	}
	/* The names (and those of identical blobs found in place). */
	step = "sync names";
	if (file_sync_fs(b->sync_fd) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		snprintf(b->error, sizeof(b->error), "blob batch: %s: %s", step,
		         strerror(errno));
		*error_r = b->error;
	}
	batch_clear(b);
	return ret;
}
