/* The ban list: CIDR parsing (strict, normalised), bans on one address and
 * on IPv4 and IPv6 subnets, expiry, unban, listbanned's fields, a full
 * list, and the file: round trip, and every way a file can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <unistd.h>

#include "chain/hash.h"
#include "p2p/banman.h"
#include "util/buf.h"

#define NOW 1700000000u
#define DAY 86400u

/* The 16-byte form of a numeric address. */
static void ip_of(uint8_t ip[16], const char *text)
{
	memset(ip, 0, 16);
	if (strchr(text, ':')) {
		assert_int_equal(inet_pton(AF_INET6, text, ip), 1);
	} else {
		ip[10] = ip[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, text, ip + 12), 1);
	}
}

static bool banned(const struct banman *bm, const char *ip_text, uint64_t now)
{
	uint8_t ip[16];
	ip_of(ip, ip_text);
	return banman_is_banned(bm, ip, now);
}

static void assert_norm(const char *in, const char *want)
{
	struct ban_subnet s;
	char err[ERR_LEN] = "", text[BANMAN_TEXT_LEN];
	assert_int_equal(banman_parse(&s, in, err), 0);
	banman_format(text, &s);
	assert_string_equal(text, want);
	/* The canonical text parses back to itself. */
	struct ban_subnet again;
	assert_int_equal(banman_parse(&again, text, err), 0);
	assert_memory_equal(&s, &again, sizeof(s));
}

static void test_parse_normalises(void **state)
{
	(void)state;
	assert_norm("1.2.3.4", "1.2.3.4/32");
	assert_norm("1.2.3.4/32", "1.2.3.4/32");
	assert_norm("1.2.3.77/24", "1.2.3.0/24");
	assert_norm("10.255.255.255/8", "10.0.0.0/8");
	assert_norm("1.2.3.4/0", "0.0.0.0/0");
	assert_norm("2001:db8:1:2:3::1/64", "2001:db8:1:2::/64");
	assert_norm("2001:DB8::1", "2001:db8::1/128");
	assert_norm("::1", "::1/128");
	assert_norm("::ffff:1.2.3.4", "1.2.3.4/32");
	assert_norm("::/0", "::/0");
	assert_norm("2001:db8::ff/121", "2001:db8::80/121");

	struct ban_subnet s;
	assert_int_equal(banman_parse(&s, "1.2.3.4/24", NULL), 0);
	assert_int_equal(s.bits, 96 + 24);
}

static void assert_refused(const char *in, const char *reason)
{
	struct ban_subnet s;
	memset(&s, 0xaa, sizeof(s));
	char err[ERR_LEN] = "";
	assert_int_equal(banman_parse(&s, in, err), -1);
	if (!strstr(err, reason))
		fail_msg("'%s': wanted '%s', got '%s'", in ? in : "(null)", reason, err);
	struct ban_subnet zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&s, &zero, sizeof(s));
}

static void test_parse_refuses(void **state)
{
	(void)state;
	assert_refused(NULL, "no text");
	assert_refused("", "bad address");
	assert_refused("/24", "bad address");
	assert_refused("1.2.3", "bad address");
	assert_refused("1.2.3.4.5", "bad address");
	assert_refused("256.1.1.1", "bad address");
	assert_refused(" 1.2.3.4", "bad address");
	assert_refused("1.2.3.4 ", "bad address");
	assert_refused("example.com", "bad address");
	assert_refused("fe80::1%eth0", "bad address");
	assert_refused("2001:db8::g", "bad address");
	assert_refused("1:2:3:4:5:6:7:8:9", "bad address");
	assert_refused("1.2.3.4/", "bad prefix length");
	assert_refused("1.2.3.4/33", "bad prefix length (0 to 32)");
	assert_refused("1.2.3.4/-1", "bad prefix length");
	assert_refused("1.2.3.4/+8", "bad prefix length");
	assert_refused("1.2.3.4/ 8", "bad prefix length");
	assert_refused("1.2.3.4/8 ", "bad prefix length");
	assert_refused("1.2.3.4/0008", "bad prefix length");
	assert_refused("1.2.3.4/8/8", "bad prefix length");
	assert_refused("1.2.3.4/255.255.255.0", "bad prefix length");
	assert_refused("::1/129", "bad prefix length (0 to 128)");
	assert_refused("::1/1280", "bad prefix length");
	char longer[200];
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_refused(longer, "bad address");
}

static void test_ban_single_address(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	assert_non_null(bm);
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "1.2.3.4", NOW + DAY, NOW, err), 0);
	assert_true(banned(bm, "1.2.3.4", NOW));
	assert_false(banned(bm, "1.2.3.5", NOW));
	assert_false(banned(bm, "1.2.4.4", NOW));
	assert_false(banned(bm, "::1", NOW));
	assert_false(banned(bm, "::1.2.3.4", NOW)); /* IPv4-compatible is another address */

	uint8_t ip[16];
	ip_of(ip, "9.9.9.9");
	struct ban_subnet one = banman_subnet_of(ip);
	assert_int_equal(banman_ban_subnet(bm, &one, NOW + DAY, NOW, err), 0);
	assert_true(banned(bm, "9.9.9.9", NOW));
	assert_true(banman_has(bm, &one, NOW));
	assert_int_equal(banman_size(bm), 2);

	/* /32 given explicitly is the same ban. */
	assert_int_equal(banman_ban(bm, "1.2.3.4/32", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_size(bm), 2);
	banman_free(bm);
}

static void test_ban_subnets(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "10.20.30.99/24", NOW + DAY, NOW, err), 0);
	assert_true(banned(bm, "10.20.30.0", NOW));
	assert_true(banned(bm, "10.20.30.255", NOW));
	assert_false(banned(bm, "10.20.31.0", NOW));
	assert_false(banned(bm, "10.20.29.255", NOW));

	assert_int_equal(banman_ban(bm, "2001:db8:1:2::/64", NOW + DAY, NOW, err), 0);
	assert_true(banned(bm, "2001:db8:1:2::1", NOW));
	assert_true(banned(bm, "2001:db8:1:2:ffff:ffff:ffff:ffff", NOW));
	assert_false(banned(bm, "2001:db8:1:3::", NOW));
	assert_false(banned(bm, "2001:db8:1:1:ffff:ffff:ffff:ffff", NOW));

	/* A prefix that ends inside a byte. */
	assert_int_equal(banman_ban(bm, "172.16.0.0/12", NOW + DAY, NOW, err), 0);
	assert_true(banned(bm, "172.31.255.255", NOW));
	assert_false(banned(bm, "172.32.0.0", NOW));
	assert_false(banned(bm, "172.15.255.255", NOW));

	/* An IPv4 ban covers no IPv6 address and the other way around. */
	assert_false(banned(bm, "::a14:1e01", NOW));

	struct ban_subnet s;
	assert_int_equal(banman_parse(&s, "10.20.30.7/24", err), 0);
	assert_true(banman_has(bm, &s, NOW));
	assert_int_equal(banman_parse(&s, "10.20.30.7/25", err), 0);
	assert_false(banman_has(bm, &s, NOW));
	banman_free(bm);
}

static void test_expiry_and_sweep(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "1.1.1.1", NOW + 100, NOW, err), 0);
	assert_int_equal(banman_ban(bm, "2.2.2.0/24", NOW + 200, NOW, err), 0);
	assert_true(banned(bm, "1.1.1.1", NOW + 99));
	assert_false(banned(bm, "1.1.1.1", NOW + 100));
	assert_true(banned(bm, "2.2.2.2", NOW + 100));

	struct banman_item *items;
	size_t n;
	assert_int_equal(banman_list(bm, NOW + 100, &items, &n), 0);
	assert_int_equal(n, 1); /* an expired ban is not listed */
	assert_string_equal(items[0].text, "2.2.2.0/24");
	free(items);

	assert_int_equal(banman_size(bm), 2);
	assert_int_equal(banman_sweep(bm, NOW + 100), 1);
	assert_int_equal(banman_size(bm), 1);
	assert_int_equal(banman_sweep(bm, NOW + 100), 0);
	assert_int_equal(banman_sweep(bm, NOW + 200), 1);
	assert_int_equal(banman_size(bm), 0);

	/* A ban that ends when it starts, or earlier, is refused. */
	assert_int_equal(banman_ban(bm, "3.3.3.3", NOW, NOW, err), -1);
	assert_non_null(strstr(err, "'3.3.3.3/32'"));
	assert_non_null(strstr(err, "end before it starts"));
	assert_int_equal(banman_ban(bm, "3.3.3.3", NOW - 1, NOW, err), -1);
	assert_int_equal(banman_size(bm), 0);
	banman_free(bm);
}

static void test_reban_only_extends(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "1.2.3.4", NOW + 1000, NOW, err), 0);
	assert_int_equal(banman_ban(bm, "1.2.3.4", NOW + 500, NOW + 10, err), 0);
	assert_true(banned(bm, "1.2.3.4", NOW + 999));
	assert_int_equal(banman_ban(bm, "1.2.3.4", NOW + 5000, NOW + 20, err), 0);
	assert_true(banned(bm, "1.2.3.4", NOW + 4999));
	assert_false(banned(bm, "1.2.3.4", NOW + 5000));
	assert_int_equal(banman_size(bm), 1);

	/* Once over, a new ban starts afresh, even a shorter one. */
	assert_int_equal(banman_ban(bm, "1.2.3.4", NOW + 6000, NOW + 5500, err), 0);
	struct banman_item *items;
	size_t n;
	assert_int_equal(banman_list(bm, NOW + 5500, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_true(items[0].ban_created == NOW + 5500);
	assert_true(items[0].ban_duration == 500);
	free(items);
	banman_free(bm);
}

static void test_unban_and_clear(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "1.2.3.0/24", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_ban(bm, "5.6.7.8", NOW + DAY, NOW, err), 0);

	/* Unban takes the subnet, normalised: host bits do not matter... */
	assert_int_equal(banman_unban(bm, "1.2.3.99/24", err), 0);
	assert_false(banned(bm, "1.2.3.4", NOW));
	/* ...but the prefix length does: a /32 is not the /24. */
	assert_int_equal(banman_ban(bm, "1.2.3.0/24", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_unban(bm, "1.2.3.4", err), -1);
	assert_string_equal(err, "cannot unban '1.2.3.4/32': not banned");
	assert_true(banned(bm, "1.2.3.4", NOW));

	assert_int_equal(banman_unban(bm, "1.2.3.4/40", err), -1);
	assert_non_null(strstr(err, "bad prefix length"));
	assert_int_equal(banman_unban(bm, "nonsense", err), -1);
	assert_non_null(strstr(err, "bad address"));

	assert_int_equal(banman_size(bm), 2);
	banman_clear(bm);
	assert_int_equal(banman_size(bm), 0);
	assert_false(banned(bm, "5.6.7.8", NOW));
	banman_free(bm);
	banman_free(NULL);
}

static void test_list_fields(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "2001:db8::/32", NOW + 3 * DAY, NOW, err), 0);
	assert_int_equal(banman_ban(bm, "9.9.9.9", NOW + DAY, NOW + 50, err), 0);
	assert_int_equal(banman_ban(bm, "1.2.3.0/24", NOW + 2 * DAY, NOW, err), 0);

	struct banman_item *items;
	size_t n;
	assert_int_equal(banman_list(bm, NOW + 100, &items, &n), 0);
	assert_int_equal(n, 3);
	/* Ordered by address: IPv6 2001:: sorts after ::ffff:a.b.c.d. */
	assert_string_equal(items[0].text, "1.2.3.0/24");
	assert_string_equal(items[1].text, "9.9.9.9/32");
	assert_string_equal(items[2].text, "2001:db8::/32");
	assert_true(items[1].ban_created == NOW + 50);
	assert_true(items[1].banned_until == NOW + DAY);
	assert_true(items[1].ban_duration == DAY - 50);
	assert_true(items[1].time_remaining == DAY - 100);
	assert_true(items[0].time_remaining == 2 * DAY - 100);
	free(items);

	banman_clear(bm);
	items = (void *)1;
	n = 7;
	assert_int_equal(banman_list(bm, NOW, &items, &n), 0);
	assert_null(items);
	assert_int_equal(n, 0);
	banman_free(bm);
}

static void test_full_list(void **state)
{
	(void)state;
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	uint8_t ip[16];
	ip_of(ip, "::");
	ip[0] = 0x20;
	/* Bans ending at NOW+1000+i; the first ends soonest. */
	for (unsigned i = 0; i < BANMAN_MAX; i++) {
		ip[14] = (uint8_t)(i >> 8);
		ip[15] = (uint8_t)i;
		struct ban_subnet s = banman_subnet_of(ip);
		assert_int_equal(banman_ban_subnet(bm, &s, NOW + 1000 + i, NOW, err), 0);
	}
	assert_int_equal(banman_size(bm), BANMAN_MAX);

	/* A ban ending before all of them does not push one out. */
	assert_int_equal(banman_ban(bm, "1.1.1.1", NOW + 999, NOW, err), -1);
	assert_non_null(strstr(err, "the ban list is full"));
	assert_false(banned(bm, "1.1.1.1", NOW));

	/* A longer one replaces the ban ending soonest. */
	assert_int_equal(banman_ban(bm, "1.1.1.1", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_size(bm), BANMAN_MAX);
	assert_true(banned(bm, "1.1.1.1", NOW));
	assert_false(banned(bm, "2000::", NOW));
	assert_true(banned(bm, "2000::1", NOW));

	/* Expired bans make room before live ones are touched. */
	assert_int_equal(banman_ban(bm, "2.2.2.2", NOW + DAY, NOW + 1005, err), 0);
	assert_int_equal(banman_size(bm), BANMAN_MAX - 4);
	assert_true(banned(bm, "2.2.2.2", NOW + 1005));
	assert_false(banned(bm, "2000::5", NOW + 1005));
	assert_true(banned(bm, "2000::6", NOW + 1005));
	banman_free(bm);
}

/* ---- the file ---- */

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-banman-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in_dir(char out[128], const char *name)
{
	snprintf(out, 128, "%s/%s", dir, name);
}

static struct banman *sample(void)
{
	struct banman *bm = banman_new();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_ban(bm, "1.2.3.0/24", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_ban(bm, "5.6.7.8", NOW + 2 * DAY, NOW + 5, err), 0);
	assert_int_equal(banman_ban(bm, "2001:db8:1:2::/64", NOW + 3 * DAY, NOW + 9, err), 0);
	assert_int_equal(banman_ban(bm, "::1", NOW + 4 * DAY, NOW, err), 0);
	return bm;
}

static void assert_same_lists(const struct banman *a, const struct banman *b)
{
	struct banman_item *x, *y;
	size_t nx, ny;
	assert_int_equal(banman_list(a, NOW, &x, &nx), 0);
	assert_int_equal(banman_list(b, NOW, &y, &ny), 0);
	assert_int_equal(nx, ny);
	if (nx)
		assert_memory_equal(x, y, nx * sizeof(*x));
	free(x);
	free(y);
}

static void test_save_load_round_trip(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN] = "";
	path_in_dir(path, "banlist.dat");
	struct banman *bm = sample();
	assert_true(banman_dirty(bm));
	assert_int_equal(banman_save(bm, path, err), 0);
	assert_false(banman_dirty(bm));
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed away */

	struct banman *back = banman_new();
	assert_int_equal(banman_ban(back, "7.7.7.7", NOW + DAY, NOW, err), 0);
	assert_int_equal(banman_load(back, path, err), 0);
	assert_false(banman_dirty(back));
	assert_int_equal(banman_size(back), 4);
	assert_same_lists(bm, back);
	assert_false(banned(back, "7.7.7.7", NOW)); /* replaced, not merged */
	assert_true(banned(back, "2001:db8:1:2::5", NOW));

	/* An empty list round-trips too. */
	banman_clear(bm);
	assert_int_equal(banman_save(bm, path, err), 0);
	assert_int_equal(banman_load(back, path, err), 0);
	assert_int_equal(banman_size(back), 0);
	banman_free(bm);
	banman_free(back);
}

/* The file's bytes for the sample list. */
static uint8_t *sample_bytes(size_t *len)
{
	char path[128], err[ERR_LEN] = "";
	path_in_dir(path, "sample.dat");
	struct banman *bm = sample();
	assert_int_equal(banman_save(bm, path, err), 0);
	banman_free(bm);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *p = malloc(4096);
	*len = fread(p, 1, 4096, f);
	fclose(f);
	assert_true(*len > 32 && *len < 4096);
	return p;
}

static void assert_load_fails(const uint8_t *p, size_t len, const char *reason)
{
	struct banman *bm = sample();
	char err[ERR_LEN] = "";
	assert_int_equal(banman_load_mem(bm, p, len, err), -1);
	if (!strstr(err, reason))
		fail_msg("wanted '%s', got '%s'", reason, err);
	assert_int_equal(banman_size(bm), 0);
	assert_false(banned(bm, "5.6.7.8", NOW));
	banman_free(bm);
}

/* Replaces the checksum so that the body's own checks are reached. */
static void reseal(uint8_t *p, size_t len)
{
	hash_sha256d(p + len - 32, p, len - 32);
}

static void test_load_refuses_corruption(void **state)
{
	(void)state;
	size_t len;
	uint8_t *good = sample_bytes(&len);
	uint8_t *p = malloc(len + 64);

	for (size_t cut = 0; cut < len; cut++)
		assert_load_fails(good, cut, cut < 32 ? "out of range" : "bad checksum");
	for (size_t i = 0; i < len; i++) {
		memcpy(p, good, len);
		p[i] ^= (uint8_t)(1u << (i % 8));
		assert_load_fails(p, len, "bad checksum");
	}
	assert_load_fails(NULL, 0, "out of range");
	assert_load_fails(good, BANMAN_FILE_MAX + 1, "out of range");

	memcpy(p, good, len);
	p[0] = 'X';
	reseal(p, len);
	assert_load_fails(p, len, "not a ban list file");

	memcpy(p, good, len);
	p[4] = 2;
	reseal(p, len);
	assert_load_fails(p, len, "unknown version 2");

	memcpy(p, good, len);
	p[8] = 5; /* one more entry than there is */
	reseal(p, len);
	assert_load_fails(p, len, "bad entry 4");

	memcpy(p, good, len);
	p[8] = 0xfe; /* a count past BANMAN_MAX */
	reseal(p, len);
	assert_load_fails(p, len, "bad count");

	memcpy(p, good, len);
	p[9 + 16] = 129; /* first entry's prefix length */
	reseal(p, len);
	assert_load_fails(p, len, "bad entry 0");

	memcpy(p, good, len);
	p[9 + 15] |= 1; /* first entry is 1.2.3.0/24: a host bit */
	reseal(p, len);
	assert_load_fails(p, len, "bad entry 0");

	memcpy(p, good, len);
	memcpy(p + 9 + 33, p + 9, 33); /* the second entry repeats the first */
	reseal(p, len);
	assert_load_fails(p, len, "entry 1 repeated");

	memcpy(p, good, len - 32);
	p[len - 32] = 0; /* a stray byte before the checksum */
	reseal(p, len + 1);
	assert_load_fails(p, len + 1, "trailing bytes");

	/* And the untouched bytes still load. */
	struct banman *bm = banman_new();
	char err[ERR_LEN];
	assert_int_equal(banman_load_mem(bm, good, len, err), 0);
	assert_int_equal(banman_size(bm), 4);
	banman_free(bm);
	free(p);
	free(good);
}

static void test_load_file_errors(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN] = "";
	struct banman *bm = sample();
	path_in_dir(path, "missing.dat");
	assert_int_equal(banman_load(bm, path, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(banman_size(bm), 0);

	/* An oversize file is refused before it is read. */
	path_in_dir(path, "huge.dat");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)BANMAN_FILE_MAX, SEEK_SET), 0);
	fputc(0, f);
	fclose(f);
	banman_free(bm);
	bm = sample();
	assert_int_equal(banman_load(bm, path, err), -1);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(banman_size(bm), 0);

	/* A bit flipped on disk names the file. */
	path_in_dir(path, "flipped.dat");
	banman_free(bm);
	bm = sample();
	assert_int_equal(banman_save(bm, path, err), 0);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 20, SEEK_SET), 0);
	fputc(0x5a, f);
	fclose(f);
	assert_int_equal(banman_load(bm, path, err), -1);
	assert_non_null(strstr(err, "flipped.dat"));
	assert_non_null(strstr(err, "bad checksum"));
	assert_int_equal(banman_size(bm), 0);

	/* Saving into a folder that does not exist fails cleanly. */
	assert_int_equal(banman_save(bm, "/nonexistent-cairn/banlist.dat", err), -1);
	assert_non_null(strstr(err, "cannot create"));
	banman_free(bm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_normalises),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_ban_single_address),
		cmocka_unit_test(test_ban_subnets),
		cmocka_unit_test(test_expiry_and_sweep),
		cmocka_unit_test(test_reban_only_extends),
		cmocka_unit_test(test_unban_and_clear),
		cmocka_unit_test(test_list_fields),
		cmocka_unit_test(test_full_list),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_load_refuses_corruption),
		cmocka_unit_test(test_load_file_errors),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
