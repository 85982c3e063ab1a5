/* Records exchanged between processes over UNIX sockets (STYLE.md §6): one
 * line per record, a verb then space-separated key=value fields, ending in
 * LF. Verbs and keys are [a-z0-9_-]; values are %XX-escaped for '%', space, '=', and
 * bytes below 0x21 or 0x7f, so any C string survives the trip (a NUL,
 * raw or as %00, is refused by the decoder).
 *   deliver id=1a2b3c
 *   result id=1a2b3c rcpt=2 status=tempfail text=4.2.2%20quota%20exceeded */
#ifndef CORE_IPC_H
#define CORE_IPC_H

#include <stddef.h>

struct buf;

#define IPC_RECORD_MAX_FIELDS 32
#define IPC_RECORD_MAX_LEN 65536

struct ipc_field {
	char *key;
	char *value;
};

struct ipc_record {
	char *verb;
	size_t count;
	struct ipc_field fields[IPC_RECORD_MAX_FIELDS];
};

/* Starts an empty record with verb (copied). */
void ipc_record_init(struct ipc_record *rec, const char *verb);
/* Adds key=value (both copied). Panics past IPC_RECORD_MAX_FIELDS: the
 * caller builds its records and knows their size. */
void ipc_record_add(struct ipc_record *rec, const char *key, const char *value);
void ipc_record_addf(struct ipc_record *rec, const char *key, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
/* Returns the value of key, or NULL. Valid until ipc_record_deinit. */
const char *ipc_record_get(const struct ipc_record *rec, const char *key);
/* Appends the encoded record, with its final LF, to out. */
void ipc_record_encode(const struct ipc_record *rec, struct buf *out);
/* Decodes one line (without its LF) into rec, which it initialises.
 * Returns 0, or -1 with a static reason in *error_r (rec is then empty). */
int ipc_record_decode(const char *line, size_t len, struct ipc_record *rec,
		      const char **error_r);
void ipc_record_deinit(struct ipc_record *rec);

#endif
