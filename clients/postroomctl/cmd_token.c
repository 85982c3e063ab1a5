/* postroomctl token create|list|revoke: bearer tokens for API clients
 * (JMAP, DAV: "Authorization: Bearer <token>", RFC 6750 §2.1), kept in
 * postroom.db as the SHA-256 of their secret (store_token.h). create
 * prints the secret on stdout, alone on its line, once: it cannot be
 * shown again. */
#include "core/pool.h"
#include "postroomctl.h"
#include "store/store.h"
#include "store/store_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_DAYS_MAX 3650

static const char *date_str(time_t t, char *buf, size_t size)
{
	if (t == 0)
		return "never";
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* token create ACCOUNT [--name NAME] [--days N] */
static int token_create(struct ctl *ctl, struct store *store, int argc,
                        char **argv)
{
	const char *name = "", *error;
	long days = 0;
	for (int i = 2; i < argc; i += 2) {
		char *end;
		if (i + 1 >= argc)
			return ctl_usage(ctl, "token create ACCOUNT [--name "
			                      "NAME] [--days N]");
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--days") == 0 &&
		         (days = strtol(argv[i + 1], &end, 10)) > 0 &&
		         *end == '\0' && days <= TOKEN_DAYS_MAX)
			;
		else
			return ctl_usage(ctl, "token create ACCOUNT [--name "
			                      "NAME] [--days N (1-3650)]");
	}
	char secret[STORE_TOKEN_SECRET_MAX + 1];
	int64_t id;
	time_t expires = days > 0 ? time(NULL) + days * 86400 : 0;
	if (store_token_create(store, argv[1], STORE_TOKEN_BEARER, name, NULL,
	                       expires, secret, &id, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, argv[1]);
	printf("%s\n", secret);
	fflush(stdout);
	explicit_bzero(secret, sizeof(secret));
	fprintf(stderr,
	        "token %lld of %s made; this is the only time it is shown\n",
	        (long long)id, argv[1]);
	return CTL_EXIT_OK;
}

static void token_print_cb(const struct store_token_info *info, void *ctx)
{
	(void)ctx;
	char c[32], u[32], e[32];
	printf("%-6lld %-20s %-20s %-20s %s\n", (long long)info->id,
	       date_str(info->created, c, sizeof(c)),
	       date_str(info->last_used, u, sizeof(u)),
	       date_str(info->expires, e, sizeof(e)), info->name);
}

static int token_list(struct ctl *ctl, struct store *store, int argc,
                      char **argv)
{
	(void)argc;
	struct pool *pool = pool_new();
	struct store_account_info info;
	int found = store_account_lookup(store, argv[1], pool, &info);
	pool_free(&pool);
	if (found <= 0)
		return ctl_error(ctl, "%s '%s'",
		                 found < 0 ? store_last_error(store)
		                           : "no such account",
		                 argv[1]);
	printf("%-6s %-20s %-20s %-20s %s\n", "ID", "CREATED", "LAST-USED",
	       "EXPIRES", "NAME");
	if (store_token_list(store, argv[1], STORE_TOKEN_BEARER,
	                     token_print_cb, NULL) < 0)
		return ctl_error(ctl, "%s", store_last_error(store));
	return CTL_EXIT_OK;
}

/* token revoke ACCOUNT ID|all */
static int token_revoke(struct ctl *ctl, struct store *store, int argc,
                        char **argv)
{
	(void)argc;
	if (strcmp(argv[2], "all") == 0) {
		int n = store_token_revoke_all(store, argv[1],
		                               STORE_TOKEN_BEARER, 0);
		if (n < 0)
			return ctl_error(ctl, "%s", store_last_error(store));
		printf("%d token%s of %s revoked\n", n, n == 1 ? "" : "s",
		       argv[1]);
		return CTL_EXIT_OK;
	}
	char *end;
	long long id = strtoll(argv[2], &end, 10);
	if (id <= 0 || *end != '\0')
		return ctl_usage(ctl, "token revoke ACCOUNT ID|all");
	int ret = store_token_revoke(store, argv[1], id);
	if (ret < 0)
		return ctl_error(ctl, "%s", store_last_error(store));
	if (ret == 0)
		return ctl_error(ctl, "no such token %lld of '%s'", id,
		                 argv[1]);
	printf("token %lld of %s revoked\n", id, argv[1]);
	return CTL_EXIT_OK;
}

static const struct {
	const char *verb, *cmd;
	int min_args, max_args; /* counting the verb */
	int (*func)(struct ctl *ctl, struct store *store, int argc,
	            char **argv);
} token_verbs[] = {
    {"create", "token create", 2, 6, token_create},
    {"list", "token list", 2, 2, token_list},
    {"revoke", "token revoke", 3, 3, token_revoke},
};

int cmd_token(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] = "token create ACCOUNT [--name NAME] "
	                            "[--days N] | token list ACCOUNT | "
	                            "token revoke ACCOUNT ID|all";
	for (size_t i = 0;
	     argc > 0 && i < sizeof(token_verbs) / sizeof(*token_verbs); i++) {
		if (strcmp(argv[0], token_verbs[i].verb) != 0)
			continue;
		if (argc < token_verbs[i].min_args ||
		    argc > token_verbs[i].max_args)
			break;
		ctl->cmd = token_verbs[i].cmd;
		struct store *store = ctl_store(ctl);
		if (store == NULL)
			return CTL_EXIT_FAIL;
		return token_verbs[i].func(ctl, store, argc, argv);
	}
	return ctl_usage(ctl, usage);
}
