/* APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502: several messages,
 * all appended or none), CATENATE (RFC 4469: a message built from TEXT
 * literals and IMAP URLs of the same user's messages, imapd_url.c),
 * APPENDUID with a uid-set (RFC 4315 §3, RFC 3502), APPENDLIMIT (RFC 7889)
 * and UTF8 (RFC 6855 §4). Every message literal and every TEXT literal is
 * streamed from the connection straight into a store blob writer of its
 * own as it arrives (client->append_parts, in the order they came), so a
 * 25 MB APPEND never sits in memory; the messages are put together, made
 * durable and added in one transaction once the command line is complete. */
#include "core/conn.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_seqset.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void imapd_append_reset(struct imapd_client *c)
{
	store_blob_abort(&c->append_blob);
	for (size_t i = 0; i < c->append_part_count; i++)
		store_blob_abort(&c->append_parts[i]);
	free(c->append_parts);
	c->append_parts = NULL;
	c->append_part_count = c->append_part_cap = 0;
	c->append_error = NULL;
}

bool cmd_append_is_streamed(struct imapd_client *c, unsigned depth)
{
	if (depth == 0) /* the mailbox name is no message */
		return imap_parser_arg_count(c->parser) > 0;
	if (depth > 1)
		return false;
	/* inside "CATENATE (...)": a TEXT part, not a URL's astring; or the
	 * UTF8 form's "(" literal8 ")" */
	const struct imap_arg *last = imap_parser_last_arg(c->parser);
	return !imap_arg_atom_equals(last, "URL");
}

void cmd_append_literal_done(struct imapd_client *c)
{
	if (c->append_part_count == c->append_part_cap) {
		c->append_part_cap =
		    c->append_part_cap == 0 ? 4 : c->append_part_cap * 2;
		c->append_parts =
		    xrealloc(c->append_parts,
		             c->append_part_cap * sizeof(*c->append_parts));
	}
	/* NULL when the writer failed: append_error says why */
	c->append_parts[c->append_part_count++] = c->append_blob;
	c->append_blob = NULL;
	imap_parser_literal_streamed(c->parser);
}

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
		imapd_append_reset(c);
		imapd_client_flush(c);
		return -1;
	}
	store_blob_abort(&c->append_blob);
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
		cmd_append_literal_done(c);
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

/* One message of the command. */
struct append_msg {
	uint32_t flags;
	const char *keywords;
	time_t date;
	const struct imap_arg *catenate; /* the cat-parts, or NULL */
	size_t part;                     /* append_parts index (no CATENATE) */
	struct store_blob_writer *blob;  /* the message put together */
	char blob_id[STORE_BLOB_ID_LEN + 1];
	uint64_t size;
};

struct append_cmd {
	struct imapd_cmd *cmd;
	const char *mailbox;
	struct append_msg *msgs;
	size_t count;
	size_t parts_seen; /* streamed literals met while parsing */
};

/* utf8-literal = "UTF8" SP "(" literal8 ")"  (RFC 6855 §4): returns the
 * literal of that form at a, or NULL. */
static const struct imap_arg *append_utf8(const struct imap_arg *a)
{
	if (a != NULL && imap_arg_atom_equals(a, "UTF8") && a->next != NULL &&
	    a->next->type == IMAP_ARG_LIST && a->next->count == 1)
		return a->next->list;
	return NULL;
}

/* cat-part = "TEXT" SP literal / "URL" SP astring (RFC 4469 §5), also
 * "UTF8" SP "(" literal8 ")" once UTF8=ACCEPT is on. Returns NULL or the
 * reason for BAD. */
static const char *append_cat_check(struct append_cmd *ac,
                                    const struct imap_arg *list)
{
	const char *url;
	if (list->count == 0)
		return "CATENATE needs a part";
	for (const struct imap_arg *p = list->list; p != NULL;
	     p = p->next->next) {
		const struct imap_arg *lit = append_utf8(p);
		if (lit != NULL && !ac->cmd->client->is_utf8)
			return "UTF8 needs ENABLE UTF8=ACCEPT";
		if (lit == NULL && imap_arg_atom_equals(p, "TEXT"))
			lit = p->next;
		if (lit != NULL) {
			if (lit->type != IMAP_ARG_STREAMED)
				return "TEXT needs a literal";
			ac->parts_seen++;
		} else if (!imap_arg_atom_equals(p, "URL") ||
		           !imap_arg_get_astring(p->next, &url)) {
			return "CATENATE parts are TEXT or URL";
		}
		if (p->next == NULL)
			return "Missing part";
	}
	return NULL;
}

/* append-message = [SP flag-list] [SP date-time] SP append-data
 * append-data = literal / literal8 / utf8-literal / "CATENATE" SP "("
 *               cat-part *(SP cat-part) ")"
 * Parses the message at *a into m, moving *a past it. Returns NULL or the
 * reason for BAD. */
static const char *append_parse_msg(struct append_cmd *ac,
                                    const struct imap_arg **ap,
                                    struct append_msg *m)
{
	struct imapd_cmd *cmd = ac->cmd;
	const struct imap_arg *a = *ap, *lit;
	*m = (struct append_msg){.keywords = "", .date = time(NULL)};
	if (a != NULL && a->type == IMAP_ARG_LIST) {
		if (imapd_flags_parse(a, cmd->pool, &m->flags, &m->keywords) <
		    0)
			return "Invalid flags";
		a = a->next;
	}
	if (a != NULL && a->type == IMAP_ARG_QUOTED) {
		if (date_time_parse(a->str, &m->date) < 0)
			return "Invalid date-time";
		a = a->next;
	}
	if ((lit = append_utf8(a)) != NULL) {
		if (!cmd->client->is_utf8)
			return "UTF8 APPEND needs ENABLE UTF8=ACCEPT";
		if (lit->type != IMAP_ARG_STREAMED)
			return "UTF8 needs a literal8";
		a = a->next->next;
	} else if (imap_arg_atom_equals(a, "CATENATE") && a->next != NULL &&
	           a->next->type == IMAP_ARG_LIST) {
		m->catenate = a->next->list;
		const char *error = append_cat_check(ac, a->next);
		if (error != NULL)
			return error;
		*ap = a->next->next;
		return NULL;
	} else if (a != NULL && a->type == IMAP_ARG_STREAMED) {
		a = a->next;
	} else {
		return "APPEND needs a message literal";
	}
	m->part = ac->parts_seen++;
	*ap = a;
	return NULL;
}

/* append = "APPEND" SP mailbox 1*append-message  (RFC 3502 §6.3.11) */
static int append_parse(struct append_cmd *ac)
{
	struct imapd_cmd *cmd = ac->cmd;
	const struct imap_arg *a = cmd->args;
	if ((ac->mailbox = imapd_arg_mailbox(cmd, a)) == NULL)
		return -1;
	size_t max = 0;
	for (const struct imap_arg *i = a->next; i != NULL; i = i->next)
		max++;
	ac->msgs = pool_alloc(cmd->pool, (max + 1) * sizeof(*ac->msgs));
	for (a = a->next; a != NULL || ac->count == 0;) {
		const char *error =
		    append_parse_msg(ac, &a, &ac->msgs[ac->count]);
		if (error != NULL) {
			imapd_cmd_bad(cmd, "%s", error);
			return -1;
		}
		ac->count++;
	}
	if (ac->parts_seen != cmd->client->append_part_count) {
		imapd_cmd_bad(cmd, "Literal out of place");
		return -1;
	}
	return 0;
}

/* Builds m's message into m->blob: its literal, or its CATENATE parts in
 * order. *part counts the streamed literals used. Returns 0, or -1 after
 * answering. */
static int append_build(struct append_cmd *ac, struct append_msg *m,
                        size_t *part)
{
	struct imapd_client *c = ac->cmd->client;
	const char *error, *url;
	if (m->catenate == NULL) {
		m->blob = c->append_parts[*part];
		c->append_parts[(*part)++] = NULL;
	} else if (store_blob_begin(c->imapd->store, &m->blob, &error) < 0) {
		log_error(&c->log, "append blob: %s", error);
		m->blob = NULL;
	}
	for (const struct imap_arg *p = m->catenate; p != NULL && m->blob;
	     p = p->next->next) {
		if (imap_arg_atom_equals(p, "URL")) {
			(void)imap_arg_get_astring(p->next, &url);
			int ret = imapd_url_append(ac->cmd, url, m->blob);
			if (ret == 0) {
				imapd_cmd_no(ac->cmd,
				             "[BADURL %s] Cannot use "
				             "that URL",
				             imapd_url_text(ac->cmd, url));
				return -1;
			}
			if (ret < 0)
				store_blob_abort(&m->blob);
			continue;
		}
		struct store_blob_writer *text = c->append_parts[(*part)++];
		if (text == NULL || store_blob_write_from(m->blob, text) < 0)
			store_blob_abort(&m->blob);
		if (m->blob != NULL && store_blob_written(m->blob) >
		                           c->imapd->set.imapd.max_literal_size)
			break;
	}
	if (m->blob == NULL) {
		imapd_cmd_fail(ac->cmd, c->append_error != NULL
		                            ? c->append_error
		                            : "append: cannot store");
		return -1;
	}
	m->size = store_blob_written(m->blob);
	/* RFC 3502 §6.3.11: a zero-length message is an error (it cancels
	 * the APPEND); RFC 4469 §4.2 TOOBIG past the server's limit */
	if (m->size == 0) {
		imapd_cmd_no(ac->cmd, "Empty message: append cancelled");
		return -1;
	}
	if (m->size > c->imapd->set.imapd.max_literal_size) {
		imapd_cmd_no(ac->cmd, "[TOOBIG] Message too large");
		return -1;
	}
	return 0;
}

/* Adds every message in one transaction (RFC 3502: all or none). Returns
 * 0 with the UIDs, or -1 with *error_r. */
static int append_store(struct append_cmd *ac, struct store_account *account,
                        uint32_t *uids, const char **error_r)
{
	for (size_t i = 0; i < ac->count; i++)
		if (store_blob_finish(&ac->msgs[i].blob, ac->msgs[i].blob_id,
		                      &ac->msgs[i].size, error_r) < 0)
			return -1;
	if (store_message_batch_begin(account, error_r) < 0)
		return -1;
	for (size_t i = 0; i < ac->count; i++) {
		const struct append_msg *m = &ac->msgs[i];
		if (store_message_add(account, ac->mailbox, m->blob_id, m->size,
		                      m->flags, m->keywords, m->date, NULL,
		                      &uids[i], error_r) < 0) {
			store_message_batch_rollback(account);
			return -1;
		}
	}
	return store_message_batch_commit(account, error_r);
}

static void append_run(struct append_cmd *ac)
{
	struct imapd_cmd *cmd = ac->cmd;
	struct imapd_client *c = cmd->client;
	struct store_account *account = imapd_user_account(c->user);
	uint32_t uidvalidity, uidnext;
	uint64_t hms, total = 0;
	const char *error;
	int ret = account != NULL
	              ? store_imap_mailbox_state(account, ac->mailbox,
	                                         &uidvalidity, &uidnext, &hms)
	              : -1;
	if (ret == 0) {
		imapd_cmd_no(cmd, "[TRYCREATE] No such mailbox");
		return;
	}
	if (ret < 0) {
		imapd_cmd_fail(cmd, "append");
		return;
	}
	size_t part = 0;
	for (size_t i = 0; i < ac->count; i++) {
		if (append_build(ac, &ac->msgs[i], &part) < 0)
			return;
		total += ac->msgs[i].size;
	}
	int quota = store_quota_check(c->imapd->store, c->user->address, total);
	if (quota <= 0) {
		if (quota < 0)
			imapd_cmd_fail(cmd, "append quota");
		else
			imapd_cmd_no(cmd, "[OVERQUOTA] Quota exceeded");
		return;
	}
	uint32_t *uids = pool_alloc(cmd->pool, ac->count * sizeof(*uids));
	if (append_store(ac, account, uids, &error) < 0) {
		imapd_cmd_fail(cmd, error);
		return;
	}
	log_info(&c->log, "append mailbox=%s uid=%u count=%zu size=%llu",
	         log_sanitize(ac->mailbox, 100), uids[0], ac->count,
	         (unsigned long long)total);
	struct buf set;
	buf_init(&set);
	imap_seqset_write(&set, uids, ac->count);
	imapd_cmd_ok(cmd, "[APPENDUID %u %s] Append completed", uidvalidity,
	             set.data);
	buf_deinit(&set);
}

void cmd_append(struct imapd_cmd *cmd)
{
	struct append_cmd ac = {.cmd = cmd};
	if (append_parse(&ac) == 0)
		append_run(&ac);
	for (size_t i = 0; i < ac.count; i++)
		store_blob_abort(&ac.msgs[i].blob);
	imapd_append_reset(cmd->client);
}
