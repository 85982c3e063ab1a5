/* The MTA-STS policy (RFC 8461 §3.2, §3.3) that senders fetch from
 * https://mta-sts.<domain>/.well-known/mta-sts.txt: one policy for every
 * local domain, from [mailauth] mta_sts_mode, mta_sts_mx (else our host
 * name, the MX postroomctl dns prints) and mta_sts_max_age; text/plain,
 * HTTPS only. A Host that is not mta-sts.<local domain>, or the mode
 * "off", gets 404. The same text gives the id of the _mta-sts TXT record
 * that postroomctl dns prints, so both change together. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "mailauth/mta_sts.h"
#include "store/store.h"

#include <string.h>

void httpd_mta_sts(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	const struct mailauth_settings *s = &httpd->set.mailauth;
	const char *host = httpd_routes_host(req, httpd);
	struct pool *pool = http_request_pool(req);
	struct mta_sts_policy policy;
	const char *error;
	int ret = strncmp(host, "mta-sts.", 8) == 0
	              ? store_domain_exists(httpd->store, host + 8)
	              : 0;
	if (ret < 0) {
		log_error(NULL, "store-failed error=%s",
		          store_last_error(httpd->store));
		http_response_send_text(http_response_new(req, 503),
		                        "Try again later.\n");
		return;
	}
	if (ret > 0)
		ret = mta_sts_policy_from(s->mta_sts_mode, s->mta_sts_mx,
		                          httpd->hostname, s->mta_sts_max_age,
		                          pool, &policy, &error);
	if (ret < 0)
		log_error(NULL, "mta-sts-policy-failed error=%s", error);
	if (ret <= 0) {
		http_response_send_text(http_response_new(req, 404),
		                        "No MTA-STS policy here.\n");
		return;
	}
	struct buf body;
	buf_init(&body);
	mta_sts_policy_write(&policy, &body);
	/* RFC 8461 §3.2: media type "text/plain" */
	httpd_discovery_send(req, httpd, "text/plain", NULL, &body);
	buf_deinit(&body);
}
