/* RFC 5322 §3.4 address lists as IMAP's ENVELOPE wants them (RFC 9051
 * §7.5.2): a flat list of (name adl mailbox host), where a group is a start
 * marker (mailbox = group name, host NULL) and an end marker (both NULL).
 * Parsing is forgiving: obsolete forms (RFC 5322 §4.4), missing '>',
 * unbalanced quotes and comments all still give a list. */
#ifndef MIME_MIME_ADDRESS_H
#define MIME_MIME_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

struct mime_address {
	struct mime_address *next;
	const char *name;  /* display name, raw (encoded words kept), or NULL */
	const char *route; /* obsolete source route "@a,@b", or NULL */
	const char *mailbox; /* local part; group name at a group start */
	const char *host;    /* domain; NULL for group markers */
	bool is_group_start, is_group_end;
};

/* address-list = (address *("," address)) / obs-addr-list
 * address      = mailbox / group
 * mailbox      = name-addr / addr-spec
 * group        = display-name ":" [group-list] ";" [CFWS]
 * Parses value (len bytes, an unfolded or raw field body). Returns 1 with
 * a list from pool in *list_r, 0 if it held no address (*list_r NULL).
 * As in Dovecot, a missing or empty domain is "MISSING_DOMAIN", an empty
 * local part "MISSING_MAILBOX" ("<>", "@example.com"), a display name with
 * no address ("Two Words") gets both, and a comment names an address
 * without a display name ("a@b (Ann)"). Empty list members (",,") are
 * skipped (RFC 5322 §4.4 obs-addr-list). */
int mime_address_parse(const unsigned char *value, size_t len,
                       struct pool *pool, struct mime_address **list_r);

#endif
