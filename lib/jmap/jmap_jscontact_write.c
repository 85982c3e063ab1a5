/* A JSContact Card (RFC 9553) as a vCard 4.0 (RFC 6350), by RFC 9555 §2
 * read backwards: checks each member's type as it goes (the first that
 * is wrong is named for invalidProperties), writes the members with a
 * vCard form as their properties, vCardProps as they came, and any other
 * member as a JSPROP property (RFC 9555 §3.2.1), so nothing is lost. FN
 * is required by vCard: without name/full it is made from the name's
 * components (or the first organization or email) with DERIVED=TRUE. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "jmap/jmap_jscontact.h"
#include "jmap/jmap_method.h"
#include "jmap/jmap_jscontact_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct jsc_writer {
	struct pool *pool;
	struct buf *out;
	const char *bad; /* the member that is not valid */
	const char *why;
};

static int bad(struct jsc_writer *w, const char *prop, const char *why)
{
	if (w->bad == NULL) {
		w->bad = prop;
		w->why = why;
	}
	return -1;
}

bool jscontact_is_derived(const struct vcard_property *prop)
{
	for (size_t i = 0; i < prop->param_count; i++) {
		if (strcasecmp(prop->params[i].name, "DERIVED") == 0 &&
		    prop->params[i].value_count == 1 &&
		    strcasecmp(prop->params[i].values[0], "TRUE") == 0)
			return true;
	}
	return false;
}

void jscontact_jsprop_read(json_t *card, const struct vcard_property *prop,
                           struct pool *pool)
{
	const char *ptr = NULL;
	for (size_t i = 0; i < prop->param_count; i++) {
		if (strcasecmp(prop->params[i].name, "JSPTR") == 0 &&
		    prop->params[i].value_count == 1)
			ptr = prop->params[i].values[0];
	}
	if (ptr == NULL || ptr[0] == '\0' || strchr(ptr, '/') != NULL)
		return;
	const char *text = vcard_unescape(prop->value, pool);
	json_t *v =
	    json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (v != NULL && json_object_get(card, ptr) == NULL)
		json_object_set_new(card, ptr, v);
	else
		json_decref(v);
}

/* ---- one property ---- */

struct jsc_prop {
	const char *name;
	const char *group;
	struct vcard_param params[16];
	size_t param_count;
	struct buf value;
};

static void prop_init(struct jsc_prop *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	buf_init(&p->value);
}

static void prop_param(struct jsc_writer *w, struct jsc_prop *p,
                       const char *name, const char *value)
{
	if (p->param_count == sizeof(p->params) / sizeof(*p->params))
		return;
	const char **vals = pool_alloc(w->pool, sizeof(*vals));
	vals[0] = pool_strdup(w->pool, value);
	p->params[p->param_count++] = (struct vcard_param){
	    .name = name, .values = vals, .value_count = 1};
}

static void prop_param_list(struct jsc_writer *w, struct jsc_prop *p,
                            const char *name, const char **vals, size_t n)
{
	if (n == 0 || p->param_count == sizeof(p->params) / sizeof(*p->params))
		return;
	const char **copy = pool_alloc(w->pool, n * sizeof(*copy));
	memcpy(copy, vals, n * sizeof(*copy));
	p->params[p->param_count++] = (struct vcard_param){
	    .name = name, .values = copy, .value_count = n};
}

static void prop_text(struct jsc_prop *p, const char *text)
{
	vcard_escape(text, &p->value);
}

static void prop_end(struct jsc_writer *w, struct jsc_prop *p)
{
	struct vcard_property vp = {
	    .group = p->group,
	    .name = p->name,
	    .params = p->params,
	    .param_count = p->param_count,
	    .value = p->value.data,
	};
	vcard_property_write(&vp, w->out);
	buf_deinit(&p->value);
}

/* ---- checks ---- */

static const char *path(struct jsc_writer *w, const char *a, const char *b,
                        const char *c)
{
	if (a == NULL) /* a member of the Card itself */
		return c != NULL ? pool_printf(w->pool, "%s/%s", b, c) : b;
	return c != NULL   ? pool_printf(w->pool, "%s/%s/%s", a, b, c)
	       : b != NULL ? pool_printf(w->pool, "%s/%s", a, b)
	                   : a;
}

/* An optional String member of obj: 0 with *s_r (NULL if absent), -1. */
static int opt_str(struct jsc_writer *w, json_t *obj, const char *name,
                   const char *where, const char **s_r)
{
	json_t *v = json_object_get(obj, name);
	*s_r = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(w, path(w, where, name, NULL), "must be a String");
	*s_r = json_string_value(v);
	return 0;
}

/* A map of objects (Id[Object]). */
static int check_map(struct jsc_writer *w, json_t *map, const char *member)
{
	if (!json_is_object(map))
		return bad(w, member, "must be an object of objects");
	const char *key;
	json_t *v;
	json_object_foreach(map, key, v)
	{
		if (!jmap_id_is_valid(key) || !json_is_object(v))
			return bad(w, path(w, member, key, NULL),
			           "must be an object with an Id key");
	}
	return 0;
}

/* The TYPE, PREF, group and vCardParams of a map entry; types_extra are
 * more TYPE values (features). */
static int common_params(struct jsc_writer *w, struct jsc_prop *p, json_t *obj,
                         const char *where, const char **types, size_t ntypes)
{
	json_t *ctx = json_object_get(obj, "contexts");
	const char *tv[16];
	size_t tn = 0;
	for (size_t i = 0; i < ntypes && tn < 8; i++)
		tv[tn++] = types[i];
	if (ctx != NULL) {
		if (!json_is_object(ctx))
			return bad(w, path(w, where, "contexts", NULL),
			           "must be a String[Boolean]");
		const char *k;
		json_t *v;
		json_object_foreach(ctx, k, v)
		{
			if (!json_is_true(v))
				return bad(w, path(w, where, "contexts", k),
				           "must be true");
			if (tn < 16 && strcmp(k, "work") == 0)
				tv[tn++] = "work";
			else if (tn < 16 && strcmp(k, "private") == 0)
				tv[tn++] = "home";
		}
	}
	prop_param_list(w, p, "TYPE", tv, tn);
	json_t *pref = json_object_get(obj, "pref");
	if (pref != NULL) {
		if (!json_is_integer(pref) || json_integer_value(pref) < 1 ||
		    json_integer_value(pref) > 100)
			return bad(w, path(w, where, "pref", NULL),
			           "must be 1 to 100");
		prop_param(w, p, "PREF",
		           pool_printf(w->pool, "%lld",
		                       (long long)json_integer_value(pref)));
	}
	json_t *params = json_object_get(obj, "vCardParams");
	if (params == NULL)
		return 0;
	if (!json_is_object(params))
		return bad(w, path(w, where, "vCardParams", NULL),
		           "must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(params, k, v)
	{
		if (strcmp(k, "group") == 0 && json_is_string(v)) {
			p->group = pool_strdup(w->pool, json_string_value(v));
			continue;
		}
		const char *vals[16];
		size_t n = 0;
		if (json_is_string(v)) {
			vals[n++] = json_string_value(v);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e)
			{
				if (!json_is_string(e) || n == 16)
					return bad(
					    w, path(w, where, "vCardParams", k),
					    "must be String or [String]");
				vals[n++] = json_string_value(e);
			}
		} else {
			return bad(w, path(w, where, "vCardParams", k),
			           "must be String or [String]");
		}
		char *name = pool_strdup(w->pool, k);
		for (char *c = name; *c != '\0'; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		prop_param_list(w, p, name, vals, n);
	}
	return 0;
}

/* ---- members ---- */

/* One map entry as property vname with the String field (required). */
static int entry_simple(struct jsc_writer *w, const char *member,
                        const char *key, json_t *obj, const char *vname,
                        const char *field, const char **types, size_t ntypes)
{
	const char *where = path(w, member, key, NULL);
	const char *text;
	if (opt_str(w, obj, field, where, &text) < 0)
		return -1;
	if (text == NULL)
		return bad(w, path(w, where, field, NULL), "is required");
	struct jsc_prop p;
	prop_init(&p, vname);
	if (common_params(w, &p, obj, where, types, ntypes) < 0) {
		buf_deinit(&p.value);
		return -1;
	}
	prop_text(&p, text);
	prop_end(w, &p);
	return 0;
}

static int phone_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	const char *types[8];
	size_t n = 0;
	json_t *feat = json_object_get(obj, "features");
	if (feat != NULL) {
		if (!json_is_object(feat))
			return bad(w, path(w, "phones", key, "features"),
			           "must be a String[Boolean]");
		const char *k;
		json_t *v;
		json_object_foreach(feat, k, v)
		{
			if (n < 8 && json_is_true(v))
				types[n++] =
				    strcmp(k, "mobile") == 0 ? "cell" : k;
		}
	}
	return entry_simple(w, "phones", key, obj, "TEL", "number", types, n);
}

static int title_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	const char *kind;
	if (opt_str(w, obj, "kind", path(w, "titles", key, NULL), &kind) < 0)
		return -1;
	return entry_simple(w, "titles", key, obj,
	                    kind != NULL && strcmp(kind, "role") == 0 ? "ROLE"
	                                                              : "TITLE",
	                    "name", NULL, 0);
}

static int media_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	const char *kind;
	if (opt_str(w, obj, "kind", path(w, "media", key, NULL), &kind) < 0)
		return -1;
	const char *vname = kind == NULL || strcmp(kind, "photo") == 0 ? "PHOTO"
	                    : strcmp(kind, "logo") == 0                ? "LOGO"
	                    : strcmp(kind, "sound") == 0               ? "SOUND"
	                                                               : NULL;
	if (vname == NULL)
		return bad(w, path(w, "media", key, "kind"),
		           "must be photo, logo or sound");
	return entry_simple(w, "media", key, obj, vname, "uri", NULL, 0);
}

/* Text values of the components of kind, comma-joined and escaped. */
static void components_join(json_t *comps, const char *kind, struct buf *out)
{
	size_t i, n = 0;
	json_t *c;
	json_array_foreach(comps, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "kind")),
		           kind) != 0)
			continue;
		if (n++ > 0)
			buf_append_char(out, ',');
		vcard_escape(json_string_value(json_object_get(c, "value")),
		             out);
	}
}

/* components: [{kind: String, value: String}] */
static int components_check(struct jsc_writer *w, json_t *comps,
                            const char *where)
{
	if (!json_is_array(comps))
		return bad(w, where, "must be an array of components");
	size_t i;
	json_t *c;
	json_array_foreach(comps, i, c)
	{
		if (!json_is_object(c) ||
		    !json_is_string(json_object_get(c, "kind")) ||
		    !json_is_string(json_object_get(c, "value")))
			return bad(w, pool_printf(w->pool, "%s/%zu", where, i),
			           "needs kind and value Strings");
	}
	return 0;
}

static int address_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	static const char *const kinds[] = {
	    "postOfficeBox", "apartment", "name",   "locality",
	    "region",        "postcode",  "country"};
	const char *where = path(w, "addresses", key, NULL);
	json_t *comps = json_object_get(obj, "components");
	const char *full;
	if (opt_str(w, obj, "full", where, &full) < 0 ||
	    (comps != NULL &&
	     components_check(w, comps, path(w, where, "components", NULL)) <
	         0))
		return -1;
	struct jsc_prop p;
	prop_init(&p, "ADR");
	if (common_params(w, &p, obj, where, NULL, 0) < 0) {
		buf_deinit(&p.value);
		return -1;
	}
	if (full != NULL)
		prop_param(w, &p, "LABEL", full);
	for (size_t i = 0; i < 7; i++) {
		if (i > 0)
			buf_append_char(&p.value, ';');
		if (comps != NULL)
			components_join(comps, kinds[i], &p.value);
	}
	prop_end(w, &p);
	return 0;
}

static int org_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	const char *where = path(w, "organizations", key, NULL);
	const char *name;
	json_t *units = json_object_get(obj, "units");
	if (opt_str(w, obj, "name", where, &name) < 0)
		return -1;
	if (units != NULL && !json_is_array(units))
		return bad(w, path(w, where, "units", NULL),
		           "must be an array");
	struct jsc_prop p;
	prop_init(&p, "ORG");
	if (common_params(w, &p, obj, where, NULL, 0) < 0) {
		buf_deinit(&p.value);
		return -1;
	}
	prop_text(&p, name != NULL ? name : "");
	size_t i;
	json_t *u;
	json_array_foreach(units, i, u)
	{
		const char *un = json_string_value(json_object_get(u, "name"));
		if (un == NULL) {
			buf_deinit(&p.value);
			return bad(
			    w, pool_printf(w->pool, "%s/units/%zu", where, i),
			    "needs a name");
		}
		buf_append_char(&p.value, ';');
		prop_text(&p, un);
	}
	prop_end(w, &p);
	return 0;
}

/* PartialDate or Timestamp as a vCard date or timestamp, or NULL. */
static const char *date_text(struct jsc_writer *w, json_t *date)
{
	const char *type = json_string_value(json_object_get(date, "@type"));
	if (type != NULL && strcmp(type, "Timestamp") == 0) {
		const char *utc =
		    json_string_value(json_object_get(date, "utc"));
		int y, mo, d, h, mi, s;
		if (utc == NULL || sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y,
		                          &mo, &d, &h, &mi, &s) != 6)
			return NULL;
		return pool_printf(w->pool, "%04d%02d%02dT%02d%02d%02dZ", y, mo,
		                   d, h, mi, s);
	}
	json_t *y = json_object_get(date, "year");
	json_t *m = json_object_get(date, "month");
	json_t *d = json_object_get(date, "day");
	if ((y != NULL && !json_is_integer(y)) ||
	    (m != NULL && !json_is_integer(m)) ||
	    (d != NULL && !json_is_integer(d)) || (m == NULL) != (d == NULL) ||
	    (y == NULL && m == NULL))
		return NULL;
	if (m == NULL)
		return pool_printf(w->pool, "%04lld",
		                   (long long)json_integer_value(y));
	long long mv = json_integer_value(m), dv = json_integer_value(d);
	if (mv < 1 || mv > 12 || dv < 1 || dv > 31)
		return NULL;
	if (y == NULL)
		return pool_printf(w->pool, "--%02lld%02lld", mv, dv);
	return pool_printf(w->pool, "%04lld%02lld%02lld",
	                   (long long)json_integer_value(y), mv, dv);
}

static int anniversary_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	const char *where = path(w, "anniversaries", key, NULL);
	const char *kind;
	if (opt_str(w, obj, "kind", where, &kind) < 0)
		return -1;
	json_t *date = json_object_get(obj, "date");
	const char *text = json_is_object(date) ? date_text(w, date) : NULL;
	if (text == NULL)
		return bad(w, path(w, where, "date", NULL),
		           "must be a PartialDate or Timestamp");
	if (kind == NULL ||
	    (strcmp(kind, "birth") != 0 && strcmp(kind, "wedding") != 0))
		return bad(w, path(w, where, "kind", NULL),
		           "must be birth or wedding");
	struct jsc_prop p;
	prop_init(&p, kind[0] == 'b' ? "BDAY" : "ANNIVERSARY");
	if (common_params(w, &p, obj, where, NULL, 0) < 0) {
		buf_deinit(&p.value);
		return -1;
	}
	buf_append_str(&p.value, text);
	prop_end(w, &p);
	return 0;
}

static int nickname_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	return entry_simple(w, "nicknames", key, obj, "NICKNAME", "name", NULL,
	                    0);
}
static int email_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	return entry_simple(w, "emails", key, obj, "EMAIL", "address", NULL, 0);
}
static int note_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	return entry_simple(w, "notes", key, obj, "NOTE", "note", NULL, 0);
}
static int link_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	return entry_simple(w, "links", key, obj, "URL", "uri", NULL, 0);
}
static int service_write(struct jsc_writer *w, const char *key, json_t *obj)
{
	return entry_simple(w, "onlineServices", key, obj, "IMPP", "uri", NULL,
	                    0);
}

static const struct {
	const char *member;
	int (*write)(struct jsc_writer *w, const char *key, json_t *obj);
} maps[] = {
    {"nicknames", nickname_write},
    {"emails", email_write},
    {"phones", phone_write},
    {"addresses", address_write},
    {"organizations", org_write},
    {"titles", title_write},
    {"anniversaries", anniversary_write},
    {"notes", note_write},
    {"links", link_write},
    {"onlineServices", service_write},
    {"media", media_write},
};

static int maps_write(struct jsc_writer *w, json_t *card)
{
	for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++) {
		json_t *map = json_object_get(card, maps[i].member);
		if (map == NULL || json_is_null(map))
			continue;
		if (check_map(w, map, maps[i].member) < 0)
			return -1;
		const char *key;
		json_t *v;
		json_object_foreach(map, key, v)
		{
			if (maps[i].write(w, key, v) < 0)
				return -1;
		}
	}
	return 0;
}

/* FN and N from name; FN made from other members when there is no full
 * name (vCard needs one). */
static int name_write(struct jsc_writer *w, json_t *card)
{
	json_t *name = json_object_get(card, "name");
	const char *full = NULL;
	json_t *comps = NULL;
	if (name != NULL && !json_is_null(name)) {
		if (!json_is_object(name))
			return bad(w, "name", "must be a Name");
		comps = json_object_get(name, "components");
		if (opt_str(w, name, "full", "name", &full) < 0 ||
		    (comps != NULL &&
		     components_check(w, comps, "name/components") < 0))
			return -1;
	}
	struct jsc_prop p;
	prop_init(&p, "FN");
	if (full != NULL) {
		prop_text(&p, full);
	} else {
		prop_param(w, &p, "DERIVED", "TRUE");
		struct buf tmp;
		buf_init(&tmp);
		if (comps != NULL) {
			components_join(comps, "given", &tmp);
			if (tmp.len > 0)
				buf_append_char(&tmp, ' ');
			components_join(comps, "surname", &tmp);
		}
		buf_append(&p.value, tmp.data, tmp.len);
		buf_deinit(&tmp);
	}
	prop_end(w, &p);
	if (comps == NULL)
		return 0;
	static const char *const kinds[] = {"surname", "given", "given2",
	                                    "title", "credential"};
	prop_init(&p, "N");
	for (size_t i = 0; i < 5; i++) {
		if (i > 0)
			buf_append_char(&p.value, ';');
		components_join(comps, kinds[i], &p.value);
	}
	prop_end(w, &p);
	return 0;
}

/* [name, {params}, type, value] as it came (the value unescaped only for
 * a type other than "unknown"). */
static int raw_write(struct jsc_writer *w, json_t *props)
{
	if (!json_is_array(props))
		return bad(w, "vCardProps", "must be an array");
	size_t i;
	json_t *e;
	json_array_foreach(props, i, e)
	{
		const char *where = pool_printf(w->pool, "vCardProps/%zu", i);
		const char *name = json_string_value(json_array_get(e, 0));
		json_t *params = json_array_get(e, 1);
		const char *type = json_string_value(json_array_get(e, 2));
		const char *value = json_string_value(json_array_get(e, 3));
		if (json_array_size(e) != 4 || name == NULL ||
		    name[0] == '\0' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
		                 "RSTUVWXYZ0123456789-") != strlen(name) ||
		    !json_is_object(params) || type == NULL || value == NULL)
			return bad(w, where, "must be [name, {}, type, value]");
		char *up = pool_strdup(w->pool, name);
		for (char *c = up; *c != '\0'; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		struct jsc_prop p;
		prop_init(&p, up);
		json_t *wrap = json_pack("{s:O}", "vCardParams", params);
		int ret = common_params(w, &p, wrap, where, NULL, 0);
		json_decref(wrap);
		if (ret < 0) {
			buf_deinit(&p.value);
			return -1;
		}
		if (strcmp(type, "unknown") == 0)
			buf_append_str(&p.value, value);
		else
			prop_text(&p, value);
		prop_end(w, &p);
	}
	return 0;
}

static const char *const known[] = {"@type",
                                    "version",
                                    "uid",
                                    "kind",
                                    "name",
                                    "nicknames",
                                    "emails",
                                    "phones",
                                    "addresses",
                                    "organizations",
                                    "titles",
                                    "anniversaries",
                                    "notes",
                                    "links",
                                    "onlineServices",
                                    "media",
                                    "keywords",
                                    "prodId",
                                    "updated",
                                    "created",
                                    "vCardProps",
                                    NULL};

/* uid, kind, prodId, updated, created and keywords. */
static int scalars_write(struct jsc_writer *w, json_t *card)
{
	static const struct {
		const char *member, *vname;
	} scalars[] = {{"uid", "UID"},
	               {"kind", "KIND"},
	               {"prodId", "PRODID"},
	               {"updated", "REV"},
	               {"created", "CREATED"}};
	for (size_t i = 0; i < sizeof(scalars) / sizeof(*scalars); i++) {
		const char *v;
		if (opt_str(w, card, scalars[i].member, NULL, &v) < 0)
			return bad(w, scalars[i].member, "must be a String");
		if (v == NULL)
			continue;
		struct jsc_prop p;
		prop_init(&p, scalars[i].vname);
		int y, mo, d, h, mi, s;
		if (i >= 3) { /* a UTCDateTime as a vCard timestamp */
			if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d,
			           &h, &mi, &s) != 6) {
				buf_deinit(&p.value);
				return bad(w, scalars[i].member,
				           "must be a UTCDateTime");
			}
			buf_printf(&p.value, "%04d%02d%02dT%02d%02d%02dZ", y,
			           mo, d, h, mi, s);
		} else {
			prop_text(&p, v);
		}
		prop_end(w, &p);
	}
	json_t *kw = json_object_get(card, "keywords");
	if (kw == NULL || json_is_null(kw))
		return 0;
	if (!json_is_object(kw))
		return bad(w, "keywords", "must be a String[Boolean]");
	struct jsc_prop p;
	prop_init(&p, "CATEGORIES");
	const char *k;
	json_t *v;
	json_object_foreach(kw, k, v)
	{
		if (!json_is_true(v)) {
			buf_deinit(&p.value);
			return bad(w, path(w, "keywords", k, NULL),
			           "must be true");
		}
		if (p.value.len > 0)
			buf_append_char(&p.value, ',');
		prop_text(&p, k);
	}
	prop_end(w, &p);
	return 0;
}

/* Members without a vCard form as JSPROP (RFC 9555 §3.2.1). */
static void others_write(struct jsc_writer *w, json_t *card)
{
	const char *k;
	json_t *v;
	json_object_foreach(card, k, v)
	{
		if (jmap_str_in(k, known) || json_is_null(v))
			continue;
		struct jsc_prop p;
		prop_init(&p, "JSPROP");
		prop_param(w, &p, "JSPTR", k);
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		                               JSON_SORT_KEYS);
		prop_text(&p, text != NULL ? text : "null");
		free(text);
		prop_end(w, &p);
	}
}

int jmap_jscontact_to_vcard(json_t *card, struct pool *pool, struct buf *out,
                            const char **prop_r, const char **error_r)
{
	struct jsc_writer w = {.pool = pool, .out = out};
	const char *type, *version;
	if (!json_is_object(card)) {
		*prop_r = "";
		*error_r = "a Card must be an object";
		return -1;
	}
	size_t start = out->len;
	buf_append_str(out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
	if (opt_str(&w, card, "@type", NULL, &type) < 0 ||
	    (type != NULL && strcmp(type, "Card") != 0))
		bad(&w, "@type", "must be \"Card\"");
	else if (opt_str(&w, card, "version", NULL, &version) < 0)
		bad(&w, "version", "must be a String");
	else if (scalars_write(&w, card) == 0 && name_write(&w, card) == 0 &&
	         maps_write(&w, card) == 0 &&
	         json_object_get(card, "vCardProps") != NULL)
		raw_write(&w, json_object_get(card, "vCardProps"));
	if (w.bad != NULL) {
		buf_truncate(out, start);
		*prop_r = w.bad;
		*error_r = w.why;
		return -1;
	}
	others_write(&w, card);
	buf_append_str(out, "END:VCARD\r\n");
	return 0;
}
