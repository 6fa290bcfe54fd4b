/*
 * clock: the daemon's one monotonic time base (CLOCK_MONOTONIC), fed to
 * the elector and used for every deadline, rate limit and age. Wall-clock
 * time appears only in log timestamps (log.c).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

uint64_t clock_now_us(void);
uint64_t clock_now_ms(void);

#endif
