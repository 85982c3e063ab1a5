/* STORE (RFC 9051 §6.4.6, UNCHANGEDSINCE and MODIFIED from RFC 7162
 * §3.1.3), COPY (§6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315
 * §3). Their UID forms too. A MOVE's expunges reach the client through
 * the usual sync before the tagged reply. */
#include "core/pool.h"
#include "imap/imap_seqset.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <string.h>
#include <strings.h>

struct store_row {
	uint32_t uid, flags;
	uint64_t modseq;
	const char *keywords;
};

struct store_rows {
	struct pool *pool;
	const uint32_t *uids;
	size_t count;
	struct store_row *rows;
	size_t n;
};

static int store_rows_cb(const struct store_message *msg, void *ctx)
{
	struct store_rows *sr = ctx;
	size_t lo = 0, hi = sr->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sr->uids[mid] < msg->uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sr->count && sr->uids[lo] == msg->uid)
		sr->rows[sr->n++] = (struct store_row){
		    .uid = msg->uid,
		    .flags = msg->flags,
		    .modseq = msg->modseq,
		    .keywords = pool_strdup(sr->pool, msg->keywords),
		};
	return 0;
}

/* Reads the rows of uids (ascending). Returns 0 or -1. */
static int store_rows_read(struct imapd_cmd *cmd, const uint32_t *uids,
                           size_t count, struct store_rows *sr)
{
	struct imapd_client *c = cmd->client;
	*sr = (struct store_rows){
	    .pool = cmd->pool,
	    .uids = uids,
	    .count = count,
	    .rows = pool_alloc(cmd->pool, (count + 1) * sizeof(*sr->rows)),
	};
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL)
		return -1;
	if (count == 0)
		return 0;
	return store_message_list(account, c->box->name, uids[0],
	                          uids[count - 1], store_rows_cb, sr) < 0
	           ? -1
	           : 0;
}

struct store_args {
	const char *set;
	uint64_t unchangedsince;
	bool has_unchangedsince, is_silent;
	enum store_flag_mode mode;
	uint32_t flags;
	const char *keywords;
};

/* store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
 * store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
 *                   (flag-list / (flag *(SP flag))) */
static int store_parse(struct imapd_cmd *cmd, struct store_args *sa)
{
	const struct imap_arg *a = cmd->args;
	if (!imap_arg_get_astring(a, &sa->set) || (a = a->next) == NULL)
		return -1;
	if (a->type == IMAP_ARG_LIST) {
		const struct imap_arg *m = a->list;
		if (!imap_arg_atom_equals(m, "UNCHANGEDSINCE") ||
		    !imap_arg_get_number64(m->next, &sa->unchangedsince) ||
		    m->next->next != NULL)
			return -1;
		sa->has_unchangedsince = true;
		a = a->next;
	}
	if (a == NULL || a->type != IMAP_ARG_ATOM || a->next == NULL)
		return -1;
	const char *s = a->str;
	sa->mode = STORE_FLAGS_SET;
	if (*s == '+' || *s == '-') {
		sa->mode = *s == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
		s++;
	}
	if (strcasecmp(s, "FLAGS.SILENT") == 0)
		sa->is_silent = true;
	else if (strcasecmp(s, "FLAGS") != 0)
		return -1;
	a = a->next;
	if (a->type == IMAP_ARG_LIST)
		return a->next == NULL
		           ? imapd_flags_parse(a, cmd->pool, &sa->flags,
		                               &sa->keywords)
		           : -1;
	/* flag *(SP flag) without parentheses */
	struct imap_arg list = {.type = IMAP_ARG_LIST, .list = (void *)a};
	return imapd_flags_parse(&list, cmd->pool, &sa->flags, &sa->keywords);
}

void cmd_store(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	struct store_args sa = {0};
	uint32_t *uids;
	size_t count;
	if (store_parse(cmd, &sa) < 0) {
		imapd_cmd_bad(cmd, "Invalid STORE arguments");
		return;
	}
	if (imapd_set_uids(cmd, sa.set, cmd->is_uid, &uids, &count) < 0) {
		imapd_cmd_bad(cmd, "Invalid sequence set");
		return;
	}
	if (c->box->is_readonly) {
		imapd_cmd_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	if (sa.has_unchangedsince)
		imapd_condstore_enable(c);
	struct store_account *account = imapd_user_account(c->user);
	struct store_rows sr;
	if (account == NULL || store_rows_read(cmd, uids, count, &sr) < 0) {
		imapd_cmd_fail(cmd, "store");
		return;
	}
	uint32_t *modified =
	    pool_alloc(cmd->pool, (sr.n + 1) * sizeof(*modified));
	size_t modified_count = 0;
	uint32_t *changed =
	    pool_alloc(cmd->pool, (sr.n + 1) * sizeof(*changed));
	size_t changed_count = 0;
	for (size_t i = 0; i < sr.n; i++) {
		if (sa.has_unchangedsince &&
		    sr.rows[i].modseq > sa.unchangedsince) {
			modified[modified_count++] =
			    cmd->is_uid
			        ? sr.rows[i].uid
			        : imapd_mailbox_seq(c->box, sr.rows[i].uid);
			continue;
		}
		uint64_t modseq;
		if (store_message_set_flags(account, c->box->name,
		                            sr.rows[i].uid, sa.mode, sa.flags,
		                            sa.keywords, &modseq) < 0) {
			imapd_cmd_fail(cmd, "set flags");
			return;
		}
		changed[changed_count++] = sr.rows[i].uid;
		imapd_mailbox_own_change(c->box, sr.rows[i].uid, modseq);
	}
	if (!sa.is_silent || c->is_condstore) {
		struct store_rows now;
		if (store_rows_read(cmd, changed, changed_count, &now) < 0) {
			imapd_cmd_fail(cmd, "store");
			return;
		}
		for (size_t i = 0; i < now.n && !sa.is_silent; i++)
			imapd_mailbox_keywords_announce(c,
			                                now.rows[i].keywords);
		for (size_t i = 0; i < now.n; i++) {
			const struct store_row *r = &now.rows[i];
			imapd_fetch_head(c, r->uid);
			if (cmd->is_uid)
				buf_printf(&c->out, "UID %u ", r->uid);
			if (!sa.is_silent) {
				buf_append_str(&c->out, "FLAGS ");
				imapd_flags_write(
				    &c->out,
				    imapd_mailbox_flags(c, r->uid, r->flags),
				    r->keywords);
			}
			if (c->is_condstore)
				buf_printf(&c->out, "%sMODSEQ (%llu)",
				           sa.is_silent ? "" : " ",
				           (unsigned long long)r->modseq);
			buf_append_str(&c->out, ")\r\n");
		}
	}
	if (changed_count > 0 && sa.mode != STORE_FLAGS_REMOVE)
		imapd_mailbox_keywords_announce(c, sa.keywords);
	if (modified_count > 0) {
		struct buf set;
		buf_init(&set);
		imap_seqset_write(&set, modified, modified_count);
		imapd_cmd_ok(cmd, "[MODIFIED %s] Conditional store completed",
		             set.data);
		buf_deinit(&set);
		return;
	}
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

/* copy = "COPY" SP sequence-set SP mailbox; move = "MOVE" SP ... */
void cmd_copy(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	bool is_move = strstr(cmd->name, "MOVE") != NULL;
	const char *set, *to;
	uint32_t *uids;
	size_t count;
	if (!imap_arg_get_astring(cmd->args, &set) || cmd->args->next == NULL ||
	    cmd->args->next->next != NULL) {
		imapd_cmd_bad(cmd, "%s needs a set and a mailbox", cmd->name);
		return;
	}
	if (imapd_set_uids(cmd, set, cmd->is_uid, &uids, &count) < 0) {
		imapd_cmd_bad(cmd, "Invalid sequence set");
		return;
	}
	if ((to = imapd_arg_mailbox(cmd, cmd->args->next)) == NULL)
		return;
	if (is_move && c->box->is_readonly) {
		imapd_cmd_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	struct store_account *account = imapd_user_account(c->user);
	uint32_t uidvalidity, uidnext;
	uint64_t hms;
	int ret = account != NULL
	              ? store_imap_mailbox_state(account, to, &uidvalidity,
	                                         &uidnext, &hms)
	              : -1;
	if (ret == 0) {
		imapd_cmd_no(cmd, "[TRYCREATE] No such mailbox");
		return;
	}
	if (ret < 0) {
		imapd_cmd_fail(cmd, "copy");
		return;
	}
	uint32_t *src = pool_alloc(cmd->pool, (count + 1) * sizeof(*src));
	uint32_t *dst = pool_alloc(cmd->pool, (count + 1) * sizeof(*dst));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t new_uid;
		ret = store_message_copy(account, c->box->name, uids[i], to,
		                         is_move, &new_uid);
		if (ret < 0) {
			imapd_cmd_fail(cmd, "copy");
			return;
		}
		if (ret > 0) {
			src[n] = uids[i];
			dst[n++] = new_uid;
		}
	}
	if (n == 0) {
		imapd_cmd_ok(cmd, "%s completed", cmd->name);
		return;
	}
	struct buf code;
	buf_init(&code);
	buf_printf(&code, "COPYUID %u ", uidvalidity);
	imap_seqset_write(&code, src, n);
	buf_append_char(&code, ' ');
	imap_seqset_write(&code, dst, n);
	if (is_move) {
		/* RFC 6851 §4.3: COPYUID goes untagged before the EXPUNGEs */
		buf_printf(&c->out, "* OK [%s] Moved\r\n", code.data);
		imapd_cmd_ok(cmd, "%s completed", cmd->name);
	} else {
		imapd_cmd_ok(cmd, "[%s] %s completed", code.data, cmd->name);
	}
	buf_deinit(&code);
}
