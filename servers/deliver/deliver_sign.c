/* DKIM signing of the mail rules send (deliver_sign.h), through
 * lib/mailauth: the keys found as qmgr finds them for its bounces
 * (mailauth_keys_for), the whole message signed at once
 * (dkim_sign_message). */
#include "deliver/deliver_sign.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/mailauth_keys.h"

#define DELIVER_SIGN_KEYS_MAX 4

static void key_error_cb(const char *path, const char *error, void *ctx)
{
	(void)ctx;
	log_error(NULL, "dkim-key-failed path=%s error=%s", path, error);
}

/* The length of msg's header section, its blank line included. */
static size_t header_size(const char *msg, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			return i + 2;
		if (msg[i] == '\n' && msg[i + 1] == '\r' && i + 2 < size &&
		    msg[i + 2] == '\n')
			return i + 3;
	}
	return size;
}

const char *deliver_sign_message(const struct deliver_sign_settings *set,
                                 struct pool *pool, time_t now, const char *msg,
                                 size_t size, struct buf *out)
{
	const char *domain, *signer, *error;
	if (set->data_dir == NULL ||
	    dmarc_from_domain(msg, header_size(msg, size), pool, &domain) != 1)
		return NULL;
	struct dkim_sign_key *keys[DELIVER_SIGN_KEYS_MAX];
	size_t count = mailauth_keys_for(set->data_dir, domain, pool, keys,
	                                 DELIVER_SIGN_KEYS_MAX, &signer,
	                                 key_error_cb, NULL);
	if (count == 0)
		return NULL;
	size_t before = out->len;
	int ret = dkim_sign_message(keys, count, now, set->lifetime, msg, size,
	                            out, &error);
	mailauth_keys_free(keys, count);
	if (ret < 0) {
		buf_truncate(out, before);
		log_error(NULL, "dkim-sign-failed domain=%s error=%s", signer,
		          error);
		return NULL;
	}
	return signer;
}
