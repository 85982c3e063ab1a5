/* Routes in an array searched linearly for the longest matching prefix:
 * a server has tens of routes, and a request's path is short. */
#include "http/http_router.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct http_router_entry {
	struct http_route route;
	size_t prefix_len; /* without a trailing "/" (0 for "/") */
};

struct http_router {
	struct http_router_entry *entries;
	unsigned count;
};

struct http_router *http_router_new(void)
{
	return xcalloc(1, sizeof(struct http_router));
}

void http_router_free(struct http_router **routerp)
{
	struct http_router *router = *routerp;
	if (router == NULL)
		return;
	*routerp = NULL;
	free(router->entries);
	free(router);
}

void http_router_add(struct http_router *router, const struct http_route *route)
{
	ASSERT(route->prefix != NULL && route->prefix[0] == '/');
	ASSERT(route->handler != NULL);
	router->entries = xrealloc(
	    router->entries, (router->count + 1) * sizeof(*router->entries));
	struct http_router_entry *e = &router->entries[router->count++];
	e->route = *route;
	e->prefix_len = strlen(route->prefix);
	while (e->prefix_len > 0 && route->prefix[e->prefix_len - 1] == '/')
		e->prefix_len--;
}

static bool http_router_entry_matches(const struct http_router_entry *e,
                                      const char *path, size_t len)
{
	if (len < e->prefix_len ||
	    memcmp(path, e->route.prefix, e->prefix_len) != 0)
		return false;
	const char *rest = path + e->prefix_len;
	if ((e->route.flags & HTTP_ROUTE_EXACT) != 0)
		return *rest == '\0' || (rest[0] == '/' && rest[1] == '\0');
	return *rest == '\0' || *rest == '/';
}

const struct http_route *http_router_match(const struct http_router *router,
                                           const char *path)
{
	const struct http_router_entry *best = NULL;
	size_t len = strlen(path);
	for (unsigned i = 0; i < router->count; i++) {
		const struct http_router_entry *e = &router->entries[i];
		if (http_router_entry_matches(e, path, len) &&
		    (best == NULL || e->prefix_len > best->prefix_len))
			best = e;
	}
	return best != NULL ? &best->route : NULL;
}

uint32_t http_route_methods(const struct http_route *route)
{
	uint32_t set = route->methods;
	if ((set & HTTP_METHOD_BIT(HTTP_METHOD_GET)) != 0)
		set |= HTTP_METHOD_BIT(HTTP_METHOD_HEAD);
	return set;
}

uint32_t http_router_methods(const struct http_router *router)
{
	uint32_t set = 0;
	for (unsigned i = 0; i < router->count; i++)
		set |= http_route_methods(&router->entries[i].route);
	return set;
}
