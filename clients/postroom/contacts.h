/* postroom contacts: the address book kept in the local store
 * (lib/store/store_contact.h), read and written as vCard (lib/dav/vcard.h),
 * and the address completion the composer and the UI use. */
#ifndef POSTROOM_CONTACTS_H
#define POSTROOM_CONTACTS_H

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

#endif
