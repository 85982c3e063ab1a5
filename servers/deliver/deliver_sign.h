/* DKIM signatures (RFC 6376, RFC 8463) on the mail that delivery rules
 * send: vacation replies, reject's MDN, ereject's DSN and notifications,
 * signed where deliver queues them, as smtpd signs submitted mail
 * (doc/authentication.md): with every active key of the From address's
 * domain, or of a parent of it up to its organisational domain (the DSN's
 * MAILER-DAEMON@<hostname>), so DMARC aligns (relaxed, RFC 7489 §3.1.1),
 * as qmgr signs its bounces (lib/mailauth/mailauth_keys.h). The keys are
 * data_dir/dkim/<domain>/<selector>.key (mode 0600, owned by the data
 * folder's owner, the user deliver runs as), read again for each message
 * so a rotation needs no reload. */
#ifndef DELIVER_DELIVER_SIGN_H
#define DELIVER_DELIVER_SIGN_H

#include <stddef.h>
#include <time.h>

struct buf;
struct pool;

struct deliver_sign_settings {
	const char *data_dir; /* keys in data_dir/dkim; NULL: sign nothing */
	unsigned lifetime;    /* seconds from t= to x=; 0: no x= */
};

/* Appends one DKIM-Signature field per key to out for msg[0..size) (a
 * whole message, CRLF line ends), to be put on top of it. Signs nothing
 * when set->data_dir is NULL, the message has no single From domain, or
 * no domain of it has keys. Returns the signing domain (from pool), or
 * NULL when nothing was signed; a key that does not load is logged and
 * skipped. */
const char *deliver_sign_message(const struct deliver_sign_settings *set,
                                 struct pool *pool, time_t now, const char *msg,
                                 size_t size, struct buf *out);

#endif
