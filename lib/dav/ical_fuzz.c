/* Fuzzer for ical.c, ical_recur.c, ical_query.c, ical_freebusy.c,
 * ical_partial.c and ical_itip.c: whatever parses as a calendar object
 * resource must have a UID and a kind, a span whose start is not after its
 * end, must run through a time-range query, a free-busy aggregation and an
 * expansion without crashing, and what libical writes of it must parse
 * again to the same UID and kind. Whatever parses as an iTIP message (as
 * deliver reads one from mail) must go through every iTIP function: its
 * facts, a REQUEST, CANCEL and REPLY made of it, applied to itself as a
 * REPLY, an attendee's copy, SCHEDULE-STATUS. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_freebusy.h"
#include "dav/ical_itip.h"
#include "dav/ical_partial.h"
#include "dav/ical_query.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char filter_xml[] =
    "<C:filter xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
    "<C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">"
    "<C:time-range start=\"20240101T000000Z\" end=\"20240201T000000Z\"/>"
    "<C:prop-filter name=\"SUMMARY\"><C:text-match "
    "collation=\"i;unicode-casemap\">a</C:text-match></C:prop-filter>"
    "<C:comp-filter name=\"VALARM\"><C:time-range start=\"20240101T000000Z\" "
    "end=\"20240102T000000Z\"/></C:comp-filter>"
    "</C:comp-filter></C:comp-filter></C:filter>";
static const char expand_xml[] =
    "<C:calendar-data xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
    "<C:comp name=\"VCALENDAR\"><C:allprop/><C:comp name=\"VEVENT\">"
    "<C:prop name=\"SUMMARY\"/></C:comp></C:comp>"
    "<C:expand start=\"20240101T000000Z\" end=\"20240301T000000Z\"/>"
    "</C:calendar-data>";

static const struct dav_xml_node *xml(const char *text, struct pool *pool)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root = NULL;
	const char *error;
	if (dav_xml_parse((const unsigned char *)text, strlen(text), &set, pool,
	                  &root, &error) != 1)
		__builtin_trap();
	return root;
}

static void object_check(struct ical_object *obj, struct pool *pool)
{
	struct ical_comp_filter *filter;
	struct ical_partial *partial;
	const char *pre, *error;
	if (ical_object_uid(obj) == NULL || ical_object_kind(obj) == 0)
		__builtin_trap();
	int64_t s, e;
	ical_object_span(obj, &s, &e);
	if (s > e)
		__builtin_trap();
	if (ical_query_from_xml(xml(filter_xml, pool), pool, &filter, &pre,
	                        &error) < 0 ||
	    ical_partial_from_xml(xml(expand_xml, pool), pool, &partial,
	                          &error) != 1)
		__builtin_trap();
	(void)ical_query_match(obj, filter, NULL);
	struct ical_freebusy *fb = ical_freebusy_new(1704067200, 1706745600);
	ical_freebusy_add(fb, obj, NULL);
	struct buf out;
	buf_init(&out);
	ical_freebusy_write(fb, 0, &out);
	ical_freebusy_free(&fb);
	buf_truncate(&out, 0);
	ical_partial_write(obj, partial, NULL, &out);
	buf_deinit(&out);
}

static void itip_check(const uint8_t *data, size_t size, struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.max_size = 64 * 1024;
	set.max_components = 100;
	set.max_instances = 500;
	set.allow_method = true;
	struct ical_object *obj = NULL;
	const char *error, *who, *partstat;
	if (ical_object_parse(data, size, &set, pool, &obj, &error) < 0)
		return;
	struct ical_itip it;
	ical_itip_read(obj, pool, &it);
	if (it.uid == NULL || strlen(it.digest) != 64)
		__builtin_trap();
	struct buf out;
	buf_init(&out);
	ical_itip_write_request(obj, "REQUEST", &out);
	buf_truncate(&out, 0);
	ical_itip_write_request(obj, "CANCEL", &out);
	buf_truncate(&out, 0);
	ical_itip_write_cancelled(obj, &out);
	buf_truncate(&out, 0);
	(void)ical_itip_apply_reply(obj, obj, pool, &who, &partstat, &out);
	if (it.attendee_count > 0) {
		const char *a = it.attendees[0].address;
		const char *st = "2.0";
		buf_truncate(&out, 0);
		(void)ical_itip_write_reply(obj, a, "ACCEPTED", &out);
		buf_truncate(&out, 0);
		ical_itip_write_attendee_copy(obj, obj, a, &out);
		buf_truncate(&out, 0);
		ical_itip_write_status(obj, &a, &st, 1, &out);
		buf_truncate(&out, 0);
		(void)ical_itip_write_uninvite(obj, &a, 1, &out);
	}
	buf_truncate(&out, 0);
	ical_itip_write_sequence(obj, it.sequence + 1, &out);
	buf_deinit(&out);
	ical_object_free(&obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.max_size = 64 * 1024;
	set.max_components = 100;
	set.max_instances = 500;
	struct pool *pool = pool_new();
	struct ical_object *obj = NULL, *again = NULL;
	const char *error;
	if (ical_object_parse(data, size, &set, pool, &obj, &error) == 0) {
		object_check(obj, pool);
		struct buf out;
		buf_init(&out);
		ical_object_write(obj, &out);
		set.max_size = SIZE_MAX;
		if (ical_object_parse((const unsigned char *)out.data, out.len,
		                      &set, pool, &again, &error) == 0 &&
		    (strcmp(ical_object_uid(again), ical_object_uid(obj)) !=
		         0 ||
		     ical_object_kind(again) != ical_object_kind(obj)))
			__builtin_trap();
		ical_object_free(&again);
		buf_deinit(&out);
	}
	ical_object_free(&obj);
	itip_check(data, size, pool);
	pool_free(&pool);
	return 0;
}
