/* The webmail's built files (`web_root`, made by `make` from web/ into
 * web/dist; doc/webmail.md) at "/": GET and HEAD of regular files below
 * the root, "/" being index.html. Names the build hashed (everything under
 * assets/) are cached for a year as immutable; the rest (index.html) is
 * revalidated with its strong ETag (RFC 9111 §5.2.2, RFC 9110 §13). A
 * "NAME.gz" beside a text file, written by the build, is sent to a client
 * that accepts gzip (RFC 9110 §8.4.1.3) with a length, no work per
 * request; without it lib/http compresses on the fly. Only paths of
 * [A-Za-z0-9._-] segments, none starting with ".", and no symbolic link
 * as the last one, reach the file system: a traversal (refused by the
 * engine already) or a hidden file is 404. */
#include "core/log.h"
#include "core/pool.h"
#include "http/http_cond.h"
#include "http/http_gzip.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A year: what RFC 9111 §5.2.2.1 calls a long time, for hashed names. */
#define HTTPD_STATIC_IMMUTABLE "public, max-age=31536000, immutable"

static const struct {
	const char *ext;
	const char *type;
} httpd_static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

/* The media type of a file name by its extension. */
static const char *httpd_static_type(const char *name)
{
	size_t len = strlen(name);
	size_t n = sizeof(httpd_static_types) / sizeof(httpd_static_types[0]);
	for (size_t i = 0; i < n; i++) {
		size_t elen = strlen(httpd_static_types[i].ext);
		if (len > elen &&
		    strcmp(name + len - elen, httpd_static_types[i].ext) == 0)
			return httpd_static_types[i].type;
	}
	return "application/octet-stream";
}

bool httpd_static_path_is_valid(const char *rel)
{
	bool at_start = true;
	if (rel[0] == '\0')
		return false;
	for (const char *p = rel; *p != '\0'; p++) {
		char ch = *p;
		if (ch == '/') {
			if (at_start) /* an empty segment */
				return false;
			at_start = true;
			continue;
		}
		if (at_start && ch == '.') /* hidden files, "." and ".." */
			return false;
		at_start = false;
		bool is_ok = (ch >= 'a' && ch <= 'z') ||
		             (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9') || ch == '.' ||
		             ch == '_' || ch == '-';
		if (!is_ok)
			return false;
	}
	return !at_start; /* no trailing "/": a folder is not served */
}

/* Opens a regular file; returns the fd with *st, or -1 with errno (ENOENT
 * also for a folder or a symbolic link). */
static int httpd_static_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			errno = ENOENT;
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

static void httpd_static_not_found(struct http_request *req,
                                   struct httpd *httpd, const char *rel,
                                   int error)
{
	struct http_response *resp;
	if (error != ENOENT) {
		log_error(NULL, "webmail open %s/%s: %s", httpd->web_root,
		          log_sanitize(rel, 200), strerror(error));
	}
	if (strcmp(rel, "index.html") == 0) {
		/* the webmail itself is missing: say how to make it */
		resp = http_response_new(req, 503);
		http_response_add_header(resp, "Cache-Control", "no-store");
		http_response_send_text(resp,
		                        "The webmail is not built: run "
		                        "`make` (web_root %s).\n",
		                        httpd->web_root);
		return;
	}
	resp = http_response_new(req, 404);
	http_response_send_text(resp, "Not found.\n");
}

void httpd_static(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	struct pool *pool = http_request_pool(req);
	const char *path = http_request_path(req);
	const char *rel = strcmp(path, "/") == 0 ? "index.html" : path + 1;
	if (!httpd_static_path_is_valid(rel)) {
		httpd_static_not_found(req, httpd, rel, ENOENT);
		return;
	}
	const char *full = pool_printf(pool, "%s/%s", httpd->web_root, rel);
	struct stat st;
	int fd = httpd_static_open(full, &st);
	if (fd < 0) {
		httpd_static_not_found(req, httpd, rel, errno);
		return;
	}
	const char *type = httpd_static_type(rel);
	/* the build's compressed copy, when the client takes gzip */
	struct stat gz_st;
	int gz_fd = -1;
	if (http_gzip_is_compressible(type) &&
	    http_gzip_is_accepted(
	        http_request_header_join(req, "Accept-Encoding"), NULL))
		gz_fd =
		    httpd_static_open(pool_printf(pool, "%s.gz", full), &gz_st);
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, type);
	bool is_hashed = strncmp(rel, "assets/", 7) == 0;
	http_response_add_header(resp, "Cache-Control", "%s",
	                         is_hashed ? HTTPD_STATIC_IMMUTABLE
	                                   : "no-cache");
	if (gz_fd >= 0) {
		close(fd);
		fd = gz_fd;
		st = gz_st;
		http_response_add_header(resp, "Content-Encoding", "gzip");
		http_response_add_header(resp, "Vary", "Accept-Encoding");
	}
	/* size and modification time name the version, as nginx's do; the
	 * compressed copy is another representation, with its own tag */
	const struct http_validators v = {
	    .etag = pool_printf(pool, "\"%" PRIx64 "-%" PRIx64 "%s\"",
	                        (uint64_t)st.st_size,
	                        (uint64_t)st.st_mtim.tv_sec * 1000000000u +
	                            (uint64_t)st.st_mtim.tv_nsec,
	                        gz_fd >= 0 ? "-gz" : ""),
	    .last_modified = st.st_mtim.tv_sec,
	    .exists = true,
	};
	http_response_set_validators(resp, &v);
	http_response_send_file(resp, fd, (uint64_t)st.st_size);
}
