/* Showing calendar entries (cal.h): agenda lines, days, a month grid and
 * JSON, all in local time. An all-day entry belongs to every day it
 * covers; a timed one to every day it touches. */
#include "cal.h"

#include "core/buf.h"
#include "core/pool.h"

#include <stdio.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *attendees_json(const struct ical_item *it)
{
	json_t *a = json_array();
	for (size_t i = 0; i < it->attendee_count; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s}", "address",
		                 it->attendees[i].address, "name",
		                 it->attendees[i].name, "partstat",
		                 it->attendees[i].partstat));
	return a;
}

static json_t *time_json(int64_t t, struct pool *pool)
{
	return t == ICAL_TIME_MIN || t == ICAL_TIME_MAX
	           ? json_null()
	           : json_string(pr_time_rfc3339((time_t)t, pool));
}

static const char *kind_name(enum ical_kind kind)
{
	switch (kind) {
	case ICAL_KIND_VEVENT:
		return "event";
	case ICAL_KIND_VTODO:
		return "task";
	case ICAL_KIND_VJOURNAL:
		return "journal";
	default:
		return "other";
	}
}

json_t *pr_cal_entry_json(const struct pr_cal_entry *e, struct pool *pool)
{
	const struct ical_item *it = &e->item;
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "uid", it->uid,
	              "kind", kind_name(it->kind), "summary", it->summary,
	              "calendar", e->collection, "name", e->name, "all_day",
	              it->is_all_day, "recurring", it->is_recurring);
	if (it->is_all_day && it->start != ICAL_TIME_MIN) {
		json_object_set_new(
		    o, "date",
		    json_string(pr_time_date((time_t)it->start, pool)));
		/* the end of an all-day entry is exclusive: its last day */
		json_object_set_new(
		    o, "last_date",
		    json_string(pr_time_date((time_t)it->end - 1, pool)));
	}
	json_object_set_new(o, "start", time_json(it->start, pool));
	json_object_set_new(o, "end", time_json(it->end, pool));
	json_object_set_new(o, "recurrence_id",
	                    time_json(it->recurrence_id, pool));
	json_object_set_new(o, "location", str_or_null(it->location));
	json_object_set_new(o, "description", str_or_null(it->description));
	json_object_set_new(o, "status", str_or_null(it->status));
	json_object_set_new(o, "rrule", str_or_null(it->rrule));
	json_object_set_new(o, "tzid", str_or_null(it->tzid));
	json_object_set_new(
	    o, "due",
	    it->is_due_date && it->due != ICAL_TIME_MIN
	        ? json_string(pr_time_date((time_t)it->due, pool))
	        : time_json(it->due, pool));
	json_object_set_new(o, "completed", time_json(it->completed, pool));
	json_object_set_new(o, "priority", json_integer(it->priority));
	json_object_set_new(o, "percent", json_integer(it->percent));
	json_t *alarms = json_array();
	for (size_t i = 0; i < it->alarm_count; i++)
		json_array_append_new(alarms, json_integer(it->alarms[i] / 60));
	json_object_set_new(o, "alarms", alarms);
	json_object_set_new(o, "organizer", str_or_null(it->organizer));
	json_object_set_new(o, "attendees", attendees_json(it));
	return o;
}

void pr_cal_entry_line(const struct pr_cal_entry *e, time_t day,
                       struct buf *out)
{
	const struct ical_item *it = &e->item;
	char from[6], to[6];
	time_t next = pr_day_add(day, 1);
	if (it->is_all_day || it->start == ICAL_TIME_MIN) {
		buf_append_str(out, "  all day     ");
	} else {
		/* an entry from or into another day shows where it cuts */
		pr_time_hhmm(it->start < day ? day : (time_t)it->start, from);
		if (it->end > it->start) {
			pr_time_hhmm(it->end > next ? next : (time_t)it->end,
			             to);
			if (it->end >= next)
				snprintf(to, sizeof(to), "24:00");
			buf_printf(out, "  %s-%s  ", from, to);
		} else {
			buf_printf(out, "  %s        ", from);
		}
	}
	buf_append_str(out,
	               it->summary[0] != '\0' ? it->summary : "(no title)");
	if (it->location[0] != '\0')
		buf_printf(out, "  (%s)", it->location);
	if (it->is_recurring)
		buf_append_str(out, "  [repeats]");
	buf_printf(out, "  %.8s\n", it->uid);
}

/* Does entry e fall on the local day [day, next)? */
static bool entry_on_day(const struct pr_cal_entry *e, time_t day, time_t next)
{
	const struct ical_item *it = &e->item;
	if (it->start == ICAL_TIME_MIN)
		return false;
	if (it->end > it->start)
		return it->start < next && it->end > day;
	return it->start >= day && it->start < next;
}

void pr_cal_agenda(const struct pr_cal_entry *entries, size_t count,
                   time_t from, int days, bool with_empty, struct buf *out)
{
	time_t day = from;
	for (int d = 0; d < days; d++) {
		time_t next = pr_day_add(day, 1);
		bool is_heading = false;
		char label[16];
		pr_time_day_label(day, label);
		if (with_empty) {
			buf_printf(out, "%s\n", label);
			is_heading = true;
		}
		/* all-day entries first, then by time (entries are sorted) */
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < count; i++) {
				if (entries[i].item.is_all_day != (pass == 0) ||
				    !entry_on_day(&entries[i], day, next))
					continue;
				if (!is_heading) {
					buf_printf(out, "%s\n", label);
					is_heading = true;
				}
				pr_cal_entry_line(&entries[i], day, out);
			}
		}
		day = next;
	}
}

void pr_cal_month_grid(const struct pr_cal_entry *entries, size_t count,
                       time_t month, struct buf *out)
{
	struct tm tm;
	localtime_r(&month, &tm);
	char title[32];
	strftime(title, sizeof(title), "%B %Y", &tm);
	buf_printf(out, "%*s\n", (int)(20 + strlen(title)) / 2, title);
	buf_append_str(out, "Mo  Tu  We  Th  Fr  Sa  Su\n");
	time_t next_month = pr_month_add(month, 1);
	int col = (tm.tm_wday + 6) % 7;
	for (int i = 0; i < col; i++)
		buf_append_str(out, "    ");
	for (time_t day = month; day < next_month; day = pr_day_add(day, 1)) {
		time_t next = pr_day_add(day, 1);
		bool is_busy = false;
		for (size_t i = 0; i < count && !is_busy; i++)
			is_busy = entry_on_day(&entries[i], day, next);
		localtime_r(&day, &tm);
		buf_printf(out, "%2d%c", tm.tm_mday, is_busy ? '*' : ' ');
		if (++col == 7) {
			col = 0;
			buf_append_str(out, "\n");
		} else {
			buf_append_str(out, " ");
		}
	}
	if (col != 0)
		buf_append_str(out, "\n");
}
