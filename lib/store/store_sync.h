/* What a client's local store remembers of a remote server, so that a sync
 * is a three-way comparison (local now, remote now, last agreed) and every
 * change made offline is found again at the next sync, even after a crash
 * (the terminal client, DESIGN.md: "a local store (reuse lib/store)").
 * Kept in the account's mail.db beside the messages:
 *   sync_mailbox  per local mailbox: the remote UIDVALIDITY, UIDNEXT and
 *                 HIGHESTMODSEQ seen at the end of the last good sync
 *   sync_map      per synced message: local UID <-> remote UID, and the
 *                 flags and keywords both sides had when last agreed
 *   sync_pop3     UIDLs already downloaded from a POP3 server
 * Rows are keyed by mailbox name, not by the local mailbox's row, and
 * nothing cascades: a local DELETE of a synced mailbox leaves its rows, so
 * the next sync sees is_local_gone, deletes the remote mailbox and only
 * then calls store_sync_mailbox_forget. Likewise a map row outlives the
 * local expunge of its message (a map row whose local UID is gone is a
 * local deletion to send). The local UIDVALIDITY is recorded with the
 * state, so a mailbox deleted and created again under the same name also
 * reads as gone, and stale map rows never meet the new UIDs.
 * XXX a local rename reads as a delete of the old name and a new mailbox;
 * the renamed mailbox keeps its UIDVALIDITY, so a later engine could spot
 * it. "inbox" in any case is INBOX. None of these touch the changes file:
 * sync state is not mail. */
#ifndef STORE_STORE_SYNC_H
#define STORE_STORE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct pool;

struct store_sync_mailbox {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq; /* 0: the server has no CONDSTORE */
	/* Filled by _get and _list, ignored by _set: the local mailbox was
	 * deleted (or deleted and created again) since the state was set. */
	bool is_local_gone;
};

/* Returns 1 with *state_r, 0 if the mailbox was never synced (or was
 * forgotten), -1. A mailbox synced before and deleted locally since
 * returns 1 with state_r->is_local_gone. */
int store_sync_mailbox_get(struct store_account *account, const char *mailbox,
                           struct store_sync_mailbox *state_r);
/* Records state for mailbox, which must exist locally (its current
 * UIDVALIDITY is recorded with it). Returns 0, or -1 (no such mailbox, or
 * a storage failure). */
int store_sync_mailbox_set(struct store_account *account, const char *mailbox,
                           const struct store_sync_mailbox *state);
/* Forgets mailbox's remote state and every map row of it (UIDVALIDITY
 * changed, or the remote or the local mailbox went and the other side was
 * told). Forgetting an unknown mailbox is fine. Returns 0 or -1. */
int store_sync_mailbox_forget(struct store_account *account,
                              const char *mailbox);
typedef int store_sync_mailbox_cb(const char *mailbox,
                                  const struct store_sync_mailbox *state,
                                  void *ctx);
/* Calls cb for every mailbox with a recorded state, by name, including
 * those deleted locally (is_local_gone): how a sync finds local DELETEs.
 * cb returning non-zero stops the walk and is returned; cb must not write
 * sync state. Returns 0, cb's value, or -1. */
int store_sync_mailbox_list(struct store_account *account,
                            store_sync_mailbox_cb *cb, void *ctx);

struct store_sync_map {
	uint32_t local_uid;
	uint32_t remote_uid;
	uint32_t flags;       /* STORE_FLAG_* as last agreed */
	const char *keywords; /* as last agreed, "" when none */
};

/* Inserts or replaces the row of (mailbox, remote_uid); a row with the
 * same local_uid is replaced too. Returns 0 or -1. */
int store_sync_map_set(struct store_account *account, const char *mailbox,
                       const struct store_sync_map *map);
/* Deletes the row of remote_uid. Returns 1 deleted, 0 none, -1. */
int store_sync_map_del(struct store_account *account, const char *mailbox,
                       uint32_t remote_uid);
/* Look-ups; return 1 with *map_r (keywords from pool), 0 none, -1. */
int store_sync_map_by_remote(struct store_account *account, const char *mailbox,
                             uint32_t remote_uid, struct pool *pool,
                             struct store_sync_map *map_r);
int store_sync_map_by_local(struct store_account *account, const char *mailbox,
                            uint32_t local_uid, struct pool *pool,
                            struct store_sync_map *map_r);
typedef int store_sync_map_cb(const struct store_sync_map *map, void *ctx);
/* Calls cb for every row of mailbox in remote UID order; cb returning
 * non-zero stops the walk and is returned. cb must not write the map.
 * Returns 0, cb's value, or -1. */
int store_sync_map_list(struct store_account *account, const char *mailbox,
                        store_sync_map_cb *cb, void *ctx);

/* POP3: returns 1 if uidl was downloaded before, 0 if not, -1. */
int store_sync_pop3_seen(struct store_account *account, const char *uidl);
/* Records uidl as downloaded at time now. Returns 0 or -1. */
int store_sync_pop3_mark(struct store_account *account, const char *uidl,
                         time_t now);
/* Forgets every UIDL not in uidls (the server no longer has them).
 * Returns how many went, or -1. */
int store_sync_pop3_prune(struct store_account *account,
                          const char *const *uidls, size_t count);

#endif
