/* IMAP sequence sets (RFC 9051 §9: sequence-set, seq-range, seq-number;
 * RFC 4315 §4 uid-set). Ranges are kept as parsed; "*" becomes a number
 * only when the caller resolves the set against the mailbox. */
#include "imap/imap_seqset.h"
#include "core/buf.h"
#include "core/pool.h"

#include <string.h>

/* seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT, a
 * non-zero unsigned 32-bit integer (0 < n < 4,294,967,296) */
static int seq_number_parse(const char **p, uint32_t *num_r, bool *is_star_r)
{
	const char *s = *p;
	*is_star_r = *s == '*';
	if (*is_star_r) {
		*num_r = 0;
		*p = s + 1;
		return 1;
	}
	if (*s < '1' || *s > '9')
		return -1;
	uint64_t n = 0;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
		s++;
	}
	*num_r = (uint32_t)n;
	*p = s;
	return 1;
}

/* sequence-set = (seq-number / seq-range) ["," sequence-set]
 * seq-range = seq-number ":" seq-number */
int imap_seqset_parse(const char *str, struct pool *pool,
                      struct imap_seqset *set_r)
{
	size_t count = 1;
	for (const char *s = str; *s != '\0'; s++)
		if (*s == ',')
			count++;
	set_r->ranges = pool_alloc(pool, count * sizeof(*set_r->ranges));
	set_r->count = 0;
	const char *p = str;
	for (;;) {
		struct imap_seq_range r;
		if (seq_number_parse(&p, &r.first, &r.is_first_star) < 0)
			return -1;
		r.last = r.first;
		r.is_last_star = r.is_first_star;
		if (*p == ':') {
			p++;
			if (seq_number_parse(&p, &r.last, &r.is_last_star) < 0)
				return -1;
		}
		set_r->ranges[set_r->count++] = r;
		if (*p == '\0')
			return 1;
		if (*p != ',')
			return -1;
		p++;
	}
}

void imap_seqset_resolve(struct imap_seqset *set, uint32_t star)
{
	for (size_t i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];
		if (r->is_first_star)
			r->first = star;
		if (r->is_last_star)
			r->last = star;
		if (r->first > r->last) {
			uint32_t t = r->first;
			r->first = r->last;
			r->last = t;
		}
	}
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	for (size_t i = 0; i < set->count; i++)
		if (n >= set->ranges[i].first && n <= set->ranges[i].last)
			return true;
	return false;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
	uint32_t max = 0;
	for (size_t i = 0; i < set->count; i++)
		if (set->ranges[i].last > max)
			max = set->ranges[i].last;
	return max;
}

void imap_seqset_write(struct buf *out, const uint32_t *nums, size_t count)
{
	size_t i = 0;
	while (i < count) {
		size_t j = i;
		while (j + 1 < count && nums[j + 1] == nums[j] + 1)
			j++;
		if (i > 0)
			buf_append_char(out, ',');
		if (j == i)
			buf_printf(out, "%u", nums[i]);
		else
			buf_printf(out, "%u:%u", nums[i], nums[j]);
		i = j + 1;
	}
}
