/* The request of Outlook's POX autodiscover read with a small scanner, not
 * an XML parser: only the text of an element or two is needed, and
 * refusing a DOCTYPE, CDATA and entity references outright leaves nothing
 * for an external-entity attack (XXE) to use. Comments and processing
 * instructions are skipped, so an element inside a comment is not found. */
#include "core/pool.h"
#include "httpd_pox.h"

#include <stdbool.h>
#include <string.h>

static const unsigned char *find_str(const unsigned char *p,
                                     const unsigned char *end, const char *s)
{
	size_t len = strlen(s);
	for (; (size_t)(end - p) >= len; p++) {
		if (memcmp(p, s, len) == 0)
			return p;
	}
	return NULL;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The text after a start tag, up to the next "<": trimmed, without
 * markup, references or control characters. Returns 1, 0 or -1 as
 * httpd_pox_find. */
static int element_text(const unsigned char *p, const unsigned char *end,
                        struct pool *pool, const char **value_r)
{
	const unsigned char *lt = memchr(p, '<', (size_t)(end - p));
	if (lt == NULL || lt + 1 >= end || lt[1] != '/')
		return -1; /* unterminated, or an element inside */
	while (p < lt && is_space(*p))
		p++;
	const unsigned char *last = lt;
	while (last > p && is_space(last[-1]))
		last--;
	for (const unsigned char *q = p; q < last; q++) {
		if (*q < 0x20 || *q == 0x7f || *q == '&' || *q == '>')
			return -1;
	}
	if (last == p)
		return 0;
	*value_r = pool_strndup(pool, (const char *)p, (size_t)(last - p));
	return 1;
}

/* element = "<" [prefix ":"] name *attribute ">" text "</" ...; comments
 * and processing instructions are skipped, a DOCTYPE or CDATA refused. */
int httpd_pox_find(const unsigned char *data, size_t size, const char *name,
                   struct pool *pool, const char **value_r)
{
	const unsigned char *p = data, *end = data + size;
	size_t name_len = strlen(name);
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) >= 4 && memcmp(p, "<!--", 4) == 0) {
			const unsigned char *close =
			    find_str(p + 4, end, "-->");
			if (close == NULL)
				return -1;
			p = close + 3;
			continue;
		}
		if (p + 1 < end && p[1] == '!')
			return -1; /* DOCTYPE, CDATA */
		if (p + 1 < end && p[1] == '?') {
			const unsigned char *close = find_str(p + 2, end, "?>");
			if (close == NULL)
				return -1;
			p = close + 2;
			continue;
		}
		const unsigned char *tag = ++p, *tag_end = tag;
		while (tag_end < end && !is_space(*tag_end) &&
		       *tag_end != '>' && *tag_end != '/' && *tag_end != '<')
			tag_end++;
		const unsigned char *colon =
		    memchr(tag, ':', (size_t)(tag_end - tag));
		const unsigned char *local = colon != NULL ? colon + 1 : tag;
		if ((size_t)(tag_end - local) != name_len ||
		    memcmp(local, name, name_len) != 0)
			continue;
		const unsigned char *gt =
		    memchr(tag_end, '>', (size_t)(end - tag_end));
		if (gt == NULL)
			return -1;
		if (gt[-1] == '/')
			return 0; /* <EMailAddress/> */
		return element_text(gt + 1, end, pool, value_r);
	}
	return 0;
}
