/* postroom cal, tasks and journal: what the subcommands share (cal.c,
 * cal_view.c, tasks.c, journal.c, invite.c) and the full-screen calendar
 * pane uses: times typed by a person and shown to one (local time, the
 * zone of TZ or /etc/localtime), the ranges of a day, week and month, and
 * the JSON form of an entry. */
#ifndef POSTROOM_CAL_H
#define POSTROOM_CAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "calendar.h"
#include "dav/ical_edit.h"
#include "postroom.h"

#include <jansson.h>

struct buf;
struct pool;

/* ---- cal_time.c -----------------------------------------------------------
 */

/* Parses a date or time as people type them, in local time:
 * "2024-05-01" (a date), "2024-05-01 10:00", "2024-05-01T10:00:30",
 * "today", "tomorrow", "yesterday", "+3d", "today 9:30", "mon".."sun" (the
 * next one), with "Z" after a time for UTC. Fills *when_r (is_date for a
 * date alone) and *is_utc_r. Returns 0 or -1. */
int pr_time_parse(const char *str, time_t now, struct ical_when *when_r,
                  bool *is_utc_r);
/* The instant of w in local time (a date: its local midnight), or in UTC
 * when is_utc. */
time_t pr_time_of(const struct ical_when *w, bool is_utc);
/* A length as people type it: "90m", "1h", "1h30m", "2d", "45" (minutes),
 * "30s". Returns seconds, or -1. */
int64_t pr_duration_parse(const char *str);
/* Local midnight of the day holding t, and n days later. */
time_t pr_day_start(time_t t);
time_t pr_day_add(time_t day, int n);
/* The Monday of t's week, and the first of t's month (local). */
time_t pr_week_start(time_t t);
time_t pr_month_start(time_t t);
time_t pr_month_add(time_t month, int n);
/* "2024-05-01T10:00:00+02:00" (RFC 3339, local offset), from pool. */
const char *pr_time_rfc3339(time_t t, struct pool *pool);
/* "2024-05-01" of t in local time, from pool. */
const char *pr_time_date(time_t t, struct pool *pool);
/* "10:00" of t in local time, into out (6 bytes). */
void pr_time_hhmm(time_t t, char out[6]);
/* "Mon 2024-05-01" into out (16 bytes). */
void pr_time_day_label(time_t t, char out[16]);

/* ---- cal_view.c: showing entries -------------------------------------------
 */

/* An entry as JSON: uid, summary, start/end (RFC 3339) or date for all
 * day, location, description, calendar, recurrence_id, status, due,
 * priority, completed, alarms (minutes before), organizer, attendees. */
json_t *pr_cal_entry_json(const struct pr_cal_entry *e, struct pool *pool);
/* One line of an agenda: "  10:00-11:00  Summary  (Location)  [uid8]". */
void pr_cal_entry_line(const struct pr_cal_entry *e, time_t day,
                       struct buf *out);
/* Appends the days [from, from + days) with their entries, a heading per
 * day (with_empty: days without entries too). */
void pr_cal_agenda(const struct pr_cal_entry *entries, size_t count,
                   time_t from, int days, bool with_empty, struct buf *out);
/* Appends a month grid (Mo..Su), days with entries marked "*". */
void pr_cal_month_grid(const struct pr_cal_entry *entries, size_t count,
                       time_t month, struct buf *out);

/* ---- Opening
 * ----------------------------------------------------------------- */

/* What the calendar subcommands work on. */
struct pr_cal_ctx {
	struct pr_cli *cli;
	struct pr_account *account;
	struct pr_local *local; /* &local_own, or the interface's */
	struct pr_local local_own;
	struct ical_tz *tz; /* the local zone */
	const char *tz_name;
	time_t now;
};

/* Opens the account's local store and the local zone. Returns 0, or -1
 * (printed). */
int pr_cal_ctx_open(struct pr_cli *cli, struct pr_cal_ctx *ctx);
/* The same over a store the caller has open (the interface's). */
void pr_cal_ctx_init(struct pr_cal_ctx *ctx, struct pr_cli *cli,
                     struct pr_account *account, struct pr_local *local);
void pr_cal_ctx_close(struct pr_cal_ctx *ctx);
/* Prints value (and frees it) on stdout. */
void pr_json_print(json_t *value);

/* ---- invite.c ------------------------------------------------------------ */

/* Sends the iMIP message (METHOD method: REQUEST or CANCEL) of the
 * calendar object data to its attendees (not the account itself) through
 * the Outbox, unless the server schedules by itself (RFC 6638
 * calendar-auto-schedule, learnt at the last sync). Returns the number
 * of recipients, or -1 with *error_r. */
int pr_invite_send(struct pr_cal_ctx *ctx, const unsigned char *data,
                   size_t size, const char *method, const char **error_r);
/* Sends reply (an iTIP REPLY with partstat) to organizer by mail, unless
 * the server schedules (it sends the REPLY when the sync puts the
 * answered copy, RFC 6638 §3.2.2); *by_server_r tells which. Returns 0
 * or -1 with *error_r. */
int pr_invite_reply(struct pr_cal_ctx *ctx, const char *organizer,
                    const char *summary, const char *partstat,
                    const struct buf *reply, bool *by_server_r,
                    const char **error_r);

/* Does message uid of mailbox hold an invitation (an iTIP REQUEST)? */
bool pr_invite_is_request(struct pr_cal_ctx *ctx, const char *mailbox,
                          uint32_t uid);
/* What an answer to an invitation did. */
struct pr_invite_answer {
	const char *uid, *summary, *organizer, *partstat;
	bool by_server; /* the server sends the REPLY (pr_invite_reply) */
};
/* Answers the invitation (an iTIP REQUEST) in message uid of mailbox with
 * answer (accept, decline, tentative): the event kept in the local
 * calendar (where its UID is, else calendar, else the default one) with
 * the account's PARTSTAT, the REPLY sent, the message flagged answered.
 * Prints nothing. Returns 0 with *out, or -1 with *error_r. */
int pr_invite_answer(struct pr_cal_ctx *ctx, const char *mailbox, uint32_t uid,
                     const char *answer, const char *calendar,
                     struct pr_invite_answer *out, const char **error_r);

/* ---- invite_event.c --------------------------------------------------------
 */

/* Invitations a scheduling server put straight into a local calendar
 * (no mail): from now on, this account an attendee whose PARTSTAT is
 * NEEDS-ACTION. Appends them to a and prints them unless --json. */
void pr_invite_events_list(struct pr_cal_ctx *ctx, json_t *a);
/* cal accept|decline|tentative --event UID: the account's PARTSTAT set
 * in its copy, the REPLY sent (pr_invite_reply). Returns the exit code. */
int pr_invite_event_answer(struct pr_cal_ctx *ctx, const char *answer,
                           const char *uid);

/* ---- journal.c ------------------------------------------------------------
 */

/* Writes a journal entry in the editor: a new one for day (local
 * midnight) when e is NULL, else e changed. The caller leaves curses
 * first. Returns 1 stored, 0 nothing written, -1 with *error_r. */
int pr_journal_write(struct pr_cal_ctx *ctx, const struct pr_cal_entry *e,
                     time_t day, const char **error_r);

pr_cmd_fn pr_cmd_cal;     /* cal ... (cal.c) */
pr_cmd_fn pr_cmd_tasks;   /* tasks ... (tasks.c) */
pr_cmd_fn pr_cmd_journal; /* journal ... (journal.c) */
/* cal invitations|accept|decline|tentative|apply|freebusy (invite.c) */
int pr_cal_invite_cmd(struct pr_cal_ctx *ctx, int argc, char **argv);
int pr_cal_freebusy_cmd(struct pr_cal_ctx *ctx, int argc, char **argv);

#endif
