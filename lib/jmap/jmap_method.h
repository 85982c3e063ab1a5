/* The standard methods of RFC 8620 §5, generic over a data type: reading
 * and checking their arguments (accountId, ids and properties of /get and
 * maxObjectsInGet, sinceState and maxChanges of /changes, ifInState,
 * create, update and destroy of /set and maxObjectsInSet, filter, sort,
 * position, anchor and limit of /query, §5.5-5.6), and writing their
 * responses. A data type is a struct jmap_type filled with designated
 * initializers: its name, its properties, and the functions that read and
 * write the objects in the server's store. jmap_std_get, jmap_std_changes
 * and jmap_std_set run a whole standard method over such a type. */
#ifndef JMAP_JMAP_METHOD_H
#define JMAP_JMAP_METHOD_H

#include "jmap/jmap.h"

/* /changes results (§5.2). */
struct jmap_changes {
	json_t *created, *updated, *destroyed; /* arrays of ids, owned */
	const char *new_state;                 /* from the call's pool */
	bool has_more;
	/* updated objects changed only in these properties (Mailbox/changes
	   updatedProperties, RFC 8621 §2.2), or NULL */
	json_t *updated_properties;
};

/* What one /set call does to one object; the type's functions fill
 * *err_r with a SetError (§5.3: {"type": ..., "description": ...,
 * "properties": [...]}, new reference) to refuse it. */
struct jmap_type {
	const char *name;              /* "Mailbox" */
	const char *const *properties; /* every property, NULL-terminated */
	/* the properties /get returns when none are asked for (NULL: all) */
	const char *const *default_properties;
	/* arguments of /get and /set besides the standard ones (NULL-
	   terminated, or NULL); the type's functions read them in args */
	const char *const *get_args;
	const char *const *set_args;
	/* The account's current state string (from pool), or NULL after a
	   failure. */
	const char *(*state)(struct jmap_call_ctx *c, void *account);
	/* /get: every id when ids is NULL; each object found is appended to
	   list with at least "id" and the properties asked for (props is an
	   array of names), the ids not found to not_found. Returns 0, 1
	   after answering with an error itself, or -1 after a failure
	   (serverFail is answered). */
	int (*get)(struct jmap_call_ctx *c, void *account, json_t *args,
	           json_t *ids, json_t *props, json_t *list,
	           json_t *not_found);
	/* /changes since state (already known to be valid syntax). Returns
	   0 with *ch filled, 1 when it cannot tell (cannotCalculateChanges),
	   -1 after a failure. */
	int (*changes)(struct jmap_call_ctx *c, void *account,
	               const char *since, unsigned max_changes,
	               struct jmap_changes *ch);
	/* /set. Each returns the created id (from pool) or 0, or NULL / -1
	   with *err_r; obj is the create or update object (a patch for
	   update, §5.3 PatchObject, already applied to nothing: the type
	   reads its paths). create may set extra properties of the server
	   in *extra_r (new object, or NULL). */
	const char *(*create)(struct jmap_call_ctx *c, void *account,
	                      json_t *obj, json_t **extra_r, json_t **err_r);
	int (*update)(struct jmap_call_ctx *c, void *account, const char *id,
	              json_t *patch, json_t **err_r);
	int (*destroy)(struct jmap_call_ctx *c, void *account, const char *id,
	               json_t **err_r);
	/* optional: runs once before and after the creates, updates and
	   destroys of one /set (a transaction); end gets whether to keep */
	int (*set_begin)(struct jmap_call_ctx *c, void *account);
	void (*set_end)(struct jmap_call_ctx *c, void *account, bool commit);
	/* optional: reads the type's own /set arguments (in set_args)
	   before anything is done. Returns 0, or -1 after an error
	   response. */
	int (*set_prepare)(struct jmap_call_ctx *c, void *account,
	                   json_t *args);
};

/* The server's side of accountId: returns the account (an opaque handle)
 * for account_id, or NULL after answering accountNotFound (or
 * serverFail). */
typedef void *jmap_account_fn(struct jmap_call_ctx *c, const char *account_id);

/* Runs Foo/get, Foo/changes, Foo/set over type. */
void jmap_std_get(struct jmap_call_ctx *c, json_t *args,
                  const struct jmap_type *type, jmap_account_fn *account);
void jmap_std_changes(struct jmap_call_ctx *c, json_t *args,
                      const struct jmap_type *type, jmap_account_fn *account);
void jmap_std_set(struct jmap_call_ctx *c, json_t *args,
                  const struct jmap_type *type, jmap_account_fn *account);

/* A SetError (new reference): type, optional description, and optional
 * properties (a NULL-terminated list of names, or NULL). */
json_t *jmap_set_error(const char *type, const char *description,
                       const char *const *properties);
/* The same with one property. */
json_t *jmap_set_error_prop(const char *type, const char *description,
                            const char *property);

/* ---- Argument helpers --------------------------------------------------
 * Each returns 0 with the value, or -1 after answering invalidArguments
 * naming the argument. */

/* A required accountId. */
int jmap_arg_account(struct jmap_call_ctx *c, json_t *args,
                     const char **id_r);
/* An optional String (NULL when absent or null). */
int jmap_arg_str(struct jmap_call_ctx *c, json_t *args, const char *name,
                 const char **str_r);
/* An optional UnsignedInt (def when absent or null). */
int jmap_arg_uint(struct jmap_call_ctx *c, json_t *args, const char *name,
                  uint64_t def, uint64_t *value_r);
/* An optional Int (def when absent or null). */
int jmap_arg_int(struct jmap_call_ctx *c, json_t *args, const char *name,
                 int64_t def, int64_t *value_r);
/* An optional Boolean. */
int jmap_arg_bool(struct jmap_call_ctx *c, json_t *args, const char *name,
                  bool def, bool *value_r);
/* Checks that every member of args is in allowed (NULL-terminated).
 * Returns 0, or -1 after answering invalidArguments. */
int jmap_args_check(struct jmap_call_ctx *c, json_t *args,
                    const char *const *allowed);

/* ---- /query (§5.5) ----------------------------------------------------- */

struct jmap_query {
	const char *account_id;
	json_t *filter; /* borrowed, or NULL */
	json_t *sort;   /* borrowed, or NULL */
	int64_t position;
	const char *anchor;
	int64_t anchor_offset;
	uint64_t limit; /* 0: none given */
	bool has_limit;
	bool calculate_total;
};

/* Reads the common /query arguments; extra names (NULL-terminated, or
 * NULL) are the type's own arguments, allowed but not read here. Returns
 * 0, or -1 after an error response. */
int jmap_query_parse(struct jmap_call_ctx *c, json_t *args,
                     const char *const *extra, struct jmap_query *q_r);
/* Cuts the full result (ids, in order) per position, anchor and limit,
 * and answers Foo/query with queryState and canCalculateChanges. Steals
 * ids. */
void jmap_query_reply(struct jmap_call_ctx *c, const struct jmap_query *q,
                      json_t *ids, const char *query_state,
                      bool can_calculate_changes);

/* True if str is in the NULL-terminated list. */
bool jmap_str_in(const char *str, const char *const *list);

#endif
