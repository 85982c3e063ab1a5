/* Unit tests for dav_body.c: PROPFIND bodies (RFC 4918 §9.1: empty is
 * allprop, prop, propname, allprop with include), PROPPATCH set and
 * remove in order (§9.2), extended MKCOL and MKCALENDAR bodies, and each
 * REPORT with its refusals (unknown report: DAV:supported-report; bad
 * filter: the CalDAV/CardDAV precondition; sync-collection's parts). */
#include "core/pool.h"
#include "dav/dav_body.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_query.h"
#include "dav/vcard_query.h"
#include "test/test.h"

#include <string.h>

#define D "xmlns:D=\"DAV:\""
#define C "xmlns:C=\"urn:ietf:params:xml:ns:caldav\""
#define CR "xmlns:CR=\"urn:ietf:params:xml:ns:carddav\""

static struct dav_xml_node *xml(const char *text, struct pool *pool)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root = NULL;
	const char *error = NULL;
	if (dav_xml_parse((const unsigned char *)text, strlen(text), &set, pool,
	                  &root, &error) != 1)
		test_assert_str(error, "");
	return root;
}

static void test_body_propfind(void)
{
	test_begin("body propfind");
	struct pool *pool = pool_new();
	struct dav_propfind pf;
	struct dav_body_error err;
	test_assert(dav_body_propfind(NULL, pool, &pf, &err) == 0 &&
	            pf.kind == DAV_PROPFIND_ALLPROP && pf.count == 0);
	test_assert(
	    dav_body_propfind(xml("<D:propfind " D " " C "><D:prop><D:getetag/>"
	                          "<C:calendar-data/></D:prop></D:propfind>",
	                          pool),
	                      pool, &pf, &err) == 0);
	test_assert(pf.kind == DAV_PROPFIND_PROP && pf.count == 2);
	test_assert_str(pf.props[1].ns, DAV_NS_CALDAV);
	test_assert_str(pf.props[1].name, "calendar-data");
	test_assert(dav_body_propfind(xml("<D:propfind " D "><D:propname/>"
	                                  "</D:propfind>",
	                                  pool),
	                              pool, &pf, &err) == 0 &&
	            pf.kind == DAV_PROPFIND_PROPNAME);
	test_assert(dav_body_propfind(xml("<D:propfind " D "><D:allprop/>"
	                                  "<D:include><D:sync-token/>"
	                                  "</D:include></D:propfind>",
	                                  pool),
	                              pool, &pf, &err) == 0 &&
	            pf.kind == DAV_PROPFIND_ALLPROP && pf.count == 1);
	test_assert(dav_body_propfind(xml("<D:propfind " D "/>", pool), pool,
	                              &pf, &err) < 0 &&
	            err.status == 400);
	test_assert(dav_body_propfind(xml("<D:propfind " D "><D:prop/>"
	                                  "<D:allprop/></D:propfind>",
	                                  pool),
	                              pool, &pf, &err) < 0);
	test_assert(dav_body_propfind(xml("<x/>", pool), pool, &pf, &err) < 0);
	pool_free(&pool);
	test_end();
}

static void test_body_update(void)
{
	test_begin("body propertyupdate and mkcol");
	struct pool *pool = pool_new();
	struct dav_propupdate *ups;
	size_t count;
	struct dav_body_error err;
	test_assert(dav_body_propertyupdate(
	                xml("<D:propertyupdate " D "><D:set><D:prop>"
	                    "<D:displayname>Work</D:displayname><x:c "
	                    "xmlns:x=\"urn:x\">1</x:c></D:prop></D:set>"
	                    "<D:remove><D:prop><x:d xmlns:x=\"urn:x\"/>"
	                    "</D:prop></D:remove></D:propertyupdate>",
	                    pool),
	                pool, &ups, &count, &err) == 0);
	test_assert_int(count, 3);
	if (count == 3) {
		test_assert(!ups[0].is_remove && !ups[1].is_remove &&
		            ups[2].is_remove);
		test_assert_str(ups[0].name.name, "displayname");
		test_assert_str(ups[0].value->text, "Work");
		test_assert_str(ups[2].name.ns, "urn:x");
	}
	test_assert(
	    dav_body_propertyupdate(xml("<D:propertyupdate " D "/>", pool),
	                            pool, &ups, &count, &err) < 0);
	test_assert(dav_body_propertyupdate(NULL, pool, &ups, &count, &err) <
	            0);
	test_assert(
	    dav_body_mkcol(
	        xml("<C:mkcalendar " D " " C "><D:set><D:prop>"
	            "<D:displayname>Trips</D:displayname>"
	            "<C:supported-calendar-component-set><C:comp "
	            "name=\"VTODO\"/></C:supported-calendar-component-set>"
	            "</D:prop></D:set></C:mkcalendar>",
	            pool),
	        pool, &ups, &count, &err) == 0 &&
	    count == 2);
	test_assert(dav_body_mkcol(NULL, pool, &ups, &count, &err) == 0 &&
	            count == 0);
	test_assert(dav_body_mkcol(xml("<D:mkcol " D "><D:remove><D:prop>"
	                               "<D:displayname/></D:prop></D:remove>"
	                               "</D:mkcol>",
	                               pool),
	                           pool, &ups, &count, &err) < 0);
	test_assert(dav_body_mkcol(xml("<D:propfind " D "/>", pool), pool, &ups,
	                           &count, &err) < 0 &&
	            err.status == 415);
	pool_free(&pool);
	test_end();
}

static void test_body_reports(void)
{
	test_begin("body reports");
	struct pool *pool = pool_new();
	struct dav_report r;
	struct dav_body_error err;
	test_assert(
	    dav_body_report(
	        xml("<C:calendar-query " D " " C "><D:prop><D:getetag/>"
	            "</D:prop><C:filter><C:comp-filter name=\"VCALENDAR\">"
	            "<C:comp-filter name=\"VEVENT\"/></C:comp-filter>"
	            "</C:filter><C:timezone>BEGIN:VCALENDAR</C:timezone>"
	            "</C:calendar-query>",
	            pool),
	        pool, &r, &err) == 0);
	test_assert(r.kind == DAV_REPORT_CALENDAR_QUERY && r.cal_filter &&
	            r.props.count == 1);
	test_assert_str(r.cal_timezone, "BEGIN:VCALENDAR");
	test_assert(dav_body_report(
	                xml("<C:calendar-multiget " D " " C "><D:prop>"
	                    "<C:calendar-data/></D:prop><D:href>/dav/c/a.ics"
	                    "</D:href><D:href>/dav/../x</D:href>"
	                    "</C:calendar-multiget>",
	                    pool),
	                pool, &r, &err) == 0);
	test_assert(r.href_count == 2 && r.hrefs[1].path == NULL);
	test_assert_str(r.hrefs[0].path, "/dav/c/a.ics");
	test_assert(
	    dav_body_report(
	        xml("<C:free-busy-query " C "><C:time-range "
	            "start=\"20240101T000000Z\" end=\"20240102T000000Z\"/>"
	            "</C:free-busy-query>",
	            pool),
	        pool, &r, &err) == 0);
	test_assert(r.fb_end - r.fb_start == 86400);
	test_assert(
	    dav_body_report(
	        xml("<CR:addressbook-query " D " " CR "><D:prop>"
	            "<D:getetag/></D:prop><CR:filter test=\"allof\">"
	            "<CR:prop-filter name=\"FN\"/></CR:filter><CR:limit>"
	            "<CR:nresults>5</CR:nresults></CR:limit>"
	            "</CR:addressbook-query>",
	            pool),
	        pool, &r, &err) == 0);
	test_assert(r.card_filter != NULL && r.card_filter->is_allof &&
	            r.limit == 5);
	test_assert(dav_body_report(
	                xml("<D:sync-collection " D "><D:sync-token/>"
	                    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/>"
	                    "</D:prop></D:sync-collection>",
	                    pool),
	                pool, &r, &err) == 0);
	test_assert_str(r.sync_token, "");
	static const struct {
		const char *body;
		unsigned status;
		const char *precondition;
	} bad[] = {
	    {"<D:expand-property " D "/>", 403, "supported-report"},
	    {"<C:calendar-query " D " " C "><D:prop/></C:calendar-query>", 403,
	     "valid-filter"},
	    {"<C:calendar-query " C "><C:filter><C:comp-filter "
	     "name=\"VTODO\"/></C:filter></C:calendar-query>",
	     403, "valid-filter"},
	    {"<CR:addressbook-query " CR "><CR:filter><CR:prop-filter "
	     "name=\"FN\"><CR:text-match collation=\"x\">a</CR:text-match>"
	     "</CR:prop-filter></CR:filter></CR:addressbook-query>",
	     403, "supported-collation"},
	    {"<C:calendar-multiget " D " " C "><D:prop/></C:calendar-multiget>",
	     400, NULL},
	    {"<C:free-busy-query " C
	     "><C:time-range start=\"20240101T000000Z\"/>"
	     "</C:free-busy-query>",
	     400, NULL},
	    {"<D:sync-collection " D "><D:sync-token/><D:sync-level>2"
	     "</D:sync-level><D:prop/></D:sync-collection>",
	     400, NULL},
	    {"<D:sync-collection " D "><D:sync-level>1</D:sync-level><D:prop/>"
	     "</D:sync-collection>",
	     400, NULL},
	    {"<CR:addressbook-query " CR "><CR:filter/><CR:limit><CR:nresults>"
	     "x</CR:nresults></CR:limit></CR:addressbook-query>",
	     400, NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&err, 0, sizeof(err));
		test_assert_idx(
		    dav_body_report(xml(bad[i].body, pool), pool, &r, &err) < 0,
		    i);
		test_assert_idx(err.status == bad[i].status, i);
		test_assert_idx(
		    bad[i].precondition == NULL
		        ? err.name == NULL
		        : err.name != NULL &&
		              strcmp(err.name, bad[i].precondition) == 0,
		    i);
	}
	test_assert(dav_body_report(NULL, pool, &r, &err) < 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_body_propfind, test_body_update, test_body_reports, NULL};
	return test_run(tests);
}
