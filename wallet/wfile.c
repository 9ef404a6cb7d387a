#include "wallet/wfile.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "chain/hash.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/envelope.h"
#include "util/file.h"

#define FLAG_ENCRYPTED 0x01
/* The optional section after the transactions: persistent locks. A file
 * without locks is the same bytes as before the section existed. */
#define SECTION_LOCKS 'U'
/* A wallet of another kind or version is named as such, not as damaged:
 * the header is checked before the checksum. */
static const struct envelope_format file_format = {
	.magic = (const uint8_t *)WSTORE_MAGIC, .magic_len = WSTORE_MAGIC_LEN, .version = WSTORE_VERSION,
	.hash = hash_sha256, .max_len = WSTORE_MAX_FILE, .header_first = true,
	.kind = "a cairn wallet file", .too_short = "truncated file",
	.bad_sum = "checksum mismatch: the file is truncated or damaged", .bad_version = "unsupported version",
};
_Static_assert(WSTORE_CHECKSUM_LEN == ENVELOPE_SUM_LEN, "wallet.dat's checksum is the envelope's");
static void write_public(struct buf *b, const struct wstore *s)
{
	buf_varint(b, s->n_imported);
	if (s->n_imported)
		buf_put(b, s->imported_pk, s->n_imported * WSTORE_PUBKEY_LEN);
	for (int c = 0; c < WSTORE_CHAINS; c++) {
		buf_u32(b, s->next[c]);
		buf_varint(b, s->n_keys[c]);
		if (s->n_keys[c])
			buf_put(b, s->keys[c], s->n_keys[c] * WSTORE_PUBKEY_LEN);
	}
	buf_varint(b, s->n_labels);
	for (size_t i = 0; i < s->n_labels; i++) {
		buf_put(b, s->labels[i].addr, 20);
		buf_lenbytes(b, s->labels[i].text, strlen(s->labels[i].text));
	}
	buf_u8(b, s->have_best);
	buf_put(b, s->best_hash, 32);
	buf_u32(b, s->best_height);
	buf_varint(b, s->n_txs);
	for (size_t i = 0; i < s->n_txs; i++)
		wstore_tx_write(b, s->txs[i]);
	if (s->n_locks == 0)
		return;
	buf_u8(b, SECTION_LOCKS);
	buf_varint(b, s->n_locks);
	for (size_t i = 0; i < s->n_locks; i++) {
		buf_put(b, s->locks[i].txid, 32);
		buf_u32(b, s->locks[i].index);
	}
}

/* Header ‖ secret or sealed block ‖ public part, in one buffer reserved at
 * its exact size (the checksum envelope_save appends included) so the
 * secrets of a plain file are never copied by a reallocation. The caller
 * wipes it. */
static int serialize(struct buf *out, const struct wstore *s)
{
	struct buf head = BUF_INIT, pub = BUF_INIT, secret = BUF_INIT;
	int r = -1;
	buf_init(out);
	envelope_begin(&head, &file_format);
	buf_put(&head, s->net, 4);
	buf_u8(&head, s->encrypted ? FLAG_ENCRYPTED : 0);
	if (s->encrypted) {
		buf_put(&head, s->salt, WSTORE_SALT_LEN);
		buf_u8(&head, s->kdf_log2n);
		buf_u32(&head, s->kdf_r);
		buf_u32(&head, s->kdf_p);
		buf_put(&head, s->nonce, WSTORE_NONCE_LEN);
		buf_lenbytes(&head, s->sealed, s->sealed_len);
	} else if (!s->have_secrets || wstore_secret_block(&secret, s) != 0) {
		goto done;
	}
	write_public(&pub, s);
	if (!buf_ok(&head) || !buf_ok(&pub))
		goto done;
	size_t slen = buf_varint_size(secret.len) + secret.len;
	if (!buf_reserve(out, head.len + (s->encrypted ? 0 : slen) + pub.len + ENVELOPE_SUM_LEN))
		goto done;
	buf_put(out, head.data, head.len);
	if (!s->encrypted)
		buf_lenbytes(out, secret.data, secret.len);
	buf_put(out, pub.data, pub.len);
	r = buf_ok(out) ? 0 : -1;
done:
	buf_release(&head);
	buf_release(&pub);
	wstore_buf_wipe(&secret);
	return r;
}

int wfile_save(const struct wstore *s, const char *path, char *err)
{
	struct buf b;
	if (serialize(&b, s) != 0) {
		wstore_buf_wipe(&b);
		return err_set(err, "cannot save '%s': out of memory", path);
	}
	int r = envelope_save(&file_format, &b, path, err);
	wstore_buf_wipe(&b);
	return r;
}

static int read_pubkeys(struct cursor *c, uint8_t (**out)[WSTORE_PUBKEY_LEN], size_t *n_out)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_KEYS) || c->len < n * WSTORE_PUBKEY_LEN)
		return -1;
	*n_out = (size_t)n;
	if (n == 0)
		return 0;
	*out = malloc(n * WSTORE_PUBKEY_LEN);
	return *out && cursor_bytes(c, *out, n * WSTORE_PUBKEY_LEN) ? 0 : -1;
}

static int read_labels(struct cursor *c, struct wstore *s)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_KEYS) || c->len < n * 21)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t addr[20];
		char text[WSTORE_LABEL_MAX + 1];
		size_t len;
		if (!cursor_bytes(c, addr, 20) || !cursor_lenbytes(c, text, &len, WSTORE_LABEL_MAX))
			return -1;
		text[len] = '\0';
		if (strlen(text) != len || wstore_set_label(s, addr, text) != 0)
			return -1;
	}
	return 0;
}

static int read_txs(struct cursor *c, struct wstore *s, char *err)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_TXS))
		return err_set(err, "bad transaction count");
	for (uint64_t i = 0; i < n; i++) {
		char why[ERR_LEN] = "";
		if (wstore_tx_read(c, s, why) != 0)
			return err_set(err, "transaction %llu: %s", (unsigned long long)i, why);
	}
	return 0;
}

static int read_locks(struct cursor *c, struct wstore *s, char *err)
{
	uint8_t tag;
	uint64_t n;
	if (cursor_done(c))
		return 0;
	if (!cursor_u8(c, &tag) || tag != SECTION_LOCKS)
		return err_set(err, "unknown section after the transactions");
	if (!cursor_varint(c, &n, WSTORE_MAX_TXS) || n == 0 || c->len < n * 36)
		return err_set(err, "bad locks");
	for (uint64_t i = 0; i < n; i++) {
		struct outpoint op;
		if (!cursor_bytes(c, op.txid, 32) || !cursor_u32(c, &op.index) || wstore_lock(s, &op) != 0)
			return err_set(err, "bad lock %llu", (unsigned long long)i);
	}
	return 0;
}

static int read_public(struct cursor *c, struct wstore *s, char *err)
{
	uint8_t best;
	if (read_pubkeys(c, &s->imported_pk, &s->n_imported) != 0)
		return err_set(err, "bad imported keys");
	for (int k = 0; k < WSTORE_CHAINS; k++)
		if (!cursor_u32(c, &s->next[k]) || read_pubkeys(c, &s->keys[k], &s->n_keys[k]) != 0 ||
		    s->next[k] > s->n_keys[k])
			return err_set(err, "bad key chain %d", k);
	if (read_labels(c, s) != 0)
		return err_set(err, "bad labels");
	if (!cursor_u8(c, &best) || best > 1 || !cursor_bytes(c, s->best_hash, 32) || !cursor_u32(c, &s->best_height))
		return err_set(err, "bad best block");
	s->have_best = best;
	return read_txs(c, s, err) != 0 ? -1 : read_locks(c, s, err);
}

static int read_secret_part(struct cursor *c, struct wstore *s, uint8_t flags, char *err)
{
	uint64_t len;
	const uint8_t *p;
	if (flags & FLAG_ENCRYPTED) {
		s->encrypted = true;
		if (!cursor_bytes(c, s->salt, WSTORE_SALT_LEN) || !cursor_u8(c, &s->kdf_log2n) ||
		    !cursor_u32(c, &s->kdf_r) || !cursor_u32(c, &s->kdf_p) ||
		    !cursor_bytes(c, s->nonce, WSTORE_NONCE_LEN))
			return err_set(err, "bad encryption header");
		if (!wstore_kdf_ok(s->kdf_log2n, s->kdf_r, s->kdf_p))
			return err_set(err, "scrypt cost out of range");
	}
	if (!cursor_varint(c, &len, WSTORE_SECRET_MAX(WSTORE_MAX_KEYS) + WSTORE_TAG_LEN) || !cursor_view(c, &p, (size_t)len))
		return err_set(err, "bad secret block");
	if (!s->encrypted)
		return 0; /* parsed once the imported public keys are known */
	if (len < WSTORE_SEED_LEN + 1 + WSTORE_TAG_LEN || !(s->sealed = malloc((size_t)len)))
		return err_set(err, "bad sealed block");
	memcpy(s->sealed, p, (size_t)len);
	s->sealed_len = (size_t)len;
	return 0;
}

static int parse(struct wstore *s, const uint8_t *p, size_t len, char *err)
{
	char why[ERR_LEN] = "";
	uint8_t net[4], flags;
	struct cursor c;
	if (envelope_open(&file_format, &c, p, len, err) != 0)
		return -1;
	if (!cursor_bytes(&c, net, 4) || !cursor_u8(&c, &flags))
		return err_set(err, "truncated header");
	if (memcmp(net, s->net, 4) != 0)
		return err_set(err, "the wallet belongs to another network");
	if (flags & ~FLAG_ENCRYPTED)
		return err_set(err, "unknown flags 0x%02x", flags);
	struct cursor secret = c;
	if (read_secret_part(&c, s, flags, why) != 0 || read_public(&c, s, why) != 0)
		return err_set(err, "malformed: %s", why);
	if (!cursor_done(&c))
		return err_set(err, "malformed: %zu trailing bytes", c.len);
	if (s->encrypted)
		return 0;
	uint64_t slen;
	const uint8_t *sp;
	if (!cursor_varint(&secret, &slen, UINT64_MAX) || !cursor_view(&secret, &sp, (size_t)slen) ||
	    wstore_secret_parse(s, sp, (size_t)slen, why) != 0)
		return err_set(err, "malformed: %s", why);
	return 0;
}

int wfile_load(struct wstore *s, const char *path, const uint8_t net[4], char *err)
{
	char why[ERR_LEN] = "";
	size_t len;
	wstore_init(s, net);
	/* A .tmp left by a save that was interrupted is garbage: the real file
	 * is only ever replaced by a rename. */
	if (file_remove_tmp(path, err) != 0)
		return -1;
	uint8_t *p = file_read_bounded(path, WSTORE_MAX_FILE, &len, NULL, err);
	if (!p)
		return -1;
	int r = parse(s, p, len, why);
	OPENSSL_cleanse(p, len);
	free(p);
	if (r != 0) {
		wstore_release(s);
		return err_set(err, "cannot load '%s': %s", path, why);
	}
	return 0;
}
