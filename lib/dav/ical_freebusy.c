/* Free-busy aggregation (RFC 4791 §7.10, RFC 5545 §3.6.4); see
 * ical_freebusy.h. */
#include "dav/ical_freebusy.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/ical_itip.h"
#include "dav/ical_private.h"

#include <stdlib.h>
#include <string.h>

enum fb_type { FB_BUSY, FB_TENTATIVE, FB_UNAVAILABLE, FB_TYPE_COUNT };

static const char *const fb_names[FB_TYPE_COUNT] = {"BUSY", "BUSY-TENTATIVE",
                                                    "BUSY-UNAVAILABLE"};

struct fb_period {
	int64_t start, end;
};

struct ical_freebusy {
	int64_t start, end;
	struct fb_period *periods[FB_TYPE_COUNT];
	size_t count[FB_TYPE_COUNT], cap[FB_TYPE_COUNT];
	size_t max_instances;
};

struct ical_freebusy *ical_freebusy_new(int64_t start, int64_t end)
{
	struct ical_freebusy *fb = xcalloc(1, sizeof(*fb));
	fb->start = start;
	fb->end = end;
	return fb;
}

void ical_freebusy_free(struct ical_freebusy **fb)
{
	struct ical_freebusy *f = *fb;
	if (f == NULL)
		return;
	for (size_t i = 0; i < FB_TYPE_COUNT; i++)
		free(f->periods[i]);
	free(f);
	*fb = NULL;
}

static void fb_add(struct ical_freebusy *fb, enum fb_type type, int64_t s,
                   int64_t e)
{
	if (s < fb->start)
		s = fb->start;
	if (e > fb->end)
		e = fb->end;
	if (e <= s)
		return;
	if (fb->count[type] == fb->cap[type]) {
		fb->cap[type] = fb->cap[type] == 0 ? 16 : fb->cap[type] * 2;
		fb->periods[type] =
		    xrealloc(fb->periods[type],
		             fb->cap[type] * sizeof(struct fb_period));
	}
	fb->periods[type][fb->count[type]++] = (struct fb_period){s, e};
}

struct fb_walk {
	struct ical_freebusy *fb;
	const icaltimezone *floating;
};

static int event_cb(const struct ical_instance *inst, void *ctx)
{
	struct fb_walk *w = ctx;
	icalcomponent *c = inst->comp;
	icalproperty *tp =
	    icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY);
	if (tp != NULL &&
	    icalproperty_get_transp(tp) == ICAL_TRANSP_TRANSPARENT)
		return 0;
	icalproperty *sp =
	    icalcomponent_get_first_property(c, ICAL_STATUS_PROPERTY);
	enum icalproperty_status st =
	    sp != NULL ? icalproperty_get_status(sp) : ICAL_STATUS_NONE;
	if (st == ICAL_STATUS_CANCELLED || inst->start == ICAL_TIME_MIN)
		return 0;
	int64_t end =
	    ical_time_add(inst->start, ical_comp_duration(c, w->floating));
	fb_add(w->fb, st == ICAL_STATUS_TENTATIVE ? FB_TENTATIVE : FB_BUSY,
	       inst->start, end);
	return 0;
}

static enum fb_type fb_type_of(icalproperty *p, bool *is_free_r)
{
	icalparameter *t =
	    icalproperty_get_first_parameter(p, ICAL_FBTYPE_PARAMETER);
	*is_free_r = false;
	switch (t != NULL ? icalparameter_get_fbtype(t) : ICAL_FBTYPE_BUSY) {
	case ICAL_FBTYPE_FREE:
		*is_free_r = true;
		return FB_BUSY;
	case ICAL_FBTYPE_BUSYTENTATIVE:
		return FB_TENTATIVE;
	case ICAL_FBTYPE_BUSYUNAVAILABLE:
		return FB_UNAVAILABLE;
	default:
		return FB_BUSY;
	}
}

static void freebusy_comp_add(struct ical_freebusy *fb, icalcomponent *c)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_FREEBUSY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_FREEBUSY_PROPERTY)) {
		bool is_free;
		enum fb_type type = fb_type_of(p, &is_free);
		if (is_free)
			continue;
		struct icalperiodtype per = icalproperty_get_freebusy(p);
		int64_t s = ical_time_utc(per.start, NULL);
		int64_t e = icaltime_is_null_time(per.end)
		                ? ical_time_add(
		                      s, icaldurationtype_as_int(per.duration))
		                : ical_time_utc(per.end, NULL);
		fb_add(fb, type, s, e);
	}
}

void ical_freebusy_add(struct ical_freebusy *fb, const struct ical_object *obj,
                       const struct ical_tz *floating)
{
	struct fb_walk w = {
	    .fb = fb, .floating = floating != NULL ? floating->zone : NULL};
	if (obj->libical_kind == ICAL_VEVENT_COMPONENT) {
		(void)ical_recur_each(obj->root, ICAL_VEVENT_COMPONENT,
		                      fb->start, fb->end, w.floating,
		                      obj->max_instances, event_cb, &w);
	} else if (obj->libical_kind == ICAL_VFREEBUSY_COMPONENT) {
		for (icalcomponent *c = icalcomponent_get_first_component(
		         obj->root, ICAL_VFREEBUSY_COMPONENT);
		     c != NULL; c = icalcomponent_get_next_component(
		                    obj->root, ICAL_VFREEBUSY_COMPONENT))
			freebusy_comp_add(fb, c);
	}
}

static int period_cmp(const void *a, const void *b)
{
	const struct fb_period *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void time_append(struct buf *out, int64_t t)
{
	char s[17];
	ical_time_format_utc(t, s);
	buf_append_str(out, s);
}

/* Appends one FREEBUSY line per type, folded at 75 octets. */
static void fb_type_write(struct ical_freebusy *fb, enum fb_type type,
                          struct buf *out)
{
	struct fb_period *p = fb->periods[type];
	size_t n = fb->count[type];
	if (n == 0)
		return;
	qsort(p, n, sizeof(*p), period_cmp);
	size_t m = 0;
	for (size_t i = 1; i < n; i++) {
		if (p[i].start <= p[m].end) {
			if (p[i].end > p[m].end)
				p[m].end = p[i].end;
		} else {
			p[++m] = p[i];
		}
	}
	n = m + 1;
	for (size_t i = 0; i < n; i++) {
		/* one property per period keeps every line short */
		buf_printf(out, "FREEBUSY;FBTYPE=%s:", fb_names[type]);
		time_append(out, p[i].start);
		buf_append_char(out, '/');
		time_append(out, p[i].end);
		buf_append_str(out, "\r\n");
	}
}

/* Appends DTSTART, DTEND and the FREEBUSY lines of fb. */
static void fb_body_write(struct ical_freebusy *fb, struct buf *out)
{
	buf_append_str(out, "DTSTART:");
	time_append(out, fb->start);
	buf_append_str(out, "\r\nDTEND:");
	time_append(out, fb->end);
	buf_append_str(out, "\r\n");
	for (size_t t = 0; t < FB_TYPE_COUNT; t++)
		fb_type_write(fb, t, out);
}

void ical_freebusy_write(struct ical_freebusy *fb, time_t now, struct buf *out)
{
	buf_append_str(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	                    "PRODID:-//Postroom//CalDAV//EN\r\n"
	                    "BEGIN:VFREEBUSY\r\nDTSTAMP:");
	time_append(out, (int64_t)now);
	buf_append_str(out, "\r\n");
	fb_body_write(fb, out);
	buf_append_str(out, "END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
}

/* Appends name:value: a TEXT value with its escapes (RFC 5545
 * §3.3.11), a URI (is_text false) as it is; control characters dropped;
 * folded at 75 octets (never inside a UTF-8 sequence). */
static void prop_write(struct buf *out, const char *name, const char *value,
                       bool is_text)
{
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "%s:", name);
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\n')
			continue;
		if (is_text && (*p == '\\' || *p == ';' || *p == ','))
			buf_append_char(&line, '\\');
		if (*p == '\n')
			buf_append_str(&line, is_text ? "\\n" : "");
		else
			buf_append_char(&line, *p);
	}
	size_t col = 0;
	for (size_t i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.data[i];
		if (col >= 74 && (c & 0xC0) != 0x80) {
			buf_append_str(out, "\r\n ");
			col = 1;
		}
		buf_append_char(out, (char)c);
		col++;
	}
	buf_append_str(out, "\r\n");
	buf_deinit(&line);
}

void ical_freebusy_write_reply(struct ical_freebusy *fb, time_t now,
                               const struct ical_fb_request *r,
                               const char *attendee, struct buf *out)
{
	buf_append_str(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	                    "PRODID:-//Postroom//CalDAV//EN\r\n"
	                    "METHOD:REPLY\r\nBEGIN:VFREEBUSY\r\n");
	prop_write(out, "UID", r->uid, true);
	buf_append_str(out, "DTSTAMP:");
	time_append(out, (int64_t)now);
	buf_append_str(out, "\r\n");
	prop_write(out, "ORGANIZER:mailto", r->organizer, false);
	prop_write(out, "ATTENDEE:mailto", attendee, false);
	fb_body_write(fb, out);
	buf_append_str(out, "END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
}

/* The mailto: addresses of the ATTENDEEs of c, into r. */
static void request_attendees(icalcomponent *c, struct pool *pool,
                              struct ical_fb_request *r)
{
	size_t n =
	    (size_t)icalcomponent_count_properties(c, ICAL_ATTENDEE_PROPERTY);
	r->attendees = pool_alloc(pool, (n + 1) * sizeof(*r->attendees));
	r->attendee_count = 0;
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
		const char *a =
		    ical_itip_address(icalproperty_get_attendee(p), pool);
		if (a != NULL)
			r->attendees[r->attendee_count++] = a;
	}
}

int ical_freebusy_request_read(const struct ical_object *obj, struct pool *pool,
                               struct ical_fb_request *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	icalproperty *m =
	    icalcomponent_get_first_property(obj->root, ICAL_METHOD_PROPERTY);
	if (m == NULL || icalproperty_get_method(m) != ICAL_METHOD_REQUEST ||
	    obj->libical_kind != ICAL_VFREEBUSY_COMPONENT)
		return (*error_r = "not a VFREEBUSY with METHOD:REQUEST", -1);
	icalcomponent *c = icalcomponent_get_first_component(
	    obj->root, ICAL_VFREEBUSY_COMPONENT);
	if (icalcomponent_get_next_component(obj->root,
	                                     ICAL_VFREEBUSY_COMPONENT) != NULL)
		return (*error_r = "more than one VFREEBUSY", -1);
	icalproperty *ds =
	    icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
	icalproperty *de =
	    icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY);
	if (ds == NULL || de == NULL)
		return (*error_r = "VFREEBUSY without DTSTART and DTEND", -1);
	r->start = ical_time_utc(
	    icalproperty_get_datetime_with_component(ds, c), NULL);
	r->end = ical_time_utc(icalproperty_get_datetime_with_component(de, c),
	                       NULL);
	if (r->end <= r->start)
		return (*error_r = "DTEND is not after DTSTART", -1);
	icalproperty *o =
	    icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY);
	r->organizer =
	    o != NULL ? ical_itip_address(icalproperty_get_organizer(o), pool)
	              : NULL;
	if (r->organizer == NULL)
		return (*error_r = "no mailto: ORGANIZER", -1);
	request_attendees(c, pool, r);
	if (r->attendee_count == 0)
		return (*error_r = "no mailto: ATTENDEE", -1);
	r->uid = pool_strdup(pool, obj->uid != NULL ? obj->uid : "");
	return 0;
}
