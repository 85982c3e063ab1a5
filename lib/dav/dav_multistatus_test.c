/* Tests for dav_multistatus.c with the examples of RFC 6578 §3.8 (an
 * initial and an incremental sync-collection answer, with a 404 for a
 * member that went and a 507 for a truncated one) and RFC 4918 §9.1.3
 * (properties with 200 and 403 propstats), plus RFC 4918 §16's DAV:error
 * and hrefs given as absolute URLs. */
#include "dav/dav_multistatus.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "test/test.h"

#include <string.h>

static int parse(const char *text, struct pool *pool,
                 struct dav_multistatus *ms)
{
	const char *error;
	return dav_multistatus_parse((const unsigned char *)text, strlen(text),
	                             0, pool, ms, &error);
}

static void test_sync_answer(void)
{
	test_begin("dav_multistatus RFC 6578 sync-collection answers");
	struct pool *pool = pool_new();
	/* RFC 6578 §3.8, the second answer (one changed, one removed) */
	const char *text =
	    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
	    "<D:multistatus xmlns:D=\"DAV:\">\n"
	    "  <D:response>\n"
	    "    <D:href\n"
	    ">http://example.com/home/cyrusdaboo/collection/test.doc</D:href>\n"
	    "    <D:propstat>\n"
	    "      <D:prop>\n"
	    "        <D:getetag>\"00001-abcd1\"</D:getetag>\n"
	    "      </D:prop>\n"
	    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
	    "    </D:propstat>\n"
	    "  </D:response>\n"
	    "  <D:response>\n"
	    "    <D:href\n"
	    ">http://example.com/home/cyrusdaboo/collection/vcard.vcf</"
	    "D:href>\n"
	    "    <D:status>HTTP/1.1 404 Not Found</D:status>\n"
	    "  </D:response>\n"
	    "  <D:sync-token>http://example.com/ns/sync/1238</D:sync-token>\n"
	    "</D:multistatus>\n";
	struct dav_multistatus ms;
	test_assert_int(parse(text, pool, &ms), 0);
	test_assert_int(ms.count, 2);
	test_assert_str(ms.sync_token, "http://example.com/ns/sync/1238");
	test_assert_str(ms.responses[0].href,
	                "/home/cyrusdaboo/collection/test.doc");
	test_assert_int(ms.responses[0].status, 0);
	test_assert_str(
	    dav_ms_prop_text(&ms.responses[0], DAV_NS, "getetag", pool),
	    "\"00001-abcd1\"");
	test_assert_int(ms.responses[1].status, 404);
	test_assert(dav_ms_prop(&ms.responses[1], DAV_NS, "getetag") == NULL);
	test_assert(dav_ms_find(&ms, "/home/cyrusdaboo/collection/vcard.vcf") ==
	            &ms.responses[1]);
	test_assert(dav_ms_find(&ms, "/home/other") == NULL);

	/* §3.6: the truncated answer names the collection with 507 */
	text = "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/c/"
	       "</D:href><D:status>HTTP/1.1 507 Insufficient Storage"
	       "</D:status></D:response><D:sync-token>t2</D:sync-token>"
	       "</D:multistatus>";
	test_assert_int(parse(text, pool, &ms), 0);
	test_assert_int(ms.responses[0].status, 507);
	test_assert(dav_ms_find(&ms, "/c") != NULL);
	pool_free(&pool);
	test_end();
}

static void test_propstats(void)
{
	test_begin("dav_multistatus propstats, hrefs, errors");
	struct pool *pool = pool_new();
	/* RFC 4918 §9.1.3 shape: one propstat 200, one 403; an encoded
	 * href; a prop holding an href; unknown elements ignored */
	const char *text =
	    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:"
	    "caldav\"><x-unknown/><response><href>/dav/bob%40x/</href>"
	    "<propstat><prop><current-user-principal><href>/dav/principals/"
	    "bob%40x/</href></current-user-principal><C:calendar-home-set>"
	    "<href>http://h/dav/calendars/bob@x/</href></C:calendar-home-set>"
	    "<displayname>  Home \n</displayname></prop>"
	    "<status>HTTP/1.1 200 OK</status></propstat><propstat><prop>"
	    "<getctag/></prop><status>HTTP/1.1 403 Forbidden</status>"
	    "</propstat></response><response><href>/../bad</href></response>"
	    "</multistatus>";
	struct dav_multistatus ms;
	test_assert_int(parse(text, pool, &ms), 0);
	test_assert_int(ms.count, 1); /* the bad href is skipped */
	const struct dav_ms_response *r = &ms.responses[0];
	test_assert_str(r->href, "/dav/bob@x/");
	test_assert_str(
	    dav_ms_prop_href(r, DAV_NS, "current-user-principal", pool),
	    "/dav/principals/bob@x/");
	test_assert_str(
	    dav_ms_prop_href(r, DAV_NS_CALDAV, "calendar-home-set", pool),
	    "/dav/calendars/bob@x/");
	test_assert_str(dav_ms_prop_text(r, DAV_NS, "displayname", pool),
	                "Home");
	test_assert_int(r->prop_count, 4);
	test_assert(dav_ms_prop(r, DAV_NS, "getctag") == NULL);
	test_assert(dav_ms_find(&ms, "/dav/bob@x") == r);

	const char *error;
	test_assert_int(dav_multistatus_parse((const unsigned char *)"<a/>", 4,
	                                      0, pool, &ms, &error),
	                -1);
	test_assert_int(dav_multistatus_parse((const unsigned char *)"<a", 2, 0,
	                                      pool, &ms, &error),
	                -1);
	test_assert_int(dav_ms_status_parse("HTTP/1.1 207 Multi-Status"), 207);
	test_assert_int(dav_ms_status_parse("HTTP/1.1 2x7 x"), 0);
	test_assert_int(dav_ms_status_parse(NULL), 0);
	text = "<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>";
	test_assert_str(
	    dav_ms_error_name((const unsigned char *)text, strlen(text), pool),
	    "valid-sync-token");
	test_assert(dav_ms_error_name((const unsigned char *)"oops", 4, pool) ==
	            NULL);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_sync_answer,
	    test_propstats,
	    NULL,
	};
	return test_run(tests);
}
