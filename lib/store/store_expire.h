/* Expiry of old mail that users see go (Trash, Junk): each mailbox has an
 * expiry in days, set on the mailbox or else the default of its
 * SPECIAL-USE role (RFC 6154 \Trash, \Junk; 0 never). A message expires
 * that many days after it arrived in the mailbox (the messages.saved
 * column: its internal date when delivered or appended, the time of the
 * COPY or MOVE that put it there), so a year-old message moved to Trash
 * today stays its full term. qmgr's maintenance timer runs it; expunges
 * go in small transactions through store_message_expunge, so IMAP
 * sessions get EXPUNGE/VANISHED and the expunge log as for a user's own. */
#ifndef STORE_STORE_EXPIRE_H
#define STORE_STORE_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store/store.h"

#define STORE_EXPIRY_DAYS_MAX 36500 /* a century */

struct store_expiry_settings {
	unsigned trash_days; /* default for \Trash, 0: never */
	unsigned junk_days;  /* default for \Junk, 0: never */
	size_t batch;        /* messages per expunge transaction */
	size_t max_per_run;  /* per mailbox and run; the rest waits */
};

/* The days a mailbox of special_use keeps mail when its own setting is
 * days_set (-1: none). 0 means never. */
unsigned store_expiry_effective(const struct store_expiry_settings *set,
                                enum store_special_use special_use,
                                int days_set);

/* Reads the expiry set on mailbox: 1 with *days_r (-1 when the role's
 * default applies, else 0..STORE_EXPIRY_DAYS_MAX) and its role in
 * *special_use_r, 0 if there is no such mailbox, -1 with *error_r. */
int store_expiry_get(struct store_account *account, const char *mailbox,
                     int *days_r, enum store_special_use *special_use_r,
                     const char **error_r);
/* Sets the expiry of mailbox to days (0: never; -1: back to the role's
 * default). Returns 0, or -1 with *error_r ("no such mailbox", "days out
 * of range"). */
int store_expiry_set(struct store_account *account, const char *mailbox,
                     int days, const char **error_r);

/* One mailbox that lost mail in store_expire_account. */
typedef void store_expire_cb(const char *mailbox, unsigned days, size_t removed,
                             bool has_more, void *ctx);
/* Expunges from every mailbox of account with an expiry the messages that
 * arrived in it more than its days before now, set->batch at a time, at
 * most set->max_per_run per mailbox (has_more tells the rest waits for
 * the next run). cb (may be NULL) is called once per mailbox that lost
 * mail. Returns the number of messages removed, or -1 with *error_r (what
 * went before stays removed). */
long store_expire_account(struct store_account *account,
                          const struct store_expiry_settings *set, time_t now,
                          store_expire_cb *cb, void *ctx, const char **error_r);

#endif
