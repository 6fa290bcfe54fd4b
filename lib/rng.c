/*
 * rng: splitmix64 (Steele, Lea, Flood 2014), see rng.h.
 */
#include "rng.h"

#define RNG_GOLDEN 0x9e3779b97f4a7c15ULL

uint64_t
rng_next(uint64_t *state)
{
	uint64_t z = (*state += RNG_GOLDEN);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
rng_below(uint64_t *state, uint64_t bound)
{
	return rng_next(state) % bound;
}
