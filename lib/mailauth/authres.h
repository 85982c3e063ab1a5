/* The Authentication-Results header field (RFC 8601): written once per
 * message by the receiving server, and any such field that claims our
 * authserv-id removed from incoming mail before ours is added (§5), so a
 * sender cannot forge our verdict. */
#ifndef MAILAUTH_AUTHRES_H
#define MAILAUTH_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct authres {
	struct buf *out;
	size_t count; /* resinfo written */
};

/* authres-header-field = "Authentication-Results:" authserv-id
 *                        [ CFWS authres-version ] ( no-result / 1*resinfo )
 * CRLF Starts the field in out with authserv_id. */
void authres_begin(struct authres *ar, struct buf *out,
                   const char *authserv_id);
/* resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ] [ 1*( CFWS propspec ) ]
 * Adds "; method=result", a comment "(reason)" when reason is not NULL,
 * then the properties: props[0..2n) as ptype.property and value pairs
 * ("smtp.mailfrom", "example.com"); values not NULL. Untrusted text is
 * written as a quoted-string when it is not a plain token, and control
 * characters are dropped. */
void authres_add(struct authres *ar, const char *method, const char *result,
                 const char *reason, const char *const *props,
                 size_t prop_count);
/* Ends the field ("; none" when nothing was added) with CRLF. */
void authres_end(struct authres *ar);

/* Does the Authentication-Results field value value[0..len) name
 * authserv_id as its authserv-id (case-insensitive, §5)? */
bool authres_claims(const char *value, size_t len, const char *authserv_id);

#endif
