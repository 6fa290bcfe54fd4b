/*
 * util: shared helpers of daemon/ (util.h). Pure: no I/O, no state.
 */
#include "util.h"

void
util_ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
}
