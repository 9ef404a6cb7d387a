/* What REST's three files share and nobody else sees.
 *
 *   rest.c        the URL parser, the formats, refusals, HTTP
 *   rest_chain.c  chain info, blocks, headers, block hashes, transactions,
 *                 assets
 *   rest_utxo.c   getutxos, the mempool
 *
 * An answer is built into a struct rest_reply without HTTP; rest.c sends
 * it. Included by those files only; the API is rest.h. */
#ifndef CAIRN_RPC_REST_IMPL_H
#define CAIRN_RPC_REST_IMPL_H

#include <cJSON.h>

#include "rpc/rest.h"
#include "rpc/server.h"
#include "util/buf.h"

/* A reply: its HTTP status, Content-Type and body. */
struct rest_reply {
	int status;
	const char *type;
	struct buf body;
};

/* ---- rest.c ---- */

/* Refuses: status with the reason as text/plain, ending "\r\n" as Core's
 * do. */
void rest_fail(struct rest_reply *out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers a failed RPC builder the way Core's REST does: -5 (not found) is
 * 404 "<what> not found", anything else 500 with the RPC's message. */
void rest_fail_rpc(struct rest_reply *out, const struct rpc_error *e, const uint8_t what[32]);
/* Answers n bytes in format f: .bin as they are (application/octet-stream),
 * .hex as lowercase hex and a newline (text/plain). */
void rest_bytes(struct rest_reply *out, enum rest_format f, const void *p, size_t n);
/* Answers b's bytes in format f (as rest_bytes), or 500 when b ran out of
 * memory; releases b. */
void rest_buf(struct rest_reply *out, enum rest_format f, struct buf *b);
/* Answers j (which it frees) as application/json: unformatted with a
 * newline, as Core's; a NULL j (not built) is a 500. */
void rest_json(struct rest_reply *out, cJSON *j);

/* ---- rest_chain.c ---- */

/* The answers of REST_CHAININFO, REST_BLOCK(_NOTXDETAILS), REST_HEADERS,
 * REST_BLOCKHASH, REST_TX and the three asset endpoints. */
void rest_chain_answer(const struct rest *r, const struct rest_request *q, struct rest_reply *out);

/* ---- rest_utxo.c ---- */

/* The answers of REST_GETUTXOS, REST_MEMPOOL_INFO and REST_MEMPOOL_CONTENTS. */
void rest_utxo_answer(const struct rest *r, const struct rest_request *q, struct rest_reply *out);

#endif
