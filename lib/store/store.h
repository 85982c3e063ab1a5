/* The store: everything Postroom keeps for accounts (DESIGN.md, the store).
 *   data_dir/postroom.db          global SQLite (WAL): domains, accounts,
 *                                 aliases
 *   data_dir/accounts/<id>/       one folder per account, named by its
 *     mail.db                     numeric id (never by client input):
 *                                 mailboxes, messages, flags, MODSEQ
 *     changes                     touched after every commit, for watchers
 *   data_dir/blobs/xx/<sha256>    message bodies, immutable and
 *                                 content-addressed: written once however
 *                                 many accounts hold the message
 * Blob write order: temporary file, fsync, rename, fsync the folder; only
 * then is the row that names it committed. SQLite stays behind this API so a
 * PostgreSQL backend can replace it without touching the servers. Addresses
 * are compared case-insensitively and stored lowercased. Every function is
 * safe to call from several processes at once (SQLite busy timeout).
 * A reason in *error_r is a string literal or a buffer kept until the next
 * failure (or close) of the same handle. Callbacks of the _list
 * functions must not start the same listing again on the same handle. */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pool;

struct store_settings {
	const char *data_dir;
	uint64_t default_quota; /* bytes for new accounts; 0 is unlimited */
	/* where postmaster@ a local domain goes when it has no account,
	   alias or catch-all of its own: any address, local or remote;
	   NULL or "": the installation's first account (RFC 5321 §4.5.1) */
	const char *postmaster;
};

struct store;         /* the global database and the blob folder */
struct store_account; /* one open account database */

/* Opens (creating when missing) the store under settings->data_dir.
 * Returns 0, or -1 with a static or pool-less heap-free reason in *error_r
 * (a string literal or one kept until store_close); "invalid postmaster
 * address" when settings->postmaster is not one. */
int store_open(const struct store_settings *settings, struct store **store_r,
	       const char **error_r);
void store_close(struct store **store);
/* The reason of the last failure on this store, for logging. */
const char *store_last_error(const struct store *store);

/* ---- Addresses ---------------------------------------------------------
 * Syntax checks shared by postroomctl and smtpd. */

/* Returns true if addr is local@domain with a dot-atom or quoted local
 * part (RFC 5321 §4.1.2) and a valid domain name. */
bool store_address_is_valid(const char *addr);
/* Returns true if domain is a valid DNS name (letters, digits, hyphens,
 * dot-separated labels of 1-63 bytes, 253 in all). */
bool store_domain_is_valid(const char *domain);

/* ---- Domains ---------------------------------------------------------- */

/* Returns 0, or -1 with *error_r: "invalid domain", "domain exists". */
int store_domain_add(struct store *store, const char *domain,
		     const char **error_r);
/* Returns 0, or -1 with *error_r: "no such domain", "domain has accounts"
 * (its aliases go with it). */
int store_domain_del(struct store *store, const char *domain,
		     const char **error_r);
/* Returns 1 if domain is local, 0 if not, -1 on error. */
int store_domain_exists(struct store *store, const char *domain);
typedef void store_domain_cb(const char *domain, void *ctx);
/* Calls cb for each domain in order. Returns 0 or -1. */
int store_domain_list(struct store *store, store_domain_cb *cb, void *ctx);

/* ---- Accounts --------------------------------------------------------- */

struct store_account_info {
	int64_t id;
	const char *address;
	const char *password_hash;
	uint64_t quota; /* bytes; 0 is unlimited */
	time_t created;
};

/* Adds an account in an existing local domain, with the default mailboxes
 * INBOX, Drafts, Sent, Trash, Junk, Archive (RFC 6154 roles). quota 0 means
 * settings->default_quota. Returns 0, or -1 with *error_r: "invalid
 * address", "no such domain", "account exists", "address is an alias". */
int store_account_add(struct store *store, const char *address,
		      const char *password_hash, uint64_t quota,
		      const char **error_r);
/* Replace the password hash or the quota (0: unlimited). Return 0, or -1
 * with *error_r ("no such account"). */
int store_account_set_password(struct store *store, const char *address,
			       const char *password_hash, const char **error_r);
int store_account_set_quota(struct store *store, const char *address,
			    uint64_t quota, const char **error_r);
/* Removes the account row and its folder (its blobs are collected later).
 * Returns 0, or -1 with *error_r ("no such account"). */
int store_account_del(struct store *store, const char *address,
		      const char **error_r);
/* Looks address up (exactly, no aliases or +detail). Returns 1 with *info_r
 * filled from pool, 0 if there is no such account, -1 on error. */
int store_account_lookup(struct store *store, const char *address,
			 struct pool *pool, struct store_account_info *info_r);
typedef void store_account_cb(const struct store_account_info *info,
			      void *ctx);
int store_account_list(struct store *store, store_account_cb *cb, void *ctx);

/* ---- Aliases -----------------------------------------------------------
 * source is "user@domain" or "@domain" (catch-all); target is any valid
 * address, local or remote. One source may have several targets. */

/* Returns 0, or -1 with *error_r: "invalid address", "no such domain"
 * (source's domain must be local), "alias exists", "address is an
 * account". */
int store_alias_add(struct store *store, const char *source,
		    const char *target, const char **error_r);
/* Deletes source -> target, or every target of source when target is NULL.
 * Returns 0, or -1 with *error_r ("no such alias"). */
int store_alias_del(struct store *store, const char *source,
		    const char *target, const char **error_r);
typedef void store_alias_cb(const char *source, const char *target,
			    void *ctx);
int store_alias_list(struct store *store, store_alias_cb *cb, void *ctx);

/* ---- Resolving a recipient ----------------------------------------------
 * Order for local part L, detail D and domain X of "L+D@X": account L@X,
 * alias L+D@X, alias L@X, catch-all @X. Aliases expand recursively (at most
 * 10 levels; a loop ends with what was found); duplicates are removed.
 * postmaster@X (RFC 5321 §4.5.1: every domain's postmaster must reach
 * someone) falls back, when none of these exists, to the settings'
 * postmaster, else to the first account of the installation (lowest id:
 * the one made when it was set up). */

struct store_target {
	const char *address; /* account address, or a remote address */
	const char *detail;  /* "+tag" part without '+', or NULL */
	bool is_local;       /* true: an account of this store */
};

struct store_resolution {
	size_t count;
	struct store_target *targets; /* from pool */
};

/* Resolves address. Returns 1 with at least one target, 0 if nothing here
 * takes the address (unknown user, or a domain that is not local), -1 on
 * error. Everything is allocated from pool. A +detail is kept for a local
 * account reached directly or through alias L@X; an alias L+D@X or a
 * catch-all passes no detail on. */
int store_address_resolve(struct store *store, const char *address,
			  struct pool *pool, struct store_resolution *res_r);
/* May the user logged in as account send as sender? Returns 1 if sender
 * is account's own address, account's address with a +detail, or an alias
 * source (with or without +detail) that has account among its direct
 * targets; 0 if not (a catch-all does not count); -1 on error. */
int store_sender_allowed(struct store *store, const char *account,
			 const char *sender);
/* Returns 1 if size more bytes fit in account's quota (always, when it is
 * 0), 0 if not, -1 on error (including no such account). */
int store_quota_check(struct store *store, const char *account, uint64_t size);

/* ---- Blobs -------------------------------------------------------------- */

#define STORE_BLOB_ID_LEN 64 /* lowercase hex SHA-256 */

struct store_blob_writer;

/* Starts a blob in a temporary file. Returns 0, or -1 with *error_r. */
int store_blob_begin(struct store *store, struct store_blob_writer **w_r,
		     const char **error_r);
/* Appends bytes. Returns 0, or -1 (the writer then only aborts). */
int store_blob_write(struct store_blob_writer *w, const void *data,
		     size_t size);
/* Makes the blob durable under its hash (an existing identical blob is kept
 * and the new copy dropped). Writes the id into blob_id_r (NUL-terminated)
 * and frees *w (set to NULL). Returns 0, or -1 with *error_r. */
int store_blob_finish(struct store_blob_writer **w,
		      char blob_id_r[STORE_BLOB_ID_LEN + 1], uint64_t *size_r,
		      const char **error_r);
/* Appends to w everything written to src so far (src is unchanged; an
 * APPEND ... CATENATE part into the message it builds). Returns 0, or -1
 * (w then only aborts). */
int store_blob_write_from(struct store_blob_writer *w,
			  const struct store_blob_writer *src);
/* Bytes written to w so far. */
uint64_t store_blob_written(const struct store_blob_writer *w);
/* Drops an unfinished blob; accepts NULL. */
void store_blob_abort(struct store_blob_writer **w);
/* Group commit of blobs, for a writer of many messages at once (deliver):
 * blobs are added as they are written, then made durable and placed all
 * together by one store_blob_batch_sync (two file system syncs however
 * many blobs, where store_blob_finish costs two fsyncs each). A row may
 * name a batch's blob only after that sync returned 0. */
struct store_blob_batch;

/* Returns an empty batch over store (not owned). */
struct store_blob_batch *store_blob_batch_new(struct store *store);
/* Frees *b (set to NULL), dropping blobs not yet synced; accepts NULL. */
void store_blob_batch_free(struct store_blob_batch **b);
/* Ends the writer *w (freed, set to NULL) into the batch: writes its id
 * into blob_id_r and its size into *size_r (may be NULL), but the blob is
 * neither durable nor in place yet. Returns 0, or -1 with *error_r (the
 * writer is then dropped). */
int store_blob_batch_add(struct store_blob_batch *b,
			 struct store_blob_writer **w,
			 char blob_id_r[STORE_BLOB_ID_LEN + 1],
			 uint64_t *size_r, const char **error_r);
/* Makes every blob added since the last call durable under its hash (an
 * identical blob already there is kept, and synced again). Returns 0, or
 * -1 with *error_r (kept until the next call): then no blob of the batch
 * may be named. The batch is empty afterwards either way. */
int store_blob_batch_sync(struct store_blob_batch *b, const char **error_r);
/* Opens a blob for reading. Returns an fd (caller closes), or -1 with errno
 * (ENOENT if there is no such blob, EINVAL for a malformed id). */
int store_blob_open(struct store *store, const char *blob_id);

/* ---- One account's mail ------------------------------------------------- */

enum store_special_use {
	STORE_SPECIAL_NONE,
	STORE_SPECIAL_INBOX,
	STORE_SPECIAL_DRAFTS,
	STORE_SPECIAL_SENT,
	STORE_SPECIAL_TRASH,
	STORE_SPECIAL_JUNK,
	STORE_SPECIAL_ARCHIVE,
};

/* System flags (RFC 9051 §2.3.2); keywords are kept as a space-separated
 * string beside them. */
#define STORE_FLAG_SEEN (1u << 0)
#define STORE_FLAG_ANSWERED (1u << 1)
#define STORE_FLAG_FLAGGED (1u << 2)
#define STORE_FLAG_DELETED (1u << 3)
#define STORE_FLAG_DRAFT (1u << 4)

struct store_mailbox_info {
	int64_t id;
	const char *name; /* "/"-separated UTF-8, "INBOX" for the inbox */
	enum store_special_use special_use;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;
	uint32_t unseen;
	uint64_t size; /* bytes of all its messages */
	bool is_subscribed;
};

struct store_message {
	uint32_t uid;
	uint64_t modseq;
	uint32_t flags;
	const char *keywords; /* "" when none */
	time_t internal_date;
	uint64_t size;
	const char *blob_id;
	const char *guid; /* 32 hex bytes, stable for the message's life:
			     POP3 UIDL, dedupe across mailboxes */
};

/* Opens the account of address (exact account address). Returns 0, or -1
 * with *error_r ("no such account", or a storage failure). */
int store_account_open(struct store *store, const char *address,
		       struct store_account **account_r, const char **error_r);
void store_account_close(struct store_account **account);

/* Returns 1 with *info_r (strings from pool), 0 if no such mailbox, -1. */
int store_mailbox_get(struct store_account *account, const char *name,
		      struct pool *pool, struct store_mailbox_info *info_r);
typedef void store_mailbox_cb(const struct store_mailbox_info *info,
			      void *ctx);
/* Calls cb for every mailbox, INBOX first then by name. Returns 0 or -1. */
int store_mailbox_list(struct store_account *account, store_mailbox_cb *cb,
		       void *ctx);
/* Returns 0, or -1 with *error_r: "invalid name" (empty, over 1024 bytes,
 * a "." or ".." component, control bytes, the LIST wildcards '*' and '%',
 * leading, trailing or doubled "/"), "mailbox exists", "no such mailbox",
 * "cannot delete INBOX". Renaming moves the children along ("a/x" with
 * "a"); renaming INBOX moves its messages to the new mailbox and leaves
 * INBOX empty (RFC 9051 §6.3.6). */
int store_mailbox_create(struct store_account *account, const char *name,
			 enum store_special_use special_use,
			 const char **error_r);
int store_mailbox_delete(struct store_account *account, const char *name,
			 const char **error_r);
int store_mailbox_rename(struct store_account *account, const char *old_name,
			 const char *new_name, const char **error_r);
int store_mailbox_subscribe(struct store_account *account, const char *name,
			    bool subscribe, const char **error_r);

/* Adds the message of blob_id to mailbox with the next UID and MODSEQ.
 * delivery_key (may be NULL) makes the call idempotent: a second add with
 * the same key to the same account adds nothing and returns 0 with the
 * first UID. Returns 1 added, 0 already there, -1 with *error_r. Touches
 * the account's changes file after commit. */
int store_message_add(struct store_account *account, const char *mailbox,
		      const char *blob_id, uint64_t size, uint32_t flags,
		      const char *keywords, time_t internal_date,
		      const char *delivery_key, uint32_t *uid_r,
		      const char **error_r);
/* Group commit (deliver): after store_message_batch_begin, the adds to
 * account join one transaction (each still all or nothing on its own, so a
 * failed add leaves the others), and store_message_batch_commit makes them
 * all durable with one sync; UIDs returned meanwhile count only once it
 * returned 0. Only store_message_add and the single-row writes of
 * store_sync.h may be called in between. Each returns 0, or -1 with
 * *error_r (a failed commit keeps nothing of the batch). Rollback drops the batch; it accepts an account not in one. */
int store_message_batch_begin(struct store_account *account,
			      const char **error_r);
int store_message_batch_commit(struct store_account *account,
			       const char **error_r);
void store_message_batch_rollback(struct store_account *account);
typedef int store_message_cb(const struct store_message *msg, void *ctx);
/* Calls cb for each message with first_uid <= uid <= last_uid in UID
 * order; cb returning non-zero stops the walk and is returned. The pointers
 * in msg live until cb returns. Returns 0, cb's value, or -1. */
int store_message_list(struct store_account *account, const char *mailbox,
		       uint32_t first_uid, uint32_t last_uid,
		       store_message_cb *cb, void *ctx);
enum store_flag_mode { STORE_FLAGS_SET, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };
/* Changes flags and keywords of one message, giving it a new MODSEQ.
 * Returns 1 changed, 0 no such UID, -1. */
int store_message_set_flags(struct store_account *account, const char *mailbox,
			    uint32_t uid, enum store_flag_mode mode,
			    uint32_t flags, const char *keywords,
			    uint64_t *modseq_r);
/* Removes the messages whose UIDs are listed. Returns how many went, or -1. */
int store_message_expunge(struct store_account *account, const char *mailbox,
			  const uint32_t *uids, size_t count);
/* Copies (or moves) one message to another mailbox of the same account; the
 * blob is shared. Returns 1 with the new UID in *uid_r, 0 no such UID, -1. */
int store_message_copy(struct store_account *account, const char *from,
		       uint32_t uid, const char *to, bool move,
		       uint32_t *uid_r);

/* Bytes and messages used by the whole account. Returns 0 or -1. */
int store_account_usage(struct store_account *account, uint64_t *bytes_r,
			uint64_t *messages_r);

/* Change notification: returns an fd (owned by account) that becomes
 * readable after any commit to this account by any process; call
 * store_account_watch_drain() when it fires. Returns -1 on failure. */
int store_account_watch_fd(struct store_account *account);
void store_account_watch_drain(struct store_account *account);

#endif
