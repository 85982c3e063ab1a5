/* postroomctl account add|passwd|quota|del|list|expiry (cmd_expiry.c) and
 * sieve, vacation and forward (cmd_sieve.c). A password is read from stdin
 * when it is not a terminal (one line), else asked twice with echo off; it
 * is stored only as a yescrypt hash (lib/auth) and every plain copy is
 * wiped. */
#include "auth/auth.h"
#include "core/pool.h"
#include "postroomctl.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static void secret_free(char **line, size_t cap)
{
	if (*line != NULL)
		explicit_bzero(*line, cap);
	free(*line);
	*line = NULL;
}

/* Reads one line from stdin, prompting with echo off on a terminal.
 * Returns a heap string (caller wipes and frees), or NULL at EOF. */
static char *password_line(const char *prompt, bool is_tty, size_t *cap_r)
{
	struct termios old, noecho;
	bool echo_off = false;
	if (is_tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			noecho = old;
			noecho.c_lflag &= ~(tcflag_t)ECHO;
			echo_off =
			    tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) == 0;
		}
	}
	char *line = NULL;
	*cap_r = 0;
	ssize_t n = getline(&line, cap_r, stdin);
	if (echo_off) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		secret_free(&line, *cap_r);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Reads a new password and returns its hash (heap), or NULL after printing
 * why. */
static char *password_read_hash(const struct ctl *ctl)
{
	bool is_tty = isatty(STDIN_FILENO) != 0;
	size_t cap1 = 0, cap2 = 0;
	char *hash = NULL;
	const char *error;
	char *pw = password_line("New password: ", is_tty, &cap1);
	char *again = NULL;
	if (pw == NULL || pw[0] == '\0') {
		ctl_error(ctl, "empty password");
		goto out;
	}
	if (is_tty) {
		again = password_line("Again: ", is_tty, &cap2);
		if (again == NULL || strcmp(pw, again) != 0) {
			ctl_error(ctl, "passwords do not match");
			goto out;
		}
	}
	if (auth_password_hash(pw, &hash, &error) < 0)
		ctl_error(ctl, "%s", error);
out:
	secret_free(&pw, cap1);
	secret_free(&again, cap2);
	return hash;
}

/* Reports a store error about address, naming the domain when it is the
 * domain that is missing. */
static int account_error(const struct ctl *ctl, const char *error,
                         const char *address)
{
	const char *at = strrchr(address, '@');
	if (strcmp(error, "no such domain") == 0 && at != NULL)
		return ctl_error(ctl, "%s '%s'", error, at + 1);
	return ctl_error(ctl, "%s '%s'", error, address);
}

static int account_add(struct ctl *ctl, struct store *store, int argc,
                       char **argv)
{
	const char *address = NULL, *error;
	uint64_t quota = 0;
	bool has_quota = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quota") == 0 && i + 1 < argc) {
			if (ctl_size_parse(argv[++i], &quota) < 0)
				return ctl_error(ctl, "invalid size '%s'",
				                 argv[i]);
			has_quota = true;
		} else if (address == NULL && argv[i][0] != '-') {
			address = argv[i];
		} else {
			return ctl_usage(ctl,
			                 "account add ADDRESS [--quota SIZE]");
		}
	}
	if (address == NULL)
		return ctl_usage(ctl, "account add ADDRESS [--quota SIZE]");
	/* Check what can be checked before asking for a password. */
	const char *at = strrchr(address, '@');
	if (!store_address_is_valid(address) || at == NULL)
		return account_error(ctl, "invalid address", address);
	if (store_domain_exists(store, at + 1) != 1)
		return account_error(ctl, "no such domain", address);
	char *hash = password_read_hash(ctl);
	if (hash == NULL)
		return CTL_EXIT_FAIL;
	int ret = store_account_add(store, address, hash, quota, &error);
	free(hash);
	/* quota 0 means the default to store_account_add: an explicit
	 * "--quota 0" (or "unlimited") is set afterwards. */
	if (ret == 0 && has_quota && quota == 0)
		ret = store_account_set_quota(store, address, 0, &error);
	if (ret < 0)
		return account_error(ctl, error, address);
	printf("account %s added\n", address);
	return CTL_EXIT_OK;
}

static int account_passwd(struct ctl *ctl, struct store *store, int argc,
                          char **argv)
{
	const char *address = argv[1];
	struct pool *pool = pool_new();
	struct store_account_info info;
	const char *error;
	int found = store_account_lookup(store, address, pool, &info);
	pool_free(&pool);
	if (found <= 0)
		return found == 0
		           ? account_error(ctl, "no such account", address)
		           : ctl_error(ctl, "%s", store_last_error(store));
	char *hash = password_read_hash(ctl);
	if (hash == NULL)
		return CTL_EXIT_FAIL;
	int ret = store_account_set_password(store, address, hash, &error);
	free(hash);
	if (ret < 0)
		return account_error(ctl, error, address);
	printf("password of %s changed\n", address);
	return CTL_EXIT_OK;
}

static int account_quota(struct ctl *ctl, struct store *store, int argc,
                         char **argv)
{
	const char *address = argv[1], *size = argv[2];
	uint64_t quota;
	const char *error;
	if (ctl_size_parse(size, &quota) < 0)
		return ctl_error(ctl, "invalid size '%s'", size);
	if (store_account_set_quota(store, address, quota, &error) < 0)
		return account_error(ctl, error, address);
	printf("quota of %s set to %s\n", address,
	       ctl_size_format(quota, true));
	return CTL_EXIT_OK;
}

static int account_del(struct ctl *ctl, struct store *store, int argc,
                       char **argv)
{
	const char *address = argv[1];
	const char *error;
	if (store_account_del(store, address, &error) < 0)
		return account_error(ctl, error, address);
	printf("account %s deleted\n", address);
	return CTL_EXIT_OK;
}

struct account_list_ctx {
	struct store *store;
	int failures;
};

static void account_print_cb(const struct store_account_info *info,
                             void *context)
{
	struct account_list_ctx *ctx = context;
	struct store_account *account = NULL;
	uint64_t bytes = 0, messages = 0;
	const char *error;
	if (store_account_open(ctx->store, info->address, &account, &error) <
	        0 ||
	    store_account_usage(account, &bytes, &messages) < 0)
		ctx->failures++;
	store_account_close(&account);
	printf("%-40s quota=%s", info->address,
	       ctl_size_format(info->quota, true));
	printf(" used=%s messages=%llu\n", ctl_size_format(bytes, false),
	       (unsigned long long)messages);
}

static int account_list(struct ctl *ctl, struct store *store, int argc,
                        char **argv)
{
	struct account_list_ctx ctx = {.store = store};
	if (store_account_list(store, account_print_cb, &ctx) < 0)
		return ctl_error(ctl, "%s", store_last_error(store));
	return ctx.failures == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static const struct {
	const char *verb, *cmd;
	int min_args, max_args; /* counting the verb */
	int (*func)(struct ctl *ctl, struct store *store, int argc,
	            char **argv);
} account_verbs[] = {
    {"add", "account add", 2, 4, account_add},
    {"passwd", "account passwd", 2, 2, account_passwd},
    {"quota", "account quota", 3, 3, account_quota},
    {"del", "account del", 2, 2, account_del},
    {"list", "account list", 1, 1, account_list},
    {"expiry", "account expiry", 2, 4, cmd_account_expiry},
    {"sieve", "account sieve", 2, 64, cmd_account_sieve},
    {"vacation", "account vacation", 2, 64, cmd_account_vacation},
    {"forward", "account forward", 2, 64, cmd_account_forward},
};

int cmd_account(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] =
	    "account add ADDRESS [--quota SIZE] | account passwd|del "
	    "ADDRESS | account quota ADDRESS SIZE | account list | "
	    "account expiry ADDRESS [MAILBOX DAYS|never|default] | "
	    "account sieve|vacation|forward ...";
	for (size_t i = 0;
	     argc > 0 && i < sizeof(account_verbs) / sizeof(*account_verbs);
	     i++) {
		if (strcmp(argv[0], account_verbs[i].verb) != 0)
			continue;
		if (argc < account_verbs[i].min_args ||
		    argc > account_verbs[i].max_args)
			break;
		ctl->cmd = account_verbs[i].cmd;
		struct store *store = ctl_store(ctl);
		if (store == NULL)
			return CTL_EXIT_FAIL;
		return account_verbs[i].func(ctl, store, argc, argv);
	}
	return ctl_usage(ctl, usage);
}
