/* Writing a message into the queue (smtpd): tmp/<id> is created with
 * O_EXCL, filled, fsynced, then linked into incoming/ (link never
 * overwrites: on EEXIST a new id is written in place and linking retried)
 * and incoming/ is fsynced. Only then does commit return 0, the moment
 * smtpd may answer 250 (DESIGN.md, the promise; RFC 5321 §6.1). */
#include "queue/queue_private.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define WRITER_FLUSH_SIZE 65536
#define WRITER_ID_TRIES 100

struct queue_writer {
	char *queue_dir;
	char *tmp_path;
	char id[QUEUE_ID_MAX];
	int fd;
	bool failed;
	int failed_errno;     /* why the first write failed */
	struct buf out;       /* bytes not yet written to fd */
	uint64_t data_size;   /* message bytes so far */
	size_t env_len;       /* of the envelope, at the start of the file */
	bool has_flushed;     /* bytes reached fd */
	size_t reserve;       /* room left after the envelope for new fields */
	size_t data_off;      /* where the file's message bytes start */
	bool has_gap;         /* the head (envelope) is not in the file yet */
	struct buf head;      /* that head while has_gap */
};

/* the longest "pad" record line, and the shortest ("pad x=\n") */
#define WRITER_PAD_LINE_MAX 1024
#define WRITER_PAD_LINE_MIN 7

/* Makes a new id: microseconds since the epoch, pid, and a per-process
 * counter, all hex, so ids sort by age and never repeat across processes. */
static void queue_id_new(char id[QUEUE_ID_MAX])
{
	static unsigned counter;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	uint64_t usec = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	int n = snprintf(id, QUEUE_ID_MAX, "%013" PRIX64 "%06X%04X",
			 (uint64_t)(usec & 0xFFFFFFFFFFFFFu),
			 (unsigned)getpid() & 0xFFFFFFu, counter++ & 0xFFFFu);
	ASSERT(n == QUEUE_ID_LEN);
}

static void writer_free(struct queue_writer **wp)
{
	struct queue_writer *w = *wp;
	if (w->fd >= 0)
		close(w->fd);
	buf_deinit(&w->out);
	buf_deinit(&w->head);
	free(w->queue_dir);
	free(w->tmp_path);
	free(w);
	*wp = NULL;
}

/* Creates tmp/<id> exclusively, retrying with new ids. */
static int writer_create(struct queue_writer *w, const char **error_r)
{
	for (int i = 0; i < WRITER_ID_TRIES; i++) {
		queue_id_new(w->id);
		free(w->tmp_path);
		w->tmp_path = queue_path(w->queue_dir, "tmp", w->id);
		w->fd = open(w->tmp_path,
			     O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd >= 0)
			return 0;
		if (errno != EEXIST) {
			*error_r = "cannot create queue file";
			return -1;
		}
	}
	*error_r = "cannot find a free queue id";
	return -1;
}

int queue_writer_begin(const char *queue_dir, struct queue_envelope *env,
		       struct queue_writer **w_r, const char **error_r)
{
	struct queue_writer *w = xcalloc(1, sizeof(*w));
	w->queue_dir = xstrdup(queue_dir);
	w->fd = -1;
	buf_init(&w->out);
	buf_init(&w->head);
	if (writer_create(w, error_r) < 0) {
		writer_free(&w);
		return -1;
	}
	if (queue_envelope_encode(env, w->id, &w->out, error_r) < 0) {
		queue_writer_abort(&w);
		return -1;
	}
	w->env_len = w->data_off = w->out.len;
	memcpy(env->id, w->id, sizeof(w->id));
	*w_r = w;
	return 0;
}

void queue_writer_reserve(struct queue_writer *w, size_t size)
{
	ASSERT(!w->has_flushed && w->out.len == w->env_len);
	w->reserve = size < WRITER_PAD_LINE_MIN ? WRITER_PAD_LINE_MIN : size;
}

/* The first flush of a writer with a reserve: the envelope stays in
 * memory, the message goes after a hole (no blocks used) for the head. */
static int writer_open_gap(struct queue_writer *w)
{
	buf_append(&w->head, w->out.data, w->env_len);
	buf_consume(&w->out, w->env_len);
	w->data_off = w->env_len + w->reserve;
	w->has_gap = true;
	if (lseek(w->fd, (off_t)w->data_off, SEEK_SET) < 0) {
		w->failed = true;
		w->failed_errno = errno;
		return -1;
	}
	return 0;
}

static int writer_flush(struct queue_writer *w)
{
	if (w->out.len == 0)
		return 0;
	if (!w->has_flushed && w->reserve > 0 && writer_open_gap(w) < 0)
		return -1;
	w->has_flushed = true;
	if (file_write_all(w->fd, w->out.data, w->out.len) < 0) {
		w->failed = true;
		w->failed_errno = errno;
		return -1;
	}
	buf_truncate(&w->out, 0);
	return 0;
}

int queue_writer_write(struct queue_writer *w, const void *data, size_t size)
{
	if (w->failed) {
		errno = w->failed_errno;
		return -1;
	}
	w->data_size += size;
	if (w->out.len + size < WRITER_FLUSH_SIZE) {
		buf_append(&w->out, data, size);
		return 0;
	}
	if (writer_flush(w) < 0)
		return -1;
	w->has_flushed = true;
	if (file_write_all(w->fd, data, size) < 0) {
		w->failed = true;
		w->failed_errno = errno;
		return -1;
	}
	return 0;
}

/* Makes env_bytes[0..env_size) (an encoded envelope, ending in its blank
 * line) and prefix exactly gap bytes long with "pad" records before the
 * blank line. Returns 0, or -1 when they do not fit. */
static int gap_head(const char *env_bytes, size_t env_size,
		    const void *prefix, size_t size, size_t gap,
		    struct buf *out)
{
	size_t need = env_size + size;
	if (need > gap || (need < gap && gap - need < WRITER_PAD_LINE_MIN))
		return -1;
	buf_append(out, env_bytes, env_size - 1); /* without the blank line */
	for (size_t left = gap - need; left > 0;) {
		size_t n = left <= WRITER_PAD_LINE_MAX ? left
			   : left - WRITER_PAD_LINE_MAX >= WRITER_PAD_LINE_MIN
				 ? WRITER_PAD_LINE_MAX
				 : left - WRITER_PAD_LINE_MIN;
		buf_append_str(out, "pad x=");
		for (size_t i = 0; i < n - WRITER_PAD_LINE_MIN; i++)
			buf_append_char(out, '0');
		buf_append_char(out, '\n');
		left -= n;
	}
	buf_append_char(out, '\n');
	buf_append(out, prefix, size);
	ASSERT(out->len == gap);
	return 0;
}

/* Fills the hole before the message with head[0..size); the file then
 * has no gap. Returns 0, or -1 with errno set. */
static int writer_fill_gap(struct queue_writer *w, const struct buf *head)
{
	if (pwrite(w->fd, head->data, head->len, 0) != (ssize_t)head->len)
		return -1;
	w->has_gap = false;
	buf_truncate(&w->head, 0);
	return 0;
}

/* Writes head, then the message of the current file, to tmp/<id>.new and
 * renames it over tmp/<id>. */
static int writer_rewrite(struct queue_writer *w, const struct buf *head,
			  const char **error_r)
{
	char *path = xasprintf("%s.new", w->tmp_path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(path);
		*error_r = "cannot create queue file";
		return -1;
	}
	if (file_write_all(fd, head->data, head->len) < 0 ||
	    file_copy_rest(w->fd, (off_t)w->data_off, fd) < 0 ||
	    rename(path, w->tmp_path) < 0) {
		int saved = errno;
		close(fd);
		(void)unlink(path);
		free(path);
		errno = saved;
		*error_r = "cannot rewrite queue file";
		return -1;
	}
	free(path);
	close(w->fd);
	w->fd = fd;
	w->has_gap = false;
	return 0;
}

int queue_writer_reframe(struct queue_writer *w,
			 const struct queue_envelope *env, const void *prefix,
			 size_t size, const char **error_r)
{
	struct buf head;
	if (w->failed) {
		errno = w->failed_errno;
		*error_r = "cannot write queue file";
		return -1;
	}
	buf_init(&head);
	if (queue_envelope_encode(env, w->id, &head, error_r) < 0) {
		buf_deinit(&head);
		errno = EINVAL;
		return -1;
	}
	size_t env_len = head.len;
	buf_append(&head, prefix, size);
	if (!w->has_flushed) {
		buf_append(&head, w->out.data + w->env_len,
			   w->out.len - w->env_len);
		buf_deinit(&w->out);
		w->out = head;
		w->data_off = env_len;
	} else {
		struct buf filled;
		buf_init(&filled);
		int ret = writer_flush(w);
		if (ret == 0 && w->has_gap &&
		    gap_head(head.data, env_len, head.data + env_len, size,
			     w->data_off, &filled) == 0) {
			ret = writer_fill_gap(w, &filled);
			if (ret < 0)
				*error_r = "cannot write queue file";
			w->data_off -= size; /* the message starts at prefix */
		} else if (ret == 0) {
			ret = writer_rewrite(w, &head, error_r);
			w->data_off = env_len;
		}
		buf_deinit(&filled);
		buf_deinit(&head);
		if (ret < 0) {
			if (!w->failed)
				w->failed_errno = errno;
			w->failed = true;
			return -1;
		}
	}
	w->env_len = env_len;
	w->data_size += size;
	return 0;
}

/* Links tmp/<id> into incoming/<id>, choosing a new id (written into the
 * control line and synced) if the name is taken. */
static int writer_link(struct queue_writer *w, const char **error_r)
{
	for (int i = 0; i < WRITER_ID_TRIES; i++) {
		char *path = queue_path(w->queue_dir, "incoming", w->id);
		int ret = link(w->tmp_path, path);
		int saved = errno;
		free(path);
		if (ret == 0)
			return 0;
		if (saved != EEXIST) {
			*error_r = "cannot link queue file into incoming";
			return -1;
		}
		queue_id_new(w->id);
		if (pwrite(w->fd, w->id, QUEUE_ID_LEN, QUEUE_ID_OFFSET) !=
			    QUEUE_ID_LEN ||
		    fdatasync(w->fd) < 0) {
			*error_r = "cannot rewrite queue id";
			return -1;
		}
	}
	*error_r = "cannot find a free queue id";
	return -1;
}

int queue_writer_commit(struct queue_writer **wp, const char **error_r)
{
	struct queue_writer *w = *wp;
	int saved;
	if (w->failed || writer_flush(w) < 0) {
		errno = w->failed_errno;
		*error_r = "cannot write queue file";
		goto fail;
	}
	if (w->has_gap) {
		/* no reframe came: the envelope and pad records fill it */
		struct buf filled;
		buf_init(&filled);
		int ret = gap_head(w->head.data, w->head.len, "", 0,
				   w->data_off, &filled);
		ASSERT(ret == 0);
		ret = writer_fill_gap(w, &filled);
		buf_deinit(&filled);
		if (ret < 0) {
			*error_r = "cannot write queue file";
			goto fail;
		}
	}
	if (queue_field_write(w->fd, QUEUE_SIZE_OFFSET, w->data_size,
			      QUEUE_SIZE_WIDTH) < 0) {
		*error_r = "cannot write queue file size";
		goto fail;
	}
	if (fsync(w->fd) < 0) {
		*error_r = "fsync of queue file failed";
		goto fail;
	}
	if (writer_link(w, error_r) < 0)
		goto fail;
	/* From here the message is in incoming/; a tmp name left behind by a
	 * failed unlink is only a second link, removed by qmgr later. */
	(void)unlink(w->tmp_path);
	char *incoming = queue_path(w->queue_dir, "incoming", "");
	int ret = file_fsync_dir(incoming);
	free(incoming);
	if (ret < 0) {
		/* XXX: not durable, so the client must retry; qmgr may
		 * already have taken the file, and then it is delivered
		 * twice. An fsync failure of a folder is rare enough. */
		char *path = queue_path(w->queue_dir, "incoming", w->id);
		(void)unlink(path);
		free(path);
		*error_r = "fsync of incoming folder failed";
		writer_free(wp);
		return -1;
	}
	writer_free(wp);
	return 0;
fail:
	saved = errno;
	queue_writer_abort(wp);
	errno = saved;
	return -1;
}

void queue_writer_abort(struct queue_writer **wp)
{
	struct queue_writer *w = *wp;
	if (w == NULL)
		return;
	if (w->tmp_path != NULL && w->fd >= 0)
		(void)unlink(w->tmp_path);
	writer_free(wp);
}
