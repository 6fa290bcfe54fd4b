/*
 * check_elector: scenario tests of the election state machine, one TCase
 * per area. Most run a whole cluster in the simulator (tests/sim.c, virtual
 * time, safety checked after every step); some feed hand-made frames to a
 * single elector where that is the clearer statement of the rule. No sleeps,
 * no wall clock: every test is a pure function of its seed.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elector.h"
#include "sim.h"
#include "simcheck.h"
#include "wire.h"

/* Fast timings (sim_timing_fast) and what follows from them. */
#define HB         50
#define DOWN_AFTER 500
#define TIMEOUT    300
#define BACKOFF    100
#define JITTER     400
#define STICKY     (DOWN_AFTER - HB)
#define ROUND      (TIMEOUT + BACKOFF + JITTER)  /* one failed election */
#define ELECT_BOUND (DOWN_AFTER + 10 * ROUND)    /* liveness bound, ms */

/* ---- a single elector fed by hand ---- */

struct unit {
	struct elector_member m[SIM_NODES_MAX];
	struct elector *el;
	uint64_t now;
	/* the disk */
	bool fail;
	int saves;
	uint64_t s_epoch;
	char s_vote[WIRE_ID_MAX + 1];
	/* output collected since unit_clear */
	size_t n_verb[WIRE_ANNOUNCE + 1];
	int last_to[WIRE_ANNOUNCE + 1];
	uint64_t last_epoch[WIRE_ANNOUNCE + 1];
	size_t n_ev[ELECTOR_EV_LAST + 1];
	uint64_t ev_at[ELECTOR_EV_LAST + 1];
	uint64_t ev_detail[ELECTOR_EV_LAST + 1];
	uint64_t ev_epoch[ELECTOR_EV_LAST + 1];
	uint64_t epoch_at_save;         /* the elector's epoch during a save */
	size_t hb_to[SIM_NODES_MAX];   /* heartbeats per peer */
	uint64_t hb_last[SIM_NODES_MAX];
	bool hb_gap_bad;                /* two heartbeats to a peer not HB apart */
};

static int unit_save(void *ctx, uint64_t epoch, const char *vote)
{
	struct unit *u = ctx;

	if (u->fail)
		return -1;
	u->saves++;
	u->s_epoch = epoch;
	u->epoch_at_save = elector_epoch(u->el);
	snprintf(u->s_vote, sizeof u->s_vote, "%s", vote ? vote : "-");
	return 0;
}

static void unit_collect(struct unit *u, const struct elector_out *o)
{
	size_t n = elector_members(u->el);

	for (size_t i = 0; i < o->n_send; i++) {
		const struct elector_send *s = &o->send[i];

		u->n_verb[s->frame.verb]++;
		u->last_to[s->frame.verb] = s->to;
		u->last_epoch[s->frame.verb] = s->frame.epoch;
		if (s->frame.verb != WIRE_HB)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (j == elector_self(u->el) ||
			    (s->to != ELECTOR_BROADCAST && s->to != (int)j) ||
			    (s->to == ELECTOR_BROADCAST && s->except == (int)j))
				continue;
			if (u->hb_to[j] > 0 && u->now - u->hb_last[j] != HB)
				u->hb_gap_bad = true;
			u->hb_to[j]++;
			u->hb_last[j] = u->now;
		}
	}
	for (size_t i = 0; i < o->n_event; i++) {
		u->n_ev[o->event[i].kind]++;
		u->ev_at[o->event[i].kind] = u->now;
		u->ev_detail[o->event[i].kind] = o->event[i].detail;
		u->ev_epoch[o->event[i].kind] = o->event[i].epoch;
	}
}

/*
 * Hand-fed electors leave the quiet rule off (quiet_off), as a node that
 * does not keep it, unless quiet: the rules tested here are older than
 * it and their frames come at any time; unit_init_quiet tests the rule.
 */
static void unit_init_full(struct unit *u, size_t n, size_t self,
    uint64_t offset, const struct elector_saved *sv, bool never_stand,
    uint64_t max_epoch_jump, bool authenticated, bool quiet)
{
	struct elector_config c;
	struct elector_store st = { .save = unit_save, .ctx = u };
	char err[256] = "";

	memset(u, 0, sizeof *u);
	for (size_t i = 0; i < n; i++) {
		snprintf(u->m[i].id, sizeof u->m[i].id, "n%zu", i + 1);
		snprintf(u->m[i].addr, sizeof u->m[i].addr, "h%zu:6379", i + 1);
	}
	memset(&c, 0, sizeof c);
	c.members = u->m;
	c.n_members = n;
	c.self = self;
	sim_timing_fast(&c.timing);
	c.never_stand = never_stand;
	c.seed = 42;
	c.max_epoch_jump = max_epoch_jump;
	c.peers_authenticated = authenticated;
	c.quiet_off = !quiet;
	u->el = elector_new(&c, &st, sv, 0, err, sizeof err);
	ck_assert_msg(u->el != NULL, "elector_new: %s", err);
	elector_set_offset(u->el, offset);
}

static void unit_init_jump(struct unit *u, size_t n, size_t self,
    uint64_t offset, const struct elector_saved *sv, bool never_stand,
    uint64_t max_epoch_jump, bool authenticated)
{
	unit_init_full(u, n, self, offset, sv, never_stand, max_epoch_jump,
	    authenticated, false);
}

static void unit_init_opt(struct unit *u, size_t n, size_t self,
    uint64_t offset, const struct elector_saved *sv, bool never_stand)
{
	unit_init_jump(u, n, self, offset, sv, never_stand, 0, false);
}

static void unit_init(struct unit *u, size_t n, size_t self, uint64_t offset,
    const struct elector_saved *sv)
{
	unit_init_opt(u, n, self, offset, sv, false);
}

/* Run the timers up to and including t, each at its exact deadline. */
static void unit_advance(struct unit *u, uint64_t t)
{
	struct elector_out o;

	for (;;) {
		uint64_t d = elector_next_deadline(u->el);

		if (d > t)
			break;
		ck_assert_uint_ge(d, u->now);
		u->now = d;
		elector_tick(u->el, d, &o);
		unit_collect(u, &o);
	}
	u->now = t;
}

static void unit_frame(struct unit *u, uint64_t t, const struct wire_frame *f)
{
	struct elector_out o;

	unit_advance(u, t);
	ck_assert_int_eq(elector_on_frame(u->el, f, t, &o),
	    ELECTOR_FRAME_APPLIED);
	unit_collect(u, &o);
}

/* A frame that must be held (epoch beyond max_epoch_jump). */
static void unit_held(struct unit *u, uint64_t t, const struct wire_frame *f)
{
	struct elector_out o;

	unit_advance(u, t);
	ck_assert_int_eq(elector_on_frame(u->el, f, t, &o), ELECTOR_FRAME_HELD);
	unit_collect(u, &o);
}

static struct wire_frame fr_hb(uint64_t e, const char *id, enum wire_role r,
    uint64_t off)
{
	struct wire_frame f;

	memset(&f, 0, sizeof f);
	f.verb = WIRE_HB;
	f.epoch = e;
	snprintf(f.id, sizeof f.id, "%s", id);
	f.role = r;
	f.offset = off;
	return f;
}

static struct wire_frame fr_offer(uint64_t e, const char *id, uint64_t off)
{
	struct wire_frame f = fr_hb(e, id, WIRE_ROLE_REPLICA, off);

	f.verb = WIRE_OFFER;
	f.role = 0;
	return f;
}

static struct wire_frame fr_accept(uint64_t e, const char *id)
{
	struct wire_frame f = fr_offer(e, id, 0);

	f.verb = WIRE_ACCEPT;
	return f;
}

static struct wire_frame fr_announce(uint64_t e, const char *id)
{
	struct wire_frame f = fr_offer(e, id, 0);

	f.verb = WIRE_ANNOUNCE;
	snprintf(f.addr, sizeof f.addr, "%s:6379", id);
	return f;
}

/*
 * Make a 3-node unit (self n1, offset 100) win an election: replicas n2
 * and n3 heartbeat, n1 stands once the cold-start grace is over, n2
 * accepts. Returns the time of the win.
 */
static uint64_t unit_make_primary_jump(struct unit *u, uint64_t jump)
{
	uint64_t t = 10;
	struct wire_frame f;

	unit_init_jump(u, 3, 0, 100, NULL, false, jump, false);
	for (; t < 3000 && u->n_verb[WIRE_OFFER] == 0; t += HB) {
		f = fr_hb(1, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(u, t, &f);
		f = fr_hb(1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(u, t, &f);
	}
	ck_assert_uint_eq(u->n_verb[WIRE_OFFER], 1);
	f = fr_accept(elector_epoch(u->el), "n2");
	unit_frame(u, u->now + 1, &f);
	ck_assert_int_eq(elector_role(u->el), WIRE_ROLE_PRIMARY);
	ck_assert_uint_eq(u->n_verb[WIRE_ANNOUNCE], 1);
	return u->now;
}

static uint64_t unit_make_primary(struct unit *u)
{
	return unit_make_primary_jump(u, 0);
}

/* ---- cluster helpers ---- */

static struct sim *cluster(size_t n, uint64_t seed, const uint64_t *offsets,
    uint64_t dmin, uint64_t dmax)
{
	struct sim_config c = sim_config_make(n, seed, dmin, dmax, 0);

	for (size_t i = 0; offsets && i < n; i++)
		c.offset[i] = offsets[i];
	return sim_new(&c);
}

static struct sim *cluster_cfg(struct sim_config *c)
{
	c->keep_trace = true;
	c->verbose = getenv("KEVY_SIM_VERBOSE") != NULL;
	return sim_new(c);
}

static bool pred_other_writable(struct sim *s, void *arg)
{
	int w = sim_writable(s);

	return w >= 0 && w != *(int *)arg;
}

static bool pred_writable_0(struct sim *s, void *arg)
{
	(void)arg;
	return sim_writable(s) == 0;
}

/* Run until one agreed primary; fail the test if none within the bound. */
static int elect(struct sim *s)
{
	return sim_elect_within(s, ELECT_BOUND);
}

/* Run d ms checking that w is the one writable node every 10 ms. */
static void assert_stays_writable(struct sim *s, int w, uint64_t d)
{
	uint64_t end = sim_now(s) + d;

	while (sim_now(s) < end) {
		sim_run_for(s, 10);
		if (sim_writable(s) != w)
			sim_trace_print(s, SIM_TAIL_LINES);
		ck_assert_msg(sim_writable(s) == w, "t=%" PRIu64 ": writable %d,"
		    " expected %d", sim_now(s), sim_writable(s), w);
	}
	sim_assert_safe(s);
}

/* ================= quorum ================= */

START_TEST(quorum_size_is_half_plus_one_for_n_1_to_7)
{
	for (size_t n = 1; n <= 7; n++) {
		struct unit u;

		unit_init(&u, n, 0, 0, NULL);
		ck_assert_uint_eq(elector_quorum_size(u.el), n / 2 + 1);
		ck_assert_uint_eq(elector_members(u.el), n);
		elector_free(u.el);
	}
}
END_TEST

START_TEST(has_quorum_counts_self_plus_peers_heard_within_down_after)
{
	for (size_t n = 1; n <= 7; n++) {
		struct unit u;

		unit_init(&u, n, 0, 0, NULL);
		unit_advance(&u, 100);
		ck_assert_msg(elector_has_quorum(u.el, 100) == (n == 1),
		    "n=%zu alone", n);
		for (size_t k = 1; k < n; k++) {
			char id[WIRE_ID_MAX + 1];
			struct wire_frame f;

			snprintf(id, sizeof id, "n%zu", k + 1);
			f = fr_hb(1, id, WIRE_ROLE_REPLICA, 0);
			unit_frame(&u, 100, &f);
			ck_assert_msg(elector_has_quorum(u.el, 100) ==
			    (k + 1 >= n / 2 + 1), "n=%zu heard %zu", n, k);
		}
		/* Heard at 100: still counted just before 600, DOWN after. */
		unit_advance(&u, 100 + DOWN_AFTER - 1);
		ck_assert(elector_has_quorum(u.el, 100 + DOWN_AFTER - 1));
		unit_advance(&u, 100 + DOWN_AFTER + 1);
		ck_assert_msg(elector_has_quorum(u.el, 100 + DOWN_AFTER + 1) ==
		    (n == 1), "n=%zu silent", n);
		elector_free(u.el);
	}
}
END_TEST

START_TEST(frame_from_a_non_member_is_refused)
{
	struct unit u;
	struct wire_frame f = fr_hb(1, "stranger", WIRE_ROLE_PRIMARY, 0);
	struct elector_out o;

	unit_init(&u, 3, 0, 0, NULL);
	ck_assert_int_eq(elector_on_frame(u.el, &f, 10, &o),
	    ELECTOR_FRAME_NOT_MEMBER);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	f = fr_hb(1, "n1", WIRE_ROLE_PRIMARY, 0);	/* my own id */
	ck_assert_int_eq(elector_on_frame(u.el, &f, 11, &o),
	    ELECTOR_FRAME_FROM_SELF);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	elector_free(u.el);
}
END_TEST

/* ---- epoch claims: frames beyond max_epoch_jump ---- */

#define JUMP    1000                 /* max_epoch_jump in these tests */
#define CONFIRM (ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS * DOWN_AFTER)

/*
 * Epoch sanity: a member's frame far ahead of our epoch is held (only its
 * claim is recorded, the connection stays); within the jump it is
 * followed, and the jump is measured from the epoch we are at now.
 */
START_TEST(epoch_beyond_max_jump_is_held_within_is_followed)
{
	struct unit u;
	struct wire_frame f = fr_hb(UINT64_MAX, "n2", WIRE_ROLE_PRIMARY, 0);
	struct elector_peer_view v;

	unit_init_jump(&u, 3, 0, 0, NULL, false,
	    ELECTOR_MAX_EPOCH_JUMP_DEFAULT, false);
	unit_held(&u, 10, &f);
	ck_assert_uint_eq(elector_epoch(u.el), 1);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 1);
	ck_assert_uint_eq(u.saves, 0);
	elector_peer(u.el, 1, &v);
	ck_assert(!v.heard);
	ck_assert_uint_eq(v.epoch, 0);
	ck_assert_uint_eq(v.claim_epoch, UINT64_MAX);
	/* Every verb is held to it, OFFER and ANNOUNCE included. */
	f = fr_offer(1 + ELECTOR_MAX_EPOCH_JUMP_DEFAULT + 1, "n3", 5);
	unit_held(&u, 11, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	f = fr_announce(1 + ELECTOR_MAX_EPOCH_JUMP_DEFAULT + 1, "n3");
	unit_held(&u, 12, &f);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 3);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	/* Exactly the jump: followed, and later elections still have room. */
	f = fr_hb(1 + ELECTOR_MAX_EPOCH_JUMP_DEFAULT, "n2", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, 13, &f);
	ck_assert_uint_eq(elector_epoch(u.el), 1 + ELECTOR_MAX_EPOCH_JUMP_DEFAULT);
	ck_assert_int_eq(elector_primary(u.el), 1);
	ck_assert_uint_eq(u.s_epoch, 1 + ELECTOR_MAX_EPOCH_JUMP_DEFAULT);
	/* n2's frame within reach ended its claim. */
	elector_peer(u.el, 1, &v);
	ck_assert_uint_eq(v.claim_epoch, 0);
	/* The jump is measured from the epoch we are at now. */
	f = fr_hb(1 + 2 * ELECTOR_MAX_EPOCH_JUMP_DEFAULT, "n3",
	    WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, 14, &f);
	ck_assert_int_eq(elector_primary(u.el), 2);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 3);
	ck_assert_uint_eq(elector_stats(u.el)->epochs_raised, 0);
	elector_free(u.el);
}
END_TEST

/* max_epoch_jump = 0 is the reference's behaviour: any epoch is taken. */
START_TEST(epoch_jump_zero_means_unlimited)
{
	struct unit u;
	struct wire_frame f = fr_hb(UINT64_MAX, "n2", WIRE_ROLE_PRIMARY, 0);

	unit_init(&u, 3, 0, 0, NULL);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(elector_epoch(u.el), UINT64_MAX);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 0);
	elector_free(u.el);
}
END_TEST

/*
 * A held frame of any verb, from a member, changes nothing a peer's frame
 * could change: role, epoch, vote, primary, the sender's view and
 * liveness, the lease; nothing is saved or sent in its name.
 */
START_TEST(held_frame_changes_nothing_but_the_claim)
{
	struct unit u;
	struct wire_frame f[5];
	struct elector_peer_view before, v;
	uint64_t won = unit_make_primary_jump(&u, JUMP), e = elector_epoch(u.el);
	uint64_t t = won + 1, voted = elector_voted_epoch(u.el);
	int saves = u.saves;
	size_t offers = u.n_verb[WIRE_OFFER], accepts = u.n_verb[WIRE_ACCEPT];
	size_t announces = u.n_verb[WIRE_ANNOUNCE];

	f[0] = fr_hb(e + JUMP + 1, "n3", WIRE_ROLE_PRIMARY, 999);
	f[1] = fr_offer(e + JUMP + 1, "n3", 999);
	f[2] = fr_accept(e + JUMP + 1, "n3");
	f[3] = fr_announce(e + JUMP + 1, "n3");
	f[4] = fr_hb(UINT64_MAX, "n3", WIRE_ROLE_CANDIDATE, 999);
	elector_peer(u.el, 2, &before);
	for (size_t i = 0; i < 5; i++, t += 10) {
		unit_held(&u, t, &f[i]);
		ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
		ck_assert_int_eq(elector_primary(u.el), 0);
		ck_assert_uint_eq(elector_epoch(u.el), e);
		ck_assert_uint_eq(elector_voted_epoch(u.el), voted);
		ck_assert_int_eq(u.saves, saves);
		ck_assert_uint_eq(u.n_verb[WIRE_OFFER], offers);
		ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], accepts);
		ck_assert_uint_eq(u.n_verb[WIRE_ANNOUNCE], announces);
		elector_peer(u.el, 2, &v);
		ck_assert(v.heard == before.heard);
		ck_assert_uint_eq(v.last_heard_ms, before.last_heard_ms);
		ck_assert_uint_eq(v.epoch, before.epoch);
		ck_assert_int_eq(v.role, before.role);
		ck_assert_uint_eq(v.offset, before.offset);
		ck_assert_uint_eq(v.claim_epoch, f[i].epoch);
		ck_assert_uint_eq(v.claim_since_ms, won + 1);
		ck_assert_uint_eq(v.claim_last_ms, t);
	}
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 5);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_STEP_DOWN], 0);
	/*
	 * Held frames are not heard: with n2 heard at 'won' and nothing else,
	 * n3's held stream keeps neither quorum nor the lease alive.
	 */
	unit_advance(&u, won + DOWN_AFTER + 1);
	ck_assert(!elector_has_quorum(u.el, u.now));
	ck_assert(!elector_is_writable(u.el, u.now));
	elector_free(u.el);
}
END_TEST

/*
 * A forgery sent once, or repeated with gaps longer than down_after, goes
 * stale and never raises the epoch, however long we wait.
 */
START_TEST(one_shot_claim_goes_stale_and_never_raises)
{
	struct unit u;
	struct wire_frame f = fr_announce(1 + JUMP + 7, "n2");
	struct elector_peer_view v;
	uint64_t t;

	unit_init_jump(&u, 3, 0, 0, NULL, false, JUMP, false);
	unit_held(&u, 10, &f);
	/* n1 follows n3 meanwhile; the claim just sits there. */
	for (t = 20; t < 10 * CONFIRM; t += HB) {
		struct wire_frame h = fr_hb(1, "n3", WIRE_ROLE_PRIMARY, 0);

		unit_frame(&u, t, &h);
	}
	ck_assert_uint_eq(elector_epoch(u.el), 1);
	/* The same claim again, long after: a new window, not a raise. */
	unit_held(&u, t, &f);
	elector_peer(u.el, 1, &v);
	ck_assert_uint_eq(v.claim_since_ms, t);
	/* Repeated, but each time just over down_after apart: never. */
	for (int k = 0; k < 20; k++) {
		t += DOWN_AFTER + 1;
		unit_held(&u, t, &f);
	}
	ck_assert_uint_ge(t - 10, 10 * CONFIRM);
	ck_assert_uint_eq(elector_epoch(u.el), 1);
	ck_assert_uint_eq(elector_stats(u.el)->epochs_raised, 0);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 0);
	ck_assert_uint_eq(u.saves, 0);
	ck_assert_int_eq(elector_primary(u.el), 2);
	elector_free(u.el);
}
END_TEST

/*
 * A claim kept up (a real peer far ahead heartbeats every interval) is
 * held for the confirmation window, then raises our epoch by exactly the
 * jump; the frame, now within reach, is applied in the same call.
 */
START_TEST(sustained_claim_raises_by_at_most_the_jump_then_applies)
{
	struct unit u;
	uint64_t claim = 1 + JUMP + 5, t0 = 10, t;
	struct wire_frame f = fr_hb(claim, "n2", WIRE_ROLE_PRIMARY, 0);
	struct elector_out o;

	unit_init_jump(&u, 3, 0, 0, NULL, false, JUMP, false);
	for (t = t0; t < t0 + CONFIRM; t += HB) {
		unit_held(&u, t, &f);
		ck_assert_uint_eq(elector_epoch(u.el), 1);
	}
	ck_assert_uint_eq(t, t0 + CONFIRM);
	unit_advance(&u, t);
	ck_assert_int_eq(elector_on_frame(u.el, &f, t, &o),
	    ELECTOR_FRAME_APPLIED);
	unit_collect(&u, &o);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 1);
	ck_assert_uint_eq(u.ev_epoch[ELECTOR_EV_EPOCH_RAISED], 1 + JUMP);
	ck_assert_uint_eq(u.ev_detail[ELECTOR_EV_EPOCH_RAISED], 1);
	ck_assert_uint_eq(elector_stats(u.el)->epochs_raised, 1);
	/* Raised by the jump, saved without a vote; then the HB followed. */
	ck_assert_int_eq(u.saves, 2);
	ck_assert_uint_eq(elector_epoch(u.el), claim);
	ck_assert_int_eq(elector_primary(u.el), 1);
	ck_assert_str_eq(u.s_vote, "-");
	/* From now on n2's frames simply apply. */
	f = fr_hb(claim, "n2", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, t + HB, &f);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, CONFIRM / HB);
	elector_free(u.el);
}
END_TEST

/* An epoch rise means someone else may be primary: a primary steps down. */
START_TEST(primary_steps_down_when_a_confirmed_claim_raises_its_epoch)
{
	struct unit u;
	uint64_t won = unit_make_primary_jump(&u, JUMP), e = elector_epoch(u.el);
	uint64_t t;
	struct wire_frame h, c = fr_hb(e + JUMP + 100, "n3", WIRE_ROLE_REPLICA, 0);

	for (t = won + HB; t <= won + HB + CONFIRM; t += HB) {
		h = fr_hb(e, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &h);
		if (t < won + HB + CONFIRM) {
			unit_held(&u, t, &c);
			ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
		} else {
			unit_frame(&u, t, &c);	/* confirmed, then applied */
		}
	}
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 1);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_STEP_DOWN], 1);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_REPLICA);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	ck_assert(!elector_is_writable(u.el, u.now));
	ck_assert_uint_eq(elector_epoch(u.el), e + JUMP);
	ck_assert_uint_eq(u.s_epoch, e + JUMP);
	ck_assert_str_eq(u.s_vote, "-");
	/* Its next heartbeat tells the cluster at once. */
	ck_assert_uint_eq(u.last_epoch[WIRE_HB], e + JUMP);
	elector_free(u.el);
}
END_TEST

/* Authenticated peers: a claim is real, followed at once. */
START_TEST(authenticated_claim_is_followed_at_once)
{
	struct unit u;
	uint64_t claim = 5000000;
	struct wire_frame f = fr_hb(claim, "n2", WIRE_ROLE_PRIMARY, 0);

	unit_init_jump(&u, 3, 0, 0, NULL, false, JUMP, true);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(elector_epoch(u.el), claim);
	ck_assert_int_eq(elector_primary(u.el), 1);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 1);
	/* Raised to just below the claim, so the HB applied as a higher one. */
	ck_assert_uint_eq(u.ev_epoch[ELECTOR_EV_EPOCH_RAISED], claim - 1);
	ck_assert_int_eq(u.saves, 2);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 0);
	/* Even a replica following another primary follows the claim. */
	f = fr_announce(claim + 10 * JUMP, "n3");
	unit_frame(&u, 20, &f);
	ck_assert_uint_eq(elector_epoch(u.el), claim + 10 * JUMP);
	ck_assert_int_eq(elector_primary(u.el), 2);
	elector_free(u.el);
}
END_TEST

/*
 * A forger that keeps claiming 2^64-1, under two member ids at once,
 * moves the node by at most one jump per window: after k windows by at
 * most k x jump (and the windows restart for every claimant on a raise).
 */
START_TEST(claim_at_2_64_kept_up_raises_at_most_one_jump_per_window)
{
	struct unit u;
	struct wire_frame a = fr_announce(UINT64_MAX, "n2");
	struct wire_frame b = fr_hb(UINT64_MAX, "n3", WIRE_ROLE_PRIMARY, 0);
	uint64_t t0 = 10, t, k;

	unit_init_jump(&u, 3, 0, 0, NULL, false, JUMP, false);
	for (t = t0; t < t0 + 20 * CONFIRM; t += HB / 2) {
		unit_held(&u, t, (t / (HB / 2)) % 2 ? &a : &b);
		k = (t - t0) / CONFIRM;
		ck_assert_uint_le(elector_epoch(u.el) - 1, k * JUMP);
		ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	}
	/* It did move (one jump per window), and never further. */
	ck_assert_uint_eq(elector_stats(u.el)->epochs_raised, 19);
	ck_assert_uint_eq(elector_epoch(u.el), 1 + 19 * JUMP);
	ck_assert_int_eq(elector_voted_epoch(u.el), 0);
	elector_free(u.el);
}
END_TEST

/*
 * The raise is saved before it takes effect: when the save fails nothing
 * is raised (a candidate still steps down); when the disk is back the
 * next frame of the kept-up claim raises.
 */
START_TEST(raise_is_saved_first_and_a_failed_save_raises_nothing)
{
	struct unit u;
	struct wire_frame f = fr_hb(1 + 3 * JUMP, "n2", WIRE_ROLE_REPLICA, 0);
	uint64_t t;

	unit_init_jump(&u, 3, 0, 0, NULL, false, JUMP, false);
	u.fail = true;
	for (t = 10; t <= 10 + CONFIRM + 2 * HB; t += HB)
		unit_held(&u, t, &f);
	ck_assert_uint_eq(elector_epoch(u.el), 1);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_SAVE_FAILED], 3);
	ck_assert_uint_eq(u.ev_epoch[ELECTOR_EV_SAVE_FAILED], 1 + JUMP);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 0);
	ck_assert(elector_save_is_failing(u.el));
	u.fail = false;
	unit_held(&u, t, &f);	/* still beyond reach after one jump */
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 1);
	ck_assert_int_eq(u.saves, 1);
	ck_assert_uint_eq(u.s_epoch, 1 + JUMP);
	ck_assert_str_eq(u.s_vote, "-");
	/* The save saw the old epoch: it came first. */
	ck_assert_uint_eq(u.epoch_at_save, 1);
	ck_assert_uint_eq(elector_epoch(u.el), 1 + JUMP);
	elector_free(u.el);
}
END_TEST

/*
 * At the edge of reach (exactly the jump above us) frames still apply,
 * but the peer's OFFER one epoch higher would be held: a replica without
 * a live primary takes that as a claim and walks up after the window; a
 * replica that follows a live primary does not (its primary stands again
 * above the peer instead).
 */
START_TEST(edge_of_reach_claim_walks_a_replica_without_a_live_primary)
{
	struct unit u;
	struct wire_frame f = fr_hb(1 + JUMP, "n2", WIRE_ROLE_REPLICA, 0);
	struct wire_frame p = fr_hb(1, "n3", WIRE_ROLE_PRIMARY, 0);
	uint64_t t;

	/* Following n3, alive: n2 at the edge changes nothing. */
	unit_init_jump(&u, 3, 0, 0, NULL, true, JUMP, false);
	for (t = 10; t <= 10 + 3 * CONFIRM; t += HB) {
		unit_frame(&u, t, &p);
		unit_frame(&u, t, &f);
	}
	ck_assert_uint_eq(elector_epoch(u.el), 1);
	ck_assert_int_eq(elector_primary(u.el), 2);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 0);
	elector_free(u.el);

	/* No primary (a witness, say): one window, then up to n2's epoch. */
	unit_init_jump(&u, 3, 0, 0, NULL, true, JUMP, false);
	for (t = 10; t < 10 + CONFIRM; t += HB) {
		unit_frame(&u, t, &f);
		ck_assert_uint_eq(elector_epoch(u.el), 1);
	}
	unit_frame(&u, t, &f);
	ck_assert_uint_eq(elector_epoch(u.el), 1 + JUMP);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_EPOCH_RAISED], 1);
	ck_assert_uint_eq(u.s_epoch, 1 + JUMP);
	ck_assert_uint_eq(elector_stats(u.el)->frames_held, 0);
	elector_free(u.el);
}
END_TEST

/*
 * A replica does not stand while a majority would hold its OFFER (more
 * than the jump above them): the candidacy could not win, and each one
 * would lift it further from them. Once they walked up, it stands.
 */
START_TEST(no_candidacy_while_a_majority_would_hold_the_offer)
{
	struct unit u;
	struct elector_saved sv = { .epoch = 1 + JUMP, .has_vote = false };
	struct wire_frame f;
	uint64_t t;

	unit_init_jump(&u, 3, 0, 100, &sv, false, JUMP, false);
	for (t = 10; t < 10 + 4 * DOWN_AFTER; t += HB) {
		f = fr_hb(1, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = fr_hb(1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	ck_assert(elector_has_quorum(u.el, u.now));
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_CANDIDACY], 0);
	ck_assert_uint_eq(u.n_verb[WIRE_OFFER], 0);
	ck_assert_uint_eq(elector_epoch(u.el), 1 + JUMP);
	/* n2 walked up to us (its raise): now an OFFER reaches a majority. */
	for (; u.n_verb[WIRE_OFFER] == 0 && t < 10 + 8 * DOWN_AFTER; t += HB) {
		f = fr_hb(1 + JUMP, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = fr_hb(1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_CANDIDACY], 1);
	ck_assert_uint_eq(u.last_epoch[WIRE_OFFER], 2 + JUMP);
	elector_free(u.el);
}
END_TEST

/*
 * The cluster, simulated: a forged ANNOUNCE at epoch + the whole
 * jump, naming the real primary, sent once to one replica. Before claims
 * the third node refused the others' frames for good; now it walks up
 * after one window and the cluster agrees again, safely, at one epoch.
 */
START_TEST(forged_announce_within_the_jump_heals_without_a_restart)
{
	struct sim_config c;
	struct sim *s;
	struct wire_frame f;
	int p, r;
	uint64_t e;

	memset(&c, 0, sizeof c);
	c.n = 3;
	c.seed = 9;
	c.delay_min_ms = 1;
	c.delay_max_ms = 5;
	c.max_epoch_jump = ELECTOR_MAX_EPOCH_JUMP_DEFAULT;
	s = cluster_cfg(&c);
	ck_assert(sim_run_until_pred(s, sim_pred_agreed, NULL, ELECT_BOUND));
	p = sim_agreed_primary(s);
	r = (p + 1) % 3;
	e = elector_epoch(sim_elector(s, (size_t)p));
	f = fr_announce(e + ELECTOR_MAX_EPOCH_JUMP_DEFAULT,
	    elector_member(sim_elector(s, 0), (size_t)p)->id);
	ck_assert_int_eq(sim_inject(s, (size_t)r, &f), ELECTOR_FRAME_APPLIED);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)r)),
	    e + ELECTOR_MAX_EPOCH_JUMP_DEFAULT);
	/* Let the primary re-stand above its follower, then all agree. */
	sim_run_for(s, DOWN_AFTER);
	ck_assert(sim_run_until_pred(s, sim_pred_agreed, NULL, sim_now(s) +
	    ELECT_BOUND + 2 * CONFIRM));
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_gt(elector_epoch(sim_elector(s, i)),
		    e + ELECTOR_MAX_EPOCH_JUMP_DEFAULT);
		ck_assert(elector_has_quorum(sim_elector(s, i), sim_now(s)));
	}
	/* The third node did hold their frames, then walked up. */
	ck_assert_uint_ge(elector_stats(sim_elector(s, (size_t)(p + 2) % 3))->
	    frames_held, 1);
	ck_assert_uint_eq(elector_stats(sim_elector(s, (size_t)(p + 2) % 3))->
	    epochs_raised, 1);
	/* Without a failover: the primary stood again and stayed. */
	ck_assert_int_eq(sim_agreed_primary(s), p);
	sim_run_for(s, 3000);
	ck_assert_int_ge(sim_agreed_primary(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= heartbeat ================= */

/* Times node sent a heartbeat to peer in [from, to], broadcasts included. */
static size_t hb_times(const struct sim *s, int node, int peer, uint64_t from,
    uint64_t to, uint64_t *t, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sim_trace_len(s); i++) {
		const struct sim_rec *r = sim_trace_at(s, i);

		if (r->kind != SIM_REC_SEND || r->verb != WIRE_HB ||
		    r->node != node || r->t < from || r->t > to)
			continue;
		if (r->peer != ELECTOR_BROADCAST && r->peer != peer)
			continue;
		if (n < cap)
			t[n] = r->t;
		n++;
	}
	return n;
}

START_TEST(heartbeat_every_interval_to_each_peer_at_exact_times)
{
	struct sim *s = cluster(3, 1, NULL, 1, 1);
	uint64_t t[64];

	/* Before the grace window ends nothing changes: a pure cadence. */
	sim_run_until(s, DOWN_AFTER - 50);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++) {
			if (a == b)
				continue;
			size_t n = hb_times(s, a, b, 0, DOWN_AFTER - 50, t, 64);
			ck_assert_uint_eq(n, (DOWN_AFTER - 50) / HB + 1);
			for (size_t i = 0; i < n; i++)
				ck_assert_uint_eq(t[i], i * HB);
		}
	/* After an election, a quiet second is a pure cadence again. */
	elect(s);
	uint64_t t0 = sim_now(s) + 1000;
	sim_run_until(s, t0 + 1000);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++) {
			if (a == b)
				continue;
			size_t n = hb_times(s, a, b, t0, t0 + 999, t, 64);
			ck_assert_uint_eq(n, 1000 / HB);
			for (size_t i = 1; i < n; i++)
				ck_assert_uint_eq(t[i] - t[i - 1], HB);
		}
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(unit_heartbeats_at_start_then_every_interval)
{
	struct unit u;

	unit_init(&u, 4, 1, 0, NULL);
	unit_advance(&u, 0);
	for (size_t j = 0; j < 4; j++)
		ck_assert_uint_eq(u.hb_to[j], j == 1 ? 0 : 1);
	for (uint64_t t = 0; t < DOWN_AFTER - HB; t += HB) {
		ck_assert_uint_eq(elector_next_deadline(u.el), t + HB);
		unit_advance(&u, t + HB);
	}
	ck_assert(!u.hb_gap_bad);
	ck_assert_uint_eq(u.hb_to[0], (DOWN_AFTER - HB) / HB + 1);
	elector_free(u.el);
}
END_TEST

/* ================= failover ================= */

START_TEST(no_election_while_the_primary_is_alive)
{
	uint64_t off[5] = { 10, 20, 30, 40, 50 };
	struct sim *s = cluster(5, 7, off, 1, 20);
	int p = elect(s);
	uint64_t e = elector_epoch(sim_elector(s, (size_t)p));
	size_t from = sim_trace_len(s);

	/* Ten virtual minutes; offsets keep moving like a live server's. */
	for (int k = 0; k < 600; k++) {
		for (size_t i = 0; i < 5; i++)
			sim_set_offset(s, i, off[i] + (uint64_t)k * (i + 1));
		sim_run_for(s, 1000);
		ck_assert_int_eq(sim_writable(s), p);
	}
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_SEND, -1, WIRE_OFFER), 0);
	ck_assert_int_eq(sim_agreed_primary(s), p);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, (size_t)p)), e);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(dead_primary_is_replaced_by_the_best_replica)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 3, off, 1, 1);
	size_t from;
	uint64_t killed, t;

	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, 1000);
	killed = sim_now(s);
	from = sim_trace_len(s);
	sim_kill(s, 0);
	ck_assert_int_eq(elect(s), 1);
	/* Only the best stood, once, right when n1 went DOWN by its view. */
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 1, ELECTOR_EV_CANDIDACY), 1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 2, ELECTOR_EV_CANDIDACY), 0);
	t = sim_event_time(s, from, 1, ELECTOR_EV_CANDIDACY);
	ck_assert_uint_ge(t, killed + DOWN_AFTER - HB);
	ck_assert_uint_le(t, killed + DOWN_AFTER + 1);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 1)), 3);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(higher_offset_wins)
{
	uint64_t off[3] = { 300, 100, 200 };
	struct sim *s = cluster(3, 4, off, 1, 5);

	ck_assert_int_eq(elect(s), 0);
	sim_kill(s, 0);
	ck_assert_int_eq(elect(s), 2);
	/* n2 knew it was behind: it never stood. */
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 1, ELECTOR_EV_CANDIDACY), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(tied_offset_lower_id_wins_bytewise)
{
	struct sim_config c;
	struct sim *s;

	memset(&c, 0, sizeof c);
	c.n = 3;
	c.seed = 5;
	c.ids[0] = "p";
	c.ids[1] = "a9";
	c.ids[2] = "a10";	/* "a1" < "a9" byte-wise, whatever 10 > 9 */
	c.delay_min_ms = 1;
	c.delay_max_ms = 5;
	s = cluster_cfg(&c);
	ck_assert_int_eq(elect(s), 2);
	sim_kill(s, 2);
	ck_assert_int_eq(elect(s), 1);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 0, ELECTOR_EV_CANDIDACY), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= voting rules (single elector) ================= */

START_TEST(one_vote_per_epoch_two_offers_get_one_accept)
{
	struct unit u;
	struct wire_frame f = fr_offer(2, "n1", 5);

	unit_init(&u, 3, 2, 0, NULL);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	ck_assert_int_eq(u.last_to[WIRE_ACCEPT], 0);
	ck_assert_uint_eq(u.last_epoch[WIRE_ACCEPT], 2);
	ck_assert_uint_eq(u.s_epoch, 2);
	ck_assert_str_eq(u.s_vote, "n1");
	ck_assert_uint_eq(elector_voted_epoch(u.el), 2);
	f = fr_offer(2, "n2", 9);	/* better offset, same epoch: too late */
	unit_frame(&u, 11, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	ck_assert_str_eq(u.s_vote, "n1");
	elector_free(u.el);
}
END_TEST

START_TEST(offer_from_a_worse_candidate_is_refused)
{
	struct unit u;
	struct wire_frame f = fr_offer(2, "n1", 5);

	unit_init(&u, 3, 2, 6, NULL);		/* my offset is higher */
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	f = fr_offer(3, "n2", 6);		/* equal, but "n2" < "n3" */
	unit_frame(&u, 11, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	ck_assert_int_eq(u.last_to[WIRE_ACCEPT], 1);
	elector_free(u.el);
	unit_init(&u, 3, 0, 6, NULL);		/* I am "n1" < "n3" */
	f = fr_offer(2, "n3", 6);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	elector_free(u.el);
}
END_TEST

START_TEST(stale_offer_is_ignored)
{
	struct elector_saved sv = { .epoch = 5 };
	struct unit u;
	struct wire_frame f;

	unit_init(&u, 3, 2, 0, &sv);
	ck_assert_uint_eq(elector_epoch(u.el), 5);
	f = fr_offer(5, "n1", 9);
	unit_frame(&u, 10, &f);
	f = fr_offer(4, "n1", 9);
	unit_frame(&u, 11, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	ck_assert_int_eq(u.saves, 0);
	ck_assert_uint_eq(elector_epoch(u.el), 5);
	ck_assert_uint_ge(elector_stats(u.el)->frames_ignored, 2);
	elector_free(u.el);
}
END_TEST

START_TEST(stale_announce_is_ignored)
{
	struct elector_saved sv = { .epoch = 5 };
	struct unit u;
	struct wire_frame f = fr_announce(4, "n1");

	unit_init(&u, 3, 2, 0, &sv);
	unit_frame(&u, 10, &f);
	ck_assert_int_eq(elector_primary(u.el), ELECTOR_NONE);
	ck_assert_uint_eq(elector_epoch(u.el), 5);
	ck_assert_int_eq(u.saves, 0);
	/* The current epoch with a new primary is news (spec 7). */
	f = fr_announce(5, "n2");
	unit_frame(&u, 11, &f);
	ck_assert_int_eq(elector_primary(u.el), 1);
	ck_assert_str_eq(elector_primary_addr(u.el), "n2:6379");
	ck_assert_int_eq(u.saves, 1);
	ck_assert_str_eq(u.s_vote, "n2");
	/* The same again is not: no second save. */
	unit_frame(&u, 12, &f);
	ck_assert_int_eq(u.saves, 1);
	elector_free(u.el);
}
END_TEST

START_TEST(old_primary_demotes_on_higher_epoch_heartbeat)
{
	struct unit u;
	struct wire_frame f;
	uint64_t e;

	unit_make_primary(&u);
	e = elector_epoch(u.el);
	f = fr_hb(e + 3, "n3", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, u.now + 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_REPLICA);
	ck_assert_int_eq(elector_primary(u.el), 2);
	ck_assert_uint_eq(elector_epoch(u.el), e + 3);
	ck_assert_uint_eq(u.s_epoch, e + 3);	/* persisted as it rose */
	ck_assert(!elector_is_writable(u.el, u.now));
	elector_free(u.el);
}
END_TEST

START_TEST(old_primary_demotes_on_higher_epoch_announce)
{
	struct unit u;
	struct wire_frame f;
	uint64_t e;

	unit_make_primary(&u);
	e = elector_epoch(u.el);
	f = fr_announce(e, "n3");	/* same epoch, other primary: stale-ish */
	f = fr_announce(e + 1, "n3");
	unit_frame(&u, u.now + 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_REPLICA);
	ck_assert_int_eq(elector_primary(u.el), 2);
	ck_assert_uint_eq(elector_voted_epoch(u.el), e + 1);
	ck_assert_str_eq(u.s_vote, "n3");
	elector_free(u.el);
}
END_TEST

START_TEST(old_primary_rejoining_after_partition_follows_the_new_one)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 11, off, 1, 10);
	int q;

	ck_assert_int_eq(elect(s), 0);
	sim_isolate(s, 0);
	sim_run_for(s, 3000);
	q = sim_writable(s);
	ck_assert_int_eq(q, 1);
	sim_heal_links(s);
	ck_assert_int_eq(elect(s), 1);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= timeout and backoff ================= */

static bool pred_timeout_n1(struct sim *s, void *arg)
{
	size_t *from = arg;

	return sim_trace_count(s, *from, SIM_REC_EVENT, 0, ELECTOR_EV_TIMEOUT) > 0;
}

START_TEST(election_timeout_backs_off_and_the_retry_succeeds)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 12, off, 1, 1);
	size_t from = 0;
	uint64_t t_to, backoff, t_cand2, t_cand1;

	/*
	 * Votes to n1 arrive after its candidacy gave up. Their heartbeats
	 * still show them below its epoch, not better by offset: only
	 * stickiness could explain the silence, so it waits down_after for
	 * them, not only the election timeout (elector_live.c).
	 */
	sim_link_delay(s, 1, 0, DOWN_AFTER + 100, DOWN_AFTER + 100);
	sim_link_delay(s, 2, 0, DOWN_AFTER + 100, DOWN_AFTER + 100);
	ck_assert(sim_run_until_pred(s, pred_timeout_n1, &from, 5000));
	t_cand1 = sim_event_time(s, 0, 0, ELECTOR_EV_CANDIDACY);
	t_to = sim_event_time(s, 0, 0, ELECTOR_EV_TIMEOUT);
	ck_assert_uint_eq(t_to - t_cand1, DOWN_AFTER);
	for (size_t i = 0; i < sim_trace_len(s); i++) {
		const struct sim_rec *r = sim_trace_at(s, i);

		if (r->kind == SIM_REC_EVENT && r->ev == ELECTOR_EV_TIMEOUT)
			backoff = r->detail;
	}
	ck_assert_uint_ge(backoff, BACKOFF);
	ck_assert_uint_lt(backoff, BACKOFF + JITTER);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	sim_link_delay(s, 1, 0, 1, 1);
	sim_link_delay(s, 2, 0, 1, 1);
	from = sim_trace_len(s);
	ck_assert_int_eq(elect(s), 0);
	t_cand2 = sim_event_time(s, from, 0, ELECTOR_EV_CANDIDACY);
	ck_assert_uint_ge(t_cand2, t_to + backoff);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 0, ELECTOR_EV_CANDIDACY), 2);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 0)), 3);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= minority ================= */

START_TEST(partitioned_minority_cannot_elect_and_majority_does)
{
	uint64_t off[5] = { 500, 400, 300, 200, 100 };
	struct sim *s = cluster(5, 13, off, 1, 10);
	bool side[5] = { true, true, false, false, false };
	size_t from;

	ck_assert_int_eq(elect(s), 0);
	from = sim_trace_len(s);
	sim_partition(s, side);
	sim_run_for(s, 10000);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 0, ELECTOR_EV_WON), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 1, ELECTOR_EV_WON), 0);
	/* n2 sees no majority, so it does not even stand. */
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_int_eq(sim_writable(s), 2);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(two_survivors_of_five_never_elect)
{
	uint64_t off[5] = { 500, 400, 300, 200, 100 };
	struct sim *s = cluster(5, 14, off, 1, 10);
	size_t from;

	ck_assert_int_eq(elect(s), 0);
	from = sim_trace_len(s);
	sim_kill(s, 0);
	sim_kill(s, 1);
	sim_kill(s, 2);
	sim_run_for(s, 30000);
	ck_assert_int_eq(sim_writable(s), -1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_WON), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(two_nodes_need_both)
{
	struct sim *s = cluster(2, 15, NULL, 1, 5);
	int p = elect(s), r = 1 - p;
	size_t from = sim_trace_len(s);

	sim_kill(s, (size_t)p);
	sim_run_for(s, 20000);
	ck_assert_int_eq(sim_writable(s), -1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, r, ELECTOR_EV_WON), 0);
	sim_restart(s, (size_t)p, false);
	ck_assert_int_ge(elect(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= persistence ================= */

START_TEST(restart_with_a_persisted_vote_refuses_that_epoch)
{
	struct elector_saved sv = { .epoch = 5, .has_vote = true };
	struct unit u;
	struct wire_frame f;

	snprintf(sv.vote, sizeof sv.vote, "n1");
	unit_init(&u, 3, 2, 0, &sv);
	ck_assert_uint_eq(elector_voted_epoch(u.el), 5);
	f = fr_offer(5, "n2", 9);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	ck_assert_int_eq(u.saves, 0);
	f = fr_offer(6, "n2", 9);		/* a new epoch is a new vote */
	unit_frame(&u, 11, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	ck_assert_uint_eq(u.s_epoch, 6);
	elector_free(u.el);
}
END_TEST

START_TEST(restart_in_the_middle_of_an_election_keeps_its_vote)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 16, off, 1, 1);
	uint64_t e;
	int v;

	/* n3 votes for n1 and dies before n1's ANNOUNCE reaches it. */
	sim_link_delay(s, 0, 2, 200, 200);
	while (elector_voted_epoch(sim_elector(s, 2)) < 2)
		sim_run_for(s, 1);
	ck_assert(sim_stored(s, 2, &e, &v));
	ck_assert_uint_eq(e, 2);
	ck_assert_int_eq(v, 0);
	sim_kill(s, 2);
	sim_restart(s, 2, false);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 2)), 2);
	ck_assert_uint_eq(elector_voted_epoch(sim_elector(s, 2)), 2);
	sim_link_delay(s, 0, 2, 1, 1);
	ck_assert_int_eq(elect(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(restart_resumes_the_epoch)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 17, off, 1, 5);
	uint64_t e;

	ck_assert_int_eq(elect(s), 0);
	sim_kill(s, 0);
	ck_assert_int_eq(elect(s), 1);
	sim_restart(s, 0, false);
	e = elector_epoch(sim_elector(s, 1));
	ck_assert_uint_eq(e, 3);
	/* Restarted with its disk: back at the epoch it had saved. */
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 0)), 2);
	sim_kill(s, 2);
	sim_restart(s, 2, false);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 2)), e);
	ck_assert_int_eq(elector_role(sim_elector(s, 2)), WIRE_ROLE_REPLICA);
	/* A fresh disk starts at 1 and catches up by following. */
	sim_kill(s, 2);
	sim_restart(s, 2, true);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 2)), 1);
	ck_assert_int_eq(elect(s), 1);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 2)), e);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(every_save_happens_before_the_message_that_needs_it)
{
	uint64_t off[5] = { 500, 400, 300, 200, 100 };
	struct sim *s = cluster(5, 18, off, 1, 10);
	size_t checked = 0;

	for (size_t k = 0; k < 4; k++) {
		int p = elect(s);

		sim_kill(s, (size_t)p);
		sim_run_for(s, 200);
		sim_restart(s, (size_t)p, false);
	}
	elect(s);
	/* The checker's rule (e), restated on the trace itself. */
	for (size_t i = 0; i < sim_trace_len(s); i++) {
		const struct sim_rec *r = sim_trace_at(s, i);
		bool found = false;

		if (r->kind != SIM_REC_SEND || r->verb == WIRE_HB)
			continue;
		for (size_t j = i; j-- > 0 && !found;) {
			const struct sim_rec *q = sim_trace_at(s, j);

			found = q->kind == SIM_REC_SAVE && q->node == r->node &&
			    q->epoch == r->epoch && q->vote == r->vote;
		}
		ck_assert_msg(found, "send at t=%" PRIu64 " without save",
		    r->t);
		checked++;
	}
	ck_assert_uint_ge(checked, 5 * 3);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(candidate_save_failure_sends_no_offer_and_is_reported)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 19, off, 1, 1);

	sim_store_fail(s, 0, true);
	sim_run_until(s, 3000);
	ck_assert_uint_ge(sim_trace_count(s, 0, SIM_REC_EVENT, 0, ELECTOR_EV_SAVE_FAILED), 1);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_SEND, 0, WIRE_OFFER), 0);
	ck_assert(elector_save_is_failing(sim_elector(s, 0)));
	ck_assert_uint_ge(elector_stats(sim_elector(s, 0))->save_failures, 1);
	ck_assert_int_eq(sim_writable(s), -1);
	/* Epoch must not have risen in memory past what is on disk. */
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 0)), 1);
	sim_store_fail(s, 0, false);
	ck_assert_int_eq(elect(s), 0);
	ck_assert(!elector_save_is_failing(sim_elector(s, 0)));
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(voter_save_failure_sends_no_accept)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 20, off, 1, 1);

	sim_store_fail(s, 1, true);
	/* n2 cannot even persist the new epoch, so it cannot follow. */
	ck_assert(sim_run_until_pred(s, pred_writable_0, NULL, ELECT_BOUND));
	ck_assert_int_eq(elector_primary(sim_elector(s, 2)), 0);
	ck_assert_int_ne(elector_primary(sim_elector(s, 1)), 0);
	ck_assert_uint_ge(sim_trace_count(s, 0, SIM_REC_EVENT, 1, ELECTOR_EV_SAVE_FAILED), 1);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_SEND, 1, WIRE_ACCEPT), 0);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_SEND, 2, WIRE_ACCEPT), 1);
	ck_assert(elector_save_is_failing(sim_elector(s, 1)));
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= startup ================= */

START_TEST(cold_start_elects_exactly_one_after_the_grace_window)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		size_t n = 1 + seed % 7;
		struct sim *s = cluster(n, seed, NULL, 1, 20);

		elect(s);
		ck_assert_uint_ge(sim_event_time(s, 0, -1, ELECTOR_EV_CANDIDACY),
		    DOWN_AFTER);
		ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, -1, ELECTOR_EV_WON), 1);
		sim_run_for(s, 5000);
		ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, -1, ELECTOR_EV_WON), 1);
		sim_assert_safe(s);
		sim_free(s);
	}
}
END_TEST

START_TEST(want_primary_starts_clamped_to_replica)
{
	struct sim_config c;
	struct sim *s;
	uint64_t won;

	memset(&c, 0, sizeof c);
	c.n = 3;
	c.seed = 21;
	c.want_primary[0] = true;
	c.offset[0] = 100;
	s = cluster_cfg(&c);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	ck_assert(!elector_is_writable(sim_elector(s, 0), 0));
	ck_assert_int_eq(elector_primary(sim_elector(s, 0)), ELECTOR_NONE);
	sim_run_until(s, DOWN_AFTER - 1);
	ck_assert_int_eq(sim_writable(s), -1);
	ck_assert_int_eq(elect(s), 0);
	won = sim_event_time(s, 0, 0, ELECTOR_EV_WON);
	ck_assert_uint_ge(won, DOWN_AFTER);
	ck_assert_uint_ne(won, SIM_NEVER);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= lease ================= */

START_TEST(lease_fences_an_isolated_primary_before_any_candidacy)
{
	for (uint64_t seed = 1; seed <= 30; seed++) {
		size_t n = 3 + 2 * (seed % 3);
		struct sim *s = cluster(n, seed, NULL, 1, 20);
		int p = elect(s);
		size_t from;
		uint64_t fenced = SIM_NEVER, offer = SIM_NEVER;

		sim_run_for(s, 1000 + seed * 7);
		from = sim_trace_len(s);
		sim_isolate(s, (size_t)p);
		ck_assert(sim_run_until_pred(s, pred_other_writable, &p,
		    sim_now(s) + ELECT_BOUND));
		for (size_t i = from; i < sim_trace_len(s); i++) {
			const struct sim_rec *r = sim_trace_at(s, i);

			if (r->kind == SIM_REC_FENCED && r->node == p &&
			    fenced == SIM_NEVER)
				fenced = r->t;
			if (r->kind == SIM_REC_SEND && r->verb == WIRE_OFFER &&
			    offer == SIM_NEVER)
				offer = r->t;
		}
		ck_assert_msg(fenced < offer, "seed %" PRIu64 ": fenced at %"
		    PRIu64 ", first OFFER at %" PRIu64, seed, fenced, offer);
		sim_assert_safe(s);
		sim_free(s);
	}
}
END_TEST

/* ================= one-way links ================= */

START_TEST(primary_that_cannot_receive_abdicates_and_is_replaced)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 22, off, 1, 10);
	size_t from;
	int q;

	ck_assert_int_eq(elect(s), 0);
	from = sim_trace_len(s);
	sim_link_block(s, 1, 0, true);
	sim_link_block(s, 2, 0, true);
	sim_run_for(s, ELECT_BOUND);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 0, ELECTOR_EV_ABDICATE), 1);
	q = sim_writable(s);
	ck_assert_int_eq(q, 1);
	ck_assert_int_eq(elector_primary(sim_elector(s, 2)), 1);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	assert_stays_writable(s, 1, 5000);
	sim_free(s);
}
END_TEST

START_TEST(primary_that_cannot_send_is_replaced_and_follows)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 23, off, 1, 10);

	ck_assert_int_eq(elect(s), 0);
	sim_link_block(s, 0, 1, true);
	sim_link_block(s, 0, 2, true);
	sim_run_for(s, DOWN_AFTER);
	ck_assert_int_eq(elect(s), 1);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	assert_stays_writable(s, 1, 5000);
	sim_free(s);
}
END_TEST

START_TEST(replica_cut_off_one_way_does_not_depose_the_primary)
{
	/* n3 has the best offset of the replicas, so it wants to stand. */
	uint64_t off[3] = { 300, 100, 200 };
	struct sim *s = cluster(3, 24, off, 1, 10);
	uint64_t e;
	size_t from;

	ck_assert_int_eq(elect(s), 0);
	e = elector_epoch(sim_elector(s, 0));
	from = sim_trace_len(s);
	sim_link_block(s, 0, 2, true);
	assert_stays_writable(s, 0, 20000);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_WON), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_SEND, 1, WIRE_ACCEPT), 0);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 0)), e);
	ck_assert_int_eq(elector_primary(sim_elector(s, 1)), 0);
	sim_free(s);
}
END_TEST

START_TEST(primary_cut_off_in_two_steps_is_fenced_before_a_successor)
{
	/*
	 * First n1's outbound links die (n2, n3 stop hearing it, n1 still
	 * hears them), then, just before they may stand, the inbound ones
	 * too. n1's last receipts are fresh, so its lease outlives the
	 * election unless the successor waits for it.
	 */
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 29, off, 1, 1);

	ck_assert_int_eq(elect(s), 0);
	sim_run_for(s, 1000);
	sim_link_block(s, 0, 1, true);
	sim_link_block(s, 0, 2, true);
	sim_run_for(s, DOWN_AFTER - 2 * HB);
	sim_link_block(s, 1, 0, true);
	sim_link_block(s, 2, 0, true);
	sim_run_for(s, 3000);
	ck_assert_int_eq(sim_writable(s), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= sticky votes ================= */

START_TEST(replica_that_hears_the_primary_refuses_an_offer)
{
	struct unit u;
	struct wire_frame f;

	unit_init(&u, 3, 1, 0, NULL);
	f = fr_hb(1, "n1", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, 10, &f);
	ck_assert_int_eq(elector_primary(u.el), 0);
	/* The reference votes here: newer epoch, better offset. */
	f = fr_offer(2, "n3", 100);
	unit_frame(&u, 110, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	ck_assert_int_eq(u.saves, 0);
	ck_assert_uint_ge(elector_stats(u.el)->votes_refused, 1);
	ck_assert_int_eq(elector_primary(u.el), 0);
	/* Still sticky just before the window ends... */
	f = fr_offer(3, "n3", 100);
	unit_frame(&u, 10 + STICKY - 1, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	/* ...and free to vote once the primary is silent that long. */
	f = fr_offer(4, "n3", 100);
	unit_frame(&u, 10 + STICKY, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	ck_assert_uint_eq(u.last_epoch[WIRE_ACCEPT], 4);
	ck_assert_int_eq(u.last_to[WIRE_ACCEPT], 2);
	elector_free(u.el);
}
END_TEST

START_TEST(writable_primary_refuses_an_offer)
{
	struct unit u;
	struct wire_frame f;
	uint64_t t, e;

	t = unit_make_primary(&u);
	e = elector_epoch(u.el);
	for (t += HB; t < 2000; t += HB) {
		f = fr_hb(e, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = fr_hb(e, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	ck_assert(elector_is_writable(u.el, u.now));
	f = fr_offer(e + 1, "n2", 1000);
	unit_frame(&u, u.now + 1, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 0);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
	elector_free(u.el);
}
END_TEST

/* ================= never stand ================= */

START_TEST(never_stand_witness_votes_but_is_never_elected)
{
	struct sim_config c;
	struct sim *s;

	memset(&c, 0, sizeof c);
	c.n = 3;
	c.seed = 25;
	c.ids[0] = "b";
	c.ids[1] = "c";
	c.ids[2] = "a";		/* lowest id and highest offset: no matter */
	c.offset[0] = 100;
	c.offset[1] = 50;
	c.offset[2] = 1000;
	c.never_stand[2] = true;
	c.delay_min_ms = 1;
	c.delay_max_ms = 10;
	s = cluster_cfg(&c);
	sim_kill(s, 1);
	ck_assert_int_eq(elect(s), 0);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_SEND, 2, WIRE_ACCEPT), 1);
	/* Data nodes come and go; the witness never stands. */
	for (int k = 0; k < 10; k++) {
		int p = elect(s);

		sim_kill(s, (size_t)p);
		sim_run_for(s, 100);
		sim_restart(s, (size_t)p, false);
	}
	sim_kill(s, 0);
	sim_kill(s, 1);
	sim_run_for(s, 10000);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 2, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_SEND, 2, WIRE_OFFER), 0);
	ck_assert_int_eq(sim_writable(s), -1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= saves ================= */

START_TEST(announce_of_the_candidate_we_voted_for_costs_no_second_save)
{
	struct unit u;
	struct wire_frame f;
	int saves;

	unit_init(&u, 3, 1, 0, NULL);
	f = fr_offer(2, "n1", 100);
	unit_frame(&u, 10, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	saves = u.saves;
	ck_assert_str_eq(u.s_vote, "n1");
	f = fr_announce(2, "n1");
	unit_frame(&u, 12, &f);
	ck_assert_int_eq(elector_primary(u.el), 0);
	ck_assert_int_eq(u.saves, saves);
	/* An ANNOUNCE for someone else in a later epoch is saved first. */
	f = fr_announce(3, "n3");
	unit_frame(&u, 14, &f);
	ck_assert_int_eq(u.saves, saves + 1);
	ck_assert_str_eq(u.s_vote, "n3");
	elector_free(u.el);
}
END_TEST

START_TEST(replicas_back_their_own_primary_standing_again)
{
	struct unit u;
	struct wire_frame f;

	/* n1 (lowest id, same offset) follows n3 at epoch 5. */
	unit_init(&u, 3, 0, 0, NULL);
	f = fr_announce(5, "n3");
	unit_frame(&u, 10, &f);
	ck_assert_int_eq(elector_primary(u.el), 2);
	/* n3 re-stands: its candidate heartbeat is no reason to stand... */
	f = fr_hb(7, "n3", WIRE_ROLE_CANDIDATE, 0);
	unit_frame(&u, 20, &f);
	unit_advance(&u, 20 + 4 * HB);
	ck_assert_uint_eq(u.n_verb[WIRE_OFFER], 0);
	ck_assert_int_eq(elector_primary(u.el), 2);
	/* ...and n1 votes for it although a tie on offset favours n1. */
	f = fr_offer(7, "n3", 0);
	unit_frame(&u, u.now + 1, &f);
	ck_assert_uint_eq(u.n_verb[WIRE_ACCEPT], 1);
	elector_free(u.el);
}
END_TEST

START_TEST(frames_after_a_gap_in_a_peer_stream_do_not_renew_the_lease)
{
	struct unit u;
	struct wire_frame f2, f3;
	uint64_t t, e, end;

	t = unit_make_primary(&u);
	e = elector_epoch(u.el);
	f2 = fr_hb(e, "n2", WIRE_ROLE_REPLICA, 0);
	f3 = fr_hb(e, "n3", WIRE_ROLE_REPLICA, 0);
	/* Past the new primary's hold, heard steadily: writable. */
	for (end = t + 2 * DOWN_AFTER, t += HB; t < end; t += HB) {
		unit_frame(&u, t, &f2);
		unit_frame(&u, t, &f3);
	}
	ck_assert(elector_is_writable(u.el, t));
	/* A partition: silence, so the lease runs out. */
	t += 6 * HB;
	unit_advance(&u, t);
	ck_assert(!elector_is_writable(u.el, t));
	/* The heal hands over old frames at once: they prove life... */
	unit_frame(&u, t, &f2);
	unit_frame(&u, t, &f3);
	ck_assert(!elector_peer_is_down(u.el, 1, t));
	/* ...but vouch for no lease until one interval has passed. */
	ck_assert(!elector_is_writable(u.el, t));
	unit_frame(&u, t + HB / 2, &f2);
	unit_frame(&u, t + HB / 2, &f3);
	ck_assert(!elector_is_writable(u.el, t + HB / 2));
	unit_frame(&u, t + HB, &f2);
	unit_frame(&u, t + HB, &f3);
	ck_assert(elector_is_writable(u.el, t + HB));
	elector_free(u.el);
}
END_TEST

/* ================= two primaries in one epoch ================= */

START_TEST(rival_primary_of_the_same_epoch_higher_id_yields)
{
	struct unit u;
	struct wire_frame f;
	uint64_t t, e;

	/* n3 wins with n2's vote... */
	unit_init(&u, 3, 2, 100, NULL);
	for (t = 10; t < 3000 && u.n_verb[WIRE_OFFER] == 0; t += HB) {
		f = fr_hb(1, "n1", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
		f = fr_hb(1, "n2", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	e = elector_epoch(u.el);
	f = fr_accept(e, "n2");
	unit_frame(&u, u.now + 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
	/* ...while n1 also won epoch e (a voter that lost its disk). */
	f = fr_hb(e, "n1", WIRE_ROLE_PRIMARY, 100);
	unit_frame(&u, u.now + 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_REPLICA);
	ck_assert_int_eq(elector_primary(u.el), 0);
	ck_assert_uint_eq(elector_epoch(u.el), e);
	ck_assert_uint_eq(elector_stats(u.el)->rivals_yielded, 1);
	elector_free(u.el);

	/* The lower id keeps its role when it hears the higher one. */
	unit_make_primary(&u);
	e = elector_epoch(u.el);
	f = fr_hb(e, "n3", WIRE_ROLE_PRIMARY, 100);
	unit_frame(&u, u.now + 1, &f);
	ck_assert_int_eq(elector_role(u.el), WIRE_ROLE_PRIMARY);
	elector_free(u.el);
}
END_TEST

/* ================= local-server health ================= */

START_TEST(primary_whose_server_died_steps_down_and_a_replica_takes_over)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 31, off, 1, 5);
	size_t from;
	uint64_t t0;
	int q;

	ck_assert_int_eq(elect(s), 0);
	from = sim_trace_len(s);
	t0 = sim_now(s);
	sim_set_local(s, 0, false);
	/* At once: no longer primary, and its heartbeat says so. */
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	ck_assert_int_eq(sim_writable(s), -1);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 0, ELECTOR_EV_LOCAL_DOWN), 1);
	q = elect(s);
	ck_assert_int_eq(q, 1);
	/* The replicas did not wait down_after: the step-down was heard. */
	ck_assert_uint_lt(sim_now(s) - t0, DOWN_AFTER);
	/* Sitting out: it never stands, though its offset is the highest. */
	sim_kill(s, 1);
	sim_run_for(s, 10 * DOWN_AFTER);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 0, ELECTOR_EV_CANDIDACY), 0);
	sim_assert_safe(s);
	ck_assert_int_eq(elect(s), 2);
	/* Back: with the best offset it wins the next election again. */
	sim_set_local(s, 0, true);
	sim_restart(s, 1, false);
	sim_run_for(s, DOWN_AFTER);
	sim_kill(s, 2);
	ck_assert_int_eq(elect(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(replica_whose_server_died_votes_but_never_stands)
{
	uint64_t off[3] = { 100, 300, 200 };
	struct sim *s = cluster(3, 32, off, 1, 5);
	size_t from;

	ck_assert_int_eq(elect(s), 1);
	from = sim_trace_len(s);
	sim_set_local(s, 0, false);
	sim_kill(s, 1);
	/* n3 wins with n1's vote; n1 (lowest id) does not stand. */
	ck_assert_int_eq(elect(s), 2);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 0, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_SEND, 0, WIRE_ACCEPT), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/*
 * Found by the server adapter's tests: in a fresh cluster every offset is
 * 0, and a node that sits out (its server down) heartbeats offset 0 too.
 * With the lowest id it was the "better" candidate forever: everyone
 * deferred to it, it never stood, and nobody was ever elected.
 */
START_TEST(lowest_id_sitting_out_at_cold_start_does_not_block_an_election)
{
	uint64_t off[3] = { 0, 0, 0 };
	struct sim *s = cluster(3, 33, off, 1, 5);
	int p;

	sim_set_local(s, 0, false);
	p = elect(s);
	ck_assert_int_ne(p, 0);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 0, ELECTOR_EV_CANDIDACY), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= pauses ================= */

START_TEST(replica_resuming_from_a_long_pause_does_not_stand)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 26, off, 1, 5);
	size_t from;
	uint64_t e;

	ck_assert_int_eq(elect(s), 0);
	e = elector_epoch(sim_elector(s, 0));
	from = sim_trace_len(s);
	sim_pause(s, 1, 5 * DOWN_AFTER);
	sim_run_for(s, 5 * DOWN_AFTER + 1);
	ck_assert(!sim_is_paused(s, 1));
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, 1, ELECTOR_EV_PAUSE), 1);
	ck_assert_uint_ge(sim_event_time(s, from, 1, ELECTOR_EV_PAUSE), 0);
	sim_run_for(s, 3000);
	ck_assert_uint_eq(sim_trace_count(s, from, SIM_REC_EVENT, -1, ELECTOR_EV_CANDIDACY), 0);
	ck_assert_uint_eq(elector_epoch(sim_elector(s, 0)), e);
	ck_assert_int_eq(sim_agreed_primary(s), 0);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

START_TEST(pause_is_reported_with_its_gap)
{
	struct unit u;
	struct elector_out o;

	unit_init(&u, 3, 1, 0, NULL);
	unit_advance(&u, 200);
	elector_tick(u.el, 1700, &o);
	u.now = 1700;
	unit_collect(&u, &o);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_PAUSE], 1);
	ck_assert_uint_ge(u.ev_detail[ELECTOR_EV_PAUSE], 1500 - HB);
	ck_assert_uint_le(u.ev_detail[ELECTOR_EV_PAUSE], 1500);
	ck_assert_uint_eq(elector_stats(u.el)->pauses, 1);
	elector_free(u.el);
}
END_TEST

START_TEST(paused_primary_is_fenced_then_follows_the_new_one)
{
	uint64_t off[3] = { 300, 200, 100 };
	struct sim *s = cluster(3, 27, off, 1, 5);

	ck_assert_int_eq(elect(s), 0);
	sim_pause(s, 0, 3000);
	sim_run_for(s, 2500);
	ck_assert_int_eq(sim_writable(s), 1);	/* n1 is fenced, n2 won */
	ck_assert_int_eq(elect(s), 1);
	ck_assert_int_eq(elector_role(sim_elector(s, 0)), WIRE_ROLE_REPLICA);
	ck_assert_uint_eq(sim_trace_count(s, 0, SIM_REC_EVENT, 0, ELECTOR_EV_PAUSE), 1);
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

/* ================= deadlines ================= */

START_TEST(next_deadline_is_the_exact_down_instant)
{
	struct unit u;
	struct wire_frame f;

	/* n2 (best offset) follows n1; n3 keeps it in quorum. */
	unit_init(&u, 3, 1, 100, NULL);
	f = fr_hb(1, "n1", WIRE_ROLE_PRIMARY, 0);
	unit_frame(&u, 10, &f);
	for (uint64_t t = 20; t < 10 + DOWN_AFTER; t += HB) {
		f = fr_hb(1, "n3", WIRE_ROLE_REPLICA, 0);
		unit_frame(&u, t, &f);
	}
	/* Last call at 470: next is the heartbeat at 500, then the DOWN. */
	ck_assert_uint_eq(elector_next_deadline(u.el), 500);
	unit_advance(&u, 500);
	ck_assert_uint_eq(elector_next_deadline(u.el), 10 + DOWN_AFTER);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_CANDIDACY], 0);
	unit_advance(&u, 10 + DOWN_AFTER);
	ck_assert_uint_eq(u.n_ev[ELECTOR_EV_CANDIDACY], 1);
	ck_assert_uint_eq(u.ev_at[ELECTOR_EV_CANDIDACY], 10 + DOWN_AFTER);
	ck_assert_uint_eq(u.n_verb[WIRE_OFFER], 1);
	elector_free(u.el);
}
END_TEST

START_TEST(no_busy_loop_over_a_long_idle_run)
{
	struct sim *s = cluster(5, 28, NULL, 1, 10);
	uint64_t t0, ticks[5], d = 600000;

	elect(s);
	t0 = sim_now(s);
	for (size_t i = 0; i < 5; i++)
		ticks[i] = sim_ticks(s, i);
	sim_run_for(s, d);
	for (size_t i = 0; i < 5; i++) {
		uint64_t n = sim_ticks(s, i) - ticks[i];

		/* One wake per heartbeat round, a few extra at most. */
		ck_assert_uint_ge(n, d / HB - 1);
		ck_assert_uint_le(n, 4 * d / HB);
		ck_assert_uint_gt(elector_next_deadline(sim_elector(s, i)),
		    sim_now(s) - HB);
	}
	(void)t0;
	sim_assert_safe(s);
	sim_free(s);
}
END_TEST

static Suite *elector_suite(void)
{
	Suite *s = suite_create("elector");
	TCase *tc;

#define TC(name) do { tc = tcase_create(name); tcase_set_timeout(tc, 60); \
	suite_add_tcase(s, tc); } while (0)
	TC("quorum");
	tcase_add_test(tc, quorum_size_is_half_plus_one_for_n_1_to_7);
	tcase_add_test(tc, has_quorum_counts_self_plus_peers_heard_within_down_after);
	tcase_add_test(tc, frame_from_a_non_member_is_refused);
	tcase_add_test(tc, epoch_beyond_max_jump_is_held_within_is_followed);
	tcase_add_test(tc, epoch_jump_zero_means_unlimited);
	TC("epoch_claims");
	tcase_add_test(tc, held_frame_changes_nothing_but_the_claim);
	tcase_add_test(tc, one_shot_claim_goes_stale_and_never_raises);
	tcase_add_test(tc, sustained_claim_raises_by_at_most_the_jump_then_applies);
	tcase_add_test(tc, primary_steps_down_when_a_confirmed_claim_raises_its_epoch);
	tcase_add_test(tc, authenticated_claim_is_followed_at_once);
	tcase_add_test(tc, claim_at_2_64_kept_up_raises_at_most_one_jump_per_window);
	tcase_add_test(tc, raise_is_saved_first_and_a_failed_save_raises_nothing);
	tcase_add_test(tc, edge_of_reach_claim_walks_a_replica_without_a_live_primary);
	tcase_add_test(tc, no_candidacy_while_a_majority_would_hold_the_offer);
	tcase_add_test(tc, forged_announce_within_the_jump_heals_without_a_restart);
	TC("heartbeat");
	tcase_add_test(tc, heartbeat_every_interval_to_each_peer_at_exact_times);
	tcase_add_test(tc, unit_heartbeats_at_start_then_every_interval);
	TC("failover");
	tcase_add_test(tc, no_election_while_the_primary_is_alive);
	tcase_add_test(tc, dead_primary_is_replaced_by_the_best_replica);
	tcase_add_test(tc, higher_offset_wins);
	tcase_add_test(tc, tied_offset_lower_id_wins_bytewise);
	TC("voting");
	tcase_add_test(tc, one_vote_per_epoch_two_offers_get_one_accept);
	tcase_add_test(tc, offer_from_a_worse_candidate_is_refused);
	tcase_add_test(tc, stale_offer_is_ignored);
	tcase_add_test(tc, stale_announce_is_ignored);
	tcase_add_test(tc, old_primary_demotes_on_higher_epoch_heartbeat);
	tcase_add_test(tc, old_primary_demotes_on_higher_epoch_announce);
	tcase_add_test(tc, old_primary_rejoining_after_partition_follows_the_new_one);
	TC("timeout");
	tcase_add_test(tc, election_timeout_backs_off_and_the_retry_succeeds);
	TC("minority");
	tcase_add_test(tc, partitioned_minority_cannot_elect_and_majority_does);
	tcase_add_test(tc, two_survivors_of_five_never_elect);
	tcase_add_test(tc, two_nodes_need_both);
	TC("persistence");
	tcase_add_test(tc, restart_with_a_persisted_vote_refuses_that_epoch);
	tcase_add_test(tc, restart_in_the_middle_of_an_election_keeps_its_vote);
	tcase_add_test(tc, restart_resumes_the_epoch);
	tcase_add_test(tc, every_save_happens_before_the_message_that_needs_it);
	tcase_add_test(tc, candidate_save_failure_sends_no_offer_and_is_reported);
	tcase_add_test(tc, voter_save_failure_sends_no_accept);
	TC("startup");
	tcase_add_test(tc, cold_start_elects_exactly_one_after_the_grace_window);
	tcase_add_test(tc, want_primary_starts_clamped_to_replica);
	TC("lease");
	tcase_add_test(tc, lease_fences_an_isolated_primary_before_any_candidacy);
	TC("oneway");
	tcase_add_test(tc, primary_that_cannot_receive_abdicates_and_is_replaced);
	tcase_add_test(tc, primary_that_cannot_send_is_replaced_and_follows);
	tcase_add_test(tc, replica_cut_off_one_way_does_not_depose_the_primary);
	tcase_add_test(tc, primary_cut_off_in_two_steps_is_fenced_before_a_successor);
	TC("sticky");
	tcase_add_test(tc, replica_that_hears_the_primary_refuses_an_offer);
	tcase_add_test(tc, writable_primary_refuses_an_offer);
	TC("never_stand");
	tcase_add_test(tc, never_stand_witness_votes_but_is_never_elected);
	TC("saves");
	tcase_add_test(tc, announce_of_the_candidate_we_voted_for_costs_no_second_save);
	tcase_add_test(tc, replicas_back_their_own_primary_standing_again);
	TC("stale");
	tcase_add_test(tc, frames_after_a_gap_in_a_peer_stream_do_not_renew_the_lease);
	TC("rival");
	tcase_add_test(tc, rival_primary_of_the_same_epoch_higher_id_yields);
	TC("local");
	tcase_add_test(tc, primary_whose_server_died_steps_down_and_a_replica_takes_over);
	tcase_add_test(tc, replica_whose_server_died_votes_but_never_stands);
	tcase_add_test(tc, lowest_id_sitting_out_at_cold_start_does_not_block_an_election);
	TC("pause");
	tcase_add_test(tc, replica_resuming_from_a_long_pause_does_not_stand);
	tcase_add_test(tc, pause_is_reported_with_its_gap);
	tcase_add_test(tc, paused_primary_is_fenced_then_follows_the_new_one);
	TC("deadline");
	tcase_add_test(tc, next_deadline_is_the_exact_down_instant);
	tcase_add_test(tc, no_busy_loop_over_a_long_idle_run);
#undef TC
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elector_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
