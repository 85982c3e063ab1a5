/* Crash-safe file helpers. */
#define _GNU_SOURCE /* syncfs, copy_file_range */
#include "core/file.h"
#include "core/buf.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int file_write_all(int fd, const void *data, size_t size)
{
	const char *p = data;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int file_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ret = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

int file_sync_fs(int fd)
{
#ifdef __linux__
	return syncfs(fd);
#else
	(void)fd;
	sync();
	return 0;
#endif
}

int file_mkdirs(const char *dir, mode_t mode)
{
	char *path = xstrdup(dir);
	int ret = 0;
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			ret = -1;
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	int saved_errno = errno;
	free(path);
	if (ret == 0) {
		struct stat st;
		if (stat(dir, &st) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	errno = saved_errno;
	return ret;
}

int file_read_all(const char *path, struct buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t total = 0;
	for (;;) {
		buf_reserve(out, 4096);
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			close(fd);
			out->data[out->len] = '\0';
			errno = EFBIG;
			return -1;
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	close(fd);
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t size,
		      mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	int ret = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd >= 0) {
		if (file_write_all(fd, data, size) == 0 && fsync(fd) == 0 &&
		    close(fd) == 0) {
			fd = -1;
			if (rename(tmp, path) == 0 && file_fsync_dir(dir) == 0)
				ret = 0;
		}
		if (fd >= 0)
			close(fd);
		if (ret < 0) {
			int saved = errno;
			unlink(tmp);
			errno = saved;
		}
	}
	free(tmp);
	free(dir);
	return ret;
}

int file_free_space(const char *path, uint64_t *bytes_r)
{
	struct statvfs st;
	if (statvfs(path, &st) < 0)
		return -1;
	*bytes_r = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
	return 0;
}

int file_copy_rest(int from_fd, off_t offset, int to_fd)
{
	char buf[65536];
	for (;;) {
		ssize_t n = copy_file_range(from_fd, &offset, to_fd, NULL,
					    1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;
	}
	for (;;) {
		ssize_t n = pread(from_fd, buf, sizeof(buf), offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		if (file_write_all(to_fd, buf, (size_t)n) < 0)
			return -1;
		offset += n;
	}
}
