/* FUTURERELEASE values (RFC 4865): the MAIL parameters HOLDFOR (seconds,
 * 1*9DIGIT) and HOLDUNTIL (an RFC 3339 §5.6 date-time, per the errata
 * EID 2040), the EHLO keyword's two parameters, and the date-time text
 * both sides write (always UTC, "2025-01-02T03:04:05Z"). Shared by the
 * server engine (smtp_server_cmd_mail.c) and the client (postroom send). */
#ifndef SMTP_SMTP_RELEASE_H
#define SMTP_SMTP_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SMTP_RELEASE_INTERVAL_MAX 999999999 /* 9 digits (RFC 4865 §3) */
#define SMTP_DATETIME_MAX 32 /* "YYYY-MM-DDTHH:MM:SSZ" and NUL, with room */

/* date-time = full-date "T" full-time (RFC 3339 §5.6; "T" and "Z" in
 * either case, fractions of a second ignored, offsets +hh:mm / -hh:mm).
 * Returns 0 with the instant in *time_r, or -1 if str is not a valid
 * date-time. */
int smtp_release_datetime_parse(const char *str, time_t *time_r);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void smtp_release_datetime_format(time_t t, char buf[SMTP_DATETIME_MAX]);
/* HOLDFOR value: future-release-integer = 1*9DIGIT. Returns 0 with the
 * seconds in *secs_r, or -1. */
int smtp_release_interval_parse(const char *str, unsigned long *secs_r);
/* The parameters of the EHLO keyword, "max-future-release-interval SP
 * max-future-release-date-time". Returns 0 with both, or -1 if params is
 * not of that form. */
int smtp_release_ehlo_parse(const char *params, unsigned long *max_interval_r,
                            time_t *max_time_r);

#endif
