/* libFuzzer target for index_read, the block index record the chainstate
 * loads for every header at start-up (a damaged database must be refused,
 * never crash the node). Flag bit 0 of the first input byte has the harness
 * cut or zero-pad the rest to the record's fixed size, so that most inputs
 * reach the fields; without it the rest is the record as it is.
 *
 * Besides "never crash, never leak": a record is accepted exactly when it
 * has the right size; an accepted record writes back to the same bytes
 * (the peer name up to its end, which the reader always terminates), its
 * cached hash is that of its header, and prev is left for the caller; a
 * refusal leaves the entry zeroed and says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_AT (BLOCK_INDEX_RECORD_SIZE - 48)

static void check_accepted(const struct block_index *b, const uint8_t *rec)
{
	uint8_t back[BLOCK_INDEX_RECORD_SIZE], hash[32];
	index_write(back, b);
	if (memcmp(back, rec, PEER_AT) != 0)
		abort();
	/* The name as stored: up to its NUL, the last byte always NUL. */
	size_t n = strnlen((const char *)rec + PEER_AT, 47);
	if (strlen(b->source_peer) != n || memcmp(back + PEER_AT, rec + PEER_AT, n) != 0 || back[PEER_AT + n] != 0)
		abort();
	header_hash(hash, &b->header);
	if (memcmp(hash, b->hash, 32) != 0 || b->prev != NULL || b->linked)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct block_index zero;
	uint8_t fixed[BLOCK_INDEX_RECORD_SIZE];
	struct block_index b;
	char err[ERR_LEN] = "";
	if (size < 1)
		return 0;
	const uint8_t *rec = data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		memset(fixed, 0, sizeof(fixed));
		memcpy(fixed, rec, len < sizeof(fixed) ? len : sizeof(fixed));
		rec = fixed;
		len = sizeof(fixed);
	}
	if (index_read(&b, rec, len, err) != 0) {
		if (len == BLOCK_INDEX_RECORD_SIZE || memcmp(&b, &zero, sizeof(zero)) != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	if (len != BLOCK_INDEX_RECORD_SIZE)
		abort();
	check_accepted(&b, rec);
	return 0;
}
