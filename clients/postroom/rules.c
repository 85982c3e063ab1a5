/* postroom rules and postroom vacation: the account's Sieve scripts over
 * ManageSieve (RFC 5804, lib/managesieve/managesieve_client.h). A script
 * is edited in $EDITOR, checked by the server (CHECKSCRIPT) and stored
 * (PUTSCRIPT); a refusal names its line and column. Vacation is the
 * managed block of the active script (lib/rules/sieve_managed.h), the same
 * one postroomctl account vacation and JMAP's VacationResponse write, so
 * the three agree; an account without an active script gets one called
 * SIEVE_MANAGED_SCRIPT, removed again when the block empties it. */
#include "postroom.h"
#include "cal.h"     /* pr_json_print */
#include "compose.h" /* pr_compose_edit */

#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "managesieve/managesieve_client.h"
#include "rules/sieve_managed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RULES_USAGE                                                            \
	"usage: postroom rules [list] | edit [NAME] | activate NAME|--none | " \
	"delete NAME"
#define VACATION_USAGE                                                         \
	"usage: postroom vacation on [--days N] [--subject S] --message TEXT " \
	"| off | (show)"

struct sieve_session {
	struct pr_cli *cli;
	struct tls_stream *stream;
	struct managesieve_client *client;
};

/* The account's ManageSieve endpoint: [sieve], else the incoming host on
 * 4190 with STARTTLS, and the incoming login. */
static struct pr_endpoint sieve_endpoint(const struct pr_account *a)
{
	struct pr_endpoint ep = a->sieve;
	if (ep.host == NULL)
		ep.host = a->incoming.host;
	if (ep.port == 0) {
		ep.port = 4190;
		ep.tls = PR_TLS_STARTTLS;
	}
	if (ep.user == NULL)
		ep.user = a->incoming.user != NULL ? a->incoming.user
		                                   : a->address;
	return ep;
}

/* Connects, starts TLS as the account says and logs in. Returns 0, or
 * prints the problem and returns -1. */
static int session_open(struct sieve_session *s, struct pr_cli *cli)
{
	const char *error, *password;
	struct pr_account *account =
	    pr_config_account(cli->config, cli->account_name, &error);
	s->cli = cli;
	if (account == NULL)
		return pr_fail("%s", error), -1;
	struct pr_endpoint ep = sieve_endpoint(account);
	if (pr_connect(cli->config, account, &ep, cli->pool, &s->stream,
	               &error) < 0)
		return pr_fail("%s", error), -1;
	s->client = managesieve_client_new(s->stream, NULL);
	int ret = managesieve_client_greeting(s->client, &error);
	if (ret == 0 && ep.tls == PR_TLS_STARTTLS) {
		if (managesieve_client_capability(s->client, "STARTTLS") ==
		    NULL) {
			pr_fail("%s:%u: the server offers no STARTTLS", ep.host,
			        ep.port);
			return -1;
		}
		ret = managesieve_client_starttls(s->client, &error);
	}
	if (ret == 0 &&
	    pr_account_password(account, cli->pool, &password, &error) < 0)
		return pr_fail("%s", error), -1;
	if (ret == 0) {
		ret = managesieve_client_login(s->client, ep.user, password,
		                               &error);
		memset((char *)password, 0, strlen(password));
		if (ret == 1)
			return pr_fail("%s:%u: login refused for %s: %s",
			               ep.host, ep.port, ep.user, error), -1;
	}
	if (ret != 0)
		return pr_fail("%s:%u: %s", ep.host, ep.port, error), -1;
	return 0;
}

static void session_close(struct sieve_session *s)
{
	if (s->client != NULL)
		managesieve_client_logout(s->client);
	managesieve_client_free(&s->client);
	tls_stream_free(&s->stream);
}

/* The active script's name (from pool), or NULL. Returns 0 or -1. */
static int active_name(struct sieve_session *s, const char **name_r,
                       const char **error_r)
{
	struct managesieve_script *scripts;
	size_t count;
	*name_r = NULL;
	if (managesieve_client_listscripts(s->client, s->cli->pool, &scripts,
	                                   &count, error_r) != 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (scripts[i].is_active)
			*name_r = scripts[i].name;
	return 0;
}

static int rules_list(struct sieve_session *s)
{
	struct managesieve_script *scripts;
	size_t count;
	const char *error;
	if (managesieve_client_listscripts(s->client, s->cli->pool, &scripts,
	                                   &count, &error) != 0)
		return pr_fail("rules: %s", error);
	json_t *a = s->cli->is_json ? json_array() : NULL;
	for (size_t i = 0; i < count; i++) {
		if (a != NULL)
			json_array_append_new(
			    a, json_pack("{s:s, s:b}", "name", scripts[i].name,
			                 "active", scripts[i].is_active));
		else
			printf("%s%s\n", scripts[i].name,
			       scripts[i].is_active ? " (active)" : "");
	}
	if (a != NULL)
		pr_json_print(a);
	else if (count == 0)
		printf("no scripts\n");
	return 0;
}

/* Asks whether to edit again; false when not interactive. */
static bool ask_again(void)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	printf("Edit again? [Y/n] ");
	fflush(stdout);
	char line[16];
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	return line[0] != 'n' && line[0] != 'N';
}

/* Edits until the server takes the script or the user gives up. */
static int edit_loop(struct sieve_session *s, const char *name,
                     struct pr_draft *draft)
{
	const char *error;
	for (;;) {
		int ret = pr_compose_edit(s->cli->config, draft, s->cli->pool,
		                          &error);
		if (ret < 0)
			return pr_fail("rules: %s", error);
		if (ret == 0) {
			printf("%s: not changed\n", name);
			return 0;
		}
		ret = managesieve_client_checkscript(
		    s->client, draft->text.data, draft->text.len, &error);
		if (ret == 0)
			ret = managesieve_client_putscript(
			    s->client, name, draft->text.data, draft->text.len,
			    &error);
		if (ret == 0) {
			printf("%s: stored\n", name);
			return 0;
		}
		pr_fail("rules: %s: %s", name, error);
		if (ret < 0 || !ask_again())
			return 1;
	}
}

static int rules_edit(struct sieve_session *s, const char *name)
{
	const char *error;
	if (name == NULL && active_name(s, &name, &error) < 0)
		return pr_fail("rules: %s", error);
	if (name == NULL)
		name = SIEVE_MANAGED_SCRIPT;
	struct pr_draft draft;
	pr_draft_init(&draft);
	int ret = managesieve_client_getscript(s->client, name, &draft.text,
	                                       &error);
	const char *code = managesieve_client_last_code(s->client);
	if (ret == 1 && code != NULL && strcmp(code, "NONEXISTENT") == 0)
		ret = 0; /* a new script */
	if (ret != 0) {
		pr_draft_deinit(&draft);
		return pr_fail("rules: %s: %s", name, error);
	}
	buf_append(&draft.written, draft.text.data, draft.text.len);
	ret = edit_loop(s, name, &draft);
	pr_draft_deinit(&draft);
	return ret;
}

static int rules_simple(struct sieve_session *s, const char *verb,
                        const char *name)
{
	const char *error;
	int ret = strcmp(verb, "delete") == 0
	              ? managesieve_client_deletescript(s->client, name, &error)
	              : managesieve_client_setactive(s->client, name, &error);
	if (ret != 0)
		return pr_fail("rules: %s: %s", name[0] != '\0' ? name : "--none",
		               error);
	if (name[0] == '\0')
		printf("no script active\n");
	else
		printf("%s: %s\n", name,
		       strcmp(verb, "delete") == 0 ? "deleted" : "active");
	return 0;
}

int pr_cmd_rules(struct pr_cli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "list";
	const char *name = argc > 2 ? argv[2] : NULL;
	bool is_known = (strcmp(verb, "list") == 0 && argc <= 2) ||
	                (strcmp(verb, "edit") == 0 && argc <= 3) ||
	                ((strcmp(verb, "activate") == 0 ||
	                  strcmp(verb, "delete") == 0) &&
	                 argc == 3);
	if (!is_known) {
		fprintf(stderr, "%s\n", RULES_USAGE);
		return 2;
	}
	if (strcmp(verb, "activate") == 0 && strcmp(name, "--none") == 0)
		name = "";
	struct sieve_session s = { 0 };
	int ret = 1;
	if (session_open(&s, cli) == 0) {
		if (strcmp(verb, "list") == 0)
			ret = rules_list(&s);
		else if (strcmp(verb, "edit") == 0)
			ret = rules_edit(&s, name);
		else
			ret = rules_simple(&s, verb, name);
	}
	session_close(&s);
	return ret;
}

/* ---- vacation -------------------------------------------------------- */

struct vacation_args {
	bool is_on;
	unsigned days;
	const char *subject, *message;
};

static void vacation_change(struct sieve_managed *m, void *ctx)
{
	const struct vacation_args *v = ctx;
	struct sieve_vacation vac = {
		.is_enabled = v->is_on,
		.days = v->days,
		.subject = v->subject,
		.text = v->message,
	};
	sieve_managed_set_vacation(m, &vac);
}

/* The active script (or a new SIEVE_MANAGED_SCRIPT) into text. */
static int vacation_script(struct sieve_session *s, const char **name_r,
                           bool *is_active_r, struct buf *text,
                           const char **error_r)
{
	if (active_name(s, name_r, error_r) < 0)
		return -1;
	*is_active_r = *name_r != NULL;
	if (*name_r == NULL) {
		*name_r = SIEVE_MANAGED_SCRIPT;
		int ret = managesieve_client_getscript(s->client, *name_r,
		                                       text, error_r);
		const char *code = managesieve_client_last_code(s->client);
		return ret == 0 || (ret == 1 && code != NULL &&
		                    strcmp(code, "NONEXISTENT") == 0)
		           ? 0 : -1;
	}
	return managesieve_client_getscript(s->client, *name_r, text,
	                                    error_r) == 0 ? 0 : -1;
}

static int vacation_show(struct sieve_session *s, const char *name,
                         const struct buf *text)
{
	struct sieve_managed m;
	struct sieve_vacation v = { 0 };
	size_t start, end;
	struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	sieve_managed_init(&m);
	if (sieve_managed_find(text->data != NULL ? text->data : "", &start,
	                       &end, &m))
		(void)sieve_managed_get_vacation(&m, &set, s->cli->pool, &v);
	sieve_managed_deinit(&m);
	if (s->cli->is_json) {
		json_t *o = json_pack("{s:b}", "enabled", v.is_enabled);
		if (v.is_enabled) {
			json_object_set_new(o, "script", json_string(name));
			json_object_set_new(o, "days", json_integer(v.days));
			json_object_set_new(o, "subject",
			                    v.subject != NULL
			                        ? json_string(v.subject)
			                        : json_null());
			json_object_set_new(o, "message",
			                    v.text != NULL ? json_string(v.text)
			                                   : json_null());
		}
		pr_json_print(o);
	} else if (v.is_enabled) {
		printf("vacation: on (script %s)\ndays: %u\n", name, v.days);
		if (v.subject != NULL)
			printf("subject: %s\n", v.subject);
		printf("\n%s\n", v.text != NULL ? v.text : "");
	} else {
		printf("vacation: off\n");
	}
	return 0;
}

/* Writes the changed script back: stores and activates it, or removes
 * SIEVE_MANAGED_SCRIPT when nothing is left of it. */
static int vacation_store(struct sieve_session *s, const char *name,
                          bool is_active, const struct buf *out,
                          const char **error_r)
{
	if (strcmp(name, SIEVE_MANAGED_SCRIPT) == 0 &&
	    sieve_managed_is_empty(out->data != NULL ? out->data : "",
	                           out->len)) {
		if (is_active &&
		    managesieve_client_setactive(s->client, "", error_r) != 0)
			return -1;
		int ret = managesieve_client_deletescript(s->client, name,
		                                          error_r);
		const char *code = managesieve_client_last_code(s->client);
		return ret == 0 || (ret == 1 && code != NULL &&
		                    strcmp(code, "NONEXISTENT") == 0)
		           ? 0 : -1;
	}
	if (managesieve_client_putscript(s->client, name, out->data, out->len,
	                                 error_r) != 0)
		return -1;
	if (!is_active &&
	    managesieve_client_setactive(s->client, name, error_r) != 0)
		return -1;
	return 0;
}

static int vacation_update(struct sieve_session *s,
                           const struct vacation_args *v)
{
	const char *name, *error;
	bool is_active;
	struct buf text, out;
	buf_init(&text);
	buf_init(&out);
	int ret = vacation_script(s, &name, &is_active, &text, &error);
	if (ret == 0 && v == NULL) {
		ret = vacation_show(s, name, &text);
	} else if (ret == 0) {
		struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
		struct sieve_error serr;
		buf_append_char(&text, '\0');
		if (sieve_managed_rewrite(name, text.data, text.len - 1,
		                          vacation_change, (void *)v, &set,
		                          &out, &serr) < 0) {
			error = serr.line == 0
			            ? pool_strdup(s->cli->pool, serr.message)
			            : pool_printf(s->cli->pool, "%s:%u:%u: %s",
			                          name, serr.line, serr.column,
			                          serr.message);
			ret = -1;
		} else {
			ret = vacation_store(s, name, is_active, &out, &error);
		}
		if (ret == 0)
			printf("vacation %s\n", v->is_on ? "on" : "off");
	}
	buf_deinit(&text);
	buf_deinit(&out);
	return ret < 0 ? pr_fail("vacation: %s", error) : 0;
}

static int vacation_options(int argc, char **argv, struct vacation_args *v)
{
	for (int i = 0; i < argc; i += 2) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		if (val == NULL)
			return -1;
		if (strcmp(argv[i], "--days") == 0) {
			v->days = (unsigned)strtoul(val, &end, 10);
			if (*end != '\0' || v->days == 0 || v->days > 365)
				return -1;
		} else if (strcmp(argv[i], "--subject") == 0) {
			v->subject = val;
		} else if (strcmp(argv[i], "--message") == 0) {
			v->message = val;
		} else {
			return -1;
		}
	}
	return v->message != NULL ? 0 : -1;
}

int pr_cmd_vacation(struct pr_cli *cli, int argc, char **argv)
{
	struct vacation_args v = { .is_on = true, .days = 7 };
	struct vacation_args off = { .is_on = false };
	const struct vacation_args *change = NULL;
	if (argc >= 2 && strcmp(argv[1], "on") == 0 &&
	    vacation_options(argc - 2, argv + 2, &v) == 0)
		change = &v;
	else if (argc == 2 && strcmp(argv[1], "off") == 0)
		change = &off;
	else if (argc > 2 || (argc == 2 && strcmp(argv[1], "show") != 0)) {
		fprintf(stderr, "%s\n", VACATION_USAGE);
		return 2;
	}
	struct sieve_session s = { 0 };
	int ret = 1;
	if (session_open(&s, cli) == 0)
		ret = vacation_update(&s, change);
	session_close(&s);
	return ret;
}
