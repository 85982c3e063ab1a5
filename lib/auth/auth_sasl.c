/* SASL response decoding: PLAIN (RFC 4616 §2) and the LOGIN mechanism
 * (draft-murchison-sasl-login) as SMTP (RFC 4954), POP3 (RFC 5034) and IMAP
 * carry them in base64. RFC 4616 §2 has servers accept fields of at least
 * 255 octets; longer ones decode too (their length is bounded by the line
 * that carried them) and fail later as a wrong login, not as bad syntax.
 * Decoded bytes that hold a password are wiped with explicit_bzero()
 * before the scratch buffer is freed. */
#include "auth/auth.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"

#include <string.h>

static void secret_buf_deinit(struct buf *buf)
{
	explicit_bzero(buf->data, buf->cap);
	buf_deinit(buf);
}

/* Decodes b64 into out; "=" alone is the RFC 4954 §4 empty response. */
static int sasl_decode(const char *b64, size_t len, struct buf *out,
                       const char **error_r)
{
	if (len == 1 && b64[0] == '=')
		len = 0;
	if (base64_decode(b64, len, out) < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	if (out->len == 0) {
		*error_r = "empty response";
		return -1;
	}
	return 0;
}

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd */
int auth_sasl_plain_decode(const char *b64, size_t len, struct pool *pool,
                           const char **authzid_r, const char **authcid_r,
                           const char **password_r, const char **error_r)
{
	struct buf msg;
	buf_init(&msg);
	int ret = -1;
	if (sasl_decode(b64, len, &msg, error_r) < 0)
		goto out;
	const char *zid = msg.data;
	const char *nul1 = memchr(zid, '\0', msg.len);
	if (nul1 == NULL) {
		*error_r = "malformed PLAIN message";
		goto out;
	}
	const char *cid = nul1 + 1;
	size_t rest = msg.len - (size_t)(cid - msg.data);
	const char *nul2 = memchr(cid, '\0', rest);
	if (nul2 == NULL) {
		*error_r = "malformed PLAIN message";
		goto out;
	}
	const char *pass = nul2 + 1;
	size_t zid_len = (size_t)(nul1 - zid), cid_len = (size_t)(nul2 - cid);
	size_t pass_len = msg.len - (size_t)(pass - msg.data);
	if (memchr(pass, '\0', pass_len) != NULL) {
		*error_r = "malformed PLAIN message";
		goto out;
	}
	if (cid_len == 0 || pass_len == 0) {
		*error_r = "empty user name or password";
		goto out;
	}
	*authzid_r = pool_strndup(pool, zid, zid_len);
	*authcid_r = pool_strndup(pool, cid, cid_len);
	*password_r = pool_strndup(pool, pass, pass_len);
	ret = 0;
out:
	secret_buf_deinit(&msg);
	return ret;
}

int auth_sasl_login_decode(const char *b64, size_t len, struct pool *pool,
                           const char **value_r, const char **error_r)
{
	struct buf value;
	buf_init(&value);
	int ret = -1;
	if (sasl_decode(b64, len, &value, error_r) < 0)
		goto out;
	if (memchr(value.data, '\0', value.len) != NULL) {
		*error_r = "NUL in LOGIN response";
		goto out;
	}
	*value_r = pool_strndup(pool, value.data, value.len);
	ret = 0;
out:
	secret_buf_deinit(&value);
	return ret;
}
