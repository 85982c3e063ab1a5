/* /msg/<emailId>/: the document a message's HTML is shown in (the security
 * model is doc/webmail.md's). It is an empty page; the webmail sanitises
 * the message with DOMPurify and puts the resulting nodes into it, so what
 * governs the message is this response's Content-Security-Policy:
 * default-src 'none' (no script, no fetch, no font, no frame, no form),
 * inline styles only, images only from data: and blob: (inline parts the
 * webmail fetched) until the user allows remote images ("?images=1"),
 * and a sandbox without allow-scripts, so nothing in it ever runs even if
 * the sanitiser missed something. allow-same-origin lets the webmail
 * write into it; allow-popups lets links open in a new tab (escaping the
 * sandbox, so sites work there; they get no opener and no referrer). The
 * id is checked (RFC 8620 §1.2) but nothing is read from the store. */
#include "core/pool.h"
#include "http/http_query.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <stdbool.h>
#include <string.h>

#define HTTPD_MSG_CSP(img)                                                     \
	"default-src 'none'; img-src " img "; style-src 'unsafe-inline'; "     \
	"sandbox allow-same-origin allow-popups "                              \
	"allow-popups-to-escape-sandbox; frame-ancestors 'self'; "             \
	"base-uri 'none'; form-action 'none'"

const char *const httpd_msg_csp_blocked = HTTPD_MSG_CSP("data: blob:");
const char *const httpd_msg_csp_images =
    HTTPD_MSG_CSP("data: blob: https: http:");

static const char httpd_msg_page[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<meta name=\"referrer\" content=\"no-referrer\">"
    "<title>message</title></head><body></body></html>\n";

bool httpd_msg_id_is_valid(const char *id, size_t len)
{
	/* RFC 8620 §1.2: 1-255 octets of the URL-safe base64 alphabet */
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

void httpd_msg(struct http_request *req, void *ctx)
{
	(void)ctx;
	/* "/msg/<id>" or "/msg/<id>/" */
	const char *path = http_request_path(req);
	bool is_ok = strncmp(path, "/msg/", 5) == 0;
	if (is_ok) {
		const char *id = path + 5;
		size_t len = strcspn(id, "/");
		is_ok = httpd_msg_id_is_valid(id, len) &&
		        (id[len] == '\0' || strcmp(id + len, "/") == 0);
	}
	const char *images = NULL;
	int ret = http_query_get(http_request_head(req)->query, "images",
	                         http_request_pool(req), &images);
	if (!is_ok || ret < 0) {
		struct http_response *resp =
		    http_response_new(req, is_ok ? 400 : 404);
		http_response_send_text(resp, "No such message frame.\n");
		return;
	}
	bool allow_images = ret == 1 && strcmp(images, "1") == 0;
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "text/html; charset=utf-8");
	http_response_add_header(resp, "Content-Security-Policy", "%s",
	                         allow_images ? httpd_msg_csp_images
	                                      : httpd_msg_csp_blocked);
	http_response_add_header(resp, "Cache-Control", "no-store");
	http_response_send_data(resp, httpd_msg_page,
	                        sizeof(httpd_msg_page) - 1);
}
