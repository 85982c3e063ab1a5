/* Unit tests for ical_partial.c (RFC 4791 §9.6): calendar-data asking for
 * the whole object, for some components and properties, and for the
 * recurrence set expanded into UTC instances (§9.6.5: RECURRENCE-ID on
 * each, no RRULE or EXDATE, overrides in place, excluded instances gone);
 * the refusals. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_partial.h"
#include "test/test.h"

#include <string.h>

#define C "xmlns:C=\"urn:ietf:params:xml:ns:caldav\""

static const char weekly[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20240101T000000Z\r\n"
    "DTSTART;TZID=Europe/Berlin:20240108T100000\r\n"
    "DTEND;TZID=Europe/Berlin:20240108T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
    "EXDATE;TZID=Europe/Berlin:20240115T100000\r\n"
    "SUMMARY:Weekly\r\nLOCATION:Room 1\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20240101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20240122T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20240122T120000\r\n"
    "DTEND;TZID=Europe/Berlin:20240122T130000\r\n"
    "SUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

static int partial(const char *xml, struct pool *pool,
                   struct ical_partial **p_r, const char **error_r)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root = NULL;
	*error_r = NULL;
	if (dav_xml_parse((const unsigned char *)xml, strlen(xml), &set, pool,
	                  &root, error_r) != 1)
		return -2;
	return ical_partial_from_xml(root, pool, p_r, error_r);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_partial(void)
{
	test_begin("partial calendar data");
	struct pool *pool = pool_new();
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj = NULL;
	const char *error;
	test_assert(ical_object_parse((const unsigned char *)weekly,
	                              strlen(weekly), &set, pool, &obj,
	                              &error) == 0);
	struct ical_partial *p;
	test_assert_int(partial("<C:calendar-data " C "/>", pool, &p, &error),
	                0);
	test_assert_int(partial("<C:calendar-data " C " content-type="
	                        "\"text/calendar\" version=\"2.0\"><C:comp "
	                        "name=\"VCALENDAR\"><C:prop name=\"VERSION\"/>"
	                        "<C:comp name=\"VEVENT\"><C:prop name=\"UID\"/>"
	                        "<C:prop name=\"summary\"/></C:comp></C:comp>"
	                        "</C:calendar-data>",
	                        pool, &p, &error),
	                1);
	struct buf out;
	buf_init(&out);
	if (obj != NULL && p != NULL)
		ical_partial_write(obj, p, NULL, &out);
	test_assert(strstr(out.data, "SUMMARY:Weekly") != NULL);
	test_assert(strstr(out.data, "SUMMARY:Moved") != NULL);
	test_assert(strstr(out.data, "VERSION:2.0") != NULL);
	test_assert(strstr(out.data, "LOCATION") == NULL);
	test_assert(strstr(out.data, "DTSTART") == NULL);
	test_assert(strstr(out.data, "PRODID") == NULL);
	/* expanded: the 8th, the 22nd moved to 12:00 (11:00Z), the 29th;
	 * the 15th is excluded */
	test_assert_int(partial("<C:calendar-data " C "><C:expand "
	                        "start=\"20240101T000000Z\" "
	                        "end=\"20240201T000000Z\"/></C:calendar-data>",
	                        pool, &p, &error),
	                1);
	buf_truncate(&out, 0);
	if (obj != NULL && p != NULL)
		ical_partial_write(obj, p, NULL, &out);
	test_assert_int(count(out.data, "BEGIN:VEVENT"), 3);
	test_assert(strstr(out.data, "RRULE") == NULL);
	test_assert(strstr(out.data, "EXDATE") == NULL);
	test_assert(strstr(out.data, "TZID") == NULL);
	test_assert(strstr(out.data, "DTSTART:20240108T090000Z") != NULL);
	test_assert(strstr(out.data, "RECURRENCE-ID:20240108T090000Z") != NULL);
	test_assert(strstr(out.data, "DTSTART:20240122T110000Z") != NULL);
	test_assert(strstr(out.data, "RECURRENCE-ID:20240122T090000Z") != NULL);
	test_assert(strstr(out.data, "DTEND:20240129T100000Z") != NULL);
	test_assert(strstr(out.data, "20240115") == NULL);
	/* a range holding only the moved one */
	test_assert_int(partial("<C:calendar-data " C "><C:expand "
	                        "start=\"20240122T103000Z\" "
	                        "end=\"20240122T113000Z\"/></C:calendar-data>",
	                        pool, &p, &error),
	                1);
	buf_truncate(&out, 0);
	if (obj != NULL && p != NULL)
		ical_partial_write(obj, p, NULL, &out);
	test_assert_int(count(out.data, "BEGIN:VEVENT"), 1);
	test_assert(strstr(out.data, "SUMMARY:Moved") != NULL);
	static const char *const bad[] = {
	    "<C:calendar-data " C " content-type=\"text/json\"/>",
	    "<C:calendar-data " C " version=\"1.0\"/>",
	    "<C:calendar-data " C "><C:expand start=\"20240101T000000Z\"/>"
	    "</C:calendar-data>",
	    "<C:calendar-data " C "><C:limit-recurrence-set start="
	    "\"20240101T000000Z\" end=\"20240102T000000Z\"/></C:calendar-data>",
	    "<C:calendar-data " C "><C:comp/></C:calendar-data>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(partial(bad[i], pool, &p, &error) == -1, i);
	ical_object_free(&obj);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_partial, NULL};
	return test_run(tests);
}
