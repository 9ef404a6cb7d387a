#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path too long to use is quoted in part in errors ('%.100s...'), so
 * that the reason still fits in ERR_LEN. */
static int tmp_path(char out[FILE_PATH_MAX], const char *path)
{
	int n = snprintf(out, FILE_PATH_MAX, "%s" FILE_TMP_SUFFIX, path);
	return n < 0 || n >= FILE_PATH_MAX ? -1 : 0;
}

/* Returns 0, or the errno of the write that failed. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync of the folder holding path, so that a rename in it is durable.
 * Returns 0, or -1 with errno set. */
static int sync_dir(const char *path)
{
	char dir[FILE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;
	if (n == 0)
		n = 1; /* the root folder */
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int file_sync_dir_of(const char *path, char *err)
{
	return sync_dir(path) == 0 ? 0 : err_set(err, "cannot sync the folder of '%s': %s", path, strerror(errno));
}

int file_remove_tmp(const char *path, char *err)
{
	char tmp[FILE_PATH_MAX];
	if (tmp_path(tmp, path) != 0)
		return err_set(err, "cannot use '%.100s...': path too long", path);
	if (unlink(tmp) != 0 && errno != ENOENT)
		return err_set(err, "cannot remove '%s': %s", tmp, strerror(errno));
	return 0;
}

/* Writes, fsyncs and closes fd. Returns 0, or -1 with *step and *e saying
 * what failed. */
static int fill_and_close(int fd, const void *p, size_t len, const char **step, int *e)
{
	*step = "write";
	*e = write_all(fd, p, len);
	if (*e == 0 && fsync(fd) != 0) {
		*step = "sync";
		*e = errno;
	}
	if (close(fd) != 0 && *e == 0) {
		*step = "close";
		*e = errno;
	}
	return *e == 0 ? 0 : -1;
}

int file_write_atomic(const char *path, const void *p, size_t len, unsigned mode, char *err)
{
	char tmp[FILE_PATH_MAX];
	const char *step;
	int e;
	if (tmp_path(tmp, path) != 0)
		return err_set(err, "cannot write '%.100s...': path too long", path);
	if (file_remove_tmp(path, err) != 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	if (fill_and_close(fd, p, len, &step, &e) != 0) {
		unlink(tmp);
		return err_set(err, "cannot %s '%s': %s", step, tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return err_set(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(e));
	}
	if (sync_dir(path) != 0)
		return err_set(err, "cannot sync the folder of '%s': %s", path, strerror(errno));
	return 0;
}

/* Reads exactly size bytes of fd into p. Returns 0, or the errno of the
 * failed read (0 reads before size count as EIO: the file shrank). */
static int read_all(int fd, uint8_t *p, size_t size)
{
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, p + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return EIO;
		got += (size_t)r;
	}
	return 0;
}

/* Reads the open fd of path; the caller closes fd. */
static uint8_t *read_fd(int fd, const char *path, size_t max, size_t *len, char *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > max) {
		err_set(err, "cannot read '%s': not a regular file of at most %zu bytes", path, max);
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *p = malloc(size ? size : 1);
	if (!p) {
		err_set(err, "cannot read '%s': out of memory", path);
		return NULL;
	}
	int e = read_all(fd, p, size);
	if (e != 0) {
		err_set(err, "cannot read '%s': %s", path, strerror(e));
		explicit_bzero(p, size);
		free(p);
		return NULL;
	}
	*len = size;
	return p;
}

uint8_t *file_read_bounded(const char *path, size_t max, size_t *len, bool *missing, char *err)
{
	*len = 0;
	if (missing)
		*missing = false;
	/* O_NONBLOCK: a FIFO planted at path must not hang the open; it has
	 * no effect on the reads of a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (missing)
			*missing = errno == ENOENT;
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	uint8_t *p = read_fd(fd, path, max, len, err);
	close(fd);
	return p;
}

int file_load(const char *path, size_t max, int (*load)(void *ctx, const uint8_t *p, size_t len, char *err),
	      void *ctx, char *err)
{
	size_t len;
	char why[ERR_LEN];
	uint8_t *p = file_read_bounded(path, max, &len, NULL, err);
	if (!p)
		return -1;
	int r = load(ctx, p, len, why);
	free(p);
	return r ? err_set(err, "'%s': %s", path, why) : 0;
}
