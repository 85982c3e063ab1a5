/* The requests a CalDAV/CardDAV client makes, as small functions over
 * dav_client: each writes its XML body by hand (names in the DAV:, CalDAV
 * and CardDAV namespaces with fixed prefixes), sends it, and reads the
 * multistatus back with dav_multistatus. Redirects are followed on the
 * same server only, and only while looking for the principal. */
#include "dav/dav_remote.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_client.h"
#include "dav/dav_multistatus.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REMOTE_REDIRECTS_MAX 5
#define REMOTE_MULTIGET_BATCH 100
#define REMOTE_SYNC_ROUNDS_MAX 1000 /* truncated answers followed */

#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
#define XMLNS_ALL                                                              \
	" xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\""          \
	" xmlns:CR=\"urn:ietf:params:xml:ns:carddav\""                         \
	" xmlns:CS=\"http://calendarserver.org/ns/\""                          \
	" xmlns:A=\"http://apple.com/ns/ical/\""

const char *dav_remote_status_error(unsigned status, const unsigned char *body,
                                    size_t size, struct pool *pool)
{
	const char *name = dav_ms_error_name(body, size, pool);
	if (status == 401)
		return "wrong user name or password (HTTP 401)";
	if (name != NULL)
		return pool_printf(pool, "HTTP %u (%s)", status, name);
	return pool_printf(pool, "HTTP %u", status);
}

/* Sends one request with an XML body. Returns 0 with *resp_r, or -1. */
static int xml_request(struct dav_client *client, const char *method,
                       const char *path, const char *depth,
                       const struct buf *body, struct pool *pool,
                       struct dav_response *resp_r, const char **error_r)
{
	struct dav_request req = {
	    .method = method,
	    .path = path,
	    .depth = depth,
	    .content_type =
	        body != NULL ? "application/xml; charset=utf-8" : NULL,
	    .body = body != NULL ? body->data : NULL,
	    .body_size = body != NULL ? body->len : 0,
	};
	return dav_client_request(client, &req, pool, resp_r, error_r);
}

/* Sends a request that must answer 207 and parses the multistatus.
 * Returns 0, or -1 with *error_r (*status_r says what came back, 0 when
 * nothing did). */
static int ms_request(struct dav_client *client, const char *method,
                      const char *path, const char *depth,
                      const struct buf *body, struct pool *pool,
                      struct dav_multistatus *ms_r, unsigned *status_r,
                      const char **error_r)
{
	struct dav_response resp;
	*status_r = 0;
	if (xml_request(client, method, path, depth, body, pool, &resp,
	                error_r) < 0)
		return -1;
	*status_r = resp.status;
	if (resp.status != 207) {
		*error_r =
		    pool_printf(pool, "%s %s: %s", method, path,
		                dav_remote_status_error(resp.status, resp.body,
		                                        resp.body_size, pool));
		return -1;
	}
	if (dav_multistatus_parse(resp.body, resp.body_size, 0, pool, ms_r,
	                          error_r) < 0) {
		*error_r =
		    pool_printf(pool, "%s %s: %s", method, path, *error_r);
		return -1;
	}
	return 0;
}

static void propfind_body(struct buf *body, const char *props)
{
	buf_printf(body,
	           XML_DECL "<D:propfind" XMLNS_ALL "><D:prop>%s"
	                    "</D:prop></D:propfind>",
	           props);
}

/* ---- Principal and home sets ------------------------------------------ */

/* The path a redirect names, when it stays on this server. Returns 0
 * with *path updated, or -1 with *error_r. */
static int redirect_path(struct dav_client *client,
                         const struct dav_response *resp, const char **path,
                         struct pool *pool, const char **error_r)
{
	struct dav_url url;
	const char *loc = resp->location;
	if (loc[0] == '/')
		loc = dav_client_href_path(loc, pool);
	else if (dav_url_parse(loc, pool, &url, error_r) == 0 &&
	         dav_client_is_origin(client, &url))
		loc = url.path;
	else
		loc = NULL;
	if (loc == NULL) {
		*error_r =
		    pool_printf(pool, "%s redirects to another server (%s)",
		                *path, resp->location);
		return -1;
	}
	*path = loc;
	return 0;
}

/* PROPFIND Depth 0 at *path, following redirects on this server into
 * *path. Returns 0 with the response for it, or -1. */
static int propfind_follow(struct dav_client *client, const char **path,
                           const char *props, struct pool *pool,
                           const struct dav_ms_response **r_r,
                           const char **error_r)
{
	struct buf body;
	buf_init(&body);
	propfind_body(&body, props);
	int ret = -1;
	for (unsigned n = 0; n <= REMOTE_REDIRECTS_MAX; n++) {
		struct dav_response resp;
		if (xml_request(client, "PROPFIND", *path, "0", &body, pool,
		                &resp, error_r) < 0)
			break;
		if ((resp.status == 301 || resp.status == 302 ||
		     resp.status == 303 || resp.status == 307 ||
		     resp.status == 308) &&
		    resp.location != NULL) {
			if (redirect_path(client, &resp, path, pool, error_r) <
			    0)
				break;
			continue;
		}
		struct dav_multistatus ms;
		if (resp.status != 207) {
			*error_r = pool_printf(
			    pool, "PROPFIND %s: %s", *path,
			    dav_remote_status_error(resp.status, resp.body,
			                            resp.body_size, pool));
			break;
		}
		if (dav_multistatus_parse(resp.body, resp.body_size, 0, pool,
		                          &ms, error_r) < 0)
			break;
		*r_r = dav_ms_find(&ms, *path);
		if (*r_r == NULL && ms.count > 0)
			*r_r = &ms.responses[0];
		if (*r_r == NULL) {
			*error_r = pool_printf(pool,
			                       "PROPFIND %s: no answer "
			                       "for it",
			                       *path);
			break;
		}
		ret = 0;
		break;
	}
	if (ret < 0 && *error_r == NULL)
		*error_r = "too many redirects";
	buf_deinit(&body);
	return ret;
}

int dav_remote_find_home(struct dav_client *client, const char *start,
                         enum dav_remote_kind kind, struct pool *pool,
                         struct dav_remote_home *home_r, const char **error_r)
{
	*home_r = (struct dav_remote_home){0};
	const char *path = start;
	const struct dav_ms_response *r;
	*error_r = NULL;
	if (propfind_follow(client, &path, "<D:current-user-principal/>", pool,
	                    &r, error_r) < 0)
		return -1;
	const char *principal =
	    dav_ms_prop_href(r, DAV_NS, "current-user-principal", pool);
	home_r->principal = principal != NULL ? principal : path;
	const char *home_prop = kind == DAV_REMOTE_CALENDAR
	                            ? "calendar-home-set"
	                            : "addressbook-home-set";
	const char *ns =
	    kind == DAV_REMOTE_CALENDAR ? DAV_NS_CALDAV : DAV_NS_CARDDAV;
	path = home_r->principal;
	*error_r = NULL;
	if (propfind_follow(client, &path,
	                    kind == DAV_REMOTE_CALENDAR
	                        ? "<C:calendar-home-set/>"
	                          "<C:schedule-outbox-URL/>"
	                        : "<CR:addressbook-home-set/>",
	                    pool, &r, error_r) < 0)
		return -1;
	home_r->home = dav_ms_prop_href(r, ns, home_prop, pool);
	if (home_r->home == NULL)
		home_r->home = path;
	home_r->outbox =
	    dav_ms_prop_href(r, DAV_NS_CALDAV, "schedule-outbox-URL", pool);
	/* RFC 6638 §2: the server schedules when it says so in DAV */
	struct dav_request req = {.method = "OPTIONS", .path = home_r->home};
	struct dav_response resp;
	if (kind == DAV_REMOTE_CALENDAR &&
	    dav_client_request(client, &req, pool, &resp, error_r) == 0) {
		const char *dav = http_headers_join(&resp.headers, pool, "DAV");
		home_r->is_auto_schedule =
		    dav != NULL &&
		    strstr(dav, "calendar-auto-schedule") != NULL;
	}
	return 0;
}

/* ---- Collections ----------------------------------------------------------
 */

static bool has_child(const struct dav_xml_node *node, const char *ns,
                      const char *name)
{
	return node != NULL && dav_xml_child(node, ns, name) != NULL;
}

/* RFC 3744 §5.4: the privileges the user has. Writable unless the server
 * lists them without any that allows writing members. */
static bool is_read_only(const struct dav_ms_response *r)
{
	const struct dav_xml_node *set =
	    dav_ms_prop(r, DAV_NS, "current-user-privilege-set");
	if (set == NULL)
		return false;
	for (const struct dav_xml_node *p = set->children; p != NULL;
	     p = p->next)
		if (dav_xml_is(p, DAV_NS, "privilege") &&
		    (has_child(p, DAV_NS, "all") ||
		     has_child(p, DAV_NS, "write") ||
		     has_child(p, DAV_NS, "write-content") ||
		     has_child(p, DAV_NS, "bind")))
			return false;
	return true;
}

/* RFC 4791 §5.2.3; every kind when the property is missing. */
static unsigned components_of(const struct dav_ms_response *r)
{
	const struct dav_xml_node *set =
	    dav_ms_prop(r, DAV_NS_CALDAV, "supported-calendar-component-set");
	if (set == NULL)
		return ICAL_KIND_VEVENT | ICAL_KIND_VTODO | ICAL_KIND_VJOURNAL;
	unsigned bits = 0;
	for (const struct dav_xml_node *c = set->children; c != NULL;
	     c = c->next) {
		const char *name = dav_xml_attr(c, "name");
		if (!dav_xml_is(c, DAV_NS_CALDAV, "comp") || name == NULL)
			continue;
		if (strcasecmp(name, "VEVENT") == 0)
			bits |= ICAL_KIND_VEVENT;
		else if (strcasecmp(name, "VTODO") == 0)
			bits |= ICAL_KIND_VTODO;
		else if (strcasecmp(name, "VJOURNAL") == 0)
			bits |= ICAL_KIND_VJOURNAL;
	}
	return bits;
}

/* RFC 3253 §3.1.5 supported-report-set: true unless the server lists its
 * reports without sync-collection. */
static bool has_sync(const struct dav_ms_response *r)
{
	const struct dav_xml_node *set =
	    dav_ms_prop(r, DAV_NS, "supported-report-set");
	if (set == NULL)
		return true;
	for (const struct dav_xml_node *s = set->children; s != NULL;
	     s = s->next) {
		const struct dav_xml_node *rep =
		    dav_xml_child(s, DAV_NS, "report");
		if (has_child(rep, DAV_NS, "sync-collection"))
			return true;
	}
	return false;
}

static void collection_fill(const struct dav_ms_response *r,
                            enum dav_remote_kind kind, struct pool *pool,
                            struct dav_remote_collection *c)
{
	size_t len = strlen(r->href);
	c->path = r->href[len - 1] == '/' ? r->href
	                                  : pool_printf(pool, "%s/", r->href);
	const char *name = dav_ms_prop_text(r, DAV_NS, "displayname", pool);
	c->displayname = name != NULL ? name : "";
	const char *color =
	    dav_ms_prop_text(r, DAV_NS_APPLE, "calendar-color", pool);
	c->color = color != NULL ? color : "";
	c->ctag = dav_ms_prop_text(r, DAV_NS_CS, "getctag", pool);
	c->sync_token = dav_ms_prop_text(r, DAV_NS, "sync-token", pool);
	c->components = kind == DAV_REMOTE_CALENDAR ? components_of(r) : 0;
	c->is_read_only = is_read_only(r);
	c->has_sync = has_sync(r);
	/* RFC 3744 §5.1: a principal's href */
	const char *owner = dav_ms_prop_href(r, DAV_NS, "owner", pool);
	c->owner = owner != NULL ? owner : "";
}

int dav_remote_collections(struct dav_client *client, const char *home,
                           enum dav_remote_kind kind, struct pool *pool,
                           struct dav_remote_collection **colls_r,
                           size_t *count_r, const char **error_r)
{
	struct buf body;
	buf_init(&body);
	propfind_body(&body, "<D:resourcetype/><D:displayname/><CS:getctag/>"
	                     "<D:sync-token/><D:current-user-privilege-set/>"
	                     "<D:supported-report-set/><A:calendar-color/>"
	                     "<C:supported-calendar-component-set/><D:owner/>");
	struct dav_multistatus ms;
	unsigned status;
	int ret = ms_request(client, "PROPFIND", home, "1", &body, pool, &ms,
	                     &status, error_r);
	buf_deinit(&body);
	if (ret < 0)
		return -1;
	struct dav_remote_collection *colls =
	    pool_alloc(pool, (ms.count + 1) * sizeof(*colls));
	size_t n = 0;
	for (size_t i = 0; i < ms.count; i++) {
		const struct dav_ms_response *r = &ms.responses[i];
		const struct dav_xml_node *type =
		    dav_ms_prop(r, DAV_NS, "resourcetype");
		bool is_match =
		    kind == DAV_REMOTE_CALENDAR
		        ? has_child(type, DAV_NS_CALDAV, "calendar")
		        : has_child(type, DAV_NS_CARDDAV, "addressbook");
		if (!is_match)
			continue;
		collection_fill(r, kind, pool, &colls[n++]);
	}
	*colls_r = colls;
	*count_r = n;
	return 0;
}

/* ---- Members ------------------------------------------------------------ */

/* Is path a member of collection (not the collection itself)? */
static bool is_member(const char *collection, const char *path)
{
	size_t len = strlen(collection);
	if (len > 0 && collection[len - 1] == '/')
		len--;
	return strncmp(collection, path, len) == 0 && path[len] == '/' &&
	       path[len + 1] != '\0';
}

int dav_remote_members(struct dav_client *client, const char *collection,
                       struct pool *pool, struct dav_remote_member **members_r,
                       size_t *count_r, const char **error_r)
{
	struct buf body;
	buf_init(&body);
	propfind_body(&body, "<D:getetag/><D:resourcetype/>");
	struct dav_multistatus ms;
	unsigned status;
	int ret = ms_request(client, "PROPFIND", collection, "1", &body, pool,
	                     &ms, &status, error_r);
	buf_deinit(&body);
	if (ret < 0)
		return -1;
	struct dav_remote_member *m =
	    pool_alloc(pool, (ms.count + 1) * sizeof(*m));
	size_t n = 0;
	for (size_t i = 0; i < ms.count; i++) {
		const struct dav_ms_response *r = &ms.responses[i];
		if (!is_member(collection, r->href) ||
		    has_child(dav_ms_prop(r, DAV_NS, "resourcetype"), DAV_NS,
		              "collection"))
			continue;
		m[n++] = (struct dav_remote_member){
		    .path = r->href,
		    .etag = dav_ms_prop_text(r, DAV_NS, "getetag", pool),
		};
	}
	*members_r = m;
	*count_r = n;
	return 0;
}

/* Appends the sync answer's members to *list (grown from pool). Returns
 * true when the answer was truncated (RFC 6578 §3.6: a 507 for the
 * collection itself). */
static bool sync_collect(const struct dav_multistatus *ms,
                         const char *collection, struct pool *pool,
                         struct dav_remote_member **list, size_t *count,
                         size_t *cap)
{
	bool is_truncated = false;
	for (size_t i = 0; i < ms->count; i++) {
		const struct dav_ms_response *r = &ms->responses[i];
		if (!is_member(collection, r->href)) {
			if (r->status == 507)
				is_truncated = true;
			continue;
		}
		if (*count == *cap) {
			size_t ncap = *cap == 0 ? 64 : *cap * 2;
			struct dav_remote_member *n =
			    pool_alloc(pool, ncap * sizeof(*n));
			if (*count > 0)
				memcpy(n, *list, *count * sizeof(*n));
			*list = n;
			*cap = ncap;
		}
		(*list)[(*count)++] = (struct dav_remote_member){
		    .path = r->href,
		    .etag = dav_ms_prop_text(r, DAV_NS, "getetag", pool),
		    .is_gone = r->status == 404,
		};
	}
	return is_truncated;
}

int dav_remote_sync(struct dav_client *client, const char *collection,
                    const char *token, struct pool *pool,
                    struct dav_remote_member **members_r, size_t *count_r,
                    const char **token_r, const char **error_r)
{
	struct dav_remote_member *list = NULL;
	size_t count = 0, cap = 0;
	for (unsigned round = 0; round < REMOTE_SYNC_ROUNDS_MAX; round++) {
		struct buf body;
		buf_init(&body);
		buf_append_str(&body, XML_DECL "<D:sync-collection" XMLNS_ALL
		                               "><D:sync-token>");
		dav_xml_escape(token, strlen(token), &body);
		buf_append_str(&body, "</D:sync-token><D:sync-level>1"
		                      "</D:sync-level><D:prop><D:getetag/>"
		                      "</D:prop></D:sync-collection>");
		struct dav_response resp;
		int ret = xml_request(client, "REPORT", collection, "0", &body,
		                      pool, &resp, error_r);
		buf_deinit(&body);
		if (ret < 0)
			return -1;
		const char *err =
		    dav_ms_error_name(resp.body, resp.body_size, pool);
		if ((resp.status == 403 || resp.status == 409) && err != NULL &&
		    strcmp(err, "valid-sync-token") == 0)
			return 0;
		struct dav_multistatus ms;
		if (resp.status != 207) {
			*error_r = pool_printf(
			    pool, "sync-collection %s: %s", collection,
			    dav_remote_status_error(resp.status, resp.body,
			                            resp.body_size, pool));
			return -1;
		}
		if (dav_multistatus_parse(resp.body, resp.body_size, 0, pool,
		                          &ms, error_r) < 0)
			return -1;
		if (ms.sync_token == NULL) {
			*error_r = "sync-collection answer without a token";
			return -1;
		}
		bool is_truncated =
		    sync_collect(&ms, collection, pool, &list, &count, &cap);
		token = ms.sync_token;
		if (!is_truncated) {
			*members_r = list;
			*count_r = count;
			*token_r = token;
			return 1;
		}
	}
	*error_r = "sync-collection never ends";
	return -1;
}

/* One multiget request for paths[0..count); appends what came back. */
static int multiget_batch(struct dav_client *client, const char *collection,
                          enum dav_remote_kind kind, const char *const *paths,
                          size_t count, struct pool *pool,
                          struct dav_remote_member *out, size_t *n,
                          const char **error_r)
{
	bool is_cal = kind == DAV_REMOTE_CALENDAR;
	struct buf body, href;
	buf_init(&body);
	buf_init(&href);
	buf_printf(&body,
	           XML_DECL "<%s" XMLNS_ALL "><D:prop><D:getetag/>%s"
	                    "</D:prop>",
	           is_cal ? "C:calendar-multiget" : "CR:addressbook-multiget",
	           is_cal ? "<C:calendar-data/>" : "<CR:address-data/>");
	for (size_t i = 0; i < count; i++) {
		buf_truncate(&href, 0);
		dav_client_path_encode(paths[i], &href);
		buf_append_str(&body, "<D:href>");
		dav_xml_escape(href.data, href.len, &body);
		buf_append_str(&body, "</D:href>");
	}
	buf_printf(&body, "</%s>",
	           is_cal ? "C:calendar-multiget" : "CR:addressbook-multiget");
	struct dav_multistatus ms;
	unsigned status;
	int ret = ms_request(client, "REPORT", collection, "1", &body, pool,
	                     &ms, &status, error_r);
	buf_deinit(&body);
	buf_deinit(&href);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const struct dav_ms_response *r = dav_ms_find(&ms, paths[i]);
		struct dav_remote_member *m = &out[(*n)++];
		*m = (struct dav_remote_member){.path = paths[i],
		                                .is_gone = true};
		const struct dav_xml_node *data =
		    r == NULL ? NULL
		              : dav_ms_prop(
		                    r, is_cal ? DAV_NS_CALDAV : DAV_NS_CARDDAV,
		                    is_cal ? "calendar-data" : "address-data");
		if (data == NULL)
			continue;
		m->is_gone = false;
		m->etag = dav_ms_prop_text(r, DAV_NS, "getetag", pool);
		m->data = (const unsigned char *)data->text;
		m->size = data->text_len;
	}
	return 0;
}

int dav_remote_multiget(struct dav_client *client, const char *collection,
                        enum dav_remote_kind kind, const char *const *paths,
                        size_t count, struct pool *pool,
                        struct dav_remote_member **members_r, size_t *count_r,
                        const char **error_r)
{
	struct dav_remote_member *out =
	    pool_alloc(pool, (count + 1) * sizeof(*out));
	size_t n = 0;
	for (size_t i = 0; i < count; i += REMOTE_MULTIGET_BATCH) {
		size_t batch = count - i < REMOTE_MULTIGET_BATCH
		                   ? count - i
		                   : REMOTE_MULTIGET_BATCH;
		if (multiget_batch(client, collection, kind, paths + i, batch,
		                   pool, out, &n, error_r) < 0)
			return -1;
	}
	*members_r = out;
	*count_r = n;
	return 0;
}

int dav_remote_make(struct dav_client *client, const char *path,
                    enum dav_remote_kind kind, const char *displayname,
                    unsigned components, struct pool *pool,
                    const char **error_r)
{
	bool is_cal = kind == DAV_REMOTE_CALENDAR;
	struct buf body;
	buf_init(&body);
	buf_printf(&body, XML_DECL "<%s" XMLNS_ALL "><D:set><D:prop>",
	           is_cal ? "C:mkcalendar" : "D:mkcol");
	if (!is_cal)
		buf_append_str(&body, "<D:resourcetype><D:collection/>"
		                      "<CR:addressbook/></D:resourcetype>");
	buf_append_str(&body, "<D:displayname>");
	dav_xml_escape(displayname, strlen(displayname), &body);
	buf_append_str(&body, "</D:displayname>");
	if (is_cal && components != 0) {
		buf_append_str(&body, "<C:supported-calendar-component-set>");
		static const struct {
			unsigned bit;
			const char *name;
		} comps[] = {{ICAL_KIND_VEVENT, "VEVENT"},
		             {ICAL_KIND_VTODO, "VTODO"},
		             {ICAL_KIND_VJOURNAL, "VJOURNAL"}};
		for (size_t i = 0; i < 3; i++)
			if ((components & comps[i].bit) != 0)
				buf_printf(&body, "<C:comp name=\"%s\"/>",
				           comps[i].name);
		buf_append_str(&body, "</C:supported-calendar-component-set>");
	}
	buf_printf(&body, "</D:prop></D:set></%s>",
	           is_cal ? "C:mkcalendar" : "D:mkcol");
	struct dav_response resp;
	int ret = xml_request(client, is_cal ? "MKCALENDAR" : "MKCOL", path,
	                      NULL, &body, pool, &resp, error_r);
	buf_deinit(&body);
	if (ret < 0)
		return -1;
	if (resp.status != 201) {
		*error_r = pool_printf(
		    pool, "%s %s: %s", is_cal ? "MKCALENDAR" : "MKCOL", path,
		    dav_remote_status_error(resp.status, resp.body,
		                            resp.body_size, pool));
		return -1;
	}
	return 0;
}

/* ---- Busy time ------------------------------------------------------------
 */

static void time_range(struct buf *body, int64_t start, int64_t end)
{
	char s[17], e[17];
	ical_time_format_utc(start, s);
	ical_time_format_utc(end, e);
	buf_printf(body, "<C:time-range start=\"%s\" end=\"%s\"/>", s, e);
}

int dav_remote_freebusy(struct dav_client *client, const char *collection,
                        int64_t start, int64_t end, struct pool *pool,
                        const char **text_r, const char **error_r)
{
	struct buf body;
	buf_init(&body);
	buf_append_str(&body, XML_DECL "<C:free-busy-query" XMLNS_ALL ">");
	time_range(&body, start, end);
	buf_append_str(&body, "</C:free-busy-query>");
	struct dav_response resp;
	int ret = xml_request(client, "REPORT", collection, "1", &body, pool,
	                      &resp, error_r);
	buf_deinit(&body);
	if (ret < 0)
		return -1;
	const char *type = http_headers_get(&resp.headers, "Content-Type");
	if (resp.status != 200 || type == NULL ||
	    strncasecmp(type, "text/calendar", 13) != 0)
		return 0;
	*text_r = (const char *)resp.body;
	return 1;
}

int dav_remote_events(struct dav_client *client, const char *collection,
                      int64_t start, int64_t end, struct pool *pool,
                      struct dav_remote_member **members_r, size_t *count_r,
                      const char **error_r)
{
	struct buf body;
	buf_init(&body);
	buf_append_str(&body, XML_DECL "<C:calendar-query" XMLNS_ALL
	                               "><D:prop><D:getetag/><C:calendar-data/>"
	                               "</D:prop><C:filter><C:comp-filter "
	                               "name=\"VCALENDAR\"><C:comp-filter "
	                               "name=\"VEVENT\">");
	time_range(&body, start, end);
	buf_append_str(&body, "</C:comp-filter></C:comp-filter></C:filter>"
	                      "</C:calendar-query>");
	struct dav_multistatus ms;
	unsigned status;
	int ret = ms_request(client, "REPORT", collection, "1", &body, pool,
	                     &ms, &status, error_r);
	buf_deinit(&body);
	if (ret < 0)
		return -1;
	struct dav_remote_member *m =
	    pool_alloc(pool, (ms.count + 1) * sizeof(*m));
	size_t n = 0;
	for (size_t i = 0; i < ms.count; i++) {
		const struct dav_xml_node *data = dav_ms_prop(
		    &ms.responses[i], DAV_NS_CALDAV, "calendar-data");
		if (data == NULL)
			continue;
		m[n++] = (struct dav_remote_member){
		    .path = ms.responses[i].href,
		    .data = (const unsigned char *)data->text,
		    .size = data->text_len,
		};
	}
	*members_r = m;
	*count_r = n;
	return 0;
}

int dav_remote_outbox_freebusy(struct dav_client *client, const char *outbox,
                               const char *text, struct pool *pool,
                               const char **text_r, const char **error_r)
{
	struct dav_request req = {
	    .method = "POST",
	    .path = outbox,
	    .content_type = "text/calendar; charset=utf-8; method=REQUEST",
	    .body = text,
	    .body_size = strlen(text),
	};
	struct dav_response resp;
	if (dav_client_request(client, &req, pool, &resp, error_r) < 0)
		return -1;
	if (resp.status == 403 || resp.status == 405 || resp.status == 501) {
		/* an outbox for discovery only (RFC 6638 §5 is optional) */
		*error_r =
		    pool_printf(pool, "POST %s: %u", outbox, resp.status);
		return 0;
	}
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	struct dav_xml_node *root;
	if (resp.status != 200 ||
	    dav_xml_parse(resp.body, resp.body_size, &set, pool, &root,
	                  error_r) <= 0 ||
	    !dav_xml_is(root, DAV_NS_CALDAV, "schedule-response")) {
		*error_r =
		    pool_printf(pool, "POST %s: %s", outbox,
		                dav_remote_status_error(resp.status, resp.body,
		                                        resp.body_size, pool));
		return -1;
	}
	*error_r = "no answer for the attendee";
	/* RFC 6638 §10.2: one CALDAV:response per recipient */
	for (const struct dav_xml_node *r = root->children; r != NULL;
	     r = r->next) {
		const struct dav_xml_node *data =
		    dav_xml_child(r, DAV_NS_CALDAV, "calendar-data");
		const struct dav_xml_node *st =
		    dav_xml_child(r, DAV_NS_CALDAV, "request-status");
		if (data != NULL && data->text_len > 0) {
			*text_r = data->text;
			return 1;
		}
		if (st != NULL)
			*error_r = dav_xml_text_trim(st, pool);
	}
	return 0;
}
