/*
 * util: shared helpers of daemon/ (util.h). Pure: no I/O, no state.
 */
#include "util.h"

void
util_us_to_tv(uint64_t us, struct timeval *tv)
{
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

void
util_ms_to_tv(uint64_t ms, struct timeval *tv)
{
	util_us_to_tv(ms * 1000, tv);
}
