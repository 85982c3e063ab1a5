/* The messages that delivery rules send, each queued as a new queue file
 * (lib/queue) that qmgr delivers or relays like any other, durable before
 * deliver answers qmgr: vacation replies (RFC 5230 §5, RFC 3834), reject's
 * MDN (RFC 5429 §2.2.1, RFC 8098) and ereject's DSN (RFC 5429 §2.1.2, RFC
 * 3464), notifications (RFC 5436), redirected copies (RFC 5228 §4.2) with
 * a Delivered-To field for loop detection (replies, reports and
 * notifications are DKIM-signed, deliver_sign.h), and the note that tells a
 * user that a script failed (added to the INBOX, not queued). */
#ifndef DELIVER_DELIVER_MAIL_H
#define DELIVER_DELIVER_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "queue/queue.h"

struct buf;
struct pool;
struct store;
struct sieve_action;
struct sieve_edit;
struct deliver_sign_settings;

/* What every composed message needs. */
struct deliver_mail {
	struct store *store;
	const char *queue_dir;
	const char *hostname; /* Message-IDs, MDN Reporting-UA, DSN MTA */
	/* DKIM for replies, reports and notifications; NULL: none */
	const struct deliver_sign_settings *sign;
	struct pool *pool;
	time_t now;
	const char *id;   /* the queue id of the message the rules ran on */
	const char *user; /* the account's address */
	/* ARC seals of redirected copies: the key folder's data_dir and our
	 * authserv-id, or NULL when [mailauth] arc_seal is off */
	const char *data_dir, *authserv_id;
};

/* The message the rules ran on, as far as it was read. */
struct deliver_mail_original {
	const struct queue_envelope *env;
	int fd; /* the queue file: the message at env->data_offset */
	const unsigned char *data; /* its first size bytes */
	size_t size;
};

/* Queues data (size bytes, a whole message) from sender ("" for <>) to
 * the count addresses of rcpts, each resolved like a bounce's recipient
 * (a local account, else remote). kind names it in the log line. Returns
 * 0 once it is durable in incoming/, -1 after logging why. */
int deliver_mail_queue(const struct deliver_mail *m, const char *kind,
                       const char *sender, const char *const *rcpts,
                       size_t count, const char *data, size_t size);

/* Each returns 0 when queued, -1 (logged) when it could not be: the
 * caller then answers a temporary failure so nothing is lost. */
int deliver_mail_vacation(const struct deliver_mail *m,
                          const struct sieve_action *a);
int deliver_mail_reject(const struct deliver_mail *m,
                        const struct deliver_mail_original *orig,
                        const struct sieve_action *a);
int deliver_mail_notify(const struct deliver_mail *m,
                        const struct deliver_mail_original *orig,
                        const struct sieve_action *a);
/* Sends the original (with the header of edit when not NULL) to address,
 * from sender, with "Delivered-To: <user>" on top. */
int deliver_mail_redirect(const struct deliver_mail *m,
                          const struct deliver_mail_original *orig,
                          const struct sieve_edit *edit, const char *sender,
                          const char *address);

/* The ARC set for a redirected copy (deliver_arc.c): header[0..size) is
 * its header section as it will be sent, its body the body_size bytes at
 * offset of fd. Appends the set to out (to go on top), or nothing when
 * the message has no verdict of ours or the account's domain no RSA key
 * (logged). */
void deliver_arc_seal(const struct deliver_mail *m, const char *header,
                      size_t size, int fd, off_t offset, uint64_t body_size,
                      struct buf *out);

/* Appends the note that script name failed (line, message) to out: a
 * whole message to the user, from the mail system. */
void deliver_mail_report(const struct deliver_mail *m, const char *script,
                         unsigned line, unsigned column, const char *error,
                         struct buf *out);

/* Returns the number of "Delivered-To" fields in the header of data and
 * whether one names user (RFC 5228 §4.2 loop control). */
unsigned deliver_mail_delivered_to(const unsigned char *data, size_t size,
                                   const char *user, bool *names_user_r);

#endif
