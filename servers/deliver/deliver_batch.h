/* One batch of delivery requests as deliver.c reads, deliver_blob.c
 * writes and deliver_commit.c commits it: each request (struct delivery)
 * with the state of each of its recipients and the blobs made for it.
 * Private to servers/deliver. */
#ifndef DELIVER_DELIVER_BATCH_H
#define DELIVER_DELIVER_BATCH_H

#include "core/buf.h"
#include "deliver/deliver_rules.h"
#include "queue/queue.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deliver;
struct pool;

/* Where one target of a recipient's rules is written. */
struct target_state {
	const char *mailbox; /* t->mailbox, or \Junk for a quarantined keep */
	const char *blob_id;
	uint64_t size;
	uint32_t uid;
	bool is_duplicate;
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
	struct deliver_rules_result rules; /* has_rules: the targets decide */
	struct target_state *targets;      /* one per rules.targets[] */
	bool is_done_before; /* its rules were committed by an earlier try */
};

/* A blob of a delivery besides the message as queued: the message with
 * an edited header, or a note of the rules. */
struct variant {
	const void *what; /* the sieve_edit, or the note's text */
	char blob_id[STORE_BLOB_ID_LEN + 1];
	uint64_t size;
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
	struct buf msg;           /* what rules see of the message, read once */
	bool has_msg;
	struct variant *variants;
	size_t variant_count, variant_cap;
};

/* Ends a recipient's part in the batch with status and text. */
static inline void deliver_rcpt_set(struct rcpt_state *rs, const char *status,
                                    const char *text)
{
	rs->status = status;
	rs->text = text;
	rs->is_waiting = false;
}

/* ---- deliver_blob.c ---- */

/* The tempfail text for a message of size bytes that could not be stored
 * (a static string): 4.3.1 when data_dir is short of room, else 4.3.0. */
const char *deliver_blob_storage_error(const struct deliver *d, uint64_t size);
/* Makes sure the blob of the message as queued is in the batch. Returns 0,
 * or -1 with rs failed. */
int deliver_blob_base(struct delivery *dv, struct rcpt_state *rs);
/* Makes sure the blob of target t is in the batch (the message as queued,
 * with an edited header, or a note of the rules) and names it in ts.
 * Returns 0, or -1 with rs failed. */
int deliver_blob_target(struct delivery *dv, struct rcpt_state *rs,
                        const struct deliver_rules_target *t,
                        struct target_state *ts);

/* ---- deliver_commit.c ---- */

/* Every recipient of dvs[0..count) still waiting (of account_id and
 * address, or all when address is NULL) gets a temporary failure. */
void deliver_commit_fail_waiting(struct delivery *dvs, size_t count,
                                 int64_t account_id, const char *address);
/* Commits the waiting rows of the batch, one transaction per account:
 * committed recipients get "ok", failed ones a temporary failure. */
void deliver_commit_rows(struct deliver *d, struct delivery *dvs, size_t count);

#endif
