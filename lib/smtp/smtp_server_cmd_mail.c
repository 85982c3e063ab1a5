/* MAIL and RCPT (RFC 5321 §4.1.1.2-3) with their parameters: SIZE
 * (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531 §3.4), RET/ENVID and
 * NOTIFY/ORCPT (RFC 3461 §4), AUTH (RFC 4954 §5), HOLDFOR/HOLDUNTIL (RFC
 * 4865 §3-4, when future_release_max offers them). Syntax and sequence are
 * checked here (check_); the callback decides and its reply moves the
 * transaction on (proceed_). Strings live in the transaction pool. */
#include "smtp/smtp_server_private.h"
#include "smtp/smtp_release.h"
#include "core/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#define SMTP_ENVID_MAX 100 /* RFC 3461 §4.4 */
#define SMTP_ORCPT_MAX 500 /* RFC 3461 §4.2 */

struct smtp_reply_error {
	unsigned code;
	const char *enh;
	const char *text;
};

/* Skips "FROM:" or "TO:" and any spaces after it (a common laxness).
 * Returns the rest or NULL. */
static const char *cmd_skip_prefix(const char *args, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncasecmp(args, prefix, n) != 0)
		return NULL;
	args += n;
	while (*args == ' ')
		args++;
	return args;
}

/* Returns the parameters after the path, or NULL with *err set. */
static struct smtp_param *cmd_path_params(struct smtp_server_conn *srv,
                                          const char *rest, size_t *count_r,
                                          struct smtp_reply_error *err)
{
	struct smtp_param *params = NULL;
	const char *error;
	*count_r = 0;
	if (*rest == '\0')
		return pool_alloc(srv->trans_pool, sizeof(*params));
	if (*rest != ' ' || !srv->is_ehlo ||
	    smtp_params_parse((const unsigned char *)rest + 1, strlen(rest + 1),
	                      srv->trans_pool, &params, count_r, &error) < 0) {
		*err = (struct smtp_reply_error){501, "5.5.4",
		                                 "Invalid parameters"};
		return NULL;
	}
	return params;
}

/* size-value = 1*20DIGIT (RFC 1870 §3) */
static int mail_param_size(const char *value, uint64_t *size_r)
{
	if (value == NULL || value[0] == '\0' ||
	    strspn(value, "0123456789") != strlen(value))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(value, NULL, 10);
	*size_r = errno == ERANGE ? UINT64_MAX : v;
	return 0;
}

/* hold-for-param = "HOLDFOR=" future-release-integer
 * hold-until-param = "HOLDUNTIL=" date-time (RFC 4865 §3, errata 2040)
 * Past future_release_max: 554 5.5.4, as a value the server cannot
 * accept rather than bad syntax. A time already past releases at once. */
static int mail_param_hold(struct smtp_server_conn *srv, const char *k,
                           const char *v, struct smtp_reply_error *err)
{
	struct smtp_server_mail *m = &srv->mail;
	bool is_for = strcasecmp(k, "HOLDFOR") == 0;
	struct timeval tv;
	time_t now, release;
	unsigned long secs;
	/* whole seconds, rounded up: never released before MAIL + HOLDFOR */
	gettimeofday(&tv, NULL);
	now = tv.tv_sec + (tv.tv_usec > 0);
	if (m->release_request != NULL) {
		*err = (struct smtp_reply_error){
		    501, "5.5.4", "HOLDFOR and HOLDUNTIL are exclusive"};
		return -1;
	}
	*err = (struct smtp_reply_error){
	    501, "5.5.4",
	    is_for ? "Invalid HOLDFOR value (seconds, at most 9 digits)"
	           : "Invalid HOLDUNTIL value (RFC 3339 date-time)"};
	if (v == NULL)
		return -1;
	if (is_for) {
		if (smtp_release_interval_parse(v, &secs) < 0)
			return -1;
		release = now + (time_t)secs;
	} else if (smtp_release_datetime_parse(v, &release) < 0) {
		return -1;
	}
	if (release > now &&
	    (unsigned long long)(release - now) > srv->set.future_release_max) {
		*err = (struct smtp_reply_error){
		    554, "5.5.4",
		    "Requested release time is past the maximum of "
		    "FUTURERELEASE"};
		return -1;
	}
	m->release = release > now ? release : now;
	m->release_request =
	    pool_printf(srv->trans_pool, "%s;%s", is_for ? "for" : "until", v);
	return 0;
}

static int mail_param(struct smtp_server_conn *srv, const struct smtp_param *p,
                      struct smtp_reply_error *err)
{
	struct smtp_server_mail *m = &srv->mail;
	const char *k = p->keyword, *v = p->value;
	const unsigned char *uv = (const unsigned char *)v;
	*err = (struct smtp_reply_error){501, "5.5.4", "Invalid parameter"};
	if (strcasecmp(k, "SIZE") == 0)
		return mail_param_size(v, &m->size);
	if (strcasecmp(k, "BODY") == 0) {
		if (v != NULL && strcasecmp(v, "7BIT") == 0)
			m->body = SMTP_BODY_7BIT;
		else if (v != NULL && strcasecmp(v, "8BITMIME") == 0)
			m->body = SMTP_BODY_8BITMIME;
		else
			*err = (struct smtp_reply_error){
			    555, "5.5.4", "Unsupported BODY type"};
		return v != NULL && (strcasecmp(v, "7BIT") == 0 ||
		                     strcasecmp(v, "8BITMIME") == 0)
		           ? 0
		           : -1;
	}
	if (strcasecmp(k, "SMTPUTF8") == 0) {
		m->smtputf8 = true;
		return v == NULL ? 0 : -1;
	}
	if (strcasecmp(k, "RET") == 0) {
		if (v == NULL ||
		    (strcasecmp(v, "FULL") != 0 && strcasecmp(v, "HDRS") != 0))
			return -1;
		m->ret = strcasecmp(v, "FULL") == 0 ? "FULL" : "HDRS";
		return 0;
	}
	if (strcasecmp(k, "ENVID") == 0) {
		m->envid = v;
		return v != NULL && strlen(v) <= SMTP_ENVID_MAX &&
		               smtp_xtext_is_valid(uv, strlen(v))
		           ? 0
		           : -1;
	}
	if (strcasecmp(k, "AUTH") == 0) {
		m->auth = v;
		return v != NULL && (strcmp(v, "<>") == 0 ||
		                     smtp_xtext_is_valid(uv, strlen(v)))
		           ? 0
		           : -1;
	}
	if (srv->set.future_release_max > 0 &&
	    (strcasecmp(k, "HOLDFOR") == 0 || strcasecmp(k, "HOLDUNTIL") == 0))
		return mail_param_hold(srv, k, v, err);
	*err = (struct smtp_reply_error){555, "5.5.4", "Unsupported parameter"};
	return -1;
}

/* Rejects a keyword given twice (RFC 5321 §4.1.2 leaves it undefined). */
static bool params_have_duplicates(const struct smtp_param *params,
                                   size_t count)
{
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++)
			if (strcasecmp(params[i].keyword, params[j].keyword) ==
			    0)
				return true;
	return false;
}

static void proceed_mail(struct smtp_server_cmd *cmd, unsigned code)
{
	struct smtp_server_conn *srv = cmd->srv;
	if (code >= 200 && code < 300) {
		srv->state = SMTP_SERVER_STATE_MAIL;
		return;
	}
	memset(&srv->mail, 0, sizeof(srv->mail));
	pool_clear(srv->trans_pool);
}

/* Returns 0, or -1 with *err: the check_ half of MAIL. */
static int check_mail(struct smtp_server_conn *srv, const char *args,
                      struct smtp_reply_error *err)
{
	const char *error;
	size_t used, count;
	if (srv->state == SMTP_SERVER_STATE_INIT) {
		*err = (struct smtp_reply_error){503, "5.5.1",
		                                 "Send EHLO or HELO first"};
		return -1;
	}
	if (srv->state == SMTP_SERVER_STATE_MAIL) {
		*err = (struct smtp_reply_error){503, "5.5.1",
		                                 "Nested MAIL command"};
		return -1;
	}
	const char *rest = cmd_skip_prefix(args, "FROM:");
	if (rest == NULL) {
		*err = (struct smtp_reply_error){501, "5.5.2",
		                                 "Syntax: MAIL FROM:<address>"};
		return -1;
	}
	memset(&srv->mail, 0, sizeof(srv->mail));
	if (smtp_path_parse((const unsigned char *)rest, strlen(rest), true,
	                    srv->trans_pool, &srv->mail.path, &used,
	                    &error) < 0) {
		*err = (struct smtp_reply_error){501, "5.1.7",
		                                 "Bad sender address syntax"};
		return -1;
	}
	struct smtp_param *params =
	    cmd_path_params(srv, rest + used, &count, err);
	if (params == NULL)
		return -1;
	if (params_have_duplicates(params, count)) {
		*err = (struct smtp_reply_error){501, "5.5.4",
		                                 "Duplicate parameter"};
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (mail_param(srv, &params[i], err) < 0)
			return -1;
	if (srv->mail.path.has_utf8 && !srv->mail.smtputf8) {
		*err = (struct smtp_reply_error){
		    553, "5.6.7",
		    "UTF-8 address requires the SMTPUTF8 parameter"};
		return -1;
	}
	if (srv->set.max_message_size != 0 &&
	    srv->mail.size > srv->set.max_message_size) {
		*err = (struct smtp_reply_error){
		    552, "5.3.4", "Message size exceeds fixed limit"};
		return -1;
	}
	return 0;
}

/* mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF */
void smtp_server_cmd_mail(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	struct smtp_reply_error err;
	cmd->proceed = proceed_mail;
	if (check_mail(srv, args, &err) < 0) {
		smtp_server_cmd_reply(cmd, err.code, err.enh, "%s", err.text);
		return;
	}
	srv->cb.mail(srv->ctx, cmd, &srv->mail);
}

/* NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 §4.1) */
static bool notify_is_valid(const char *v)
{
	if (strcasecmp(v, "NEVER") == 0)
		return true;
	static const char *const words[] = {"SUCCESS", "FAILURE", "DELAY"};
	bool seen[3] = {false, false, false};
	for (const char *p = v;;) {
		size_t n = strcspn(p, ",");
		size_t i = 0;
		while (i < 3 && !(strlen(words[i]) == n &&
		                  strncasecmp(p, words[i], n) == 0))
			i++;
		if (i == 3 || seen[i])
			return false;
		seen[i] = true;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

/* ORCPT = addr-type ";" xtext; addr-type = atom (RFC 3461 §4.2) */
static bool orcpt_is_valid(const char *v)
{
	const char *semi = strchr(v, ';');
	if (semi == NULL || semi == v || strlen(v) > SMTP_ORCPT_MAX)
		return false;
	for (const char *p = v; p < semi; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	const unsigned char *x = (const unsigned char *)semi + 1;
	if (strncasecmp(v, "utf-8;", 6) == 0)
		return smtp_utf8_is_valid(x, strlen(semi + 1)); /* RFC 6533 */
	return smtp_xtext_is_valid(x, strlen(semi + 1));
}

static int rcpt_params(struct smtp_server_conn *srv,
                       struct smtp_server_rcpt *rcpt, const char *rest,
                       struct smtp_reply_error *err)
{
	size_t count;
	struct smtp_param *params = cmd_path_params(srv, rest, &count, err);
	if (params == NULL)
		return -1;
	if (params_have_duplicates(params, count)) {
		*err = (struct smtp_reply_error){501, "5.5.4",
		                                 "Duplicate parameter"};
		return -1;
	}
	*err = (struct smtp_reply_error){501, "5.5.4", "Invalid parameter"};
	for (size_t i = 0; i < count; i++) {
		const char *k = params[i].keyword, *v = params[i].value;
		if (strcasecmp(k, "NOTIFY") == 0) {
			if (v == NULL || !notify_is_valid(v))
				return -1;
			char *up = pool_strdup(srv->trans_pool, v);
			for (char *p = up; *p != '\0'; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			rcpt->notify = up;
		} else if (strcasecmp(k, "ORCPT") == 0) {
			if (v == NULL || !orcpt_is_valid(v))
				return -1;
			rcpt->orcpt = v;
		} else {
			*err = (struct smtp_reply_error){
			    555, "5.5.4", "Unsupported parameter"};
			return -1;
		}
	}
	return 0;
}

static void proceed_rcpt(struct smtp_server_cmd *cmd, unsigned code)
{
	if (code >= 200 && code < 300)
		cmd->srv->rcpt_count++;
}

/* Returns 0, or -1 with *err: the check_ half of RCPT. */
static int check_rcpt(struct smtp_server_conn *srv, const char *args,
                      struct smtp_server_rcpt *rcpt,
                      struct smtp_reply_error *err)
{
	const char *error;
	size_t used;
	if (srv->state != SMTP_SERVER_STATE_MAIL) {
		*err = (struct smtp_reply_error){503, "5.5.1",
		                                 "Need MAIL command"};
		return -1;
	}
	const char *rest = cmd_skip_prefix(args, "TO:");
	if (rest == NULL) {
		*err = (struct smtp_reply_error){501, "5.5.2",
		                                 "Syntax: RCPT TO:<address>"};
		return -1;
	}
	if (smtp_path_parse((const unsigned char *)rest, strlen(rest), false,
	                    srv->trans_pool, &rcpt->path, &used, &error) < 0) {
		*err = (struct smtp_reply_error){
		    501, "5.1.3", "Bad recipient address syntax"};
		return -1;
	}
	if (rcpt_params(srv, rcpt, rest + used, err) < 0)
		return -1;
	if (rcpt->path.has_utf8 && !srv->mail.smtputf8) {
		*err = (struct smtp_reply_error){
		    553, "5.6.7",
		    "UTF-8 address requires the SMTPUTF8 parameter"};
		return -1;
	}
	if (srv->set.max_recipients != 0 &&
	    srv->rcpt_count >= srv->set.max_recipients) {
		*err = (struct smtp_reply_error){452, "4.5.3",
		                                 "Too many recipients"};
		return -1;
	}
	return 0;
}

/* rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
 *        Forward-path ) [SP Rcpt-parameters] CRLF */
void smtp_server_cmd_rcpt(struct smtp_server_cmd *cmd, const char *args)
{
	struct smtp_server_conn *srv = cmd->srv;
	struct smtp_reply_error err;
	struct smtp_server_rcpt *rcpt =
	    pool_alloc(srv->trans_pool, sizeof(*rcpt));
	cmd->proceed = proceed_rcpt;
	if (check_rcpt(srv, args, rcpt, &err) < 0) {
		smtp_server_cmd_reply(cmd, err.code, err.enh, "%s", err.text);
		return;
	}
	srv->cb.rcpt(srv->ctx, cmd, rcpt);
}
