/* vCard parsing and writing: vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) in,
 * 4.0 out. Parsing unfolds lines (RFC 6350 §3.2), splits groups, names and
 * parameters (§3.3, quoted and multiple values, RFC 6868 ^-escapes) and
 * unescapes text values (§3.4) of the common properties into struct
 * vcard; every property line is also kept as it came (value still
 * escaped), and the card's text too, so what this code does not know
 * survives a round trip. Limits come from struct vcard_settings. */
#ifndef DAV_VCARD_H
#define DAV_VCARD_H

#include <stddef.h>

struct buf;
struct pool;

enum vcard_version {
	VCARD_VERSION_3 = 3, /* "3.0", and "2.1" read the same way */
	VCARD_VERSION_4 = 4,
};

struct vcard_settings {
	size_t max_line_len;   /* octets of one unfolded line */
	size_t max_properties; /* per card */
	size_t max_cards;      /* per input */
};

#define VCARD_DEFAULT_MAX_LINE_LEN (256 * 1024) /* room for a PHOTO */
#define VCARD_DEFAULT_MAX_PROPERTIES 1000
#define VCARD_DEFAULT_MAX_CARDS 100000

struct vcard_param {
	const char *name;    /* uppercased; "TYPE" for a 2.1-style bare value */
	const char **values; /* without quotes, ^-escapes decoded */
	size_t value_count;
};

struct vcard_property {
	const char *group; /* NULL when none */
	const char *name;  /* uppercased */
	struct vcard_param *params;
	size_t param_count;
	const char *value; /* as on the wire: backslash escapes kept */
};

/* An EMAIL or TEL with its TYPE and PREF. */
struct vcard_typed {
	const char *value; /* unescaped; TEL without a "tel:" prefix */
	const char *types; /* lowercase, comma-separated, "" when none;
	                      3.0's "pref" becomes pref = 1 instead */
	unsigned pref;     /* 1 (most preferred) .. 100; 0 when not given */
};

/* N (RFC 6350 §6.2.2): each component unescaped, "" when absent. Several
 * values inside one component stay comma-separated. */
struct vcard_name {
	const char *family, *given, *additional, *prefixes, *suffixes;
};

struct vcard {
	enum vcard_version version;
	/* Unescaped, NULL when absent. org is the organization name, the
	 * first component of ORG. */
	const char *uid, *fn, *org, *note, *rev;
	struct vcard_name n;
	struct vcard_typed *emails;
	size_t email_count;
	struct vcard_typed *tels;
	size_t tel_count;
	/* Every content line between BEGIN and END, in order. */
	struct vcard_property *props;
	size_t prop_count;
	/* The card as it came, BEGIN to END with its line breaks; NULL for a
	 * card built by hand. */
	const char *raw;
	size_t raw_size;
};

struct vcard_parser {
	const unsigned char *data;
	size_t size, pos;
	unsigned line; /* physical line number of pos, from 1 */
	size_t cards;  /* cards returned so far */
	const struct vcard_settings *set;
};

/* Fills set with the VCARD_DEFAULT_* limits. */
void vcard_settings_init(struct vcard_settings *set);
/* Starts parsing data[0..size), which must stay valid (and set with it)
 * while the parser is used. */
void vcard_parser_init(struct vcard_parser *parser, const unsigned char *data,
                       size_t size, const struct vcard_settings *set);
/* contentline = [group "."] name *(";" param) ":" value CRLF (RFC 6350
 * §3.3), between BEGIN:VCARD and END:VCARD; blank lines between cards are
 * skipped, bare LF is taken for CRLF. Returns 1 with *card_r (everything
 * allocated from pool), 0 at the end of the input, or -1 with *error_r
 * ("line 12: ...", from pool) on malformed input or a limit; parsing
 * cannot go on after -1. */
int vcard_parser_next(struct vcard_parser *parser, struct pool *pool,
                      struct vcard **card_r, const char **error_r);
/* Parses every card of data. Returns 0 with *cards_r and *count_r (both
 * possibly empty; all from pool), or -1 with *error_r as above. */
int vcard_parse(const unsigned char *data, size_t size,
                const struct vcard_settings *set, struct pool *pool,
                struct vcard ***cards_r, size_t *count_r, const char **error_r);

/* Parses the body of a CardDAV address object resource (RFC 6352 §5.1):
 * exactly one card, with UID, FN and VERSION 3.0 or 4.0. Returns 0 with
 * *card_r, or -1 with *error_r ("invalid vCard: ...", from pool). */
int vcard_parse_resource(const unsigned char *data, size_t size,
                         const struct vcard_settings *set, struct pool *pool,
                         struct vcard **card_r, const char **error_r);
/* Returns a property value with the §3.4 escapes undone, from pool. */
char *vcard_unescape(const char *value, struct pool *pool);
/* Appends one property as a content line (group, name, parameters quoted
 * and ^-escaped as needed, the value as it came), folded, with CRLF. */
void vcard_property_write(const struct vcard_property *prop, struct buf *out);

/* Appends card to out as vCard 4.0 (RFC 6350): BEGIN, VERSION:4.0, then
 * UID, FN (card->fn, or "" since FN is required), N, EMAIL and TEL with
 * TYPE and PREF, ORG, NOTE, REV from the struct fields, then every other
 * property of card->props as it came (PRODID, VERSION and the ones above
 * are not repeated), END. Text is escaped (§3.4), parameter values quoted
 * or ^-escaped as needed (RFC 6868), lines end in CRLF and are folded at
 * 75 octets without splitting a UTF-8 sequence (§3.2).
 * XXX properties kept from a 3.0 card are copied as they are, so a 3.0-only
 * form (PHOTO;ENCODING=b) stays 3.0-shaped inside the 4.0 card. */
void vcard_write(const struct vcard *card, struct buf *out);
/* Appends text with the §3.4 escapes (\\ \n \, \;). */
void vcard_escape(const char *text, struct buf *out);

#endif
