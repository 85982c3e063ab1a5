/* The config file reader (STYLE.md §7): "key = value" lines, "# comments",
 * and "[section]" headers. Each section is described by a table of
 * struct setting_def (name, type, offset, default, description), after Redis
 * src/config.c and Dovecot src/imap/imap-settings.c; the reader fills a
 * struct from it and names the file, line, key and problem on any error. */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;
struct buf;

enum setting_type {
	SETTING_STRING,   /* char * (heap) */
	SETTING_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
	SETTING_UINT,     /* unsigned */
	SETTING_PORT,     /* unsigned, 0 (off) .. 65535 */
	SETTING_SIZE,     /* uint64_t bytes; suffixes k, M, G (1024-based) */
	SETTING_DURATION, /* unsigned seconds; suffixes s, m, h, d */
};

struct setting_def {
	const char *name;
	enum setting_type type;
	size_t offset; /* offsetof() in the section's struct */
	const char *default_value;
	const char *description;
};

struct config_section {
	const char *name; /* "" for the keys before any [section] */
	const struct setting_def *defs;
	size_t def_count;
	size_t offset; /* of the section's struct inside the whole settings */
};

/* Sets every setting of every section to its default. */
void config_defaults(void *settings, const struct config_section *sections,
		     size_t section_count);
/* Reads path over the current values. Returns 0, or -1 with
 * "path:line: key 'k': problem" allocated from pool in *error_r. */
int config_read(void *settings, const struct config_section *sections,
		size_t section_count, const char *path, struct pool *pool,
		const char **error_r);
/* Parses one value into *dest (of def's type). Returns 0, or -1 with a
 * static reason in *error_r. */
int config_parse_value(const struct setting_def *def, const char *value,
		       void *dest, const char **error_r);
/* Frees the heap strings of every section. */
void config_free(void *settings, const struct config_section *sections,
		 size_t section_count);
/* Appends "[section]\nkey = value\n" lines of the effective values. */
void config_print(const void *settings, const struct config_section *sections,
		  size_t section_count, struct buf *out);

#endif
