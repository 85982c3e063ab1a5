/* Shares and the domain's directory in a user's home (dav_server.h).
 * Sharing follows RFC 3744's model with the calendar servers' way of
 * showing it: the owner (postroomctl dav share) gives another account
 * read or read-write access to one collection; the collection then
 * appears in the grantee's home as "<collection>_shared_by_<owner>",
 * with DAV:owner naming the owner and DAV:current-user-privilege-set
 * what the grantee may do, so clients that list a home (vdirsyncer,
 * DAVx5, Thunderbird, python3-caldav) find it with no support for any
 * sharing protocol. The grantee's DELETE of it leaves the share. Every
 * account also finds "directory" among its address books: the domain's
 * shared address book, read-only, one card per account of the domain
 * (store_dav_directory_sync brings it up to date when it is read). */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav_server.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <string.h>
#include <time.h>

/* Appends text as a vCard value (RFC 6350 §3.4: backslash, comma,
 * semicolon and newline escaped; other control bytes dropped). */
static void card_escape(struct buf *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		if (*p == '\\' || *p == ',' || *p == ';') {
			buf_append_char(out, '\\');
			buf_append_char(out, (char)*p);
		} else if (*p == '\n') {
			buf_append_str(out, "\\n");
		} else if (*p >= 0x20 && *p != 0x7f) {
			buf_append_char(out, (char)*p);
		}
	}
}

/* The card of one account in its domain's directory: vCard 3.0 (what
 * every client reads), FN the account's directory name or its local
 * part, N from the name's last word (family) and the rest (given). */
static int directory_card_cb(const struct store_dav_directory_entry *e,
                             struct pool *pool, struct store_dav_object *obj,
                             void *ctx)
{
	(void)ctx;
	const char *at = strrchr(e->address, '@');
	const char *fn =
	    e->name[0] != '\0'
	        ? e->name
	        : pool_strndup(pool, e->address, (size_t)(at - e->address));
	const char *space = strrchr(fn, ' ');
	struct buf card;
	buf_init(&card);
	buf_append_str(&card, "BEGIN:VCARD\r\nVERSION:3.0\r\n"
	                      "PRODID:-//Postroom//directory//EN\r\nUID:");
	card_escape(&card, e->address);
	buf_append_str(&card, "\r\nFN:");
	card_escape(&card, fn);
	buf_append_str(&card, "\r\nN:");
	card_escape(&card, space != NULL ? space + 1 : fn);
	buf_append_char(&card, ';');
	if (space != NULL)
		card_escape(&card,
		            pool_strndup(pool, fn, (size_t)(space - fn)));
	buf_append_str(&card, ";;;\r\nEMAIL;TYPE=INTERNET:");
	card_escape(&card, e->address);
	buf_append_str(&card, "\r\nEND:VCARD\r\n");
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(card.data, card.len, etag);
	obj->name = pool_printf(pool, "%s.vcf", e->address);
	obj->uid = e->address;
	obj->etag = pool_strdup(pool, etag);
	obj->content_type = "text/vcard; charset=utf-8";
	obj->data =
	    (const unsigned char *)pool_strndup(pool, card.data, card.len);
	obj->size = card.len;
	buf_deinit(&card);
	return 0;
}

/* The user's domain's directory. Returns 1, 0 (no such domain), -1. */
static int directory_resolve(struct dav_request *d, struct dav_location *loc)
{
	const char *error, *at = strrchr(d->user, '@');
	if (at == NULL)
		return 0;
	if (dav_cache_open_directory(d->httpd, &loc->account, &error) < 0) {
		log_error(NULL, "dav store-failed op=directory reason=\"%s\"",
		          error);
		return -1;
	}
	int ret = store_dav_directory_sync(d->httpd->store, loc->account,
	                                   at + 1, directory_card_cb, NULL,
	                                   d->pool, &loc->coll);
	if (ret < 0)
		log_error(NULL, "dav store-failed op=directory reason=\"%s\"",
		          store_dav_last_error(loc->account));
	if (ret <= 0) {
		dav_cache_release(&loc->account);
		return ret;
	}
	loc->access = STORE_DAV_ACCESS_READ;
	loc->is_directory = true;
	return 1;
}

/* The collection of share s, opened. Returns 1, 0 (gone), -1. */
static int share_open(struct dav_request *d, const struct store_dav_share *s,
                      struct dav_location *loc)
{
	const char *error;
	if (dav_cache_open(d->httpd, s->owner, &loc->account, &error) < 0) {
		log_error(NULL, "dav store-failed op=share_open reason=\"%s\"",
		          error);
		return -1;
	}
	int ret = store_dav_collection_get_by_id(loc->account, s->collection_id,
	                                         d->pool, &loc->coll);
	if (ret > 0) {
		loc->access =
		    store_dav_access(loc->account, d->user, loc->coll.id);
		ret = loc->access < 0 ? -1 : loc->access > 0;
	}
	if (ret < 0)
		log_error(NULL, "dav store-failed op=share_open reason=\"%s\"",
		          store_dav_last_error(loc->account));
	if (ret <= 0) {
		dav_cache_release(&loc->account);
		return ret;
	}
	/* whose it is, where clients show a name */
	loc->coll.displayname =
	    pool_printf(d->pool, "%s (%s)",
	                loc->coll.displayname[0] != '\0' ? loc->coll.displayname
	                                                 : loc->coll.name,
	                s->owner);
	loc->owner = s->owner;
	loc->is_share = true;
	return 1;
}

int dav_share_resolve(struct dav_request *d, enum store_dav_kind kind,
                      const char *name, struct dav_location *loc)
{
	struct store_dav_share share;
	memset(loc, 0, sizeof(*loc));
	if (kind == STORE_DAV_ADDRESSBOOK &&
	    strcmp(name, DAV_DIRECTORY_NAME) == 0)
		return directory_resolve(d, loc);
	if (kind == STORE_DAV_CALENDAR) {
		int ret = dav_sched_resolve(d, name, loc);
		if (ret != 0)
			return ret;
	}
	int ret = store_dav_share_find(d->httpd->store, d->user, kind, name,
	                               d->pool, &share);
	if (ret < 0) {
		log_error(NULL, "dav store-failed op=share reason=\"%s\"",
		          store_last_error(d->httpd->store));
		return -1;
	}
	return ret == 0 ? 0 : share_open(d, &share, loc);
}

static void location_response(struct dav_request *d,
                              const struct dav_location *loc, const char *name,
                              const struct dav_propfind *pf, struct buf *out)
{
	struct dav_item res = {
	    .kind = loc->coll.kind == STORE_DAV_ADDRESSBOOK
	                ? DAV_RES_ADDRESSBOOK
	                : DAV_RES_CALENDAR,
	    .path = dav_path_collection(d->pool, d->target.store_kind, d->user,
	                                name),
	    .owner = loc->owner,
	    .store_kind = loc->coll.kind,
	    .coll = &loc->coll,
	    .access = loc->access,
	    .account = loc->account,
	};
	dav_props_response(d, &res, pf, out);
}

int dav_share_home_children(struct dav_request *d,
                            const struct dav_propfind *pf, struct buf *out)
{
	struct store_dav_share *shares;
	struct dav_location loc;
	size_t count;
	if (store_dav_share_list_granted(d->httpd->store, d->user,
	                                 d->target.store_kind, d->pool, &shares,
	                                 &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		int ret = share_open(d, &shares[i], &loc);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		location_response(d, &loc, shares[i].name, pf, out);
		dav_cache_release(&loc.account);
	}
	static const char *const boxes[] = {DAV_INBOX_NAME, DAV_OUTBOX_NAME};
	for (size_t i = 0; d->target.store_kind == STORE_DAV_CALENDAR && i < 2;
	     i++) {
		int ret = dav_sched_resolve(d, boxes[i], &loc);
		if (ret < 0)
			return -1;
		location_response(d, &loc, boxes[i], pf, out);
		dav_cache_release(&loc.account);
	}
	if (d->target.store_kind != STORE_DAV_ADDRESSBOOK)
		return 0;
	int ret = directory_resolve(d, &loc);
	if (ret > 0) {
		location_response(d, &loc, DAV_DIRECTORY_NAME, pf, out);
		dav_cache_release(&loc.account);
	}
	return ret < 0 ? -1 : 0;
}

void dav_share_leave(struct dav_request *d)
{
	const char *error;
	if (!d->is_share) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL,
		          "the domain's directory stays");
		return;
	}
	int ret = store_dav_share_set(d->account, &d->coll, d->user,
	                              STORE_DAV_ACCESS_NONE, time(NULL),
	                              d->pool, NULL, &error);
	if (ret < 0) {
		dav_fail(d, "share_leave");
		return;
	}
	log_info(NULL, "dav share-left user=%s owner=%s collection=%s",
	         log_sanitize(d->user, 100), log_sanitize(d->owner, 100),
	         log_sanitize(d->coll.name, 100));
	http_response_send_empty(http_response_new(d->req, 204));
}
