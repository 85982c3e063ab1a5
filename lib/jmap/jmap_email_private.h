/* Shared by the files of lib/jmap that build Email objects. */
#ifndef JMAP_JMAP_EMAIL_PRIVATE_H
#define JMAP_JMAP_EMAIL_PRIVATE_H

#include "jmap/jmap_email.h"

enum jmap_header_form {
	JMAP_FORM_RAW,
	JMAP_FORM_TEXT,
	JMAP_FORM_ADDRESSES,
	JMAP_FORM_GROUPED,
	JMAP_FORM_MESSAGE_IDS,
	JMAP_FORM_DATE,
	JMAP_FORM_URLS,
};

struct jmap_header_prop {
	char name[256];
	enum jmap_header_form form;
	bool is_all;
};

/* Parses "header:Name[:asForm][:all]". Returns 0 or -1. */
int jmap_header_prop_parse(const char *prop, struct jmap_header_prop *hp);
/* The value of hp in part's header (new reference; null when absent). */
json_t *jmap_header_get(const unsigned char *data, const struct mime_part *part,
                        const struct jmap_header_prop *hp);
/* Every field of part's header as [{name, value}] in Raw form. */
json_t *jmap_header_all_raw(const unsigned char *data,
                            const struct mime_part *part);
/* Appends data as valid UTF-8 without NUL. */
void jmap_utf8_sanitize(const unsigned char *data, size_t size,
                        struct buf *out);

#endif
