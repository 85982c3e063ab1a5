/* The client-facing services of the settings (settings_endpoint.h). */
#include "config/settings_endpoint.h"
#include "config/settings.h"

#include <string.h>

size_t settings_endpoint_list(const struct postroom_settings *s,
                              struct settings_endpoint out[])
{
	const struct settings_endpoint all[SETTINGS_ENDPOINT_COUNT] = {
	    {"submissions", SETTINGS_PROTO_SUBMISSION, SETTINGS_TLS_IMPLICIT,
	     s->smtpd.submissions_port},
	    {"submission", SETTINGS_PROTO_SUBMISSION, SETTINGS_TLS_STARTTLS,
	     s->smtpd.submission_port},
	    {"imaps", SETTINGS_PROTO_IMAP, SETTINGS_TLS_IMPLICIT,
	     s->imapd.imaps_port},
	    {"imap", SETTINGS_PROTO_IMAP, SETTINGS_TLS_STARTTLS, s->imapd.port},
	    {"pop3s", SETTINGS_PROTO_POP3, SETTINGS_TLS_IMPLICIT,
	     s->pop3d.pop3s_port},
	    {"pop3", SETTINGS_PROTO_POP3, SETTINGS_TLS_STARTTLS, s->pop3d.port},
	    {"https", SETTINGS_PROTO_HTTP, SETTINGS_TLS_IMPLICIT,
	     s->httpd.https_port},
	    {"http", SETTINGS_PROTO_HTTP, SETTINGS_TLS_NONE, s->httpd.port},
	};
	memcpy(out, all, sizeof(all));
	return SETTINGS_ENDPOINT_COUNT;
}

const struct settings_endpoint *
settings_endpoint_best(const struct settings_endpoint list[],
                       enum settings_proto proto)
{
	for (size_t i = 0; i < SETTINGS_ENDPOINT_COUNT; i++) {
		if (list[i].proto == proto && list[i].port != 0)
			return &list[i];
	}
	return NULL;
}
