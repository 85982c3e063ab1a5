/* IMAP sequence sets (RFC 9051 §9 sequence-set, seq-range; RFC 4315
 * uid-set): parsing "1:3,7,9:*", membership with "*" standing for the
 * largest number in use, and the compact writing of a sorted list of UIDs
 * that APPENDUID, COPYUID and ESEARCH send. */
#ifndef IMAP_IMAP_SEQSET_H
#define IMAP_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;

struct imap_seq_range {
	uint32_t first, last; /* first <= last once resolved */
	/* "*" stood there (its number is set when resolved): every
	 * nz-number up to 4294967295 is a number of its own (RFC 9051 §9) */
	bool is_first_star, is_last_star;
};

struct imap_seqset {
	struct imap_seq_range *ranges; /* from the pool given to parse */
	size_t count;
};

/* Parses str. Returns 1 with *set_r (ranges from pool), or -1 if str is
 * not a sequence-set (empty, a 0, a number past 2^32-1, stray bytes).
 * "$" (RFC 5182 search result) is not accepted. */
int imap_seqset_parse(const char *str, struct pool *pool,
                      struct imap_seqset *set_r);
/* Replaces "*" by star (the largest sequence number or UID; 0 for an empty
 * mailbox) and orders each range, so "5:*" with star 3 is 3:5. */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t star);
/* Returns true if n is in a resolved set. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);
/* Returns the largest number of a resolved set (0 if empty). */
uint32_t imap_seqset_max(const struct imap_seqset *set);
/* Appends nums (count numbers, ascending) as "1:3,7" to out; nothing when
 * count is 0. */
void imap_seqset_write(struct buf *out, const uint32_t *nums, size_t count);

#endif
