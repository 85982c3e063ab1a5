/* Log lines to stderr (with a UTC timestamp) or syslog. */
#include "core/log.h"
#include "core/buf.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_name = "postroom";
static enum log_target log_target = LOG_TARGET_STDERR;
static enum log_level log_min = LOG_LEVEL_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_open(const char *name, enum log_target target, enum log_level level)
{
	log_name = name;
	log_target = target;
	log_min = level;
	if (target == LOG_TARGET_SYSLOG)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int log_level_parse(const char *str, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(str, level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_init(struct log *ctx, const char *fmt, ...)
{
	va_list ap;
	struct buf b;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(ctx->fields);
	ctx->fields = buf_detach(&b);
	buf_deinit(&b);
}

void log_add(struct log *ctx, const char *fmt, ...)
{
	va_list ap;
	struct buf b;
	buf_init(&b);
	if (ctx->fields != NULL && ctx->fields[0] != '\0') {
		buf_append_str(&b, ctx->fields);
		buf_append_char(&b, ' ');
	}
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(ctx->fields);
	ctx->fields = buf_detach(&b);
	buf_deinit(&b);
}

void log_deinit(struct log *ctx)
{
	free(ctx->fields);
	ctx->fields = NULL;
}

static void log_emit(const char *level, int prio, const struct log *ctx,
		     const char *fmt, va_list ap)
{
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	const char *fields = ctx != NULL && ctx->fields != NULL ? ctx->fields : "";
	const char *sep = fields[0] != '\0' ? " " : "";
	if (log_target == LOG_TARGET_SYSLOG) {
		syslog(prio, "%s: %s%s%s", level, fields, sep, msg);
		return;
	}
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line so lines from several processes don't interleave. */
	char line[2600];
	int n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld]: %s: %s%s%s\n",
			 stamp, ts.tv_nsec / 1000000, log_name, (long)getpid(),
			 level, fields, sep, msg);
	if (n > 0) {
		size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
		line[len - 1] = '\n';
		(void)!write(STDERR_FILENO, line, len);
	}
}

#define LOG_FN(fn, lvl, name, prio)                                           \
	void fn(const struct log *ctx, const char *fmt, ...)                  \
	{                                                                     \
		if (lvl < log_min)                                            \
			return;                                               \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		log_emit(name, prio, ctx, fmt, ap);                           \
		va_end(ap);                                                   \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, "debug", LOG_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO, "info", LOG_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN, "warn", LOG_WARNING)
LOG_FN(log_error, LOG_LEVEL_ERROR, "error", LOG_ERR)

void log_fatal(const struct log *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("fatal", LOG_CRIT, ctx, fmt, ap);
	va_end(ap);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("panic", LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	abort();
}

const char *log_sanitize(const char *str, size_t max)
{
	static char slots[8][1024];
	static unsigned next;
	char *out = slots[next++ % 8];
	size_t limit = max < sizeof(slots[0]) - 4 ? max : sizeof(slots[0]) - 4;
	size_t i = 0;
	if (str == NULL)
		str = "";
	for (; str[i] != '\0' && i < limit; i++) {
		unsigned char c = (unsigned char)str[i];
		out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (str[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}
