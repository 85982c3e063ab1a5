/* Message bodies as immutable, content-addressed files:
 * data_dir/blobs/xx/<sha256 hex>, xx being the hash's first two digits.
 * A blob is written to blobs/tmp/, fsynced, renamed into place and its
 * folder fsynced before any row names it, so a committed row never points
 * at a missing or partial blob. An identical blob already present is kept
 * (its mtime refreshed, for a collector with a grace period) and the new
 * copy dropped. XXX: collecting unreferenced blobs is left to maintenance. */
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
	if (access(path, F_OK) == 0) {
		/* Same content already durable: keep it, drop ours. */
		(void)utimensat(AT_FDCWD, path, NULL, 0);
		ret = unlink(w->tmp_path);
		goto out;
	}
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
