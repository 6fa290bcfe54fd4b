/*
 * rng: splitmix64, the one pseudo-random generator of the project (the
 * elector's tie-breaks and backoff, link jitter, the simulator and the
 * property test's schedules). Pure: the caller owns the state and seeds
 * it; nothing here reads a clock or the kernel.
 */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

/* The next 64 random bits; advances *state. */
uint64_t rng_next(uint64_t *state);
/* Uniform enough in [0, bound) for jitter; bound > 0. */
uint64_t rng_below(uint64_t *state, uint64_t bound);

#endif
