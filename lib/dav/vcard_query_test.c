/* Unit tests for vcard_query.c: addressbook-query filters (RFC 6352
 * §10.5: anyof/allof at both levels, match types, collations, negation,
 * param-filter, is-not-defined, groups) and partial address data
 * (§10.4.2). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/vcard.h"
#include "dav/vcard_query.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

#define CR "xmlns:CR=\"urn:ietf:params:xml:ns:carddav\""

static const char card_text[] =
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\n"
    "FN:J\xc3\xb6rg M\xc3\xbcller\r\nN:M\xc3\xbcller;J\xc3\xb6rg;;;\r\n"
    "EMAIL;TYPE=work:joerg@work.example\r\n"
    "item1.EMAIL;TYPE=home:jm@home.example\r\n"
    "TEL;TYPE=cell:+49 170 1234\r\nNOTE:likes a\\, b and c\r\n"
    "END:VCARD\r\n";

static struct vcard *card(struct pool *pool)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *c = NULL;
	const char *error = NULL;
	if (vcard_parse_resource((const unsigned char *)card_text,
	                         strlen(card_text), &set, pool, &c, &error) < 0)
		test_assert_str(error, "");
	return c;
}

static struct dav_xml_node *xml(const char *text, struct pool *pool)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root = NULL;
	const char *error = NULL;
	if (dav_xml_parse((const unsigned char *)text, strlen(text), &set, pool,
	                  &root, &error) != 1)
		test_assert_str(error, "");
	return root;
}

static void test_card_query(void)
{
	static const struct {
		const char *filter;
		bool want;
	} cases[] = {
	    {"<CR:filter " CR "/>", true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"FN\"/></CR:filter>",
	     true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"ADR\"/></CR:filter>",
	     false},
	    {"<CR:filter " CR
	     "><CR:prop-filter name=\"ADR\"><CR:is-not-defined/>"
	     "</CR:prop-filter></CR:filter>",
	     true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"EMAIL\"><CR:text-match "
	     "match-type=\"equals\">JM@HOME.EXAMPLE</CR:text-match>"
	     "</CR:prop-filter></CR:filter>",
	     true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"EMAIL\"><CR:text-match "
	     "match-type=\"starts-with\">home</CR:text-match></CR:prop-filter>"
	     "</CR:filter>",
	     false},
	    {"<CR:filter " CR "><CR:prop-filter name=\"FN\"><CR:text-match "
	     "collation=\"i;unicode-casemap\" match-type=\"ends-with\">"
	     "M\xc3\x9cLLER</CR:text-match></CR:prop-filter></CR:filter>",
	     true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"FN\"><CR:text-match "
	     "match-type=\"ends-with\">M\xc3\x9cLLER</CR:text-match>"
	     "</CR:prop-filter></CR:filter>",
	     false},
	    {"<CR:filter " CR "><CR:prop-filter name=\"NOTE\"><CR:text-match>"
	     "a, b</CR:text-match></CR:prop-filter></CR:filter>",
	     true},
	    {"<CR:filter " CR "><CR:prop-filter name=\"TEL\"><CR:text-match "
	     "negate-condition=\"yes\">1234</CR:text-match></CR:prop-filter>"
	     "</CR:filter>",
	     false},
	    /* anyof: one of two prop-filters; allof: both */
	    {"<CR:filter " CR "><CR:prop-filter name=\"ADR\"/>"
	     "<CR:prop-filter name=\"TEL\"/></CR:filter>",
	     true},
	    {"<CR:filter " CR " test=\"allof\"><CR:prop-filter name=\"ADR\"/>"
	     "<CR:prop-filter name=\"TEL\"/></CR:filter>",
	     false},
	    /* inside a prop-filter, allof of a text-match and a param-filter
	     * on the same property */
	    {"<CR:filter " CR "><CR:prop-filter name=\"EMAIL\" test=\"allof\">"
	     "<CR:text-match>work</CR:text-match><CR:param-filter "
	     "name=\"TYPE\"><CR:text-match match-type=\"equals\">home"
	     "</CR:text-match></CR:param-filter></CR:prop-filter></CR:filter>",
	     false},
	    {"<CR:filter " CR "><CR:prop-filter name=\"EMAIL\" test=\"anyof\">"
	     "<CR:text-match>work</CR:text-match><CR:param-filter "
	     "name=\"TYPE\"><CR:text-match match-type=\"equals\">home"
	     "</CR:text-match></CR:param-filter></CR:prop-filter></CR:filter>",
	     true},
	    {"<CR:filter " CR
	     "><CR:prop-filter name=\"EMAIL\"><CR:param-filter "
	     "name=\"PREF\"><CR:is-not-defined/></CR:param-filter>"
	     "</CR:prop-filter></CR:filter>",
	     true},
	};
	test_begin("card query");
	struct pool *pool = pool_new();
	struct vcard *c = card(pool);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases) && c; i++) {
		struct vcard_filter *f = NULL;
		const char *pre, *error;
		test_assert_idx(vcard_query_from_xml(xml(cases[i].filter, pool),
		                                     pool, &f, &pre,
		                                     &error) == 0,
		                i);
		test_assert_idx(f != NULL && vcard_query_match(c, f, pool) ==
		                                 cases[i].want,
		                i);
	}
	struct vcard_filter *f;
	const char *pre, *error;
	test_assert(
	    vcard_query_from_xml(xml("<CR:filter " CR " test=\"some\"/>", pool),
	                         pool, &f, &pre, &error) < 0);
	test_assert(vcard_query_from_xml(
	                xml("<CR:filter " CR "><CR:prop-filter name=\"FN\">"
	                    "<CR:text-match match-type=\"like\">x"
	                    "</CR:text-match></CR:prop-filter></CR:filter>",
	                    pool),
	                pool, &f, &pre, &error) < 0);
	pool_free(&pool);
	test_end();
}

static void test_card_partial(void)
{
	test_begin("card partial data");
	struct pool *pool = pool_new();
	struct vcard *c = card(pool);
	const char **names;
	size_t count;
	vcard_query_props_from_xml(
	    xml("<CR:address-data " CR "><CR:prop name=\"email\"/>"
	        "<CR:prop name=\"FN\"/></CR:address-data>",
	        pool),
	    pool, &names, &count);
	test_assert_int(count, 2);
	struct buf out;
	buf_init(&out);
	if (c != NULL)
		vcard_query_partial(c, names, count, &out);
	test_assert_str(
	    out.data, "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\n"
	              "FN:J\xc3\xb6rg M\xc3\xbcller\r\n"
	              "EMAIL;TYPE=work:joerg@work.example\r\n"
	              "ITEM1.EMAIL;TYPE=home:jm@home.example\r\nEND:VCARD\r\n");
	vcard_query_props_from_xml(xml("<CR:address-data " CR "/>", pool), pool,
	                           &names, &count);
	test_assert_int(count, 0);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_card_resource(void)
{
	static const struct {
		const char *text, *reason;
	} bad[] = {
	    {"", "no vCard"},
	    {"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n",
	     "without UID"},
	    {"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nEND:VCARD\r\n",
	     "without FN"},
	    {"BEGIN:VCARD\r\nUID:1\r\nFN:x\r\nEND:VCARD\r\n",
	     "without VERSION"},
	    {"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:x\r\nEND:VCARD\r\n"
	     "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:2\r\nFN:y\r\nEND:VCARD\r\n",
	     "more than one"},
	    {"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:x\r\n",
	     "invalid vCard"},
	    {"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "invalid vCard"},
	};
	test_begin("card resource validation");
	struct pool *pool = pool_new();
	struct vcard_settings set;
	vcard_settings_init(&set);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct vcard *c;
		const char *error = "";
		test_assert_idx(
		    vcard_parse_resource((const unsigned char *)bad[i].text,
		                         strlen(bad[i].text), &set, pool, &c,
		                         &error) < 0,
		    i);
		test_assert_idx(strstr(error, bad[i].reason) != NULL, i);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_card_query, test_card_partial, test_card_resource, NULL};
	return test_run(tests);
}
