/* libFuzzer target for the frame header decoder, fed the way the transport
 * feeds it: the input is a byte stream cut into frames (24-byte header,
 * then the payload it announces). Besides "never crash", it holds the
 * decoder to its contract: an accepted header has a valid command and a
 * length within MSG_MAX_PAYLOAD and re-encodes to the same 24 bytes once its
 * payload's checksum matches; a refused one leaves a zeroed header and a
 * reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t magic[4] = { 0xfa, 0xbf, 0xb5, 0xda };

static void check_refused(const struct msg_header *h, const char *err)
{
	static const struct msg_header zero;
	if (memcmp(h, &zero, sizeof(zero)) != 0 || err[0] == '\0')
		abort();
}

/* Checks the frame at data; returns its length, or 0 to stop the stream. */
static size_t one_frame(const uint8_t *data, size_t size)
{
	struct msg_header h;
	char err[ERR_LEN] = "";
	uint8_t again[MSG_HEADER_SIZE];

	if (size < MSG_HEADER_SIZE)
		return 0;
	enum msg_fault f = msg_header_decode(&h, data, magic, err);
	if (f != MSG_OK) {
		check_refused(&h, err);
		return 0;
	}
	if (!msg_command_valid(h.command) || h.len > MSG_MAX_PAYLOAD)
		abort();
	if (size - MSG_HEADER_SIZE < h.len)
		return 0;
	const uint8_t *payload = data + MSG_HEADER_SIZE;
	err[0] = '\0';
	if (msg_payload_check(&h, payload, h.len, err) != MSG_OK) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (msg_header_encode(again, magic, h.command, payload, h.len) != 0 ||
	    memcmp(again, data, MSG_HEADER_SIZE) != 0)
		abort(); /* an accepted header has exactly one encoding */
	(void)msg_command_name(msg_command_index(h.command));
	return MSG_HEADER_SIZE + h.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	while ((n = one_frame(data, size)) != 0) {
		data += n;
		size -= n;
	}
	return 0;
}
