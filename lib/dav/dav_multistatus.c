/* Multistatus answers as the client reads them: the element tree from
 * dav_xml, walked once into arrays of responses and properties. Unknown
 * elements are ignored (RFC 4918 §17: a client must ignore what it does
 * not understand). */
#include "dav/dav_multistatus.h"
#include "core/pool.h"
#include "dav/dav_client.h"
#include "dav/dav_xml.h"

#include <stdlib.h>
#include <string.h>

#define DAV_MS_DEFAULT_MAX_SIZE (64 * 1024 * 1024)
#define DAV_MS_MAX_ELEMENTS 4000000

unsigned dav_ms_status_parse(const char *text)
{
	/* status = "HTTP/" DIGIT "." DIGIT SP 3DIGIT SP reason */
	const char *sp = text != NULL ? strchr(text, ' ') : NULL;
	if (sp == NULL || strncmp(text, "HTTP/", 5) != 0)
		return 0;
	unsigned code = 0;
	for (size_t i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return 0;
		code = code * 10 + (unsigned)(sp[i] - '0');
	}
	return code >= 100 && code <= 599 ? code : 0;
}

static size_t count_children(const struct dav_xml_node *node, const char *ns,
                             const char *name)
{
	size_t n = 0;
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next)
		if (dav_xml_is(c, ns, name))
			n++;
	return n;
}

/* Adds the properties of one propstat to r. */
static void propstat_read(const struct dav_xml_node *ps,
                          struct dav_ms_response *r, size_t *cap,
                          struct pool *pool)
{
	const struct dav_xml_node *prop = dav_xml_child(ps, DAV_NS, "prop");
	const struct dav_xml_node *st = dav_xml_child(ps, DAV_NS, "status");
	unsigned status =
	    st != NULL ? dav_ms_status_parse(dav_xml_text_trim(st, pool)) : 0;
	if (prop == NULL)
		return;
	for (const struct dav_xml_node *p = prop->children; p != NULL;
	     p = p->next) {
		if (r->prop_count == *cap) {
			size_t ncap = *cap == 0 ? 8 : *cap * 2;
			struct dav_ms_prop *n =
			    pool_alloc(pool, ncap * sizeof(*n));
			if (r->prop_count > 0)
				memcpy(n, r->props, r->prop_count * sizeof(*n));
			r->props = n;
			*cap = ncap;
		}
		r->props[r->prop_count++] =
		    (struct dav_ms_prop){.node = p, .status = status};
	}
}

/* Fills r from a DAV:response. Returns 0, or -1 to skip it. */
static int response_read(const struct dav_xml_node *node,
                         struct dav_ms_response *r, struct pool *pool)
{
	const struct dav_xml_node *href = dav_xml_child(node, DAV_NS, "href");
	if (href == NULL)
		return -1;
	r->href = dav_client_href_path(dav_xml_text_trim(href, pool), pool);
	if (r->href == NULL)
		return -1;
	const struct dav_xml_node *st = dav_xml_child(node, DAV_NS, "status");
	r->status =
	    st != NULL ? dav_ms_status_parse(dav_xml_text_trim(st, pool)) : 0;
	size_t cap = 0;
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next)
		if (dav_xml_is(c, DAV_NS, "propstat"))
			propstat_read(c, r, &cap, pool);
	return 0;
}

int dav_multistatus_parse(const unsigned char *data, size_t size,
                          size_t max_size, struct pool *pool,
                          struct dav_multistatus *ms_r, const char **error_r)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	set.max_size = max_size != 0 ? max_size : DAV_MS_DEFAULT_MAX_SIZE;
	set.max_elements = DAV_MS_MAX_ELEMENTS;
	struct dav_xml_node *root;
	*ms_r = (struct dav_multistatus){0};
	int ret = dav_xml_parse(data, size, &set, pool, &root, error_r);
	if (ret == 0)
		*error_r = "empty multistatus";
	if (ret <= 0)
		return -1;
	if (!dav_xml_is(root, DAV_NS, "multistatus")) {
		*error_r = "not a DAV:multistatus";
		return -1;
	}
	size_t n = count_children(root, DAV_NS, "response");
	ms_r->responses = pool_alloc(pool, (n + 1) * sizeof(*ms_r->responses));
	for (const struct dav_xml_node *c = root->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS, "response")) {
			struct dav_ms_response *r =
			    &ms_r->responses[ms_r->count];
			*r = (struct dav_ms_response){0};
			if (response_read(c, r, pool) == 0)
				ms_r->count++;
		} else if (dav_xml_is(c, DAV_NS, "sync-token")) {
			ms_r->sync_token = dav_xml_text_trim(c, pool);
		}
	}
	return 0;
}

const struct dav_xml_node *dav_ms_prop(const struct dav_ms_response *r,
                                       const char *ns, const char *name)
{
	for (size_t i = 0; i < r->prop_count; i++)
		if (r->props[i].status >= 200 && r->props[i].status < 300 &&
		    dav_xml_is(r->props[i].node, ns, name))
			return r->props[i].node;
	return NULL;
}

const char *dav_ms_prop_text(const struct dav_ms_response *r, const char *ns,
                             const char *name, struct pool *pool)
{
	const struct dav_xml_node *node = dav_ms_prop(r, ns, name);
	return node != NULL ? dav_xml_text_trim(node, pool) : NULL;
}

const char *dav_ms_prop_href(const struct dav_ms_response *r, const char *ns,
                             const char *name, struct pool *pool)
{
	const struct dav_xml_node *node = dav_ms_prop(r, ns, name);
	const struct dav_xml_node *href =
	    node != NULL ? dav_xml_child(node, DAV_NS, "href") : NULL;
	if (href == NULL)
		return NULL;
	return dav_client_href_path(dav_xml_text_trim(href, pool), pool);
}

/* Compares two paths, ignoring one trailing "/". */
static bool path_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 1 && a[la - 1] == '/')
		la--;
	if (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

const struct dav_ms_response *dav_ms_find(const struct dav_multistatus *ms,
                                          const char *path)
{
	for (size_t i = 0; i < ms->count; i++)
		if (path_eq(ms->responses[i].href, path))
			return &ms->responses[i];
	return NULL;
}

const char *dav_ms_error_name(const unsigned char *data, size_t size,
                              struct pool *pool)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root;
	const char *error;
	if (size == 0 ||
	    dav_xml_parse(data, size, &set, pool, &root, &error) <= 0 ||
	    !dav_xml_is(root, DAV_NS, "error"))
		return NULL;
	return root->children != NULL ? root->children->name : NULL;
}
