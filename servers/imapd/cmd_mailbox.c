/* Mailbox commands: SELECT and EXAMINE (RFC 9051 §6.3.2-3, CONDSTORE
 * SELECT parameter RFC 7162 §3.1.8; QRESYNC answered in imapd_qresync.c),
 * CREATE (with USE, CREATE-SPECIAL-USE of RFC 6154 §3), DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE (§6.3.4-8), STATUS
 * (§6.3.11, SIZE from RFC 8438), CLOSE and UNSELECT (§6.4.1-2, RFC 3691),
 * EXPUNGE and UID EXPUNGE (§6.4.3, RFC 4315), GETQUOTAROOT and GETQUOTA
 * (RFC 9208 §4.2-3). */
#include "core/pool.h"
#include "imap/imap_write.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Answers a store failure of a mailbox operation (error from store.h). */
static void mailbox_refuse(struct imapd_cmd *cmd, const char *error)
{
	if (strcmp(error, "mailbox exists") == 0)
		imapd_cmd_no(cmd, "[ALREADYEXISTS] Mailbox exists");
	else if (strcmp(error, "no such mailbox") == 0)
		imapd_cmd_no(cmd, "[NONEXISTENT] No such mailbox");
	else if (strcmp(error, "invalid name") == 0)
		imapd_cmd_no(cmd, "[CANNOT] Invalid mailbox name");
	else if (strcmp(error, "cannot delete INBOX") == 0)
		imapd_cmd_no(cmd, "[CANNOT] Cannot delete INBOX");
	else
		imapd_cmd_fail(cmd, error);
}

static struct store_account *cmd_account(struct imapd_cmd *cmd)
{
	struct store_account *account = imapd_user_account(cmd->client->user);
	if (account == NULL)
		imapd_cmd_fail(cmd, "account open");
	return account;
}

/* Does the QRESYNC parameter list hold seq-match-data (a list)? */
static bool qresync_has_seq_match(const struct imap_arg *list)
{
	if (list == NULL || list->type != IMAP_ARG_LIST)
		return false;
	for (const struct imap_arg *a = list->list; a != NULL; a = a->next)
		if (a->type == IMAP_ARG_LIST)
			return true;
	return false;
}

/* select-params = SP "(" select-param *(SP select-param) ")"
 * select-param = "CONDSTORE" / "QRESYNC" SP "(" ... ")" (RFC 7162 §3.1.8,
 * §3.2.5). Returns 0, or -1 after answering BAD. */
static int select_params(struct imapd_cmd *cmd, const struct imap_arg *p,
                         struct imapd_qresync *qr)
{
	struct imapd_client *c = cmd->client;
	*qr = (struct imapd_qresync){0};
	if (p == NULL)
		return 0;
	if (p->type != IMAP_ARG_LIST || p->next != NULL) {
		imapd_cmd_bad(cmd, "Unexpected arguments");
		return -1;
	}
	for (const struct imap_arg *a = p->list; a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "CONDSTORE")) {
			c->is_condstore = true;
		} else if (imap_arg_atom_equals(a, "QRESYNC") &&
		           c->is_uidonly && qresync_has_seq_match(a->next)) {
			/* RFC 9586: seq-match-data holds sequence numbers */
			imapd_cmd_bad(cmd, "[UIDREQUIRED] No sequence numbers "
			                   "with UIDONLY");
			return -1;
		} else if (imap_arg_atom_equals(a, "QRESYNC")) {
			/* §3.2.5: BAD unless ENABLE QRESYNC came first */
			if (!c->is_qresync ||
			    imapd_qresync_parse(cmd, a->next, qr) < 0) {
				imapd_cmd_bad(cmd, "Invalid QRESYNC parameter");
				return -1;
			}
			a = a->next;
		} else {
			imapd_cmd_bad(cmd, "Unknown SELECT parameter");
			return -1;
		}
	}
	return 0;
}

/* select = "SELECT" SP mailbox [select-params] */
void cmd_select(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	bool is_examine = strcmp(cmd->name, "EXAMINE") == 0;
	struct imapd_qresync qr;
	const char *name = imapd_arg_mailbox(cmd, cmd->args);
	if (name == NULL || select_params(cmd, cmd->args->next, &qr) < 0)
		return;
	if (c->box != NULL) /* RFC 9051 §6.3.2 */
		buf_append_str(&c->out, "* OK [CLOSED] Previous mailbox "
		                        "closed\r\n");
	imapd_mailbox_close(c);
	int ret = imapd_mailbox_select(c, name, is_examine);
	if (ret < 0) {
		imapd_cmd_fail(cmd, "select");
		return;
	}
	if (ret == 0) {
		imapd_cmd_no(cmd, "[NONEXISTENT] No such mailbox");
		return;
	}
	if (qr.is_set && imapd_qresync_select(c, &qr) < 0) {
		imapd_cmd_fail(cmd, "qresync");
		return;
	}
	log_debug(&c->log, "select mailbox=%s", log_sanitize(name, 100));
	imapd_cmd_ok(cmd, "[%s] %s completed",
	             is_examine ? "READ-ONLY" : "READ-WRITE", cmd->name);
}

/* The special uses CREATE may give (RFC 6154 §2); \All and \Flagged
 * name virtual mailboxes the store does not keep. */
static const struct {
	const char *attr;
	enum store_special_use use;
} create_uses[] = {
    {"\\Archive", STORE_SPECIAL_ARCHIVE}, {"\\Drafts", STORE_SPECIAL_DRAFTS},
    {"\\Junk", STORE_SPECIAL_JUNK},       {"\\Sent", STORE_SPECIAL_SENT},
    {"\\Trash", STORE_SPECIAL_TRASH},
};

static void special_use_cb(const struct store_mailbox_info *info, void *ctx)
{
	enum store_special_use *use = ctx;
	if (info->special_use == *use)
		*use = STORE_SPECIAL_NONE; /* taken */
}

/* create-params = SP "(" create-param *(SP create-param) ")"
 * create-param  = "USE" SP "(" [use-attr *(SP use-attr)] ")"  (RFC 4466
 * §2.2, RFC 6154 §6). One use per mailbox, as the store keeps it, and
 * one mailbox per use. Returns 0 with *use_r, or -1 after answering. */
static int create_params(struct imapd_cmd *cmd, struct store_account *account,
                         const struct imap_arg *p,
                         enum store_special_use *use_r)
{
	*use_r = STORE_SPECIAL_NONE;
	if (p == NULL)
		return 0;
	const struct imap_arg *a = p->type == IMAP_ARG_LIST ? p->list : NULL;
	if (p->next != NULL || a == NULL || !imap_arg_atom_equals(a, "USE") ||
	    a->next == NULL || a->next->type != IMAP_ARG_LIST ||
	    a->next->next != NULL) {
		imapd_cmd_bad(cmd, "Unknown CREATE parameter");
		return -1;
	}
	for (const struct imap_arg *u = a->next->list; u != NULL; u = u->next) {
		if (u->type != IMAP_ARG_ATOM || u->str[0] != '\\') {
			imapd_cmd_bad(cmd, "USE takes special-use attributes");
			return -1;
		}
		size_t i = 0, n = sizeof(create_uses) / sizeof(*create_uses);
		while (i < n && strcasecmp(u->str, create_uses[i].attr) != 0)
			i++;
		if (i == n || (*use_r != STORE_SPECIAL_NONE &&
		               *use_r != create_uses[i].use)) {
			imapd_cmd_no(cmd, "[USEATTR] %s", i == n
			             ? "Special use not supported"
			             : "One special use per mailbox");
			return -1;
		}
		*use_r = create_uses[i].use;
	}
	enum store_special_use free_use = *use_r;
	if (free_use != STORE_SPECIAL_NONE &&
	    store_mailbox_list(account, special_use_cb, &free_use) < 0) {
		imapd_cmd_fail(cmd, "mailbox list");
		return -1;
	}
	if (free_use != *use_r) {
		imapd_cmd_no(cmd, "[USEATTR] Another mailbox has that use");
		return -1;
	}
	return 0;
}

/* create = "CREATE" SP mailbox [create-params] */
void cmd_create(struct imapd_cmd *cmd)
{
	const char *name = imapd_arg_mailbox(cmd, cmd->args), *error;
	if (name == NULL)
		return;
	struct store_account *account = cmd_account(cmd);
	if (account == NULL)
		return;
	enum store_special_use use;
	if (create_params(cmd, account, cmd->args->next, &use) < 0)
		return;
	/* RFC 9051 §6.3.4: a trailing separator is only a hint */
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		name = pool_strndup(cmd->pool, name, len - 1);
	if (strcasecmp(name, "INBOX") == 0) {
		imapd_cmd_no(cmd, "[ALREADYEXISTS] INBOX exists");
		return;
	}
	if (store_mailbox_create(account, name, use, &error) < 0) {
		mailbox_refuse(cmd, error);
		return;
	}
	/* RFC 3501 §6.3.3: CREATE does not subscribe (the store's rows are
	 * subscribed by default, for the mailboxes it makes itself) */
	if (store_mailbox_subscribe(account, name, false, &error) < 0)
		log_warn(&cmd->client->log, "create: unsubscribe %s: %s",
		         log_sanitize(name, 100), error);
	imapd_cmd_ok(cmd, "Create completed");
}

void cmd_delete(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const char *name = imapd_arg_mailbox(cmd, cmd->args), *error;
	if (name == NULL)
		return;
	struct store_account *account = cmd_account(cmd);
	if (account == NULL)
		return;
	if (c->box != NULL && strcmp(c->box->name, name) == 0)
		imapd_mailbox_close(c);
	if (store_mailbox_delete(account, name, &error) < 0) {
		mailbox_refuse(cmd, error);
		return;
	}
	imapd_cmd_ok(cmd, "Delete completed");
}

void cmd_rename(struct imapd_cmd *cmd)
{
	const char *from = imapd_arg_mailbox(cmd, cmd->args), *to, *error;
	if (from == NULL)
		return;
	to = imapd_arg_mailbox(cmd, cmd->args->next);
	if (to == NULL)
		return;
	struct store_account *account = cmd_account(cmd);
	if (account == NULL)
		return;
	if (store_mailbox_rename(account, from, to, &error) < 0) {
		mailbox_refuse(cmd, error);
		return;
	}
	imapd_cmd_ok(cmd, "Rename completed");
}

void cmd_subscribe(struct imapd_cmd *cmd)
{
	bool subscribe = strcmp(cmd->name, "SUBSCRIBE") == 0;
	const char *name = imapd_arg_mailbox(cmd, cmd->args), *error;
	if (name == NULL)
		return;
	struct store_account *account = cmd_account(cmd);
	if (account == NULL)
		return;
	if (store_mailbox_subscribe(account, name, subscribe, &error) < 0) {
		mailbox_refuse(cmd, error);
		return;
	}
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

static int count_cb(const struct store_message *msg, void *ctx)
{
	(void)msg;
	(*(uint32_t *)ctx)++;
	return 0;
}

/* RFC 3501 §6.3.10 RECENT: the messages no session has selected yet. */
static int status_recent(struct store_account *account, const char *name,
                         uint32_t *count_r)
{
	uint32_t old;
	*count_r = 0;
	if (store_imap_recent(account, name, 0, false, &old) <= 0)
		return -1;
	return store_message_list(account, name, old + 1, UINT32_MAX, count_cb,
	                          count_r) < 0
	           ? -1
	           : 0;
}

static int count_deleted_cb(const struct store_message *msg, void *ctx)
{
	if ((msg->flags & STORE_FLAG_DELETED) != 0)
		(*(uint32_t *)ctx)++;
	return 0;
}

/* status-att = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" /
 *              "DELETED" / "SIZE" / "RECENT" / "HIGHESTMODSEQ"
 * Returns 0 if every item of list is one, setting *has_modseq_r. */
static int status_check(const struct imap_arg *list, bool *has_modseq_r)
{
	static const char *const items[] = {
	    "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
	    "DELETED",  "SIZE",    "RECENT",      "HIGHESTMODSEQ"};
	*has_modseq_r = false;
	for (const struct imap_arg *a = list->list; a != NULL; a = a->next) {
		size_t i = 0, n = sizeof(items) / sizeof(*items);
		while (i < n && !imap_arg_atom_equals(a, items[i]))
			i++;
		if (i == n)
			return -1;
		*has_modseq_r = *has_modseq_r || i == n - 1;
	}
	return 0;
}

static int status_items(struct imapd_cmd *cmd, const char *name,
                        const struct imap_arg *list, struct buf *out)
{
	struct store_account *account = imapd_user_account(cmd->client->user);
	struct store_mailbox_info info;
	bool has_modseq;
	if (status_check(list, &has_modseq) < 0)
		return -2;
	if (account == NULL ||
	    store_mailbox_get(account, name, cmd->pool, &info) <= 0)
		return -1;
	if (has_modseq) /* RFC 7162 §3.1: an enabling command */
		imapd_condstore_enable(cmd->client);
	buf_append_str(out, "* STATUS ");
	imap_write_mailbox(out, info.name, cmd->client->is_utf8);
	buf_append_str(out, " (");
	for (const struct imap_arg *a = list->list; a != NULL; a = a->next) {
		const char *item = a->type == IMAP_ARG_ATOM ? a->str : "";
		if (a != list->list)
			buf_append_char(out, ' ');
		if (strcasecmp(item, "MESSAGES") == 0)
			buf_printf(out, "MESSAGES %u", info.messages);
		else if (strcasecmp(item, "UIDNEXT") == 0)
			buf_printf(out, "UIDNEXT %u", info.uidnext);
		else if (strcasecmp(item, "UIDVALIDITY") == 0)
			buf_printf(out, "UIDVALIDITY %u", info.uidvalidity);
		else if (strcasecmp(item, "UNSEEN") == 0)
			buf_printf(out, "UNSEEN %u", info.unseen);
		else if (strcasecmp(item, "SIZE") == 0)
			buf_printf(out, "SIZE %llu",
			           (unsigned long long)info.size);
		else if (strcasecmp(item, "RECENT") == 0) {
			uint32_t n;
			if (status_recent(account, name, &n) < 0)
				return -1;
			buf_printf(out, "RECENT %u", n);
		} else if (strcasecmp(item, "HIGHESTMODSEQ") == 0)
			buf_printf(out, "HIGHESTMODSEQ %llu",
			           (unsigned long long)info.highestmodseq);
		else if (strcasecmp(item, "DELETED") == 0) {
			uint32_t n = 0;
			if (store_message_list(account, name, 1, UINT32_MAX,
			                       count_deleted_cb, &n) < 0)
				return -1;
			buf_printf(out, "DELETED %u", n);
		} else
			return -2;
	}
	buf_append_str(out, ")\r\n");
	return 0;
}

void imapd_status_write(struct imapd_cmd *cmd, const char *name,
                        const struct imap_arg *list)
{
	size_t len = cmd->client->out.len;
	if (status_items(cmd, name, list, &cmd->client->out) < 0)
		buf_truncate(&cmd->client->out, len);
}

/* status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")" */
void cmd_status(struct imapd_cmd *cmd)
{
	const char *name = imapd_arg_mailbox(cmd, cmd->args);
	if (name == NULL)
		return;
	const struct imap_arg *list = cmd->args->next;
	if (list == NULL || list->type != IMAP_ARG_LIST || list->count == 0 ||
	    list->next != NULL) {
		imapd_cmd_bad(cmd, "STATUS needs a list of items");
		return;
	}
	struct buf *out = &cmd->client->out;
	size_t len = out->len;
	int ret = status_items(cmd, name, list, out);
	if (ret < 0)
		buf_truncate(out, len);
	if (ret == -2)
		imapd_cmd_bad(cmd, "Unknown STATUS item");
	else if (ret < 0)
		imapd_cmd_no(cmd, "[NONEXISTENT] No such mailbox");
	else
		imapd_cmd_ok(cmd, "Status completed");
}

/* Expunges the \Deleted messages of the view (only those in uids when not
 * NULL). Returns how many went, or -1. */
static int expunge_deleted(struct imapd_cmd *cmd, const uint32_t *uids,
                           size_t count);

void cmd_close(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	if (strcmp(cmd->name, "CLOSE") == 0 && !c->box->is_readonly)
		(void)expunge_deleted(cmd, NULL, 0);
	imapd_mailbox_close(c);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

struct deleted_ctx {
	struct pool *pool;
	uint32_t *uids;
	size_t count, cap;
	const uint32_t *only;
	size_t only_count;
};

static int collect_deleted_cb(const struct store_message *msg, void *ctx)
{
	struct deleted_ctx *dc = ctx;
	if ((msg->flags & STORE_FLAG_DELETED) == 0)
		return 0;
	if (dc->only != NULL) {
		bool found = false;
		for (size_t i = 0; i < dc->only_count && !found; i++)
			found = dc->only[i] == msg->uid;
		if (!found)
			return 0;
	}
	if (dc->count == dc->cap) {
		size_t cap = dc->cap == 0 ? 64 : dc->cap * 2;
		uint32_t *n = pool_alloc(dc->pool, cap * sizeof(*n));
		if (dc->count > 0)
			memcpy(n, dc->uids, dc->count * sizeof(*n));
		dc->uids = n;
		dc->cap = cap;
	}
	dc->uids[dc->count++] = msg->uid;
	return 0;
}

static int expunge_deleted(struct imapd_cmd *cmd, const uint32_t *uids,
                           size_t count)
{
	struct imapd_client *c = cmd->client;
	struct store_account *account = imapd_user_account(c->user);
	struct deleted_ctx dc = {
	    .pool = cmd->pool, .only = uids, .only_count = count};
	if (account == NULL ||
	    store_message_list(account, c->box->name, 1, UINT32_MAX,
	                       collect_deleted_cb, &dc) < 0)
		return -1;
	if (dc.count == 0)
		return 0;
	return store_message_expunge(account, c->box->name, dc.uids, dc.count);
}

/* expunge = "EXPUNGE"; uid-expunge = "UID" SP "EXPUNGE" SP sequence-set */
void cmd_expunge(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	uint32_t *uids = NULL;
	size_t count = 0;
	const char *set;
	if (cmd->is_uid) {
		if (!imap_arg_get_astring(cmd->args, &set) ||
		    cmd->args->next != NULL ||
		    imapd_set_uids(cmd, set, true, &uids, &count) < 0) {
			imapd_cmd_bad(cmd, "UID EXPUNGE needs a UID set");
			return;
		}
		if (count == 0) {
			imapd_cmd_ok(cmd, "Expunge completed");
			return;
		}
	} else if (cmd->args != NULL) {
		imapd_cmd_bad(cmd, "EXPUNGE takes no arguments");
		return;
	}
	if (c->box->is_readonly) {
		imapd_cmd_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return;
	}
	int n = expunge_deleted(cmd, uids, count);
	if (n < 0) {
		imapd_cmd_fail(cmd, "expunge");
		return;
	}
	log_info(&c->log, "expunge mailbox=%s count=%d",
	         log_sanitize(c->box->name, 100), n);
	imapd_cmd_ok(cmd, "Expunge completed");
}

/* getquotaroot = "GETQUOTAROOT" SP mailbox; getquota = "GETQUOTA" SP
 * quota-root-name. One root, "", for the whole account. */
void cmd_getquotaroot(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	bool is_root = strcmp(cmd->name, "GETQUOTAROOT") == 0;
	const char *name;
	if (!imap_arg_get_astring(cmd->args, &name) ||
	    cmd->args->next != NULL) {
		imapd_cmd_bad(cmd, "%s needs one argument", cmd->name);
		return;
	}
	struct store_account *account = cmd_account(cmd);
	if (account == NULL)
		return;
	struct store_account_info info;
	uint64_t bytes, messages;
	if (store_account_lookup(c->imapd->store, c->user->address, cmd->pool,
	                         &info) <= 0 ||
	    store_account_usage(account, &bytes, &messages) < 0) {
		imapd_cmd_fail(cmd, "quota");
		return;
	}
	if (is_root) {
		buf_append_str(&c->out, "* QUOTAROOT ");
		imap_write_mailbox(&c->out, name, c->is_utf8);
		buf_append_str(&c->out, " \"\"\r\n");
	} else if (name[0] != '\0') {
		imapd_cmd_no(cmd, "[NONEXISTENT] No such quota root");
		return;
	}
	if (info.quota > 0)
		buf_printf(&c->out, "* QUOTA \"\" (STORAGE %llu %llu)\r\n",
		           (unsigned long long)(bytes + 1023) / 1024,
		           (unsigned long long)info.quota / 1024);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

/* setquota = "SETQUOTA" SP quota-root-name SP setquota-list (RFC 9208
 * §4.1.3). QUOTASET is not advertised: limits belong to the administrator
 * (postroomctl account quota), so the command is understood and refused. */
void cmd_setquota(struct imapd_cmd *cmd)
{
	imapd_cmd_no(cmd, "[NOPERM] quotas are set by the administrator");
}
