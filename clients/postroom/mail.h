/* Reading the local store: the message list (with RFC 5256 REFERENCES
 * threading), a message rendered for a person, attachments saved to
 * files, and the local changes a reader makes (flags, move, delete) that
 * the next sync carries to the server. Shared by the subcommands in
 * mail.c and the full-screen interface. Every call works on the local
 * store only; no call touches the network. */
#ifndef POSTROOM_MAIL_H
#define POSTROOM_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

struct mime_part;
struct pr_cli;
struct mime_view_attachment;
struct pool;
struct pr_local;

#define PR_MAIL_DEFAULT_MAILBOX "INBOX"
#define PR_MAIL_TRASH "Trash" /* created with the Trash role when missing */

/* One line of the message list. Strings are UTF-8 from the caller's pool,
 * "" when absent. */
struct pr_mail_summary {
	uint32_t uid;
	uint32_t flags;       /* STORE_FLAG_* */
	const char *keywords; /* space-separated, "" when none */
	time_t date;          /* Date:, or the arrival time when it has none */
	uint64_t size;
	const char *from;      /* display name, else address */
	const char *from_addr; /* address */
	const char *to;
	const char *subject;
	const char *message_id, *in_reply_to, *references;
	/* Guessed from the top header only (multipart/mixed, or a message
	 * that is one non-text part), so the list never reads whole blobs. */
	bool has_attachments;
	unsigned depth; /* reply depth in its thread; 0 without threads */
};

enum pr_mail_list_flags {
	PR_MAIL_LIST_THREADS = 1u << 0, /* thread order, depth filled */
	PR_MAIL_LIST_UNREAD = 1u << 1,  /* only messages without \Seen */
};

/* Lists mailbox in UID order, or thread order (RFC 5256 REFERENCES:
 * threads by their first message's date, replies under their parent) with
 * PR_MAIL_LIST_THREADS. Reads only the header of each message. Returns 0
 * with *list_r (from pool; NULL when empty) and *count_r, or -1 with
 * *error_r ("no such mailbox", a storage failure). */
int pr_mail_list(struct pr_local *local, const char *mailbox, unsigned flags,
                 struct pool *pool, struct pr_mail_summary **list_r,
                 size_t *count_r, const char **error_r);

/* Fills *summary_r for one message from its header. Returns 1, 0 when
 * mailbox holds no such UID, -1 with *error_r. */
int pr_mail_summary_get(struct pr_local *local, const char *mailbox,
                        uint32_t uid, struct pool *pool,
                        struct pr_mail_summary *summary_r,
                        const char **error_r);

/* One message loaded whole, for reading and saving. */
struct pr_mail_message {
	struct buf data; /* the message bytes */
	uint32_t uid, flags;
	time_t internal_date;
	struct mime_part *root; /* parse of data, from the pool */
	struct mime_view_attachment *attachments; /* from the pool */
	unsigned int attachment_count;
};

/* Loads message uid of mailbox and parses it with its parts and
 * attachments in pool. Returns 1, 0 when there is no such UID, -1 with
 * *error_r. On 1 the caller calls pr_mail_message_deinit(). */
int pr_mail_message_load(struct pr_local *local, const char *mailbox,
                         uint32_t uid, struct pool *pool,
                         struct pr_mail_message *msg_r, const char **error_r);
void pr_mail_message_deinit(struct pr_mail_message *msg);

/* Appends what a person reads to out: From, To, Cc, Date (local time),
 * Subject, a blank line, the text, and a numbered list of attachments
 * with their sizes. Never fails. */
void pr_mail_render(const struct pr_mail_message *msg, struct pool *pool,
                    struct buf *out);

/* Writes attachment index (1-based) of msg to path, replacing a file
 * there; when path is a folder, into it under the attachment's safe file
 * name. With *path_r (may be NULL) the file written, from pool. Returns 0,
 * or -1 with *error_r ("no attachment 4", "PATH: Permission denied"). */
int pr_mail_save_attachment(const struct pr_mail_message *msg,
                            unsigned int index, const char *path,
                            struct pool *pool, const char **path_r,
                            const char **error_r);

/* Adds (is_add) or removes STORE_FLAG_* flags of one message. Returns 1,
 * 0 when there is no such UID, -1 with *error_r. */
int pr_mail_flag(struct pr_local *local, const char *mailbox, uint32_t uid,
                 bool is_add, uint32_t flags, const char **error_r);
/* Moves one message to mailbox to. Returns 1 with its UID there in
 * *uid_r, 0 when there is no such UID, -1 with *error_r ("no such
 * mailbox"). */
int pr_mail_move(struct pr_local *local, const char *mailbox, uint32_t uid,
                 const char *to, uint32_t *uid_r, const char **error_r);
/* Deletes one message: moves it to the Trash mailbox (the one with the
 * Trash role), or expunges it when mailbox is that Trash. Returns 1 with
 * *is_expunged_r, 0 when there is no such UID, -1 with *error_r. */
int pr_mail_delete(struct pr_local *local, const char *mailbox, uint32_t uid,
                   bool *is_expunged_r, const char **error_r);

/* import FILE... [--mailbox M]: stores each .eml file ("-": standard
 * input) as a new unseen message dated by its Date: field (mail_cmd.c).
 * Returns the exit status: 0, 1 failed, 2 usage. */
int pr_cmd_import(struct pr_cli *cli, int argc, char **argv);

#endif
