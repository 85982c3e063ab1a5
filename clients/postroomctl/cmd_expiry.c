/* postroomctl account expiry ADDRESS [MAILBOX DAYS|never|default]: how
 * long each mailbox of an account keeps mail before qmgr's maintenance
 * expunges it (store_expire.h), and changing one mailbox's. Without a
 * setting of its own a mailbox follows its SPECIAL-USE role's default
 * ([queue] trash_expiry_days, junk_expiry_days; other roles never). */
#include "core/pool.h"
#include "postroomctl.h"
#include "store/store.h"
#include "store/store_expire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct expiry_list_ctx {
	struct store_account *account;
	struct store_expiry_settings set;
	int failures;
};

static const char *role_name(enum store_special_use su)
{
	return su == STORE_SPECIAL_TRASH  ? "\\Trash"
	       : su == STORE_SPECIAL_JUNK ? "\\Junk"
	                                  : "its role";
}

static void expiry_print_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct expiry_list_ctx *c = ctx;
	enum store_special_use su;
	const char *error;
	int days_set;
	if (store_expiry_get(c->account, info->name, &days_set, &su, &error) <=
	    0) {
		c->failures++;
		return;
	}
	unsigned days = store_expiry_effective(&c->set, su, days_set);
	printf("%-30s ", info->name);
	if (days == 0)
		printf("never");
	else
		printf("%u day%s", days, days == 1 ? "" : "s");
	if (days_set < 0)
		printf(" (default of %s)", role_name(su));
	putchar('\n');
}

/* DAYS: 0..STORE_EXPIRY_DAYS_MAX, "never" (0) or "default" (-1). */
static int days_parse(const char *str, int *days_r)
{
	char *end;
	if (strcmp(str, "never") == 0) {
		*days_r = 0;
		return 0;
	}
	if (strcmp(str, "default") == 0) {
		*days_r = -1;
		return 0;
	}
	if (str[0] < '0' || str[0] > '9')
		return -1;
	long v = strtol(str, &end, 10);
	if (*end != '\0' || v > STORE_EXPIRY_DAYS_MAX)
		return -1;
	*days_r = (int)v;
	return 0;
}

int cmd_account_expiry(struct ctl *ctl, struct store *store, int argc,
                       char **argv)
{
	const char *address = argv[1], *error;
	struct store_account *account;
	int days = 0, ret = CTL_EXIT_OK;
	if (argc == 3 || (argc == 4 && days_parse(argv[3], &days) < 0))
		return ctl_usage(ctl, "account expiry ADDRESS [MAILBOX "
		                      "DAYS|never|default]");
	if (store_account_open(store, address, &account, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, address);
	if (argc == 4) {
		if (store_expiry_set(account, argv[2], days, &error) < 0)
			ret = ctl_error(ctl, "%s '%s'", error, argv[2]);
		else if (days < 0)
			printf("%s of %s: back to its role's default\n",
			       argv[2], address);
		else if (days == 0)
			printf("%s of %s: never expires\n", argv[2], address);
		else
			printf("%s of %s: expires after %d day%s\n", argv[2],
			       address, days, days == 1 ? "" : "s");
	} else {
		struct expiry_list_ctx c = {
		    .account = account,
		    .set = {.trash_days = ctl->settings.queue.trash_expiry_days,
		            .junk_days = ctl->settings.queue.junk_expiry_days},
		};
		if (store_mailbox_list(account, expiry_print_cb, &c) < 0 ||
		    c.failures > 0)
			ret = ctl_error(ctl, "cannot read the mailboxes of %s",
			                address);
	}
	store_account_close(&account);
	return ret;
}
