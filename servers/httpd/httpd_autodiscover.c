/* Outlook's autodiscover in its "POX" form (MS-OXDSCLI): the client POSTs
 * an <Autodiscover> request naming an <EMailAddress> and the response
 * schema it accepts, and gets one <Protocol> per service type (IMAP, POP3,
 * SMTP; the preferred endpoint of each, implicit TLS first) in the
 * "outlook/responseschema/2006a" schema. The request is read with
 * httpd_pox.c's scanner. A domain the store does not serve gets
 * 404, so that the client tries its next candidate URL. */
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "httpd_pox.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define HTTPD_AUTODISCOVER_OUTLOOK                                             \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/"          \
	"responseschema/2006a"
#define HTTPD_AUTODISCOVER_RESPONSE                                            \
	"http://schemas.microsoft.com/exchange/autodiscover/responseschema/"   \
	"2006"

static void httpd_autodiscover_protocol(struct buf *out,
                                        const struct httpd *httpd,
                                        const struct settings_endpoint *e,
                                        const char *address)
{
	const char *type = e->proto == SETTINGS_PROTO_SUBMISSION ? "SMTP"
	                   : e->proto == SETTINGS_PROTO_IMAP     ? "IMAP"
	                                                         : "POP3";
	bool is_ssl = e->tls == SETTINGS_TLS_IMPLICIT;
	buf_printf(out,
	           "      <Protocol>\n"
	           "        <Type>%s</Type>\n"
	           "        <Server>",
	           type);
	httpd_discovery_xml_escape(out, httpd->hostname);
	buf_printf(out,
	           "</Server>\n"
	           "        <Port>%u</Port>\n"
	           "        <DomainRequired>off</DomainRequired>\n"
	           "        <LoginName>",
	           e->port);
	httpd_discovery_xml_escape(out, address);
	buf_printf(out,
	           "</LoginName>\n"
	           "        <SPA>off</SPA>\n"
	           "        <SSL>on</SSL>\n"
	           "        <Encryption>%s</Encryption>\n"
	           "        <AuthRequired>on</AuthRequired>\n"
	           "      </Protocol>\n",
	           is_ssl ? "SSL" : "TLS");
}

static void httpd_autodiscover_write(struct buf *out, const struct httpd *httpd,
                                     const char *address)
{
	buf_append_str(
	    out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	         "<Autodiscover xmlns=\"" HTTPD_AUTODISCOVER_RESPONSE "\">\n"
	         "  <Response xmlns=\"" HTTPD_AUTODISCOVER_OUTLOOK "\">\n"
	         "    <User>\n      <DisplayName>");
	httpd_discovery_xml_escape(out, address);
	buf_append_str(out, "</DisplayName>\n    </User>\n"
	                    "    <Account>\n"
	                    "      <AccountType>email</AccountType>\n"
	                    "      <Action>settings</Action>\n");
	static const enum settings_proto order[] = {SETTINGS_PROTO_IMAP,
	                                            SETTINGS_PROTO_POP3,
	                                            SETTINGS_PROTO_SUBMISSION};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct settings_endpoint *e =
		    settings_endpoint_best(httpd->endpoints, order[i]);
		if (e != NULL)
			httpd_autodiscover_protocol(out, httpd, e, address);
	}
	buf_append_str(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

/* An answer in the POX error form (MS-OXDSCLI 2.2.4.2.1.2). */
static void httpd_autodiscover_error(struct http_request *req, unsigned code,
                                     const char *message)
{
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "text/xml; charset=utf-8");
	http_response_send_text(
	    resp,
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"" HTTPD_AUTODISCOVER_RESPONSE "\">\n"
	    "  <Response>\n    <Error>\n      <ErrorCode>%u</ErrorCode>\n"
	    "      <Message>%s</Message>\n    </Error>\n  </Response>\n"
	    "</Autodiscover>\n",
	    code, message);
}

/* The body, in memory or in its file (when body_memory_max is small). */
static const unsigned char *httpd_autodiscover_body(struct http_request *req,
                                                    size_t *size_r)
{
	const struct http_request_body *b = http_request_body(req);
	if (b->fd < 0) {
		*size_r = b->size_in_memory;
		return b->data;
	}
	unsigned char *data = pool_alloc(http_request_pool(req), b->size + 1);
	ssize_t n;
	do {
		n = pread(b->fd, data, (size_t)b->size, 0);
	} while (n < 0 && errno == EINTR);
	*size_r = n < 0 ? 0 : (size_t)n;
	return data;
}

static void httpd_autodiscover_read_cb(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	struct pool *pool = http_request_pool(req);
	size_t size;
	const unsigned char *data = httpd_autodiscover_body(req, &size);
	const char *address = NULL, *schema = NULL, *domain;
	if (httpd_pox_find(data, size, "EMailAddress", pool, &address) <= 0 ||
	    !store_address_is_valid(address) ||
	    httpd_pox_find(data, size, "AcceptableResponseSchema", pool,
	                   &schema) < 0) {
		http_response_send_text(http_response_new(req, 400),
		                        "Expected an Autodiscover request with "
		                        "an EMailAddress.\n");
		return;
	}
	if (schema != NULL && strcmp(schema, HTTPD_AUTODISCOVER_OUTLOOK) != 0) {
		/* mobilesync (ActiveSync) and others */
		httpd_autodiscover_error(req, 601, "Provider is not available");
		return;
	}
	int ret = httpd_discovery_domain(req, httpd, address, &domain);
	if (ret <= 0) {
		http_response_send_text(
		    http_response_new(req, ret < 0 ? 503 : 404),
		    ret < 0 ? "Temporary failure.\n"
		            : "No such domain here.\n");
		return;
	}
	struct buf body;
	buf_init(&body);
	httpd_autodiscover_write(&body, httpd, address);
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "text/xml; charset=utf-8");
	http_response_add_header(resp, "Cache-Control", "no-store");
	http_response_send_data(resp, body.data, body.len);
	buf_deinit(&body);
}

void httpd_autodiscover(struct http_request *req, void *ctx)
{
	http_request_read_body(req, httpd_autodiscover_read_cb, ctx);
}
