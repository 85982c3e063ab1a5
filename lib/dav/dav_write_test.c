/* Unit tests for dav_write.c: a multistatus with propstats grouped by
 * status (RFC 4918 §14.16, §14.22), hrefs percent-encoded, a status-only
 * response, the sync-token at the end (RFC 6578 §6.4), elements of
 * unknown namespaces, and DAV:error bodies; every document parses back
 * through dav_xml. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "test/test.h"

#include <string.h>

static bool parses(const struct buf *out, struct pool *pool,
                   struct dav_xml_node **root_r)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	const char *error = NULL;
	int ret = dav_xml_parse((const unsigned char *)out->data, out->len,
	                        &set, pool, root_r, &error);
	if (ret != 1)
		test_assert_str(error, "");
	return ret == 1;
}

static void test_write_multistatus(void)
{
	test_begin("write multistatus");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	struct dav_propstats ps;
	dav_propstats_init(&ps);
	dav_write_multistatus_begin(&out);
	dav_write_text_prop(dav_propstats_group(&ps, 200), DAV_NS,
	                    "displayname", "Tom & Jerry <3>");
	dav_write_empty(dav_propstats_group(&ps, 404), "urn:x", "missing");
	dav_write_empty(dav_propstats_group(&ps, 200), DAV_NS_CS, "getctag");
	dav_write_response_props(&out, "/dav/calendars/a@b.c/my cal/", &ps);
	dav_write_response_status(&out, "/dav/x/caf\xc3\xa9.ics", 404);
	dav_write_response_props(&out, "/dav/empty/", &ps);
	dav_write_multistatus_end(&out, "http://postroom.invalid/ns/sync/1-2");
	test_assert(strstr(out.data, "<D:href>/dav/calendars/a@b.c/my%20cal/"
	                             "</D:href>") != NULL);
	test_assert(strstr(out.data, "caf%C3%A9.ics") != NULL);
	test_assert(strstr(out.data, "Tom &amp; Jerry &lt;3&gt;") != NULL);
	test_assert(strstr(out.data, "<X:missing xmlns:X=\"urn:x\"/>") != NULL);
	test_assert(strstr(out.data, "HTTP/1.1 404 Not Found") != NULL);
	struct dav_xml_node *root;
	if (parses(&out, pool, &root)) {
		test_assert(dav_xml_is(root, DAV_NS, "multistatus"));
		struct dav_xml_node *r =
		    dav_xml_child(root, DAV_NS, "response");
		size_t propstats = 0;
		for (struct dav_xml_node *c = r->children; c != NULL;
		     c = c->next)
			propstats += dav_xml_is(c, DAV_NS, "propstat");
		test_assert_int(propstats, 2);
		struct dav_xml_node *ps200 =
		    dav_xml_child(r, DAV_NS, "propstat");
		struct dav_xml_node *prop =
		    dav_xml_child(ps200, DAV_NS, "prop");
		test_assert(dav_xml_child(prop, DAV_NS, "displayname") != NULL);
		test_assert(dav_xml_child(prop, DAV_NS_CS, "getctag") != NULL);
		struct dav_xml_node *tok =
		    dav_xml_child(root, DAV_NS, "sync-token");
		test_assert(tok != NULL &&
		            strcmp(tok->text,
		                   "http://postroom.invalid/ns/sync/1-2") == 0);
	}
	dav_propstats_deinit(&ps);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_write_error(void)
{
	test_begin("write DAV:error");
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	dav_write_error(&out, DAV_NS_CALDAV, "no-uid-conflict",
	                "/dav/calendars/u@x.y/calendar/a.ics", "UID in use");
	struct dav_xml_node *root;
	if (parses(&out, pool, &root)) {
		test_assert(dav_xml_is(root, DAV_NS, "error"));
		struct dav_xml_node *c =
		    dav_xml_child(root, DAV_NS_CALDAV, "no-uid-conflict");
		test_assert(c != NULL &&
		            dav_xml_child(c, DAV_NS, "href") != NULL);
		test_assert(
		    dav_xml_child(root, DAV_NS, "responsedescription") != NULL);
	}
	buf_truncate(&out, 0);
	dav_write_error(&out, DAV_NS, "valid-sync-token", NULL, NULL);
	test_assert(strstr(out.data, "<D:valid-sync-token/>") != NULL);
	test_assert(parses(&out, pool, &root));
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_write_multistatus,
	                                      test_write_error, NULL};
	return test_run(tests);
}
