/* Inside JMAP's contacts (jmap_contacts.c, jmap_contacts_query.c). */
#ifndef HTTPD_JMAP_CONTACTS_H
#define HTTPD_JMAP_CONTACTS_H

#include "jmap_server.h"

/* Calls cb with each Card the user may read (with id and
 * addressBookIds; borrowed). cb returns non-zero to stop. Returns 0, cb's
 * value, or -1. */
typedef int jmap_card_cb(struct jmap_call_ctx *c, json_t *card, void *ctx);
int jmap_contacts_each(struct jmap_call_ctx *c, jmap_card_cb *cb, void *ctx);

/* ContactCard/query. */
void jmap_contact_query(struct jmap_call_ctx *c, json_t *args);
void jmap_contact_query_changes(struct jmap_call_ctx *c, json_t *args);

#endif
