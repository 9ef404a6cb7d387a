#include "node/datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int datadir_expand(char *out, size_t len, const char *path, char *err)
{
	const char *home = getenv("HOME");
	int n;
	if (strncmp(path, "~/", 2) == 0 || strcmp(path, "~") == 0)
		n = snprintf(out, len, "%s%s", home ? home : ".", path + 1);
	else
		n = snprintf(out, len, "%s", path);
	if (n < 0 || (size_t)n >= len)
		return err_set(err, "path too long: '%s'", path);
	return 0;
}

int datadir_ensure(const char *path, char *err)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : err_set(err, "'%s' is not a directory", path);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(err, "cannot create directory '%s': %s", path, strerror(errno));
	return 0;
}

int datadir_join(char *out, size_t len, const char *dir, const char *name, char *err)
{
	int n = name[0] == '/' ? snprintf(out, len, "%s", name) : snprintf(out, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		return err_set(err, "path too long: '%s/%s'", dir, name);
	return 0;
}

int datadir_lock(const char *dir, char *err)
{
	char path[4096];
	if (datadir_join(path, sizeof(path), dir, ".lock", err) != 0)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, "cannot open lock file '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return err_set(err, "cannot obtain a lock on data directory '%s': cairnd is probably already running", dir);
	}
	return fd;
}

uint64_t datadir_size(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t total = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}
