/* Unit tests for ical_freebusy.c (RFC 4791 §7.10): busy periods of
 * events and their recurrences in the range, TRANSPARENT and CANCELLED
 * left out, TENTATIVE as BUSY-TENTATIVE, periods clipped and merged,
 * VFREEBUSY components' FREEBUSY with FBTYPE; the iTIP VFREEBUSY REQUEST
 * read and its REPLY written (RFC 5546 §3.3.2, §3.3.3). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "dav/ical_freebusy.h"
#include "test/test.h"

#include <string.h>

#define CAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
#define CAL_END "END:VCALENDAR\r\n"

static void add(struct ical_freebusy *fb, const char *body, struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct buf text;
	buf_init(&text);
	buf_printf(&text, CAL_BEGIN "%s" CAL_END, body);
	struct ical_object *obj = NULL;
	const char *error = NULL;
	if (ical_object_parse((const unsigned char *)text.data, text.len, &set,
	                      pool, &obj, &error) < 0)
		test_assert_str(error, "");
	else
		ical_freebusy_add(fb, obj, NULL);
	ical_object_free(&obj);
	buf_deinit(&text);
}

static void test_freebusy(void)
{
	test_begin("freebusy aggregation");
	struct pool *pool = pool_new();
	int64_t s, e;
	test_assert(ical_time_parse_utc("20240108T000000Z", &s) == 0);
	test_assert(ical_time_parse_utc("20240110T000000Z", &e) == 0);
	struct ical_freebusy *fb = ical_freebusy_new(s, e);
	/* daily 09:00-10:00: the 8th and 9th in range */
	add(fb,
	    "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\n"
	    "DTEND:20240101T100000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
	    pool);
	/* overlaps the 9th's and extends it to 11:00 */
	add(fb,
	    "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240109T093000Z\r\n"
	    "DTEND:20240109T110000Z\r\nEND:VEVENT\r\n",
	    pool);
	add(fb,
	    "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20240108T120000Z\r\n"
	    "DURATION:PT1H\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n",
	    pool);
	add(fb,
	    "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20240108T130000Z\r\n"
	    "DURATION:PT1H\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n",
	    pool);
	add(fb,
	    "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240108T140000Z\r\n"
	    "DURATION:PT1H\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n",
	    pool);
	/* starts before the range: clipped */
	add(fb,
	    "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20240107T230000Z\r\n"
	    "DURATION:PT2H\r\nEND:VEVENT\r\n",
	    pool);
	add(fb,
	    "BEGIN:VFREEBUSY\r\nUID:g\r\nDTSTART:20240101T000000Z\r\n"
	    "DTEND:20240201T000000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240109T180000Z/PT1H\r\n"
	    "FREEBUSY;FBTYPE=FREE:20240109T190000Z/PT1H\r\n"
	    "END:VFREEBUSY\r\n",
	    pool);
	struct buf out;
	buf_init(&out);
	ical_freebusy_write(fb, 0, &out);
	test_assert_str(
	    out.data,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "PRODID:-//Postroom//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\n"
	    "DTSTAMP:19700101T000000Z\r\n"
	    "DTSTART:20240108T000000Z\r\nDTEND:20240110T000000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY:20240108T000000Z/20240108T010000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY:20240108T090000Z/20240108T100000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY:20240109T090000Z/20240109T110000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240108T140000Z/"
	    "20240108T150000Z\r\n"
	    "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240109T180000Z/"
	    "20240109T190000Z\r\n"
	    "END:VFREEBUSY\r\n" CAL_END);
	ical_freebusy_free(&fb);
	test_assert(fb == NULL);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

/* Reads body as an iTIP message. Returns ical_freebusy_request_read's. */
static int request_read(const char *body, struct pool *pool,
                        struct ical_fb_request *r, const char **error_r)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = true;
	struct ical_object *obj = NULL;
	int ret = -1;
	*error_r = "parse";
	if (ical_object_parse((const unsigned char *)body, strlen(body), &set,
	                      pool, &obj, error_r) == 0)
		ret = ical_freebusy_request_read(obj, pool, r, error_r);
	ical_object_free(&obj);
	return ret;
}

#define FB_REQ(method, props)                                                  \
	CAL_BEGIN "METHOD:" method "\r\nBEGIN:VFREEBUSY\r\nUID:u;1\r\n"        \
	          "DTSTAMP:20240101T000000Z\r\n" props                         \
	          "END:VFREEBUSY\r\n" CAL_END
#define FB_TIMES "DTSTART:20240108T000000Z\r\nDTEND:20240109T000000Z\r\n"

static void test_request(void)
{
	test_begin("freebusy request and reply");
	struct pool *pool = pool_new();
	struct ical_fb_request r;
	const char *error;
	test_assert(request_read(FB_REQ("REQUEST", FB_TIMES
	                                "ORGANIZER:mailto:A@x.test\r\n"
	                                "ATTENDEE:mailto:B@x.test\r\n"
	                                "ATTENDEE:urn:uuid:1\r\n"
	                                "ATTENDEE:mailto:c@y.test\r\n"),
	                         pool, &r, &error) == 0);
	test_assert_str(r.organizer, "a@x.test");
	test_assert(r.attendee_count == 2);
	test_assert_str(r.attendees[0], "b@x.test");
	test_assert_str(r.attendees[1], "c@y.test");
	test_assert_str(r.uid, "u;1");
	test_assert(r.end - r.start == 86400);
	struct ical_freebusy *fb = ical_freebusy_new(r.start, r.end);
	add(fb,
	    "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240108T090000Z\r\n"
	    "DTEND:20240108T100000Z\r\nSUMMARY:secret\r\nEND:VEVENT\r\n",
	    pool);
	struct buf out;
	buf_init(&out);
	ical_freebusy_write_reply(fb, 0, &r, "b@x.test", &out);
	test_assert_str(out.data,
	                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	                "PRODID:-//Postroom//CalDAV//EN\r\nMETHOD:REPLY\r\n"
	                "BEGIN:VFREEBUSY\r\nUID:u\\;1\r\n"
	                "DTSTAMP:19700101T000000Z\r\n"
	                "ORGANIZER:mailto:a@x.test\r\n"
	                "ATTENDEE:mailto:b@x.test\r\n" FB_TIMES
	                "FREEBUSY;FBTYPE=BUSY:20240108T090000Z/"
	                "20240108T100000Z\r\n"
	                "END:VFREEBUSY\r\n" CAL_END);
	ical_freebusy_free(&fb);
	buf_deinit(&out);
	/* what is no VFREEBUSY REQUEST */
	test_assert(request_read(FB_REQ("REPLY", FB_TIMES
	                                "ORGANIZER:mailto:a@x.test\r\n"
	                                "ATTENDEE:mailto:b@x.test\r\n"),
	                         pool, &r, &error) < 0);
	test_assert_str(error, "not a VFREEBUSY with METHOD:REQUEST");
	test_assert(
	    request_read(FB_REQ("REQUEST", "DTSTART:20240108T000000Z\r\n"
	                                   "ORGANIZER:mailto:a@x.test\r\n"
	                                   "ATTENDEE:mailto:b@x.test\r\n"),
	                 pool, &r, &error) < 0);
	test_assert_str(error, "VFREEBUSY without DTSTART and DTEND");
	test_assert(
	    request_read(FB_REQ("REQUEST", "DTSTART:20240109T000000Z\r\n"
	                                   "DTEND:20240108T000000Z\r\n"
	                                   "ORGANIZER:mailto:a@x.test\r\n"
	                                   "ATTENDEE:mailto:b@x.test\r\n"),
	                 pool, &r, &error) < 0);
	test_assert_str(error, "DTEND is not after DTSTART");
	test_assert(request_read(FB_REQ("REQUEST", FB_TIMES
	                                "ATTENDEE:mailto:b@x.test\r\n"),
	                         pool, &r, &error) < 0);
	test_assert_str(error, "no mailto: ORGANIZER");
	test_assert(request_read(FB_REQ("REQUEST", FB_TIMES
	                                "ORGANIZER:mailto:a@x.test\r\n"),
	                         pool, &r, &error) < 0);
	test_assert_str(error, "no mailto: ATTENDEE");
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_freebusy, test_request,
	                                      NULL};
	return test_run(tests);
}
