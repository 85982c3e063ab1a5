/* An Apple configuration profile (a .mobileconfig: an XML property list)
 * for the signed-in account: a mail payload (com.apple.mail.managed; IMAP
 * preferred over POP3, implicit TLS over STARTTLS) and, when HTTPS is on,
 * a CalDAV and a CardDAV payload (com.apple.caldav.account,
 * com.apple.carddav.account) pointing at https://hostname/dav/, which the
 * DAV engine will serve. The route needs credentials, so the profile
 * names the account whose password opened it; no password is put in it
 * (the device asks). UUIDs and identifiers are derived from the hostname
 * and the account, so downloading the profile again replaces the one
 * installed. The profile is not signed: the device shows it as
 * "Unsigned". */
#include "core/buf.h"
#include "core/digest.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys of a payload sit at depth 3 (plist, dict, array, dict), those
 * of the profile at depth 1. */
struct plist {
	struct buf *out;
	const char *indent;
};

static void plist_key(const struct plist *p, const char *key)
{
	buf_printf(p->out, "%s<key>%s</key>\n%s", p->indent, key, p->indent);
}

static void plist_string(const struct plist *p, const char *key,
                         const char *value)
{
	plist_key(p, key);
	buf_append_str(p->out, "<string>");
	httpd_discovery_xml_escape(p->out, value);
	buf_append_str(p->out, "</string>\n");
}

static void plist_int(const struct plist *p, const char *key, unsigned value)
{
	plist_key(p, key);
	buf_printf(p->out, "<integer>%u</integer>\n", value);
}

static void plist_bool(const struct plist *p, const char *key, bool value)
{
	plist_key(p, key);
	buf_printf(p->out, "<%s/>\n", value ? "true" : "false");
}

/* A stable UUID (RFC 9562 §5.8, version 8) for one payload of user. */
static void payload_uuid(const struct httpd *httpd, const char *user,
                         const char *kind, char uuid_r[37])
{
	struct buf seed;
	buf_init(&seed);
	buf_printf(&seed, "%s\n%s\n%s", httpd->hostname, user, kind);
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(seed.data, seed.len, hex);
	buf_deinit(&seed);
	hex[12] = '8'; /* the version */
	const char *digits = "0123456789abcdef";
	hex[16] = "89ab"[(strchr(digits, hex[16]) - digits) & 3]; /* variant */
	size_t o = 0;
	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			uuid_r[o++] = '-';
		uuid_r[o++] = hex[i];
	}
	uuid_r[o] = '\0';
}

/* The keys every payload has. */
static void payload_common(const struct plist *p, const struct httpd *httpd,
                           const char *user, const char *kind, const char *type,
                           const char *name)
{
	char uuid[37];
	payload_uuid(httpd, user, kind, uuid);
	plist_string(p, "PayloadDisplayName", name);
	plist_key(p, "PayloadIdentifier");
	buf_append_str(p->out, "<string>");
	httpd_discovery_xml_escape(p->out, httpd->hostname);
	buf_printf(p->out, ".postroom.%s.%.8s</string>\n", kind, uuid);
	plist_string(p, "PayloadType", type);
	plist_string(p, "PayloadUUID", uuid);
	plist_int(p, "PayloadVersion", 1);
}

static void payload_mail(const struct plist *p, const struct httpd *httpd,
                         const char *user)
{
	const struct settings_endpoint *in =
	    settings_endpoint_best(httpd->endpoints, SETTINGS_PROTO_IMAP);
	if (in == NULL)
		in = settings_endpoint_best(httpd->endpoints,
		                            SETTINGS_PROTO_POP3);
	const struct settings_endpoint *smtp =
	    settings_endpoint_best(httpd->endpoints, SETTINGS_PROTO_SUBMISSION);
	if (in == NULL || smtp == NULL)
		return;
	buf_append_str(p->out, "\t\t<dict>\n");
	plist_string(p, "EmailAccountDescription", user);
	plist_string(p, "EmailAccountType",
	             in->proto == SETTINGS_PROTO_IMAP ? "EmailTypeIMAP"
	                                              : "EmailTypePOP");
	plist_string(p, "EmailAddress", user);
	plist_string(p, "IncomingMailServerAuthentication",
	             "EmailAuthPassword");
	plist_string(p, "IncomingMailServerHostName", httpd->hostname);
	plist_int(p, "IncomingMailServerPortNumber", in->port);
	plist_bool(p, "IncomingMailServerUseSSL",
	           in->tls == SETTINGS_TLS_IMPLICIT);
	plist_string(p, "IncomingMailServerUsername", user);
	plist_string(p, "OutgoingMailServerAuthentication",
	             "EmailAuthPassword");
	plist_string(p, "OutgoingMailServerHostName", httpd->hostname);
	plist_int(p, "OutgoingMailServerPortNumber", smtp->port);
	plist_bool(p, "OutgoingMailServerUseSSL",
	           smtp->tls == SETTINGS_TLS_IMPLICIT);
	plist_string(p, "OutgoingMailServerUsername", user);
	plist_bool(p, "OutgoingPasswordSameAsIncomingPassword", true);
	payload_common(p, httpd, user, "mail", "com.apple.mail.managed",
	               "Mail");
	buf_append_str(p->out, "\t\t</dict>\n");
}

/* kind "CalDAV" or "CardDAV": the keys are named after it. */
static void payload_dav(const struct plist *p, const struct httpd *httpd,
                        const char *user, const char *kind)
{
	unsigned port = httpd->set.httpd.https_port;
	char key[64];
	buf_append_str(p->out, "\t\t<dict>\n");
	snprintf(key, sizeof(key), "%sAccountDescription", kind);
	plist_string(p, key, user);
	snprintf(key, sizeof(key), "%sHostName", kind);
	plist_string(p, key, httpd->hostname);
	snprintf(key, sizeof(key), "%sPort", kind);
	plist_int(p, key, port);
	snprintf(key, sizeof(key), "%sPrincipalURL", kind);
	plist_key(p, key);
	buf_append_str(p->out, "<string>https://");
	httpd_discovery_xml_escape(p->out, httpd->hostname);
	if (port != 443)
		buf_printf(p->out, ":%u", port);
	buf_append_str(p->out, "/dav/</string>\n");
	snprintf(key, sizeof(key), "%sUseSSL", kind);
	plist_bool(p, key, true);
	snprintf(key, sizeof(key), "%sUsername", kind);
	plist_string(p, key, user);
	bool is_cal = strcmp(kind, "CalDAV") == 0;
	payload_common(p, httpd, user, is_cal ? "caldav" : "carddav",
	               is_cal ? "com.apple.caldav.account"
	                      : "com.apple.carddav.account",
	               is_cal ? "Calendars" : "Contacts");
	buf_append_str(p->out, "\t\t</dict>\n");
}

static void httpd_mobileconfig_write(struct buf *out, const struct httpd *httpd,
                                     const char *user)
{
	const struct plist payload = {out, "\t\t\t"}, top = {out, "\t"};
	buf_append_str(out,
	               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	               "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	               "<plist version=\"1.0\">\n<dict>\n"
	               "\t<key>PayloadContent</key>\n\t<array>\n");
	payload_mail(&payload, httpd, user);
	if (httpd->set.httpd.https_port != 0) {
		payload_dav(&payload, httpd, user, "CalDAV");
		payload_dav(&payload, httpd, user, "CardDAV");
	}
	buf_append_str(out, "\t</array>\n");
	plist_string(&top, "PayloadDescription",
	             "Mail, calendars and contacts");
	plist_bool(&top, "PayloadRemovalDisallowed", false);
	char *name = xasprintf("Postroom: %s", user);
	payload_common(&top, httpd, user, "profile", "Configuration", name);
	free(name);
	buf_append_str(out, "</dict>\n</plist>\n");
}

void httpd_mobileconfig(struct http_request *req, void *ctx)
{
	const struct httpd *httpd = ctx;
	struct buf body;
	buf_init(&body);
	httpd_mobileconfig_write(&body, httpd, http_request_user(req));
	httpd_discovery_send(req, httpd, "application/x-apple-aspen-config",
	                     "postroom.mobileconfig", &body);
	buf_deinit(&body);
}
