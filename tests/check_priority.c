/*
 * check_priority: member priorities and the lag limit in the simulator
 * (virtual time, safety checked after every step). Among candidates
 * within priority_lag_bytes of the freshest the higher priority wins,
 * standing and voting alike; outside it the offset does; a replica
 * further than max_lag_bytes behind the last primary offset it heard
 * does not stand but votes, and its OFFER is refused; a preferred node
 * that cannot stand holds nobody up for longer than a bound.
 * docs/design/elector.md, "Priorities and a lag limit", says why.
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
#define HOLD        (4 * HB + HB)

static struct sim_config
config(size_t n, uint64_t seed, uint64_t offset)
{
	return sim_config_make(n, seed, 1, 5, offset);
}

/* The agreed primary within the liveness bound (asserted). */
static int
elect(struct sim *s)
{
	return sim_elect_within(s, ELECT_BOUND);
}

/* Candidacies node stood in since trace index from. */
static size_t
candidacies(const struct sim *s, size_t from, int node)
{
	size_t n = 0;

	for (size_t i = from; i < sim_trace_len(s); i++) {
		const struct sim_rec *r = sim_trace_at(s, i);

		if (r->kind == SIM_REC_EVENT && r->ev == ELECTOR_EV_CANDIDACY &&
		    r->node == node)
			n++;
	}
	return n;
}

/* ELECTOR_EV_LAG_LIMIT events of node with this detail. */
static size_t
lag_events(const struct sim *s, int node, uint64_t detail)
{
	size_t n = 0;

	for (size_t i = 0; i < sim_trace_len(s); i++) {
		const struct sim_rec *r = sim_trace_at(s, i);

		if (r->kind == SIM_REC_EVENT && r->ev == ELECTOR_EV_LAG_LIMIT &&
		    r->node == node && r->detail == detail)
			n++;
	}
	return n;
}

/* Kill the agreed primary and return the next one. */
static int
fail_over(struct sim *s, int p)
{
	sim_kill(s, (size_t)p);
	return elect(s);
}

/* ---- the order ---- */

START_TEST(higher_priority_wins_elections_and_failovers_in_its_order)
{
	/* Equal offsets: by id alone n1 would win every time. */
	struct sim_config c = config(5, 1, 1000);
	struct sim *s;
	int p;

	c.priority[3] = 3;
	c.priority[4] = 2;
	s = sim_new(&c);
	p = elect(s);
	ck_assert_int_eq(p, 3);
	sim_run_for(s, HOLD + HB);
	p = fail_over(s, p);
	ck_assert_int_eq(p, 4);
	sim_run_for(s, HOLD + HB);
	/* Then the equal ones, by id as ever. */
	ck_assert_int_eq(fail_over(s, p), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(priority_counts_within_priority_lag_bytes_of_the_freshest)
{
	/* n2 is 5 bytes behind, inside the 10-byte window: it wins. */
	struct sim_config c = config(3, 2, 1000);
	struct sim *s;

	c.offset[1] = 995;
	c.priority[1] = 2;
	c.priority_lag_bytes = 10;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 1);
	/* Nobody else even stood: the order is the same everywhere. */
	ck_assert_uint_eq(candidacies(s, 0, 0), 0);
	ck_assert_uint_eq(candidacies(s, 0, 2), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(outside_priority_lag_bytes_the_freshest_wins)
{
	/* The same, with a 4-byte window: n2 is out, n1 wins the tie. */
	struct sim_config c = config(3, 3, 1000);
	struct sim *s;

	c.offset[1] = 995;
	c.priority[1] = 2;
	c.priority_lag_bytes = 4;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	ck_assert_uint_eq(candidacies(s, 0, 1), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(window_is_measured_from_the_freshest_not_pairwise)
{
	/*
	 * Pairwise, each beats the next (n1 > n2 by priority, n2 > n3 by
	 * priority, n3 > n1 by 12 bytes over the 10-byte window): a cycle.
	 * From the freshest (n3, 12) the window is 2..12: n2 wins.
	 */
	struct sim_config c = config(3, 4, 0);
	struct sim *s;

	c.offset[0] = 1000;
	c.offset[1] = 1006;
	c.offset[2] = 1012;
	c.priority[0] = 3;
	c.priority[1] = 2;
	c.priority_lag_bytes = 10;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(switchover_default_target_follows_priority)
{
	struct sim_config c = config(4, 5, 1000);
	struct sim *s;
	char why[256] = "";
	int p;

	c.priority[0] = 4;
	c.priority[3] = 2;
	c.priority_lag_bytes = 100000;
	s = sim_new(&c);
	p = elect(s);
	ck_assert_int_eq(p, 0);
	sim_run_for(s, HOLD + HB);
	/* By offset and id n2 would be picked; n4 has the priority. */
	ck_assert_int_eq(elector_switchover_pick(sim_elector(s, 0),
	    sim_now(s)), 3);
	/*
	 * Unless it sits out (offset 0 in its heartbeats), even inside a
	 * window that wide: it could not catch up. Then n2 again.
	 */
	sim_set_local(s, 3, false);
	sim_run_for(s, 2 * HB);
	ck_assert_int_eq(elector_switchover_pick(sim_elector(s, 0),
	    sim_now(s)), 1);
	sim_set_local(s, 3, true);
	sim_run_for(s, 2 * HB);
	/* And the switchover with no target goes there, and it lasts. */
	ck_assert_int_eq(sim_switchover(s, 0, ELECTOR_NONE, 2000, why,
	    sizeof why), 0);
	ck_assert_int_eq(elect(s), 3);
	sim_run_for(s, 10 * DOWN_AFTER);
	ck_assert_int_eq(sim_agreed_primary(s), 3);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ---- the lag limit ---- */

START_TEST(replica_beyond_max_lag_does_not_stand_but_votes)
{
	/*
	 * n3 has the highest priority but is 1000 bytes behind the primary,
	 * over the 100-byte limit: n2 wins the failover, with n3's vote
	 * (n1 is dead: n2 needs it).
	 */
	struct sim_config c = config(3, 6, 10000);
	struct sim *s;
	struct elector *n3;
	size_t from;
	uint64_t votes;

	c.offset[2] = 9000;
	c.priority[2] = 5;
	c.max_lag_bytes = 100;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	n3 = sim_elector(s, 2);
	ck_assert_uint_eq(elector_primary_offset(n3), 10000);
	ck_assert(elector_lags(n3));
	/* Reported once, when it started (the log's event=lag_limit). */
	ck_assert_uint_eq(lag_events(s, 2, 1), 1);
	/* It sits out: its heartbeats say offset 0, nobody defers to it. */
	votes = elector_stats(n3)->votes_cast;
	from = sim_trace_len(s);
	ck_assert_int_eq(fail_over(s, 0), 1);
	ck_assert_uint_eq(candidacies(s, from, 2), 0);
	ck_assert_uint_gt(elector_stats(n3)->votes_cast, votes);
	/* Caught up: back in the race, and said so. */
	sim_set_offset(s, 2, 10000);
	sim_run_for(s, 2 * HB);
	ck_assert(!elector_lags(n3));
	ck_assert_uint_eq(lag_events(s, 2, 0), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(replica_within_max_lag_stands_with_its_priority)
{
	/* The same with a 2000-byte limit: n3 is within it and wins. */
	struct sim_config c = config(3, 7, 10000);
	struct sim *s;

	c.offset[2] = 9000;
	c.priority[2] = 5;
	c.priority_lag_bytes = 1000;
	c.max_lag_bytes = 2000;
	s = sim_new(&c);
	/* Within the priority window already at the first election. */
	ck_assert_int_eq(elect(s), 2);
	sim_run_for(s, HOLD + HB);
	ck_assert(!elector_lags(sim_elector(s, 0)));
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* Feed node an OFFER from candidate at the node's epoch + 1. */
static int
inject_offer(struct sim *s, size_t node, size_t candidate, uint64_t offset)
{
	struct wire_frame f;

	memset(&f, 0, sizeof f);
	f.verb = WIRE_OFFER;
	f.epoch = elector_epoch(sim_elector(s, node)) + 1;
	snprintf(f.id, sizeof f.id, "n%zu", candidate + 1);
	f.offset = offset;
	return sim_inject(s, node, &f);
}

START_TEST(voter_refuses_an_offer_beyond_max_lag)
{
	struct sim_config c = config(3, 8, 10000);
	struct sim *s;
	struct elector *n2;
	uint64_t refused, cast;

	c.max_lag_bytes = 100;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	sim_kill(s, 0);
	sim_run_for(s, DOWN_AFTER + HB);
	n2 = sim_elector(s, 1);
	refused = elector_stats(n2)->rank_refusals;
	cast = elector_stats(n2)->votes_cast;
	/* n3 claims an offset 101 bytes behind what n1 heartbeated. */
	inject_offer(s, 1, 2, 10000 - 101);
	ck_assert_uint_eq(elector_stats(n2)->rank_refusals, refused + 1);
	ck_assert_uint_eq(elector_stats(n2)->votes_cast, cast);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ---- a preferred node that cannot stand holds nobody up for good ---- */

START_TEST(voter_refuses_a_lower_priority_candidate_for_one_election_timeout)
{
	/*
	 * n4 (priority 3) is live but paused for maintenance, so it never
	 * stands. n2 refuses n5's OFFER while n4 might still stand, and
	 * takes it once one election timeout passed with no primary.
	 */
	struct sim_config c = config(5, 9, 1000);
	struct sim *s;
	struct elector *n2;
	uint64_t refused, cast, dead;

	c.priority[0] = 4;
	c.priority[3] = 3;
	c.priority_lag_bytes = 10;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	ck_assert_int_eq(sim_maint(s, 3, 100 * DOWN_AFTER), 0);
	/* Keep the others from standing: this test asks n2 alone. */
	for (size_t i = 1; i < 5; i++)
		if (i != 3)
			ck_assert_int_eq(sim_maint(s, i, 100 * DOWN_AFTER), 0);
	sim_kill(s, 0);
	dead = sim_now(s);
	sim_run_for(s, DOWN_AFTER + HB);
	n2 = sim_elector(s, 1);
	refused = elector_stats(n2)->rank_refusals;
	cast = elector_stats(n2)->votes_cast;
	/* One byte ahead of n2, so n2's own id does not refuse it. */
	inject_offer(s, 1, 4, 1001);
	ck_assert_uint_eq(elector_stats(n2)->rank_refusals, refused + 1);
	ck_assert_uint_eq(elector_stats(n2)->votes_cast, cast);
	sim_run_until(s, dead + DOWN_AFTER + HB + TIMEOUT + HB);
	inject_offer(s, 1, 4, 1001);
	ck_assert_uint_eq(elector_stats(n2)->votes_cast, cast + 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(preferred_node_paused_the_next_one_wins_within_a_bound)
{
	struct sim_config c = config(3, 10, 1000);
	struct sim *s;

	c.priority[0] = 4;
	c.priority[1] = 3;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	ck_assert_int_eq(sim_maint(s, 1, 100 * DOWN_AFTER), 0);
	ck_assert_int_eq(fail_over(s, 0), 2);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(paused_replica_winning_the_id_tie_does_not_hold_a_failover)
{
	/*
	 * Default priorities. n2 is paused, so it does not stand; it used
	 * to refuse n3's OFFER as the better candidate of an offset tie (the
	 * smaller id) for the whole pause: no failover for up to an hour.
	 * A paused node now votes as one that sits out.
	 */
	struct sim_config c = config(3, 14, 1000);
	struct sim *s;

	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	ck_assert_int_eq(sim_maint(s, 1, 100 * DOWN_AFTER), 0);
	ck_assert_int_eq(fail_over(s, 0), 2);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(preferred_node_sitting_out_at_cold_start_holds_nobody_up)
{
	/*
	 * A fresh cluster, every offset 0: n3 has the priority but its
	 * server is down, and a node that sits out heartbeats offset 0 like
	 * any other here. The others defer to it for one election timeout.
	 */
	struct sim_config c = config(3, 11, 0);
	struct sim *s;
	int p;

	c.priority[2] = 9;
	s = sim_new(&c);
	sim_set_local(s, 2, false);
	p = elect(s);
	ck_assert_int_ne(p, 2);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(preferred_node_dying_with_the_primary_the_next_one_wins)
{
	struct sim_config c = config(5, 12, 1000);
	struct sim *s;

	c.priority[0] = 5;
	c.priority[1] = 4;
	c.priority[4] = 2;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	sim_kill(s, 1);
	ck_assert_int_eq(fail_over(s, 0), 4);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(every_replica_beyond_max_lag_no_failover)
{
	/* The rule's price, as with Patroni's maximum_lag_on_failover. */
	struct sim_config c = config(3, 13, 5000);
	struct sim *s;
	size_t from;

	c.offset[0] = 9000;
	c.max_lag_bytes = 100;
	s = sim_new(&c);
	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, HOLD + HB);
	from = sim_trace_len(s);
	sim_kill(s, 0);
	sim_run_for(s, ELECT_BOUND);
	ck_assert_uint_eq(candidacies(s, from, 1), 0);
	ck_assert_uint_eq(candidacies(s, from, 2), 0);
	/* The primary comes back: it is primary again. */
	sim_restart(s, 0, false);
	ck_assert_int_eq(elect(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

static Suite *
priority_suite(void)
{
	Suite *s = suite_create("priority");
	TCase *tc;

#define TC(name) do { tc = tcase_create(name); tcase_set_timeout(tc, 60); \
	suite_add_tcase(s, tc); } while (0)
	TC("order");
	tcase_add_test(tc, higher_priority_wins_elections_and_failovers_in_its_order);
	tcase_add_test(tc, priority_counts_within_priority_lag_bytes_of_the_freshest);
	tcase_add_test(tc, outside_priority_lag_bytes_the_freshest_wins);
	tcase_add_test(tc, window_is_measured_from_the_freshest_not_pairwise);
	tcase_add_test(tc, switchover_default_target_follows_priority);
	TC("lag-limit");
	tcase_add_test(tc, replica_beyond_max_lag_does_not_stand_but_votes);
	tcase_add_test(tc, replica_within_max_lag_stands_with_its_priority);
	tcase_add_test(tc, voter_refuses_an_offer_beyond_max_lag);
	tcase_add_test(tc, every_replica_beyond_max_lag_no_failover);
	TC("liveness");
	tcase_add_test(tc, voter_refuses_a_lower_priority_candidate_for_one_election_timeout);
	tcase_add_test(tc, preferred_node_paused_the_next_one_wins_within_a_bound);
	tcase_add_test(tc, paused_replica_winning_the_id_tie_does_not_hold_a_failover);
	tcase_add_test(tc, preferred_node_sitting_out_at_cold_start_holds_nobody_up);
	tcase_add_test(tc, preferred_node_dying_with_the_primary_the_next_one_wins);
#undef TC
	return s;
}

int
main(void)
{
	return runner_main(priority_suite());
}
