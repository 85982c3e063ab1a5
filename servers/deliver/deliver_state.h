/* Declarations shared by the files of servers/deliver: the delivery
 * context, its cache of open accounts (deliver.c) and its idle work
 * (deliver_idle.c). */
#ifndef DELIVER_DELIVER_STATE_H
#define DELIVER_DELIVER_STATE_H

#include "core/buf.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deliver_rules;

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
	struct deliver_rules *rules;
};

/* Returns the open account for info, opening it (and evicting the least
 * recently used entry) when needed; NULL with *error_r on failure. */
struct cache_entry *deliver_cache_get(struct deliver *d,
                                      const struct store_account_info *info,
                                      const char **error_r);
/* Closes and forgets one entry. */
void deliver_cache_clear(struct cache_entry *e);
/* Queues address for the idle work of blob_id. */
void deliver_idle_add(struct deliver *d, const char *blob_id,
                      const char *address);
/* Drops the queued idle work. */
void deliver_idle_free(struct deliver *d);

#endif
