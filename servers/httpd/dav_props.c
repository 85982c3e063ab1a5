/* Property values of /dav/ resources (dav_prop.h has the names): live
 * properties from the target's kind, its collection and member, dead ones
 * from the store, and calendar-data / address-data with partial
 * retrieval (RFC 4791 §9.6, RFC 6352 §10.4). A property a resource does
 * not have goes into a 404 propstat (RFC 4918 §9.1). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_partial.h"
#include "dav/vcard.h"
#include "dav/vcard_query.h"
#include "dav_server.h"
#include "http/http_date.h"
#include "httpd.h"

#include <inttypes.h>
#include <string.h>

static void href_prop(struct buf *out, const char *ns, const char *name,
                      const char *path)
{
	dav_write_open(out, ns, name);
	dav_write_href(out, path);
	dav_write_close(out, ns, name);
}

static void resourcetype_write(const struct dav_item *res, struct buf *out)
{
	if ((res->kind & DAV_RES_OBJECTS) != 0) {
		dav_write_empty(out, DAV_NS, "resourcetype");
		return;
	}
	dav_write_open(out, DAV_NS, "resourcetype");
	dav_write_empty(out, DAV_NS, "collection");
	if (res->kind == DAV_RES_PRINCIPAL)
		dav_write_empty(out, DAV_NS, "principal");
	else if (res->kind == DAV_RES_CALENDAR && res->coll != NULL &&
	         res->coll->kind == STORE_DAV_SCHEDULE_INBOX)
		dav_write_empty(out, DAV_NS_CALDAV, "schedule-inbox");
	else if (res->kind == DAV_RES_CALENDAR && res->coll != NULL &&
	         res->coll->kind == STORE_DAV_SCHEDULE_OUTBOX)
		dav_write_empty(out, DAV_NS_CALDAV, "schedule-outbox");
	else if (res->kind == DAV_RES_CALENDAR)
		dav_write_empty(out, DAV_NS_CALDAV, "calendar");
	else if (res->kind == DAV_RES_ADDRESSBOOK)
		dav_write_empty(out, DAV_NS_CARDDAV, "addressbook");
	dav_write_close(out, DAV_NS, "resourcetype");
}

static void report_write(struct buf *out, const char *ns, const char *name)
{
	buf_append_str(out, "<D:supported-report><D:report>");
	dav_write_empty(out, ns, name);
	buf_append_str(out, "</D:report></D:supported-report>");
}

static void reports_write(const struct dav_item *res, struct buf *out)
{
	unsigned box = res->coll != NULL ? res->coll->kind : 0;
	dav_write_open(out, DAV_NS, "supported-report-set");
	if (box == STORE_DAV_SCHEDULE_INBOX) {
		report_write(out, DAV_NS_CALDAV, "calendar-query");
		report_write(out, DAV_NS_CALDAV, "calendar-multiget");
	} else if (res->kind == DAV_RES_CALENDAR &&
	           box != STORE_DAV_SCHEDULE_OUTBOX) {
		report_write(out, DAV_NS_CALDAV, "calendar-query");
		report_write(out, DAV_NS_CALDAV, "calendar-multiget");
		report_write(out, DAV_NS_CALDAV, "free-busy-query");
	} else if (res->kind == DAV_RES_ADDRESSBOOK) {
		report_write(out, DAV_NS_CARDDAV, "addressbook-query");
		report_write(out, DAV_NS_CARDDAV, "addressbook-multiget");
	}
	if (res->kind == DAV_RES_CALENDAR || res->kind == DAV_RES_ADDRESSBOOK)
		report_write(out, DAV_NS, "sync-collection");
	dav_write_close(out, DAV_NS, "supported-report-set");
}

/* RFC 3744 §5.4: what the user may do here. */
static void privileges_write(const struct dav_item *res, struct buf *out)
{
	static const char *const read[] = {"read",
	                                   "read-current-user-privilege-set"};
	static const char *const write[] = {"write", "write-properties",
	                                    "write-content", "bind", "unbind"};
	dav_write_open(out, DAV_NS, "current-user-privilege-set");
	for (size_t i = 0; i < 2; i++) {
		buf_append_str(out, "<D:privilege>");
		dav_write_empty(out, DAV_NS, read[i]);
		buf_append_str(out, "</D:privilege>");
	}
	if (res->kind == DAV_RES_CALENDAR) {
		buf_append_str(out, "<D:privilege>");
		dav_write_empty(out, DAV_NS_CALDAV, "read-free-busy");
		buf_append_str(out, "</D:privilege>");
	}
	for (size_t i = 0; i < 5 && res->access >= STORE_DAV_ACCESS_READ_WRITE;
	     i++) {
		buf_append_str(out, "<D:privilege>");
		dav_write_empty(out, DAV_NS, write[i]);
		buf_append_str(out, "</D:privilege>");
	}
	if (res->access == STORE_DAV_ACCESS_OWNER)
		buf_append_str(out, "<D:privilege><D:all/></D:privilege>");
	dav_write_close(out, DAV_NS, "current-user-privilege-set");
}

static void components_write(const struct store_dav_collection *coll,
                             struct buf *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} comps[] = {{STORE_DAV_COMP_VEVENT, "VEVENT"},
	             {STORE_DAV_COMP_VTODO, "VTODO"},
	             {STORE_DAV_COMP_VJOURNAL, "VJOURNAL"},
	             {STORE_DAV_COMP_VFREEBUSY, "VFREEBUSY"}};
	dav_write_open(out, DAV_NS_CALDAV, "supported-calendar-component-set");
	for (size_t i = 0; i < sizeof(comps) / sizeof(*comps); i++) {
		if (coll->components & comps[i].bit)
			buf_printf(out, "<C:comp name=\"%s\"/>", comps[i].name);
	}
	dav_write_close(out, DAV_NS_CALDAV, "supported-calendar-component-set");
}

/* Loads the member's bytes when the row came without them. */
static const unsigned char *object_data(struct dav_request *d,
                                        const struct dav_item *res)
{
	if (res->obj->data != NULL)
		return res->obj->data;
	struct store_dav_object full;
	struct store_account *account =
	    res->account != NULL ? res->account : d->account;
	if (account == NULL ||
	    store_dav_object_get(account, res->obj->collection_id,
	                         res->obj->name, true, d->pool, &full) != 1)
		return NULL;
	return full.data;
}

/* calendar-data: the stored bytes, or the part or expansion node asks
 * for (checked by the caller before the answer began). */
static bool calendar_data_write(struct dav_request *d,
                                const struct dav_item *res,
                                const struct dav_xml_node *node,
                                struct buf *out)
{
	const unsigned char *data = object_data(d, res);
	struct ical_partial *partial = NULL;
	const char *error;
	if (data == NULL)
		return false;
	if (node == NULL ||
	    ical_partial_from_xml(node, d->pool, &partial, &error) <= 0) {
		dav_write_text_prop(out, DAV_NS_CALDAV, "calendar-data",
		                    (const char *)data);
		return true;
	}
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = true; /* the schedule inbox holds iTIP messages */
	struct ical_object *obj;
	if (ical_object_parse(data, res->obj->size, &set, d->pool, &obj,
	                      &error) < 0)
		return false;
	struct ical_tz *tz = dav_collection_tz(res->coll);
	struct buf text;
	buf_init(&text);
	ical_partial_write(obj, partial, tz, &text);
	dav_write_text_prop(out, DAV_NS_CALDAV, "calendar-data", text.data);
	buf_deinit(&text);
	ical_tz_free(&tz);
	ical_object_free(&obj);
	return true;
}

/* address-data: the stored card, only some properties, or as 4.0. */
static bool address_data_write(struct dav_request *d,
                               const struct dav_item *res,
                               const struct dav_xml_node *node, struct buf *out)
{
	const unsigned char *data = object_data(d, res);
	if (data == NULL)
		return false;
	const char **names = NULL;
	size_t count = 0;
	const char *version =
	    node != NULL ? dav_xml_attr(node, "version") : NULL;
	if (node != NULL)
		vcard_query_props_from_xml(node, d->pool, &names, &count);
	bool to_4 = version != NULL && strcmp(version, "4.0") == 0;
	if (count == 0 && !to_4) {
		dav_write_text_prop(out, DAV_NS_CARDDAV, "address-data",
		                    (const char *)data);
		return true;
	}
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	const char *error;
	if (vcard_parse_resource(data, res->obj->size, &set, d->pool, &card,
	                         &error) < 0)
		return false;
	struct buf text;
	buf_init(&text);
	if (count > 0)
		vcard_query_partial(card, names, count, &text);
	else
		vcard_write(card, &text);
	dav_write_text_prop(out, DAV_NS_CARDDAV, "address-data", text.data);
	buf_deinit(&text);
	return true;
}

static bool object_live(struct dav_request *d, const struct dav_item *res,
                        enum dav_prop_id id, const struct dav_xml_node *node,
                        struct buf *out)
{
	const struct store_dav_object *o = res->obj;
	char date[HTTP_DATE_LEN + 1];
	switch (id) {
	case DAV_PROP_GETETAG:
		dav_write_text_prop(out, DAV_NS, "getetag", o->etag);
		return true;
	case DAV_PROP_GETCONTENTTYPE:
		dav_write_text_prop(out, DAV_NS, "getcontenttype",
		                    o->content_type);
		return true;
	case DAV_PROP_GETCONTENTLENGTH:
		buf_printf(
		    out, "<D:getcontentlength>%" PRIu64 "</D:getcontentlength>",
		    o->size);
		return true;
	case DAV_PROP_GETLASTMODIFIED:
		http_date_format(o->updated, date);
		dav_write_text_prop(out, DAV_NS, "getlastmodified", date);
		return true;
	case DAV_PROP_CALENDAR_DATA:
		return calendar_data_write(d, res, node, out);
	case DAV_PROP_ADDRESS_DATA:
		return address_data_write(d, res, node, out);
	default:
		return false;
	}
}

/* What a collection takes: components, data types, size. */
static bool collection_limits_write(const struct store_dav_collection *c,
                                    enum dav_prop_id id, struct buf *out)
{
	switch (id) {
	case DAV_PROP_SUPPORTED_CALENDAR_COMPONENT_SET:
		components_write(c, out);
		return true;
	case DAV_PROP_SUPPORTED_CALENDAR_DATA:
		buf_append_str(
		    out, "<C:supported-calendar-data><C:calendar-data"
		         " content-type=\"text/calendar\""
		         " version=\"2.0\"/></C:supported-calendar-data>");
		return true;
	case DAV_PROP_SUPPORTED_ADDRESS_DATA:
		buf_append_str(
		    out, "<CR:supported-address-data>"
		         "<CR:address-data-type content-type=\"text/vcard\""
		         " version=\"3.0\"/><CR:address-data-type"
		         " content-type=\"text/vcard\" version=\"4.0\"/>"
		         "</CR:supported-address-data>");
		return true;
	case DAV_PROP_MAX_RESOURCE_SIZE_CAL:
	case DAV_PROP_MAX_RESOURCE_SIZE_CARD:
		buf_printf(out,
		           "<%s:max-resource-size>%" PRIu64
		           "</%s:max-resource-size>",
		           id == DAV_PROP_MAX_RESOURCE_SIZE_CAL ? "C" : "CR",
		           c->max_resource_size,
		           id == DAV_PROP_MAX_RESOURCE_SIZE_CAL ? "C" : "CR");
		return true;
	default:
		return false;
	}
}

static bool collection_live(struct dav_request *d, const struct dav_item *res,
                            enum dav_prop_id id, struct buf *out)
{
	const struct store_dav_collection *c = res->coll;
	switch (id) {
	case DAV_PROP_DISPLAYNAME:
		dav_write_text_prop(out, DAV_NS, "displayname",
		                    c->displayname[0] != '\0' ? c->displayname
		                                              : c->name);
		return true;
	case DAV_PROP_SYNC_TOKEN:
	case DAV_PROP_GETCTAG:
		dav_write_text_prop(
		    out, id == DAV_PROP_GETCTAG ? DAV_NS_CS : DAV_NS,
		    id == DAV_PROP_GETCTAG ? "getctag" : "sync-token",
		    dav_token_sync(d->pool, c->id, c->modseq));
		return true;
	case DAV_PROP_CALENDAR_DESCRIPTION:
	case DAV_PROP_ADDRESSBOOK_DESCRIPTION:
		if (c->description[0] == '\0')
			return false;
		dav_write_text_prop(out,
		                    id == DAV_PROP_CALENDAR_DESCRIPTION
		                        ? DAV_NS_CALDAV
		                        : DAV_NS_CARDDAV,
		                    id == DAV_PROP_CALENDAR_DESCRIPTION
		                        ? "calendar-description"
		                        : "addressbook-description",
		                    c->description);
		return true;
	case DAV_PROP_CALENDAR_TIMEZONE:
		if (c->timezone[0] == '\0')
			return false;
		dav_write_text_prop(out, DAV_NS_CALDAV, "calendar-timezone",
		                    c->timezone);
		return true;
	case DAV_PROP_CALENDAR_COLOR:
		if (c->color[0] == '\0')
			return false;
		dav_write_text_prop(out, DAV_NS_APPLE, "calendar-color",
		                    c->color);
		return true;
	case DAV_PROP_CALENDAR_ORDER:
		buf_printf(out,
		           "<A:calendar-order>%" PRId64 "</A:calendar-order>",
		           c->sort_order);
		return true;
	default:
		return collection_limits_write(c, id, out);
	}
}

/* Appends the value of a live property of res. Returns false when res
 * does not have it. */
static bool live_write(struct dav_request *d, const struct dav_item *res,
                       const struct dav_prop_def *def,
                       const struct dav_xml_node *node, struct buf *out)
{
	if ((def->resources & res->kind) == 0)
		return false;
	const char *owner = res->owner;
	switch (def->id) {
	case DAV_PROP_RESOURCETYPE:
		resourcetype_write(res, out);
		return true;
	case DAV_PROP_SUPPORTED_REPORT_SET:
		reports_write(res, out);
		return true;
	case DAV_PROP_CURRENT_USER_PRINCIPAL:
		href_prop(out, DAV_NS, "current-user-principal",
		          dav_path_principal(d->pool, d->user));
		return true;
	case DAV_PROP_PRINCIPAL_COLLECTION_SET:
		href_prop(out, DAV_NS, "principal-collection-set",
		          "/dav/principals/");
		return true;
	case DAV_PROP_CURRENT_USER_PRIVILEGE_SET:
		privileges_write(res, out);
		return true;
	default:
		break;
	}
	switch (owner != NULL ? def->id : 0) {
	case DAV_PROP_PRINCIPAL_URL:
	case DAV_PROP_OWNER:
		href_prop(out, DAV_NS, def->name,
		          dav_path_principal(d->pool, owner));
		return true;
	case DAV_PROP_CALENDAR_HOME_SET:
	case DAV_PROP_ADDRESSBOOK_HOME_SET:
		href_prop(out, def->ns, def->name,
		          dav_path_home(d->pool,
		                        def->id == DAV_PROP_CALENDAR_HOME_SET
		                            ? STORE_DAV_CALENDAR
		                            : STORE_DAV_ADDRESSBOOK,
		                        owner));
		return true;
	case DAV_PROP_CALENDAR_USER_ADDRESS_SET:
		href_prop(out, def->ns, def->name,
		          pool_printf(d->pool, "mailto:%s", owner));
		return true;
	case DAV_PROP_SCHEDULE_INBOX_URL:
	case DAV_PROP_SCHEDULE_OUTBOX_URL:
		href_prop(
		    out, def->ns, def->name,
		    dav_path_collection(d->pool, STORE_DAV_CALENDAR, owner,
		                        def->id == DAV_PROP_SCHEDULE_INBOX_URL
		                            ? DAV_INBOX_NAME
		                            : DAV_OUTBOX_NAME));
		return true;
	case DAV_PROP_CALENDAR_USER_TYPE:
		dav_write_text_prop(out, def->ns, def->name, "INDIVIDUAL");
		return true;
	case DAV_PROP_SCHEDULE_DEFAULT_CALENDAR_URL:
		if (res->coll == NULL || res->obj != NULL ||
		    res->coll->kind != STORE_DAV_SCHEDULE_INBOX)
			return false;
		href_prop(out, def->ns, def->name,
		          dav_path_collection(d->pool, STORE_DAV_CALENDAR,
		                              owner, "calendar"));
		return true;
	case DAV_PROP_DISPLAYNAME:
		if (res->kind == DAV_RES_PRINCIPAL) {
			dav_write_text_prop(out, DAV_NS, "displayname", owner);
			return true;
		}
		break;
	default:
		break;
	}
	if (res->obj != NULL && object_live(d, res, def->id, node, out))
		return true;
	return res->coll != NULL && res->obj == NULL &&
	       collection_live(d, res, def->id, out);
}

/* The dead properties of res (none above collections). */
static void dead_props(struct dav_request *d, const struct dav_item *res,
                       struct store_dav_prop **props_r, size_t *count_r)
{
	*count_r = 0;
	*props_r = NULL;
	struct store_account *account =
	    res->account != NULL ? res->account : d->account;
	if (res->coll == NULL || account == NULL)
		return;
	if (store_dav_props(account, res->coll->id,
	                    res->obj != NULL ? res->obj->name : "", d->pool,
	                    props_r, count_r) < 0)
		*count_r = 0;
}

static void one_prop(struct dav_request *d, const struct dav_item *res,
                     const struct dav_propname *p,
                     const struct store_dav_prop *dead, size_t dead_count,
                     struct dav_propstats *ps)
{
	const struct dav_prop_def *def = dav_prop_find(p->ns, p->name);
	struct buf *ok = dav_propstats_group(ps, 200);
	if (def != NULL && live_write(d, res, def, p->node, ok))
		return;
	for (size_t i = 0; def == NULL && i < dead_count; i++) {
		if (strcmp(dead[i].ns, p->ns) == 0 &&
		    strcmp(dead[i].name, p->name) == 0) {
			buf_append_str(ok, dead[i].value);
			return;
		}
	}
	dav_write_empty(dav_propstats_group(ps, 404), p->ns, p->name);
}

void dav_props_response(struct dav_request *d, const struct dav_item *res,
                        const struct dav_propfind *pf, struct buf *out)
{
	struct dav_propstats ps;
	dav_propstats_init(&ps);
	struct store_dav_prop *dead;
	size_t dead_count, count;
	dead_props(d, res, &dead, &dead_count);
	const struct dav_prop_def *defs = dav_prop_table(&count);
	if (pf->kind == DAV_PROPFIND_PROP) {
		for (size_t i = 0; i < pf->count; i++)
			one_prop(d, res, &pf->props[i], dead, dead_count, &ps);
	} else {
		struct buf *ok = dav_propstats_group(&ps, 200);
		bool names = pf->kind == DAV_PROPFIND_PROPNAME;
		for (size_t i = 0; i < count; i++) {
			if ((defs[i].resources & res->kind) == 0)
				continue;
			if (names)
				dav_write_empty(ok, defs[i].ns, defs[i].name);
			else if ((defs[i].flags & DAV_PROP_ALLPROP) != 0)
				(void)live_write(d, res, &defs[i], NULL, ok);
		}
		for (size_t i = 0; i < dead_count; i++) {
			if (names)
				dav_write_empty(ok, dead[i].ns, dead[i].name);
			else
				buf_append_str(ok, dead[i].value);
		}
		/* allprop's include: more live properties by name */
		for (size_t i = 0; !names && i < pf->count; i++) {
			const struct dav_prop_def *def =
			    dav_prop_find(pf->props[i].ns, pf->props[i].name);
			if (def != NULL && (def->flags & DAV_PROP_ALLPROP) == 0)
				one_prop(d, res, &pf->props[i], NULL, 0, &ps);
		}
	}
	dav_write_response_props(out, res->path, &ps);
	dav_propstats_deinit(&ps);
}
