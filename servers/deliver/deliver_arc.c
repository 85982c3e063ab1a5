/* The ARC set (RFC 8617 §5.1) on a copy that Sieve's redirect sends to
 * another domain: the forwarding breaks the sender's SPF, and our seal
 * lets the next hop trust the verdict we recorded when the message came
 * in (the Authentication-Results field with our authserv-id, which smtpd
 * put on top). Signed with the RSA key of the account's domain; the body
 * hash is read from the queue file, which the copy then streams from. A
 * message without our verdict (submitted here, not received on port 25)
 * or a domain without an RSA key goes out unsealed. */
#include "deliver/deliver_mail.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "mailauth/arc.h"
#include "mailauth/dkim.h"
#include "mailauth/mailauth_keys.h"

#include <string.h>
#include <unistd.h>

#define DELIVER_ARC_KEYS_MAX 4

/* Feeds the body_size bytes at offset of fd to s. Returns 0 or -1. */
static int seal_body(struct arc_seal *s, int fd, off_t offset,
                     uint64_t body_size)
{
	unsigned char chunk[65536];
	uint64_t pos = 0;
	while (pos < body_size) {
		size_t want = body_size - pos < sizeof(chunk)
		                  ? (size_t)(body_size - pos)
		                  : sizeof(chunk);
		ssize_t n = pread(fd, chunk, want, offset + (off_t)pos);
		if (n <= 0)
			return -1;
		arc_seal_body(s, chunk, (size_t)n);
		pos += (uint64_t)n;
	}
	return 0;
}

void deliver_arc_seal(const struct deliver_mail *m, const char *header,
                      size_t size, int fd, off_t offset, uint64_t body_size,
                      struct buf *out)
{
	const char *at = strrchr(m->user, '@'), *authres, *error;
	enum arc_cv cv;
	if (m->authserv_id == NULL || m->data_dir == NULL || at == NULL)
		return;
	if (arc_authres_find(header, size, m->authserv_id, m->pool, &authres,
	                     &cv) == 0) {
		log_info(NULL,
		         "arc-seal-skipped id=%s reason=no verdict of ours",
		         m->id);
		return;
	}
	struct dkim_sign_key *keys[DELIVER_ARC_KEYS_MAX];
	size_t n = mailauth_keys_load(m->data_dir, at + 1, keys,
	                              DELIVER_ARC_KEYS_MAX, NULL, NULL);
	struct dkim_sign_key *rsa = mailauth_keys_rsa(keys, n);
	if (rsa == NULL) {
		log_info(NULL,
		         "arc-seal-skipped id=%s domain=%s reason=no RSA key",
		         m->id, at + 1);
	} else {
		struct arc_seal *s = arc_seal_new(rsa, m->now);
		if (seal_body(s, fd, offset, body_size) < 0)
			log_error(NULL,
			          "arc-seal-failed id=%s error=cannot "
			          "read the message",
			          m->id);
		else if (arc_seal_finish(s, header, size, authres, cv, out,
		                         &error) < 0)
			log_error(NULL, "arc-seal-failed id=%s error=%s", m->id,
			          error);
		else
			log_info(NULL, "arc-sealed id=%s domain=%s cv=%s",
			         m->id, at + 1, arc_cv_name(cv));
		arc_seal_free(&s);
	}
	mailauth_keys_free(keys, n);
}
