#include "chain/params.h"

#include <string.h>

static const struct chain_params main_params = {
	.net = NET_MAIN,
	.name = "main",
	.subdir = "",
	.hrp = "crn",
	.magic = { 0xc4, 0x1a, 0x12, 0x4e },
	.p2p_port = 9733,
	.rpc_port = 9732,
	.pow = { .limit_bits = POW_MAIN_LIMIT_BITS, .spacing = 60, .interval = 1440, .no_retarget = false },
	.halving_interval = 210000,
	.coinbase_maturity = 100,
	.genesis_time = 1795219200,
	.genesis_nonce = 45007,
	.genesis_hash = { 0x00, 0x00, 0x1f, 0x5e, 0xfd, 0xdf, 0x2f, 0x9f, 0x94, 0x0b, 0xe6,
			  0xad, 0xf4, 0x47, 0xa0, 0x40, 0x98, 0xcc, 0x96, 0xec, 0x3e, 0xd6,
			  0x05, 0xab, 0xde, 0x0e, 0x70, 0xb7, 0x97, 0x9d, 0xf3, 0xfc },
};

static const struct chain_params regtest_params = {
	.net = NET_REGTEST,
	.name = "regtest",
	.subdir = "regtest",
	.hrp = "rcrn",
	.magic = { 0xfa, 0xbf, 0xb5, 0xda },
	.p2p_port = 19733,
	.rpc_port = 19732,
	.pow = { .limit_bits = POW_REGTEST_LIMIT_BITS, .spacing = 60, .interval = 1440, .no_retarget = true },
	.halving_interval = 150,
	.coinbase_maturity = 100,
	.genesis_time = 1795219200,
	.genesis_nonce = 2,
	.genesis_hash = { 0x72, 0x52, 0x48, 0x1d, 0x9c, 0x6d, 0xc8, 0x12, 0xf5, 0x6f, 0xea,
			  0x2d, 0x4f, 0x92, 0xbc, 0x5a, 0x22, 0x2b, 0xfe, 0xef, 0xa3, 0x49,
			  0x8c, 0xa1, 0xe1, 0xca, 0xc7, 0x3d, 0x3d, 0x62, 0xf6, 0x59 },
};

const struct chain_params *params_get(enum network net)
{
	return net == NET_REGTEST ? &regtest_params : &main_params;
}

const struct chain_params *params_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "main") == 0)
		return &main_params;
	if (strcmp(name, "regtest") == 0)
		return &regtest_params;
	return NULL;
}

int64_t params_subsidy(const struct chain_params *p, uint32_t height)
{
	uint32_t halvings = height / p->halving_interval;
	return halvings >= 63 ? 0 : (50 * COIN) >> halvings;
}

/* The genesis coinbase pays 50 CRN to the all-zero address, which no key
 * hashes to; its input's key field carries the network's motto. */
int params_genesis(const struct chain_params *p, struct block *b)
{
	static const char motto[32] = "cairn: where things came from";
	block_init(b);
	if (block_resize(b, 1) != 0 || tx_resize(&b->txs[0], 1, 1) != 0) {
		block_release(b);
		return -1;
	}
	struct tx *cb = &b->txs[0];
	memcpy(cb->in[0].pubkey, motto, 32);
	cb->out[0].value = params_subsidy(p, 0);
	tx_finalize(cb);
	b->header.version = 1;
	b->header.time = p->genesis_time;
	b->header.bits = p->pow.limit_bits;
	b->header.nonce = p->genesis_nonce;
	block_finalize(b);
	return 0;
}
