/* APPEND (RFC 9051 §6.3.12) with APPENDUID (RFC 4315 §3) and APPENDLIMIT
 * (RFC 7889): the message literal is streamed from the connection straight
 * into a store blob writer as it arrives, so a 25 MB APPEND never sits in
 * memory; the row is added once the command line is complete. */
#include "core/conn.h"
#include "core/pool.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int cmd_append_literal(struct imapd_client *c, uint64_t size, bool is_sync)
{
	const char *error;
	if (size > c->imapd->set.imapd.max_literal_size) {
		if (!is_sync) {
			imapd_client_bye(c, "[TOOBIG] Message too large");
			return -1;
		}
		buf_printf(&c->out, "%s NO [TOOBIG] Message too large\r\n",
		           imap_parser_tag(c->parser));
		imap_parser_reset(c->parser);
		imapd_client_flush(c);
		return -1;
	}
	store_blob_abort(&c->append_blob);
	c->append_error = NULL;
	if (store_blob_begin(c->imapd->store, &c->append_blob, &error) < 0) {
		log_error(&c->log, "append blob: %s", error);
		c->append_blob = NULL;
		c->append_error = "cannot store";
	}
	if (is_sync) {
		buf_append_str(&c->out, "+ Ready for literal data\r\n");
		imapd_client_flush(c);
	}
	c->append_left = size;
	if (size == 0)
		imap_parser_literal_streamed(c->parser);
	else
		c->wait = IMAPD_WAIT_LITERAL;
	return 1;
}

static int month_index(const char *m)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	for (int i = 0; i < 12; i++)
		if (strncasecmp(m, months[i], 3) == 0)
			return i;
	return -1;
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
 *             SP zone DQUOTE; zone = ("+" / "-") 4DIGIT */
static int date_time_parse(const char *s, time_t *t_r)
{
	int day, year, hh, mm, ss, zone;
	char mon[4], sign;
	int used = 0;
	if (sscanf(s, "%2d-%3c-%4d %2d:%2d:%2d %c%4d%n", &day, mon, &year, &hh,
	           &mm, &ss, &sign, &zone, &used) != 8 ||
	    s[used] != '\0' || (sign != '+' && sign != '-'))
		return -1;
	mon[3] = '\0';
	int month = month_index(mon);
	if (month < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 ||
	    year < 1970)
		return -1;
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = month,
	                .tm_mday = day,
	                .tm_hour = hh,
	                .tm_min = mm,
	                .tm_sec = ss};
	time_t t = timegm(&tm);
	int offset = (zone / 100) * 3600 + (zone % 100) * 60;
	*t_r = sign == '+' ? t - offset : t + offset;
	return 0;
}

/* append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
 *          (or SP "UTF8" SP "(" literal8 ")", RFC 6855 §4) */
void cmd_append(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const struct imap_arg *a = cmd->args;
	const char *name = imapd_arg_mailbox(cmd, a);
	if (name == NULL)
		goto out;
	uint32_t flags = 0;
	const char *keywords = "";
	time_t date = time(NULL);
	a = a->next;
	if (a != NULL && a->type == IMAP_ARG_LIST) {
		if (imapd_flags_parse(a, cmd->pool, &flags, &keywords) < 0) {
			imapd_cmd_bad(cmd, "Invalid flags");
			goto out;
		}
		a = a->next;
	}
	if (a != NULL && a->type == IMAP_ARG_QUOTED) {
		if (date_time_parse(a->str, &date) < 0) {
			imapd_cmd_bad(cmd, "Invalid date-time");
			goto out;
		}
		a = a->next;
	}
	/* append-data =/ "UTF8" SP "(" literal8 ")"   (RFC 6855 §4) */
	if (a != NULL && a->type == IMAP_ARG_ATOM &&
	    strcasecmp(a->str, "UTF8") == 0 && a->next != NULL &&
	    a->next->type == IMAP_ARG_LIST && a->next->count == 1 &&
	    a->next->next == NULL) {
		if (!c->is_utf8) {
			imapd_cmd_bad(cmd, "UTF8 APPEND needs ENABLE "
			                   "UTF8=ACCEPT");
			goto out;
		}
		a = a->next->list;
	}
	if (a == NULL || a->type != IMAP_ARG_STREAMED || a->next != NULL) {
		imapd_cmd_bad(cmd, "APPEND needs one message literal");
		goto out;
	}
	if (c->append_blob == NULL) {
		imapd_cmd_fail(cmd, c->append_error != NULL ? c->append_error
		                                            : "no blob");
		goto out;
	}
	struct store_account *account = imapd_user_account(c->user);
	uint32_t uidvalidity, uidnext, uid;
	uint64_t hms, size;
	const char *error;
	int ret = account != NULL
	              ? store_imap_mailbox_state(account, name, &uidvalidity,
	                                         &uidnext, &hms)
	              : -1;
	if (ret == 0) {
		imapd_cmd_no(cmd, "[TRYCREATE] No such mailbox");
		goto out;
	}
	int quota = ret < 0 ? -1
	                    : store_quota_check(c->imapd->store,
	                                        c->user->address, a->len);
	if (quota < 0) {
		imapd_cmd_fail(cmd, "append");
		goto out;
	}
	if (quota == 0) {
		imapd_cmd_no(cmd, "[OVERQUOTA] Quota exceeded");
		goto out;
	}
	char blob_id[STORE_BLOB_ID_LEN + 1];
	if (store_blob_finish(&c->append_blob, blob_id, &size, &error) < 0 ||
	    store_message_add(account, name, blob_id, size, flags, keywords,
	                      date, NULL, &uid, &error) < 0) {
		imapd_cmd_fail(cmd, error);
		goto out;
	}
	log_info(&c->log, "append mailbox=%s uid=%u size=%llu",
	         log_sanitize(name, 100), uid, (unsigned long long)size);
	imapd_cmd_ok(cmd, "[APPENDUID %u %u] Append completed", uidvalidity,
	             uid);
out:
	store_blob_abort(&c->append_blob);
}
