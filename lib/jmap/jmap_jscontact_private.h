/* Shared by jmap_jscontact.c (vCard to Card) and jmap_jscontact_write.c
 * (Card to vCard) and nothing else. */
#ifndef JMAP_JMAP_JSCONTACT_PRIVATE_H
#define JMAP_JMAP_JSCONTACT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "jmap/jmap.h"

struct pool;
struct vcard_property;

/* Splits raw (a value with its vCard escapes) at each sep that is not
 * escaped; the parts are unescaped when unescape. Returns the count (at
 * least 1) with *parts_r, all from pool. */
size_t jscontact_split(const char *raw, char sep, bool unescape,
                       struct pool *pool, const char ***parts_r);
/* True if prop has DERIVED=TRUE (RFC 9554 §4.1). */
bool jscontact_is_derived(const struct vcard_property *prop);
/* Sets the Card member a JSPROP property names (RFC 9555 §3.2.1:
 * JSPTR, the value a JSON text) in card; a JSPROP that does not parse
 * is dropped. */
void jscontact_jsprop_read(json_t *card, const struct vcard_property *prop,
                           struct pool *pool);

#endif
