/* libFuzzer target for the v2 proof bundle that `cairn-cli verifyassetproof
 * FILE` checks with no node: the binary bundle inside the file is whatever
 * an attacker hands over. The input is the bundle's bytes; it goes through
 * proof2_parse, proof2_verify and, when it verifies, proof2_report.
 *
 * Besides "never crash, never leak": a refused parse leaves the bundle
 * empty; a parsed bundle writes back to exactly the input (one encoding per
 * bundle); verification answers true with a summary and a report, or false
 * with a reason. Seed it with a real bundle (the "bundle" hex of
 * getassetproof ID 2 on a regtest node, decoded). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/proof2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct proof2 empty;
	char err[ERR_LEN] = "";
	struct proof2 b;
	struct proof2_summary sum;
	if (proof2_parse(&b, data, size, err) != 0) {
		if (!err[0] || memcmp(&b, &empty, sizeof(b)) != 0)
			abort();
		return 0;
	}
	struct buf out = BUF_INIT;
	proof2_write(&out, &b);
	if (!buf_ok(&out) || out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_release(&out);
	err[0] = '\0';
	if (proof2_verify(&b, 1, &sum, err)) {
		char *report = proof2_report(&b, &sum);
		if (!report || sum.tip_height != b.tip_height)
			abort();
		free(report);
	} else if (!err[0]) {
		abort();
	}
	proof2_release(&b);
	return 0;
}
