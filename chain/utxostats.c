#include "chain/utxostats.h"

#include <openssl/evp.h>
#include <string.h>

struct walk {
	struct utxostats *st;
	EVP_MD_CTX *md; /* NULL: no hash */
	uint8_t last_txid[32];
	struct buf rec;
	bool failed;
};

static int visit(void *ctx, const struct outpoint *op, const struct coin *c)
{
	struct walk *w = ctx;
	uint8_t key[36];
	outpoint_write(key, op);
	w->rec.len = 0;
	buf_put(&w->rec, key, sizeof(key));
	coin_write(&w->rec, c);
	if (!buf_ok(&w->rec) || (w->md && EVP_DigestUpdate(w->md, w->rec.data, w->rec.len) != 1)) {
		w->failed = true;
		return -1;
	}
	/* The keys come sorted, so one transaction's outputs are adjacent. */
	if (w->st->txouts == 0 || memcmp(w->last_txid, op->txid, 32) != 0)
		w->st->transactions++;
	memcpy(w->last_txid, op->txid, 32);
	w->st->txouts++;
	w->st->total_amount += c->out.value;
	w->st->bogosize += w->rec.len;
	return 0;
}

int utxostats_compute(struct chainstate *cs, struct utxostats *out, bool hash, char *err)
{
	struct walk w = { .st = out, .rec = BUF_INIT };
	unsigned len = 0;
	memset(out, 0, sizeof(*out));
	if (hash && (!(w.md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1)) {
		EVP_MD_CTX_free(w.md);
		return err_set(err, "cannot start the hash");
	}
	int r = chainstate_for_each_coin(cs, visit, &w);
	if (r == 0 && hash && EVP_DigestFinal_ex(w.md, out->hash, &len) != 1)
		r = -1;
	EVP_MD_CTX_free(w.md);
	buf_release(&w.rec);
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		return err_set(err, w.failed ? "out of memory while hashing the coins" : "cannot read the coin database");
	}
	out->hashed = hash;
	return 0;
}
