/* simcheck: see simcheck.h. */
#include <inttypes.h>

#include <check.h>

#include "simcheck.h"

void
sim_assert_safe(struct sim *s)
{
	ck_assert_msg(sim_ok(s), "safety: %s (seed %" PRIu64 ")",
	    sim_violation(s), sim_seed(s));
}

int
sim_elect_within(struct sim *s, uint64_t bound_ms)
{
	bool ok = sim_run_until_pred(s, sim_pred_agreed, NULL,
	    sim_now(s) + bound_ms);

	sim_assert_safe(s);
	if (!ok)
		sim_trace_print(s, SIM_TAIL_LINES);
	ck_assert_msg(ok, "no agreed primary by t=%" PRIu64 " (seed %" PRIu64
	    ")", sim_now(s), sim_seed(s));
	return sim_agreed_primary(s);
}
