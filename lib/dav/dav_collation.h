/* Text matching for CalDAV and CardDAV queries (RFC 4791 §7.5, §9.7.5;
 * RFC 6352 §8.3, §10.5.4) under the collations of RFC 4790: i;octet (the
 * bytes), i;ascii-casemap (§9.2: ASCII letters folded) and
 * i;unicode-casemap (RFC 5051: letters folded to one case, then compared).
 * XXX i;unicode-casemap folds case with a table of simple case mappings
 * (Latin, Greek, Cyrillic, Armenian, Georgian, fullwidth Latin) but does
 * not decompose (NFKD), so a precomposed letter and the same letter
 * written with a combining mark do not compare equal. */
#ifndef DAV_DAV_COLLATION_H
#define DAV_DAV_COLLATION_H

#include <stdbool.h>

struct buf;

enum dav_collation {
	DAV_COLLATION_ASCII_CASEMAP, /* the default of both RFCs */
	DAV_COLLATION_OCTET,
	DAV_COLLATION_UNICODE_CASEMAP,
};

enum dav_match_type {
	DAV_MATCH_CONTAINS, /* the default */
	DAV_MATCH_EQUALS,
	DAV_MATCH_STARTS_WITH,
	DAV_MATCH_ENDS_WITH,
};

/* name NULL gives the default. Returns 0 with *collation_r, or -1 for a
 * collation this server does not support (CALDAV:supported-collation,
 * CARDDAV:supported-collation). */
int dav_collation_parse(const char *name, enum dav_collation *collation_r);
/* name NULL gives contains. Returns 0 or -1 (400). */
int dav_match_type_parse(const char *name, enum dav_match_type *type_r);
/* Does haystack match needle (both UTF-8) by type under collation? An
 * empty needle matches everything but for equals. */
bool dav_collation_match(enum dav_collation collation, enum dav_match_type type,
                         const char *needle, const char *haystack);
/* Appends str folded under collation (what the comparison compares). */
void dav_collation_fold(enum dav_collation collation, const char *str,
                        struct buf *out);

#endif
