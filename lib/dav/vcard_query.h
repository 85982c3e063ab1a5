/* CardDAV addressbook-query (RFC 6352 §8.6, §10.5): the CARDDAV:filter
 * element made into prop-filters with text-match (collation, match-type,
 * negate-condition), param-filter and is-not-defined, combined by "anyof"
 * or "allof"; matching a vCard (vcard.h); and the partial card that an
 * address-data element with prop names asks for (§10.4.2).
 * A prop-filter holds when some property of its name (any group) passes
 * its tests combined by its own test attribute; text is compared with the
 * value's escapes undone. */
#ifndef DAV_VCARD_QUERY_H
#define DAV_VCARD_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "dav/dav_collation.h"

struct buf;
struct dav_xml_node;
struct pool;
struct vcard;

struct vcard_text_match {
	const char *text;
	enum dav_collation collation;
	enum dav_match_type match_type;
	bool is_negated;
	struct vcard_text_match *next;
};

struct vcard_param_filter {
	const char *name; /* uppercased */
	bool is_not_defined;
	struct vcard_text_match *text_match; /* or NULL */
	struct vcard_param_filter *next;
};

struct vcard_prop_filter {
	const char *name; /* uppercased */
	bool is_not_defined;
	bool is_allof;
	struct vcard_text_match *text_matches;
	struct vcard_param_filter *params;
	struct vcard_prop_filter *next;
};

struct vcard_filter {
	bool is_allof;
	struct vcard_prop_filter *props; /* none: every card matches */
};

/* Reads a CARDDAV:filter element. Returns 0 with *filter_r (from pool),
 * or -1 with *precondition_r ("supported-filter", "supported-collation")
 * and *error_r. */
int vcard_query_from_xml(const struct dav_xml_node *filter, struct pool *pool,
                         struct vcard_filter **filter_r,
                         const char **precondition_r, const char **error_r);
bool vcard_query_match(const struct vcard *card,
                       const struct vcard_filter *filter, struct pool *pool);
/* The property names an address-data element lists (uppercased, from
 * pool), or *count_r 0 when it asks for the whole card (no prop child,
 * or allprop). */
void vcard_query_props_from_xml(const struct dav_xml_node *address_data,
                                struct pool *pool, const char ***names_r,
                                size_t *count_r);
/* Appends card with only BEGIN, VERSION, UID, END and the properties
 * named. */
void vcard_query_partial(const struct vcard *card, const char *const *names,
                         size_t count, struct buf *out);

#endif
