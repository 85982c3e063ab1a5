/* Loading the DKIM keys of a domain (mailauth_keys.h). */
#include "mailauth/mailauth_keys.h"
#include "mailauth/arc.h"
#include "mailauth/dkim_private.h"
#include "mailauth/dmarc.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t mailauth_keys_load(const char *data_dir, const char *domain,
                          struct dkim_sign_key **keys, size_t max,
                          mailauth_keys_error_cb *error_cb, void *ctx)
{
	/* a domain name never holds "/" or starts with "." */
	if (domain[0] == '\0' || domain[0] == '.' ||
	    strchr(domain, '/') != NULL)
		return 0;
	char *dir = xasprintf("%s/dkim/%s", data_dir, domain);
	DIR *d = opendir(dir);
	size_t n = 0;
	if (d == NULL) {
		free(dir);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 4 ||
		    strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		char *selector = xstrndup(de->d_name, len - 4);
		char *path = xasprintf("%s/%s", dir, de->d_name);
		const char *error;
		if (dkim_sign_key_load(path, domain, selector, &keys[n],
		                       &error) == 0)
			n++;
		else if (error_cb != NULL)
			error_cb(path, error, ctx);
		free(selector);
		free(path);
	}
	closedir(d);
	free(dir);
	return n;
}

void mailauth_keys_free(struct dkim_sign_key **keys, size_t count)
{
	for (size_t i = 0; i < count; i++)
		dkim_sign_key_free(&keys[i]);
}

struct dkim_sign_key *mailauth_keys_rsa(struct dkim_sign_key *const *keys,
                                        size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (dkim_sign_key_alg(keys[i]) == DKIM_ALG_RSA_SHA256)
			return keys[i];
	}
	return NULL;
}

size_t mailauth_keys_for(const char *data_dir, const char *domain,
                         struct pool *pool, struct dkim_sign_key **keys,
                         size_t max, const char **signer_r,
                         mailauth_keys_error_cb *error_cb, void *ctx)
{
	const char *org = dmarc_org_domain(domain, pool);
	const char *d = domain;
	while (d != NULL) {
		size_t n =
		    mailauth_keys_load(data_dir, d, keys, max, error_cb, ctx);
		if (n > 0) {
			*signer_r = pool_strdup(pool, d);
			return n;
		}
		if (strcasecmp(d, org) == 0)
			break;
		d = strchr(d, '.');
		d = d != NULL ? d + 1 : NULL;
	}
	return 0;
}

int mailauth_arc_forward(const char *data_dir, const char *domain,
                         const char *authserv_id, const char *msg, size_t size,
                         time_t now, struct buf *out, const char **error_r)
{
	struct dkim_sign_key *keys[4];
	size_t n = mailauth_keys_load(data_dir, domain, keys, 4, NULL, NULL);
	struct dkim_sign_key *rsa = mailauth_keys_rsa(keys, n);
	int ret = -1;
	if (rsa == NULL)
		*error_r = "the domain has no RSA key";
	else
		ret = arc_seal_message(rsa, msg, size, authserv_id, now, out,
		                       error_r);
	mailauth_keys_free(keys, n);
	return ret;
}
