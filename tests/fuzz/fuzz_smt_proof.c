/* libFuzzer target for smt_proof_read, the reader of the asset-state proofs
 * in the proof files: their bytes come from whoever passes the proof along.
 *
 * Besides "never crash, never leak": an accepted proof has n <= 256, writes
 * back to exactly the bytes it consumed (one encoding per proof), and
 * verifying it against any root gives true or false with a reason; a refusal
 * leaves the proof zeroed, the cursor where it was, and says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/smt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct smt_proof *p, const uint8_t *data, size_t used)
{
	struct buf b = BUF_INIT;
	uint8_t root[32] = { 0 };
	char err[ERR_LEN] = "";

	if (p->n > SMT_MAX_PROOF)
		abort();
	smt_proof_write(&b, p);
	if (!buf_ok(&b) || b.len != used || memcmp(b.data, data, used) != 0)
		abort(); /* accepted bytes do not round-trip */
	buf_release(&b);
	if (!smt_verify(p, root, err) && err[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smt_proof zero;
	struct smt_proof p;
	struct cursor c = cursor_make(data, size);
	char err[ERR_LEN] = "";

	if (!smt_proof_read(&c, &p, err)) {
		if (memcmp(&p, &zero, sizeof(zero)) != 0 || err[0] == '\0' || c.len != size)
			abort();
		return 0;
	}
	check_accepted(&p, data, size - c.len);
	return 0;
}
