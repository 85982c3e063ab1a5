/* WebDAV request bodies as a small element tree (RFC 4918 §14, §17):
 * libxml2's reader walks the body once and builds struct dav_xml_node
 * from the pool, checking limits (size, depth, element count) as it goes.
 * No DTD is accepted (a body naming <!DOCTYPE is refused before parsing),
 * so no entity but the five predefined ones and character references can
 * appear; nothing is fetched (XML_PARSE_NONET), entities are never
 * substituted from a DTD (no XML_PARSE_NOENT, no DTD loading). Element
 * names are compared by namespace URI and local name, never by prefix.
 * libxml2 appears only in dav_xml.c. */
#ifndef DAV_DAV_XML_H
#define DAV_DAV_XML_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;

#define DAV_NS "DAV:"
#define DAV_NS_CALDAV "urn:ietf:params:xml:ns:caldav"
#define DAV_NS_CARDDAV "urn:ietf:params:xml:ns:carddav"
#define DAV_NS_CS "http://calendarserver.org/ns/"
#define DAV_NS_APPLE "http://apple.com/ns/ical/"

struct dav_xml_settings {
	size_t max_size;     /* bytes of the body */
	size_t max_depth;    /* element nesting */
	size_t max_elements; /* elements in all */
};

#define DAV_XML_DEFAULT_MAX_SIZE (1024 * 1024)
#define DAV_XML_DEFAULT_MAX_DEPTH 32
#define DAV_XML_DEFAULT_MAX_ELEMENTS 20000

struct dav_xml_attr {
	const char *ns; /* "" when none */
	const char *name;
	const char *value;
	struct dav_xml_attr *next;
};

struct dav_xml_node {
	const char *ns;   /* namespace URI, "" when none */
	const char *name; /* local name */
	const char *text; /* character data directly inside, concatenated
	                     ("" when none); entities decoded, UTF-8 */
	size_t text_len;
	struct dav_xml_attr *attrs;
	struct dav_xml_node *parent, *children, *next;
};

/* Fills set with the DAV_XML_DEFAULT_* limits. */
void dav_xml_settings_init(struct dav_xml_settings *set);
/* Parses a body. Returns 1 with the document element in *root_r (every
 * node from pool), 0 when the body is empty or only whitespace (RFC 4918
 * treats some empty bodies as defaults), or -1 with *error_r (a reason
 * fit for a 400 answer, from pool or static) when it is not well-formed
 * XML with namespaces, holds a DTD, or passes a limit. */
int dav_xml_parse(const unsigned char *data, size_t size,
                  const struct dav_xml_settings *set, struct pool *pool,
                  struct dav_xml_node **root_r, const char **error_r);

/* Returns true if node is element ns:name. */
bool dav_xml_is(const struct dav_xml_node *node, const char *ns,
                const char *name);
/* Returns the first child element ns:name of node, or NULL. */
struct dav_xml_node *dav_xml_child(const struct dav_xml_node *node,
                                   const char *ns, const char *name);
/* Returns the value of attribute name (without namespace), or NULL. */
const char *dav_xml_attr(const struct dav_xml_node *node, const char *name);
/* Returns node's text without leading and trailing XML whitespace, from
 * pool. */
const char *dav_xml_text_trim(const struct dav_xml_node *node,
                              struct pool *pool);

/* Appends node (an element with its attributes, text and children) as
 * standalone XML: every element whose namespace differs from its parent's
 * declares it as the default namespace, and attributes in a namespace get
 * a prefix declared on their element. The result can be embedded in any
 * document and parsed back to the same tree. */
void dav_xml_serialize(const struct dav_xml_node *node, struct buf *out);
/* Appends text with the XML escapes for character data and attribute
 * values (& < > " and the control characters XML 1.0 forbids dropped). */
void dav_xml_escape(const char *text, size_t len, struct buf *out);

#endif
