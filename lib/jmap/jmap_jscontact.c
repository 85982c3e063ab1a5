/* vCard to JSContact Card (RFC 9553) and back, by RFC 9555 §2 and §3:
 * KIND, FN, N, NICKNAME, EMAIL, TEL, ADR, ORG, TITLE, ROLE, NOTE, BDAY,
 * ANNIVERSARY, URL, IMPP, PHOTO (by URI), CATEGORIES, UID, REV and PRODID
 * have members of their own; every other property goes to vCardProps
 * with its value as it came, and comes back unchanged. Map keys are the
 * PROP-ID parameter when there is one (RFC 9554 §4.6), else the
 * property's kind and its position ("e1"). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "jmap/jmap_jscontact.h"
#include "jmap/jmap_method.h"
#include "jmap/jmap_jscontact_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reading a vCard ---- */

size_t jscontact_split(const char *raw, char sep, bool unescape,
                       struct pool *pool, const char ***parts_r)
{
	size_t n = 1;
	for (const char *p = raw; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == sep)
			n++;
	}
	const char **parts = pool_alloc(pool, n * sizeof(*parts));
	size_t i = 0;
	const char *start = raw;
	for (const char *p = raw;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == sep || *p == '\0') {
			char *part =
			    pool_strndup(pool, start, (size_t)(p - start));
			parts[i++] =
			    unescape ? vcard_unescape(part, pool) : part;
			start = p + 1;
			if (*p == '\0')
				break;
		}
	}
	*parts_r = parts;
	return n;
}

static char *lower(struct pool *pool, const char *s)
{
	char *l = pool_strdup(pool, s);
	for (char *p = l; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

/* The parameters of one converted property. */
struct jsc_params {
	json_t *types;  /* lowercased TYPE values */
	unsigned pref;  /* 0: none */
	const char *id; /* PROP-ID, or NULL */
	json_t *extra;  /* vCardParams (new), or NULL */
};

static json_t *param_value_json(const struct vcard_param *p)
{
	if (p->value_count == 1)
		return json_string(p->values[0]);
	json_t *arr = json_array();
	for (size_t i = 0; i < p->value_count; i++)
		json_array_append_new(arr, json_string(p->values[i]));
	return arr;
}

static void type_add(struct jsc_params *pr, const char *t)
{
	if (strcmp(t, "pref") == 0 && pr->pref == 0)
		pr->pref = 1; /* vCard 3.0 */
	else if (t[0] != '\0')
		json_array_append_new(pr->types, json_string(t));
}

/* Reads TYPE, PREF and PROP-ID; the names in handled (lowercase) are
 * read by the caller; the rest go to vCardParams. */
static void params_read(const struct vcard_property *prop, struct pool *pool,
                        const char *const *handled, struct jsc_params *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->types = json_array();
	for (size_t i = 0; i < prop->param_count; i++) {
		const struct vcard_param *p = &prop->params[i];
		const char *name = lower(pool, p->name);
		if (strcmp(name, "type") == 0) {
			/* TYPE="voice,home" is two (RFC 6350 §5.6) */
			for (size_t v = 0; v < p->value_count; v++) {
				const char **ts;
				size_t tn =
				    jscontact_split(lower(pool, p->values[v]),
				                    ',', false, pool, &ts);
				for (size_t k = 0; k < tn; k++)
					type_add(pr, ts[k]);
			}
		} else if (strcmp(name, "pref") == 0 && p->value_count == 1) {
			pr->pref = (unsigned)strtoul(p->values[0], NULL, 10);
			if (pr->pref > 100)
				pr->pref = 100;
		} else if (strcmp(name, "prop-id") == 0 &&
		           p->value_count == 1 &&
		           jmap_id_is_valid(p->values[0])) {
			pr->id = p->values[0];
		} else if (!jmap_str_in(name, handled)) {
			if (pr->extra == NULL)
				pr->extra = json_object();
			json_object_set_new(pr->extra, name,
			                    param_value_json(p));
		}
	}
	if (prop->group != NULL) {
		if (pr->extra == NULL)
			pr->extra = json_object();
		json_object_set_new(pr->extra, "group",
		                    json_string(prop->group));
	}
}

static bool has_type(json_t *types, const char *t)
{
	size_t i;
	json_t *v;
	json_array_foreach(types, i, v)
	{
		if (strcmp(json_string_value(v), t) == 0)
			return true;
	}
	return false;
}

/* contexts from TYPE work and home (RFC 9555 §2.1.4: home is private). */
static void contexts_set(json_t *obj, json_t *types)
{
	json_t *ctx = json_object();
	if (has_type(types, "work"))
		json_object_set_new(ctx, "work", json_true());
	if (has_type(types, "home"))
		json_object_set_new(ctx, "private", json_true());
	if (json_object_size(ctx) > 0)
		json_object_set_new(obj, "contexts", ctx);
	else
		json_decref(ctx);
}

/* Adds obj to the map member of card under the PROP-ID or prefix+n, with
 * the pref and vCardParams of pr; frees pr's types. */
static void map_add(json_t *card, const char *member, const char *prefix,
                    json_t *obj, struct jsc_params *pr)
{
	json_t *map = json_object_get(card, member);
	if (map == NULL) {
		map = json_object();
		json_object_set_new(card, member, map);
	}
	/* TYPE values with no member of their own stay TYPE values */
	static const char *const consumed[] = {
	    "work",  "home", "voice",     "fax",         "cell", "video",
	    "pager", "text", "textphone", "main-number", NULL};
	bool is_tel = strcmp(member, "phones") == 0;
	json_t *rest = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(pr->types, i, t)
	{
		const char *tv = json_string_value(t);
		bool is_used = strcmp(tv, "work") == 0 ||
		               strcmp(tv, "home") == 0 ||
		               (is_tel && jmap_str_in(tv, consumed));
		if (!is_used)
			json_array_append(rest, t);
	}
	if (json_array_size(rest) > 0) {
		if (pr->extra == NULL)
			pr->extra = json_object();
		json_object_set(pr->extra, "type", rest);
	}
	json_decref(rest);
	if (pr->pref > 0)
		json_object_set_new(obj, "pref", json_integer(pr->pref));
	if (pr->extra != NULL)
		json_object_set_new(obj, "vCardParams", pr->extra);
	json_decref(pr->types);
	char key[32];
	const char *k = pr->id;
	for (size_t n = json_object_size(map) + 1;
	     k == NULL || json_object_get(map, k); n++) {
		snprintf(key, sizeof(key), "%s%zu", prefix, n);
		k = key;
	}
	json_object_set_new(map, k, obj);
}

/* A vCard date (RFC 6350 §4.3.1: 19850412, 1985-04-12, --0412, 1985)
 * as a PartialDate, or NULL. */
static json_t *partial_date(const char *v)
{
	int y = 0, m = 0, d = 0;
	char tail;
	json_t *pd = json_pack("{s:s}", "@type", "PartialDate");
	if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
	    (strlen(v) == 8 && sscanf(v, "%4d%2d%2d", &y, &m, &d) == 3)) {
		json_object_set_new(pd, "year", json_integer(y));
	} else if (strncmp(v, "--", 2) == 0 && strlen(v) == 6 &&
	           sscanf(v + 2, "%2d%2d", &m, &d) == 2) {
		/* no year */
	} else if (strlen(v) == 4 && sscanf(v, "%4d", &y) == 1) {
		json_object_set_new(pd, "year", json_integer(y));
		return pd;
	} else {
		json_decref(pd);
		return NULL;
	}
	if (m < 1 || m > 12 || d < 1 || d > 31) {
		json_decref(pd);
		return NULL;
	}
	json_object_set_new(pd, "month", json_integer(m));
	json_object_set_new(pd, "day", json_integer(d));
	return pd;
}

/* REV (19951031T222710Z or 1995-10-31T22:27:10Z) as a UTCDateTime, or
 * NULL. */
static const char *utc_time(const char *v, struct pool *pool)
{
	int y, mo, d, h, mi, s;
	if (sscanf(v, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s) != 6 &&
	    sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) !=
	        6)
		return NULL;
	return pool_printf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h,
	                   mi, s);
}

/* Keeps prop as it came (jCard form [name, params, "unknown", value]). */
static void keep_raw(json_t *card, const struct vcard_property *prop,
                     struct pool *pool)
{
	json_t *props = json_object_get(card, "vCardProps");
	if (props == NULL) {
		props = json_array();
		json_object_set_new(card, "vCardProps", props);
	}
	json_t *params = json_object();
	if (prop->group != NULL)
		json_object_set_new(params, "group", json_string(prop->group));
	for (size_t i = 0; i < prop->param_count; i++) {
		const char *name = lower(pool, prop->params[i].name);
		json_t *old = json_object_get(params, name);
		json_t *v = param_value_json(&prop->params[i]);
		if (old != NULL) { /* a parameter given twice: its values */
			json_t *arr = json_is_array(old)
			                  ? json_incref(old)
			                  : json_pack("[O]", old);
			if (json_is_array(v))
				json_array_extend(arr, v);
			else
				json_array_append(arr, v);
			json_decref(v);
			v = arr;
		}
		json_object_set_new(params, name, v);
	}
	json_array_append_new(props,
	                      json_pack("[s, o, s, s]", lower(pool, prop->name),
	                                params, "unknown", prop->value));
}

/* N: family;given;additional;prefixes;suffixes, each comma-separated. */
static void name_read(json_t *card, const struct vcard_property *prop,
                      struct pool *pool)
{
	static const char *const kinds[] = {"surname", "given", "given2",
	                                    "title", "credential"};
	json_t *name = json_object_get(card, "name");
	if (name == NULL) {
		name = json_object();
		json_object_set_new(card, "name", name);
	}
	json_t *comps = json_array();
	const char **parts;
	size_t n = jscontact_split(prop->value, ';', false, pool, &parts);
	for (size_t i = 0; i < n && i < 5; i++) {
		const char **vals;
		size_t vn = jscontact_split(parts[i], ',', true, pool, &vals);
		for (size_t k = 0; k < vn; k++) {
			if (vals[k][0] != '\0')
				json_array_append_new(
				    comps,
				    json_pack("{s:s, s:s}", "kind", kinds[i],
				              "value", vals[k]));
		}
	}
	json_object_set_new(name, "components", comps);
}

static void adr_read(json_t *card, const struct vcard_property *prop,
                     struct pool *pool)
{
	static const char *const kinds[] = {
	    "postOfficeBox", "apartment", "name",   "locality",
	    "region",        "postcode",  "country"};
	static const char *const handled[] = {"label", NULL};
	struct jsc_params pr;
	params_read(prop, pool, handled, &pr);
	json_t *adr = json_object();
	json_t *comps = json_array();
	const char **parts;
	size_t n = jscontact_split(prop->value, ';', true, pool, &parts);
	for (size_t i = 0; i < n && i < 7; i++) {
		if (parts[i][0] != '\0')
			json_array_append_new(
			    comps, json_pack("{s:s, s:s}", "kind", kinds[i],
			                     "value", parts[i]));
	}
	json_object_set_new(adr, "components", comps);
	for (size_t i = 0; i < prop->param_count; i++) {
		if (strcasecmp(prop->params[i].name, "LABEL") == 0 &&
		    prop->params[i].value_count == 1)
			json_object_set_new(
			    adr, "full",
			    json_string(prop->params[i].values[0]));
	}
	contexts_set(adr, pr.types);
	map_add(card, "addresses", "a", adr, &pr);
}

/* TEL: TYPE voice, fax, cell, video, pager, text, textphone are features
 * (RFC 9555 §2.3.3). */
static void tel_read(json_t *card, const struct vcard_property *prop,
                     struct pool *pool)
{
	static const char *const features[] = {
	    "voice", "fax",       "cell",        "video", "pager",
	    "text",  "textphone", "main-number", NULL};
	struct jsc_params pr;
	params_read(prop, pool, NULL, &pr);
	json_t *ph =
	    json_pack("{s:s}", "number", vcard_unescape(prop->value, pool));
	json_t *feat = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(pr.types, i, v)
	{
		const char *t = json_string_value(v);
		if (jmap_str_in(t, features))
			json_object_set_new(
			    feat, strcmp(t, "cell") == 0 ? "mobile" : t,
			    json_true());
	}
	if (json_object_size(feat) > 0)
		json_object_set_new(ph, "features", feat);
	else
		json_decref(feat);
	contexts_set(ph, pr.types);
	map_add(card, "phones", "p", ph, &pr);
}

/* A property whose value becomes member field of a new map entry. */
static void simple_read(json_t *card, const struct vcard_property *prop,
                        struct pool *pool, const char *member,
                        const char *prefix, const char *field, const char *kind)
{
	struct jsc_params pr;
	params_read(prop, pool, NULL, &pr);
	json_t *obj =
	    json_pack("{s:s}", field, vcard_unescape(prop->value, pool));
	if (kind != NULL)
		json_object_set_new(obj, "kind", json_string(kind));
	contexts_set(obj, pr.types);
	map_add(card, member, prefix, obj, &pr);
}

static void org_read(json_t *card, const struct vcard_property *prop,
                     struct pool *pool)
{
	struct jsc_params pr;
	params_read(prop, pool, NULL, &pr);
	const char **parts;
	size_t n = jscontact_split(prop->value, ';', true, pool, &parts);
	json_t *org = json_object();
	if (parts[0][0] != '\0')
		json_object_set_new(org, "name", json_string(parts[0]));
	if (n > 1) {
		json_t *units = json_array();
		for (size_t i = 1; i < n; i++)
			json_array_append_new(
			    units, json_pack("{s:s}", "name", parts[i]));
		json_object_set_new(org, "units", units);
	}
	contexts_set(org, pr.types);
	map_add(card, "organizations", "o", org, &pr);
}

static bool date_read(json_t *card, const struct vcard_property *prop,
                      struct pool *pool, const char *kind)
{
	json_t *date = partial_date(vcard_unescape(prop->value, pool));
	if (date == NULL)
		return false;
	struct jsc_params pr;
	params_read(prop, pool, NULL, &pr);
	json_t *obj = json_pack("{s:s, s:o}", "kind", kind, "date", date);
	map_add(card, "anniversaries", "k", obj, &pr);
	return true;
}

static void list_read(json_t *card, const struct vcard_property *prop,
                      struct pool *pool, bool is_nickname)
{
	const char **parts;
	size_t n = jscontact_split(prop->value, ',', true, pool, &parts);
	json_t *kw = json_object_get(card, "keywords");
	for (size_t i = 0; i < n; i++) {
		if (parts[i][0] == '\0')
			continue;
		if (is_nickname) {
			struct jsc_params pr;
			params_read(prop, pool, NULL, &pr);
			map_add(card, "nicknames", "n",
			        json_pack("{s:s}", "name", parts[i]), &pr);
		} else {
			if (kw == NULL) {
				kw = json_object();
				json_object_set_new(card, "keywords", kw);
			}
			json_object_set_new(kw, parts[i], json_true());
		}
	}
}

/* A property with a member of its own: converts it and returns true, or
 * false to keep it in vCardProps. */
static bool prop_read(json_t *card, const struct vcard_property *p,
                      struct pool *pool)
{
	const char *n = p->name;
	const char *v = vcard_unescape(p->value, pool);
	if (strcmp(n, "FN") == 0 && p->group == NULL && p->param_count == 0) {
		json_t *name = json_object_get(card, "name");
		if (name == NULL) {
			name = json_object();
			json_object_set_new(card, "name", name);
		}
		json_object_set_new(name, "full", json_string(v));
	} else if (strcmp(n, "N") == 0 && p->group == NULL &&
	           p->param_count == 0) {
		name_read(card, p, pool);
	} else if (strcmp(n, "KIND") == 0 && p->param_count == 0) {
		json_object_set_new(card, "kind", json_string(lower(pool, v)));
	} else if (strcmp(n, "UID") == 0 && p->param_count == 0) {
		json_object_set_new(card, "uid", json_string(v));
	} else if (strcmp(n, "PRODID") == 0 && p->param_count == 0) {
		json_object_set_new(card, "prodId", json_string(v));
	} else if (strcmp(n, "REV") == 0 && utc_time(v, pool) != NULL) {
		json_object_set_new(card, "updated",
		                    json_string(utc_time(v, pool)));
	} else if (strcmp(n, "EMAIL") == 0) {
		simple_read(card, p, pool, "emails", "e", "address", NULL);
	} else if (strcmp(n, "TEL") == 0) {
		tel_read(card, p, pool);
	} else if (strcmp(n, "ADR") == 0) {
		adr_read(card, p, pool);
	} else if (strcmp(n, "ORG") == 0) {
		org_read(card, p, pool);
	} else if (strcmp(n, "TITLE") == 0 || strcmp(n, "ROLE") == 0) {
		simple_read(card, p, pool, "titles", "t", "name",
		            n[0] == 'T' ? "title" : "role");
	} else if (strcmp(n, "NOTE") == 0) {
		simple_read(card, p, pool, "notes", "n", "note", NULL);
	} else if (strcmp(n, "URL") == 0) {
		simple_read(card, p, pool, "links", "l", "uri", NULL);
	} else if (strcmp(n, "IMPP") == 0) {
		simple_read(card, p, pool, "onlineServices", "s", "uri", NULL);
	} else if (strcmp(n, "PHOTO") == 0 && strchr(v, ':') != NULL &&
	           p->param_count == 0) {
		simple_read(card, p, pool, "media", "m", "uri", "photo");
	} else if (strcmp(n, "BDAY") == 0 || strcmp(n, "ANNIVERSARY") == 0) {
		return date_read(card, p, pool,
		                 n[0] == 'B' ? "birth" : "wedding");
	} else if (strcmp(n, "NICKNAME") == 0) {
		list_read(card, p, pool, true);
	} else if (strcmp(n, "CATEGORIES") == 0 && p->param_count == 0) {
		list_read(card, p, pool, false);
	} else {
		return false;
	}
	return true;
}

json_t *jmap_jscontact_from_vcard(const struct vcard *card, struct pool *pool)
{
	json_t *c = json_pack("{s:s, s:s}", "@type", "Card", "version", "1.0");
	for (size_t i = 0; i < card->prop_count; i++) {
		const struct vcard_property *p = &card->props[i];
		if (strcmp(p->name, "VERSION") == 0 ||
		    strcmp(p->name, "BEGIN") == 0 ||
		    strcmp(p->name, "END") == 0)
			continue;
		if (strcmp(p->name, "FN") == 0 && jscontact_is_derived(p))
			continue; /* made from other members: made again */
		if (strcmp(p->name, "JSPROP") == 0) {
			jscontact_jsprop_read(c, p, pool);
			continue;
		}
		if (!prop_read(c, p, pool))
			keep_raw(c, p, pool);
	}
	return c;
}
