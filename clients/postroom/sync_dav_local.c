/* The local side of a followed collection (sync_dav.h): a calendar's
 * members in the local store's calendars (keyed by member name), or an
 * address book's cards in the local address book (keyed by UID: every
 * address book feeds the one address book the composer completes from;
 * a contact belongs to the collection its sync row names, and one that
 * has none, made here, to the default book). ETags are those of the bytes
 * as stored, so a local change shows as a new ETag. */
#include "calendar.h"
#include "contacts.h"
#include "sync_dav.h"

#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/ical_edit.h"
#include "dav/vcard.h"
#include "store/store_contact.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"

#include <string.h>
#include <time.h>

#define CONFLICT_LABEL " (conflict)"

static const char *etag_of(const void *data, size_t size, struct pool *pool)
{
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(data, size, etag);
	return pool_strdup(pool, etag);
}

/* The last segment of a path ("/c/x.ics" -> "x.ics"), from pool. */
static const char *last_segment(const char *path, struct pool *pool)
{
	const char *slash = strrchr(path, '/');
	return pool_strdup(pool, slash != NULL ? slash + 1 : path);
}

/* ---- Calendars ------------------------------------------------------------
 */

struct cal_list {
	struct pool *pool;
	struct pr_dav_item *items;
	size_t count, cap;
};

static int cal_list_cb(const struct store_dav_object *obj, void *ctx)
{
	struct cal_list *l = ctx;
	if (l->count == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		struct pr_dav_item *n =
		    pool_alloc(l->pool, l->cap * sizeof(*n));
		if (l->count > 0)
			memcpy(n, l->items, l->count * sizeof(*n));
		l->items = n;
	}
	l->items[l->count++] =
	    (struct pr_dav_item){.key = pool_strdup(l->pool, obj->name),
	                         .etag = pool_strdup(l->pool, obj->etag)};
	return 0;
}

static int cal_list(struct pr_dav_side *side, struct pool *pool,
                    struct pr_dav_item **items_r, size_t *count_r)
{
	struct store_dav_collection coll;
	struct cal_list l = {.pool = pool};
	int ret =
	    store_dav_collection_get(side->local->account, STORE_DAV_CALENDAR,
	                             side->collection, pool, &coll);
	if (ret > 0)
		ret = store_dav_objects_list(
		    side->local->account, coll.id, STORE_DAV_TIME_MIN,
		    STORE_DAV_TIME_MAX, false, cal_list_cb, &l);
	*items_r = l.items;
	*count_r = l.count;
	return ret < 0 ? -1 : 0;
}

static int cal_read(struct pr_dav_side *side, const char *key,
                    struct pool *pool, const unsigned char **data_r,
                    size_t *size_r, const char **etag_r)
{
	return pr_cal_read(side->local, side->collection, key, pool, data_r,
	                   size_r, etag_r);
}

static int cal_write(struct pr_dav_side *side, const char *key,
                     const unsigned char *data, size_t size, struct pool *pool,
                     const char **etag_r, const char **error_r)
{
	int ret = pr_cal_store(side->local, side->collection, key, data, size,
	                       NULL, false, pool, etag_r, error_r);
	return ret == 0 ? 0 : -1;
}

static int cal_remove(struct pr_dav_side *side, const char *key,
                      const char **error_r)
{
	return pr_cal_remove(side->local, side->collection, key, error_r);
}

static const char *cal_key_for(struct pr_dav_side *side, const char *path,
                               const unsigned char *data, size_t size,
                               struct pool *pool, const char **error_r)
{
	(void)side, (void)data, (void)size;
	const char *name = last_segment(path, pool);
	if (!store_dav_name_is_valid(name)) {
		*error_r = "a member name the local store cannot hold";
		return NULL;
	}
	return name;
}

static const char *cal_remote_name(struct pr_dav_side *side, const char *key,
                                   struct pool *pool)
{
	(void)side, (void)pool;
	return key;
}

static int cal_copy(struct pr_dav_side *side, const unsigned char *data,
                    size_t size, struct pool *pool, const char **error_r)
{
	const char *uid = pr_cal_uid_new(pool);
	struct buf out;
	buf_init(&out);
	int ret = ical_edit_copy(data, size, uid, CONFLICT_LABEL, time(NULL),
	                         pool, &out, error_r);
	if (ret == 0)
		ret = pr_cal_store(side->local, side->collection,
		                   pool_printf(pool, "%s.ics", uid),
		                   (const unsigned char *)out.data, out.len,
		                   NULL, true, pool, NULL, error_r) == 0
		          ? 0
		          : -1;
	buf_deinit(&out);
	return ret;
}

const struct pr_dav_side_ops pr_dav_calendar_ops = {
    .list = cal_list,
    .read = cal_read,
    .write = cal_write,
    .remove = cal_remove,
    .key_for = cal_key_for,
    .remote_name = cal_remote_name,
    .copy = cal_copy,
};

/* ---- Address books --------------------------------------------------------
 */

/* Does contact uid belong to this side's collection? */
static bool card_is_ours(struct pr_dav_side *side, const char *uid)
{
	int64_t owner;
	int ret = store_sync_dav_object_owner(
	    side->local->account, STORE_DAV_ADDRESSBOOK, uid, &owner);
	if (ret < 0)
		return false;
	return ret == 0 ? side->is_default_book : owner == side->sync_id;
}

static int card_list(struct pr_dav_side *side, struct pool *pool,
                     struct pr_dav_item **items_r, size_t *count_r)
{
	struct store_contact *list;
	size_t count;
	if (store_contact_list(side->local->account, pool, &list, &count) < 0)
		return -1;
	struct pr_dav_item *items =
	    pool_alloc(pool, (count + 1) * sizeof(*items));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		if (!card_is_ours(side, list[i].uid))
			continue;
		const char *text = pr_contacts_card_text(&list[i], pool);
		items[n++] = (struct pr_dav_item){
		    .key = list[i].uid,
		    .etag = etag_of(text, strlen(text), pool)};
	}
	*items_r = items;
	*count_r = n;
	return 0;
}

static int card_read(struct pr_dav_side *side, const char *key,
                     struct pool *pool, const unsigned char **data_r,
                     size_t *size_r, const char **etag_r)
{
	struct store_contact c;
	int ret = store_contact_get_by_uid(side->local->account, key, pool, &c);
	if (ret <= 0)
		return ret;
	const char *text = pr_contacts_card_text(&c, pool);
	*data_r = (const unsigned char *)text;
	*size_r = strlen(text);
	*etag_r = etag_of(text, *size_r, pool);
	return 1;
}

static int card_write(struct pr_dav_side *side, const char *key,
                      const unsigned char *data, size_t size, struct pool *pool,
                      const char **etag_r, const char **error_r)
{
	const char *uid, *text;
	if (pr_contacts_put_card(side->local, data, size, pool, &uid, &text,
	                         error_r) < 0)
		return -1;
	if (strcmp(uid, key) != 0) {
		*error_r = "the card's UID changed";
		return -1;
	}
	*etag_r = etag_of(text, strlen(text), pool);
	return 0;
}

static int card_remove(struct pr_dav_side *side, const char *key,
                       const char **error_r)
{
	struct pool *pool = pool_new();
	struct store_contact c;
	int ret = store_contact_get_by_uid(side->local->account, key, pool, &c);
	if (ret > 0 && store_contact_delete(side->local->account, c.id) < 0)
		ret = -1;
	pool_free(&pool);
	if (ret < 0)
		*error_r = "cannot write the local store";
	return ret < 0 ? -1 : 0;
}

static const char *card_key_for(struct pr_dav_side *side, const char *path,
                                const unsigned char *data, size_t size,
                                struct pool *pool, const char **error_r)
{
	(void)side, (void)path;
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	if (vcard_parse_resource(data, size, &set, pool, &card, error_r) < 0)
		return NULL;
	return card->uid;
}

/* The member name of a card: its UID where that is a safe name, else a
 * name made from the UID's digest. */
static const char *card_remote_name(struct pr_dav_side *side, const char *key,
                                    struct pool *pool)
{
	(void)side;
	if (strncmp(key, "urn:uuid:", 9) == 0)
		key += 9;
	bool is_safe = key[0] != '\0' && key[0] != '.' && strlen(key) < 200;
	for (const char *p = key; *p != '\0' && is_safe; p++)
		is_safe =
		    strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
		           "UVWXYZ0123456789-_.@",
		           *p) != NULL;
	if (is_safe)
		return pool_printf(pool, "%s.vcf", key);
	const char *etag = etag_of(key, strlen(key), pool);
	return pool_printf(pool, "%.32s.vcf", etag + 1);
}

static int card_copy(struct pr_dav_side *side, const unsigned char *data,
                     size_t size, struct pool *pool, const char **error_r)
{
	const char *text, *uid, *stored;
	if (pr_contacts_card_copy(data, size, CONFLICT_LABEL, pool, &text,
	                          error_r) < 0)
		return -1;
	return pr_contacts_put_card(side->local, (const unsigned char *)text,
	                            strlen(text), pool, &uid, &stored, error_r);
}

const struct pr_dav_side_ops pr_dav_contacts_ops = {
    .list = card_list,
    .read = card_read,
    .write = card_write,
    .remove = card_remove,
    .key_for = card_key_for,
    .remote_name = card_remote_name,
    .copy = card_copy,
};
