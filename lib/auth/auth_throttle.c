/* Login throttle: a per-process table of client addresses with recent
 * authentication failures. Each failure doubles the delay before the next
 * reply to that address (1s, 2s, 4s... up to max_delay); an address with no
 * failure for `forget` seconds is dropped. The table is a chained hash keyed
 * by the address string, swept of stale entries as it grows and capped. */
#include "auth/auth.h"
#include "core/xmalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_BUCKETS_MIN 64
/* XXX: past this many remembered addresses new ones go untracked rather
 * than let a spray of source addresses grow the table without bound. */
#define THROTTLE_ENTRIES_MAX 100000
#define THROTTLE_SHIFT_MAX 31

struct throttle_entry {
	struct throttle_entry *next;
	unsigned failures;
	time_t last_failure;
	char addr[]; /* NUL-terminated */
};

struct auth_throttle {
	unsigned max_delay;
	unsigned forget;
	size_t bucket_count; /* a power of two */
	size_t count;
	struct throttle_entry **buckets;
};

static size_t addr_hash(const char *addr)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static bool entry_is_stale(const struct auth_throttle *t,
                           const struct throttle_entry *e, time_t now)
{
	return now - e->last_failure >= (time_t)t->forget;
}

struct auth_throttle *auth_throttle_new(unsigned max_delay, unsigned forget)
{
	struct auth_throttle *t = xcalloc(1, sizeof(*t));
	t->max_delay = max_delay;
	t->forget = forget;
	t->bucket_count = THROTTLE_BUCKETS_MIN;
	t->buckets = xcalloc(t->bucket_count, sizeof(*t->buckets));
	return t;
}

void auth_throttle_free(struct auth_throttle **throttle)
{
	struct auth_throttle *t = *throttle;
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->bucket_count; i++) {
		struct throttle_entry *e = t->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	free(t);
	*throttle = NULL;
}

static struct throttle_entry **throttle_find(const struct auth_throttle *t,
                                             const char *addr)
{
	struct throttle_entry **ep =
	    &t->buckets[addr_hash(addr) & (t->bucket_count - 1)];
	for (; *ep != NULL; ep = &(*ep)->next) {
		if (strcmp((*ep)->addr, addr) == 0)
			return ep;
	}
	return ep;
}

/* Drops every stale entry, then doubles the buckets if still crowded. */
static void throttle_sweep_grow(struct auth_throttle *t, time_t now)
{
	for (size_t i = 0; i < t->bucket_count; i++) {
		struct throttle_entry **ep = &t->buckets[i];
		while (*ep != NULL) {
			struct throttle_entry *e = *ep;
			if (entry_is_stale(t, e, now)) {
				*ep = e->next;
				free(e);
				t->count--;
			} else {
				ep = &e->next;
			}
		}
	}
	if (t->count < t->bucket_count)
		return;
	size_t new_count = t->bucket_count * 2;
	struct throttle_entry **nb = xcalloc(new_count, sizeof(*nb));
	for (size_t i = 0; i < t->bucket_count; i++) {
		struct throttle_entry *e = t->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			size_t b = addr_hash(e->addr) & (new_count - 1);
			e->next = nb[b];
			nb[b] = e;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->bucket_count = new_count;
}

void auth_throttle_fail(struct auth_throttle *throttle, const char *addr,
                        time_t now)
{
	struct auth_throttle *t = throttle;
	struct throttle_entry **ep = throttle_find(t, addr);
	if (*ep == NULL) {
		if (t->count >= t->bucket_count) {
			throttle_sweep_grow(t, now);
			ep = throttle_find(t, addr);
		}
		if (t->count >= THROTTLE_ENTRIES_MAX)
			return;
		size_t len = strlen(addr);
		struct throttle_entry *e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->addr, addr, len + 1);
		*ep = e;
		t->count++;
	} else if (entry_is_stale(t, *ep, now)) {
		(*ep)->failures = 0;
	}
	if ((*ep)->failures <= THROTTLE_SHIFT_MAX)
		(*ep)->failures++;
	(*ep)->last_failure = now;
}

void auth_throttle_success(struct auth_throttle *throttle, const char *addr)
{
	struct throttle_entry **ep = throttle_find(throttle, addr);
	if (*ep == NULL)
		return;
	struct throttle_entry *e = *ep;
	*ep = e->next;
	free(e);
	throttle->count--;
}

unsigned auth_throttle_delay(const struct auth_throttle *throttle,
                             const char *addr, time_t now)
{
	struct throttle_entry *e = *throttle_find(throttle, addr);
	if (e == NULL || e->failures == 0 || entry_is_stale(throttle, e, now))
		return 0;
	unsigned shift = e->failures - 1;
	if (shift >= THROTTLE_SHIFT_MAX)
		return throttle->max_delay;
	unsigned delay = 1u << shift;
	return delay < throttle->max_delay ? delay : throttle->max_delay;
}
