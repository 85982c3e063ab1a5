/* What JMAP's contacts (jmap_contacts.c) and calendars (jmap_calendars.c)
 * share over the DAV store (store_dav.h, store_jmap_dav.h): ids
 * ("c<collection>" for AddressBooks and Calendars, "o<member>" for
 * ContactCards, CalendarEvents, Tasks and journal entries), states and
 * changes, PatchObjects (RFC 8620 §5.3) applied to a whole object, writing
 * a member, and the access check every read and write goes through
 * (store_dav_access: on the user's own account its collections, on an
 * account another user shares with it, jmap_share.h, the collections
 * shared with it). */
#ifndef HTTPD_JMAP_DAV_H
#define HTTPD_JMAP_DAV_H

#include "jmap_server.h"
#include "store/store_dav.h"
#include "store/store_jmap_dav.h"

struct buf;

#define JMAP_CAP_CONTACTS "urn:ietf:params:jmap:contacts"
#define JMAP_CAP_CALENDARS "urn:ietf:params:jmap:calendars"
#define JMAP_CAP_TASKS "urn:ietf:params:jmap:tasks"
#define JMAP_CAP_JOURNAL "urn:postroom:jmap:journal"

/* Parses "c<n>" (prefix 'c') or "o<n>" (prefix 'o'). Returns 0 or -1. */
int jmap_dav_id_parse(const char *id, char prefix, int64_t *n_r);
/* "c<n>" or "o<n>" from the call's pool. */
const char *jmap_dav_id(struct jmap_call_ctx *c, char prefix, int64_t n);

/* States as strings (from the call's pool), or NULL after a failure. */
const char *jmap_dav_state(struct jmap_call_ctx *c,
                           enum store_jmap_dav_type type);
const char *jmap_dav_collection_state(struct jmap_call_ctx *c,
                                      enum store_dav_kind kind);
/* /changes of members of type (kind 0) or of collections of kind. */
int jmap_dav_changes(struct jmap_call_ctx *c, enum store_jmap_dav_type type,
                     enum store_dav_kind kind, const char *since, unsigned max,
                     struct jmap_changes *out);

/* The whole current result of a /query over the members of a type (ids
 * in order, a new array in *ids_r), as the type's /query computes it from
 * filter and sort (ctx: the type's own). Returns 0, or -1 after an error
 * response. */
typedef int jmap_dav_query_ids_fn(struct jmap_call_ctx *c, json_t *filter,
                                  json_t *sort, void *ctx, json_t **ids_r);
/* Foo/queryChanges (RFC 8620 §5.6) of the members of type, whose query
 * state is the type's state: every member changed since sinceQueryState
 * is removed, and added again at its index when it is in the result now
 * (jmap_query_changes_reply); a state not ours is cannotCalculateChanges. */
void jmap_dav_query_changes(struct jmap_call_ctx *c, json_t *args,
                            enum store_jmap_dav_type type,
                            jmap_dav_query_ids_fn *query_ids, void *ctx);

/* The collections of kind the user may read, from the call's pool. */
int jmap_dav_collections(struct jmap_call_ctx *c, enum store_dav_kind kind,
                         struct store_dav_collection **colls_r,
                         size_t *count_r);
/* The collection "c<n>" of kind the user may reach with at least access.
 * Returns 1 with *coll_r, 0 if there is none (or it may not), -1. */
int jmap_dav_collection(struct jmap_call_ctx *c, enum store_dav_kind kind,
                        const char *id, enum store_dav_access access,
                        struct store_dav_collection *coll_r);

/* The member "o<n>" of type, with its data, if the user may read it
 * (write: may write it). Returns 1, 0 (none), -1. */
int jmap_dav_object(struct jmap_call_ctx *c, enum store_jmap_dav_type type,
                    const char *id, bool write,
                    struct store_jmap_dav_ref *ref_r,
                    struct store_dav_object *obj_r);

/* The SetError of an update or destroy of member id of type that
 * jmap_dav_object (write) did not give (ret 0 or -1): forbidden when the
 * user may read it (a read-only share), else notFound (or serverFail). */
json_t *jmap_dav_object_error(struct jmap_call_ctx *c,
                              enum store_jmap_dav_type type, const char *id,
                              int ret);
/* The SetError of a member written into collection id (NULL: none
 * named) of kind that cannot take it: on a shared account forbidden when
 * the user may not write it (a read-only share and a collection not
 * shared answer alike: nothing leaks), else invalidProperties naming
 * prop. */
json_t *jmap_dav_target_error(struct jmap_call_ctx *c, enum store_dav_kind kind,
                              const char *id, const char *description,
                              const char *prop);

/* Writes data into coll_id as member name (a new one when is_new, named
 * by a fresh UUID when name is NULL; else replacing it if its ETag is
 * still if_match). obj gives uid, content_type, component, span and
 * is_recurring. Returns the member's JMAP id (> 0), or 0 with *err_r (a
 * SetError). */
int64_t jmap_dav_write(struct jmap_call_ctx *c, int64_t coll_id,
                       const char *name, const char *if_match,
                       struct store_dav_object *obj, const struct buf *data,
                       json_t **err_r);
/* A new UUID (RFC 9562 version 4) from the call's pool. */
const char *jmap_dav_uuid(struct jmap_call_ctx *c);

/* Applies patch (a PatchObject: JSON pointers to values, null removes) to
 * obj in place. Returns 0, or -1 with *err_r (invalidPatch as
 * invalidProperties naming the path). */
int jmap_dav_patch(json_t *obj, json_t *patch, json_t **err_r);
/* Keeps only the members named in props (and "id"); props NULL: all. */
void jmap_dav_filter_props(json_t *obj, json_t *props);

/* Adds the capabilities to the session: to "capabilities" and each
 * account's "accountCapabilities" and "primaryAccounts". */
void jmap_dav_session(json_t *session, const char *account_id);
/* Sets the account capabilities of contacts (when contacts) and of
 * calendars, tasks and the journal (when calendars) in acct;
 * may_create is false on a shared account. */
void jmap_dav_account_caps(json_t *acct, bool contacts, bool calendars,
                           bool may_create);

/* ---- AddressBooks and Calendars: the common members (id, name,
 * description, color, sortOrder, isDefault: the collection named
 * default_name, isSubscribed, isVisible, shareWith, myRights) */

/* One collection as a JMAP object (new reference). */
json_t *jmap_dav_collection_json(struct jmap_call_ctx *c,
                                 const struct store_dav_collection *coll,
                                 const char *default_name);
/* /get over the collections of kind. Returns 0 or -1. */
int jmap_dav_collections_get(struct jmap_call_ctx *c, enum store_dav_kind kind,
                             const char *default_name, json_t *ids,
                             json_t *props, json_t *list, json_t *not_found);
/* The writable members of obj into v (STORE_DAV_FIELD_* in *fields_r);
 * a create needs a name. Returns 0, or -1 with *err_r. */
int jmap_dav_collection_values(json_t *obj, bool is_create,
                               struct store_dav_collection *v,
                               unsigned *fields_r, json_t **err_r);
/* /set's set_prepare: reads onDestroyRemoveContents. */
int jmap_dav_collection_prepare(struct jmap_call_ctx *c, void *account,
                                json_t *args);
/* /set's create, update and destroy of a collection of kind;
 * has_contents is the SetError type of a destroy refused because the
 * collection is not empty. */
const char *jmap_dav_collection_create(struct jmap_call_ctx *c,
                                       enum store_dav_kind kind,
                                       unsigned components, json_t *obj,
                                       json_t **extra_r, json_t **err_r);
int jmap_dav_collection_update(struct jmap_call_ctx *c,
                               enum store_dav_kind kind, const char *id,
                               json_t *patch, json_t **err_r);
int jmap_dav_collection_destroy(struct jmap_call_ctx *c,
                                enum store_dav_kind kind, const char *id,
                                const char *has_contents, json_t **err_r);

/* jmap_contacts.c, jmap_calendars.c: the methods. */
extern const struct jmap_method jmap_contacts_methods[];
extern const size_t jmap_contacts_method_count;
extern const struct jmap_method jmap_calendars_methods[];
extern const size_t jmap_calendars_method_count;

#endif
