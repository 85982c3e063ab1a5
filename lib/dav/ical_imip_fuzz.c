/* Fuzzer for what an invitation by mail goes through in the client: the
 * iTIP reader, the fields shown to the user, the REPLY written from it,
 * the object kept in the calendar, and the REPLY applied to a fixed
 * organizer's event. libical runs only on what passes the structure
 * checks, and must never write to stderr or spin (the ical fuzzer's
 * limits hold here too). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_imip.h"
#include "dav/ical_item.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char organizer_event[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
    "UID:fuzz-1\r\nDTSTAMP:20240101T000000Z\r\n"
    "DTSTART:20240110T100000Z\r\nORGANIZER:mailto:a@example.com\r\n"
    "ATTENDEE:mailto:b@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.max_size = 64 * 1024;
	struct pool *pool = pool_new();
	struct ical_imip imip;
	const char *error, *who, *partstat;
	struct buf out;
	buf_init(&out);
	if (ical_imip_parse(data, size, &set, pool, &imip, &error) == 0) {
		struct ical_item item;
		ical_item_master(imip.obj, NULL, pool, &item);
		(void)ical_imip_reply(&imip, "b@example.com", "ACCEPTED", 0,
		                      pool, &out, &error);
		buf_truncate(&out, 0);
		(void)ical_imip_object(&imip, pool, &out, &error);
		buf_truncate(&out, 0);
		(void)ical_imip_apply_reply(
		    (const unsigned char *)organizer_event,
		    strlen(organizer_event), &imip, NULL, 0, pool, &out, &who,
		    &partstat, &error);
		ical_object_free(&imip.obj);
	}
	buf_deinit(&out);
	pool_free(&pool);
	return 0;
}
