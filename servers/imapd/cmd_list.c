/* LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.8-9) with the parts of
 * LIST-EXTENDED (RFC 5258) that clients use: selection options SUBSCRIBED
 * and SPECIAL-USE, return options SUBSCRIBED, CHILDREN, SPECIAL-USE
 * (RFC 6154) and STATUS (LIST-STATUS, RFC 5819). One hierarchy, "/".
 * LSUB names an unsubscribed parent of a subscribed mailbox that "%" stops
 * at, flagged \Noselect (RFC 3501 §6.3.9). */
#include "core/pool.h"
#include "imap/imap_write.h"
#include "imapd.h"
#include "store/store.h"

#include <string.h>
#include <strings.h>

struct list_box {
	const char *name;
	enum store_special_use special_use;
	bool is_subscribed;
};

struct list_ctx {
	struct pool *pool;
	struct list_box *boxes;
	size_t count, cap;
};

static void list_collect_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct list_ctx *lc = ctx;
	if (lc->count == lc->cap) {
		size_t cap = lc->cap == 0 ? 16 : lc->cap * 2;
		struct list_box *n = pool_alloc(lc->pool, cap * sizeof(*n));
		if (lc->count > 0)
			memcpy(n, lc->boxes, lc->count * sizeof(*n));
		lc->boxes = n;
		lc->cap = cap;
	}
	lc->boxes[lc->count++] = (struct list_box){
	    .name = pool_strdup(lc->pool, info->name),
	    .special_use = info->special_use,
	    .is_subscribed = info->is_subscribed,
	};
}

/* list-mailbox = 1*list-char; "*" matches anything, "%" anything but the
 * hierarchy separator. */
static bool list_match(const char *pat, const char *name)
{
	for (; *pat != '\0'; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (const char *n = name;; n++) {
				if (list_match(pat + 1, n))
					return true;
				if (*n == '\0' || (*pat == '%' && *n == '/'))
					return false;
			}
		}
		if (*pat != *name)
			return false;
	}
	return *name == '\0';
}

static bool list_has_children(const struct list_ctx *lc, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < lc->count; i++)
		if (strncmp(lc->boxes[i].name, name, len) == 0 &&
		    lc->boxes[i].name[len] == '/')
			return true;
	return false;
}

static const char *const special_names[] = {
    [STORE_SPECIAL_NONE] = NULL,           [STORE_SPECIAL_INBOX] = NULL,
    [STORE_SPECIAL_DRAFTS] = "\\Drafts",   [STORE_SPECIAL_SENT] = "\\Sent",
    [STORE_SPECIAL_TRASH] = "\\Trash",     [STORE_SPECIAL_JUNK] = "\\Junk",
    [STORE_SPECIAL_ARCHIVE] = "\\Archive",
};

struct list_opts {
	bool is_lsub, sel_subscribed, sel_special, ret_subscribed;
	const struct imap_arg *ret_status; /* the STATUS item list */
};

static void list_write(struct imapd_cmd *cmd, const struct list_ctx *lc,
                       const struct list_box *b, const struct list_opts *o)
{
	struct buf *out = &cmd->client->out;
	buf_printf(out, "* %s (", o->is_lsub ? "LSUB" : "LIST");
	size_t start = out->len;
	buf_append_str(out, list_has_children(lc, b->name) ? "\\HasChildren"
	                                                   : "\\HasNoChildren");
	if (!o->is_lsub && special_names[b->special_use] != NULL)
		buf_printf(out, " %s", special_names[b->special_use]);
	if (o->ret_subscribed && b->is_subscribed)
		buf_append_str(out, " \\Subscribed");
	(void)start;
	buf_append_str(out, ") \"/\" ");
	imap_write_mailbox(out, b->name, cmd->client->is_utf8);
	buf_append_str(out, "\r\n");
	if (o->ret_status != NULL)
		imapd_status_write(cmd, b->name, o->ret_status);
}

static bool list_is_subscribed(const struct list_ctx *lc, const char *name)
{
	for (size_t i = 0; i < lc->count; i++)
		if (lc->boxes[i].is_subscribed &&
		    strcmp(lc->boxes[i].name, name) == 0)
			return true;
	return false;
}

/* RFC 3501 §6.3.9: with "foo/bar" subscribed and "foo" not, "%" must
 * return foo flagged \Noselect. For every subscribed name the pattern (one
 * with "%") does not match, each parent it does match is written once. */
static void lsub_parents(struct imapd_cmd *cmd, const struct list_ctx *lc,
                         const char *pat)
{
	struct buf *out = &cmd->client->out;
	size_t max = 1, shown_count = 0;
	for (size_t i = 0; i < lc->count; i++)
		for (const char *s = lc->boxes[i].name; *s != '\0'; s++)
			max += *s == '/';
	const char **shown = pool_alloc(cmd->pool, max * sizeof(*shown));
	for (size_t i = 0; i < lc->count; i++) {
		const char *name = lc->boxes[i].name;
		if (!lc->boxes[i].is_subscribed || list_match(pat, name))
			continue;
		for (const char *s = strchr(name, '/'); s != NULL;
		     s = strchr(s + 1, '/')) {
			char *parent =
			    pool_strndup(cmd->pool, name, (size_t)(s - name));
			size_t k = 0;
			while (k < shown_count && strcmp(shown[k], parent) != 0)
				k++;
			if (k < shown_count || !list_match(pat, parent) ||
			    list_is_subscribed(lc, parent))
				continue;
			shown[shown_count++] = parent;
			buf_append_str(out, "* LSUB (\\Noselect) \"/\" ");
			imap_write_mailbox(out, parent, cmd->client->is_utf8);
			buf_append_str(out, "\r\n");
		}
	}
}

/* list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")";
 * list-return-opts = "RETURN" SP "(" [return-option *(SP ...)] ")" */
static int list_options(const struct imap_arg *sel, const struct imap_arg *ret,
                        struct list_opts *o)
{
	for (const struct imap_arg *a = sel != NULL ? sel->list : NULL;
	     a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "SUBSCRIBED"))
			o->sel_subscribed = o->ret_subscribed = true;
		else if (imap_arg_atom_equals(a, "SPECIAL-USE"))
			o->sel_special = true;
		else if (!imap_arg_atom_equals(a, "RECURSIVEMATCH") &&
		         !imap_arg_atom_equals(a, "REMOTE"))
			return -1;
	}
	for (const struct imap_arg *a = ret != NULL ? ret->list : NULL;
	     a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "SUBSCRIBED"))
			o->ret_subscribed = true;
		else if (imap_arg_atom_equals(a, "STATUS") && a->next != NULL &&
		         a->next->type == IMAP_ARG_LIST)
			o->ret_status = a = a->next;
		else if (!imap_arg_atom_equals(a, "CHILDREN") &&
		         !imap_arg_atom_equals(a, "SPECIAL-USE"))
			return -1;
	}
	return 0;
}

/* list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
 *        [SP list-return-opts]; lsub = "LSUB" SP mailbox SP list-mailbox */
void cmd_list(struct imapd_cmd *cmd)
{
	struct list_opts o = {.is_lsub = strcmp(cmd->name, "LSUB") == 0};
	const struct imap_arg *a = cmd->args, *sel = NULL, *ret = NULL;
	const char *ref, *pat;
	if (a != NULL && a->type == IMAP_ARG_LIST && !o.is_lsub) {
		sel = a;
		a = a->next;
	}
	if (!imap_arg_get_astring(a, &ref) || a->next == NULL) {
		imapd_cmd_bad(cmd, "%s needs a reference and a pattern",
		              cmd->name);
		return;
	}
	a = a->next;
	if (a->type == IMAP_ARG_LIST) {
		imapd_cmd_no(cmd, "Multiple patterns are not supported");
		return;
	}
	if (!imap_arg_get_astring(a, &pat)) {
		imapd_cmd_bad(cmd, "Invalid pattern");
		return;
	}
	if (a->next != NULL && imap_arg_atom_equals(a->next, "RETURN") &&
	    a->next->next != NULL && a->next->next->type == IMAP_ARG_LIST &&
	    a->next->next->next == NULL)
		ret = a->next->next;
	else if (a->next != NULL) {
		imapd_cmd_bad(cmd, "Unexpected arguments");
		return;
	}
	if (list_options(sel, ret, &o) < 0) {
		imapd_cmd_bad(cmd, "Unknown LIST option");
		return;
	}
	struct imapd_client *c = cmd->client;
	if (pat[0] == '\0' && !o.is_lsub) {
		/* RFC 9051 §6.3.9: the hierarchy delimiter */
		buf_append_str(&c->out, "* LIST (\\Noselect) \"/\" \"\"\r\n");
		imapd_cmd_ok(cmd, "List completed");
		return;
	}
	struct buf full;
	buf_init(&full);
	if (!c->is_utf8) {
		/* patterns are matched in UTF-8 */
		struct buf tmp;
		buf_init(&tmp);
		buf_printf(&tmp, "%s%s", ref, pat);
		if (imap_utf7_decode(tmp.data, &full) < 0)
			buf_append_str(&full, tmp.data);
		buf_deinit(&tmp);
	} else {
		buf_printf(&full, "%s%s", ref, pat);
	}
	struct list_ctx lc = {.pool = cmd->pool};
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL ||
	    store_mailbox_list(account, list_collect_cb, &lc) < 0) {
		buf_deinit(&full);
		imapd_cmd_fail(cmd, "mailbox list");
		return;
	}
	for (size_t i = 0; i < lc.count; i++) {
		const struct list_box *b = &lc.boxes[i];
		bool match = list_match(full.data, b->name) ||
		             (strcmp(b->name, "INBOX") == 0 &&
		              strncasecmp(full.data, "INBOX", 5) == 0 &&
		              list_match(full.data + 5, ""));
		if (!match ||
		    ((o.is_lsub || o.sel_subscribed) && !b->is_subscribed))
			continue;
		if (o.sel_special && special_names[b->special_use] == NULL)
			continue;
		list_write(cmd, &lc, b, &o);
	}
	if (o.is_lsub && strchr(full.data, '%') != NULL)
		lsub_parents(cmd, &lc, full.data);
	buf_deinit(&full);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}
