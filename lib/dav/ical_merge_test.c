/* Unit tests for ical_merge.c: the components of several resources in
 * one VCALENDAR with CRLF line ends, a VTIMEZONE once per TZID (a folded
 * TZID too), the resources' own properties left out, and a body that is
 * not a VCALENDAR refused with nothing added. */
#include "core/buf.h"
#include "dav/ical_merge.h"
#include "test/test.h"

#include <string.h>

#define TZ(id)                                                                 \
	"BEGIN:VTIMEZONE\r\nTZID:" id "\r\nBEGIN:STANDARD\r\n"                 \
	"DTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"                    \
	"TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

static int add(struct ical_merge *m, const char *text)
{
	return ical_merge_add(m, (const unsigned char *)text, strlen(text));
}

static void test_merge(void)
{
	test_begin("ical merge of resources");
	struct buf out;
	buf_init(&out);
	struct ical_merge *m = ical_merge_new(&out, "-//test//EN");
	test_assert(
	    add(m,
	        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//a//EN\r\n"
	        "METHOD:PUBLISH\r\n" TZ(
	            "Europe/Berlin") "BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:one\r\n"
	                             " folded\r\nBEGIN:VALARM\r\nACTION:"
	                             "DISPLAY\r\n"
	                             "END:VALARM\r\nEND:VEVENT\r\nEND:"
	                             "VCALENDAR\r\n") == 0);
	/* LF line ends; the same zone again, its TZID folded */
	test_assert(add(m, "BEGIN:VCALENDAR\nVERSION:2.0\nCALSCALE:GREGORIAN\n"
	                   "BEGIN:VTIMEZONE\nTZID:Europe/\n Berlin\n"
	                   "END:VTIMEZONE\n" TZ(
	                       "Asia/Tokyo") "BEGIN:VTODO\nUID:2\nEND:VTODO\n"
	                                     "END:VCALENDAR\n") == 0);
	test_assert(add(m, "BEGIN:VCARD\r\nEND:VCARD\r\n") < 0);
	test_assert(add(m, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:3\r\n") < 0);
	ical_merge_finish(&m);
	test_assert(m == NULL);
	test_assert_str(
	    out.data,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" TZ(
	        "Europe/Berlin") "BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:one\r\n "
	                         "folded\r\n"
	                         "BEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:"
	                         "VALARM\r\n"
	                         "END:VEVENT\r\n" TZ(
	                             "Asia/Tokyo") "BEGIN:VTODO\r\nUID:"
	                                           "2\r\nEND:VTODO\r\n"
	                                           "END:VCALENDAR\r\n");
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_merge, NULL};
	return test_run(tests);
}
