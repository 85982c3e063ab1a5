/* The blobs of a delivery batch (servers/deliver, deliver_batch.h): the
 * message as queued, once per request, as "Return-Path: <sender>"
 * (RFC 5321 §4.4) followed by the queued bytes streamed in chunks; one
 * more per header the rules edited, and one per note of a failed script.
 * Each goes into the batch's store_blob_batch, made durable together
 * before any row is committed. */
#include "deliver/deliver_batch.h"
#include "deliver/deliver_state.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"
#include "store/store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DELIVER_CHUNK 65536

/* Streams head, then left bytes of the queue file from offset, into a new
 * blob of the batch. Returns 0 with its id and size, or -1. */
static int blob_write_parts(struct delivery *dv, const struct buf *head,
                            off_t offset, uint64_t left,
                            char blob_id_r[STORE_BLOB_ID_LEN + 1],
                            uint64_t *size_r, const char **error_r)
{
	struct store_blob_writer *w;
	if (store_blob_begin(dv->d->store, &w, error_r) < 0)
		return -1;
	if (store_blob_write(w, head->data, head->len) < 0)
		goto fail;
	char *chunk = xmalloc(DELIVER_CHUNK);
	while (left > 0) {
		size_t want =
		    left < DELIVER_CHUNK ? (size_t)left : DELIVER_CHUNK;
		ssize_t n = pread(dv->fd, chunk, want, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || store_blob_write(w, chunk, (size_t)n) < 0) {
			free(chunk);
			goto fail;
		}
		left -= (uint64_t)n;
		offset += n;
	}
	free(chunk);
	return store_blob_batch_add(dv->d->blobs, &w, blob_id_r, size_r,
	                            error_r);
fail:
	store_blob_abort(&w);
	*error_r = "cannot copy message into blob";
	return -1;
}

/* Streams header + message into a new blob of the batch. Returns 0 or -1. */
static int blob_write(struct delivery *dv, const char **error_r)
{
	return blob_write_parts(dv, &dv->header, dv->env.data_offset,
	                        dv->env.data_size, dv->blob_id, &dv->size,
	                        error_r);
}

/* The tempfail text for a message of size bytes that could not be stored:
 * QUEUE_STATUS_NO_SPACE when the file system of the queue (data_dir, which
 * holds the blobs and databases too) has less than the size and
 * QUEUE_SPACE_MARGIN free, else a plain local storage error. */
const char *deliver_blob_storage_error(const struct deliver *d, uint64_t size)
{
	uint64_t free_bytes;
	if (file_free_space(d->queue_dir, &free_bytes) == 0 &&
	    free_bytes < size + QUEUE_SPACE_MARGIN)
		return QUEUE_STATUS_NO_SPACE " insufficient system storage";
	return "4.3.0 local storage error";
}

/* Makes sure the blob of the message as queued is in the batch. Returns 0,
 * or -1 with rs failed. */
int deliver_blob_base(struct delivery *dv, struct rcpt_state *rs)
{
	const char *error;
	if (dv->has_blob)
		return 0;
	if (blob_write(dv, &error) < 0) {
		const char *text = deliver_blob_storage_error(dv->d, dv->size);
		log_error(NULL, "blob-failed id=%s error=%s status=%.5s",
		          dv->env.id, error, text);
		deliver_rcpt_set(rs, "tempfail", text);
		return -1;
	}
	dv->has_blob = true;
	return 0;
}

/* Makes sure the blob of a target is in the batch: the message as queued,
 * with an edited header, or a note of the rules. Returns 0, or -1 with rs
 * failed. */
int deliver_blob_target(struct delivery *dv, struct rcpt_state *rs,
                        const struct deliver_rules_target *t,
                        struct target_state *ts)
{
	const void *what =
	    t->report != NULL ? (const void *)t->report : (const void *)t->edit;
	const char *error;
	if (what == NULL) {
		if (deliver_blob_base(dv, rs) < 0)
			return -1;
		ts->blob_id = dv->blob_id;
		ts->size = dv->size;
		return 0;
	}
	for (size_t i = 0; i < dv->variant_count; i++) {
		if (dv->variants[i].what == what) {
			ts->blob_id = dv->variants[i].blob_id;
			ts->size = dv->variants[i].size;
			return 0;
		}
	}
	if (dv->variant_count == dv->variant_cap) {
		dv->variant_cap =
		    dv->variant_cap == 0 ? 4 : dv->variant_cap * 2;
		struct variant *more =
		    pool_alloc(dv->pool, dv->variant_cap * sizeof(*more));
		if (dv->variant_count > 0)
			memcpy(more, dv->variants,
			       dv->variant_count * sizeof(*more));
		dv->variants = more;
	}
	struct variant *v = &dv->variants[dv->variant_count];
	struct buf head;
	buf_init(&head);
	int ret;
	if (t->report != NULL) {
		/* the mail system's own note: from the null sender */
		buf_append_str(&head, "Return-Path: <>\r\n");
		buf_append(&head, t->report, t->report_size);
		ret = blob_write_parts(dv, &head, 0, 0, v->blob_id, &v->size,
		                       &error);
	} else {
		buf_append(&head, dv->header.data, dv->header.len);
		buf_append(&head, t->edit->header, t->edit->header_size);
		uint64_t skip = t->edit->body_offset;
		ret = blob_write_parts(
		    dv, &head, dv->env.data_offset + (off_t)skip,
		    dv->env.data_size - skip, v->blob_id, &v->size, &error);
	}
	buf_deinit(&head);
	if (ret < 0) {
		const char *text = deliver_blob_storage_error(dv->d, dv->size);
		log_error(NULL, "blob-failed id=%s error=%s status=%.5s",
		          dv->env.id, error, text);
		deliver_rcpt_set(rs, "tempfail", text);
		return -1;
	}
	v->what = what;
	dv->variant_count++;
	ts->blob_id = v->blob_id;
	ts->size = v->size;
	return 0;
}
