#include "util/clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic uint64_t mock;

uint64_t clock_now(void)
{
	uint64_t m = atomic_load(&mock);
	return m ? m : (uint64_t)time(NULL);
}

void clock_set_mock(uint64_t t)
{
	atomic_store(&mock, t);
}

uint64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
