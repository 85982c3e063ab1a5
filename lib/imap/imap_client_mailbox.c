/* The client engine's mailbox commands: LIST with SPECIAL-USE (RFC 9051
 * §6.3.9, RFC 6154 §2), SELECT/EXAMINE with CONDSTORE or QRESYNC
 * parameters (§6.3.2, RFC 7162 §3.1.8, §3.2.5), APPEND (§6.3.12, APPENDUID
 * of RFC 4315 §3) and IDLE (RFC 2177 §3). */
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "imap/imap_client_private.h"
#include "imap/imap_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct list_ctx {
	struct imap_client *c;
	imap_client_list_cb *cb;
	void *ctx;
};

static const char *const special_uses[] = {
    "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
    "\\Trash",
};

/* mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE /
 *                nil) SP mailbox [SP mbox-list-extended] */
static void list_untagged_cb(const struct imap_response *resp, void *ctx)
{
	struct list_ctx *lc = ctx;
	if (resp->count < 4 || !imap_client_value_is(&resp->items[0], "LIST") ||
	    resp->items[1].type != IMAP_VALUE_LIST ||
	    resp->items[3].type == IMAP_VALUE_LIST ||
	    resp->items[3].type == IMAP_VALUE_NIL)
		return;
	struct imap_client_mailbox mbox = {0};
	const struct imap_value *attrs = &resp->items[1];
	for (size_t i = 0; i < attrs->count; i++) {
		const struct imap_value *a = &attrs->list[i];
		if (imap_client_value_is(a, "\\Noselect") ||
		    imap_client_value_is(a, "\\NonExistent"))
			mbox.attrs |= IMAP_CLIENT_MBOX_NOSELECT;
		else if (imap_client_value_is(a, "\\HasChildren"))
			mbox.attrs |= IMAP_CLIENT_MBOX_HAS_CHILDREN;
		for (size_t k = 0; k < sizeof(special_uses) /
		                           sizeof(special_uses[0]); k++)
			if (imap_client_value_is(a, special_uses[k]))
				mbox.special_use = special_uses[k];
	}
	if (resp->items[2].type == IMAP_VALUE_STRING && resp->items[2].len == 1)
		mbox.delimiter = resp->items[2].str[0];
	const char *name = resp->items[3].str;
	struct buf utf8;
	buf_init(&utf8);
	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	else if (!imap_client_is_enabled(lc->c, "UTF8=ACCEPT") &&
	         !imap_client_is_enabled(lc->c, "IMAP4rev2") &&
	         imap_utf7_decode(name, &utf8) == 0)
		name = utf8.data; /* else keep the name as the server sent it */
	mbox.name = name;
	lc->cb(&mbox, lc->ctx);
	buf_deinit(&utf8);
}

int imap_client_list(struct imap_client *c, imap_client_list_cb *cb, void *ctx,
                     const char **error_r)
{
	struct list_ctx lc = {c, cb, ctx};
	if (imap_client_has(c, "SPECIAL-USE"))
		return imap_client_cmd(c, list_untagged_cb, &lc, error_r,
		                       "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
	return imap_client_cmd(c, list_untagged_cb, &lc, error_r,
	                       "LIST \"\" \"*\"");
}

struct select_ctx {
	struct imap_client_selected *sel;
	imap_client_untagged_cb *cb;
	void *ctx;
};

/* Parses "NAME number" codes of SELECT (RFC 9051 §7.1; RFC 7162 §3.1.2.1). */
static void select_code(struct imap_client_selected *sel, const char *code)
{
	unsigned long long n;
	if (sscanf(code, "UIDVALIDITY %llu", &n) == 1 && n <= UINT32_MAX)
		sel->uidvalidity = (uint32_t)n;
	else if (sscanf(code, "UIDNEXT %llu", &n) == 1 && n <= UINT32_MAX)
		sel->uidnext = (uint32_t)n;
	else if (sscanf(code, "HIGHESTMODSEQ %llu", &n) == 1)
		sel->highestmodseq = n;
	else if (strcasecmp(code, "NOMODSEQ") == 0)
		sel->highestmodseq = 0;
}

static void select_untagged_cb(const struct imap_response *resp, void *ctx)
{
	struct select_ctx *sc = ctx;
	uint64_t n;
	if (resp->code != NULL)
		select_code(sc->sel, resp->code);
	if (resp->count == 2 &&
	    imap_client_value_is(&resp->items[1], "EXISTS") &&
	    imap_client_value_num(&resp->items[0], UINT32_MAX, &n) == 0)
		sc->sel->exists = (uint32_t)n;
	if (sc->cb != NULL)
		sc->cb(resp, sc->ctx);
}

int imap_client_select(struct imap_client *c, const char *mailbox,
                       bool is_readonly, const uint32_t *qresync_uidvalidity,
                       const uint64_t *qresync_modseq,
                       imap_client_untagged_cb *cb, void *ctx,
                       struct imap_client_selected *selected_r,
                       const char **error_r)
{
	struct select_ctx sc = {selected_r, cb, ctx};
	const char *verb = is_readonly ? "EXAMINE" : "SELECT";
	memset(selected_r, 0, sizeof(*selected_r));
	int ret;
	if (qresync_uidvalidity != NULL && qresync_modseq != NULL &&
	    *qresync_modseq > 0 && imap_client_is_enabled(c, "QRESYNC")) {
		ret = imap_client_cmd(c, select_untagged_cb, &sc, error_r,
		                      "%a %m (QRESYNC (%u %U))", verb, mailbox,
		                      (unsigned)*qresync_uidvalidity,
		                      *qresync_modseq);
	} else if (imap_client_has(c, "CONDSTORE") &&
	           !imap_client_is_enabled(c, "QRESYNC")) {
		ret = imap_client_cmd(c, select_untagged_cb, &sc, error_r,
		                      "%a %m (CONDSTORE)", verb, mailbox);
	} else {
		ret = imap_client_cmd(c, select_untagged_cb, &sc, error_r,
		                      "%a %m", verb, mailbox);
	}
	if (ret < 0)
		return -1;
	const char *code = imap_client_last_code(c);
	selected_r->is_readonly =
	    code != NULL && strcasecmp(code, "READ-ONLY") == 0;
	return 0;
}

int imap_client_append(struct imap_client *c, const char *mailbox,
                       uint32_t flags, const char *keywords,
                       time_t internal_date, const unsigned char *data,
                       size_t size, uint32_t *uidvalidity_r, uint32_t *uid_r,
                       const char **error_r)
{
	struct buf opts;
	buf_init(&opts);
	if (flags != 0 || (keywords != NULL && *keywords != '\0')) {
		buf_append_char(&opts, ' ');
		imap_client_flags_str(flags, keywords, &opts);
	}
	if (internal_date != 0) {
		struct tm tm;
		char date[40];
		gmtime_r(&internal_date, &tm);
		strftime(date, sizeof(date), " \"%d-%b-%Y %H:%M:%S +0000\"", &tm);
		buf_append_str(&opts, date);
	}
	int ret = imap_client_cmd(c, NULL, NULL, error_r, "APPEND %m%a %b",
	                          mailbox, opts.data, data, size);
	buf_deinit(&opts);
	*uidvalidity_r = 0;
	*uid_r = 0;
	if (ret < 0)
		return -1;
	unsigned long long uv, uid;
	const char *code = imap_client_last_code(c);
	if (code != NULL && sscanf(code, "APPENDUID %llu %llu", &uv, &uid) == 2 &&
	    uv <= UINT32_MAX && uid <= UINT32_MAX) {
		*uidvalidity_r = (uint32_t)uv;
		*uid_r = (uint32_t)uid;
	}
	return 0;
}

/* Waits up to msecs for input, in one-second slices when a stop flag is
 * set. Returns 1 input, 0 timeout or stop, -1 with *error_r. */
static int idle_wait(struct imap_client *c, int msecs, const char **error_r)
{
	for (;;) {
		int slice = c->stop != NULL && msecs > 1000 ? 1000 : msecs;
		int ret = tls_stream_wait(c->stream, slice, error_r);
		if (ret != 0)
			return ret;
		msecs -= slice;
		if (msecs <= 0 || (c->stop != NULL && *c->stop))
			return 0;
	}
}

int imap_client_idle(struct imap_client *c, int msecs,
                     imap_client_untagged_cb *cb, void *ctx,
                     const char **error_r)
{
	imap_client_begin(c);
	if (c->is_broken)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "connection lost earlier");
	buf_printf(&c->out, "%s IDLE\r\n", c->tag);
	if (imap_client_send(c, error_r) < 0)
		return -1;
	int ret = imap_client_wait(c, cb, ctx, true, error_r);
	if (ret == 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "IDLE ended without a continuation");
	if (ret < 0)
		return -1;
	const char *error;
	int got = idle_wait(c, msecs, &error);
	if (got < 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r, "%s",
		                        error);
	if (got > 0) {
		struct imap_client_resp r;
		if (imap_client_read_response(c, &r, &error) < 0)
			return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
			                        "%s", error);
		if (r.kind != IMAP_CLIENT_UNTAGGED)
			return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
			                        "unexpected response in IDLE");
		imap_client_note(c, &r);
		if (cb != NULL)
			cb(&r.resp, ctx);
	}
	/* RFC 2177 §3: "DONE" ends it; the tagged OK follows */
	buf_append_str(&c->out, "DONE\r\n");
	if (imap_client_send(c, error_r) < 0 ||
	    imap_client_wait(c, cb, ctx, false, error_r) < 0)
		return -1;
	return got;
}
