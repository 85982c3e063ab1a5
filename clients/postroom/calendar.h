/* postroom's calendars, task lists and journals in the local store: the
 * collections and members of lib/store/store_dav.h (the same tables the
 * CalDAV server keeps), written with lib/dav's iCalendar code and synced
 * by sync_dav.c. Every member is a whole iCalendar object validated as a
 * CalDAV server would (ical_object_parse), with its UID, kind, time span
 * and the ETag of its bytes kept beside it, so a local change shows as a
 * changed ETag at the next sync. */
#ifndef POSTROOM_CALENDAR_H
#define POSTROOM_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dav/ical.h"
#include "dav/ical_item.h"

struct buf;
struct pool;
struct pr_local;

/* One instance (or, for tasks and journal entries, the object) with the
 * member holding it. */
struct pr_cal_entry {
	struct ical_item item;
	const char *collection; /* the local collection's name */
	const char *name;       /* the member's name */
};

/* A new UID: a random (version 4) UUID (RFC 9562 §5.4), from pool. */
const char *pr_cal_uid_new(struct pool *pool);

/* Stores data (an iCalendar object) as member name of the local calendar
 * collection, replacing what is there when if_match (an ETag, or NULL for
 * no check) holds; with if_none_match only when there is no member of
 * that name. *etag_r (from pool, may be NULL) is its new ETag. Returns 0,
 * 1 when a condition failed or another member has the UID, -1 with
 * *error_r ("invalid iCalendar: ...", "calendar X does not take
 * VTODO"). */
int pr_cal_store(struct pr_local *local, const char *collection,
                 const char *name, const unsigned char *data, size_t size,
                 const char *if_match, bool if_none_match, struct pool *pool,
                 const char **etag_r, const char **error_r);
/* Removes member name. Returns 0 (also when it was not there) or -1. */
int pr_cal_remove(struct pr_local *local, const char *collection,
                  const char *name, const char **error_r);
/* Reads member name with its data. Returns 1 with *data_r, *size_r and
 * *etag_r (from pool), 0 when absent, -1. */
int pr_cal_read(struct pr_local *local, const char *collection,
                const char *name, struct pool *pool,
                const unsigned char **data_r, size_t *size_r,
                const char **etag_r);

/* Every instance of the kinds (ICAL_KIND_* bits) in [from, to) over every
 * local calendar, by start then summary; floating times in local. Tasks
 * and entries without a date come only when from is ICAL_TIME_MIN.
 * Returns 0 with *entries_r and *count_r (from pool), or -1. */
int pr_cal_entries(struct pr_local *local, unsigned kinds, int64_t from,
                   int64_t to, const struct ical_tz *tz, struct pool *pool,
                   struct pr_cal_entry **entries_r, size_t *count_r);
/* An alarm (VALARM with a relative TRIGGER, RFC 5545 §3.6.6) of an
 * event or task instance. */
struct pr_cal_alarm {
	const struct pr_cal_entry *entry;
	int64_t at;   /* when it goes off, UTC seconds */
	int64_t base; /* the start (the due time of a task) it is before */
};

/* The alarms that go off in [from, to) (at most a week before their
 * event), by the time they go off. Returns 0 with *alarms_r and
 * *count_r (from pool), or -1. */
int pr_cal_alarms(struct pr_local *local, int64_t from, int64_t to,
                  const struct ical_tz *tz, struct pool *pool,
                  struct pr_cal_alarm **alarms_r, size_t *count_r);
/* The member whose UID is uid or starts with it (a unique prefix), of
 * the kinds. Returns 1 with *entry_r (the master as item), 0 when none,
 * -1 with *error_r ("several items start with ..."). */
int pr_cal_find(struct pr_local *local, const char *uid, unsigned kinds,
                const struct ical_tz *tz, struct pool *pool,
                struct pr_cal_entry *entry_r, const char **error_r);
/* The collection a new item of kind goes to: want if given (it must take
 * kind), else the first collection synced with a server that takes kind
 * and is writable, else the first local one that takes it. Returns its
 * name (from pool), or NULL with *error_r. */
const char *pr_cal_collection_for(struct pr_local *local, enum ical_kind kind,
                                  const char *want, struct pool *pool,
                                  const char **error_r);

#endif
