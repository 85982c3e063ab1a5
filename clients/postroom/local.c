/* The local store: the same lib/store the servers use, under
 * data_dir/store, with one store account per configured account. Mail
 * written here is durable in the same way (blob fsync before the row), so
 * an interrupted sync loses nothing that was already stored. */
#include "postroom.h"

#include "core/file.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_mime.h"
#include "store/store_sync.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at != NULL ? at + 1 : "";
}

/* The store refuses what it cannot hold: an address it would not take
 * from a server is refused here too, with the store's reason. */
static int account_ensure(struct store *store, const char *address,
                          const char **error_r)
{
	if (store_domain_exists(store, domain_of(address)) == 0 &&
	    store_domain_add(store, domain_of(address), error_r) < 0)
		return -1;
	struct pool *pool = pool_new();
	struct store_account_info info;
	int found = store_account_lookup(store, address, pool, &info);
	pool_free(&pool);
	if (found < 0) {
		*error_r = store_last_error(store);
		return -1;
	}
	/* No password: nobody logs in to a local store. */
	if (found == 0 && store_account_add(store, address, "!", 0, error_r) < 0)
		return -1;
	return 0;
}

int pr_local_open(const struct pr_config *config,
                  const struct pr_account *account, struct pr_local *local,
                  const char **error_r)
{
	*local = (struct pr_local){ 0 };
	struct pool *pool = pool_new();
	char *dir = pool_printf(pool, "%s/store", config->data_dir);
	struct store_settings set = { .data_dir = dir, .default_quota = 0 };
	int ret = file_mkdirs(dir, 0700);
	if (ret < 0)
		*error_r = strerror(errno);
	else
		ret = store_open(&set, &local->store, error_r); /* copies */
	pool_free(&pool);
	if (ret < 0)
		return -1;
	if (account_ensure(local->store, account->address, error_r) < 0 ||
	    store_account_open(local->store, account->address, &local->account,
	                       error_r) < 0) {
		/* the reason may live in the store: keep a copy past close */
		static char reason[256];
		snprintf(reason, sizeof(reason), "%s", *error_r);
		*error_r = reason;
		pr_local_close(local);
		return -1;
	}
	const char *error;
	if (store_mailbox_create(local->account, PR_OUTBOX, STORE_SPECIAL_NONE,
	                         &error) < 0 &&
	    strcmp(error, "mailbox exists") != 0) {
		*error_r = error;
		pr_local_close(local);
		return -1;
	}
	return 0;
}

void pr_local_close(struct pr_local *local)
{
	store_account_close(&local->account);
	store_close(&local->store);
}

int pr_local_add(struct pr_local *local, const char *mailbox,
                 const unsigned char *data, size_t size, uint32_t flags,
                 const char *keywords, time_t internal_date,
                 const char *delivery_key, uint32_t *uid_r,
                 const char **error_r)
{
	struct store_blob_writer *w;
	char blob_id[STORE_BLOB_ID_LEN + 1];
	uint64_t blob_size;
	if (store_blob_begin(local->store, &w, error_r) < 0)
		return -1;
	if (store_blob_write(w, data, size) < 0) {
		store_blob_abort(&w);
		*error_r = "cannot write the message to the local store";
		return -1;
	}
	if (store_blob_finish(&w, blob_id, &blob_size, error_r) < 0)
		return -1;
	if (store_message_add(local->account, mailbox, blob_id, blob_size,
	                      flags, keywords != NULL ? keywords : "",
	                      internal_date != 0 ? internal_date : time(NULL),
	                      delivery_key, uid_r, error_r) < 0)
		return -1;
	/* The cache and the index are optional: a failure here only makes
	 * a later read or search compute them. */
	const char *ignored;
	(void)store_mime_cache_put(local->store, blob_id, data, size, &ignored);
	(void)store_mime_index_add(local->account, blob_id, data, size,
	                           &ignored);
	return 0;
}

int pr_cli_open(struct pr_cli *cli, struct pr_account **account_r,
                struct pr_local *local)
{
	const char *error;
	struct pr_account *account =
	    pr_config_account(cli->config, cli->account_name, &error);
	if (account == NULL) {
		pr_fail("%s%s%s", error, cli->account_name != NULL ? ": " : "",
		        cli->account_name != NULL ? cli->account_name : "");
		return -1;
	}
	if (pr_local_open(cli->config, account, local, &error) < 0) {
		pr_fail("local store: %s", error);
		return -1;
	}
	*account_r = account;
	return 0;
}

/* ---- Batches -------------------------------------------------------------- */

struct batch_item {
	char blob_id[STORE_BLOB_ID_LEN + 1];
	uint64_t size;
	uint32_t flags;
	char *keywords;
	time_t internal_date;
	char *delivery_key;
	uint32_t remote_uid;
	char *pop3_uidl;
};

struct pr_local_batch {
	struct pr_local *local;
	struct store_blob_batch *blobs;
	struct batch_item *items;
	size_t count, cap;
};

struct pr_local_batch *pr_local_batch_new(struct pr_local *local)
{
	struct pr_local_batch *b = xcalloc(1, sizeof(*b));
	b->local = local;
	b->blobs = store_blob_batch_new(local->store);
	return b;
}

static void batch_clear(struct pr_local_batch *b)
{
	for (size_t i = 0; i < b->count; i++) {
		free(b->items[i].keywords);
		free(b->items[i].delivery_key);
		free(b->items[i].pop3_uidl);
	}
	b->count = 0;
}

void pr_local_batch_free(struct pr_local_batch **batch)
{
	struct pr_local_batch *b = *batch;
	if (b == NULL)
		return;
	batch_clear(b);
	free(b->items);
	store_blob_batch_free(&b->blobs);
	free(b);
	*batch = NULL;
}

int pr_local_batch_add(struct pr_local_batch *b, const unsigned char *data,
                       size_t size, uint32_t flags, const char *keywords,
                       time_t internal_date, const char *delivery_key,
                       uint32_t remote_uid, const char *pop3_uidl,
                       const char **error_r)
{
	struct store_blob_writer *w;
	if (b->count == b->cap) {
		b->cap = b->cap == 0 ? 32 : b->cap * 2;
		b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
	}
	struct batch_item *it = &b->items[b->count];
	if (store_blob_begin(b->local->store, &w, error_r) < 0)
		return -1;
	if (store_blob_write(w, data, size) < 0) {
		store_blob_abort(&w);
		*error_r = "cannot write the message to the local store";
		return -1;
	}
	if (store_blob_batch_add(b->blobs, &w, it->blob_id, &it->size,
	                         error_r) < 0)
		return -1;
	it->flags = flags;
	it->keywords = xstrdup(keywords != NULL ? keywords : "");
	it->internal_date = internal_date != 0 ? internal_date : time(NULL);
	it->delivery_key = delivery_key != NULL ? xstrdup(delivery_key)
	                                        : NULL;
	it->remote_uid = remote_uid;
	it->pop3_uidl = pop3_uidl != NULL ? xstrdup(pop3_uidl) : NULL;
	b->count++;
	return 0;
}

/* Adds the rows inside the open transaction. Returns 0 or -1. */
static int batch_rows(struct pr_local_batch *b, const char *mailbox,
                      const char **error_r)
{
	struct store_account *account = b->local->account;
	for (size_t i = 0; i < b->count; i++) {
		struct batch_item *it = &b->items[i];
		uint32_t uid;
		if (store_message_add(account, mailbox, it->blob_id, it->size,
		                      it->flags, it->keywords, it->internal_date,
		                      it->delivery_key, &uid, error_r) < 0)
			return -1;
		struct store_sync_map map = { uid, it->remote_uid, it->flags,
			                      it->keywords };
		if ((it->remote_uid != 0 &&
		     store_sync_map_set(account, mailbox, &map) < 0) ||
		    (it->pop3_uidl != NULL &&
		     store_sync_pop3_mark(account, it->pop3_uidl,
		                          time(NULL)) < 0)) {
			*error_r = "cannot record the sync state";
			return -1;
		}
	}
	return 0;
}

int pr_local_batch_commit(struct pr_local_batch *b, const char *mailbox,
                          unsigned *count_r, const char **error_r)
{
	*count_r = 0;
	if (b->count == 0)
		return 0;
	int ret = store_blob_batch_sync(b->blobs, error_r);
	if (ret == 0)
		ret = store_message_batch_begin(b->local->account, error_r);
	if (ret == 0) {
		ret = batch_rows(b, mailbox, error_r);
		if (ret == 0)
			ret = store_message_batch_commit(b->local->account,
			                                 error_r);
		else
			store_message_batch_rollback(b->local->account);
	}
	if (ret == 0)
		*count_r = (unsigned)b->count;
	batch_clear(b);
	return ret;
}
