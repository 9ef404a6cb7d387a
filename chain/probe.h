/* Timings of chain work for the node's metrics, without a clock in chain/:
 * chain code marks where timed work starts and stops, and the node's
 * probe (which may read the clock) turns the marks into durations.
 *
 *     uint64_t t = probe_start();
 *     ... connect the block ...
 *     probe_stop(PROBE_CONNECT, t);
 *
 * With no probe set both cost one load and a branch. The probe is set
 * once by the node before any chain work starts and cleared after the
 * last (at shut-down); its functions may be called from any thread. */
#ifndef CAIRN_CHAIN_PROBE_H
#define CAIRN_CHAIN_PROBE_H

#include <stdint.h>

enum probe_kind {
	PROBE_CONNECT, /* a block connected to the tip: its checks and its write */
	PROBE_SIGS,    /* one batch of signature checks (a block's, a transaction's) */
	PROBE_N_KINDS
};

struct probe {
	/* A token for stop, e.g. the time now. */
	uint64_t (*start)(void *ctx);
	/* The work of kind that started with token is done. */
	void (*stop)(void *ctx, enum probe_kind kind, uint64_t token);
	void *ctx;
};

/* Sets the probe (copied); NULL removes it. */
void probe_set(const struct probe *p);
/* The probe's token, 0 when none is set. */
uint64_t probe_start(void);
/* Tells the probe (when one is set) that work of kind is done. */
void probe_stop(enum probe_kind kind, uint64_t token);

#endif
