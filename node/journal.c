#include "node/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
#include "util/file.h"

static const uint8_t magic[8] = { 'C', 'R', 'N', 'J', 'R', 'N', 'L', '1' };

struct journal {
	int fd;
	size_t size;
};

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

struct journal *journal_open(const char *path, char *err)
{
	struct journal *j = calloc(1, sizeof(*j));
	if (!j) {
		err_set(err, "out of memory");
		return NULL;
	}
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	off_t end = j->fd >= 0 ? lseek(j->fd, 0, SEEK_END) : -1;
	if (j->fd < 0 || end < 0 || (end == 0 && write_all(j->fd, magic, sizeof(magic)) != 0)) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		journal_close(j);
		return NULL;
	}
	j->size = end ? (size_t)end : sizeof(magic);
	return j;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

int journal_append(struct journal *j, const struct tx *tx, uint64_t time, char *err)
{
	struct buf b = BUF_INIT;
	uint8_t sum[32];
	buf_u32(&b, 0);
	buf_u64(&b, time);
	buf_put(&b, sum, 4);
	tx_write(&b, tx);
	if (!buf_ok(&b)) {
		buf_release(&b);
		return err_set(err, "out of memory");
	}
	size_t len = b.len - 16;
	for (int i = 0; i < 4; i++)
		b.data[i] = (uint8_t)(len >> (8 * i));
	hash_sha256d(sum, b.data + 16, len);
	memcpy(b.data + 12, sum, 4);
	int r = write_all(j->fd, b.data, b.len);
	if (r == 0)
		j->size += b.len;
	buf_release(&b);
	return r == 0 ? 0 : err_set(err, "cannot append to the mempool journal: %s", strerror(errno));
}

size_t journal_size(const struct journal *j)
{
	return j ? j->size : 0;
}

int journal_reset(struct journal *j, char *err)
{
	if (ftruncate(j->fd, sizeof(magic)) != 0)
		return err_set(err, "cannot empty the mempool journal: %s", strerror(errno));
	j->size = sizeof(magic);
	return 0;
}

int journal_replay(const char *path, void (*fn)(void *ctx, const struct tx *tx, uint64_t time), void *ctx,
		   size_t *n, bool *torn, char *err)
{
	size_t len;
	bool missing = false;
	*n = 0;
	*torn = false;
	uint8_t *data = file_read_bounded(path, 4 * (size_t)JOURNAL_MAX_BYTES, &len, &missing, err);
	if (!data)
		return missing ? 0 : -1;
	struct cursor c = cursor_make(data, len);
	const uint8_t *head;
	int r = 0;
	if (len == 0) {
		free(data);
		return 0;
	}
	if (!cursor_view(&c, &head, sizeof(magic)) || memcmp(head, magic, sizeof(magic)) != 0)
		r = err_set(err, "'%s' is not a mempool journal", path);
	while (r == 0 && !cursor_done(&c)) {
		uint32_t size;
		uint64_t time;
		const uint8_t *sum, *raw;
		uint8_t check[32];
		struct tx tx;
		if (!cursor_u32(&c, &size) || !cursor_u64(&c, &time) || !cursor_view(&c, &sum, 4) ||
		    !cursor_view(&c, &raw, size)) {
			*torn = true;
			break;
		}
		hash_sha256d(check, raw, size);
		if (memcmp(check, sum, 4) != 0 || tx_parse(&tx, raw, size, NULL) != 0) {
			*torn = true;
			break;
		}
		fn(ctx, &tx, time);
		tx_release(&tx);
		(*n)++;
	}
	free(data);
	return r;
}
