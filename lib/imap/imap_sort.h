/* SORT (RFC 5256 §3): the sort criteria of a SORT command, the keys of one
 * message (base subject per §2.1, sent date per §2.2, first address's
 * mailbox per §3), and ordering messages by a program of criteria, ties
 * broken by sequence number. Strings are compared with i;ascii-casemap
 * (RFC 4790 §9.2: folded to upper case, not to lower case as strcasecmp
 * does). DISPLAYFROM and DISPLAYTO of SORT=DISPLAY (RFC 5957). */
#ifndef IMAP_IMAP_SORT_H
#define IMAP_IMAP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct imap_arg;
struct pool;

enum imap_sort_key {
	IMAP_SORT_ARRIVAL,
	IMAP_SORT_CC,
	IMAP_SORT_DATE,
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, /* RFC 5957 */
	IMAP_SORT_DISPLAYTO,
};

#define IMAP_SORT_PROGRAM_MAX 16

struct imap_sort_criterion {
	enum imap_sort_key key;
	bool is_reverse;
};

struct imap_sort_program {
	struct imap_sort_criterion crit[IMAP_SORT_PROGRAM_MAX];
	size_t count;
};

/* What the criteria look at in one message. */
struct imap_sort_msg {
	uint32_t seq, uid;
	uint64_t size;
	time_t arrival, date;       /* INTERNALDATE; Date: (or INTERNALDATE) */
	const char *subject;        /* base subject, "" when none */
	const char *from, *to, *cc; /* first mailbox's local part, or "" */
	const char *display_from, *display_to; /* imap_sort_display_key */
};

/* sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
 * sort-criterion = ["REVERSE" SP] sort-key
 * Parses list (the elements of the parenthesised list). Returns 0 with
 * *program_r, or -1 with *error_r (a static string). */
int imap_sort_program_parse(const struct imap_arg *list,
                            struct imap_sort_program *program_r,
                            const char **error_r);

/* Appends the base subject (RFC 5256 §2.1) of subject (UTF-8, encoded
 * words already decoded) to out: runs of white space become one space,
 * "Re:", "Fw:", "Fwd:", "[blob]" prefixes, "(fwd)" trailers and the
 * "[fwd: ... ]" wrapper are removed. Returns true if anything marking a
 * reply or forward was removed (THREAD uses it). */
bool imap_sort_base_subject(const char *subject, struct buf *out);

/* date-time = [ day-of-week "," ] date time   (RFC 5322 §3.3, with obs-
 * zones and missing seconds accepted). Parses value (a Date: field body).
 * Returns 0 with the UTC time in *t_r, or -1 if it is not a date. */
int imap_sort_date_parse(const char *value, time_t *t_r);

/* Returns the local part of the first mailbox in address-list value (raw
 * field body; NULL counts as empty), from pool, or "" when there is none
 * (RFC 5256 §3 FROM/TO/CC). */
const char *imap_sort_addr_key(const char *value, struct pool *pool);

/* SORT=DISPLAY (RFC 5957 §3): the display name of the first mailbox in
 * address-list value (raw field body; NULL counts as empty), RFC 2047
 * decoded to UTF-8, or, when it has none or an empty one, its address
 * "mailbox@host"; "" when there is no mailbox. From pool. */
const char *imap_sort_display_key(const char *value, struct pool *pool);

/* Compares a and b with the i;ascii-casemap collation (RFC 4790 §9.2, the
 * one RFC 5256 §3 names): a-z become A-Z, then octets compare unsigned, so
 * "[" and "_" sort after the letters. Returns <0, 0 or >0. */
int imap_sort_casemap_cmp(const char *a, const char *b);

/* Orders msgs (count) by program; ties (and the rest) by ascending seq. */
void imap_sort_msgs(struct imap_sort_msg *msgs, size_t count,
                    const struct imap_sort_program *program);

#endif
