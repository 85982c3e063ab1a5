/* The mail queue: the one hand-off of mail in transit (DESIGN.md), after
 * Postfix src/global/mail_queue.h. Under data_dir/queue:
 *   tmp/       files being written by smtpd; stale ones are removed by qmgr
 *   incoming/  complete and durable, not yet taken by qmgr
 *   active/    qmgr is delivering it
 *   deferred/  waiting for a retry (tempfails; remote mail until relay)
 * A queue file holds the envelope, a blank line, then the message exactly as
 * it will be stored (CRLF line ends, Received header first). Each recipient
 * record carries one status byte that qmgr overwrites in place (pwrite +
 * fdatasync) when its fate is known, so a crash never delivers twice what
 * was marked done, and deliver's delivery key makes the rest idempotent.
 * A file reaches incoming/ only by link() after fsync, followed by an fsync
 * of incoming/: once queue_writer_commit returns 0 the message survives a
 * kill -9 or a power cut. */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct pool;

#define QUEUE_ID_MAX 32 /* bytes including NUL */

enum queue_rcpt_status {
	QUEUE_RCPT_PENDING = '-',
	QUEUE_RCPT_DELIVERED = 'D',
	QUEUE_RCPT_FAILED = 'F', /* permanent failure (bounce) */
};

struct queue_recipient {
	const char *address;  /* where it goes: an account or remote address */
	const char *original; /* as given in RCPT TO, before aliases */
	const char *detail;   /* +detail of a local address, or NULL */
	const char *orcpt;    /* DSN ORCPT parameter (xtext), or NULL */
	const char *notify;   /* DSN NOTIFY parameter, or NULL */
	bool is_local;
	char status;          /* enum queue_rcpt_status */
	off_t status_offset;  /* of the status byte in the file (reader) */
};

struct queue_envelope {
	char id[QUEUE_ID_MAX];
	time_t arrival;
	const char *sender;      /* reverse-path without <>; "" for null */
	const char *ret;         /* DSN RET: "FULL", "HDRS" or NULL */
	const char *envid;       /* DSN ENVID (xtext) or NULL */
	const char *body;        /* "7BIT", "8BITMIME" or "BINARYMIME" */
	bool smtputf8;
	const char *auth_user;   /* submission account, or NULL */
	const char *client_addr; /* peer IP */
	const char *helo;
	unsigned attempts;       /* delivery attempts so far */
	time_t next_attempt;     /* for deferred mail */
	size_t rcpt_count;
	struct queue_recipient *rcpts;
	off_t data_offset; /* of the message in the file (reader) */
	uint64_t data_size;
};

/* ---- Writing (smtpd) ---------------------------------------------------- */

struct queue_writer;

/* Creates queue_dir/tmp/<new id> and writes the envelope (env->id is
 * ignored and the new id is written into it; rcpt status is written as
 * pending). Returns 0, or -1 with a static reason in *error_r. */
int queue_writer_begin(const char *queue_dir, struct queue_envelope *env,
		       struct queue_writer **w_r, const char **error_r);
/* Appends message bytes. Returns 0, or -1 (then only abort is allowed). */
int queue_writer_write(struct queue_writer *w, const void *data, size_t size);
/* fsyncs the file, links it into incoming/ under its id, removes the tmp
 * name and fsyncs incoming/. Frees *w (set to NULL). Returns 0 when the
 * message is durable, or -1 with a static reason (nothing is queued). */
int queue_writer_commit(struct queue_writer **w, const char **error_r);
/* Removes an unfinished file; accepts NULL. */
void queue_writer_abort(struct queue_writer **w);
/* Tells qmgr (a datagram to queue_dir/../run/qmgr.sock) that new mail is
 * in incoming/. Never blocks; errors are ignored because qmgr also scans. */
void queue_notify(const char *queue_dir);

/* ---- Listing (postroomctl queue list) ---------------------------------- */

/* state is "incoming", "active" or "deferred"; env and its strings live
 * until cb returns. */
typedef void queue_list_cb(const char *state, const struct queue_envelope *env,
			   void *ctx);
/* Calls cb for every queued message, oldest first. Returns the number of
 * messages, or -1 with a static reason in *error_r. */
int queue_list(const char *queue_dir, queue_list_cb *cb, void *ctx,
	       const char **error_r);

#endif
