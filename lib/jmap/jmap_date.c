/* Dates of JMAP: RFC 5322 §3.3 date-time read from header fields (with
 * the obsolete zones and years of §4.3), written as RFC 3339 UTCDate and
 * Date (RFC 8620 §1.4), and read back from clients. */
#include "core/buf.h"
#include "jmap/jmap_email.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		int depth = 0;
		do {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			else if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		} while (*p != '\0' && depth > 0);
	}
}

static int number(const char **p, int min_digits, int max_digits)
{
	int n = 0, digits = 0;
	while (isdigit((unsigned char)**p) && digits < max_digits) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits >= min_digits ? n : -1;
}

static int zone_offset(const char *p, int *offset_r)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"UT", 0},   {"GMT", 0},  {"Z", 0},    {"EST", -5},
	             {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7},
	             {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int hhmm = number(&p, 4, 4);
		if (hhmm < 0 || hhmm % 100 > 59)
			return -1;
		*offset_r = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
		return 0;
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		size_t len = strlen(zones[i].name);
		if (strncasecmp(p, zones[i].name, len) == 0 &&
		    !isalpha((unsigned char)p[len])) {
			*offset_r = zones[i].hours * 3600;
			return 0;
		}
	}
	*offset_r = 0; /* §4.3: other military zones mean -0000 */
	return isalpha((unsigned char)*p) ? 0 : -1;
}

int jmap_date_parse(const char *value, time_t *t_r, int *offset_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char *p = skip_cfws(value);
	if (isalpha((unsigned char)*p)) { /* day-of-week "," */
		while (isalpha((unsigned char)*p))
			p++;
		p = skip_cfws(p);
		if (*p == ',')
			p = skip_cfws(p + 1);
	}
	int day = number(&p, 1, 2);
	p = skip_cfws(p);
	char mon[4] = "";
	for (int i = 0; i < 3 && isalpha((unsigned char)*p); i++, p++)
		mon[i] = (char)tolower((unsigned char)*p);
	const char *m = strstr(months, mon);
	p = skip_cfws(p);
	int year = number(&p, 2, 4);
	p = skip_cfws(p);
	int hour = number(&p, 1, 2), min = -1, sec = 0;
	if (*p == ':') {
		p++;
		min = number(&p, 2, 2);
	}
	if (*p == ':') {
		p++;
		sec = number(&p, 2, 2);
	}
	p = skip_cfws(p);
	int offset;
	if (day < 1 || day > 31 || strlen(mon) != 3 || m == NULL ||
	    (m - months) % 3 != 0 || year < 0 || hour < 0 || hour > 23 ||
	    min < 0 || min > 59 || sec < 0 || sec > 60 ||
	    zone_offset(p, &offset) < 0)
		return -1;
	if (year < 50)
		year += 2000; /* §4.3 */
	else if (year < 1000)
		year += 1900;
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = (int)(m - months) / 3,
	                .tm_mday = day,
	                .tm_hour = hour,
	                .tm_min = min,
	                .tm_sec = sec == 60 ? 59 : sec};
	*t_r = timegm(&tm) - offset;
	*offset_r = offset;
	return 0;
}

void jmap_date_utc(time_t t, struct buf *out)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void jmap_date_local(time_t t, int offset, struct buf *out)
{
	struct tm tm;
	time_t local = t + offset;
	gmtime_r(&local, &tm);
	int a = offset < 0 ? -offset : offset;
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	           tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', a / 3600,
	           (a % 3600) / 60);
}

int jmap_date_parse_rfc3339(const char *value, time_t *t_r)
{
	/* date-time = full-date "T" full-time (RFC 3339 §5.6) */
	const char *p = value;
	int y = number(&p, 4, 4);
	if (y < 0 || *p++ != '-')
		return -1;
	int mo = number(&p, 2, 2);
	if (mo < 1 || mo > 12 || *p++ != '-')
		return -1;
	int d = number(&p, 2, 2);
	if (d < 1 || d > 31 || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	int h = number(&p, 2, 2);
	if (h < 0 || h > 23 || *p++ != ':')
		return -1;
	int mi = number(&p, 2, 2);
	if (mi < 0 || mi > 59 || *p++ != ':')
		return -1;
	int s = number(&p, 2, 2);
	if (s < 0 || s > 60)
		return -1;
	if (*p == '.') { /* fractions are dropped */
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh = number(&p, 2, 2);
		if (oh < 0 || oh > 23 || *p++ != ':')
			return -1;
		int om = number(&p, 2, 2);
		if (om < 0 || om > 59)
			return -1;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = s == 60 ? 59 : s};
	*t_r = timegm(&tm) - offset;
	return 0;
}
