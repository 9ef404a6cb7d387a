#include "rpc/chain_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "rpc/txjson.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

int chain_rpc_param_hash(uint8_t out[32], const cJSON *params, size_t i, const char *name, struct rpc_error *e)
{
	const char *s;
	if (rpc_param_str(&s, params, i, name, true, e) != 0)
		return -1;
	if (!hex_decode(out, 32, s))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "%s must be of length 64 (not %zu, for '%s') and hexadecimal",
				     name, strlen(s), s);
	return 0;
}

int chain_rpc_find_block(struct chainstate *cs, struct block_index **bi, const cJSON *params, size_t i,
			 struct rpc_error *e)
{
	uint8_t hash[32];
	if (chain_rpc_param_hash(hash, params, i, "blockhash", e) != 0)
		return -1;
	if (!(*bi = chainstate_lookup(cs, hash)))
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
	return 0;
}

static int getblockcount(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	(void)params;
	return rpc_result(result, cJSON_CreateNumber(chainstate_tip(r->cs)->height), e);
}

static int getbestblockhash(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	(void)params;
	return rpc_result(result, txjson_hash(chainstate_tip(r->cs)->hash), e);
}

static int getblockhash(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	int64_t h;
	if (rpc_param_int(&h, params, 0, "height", -1, 0, UINT32_MAX, e) != 0)
		return -1;
	struct block_index *bi = chainstate_at(r->cs, (uint32_t)h);
	if (!bi)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Block height out of range");
	return rpc_result(result, txjson_hash(bi->hash), e);
}

static double progress(const struct block_index *tip, uint64_t now)
{
	/* Blocks come every 60 s on average: how much of the time since the
	 * tip is still to be covered tells how far along we are. */
	if (tip->header.time + 2 * 3600 >= now || tip->height == 0)
		return tip->height == 0 && tip->header.time + 2 * 3600 < now ? 0.0 : 1.0;
	double missing = (double)(now - tip->header.time) / 60.0;
	return tip->height / (tip->height + missing);
}

double chain_rpc_progress(struct chainstate *cs, uint64_t now)
{
	return chainstate_params(cs)->net == NET_REGTEST ? 1.0 : progress(chainstate_tip(cs), now);
}

bool chain_rpc_initial_download(struct chainstate *cs, uint64_t now)
{
	const struct block_index *tip = chainstate_tip(cs), *hdr = chainstate_best_header(cs);
	return (chainstate_params(cs)->net != NET_REGTEST && tip->header.time + 24 * 3600 < now) ||
	       (hdr && hdr->height > tip->height + 144);
}

cJSON *chain_rpc_chaininfo(struct chain_rpc *r)
{
	const struct chain_params *p = chainstate_params(r->cs);
	const struct block_index *tip = chainstate_tip(r->cs), *hdr = chainstate_best_header(r->cs);
	uint64_t now = clock_now();
	uint8_t work[32];
	u256_to_be(work, &tip->work);
	double prog = chain_rpc_progress(r->cs, now);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddStringToObject(j, "chain", p->name) &&
		  cJSON_AddNumberToObject(j, "blocks", tip->height) &&
		  cJSON_AddNumberToObject(j, "headers", hdr ? hdr->height : tip->height) &&
		  txjson_add_hex(j, "bestblockhash", tip->hash, 32) &&
		  cJSON_AddNumberToObject(j, "difficulty", txjson_difficulty(tip->header.bits)) &&
		  cJSON_AddNumberToObject(j, "time", (double)tip->header.time) &&
		  cJSON_AddNumberToObject(j, "mediantime", (double)index_median_time(tip)) &&
		  cJSON_AddNumberToObject(j, "verificationprogress", prog) &&
		  cJSON_AddBoolToObject(j, "initialblockdownload", chain_rpc_initial_download(r->cs, now)) &&
		  txjson_add_hex(j, "chainwork", work, 32) && cJSON_AddBoolToObject(j, "pruned", false) &&
		  cJSON_AddStringToObject(j, "warnings", "") &&
		  (!r->events || events_add_last(j, "sequence", r->events));
	return rpc_json_if(j, ok);
}

static int getblockchaininfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)params;
	return rpc_result(result, chain_rpc_chaininfo(ctx), e);
}

static int getdifficulty(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	(void)params;
	return rpc_result(result, cJSON_CreateNumber(txjson_difficulty(chainstate_tip(r->cs)->header.bits)), e);
}

int chain_rpc_read_block(struct chainstate *cs, struct block *b, const struct block_index *bi, struct rpc_error *e)
{
	char err[ERR_LEN];
	block_init(b);
	if (!(bi->status & BLOCK_HAVE_DATA))
		return rpc_error_set(e, RPC_MISC_ERROR, "Block not available (not fully downloaded)");
	if (chainstate_read_block(cs, bi, b, err) != 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	return 0;
}

static int verbosity_param(int64_t *out, const cJSON *params, size_t i, int64_t def, struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, i);
	if (v && cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v) ? 1 : 0;
		return 0;
	}
	return rpc_param_int(out, params, i, "verbosity", def, 0, 2, e);
}

static int getblock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	struct block_index *bi;
	struct block b;
	int64_t verbosity;
	if (chain_rpc_find_block(r->cs, &bi, params, 0, e) != 0 || verbosity_param(&verbosity, params, 1, 1, e) != 0 ||
	    chain_rpc_read_block(r->cs, &b, bi, e) != 0)
		return -1;
	cJSON *j;
	if (verbosity == 0) {
		struct buf raw = BUF_INIT;
		block_write(&raw, &b);
		char *h = buf_ok(&raw) ? hex_alloc(raw.data, raw.len) : NULL;
		j = h ? cJSON_CreateString(h) : NULL;
		free(h);
		buf_release(&raw);
	} else {
		j = txjson_block(r->cs, bi, &b, (int)verbosity);
	}
	block_release(&b);
	return rpc_result(result, j, e);
}

static int getblockheader(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	struct block_index *bi;
	bool verbose;
	if (chain_rpc_find_block(r->cs, &bi, params, 0, e) != 0 ||
	    rpc_param_bool(&verbose, params, 1, "verbose", true, e) != 0)
		return -1;
	if (verbose)
		return rpc_result(result, txjson_header(r->cs, bi), e);
	uint8_t raw[BLOCK_HEADER_SIZE];
	char h[2 * BLOCK_HEADER_SIZE + 1];
	header_write(raw, &bi->header);
	hex_encode(h, raw, sizeof(raw));
	return rpc_result(result, cJSON_CreateString(h), e);
}

static const char *tip_status(struct chainstate *cs, const struct block_index *tip)
{
	if (chainstate_on_best(cs, tip))
		return "active";
	if (index_failed(tip))
		return "invalid";
	if (!tip->linked)
		return "headers-only";
	return (tip->status & BLOCK_VALID_TXS) ? "valid-fork" : "valid-headers";
}

static int getchaintips(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	struct hmap parents;
	struct block_index *x;
	(void)params;
	hmap_init(&parents, 32);
	for (size_t it = 0; (x = chainstate_next(r->cs, &it));)
		if (x->prev && hmap_put(&parents, x->prev->hash, x->prev) != 0) {
			hmap_release(&parents);
			return rpc_oom(e);
		}
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t it = 0; ok && (x = chainstate_next(r->cs, &it));) {
		/* A tip has no child, but the active tip is a tip even when
		 * blocks of an invalid or weaker branch build on it. */
		if (hmap_get(&parents, x->hash) && x != chainstate_tip(r->cs))
			continue;
		struct block_index *fork = index_fork(x, chainstate_tip(r->cs));
		cJSON *t = cJSON_CreateObject();
		ok = t && cJSON_AddItemToArray(arr, t) && cJSON_AddNumberToObject(t, "height", x->height) &&
		     txjson_add_hex(t, "hash", x->hash, 32) &&
		     cJSON_AddNumberToObject(t, "branchlen", x->height - (fork ? fork->height : 0)) &&
		     cJSON_AddStringToObject(t, "status", tip_status(r->cs, x));
	}
	hmap_release(&parents);
	return rpc_result_if(result, arr, ok, e);
}

/* invalidateblock and reconsiderblock: change applied to the block named
 * by the first param; the answer is null. */
static int change_block(struct chain_rpc *r, const cJSON *params, cJSON **result, struct rpc_error *e,
			int (*change)(struct chainstate *cs, struct block_index *bi, char *err))
{
	struct block_index *bi;
	char err[ERR_LEN];
	if (chain_rpc_find_block(r->cs, &bi, params, 0, e) != 0)
		return -1;
	int rc = change(r->cs, bi, err);
	if (rc != 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	*result = NULL;
	return 0;
}

static int invalidateblock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return change_block(ctx, params, result, e, chainstate_invalidate);
}

static int reconsiderblock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return change_block(ctx, params, result, e, chainstate_reconsider);
}

/* Answers as Bitcoin Core does: null when accepted, else a reason string. */
static int submitblock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	const char *hex;
	uint8_t *raw;
	size_t len;
	struct block b;
	struct verdict v;
	char err[ERR_LEN];
	if (rpc_param_str(&hex, params, 0, "hexdata", true, e) != 0)
		return -1;
	if (!(raw = hex_decode_alloc(hex, &len)))
		return rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "Block decode failed: not hex");
	int rc = block_parse(&b, raw, len, err);
	free(raw);
	if (rc != 0)
		return rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "Block decode failed: %s", err);
	verdict_init(&v);
	bool ok = chainstate_accept_block(r->cs, &b, clock_now(), SOURCE_RPC, NULL, &v);
	block_release(&b);
	if (ok) {
		*result = NULL;
		return 0;
	}
	return rpc_result(result, cJSON_CreateString(v.reason), e);
}

static int validateaddress(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	const char *addr;
	uint8_t hash[20];
	char err[ERR_LEN];
	if (rpc_param_str(&addr, params, 0, "address", true, e) != 0)
		return -1;
	bool valid = address_decode(hash, chainstate_params(r->cs)->hrp, addr, err) == 0;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddBoolToObject(j, "isvalid", valid);
	if (ok && valid) {
		char canon[100];
		txjson_address(canon, sizeof(canon), chainstate_params(r->cs), hash);
		ok = cJSON_AddStringToObject(j, "address", canon) && txjson_add_hex(j, "hash", hash, 20);
	} else if (ok) {
		ok = cJSON_AddStringToObject(j, "error", err) != NULL;
	}
	return rpc_result_if(result, j, ok, e);
}

/* Bitcoin Core's verifychain: true or false, what failed in the log. */
static int verifychain(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	int64_t level, nblocks;
	char err[ERR_LEN] = "";
	if (rpc_param_int(&level, params, 0, "checklevel", 3, INT32_MIN, INT32_MAX, e) != 0 ||
	    rpc_param_int(&nblocks, params, 1, "nblocks", 6, INT32_MIN, INT32_MAX, e) != 0)
		return -1;
	/* As Bitcoin Core: the level is clamped to 0-4, and no depth (0 or
	 * less) or one past the tip means the whole chain. */
	level = level < 0 ? 0 : level > 4 ? 4 : level;
	nblocks = nblocks < 0 ? 0 : nblocks;
	int ok = chainstate_verify(r->cs, (int)level, (uint32_t)nblocks, err);
	if (ok != 1)
		log_info("verifychain: %s", err);
	return rpc_result(result, cJSON_CreateBool(ok == 1), e);
}

static const struct rpc_method methods[] = {
	{ "getblockchaininfo", "blockchain", "", "Returns an object with the state of the best chain.", getblockchaininfo,
	  "{chain:str,blocks:int,headers:int,bestblockhash:hash,difficulty:num,time:int,mediantime:int,"
	  "verificationprogress:num,initialblockdownload:bool,chainwork:hash,pruned:bool,warnings:str,sequence:int}",
	  NULL },
	{ "getblockcount", "blockchain", "", "Returns the height of the best chain's tip.", getblockcount, "int", NULL },
	{ "getbestblockhash", "blockchain", "", "Returns the hash of the best chain's tip.", getbestblockhash, "hash",
	  NULL },
	{ "getblockhash", "blockchain", "height:int (a height of the best chain)",
	  "Returns the hash of the best chain's block at height.", getblockhash, "hash", NULL },
	{ "getblock", "blockchain",
	  "blockhash:hash (the block's hash) [verbosity:int|bool=1 (0 hex, 1 an object with txids, 2 with whole "
	  "transactions; false and true mean 0 and 1)]",
	  "Returns a block: verbosity 0 hex, 1 (default) an object with txids, 2 with whole transactions.", getblock,
	  "hex|" TXJSON_BLOCK, "-5 -1 -20" },
	{ "getblockheader", "blockchain", "blockhash:hash (the block's hash) [verbose:bool=true (false: hex)]",
	  "Returns a block header as an object (default) or as hex.", getblockheader, TXJSON_HEADER "|hex", "-5" },
	{ "getchaintips", "blockchain", "", "Returns every tip of the block tree: active, valid-fork, valid-headers, headers-only, invalid.", getchaintips,
	  "[{height:int,hash:hash,branchlen:int,status:'active'|'valid-fork'|'valid-headers'|'headers-only'|'invalid'}]",
	  NULL },
	{ "getdifficulty", "blockchain", "", "Returns the tip's difficulty: the main network's easiest target over the tip's.", getdifficulty,
	  "num", NULL },
	{ "invalidateblock", "blockchain", "blockhash:hash (the block to mark invalid)",
	  "Marks a block and its descendants invalid and leaves their chain.", invalidateblock, "null", "-5 -20" },
	{ "reconsiderblock", "blockchain", "blockhash:hash (the block to reconsider)",
	  "Undoes invalidateblock for a block, its ancestors and descendants.", reconsiderblock, "null", "-5 -20" },
	{ "submitblock", "mining", "hexdata:hex (the serialized block) [dummy:str (ignored, as in Bitcoin Core)]",
	  "Submits a block in hex; null when accepted, else the reject reason.", submitblock, "null|str", "-22" },
	{ "verifychain", "blockchain",
	  "[checklevel:int=3 (0 read the blocks, 1 check them, 2 read their undo data, 3 disconnect them on a scratch "
	  "copy, 4 reconnect them there; clamped to 0-4)] [nblocks:int=6 (how many blocks from the tip; 0: all)]",
	  "Verifies the best chain's top blocks; true when every check passed (what failed is logged).", verifychain,
	  "bool", NULL },
	{ "validateaddress", "util", "address:str (the address to check)",
	  "Tells whether an address is valid on this network.", validateaddress,
	  "{isvalid:bool,address:str,hash:hex}|{isvalid:bool,error:str}", NULL },
};

int chain_rpc_register(struct rpc_server *srv, struct chain_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
