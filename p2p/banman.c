#include "p2p/banman.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/envelope.h"
#include "util/file.h"
#include "util/grow.h"

/* banlist.dat: "CBAN" | version u32 | count varint | count × (ip 16 | bits u8
 * | created u64 | until u64) | SHA-256d of everything before. */
static const uint8_t file_magic[4] = { 'C', 'B', 'A', 'N' };
static const struct envelope_format file_format = {
	.magic = file_magic, .magic_len = sizeof(file_magic), .version = 1,
	.hash = hash_sha256d, .max_len = BANMAN_FILE_MAX, .header_first = false,
	.kind = "a ban list file", .too_short = "size out of range",
	.bad_sum = "bad checksum", .bad_version = "unknown version",
};

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct ban {
	struct ban_subnet s;
	uint64_t created;
	uint64_t until;
};

struct banman {
	struct ban *v;
	size_t n, cap;
	bool dirty;
};

struct banman *banman_new(void)
{
	return calloc(1, sizeof(struct banman));
}

void banman_free(struct banman *bm)
{
	if (!bm)
		return;
	free(bm->v);
	free(bm);
}

/* ---- subnets ---- */

static void clear_host_bits(struct ban_subnet *s)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned first = i * 8;
		if (first >= s->bits)
			s->ip[i] = 0;
		else if (s->bits - first < 8)
			s->ip[i] &= (uint8_t)(0xff << (8 - (s->bits - first)));
	}
}

bool banman_subnet_contains(const struct ban_subnet *s, const uint8_t ip[16])
{
	unsigned full = s->bits / 8, rest = s->bits % 8;
	if (memcmp(s->ip, ip, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (ip[full] & mask) == s->ip[full];
}

struct ban_subnet banman_subnet_of(const uint8_t ip[16])
{
	struct ban_subnet s;
	memcpy(s.ip, ip, 16);
	s.bits = 128;
	return s;
}

/* The prefix length after the '/': 1 to 3 decimal digits, at most max. */
static int parse_bits(const char *p, unsigned max, unsigned *out)
{
	size_t n = strlen(p);
	if (n == 0 || n > 3)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses the address part: IPv6 when it holds a ':', dotted IPv4 otherwise
 * (inet_pton refuses the short and octal forms inet_aton would take). */
static int parse_ip(uint8_t ip[16], const char *text, bool *v4)
{
	*v4 = strchr(text, ':') == NULL;
	if (!*v4)
		return inet_pton(AF_INET6, text, ip) == 1 ? 0 : -1;
	memcpy(ip, v4_prefix, 12);
	return inet_pton(AF_INET, text, ip + 12) == 1 ? 0 : -1;
}

int banman_parse(struct ban_subnet *out, const char *text, char *err)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return err_set(err, "cannot parse subnet: no text");
	char addr[BANMAN_TEXT_LEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr))
		return err_set(err, "cannot parse subnet '%.80s': bad address", text);
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	bool v4;
	if (parse_ip(out->ip, addr, &v4) != 0) {
		memset(out, 0, sizeof(*out));
		return err_set(err, "cannot parse subnet '%.80s': bad address", text);
	}
	unsigned bits = v4 ? 32 : 128;
	if (slash && parse_bits(slash + 1, bits, &bits) != 0) {
		memset(out, 0, sizeof(*out));
		return err_set(err, "cannot parse subnet '%.80s': bad prefix length (0 to %u)", text,
			       v4 ? 32u : 128u);
	}
	out->bits = (uint8_t)(v4 ? 96 + bits : bits);
	clear_host_bits(out);
	return 0;
}

void banman_format(char out[BANMAN_TEXT_LEN], const struct ban_subnet *s)
{
	char ip[INET6_ADDRSTRLEN];
	bool v4 = s->bits >= 96 && memcmp(s->ip, v4_prefix, 12) == 0;
	const char *r = v4 ? inet_ntop(AF_INET, s->ip + 12, ip, sizeof(ip))
			   : inet_ntop(AF_INET6, s->ip, ip, sizeof(ip));
	if (!r)
		snprintf(ip, sizeof(ip), "?");
	snprintf(out, BANMAN_TEXT_LEN, "%s/%u", ip, v4 ? s->bits - 96u : (unsigned)s->bits);
}

/* ---- the list ---- */

static bool same_subnet(const struct ban_subnet *a, const struct ban_subnet *b)
{
	return a->bits == b->bits && memcmp(a->ip, b->ip, 16) == 0;
}

static struct ban *find(const struct banman *bm, const struct ban_subnet *s)
{
	for (size_t i = 0; i < bm->n; i++)
		if (same_subnet(&bm->v[i].s, s))
			return &bm->v[i];
	return NULL;
}

static void remove_at(struct banman *bm, size_t i)
{
	bm->v[i] = bm->v[--bm->n];
	bm->dirty = true;
}

size_t banman_sweep(struct banman *bm, uint64_t now)
{
	size_t removed = 0;
	for (size_t i = bm->n; i-- > 0;) {
		if (bm->v[i].until <= now) {
			remove_at(bm, i);
			removed++;
		}
	}
	return removed;
}

/* Frees one place when the list is full: expired bans first, then the ban
 * ending soonest, but only if it ends before `until`. */
static int make_room(struct banman *bm, uint64_t until, uint64_t now)
{
	if (bm->n < BANMAN_MAX)
		return 0;
	if (banman_sweep(bm, now) > 0)
		return 0;
	size_t soonest = 0;
	for (size_t i = 1; i < bm->n; i++)
		if (bm->v[i].until < bm->v[soonest].until)
			soonest = i;
	if (bm->v[soonest].until >= until)
		return -1;
	remove_at(bm, soonest);
	return 0;
}

static int append(struct banman *bm, const struct ban *b)
{
	if (grow_array(&bm->v, &bm->cap, bm->n + 1, sizeof(*bm->v), 16, SIZE_MAX) != 0)
		return -1;
	bm->v[bm->n++] = *b;
	bm->dirty = true;
	return 0;
}

int banman_ban_subnet(struct banman *bm, const struct ban_subnet *s, uint64_t until, uint64_t now,
		      char *err)
{
	char text[BANMAN_TEXT_LEN];
	banman_format(text, s);
	if (s->bits > 128)
		return err_set(err, "cannot ban '%s': bad prefix length", text);
	if (until <= now)
		return err_set(err, "cannot ban '%s': the ban would end before it starts", text);
	struct ban b = { *s, now, until };
	clear_host_bits(&b.s);
	struct ban *old = find(bm, &b.s);
	if (old) {
		/* An expired ban is a fresh start; a live one only grows. */
		if (old->until <= now || old->until < until) {
			*old = b;
			bm->dirty = true;
		}
		return 0;
	}
	if (make_room(bm, until, now) != 0)
		return err_set(err, "cannot ban '%s': the ban list is full", text);
	if (append(bm, &b) != 0)
		return err_set(err, "cannot ban '%s': out of memory", text);
	return 0;
}

int banman_ban(struct banman *bm, const char *text, uint64_t until, uint64_t now, char *err)
{
	struct ban_subnet s;
	if (banman_parse(&s, text, err) != 0)
		return -1;
	return banman_ban_subnet(bm, &s, until, now, err);
}

int banman_unban(struct banman *bm, const char *text, char *err)
{
	struct ban_subnet s;
	if (banman_parse(&s, text, err) != 0)
		return -1;
	struct ban *b = find(bm, &s);
	if (!b) {
		char norm[BANMAN_TEXT_LEN];
		banman_format(norm, &s);
		return err_set(err, "cannot unban '%s': not banned", norm);
	}
	remove_at(bm, (size_t)(b - bm->v));
	return 0;
}

bool banman_is_banned(const struct banman *bm, const uint8_t ip[16], uint64_t now)
{
	for (size_t i = 0; i < bm->n; i++)
		if (bm->v[i].until > now && banman_subnet_contains(&bm->v[i].s, ip))
			return true;
	return false;
}

bool banman_has(const struct banman *bm, const struct ban_subnet *s, uint64_t now)
{
	struct ban_subnet norm = *s;
	if (norm.bits > 128)
		return false;
	clear_host_bits(&norm);
	const struct ban *b = find(bm, &norm);
	return b && b->until > now;
}

void banman_clear(struct banman *bm)
{
	if (bm->n)
		bm->dirty = true;
	bm->n = 0;
}

size_t banman_size(const struct banman *bm)
{
	return bm->n;
}

bool banman_dirty(const struct banman *bm)
{
	return bm->dirty;
}

static int cmp_item(const void *a, const void *b)
{
	const struct banman_item *x = a, *y = b;
	int c = memcmp(x->subnet.ip, y->subnet.ip, 16);
	if (c)
		return c;
	return (int)x->subnet.bits - (int)y->subnet.bits;
}

int banman_list(const struct banman *bm, uint64_t now, struct banman_item **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (bm->n == 0)
		return 0;
	struct banman_item *v = calloc(bm->n, sizeof(*v));
	if (!v)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < bm->n; i++) {
		const struct ban *b = &bm->v[i];
		if (b->until <= now)
			continue;
		struct banman_item *it = &v[k++];
		it->subnet = b->s;
		banman_format(it->text, &b->s);
		it->ban_created = b->created;
		it->banned_until = b->until;
		it->ban_duration = b->until >= b->created ? b->until - b->created : 0;
		it->time_remaining = b->until - now;
	}
	if (k == 0) {
		free(v);
		return 0;
	}
	qsort(v, k, sizeof(*v), cmp_item);
	*out = v;
	*n = k;
	return 0;
}

/* ---- the file ---- */

int banman_save(struct banman *bm, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	envelope_begin(&b, &file_format);
	buf_varint(&b, bm->n);
	for (size_t i = 0; i < bm->n; i++) {
		buf_put(&b, bm->v[i].s.ip, 16);
		buf_u8(&b, bm->v[i].s.bits);
		buf_u64(&b, bm->v[i].created);
		buf_u64(&b, bm->v[i].until);
	}
	int r = envelope_save(&file_format, &b, path, err);
	buf_release(&b);
	if (r == 0)
		bm->dirty = false;
	return r;
}

static int read_ban(struct cursor *c, struct ban *b)
{
	if (!cursor_bytes(c, b->s.ip, 16) || !cursor_u8(c, &b->s.bits) ||
	    !cursor_u64(c, &b->created) || !cursor_u64(c, &b->until))
		return -1;
	if (b->s.bits > 128 || b->until < b->created)
		return -1;
	struct ban_subnet norm = b->s;
	clear_host_bits(&norm);
	return same_subnet(&norm, &b->s) ? 0 : -1;
}

/* Parses the body (the frame already checked) into bm, which is empty. */
static int parse_body(struct banman *bm, struct cursor *c, char *why)
{
	uint64_t n;
	if (!cursor_varint(c, &n, BANMAN_MAX))
		return err_set(why, "bad count");
	for (uint64_t i = 0; i < n; i++) {
		struct ban b;
		if (read_ban(c, &b) != 0)
			return err_set(why, "bad entry %llu",
				       (unsigned long long)i);
		if (find(bm, &b.s))
			return err_set(why, "entry %llu repeated",
				       (unsigned long long)i);
		if (append(bm, &b) != 0)
			return err_set(why, "out of memory");
	}
	if (!cursor_done(c))
		return err_set(why, "trailing bytes");
	return 0;
}

/* Fills bm from the bytes, or gives -1 with the bare reason in why. */
static int load_bytes(struct banman *bm, const uint8_t *p, size_t len, char *why)
{
	struct cursor c;
	if (envelope_open(&file_format, &c, p, len, why) != 0)
		return -1;
	return parse_body(bm, &c, why);
}

/* A failed load leaves nothing behind, and nothing that needs saving. */
static void empty(struct banman *bm)
{
	bm->n = 0;
	bm->dirty = false;
}

int banman_load_mem(struct banman *bm, const uint8_t *p, size_t len, char *err)
{
	char why[ERR_LEN];
	empty(bm);
	if (load_bytes(bm, p, len, why) != 0) {
		empty(bm);
		return err_set(err, "cannot load the ban list: %s", why);
	}
	bm->dirty = false;
	return 0;
}

static int load_file_bytes(void *bm, const uint8_t *p, size_t len, char *err)
{
	return banman_load_mem(bm, p, len, err);
}

int banman_load(struct banman *bm, const char *path, char *err)
{
	empty(bm);
	return file_load(path, BANMAN_FILE_MAX, load_file_bytes, bm, err);
}
