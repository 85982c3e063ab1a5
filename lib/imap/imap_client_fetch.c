/* Reading FETCH and VANISHED responses for the client engine: FETCH data
 * items UID, FLAGS, MODSEQ (RFC 7162 §3.1.4), RFC822.SIZE, INTERNALDATE
 * and BODY[] / BINARY[] / RFC822 (RFC 9051 §7.5.2), VANISHED (RFC 7162
 * §3.2.10), and writing flag lists (§9 flag-list). */
#include "core/buf.h"
#include "core/pool.h"
#include "imap/imap_client_private.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
	const char *name;
	uint32_t bit;
} system_flags[] = {
    {"\\Seen", IMAP_CLIENT_F_SEEN},       {"\\Answered", IMAP_CLIENT_F_ANSWERED},
    {"\\Flagged", IMAP_CLIENT_F_FLAGGED}, {"\\Deleted", IMAP_CLIENT_F_DELETED},
    {"\\Draft", IMAP_CLIENT_F_DRAFT},
};

/* flag-list = "(" [flag *(SP flag)] ")" */
static int parse_flags(const struct imap_value *v, struct pool *pool,
                       struct imap_fetch *f)
{
	if (v->type != IMAP_VALUE_LIST)
		return -1;
	struct buf kw;
	buf_init(&kw);
	f->has_flags = true;
	for (size_t i = 0; i < v->count; i++) {
		const struct imap_value *flag = &v->list[i];
		if (flag->type != IMAP_VALUE_ATOM) {
			buf_deinit(&kw);
			return -1;
		}
		bool is_system = false;
		for (size_t k = 0; k < sizeof(system_flags) /
		                           sizeof(system_flags[0]); k++) {
			if (strcasecmp(flag->str, system_flags[k].name) == 0) {
				f->flags |= system_flags[k].bit;
				is_system = true;
			}
		}
		if (strcasecmp(flag->str, "\\Recent") == 0)
			f->has_recent = true;
		else if (!is_system && flag->str[0] != '\\') {
			if (kw.len > 0)
				buf_append_char(&kw, ' ');
			buf_append_str(&kw, flag->str);
		}
	}
	f->keywords = pool_strdup(pool, kw.data);
	buf_deinit(&kw);
	return 0;
}

static int month_index(const char *mon)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (strncasecmp(mon, months + i * 3, 3) == 0)
			return i;
	return -1;
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
 *             SP zone DQUOTE   (RFC 9051 §9), e.g. " 7-Feb-2024 10:00:00 +0100" */
static int parse_date_time(const struct imap_value *v, time_t *date_r)
{
	if (v->type != IMAP_VALUE_STRING || v->len != 26)
		return -1;
	const char *s = v->str;
	struct tm tm = {0};
	int zh, zm;
	char sign;
	char mon[4] = {s[3], s[4], s[5], '\0'};
	int day = s[0] == ' ' ? s[1] - '0' : (s[0] - '0') * 10 + s[1] - '0';
	if (s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[20] != ' ' ||
	    sscanf(s + 7, "%4d %2d:%2d:%2d %c%2d%2d", &tm.tm_year,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &zh,
	           &zm) != 7 ||
	    (sign != '+' && sign != '-') || month_index(mon) < 0 || day < 1 ||
	    day > 31)
		return -1;
	tm.tm_mday = day;
	tm.tm_mon = month_index(mon);
	tm.tm_year -= 1900;
	time_t t = timegm(&tm);
	long offset = (zh * 60L + zm) * 60L;
	*date_r = sign == '+' ? t - offset : t + offset;
	return 0;
}

static bool is_body_item(const char *name)
{
	return strcasecmp(name, "BODY[]") == 0 ||
	       strcasecmp(name, "BINARY[]") == 0 ||
	       strcasecmp(name, "RFC822") == 0;
}

/* One "name value" pair of msg-att. Returns 0 or -1. */
static int parse_item(const struct imap_value *name,
                      const struct imap_value *v, struct pool *pool,
                      struct imap_fetch *f)
{
	uint64_t n;
	if (imap_client_value_is(name, "UID")) {
		if (imap_client_value_num(v, UINT32_MAX, &n) < 0 || n == 0)
			return -1;
		f->uid = (uint32_t)n;
	} else if (imap_client_value_is(name, "FLAGS")) {
		return parse_flags(v, pool, f);
	} else if (imap_client_value_is(name, "MODSEQ")) {
		if (v->type != IMAP_VALUE_LIST || v->count != 1 ||
		    imap_client_value_num(&v->list[0], UINT64_MAX, &n) < 0)
			return -1;
		f->modseq = n;
	} else if (imap_client_value_is(name, "RFC822.SIZE")) {
		if (imap_client_value_num(v, UINT64_MAX, &n) < 0)
			return -1;
		f->size = n;
	} else if (imap_client_value_is(name, "INTERNALDATE")) {
		return parse_date_time(v, &f->internal_date);
	} else if (name->type == IMAP_VALUE_ATOM && is_body_item(name->str)) {
		if (v->type == IMAP_VALUE_STRING) {
			f->body = (const unsigned char *)v->str;
			f->body_len = v->len;
		} else if (v->type != IMAP_VALUE_NIL) {
			return -1;
		}
	}
	return 0;
}

/* message-data = nz-number SP "FETCH" SP msg-att */
int imap_fetch_parse(const struct imap_response *resp,
                     struct imap_fetch *fetch_r)
{
	if (resp->count < 2 || !imap_client_value_is(&resp->items[1], "FETCH"))
		return 0;
	memset(fetch_r, 0, sizeof(*fetch_r));
	fetch_r->keywords = "";
	uint64_t seq;
	if (resp->count != 3 ||
	    imap_client_value_num(&resp->items[0], UINT32_MAX, &seq) < 0 ||
	    seq == 0 || resp->items[2].type != IMAP_VALUE_LIST ||
	    resp->items[2].count % 2 != 0)
		return -1;
	fetch_r->seq = (uint32_t)seq;
	const struct imap_value *att = resp->items[2].list;
	for (size_t i = 0; i < resp->items[2].count; i += 2) {
		if (att[i].type != IMAP_VALUE_ATOM ||
		    parse_item(&att[i], &att[i + 1], resp->pool, fetch_r) < 0)
			return -1;
	}
	return 1;
}

/* "VANISHED" [SP "(EARLIER)"] SP known-uids */
int imap_vanished_parse(const struct imap_response *resp,
                        const char **uids_r, bool *is_earlier_r)
{
	if (resp->count < 2 ||
	    !imap_client_value_is(&resp->items[0], "VANISHED"))
		return 0;
	const struct imap_value *set = &resp->items[1];
	*is_earlier_r = false;
	if (set->type == IMAP_VALUE_LIST) {
		*is_earlier_r = set->count == 1 &&
		                imap_client_value_is(&set->list[0], "EARLIER");
		if (resp->count < 3)
			return 0;
		set = &resp->items[2];
	}
	if (set->type != IMAP_VALUE_ATOM)
		return 0;
	*uids_r = set->str;
	return 1;
}

void imap_client_flags_str(uint32_t flags, const char *keywords,
                           struct buf *out)
{
	size_t start = out->len;
	buf_append_char(out, '(');
	for (size_t k = 0; k < sizeof(system_flags) / sizeof(system_flags[0]);
	     k++) {
		if ((flags & system_flags[k].bit) == 0)
			continue;
		if (out->len > start + 1)
			buf_append_char(out, ' ');
		buf_append_str(out, system_flags[k].name);
	}
	if (keywords != NULL && *keywords != '\0') {
		if (out->len > start + 1)
			buf_append_char(out, ' ');
		buf_append_str(out, keywords);
	}
	buf_append_char(out, ')');
}
