/* Tests for conn_deadline.c with a made-up clock: a trickle of bytes never
 * moves the line, session or handshake deadline; a transfer gains exactly
 * 1/min_rate s per byte, so a fast sender goes on and a trickler ends near
 * its base time; the earliest deadline wins and fires once. */
#include "core/conn_deadline.h"
#include "test/test.h"

#include <stddef.h>

#define T0 1000000 /* any start; 0 means "not running" */

static void test_line_deadline_ignores_bytes(void)
{
	test_begin("conn_deadline: a trickled line ends at its deadline");
	struct conn_deadline dl;
	enum conn_timeout kind;
	conn_deadline_init(&dl);
	conn_deadline_line_set(&dl, 10);
	test_assert_int(conn_deadline_next(&dl, &kind), 0);
	test_assert_int(kind, CONN_TIMEOUT_NONE);
	/* one byte a second: each call comes with a partial line */
	for (uint64_t t = T0; t < T0 + 9000; t += 1000) {
		conn_deadline_line_begin(&dl, t);
		conn_deadline_input(&dl, 1);
		test_assert_int(conn_deadline_expire(&dl, t),
		                CONN_TIMEOUT_NONE);
	}
	test_assert_int(conn_deadline_next(&dl, &kind), T0 + 10000);
	test_assert_int(kind, CONN_TIMEOUT_LINE);
	test_assert_int(conn_deadline_expire(&dl, T0 + 9999),
	                CONN_TIMEOUT_NONE);
	test_assert_int(conn_deadline_expire(&dl, T0 + 10000),
	                CONN_TIMEOUT_LINE);
	/* it fires once */
	test_assert_int(conn_deadline_expire(&dl, T0 + 20000),
	                CONN_TIMEOUT_NONE);
	test_end();
}

static void test_line_complete_restarts(void)
{
	test_begin("conn_deadline: each complete line restarts the clock");
	struct conn_deadline dl;
	enum conn_timeout kind;
	conn_deadline_init(&dl);
	conn_deadline_line_set(&dl, 10);
	conn_deadline_line_begin(&dl, T0);
	test_assert(conn_deadline_line_is_running(&dl));
	conn_deadline_line_end(&dl);
	test_assert(!conn_deadline_line_is_running(&dl));
	test_assert_int(conn_deadline_next(&dl, &kind), 0);
	conn_deadline_line_begin(&dl, T0 + 60000);
	test_assert_int(conn_deadline_next(&dl, &kind), T0 + 70000);
	/* no line limit: a running line has no deadline */
	conn_deadline_line_set(&dl, 0);
	test_assert_int(conn_deadline_next(&dl, &kind), 0);
	test_end();
}

static void test_transfer_rate(void)
{
	static const struct {
		unsigned base, rate;
		size_t bytes;  /* received in total */
		uint64_t want; /* deadline after them, from T0 */
	} rows[] = {
	    {300, 500, 0, 300000}, {300, 500, 500, 301000},
	    {300, 500, 1, 300002}, {10, 1000, 5000000, 5010000},
	    {0, 100, 50, 500},
	};
	test_begin("conn_deadline: a transfer gains 1/min_rate s per byte");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct conn_deadline dl;
		enum conn_timeout kind;
		conn_deadline_init(&dl);
		conn_deadline_input(&dl, 100); /* before: not counted */
		conn_deadline_transfer_begin(&dl, T0, rows[i].base,
		                             rows[i].rate);
		test_assert_idx(conn_deadline_transfer_is_running(&dl), i);
		conn_deadline_input(&dl, rows[i].bytes);
		test_assert_idx(
		    conn_deadline_next(&dl, &kind) == T0 + rows[i].want, i);
		test_assert_idx(kind == CONN_TIMEOUT_TRANSFER, i);
		/* a second begin while it runs changes nothing */
		conn_deadline_transfer_begin(&dl, T0 + 5000, 1, 1);
		test_assert_idx(
		    conn_deadline_next(&dl, &kind) == T0 + rows[i].want, i);
		conn_deadline_transfer_end(&dl);
		test_assert_idx(conn_deadline_next(&dl, &kind) == 0, i);
		conn_deadline_input(&dl, 100); /* after: not counted */
		test_assert_idx(!conn_deadline_transfer_is_running(&dl), i);
	}
	test_end();
}

static void test_transfer_trickle(void)
{
	test_begin("conn_deadline: a trickled transfer ends near its base");
	struct conn_deadline dl;
	conn_deadline_init(&dl);
	conn_deadline_transfer_begin(&dl, T0, 60, 500);
	uint64_t t = T0;
	enum conn_timeout kind = CONN_TIMEOUT_NONE;
	/* one byte every 10 s: an idle timeout of a minute never fires */
	while (kind == CONN_TIMEOUT_NONE && t < T0 + 3600000) {
		t += 10000;
		kind = conn_deadline_expire(&dl, t);
		conn_deadline_input(&dl, 1);
	}
	test_assert_int(kind, CONN_TIMEOUT_TRANSFER);
	test_assert_int(t, T0 + 70000); /* 60 s + 6 bytes * 2 ms, seen at 70 */
	/* min_rate 0: no transfer deadline at all */
	conn_deadline_init(&dl);
	conn_deadline_transfer_begin(&dl, T0, 60, 0);
	test_assert(!conn_deadline_transfer_is_running(&dl));
	test_end();
}

static void test_earliest_wins(void)
{
	test_begin("conn_deadline: the earliest deadline fires first");
	struct conn_deadline dl;
	enum conn_timeout kind;
	conn_deadline_init(&dl);
	conn_deadline_handshake_begin(&dl, T0, 60);
	conn_deadline_session_set(&dl, T0, 180);
	conn_deadline_line_set(&dl, 30);
	conn_deadline_line_begin(&dl, T0 + 100000);
	conn_deadline_transfer_begin(&dl, T0, 300, 500);
	test_assert_int(conn_deadline_next(&dl, &kind), T0 + 60000);
	test_assert_int(kind, CONN_TIMEOUT_HANDSHAKE);
	conn_deadline_handshake_done(&dl);
	test_assert_int(conn_deadline_next(&dl, &kind), T0 + 130000);
	test_assert_int(kind, CONN_TIMEOUT_LINE);
	test_assert_int(conn_deadline_expire(&dl, T0 + 200000),
	                CONN_TIMEOUT_LINE);
	test_assert_int(conn_deadline_expire(&dl, T0 + 200000),
	                CONN_TIMEOUT_DEADLINE);
	test_assert_int(conn_deadline_next(&dl, &kind), T0 + 300000);
	test_assert_int(kind, CONN_TIMEOUT_TRANSFER);
	/* cancelled session deadline, handshake without a limit */
	conn_deadline_init(&dl);
	conn_deadline_session_set(&dl, T0, 5);
	conn_deadline_session_set(&dl, T0, 0);
	conn_deadline_handshake_begin(&dl, T0, 0);
	test_assert_int(conn_deadline_next(&dl, &kind), 0);
	test_assert_str(conn_timeout_name(CONN_TIMEOUT_LINE), "line");
	test_assert(conn_deadline_now() > 0);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_line_deadline_ignores_bytes,
	    test_line_complete_restarts,
	    test_transfer_rate,
	    test_transfer_trickle,
	    test_earliest_wins,
	    NULL,
	};
	return test_run(tests);
}
