/* iTIP facts and messages through libical (ical_itip.h, RFC 5546, RFC
 * 6638 §7): every function works on a clone of the object's VCALENDAR
 * and writes libical's serialization of it. */
#include "dav/ical_itip.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/pool.h"
#include "dav/ical_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *ical_itip_address(const char *cal_address, struct pool *pool)
{
	if (cal_address == NULL || strncasecmp(cal_address, "mailto:", 7) != 0)
		return NULL;
	char *a = pool_strdup(pool, cal_address + 7);
	for (char *p = a; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return a[0] != '\0' && strchr(a, '@') != NULL ? a : NULL;
}

/* A parameter of p as a string from pool, or NULL. */
static const char *param_get(icalproperty *p, const char *name,
                             struct pool *pool)
{
	char *v = icalproperty_get_parameter_as_string_r(p, name);
	if (v == NULL)
		return NULL;
	const char *s = pool_strdup(pool, v);
	free(v);
	return s;
}

static bool agent_is_server(icalproperty *p, struct pool *pool)
{
	const char *agent = param_get(p, "SCHEDULE-AGENT", pool);
	return agent == NULL || strcasecmp(agent, "SERVER") == 0;
}

/* The address of an ORGANIZER or ATTENDEE property, or NULL. */
static const char *prop_address(icalproperty *p, struct pool *pool)
{
	char *v = icalproperty_get_value_as_string_r(p);
	const char *a = ical_itip_address(v, pool);
	free(v);
	return a;
}

const struct ical_itip_attendee *
ical_itip_attendee_find(const struct ical_itip *itip, const char *address)
{
	for (size_t i = 0; i < itip->attendee_count; i++) {
		if (strcasecmp(itip->attendees[i].address, address) == 0)
			return &itip->attendees[i];
	}
	return NULL;
}

/* The properties whose change an attendee must hear of. */
static const icalproperty_kind digest_kinds[] = {
    ICAL_DTSTART_PROPERTY,  ICAL_DTEND_PROPERTY,        ICAL_DURATION_PROPERTY,
    ICAL_DUE_PROPERTY,      ICAL_RRULE_PROPERTY,        ICAL_RDATE_PROPERTY,
    ICAL_EXDATE_PROPERTY,   ICAL_RECURRENCEID_PROPERTY, ICAL_SUMMARY_PROPERTY,
    ICAL_LOCATION_PROPERTY, ICAL_DESCRIPTION_PROPERTY,  ICAL_STATUS_PROPERTY,
    ICAL_SEQUENCE_PROPERTY,
};

static void digest_comp(struct digest_sha256 *ctx, icalcomponent *c,
                        struct pool *pool)
{
	for (size_t i = 0; i < sizeof(digest_kinds) / sizeof(*digest_kinds);
	     i++) {
		for (icalproperty *p =
		         icalcomponent_get_first_property(c, digest_kinds[i]);
		     p != NULL;
		     p = icalcomponent_get_next_property(c, digest_kinds[i])) {
			char *v = icalproperty_get_value_as_string_r(p);
			const char *tzid = param_get(p, "TZID", pool);
			const char *line = pool_printf(
			    pool, "%s;%s:%s\n",
			    icalproperty_kind_to_string(digest_kinds[i]),
			    tzid != NULL ? tzid : "", v != NULL ? v : "");
			free(v);
			digest_sha256_update(ctx, line, strlen(line));
		}
	}
	static const icalproperty_kind who[] = {ICAL_ORGANIZER_PROPERTY,
	                                        ICAL_ATTENDEE_PROPERTY};
	for (size_t i = 0; i < 2; i++) {
		for (icalproperty *p =
		         icalcomponent_get_first_property(c, who[i]);
		     p != NULL;
		     p = icalcomponent_get_next_property(c, who[i])) {
			const char *a = prop_address(p, pool);
			const char *line = pool_printf(pool, "%d:%s\n", (int)i,
			                               a != NULL ? a : "");
			digest_sha256_update(ctx, line, strlen(line));
		}
	}
	digest_sha256_update(ctx, "--\n", 3);
}

static void attendees_add(struct ical_itip *itip, icalcomponent *c,
                          struct pool *pool, size_t *cap)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
		const char *a = prop_address(p, pool);
		if (a == NULL || ical_itip_attendee_find(itip, a) != NULL)
			continue;
		if (itip->attendee_count == *cap) {
			*cap = *cap == 0 ? 8 : 2 * *cap;
			struct ical_itip_attendee *bigger =
			    pool_alloc(pool, *cap * sizeof(*itip->attendees));
			if (itip->attendee_count > 0)
				memcpy(bigger, itip->attendees,
				       itip->attendee_count *
				           sizeof(*itip->attendees));
			itip->attendees = bigger;
		}
		const char *partstat = param_get(p, "PARTSTAT", pool);
		struct ical_itip_attendee *at =
		    &itip->attendees[itip->attendee_count++];
		at->address = a;
		at->name = param_get(p, "CN", pool);
		at->partstat = partstat != NULL ? partstat : "NEEDS-ACTION";
		at->is_server = agent_is_server(p, pool);
	}
}

/* The master's (or first component's) organizer, summary, start,
 * status. */
static void head_read(struct ical_itip *itip, icalcomponent *c,
                      struct pool *pool)
{
	icalproperty *org =
	    icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY);
	if (itip->organizer == NULL && org != NULL) {
		itip->organizer = prop_address(org, pool);
		itip->organizer_name = param_get(org, "CN", pool);
		itip->is_organizer_server = agent_is_server(org, pool);
	}
	if (itip->summary[0] != '\0')
		return;
	const char *summary = icalcomponent_get_summary(c);
	itip->summary = pool_strdup(pool, summary != NULL ? summary : "");
	icalproperty *start =
	    icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
	if (start != NULL)
		itip->start = ical_time_utc(
		    icalproperty_get_datetime_with_component(start, c), NULL);
	itip->is_cancelled =
	    icalcomponent_get_status(c) == ICAL_STATUS_CANCELLED;
}

void ical_itip_read(const struct ical_object *obj, struct pool *pool,
                    struct ical_itip *itip)
{
	memset(itip, 0, sizeof(*itip));
	itip->uid = pool_strdup(pool, obj->uid);
	const char *method = ical_object_method(obj);
	itip->method = method != NULL ? pool_strdup(pool, method) : NULL;
	itip->summary = "";
	itip->start = ICAL_TIME_MIN;
	struct digest_sha256 *ctx = digest_sha256_new();
	size_t cap = 0;
	/* the master first, then the overrides */
	for (int pass = 0; pass < 2; pass++) {
		for (icalcomponent *c = icalcomponent_get_first_component(
		         obj->root, obj->libical_kind);
		     c != NULL; c = icalcomponent_get_next_component(
		                    obj->root, obj->libical_kind)) {
			bool is_override =
			    icalcomponent_get_first_property(
			        c, ICAL_RECURRENCEID_PROPERTY) != NULL;
			if (is_override != (pass == 1))
				continue;
			head_read(itip, c, pool);
			if (icalcomponent_get_sequence(c) > itip->sequence)
				itip->sequence = icalcomponent_get_sequence(c);
			attendees_add(itip, c, pool, &cap);
			digest_comp(ctx, c, pool);
		}
	}
	digest_sha256_final_hex(ctx, itip->digest);
	digest_sha256_free(&ctx);
}

/* ---- writing ---- */

static void write_root(icalcomponent *root, struct buf *out)
{
	char *text = icalcomponent_as_ical_string_r(root);
	buf_append_str(out, text);
	free(text);
}

static void sched_params_strip(icalproperty *p)
{
	icalproperty_remove_parameter_by_name(p, "SCHEDULE-STATUS");
	icalproperty_remove_parameter_by_name(p, "SCHEDULE-AGENT");
	icalproperty_remove_parameter_by_name(p, "SCHEDULE-FORCE-SEND");
}

static void method_set(icalcomponent *root, const char *method)
{
	icalproperty *p;
	while ((p = icalcomponent_get_first_property(
	            root, ICAL_METHOD_PROPERTY)) != NULL) {
		icalcomponent_remove_property(root, p);
		icalproperty_free(p);
	}
	if (method != NULL)
		icalcomponent_add_property(
		    root, icalproperty_new_method(
		              icalproperty_string_to_method(method)));
}

/* The attendee property of address in c, or NULL. */
static icalproperty *attendee_prop(icalcomponent *c, const char *address,
                                   struct pool *pool)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
		const char *a = prop_address(p, pool);
		if (a != NULL && strcasecmp(a, address) == 0)
			return p;
	}
	return NULL;
}

/* Is there a VTIMEZONE for tzid in root? (Its own iterator: the
 * caller walks root's components with root's.) */
static bool has_vtimezone(icalcomponent *root, const char *tzid)
{
	icalcompiter it =
	    icalcomponent_begin_component(root, ICAL_VTIMEZONE_COMPONENT);
	for (icalcomponent *z = icalcompiter_deref(&it); z != NULL;
	     z = icalcompiter_next(&it)) {
		icalproperty *p =
		    icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
		const char *id = p != NULL ? icalproperty_get_tzid(p) : NULL;
		if (id != NULL && strcmp(id, tzid) == 0)
			return true;
	}
	return false;
}

/* Adds to zones (a VCALENDAR collecting VTIMEZONEs) the system's zone
 * for each TZID parameter of c and its subcomponents that neither root
 * nor zones has yet, with its TZID set to the parameter's value (libical
 * may prefix its own). */
static void tz_collect(icalcomponent *root, icalcomponent *c,
                       icalcomponent *zones)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
		icalparameter *param =
		    icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		const char *tzid =
		    param != NULL ? icalparameter_get_tzid(param) : NULL;
		if (tzid == NULL || has_vtimezone(root, tzid) ||
		    has_vtimezone(zones, tzid))
			continue;
		icaltimezone *zone = icaltimezone_get_builtin_timezone(tzid);
		icalcomponent *vtz =
		    zone != NULL ? icaltimezone_get_component(zone) : NULL;
		if (vtz == NULL)
			continue;
		vtz = icalcomponent_new_clone(vtz);
		icalproperty *id =
		    icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
		if (id != NULL)
			icalproperty_set_tzid(id, tzid);
		icalcomponent_add_component(zones, vtz);
	}
	for (icalcomponent *sub =
	         icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	     sub != NULL;
	     sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		tz_collect(root, sub, zones);
}

/* RFC 5545 §3.6.5: an iTIP message carries a VTIMEZONE for every TZID
 * it uses, while a stored object may name a zone of the system's
 * database without one (RFC 7809). (ical_private.h) */
void ical_itip_zones_complete(icalcomponent *root, icalcomponent_kind kind)
{
	icalcomponent *zones = icalcomponent_new_vcalendar();
	for (icalcomponent *c = icalcomponent_get_first_component(root, kind);
	     c != NULL; c = icalcomponent_get_next_component(root, kind))
		tz_collect(root, c, zones);
	if (icalcomponent_get_first_component(
	        zones, ICAL_VTIMEZONE_COMPONENT) == NULL) {
		icalcomponent_free(zones);
		return;
	}
	/* libical writes subcomponents in the order they were added: move
	 * the others behind the new zones */
	icalcomponent *rest = icalcomponent_new_vcalendar();
	icalcomponent *c;
	while ((c = icalcomponent_get_first_component(root, kind)) != NULL) {
		icalcomponent_remove_component(root, c);
		icalcomponent_add_component(rest, c);
	}
	while ((c = icalcomponent_get_first_component(
	            zones, ICAL_VTIMEZONE_COMPONENT)) != NULL) {
		icalcomponent_remove_component(zones, c);
		icalcomponent_add_component(root, c);
	}
	while ((c = icalcomponent_get_first_component(rest, kind)) != NULL) {
		icalcomponent_remove_component(rest, c);
		icalcomponent_add_component(root, c);
	}
	icalcomponent_free(rest);
	icalcomponent_free(zones);
}

void ical_itip_write_request(const struct ical_object *obj, const char *method,
                             struct buf *out)
{
	bool is_cancel = strcmp(method, "CANCEL") == 0;
	icalcomponent *root = icalcomponent_new_clone(obj->root);
	method_set(root, method);
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, obj->libical_kind);
	     c != NULL;
	     c = icalcomponent_get_next_component(root, obj->libical_kind)) {
		static const icalproperty_kind who[] = {ICAL_ORGANIZER_PROPERTY,
		                                        ICAL_ATTENDEE_PROPERTY};
		for (size_t i = 0; i < 2; i++) {
			for (icalproperty *p =
			         icalcomponent_get_first_property(c, who[i]);
			     p != NULL;
			     p = icalcomponent_get_next_property(c, who[i]))
				sched_params_strip(p);
		}
		if (is_cancel) {
			icalcomponent_set_status(c, ICAL_STATUS_CANCELLED);
			icalcomponent_set_sequence(
			    c, icalcomponent_get_sequence(c) + 1);
		}
	}
	ical_itip_zones_complete(root, obj->libical_kind);
	write_root(root, out);
	icalcomponent_free(root);
}

/* Is address one of addresses[0..count)? */
static bool address_in(const char *address, const char *const *addresses,
                       size_t count)
{
	for (size_t i = 0; address != NULL && i < count; i++) {
		if (strcasecmp(address, addresses[i]) == 0)
			return true;
	}
	return false;
}

/* Removes c's ATTENDEEs not in removed; returns how many stay. */
static size_t attendees_keep(icalcomponent *c, const char *const *removed,
                             size_t count, struct pool *pool)
{
	size_t kept = 0;
	icalproperty *p =
	    icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	while (p != NULL) {
		icalproperty *next =
		    icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY);
		if (address_in(prop_address(p, pool), removed, count)) {
			sched_params_strip(p);
			kept++;
		} else {
			icalcomponent_remove_property(c, p);
			icalproperty_free(p);
		}
		p = next;
	}
	return kept;
}

int ical_itip_write_uninvite(const struct ical_object *obj,
                             const char *const *removed, size_t count,
                             struct buf *out)
{
	struct pool *pool = pool_new();
	icalcomponent *root = icalcomponent_new_clone(obj->root);
	method_set(root, "CANCEL");
	size_t left = 0;
	icalcomponent *c =
	    icalcomponent_get_first_component(root, obj->libical_kind);
	while (c != NULL) {
		icalcomponent *next =
		    icalcomponent_get_next_component(root, obj->libical_kind);
		if (attendees_keep(c, removed, count, pool) == 0) {
			/* they were not in this instance */
			icalcomponent_remove_component(root, c);
			icalcomponent_free(c);
			c = next;
			continue;
		}
		icalproperty *p;
		while ((p = icalcomponent_get_first_property(
		            c, ICAL_STATUS_PROPERTY)) != NULL) {
			icalcomponent_remove_property(c, p);
			icalproperty_free(p);
		}
		icalproperty *org = icalcomponent_get_first_property(
		    c, ICAL_ORGANIZER_PROPERTY);
		if (org != NULL)
			sched_params_strip(org);
		icalcomponent_set_sequence(c,
		                           icalcomponent_get_sequence(c) + 1);
		left++;
		c = next;
	}
	if (left > 0) {
		ical_itip_zones_complete(root, obj->libical_kind);
		write_root(root, out);
	}
	icalcomponent_free(root);
	pool_free(&pool);
	return left > 0 ? 0 : -1;
}

void ical_itip_write_sequence(const struct ical_object *obj, int sequence,
                              struct buf *out)
{
	icalcomponent *root = icalcomponent_new_clone(obj->root);
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, obj->libical_kind);
	     c != NULL;
	     c = icalcomponent_get_next_component(root, obj->libical_kind)) {
		if (icalcomponent_get_sequence(c) < sequence)
			icalcomponent_set_sequence(c, sequence);
	}
	write_root(root, out);
	icalcomponent_free(root);
}

static void prop_copy(icalcomponent *to, icalcomponent *from,
                      icalproperty_kind kind)
{
	for (icalproperty *p = icalcomponent_get_first_property(from, kind);
	     p != NULL; p = icalcomponent_get_next_property(from, kind)) {
		icalproperty *clone = icalproperty_new_clone(p);
		if (kind == ICAL_ORGANIZER_PROPERTY)
			sched_params_strip(clone);
		icalcomponent_add_property(to, clone);
	}
}

int ical_itip_write_reply(const struct ical_object *obj, const char *attendee,
                          const char *partstat, struct buf *out)
{
	static const icalproperty_kind kept[] = {
	    ICAL_UID_PROPERTY,      ICAL_RECURRENCEID_PROPERTY,
	    ICAL_SEQUENCE_PROPERTY, ICAL_DTSTART_PROPERTY,
	    ICAL_DTEND_PROPERTY,    ICAL_DURATION_PROPERTY,
	    ICAL_DUE_PROPERTY,      ICAL_SUMMARY_PROPERTY,
	    ICAL_ORGANIZER_PROPERTY};
	struct pool *pool = pool_new();
	icalcomponent *root = icalcomponent_new_vcalendar();
	icalcomponent_add_property(root, icalproperty_new_version("2.0"));
	icalcomponent_add_property(
	    root, icalproperty_new_prodid("-//Postroom//iTIP//EN"));
	method_set(root, "REPLY");
	size_t count = 0;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, ICAL_VTIMEZONE_COMPONENT);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, ICAL_VTIMEZONE_COMPONENT))
		icalcomponent_add_component(root, icalcomponent_new_clone(c));
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, obj->libical_kind);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, obj->libical_kind)) {
		icalproperty *at = attendee_prop(c, attendee, pool);
		if (at == NULL)
			continue;
		icalcomponent *r = icalcomponent_new(obj->libical_kind);
		for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++)
			prop_copy(r, c, kept[i]);
		icalcomponent_set_dtstamp(r,
		                          icaltime_current_time_with_zone(
		                              icaltimezone_get_utc_timezone()));
		icalproperty *clone = icalproperty_new_clone(at);
		sched_params_strip(clone);
		if (partstat != NULL)
			icalproperty_set_parameter_from_string(
			    clone, "PARTSTAT", partstat);
		icalcomponent_add_property(r, clone);
		icalcomponent_add_component(root, r);
		count++;
	}
	ical_itip_zones_complete(root, obj->libical_kind);
	if (count > 0)
		write_root(root, out);
	icalcomponent_free(root);
	pool_free(&pool);
	return count > 0 ? 0 : -1;
}

/* The RECURRENCE-ID of c in UTC, or ICAL_TIME_MIN for a master. */
static int64_t comp_rid(icalcomponent *c)
{
	icalproperty *p =
	    icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
	return p == NULL
	           ? ICAL_TIME_MIN
	           : ical_time_utc(
	                 icalproperty_get_datetime_with_component(p, c), NULL);
}

/* The component of kind in root with RECURRENCE-ID rid, or NULL. */
static icalcomponent *comp_by_rid(icalcomponent *root, icalcomponent_kind kind,
                                  int64_t rid)
{
	for (icalcomponent *c = icalcomponent_get_first_component(root, kind);
	     c != NULL; c = icalcomponent_get_next_component(root, kind)) {
		if (comp_rid(c) == rid)
			return c;
	}
	return NULL;
}

void ical_itip_write_attendee_copy(const struct ical_object *request,
                                   const struct ical_object *old,
                                   const char *attendee, struct buf *out)
{
	struct pool *pool = pool_new();
	icalcomponent *root = icalcomponent_new_clone(request->root);
	method_set(root, NULL);
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, request->libical_kind);
	     old != NULL && c != NULL; c = icalcomponent_get_next_component(
	                                   root, request->libical_kind)) {
		icalcomponent *was =
		    comp_by_rid(old->root, old->libical_kind, comp_rid(c));
		icalproperty *now = attendee_prop(c, attendee, pool);
		icalproperty *then =
		    was != NULL ? attendee_prop(was, attendee, pool) : NULL;
		const char *partstat =
		    then != NULL ? param_get(then, "PARTSTAT", pool) : NULL;
		if (now != NULL && partstat != NULL)
			icalproperty_set_parameter_from_string(now, "PARTSTAT",
			                                       partstat);
	}
	write_root(root, out);
	icalcomponent_free(root);
	pool_free(&pool);
}

void ical_itip_write_cancelled(const struct ical_object *copy, struct buf *out)
{
	icalcomponent *root = icalcomponent_new_clone(copy->root);
	method_set(root, NULL);
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, copy->libical_kind);
	     c != NULL;
	     c = icalcomponent_get_next_component(root, copy->libical_kind))
		icalcomponent_set_status(c, ICAL_STATUS_CANCELLED);
	write_root(root, out);
	icalcomponent_free(root);
}

/* The one attendee address of a REPLY, or NULL. */
static const char *reply_attendee(const struct ical_object *reply,
                                  struct pool *pool)
{
	const char *who = NULL;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         reply->root, reply->libical_kind);
	     c != NULL; c = icalcomponent_get_next_component(
	                    reply->root, reply->libical_kind)) {
		for (icalproperty *p = icalcomponent_get_first_property(
		         c, ICAL_ATTENDEE_PROPERTY);
		     p != NULL; p = icalcomponent_get_next_property(
		                    c, ICAL_ATTENDEE_PROPERTY)) {
			const char *a = prop_address(p, pool);
			if (a == NULL || (who != NULL && strcmp(a, who) != 0))
				return NULL;
			who = a;
		}
	}
	return who;
}

int ical_itip_apply_reply(const struct ical_object *org,
                          const struct ical_object *reply, struct pool *pool,
                          const char **attendee_r, const char **partstat_r,
                          struct buf *out)
{
	const char *who = reply_attendee(reply, pool);
	if (who == NULL)
		return -1;
	*attendee_r = who;
	*partstat_r = "NEEDS-ACTION";
	icalcomponent *root = icalcomponent_new_clone(org->root);
	bool changed = false;
	for (icalcomponent *r = icalcomponent_get_first_component(
	         reply->root, reply->libical_kind);
	     r != NULL; r = icalcomponent_get_next_component(
	                    reply->root, reply->libical_kind)) {
		icalcomponent *c =
		    comp_by_rid(root, org->libical_kind, comp_rid(r));
		icalproperty *at =
		    c != NULL ? attendee_prop(c, who, pool) : NULL;
		icalproperty *said = attendee_prop(r, who, pool);
		const char *partstat =
		    said != NULL ? param_get(said, "PARTSTAT", pool) : NULL;
		if (at == NULL || partstat == NULL)
			continue;
		icalproperty_set_parameter_from_string(at, "PARTSTAT",
		                                       partstat);
		icalproperty_set_parameter_from_string(at, "SCHEDULE-STATUS",
		                                       "2.0");
		*partstat_r = partstat;
		changed = true;
	}
	if (changed)
		write_root(root, out);
	icalcomponent_free(root);
	return changed ? 1 : 0;
}

void ical_itip_write_status(const struct ical_object *obj,
                            const char *const *addresses,
                            const char *const *statuses, size_t count,
                            struct buf *out)
{
	struct pool *pool = pool_new();
	icalcomponent *root = icalcomponent_new_clone(obj->root);
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, obj->libical_kind);
	     c != NULL;
	     c = icalcomponent_get_next_component(root, obj->libical_kind)) {
		for (size_t i = 0; i < count; i++) {
			icalproperty *at = attendee_prop(c, addresses[i], pool);
			if (at != NULL)
				icalproperty_set_parameter_from_string(
				    at, "SCHEDULE-STATUS", statuses[i]);
		}
	}
	write_root(root, out);
	icalcomponent_free(root);
	pool_free(&pool);
}
