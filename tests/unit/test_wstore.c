/* The wallet database: round trip, commits that write only what changed
 * (a batch whose size does not grow with the wallet), modes 0700/0600,
 * refusal of damaged records, persistent locks, and secrets that leave no
 * plain copy in the files once sealed and compacted. The single-file format (backups and
 * migration): round trip, atomic replacement, mode 0600, refusal of
 * truncated, damaged and foreign files with their reason, and encryption
 * that keeps the secrets out of the file. A big wallet read in slices on
 * a pool gives every transaction back in order, and a record missing or
 * added at a slice's edge is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/hash.h"
#include "tests/unit/folder_fixture.h"
#include "util/pool.h"
#include "wallet/wfile.h"

static const uint8_t NET[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static const uint8_t OTHER_NET[4] = { 1, 2, 3, 4 };

static char dir[64], path[128], dbdir[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-wstore-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, WSTORE_FILE);
	snprintf(dbdir, sizeof(dbdir), "%s/default", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i * 7);
}

/* An image with a bit of everything. */
static void sample(struct wstore *s)
{
	uint8_t k[32], sk[32];
	wstore_init(s, NET);
	s->have_secrets = true;
	fill(s->seed, 32, 0x40);
	for (int c = 0; c < WSTORE_CHAINS; c++)
		for (int i = 0; i < 3; i++) {
			fill(k, 32, (uint8_t)(c * 16 + i));
			assert_int_equal(wstore_add_key(s, c, k), 0);
		}
	s->next[WSTORE_EXTERNAL] = 2;
	s->next[WSTORE_CHANGE] = 1;
	fill(sk, 32, 0x90);
	fill(k, 32, 0xa0);
	assert_int_equal(wstore_add_import(s, sk, k), 0);
	uint8_t addr[20];
	fill(addr, 20, 5);
	assert_int_equal(wstore_set_label(s, addr, "savings"), 0);
	assert_int_equal(wstore_set_label(s, addr, "rent"), 0); /* replaces */
	fill(addr, 20, 6);
	assert_int_equal(wstore_set_label(s, addr, ""), 0);

	struct tx tx;
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, 1, 2), 0);
	fill(tx.in[0].prev.txid, 32, 1);
	tx.out[0].value = 5 * COIN;
	tx.out[1].kind = TXOUT_ASSET;
	fill(tx.out[1].asset, 32, 9);
	assert_int_equal(txout_set_meta(&tx.out[1], (const uint8_t *)"doc", 3), 0);
	tx_finalize(&tx);
	struct wstore_tx *t = wstore_add_tx(s, &tx, 1234);
	assert_non_null(t);
	t->confirmed = true;
	fill(t->block, 32, 0x77);
	t->height = 42;
	t->pos = 1;
	t->in_mempool = true; /* never saved */
	tx.lock_time = 9;
	tx_finalize(&tx);
	assert_non_null(wstore_add_tx(s, &tx, 99));
	tx_release(&tx);
	s->have_best = true;
	fill(s->best_hash, 32, 0x33);
	s->best_height = 42;
}

static void assert_same_public(const struct wstore *a, const struct wstore *b)
{
	assert_memory_equal(a->net, b->net, 4);
	for (int c = 0; c < WSTORE_CHAINS; c++) {
		assert_int_equal(a->next[c], b->next[c]);
		assert_int_equal(a->n_keys[c], b->n_keys[c]);
		assert_memory_equal(a->keys[c], b->keys[c], a->n_keys[c] * 32);
	}
	assert_int_equal(a->n_imported, b->n_imported);
	assert_memory_equal(a->imported_pk, b->imported_pk, a->n_imported * 32);
	assert_int_equal(a->n_labels, b->n_labels);
	for (size_t i = 0; i < a->n_labels; i++)
		assert_string_equal(wstore_label(b, a->labels[i].addr), a->labels[i].text);
	assert_int_equal(a->n_txs, b->n_txs);
	for (size_t i = 0; i < a->n_txs; i++) {
		assert_memory_equal(a->txs[i]->tx.txid, b->txs[i]->tx.txid, 32);
		assert_int_equal(a->txs[i]->time, b->txs[i]->time);
		assert_int_equal(a->txs[i]->confirmed, b->txs[i]->confirmed);
		assert_memory_equal(a->txs[i]->block, b->txs[i]->block, 32);
		assert_int_equal(a->txs[i]->height, b->txs[i]->height);
		assert_int_equal(a->txs[i]->pos, b->txs[i]->pos);
		assert_false(b->txs[i]->in_mempool);
	}
	assert_int_equal(a->have_best, b->have_best);
	assert_memory_equal(a->best_hash, b->best_hash, 32);
	assert_int_equal(a->best_height, b->best_height);
}

/* b is sample() a read back whole: public part, secrets, labels, metadata. */
static void assert_sample_back(const struct wstore *a, const struct wstore *b)
{
	assert_same_public(a, b);
	assert_true(b->have_secrets);
	assert_false(b->encrypted);
	assert_memory_equal(a->seed, b->seed, 32);
	assert_memory_equal(a->imported_sk, b->imported_sk, 32);
	assert_string_equal(wstore_label(b, a->labels[0].addr), "rent");
	assert_int_equal(b->txs[0]->tx.out[1].meta_len, 3);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct wstore a, b;
	char err[ERR_LEN] = "";
	sample(&a);
	assert_int_equal(wfile_save(&a, path, err), 0);
	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_sample_back(&a, &b);
	wstore_release(&a);
	wstore_release(&b);
	wstore_release(&b); /* safe twice */
}

static void test_mode_0600(void **state)
{
	(void)state;
	struct wstore a;
	struct stat st;
	mode_t old = umask(0);
	sample(&a);
	assert_int_equal(wfile_save(&a, path, NULL), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	wstore_release(&a);
}

static void write_bytes(const char *p, const uint8_t *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_bytes(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	uint8_t *data = malloc(1 << 20);
	assert_non_null(data);
	*len = fread(data, 1, 1 << 20, f);
	fclose(f);
	return data;
}

/* A save interrupted before its rename leaves wallet.dat.tmp behind: the
 * next load ignores and removes it, the next save is not blocked by it. */
static void test_leftover_tmp(void **state)
{
	(void)state;
	struct wstore a, b;
	char tmp[160], err[ERR_LEN] = "";
	struct stat st;
	sample(&a);
	assert_int_equal(wfile_save(&a, path, err), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	write_bytes(tmp, (const uint8_t *)"half a wallet", 13);
	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_same_public(&a, &b);
	assert_int_equal(stat(tmp, &st), -1);
	wstore_release(&b);
	write_bytes(tmp, (const uint8_t *)"again", 5);
	a.next[WSTORE_EXTERNAL] = 3;
	assert_int_equal(wfile_save(&a, path, err), 0);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_int_equal(b.next[WSTORE_EXTERNAL], 3);
	wstore_release(&a);
	wstore_release(&b);
}

/* Every truncation and every single-bit flip is refused with a reason, and
 * never crashes. */
static void test_damage_refused(void **state)
{
	(void)state;
	struct wstore a, b;
	char err[ERR_LEN], bad[160];
	size_t len;
	sample(&a);
	assert_int_equal(wfile_save(&a, path, NULL), 0);
	wstore_release(&a);
	uint8_t *good = read_bytes(path, &len);
	snprintf(bad, sizeof(bad), "%s/bad.dat", dir);
	for (size_t cut = 0; cut < len; cut++) {
		write_bytes(bad, good, cut);
		err[0] = '\0';
		assert_int_equal(wfile_load(&b, bad, NET, err), -1);
		assert_true(strlen(err) > 0);
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t *copy = malloc(len);
		memcpy(copy, good, len);
		copy[i] ^= (uint8_t)(1u << (i % 8));
		write_bytes(bad, copy, len);
		free(copy);
		err[0] = '\0';
		assert_int_equal(wfile_load(&b, bad, NET, err), -1);
		assert_true(strlen(err) > 0);
	}
	/* The reasons name the problem. */
	write_bytes(bad, good, len - 1);
	assert_int_equal(wfile_load(&b, bad, NET, err), -1);
	assert_non_null(strstr(err, "checksum mismatch"));
	write_bytes(bad, (const uint8_t *)"GIF89a..........", 16);
	assert_int_equal(wfile_load(&b, bad, NET, err), -1);
	assert_non_null(strstr(err, "not a cairn wallet file"));
	uint8_t *v2 = malloc(len);
	memcpy(v2, good, len);
	v2[WSTORE_MAGIC_LEN] = 2;
	write_bytes(bad, v2, len);
	free(v2);
	assert_int_equal(wfile_load(&b, bad, NET, err), -1);
	assert_non_null(strstr(err, "unsupported version 2"));
	assert_int_equal(wfile_load(&b, path, OTHER_NET, err), -1);
	assert_non_null(strstr(err, "another network"));
	snprintf(bad, sizeof(bad), "%s/missing.dat", dir);
	assert_int_equal(wfile_load(&b, bad, NET, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	free(good);
}

/* Sealed with a key, the file holds neither the seed nor the imported key;
 * the wrong key is told apart by the tag; the right one brings both back. */
static void test_encryption(void **state)
{
	(void)state;
	struct wstore a, b;
	uint8_t key[32], wrong[32], seed[32], sk[32];
	char err[ERR_LEN] = "";
	size_t len;
	sample(&a);
	memcpy(seed, a.seed, 32);
	memcpy(sk, a.imported_sk[0], 32);
	fill(a.salt, WSTORE_SALT_LEN, 3);
	a.kdf_log2n = 10; /* cheap for the test; the wallet writes 15 */
	a.kdf_r = 8;
	a.kdf_p = 1;
	assert_int_equal(wstore_derive_key(key, "correct horse", a.salt, 10, 8, 1, err), 0);
	assert_int_equal(wstore_derive_key(wrong, "correct hors", a.salt, 10, 8, 1, err), 0);
	assert_memory_not_equal(key, wrong, 32);
	assert_int_equal(wstore_seal(&a, key, err), 0);
	assert_true(a.encrypted);
	wstore_forget_secrets(&a);
	assert_int_equal(wstore_seal(&a, key, err), -1); /* nothing to seal while locked */
	assert_int_equal(wfile_save(&a, path, err), 0);

	uint8_t *file = read_bytes(path, &len);
	assert_false(fix_bytes_contain(file, len, seed, 32));
	assert_false(fix_bytes_contain(file, len, sk, 32));
	free(file);

	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_true(b.encrypted);
	assert_false(b.have_secrets);
	assert_same_public(&a, &b);
	assert_int_equal(wstore_unseal(&b, wrong, err), WSTORE_BAD_KEY);
	assert_non_null(strstr(err, "incorrect"));
	assert_false(b.have_secrets);
	assert_int_equal(wstore_unseal(&b, key, err), 0);
	assert_true(b.have_secrets);
	assert_memory_equal(b.seed, seed, 32);
	assert_memory_equal(b.imported_sk[0], sk, 32);
	wstore_release(&a);
	wstore_release(&b);
}

/* scrypt is deterministic in its inputs and refuses costs out of range. */
static void test_kdf(void **state)
{
	(void)state;
	uint8_t salt[16] = { 0 }, k1[32], k2[32];
	char err[ERR_LEN] = "";
	assert_int_equal(wstore_derive_key(k1, "pass", salt, 10, 8, 1, err), 0);
	assert_int_equal(wstore_derive_key(k2, "pass", salt, 10, 8, 1, err), 0);
	assert_memory_equal(k1, k2, 32);
	salt[0] = 1;
	assert_int_equal(wstore_derive_key(k2, "pass", salt, 10, 8, 1, err), 0);
	assert_memory_not_equal(k1, k2, 32);
	assert_int_equal(wstore_derive_key(k2, "pass", salt, 40, 8, 1, err), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(wstore_derive_key(k2, "pass", salt, 10, 0, 1, err), -1);
}

static void test_misuse(void **state)
{
	(void)state;
	struct wstore a;
	char longl[WSTORE_LABEL_MAX + 2];
	uint8_t addr[20] = { 0 }, k[32] = { 0 };
	wstore_init(&a, NET);
	memset(longl, 'x', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	assert_int_equal(wstore_set_label(&a, addr, longl), -1);
	assert_null(wstore_label(&a, addr));
	/* Imports need the secrets in memory. */
	assert_int_equal(wstore_add_import(&a, k, k), -1);
	/* A locked image with no seal cannot be saved in the clear. */
	assert_int_equal(wfile_save(&a, path, NULL), -1);
	wstore_release(&a);
	wstore_release(NULL);
}


/* ---- the database ---- */

static void assert_modes(const char *d)
{
	struct stat st;
	DIR *dd = opendir(d);
	struct dirent *e;
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_non_null(dd);
	while ((e = readdir(dd))) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
			assert_int_equal(st.st_mode & 0777, 0600);
	}
	closedir(dd);
}

static void add_sample_tx(struct wstore *s, uint32_t n)
{
	struct tx tx;
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, 1, 1), 0);
	fill(tx.in[0].prev.txid, 32, 2);
	tx.in[0].prev.index = n;
	tx.out[0].value = COIN + n;
	tx_finalize(&tx);
	assert_non_null(wstore_add_tx(s, &tx, 1000 + n));
	tx_release(&tx);
}

/* Created from an image, the database gives it back whole on open, with
 * folder 0700 and files 0600; a second create over it is refused. */
static void test_db_round_trip(void **state)
{
	(void)state;
	struct wstore a, b;
	char err[ERR_LEN] = "";
	sample(&a);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	assert_modes(dbdir);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), -1); /* a's lock keeps it */
	assert_non_null(strstr(err, "lock"));
	wstore_release(&a);
	sample(&a);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_sample_back(&a, &b);
	assert_int_equal(wstore_create(&a, dbdir, err), -1);
	assert_non_null(strstr(err, "already exists"));
	wstore_release(&a);
	wstore_release(&b);
	assert_int_equal(wstore_open(&b, dbdir, OTHER_NET, NULL, err), -1);
	assert_non_null(strstr(err, "another network"));
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(wstore_open(&b, path, NET, NULL, err), -1);
	assert_non_null(strstr(err, "no such folder"));
}

/* One more transaction costs the same batch with 10 transactions as with
 * 400; a touched old one is one more record; a commit with no change writes
 * only the three fixed records. Reopened after all those commits, the image
 * is the same: keys, labels, transactions in order, best block. */
static void test_db_incremental(void **state)
{
	(void)state;
	struct wstore a, b;
	char err[ERR_LEN] = "";
	size_t at_small = 0, at_large = 0;
	sample(&a);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	for (uint32_t i = 0; i < 400; i++) {
		add_sample_tx(&a, i);
		a.best_height = 100 + i;
		assert_int_equal(wstore_commit(&a, err), 0);
		if (i == 10)
			at_small = a.last_commit;
		if (i == 399)
			at_large = a.last_commit;
	}
	assert_int_equal(at_small, 4); /* meta, counters, best block, the transaction */
	assert_int_equal(at_large, at_small);
	struct wstore_tx *old = a.txs[5];
	old->confirmed = true;
	old->height = 7;
	fill(old->block, 32, 0x55);
	wstore_tx_touch(&a, old);
	wstore_tx_touch(&a, old); /* once is enough */
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(a.last_commit, 4);
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(a.last_commit, 3);
	uint8_t k[32], addr[20];
	fill(k, 32, 0xee);
	assert_int_equal(wstore_add_key(&a, WSTORE_CHANGE, k), 0);
	a.next[WSTORE_CHANGE] = 2;
	fill(addr, 20, 5);
	assert_int_equal(wstore_set_label(&a, addr, "rent, paid"), 0);
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(a.last_commit, 5); /* the key and the label */
	struct wstore copy;
	assert_int_equal(wfile_save(&a, path, err), 0); /* the image, to compare with */
	assert_int_equal(wfile_load(&copy, path, NET, err), 0);
	wstore_release(&a);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_int_equal(b.n_txs, 402);
	assert_same_public(&copy, &b);
	assert_string_equal(wstore_label(&b, addr), "rent, paid");
	assert_true(b.txs[5]->confirmed);
	assert_int_equal(b.txs[5]->height, 7);
	assert_int_equal(b.best_height, 499);
	wstore_release(&b);
	wstore_release(&copy);
}

static void put_raw(const char *d, const void *key, size_t klen, const void *val, size_t vlen, bool del)
{
	char err[ERR_LEN] = "";
	struct store *db = store_open(d, 0, err);
	struct store_batch *b = store_batch_new();
	assert_non_null(db);
	if (del)
		store_batch_del(b, key, klen);
	else
		store_batch_put(b, key, klen, val, vlen);
	assert_int_equal(store_write(db, b, true, err), 0);
	store_batch_free(b);
	store_close(db);
}

static void assert_open_fails(const char *why)
{
	struct wstore b;
	char err[ERR_LEN] = "";
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), -1);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
}

/* A damaged or missing record is refused with a reason that names it. */
static void test_db_damage_refused(void **state)
{
	(void)state;
	struct wstore a;
	char err[ERR_LEN] = "";
	sample(&a);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	wstore_release(&a);
	const uint8_t tx1[9] = { 'T', 0, 0, 0, 0, 0, 0, 0, 1 }, key0[6] = { 'K', 0, 0, 0, 0, 0 };
	uint8_t *v;
	size_t vlen;
	struct store *db = store_open(dbdir, 0, err);
	assert_non_null(db);
	assert_int_equal(store_get(db, tx1, sizeof(tx1), &v, &vlen, err), 1);
	store_close(db);
	put_raw(dbdir, tx1, sizeof(tx1), v, vlen - 1, false);
	assert_open_fails("transaction record 1");
	put_raw(dbdir, tx1, sizeof(tx1), v, vlen, false);
	sample(&a);
	struct wstore b;
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0); /* repaired */
	assert_same_public(&a, &b);
	wstore_release(&a);
	wstore_release(&b);
	store_free(v);
	put_raw(dbdir, key0, sizeof(key0), "short", 5, false);
	assert_open_fails("key record");
	put_raw(dbdir, key0, sizeof(key0), NULL, 0, true);
	assert_open_fails("key record"); /* the list has a hole */
	put_raw(dbdir, "M", 1, "junk", 4, false);
	assert_open_fails("meta record");
	put_raw(dbdir, "M", 1, NULL, 0, true);
	assert_open_fails("not a cairn wallet database");
}

/* Persistent locks: one record each, written by the commit after the
 * change (a lock and its removal in one batch leave nothing), read back on
 * open, dropped on unlock; a lock taken before the database is created is
 * in it; a malformed record is refused by name. */
static void test_db_locks(void **state)
{
	(void)state;
	struct wstore a, b;
	char err[ERR_LEN] = "";
	struct outpoint op[3];
	for (uint32_t i = 0; i < 3; i++) {
		fill(op[i].txid, 32, (uint8_t)(0x10 * i));
		op[i].index = 0x01020300u + i;
	}
	sample(&a);
	assert_int_equal(wstore_lock(&a, &op[0]), 0);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	assert_int_equal(wstore_lock(&a, &op[1]), 0);
	assert_int_equal(wstore_lock(&a, &op[1]), 0); /* once is enough */
	assert_int_equal(wstore_lock(&a, &op[2]), 0);
	assert_int_equal(wstore_unlock(&a, &op[2]), 0);
	assert_int_equal(a.n_locks, 2);
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(a.last_commit, 3 + 3); /* the fixed three; op[1] set, op[2] set and deleted */
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(a.last_commit, 3);
	wstore_release(&a);

	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_int_equal(b.n_locks, 2);
	assert_memory_equal(&b.locks[0], &op[0], sizeof(op[0]));
	assert_memory_equal(&b.locks[1], &op[1], sizeof(op[1]));
	assert_int_equal(b.n_lock_changes, 0);
	assert_int_equal(wstore_unlock(&b, &op[2]), 0); /* not locked: nothing */
	assert_int_equal(b.n_lock_changes, 0);
	assert_int_equal(wstore_unlock(&b, &op[0]), 0);
	assert_int_equal(wstore_commit(&b, err), 0);
	assert_int_equal(b.last_commit, 4);
	wstore_release(&b);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_int_equal(b.n_locks, 1);
	assert_memory_equal(&b.locks[0], &op[1], sizeof(op[1]));
	wstore_release(&b);

	uint8_t k[37] = { 'U' };
	put_raw(dbdir, k, sizeof(k), "x", 1, false);
	assert_open_fails("lock record");
	put_raw(dbdir, k, sizeof(k), NULL, 0, true);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	wstore_release(&b);
	put_raw(dbdir, k, sizeof(k) - 1, "", 0, false);
	assert_open_fails("lock record");
}

/* Sealed, committed and compacted, no file of the database holds the seed
 * or the imported key, nor (after a re-seal under another key) the old
 * sealed block; reopened, the right key opens the secrets. */
static void test_db_sealed_secrets(void **state)
{
	(void)state;
	struct wstore a, b;
	uint8_t key[32], key2[32], seed[32], sk[32], old_sealed[256];
	char err[ERR_LEN] = "";
	sample(&a);
	/* Secrets that do not compress, so that a copy in a compressed table
	 * still shows. */
	uint32_t x = 12345;
	for (size_t i = 0; i < 32; i++) {
		a.seed[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
		a.imported_sk[0][i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
	}
	memcpy(seed, a.seed, 32);
	memcpy(sk, a.imported_sk[0], 32);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	assert_true(fix_folder_contains(dbdir, seed, 32)); /* a plain wallet holds them */
	assert_true(fix_folder_contains(dbdir, sk, 32));
	fill(a.salt, WSTORE_SALT_LEN, 3);
	a.kdf_log2n = 10;
	a.kdf_r = 8;
	a.kdf_p = 1;
	assert_int_equal(wstore_derive_key(key, "correct horse", a.salt, 10, 8, 1, err), 0);
	assert_int_equal(wstore_seal(&a, key, err), 0);
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(wstore_compact(&a, err), 0);
	assert_false(fix_folder_contains(dbdir, seed, 32));
	assert_false(fix_folder_contains(dbdir, sk, 32));
	assert_modes(dbdir);
	assert_true(a.sealed_len <= sizeof(old_sealed));
	memcpy(old_sealed, a.sealed, a.sealed_len);
	size_t old_len = a.sealed_len;
	assert_true(fix_folder_contains(dbdir, old_sealed, old_len));
	fill(a.salt, WSTORE_SALT_LEN, 4);
	assert_int_equal(wstore_derive_key(key2, "battery staple", a.salt, 10, 8, 1, err), 0);
	assert_int_equal(wstore_seal(&a, key2, err), 0);
	assert_int_equal(wstore_commit(&a, err), 0);
	assert_int_equal(wstore_compact(&a, err), 0);
	assert_false(fix_folder_contains(dbdir, old_sealed, old_len));
	assert_false(fix_folder_contains(dbdir, seed, 32));
	wstore_release(&a);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_true(b.encrypted);
	assert_false(b.have_secrets);
	assert_int_equal(wstore_unseal(&b, key, err), WSTORE_BAD_KEY);
	assert_int_equal(wstore_unseal(&b, key2, err), 0);
	assert_memory_equal(b.seed, seed, 32);
	assert_memory_equal(b.imported_sk[0], sk, 32);
	wstore_release(&b);
}

/* A new seed drops the derived keys: fewer keys derived from it leave no
 * record of the old ones behind. */
static void test_db_reset_seed(void **state)
{
	(void)state;
	struct wstore a, b;
	uint8_t seed[32], k[32];
	char err[ERR_LEN] = "";
	sample(&a);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	fill(seed, 32, 0x11);
	wstore_reset_seed(&a, seed);
	fill(k, 32, 0x12);
	assert_int_equal(wstore_add_key(&a, WSTORE_EXTERNAL, k), 0);
	assert_int_equal(wstore_commit(&a, err), 0);
	wstore_release(&a);
	assert_int_equal(wstore_open(&b, dbdir, NET, NULL, err), 0);
	assert_int_equal(b.n_keys[WSTORE_EXTERNAL], 1);
	assert_int_equal(b.n_keys[WSTORE_CHANGE], 0);
	assert_memory_equal(b.keys[WSTORE_EXTERNAL][0], k, 32);
	assert_memory_equal(b.seed, seed, 32);
	wstore_release(&b);
}

/* A file of the single-file format, written into a database, reads back
 * the same, encrypted or not: the migration's path. */
static void test_db_from_file(void **state)
{
	(void)state;
	struct wstore a, b, c;
	uint8_t key[32];
	char err[ERR_LEN] = "";
	sample(&a);
	fill(a.salt, WSTORE_SALT_LEN, 3);
	a.kdf_log2n = 10;
	a.kdf_r = 8;
	a.kdf_p = 1;
	assert_int_equal(wstore_derive_key(key, "pass", a.salt, 10, 8, 1, err), 0);
	assert_int_equal(wstore_seal(&a, key, err), 0);
	wstore_forget_secrets(&a);
	assert_int_equal(wfile_save(&a, path, err), 0);
	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_int_equal(wstore_create(&b, dbdir, err), 0);
	wstore_release(&b);
	assert_int_equal(wstore_open(&c, dbdir, NET, NULL, err), 0);
	assert_same_public(&a, &c);
	assert_true(c.encrypted);
	assert_int_equal(c.sealed_len, a.sealed_len);
	assert_memory_equal(c.sealed, a.sealed, a.sealed_len);
	assert_memory_equal(c.nonce, a.nonce, WSTORE_NONCE_LEN);
	assert_int_equal(wstore_unseal(&c, key, err), 0);
	wstore_release(&a);
	wstore_release(&c);
}

static void tx_key(uint8_t k[9], uint64_t seq)
{
	k[0] = 'T';
	for (int i = 0; i < 8; i++)
		k[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* 30,000 transactions are read in 3 slices on a pool of 2 (the opening
 * thread reads one): the same list, in order, as on the caller's thread
 * alone. A record gone at a slice's first key, or one past the count, is
 * named. */
static void test_db_sliced_read(void **state)
{
	(void)state;
	enum { N = 30000 };
	struct wstore a, b, c;
	char err[ERR_LEN] = "";
	wstore_init(&a, NET);
	a.have_secrets = true;
	fill(a.seed, 32, 0x40);
	for (uint32_t i = 0; i < N; i++)
		add_sample_tx(&a, i);
	assert_int_equal(wstore_create(&a, dbdir, err), 0);
	wstore_release(&a);
	struct pool *pool = pool_new(2, err);
	assert_non_null(pool);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), 0);
	wstore_release(&b);
	assert_int_equal(wstore_open(&c, dbdir, NET, NULL, err), 0);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), -1); /* c holds it */
	wstore_release(&c);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), 0);
	assert_int_equal(b.n_txs, N);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(b.txs[i]->seq, i);
		assert_int_equal(b.txs[i]->tx.in[0].prev.index, i);
		assert_int_equal(b.txs[i]->time, 1000 + i);
	}
	wstore_release(&b);

	uint8_t k[9], *v;
	size_t vlen;
	tx_key(k, N / 3); /* the second slice's first record */
	struct store *db = store_open(dbdir, 0, err);
	assert_non_null(db);
	assert_int_equal(store_get(db, k, sizeof(k), &v, &vlen, err), 1);
	store_close(db);
	put_raw(dbdir, k, sizeof(k), NULL, 0, true);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), -1);
	assert_non_null(strstr(err, "transaction record 10001: out of order (expected 10000)"));
	put_raw(dbdir, k, sizeof(k), v, vlen, false);
	tx_key(k, N);
	put_raw(dbdir, k, sizeof(k), v, vlen, false);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), -1);
	assert_non_null(strstr(err, "more transaction records than the 30000 counted"));
	put_raw(dbdir, k, sizeof(k), NULL, 0, true);
	tx_key(k, N - 1);
	put_raw(dbdir, k, sizeof(k), NULL, 0, true);
	assert_int_equal(wstore_open(&b, dbdir, NET, pool, err), -1);
	assert_non_null(strstr(err, "transaction record 29999: missing"));
	store_free(v);
	pool_free(pool);
}

/* Persistent locks travel in the file's locks section: a file with none is
 * the bytes of one written before the section existed (no section), and a
 * restore into a database keeps them. An unknown section is refused. */
static void test_file_locks(void **state)
{
	(void)state;
	struct wstore a, b, c;
	char err[ERR_LEN] = "";
	size_t plain_len, len;
	sample(&a);
	assert_int_equal(wfile_save(&a, path, err), 0);
	uint8_t *plain = read_bytes(path, &plain_len);
	struct outpoint op[2];
	fill(op[0].txid, 32, 0x51);
	op[0].index = 7;
	fill(op[1].txid, 32, 0x52);
	op[1].index = 0;
	assert_int_equal(wstore_lock(&a, &op[0]), 0);
	assert_int_equal(wstore_lock(&a, &op[1]), 0);
	assert_int_equal(wfile_save(&a, path, err), 0);
	uint8_t *locked = read_bytes(path, &len);
	assert_int_equal(len, plain_len + 1 + 1 + 2 * 36);
	assert_memory_equal(locked, plain, plain_len - 32); /* all but the checksum */
	assert_int_equal(locked[plain_len - 32], 'U');
	assert_int_equal(wfile_load(&b, path, NET, err), 0);
	assert_int_equal(b.n_locks, 2);
	assert_memory_equal(b.locks, op, sizeof(op));
	assert_int_equal(wstore_create(&b, dbdir, err), 0);
	wstore_release(&b);
	assert_int_equal(wstore_open(&c, dbdir, NET, NULL, err), 0);
	assert_int_equal(c.n_locks, 2);
	assert_memory_equal(c.locks, op, sizeof(op));
	wstore_release(&c);

	/* A section tag this reader does not know, checksum made good. */
	locked[plain_len - 32] = 'Z';
	hash_sha256(locked + len - 32, locked, len - 32);
	write_bytes(path, locked, len);
	assert_int_equal(wfile_load(&b, path, NET, err), -1);
	assert_non_null(strstr(err, "unknown section after the transactions"));
	free(plain);
	free(locked);
	wstore_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encryption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_sealed_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_reset_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_from_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_sliced_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
