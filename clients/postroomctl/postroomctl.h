/* postroomctl's shared declarations: the context every command gets (the
 * effective settings and a store opened on first use), error reporting in
 * one format ("postroomctl: account add: no such domain 'x.test'"), and the
 * exit statuses: 0 done, 1 bad input or failure, 2 usage error. */
#ifndef POSTROOMCTL_H
#define POSTROOMCTL_H

#include "config/settings.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

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
/* account sieve|vacation|forward (cmd_sieve.c): argv[0] is the verb. */
int cmd_account_sieve(struct ctl *ctl, struct store *store, int argc,
                      char **argv);
int cmd_account_vacation(struct ctl *ctl, struct store *store, int argc,
                         char **argv);
int cmd_account_forward(struct ctl *ctl, struct store *store, int argc,
                        char **argv);
int cmd_dns(struct ctl *ctl, int argc, char **argv);
/* dav list|share|unshare|export|directory (cmd_dav.c) */
int cmd_dav(struct ctl *ctl, int argc, char **argv);
int cmd_dkim(struct ctl *ctl, int argc, char **argv);
/* token create|list|revoke: bearer tokens (cmd_token.c) */
int cmd_token(struct ctl *ctl, int argc, char **argv);
/* report send-now (cmd_report.c) */
int cmd_report(struct ctl *ctl, int argc, char **argv);

/* A DKIM key of a domain (cmd_dkim.c). */
struct dkim_key_info {
	const char *selector;
	const char *record; /* "v=DKIM1; k=...; p=..." */
	time_t retired;     /* 0 while it signs */
	bool is_ed25519;
};
typedef void dkim_keys_cb(const struct dkim_key_info *info, void *ctx);
/* Calls cb for each key of domain, by selector. Returns the number of
 * keys (0 when it has no key folder), or -1. */
int dkim_keys_scan(const struct ctl *ctl, const char *domain,
                   dkim_keys_cb *cb, void *ctx);
/* Makes an Ed25519 and an RSA-2048 key for domain and retires the active
 * ones (retire), or makes them only when it has none (!retire). Prints
 * what it did. Returns an exit status. Call after ctl_store(). */
int dkim_keys_create(struct ctl *ctl, const char *domain, bool retire);
/* Is the retired key past dkim_signature_lifetime (out of DNS now)? */
bool dkim_key_is_expired(const struct ctl *ctl,
                         const struct dkim_key_info *info);

/* The SPF, DKIM and DMARC records of domain in zone-file form, each with
 * a one-line comment (cmd_dns_auth.c); host is the MX host. */
void dns_auth_print(const struct ctl *ctl, const char *domain,
                    const char *host);
/* postroomctl dns check DOMAIN: looks the records up and prints what is
 * missing or wrong. Returns an exit status (1 when something is). */
int dns_auth_check(struct ctl *ctl, const char *domain);
/* The MTA-STS and TLS-RPT records of domain, each after a comment
 * (cmd_dns_tls.c); host is the MX host. */
void dns_tls_print(const struct ctl *ctl, const char *domain, const char *host);
/* dns check's part for them: looks them up with dns on loop, prints one
 * line each, returns the number of problems. */
struct dns;
struct event_loop;
unsigned dns_tls_check(const struct ctl *ctl, struct event_loop *loop,
                       struct dns *dns, const char *domain, const char *host);

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
