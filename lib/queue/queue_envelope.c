/* Queue file envelopes: encoding for the writer, a strict parser for qmgr,
 * deliver and postroomctl, and the in-place updates (recipient status byte,
 * attempts and next retry) that qmgr makes with pwrite. Every line is a
 * core/ipc record; anything the writer would not produce, and a file whose
 * length disagrees with its size field, is rejected with errno EBADMSG. */
#include "queue/queue_private.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Adds key=value when value is not NULL. */
static void add_opt(struct ipc_record *rec, const char *key, const char *value)
{
	if (value != NULL)
		ipc_record_add(rec, key, value);
}

static int append_record(struct buf *out, struct ipc_record *rec,
			 const char **error_r)
{
	size_t start = out->len;
	ipc_record_encode(rec, out);
	ipc_record_deinit(rec);
	if (out->len - start > QUEUE_LINE_MAX) {
		*error_r = "envelope line too long";
		return -1;
	}
	return 0;
}

static int encode_rcpt(const struct queue_recipient *r, struct buf *out,
		       const char **error_r)
{
	struct ipc_record rec;
	if (r->address == NULL || r->address[0] == '\0') {
		*error_r = "recipient without address";
		return -1;
	}
	ipc_record_init(&rec, "rcpt");
	/* status must stay the first field: its byte is found by offset */
	ipc_record_add(&rec, "status", "-");
	ipc_record_add(&rec, "local", r->is_local ? "1" : "0");
	ipc_record_add(&rec, "address", r->address);
	add_opt(&rec, "original", r->original);
	add_opt(&rec, "detail", r->detail);
	add_opt(&rec, "orcpt", r->orcpt);
	add_opt(&rec, "notify", r->notify);
	return append_record(out, &rec, error_r);
}

int queue_envelope_encode(const struct queue_envelope *env, const char *id,
			  struct buf *out, const char **error_r)
{
	struct ipc_record rec;
	if (env->sender == NULL) {
		*error_r = "envelope without sender";
		return -1;
	}
	if (env->rcpt_count == 0) {
		*error_r = "envelope without recipients";
		return -1;
	}
	buf_append_str(out, QUEUE_VERSION_LINE);
	/* a message held for later (RFC 4865) is due at its release */
	time_t next = env->next_attempt > env->release ? env->next_attempt
						       : env->release;
	buf_printf(out, "control id=%s size=%0*d attempts=%0*u next=%0*lld\n",
		   id, QUEUE_SIZE_WIDTH, 0, QUEUE_ATTEMPTS_WIDTH,
		   env->attempts, QUEUE_NEXT_WIDTH,
		   next > 0 ? (long long)next : 0LL);
	ASSERT(out->len == QUEUE_CONTROL_END);
	ipc_record_init(&rec, "envelope");
	ipc_record_addf(&rec, "arrival", "%lld", (long long)env->arrival);
	ipc_record_add(&rec, "sender", env->sender);
	add_opt(&rec, "ret", env->ret);
	add_opt(&rec, "envid", env->envid);
	if (env->release > 0) {
		ipc_record_addf(&rec, "release", "%lld",
				(long long)env->release);
		add_opt(&rec, "holdreq", env->release_request);
	}
	add_opt(&rec, "body", env->body);
	if (env->smtputf8)
		ipc_record_add(&rec, "smtputf8", "1");
	add_opt(&rec, "auth", env->auth_user);
	add_opt(&rec, "client", env->client_addr);
	add_opt(&rec, "helo", env->helo);
	if (env->is_quarantined)
		ipc_record_add(&rec, "quarantine", "1");
	if (append_record(out, &rec, error_r) < 0)
		return -1;
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (encode_rcpt(&env->rcpts[i], out, error_r) < 0)
			return -1;
	}
	buf_append_char(out, '\n');
	return 0;
}

int queue_field_write(int fd, off_t offset, uint64_t value, unsigned width)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%0*" PRIu64, (int)width,
			 value);
	if (n != (int)width) {
		errno = ERANGE;
		return -1;
	}
	ssize_t ret = pwrite(fd, digits, width, offset);
	if (ret < 0)
		return -1;
	if ((size_t)ret != width) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* ---- Parsing ------------------------------------------------------------ */

struct parse_ctx {
	struct pool *pool;
	struct queue_envelope *env;
	const char *error;
};

static int fail(struct parse_ctx *ctx, const char *error)
{
	ctx->error = error;
	return -1;
}

/* number = 1*DIGIT, at most max_len digits, value <= max */
static int parse_uint(const char *str, size_t max_len, uint64_t max,
		      uint64_t *value_r)
{
	uint64_t v = 0;
	size_t len = strlen(str);
	if (len == 0 || len > max_len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (str[i] < '0' || str[i] > '9')
			return -1;
		unsigned d = (unsigned)(str[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* Returns true if line[off..off+width) are digits, and their value. */
static bool fixed_digits(const char *line, size_t off, size_t width,
			 uint64_t max, uint64_t *value_r)
{
	char digits[32];
	ASSERT(width < sizeof(digits));
	memcpy(digits, line + off, width);
	digits[width] = '\0';
	return parse_uint(digits, width, max, value_r) == 0;
}

/* control = "control id=" ID " size=" 20DIGIT " attempts=" 10DIGIT
 *           " next=" 20DIGIT
 * Checked byte by byte, not decoded: its fields are rewritten by offset. */
static int parse_control(struct parse_ctx *ctx, const char *line, size_t len)
{
	const size_t base = QUEUE_VERSION_LEN;
	const size_t id_off = QUEUE_ID_OFFSET - base;
	const size_t size_off = QUEUE_SIZE_OFFSET - base;
	const size_t att_off = QUEUE_ATTEMPTS_OFFSET - base;
	const size_t next_off = QUEUE_NEXT_OFFSET - base;
	uint64_t attempts, next, size;
	char id[QUEUE_ID_MAX];
	if (len + 1 != QUEUE_CONTROL_END - base ||
	    memcmp(line, "control id=", id_off) != 0 ||
	    memcmp(line + id_off + QUEUE_ID_LEN, " size=",
		   size_off - id_off - QUEUE_ID_LEN) != 0 ||
	    memcmp(line + size_off + QUEUE_SIZE_WIDTH, " attempts=",
		   att_off - size_off - QUEUE_SIZE_WIDTH) != 0 ||
	    memcmp(line + att_off + QUEUE_ATTEMPTS_WIDTH, " next=",
		   next_off - att_off - QUEUE_ATTEMPTS_WIDTH) != 0)
		return fail(ctx, "bad control line");
	memcpy(id, line + id_off, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (!queue_id_is_valid(id) ||
	    !fixed_digits(line, size_off, QUEUE_SIZE_WIDTH, INT64_MAX, &size) ||
	    !fixed_digits(line, att_off, QUEUE_ATTEMPTS_WIDTH, UINT32_MAX,
			  &attempts) ||
	    !fixed_digits(line, next_off, QUEUE_NEXT_WIDTH, INT64_MAX, &next))
		return fail(ctx, "bad number in control line");
	memcpy(ctx->env->id, id, QUEUE_ID_LEN + 1);
	ctx->env->data_size = size;
	ctx->env->attempts = (unsigned)attempts;
	ctx->env->next_attempt = (time_t)next;
	return 0;
}

/* envelope = "envelope" SP "arrival=" 1*DIGIT SP "sender=" value
 *            *( SP ( "ret" / "envid" / "release" / "holdreq" / "body" /
 *                    "smtputf8" / "auth" / "client" / "helo" /
 *                    "quarantine" ) "=" value ) */
static int parse_envelope(struct parse_ctx *ctx, const struct ipc_record *rec)
{
	struct queue_envelope *env = ctx->env;
	bool has_arrival = false;
	if (strcmp(rec->verb, "envelope") != 0)
		return fail(ctx, "bad envelope line");
	for (size_t i = 0; i < rec->count; i++) {
		const char *k = rec->fields[i].key;
		const char *v = pool_strdup(ctx->pool, rec->fields[i].value);
		uint64_t num;
		if (strcmp(k, "arrival") == 0) {
			if (parse_uint(v, 20, INT64_MAX, &num) < 0)
				return fail(ctx, "bad arrival");
			env->arrival = (time_t)num;
			has_arrival = true;
		} else if (strcmp(k, "sender") == 0) {
			env->sender = v;
		} else if (strcmp(k, "ret") == 0) {
			env->ret = v;
		} else if (strcmp(k, "envid") == 0) {
			env->envid = v;
		} else if (strcmp(k, "release") == 0) {
			if (parse_uint(v, 20, INT64_MAX, &num) < 0)
				return fail(ctx, "bad release");
			env->release = (time_t)num;
		} else if (strcmp(k, "holdreq") == 0) {
			env->release_request = v;
		} else if (strcmp(k, "body") == 0) {
			env->body = v;
		} else if (strcmp(k, "smtputf8") == 0) {
			env->smtputf8 = strcmp(v, "1") == 0;
		} else if (strcmp(k, "auth") == 0) {
			env->auth_user = v;
		} else if (strcmp(k, "client") == 0) {
			env->client_addr = v;
		} else if (strcmp(k, "helo") == 0) {
			env->helo = v;
		} else if (strcmp(k, "quarantine") == 0) {
			env->is_quarantined = strcmp(v, "1") == 0;
		} else {
			return fail(ctx, "unknown envelope field");
		}
	}
	if (!has_arrival || env->sender == NULL)
		return fail(ctx, "envelope lacks arrival or sender");
	return 0;
}

/* rcpt = "rcpt status=" ( "-" / "D" / "F" ) " local=" ( "0" / "1" )
 *        " address=" value *( SP key "=" value ) */
static int parse_rcpt(struct parse_ctx *ctx, const struct ipc_record *rec,
		      const char *line, size_t len, off_t line_offset,
		      struct queue_recipient *r)
{
	static const char prefix[] = "rcpt status=";
	const size_t at = sizeof(prefix) - 1;
	const char *status = ipc_record_get(rec, "status");
	const char *local = ipc_record_get(rec, "local");
	if (rec->count < 3 || strcmp(rec->fields[0].key, "status") != 0 ||
	    status == NULL || strlen(status) != 1 ||
	    (status[0] != QUEUE_RCPT_PENDING &&
	     status[0] != QUEUE_RCPT_DELIVERED &&
	     status[0] != QUEUE_RCPT_FAILED) ||
	    local == NULL || (strcmp(local, "0") != 0 && strcmp(local, "1") != 0))
		return fail(ctx, "bad recipient status");
	/* the byte itself, unescaped, is what qmgr overwrites */
	if (len < at + 2 || line[at] != status[0] || line[at + 1] != ' ')
		return fail(ctx, "bad recipient status");
	r->status = status[0];
	r->status_offset = line_offset + (off_t)sizeof(prefix) - 1;
	r->is_local = local[0] == '1';
	for (size_t i = 2; i < rec->count; i++) {
		const char *k = rec->fields[i].key;
		const char *v = pool_strdup(ctx->pool, rec->fields[i].value);
		if (strcmp(k, "address") == 0)
			r->address = v;
		else if (strcmp(k, "original") == 0)
			r->original = v;
		else if (strcmp(k, "detail") == 0)
			r->detail = v;
		else if (strcmp(k, "orcpt") == 0)
			r->orcpt = v;
		else if (strcmp(k, "notify") == 0)
			r->notify = v;
		else
			return fail(ctx, "unknown recipient field");
	}
	if (r->address == NULL || r->address[0] == '\0')
		return fail(ctx, "recipient without address");
	return 0;
}

/* Parses line number lineno (0-based) that starts at offset. */
static int parse_line(struct parse_ctx *ctx, size_t lineno, const char *line,
		      size_t len, off_t offset)
{
	struct ipc_record rec;
	const char *error;
	int ret;
	if (lineno == 0) {
		if (len + 1 != QUEUE_VERSION_LEN ||
		    memcmp(line, QUEUE_VERSION_LINE, len) != 0)
			return fail(ctx, "unknown queue file version");
		return 0;
	}
	if (len > QUEUE_LINE_MAX || memchr(line, '\0', len) != NULL)
		return fail(ctx, "bad envelope line");
	if (lineno == 1)
		return parse_control(ctx, line, len);
	if (ipc_record_decode(line, len, &rec, &error) < 0) {
		ipc_record_deinit(&rec);
		return fail(ctx, error);
	}
	if (lineno == 2) {
		ret = parse_envelope(ctx, &rec);
	} else if (strcmp(rec.verb, "pad") == 0) {
		ret = 0; /* room the writer left for fields (queue_writer.c) */
	} else if (strcmp(rec.verb, "rcpt") == 0) {
		struct queue_envelope *env = ctx->env;
		ret = parse_rcpt(ctx, &rec, line, len, offset,
				 &env->rcpts[env->rcpt_count]);
		env->rcpt_count++;
	} else {
		ret = fail(ctx, "unknown envelope line");
	}
	ipc_record_deinit(&rec);
	return ret;
}

/* Reads from fd into out until it holds "\n\n". Returns the offset just
 * past the blank line, or -1 (with ctx->error set, or errno for I/O). */
static ssize_t read_header(struct parse_ctx *ctx, int fd, struct buf *out)
{
	for (;;) {
		size_t from = out->len > 0 ? out->len - 1 : 0;
		buf_reserve(out, 65536);
		ssize_t n = read(fd, out->data + out->len, 65536);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ctx->error = "read failed";
			return -1;
		}
		if (n == 0) {
			errno = EBADMSG;
			return fail(ctx, "truncated envelope");
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		for (size_t i = from; i + 1 < out->len; i++) {
			if (out->data[i] == '\n' && out->data[i + 1] == '\n')
				return (ssize_t)(i + 2);
		}
		if (out->len > QUEUE_ENVELOPE_MAX) {
			errno = EBADMSG;
			return fail(ctx, "envelope too large");
		}
	}
}

static int parse_header(struct parse_ctx *ctx, const char *data, size_t end)
{
	size_t lines = 0, lineno = 0, pos = 0;
	for (size_t i = 0; i < end; i++)
		lines += data[i] == '\n';
	ctx->env->rcpts = pool_alloc(ctx->pool,
				     lines * sizeof(struct queue_recipient));
	/* end - 1 is the blank line's LF */
	while (pos < end - 1) {
		const char *nl = memchr(data + pos, '\n', end - 1 - pos);
		ASSERT(nl != NULL);
		size_t len = (size_t)(nl - (data + pos));
		if (parse_line(ctx, lineno, data + pos, len, (off_t)pos) < 0)
			return -1;
		pos += len + 1;
		lineno++;
	}
	if (ctx->env->rcpt_count == 0)
		return fail(ctx, "envelope without recipients");
	return 0;
}

static int envelope_read_fd(struct parse_ctx *ctx, int fd)
{
	struct buf head;
	struct stat st;
	int ret = -1;
	buf_init(&head);
	ssize_t end = read_header(ctx, fd, &head);
	if (end < 0)
		goto out;
	errno = EBADMSG;
	if (parse_header(ctx, head.data, (size_t)end) < 0)
		goto out;
	ctx->env->data_offset = (off_t)end;
	if (fstat(fd, &st) < 0) {
		ctx->error = "fstat failed";
		goto out;
	}
	errno = EBADMSG;
	if ((uint64_t)st.st_size != (uint64_t)end + ctx->env->data_size) {
		ctx->error = (uint64_t)st.st_size < (uint64_t)end +
							    ctx->env->data_size
				     ? "truncated message"
				     : "trailing bytes after message";
		goto out;
	}
	ret = 0;
out:
	buf_deinit(&head);
	return ret;
}

int queue_envelope_read(const char *path, struct pool *pool,
			struct queue_envelope *env_r, int *fd_r,
			const char **error_r)
{
	struct parse_ctx ctx = { .pool = pool, .env = env_r };
	memset(env_r, 0, sizeof(*env_r));
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		*error_r = pool_printf(pool, "open %s: %s", path,
				       strerror(errno));
		errno = saved;
		return -1;
	}
	if (envelope_read_fd(&ctx, fd) < 0) {
		int saved = errno;
		close(fd);
		*error_r = pool_printf(pool, "%s: %s", path, ctx.error);
		errno = saved;
		return -1;
	}
	if (fd_r != NULL)
		*fd_r = fd;
	else
		close(fd);
	return 0;
}

int queue_envelope_mark(int fd, struct queue_recipient *rcpt, char status,
			const char **error_r)
{
	ASSERT(status == QUEUE_RCPT_PENDING || status == QUEUE_RCPT_DELIVERED ||
	       status == QUEUE_RCPT_FAILED);
	ASSERT(rcpt->status_offset > 0);
	if (pwrite(fd, &status, 1, rcpt->status_offset) != 1) {
		*error_r = "cannot write recipient status";
		return -1;
	}
	rcpt->status = status;
	return 0;
}

bool queue_envelope_is_held(const struct queue_envelope *env, time_t now)
{
	/* an operator's release sets next_attempt to 0; a retry after the
	 * release time is past it anyway */
	return env->release > now && env->next_attempt >= env->release;
}

int queue_envelope_set_schedule(int fd, const struct queue_envelope *env,
				const char **error_r)
{
	if (queue_field_write(fd, QUEUE_ATTEMPTS_OFFSET, env->attempts,
			      QUEUE_ATTEMPTS_WIDTH) < 0 ||
	    queue_field_write(fd, QUEUE_NEXT_OFFSET,
			      env->next_attempt < 0
				      ? 0
				      : (uint64_t)env->next_attempt,
			      QUEUE_NEXT_WIDTH) < 0) {
		*error_r = "cannot write retry schedule";
		return -1;
	}
	return 0;
}

int queue_envelope_sync(int fd, const char **error_r)
{
	if (fdatasync(fd) < 0) {
		*error_r = "fdatasync of queue file failed";
		return -1;
	}
	return 0;
}
