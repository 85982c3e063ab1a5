/* Range requests (RFC 9110 §14): the byte ranges of a Range field for a
 * representation of known length, sorted and coalesced (ranges that
 * overlap or lie within 80 bytes of each other, about the cost of a
 * multipart part header, become one), and the multipart/byteranges
 * boundary. The server answers one range with a plain 206 and several
 * with multipart/byteranges (§14.6). */
#ifndef HTTP_HTTP_RANGE_H
#define HTTP_HTTP_RANGE_H

#include <stdint.h>

struct pool;

struct http_range {
	uint64_t first, last; /* inclusive, last < the length */
};

/* Parses value (Range = range-unit "=" range-set) for a representation of
 * length bytes. Returns 1 with *count_r ranges in *ranges_r (from pool,
 * ascending, disjoint); 0 when the field is to be ignored and the whole
 * representation sent (another unit, bad syntax, more than max_ranges
 * range-specs, length 0); -1 when no range is satisfiable (416). */
int http_range_parse(const char *value, uint64_t length, unsigned max_ranges,
                     struct pool *pool, struct http_range **ranges_r,
                     unsigned *count_r);

#endif
