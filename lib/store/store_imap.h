/* What IMAP needs from the store beyond store.h: the UIDs of a mailbox in
 * order (sequence numbers), its cheap change state (UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ) to tell whether a session must resynchronise, the
 * messages changed since a MODSEQ (untagged FETCH, CONDSTORE), the UIDs
 * expunged since a MODSEQ (QRESYNC's VANISHED), the \Recent watermark,
 * and one
 * process-wide watcher over the changes files of many accounts, so that a
 * thousand IDLE sessions need one inotify instance, not a thousand. */
#ifndef STORE_STORE_IMAP_H
#define STORE_STORE_IMAP_H

#include "store/store.h"

struct store_watcher;

/* Reads mailbox's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ. Returns 1, 0 if
 * there is no such mailbox, -1 on error. */
int store_imap_mailbox_state(struct store_account *account, const char *mailbox,
                             uint32_t *uidvalidity_r, uint32_t *uidnext_r,
                             uint64_t *highestmodseq_r);
/* Returns the UIDs of mailbox in ascending order in *uids_r (heap, the
 * caller frees; NULL when empty) and their number. Returns 1, 0 if there
 * is no such mailbox, -1 on error. */
int store_imap_uids(struct store_account *account, const char *mailbox,
                    uint32_t **uids_r, size_t *count_r);
/* For SELECT (RFC 3501 §6.3.1 UNSEEN, §7.2.6 FLAGS): the UID of the first
 * message of mailbox without \Seen in *uid_r (0 when every message is
 * seen), and cb called once for each distinct keyword list in use
 * (space-separated, never empty). Returns 1, 0 if there is no such
 * mailbox, -1 on error. */
int store_imap_select_info(struct store_account *account, const char *mailbox,
                           uint32_t *first_unseen_r,
                           void (*cb)(const char *keywords, void *ctx),
                           void *ctx);
/* Calls cb for each message of mailbox with MODSEQ > since in UID order,
 * as store_message_list does. Returns 0, cb's non-zero value, or -1. */
int store_imap_changed(struct store_account *account, const char *mailbox,
                       uint64_t since, store_message_cb *cb, void *ctx);

/* Returns in *uids_r (heap, the caller frees; NULL when none) the UIDs
 * expunged or moved out of mailbox at a MODSEQ above since, ascending, and
 * their number (RFC 7162 §3.2.5.1, §3.2.6 VANISHED (EARLIER)). When since
 * is older than what the pruned expunge log still covers
 * (store_gc_expunged), every UID below UIDNEXT that is not in the mailbox
 * (a superset, as §3.2.5.2 allows). Returns 1, 0 if there is no such
 * mailbox, -1 on error. */
int store_imap_vanished(struct store_account *account, const char *mailbox,
                        uint64_t since, uint32_t **uids_r, size_t *count_r);

/* \Recent (RFC 3501 §2.3.2): reads mailbox's recent watermark (the
 * highest UID some session has seen as \Recent) into *old_r and, when
 * claim is true, raises it to last_uid in the same transaction, so that
 * UIDs in (*old_r, last_uid] are \Recent for this session only. Changes
 * no MODSEQ and wakes no watcher. Returns 1, 0 if there is no such
 * mailbox, -1 on error. */
int store_imap_recent(struct store_account *account, const char *mailbox,
                      uint32_t last_uid, bool claim, uint32_t *old_r);

/* A watcher over the changes files of several accounts. */
struct store_watcher *store_watcher_new(struct store *store);
/* Frees; sets *watcher to NULL; accepts NULL. */
void store_watcher_free(struct store_watcher **watcher);
/* The fd that becomes readable when a watched account changes. */
int store_watcher_fd(const struct store_watcher *watcher);
/* Starts watching account (counted: several adds of one account need as
 * many removes). Returns a watch id >= 0 that is the same for every add of
 * the same account, or -1 with errno. */
int store_watcher_add(struct store_watcher *watcher,
                      struct store_account *account);
void store_watcher_remove(struct store_watcher *watcher, int watch_id);
typedef void store_watcher_cb(int watch_id, void *ctx);
/* Reads the pending events and calls cb once per changed watch id (a
 * watch id may be reported more than once). */
void store_watcher_read(struct store_watcher *watcher, store_watcher_cb *cb,
                        void *ctx);

#endif
