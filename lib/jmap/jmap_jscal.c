/* iCalendar to JSCalendar (jmap_jscal.h): the VCALENDAR is parsed by
 * libical (the resource was validated by lib/dav before it was stored);
 * the master VEVENT, VTODO or VJOURNAL becomes the object, each
 * RECURRENCE-ID component an entry of recurrenceOverrides holding the
 * members that differ from the master (a PatchObject of top-level
 * members, RFC 8984 §4.3.5), each EXDATE an excluded override. Local
 * times are written as LocalDateTime with the TZID as timeZone; UTC ones
 * with "Etc/UTC"; floating ones with timeZone null. */
#include "core/buf.h"
#include "core/pool.h"
#include "jmap/jmap_jscal.h"
#include "jmap/jmap_method.h"

#include <libical/ical.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static char *lower(struct pool *pool, const char *s)
{
	char *l = pool_strdup(pool, s);
	for (char *p = l; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/* "YYYY-MM-DDTHH:MM:SS" of t (a date gives midnight). */
static const char *local_str(struct pool *pool, struct icaltimetype t)
{
	return pool_printf(pool, "%04d-%02d-%02dT%02d:%02d:%02d", t.year,
	                   t.month, t.day, t.is_date ? 0 : t.hour,
	                   t.is_date ? 0 : t.minute, t.is_date ? 0 : t.second);
}

/* The zone of a date-time property: its TZID, "Etc/UTC", or NULL. */
static const char *zone_of(icalproperty *p, struct icaltimetype t)
{
	const char *tzid = icalproperty_get_parameter_as_string(p, "TZID");
	if (tzid != NULL)
		return tzid;
	return icaltime_is_utc(t) ? "Etc/UTC" : NULL;
}

/* A Duration (RFC 8984 §1.4.6) of secs seconds (not negative). */
static const char *duration_str(struct pool *pool, int64_t secs, bool neg)
{
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, neg ? "-P" : "P");
	if (secs >= 86400 * 7 && secs % (86400 * 7) == 0) {
		buf_printf(&b, "%lldW", (long long)(secs / (86400 * 7)));
		secs = 0;
	} else if (secs >= 86400) {
		buf_printf(&b, "%lldD", (long long)(secs / 86400));
		secs %= 86400;
	}
	if (secs > 0 || b.len == (size_t)(neg ? 2 : 1)) {
		buf_append_char(&b, 'T');
		if (secs >= 3600)
			buf_printf(&b, "%lldH", (long long)(secs / 3600));
		if (secs % 3600 >= 60)
			buf_printf(&b, "%lldM", (long long)(secs % 3600 / 60));
		if (secs % 60 != 0 || secs == 0)
			buf_printf(&b, "%lldS", (long long)(secs % 60));
	}
	const char *r = pool_strdup(pool, b.data);
	buf_deinit(&b);
	return r;
}

static const char *idur_str(struct pool *pool, struct icaldurationtype d)
{
	int secs = icaldurationtype_as_int(d);
	return duration_str(pool, secs < 0 ? -secs : secs, secs < 0);
}

/* An RRULE value ("FREQ=WEEKLY;BYDAY=MO,2TU;COUNT=5") as a
 * RecurrenceRule (RFC 8984 §4.3.3). */
static json_t *rrule_json(const char *value, struct pool *pool)
{
	json_t *r = json_pack("{s:s}", "@type", "RecurrenceRule");
	char *copy = pool_strdup(pool, value);
	for (char *part = strtok(copy, ";"); part != NULL;
	     part = strtok(NULL, ";")) {
		char *eq = strchr(part, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		const char *k = part, *v = eq + 1;
		if (strcasecmp(k, "FREQ") == 0) {
			json_object_set_new(r, "frequency",
			                    json_string(lower(pool, v)));
		} else if (strcasecmp(k, "INTERVAL") == 0 ||
		           strcasecmp(k, "COUNT") == 0) {
			json_object_set_new(r, lower(pool, k),
			                    json_integer(atoll(v)));
		} else if (strcasecmp(k, "UNTIL") == 0) {
			struct icaltimetype t = icaltime_from_string(v);
			json_object_set_new(r, "until",
			                    json_string(local_str(pool, t)));
		} else if (strcasecmp(k, "WKST") == 0) {
			json_object_set_new(r, "firstDayOfWeek",
			                    json_string(lower(pool, v)));
		} else if (strcasecmp(k, "BYDAY") == 0) {
			json_t *days = json_array();
			char *list = pool_strdup(pool, v), *save = NULL;
			for (char *d = strtok_r(list, ",", &save); d != NULL;
			     d = strtok_r(NULL, ",", &save)) {
				size_t n = strlen(d);
				json_t *nd = json_pack(
				    "{s:s, s:s}", "@type", "NDay", "day",
				    lower(pool, n >= 2 ? d + n - 2 : d));
				if (n > 2) {
					d[n - 2] = '\0';
					json_object_set_new(
					    nd, "nthOfPeriod",
					    json_integer(atoll(d)));
				}
				json_array_append_new(days, nd);
			}
			json_object_set_new(r, "byDay", days);
		} else {
			/* BYMONTHDAY=1,15 -> byMonthDay: [1, 15] */
			static const struct {
				const char *ical, *js;
				bool is_str;
			} by[] = {{"BYMONTHDAY", "byMonthDay", false},
			          {"BYMONTH", "byMonth", true},
			          {"BYYEARDAY", "byYearDay", false},
			          {"BYWEEKNO", "byWeekNo", false},
			          {"BYHOUR", "byHour", false},
			          {"BYMINUTE", "byMinute", false},
			          {"BYSECOND", "bySecond", false},
			          {"BYSETPOS", "bySetPosition", false}};
			for (size_t i = 0; i < sizeof(by) / sizeof(*by); i++) {
				if (strcasecmp(k, by[i].ical) != 0)
					continue;
				json_t *arr = json_array();
				char *list = pool_strdup(pool, v), *save = NULL;
				for (char *x = strtok_r(list, ",", &save);
				     x != NULL; x = strtok_r(NULL, ",", &save))
					json_array_append_new(
					    arr, by[i].is_str
					             ? json_string(x)
					             : json_integer(atoll(x)));
				json_object_set_new(r, by[i].js, arr);
			}
		}
	}
	return r;
}

static json_t *participant_json(icalproperty *p, bool is_organizer,
                                struct pool *pool)
{
	const char *addr = icalproperty_get_value_as_string(p);
	json_t *o = json_pack("{s:s, s:{s:s}}", "@type", "Participant",
	                      "sendTo", "imip", addr != NULL ? addr : "");
	if (addr != NULL && strncasecmp(addr, "mailto:", 7) == 0)
		json_object_set_new(o, "email", json_string(addr + 7));
	const char *cn = icalproperty_get_parameter_as_string(p, "CN");
	if (cn != NULL)
		json_object_set_new(o, "name", json_string(cn));
	json_t *roles = json_object();
	const char *role = icalproperty_get_parameter_as_string(p, "ROLE");
	if (is_organizer)
		json_object_set_new(roles, "owner", json_true());
	else if (role != NULL && strcasecmp(role, "CHAIR") == 0)
		json_object_set_new(roles, "chair", json_true());
	else if (role != NULL && strcasecmp(role, "OPT-PARTICIPANT") == 0)
		json_object_set_new(roles, "optional", json_true());
	else if (role != NULL && strcasecmp(role, "NON-PARTICIPANT") == 0)
		json_object_set_new(roles, "informational", json_true());
	else
		json_object_set_new(roles, "attendee", json_true());
	json_object_set_new(o, "roles", roles);
	const char *ps = icalproperty_get_parameter_as_string(p, "PARTSTAT");
	if (ps != NULL)
		json_object_set_new(o, "participationStatus",
		                    json_string(lower(pool, ps)));
	const char *rsvp = icalproperty_get_parameter_as_string(p, "RSVP");
	if (rsvp != NULL)
		json_object_set_new(
		    o, "expectReply",
		    json_boolean(strcasecmp(rsvp, "TRUE") == 0));
	return o;
}

static json_t *alert_json(icalcomponent *alarm, struct pool *pool)
{
	icalproperty *tp =
	    icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY);
	if (tp == NULL)
		return NULL;
	struct icaltriggertype tr = icalproperty_get_trigger(tp);
	json_t *trigger;
	if (!icaltime_is_null_time(tr.time)) {
		trigger = json_pack(
		    "{s:s, s:s}", "@type", "AbsoluteTrigger", "when",
		    pool_printf(pool, "%sZ", local_str(pool, tr.time)));
	} else {
		const char *rel =
		    icalproperty_get_parameter_as_string(tp, "RELATED");
		trigger = json_pack(
		    "{s:s, s:s, s:s}", "@type", "OffsetTrigger", "offset",
		    idur_str(pool, tr.duration), "relativeTo",
		    rel != NULL && strcasecmp(rel, "END") == 0 ? "end"
		                                               : "start");
	}
	icalproperty *ap =
	    icalcomponent_get_first_property(alarm, ICAL_ACTION_PROPERTY);
	const char *action =
	    ap != NULL ? icalproperty_get_value_as_string(ap) : "DISPLAY";
	return json_pack(
	    "{s:s, s:o, s:s}", "@type", "Alert", "trigger", trigger, "action",
	    strcasecmp(action, "EMAIL") == 0 ? "email" : "display");
}

/* Adds value under member (a map) with key prefix+n. */
static void map_add(json_t *obj, const char *member, const char *prefix,
                    json_t *value)
{
	json_t *map = json_object_get(obj, member);
	if (map == NULL) {
		map = json_object();
		json_object_set_new(obj, member, map);
	}
	char key[32];
	snprintf(key, sizeof(key), "%s%zu", prefix, json_object_size(map) + 1);
	json_object_set_new(map, key, value);
}

/* The content line of p, unfolded, without its line end. */
static const char *raw_line(icalproperty *p, struct pool *pool)
{
	char *text = icalproperty_as_ical_string_r(p);
	struct buf b;
	buf_init(&b);
	for (const char *s = text; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n' &&
		    (s[2] == ' ' || s[2] == '\t'))
			s += 2;
		else if (s[0] == '\n' && (s[1] == ' ' || s[1] == '\t'))
			s += 1;
		else if (*s != '\r' && *s != '\n')
			buf_append_char(&b, *s);
	}
	free(text);
	const char *r = pool_strdup(pool, b.data);
	buf_deinit(&b);
	return r;
}

static void time_prop(json_t *o, icalproperty *p, const char *member,
                      bool set_zone, struct pool *pool)
{
	struct icaltimetype t =
	    icalvalue_get_datetime(icalproperty_get_value(p));
	json_object_set_new(o, member, json_string(local_str(pool, t)));
	if (set_zone) {
		const char *z = zone_of(p, t);
		json_object_set_new(o, "timeZone",
		                    z != NULL ? json_string(z) : json_null());
		if (t.is_date)
			json_object_set_new(o, "showWithoutTime", json_true());
	}
}

static const char *utc_str(struct pool *pool, icalproperty *p)
{
	struct icaltimetype t =
	    icalvalue_get_datetime(icalproperty_get_value(p));
	return pool_printf(pool, "%sZ", local_str(pool, t));
}

/* One property of a component into o; false for one to keep raw. */
static bool prop_to_json(json_t *o, icalproperty *p, icalcomponent *comp,
                         icalproperty *dtstart, struct pool *pool)
{
	switch (icalproperty_isa(p)) {
	case ICAL_UID_PROPERTY:
		json_object_set_new(o, "uid",
		                    json_string(icalproperty_get_uid(p)));
		return true;
	case ICAL_SUMMARY_PROPERTY:
		json_object_set_new(o, "title",
		                    json_string(icalproperty_get_summary(p)));
		return true;
	case ICAL_DESCRIPTION_PROPERTY:
		json_object_set_new(
		    o, "description",
		    json_string(icalproperty_get_description(p)));
		return true;
	case ICAL_LOCATION_PROPERTY:
		map_add(o, "locations", "l",
		        json_pack("{s:s, s:s}", "@type", "Location", "name",
		                  icalproperty_get_location(p)));
		return true;
	case ICAL_DTSTART_PROPERTY:
		time_prop(o, p, "start", true, pool);
		return true;
	case ICAL_DUE_PROPERTY:
		time_prop(o, p, "due", false, pool);
		return true;
	case ICAL_DTEND_PROPERTY: {
		/* not looked up here: that would move the component's
		   property iterator the caller walks with */
		icalproperty *s = dtstart;
		if (s == NULL)
			return false;
		struct icaltimetype st = icalproperty_get_dtstart(s);
		struct icaltimetype en = icalproperty_get_dtend(p);
		if (icalproperty_get_parameter_as_string(s, "TZID") == NULL &&
		    icalproperty_get_parameter_as_string(p, "TZID") == NULL) {
			st.zone = en.zone = NULL;
		}
		int64_t d = (int64_t)icaltime_as_timet_with_zone(en, en.zone) -
		            (int64_t)icaltime_as_timet_with_zone(st, st.zone);
		json_object_set_new(
		    o, "duration",
		    json_string(duration_str(pool, d < 0 ? 0 : d, false)));
		return true;
	}
	case ICAL_DURATION_PROPERTY:
		json_object_set_new(
		    o,
		    icalcomponent_isa(comp) == ICAL_VTODO_COMPONENT
		        ? "estimatedDuration"
		        : "duration",
		    json_string(idur_str(pool, icalproperty_get_duration(p))));
		return true;
	case ICAL_STATUS_PROPERTY: {
		const char *v =
		    lower(pool, icalproperty_get_value_as_string(p));
		json_object_set_new(
		    o,
		    icalcomponent_isa(comp) == ICAL_VTODO_COMPONENT ? "progress"
		                                                    : "status",
		    json_string(v));
		return true;
	}
	case ICAL_PERCENTCOMPLETE_PROPERTY:
		json_object_set_new(
		    o, "percentComplete",
		    json_integer(icalproperty_get_percentcomplete(p)));
		return true;
	case ICAL_TRANSP_PROPERTY:
		json_object_set_new(
		    o, "freeBusyStatus",
		    json_string(strcasecmp(icalproperty_get_value_as_string(p),
		                           "TRANSPARENT") == 0
		                    ? "free"
		                    : "busy"));
		return true;
	case ICAL_CLASS_PROPERTY:
		json_object_set_new(
		    o, "privacy",
		    json_string(
		        lower(pool, icalproperty_get_value_as_string(p))));
		return true;
	case ICAL_PRIORITY_PROPERTY:
		json_object_set_new(o, "priority",
		                    json_integer(icalproperty_get_priority(p)));
		return true;
	case ICAL_SEQUENCE_PROPERTY:
		json_object_set_new(o, "sequence",
		                    json_integer(icalproperty_get_sequence(p)));
		return true;
	case ICAL_CREATED_PROPERTY:
		json_object_set_new(o, "created",
		                    json_string(utc_str(pool, p)));
		return true;
	case ICAL_LASTMODIFIED_PROPERTY:
		json_object_set_new(o, "updated",
		                    json_string(utc_str(pool, p)));
		return true;
	case ICAL_DTSTAMP_PROPERTY:
		return true; /* written anew */
	case ICAL_CATEGORIES_PROPERTY: {
		json_t *kw = json_object_get(o, "keywords");
		if (kw == NULL) {
			kw = json_object();
			json_object_set_new(o, "keywords", kw);
		}
		char *list = pool_strdup(pool, icalproperty_get_categories(p));
		char *save = NULL;
		for (char *k = strtok_r(list, ",", &save); k != NULL;
		     k = strtok_r(NULL, ",", &save))
			json_object_set_new(kw, k, json_true());
		return true;
	}
	case ICAL_RRULE_PROPERTY: {
		json_t *rules = json_object_get(o, "recurrenceRules");
		if (rules == NULL) {
			rules = json_array();
			json_object_set_new(o, "recurrenceRules", rules);
		}
		json_array_append_new(
		    rules,
		    rrule_json(icalproperty_get_value_as_string(p), pool));
		return true;
	}
	case ICAL_ORGANIZER_PROPERTY:
	case ICAL_ATTENDEE_PROPERTY:
		map_add(o, "participants", "p",
		        participant_json(
		            p, icalproperty_isa(p) == ICAL_ORGANIZER_PROPERTY,
		            pool));
		return true;
	default:
		return false;
	}
}

static json_t *comp_to_json(icalcomponent *comp, struct pool *pool)
{
	icalcomponent_kind k = icalcomponent_isa(comp);
	icalproperty *dtstart =
	    icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	json_t *o = json_pack("{s:s}", "@type",
	                      k == ICAL_VTODO_COMPONENT    ? "Task"
	                      : k == ICAL_VEVENT_COMPONENT ? "Event"
	                                                   : "JournalEntry");
	for (icalproperty *p =
	         icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		icalproperty_kind pk = icalproperty_isa(p);
		if (pk == ICAL_RECURRENCEID_PROPERTY ||
		    pk == ICAL_EXDATE_PROPERTY || pk == ICAL_RDATE_PROPERTY)
			continue; /* read with the overrides */
		if (prop_to_json(o, p, comp, dtstart, pool))
			continue;
		json_t *raw = json_object_get(o, "iCalProps");
		if (raw == NULL) {
			raw = json_array();
			json_object_set_new(o, "iCalProps", raw);
		}
		json_array_append_new(raw, json_string(raw_line(p, pool)));
	}
	for (icalcomponent *a =
	         icalcomponent_get_first_component(comp, ICAL_VALARM_COMPONENT);
	     a != NULL; a = icalcomponent_get_next_component(
	                    comp, ICAL_VALARM_COMPONENT)) {
		json_t *alert = alert_json(a, pool);
		if (alert != NULL)
			map_add(o, "alerts", "a", alert);
	}
	return o;
}

/* EXDATE and RDATE of master, and the RECURRENCE-ID components of vcal,
 * into master's recurrenceOverrides. */
static void overrides_read(json_t *master, icalcomponent *mcomp,
                           icalcomponent *vcal, icalcomponent_kind kind,
                           struct pool *pool)
{
	json_t *ov = json_object();
	for (icalproperty *p =
	         icalcomponent_get_first_property(mcomp, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(mcomp, ICAL_ANY_PROPERTY)) {
		if (icalproperty_isa(p) == ICAL_EXDATE_PROPERTY)
			json_object_set_new(
			    ov, local_str(pool, icalproperty_get_exdate(p)),
			    json_pack("{s:b}", "excluded", 1));
		else if (icalproperty_isa(p) == ICAL_RDATE_PROPERTY)
			json_object_set_new(
			    ov, local_str(pool, icalproperty_get_rdate(p).time),
			    json_object());
	}
	for (icalcomponent *c = icalcomponent_get_first_component(vcal, kind);
	     c != NULL; c = icalcomponent_get_next_component(vcal, kind)) {
		icalproperty *rid = icalcomponent_get_first_property(
		    c, ICAL_RECURRENCEID_PROPERTY);
		if (rid == NULL)
			continue;
		json_t *o = comp_to_json(c, pool);
		/* the patch: members that differ from the master's */
		json_t *patch = json_object();
		const char *key;
		json_t *v;
		json_object_foreach(o, key, v)
		{
			if (strcmp(key, "uid") != 0 &&
			    strcmp(key, "@type") != 0 &&
			    !json_equal(v, json_object_get(master, key)))
				json_object_set(patch, key, v);
		}
		json_object_foreach(master, key, v)
		{
			if (json_object_get(o, key) == NULL &&
			    strcmp(key, "recurrenceRules") != 0)
				json_object_set_new(patch, key, json_null());
		}
		json_decref(o);
		json_object_set_new(
		    ov, local_str(pool, icalproperty_get_recurrenceid(rid)),
		    patch);
	}
	if (json_object_size(ov) > 0)
		json_object_set_new(master, "recurrenceOverrides", ov);
	else
		json_decref(ov);
}

json_t *jmap_jscal_from_ical(const unsigned char *data, size_t size,
                             struct pool *pool)
{
	char *text = pool_strndup(pool, (const char *)data, size);
	icalcomponent *vcal = icalparser_parse_string(text);
	if (vcal == NULL)
		return NULL;
	json_t *out = NULL;
	static const icalcomponent_kind kinds[] = {ICAL_VEVENT_COMPONENT,
	                                           ICAL_VTODO_COMPONENT,
	                                           ICAL_VJOURNAL_COMPONENT};
	for (size_t i = 0; i < 3 && out == NULL; i++) {
		for (icalcomponent *c =
		         icalcomponent_get_first_component(vcal, kinds[i]);
		     c != NULL;
		     c = icalcomponent_get_next_component(vcal, kinds[i])) {
			if (icalcomponent_get_first_property(
			        c, ICAL_RECURRENCEID_PROPERTY) != NULL)
				continue;
			out = comp_to_json(c, pool);
			overrides_read(out, c, vcal, kinds[i], pool);
			break;
		}
	}
	icalcomponent_free(vcal);
	return out;
}
