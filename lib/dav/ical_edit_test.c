/* Tests for ical_edit.c and ical_item.c: objects written from a few
 * fields (an event in Europe/Berlin with a weekly RRULE and an alarm, an
 * all-day event, a task, a journal entry) read back instance by instance
 * across a change of daylight saving time; the series changed, one
 * instance moved (an override, RFC 5545 §3.8.4.4), one taken out (EXDATE),
 * a task completed, a conflict copy, an attendee's PARTSTAT; and what is
 * refused. */
#include "dav/ical_edit.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_item.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(y, mo, d, h, mi) ((struct ical_when){true, false, y, mo, d, h, mi, 0})

/* 2024-03-25 09:00 UTC: Monday, the day after Berlin went to summer time */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	char s[17];
	snprintf(s, sizeof(s), "%04d%02d%02dT%02d%02d00Z", y, mo, d, h, mi);
	int64_t t;
	if (ical_time_parse_utc(s, &t) < 0)
		abort();
	return t;
}

struct seen {
	struct ical_item items[16];
	size_t count;
};

static int seen_cb(const struct ical_item *item, void *ctx)
{
	struct seen *s = ctx;
	if (s->count < 16)
		s->items[s->count++] = *item;
	return 0;
}

static struct seen *expand(const char *text, int64_t from, int64_t to,
                           const struct ical_tz *local, struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	const char *error;
	struct seen *s = pool_alloc(pool, sizeof(*s));
	memset(s, 0, sizeof(*s));
	if (ical_object_parse((const unsigned char *)text, strlen(text), &set,
	                      pool, &obj, &error) < 0) {
		test_assert_str(error, "(valid)");
		return s;
	}
	test_assert(ical_item_each(obj, from, to, local, pool, seen_cb, s) ==
	            0);
	ical_object_free(&obj);
	return s;
}

static void test_event_series(void)
{
	test_begin("ical_edit weekly event in Europe/Berlin");
	struct pool *pool = pool_new();
	struct ical_tz *berlin = ical_tz_builtin("Europe/Berlin");
	int64_t alarm = 15 * 60;
	struct ical_edit e = {.kind = ICAL_KIND_VEVENT,
	                      .uid = "weekly-1",
	                      .summary = "Team, weekly",
	                      .location = "Room 1",
	                      .start = T(2024, 3, 18, 10, 0),
	                      .duration = 3600,
	                      .tzid = "Europe/Berlin",
	                      .rrule = "FREQ=WEEKLY;COUNT=4",
	                      .has_alarms = true,
	                      .alarms = &alarm,
	                      .alarm_count = 1,
	                      .priority = -1,
	                      .percent = -1,
	                      .local = berlin,
	                      .now = 1700000000};
	struct buf out;
	buf_init(&out);
	const char *error;
	test_assert_int(ical_edit_new(&e, pool, &out, &error), 0);
	test_assert(strstr(out.data, "DTSTART;TZID=Europe/Berlin:"
	                             "20240318T100000\r\n") != NULL);
	test_assert(strstr(out.data, "BEGIN:VTIMEZONE\r\n") != NULL &&
	            strstr(out.data, "\r\nTZID:Europe/Berlin\r\n") != NULL);
	test_assert(strstr(out.data, "SUMMARY:Team\\, weekly\r\n") != NULL);
	test_assert(strstr(out.data, "TRIGGER:-PT15M\r\n") != NULL);
	test_assert(strstr(out.data, "SEQUENCE:0\r\n") != NULL);
	/* four Mondays at 10:00 Berlin: 09:00Z, then 08:00Z after 31 March */
	struct seen *s = expand(out.data, utc(2024, 3, 1, 0, 0),
	                        utc(2024, 5, 1, 0, 0), berlin, pool);
	test_assert_int(s->count, 4);
	test_assert(s->items[0].start == utc(2024, 3, 18, 9, 0));
	test_assert(s->items[1].start == utc(2024, 3, 25, 9, 0));
	test_assert(s->items[2].start == utc(2024, 4, 1, 8, 0));
	test_assert(s->items[2].end == utc(2024, 4, 1, 9, 0));
	test_assert_str(s->items[0].summary, "Team, weekly");
	test_assert_str(s->items[0].location, "Room 1");
	test_assert_str(s->items[0].tzid, "Europe/Berlin");
	test_assert(s->items[0].is_recurring);
	test_assert(s->items[1].recurrence_id == utc(2024, 3, 25, 9, 0));
	test_assert_int(s->items[0].alarm_count, 1);
	test_assert(s->items[0].alarms[0] == 900);
	test_assert_str(s->items[0].rrule, "FREQ=WEEKLY;COUNT=4");

	/* the whole series: a new summary, SEQUENCE up */
	struct ical_edit change = {.summary = "Team",
	                           .priority = -1,
	                           .percent = -1,
	                           .local = berlin,
	                           .now = 1700000100};
	struct buf v2;
	buf_init(&v2);
	test_assert_int(ical_edit_change((const unsigned char *)out.data,
	                                 out.len, &change, ICAL_TIME_MIN, pool,
	                                 &v2, &error),
	                0);
	test_assert(strstr(v2.data, "SEQUENCE:1\r\n") != NULL);
	s = expand(v2.data, utc(2024, 3, 1, 0, 0), utc(2024, 5, 1, 0, 0),
	           berlin, pool);
	test_assert_int(s->count, 4);
	test_assert_str(s->items[3].summary, "Team");

	/* one instance moved to 14:00 and renamed: an override */
	struct ical_edit move = {.summary = "Team (moved)",
	                         .start = T(2024, 3, 26, 14, 0),
	                         .tzid = "Europe/Berlin",
	                         .priority = -1,
	                         .percent = -1,
	                         .local = berlin,
	                         .now = 1700000200};
	struct buf v3;
	buf_init(&v3);
	test_assert_int(ical_edit_change((const unsigned char *)v2.data, v2.len,
	                                 &move, utc(2024, 3, 25, 9, 0), pool,
	                                 &v3, &error),
	                0);
	test_assert(strstr(v3.data, "RECURRENCE-ID;TZID=Europe/Berlin:"
	                            "20240325T100000\r\n") != NULL);
	s = expand(v3.data, utc(2024, 3, 1, 0, 0), utc(2024, 5, 1, 0, 0),
	           berlin, pool);
	test_assert_int(s->count, 4);
	bool moved = false;
	for (size_t i = 0; i < s->count; i++) {
		test_assert_idx(s->items[i].start != utc(2024, 3, 25, 9, 0), i);
		if (s->items[i].start == utc(2024, 3, 26, 13, 0)) {
			moved = true;
			test_assert_str(s->items[i].summary, "Team (moved)");
			/* the length stays an hour */
			test_assert(s->items[i].end == utc(2024, 3, 26, 14, 0));
			test_assert(s->items[i].recurrence_id ==
			            utc(2024, 3, 25, 9, 0));
		}
	}
	test_assert(moved);
	/* no instance there */
	struct buf bad;
	buf_init(&bad);
	test_assert_int(ical_edit_change((const unsigned char *)v2.data, v2.len,
	                                 &move, utc(2024, 3, 26, 9, 0), pool,
	                                 &bad, &error),
	                -1);
	test_assert_str(error, "no instance at that time");

	/* one instance taken out: the moved one, and a plain one */
	struct buf v4, v5;
	buf_init(&v4);
	buf_init(&v5);
	test_assert_int(ical_edit_exclude((const unsigned char *)v3.data,
	                                  v3.len, utc(2024, 3, 25, 9, 0),
	                                  berlin, 1700000300, pool, &v4,
	                                  &error),
	                0);
	test_assert(strstr(v4.data, "RECURRENCE-ID") == NULL);
	test_assert(strstr(v4.data, "EXDATE;TZID=Europe/Berlin:"
	                            "20240325T100000\r\n") != NULL);
	test_assert_int(ical_edit_exclude((const unsigned char *)v4.data,
	                                  v4.len, utc(2024, 4, 8, 8, 0), berlin,
	                                  1700000300, pool, &v5, &error),
	                0);
	s = expand(v5.data, utc(2024, 3, 1, 0, 0), utc(2024, 5, 1, 0, 0),
	           berlin, pool);
	test_assert_int(s->count, 2);

	/* the conflict copy: another UID in every component, labelled */
	struct buf copy;
	buf_init(&copy);
	test_assert_int(ical_edit_copy((const unsigned char *)v3.data, v3.len,
	                               "copy-1", " (conflict)", 1700000400,
	                               pool, &copy, &error),
	                0);
	test_assert(strstr(copy.data, "UID:weekly-1") == NULL);
	test_assert(strstr(copy.data, "SUMMARY:Team (moved) (conflict)") !=
	            NULL);
	test_assert(strstr(copy.data, "SUMMARY:Team (conflict)") != NULL);
	buf_deinit(&copy);
	buf_deinit(&bad);
	buf_deinit(&v2);
	buf_deinit(&v3);
	buf_deinit(&v4);
	buf_deinit(&v5);
	buf_deinit(&out);
	ical_tz_free(&berlin);
	pool_free(&pool);
	test_end();
}

static void test_all_day_task_journal(void)
{
	test_begin("ical_edit all-day event, task, journal entry");
	struct pool *pool = pool_new();
	struct ical_tz *berlin = ical_tz_builtin("Europe/Berlin");
	const char *error;
	struct buf out;
	buf_init(&out);
	struct ical_edit e = {
	    .kind = ICAL_KIND_VEVENT,
	    .uid = "holiday",
	    .summary = "Holiday",
	    .start = {.is_set = true, .is_date = true, 2024, 5, 1, 0, 0, 0},
	    .end = {.is_set = true, .is_date = true, 2024, 5, 2, 0, 0, 0},
	    .tzid = "Europe/Berlin",
	    .priority = -1,
	    .percent = -1,
	    .now = 1700000000};
	test_assert_int(ical_edit_new(&e, pool, &out, &error), 0);
	test_assert(strstr(out.data, "DTSTART;VALUE=DATE:20240501\r\n") !=
	            NULL);
	struct seen *s = expand(out.data, utc(2024, 4, 30, 0, 0),
	                        utc(2024, 5, 3, 0, 0), berlin, pool);
	test_assert_int(s->count, 1);
	test_assert(s->items[0].is_all_day);
	/* local midnight, a day long */
	test_assert(s->items[0].start == utc(2024, 4, 30, 22, 0));
	test_assert(s->items[0].end == utc(2024, 5, 1, 22, 0));

	/* a task due in UTC with a priority, then completed */
	buf_truncate(&out, 0);
	struct ical_edit t = {.kind = ICAL_KIND_VTODO,
	                      .uid = "task-1",
	                      .summary = "Write report",
	                      .due = T(2024, 5, 3, 17, 0),
	                      .priority = 1,
	                      .percent = -1,
	                      .now = 1700000000};
	test_assert_int(ical_edit_new(&t, pool, &out, &error), 0);
	test_assert(strstr(out.data, "DUE:20240503T170000Z\r\n") != NULL);
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	test_assert_int(ical_object_parse((const unsigned char *)out.data,
	                                  out.len, &set, pool, &obj, &error),
	                0);
	struct ical_item item;
	ical_item_master(obj, berlin, pool, &item);
	test_assert_int(item.kind, ICAL_KIND_VTODO);
	test_assert(item.due == utc(2024, 5, 3, 17, 0));
	test_assert(!item.is_due_date);
	test_assert_int(item.priority, 1);
	test_assert(item.completed == ICAL_TIME_MIN);
	ical_object_free(&obj);
	struct ical_edit done = {.is_completed = true,
	                         .priority = -1,
	                         .percent = -1,
	                         .now = 1714000000};
	struct buf v2;
	buf_init(&v2);
	test_assert_int(ical_edit_change((const unsigned char *)out.data,
	                                 out.len, &done, ICAL_TIME_MIN, pool,
	                                 &v2, &error),
	                0);
	test_assert_int(ical_object_parse((const unsigned char *)v2.data,
	                                  v2.len, &set, pool, &obj, &error),
	                0);
	ical_item_master(obj, berlin, pool, &item);
	test_assert_str(item.status, "COMPLETED");
	test_assert_int(item.percent, 100);
	test_assert(item.completed == 1714000000);
	ical_object_free(&obj);
	/* then due on a day: a DATE, the local day's start */
	struct ical_edit by_day = {
	    .due = {.is_set = true, .is_date = true, 2024, 5, 4, 0, 0, 0},
	    .priority = -1,
	    .percent = -1,
	    .now = 1714000000};
	buf_truncate(&out, 0);
	test_assert_int(ical_edit_change((const unsigned char *)v2.data, v2.len,
	                                 &by_day, ICAL_TIME_MIN, pool, &out,
	                                 &error),
	                0);
	test_assert(strstr(out.data, "DUE;VALUE=DATE:20240504\r\n") != NULL);
	test_assert_int(ical_object_parse((const unsigned char *)out.data,
	                                  out.len, &set, pool, &obj, &error),
	                0);
	ical_item_master(obj, berlin, pool, &item);
	test_assert(item.is_due_date);
	test_assert(item.due == utc(2024, 5, 3, 22, 0));
	ical_object_free(&obj);
	/* and no due date at all */
	struct ical_edit no_due = {.is_due_removed = true,
	                           .priority = -1,
	                           .percent = -1,
	                           .now = 1714000000};
	buf_truncate(&v2, 0);
	test_assert_int(ical_edit_change((const unsigned char *)out.data,
	                                 out.len, &no_due, ICAL_TIME_MIN, pool,
	                                 &v2, &error),
	                0);
	test_assert(strstr(v2.data, "DUE") == NULL);
	test_assert(strstr(v2.data, "SUMMARY:Write report") != NULL);

	/* a journal entry for a date, with lines */
	buf_truncate(&out, 0);
	struct ical_edit j = {
	    .kind = ICAL_KIND_VJOURNAL,
	    .uid = "journal-1",
	    .summary = "Tuesday",
	    .description = "First line\nSecond; line",
	    .start = {.is_set = true, .is_date = true, 2024, 5, 7, 0, 0, 0},
	    .priority = -1,
	    .percent = -1,
	    .now = 1700000000};
	test_assert_int(ical_edit_new(&j, pool, &out, &error), 0);
	test_assert(strstr(out.data, "BEGIN:VJOURNAL") != NULL);
	test_assert(strstr(out.data,
	                   "DESCRIPTION:First line\\nSecond\\; line") != NULL);
	test_assert_int(ical_object_parse((const unsigned char *)out.data,
	                                  out.len, &set, pool, &obj, &error),
	                0);
	ical_item_master(obj, berlin, pool, &item);
	test_assert_str(item.description, "First line\nSecond; line");
	test_assert(item.is_all_day);
	ical_object_free(&obj);
	buf_deinit(&v2);
	buf_deinit(&out);
	ical_tz_free(&berlin);
	pool_free(&pool);
	test_end();
}

static void test_refused_and_partstat(void)
{
	test_begin("ical_edit refusals, attendees and PARTSTAT");
	struct pool *pool = pool_new();
	const char *error;
	struct buf out;
	buf_init(&out);
	struct ical_edit e = {.kind = ICAL_KIND_VEVENT,
	                      .uid = "x",
	                      .summary = "x",
	                      .start = T(2024, 2, 30, 10, 0),
	                      .priority = -1,
	                      .percent = -1,
	                      .now = 1700000000};
	test_assert_int(ical_edit_new(&e, pool, &out, &error), -1);
	test_assert_str(error, "not a valid date or time");
	e.start = T(2024, 2, 29, 10, 0);
	e.rrule = "FREQ=SOMETIMES";
	test_assert_int(ical_edit_new(&e, pool, &out, &error), -1);
	e.rrule = "FREQ=SECONDLY";
	test_assert_int(ical_edit_new(&e, pool, &out, &error), -1);
	test_assert(strstr(error, "SECONDLY") != NULL);
	e.rrule = NULL;
	e.tzid = "Mars/Olympus_Mons";
	test_assert_int(ical_edit_new(&e, pool, &out, &error), -1);
	test_assert_str(error, "unknown time zone Mars/Olympus_Mons");
	e.tzid = NULL;
	e.status = "MAYBE";
	test_assert_int(ical_edit_new(&e, pool, &out, &error), -1);
	e.status = "TENTATIVE";
	const char *who[] = {"ann@example.org", "Bob@Example.NET"};
	e.organizer = "me@example.com";
	e.organizer_name = "Me, Myself";
	e.has_attendees = true;
	e.attendees = who;
	e.attendee_count = 2;
	test_assert_int(ical_edit_new(&e, pool, &out, &error), 0);
	test_assert(strstr(out.data, "ORGANIZER;CN=\"Me, Myself\":mailto:"
	                             "me@example.com") != NULL);
	test_assert(strstr(out.data, "PARTSTAT=NEEDS-ACTION") != NULL);
	struct buf v2;
	buf_init(&v2);
	test_assert_int(ical_edit_partstat((const unsigned char *)out.data,
	                                   out.len, "bob@example.net",
	                                   "accepted", 1700000001, pool, &v2,
	                                   &error),
	                1);
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	test_assert_int(ical_object_parse((const unsigned char *)v2.data,
	                                  v2.len, &set, pool, &obj, &error),
	                0);
	struct ical_item item;
	ical_item_master(obj, NULL, pool, &item);
	test_assert_int(item.attendee_count, 2);
	test_assert_str(item.attendees[0].partstat, "NEEDS-ACTION");
	test_assert(item.attendees[0].is_rsvp);
	test_assert_str(item.attendees[1].address, "Bob@Example.NET");
	test_assert_str(item.attendees[1].partstat, "ACCEPTED");
	test_assert_str(item.organizer, "me@example.com");
	test_assert_str(item.status, "TENTATIVE");
	ical_object_free(&obj);
	buf_truncate(&v2, 0);
	test_assert_int(ical_edit_partstat((const unsigned char *)out.data,
	                                   out.len, "eve@example.org",
	                                   "DECLINED", 1700000001, pool, &v2,
	                                   &error),
	                0);
	test_assert_int(ical_edit_partstat((const unsigned char *)out.data,
	                                   out.len, "ann@example.org", "MAYBE",
	                                   1700000001, pool, &v2, &error),
	                -1);
	buf_deinit(&v2);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_local_zone(void)
{
	test_begin("ical_tz_local from TZ");
	const char *name;
	setenv("TZ", ":America/New_York", 1);
	struct ical_tz *tz = ical_tz_local(&name);
	test_assert_str(name, "America/New_York");
	test_assert_int(ical_tz_offset(tz, utc(2024, 1, 15, 12, 0)), -5 * 3600);
	test_assert_int(ical_tz_offset(tz, utc(2024, 7, 15, 12, 0)), -4 * 3600);
	ical_tz_free(&tz);
	setenv("TZ", "Nowhere/Land", 1);
	tz = ical_tz_local(&name);
	test_assert_str(name, "UTC");
	test_assert_int(ical_tz_offset(tz, utc(2024, 7, 15, 12, 0)), 0);
	ical_tz_free(&tz);
	unsetenv("TZ");
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_event_series,
	    test_all_day_task_journal,
	    test_refused_and_partstat,
	    test_local_zone,
	    NULL,
	};
	return test_run(tests);
}
