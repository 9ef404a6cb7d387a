/* Shared by the two proof bundle versions (chain/proof.c, chain/proof2.c,
 * chain/proof2_report.c); nothing outside them includes it. */
#ifndef CAIRN_CHAIN_PROOF_IMPL_H
#define CAIRN_CHAIN_PROOF_IMPL_H

#include "chain/address.h"
#include "chain/params.h"
#include "util/buf.h"

/* err_set for the checks that answer bool: fills err (when not NULL) and
 * returns false. */
bool proof_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends one formatted line (at most 511 bytes) to b. */
void proof_put_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The address of hash h on network p, or "?". */
void proof_addr(char out[ADDRESS_MAX_LEN], const struct chain_params *p, const uint8_t h[20]);
/* Unix time t as an ISO 8601 UTC time. */
void proof_utc(char out[32], uint64_t t);
/* An asset output's metadata, as text when printable, else hex. */
void proof_put_metadata(struct buf *b, const struct txout *o);

#endif
