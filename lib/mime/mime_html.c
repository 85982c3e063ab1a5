/* HTML to readable text for mail bodies. One pass over the bytes: text is
 * written with white space collapsed (HTML 5 §15.3 rendering, roughly what
 * lynx and w3m print), markup is read as a tag name plus attributes and
 * mapped through a small table to line breaks, list markers, quoting and
 * links; character references follow HTML 5 §13.5 (named ones from a
 * table of the common ones, numeric ones with the windows-1252 fix-up of
 * §13.2.5.80). Line ends are owed lazily so blocks never pile up blank
 * lines and the output never starts with one. */
#include "mime/mime_html.h"

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HTML_NAME_MAX 16   /* longer tag names match nothing */
#define HTML_BREAK_MAX 3   /* at most two blank lines in a row */
#define HTML_ENTITY_MAX 32 /* longest reference looked at */
#define HTML_CHARSET_SCAN 2048

enum html_kind {
	HTML_INLINE, /* nothing to do: span, b, font, unknown tags */
	HTML_LINE,   /* a block that ends a line: div, tr, li end */
	HTML_PARA,   /* a block set off by a blank line: p, h1 */
	HTML_BR,
	HTML_LI,
	HTML_LIST,
	HTML_CELL,
	HTML_RAW, /* content skipped up to the end tag: script, style */
	HTML_HEAD,
	HTML_BODY,
	HTML_PRE,
	HTML_QUOTE,
	HTML_A,
	HTML_IMG,
	HTML_HR,
};

static const struct {
	const char *name;
	enum html_kind kind;
} html_tags[] = {
    {"a", HTML_A},        {"address", HTML_LINE},     {"article", HTML_LINE},
    {"aside", HTML_LINE}, {"blockquote", HTML_QUOTE}, {"body", HTML_BODY},
    {"br", HTML_BR},      {"caption", HTML_LINE},     {"center", HTML_LINE},
    {"dd", HTML_LINE},    {"div", HTML_LINE},         {"dl", HTML_PARA},
    {"dt", HTML_LINE},    {"figure", HTML_LINE},      {"footer", HTML_LINE},
    {"form", HTML_LINE},  {"h1", HTML_PARA},          {"h2", HTML_PARA},
    {"h3", HTML_PARA},    {"h4", HTML_PARA},          {"h5", HTML_PARA},
    {"h6", HTML_PARA},    {"head", HTML_HEAD},        {"header", HTML_LINE},
    {"hr", HTML_HR},      {"img", HTML_IMG},          {"li", HTML_LI},
    {"main", HTML_LINE},  {"nav", HTML_LINE},         {"noscript", HTML_RAW},
    {"ol", HTML_LIST},    {"p", HTML_PARA},           {"pre", HTML_PRE},
    {"script", HTML_RAW}, {"section", HTML_LINE},     {"style", HTML_RAW},
    {"table", HTML_PARA}, {"td", HTML_CELL},          {"template", HTML_RAW},
    {"th", HTML_CELL},    {"title", HTML_RAW},        {"tr", HTML_LINE},
    {"ul", HTML_LIST},    {"xml", HTML_RAW},
};

/* HTML 5 §13.5 named references (the ones mail uses); 0 writes nothing. */
static const struct {
	const char *name;
	uint32_t cp;
} html_entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", ' '},     {"ensp", ' '},     {"emsp", ' '},
    {"thinsp", ' '},   {"shy", 0},        {"zwnj", 0},       {"zwj", 0},
    {"copy", 0xa9},    {"reg", 0xae},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"sbquo", 0x201a}, {"ldquo", 0x201c}, {"rdquo", 0x201d}, {"bdquo", 0x201e},
    {"laquo", 0xab},   {"raquo", 0xbb},   {"bull", 0x2022},  {"middot", 0xb7},
    {"euro", 0x20ac},  {"pound", 0xa3},   {"yen", 0xa5},     {"cent", 0xa2},
    {"sect", 0xa7},    {"deg", 0xb0},     {"plusmn", 0xb1},  {"times", 0xd7},
    {"divide", 0xf7},  {"para", 0xb6},    {"iexcl", 0xa1},   {"iquest", 0xbf},
    {"auml", 0xe4},    {"ouml", 0xf6},    {"uuml", 0xfc},    {"Auml", 0xc4},
    {"Ouml", 0xd6},    {"Uuml", 0xdc},    {"szlig", 0xdf},   {"eacute", 0xe9},
    {"egrave", 0xe8},  {"ecirc", 0xea},   {"aacute", 0xe1},  {"agrave", 0xe0},
    {"acirc", 0xe2},   {"oacute", 0xf3},  {"ocirc", 0xf4},   {"uacute", 0xfa},
    {"iacute", 0xed},  {"ccedil", 0xe7},  {"ntilde", 0xf1},  {"Eacute", 0xc9},
    {"aring", 0xe5},   {"oslash", 0xf8},  {"aelig", 0xe6},   {"rarr", 0x2192},
    {"larr", 0x2190},  {"check", 0x2713},
};

/* HTML 5 §13.2.5.80: numeric references 0x80-0x9F mean windows-1252. */
static const uint16_t html_cp1252[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
    0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

struct html_state {
	struct buf *out;
	size_t start;    /* out->len on entry: nothing before it is ours */
	unsigned breaks; /* line ends owed before the next text */
	bool has_space;  /* a space owed before the next text */
	bool is_hidden;  /* inside <head> */
	unsigned pre_depth, quote_depth, list_depth;
	bool in_link;
	struct buf href;   /* target of the open <a> */
	size_t link_start; /* out->len where its text began */
};

static bool html_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static bool html_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* charref = "&#" 1*DIGIT [";"] / "&#" ("x"/"X") 1*HEXDIG [";"]
 * s[0] is '&' and s[1] '#'. Returns bytes consumed (0: not a reference). */
static size_t html_numeric_ref(const char *s, size_t size, struct buf *out)
{
	size_t i = 2;
	bool is_hex = i < size && (s[i] == 'x' || s[i] == 'X');
	if (is_hex)
		i++;
	uint32_t cp = 0;
	size_t digits = 0;
	for (; i < size && digits < 8; i++, digits++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (is_hex && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (is_hex && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		cp = cp * (is_hex ? 16 : 10) + d;
	}
	if (digits == 0)
		return 0;
	if (i < size && s[i] == ';')
		i++;
	if (cp >= 0x80 && cp <= 0x9f)
		cp = html_cp1252[cp - 0x80];
	buf_append_utf8(out, cp);
	return i;
}

/* Decodes the character reference at s (s[0] == '&') into out. A named
 * one without ';' counts only when no letter, digit or '=' follows, as
 * HTML 5 treats legacy references in attributes. Returns bytes consumed,
 * or 0 when s starts no reference (the '&' is then plain text). */
static size_t html_ref_decode(const char *s, size_t size, struct buf *out)
{
	if (size > 2 && s[1] == '#')
		return html_numeric_ref(s, size, out);
	size_t n = 1;
	while (n < size && n < HTML_ENTITY_MAX && html_is_alnum(s[n]))
		n++;
	size_t name_len = n - 1;
	bool has_semicolon = n < size && s[n] == ';';
	if (name_len == 0 || (!has_semicolon && n < size &&
	                      (html_is_alnum(s[n]) || s[n] == '=')))
		return 0;
	for (size_t e = 0; e < sizeof(html_entities) / sizeof(html_entities[0]);
	     e++) {
		if (strlen(html_entities[e].name) == name_len &&
		    memcmp(html_entities[e].name, s + 1, name_len) == 0) {
			if (html_entities[e].cp != 0)
				buf_append_utf8(out, html_entities[e].cp);
			return n + (has_semicolon ? 1 : 0);
		}
	}
	return 0;
}

static unsigned html_trailing_newlines(const struct html_state *st)
{
	unsigned n = 0;
	size_t i = st->out->len;
	while (i > st->start && n < HTML_BREAK_MAX &&
	       st->out->data[i - 1] == '\n') {
		n++;
		i--;
	}
	return n;
}

/* Pays what is owed before text: line ends (never at the very start),
 * then the quote prefix at a line start, or a space within a line. */
static void html_flush(struct html_state *st)
{
	struct buf *out = st->out;
	bool is_empty = out->len == st->start;
	if (st->breaks > 0 && !is_empty) {
		for (unsigned have = html_trailing_newlines(st);
		     have < st->breaks; have++)
			buf_append_char(out, '\n');
	}
	st->breaks = 0;
	if (is_empty || out->data[out->len - 1] == '\n') {
		for (unsigned q = 0; q < st->quote_depth; q++)
			buf_append_str(out, "> ");
	} else if (st->has_space) {
		buf_append_char(out, ' ');
	}
	st->has_space = false;
}

static void html_text_char(struct html_state *st, char c)
{
	if (st->is_hidden)
		return;
	if (st->pre_depth == 0 && html_is_space(c)) {
		st->has_space = true;
		return;
	}
	if (c == '\r')
		return;
	html_flush(st);
	buf_append_char(st->out, c);
}

static void html_text(struct html_state *st, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		html_text_char(st, s[i]);
}

static void html_owe_break(struct html_state *st, unsigned level)
{
	if (st->breaks < level)
		st->breaks = level;
}

/* attribute = name [S] "=" [S] (quoted value / unquoted value)
 * Looks for attribute name in attrs (len bytes) and appends its value,
 * references decoded, to value. Returns true if found. */
static bool html_attr(const char *attrs, size_t len, const char *name,
                      struct buf *value)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (html_is_space(attrs[i]) || attrs[i] == '/'))
			i++;
		size_t name_start = i;
		while (i < len && !html_is_space(attrs[i]) && attrs[i] != '=' &&
		       attrs[i] != '/')
			i++;
		size_t name_len = i - name_start;
		while (i < len && html_is_space(attrs[i]))
			i++;
		size_t v_start = i, v_end = i;
		if (i < len && attrs[i] == '=') {
			i++;
			while (i < len && html_is_space(attrs[i]))
				i++;
			char quote =
			    i < len && (attrs[i] == '"' || attrs[i] == '\'')
			        ? attrs[i++]
			        : 0;
			v_start = i;
			while (i < len &&
			       (quote != 0 ? attrs[i] != quote
			                   : !html_is_space(attrs[i])))
				i++;
			v_end = i;
			if (quote != 0 && i < len)
				i++;
		}
		if (name_len > 0 && strlen(name) == name_len &&
		    strncasecmp(attrs + name_start, name, name_len) == 0) {
			for (size_t k = v_start; k < v_end;) {
				size_t used =
				    attrs[k] == '&'
				        ? html_ref_decode(attrs + k, v_end - k,
				                          value)
				        : 0;
				if (used == 0)
					buf_append_char(value, attrs[k++]);
				else
					k += used;
			}
			return true;
		}
		if (name_len == 0 && i == name_start)
			i++; /* a stray '=' */
	}
	return false;
}

static bool html_starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* At </a>: writes " <target>" unless the link text already says it. */
static void html_link_end(struct html_state *st)
{
	st->in_link = false;
	const char *href = st->href.data;
	size_t href_len = st->href.len;
	if (href_len == 0 || href[0] == '#' ||
	    html_starts_with(href, href_len, "javascript:"))
		return;
	const char *text = st->out->data + st->link_start;
	size_t text_len = st->out->len - st->link_start;
	while (text_len > 0 && html_is_space(text[0])) {
		text++;
		text_len--;
	}
	const char *bare = href;
	size_t bare_len = href_len;
	if (html_starts_with(href, href_len, "mailto:")) {
		bare += 7;
		bare_len -= 7;
	}
	if ((text_len == href_len && memcmp(text, href, href_len) == 0) ||
	    (text_len == bare_len && memcmp(text, bare, bare_len) == 0))
		return;
	if (text_len > 0)
		st->has_space = true;
	html_flush(st);
	buf_append_char(st->out, '<');
	buf_append(st->out, href, href_len);
	buf_append_char(st->out, '>');
}

static void html_list_item(struct html_state *st)
{
	html_owe_break(st, 1);
	html_flush(st);
	for (unsigned d = 1; d < st->list_depth; d++)
		buf_append_str(st->out, "  ");
	buf_append_char(st->out, '-');
	st->has_space = true;
}

/* An image shows its alt text, "[Logo]"; one without says nothing. */
static void html_img(struct html_state *st, const char *attrs, size_t len)
{
	struct buf alt;
	buf_init(&alt);
	if (html_attr(attrs, len, "alt", &alt) && alt.len > 0 &&
	    !st->is_hidden) {
		html_flush(st);
		buf_printf(st->out, "[%s]", alt.data);
	}
	buf_deinit(&alt);
}

static void html_tag_start(struct html_state *st, enum html_kind kind,
                           const char *attrs, size_t attrs_len)
{
	switch (kind) {
	case HTML_LINE:
	case HTML_CELL:
		if (kind == HTML_LINE)
			html_owe_break(st, 1);
		else
			st->has_space = true;
		break;
	case HTML_PARA:
		html_owe_break(st, 2);
		break;
	case HTML_BR:
		if (st->breaks < HTML_BREAK_MAX)
			st->breaks++;
		break;
	case HTML_LI:
		html_list_item(st);
		break;
	case HTML_LIST:
		st->list_depth++;
		html_owe_break(st, st->list_depth == 1 ? 2 : 1);
		break;
	case HTML_HEAD:
		st->is_hidden = true;
		break;
	case HTML_BODY:
		st->is_hidden = false;
		break;
	case HTML_PRE:
		st->pre_depth++;
		html_owe_break(st, 2);
		break;
	case HTML_QUOTE:
		html_owe_break(st, 2);
		st->quote_depth++;
		break;
	case HTML_A:
		buf_truncate(&st->href, 0);
		html_attr(attrs, attrs_len, "href", &st->href);
		st->in_link = true;
		st->link_start = st->out->len;
		break;
	case HTML_IMG:
		html_img(st, attrs, attrs_len);
		break;
	case HTML_HR:
		html_owe_break(st, 1);
		html_flush(st);
		buf_append_str(st->out, "----------");
		html_owe_break(st, 1);
		break;
	case HTML_INLINE:
	case HTML_RAW:
		break;
	}
}

static void html_tag_end(struct html_state *st, enum html_kind kind)
{
	switch (kind) {
	case HTML_LINE:
	case HTML_LI:
		html_owe_break(st, 1);
		break;
	case HTML_CELL:
		st->has_space = true;
		break;
	case HTML_PARA:
		html_owe_break(st, 2);
		break;
	case HTML_LIST:
		if (st->list_depth > 0)
			st->list_depth--;
		html_owe_break(st, st->list_depth == 0 ? 2 : 1);
		break;
	case HTML_HEAD:
		st->is_hidden = false;
		break;
	case HTML_PRE:
		if (st->pre_depth > 0)
			st->pre_depth--;
		html_owe_break(st, 2);
		break;
	case HTML_QUOTE:
		if (st->quote_depth > 0)
			st->quote_depth--;
		html_owe_break(st, 2);
		break;
	case HTML_A:
		if (st->in_link)
			html_link_end(st);
		break;
	default:
		break;
	}
}

static enum html_kind html_kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(html_tags) / sizeof(html_tags[0]); i++)
		if (strcmp(html_tags[i].name, name) == 0)
			return html_tags[i].kind;
	return HTML_INLINE;
}

/* Returns the index of the first occurrence of needle (ASCII case-
 * insensitive) in s[from, size), or size. */
static size_t html_find(const char *s, size_t size, size_t from,
                        const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = from; i + n <= size; i++)
		if (strncasecmp(s + i, needle, n) == 0)
			return i;
	return size;
}

/* The '>' that ends a tag whose attributes start at i: quoted attribute
 * values may hold '>'. Returns its index, or size when unterminated. */
static size_t html_tag_close(const char *s, size_t size, size_t i)
{
	while (i < size && s[i] != '>') {
		if (s[i] != '=') {
			i++;
			continue;
		}
		i++;
		while (i < size && html_is_space(s[i]))
			i++;
		if (i < size && (s[i] == '"' || s[i] == '\'')) {
			const char *q = memchr(s + i + 1, s[i], size - i - 1);
			if (q != NULL)
				i = (size_t)(q - s) + 1;
		}
	}
	return i;
}

/* Skips the content of a raw element (script, style) after its start
 * tag ended at i. Returns the index after its end tag. */
static size_t html_skip_raw(const char *s, size_t size, size_t i,
                            const char *name)
{
	char end_tag[HTML_NAME_MAX + 3] = "</";
	memcpy(end_tag + 2, name, strlen(name) + 1);
	size_t at = html_find(s, size, i, end_tag);
	if (at == size)
		return size;
	const char *gt = memchr(s + at, '>', size - at);
	return gt != NULL ? (size_t)(gt - s) + 1 : size;
}

/* markup = comment / "<!" ... ">" / "<?" ... ">" / start-tag / end-tag
 * s[i] is '<'. Returns the index after the markup; a '<' that starts no
 * markup is written as text. */
static size_t html_markup(struct html_state *st, const char *s, size_t size,
                          size_t i)
{
	size_t j = i + 1;
	if (j < size && (s[j] == '!' || s[j] == '?')) {
		size_t end = html_starts_with(s + i, size - i, "<!--")
		                 ? html_find(s, size, i + 4, "-->") + 2
		                 : html_find(s, size, j, ">");
		return end < size ? end + 1 : size;
	}
	bool is_end = j < size && s[j] == '/';
	if (is_end)
		j++;
	if (j >= size ||
	    !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) {
		html_text_char(st, '<');
		return i + 1;
	}
	char name[HTML_NAME_MAX + 1];
	size_t n = 0;
	bool is_long = false;
	for (; j < size && html_is_alnum(s[j]); j++) {
		if (n < HTML_NAME_MAX)
			name[n++] = (char)(s[j] | 0x20);
		else
			is_long = true;
	}
	name[is_long ? 0 : n] = '\0';
	size_t close = html_tag_close(s, size, j);
	enum html_kind kind = html_kind_of(name);
	if (is_end) {
		html_tag_end(st, kind);
	} else {
		html_tag_start(st, kind, s + j, close - j);
		if (kind == HTML_RAW && close < size)
			return html_skip_raw(s, size, close + 1, name);
	}
	return close < size ? close + 1 : size;
}

void mime_html_to_text(const char *html, size_t size, struct buf *out)
{
	struct html_state st = {.out = out, .start = out->len};
	buf_init(&st.href);
	struct buf ref;
	buf_init(&ref);
	size_t i = 0;
	while (i < size) {
		if (html[i] == '<') {
			i = html_markup(&st, html, size, i);
			continue;
		}
		size_t used = 0;
		if (html[i] == '&') {
			buf_truncate(&ref, 0);
			used = html_ref_decode(html + i, size - i, &ref);
			html_text(&st, ref.data, ref.len);
		}
		if (used == 0)
			html_text_char(&st, html[i++]);
		else
			i += used;
	}
	if (out->len > st.start && out->data[out->len - 1] != '\n')
		buf_append_char(out, '\n');
	buf_deinit(&ref);
	buf_deinit(&st.href);
}

static bool html_is_charset_char(unsigned char c)
{
	return html_is_alnum((char)c) || c == '-' || c == '_' || c == '.' ||
	       c == ':';
}

const char *mime_html_charset(const unsigned char *html, size_t size,
                              char *charset_r, size_t charset_size)
{
	const char *s = (const char *)html;
	size_t limit = size < HTML_CHARSET_SCAN ? size : HTML_CHARSET_SCAN;
	for (size_t at = html_find(s, limit, 0, "<meta"); at < limit;
	     at = html_find(s, limit, at + 5, "<meta")) {
		size_t close = html_tag_close(s, limit, at + 5);
		size_t c = html_find(s, close, at, "charset");
		if (c == close)
			continue;
		c += 7;
		while (c < close && (html_is_space(s[c]) || s[c] == '=' ||
		                     s[c] == '"' || s[c] == '\''))
			c++;
		size_t n = 0;
		while (c + n < close && html_is_charset_char(html[c + n]) &&
		       n + 1 < charset_size)
			n++;
		if (n == 0)
			continue;
		memcpy(charset_r, s + c, n);
		charset_r[n] = '\0';
		return charset_r;
	}
	return NULL;
}
