/* MTA-STS (RFC 8461) and the TLS-RPT record (RFC 8460 §3): the policy a
 * domain serves at https://mta-sts.<domain>/.well-known/mta-sts.txt
 * (§3.2), its announcement in the TXT record _mta-sts.<domain> (§3.1),
 * the MX host patterns of §4.1, and the _smtp._tls.<domain> record that
 * says where TLS reports go. Parsers of what other domains publish, and
 * the writers of what ours publish; fetching and caching are relay's. */
#ifndef MAILAUTH_MTA_STS_H
#define MAILAUTH_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;

/* the largest policy body a sender reads (§3.3 suggests 64 KiB) */
#define MTA_STS_POLICY_MAX (64 * 1024)
#define MTA_STS_MX_MAX 32            /* mx: lines kept */
#define MTA_STS_MAX_AGE_MAX 31557600 /* §3.2: a year */

enum mta_sts_mode { MTA_STS_NONE, MTA_STS_TESTING, MTA_STS_ENFORCE };

/* "none", "testing", "enforce" */
const char *mta_sts_mode_name(enum mta_sts_mode mode);

struct mta_sts_policy {
	enum mta_sts_mode mode;
	unsigned max_age; /* seconds */
	const char *mx[MTA_STS_MX_MAX];
	size_t mx_count;
};

/* sts-policy-record = sts-policy-field *( sts-policy-term sts-policy-field )
 *                     [ sts-policy-term ]
 * sts-policy-field  = sts-policy-version / sts-policy-mode /
 *                     sts-policy-max-age / sts-policy-mx /
 *                     sts-policy-extension     (RFC 8461 §3.2)
 * Parses the policy text[0..len) (LF or CRLF lines). Returns 0 with
 * *policy_r (strings from pool), or -1 with a static reason: no
 * "version: STSv1", a missing or bad mode or max_age, an mx: that is not
 * a host name or "*." one, no mx: unless mode is none, a NUL, longer than
 * MTA_STS_POLICY_MAX. Unknown fields are ignored; repeated ones other
 * than mx: are an error. */
int mta_sts_policy_parse(const char *text, size_t len, struct pool *pool,
                         struct mta_sts_policy *policy_r, const char **error_r);
/* Our own policy from the settings: mode "none", "testing" or "enforce"
 * ("off": none is published), the mx: patterns of mx_list ("a.example,
 * *.example.net") or else the host name, max_age. Returns 1 with
 * *policy_r (strings from pool), 0 when mode is "off", or -1 with a
 * static reason (an unknown mode, a bad pattern). */
int mta_sts_policy_from(const char *mode, const char *mx_list,
                        const char *hostname, unsigned max_age,
                        struct pool *pool, struct mta_sts_policy *policy_r,
                        const char **error_r);
/* Appends the policy's text (CRLF lines, version first). */
void mta_sts_policy_write(const struct mta_sts_policy *policy, struct buf *out);
/* The id of the policy text[0..len) for its TXT record: 20 hex digits of
 * its SHA-256, so it changes whenever the policy does. */
void mta_sts_policy_id(const char *text, size_t len, char id[21]);

/* Does host (an MX host name, final dot allowed) match pattern: equal,
 * or "*.rest" with one label before rest (§4.1)? Case-insensitive. */
bool mta_sts_mx_match(const char *pattern, const char *host);
/* Does host match one of the policy's mx: patterns? */
bool mta_sts_policy_allows(const struct mta_sts_policy *policy,
                           const char *host);

/* sts-text-record = sts-version 1*( sts-field-delim sts-field )
 *                   [ sts-field-delim ]
 * sts-version = %s"v=STSv1"; sts-id = %s"id=" 1*32( ALPHA / DIGIT )
 * Is txt[0..len) a record of this kind ("v=STSv1" first)? */
bool mta_sts_txt_is_sts(const char *txt, size_t len);
/* Parses an _mta-sts TXT record (§3.1). Returns 0 with its id (NUL-
 * terminated) in id_r, or -1 with a static reason. */
int mta_sts_txt_parse(const char *txt, size_t len, char id_r[33],
                      const char **error_r);

/* tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 * tlsrpt-version = %s"v=TLSRPTv1"; tlsrpt-rua = %s"rua=" tlsrpt-uri
 *                  *(*WSP "," *WSP tlsrpt-uri)       (RFC 8460 §3)
 * Parses a _smtp._tls TXT record. Returns 0 with the rua= value (from
 * pool) in *rua_r, or -1 with a static reason (another version, no rua=,
 * a NUL). */
int tlsrpt_txt_parse(const char *txt, size_t len, struct pool *pool,
                     const char **rua_r, const char **error_r);

#endif
