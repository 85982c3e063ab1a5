/* Thunderbird's autoconfig file (the "config-v1.1" format of Mozilla's
 * ISP database, fetched as /mail/config-v1.1.xml?emailaddress=... from
 * autoconfig.<domain> and as /.well-known/autoconfig/mail/config-v1.1.xml
 * from the domain): every incoming and outgoing service that is on, with
 * the hostname, its port and "SSL" (implicit TLS) or "STARTTLS", implicit
 * TLS first (RFC 8314 §5.1). The login is the whole address. A domain the
 * store does not serve gets 404. */
#include "core/buf.h"
#include "http/http_query.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <stddef.h>

static void httpd_autoconfig_server(struct buf *out, const struct httpd *httpd,
                                    const struct settings_endpoint *e)
{
	const char *element = e->proto == SETTINGS_PROTO_SUBMISSION
	                          ? "outgoingServer"
	                          : "incomingServer";
	const char *type = e->proto == SETTINGS_PROTO_SUBMISSION ? "smtp"
	                   : e->proto == SETTINGS_PROTO_IMAP     ? "imap"
	                                                         : "pop3";
	buf_printf(out, "    <%s type=\"%s\">\n      <hostname>", element,
	           type);
	httpd_discovery_xml_escape(out, httpd->hostname);
	buf_printf(out,
	           "</hostname>\n"
	           "      <port>%u</port>\n"
	           "      <socketType>%s</socketType>\n"
	           "      <authentication>password-cleartext</authentication>\n"
	           "      <username>%%EMAILADDRESS%%</username>\n"
	           "    </%s>\n",
	           e->port,
	           e->tls == SETTINGS_TLS_IMPLICIT ? "SSL" : "STARTTLS",
	           element);
}

/* Appends the document for domain. */
static void httpd_autoconfig_write(struct buf *out, const struct httpd *httpd,
                                   const char *domain)
{
	buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                    "<clientConfig version=\"1.1\">\n"
	                    "  <emailProvider id=\"");
	httpd_discovery_xml_escape(out, domain);
	buf_append_str(out, "\">\n    <domain>");
	httpd_discovery_xml_escape(out, domain);
	buf_append_str(out, "</domain>\n    <displayName>");
	httpd_discovery_xml_escape(out, domain);
	buf_append_str(out, "</displayName>\n    <displayShortName>");
	httpd_discovery_xml_escape(out, domain);
	buf_append_str(out, "</displayShortName>\n");
	/* incoming first (IMAP before POP3), then outgoing, in the order of
	 * settings_endpoint_list within each */
	static const enum settings_proto order[] = {SETTINGS_PROTO_IMAP,
	                                            SETTINGS_PROTO_POP3,
	                                            SETTINGS_PROTO_SUBMISSION};
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (size_t i = 0; i < SETTINGS_ENDPOINT_COUNT; i++) {
			const struct settings_endpoint *e =
			    &httpd->endpoints[i];
			if (e->proto == order[k] && e->port != 0)
				httpd_autoconfig_server(out, httpd, e);
		}
	}
	buf_append_str(out, "  </emailProvider>\n</clientConfig>\n");
}

void httpd_autoconfig(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	struct pool *pool = http_request_pool(req);
	const char *address = NULL, *domain;
	int ret = http_query_get(http_request_head(req)->query, "emailaddress",
	                         pool, &address);
	if (ret < 0) {
		http_response_send_text(http_response_new(req, 400),
		                        "Bad emailaddress.\n");
		return;
	}
	ret = httpd_discovery_domain(req, httpd, address, &domain);
	if (ret < 0) {
		http_response_send_text(http_response_new(req, 503),
		                        "Temporary failure.\n");
		return;
	}
	if (ret == 0) {
		http_response_send_text(http_response_new(req, 404),
		                        "No such domain here.\n");
		return;
	}
	struct buf body;
	buf_init(&body);
	httpd_autoconfig_write(&body, httpd, domain);
	httpd_discovery_send(req, httpd, "application/xml; charset=utf-8", NULL,
	                     &body);
	buf_deinit(&body);
}
