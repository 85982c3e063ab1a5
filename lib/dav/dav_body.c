/* WebDAV, CalDAV, CardDAV and sync-collection request bodies (RFC 4918
 * §14, RFC 5689, RFC 4791 §7-§9, RFC 6352 §8 and §10, RFC 6578 §6); see
 * dav_body.h. */
#include "dav/dav_body.h"
#include "core/pool.h"
#include "dav/dav_header.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_query.h"
#include "dav/vcard_query.h"

#include <stdlib.h>
#include <string.h>

static int fail(struct dav_body_error *err, unsigned status, const char *ns,
                const char *name, const char *text)
{
	err->status = status;
	err->ns = ns;
	err->name = name;
	err->text = text;
	return -1;
}

static size_t children_count(const struct dav_xml_node *node)
{
	size_t n = 0;
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next)
		n++;
	return n;
}

/* The property elements inside <D:prop>, as names. */
static void prop_names(const struct dav_xml_node *prop, struct pool *pool,
                       struct dav_propname **props_r, size_t *count_r)
{
	size_t n = children_count(prop), i = 0;
	struct dav_propname *props = pool_alloc(pool, (n + 1) * sizeof(*props));
	for (const struct dav_xml_node *c = prop->children; c != NULL;
	     c = c->next)
		props[i++] = (struct dav_propname){c->ns, c->name, c};
	*props_r = props;
	*count_r = n;
}

/* propfind = (propname | (allprop, include?) | prop) (§14.20); the same
 * choice inside a REPORT body, where it may also be absent. */
static int propfind_read(const struct dav_xml_node *node, struct pool *pool,
                         struct dav_propfind *pf, bool is_required,
                         struct dav_body_error *err)
{
	const struct dav_xml_node *prop = dav_xml_child(node, DAV_NS, "prop");
	const struct dav_xml_node *all = dav_xml_child(node, DAV_NS, "allprop");
	const struct dav_xml_node *names =
	    dav_xml_child(node, DAV_NS, "propname");
	memset(pf, 0, sizeof(*pf));
	if ((prop != NULL) + (all != NULL) + (names != NULL) > 1)
		return fail(err, 400, NULL, NULL,
		            "prop, allprop and propname are exclusive");
	if (prop != NULL) {
		pf->kind = DAV_PROPFIND_PROP;
		prop_names(prop, pool, &pf->props, &pf->count);
	} else if (names != NULL) {
		pf->kind = DAV_PROPFIND_PROPNAME;
	} else if (all != NULL || !is_required) {
		pf->kind = DAV_PROPFIND_ALLPROP;
		const struct dav_xml_node *inc =
		    dav_xml_child(node, DAV_NS, "include");
		if (inc != NULL)
			prop_names(inc, pool, &pf->props, &pf->count);
	} else {
		return fail(err, 400, NULL, NULL,
		            "propfind needs prop, allprop or propname");
	}
	return 0;
}

int dav_body_propfind(const struct dav_xml_node *root, struct pool *pool,
                      struct dav_propfind *propfind_r,
                      struct dav_body_error *err_r)
{
	if (root == NULL) {
		memset(propfind_r, 0, sizeof(*propfind_r));
		propfind_r->kind = DAV_PROPFIND_ALLPROP;
		return 0;
	}
	if (!dav_xml_is(root, DAV_NS, "propfind"))
		return fail(err_r, 400, NULL, NULL,
		            "PROPFIND body must be DAV:propfind");
	return propfind_read(root, pool, propfind_r, true, err_r);
}

/* Appends the properties of every set/remove child of node. */
static int updates_read(const struct dav_xml_node *node, bool allow_remove,
                        struct pool *pool, struct dav_propupdate **updates_r,
                        size_t *count_r, struct dav_body_error *err)
{
	size_t n = 0;
	for (const struct dav_xml_node *op = node->children; op != NULL;
	     op = op->next) {
		const struct dav_xml_node *prop =
		    dav_xml_child(op, DAV_NS, "prop");
		if (prop != NULL)
			n += children_count(prop);
	}
	struct dav_propupdate *ups = pool_alloc(pool, (n + 1) * sizeof(*ups));
	size_t i = 0;
	for (const struct dav_xml_node *op = node->children; op != NULL;
	     op = op->next) {
		bool is_set = dav_xml_is(op, DAV_NS, "set");
		bool is_remove = dav_xml_is(op, DAV_NS, "remove");
		if (!is_set && !is_remove)
			continue;
		if (is_remove && !allow_remove)
			return fail(err, 400, NULL, NULL,
			            "remove is not allowed here");
		const struct dav_xml_node *prop =
		    dav_xml_child(op, DAV_NS, "prop");
		if (prop == NULL)
			return fail(err, 400, NULL, NULL,
			            "set or remove without prop");
		for (const struct dav_xml_node *c = prop->children; c != NULL;
		     c = c->next) {
			ups[i].is_remove = is_remove;
			ups[i].name = (struct dav_propname){c->ns, c->name, c};
			ups[i].value = c;
			i++;
		}
	}
	*updates_r = ups;
	*count_r = i;
	return 0;
}

int dav_body_propertyupdate(const struct dav_xml_node *root, struct pool *pool,
                            struct dav_propupdate **updates_r, size_t *count_r,
                            struct dav_body_error *err_r)
{
	if (root == NULL || !dav_xml_is(root, DAV_NS, "propertyupdate"))
		return fail(err_r, 400, NULL, NULL,
		            "PROPPATCH body must be DAV:propertyupdate");
	if (updates_read(root, true, pool, updates_r, count_r, err_r) < 0)
		return -1;
	if (*count_r == 0)
		return fail(err_r, 400, NULL, NULL,
		            "propertyupdate changes nothing");
	return 0;
}

int dav_body_mkcol(const struct dav_xml_node *root, struct pool *pool,
                   struct dav_propupdate **updates_r, size_t *count_r,
                   struct dav_body_error *err_r)
{
	*count_r = 0;
	*updates_r = NULL;
	if (root == NULL)
		return 0;
	if (!dav_xml_is(root, DAV_NS, "mkcol") &&
	    !dav_xml_is(root, DAV_NS_CALDAV, "mkcalendar"))
		return fail(err_r, 415, NULL, NULL,
		            "body must be DAV:mkcol or CALDAV:mkcalendar");
	return updates_read(root, false, pool, updates_r, count_r, err_r);
}

static int hrefs_read(const struct dav_xml_node *root, struct pool *pool,
                      struct dav_report *r)
{
	size_t n = 0;
	for (const struct dav_xml_node *c = root->children; c != NULL;
	     c = c->next)
		n += dav_xml_is(c, DAV_NS, "href");
	r->hrefs = pool_alloc(pool, (n + 1) * sizeof(*r->hrefs));
	for (const struct dav_xml_node *c = root->children; c != NULL;
	     c = c->next) {
		if (!dav_xml_is(c, DAV_NS, "href"))
			continue;
		struct dav_href *h = &r->hrefs[r->href_count++];
		h->raw = dav_xml_text_trim(c, pool);
		if (dav_href_to_path(h->raw, pool, &h->path) < 0)
			h->path = NULL;
	}
	return n == 0 ? -1 : 0;
}

/* limit = <nresults>n</nresults> (RFC 5323 §5.17, used by RFC 6352
 * §8.6.1, CARDDAV namespace, and RFC 6578 §6.5, DAV namespace). Returns
 * 0 (no limit element: 0), or -1. */
static int limit_read(const struct dav_xml_node *root, const char *ns,
                      struct pool *pool, uint64_t *limit_r)
{
	*limit_r = 0;
	const struct dav_xml_node *limit = dav_xml_child(root, ns, "limit");
	if (limit == NULL)
		return 0;
	const struct dav_xml_node *n = dav_xml_child(limit, ns, "nresults");
	const char *text = n != NULL ? dav_xml_text_trim(n, pool) : "";
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	unsigned long long v = strtoull(text, &end, 10);
	if (*end != '\0' || v == 0)
		return -1;
	*limit_r = v;
	return 0;
}

static int report_calendar_query(const struct dav_xml_node *root,
                                 struct pool *pool, struct dav_report *r,
                                 struct dav_body_error *err)
{
	const struct dav_xml_node *filter =
	    dav_xml_child(root, DAV_NS_CALDAV, "filter");
	const char *precondition, *text;
	if (filter == NULL)
		return fail(err, 403, DAV_NS_CALDAV, "valid-filter",
		            "calendar-query without filter");
	if (ical_query_from_xml(filter, pool, &r->cal_filter, &precondition,
	                        &text) < 0)
		return fail(err, 403, DAV_NS_CALDAV, precondition, text);
	const struct dav_xml_node *tz =
	    dav_xml_child(root, DAV_NS_CALDAV, "timezone");
	if (tz != NULL)
		r->cal_timezone = pool_strndup(pool, tz->text, tz->text_len);
	return 0;
}

static int report_addressbook_query(const struct dav_xml_node *root,
                                    struct pool *pool, struct dav_report *r,
                                    struct dav_body_error *err)
{
	const struct dav_xml_node *filter =
	    dav_xml_child(root, DAV_NS_CARDDAV, "filter");
	const char *precondition, *text;
	if (filter == NULL)
		return fail(err, 400, NULL, NULL,
		            "addressbook-query without filter");
	if (vcard_query_from_xml(filter, pool, &r->card_filter, &precondition,
	                         &text) < 0)
		return fail(err, 403, DAV_NS_CARDDAV, precondition, text);
	if (limit_read(root, DAV_NS_CARDDAV, pool, &r->limit) < 0)
		return fail(err, 400, NULL, NULL, "bad limit");
	return 0;
}

static int report_sync(const struct dav_xml_node *root, struct pool *pool,
                       struct dav_report *r, struct dav_body_error *err)
{
	const struct dav_xml_node *token =
	    dav_xml_child(root, DAV_NS, "sync-token");
	const struct dav_xml_node *level =
	    dav_xml_child(root, DAV_NS, "sync-level");
	if (token == NULL || level == NULL)
		return fail(err, 400, NULL, NULL,
		            "sync-collection needs sync-token and sync-level");
	r->sync_token = dav_xml_text_trim(token, pool);
	const char *lv = dav_xml_text_trim(level, pool);
	if (strcmp(lv, "infinite") == 0)
		r->is_sync_infinite = true;
	else if (strcmp(lv, "1") != 0)
		return fail(err, 400, NULL, NULL,
		            "sync-level must be 1 or infinite");
	if (dav_xml_child(root, DAV_NS, "prop") == NULL)
		return fail(err, 400, NULL, NULL,
		            "sync-collection without prop");
	if (limit_read(root, DAV_NS, pool, &r->limit) < 0)
		return fail(err, 400, NULL, NULL, "bad limit");
	return 0;
}

static int report_free_busy(const struct dav_xml_node *root,
                            struct dav_report *r, struct dav_body_error *err)
{
	const struct dav_xml_node *tr =
	    dav_xml_child(root, DAV_NS_CALDAV, "time-range");
	struct ical_time_range range;
	const char *text;
	if (tr == NULL)
		return fail(err, 400, NULL, NULL,
		            "free-busy-query without time-range");
	if (ical_query_time_range_from_xml(tr, &range, &text) < 0)
		return fail(err, 400, NULL, NULL, text);
	if (range.start == ICAL_TIME_MIN || range.end == ICAL_TIME_MAX)
		return fail(err, 400, NULL, NULL,
		            "free-busy-query needs both start and end");
	r->fb_start = range.start;
	r->fb_end = range.end;
	return 0;
}

static const struct {
	const char *ns, *name;
	enum dav_report_kind kind;
} reports[] = {
    {DAV_NS_CALDAV, "calendar-query", DAV_REPORT_CALENDAR_QUERY},
    {DAV_NS_CALDAV, "calendar-multiget", DAV_REPORT_CALENDAR_MULTIGET},
    {DAV_NS_CALDAV, "free-busy-query", DAV_REPORT_FREE_BUSY_QUERY},
    {DAV_NS_CARDDAV, "addressbook-query", DAV_REPORT_ADDRESSBOOK_QUERY},
    {DAV_NS_CARDDAV, "addressbook-multiget", DAV_REPORT_ADDRESSBOOK_MULTIGET},
    {DAV_NS, "sync-collection", DAV_REPORT_SYNC_COLLECTION},
};

int dav_body_report(const struct dav_xml_node *root, struct pool *pool,
                    struct dav_report *report_r, struct dav_body_error *err_r)
{
	struct dav_report *r = report_r;
	memset(r, 0, sizeof(*r));
	if (root == NULL)
		return fail(err_r, 400, NULL, NULL, "REPORT without a body");
	size_t i = 0;
	while (i < sizeof(reports) / sizeof(*reports) &&
	       !dav_xml_is(root, reports[i].ns, reports[i].name))
		i++;
	if (i == sizeof(reports) / sizeof(*reports))
		return fail(err_r, 403, DAV_NS, "supported-report",
		            "report not supported");
	r->kind = reports[i].kind;
	if (r->kind != DAV_REPORT_FREE_BUSY_QUERY &&
	    propfind_read(root, pool, &r->props, false, err_r) < 0)
		return -1;
	switch (r->kind) {
	case DAV_REPORT_CALENDAR_QUERY:
		return report_calendar_query(root, pool, r, err_r);
	case DAV_REPORT_CALENDAR_MULTIGET:
	case DAV_REPORT_ADDRESSBOOK_MULTIGET:
		if (hrefs_read(root, pool, r) < 0)
			return fail(err_r, 400, NULL, NULL,
			            "multiget without href");
		return 0;
	case DAV_REPORT_FREE_BUSY_QUERY:
		return report_free_busy(root, r, err_r);
	case DAV_REPORT_ADDRESSBOOK_QUERY:
		return report_addressbook_query(root, pool, r, err_r);
	case DAV_REPORT_SYNC_COLLECTION:
		return report_sync(root, pool, r, err_r);
	}
	return 0;
}
