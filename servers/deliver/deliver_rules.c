/* Running the Sieve scripts of a recipient during delivery (see
 * deliver_rules.h). The run itself performs nothing: its actions become
 * targets (mailboxes with flags) that deliver commits with the batch, keys
 * that go into the account's memory in the same transaction, and
 * messages queued here. Safety rules around the interpreter's result:
 * fileinto a missing mailbox without :create files into INBOX; a redirect
 * to where the message has already been (a Delivered-To field naming the
 * user) or after max_hops such fields is kept instead; a vacation reply
 * goes once per sender and handle per period (store memory); the sender
 * of a redirected copy is an SRS address of the user's domain unless the
 * original sender is local or null. */
#include "deliver/deliver_rules.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "deliver/deliver_mail.h"
#include "deliver/deliver_sign.h"
#include "queue/queue.h"
#include "store/store.h"
#include "store/store_sieve.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define RULES_CACHE_MAX 64

struct script_entry {
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	struct sieve_script *script; /* NULL: it does not compile */
	struct sieve_error error;
	uint64_t last_used;
	uint64_t run; /* the run that uses it now: not evicted then */
};

struct pending_key {
	int64_t account_id;
	char *key;
};

struct deliver_rules {
	struct deliver_rules_settings set;
	char *sieve_dir, *hostname, *sign_data_dir, *data_dir, *authserv_id;
	struct deliver_sign_settings sign;
	struct script_entry **cache; /* each entry stays where it is while
	                                a run uses it */
	size_t cache_count, cache_cap;
	uint64_t clock, run;
	struct pending_key *pending;
	size_t pending_count, pending_cap;
};

void deliver_rules_settings_init(struct deliver_rules_settings *set)
{
	*set = (struct deliver_rules_settings){
	    .is_enabled = true,
	    .hostname = "localhost",
	    .sieve = SIEVE_SETTINGS_DEFAULT,
	    .max_message_read = 10 * 1024 * 1024,
	    .max_hops = 10,
	    .use_srs = true,
	};
}

struct deliver_rules *
deliver_rules_new(const struct deliver_rules_settings *set)
{
	struct deliver_rules *r = xcalloc(1, sizeof(*r));
	r->set = *set;
	r->sieve_dir = set->sieve_dir != NULL && set->sieve_dir[0] != '\0'
	                   ? xstrdup(set->sieve_dir)
	                   : NULL;
	r->hostname =
	    xstrdup(set->hostname != NULL ? set->hostname : "localhost");
	r->set.sieve_dir = r->sieve_dir;
	r->set.hostname = r->hostname;
	r->sign_data_dir =
	    set->sign_data_dir != NULL ? xstrdup(set->sign_data_dir) : NULL;
	r->set.sign_data_dir = r->sign_data_dir;
	r->sign = (struct deliver_sign_settings){
	    .data_dir = r->sign_data_dir, .lifetime = set->dkim_lifetime};
	if (set->data_dir != NULL && set->authserv_id != NULL) {
		r->data_dir = xstrdup(set->data_dir);
		r->authserv_id = xstrdup(set->authserv_id);
	}
	r->set.data_dir = r->data_dir;
	r->set.authserv_id = r->authserv_id;
	return r;
}

void deliver_rules_batch_begin(struct deliver_rules *r)
{
	for (size_t i = 0; i < r->pending_count; i++)
		free(r->pending[i].key);
	r->pending_count = 0;
}

void deliver_rules_free(struct deliver_rules **rp)
{
	struct deliver_rules *r = *rp;
	if (r == NULL)
		return;
	deliver_rules_batch_begin(r);
	free(r->pending);
	for (size_t i = 0; i < r->cache_count; i++) {
		sieve_script_free(&r->cache[i]->script);
		free(r->cache[i]);
	}
	free(r->cache);
	free(r->sieve_dir);
	free(r->hostname);
	free(r->sign_data_dir);
	free(r->data_dir);
	free(r->authserv_id);
	free(r);
	*rp = NULL;
}

const struct deliver_rules_settings *
deliver_rules_settings(const struct deliver_rules *r)
{
	return &r->set;
}

static void pending_add(struct deliver_rules *r, int64_t account_id,
                        const char *key)
{
	if (r->pending_count == r->pending_cap) {
		r->pending_cap = r->pending_cap == 0 ? 16 : r->pending_cap * 2;
		r->pending =
		    xrealloc(r->pending, r->pending_cap * sizeof(*r->pending));
	}
	r->pending[r->pending_count++] =
	    (struct pending_key){account_id, xstrdup(key)};
}

static bool pending_has(const struct deliver_rules *r, int64_t account_id,
                        const char *key)
{
	for (size_t i = 0; i < r->pending_count; i++)
		if (r->pending[i].account_id == account_id &&
		    strcmp(r->pending[i].key, key) == 0)
			return true;
	return false;
}

/* Returns the compiled script of text data (by its hash), compiling it
 * when new. The entry's script is NULL when it does not compile. */
static struct script_entry *script_get(struct deliver_rules *r,
                                       const char *name, const char *data,
                                       size_t size)
{
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(data, size, hash);
	struct script_entry *victim = NULL;
	for (size_t i = 0; i < r->cache_count; i++) {
		struct script_entry *e = r->cache[i];
		if (strcmp(e->hash, hash) == 0) {
			e->last_used = ++r->clock;
			e->run = r->run;
			return e;
		}
		if (e->run != r->run &&
		    (victim == NULL || e->last_used < victim->last_used))
			victim = e;
	}
	if (r->cache_count < RULES_CACHE_MAX || victim == NULL) {
		if (r->cache_count == r->cache_cap) {
			r->cache_cap = r->cache_cap == 0 ? 8 : r->cache_cap * 2;
			r->cache = xrealloc(r->cache,
			                    r->cache_cap * sizeof(*r->cache));
		}
		victim = xcalloc(1, sizeof(*victim));
		r->cache[r->cache_count++] = victim;
	}
	sieve_script_free(&victim->script);
	memcpy(victim->hash, hash, sizeof(hash));
	victim->last_used = ++r->clock;
	victim->run = r->run;
	if (sieve_compile((const unsigned char *)data, size, name,
	                  &r->set.sieve, &victim->script, &victim->error) < 0) {
		victim->script = NULL;
		log_warn(NULL,
		         "rules-compile-failed script=%s line=%u column=%u "
		         "error=%s",
		         log_sanitize(name, 100), victim->error.line,
		         victim->error.column,
		         log_sanitize(victim->error.message, 200));
	}
	return victim;
}

/* Reads a script file. Returns 1 with its text, 0 if missing, -1. */
static int file_read(const struct deliver_rules *r, const char *path,
                     struct pool *pool, const char **data_r, size_t *size_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > r->set.sieve.max_script_size) {
		close(fd);
		return -1;
	}
	char *data = pool_alloc(pool, (size_t)st.st_size + 1);
	ssize_t n = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		return -1;
	data[n] = '\0';
	*data_r = data;
	*size_r = (size_t)n;
	return 1;
}

/* Loads sieve_dir/rel as script name. Returns the entry, or NULL when
 * there is no such file (or no sieve_dir). */
static struct script_entry *global_get(struct deliver_rules *r, const char *rel,
                                       struct pool *pool)
{
	const char *data;
	size_t size;
	if (r->sieve_dir == NULL)
		return NULL;
	const char *path = pool_printf(pool, "%s/%s", r->sieve_dir, rel);
	int ret = file_read(r, path, pool, &data, &size);
	if (ret < 0)
		log_error(NULL, "rules-script-failed path=%s error=%s", path,
		          "cannot read (or too large)");
	return ret > 0 ? script_get(r, rel, data, size) : NULL;
}

/* ---- the interpreter's callbacks ---- */

struct run_ctx {
	struct deliver_rules *r;
	const struct deliver_rules_input *in;
	struct pool *pool;
};

static int cb_mailbox_exists(void *context, const char *name)
{
	struct run_ctx *ctx = context;
	struct store_mailbox_info info;
	return store_mailbox_get(ctx->in->account, name, ctx->pool, &info);
}

static int cb_duplicate_seen(void *context, const char *key)
{
	struct run_ctx *ctx = context;
	const char *k = pool_printf(ctx->pool, "d:%s", key);
	if (pending_has(ctx->r, ctx->in->account_id, k))
		return 1;
	return store_sieve_memory_seen(ctx->in->account, k, ctx->in->now);
}

static int cb_include(void *context, bool is_global, const char *name,
                      const struct sieve_script **script_r,
                      const char **error_r)
{
	struct run_ctx *ctx = context;
	struct script_entry *e;
	if (is_global) {
		e = global_get(ctx->r,
		               pool_printf(ctx->pool, "global/%s.sieve", name),
		               ctx->pool);
	} else {
		const char *data;
		size_t size;
		int ret = store_sieve_get(ctx->in->account, name, ctx->pool,
		                          &data, &size);
		if (ret < 0) {
			*error_r = "storage failure";
			return -1;
		}
		e = ret > 0 ? script_get(ctx->r, name, data, size) : NULL;
	}
	if (e == NULL)
		return 0;
	if (e->script == NULL) {
		*error_r = pool_printf(ctx->pool, "line %u: %s", e->error.line,
		                       e->error.message);
		return -1;
	}
	*script_r = e->script;
	return 1;
}

/* ---- turning actions into targets ---- */

void deliver_rules_flags(const char *flags, struct pool *pool,
                         uint32_t *flags_r, const char **keywords_r)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} system[] = {
	    {"\\seen", STORE_FLAG_SEEN},
	    {"\\answered", STORE_FLAG_ANSWERED},
	    {"\\flagged", STORE_FLAG_FLAGGED},
	    {"\\deleted", STORE_FLAG_DELETED},
	    {"\\draft", STORE_FLAG_DRAFT},
	};
	struct buf kw;
	buf_init(&kw);
	*flags_r = 0;
	for (const char *p = flags != NULL ? flags : ""; *p != '\0';) {
		size_t n = strcspn(p, " ");
		bool is_system = false;
		for (size_t i = 0; i < sizeof(system) / sizeof(*system); i++) {
			if (strlen(system[i].name) == n &&
			    strncasecmp(system[i].name, p, n) == 0) {
				*flags_r |= system[i].bit;
				is_system = true;
			}
		}
		if (!is_system && n > 0 && p[0] != '\\') {
			if (kw.len > 0)
				buf_append_char(&kw, ' ');
			buf_append(&kw, p, n);
		}
		p += n + (p[n] == ' ');
	}
	*keywords_r = pool_strndup(pool, kw.data, kw.len);
	buf_deinit(&kw);
}

struct result_builder {
	struct deliver_rules *r;
	const struct deliver_rules_input *in;
	const unsigned char *data; /* the message, as far as read */
	size_t size;
	struct pool *pool;
	struct deliver_rules_result *out;
	size_t target_cap, memory_cap;
	struct deliver_mail mail;
	struct deliver_mail_original orig;
	struct buf summary;
};

/* An edited header can replace the original's only when the rules saw
 * the whole of it. */
static bool edit_usable(const struct result_builder *b,
                        const struct sieve_edit *edit)
{
	return edit != NULL && (edit->body_offset < b->size ||
	                        b->size == b->in->env->data_size);
}

static struct sieve_edit *edit_copy(const struct result_builder *b,
                                    struct pool *pool,
                                    const struct sieve_edit *edit)
{
	if (!edit_usable(b, edit))
		return NULL;
	struct sieve_edit *copy = pool_alloc(pool, sizeof(*copy));
	char *header = pool_alloc(pool, edit->header_size + 1);
	memcpy(header, edit->header, edit->header_size);
	copy->header = header;
	copy->header_size = edit->header_size;
	copy->body_offset = edit->body_offset;
	return copy;
}

static struct deliver_rules_target *target_add(struct result_builder *b,
                                               const char *mailbox)
{
	struct deliver_rules_result *out = b->out;
	if (out->target_count == b->target_cap) {
		b->target_cap = b->target_cap == 0 ? 4 : b->target_cap * 2;
		struct deliver_rules_target *more =
		    pool_alloc(b->pool, b->target_cap * sizeof(*more));
		if (out->target_count > 0)
			memcpy(more, out->targets,
			       out->target_count * sizeof(*more));
		out->targets = more;
	}
	struct deliver_rules_target *t = &out->targets[out->target_count++];
	memset(t, 0, sizeof(*t));
	t->mailbox = pool_strdup(b->pool, mailbox);
	t->keywords = "";
	t->key = pool_printf(b->pool, "%s/%zu", b->in->delivery_key,
	                     out->target_count);
	return t;
}

/* The target for mailbox already made, or NULL. */
static struct deliver_rules_target *target_find(struct result_builder *b,
                                                const char *mailbox)
{
	bool is_inbox = strcasecmp(mailbox, "INBOX") == 0;
	for (size_t i = 0; i < b->out->target_count; i++) {
		struct deliver_rules_target *t = &b->out->targets[i];
		if (t->report == NULL &&
		    (is_inbox ? strcasecmp(t->mailbox, "INBOX") == 0
		              : strcmp(t->mailbox, mailbox) == 0))
			return t;
	}
	return NULL;
}

/* INBOX as the fallback of a failed action, once. */
static void keep_fallback(struct result_builder *b)
{
	if (target_find(b, "INBOX") == NULL)
		target_add(b, "INBOX");
}

static void memory_add(struct result_builder *b, const char *key,
                       uint64_t period)
{
	struct deliver_rules_result *out = b->out;
	if (out->memory_count == b->memory_cap) {
		b->memory_cap = b->memory_cap == 0 ? 4 : b->memory_cap * 2;
		struct deliver_rules_memory *more =
		    pool_alloc(b->pool, b->memory_cap * sizeof(*more));
		if (out->memory_count > 0)
			memcpy(more, out->memory,
			       out->memory_count * sizeof(*more));
		out->memory = more;
	}
	out->memory[out->memory_count++] = (struct deliver_rules_memory){
	    .key = pool_strdup(b->pool, key),
	    .expires = b->in->now + (time_t)period,
	};
	pending_add(b->r, b->in->account_id, key);
}

static void note(struct result_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds an action to the summary for the log. */
static void note(struct result_builder *b, const char *fmt, ...)
{
	va_list ap;
	if (b->summary.len > 0)
		buf_append_char(&b->summary, ' ');
	va_start(ap, fmt);
	buf_vprintf(&b->summary, fmt, ap);
	va_end(ap);
}

static void action_fileinto(struct result_builder *b,
                            const struct sieve_action *a)
{
	const char *mailbox =
	    a->type == SIEVE_ACTION_KEEP ? "INBOX" : a->mailbox;
	struct store_mailbox_info info;
	const char *error = NULL;
	int exists =
	    strcasecmp(mailbox, "INBOX") == 0
	        ? 1
	        : store_mailbox_get(b->in->account, mailbox, b->pool, &info);
	if (exists == 0 && a->create &&
	    store_mailbox_create(b->in->account, mailbox, STORE_SPECIAL_NONE,
	                         &error) == 0) {
		log_info(NULL, "rules-mailbox-created id=%s to=<%s> mailbox=%s",
		         b->in->env->id, log_sanitize(b->in->address, 200),
		         log_sanitize(mailbox, 200));
		exists = 1;
	} else if (exists == 0 && a->create && error != NULL &&
	           strcmp(error, "mailbox exists") == 0) {
		exists = 1; /* made meanwhile by another delivery */
	}
	if (exists <= 0) {
		/* RFC 5228 §4.1: the message goes to the default place */
		log_warn(NULL,
		         "rules-fileinto-failed id=%s to=<%s> mailbox=%s "
		         "error=%s",
		         b->in->env->id, log_sanitize(b->in->address, 200),
		         log_sanitize(mailbox, 200),
		         exists < 0      ? "storage failure"
		         : error != NULL ? error
		                         : "no such mailbox");
		mailbox = "INBOX";
	}
	uint32_t flags;
	const char *keywords;
	deliver_rules_flags(a->flags, b->pool, &flags, &keywords);
	struct deliver_rules_target *t = target_find(b, mailbox);
	if (t != NULL) {
		/* one copy per mailbox, as a fallback to INBOX may have
		 * made one already (RFC 5228 §2.10.3) */
		t->flags |= flags;
		if (keywords[0] != '\0')
			t->keywords = t->keywords[0] == '\0'
			                  ? keywords
			                  : pool_printf(b->pool, "%s %s",
			                                t->keywords, keywords);
	} else {
		t = target_add(b, mailbox);
		t->flags = flags;
		t->keywords = keywords;
		t->edit = edit_copy(b, b->pool, a->edit);
	}
	if (a->type == SIEVE_ACTION_KEEP)
		note(b, "keep");
	else
		note(b, "fileinto:%s", mailbox);
}

/* The sender of a redirected copy: <> and local senders stay, a remote
 * one becomes SRS of the user's domain (when configured). */
static const char *redirect_sender(struct result_builder *b)
{
	const char *sender = b->in->env->sender;
	const char *at = strrchr(sender, '@');
	const char *domain = strrchr(b->in->address, '@');
	const char *srs;
	if (!b->r->set.use_srs || sender[0] == '\0' || at == NULL ||
	    domain == NULL || store_domain_exists(b->in->store, at + 1) == 1)
		return sender;
	if (store_sieve_srs_forward(b->in->store, sender, domain + 1,
	                            b->in->now, b->pool, &srs) < 0) {
		log_error(NULL, "rules-srs-failed id=%s", b->in->env->id);
		return sender;
	}
	return srs;
}

static int action_redirect(struct result_builder *b,
                           const struct sieve_action *a)
{
	bool names_user;
	unsigned hops = deliver_mail_delivered_to(b->data, b->size,
	                                          b->in->address, &names_user);
	if (names_user || hops >= b->r->set.max_hops) {
		/* RFC 5228 §4.2: a loop; the message stays here */
		log_warn(NULL,
		         "rules-redirect-loop id=%s to=<%s> redirect=<%s> "
		         "hops=%u",
		         b->in->env->id, log_sanitize(b->in->address, 200),
		         log_sanitize(a->address, 200), hops);
		keep_fallback(b);
		note(b, "redirect-loop:%s", a->address);
		return 0;
	}
	note(b, "redirect:%s", a->address);
	return deliver_mail_redirect(&b->mail, &b->orig,
	                             edit_usable(b, a->edit) ? a->edit : NULL,
	                             redirect_sender(b), a->address);
}

static int action_vacation(struct result_builder *b,
                           const struct sieve_action *a)
{
	const char *key = pool_printf(b->pool, "v:%s", a->key);
	int seen =
	    pending_has(b->r, b->in->account_id, key)
	        ? 1
	        : store_sieve_memory_seen(b->in->account, key, b->in->now);
	if (seen != 0) {
		note(b, "vacation-already:%s", a->address);
		return seen < 0 ? -1 : 0;
	}
	if (deliver_mail_vacation(&b->mail, a) < 0)
		return -1;
	memory_add(b, key, a->period);
	note(b, "vacation:%s", a->address);
	return 0;
}

/* Performs one action. Returns 0, or -1 when mail could not be queued. */
static int action_apply(struct result_builder *b, const struct sieve_action *a)
{
	switch (a->type) {
	case SIEVE_ACTION_KEEP:
	case SIEVE_ACTION_FILEINTO:
		action_fileinto(b, a);
		return 0;
	case SIEVE_ACTION_REDIRECT:
		return action_redirect(b, a);
	case SIEVE_ACTION_DISCARD:
		note(b, "discard");
		return 0;
	case SIEVE_ACTION_REJECT:
	case SIEVE_ACTION_EREJECT:
		note(b, "%s",
		     a->type == SIEVE_ACTION_REJECT ? "reject" : "ereject");
		return deliver_mail_reject(&b->mail, &b->orig, a);
	case SIEVE_ACTION_VACATION:
		return action_vacation(b, a);
	case SIEVE_ACTION_NOTIFY:
		note(b, "notify:%s", a->method);
		return deliver_mail_notify(&b->mail, &b->orig, a);
	}
	return 0;
}

/* A script failed: the message goes to INBOX; the owner of a personal
 * script gets one note per version of it. */
static void run_failed(struct result_builder *b, const char *name,
                       const char *text_hash, bool is_personal,
                       const struct sieve_error *error)
{
	log_warn(NULL,
	         "rules-failed id=%s to=<%s> script=%s line=%u column=%u "
	         "error=%s",
	         b->in->env->id, log_sanitize(b->in->address, 200),
	         log_sanitize(name, 100), error->line, error->column,
	         log_sanitize(error->message, 200));
	b->out->target_count = 0;
	b->out->memory_count = 0;
	target_add(b, "INBOX");
	buf_truncate(&b->summary, 0);
	note(b, "keep (script failed)");
	if (!is_personal)
		return;
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	const char *id =
	    pool_printf(b->pool, "%s\n%s\n%s", name, text_hash, error->message);
	digest_sha256_hex(id, strlen(id), hex);
	struct buf report;
	buf_init(&report);
	deliver_mail_report(&b->mail, name, error->line, error->column,
	                    error->message, &report);
	if (report.len > 0) {
		struct deliver_rules_target *t = target_add(b, "INBOX");
		t->report = pool_strndup(b->pool, report.data, report.len);
		t->report_size = report.len;
		t->key = pool_printf(b->pool, "sieve-report/%s", hex);
	}
	buf_deinit(&report);
}

struct run_script {
	struct script_entry *entry;
	const char *name;
	bool is_personal;
};

static void results_apply(struct result_builder *b,
                          const struct sieve_result *result)
{
	for (size_t i = 0; i < result->action_count; i++) {
		if (action_apply(b, &result->actions[i]) < 0) {
			b->out->tempfail = "4.3.0 rules could not send mail";
			return;
		}
	}
	for (size_t i = 0; i < result->duplicate_count; i++)
		memory_add(
		    b, pool_printf(b->pool, "d:%s", result->duplicates[i].key),
		    result->duplicates[i].period);
}

/* Runs the loaded scripts in order and applies the result. */
static void scripts_run(struct result_builder *b, struct run_script *scripts,
                        size_t count)
{
	const struct deliver_rules_input *in = b->in;
	struct tm tm;
	localtime_r(&in->now, &tm);
	struct sieve_mail mail = {
	    .data = b->data,
	    .size = b->size,
	    .full_size = in->env->data_size,
	    .envelope_from = in->env->sender,
	    .envelope_to = in->envelope_to,
	    .user = in->address,
	    .now = in->now,
	    .local_offset = tm.tm_gmtoff,
	};
	struct run_ctx ctx = {.r = b->r, .in = in, .pool = b->pool};
	struct sieve_callbacks cb = {
	    .mailbox_exists = cb_mailbox_exists,
	    .duplicate_seen = cb_duplicate_seen,
	    .include_load = cb_include,
	    .ctx = &ctx,
	};
	struct sieve_run *run = sieve_run_new(&b->r->set.sieve, &mail, &cb);
	struct sieve_error error;
	const struct sieve_result *result;
	size_t i, last = count - 1;
	int ret = 1;
	for (i = 0; i < count && ret > 0; i++) {
		struct script_entry *e = scripts[i].entry;
		last = i;
		if (e->script == NULL) {
			error = e->error;
			ret = -1;
			break;
		}
		ret = sieve_run_script(run, e->script, &error);
		if (ret < 0)
			break;
	}
	if (ret >= 0) {
		/* a conflict of actions is the personal script's if any */
		for (size_t k = 0; k < count; k++)
			if (scripts[k].is_personal)
				last = k;
		ret = sieve_run_finish(run, &result, &error);
	}
	if (ret < 0)
		run_failed(b, scripts[last].name, scripts[last].entry->hash,
		           scripts[last].is_personal, &error);
	else
		results_apply(b, result);
	sieve_run_free(&run);
}

/* Finds the scripts of the recipient: before, personal or the domain's
 * default, after. Returns how many. */
static size_t scripts_load(struct deliver_rules *r,
                           const struct deliver_rules_input *in,
                           struct pool *pool, struct run_script scripts[3])
{
	size_t n = 0;
	struct script_entry *e = global_get(r, "before.sieve", pool);
	if (e != NULL)
		scripts[n++] = (struct run_script){e, "before.sieve", false};
	const char *name, *data;
	size_t size;
	int ret =
	    store_sieve_get_active(in->account, pool, &name, &data, &size);
	if (ret > 0) {
		e = script_get(r, name, data, size);
		scripts[n++] = (struct run_script){e, name, true};
	} else if (ret < 0) {
		log_error(NULL, "rules-script-failed to=<%s> error=%s",
		          log_sanitize(in->address, 200),
		          store_last_error(in->store));
	} else {
		const char *at = strrchr(in->address, '@');
		const char *rel = pool_printf(pool, "domains/%s.sieve",
		                              at != NULL ? at + 1 : "");
		if (at != NULL && strchr(at + 1, '/') == NULL && at[1] != '.' &&
		    (e = global_get(r, rel, pool)) != NULL)
			scripts[n++] = (struct run_script){e, rel, false};
	}
	e = global_get(r, "after.sieve", pool);
	if (e != NULL)
		scripts[n++] = (struct run_script){e, "after.sieve", false};
	return n;
}

void deliver_rules_run(struct deliver_rules *r,
                       const struct deliver_rules_input *in, struct pool *pool,
                       struct deliver_rules_result *out)
{
	struct run_script scripts[3];
	memset(out, 0, sizeof(*out));
	if (!r->set.is_enabled)
		return;
	r->run++;
	size_t count = scripts_load(r, in, pool, scripts);
	if (count == 0)
		return;
	out->has_rules = true;
	const unsigned char *data;
	size_t size;
	int done = store_sieve_delivery_done(in->account, in->delivery_key);
	if (done > 0) {
		out->is_done = true;
		return;
	}
	if (done < 0 || in->message_read(in->ctx, &data, &size) < 0) {
		log_error(NULL, "rules-failed id=%s to=<%s> error=%s",
		          in->env->id, log_sanitize(in->address, 200),
		          done < 0 ? store_last_error(in->store)
		                   : "cannot read the message");
		out->tempfail = "4.3.0 local storage error";
		return;
	}
	struct result_builder b = {
	    .r = r,
	    .in = in,
	    .pool = pool,
	    .out = out,
	    .mail =
	        {
	            .store = in->store,
	            .queue_dir = in->queue_dir,
	            .hostname = r->hostname,
	            .sign = &r->sign,
	            .pool = pool,
	            .now = in->now,
	            .id = in->env->id,
	            .user = in->address,
	            .data_dir = r->data_dir,
	            .authserv_id = r->authserv_id,
	        },
	    .data = data,
	    .size = size,
	    .orig = {.env = in->env, .fd = in->fd, .data = data, .size = size},
	};
	buf_init(&b.summary);
	scripts_run(&b, scripts, count);
	out->summary = pool_strndup(pool, b.summary.data, b.summary.len);
	buf_deinit(&b.summary);
}
