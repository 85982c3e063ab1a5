/* postroomctl domain add|list|del: the local domains. A domain with
 * accounts cannot be deleted; its aliases go with it. A new domain gets
 * its DKIM keys (cmd_dkim.c). */
#include "postroomctl.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int domain_add(struct ctl *ctl, struct store *store, const char *name)
{
	const char *error;
	if (store_domain_add(store, name, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, name);
	printf("domain %s added\n", name);
	/* its DKIM keys (doc/authentication.md), unless it has some */
	return dkim_keys_create(ctl, name, false);
}

static int domain_del(struct ctl *ctl, struct store *store, const char *name)
{
	const char *error;
	if (store_domain_del(store, name, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, name);
	printf("domain %s deleted\n", name);
	return CTL_EXIT_OK;
}

static void domain_print_cb(const char *domain, void *ctx)
{
	printf("%s\n", domain);
}

int cmd_domain(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] = "domain add|del NAME | domain list";
	if (argc < 1)
		return ctl_usage(ctl, usage);
	const char *verb = argv[0];
	bool is_list = strcmp(verb, "list") == 0;
	if (is_list ? argc != 1 : argc != 2)
		return ctl_usage(ctl, usage);
	if (strcmp(verb, "add") == 0)
		ctl->cmd = "domain add";
	else if (strcmp(verb, "del") == 0)
		ctl->cmd = "domain del";
	else if (is_list)
		ctl->cmd = "domain list";
	else
		return ctl_usage(ctl, usage);

	struct store *store = ctl_store(ctl);
	if (store == NULL)
		return CTL_EXIT_FAIL;
	if (is_list) {
		if (store_domain_list(store, domain_print_cb, NULL) < 0)
			return ctl_error(ctl, "%s", store_last_error(store));
		return CTL_EXIT_OK;
	}
	return strcmp(verb, "add") == 0 ? domain_add(ctl, store, argv[1])
	                                : domain_del(ctl, store, argv[1]);
}
