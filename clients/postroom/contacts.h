/* postroom contacts: the address book kept in the local store
 * (lib/store/store_contact.h), read and written as vCard (lib/dav/vcard.h),
 * and the address completion the composer and the UI use. */
#ifndef POSTROOM_CONTACTS_H
#define POSTROOM_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>

struct pool;
struct pr_local;
struct store_contact;

#define PR_CONTACTS_COMPLETE_MAX 20

/* Completion of an address being typed: at most PR_CONTACTS_COMPLETE_MAX
 * entries "Full Name <addr>" (name quoted when needed) whose name, a word
 * of it, or the address starts with prefix, most used first. Returns 0
 * with *entries_r and *count_r (from pool), or -1. */
int pr_contacts_complete(struct pr_local *local, const char *prefix,
                         struct pool *pool, const char ***entries_r,
                         size_t *count_r);

/* Adds c (name, emails, phones, org, note filled in) with a new vCard UID
 * and its vCard 4.0 text; sets c->id. Returns 0, or -1 with *error_r. */
int pr_contacts_add(struct pr_local *local, struct store_contact *c,
                    struct pool *pool, const char **error_r);

/* Stores one card (a CardDAV member's data) as a contact, added or
 * replacing the contact with its UID, its text kept as it came. Returns 0
 * with *uid_r and *text_r (what was stored, from pool), or -1 with
 * *error_r. */
int pr_contacts_put_card(struct pr_local *local, const unsigned char *data,
                         size_t size, struct pool *pool, const char **uid_r,
                         const char **text_r, const char **error_r);
/* The vCard text of contact c: its own, or one written from its fields
 * (vCard 4.0), from pool. */
const char *pr_contacts_card_text(const struct store_contact *c,
                                  struct pool *pool);
/* Writes a copy of the card in data under a new UID, label appended to
 * its FN (a local version a sync keeps beside the server's). Returns 0
 * with *text_r (from pool), or -1 with *error_r. */
int pr_contacts_card_copy(const unsigned char *data, size_t size,
                          const char *label, struct pool *pool,
                          const char **text_r, const char **error_r);
/* True when the contact with uid came from a read-only address book on
 * the server (the domain's shared one): the sync would undo a change. */
bool pr_contacts_is_read_only(struct pr_local *local, const char *uid);

#endif
