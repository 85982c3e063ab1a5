/* SORT keys (RFC 5256): the sort program, base subject extraction (§2.1),
 * sent dates (§2.2, RFC 5322 §3.3 with obsolete zones) and the first
 * mailbox of an address list (§3), and a merge sort over a message table.
 * Invariant: the order is total (sequence number breaks every tie). */
#include "imap/imap_sort.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_parser.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum imap_sort_key key;
} sort_keys[] = {
    {"ARRIVAL", IMAP_SORT_ARRIVAL}, {"CC", IMAP_SORT_CC},
    {"DATE", IMAP_SORT_DATE},       {"FROM", IMAP_SORT_FROM},
    {"SIZE", IMAP_SORT_SIZE},       {"SUBJECT", IMAP_SORT_SUBJECT},
    {"TO", IMAP_SORT_TO},           {"DISPLAYFROM", IMAP_SORT_DISPLAYFROM},
    {"DISPLAYTO", IMAP_SORT_DISPLAYTO},
};

/* sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
 * sort-criterion = ["REVERSE" SP] sort-key */
int imap_sort_program_parse(const struct imap_arg *list,
                            struct imap_sort_program *program_r,
                            const char **error_r)
{
	program_r->count = 0;
	bool is_reverse = false;
	for (const struct imap_arg *a = list; a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "REVERSE")) {
			is_reverse = true;
			continue;
		}
		size_t i = 0, n = sizeof(sort_keys) / sizeof(*sort_keys);
		while (i < n && !imap_arg_atom_equals(a, sort_keys[i].name))
			i++;
		if (i == n) {
			*error_r = "Unknown sort key";
			return -1;
		}
		if (program_r->count == IMAP_SORT_PROGRAM_MAX) {
			*error_r = "Too many sort keys";
			return -1;
		}
		program_r->crit[program_r->count].key = sort_keys[i].key;
		program_r->crit[program_r->count++].is_reverse = is_reverse;
		is_reverse = false;
	}
	if (is_reverse || program_r->count == 0) {
		*error_r = is_reverse ? "REVERSE needs a sort key"
		                      : "Empty sort criteria";
		return -1;
	}
	return 0;
}

/* ---- Base subject (RFC 5256 §2.1) ---------------------------------- */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP. Returns the length matched at s,
 * or 0. */
static size_t match_blob(const char *s)
{
	if (*s != '[')
		return 0;
	size_t i = 1;
	while (s[i] != '\0' && s[i] != '[' && s[i] != ']')
		i++;
	if (s[i] != ']')
		return 0;
	i++;
	while (is_wsp(s[i]))
		i++;
	return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t match_refwd(const char *s)
{
	size_t i;
	if (strncasecmp(s, "re", 2) == 0)
		i = 2;
	else if (strncasecmp(s, "fwd", 3) == 0)
		i = 3;
	else if (strncasecmp(s, "fw", 2) == 0)
		i = 2;
	else
		return 0;
	while (is_wsp(s[i]))
		i++;
	i += match_blob(s + i);
	return s[i] == ':' ? i + 1 : 0;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP. Returns the length. */
static size_t match_leader(const char *s)
{
	if (is_wsp(*s))
		return 1;
	size_t i = 0, n;
	while ((n = match_blob(s + i)) > 0)
		i += n;
	n = match_refwd(s + i);
	return n > 0 ? i + n : 0;
}

/* Step (1): unfolded, white space runs made one space. */
static void subject_normalize(const char *subject, struct buf *out)
{
	bool was_space = false;
	for (const char *p = subject; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (is_wsp(*p)) {
			if (!was_space)
				buf_append_char(out, ' ');
			was_space = true;
			continue;
		}
		was_space = false;
		buf_append_char(out, *p);
	}
}

/* Steps (2)-(5) on s[0..*len): trailers, then leaders and blobs. */
static char *subject_strip(char *s, size_t *len, bool *is_reply)
{
	for (;;) { /* (2) subj-trailer = "(fwd)" / WSP */
		if (*len > 0 && is_wsp(s[*len - 1]))
			(*len)--;
		else if (*len >= 5 &&
		         strncasecmp(s + *len - 5, "(fwd)", 5) == 0) {
			*len -= 5;
			*is_reply = true;
		} else
			break;
	}
	s[*len] = '\0'; /* the matchers below must not see the trailers */
	for (;;) {
		size_t n = match_leader(s);
		if (n > 0 && n <= *len) {
			if (!is_wsp(*s))
				*is_reply = true;
			s += n;
			*len -= n;
			continue;
		}
		n = match_blob(s);
		if (n > 0 && n < *len) { /* (4) only if a subj-base is left */
			s += n;
			*len -= n;
			continue;
		}
		return s;
	}
}

bool imap_sort_base_subject(const char *subject, struct buf *out)
{
	struct buf tmp;
	buf_init(&tmp);
	subject_normalize(subject, &tmp);
	char *s = tmp.data;
	size_t len = tmp.len;
	bool is_reply = false;
	for (;;) {
		s = subject_strip(s, &len, &is_reply);
		/* (6) subj-fwd-hdr = "[fwd:", subj-fwd-trl = "]" */
		if (len >= 6 && strncasecmp(s, "[fwd:", 5) == 0 &&
		    s[len - 1] == ']') {
			s += 5;
			len -= 6;
			is_reply = true;
			continue;
		}
		break;
	}
	buf_append(out, s, len);
	buf_deinit(&tmp);
	return is_reply;
}

/* ---- Dates (RFC 5322 §3.3, §4.3) ----------------------------------- */

static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
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

static int read_num(const char **p, int min_digits, int max_digits, int *n_r)
{
	int n = 0, digits = 0;
	while (isdigit((unsigned char)**p) && digits < max_digits) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	*n_r = n;
	return digits >= min_digits ? 0 : -1;
}

/* zone = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone. Returns seconds east. */
static long zone_parse(const char *p)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"UT", 0},   {"GMT", 0},  {"EST", -5}, {"EDT", -4},
	             {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6},
	             {"PST", -8}, {"PDT", -7}};
	if (*p == '+' || *p == '-') {
		int hhmm;
		const char *q = p + 1;
		if (read_num(&q, 4, 4, &hhmm) < 0)
			return 0;
		long secs = (hhmm / 100) * 3600L + (hhmm % 100) * 60L;
		return *p == '-' ? -secs : secs;
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		size_t n = strlen(zones[i].name);
		if (strncasecmp(p, zones[i].name, n) == 0 &&
		    !isalpha((unsigned char)p[n]))
			return zones[i].hours * 3600L;
	}
	return 0; /* military and unknown zones: RFC 5322 §4.3 says -0000 */
}

/* date-time = [ day-of-week "," ] date time [CFWS]
 * date = day month year; time = hour ":" minute [ ":" second ] FWS zone */
int imap_sort_date_parse(const char *value, time_t *t_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char *p = skip_cfws(value);
	if (isalpha((unsigned char)*p)) { /* day-of-week */
		while (isalpha((unsigned char)*p))
			p++;
		p = skip_cfws(p);
		if (*p == ',')
			p = skip_cfws(p + 1);
	}
	int day, year, hour, min, sec = 0, mon = -1;
	if (read_num(&p, 1, 2, &day) < 0)
		return -1;
	p = skip_cfws(p);
	for (int m = 0; m < 12 && mon < 0; m++)
		if (strncasecmp(p, months + m * 3, 3) == 0)
			mon = m;
	if (mon < 0)
		return -1;
	p = skip_cfws(p + 3);
	const char *y = p;
	if (read_num(&p, 2, 4, &year) < 0)
		return -1;
	if (p - y == 2) /* obs-year, RFC 5322 §4.3 */
		year += year < 50 ? 2000 : 1900;
	else if (p - y == 3)
		year += 1900;
	p = skip_cfws(p);
	if (read_num(&p, 1, 2, &hour) < 0 || *p++ != ':' ||
	    read_num(&p, 1, 2, &min) < 0)
		return -1;
	if (*p == ':' && (p++, read_num(&p, 1, 2, &sec) < 0))
		return -1;
	if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = mon,
	                .tm_mday = day,
	                .tm_hour = hour,
	                .tm_min = min,
	                .tm_sec = sec};
	*t_r = timegm(&tm) - zone_parse(skip_cfws(p));
	return 0;
}

const char *imap_sort_addr_key(const char *value, struct pool *pool)
{
	struct mime_address *list;
	if (value == NULL ||
	    mime_address_parse((const unsigned char *)value, strlen(value),
	                       pool, &list) <= 0)
		return "";
	for (; list != NULL; list = list->next)
		if (!list->is_group_start && !list->is_group_end &&
		    list->mailbox != NULL)
			return list->mailbox;
	return "";
}

const char *imap_sort_display_key(const char *value, struct pool *pool)
{
	struct mime_address *list;
	if (value == NULL ||
	    mime_address_parse((const unsigned char *)value, strlen(value),
	                       pool, &list) <= 0)
		return "";
	for (; list != NULL; list = list->next) {
		if (list->is_group_start || list->is_group_end ||
		    list->mailbox == NULL)
			continue;
		struct buf name;
		buf_init(&name);
		if (list->name != NULL)
			mime_decode_header((const unsigned char *)list->name,
			                   strlen(list->name), &name);
		size_t lead = strspn(name.data, " \t");
		const char *key =
		    name.len > lead
		        ? pool_strdup(pool, name.data + lead)
		        : pool_printf(pool, "%s@%s", list->mailbox,
		                      list->host != NULL ? list->host : "");
		buf_deinit(&name);
		return key;
	}
	return "";
}

/* ---- Ordering ------------------------------------------------------ */

int imap_sort_casemap_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	for (;; x++, y++) {
		unsigned char c = *x >= 'a' && *x <= 'z' ? *x - 'a' + 'A' : *x;
		unsigned char d = *y >= 'a' && *y <= 'z' ? *y - 'a' + 'A' : *y;
		if (c != d || c == '\0')
			return (int)c - (int)d;
	}
}

static int cmp_num(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_time(time_t a, time_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_crit(const struct imap_sort_msg *a,
                    const struct imap_sort_msg *b, enum imap_sort_key key)
{
	switch (key) {
	case IMAP_SORT_ARRIVAL:
		return cmp_time(a->arrival, b->arrival);
	case IMAP_SORT_DATE:
		return cmp_time(a->date, b->date);
	case IMAP_SORT_SIZE:
		return cmp_num(a->size, b->size);
	case IMAP_SORT_SUBJECT:
		return imap_sort_casemap_cmp(a->subject, b->subject);
	case IMAP_SORT_FROM:
		return imap_sort_casemap_cmp(a->from, b->from);
	case IMAP_SORT_TO:
		return imap_sort_casemap_cmp(a->to, b->to);
	case IMAP_SORT_CC:
		return imap_sort_casemap_cmp(a->cc, b->cc);
	case IMAP_SORT_DISPLAYFROM:
		return imap_sort_casemap_cmp(a->display_from, b->display_from);
	case IMAP_SORT_DISPLAYTO:
		return imap_sort_casemap_cmp(a->display_to, b->display_to);
	}
	return 0;
}

static int msg_cmp(const struct imap_sort_msg *a, const struct imap_sort_msg *b,
                   const struct imap_sort_program *program)
{
	for (size_t i = 0; i < program->count; i++) {
		int r = cmp_crit(a, b, program->crit[i].key);
		if (r != 0)
			return program->crit[i].is_reverse ? -r : r;
	}
	return cmp_num(a->seq, b->seq);
}

static void merge_sort(struct imap_sort_msg *m, struct imap_sort_msg *tmp,
                       size_t n, const struct imap_sort_program *program)
{
	if (n < 2)
		return;
	size_t half = n / 2, i = 0, j = half, k = 0;
	merge_sort(m, tmp, half, program);
	merge_sort(m + half, tmp, n - half, program);
	while (i < half && j < n)
		tmp[k++] = msg_cmp(&m[j], &m[i], program) < 0 ? m[j++] : m[i++];
	while (i < half)
		tmp[k++] = m[i++];
	while (j < n)
		tmp[k++] = m[j++];
	memcpy(m, tmp, n * sizeof(*m));
}

void imap_sort_msgs(struct imap_sort_msg *msgs, size_t count,
                    const struct imap_sort_program *program)
{
	if (count < 2)
		return;
	struct imap_sort_msg *tmp = xmalloc(count * sizeof(*tmp));
	merge_sort(msgs, tmp, count, program);
	free(tmp);
}
