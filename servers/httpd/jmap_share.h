/* Other users' calendars and address books in JMAP (RFC 8620 §1.6.2:
 * accounts the user may reach besides its own). Every owner who shared at
 * least one collection with the user (postroom.db's dav_shares,
 * store_dav_share_list_granted) is one more account of the Session, keyed
 * by the owner's own accountId, with only the contacts capability (a book
 * is shared) and the calendars, tasks and journal capabilities (a
 * calendar is shared). On such an account the DAV types see the owner's
 * store through store_dav_access, so only the shared collections exist;
 * every other method is accountNotSupportedByMethod. States there carry a
 * fingerprint of the shares, so a share made, changed or ended turns an
 * old state into cannotCalculateChanges instead of a silent gap. */
#ifndef HTTPD_JMAP_SHARE_H
#define HTTPD_JMAP_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jmap/jmap.h"
#include "store/store_dav.h"

struct httpd;
struct pool;

/* One owner's shares with the user, as one JMAP account. */
struct jmap_share_account {
	const char *owner;   /* the owner's address */
	char account_id[32]; /* "a<owner's account id>" (jmap_share_accounts) */
	bool has_book, has_calendar;
	bool is_writable; /* at least one share is read-write */
	/* fingerprints of the shared collections and their access, per kind
	   (order-independent; 0 when none of the kind) */
	uint64_t book_print, calendar_print;
};

/* Groups shares (count entries, any owners and kinds) by owner into out
 * (room for count accounts), in the order owners first appear; account_id
 * is left empty. Returns the number of accounts. */
size_t jmap_share_group(const struct store_dav_share *shares, size_t count,
                        struct jmap_share_account *out);

/* Whether a method of capability may run on a shared account: contacts
 * with a shared book, calendars, tasks and the journal with a shared
 * calendar, nothing else. */
bool jmap_share_allows(const struct jmap_share_account *a,
                       const char *capability);

/* The fingerprint of a's shares of kind. */
uint64_t jmap_share_print(const struct jmap_share_account *a,
                          enum store_dav_kind kind);

/* A state on a shared account: "<modseq>:<fingerprint in hex>" (from
 * pool). */
const char *jmap_share_state(struct pool *pool, uint64_t modseq,
                             uint64_t print);
/* Parses such a state. Returns 0 with *modseq_r, or -1 when it is not
 * one or was made under another fingerprint than print. */
int jmap_share_state_parse(const char *state, uint64_t print,
                           uint64_t *modseq_r);

/* The accounts of the owners who share with user, by owner address.
 * Returns 0 with *accts_r and *count_r (from pool), or -1. */
int jmap_share_accounts(struct httpd *httpd, const char *user,
                        struct pool *pool, struct jmap_share_account **accts_r,
                        size_t *count_r);

/* Adds the accounts (isPersonal false, isReadOnly unless one share is
 * read-write, the DAV capabilities they have) to session's "accounts". */
void jmap_share_session(json_t *session, const struct jmap_share_account *a,
                        size_t count);

#endif
