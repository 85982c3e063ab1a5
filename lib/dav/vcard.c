/* vCard parsing (vcard.h): RFC 6350 §3.2 unfolding, §3.3 content lines
 * with groups and parameters, §3.4 value escapes, RFC 6868 parameter
 * value escapes; vCard 3.0 (RFC 2426) and the 2.1 habit of bare parameter
 * values ("TEL;HOME:") are read too. The input is untrusted: every loop is
 * bounded by the input or by the limits in struct vcard_settings, and a
 * NUL byte is an error rather than a silent truncation. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/vcard.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* values of one parameter the parser takes ("TYPE=a,b,...") */
#define VCARD_PARAM_VALUES_MAX 64
#include <strings.h>

/* A card being read: properties collected on the heap, moved into the
 * pool when the card is complete. */
struct vcard_build {
	struct vcard_property *props;
	size_t count, cap;
};

void vcard_settings_init(struct vcard_settings *set)
{
	set->max_line_len = VCARD_DEFAULT_MAX_LINE_LEN;
	set->max_properties = VCARD_DEFAULT_MAX_PROPERTIES;
	set->max_cards = VCARD_DEFAULT_MAX_CARDS;
}

void vcard_parser_init(struct vcard_parser *parser, const unsigned char *data,
                       size_t size, const struct vcard_settings *set)
{
	memset(parser, 0, sizeof(*parser));
	parser->data = data;
	parser->size = size;
	parser->line = 1;
	parser->set = set;
}

static int parse_fail(struct vcard_parser *parser, unsigned line,
                      struct pool *pool, const char *what, const char **error_r)
{
	*error_r = pool_printf(pool, "line %u: %s", line, what);
	/* nothing more can be read after an error */
	parser->pos = parser->size;
	return -1;
}

/* RFC 6350 §3.2: a line break followed by one space or tab is removed
 * with that space or tab. Reads one logical line into *line_r (from pool,
 * without its line break). Returns 1, 0 at the end of input, or -1. */
static int line_read(struct vcard_parser *parser, struct pool *pool,
                     char **line_r, unsigned *line_no_r, const char **error_r)
{
	const unsigned char *d = parser->data;
	if (parser->pos >= parser->size)
		return 0;
	struct buf line;
	buf_init(&line);
	*line_no_r = parser->line;
	size_t pos = parser->pos;
	int ret = 1;
	for (;;) {
		const unsigned char *nl =
		    memchr(d + pos, '\n', parser->size - pos);
		size_t eol = nl == NULL ? parser->size : (size_t)(nl - d);
		size_t end = eol > pos && d[eol - 1] == '\r' ? eol - 1 : eol;
		if (memchr(d + pos, '\0', end - pos) != NULL) {
			ret = parse_fail(parser, parser->line, pool, "NUL byte",
			                 error_r);
			break;
		}
		if (line.len + (end - pos) > parser->set->max_line_len) {
			ret = parse_fail(parser, *line_no_r, pool,
			                 "line too long", error_r);
			break;
		}
		/* A CR inside a line is not allowed (VALUE-CHAR, §3.3):
		 * dropped, as the writer drops it, so text survives a round
		 * trip unchanged. */
		for (size_t i = pos; i < end; i++) {
			if (d[i] != '\r')
				buf_append_char(&line, (char)d[i]);
		}
		pos = eol < parser->size ? eol + 1 : eol;
		parser->line++;
		if (pos >= parser->size || (d[pos] != ' ' && d[pos] != '\t'))
			break;
		pos++; /* the folding whitespace */
	}
	if (ret == 1) {
		parser->pos = pos;
		*line_r = pool_strndup(pool, line.data, line.len);
	}
	buf_deinit(&line);
	return ret;
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* name = 1*(ALPHA / DIGIT / "-"). Uppercases in place; returns the end. */
static char *token_scan(char *p)
{
	for (; is_name_char((unsigned char)*p); p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return p;
}

/* RFC 6868 §3: ^n is a line break, ^' a DQUOTE, ^^ a caret; any other
 * caret stays as it is. Decodes in place. */
static void caret_decode(char *s)
{
	char *out = s;
	for (const char *p = s; *p != '\0'; p++) {
		if (p[0] == '^' && (p[1] == 'n' || p[1] == 'N')) {
			*out++ = '\n';
			p++;
		} else if (p[0] == '^' && p[1] == '\'') {
			*out++ = '"';
			p++;
		} else if (p[0] == '^' && p[1] == '^') {
			*out++ = '^';
			p++;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

/* param-value = *SAFE-CHAR / DQUOTE *QSAFE-CHAR DQUOTE. Cuts the value
 * at *pp in place and returns it; *pp is left on the byte after it. */
static char *param_value_scan(char **pp, bool *is_bad_r)
{
	char *p = *pp, *value;
	if (*p == '"') {
		value = ++p;
		char *q = strchr(p, '"');
		if (q == NULL) {
			*is_bad_r = true;
			return NULL;
		}
		*q = '\0';
		p = q + 1;
	} else {
		value = p;
		p += strcspn(p, ",;:");
		/* cut after reading the separator, which the caller needs */
	}
	*pp = p;
	return value;
}

/* param = param-name "=" param-value *("," param-value), or a 2.1-style
 * bare value taken as TYPE. *pp is on the byte after ';'. Returns 0 or
 * -1 (malformed). */
static int param_parse(char **pp, struct pool *pool, struct vcard_param *param)
{
	char *p = *pp, *name = p;
	p = token_scan(p);
	if (p == name)
		return -1;
	const char *values[VCARD_PARAM_VALUES_MAX];
	size_t count = 0;
	if (*p != '=') {
		/* "TEL;HOME;VOICE:..." (vCard 2.1, still seen in 3.0 files) */
		char sep = *p;
		*p = '\0';
		param->name = "TYPE";
		values[count++] = name;
		*p = sep;
		*pp = p;
		goto done;
	}
	*p++ = '\0';
	param->name = name;
	for (;;) {
		bool is_bad = false;
		char *value = param_value_scan(&p, &is_bad);
		if (is_bad || count == sizeof(values) / sizeof(*values))
			return -1;
		char sep = *p;
		values[count++] = value;
		if (sep != ',')
			break;
		*p++ = '\0';
	}
	*pp = p;
done:
	param->values = pool_alloc(pool, count * sizeof(*param->values));
	memcpy(param->values, values, count * sizeof(*values));
	param->value_count = count;
	return 0;
}

/* Decodes the RFC 6868 escapes of param's values, which are all cut
 * (NUL-terminated) once the whole line has been read. */
static void param_finish(struct vcard_param *param, struct pool *pool)
{
	for (size_t i = 0; i < param->value_count; i++) {
		char *copy = pool_strdup(pool, param->values[i]);
		caret_decode(copy);
		param->values[i] = copy;
	}
}

/* contentline = [group "."] name *(";" param) ":" value (RFC 6350 §3.3).
 * line is from pool and is cut up in place. Returns 0 or -1. */
static int property_parse(char *line, struct pool *pool,
                          struct vcard_property *prop)
{
	memset(prop, 0, sizeof(*prop));
	char *p = token_scan(line);
	if (p == line)
		return -1;
	if (*p == '.') {
		*p = '\0';
		prop->group = line;
		char *name = ++p;
		p = token_scan(p);
		if (p == name)
			return -1;
		prop->name = name;
	} else {
		prop->name = line;
	}
	struct vcard_param params[64];
	size_t count = 0;
	while (*p == ';') {
		*p++ = '\0';
		if (count == sizeof(params) / sizeof(*params) ||
		    param_parse(&p, pool, &params[count]) < 0)
			return -1;
		count++;
	}
	if (*p != ':')
		return -1;
	*p = '\0';
	prop->value = p + 1;
	for (size_t i = 0; i < count; i++)
		param_finish(&params[i], pool);
	prop->params = pool_alloc(pool, count * sizeof(*params) + 1);
	memcpy(prop->params, params, count * sizeof(*params));
	prop->param_count = count;
	return 0;
}

/* RFC 6350 §3.4: \n (or \N) is a line break, \\ \, \; stand for
 * themselves; 3.0 writers also escape ':'. Another escaped byte stands
 * for itself, and a lone trailing backslash is kept. Returns value
 * [0..len) unescaped, from pool. */
static char *text_unescape(const char *value, size_t len, struct pool *pool)
{
	char *out = pool_alloc(pool, len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (value[i] != '\\' || i + 1 == len) {
			*o++ = value[i];
			continue;
		}
		char c = value[++i];
		*o++ = c == 'n' || c == 'N' ? '\n' : c;
	}
	*o = '\0';
	return out;
}

/* Splits a structured value (N, ORG) at unescaped ';' into at most max
 * unescaped components; the missing ones are "". Returns the count. */
static size_t structured_split(const char *value, struct pool *pool,
                               const char **parts, size_t max)
{
	size_t count = 0;
	const char *start = value, *p = value;
	for (; count < max; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != ';' && *p != '\0')
			continue;
		parts[count++] =
		    text_unescape(start, (size_t)(p - start), pool);
		if (*p == '\0')
			break;
		start = p + 1;
	}
	for (size_t i = count; i < max; i++)
		parts[i] = "";
	return count;
}

/* Appends the comma-separated items of one TYPE value to types,
 * lowercased; empty items are skipped and "pref" (3.0) sets *pref_r. */
static void types_append(struct buf *types, const char *value, unsigned *pref_r)
{
	for (const char *p = value;; p++) {
		size_t len = strcspn(p, ",");
		if (len == 4 && strncasecmp(p, "pref", 4) == 0) {
			if (*pref_r == 0)
				*pref_r = 1;
		} else if (len > 0) {
			if (types->len > 0)
				buf_append_char(types, ',');
			for (size_t i = 0; i < len; i++) {
				char c = p[i];
				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				buf_append_char(types, c);
			}
		}
		p += len;
		if (*p == '\0')
			break;
	}
}

/* TYPE values lowercased and comma-joined, without "pref"; PREF or a 3.0
 * TYPE=pref into *pref_r. */
static const char *typed_params(const struct vcard_property *prop,
                                struct pool *pool, unsigned *pref_r)
{
	struct buf types;
	buf_init(&types);
	*pref_r = 0;
	for (size_t i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];
		for (size_t j = 0; j < param->value_count; j++) {
			const char *v = param->values[j];
			if (strcmp(param->name, "PREF") == 0) {
				long n = strtol(v, NULL, 10);
				*pref_r = n >= 1 && n <= 100 ? (unsigned)n : 0;
			} else if (strcmp(param->name, "TYPE") == 0) {
				types_append(&types, v, pref_r);
			}
		}
	}
	char *ret = pool_strndup(pool, types.data, types.len);
	buf_deinit(&types);
	return ret;
}

/* Returns true if prop has VALUE=uri. */
static bool is_uri_value(const struct vcard_property *prop)
{
	for (size_t i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];
		if (strcmp(param->name, "VALUE") == 0 &&
		    param->value_count == 1 &&
		    strcasecmp(param->values[0], "uri") == 0)
			return true;
	}
	return false;
}

static void typed_add(struct vcard_typed **list, size_t *count,
                      const struct vcard_property *prop, struct pool *pool)
{
	struct vcard_typed *n = pool_alloc(pool, (*count + 1) * sizeof(*n));
	if (*count > 0)
		memcpy(n, *list, *count * sizeof(*n));
	struct vcard_typed *t = &n[*count];
	const char *value = prop->value;
	/* a 4.0 TEL is often a tel: URI (RFC 3966); it is written back as
	 * text, which RFC 6350 §6.4.1 allows */
	if (strcmp(prop->name, "TEL") == 0 && is_uri_value(prop) &&
	    strncasecmp(value, "tel:", 4) == 0)
		value += 4;
	t->value = text_unescape(value, strlen(value), pool);
	t->types = typed_params(prop, pool, &t->pref);
	*list = n;
	(*count)++;
}

/* Sets *field to prop's unescaped value unless an earlier line did. */
static void text_once(const char **field, const struct vcard_property *prop,
                      struct pool *pool)
{
	if (*field == NULL)
		*field = text_unescape(prop->value, strlen(prop->value), pool);
}

/* Fills the common fields of card from one property. */
static void card_interpret(struct vcard *card,
                           const struct vcard_property *prop, struct pool *pool)
{
	const char *name = prop->name;
	if (strcmp(name, "VERSION") == 0) {
		card->version = strncmp(prop->value, "4.", 2) == 0
		                    ? VCARD_VERSION_4
		                    : VCARD_VERSION_3;
	} else if (strcmp(name, "UID") == 0) {
		text_once(&card->uid, prop, pool);
	} else if (strcmp(name, "FN") == 0) {
		text_once(&card->fn, prop, pool);
	} else if (strcmp(name, "NOTE") == 0) {
		text_once(&card->note, prop, pool);
	} else if (strcmp(name, "REV") == 0) {
		text_once(&card->rev, prop, pool);
	} else if (strcmp(name, "ORG") == 0 && card->org == NULL) {
		structured_split(prop->value, pool, &card->org, 1);
	} else if (strcmp(name, "N") == 0 && card->n.family == NULL) {
		const char *parts[5];
		structured_split(prop->value, pool, parts, 5);
		card->n = (struct vcard_name){parts[0], parts[1], parts[2],
		                              parts[3], parts[4]};
	} else if (strcmp(name, "EMAIL") == 0) {
		typed_add(&card->emails, &card->email_count, prop, pool);
	} else if (strcmp(name, "TEL") == 0) {
		typed_add(&card->tels, &card->tel_count, prop, pool);
	}
}

/* Moves the collected properties into a new card from pool. */
static struct vcard *card_finish(struct vcard_build *build,
                                 const unsigned char *raw, size_t raw_size,
                                 struct pool *pool)
{
	struct vcard *card = pool_alloc(pool, sizeof(*card));
	card->version = VCARD_VERSION_3;
	card->props = pool_alloc(pool, build->count * sizeof(*card->props) + 1);
	if (build->count > 0)
		memcpy(card->props, build->props,
		       build->count * sizeof(*card->props));
	card->prop_count = build->count;
	for (size_t i = 0; i < card->prop_count; i++)
		card_interpret(card, &card->props[i], pool);
	card->raw = pool_strndup(pool, (const char *)raw, raw_size);
	card->raw_size = raw_size;
	return card;
}

static bool is_begin_end(const struct vcard_property *prop, const char *what)
{
	return strcmp(prop->name, what) == 0 &&
	       strcasecmp(prop->value, "VCARD") == 0 && prop->group == NULL;
}

/* Reads the lines of one card after its BEGIN into build, up to and
 * including END. Returns 1, or -1 with *error_r. */
static int card_read(struct vcard_parser *parser, struct pool *pool,
                     struct vcard_build *build, const char **error_r)
{
	for (;;) {
		char *line;
		unsigned line_no;
		int ret = line_read(parser, pool, &line, &line_no, error_r);
		if (ret <= 0)
			return ret < 0 ? -1
			               : parse_fail(parser, parser->line, pool,
			                            "no END:VCARD", error_r);
		if (line[0] == '\0')
			continue; /* blank lines are harmless */
		struct vcard_property prop;
		if (property_parse(line, pool, &prop) < 0)
			return parse_fail(parser, line_no, pool,
			                  "malformed content line", error_r);
		if (is_begin_end(&prop, "END"))
			return 1;
		if (is_begin_end(&prop, "BEGIN"))
			return parse_fail(parser, line_no, pool,
			                  "BEGIN:VCARD inside a card", error_r);
		if (build->count == parser->set->max_properties)
			return parse_fail(parser, line_no, pool,
			                  "too many properties", error_r);
		if (build->count == build->cap) {
			build->cap = build->cap == 0 ? 16 : build->cap * 2;
			build->props = xrealloc(
			    build->props, build->cap * sizeof(*build->props));
		}
		build->props[build->count++] = prop;
	}
}

/* Skips blank lines and reads BEGIN:VCARD. Returns 1, 0 at the end of
 * input, -1. */
static int card_begin(struct vcard_parser *parser, struct pool *pool,
                      size_t *start_r, const char **error_r)
{
	for (;;) {
		size_t start = parser->pos;
		char *line;
		unsigned line_no;
		int ret = line_read(parser, pool, &line, &line_no, error_r);
		if (ret <= 0)
			return ret;
		if (line[0] == '\0')
			continue;
		struct vcard_property prop;
		if (property_parse(line, pool, &prop) < 0 ||
		    !is_begin_end(&prop, "BEGIN"))
			return parse_fail(parser, line_no, pool,
			                  "expected BEGIN:VCARD", error_r);
		if (parser->cards == parser->set->max_cards)
			return parse_fail(parser, line_no, pool,
			                  "too many cards", error_r);
		*start_r = start;
		return 1;
	}
}

int vcard_parser_next(struct vcard_parser *parser, struct pool *pool,
                      struct vcard **card_r, const char **error_r)
{
	size_t start;
	int ret = card_begin(parser, pool, &start, error_r);
	if (ret <= 0)
		return ret;
	struct vcard_build build = {0};
	ret = card_read(parser, pool, &build, error_r);
	if (ret == 1) {
		*card_r = card_finish(&build, parser->data + start,
		                      parser->pos - start, pool);
		parser->cards++;
	}
	free(build.props);
	return ret;
}

int vcard_parse(const unsigned char *data, size_t size,
                const struct vcard_settings *set, struct pool *pool,
                struct vcard ***cards_r, size_t *count_r, const char **error_r)
{
	struct vcard_parser parser;
	vcard_parser_init(&parser, data, size, set);
	struct vcard **cards = NULL;
	size_t count = 0, cap = 0;
	struct vcard *card;
	int ret;
	while ((ret = vcard_parser_next(&parser, pool, &card, error_r)) > 0) {
		if (count == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			cards = xrealloc(cards, cap * sizeof(*cards));
		}
		cards[count++] = card;
	}
	if (ret == 0) {
		*cards_r = pool_alloc(pool, count * sizeof(*cards) + 1);
		if (count > 0)
			memcpy(*cards_r, cards, count * sizeof(*cards));
		*count_r = count;
	}
	free(cards);
	return ret;
}

/* RFC 6350 §6.7.9 (and RFC 2426 §3.6.9): VERSION 4.0 or 3.0. */
static bool vcard_has_version(const struct vcard *card)
{
	for (size_t i = 0; i < card->prop_count; i++) {
		if (strcmp(card->props[i].name, "VERSION") == 0)
			return strcmp(card->props[i].value, "4.0") == 0 ||
			       strcmp(card->props[i].value, "3.0") == 0;
	}
	return false;
}

char *vcard_unescape(const char *value, struct pool *pool)
{
	return text_unescape(value, strlen(value), pool);
}

int vcard_parse_resource(const unsigned char *data, size_t size,
                         const struct vcard_settings *set, struct pool *pool,
                         struct vcard **card_r, const char **error_r)
{
	struct vcard **cards;
	size_t count;
	if (vcard_parse(data, size, set, pool, &cards, &count, error_r) < 0) {
		*error_r = pool_printf(pool, "invalid vCard: %s", *error_r);
		return -1;
	}
	const char *why = NULL;
	if (count != 1)
		why = count == 0 ? "no vCard" : "more than one vCard";
	else if (cards[0]->uid == NULL || cards[0]->uid[0] == '\0')
		why = "vCard without UID";
	else if (cards[0]->fn == NULL)
		why = "vCard without FN";
	else if (!vcard_has_version(cards[0]))
		why = "vCard without VERSION 3.0 or 4.0";
	if (why != NULL) {
		*error_r = pool_printf(pool, "invalid vCard: %s", why);
		return -1;
	}
	*card_r = cards[0];
	return 0;
}

/* ---- Writing vCard 4.0 ---------------------------------------------- */

#define VCARD_FOLD_OCTETS 75

/* Octets of the UTF-8 sequence at s[0..len): its lead byte's length as
 * far as continuation bytes follow, else 1. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t want = s[0] < 0xc0 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	size_t n = 1;
	while (n < want && n < len && (s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* RFC 6350 §3.2: lines of at most 75 octets, continued after CRLF and a
 * space; a multi-octet character is never split. Appends line + CRLF. */
static void line_fold(const struct buf *line, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)line->data;
	size_t col = 0;
	for (size_t i = 0; i < line->len;) {
		size_t n = utf8_seq_len(s + i, line->len - i);
		if (col + n > VCARD_FOLD_OCTETS) {
			buf_append(out, "\r\n ", 3);
			col = 1;
		}
		buf_append(out, s + i, n);
		col += n;
		i += n;
	}
	buf_append(out, "\r\n", 2);
}

/* §3.4 escapes; a ',' is left alone when it separates list values (the
 * components of N). A CR is dropped: line breaks are written as \n. */
static void text_escape(const char *text, bool is_list, struct buf *out)
{
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			buf_append(out, "\\\\", 2);
			break;
		case '\n':
			buf_append(out, "\\n", 2);
			break;
		case '\r':
			break;
		case ';':
			buf_append(out, "\\;", 2);
			break;
		case ',':
			buf_append(out, is_list ? "," : "\\,", is_list ? 1 : 2);
			break;
		default:
			buf_append_char(out, *p);
		}
	}
}

void vcard_escape(const char *text, struct buf *out)
{
	text_escape(text, false, out);
}

/* param-value: RFC 6868 ^-escapes, and DQUOTEs around a value holding
 * ':' ';' or ',' (RFC 6350 §3.3). */
static void param_value_write(const char *value, size_t len, struct buf *out)
{
	bool is_quoted = strcspn(value, ":;,") < len;
	if (is_quoted)
		buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '^')
			buf_append(out, "^^", 2);
		else if (value[i] == '\n')
			buf_append(out, "^n", 2);
		else if (value[i] == '"')
			buf_append(out, "^'", 2);
		else if (value[i] != '\r')
			buf_append_char(out, value[i]);
	}
	if (is_quoted)
		buf_append_char(out, '"');
}

static void property_write(const struct vcard_property *prop, struct buf *line)
{
	if (prop->group != NULL)
		buf_printf(line, "%s.", prop->group);
	buf_append_str(line, prop->name);
	for (size_t i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];
		buf_printf(line, ";%s=", param->name);
		for (size_t j = 0; j < param->value_count; j++) {
			if (j > 0)
				buf_append_char(line, ',');
			param_value_write(param->values[j],
			                  strlen(param->values[j]), line);
		}
	}
	buf_append_char(line, ':');
	buf_append_str(line, prop->value);
}

void vcard_property_write(const struct vcard_property *prop, struct buf *out)
{
	struct buf line;
	buf_init(&line);
	property_write(prop, &line);
	line_fold(&line, out);
	buf_deinit(&line);
}

/* EMAIL or TEL with ;TYPE=a,b and ;PREF=n. */
static void typed_write(const char *name, const struct vcard_typed *t,
                        struct buf *line)
{
	buf_append_str(line, name);
	if (t->types != NULL && t->types[0] != '\0') {
		buf_append_str(line, ";TYPE=");
		const char *p = t->types;
		for (size_t n = 1;; n++) {
			size_t len = strcspn(p, ",");
			param_value_write(p, len, line);
			if (p[len] == '\0')
				break;
			/* types from several TYPE parameters were joined: a
			 * new parameter every VCARD_PARAM_VALUES_MAX keeps
			 * each within what the parser takes */
			buf_append_str(line, n % VCARD_PARAM_VALUES_MAX == 0
			                         ? ";TYPE="
			                         : ",");
			p += len + 1;
		}
	}
	if (t->pref > 0)
		buf_printf(line, ";PREF=%u", t->pref);
	buf_append_char(line, ':');
	text_escape(t->value, false, line);
}

static bool is_written_from_fields(const char *name)
{
	static const char *const names[] = {
	    "BEGIN", "END",   "VERSION", "PRODID", "UID",  "FN",
	    "N",     "EMAIL", "TEL",     "ORG",    "NOTE", "REV",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (strcmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

/* Appends "NAME:" and the escaped text as one folded line. */
static void text_line(const char *name, const char *text, struct buf *line,
                      struct buf *out)
{
	buf_truncate(line, 0);
	buf_printf(line, "%s:", name);
	text_escape(text, false, line);
	line_fold(line, out);
}

static void name_write(const struct vcard_name *n, struct buf *line,
                       struct buf *out)
{
	const char *parts[] = {n->family, n->given, n->additional, n->prefixes,
	                       n->suffixes};
	buf_truncate(line, 0);
	buf_append_str(line, "N:");
	for (size_t i = 0; i < 5; i++) {
		if (i > 0)
			buf_append_char(line, ';');
		text_escape(parts[i] == NULL ? "" : parts[i], true, line);
	}
	line_fold(line, out);
}

void vcard_write(const struct vcard *card, struct buf *out)
{
	struct buf line;
	buf_init(&line);
	buf_append_str(out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
	if (card->uid != NULL)
		text_line("UID", card->uid, &line, out);
	text_line("FN", card->fn == NULL ? "" : card->fn, &line, out);
	if (card->n.family != NULL || card->n.given != NULL)
		name_write(&card->n, &line, out);
	for (size_t i = 0; i < card->email_count; i++) {
		buf_truncate(&line, 0);
		typed_write("EMAIL", &card->emails[i], &line);
		line_fold(&line, out);
	}
	for (size_t i = 0; i < card->tel_count; i++) {
		buf_truncate(&line, 0);
		typed_write("TEL", &card->tels[i], &line);
		line_fold(&line, out);
	}
	if (card->org != NULL)
		text_line("ORG", card->org, &line, out);
	if (card->note != NULL)
		text_line("NOTE", card->note, &line, out);
	if (card->rev != NULL)
		text_line("REV", card->rev, &line, out);
	for (size_t i = 0; i < card->prop_count; i++) {
		if (is_written_from_fields(card->props[i].name))
			continue;
		buf_truncate(&line, 0);
		property_write(&card->props[i], &line);
		line_fold(&line, out);
	}
	buf_append_str(out, "END:VCARD\r\n");
	buf_deinit(&line);
}
