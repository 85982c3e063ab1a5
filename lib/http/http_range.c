/* Range parsing (RFC 9110 §14.1.1, §14.2):
 *   ranges-specifier = range-unit "=" range-set
 *   range-set = 1#range-spec
 *   range-spec = int-range / suffix-range / other-range
 *   int-range = first-pos "-" [ last-pos ]
 *   suffix-range = "-" suffix-length
 * Only the "bytes" unit is known; other-range makes the field ignored. */
#include "http/http_range.h"
#include "core/pool.h"
#include "http/http_syntax.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_RANGE_GAP 80 /* closer ranges are merged */

/* 1*DIGIT at *p; -1 if none or it overflows. */
static int http_range_number(const char **p, const char *end, uint64_t *n_r)
{
	const char *start = *p;
	uint64_t n = 0;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		unsigned d = (unsigned)(**p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*n_r = n;
	return *p == start ? -1 : 0;
}

/* One range-spec: 1 satisfiable (in *r), 0 unsatisfiable, -1 bad. */
static int http_range_spec(const char *p, const char *end, uint64_t length,
                           struct http_range *r)
{
	uint64_t first, last;
	if (p < end && *p == '-') {
		p++;
		if (http_range_number(&p, end, &last) < 0 || p != end)
			return -1;
		if (last == 0)
			return 0;
		r->first = last >= length ? 0 : length - last;
		r->last = length - 1;
		return 1;
	}
	if (http_range_number(&p, end, &first) < 0 || p == end || *p != '-')
		return -1;
	p++;
	last = UINT64_MAX;
	if (p < end && (http_range_number(&p, end, &last) < 0 || last < first))
		return -1;
	if (p != end)
		return -1;
	if (first >= length)
		return 0;
	r->first = first;
	r->last = last >= length ? length - 1 : last;
	return 1;
}

static int http_range_cmp(const void *a, const void *b)
{
	const struct http_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first ? 1 : 0;
}

int http_range_parse(const char *value, uint64_t length, unsigned max_ranges,
                     struct pool *pool, struct http_range **ranges_r,
                     unsigned *count_r)
{
	const char *eq = strchr(value, '=');
	if (eq == NULL ||
	    !http_str_eq_ci(value, (size_t)(eq - value), "bytes") ||
	    length == 0)
		return 0;
	struct http_range *ranges =
	    pool_alloc(pool, (max_ranges + 1) * sizeof(*ranges));
	unsigned specs = 0, count = 0;
	const char *pos = eq + 1, *elem;
	size_t len;
	while (http_list_next(&pos, &elem, &len) > 0) {
		if (++specs > max_ranges)
			return 0;
		int ret =
		    http_range_spec(elem, elem + len, length, &ranges[count]);
		if (ret < 0)
			return 0;
		count += (unsigned)ret;
	}
	if (specs == 0)
		return 0;
	if (count == 0)
		return -1;
	qsort(ranges, count, sizeof(*ranges), http_range_cmp);
	unsigned out = 0;
	for (unsigned i = 1; i < count; i++) {
		struct http_range *cur = &ranges[out];
		if (ranges[i].first <= cur->last + 1 + HTTP_RANGE_GAP) {
			if (ranges[i].last > cur->last)
				cur->last = ranges[i].last;
		} else {
			ranges[++out] = ranges[i];
		}
	}
	*ranges_r = ranges;
	*count_r = out + 1;
	return 1;
}
