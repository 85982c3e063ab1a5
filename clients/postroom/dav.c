/* A session with an account's CalDAV or CardDAV server: lib/dav's client
 * over the same connections as mail (net.c: the account's trust anchors
 * and certificate checks), the account's password in Basic credentials,
 * and the principal and home set found from the configured context URL
 * (RFC 6764 §6 steps 4-5, RFC 5397). */
#include "sync_dav.h"

#include "core/pool.h"
#include "core/tls_stream.h"

#include <string.h>

const char *pr_dav_url(const struct pr_account *account,
                       enum dav_remote_kind kind)
{
	return kind == DAV_REMOTE_CALENDAR ? account->caldav_url
	                                   : account->carddav_url;
}

static int connect_cb(const char *host, unsigned port, bool is_tls,
                      struct pool *pool, struct tls_stream **stream_r,
                      const char **error_r, void *ctx)
{
	struct pr_dav *dav = ctx;
	struct pr_endpoint ep = {
	    .host = (char *)host,
	    .port = port,
	    .tls = is_tls ? PR_TLS_IMPLICIT : PR_TLS_NONE,
	};
	return pr_connect(dav->config, dav->account, &ep, pool, stream_r,
	                  error_r);
}

int pr_dav_open(const struct pr_config *config,
                const struct pr_account *account, enum dav_remote_kind kind,
                struct pool *pool, struct pr_dav *dav, const char **error_r)
{
	*dav =
	    (struct pr_dav){.config = config, .account = account, .kind = kind};
	const char *url = pr_dav_url(account, kind);
	if (url == NULL) {
		*error_r = "the account has no DAV server";
		return -1;
	}
	if (dav_url_parse(url, pool, &dav->url, error_r) < 0) {
		*error_r = pool_printf(pool, "%s: %s", url, *error_r);
		return -1;
	}
	const char *password;
	if (pr_account_password(account, pool, &password, error_r) < 0)
		return -1;
	struct dav_client_settings set = {
	    .user = account->dav_user != NULL ? account->dav_user
	                                      : account->address,
	    .password = password,
	};
	dav->client = dav_client_new(&dav->url, &set, connect_cb, dav);
	explicit_bzero((char *)password, strlen(password));
	if (dav_remote_find_home(dav->client, dav->url.path, kind, pool,
	                         &dav->home, error_r) < 0) {
		pr_dav_close(dav);
		return -1;
	}
	return 0;
}

void pr_dav_close(struct pr_dav *dav)
{
	dav_client_free(&dav->client);
}
