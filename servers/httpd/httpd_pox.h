/* Reading Outlook's POX autodiscover request (MS-OXDSCLI): the text of
 * one element, without an XML parser (httpd_pox.c says why). */
#ifndef HTTPD_HTTPD_POX_H
#define HTTPD_HTTPD_POX_H

#include <stddef.h>

struct pool;

/* Finds the text of the first element called name (with any namespace
 * prefix) in data[0..size), e.g. "EMailAddress".
 * element = "<" [prefix ":"] name *attribute ">" text "</"
 * Returns 1 with *value_r (from pool, surrounding whitespace trimmed), 0
 * when the element is missing or empty, -1 when the document has a
 * DOCTYPE or CDATA section before it, an unterminated comment, or text
 * holding markup, an entity reference or a control character. */
int httpd_pox_find(const unsigned char *data, size_t size, const char *name,
                   struct pool *pool, const char **value_r);

#endif
