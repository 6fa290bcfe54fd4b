/*
 * check_elector_live: the liveness policies of lib/elector_live.c, each
 * on the pattern that made it necessary (issue 14): a node back from
 * isolation standing before the voters saw the primary down, a candidacy
 * refused by sticky voters waiting out its timeout and a backoff, an
 * ACCEPT lost on the way, a second candidacy while a winner is known.
 * Simulated clusters at the fast timings (tests/sim.c), every safety rule
 * checked after every step; a few cases drive one elector by hand.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elector.h"
#include "sim.h"
#include "simcheck.h"

#define HB         50
#define DOWN_AFTER 500
#define TIMEOUT    300
#define STICKY     (DOWN_AFTER - HB)     /* a voter's sticky window */
#define LEASE      (4 * HB)
#define HOLD       (LEASE + HB)          /* a new primary stays fenced */
#define DELAY_MAX  5                     /* ms per frame in these clusters */

static struct sim *cluster(size_t n, uint64_t seed, const uint64_t *off)
{
	struct sim_config c = sim_config_make(n, seed, 1, DELAY_MAX, 0);

	for (size_t i = 0; i < n; i++)
		c.offset[i] = off[i];
	return sim_new(&c);
}

static bool pred_writable(struct sim *s, void *arg)
{
	int w = sim_writable(s);

	return w >= 0 && w != *(int *)arg;
}

static int elect(struct sim *s)
{
	return sim_elect_within(s, 10000);
}

/* Both directions between a and b. */
static void connect(struct sim *s, size_t a, size_t b, bool on)
{
	sim_link_block(s, a, b, !on);
	sim_link_block(s, b, a, !on);
}

/*
 * Issue 14, pattern 1. n2, the best replica, is cut off for a while, so
 * its view of the primary goes stale. The primary n1 is then cut off, and
 * n2 comes back a moment later. The others heard n1 until it went: their
 * votes stay sticky for STICKY. Before, n2 stood two intervals after it
 * came back, was refused by all, and the cluster (deferring to n2, the
 * best candidate) waited out its timeout and a backoff. Now n2 stands
 * only once a majority has been heard for down_after: one candidacy, won.
 */
START_TEST(node_back_from_isolation_stands_only_when_voters_can_vote)
{
	uint64_t off[5] = { 500, 400, 300, 200, 100 };
	struct sim *s = cluster(5, 1401, off);
	uint64_t t_cut, t_back, t_cand;
	size_t from;
	int old = 0;

	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, 1000);
	sim_isolate(s, 1);
	sim_run_for(s, 2 * DOWN_AFTER);
	ck_assert_int_eq(sim_writable(s), 0);
	t_cut = sim_now(s);
	from = sim_trace_len(s);
	sim_isolate(s, 0);
	sim_run_for(s, 2 * HB);
	t_back = sim_now(s);
	for (size_t j = 2; j < 5; j++)
		connect(s, 1, j, true);
	ck_assert(sim_run_until_pred(s, pred_writable, &old,
	    t_back + 3 * DOWN_AFTER));
	sim_assert_safe(s);
	ck_assert_int_eq(sim_writable(s), 1);
	/* One candidacy, after the voters' windows, and it won. */
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_TIMEOUT), 0);
	t_cand = sim_event_time(s, from, 1, ELECTOR_EV_CANDIDACY);
	ck_assert_uint_ge(t_cand, t_cut + STICKY);
	ck_assert_uint_ge(t_cand, t_back + DOWN_AFTER);
	/* Writable a down_after, a round trip and a hold after it came back. */
	ck_assert_uint_le(sim_now(s), t_back + DOWN_AFTER + HB + HOLD +
	    4 * DELAY_MAX);
	sim_free(s);
}
END_TEST

/*
 * Issue 14, item 4. The primary n1 is cut off in two steps: n2 (the best
 * replica) stops hearing it first, n3 200 ms later. n2 stands on time by
 * its own view; n3 still hears n1 then and refuses (sticky). Before, n2
 * gave up after its timeout and stood again after a random backoff. Now
 * its OFFER, repeated every interval, gets n3's vote the moment n3's
 * window ends, in the same candidacy.
 */
START_TEST(sticky_refusal_turns_into_a_vote_when_the_window_ends)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 1402, off);
	uint64_t t_cut2;
	size_t from;
	int old = 0;

	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, 1000);
	from = sim_trace_len(s);
	sim_link_block(s, 0, 1, true);
	sim_run_for(s, 200);
	t_cut2 = sim_now(s);
	sim_link_block(s, 0, 2, true);
	ck_assert(sim_run_until_pred(s, pred_writable, &old,
	    t_cut2 + 4 * DOWN_AFTER));
	sim_assert_safe(s);
	ck_assert_int_eq(sim_writable(s), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 1, ELECTOR_EV_CANDIDACY), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_TIMEOUT), 0);
	/* n3's vote came within an interval (and a delivery) of its window. */
	ck_assert_uint_le(sim_event_time(s, from, 1, ELECTOR_EV_WON),
	    t_cut2 + STICKY + HB + 2 * DELAY_MAX);
	ck_assert(elector_stats(sim_elector(s, 2))->votes_refused >= 1);
	sim_free(s);
}
END_TEST

/*
 * The other side of that wait: a voter that never stops hearing the
 * primary (a one-way cut around the candidate) keeps refusing; the
 * candidacy gives up down_after after it started, not later, and the
 * healthy primary stays writable throughout.
 */
START_TEST(candidacy_waits_for_sticky_votes_at_most_down_after)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 1403, off);
	uint64_t t_cand, t_to;
	size_t from;

	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, 1000);
	from = sim_trace_len(s);
	sim_link_block(s, 0, 1, true);
	for (uint64_t t = 0; t < 3000; t += 10) {
		sim_run_for(s, 10);
		ck_assert_int_eq(sim_writable(s), 0);
	}
	sim_assert_safe(s);
	t_cand = sim_event_time(s, from, 1, ELECTOR_EV_CANDIDACY);
	t_to = sim_event_time(s, from, 1, ELECTOR_EV_TIMEOUT);
	ck_assert_uint_ne(t_cand, SIM_NEVER);
	ck_assert_uint_eq(t_to - t_cand, DOWN_AFTER);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_WON), 0);
	sim_free(s);
}
END_TEST

/* ---- one elector by hand ---- */

struct unit {
	struct elector_member m[3];
	struct elector *el;
	int saves;
	size_t n_verb[WIRE_ANNOUNCE + 1];
	int last_to[WIRE_ANNOUNCE + 1];
	size_t candidacies;
};

static int unit_save(void *ctx, uint64_t epoch, const char *vote)
{
	struct unit *u = ctx;

	(void)epoch;
	(void)vote;
	u->saves++;
	return 0;
}

static void unit_collect(struct unit *u, const struct elector_out *o)
{
	for (size_t i = 0; i < o->n_send; i++) {
		u->n_verb[o->send[i].frame.verb]++;
		u->last_to[o->send[i].frame.verb] = o->send[i].to;
	}
	for (size_t i = 0; i < o->n_event; i++)
		if (o->event[i].kind == ELECTOR_EV_CANDIDACY)
			u->candidacies++;
}

static void unit_init(struct unit *u, size_t self, uint64_t offset)
{
	struct elector_config c;
	struct elector_store st = { .save = unit_save, .ctx = u };
	char err[256] = "";

	memset(u, 0, sizeof *u);
	for (size_t i = 0; i < 3; i++) {
		snprintf(u->m[i].id, sizeof u->m[i].id, "n%zu", i + 1);
		snprintf(u->m[i].addr, sizeof u->m[i].addr, "h%zu:6379", i + 1);
	}
	memset(&c, 0, sizeof c);
	c.members = u->m;
	c.n_members = 3;
	c.self = self;
	sim_timing_fast(&c.timing);
	c.seed = 7;
	/* Votes at any time, as a node without the quiet rule (older rules). */
	c.quiet_off = true;
	u->el = elector_new(&c, &st, NULL, 0, err, sizeof err);
	ck_assert_msg(u->el != NULL, "elector_new: %s", err);
	elector_set_offset(u->el, offset);
}

/* Timers up to t, then the frame at t. */
static void unit_frame(struct unit *u, uint64_t t, const struct wire_frame *f)
{
	struct elector_out o;

	while (elector_next_deadline(u->el) <= t) {
		elector_tick(u->el, elector_next_deadline(u->el), &o);
		unit_collect(u, &o);
	}
	if (f != NULL) {
		elector_on_frame(u->el, f, t, &o);
		unit_collect(u, &o);
	}
}

static struct wire_frame frame(enum wire_verb v, uint64_t e, const char *id,
    enum wire_role r, uint64_t off)
{
	struct wire_frame f;

	memset(&f, 0, sizeof f);
	f.verb = v;
	f.epoch = e;
	snprintf(f.id, sizeof f.id, "%s", id);
	f.role = r;
	f.offset = off;
	if (v == WIRE_ANNOUNCE)
		snprintf(f.addr, sizeof f.addr, "%s:6379", id);
	return f;
}

/*
 * A vote whose ACCEPT was lost (a link still connecting): the candidate's
 * OFFER comes again and the voter answers again, without a second save.
 * Before, the repeated OFFER was "not above our epoch" and ignored.
 */
START_TEST(repeated_offer_of_our_candidate_gets_the_accept_again)
{
	struct unit u;
	struct wire_frame f;
	int saves;

	unit_init(&u, 2, 0);
	f = frame(WIRE_OFFER, 2, "n1", 0, 100);
	unit_frame(&u, 600, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	saves = u.saves;
	unit_frame(&u, 650, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 2);
	ck_assert_int_eq(u.last_to[WIRE_ACCEPT], 0);
	ck_assert_int_eq(u.saves, saves);
	/* Never for another candidate of that epoch. */
	f = frame(WIRE_OFFER, 2, "n2", 0, 200);
	unit_frame(&u, 660, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 2);
	elector_free(u.el);
}
END_TEST

/* A candidate repeats its OFFER with every heartbeat until it wins. */
START_TEST(candidate_repeats_its_offer_every_interval)
{
	struct unit u;
	struct wire_frame f;
	size_t offers;

	unit_init(&u, 0, 100);
	for (uint64_t t = 10; u.candidacies == 0 && t < 3000; t += HB) {
		f = frame(WIRE_HB, 1, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = frame(WIRE_HB, 1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	ck_assert_uint_eq(u.candidacies, 1);
	offers = u.n_verb[WIRE_OFFER];
	ck_assert_uint_eq(offers, 1);
	unit_frame(&u, elector_next_deadline(u.el) + 2 * HB, NULL);
	ck_assert_uint_ge(u.n_verb[WIRE_OFFER], offers + 2);
	ck_assert_int_eq(u.last_to[WIRE_OFFER], ELECTOR_BROADCAST);
	f = frame(WIRE_ACCEPT, elector_epoch(u.el), "n2", 0, 0);
	unit_frame(&u, elector_next_deadline(u.el) - 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
	offers = u.n_verb[WIRE_OFFER];
	unit_frame(&u, elector_next_deadline(u.el) + 4 * HB, NULL);
	ck_assert_uint_eq(u.n_verb[WIRE_OFFER], offers);
	elector_free(u.el);
}
END_TEST

/*
 * A live peer that last said "primary" (a winner in its hold, or one at
 * an epoch we cannot follow) keeps us from standing, though our own
 * primary is down and we are the best candidate; once it says replica
 * (abdicated) we stand. Before, we stood at once and split its votes.
 */
START_TEST(no_candidacy_while_a_live_peer_claims_primary)
{
	struct unit u;
	struct wire_frame f;
	uint64_t t = 10;

	unit_init(&u, 2, 500);
	/* n1 primary at epoch 5, followed; n2 claims primary at 4. */
	f = frame(WIRE_HB, 5, "n1", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, t, &f);
	ck_assert_int_eq(elector_primary(u.el), 0);
	for (; t < 10 + 4 * DOWN_AFTER; t += HB) {
		f = frame(WIRE_HB, 4, "n2", WIRE_ROLE_PRIMARY, 0);
		unit_frame(&u, t, &f);
	}
	ck_assert_uint_eq(u.candidacies, 0);
	for (uint64_t end = t + 2 * DOWN_AFTER; t < end; t += HB) {
		f = frame(WIRE_HB, 4, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	/* Unanswered here, it may stand again after its backoff. */
	ck_assert_uint_ge(u.candidacies, 1);
	elector_free(u.el);
}
END_TEST

/*
 * What may still leave for a link coming up (daemon/pending.c): the vote
 * while it is our last word in its epoch, the OFFER while the candidacy
 * is open, the ANNOUNCE while primary in its epoch; never a heartbeat.
 */
START_TEST(frame_is_current_only_while_the_elector_stands_by_it)
{
	struct unit u;
	struct wire_frame f, acc2, acc3, hb;

	unit_init(&u, 2, 0);
	f = frame(WIRE_OFFER, 2, "n1", 0, 100);
	unit_frame(&u, 600, &f);
	acc2 = frame(WIRE_ACCEPT, 2, "n3", 0, 0);
	ck_assert(elector_frame_is_current(u.el, 0, &acc2));
	ck_assert(!elector_frame_is_current(u.el, 1, &acc2));
	hb = frame(WIRE_HB, 2, "n3", WIRE_ROLE_REPLICA, 0);
	ck_assert(!elector_frame_is_current(u.el, 0, &hb));
	/* A vote for n2 in epoch 3 supersedes it. */
	f = frame(WIRE_OFFER, 3, "n2", 0, 100);
	unit_frame(&u, 610, &f);
	ck_assert_uint_eq(elector_epoch(u.el), 3);
	ck_assert(!elector_frame_is_current(u.el, 0, &acc2));
	acc3 = frame(WIRE_ACCEPT, 3, "n3", 0, 0);
	ck_assert(elector_frame_is_current(u.el, 1, &acc3));
	/* n2 won: our vote is still our word, its ANNOUNCE is not ours. */
	f = frame(WIRE_ANNOUNCE, 3, "n2", 0, 0);
	unit_frame(&u, 620, &f);
	ck_assert(elector_frame_is_current(u.el, 1, &acc3));
	ck_assert(!elector_frame_is_current(u.el, 1, &f));
	elector_free(u.el);

	/* Our own candidacy: its OFFER while open, then the ANNOUNCE. */
	unit_init(&u, 0, 100);
	for (uint64_t t = 10; u.candidacies == 0 && t < 3000; t += HB) {
		f = frame(WIRE_HB, 1, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = frame(WIRE_HB, 1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	f = frame(WIRE_OFFER, elector_epoch(u.el), "n1", 0, 100);
	ck_assert(elector_frame_is_current(u.el, 1, &f));
	acc2 = frame(WIRE_ACCEPT, elector_epoch(u.el), "n2", 0, 0);
	unit_frame(&u, elector_next_deadline(u.el) - 1, &acc2);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
	ck_assert(!elector_frame_is_current(u.el, 1, &f));
	f = frame(WIRE_ANNOUNCE, elector_epoch(u.el), "n1", 0, 0);
	ck_assert(elector_frame_is_current(u.el, 2, &f));
	f.epoch--;
	ck_assert(!elector_frame_is_current(u.el, 2, &f));
	elector_free(u.el);
}
END_TEST

static Suite *live_suite(void)
{
	Suite *s = suite_create("elector-live");
	TCase *tc = tcase_create("live");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, node_back_from_isolation_stands_only_when_voters_can_vote);
	tcase_add_test(tc, sticky_refusal_turns_into_a_vote_when_the_window_ends);
	tcase_add_test(tc, candidacy_waits_for_sticky_votes_at_most_down_after);
	tcase_add_test(tc, repeated_offer_of_our_candidate_gets_the_accept_again);
	tcase_add_test(tc, candidate_repeats_its_offer_every_interval);
	tcase_add_test(tc, no_candidacy_while_a_live_peer_claims_primary);
	tcase_add_test(tc, frame_is_current_only_while_the_elector_stands_by_it);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(live_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
