/* postroomctl's shared declarations: the context every command gets (the
 * effective settings and a store opened on first use), error reporting in
 * one format ("postroomctl: account add: no such domain 'x.test'"), and the
 * exit statuses: 0 done, 1 bad input or failure, 2 usage error. */
#ifndef POSTROOMCTL_H
#define POSTROOMCTL_H

#include "config/settings.h"

#include <stdbool.h>
#include <stdint.h>

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

struct store;

struct ctl {
	struct postroom_settings settings;
	struct store *store; /* opened by ctl_store() */
	const char *cmd;     /* "account add": names errors */
};

/* A command group's entry point: argv[0] is the group's verb ("add").
 * Returns an exit status. */
typedef int ctl_cmd_func(struct ctl *ctl, int argc, char **argv);

int cmd_domain(struct ctl *ctl, int argc, char **argv);
int cmd_account(struct ctl *ctl, int argc, char **argv);
/* account expiry ADDRESS [MAILBOX DAYS|never|default] (cmd_expiry.c) */
int cmd_account_expiry(struct ctl *ctl, struct store *store, int argc,
                       char **argv);
int cmd_alias(struct ctl *ctl, int argc, char **argv);
int cmd_queue(struct ctl *ctl, int argc, char **argv);
int cmd_config(struct ctl *ctl, int argc, char **argv);
int cmd_dns(struct ctl *ctl, int argc, char **argv);
/* dav list|share|unshare|export|directory (cmd_dav.c) */
int cmd_dav(struct ctl *ctl, int argc, char **argv);

/* Prints "postroomctl: <ctl->cmd>: <message>" on stderr. Returns
 * CTL_EXIT_FAIL. */
int ctl_error(const struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the usage message of the current command on stderr. Returns
 * CTL_EXIT_USAGE. */
int ctl_usage(const struct ctl *ctl, const char *usage);
/* Drops root for the data_dir's owner, then opens the store. Returns it,
 * or NULL after printing why. */
struct store *ctl_store(struct ctl *ctl);
/* When running as root and data_dir exists owned by another user, becomes
 * that user (groups, gid, then uid) so files stay the server's. Returns 0,
 * or -1 after printing why. */
int ctl_drop_privileges(const struct ctl *ctl);

/* Parses a size: digits with an optional K, M, G or T suffix (powers of
 * 1024), or "unlimited" for 0. Returns 0, or -1 if malformed or too
 * large. */
int ctl_size_parse(const char *str, uint64_t *size_r);
/* Formats size like "1.5M" ("unlimited" for 0 when zero_is_unlimited)
 * into a static buffer, valid until the next call. */
const char *ctl_size_format(uint64_t size, bool zero_is_unlimited);

#endif
