/* The arithmetic of conn_deadline.h. Every deadline is an absolute
 * monotonic time; only the transfer deadline moves, and only forward, by
 * 1000/min_rate ms per byte received. */
#include "core/conn_deadline.h"

#include <string.h>
#include <time.h>

void conn_deadline_init(struct conn_deadline *dl)
{
	memset(dl, 0, sizeof(*dl));
}

void conn_deadline_handshake_begin(struct conn_deadline *dl, uint64_t now,
                                   unsigned secs)
{
	dl->handshake_at = secs != 0 ? now + (uint64_t)secs * 1000 : 0;
}

void conn_deadline_handshake_done(struct conn_deadline *dl)
{
	dl->handshake_at = 0;
}

void conn_deadline_session_set(struct conn_deadline *dl, uint64_t now,
                               unsigned secs)
{
	dl->session_at = secs != 0 ? now + (uint64_t)secs * 1000 : 0;
}

void conn_deadline_line_set(struct conn_deadline *dl, unsigned secs)
{
	dl->line_ms = (uint64_t)secs * 1000;
}

void conn_deadline_line_begin(struct conn_deadline *dl, uint64_t now)
{
	if (dl->line_start == 0)
		dl->line_start = now;
}

void conn_deadline_line_end(struct conn_deadline *dl)
{
	dl->line_start = 0;
}

bool conn_deadline_line_is_running(const struct conn_deadline *dl)
{
	return dl->line_start != 0;
}

void conn_deadline_transfer_begin(struct conn_deadline *dl, uint64_t now,
                                  unsigned base_secs, unsigned min_rate)
{
	if (dl->transfer_at != 0 || min_rate == 0)
		return;
	dl->min_rate = min_rate;
	dl->transfer_at = now + (uint64_t)base_secs * 1000;
}

void conn_deadline_transfer_end(struct conn_deadline *dl)
{
	dl->transfer_at = 0;
}

bool conn_deadline_transfer_is_running(const struct conn_deadline *dl)
{
	return dl->transfer_at != 0;
}

void conn_deadline_input(struct conn_deadline *dl, size_t size)
{
	if (dl->transfer_at == 0 || size == 0)
		return;
	/* Postfix's smtpd_min_data_rate: N bytes add N/min_rate seconds. */
	dl->transfer_at += (uint64_t)size * 1000 / dl->min_rate;
}

static void conn_deadline_pick(uint64_t at, enum conn_timeout kind,
                               uint64_t *best, enum conn_timeout *best_kind)
{
	if (at != 0 && (*best == 0 || at < *best)) {
		*best = at;
		*best_kind = kind;
	}
}

uint64_t conn_deadline_next(const struct conn_deadline *dl,
                            enum conn_timeout *kind_r)
{
	uint64_t best = 0;
	enum conn_timeout kind = CONN_TIMEOUT_NONE;
	conn_deadline_pick(dl->handshake_at, CONN_TIMEOUT_HANDSHAKE, &best,
	                   &kind);
	conn_deadline_pick(dl->session_at, CONN_TIMEOUT_DEADLINE, &best, &kind);
	if (dl->line_ms != 0 && dl->line_start != 0)
		conn_deadline_pick(dl->line_start + dl->line_ms,
		                   CONN_TIMEOUT_LINE, &best, &kind);
	conn_deadline_pick(dl->transfer_at, CONN_TIMEOUT_TRANSFER, &best,
	                   &kind);
	*kind_r = kind;
	return best;
}

enum conn_timeout conn_deadline_expire(struct conn_deadline *dl, uint64_t now)
{
	enum conn_timeout kind;
	uint64_t at = conn_deadline_next(dl, &kind);
	if (at == 0 || at > now)
		return CONN_TIMEOUT_NONE;
	switch (kind) {
	case CONN_TIMEOUT_HANDSHAKE:
		dl->handshake_at = 0;
		break;
	case CONN_TIMEOUT_DEADLINE:
		dl->session_at = 0;
		break;
	case CONN_TIMEOUT_LINE:
		dl->line_start = 0;
		break;
	case CONN_TIMEOUT_TRANSFER:
		dl->transfer_at = 0;
		break;
	default:
		break;
	}
	return kind;
}

uint64_t conn_deadline_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: 0 means "not running" in struct conn_deadline */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

const char *conn_timeout_name(enum conn_timeout kind)
{
	switch (kind) {
	case CONN_TIMEOUT_IDLE:
		return "idle";
	case CONN_TIMEOUT_HANDSHAKE:
		return "tls-handshake";
	case CONN_TIMEOUT_DEADLINE:
		return "deadline";
	case CONN_TIMEOUT_LINE:
		return "line";
	case CONN_TIMEOUT_TRANSFER:
		return "transfer";
	default:
		return "none";
	}
}
