/* The client's configuration: postroom.conf and one accounts/<name>.conf
 * per account, read with lib/config's tables (so errors name file, line
 * and key) and written back atomically with mode 0600, since an account
 * file may name a password file or command. */
#include "postroom.h"

#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- postroom.conf ------------------------------------------------------ */

struct client_file {
	char *data_dir;
	char *dns_server;
	char *editor;
	unsigned timeout;
};

#define CLIENT(name, type, def, desc)                                         \
	{ #name, type, offsetof(struct client_file, name), def, desc }
static const struct setting_def client_defs[] = {
	CLIENT(data_dir, SETTING_STRING, "", "where the local store lives"),
	CLIENT(dns_server, SETTING_STRING, "", "ip[:port] for look-ups"),
	CLIENT(editor, SETTING_STRING, "", "program to write mail with"),
	CLIENT(timeout, SETTING_DURATION, "30s", "per network operation"),
};
static const struct config_section client_sections[] = {
	{ "", client_defs, sizeof(client_defs) / sizeof(client_defs[0]), 0 },
};

/* ---- accounts/<name>.conf ----------------------------------------------- */

struct account_file {
	struct {
		char *address, *display_name, *password_command;
		char *password_file, *tls_ca_file;
		bool tls_verify;
	} main;
	struct {
		char *protocol, *host, *tls, *user;
		unsigned port;
		bool leave_on_server;
	} in;
	struct {
		char *host, *tls, *user;
		unsigned port;
	} out;
	struct {
		char *caldav, *carddav, *user;
	} dav;
	struct {
		char *host, *tls, *user;
		unsigned port;
	} sieve;
};

#define AF(sec, name, type, def, desc)                                        \
	{ #name, type, offsetof(struct account_file, sec.name) -              \
	      offsetof(struct account_file, sec), def, desc }
static const struct setting_def account_main_defs[] = {
	AF(main, address, SETTING_STRING, "", "the account's mail address"),
	AF(main, display_name, SETTING_STRING, "", "name shown in From"),
	AF(main, password_command, SETTING_STRING, "", "prints the password"),
	AF(main, password_file, SETTING_STRING, "", "holds it (mode 0600)"),
	AF(main, tls_ca_file, SETTING_STRING, "", "PEM trust anchors"),
	AF(main, tls_verify, SETTING_BOOL, "yes", "check certificates"),
};
static const struct setting_def account_in_defs[] = {
	AF(in, protocol, SETTING_STRING, "imap", "imap or pop3"),
	AF(in, host, SETTING_STRING, "", "server name or address"),
	AF(in, port, SETTING_PORT, "0", "0: 993 or 995, 143 or 110"),
	AF(in, tls, SETTING_STRING, "implicit", "implicit, starttls, none"),
	AF(in, user, SETTING_STRING, "", "login name (default: address)"),
	AF(in, leave_on_server, SETTING_BOOL, "yes", "POP3: keep mail there"),
};
static const struct setting_def account_out_defs[] = {
	AF(out, host, SETTING_STRING, "", "submission server"),
	AF(out, port, SETTING_PORT, "0", "0: 465 or 587"),
	AF(out, tls, SETTING_STRING, "implicit", "implicit, starttls, none"),
	AF(out, user, SETTING_STRING, "", "login name (default: address)"),
};
static const struct setting_def account_dav_defs[] = {
	AF(dav, caldav, SETTING_STRING, "", "CalDAV URL (RFC 6764 context)"),
	AF(dav, carddav, SETTING_STRING, "", "CardDAV URL (default: caldav)"),
	AF(dav, user, SETTING_STRING, "", "login name (default: address)"),
};
static const struct setting_def account_sieve_defs[] = {
	AF(sieve, host, SETTING_STRING, "", "ManageSieve server (default: "
	   "the incoming host)"),
	AF(sieve, port, SETTING_PORT, "0", "0: 4190"),
	AF(sieve, tls, SETTING_STRING, "starttls", "starttls, implicit, none"),
	AF(sieve, user, SETTING_STRING, "", "login name (default: incoming)"),
};
#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct config_section account_sections[] = {
	{ "", account_main_defs, N(account_main_defs),
	  offsetof(struct account_file, main) },
	{ "incoming", account_in_defs, N(account_in_defs),
	  offsetof(struct account_file, in) },
	{ "outgoing", account_out_defs, N(account_out_defs),
	  offsetof(struct account_file, out) },
	{ "dav", account_dav_defs, N(account_dav_defs),
	  offsetof(struct account_file, dav) },
	{ "sieve", account_sieve_defs, N(account_sieve_defs),
	  offsetof(struct account_file, sieve) },
};

int pr_tls_parse(const char *str, enum pr_tls *tls_r)
{
	if (strcmp(str, "implicit") == 0 || strcmp(str, "tls") == 0)
		*tls_r = PR_TLS_IMPLICIT;
	else if (strcmp(str, "starttls") == 0)
		*tls_r = PR_TLS_STARTTLS;
	else if (strcmp(str, "none") == 0)
		*tls_r = PR_TLS_NONE;
	else
		return -1;
	return 0;
}

const char *pr_tls_str(enum pr_tls tls)
{
	switch (tls) {
	case PR_TLS_IMPLICIT: return "implicit";
	case PR_TLS_STARTTLS: return "starttls";
	case PR_TLS_NONE: break;
	}
	return "none";
}

static char *dup_or_null(const char *str)
{
	return str != NULL && str[0] != '\0' ? xstrdup(str) : NULL;
}

/* Fills ep from the file's values; the port defaults by protocol and TLS
 * (RFC 8314 §3.3 implicit TLS ports, RFC 6409 submission). */
static int endpoint_fill(struct pr_endpoint *ep, const char *host,
                         unsigned port, const char *tls, const char *user,
                         unsigned port_implicit, unsigned port_plain)
{
	if (pr_tls_parse(tls, &ep->tls) < 0)
		return -1;
	ep->host = dup_or_null(host);
	ep->port = port != 0 ? port
	         : ep->tls == PR_TLS_IMPLICIT ? port_implicit : port_plain;
	ep->user = dup_or_null(user);
	return 0;
}

static struct pr_account *account_from_file(const char *name,
                                            const struct account_file *f,
                                            const char **reason_r)
{
	struct pr_account *a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->address = dup_or_null(f->main.address);
	a->display_name = dup_or_null(f->main.display_name);
	a->password_command = dup_or_null(f->main.password_command);
	a->password_file = dup_or_null(f->main.password_file);
	a->tls_ca_file = dup_or_null(f->main.tls_ca_file);
	a->tls_verify = f->main.tls_verify;
	a->leave_on_server = f->in.leave_on_server;
	*reason_r = NULL;
	if (strcmp(f->in.protocol, "imap") == 0)
		a->proto = PR_PROTO_IMAP;
	else if (strcmp(f->in.protocol, "pop3") == 0)
		a->proto = PR_PROTO_POP3;
	else
		*reason_r = "[incoming] protocol must be imap or pop3";
	bool is_pop3 = a->proto == PR_PROTO_POP3;
	if (endpoint_fill(&a->incoming, f->in.host, f->in.port, f->in.tls,
	                  f->in.user, is_pop3 ? 995 : 993,
	                  is_pop3 ? 110 : 143) < 0)
		*reason_r = "[incoming] tls must be implicit, starttls or none";
	if (endpoint_fill(&a->outgoing, f->out.host, f->out.port, f->out.tls,
	                  f->out.user, 465, 587) < 0)
		*reason_r = "[outgoing] tls must be implicit, starttls or none";
	a->caldav_url = dup_or_null(f->dav.caldav);
	a->carddav_url = dup_or_null(f->dav.carddav);
	if (a->carddav_url == NULL && a->caldav_url != NULL)
		a->carddav_url = xstrdup(a->caldav_url);
	a->dav_user = dup_or_null(f->dav.user);
	if (endpoint_fill(&a->sieve, f->sieve.host, f->sieve.port,
	                  f->sieve.tls, f->sieve.user, 4190, 4190) < 0)
		*reason_r = "[sieve] tls must be starttls, implicit or none";
	if (a->address == NULL)
		*reason_r = "address is missing";
	if (*reason_r != NULL)
		pr_account_free(&a);
	return a;
}

void pr_account_free(struct pr_account **account)
{
	struct pr_account *a = *account;
	if (a == NULL)
		return;
	free(a->name);
	free(a->address);
	free(a->display_name);
	free(a->password_command);
	free(a->password_file);
	free(a->tls_ca_file);
	free(a->incoming.host);
	free(a->incoming.user);
	free(a->outgoing.host);
	free(a->outgoing.user);
	free(a->caldav_url);
	free(a->carddav_url);
	free(a->dav_user);
	free(a->sieve.host);
	free(a->sieve.user);
	free(a);
	*account = NULL;
}

static int account_load(struct pr_config *config, const char *dir,
                        const char *file, struct pool *pool,
                        const char **error_r)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".conf") != 0 || file[0] == '.')
		return 0;
	char *path = pool_printf(pool, "%s/%s", dir, file);
	struct account_file f = { 0 };
	config_defaults(&f, account_sections, N(account_sections));
	int ret = config_read(&f, account_sections, N(account_sections), path,
	                      pool, error_r);
	if (ret == 0) {
		char *name = pool_strndup(pool, file, len - 5);
		const char *reason;
		struct pr_account *a = account_from_file(name, &f, &reason);
		if (a == NULL) {
			*error_r = pool_printf(pool, "%s: %s", path, reason);
			ret = -1;
		} else {
			config->accounts = xrealloc(
			    config->accounts, (config->account_count + 1) *
			                          sizeof(*config->accounts));
			config->accounts[config->account_count++] = a;
		}
	}
	config_free(&f, account_sections, N(account_sections));
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int accounts_load(struct pr_config *config, struct pool *pool,
                         const char **error_r)
{
	char *dir = pool_printf(pool, "%s/accounts", config->config_dir);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, NULL);
	if (n < 0)
		return 0; /* no accounts yet */
	char **files = xcalloc((size_t)n + 1, sizeof(*files));
	for (int i = 0; i < n; i++) {
		files[i] = pool_strdup(pool, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	qsort(files, (size_t)n, sizeof(*files), name_cmp);
	int ret = 0;
	for (int i = 0; i < n && ret == 0; i++)
		ret = account_load(config, dir, files[i], pool, error_r);
	free(files);
	return ret;
}

/* $XDG_x_HOME/postroom, else $HOME/fallback/postroom (XDG Base
 * Directory Specification: relative values are ignored). */
static char *xdg_dir(const char *var, const char *fallback)
{
	struct buf path;
	buf_init(&path);
	const char *base = getenv(var);
	const char *home = getenv("HOME");
	if (base != NULL && base[0] == '/')
		buf_printf(&path, "%s/postroom", base);
	else
		buf_printf(&path, "%s/%s/postroom", home != NULL ? home : ".",
		           fallback);
	char *dir = buf_detach(&path);
	buf_deinit(&path); /* detach leaves an empty buffer */
	return dir;
}

int pr_config_load(struct pr_config *config, struct pool *pool,
                   const char **error_r)
{
	*config = (struct pr_config){ 0 };
	config->config_dir = xdg_dir("XDG_CONFIG_HOME", ".config");
	struct client_file f = { 0 };
	config_defaults(&f, client_sections, N(client_sections));
	char *path = pool_printf(pool, "%s/postroom.conf", config->config_dir);
	if (access(path, F_OK) == 0 &&
	    config_read(&f, client_sections, N(client_sections), path, pool,
	                error_r) < 0) {
		config_free(&f, client_sections, N(client_sections));
		return -1;
	}
	config->data_dir = f.data_dir[0] != '\0'
	                       ? xstrdup(f.data_dir)
	                       : xdg_dir("XDG_DATA_HOME", ".local/share");
	config->dns_server = dup_or_null(f.dns_server);
	config->editor = dup_or_null(f.editor);
	config->timeout = f.timeout != 0 ? f.timeout : 30;
	config_free(&f, client_sections, N(client_sections));
	return accounts_load(config, pool, error_r);
}

void pr_config_free(struct pr_config *config)
{
	for (size_t i = 0; i < config->account_count; i++)
		pr_account_free(&config->accounts[i]);
	free(config->accounts);
	free(config->config_dir);
	free(config->data_dir);
	free(config->dns_server);
	free(config->editor);
	*config = (struct pr_config){ 0 };
}

struct pr_account *pr_config_account(const struct pr_config *config,
                                     const char *name, const char **error_r)
{
	if (config->account_count == 0) {
		*error_r = "no accounts: run 'postroom account add'";
		return NULL;
	}
	if (name == NULL)
		return config->accounts[0];
	for (size_t i = 0; i < config->account_count; i++)
		if (strcmp(config->accounts[i]->name, name) == 0 ||
		    strcasecmp(config->accounts[i]->address, name) == 0)
			return config->accounts[i];
	*error_r = "no such account";
	return NULL;
}

static void put(struct buf *out, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		buf_printf(out, "%s = %s\n", key, value);
}

static void put_endpoint(struct buf *out, const char *section,
                         const struct pr_endpoint *ep)
{
	buf_printf(out, "\n[%s]\n", section);
	put(out, "host", ep->host);
	buf_printf(out, "port = %u\ntls = %s\n", ep->port, pr_tls_str(ep->tls));
	put(out, "user", ep->user);
}

int pr_account_save(struct pr_config *config, struct pr_account *account,
                    const char **error_r)
{
	struct buf out;
	buf_init(&out);
	buf_printf(&out, "# postroom account; see doc/postroom.md\n");
	put(&out, "address", account->address);
	put(&out, "display_name", account->display_name);
	put(&out, "password_command", account->password_command);
	put(&out, "password_file", account->password_file);
	put(&out, "tls_ca_file", account->tls_ca_file);
	buf_printf(&out, "tls_verify = %s\n", account->tls_verify ? "yes" : "no");
	put_endpoint(&out, "incoming", &account->incoming);
	buf_printf(&out, "protocol = %s\nleave_on_server = %s\n",
	           account->proto == PR_PROTO_POP3 ? "pop3" : "imap",
	           account->leave_on_server ? "yes" : "no");
	put_endpoint(&out, "outgoing", &account->outgoing);
	if (account->caldav_url != NULL || account->carddav_url != NULL) {
		buf_printf(&out, "\n[dav]\n");
		put(&out, "caldav", account->caldav_url);
		put(&out, "carddav", account->carddav_url);
		put(&out, "user", account->dav_user);
	}
	/* an account made by hand (port 0) has the defaults */
	if (account->sieve.port != 0 &&
	    (account->sieve.host != NULL || account->sieve.port != 4190 ||
	     account->sieve.tls != PR_TLS_STARTTLS ||
	     account->sieve.user != NULL))
		put_endpoint(&out, "sieve", &account->sieve);

	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/accounts", config->config_dir);
	int ret = file_mkdirs(path.data, 0700);
	buf_printf(&path, "/%s.conf", account->name);
	if (ret == 0)
		ret = file_write_atomic(path.data, out.data, out.len, 0600);
	if (ret < 0)
		*error_r = strerror(errno);
	buf_deinit(&path);
	buf_deinit(&out);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < config->account_count; i++)
		if (config->accounts[i] == account)
			return 0;
	config->accounts = xrealloc(config->accounts,
	                            (config->account_count + 1) *
	                                sizeof(*config->accounts));
	config->accounts[config->account_count++] = account;
	return 0;
}

/* Keeps the first line of text (without its end) in place. */
static void first_line(char *text)
{
	text[strcspn(text, "\r\n")] = '\0';
}

static int password_from_file(const char *path, struct pool *pool,
                              const char **password_r, const char **error_r)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*error_r = pool_printf(pool, "%s is readable by others: "
		                             "chmod 600 it", path);
		return -1;
	}
	struct buf data;
	buf_init(&data);
	if (file_read_all(path, &data, 64 * 1024) < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		buf_deinit(&data);
		return -1;
	}
	first_line(data.data);
	*password_r = pool_strdup(pool, data.data);
	explicit_bzero(data.data, data.len);
	buf_deinit(&data);
	return 0;
}

static int password_from_command(const char *command, struct pool *pool,
                                 const char **password_r, const char **error_r)
{
	FILE *pipe = popen(command, "r");
	if (pipe == NULL) {
		*error_r = pool_printf(pool, "cannot run '%s'", command);
		return -1;
	}
	struct buf data;
	buf_init(&data);
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0 &&
	       data.len < 64 * 1024)
		buf_append(&data, chunk, n);
	explicit_bzero(chunk, sizeof(chunk));
	int status = pclose(pipe);
	int ret = 0;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    data.len == 0) {
		*error_r = pool_printf(pool, "password command '%s' failed",
		                       command);
		ret = -1;
	} else {
		first_line(data.data);
		*password_r = pool_strdup(pool, data.data);
	}
	explicit_bzero(data.data, data.len);
	buf_deinit(&data);
	return ret;
}

int pr_account_password(const struct pr_account *account, struct pool *pool,
                        const char **password_r, const char **error_r)
{
	if (account->password_command != NULL)
		return password_from_command(account->password_command, pool,
		                             password_r, error_r);
	if (account->password_file != NULL)
		return password_from_file(account->password_file, pool,
		                          password_r, error_r);
	*error_r = pool_printf(pool, "account %s has no password_command or "
	                             "password_file", account->name);
	return -1;
}
