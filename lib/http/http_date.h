/* HTTP dates (RFC 9110 §5.6.7): IMF-fixdate is written; it and the two
 * obsolete forms (rfc850-date, asctime-date) are read. Times are seconds
 * since the epoch, always GMT. */
#ifndef HTTP_HTTP_DATE_H
#define HTTP_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Writes t as IMF-fixdate and a NUL into out. */
void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);
/* Parses str[0..len) in any of the three forms, exactly (no surrounding
 * whitespace). A two-digit rfc850 year more than 50 years after now is in
 * the previous century (§5.6.7). Returns 0 with *t_r, or -1 if it is not a
 * valid date. */
int http_date_parse(const char *str, size_t len, time_t now, time_t *t_r);

#endif
