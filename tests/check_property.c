/*
 * check_property: randomized fault schedules against the simulated
 * cluster. Per seed: a random cluster (1..7 members, random offsets, some
 * never-stand witnesses but never all), a bounded phase of random faults
 * (kills, restarts with or without the disk, pauses, symmetric and one-way
 * partitions, delay, loss, failing saves, offset changes, forged frames,
 * operators' switchovers and maintenance pauses)
 * with every safety rule checked after every step (tests/sim.c), then
 * everything healed and liveness asserted: one writable primary that every
 * node follows, at one epoch, within LIVE_BOUND plus the walk allowance
 * (below), and stable after that; at the default max_epoch_jump, an
 * unfenced primary within UNFENCED_BOUND (down_after + one round + hold)
 * plus the walk allowance. Liveness is also measured all along (struct
 * live): the longest stretch in which a majority is connected but no node
 * is an unfenced primary, reported for the worst seeds, with the time to
 * an unfenced primary after the heal at p50 / p99 / max.
 *
 * Epoch claims (docs/design/elector.md): each seed draws max_epoch_jump L,
 * either the default or a handful of epochs (so that honest nodes, after a
 * partition, also end up beyond each other's reach and walk), and sometimes
 * authenticated peers. Without authentication a forger sends a frame naming a
 * random member (any verb) to a random node, at an epoch within L or beyond it
 * (up to 2^64-1), once or kept up for seconds. Its epoch is always above the
 * target's: a frame at or below it would vouch for the named member's liveness,
 * and without authentication nothing can tell that from the real member (that
 * is what auth_key_file is for); the property is that no forgery above our
 * epoch breaks safety or, once it stops, liveness.
 *
 * A seed is the whole run: KEVY_PROP_SEED=s replays one verbosely. The
 * default run is PROP_SEEDS_DEFAULT seeds; KEVY_PROP_SEEDS and
 * KEVY_PROP_SECONDS (wall-clock budget) turn it into a soak. The wall clock
 * only bounds how many seeds run, never what a seed does.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "elector.h"
#include "num.h"
#include "rng.h"
#include "sim.h"

#define PROP_SEEDS_DEFAULT 5000 /* seeds in a plain `make check` */
#define PROP_FAILS_MAX     10   /* stop after this many (KEVY_PROP_FAILS) */
#define FAULT_MS           5000 /* virtual ms of random faults */
#define FAULT_GAP_MAX      400  /* ms between two faults, at most */
#define DELAY_MAX          40   /* ms; below hb_interval, as the lease assumes */
#define STABLE_MS          3000 /* the healed primary must last this long */
#define STABLE_STEP        50   /* ms between stability samples */

/* Liveness bound from the fast timings (sim_timing_fast): every node must
 * see the others DOWN or alive (down_after), then at most 10 failed rounds
 * of election_timeout + backoff + jitter before one succeeds. */
#define HB          50
#define DOWN_AFTER  500
#define ROUND       (300 + 100 + 400)
#define LIVE_BOUND  (DOWN_AFTER + 10 * ROUND)
/*
 * After the last heal an unfenced primary must come sooner: the old
 * primary's silence (down_after), one election round (a candidacy that
 * waits down_after for sticky votes, then a backoff with its jitter) and
 * the winner's hold (lease + hb), plus the walk allowance below.
 */
#define HOLD        (4 * HB + HB)
#define UNFENCED_BOUND (DOWN_AFTER + (DOWN_AFTER + 100 + 400) + HOLD)
/*
 * Walk allowance: a node k x L epochs below the others needs k
 * confirmation windows (W plus a heartbeat or two) to reach them, and may
 * depose a primary at each step; the bound grows by one window per L of
 * epoch spread among the nodes at the heal.
 */
#define CONFIRM_MS  (ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS * DOWN_AFTER)
#define WALK_STEP   (CONFIRM_MS + 2 * HB)
#define JUMP_SMALL_MIN 1      /* a small max_epoch_jump: this.. */
#define JUMP_SMALL_MAX 8      /* ..to this */
#define FORGE_MS_MAX   4000   /* a kept-up forgery lasts at most this */
#define FORGE_GAP_MAX  (4 * HB) /* ms between two of its frames, at most */
#define SO_MS_MAX      2000   /* a switchover's deadline, at most */
#define MAINT_MS_MAX   3000   /* a maintenance pause, at most */
#define PRIORITY_RAND_MAX 4   /* random member priorities 1..this */
#define LAG_BYTES_MAX  8      /* priority_lag_bytes 0..this, max_lag_bytes
                                 1..this when on; offsets differ by a few */

/*
 * Liveness, measured on every seed (virtual ms): a gap is a stretch in
 * which a majority of healthy nodes (up, not paused, local server up,
 * disk saving, at least one that may stand) has every link between them
 * open both ways, yet no node is an unfenced primary. Checked after every
 * step of the simulator (sim_set_hook).
 */
struct live {
	uint64_t version;         /* bumped by every fault: links may differ */
	uint64_t cached_version, cached_mask;
	bool majority;
	uint64_t gap_since;       /* SIM_NEVER: no gap open */
	uint64_t longest, longest_at;
	uint64_t healed;          /* SIM_NEVER: faults still going */
	uint64_t unfenced_after_heal; /* SIM_NEVER: none yet */
	const bool *data;
	bool disturbed;           /* forged frames or a small epoch jump */
	uint64_t switchover_until; /* the latest accepted switchover's deadline */
	uint64_t gaps, gap_min;   /* hand-overs of writability (sim_gap_min) */
};

/* Hand-overs this short (one fast interval) are counted apart, in ms. */
#define GAP_SHORT_MS 50

/* The worst seeds of a run, by longest gap. */
#define LIVE_WORST_SHOWN 5

/* A forger posing as a member, sending to one node. */
struct forger {
	bool active;
	size_t to;
	struct wire_frame f;      /* its epoch is the claim */
	uint64_t period, until;
};

/* The schedule's own PRNG (lib/rng.c), apart from the simulator's. */
static uint64_t rnd_below(uint64_t *x, uint64_t n)
{
	return n ? rng_below(x, n) : 0;
}

static void dump_nodes(struct sim *s)
{
	for (size_t i = 0; i < sim_n(s); i++) {
		struct elector *el = sim_elector(s, i);

		if (!sim_is_up(s, i)) {
			fprintf(stderr, "  node %zu: down\n", i);
			continue;
		}
		fprintf(stderr, "  node %zu: role=%s epoch=%" PRIu64 " primary=%d"
		    " writable=%d offset=%" PRIu64 " saving=%s\n", i,
		    wire_role_name(elector_role(el)), elector_epoch(el),
		    elector_primary(el), elector_is_writable(el, sim_now(s)),
		    elector_offset(el),
		    elector_save_is_failing(el) ? "failing" : "ok");
	}
}

/* One random fault. data[i]: node i may stand (not a witness). */
static void fault(struct sim *s, uint64_t *r, const bool *data,
    uint64_t *offset, struct live *lv)
{
	size_t n = sim_n(s), a = rnd_below(r, n), b = rnd_below(r, n);
	bool side[SIM_NODES_MAX];

	switch (rnd_below(r, 15)) {
	case 0:
		sim_kill(s, a);
		break;
	case 1:
	case 2:
		if (sim_is_up(s, a))
			break;
		if (rnd_below(r, 5) == 0) {
			/* A lost disk lost the data too. */
			offset[a] = 0;
			sim_set_offset(s, a, 0);
			sim_restart(s, a, true);
		} else {
			sim_restart(s, a, false);
		}
		break;
	case 3:
		sim_pause(s, a, 100 + rnd_below(r, 2000));
		break;
	case 4:
		for (size_t i = 0; i < n; i++)
			side[i] = rnd_below(r, 2);
		sim_partition(s, side);
		break;
	case 5:
		if (a != b)
			sim_link_block(s, a, b, true);
		break;
	case 6:
		if (a != b)
			sim_link_block(s, a, b, false);
		break;
	case 7:
		sim_heal_links(s);
		break;
	case 8:
		if (a != b) {
			uint64_t lo = 1 + rnd_below(r, DELAY_MAX);

			sim_link_delay(s, a, b, lo, lo + rnd_below(r,
			    DELAY_MAX - lo + 1));
		}
		break;
	case 9:
		if (a != b)
			sim_link_loss(s, a, b, (double)rnd_below(r, 40) / 100);
		break;
	case 10:
		sim_store_fail(s, a, rnd_below(r, 3) == 0);
		break;
	case 11:
		/* Its local server stops or comes back. */
		sim_set_local(s, a, rnd_below(r, 2) == 0);
		break;
	case 12: {
		/*
		 * An operator's switchover on a random node (refused unless
		 * it is a writable primary), to a random member or its pick,
		 * with a random deadline: most hand over, some are called off.
		 */
		char why[256];
		int w = sim_writable(s);
		uint64_t d = 1 + rnd_below(r, SO_MS_MAX);

		if (w >= 0 && rnd_below(r, 4) != 0)
			a = (size_t)w;
		/* Fenced until it hands over or its deadline calls it off. */
		if (sim_switchover(s, a, rnd_below(r, 3) == 0 ? ELECTOR_NONE :
		    (int)b, d, why, sizeof why) == 0 &&
		    sim_now(s) + d > lv->switchover_until)
			lv->switchover_until = sim_now(s) + d;
		break;
	}
	case 13:
		/* A maintenance pause, or its end. */
		if (rnd_below(r, 3) == 0)
			sim_maint_end(s, a);
		else
			sim_maint(s, a, 1 + rnd_below(r, MAINT_MS_MAX));
		break;
	default:
		if (data[a]) {
			offset[a] += rnd_below(r, 3);
			sim_set_offset(s, a, offset[a]);
		}
		break;
	}
}

/* A forged frame of any verb naming member x, at epoch. */
static void forge_frame(uint64_t *r, size_t x, uint64_t epoch,
    struct wire_frame *f)
{
	static const enum wire_role roles[] = { WIRE_ROLE_PRIMARY,
	    WIRE_ROLE_REPLICA, WIRE_ROLE_CANDIDATE };

	memset(f, 0, sizeof *f);
	f->verb = (enum wire_verb)(WIRE_HB + (int)rnd_below(r, 4));
	f->epoch = epoch;
	snprintf(f->id, sizeof f->id, "n%zu", x + 1);	/* the sim's ids */
	if (f->verb == WIRE_HB)
		f->role = roles[rnd_below(r, 3)];
	if (f->verb == WIRE_HB || f->verb == WIRE_OFFER)
		f->offset = 1000 + rnd_below(r, 6);
	if (f->verb == WIRE_ANNOUNCE)
		snprintf(f->addr, sizeof f->addr, "10.9.9.9:%u",
		    (unsigned)(1 + rnd_below(r, 65535)));
}

/*
 * Hand the forger's frame to its target, at the claimed epoch or, once the
 * target has caught up with that, just above the target's (never at or
 * below it: see the top of the file).
 */
static void forge_send(struct sim *s, struct forger *fg)
{
	struct wire_frame f = fg->f;
	uint64_t ours;

	if (!sim_is_up(s, fg->to) || sim_is_paused(s, fg->to))
		return;
	ours = elector_epoch(sim_elector(s, fg->to));
	if (ours == UINT64_MAX)
		return;
	if (f.epoch <= ours)
		f.epoch = ours + 1;
	sim_inject(s, fg->to, &f);
}

/*
 * A new forgery: a random member's id, to a random node, within L or
 * beyond it (up to 2^64-1), once or kept up for a while.
 */
static void forge(struct sim *s, uint64_t *r, uint64_t jump,
    struct forger *fg)
{
	size_t n = sim_n(s), to = rnd_below(r, n), x = rnd_below(r, n);
	uint64_t ours, e;

	if (!sim_is_up(s, to))
		return;
	ours = elector_epoch(sim_elector(s, to));
	switch (rnd_below(r, 4)) {
	case 0:
		e = ours + 1 + rnd_below(r, jump);	/* within reach */
		break;
	case 1:
		e = UINT64_MAX;
		break;
	default:
		e = ours + jump + 1 + rnd_below(r, 3 * jump);
		break;
	}
	fg->to = to;
	forge_frame(r, x, e, &fg->f);
	fg->active = rnd_below(r, 2) == 0;
	fg->period = HB + rnd_below(r, FORGE_GAP_MAX - HB + 1);
	fg->until = sim_now(s) + 500 + rnd_below(r, FORGE_MS_MAX - 500 + 1);
	forge_send(s, fg);
}

/* Run for d ms, the forger (if any) sending every period meanwhile. */
static void run_forging(struct sim *s, struct forger *fg, uint64_t d)
{
	uint64_t end = sim_now(s) + d;

	while (fg->active && sim_now(s) + fg->period <= end &&
	    sim_now(s) + fg->period <= fg->until && sim_ok(s)) {
		sim_run_for(s, fg->period);
		forge_send(s, fg);
	}
	if (sim_now(s) >= fg->until)
		fg->active = false;
	sim_run_until(s, end);
}

/* Every node's epoch spread: what the slowest walk must cover. */
static uint64_t walk_allowance(struct sim *s, uint64_t jump, bool auth)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	if (jump == 0 || auth)
		return 0;
	for (size_t i = 0; i < sim_n(s); i++) {
		uint64_t e = elector_epoch(sim_elector(s, i));

		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	return (hi - lo) / jump * WALK_STEP;
}

/* A clique of healthy nodes, a majority with one that may stand? */
static bool majority_connected(struct sim *s, uint64_t healthy,
    const bool *data)
{
	size_t n = sim_n(s), quorum = n / 2 + 1;

	for (uint64_t set = healthy; set != 0; set = (set - 1) & healthy) {
		size_t k = 0;
		bool ok = true, stands = false;

		for (size_t i = 0; i < n; i++)
			if (set & (1u << i)) {
				k++;
				stands |= data[i];
			}
		if (k < quorum || !stands)
			continue;
		for (size_t i = 0; i < n && ok; i++)
			for (size_t j = 0; j < n && ok; j++)
				if (i != j && (set & (1u << i)) &&
				    (set & (1u << j)))
					ok = !sim_link_is_blocked(s, i, j);
		if (ok)
			return true;
	}
	return false;
}

static void live_hook(struct sim *s, void *arg)
{
	struct live *lv = arg;
	uint64_t mask = 0, now = sim_now(s);
	int w;

	for (size_t i = 0; i < sim_n(s); i++)
		if (sim_is_healthy(s, i))
			mask |= 1u << i;
	if (mask != lv->cached_mask || lv->version != lv->cached_version) {
		lv->majority = majority_connected(s, mask, lv->data);
		lv->cached_mask = mask;
		lv->cached_version = lv->version;
	}
	w = sim_writable(s);
	if (w != -1 && lv->healed != SIM_NEVER &&
	    lv->unfenced_after_heal == SIM_NEVER)
		lv->unfenced_after_heal = now - lv->healed;
	if (lv->majority && w == -1) {
		if (lv->gap_since == SIM_NEVER)
			lv->gap_since = now;
	} else if (lv->gap_since != SIM_NEVER) {
		if (now - lv->gap_since > lv->longest) {
			lv->longest = now - lv->gap_since;
			lv->longest_at = lv->gap_since;
		}
		lv->gap_since = SIM_NEVER;
	}
}

/* Everything back: all up, unpaused, links clean, disks working. */
static void heal(struct sim *s)
{
	for (size_t i = 0; i < sim_n(s); i++) {
		sim_store_fail(s, i, false);
		sim_set_local(s, i, true);
		if (!sim_is_up(s, i))
			sim_restart(s, i, false);
		sim_resume(s, i);
		sim_maint_end(s, i);
	}
	sim_heal_links(s);
}

/*
 * No data node is within max_lag_bytes of the highest primary offset any
 * node heard (a wiped disk's node may be the only one left with data).
 */
static bool all_lag(struct sim *s, const bool *data, const uint64_t *offset,
    uint64_t max_lag)
{
	uint64_t top = 0;

	if (max_lag == 0)
		return false;
	for (size_t i = 0; i < sim_n(s); i++)
		if (elector_primary_offset(sim_elector(s, i)) > top)
			top = elector_primary_offset(sim_elector(s, i));
	for (size_t i = 0; i < sim_n(s); i++)
		if (data[i] && offset[i] + max_lag >= top)
			return false;
	return true;
}

/* Which part of "one primary, followed by all, at one epoch" fails. */
static const char *why_not_agreed(struct sim *s)
{
	int w = sim_writable(s);

	if (w == -1)
		return "no writable primary";
	if (w == -2)
		return "several writable primaries";
	for (size_t i = 0; i < sim_n(s); i++)
		if (elector_primary(sim_elector(s, i)) != w)
			return "a node does not follow the primary";
	return "a node follows it at another epoch";
}

/* Run one seed. Returns 0, or -1 after printing why on stderr. */
static int run_seed(uint64_t seed, bool verbose, struct live *lv)
{
	struct sim_config c;
	struct sim *s;
	uint64_t r = seed ^ 0x6b657679ULL, healed, e, offset[SIM_NODES_MAX];
	/* The forger's own stream: the other faults stay as they were. */
	uint64_t rf = seed ^ 0x666f726765ULL, walk, live, so;
	uint64_t rp = seed ^ 0x7072696fULL;
	struct forger fg = { .active = false };
	bool data[SIM_NODES_MAX], any = false;
	int p, rc = -1;

	memset(&c, 0, sizeof c);
	c.seed = seed;
	c.n = 1 + rnd_below(&r, 7);
	c.verbose = verbose;
	c.delay_min_ms = 1;
	c.delay_max_ms = 1 + rnd_below(&r, 15);
	for (size_t i = 0; i < c.n; i++) {
		c.never_stand[i] = c.n > 1 && rnd_below(&r, 4) == 0;
		any |= !c.never_stand[i];
		offset[i] = c.offset[i] = 1000 + rnd_below(&r, 4);
	}
	if (!any)
		c.never_stand[rnd_below(&r, c.n)] = false;
	for (size_t i = 0; i < c.n; i++)
		data[i] = !c.never_stand[i];
	c.max_epoch_jump = rnd_below(&rf, 2) == 0 ?
	    ELECTOR_MAX_EPOCH_JUMP_DEFAULT :
	    JUMP_SMALL_MIN + rnd_below(&rf, JUMP_SMALL_MAX - JUMP_SMALL_MIN + 1);
	c.peers_authenticated = rnd_below(&rf, 4) == 0;
	/* Priorities and lag limits: their own stream, as the forger's. */
	if (rnd_below(&rp, 2) == 0) {
		for (size_t i = 0; i < c.n; i++)
			c.priority[i] = 1 + rnd_below(&rp, PRIORITY_RAND_MAX);
		c.priority_lag_bytes = rnd_below(&rp, LAG_BYTES_MAX + 1);
	}
	if (rnd_below(&rp, 3) == 0)
		c.max_lag_bytes = 1 + rnd_below(&rp, LAG_BYTES_MAX);
	/* Mixed clusters: a quarter of the seeds has nodes without the rule. */
	if (rnd_below(&rf, 4) == 0)
		for (size_t i = 0; i < c.n; i++)
			c.reference[i] = rnd_below(&rf, 2) == 0;
	s = sim_new(&c);
	memset(lv, 0, sizeof(*lv));
	lv->gap_since = lv->healed = lv->unfenced_after_heal = SIM_NEVER;
	lv->cached_mask = UINT64_MAX;
	lv->data = data;
	lv->disturbed = c.max_epoch_jump != ELECTOR_MAX_EPOCH_JUMP_DEFAULT;
	sim_set_hook(s, live_hook, lv);
	if (verbose) {
		fprintf(stderr, "seed %" PRIu64 ": n=%zu delay=1..%" PRIu64
		    " max_epoch_jump=%" PRIu64 " auth=%d priority_lag=%" PRIu64
		    " max_lag=%" PRIu64 " never_stand/priority=", seed,
		    c.n, c.delay_max_ms, c.max_epoch_jump,
		    c.peers_authenticated, c.priority_lag_bytes,
		    c.max_lag_bytes);
		for (size_t i = 0; i < c.n; i++)
			fprintf(stderr, "%s%d/%u", i ? "," : "",
			    c.never_stand[i], c.priority[i]);
		fprintf(stderr, "\n");
	}

	while (sim_now(s) < FAULT_MS && sim_ok(s)) {
		run_forging(s, &fg, 1 + rnd_below(&r, FAULT_GAP_MAX));
		fault(s, &r, data, offset, lv);
		lv->version++;
		/* A forger gets no frame past authentication. */
		if (!c.peers_authenticated && rnd_below(&rf, 6) == 0) {
			forge(s, &rf, c.max_epoch_jump, &fg);
			lv->disturbed = true;
		}
	}
	if (!sim_ok(s))
		goto out;		/* the checker printed the details */
	heal(s);
	healed = sim_now(s);
	lv->version++;
	lv->healed = healed;
	live_hook(s, lv);
	walk = walk_allowance(s, c.max_epoch_jump, c.peers_authenticated);
	live = LIVE_BOUND + walk;
	/*
	 * A node whose timers went stale while cut off may stand in the first
	 * interval after the heal (it is refused, and the primary re-stands
	 * to lift its epoch): agreement counts only once down_after passed.
	 */
	sim_run_until(s, healed +
	    elector_timing(sim_elector(s, 0))->down_after_ms);
	if (!sim_ok(s))
		goto out;
	/*
	 * Every node that could stand lags beyond max_lag_bytes behind a
	 * primary offset some node heard: no failover is the rule, so only
	 * safety is checked.
	 */
	if (all_lag(s, data, offset, c.max_lag_bytes)) {
		sim_run_until(s, healed + live);
		rc = sim_ok(s) ? 0 : -1;
		goto out;
	}
	if (!sim_run_until_pred(s, sim_pred_agreed, NULL, healed + live) ||
	    !sim_ok(s)) {
		if (sim_ok(s)) {
			fprintf(stderr, "property: seed %" PRIu64 ": no agreed"
			    " primary %" PRIu64 " ms (walk %" PRIu64 ") after "
			    "healing at t=%" PRIu64 " (%s)\n", seed, live, walk,
			    healed, why_not_agreed(s));
			dump_nodes(s);
			sim_trace_print(s, SIM_TAIL_LINES);
		}
		goto out;
	}
	/*
	 * A small max_epoch_jump turns every candidacy above a lagging node
	 * into a walk of rounds (held OFFERs): those seeds keep the looser
	 * LIVE_BOUND above.
	 */
	/* An operator's switchover under way at the heal runs its course. */
	so = lv->switchover_until > healed ? lv->switchover_until - healed : 0;
	if (c.max_epoch_jump == ELECTOR_MAX_EPOCH_JUMP_DEFAULT &&
	    lv->unfenced_after_heal > UNFENCED_BOUND + walk + so) {
		fprintf(stderr, "property: seed %" PRIu64 ": first unfenced "
		    "primary %" PRIu64 " ms after the heal at t=%" PRIu64
		    ", bound %d ms + walk %" PRIu64 " ms + switchover %" PRIu64
		    " ms\n", seed, lv->unfenced_after_heal, healed,
		    UNFENCED_BOUND, walk, so);
		goto out;
	}
	p = sim_agreed_primary(s);
	e = elector_epoch(sim_elector(s, (size_t)p));
	for (uint64_t t = 0; t < STABLE_MS; t += STABLE_STEP) {
		sim_run_for(s, STABLE_STEP);
		if (!sim_ok(s))
			goto out;
		if (sim_agreed_primary(s) != p ||
		    elector_epoch(sim_elector(s, (size_t)p)) != e) {
			fprintf(stderr, "property: seed %" PRIu64 ": primary %d"
			    " at epoch %" PRIu64 " did not last: t=%" PRIu64
			    "\n", seed, p, e, sim_now(s));
			dump_nodes(s);
			sim_trace_print(s, SIM_TAIL_LINES);
			goto out;
		}
	}
	rc = 0;
out:
	/*
	 * Hand-overs: the new primary's first unfenced instant comes after
	 * the old one's last, never in the same millisecond.
	 */
	lv->gaps = sim_gaps(s);
	lv->gap_min = sim_gap_min(s);
	if (rc == 0 && lv->gaps > 0 && lv->gap_min < 1) {
		fprintf(stderr, "property: seed %" PRIu64 ": a primary was "
		    "unfenced %" PRIu64 " ms after the last unfenced instant "
		    "of another\n", seed, lv->gap_min);
		rc = -1;
	}
	/* A gap still open at the end counts as it stands. */
	lv->version++;
	lv->majority = false;
	live_hook(s, lv);
	if (verbose)
		fprintf(stderr, "seed %" PRIu64 ": longest gap %" PRIu64 " ms at"
		    " t=%" PRIu64 ", unfenced primary %" PRIu64 " ms after the"
		    " heal\n", seed, lv->longest, lv->longest_at,
		    lv->unfenced_after_heal);
	sim_free(s);
	return rc;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	uint64_t x;

	if (v == NULL || num_parse_u64(v, strlen(v), &x) != 0)
		return dflt;
	return x;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The run's liveness figures: the worst seeds, gaps over 1 and 2 s. */
struct live_class {
	struct { uint64_t seed, gap, at; } worst[LIVE_WORST_SHOWN];
	uint64_t seeds, over_1s, over_2s, heal_max, heal_max_seed;
	uint64_t heal_hist[64];   /* after-heal times, 50 ms buckets */
};

/* [0]: every seed; [1]: seeds without forgeries, at the default jump. */
struct live_totals {
	struct live_class c[2];
	/* Hand-overs: a primary unfenced after another had been. */
	uint64_t gaps, gap_seeds, gap_min, gap_min_seed, gap_le_hb;
};

static void live_add_class(struct live_class *lt, uint64_t seed,
    const struct live *lv)
{
	size_t k = LIVE_WORST_SHOWN;
	uint64_t b = lv->unfenced_after_heal / 50;

	lt->seeds++;
	lt->over_1s += lv->longest > 1000;
	lt->over_2s += lv->longest > 2000;
	while (k > 0 && lt->worst[k - 1].gap < lv->longest) {
		if (k < LIVE_WORST_SHOWN)
			lt->worst[k] = lt->worst[k - 1];
		k--;
	}
	if (k < LIVE_WORST_SHOWN) {
		lt->worst[k].seed = seed;
		lt->worst[k].gap = lv->longest;
		lt->worst[k].at = lv->longest_at;
	}
	if (lv->unfenced_after_heal != SIM_NEVER &&
	    lv->unfenced_after_heal >= lt->heal_max) {
		lt->heal_max = lv->unfenced_after_heal;
		lt->heal_max_seed = seed;
	}
	lt->heal_hist[b < 63 ? b : 63]++;
}

static void live_add(struct live_totals *lt, uint64_t seed,
    const struct live *lv)
{
	live_add_class(&lt->c[0], seed, lv);
	if (!lv->disturbed)
		live_add_class(&lt->c[1], seed, lv);
	if (lv->gaps == 0)
		return;
	lt->gaps += lv->gaps;
	lt->gap_seeds++;
	lt->gap_le_hb += lv->gap_min <= GAP_SHORT_MS;
	if (lt->gap_seeds == 1 || lv->gap_min < lt->gap_min) {
		lt->gap_min = lv->gap_min;
		lt->gap_min_seed = seed;
	}
}

/* The time below which p percent of the seeds had an unfenced primary. */
static uint64_t live_heal_pct(const struct live_class *lt, unsigned p)
{
	uint64_t seen = 0;

	for (size_t b = 0; b < 64; b++) {
		seen += lt->heal_hist[b];
		if (seen * 100 >= lt->seeds * p)
			return (b + 1) * 50;
	}
	return UINT64_MAX;
}

static void live_print(const struct live_totals *t)
{
	printf("property: hand-overs: %" PRIu64 " in %" PRIu64 " seeds; "
	    "shortest gap from an old primary's last unfenced instant to the "
	    "new one's first %" PRIu64 " ms (seed %" PRIu64 "), at most %d ms "
	    "in %" PRIu64 " seeds\n", t->gaps, t->gap_seeds, t->gap_min,
	    t->gap_min_seed, GAP_SHORT_MS, t->gap_le_hb);
	static const char *const name[2] = { "all seeds",
	    "seeds without forgeries, default max_epoch_jump" };

	for (size_t c = 0; c < 2; c++) {
		const struct live_class *lt = &t->c[c];

		printf("property: liveness, %s (%" PRIu64 "): longest stretch "
		    "with a majority connected and no unfenced primary over "
		    "1 s in %" PRIu64 " seeds, over 2 s in %" PRIu64 "; worst:",
		    name[c], lt->seeds, lt->over_1s, lt->over_2s);
		for (size_t k = 0; k < LIVE_WORST_SHOWN; k++)
			if (lt->worst[k].gap > 0)
				printf(" seed %" PRIu64 " %" PRIu64 " ms at t=%"
				    PRIu64, lt->worst[k].seed,
				    lt->worst[k].gap, lt->worst[k].at);
		printf("\nproperty: liveness, %s: unfenced primary after the "
		    "last heal p50 <= %" PRIu64 " ms, p99 <= %" PRIu64 " ms, "
		    "max %" PRIu64 " ms (seed %" PRIu64 ")\n", name[c],
		    live_heal_pct(lt, 50), live_heal_pct(lt, 99), lt->heal_max,
		    lt->heal_max_seed);
	}
}

START_TEST(random_faults_stay_safe_and_heal_to_one_primary)
{
	uint64_t seeds = env_u64("KEVY_PROP_SEEDS", PROP_SEEDS_DEFAULT);
	uint64_t budget = env_u64("KEVY_PROP_SECONDS", 0);
	uint64_t one = env_u64("KEVY_PROP_SEED", 0), ran = 0, failed = 0;
	double t0 = wall_s(), dt;
	struct live lv;
	struct live_totals lt;

	memset(&lt, 0, sizeof(lt));
	if (getenv("KEVY_PROP_SEED") != NULL) {
		int rc = run_seed(one, true, &lv);

		printf("property: replayed seed %" PRIu64 ": %s\n", one,
		    rc == 0 ? "ok" : "FAILED");
		fflush(stdout);
		ck_assert_msg(rc == 0, "seed %" PRIu64 " failed", one);
		return;
	}
	for (uint64_t seed = 1; ran < seeds; seed++) {
		int rc;

		if (budget && wall_s() - t0 >= (double)budget)
			break;
		ran++;
		rc = run_seed(seed, false, &lv);
		live_add(&lt, seed, &lv);
		if (rc == 0)
			continue;
		failed++;
		fprintf(stderr, "property: seed %" PRIu64 " FAILED; replay:"
		    " KEVY_PROP_SEED=%" PRIu64 " CK_RUN_CASE=property"
		    " build/tests/check_property\n", seed, seed);
		if (failed >= env_u64("KEVY_PROP_FAILS", PROP_FAILS_MAX))
			break;
	}
	dt = wall_s() - t0;
	printf("property: %" PRIu64 " seeds run in %.1f s (%.0f seeds/s),"
	    " %" PRIu64 " failed\n", ran, dt, dt > 0 ? (double)ran / dt : 0.0,
	    failed);
	live_print(&lt);
	fflush(stdout);	/* a failed assertion ends this forked child */
	ck_assert_msg(failed == 0, "%" PRIu64 " of %" PRIu64 " seeds failed",
	    failed, ran);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elector-property");
	TCase *tc = tcase_create("property");
	SRunner *sr;
	uint64_t budget = env_u64("KEVY_PROP_SECONDS", 0);
	int failed;

	/* A soak runs as long as asked; a plain run well under a minute. */
	tcase_set_timeout(tc, budget ? (double)budget + 120 : 600);
	tcase_add_test(tc, random_faults_stay_safe_and_heal_to_one_primary);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
