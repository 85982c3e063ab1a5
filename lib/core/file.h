/* File helpers for crash-safe writing: every durable step is write, fsync,
 * then rename or link, then fsync of the directory (DESIGN.md, the store). */
#ifndef CORE_FILE_H
#define CORE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* Writes all size bytes, retrying on EINTR and short writes.
 * Returns 0, or -1 with errno set. */
int file_write_all(int fd, const void *data, size_t size);
/* Opens dir and fsyncs it. Returns 0, or -1 with errno set. */
int file_fsync_dir(const char *dir);
/* Makes everything written to the file system holding fd durable: data,
 * names and metadata of every file on it (Linux syncfs(2), which reports
 * writeback errors since 5.8; elsewhere sync(2)). One device flush for a
 * batch, where an fsync per file costs one each. Returns 0, or -1 with
 * errno set. */
int file_sync_fs(int fd);
/* Creates dir and any missing parents with mode. An existing directory is
 * fine. Returns 0, or -1 with errno set. */
int file_mkdirs(const char *dir, mode_t mode);
/* Reads the whole file into out (appending). Fails with EFBIG past max bytes.
 * Returns 0, or -1 with errno set. */
int file_read_all(const char *path, struct buf *out, size_t max);
/* The bytes an unprivileged process may still write on the file system
 * holding path (statvfs f_bavail blocks of f_frsize: root's reserve does
 * not count). Returns 0 with *bytes_r, or -1 with errno set. */
int file_free_space(const char *path, uint64_t *bytes_r);
/* Writes data to path atomically: a temporary file beside it, fsync, rename,
 * fsync of the directory. Returns 0, or -1 with errno set. */
int file_write_atomic(const char *path, const void *data, size_t size,
		      mode_t mode);
/* Appends the bytes of from_fd from offset to its end onto to_fd at its
 * position: copy_file_range in the kernel where the file systems allow,
 * else read and write. Returns 0, or -1 with errno set. */
int file_copy_rest(int from_fd, off_t offset, int to_fd);

#endif
