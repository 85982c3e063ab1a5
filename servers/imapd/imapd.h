/* imapd: IMAP4rev2 and IMAP4rev1 (RFC 9051, RFC 3501) over the store. One
 * process serves many connections on one event loop. Declarations shared
 * by the files of servers/imapd: the process (struct imapd), the users
 * logged in (struct imapd_user: one per account, holding the change watch
 * and an account handle that is closed when unused), the connections
 * (struct imapd_client), the selected mailbox (struct imapd_mailbox) and
 * the command table. */
#ifndef IMAPD_IMAPD_H
#define IMAPD_IMAPD_H

#include "config/settings.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_parser.h"
#include "imap/imap_sort.h"
#include "imap/imap_seqset.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct auth_request;
struct conn;
struct event_io;
struct event_loop;
struct event_timer;
struct pool;
struct service;
struct service_slot;
struct store;
struct store_account;
struct store_blob_writer;
struct store_message;
struct store_watcher;
struct tls_server;

#define IMAPD_PRELOGIN_LITERAL_MAX 8192
#define IMAPD_LITERAL_MAX (1024 * 1024) /* non-APPEND, after login */
#define IMAPD_MAX_BAD 20                /* BAD replies in a row before BYE */

struct imapd {
	struct event_loop *loop;
	struct postroom_settings set;
	struct store *store;
	struct tls_server *tls;
	struct service *service;
	char *auth_socket; /* data_dir/run/auth.sock: authd checks passwords */
	struct store_watcher *watcher;
	struct event_io *watch_io;
	struct event_timer *gc_timer;
	struct imapd_user *users;
	struct imapd_client *clients;
	unsigned next_id;
	unsigned client_count;
};

/* An account with at least one session logged in. */
struct imapd_user {
	struct imapd *imapd;
	struct imapd_user *next;
	char *address;
	unsigned refs;                 /* sessions */
	int watch_id;                  /* -1 if watching failed */
	struct store_account *account; /* NULL while unused */
	time_t last_used;
};

/* UIDs first to last, both included. */
struct imapd_uid_range {
	uint32_t first, last;
};

/* The selected mailbox as this session sees it. */
struct imapd_mailbox {
	char *name;
	bool is_readonly;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	uint32_t *uids; /* sequence number n is uids[n - 1] */
	size_t count, cap;
	bool has_pending_expunges; /* held back during FETCH/STORE/SEARCH */
	/* changes this session made and already reported: the next sync
	 * skips them (ascending UIDs with their new MODSEQ) */
	uint32_t *own_uids;
	uint64_t *own_modseqs;
	size_t own_count, own_cap;
	/* \Recent for this session (IMAP4rev1 only), claimed at SELECT and
	 * at each sync */
	struct imapd_uid_range *recent;
	size_t recent_count;
	/* SEARCH RETURN (SAVE) (RFC 9051 §6.4.4.1, RFC 5182): the UIDs "$"
	 * stands for; expunged ones drop out when used (only UIDs still in
	 * the view count) */
	uint32_t *saved_uids;
	size_t saved_count;
	/* the keywords the session was told of in FLAGS (RFC 3501 §7.2.6),
	 * compared case-insensitively */
	char **keywords;
	size_t keyword_count;
	/* SEARCH/SORT RETURN (UPDATE) contexts (RFC 5267 §4.3) */
	struct imapd_context *contexts;
	bool is_syncing; /* in imapd_mailbox_sync: no nested sync */
};

/* Beside STORE_FLAG_*: \Recent, which the store does not keep. */
#define IMAPD_FLAG_RECENT (1u << 31)

enum imapd_state {
	IMAPD_STATE_NOT_AUTH,
	IMAPD_STATE_AUTH,
	IMAPD_STATE_SELECTED,
	IMAPD_STATE_LOGOUT,
};

/* What the connection waits for besides the next command. */
enum imapd_wait {
	IMAPD_WAIT_COMMAND,
	IMAPD_WAIT_AUTH_LINE,  /* an AUTHENTICATE response line */
	IMAPD_WAIT_AUTH_VERIFY, /* a login waits for authd's answer */
	IMAPD_WAIT_AUTH_DELAY, /* a failed login waits for the throttle */
	IMAPD_WAIT_LITERAL,    /* APPEND literal bytes into append_blob */
	IMAPD_WAIT_IDLE,       /* "DONE" */
	IMAPD_WAIT_FETCH,      /* a FETCH goes on as the output drains */
};

/* NOTIFY (RFC 5465): what the session asked to hear of. */
#define IMAPD_NOTIFY_NEW (1u << 0)
#define IMAPD_NOTIFY_EXPUNGE (1u << 1)
#define IMAPD_NOTIFY_FLAGS (1u << 2)
#define IMAPD_NOTIFY_NAME (1u << 3)
#define IMAPD_NOTIFY_SUBSCRIPTION (1u << 4)
#define IMAPD_NOTIFY_MESSAGE                                                \
	(IMAPD_NOTIFY_NEW | IMAPD_NOTIFY_EXPUNGE | IMAPD_NOTIFY_FLAGS)
#define IMAPD_NOTIFY_GROUP_MAX 16
#define IMAPD_NOTIFY_FETCH_MAX 16

enum imapd_notify_sel {
	IMAPD_NOTIFY_SEL_NONE,
	IMAPD_NOTIFY_SEL_NOW,     /* SELECTED */
	IMAPD_NOTIFY_SEL_DELAYED, /* SELECTED-DELAYED */
};

enum imapd_notify_kind {
	IMAPD_NOTIFY_PERSONAL, /* also INBOXES */
	IMAPD_NOTIFY_SUBSCRIBED,
	IMAPD_NOTIFY_SUBTREE,
	IMAPD_NOTIFY_MAILBOXES,
};

struct imapd_notify_group {
	enum imapd_notify_kind kind;
	const char **names; /* SUBTREE, MAILBOXES (UTF-8) */
	size_t name_count;
	unsigned events; /* IMAPD_NOTIFY_* */
};

/* One mailbox as the session last heard of it. */
struct imapd_notify_mailbox {
	int64_t id;
	const char *name;
	bool is_subscribed;
	uint32_t uidvalidity, uidnext, messages, unseen;
	uint64_t highestmodseq;
};

struct imapd_notify {
	struct pool *pool; /* what NOTIFY SET said */
	enum imapd_notify_sel selected;
	unsigned selected_events;
	const char *fetch[IMAPD_NOTIFY_FETCH_MAX]; /* MessageNew's atts */
	size_t fetch_count;
	struct imapd_notify_group groups[IMAPD_NOTIFY_GROUP_MAX];
	size_t group_count;
	struct pool *snap_pool; /* the mailboxes as last reported */
	struct imapd_notify_mailbox *snap;
	size_t snap_count;
	bool is_dirty; /* the account changed during a command */
};

struct imapd_client {
	struct imapd *imapd;
	struct imapd_client *prev, *next;
	unsigned id;
	char addr[NET_ADDR_STR_MAX];
	bool is_loopback, is_imaps;
	struct service_slot *slot; /* in the service's counts, or NULL */
	/* why we closed it (a deadline, evicted), for the log, or NULL */
	const char *close_reason;
	struct log log;
	struct conn *conn;
	struct imap_parser *parser;
	struct pool *pool; /* per command; cleared after its reply */
	struct buf out;    /* a reply being built */
	enum imapd_state state;
	enum imapd_wait wait;
	struct imapd_user *user;
	struct imapd_mailbox *box;
	bool is_utf8;      /* UTF8=ACCEPT or IMAP4rev2 enabled */
	bool is_rev2;      /* ENABLE IMAP4rev2 */
	bool is_condstore; /* CONDSTORE enabled or used */
	bool is_qresync;   /* ENABLE QRESYNC: VANISHED instead of EXPUNGE */
	bool is_uidonly;   /* ENABLE UIDONLY (RFC 9586): UIDs only */
	unsigned bad_count;
	unsigned commands;
	/* the command that waits (AUTHENTICATE, IDLE, APPEND literal) */
	char *wait_tag;
	char *auth_mech;
	char *auth_user; /* LOGIN mechanism: the user step */
	struct event_timer *auth_timer;
	struct auth_request *auth_req; /* the password check at authd */
	const char *auth_verify_mech;  /* "login", "plain": for the log */
	struct store_blob_writer *append_blob; /* the literal streaming in */
	uint64_t append_left;
	const char *append_error;
	/* the literals of the APPEND being read, in order (a NULL one could
	 * not be stored: append_error) */
	struct store_blob_writer **append_parts;
	size_t append_part_count, append_part_cap;
	struct imapd_fetch *fetch; /* the FETCH in progress, or NULL */
	struct imapd_notify *notify; /* NOTIFY SET, or NULL */
	bool is_bye_after_fetch;   /* timed out while it went on */
	/* [imapd] command_rate: a token bucket; input is not read while it
	 * is empty and rate_timer runs */
	double rate_tokens;
	uint64_t rate_last_ms;   /* monotonic time the tokens were counted */
	uint64_t flood_since_ms; /* first hold at the rate since the last
	                          * quiet second, or 0 */
	struct event_timer *rate_timer;
	bool was_rate_held; /* logged "command-rate hold" once */
};

/* One command being run. */
struct imapd_cmd {
	struct imapd_client *client;
	const char *tag;
	const char *name; /* upper case, "UID FETCH" for UID forms */
	const struct imap_arg *args;
	bool is_uid;
	unsigned flags; /* IMAPD_CMD_* of the command */
	struct pool *pool;
};

typedef void imapd_cmd_func(struct imapd_cmd *cmd);

#define IMAPD_CMD_NOT_AUTH (1u << 0) /* allowed before login */
#define IMAPD_CMD_AUTH (1u << 1)     /* allowed after login */
#define IMAPD_CMD_SELECTED (1u << 2) /* needs a selected mailbox */
#define IMAPD_CMD_UID (1u << 3)      /* has a UID form */
/* Untagged EXPUNGE may not come after this command (RFC 9051 §7.5.1):
 * FETCH, STORE and SEARCH by sequence number. */
#define IMAPD_CMD_NO_EXPUNGE (1u << 4)

struct imapd_command {
	const char *name;
	imapd_cmd_func *func;
	unsigned flags;
};

/* ---- imapd_client.c ---- */
void imapd_client_accept(struct imapd *imapd, bool is_imaps, int fd,
                         const struct sockaddr *addr);
/* Sends "* BYE" with text, then closes after the output is flushed. */
void imapd_client_bye(struct imapd_client *client, const char *text);
void imapd_client_close_all(struct imapd *imapd, bool only_idle);
/* Frees every client at once (after the loop ended). */
void imapd_client_free_all(struct imapd *imapd);
/* Writes client->out to the connection and empties it. */
void imapd_client_flush(struct imapd_client *client);
/* Ends a command that waited (IDLE, AUTHENTICATE): the client reads
 * commands again. */
void imapd_client_resume(struct imapd_client *client);

/* ---- imapd_commands.c ---- */
/* Finds the command called name (case-insensitive), or NULL. */
const struct imapd_command *imapd_command_find(const char *name);
/* Appends the CAPABILITY list (without "* CAPABILITY"). */
void imapd_capability(struct imapd_client *client, struct buf *out);
/* Tagged replies: "tag OK text" etc. Untagged updates of the selected
 * mailbox are sent first by the caller of the command. */
void imapd_cmd_ok(struct imapd_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imapd_cmd_no(struct imapd_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imapd_cmd_bad(struct imapd_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "NO [SERVERBUG] Internal error (conn=N)" and an error log line. */
void imapd_cmd_fail(struct imapd_cmd *cmd, const char *what);
/* A CONDSTORE enabling command (RFC 7162 §3.1: ENABLE, FETCH of MODSEQ or
 * CHANGEDSINCE, SEARCH MODSEQ, STORE UNCHANGEDSINCE, STATUS HIGHESTMODSEQ):
 * from now on every untagged FETCH carries MODSEQ; the first one with a
 * mailbox selected appends "* OK [HIGHESTMODSEQ n]". */
void imapd_condstore_enable(struct imapd_client *client);
/* Reads a mailbox-name argument (astring; modified UTF-7 decoded unless
 * the client uses UTF-8; "inbox" in any case is INBOX). Returns the UTF-8
 * name from cmd->pool, or NULL after answering BAD/NO. */
const char *imapd_arg_mailbox(struct imapd_cmd *cmd,
                              const struct imap_arg *arg);

/* ---- imapd_user.c ---- */
/* Takes a reference on the user of address, creating it and its watch. */
struct imapd_user *imapd_user_ref(struct imapd *imapd, const char *address);
void imapd_user_unref(struct imapd_user **user);
/* The account handle, opened on demand. Returns NULL after logging. */
struct store_account *imapd_user_account(struct imapd_user *user);
/* Watch fd readable: sync IDLE sessions of the users that changed. */
void imapd_user_watch_cb(void *ctx);
/* Timer: closes account handles unused for a few seconds. */
void imapd_user_gc_cb(void *ctx);

/* ---- imapd_mailbox.c ---- */
/* Selects name for client; writes the untagged SELECT data. Returns 1, 0
 * if no such mailbox, -1 on error. */
int imapd_mailbox_select(struct imapd_client *client, const char *name,
                         bool is_readonly);
void imapd_mailbox_close(struct imapd_client *client);
/* Brings the session's view up to date and appends the untagged EXPUNGE,
 * EXISTS and FETCH responses to client->out. Returns 0 or -1. */
int imapd_mailbox_sync(struct imapd_client *client, bool allow_expunge);
/* Sequence number of uid (1-based), or 0 if not in the view. */
uint32_t imapd_mailbox_seq(const struct imapd_mailbox *box, uint32_t uid);
/* Returns flags with IMAPD_FLAG_RECENT added if uid is \Recent for this
 * session. */
uint32_t imapd_mailbox_flags(const struct imapd_client *client, uint32_t uid,
                             uint32_t flags);
/* Records that this session changed uid to modseq and told the client. */
void imapd_mailbox_own_change(struct imapd_mailbox *box, uint32_t uid,
                              uint64_t modseq);
/* Before a FETCH shows keywords (space-separated, may be NULL): those the
 * session was not told of yet are announced with FLAGS and PERMANENTFLAGS
 * (RFC 3501 §7.2.6), appended to client->out. */
void imapd_mailbox_keywords_announce(struct imapd_client *client,
                                     const char *keywords);
/* Appends "(\Seen \Flagged kw)" for flags and keywords. */
void imapd_flags_write(struct buf *out, uint32_t flags, const char *keywords);
/* Parses a flag-list or a single flag into flags and a space-separated
 * keyword string (from pool). Returns 0, or -1 (invalid flag). */
int imapd_flags_parse(const struct imap_arg *arg, struct pool *pool,
                      uint32_t *flags_r, const char **keywords_r);
/* Resolves a sequence-set argument to the UIDs it names in the view
 * (ascending, from pool). Returns 0, or -1 (not a sequence set). */
int imapd_set_uids(struct imapd_cmd *cmd, const char *str, bool is_uid,
                   uint32_t **uids_r, size_t *count_r);

/* ---- imapd_uidonly.c ---- */
/* Appends the start of a FETCH response for uid: "* seq FETCH (", or
 * "* uid UIDFETCH (" once UIDONLY is enabled (RFC 9586 §3.3). */
void imapd_fetch_head(struct imapd_client *client, uint32_t uid);
/* UIDONLY: returns -1 after BAD [UIDREQUIRED] if the search keys name
 * messages by sequence number, else 0. */
int imapd_uidonly_check_keys(struct imapd_cmd *cmd,
                             const struct imap_arg *keys);
/* Returns true if UIDONLY forbids cmd (a sequence-number form). */
bool imapd_uidonly_refuses(const struct imapd_client *client,
                           const struct imapd_cmd *cmd);

/* ---- imapd_qresync.c ---- */
/* The QRESYNC parameter of SELECT/EXAMINE (RFC 7162 §3.2.5). */
struct imapd_qresync {
	bool is_set, has_known;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known; /* known-uids, unresolved; from cmd->pool */
};
/* Parses the list after "QRESYNC" into *qr_r. Returns 0, or -1 (BAD). */
int imapd_qresync_parse(struct imapd_cmd *cmd, const struct imap_arg *list,
                        struct imapd_qresync *qr_r);
/* After a successful select: appends VANISHED (EARLIER) and FETCH (UID
 * FLAGS MODSEQ) for what changed since qr->modseq, if qr->uidvalidity is
 * the mailbox's. Returns 0 or -1. */
int imapd_qresync_select(struct imapd_client *client,
                         const struct imapd_qresync *qr);
/* UID FETCH (CHANGEDSINCE since VANISHED): appends VANISHED (EARLIER) for
 * the UIDs of set expunged since since. Returns 0 or -1. */
int imapd_fetch_vanished(struct imapd_cmd *cmd, const char *set,
                         uint64_t since);
/* Appends "* VANISHED [(EARLIER) ]uid-set" for uids (ascending); nothing
 * when count is 0. */
void imapd_vanished_write(struct buf *out, const uint32_t *uids, size_t count,
                          bool is_earlier);

/* ---- cmd_fetch.c ---- */
/* Appends a date-time in quotes: "17-Jul-1996 02:44:25 +0000" (UTC). */
void imapd_date_write(struct buf *out, time_t t);
/* Writes more of the FETCH in progress (client->fetch) until the output is
 * full. Returns 0 if it waits for the output to drain (the command goes
 * on), 1 once it is over: answered, or the connection is closing (a blob
 * read error in a literal closes it). */
int imapd_fetch_continue(struct imapd_client *client);
/* Releases the FETCH in progress (fd, mapping); accepts none. */
void imapd_fetch_free(struct imapd_client *client);

/* ---- cmd_search.c ---- */
/* Called for each matching message with its sequence number; returns 0,
 * or -1 to stop with an error. msg's pointers live until it returns. */
typedef int imapd_search_hit_cb(const struct store_message *msg, uint32_t seq,
                                void *ctx);
/* Parses keys (1*(SP search-key), the rest of the command) and calls cb for
 * each message of the view that matches, in UID order. Returns 0, or -1
 * after answering the command (BAD for invalid keys, NO on failure). */
int imapd_search_each(struct imapd_cmd *cmd, const struct imap_arg *keys,
                      imapd_search_hit_cb *cb, void *ctx);
/* imapd_search_each(), also setting *has_modseq_r when a key is MODSEQ. */
int imapd_search_run(struct imapd_cmd *cmd, const struct imap_arg *keys,
                     imapd_search_hit_cb *cb, void *ctx, bool *has_modseq_r);

/* ---- cmd_esearch.c ---- */
/* search-return-opt = "MIN" / "MAX" / "ALL" / "COUNT" / "SAVE" /
 * "CONTEXT" / "UPDATE" / "PARTIAL" SP partial-range (RFC 4731, RFC 5182,
 * RFC 5267) */
#define IMAPD_RETURN_MIN (1u << 0)
#define IMAPD_RETURN_MAX (1u << 1)
#define IMAPD_RETURN_ALL (1u << 2)
#define IMAPD_RETURN_COUNT (1u << 3)
#define IMAPD_RETURN_SAVE (1u << 4)
#define IMAPD_RETURN_PARTIAL (1u << 5)
#define IMAPD_RETURN_CONTEXT (1u << 6)
#define IMAPD_RETURN_UPDATE (1u << 7)
struct imapd_return {
	unsigned opts;
	uint32_t partial_lo, partial_hi; /* 1-based, lo <= hi */
	/* UPDATE's fetch-att list (RFC 5465 §7), or NULL */
	const struct imap_arg *update_atts;
};
/* Parses "RETURN" SP "(" ... ")" at *a (moving *a past it). Returns 1 with
 * *r_r, 0 if *a is not RETURN, -1 if the options are invalid. */
int imapd_return_parse(const struct imap_arg **a, struct imapd_return *r_r);
/* Checks UPDATE's fetch attributes; returns -1 after BAD. */
int imapd_return_check(struct imapd_cmd *cmd, const struct imapd_return *r);
/* One message of a search result, in the requested order. */
struct imapd_result {
	uint32_t uid, seq;
	uint64_t modseq;
};
/* Runs the search keys: the matches in mailbox order into *res_r (from
 * cmd->pool). Returns 0, or -1 after answering the command. */
int imapd_esearch_collect(struct imapd_cmd *cmd, const struct imap_arg *keys,
                          struct imapd_result **res_r, size_t *count_r,
                          bool *has_modseq_r);
/* Appends "* ESEARCH (TAG ...)" with the return data r asks for. */
void imapd_esearch_reply(struct imapd_cmd *cmd, const struct imapd_return *r,
                         const struct imapd_result *res, size_t count,
                         bool has_modseq);
/* RETURN (SAVE): keeps the result (or the part r names) for "$". */
void imapd_esearch_save(struct imapd_cmd *cmd, const struct imapd_return *r,
                        const struct imapd_result *res, size_t count);
/* Appends nums as a sequence-set in their order (ranges only for
 * ascending runs, RFC 5267 §3.2). */
void imapd_ordered_set_write(struct buf *out, const uint32_t *nums, size_t n);

/* ---- imapd_context.c ---- */
struct imapd_context;
/* The UPDATE context of the selected mailbox made by tag, or NULL. */
struct imapd_context *imapd_context_find(struct imapd_client *client,
                                         const char *tag);
/* Keeps cmd's program (args: SEARCH keys, or SORT charset and keys;
 * program NULL for SEARCH) and result; past the limit, "* NO [NOUPDATE]". */
void imapd_context_add(struct imapd_cmd *cmd, const struct imap_arg *args,
                       const struct imap_sort_program *program,
                       const struct imap_arg *fetch_atts,
                       const struct imapd_result *res, size_t count);
void imapd_context_cancel(struct imapd_client *client, const char *tag);
void imapd_context_free_all(struct imapd_mailbox *box);
/* Before the EXPUNGEs of a sync: REMOVEFROM for the results not in now
 * (the mailbox's UIDs, ascending). */
void imapd_context_expunge(struct imapd_client *client, const uint32_t *now,
                           size_t now_count);
/* After a sync: runs every context again, ADDTO and REMOVEFROM. */
void imapd_context_update(struct imapd_client *client);

/* ---- cmd_sort.c ---- */
/* What SORT and THREAD read of one matching message. */
struct imapd_sort_hit {
	struct imap_sort_msg sort;
	bool is_reply; /* the subject was a reply or forward */
	const char *message_id, *references, *in_reply_to; /* or NULL */
};
/* search-criteria = charset 1*(SP search-key), starting at args: runs the
 * search and reads the header fields of every match (from cmd->pool, in
 * sequence order). Returns 0, or -1 after answering the command. */
int imapd_sort_collect(struct imapd_cmd *cmd, const struct imap_arg *args,
                       struct imapd_sort_hit **hits_r, size_t *count_r);

/* ---- commands, one file per large one ---- */
void cmd_capability(struct imapd_cmd *cmd);
void cmd_noop(struct imapd_cmd *cmd);
void cmd_logout(struct imapd_cmd *cmd);
void cmd_starttls(struct imapd_cmd *cmd);
void cmd_login(struct imapd_cmd *cmd);
void cmd_authenticate(struct imapd_cmd *cmd);
void cmd_enable(struct imapd_cmd *cmd);
void cmd_id(struct imapd_cmd *cmd);
void cmd_namespace(struct imapd_cmd *cmd);
void cmd_select(struct imapd_cmd *cmd);
void cmd_create(struct imapd_cmd *cmd);
void cmd_delete(struct imapd_cmd *cmd);
void cmd_rename(struct imapd_cmd *cmd);
void cmd_subscribe(struct imapd_cmd *cmd);
void cmd_list(struct imapd_cmd *cmd);
void cmd_status(struct imapd_cmd *cmd);
/* Appends "* STATUS name (items)" for the items of list (an IMAP list of
 * status-att atoms); nothing if name cannot be read. */
void imapd_status_write(struct imapd_cmd *cmd, const char *name,
                        const struct imap_arg *list);
void cmd_append(struct imapd_cmd *cmd);
void cmd_close(struct imapd_cmd *cmd);
void cmd_expunge(struct imapd_cmd *cmd);
void cmd_fetch(struct imapd_cmd *cmd);
void cmd_store(struct imapd_cmd *cmd);
void cmd_copy(struct imapd_cmd *cmd);
void cmd_search(struct imapd_cmd *cmd);
void cmd_search_ext(struct imapd_cmd *cmd);
void cmd_cancelupdate(struct imapd_cmd *cmd);
void cmd_sort(struct imapd_cmd *cmd);
void cmd_thread(struct imapd_cmd *cmd);
void cmd_compress(struct imapd_cmd *cmd);
void cmd_idle(struct imapd_cmd *cmd);
void cmd_getquotaroot(struct imapd_cmd *cmd);
void cmd_setquota(struct imapd_cmd *cmd);

/* Called by imapd_client.c for the states that read raw input. */
void cmd_authenticate_line(struct imapd_client *client, const char *line);
void cmd_idle_line(struct imapd_client *client, const char *line);
/* Returns true if a literal of APPEND at depth (lists around it) is a
 * message or a CATENATE TEXT part, streamed into a blob; false for the
 * mailbox name or a URL, which the parser buffers. */
bool cmd_append_is_streamed(struct imapd_client *client, unsigned depth);
/* An APPEND message literal announced: starts its blob. Returns 1 if the
 * client now streams it (WAIT_LITERAL), -1 after refusing it (the command
 * is over). */
int cmd_append_literal(struct imapd_client *client, uint64_t size,
                       bool is_sync);
/* The streamed literal is complete: keeps its blob for cmd_append and
 * lets the parser go on. */
void cmd_append_literal_done(struct imapd_client *client);
/* Drops the blobs of an APPEND (when the command ends). */
void imapd_append_reset(struct imapd_client *client);

/* ---- cmd_notify.c, imapd_notify.c ---- */
void cmd_notify(struct imapd_cmd *cmd);
/* Frees; sets *notify to NULL; accepts NULL. */
void imapd_notify_free(struct imapd_notify **notify);
/* After NOTIFY SET: takes the first look at the mailboxes, with the
 * STATUS responses of the STATUS indicator (§3.1). Returns 0 or -1. */
int imapd_notify_start(struct imapd_client *client, bool is_status);
/* The account changed (store watcher): reports the events now when the
 * session waits for a command or is in IDLE, else at its next command. */
void imapd_notify_changed(struct imapd_client *client);
/* fetch-att for MessageNew and UPDATE (RFC 5465 §5.2, §7): UID FLAGS
 * MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE and
 * BODY.PEEK[<header section>]. Returns 0, or -1 with *error_r. */
int imapd_fetch_att_check(const struct imap_arg *att, struct pool *pool,
                          const char **error_r);
/* Appends "* n FETCH (UID u ...)" (UIDFETCH with UIDONLY) with atts (each
 * passed by imapd_fetch_att_check) for uid of the selected mailbox. */
void imapd_notify_fetch(struct imapd_client *client, uint32_t uid,
                        const char *const *atts, size_t count);
/* Before a command runs: reports what changed meanwhile. */
void imapd_notify_before_command(struct imapd_client *client);
/* After this session's own command: its changes are not reported back
 * to it (RFC 5465 §5 SHOULD). */
void imapd_notify_after_command(struct imapd_client *client,
                                const char *name);

/* ---- imapd_url.c ---- */
/* Appends to w the octets the IMAP URL url names (RFC 5092, RFC 4469 §3):
 * a message or message part of the logged-in user. Returns 1, 0 if the
 * URL is not one this user may use (BADURL), -1 on an internal error. */
int imapd_url_append(struct imapd_cmd *cmd, const char *url,
                     struct store_blob_writer *w);
/* url as it may stand in "[BADURL url]" (from cmd->pool). */
const char *imapd_url_text(struct imapd_cmd *cmd, const char *url);

#endif
