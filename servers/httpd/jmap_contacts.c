/* JMAP for Contacts (RFC 9610) over CardDAV's address books: AddressBook
 * (§2) is a CardDAV collection, ContactCard (§3) a JSContact Card
 * (RFC 9553) made from the address object's vCard and written back as
 * vCard (lib/jmap/jmap_jscontact.c, RFC 9555), so CardDAV and JMAP
 * clients see one set of contacts: what one writes the other's /changes
 * or sync-collection reports. An update reads the vCard as it is, applies
 * the PatchObject to its Card and writes it back with If-Match, so a
 * concurrent CardDAV write is never lost silently, and vCard properties
 * without a JSContact form are kept. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "httpd.h"
#include "jmap/jmap_jscontact.h"
#include "jmap_contacts.h"
#include "jmap_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- AddressBook ---- */

static const char *const book_props[] = {
    "id",           "name",      "description", "sortOrder", "isDefault",
    "isSubscribed", "shareWith", "myRights",    NULL};

static const char *book_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_dav_collection_state(c, STORE_DAV_ADDRESSBOOK);
}

static int book_get(struct jmap_call_ctx *c, void *account, json_t *args,
                    json_t *ids, json_t *props, json_t *list, json_t *not_found)
{
	(void)account;
	(void)args;
	return jmap_dav_collections_get(c, STORE_DAV_ADDRESSBOOK, "contacts",
	                                ids, props, list, not_found);
}

static int book_changes(struct jmap_call_ctx *c, void *account,
                        const char *since, unsigned max,
                        struct jmap_changes *out)
{
	(void)account;
	return jmap_dav_changes(c, 0, STORE_DAV_ADDRESSBOOK, since, max, out);
}

static const char *book_create(struct jmap_call_ctx *c, void *account,
                               json_t *obj, json_t **extra_r, json_t **err_r)
{
	(void)account;
	return jmap_dav_collection_create(c, STORE_DAV_ADDRESSBOOK, 0, obj,
	                                  extra_r, err_r);
}
static int book_update(struct jmap_call_ctx *c, void *account, const char *id,
                       json_t *patch, json_t **err_r)
{
	(void)account;
	return jmap_dav_collection_update(c, STORE_DAV_ADDRESSBOOK, id, patch,
	                                  err_r);
}
static int book_destroy(struct jmap_call_ctx *c, void *account, const char *id,
                        json_t **err_r)
{
	(void)account;
	return jmap_dav_collection_destroy(c, STORE_DAV_ADDRESSBOOK, id,
	                                   "addressBookHasContents", err_r);
}

static const char *const collection_set_args[] = {"onDestroyRemoveContents",
                                                  NULL};

static const struct jmap_type book_type = {
    .name = "AddressBook",
    .properties = book_props,
    .set_args = collection_set_args,
    .state = book_state,
    .get = book_get,
    .changes = book_changes,
    .create = book_create,
    .update = book_update,
    .destroy = book_destroy,
    .set_prepare = jmap_dav_collection_prepare,
};

/* ---- ContactCard ---- */

static const char *const card_props[] = {"id",
                                         "addressBookIds",
                                         "@type",
                                         "version",
                                         "uid",
                                         "kind",
                                         "created",
                                         "updated",
                                         "prodId",
                                         "language",
                                         "members",
                                         "name",
                                         "nicknames",
                                         "organizations",
                                         "speakToAs",
                                         "titles",
                                         "emails",
                                         "onlineServices",
                                         "phones",
                                         "preferredLanguages",
                                         "calendars",
                                         "schedulingAddresses",
                                         "addresses",
                                         "cryptoKeys",
                                         "directories",
                                         "links",
                                         "media",
                                         "localizations",
                                         "anniversaries",
                                         "keywords",
                                         "notes",
                                         "personalInfo",
                                         "relatedTo",
                                         "vCardProps",
                                         NULL};

static const char *card_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_dav_state(c, STORE_JMAP_DAV_CARD);
}

/* The Card of a stored address object with id and addressBookIds (new
 * reference), or NULL when its vCard no longer parses. */
static json_t *card_json(struct jmap_call_ctx *c,
                         const struct store_jmap_dav_ref *ref,
                         const struct store_dav_object *obj)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	const char *error;
	if (vcard_parse_resource(obj->data, obj->size, &set, jmap_call_pool(c),
	                         &card, &error) < 0)
		return NULL;
	json_t *j = jmap_jscontact_from_vcard(card, jmap_call_pool(c));
	json_object_set_new(j, "id", json_string(jmap_dav_id(c, 'o', ref->id)));
	json_object_set_new(
	    j, "addressBookIds",
	    json_pack("{s:b}", jmap_dav_id(c, 'c', ref->collection_id), 1));
	return j;
}

int jmap_contacts_each(struct jmap_call_ctx *c, jmap_card_cb *cb, void *cb_ctx)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_jmap_dav_ref *refs;
	size_t count;
	if (store_jmap_dav_list(ctx->account, STORE_JMAP_DAV_CARD, 0,
	                        STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX,
	                        jmap_call_pool(c), &refs, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (store_dav_access(ctx->account, ctx->user,
		                     refs[i].collection_id) <
		    STORE_DAV_ACCESS_READ)
			continue;
		struct store_dav_object obj;
		int ret = store_dav_object_get(
		    ctx->account, refs[i].collection_id, refs[i].name, true,
		    jmap_call_pool(c), &obj);
		if (ret < 0)
			return -1;
		json_t *j = ret > 0 ? card_json(c, &refs[i], &obj) : NULL;
		if (j != NULL) {
			ret = cb(c, j, cb_ctx);
			json_decref(j);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

struct get_all {
	json_t *list, *props;
};

static int get_all_cb(struct jmap_call_ctx *c, json_t *card, void *context)
{
	struct get_all *g = context;
	(void)c;
	jmap_dav_filter_props(card, g->props);
	json_array_append(g->list, card);
	return 0;
}

static int card_get(struct jmap_call_ctx *c, void *account, json_t *args,
                    json_t *ids, json_t *props, json_t *list, json_t *not_found)
{
	(void)account;
	/* properties null: every member, those without a name here too */
	if (json_is_null(json_object_get(args, "properties")) ||
	    json_object_get(args, "properties") == NULL)
		props = NULL;
	if (ids == NULL) {
		struct get_all g = {.list = list, .props = props};
		return jmap_contacts_each(c, get_all_cb, &g) < 0 ? -1 : 0;
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		struct store_jmap_dav_ref ref;
		struct store_dav_object obj;
		int ret =
		    jmap_dav_object(c, STORE_JMAP_DAV_CARD,
		                    json_string_value(id), false, &ref, &obj);
		if (ret < 0)
			return -1;
		json_t *j = ret > 0 ? card_json(c, &ref, &obj) : NULL;
		if (j == NULL) {
			json_array_append(not_found, id);
			continue;
		}
		jmap_dav_filter_props(j, props);
		json_array_append_new(list, j);
	}
	return 0;
}

static int card_changes(struct jmap_call_ctx *c, void *account,
                        const char *since, unsigned max,
                        struct jmap_changes *out)
{
	(void)account;
	return jmap_dav_changes(c, STORE_JMAP_DAV_CARD, 0, since, max, out);
}

/* The one AddressBook of addressBookIds the user may write. Returns 1, or
 * 0 with *err_r. */
static int card_book(struct jmap_call_ctx *c, json_t *ids,
                     struct store_dav_collection *coll, json_t **err_r)
{
	const char *key;
	json_t *v;
	if (!json_is_object(ids) || json_object_size(ids) != 1) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "exactly one address book",
		                             "addressBookIds");
		return 0;
	}
	json_object_foreach(ids, key, v)
	{
		const char *id = jmap_call_resolve_id(c, key);
		if (!json_is_true(v) || id == NULL ||
		    jmap_dav_collection(c, STORE_DAV_ADDRESSBOOK, id,
		                        STORE_DAV_ACCESS_READ_WRITE,
		                        coll) != 1) {
			*err_r = jmap_dav_target_error(
			    c, STORE_DAV_ADDRESSBOOK, id,
			    "no such address book", "addressBookIds");
			return 0;
		}
	}
	return 1;
}

/* The vCard of card (id and addressBookIds already taken out), checked
 * as CardDAV checks a PUT. Returns 0 with obj's uid and content type, or
 * -1 with *err_r. */
static int card_vcard(struct jmap_call_ctx *c, json_t *card, struct buf *out,
                      struct store_dav_object *obj, json_t **err_r)
{
	const char *prop, *error;
	if (jmap_jscontact_to_vcard(card, jmap_call_pool(c), out, &prop,
	                            &error) < 0) {
		*err_r = jmap_set_error_prop("invalidProperties", error, prop);
		return -1;
	}
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *vc;
	if (vcard_parse_resource((const unsigned char *)out->data, out->len,
	                         &set, jmap_call_pool(c), &vc, &error) < 0) {
		*err_r = jmap_set_error("invalidProperties", error, NULL);
		return -1;
	}
	obj->uid = vc->uid;
	obj->content_type = "text/vcard; charset=utf-8";
	obj->time_start = STORE_DAV_TIME_MIN;
	obj->time_end = STORE_DAV_TIME_MAX;
	return 0;
}

static const char *card_create(struct jmap_call_ctx *c, void *account,
                               json_t *obj, json_t **extra_r, json_t **err_r)
{
	(void)account;
	if (json_object_get(obj, "id") != NULL) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "set by the server", "id");
		return NULL;
	}
	struct store_dav_collection coll;
	if (card_book(c, json_object_get(obj, "addressBookIds"), &coll,
	              err_r) != 1)
		return NULL;
	json_t *card = json_deep_copy(obj);
	json_object_del(card, "addressBookIds");
	if (json_object_get(card, "uid") == NULL)
		json_object_set_new(
		    card, "uid", json_sprintf("urn:uuid:%s", jmap_dav_uuid(c)));
	const char *uid = pool_strdup(
	    jmap_call_pool(c), json_string_value(json_object_get(card, "uid")));
	struct buf data;
	buf_init(&data);
	struct store_dav_object so = {0};
	int64_t id = 0;
	if (card_vcard(c, card, &data, &so, err_r) == 0)
		id = jmap_dav_write(c, coll.id, NULL, NULL, &so, &data, err_r);
	buf_deinit(&data);
	json_decref(card);
	if (id == 0)
		return NULL;
	*extra_r = json_pack("{s:s}", "uid", uid != NULL ? uid : "");
	return jmap_dav_id(c, 'o', id);
}

static int card_update(struct jmap_call_ctx *c, void *account, const char *id,
                       json_t *patch, json_t **err_r)
{
	struct jmap_ctx *ctx = account;
	struct store_jmap_dav_ref ref;
	struct store_dav_object old;
	int ret = jmap_dav_object(c, STORE_JMAP_DAV_CARD, id, true, &ref, &old);
	json_t *card = ret > 0 ? card_json(c, &ref, &old) : NULL;
	if (card == NULL) {
		*err_r = ret > 0 ? jmap_set_error("notFound", NULL, NULL)
		                 : jmap_dav_object_error(c, STORE_JMAP_DAV_CARD,
		                                         id, ret);
		return -1;
	}
	const char *old_uid = pool_strdup(
	    jmap_call_pool(c), json_string_value(json_object_get(card, "uid")));
	struct store_dav_collection coll;
	struct buf data;
	buf_init(&data);
	struct store_dav_object so = {0};
	ret = -1;
	if (jmap_dav_patch(card, patch, err_r) < 0 ||
	    card_book(c, json_object_get(card, "addressBookIds"), &coll,
	              err_r) != 1)
		goto out;
	if (!json_is_string(json_object_get(card, "id")) ||
	    strcmp(json_string_value(json_object_get(card, "id")), id) != 0 ||
	    !json_is_string(json_object_get(card, "uid")) ||
	    strcmp(json_string_value(json_object_get(card, "uid")), old_uid) !=
	        0) {
		*err_r = jmap_set_error_prop(
		    "invalidProperties", "immutable",
		    json_object_get(patch, "uid") != NULL ? "uid" : "id");
		goto out;
	}
	json_object_del(card, "id");
	json_object_del(card, "addressBookIds");
	if (card_vcard(c, card, &data, &so, err_r) < 0 ||
	    jmap_dav_write(c, ref.collection_id, ref.name, old.etag, &so, &data,
	                   err_r) == 0)
		goto out;
	if (coll.id != ref.collection_id) {
		bool created;
		const char *error;
		if (store_dav_object_copy(ctx->account, ref.collection_id,
		                          ref.name, coll.id, ref.name, true,
		                          false, time(NULL), &created,
		                          &error) != 0) {
			*err_r = jmap_set_error_prop(
			    "invalidProperties",
			    "cannot move it to that address book",
			    "addressBookIds");
			goto out;
		}
	}
	ret = 0;
out:
	buf_deinit(&data);
	json_decref(card);
	return ret;
}

static int card_destroy(struct jmap_call_ctx *c, void *account, const char *id,
                        json_t **err_r)
{
	struct jmap_ctx *ctx = account;
	struct store_jmap_dav_ref ref;
	struct store_dav_object obj;
	int ret = jmap_dav_object(c, STORE_JMAP_DAV_CARD, id, true, &ref, &obj);
	const char *error;
	if (ret > 0)
		ret = store_dav_object_delete(ctx->account, ref.collection_id,
		                              ref.name, NULL, &error) == 0
		          ? 1
		          : -1;
	if (ret <= 0) {
		*err_r = jmap_dav_object_error(c, STORE_JMAP_DAV_CARD, id, ret);
		return -1;
	}
	return 0;
}

static const struct jmap_type card_type = {
    .name = "ContactCard",
    .properties = card_props,
    .state = card_state,
    .get = card_get,
    .changes = card_changes,
    .create = card_create,
    .update = card_update,
    .destroy = card_destroy,
};

/* ---- the methods ---- */

static void book_get_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &book_type, jmap_server_account);
}
static void book_changes_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &book_type, jmap_server_account);
}
static void book_set_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &book_type, jmap_server_account);
}
static void card_get_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &card_type, jmap_server_account);
}
static void card_changes_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &card_type, jmap_server_account);
}
static void card_set_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &card_type, jmap_server_account);
}

const struct jmap_method jmap_contacts_methods[] = {
    {"AddressBook/get", JMAP_CAP_CONTACTS, book_get_m},
    {"AddressBook/changes", JMAP_CAP_CONTACTS, book_changes_m},
    {"AddressBook/set", JMAP_CAP_CONTACTS, book_set_m},
    {"ContactCard/get", JMAP_CAP_CONTACTS, card_get_m},
    {"ContactCard/changes", JMAP_CAP_CONTACTS, card_changes_m},
    {"ContactCard/set", JMAP_CAP_CONTACTS, card_set_m},
    {"ContactCard/query", JMAP_CAP_CONTACTS, jmap_contact_query},
    {"ContactCard/queryChanges", JMAP_CAP_CONTACTS,
     jmap_contact_query_changes},
    {"ContactCard/copy", JMAP_CAP_CONTACTS, jmap_server_copy},
};
const size_t jmap_contacts_method_count =
    sizeof(jmap_contacts_methods) / sizeof(*jmap_contacts_methods);
