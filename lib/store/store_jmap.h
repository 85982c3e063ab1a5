/* What JMAP (RFC 8620, RFC 8621) needs from the store beyond store.h: the
 * account's change counter and per-type states, changes since a state, the
 * Emails (one per guid: its copies in several mailboxes are one Email with
 * several mailboxIds), Threads and Mailboxes as JMAP sees them, and the
 * writes JMAP makes by guid (keywords, mailboxIds, destroy). Messages
 * flagged \Deleted are not visible to JMAP (RFC 8621 §4.1.1). The counter
 * and the per-object modseqs are kept by triggers (store_account_db.c), so
 * a change made through IMAP, POP3 or deliver is a JMAP change too. */
#ifndef STORE_STORE_JMAP_H
#define STORE_STORE_JMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct pool;

struct store_jmap_states {
	uint64_t email, mailbox, thread;
};

/* Assigns a thread to every Email that has none yet (store_thread.c), then
 * reads the states. Returns 0 or -1. */
int store_jmap_states(struct store_account *account,
                      struct store_jmap_states *states_r);

/* ---- Mailboxes --------------------------------------------------------- */

struct store_jmap_mailbox {
	int64_t id;
	const char *name; /* the full "/"-separated name */
	enum store_special_use special_use;
	bool is_subscribed;
	uint32_t sort_order;
	uint32_t total_emails, unread_emails, total_threads, unread_threads;
};

typedef void store_jmap_mailbox_cb(const struct store_jmap_mailbox *mb,
                                   void *ctx);
/* Calls cb for every mailbox (by name). Returns 0 or -1. */
int store_jmap_mailbox_list(struct store_account *account,
                            store_jmap_mailbox_cb *cb, void *ctx);
/* The name of mailbox id into *name_r (from pool). Returns 1, 0 if none,
 * -1. */
int store_jmap_mailbox_name(struct store_account *account, int64_t id,
                            struct pool *pool, const char **name_r);
/* The id of the mailbox called name. Returns 1, 0 if none, -1. */
int store_jmap_mailbox_id(struct store_account *account, const char *name,
                          int64_t *id_r);
/* Sets the sort order (RFC 8621 §2 sortOrder). Returns 1, 0 none, -1. */
int store_jmap_mailbox_set_sort_order(struct store_account *account,
                                      int64_t id, uint32_t sort_order);
/* Sets the role (special use) of mailbox id. Returns 1, 0 none, -1. */
int store_jmap_mailbox_set_role(struct store_account *account, int64_t id,
                                enum store_special_use special_use);
/* Counts the visible Emails in mailbox id. Returns the count, or -1. */
int64_t store_jmap_mailbox_count(struct store_account *account, int64_t id);

/* ---- Changes ------------------------------------------------------------ */

enum store_jmap_type {
	STORE_JMAP_EMAIL,
	STORE_JMAP_MAILBOX,
	STORE_JMAP_THREAD,
};

enum store_jmap_change {
	STORE_JMAP_CREATED,
	STORE_JMAP_UPDATED,
	STORE_JMAP_DESTROYED,
};

/* One change; for Mailbox updates, is_counts_only says that only the
 * counts changed (Mailbox/changes updatedProperties). id is a guid for
 * Emails, a number for Mailboxes and Threads, as text. */
typedef void store_jmap_change_cb(enum store_jmap_change change,
                                  const char *id, bool is_counts_only,
                                  void *ctx);
/* Calls cb for every object of type that changed after since, oldest
 * change first, at most max (0: no limit) of them, and sets *upto_r to
 * the state that covers exactly what was reported (the current state when
 * nothing more is left) and *has_more_r. Returns 0, 1 when since is in
 * the future or older than what is kept, -1 on error. */
int store_jmap_changes(struct store_account *account, enum store_jmap_type type,
                       uint64_t since, unsigned max, store_jmap_change_cb *cb,
                       void *ctx, uint64_t *upto_r, bool *has_more_r);

/* ---- Emails ------------------------------------------------------------- */

struct store_jmap_row {
	int64_t mailbox_id;
	uint32_t uid;
	uint32_t flags;
	const char *keywords;
};

struct store_jmap_email {
	const char *guid;
	int64_t thread_id;
	const char *blob_id;
	uint64_t size;
	time_t received; /* the earliest internal date of its rows */
	uint32_t flags;       /* union over the visible rows */
	const char *keywords; /* union over the visible rows, space-separated */
	size_t row_count;     /* visible rows */
	struct store_jmap_row *rows;
};

/* Reads Email guid (visible rows only) into *email_r (from pool). Returns
 * 1, 0 if there is no such visible Email, -1. */
int store_jmap_email_get(struct store_account *account, const char *guid,
                         struct pool *pool, struct store_jmap_email *email_r);

/* One row of a mailbox (or of all mailboxes) in date order, for queries. */
struct store_jmap_item {
	const char *guid;
	int64_t thread_id;
	int64_t mailbox_id;
	uint32_t uid;
	uint32_t flags;
	const char *keywords;
	time_t received;
	uint64_t size;
	const char *blob_id;
};

typedef int store_jmap_item_cb(const struct store_jmap_item *item, void *ctx);
/* Calls cb for each visible message row of mailbox_id (0: every mailbox)
 * by internal date, newest first when is_desc, then by UID; cb returning
 * non-zero stops the walk. Returns 0, cb's value, or -1. */
int store_jmap_email_walk(struct store_account *account, int64_t mailbox_id,
                          bool is_desc, store_jmap_item_cb *cb, void *ctx);

/* The guids of Thread id's visible Emails, oldest first, appended to
 * *guids_r (array from pool, *count_r entries). Returns 1, 0 if the thread
 * has no visible Email, -1. */
int store_jmap_thread_get(struct store_account *account, int64_t id,
                          struct pool *pool, const char ***guids_r,
                          size_t *count_r);

/* Sets the flags and keywords of every row of Email guid to these (a new
 * IMAP MODSEQ for each row changed). Returns 1, 0 if no such Email, -1. */
int store_jmap_email_set_keywords(struct store_account *account,
                                  const char *guid, uint32_t flags,
                                  const char *keywords);
/* Makes Email guid's mailboxes exactly the count ids given: copies into the
 * new ones (new UIDs, the same guid and blob), removes it from the others
 * (expunge log rows for QRESYNC). Returns 1, 0 if no such Email, -1 with
 * *error_r ("no such mailbox"). */
int store_jmap_email_set_mailboxes(struct store_account *account,
                                   const char *guid, const int64_t *ids,
                                   size_t count, const char **error_r);
/* Removes every row of Email guid. Returns 1, 0 if none, -1. */
int store_jmap_email_destroy(struct store_account *account, const char *guid);
/* The guid of the message added as uid to mailbox (after store_message_add)
 * into *guid_r (from pool). Returns 1, 0, -1. */
int store_jmap_message_guid(struct store_account *account, const char *mailbox,
                            uint32_t uid, struct pool *pool,
                            const char **guid_r);

/* ---- Blobs -------------------------------------------------------------- */

/* Remembers an uploaded blob for this account. Returns 0 or -1. */
int store_jmap_upload_add(struct store_account *account, const char *blob_id,
                          const char *type, uint64_t size);
/* May this account read blob_id: a message of its own or an upload of its
 * own? Returns 1 yes, 0 no, -1. */
int store_jmap_blob_is_owned(struct store_account *account,
                             const char *blob_id);

/* ---- Threads (store_thread.c) ------------------------------------------ */

/* Assigns a thread to every Email without one, from the header of its
 * blob: it joins the thread of a message it names in Message-ID,
 * In-Reply-To or References when that thread has the same base subject
 * (Re:, Fwd: and [list] prefixes off), else starts a new one. Must run in
 * a transaction. Returns 0 or -1. */
int store_thread_assign(struct store_account *account);
/* The base subject used for matching (lowercase, prefixes and white space
 * folded) of subject (UTF-8), appended to out. */
void store_thread_base_subject(const char *subject, struct buf *out);

#endif
