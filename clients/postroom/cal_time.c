/* Times as people type and read them (cal.h): local time through the C
 * library (TZ, else /etc/localtime, as ical_tz_local finds the zone for
 * iCalendar), RFC 3339 for scripts. Days are found with mktime so a day
 * with a change of daylight saving time is 23 or 25 hours long. */
#include "cal.h"

#include "core/pool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void when_from_tm(const struct tm *tm, bool is_date, struct ical_when *w)
{
	*w = (struct ical_when){.is_set = true,
	                        .is_date = is_date,
	                        .year = tm->tm_year + 1900,
	                        .month = tm->tm_mon + 1,
	                        .day = tm->tm_mday,
	                        .hour = is_date ? 0 : tm->tm_hour,
	                        .minute = is_date ? 0 : tm->tm_min,
	                        .second = is_date ? 0 : tm->tm_sec};
}

/* "HH:MM[:SS]" at str. Returns the characters read, or 0. */
static size_t hhmm_parse(const char *str, int *h, int *m, int *s)
{
	int n = 0;
	*s = 0;
	if (sscanf(str, "%2d:%2d%n", h, m, &n) != 2)
		return 0;
	if (str[n] == ':') {
		int n2 = 0;
		if (sscanf(str + n + 1, "%2d%n", s, &n2) != 1)
			return 0;
		n += 1 + n2;
	}
	if (*h < 0 || *h > 23 || *m < 0 || *m > 59 || *s < 0 || *s > 59)
		return 0;
	return (size_t)n;
}

/* A day word: today, tomorrow, yesterday, +Nd, a weekday name. Sets tm
 * to that local day. Returns the characters read, or 0. */
static size_t day_word(const char *str, time_t now, struct tm *tm)
{
	static const char *const days[] = {"sun", "mon", "tue", "wed",
	                                   "thu", "fri", "sat"};
	localtime_r(&now, tm);
	size_t len = strcspn(str, " T");
	int add = 0;
	if (len == 5 && strncasecmp(str, "today", 5) == 0)
		add = 0;
	else if (len == 8 && strncasecmp(str, "tomorrow", 8) == 0)
		add = 1;
	else if (len == 9 && strncasecmp(str, "yesterday", 9) == 0)
		add = -1;
	else if (str[0] == '+' && len >= 3 && str[len - 1] == 'd' &&
	         strspn(str + 1, "0123456789") == len - 2)
		add = atoi(str + 1);
	else {
		size_t d = 0;
		while (d < 7 &&
		       !(len >= 3 && strncasecmp(str, days[d], 3) == 0))
			d++;
		if (d == 7)
			return 0;
		add = ((int)d - tm->tm_wday + 7) % 7;
		add = add == 0 ? 7 : add;
	}
	tm->tm_mday += add;
	tm->tm_hour = 12; /* away from any change of offset */
	tm->tm_isdst = -1;
	time_t t = mktime(tm);
	localtime_r(&t, tm);
	return len;
}

int pr_time_parse(const char *str, time_t now, struct ical_when *when_r,
                  bool *is_utc_r)
{
	struct tm tm = {0};
	size_t used = 0;
	int y, mo, d, n = 0;
	*is_utc_r = false;
	if (sscanf(str, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		used = 10;
	} else if ((used = day_word(str, now, &tm)) == 0) {
		return -1;
	}
	if (str[used] == '\0') {
		when_from_tm(&tm, true, when_r);
		return 0;
	}
	if (str[used] != ' ' && str[used] != 'T')
		return -1;
	int h, m, s;
	size_t t = hhmm_parse(str + used + 1, &h, &m, &s);
	if (t == 0)
		return -1;
	used += 1 + t;
	if (str[used] == 'Z' && str[used + 1] == '\0')
		*is_utc_r = true;
	else if (str[used] != '\0')
		return -1;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	when_from_tm(&tm, false, when_r);
	return 0;
}

time_t pr_time_of(const struct ical_when *w, bool is_utc)
{
	struct tm tm = {.tm_year = w->year - 1900,
	                .tm_mon = w->month - 1,
	                .tm_mday = w->day,
	                .tm_hour = w->hour,
	                .tm_min = w->minute,
	                .tm_sec = w->second,
	                .tm_isdst = -1};
	return is_utc ? timegm(&tm) : mktime(&tm);
}

int64_t pr_duration_parse(const char *str)
{
	int64_t total = 0;
	const char *p = str;
	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return -1;
		char *end;
		long long n = strtoll(p, &end, 10);
		if (n < 0 || n > 100000)
			return -1;
		int64_t unit = 60; /* bare numbers are minutes */
		switch (*end) {
		case 's':
			unit = 1;
			end++;
			break;
		case 'm':
			unit = 60;
			end++;
			break;
		case 'h':
			unit = 3600;
			end++;
			break;
		case 'd':
			unit = 86400;
			end++;
			break;
		case 'w':
			unit = 7 * 86400;
			end++;
			break;
		case '\0':
			break;
		default:
			return -1;
		}
		total += (int64_t)n * unit;
		p = end;
	}
	return total;
}

time_t pr_day_start(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

time_t pr_day_add(time_t day, int n)
{
	struct tm tm;
	localtime_r(&day, &tm);
	tm.tm_mday += n;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

time_t pr_week_start(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	/* ISO 8601 weeks start on Monday */
	return pr_day_add(pr_day_start(t), -((tm.tm_wday + 6) % 7));
}

time_t pr_month_start(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

time_t pr_month_add(time_t month, int n)
{
	struct tm tm;
	localtime_r(&month, &tm);
	tm.tm_mon += n;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

const char *pr_time_rfc3339(time_t t, struct pool *pool)
{
	struct tm tm;
	localtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	/* +0200 -> +02:00 */
	size_t len = strlen(buf);
	return pool_printf(pool, "%.*s:%s", (int)(len - 2), buf, buf + len - 2);
}

const char *pr_time_date(time_t t, struct pool *pool)
{
	struct tm tm;
	localtime_r(&t, &tm);
	return pool_printf(pool, "%04d-%02d-%02d", tm.tm_year + 1900,
	                   tm.tm_mon + 1, tm.tm_mday);
}

void pr_time_hhmm(time_t t, char out[6])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 6, "%H:%M", &tm);
}

void pr_time_day_label(time_t t, char out[16])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 16, "%a %Y-%m-%d", &tm);
}
