/* Unit tests for dav_xml.c: namespaces by URI not prefix (RFC 4918 §17),
 * text and entities, empty bodies, the refusals (not well-formed, unbound
 * prefix, DTD and entity declarations (§20.6), limits on size, depth and
 * elements), and serialization that parses back to the same tree. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "test/test.h"

#include <string.h>

static struct dav_xml_settings set;

static int parse(const char *xml, struct pool *pool,
                 struct dav_xml_node **root_r, const char **error_r)
{
	*error_r = NULL;
	return dav_xml_parse((const unsigned char *)xml, strlen(xml), &set,
	                     pool, root_r, error_r);
}

static void test_xml_parse(void)
{
	test_begin("xml parse");
	struct pool *pool = pool_new();
	struct dav_xml_node *root;
	const char *error;
	int ret = parse("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                "<x:propfind xmlns:x=\"DAV:\" xmlns=\"urn:other\">"
	                "<x:prop><x:getetag/><color a=\"1\" x:b=\"2\">"
	                " red &amp; &#x42;lue <![CDATA[<raw>]]></color>"
	                "</x:prop><!-- c --></x:propfind>",
	                pool, &root, &error);
	test_assert_int(ret, 1);
	if (ret == 1) {
		test_assert(dav_xml_is(root, DAV_NS, "propfind"));
		struct dav_xml_node *prop = dav_xml_child(root, DAV_NS, "prop");
		test_assert(prop != NULL);
		if (prop != NULL) {
			test_assert(dav_xml_child(prop, DAV_NS, "getetag") !=
			            NULL);
			struct dav_xml_node *c =
			    dav_xml_child(prop, "urn:other", "color");
			test_assert(c != NULL);
			if (c != NULL) {
				test_assert_str(c->text, " red & Blue <raw>");
				test_assert_str(dav_xml_text_trim(c, pool),
				                "red & Blue <raw>");
				test_assert_str(dav_xml_attr(c, "a"), "1");
				test_assert(dav_xml_attr(c, "b") == NULL);
				test_assert(c->parent == prop);
			}
		}
	}
	/* the same names under other prefixes are the same elements */
	ret = parse("<propfind xmlns=\"DAV:\"><allprop/></propfind>", pool,
	            &root, &error);
	test_assert(ret == 1 && dav_xml_is(root, DAV_NS, "propfind") &&
	            dav_xml_child(root, DAV_NS, "allprop") != NULL);
	/* an empty body is not an error */
	test_assert_int(parse("", pool, &root, &error), 0);
	test_assert_int(parse(" \r\n\t", pool, &root, &error), 0);
	test_assert(root == NULL);
	pool_free(&pool);
	test_end();
}

static void test_xml_refusals(void)
{
	static const struct {
		const char *xml, *reason;
	} cases[] = {
	    {"<a>", "XML"},
	    {"<a></b>", "XML"},
	    {"<a/><b/>", "XML"},
	    {"text", "XML"},
	    {"<D:a xmlns:D=\"DAV:\"><E:b/></D:a>", "XML line 1"},
	    {"<a>&nbsp;</a>", "XML"},
	    {"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", "DTD"},
	    {"<!DOCTYPE a SYSTEM \"http://127.0.0.1/x.dtd\"><a/>", "DTD"},
	    {"<a>\x01</a>", "XML"},
	    {"<a>\xff</a>", "XML"},
	};
	test_begin("xml refusals");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct dav_xml_node *root;
		const char *error;
		test_assert_idx(parse(cases[i].xml, pool, &root, &error) == -1,
		                i);
		test_assert_idx(
		    error != NULL && strstr(error, cases[i].reason) != NULL, i);
	}
	pool_free(&pool);
	test_end();
}

static void test_xml_limits(void)
{
	test_begin("xml limits");
	struct pool *pool = pool_new();
	struct dav_xml_settings saved = set;
	struct dav_xml_node *root;
	const char *error;
	struct buf deep;
	buf_init(&deep);
	for (int i = 0; i < 40; i++)
		buf_append_str(&deep, "<a>");
	for (int i = 0; i < 40; i++)
		buf_append_str(&deep, "</a>");
	test_assert_int(parse(deep.data, pool, &root, &error), -1);
	test_assert_str(error, "XML body is nested too deeply");
	set.max_depth = 40;
	test_assert_int(parse(deep.data, pool, &root, &error), 1);
	set.max_elements = 39;
	test_assert_int(parse(deep.data, pool, &root, &error), -1);
	test_assert_str(error, "XML body has too many elements");
	set = saved;
	set.max_size = 10;
	test_assert_int(parse("<a>0123456789</a>", pool, &root, &error), -1);
	test_assert_str(error, "XML body too large");
	set = saved;
	buf_deinit(&deep);
	pool_free(&pool);
	test_end();
}

static void test_xml_serialize(void)
{
	test_begin("xml serialize");
	struct pool *pool = pool_new();
	struct dav_xml_node *root, *again;
	const char *error;
	const char *xml = "<p:color xmlns:p=\"urn:x\" xmlns:q=\"urn:q\" "
	                  "q:lang=\"en\" plain=\"a&quot;b\">"
	                  "<p:shade>dark &lt;&amp;&gt;</p:shade>"
	                  "<none xmlns=\"\">x</none></p:color>";
	test_assert_int(parse(xml, pool, &root, &error), 1);
	struct buf out, out2;
	buf_init(&out);
	buf_init(&out2);
	dav_xml_serialize(root, &out);
	test_assert_str(
	    out.data, "<color xmlns=\"urn:x\" xmlns:a0=\"urn:q\" "
	              "a0:lang=\"en\" plain=\"a&quot;b\"><shade>dark "
	              "&lt;&amp;&gt;</shade><none xmlns=\"\">x</none></color>");
	test_assert_int(parse(out.data, pool, &again, &error), 1);
	dav_xml_serialize(again, &out2);
	test_assert_str(out2.data, out.data);
	buf_truncate(&out, 0);
	dav_xml_escape("a\rb\x01<", 5, &out);
	test_assert_str(out.data, "a&#13;b&lt;");
	buf_deinit(&out);
	buf_deinit(&out2);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	dav_xml_settings_init(&set);
	static void (*const tests[])(void) = {test_xml_parse, test_xml_refusals,
	                                      test_xml_limits,
	                                      test_xml_serialize, NULL};
	return test_run(tests);
}
