/* Unit tests for deliver_imip.c against a real store: an iMIP REPLY from
 * an attendee (multipart/alternative, base64 text/calendar) sets its
 * PARTSTAT in the organizer's event and lands in the schedule inbox; the
 * refusals change nothing: From another address, an organizer that is
 * not the account, an attendee not invited, a DMARC failure recorded in
 * Authentication-Results or by smtpd's quarantine; a message without a
 * REPLY is not touched. */
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/dav_token.h"
#include "deliver/deliver_imip.h"
#include "store/store.h"
#include "store/store_dav.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

#define EVENT                                                                  \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"                \
	"BEGIN:VEVENT\r\nUID:meet-1\r\nDTSTAMP:20240101T000000Z\r\n"           \
	"DTSTART:20240110T100000Z\r\nDTEND:20240110T110000Z\r\n"               \
	"SUMMARY:Meet\r\nORGANIZER:mailto:ann@example.org\r\n"                 \
	"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:zed@remote.test\r\n"            \
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

static struct store *store;

static const char *reply_text(struct pool *pool, const char *attendee,
                              const char *organizer)
{
	return pool_printf(
	    pool,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//r//EN\r\n"
	    "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:meet-1\r\n"
	    "DTSTAMP:20240102T000000Z\r\nDTSTART:20240110T100000Z\r\n"
	    "ORGANIZER:mailto:%s\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n",
	    organizer, attendee);
}

static const char *message(struct pool *pool, const char *from,
                           const char *extra_header, const char *itip)
{
	struct buf b64;
	buf_init(&b64);
	base64_encode(itip, strlen(itip), &b64);
	const char *msg = pool_printf(
	    pool,
	    "Received: from x by y; Tue, 2 Jan 2024 00:00:00 +0000\r\n%s"
	    "From: Zed <%s>\r\nTo: ann@example.org\r\nSubject: Accepted\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"
	    " boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
	    "Accepted.\r\n--b1\r\nContent-Type: text/calendar;"
	    " charset=utf-8; method=REPLY\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n",
	    extra_header, from, b64.data);
	buf_deinit(&b64);
	return msg;
}

static int count_cb(const struct store_dav_object *o, void *ctx)
{
	(void)o;
	(*(size_t *)ctx)++;
	return 0;
}

/* The organizer's event, and how many messages its inbox holds. */
static const char *event_now(struct pool *pool, size_t *inbox_r)
{
	struct store_account *a;
	const char *error;
	struct store_dav_collection cal, box;
	struct store_dav_object obj;
	test_assert(store_account_open(store, "ann@example.org", &a, &error) ==
	            0);
	test_assert(store_dav_object_find_any(a, STORE_DAV_CALENDAR, "meet-1",
	                                      pool, &cal, &obj) == 1);
	test_assert(store_dav_schedule_box(a, STORE_DAV_SCHEDULE_INBOX, pool,
	                                   &box) == 0);
	*inbox_r = 0;
	test_assert(store_dav_objects_list(a, box.id, STORE_DAV_TIME_MIN,
	                                   STORE_DAV_TIME_MAX, false, count_cb,
	                                   inbox_r) == 0);
	store_account_close(&a);
	return (const char *)obj.data;
}

static enum deliver_imip_result apply_q(const char *msg, bool quarantined)
{
	return deliver_imip_apply(store, (const unsigned char *)msg,
	                          strlen(msg), "ann@example.org", quarantined);
}

static enum deliver_imip_result apply(const char *msg)
{
	return apply_q(msg, false);
}

static void test_refusals(void)
{
	test_begin("imip refusals change nothing");
	struct pool *pool = pool_new();
	size_t inbox;
	const char *before = event_now(pool, &inbox);
	const char *ok = reply_text(pool, "zed@remote.test", "ann@example.org");
	test_assert_int(apply(message(pool, "eve@remote.test", "", ok)),
	                DELIVER_IMIP_REFUSED);
	test_assert_int(apply(message(pool, "zed@remote.test", "",
	                              reply_text(pool, "zed@remote.test",
	                                         "other@example.org"))),
	                DELIVER_IMIP_REFUSED);
	test_assert_int(apply(message(pool, "who@remote.test", "",
	                              reply_text(pool, "who@remote.test",
	                                         "ann@example.org"))),
	                DELIVER_IMIP_REFUSED);
	test_assert_int(apply(message(pool, "zed@remote.test",
	                              "Authentication-Results: mx.example.org;"
	                              " dmarc=fail header.from=remote.test\r\n",
	                              ok)),
	                DELIVER_IMIP_REFUSED);
	test_assert_int(apply_q(message(pool, "zed@remote.test", "", ok), true),
	                DELIVER_IMIP_REFUSED);
	test_assert_int(apply("From: zed@remote.test\r\n\r\nHello\r\n"),
	                DELIVER_IMIP_NONE);
	size_t inbox_after;
	test_assert_str(event_now(pool, &inbox_after), before);
	test_assert_int(inbox_after, inbox);
	pool_free(&pool);
	test_end();
}

static void test_applied(void)
{
	test_begin("imip reply applied");
	struct pool *pool = pool_new();
	size_t inbox;
	(void)event_now(pool, &inbox);
	const char *msg =
	    message(pool, "Zed@Remote.test",
	            "Authentication-Results: mx.example.org; dmarc=pass\r\n",
	            reply_text(pool, "zed@remote.test", "ann@example.org"));
	test_assert_int(apply(msg), DELIVER_IMIP_APPLIED);
	size_t inbox_after;
	const char *now = event_now(pool, &inbox_after);
	test_assert(strstr(now, "PARTSTAT=ACCEPTED") != NULL);
	test_assert(strstr(now, "SCHEDULE-STATUS=2.0") != NULL);
	test_assert_int(inbox_after, inbox + 1);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	const char *error;
	char *dir = xasprintf("%s/imip", test_tmpdir());
	struct store_settings set = {.data_dir = dir};
	struct store_account *a;
	if (store_open(&set, &store, &error) < 0 ||
	    store_domain_add(store, "example.org", &error) < 0 ||
	    store_account_add(store, "ann@example.org", "x", 0, &error) < 0 ||
	    store_account_open(store, "ann@example.org", &a, &error) < 0)
		abort();
	struct pool *pool = pool_new();
	struct store_dav_collection cal;
	if (store_dav_collection_get(a, STORE_DAV_CALENDAR, "calendar", pool,
	                             &cal) != 1)
		abort();
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(EVENT, strlen(EVENT), etag);
	struct store_dav_object obj = {
	    .name = "meet.ics",
	    .uid = "meet-1",
	    .etag = etag,
	    .content_type = "text/calendar",
	    .data = (const unsigned char *)EVENT,
	    .size = strlen(EVENT),
	    .component = STORE_DAV_COMP_VEVENT,
	    .time_start = STORE_DAV_TIME_MIN,
	    .time_end = STORE_DAV_TIME_MAX,
	};
	bool created;
	uint64_t modseq;
	if (store_dav_object_put(a, cal.id, &obj, NULL, true, 1, &created,
	                         &modseq, &error) != 0)
		abort();
	store_account_close(&a);
	pool_free(&pool);
	static void (*const tests[])(void) = {test_refusals, test_applied,
	                                      NULL};
	int ret = test_run(tests);
	store_close(&store);
	free(dir);
	return ret;
}
