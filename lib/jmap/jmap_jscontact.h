/* JSContact (RFC 9553) Card objects from vCard and back, by the mapping
 * of RFC 9555, for JMAP ContactCard (RFC 9610) over CardDAV's address
 * objects. What has no JSContact form is kept: a vCard property as a
 * "vCardProps" entry (jCard form, RFC 9555 §2.15.1: its value as it came,
 * escapes and all), a parameter of a converted property in that object's
 * "vCardParams", and a Card member with no vCard form as a JSPROP
 * property (RFC 9555 §3.2.1), so a card survives any number of trips
 * through JMAP and CardDAV clients. */
#ifndef JMAP_JMAP_JSCONTACT_H
#define JMAP_JMAP_JSCONTACT_H

#include "jmap/jmap.h"

struct buf;
struct pool;
struct vcard;

/* The Card of card (new reference); card's strings are not kept. */
json_t *jmap_jscontact_from_vcard(const struct vcard *card, struct pool *pool);

/* Checks card (a Card, RFC 9553 §2) and appends it to out as one vCard
 * 4.0 with CRLF line ends. Returns 0, or -1 with *prop_r (the member that
 * is not valid, a JSON pointer without the leading "/", for a SetError's
 * properties; from pool) and *error_r (static or from pool). */
int jmap_jscontact_to_vcard(json_t *card, struct pool *pool, struct buf *out,
                            const char **prop_r, const char **error_r);

#endif
