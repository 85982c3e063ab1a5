/* Dates for the date and currentdate tests (RFC 5260): parsing the
 * date-time of RFC 5322 §3.3 (with the obsolete years and zones of §4.3)
 * and giving each date-part of RFC 5260 §4.2 in a chosen zone. Calendar
 * arithmetic is done here (days from civil dates), never through the
 * process's TZ. */
#include "rules/sieve_private.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y_r, unsigned *m_r,
                            unsigned *d_r)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d_r = doy - (153 * mp + 2) / 5 + 1;
	*m_r = mp < 10 ? mp + 3 : mp - 9;
	*y_r = (int64_t)yoe + era * 400 + (*m_r <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30,
	                                31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

struct scan {
	const char *p, *end;
};

/* CFWS, simplified: white space and (nested) comments. */
static void skip_cfws(struct scan *s)
{
	int depth = 0;
	while (s->p < s->end) {
		char c = *s->p;
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
		         c != '\n')
			break;
		s->p++;
	}
}

static int read_number(struct scan *s, unsigned min_digits, unsigned max_digits,
                       int64_t *n_r)
{
	unsigned digits = 0;
	int64_t n = 0;
	while (s->p < s->end && isdigit((unsigned char)*s->p) &&
	       digits < max_digits) {
		n = n * 10 + (*s->p++ - '0');
		digits++;
	}
	if (digits < min_digits)
		return -1;
	*n_r = n;
	return (int)digits;
}

static int read_word(struct scan *s, char *word, size_t size)
{
	size_t n = 0;
	while (s->p < s->end && isalpha((unsigned char)*s->p)) {
		if (n + 1 < size)
			word[n++] = *s->p;
		s->p++;
	}
	word[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* zone = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone */
static int read_zone(struct scan *s, long *offset_r)
{
	static const struct {
		const char *name;
		long hours;
	} zones[] = {{"UT", 0},   {"GMT", 0},  {"Z", 0},    {"EST", -5},
	             {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7},
	             {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
	if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
		long sign = *s->p++ == '-' ? -1 : 1;
		int64_t hhmm;
		if (read_number(s, 4, 4, &hhmm) != 4 || hhmm % 100 > 59)
			return -1;
		*offset_r = sign * (long)(hhmm / 100 * 3600 + hhmm % 100 * 60);
		return 0;
	}
	char word[8];
	if (read_word(s, word, sizeof(word)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		if (strcasecmp(word, zones[i].name) == 0) {
			*offset_r = zones[i].hours * 3600;
			return 0;
		}
	}
	/* RFC 5322 §4.3: other military zones are taken as -0000 */
	if (strlen(word) == 1) {
		*offset_r = 0;
		return 0;
	}
	return -1;
}

/* date = day month year; time = hour ":" minute [ ":" second ] zone */
int sieve_date_parse(const char *str, size_t len, struct sieve_datetime *dt_r)
{
	struct scan s = {str, str + len};
	char word[16];
	int64_t day, year, hour, minute, second = 0;
	skip_cfws(&s);
	const char *mark = s.p;
	if (read_word(&s, word, sizeof(word)) == 0) {
		skip_cfws(&s);
		if (s.p >= s.end || *s.p != ',')
			return -1;
		s.p++;
	} else {
		s.p = mark;
	}
	skip_cfws(&s);
	if (read_number(&s, 1, 2, &day) < 0)
		return -1;
	skip_cfws(&s);
	if (read_word(&s, word, sizeof(word)) < 0)
		return -1;
	unsigned month = 0;
	for (unsigned i = 0; i < 12; i++)
		if (strcasecmp(word, months[i]) == 0)
			month = i + 1;
	skip_cfws(&s);
	int digits = read_number(&s, 2, 4, &year);
	if (month == 0 || digits < 0)
		return -1;
	if (digits == 2) /* RFC 5322 §4.3 obs-year */
		year += year < 50 ? 2000 : 1900;
	else if (digits == 3)
		year += 1900;
	skip_cfws(&s);
	if (read_number(&s, 1, 2, &hour) < 0 || s.p >= s.end || *s.p++ != ':')
		return -1;
	skip_cfws(&s);
	if (read_number(&s, 1, 2, &minute) < 0)
		return -1;
	skip_cfws(&s);
	if (s.p < s.end && *s.p == ':') {
		s.p++;
		skip_cfws(&s);
		if (read_number(&s, 1, 2, &second) < 0)
			return -1;
	}
	skip_cfws(&s);
	long offset;
	if (read_zone(&s, &offset) < 0 || day < 1 ||
	    day > days_in_month(year, month) || hour > 23 || minute > 59 ||
	    second > 60)
		return -1;
	int64_t t = days_from_civil(year, month, (unsigned)day) * 86400 +
	            hour * 3600 + minute * 60 + second - offset;
	dt_r->t = (time_t)t;
	dt_r->offset = offset;
	return 0;
}

int sieve_zone_parse(const char *str, long *offset_r)
{
	struct scan s = {str, str + strlen(str)};
	if (s.p == s.end || (*s.p != '+' && *s.p != '-'))
		return -1;
	if (read_zone(&s, offset_r) < 0 || s.p != s.end)
		return -1;
	return 0;
}

static const char *const parts[] = {
    "year",   "month", "day",     "date",  "julian", "hour",    "minute",
    "second", "time",  "iso8601", "std11", "zone",   "weekday",
};

bool sieve_date_part_is_valid(const char *part)
{
	for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
		if (strcasecmp(part, parts[i]) == 0)
			return true;
	return false;
}

static void append_zone(struct buf *out, long offset, bool colon)
{
	long a = offset < 0 ? -offset : offset;
	buf_printf(out, "%c%02ld%s%02ld", offset < 0 ? '-' : '+', a / 3600,
	           colon ? ":" : "", a / 60 % 60);
}

int sieve_date_part(const struct sieve_datetime *dt, const char *part,
                    struct buf *out)
{
	int64_t local = (int64_t)dt->t + dt->offset;
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t secs = local - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	unsigned hh = (unsigned)(secs / 3600), mm = (unsigned)(secs / 60 % 60),
	         ss = (unsigned)(secs % 60);
	unsigned wday = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01: Thu */
	if (strcasecmp(part, "year") == 0)
		buf_printf(out, "%04lld", (long long)y);
	else if (strcasecmp(part, "month") == 0)
		buf_printf(out, "%02u", m);
	else if (strcasecmp(part, "day") == 0)
		buf_printf(out, "%02u", d);
	else if (strcasecmp(part, "date") == 0)
		buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
	else if (strcasecmp(part, "julian") == 0) /* Modified Julian Day */
		buf_printf(out, "%lld", (long long)(days + 40587));
	else if (strcasecmp(part, "hour") == 0)
		buf_printf(out, "%02u", hh);
	else if (strcasecmp(part, "minute") == 0)
		buf_printf(out, "%02u", mm);
	else if (strcasecmp(part, "second") == 0)
		buf_printf(out, "%02u", ss);
	else if (strcasecmp(part, "time") == 0)
		buf_printf(out, "%02u:%02u:%02u", hh, mm, ss);
	else if (strcasecmp(part, "iso8601") == 0) {
		buf_printf(out, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y,
		           m, d, hh, mm, ss);
		append_zone(out, dt->offset, true);
	} else if (strcasecmp(part, "std11") == 0) {
		buf_printf(out, "%s, %02u %s %04lld %02u:%02u:%02u ",
		           day_names[wday], d, month_names[m - 1], (long long)y,
		           hh, mm, ss);
		append_zone(out, dt->offset, false);
	} else if (strcasecmp(part, "zone") == 0)
		append_zone(out, dt->offset, false);
	else if (strcasecmp(part, "weekday") == 0)
		buf_printf(out, "%u", wday);
	else
		return -1;
	return 0;
}
