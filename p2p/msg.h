/* Mesh messages: the 24-byte frame header and every payload, encoded and
 * decoded without any I/O (pure functions over bytes, so they can be tested
 * and fuzzed alone). docs/protocol.md gives every layout.
 *
 *   frame = magic (4) | command (12, NUL-padded ASCII) | length u32 | checksum (4) | payload
 *
 * Integers are little-endian except the port of an address (big-endian, as
 * in Bitcoin). Counts are varints, capped before anything is allocated.
 * Every decoder refuses truncation and trailing bytes, returns 0 or -1 and
 * on -1 fills err with the reason and leaves its output empty (released).
 */
#ifndef CAIRN_P2P_MSG_H
#define CAIRN_P2P_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/block.h"
#include "chain/tx.h"
#include "p2p/netaddr.h"
#include "util/buf.h"
#include "util/err.h"

#define MSG_HEADER_SIZE 24
#define MSG_COMMAND_SIZE 12
#define MSG_MAX_PAYLOAD (4u * 1024 * 1024)

#define MSG_MAX_USER_AGENT 256
#define MSG_MAX_ADDR 1000
#define MSG_MAX_INV 50000
#define MSG_MAX_LOCATOR 101
#define MSG_MAX_HEADERS 2000

/* The protocol version this code speaks (version.version). */
#define MSG_PROTOCOL_VERSION 70001u
/* Service bits (version.services, addr entries). */
#define MSG_NODE_NETWORK 1u

/* The commands. */
#define MSG_VERSION "version"
#define MSG_VERACK "verack"
#define MSG_PING "ping"
#define MSG_PONG "pong"
#define MSG_GETADDR "getaddr"
#define MSG_ADDR "addr"
#define MSG_SENDHEADERS "sendheaders"
#define MSG_INV "inv"
#define MSG_GETDATA "getdata"
#define MSG_NOTFOUND "notfound"
#define MSG_GETHEADERS "getheaders"
#define MSG_HEADERS "headers"
#define MSG_TX "tx"
#define MSG_BLOCK "block"
/* compact blocks (BIP 152; p2p/cblock.h has their payloads) */
#define MSG_SENDCMPCT "sendcmpct"
#define MSG_CMPCTBLOCK "cmpctblock"
#define MSG_GETBLOCKTXN "getblocktxn"
#define MSG_BLOCKTXN "blocktxn"

/* Number of known commands; msg_command_index() returns this for others. */
#define MSG_N_COMMANDS 18

/* ---- commands and the frame header ---- */

/* Why a frame was refused (the transport passes it on as a close reason). */
enum msg_fault {
	MSG_OK = 0,
	MSG_BAD_MAGIC,    /* the first four bytes are not the network's magic */
	MSG_BAD_COMMAND,  /* command is empty, not printable or not NUL-padded */
	MSG_OVERSIZE,     /* announced payload length > MSG_MAX_PAYLOAD */
	MSG_BAD_CHECKSUM, /* payload does not hash to the header's checksum */
};

struct msg_header {
	uint8_t magic[4];
	char command[MSG_COMMAND_SIZE + 1]; /* NUL-terminated */
	uint32_t len;
	uint8_t checksum[4];
};

/* True for 1 to 12 characters, each printable ASCII other than space
 * (0x21..0x7e). */
bool msg_command_valid(const char *command);
/* True when command is one of the MSG_* commands above. */
bool msg_command_known(const char *command);
/* 0..MSG_N_COMMANDS-1 for a known command, MSG_N_COMMANDS otherwise: an
 * index for per-command counters. */
size_t msg_command_index(const char *command);
/* The command at an index, or "*other*" for MSG_N_COMMANDS (and beyond). */
const char *msg_command_name(size_t index);

/* out = the first 4 bytes of SHA-256d(payload). */
void msg_checksum(uint8_t out[4], const uint8_t *payload, size_t len);
/* Writes the frame header for payload into out. Returns 0, or -1 (out
 * zeroed) when command is not valid or len > MSG_MAX_PAYLOAD. */
int msg_header_encode(uint8_t out[MSG_HEADER_SIZE], const uint8_t magic[4], const char *command,
		      const uint8_t *payload, size_t len) WUR;
/* Decodes and checks a frame header: magic must equal magic, the command
 * must be valid and NUL-padded, len at most MSG_MAX_PAYLOAD. The checksum is
 * only copied out (the payload has not arrived yet): check it with
 * msg_payload_check. Returns MSG_OK, or the fault with err filled and h
 * zeroed. */
enum msg_fault msg_header_decode(struct msg_header *h, const uint8_t in[MSG_HEADER_SIZE],
				 const uint8_t magic[4], char *err) WUR;
/* MSG_OK when payload has h's length and checksum, else MSG_BAD_CHECKSUM
 * (err filled). */
enum msg_fault msg_payload_check(const struct msg_header *h, const uint8_t *payload, size_t len,
				 char *err) WUR;
/* Appends a whole frame (header and payload) to out; -1 as
 * msg_header_encode, or when out failed to grow. */
int msg_frame_encode(struct buf *out, const uint8_t magic[4], const char *command,
		     const uint8_t *payload, size_t len) WUR;

/* ---- payloads ---- */

/* version: protocol version u32 | services u64 | time i64 |
 * addr_recv (services u64 | ip 16 | port u16 BE) | nonce u64 |
 * user agent (varint length ≤ 256, printable ASCII) | best height u32 | relay u8 (0/1) */
struct msg_version {
	uint32_t version;
	uint64_t services;
	int64_t time;
	struct net_addr addr_recv; /* how the sender sees the receiver; time unused */
	uint64_t nonce;
	char user_agent[MSG_MAX_USER_AGENT + 1]; /* NUL-terminated */
	uint32_t height;
	bool relay;
};

/* ping, pong */
struct msg_ping {
	uint64_t nonce;
};

/* addr: up to MSG_MAX_ADDR entries of time u32 | services u64 | ip 16 | port u16 BE */
struct msg_addr {
	size_t n;
	struct net_addr *addrs; /* owned */
};

/* INV_CMPCT_BLOCK is only asked for (getdata): the answer is a cmpctblock. */
enum inv_type { INV_TX = 1, INV_BLOCK = 2, INV_CMPCT_BLOCK = 4 };

struct inv_item {
	uint32_t type; /* enum inv_type */
	uint8_t hash[32];
};

/* inv, getdata, notfound: up to MSG_MAX_INV entries of type u32 | hash 32 */
struct msg_inv {
	size_t n;
	struct inv_item *items; /* owned */
};

/* getheaders: version u32 | locator (varint ≤ 101, hashes) | stop hash */
struct msg_getheaders {
	uint32_t version;
	size_t n_locator;
	uint8_t locator[MSG_MAX_LOCATOR][32];
	uint8_t stop[32];
};

/* headers: up to MSG_MAX_HEADERS of (152-byte header | varint 0) */
struct msg_headers {
	size_t n;
	struct block_header *headers; /* owned */
};

/* Encoders append to out and return 0, or -1 when a field breaks its limit
 * (count over the cap, user agent too long or not printable) or out failed
 * to grow; out may then hold part of the payload. */
int msg_version_encode(struct buf *out, const struct msg_version *m) WUR;
int msg_ping_encode(struct buf *out, const struct msg_ping *m) WUR;
int msg_addr_encode(struct buf *out, const struct msg_addr *m) WUR;
int msg_inv_encode(struct buf *out, const struct msg_inv *m) WUR;
int msg_getheaders_encode(struct buf *out, const struct msg_getheaders *m) WUR;
int msg_headers_encode(struct buf *out, const struct msg_headers *m) WUR;

/* Decoders: 0, or -1 with err filled and the output zeroed/released. */
int msg_version_decode(struct msg_version *m, const uint8_t *p, size_t len, char *err) WUR;
/* verack, getaddr, sendheaders: the payload must be empty. */
int msg_empty_decode(const uint8_t *p, size_t len, char *err) WUR;
int msg_ping_decode(struct msg_ping *m, const uint8_t *p, size_t len, char *err) WUR;
/* Allocates m->addrs (release with msg_addr_release). */
int msg_addr_decode(struct msg_addr *m, const uint8_t *p, size_t len, char *err) WUR;
/* Allocates m->items; types other than the three of enum inv_type are
 * refused. */
int msg_inv_decode(struct msg_inv *m, const uint8_t *p, size_t len, char *err) WUR;
int msg_getheaders_decode(struct msg_getheaders *m, const uint8_t *p, size_t len, char *err) WUR;
/* Allocates m->headers; a nonzero transaction count is refused. */
int msg_headers_decode(struct msg_headers *m, const uint8_t *p, size_t len, char *err) WUR;
/* tx and block payloads are one serialized transaction or block: these are
 * tx_parse and block_parse (tx/b initialised by the call; release them with
 * tx_release/block_release). Encode with tx_write/block_write. */
int msg_tx_decode(struct tx *tx, const uint8_t *p, size_t len, char *err) WUR;
int msg_block_decode(struct block *b, const uint8_t *p, size_t len, char *err) WUR;

/* Free the lists; safe on zeroed or released messages, and twice. */
void msg_addr_release(struct msg_addr *m);
void msg_inv_release(struct msg_inv *m);
void msg_headers_release(struct msg_headers *m);

#endif
