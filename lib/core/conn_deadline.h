/* Deadlines that received bytes cannot extend, kept for one struct conn
 * (conn.c arms one timer from them): a TLS handshake must finish in time; a
 * session deadline (greeting to login, one HTTP request); a line must be
 * complete within its time from its first byte; a transfer (SMTP DATA/BDAT)
 * must keep a minimum rate, each byte adding 1/min_rate seconds to a base
 * time (Postfix's smtpd_min_data_rate). The idle timeout, which every byte
 * restarts, is not here. Pure arithmetic over a caller-given monotonic time
 * in milliseconds, so it is tested without sockets or clocks. */
#ifndef CORE_CONN_DEADLINE_H
#define CORE_CONN_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum conn_timeout {
	CONN_TIMEOUT_NONE,
	CONN_TIMEOUT_IDLE,      /* no input for the idle timeout */
	CONN_TIMEOUT_HANDSHAKE, /* the TLS handshake took too long */
	CONN_TIMEOUT_DEADLINE,  /* the owner's session deadline passed */
	CONN_TIMEOUT_LINE,      /* a line was not complete in time */
	CONN_TIMEOUT_TRANSFER,  /* a transfer fell below its minimum rate */
};

/* Times are monotonic milliseconds; 0 means "not running". */
struct conn_deadline {
	uint64_t handshake_at;
	uint64_t session_at;
	uint64_t line_ms;     /* 0: lines have no deadline */
	uint64_t line_start;  /* first byte of the incomplete line, or 0 */
	unsigned min_rate;    /* transfer bytes per second */
	uint64_t transfer_at; /* moves later with each byte received */
};

/* Everything off. */
void conn_deadline_init(struct conn_deadline *dl);

/* The handshake must end secs after now (0: no deadline); _done stops it. */
void conn_deadline_handshake_begin(struct conn_deadline *dl, uint64_t now,
                                   unsigned secs);
void conn_deadline_handshake_done(struct conn_deadline *dl);
/* The session deadline: secs after now; 0 cancels it. */
void conn_deadline_session_set(struct conn_deadline *dl, uint64_t now,
                               unsigned secs);
/* Sets the time a line may take (0: none); a running line keeps its start. */
void conn_deadline_line_set(struct conn_deadline *dl, unsigned secs);
/* An incomplete line is buffered: its clock starts now unless it runs
 * already. _end: the line is complete (or the owner stopped reading lines). */
void conn_deadline_line_begin(struct conn_deadline *dl, uint64_t now);
void conn_deadline_line_end(struct conn_deadline *dl);
bool conn_deadline_line_is_running(const struct conn_deadline *dl);
/* A transfer starts now with base_secs, and each byte received while it
 * runs adds 1/min_rate seconds. min_rate 0 means no transfer deadline. Does
 * nothing while one runs already. _end stops it. */
void conn_deadline_transfer_begin(struct conn_deadline *dl, uint64_t now,
                                  unsigned base_secs, unsigned min_rate);
void conn_deadline_transfer_end(struct conn_deadline *dl);
bool conn_deadline_transfer_is_running(const struct conn_deadline *dl);
/* size bytes were received (counted only while a transfer runs). */
void conn_deadline_input(struct conn_deadline *dl, size_t size);

/* Returns the earliest running deadline (monotonic ms) and its kind in
 * *kind_r, or 0 with CONN_TIMEOUT_NONE when none runs. */
uint64_t conn_deadline_next(const struct conn_deadline *dl,
                            enum conn_timeout *kind_r);
/* Returns the kind of the earliest deadline at or before now and stops it
 * (it fires once), or CONN_TIMEOUT_NONE if none has passed. */
enum conn_timeout conn_deadline_expire(struct conn_deadline *dl, uint64_t now);

/* The monotonic clock in milliseconds (never 0). */
uint64_t conn_deadline_now(void);
/* A short name for a log line: "idle", "tls-handshake", "deadline",
 * "line", "transfer", or "none". */
const char *conn_timeout_name(enum conn_timeout kind);

#endif
