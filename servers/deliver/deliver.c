/* Local delivery of queue files, a batch of requests at a time (group
 * commit): checks each pending local recipient (account still there,
 * quota), runs its delivery rules (deliver_rules.c: Sieve decides the
 * mailboxes, flags and header edits, and the mail the rules send is
 * queued before anything is answered), writes the blob once per message
 * (and once per edited variant, deliver_blob.c); makes all the batch's
 * blobs durable together (store_blob_batch_sync), then adds the rows of
 * each account in one transaction with an idempotent delivery key per
 * recipient (deliver_commit.c), and only then answers any request of the
 * batch: no
 * "ok" goes out before its blob and row are durable. Opened accounts are
 * kept in a small LRU cache. The MIME cache and
 * the search index of each new message are built after the replies, while
 * no request waits (deliver_idle_work): they can be rebuilt, so a lost job
 * only means IMAP computes them on first use. A storage failure while the
 * data folder lacks room for the message answers 4.3.1 (queue.h), which
 * qmgr retries as soon as the space is back. */
#include "deliver/deliver.h"
#include "deliver/deliver_batch.h"
#include "deliver/deliver_state.h"
#include "deliver/deliver_rules.h"
#include "deliver/deliver_imip.h"
#include "core/buf.h"
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
	struct deliver_rules_settings set;
	deliver_rules_settings_init(&set);
	d->rules = deliver_rules_new(&set);
	return d;
}

void deliver_set_rules(struct deliver *d,
                       const struct deliver_rules_settings *set)
{
	deliver_rules_free(&d->rules);
	d->rules = deliver_rules_new(set);
}

void deliver_cache_clear(struct cache_entry *e)
{
	store_account_close(&e->account);
	free(e->address);
	memset(e, 0, sizeof(*e));
}

void deliver_free(struct deliver **dp)
{
	struct deliver *d = *dp;
	if (d == NULL)
		return;
	deliver_idle_free(d);
	store_blob_batch_free(&d->blobs);
	buf_deinit(&d->idle_blob);
	deliver_rules_free(&d->rules);
	for (size_t i = 0; i < d->cache_size; i++)
		deliver_cache_clear(&d->cache[i]);
	free(d->cache);
	free(d->queue_dir);
	free(d);
	*dp = NULL;
}

/* Returns the open account for info, opening it (and evicting the least
 * recently used entry) when needed; NULL with *error_r on failure. */
struct cache_entry *deliver_cache_get(struct deliver *d,
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
	deliver_cache_clear(victim);
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

/* Reads what rules see of the message (once per request). */
static int message_read(void *ctx, const unsigned char **data_r, size_t *size_r)
{
	struct delivery *dv = ctx;
	if (dv->has_msg) {
		*data_r = (const unsigned char *)dv->msg.data;
		*size_r = dv->msg.len;
		return 0;
	}
	size_t want = deliver_rules_settings(dv->d->rules)->max_message_read;
	if (dv->env.data_size < want)
		want = (size_t)dv->env.data_size;
	buf_reserve(&dv->msg, want + 1);
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(dv->fd, dv->msg.data + got, want - got,
		                  dv->env.data_offset + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	dv->msg.len = got;
	dv->msg.data[got] = '\0';
	dv->has_msg = true;
	*data_r = (const unsigned char *)dv->msg.data;
	*size_r = dv->msg.len;
	return 0;
}

/* Runs the rules of recipient index. Returns 1 when they decided (the
 * targets' blobs are in the batch), 0 for a plain delivery into INBOX,
 * -1 when the recipient failed (rs says why). */
static int rules_prepare(struct delivery *dv, size_t index)
{
	const struct queue_recipient *r = &dv->env.rcpts[index];
	struct rcpt_state *rs = &dv->rcpts[index];
	const char *error;
	struct cache_entry *e = deliver_cache_get(dv->d, &rs->info, &error);
	if (e == NULL) {
		log_error(NULL, "rules-failed id=%s to=<%s> error=%s",
		          dv->env.id, log_sanitize(r->address, 200), error);
		deliver_rcpt_set(rs, "tempfail", "4.3.0 local storage error");
		return -1;
	}
	const char *at = strrchr(r->address, '@');
	struct deliver_rules_input in = {
	    .store = dv->d->store,
	    .account = e->account,
	    .account_id = rs->info.id,
	    .address = rs->info.address,
	    .envelope_to =
	        r->detail != NULL && at != NULL
	            ? pool_printf(dv->pool, "%.*s+%s%s", (int)(at - r->address),
	                          r->address, r->detail, at)
	            : r->address,
	    .env = &dv->env,
	    .fd = dv->fd,
	    .message_read = message_read,
	    .ctx = dv,
	    .queue_dir = dv->d->queue_dir,
	    .delivery_key = pool_printf(dv->pool, "%s/%zu", dv->env.id, index),
	    .now = time(NULL),
	};
	deliver_rules_run(dv->d->rules, &in, dv->pool, &rs->rules);
	if (!rs->rules.has_rules)
		return 0;
	if (rs->rules.is_done) { /* an earlier try committed it all */
		rs->is_done_before = true;
		return 1;
	}
	log_info(NULL, "rules id=%s to=<%s> actions=\"%s\"", dv->env.id,
	         log_sanitize(r->address, 200), rs->rules.summary);
	if (rs->rules.tempfail != NULL) {
		deliver_rcpt_set(rs, "tempfail", rs->rules.tempfail);
		return -1;
	}
	rs->targets = pool_alloc(dv->pool, (rs->rules.target_count + 1) *
	                                       sizeof(*rs->targets));
	for (size_t i = 0; i < rs->rules.target_count; i++)
		if (deliver_blob_target(dv, rs, &rs->rules.targets[i],
		                        &rs->targets[i]) < 0)
			return -1;
	return 1;
}

/* Checks recipient index (account, quota) and, when it passes, makes sure
 * the message's blob is in the batch; the row waits for rows_commit. */
static void rcpt_check(struct delivery *dv, size_t index)
{
	const struct queue_recipient *r = &dv->env.rcpts[index];
	struct rcpt_state *rs = &dv->rcpts[index];
	int ret =
	    store_account_lookup(dv->d->store, r->address, dv->pool, &rs->info);
	if (ret == 0) {
		deliver_rcpt_set(rs, "permfail", "5.1.1 no such user");
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
		deliver_rcpt_set(rs, "tempfail", "4.2.2 mailbox full");
		return;
	}
	if (ret < 0) {
		log_error(NULL, "store-failed id=%s to=<%s> error=%s",
		          dv->env.id, log_sanitize(r->address, 200),
		          store_last_error(dv->d->store));
		deliver_rcpt_set(rs, "tempfail", "4.3.0 local storage error");
		return;
	}
	int rules = rules_prepare(dv, index);
	if (rules < 0 || (rules == 0 && deliver_blob_base(dv, rs) < 0))
		return;
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
/* Logs and answers a recipient whose rules were committed. */
static void rules_finish(struct delivery *dv, size_t index, struct buf *out)
{
	struct rcpt_state *rs = &dv->rcpts[index];
	const char *address = log_sanitize(dv->env.rcpts[index].address, 200);
	if (rs->is_done_before || rs->rules.target_count == 0)
		log_info(NULL,
		         "delivered id=%s to=<%s> mailbox=none rules=yes%s",
		         dv->env.id, address,
		         rs->is_done_before ? " duplicate=yes" : "");
	for (size_t i = 0; !rs->is_done_before && i < rs->rules.target_count;
	     i++) {
		const struct deliver_rules_target *t = &rs->rules.targets[i];
		const struct target_state *ts = &rs->targets[i];
		log_info(NULL,
		         "delivered id=%s to=<%s> mailbox=%s uid=%u size=%llu "
		         "rules=yes%s%s",
		         dv->env.id, address, log_sanitize(ts->mailbox, 200),
		         ts->uid, (unsigned long long)ts->size,
		         t->report != NULL ? " note=script-failed" : "",
		         ts->is_duplicate ? " duplicate=yes" : "");
		if (!ts->is_duplicate)
			deliver_idle_add(dv->d, ts->blob_id, rs->info.address);
	}
	reply_result(dv, index, "ok", "2.0.0 delivered", out);
}

static void delivery_finish(struct delivery *dv, struct buf *out)
{
	if (dv->done_status != NULL) {
		reply_done(out, dv->id, dv->done_status, dv->done_text);
		goto out;
	}
	for (size_t i = 0; i < dv->env.rcpt_count; i++) {
		struct rcpt_state *rs = &dv->rcpts[i];
		if (rs->status == NULL)
			continue;
		if (rs->is_waiting && rs->rules.has_rules) {
			rules_finish(dv, i, out);
		} else if (rs->is_waiting) {
			log_info(NULL,
			         "delivered id=%s to=<%s> mailbox=%s uid=%u "
			         "size=%llu%s",
			         dv->env.id,
			         log_sanitize(dv->env.rcpts[i].address, 200),
			         log_sanitize(rs->mailbox, 200), rs->uid,
			         (unsigned long long)dv->size,
			         rs->is_duplicate ? " duplicate=yes" : "");
			reply_result(dv, i, "ok", "2.0.0 delivered", out);
			if (!rs->is_duplicate) {
				deliver_imip(
				    dv->d->store, dv->fd, dv->env.data_offset,
				    dv->env.data_size, rs->info.address,
				    dv->env.is_quarantined);
				deliver_idle_add(dv->d, dv->blob_id,
				                 rs->info.address);
			}
		} else {
			reply_result(dv, i, rs->status, rs->text, out);
		}
	}
	reply_done(out, dv->id, "ok", NULL);
out:
	if (dv->fd >= 0)
		close(dv->fd);
	buf_deinit(&dv->header);
	buf_deinit(&dv->msg);
	pool_free(&dv->pool);
}

void deliver_batch(struct deliver *d, const char *const *lines,
                   const size_t *lens, size_t count, struct buf *out)
{
	struct delivery *dvs = xcalloc(count, sizeof(*dvs));
	const char *error;
	bool has_blobs = false;
	deliver_rules_batch_begin(d->rules);
	for (size_t i = 0; i < count; i++) {
		dvs[i].d = d;
		dvs[i].fd = -1;
		dvs[i].pool = pool_new();
		buf_init(&dvs[i].header);
		buf_init(&dvs[i].msg);
		delivery_prepare(&dvs[i], lines[i], lens[i]);
		has_blobs =
		    has_blobs || dvs[i].has_blob || dvs[i].variant_count > 0;
	}
	if (has_blobs && store_blob_batch_sync(d->blobs, &error) < 0) {
		log_error(NULL, "blob-failed messages=%zu error=%s", count,
		          error);
		deliver_commit_fail_waiting(dvs, count, 0, NULL);
	}
	deliver_commit_rows(d, dvs, count);
	for (size_t i = 0; i < count; i++)
		delivery_finish(&dvs[i], out);
	free(dvs);
}

void deliver_request(struct deliver *d, const char *line, size_t len,
                     struct buf *out)
{
	deliver_batch(d, &line, &len, 1, out);
}
