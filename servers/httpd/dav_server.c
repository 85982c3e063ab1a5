/* The /dav/ route (dav_server.h): the path to a target, the owner's
 * account opened, the access check (store_dav_access, and only the owner
 * on a home or principal), OPTIONS with the compliance classes (RFC 4918
 * §10.1, RFC 4791 §5.1, RFC 6638 §2, RFC 6352 §6.1, RFC 5689 §3),
 * dispatch by method, and the helpers the handlers share: error bodies
 * with preconditions, multistatus answers, bodies read into memory.
 * Another account's home and principal answer 403; its collections and
 * members answer 404, as if absent, so a guessed href learns nothing. */
#include "dav_server.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *kind_segment(enum store_dav_kind kind)
{
	return kind == STORE_DAV_CALENDAR ? "calendars" : "addressbooks";
}

const char *dav_path_principal(struct pool *pool, const char *user)
{
	return pool_printf(pool, "/dav/principals/%s/", user);
}

const char *dav_path_home(struct pool *pool, enum store_dav_kind kind,
                          const char *user)
{
	return pool_printf(pool, "/dav/%s/%s/", kind_segment(kind), user);
}

const char *dav_path_collection(struct pool *pool, enum store_dav_kind kind,
                                const char *owner, const char *name)
{
	return pool_printf(pool, "/dav/%s/%s/%s/", kind_segment(kind), owner,
	                   name);
}

const char *dav_path_object(struct pool *pool, enum store_dav_kind kind,
                            const char *owner, const char *coll,
                            const char *name)
{
	return pool_printf(pool, "/dav/%s/%s/%s/%s", kind_segment(kind), owner,
	                   coll, name);
}

static char *lowercase(struct pool *pool, const char *str)
{
	char *s = pool_strdup(pool, str);
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int dav_target_parse(const char *path, struct pool *pool, struct dav_target *t)
{
	const char *seg[5];
	size_t count = 0;
	memset(t, 0, sizeof(*t));
	if (strncmp(path, "/dav", 4) != 0 ||
	    (path[4] != '/' && path[4] != '\0'))
		return -1;
	const char *p = path + 4;
	while (*p == '/')
		p++;
	while (*p != '\0') {
		size_t len = strcspn(p, "/");
		if (count == 5)
			return -1;
		seg[count++] = pool_strndup(pool, p, len);
		p += len;
		while (*p == '/')
			p++;
	}
	if (count == 0) {
		t->kind = DAV_TARGET_ROOT;
		t->path = "/dav/";
		return 0;
	}
	if (strcmp(seg[0], "principals") == 0) {
		if (count > 2)
			return -1;
		t->kind =
		    count == 1 ? DAV_TARGET_PRINCIPALS : DAV_TARGET_PRINCIPAL;
		t->owner = count == 2 ? lowercase(pool, seg[1]) : NULL;
		t->path = count == 1 ? "/dav/principals/"
		                     : dav_path_principal(pool, t->owner);
		return 0;
	}
	if (strcmp(seg[0], "calendars") == 0)
		t->store_kind = STORE_DAV_CALENDAR;
	else if (strcmp(seg[0], "addressbooks") == 0)
		t->store_kind = STORE_DAV_ADDRESSBOOK;
	else
		return -1;
	static const enum dav_target_kind kinds[] = {
	    DAV_TARGET_HOMES, DAV_TARGET_HOME, DAV_TARGET_COLLECTION,
	    DAV_TARGET_OBJECT};
	if (count > 4)
		return -1;
	t->kind = kinds[count - 1];
	if (count >= 2)
		t->owner = lowercase(pool, seg[1]);
	if (count >= 3)
		t->coll_name = seg[2];
	if (count == 4)
		t->obj_name = seg[3];
	if ((t->coll_name != NULL && !store_dav_name_is_valid(t->coll_name)) ||
	    (t->obj_name != NULL && !store_dav_name_is_valid(t->obj_name)))
		return -1;
	t->path = count == 1   ? pool_printf(pool, "/dav/%s/", seg[0])
	          : count == 2 ? dav_path_home(pool, t->store_kind, t->owner)
	          : count == 3 ? dav_path_collection(pool, t->store_kind,
	                                             t->owner, t->coll_name)
	                       : dav_path_object(pool, t->store_kind, t->owner,
	                                         t->coll_name, t->obj_name);
	return 0;
}

void dav_log(struct dav_request *d, unsigned status, const char *name,
             const char *text)
{
	log_info(
	    NULL,
	    "dav refused method=%s path=%s user=%s status=%u%s%s "
	    "reason=\"%s\"",
	    http_method_name(http_request_method(d->req)),
	    log_sanitize(d->target.path != NULL ? d->target.path : "-", 200),
	    log_sanitize(d->user, 100), status, name != NULL ? " " : "",
	    name != NULL ? name : "",
	    log_sanitize(text != NULL ? text : "", 200));
}

void dav_error(struct dav_request *d, unsigned status, const char *ns,
               const char *name, const char *href, const char *text)
{
	dav_log(d, status, name, text);
	struct http_response *resp = http_response_new(d->req, status);
	if (ns == NULL) {
		http_response_send_text(resp, "%s\n", text != NULL ? text : "");
		return;
	}
	struct buf body;
	buf_init(&body);
	dav_write_error(&body, ns, name, href, text);
	http_response_set_type(resp, "application/xml; charset=utf-8");
	http_response_send_data(resp, body.data, body.len);
	buf_deinit(&body);
}

void dav_fail(struct dav_request *d, const char *what)
{
	log_error(NULL, "dav store-failed op=%s user=%s reason=\"%s\"", what,
	          log_sanitize(d->user, 100),
	          d->account != NULL ? store_dav_last_error(d->account)
	                             : store_last_error(d->httpd->store));
	struct http_response *resp = http_response_new(d->req, 500);
	http_response_send_text(resp, "Internal error.\n");
}

void dav_send_multistatus(struct dav_request *d, const struct buf *body)
{
	struct http_response *resp = http_response_new(d->req, 207);
	http_response_set_type(resp, "application/xml; charset=utf-8");
	http_response_send_data(resp, body->data, body->len);
}

struct body_read {
	struct dav_request *d;
	dav_body_cb *cb;
};

static void body_done(struct http_request *req, void *ctx)
{
	struct body_read *br = ctx;
	const struct http_request_body *body = http_request_body(req);
	if (body == NULL || body->fd < 0) {
		br->cb(br->d, body != NULL ? body->data : NULL,
		       body != NULL ? body->size_in_memory : 0);
		return;
	}
	unsigned char *data = pool_alloc(br->d->pool, body->size + 1);
	uint64_t got = 0;
	while (got < body->size) {
		ssize_t n =
		    pread(body->fd, data + got, body->size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error(NULL, "dav body-read-failed user=%s: %s",
			          log_sanitize(br->d->user, 100),
			          n < 0 ? strerror(errno) : "short file");
			struct http_response *resp =
			    http_response_new(req, 500);
			http_response_send_text(resp, "Internal error.\n");
			return;
		}
		got += (uint64_t)n;
	}
	br->cb(br->d, data, body->size);
}

void dav_read_body(struct dav_request *d, dav_body_cb *cb)
{
	struct body_read *br = pool_alloc(d->pool, sizeof(*br));
	br->d = d;
	br->cb = cb;
	http_request_read_body(d->req, body_done, br);
}

int dav_read_xml(struct dav_request *d, const unsigned char *data, size_t size,
                 struct dav_xml_node **root_r)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	const char *error;
	int ret = dav_xml_parse(data != NULL ? data : (const unsigned char *)"",
	                        size, &set, d->pool, root_r, &error);
	if (ret < 0)
		dav_error(d, 400, NULL, NULL, NULL, error);
	return ret;
}

void dav_target_resource(struct dav_request *d, struct dav_item *res)
{
	static const enum dav_resource kinds[] = {
	    [DAV_TARGET_ROOT] = DAV_RES_ROOT,
	    [DAV_TARGET_PRINCIPALS] = DAV_RES_ROOT,
	    [DAV_TARGET_HOMES] = DAV_RES_ROOT,
	    [DAV_TARGET_PRINCIPAL] = DAV_RES_PRINCIPAL,
	    [DAV_TARGET_HOME] = DAV_RES_HOME,
	};
	memset(res, 0, sizeof(*res));
	res->path = d->target.path;
	res->owner = d->target.owner;
	res->store_kind = d->target.store_kind;
	res->access = d->access;
	if (d->target.kind == DAV_TARGET_COLLECTION) {
		res->kind = d->target.store_kind == STORE_DAV_CALENDAR
		                ? DAV_RES_CALENDAR
		                : DAV_RES_ADDRESSBOOK;
		res->coll = &d->coll;
	} else if (d->target.kind == DAV_TARGET_OBJECT) {
		res->kind = d->target.store_kind == STORE_DAV_CALENDAR
		                ? DAV_RES_CAL_OBJECT
		                : DAV_RES_CARD;
		res->coll = &d->coll;
		res->obj = &d->obj;
	} else {
		res->kind = kinds[d->target.kind];
	}
}

struct ical_tz *dav_collection_tz(const struct store_dav_collection *coll)
{
	struct ical_tz *tz = NULL;
	const char *error;
	if (coll == NULL || coll->timezone[0] == '\0' ||
	    ical_tz_parse(coll->timezone, &tz, &error) < 0)
		return NULL;
	return tz;
}

static void dav_options(struct dav_request *d)
{
	char allow[256];
	http_method_set_str(DAV_ROUTE_METHODS, allow, sizeof(allow));
	struct http_response *resp = http_response_new(d->req, 200);
	/* RFC 4918 §10.1, RFC 4791 §5.1, RFC 6638 §2, RFC 6352 §6.1, RFC
	 * 5689 §3; RFC 6578 defines no class, but clients look for the word
	 * (nor "access-control": the ACL method of RFC 3744 is not here) */
	http_response_add_header(resp, "DAV",
	                         "1, 3, calendar-access, "
	                         "calendar-auto-schedule, addressbook, "
	                         "extended-mkcol, sync-collection");
	http_response_add_header(resp, "Allow", "%s", allow);
	http_response_send_empty(resp);
}

/* Opens the owner's account. Returns 0, or -1 after answering 404 (no
 * such account) or 500. */
static int owner_open(struct dav_request *d)
{
	const char *error;
	if (dav_cache_open(d->httpd, d->target.owner, &d->account, &error) == 0)
		return 0;
	if (strcmp(error, "no such account") == 0)
		dav_error(d, 404, NULL, NULL, NULL, "no such account");
	else
		dav_fail(d, "account_open");
	return -1;
}

const char *dav_member_path(struct dav_request *d, const char *name)
{
	return pool_printf(d->pool, "%s%s", d->coll_path, name);
}

int dav_collection_locate(struct dav_request *d, const struct dav_target *t,
                          struct dav_location *loc)
{
	const char *error;
	memset(loc, 0, sizeof(*loc));
	if (dav_cache_open(d->httpd, t->owner, &loc->account, &error) < 0) {
		if (strcmp(error, "no such account") == 0)
			return 0;
		log_error(NULL,
		          "dav store-failed op=account_open user=%s "
		          "reason=\"%s\"",
		          log_sanitize(d->user, 100), error);
		return -1;
	}
	int ret = store_dav_collection_get(loc->account, t->store_kind,
	                                   t->coll_name, d->pool, &loc->coll);
	if (ret == 1) {
		loc->access =
		    store_dav_access(loc->account, d->user, loc->coll.id);
		ret = loc->access < 0 ? -1 : loc->access > 0;
		loc->owner = t->owner;
		loc->path = dav_path_collection(d->pool, t->store_kind,
		                                t->owner, t->coll_name);
	} else if (ret == 0 && strcmp(t->owner, d->user) == 0) {
		dav_cache_release(&loc->account);
		ret = dav_share_resolve(d, t->store_kind, t->coll_name, loc);
		if (ret > 0)
			loc->path = dav_path_collection(d->pool, t->store_kind,
			                                t->owner, t->coll_name);
	}
	if (ret < 0 && loc->account != NULL)
		log_error(NULL,
		          "dav store-failed op=locate user=%s "
		          "reason=\"%s\"",
		          log_sanitize(d->user, 100),
		          store_dav_last_error(loc->account));
	if (ret <= 0)
		dav_cache_release(&loc->account);
	return ret;
}

/* Finds the target's collection and member and the user's access.
 * Returns 0, or -1 after answering. */
static int collection_resolve(struct dav_request *d)
{
	struct dav_location loc;
	bool is_own_home = strcmp(d->target.owner, d->user) == 0;
	int ret = dav_collection_locate(d, &d->target, &loc);
	if (ret < 0)
		return (dav_fail(d, "locate"), -1);
	if (ret == 0) {
		if (!is_own_home) {
			dav_error(d, 404, NULL, NULL, NULL, "not found");
			return -1;
		}
		/* a collection the owner may make (MKCOL) */
		d->access = STORE_DAV_ACCESS_OWNER;
		d->owner = d->user;
		d->coll_path = d->target.path;
		return owner_open(d);
	}
	d->account = loc.account;
	d->coll = loc.coll;
	d->has_coll = true;
	d->access = loc.access;
	d->owner = loc.owner;
	d->coll_path = loc.path;
	d->is_share = loc.is_share;
	d->is_directory = loc.is_directory;
	if (d->target.kind != DAV_TARGET_OBJECT)
		return 0;
	ret = store_dav_object_get(d->account, d->coll.id, d->target.obj_name,
	                           false, d->pool, &d->obj);
	if (ret < 0)
		return (dav_fail(d, "object_get"), -1);
	d->has_obj = ret == 1;
	return 0;
}

static int dav_resolve(struct dav_request *d)
{
	switch (d->target.kind) {
	case DAV_TARGET_ROOT:
	case DAV_TARGET_PRINCIPALS:
	case DAV_TARGET_HOMES:
		d->access = STORE_DAV_ACCESS_READ;
		return 0;
	case DAV_TARGET_PRINCIPAL:
	case DAV_TARGET_HOME:
		if (strcmp(d->target.owner, d->user) != 0) {
			dav_error(d, 403, DAV_NS, "need-privileges", NULL,
			          "another account's home");
			return -1;
		}
		d->access = STORE_DAV_ACCESS_OWNER;
		return owner_open(d);
	case DAV_TARGET_COLLECTION:
	case DAV_TARGET_OBJECT:
		return collection_resolve(d);
	}
	return -1;
}

static void dav_request_destroy(struct http_request *req, void *ctx)
{
	struct dav_request *d = ctx;
	(void)req;
	dav_cache_release(&d->account);
}

void httpd_dav(struct http_request *req, void *ctx)
{
	struct pool *pool = http_request_pool(req);
	struct dav_request *d = pool_alloc(pool, sizeof(*d));
	d->httpd = ctx;
	d->req = req;
	d->pool = pool;
	d->user = lowercase(
	    pool, http_request_user(req) != NULL ? http_request_user(req) : "");
	http_request_set_destroy(req, dav_request_destroy, d);
	if (dav_target_parse(http_request_path(req), pool, &d->target) < 0) {
		dav_error(d, 404, NULL, NULL, NULL, "no such resource");
		return;
	}
	enum http_method method = http_request_method(req);
	if (method == HTTP_METHOD_OPTIONS) {
		dav_options(d);
		return;
	}
	if (method == HTTP_METHOD_POST &&
	    (!dav_freebusy_is_outbox(d) ||
	     strcmp(d->target.owner, d->user) != 0)) {
		if (dav_freebusy_is_outbox(d))
			dav_error(d, 403, DAV_NS, "need-privileges", NULL,
			          "another account's outbox");
		else
			dav_error(d, 405, NULL, NULL, NULL,
			          "POST only to the schedule outbox");
		return;
	}
	if (dav_resolve(d) < 0)
		return;
	switch (method) {
	case HTTP_METHOD_PROPFIND:
		dav_propfind(d);
		break;
	case HTTP_METHOD_PROPPATCH:
		dav_proppatch(d);
		break;
	case HTTP_METHOD_MKCOL:
	case HTTP_METHOD_MKCALENDAR:
		dav_mkcol(d);
		break;
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
		dav_get(d);
		break;
	case HTTP_METHOD_PUT:
		dav_put(d);
		break;
	case HTTP_METHOD_DELETE:
		dav_delete(d);
		break;
	case HTTP_METHOD_COPY:
	case HTTP_METHOD_MOVE:
		dav_copy_move(d);
		break;
	case HTTP_METHOD_REPORT:
		dav_report(d);
		break;
	case HTTP_METHOD_POST:
		dav_freebusy_post(d);
		break;
	default:
		dav_error(d, 405, NULL, NULL, NULL, "method not allowed here");
		break;
	}
}
