/* JSCalendar to iCalendar (jmap_jscal.h): each member is checked as it
 * is written (the first that is wrong is named for invalidProperties);
 * recurrenceOverrides become EXDATE (excluded), RDATE (an empty patch) or
 * a component with RECURRENCE-ID holding the master patched by the
 * override; iCalProps lines come back as they were. Text is escaped
 * (RFC 5545 §3.3.11) and lines folded at 75 octets (§3.1) without
 * splitting a UTF-8 sequence. The caller validates the result as CalDAV
 * validates a PUT (lib/dav ical_object_parse). */
#include "core/buf.h"
#include "core/pool.h"
#include "jmap/jmap_jscal.h"
#include "jmap/jmap_method.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct jscal_writer {
	struct pool *pool;
	struct buf *out;
	const char *bad, *why;
	const char *zone; /* the master's timeZone, or NULL */
	bool is_date;
};

static int bad(struct jscal_writer *w, const char *prop, const char *why)
{
	if (w->bad == NULL) {
		w->bad = prop;
		w->why = why;
	}
	return -1;
}

/* Appends one content line, folded. */
static void line(struct jscal_writer *w, const char *text)
{
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		if (col >= 74 && (*p & 0xc0) != 0x80) {
			buf_append_str(w->out, "\r\n ");
			col = 1;
		}
		buf_append_char(w->out, (char)*p);
		col++;
	}
	buf_append_str(w->out, "\r\n");
}

static void text_escape(const char *s, struct buf *b)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == ';' || *s == ',')
			buf_append_char(b, '\\');
		if (*s == '\n')
			buf_append_str(b, "\\n");
		else if (*s != '\r')
			buf_append_char(b, *s);
	}
}

static void text_line(struct jscal_writer *w, const char *name,
                      const char *text)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s:", name);
	text_escape(text, &b);
	line(w, b.data);
	buf_deinit(&b);
}

static const char *str_member(struct jscal_writer *w, json_t *o,
                              const char *name)
{
	json_t *v = json_object_get(o, name);
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		bad(w, name, "must be a String");
		return NULL;
	}
	return json_string_value(v);
}

/* LocalDateTime "2024-01-10T10:00:00" as "20240110T100000" (a date when
 * is_date). NULL if it is not one. */
static const char *local_ical(struct jscal_writer *w, const char *s,
                              bool is_date)
{
	int y, mo, d, h, mi, sec;
	char tail;
	if (s == NULL || strlen(s) != 19 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec,
	           &tail) != 6 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return NULL;
	if (is_date)
		return pool_printf(w->pool, "%04d%02d%02d", y, mo, d);
	return pool_printf(w->pool, "%04d%02d%02dT%02d%02d%02d", y, mo, d, h,
	                   mi, sec);
}

/* NAME[;TZID=zone|;VALUE=DATE]:value of a LocalDateTime in the master's
 * zone. */
static int time_line(struct jscal_writer *w, const char *name,
                     const char *member, const char *local)
{
	const char *v = local_ical(w, local, w->is_date);
	if (v == NULL)
		return bad(w, member, "must be a LocalDateTime");
	if (w->is_date)
		line(w, pool_printf(w->pool, "%s;VALUE=DATE:%s", name, v));
	else if (w->zone == NULL)
		line(w, pool_printf(w->pool, "%s:%s", name, v));
	else if (strcmp(w->zone, "Etc/UTC") == 0 || strcmp(w->zone, "UTC") == 0)
		line(w, pool_printf(w->pool, "%s:%sZ", name, v));
	else
		line(w,
		     pool_printf(w->pool, "%s;TZID=%s:%s", name, w->zone, v));
	return 0;
}

/* A UTCDateTime "2024-01-10T10:00:00Z" as "20240110T100000Z". */
static const char *utc_ical(struct jscal_writer *w, const char *s)
{
	if (s == NULL || strlen(s) < 20 || s[strlen(s) - 1] != 'Z')
		return NULL;
	const char *v = local_ical(w, pool_strndup(w->pool, s, 19), false);
	return v != NULL ? pool_printf(w->pool, "%sZ", v) : NULL;
}

static bool is_duration(const char *s)
{
	if (s == NULL)
		return false;
	if (*s == '-')
		s++;
	return s[0] == 'P' && s[1] != '\0' &&
	       strspn(s, "PTWDHMS0123456789") == strlen(s);
}

static void upper_into(const char *s, struct buf *b)
{
	for (; *s != '\0'; s++)
		buf_append_char(
		    b, (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s);
}

static int rrule_write(struct jscal_writer *w, json_t *r, size_t idx)
{
	const char *where = pool_printf(w->pool, "recurrenceRules/%zu", idx);
	const char *freq = json_string_value(json_object_get(r, "frequency"));
	static const char *const freqs[] = {"yearly",   "monthly", "weekly",
	                                    "daily",    "hourly",  "minutely",
	                                    "secondly", NULL};
	if (!json_is_object(r) || freq == NULL || !jmap_str_in(freq, freqs))
		return bad(w, where, "needs a frequency");
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "RRULE:FREQ=");
	upper_into(freq, &b);
	json_t *v;
	if ((v = json_object_get(r, "interval")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 0)
		buf_printf(&b, ";INTERVAL=%lld",
		           (long long)json_integer_value(v));
	if ((v = json_object_get(r, "count")) != NULL && json_is_integer(v) &&
	    json_integer_value(v) > 0)
		buf_printf(&b, ";COUNT=%lld", (long long)json_integer_value(v));
	if ((v = json_object_get(r, "until")) != NULL) {
		const char *u = local_ical(w, json_string_value(v), w->is_date);
		if (u == NULL) {
			buf_deinit(&b);
			return bad(w, pool_printf(w->pool, "%s/until", where),
			           "must be a LocalDateTime");
		}
		/* UNTIL is in UTC when DTSTART has a zone (RFC 5545
		   §3.3.10); the local time is taken as UTC here */
		buf_printf(&b, ";UNTIL=%s%s", u,
		           w->zone != NULL && !w->is_date ? "Z" : "");
	}
	if ((v = json_object_get(r, "byDay")) != NULL) {
		buf_append_str(&b, ";BYDAY=");
		size_t i;
		json_t *d;
		json_array_foreach(v, i, d)
		{
			const char *day =
			    json_string_value(json_object_get(d, "day"));
			if (day == NULL || strlen(day) != 2) {
				buf_deinit(&b);
				return bad(w,
				           pool_printf(w->pool, "%s/byDay/%zu",
				                       where, i),
				           "needs a day");
			}
			if (i > 0)
				buf_append_char(&b, ',');
			json_t *nth = json_object_get(d, "nthOfPeriod");
			if (json_is_integer(nth))
				buf_printf(&b, "%lld",
				           (long long)json_integer_value(nth));
			upper_into(day, &b);
		}
	}
	static const struct {
		const char *js, *ical;
	} by[] = {{"byMonthDay", "BYMONTHDAY"}, {"byMonth", "BYMONTH"},
	          {"byYearDay", "BYYEARDAY"},   {"byWeekNo", "BYWEEKNO"},
	          {"byHour", "BYHOUR"},         {"byMinute", "BYMINUTE"},
	          {"bySecond", "BYSECOND"},     {"bySetPosition", "BYSETPOS"}};
	for (size_t k = 0; k < sizeof(by) / sizeof(*by); k++) {
		json_t *arr = json_object_get(r, by[k].js);
		if (arr == NULL)
			continue;
		buf_printf(&b, ";%s=", by[k].ical);
		size_t i;
		json_t *x;
		json_array_foreach(arr, i, x)
		{
			if (i > 0)
				buf_append_char(&b, ',');
			if (json_is_integer(x))
				buf_printf(&b, "%lld",
				           (long long)json_integer_value(x));
			else if (json_is_string(x))
				buf_append_str(&b, json_string_value(x));
		}
	}
	const char *wk =
	    json_string_value(json_object_get(r, "firstDayOfWeek"));
	if (wk != NULL) {
		buf_append_str(&b, ";WKST=");
		upper_into(wk, &b);
	}
	line(w, b.data);
	buf_deinit(&b);
	return 0;
}

static int participant_write(struct jscal_writer *w, const char *key, json_t *p)
{
	const char *where = pool_printf(w->pool, "participants/%s", key);
	const char *email = json_string_value(json_object_get(p, "email"));
	const char *imip = json_string_value(
	    json_object_get(json_object_get(p, "sendTo"), "imip"));
	const char *addr = imip != NULL ? imip
	                   : email != NULL
	                       ? pool_printf(w->pool, "mailto:%s", email)
	                       : NULL;
	if (!json_is_object(p) || addr == NULL)
		return bad(w, where, "needs email or sendTo/imip");
	json_t *roles = json_object_get(p, "roles");
	bool owner = json_is_true(json_object_get(roles, "owner"));
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, owner ? "ORGANIZER" : "ATTENDEE");
	const char *name = json_string_value(json_object_get(p, "name"));
	if (name != NULL && strpbrk(name, "\"\r\n") == NULL)
		buf_printf(&b, ";CN=\"%s\"", name);
	if (!owner) {
		buf_append_str(
		    &b, json_is_true(json_object_get(roles, "chair"))
		            ? ";ROLE=CHAIR"
		        : json_is_true(json_object_get(roles, "optional"))
		            ? ";ROLE=OPT-PARTICIPANT"
		        : json_is_true(json_object_get(roles, "informational"))
		            ? ";ROLE=NON-PARTICIPANT"
		            : ";ROLE=REQ-PARTICIPANT");
		const char *ps = json_string_value(
		    json_object_get(p, "participationStatus"));
		if (ps != NULL) {
			buf_append_str(&b, ";PARTSTAT=");
			upper_into(ps, &b);
		}
		json_t *rsvp = json_object_get(p, "expectReply");
		if (json_is_boolean(rsvp))
			buf_append_str(&b, json_is_true(rsvp) ? ";RSVP=TRUE"
			                                      : ";RSVP=FALSE");
	}
	buf_printf(&b, ":%s", addr);
	line(w, b.data);
	buf_deinit(&b);
	return 0;
}

static int alert_write(struct jscal_writer *w, const char *key, json_t *a)
{
	const char *where = pool_printf(w->pool, "alerts/%s/trigger", key);
	json_t *t = json_object_get(a, "trigger");
	const char *type = json_string_value(json_object_get(t, "@type"));
	const char *trigger = NULL;
	if (type != NULL && strcmp(type, "AbsoluteTrigger") == 0) {
		const char *when =
		    utc_ical(w, json_string_value(json_object_get(t, "when")));
		if (when != NULL)
			trigger = pool_printf(
			    w->pool, "TRIGGER;VALUE=DATE-TIME:%s", when);
	} else {
		const char *off =
		    json_string_value(json_object_get(t, "offset"));
		const char *rel =
		    json_string_value(json_object_get(t, "relativeTo"));
		if (is_duration(off))
			trigger =
			    pool_printf(w->pool, "TRIGGER%s:%s",
			                rel != NULL && strcmp(rel, "end") == 0
			                    ? ";RELATED=END"
			                    : "",
			                off);
	}
	if (trigger == NULL)
		return bad(w, where,
		           "must be an OffsetTrigger or "
		           "AbsoluteTrigger");
	const char *action = json_string_value(json_object_get(a, "action"));
	line(w, "BEGIN:VALARM");
	line(w, action != NULL && strcmp(action, "email") == 0
	            ? "ACTION:EMAIL"
	            : "ACTION:DISPLAY");
	line(w, trigger);
	line(w, "DESCRIPTION:Reminder");
	line(w, "END:VALARM");
	return 0;
}

/* The members of a map, each through fn. */
static int map_write(struct jscal_writer *w, json_t *o, const char *member,
                     int (*fn)(struct jscal_writer *, const char *, json_t *))
{
	json_t *map = json_object_get(o, member);
	if (map == NULL || json_is_null(map))
		return 0;
	if (!json_is_object(map))
		return bad(w, member, "must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(map, k, v)
	{
		if (fn(w, k, v) < 0)
			return -1;
	}
	return 0;
}

static int location_write(struct jscal_writer *w, const char *key, json_t *l)
{
	const char *name = json_string_value(json_object_get(l, "name"));
	if (name == NULL)
		return bad(w, pool_printf(w->pool, "locations/%s/name", key),
		           "must be a String");
	text_line(w, "LOCATION", name);
	return 0;
}

/* Scalar members of o as properties. */
static int scalars_write(struct jscal_writer *w, json_t *o, bool is_task)
{
	static const struct {
		const char *member, *name;
	} texts[] = {{"title", "SUMMARY"}, {"description", "DESCRIPTION"}};
	for (size_t i = 0; i < 2; i++) {
		const char *s = str_member(w, o, texts[i].member);
		if (w->bad != NULL)
			return -1;
		if (s != NULL)
			text_line(w, texts[i].name, s);
	}
	const char *start = str_member(w, o, "start");
	if (start != NULL && time_line(w, "DTSTART", "start", start) < 0)
		return -1;
	const char *due = is_task ? str_member(w, o, "due") : NULL;
	if (due != NULL && time_line(w, "DUE", "due", due) < 0)
		return -1;
	const char *dur =
	    str_member(w, o, is_task ? "estimatedDuration" : "duration");
	if (dur != NULL && !is_duration(dur))
		return bad(w, is_task ? "estimatedDuration" : "duration",
		           "must be a Duration");
	if (dur != NULL && (is_task || start != NULL))
		line(w, pool_printf(w->pool, "DURATION:%s", dur));
	const char *st = str_member(w, o, is_task ? "progress" : "status");
	const char *fb = str_member(w, o, "freeBusyStatus");
	const char *priv = str_member(w, o, "privacy");
	if (w->bad != NULL)
		return -1;
	struct buf b;
	buf_init(&b);
	if (st != NULL) {
		buf_append_str(&b, "STATUS:");
		upper_into(st, &b);
		line(w, b.data);
	}
	if (fb != NULL)
		line(w, strcmp(fb, "free") == 0 ? "TRANSP:TRANSPARENT"
		                                : "TRANSP:OPAQUE");
	if (priv != NULL) {
		buf_truncate(&b, 0);
		buf_append_str(&b, "CLASS:");
		upper_into(priv, &b);
		line(w, b.data);
	}
	buf_deinit(&b);
	static const struct {
		const char *member, *name;
		long long max;
	} ints[] = {{"priority", "PRIORITY", 9},
	            {"sequence", "SEQUENCE", 2147483647},
	            {"percentComplete", "PERCENT-COMPLETE", 100}};
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(o, ints[i].member);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > ints[i].max)
			return bad(w, ints[i].member, "out of range");
		line(w, pool_printf(w->pool, "%s:%lld", ints[i].name,
		                    (long long)json_integer_value(v)));
	}
	static const struct {
		const char *member, *name;
	} times[] = {{"created", "CREATED"}, {"updated", "LAST-MODIFIED"}};
	for (size_t i = 0; i < 2; i++) {
		const char *s = str_member(w, o, times[i].member);
		if (w->bad != NULL)
			return -1;
		if (s == NULL)
			continue;
		const char *v = utc_ical(w, s);
		if (v == NULL)
			return bad(w, times[i].member, "must be a UTCDateTime");
		line(w, pool_printf(w->pool, "%s:%s", times[i].name, v));
	}
	return 0;
}

static int keywords_write(struct jscal_writer *w, json_t *o)
{
	json_t *kw = json_object_get(o, "keywords");
	if (kw == NULL || json_is_null(kw))
		return 0;
	if (!json_is_object(kw))
		return bad(w, "keywords", "must be a String[Boolean]");
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "CATEGORIES:");
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach(kw, k, v)
	{
		if (n++ > 0)
			buf_append_char(&b, ',');
		text_escape(k, &b);
	}
	if (n > 0)
		line(w, b.data);
	buf_deinit(&b);
	return 0;
}

/* One component of kind name: o's members, RECURRENCE-ID rid (or NULL),
 * and for the master its rules and exdates/rdates. */
static int comp_write(struct jscal_writer *w, json_t *o, const char *kname,
                      const char *uid, const char *rid, json_t *overrides)
{
	bool is_task = strcmp(kname, "VTODO") == 0;
	line(w, pool_printf(w->pool, "BEGIN:%s", kname));
	text_line(w, "UID", uid);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "DTSTAMP:%Y%m%dT%H%M%SZ", &tm);
	line(w, stamp);
	if (rid != NULL &&
	    time_line(w, "RECURRENCE-ID", "recurrenceOverrides", rid) < 0)
		return -1;
	if (scalars_write(w, o, is_task) < 0 || keywords_write(w, o) < 0 ||
	    map_write(w, o, "locations", location_write) < 0 ||
	    map_write(w, o, "participants", participant_write) < 0)
		return -1;
	json_t *rules = json_object_get(o, "recurrenceRules");
	if (rid == NULL && rules != NULL && !json_is_null(rules)) {
		if (!json_is_array(rules))
			return bad(w, "recurrenceRules", "must be an array");
		size_t i;
		json_t *r;
		json_array_foreach(rules, i, r)
		{
			if (rrule_write(w, r, i) < 0)
				return -1;
		}
	}
	const char *k;
	json_t *v;
	json_object_foreach(overrides, k, v)
	{
		if (json_is_true(json_object_get(v, "excluded")) &&
		    time_line(w, "EXDATE", "recurrenceOverrides", k) < 0)
			return -1;
		if (json_is_object(v) && json_object_size(v) == 0 &&
		    time_line(w, "RDATE", "recurrenceOverrides", k) < 0)
			return -1;
	}
	json_t *raw = json_object_get(o, "iCalProps");
	size_t i;
	json_array_foreach(raw, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL || strpbrk(s, "\r\n") != NULL ||
		    strchr(s, ':') == NULL)
			return bad(w, pool_printf(w->pool, "iCalProps/%zu", i),
			           "must be a content line");
		line(w, s);
	}
	if (map_write(w, o, "alerts", alert_write) < 0)
		return -1;
	line(w, pool_printf(w->pool, "END:%s", kname));
	return 0;
}

/* The overrides that are patches: components with RECURRENCE-ID. */
static int overrides_write(struct jscal_writer *w, json_t *obj,
                           const char *kname, const char *uid, json_t *ov)
{
	const char *k;
	json_t *patch;
	json_object_foreach(ov, k, patch)
	{
		if (!json_is_object(patch))
			return bad(
			    w,
			    pool_printf(w->pool, "recurrenceOverrides/%s", k),
			    "must be a PatchObject");
		if (json_object_size(patch) == 0 ||
		    json_is_true(json_object_get(patch, "excluded")))
			continue;
		json_t *inst = json_deep_copy(obj);
		json_object_del(inst, "recurrenceRules");
		json_object_del(inst, "recurrenceOverrides");
		if (json_object_get(patch, "start") == NULL)
			json_object_set_new(inst, "start", json_string(k));
		const char *pk;
		json_t *pv;
		json_object_foreach(patch, pk, pv)
		{
			if (strchr(pk, '/') != NULL)
				continue; /* XXX deep patch paths not applied */
			if (json_is_null(pv))
				json_object_del(inst, pk);
			else
				json_object_set(inst, pk, pv);
		}
		int ret = comp_write(w, inst, kname, uid, k, NULL);
		json_decref(inst);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int jmap_jscal_to_ical(json_t *obj, const char *type, struct pool *pool,
                       struct buf *out, const char **prop_r,
                       const char **error_r)
{
	struct jscal_writer w = {.pool = pool, .out = out};
	size_t start = out->len;
	const char *t = json_string_value(json_object_get(obj, "@type"));
	const char *kname = strcmp(type, "Task") == 0    ? "VTODO"
	                    : strcmp(type, "Event") == 0 ? "VEVENT"
	                                                 : "VJOURNAL";
	const char *uid = json_string_value(json_object_get(obj, "uid"));
	json_t *ov = json_object_get(obj, "recurrenceOverrides");
	json_t *zone = json_object_get(obj, "timeZone");
	if (!json_is_object(obj) || (t != NULL && strcmp(t, type) != 0)) {
		bad(&w, "@type", "wrong type");
	} else if (uid == NULL) {
		bad(&w, "uid", "must be a String");
	} else if (zone != NULL && !json_is_null(zone) &&
	           (!json_is_string(zone) ||
	            strpbrk(json_string_value(zone), ";:\",\r\n") != NULL)) {
		bad(&w, "timeZone", "must be a time zone name");
	} else if (ov != NULL && !json_is_null(ov) && !json_is_object(ov)) {
		bad(&w, "recurrenceOverrides", "must be an object");
	} else {
		w.zone = json_string_value(zone);
		w.is_date =
		    json_is_true(json_object_get(obj, "showWithoutTime"));
		buf_append_str(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
		                    "PRODID:-//Postroom//JMAP//EN\r\n");
		if (comp_write(&w, obj, kname, uid, NULL, ov) == 0 &&
		    overrides_write(&w, obj, kname, uid, ov) == 0)
			buf_append_str(out, "END:VCALENDAR\r\n");
	}
	if (w.bad != NULL) {
		buf_truncate(out, start);
		*prop_r = w.bad;
		*error_r = w.why;
		return -1;
	}
	return 0;
}
