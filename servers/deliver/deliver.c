/* Local delivery of queue files, a batch of requests at a time (group
 * commit): checks each pending local recipient (account still there,
 * quota), writes the blob once per message as "Return-Path: <sender>"
 * (RFC 5321 §4.4) followed by the queued bytes, streamed in chunks; makes
 * all the batch's blobs durable together (store_blob_batch_sync), then adds
 * the rows of each account in one transaction with an idempotent delivery
 * key per recipient, and only then answers any request of the batch: no
 * "ok" goes out before its blob and row are durable. Opened accounts are
 * kept in a small LRU cache. The MIME cache and
 * the search index of each new message are built after the replies, while
 * no request waits (deliver_idle_work): they can be rebuilt, so a lost job
 * only means IMAP computes them on first use. A storage failure while the
 * data folder lacks room for the message answers 4.3.1 (queue.h), which
 * qmgr retries as soon as the space is back. */
#include "deliver/deliver.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DELIVER_CHUNK 65536
#define DELIVER_IDLE_JOBS_MAX 100000 /* beyond this, IMAP catches up */

/* Idle work for one new blob: its MIME cache, and the search index of
 * each account it was delivered to. */
struct idle_job {
	char blob_id[STORE_BLOB_ID_LEN + 1];
	char **addresses;
	size_t address_count;
	size_t next;    /* the next address to index */
	bool is_cached; /* the MIME cache row is done */
};

struct cache_entry {
	char *address;
	int64_t account_id; /* to notice an account deleted and re-created */
	struct store_account *account;
	uint64_t last_used;
};

struct deliver {
	struct store *store;
	char *queue_dir;
	struct cache_entry *cache;
	size_t cache_size;
	uint64_t clock;
	struct store_blob_batch *blobs; /* the current batch's blobs */
	struct idle_job *jobs;          /* a ring buffer */
	size_t job_head, job_count, job_cap;
	struct buf idle_blob; /* the bytes of the job at job_head, or empty */
};

/* What happens to one pending local recipient of a request. */
struct rcpt_state {
	const char *status; /* NULL: nothing said yet; "ok" once added */
	const char *text;
	bool is_waiting; /* passed the checks: waits for blob and row */
	struct store_account_info info;
	uint32_t uid;
	const char *mailbox; /* where the row went */
	bool is_duplicate;
};

/* One request of a batch. */
struct delivery {
	struct deliver *d;
	struct pool *pool;
	const char *id;          /* as the reply names it */
	const char *done_status; /* "error" when the request failed whole */
	const char *done_text;
	struct queue_envelope env;
	int fd;
	struct buf header; /* the Return-Path line */
	uint64_t size;     /* header + message */
	char blob_id[STORE_BLOB_ID_LEN + 1];
	bool has_blob;
	struct rcpt_state *rcpts; /* env.rcpt_count of them, or NULL */
};

struct deliver *deliver_new(struct store *store, const char *queue_dir,
                            size_t cache_size)
{
	ASSERT(cache_size > 0);
	struct deliver *d = xcalloc(1, sizeof(*d));
	d->store = store;
	d->queue_dir = xstrdup(queue_dir);
	d->cache = xcalloc(cache_size, sizeof(*d->cache));
	d->cache_size = cache_size;
	d->blobs = store_blob_batch_new(store);
	buf_init(&d->idle_blob);
	return d;
}

static void cache_entry_clear(struct cache_entry *e)
{
	store_account_close(&e->account);
	free(e->address);
	memset(e, 0, sizeof(*e));
}

static void idle_job_clear(struct idle_job *job)
{
	for (size_t i = 0; i < job->address_count; i++)
		free(job->addresses[i]);
	free(job->addresses);
	memset(job, 0, sizeof(*job));
}

void deliver_free(struct deliver **dp)
{
	struct deliver *d = *dp;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->job_count; i++)
		idle_job_clear(&d->jobs[(d->job_head + i) % d->job_cap]);
	free(d->jobs);
	store_blob_batch_free(&d->blobs);
	buf_deinit(&d->idle_blob);
	for (size_t i = 0; i < d->cache_size; i++)
		cache_entry_clear(&d->cache[i]);
	free(d->cache);
	free(d->queue_dir);
	free(d);
	*dp = NULL;
}

/* Returns the open account for info, opening it (and evicting the least
 * recently used entry) when needed; NULL with *error_r on failure. */
static struct cache_entry *cache_get(struct deliver *d,
                                     const struct store_account_info *info,
                                     const char **error_r)
{
	struct cache_entry *victim = NULL;
	for (size_t i = 0; i < d->cache_size; i++) {
		struct cache_entry *e = &d->cache[i];
		if (e->account == NULL ||
		    strcmp(e->address, info->address) != 0)
			continue;
		if (e->account_id == info->id) {
			e->last_used = ++d->clock;
			return e;
		}
		victim = e; /* same address, but a new account */
	}
	for (size_t i = 0; victim == NULL && i < d->cache_size; i++) {
		if (d->cache[i].account == NULL)
			victim = &d->cache[i];
	}
	if (victim == NULL) {
		victim = &d->cache[0];
		for (size_t i = 1; i < d->cache_size; i++) {
			if (d->cache[i].last_used < victim->last_used)
				victim = &d->cache[i];
		}
	}
	cache_entry_clear(victim);
	if (store_account_open(d->store, info->address, &victim->account,
	                       error_r) < 0)
		return NULL;
	victim->address = xstrdup(info->address);
	victim->account_id = info->id;
	victim->last_used = ++d->clock;
	return victim;
}

static void reply_done(struct buf *out, const char *id, const char *status,
                       const char *text)
{
	struct ipc_record rec;
	ipc_record_init(&rec, "done");
	ipc_record_add(&rec, "id", id);
	ipc_record_add(&rec, "status", status);
	if (text != NULL)
		ipc_record_add(&rec, "text", text);
	ipc_record_encode(&rec, out);
	ipc_record_deinit(&rec);
}

/* Streams header + message into a new blob of the batch. Returns 0 or -1. */
static int blob_write(struct delivery *dv, const char **error_r)
{
	struct store_blob_writer *w;
	uint64_t left = dv->env.data_size, size;
	off_t offset = dv->env.data_offset;
	if (store_blob_begin(dv->d->store, &w, error_r) < 0)
		return -1;
	if (store_blob_write(w, dv->header.data, dv->header.len) < 0)
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
	if (store_blob_batch_add(dv->d->blobs, &w, dv->blob_id, &size,
	                         error_r) < 0)
		return -1;
	dv->size = size;
	return 0;
fail:
	store_blob_abort(&w);
	*error_r = "cannot copy message into blob";
	return -1;
}

/* Queues idle work for the blob just written; NULL when the queue is full
 * (the work is then left to IMAP's first use). */
static struct idle_job *idle_job_new(struct deliver *d, const char *blob_id)
{
	if (d->job_count >= DELIVER_IDLE_JOBS_MAX)
		return NULL;
	if (d->job_count == d->job_cap) {
		size_t cap = d->job_cap == 0 ? 64 : d->job_cap * 2;
		struct idle_job *jobs = xcalloc(cap, sizeof(*jobs));
		for (size_t i = 0; i < d->job_count; i++)
			jobs[i] = d->jobs[(d->job_head + i) % d->job_cap];
		free(d->jobs);
		d->jobs = jobs;
		d->job_cap = cap;
		d->job_head = 0;
	}
	struct idle_job *job =
	    &d->jobs[(d->job_head + d->job_count++) % d->job_cap];
	memcpy(job->blob_id, blob_id, sizeof(job->blob_id));
	return job;
}

static void idle_job_add_address(struct idle_job *job, const char *address)
{
	job->addresses = xrealloc(job->addresses, (job->address_count + 1) *
	                                              sizeof(*job->addresses));
	job->addresses[job->address_count++] = xstrdup(address);
}

bool deliver_has_idle_work(const struct deliver *d)
{
	return d->job_count > 0;
}

static void idle_job_done(struct deliver *d)
{
	idle_job_clear(&d->jobs[d->job_head]);
	d->job_head = (d->job_head + 1) % d->job_cap;
	d->job_count--;
	buf_truncate(&d->idle_blob, 0);
}

/* Indexes the blob for one account of the job. */
static void idle_index(struct deliver *d, struct idle_job *job,
                       const char *address)
{
	struct store_account_info info;
	const char *error;
	struct pool *pool = pool_new();
	struct cache_entry *e = NULL;
	if (store_account_lookup(d->store, address, pool, &info) > 0 &&
	    ((e = cache_get(d, &info, &error)) == NULL ||
	     store_mime_index_add(e->account, job->blob_id,
	                          (const unsigned char *)d->idle_blob.data,
	                          d->idle_blob.len, &error) < 0))
		log_warn(NULL, "mime-index-failed blob=%s to=<%s> error=%s",
		         job->blob_id, log_sanitize(address, 200), error);
	pool_free(&pool);
}

/* One step per call, each short: read the blob and fill the MIME cache,
 * then index it for one account at a time, so a request never waits
 * behind a message with many recipients. */
void deliver_idle_work(struct deliver *d)
{
	if (d->job_count == 0)
		return;
	struct idle_job *job = &d->jobs[d->job_head];
	const char *error;
	if (!job->is_cached) {
		job->is_cached = true;
		if (store_mime_blob_read(d->store, job->blob_id, &d->idle_blob,
		                         &error) < 0 ||
		    store_mime_cache_put(
		        d->store, job->blob_id,
		        (const unsigned char *)d->idle_blob.data,
		        d->idle_blob.len, &error) < 0) {
			log_warn(NULL, "mime-cache-failed blob=%s error=%s",
			         job->blob_id, error);
			idle_job_done(d); /* IMAP computes it on first use */
		}
		return;
	}
	if (job->next < job->address_count)
		idle_index(d, job, job->addresses[job->next++]);
	if (job->next >= job->address_count)
		idle_job_done(d);
}

/* The tempfail text for a message of size bytes that could not be stored:
 * QUEUE_STATUS_NO_SPACE when the file system of the queue (data_dir, which
 * holds the blobs and databases too) has less than the size and
 * QUEUE_SPACE_MARGIN free, else a plain local storage error. */
static const char *storage_error(const struct deliver *d, uint64_t size)
{
	uint64_t free_bytes;
	if (file_free_space(d->queue_dir, &free_bytes) == 0 &&
	    free_bytes < size + QUEUE_SPACE_MARGIN)
		return QUEUE_STATUS_NO_SPACE " insufficient system storage";
	return "4.3.0 local storage error";
}

static void rcpt_set(struct rcpt_state *rs, const char *status,
                     const char *text)
{
	rs->status = status;
	rs->text = text;
	rs->is_waiting = false;
}

/* Checks recipient index (account, quota) and, when it passes, makes sure
 * the message's blob is in the batch; the row waits for rows_commit. */
static void rcpt_check(struct delivery *dv, size_t index)
{
	const struct queue_recipient *r = &dv->env.rcpts[index];
	struct rcpt_state *rs = &dv->rcpts[index];
	const char *error = NULL;
	int ret =
	    store_account_lookup(dv->d->store, r->address, dv->pool, &rs->info);
	if (ret == 0) {
		rcpt_set(rs, "permfail", "5.1.1 no such user");
		return;
	}
	/* XXX: each message of a batch is checked against the usage before
	 * the batch, so an account may go over quota by up to one batch. */
	if (ret > 0)
		ret =
		    store_quota_check(dv->d->store, rs->info.address, dv->size);
	if (ret == 0) {
		log_info(NULL, "over-quota id=%s to=<%s> size=%llu", dv->env.id,
		         log_sanitize(r->address, 200),
		         (unsigned long long)dv->size);
		rcpt_set(rs, "tempfail", "4.2.2 mailbox full");
		return;
	}
	if (ret < 0) {
		log_error(NULL, "store-failed id=%s to=<%s> error=%s",
		          dv->env.id, log_sanitize(r->address, 200),
		          store_last_error(dv->d->store));
		rcpt_set(rs, "tempfail", "4.3.0 local storage error");
		return;
	}
	if (!dv->has_blob) {
		if (blob_write(dv, &error) < 0) {
			const char *text = storage_error(dv->d, dv->size);
			log_error(NULL,
			          "blob-failed id=%s error=%s status=%.5s",
			          dv->env.id, error, text);
			rcpt_set(rs, "tempfail", text);
			return;
		}
		dv->has_blob = true;
	}
	rs->is_waiting = true;
}

/* Builds "Return-Path: <sender>\r\n"; control bytes cannot reach a
 * header even from a damaged envelope. */
static void header_build(struct buf *out, const char *sender)
{
	buf_append_str(out, "Return-Path: <");
	for (const unsigned char *p = (const unsigned char *)sender; *p; p++)
		buf_append_char(out, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
	buf_append_str(out, ">\r\n");
}

/* path = ( "incoming" / "active" / "deferred" ) "/" ID, with ID == id */
static bool request_path_is_valid(const char *path, const char *id)
{
	static const char *const states[] = {"incoming/", "active/",
	                                     "deferred/"};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		size_t len = strlen(states[i]);
		if (strncmp(path, states[i], len) == 0)
			return strcmp(path + len, id) == 0;
	}
	return false;
}

static void delivery_fail(struct delivery *dv, const char *text)
{
	dv->done_status = "error";
	dv->done_text = text;
}

/* Parses one request, reads its queue file, checks its recipients and
 * writes its blob into the batch. Failures are kept for the reply. */
static void delivery_prepare(struct delivery *dv, const char *line, size_t len)
{
	struct ipc_record req;
	const char *error;
	dv->id = "-";
	if (ipc_record_decode(line, len, &req, &error) < 0) {
		delivery_fail(dv, pool_strdup(dv->pool, error));
		ipc_record_deinit(&req);
		return;
	}
	const char *id = ipc_record_get(&req, "id");
	const char *path = ipc_record_get(&req, "path");
	if (id != NULL && queue_id_is_valid(id))
		dv->id = pool_strdup(dv->pool, id);
	if (strcmp(req.verb, "deliver") != 0 || id == NULL || path == NULL ||
	    !queue_id_is_valid(id) || !request_path_is_valid(path, id)) {
		delivery_fail(dv, "bad request");
		ipc_record_deinit(&req);
		return;
	}
	char *full = xasprintf("%s/%s", dv->d->queue_dir, path);
	ipc_record_deinit(&req);
	int ret =
	    queue_envelope_read(full, dv->pool, &dv->env, &dv->fd, &error);
	free(full);
	if (ret < 0) {
		log_warn(NULL, "deliver-failed id=%s error=%s", dv->id, error);
		delivery_fail(dv, "cannot read queue file");
		return;
	}
	if (strcmp(dv->env.id, dv->id) != 0) {
		delivery_fail(dv, "queue id mismatch");
		return;
	}
	header_build(&dv->header, dv->env.sender);
	dv->size = dv->header.len + dv->env.data_size;
	dv->rcpts =
	    pool_alloc(dv->pool, (dv->env.rcpt_count + 1) * sizeof(*dv->rcpts));
	memset(dv->rcpts, 0, (dv->env.rcpt_count + 1) * sizeof(*dv->rcpts));
	for (size_t i = 0; i < dv->env.rcpt_count; i++) {
		const struct queue_recipient *r = &dv->env.rcpts[i];
		if (r->is_local && r->status == QUEUE_RCPT_PENDING)
			rcpt_check(dv, i);
	}
}

/* Every recipient still waiting in the batch gets status and text. */
static void batch_fail_waiting(struct delivery *dvs, size_t count,
                               int64_t account_id, const char *address)
{
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0;
		     dvs[i].rcpts != NULL && j < dvs[i].env.rcpt_count; j++) {
			struct rcpt_state *rs = &dvs[i].rcpts[j];
			if (rs->is_waiting &&
			    (address == NULL ||
			     (rs->info.id == account_id &&
			      strcmp(rs->info.address, address) == 0)))
				rcpt_set(rs, "tempfail",
				         storage_error(dvs[i].d, dvs[i].size));
		}
	}
}

struct junk_find {
	struct pool *pool;
	const char *name;
};

static void junk_find_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct junk_find *f = ctx;
	if (f->name == NULL && info->special_use == STORE_SPECIAL_JUNK)
		f->name = pool_strdup(f->pool, info->name);
}

/* The mailbox for dv in account: INBOX, or for a message smtpd
 * quarantined (DMARC p=quarantine, doc/authentication.md) the account's
 * \Junk mailbox (RFC 6154) when it has one. */
static const char *delivery_mailbox(struct delivery *dv,
                                    struct store_account *account)
{
	struct junk_find f = {dv->pool, NULL};
	if (!dv->env.is_quarantined ||
	    store_mailbox_list(account, junk_find_cb, &f) < 0 ||
	    f.name == NULL)
		return "INBOX";
	return f.name;
}

/* Adds the waiting rows of one account (that of first) in one transaction.
 * Recipients stay is_waiting with a UID when committed; failures become
 * tempfail. */
static void account_commit(struct deliver *d, struct delivery *dvs,
                           size_t count, const struct rcpt_state *first)
{
	int64_t account_id = first->info.id;
	const char *address = first->info.address;
	const char *error;
	struct cache_entry *e = cache_get(d, &first->info, &error);
	if (e == NULL || store_message_batch_begin(e->account, &error) < 0)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		struct delivery *dv = &dvs[i];
		for (size_t j = 0; dv->rcpts != NULL && j < dv->env.rcpt_count;
		     j++) {
			struct rcpt_state *rs = &dv->rcpts[j];
			if (!rs->is_waiting || rs->status != NULL ||
			    rs->info.id != account_id ||
			    strcmp(rs->info.address, address) != 0)
				continue;
			const char *key =
			    pool_printf(dv->pool, "%s/%zu", dv->env.id, j);
			rs->mailbox = delivery_mailbox(dv, e->account);
			int ret = store_message_add(
			    e->account, rs->mailbox, dv->blob_id, dv->size, 0,
			    "", dv->env.arrival, key, &rs->uid, &error);
			if (ret < 0) {
				log_error(NULL,
				          "store-failed id=%s to=<%s> error=%s",
				          dv->env.id,
				          log_sanitize(address, 200), error);
				rcpt_set(rs, "tempfail",
				         storage_error(d, dv->size));
				continue;
			}
			rs->is_duplicate = ret == 0;
			rs->status = "ok"; /* once committed */
		}
	}
	if (store_message_batch_commit(e->account, &error) == 0)
		return;
fail:
	log_error(NULL, "store-failed to=<%s> error=%s",
	          log_sanitize(address, 200), error);
	if (e != NULL) {
		store_message_batch_rollback(e->account);
		cache_entry_clear(e);
	}
	batch_fail_waiting(dvs, count, account_id, address);
}

/* Commits the waiting rows, one transaction per account. */
static void rows_commit(struct deliver *d, struct delivery *dvs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0;
		     dvs[i].rcpts != NULL && j < dvs[i].env.rcpt_count; j++) {
			struct rcpt_state *rs = &dvs[i].rcpts[j];
			if (rs->is_waiting && rs->status == NULL)
				account_commit(d, dvs, count, rs);
		}
	}
}

static void reply_result(struct delivery *dv, size_t index, const char *status,
                         const char *text, struct buf *out)
{
	struct ipc_record rec;
	ipc_record_init(&rec, "result");
	ipc_record_add(&rec, "id", dv->env.id);
	ipc_record_addf(&rec, "rcpt", "%zu", index);
	ipc_record_add(&rec, "status", status);
	ipc_record_add(&rec, "text", text);
	ipc_record_encode(&rec, out);
	ipc_record_deinit(&rec);
}

/* Logs and answers one request of a committed batch, queues its idle
 * work, and frees it. */
static void delivery_finish(struct delivery *dv, struct buf *out)
{
	struct idle_job *job = NULL;
	if (dv->done_status != NULL) {
		reply_done(out, dv->id, dv->done_status, dv->done_text);
		goto out;
	}
	for (size_t i = 0; i < dv->env.rcpt_count; i++) {
		struct rcpt_state *rs = &dv->rcpts[i];
		if (rs->status == NULL)
			continue;
		if (rs->is_waiting) {
			log_info(NULL,
			         "delivered id=%s to=<%s> mailbox=%s uid=%u "
			         "size=%llu%s",
			         dv->env.id,
			         log_sanitize(dv->env.rcpts[i].address, 200),
			         log_sanitize(rs->mailbox, 200),
			         rs->uid, (unsigned long long)dv->size,
			         rs->is_duplicate ? " duplicate=yes" : "");
			reply_result(dv, i, "ok", "2.0.0 delivered", out);
			if (!rs->is_duplicate && job == NULL)
				job = idle_job_new(dv->d, dv->blob_id);
			if (!rs->is_duplicate && job != NULL)
				idle_job_add_address(job, rs->info.address);
		} else {
			reply_result(dv, i, rs->status, rs->text, out);
		}
	}
	reply_done(out, dv->id, "ok", NULL);
out:
	if (dv->fd >= 0)
		close(dv->fd);
	buf_deinit(&dv->header);
	pool_free(&dv->pool);
}

void deliver_batch(struct deliver *d, const char *const *lines,
                   const size_t *lens, size_t count, struct buf *out)
{
	struct delivery *dvs = xcalloc(count, sizeof(*dvs));
	const char *error;
	bool has_blobs = false;
	for (size_t i = 0; i < count; i++) {
		dvs[i].d = d;
		dvs[i].fd = -1;
		dvs[i].pool = pool_new();
		buf_init(&dvs[i].header);
		delivery_prepare(&dvs[i], lines[i], lens[i]);
		has_blobs = has_blobs || dvs[i].has_blob;
	}
	if (has_blobs && store_blob_batch_sync(d->blobs, &error) < 0) {
		log_error(NULL, "blob-failed messages=%zu error=%s", count,
		          error);
		batch_fail_waiting(dvs, count, 0, NULL);
	}
	rows_commit(d, dvs, count);
	for (size_t i = 0; i < count; i++)
		delivery_finish(&dvs[i], out);
	free(dvs);
}

void deliver_request(struct deliver *d, const char *line, size_t len,
                     struct buf *out)
{
	deliver_batch(d, &line, &len, 1, out);
}
