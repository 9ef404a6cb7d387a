/* Shared by chain/asset.c (histories, v1 bundles) and chain/asset_v2.c (v2
 * bundles); nothing outside them includes it. */
#ifndef CAIRN_CHAIN_ASSET_IMPL_H
#define CAIRN_CHAIN_ASSET_IMPL_H

#include "chain/asset.h"
#include "chain/txlookup.h"

/* The audit path of the transaction at pos in bi's block, and the number
 * of its transactions. */
enum asset_status asset_block_path(struct txlookup *l, uint8_t (*path)[32], size_t *len, uint32_t *leaves,
				   const struct block_index *bi, uint32_t pos, char *err) WUR;

#endif
