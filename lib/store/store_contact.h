/* Contacts of one account, kept in its mail.db (DESIGN.md: contacts live
 * beside the mail; CardDAV will serve them later): a contact has a vCard
 * UID (unique per account), a full name, several e-mail addresses and
 * phone numbers, an organization, a note, the vCard text it came from
 * (the store does not parse it: lib/dav does, in the client) and the time
 * it was last changed. How often each address was written to is counted
 * per address (lowercased), apart from the contacts, so editing or
 * deleting a contact keeps the counts; completion orders by them.
 * XXX name and address matching folds ASCII case only (SQLite lower()). */
#ifndef STORE_STORE_CONTACT_H
#define STORE_STORE_CONTACT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct pool;

struct store_contact {
	int64_t id;       /* 0 for a new contact */
	const char *uid;  /* vCard UID, required */
	const char *name; /* full name (FN), "" when none */
	const char **emails;
	size_t email_count;
	const char **phones;
	size_t phone_count;
	const char *org;    /* "" when none (NULL is taken as "") */
	const char *note;   /* "" when none */
	const char *vcard;  /* the card's text, "" when none */
	time_t updated;     /* set by add and update */
	uint64_t use_count; /* read only: the sum over its addresses */
};

/* Adds contact at time now (contact->id is ignored). Returns 0 with *id_r,
 * or -1 with *error_r: "contact needs a UID", "contact needs a name or an
 * address", "contact exists" (same UID), or a storage failure. */
int store_contact_add(struct store_account *account,
                      const struct store_contact *contact, time_t now,
                      int64_t *id_r, const char **error_r);
/* Replaces every field of contact contact->id (UID included) at time now.
 * Returns 1, 0 if there is no such contact, or -1 with *error_r as for
 * add. */
int store_contact_update(struct store_account *account,
                         const struct store_contact *contact, time_t now,
                         const char **error_r);
/* Returns 1 deleted, 0 no such contact, -1. */
int store_contact_delete(struct store_account *account, int64_t id);
/* Returns 1 with *contact_r (everything from pool), 0 none, -1. */
int store_contact_get(struct store_account *account, int64_t id,
                      struct pool *pool, struct store_contact *contact_r);
int store_contact_get_by_uid(struct store_account *account, const char *uid,
                             struct pool *pool,
                             struct store_contact *contact_r);
/* Every contact, by name (ASCII case folded) then id. Returns 0 with
 * *contacts_r and *count_r (from pool), or -1. */
int store_contact_list(struct store_account *account, struct pool *pool,
                       struct store_contact **contacts_r, size_t *count_r);
/* Contacts whose name or any address contains query, case-insensitively,
 * in list order. Returns 0 with the array as for list, or -1. */
int store_contact_search(struct store_account *account, const char *query,
                         struct pool *pool, struct store_contact **contacts_r,
                         size_t *count_r);
/* Address completion: at most limit entries "Full Name <addr>" (the name
 * quoted per RFC 5322 §3.2.4 when it holds specials; just "addr" when
 * the contact has no name), one per address of a contact whose name, a
 * word of the name, or the address starts with prefix (case-insensitive),
 * most used first, then by name. Returns 0 with *entries_r and *count_r
 * (from pool), or -1. */
int store_contact_complete(struct store_account *account, const char *prefix,
                           size_t limit, struct pool *pool,
                           const char ***entries_r, size_t *count_r);
/* Counts one more use of address (a message was sent to it) at time now,
 * whether or not a contact has it. Returns 0 or -1. */
int store_contact_use(struct store_account *account, const char *address,
                      time_t now);

#endif
