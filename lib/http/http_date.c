/* HTTP-date (RFC 9110 §5.6.7):
 *   IMF-fixdate  = day-name "," SP day SP month SP year SP time SP "GMT"
 *   rfc850-date  = day-name-l "," SP day "-" month "-" 2DIGIT SP time SP GMT
 *   asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time
 *                  SP year
 * The calendar arithmetic is done here (days from the civil date), so no
 * time zone or locale is involved. */
#include "http/http_date.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const http_days[7] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};
static const char *const http_days_long[7] = {
    "Sunday",   "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday"};
static const char *const http_months[12] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};

void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
	struct tm tm;
	char tmp[64];
	gmtime_r(&t, &tm);
	/* years past 9999 do not fit: such a time is a bug upstream, and
	 * the text is cut rather than overrun */
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	         http_days[tm.tm_wday % 7], tm.tm_mday,
	         http_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, HTTP_DATE_LEN);
	out[HTTP_DATE_LEN] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t http_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool http_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* n digits at p, or -1 */
static int http_digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int http_month(const char *p)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(p, http_months[m], 3) == 0)
			return m + 1;
	return -1;
}

/* time-of-day = hour ":" minute ":" second (8 bytes) */
static bool http_time(const char *p, int *h, int *m, int *s)
{
	if (p[2] != ':' || p[5] != ':')
		return false;
	*h = http_digits(p, 2);
	*m = http_digits(p + 3, 2);
	*s = http_digits(p + 6, 2);
	return *h >= 0 && *h <= 23 && *m >= 0 && *m <= 59 && *s >= 0 &&
	       *s <= 60;
}

static int http_make(int year, int month, int day, int h, int m, int s,
                     time_t *t_r)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	                              31, 31, 30, 31, 30, 31};
	if (month < 1 || day < 1 ||
	    day > mdays[month - 1] + (month == 2 && http_is_leap(year)))
		return -1;
	int64_t days = http_days_from_civil(year, month, day);
	*t_r = (time_t)(days * 86400 + h * 3600 + m * 60 + s);
	return 0;
}

static int http_day_name(const char *str, size_t len, const char *const *names,
                         size_t *name_len_r)
{
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(names[i]);
		if (len >= n && memcmp(str, names[i], n) == 0) {
			*name_len_r = n;
			return i;
		}
	}
	return -1;
}

int http_date_parse(const char *str, size_t len, time_t now, time_t *t_r)
{
	size_t n;
	int h, mi, s;
	if (len == 29 && http_day_name(str, len, http_days, &n) >= 0 &&
	    memcmp(str + 3, ", ", 2) == 0 && str[7] == ' ' && str[11] == ' ' &&
	    str[16] == ' ' && memcmp(str + 25, " GMT", 4) == 0) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		int day = http_digits(str + 5, 2), month = http_month(str + 8);
		int year = http_digits(str + 12, 4);
		if (day < 0 || month < 0 || year < 0 ||
		    !http_time(str + 17, &h, &mi, &s))
			return -1;
		return http_make(year, month, day, h, mi, s, t_r);
	}
	if (len == 24 && http_day_name(str, len, http_days, &n) >= 0 &&
	    str[3] == ' ' && str[7] == ' ' && str[10] == ' ' &&
	    str[19] == ' ') {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		int month = http_month(str + 4);
		int day = str[8] == ' ' ? http_digits(str + 9, 1)
		                        : http_digits(str + 8, 2);
		int year = http_digits(str + 20, 4);
		if (month < 0 || day < 0 || year < 0 ||
		    !http_time(str + 11, &h, &mi, &s))
			return -1;
		return http_make(year, month, day, h, mi, s, t_r);
	}
	if (http_day_name(str, len, http_days_long, &n) >= 0 && len == n + 24 &&
	    memcmp(str + n, ", ", 2) == 0) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		const char *p = str + n + 2;
		if (p[2] != '-' || p[6] != '-' || p[9] != ' ' ||
		    memcmp(p + 18, " GMT", 4) != 0)
			return -1;
		int day = http_digits(p, 2), month = http_month(p + 3);
		int yy = http_digits(p + 7, 2);
		if (day < 0 || month < 0 || yy < 0 ||
		    !http_time(p + 10, &h, &mi, &s))
			return -1;
		struct tm tm;
		gmtime_r(&now, &tm);
		int this_year = tm.tm_year + 1900;
		int year = this_year - this_year % 100 + yy;
		if (year > this_year + 50)
			year -= 100;
		return http_make(year, month, day, h, mi, s, t_r);
	}
	return -1;
}
