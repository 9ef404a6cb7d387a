/* Reading back what a test wrote to disk: whether any file of a folder
 * holds a byte string (a secret that must not be there in the clear).
 * Whole files, through util/file.h. Include after cmocka.h. */
#ifndef CAIRN_TESTS_FOLDER_FIXTURE_H
#define CAIRN_TESTS_FOLDER_FIXTURE_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static inline bool fix_bytes_contain(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

static inline bool fix_folder_contains(const char *dir, const uint8_t *needle, size_t m)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;
	assert_non_null(d);
	while (!found && (e = readdir(d))) {
		char path[512], err[ERR_LEN];
		size_t len;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		uint8_t *data = file_read_bounded(path, (size_t)1 << 30, &len, NULL, err);
		if (!data)
			fail_msg("%s", err);
		found = fix_bytes_contain(data, len, needle, m);
		free(data);
	}
	closedir(d);
	return found;
}

#endif
