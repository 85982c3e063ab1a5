/* The live properties Postroom knows (RFC 4918 §15, RFC 5397, RFC 3744
 * §5.4 and §5.8 (current-user-privilege-set, principal-collection-set),
 * RFC 6578 §4, RFC 4791 §5.2 and §6.2, RFC 6352 §6.2 and §7.1, RFC 6638
 * §2.1-§2.4 (the schedule inbox and outbox, the user type), and the
 * CalendarServer getctag and Apple calendar-color/-order extensions that
 * clients look for): their names, the kinds of resource that have them,
 * which come with allprop, and which a client may change (the others are
 * protected: PROPPATCH gets 403 DAV:cannot-modify-protected-property). Any
 * other property a client sets is a dead one, stored as it came. */
#ifndef DAV_DAV_PROP_H
#define DAV_DAV_PROP_H

#include <stdbool.h>
#include <stddef.h>

/* Kinds of resource under /dav/ (bits). */
enum dav_resource {
	DAV_RES_ROOT = 1 << 0,        /* /dav/ and the home parents */
	DAV_RES_PRINCIPAL = 1 << 1,   /* /dav/principals/<user>/ */
	DAV_RES_HOME = 1 << 2,        /* calendar or address book home */
	DAV_RES_CALENDAR = 1 << 3,    /* a calendar collection */
	DAV_RES_ADDRESSBOOK = 1 << 4, /* an address book collection */
	DAV_RES_CAL_OBJECT = 1 << 5,  /* a calendar object resource */
	DAV_RES_CARD = 1 << 6,        /* an address object resource */
};
#define DAV_RES_COLLECTIONS                                                    \
	(DAV_RES_ROOT | DAV_RES_PRINCIPAL | DAV_RES_HOME | DAV_RES_CALENDAR |  \
	 DAV_RES_ADDRESSBOOK)
#define DAV_RES_OBJECTS (DAV_RES_CAL_OBJECT | DAV_RES_CARD)
#define DAV_RES_ANY (DAV_RES_COLLECTIONS | DAV_RES_OBJECTS)

enum dav_prop_id {
	DAV_PROP_RESOURCETYPE = 1,
	DAV_PROP_DISPLAYNAME,
	DAV_PROP_GETETAG,
	DAV_PROP_GETCONTENTTYPE,
	DAV_PROP_GETCONTENTLENGTH,
	DAV_PROP_GETLASTMODIFIED,
	DAV_PROP_SUPPORTED_REPORT_SET,
	DAV_PROP_CURRENT_USER_PRINCIPAL,
	DAV_PROP_PRINCIPAL_URL,
	DAV_PROP_PRINCIPAL_COLLECTION_SET,
	DAV_PROP_OWNER,
	DAV_PROP_CURRENT_USER_PRIVILEGE_SET,
	DAV_PROP_SYNC_TOKEN,
	DAV_PROP_CALENDAR_HOME_SET,
	DAV_PROP_CALENDAR_USER_ADDRESS_SET,
	DAV_PROP_CALENDAR_DESCRIPTION,
	DAV_PROP_CALENDAR_TIMEZONE,
	DAV_PROP_SUPPORTED_CALENDAR_COMPONENT_SET,
	DAV_PROP_SUPPORTED_CALENDAR_DATA,
	DAV_PROP_MAX_RESOURCE_SIZE_CAL,
	DAV_PROP_CALENDAR_DATA,
	DAV_PROP_ADDRESSBOOK_HOME_SET,
	DAV_PROP_ADDRESSBOOK_DESCRIPTION,
	DAV_PROP_SUPPORTED_ADDRESS_DATA,
	DAV_PROP_MAX_RESOURCE_SIZE_CARD,
	DAV_PROP_ADDRESS_DATA,
	DAV_PROP_GETCTAG,
	DAV_PROP_CALENDAR_COLOR,
	DAV_PROP_CALENDAR_ORDER,
	DAV_PROP_SCHEDULE_INBOX_URL,
	DAV_PROP_SCHEDULE_OUTBOX_URL,
	DAV_PROP_CALENDAR_USER_TYPE,
	DAV_PROP_SCHEDULE_DEFAULT_CALENDAR_URL,
};

enum dav_prop_flags {
	DAV_PROP_ALLPROP = 1 << 0,  /* returned for allprop (§9.1) */
	DAV_PROP_WRITABLE = 1 << 1, /* PROPPATCH may set or remove it */
};

struct dav_prop_def {
	const char *ns, *name;
	enum dav_prop_id id;
	unsigned resources; /* enum dav_resource bits that have it */
	unsigned flags;     /* enum dav_prop_flags */
};

/* The definition of ns:name, or NULL for a dead (or unknown) one. */
const struct dav_prop_def *dav_prop_find(const char *ns, const char *name);
/* Every definition, for allprop and propname. */
const struct dav_prop_def *dav_prop_table(size_t *count_r);

#endif
