/* Authentication: password hashing with libcrypt (yescrypt, "$y$"), SASL
 * PLAIN (RFC 4616) and LOGIN decoding for SMTP (RFC 4954), POP3 (RFC 5034)
 * and IMAP, and the limits on what a login may send. The login throttle is
 * in auth_throttle.h. Plain-text secrets are wiped with explicit_bzero()
 * once used. */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

/* The longest user name and password a login may give; longer ones fail
 * like a wrong password (the decoders below accept them, and
 * auth_request_new answers them AUTH_RESULT_FAIL without asking authd).
 * RFC 4616 §2 asks for at least 255 octets; no account address is longer
 * than 254 (RFC 5321 §4.5.3.1). */
#define AUTH_USER_MAX 255
#define AUTH_PASSWORD_MAX 1024

/* Hashes password with yescrypt and a fresh salt. Returns 0 with a heap
 * string in *hash_r (caller frees), or -1 with a static reason. */
int auth_password_hash(const char *password, char **hash_r,
		       const char **error_r);
/* Returns 1 if password matches hash, 0 if not (or hash is malformed). The
 * comparison takes the same time however many bytes match. */
int auth_password_verify(const char *password, const char *hash);
/* A valid yescrypt hash of nothing anyone knows: verify against it when the
 * user is unknown so that the reply comes after the same delay. */
const char *auth_password_dummy_hash(void);

/* RFC 4616: message = [authzid] NUL authcid NUL passwd, base64-encoded in
 * b64 (len bytes). Returns 0 with the three parts allocated from pool
 * (authzid is "" when absent), or -1 with a static reason in *error_r.
 * A "=" alone (RFC 4954 empty response) decodes as empty and fails. Fields
 * of any length are returned: the caller's login refuses those past
 * AUTH_USER_MAX and AUTH_PASSWORD_MAX as a normal failure. */
int auth_sasl_plain_decode(const char *b64, size_t len, struct pool *pool,
			   const char **authzid_r, const char **authcid_r,
			   const char **password_r, const char **error_r);
/* Decodes one base64 step of the LOGIN mechanism into a pool string.
 * Returns 0, or -1 with a static reason. */
int auth_sasl_login_decode(const char *b64, size_t len, struct pool *pool,
			   const char **value_r, const char **error_r);

#endif
