/* postroomctl alias add|list|del: aliases from a local source
 * ("user@domain", or "@domain" for a catch-all) to local or remote
 * targets. */
#include "postroomctl.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int alias_error(const struct ctl *ctl, const char *error,
                       const char *source, const char *target)
{
	const char *at = strrchr(source, '@');
	if (strcmp(error, "no such domain") == 0 && at != NULL)
		return ctl_error(ctl, "%s '%s'", error, at + 1);
	if (strcmp(error, "invalid address") == 0 && target != NULL &&
	    store_address_is_valid(target))
		return ctl_error(ctl, "%s '%s'", error, source);
	if (target != NULL && strcmp(error, "no such alias") != 0 &&
	    strcmp(error, "address is an account") != 0)
		return ctl_error(ctl, "%s '%s' -> '%s'", error, source, target);
	return ctl_error(ctl, "%s '%s'", error, source);
}

static int alias_add(struct ctl *ctl, struct store *store, int argc,
                     char **argv)
{
	const char *error;
	/* Every target is checked first, so a typo adds nothing. */
	for (int i = 2; i < argc; i++) {
		if (!store_address_is_valid(argv[i]))
			return ctl_error(ctl, "invalid address '%s'", argv[i]);
	}
	for (int i = 2; i < argc; i++) {
		if (store_alias_add(store, argv[1], argv[i], &error) < 0)
			return alias_error(ctl, error, argv[1], argv[i]);
		printf("alias %s -> %s added\n", argv[1], argv[i]);
	}
	return CTL_EXIT_OK;
}

static int alias_del(struct ctl *ctl, struct store *store, int argc,
                     char **argv)
{
	const char *error, *target = argc > 2 ? argv[2] : NULL;
	if (store_alias_del(store, argv[1], target, &error) < 0)
		return alias_error(ctl, error, argv[1], target);
	if (target != NULL)
		printf("alias %s -> %s deleted\n", argv[1], target);
	else
		printf("alias %s deleted\n", argv[1]);
	return CTL_EXIT_OK;
}

static void alias_print_cb(const char *source, const char *target, void *ctx)
{
	printf("%s -> %s\n", source, target);
}

static int alias_list(struct ctl *ctl, struct store *store, int argc,
                      char **argv)
{
	if (store_alias_list(store, alias_print_cb, NULL) < 0)
		return ctl_error(ctl, "%s", store_last_error(store));
	return CTL_EXIT_OK;
}

static const struct {
	const char *verb, *cmd;
	int min_args, max_args; /* counting the verb; -1: no limit */
	int (*func)(struct ctl *ctl, struct store *store, int argc,
	            char **argv);
} alias_verbs[] = {
    {"add", "alias add", 3, -1, alias_add},
    {"del", "alias del", 2, 3, alias_del},
    {"list", "alias list", 1, 1, alias_list},
};

int cmd_alias(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] = "alias add SOURCE TARGET... | alias del "
	                            "SOURCE [TARGET] | alias list";
	for (size_t i = 0;
	     argc > 0 && i < sizeof(alias_verbs) / sizeof(*alias_verbs); i++) {
		if (strcmp(argv[0], alias_verbs[i].verb) != 0)
			continue;
		if (argc < alias_verbs[i].min_args ||
		    (alias_verbs[i].max_args >= 0 &&
		     argc > alias_verbs[i].max_args))
			break;
		ctl->cmd = alias_verbs[i].cmd;
		struct store *store = ctl_store(ctl);
		if (store == NULL)
			return CTL_EXIT_FAIL;
		return alias_verbs[i].func(ctl, store, argc, argv);
	}
	return ctl_usage(ctl, usage);
}
