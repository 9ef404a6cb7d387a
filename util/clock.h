/* The wall clock for the layers above chain/ (which takes time as an
 * argument), with a mock time for tests (setmocktime). */
#ifndef CAIRN_UTIL_CLOCK_H
#define CAIRN_UTIL_CLOCK_H

#include <stdint.h>

/* Unix seconds: the mock time when one is set, else the system clock. */
uint64_t clock_now(void);
/* Sets (t > 0) or clears (t == 0) the mock time. */
void clock_set_mock(uint64_t t);
/* Monotonic microseconds, for durations. */
uint64_t clock_mono_us(void);

#endif
