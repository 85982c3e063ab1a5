/* postroom account: add (asking for what it must, finding the servers,
 * testing the login, saving), list, test and remove. Finding the servers
 * follows what mail clients do (RFC 6186 §3 and RFC 8314 §5.1 SRV records,
 * then the Thunderbird autoconfig file, then common names and ports); the
 * first that answers wins, and the user can name the servers instead. */
#include "postroom.h"
#include "discover.h"
#include "sync_dav.h"

#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "core/tls_stream.h"
#include "imap/imap_client.h"
#include "pop3/pop3_client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads one line from the terminal into a pool string; with is_secret the
 * echo is off (the password). Returns NULL at end of input. */
static const char *prompt(const char *question, bool is_secret,
                          struct pool *pool)
{
	struct termios old, quiet;
	bool is_tty = isatty(STDIN_FILENO);
	fputs(question, stderr);
	fflush(stderr);
	if (is_secret && is_tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char line[1024];
	char *got = fgets(line, sizeof(line), stdin);
	if (is_secret && is_tty)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	/* the terminal echoed the user's Enter, except with echo off; from
	 * a pipe nothing was echoed at all */
	if (is_secret || !is_tty)
		fputc('\n', stderr);
	if (got == NULL)
		return NULL;
	line[strcspn(line, "\r\n")] = '\0';
	const char *value = pool_strdup(pool, line);
	explicit_bzero(line, sizeof(line));
	return value;
}

/* "host[:port[:tls]]" into ep. Returns 0 or -1. */
static int endpoint_parse(const char *spec, struct pr_endpoint *ep,
                          unsigned port_implicit, unsigned port_plain)
{
	char *copy = xstrdup(spec);
	char *tls = NULL, *port = strchr(copy, ':');
	if (port != NULL) {
		*port++ = '\0';
		tls = strchr(port, ':');
		if (tls != NULL)
			*tls++ = '\0';
	}
	int ret = copy[0] == '\0' ? -1 : 0;
	ep->tls = PR_TLS_IMPLICIT;
	if (tls != NULL && pr_tls_parse(tls, &ep->tls) < 0)
		ret = -1;
	char *end = NULL;
	unsigned long n = port != NULL ? strtoul(port, &end, 10) : 0;
	if (port != NULL && (*end != '\0' || n == 0 || n > 65535))
		ret = -1;
	ep->port = n != 0 ? (unsigned)n
	         : ep->tls == PR_TLS_IMPLICIT ? port_implicit : port_plain;
	free(ep->host);
	ep->host = xstrdup(copy);
	free(copy);
	return ret;
}

/* Logs in to the incoming server and out again. */
static int check_incoming(const struct pr_config *config,
                          const struct pr_account *account,
                          const char *password, struct pool *pool,
                          const char **error_r)
{
	struct tls_stream *s;
	const struct pr_endpoint *ep = &account->incoming;
	const char *user = ep->user != NULL ? ep->user : account->address;
	if (pr_connect(config, account, ep, pool, &s, error_r) < 0)
		return -1;
	const char *error = NULL;
	int ret = -1;
	if (account->proto == PR_PROTO_IMAP) {
		struct imap_client *c = imap_client_new(s, NULL);
		if (imap_client_greeting(c, &error) == 0 &&
		    (ep->tls != PR_TLS_STARTTLS ||
		     imap_client_starttls(c, &error) == 0) &&
		    imap_client_login(c, user, password, &error) == 0)
			ret = 0;
		else if (imap_client_last_status(c) == IMAP_CLIENT_NO)
			error = pool_printf(pool, "wrong password for %s (%s)",
			                    user, error);
		imap_client_logout(&c);
	} else {
		struct pop3_client *c = pop3_client_new(s, NULL);
		bool is_refused = false;
		if (pop3_client_greeting(c, &error) == 0 &&
		    pop3_client_capa(c, &error) == 0 &&
		    (ep->tls != PR_TLS_STARTTLS ||
		     pop3_client_stls(c, &error) == 0) &&
		    pop3_client_login(c, user, password, &is_refused,
		                      &error) == 0)
			ret = 0;
		else if (is_refused)
			error = pool_printf(pool, "wrong password for %s (%s)",
			                    user, error);
		(void)pop3_client_quit(&c, &error);
	}
	if (ret < 0)
		*error_r = pool_printf(pool, "%s:%u: %s", ep->host, ep->port,
		                       error != NULL ? error : "failed");
	return ret;
}

static int check_account(const struct pr_config *config,
                         const struct pr_account *account,
                         const char *password, struct pool *pool,
                         const char **error_r)
{
	if (check_incoming(config, account, password, pool, error_r) < 0)
		return -1;
	return pr_outgoing_check(config, account, password, pool, error_r);
}

struct add_args {
	const char *name, *address, *display_name, *password_file;
	const char *password_command, *imap, *pop3, *smtp, *ca_file;
	const char *user, *dav, *caldav, *carddav;
	bool is_verify_off, is_no_test, is_delete_mode, is_pop3, is_no_dav;
};

static int add_args_parse(int argc, char **argv, struct add_args *a)
{
	static const char *const opts[] = {
		"--address", "--display-name", "--password-file",
		"--password-command", "--imap", "--pop3", "--smtp",
		"--ca-file", "--user", "--dav", "--caldav", "--carddav", NULL,
	};
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--no-verify") == 0) {
			a->is_verify_off = true;
			continue;
		}
		if (strcmp(o, "--no-test") == 0) {
			a->is_no_test = true;
			continue;
		}
		if (strcmp(o, "--pop3-discover") == 0) {
			a->is_pop3 = true;
			continue;
		}
		if (strcmp(o, "--delete-from-server") == 0) {
			a->is_delete_mode = true;
			continue;
		}
		if (strcmp(o, "--no-dav") == 0) {
			a->is_no_dav = true;
			continue;
		}
		if (o[0] != '-') {
			if (a->name != NULL)
				return -1;
			a->name = o;
			continue;
		}
		const char **slots[] = { &a->address, &a->display_name,
			&a->password_file, &a->password_command, &a->imap,
			&a->pop3, &a->smtp, &a->ca_file, &a->user, &a->dav,
			&a->caldav, &a->carddav };
		size_t k = 0;
		while (opts[k] != NULL && strcmp(opts[k], o) != 0)
			k++;
		if (opts[k] == NULL || i + 1 >= argc)
			return -1;
		*slots[k] = argv[++i];
	}
	return 0;
}

static int add_address(struct pr_cli *cli, struct pr_account *account)
{
	if (account->address == NULL) {
		const char *addr = prompt("Address: ", false, cli->pool);
		if (addr == NULL || strchr(addr, '@') == NULL)
			return pr_fail("an address like lisa@example.org "
			               "is needed");
		account->address = xstrdup(addr);
	}
	return 0;
}

/* Asks for the password unless a file or command gives it, and keeps a
 * typed one in a 0600 file beside the account (named after it). */
static int add_password(struct pr_cli *cli, struct add_args *a,
                        struct pr_account *account, const char **password_r)
{
	const char *error;
	if (a->password_file == NULL && a->password_command == NULL) {
		const char *pw = prompt("Password: ", true, cli->pool);
		if (pw == NULL)
			return pr_fail("no password given");
		char *path = pool_printf(cli->pool, "%s/%s.pass",
		                         cli->config->config_dir, account->name);
		char *line = pool_printf(cli->pool, "%s\n", pw);
		if (file_mkdirs(cli->config->config_dir, 0700) < 0 ||
		    file_write_atomic(path, line, strlen(line), 0600) < 0)
			return pr_fail("%s: %s", path, strerror(errno));
		explicit_bzero(line, strlen(line));
		account->password_file = xstrdup(path);
	}
	if (pr_account_password(account, cli->pool, password_r, &error) < 0)
		return pr_fail("%s", error);
	return 0;
}

static bool name_is_valid(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 64)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
	                    "XYZ0123456789._@+-") == strlen(name);
}

/* Servers named on the command line win; the rest are discovered. */
static int add_servers(struct pr_cli *cli, const struct add_args *a,
                       struct pr_account *account)
{
	bool is_pop3 = a->pop3 != NULL || a->is_pop3;
	const char *how = "the command line", *error;
	bool is_discovered =
	    (a->imap == NULL && a->pop3 == NULL) || a->smtp == NULL;
	if (is_discovered) {
		if (pr_discover(cli->config, account, is_pop3, cli->pool, &how,
		                &error) < 0)
			return pr_fail("%s", error);
	}
	account->proto = is_pop3 ? PR_PROTO_POP3 : PR_PROTO_IMAP;
	if ((a->imap != NULL &&
	     endpoint_parse(a->imap, &account->incoming, 993, 143) < 0) ||
	    (a->pop3 != NULL &&
	     endpoint_parse(a->pop3, &account->incoming, 995, 110) < 0) ||
	    (a->smtp != NULL &&
	     endpoint_parse(a->smtp, &account->outgoing, 465, 587) < 0))
		return pr_fail("a server is HOST[:PORT[:implicit|starttls|"
		               "none]]");
	if (!cli->is_json)
		printf("servers from %s: %s %s:%u (%s), smtp %s:%u (%s)\n", how,
		       is_pop3 ? "pop3" : "imap", account->incoming.host,
		       account->incoming.port,
		       pr_tls_str(account->incoming.tls),
		       account->outgoing.host, account->outgoing.port,
		       pr_tls_str(account->outgoing.tls));
	/* the ManageSieve server when the others were looked up too */
	if (is_discovered &&
	    pr_discover_sieve(cli->config, account, cli->pool) > 0 &&
	    !cli->is_json)
		printf("sieve from SRV records: %s:%u (starttls)\n",
		       account->sieve.host, account->sieve.port);
	return 0;
}

/* Tries the DAV servers configured for account (both kinds). Returns 0,
 * or -1 with *error_r. */
static int check_dav(const struct pr_config *config,
                     const struct pr_account *account, struct pool *pool,
                     const char **error_r)
{
	static const enum dav_remote_kind kinds[] = { DAV_REMOTE_CALENDAR,
		                                      DAV_REMOTE_ADDRESSBOOK };
	for (size_t i = 0; i < 2; i++) {
		struct pr_dav dav;
		if (pr_dav_url(account, kinds[i]) == NULL)
			continue;
		if (pr_dav_open(config, account, kinds[i], pool, &dav,
		                error_r) < 0)
			return -1;
		pr_dav_close(&dav);
	}
	return 0;
}

/* CalDAV and CardDAV: named on the command line (and tested), else found
 * (RFC 6764); an account without them still works. */
static int add_dav(struct pr_cli *cli, const struct add_args *a,
                   struct pr_account *account)
{
	const char *caldav = a->caldav != NULL ? a->caldav : a->dav;
	const char *carddav = a->carddav != NULL ? a->carddav : a->dav;
	const char *how = "the command line", *error;
	if (caldav != NULL || carddav != NULL) {
		account->caldav_url = caldav != NULL ? xstrdup(caldav) : NULL;
		account->carddav_url = carddav != NULL ? xstrdup(carddav)
		                                       : NULL;
		if (!a->is_no_test &&
		    check_dav(cli->config, account, cli->pool, &error) < 0)
			return pr_fail("%s (not saved)", error);
	} else if (a->is_no_dav || a->is_no_test) {
		return 0;
	} else if (pr_discover_dav(cli->config, account, cli->pool, &how) ==
	           0) {
		if (!cli->is_json)
			printf("no CalDAV or CardDAV server found: mail only\n");
		return 0;
	}
	if (!cli->is_json)
		printf("calendars and contacts from %s: caldav %s, carddav %s\n",
		       how, account->caldav_url ? account->caldav_url : "-",
		       account->carddav_url ? account->carddav_url : "-");
	return 0;
}

static struct pr_account *account_new(const struct add_args *a)
{
	struct pr_account *account = xcalloc(1, sizeof(*account));
	account->address = a->address != NULL ? xstrdup(a->address) : NULL;
	account->display_name =
	    a->display_name != NULL ? xstrdup(a->display_name) : NULL;
	account->password_file =
	    a->password_file != NULL ? xstrdup(a->password_file) : NULL;
	account->password_command =
	    a->password_command != NULL ? xstrdup(a->password_command) : NULL;
	account->tls_ca_file = a->ca_file != NULL ? xstrdup(a->ca_file) : NULL;
	account->tls_verify = !a->is_verify_off;
	account->leave_on_server = !a->is_delete_mode;
	account->incoming.user = a->user != NULL ? xstrdup(a->user) : NULL;
	account->outgoing.user = a->user != NULL ? xstrdup(a->user) : NULL;
	return account;
}

static int account_add(struct pr_cli *cli, int argc, char **argv)
{
	struct add_args a = { 0 };
	if (add_args_parse(argc, argv, &a) < 0)
		return 2;
	struct pr_account *account = account_new(&a);
	const char *password = NULL, *error;
	int ret = 1;
	if (add_address(cli, account) != 0)
		goto out;
	account->name = xstrdup(a.name != NULL ? a.name : account->address);
	if (!name_is_valid(account->name) ||
	    pr_config_account(cli->config, account->name, &error) != NULL) {
		pr_fail("account name '%s' is taken or not valid",
		        account->name);
		goto out;
	}
	if (add_password(cli, &a, account, &password) != 0)
		goto out;
	if (add_servers(cli, &a, account) != 0)
		goto out;
	if (!a.is_no_test && check_account(cli->config, account, password,
	                                   cli->pool, &error) < 0) {
		pr_fail("%s (not saved)", error);
		goto out;
	}
	if (add_dav(cli, &a, account) != 0)
		goto out;
	if (pr_account_save(cli->config, account, &error) < 0) {
		pr_fail("saving: %s", error);
		goto out;
	}
	if (cli->is_json)
		printf("{\"saved\":true,\"name\":\"%s\"}\n", account->name);
	else
		printf("account %s saved%s\n", account->name,
		       a.is_no_test ? " (not tested)" : " and tested");
	account = NULL; /* config owns it now */
	ret = 0;
out:
	/* a typed password goes with an account that was not saved */
	if (ret != 0 && account != NULL && a.password_file == NULL &&
	    a.password_command == NULL && account->password_file != NULL)
		(void)unlink(account->password_file);
	if (password != NULL)
		explicit_bzero((char *)password, strlen(password));
	pr_account_free(&account);
	return ret;
}

static json_t *endpoint_json(const struct pr_endpoint *ep)
{
	return json_pack("{s:s?, s:i, s:s, s:s?}", "host", ep->host, "port",
	                 ep->port, "tls", pr_tls_str(ep->tls), "user",
	                 ep->user);
}

static int account_list(struct pr_cli *cli)
{
	json_t *list = json_array();
	for (size_t i = 0; i < cli->config->account_count; i++) {
		const struct pr_account *a = cli->config->accounts[i];
		const char *proto = a->proto == PR_PROTO_POP3 ? "pop3" : "imap";
		if (!cli->is_json) {
			printf("%s\t%s\t%s %s:%u\tsmtp %s:%u\n", a->name,
			       a->address, proto,
			       a->incoming.host ? a->incoming.host : "-",
			       a->incoming.port,
			       a->outgoing.host ? a->outgoing.host : "-",
			       a->outgoing.port);
			continue;
		}
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:s, s:o, s:o, s:s?, s:s?}",
		                    "name", a->name, "address", a->address,
		                    "protocol", proto, "incoming",
		                    endpoint_json(&a->incoming), "outgoing",
		                    endpoint_json(&a->outgoing), "caldav",
		                    a->caldav_url, "carddav", a->carddav_url));
	}
	if (cli->is_json) {
		json_dumpf(list, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(list);
	return 0;
}

static int account_test(struct pr_cli *cli, const char *name)
{
	const char *error, *password;
	struct pr_account *a = pr_config_account(cli->config, name, &error);
	if (a == NULL)
		return pr_fail("%s", error);
	if (pr_account_password(a, cli->pool, &password, &error) < 0 ||
	    (a->incoming.host != NULL &&
	     check_account(cli->config, a, password, cli->pool, &error) < 0) ||
	    check_dav(cli->config, a, cli->pool, &error) < 0)
		return pr_fail("%s: %s", a->name, error);
	printf("%s: %s%s work\n", a->name,
	       a->incoming.host != NULL ? "incoming and outgoing logins" : "",
	       a->caldav_url != NULL || a->carddav_url != NULL
	           ? (a->incoming.host != NULL ? ", CalDAV and CardDAV"
	                                       : "CalDAV and CardDAV")
	           : "");
	return 0;
}

static int account_remove(struct pr_cli *cli, const char *name)
{
	const char *error;
	struct pr_account *a = pr_config_account(cli->config, name, &error);
	if (name == NULL || a == NULL)
		return pr_fail("no account called %s", name ? name : "(none)");
	char *path = pool_printf(cli->pool, "%s/accounts/%s.conf",
	                         cli->config->config_dir, a->name);
	if (unlink(path) < 0)
		return pr_fail("%s: %s", path, strerror(errno));
	printf("account %s removed; its local mail stays in %s/store\n",
	       a->name, cli->config->data_dir);
	return 0;
}

int pr_cmd_account(struct pr_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	const char *name = argc > 2 ? argv[2] : cli->account_name;
	if (strcmp(sub, "add") == 0)
		return account_add(cli, argc, argv);
	if (strcmp(sub, "list") == 0)
		return account_list(cli);
	if (strcmp(sub, "test") == 0)
		return account_test(cli, name);
	if (strcmp(sub, "remove") == 0)
		return account_remove(cli, name);
	return 2;
}
