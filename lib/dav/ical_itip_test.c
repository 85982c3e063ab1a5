/* Unit tests for ical_itip.c (RFC 5546, RFC 6638 §7): the organizer and
 * attendees of an event (SCHEDULE-AGENT, PARTSTAT, overrides), the digest
 * that changes with what attendees must hear of and not with PARTSTAT or
 * SCHEDULE-STATUS, REQUEST and CANCEL from the organizer's copy, a REPLY
 * from the attendee's, the attendee's copy keeping its answer, a REPLY
 * applied to the organizer's copy, SCHEDULE-STATUS written, METHOD
 * refused in a stored resource but read in an iTIP message, the CANCEL to
 * attendees taken off (RFC 5546 §3.2.5), SEQUENCE raised, and a VTIMEZONE
 * for every TZID of a message (RFC 5545 §3.6.5). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "dav/ical_itip.h"
#include "test/test.h"

#include <string.h>

#define EVENT(extra, attendee_b)                                               \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"                \
	"BEGIN:VEVENT\r\nUID:ev-1\r\nDTSTAMP:20240101T000000Z\r\n"             \
	"DTSTART:20240110T100000Z\r\nDTEND:20240110T110000Z\r\n"               \
	"SUMMARY:Plan\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"                         \
	"ORGANIZER;CN=Ann:mailto:Ann@Example.test\r\n"                         \
	"ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.test\r\n"               \
	"ATTENDEE;CN=Bob;" attendee_b ":MAILTO:bob@example.test\r\n"           \
	"ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:cy@remote.test\r\n" extra       \
	"END:VEVENT\r\n"                                                       \
	"BEGIN:VEVENT\r\nUID:ev-1\r\nDTSTAMP:20240101T000000Z\r\n"             \
	"RECURRENCE-ID:20240111T100000Z\r\nDTSTART:20240111T120000Z\r\n"       \
	"DTEND:20240111T130000Z\r\nSUMMARY:Plan (later)\r\n"                   \
	"ORGANIZER:mailto:ann@example.test\r\n"                                \
	"ATTENDEE:mailto:bob@example.test\r\n"                                 \
	"ATTENDEE:mailto:dee@remote.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

static struct ical_object *parse(const char *text, bool allow_method)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = allow_method;
	struct pool *pool = pool_new();
	struct ical_object *obj = NULL;
	const char *error = NULL;
	if (ical_object_parse((const unsigned char *)text, strlen(text), &set,
	                      pool, &obj, &error) < 0)
		test_assert_str(error, "");
	pool_free(&pool);
	return obj;
}

static void test_read(void)
{
	test_begin("itip read");
	struct pool *pool = pool_new();
	struct ical_object *obj = parse(EVENT("", "PARTSTAT=TENTATIVE"), false);
	struct ical_itip it;
	ical_itip_read(obj, pool, &it);
	test_assert_str(it.uid, "ev-1");
	test_assert(it.method == NULL);
	test_assert_str(it.organizer, "ann@example.test");
	test_assert_str(it.organizer_name, "Ann");
	test_assert(it.is_organizer_server);
	test_assert_str(it.summary, "Plan");
	test_assert(!it.is_cancelled);
	test_assert_int(it.attendee_count, 4);
	const struct ical_itip_attendee *b =
	    ical_itip_attendee_find(&it, "BOB@example.test");
	test_assert(b != NULL && b->is_server);
	test_assert_str(b->partstat, "TENTATIVE");
	test_assert_str(b->name, "Bob");
	test_assert(!ical_itip_attendee_find(&it, "cy@remote.test")->is_server);
	test_assert_str(
	    ical_itip_attendee_find(&it, "dee@remote.test")->partstat,
	    "NEEDS-ACTION");
	test_assert(ical_itip_address("tel:+1", pool) == NULL);
	/* a PARTSTAT or SCHEDULE-STATUS does not change the digest; a time or
	 * the summary does */
	struct ical_itip it2;
	struct ical_object *o2 =
	    parse(EVENT("", "PARTSTAT=ACCEPTED;SCHEDULE-STATUS=2.0"), false);
	ical_itip_read(o2, pool, &it2);
	test_assert_str(it2.digest, it.digest);
	ical_object_free(&o2);
	o2 = parse(EVENT("LOCATION:Room 1\r\n", "PARTSTAT=TENTATIVE"), false);
	ical_itip_read(o2, pool, &it2);
	test_assert(strcmp(it2.digest, it.digest) != 0);
	ical_object_free(&o2);
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static void test_request_and_cancel(void)
{
	test_begin("itip request and cancel");
	struct pool *pool = pool_new();
	struct ical_object *obj =
	    parse(EVENT("SEQUENCE:4\r\n", "SCHEDULE-STATUS=1.2"), false);
	struct buf out;
	buf_init(&out);
	ical_itip_write_request(obj, "REQUEST", &out);
	test_assert(strstr(out.data, "METHOD:REQUEST\r\n") != NULL);
	test_assert(strstr(out.data, "SCHEDULE-") == NULL);
	/* a stored resource refuses METHOD; an iTIP message has it */
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *msg;
	const char *error;
	test_assert(ical_object_parse((const unsigned char *)out.data, out.len,
	                              &set, pool, &msg, &error) < 0);
	test_assert(strstr(error, "METHOD") != NULL);
	msg = parse(out.data, true);
	test_assert_str(ical_object_method(msg), "REQUEST");
	ical_object_free(&msg);
	buf_truncate(&out, 0);
	ical_itip_write_request(obj, "CANCEL", &out);
	msg = parse(out.data, true);
	struct ical_itip it;
	ical_itip_read(msg, pool, &it);
	test_assert_str(it.method, "CANCEL");
	test_assert(it.is_cancelled);
	test_assert(strstr(out.data, "SEQUENCE:5\r\n") != NULL);
	ical_object_free(&msg);
	/* RFC 5545 §3.6.1: DTSTART is required only without METHOD */
	const char *bare = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN"
	                   "\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:r\r\n"
	                   "DTSTAMP:20240101T000000Z\r\nEND:VEVENT\r\n"
	                   "END:VCALENDAR\r\n";
	set.allow_method = true;
	test_assert(ical_object_parse((const unsigned char *)bare, strlen(bare),
	                              &set, pool, &msg, &error) == 0);
	ical_object_free(&msg);
	const char *stored = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//"
	                     "EN\r\nBEGIN:VEVENT\r\nUID:r\r\n"
	                     "DTSTAMP:20240101T000000Z\r\nEND:VEVENT\r\n"
	                     "END:VCALENDAR\r\n";
	test_assert(ical_object_parse((const unsigned char *)stored,
	                              strlen(stored), &set, pool, &msg,
	                              &error) < 0);
	buf_deinit(&out);
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

static void test_reply(void)
{
	test_begin("itip reply, attendee copy, applied reply, status");
	struct pool *pool = pool_new();
	struct ical_object *org = parse(EVENT("", "RSVP=TRUE"), false);
	struct buf out;
	buf_init(&out);
	/* bob's copy, made from the request, keeps his answer */
	ical_itip_write_request(org, "REQUEST", &out);
	struct ical_object *req = parse(out.data, true);
	struct ical_object *old = parse(EVENT("", "PARTSTAT=DECLINED"), false);
	buf_truncate(&out, 0);
	ical_itip_write_attendee_copy(req, old, "bob@example.test", &out);
	test_assert(strstr(out.data, "METHOD") == NULL);
	struct ical_object *copy = parse(out.data, false);
	struct ical_itip it;
	ical_itip_read(copy, pool, &it);
	test_assert_str(
	    ical_itip_attendee_find(&it, "bob@example.test")->partstat,
	    "DECLINED");
	/* his reply names only him */
	buf_truncate(&out, 0);
	test_assert(ical_itip_write_reply(copy, "bob@example.test", "ACCEPTED",
	                                  &out) == 0);
	test_assert(ical_itip_write_reply(copy, "eve@example.test", "ACCEPTED",
	                                  &out) < 0);
	struct ical_object *reply = parse(out.data, true);
	ical_itip_read(reply, pool, &it);
	test_assert_str(it.method, "REPLY");
	test_assert_int(it.attendee_count, 1);
	test_assert_str(it.attendees[0].partstat, "ACCEPTED");
	test_assert_str(it.organizer, "ann@example.test");
	/* applied to ann's copy: bob accepted, in both components */
	buf_truncate(&out, 0);
	const char *who, *partstat;
	test_assert_int(
	    ical_itip_apply_reply(org, reply, pool, &who, &partstat, &out), 1);
	test_assert_str(who, "bob@example.test");
	test_assert_str(partstat, "ACCEPTED");
	struct ical_object *updated = parse(out.data, false);
	ical_itip_read(updated, pool, &it);
	test_assert_str(
	    ical_itip_attendee_find(&it, "bob@example.test")->partstat,
	    "ACCEPTED");
	test_assert(strstr(out.data, "SCHEDULE-STATUS=2.0") != NULL);
	/* a reply from someone not invited changes nothing */
	buf_truncate(&out, 0);
	ical_itip_write_reply(org, "cy@remote.test", "ACCEPTED", &out);
	struct ical_object *stranger = parse(out.data, true);
	const char *copy_of = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//"
	                      "EN\r\nBEGIN:VEVENT\r\nUID:ev-1\r\n"
	                      "DTSTART:20240110T100000Z\r\nEND:VEVENT\r\n"
	                      "END:VCALENDAR\r\n";
	struct ical_object *bare = parse(copy_of, false);
	buf_truncate(&out, 0);
	test_assert_int(
	    ical_itip_apply_reply(bare, stranger, pool, &who, &partstat, &out),
	    0);
	test_assert_int(out.len, 0);
	/* SCHEDULE-STATUS on the organizer's copy */
	const char *addrs[] = {"bob@example.test", "dee@remote.test"};
	const char *stats[] = {"1.2", "1.1"};
	ical_itip_write_status(org, addrs, stats, 2, &out);
	test_assert(strstr(out.data, "SCHEDULE-STATUS=1.2") != NULL);
	test_assert(strstr(out.data, "SCHEDULE-STATUS=1.1") != NULL);
	buf_truncate(&out, 0);
	ical_itip_write_cancelled(copy, &out);
	struct ical_object *cancelled = parse(out.data, false);
	ical_itip_read(cancelled, pool, &it);
	test_assert(it.is_cancelled);
	ical_object_free(&cancelled);
	ical_object_free(&bare);
	ical_object_free(&stranger);
	ical_object_free(&updated);
	ical_object_free(&reply);
	ical_object_free(&copy);
	ical_object_free(&old);
	ical_object_free(&req);
	ical_object_free(&org);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_uninvite_and_sequence(void)
{
	test_begin("itip uninvite and sequence");
	struct pool *pool = pool_new();
	struct ical_object *obj = parse(
	    EVENT("SEQUENCE:2\r\nSTATUS:CONFIRMED\r\n", "SCHEDULE-STATUS=1.2"),
	    false);
	struct ical_itip it;
	ical_itip_read(obj, pool, &it);
	test_assert_int(it.sequence, 2);
	struct buf out;
	buf_init(&out);
	/* dee is only in the override: the CANCEL names that instance */
	const char *gone[] = {"dee@remote.test"};
	test_assert_int(ical_itip_write_uninvite(obj, gone, 1, &out), 0);
	struct ical_object *msg = parse(out.data, true);
	ical_itip_read(msg, pool, &it);
	test_assert_str(it.method, "CANCEL");
	test_assert_int(it.attendee_count, 1);
	test_assert_str(it.attendees[0].address, "dee@remote.test");
	test_assert(strstr(out.data, "RECURRENCE-ID:20240111T100000Z") != NULL);
	test_assert(strstr(out.data, "RRULE") == NULL);
	test_assert(strstr(out.data, "SEQUENCE:1\r\n") != NULL);
	ical_object_free(&msg);
	/* bob is in both; RFC 5546 §3.2.5: no STATUS when uninviting */
	buf_truncate(&out, 0);
	const char *bob[] = {"bob@example.test"};
	test_assert_int(ical_itip_write_uninvite(obj, bob, 1, &out), 0);
	msg = parse(out.data, true);
	ical_itip_read(msg, pool, &it);
	test_assert_int(it.attendee_count, 1);
	test_assert_str(it.attendees[0].address, "bob@example.test");
	test_assert(!it.is_cancelled);
	test_assert(strstr(out.data, "\nSTATUS:") == NULL);
	test_assert(strstr(out.data, "SCHEDULE-") == NULL);
	test_assert(strstr(out.data, "SEQUENCE:3\r\n") != NULL);
	test_assert(strstr(out.data, "ORGANIZER") != NULL);
	ical_object_free(&msg);
	/* someone never invited: nothing */
	buf_truncate(&out, 0);
	const char *eve[] = {"eve@example.test"};
	test_assert_int(ical_itip_write_uninvite(obj, eve, 1, &out), -1);
	test_assert_int(out.len, 0);
	/* the organizer's revision */
	ical_itip_write_sequence(obj, 3, &out);
	msg = parse(out.data, false);
	ical_itip_read(msg, pool, &it);
	test_assert_int(it.sequence, 3);
	test_assert(strstr(out.data, "SEQUENCE:2\r\n") == NULL);
	ical_object_free(&msg);
	buf_deinit(&out);
	ical_object_free(&obj);
	pool_free(&pool);
	test_end();
}

#define ZONED(vtimezone)                                                       \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" vtimezone      \
	"BEGIN:VEVENT\r\nUID:tz-1\r\nDTSTAMP:20240101T000000Z\r\n"             \
	"DTSTART;TZID=America/New_York:20240110T100000\r\n"                    \
	"DTEND;TZID=America/New_York:20240110T110000\r\n"                      \
	"RRULE:FREQ=WEEKLY;COUNT=4\r\n"                                        \
	"EXDATE;TZID=Europe/Berlin:20240117T160000\r\n"                        \
	"ORGANIZER:mailto:ann@example.test\r\n"                                \
	"ATTENDEE:mailto:bob@example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

#define OWN_NY                                                                 \
	"BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nX-MINE:yes\r\n"           \
	"BEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n"                        \
	"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\n"     \
	"TZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"               \
	"DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n" \
	"TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n"           \
	"END:VTIMEZONE\r\n"

/* How many VTIMEZONEs of out have TZID tzid. */
static int zones_named(const char *out, const char *tzid)
{
	int n = 0;
	for (const char *p = strstr(out, "BEGIN:VTIMEZONE\r\n"); p != NULL;
	     p = strstr(p + 1, "BEGIN:VTIMEZONE\r\n")) {
		const char *id = strstr(p, "\r\nTZID:");
		size_t len = strlen(tzid);
		if (id != NULL && strncmp(id + 7, tzid, len) == 0 &&
		    id[7 + len] == '\r')
			n++;
	}
	return n;
}

static void test_timezones(void)
{
	test_begin("itip messages carry their VTIMEZONEs");
	struct pool *pool = pool_new();
	/* stored by reference (RFC 7809): no VTIMEZONE in the object */
	struct ical_object *obj = parse(ZONED(""), false);
	struct buf out;
	buf_init(&out);
	ical_itip_write_request(obj, "REQUEST", &out);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	test_assert_int(zones_named(out.data, "Europe/Berlin"), 1);
	/* before the event, and the message parses on its own */
	test_assert(strstr(out.data, "BEGIN:VTIMEZONE") <
	            strstr(out.data, "BEGIN:VEVENT"));
	struct ical_object *msg = parse(out.data, true);
	test_assert(msg != NULL);
	ical_object_free(&msg);
	buf_truncate(&out, 0);
	ical_itip_write_request(obj, "CANCEL", &out);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	buf_truncate(&out, 0);
	test_assert_int(
	    ical_itip_write_reply(obj, "bob@example.test", "ACCEPTED", &out),
	    0);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	msg = parse(out.data, true);
	ical_object_free(&msg);
	buf_truncate(&out, 0);
	const char *bob[] = {"bob@example.test"};
	test_assert_int(ical_itip_write_uninvite(obj, bob, 1, &out), 0);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	test_assert_int(zones_named(out.data, "Europe/Berlin"), 1);
	ical_object_free(&obj);
	/* the object's own VTIMEZONE is kept, not doubled */
	obj = parse(ZONED(OWN_NY), false);
	buf_truncate(&out, 0);
	ical_itip_write_request(obj, "REQUEST", &out);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	test_assert(strstr(out.data, "X-MINE:yes") != NULL);
	test_assert_int(zones_named(out.data, "Europe/Berlin"), 1);
	buf_truncate(&out, 0);
	ical_itip_write_reply(obj, "bob@example.test", "ACCEPTED", &out);
	test_assert_int(zones_named(out.data, "America/New_York"), 1);
	test_assert(strstr(out.data, "X-MINE:yes") != NULL);
	ical_object_free(&obj);
	/* UTC times need none */
	obj = parse(EVENT("", "RSVP=TRUE"), false);
	buf_truncate(&out, 0);
	ical_itip_write_request(obj, "REQUEST", &out);
	test_assert(strstr(out.data, "VTIMEZONE") == NULL);
	ical_object_free(&obj);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_read,      test_request_and_cancel,
	    test_reply,     test_uninvite_and_sequence,
	    test_timezones, NULL};
	return test_run(tests);
}
