/* COMPRESS=DEFLATE (RFC 4978) under a struct conn: a libevent filter
 * bufferevent on top of the TCP or TLS one inflates input and deflates
 * output (raw deflate, RFC 1951, a sync flush after each write). Inflation
 * stops at the input watermark, so a small compressed line cannot fill
 * memory. */
#include "core/conn.h"
#include "core/conn_private.h"
#include "core/xmalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <zlib.h>

#define CONN_ZLIB_CHUNK 16384

struct conn_zlib {
	z_stream in, out;
};

static void conn_zlib_free(void *ctx)
{
	struct conn_zlib *z = ctx;
	inflateEnd(&z->in);
	deflateEnd(&z->out);
	free(z);
}

/* Inflates what arrived; stops at limit (the input watermark) so a small
 * compressed line cannot fill memory: the filter calls again once the
 * owner has read. */
static enum bufferevent_filter_result
conn_inflate_cb(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
                enum bufferevent_flush_mode mode, void *ctx)
{
	z_stream *z = &((struct conn_zlib *)ctx)->in;
	(void)mode;
	while (evbuffer_get_length(src) > 0 &&
	       (limit < 0 || evbuffer_get_length(dst) < (size_t)limit)) {
		struct evbuffer_iovec iv, ov;
		if (evbuffer_peek(src, -1, NULL, &iv, 1) < 1 ||
		    evbuffer_reserve_space(dst, CONN_ZLIB_CHUNK, &ov, 1) < 1)
			return BEV_ERROR;
		z->next_in = iv.iov_base;
		z->avail_in = (uInt)iv.iov_len;
		z->next_out = ov.iov_base;
		z->avail_out = (uInt)ov.iov_len;
		int r = inflate(z, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
			return BEV_ERROR;
		size_t used = iv.iov_len - z->avail_in;
		ov.iov_len -= z->avail_out;
		evbuffer_drain(src, used);
		evbuffer_commit_space(dst, &ov, 1);
		if (r == Z_STREAM_END) /* nothing may follow the stream */
			evbuffer_drain(src, evbuffer_get_length(src));
		if (used == 0 && ov.iov_len == 0)
			break;
	}
	return BEV_OK;
}

/* Deflates everything written and ends with a sync flush, so each reply
 * reaches the client whole (RFC 4978 §4). */
static enum bufferevent_filter_result
conn_deflate_cb(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
                enum bufferevent_flush_mode mode, void *ctx)
{
	z_stream *z = &((struct conn_zlib *)ctx)->out;
	(void)limit;
	(void)mode;
	for (;;) {
		struct evbuffer_iovec iv = {NULL, 0}, ov;
		if (evbuffer_get_length(src) > 0 &&
		    evbuffer_peek(src, -1, NULL, &iv, 1) < 1)
			return BEV_ERROR;
		if (evbuffer_reserve_space(dst, CONN_ZLIB_CHUNK, &ov, 1) < 1)
			return BEV_ERROR;
		bool is_last = iv.iov_len == evbuffer_get_length(src);
		z->next_in = iv.iov_base;
		z->avail_in = (uInt)iv.iov_len;
		z->next_out = ov.iov_base;
		z->avail_out = (uInt)ov.iov_len;
		int r = deflate(z, is_last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return BEV_ERROR;
		evbuffer_drain(src, iv.iov_len - z->avail_in);
		ov.iov_len -= z->avail_out;
		evbuffer_commit_space(dst, &ov, 1);
		if (is_last && z->avail_in == 0 && z->avail_out != 0)
			return BEV_OK;
	}
}

/* The filter's write callback runs when it has moved its bytes into the
 * stream below, not when they are written out (conn_write_cb ignores it
 * then): this is where the output has really drained. It runs inside
 * libevent's write path, so the owner hears of it from the loop. */
static void conn_under_output_cb(struct evbuffer *buf,
                                 const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *conn = arg;
	if (info->n_deleted == 0 || evbuffer_get_length(buf) > 0 ||
	    evbuffer_get_length(bufferevent_get_output(conn->bev)) > 0)
		return;
	conn->is_output_blocked = false;
	conn->is_drain_pending = true;
	conn_defer(conn);
}

int conn_compress_start(struct conn *conn, const char **error_r)
{
	if (conn->under != NULL) {
		*error_r = "compression already active";
		return -1;
	}
	if (conn->bev == NULL || conn_is_swapping(conn)) {
		*error_r = "connection not ready";
		return -1;
	}
	struct conn_zlib *z = xcalloc(1, sizeof(*z));
	/* windowBits -15: raw deflate, no zlib header (RFC 4978 §4) */
	if (inflateInit2(&z->in, -15) != Z_OK ||
	    deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&z->in);
		free(z);
		*error_r = "cannot set up zlib";
		return -1;
	}
	/* The client sends nothing between COMPRESS and the OK (RFC 4978
	 * §3): what is buffered is dropped, like STARTTLS does. */
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	evbuffer_drain(input, evbuffer_get_length(input));
	conn->is_discarding = false;
	conn_line_clock(conn, false);
	struct bufferevent *filter =
	    bufferevent_filter_new(conn->bev, conn_inflate_cb, conn_deflate_cb,
	                           BEV_OPT_CLOSE_ON_FREE, conn_zlib_free, z);
	if (filter == NULL) {
		conn_zlib_free(z);
		*error_r = "cannot set up the filter";
		return -1;
	}
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
	/* From now on the filter's input is counted (inflated bytes). */
	evbuffer_remove_cb_entry(input, conn->input_counter);
	conn->under = conn->bev;
	conn->bev = filter;
	evbuffer_add_cb(bufferevent_get_output(conn->under),
	                conn_under_output_cb, conn);
	conn_bev_setup(conn);
	return 0;
}

bool conn_is_compressed(const struct conn *conn)
{
	return conn->under != NULL;
}
