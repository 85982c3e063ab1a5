/* Unit tests for ical_query.c: the rows of RFC 4791 §9.9's tables for
 * VEVENT, VTODO and VJOURNAL (each bound tested on both sides), recurring
 * events in a zone with DST, EXDATE and an override (§9.9: "the recurrence
 * set"), VALARM triggers, floating times in the query's zone,
 * prop-filter, param-filter, text-match with collations and negation,
 * is-not-defined, and the refusals of filters (§9.7: one VCALENDAR
 * comp-filter; supported-collation). */
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_query.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static struct ical_settings set;

#define CAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
#define CAL_END "END:VCALENDAR\r\n"
#define NS "xmlns:C=\"urn:ietf:params:xml:ns:caldav\""

static struct ical_object *object(const char *text, struct pool *pool)
{
	struct ical_object *obj = NULL;
	const char *error = NULL;
	if (ical_object_parse((const unsigned char *)text, strlen(text), &set,
	                      pool, &obj, &error) < 0)
		test_assert_str(error, "");
	return obj;
}

static struct ical_comp_filter *filter(const char *xml, struct pool *pool)
{
	struct dav_xml_settings xs;
	dav_xml_settings_init(&xs);
	struct dav_xml_node *root;
	const char *error = NULL, *pre = NULL;
	if (dav_xml_parse((const unsigned char *)xml, strlen(xml), &xs, pool,
	                  &root, &error) != 1) {
		test_assert_str(error, "");
		return NULL;
	}
	struct ical_comp_filter *f = NULL;
	if (ical_query_from_xml(root, pool, &f, &pre, &error) < 0)
		test_assert_str(error, "");
	return f;
}

/* A VCALENDAR > kind filter with a time-range. */
static bool in_range(struct ical_object *obj, const char *kind,
                     const char *start, const char *end, struct pool *pool)
{
	char xml[512];
	snprintf(xml, sizeof(xml),
	         "<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	         "<C:comp-filter name=\"%s\"><C:time-range start=\"%s\" "
	         "end=\"%s\"/></C:comp-filter></C:comp-filter></C:filter>",
	         kind, start, end);
	struct ical_comp_filter *f = filter(xml, pool);
	return obj != NULL && f != NULL && ical_query_match(obj, f, NULL);
}

struct range_case {
	const char *body;
	const char *start, *end;
	bool want;
};

static void range_cases(const char *kind, const struct range_case *cases,
                        size_t count)
{
	struct pool *pool = pool_new();
	for (size_t i = 0; i < count; i++) {
		char text[1024];
		snprintf(text, sizeof(text),
		         CAL_BEGIN
		         "BEGIN:%s\r\nUID:x\r\n"
		         "DTSTAMP:20240101T000000Z\r\n%sEND:%s\r\n" CAL_END,
		         kind, cases[i].body, kind);
		struct ical_object *obj = object(text, pool);
		test_assert_idx(in_range(obj, kind, cases[i].start,
		                         cases[i].end, pool) == cases[i].want,
		                i);
		ical_object_free(&obj);
	}
	pool_free(&pool);
}

#define EV_END "DTSTART:20240110T100000Z\r\nDTEND:20240110T110000Z\r\n"
#define EV_DUR "DTSTART:20240110T100000Z\r\nDURATION:PT1H\r\n"
#define EV_ZERO "DTSTART:20240110T100000Z\r\nDURATION:PT0S\r\n"
#define EV_POINT "DTSTART:20240110T100000Z\r\n"
#define EV_DAY "DTSTART;VALUE=DATE:20240110\r\n"

static void test_query_event_table(void)
{
	/* RFC 4791 §9.9, VEVENT */
	static const struct range_case cases[] = {
	    /* (start < DTEND AND end > DTSTART) */
	    {EV_END, "20240110T103000Z", "20240110T120000Z", true},
	    {EV_END, "20240110T110000Z", "20240110T120000Z", false},
	    {EV_END, "20240110T090000Z", "20240110T100000Z", false},
	    {EV_END, "20240110T090000Z", "20240110T100001Z", true},
	    /* (start < DTSTART+DURATION AND end > DTSTART) */
	    {EV_DUR, "20240110T105959Z", "20240111T000000Z", true},
	    {EV_DUR, "20240110T110000Z", "20240111T000000Z", false},
	    /* DURATION 0 and DTSTART alone: (start <= DTSTART AND end >
	     * DTSTART) */
	    {EV_ZERO, "20240110T100000Z", "20240110T100001Z", true},
	    {EV_ZERO, "20240110T090000Z", "20240110T100000Z", false},
	    {EV_POINT, "20240110T100000Z", "20240110T110000Z", true},
	    {EV_POINT, "20240110T100001Z", "20240110T110000Z", false},
	    /* a DATE: (start < DTSTART+P1D AND end > DTSTART) */
	    {EV_DAY, "20240110T235959Z", "20240111T010000Z", true},
	    {EV_DAY, "20240111T000000Z", "20240111T010000Z", false},
	    {EV_DAY, "20240109T000000Z", "20240110T000000Z", false},
	};
	test_begin("query VEVENT time-range (RFC 4791 9.9)");
	range_cases("VEVENT", cases, sizeof(cases) / sizeof(*cases));
	test_end();
}

static void test_query_todo_table(void)
{
	/* RFC 4791 §9.9, VTODO */
	static const struct range_case cases[] = {
	    /* DTSTART+DURATION: (start <= DTSTART+DURATION) AND
	     * ((end > DTSTART) OR (end >= DTSTART+DURATION)) */
	    {"DTSTART:20240110T100000Z\r\nDURATION:PT1H\r\n",
	     "20240110T110000Z", "20240110T120000Z", true},
	    {"DTSTART:20240110T100000Z\r\nDURATION:PT1H\r\n",
	     "20240110T110001Z", "20240110T120000Z", false},
	    /* DTSTART+DUE: ((start < DUE) OR (start <= DTSTART)) AND
	     * ((end > DTSTART) OR (end >= DUE)) */
	    {"DTSTART:20240110T100000Z\r\nDUE:20240110T120000Z\r\n",
	     "20240110T115959Z", "20240110T130000Z", true},
	    {"DTSTART:20240110T100000Z\r\nDUE:20240110T120000Z\r\n",
	     "20240110T120000Z", "20240110T130000Z", false},
	    {"DTSTART:20240110T100000Z\r\nDUE:20240110T120000Z\r\n",
	     "20240110T080000Z", "20240110T100000Z", false},
	    /* DTSTART alone */
	    {"DTSTART:20240110T100000Z\r\n", "20240110T100000Z",
	     "20240110T100001Z", true},
	    /* DUE alone: (start < DUE) AND (end >= DUE) */
	    {"DUE:20240110T120000Z\r\n", "20240110T110000Z", "20240110T120000Z",
	     true},
	    {"DUE:20240110T120000Z\r\n", "20240110T120000Z", "20240110T130000Z",
	     false},
	    /* COMPLETED and CREATED */
	    {"COMPLETED:20240110T120000Z\r\nCREATED:20240101T000000Z\r\n",
	     "20240105T000000Z", "20240106T000000Z", true},
	    {"COMPLETED:20240110T120000Z\r\nCREATED:20240101T000000Z\r\n",
	     "20231201T000000Z", "20231202T000000Z", false},
	    {"COMPLETED:20240110T120000Z\r\nCREATED:20240101T000000Z\r\n",
	     "20231231T000000Z", "20240101T000000Z", true},
	    /* COMPLETED alone: (start <= COMPLETED) AND (end >= COMPLETED) */
	    {"COMPLETED:20240110T120000Z\r\n", "20240110T110000Z",
	     "20240110T120000Z", true},
	    /* CREATED alone: (end > CREATED) */
	    {"CREATED:20240110T120000Z\r\n", "20240110T110000Z",
	     "20240110T120000Z", false},
	    {"CREATED:20240110T120000Z\r\n", "20300101T000000Z",
	     "20300102T000000Z", true},
	    /* nothing: TRUE */
	    {"SUMMARY:undated\r\n", "19990101T000000Z", "19990102T000000Z",
	     true},
	};
	test_begin("query VTODO time-range (RFC 4791 9.9)");
	range_cases("VTODO", cases, sizeof(cases) / sizeof(*cases));
	test_end();
}

static void test_query_journal_table(void)
{
	static const struct range_case cases[] = {
	    {"DTSTART:20240110T100000Z\r\n", "20240110T100000Z",
	     "20240110T100001Z", true},
	    {"DTSTART:20240110T100000Z\r\n", "20240110T090000Z",
	     "20240110T100000Z", false},
	    {"DTSTART;VALUE=DATE:20240110\r\n", "20240110T230000Z",
	     "20240111T000000Z", true},
	    /* no DTSTART: FALSE */
	    {"SUMMARY:x\r\n", "19700101T000000Z", "20990101T000000Z", false},
	};
	test_begin("query VJOURNAL time-range (RFC 4791 9.9)");
	range_cases("VJOURNAL", cases, sizeof(cases) / sizeof(*cases));
	test_end();
}

/* Weekly on Mondays 10:00 Europe/Berlin from January 8th 2024, 15
 * times (to April 15th); January 22nd excluded, January 29th moved to Tuesday
 * 15:00. */
static const char weekly[] =
    CAL_BEGIN "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\n"
              "DTSTART;TZID=Europe/Berlin:20240108T100000\r\n"
              "DTEND;TZID=Europe/Berlin:20240108T110000\r\n"
              "RRULE:FREQ=WEEKLY;COUNT=15\r\n"
              "EXDATE;TZID=Europe/Berlin:20240122T100000\r\n"
              "SUMMARY:Team meeting\r\nEND:VEVENT\r\n"
              "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\n"
              "RECURRENCE-ID;TZID=Europe/Berlin:20240129T100000\r\n"
              "DTSTART;TZID=Europe/Berlin:20240130T150000\r\n"
              "DTEND;TZID=Europe/Berlin:20240130T160000\r\n"
              "SUMMARY:Team meeting (moved)\r\nEND:VEVENT\r\n" CAL_END;

static void test_query_recurring(void)
{
	test_begin("query recurrences: zone, EXDATE, override");
	struct pool *pool = pool_new();
	struct ical_object *obj = object(weekly, pool);
	static const struct range_case cases[] = {
	    /* January 15th, 09:00Z-10:00Z (CET = UTC+1) */
	    {NULL, "20240115T090000Z", "20240115T093000Z", true},
	    {NULL, "20240115T100000Z", "20240115T110000Z", false},
	    /* January 22nd is excluded */
	    {NULL, "20240122T000000Z", "20240123T000000Z", false},
	    /* January 29th moved away, to the 30th 14:00Z */
	    {NULL, "20240129T000000Z", "20240130T000000Z", false},
	    {NULL, "20240130T140000Z", "20240130T141500Z", true},
	    /* after DST (March 31st): April 1st 10:00 CEST is 08:00Z */
	    {NULL, "20240401T080000Z", "20240401T081500Z", true},
	    {NULL, "20240401T090000Z", "20240401T100000Z", false},
	    /* March 11th is still CET; the 15th and last is April 15th */
	    {NULL, "20240311T090000Z", "20240311T091500Z", true},
	    {NULL, "20240415T080000Z", "20240415T081500Z", true},
	    {NULL, "20240416T000000Z", "20250101T000000Z", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool got =
		    in_range(obj, "VEVENT", cases[i].start, cases[i].end, pool);
		test_assert_idx(got == cases[i].want, i);
	}
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static void test_query_endless_and_alarm(void)
{
	test_begin("query endless rule, VALARM, floating time");
	struct pool *pool = pool_new();
	/* daily, no end: found decades later (the iterator jumps) */
	struct ical_object *obj = object(
	    CAL_BEGIN "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20000101T060000Z\r\n"
	              "DURATION:PT30M\r\nRRULE:FREQ=DAILY;INTERVAL=2\r\n"
	              "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
	              "TRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n" CAL_END,
	    pool);
	/* 2000-01-01 + 2n days: 2040-01-02 is day 14611 (odd): none */
	test_assert(in_range(obj, "VEVENT", "20400101T060000Z",
	                     "20400101T061000Z", pool));
	test_assert(!in_range(obj, "VEVENT", "20400102T060000Z",
	                      "20400102T061000Z", pool));
	/* the alarm fires at 05:45Z on event days */
	struct ical_comp_filter *f = filter(
	    "<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	    "<C:comp-filter name=\"VEVENT\"><C:comp-filter name=\"VALARM\">"
	    "<C:time-range start=\"20240103T054500Z\" "
	    "end=\"20240103T055000Z\"/>"
	    "</C:comp-filter></C:comp-filter></C:comp-filter></C:filter>",
	    pool);
	test_assert(f != NULL && ical_query_match(obj, f, NULL));
	f = filter("<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	           "<C:comp-filter name=\"VEVENT\"><C:comp-filter "
	           "name=\"VALARM\"><C:time-range start=\"20240104T054500Z\" "
	           "end=\"20240104T055000Z\"/></C:comp-filter></C:comp-filter>"
	           "</C:comp-filter></C:filter>",
	           pool);
	test_assert(f != NULL && !ical_query_match(obj, f, NULL));
	ical_object_free(&obj);
	/* floating 09:00 is 09:00Z in UTC, 00:00Z in Tokyo's zone */
	obj = object(CAL_BEGIN "BEGIN:VEVENT\r\nUID:f\r\n"
	                       "DTSTART:20240110T090000\r\nDURATION:PT1H\r\n"
	                       "END:VEVENT\r\n" CAL_END,
	             pool);
	f = filter("<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	           "<C:comp-filter name=\"VEVENT\"><C:time-range "
	           "start=\"20240110T000000Z\" end=\"20240110T003000Z\"/>"
	           "</C:comp-filter></C:comp-filter></C:filter>",
	           pool);
	struct ical_tz *tokyo = ical_tz_builtin("Asia/Tokyo");
	test_assert(f != NULL && !ical_query_match(obj, f, NULL));
	test_assert(f != NULL && ical_query_match(obj, f, tokyo));
	ical_tz_free(&tokyo);
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static bool matches(struct ical_object *obj, const char *inner,
                    struct pool *pool)
{
	char xml[1024];
	snprintf(xml, sizeof(xml),
	         "<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	         "<C:comp-filter name=\"VEVENT\">%s</C:comp-filter>"
	         "</C:comp-filter></C:filter>",
	         inner);
	struct ical_comp_filter *f = filter(xml, pool);
	return f != NULL && ical_query_match(obj, f, NULL);
}

static void test_query_props(void)
{
	test_begin("query prop-filter, param-filter, text-match");
	struct pool *pool = pool_new();
	struct ical_object *obj =
	    object(CAL_BEGIN
	           "BEGIN:VEVENT\r\nUID:p\r\nDTSTART:20240110T100000Z\r\n"
	           "SUMMARY:Caf\xc3\xa9 with \xc3\x89lodie\\, Ren\xc3\xa9\r\n"
	           "ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=\"Bob, Jr.\":"
	           "mailto:bob@example.com\r\n"
	           "END:VEVENT\r\n" CAL_END,
	           pool);
	static const struct {
		const char *inner;
		bool want;
	} cases[] = {
	    {"", true},
	    {"<C:prop-filter name=\"SUMMARY\"/>", true},
	    {"<C:prop-filter name=\"LOCATION\"/>", false},
	    {"<C:prop-filter name=\"LOCATION\"><C:is-not-defined/>"
	     "</C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"SUMMARY\"><C:is-not-defined/>"
	     "</C:prop-filter>",
	     false},
	    /* the value unescaped: "\," is a comma */
	    {"<C:prop-filter name=\"summary\"><C:text-match>WITH "
	     "\xc3\x89LODIE, "
	     "</C:text-match></C:prop-filter>",
	     true},
	    /* i;ascii-casemap folds ASCII only: "é" and "É" differ */
	    {"<C:prop-filter name=\"SUMMARY\"><C:text-match>\xc3\xa9lodie"
	     "</C:text-match></C:prop-filter>",
	     false},
	    {"<C:prop-filter name=\"SUMMARY\"><C:text-match "
	     "collation=\"i;unicode-casemap\">\xc3\xa9LODIE</C:text-match>"
	     "</C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"SUMMARY\"><C:text-match "
	     "collation=\"i;octet\">caf\xc3\xa9</C:text-match>"
	     "</C:prop-filter>",
	     false},
	    {"<C:prop-filter name=\"SUMMARY\"><C:text-match "
	     "negate-condition=\"yes\">meeting</C:text-match>"
	     "</C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"ATTENDEE\"><C:text-match>bob@EXAMPLE"
	     "</C:text-match><C:param-filter name=\"PARTSTAT\">"
	     "<C:text-match>needs-action</C:text-match></C:param-filter>"
	     "</C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"ATTENDEE\"><C:param-filter name=\"CN\">"
	     "<C:text-match>Bob, Jr.</C:text-match></C:param-filter>"
	     "</C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"ATTENDEE\"><C:param-filter "
	     "name=\"PARTSTAT\"><C:text-match>ACCEPTED</C:text-match>"
	     "</C:param-filter></C:prop-filter>",
	     false},
	    {"<C:prop-filter name=\"ATTENDEE\"><C:param-filter name=\"ROLE\">"
	     "<C:is-not-defined/></C:param-filter></C:prop-filter>",
	     true},
	    {"<C:prop-filter name=\"DTSTART\"><C:time-range "
	     "start=\"20240110T000000Z\" end=\"20240111T000000Z\"/>"
	     "</C:prop-filter>",
	     true},
	    {"<C:comp-filter name=\"VALARM\"/>", false},
	    {"<C:comp-filter name=\"VALARM\"><C:is-not-defined/>"
	     "</C:comp-filter>",
	     true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(
		    matches(obj, cases[i].inner, pool) == cases[i].want, i);
	/* a VTODO filter does not match an event; is-not-defined does */
	struct ical_comp_filter *f =
	    filter("<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	           "<C:comp-filter name=\"VTODO\"/></C:comp-filter></C:filter>",
	           pool);
	test_assert(f != NULL && !ical_query_match(obj, f, NULL));
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static void test_query_refusals(void)
{
	static const struct {
		const char *xml, *precondition;
	} cases[] = {
	    {"<C:filter " NS "/>", "valid-filter"},
	    {"<C:filter " NS "><C:comp-filter name=\"VEVENT\"/></C:filter>",
	     "valid-filter"},
	    {"<C:filter " NS "><C:comp-filter name=\"VCALENDAR\"/>"
	     "<C:comp-filter name=\"VCALENDAR\"/></C:filter>",
	     "valid-filter"},
	    {"<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	     "<C:comp-filter name=\"VEVENT\"><C:time-range "
	     "start=\"20240101\"/></C:comp-filter></C:comp-filter></C:filter>",
	     "valid-filter"},
	    {"<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	     "<C:comp-filter name=\"VEVENT\"><C:time-range/></C:comp-filter>"
	     "</C:comp-filter></C:filter>",
	     "valid-filter"},
	    {"<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	     "<C:comp-filter name=\"VEVENT\"><C:prop-filter name=\"UID\">"
	     "<C:text-match collation=\"i;klingon\">x</C:text-match>"
	     "</C:prop-filter></C:comp-filter></C:comp-filter></C:filter>",
	     "supported-collation"},
	    {"<C:filter " NS "><C:comp-filter/></C:filter>", "valid-filter"},
	};
	test_begin("query filter refusals");
	struct pool *pool = pool_new();
	struct dav_xml_settings xs;
	dav_xml_settings_init(&xs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct dav_xml_node *root;
		const char *error = NULL, *pre = NULL;
		struct ical_comp_filter *f;
		test_assert_idx(
		    dav_xml_parse((const unsigned char *)cases[i].xml,
		                  strlen(cases[i].xml), &xs, pool, &root,
		                  &error) == 1,
		    i);
		test_assert_idx(
		    ical_query_from_xml(root, pool, &f, &pre, &error) < 0, i);
		test_assert_idx(
		    pre != NULL && strcmp(pre, cases[i].precondition) == 0, i);
	}
	/* the index range comes from the only comp-filter's time-range */
	int64_t s, e;
	struct ical_comp_filter *f =
	    filter("<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	           "<C:comp-filter name=\"VEVENT\"><C:time-range "
	           "start=\"19700101T000100Z\"/></C:comp-filter>"
	           "</C:comp-filter></C:filter>",
	           pool);
	test_assert(f != NULL && ical_query_time_range(f, &s, &e));
	test_assert(s == 60 && e == ICAL_TIME_MAX);
	f = filter(
	    "<C:filter " NS "><C:comp-filter name=\"VCALENDAR\">"
	    "<C:comp-filter name=\"VEVENT\"/></C:comp-filter></C:filter>",
	    pool);
	test_assert(f != NULL && !ical_query_time_range(f, &s, &e));
	pool_free(&pool);
	test_end();
}

int main(void)
{
	ical_settings_init(&set);
	static void (*const tests[])(void) = {
	    test_query_event_table,       test_query_todo_table,
	    test_query_journal_table,     test_query_recurring,
	    test_query_endless_and_alarm, test_query_props,
	    test_query_refusals,          NULL};
	return test_run(tests);
}
