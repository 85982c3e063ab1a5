/* Unit tests for ical.c and ical_recur.c: what a valid calendar object
 * resource is (RFC 4791 §4.1, RFC 5545 §3.6), the refusals with their
 * reasons, UID and kind, the span kept for the index (recurrences with
 * COUNT, UNTIL, without end, EXDATE, overrides, time zones, floating
 * times widened), UTC time parsing and calendar-timezone values. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "test/test.h"

#include <string.h>

static struct ical_settings set;

#define CAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
#define CAL_END "END:VCALENDAR\r\n"
#define BERLIN_TZ                                                              \
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"                            \
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"         \
	"TZNAME:CEST\r\nDTSTART:19700329T020000\r\n"                           \
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"           \
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"         \
	"TZNAME:CET\r\nDTSTART:19701025T030000\r\n"                            \
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"          \
	"END:VTIMEZONE\r\n"

#define RULE(r)                                                                \
	CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"      \
	          "RRULE:" r "\r\nEND:VEVENT\r\n" CAL_END

static struct ical_object *parse_ok(const char *text, struct pool *pool)
{
	struct ical_object *obj = NULL;
	const char *error = NULL;
	int ret = ical_object_parse((const unsigned char *)text, strlen(text),
	                            &set, pool, &obj, &error);
	test_assert_str(error == NULL ? "" : error, "");
	test_assert(ret == 0);
	return obj;
}

static int64_t utc(const char *str)
{
	int64_t t = 0;
	test_assert(ical_time_parse_utc(str, &t) == 0);
	return t;
}

static void test_ical_valid(void)
{
	test_begin("ical valid objects");
	struct pool *pool = pool_new();
	struct ical_object *obj =
	    parse_ok(CAL_BEGIN BERLIN_TZ "BEGIN:VEVENT\r\nUID:ev1\r\n"
	                                 "DTSTAMP:20240101T000000Z\r\n"
	                                 "DTSTART;TZID=Europe/Berlin:"
	                                 "20240105T100000\r\n"
	                                 "DTEND;TZID=Europe/Berlin:"
	                                 "20240105T110000\r\n"
	                                 "SUMMARY:\r\n"
	                                 "END:VEVENT\r\n" CAL_END,
	             pool);
	if (obj != NULL) {
		test_assert_str(ical_object_uid(obj), "ev1");
		test_assert_int(ical_object_kind(obj), ICAL_KIND_VEVENT);
		test_assert(!ical_object_is_recurring(obj));
		int64_t s, e;
		ical_object_span(obj, &s, &e);
		/* 10:00 CET is 09:00Z; the span is widened by 14 hours */
		test_assert_int(s, utc("20240105T090000Z") - 14 * 3600);
		test_assert_int(e, utc("20240105T100000Z") + 14 * 3600 + 1);
	}
	ical_object_free(&obj);
	test_assert(obj == NULL);
	/* a system zone by name needs no VTIMEZONE (RFC 7809 practice) */
	obj = parse_ok(CAL_BEGIN "BEGIN:VTODO\r\nUID:t1\r\n"
	                         "DTSTAMP:20240101T000000Z\r\n"
	                         "DUE;TZID=America/New_York:20240105T100000\r\n"
	                         "END:VTODO\r\n" CAL_END,
	               pool);
	if (obj != NULL)
		test_assert_int(ical_object_kind(obj), ICAL_KIND_VTODO);
	ical_object_free(&obj);
	obj = parse_ok(CAL_BEGIN "BEGIN:VJOURNAL\r\nUID:j1\r\n"
	                         "DTSTAMP:20240101T000000Z\r\n"
	                         "DTSTART;VALUE=DATE:20240105\r\n"
	                         "DESCRIPTION:Dear diary\r\n"
	                         "END:VJOURNAL\r\n" CAL_END,
	               pool);
	if (obj != NULL)
		test_assert_int(ical_object_kind(obj), ICAL_KIND_VJOURNAL);
	ical_object_free(&obj);
	/* Microsoft's zones begin in 1601 */
	obj = parse_ok(CAL_BEGIN "BEGIN:VTIMEZONE\r\nTZID:W. Europe\r\n"
	                         "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n"
	                         "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
	                         "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
	                         "END:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
	                         "DTSTART:16010101T020000\r\n"
	                         "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
	                         "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
	                         "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
	                         "BEGIN:VEVENT\r\nUID:ms\r\n"
	                         "DTSTART;TZID=W. Europe:20240701T100000\r\n"
	                         "END:VEVENT\r\n" CAL_END,
	               pool);
	if (obj != NULL) {
		int64_t s, e;
		ical_object_span(obj, &s, &e);
		/* 10:00 CEST is 08:00Z */
		test_assert_int(s, utc("20240701T080000Z") - 14 * 3600);
	}
	ical_object_free(&obj);
	/* rules that look odd but have instances pass */
	static const char *const rules[] = {
	    RULE("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
	    RULE("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"),
	    RULE("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1"),
	    RULE("FREQ=HOURLY;INTERVAL=3;BYDAY=MO,FR;BYHOUR=9,12"),
	    RULE("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO")};
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		obj = parse_ok(rules[i], pool);
		test_assert_idx(obj != NULL, i);
		ical_object_free(&obj);
	}
	pool_free(&pool);
	test_end();
}

static void test_ical_invalid(void)
{
	static const struct {
		const char *text, *reason;
	} cases[] = {
	    {"", "not an iCalendar object"},
	    {"hello", "text outside the VCALENDAR"},
	    /* BEGIN and END must match (checked before libical, which
	     * writes a warning to stderr for these) */
	    {CAL_BEGIN "END:VEVENT\r\n" CAL_END,
	     "END:VEVENT without its BEGIN"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\n", "without its END"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nEND:VTODO\r\n" CAL_END,
	     "END:VTODO without its BEGIN"},
	    /* found by libFuzzer: libical ends a component here too */
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nEND;X=1:VEVENT\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "BEGIN or END with parameters or folded"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\n X\r\nUID:a\r\nEND:VEVENTX\r\n" CAL_END,
	     "BEGIN or END with parameters or folded"},
	    {CAL_BEGIN
	     "BEGIN:VEVENT\r\nUID:a\r\nEND:\r\nEND:VEVENT\r\n" CAL_END,
	     "BEGIN or END without a name"},
	    {"BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n", "not a VCALENDAR"},
	    {"BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
	     "DTSTART:20240101T000000Z\r\nEND:VEVENT\r\n" CAL_END,
	     "without VERSION:2.0"},
	    {CAL_BEGIN "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:a\r\n"
	               "DTSTART:20240101T000000Z\r\nEND:VEVENT\r\n" CAL_END,
	     "METHOD"},
	    {CAL_BEGIN CAL_END, "no VEVENT"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nDTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "VEVENT without UID"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:x\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "VEVENT without DTSTART"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\n"
	               "DTSTART:20240101T000000Z\r\nEND:VEVENT\r\n" CAL_END,
	     "different UIDs"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\n"
	               "DTSTART:20240102T000000Z\r\nEND:VEVENT\r\n" CAL_END,
	     "two components without RECURRENCE-ID"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\nBEGIN:VTODO\r\nUID:a\r\n"
	               "END:VTODO\r\n" CAL_END,
	     "more than one kind"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "DTEND:20240101T010000Z\r\nDURATION:PT1H\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "both DTEND and DURATION"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\n"
	               "DTSTART;TZID=Mars/Olympus:20240101T000000\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "TZID Mars/Olympus has no VTIMEZONE"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "DTEND:tomorrow\r\nEND:VEVENT\r\n" CAL_END,
	     "DATE-TIME"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n" CAL_END,
	     "RECUR"},
	    {CAL_BEGIN "BEGIN:VTODO\r\nUID:a\r\nRRULE:FREQ=DAILY\r\n"
	               "END:VTODO\r\n" CAL_END,
	     "recurring VTODO without DTSTART"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\n" CAL_END CAL_BEGIN CAL_END,
	     "more than one VCALENDAR"},
	    {CAL_BEGIN "BEGIN:VAVAILABILITY\r\nUID:a\r\n"
	               "END:VAVAILABILITY\r\n" CAL_END,
	     "not supported"},
	    /* found by the fuzzer: a bare CR inside a value */
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r%DTSTART:20240101T000000Z\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "control characters"},
	    /* found by the fuzzer: a zone's transitions computed to 6618 */
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\n"
	               "DTSTART;TZID=Europe/Berlin:66180101T100000\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "DTSTART outside the years 1800 to 2500"},
	    {CAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
	               "EXDATE:17000101T000000\r\nEND:VEVENT\r\n" CAL_END,
	     "EXDATE outside"},
	    /* found by libFuzzer: an hourly rule in a time zone */
	    {CAL_BEGIN "BEGIN:VTIMEZONE\r\nTZID:Fast\r\nBEGIN:STANDARD\r\n"
	               "DTSTART:19700101T000000\r\nRRULE:FREQ=HOURLY\r\n"
	               "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
	               "END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n"
	               "UID:a\r\nDTSTART;TZID=Fast:20240101T000000\r\n"
	               "END:VEVENT\r\n" CAL_END,
	     "time zone RRULE: not yearly"},
	    /* rules libical's iterator would spin on (ical.c rule_check) */
	    {RULE("FREQ=SECONDLY;COUNT=5"), "FREQ=SECONDLY"},
	    {RULE("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"), "no month has"},
	    {RULE("FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=-31"), "no month has"},
	    {RULE("FREQ=HOURLY;BYMONTH=2"), "hourly or minutely"},
	    {RULE("FREQ=MINUTELY;BYDAY=1MO"), "hourly or minutely"},
	    {RULE("FREQ=DAILY;BYYEARDAY=1;BYMONTH=2"), "BYYEARDAY"},
	    {RULE("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=13"), "ordinal BYDAY"},
	};
	test_begin("ical invalid objects");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ical_object *obj = NULL;
		const char *error = "";
		int ret = ical_object_parse(
		    (const unsigned char *)cases[i].text, strlen(cases[i].text),
		    &set, pool, &obj, &error);
		test_assert_idx(ret == -1 && obj == NULL, i);
		test_assert_idx(strstr(error, cases[i].reason) != NULL, i);
		if (strstr(error, cases[i].reason) == NULL)
			test_assert_str(error, cases[i].reason);
		ical_object_free(&obj);
	}
	/* a NUL, invalid UTF-8 and too many bytes are refused up front */
	static const unsigned char nul[] = "BEGIN:VCALENDAR\0";
	struct ical_object *obj = NULL;
	const char *error = "";
	test_assert(ical_object_parse(nul, sizeof(nul) - 1, &set, pool, &obj,
	                              &error) < 0);
	test_assert(ical_object_parse((const unsigned char *)"\xff\xfe", 2,
	                              &set, pool, &obj, &error) < 0);
	struct ical_settings small = set;
	small.max_size = 10;
	test_assert(ical_object_parse((const unsigned char *)CAL_BEGIN,
	                              strlen(CAL_BEGIN), &small, pool, &obj,
	                              &error) < 0);
	test_assert_str(error, "iCalendar object too large");
	pool_free(&pool);
	test_end();
}

static void test_ical_span_recurring(void)
{
	test_begin("ical span of recurrences");
	struct pool *pool = pool_new();
	int64_t s, e;
	/* weekly, five times, the last moved by an override to a later day */
	struct ical_object *obj = parse_ok(
	    CAL_BEGIN "BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20240101T100000Z\r\n"
	              "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n"
	              "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:w\r\n"
	              "RECURRENCE-ID:20240129T100000Z\r\n"
	              "DTSTART:20240201T100000Z\r\nDURATION:PT2H\r\n"
	              "END:VEVENT\r\n" CAL_END,
	    pool);
	if (obj != NULL) {
		test_assert(ical_object_is_recurring(obj));
		ical_object_span(obj, &s, &e);
		test_assert_int(s, utc("20240101T100000Z") - 14 * 3600);
		test_assert_int(e, utc("20240201T120000Z") + 14 * 3600 + 1);
	}
	ical_object_free(&obj);
	/* no COUNT, no UNTIL: endless */
	obj = parse_ok(CAL_BEGIN "BEGIN:VEVENT\r\nUID:d\r\n"
	                         "DTSTART;VALUE=DATE:20240101\r\n"
	                         "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n" CAL_END,
	               pool);
	if (obj != NULL) {
		ical_object_span(obj, &s, &e);
		test_assert_int(s, utc("20240101T000000Z") - 14 * 3600);
		test_assert(e == ICAL_TIME_MAX);
	}
	ical_object_free(&obj);
	/* UNTIL in a zone: the last instance ends the span */
	obj = parse_ok(CAL_BEGIN BERLIN_TZ
	               "BEGIN:VEVENT\r\nUID:u\r\n"
	               "DTSTART;TZID=Europe/Berlin:20240325T100000\r\n"
	               "DTEND;TZID=Europe/Berlin:20240325T103000\r\n"
	               "RRULE:FREQ=DAILY;UNTIL=20240402T080000Z\r\n"
	               "END:VEVENT\r\n" CAL_END,
	               pool);
	if (obj != NULL) {
		ical_object_span(obj, &s, &e);
		/* the last is April 2nd, 10:00 CEST = 08:00Z, to 08:30Z */
		test_assert_int(e, utc("20240402T083000Z") + 14 * 3600 + 1);
	}
	ical_object_free(&obj);
	/* a VTODO with no date at all matches any range */
	obj = parse_ok(CAL_BEGIN "BEGIN:VTODO\r\nUID:t\r\nSUMMARY:x\r\n"
	                         "END:VTODO\r\n" CAL_END,
	               pool);
	if (obj != NULL) {
		ical_object_span(obj, &s, &e);
		test_assert(s == ICAL_TIME_MIN && e == ICAL_TIME_MAX);
	}
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static void test_ical_time(void)
{
	test_begin("ical UTC times and zones");
	int64_t t;
	test_assert(ical_time_parse_utc("19700101T000000Z", &t) == 0 && t == 0);
	test_assert(ical_time_parse_utc("20240229T120000Z", &t) == 0 &&
	            t == 1709208000);
	static const char *const bad[] = {
	    "20240101T000000",      "20240101",
	    "2024-01-01T00:00:00Z", "20241301T000000Z",
	    "20230229T000000Z",     "20240101T250000Z",
	    "2024010XT000000Z",     ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(ical_time_parse_utc(bad[i], &t) < 0, i);
	char out[17];
	ical_time_format_utc(1709208000, out);
	test_assert_str(out, "20240229T120000Z");
	struct ical_tz *tz = NULL;
	const char *error;
	test_assert(ical_tz_parse(CAL_BEGIN BERLIN_TZ CAL_END, &tz, &error) ==
	            0);
	ical_tz_free(&tz);
	test_assert(tz == NULL);
	test_assert(ical_tz_parse(CAL_BEGIN CAL_END, &tz, &error) < 0);
	test_assert(ical_tz_parse("junk", &tz, &error) < 0);
	test_assert(ical_tz_parse(CAL_BEGIN "BEGIN:VTIMEZONE\r\nTZID:F\r\n"
	                                    "BEGIN:STANDARD\r\nDTSTART:"
	                                    "19700101T000000\r\nRRULE:FREQ="
	                                    "DAILY\r\nTZOFFSETFROM:+0100\r\n"
	                                    "TZOFFSETTO:+0200\r\nEND:STANDARD"
	                                    "\r\nEND:VTIMEZONE\r\n" CAL_END,
	                          &tz, &error) < 0);
	tz = ical_tz_builtin("Asia/Tokyo");
	test_assert(tz != NULL);
	ical_tz_free(&tz);
	test_assert(ical_tz_builtin("Nowhere/Town") == NULL);
	test_end();
}

int main(void)
{
	ical_settings_init(&set);
	static void (*const tests[])(void) = {
	    test_ical_valid, test_ical_invalid, test_ical_span_recurring,
	    test_ical_time, NULL};
	return test_run(tests);
}
