/* libFuzzer target for the address index's records (chain/addrindex.h) as
 * the index reads them back from LevelDB: a delta ('x') or an unspent
 * output ('y'). A damaged database must be refused, never crash the node.
 * Bit 0 of the first input byte picks the record, bit 1 cuts the key one
 * byte short; the key takes the record's key size of what follows, the
 * value the rest.
 *
 * Besides "never crash, never leak": an accepted record writes back to
 * exactly its key and value; a refusal leaves the output cleared. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/addrindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void split(const uint8_t *data, size_t size, size_t key_size, size_t *klen)
{
	*klen = size - 1 < key_size ? size - 1 : key_size;
	if ((data[0] & 2) && *klen)
		(*klen)--;
}

static void zeroed(const void *p, size_t n)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		if (q[i])
			abort();
}

static void fuzz_delta(const uint8_t *data, size_t size)
{
	struct addrindex_delta d;
	uint8_t k[ADDRINDEX_DELTA_KEY], v[ADDRINDEX_DELTA_VAL];
	size_t klen;
	split(data, size, sizeof(k), &klen);
	const uint8_t *key = data + 1, *val = key + klen;
	size_t vlen = size - 1 - klen;
	if (!addrindex_delta_read(&d, key, klen, val, vlen))
		return zeroed(&d, sizeof(d));
	addrindex_delta_key(k, &d);
	addrindex_delta_val(v, &d);
	if (klen != sizeof(k) || vlen != sizeof(v) || memcmp(k, key, klen) != 0 || memcmp(v, val, vlen) != 0)
		abort();
}

static void fuzz_utxo(const uint8_t *data, size_t size)
{
	struct addrindex_utxo u;
	uint8_t k[ADDRINDEX_UTXO_KEY], v[ADDRINDEX_UTXO_VAL];
	size_t klen;
	split(data, size, sizeof(k), &klen);
	const uint8_t *key = data + 1, *val = key + klen;
	size_t vlen = size - 1 - klen;
	if (!addrindex_utxo_read(&u, key, klen, val, vlen))
		return zeroed(&u, sizeof(u));
	addrindex_utxo_key(k, &u);
	addrindex_utxo_val(v, &u);
	if (klen != sizeof(k) || vlen != sizeof(v) || memcmp(k, key, klen) != 0 || memcmp(v, val, vlen) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_utxo(data, size);
	else
		fuzz_delta(data, size);
	return 0;
}
