/* Tests for smtp_release.c: RFC 3339 date-times (the examples of RFC 3339
 * §5.8 and malformed ones), HOLDFOR integers, and the EHLO parameters of
 * RFC 4865 §3. */
#include "smtp/smtp_release.h"
#include "test/test.h"

#include <string.h>

static const struct {
	const char *in;
	int ret;
	long long when;
} datetime_cases[] = {
    /* RFC 3339 §5.8 */
    {"1985-04-12T23:20:50.52Z", 0, 482196050},
    {"1996-12-19T16:39:57-08:00", 0, 851042397},
    {"1990-12-31T23:59:60Z", 0, 662688000},
    {"1990-12-31T15:59:60-08:00", 0, 662688000},
    {"1937-01-01T12:00:27.87+00:20", -1, 0}, /* before 1970 */
    {"2004-08-31T10:20:30Z", 0, 1093947630},
    {"2004-08-31t10:20:30z", 0, 1093947630},
    {"2024-02-29T00:00:00Z", 0, 1709164800},
    {"2023-02-29T00:00:00Z", -1, 0},
    {"2004-13-01T00:00:00Z", -1, 0},
    {"2004-08-31T24:00:00Z", -1, 0},
    {"2004-08-31T10:60:00Z", -1, 0},
    {"2004-08-31T10:20:61Z", -1, 0},
    {"2004-08-31 10:20:30Z", -1, 0},
    {"2004-08-31T10:20:30", -1, 0},
    {"2004-08-31T10:20:30.Z", -1, 0},
    {"2004-08-31T10:20:30+0100", -1, 0},
    {"2004-08-31T10:20:30+01:00x", -1, 0},
    {"2004-8-31T10:20:30Z", -1, 0},
    {"", -1, 0},
};

static void test_datetime(void)
{
	test_begin("smtp release: RFC 3339 date-time");
	for (size_t i = 0; i < sizeof(datetime_cases) / sizeof(*datetime_cases);
	     i++) {
		time_t t = 0;
		int ret = smtp_release_datetime_parse(datetime_cases[i].in, &t);
		test_assert_idx(ret == datetime_cases[i].ret, i);
		if (ret == 0)
			test_assert_idx((long long)t == datetime_cases[i].when,
			                i);
	}
	char buf[SMTP_DATETIME_MAX];
	smtp_release_datetime_format(1093947630, buf);
	test_assert_str(buf, "2004-08-31T10:20:30Z");
	time_t back;
	test_assert(smtp_release_datetime_parse(buf, &back) == 0);
	test_assert_int(back, 1093947630);
	test_end();
}

static void test_interval(void)
{
	test_begin("smtp release: HOLDFOR 1*9DIGIT");
	unsigned long secs;
	test_assert(smtp_release_interval_parse("0", &secs) == 0 && secs == 0);
	test_assert(smtp_release_interval_parse("5", &secs) == 0 && secs == 5);
	test_assert(smtp_release_interval_parse("999999999", &secs) == 0 &&
	            secs == 999999999);
	test_assert(smtp_release_interval_parse("1000000000", &secs) < 0);
	test_assert(smtp_release_interval_parse("", &secs) < 0);
	test_assert(smtp_release_interval_parse("-5", &secs) < 0);
	test_assert(smtp_release_interval_parse("5s", &secs) < 0);
	test_assert(smtp_release_interval_parse(" 5", &secs) < 0);
	test_end();
}

static void test_ehlo(void)
{
	test_begin("smtp release: EHLO parameters");
	unsigned long max;
	time_t until;
	test_assert(smtp_release_ehlo_parse("604800 2004-08-31T10:20:30Z", &max,
	                                    &until) == 0);
	test_assert_int(max, 604800);
	test_assert_int(until, 1093947630);
	test_assert(smtp_release_ehlo_parse("604800", &max, &until) < 0);
	test_assert(smtp_release_ehlo_parse("", &max, &until) < 0);
	test_assert(smtp_release_ehlo_parse("x 2004-08-31T10:20:30Z", &max,
	                                    &until) < 0);
	test_assert(smtp_release_ehlo_parse("60 tomorrow", &max, &until) < 0);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_datetime, test_interval,
	                                      test_ehlo, NULL};
	return test_run(tests);
}
