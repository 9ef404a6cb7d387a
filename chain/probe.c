#include "chain/probe.h"

#include <stddef.h>

/* Written only while no chain work runs (probe.h), so a plain struct. */
static struct probe probe;

void probe_set(const struct probe *p)
{
	probe = p ? *p : (struct probe){ NULL, NULL, NULL };
}

uint64_t probe_start(void)
{
	return probe.start ? probe.start(probe.ctx) : 0;
}

void probe_stop(enum probe_kind kind, uint64_t token)
{
	if (probe.stop)
		probe.stop(probe.ctx, kind, token);
}
