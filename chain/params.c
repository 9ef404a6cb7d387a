#include "chain/params.h"

#include <string.h>

#include "chain/hash.h"

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
	.genesis_nonce = 3539,
	.genesis_hash = { 0x00, 0x00, 0xd9, 0x5e, 0x15, 0x48, 0x7c, 0x50, 0xa1, 0x68, 0xab,
			  0x96, 0xfc, 0x64, 0xd2, 0x5e, 0xd7, 0x0f, 0xc1, 0x49, 0x2e, 0x13,
			  0xc3, 0x98, 0x79, 0x13, 0x2b, 0x50, 0x21, 0x6c, 0xe6, 0xc6 },
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
	.genesis_nonce = 0,
	.genesis_hash = { 0x66, 0x74, 0x03, 0x15, 0x2f, 0xe4, 0xc7, 0xc6, 0x53, 0xf3, 0x9e,
			  0x02, 0x92, 0xda, 0x08, 0x23, 0x8c, 0x9b, 0x02, 0xfd, 0x87, 0x52,
			  0x15, 0x40, 0x8d, 0x5e, 0x3f, 0xb9, 0xe6, 0x06, 0xba, 0xe6 },
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
	hash_sha256(b->header.history, "", 0); /* no block before it */
	block_finalize(b);
	return 0;
}
