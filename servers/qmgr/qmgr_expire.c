/* Scheduled expiry of Trash and Junk (store_expire.h), run by qmgr's
 * maintenance timer: every account in turn, opened and closed again, its
 * mailboxes expunged in small transactions; one log line per mailbox that
 * lost mail, with the count, so users' "where did my mail go" has an
 * answer in the log. */
#include "qmgr/qmgr.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

struct expire_run {
	char **addresses;
	size_t count, cap;
	const char *current; /* the account being expired */
	long removed;
};

static void account_cb(const struct store_account_info *info, void *ctx)
{
	struct expire_run *run = ctx;
	if (run->count == run->cap) {
		run->cap = run->cap == 0 ? 64 : run->cap * 2;
		run->addresses = xrealloc(run->addresses,
		                          run->cap * sizeof(*run->addresses));
	}
	run->addresses[run->count++] = xstrdup(info->address);
}

static void expired_cb(const char *mailbox, unsigned days, size_t removed,
                       bool has_more, void *ctx)
{
	struct expire_run *run = ctx;
	log_info(NULL, "expired account=%s mailbox=%s days=%u removed=%zu%s",
	         run->current, log_sanitize(mailbox, 200), days, removed,
	         has_more ? " more=yes" : "");
}

void qmgr_expire_run(struct qmgr *q, time_t now)
{
	struct expire_run run = {0};
	const char *error;
	if (q->store == NULL ||
	    store_account_list(q->store, account_cb, &run) < 0) {
		if (q->store != NULL)
			log_error(NULL, "expire-failed error=%s",
			          store_last_error(q->store));
		return;
	}
	for (size_t i = 0; i < run.count; i++) {
		struct store_account *account;
		run.current = run.addresses[i];
		if (store_account_open(q->store, run.current, &account,
		                       &error) < 0) {
			log_error(NULL, "expire-failed account=%s error=%s",
			          run.current, error);
			continue;
		}
		long n = store_expire_account(account, &q->expiry, now,
		                              expired_cb, &run, &error);
		if (n < 0)
			log_error(NULL, "expire-failed account=%s error=%s",
			          run.current, error);
		else
			run.removed += n;
		store_account_close(&account);
	}
	for (size_t i = 0; i < run.count; i++)
		free(run.addresses[i]);
	free(run.addresses);
}
