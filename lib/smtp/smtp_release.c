/* FUTURERELEASE (RFC 4865 §3) values: HOLDFOR's integer, HOLDUNTIL's RFC
 * 3339 date-time, and the EHLO parameters. Strict: anything the ABNF does
 * not allow is refused, so the server answers 501 rather than guessing. */
#include "smtp/smtp_release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads exactly n digits at *p. Returns the value, or -1. */
static int digits(const char **p, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int month_days(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian), without
 * timegm(): the result must not depend on the process's time zone. */
static long long days_from_civil(int year, int month, int day)
{
	long long y = month <= 2 ? year - 1 : year;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long mp = (month + 9) % 12;
	long long doy = (153 * mp + 2) / 5 + day - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* time-offset = "Z" / time-numoffset; time-numoffset = ("+" / "-")
 * time-hour ":" time-minute. Returns 0 with the offset in seconds east of
 * UTC, or -1. */
static int offset_parse(const char *p, long *off_r)
{
	*off_r = 0;
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0')
		return 0;
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':')
		return -1;
	const char *q = p + 1;
	int h = digits(&q, 2);
	q++;
	int m = digits(&q, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*off_r = (long)h * 3600 + (long)m * 60;
	if (p[0] == '-')
		*off_r = -*off_r;
	return 0;
}

/* date-time = date-fullyear "-" date-month "-" date-mday "T" time-hour ":"
 *             time-minute ":" time-second [time-secfrac] time-offset
 * time-secfrac = "." 1*DIGIT (RFC 3339 §5.6) */
int smtp_release_datetime_parse(const char *str, time_t *time_r)
{
	const char *p = str;
	int year = digits(&p, 4);
	if (year < 0 || *p++ != '-')
		return -1;
	int month = digits(&p, 2);
	if (month < 1 || month > 12 || *p++ != '-')
		return -1;
	int day = digits(&p, 2);
	if (day < 1 || day > month_days(year, month) ||
	    (*p != 'T' && *p != 't'))
		return -1;
	p++;
	int hour = digits(&p, 2);
	if (hour < 0 || hour > 23 || *p++ != ':')
		return -1;
	int min = digits(&p, 2);
	if (min < 0 || min > 59 || *p++ != ':')
		return -1;
	int sec = digits(&p, 2);
	if (sec < 0 || sec > 60) /* 60: a leap second, as :59 + 1 */
		return -1;
	if (*p == '.') {
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0)
			return -1;
		p += 1 + n;
	}
	long off;
	if (offset_parse(p, &off) < 0)
		return -1;
	long long t = days_from_civil(year, month, day) * 86400LL +
	              hour * 3600LL + min * 60LL + sec - off;
	if (t < 0 || (long long)(time_t)t != t)
		return -1;
	*time_r = (time_t)t;
	return 0;
}

void smtp_release_datetime_format(time_t t, char buf[SMTP_DATETIME_MAX])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, SMTP_DATETIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, SMTP_DATETIME_MAX, "1970-01-01T00:00:00Z");
}

/* future-release-integer = 1*9DIGIT */
int smtp_release_interval_parse(const char *str, unsigned long *secs_r)
{
	size_t n = strspn(str, "0123456789");
	if (n == 0 || n > 9 || str[n] != '\0')
		return -1;
	*secs_r = strtoul(str, NULL, 10);
	return 0;
}

/* future-release-ehlo-param = max-future-release-interval SP
 *                             max-future-release-date-time */
int smtp_release_ehlo_parse(const char *params, unsigned long *max_interval_r,
                            time_t *max_time_r)
{
	const char *sp = strchr(params, ' ');
	char interval[16];
	if (sp == NULL || (size_t)(sp - params) >= sizeof(interval))
		return -1;
	memcpy(interval, params, (size_t)(sp - params));
	interval[sp - params] = '\0';
	if (smtp_release_interval_parse(interval, max_interval_r) < 0 ||
	    smtp_release_datetime_parse(sp + 1, max_time_r) < 0)
		return -1;
	return 0;
}
