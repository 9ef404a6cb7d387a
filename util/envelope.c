#include "util/envelope.h"

#include <string.h>

#include "util/file.h"

void envelope_begin(struct buf *b, const struct envelope_format *f)
{
	buf_put(b, f->magic, f->magic_len);
	buf_u32(b, f->version);
}

int envelope_save(const struct envelope_format *f, struct buf *b, const char *path, char *err)
{
	uint8_t sum[ENVELOPE_SUM_LEN];
	if (buf_ok(b)) {
		f->hash(sum, b->data, b->len);
		buf_put(b, sum, sizeof(sum));
	}
	if (!buf_ok(b))
		return err_set(err, "cannot save '%s': out of memory", path);
	return file_write_atomic(path, b->data, b->len, 0600, err);
}

static int too_short(const struct envelope_format *f, size_t len, char *why)
{
	return err_set(why, "%s (%zu bytes)", f->too_short, len);
}

/* Takes the magic and the version off the front of c, a file of len bytes. */
static int check_header(const struct envelope_format *f, struct cursor *c, size_t len, char *why)
{
	const uint8_t *magic;
	uint32_t version;
	if (!cursor_view(c, &magic, f->magic_len) || memcmp(magic, f->magic, f->magic_len) != 0)
		return err_set(why, "not %s", f->kind);
	if (!cursor_u32(c, &version))
		return too_short(f, len, why);
	if (version != f->version)
		return err_set(why, "%s %u (this node reads %u)", f->bad_version, version, f->version);
	return 0;
}

int envelope_open(const struct envelope_format *f, struct cursor *body, const uint8_t *p, size_t len,
		  char *why)
{
	*body = cursor_make(NULL, 0);
	if (!p)
		len = 0;
	if (len > f->max_len)
		return err_set(why, "size out of range (%zu bytes, at most %zu)", len, f->max_len);
	struct cursor c = cursor_make(p, len);
	if (f->header_first && check_header(f, &c, len, why) != 0)
		return -1;
	if (c.len < ENVELOPE_SUM_LEN)
		return too_short(f, len, why);
	uint8_t sum[ENVELOPE_SUM_LEN];
	f->hash(sum, p, len - ENVELOPE_SUM_LEN);
	if (memcmp(sum, p + len - ENVELOPE_SUM_LEN, ENVELOPE_SUM_LEN) != 0)
		return err_set(why, "%s", f->bad_sum);
	c.len -= ENVELOPE_SUM_LEN;
	if (!f->header_first && check_header(f, &c, len, why) != 0)
		return -1;
	*body = c;
	return 0;
}
