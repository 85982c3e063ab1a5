/* iMIP for a client (ical_imip.h): an iTIP object read with libical after
 * the checks that keep libical quiet and bounded (UTF-8 text, BEGIN and
 * END lines that nest, a size and component limit), then REQUEST, CANCEL
 * and REPLY messages written from it, and a REPLY's PARTSTAT carried into
 * the organizer's event (RFC 5546 §3.2.3, RFC 6047 §3.2). */
#include "dav/ical_imip.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/ical_private.h"
#include "http/http_path.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMIP_NESTING_MAX 8

/* RFC 5545 §3.4: BEGIN and END lines nest and match; only one object.
 * Returns NULL or the reason. */
static const char *imip_structure(const char *text)
{
	size_t depth = 0, tops = 0;
	char stack[IMIP_NESTING_MAX][32];
	for (const char *line = text; *line != '\0';) {
		size_t len = strcspn(line, "\r\n");
		const char *next = line + len;
		next += *next == '\r';
		next += *next == '\n';
		bool is_begin = len > 6 && strncasecmp(line, "BEGIN:", 6) == 0;
		bool is_end = len > 4 && strncasecmp(line, "END:", 4) == 0;
		if (strncasecmp(line, "BEGIN", 5) == 0 && !is_begin)
			return "bad BEGIN line";
		if (strncasecmp(line, "END", 3) == 0 && !is_end &&
		    (len == 3 || line[3] == ';' || line[3] == ':'))
			return "bad END line";
		if (is_begin) {
			if (depth == IMIP_NESTING_MAX || len - 6 >= 32)
				return "components nested too deeply";
			if (depth == 0 && tops++ > 0)
				return "more than one VCALENDAR";
			memcpy(stack[depth], line + 6, len - 6);
			stack[depth++][len - 6] = '\0';
		} else if (is_end) {
			if (depth == 0 || strlen(stack[depth - 1]) != len - 4 ||
			    strncasecmp(stack[depth - 1], line + 4, len - 4) !=
			        0)
				return "END without its BEGIN";
			depth--;
		} else if (depth == 0 && len > 0) {
			return "text outside the VCALENDAR";
		}
		line = next;
	}
	return depth > 0 || tops == 0 ? "not an iCalendar object" : NULL;
}

static bool imip_is_text(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if ((data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' &&
		     data[i] != '\r') ||
		    data[i] == 0x7f)
			return false;
	return http_path_is_utf8(data, size);
}

/* Fills obj's kind and UID from the components of root. Returns NULL or
 * the reason. */
static const char *imip_check(struct ical_object *obj)
{
	size_t count = 0;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, ICAL_ANY_COMPONENT);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k = icalcomponent_isa(c);
		if (k == ICAL_VTIMEZONE_COMPONENT || k == ICAL_X_COMPONENT)
			continue;
		if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT)
			return "not an event or a task";
		if (obj->libical_kind != ICAL_NO_COMPONENT &&
		    obj->libical_kind != k)
			return "components of more than one kind";
		obj->libical_kind = k;
		obj->kind = k == ICAL_VEVENT_COMPONENT ? ICAL_KIND_VEVENT
		                                       : ICAL_KIND_VTODO;
		const char *uid = icalcomponent_get_uid(c);
		if (uid == NULL || uid[0] == '\0')
			return "a component without UID";
		if (obj->uid == NULL)
			obj->uid = xstrdup(uid);
		else if (strcmp(obj->uid, uid) != 0)
			return "components with different UIDs";
		if (icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) !=
		        NULL ||
		    icalcomponent_get_first_property(
		        c, ICAL_RECURRENCEID_PROPERTY) != NULL)
			obj->is_recurring = true;
		if (++count > ICAL_DEFAULT_MAX_COMPONENTS)
			return "too many components";
	}
	return obj->libical_kind == ICAL_NO_COMPONENT ? "no event or task"
	                                              : NULL;
}

int ical_imip_parse(const unsigned char *data, size_t size,
                    const struct ical_settings *set, struct pool *pool,
                    struct ical_imip *imip_r, const char **error_r)
{
	ical_init();
	*imip_r = (struct ical_imip){0};
	if (size > set->max_size || !imip_is_text(data, size)) {
		*error_r = "not iCalendar text";
		return -1;
	}
	char *text = pool_strndup(pool, (const char *)data, size);
	const char *why = imip_structure(text);
	icalcomponent *root =
	    why == NULL ? icalparser_parse_string(text) : NULL;
	if (root == NULL) {
		*error_r = pool_printf(pool, "invalid iCalendar: %s",
		                       why != NULL ? why : "unparsable");
		return -1;
	}
	icalproperty *m =
	    icalcomponent_get_first_property(root, ICAL_METHOD_PROPERTY);
	const char *method =
	    icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT && m != NULL
	        ? icalproperty_get_value_as_string(m)
	        : NULL;
	struct ical_object *obj = xcalloc(1, sizeof(*obj));
	obj->root = root;
	obj->libical_kind = ICAL_NO_COMPONENT;
	obj->max_instances = set->max_instances;
	why = method == NULL ? "no METHOD (RFC 5546 3.1)" : imip_check(obj);
	if (why != NULL) {
		*error_r = pool_printf(pool, "invalid iTIP message: %s", why);
		ical_object_free(&obj);
		return -1;
	}
	imip_r->method = pool_strdup(pool, method);
	for (char *p = (char *)imip_r->method; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	icalcomponent_remove_property(root, m);
	icalproperty_free(m);
	imip_r->obj = obj;
	return 0;
}

/* Writes root and checks it as a calendar resource. */
static int imip_resource(icalcomponent *root, struct pool *pool,
                         struct buf *out, const char **error_r)
{
	char *text = icalcomponent_as_ical_string_r(root);
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	int ret = ical_object_parse((const unsigned char *)text, strlen(text),
	                            &set, pool, &obj, error_r);
	if (ret == 0)
		buf_append_str(out, text);
	ical_object_free(&obj);
	free(text);
	return ret;
}

int ical_imip_object(const struct ical_imip *imip, struct pool *pool,
                     struct buf *out, const char **error_r)
{
	return imip_resource(imip->obj->root, pool, out, error_r);
}

static void prop_remove_all(icalcomponent *c, icalproperty_kind kind)
{
	icalproperty *p;
	while ((p = icalcomponent_get_first_property(c, kind)) != NULL) {
		icalcomponent_remove_property(c, p);
		icalproperty_free(p);
	}
}

static struct icaltimetype utc_now(time_t now)
{
	return icaltime_from_timet_with_zone(now, 0,
	                                     icaltimezone_get_utc_timezone());
}

static void stamp(icalcomponent *c, time_t now)
{
	prop_remove_all(c, ICAL_DTSTAMP_PROPERTY);
	icalcomponent_add_property(c, icalproperty_new_dtstamp(utc_now(now)));
}

/* The message's text: METHOD, and a VTIMEZONE for each TZID (RFC 5545
 * §3.6.5: the object in the calendar may have named a system zone). */
static char *message_text(icalcomponent *root, icalcomponent_kind kind,
                          const char *method)
{
	ical_itip_zones_complete(root, kind);
	icalcomponent_add_property(
	    root,
	    icalproperty_new_method(icalproperty_string_to_method(method)));
	return icalcomponent_as_ical_string_r(root);
}

int ical_imip_message(const unsigned char *data, size_t size,
                      const char *method, time_t now, struct pool *pool,
                      struct buf *out, const char **error_r)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	if (ical_object_parse(data, size, &set, pool, &obj, error_r) < 0)
		return -1;
	bool is_cancel = strcasecmp(method, "CANCEL") == 0;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, obj->libical_kind);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, obj->libical_kind)) {
		stamp(c, now);
		/* RFC 5546 §3.2.5: a CANCEL says so in STATUS, with the
		 * next SEQUENCE, as the server's own CANCEL (ical_itip) */
		if (is_cancel) {
			prop_remove_all(c, ICAL_STATUS_PROPERTY);
			icalcomponent_add_property(
			    c, icalproperty_new_status(ICAL_STATUS_CANCELLED));
			icalcomponent_set_sequence(
			    c, icalcomponent_get_sequence(c) + 1);
		}
	}
	char *text = message_text(obj->root, obj->libical_kind, method);
	buf_append_str(out, text);
	free(text);
	ical_object_free(&obj);
	return 0;
}

static bool is_address(const char *value, const char *address)
{
	if (value == NULL || address == NULL)
		return false;
	if (strncasecmp(value, "mailto:", 7) == 0)
		value += 7;
	if (strncasecmp(address, "mailto:", 7) == 0)
		address += 7;
	return strcasecmp(value, address) == 0;
}

static icalparameter_partstat partstat_parse(const char *str)
{
	if (strcasecmp(str, "ACCEPTED") == 0)
		return ICAL_PARTSTAT_ACCEPTED;
	if (strcasecmp(str, "DECLINED") == 0)
		return ICAL_PARTSTAT_DECLINED;
	if (strcasecmp(str, "TENTATIVE") == 0)
		return ICAL_PARTSTAT_TENTATIVE;
	if (strcasecmp(str, "NEEDS-ACTION") == 0)
		return ICAL_PARTSTAT_NEEDSACTION;
	if (strcasecmp(str, "DELEGATED") == 0)
		return ICAL_PARTSTAT_DELEGATED;
	return ICAL_PARTSTAT_NONE;
}

/* Keeps only attendee's ATTENDEE in c, with partstat. Returns whether it
 * was there. */
static bool reply_attendee(icalcomponent *c, const char *attendee,
                           icalparameter_partstat partstat)
{
	bool is_found = false;
	icalproperty *p =
	    icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	while (p != NULL) {
		icalproperty *next =
		    icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY);
		if (is_address(icalproperty_get_attendee(p), attendee) &&
		    !is_found) {
			icalproperty_remove_parameter_by_kind(
			    p, ICAL_PARTSTAT_PARAMETER);
			icalproperty_remove_parameter_by_kind(
			    p, ICAL_RSVP_PARAMETER);
			icalproperty_add_parameter(
			    p, icalparameter_new_partstat(partstat));
			is_found = true;
		} else {
			icalcomponent_remove_property(c, p);
			icalproperty_free(p);
		}
		p = next;
	}
	return is_found;
}

int ical_imip_reply(const struct ical_imip *request, const char *attendee,
                    const char *partstat, time_t now, struct pool *pool,
                    struct buf *out, const char **error_r)
{
	icalparameter_partstat ps = partstat_parse(partstat);
	if (ps == ICAL_PARTSTAT_NONE) {
		*error_r = "not a PARTSTAT (RFC 5545 3.2.12)";
		return -1;
	}
	icalcomponent *root = icalcomponent_new_clone(request->obj->root);
	prop_remove_all(root, ICAL_METHOD_PROPERTY);
	bool is_invited = false;
	icalcomponent_kind kind = request->obj->libical_kind;
	for (icalcomponent *c = icalcomponent_get_first_component(root, kind);
	     c != NULL; c = icalcomponent_get_next_component(root, kind)) {
		/* RFC 5546 §3.2.3: what a REPLY carries */
		static const icalproperty_kind drop[] = {
		    ICAL_DESCRIPTION_PROPERTY, ICAL_LOCATION_PROPERTY,
		    ICAL_CATEGORIES_PROPERTY,  ICAL_ATTACH_PROPERTY,
		    ICAL_COMMENT_PROPERTY,     ICAL_CONTACT_PROPERTY};
		for (size_t i = 0; i < sizeof(drop) / sizeof(*drop); i++)
			prop_remove_all(c, drop[i]);
		icalcomponent *a;
		while ((a = icalcomponent_get_first_component(
		            c, ICAL_VALARM_COMPONENT)) != NULL) {
			icalcomponent_remove_component(c, a);
			icalcomponent_free(a);
		}
		is_invited |= reply_attendee(c, attendee, ps);
		stamp(c, now);
	}
	if (!is_invited) {
		icalcomponent_free(root);
		*error_r = "not invited";
		return -1;
	}
	char *text = message_text(root, kind, "REPLY");
	buf_append_str(out, text);
	free(text);
	icalcomponent_free(root);
	(void)pool;
	return 0;
}

/* The component of root (kind) with the RECURRENCE-ID of model, else the
 * master. */
static icalcomponent *component_for(icalcomponent *root,
                                    icalcomponent_kind kind,
                                    icalcomponent *model)
{
	icalproperty *rid =
	    icalcomponent_get_first_property(model, ICAL_RECURRENCEID_PROPERTY);
	int64_t want =
	    rid != NULL
	        ? ical_time_utc(
	              icalproperty_get_datetime_with_component(rid, model),
	              NULL)
	        : ICAL_TIME_MIN;
	icalcomponent *master = NULL;
	for (icalcomponent *c = icalcomponent_get_first_component(root, kind);
	     c != NULL; c = icalcomponent_get_next_component(root, kind)) {
		icalproperty *r = icalcomponent_get_first_property(
		    c, ICAL_RECURRENCEID_PROPERTY);
		if (r == NULL)
			master = c;
		else if (want != ICAL_TIME_MIN &&
		         ical_time_utc(
		             icalproperty_get_datetime_with_component(r, c),
		             NULL) == want)
			return c;
	}
	return master;
}

static int sequence_of(icalcomponent *c)
{
	icalproperty *p =
	    icalcomponent_get_first_property(c, ICAL_SEQUENCE_PROPERTY);
	return p != NULL ? icalproperty_get_sequence(p) : 0;
}

/* Sets the PARTSTAT of the reply component's attendee in c. */
static const char *reply_apply_one(icalcomponent *c, icalcomponent *r,
                                   const char *sender, struct pool *pool,
                                   const char **attendee_r,
                                   const char **partstat_r)
{
	icalproperty *ra =
	    icalcomponent_get_first_property(r, ICAL_ATTENDEE_PROPERTY);
	if (ra == NULL)
		return "the reply names no attendee";
	const char *who = icalproperty_get_attendee(ra);
	if (sender != NULL && !is_address(who, sender))
		return "the sender is not the attendee";
	icalparameter *ps =
	    icalproperty_get_first_parameter(ra, ICAL_PARTSTAT_PARAMETER);
	icalparameter_partstat partstat = ps != NULL
	                                      ? icalparameter_get_partstat(ps)
	                                      : ICAL_PARTSTAT_NEEDSACTION;
	if (sequence_of(r) < sequence_of(c))
		return "the reply is older than the event";
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
		if (!is_address(icalproperty_get_attendee(p), who))
			continue;
		icalproperty_remove_parameter_by_kind(p,
		                                      ICAL_PARTSTAT_PARAMETER);
		icalproperty_remove_parameter_by_kind(p, ICAL_RSVP_PARAMETER);
		icalproperty_add_parameter(
		    p, icalparameter_new_partstat(partstat));
		*attendee_r = pool_strdup(
		    pool, strncasecmp(who, "mailto:", 7) == 0 ? who + 7 : who);
		const char *str = icalparameter_enum_to_string((int)partstat);
		*partstat_r = pool_strdup(pool, str != NULL ? str : "");
		return NULL;
	}
	return "not an attendee";
}

int ical_imip_apply_reply(const unsigned char *data, size_t size,
                          const struct ical_imip *reply, const char *sender,
                          time_t now, struct pool *pool, struct buf *out,
                          const char **attendee_r, const char **partstat_r,
                          const char **error_r)
{
	if (strcmp(reply->method, "REPLY") != 0) {
		*error_r = "not a REPLY";
		return -1;
	}
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	if (ical_object_parse(data, size, &set, pool, &obj, error_r) < 0)
		return -1;
	const char *why = NULL;
	if (strcmp(obj->uid, reply->obj->uid) != 0 ||
	    obj->libical_kind != reply->obj->libical_kind)
		why = "the reply is for another event";
	icalcomponent_kind kind = obj->libical_kind;
	for (icalcomponent *r =
	         icalcomponent_get_first_component(reply->obj->root, kind);
	     r != NULL && why == NULL;
	     r = icalcomponent_get_next_component(reply->obj->root, kind)) {
		icalcomponent *c = component_for(obj->root, kind, r);
		why = c == NULL ? "no such instance"
		                : reply_apply_one(c, r, sender, pool,
		                                  attendee_r, partstat_r);
		if (why == NULL)
			stamp(c, now);
	}
	int ret = -1;
	if (why != NULL)
		*error_r = why;
	else
		ret = imip_resource(obj->root, pool, out, error_r);
	ical_object_free(&obj);
	return ret;
}

static int busy_cmp(const void *a, const void *b)
{
	const struct ical_busy *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Appends the FREEBUSY periods of comp to *list. */
static void busy_collect(icalcomponent *comp, struct pool *pool,
                         struct ical_busy **list, size_t *count, size_t *cap)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(comp, ICAL_FREEBUSY_PROPERTY);
	     p != NULL; p = icalcomponent_get_next_property(
	                    comp, ICAL_FREEBUSY_PROPERTY)) {
		icalparameter *t =
		    icalproperty_get_first_parameter(p, ICAL_FBTYPE_PARAMETER);
		icalparameter_fbtype fb =
		    t != NULL ? icalparameter_get_fbtype(t) : ICAL_FBTYPE_BUSY;
		if (fb == ICAL_FBTYPE_FREE)
			continue;
		struct icalperiodtype per = icalproperty_get_freebusy(p);
		if (icaltime_is_null_time(per.start))
			continue;
		int64_t start = ical_time_utc(per.start, NULL);
		int64_t end =
		    icaltime_is_null_time(per.end)
		        ? ical_time_add(start,
		                        icaldurationtype_as_int(per.duration))
		        : ical_time_utc(per.end, NULL);
		if (*count == *cap) {
			*cap = *cap == 0 ? 16 : *cap * 2;
			struct ical_busy *n =
			    pool_alloc(pool, *cap * sizeof(*n));
			if (*count > 0)
				memcpy(n, *list, *count * sizeof(*n));
			*list = n;
		}
		const char *name = icalparameter_enum_to_string((int)fb);
		(*list)[(*count)++] = (struct ical_busy){
		    .start = start,
		    .end = end,
		    .type = pool_strdup(pool, name != NULL ? name : "BUSY")};
	}
}

int ical_imip_freebusy(const unsigned char *data, size_t size,
                       const struct ical_settings *set, struct pool *pool,
                       struct ical_busy **busy_r, size_t *count_r,
                       const char **error_r)
{
	ical_init();
	*busy_r = NULL;
	*count_r = 0;
	if (size > set->max_size || !imip_is_text(data, size)) {
		*error_r = "not iCalendar text";
		return -1;
	}
	char *text = pool_strndup(pool, (const char *)data, size);
	const char *why = imip_structure(text);
	icalcomponent *root =
	    why == NULL ? icalparser_parse_string(text) : NULL;
	if (root == NULL ||
	    icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
		*error_r = pool_printf(pool, "invalid iCalendar: %s",
		                       why != NULL ? why : "not a VCALENDAR");
		if (root != NULL)
			icalcomponent_free(root);
		return -1;
	}
	size_t cap = 0;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         root, ICAL_VFREEBUSY_COMPONENT);
	     c != NULL; c = icalcomponent_get_next_component(
	                    root, ICAL_VFREEBUSY_COMPONENT))
		busy_collect(c, pool, busy_r, count_r, &cap);
	icalcomponent_free(root);
	if (*count_r > 1)
		qsort(*busy_r, *count_r, sizeof(**busy_r), busy_cmp);
	return 0;
}
