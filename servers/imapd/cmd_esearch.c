/* The RETURN options of searching commands beyond ESEARCH's (RFC 4731,
 * answered in cmd_search.c): ESORT (RFC 5267 §3: MIN MAX ALL COUNT for
 * SORT, in sort order), CONTEXT=SEARCH and CONTEXT=SORT (§4: the CONTEXT
 * hint, PARTIAL ranges of the result, UPDATE contexts answered with ADDTO
 * and REMOVEFROM by imapd_context.c, and CANCELUPDATE), with SAVE (RFC
 * 5182) for all of them. SEARCH goes to cmd_search() unless one of the
 * RFC 5267 options is present. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* nz-number of len bytes at s. Returns true with *n_r. */
static bool nz_number(const char *s, size_t len, uint32_t *n_r)
{
	uint64_t n = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n == 0 || n > UINT32_MAX)
		return false;
	*n_r = (uint32_t)n;
	return true;
}

/* partial-range = nz-number ":" nz-number (RFC 5267 §5; 500:400 is
 * 400:500, no "*"). Returns 0 or -1. */
static int partial_parse(const struct imap_arg *a, uint32_t *lo_r,
                         uint32_t *hi_r)
{
	const char *colon;
	uint32_t x, y;
	if (a == NULL || a->type != IMAP_ARG_ATOM ||
	    (colon = strchr(a->str, ':')) == NULL ||
	    !nz_number(a->str, (size_t)(colon - a->str), &x) ||
	    !nz_number(colon + 1, strlen(colon + 1), &y))
		return -1;
	*lo_r = x < y ? x : y;
	*hi_r = x < y ? y : x;
	return 0;
}

int imapd_return_parse(const struct imap_arg **ap, struct imapd_return *r)
{
	static const char *const names[] = {"MIN",     "MAX",   "ALL",
	                                    "COUNT",   "SAVE",  "PARTIAL",
	                                    "CONTEXT", "UPDATE"};
	const size_t n = sizeof(names) / sizeof(*names);
	*r = (struct imapd_return){0};
	if (!imap_arg_atom_equals(*ap, "RETURN"))
		return 0;
	const struct imap_arg *l = (*ap)->next;
	if (l == NULL || l->type != IMAP_ARG_LIST)
		return -1;
	for (const struct imap_arg *o = l->list; o != NULL; o = o->next) {
		size_t i = 0;
		while (i < n && !imap_arg_atom_equals(o, names[i]))
			i++;
		if (i == n)
			return -1;
		if ((1u << i) == IMAPD_RETURN_PARTIAL) {
			if ((r->opts & IMAPD_RETURN_PARTIAL) != 0 ||
			    partial_parse(o->next, &r->partial_lo,
			                  &r->partial_hi) < 0)
				return -1;
			o = o->next;
		}
		/* modifier-update = "UPDATE" ["(" fetch-att *(SP
		 * fetch-att) ")"]  (RFC 5465 §7, §8) */
		if ((1u << i) == IMAPD_RETURN_UPDATE && o->next != NULL &&
		    o->next->type == IMAP_ARG_LIST) {
			r->update_atts = o->next;
			o = o->next;
		}
		r->opts |= 1u << i;
	}
	/* §4.4: one PARTIAL or one ALL, not both */
	if ((r->opts & IMAPD_RETURN_PARTIAL) && (r->opts & IMAPD_RETURN_ALL))
		return -1;
	if (r->opts == 0)
		r->opts = IMAPD_RETURN_ALL; /* RETURN () means ALL */
	*ap = l->next;
	return 1;
}

int imapd_return_check(struct imapd_cmd *cmd, const struct imapd_return *r)
{
	const char *error;
	if (r->update_atts == NULL)
		return 0;
	for (const struct imap_arg *a = r->update_atts->list; a != NULL;
	     a = a->next) {
		if (imapd_fetch_att_check(a, cmd->pool, &error) < 0) {
			imapd_cmd_bad(cmd, "%s", error);
			return -1;
		}
	}
	return 0;
}

/* Appends nums (in the requested order) as a sequence-set that keeps that
 * order: only ascending runs become ranges (RFC 5267 §3.2). */
void imapd_ordered_set_write(struct buf *out, const uint32_t *nums, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && nums[j + 1] == nums[j] + 1)
			j++;
		if (i > 0)
			buf_append_char(out, ',');
		if (j > i)
			buf_printf(out, "%u:%u", nums[i], nums[j]);
		else
			buf_printf(out, "%u", nums[i]);
		i = j + 1;
	}
}

static uint32_t result_num(const struct imapd_cmd *cmd,
                           const struct imapd_result *res)
{
	return cmd->is_uid ? res->uid : res->seq;
}

/* The numbers of res[from..to) into a new array from cmd->pool. */
static uint32_t *result_nums(const struct imapd_cmd *cmd,
                             const struct imapd_result *res, size_t from,
                             size_t to)
{
	uint32_t *nums = pool_alloc(cmd->pool, (to - from + 1) * sizeof(*nums));
	for (size_t i = from; i < to; i++)
		nums[i - from] = result_num(cmd, &res[i]);
	return nums;
}

void imapd_esearch_reply(struct imapd_cmd *cmd, const struct imapd_return *r,
                         const struct imapd_result *res, size_t count,
                         bool has_modseq)
{
	struct buf *out = &cmd->client->out;
	buf_printf(out, "* ESEARCH (TAG \"%s\")%s", cmd->tag,
	           cmd->is_uid ? " UID" : "");
	if ((r->opts & IMAPD_RETURN_MIN) && count > 0)
		buf_printf(out, " MIN %u", result_num(cmd, &res[0]));
	if ((r->opts & IMAPD_RETURN_MAX) && count > 0)
		buf_printf(out, " MAX %u", result_num(cmd, &res[count - 1]));
	if ((r->opts & IMAPD_RETURN_ALL) && count > 0) {
		buf_append_str(out, " ALL ");
		imapd_ordered_set_write(out, result_nums(cmd, res, 0, count),
		                        count);
	}
	if (r->opts & IMAPD_RETURN_COUNT)
		buf_printf(out, " COUNT %zu", count);
	if (r->opts & IMAPD_RETURN_PARTIAL) {
		/* ret-data-partial = "PARTIAL" SP "(" partial-range SP
		 * partial-results ")"; NIL when none is in the range */
		buf_printf(out, " PARTIAL (%u:%u ", r->partial_lo,
		           r->partial_hi);
		size_t from = r->partial_lo - 1, to = r->partial_hi;
		if (to > count)
			to = count;
		if (from >= to)
			buf_append_str(out, "NIL");
		else
			imapd_ordered_set_write(
			    out, result_nums(cmd, res, from, to), to - from);
		buf_append_char(out, ')');
	}
	uint64_t modseq = 0;
	for (size_t i = 0; i < count; i++)
		if (res[i].modseq > modseq)
			modseq = res[i].modseq;
	if (has_modseq && count > 0)
		buf_printf(out, " MODSEQ %llu", (unsigned long long)modseq);
	buf_append_str(out, "\r\n");
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void imapd_esearch_save(struct imapd_cmd *cmd, const struct imapd_return *r,
                        const struct imapd_result *res, size_t count)
{
	struct imapd_mailbox *box = cmd->client->box;
	size_t from = 0, to = count, k = 0;
	uint32_t *uids = xmalloc((count + 1) * sizeof(*uids));
	if (r->opts & IMAPD_RETURN_PARTIAL) {
		from = r->partial_lo - 1 < count ? r->partial_lo - 1 : count;
		to = r->partial_hi < count ? r->partial_hi : count;
	}
	/* RFC 5182 §2.4: only MIN and/or MAX are kept when they are all
	 * the result options */
	bool only_minmax =
	    (r->opts & (IMAPD_RETURN_ALL | IMAPD_RETURN_COUNT |
	                IMAPD_RETURN_PARTIAL)) == 0 &&
	    (r->opts & (IMAPD_RETURN_MIN | IMAPD_RETURN_MAX)) != 0;
	if (only_minmax && count > 0) {
		if (r->opts & IMAPD_RETURN_MIN)
			uids[k++] = res[0].uid;
		if ((r->opts & IMAPD_RETURN_MAX) &&
		    (k == 0 || res[count - 1].uid != uids[0]))
			uids[k++] = res[count - 1].uid;
	} else if (!only_minmax) {
		for (size_t i = from; i < to; i++)
			uids[k++] = res[i].uid;
	}
	qsort(uids, k, sizeof(*uids), uid_cmp);
	free(box->saved_uids);
	box->saved_uids = uids;
	box->saved_count = k;
}

struct collect_ctx {
	struct imapd_result *res;
	size_t count, cap;
};

static int collect_cb(const struct store_message *msg, uint32_t seq, void *ctx)
{
	struct collect_ctx *cc = ctx;
	if (cc->count == cc->cap) {
		cc->cap = cc->cap == 0 ? 64 : cc->cap * 2;
		cc->res = xrealloc(cc->res, cc->cap * sizeof(*cc->res));
	}
	cc->res[cc->count++] = (struct imapd_result){
	    .uid = msg->uid, .seq = seq, .modseq = msg->modseq};
	return 0;
}

int imapd_esearch_collect(struct imapd_cmd *cmd, const struct imap_arg *keys,
                          struct imapd_result **res_r, size_t *count_r,
                          bool *has_modseq_r)
{
	struct collect_ctx cc = {0};
	int ret = imapd_search_run(cmd, keys, collect_cb, &cc, has_modseq_r);
	struct imapd_result *res =
	    pool_alloc(cmd->pool, (cc.count + 1) * sizeof(*res));
	if (cc.count > 0)
		memcpy(res, cc.res, cc.count * sizeof(*res));
	free(cc.res);
	*res_r = res;
	*count_r = cc.count;
	return ret;
}

/* search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset]
 *          1*(SP search-key), with RFC 5267's return options */
void cmd_search_ext(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const struct imap_arg *a = cmd->args;
	struct imapd_return r;
	int has = imapd_return_parse(&a, &r);
	const struct imap_arg *keys = a;
	if (imap_arg_atom_equals(keys, "CHARSET"))
		keys = keys->next != NULL ? keys->next->next : NULL;
	if (imapd_uidonly_check_keys(cmd, keys) < 0)
		return;
	if (has <= 0 || (r.opts & (IMAPD_RETURN_PARTIAL | IMAPD_RETURN_UPDATE |
	                           IMAPD_RETURN_CONTEXT)) == 0) {
		cmd_search(cmd); /* ESEARCH (RFC 4731) and plain SEARCH */
		return;
	}
	if (imapd_return_check(cmd, &r) < 0)
		return;
	if ((r.opts & IMAPD_RETURN_UPDATE) &&
	    imapd_context_find(c, cmd->tag) != NULL) {
		imapd_cmd_bad(cmd, "Tag reuse"); /* RFC 5267 §4.3 */
		return;
	}
	if (r.opts & IMAPD_RETURN_SAVE)
		c->box->saved_count = 0;
	if (imap_arg_atom_equals(a, "CHARSET")) {
		const char *cs;
		if (a->next == NULL || !imap_arg_get_astring(a->next, &cs)) {
			imapd_cmd_bad(cmd, "CHARSET needs a name");
			return;
		}
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			imapd_cmd_no(cmd, "[BADCHARSET (UTF-8 US-ASCII)] "
			                  "Unsupported charset");
			return;
		}
		a = a->next->next;
	}
	struct imapd_result *res;
	size_t count;
	bool has_modseq;
	if (imapd_esearch_collect(cmd, a, &res, &count, &has_modseq) < 0)
		return;
	if (r.opts & IMAPD_RETURN_SAVE)
		imapd_esearch_save(cmd, &r, res, count);
	imapd_esearch_reply(cmd, &r, res, count, has_modseq);
	if (r.opts & IMAPD_RETURN_UPDATE)
		imapd_context_add(cmd, a, NULL, r.update_atts, res, count);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

/* command-select =/ "CANCELUPDATE" 1*(SP quoted)  (RFC 5267 §4.3.5) */
void cmd_cancelupdate(struct imapd_cmd *cmd)
{
	if (cmd->args == NULL) {
		imapd_cmd_bad(cmd, "CANCELUPDATE needs a tag");
		return;
	}
	for (const struct imap_arg *a = cmd->args; a != NULL; a = a->next) {
		if (a->type != IMAP_ARG_QUOTED) {
			imapd_cmd_bad(cmd, "CANCELUPDATE takes quoted tags");
			return;
		}
	}
	for (const struct imap_arg *a = cmd->args; a != NULL; a = a->next)
		imapd_context_cancel(cmd->client, a->str);
	imapd_cmd_ok(cmd, "No further updates");
}
