/* The MIME cache and the search index of delivered messages, built in
 * idle time (deliver_idle_work): a ring of jobs, one per new blob, each
 * indexed for the accounts it was delivered to. They can be rebuilt, so a
 * lost job only means IMAP computes them on first use. */
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "deliver/deliver_state.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <stdlib.h>
#include <string.h>

#define DELIVER_IDLE_JOBS_MAX 100000 /* beyond this, IMAP catches up */

static void idle_job_clear(struct idle_job *job)
{
	for (size_t i = 0; i < job->address_count; i++)
		free(job->addresses[i]);
	free(job->addresses);
	memset(job, 0, sizeof(*job));
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

/* Queues address for the idle work of blob_id, in the job of that blob
 * among the last few, else in a new one. Job pointers do not outlive this
 * call: a new job may move the ring. */
void deliver_idle_add(struct deliver *d, const char *blob_id,
                      const char *address)
{
	struct idle_job *job = NULL;
	for (size_t k = 0; k < d->job_count && k < 8 && job == NULL; k++) {
		struct idle_job *j =
		    &d->jobs[(d->job_head + d->job_count - 1 - k) % d->job_cap];
		if (strcmp(j->blob_id, blob_id) == 0 && !j->is_cached)
			job = j;
	}
	if (job == NULL)
		job = idle_job_new(d, blob_id);
	if (job != NULL)
		idle_job_add_address(job, address);
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
	    ((e = deliver_cache_get(d, &info, &error)) == NULL ||
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

void deliver_idle_free(struct deliver *d)
{
	for (size_t i = 0; i < d->job_count; i++)
		idle_job_clear(&d->jobs[(d->job_head + i) % d->job_cap]);
	free(d->jobs);
	d->jobs = NULL;
	d->job_count = 0;
}
