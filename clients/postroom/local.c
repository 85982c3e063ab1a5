/* The local store: the same lib/store the servers use, under
 * data_dir/store, with one store account per configured account. Mail
 * written here is durable in the same way (blob fsync before the row), so
 * an interrupted sync loses nothing that was already stored. */
#include "postroom.h"

#include "core/file.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <errno.h>
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
