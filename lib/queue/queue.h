/* The mail queue: the one hand-off of mail in transit (DESIGN.md), after
 * Postfix src/global/mail_queue.h. Under data_dir/queue:
 *   tmp/       files being written by smtpd; stale ones are removed by qmgr
 *   incoming/  complete and durable, not yet taken by qmgr
 *   active/    qmgr is delivering it
 *   deferred/  waiting for a retry after a temporary failure
 *   held/      put aside by postroomctl queue hold; qmgr never looks here
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
	/* local delivery files it in the Junk mailbox (smtpd's DMARC
	 * p=quarantine, doc/authentication.md) */
	bool is_quarantined;
	unsigned attempts;       /* delivery attempts so far */
	time_t next_attempt;     /* for deferred mail */
	size_t rcpt_count;
	struct queue_recipient *rcpts;
	off_t data_offset; /* of the message in the file (reader) */
	uint64_t data_size;
	/* FUTURERELEASE (RFC 4865): the release time the client asked for
	 * (0: none) and its request as DSNs name it, "for;SECONDS" or
	 * "until;DATE-TIME" (§6), or NULL. The writer starts next_attempt at
	 * release, and qmgr hands the message on no sooner; see
	 * queue_envelope_is_held(). */
	time_t release;
	const char *release_request;
};

/* Local delivery that failed for lack of space answers this status
 * (RFC 3463 §3.4, X.3.1 "mail system full"), and qmgr retries it as soon
 * as the data folder has QUEUE_SPACE_MARGIN bytes free beyond the message
 * (room for the blob's Return-Path, the rows and SQLite's journal): deliver
 * answers X.3.1 only below that same mark, so the two cannot loop. */
#define QUEUE_STATUS_NO_SPACE "4.3.1"
#define QUEUE_SPACE_MARGIN (1024 * 1024)

/* ---- Writing (smtpd) ---------------------------------------------------- */

struct queue_writer;

/* Creates queue_dir/tmp/<new id> and writes the envelope (env->id is
 * ignored and the new id is written into it; rcpt status is written as
 * pending; the control line gets env->attempts and env->next_attempt,
 * which is at least env->release). Returns 0, or -1 with a static reason in *error_r. */
int queue_writer_begin(const char *queue_dir, struct queue_envelope *env,
		       struct queue_writer **w_r, const char **error_r);
/* Appends message bytes. Returns 0, or -1 with errno set (then only abort
 * is allowed; ENOSPC or EDQUOT: the file system is full). */
int queue_writer_write(struct queue_writer *w, const void *data, size_t size);
/* Leaves room for size bytes of fields that queue_writer_reframe will put
 * in front, so that a message too large for the writer's buffer is not
 * copied then: its bytes go to the file after a hole that the new head
 * fills, with "pad" records making up the difference. Call it before any
 * queue_writer_write. */
void queue_writer_reserve(struct queue_writer *w, size_t size);
/* Puts prefix[0..size) before the message bytes written so far, and
 * encodes the envelope again from env (flags decided at the end of the
 * message, such as is_quarantined; its id and recipients are unchanged).
 * Header fields that depend on the whole message (DKIM-Signature,
 * Authentication-Results) go at the top this way. When nothing reached the
 * file yet (messages under 64 KiB) only the buffer is rebuilt; when the
 * room of queue_writer_reserve holds the new head it is written there;
 * otherwise the file is written anew beside the old one and renamed over
 * it, the message copied in the kernel (copy_file_range). Returns 0, or -1
 * with a static reason and errno set (then only abort is allowed). */
int queue_writer_reframe(struct queue_writer *w,
			 const struct queue_envelope *env, const void *prefix,
			 size_t size, const char **error_r);
/* fsyncs the file, links it into incoming/ under its id, removes the tmp
 * name and fsyncs incoming/. Frees *w (set to NULL). Returns 0 when the
 * message is durable, or -1 with a static reason and errno set (nothing is
 * queued). */
int queue_writer_commit(struct queue_writer **w, const char **error_r);
/* Removes an unfinished file; accepts NULL. */
void queue_writer_abort(struct queue_writer **w);
/* Tells qmgr (a datagram to queue_dir/../run/qmgr.sock) that new mail is
 * in incoming/. Never blocks; errors are ignored because qmgr also scans. */
void queue_notify(const char *queue_dir);
/* Asks qmgr to retry every deferred message now (postroomctl queue flush).
 * Returns 0 if the request was sent, or -1 with errno (qmgr not running). */
int queue_flush_request(const char *queue_dir);
/* Asks qmgr to send the DMARC and TLS-RPT reports gathered so far now
 * (postroomctl report send-now). Returns 0 if sent, or -1 with errno. */
int queue_report_request(const char *queue_dir);

/* ---- Listing (postroomctl queue list) ---------------------------------- */

/* state is "incoming", "active", "deferred" or "held"; env and its strings live
 * until cb returns. */
typedef void queue_list_cb(const char *state, const struct queue_envelope *env,
			   void *ctx);
/* Calls cb for every queued message, oldest first. Returns the number of
 * messages, or -1 with a static reason in *error_r. */
int queue_list(const char *queue_dir, queue_list_cb *cb, void *ctx,
	       const char **error_r);

/* ---- Files and folders (qmgr, deliver) --------------------------------- */

#define QUEUE_ID_LEN 23 /* 13 hex digits of microseconds, 6 of pid, 4 of
			   a counter: unique across processes and restarts,
			   and sorting by id sorts by age */

/* The file layout, version 1: text records (core/ipc.h encoding, so any
 * byte of a value is %XX-escaped and lines split only on LF), then a blank
 * line, then the message bytes:
 *   postroom-queue version=1
 *   control id=<23 hex> size=<20 digits> attempts=<10 digits>
 *           next=<20 digits>                      (one line, fixed width)
 *   envelope arrival=T sender=S [ret= envid= release=T holdreq=
 *            body= smtputf8=1 auth= client= helo= quarantine=1]
 *   rcpt status=<one byte> local=0|1 address=A [original= detail= orcpt=
 *        notify=]                                 (one line per recipient)
 *   pad x=000...                                  (any number, ignored)
 *   <empty line>
 *   <size bytes of message>
 * The control line and each status byte are overwritten in place. */

/* Returns true if id is a queue id (QUEUE_ID_LEN upper-case hex digits). */
bool queue_id_is_valid(const char *id);
/* Creates queue_dir and its tmp/ incoming/ active/ deferred/ corrupt/ held/
 * folders when missing. Returns 0, or -1 with a static reason. */
int queue_dirs_create(const char *queue_dir, const char **error_r);
/* Returns "queue_dir/state/name" (heap; caller frees). */
char *queue_path(const char *queue_dir, const char *state, const char *name);

/* Reads the envelope of the queue file at path; the message is not read.
 * Returns 0 with *env_r filled (strings from pool, rcpt status_offset and
 * data_offset set), or -1 with a reason from pool in *error_r; errno is
 * then EBADMSG if the file is truncated or malformed (move it aside),
 * ENOENT if it is gone, or another system error. When fd_r is not NULL the
 * file stays open read-write (O_CLOEXEC) in *fd_r on success; the caller
 * closes it. */
int queue_envelope_read(const char *path, struct pool *pool,
			struct queue_envelope *env_r, int *fd_r,
			const char **error_r);
/* Writes status into rcpt's status byte of the file open on fd and into
 * rcpt->status. Not durable until queue_envelope_sync(). Returns 0, or -1
 * with a static reason. */
int queue_envelope_mark(int fd, struct queue_recipient *rcpt, char status,
			const char **error_r);
/* Returns true if env is a message held for later (FUTURERELEASE) that
 * is not due at now: its release time is still ahead and nothing (an
 * operator's release) moved its next attempt before it. */
bool queue_envelope_is_held(const struct queue_envelope *env, time_t now);
/* Rewrites env->attempts and env->next_attempt in the control line of the
 * file on fd (same width, in place). Not durable until
 * queue_envelope_sync(). Returns 0, or -1 with a static reason. */
int queue_envelope_set_schedule(int fd, const struct queue_envelope *env,
				const char **error_r);
/* fdatasyncs the file on fd. Returns 0, or -1 with a static reason. */
int queue_envelope_sync(int fd, const char **error_r);

/* How a move or removal must survive a power cut. qmgr's own steps
 * (incoming -> active -> deferred, removal after delivery) need no sync: a
 * file found in either folder after a crash is handled alike, and a removed
 * file that comes back is redelivered idempotently (delivery keys). An
 * operator's command (hold, delete) must stick: QUEUE_DURABLE. */
enum queue_sync { QUEUE_NOSYNC, QUEUE_DURABLE };

/* Renames queue_dir/from/name to queue_dir/to/name, and fsyncs to/ when
 * sync is QUEUE_DURABLE. name must not contain '/'. Returns 0, or -1 with a
 * static reason (errno is ENOENT if the file was not there). */
int queue_move(const char *queue_dir, const char *name, const char *from,
	       const char *to, enum queue_sync sync, const char **error_r);
/* Unlinks queue_dir/state/name, and fsyncs state/ when sync is
 * QUEUE_DURABLE. Returns 0, or -1 with a static reason. */
int queue_remove(const char *queue_dir, const char *state, const char *name,
		 enum queue_sync sync,
		 const char **error_r);
/* Returns the delay before retry number attempts+1 after attempts failed
 * attempts (attempts >= 1): 1m, 5m, 15m, 30m, 1h, then hourly. */
unsigned queue_retry_delay(unsigned attempts);

#endif
