/* The Sieve interpreter: compiling (parse then check) and running checked
 * scripts. Control (RFC 5228 §3: if/elsif/else, stop, require), the tests
 * of §5 and of the extensions (body, date, currentdate, string, hasflag,
 * mailboxexists, duplicate, valid_notify_method,
 * notify_method_capability), variables with "set" and "global" (RFC 5229,
 * RFC 6609 §3.5) and include/return (RFC 6609 §3.2-3.4). Actions go
 * through sieve_actions.c. Each command, test and compared 64 bytes costs
 * a step; a run that exceeds max_steps stops with a runtime error. */
#include "core/digest.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "rules/sieve_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sieve_run {
	struct sieve_interp ip;
	struct sieve_error error;
	struct sieve_result result;
	bool is_finished;
};

/* ---- compiling ---- */

int sieve_compile(const unsigned char *data, size_t size, const char *name,
                  const struct sieve_settings *settings,
                  struct sieve_script **script_r, struct sieve_error *error_r)
{
	struct sieve_script *script = xcalloc(1, sizeof(*script));
	memset(error_r, 0, sizeof(*error_r));
	script->pool = pool_new();
	script->name = xstrdup(name != NULL ? name : "");
	script->settings = settings;
	if (sieve_parse(data, size, settings, script->pool, &script->first,
	                error_r) < 0 ||
	    sieve_check(script, error_r) < 0) {
		sieve_script_free(&script);
		return -1;
	}
	script->settings = NULL;
	*script_r = script;
	return 0;
}

void sieve_script_free(struct sieve_script **scriptp)
{
	struct sieve_script *script = *scriptp;
	if (script == NULL)
		return;
	pool_free(&script->pool);
	free(script->name);
	free(script);
	*scriptp = NULL;
}

const char *sieve_script_name(const struct sieve_script *script)
{
	return script->name;
}

bool sieve_script_requires(const struct sieve_script *script,
                           const char *capability)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {
	    {"vacation", SIEVE_EXT_VACATION},
	    {"enotify", SIEVE_EXT_ENOTIFY},
	    {"reject", SIEVE_EXT_REJECT},
	    {"ereject", SIEVE_EXT_EREJECT},
	    {"include", SIEVE_EXT_INCLUDE},
	    {"editheader", SIEVE_EXT_EDITHEADER},
	    {"fileinto", SIEVE_EXT_FILEINTO},
	    {"variables", SIEVE_EXT_VARIABLES},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(names[i].name, capability) == 0)
			return (script->requires & names[i].bit) != 0;
	return false;
}

size_t sieve_script_require_end(const struct sieve_script *script)
{
	size_t end = 0;
	for (const struct sieve_node *node = script->first;
	     node != NULL && node->def->id == SIEVE_CMD_REQUIRE;
	     node = node->next)
		end = node->end_offset;
	return end;
}

/* ---- errors, steps, variables ---- */

int sieve_runtime_error(struct sieve_interp *ip, const struct sieve_node *node,
                        const char *fmt, ...)
{
	if (ip->failed)
		return -1;
	ip->failed = true;
	va_list ap;
	ip->error->line = node != NULL ? node->line : 0;
	ip->error->column = node != NULL ? node->column : 0;
	va_start(ap, fmt);
	vsnprintf(ip->error->message, sizeof(ip->error->message), fmt, ap);
	va_end(ap);
	return -1;
}

int sieve_step(struct sieve_interp *ip, const struct sieve_node *node,
               uint64_t units)
{
	ip->steps += units;
	if (ip->steps > ip->set->max_steps)
		return sieve_runtime_error(
		    ip, node, "script needed more than %llu steps",
		    (unsigned long long)ip->set->max_steps);
	return 0;
}

static struct sieve_scope *scope_new(struct sieve_interp *ip)
{
	struct sieve_scope *scope = xcalloc(1, sizeof(*scope));
	if (ip->scope_count == ip->scope_cap) {
		ip->scope_cap = ip->scope_cap == 0 ? 4 : ip->scope_cap * 2;
		ip->scopes =
		    xrealloc(ip->scopes, ip->scope_cap * sizeof(*ip->scopes));
	}
	ip->scopes[ip->scope_count++] = scope;
	return scope;
}

static void scope_free(struct sieve_scope *scope)
{
	for (unsigned i = 0; i < scope->count; i++) {
		free(scope->vars[i].name);
		buf_deinit(&scope->vars[i].value);
	}
	free(scope->vars);
}

static struct sieve_var *scope_find(struct sieve_scope *scope, const char *name,
                                    size_t len)
{
	for (unsigned i = 0; i < scope->count; i++)
		if (strlen(scope->vars[i].name) == len &&
		    strncasecmp(scope->vars[i].name, name, len) == 0)
			return &scope->vars[i];
	return NULL;
}

static struct sieve_var *scope_add(struct sieve_interp *ip,
                                   const struct sieve_node *node,
                                   struct sieve_scope *scope, const char *name,
                                   size_t len)
{
	if (scope->count >= ip->set->max_variables) {
		sieve_runtime_error(ip, node, "more than %u variables",
		                    ip->set->max_variables);
		return NULL;
	}
	if (scope->count == scope->cap) {
		scope->cap = scope->cap == 0 ? 8 : scope->cap * 2;
		scope->vars =
		    xrealloc(scope->vars, scope->cap * sizeof(*scope->vars));
	}
	struct sieve_var *v = &scope->vars[scope->count++];
	memset(v, 0, sizeof(*v));
	v->name = xstrndup(name, len);
	buf_init(&v->value);
	return v;
}

struct buf *sieve_var_get(struct sieve_interp *ip,
                          const struct sieve_node *node, const char *name,
                          size_t len, bool create)
{
	struct sieve_scope *scope = ip->scope;
	if (len > 7 && strncasecmp(name, "global.", 7) == 0) {
		scope = &ip->globals;
		name += 7;
		len -= 7;
	} else if (memchr(name, '.', len) != NULL || scope == NULL) {
		return NULL; /* no other namespace */
	}
	struct sieve_var *v = scope_find(scope, name, len);
	if (v != NULL && v->is_global) {
		scope = &ip->globals;
		v = scope_find(scope, name, len);
	}
	if (v == NULL && create)
		v = scope_add(ip, node, scope, name, len);
	return v != NULL ? &v->value : NULL;
}

/* ---- tests ---- */

static int eval_test(struct sieve_interp *ip, const struct sieve_node *node);

/* Compares values with the keys of list keys (RFC 5228 §2.7: true when
 * any value matches any key; :count compares the number of values). */
static int match_values(struct sieve_interp *ip, const struct sieve_node *node,
                        const struct sieve_values *v,
                        const struct sieve_value *keys)
{
	for (unsigned k = 0; k < keys->count; k++) {
		size_t klen;
		const char *key = sieve_expand(ip, &keys->strings[k], &klen);
		if (node->match == SIEVE_MATCH_COUNT) {
			if (sieve_match_count(node, v->count, key, klen) > 0)
				return 1;
			continue;
		}
		for (size_t i = 0; i < v->count; i++) {
			int ret = sieve_match_one(ip, node, v->items[i],
			                          v->lens[i], key, klen);
			if (ret != 0)
				return ret;
		}
	}
	return ip->failed ? -1 : 0;
}

static int test_exists(struct sieve_interp *ip, const struct sieve_node *node)
{
	const struct sieve_value *names = node->pos[0];
	sieve_message_fields(ip);
	if (sieve_step(ip, node, 1 + ip->field_count / 16) < 0)
		return -1;
	for (unsigned i = 0; i < names->count; i++) {
		size_t len;
		const char *name = sieve_expand(ip, &names->strings[i], &len);
		bool found = false;
		for (unsigned f = 0; f < ip->field_count && !found; f++)
			found = sieve_field_is(&ip->fields[f], name, len);
		if (!found)
			return 0;
	}
	return 1;
}

/* The value of a date header as date-part in the zone asked for. */
static void date_value(struct sieve_interp *ip, const struct sieve_node *node,
                       const char *str, size_t len, const char *part,
                       bool is_received, struct sieve_values *v)
{
	struct sieve_datetime dt;
	if (is_received) { /* RFC 5260 §4.1: after the last ";" */
		const char *semi = NULL;
		for (size_t i = 0; i < len; i++)
			if (str[i] == ';')
				semi = str + i;
		if (semi == NULL)
			return;
		len -= (size_t)(semi + 1 - str);
		str = semi + 1;
	}
	if (sieve_date_parse(str, len, &dt) < 0)
		return;
	struct sieve_value *zone = node->tagged[SIEVE_TAG_ZONE];
	if (zone != NULL) {
		size_t zlen;
		const char *z = sieve_expand(ip, &zone->strings[0], &zlen);
		if (sieve_zone_parse(z, &dt.offset) < 0)
			return;
	} else if (node->tagged[SIEVE_TAG_ORIGINALZONE] == NULL) {
		dt.offset = ip->mail->local_offset;
	}
	struct buf out;
	buf_init(&out);
	if (sieve_date_part(&dt, part, &out) == 0)
		sieve_values_add(
		    ip, v, pool_strndup(ip->pool, out.data, out.len), out.len);
	buf_deinit(&out);
}

static int test_date(struct sieve_interp *ip, const struct sieve_node *node)
{
	bool is_current = node->def->id == SIEVE_TEST_CURRENTDATE;
	size_t len;
	const char *part =
	    sieve_expand(ip, &node->pos[is_current ? 0 : 1]->strings[0], &len);
	if (!sieve_date_part_is_valid(part))
		return sieve_runtime_error(ip, node, "unknown date part");
	struct sieve_values v = {0};
	if (is_current) {
		char now[64];
		struct sieve_datetime dt = {.t = ip->mail->now};
		/* render now as a date string so one path handles zones */
		struct buf b;
		buf_init(&b);
		sieve_date_part(&dt, "std11", &b);
		snprintf(now, sizeof(now), "%s", b.data);
		buf_deinit(&b);
		date_value(ip, node, now, strlen(now), part, false, &v);
	} else {
		size_t nlen;
		const char *name =
		    sieve_expand(ip, &node->pos[0]->strings[0], &nlen);
		struct sieve_values headers = {0};
		struct sieve_value one = *node->pos[0];
		sieve_message_headers(ip, node, &one, &headers);
		bool is_received =
		    nlen == 8 && strncasecmp(name, "received", 8) == 0;
		for (size_t i = 0; i < headers.count; i++)
			date_value(ip, node, headers.items[i], headers.lens[i],
			           part, is_received, &v);
	}
	return match_values(ip, node, &v, node->pos[is_current ? 1 : 2]);
}

static int test_string(struct sieve_interp *ip, const struct sieve_node *node)
{
	struct sieve_values v = {0};
	const struct sieve_value *src = node->pos[0];
	for (unsigned i = 0; i < src->count; i++) {
		size_t len;
		const char *s = sieve_expand(ip, &src->strings[i], &len);
		/* RFC 5229 §5: :count counts the non-empty strings */
		if (node->match != SIEVE_MATCH_COUNT || len > 0)
			sieve_values_add(ip, &v, s, len);
	}
	return match_values(ip, node, &v, node->pos[1]);
}

static int test_mailboxexists(struct sieve_interp *ip,
                              const struct sieve_node *node)
{
	const struct sieve_value *names = node->pos[0];
	for (unsigned i = 0; i < names->count; i++) {
		size_t len;
		const char *name = sieve_expand(ip, &names->strings[i], &len);
		int ret = ip->cb->mailbox_exists == NULL
		              ? 0
		              : ip->cb->mailbox_exists(ip->cb->ctx, name);
		if (ret < 0)
			return sieve_runtime_error(ip, node,
			                           "mailbox look-up failed");
		if (ret == 0)
			return 0;
	}
	return 1;
}

/* The id a duplicate test looks at (RFC 7352 §3.1): :uniqueid, else the
 * first field :header names, else Message-ID. NULL when there is none. */
static const char *duplicate_id(struct sieve_interp *ip,
                                const struct sieve_node *node, size_t *len_r)
{
	const struct sieve_value *uid = node->tagged[SIEVE_TAG_UNIQUEID];
	const struct sieve_value *hdr = node->tagged[SIEVE_TAG_HEADER];
	if (uid != NULL)
		return sieve_expand(ip, &uid->strings[0], len_r);
	struct sieve_values v = {0};
	struct sieve_string mid = {.data = "message-id", .len = 10};
	struct sieve_value names = {.type = SIEVE_VALUE_STRING,
	                            .strings =
	                                hdr != NULL ? hdr->strings : &mid,
	                            .count = 1};
	struct sieve_node plain = *node;
	plain.tagged[SIEVE_TAG_INDEX] = NULL;
	sieve_message_headers(ip, &plain, &names, &v);
	if (v.count == 0)
		return NULL;
	*len_r = v.lens[0];
	return v.items[0];
}

/* Notes key to record when the run succeeds. */
static void duplicate_record(struct sieve_interp *ip, const char *key,
                             uint64_t period, bool is_last)
{
	if (period > ip->set->duplicate_max_period)
		period = ip->set->duplicate_max_period;
	if (ip->dup_count == ip->dup_cap) {
		size_t cap = ip->dup_cap == 0 ? 4 : ip->dup_cap * 2;
		struct sieve_duplicate *more =
		    pool_alloc(ip->pool, cap * sizeof(*more));
		if (ip->dup_count > 0)
			memcpy(more, ip->dups, ip->dup_count * sizeof(*more));
		ip->dups = more;
		ip->dup_cap = cap;
	}
	ip->dups[ip->dup_count++] = (struct sieve_duplicate){
	    .key = pool_strdup(ip->pool, key),
	    .period = period,
	    .is_last = is_last,
	};
}

/* RFC 7352 §3: the id and :handle make the key; it is recorded only once
 * the run succeeded, and with :last each time it is seen. */
static int test_duplicate(struct sieve_interp *ip,
                          const struct sieve_node *node)
{
	const struct sieve_value *handle = node->tagged[SIEVE_TAG_HANDLE];
	const struct sieve_value *secs = node->tagged[SIEVE_TAG_SECONDS];
	size_t id_len = 0, hlen = 0;
	const char *id = duplicate_id(ip, node, &id_len);
	if (id == NULL || id_len == 0)
		return 0;
	const char *h =
	    handle != NULL ? sieve_expand(ip, &handle->strings[0], &hlen) : "";
	struct digest_sha256 *d = digest_sha256_new();
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_update(d, "duplicate", 10);
	digest_sha256_update(d, h, hlen);
	digest_sha256_update(d, "", 1);
	digest_sha256_update(d, id, id_len);
	digest_sha256_final_hex(d, hex);
	digest_sha256_free(&d);
	int seen = ip->cb->duplicate_seen == NULL
	               ? 0
	               : ip->cb->duplicate_seen(ip->cb->ctx, hex);
	if (seen < 0)
		return sieve_runtime_error(ip, node,
		                           "duplicate look-up failed");
	bool is_last = node->tagged[SIEVE_TAG_LAST] != NULL;
	if (seen == 0 || is_last)
		duplicate_record(ip, hex,
		                 secs != NULL ? secs->number
		                              : ip->set->duplicate_period,
		                 is_last);
	return seen > 0;
}

static int test_notify(struct sieve_interp *ip, const struct sieve_node *node)
{
	if (node->def->id == SIEVE_TEST_VALID_NOTIFY_METHOD) {
		const struct sieve_value *uris = node->pos[0];
		for (unsigned i = 0; i < uris->count; i++) {
			size_t len;
			const char *uri =
			    sieve_expand(ip, &uris->strings[i], &len);
			if (!sieve_notify_uri_is_valid(uri, len))
				return 0;
		}
		return 1;
	}
	/* notify_method_capability: mailto knows "online": maybe
	 * (RFC 5436 §2.2) */
	size_t ulen, clen;
	const char *uri = sieve_expand(ip, &node->pos[0]->strings[0], &ulen);
	const char *cap = sieve_expand(ip, &node->pos[1]->strings[0], &clen);
	if (!sieve_notify_uri_is_valid(uri, ulen) ||
	    strcasecmp(cap, "online") != 0)
		return 0;
	struct sieve_values v = {0};
	sieve_values_add(ip, &v, "maybe", 5);
	return match_values(ip, node, &v, node->pos[2]);
}

static int test_list(struct sieve_interp *ip, const struct sieve_node *node,
                     bool is_all)
{
	for (unsigned i = 0; i < node->test_count; i++) {
		int ret = eval_test(ip, node->tests[i]);
		if (ret < 0)
			return -1;
		if (is_all ? ret == 0 : ret == 1)
			return ret;
	}
	return is_all ? 1 : 0;
}

static int eval_test(struct sieve_interp *ip, const struct sieve_node *node)
{
	struct sieve_values v = {0};
	if (sieve_step(ip, node, 1) < 0)
		return -1;
	switch (node->def->id) {
	case SIEVE_TEST_TRUE:
		return 1;
	case SIEVE_TEST_FALSE:
		return 0;
	case SIEVE_TEST_NOT: {
		int ret = eval_test(ip, node->tests[0]);
		return ret < 0 ? -1 : !ret;
	}
	case SIEVE_TEST_ALLOF:
		return test_list(ip, node, true);
	case SIEVE_TEST_ANYOF:
		return test_list(ip, node, false);
	case SIEVE_TEST_EXISTS:
		return test_exists(ip, node);
	case SIEVE_TEST_SIZE: {
		uint64_t limit = node->pos[0]->number;
		return node->tagged[SIEVE_TAG_OVER] != NULL
		           ? ip->mail->full_size > limit
		           : ip->mail->full_size < limit;
	}
	case SIEVE_TEST_HEADER:
		sieve_message_headers(ip, node, node->pos[0], &v);
		return match_values(ip, node, &v, node->pos[1]);
	case SIEVE_TEST_ADDRESS:
	case SIEVE_TEST_ENVELOPE:
		sieve_message_addresses(ip, node, node->pos[0],
		                        node->def->id == SIEVE_TEST_ENVELOPE,
		                        &v);
		return match_values(ip, node, &v, node->pos[1]);
	case SIEVE_TEST_BODY:
		sieve_message_body(ip, node, &v);
		return match_values(ip, node, &v, node->pos[0]);
	case SIEVE_TEST_DATE:
	case SIEVE_TEST_CURRENTDATE:
		return test_date(ip, node);
	case SIEVE_TEST_HASFLAG:
		return sieve_test_hasflag(ip, node);
	case SIEVE_TEST_STRING:
		return test_string(ip, node);
	case SIEVE_TEST_MAILBOXEXISTS:
		return test_mailboxexists(ip, node);
	case SIEVE_TEST_DUPLICATE:
		return test_duplicate(ip, node);
	case SIEVE_TEST_VALID_NOTIFY_METHOD:
	case SIEVE_TEST_NOTIFY_METHOD_CAPABILITY:
		return test_notify(ip, node);
	default:
		break;
	}
	return sieve_runtime_error(ip, node, "'%s' is not a test", node->name);
}

/* ---- commands ---- */

static int exec_block(struct sieve_interp *ip, const struct sieve_node *first);

static int exec_set(struct sieve_interp *ip, const struct sieve_node *node)
{
	const struct sieve_string *name = &node->pos[0]->strings[0];
	size_t len;
	const char *value = sieve_expand(ip, &node->pos[1]->strings[0], &len);
	uint64_t mask = 0;
	for (unsigned t = 0; t < SIEVE_TAG_COUNT_ALL; t++)
		if (node->tagged[t] != NULL)
			mask |= UINT64_C(1) << t;
	struct buf *var = sieve_var_get(ip, node, name->data, name->len, true);
	if (var == NULL)
		return -1;
	buf_truncate(var, 0);
	sieve_string_modify(value, len, mask, var);
	if (var->len > ip->set->max_string_size)
		buf_truncate(var, ip->set->max_string_size);
	return 0;
}

static int exec_global(struct sieve_interp *ip, const struct sieve_node *node)
{
	const struct sieve_value *names = node->pos[0];
	for (unsigned i = 0; i < names->count; i++) {
		const struct sieve_string *s = &names->strings[i];
		struct sieve_var *v = scope_find(ip->scope, s->data, s->len);
		if (v == NULL)
			v = scope_add(ip, node, ip->scope, s->data, s->len);
		if (v == NULL)
			return -1;
		v->is_global = true;
	}
	return 0;
}

static bool script_in(const struct sieve_script *const *list, unsigned count,
                      const struct sieve_script *script)
{
	for (unsigned i = 0; i < count; i++)
		if (list[i] == script)
			return true;
	return false;
}

/* Runs script in a scope of its own. */
static int run_in_scope(struct sieve_interp *ip,
                        const struct sieve_script *script)
{
	struct sieve_scope *saved = ip->scope;
	const struct sieve_script *saved_script = ip->script;
	ip->scope = scope_new(ip);
	ip->script = script;
	ip->stack[ip->include_depth] = script;
	int ret = exec_block(ip, script->first);
	ip->is_returning = false;
	ip->scope = saved;
	ip->script = saved_script;
	return ret;
}

static int exec_include(struct sieve_interp *ip, const struct sieve_node *node)
{
	const struct sieve_string *name = &node->pos[0]->strings[0];
	bool is_global = node->tagged[SIEVE_TAG_GLOBAL] != NULL;
	const struct sieve_script *script = NULL;
	const char *error = "no include support";
	if (ip->include_depth + 1 >= ip->set->max_include_depth + 1)
		return sieve_runtime_error(ip, node,
		                           "includes nested deeper "
		                           "than %u",
		                           ip->set->max_include_depth);
	int ret = ip->cb->include_load == NULL
	              ? -1
	              : ip->cb->include_load(ip->cb->ctx, is_global, name->data,
	                                     &script, &error);
	if (ret == 0 && node->tagged[SIEVE_TAG_OPTIONAL] != NULL)
		return 0;
	if (ret == 0)
		return sieve_runtime_error(ip, node, "no %s script \"%.100s\"",
		                           is_global ? "global" : "personal",
		                           name->data);
	if (ret < 0)
		return sieve_runtime_error(ip, node, "include \"%.100s\": %s",
		                           name->data, error);
	if (script_in(ip->stack, ip->include_depth + 1, script))
		return sieve_runtime_error(
		    ip, node, "include loop at \"%.100s\"", name->data);
	bool seen = script_in(ip->included, ip->included_count, script);
	if (seen && node->tagged[SIEVE_TAG_ONCE] != NULL)
		return 0;
	if (!seen) {
		if (ip->included_count >= ip->set->max_includes)
			return sieve_runtime_error(ip, node,
			                           "more than %u includes",
			                           ip->set->max_includes);
		ip->included[ip->included_count++] = script;
	}
	ip->include_depth++;
	ret = run_in_scope(ip, script);
	ip->include_depth--;
	return ret;
}

static int exec_command(struct sieve_interp *ip, const struct sieve_node *node)
{
	switch (node->def->id) {
	case SIEVE_CMD_REQUIRE:
		return 0;
	case SIEVE_CMD_STOP:
		ip->is_stopped = true;
		return 0;
	case SIEVE_CMD_RETURN:
		ip->is_returning = true;
		return 0;
	case SIEVE_CMD_INCLUDE:
		return exec_include(ip, node);
	case SIEVE_CMD_GLOBAL:
		return exec_global(ip, node);
	case SIEVE_CMD_SET:
		return exec_set(ip, node);
	case SIEVE_CMD_SETFLAG:
	case SIEVE_CMD_ADDFLAG:
	case SIEVE_CMD_REMOVEFLAG:
		return sieve_flags_run(ip, node);
	case SIEVE_CMD_ADDHEADER:
		return sieve_message_addheader(ip, node);
	case SIEVE_CMD_DELETEHEADER:
		return sieve_message_deleteheader(ip, node);
	default:
		return sieve_action_run(ip, node);
	}
}

static int exec_block(struct sieve_interp *ip, const struct sieve_node *first)
{
	bool chain_done = false; /* an if/elsif of this chain was taken */
	for (const struct sieve_node *node = first; node != NULL;
	     node = node->next) {
		if (ip->failed)
			return -1;
		if (ip->is_stopped || ip->is_returning)
			return 0;
		if (sieve_step(ip, node, 1) < 0)
			return -1;
		enum sieve_cmd id = node->def->id;
		if (id == SIEVE_CMD_IF)
			chain_done = false;
		if (id == SIEVE_CMD_IF || id == SIEVE_CMD_ELSIF ||
		    id == SIEVE_CMD_ELSE) {
			if (chain_done)
				continue;
			int ret = id == SIEVE_CMD_ELSE
			              ? 1
			              : eval_test(ip, node->tests[0]);
			if (ret < 0)
				return -1;
			if (ret == 0)
				continue;
			chain_done = true;
			if (exec_block(ip, node->block) < 0)
				return -1;
			continue;
		}
		if (exec_command(ip, node) < 0)
			return -1;
	}
	return ip->failed ? -1 : 0;
}

/* ---- runs ---- */

struct sieve_run *sieve_run_new(const struct sieve_settings *settings,
                                const struct sieve_mail *mail,
                                const struct sieve_callbacks *callbacks)
{
	static const struct sieve_callbacks none = {0};
	struct sieve_run *run = xcalloc(1, sizeof(*run));
	struct sieve_interp *ip = &run->ip;
	ip->set = settings;
	ip->mail = mail;
	ip->cb = callbacks != NULL ? callbacks : &none;
	ip->pool = pool_new();
	ip->error = &run->error;
	for (unsigned i = 0; i < SIEVE_MATCH_VARS; i++)
		buf_init(&ip->match_vars[i]);
	buf_init(&ip->flags);
	ip->included = pool_alloc(ip->pool, (settings->max_includes + 1) *
	                                        sizeof(*ip->included));
	ip->stack = pool_alloc(ip->pool, (settings->max_include_depth + 2) *
	                                     sizeof(*ip->stack));
	return run;
}

void sieve_run_free(struct sieve_run **runp)
{
	struct sieve_run *run = *runp;
	if (run == NULL)
		return;
	struct sieve_interp *ip = &run->ip;
	sieve_match_free_regexes(ip);
	for (unsigned i = 0; i < ip->scope_count; i++) {
		scope_free(ip->scopes[i]);
		free(ip->scopes[i]);
	}
	free(ip->scopes);
	scope_free(&ip->globals);
	for (unsigned i = 0; i < SIEVE_MATCH_VARS; i++)
		buf_deinit(&ip->match_vars[i]);
	buf_deinit(&ip->flags);
	pool_free(&ip->pool);
	free(run);
	*runp = NULL;
}

int sieve_run_script(struct sieve_run *run, const struct sieve_script *script,
                     struct sieve_error *error_r)
{
	struct sieve_interp *ip = &run->ip;
	if (!ip->failed && !ip->is_stopped && !run->is_finished) {
		ip->include_depth = 0;
		(void)run_in_scope(ip, script);
	}
	if (ip->failed) {
		*error_r = run->error;
		return -1;
	}
	return ip->is_stopped ? 0 : 1;
}

int sieve_run_finish(struct sieve_run *run,
                     const struct sieve_result **result_r,
                     struct sieve_error *error_r)
{
	struct sieve_interp *ip = &run->ip;
	if (!run->is_finished && !ip->failed) {
		run->is_finished = true;
		(void)sieve_actions_finish(ip, &run->result);
	}
	run->is_finished = true;
	if (ip->failed) {
		memset(&run->result, 0, sizeof(run->result));
		*result_r = &run->result;
		*error_r = run->error;
		return -1;
	}
	*result_r = &run->result;
	return 0;
}
