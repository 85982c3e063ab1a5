/* The signing keys of the local domains, as postroomctl makes them:
 * data_dir/dkim/<domain>/<selector>.key (PEM, mode 0600), one file per
 * active key (Ed25519 "e<date>" and RSA-2048 "r<date>"); a retired key has
 * no .key file left. smtpd (submission signing, ARC seals of forwarded
 * mail) and qmgr (bounces, reports) read them here; each run reads the
 * folder again, so a rotation needs no reload. */
#ifndef MAILAUTH_MAILAUTH_KEYS_H
#define MAILAUTH_MAILAUTH_KEYS_H

#include <stddef.h>
#include <time.h>

struct dkim_sign_key;
struct pool;

/* Called for a key file that does not load (path and a static reason). */
typedef void mailauth_keys_error_cb(const char *path, const char *error,
                                    void *ctx);

/* Loads up to max active keys of domain into keys. A file that does not
 * load is skipped and reported to error_cb (may be NULL). Returns the
 * number loaded (0 when the domain has no folder or no keys); the caller
 * frees each with dkim_sign_key_free. */
size_t mailauth_keys_load(const char *data_dir, const char *domain,
                          struct dkim_sign_key **keys, size_t max,
                          mailauth_keys_error_cb *error_cb, void *ctx);
/* Frees keys[0..count). */
void mailauth_keys_free(struct dkim_sign_key **keys, size_t count);
/* The first RSA key of keys[0..count) (what ARC seals with), or NULL. */
struct dkim_sign_key *mailauth_keys_rsa(struct dkim_sign_key *const *keys,
                                        size_t count);

/* Finds the keys that sign mail from domain so that DMARC aligns: those
 * of domain itself, else of its parent domains up to its organisational
 * domain (relaxed alignment, RFC 7489 §3.1.1: mail from MAILER-DAEMON@
 * mx.example.org signed by example.org). Returns the count, with the
 * signing domain (from pool) in *signer_r when keys were found. */
size_t mailauth_keys_for(const char *data_dir, const char *domain,
                         struct pool *pool, struct dkim_sign_key **keys,
                         size_t max, const char **signer_r,
                         mailauth_keys_error_cb *error_cb, void *ctx);

/* ARC-seals a message that we forward (RFC 8617 §5.1), for code that
 * sends a stored message on to another domain (Sieve redirect in
 * deliver): with the RSA key of domain (the forwarding account's), the
 * verdict and cv= from the message's Authentication-Results field that
 * claims authserv_id (arc_seal_message). msg[0..size) is the whole
 * message as it will be sent. Returns 0 with the ARC set appended to out
 * (to put on top), or -1 with a static reason (the domain has no RSA key,
 * no such Authentication-Results field, or as arc_seal_finish). */
struct buf;
int mailauth_arc_forward(const char *data_dir, const char *domain,
                         const char *authserv_id, const char *msg, size_t size,
                         time_t now, struct buf *out, const char **error_r);

#endif
