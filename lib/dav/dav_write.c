/* The 207 multistatus writer and DAV:error bodies (RFC 4918 §13, §14, §16;
 * RFC 6578 §6.4 for the sync-token at its end). See dav_write.h. */
#include "dav/dav_write.h"
#include "core/log.h"
#include "dav/dav_xml.h"
#include "http/http_response.h"

#include <string.h>

static const struct {
	const char *ns, *prefix;
} prefixes[] = {
    {DAV_NS, "D"},     {DAV_NS_CALDAV, "C"}, {DAV_NS_CARDDAV, "CR"},
    {DAV_NS_CS, "CS"}, {DAV_NS_APPLE, "A"},
};

const char *dav_write_prefix(const char *ns)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		if (strcmp(prefixes[i].ns, ns) == 0)
			return prefixes[i].prefix;
	}
	return NULL;
}

void dav_write_multistatus_begin(struct buf *out)
{
	buf_append_str(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                    "<D:multistatus");
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		buf_printf(out, " xmlns:%s=\"%s\"", prefixes[i].prefix,
		           prefixes[i].ns);
	buf_append_str(out, ">\n");
}

void dav_write_multistatus_end(struct buf *out, const char *sync_token)
{
	if (sync_token != NULL)
		dav_write_text_prop(out, DAV_NS, "sync-token", sync_token);
	buf_append_str(out, "</D:multistatus>\n");
}

static bool href_char_is_plain(unsigned char c)
{
	/* RFC 3986 §3.3 pchar minus the sub-delims clients mishandle */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~/:@!$'()*+,;=", c) != NULL;
}

void dav_write_href(struct buf *out, const char *path)
{
	buf_append_str(out, "<D:href>");
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0';
	     p++) {
		if (*p == '&')
			buf_append_str(out, "&amp;");
		else if (href_char_is_plain(*p))
			buf_append_char(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
	buf_append_str(out, "</D:href>");
}

void dav_write_status(struct buf *out, unsigned status)
{
	buf_printf(out, "<D:status>HTTP/1.1 %u %s</D:status>", status,
	           http_response_reason(status));
}

void dav_write_response_props(struct buf *out, const char *path,
                              struct dav_propstats *ps)
{
	buf_append_str(out, "<D:response>");
	dav_write_href(out, path);
	bool any = false;
	for (size_t i = 0; i < ps->count; i++) {
		if (ps->groups[i].len == 0)
			continue;
		any = true;
		buf_append_str(out, "<D:propstat><D:prop>");
		buf_append(out, ps->groups[i].data, ps->groups[i].len);
		buf_append_str(out, "</D:prop>");
		dav_write_status(out, ps->statuses[i]);
		buf_append_str(out, "</D:propstat>");
		buf_truncate(&ps->groups[i], 0);
	}
	if (!any) {
		buf_append_str(out, "<D:propstat><D:prop/>");
		dav_write_status(out, 200);
		buf_append_str(out, "</D:propstat>");
	}
	ps->count = 0;
	buf_append_str(out, "</D:response>\n");
}

void dav_write_response_status(struct buf *out, const char *path,
                               unsigned status)
{
	buf_append_str(out, "<D:response>");
	dav_write_href(out, path);
	dav_write_status(out, status);
	buf_append_str(out, "</D:response>\n");
}

static void write_tag(struct buf *out, const char *ns, const char *name,
                      const char *open, const char *close)
{
	const char *prefix = dav_write_prefix(ns);
	buf_append_str(out, open);
	if (prefix != NULL) {
		buf_printf(out, "%s:%s", prefix, name);
	} else if (open[1] == '/') {
		buf_printf(out, "X:%s", name);
	} else {
		buf_printf(out, "X:%s xmlns:X=\"", name);
		dav_xml_escape(ns, strlen(ns), out);
		buf_append_char(out, '"');
	}
	buf_append_str(out, close);
}

void dav_write_open(struct buf *out, const char *ns, const char *name)
{
	write_tag(out, ns, name, "<", ">");
}

void dav_write_close(struct buf *out, const char *ns, const char *name)
{
	write_tag(out, ns, name, "</", ">");
}

void dav_write_empty(struct buf *out, const char *ns, const char *name)
{
	write_tag(out, ns, name, "<", "/>");
}

void dav_write_text_prop(struct buf *out, const char *ns, const char *name,
                         const char *text)
{
	dav_write_open(out, ns, name);
	dav_xml_escape(text, strlen(text), out);
	dav_write_close(out, ns, name);
}

void dav_propstats_init(struct dav_propstats *ps)
{
	ps->count = 0;
	for (size_t i = 0; i < DAV_PROPSTAT_MAX; i++)
		buf_init(&ps->groups[i]);
}

void dav_propstats_deinit(struct dav_propstats *ps)
{
	for (size_t i = 0; i < DAV_PROPSTAT_MAX; i++)
		buf_deinit(&ps->groups[i]);
}

struct buf *dav_propstats_group(struct dav_propstats *ps, unsigned status)
{
	for (size_t i = 0; i < ps->count; i++) {
		if (ps->statuses[i] == status)
			return &ps->groups[i];
	}
	if (ps->count == DAV_PROPSTAT_MAX)
		log_panic("dav_propstats_group: more than %d statuses",
		          DAV_PROPSTAT_MAX);
	ps->statuses[ps->count] = status;
	buf_truncate(&ps->groups[ps->count], 0);
	return &ps->groups[ps->count++];
}

void dav_write_error(struct buf *out, const char *ns, const char *name,
                     const char *href, const char *description)
{
	buf_append_str(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                    "<D:error xmlns:D=\"DAV:\"");
	const char *prefix = dav_write_prefix(ns);
	if (prefix != NULL && strcmp(prefix, "D") != 0)
		buf_printf(out, " xmlns:%s=\"%s\"", prefix, ns);
	buf_append_char(out, '>');
	if (href != NULL) {
		dav_write_open(out, ns, name);
		dav_write_href(out, href);
		dav_write_close(out, ns, name);
	} else {
		dav_write_empty(out, ns, name);
	}
	if (description != NULL)
		dav_write_text_prop(out, DAV_NS, "responsedescription",
		                    description);
	buf_append_str(out, "</D:error>\n");
}
