/* The request bodies of WebDAV methods, read from the element tree of
 * dav_xml.h: PROPFIND (RFC 4918 §9.1, §14.20), PROPPATCH (§9.2, §14.19),
 * extended MKCOL (RFC 5689 §5.1) and MKCALENDAR (RFC 4791 §5.3.1), and the
 * REPORTs: calendar-query, calendar-multiget, free-busy-query (RFC 4791
 * §7.8-§7.10), addressbook-query, addressbook-multiget (RFC 6352 §8.6,
 * §8.7) and sync-collection (RFC 6578 §3.2). Elements a body may hold
 * that this server does not know are ignored (RFC 4918 §17). */
#ifndef DAV_DAV_BODY_H
#define DAV_DAV_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dav_xml_node;
struct ical_comp_filter;
struct pool;
struct vcard_filter;

/* A failure: the status to answer and, when there is one, the
 * precondition element (ns, name) for a DAV:error body. */
struct dav_body_error {
	unsigned status;       /* 400, 403, 415 ... */
	const char *ns, *name; /* NULL when none */
	const char *text;      /* why, for the log and the body */
};

/* A property named in a request; node is its element (for calendar-data
 * and address-data, which carry what to return). */
struct dav_propname {
	const char *ns, *name;
	const struct dav_xml_node *node;
};

enum dav_propfind_kind {
	DAV_PROPFIND_ALLPROP,
	DAV_PROPFIND_PROPNAME,
	DAV_PROPFIND_PROP,
};

struct dav_propfind {
	enum dav_propfind_kind kind;
	struct dav_propname *props; /* PROP, or allprop's include */
	size_t count;
};

/* root NULL (an empty body) is allprop (§9.1). Returns 0, or -1 with
 * *err_r (400). Everything from pool. */
int dav_body_propfind(const struct dav_xml_node *root, struct pool *pool,
                      struct dav_propfind *propfind_r,
                      struct dav_body_error *err_r);

struct dav_propupdate {
	bool is_remove;
	struct dav_propname name;
	const struct dav_xml_node *value; /* the property element */
};

/* <D:propertyupdate> with set and remove in document order (§14.19).
 * Returns 0 with the updates (at least one), or -1 with *err_r (400). */
int dav_body_propertyupdate(const struct dav_xml_node *root, struct pool *pool,
                            struct dav_propupdate **updates_r, size_t *count_r,
                            struct dav_body_error *err_r);
/* <D:mkcol> (RFC 5689) or <C:mkcalendar> (RFC 4791 §5.3.1): the set
 * updates. root NULL gives none. Returns 0, or -1 with *err_r (400, or
 * 415 for another document element). */
int dav_body_mkcol(const struct dav_xml_node *root, struct pool *pool,
                   struct dav_propupdate **updates_r, size_t *count_r,
                   struct dav_body_error *err_r);

enum dav_report_kind {
	DAV_REPORT_CALENDAR_QUERY,
	DAV_REPORT_CALENDAR_MULTIGET,
	DAV_REPORT_FREE_BUSY_QUERY,
	DAV_REPORT_ADDRESSBOOK_QUERY,
	DAV_REPORT_ADDRESSBOOK_MULTIGET,
	DAV_REPORT_SYNC_COLLECTION,
};

struct dav_href {
	const char *raw;  /* as sent, trimmed */
	const char *path; /* normalised, NULL when it is not a usable path */
};

struct dav_report {
	enum dav_report_kind kind;
	struct dav_propfind props;
	struct dav_href *hrefs; /* multiget */
	size_t href_count;
	struct ical_comp_filter *cal_filter; /* calendar-query */
	const char *cal_timezone;            /* its C:timezone, or NULL */
	struct vcard_filter *card_filter;    /* addressbook-query */
	uint64_t limit;                      /* nresults; 0: none */
	const char *sync_token;              /* "" for an initial sync */
	bool is_sync_infinite;               /* sync-level infinite */
	int64_t fb_start, fb_end;            /* free-busy-query */
};

/* Reads a REPORT body. Returns 0 with *report_r, or -1 with *err_r: 400
 * for a malformed body, 403 with DAV:supported-report for a report this
 * server does not have (RFC 3253 §3.6), 403 with a CalDAV or CardDAV
 * precondition for a filter it cannot use (valid-filter,
 * supported-filter, supported-collation). */
int dav_body_report(const struct dav_xml_node *root, struct pool *pool,
                    struct dav_report *report_r, struct dav_body_error *err_r);

#endif
