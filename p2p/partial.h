/* A block being rebuilt from a compact block (BIP 152): its prefilled
 * transactions in place, the rest matched by short id against candidate
 * transactions (the mempool's), the few still missing filled from a
 * blocktxn answer, then checked against the header's merkle root. Pure:
 * the candidates come from a callback, so it is tested without a node. */
#ifndef CAIRN_P2P_PARTIAL_H
#define CAIRN_P2P_PARTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/cblock.h"

/* Why a compact block cannot be rebuilt: the answer is then to ask for the
 * whole block, never to blame the peer (a short id may collide by chance). */
enum partial_status {
	PARTIAL_OK = 0,
	PARTIAL_FALLBACK = 1, /* two of its short ids are equal, or the merkle root does not match */
	PARTIAL_NOMEM = -1,
};

struct partial {
	struct block_header header;
	uint8_t hash[32];
	size_t n;          /* transactions in the block */
	struct tx *txs;    /* n slots, those with have[i] set hold a transaction */
	bool *have;
	bool *collided;    /* two candidates matched this slot: it must come from the peer */
	size_t missing;
	size_t from_pool;  /* how many the candidates filled */
};

/* Yields the candidates one by one (NULL at the end); *it starts at 0. */
typedef const struct tx *(*partial_next_fn)(void *ctx, size_t *it);

/* Lays out c and matches every candidate's short id. pb is released on
 * anything but PARTIAL_OK. */
enum partial_status partial_init(struct partial *pb, const struct cblock *c, partial_next_fn next, void *ctx) WUR;
/* The positions still missing, for getblocktxn (r->hash set too); -1 on no
 * memory. */
int partial_request(const struct partial *pb, struct cblock_request *r) WUR;
/* Takes t's transactions (moved out of t) into the missing slots, in
 * order. -1 when t does not hold exactly as many as are missing (the peer
 * answered something else). */
int partial_fill(struct partial *pb, struct cblock_txns *t) WUR;
/* With nothing missing: moves the transactions into b (initialised by the
 * call) with its hash and size, and checks the merkle root. On
 * PARTIAL_FALLBACK b is released. pb is left released either way. */
enum partial_status partial_finish(struct partial *pb, struct block *b) WUR;
void partial_release(struct partial *pb);

#endif
