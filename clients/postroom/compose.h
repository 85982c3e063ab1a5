/* Writing mail in postroom: draft templates edited in the user's editor,
 * turned into RFC 5322 messages by lib/mime/mime_compose, then put in the
 * Outbox and submitted, or kept in Drafts. The command line (compose.c's
 * pr_cmd_send, pr_cmd_compose) and the full-screen interface share these.
 *
 * A template is text: header lines, a blank line, the body (UTF-8):
 *   From: Lisa Example <lisa@example.org>
 *   To: bob@example.net, "Ann" <ann@example.com>
 *   Cc:
 *   Bcc:
 *   Subject: Lunch
 *   In-Reply-To: <id@host>        (replies only; keeps the thread)
 *   References: <a@host> <id@host>
 *   Attach: /home/lisa/report.pdf (repeatable)
 *
 *   The body...
 * Lines starting with a space continue the previous field. */
#ifndef POSTROOM_COMPOSE_H
#define POSTROOM_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct pool;
struct pr_account;
struct pr_config;
struct pr_local;

/* A template and what it is about. */
struct pr_draft {
	struct buf text;           /* the template */
	struct buf written;        /* the text as first offered, to see edits */
	const char *reply_mailbox; /* the original of a reply, or NULL */
	uint32_t reply_uid;
	uint32_t draft_uid; /* the Drafts message it came from, or 0 */
	char *attach_dir;   /* private folder of files taken out of a
	                       reopened draft (heap), or NULL */
};

void pr_draft_init(struct pr_draft *draft);
/* Frees the buffers and removes attach_dir with its files. */
void pr_draft_deinit(struct pr_draft *draft);

/* Fill draft (after pr_draft_init) with a template. Strings come from
 * pool. Each returns 0, or -1 with *error_r. */
void pr_compose_new(const struct pr_account *account, const char *to,
                    struct pr_draft *draft);
/* A reply to message uid of mailbox: recipients (is_all: reply-all),
 * "Re: " subject, In-Reply-To/References, quoted text. Errors: "no message
 * UID n in M", store failures. */
int pr_compose_reply(const struct pr_account *account, struct pr_local *local,
                     const char *mailbox, uint32_t uid, bool is_all,
                     struct pool *pool, struct pr_draft *draft,
                     const char **error_r);
/* A forward of message uid of mailbox, attached whole as message/rfc822:
 * the original is written to a file in draft->attach_dir and named by an
 * Attach: line. to may be NULL. */
int pr_compose_forward(const struct pr_account *account, struct pr_local *local,
                       const char *mailbox, uint32_t uid, const char *to,
                       struct pool *pool, struct pr_draft *draft,
                       const char **error_r);
/* Reopens the draft uid of Drafts: its fields, text and attachments (put
 * in draft->attach_dir). The draft is removed once the message is sent. */
int pr_compose_draft(const struct pr_account *account, struct pr_local *local,
                     uint32_t uid, struct pool *pool, struct pr_draft *draft,
                     const char **error_r);

/* The fields of "postroom send" (or of a form in the interface). */
struct pr_compose_fields {
	const char *to, *cc, *bcc; /* address lists, or NULL */
	const char *subject;       /* NULL: "Re: ..." for a reply, else "" */
	const char *const *attach; /* file paths */
	size_t attach_count;
	const char *reply_mailbox; /* NULL: INBOX */
	uint32_t reply_uid;        /* answer this message, or 0 */
	const char *body;          /* UTF-8 */
	size_t body_size;
};

/* Fills draft with a template holding f (a reply's In-Reply-To and
 * References taken from the original). Returns 0, or -1 with *error_r
 * (from pool): "no message UID n in M", "a line break in ...". */
int pr_compose_fill(const struct pr_account *account, struct pr_local *local,
                    const struct pr_compose_fields *f, struct pool *pool,
                    struct pr_draft *draft, const char **error_r);

/* Writes draft->text to a new private file (mode 0600), runs the editor
 * on it (config->editor, else $VISUAL, $EDITOR, vi, through /bin/sh),
 * reads it back into draft->text and removes the file. Returns 1 edited,
 * 0 unchanged or empty (the caller aborts), -1 with *error_r (from pool)
 * when the editor failed (the file is then kept and named). */
int pr_compose_edit(const struct pr_config *config, struct pr_draft *draft,
                    struct pool *pool, const char **error_r);

/* The message made from a template. */
struct pr_composed {
	struct buf data;        /* the message, CRLF */
	const char *message_id; /* without <>, from pool */
	bool has_recipient;     /* false: it can only be a draft */
};

/* Parses draft->text and builds the message (attachments read from their
 * paths). Call pr_composed's buffer init/deinit around it via buf_init
 * and buf_deinit of composed->data. Returns 0, or -1 with *error_r (from
 * pool): "line 3: unknown field Foo", "report.pdf: No such file or
 * directory", mime_compose_build's errors. */
int pr_compose_finish(const struct pr_account *account,
                      const struct pr_draft *draft, struct pool *pool,
                      struct pr_composed *composed, const char **error_r);

/* What became of a message handed over by pr_compose_deliver. */
struct pr_delivery {
	bool is_queued;  /* it is in the Outbox (or was, and went) */
	bool is_sent;    /* the server took it: now in Sent */
	bool is_refused; /* the server refused it; it stays in the Outbox */
	const char *why; /* why it was not sent, or NULL */
};

/* Puts data in the Outbox and tries to submit the Outbox at once. Once
 * the message is in the Outbox, marks draft's original \Answered and
 * removes draft's Drafts copy (draft may be NULL). An unreachable server is not
 * a failure: the message waits for the next sync (delivery->why says why).
 * Returns 0 with *delivery_r, or -1 with *error_r when it could not be stored.
 */
int pr_compose_deliver(const struct pr_config *config,
                       const struct pr_account *account, struct pr_local *local,
                       const struct pr_draft *draft, const struct buf *data,
                       struct pool *pool, struct pr_delivery *delivery_r,
                       const char **error_r);
/* Stores data in Drafts flagged \Draft \Seen (replacing draft's earlier
 * copy). Returns 0 or -1 with *error_r. */
int pr_compose_save_draft(struct pr_local *local, const struct pr_draft *draft,
                          const struct buf *data, const char **error_r);

#endif
