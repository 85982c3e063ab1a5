/* postroomctl account sieve|vacation|forward: an account's Sieve scripts
 * (RFC 5804's model: named scripts, one active), each checked by lib/rules
 * before it is stored, with errors named by line and column; and the two
 * rules people ask for most as simple settings. Vacation and forwarding
 * are not stored apart: they are a block of Sieve in the active script,
 * between two marker comments, right after the script's own requires,
 * so ManageSieve, the webmail and this tool all see one truth. A script
 * made only for them is called "postroom". */
#include "core/buf.h"
#include "core/pool.h"
#include "postroomctl.h"
#include "rules/sieve.h"
#include "store/store.h"
#include "store/store_sieve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BEGIN                                                            \
	"# BEGIN postroom settings (postroomctl account vacation|forward)\n"
#define BLOCK_END "# END postroom settings\n"
#define SECTION_FORWARD "# forward\n"
#define SECTION_VACATION "# vacation\n"
#define OWN_SCRIPT "postroom"
#define SIEVE_USAGE                                                            \
	"account sieve list|deactivate ADDRESS | put ADDRESS NAME [FILE] | "   \
	"get|activate|del ADDRESS NAME | rename ADDRESS OLD NEW | check FILE"

static void sieve_settings_get(const struct ctl *ctl,
                               struct sieve_settings *set)
{
	*set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set->max_script_size =
	    (size_t)ctl->settings.deliver.sieve_max_script_size;
}

/* Reads all of path ("-" or NULL: stdin) into out. Returns 0 or -1. */
static int text_read(const char *path, struct buf *out)
{
	FILE *f =
	    path == NULL || strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	int ret = ferror(f) ? -1 : 0;
	if (f != stdin)
		fclose(f);
	return ret;
}

/* Compiles text; prints "name:line:column: message" on failure. Returns
 * 0 or -1. */
static int script_check(const struct ctl *ctl, const char *name,
                        const char *text, size_t size)
{
	struct sieve_settings set;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	sieve_settings_get(ctl, &set);
	if (sieve_compile((const unsigned char *)text, size, name, &set,
	                  &script, &error) < 0) {
		ctl_error(ctl, "%s:%u:%u: %s", name, error.line, error.column,
		          error.message);
		return -1;
	}
	sieve_script_free(&script);
	return 0;
}

static struct store_account *
account_open(const struct ctl *ctl, struct store *store, const char *address)
{
	struct store_account *account;
	const char *error;
	if (store_account_open(store, address, &account, &error) < 0) {
		ctl_error(ctl, "%s '%s'", error, address);
		return NULL;
	}
	return account;
}

static void list_cb(const struct store_sieve_script *s, void *ctx)
{
	printf("%-32s %8zu %s\n", s->name, s->size,
	       s->is_active ? "active" : "");
}

/* account sieve put ADDRESS NAME [FILE]: args are NAME [FILE] */
static int sieve_put(struct ctl *ctl, struct store_account *account, int argc,
                     char **argv)
{
	const char *error;
	struct buf text;
	if (argc < 1 || argc > 2)
		return ctl_usage(ctl, "account sieve put ADDRESS NAME [FILE]");
	const char *name = argv[0];
	if (!store_sieve_name_is_valid(name))
		return ctl_error(ctl, "invalid script name '%s'", name);
	buf_init(&text);
	int ret = CTL_EXIT_FAIL;
	if (text_read(argc == 2 ? argv[1] : NULL, &text) < 0)
		ctl_error(ctl, "cannot read %s", argc == 2 ? argv[1] : "stdin");
	else if (script_check(ctl, name, text.data, text.len) < 0)
		;
	else if (store_sieve_put(account, name, text.data, text.len, time(NULL),
	                         &error) < 0)
		ctl_error(ctl, "%s", error);
	else
		ret = CTL_EXIT_OK;
	buf_deinit(&text);
	if (ret == CTL_EXIT_OK)
		printf("script %s stored\n", name);
	return ret;
}

/* One verb of "account sieve VERB ADDRESS ARGS...", with the args. */
static int sieve_verb(struct ctl *ctl, struct store_account *account,
                      const char *verb, int argc, char **argv)
{
	const char *error = NULL, *data;
	struct pool *pool = pool_new();
	size_t size;
	int ret = CTL_EXIT_OK;
	if (strcmp(verb, "list") == 0 && argc == 0) {
		if (store_sieve_list(account, list_cb, NULL) < 0)
			ret = ctl_error(ctl, "cannot list scripts");
	} else if (strcmp(verb, "put") == 0) {
		ret = sieve_put(ctl, account, argc, argv);
	} else if (strcmp(verb, "get") == 0 && argc == 1) {
		if (store_sieve_get(account, argv[0], pool, &data, &size) <= 0)
			ret = ctl_error(ctl, "no such script '%s'", argv[0]);
		else
			fwrite(data, 1, size, stdout);
	} else if (strcmp(verb, "activate") == 0 && argc == 1) {
		if (store_sieve_activate(account, argv[0], &error) < 0)
			ret = ctl_error(ctl, "%s '%s'", error, argv[0]);
		else
			printf("script %s active\n", argv[0]);
	} else if (strcmp(verb, "deactivate") == 0 && argc == 0) {
		if (store_sieve_activate(account, NULL, &error) < 0)
			ret = ctl_error(ctl, "%s", error);
		else
			printf("no script active\n");
	} else if (strcmp(verb, "del") == 0 && argc == 1) {
		if (store_sieve_delete(account, argv[0], &error) < 0)
			ret = ctl_error(ctl, "%s '%s'", error, argv[0]);
		else
			printf("script %s deleted\n", argv[0]);
	} else if (strcmp(verb, "rename") == 0 && argc == 2) {
		if (store_sieve_rename(account, argv[0], argv[1], &error) < 0)
			ret = ctl_error(ctl, "%s '%s'", error, argv[0]);
		else
			printf("script %s renamed %s\n", argv[0], argv[1]);
	} else {
		ret = ctl_usage(ctl, SIEVE_USAGE);
	}
	pool_free(&pool);
	return ret;
}

int cmd_account_sieve(struct ctl *ctl, struct store *store, int argc,
                      char **argv)
{
	/* argv: "sieve" VERB (ADDRESS ARGS... | FILE for check) */
	ctl->cmd = "account sieve";
	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		struct buf text;
		buf_init(&text);
		int ret = CTL_EXIT_OK;
		if (text_read(argv[2], &text) < 0)
			ret = ctl_error(ctl, "cannot read %s", argv[2]);
		else if (script_check(ctl, argv[2], text.data, text.len) < 0)
			ret = CTL_EXIT_FAIL;
		else
			printf("%s: ok\n", argv[2]);
		buf_deinit(&text);
		return ret;
	}
	if (argc < 3)
		return ctl_usage(ctl, SIEVE_USAGE);
	struct store_account *account = account_open(ctl, store, argv[2]);
	if (account == NULL)
		return CTL_EXIT_FAIL;
	int ret = sieve_verb(ctl, account, argv[1], argc - 3, argv + 3);
	store_account_close(&account);
	return ret;
}

/* ---- the settings block ---- */

struct managed {
	struct buf forward, vacation; /* the sections' commands */
	bool has_forward, has_vacation;
};

static void managed_init(struct managed *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->forward);
	buf_init(&m->vacation);
}

static void managed_deinit(struct managed *m)
{
	buf_deinit(&m->forward);
	buf_deinit(&m->vacation);
}

/* Finds the block in text: [*start_r, *end_r) and its sections. Returns
 * true if there is one. */
static bool block_find(const char *text, size_t *start_r, size_t *end_r,
                       struct managed *m)
{
	const char *begin = strstr(text, BLOCK_BEGIN);
	const char *end = begin != NULL ? strstr(begin, BLOCK_END) : NULL;
	if (begin == NULL || end == NULL)
		return false;
	*start_r = (size_t)(begin - text);
	*end_r = (size_t)(end - text) + strlen(BLOCK_END);
	struct buf *section = NULL;
	for (const char *p = begin + strlen(BLOCK_BEGIN); p < end;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);
		if (strncmp(p, SECTION_FORWARD, len) == 0) {
			section = &m->forward;
			m->has_forward = true;
		} else if (strncmp(p, SECTION_VACATION, len) == 0) {
			section = &m->vacation;
			m->has_vacation = true;
		} else if (section != NULL) {
			buf_append(section, p, len);
		}
		p += len;
	}
	return true;
}

/* The block for the sections in m ("" when both are off). */
static void block_build(const struct managed *m, struct buf *out)
{
	if (!m->has_forward && !m->has_vacation)
		return;
	bool copy = m->has_forward && strstr(m->forward.data, ":copy") != NULL;
	buf_append_str(out, BLOCK_BEGIN);
	if (copy || m->has_vacation)
		buf_printf(out, "require [%s%s%s];\n", copy ? "\"copy\"" : "",
		           copy && m->has_vacation ? ", " : "",
		           m->has_vacation ? "\"vacation\"" : "");
	if (m->has_forward)
		buf_printf(out, SECTION_FORWARD "%s", m->forward.data);
	if (m->has_vacation)
		buf_printf(out, SECTION_VACATION "%s", m->vacation.data);
	buf_append_str(out, BLOCK_END);
}

/* Appends str as a Sieve quoted string (RFC 5228 §2.4.2). */
static void sieve_quote(struct buf *out, const char *str)
{
	buf_append_char(out, '"');
	for (const char *p = str; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	buf_append_char(out, '"');
}

/* Puts block into rest (the script without its old block) just after
 * its own requires, into text. Returns 0, or -1 after saying why. */
static int block_place(const struct ctl *ctl, const char *name,
                       const struct buf *rest, const struct buf *block,
                       struct buf *text)
{
	struct sieve_settings set;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	sieve_settings_get(ctl, &set);
	if (sieve_compile((const unsigned char *)rest->data, rest->len, name,
	                  &set, &script, &error) < 0) {
		ctl_error(ctl,
		          "the active script %s does not compile (%u:%u: %s)",
		          name, error.line, error.column, error.message);
		return -1;
	}
	size_t at = sieve_script_require_end(script);
	sieve_script_free(&script);
	buf_append(text, rest->data, at);
	if (at > 0 && block->len > 0)
		buf_append_char(text, '\n');
	buf_append(text, block->data, block->len);
	const char *tail = rest->data + at;
	if (at > 0 && block->len > 0 && *tail == '\n')
		tail++;
	buf_append_str(text, tail);
	return script_check(ctl, name, text->data, text->len);
}

/* Stores text as script name and makes it active; a script of the tool's
 * own left empty is removed instead. Returns 0, or -1 after saying why. */
static int script_store(const struct ctl *ctl, struct store_account *account,
                        const char *name, const struct buf *text)
{
	const char *error;
	bool is_empty = strspn(text->data, " \t\r\n") == text->len;
	if (is_empty && strcmp(name, OWN_SCRIPT) == 0) {
		if (store_sieve_activate(account, NULL, &error) < 0 ||
		    (store_sieve_delete(account, name, &error) < 0 &&
		     strcmp(error, "no such script") != 0)) {
			ctl_error(ctl, "%s", error);
			return -1;
		}
	} else if (store_sieve_put(account, name, text->data, text->len,
	                           time(NULL), &error) < 0 ||
	           store_sieve_activate(account, name, &error) < 0) {
		ctl_error(ctl, "%s", error);
		return -1;
	}
	return 0;
}

/* Rewrites the account's active script with the sections of m changed by
 * change (called with the current sections). Returns an exit status. */
static int managed_update(struct ctl *ctl, struct store_account *account,
                          void (*change)(struct managed *m, void *ctx),
                          void *ctx)
{
	struct pool *pool = pool_new();
	const char *name = OWN_SCRIPT, *data = "";
	size_t size = 0, start = 0, end = 0;
	struct managed m;
	struct buf rest, text, block;
	int ret = CTL_EXIT_FAIL;
	managed_init(&m);
	buf_init(&rest);
	buf_init(&text);
	buf_init(&block);
	if (store_sieve_get_active(account, pool, &name, &data, &size) < 0) {
		ctl_error(ctl, "cannot read the active script");
		goto out;
	}
	if (block_find(data, &start, &end, &m)) {
		buf_append(&rest, data, start);
		buf_append_str(&rest, data + end);
	} else {
		buf_append(&rest, data, size);
	}
	change(&m, ctx);
	block_build(&m, &block);
	if (block_place(ctl, name, &rest, &block, &text) == 0 &&
	    script_store(ctl, account, name, &text) == 0)
		ret = CTL_EXIT_OK;
out:
	managed_deinit(&m);
	buf_deinit(&rest);
	buf_deinit(&text);
	buf_deinit(&block);
	pool_free(&pool);
	return ret;
}

/* Prints the section of the active script, or "off". */
static int managed_show(struct store_account *account, bool is_vacation)
{
	struct pool *pool = pool_new();
	const char *name, *data;
	size_t size, start, end;
	struct managed m;
	managed_init(&m);
	if (store_sieve_get_active(account, pool, &name, &data, &size) > 0 &&
	    block_find(data, &start, &end, &m) &&
	    (is_vacation ? m.has_vacation : m.has_forward))
		printf("%s: on (script %s)\n%s",
		       is_vacation ? "vacation" : "forward", name,
		       is_vacation ? m.vacation.data : m.forward.data);
	else
		printf("%s: off\n", is_vacation ? "vacation" : "forward");
	managed_deinit(&m);
	pool_free(&pool);
	return CTL_EXIT_OK;
}

struct vacation_args {
	bool is_on;
	unsigned days;
	const char *subject, *from, *addresses;
	const char *message;
};

static void vacation_change(struct managed *m, void *ctx)
{
	const struct vacation_args *v = ctx;
	buf_truncate(&m->vacation, 0);
	m->has_vacation = v->is_on;
	if (!v->is_on)
		return;
	buf_printf(&m->vacation, "vacation :days %u", v->days);
	if (v->subject != NULL) {
		buf_append_str(&m->vacation, " :subject ");
		sieve_quote(&m->vacation, v->subject);
	}
	if (v->from != NULL) {
		buf_append_str(&m->vacation, " :from ");
		sieve_quote(&m->vacation, v->from);
	}
	if (v->addresses != NULL) {
		buf_append_str(&m->vacation, " :addresses [");
		char *list = strdup(v->addresses), *save;
		int n = 0;
		for (char *a = strtok_r(list, ", ", &save); a != NULL;
		     a = strtok_r(NULL, ", ", &save)) {
			if (n++ > 0)
				buf_append_str(&m->vacation, ", ");
			sieve_quote(&m->vacation, a);
		}
		free(list);
		buf_append_char(&m->vacation, ']');
	}
	buf_append_str(&m->vacation, "\n  ");
	sieve_quote(&m->vacation, v->message);
	buf_append_str(&m->vacation, ";\n");
}

#define VACATION_USAGE                                                         \
	"account vacation ADDRESS [on [--days N] [--subject TEXT] "            \
	"[--from ADDRESS] [--addresses A,B] [--message TEXT] | off]"

/* The options after "on" (argv[0] is the first); the text goes into
 * message when it comes from stdin. Returns an exit status. */
static int vacation_options(struct ctl *ctl, int argc, char **argv,
                            struct vacation_args *v, struct buf *message)
{
	for (int i = 0; i < argc; i += 2) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return ctl_usage(ctl, VACATION_USAGE);
		else if (strcmp(opt, "--days") == 0)
			v->days = (unsigned)strtoul(val, NULL, 10);
		else if (strcmp(opt, "--subject") == 0)
			v->subject = val;
		else if (strcmp(opt, "--from") == 0)
			v->from = val;
		else if (strcmp(opt, "--addresses") == 0)
			v->addresses = val;
		else if (strcmp(opt, "--message") == 0)
			v->message = val;
		else
			return ctl_usage(ctl, VACATION_USAGE);
	}
	if (v->message == NULL) {
		if (isatty(STDIN_FILENO) || text_read(NULL, message) < 0)
			return ctl_error(ctl, "give --message or the text on "
			                      "stdin");
		while (message->len > 0 &&
		       (message->data[message->len - 1] == '\n' ||
		        message->data[message->len - 1] == '\r'))
			buf_truncate(message, message->len - 1);
		v->message = message->data;
	}
	if (v->days == 0)
		return ctl_error(ctl, "--days must be 1 or more");
	if (v->from != NULL && !store_address_is_valid(v->from))
		return ctl_error(ctl, "invalid address '%s'", v->from);
	return CTL_EXIT_OK;
}

int cmd_account_vacation(struct ctl *ctl, struct store *store, int argc,
                         char **argv)
{
	struct vacation_args v = {.is_on = true, .days = 7};
	struct buf message;
	if (argc < 2)
		return ctl_usage(ctl, VACATION_USAGE);
	struct store_account *account = account_open(ctl, store, argv[1]);
	if (account == NULL)
		return CTL_EXIT_FAIL;
	int ret = CTL_EXIT_USAGE;
	buf_init(&message);
	if (argc == 2)
		ret = managed_show(account, true);
	else if (strcmp(argv[2], "off") == 0 && argc == 3)
		ret = managed_update(ctl, account, vacation_change,
		                     &(struct vacation_args){.is_on = false});
	else if (strcmp(argv[2], "on") == 0 &&
	         (ret = vacation_options(ctl, argc - 3, argv + 3, &v,
	                                 &message)) == CTL_EXIT_OK)
		ret = managed_update(ctl, account, vacation_change, &v);
	else if (strcmp(argv[2], "on") != 0)
		ret = ctl_usage(ctl, VACATION_USAGE);
	if (ret == CTL_EXIT_OK && argc > 2)
		printf("vacation of %s %s\n", argv[1],
		       strcmp(argv[2], "on") == 0 ? "on" : "off");
	buf_deinit(&message);
	store_account_close(&account);
	return ret;
}

struct forward_args {
	char **targets;
	int count;
	bool copy;
};

static void forward_change(struct managed *m, void *ctx)
{
	const struct forward_args *f = ctx;
	buf_truncate(&m->forward, 0);
	m->has_forward = f->count > 0;
	for (int i = 0; i < f->count; i++) {
		buf_append_str(&m->forward,
		               f->copy ? "redirect :copy " : "redirect ");
		sieve_quote(&m->forward, f->targets[i]);
		buf_append_str(&m->forward, ";\n");
	}
}

int cmd_account_forward(struct ctl *ctl, struct store *store, int argc,
                        char **argv)
{
	static const char usage[] =
	    "account forward ADDRESS [TARGET... [--no-copy] | off]";
	struct forward_args f = {.copy = true};
	if (argc < 2)
		return ctl_usage(ctl, usage);
	struct store_account *account = account_open(ctl, store, argv[1]);
	if (account == NULL)
		return CTL_EXIT_FAIL;
	if (argc == 2) {
		int ret = managed_show(account, false);
		store_account_close(&account);
		return ret;
	}
	char *targets[16];
	int ret = CTL_EXIT_OK;
	f.targets = targets;
	if (!(argc == 3 && strcmp(argv[2], "off") == 0)) {
		for (int i = 2; i < argc && ret == CTL_EXIT_OK; i++) {
			if (strcmp(argv[i], "--no-copy") == 0)
				f.copy = false;
			else if (!store_address_is_valid(argv[i]))
				ret = ctl_error(ctl, "invalid address '%s'",
				                argv[i]);
			else if (strcasecmp(argv[i], argv[1]) == 0)
				ret = ctl_error(ctl,
				                "'%s' would forward to "
				                "itself",
				                argv[i]);
			else if (f.count == 16)
				ret = ctl_error(ctl, "at most 16 targets");
			else
				targets[f.count++] = argv[i];
		}
		if (ret == CTL_EXIT_OK && f.count == 0)
			ret = ctl_usage(ctl, usage);
	}
	if (ret == CTL_EXIT_OK)
		ret = managed_update(ctl, account, forward_change, &f);
	if (ret == CTL_EXIT_OK && f.count == 0)
		printf("forwarding of %s off\n", argv[1]);
	else if (ret == CTL_EXIT_OK)
		printf("forwarding of %s to %d address%s%s\n", argv[1], f.count,
		       f.count > 1 ? "es" : "",
		       f.copy ? ", keeping a copy" : "");
	store_account_close(&account);
	return ret;
}
