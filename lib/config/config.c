/* Config file reader over declarative setting tables. */
#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX (1024 * 1024)

static void *field(void *settings, const struct config_section *sec,
		   const struct setting_def *def)
{
	return (char *)settings + sec->offset + def->offset;
}

static int parse_uint(const char *value, uint64_t max, uint64_t *out)
{
	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_scaled(const char *value, const char *suffixes,
			const uint64_t *scales, uint64_t max, uint64_t *out)
{
	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno != 0)
		return -1;
	uint64_t scale = 1;
	if (*end != '\0') {
		const char *s = strchr(suffixes, *end);
		if (s == NULL || end[1] != '\0')
			return -1;
		scale = scales[s - suffixes];
	}
	if (v > max / scale)
		return -1;
	*out = v * scale;
	return 0;
}

int config_parse_value(const struct setting_def *def, const char *value,
		       void *dest, const char **error_r)
{
	uint64_t v;
	switch (def->type) {
	case SETTING_STRING:
		free(*(char **)dest);
		*(char **)dest = xstrdup(value);
		return 0;
	case SETTING_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
			*(bool *)dest = true;
		} else if (strcmp(value, "no") == 0 ||
			   strcmp(value, "false") == 0 ||
			   strcmp(value, "off") == 0 ||
			   strcmp(value, "0") == 0) {
			*(bool *)dest = false;
		} else {
			*error_r = "expected yes or no";
			return -1;
		}
		return 0;
	case SETTING_UINT:
		if (parse_uint(value, UINT32_MAX, &v) < 0) {
			*error_r = "expected a whole number";
			return -1;
		}
		*(unsigned *)dest = (unsigned)v;
		return 0;
	case SETTING_PORT:
		if (parse_uint(value, 65535, &v) < 0) {
			*error_r = "expected a port number 0-65535 (0 is off)";
			return -1;
		}
		*(unsigned *)dest = (unsigned)v;
		return 0;
	case SETTING_SIZE: {
		static const uint64_t scales[] = { 1024, 1024, 1048576,
						   1073741824 };
		if (parse_scaled(value, "kKMG", scales, UINT64_MAX, &v) < 0) {
			*error_r = "expected a size like 4096, 512k, 50M or 2G";
			return -1;
		}
		*(uint64_t *)dest = v;
		return 0;
	}
	case SETTING_DURATION: {
		static const uint64_t scales[] = { 1, 60, 3600, 86400 };
		if (parse_scaled(value, "smhd", scales, UINT32_MAX, &v) < 0) {
			*error_r = "expected a duration like 30s, 5m, 2h or 5d";
			return -1;
		}
		*(unsigned *)dest = (unsigned)v;
		return 0;
	}
	}
	*error_r = "unknown setting type";
	return -1;
}

void config_defaults(void *settings, const struct config_section *sections,
		     size_t section_count)
{
	for (size_t s = 0; s < section_count; s++) {
		const struct config_section *sec = &sections[s];
		for (size_t i = 0; i < sec->def_count; i++) {
			const char *error;
			const struct setting_def *def = &sec->defs[i];
			if (config_parse_value(def, def->default_value,
					       field(settings, sec, def),
					       &error) < 0) {
				fprintf(stderr, "bad default for %s: %s\n",
					def->name, error);
				abort();
			}
		}
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static const struct config_section *
find_section(const struct config_section *sections, size_t count,
	     const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	}
	return NULL;
}

static const struct setting_def *find_def(const struct config_section *sec,
					  const char *name)
{
	for (size_t i = 0; i < sec->def_count; i++) {
		if (strcmp(sec->defs[i].name, name) == 0)
			return &sec->defs[i];
	}
	return NULL;
}

/* line = [ "[" name "]" / key *WSP "=" *WSP value ] [ "#" comment ] */
int config_read(void *settings, const struct config_section *sections,
		size_t section_count, const char *path, struct pool *pool,
		const char **error_r)
{
	struct buf text;
	buf_init(&text);
	if (file_read_all(path, &text, CONFIG_FILE_MAX) < 0) {
		*error_r = pool_printf(pool, "%s: cannot read: %s", path,
				       strerror(errno));
		buf_deinit(&text);
		return -1;
	}
	if (memchr(text.data, '\0', text.len) != NULL) {
		*error_r = pool_printf(pool, "%s: contains a NUL byte", path);
		buf_deinit(&text);
		return -1;
	}
	const struct config_section *sec =
		find_section(sections, section_count, "");
	const char *sec_name = "";
	unsigned lineno = 0;
	int ret = 0;
	char *save = NULL;
	for (char *line = text.data; line != NULL && ret == 0; line = save) {
		char *nl = strchr(line, '\n');
		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (close == NULL || close[1] != '\0') {
				*error_r = pool_printf(pool,
					"%s:%u: malformed section header",
					path, lineno);
				ret = -1;
				break;
			}
			*close = '\0';
			sec_name = trim(s + 1);
			sec = find_section(sections, section_count, sec_name);
			if (sec == NULL || sec_name[0] == '\0') {
				*error_r = pool_printf(pool,
					"%s:%u: unknown section [%s]", path,
					lineno, sec_name);
				ret = -1;
			}
			sec_name = pool_strdup(pool, sec_name);
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			*error_r = pool_printf(pool,
				"%s:%u: expected 'key = value'", path, lineno);
			ret = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		const struct setting_def *def =
			sec != NULL ? find_def(sec, key) : NULL;
		if (def == NULL) {
			*error_r = pool_printf(pool,
				"%s:%u: key '%s': unknown key%s%s%s", path,
				lineno, key, sec_name[0] ? " in [" : "",
				sec_name, sec_name[0] ? "]" : "");
			ret = -1;
			break;
		}
		const char *why;
		if (config_parse_value(def, value, field(settings, sec, def),
				       &why) < 0) {
			*error_r = pool_printf(pool,
				"%s:%u: key '%s': bad value '%s': %s", path,
				lineno, key, value, why);
			ret = -1;
		}
	}
	buf_deinit(&text);
	return ret;
}

void config_free(void *settings, const struct config_section *sections,
		 size_t section_count)
{
	for (size_t s = 0; s < section_count; s++) {
		for (size_t i = 0; i < sections[s].def_count; i++) {
			const struct setting_def *def = &sections[s].defs[i];
			if (def->type == SETTING_STRING) {
				char **p = field(settings, &sections[s], def);
				free(*p);
				*p = NULL;
			}
		}
	}
}

void config_print(const void *settings, const struct config_section *sections,
		  size_t section_count, struct buf *out)
{
	for (size_t s = 0; s < section_count; s++) {
		const struct config_section *sec = &sections[s];
		if (sec->name[0] != '\0')
			buf_printf(out, "\n[%s]\n", sec->name);
		for (size_t i = 0; i < sec->def_count; i++) {
			const struct setting_def *def = &sec->defs[i];
			const void *p = field((void *)settings, sec, def);
			buf_printf(out, "%s = ", def->name);
			switch (def->type) {
			case SETTING_STRING:
				buf_append_str(out, *(char *const *)p);
				break;
			case SETTING_BOOL:
				buf_append_str(out, *(const bool *)p ? "yes" : "no");
				break;
			case SETTING_UINT:
			case SETTING_PORT:
			case SETTING_DURATION:
				buf_printf(out, "%u", *(const unsigned *)p);
				if (def->type == SETTING_DURATION)
					buf_append_char(out, 's');
				break;
			case SETTING_SIZE:
				buf_printf(out, "%" PRIu64, *(const uint64_t *)p);
				break;
			}
			buf_append_char(out, '\n');
		}
	}
}
