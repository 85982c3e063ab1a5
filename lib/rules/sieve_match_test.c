/* Tests of the pieces under the interpreter: :matches with its match
 * variables (RFC 5228 §2.7.1, RFC 5229 §3.2), the search behind
 * :contains, the "set" modifiers (RFC 5229 §4.1 examples), dates and
 * date-parts (RFC 5322 §3.3, RFC 5260 §4.2), address and field-name
 * syntax, and mailto URIs (RFC 6068, RFC 5436). */
#include "core/buf.h"
#include "core/pool.h"
#include "rules/sieve_private.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_glob(void)
{
	static const struct {
		const char *value, *key;
		enum sieve_comparator cmp;
		int want;
		const char *vars; /* the wildcards' parts, "|"-separated */
	} cases[] = {
	    {"frobnitzm", "frob*", SIEVE_CMP_ASCII_CASEMAP, 1, "nitzm"},
	    {"frobnitzm", "*nit*", SIEVE_CMP_ASCII_CASEMAP, 1, "frob|zm"},
	    {"frobnitzm", "f?obnitzm", SIEVE_CMP_ASCII_CASEMAP, 1, "r"},
	    {"frobnitzm", "FROB*", SIEVE_CMP_OCTET, 0, NULL},
	    {"frobnitzm", "FROB*", SIEVE_CMP_ASCII_CASEMAP, 1, "nitzm"},
	    {"", "*", SIEVE_CMP_OCTET, 1, ""},
	    {"", "?", SIEVE_CMP_OCTET, 0, NULL},
	    {"a*b", "a\\*b", SIEVE_CMP_OCTET, 1, ""},
	    {"axb", "a\\*b", SIEVE_CMP_OCTET, 0, NULL},
	    {"a?", "a\\?", SIEVE_CMP_OCTET, 1, ""},
	    /* RFC 5229 §3.2 examples */
	    {"[acme-users] [fwd] version 1.0 is out", "[*] *",
	     SIEVE_CMP_ASCII_CASEMAP, 1, "acme-users|[fwd] version 1.0 is out"},
	    {"coyote@ACME.Example.COM", "coyote@**.com",
	     SIEVE_CMP_ASCII_CASEMAP, 1, "|ACME.Example"},
	    {"Ann <ann@example.org>", "*<*@*", SIEVE_CMP_ASCII_CASEMAP, 1,
	     "Ann |ann|example.org>"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*c",
	     SIEVE_CMP_OCTET, 0, NULL},
	    {"abcabcabd", "*abd", SIEVE_CMP_OCTET, 1, "abcabc"},
	    {"\xc3\xa9t\xc3\xa9", "?t??", SIEVE_CMP_OCTET, 0, NULL},
	    {"\xc3\xa9t\xc3\xa9", "??t??", SIEVE_CMP_OCTET, 1,
	     "\xc3|\xa9|\xc3|\xa9"},
	};
	test_begin(":matches and its match variables");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t starts[9], lens[9];
		unsigned count = 0;
		uint64_t steps = 100000;
		int ret = sieve_glob_match(cases[i].value,
		                           strlen(cases[i].value), cases[i].key,
		                           strlen(cases[i].key), cases[i].cmp,
		                           starts, lens, 9, &count, &steps);
		test_assert_idx(ret == cases[i].want, i);
		if (ret != 1 || cases[i].vars == NULL)
			continue;
		struct buf got;
		buf_init(&got);
		for (unsigned k = 0; k < count; k++) {
			if (k > 0)
				buf_append_char(&got, '|');
			buf_append(&got, cases[i].value + starts[k], lens[k]);
		}
		if (strcmp(got.data, cases[i].vars) != 0)
			printf("case %zu: got %s\n", i, got.data);
		test_assert_idx(strcmp(got.data, cases[i].vars) == 0, i);
		buf_deinit(&got);
	}
	/* the work is bounded: a pathological glob runs out of steps */
	char value[20001];
	memset(value, 'a', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	size_t starts[9], lens[9];
	unsigned count;
	uint64_t steps = 1000;
	test_assert(sieve_glob_match(value, strlen(value), "*a*a*a*b", 8,
	                             SIEVE_CMP_OCTET, starts, lens, 9, &count,
	                             &steps) == -1);
	test_end();
}

static void test_find(void)
{
	static const struct {
		const char *hay, *needle;
		long want;
	} cases[] = {
	    {"frobnitzm", "nit", 4}, {"frobnitzm", "fbm", -1},
	    {"frobnitzm", "", 0},    {"aaaaab", "aab", 3},
	    {"abababc", "ababc", 2}, {"ab", "abc", -1},
	    {"x", "x", 0},
	};
	test_begin("substring search");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(
		    sieve_bytes_find(cases[i].hay, strlen(cases[i].hay),
		                     cases[i].needle,
		                     strlen(cases[i].needle)) == cases[i].want,
		    i);
	test_end();
}

#define TAG(x) (UINT64_C(1) << SIEVE_TAG_##x)

static void test_modifiers(void)
{
	/* RFC 5229 §4.1 */
	static const struct {
		uint64_t mask;
		const char *in, *want;
	} cases[] = {
	    {0, "juMBlEd lETteRS", "juMBlEd lETteRS"},
	    {TAG(LENGTH), "juMBlEd lETteRS", "15"},
	    {TAG(LOWER), "juMBlEd lETteRS", "jumbled letters"},
	    {TAG(UPPERFIRST), "juMBlEd lETteRS", "JuMBlEd lETteRS"},
	    {TAG(UPPERFIRST) | TAG(LOWER), "juMBlEd lETteRS",
	     "Jumbled letters"},
	    {TAG(QUOTEWILDCARD), "Rock*", "Rock\\*"},
	    {TAG(LENGTH) | TAG(QUOTEWILDCARD), "a*", "3"},
	    {TAG(QUOTEREGEX), "a.b*(c)", "a\\.b\\*\\(c\\)"},
	    {TAG(ENCODEURL), "Safe body&evil=evilbody",
	     "Safe%20body%26evil%3Devilbody"},
	    {TAG(LENGTH), "\xc3\xa9t\xc3\xa9", "3"},
	};
	test_begin("set modifiers");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out;
		buf_init(&out);
		sieve_string_modify(cases[i].in, strlen(cases[i].in),
		                    cases[i].mask, &out);
		test_assert_idx(strcmp(out.data, cases[i].want) == 0, i);
		buf_deinit(&out);
	}
	test_end();
}

static void test_dates(void)
{
	static const struct {
		const char *date;
		time_t t;
		long offset;
	} good[] = {
	    {"Mon, 4 Mar 2024 10:00:00 +0100", 1709542800, 3600},
	    {"4 Mar 2024 10:00 -0000", 1709546400, 0},
	    {"Fri, 21 Nov 1997 09:55:06 -0600", 880127706, -21600},
	    {"Thu, 13 Feb 1969 23:32:54 -0330", -27723426, -12600},
	    {"Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", 1057049557, 7200},
	    {"21 Nov 97 09:55:06 GMT", 880106106, 0},
	    {"  Fri, 21 Nov 1997 09:55:06 EST", 880124106, -18000},
	    {"Sat, 31 Dec 2016 23:59:60 +0000", 1483228800, 0},
	};
	static const char *const bad[] = {
	    "",
	    "yesterday",
	    "32 Jan 2024 10:00 +0000",
	    "29 Feb 2023 10:00 +0000",
	    "1 Foo 2024 10:00 +0000",
	    "1 Jan 2024 24:00 +0000",
	    "1 Jan 2024 10:00 +01",
	    "Mon 1 Jan 2024 10:00 +0000",
	};
	test_begin("RFC 5322 dates");
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		struct sieve_datetime dt;
		test_assert_idx(sieve_date_parse(good[i].date,
		                                 strlen(good[i].date),
		                                 &dt) == 0,
		                i);
		test_assert_idx(dt.t == good[i].t, i);
		test_assert_idx(dt.offset == good[i].offset, i);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct sieve_datetime dt;
		test_assert_idx(
		    sieve_date_parse(bad[i], strlen(bad[i]), &dt) < 0, i);
	}
	test_end();
}

static void test_date_parts(void)
{
	/* 2007-02-26 14:30:05 UTC, shown in +0100 */
	struct sieve_datetime dt = {.t = 1172500205, .offset = 3600};
	static const struct {
		const char *part, *want;
	} cases[] = {
	    {"year", "2007"},
	    {"month", "02"},
	    {"day", "26"},
	    {"date", "2007-02-26"},
	    {"julian", "54157"},
	    {"hour", "15"},
	    {"minute", "30"},
	    {"second", "05"},
	    {"time", "15:30:05"},
	    {"iso8601", "2007-02-26T15:30:05+01:00"},
	    {"std11", "Mon, 26 Feb 2007 15:30:05 +0100"},
	    {"zone", "+0100"},
	    {"weekday", "1"},
	};
	test_begin("RFC 5260 date-parts");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out;
		buf_init(&out);
		test_assert_idx(sieve_date_part(&dt, cases[i].part, &out) == 0,
		                i);
		if (strcmp(out.data, cases[i].want) != 0)
			printf("%s: got %s\n", cases[i].part, out.data);
		test_assert_idx(strcmp(out.data, cases[i].want) == 0, i);
		buf_deinit(&out);
	}
	long offset;
	test_assert(sieve_zone_parse("-0500", &offset) == 0 &&
	            offset == -18000);
	test_assert(sieve_zone_parse("+0530", &offset) == 0 && offset == 19800);
	test_assert(sieve_zone_parse("0500", &offset) < 0);
	test_assert(sieve_zone_parse("+05", &offset) < 0);
	test_assert(sieve_zone_parse("+0560", &offset) < 0);
	/* the day before the epoch, and a weekday far back */
	struct sieve_datetime old = {.t = -86400, .offset = 0};
	struct buf out;
	buf_init(&out);
	sieve_date_part(&old, "date", &out);
	test_assert_str(out.data, "1969-12-31");
	buf_truncate(&out, 0);
	sieve_date_part(&old, "weekday", &out);
	test_assert_str(out.data, "3");
	buf_deinit(&out);
	test_end();
}

static void test_syntax(void)
{
	static const struct {
		const char *addr;
		bool valid;
	} addrs[] = {
	    {"a@example.com", true},
	    {"a.b+c@example.com", true},
	    {"\"a b\"@example.com", true},
	    {"a@[192.0.2.1]", true},
	    {"j\xc3\xb6rg@example.com", true},
	    {"", false},
	    {"a", false},
	    {"@example.com", false},
	    {"a@", false},
	    {"a..b@example.com", false},
	    {".a@example.com", false},
	    {"a b@example.com", false},
	    {"a@exa mple.com", false},
	    {"a@b@c", false},
	    {"<a@example.com>", false},
	    {"a@example..com", false},
	};
	test_begin("address and field name syntax");
	for (size_t i = 0; i < sizeof(addrs) / sizeof(*addrs); i++)
		test_assert_idx(sieve_address_is_valid(addrs[i].addr,
		                                       strlen(addrs[i].addr)) ==
		                    addrs[i].valid,
		                i);
	test_assert(sieve_field_name_is_valid("X-Spam-Score", 12));
	test_assert(!sieve_field_name_is_valid("X Spam", 6));
	test_assert(!sieve_field_name_is_valid("a:b", 3));
	test_assert(!sieve_field_name_is_valid("", 0));
	test_assert(sieve_variable_name_is_valid("a_1", 3, false));
	test_assert(!sieve_variable_name_is_valid("1a", 2, false));
	test_assert(sieve_variable_name_is_valid("global.x", 8, true));
	test_assert(!sieve_variable_name_is_valid("global.x", 8, false));
	test_end();
}

static void test_mailto(void)
{
	struct pool *pool = pool_new();
	struct sieve_mailto m;
	test_begin("mailto URIs (RFC 6068)");
	const char *uri = "mailto:alm@example.com,b%2Bc@example.org?subject="
	                  "Hi%20there&body=a%26b&from=evil@example.net&"
	                  "cc=c@example.com";
	test_assert(sieve_mailto_parse(uri, strlen(uri), pool, &m) == 0);
	test_assert(m.rcpt_count == 3);
	test_assert_str(m.rcpts[0], "alm@example.com");
	test_assert_str(m.rcpts[1], "b+c@example.org"); /* decoded */
	test_assert_str(m.rcpts[2], "c@example.com");
	test_assert_str(m.subject, "Hi there");
	test_assert_str(m.body, "a&b");
	static const char *const bad[] = {
	    "mailto:",
	    "mailto:?subject=x",
	    "xmpp:a@example.com",
	    "mailto:a",
	    "mailto:a@b%0",
	    "mailto:a@b?subject",
	    "mailto:a%00@example.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(
		    sieve_mailto_parse(bad[i], strlen(bad[i]), pool, &m) < 0,
		    i);
	uri = "mailto:?to=a@example.com";
	test_assert(sieve_mailto_parse(uri, strlen(uri), pool, &m) == 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_glob,       test_find,   test_modifiers, test_dates,
	    test_date_parts, test_syntax, test_mailto,    NULL,
	};
	return test_run(tests);
}
