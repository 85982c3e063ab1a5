/* Logging: one line per event, a short verb then key=value fields
 * ("delivered to=<a@b> mailbox=INBOX size=2048"). Each connection keeps a
 * struct log whose fields ("conn=12 peer=127.0.0.1 user=bob@x") are put in
 * front of every line it logs. Severities follow Postfix src/util/msg.c:
 * debug and info are events, warn is something odd that was handled, error is
 * an internal failure the client saw as a temporary error, panic is a bug
 * (aborts for a core dump), fatal is a startup failure (exits 1). */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* A log context. fields may be NULL (no prefix). */
struct log {
	char *fields;
};

/* Sets the process-wide name ("smtpd"), target and minimum level. Call once
 * at start; until then lines go to stderr with name "postroom". */
void log_open(const char *name, enum log_target target, enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int log_level_parse(const char *str, enum log_level *level_r);

/* Sets ctx's fields (replacing old ones) from a printf format. */
void log_init(struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends " key=value" style text to ctx's fields. */
void log_add(struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_deinit(struct log *ctx);

/* ctx may be NULL for process-level events. */
void log_debug(const struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_info(const struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_error(const struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs and exits with status 1. For start-up failures only. */
void log_fatal(const struct log *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Logs and aborts. For broken invariants (bugs). */
void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Returns client-supplied text made safe for a log line: control bytes and
 * non-ASCII become '?', at most max bytes are kept ("..." marks a cut).
 * The result lives in one of 8 static slots, reused round-robin: use it in
 * the same log call. */
const char *log_sanitize(const char *str, size_t max);

/* Never compiled out: a failed assertion is a bug, so it panics. */
#define ASSERT(expr)                                                          \
	do {                                                                  \
		if (!(expr))                                                  \
			log_panic("assertion failed: %s (%s:%d)", #expr,      \
				  __FILE__, __LINE__);                        \
	} while (0)

#endif
