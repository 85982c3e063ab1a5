/* The table of live properties (dav_prop.h). */
#include "dav/dav_prop.h"
#include "dav/dav_xml.h"

#include <string.h>

#define CAL DAV_RES_CALENDAR
#define BOOK DAV_RES_ADDRESSBOOK
#define ALL DAV_PROP_ALLPROP
#define RW DAV_PROP_WRITABLE

static const struct dav_prop_def defs[] = {
    {DAV_NS, "resourcetype", DAV_PROP_RESOURCETYPE, DAV_RES_ANY, ALL},
    {DAV_NS, "displayname", DAV_PROP_DISPLAYNAME,
     DAV_RES_PRINCIPAL | CAL | BOOK, ALL | RW},
    {DAV_NS, "getetag", DAV_PROP_GETETAG, DAV_RES_OBJECTS, ALL},
    {DAV_NS, "getcontenttype", DAV_PROP_GETCONTENTTYPE, DAV_RES_OBJECTS, ALL},
    {DAV_NS, "getcontentlength", DAV_PROP_GETCONTENTLENGTH, DAV_RES_OBJECTS,
     ALL},
    {DAV_NS, "getlastmodified", DAV_PROP_GETLASTMODIFIED, DAV_RES_OBJECTS, ALL},
    {DAV_NS, "supported-report-set", DAV_PROP_SUPPORTED_REPORT_SET, DAV_RES_ANY,
     0},
    {DAV_NS, "current-user-principal", DAV_PROP_CURRENT_USER_PRINCIPAL,
     DAV_RES_ANY, 0},
    {DAV_NS, "principal-URL", DAV_PROP_PRINCIPAL_URL, DAV_RES_PRINCIPAL, 0},
    {DAV_NS, "principal-collection-set", DAV_PROP_PRINCIPAL_COLLECTION_SET,
     DAV_RES_ANY, 0},
    {DAV_NS, "owner", DAV_PROP_OWNER,
     DAV_RES_PRINCIPAL | DAV_RES_HOME | CAL | BOOK, 0},
    {DAV_NS, "current-user-privilege-set", DAV_PROP_CURRENT_USER_PRIVILEGE_SET,
     DAV_RES_ANY, 0},
    {DAV_NS, "sync-token", DAV_PROP_SYNC_TOKEN, CAL | BOOK, 0},
    {DAV_NS_CALDAV, "calendar-home-set", DAV_PROP_CALENDAR_HOME_SET,
     DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CALDAV, "calendar-user-address-set",
     DAV_PROP_CALENDAR_USER_ADDRESS_SET, DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CALDAV, "calendar-description", DAV_PROP_CALENDAR_DESCRIPTION, CAL,
     RW},
    {DAV_NS_CALDAV, "calendar-timezone", DAV_PROP_CALENDAR_TIMEZONE, CAL, RW},
    {DAV_NS_CALDAV, "supported-calendar-component-set",
     DAV_PROP_SUPPORTED_CALENDAR_COMPONENT_SET, CAL, 0},
    {DAV_NS_CALDAV, "supported-calendar-data", DAV_PROP_SUPPORTED_CALENDAR_DATA,
     CAL, 0},
    {DAV_NS_CALDAV, "max-resource-size", DAV_PROP_MAX_RESOURCE_SIZE_CAL, CAL,
     0},
    {DAV_NS_CALDAV, "calendar-data", DAV_PROP_CALENDAR_DATA, DAV_RES_CAL_OBJECT,
     0},
    {DAV_NS_CARDDAV, "addressbook-home-set", DAV_PROP_ADDRESSBOOK_HOME_SET,
     DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CARDDAV, "addressbook-description",
     DAV_PROP_ADDRESSBOOK_DESCRIPTION, BOOK, RW},
    {DAV_NS_CARDDAV, "supported-address-data", DAV_PROP_SUPPORTED_ADDRESS_DATA,
     BOOK, 0},
    {DAV_NS_CARDDAV, "max-resource-size", DAV_PROP_MAX_RESOURCE_SIZE_CARD, BOOK,
     0},
    {DAV_NS_CARDDAV, "address-data", DAV_PROP_ADDRESS_DATA, DAV_RES_CARD, 0},
    {DAV_NS_CS, "getctag", DAV_PROP_GETCTAG, CAL | BOOK, 0},
    {DAV_NS_APPLE, "calendar-color", DAV_PROP_CALENDAR_COLOR, CAL, RW},
    {DAV_NS_APPLE, "calendar-order", DAV_PROP_CALENDAR_ORDER, CAL, RW},
    {DAV_NS_CALDAV, "schedule-inbox-URL", DAV_PROP_SCHEDULE_INBOX_URL,
     DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CALDAV, "schedule-outbox-URL", DAV_PROP_SCHEDULE_OUTBOX_URL,
     DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CALDAV, "calendar-user-type", DAV_PROP_CALENDAR_USER_TYPE,
     DAV_RES_PRINCIPAL, 0},
    {DAV_NS_CALDAV, "schedule-default-calendar-URL",
     DAV_PROP_SCHEDULE_DEFAULT_CALENDAR_URL, CAL, 0},
};

const struct dav_prop_def *dav_prop_find(const char *ns, const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(*defs); i++) {
		if (strcmp(defs[i].name, name) == 0 &&
		    strcmp(defs[i].ns, ns) == 0)
			return &defs[i];
	}
	return NULL;
}

const struct dav_prop_def *dav_prop_table(size_t *count_r)
{
	*count_r = sizeof(defs) / sizeof(*defs);
	return defs;
}
