/* Tests for http_date.c with the examples of RFC 9110 §5.6.7: the three
 * forms of the same instant, the rfc850 century rule, and refusals. */
#include "http/http_date.h"
#include "test/test.h"

#include <string.h>

static int parse(const char *str, time_t now, time_t *t)
{
	return http_date_parse(str, strlen(str), now, t);
}

static void test_date_forms(void)
{
	test_begin("http_date three forms");
	const time_t want = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	const time_t now = 1700000000; /* 2023 */
	time_t t = 0;
	test_assert_int(parse("Sun, 06 Nov 1994 08:49:37 GMT", now, &t), 0);
	test_assert_int(t, want);
	t = 0;
	test_assert_int(parse("Sunday, 06-Nov-94 08:49:37 GMT", now, &t), 0);
	test_assert_int(t, want);
	t = 0;
	test_assert_int(parse("Sun Nov  6 08:49:37 1994", now, &t), 0);
	test_assert_int(t, want);
	char out[HTTP_DATE_LEN + 1];
	http_date_format(want, out);
	test_assert_str(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_format(0, out);
	test_assert_str(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	/* a leap day, and the round trip of a recent time */
	test_assert_int(parse("Thu, 29 Feb 2024 12:00:00 GMT", now, &t), 0);
	http_date_format(t, out);
	test_assert_str(out, "Thu, 29 Feb 2024 12:00:00 GMT");
	/* §5.6.7: a two-digit year more than 50 years ahead is past */
	test_assert_int(parse("Monday, 01-Jan-40 00:00:00 GMT", now, &t), 0);
	http_date_format(t, out);
	test_assert_str(out, "Sun, 01 Jan 2040 00:00:00 GMT");
	test_assert_int(parse("Monday, 01-Jan-80 00:00:00 GMT", now, &t), 0);
	http_date_format(t, out);
	test_assert_str(out, "Tue, 01 Jan 1980 00:00:00 GMT");
	test_end();
}

static void test_date_refusals(void)
{
	test_begin("http_date refusals");
	static const char *const bad[] = {
	    "",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "sun, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 nov 1994 08:49:37 GMT",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 24:00:00 GMT",
	    "Sun, 06 Nov 1994 08:60:00 GMT",
	    "Sun, 31 Apr 1994 08:49:37 GMT",
	    "Sun, 29 Feb 2023 08:49:37 GMT",
	    " Sun, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:37 GMT ",
	    "Sun,  06 Nov 1994 08:49:37 GMT",
	    "Sun Nov 6 08:49:37 1994",
	    "Sunday, 06-Nov-1994 08:49:37 GMT",
	    "Sund, 06-Nov-94 08:49:37 GMT",
	    "Sun, 00 Nov 1994 08:49:37 GMT",
	    "1994-11-06T08:49:37Z",
	    "-1",
	};
	time_t t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_assert_idx(parse(bad[i], 1700000000, &t) == -1, i);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_date_forms,
	                                      test_date_refusals, NULL};
	return test_run(tests);
}
