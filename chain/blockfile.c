#include "chain/blockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/grow.h"

struct blockfile {
	char dir[FILE_PATH_MAX];
	uint8_t magic[4];
	uint32_t max_file;
	uint32_t n_files;  /* files blk00000 .. n_files-1 exist */
	uint32_t cur;      /* the file appends go to */
	uint64_t cur_size; /* its size */
	int fd;            /* open for appends on cur, or -1 */
	uint64_t *sizes;   /* each file's size as of the open and our appends */
	size_t sizes_cap;
};

static void file_name(const struct blockfile *bf, uint32_t n, char *out, size_t cap)
{
	snprintf(out, cap, "%s/blk%05u.dat", bf->dir, n);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int pread_all(int fd, void *p, size_t len, uint64_t off)
{
	uint8_t *b = p;
	while (len) {
		ssize_t k = pread(fd, b, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len) {
		ssize_t k = write(fd, b, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		len -= (size_t)k;
	}
	return 0;
}

enum rec { REC_OK, REC_TORN, REC_BAD };

/* Reads the record header at off of a file of size bytes: REC_OK with the
 * body's length, REC_TORN when the file ends inside the record, REC_BAD
 * (err says why) when it is no record of ours. */
static enum rec read_header(const struct blockfile *bf, int fd, uint64_t off, uint64_t size, uint32_t *len,
			    const char *name, char *err)
{
	uint8_t h[BLOCKFILE_HEADER];
	if (size - off < BLOCKFILE_HEADER)
		return REC_TORN;
	if (pread_all(fd, h, sizeof(h), off) != 0) {
		err_set(err, "cannot read '%s' at %llu: %s", name, (unsigned long long)off, strerror(errno));
		return REC_BAD;
	}
	*len = get_u32(h + 4);
	if (memcmp(h, bf->magic, 4) != 0) {
		err_set(err, "'%s' at %llu: bad magic %02x%02x%02x%02x", name, (unsigned long long)off, h[0], h[1],
			h[2], h[3]);
		return REC_BAD;
	}
	if (*len == 0 || *len > BLOCKFILE_MAX_BODY) {
		err_set(err, "'%s' at %llu: impossible block length %u", name, (unsigned long long)off, *len);
		return REC_BAD;
	}
	return size - off - BLOCKFILE_HEADER < *len ? REC_TORN : REC_OK;
}

/* The end of the last whole record of the file at path, for appends. */
static int cut_torn_tail(struct blockfile *bf, const char *path, uint64_t *size, char *err)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	uint64_t off = 0;
	uint32_t len = 0;
	char why[ERR_LEN];
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_set(err, "cannot open '%s': %s", path, strerror(e));
	}
	enum rec r = REC_OK;
	while (off < (uint64_t)st.st_size && (r = read_header(bf, fd, off, (uint64_t)st.st_size, &len, path, why)) == REC_OK)
		off += BLOCKFILE_HEADER + (uint64_t)len;
	*size = (uint64_t)st.st_size;
	/* Only a tail the file ends inside is a write a crash cut short; other
	 * bytes that are no record are left for a scan to report. */
	if (r == REC_TORN && off < *size) {
		if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
			int e = errno;
			close(fd);
			return err_set(err, "cannot cut the torn tail of '%s': %s", path, strerror(e));
		}
		*size = off;
	}
	close(fd);
	return 0;
}

static int note_size(struct blockfile *bf, uint32_t n, uint64_t size)
{
	if (grow_array(&bf->sizes, &bf->sizes_cap, (size_t)n + 1, sizeof(*bf->sizes), 16, SIZE_MAX) != 0)
		return -1;
	bf->sizes[n] = size;
	return 0;
}

struct blockfile *blockfile_open(const char *dir, const uint8_t magic[4], uint32_t max_file, char *err)
{
	struct blockfile *bf = calloc(1, sizeof(*bf));
	char path[FILE_PATH_MAX + 32];
	struct stat st;
	if (!bf) {
		err_set(err, "out of memory");
		return NULL;
	}
	bf->fd = -1;
	bf->max_file = max_file ? max_file : BLOCKFILE_MAX_DEFAULT;
	if (bf->max_file > UINT32_MAX - BLOCKFILE_MAX_BODY)
		bf->max_file = UINT32_MAX - BLOCKFILE_MAX_BODY;
	memcpy(bf->magic, magic, 4);
	if (strlen(dir) >= sizeof(bf->dir) - 16) {
		err_set(err, "the block folder's path is too long");
		free(bf);
		return NULL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set(err, "cannot create the block folder '%s': %s", dir, strerror(errno));
		free(bf);
		return NULL;
	}
	snprintf(bf->dir, sizeof(bf->dir), "%s", dir);
	for (;;) {
		file_name(bf, bf->n_files, path, sizeof(path));
		if (stat(path, &st) != 0)
			break;
		if (note_size(bf, bf->n_files, (uint64_t)st.st_size) != 0) {
			err_set(err, "out of memory");
			blockfile_close(bf);
			return NULL;
		}
		bf->n_files++;
	}
	if (bf->n_files) {
		bf->cur = bf->n_files - 1;
		file_name(bf, bf->cur, path, sizeof(path));
		if (cut_torn_tail(bf, path, &bf->cur_size, err) != 0) {
			blockfile_close(bf);
			return NULL;
		}
		bf->sizes[bf->cur] = bf->cur_size;
	}
	return bf;
}

void blockfile_close(struct blockfile *bf)
{
	if (!bf)
		return;
	if (bf->fd >= 0)
		close(bf->fd);
	free(bf->sizes);
	free(bf);
}

uint32_t blockfile_count(const struct blockfile *bf)
{
	return bf->n_files;
}

uint64_t blockfile_total_bytes(struct blockfile *bf)
{
	uint64_t total = 0;
	for (uint32_t n = 0; n < bf->n_files; n++)
		total += bf->sizes[n];
	return total;
}

/* Opens the file appends go to, moving to a new one when rec bytes would
 * take the current one past the limit. */
static int open_for(struct blockfile *bf, size_t rec, char *err)
{
	char path[FILE_PATH_MAX + 32];
	bool fresh = bf->n_files == 0;
	if (!fresh && bf->cur_size > 0 && bf->cur_size + rec > bf->max_file) {
		if (bf->fd >= 0)
			close(bf->fd);
		bf->fd = -1;
		bf->cur++;
		bf->cur_size = 0;
		fresh = true;
	}
	if (bf->fd >= 0)
		return 0;
	file_name(bf, bf->cur, path, sizeof(path));
	if ((bf->fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		return err_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (fresh) {
		/* The new file's name must be durable before anything points in. */
		if (file_sync_dir_of(path, err) != 0)
			return -1;
		if (note_size(bf, bf->cur, 0) != 0)
			return err_set(err, "out of memory");
		bf->n_files = bf->cur + 1;
	}
	return 0;
}

int blockfile_append(struct blockfile *bf, struct blockpos *pos, const uint8_t *p, size_t len, char *err)
{
	uint8_t h[BLOCKFILE_HEADER];
	memset(pos, 0, sizeof(*pos));
	if (len == 0 || len > BLOCKFILE_MAX_BODY)
		return err_set(err, "cannot store a block of %zu bytes", len);
	if (open_for(bf, BLOCKFILE_HEADER + len, err) != 0)
		return -1;
	memcpy(h, bf->magic, 4);
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(len >> (8 * i));
	if (write_all(bf->fd, h, sizeof(h)) != 0 || write_all(bf->fd, p, len) != 0) {
		int e = errno;
		close(bf->fd);
		bf->fd = -1;
		return err_set(err, "cannot write to block file %u: %s", bf->cur, strerror(e));
	}
	pos->file = bf->cur;
	pos->offset = (uint32_t)(bf->cur_size + BLOCKFILE_HEADER);
	pos->len = (uint32_t)len;
	bf->cur_size += BLOCKFILE_HEADER + len;
	bf->sizes[bf->cur] = bf->cur_size;
	return 0;
}

/* Opens file n for reading; its size in *size. */
static int open_read(struct blockfile *bf, uint32_t n, uint64_t *size, char *path, size_t cap, char *err)
{
	struct stat st;
	file_name(bf, n, path, cap);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return err_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		close(fd);
		return err_set(err, "cannot read '%s': %s", path, strerror(errno));
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Whether pos lies within a file of size bytes at path. */
static bool within(const struct blockpos *pos, uint64_t size, const char *path, char *err)
{
	if (pos->offset < BLOCKFILE_HEADER || (uint64_t)pos->offset + pos->len > size) {
		err_set(err, "a block index record points past the end of '%s' (%u + %u > %llu)", path, pos->offset,
			pos->len, (unsigned long long)size);
		return false;
	}
	return true;
}

bool blockfile_contains(struct blockfile *bf, const struct blockpos *pos, char *err)
{
	char path[FILE_PATH_MAX + 32];
	if (pos->file >= bf->n_files) {
		err_set(err, "block file %u is missing", pos->file);
		return false;
	}
	file_name(bf, pos->file, path, sizeof(path));
	return within(pos, bf->sizes[pos->file], path, err);
}

int blockfile_read(struct blockfile *bf, const struct blockpos *pos, uint8_t **out, char *err)
{
	char path[FILE_PATH_MAX + 32];
	uint64_t size = 0;
	uint32_t len = 0;
	*out = NULL;
	if (pos->file >= bf->n_files)
		return err_set(err, "block file %u is missing", pos->file);
	int fd = open_read(bf, pos->file, &size, path, sizeof(path), err);
	if (fd < 0)
		return -1;
	if (!within(pos, size, path, err)) { /* the file as it is now, not as it was */
		close(fd);
		return -1;
	}
	enum rec r = read_header(bf, fd, pos->offset - BLOCKFILE_HEADER, size, &len, path, err);
	int ret = -1;
	if (r == REC_TORN)
		err_set(err, "'%s' ends inside the block at %u", path, pos->offset);
	else if (r == REC_OK && len != pos->len)
		err_set(err, "'%s' at %u: the record holds %u bytes, the index says %u", path, pos->offset, len, pos->len);
	else if (r == REC_OK && !(*out = malloc(len)))
		err_set(err, "out of memory");
	else if (r == REC_OK && pread_all(fd, *out, len, pos->offset) != 0)
		err_set(err, "cannot read '%s' at %u", path, pos->offset);
	else if (r == REC_OK)
		ret = 0;
	if (ret != 0) {
		free(*out);
		*out = NULL;
	}
	close(fd);
	return ret;
}

int blockfile_scan(struct blockfile *bf, uint32_t n,
		   int (*fn)(void *ctx, const struct blockpos *pos, const uint8_t *p, size_t len), void *ctx,
		   char *err)
{
	char path[FILE_PATH_MAX + 32];
	uint64_t size = 0, off = 0;
	uint32_t len = 0;
	int fd = open_read(bf, n, &size, path, sizeof(path), err);
	int r = 0;
	if (fd < 0)
		return -1;
	uint8_t *body = NULL;
	while (r == 0 && off < size) {
		enum rec k = read_header(bf, fd, off, size, &len, path, err);
		if (k == REC_TORN)
			break;
		if (k == REC_BAD) {
			r = -1;
			break;
		}
		uint8_t *p = realloc(body, len);
		if (!p) {
			r = err_set(err, "out of memory");
			break;
		}
		body = p;
		if (pread_all(fd, body, len, off + BLOCKFILE_HEADER) != 0) {
			r = err_set(err, "cannot read '%s' at %llu", path, (unsigned long long)off);
			break;
		}
		struct blockpos pos = { n, (uint32_t)(off + BLOCKFILE_HEADER), len };
		r = fn(ctx, &pos, body, len);
		off += BLOCKFILE_HEADER + (uint64_t)len;
	}
	free(body);
	close(fd);
	return r;
}
