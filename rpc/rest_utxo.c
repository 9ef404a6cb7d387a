/* REST's answers about unspent outputs and the mempool: getutxos (Core's
 * BIP 64 answer) and /rest/mempool/info, /rest/mempool/contents
 * (getmempoolinfo's and getrawmempool's results, from rawtx_rpc.h). */
#include <string.h>

#include "chain/mempool.h"
#include "rpc/rawtx_rpc.h"
#include "rpc/rest_impl.h"
#include "rpc/txjson.h"

/* What getutxos found: a hit bit per outpoint asked, the coins of the
 * hits in order, and the tip they were read at. */
struct utxos {
	size_t n;				  /* outpoints asked */
	uint8_t bitmap[(REST_MAX_OUTPOINTS + 7) / 8]; /* bit i: outpoint i is unspent */
	struct coin coins[REST_MAX_OUTPOINTS];
	size_t n_coins;
	const struct block_index *tip;
};

static void utxos_release(struct utxos *u)
{
	for (size_t i = 0; i < u->n_coins; i++)
		coin_release(&u->coins[i]);
	u->n_coins = 0;
}

/* Reads each outpoint from the chain, or with checkmempool from the chain
 * with the mempool on top (its outputs unspent at MEMPOOL_HEIGHT, what it
 * spends spent), as Core's CCoinsViewMemPool. 0, or -1 on a store error. */
static int lookup(const struct rest *r, const struct rest_request *q, struct utxos *u)
{
	struct coin_view view = q->checkmempool ? mempool_view(r->rawtx->mp) : chainstate_view(r->rawtx->cs);
	memset(u, 0, sizeof(*u));
	u->n = q->n_outpoints;
	for (size_t i = 0; i < u->n; i++) {
		int rc = view.get_coin(view.ctx, &q->outpoints[i], &u->coins[u->n_coins]);
		if (rc < 0) {
			utxos_release(u);
			return -1;
		}
		if (rc == 1) {
			u->bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
			u->n_coins++;
		}
	}
	u->tip = chainstate_tip(r->rawtx->cs);
	return 0;
}

/* BIP 64's bytes, as Core writes them: chainHeight (u32), chaintipHash
 * (32), bitmap (varint length, bytes), then the coins (varint count), each
 * a u32 0 (BIP 64's transaction version, always 0 in Core), the height
 * (u32) and the output in cairn's serialization (docs/serialization.md). */
static void write_bin(struct buf *b, const struct utxos *u)
{
	buf_u32(b, u->tip->height);
	buf_put(b, u->tip->hash, 32);
	buf_lenbytes(b, u->bitmap, (u->n + 7) / 8);
	buf_varint(b, u->n_coins);
	for (size_t i = 0; i < u->n_coins; i++) {
		buf_u32(b, 0);
		buf_u32(b, u->coins[i].height);
		txout_write(b, &u->coins[i].out);
	}
}

/* One coin: its height, then the output's fields as txjson_output gives
 * them (value, address, kind, asset, metadata) in place of Core's
 * scriptPubKey; no "n", as Core's bitmap already places it. */
static cJSON *coin_json(const struct coin *c, const struct chain_params *p)
{
	cJSON *o = txjson_output(&c->out, 0, p), *j = cJSON_CreateObject();
	bool ok = o && j && cJSON_AddNumberToObject(j, "height", c->height);
	cJSON_DeleteItemFromObject(o, "n");
	for (cJSON *x = o ? o->child : NULL, *next; ok && x; x = next) {
		next = x->next;
		cJSON *moved = cJSON_DetachItemViaPointer(o, x);
		ok = cJSON_AddItemToObject(j, moved->string, moved);
	}
	cJSON_Delete(o);
	return rpc_json_if(j, ok);
}

static cJSON *utxos_json(const struct utxos *u, const struct chain_params *p)
{
	char bits[REST_MAX_OUTPOINTS + 1];
	for (size_t i = 0; i < u->n; i++)
		bits[i] = (u->bitmap[i / 8] >> (i % 8)) & 1 ? '1' : '0';
	bits[u->n] = '\0';
	cJSON *j = cJSON_CreateObject(), *arr;
	bool ok = j && cJSON_AddNumberToObject(j, "chainHeight", u->tip->height) &&
		  cJSON_AddItemToObject(j, "chaintipHash", txjson_hash(u->tip->hash)) &&
		  cJSON_AddStringToObject(j, "bitmap", bits) && (arr = cJSON_AddArrayToObject(j, "utxos"));
	for (size_t i = 0; ok && i < u->n_coins; i++)
		ok = rpc_array_add(arr, coin_json(&u->coins[i], p));
	return rpc_json_if(j, ok);
}

static void getutxos(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	struct utxos u;
	if (lookup(r, q, &u) != 0) {
		rest_fail(out, 500, "cannot read the coin database");
		return;
	}
	if (q->format == REST_JSON) {
		rest_json(out, utxos_json(&u, chainstate_params(r->rawtx->cs)));
	} else {
		struct buf b = BUF_INIT;
		write_bin(&b, &u);
		rest_buf(out, q->format, &b);
	}
	utxos_release(&u);
}

void rest_utxo_answer(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	switch (q->what) {
	case REST_GETUTXOS:
		getutxos(r, q, out);
		return;
	case REST_MEMPOOL_INFO:
		rest_json(out, rawtx_rpc_mempool_info(r->rawtx));
		return;
	case REST_MEMPOOL_CONTENTS:
		rest_json(out, rawtx_rpc_mempool(r->rawtx, q->verbose));
		return;
	default:
		rest_fail(out, 500, "not a mempool endpoint");
	}
}
