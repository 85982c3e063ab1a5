/* The accounts other users share with the user (jmap_share.h): shares
 * grouped by owner, which capabilities such an account has, and the
 * states of its data types with a fingerprint of the shares. RFC 8620
 * §1.6.2 (accounts), §2 (the Session's accounts), RFC 9610 §2 and the
 * JMAP Calendars draft (shareWith, myRights). */
#include "core/pool.h"
#include "httpd.h"
#include "jmap_dav.h"
#include "jmap_share.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over the share's collection, kind and access. */
static uint64_t share_hash(const struct store_dav_share *s)
{
	uint64_t v[3] = {(uint64_t)s->collection_id, (uint64_t)s->kind,
	                 (uint64_t)s->access};
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < 3; i++) {
		for (size_t b = 0; b < 8; b++) {
			h ^= (v[i] >> (8 * b)) & 0xff;
			h *= 1099511628211ULL;
		}
	}
	return h;
}

size_t jmap_share_group(const struct store_dav_share *shares, size_t count,
                        struct jmap_share_account *out)
{
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		const struct store_dav_share *s = &shares[i];
		size_t k = 0;
		while (k < n && strcmp(out[k].owner, s->owner) != 0)
			k++;
		if (k == n) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n++].owner = s->owner;
		}
		struct jmap_share_account *a = &out[k];
		/* a sum keeps the fingerprint independent of the order */
		if (s->kind == STORE_DAV_ADDRESSBOOK) {
			a->has_book = true;
			a->book_print += share_hash(s);
		} else if (s->kind == STORE_DAV_CALENDAR) {
			a->has_calendar = true;
			a->calendar_print += share_hash(s);
		}
		if (s->access == STORE_DAV_ACCESS_READ_WRITE)
			a->is_writable = true;
	}
	return n;
}

bool jmap_share_allows(const struct jmap_share_account *a,
                       const char *capability)
{
	if (capability == NULL)
		return false;
	if (strcmp(capability, JMAP_CAP_CONTACTS) == 0)
		return a->has_book;
	if (strcmp(capability, JMAP_CAP_CALENDARS) == 0 ||
	    strcmp(capability, JMAP_CAP_TASKS) == 0 ||
	    strcmp(capability, JMAP_CAP_JOURNAL) == 0)
		return a->has_calendar;
	return false;
}

uint64_t jmap_share_print(const struct jmap_share_account *a,
                          enum store_dav_kind kind)
{
	return kind == STORE_DAV_ADDRESSBOOK ? a->book_print
	                                     : a->calendar_print;
}

const char *jmap_share_state(struct pool *pool, uint64_t modseq, uint64_t print)
{
	return pool_printf(pool, "%" PRIu64 ":%016" PRIx64, modseq, print);
}

int jmap_share_state_parse(const char *state, uint64_t print,
                           uint64_t *modseq_r)
{
	if (state == NULL || state[0] < '0' || state[0] > '9')
		return -1;
	char *end;
	unsigned long long m = strtoull(state, &end, 10);
	if (*end != ':' || strlen(end + 1) != 16)
		return -1;
	for (const char *p = end + 1; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
	}
	if (strtoull(end + 1, NULL, 16) != print)
		return -1;
	*modseq_r = m;
	return 0;
}

int jmap_share_accounts(struct httpd *httpd, const char *user,
                        struct pool *pool, struct jmap_share_account **accts_r,
                        size_t *count_r)
{
	struct store_dav_share *books, *cals;
	size_t nbooks, ncals;
	if (store_dav_share_list_granted(httpd->store, user,
	                                 STORE_DAV_ADDRESSBOOK, pool, &books,
	                                 &nbooks) < 0 ||
	    store_dav_share_list_granted(httpd->store, user, STORE_DAV_CALENDAR,
	                                 pool, &cals, &ncals) < 0)
		return -1;
	size_t total = nbooks + ncals;
	struct store_dav_share *all =
	    pool_alloc(pool, (total + 1) * sizeof(*all));
	if (nbooks > 0)
		memcpy(all, books, nbooks * sizeof(*all));
	if (ncals > 0)
		memcpy(all + nbooks, cals, ncals * sizeof(*all));
	struct jmap_share_account *accts =
	    pool_alloc(pool, (total + 1) * sizeof(*accts));
	size_t n = jmap_share_group(all, total, accts), kept = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_account_info info;
		int ret = store_account_lookup(httpd->store, accts[i].owner,
		                               pool, &info);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue; /* removed meanwhile: its shares go with it */
		accts[kept] = accts[i];
		snprintf(accts[kept].account_id, sizeof(accts[kept].account_id),
		         "a%lld", (long long)info.id);
		kept++;
	}
	*accts_r = accts;
	*count_r = kept;
	return 0;
}
