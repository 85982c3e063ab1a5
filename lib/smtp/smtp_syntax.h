/* SMTP syntax of RFC 5321 §4.1.2: paths (with quoted local parts and source
 * routes, which are parsed and dropped as §4.1.1.3 and Appendix C allow),
 * domains and address literals, ESMTP parameters (§4.1.2), xtext (RFC 3461
 * §4), and the UTF-8 forms of RFC 6531 §3.3. Pure functions over
 * (data, size); strings they return are allocated from the caller's pool. */
#ifndef SMTP_SMTP_SYNTAX_H
#define SMTP_SMTP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

#define SMTP_LOCAL_PART_MAX 64 /* RFC 5321 §4.5.3.1.1 */
#define SMTP_DOMAIN_MAX 255    /* §4.5.3.1.2 */
#define SMTP_PATH_MAX 256      /* §4.5.3.1.3, with the brackets */

struct smtp_path {
	/* local@domain with the local part unquoted when it is a valid
	 * dot-string, else kept in its quoted form; "" for the null path <>;
	 * "postmaster" alone for <Postmaster> (§4.1.1.3). */
	const char *address;
	const char *local;  /* local part as in address */
	const char *domain; /* "" for <> and <Postmaster> */
	bool is_null;
	bool is_postmaster; /* RCPT TO:<Postmaster> without a domain */
	bool has_utf8;      /* non-ASCII bytes (needs SMTPUTF8) */
};

struct smtp_param {
	const char *keyword; /* as sent; compare case-insensitively */
	const char *value;   /* NULL when there is no "=" */
};

/* Parses a path at the start of data. Reverse-path allows <> (is_null);
 * Postmaster allows <Postmaster> alone. Returns 1 with *path_r and
 * *consumed_r (bytes up to and including '>'), or -1 with a static reason.
 * Non-ASCII must be valid UTF-8 (checked here); whether it is allowed is
 * the caller's decision (SMTPUTF8). */
int smtp_path_parse(const unsigned char *data, size_t size, bool is_reverse,
                    struct pool *pool, struct smtp_path *path_r,
                    size_t *consumed_r, const char **error_r);
/* Parses "keyword[=value] *(SP keyword[=value])" (the whole of data, which
 * may be empty). Returns 1 with an array from pool, or -1 with a static
 * reason. */
int smtp_params_parse(const unsigned char *data, size_t size, struct pool *pool,
                      struct smtp_param **params_r, size_t *count_r,
                      const char **error_r);
/* Returns true if data is a Domain of §4.1.2 (U-labels allowed when
 * allow_utf8), at most SMTP_DOMAIN_MAX bytes. */
bool smtp_domain_is_valid(const unsigned char *data, size_t size,
                          bool allow_utf8);
/* Returns true if data is an address-literal "[...]" of §4.1.3. */
bool smtp_address_literal_is_valid(const unsigned char *data, size_t size);
#define SMTP_LITERAL_ADDR_MAX 64 /* the longest IPv6 text, and NUL */
/* The address inside an IPv4 or IPv6 address-literal, as text:
 * "192.0.2.1" for "[192.0.2.1]", "2001:db8::1" for "[IPv6:2001:db8::1]"
 * (the tag in any case). Returns 0 with addr_r filled, or -1 for a
 * General-address-literal or anything that is not a valid literal. */
int smtp_address_literal_addr(const unsigned char *data, size_t size,
                              char addr_r[SMTP_LITERAL_ADDR_MAX]);
/* Returns true if data is xtext (RFC 3461 §4). */
bool smtp_xtext_is_valid(const unsigned char *data, size_t size);
/* Returns true if data is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool smtp_utf8_is_valid(const unsigned char *data, size_t size);

#endif
