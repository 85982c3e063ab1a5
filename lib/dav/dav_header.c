/* Depth, Overwrite, Destination and If (RFC 4918 §10.2, §10.3, §10.4,
 * §10.6), and hrefs made into paths. See dav_header.h for the If subset. */
#include "dav/dav_header.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_cond.h"
#include "http/http_path.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dav_header_depth(const char *value, enum dav_depth def,
                     enum dav_depth *depth_r)
{
	if (value == NULL)
		*depth_r = def;
	else if (strcmp(value, "0") == 0)
		*depth_r = DAV_DEPTH_0;
	else if (strcmp(value, "1") == 0)
		*depth_r = DAV_DEPTH_1;
	else if (strcasecmp(value, "infinity") == 0)
		*depth_r = DAV_DEPTH_INFINITY;
	else
		return -1;
	return 0;
}

int dav_header_overwrite(const char *value, bool *overwrite_r)
{
	if (value == NULL || strcmp(value, "T") == 0)
		*overwrite_r = true;
	else if (strcmp(value, "F") == 0)
		*overwrite_r = false;
	else
		return -1;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one segment [s, s+len) onto out. Returns 0, or -1 for a bad
 * escape, an encoded "/", a NUL or a control character. */
static int segment_decode(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c == '/')
				return -1;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		buf_append_char(out, (char)c);
	}
	return 0;
}

/* Normalises an absolute path: segments decoded, "." and empty ones
 * dropped, ".." refused, trailing "/" kept. Returns 0 or -1. */
static int path_normalize(const char *path, struct pool *pool,
                          const char **path_r)
{
	if (path[0] != '/')
		return -1;
	struct buf out, seg;
	buf_init(&out);
	buf_init(&seg);
	int ret = 0;
	const char *p = path + 1;
	bool trailing = false;
	while (ret == 0 && *p != '\0') {
		size_t len = strcspn(p, "/");
		buf_truncate(&seg, 0);
		if (segment_decode(p, len, &seg) < 0 ||
		    strcmp(seg.data, "..") == 0)
			ret = -1;
		else if (seg.len > 0 && strcmp(seg.data, ".") != 0) {
			buf_append_char(&out, '/');
			buf_append(&out, seg.data, seg.len);
		}
		trailing = p[len] == '/';
		p += len + (p[len] == '/');
	}
	if (ret == 0 && (out.len == 0 || trailing))
		buf_append_char(&out, '/');
	if (ret == 0 &&
	    !http_path_is_utf8((const unsigned char *)out.data, out.len))
		ret = -1;
	if (ret == 0)
		*path_r = pool_strndup(pool, out.data, out.len);
	buf_deinit(&out);
	buf_deinit(&seg);
	return ret;
}

/* Splits "scheme://authority/path" (http or https) or "/path". Returns 0
 * with *authority_r (NULL for a path) and *path_r, or -1. */
static int ref_split(const char *ref, struct pool *pool,
                     const char **authority_r, const char **path_r)
{
	*authority_r = NULL;
	const char *rest = ref;
	if (strncasecmp(ref, "http://", 7) == 0 ||
	    strncasecmp(ref, "https://", 8) == 0) {
		const char *a = strstr(ref, "//") + 2;
		size_t alen = strcspn(a, "/?#");
		if (alen == 0 || memchr(a, '@', alen) != NULL)
			return -1;
		*authority_r = pool_strndup(pool, a, alen);
		rest = a + alen;
		if (*rest == '\0')
			rest = "/";
	}
	size_t plen = strcspn(rest, "?#");
	*path_r = pool_strndup(pool, rest, plen);
	return 0;
}

int dav_href_to_path(const char *href, struct pool *pool, const char **path_r)
{
	/* hrefs in bodies may carry surrounding whitespace */
	while (*href == ' ' || *href == '\t' || *href == '\r' || *href == '\n')
		href++;
	size_t len = strlen(href);
	while (len > 0 && strchr(" \t\r\n", href[len - 1]) != NULL)
		len--;
	const char *authority, *path;
	if (ref_split(pool_strndup(pool, href, len), pool, &authority, &path) <
	    0)
		return -1;
	return path_normalize(path, pool, path_r);
}

int dav_header_destination(const char *value, const char *host,
                           struct pool *pool, const char **path_r,
                           const char **error_r)
{
	const char *authority, *path;
	if (value == NULL || value[0] == '\0') {
		*error_r = "Destination missing";
		return -1;
	}
	if (ref_split(value, pool, &authority, &path) < 0 ||
	    path_normalize(path, pool, path_r) < 0) {
		*error_r = "Destination is not a usable URI";
		return -1;
	}
	if (authority != NULL && host != NULL &&
	    strcasecmp(authority, host) != 0)
		return 1;
	return 0;
}

static const char *skip_lws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Condition = ["Not"] (State-token | "[" entity-tag "]"). Returns the
 * position after it, or NULL. */
static const char *if_condition(const char *p, struct pool *pool,
                                struct dav_if_condition *cond)
{
	cond->is_not = false;
	if (strncasecmp(p, "Not", 3) == 0) {
		cond->is_not = true;
		p = skip_lws(p + 3);
	}
	if (*p == '<') {
		const char *end = strchr(p, '>');
		if (end == NULL || end == p + 1)
			return NULL;
		cond->is_etag = false;
		cond->value = pool_strndup(pool, p + 1, (size_t)(end - p - 1));
		return end + 1;
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (end == NULL ||
		    !http_etag_is_valid(p + 1, (size_t)(end - p - 1)))
			return NULL;
		cond->is_etag = true;
		cond->value = pool_strndup(pool, p + 1, (size_t)(end - p - 1));
		return end + 1;
	}
	return NULL;
}

/* List = "(" 1*Condition ")". Returns the position after it, or NULL. */
static const char *if_list(const char *p, struct pool *pool,
                           struct dav_if_list *list)
{
	struct dav_if_condition conds[16];
	size_t count = 0;
	p = skip_lws(p + 1);
	while (*p != ')') {
		if (count == sizeof(conds) / sizeof(*conds))
			return NULL;
		p = if_condition(p, pool, &conds[count++]);
		if (p == NULL)
			return NULL;
		p = skip_lws(p);
	}
	if (count == 0)
		return NULL;
	list->conds = pool_alloc(pool, count * sizeof(*conds));
	memcpy(list->conds, conds, count * sizeof(*conds));
	list->count = count;
	return p + 1;
}

int dav_header_if_parse(const char *value, struct pool *pool,
                        struct dav_if *if_r)
{
	struct dav_if_list lists[16];
	size_t count = 0;
	const char *resource = NULL;
	bool tagged = false;
	const char *p = skip_lws(value);
	while (*p != '\0') {
		if (*p == '<') {
			const char *end = strchr(p, '>');
			if (end == NULL || (count == 0 ? false : !tagged))
				return -1;
			tagged = true;
			const char *ref =
			    pool_strndup(pool, p + 1, (size_t)(end - p - 1));
			if (dav_href_to_path(ref, pool, &resource) < 0)
				return -1;
			p = skip_lws(end + 1);
			if (*p != '(')
				return -1;
			continue;
		}
		if (*p != '(' || count == sizeof(lists) / sizeof(*lists) ||
		    (tagged && resource == NULL))
			return -1;
		lists[count].resource = resource;
		p = if_list(p, pool, &lists[count]);
		if (p == NULL)
			return -1;
		count++;
		p = skip_lws(p);
	}
	if (count == 0)
		return -1;
	if_r->lists = pool_alloc(pool, count * sizeof(*lists));
	memcpy(if_r->lists, lists, count * sizeof(*lists));
	if_r->count = count;
	return 0;
}

static bool paths_equal(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b);
	if (alen > 1 && a[alen - 1] == '/')
		alen--;
	if (blen > 1 && b[blen - 1] == '/')
		blen--;
	return alen == blen && memcmp(a, b, alen) == 0;
}

static bool if_condition_holds(const struct dav_if_condition *c,
                               const char *etag)
{
	bool match = false;
	if (c->is_etag && etag != NULL)
		match = http_etag_match(c->value, strlen(c->value), etag,
		                        strlen(etag), true);
	/* no locks: a state token never matches */
	return c->is_not ? !match : match;
}

bool dav_header_if_holds(const struct dav_if *hdr, const char *path,
                         const char *etag)
{
	for (size_t i = 0; i < hdr->count; i++) {
		const struct dav_if_list *l = &hdr->lists[i];
		if (l->resource != NULL && !paths_equal(l->resource, path))
			continue;
		bool holds = true;
		for (size_t j = 0; j < l->count && holds; j++)
			holds = if_condition_holds(&l->conds[j], etag);
		if (holds)
			return true;
	}
	return false;
}
