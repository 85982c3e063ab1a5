/* postroom: the terminal mail client. With no subcommand it opens the
 * full-screen interface; every action is also a subcommand for scripts
 * (postroom.h lists them), with --json for machine-readable output. */
#include "postroom.h"
#include "cal.h"  /* pr_cmd_cal, pr_cmd_tasks, pr_cmd_journal */
#include "mail.h" /* pr_cmd_import */

#include "core/pool.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	pr_cmd_fn *fn;
	const char *usage;
} commands[] = {
	{ "account", pr_cmd_account, "account add|list|test|remove [NAME]" },
	{ "sync", pr_cmd_sync,
	  "sync [--idle|--dav]   send the Outbox, then receive" },
	{ "send", pr_cmd_send,
	  "send --to ADDR [--cc ADDR] --subject S [--attach FILE]... "
	  "[--body-file FILE|-]" },
	{ "compose", pr_cmd_compose, "compose   write a new message in $EDITOR" },
	{ "reply", pr_cmd_compose, "reply UID [--mailbox M]" },
	{ "reply-all", pr_cmd_compose, "reply-all UID [--mailbox M]" },
	{ "forward", pr_cmd_compose, "forward UID [--mailbox M] [--to ADDR]" },
	{ "list", pr_cmd_list, "list [--mailbox M] [--threads] [--unread]" },
	{ "read", pr_cmd_read,
	  "read UID [--mailbox M] [--raw] [--save N --to PATH] "
	  "[--save-all DIR]" },
	{ "search", pr_cmd_search, "search TEXT [--mailbox M]" },
	{ "import", pr_cmd_import, "import FILE... [--mailbox M]   .eml files" },
	{ "mailboxes", pr_cmd_mailboxes, "mailboxes" },
	{ "flag", pr_cmd_flag, "flag UID +seen|-seen|+flagged|-flagged|..." },
	{ "move", pr_cmd_move, "move UID MAILBOX [--mailbox M]" },
	{ "delete", pr_cmd_delete, "delete UID [--mailbox M]" },
	{ "contacts", pr_cmd_contacts,
	  "contacts add|list|search|edit|delete|import|export ..." },
	{ "cal", pr_cmd_cal,
	  "cal [agenda|day|week|month [DATE]] | add | edit | delete | show | "
	  "calendars | invitations | accept|decline|tentative|apply MSG | "
	  "accept|decline|tentative --event UID | "
	  "freebusy ADDRESS" },
	{ "tasks", pr_cmd_tasks,
	  "tasks [list [--all]] | add SUMMARY [--due T] [--priority N] | "
	  "complete|reopen|delete UID | due UID T|none | priority UID N" },
	{ "journal", pr_cmd_journal,
	  "journal [list] | add [--date D] | show|edit|delete DATE|UID" },
	{ "rules", pr_cmd_rules,
	  "rules [list] | edit [NAME] | activate NAME|--none | delete NAME" },
	{ "vacation", pr_cmd_vacation,
	  "vacation on [--days N] [--subject S] --message TEXT | off | show" },
	{ "ui", pr_cmd_ui, "ui   the full-screen interface (the default)" },
};

int pr_vfail(const char *fmt, va_list ap)
{
	fputs("postroom: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return 1;
}

int pr_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pr_vfail(fmt, ap);
	va_end(ap);
	return 1;
}

static int usage(void)
{
	fputs("usage: postroom [--account NAME] [--json] [COMMAND ...]\n",
	      stderr);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  postroom %s\n", commands[i].usage);
	return 2;
}

int main(int argc, char **argv)
{
	struct pr_cli cli = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli.is_json = true;
		else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			cli.account_name = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 ||
		         strcmp(argv[i], "-h") == 0)
			return usage();
		else
			return usage();
	}
	const char *name = i < argc ? argv[i] : "ui";
	pr_cmd_fn *fn = NULL;
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(commands[c].name, name) == 0)
			fn = commands[c].fn;
	if (fn == NULL)
		return usage();

	/* A server that hangs up must give an error, not kill us (OpenSSL
	 * writes can raise SIGPIPE). */
	signal(SIGPIPE, SIG_IGN);
	struct pr_config config;
	struct pool *pool = pool_new();
	const char *error;
	if (pr_config_load(&config, pool, &error) < 0) {
		pool_free(&pool);
		return pr_fail("%s", error);
	}
	cli.config = &config;
	cli.pool = pool;
	/* Subcommands see argv from their own name on: argv[0] is "reply". */
	int ret = i < argc ? fn(&cli, argc - i, argv + i)
	                   : fn(&cli, 1, (char *[]){ (char *)"ui", NULL });
	pr_config_free(&config);
	pool_free(&pool);
	return ret;
}
