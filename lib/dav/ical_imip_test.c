/* Tests for ical_imip.c with the exchange of RFC 5546 §4.2.1-§4.2.2 (an
 * organizer's REQUEST to three attendees, one attendee's REPLY): reading
 * the REQUEST, writing the REPLY (only the replying ATTENDEE, RFC 5546
 * §3.2.3), applying it to the organizer's copy, and the refusals (another
 * event, another sender, an older SEQUENCE, a non-attendee, no METHOD,
 * broken structure); an organizer's event written as REQUEST and CANCEL,
 * and each message with a VTIMEZONE for the TZID the stored event names
 * by reference (RFC 5545 §3.6.5, RFC 7809). */
#include "dav/ical_imip.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_item.h"
#include "test/test.h"

#include <string.h>

/* RFC 5546 §4.2.1, with the VCALENDAR's line ends as CRLF */
#define REQUEST_BODY                                                           \
	"BEGIN:VEVENT\r\n"                                                     \
	"ORGANIZER:mailto:a@example.com\r\n"                                   \
	"ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:a@example.com\r\n"       \
	"ATTENDEE;RSVP=TRUE;TYPE=INDIVIDUAL:mailto:b@example.com\r\n"          \
	"ATTENDEE;RSVP=TRUE;TYPE=INDIVIDUAL:mailto:c@example.com\r\n"          \
	"ATTENDEE;RSVP=TRUE;TYPE=INDIVIDUAL:mailto:d@example.com\r\n"          \
	"DTSTAMP:19970611T190000Z\r\n"                                         \
	"DTSTART:19970701T200000Z\r\n"                                         \
	"DTEND:19970701T2100000Z\r\n"                                          \
	"SUMMARY:Conference\r\n"                                               \
	"UID:calsrv.example.com-873970198738777@example.com\r\n"               \
	"SEQUENCE:0\r\n"                                                       \
	"STATUS:CONFIRMED\r\n"                                                 \
	"END:VEVENT\r\n"

static const char request[] =
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Example/ExampleCalendarClient//EN\r\n"
    "METHOD:REQUEST\r\n"
    "VERSION:2.0\r\n" REQUEST_BODY "END:VCALENDAR\r\n";

static int parse(const char *text, struct pool *pool, struct ical_imip *imip,
                 const char **error)
{
	struct ical_settings set;
	ical_settings_init(&set);
	return ical_imip_parse((const unsigned char *)text, strlen(text), &set,
	                       pool, imip, error);
}

static void test_request_reply(void)
{
	test_begin("ical_imip REQUEST, REPLY, applied to the organizer");
	struct pool *pool = pool_new();
	const char *error;
	struct ical_imip req;
	/* RFC 5546's example has a typo (DTEND with seven digits): fixed */
	char *text = pool_strdup(pool, request);
	char *typo = strstr(text, "2100000Z");
	memmove(typo + 6, typo + 7, strlen(typo + 7) + 1);
	test_assert_int(parse(text, pool, &req, &error), 0);
	test_assert_str(req.method, "REQUEST");
	struct ical_item item;
	ical_item_master(req.obj, NULL, pool, &item);
	test_assert_str(item.summary, "Conference");
	test_assert_str(item.organizer, "a@example.com");
	test_assert_int(item.attendee_count, 4);
	test_assert_str(item.attendees[1].partstat, "NEEDS-ACTION");
	test_assert(item.attendees[1].is_rsvp);

	/* what b keeps: a valid resource without METHOD */
	struct buf kept;
	buf_init(&kept);
	test_assert_int(ical_imip_object(&req, pool, &kept, &error), 0);
	test_assert(strstr(kept.data, "METHOD") == NULL);

	/* b's REPLY: only b, ACCEPTED */
	struct buf reply;
	buf_init(&reply);
	test_assert_int(ical_imip_reply(&req, "B@example.com", "ACCEPTED",
	                                876000000, pool, &reply, &error),
	                0);
	test_assert(strstr(reply.data, "METHOD:REPLY\r\n") != NULL);
	test_assert(strstr(reply.data, "PARTSTAT=ACCEPTED") != NULL);
	test_assert(strstr(reply.data, "mailto:b@example.com") != NULL);
	test_assert(strstr(reply.data, "mailto:c@example.com") == NULL);
	test_assert(strstr(reply.data, "ORGANIZER:mailto:a@example.com") !=
	            NULL);
	test_assert(strstr(reply.data, "RSVP") == NULL);
	test_assert_int(ical_imip_reply(&req, "x@example.com", "ACCEPTED",
	                                876000000, pool, &reply, &error),
	                -1);
	test_assert_str(error, "not invited");

	/* the organizer applies it to its copy */
	struct ical_imip rep;
	test_assert_int(parse(reply.data, pool, &rep, &error), 0);
	test_assert_str(rep.method, "REPLY");
	struct buf updated;
	buf_init(&updated);
	const char *who, *partstat;
	test_assert_int(ical_imip_apply_reply((const unsigned char *)kept.data,
	                                      kept.len, &rep, "b@EXAMPLE.com",
	                                      876000100, pool, &updated, &who,
	                                      &partstat, &error),
	                0);
	test_assert_str(who, "b@example.com");
	test_assert_str(partstat, "ACCEPTED");
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	test_assert_int(ical_object_parse((const unsigned char *)updated.data,
	                                  updated.len, &set, pool, &obj,
	                                  &error),
	                0);
	ical_item_master(obj, NULL, pool, &item);
	test_assert_str(item.attendees[1].address, "b@example.com");
	test_assert_str(item.attendees[1].partstat, "ACCEPTED");
	test_assert_str(item.attendees[2].partstat, "NEEDS-ACTION");
	ical_object_free(&obj);

	/* refusals: another sender, an older reply, another event */
	buf_truncate(&updated, 0);
	test_assert_int(
	    ical_imip_apply_reply((const unsigned char *)kept.data, kept.len,
	                          &rep, "mallory@example.com", 876000100, pool,
	                          &updated, &who, &partstat, &error),
	    -1);
	test_assert_str(error, "the sender is not the attendee");
	char *newer = pool_strdup(pool, kept.data);
	char *seq = strstr(newer, "SEQUENCE:0");
	seq[9] = '3';
	test_assert_int(ical_imip_apply_reply((const unsigned char *)newer,
	                                      strlen(newer), &rep, NULL,
	                                      876000100, pool, &updated, &who,
	                                      &partstat, &error),
	                -1);
	test_assert_str(error, "the reply is older than the event");
	char *other = pool_strdup(pool, kept.data);
	memcpy(strstr(other, "UID:calsrv"), "UID:xxxxxx", 10);
	test_assert_int(ical_imip_apply_reply((const unsigned char *)other,
	                                      strlen(other), &rep, NULL,
	                                      876000100, pool, &updated, &who,
	                                      &partstat, &error),
	                -1);
	test_assert_str(error, "the reply is for another event");
	test_assert_int(ical_imip_apply_reply((const unsigned char *)kept.data,
	                                      kept.len, &req, NULL, 876000100,
	                                      pool, &updated, &who, &partstat,
	                                      &error),
	                -1);
	test_assert_str(error, "not a REPLY");

	/* the organizer's event as REQUEST and CANCEL */
	struct buf msg;
	buf_init(&msg);
	test_assert_int(ical_imip_message((const unsigned char *)kept.data,
	                                  kept.len, "REQUEST", 876000200, pool,
	                                  &msg, &error),
	                0);
	test_assert(strstr(msg.data, "METHOD:REQUEST\r\n") != NULL);
	test_assert(strstr(msg.data, "SEQUENCE:0\r\n") != NULL);
	buf_truncate(&msg, 0);
	test_assert_int(ical_imip_message((const unsigned char *)kept.data,
	                                  kept.len, "CANCEL", 876000200, pool,
	                                  &msg, &error),
	                0);
	test_assert(strstr(msg.data, "METHOD:CANCEL\r\n") != NULL);
	test_assert(strstr(msg.data, "STATUS:CANCELLED\r\n") != NULL);
	test_assert(strstr(msg.data, "SEQUENCE:1\r\n") != NULL);
	ical_object_free(&req.obj);
	ical_object_free(&rep.obj);
	buf_deinit(&msg);
	buf_deinit(&kept);
	buf_deinit(&reply);
	buf_deinit(&updated);
	pool_free(&pool);
	test_end();
}

static void test_refused(void)
{
	test_begin("ical_imip refuses what is not an iTIP message");
	struct pool *pool = pool_new();
	const char *error;
	struct ical_imip imip;
	const char *bad[] = {
	    /* no METHOD: a plain calendar object */
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n",
	    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
	    "END:VCALENDAR\r\n",
	    "END:VEVENT\r\n",
	    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n",
	    "BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nBEGIN:VJOURNAL\r\nUID:1\r\n"
	    "END:VJOURNAL\r\nEND:VCALENDAR\r\n",
	    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1\r\n"
	    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:2\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n",
	    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nX:\x01\r\nEND:VCALENDAR\r\n",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		test_assert_idx(parse(bad[i], pool, &imip, &error) == -1, i);
		test_assert_idx(imip.obj == NULL, i);
	}
	pool_free(&pool);
	test_end();
}

static void test_timezones(void)
{
	test_begin("ical_imip messages carry their VTIMEZONE");
	struct pool *pool = pool_new();
	const char *event =
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
	    "BEGIN:VEVENT\r\nUID:tz-1\r\nDTSTAMP:20240101T000000Z\r\n"
	    "DTSTART;TZID=America/New_York:20240110T100000\r\n"
	    "DURATION:PT1H\r\nSUMMARY:Zoned\r\n"
	    "ORGANIZER:mailto:a@example.com\r\n"
	    "ATTENDEE:mailto:b@example.com\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n";
	const char *error = NULL;
	struct buf out;
	buf_init(&out);
	test_assert_int(ical_imip_message((const unsigned char *)event,
	                                  strlen(event), "REQUEST", 0, pool,
	                                  &out, &error),
	                0);
	test_assert(strstr(out.data, "BEGIN:VTIMEZONE\r\nTZID:America/"
	                             "New_York\r\n") != NULL);
	test_assert(strstr(out.data, "BEGIN:VTIMEZONE") <
	            strstr(out.data, "BEGIN:VEVENT"));
	struct ical_imip req;
	test_assert_int(parse(out.data, pool, &req, &error), 0);
	struct buf reply;
	buf_init(&reply);
	test_assert_int(ical_imip_reply(&req, "b@example.com", "ACCEPTED", 0,
	                                pool, &reply, &error),
	                0);
	test_assert(strstr(reply.data, "TZID:America/New_York\r\n") != NULL);
	/* kept once, not doubled */
	const char *first = strstr(reply.data, "BEGIN:VTIMEZONE");
	test_assert(first != NULL &&
	            strstr(first + 1, "BEGIN:VTIMEZONE") == NULL);
	ical_object_free(&req.obj);
	buf_deinit(&reply);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_freebusy(void)
{
	test_begin("ical_imip_freebusy periods of a VFREEBUSY");
	struct pool *pool = pool_new();
	/* RFC 5545 §3.6.4's second example, as a scheduling REPLY */
	const char *text =
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
	    "BEGIN:VFREEBUSY\r\nUID:19970901T095957Z-76A912@example.com\r\n"
	    "ORGANIZER:mailto:jane_doe@example.com\r\n"
	    "ATTENDEE:mailto:john_public@example.com\r\n"
	    "DTSTAMP:19970901T100000Z\r\n"
	    "FREEBUSY:19971015T050000Z/PT8H30M,19971015T160000Z/PT5H30M\r\n"
	    "FREEBUSY;FBTYPE=FREE:19971015T000000Z/19971015T050000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY-TENTATIVE:19971014T100000Z/19971014T110000Z"
	    "\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_busy *busy;
	size_t count;
	const char *error;
	test_assert_int(ical_imip_freebusy((const unsigned char *)text,
	                                   strlen(text), &set, pool, &busy,
	                                   &count, &error),
	                0);
	test_assert_int(count, 3);
	int64_t t;
	test_assert(ical_time_parse_utc("19971014T100000Z", &t) == 0 &&
	            busy[0].start == t);
	test_assert_str(busy[0].type, "BUSY-TENTATIVE");
	test_assert(ical_time_parse_utc("19971015T050000Z", &t) == 0 &&
	            busy[1].start == t);
	test_assert(busy[1].end == t + 8 * 3600 + 1800);
	test_assert_str(busy[1].type, "BUSY");
	test_assert(ical_imip_freebusy((const unsigned char *)"BEGIN:VEVENT",
	                               12, &set, pool, &busy, &count,
	                               &error) == -1);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_request_reply, test_refused, test_timezones,
	    test_freebusy,      NULL,
	};
	return test_run(tests);
}
