/* Unit tests for dav_collation.c: the three collations of RFC 4790 §9
 * and RFC 5051 that CalDAV and CardDAV name, and the four match types of
 * RFC 6352 §10.5.4. */
#include "core/buf.h"
#include "dav/dav_collation.h"
#include "test/test.h"

#include <string.h>

static void test_collation_match(void)
{
	static const struct {
		enum dav_collation c;
		enum dav_match_type t;
		const char *needle, *hay;
		bool want;
	} cases[] = {
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_CONTAINS, "OHN", "john",
	     true},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_EQUALS, "JOHN", "john",
	     true},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_EQUALS, "JOH", "john",
	     false},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_STARTS_WITH, "Jo", "john",
	     true},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_STARTS_WITH, "oh", "john",
	     false},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_ENDS_WITH, "HN", "john",
	     true},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_ENDS_WITH, "johnny", "john",
	     false},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_CONTAINS, "", "x", true},
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_EQUALS, "", "x", false},
	    /* ASCII folding leaves other letters alone */
	    {DAV_COLLATION_ASCII_CASEMAP, DAV_MATCH_EQUALS, "\xc3\x89",
	     "\xc3\xa9", false},
	    {DAV_COLLATION_UNICODE_CASEMAP, DAV_MATCH_EQUALS, "\xc3\x89",
	     "\xc3\xa9", true},
	    /* Greek, Cyrillic, Latin Extended-A */
	    {DAV_COLLATION_UNICODE_CASEMAP, DAV_MATCH_CONTAINS,
	     "\xce\xa3\xce\x9f\xce\xa6",
	     "\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1", true},
	    {DAV_COLLATION_UNICODE_CASEMAP, DAV_MATCH_EQUALS,
	     "\xd0\x9c\xd0\x98\xd0\xa0", "\xd0\xbc\xd0\xb8\xd1\x80", true},
	    {DAV_COLLATION_UNICODE_CASEMAP, DAV_MATCH_EQUALS,
	     "\xc5\x81\xc3\xb3"
	     "d\xc5\xba",
	     "\xc5\x82\xc3\x93"
	     "D\xc5\xb9",
	     true},
	    /* invalid UTF-8 compares as bytes, never crashes */
	    {DAV_COLLATION_UNICODE_CASEMAP, DAV_MATCH_CONTAINS, "\xff", "a\xff",
	     true},
	    {DAV_COLLATION_OCTET, DAV_MATCH_EQUALS, "John", "john", false},
	    {DAV_COLLATION_OCTET, DAV_MATCH_CONTAINS, "oh", "john", true},
	};
	test_begin("collation match");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(
		    dav_collation_match(cases[i].c, cases[i].t, cases[i].needle,
		                        cases[i].hay) == cases[i].want,
		    i);
	test_end();
}

static void test_collation_names(void)
{
	test_begin("collation names");
	enum dav_collation c;
	enum dav_match_type t;
	test_assert(dav_collation_parse(NULL, &c) == 0 &&
	            c == DAV_COLLATION_ASCII_CASEMAP);
	test_assert(dav_collation_parse("i;octet", &c) == 0 &&
	            c == DAV_COLLATION_OCTET);
	test_assert(dav_collation_parse("i;unicode-casemap", &c) == 0 &&
	            c == DAV_COLLATION_UNICODE_CASEMAP);
	test_assert(dav_collation_parse("i;basic", &c) < 0);
	test_assert(dav_match_type_parse(NULL, &t) == 0 &&
	            t == DAV_MATCH_CONTAINS);
	test_assert(dav_match_type_parse("ends-with", &t) == 0 &&
	            t == DAV_MATCH_ENDS_WITH);
	test_assert(dav_match_type_parse("regex", &t) < 0);
	struct buf b;
	buf_init(&b);
	dav_collation_fold(DAV_COLLATION_UNICODE_CASEMAP,
	                   "\xc3\x9c"
	                   "BER",
	                   &b);
	test_assert_str(b.data, "\xc3\xbc"
	                        "ber");
	buf_deinit(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_collation_match,
	                                      test_collation_names, NULL};
	return test_run(tests);
}
