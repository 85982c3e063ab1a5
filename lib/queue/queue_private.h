/* Internals shared by the files of lib/queue: the fixed-width prefix of a
 * queue file (version line, then the control line whose id, size, attempts
 * and next fields are rewritten in place) and the envelope encoder. */
#ifndef QUEUE_QUEUE_PRIVATE_H
#define QUEUE_QUEUE_PRIVATE_H

#include "queue/queue.h"

struct buf;

#define QUEUE_VERSION_LINE "postroom-queue version=1\n"
#define QUEUE_VERSION_LEN (sizeof(QUEUE_VERSION_LINE) - 1)

#define QUEUE_SIZE_WIDTH 20
#define QUEUE_ATTEMPTS_WIDTH 10
#define QUEUE_NEXT_WIDTH 20

/* Offsets of the fixed-width fields in the file. */
#define QUEUE_ID_OFFSET (QUEUE_VERSION_LEN + sizeof("control id=") - 1)
#define QUEUE_SIZE_OFFSET (QUEUE_ID_OFFSET + QUEUE_ID_LEN + sizeof(" size=") - 1)
#define QUEUE_ATTEMPTS_OFFSET                                                 \
	(QUEUE_SIZE_OFFSET + QUEUE_SIZE_WIDTH + sizeof(" attempts=") - 1)
#define QUEUE_NEXT_OFFSET                                                     \
	(QUEUE_ATTEMPTS_OFFSET + QUEUE_ATTEMPTS_WIDTH + sizeof(" next=") - 1)
#define QUEUE_CONTROL_END (QUEUE_NEXT_OFFSET + QUEUE_NEXT_WIDTH + 1)

/* The longest envelope line and the largest envelope a reader accepts. */
#define QUEUE_LINE_MAX 65536
#define QUEUE_ENVELOPE_MAX (16 * 1024 * 1024)

/* Appends the envelope of env (with id, data size 0 and every recipient
 * pending) and the blank line to out. Returns 0, or -1 with a static reason
 * when a field is missing or a line would pass QUEUE_LINE_MAX. */
int queue_envelope_encode(const struct queue_envelope *env, const char *id,
			  struct buf *out, const char **error_r);
/* Writes an unsigned number as width zero-padded decimal digits at offset
 * of fd. Returns 0, or -1 with errno set. */
int queue_field_write(int fd, off_t offset, uint64_t value, unsigned width);

#endif
