/* Committing a delivery batch (servers/deliver, deliver_batch.h): once
 * every blob is durable, the rows of each account go in one transaction,
 * each under its delivery key "<queue id>/<index>" (a repeat is a no-op),
 * with what the rules remember and the mark of a recipient whose rules
 * stored no row; a quarantined message that is kept goes to \Junk. */
#include "deliver/deliver_batch.h"
#include "deliver/deliver_state.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_sieve.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Every recipient still waiting in the batch gets status and text. */
void deliver_commit_fail_waiting(struct delivery *dvs, size_t count,
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
				deliver_rcpt_set(rs, "tempfail",
				                 deliver_blob_storage_error(
				                     dvs[i].d, dvs[i].size));
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
	    store_mailbox_list(account, junk_find_cb, &f) < 0 || f.name == NULL)
		return "INBOX";
	return f.name;
}

/* Inside the account's batch: adds the rows of recipient index's targets,
 * then what its rules remember, then its delivery key. A failed row
 * fails the recipient (its other rows are no-ops on the next try). */
static void rules_commit(struct deliver *d, struct store_account *account,
                         struct delivery *dv, size_t index)
{
	struct rcpt_state *rs = &dv->rcpts[index];
	const char *address = dv->env.rcpts[index].address;
	const char *error;
	time_t now = time(NULL);
	for (size_t i = 0; !rs->is_done_before && i < rs->rules.target_count;
	     i++) {
		const struct deliver_rules_target *t = &rs->rules.targets[i];
		struct target_state *ts = &rs->targets[i];
		/* a quarantined message kept by the rules goes to \Junk */
		ts->mailbox =
		    t->report == NULL && strcasecmp(t->mailbox, "INBOX") == 0
		        ? delivery_mailbox(dv, account)
		        : t->mailbox;
		int ret = store_message_add(
		    account, ts->mailbox, ts->blob_id, ts->size, t->flags,
		    t->keywords, t->report != NULL ? now : dv->env.arrival,
		    t->key, &ts->uid, &error);
		if (ret < 0) {
			log_error(
			    NULL,
			    "store-failed id=%s to=<%s> mailbox=%s error=%s",
			    dv->env.id, log_sanitize(address, 200),
			    log_sanitize(t->mailbox, 200), error);
			deliver_rcpt_set(
			    rs, "tempfail",
			    deliver_blob_storage_error(d, ts->size));
			return;
		}
		ts->is_duplicate = ret == 0;
	}
	for (size_t i = 0; i < rs->rules.memory_count; i++) {
		const struct deliver_rules_memory *m = &rs->rules.memory[i];
		if (store_sieve_memory_put(account, m->key, m->expires, now,
		                           &error) < 0)
			log_warn(NULL,
			         "rules-memory-failed id=%s to=<%s> error=%s",
			         dv->env.id, log_sanitize(address, 200), error);
	}
	const char *key = pool_printf(dv->pool, "%s/%zu", dv->env.id, index);
	if (store_sieve_delivery_mark(account, key, now, &error) < 0) {
		log_error(NULL, "store-failed id=%s to=<%s> error=%s",
		          dv->env.id, log_sanitize(address, 200), error);
		deliver_rcpt_set(rs, "tempfail",
		                 deliver_blob_storage_error(d, dv->size));
		return;
	}
	rs->is_duplicate = rs->is_done_before;
	rs->status = "ok"; /* once committed */
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
	struct cache_entry *e = deliver_cache_get(d, &first->info, &error);
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
			if (rs->rules.has_rules) {
				rules_commit(d, e->account, dv, j);
				continue;
			}
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
				deliver_rcpt_set(
				    rs, "tempfail",
				    deliver_blob_storage_error(d, dv->size));
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
		deliver_cache_clear(e);
	}
	deliver_commit_fail_waiting(dvs, count, account_id, address);
}

/* Commits the waiting rows, one transaction per account. */
void deliver_commit_rows(struct deliver *d, struct delivery *dvs, size_t count)
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
