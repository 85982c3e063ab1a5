/* postroom, the terminal mail client: what its parts share. Accounts live
 * in $XDG_CONFIG_HOME/postroom (default ~/.config/postroom): postroom.conf
 * for the client, accounts/<name>.conf for each account. Mail lives in a
 * local store (lib/store) under $XDG_DATA_HOME/postroom (default
 * ~/.local/share/postroom/store), one store account per configured account,
 * so reading and searching need no connection. A sync is a three-way
 * comparison kept in lib/store/store_sync.h; the Outbox is a local mailbox
 * that is never synced and is emptied by submission. */
#ifndef POSTROOM_POSTROOM_H
#define POSTROOM_POSTROOM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct buf;
struct pool;
struct store;
struct store_account;
struct tls_stream;

#define PR_OUTBOX "Outbox" /* local only: written, not yet submitted */

enum pr_tls {
	PR_TLS_IMPLICIT, /* TLS from the first byte: 993, 995, 465 */
	PR_TLS_STARTTLS, /* plain, then STARTTLS/STLS: required */
	PR_TLS_NONE,     /* plaintext (only sensible on loopback) */
};

enum pr_proto { PR_PROTO_IMAP, PR_PROTO_POP3 };

struct pr_endpoint {
	char *host;
	unsigned port;
	enum pr_tls tls;
	char *user;
};

/* One account, from accounts/<name>.conf:
 *   address = lisa@example.org
 *   display_name = Lisa Example
 *   password_command = pass show mail/lisa     (or)
 *   password_file = /home/lisa/.config/postroom/lisa.pass   (mode 0600)
 *   tls_ca_file = /path/ca.pem   tls_verify = yes
 *   [incoming] protocol = imap|pop3  host  port  tls = implicit|starttls|none
 *              user  leave_on_server = yes (POP3)
 *   [outgoing] host  port  tls  user */
struct pr_account {
	char *name; /* the file name without .conf */
	char *address;
	char *display_name;
	char *password_command;
	char *password_file;
	char *tls_ca_file;
	bool tls_verify;
	enum pr_proto proto;
	bool leave_on_server;
	struct pr_endpoint incoming;
	struct pr_endpoint outgoing;
	/* [dav] caldav = https://mail.example.org/dav/ (a context path,
	 * RFC 6764 §5), carddav = (default: caldav's), user = (default: the
	 * address). NULL: the account has no calendars or address book on a
	 * server. */
	char *caldav_url;
	char *carddav_url;
	char *dav_user;
	/* [sieve] host (default: the incoming host), port (4190), tls
	 * (starttls), user (default: the incoming user): ManageSieve, for
	 * `postroom rules` and `postroom vacation` (rules.c). */
	struct pr_endpoint sieve;
};

/* The client's own settings (postroom.conf) and its accounts. */
struct pr_config {
	char *config_dir; /* .../postroom */
	char *data_dir;   /* .../postroom (store under data_dir/store) */
	char *dns_server; /* "ip[:port]" for SRV and host look-ups, or NULL:
	                     the system resolver */
	char *editor;     /* NULL: $VISUAL, $EDITOR, vi */
	unsigned timeout; /* seconds per network operation; default 30 */
	struct pr_account **accounts;
	size_t account_count;
};

/* ---- config.c ------------------------------------------------------------ */

/* Reads postroom.conf and every accounts/NAME.conf (in name order). Missing
 * files are fine. Returns 0, or -1 with *error_r ("file:line: ...") from
 * pool. */
int pr_config_load(struct pr_config *config, struct pool *pool,
                   const char **error_r);
void pr_config_free(struct pr_config *config);
/* The account called name, or the first one when name is NULL. Returns
 * NULL with *error_r ("no account called x", "no accounts: run 'postroom
 * account add'"). */
struct pr_account *pr_config_account(const struct pr_config *config,
                                     const char *name, const char **error_r);
/* Writes accounts/<account->name>.conf (mode 0600, atomically) and adds
 * the account to config if new. Returns 0, or -1 with *error_r. */
int pr_account_save(struct pr_config *config, struct pr_account *account,
                    const char **error_r);
/* Frees an account made by hand (pr_config_free frees loaded ones). */
void pr_account_free(struct pr_account **account);
/* The password: the first line printed by password_command, or the first
 * line of password_file, which must be mode 0600 or stricter ("... is
 * readable by others: chmod 600 it"). The value is allocated from pool;
 * the caller zeroes it when done. Returns 0 or -1 with *error_r. */
int pr_account_password(const struct pr_account *account, struct pool *pool,
                        const char **password_r, const char **error_r);
/* "implicit"/"starttls"/"none" and back. Returns 0 or -1. */
int pr_tls_parse(const char *str, enum pr_tls *tls_r);
const char *pr_tls_str(enum pr_tls tls);

/* ---- local.c: the local store -------------------------------------------- */

struct pr_local {
	struct store *store;
	struct store_account *account;
};
/* Opens data_dir/store and the store account of account->address,
 * creating the domain, the account, its default mailboxes and Outbox when
 * missing. Returns 0, or -1 with *error_r. */
int pr_local_open(const struct pr_config *config,
                  const struct pr_account *account, struct pr_local *local,
                  const char **error_r);
void pr_local_close(struct pr_local *local);
/* Stores data as a new message in mailbox of the local account (blob,
 * row, MIME cache and search index). Returns 0 with *uid_r, or -1. */
int pr_local_add(struct pr_local *local, const char *mailbox,
                 const unsigned char *data, size_t size, uint32_t flags,
                 const char *keywords, time_t internal_date,
                 const char *delivery_key, uint32_t *uid_r,
                 const char **error_r);

/* A group of downloaded messages stored together (one file system sync
 * for their files, one transaction for their rows), each with the remote
 * UID it maps to or the POP3 UIDL it records (store_sync.h). Nothing of a batch is visible before
 * pr_local_batch_commit; a crash before it leaves only unnamed files,
 * which the store collects, and the next sync fetches them again. */
struct pr_local_batch;
struct pr_local_batch *pr_local_batch_new(struct pr_local *local);
/* Frees *batch (set to NULL), dropping what was not committed. */
void pr_local_batch_free(struct pr_local_batch **batch);
/* Writes one message's file (not durable yet). remote_uid (IMAP, 0:
 * none) gets a map row, pop3_uidl (or NULL) a downloaded mark, both in
 * the commit's transaction. The strings are copied. Returns 0, or -1
 * with *error_r. */
int pr_local_batch_add(struct pr_local_batch *batch,
                       const unsigned char *data, size_t size,
                       uint32_t flags, const char *keywords,
                       time_t internal_date, const char *delivery_key,
                       uint32_t remote_uid, const char *pop3_uidl,
                       const char **error_r);
/* Makes the files durable, then adds every message to mailbox and
 * records its map row or UIDL in one transaction. *count_r: messages added. The
 * batch is empty afterwards. Returns 0, or -1 with *error_r. */
int pr_local_batch_commit(struct pr_local_batch *batch, const char *mailbox,
                          unsigned *count_r, const char **error_r);

/* ---- net.c: reaching a server ---------------------------------------------- */

/* Resolves ep->host (through config->dns_server when set, else
 * getaddrinfo) and connects, with TLS at once when ep->tls is IMPLICIT,
 * checking the certificate as the account says. STARTTLS is the protocol
 * engine's job. Returns 0 with *stream_r, or -1 with *error_r (from pool)
 * that names the host: "imap.example.org:993: connection refused". */
int pr_connect(const struct pr_config *config, const struct pr_account *account,
               const struct pr_endpoint *ep, struct pool *pool,
               struct tls_stream **stream_r, const char **error_r);
#define PR_ADDRS_MAX 8
struct pr_addrs {
	struct sockaddr_storage sa[PR_ADDRS_MAX];
	socklen_t len[PR_ADDRS_MAX];
	size_t count; /* at least 1 after a successful look-up */
};
/* Resolves host:port to its addresses in the resolver's order. Returns 0
 * or -1 with *error_r. */
int pr_resolve_all(const struct pr_config *config, const char *host,
                   unsigned port, struct pr_addrs *addrs_r, struct pool *pool,
                   const char **error_r);
/* Resolves host:port to the first address. Returns 0 or -1 (*error_r). */
int pr_resolve(const struct pr_config *config, const char *host,
               unsigned port, struct sockaddr_storage *sa_r,
               socklen_t *sa_len_r, struct pool *pool, const char **error_r);

/* ---- sync: sync_imap.c, sync_pop3.c, send.c ------------------------------ */

/* What a sync did, for the user and for --json. */
struct pr_sync_report {
	unsigned fetched;    /* messages downloaded */
	unsigned uploaded;   /* local messages appended to the server */
	unsigned flags_up;   /* flag changes sent */
	unsigned flags_down; /* flag changes received */
	unsigned expunged_up;
	unsigned expunged_down;
	unsigned moved_up;
	unsigned sent;       /* outbox messages submitted */
	unsigned send_failed;
	char refusal[256];   /* why the server refused the last one */
	/* CalDAV and CardDAV (sync_dav.c) */
	unsigned dav_down;         /* members fetched from the server */
	unsigned dav_up;           /* members sent to the server */
	unsigned dav_deleted_down; /* deleted here: gone there */
	unsigned dav_deleted_up;   /* deleted there: gone here */
	unsigned dav_conflicts;    /* both changed: the server's kept, the
	                              local version saved as a copy */
	unsigned dav_errors;       /* members that failed; tried again */
	char dav_error[256];       /* the last such failure */
};

/* One two-way IMAP sync of every mailbox (new mail, flags, moves,
 * deletions, new and deleted folders; CONDSTORE/QRESYNC when offered).
 * Returns 0, or -1 with *error_r; what was done before an error stays. */
int pr_sync_imap(const struct pr_config *config,
                 const struct pr_account *account, struct pr_local *local,
                 struct pr_sync_report *report, struct pool *pool,
                 const char **error_r);
/* Keeps an IMAP IDLE on INBOX and syncs when the server reports a change,
 * until *stop becomes true or an error. Returns 0 or -1. */
int pr_sync_imap_idle(const struct pr_config *config,
                      const struct pr_account *account, struct pr_local *local,
                      volatile bool *stop, struct pool *pool,
                      const char **error_r);
/* Downloads new messages over POP3 into INBOX; deletes them on the server
 * unless account->leave_on_server. Returns 0 or -1 with *error_r. */
int pr_sync_pop3(const struct pr_config *config,
                 const struct pr_account *account, struct pr_local *local,
                 struct pr_sync_report *report, struct pool *pool,
                 const char **error_r);
/* Puts a composed message in the Outbox. Returns 0 with *uid_r or -1. */
/* The header field of an Outbox message to be sent later: its RFC 3339
 * release time, sent as HOLDUNTIL (FUTURERELEASE, RFC 4865); the field
 * itself is never sent. */
#define PR_SEND_AT_FIELD "X-Postroom-Send-At"

int pr_outbox_add(struct pr_local *local, const unsigned char *data,
                  size_t size, uint32_t *uid_r, const char **error_r);
/* Submits every Outbox message (STARTTLS or implicit TLS, AUTH); each one
 * sent moves to Sent (flagged \Seen), which the next IMAP sync uploads.
 * A message the server refuses for good stays in the Outbox flagged and
 * is reported. Returns 0 if the server was reached, -1 with *error_r if
 * not (the messages stay for the next try). */
int pr_outbox_flush(const struct pr_config *config,
                    const struct pr_account *account, struct pr_local *local,
                    struct pr_sync_report *report, struct pool *pool,
                    const char **error_r);
/* Connects to the outgoing server, authenticates with password and quits:
 * what `account add` and `account test` check. Returns 0 or -1 with
 * *error_r ("wrong password for ...", "certificate verify failed ..."). */
int pr_outgoing_check(const struct pr_config *config,
                      const struct pr_account *account, const char *password,
                      struct pool *pool, const char **error_r);
/* CalDAV then CardDAV (sync_dav.c): every calendar, task list, journal
 * and address book both ways. Accounts without DAV do nothing. Returns 0,
 * or -1 with *error_r; what was done before an error stays. */
int pr_sync_dav(const struct pr_config *config,
                const struct pr_account *account, struct pr_local *local,
                struct pr_sync_report *report, struct pool *pool,
                const char **error_r);
/* Send/Receive: outbox first, then the incoming protocol, then DAV. */
int pr_sync(const struct pr_config *config, const struct pr_account *account,
            struct pr_local *local, struct pr_sync_report *report,
            struct pool *pool, const char **error_r);

/* ---- Subcommands (main.c dispatches; exit status 0 ok, 1 failed, 2 usage)
 * Each prints results for people, or one JSON document with --json, and
 * its errors as one line "postroom: ..." on stderr. */

struct pr_cli {
	struct pr_config *config;
	struct pool *pool;
	const char *account_name; /* --account, or NULL: the first */
	bool is_json;             /* --json */
};
typedef int pr_cmd_fn(struct pr_cli *cli, int argc, char **argv);

pr_cmd_fn pr_cmd_account;  /* account add|list|test|remove (account.c) */
pr_cmd_fn pr_cmd_sync;     /* sync [--idle] (sync.c) */
pr_cmd_fn pr_cmd_send;     /* send --to --cc --subject --attach --body-file
                              (compose.c) */
pr_cmd_fn pr_cmd_compose;  /* compose|reply|reply-all|forward in $EDITOR
                              (compose.c); argv[0] says which */
pr_cmd_fn pr_cmd_list;     /* list [--mailbox M] [--threads] (mail.c) */
pr_cmd_fn pr_cmd_read;     /* read UID [--mailbox M] [--save N --to PATH]
                              [--raw] (mail.c) */
pr_cmd_fn pr_cmd_search;   /* search QUERY [--mailbox M] (mail.c) */
pr_cmd_fn pr_cmd_mailboxes; /* mailboxes (mail.c) */
pr_cmd_fn pr_cmd_flag;     /* flag UID +seen|-seen|+flagged... (mail.c) */
pr_cmd_fn pr_cmd_move;     /* move UID MAILBOX (mail.c) */
pr_cmd_fn pr_cmd_delete;   /* delete UID: to Trash, or gone from Trash */
pr_cmd_fn pr_cmd_contacts; /* contacts add|list|search|edit|delete|import|
                              export (contacts.c) */
pr_cmd_fn pr_cmd_rules;    /* rules [list]|edit|activate|delete (rules.c) */
pr_cmd_fn pr_cmd_vacation; /* vacation on|off|(show) (rules.c) */
pr_cmd_fn pr_cmd_ui;       /* the full-screen interface (ui.c) */

/* Prints "postroom: msg" on stderr (printf-like). Returns 1. */
int pr_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pr_vfail(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Opens the account chosen by cli and its local store. Returns 0, or
 * prints the problem and returns -1. */
int pr_cli_open(struct pr_cli *cli, struct pr_account **account_r,
                struct pr_local *local);

#endif
