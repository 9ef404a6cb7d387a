/* Bitcoin Core's REST interface (-rest): public chain data read with a
 * plain GET on the RPC port, without credentials, under /rest/. The
 * endpoints, their formats (.bin raw bytes, .hex, .json) and their error
 * statuses are Core's (docs/rest.md); cairn adds /rest/asset/,
 * /rest/assethistory/ and /rest/assetproof/. Every JSON answer is built by
 * the same function as the RPC method's result (chain_rpc.h, rawtx_rpc.h,
 * asset_rpc.h, txjson.h), so the two cannot differ.
 *
 * Files: rest.c (the URL parser, formats, errors, HTTP), rest_chain.c
 * (chain info, blocks, headers, hashes, transactions, assets),
 * rest_utxo.c (getutxos, the mempool); rest_impl.h is theirs alone. */
#ifndef CAIRN_RPC_REST_H
#define CAIRN_RPC_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/tx.h"
#include "util/err.h"

struct rpc_server;
struct chain_rpc;
struct rawtx_rpc;
struct asset_rpc;

/* Core's limits: outpoints in one getutxos, headers in one answer, and
 * the count when /rest/headers/<hash> gives none. */
#define REST_MAX_OUTPOINTS 15
#define REST_MAX_HEADERS 2000
#define REST_DEFAULT_HEADERS 5
/* Room for a refusal's reason (the input it quotes is cut short). */
#define REST_WHY_LEN 256

/* What REST reads: the RPC's own method areas, which must outlive the
 * server. */
struct rest {
	struct chain_rpc *chain;
	struct rawtx_rpc *rawtx;
	struct asset_rpc *asset;
};

/* Serves GET (and HEAD) /rest/... on srv from r, unauthenticated (the
 * RPC's -rpcallowip list still applies, as in Core). With r NULL (-rest
 * off) every /rest/ path is a 404 "REST is disabled", as Core's server
 * has no such path then. 0, or -1 with err filled. */
int rest_register(struct rpc_server *srv, const struct rest *r, char *err) WUR;

enum rest_format { REST_UNDEF, REST_BIN, REST_HEX, REST_JSON };

enum rest_endpoint {
	REST_CHAININFO,	       /* /rest/chaininfo.json */
	REST_BLOCK,	       /* /rest/block/<hash>.<fmt>: getblock verbosity 2 */
	REST_BLOCK_NOTXDETAILS, /* /rest/block/notxdetails/<hash>.<fmt>: verbosity 1 */
	REST_HEADERS,	       /* /rest/headers/<count>/<hash>.<fmt>, or <hash>.<fmt>?count=N */
	REST_BLOCKHASH,	       /* /rest/blockhashbyheight/<height>.<fmt> */
	REST_TX,	       /* /rest/tx/<txid>.<fmt> */
	REST_GETUTXOS,	       /* /rest/getutxos[/checkmempool]/<txid>-<n>/....<fmt> */
	REST_MEMPOOL_INFO,     /* /rest/mempool/info.json */
	REST_MEMPOOL_CONTENTS, /* /rest/mempool/contents.json[?verbose=false] */
	REST_ASSET,	       /* /rest/asset/<id>.json: getassetinfo */
	REST_ASSET_HISTORY,    /* /rest/assethistory/<id>.json */
	REST_ASSET_PROOF,      /* /rest/assetproof/<id>.json */
};

/* One request, parsed. */
struct rest_request {
	enum rest_endpoint what;
	enum rest_format format;
	uint8_t hash[32];     /* block, transaction or asset id; headers' first block */
	uint32_t count;	      /* headers: 1 ..= REST_MAX_HEADERS */
	uint32_t height;      /* blockhashbyheight */
	bool verbose;	      /* mempool contents: entries (true) or txids */
	bool checkmempool;    /* getutxos: see the mempool's spends and outputs */
	size_t n_outpoints;   /* getutxos: 1 ..= REST_MAX_OUTPOINTS */
	struct outpoint outpoints[REST_MAX_OUTPOINTS];
};

/* Parses a request's URL: path as the request line has it (not
 * URL-decoded, as in Core), query the part after '?' or NULL. Touches no
 * node state. Returns 0 with *q filled, or the HTTP status of the refusal
 * with why filled (plain text, no newline) and *q unspecified: 400 for a
 * malformed hash, count, height, outpoint or query, 404 for an unknown
 * endpoint or a format the endpoint does not have ("output format not
 * found (available: ...)"). Whether the block, transaction or asset exists
 * is the answer's business, not the parser's. */
int rest_parse(struct rest_request *q, char why[REST_WHY_LEN], const char *path, const char *query);

#endif
