/* libFuzzer target for proof_txs_parse, the reader of the transaction proof
 * that gettxoutproof hands out and verifytxoutproof (or anyone offline)
 * reads back: its bytes come from whoever passes the proof along.
 *
 * Besides "never crash, never leak": an accepted proof writes back to
 * exactly its bytes (one encoding per proof) and holds 1 to PROOF_MAX_TXS
 * entries with paths of at most MERKLE_MAX_PATH hashes; verifying it under
 * each network's limit gives true, or false with a reason; a refusal leaves
 * the proof empty and says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct proof_txs *p, const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	if (p->n < 1 || p->n > PROOF_MAX_TXS || !p->txs)
		abort();
	for (size_t i = 0; i < p->n; i++)
		if (p->txs[i].path_len > MERKLE_MAX_PATH)
			abort();
	proof_txs_write(&b, p);
	if (!buf_ok(&b) || b.len != size || memcmp(b.data, data, size) != 0)
		abort(); /* accepted bytes do not round-trip */
	buf_release(&b);
	const enum network nets[] = { NET_MAIN, NET_REGTEST };
	for (size_t k = 0; k < 2; k++) {
		char err[ERR_LEN] = "";
		if (!proof_txs_verify(p, params_get(nets[k])->pow.limit_bits, err) && err[0] == '\0')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct proof_txs empty;
	struct proof_txs p;
	char err[ERR_LEN] = "";
	if (proof_txs_parse(&p, data, size, err) != 0) {
		if (memcmp(&p, &empty, sizeof(empty)) != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	check_accepted(&p, data, size);
	proof_txs_release(&p);
	proof_txs_release(&p); /* safe twice, as the header says */
	return 0;
}
