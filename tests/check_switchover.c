/*
 * check_switchover: the operator's rules of the elector in the simulator
 * (virtual time, safety checked after every step): a switchover makes its
 * target win, fast and with no second unfenced primary, or is called off
 * leaving everything as it was; a maintenance pause starts no failover,
 * and always ends. docs/design/elector.md, "Switchover" and "Maintenance
 * pause", says why each rule is there.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elector.h"
#include "runner.h"
#include "sim.h"
#include "simcheck.h"
#include "wire.h"

/* Fast timings (sim_timing_fast) and what follows from them. */
#define HB          50
#define DOWN_AFTER  500
#define TIMEOUT     300
#define ROUND       (300 + 100 + 400)
#define ELECT_BOUND (DOWN_AFTER + 10 * ROUND)
#define LEASE       (4 * HB)
#define HOLD        (LEASE + HB)
#define SO_MS       2000   /* a switchover's deadline in these tests */

static struct sim *
cluster(size_t n, uint64_t seed, uint64_t offset)
{
	struct sim_config c = sim_config_make(n, seed, 1, 5, offset);

	return sim_new(&c);
}

static int
elect(struct sim *s)
{
	return sim_elect_within(s, ELECT_BOUND);
}

struct want {
	int node;
};

static bool
pred_writable(struct sim *s, void *arg)
{
	return sim_writable(s) == ((struct want *)arg)->node;
}

/*
 * A switchover of the elected primary to target; the time until target is
 * the one writable node (SIM_NEVER if not within SO_MS).
 */
static uint64_t
switch_to(struct sim *s, int p, int target)
{
	struct want w = { target };
	char why[256] = "";
	uint64_t t0 = sim_now(s);

	ck_assert_msg(sim_switchover(s, (size_t)p, target, SO_MS, why,
	    sizeof why) == 0, "switchover refused: %s", why);
	/* Fenced at once: nobody is writable until the target is. */
	ck_assert_int_eq(sim_writable(s), -1);
	if (!sim_run_until_pred(s, pred_writable, &w, t0 + SO_MS))
		return SIM_NEVER;
	return sim_now(s) - t0;
}

/* ---- the switchover wins ---- */

START_TEST(switchover_makes_the_target_win_though_a_tie_favours_another)
{
	/* Equal offsets: the tie goes to n2 in any ordinary election. */
	struct sim *s = cluster(3, 1, 1000);
	int p = elect(s);
	size_t from;
	uint64_t e, ms;
	int t = p == 2 ? 1 : 2;

	sim_run_for(s, HOLD + HB);
	e = elector_epoch(sim_elector(s, (size_t)p));
	from = sim_trace_len(s);
	ms = switch_to(s, p, t);
	ck_assert_msg(ms != SIM_NEVER, "target n%d never writable", t + 1);
	/*
	 * About one heartbeat plus one election, and no hold: the target is
	 * writable the moment it wins (the old primary voted for it).
	 */
	ck_assert_uint_le(ms, 3 * HB);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)t)), e + 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, t, ELECTOR_EV_HANDOFF), 1);
	ck_assert_int_eq(elect(s), t);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_DONE), 1);
	ck_assert_int_eq(elector_switchover_target(sim_elector(s, (size_t)p)),
	    ELECTOR_NONE);
	/* And it lasts. */
	sim_run_for(s, 10 * DOWN_AFTER);
	ck_assert_int_eq(sim_agreed_primary(s), t);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(switchover_in_five_nodes_wins_with_the_replicas_votes)
{
	/* The old primary's vote is not enough: two replicas must vote. */
	struct sim *s = cluster(5, 2, 1000);
	int p = elect(s), t = p == 4 ? 3 : 4;
	size_t from;

	sim_run_for(s, HOLD + HB);
	from = sim_trace_len(s);
	ck_assert_uint_ne(switch_to(s, p, t), SIM_NEVER);
	ck_assert_int_eq(elect(s), t);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_DONE), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(default_target_is_the_freshest_replica)
{
	uint64_t off[3] = { 900, 700, 800 };
	struct sim_config c;
	struct sim *s;
	struct elector *el;
	int p;

	memset(&c, 0, sizeof c);
	c.n = 3;
	c.seed = 3;
	c.keep_trace = true;
	memcpy(c.offset, off, sizeof off);
	s = sim_new(&c);
	p = elect(s);
	ck_assert_int_eq(p, 0);
	sim_run_for(s, HOLD + HB);
	el = sim_elector(s, 0);
	ck_assert_int_eq(elector_switchover_pick(el, sim_now(s)), 2);
	sim_set_offset(s, 2, 900);
	sim_set_offset(s, 1, 900);
	sim_run_for(s, 2 * HB);
	ck_assert_uint_ne(switch_to(s, 0, ELECTOR_NONE) == SIM_NEVER, 1);
	/* Both caught up: the tie goes to the first member, n2. */
	ck_assert_int_eq(elect(s), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(lagging_target_is_released_only_once_it_has_our_offset)
{
	struct sim *s = cluster(3, 4, 1000);
	int p = elect(s), t = p == 2 ? 1 : 2;
	char why[256];
	size_t from;
	struct want w = { t };

	sim_run_for(s, HOLD + HB);
	sim_set_offset(s, (size_t)p, 5000);
	sim_set_offset(s, (size_t)t, 4000);
	sim_run_for(s, 2 * HB);
	from = sim_trace_len(s);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, t, SO_MS, why,
	    sizeof why), 0);
	sim_run_for(s, 10 * HB);
	/* Still waiting: fenced, no candidacy, same primary. */
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_SO_RELEASE), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_int_eq(sim_writable(s), -1);
	ck_assert_int_eq(elector_role(sim_elector(s, (size_t)p)),
	    WIRE_ROLE_PRIMARY);
	sim_set_offset(s, (size_t)t, 5000);
	ck_assert(sim_run_until_pred(s, pred_writable, &w,
	    sim_now(s) + 4 * HB));
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_RELEASE), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ---- called off: nothing else changed ---- */

START_TEST(timeout_resumes_the_old_primary_and_changes_nothing_else)
{
	struct sim *s = cluster(3, 5, 1000);
	int p = elect(s), t = p == 2 ? 1 : 2;
	char why[256];
	size_t from;
	uint64_t e, t0;
	const struct sim_rec *r;

	sim_run_for(s, HOLD + HB);
	e = elector_epoch(sim_elector(s, (size_t)p));
	sim_set_offset(s, (size_t)p, 2000);	/* the target never catches up */
	from = sim_trace_len(s);
	t0 = sim_now(s);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, t, 10 * HB, why,
	    sizeof why), 0);
	sim_run_for(s, 10 * HB + 1);
	r = sim_trace_first(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_FAILED);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->detail, ELECTOR_SO_TIMEOUT);
	ck_assert_uint_eq(r->t, t0 + 10 * HB);
	/* Unfenced again at once, at the same epoch; nobody stood. */
	ck_assert_int_eq(sim_writable(s), p);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)p)), e);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_VOTE), 0);
	sim_run_for(s, 10 * DOWN_AFTER);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)p)), e);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(target_that_sits_out_never_stands_and_the_primary_resumes)
{
	/* Its local server is down: a reference node would act the same. */
	struct sim *s = cluster(3, 6, 0);
	int p = elect(s), t = p == 2 ? 1 : 2;
	char why[256];
	size_t from;
	uint64_t e;

	sim_run_for(s, HOLD + HB);
	e = elector_epoch(sim_elector(s, (size_t)p));
	sim_set_local(s, (size_t)t, false);	/* heartbeats offset 0 */
	from = sim_trace_len(s);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, t, 20 * HB, why,
	    sizeof why), 0);
	sim_run_for(s, 20 * HB + 1);
	/* Released (offsets 0 = 0) but it could not stand: called off. */
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_RELEASE), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, p, ELECTOR_EV_SO_FAILED), 1);
	ck_assert_int_eq(sim_writable(s), p);
	sim_run_for(s, 10 * DOWN_AFTER);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)p)), e);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(refusals_change_nothing)
{
	struct sim_config c;
	struct sim *s;
	struct elector *el;
	char why[256];
	int p, q;
	size_t from;

	memset(&c, 0, sizeof c);
	c.n = 4;
	c.seed = 7;
	c.keep_trace = true;
	c.never_stand[3] = true;
	for (size_t i = 0; i < 4; i++)
		c.offset[i] = 1000;
	s = sim_new(&c);
	p = elect(s);
	q = p == 0 ? 1 : 0;
	sim_run_for(s, HOLD + HB);
	from = sim_trace_len(s);
	el = sim_elector(s, (size_t)p);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, p, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "already primary") != NULL, "%s", why);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, 3, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "never_stand") != NULL, "%s", why);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, 99, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "no such member") != NULL, "%s", why);
	ck_assert_int_eq(sim_switchover(s, (size_t)q, p, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "not primary") != NULL, "%s", why);
	ck_assert_int_eq(elector_switchover_target(el), ELECTOR_NONE);
	ck_assert_int_eq(sim_writable(s), p);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_SWITCHOVER), 0);
	/* A down member. */
	sim_kill(s, (size_t)q);
	sim_run_for(s, DOWN_AFTER + HB);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, q, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "is down") != NULL, "%s", why);
	ck_assert_int_eq(sim_writable(s), p);
	/* Twice at once: the second is refused, the first goes on. */
	ck_assert_int_eq(sim_switchover(s, (size_t)p, 2, SO_MS, why,
	    sizeof why), 0);
	ck_assert_int_eq(sim_switchover(s, (size_t)p, 2, SO_MS, why,
	    sizeof why), -1);
	ck_assert_msg(strstr(why, "already under way") != NULL, "%s", why);
	ck_assert_int_eq(elect(s), 2);
	/* A primary that lost its lease has nothing to hand over. */
	sim_isolate(s, 2);
	sim_run_for(s, LEASE + HB);
	ck_assert_int_eq(elector_role(sim_elector(s, 2)), WIRE_ROLE_PRIMARY);
	ck_assert_int_eq(sim_switchover(s, 2, p, SO_MS, why, sizeof why), -1);
	ck_assert_msg(strstr(why, "fenced") != NULL, "%s", why);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(no_switchover_during_an_election)
{
	struct sim *s = cluster(3, 8, 1000);
	char why[256];
	int p = elect(s);

	sim_kill(s, (size_t)p);
	/* Nobody is primary while the survivors elect: refused everywhere. */
	for (size_t i = 0; i < 3; i++) {
		if ((int)i == p)
			continue;
		ck_assert_int_eq(sim_switchover(s, i, ELECTOR_NONE, SO_MS,
		    why, sizeof why), -1);
	}
	elect(s);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ---- maintenance pause ---- */

START_TEST(paused_primary_whose_server_restarts_keeps_its_role)
{
	struct sim *s = cluster(3, 9, 1000);
	int p = elect(s);
	size_t from;
	uint64_t e;

	sim_run_for(s, HOLD + HB);
	e = elector_epoch(sim_elector(s, (size_t)p));
	from = sim_trace_len(s);
	ck_assert_int_eq(sim_maint(s, (size_t)p, 40 * HB), 0);
	sim_set_local(s, (size_t)p, false);
	sim_run_for(s, 4 * DOWN_AFTER / 2 + 10 * HB);
	/* No failover: it stays primary (its server restarts). */
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_STEP_DOWN), 0);
	sim_set_local(s, (size_t)p, true);
	sim_run_for(s, 40 * HB);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)p)), e);
	ck_assert_uint_eq(elector_maint_until(sim_elector(s, (size_t)p)), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(pause_expires_then_a_dead_server_steps_the_primary_down)
{
	struct sim *s = cluster(3, 10, 1000);
	int p = elect(s);
	size_t from;
	uint64_t t0;
	const struct sim_rec *r;

	sim_run_for(s, HOLD + HB);
	from = sim_trace_len(s);
	t0 = sim_now(s);
	ck_assert_int_eq(sim_maint(s, (size_t)p, 20 * HB), 0);
	sim_set_local(s, (size_t)p, false);
	sim_run_for(s, 20 * HB - 1);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	sim_run_for(s, 1);
	ck_assert_int_ne(elect(s), p);
	r = sim_trace_first(s, from, SIM_REC_EVENT, p, ELECTOR_EV_MAINT_END);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->detail, ELECTOR_MAINT_EXPIRED);
	ck_assert_uint_eq(r->t, t0 + 20 * HB);
	r = sim_trace_first(s, from, SIM_REC_EVENT, p, ELECTOR_EV_STEP_DOWN);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->t, t0 + 20 * HB);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(every_node_paused_no_failover_when_the_primary_dies)
{
	struct sim *s = cluster(3, 11, 1000);
	int p = elect(s);
	size_t from;
	uint64_t t0;

	sim_run_for(s, HOLD + HB);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(sim_maint(s, i, 10 * DOWN_AFTER), 0);
	from = sim_trace_len(s);
	t0 = sim_now(s);
	sim_kill(s, (size_t)p);
	sim_run_for(s, 9 * DOWN_AFTER);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_int_eq(sim_writable(s), -1);
	/* It expires: then the survivors fail over as always. */
	ck_assert_int_ne(elect(s), p);
	ck_assert_uint_ge(sim_trace_first(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY)->t,
	    t0 + 10 * DOWN_AFTER);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(paused_nodes_still_vote_and_resume_ends_the_pause)
{
	struct sim *s = cluster(3, 12, 1000);
	int p = elect(s), q = p == 0 ? 1 : 0, r = 3 - p - q;
	size_t from;

	sim_run_for(s, HOLD + HB);
	/* q paused; r not: r stands when p dies and q votes for it. */
	ck_assert_int_eq(sim_maint(s, (size_t)q, 100 * DOWN_AFTER), 0);
	sim_set_offset(s, (size_t)r, 2000);
	from = sim_trace_len(s);
	sim_kill(s, (size_t)p);
	ck_assert_int_eq(elect(s), r);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, q, ELECTOR_EV_VOTE), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, q, ELECTOR_EV_CANDIDACY), 0);
	sim_maint_end(s, (size_t)q);
	ck_assert_uint_eq(elector_maint_until(sim_elector(s, (size_t)q)), 0);
	ck_assert_uint_eq(sim_trace_first(s, from, SIM_REC_EVENT, q, ELECTOR_EV_MAINT_END)->detail,
	    ELECTOR_MAINT_RESUMED);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(pause_ends_when_the_majority_is_lost_and_needs_one_to_start)
{
	struct sim *s = cluster(3, 13, 1000);
	int p = elect(s), q = p == 0 ? 1 : 0;
	size_t from;

	sim_run_for(s, HOLD + HB);
	ck_assert_int_eq(sim_maint(s, (size_t)q, 100 * DOWN_AFTER), 0);
	from = sim_trace_len(s);
	sim_isolate(s, (size_t)q);
	sim_run_for(s, DOWN_AFTER + HB);
	ck_assert_uint_eq(elector_maint_until(sim_elector(s, (size_t)q)), 0);
	ck_assert_uint_eq(sim_trace_first(s, from, SIM_REC_EVENT, q, ELECTOR_EV_MAINT_END)->detail,
	    ELECTOR_MAINT_NO_MAJORITY);
	/* Without a majority it cannot start either. */
	ck_assert_int_eq(sim_maint(s, (size_t)q, DOWN_AFTER), -1);
	ck_assert_uint_eq(elector_maint_until(sim_elector(s, (size_t)q)), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

static Suite *
switchover_suite(void)
{
	Suite *s = suite_create("switchover");
	TCase *tc;

#define TC(name) do { tc = tcase_create(name); tcase_set_timeout(tc, 60); \
	suite_add_tcase(s, tc); } while (0)
	TC("switchover");
	tcase_add_test(tc, switchover_makes_the_target_win_though_a_tie_favours_another);
	tcase_add_test(tc, switchover_in_five_nodes_wins_with_the_replicas_votes);
	tcase_add_test(tc, default_target_is_the_freshest_replica);
	tcase_add_test(tc, lagging_target_is_released_only_once_it_has_our_offset);
	TC("called-off");
	tcase_add_test(tc, timeout_resumes_the_old_primary_and_changes_nothing_else);
	tcase_add_test(tc, target_that_sits_out_never_stands_and_the_primary_resumes);
	tcase_add_test(tc, refusals_change_nothing);
	tcase_add_test(tc, no_switchover_during_an_election);
	TC("maintenance");
	tcase_add_test(tc, paused_primary_whose_server_restarts_keeps_its_role);
	tcase_add_test(tc, pause_expires_then_a_dead_server_steps_the_primary_down);
	tcase_add_test(tc, every_node_paused_no_failover_when_the_primary_dies);
	tcase_add_test(tc, paused_nodes_still_vote_and_resume_ends_the_pause);
	tcase_add_test(tc, pause_ends_when_the_majority_is_lost_and_needs_one_to_start);
#undef TC
	return s;
}

int
main(void)
{
	return runner_main(switchover_suite());
}
