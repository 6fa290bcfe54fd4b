/*
 * simcheck: the Check assertions the simulator tests share (the
 * simulator itself, tests/sim.c, knows nothing of Check).
 */
#ifndef SIMCHECK_H
#define SIMCHECK_H

#include <stdint.h>

#include "sim.h"

/* Fail the test, naming the violation and the seed, unless s is safe. */
void sim_assert_safe(struct sim *);
/*
 * Run until one agreed primary, at most bound_ms from now: the index,
 * after asserting safety; else the trace tail and a failed test.
 */
int sim_elect_within(struct sim *, uint64_t bound_ms);

#endif
