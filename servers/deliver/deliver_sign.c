/* DKIM signing of the mail rules send (deliver_sign.h), through
 * lib/mailauth's signer: the header section is held, the body hashed, and
 * the signature fields are made over the header as it will be queued. */
#include "deliver/deliver_sign.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "store/store.h"

#include <dirent.h>
#include <string.h>

#define DELIVER_SIGN_KEYS_MAX 4

/* Loads the active keys of domain (each <selector>.key of its folder).
 * Returns how many. */
static size_t keys_load(const char *dkim_dir, const char *domain,
                        struct pool *pool, struct dkim_sign_key **keys)
{
	const char *dir = pool_printf(pool, "%s/%s", dkim_dir, domain);
	DIR *d = opendir(dir);
	size_t n = 0;
	if (d == NULL)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < DELIVER_SIGN_KEYS_MAX) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 4 ||
		    strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		const char *selector = pool_strndup(pool, de->d_name, len - 4);
		const char *path = pool_printf(pool, "%s/%s", dir, de->d_name);
		const char *error;
		if (dkim_sign_key_load(path, domain, selector, &keys[n],
		                       &error) < 0) {
			log_error(NULL, "dkim-key-failed path=%s error=%s",
			          path, error);
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
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
                                 struct store *store, struct pool *pool,
                                 time_t now, const char *msg, size_t size,
                                 struct buf *out)
{
	const char *domain;
	if (set->dkim_dir == NULL)
		return NULL;
	size_t hsize = header_size(msg, size);
	if (dmarc_from_domain(msg, hsize, pool, &domain) != 1)
		return NULL;
	/* the From domain, else its nearest local parent with keys (two
	   labels at least: never a top-level domain) */
	struct dkim_sign_key *keys[DELIVER_SIGN_KEYS_MAX];
	size_t count = 0;
	for (const char *d = domain; d != NULL && strchr(d, '.') != NULL;) {
		if (store_domain_exists(store, d) == 1 &&
		    (count = keys_load(set->dkim_dir, d, pool, keys)) > 0) {
			domain = d;
			break;
		}
		d = strchr(d, '.') + 1;
	}
	if (count == 0)
		return NULL;
	struct dkim_sign *s = dkim_sign_new(keys, count, now, set->lifetime);
	dkim_sign_body(s, msg + hsize, size - hsize);
	const char *error;
	size_t before = out->len;
	/* the header without its blank line, as dkim_sign_finish wants */
	size_t fields = hsize;
	if (fields >= 2 && msg[fields - 1] == '\n')
		fields -= msg[fields - 2] == '\r' ? 2 : 1;
	int ret = dkim_sign_finish(s, msg, fields, out, &error);
	dkim_sign_free(&s);
	for (size_t i = 0; i < count; i++)
		dkim_sign_key_free(&keys[i]);
	if (ret < 0) {
		buf_truncate(out, before);
		log_error(NULL, "dkim-sign-failed domain=%s error=%s", domain,
		          error);
		return NULL;
	}
	return domain;
}
