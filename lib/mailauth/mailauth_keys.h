/* The signing keys of the local domains, as postroomctl makes them:
 * data_dir/dkim/<domain>/<selector>.key (PEM, mode 0600), one file per
 * active key (Ed25519 "e<date>" and RSA-2048 "r<date>"); a retired key has
 * no .key file left. smtpd (submission signing, ARC seals of forwarded
 * mail) and qmgr (bounces, reports) read them here; each run reads the
 * folder again, so a rotation needs no reload. */
#ifndef MAILAUTH_MAILAUTH_KEYS_H
#define MAILAUTH_MAILAUTH_KEYS_H

#include <stddef.h>

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

#endif
