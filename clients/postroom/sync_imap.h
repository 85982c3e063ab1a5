/* Inside the IMAP sync only (sync_imap.c, sync_imap_mailbox.c): one sync
 * session over one connection. Phase 1 walks every paired mailbox once
 * (remote changes, flags both ways, expunges both ways, local moves sent
 * as UID MOVE); phase 2 uploads the local messages the server has not got.
 * Every step commits on its own, so an interrupted sync is picked up by
 * the next one from the store's three-way state (store_sync.h). */
#ifndef POSTROOM_SYNC_IMAP_H
#define POSTROOM_SYNC_IMAP_H

#include "postroom.h"

struct imap_client;

/* A local message without a map row: an upload, or the far end of a local
 * move (matched by size and Message-ID against a message gone locally). */
struct sync_imap_cand {
	const char *mailbox;        /* local name */
	const char *remote_mailbox; /* remote name */
	uint32_t uid;
	uint64_t size;
	const char *blob_id;
	const char *message_id; /* NULL until read */
	bool is_claimed;        /* mapped by a MOVE */
};

struct sync_imap {
	const struct pr_config *config;
	const struct pr_account *account;
	struct pr_local *local;
	struct pr_sync_report *report;
	struct imap_client *c;
	struct pool *pool; /* the whole sync */
	char delim;        /* the server's hierarchy delimiter, or '/' */
	struct sync_imap_cand *cands;
	size_t cand_count, cand_cap;
	const char *error; /* the first per-mailbox failure, from pool */
};

/* Phase 1 for one pair of mailboxes. Returns 0, or -1 with s->error set
 * (the caller goes on with the next mailbox unless the connection is
 * lost: imap_client_last_status() == IMAP_CLIENT_ERROR). */
int sync_imap_mailbox(struct sync_imap *s, const char *local_name,
                      const char *remote_name);
/* Phase 2: appends the unmapped, unclaimed local messages of local_name.
 * Returns 0, or -1 with s->error. */
int sync_imap_upload(struct sync_imap *s, const char *local_name,
                     const char *remote_name);
/* Adds the unmapped local messages of local_name to s->cands. Returns 0
 * or -1. */
int sync_imap_candidates(struct sync_imap *s, const char *local_name,
                         const char *remote_name);
/* Returns the Message-ID field body (trimmed, from pool) of the header in
 * data, or "" when there is none. */
const char *sync_imap_message_id(const unsigned char *data, size_t size,
                                 struct pool *pool);
/* Records "what: reason" as s->error (first failure wins). Returns -1. */
int sync_imap_fail(struct sync_imap *s, const char *what, const char *reason);

#endif
