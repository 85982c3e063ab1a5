/* postroomctl: administration of a Postroom installation from the shell:
 * domains, accounts (with their delivery rules), aliases, the queue, the
 * effective configuration, the DNS records a domain should publish, and
 * calendars and address books.
 * It reads the same config file as the servers (-c FILE, else
 * $POSTROOM_CONF, else the built-in defaults) and works on the store
 * directly, as the data folder's owner. */
#include "core/buf.h"
#include "core/pool.h"
#include "postroomctl.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: postroomctl [-c FILE] COMMAND ...\n"
    "  domain add|del NAME       domain list\n"
    "  account add ADDRESS [--quota SIZE]\n"
    "  account passwd|del ADDRESS\n"
    "  account quota ADDRESS SIZE\n"
    "  account list\n"
    "  account expiry ADDRESS [MAILBOX DAYS|never|default]\n"
    "  account sieve list|deactivate ADDRESS\n"
    "  account sieve put ADDRESS NAME [FILE]  (checked; FILE or stdin)\n"
    "  account sieve get|activate|del ADDRESS NAME\n"
    "  account sieve rename ADDRESS OLD NEW    account sieve check FILE\n"
    "  account vacation ADDRESS [on [--days N] [--subject TEXT] [--from A]\n"
    "      [--addresses A,B] [--message TEXT] | off]  (text on stdin)\n"
    "  account forward ADDRESS [TARGET... [--no-copy] | off]\n"
    "  alias add SOURCE TARGET...  (SOURCE @domain is a catch-all)\n"
    "  alias del SOURCE [TARGET]   alias list\n"
    "  queue list | flush\n"
    "  queue show|hold|release|delete QUEUE-ID\n"
    "  config\n"
    "  dkim rotate DOMAIN          dkim list [DOMAIN]\n"
    "  dns [--address IP]... DOMAIN  (records to publish, zone-file form)\n"
    "  dns check DOMAIN            (are they published?)\n"
    "  token create ACCOUNT [--name NAME] [--days N]\n"
    "  token list ACCOUNT          token revoke ACCOUNT ID|all\n"
    "  dav list ACCOUNT\n"
    "  dav share OWNER COLLECTION GRANTEE read|read-write\n"
    "  dav unshare OWNER COLLECTION GRANTEE\n"
    "  dav export ACCOUNT COLLECTION [FILE]  (one .ics or .vcf stream)\n"
    "  dav directory ACCOUNT [--name NAME] [--hide|--show]\n"
    "  report send-now             (DMARC and TLS-RPT reports now)\n"
    "Passwords are read from stdin when it is not a terminal.\n";

static const struct {
	const char *name;
	ctl_cmd_func *func;
} commands[] = {
    {"domain", cmd_domain}, {"account", cmd_account}, {"alias", cmd_alias},
    {"queue", cmd_queue},   {"config", cmd_config},   {"dns", cmd_dns},
    {"dkim", cmd_dkim},     {"token", cmd_token},     {"dav", cmd_dav},
    {"report", cmd_report},
};

static int usage(void)
{
	fputs(usage_text, stderr);
	return CTL_EXIT_USAGE;
}

/* Global options: -c FILE, -h. Returns the index of the command word, or
 * -1 for a usage error. */
static int parse_options(int argc, char **argv, const char **config_r)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			*config_r = argv[++i];
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			*config_r = argv[i] + 2;
		else
			return -1;
	}
	return i;
}

static int run(struct ctl *ctl, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			ctl->cmd = commands[i].name;
			return commands[i].func(ctl, argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "postroomctl: unknown command '%s'\n", argv[0]);
	return usage();
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int first = parse_options(argc, argv, &config);
	if (first < 0 || first >= argc)
		return usage();
	if (strcmp(argv[first], "help") == 0) {
		fputs(usage_text, stdout);
		return CTL_EXIT_OK;
	}

	struct ctl ctl = {.cmd = "config"};
	struct pool *pool = pool_new();
	const char *error;
	settings_init(&ctl.settings);
	int ret;
	if (settings_load(&ctl.settings, config, pool, &error) < 0) {
		ret = ctl_error(&ctl, "%s", error);
	} else {
		ret = run(&ctl, argc - first, argv + first);
	}
	store_close(&ctl.store);
	settings_deinit(&ctl.settings);
	pool_free(&pool);
	return ret;
}
