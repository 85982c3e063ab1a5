/* What the client autoconfig files share (Thunderbird's autoconfig,
 * Outlook's autodiscover, the Apple profile): which local domain a request
 * is about, XML escaping, and sending a generated document the way a
 * static file is sent (strong ETag, Last-Modified, conditional GET and
 * Range from lib/http). The documents are made from the running
 * configuration (hostname, the ports that are on, TLS or STARTTLS), so
 * they change only when httpd restarts, which a reload does. */
#include "core/buf.h"
#include "core/digest.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "store/store.h"

#include <ctype.h>
#include <string.h>

int httpd_discovery_domain(struct http_request *req, struct httpd *httpd,
                           const char *address, const char **domain_r)
{
	const char *domain;
	if (address != NULL) {
		const char *at = strrchr(address, '@');
		if (at == NULL)
			return 0;
		domain = at + 1;
	} else {
		domain = httpd_routes_host(req, httpd);
		static const char *const prefixes[] = {"autoconfig.",
		                                       "autodiscover."};
		for (size_t i = 0; i < 2; i++) {
			size_t len = strlen(prefixes[i]);
			if (strncmp(domain, prefixes[i], len) == 0)
				domain += len;
		}
	}
	char *lower = pool_strdup(http_request_pool(req), domain);
	for (char *p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!store_domain_is_valid(lower))
		return 0;
	int ret = store_domain_exists(httpd->store, lower);
	if (ret < 0) {
		log_error(NULL, "store-failed op=domain_exists domain=%s",
		          log_sanitize(lower, 100));
		return -1;
	}
	*domain_r = lower;
	return ret;
}

void httpd_discovery_send(struct http_request *req, const struct httpd *httpd,
                          const char *type, const char *filename,
                          const struct buf *body)
{
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(body->data, body->len, hex);
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, type);
	/* made from the configuration: a cache must ask again, and gets a
	 * 304 while nothing changed */
	http_response_add_header(resp, "Cache-Control", "no-cache");
	if (filename != NULL)
		http_response_add_header(resp, "Content-Disposition",
		                         "attachment; filename=\"%s\"",
		                         filename);
	const struct http_validators v = {
	    .etag = pool_printf(http_request_pool(req), "\"%.32s\"", hex),
	    .last_modified = httpd->started,
	    .exists = true,
	};
	http_response_set_validators(resp, &v);
	http_response_send_data(resp, body->data, body->len);
}

void httpd_discovery_xml_escape(struct buf *out, const char *str)
{
	for (const char *p = str; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_append_str(out, "&amp;");
			break;
		case '<':
			buf_append_str(out, "&lt;");
			break;
		case '>':
			buf_append_str(out, "&gt;");
			break;
		case '"':
			buf_append_str(out, "&quot;");
			break;
		case '\'':
			buf_append_str(out, "&apos;");
			break;
		default:
			buf_append_char(out, *p);
		}
	}
}
