/* Login throttle shared by authd's workers (doc/architecture.md, "Password
 * checks"): a fixed-size table of penalty records in one file that every
 * worker maps (data_dir/run/auth-throttle) and changes only under flock().
 * Failures are counted per client address (an IPv6 address by its /64),
 * per account and per (address, account) pair. After n failures of a key
 * its next check waits nothing (n = 1), then 1 s, 2 s, 4 s ... max_delay,
 * and during that penalty a check is refused without running: parallel
 * guessers get one check per penalty between them. The account's penalty
 * counts once failures came from two addresses or more (one address is
 * held by its own records, and must not lock the owner out elsewhere). A
 * success clears its pair only, never the address's or the account's
 * records, and trusts the pair for `trust` seconds: a trusted pair skips
 * the address's and the account's penalties. Records are forgotten after
 * `forget` seconds without a failure; the table never grows, and a full
 * probe window evicts its least recently used record. */
#ifndef AUTH_AUTH_THROTTLE_H
#define AUTH_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define AUTH_THROTTLE_FILE_NAME "auth-throttle" /* in data_dir/run */
#define AUTH_THROTTLE_ENTRIES_MIN 64

struct auth_throttle_settings {
	unsigned max_delay; /* seconds: the longest penalty */
	unsigned forget;    /* seconds without a failure before a record goes */
	unsigned trust;     /* seconds a pair stays trusted after a success */
	unsigned entries;   /* records the table holds */
};

/* What the table holds for one (address, account): for tests and logs. */
struct auth_throttle_counts {
	unsigned pair_failures;
	unsigned addr_failures;
	unsigned account_failures;
	unsigned account_addrs; /* distinct addresses that failed */
	bool is_trusted;
};

struct auth_throttle;

/* Maps the table at path, creating it, or replacing a file made for
 * another number of entries (workers still mapping the old one keep their
 * copy until they exit). Returns 0, or -1 with a reason in *error_r (a
 * static buffer, valid until the next call). */
int auth_throttle_open(const char *path,
                       const struct auth_throttle_settings *set,
                       struct auth_throttle **throttle_r, const char **error_r);
/* Unmaps and closes; sets *throttle to NULL; accepts NULL. */
void auth_throttle_close(struct auth_throttle **throttle);

/* Before checking account's password for a client at ip (numeric) at now
 * (milliseconds since the epoch). Returns 1 if the check may run (and
 * reserves the next turn of every penalised key, so that requests arriving
 * meanwhile wait for their own), 0 if a penalty runs (the check must not
 * run; *wait_msecs_r is how long the penalty has left), or -1 with a static
 * reason (the lock failed). */
int auth_throttle_begin(struct auth_throttle *t, const char *ip,
                        const char *account, int64_t now,
                        unsigned *wait_msecs_r, const char **error_r);
/* Records a failed check. Returns 0 with the penalty it started in
 * *delay_msecs_r (how long the failure reply should wait), or -1 with a
 * static reason. */
int auth_throttle_fail(struct auth_throttle *t, const char *ip,
                       const char *account, int64_t now,
                       unsigned *delay_msecs_r, const char **error_r);
/* Records a successful check: clears and trusts the pair. Returns 0, or -1
 * with a static reason. */
int auth_throttle_success(struct auth_throttle *t, const char *ip,
                          const char *account, int64_t now,
                          const char **error_r);
/* Fills *counts_r with the live records of (ip, account) at now. Returns 0,
 * or -1 with a static reason. */
int auth_throttle_peek(struct auth_throttle *t, const char *ip,
                       const char *account, int64_t now,
                       struct auth_throttle_counts *counts_r,
                       const char **error_r);

#endif
