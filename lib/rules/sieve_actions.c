/* The actions of a run: keep, discard, redirect, fileinto (RFC 5228 §4,
 * with :copy of RFC 3894, :create of RFC 5490 §3.2, :flags of RFC 5232
 * §5), reject and ereject (RFC 5429), vacation (RFC 5230 with RFC 6131's
 * :seconds) and notify (RFC 5435 with mailto, RFC 5436); the flags
 * commands and hasflag (RFC 5232 §3-4); and the end of a run: implicit
 * keep, duplicate actions merged, conflicts refused. A vacation action
 * here has passed every check on the message itself (RFC 5230 §4.5-4.6,
 * RFC 3834 §2): never to the null sender, mailing lists, automatic
 * messages or the user's own address, only when the user is a visible
 * recipient; remembering whom it answered is the caller's part. */
#include "core/digest.h"
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct sieve_action *action_append(struct sieve_interp *ip,
                                          const struct sieve_node *node,
                                          enum sieve_action_type type)
{
	if (ip->action_count == ip->action_cap) {
		size_t cap = ip->action_cap == 0 ? 8 : ip->action_cap * 2;
		struct sieve_action *more =
		    pool_alloc(ip->pool, cap * sizeof(*more));
		if (ip->action_count > 0)
			memcpy(more, ip->actions,
			       ip->action_count * sizeof(*more));
		ip->actions = more;
		ip->action_cap = cap;
	}
	struct sieve_action *a = &ip->actions[ip->action_count++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->line = node != NULL ? node->line : 0;
	return a;
}

static struct sieve_action *action_add(struct sieve_interp *ip,
                                       const struct sieve_node *node,
                                       enum sieve_action_type type)
{
	if (ip->action_count >= ip->set->max_actions) {
		sieve_runtime_error(ip, node, "more than %u actions",
		                    ip->set->max_actions);
		return NULL;
	}
	return action_append(ip, node, type);
}

static bool contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = haystack; *p != '\0'; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/* ---- flags (RFC 5232) ---- */

bool sieve_flag_is_valid(const char *flag, size_t len)
{
	static const char *const system[] = {
	    "\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"};
	if (len == 0 || len > 100)
		return false;
	if (flag[0] == '\\') {
		for (size_t i = 0; i < sizeof(system) / sizeof(*system); i++)
			if (strlen(system[i]) == len &&
			    strncasecmp(system[i], flag, len) == 0)
				return true;
		return false;
	}
	/* a keyword is an IMAP atom (RFC 9051 §9: atom-specials excluded) */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)flag[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

static bool flag_in(const struct buf *flags, const char *flag, size_t len)
{
	const char *p = flags->data, *end = flags->data + flags->len;
	while (p < end) {
		size_t n = strcspn(p, " ");
		if (n == len && strncasecmp(p, flag, len) == 0)
			return true;
		p += n + (p + n < end);
	}
	return false;
}

/* Adds (or removes) each valid flag of str (space-separated) to flags,
 * once each, case-insensitively. */
static void flags_change(struct buf *flags, const char *str, size_t len,
                         bool is_remove)
{
	const char *p = str, *end = str + len;
	while (p < end) {
		size_t n = 0;
		while (p + n < end && p[n] != ' ')
			n++;
		if (n > 0 && sieve_flag_is_valid(p, n)) {
			if (!is_remove && !flag_in(flags, p, n)) {
				if (flags->len > 0)
					buf_append_char(flags, ' ');
				buf_append(flags, p, n);
			} else if (is_remove) {
				struct buf out;
				buf_init(&out);
				const char *q = flags->data,
				           *qend = flags->data + flags->len;
				while (q < qend) {
					size_t m = strcspn(q, " ");
					if (!(m == n &&
					      strncasecmp(q, p, n) == 0)) {
						if (out.len > 0)
							buf_append_char(&out,
							                ' ');
						buf_append(&out, q, m);
					}
					q += m + (q + m < qend);
				}
				buf_deinit(flags);
				*flags = out;
			}
		}
		p += n;
		while (p < end && *p == ' ')
			p++;
	}
}

/* The flags of a keep or fileinto: :flags, else the internal variable. */
static const char *action_flags(struct sieve_interp *ip,
                                const struct sieve_node *node)
{
	const struct sieve_value *list = node->tagged[SIEVE_TAG_FLAGS];
	struct buf flags;
	buf_init(&flags);
	if (list != NULL) {
		for (unsigned i = 0; i < list->count; i++) {
			size_t len;
			const char *s =
			    sieve_expand(ip, &list->strings[i], &len);
			flags_change(&flags, s, len, false);
		}
	} else {
		buf_append(&flags, ip->flags.data, ip->flags.len);
	}
	const char *out = flags.len > 0
	                      ? pool_strndup(ip->pool, flags.data, flags.len)
	                      : NULL;
	buf_deinit(&flags);
	return out;
}

int sieve_flags_run(struct sieve_interp *ip, const struct sieve_node *node)
{
	struct buf *target = &ip->flags;
	if (node->pos_count == 2) {
		const struct sieve_string *name = &node->pos[0]->strings[0];
		target = sieve_var_get(ip, node, name->data, name->len, true);
		if (target == NULL)
			return -1;
	}
	const struct sieve_value *list = node->pos[node->pos_count - 1];
	if (node->def->id == SIEVE_CMD_SETFLAG)
		buf_truncate(target, 0);
	for (unsigned i = 0; i < list->count; i++) {
		size_t len;
		const char *s = sieve_expand(ip, &list->strings[i], &len);
		flags_change(target, s, len,
		             node->def->id == SIEVE_CMD_REMOVEFLAG);
	}
	return 0;
}

/* hasflag [MATCH-TYPE] [COMPARATOR] [<variable-list>] <list-of-flags> */
int sieve_test_hasflag(struct sieve_interp *ip, const struct sieve_node *node)
{
	struct sieve_values v = {0};
	struct buf all;
	buf_init(&all);
	if (node->pos_count == 2) {
		const struct sieve_value *names = node->pos[0];
		for (unsigned i = 0; i < names->count; i++) {
			struct buf *var =
			    sieve_var_get(ip, node, names->strings[i].data,
			                  names->strings[i].len, false);
			if (var != NULL)
				flags_change(&all, var->data, var->len, false);
		}
	} else {
		buf_append(&all, ip->flags.data, ip->flags.len);
	}
	const char *copy = pool_strndup(ip->pool, all.data, all.len);
	buf_deinit(&all);
	for (const char *p = copy; *p != '\0';) {
		size_t n = strcspn(p, " ");
		if (n > 0)
			sieve_values_add(ip, &v, p, n);
		p += n + (p[n] == ' ');
	}
	const struct sieve_value *keys = node->pos[node->pos_count - 1];
	for (unsigned k = 0; k < keys->count; k++) {
		size_t klen;
		const char *key = sieve_expand(ip, &keys->strings[k], &klen);
		if (node->match == SIEVE_MATCH_COUNT) {
			if (sieve_match_count(node, v.count, key, klen) > 0)
				return 1;
			continue;
		}
		for (size_t i = 0; i < v.count; i++) {
			int ret = sieve_match_one(ip, node, v.items[i],
			                          v.lens[i], key, klen);
			if (ret != 0)
				return ret;
		}
	}
	return ip->failed ? -1 : 0;
}

/* ---- vacation (RFC 5230) ---- */

static const char *field_first(struct sieve_interp *ip, const char *name)
{
	sieve_message_fields(ip);
	for (unsigned i = 0; i < ip->field_count; i++)
		if (sieve_field_is(&ip->fields[i], name, strlen(name)))
			return sieve_field_value(ip, &ip->fields[i]);
	return NULL;
}

static const char *field_raw(struct sieve_interp *ip, const char *name)
{
	sieve_message_fields(ip);
	for (unsigned i = 0; i < ip->field_count; i++) {
		struct sieve_field *f = &ip->fields[i];
		if (!sieve_field_is(f, name, strlen(name)))
			continue;
		struct buf b;
		buf_init(&b);
		for (size_t k = 0; k < f->body_len; k++)
			if (f->body[k] != '\r' && f->body[k] != '\n')
				buf_append_char(
				    &b, f->body[k] == '\t' ? ' ' : f->body[k]);
		size_t start = 0;
		while (start < b.len && b.data[start] == ' ')
			start++;
		const char *s =
		    pool_strndup(ip->pool, b.data + start, b.len - start);
		buf_deinit(&b);
		return s;
	}
	return NULL;
}

/* RFC 3834 §2 and RFC 5230 §4.6: automatic mail and lists get no reply. */
static const char *vacation_refusal(struct sieve_interp *ip)
{
	static const char *const list_fields[] = {
	    "list-id",   "list-help",  "list-subscribe", "list-unsubscribe",
	    "list-post", "list-owner", "list-archive",
	};
	const char *sender = ip->mail->envelope_from;
	if (sender == NULL || sender[0] == '\0')
		return "null sender";
	const char *at = strrchr(sender, '@');
	size_t local_len = at != NULL ? (size_t)(at - sender) : strlen(sender);
	if ((local_len == 13 &&
	     strncasecmp(sender, "mailer-daemon", 13) == 0) ||
	    (local_len == 8 && strncasecmp(sender, "listserv", 8) == 0) ||
	    (local_len == 9 && strncasecmp(sender, "majordomo", 9) == 0) ||
	    strncasecmp(sender, "owner-", 6) == 0 ||
	    (local_len >= 8 &&
	     strncasecmp(sender + local_len - 8, "-request", 8) == 0))
		return "list or daemon sender";
	const char *auto_sub = field_first(ip, "auto-submitted");
	if (auto_sub != NULL && strncasecmp(auto_sub, "no", 2) != 0)
		return "auto-submitted";
	const char *prec = field_first(ip, "precedence");
	if (prec != NULL &&
	    (strcasecmp(prec, "bulk") == 0 || strcasecmp(prec, "list") == 0 ||
	     strcasecmp(prec, "junk") == 0))
		return "precedence";
	for (size_t i = 0; i < sizeof(list_fields) / sizeof(*list_fields); i++)
		if (field_first(ip, list_fields[i]) != NULL)
			return "mailing list";
	const char *suppress = field_first(ip, "x-auto-response-suppress");
	if (suppress != NULL && (contains_nocase(suppress, "all") ||
	                         contains_nocase(suppress, "oof")))
		return "auto-response suppressed";
	return NULL;
}

/* Compares a and b as addresses: case-insensitively, and a's +detail is
 * ignored ("bob+x@d" is "bob@d"). */
static bool address_is(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen == blen && strncasecmp(a, b, alen) == 0)
		return true;
	const char *at = memchr(a, '@', alen);
	const char *plus = memchr(a, '+', alen);
	if (at == NULL || plus == NULL || plus > at)
		return false;
	size_t user = (size_t)(plus - a), rest = alen - (size_t)(at - a);
	return user + rest == blen && strncasecmp(a, b, user) == 0 &&
	       strncasecmp(at, b + user, rest) == 0;
}

static bool is_user_address(const char *addr, size_t len,
                            const struct sieve_mail *mail,
                            const struct sieve_values *extra)
{
	if (mail->user != NULL && address_is(addr, len, mail->user))
		return true;
	for (size_t i = 0; i < extra->count; i++)
		if (address_is(addr, len,
		               extra->items[i])) /* items are NUL-terminated */
			return true;
	return false;
}

/* RFC 5230 §4.5: the user must be a recipient the sender wrote to. */
static bool user_is_recipient(struct sieve_interp *ip,
                              const struct sieve_values *extra)
{
	static const char *const fields[] = {
	    "to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"};
	struct sieve_node node = {0};
	struct sieve_string names[6];
	for (size_t i = 0; i < 6; i++)
		names[i] = (struct sieve_string){.data = fields[i],
		                                 .len = strlen(fields[i])};
	struct sieve_value list = {
	    .type = SIEVE_VALUE_LIST, .strings = names, .count = 6};
	struct sieve_values v = {0};
	node.part = SIEVE_PART_ALL;
	sieve_message_addresses(ip, &node, &list, false, &v);
	for (size_t i = 0; i < v.count; i++)
		if (is_user_address(v.items[i], v.lens[i], ip->mail, extra))
			return true;
	return false;
}

static const char *hash_hex(struct sieve_interp *ip, const char *const *parts,
                            const size_t *lens, size_t count)
{
	struct digest_sha256 *d = digest_sha256_new();
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	for (size_t i = 0; i < count; i++) {
		digest_sha256_update(d, parts[i], lens[i]);
		digest_sha256_update(d, "", 1);
	}
	digest_sha256_final_hex(d, hex);
	digest_sha256_free(&d);
	return pool_strdup(ip->pool, hex);
}

static const char *tag_string(struct sieve_interp *ip,
                              const struct sieve_node *node, enum sieve_tag tag,
                              size_t *len_r)
{
	const struct sieve_value *v = node->tagged[tag];
	*len_r = 0;
	return v == NULL ? NULL : sieve_expand(ip, &v->strings[0], len_r);
}

static uint64_t vacation_period(struct sieve_interp *ip,
                                const struct sieve_node *node)
{
	const struct sieve_value *days = node->tagged[SIEVE_TAG_DAYS];
	const struct sieve_value *secs = node->tagged[SIEVE_TAG_SECONDS];
	uint64_t period = 7 * 86400; /* RFC 5230 §4.1: 7 days */
	if (days != NULL)
		period = days->number > UINT32_MAX ? UINT64_MAX
		                                   : days->number * 86400;
	else if (secs != NULL)
		period = secs->number;
	if (period < ip->set->vacation_min_period)
		period = ip->set->vacation_min_period;
	if (period > ip->set->vacation_max_period)
		period = ip->set->vacation_max_period;
	return period;
}

/* RFC 5230 §4.2: the key of "replied to sender" is the sender and the
 * handle; without :handle, the arguments make the handle. */
static const char *vacation_key(struct sieve_interp *ip, const char *sender,
                                const char *handle, size_t hlen,
                                const char *const parts[4],
                                const size_t lens[4])
{
	if (handle == NULL) {
		handle = hash_hex(ip, parts, lens, 4);
		hlen = strlen(handle);
	}
	char lower[512];
	size_t n = 0;
	for (; sender[n] != '\0' && n + 1 < sizeof(lower); n++)
		lower[n] = (char)tolower((unsigned char)sender[n]);
	const char *kparts[] = {"vacation", lower, handle};
	size_t klens[] = {8, n, hlen};
	return hash_hex(ip, kparts, klens, 3);
}

/* The reply's subject and threading fields (RFC 5230 §5.4, §5.6). */
static void vacation_reply_fields(struct sieve_interp *ip,
                                  struct sieve_action *a, const char *subject)
{
	if (subject == NULL) { /* "Auto: " and the original's */
		const char *orig = field_first(ip, "subject");
		subject = pool_printf(ip->pool, "Auto: %s",
		                      orig != NULL ? orig : "Automatic reply");
	}
	a->subject = subject;
	const char *msgid = field_raw(ip, "message-id");
	const char *refs = field_raw(ip, "references");
	a->in_reply_to = msgid;
	if (msgid != NULL)
		a->references =
		    refs != NULL ? pool_printf(ip->pool, "%s %s", refs, msgid)
		                 : msgid;
}

static int action_vacation(struct sieve_interp *ip,
                           const struct sieve_node *node)
{
	for (size_t i = 0; i < ip->action_count; i++)
		if (ip->actions[i].type == SIEVE_ACTION_VACATION)
			return sieve_runtime_error(ip, node,
			                           "more than one vacation");
	size_t rlen, slen, flen, hlen;
	const char *reason = sieve_expand(ip, &node->pos[0]->strings[0], &rlen);
	const char *subject = tag_string(ip, node, SIEVE_TAG_SUBJECT, &slen);
	const char *from = tag_string(ip, node, SIEVE_TAG_FROM, &flen);
	const char *handle = tag_string(ip, node, SIEVE_TAG_HANDLE, &hlen);
	bool is_mime = node->tagged[SIEVE_TAG_MIME] != NULL;
	struct sieve_values extra = {0};
	const struct sieve_value *addrs = node->tagged[SIEVE_TAG_ADDRESSES];
	for (unsigned i = 0; addrs != NULL && i < addrs->count; i++) {
		size_t len;
		const char *a = sieve_expand(ip, &addrs->strings[i], &len);
		sieve_values_add(ip, &extra, a, len);
	}
	const char *sender = ip->mail->envelope_from;
	if (vacation_refusal(ip) != NULL ||
	    is_user_address(sender, strlen(sender), ip->mail, &extra) ||
	    !user_is_recipient(ip, &extra))
		return 0;
	struct sieve_action *a = action_add(ip, node, SIEVE_ACTION_VACATION);
	if (a == NULL)
		return -1;
	char mime_flag = is_mime ? '1' : '0';
	const char *hparts[] = {subject != NULL ? subject : "",
	                        from != NULL ? from : "", &mime_flag, reason};
	size_t hlens[] = {slen, flen, 1, rlen};
	a->key = vacation_key(ip, sender, handle, hlen, hparts, hlens);
	a->period = vacation_period(ip, node);
	a->address = sender;
	a->reason = reason;
	a->is_mime = is_mime;
	a->from =
	    from != NULL && sieve_address_is_valid(from, flen) ? from : NULL;
	vacation_reply_fields(ip, a, subject);
	return 0;
}

/* ---- notify (RFC 5435, RFC 5436) ---- */

static int action_notify(struct sieve_interp *ip, const struct sieve_node *node)
{
	size_t len, ilen, flen, mlen;
	const char *method = sieve_expand(ip, &node->pos[0]->strings[0], &len);
	const char *imp = tag_string(ip, node, SIEVE_TAG_IMPORTANCE, &ilen);
	const char *from = tag_string(ip, node, SIEVE_TAG_FROM, &flen);
	const char *message = tag_string(ip, node, SIEVE_TAG_MESSAGE, &mlen);
	if (!sieve_notify_uri_is_valid(method, len))
		return sieve_runtime_error(ip, node,
		                           "invalid notification method");
	if (imp != NULL && (ilen != 1 || imp[0] < '1' || imp[0] > '3'))
		imp = NULL;
	if (from != NULL && !sieve_address_is_valid(from, flen))
		from = NULL;
	/* RFC 5436 §2.7: no notification about automatic mail */
	const char *auto_sub = field_first(ip, "auto-submitted");
	if (auto_sub != NULL && strncasecmp(auto_sub, "no", 2) != 0)
		return 0;
	struct sieve_action *a = action_add(ip, node, SIEVE_ACTION_NOTIFY);
	if (a == NULL)
		return -1;
	a->method = method;
	a->importance = imp != NULL ? imp : "2";
	a->from = from;
	a->reason = message;
	const char *orig = field_first(ip, "subject");
	a->subject = orig;
	a->address = ip->mail->envelope_from;
	const struct sieve_value *opts = node->tagged[SIEVE_TAG_OPTIONS];
	if (opts != NULL) {
		const char **list =
		    pool_alloc(ip->pool, opts->count * sizeof(*list));
		for (unsigned i = 0; i < opts->count; i++) {
			size_t olen;
			list[i] = sieve_expand(ip, &opts->strings[i], &olen);
		}
		a->options = list;
		a->option_count = opts->count;
	}
	return 0;
}

/* ---- the action commands ---- */

static int action_redirect(struct sieve_interp *ip,
                           const struct sieve_node *node)
{
	size_t len;
	const char *addr = sieve_expand(ip, &node->pos[0]->strings[0], &len);
	if (!sieve_address_is_valid(addr, len))
		return sieve_runtime_error(ip, node,
		                           "redirect to an invalid address");
	if (++ip->redirects > ip->set->max_redirects)
		return sieve_runtime_error(ip, node, "more than %u redirects",
		                           ip->set->max_redirects);
	struct sieve_action *a = action_add(ip, node, SIEVE_ACTION_REDIRECT);
	if (a == NULL)
		return -1;
	a->address = addr;
	a->copy = node->tagged[SIEVE_TAG_COPY] != NULL;
	a->edit = sieve_message_edit(ip);
	if (!a->copy)
		ip->keep_cancelled = true;
	return 0;
}

static int action_fileinto(struct sieve_interp *ip,
                           const struct sieve_node *node)
{
	size_t len;
	const char *mailbox = sieve_expand(ip, &node->pos[0]->strings[0], &len);
	if (len == 0 || memchr(mailbox, '\0', len) != NULL)
		return sieve_runtime_error(ip, node, "invalid mailbox name");
	struct sieve_action *a = action_add(ip, node, SIEVE_ACTION_FILEINTO);
	if (a == NULL)
		return -1;
	a->mailbox = mailbox;
	a->copy = node->tagged[SIEVE_TAG_COPY] != NULL;
	a->create = node->tagged[SIEVE_TAG_CREATE] != NULL;
	a->flags = action_flags(ip, node);
	a->edit = sieve_message_edit(ip);
	if (!a->copy)
		ip->keep_cancelled = true;
	return 0;
}

static int action_reject(struct sieve_interp *ip, const struct sieve_node *node)
{
	for (size_t i = 0; i < ip->action_count; i++)
		if (ip->actions[i].type == SIEVE_ACTION_REJECT ||
		    ip->actions[i].type == SIEVE_ACTION_EREJECT)
			return sieve_runtime_error(ip, node,
			                           "more than one reject");
	enum sieve_action_type type = node->def->id == SIEVE_CMD_REJECT
	                                  ? SIEVE_ACTION_REJECT
	                                  : SIEVE_ACTION_EREJECT;
	struct sieve_action *a = action_add(ip, node, type);
	if (a == NULL)
		return -1;
	size_t len;
	a->reason = sieve_expand(ip, &node->pos[0]->strings[0], &len);
	a->address = ip->mail->envelope_from;
	ip->keep_cancelled = true;
	return 0;
}

int sieve_action_run(struct sieve_interp *ip, const struct sieve_node *node)
{
	struct sieve_action *a;
	switch (node->def->id) {
	case SIEVE_CMD_KEEP:
		if ((a = action_add(ip, node, SIEVE_ACTION_KEEP)) == NULL)
			return -1;
		a->flags = action_flags(ip, node);
		a->edit = sieve_message_edit(ip);
		ip->keep_cancelled = true; /* this keep stands for it */
		return 0;
	case SIEVE_CMD_DISCARD:
		ip->keep_cancelled = true;
		return action_add(ip, node, SIEVE_ACTION_DISCARD) == NULL ? -1
		                                                          : 0;
	case SIEVE_CMD_REDIRECT:
		return action_redirect(ip, node);
	case SIEVE_CMD_FILEINTO:
		return action_fileinto(ip, node);
	case SIEVE_CMD_REJECT:
	case SIEVE_CMD_EREJECT:
		return action_reject(ip, node);
	case SIEVE_CMD_VACATION:
		return action_vacation(ip, node);
	case SIEVE_CMD_NOTIFY:
		return action_notify(ip, node);
	default:
		break;
	}
	return sieve_runtime_error(ip, node, "'%s' is not an action",
	                           node->name);
}

/* ---- the end of a run ---- */

static bool is_delivery(const struct sieve_action *a)
{
	return a->type == SIEVE_ACTION_KEEP ||
	       a->type == SIEVE_ACTION_FILEINTO ||
	       a->type == SIEVE_ACTION_REDIRECT;
}

static const char *mailbox_of(const struct sieve_action *a)
{
	return a->type == SIEVE_ACTION_KEEP ? "INBOX" : a->mailbox;
}

static bool same_mailbox(const char *a, const char *b)
{
	if (strcasecmp(a, "INBOX") == 0 && strcasecmp(b, "INBOX") == 0)
		return true;
	return strcmp(a, b) == 0;
}

/* Returns the earlier action a merges into, or NULL. */
static struct sieve_action *merge_target(struct sieve_interp *ip, size_t count,
                                         const struct sieve_action *a)
{
	for (size_t i = 0; i < count; i++) {
		struct sieve_action *b = &ip->actions[i];
		if ((a->type == SIEVE_ACTION_KEEP ||
		     a->type == SIEVE_ACTION_FILEINTO) &&
		    (b->type == SIEVE_ACTION_KEEP ||
		     b->type == SIEVE_ACTION_FILEINTO) &&
		    same_mailbox(mailbox_of(a), mailbox_of(b)))
			return b;
		if (a->type == b->type &&
		    ((a->type == SIEVE_ACTION_REDIRECT &&
		      strcasecmp(a->address, b->address) == 0) ||
		     a->type == SIEVE_ACTION_DISCARD ||
		     (a->type == SIEVE_ACTION_NOTIFY &&
		      strcmp(a->method, b->method) == 0)))
			return b;
	}
	return NULL;
}

int sieve_actions_finish(struct sieve_interp *ip, struct sieve_result *result)
{
	const struct sieve_action *reject = NULL;
	bool delivers = false, has_vacation = false, has_keep = false;
	for (size_t i = 0; i < ip->action_count; i++) {
		const struct sieve_action *a = &ip->actions[i];
		if (a->type == SIEVE_ACTION_REJECT ||
		    a->type == SIEVE_ACTION_EREJECT)
			reject = a;
		delivers = delivers || is_delivery(a);
		has_vacation = has_vacation || a->type == SIEVE_ACTION_VACATION;
		has_keep = has_keep || a->type == SIEVE_ACTION_KEEP;
	}
	/* RFC 5429 §2.4: never with vacation; and a message is either
	 * delivered or refused, not both */
	if (reject != NULL && (has_vacation || delivers)) {
		struct sieve_node at = {.line = reject->line, .column = 1};
		return sieve_runtime_error(ip, &at, "reject cannot go with %s",
		                           has_vacation ? "vacation"
		                                        : "keep, fileinto or "
		                                          "redirect");
	}
	if (!ip->keep_cancelled && !has_keep) {
		/* always room for the implicit keep */
		struct sieve_action *a =
		    action_append(ip, NULL, SIEVE_ACTION_KEEP);
		a->flags =
		    ip->flags.len > 0
		        ? pool_strndup(ip->pool, ip->flags.data, ip->flags.len)
		        : NULL;
		a->edit = sieve_message_edit(ip);
	}
	size_t kept = 0;
	for (size_t i = 0; i < ip->action_count; i++) {
		struct sieve_action *a = &ip->actions[i];
		struct sieve_action *b = merge_target(ip, kept, a);
		if (b == NULL) {
			ip->actions[kept++] = *a;
			continue;
		}
		/* RFC 5228 §2.10.3: one delivery per mailbox; its flags
		 * are the union (RFC 5232 §5) */
		if (a->flags != NULL) {
			struct buf f;
			buf_init(&f);
			if (b->flags != NULL)
				buf_append_str(&f, b->flags);
			flags_change(&f, a->flags, strlen(a->flags), false);
			b->flags = pool_strndup(ip->pool, f.data, f.len);
			buf_deinit(&f);
		}
		b->create = b->create || a->create;
		b->copy = b->copy && a->copy;
	}
	ip->action_count = kept;
	result->actions = ip->actions;
	result->action_count = ip->action_count;
	result->duplicates = ip->dups;
	result->duplicate_count = ip->dup_count;
	return 0;
}

void sieve_result_describe(const struct sieve_result *result, struct buf *out)
{
	static const char *const names[] = {
	    [SIEVE_ACTION_KEEP] = "keep",
	    [SIEVE_ACTION_FILEINTO] = "fileinto",
	    [SIEVE_ACTION_REDIRECT] = "redirect",
	    [SIEVE_ACTION_DISCARD] = "discard",
	    [SIEVE_ACTION_REJECT] = "reject",
	    [SIEVE_ACTION_EREJECT] = "ereject",
	    [SIEVE_ACTION_VACATION] = "vacation",
	    [SIEVE_ACTION_NOTIFY] = "notify",
	};
	for (size_t i = 0; i < result->action_count; i++) {
		const struct sieve_action *a = &result->actions[i];
		if (i > 0)
			buf_append_char(out, ' ');
		buf_append_str(out, names[a->type]);
		if (a->type == SIEVE_ACTION_FILEINTO)
			buf_printf(out, ":%s", a->mailbox);
		else if (a->type == SIEVE_ACTION_REDIRECT ||
		         a->type == SIEVE_ACTION_VACATION)
			buf_printf(out, ":%s", a->address);
		else if (a->type == SIEVE_ACTION_NOTIFY)
			buf_printf(out, ":%s", a->method);
		if (a->flags != NULL)
			buf_printf(out, " flags=\"%s\"", a->flags);
		if (a->copy)
			buf_append_str(out, " copy");
		if (a->create)
			buf_append_str(out, " create");
		if (a->edit != NULL)
			buf_append_str(out, " edited");
	}
}
