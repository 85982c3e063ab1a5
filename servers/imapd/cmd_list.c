/* LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.8-9) with LIST-EXTENDED
 * (RFC 5258): several patterns, selection options SUBSCRIBED, REMOTE (no
 * remote mailboxes here), RECURSIVEMATCH (with the CHILDINFO extended
 * data item, §3.5) and SPECIAL-USE (RFC 6154 §3), return options
 * SUBSCRIBED, CHILDREN, SPECIAL-USE and STATUS (LIST-STATUS, RFC 5819).
 * A name whose parent does not exist makes that parent a \NonExistent
 * name with \HasChildren (RFC 5258 §3, §3.5). One hierarchy, "/".
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
	bool is_missing; /* a parent of a mailbox, not a mailbox itself */
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
		if (!lc->boxes[i].is_missing &&
		    strncmp(lc->boxes[i].name, name, len) == 0 &&
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
	bool is_lsub, sel_subscribed, sel_special, sel_recursive;
	bool ret_subscribed;
	const struct imap_arg *ret_status; /* the STATUS item list */
	const char **patterns;             /* UTF-8, reference prepended */
	size_t pattern_count;
};

/* Does b meet the selection criteria (RFC 5258 §3.1)? A name that does
 * not exist meets none of them. */
static bool list_selected(const struct list_opts *o, const struct list_box *b,
                          bool exists)
{
	if (!exists)
		return false;
	if (o->sel_subscribed && !b->is_subscribed)
		return false;
	if (o->sel_special && special_names[b->special_use] == NULL)
		return false;
	return true;
}

static bool list_matches(const struct list_opts *o, const char *name)
{
	for (size_t i = 0; i < o->pattern_count; i++) {
		const char *pat = o->patterns[i];
		if (list_match(pat, name) ||
		    (strcmp(name, "INBOX") == 0 &&
		     strncasecmp(pat, "INBOX", 5) == 0 &&
		     list_match(pat + 5, "")))
			return true;
	}
	return false;
}

/* RECURSIVEMATCH: has name a descendant that meets the selection criteria
 * and that no pattern matches (§3.3 rule 2B)? */
static bool list_childinfo(const struct list_ctx *lc, const struct list_opts *o,
                           const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < lc->count; i++) {
		const struct list_box *d = &lc->boxes[i];
		if (strncmp(d->name, name, len) == 0 && d->name[len] == '/' &&
		    list_selected(o, d, true) && !list_matches(o, d->name))
			return true;
	}
	return false;
}

/* Writes one LIST response for name; b is NULL for a name that does not
 * exist. */
static void list_write(struct imapd_cmd *cmd, const struct list_ctx *lc,
                       const char *name, const struct list_box *b,
                       bool has_childinfo, const struct list_opts *o)
{
	struct buf *out = &cmd->client->out;
	buf_printf(out, "* %s (", o->is_lsub ? "LSUB" : "LIST");
	if (b == NULL)
		buf_append_str(out, "\\NonExistent ");
	buf_append_str(out, list_has_children(lc, name) ? "\\HasChildren"
	                                                : "\\HasNoChildren");
	if (b != NULL && !o->is_lsub && special_names[b->special_use] != NULL)
		buf_printf(out, " %s", special_names[b->special_use]);
	if (b != NULL && o->ret_subscribed && b->is_subscribed)
		buf_append_str(out, " \\Subscribed");
	buf_append_str(out, ") \"/\" ");
	imap_write_mailbox(out, name, cmd->client->is_utf8);
	if (has_childinfo) {
		/* childinfo-extended-item = "CHILDINFO" SP "("
		 *     list-select-base-opt-quoted *(SP ...) ")" */
		buf_append_str(out, " (\"CHILDINFO\" (");
		const char *sep = "";
		if (o->sel_subscribed) {
			buf_append_str(out, "\"SUBSCRIBED\"");
			sep = " ";
		}
		if (o->sel_special)
			buf_printf(out, "%s\"SPECIAL-USE\"", sep);
		buf_append_str(out, "))");
	}
	buf_append_str(out, "\r\n");
	if (b != NULL && o->ret_status != NULL)
		imapd_status_write(cmd, name, o->ret_status);
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
 * list-select-opt = "SUBSCRIBED" / "REMOTE" / "RECURSIVEMATCH" /
 *     "SPECIAL-USE"; list-return-opts = "RETURN" SP "(" [return-option
 *     *(SP return-option)] ")"; return-option = "SUBSCRIBED" / "CHILDREN"
 *     / "SPECIAL-USE" / "STATUS" SP "(" status-att *(SP status-att) ")".
 * An option given twice counts once (RFC 5258 §3). Returns 0, or -1
 * (BAD: unknown option, or RECURSIVEMATCH without another selection
 * option but REMOTE, §3.1). */
static int list_options(const struct imap_arg *sel, const struct imap_arg *ret,
                        struct list_opts *o)
{
	for (const struct imap_arg *a = sel != NULL ? sel->list : NULL;
	     a != NULL; a = a->next) {
		if (imap_arg_atom_equals(a, "SUBSCRIBED"))
			o->sel_subscribed = o->ret_subscribed = true;
		else if (imap_arg_atom_equals(a, "SPECIAL-USE"))
			o->sel_special = true;
		else if (imap_arg_atom_equals(a, "RECURSIVEMATCH"))
			o->sel_recursive = true;
		else if (!imap_arg_atom_equals(a, "REMOTE"))
			return -1;
	}
	if (o->sel_recursive && !o->sel_subscribed && !o->sel_special)
		return -1;
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

/* Appends to o->patterns ref + pat in UTF-8 (from cmd->pool). */
static void list_pattern_add(struct imapd_cmd *cmd, struct list_opts *o,
                             const char *ref, const char *pat, size_t max)
{
	struct buf full, tmp;
	buf_init(&full);
	buf_init(&tmp);
	buf_printf(&tmp, "%s%s", ref, pat);
	/* patterns are matched in UTF-8 */
	if (cmd->client->is_utf8 || imap_utf7_decode(tmp.data, &full) < 0) {
		buf_truncate(&full, 0);
		buf_append_str(&full, tmp.data);
	}
	if (o->pattern_count < max)
		o->patterns[o->pattern_count++] =
		    pool_strdup(cmd->pool, full.data);
	buf_deinit(&tmp);
	buf_deinit(&full);
}

/* Reads the max patterns from pats into o. Returns 1, or 0 after the
 * reply (BAD; the hierarchy delimiter for a lone "" of a plain LIST). */
static int list_patterns(struct imapd_cmd *cmd, struct list_opts *o,
                         const char *ref, const struct imap_arg *pats,
                         size_t max, bool is_plain)
{
	const char *pat;
	o->patterns = pool_alloc(cmd->pool, max * sizeof(*o->patterns));
	for (const struct imap_arg *p = pats;
	     p != NULL && o->pattern_count < max; p = p->next) {
		if (!imap_arg_get_astring(p, &pat)) {
			imapd_cmd_bad(cmd, "Invalid pattern");
			return 0;
		}
		if (pat[0] == '\0' && !o->is_lsub && max == 1 && is_plain) {
			/* RFC 9051 §6.3.9: the hierarchy delimiter */
			buf_append_str(&cmd->client->out,
			               "* LIST (\\Noselect) \"/\" \"\"\r\n");
			imapd_cmd_ok(cmd, "List completed");
			return 0;
		}
		list_pattern_add(cmd, o, ref, pat, max);
	}
	return 1;
}

/* Adds to lc, as names that do not exist (special_use -1 marks them), the
 * parents of its names that are not mailboxes themselves. */
static void list_add_parents(struct list_ctx *lc)
{
	size_t n = lc->count;
	for (size_t i = 0; i < n; i++) {
		const char *name = lc->boxes[i].name;
		for (const char *s = strchr(name, '/'); s != NULL;
		     s = strchr(s + 1, '/')) {
			size_t len = (size_t)(s - name);
			size_t k = 0;
			while (k < lc->count &&
			       (strlen(lc->boxes[k].name) != len ||
			        strncmp(lc->boxes[k].name, name, len) != 0))
				k++;
			if (k < lc->count)
				continue;
			struct store_mailbox_info info = {
			    .name = pool_strndup(lc->pool, name, len)};
			list_collect_cb(&info, lc);
			lc->boxes[lc->count - 1].is_missing = true;
			name = lc->boxes[i].name; /* boxes may have moved */
			s = name + len;
		}
	}
}

/* The LIST responses of an extended or plain LIST (RFC 5258 §3.3). */
static void list_run(struct imapd_cmd *cmd, struct list_ctx *lc,
                     const struct list_opts *o)
{
	list_add_parents(lc);
	bool has_criteria = o->sel_subscribed || o->sel_special;
	for (size_t i = 0; i < lc->count; i++) {
		const struct list_box *b = &lc->boxes[i];
		bool exists = !b->is_missing;
		if (!list_matches(o, b->name))
			continue;
		bool childinfo =
		    o->sel_recursive && list_childinfo(lc, o, b->name);
		if (has_criteria) {
			if (!list_selected(o, b, exists) && !childinfo)
				continue;
		} else if (!exists && !list_has_children(lc, b->name)) {
			continue;
		}
		list_write(cmd, lc, b->name, exists ? b : NULL, childinfo, o);
	}
}

/* list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
 *        [SP list-return-opts]; mbox-or-pat = list-mailbox / patterns;
 * patterns = "(" list-mailbox *(SP list-mailbox) ")";
 * lsub = "LSUB" SP mailbox SP list-mailbox */
void cmd_list(struct imapd_cmd *cmd)
{
	struct list_opts o = {.is_lsub = strcmp(cmd->name, "LSUB") == 0};
	const struct imap_arg *a = cmd->args, *sel = NULL, *ret = NULL;
	const char *ref;
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
	const struct imap_arg *pats = a->type == IMAP_ARG_LIST ? a->list : a;
	size_t max = a->type == IMAP_ARG_LIST ? a->count : 1;
	if (max == 0 || (o.is_lsub && a->type == IMAP_ARG_LIST)) {
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
		imapd_cmd_bad(cmd, "Invalid LIST options");
		return;
	}
	struct imapd_client *c = cmd->client;
	if (list_patterns(cmd, &o, ref, pats, max,
	                  sel == NULL && ret == NULL) <= 0)
		return;
	struct list_ctx lc = {.pool = cmd->pool};
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL ||
	    store_mailbox_list(account, list_collect_cb, &lc) < 0) {
		imapd_cmd_fail(cmd, "mailbox list");
		return;
	}
	if (!o.is_lsub) {
		list_run(cmd, &lc, &o);
		imapd_cmd_ok(cmd, "%s completed", cmd->name);
		return;
	}
	for (size_t i = 0; i < lc.count; i++) {
		const struct list_box *b = &lc.boxes[i];
		if (b->is_subscribed && list_matches(&o, b->name))
			list_write(cmd, &lc, b->name, b, false, &o);
	}
	if (strchr(o.patterns[0], '%') != NULL)
		lsub_parents(cmd, &lc, o.patterns[0]);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}
