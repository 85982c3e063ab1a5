/* The services a mail client may use, read from the settings: which ports
 * are on and whether each speaks implicit TLS or STARTTLS. One list, so that
 * what httpd's autoconfig files announce (servers/httpd) and the DNS records
 * `postroomctl dns` prints (RFC 6186 SRV, RFC 6764 SRV and TXT) always agree
 * with what postroomd binds. Within each protocol implicit TLS comes first:
 * RFC 8314 §5.1 has clients prefer it. */
#ifndef CONFIG_SETTINGS_ENDPOINT_H
#define CONFIG_SETTINGS_ENDPOINT_H

#include <stddef.h>

struct postroom_settings;

enum settings_proto {
	SETTINGS_PROTO_IMAP,
	SETTINGS_PROTO_POP3,
	SETTINGS_PROTO_SUBMISSION, /* SMTP for clients (RFC 6409) */
	SETTINGS_PROTO_HTTP,       /* CalDAV, CardDAV, autoconfig */
};

enum settings_tls {
	SETTINGS_TLS_IMPLICIT, /* TLS from the first byte (RFC 8314) */
	SETTINGS_TLS_STARTTLS, /* STARTTLS/STLS before credentials */
	SETTINGS_TLS_NONE,     /* plain HTTP: redirects to HTTPS */
};

struct settings_endpoint {
	const char *srv_name; /* RFC 6186/6764 service label: "imaps" */
	enum settings_proto proto;
	enum settings_tls tls;
	unsigned port; /* 0: off */
};

#define SETTINGS_ENDPOINT_COUNT 8

/* Fills out with every client-facing service of s, in this order:
 * submissions, submission, imaps, imap, pop3s, pop3, https, http; a
 * service that is off has port 0. Returns SETTINGS_ENDPOINT_COUNT. */
size_t settings_endpoint_list(const struct postroom_settings *s,
                              struct settings_endpoint out[]);
/* The first endpoint of proto that is on (implicit TLS before STARTTLS,
 * TLS before plain), or NULL when none is. list is from
 * settings_endpoint_list. */
const struct settings_endpoint *
settings_endpoint_best(const struct settings_endpoint list[],
                       enum settings_proto proto);

#endif
