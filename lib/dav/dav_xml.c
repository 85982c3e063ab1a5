/* WebDAV request bodies (RFC 4918 §14): libxml2's reader over the body,
 * built into struct dav_xml_node as it streams so that the depth and
 * element limits stop a hostile body early. A DTD is refused before the
 * parser sees it (no entity expansion, no external fetch: §20.6), every
 * libxml2 error (namespace errors included) fails the parse, and the
 * serializer writes a subtree back with its own namespace declarations so
 * a dead property can be stored and returned as it came (§15). */
#include "dav/dav_xml.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void dav_xml_settings_init(struct dav_xml_settings *set)
{
	set->max_size = DAV_XML_DEFAULT_MAX_SIZE;
	set->max_depth = DAV_XML_DEFAULT_MAX_DEPTH;
	set->max_elements = DAV_XML_DEFAULT_MAX_ELEMENTS;
}

struct xml_build {
	struct pool *pool;
	const struct dav_xml_settings *set;
	struct dav_xml_node *root, *cur;
	struct dav_xml_node ***last_child; /* per depth: tail of the list */
	struct buf *text;                  /* per depth: character data */
	size_t depth, elements;
	const char *error;
};

static void xml_error_cb(void *arg, xmlErrorPtr err)
{
	struct xml_build *b = arg;
	if (b->error != NULL || err == NULL || err->level < XML_ERR_ERROR)
		return;
	const char *msg = err->message != NULL ? err->message : "error";
	size_t len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	b->error = pool_printf(b->pool, "XML line %d: %.*s", err->line,
	                       (int)(len > 200 ? 200 : len), msg);
}

/* libxml2 reports some errors (encoding conversion) through its generic
 * handler even with XML_PARSE_NOERROR; they are in the structured ones
 * too, so this one stays silent rather than write to stderr. */
static void xml_silent_cb(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static const char *xml_str(struct pool *pool, const xmlChar *str)
{
	return pool_strdup(pool, str == NULL ? "" : (const char *)str);
}

/* Reads the attributes of the reader's current element into node, skipping
 * namespace declarations. Leaves the reader back on the element. */
static void xml_attrs_read(xmlTextReaderPtr r, struct xml_build *b,
                           struct dav_xml_node *node)
{
	struct dav_xml_attr **tail = &node->attrs;
	while (xmlTextReaderMoveToNextAttribute(r) == 1) {
		if (xmlTextReaderIsNamespaceDecl(r) == 1)
			continue;
		struct dav_xml_attr *a = pool_alloc(b->pool, sizeof(*a));
		a->ns = xml_str(b->pool, xmlTextReaderConstNamespaceUri(r));
		a->name = xml_str(b->pool, xmlTextReaderConstLocalName(r));
		a->value = xml_str(b->pool, xmlTextReaderConstValue(r));
		*tail = a;
		tail = &a->next;
	}
	xmlTextReaderMoveToElement(r);
}

static void xml_node_close(struct xml_build *b)
{
	struct buf *text = &b->text[b->depth];
	b->cur->text = pool_strndup(b->pool, text->data, text->len);
	b->cur->text_len = text->len;
	buf_truncate(text, 0);
	b->cur = b->cur->parent;
	b->depth--;
}

/* Returns 0, or -1 with b->error set. */
static int xml_element_open(xmlTextReaderPtr r, struct xml_build *b)
{
	if (++b->elements > b->set->max_elements) {
		b->error = "XML body has too many elements";
		return -1;
	}
	if (b->root != NULL && b->cur == NULL) {
		b->error = "XML body has more than one document element";
		return -1;
	}
	if (b->depth + 1 > b->set->max_depth) {
		b->error = "XML body is nested too deeply";
		return -1;
	}
	struct dav_xml_node *node = pool_alloc(b->pool, sizeof(*node));
	node->ns = xml_str(b->pool, xmlTextReaderConstNamespaceUri(r));
	node->name = xml_str(b->pool, xmlTextReaderConstLocalName(r));
	node->text = "";
	node->parent = b->cur;
	xml_attrs_read(r, b, node);
	if (b->cur == NULL)
		b->root = node;
	else
		*b->last_child[b->depth] = node;
	b->last_child[b->depth] = &node->next;
	b->depth++;
	b->last_child[b->depth] = &node->children;
	b->cur = node;
	if (xmlTextReaderIsEmptyElement(r) == 1)
		xml_node_close(b);
	return 0;
}

/* One reader step. Returns 0, or -1 with b->error set. */
static int xml_step(xmlTextReaderPtr r, struct xml_build *b)
{
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_ELEMENT:
		return xml_element_open(r, b);
	case XML_READER_TYPE_END_ELEMENT:
		if (b->cur != NULL)
			xml_node_close(b);
		return 0;
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		if (b->cur != NULL) {
			const xmlChar *v = xmlTextReaderConstValue(r);
			if (v != NULL)
				buf_append_str(&b->text[b->depth],
				               (const char *)v);
		}
		return 0;
	case XML_READER_TYPE_DOCUMENT_TYPE:
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		b->error = "XML body may not use a DTD or entities";
		return -1;
	default: /* comments, processing instructions */
		return 0;
	}
}

/* Returns true if data holds str (memmem is a GNU extension). */
static bool bytes_contain(const unsigned char *data, size_t size,
                          const char *str)
{
	size_t len = strlen(str);
	for (size_t i = 0; i + len <= size; i++) {
		if (data[i] == (unsigned char)str[0] &&
		    memcmp(data + i, str, len) == 0)
			return true;
	}
	return false;
}

static bool body_is_blank(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' &&
		    data[i] != '\n')
			return false;
	}
	return true;
}

static int xml_read_all(xmlTextReaderPtr r, struct xml_build *b)
{
	int ret;
	while ((ret = xmlTextReaderRead(r)) == 1) {
		if (b->error != NULL || xml_step(r, b) < 0)
			return -1;
	}
	if (ret < 0 || b->error != NULL || b->root == NULL || b->cur != NULL) {
		if (b->error == NULL)
			b->error = "XML body is not well-formed";
		return -1;
	}
	return 0;
}

int dav_xml_parse(const unsigned char *data, size_t size,
                  const struct dav_xml_settings *set, struct pool *pool,
                  struct dav_xml_node **root_r, const char **error_r)
{
	*root_r = NULL;
	if (body_is_blank(data, size))
		return 0;
	if (size > set->max_size || size > INT_MAX) {
		*error_r = "XML body too large";
		return -1;
	}
	/* RFC 4918 §20.6: no DTD, hence no entity declarations at all */
	if (bytes_contain(data, size, "<!DOCTYPE")) {
		*error_r = "XML body may not use a DTD or entities";
		return -1;
	}
	xmlSetGenericErrorFunc(NULL, xml_silent_cb);
	struct xml_build b = {.pool = pool, .set = set};
	b.last_child = xcalloc(set->max_depth + 2, sizeof(*b.last_child));
	b.text = xcalloc(set->max_depth + 2, sizeof(*b.text));
	for (size_t i = 0; i < set->max_depth + 2; i++)
		buf_init(&b.text[i]);
	xmlTextReaderPtr r =
	    xmlReaderForMemory((const char *)data, (int)size, NULL, NULL,
	                       XML_PARSE_NONET | XML_PARSE_NOCDATA |
	                           XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int ret = -1;
	if (r == NULL) {
		b.error = "XML body cannot be parsed";
	} else {
		xmlTextReaderSetStructuredErrorHandler(r, xml_error_cb, &b);
		ret = xml_read_all(r, &b);
		xmlFreeTextReader(r);
	}
	for (size_t i = 0; i < set->max_depth + 2; i++)
		buf_deinit(&b.text[i]);
	free(b.text);
	free(b.last_child);
	if (ret < 0) {
		*error_r = b.error;
		return -1;
	}
	*root_r = b.root;
	return 1;
}

bool dav_xml_is(const struct dav_xml_node *node, const char *ns,
                const char *name)
{
	return node != NULL && strcmp(node->ns, ns) == 0 &&
	       strcmp(node->name, name) == 0;
}

struct dav_xml_node *dav_xml_child(const struct dav_xml_node *node,
                                   const char *ns, const char *name)
{
	for (struct dav_xml_node *c = node->children; c != NULL; c = c->next) {
		if (dav_xml_is(c, ns, name))
			return c;
	}
	return NULL;
}

const char *dav_xml_attr(const struct dav_xml_node *node, const char *name)
{
	for (const struct dav_xml_attr *a = node->attrs; a != NULL;
	     a = a->next) {
		if (a->ns[0] == '\0' && strcmp(a->name, name) == 0)
			return a->value;
	}
	return NULL;
}

static bool xml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *dav_xml_text_trim(const struct dav_xml_node *node,
                              struct pool *pool)
{
	const char *s = node->text;
	size_t len = node->text_len;
	while (len > 0 && xml_is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && xml_is_space(s[len - 1]))
		len--;
	return pool_strndup(pool, s, len);
}

void dav_xml_escape(const char *text, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		switch (c) {
		case '&':
			buf_append_str(out, "&amp;");
			break;
		case '<':
			buf_append_str(out, "&lt;");
			break;
		case '>':
			buf_append_str(out, "&gt;");
			break;
		case '"':
			buf_append_str(out, "&quot;");
			break;
		case '\r':
			buf_append_str(out, "&#13;");
			break;
		default:
			/* XML 1.0 §2.2: no C0 controls but tab and LF */
			if (c >= 0x20 || c == '\t' || c == '\n')
				buf_append_char(out, (char)c);
			break;
		}
	}
}

static void xml_serialize_node(const struct dav_xml_node *node,
                               const char *parent_ns, struct buf *out)
{
	buf_printf(out, "<%s", node->name);
	if (strcmp(node->ns, parent_ns) != 0) {
		buf_append_str(out, " xmlns=\"");
		dav_xml_escape(node->ns, strlen(node->ns), out);
		buf_append_char(out, '"');
	}
	unsigned prefix = 0;
	for (const struct dav_xml_attr *a = node->attrs; a != NULL;
	     a = a->next) {
		if (a->ns[0] != '\0') {
			buf_printf(out, " xmlns:a%u=\"", prefix);
			dav_xml_escape(a->ns, strlen(a->ns), out);
			buf_printf(out, "\" a%u:%s=\"", prefix++, a->name);
		} else {
			buf_printf(out, " %s=\"", a->name);
		}
		dav_xml_escape(a->value, strlen(a->value), out);
		buf_append_char(out, '"');
	}
	if (node->children == NULL && node->text_len == 0) {
		buf_append_str(out, "/>");
		return;
	}
	buf_append_char(out, '>');
	/* XXX text mixed between child elements comes first: the tree keeps
	 * one run of character data per element (no DAV property we know of
	 * mixes them) */
	dav_xml_escape(node->text, node->text_len, out);
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next)
		xml_serialize_node(c, node->ns, out);
	buf_printf(out, "</%s>", node->name);
}

void dav_xml_serialize(const struct dav_xml_node *node, struct buf *out)
{
	/* a parent namespace no real one equals: the top always declares */
	xml_serialize_node(node, "\x01", out);
}
