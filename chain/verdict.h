/* The answer of every validation: valid, invalid (with a result class that
 * tells the mesh how to treat the sender, and a short reject string such as
 * "bad-txns-inputs-missingorspent"), or a local error that is never a
 * peer's fault. */
#ifndef CAIRN_CHAIN_VERDICT_H
#define CAIRN_CHAIN_VERDICT_H

#include <stdbool.h>

enum vresult {
	VR_OK = 0,
	VR_CONSENSUS,      /* breaks a consensus rule */
	VR_MUTATED,        /* body does not match the header (merkle root) */
	VR_INVALID_HEADER, /* proof of work or bits */
	VR_CACHED_INVALID, /* already known to be invalid */
	VR_MISSING_PREV,   /* parent unknown: not (yet) an offence */
	VR_INVALID_PREV,   /* builds on an invalid block */
	VR_TIME_FUTURE,    /* too far ahead of our clock: may become valid */
	VR_MISSING_INPUTS, /* transaction spends unknown outputs: an orphan */
	VR_PREMATURE,      /* not yet final or coinbase not yet mature */
	VR_CONFLICT,       /* spends what the mempool already spends */
	VR_POLICY,         /* the mempool's local policy (fee, size, limits) */
	VR_DUPLICATE,      /* already have it */
	VR_ERROR,          /* local failure: disk, memory */
};

/* The few refusals a caller must tell apart from others of their result
 * class, so that it branches on a code and never on the reject string (the
 * string is for people and peers and may be reworded). Most failures carry
 * VC_NONE. */
enum vcode {
	VC_NONE = 0,
	VC_IN_CHAIN, /* the transaction is already in the best chain ("txn-already-known") */
};

#define VERDICT_REASON_LEN 64
#define VERDICT_DEBUG_LEN 192

struct verdict {
	enum vresult result;
	enum vcode code;
	char reason[VERDICT_REASON_LEN];
	char debug[VERDICT_DEBUG_LEN];
};

void verdict_init(struct verdict *v);
/* Records a failure (v may be NULL); returns false for `return verdict_fail(...)`. */
bool verdict_fail(struct verdict *v, enum vresult r, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Gives the failure just recorded a code other than VC_NONE (verdict_fail
 * sets VC_NONE); returns false, for `return verdict_code(v, VC_...);`
 * after a verdict_fail. v may be NULL. */
bool verdict_code(struct verdict *v, enum vcode code);
static inline bool verdict_ok(const struct verdict *v)
{
	return v->result == VR_OK;
}
const char *verdict_result_name(enum vresult r);

#endif
