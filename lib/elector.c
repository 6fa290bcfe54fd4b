/*
 * elector: the election state machine (spec sections 1-10 plus the local
 * policies listed in elector.h). Every change of epoch or vote is saved
 * through the injected store before any frame that depends on it is put
 * in the outbox; when the save fails the frame is not produced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elector_int.h"
#include "errbuf.h"
#include "rng.h"

/* A broadcast to every member but except (ELECTOR_NONE: to all). */
static void
out_send_except(struct elector_out *out, int to, int except,
    const struct wire_frame *f)
{
	/* Bounded by construction: at most 4 sends per call (see callers). */
	if (out->n_send < ELECTOR_OUT_MAX) {
		out->send[out->n_send].to = to;
		out->send[out->n_send].except = except;
		out->send[out->n_send].keepalive = false;
		out->send[out->n_send].frame = *f;
		out->n_send++;
	}
}

static void
out_send(struct elector_out *out, int to, const struct wire_frame *f)
{
	out_send_except(out, to, ELECTOR_NONE, f);
}

static void
out_event(struct elector_out *out, enum elector_event_kind kind,
    uint64_t epoch, int peer, uint64_t detail)
{
	if (out->n_event < ELECTOR_EVENTS_MAX) {
		struct elector_event *ev = &out->event[out->n_event++];

		ev->kind = kind;
		ev->epoch = epoch;
		ev->peer = peer;
		ev->detail = detail;
	}
}

/*
 * Out of the race: configured never to stand, its server is down, or it
 * lags further than max_lag_bytes behind the last primary offset heard.
 */
static bool
sits_out(const struct elector *e)
{
	return e->never_stand || !e->local_ok || elector_lags(e);
}

static const char *
my_id(const struct elector *e)
{
	return e->members[e->self].id;
}

static int
save(struct elector *e, uint64_t epoch, int vote, struct elector_out *out)
{
	const char *id = vote == ELECTOR_NONE ? NULL : e->members[vote].id;

	if (e->store.save(e->store.ctx, epoch, id) == -1) {
		e->save_failing = true;
		e->stats.save_failures++;
		out_event(out, ELECTOR_EV_SAVE_FAILED, epoch, vote, 0);
		return -1;
	}
	e->save_failing = false;
	e->stats.saves++;
	return 0;
}

void
elector_heartbeat(const struct elector *e, struct wire_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->verb = WIRE_HB;
	f->epoch = e->epoch;
	snprintf(f->id, sizeof(f->id), "%s", my_id(e));
	f->role = e->role;
	/* A never-stand node is out of the race: let nobody defer to it. */
	f->offset = sits_out(e) ? 0 : e->offset;
}

/*
 * A primary handing over tells its target alone to stand: its heartbeat
 * to the target says `candidate` at our epoch, which no node sends
 * otherwise (a candidacy takes a new epoch). The others still hear
 * `primary`, so they neither stand nor vote for anyone meanwhile.
 */
static bool
so_tells_target(const struct elector *e)
{
	return e->so_target != ELECTOR_NONE && e->so_released &&
	    e->role == WIRE_ROLE_PRIMARY;
}

void
elector_heartbeat_to(const struct elector *e, size_t to, struct wire_frame *f)
{
	elector_heartbeat(e, f);
	if (so_tells_target(e) && (int)to == e->so_target)
		f->role = WIRE_ROLE_CANDIDATE;
}

/* Any frame put out (keepalives aside) may feed a lease from now on. */
static void
plan_spoke(struct elector *e, uint64_t now, const struct elector_out *out)
{
	for (size_t i = 0; i < out->n_send; i++)
		if (!out->send[i].keepalive)
			elector_note_spoke(e, now);
}

/* Quiet: the heartbeat's place goes to a keepalive, to every peer. */
static void
send_keepalive(struct elector *e, const struct wire_frame *hb,
    struct elector_out *out)
{
	if (out->n_send >= ELECTOR_OUT_MAX)
		return;
	if (!e->was_quiet)
		e->stats.quiet_starts++;
	e->was_quiet = true;
	out_send(out, ELECTOR_BROADCAST, hb);
	out->send[out->n_send - 1].keepalive = true;
}

static void
send_hb(struct elector *e, struct elector_out *out)
{
	struct wire_frame f;

	if (e->n < 2)
		return;
	elector_heartbeat(e, &f);
	if (elector_is_quiet(e, e->last_now_ms)) {
		send_keepalive(e, &f, out);
		return;
	}
	e->was_quiet = false;
	if (!so_tells_target(e)) {
		out_send(out, ELECTOR_BROADCAST, &f);
		return;
	}
	out_send_except(out, ELECTOR_BROADCAST, e->so_target, &f);
	f.role = WIRE_ROLE_CANDIDATE;
	out_send(out, e->so_target, &f);
}

static void
clear_votes(struct elector *e)
{
	for (size_t i = 0; i < e->n; i++)
		e->peers[i].voted_for_me = false;
	e->votes = 0;
}

/* Leave the primary or candidate role: one place, so it is always logged. */
static void
step_down(struct elector *e, uint64_t now, struct elector_out *out)
{
	if (e->role == WIRE_ROLE_REPLICA)
		return;
	if (e->role == WIRE_ROLE_PRIMARY) {
		e->primary = ELECTOR_NONE;
		e->left_epoch = e->epoch;
		/* Give the cluster down_after to show us a new primary. */
		e->leader_ref_ms = now;
	}
	e->role = WIRE_ROLE_REPLICA;
	clear_votes(e);
	out_event(out, ELECTOR_EV_STEP_DOWN, e->epoch, ELECTOR_NONE, 0);
}

/* The switchover under way is over: forget it. */
static void
so_clear(struct elector *e)
{
	e->so_target = ELECTOR_NONE;
	e->so_released = false;
	e->so_voted = false;
}

/*
 * Called off or lost. Before our vote nothing else changed: we are the
 * primary again, unfenced (if the lease holds), and the target hears
 * `primary` from us at once.
 */
static void
so_fail(struct elector *e, enum elector_so_fail why, int peer,
    struct elector_out *out)
{
	bool resume = !e->so_voted && e->role == WIRE_ROLE_PRIMARY;

	e->stats.switchovers_failed++;
	out_event(out, ELECTOR_EV_SO_FAILED, e->epoch, peer, why);
	so_clear(e);
	if (resume)
		send_hb(e, out);
}

/* Follow p, which claimed primary in epoch (a heartbeat or ANNOUNCE). */
static void
follow(struct elector *e, int p, uint64_t epoch, const char *addr,
    uint64_t now, struct elector_out *out)
{
	step_down(e, now, out);
	if (e->primary != p)
		out_event(out, ELECTOR_EV_ADOPT, e->epoch, p, 0);
	e->primary = p;
	e->primary_epoch = epoch;
	e->primary_quiet = false;
	snprintf(e->primary_addr, sizeof(e->primary_addr), "%s", addr);
	e->primary_gone = false;
	e->leader_ref_ms = now;
	if (e->so_target == ELECTOR_NONE)
		return;
	if (p == e->so_target) {
		e->stats.switchovers_done++;
		out_event(out, ELECTOR_EV_SO_DONE, e->epoch, p, 0);
		so_clear(e);
	} else
		so_fail(e, ELECTOR_SO_OTHER_WON, p, out);
}

static void
win(struct elector *e, uint64_t now, struct elector_out *out)
{
	struct wire_frame f;

	e->role = WIRE_ROLE_PRIMARY;
	e->primary = (int)e->self;
	e->primary_epoch = e->epoch;
	e->primary_gone = false;
	snprintf(e->primary_addr, sizeof(e->primary_addr), "%s",
	    e->members[e->self].addr);
	e->quorum_ref_ms = now;
	e->won_ms = now;
	/* Our old primary voted for us: nobody else can hold a lease. */
	e->won_handoff = e->cand_from_voted;
	/* Every vote quiet: only our own last frames may still feed one. */
	e->hold_ms = elector_quiet_hold_ms(e, now);
	if (e->hold_ms == 0 && !e->won_handoff)
		e->stats.holds_skipped++;
	e->stats.elections_won++;
	out_event(out, ELECTOR_EV_WON, e->epoch, (int)e->self, e->votes);
	if (e->n < 2)
		return;
	memset(&f, 0, sizeof(f));
	f.verb = WIRE_ANNOUNCE;
	f.epoch = e->epoch;
	/* Writable at once: replicas may point their servers at ours now. */
	f.quiet = e->hold_ms == 0 || e->won_handoff;
	snprintf(f.id, sizeof(f.id), "%s", my_id(e));
	snprintf(f.addr, sizeof(f.addr), "%s", e->members[e->self].addr);
	out_send(out, ELECTOR_BROADCAST, &f);
}

/*
 * Is no live peer a better candidate (elector_rank.c)? One with a higher
 * offset is waited for while it lives. One better only by priority or by
 * the smaller id of a tie is waited for one election timeout: nothing on
 * the wire says whether it can stand (its server may be down, which shows
 * as offset 0 like a fresh node; it may be paused, or cut off), and
 * waiting on it for good could hold every election.
 */
static bool
am_best(const struct elector *e, uint64_t now)
{
	switch (elector_rank_waits_for(e, now)) {
	case ELECTOR_RANK_NONE:
		return true;
	case ELECTOR_RANK_FRESHER:
		return false;
	case ELECTOR_RANK_PREFERRED:
		break;
	}
	return e->tie_wait_ms != UINT64_MAX &&
	    now - e->tie_wait_ms >= e->t.election_timeout_ms;
}

/* A maintenance pause is on: no failover starts here. */
static bool
maint_active(const struct elector *e, uint64_t now)
{
	return e->maint_until_ms != 0 && now < e->maint_until_ms;
}

static bool
primary_is_down(const struct elector *e, uint64_t now)
{
	return e->primary_gone || now - e->leader_ref_ms >= e->t.down_after_ms;
}

/*
 * A node that just regained a majority (a partition healed) has not heard
 * everyone yet: its view of the primary is stale by up to an interval.
 * Standing on it would only disrupt, so wait two intervals.
 */
static uint64_t
settled_time(const struct elector *e)
{
	return e->visible_since_ms == UINT64_MAX ? UINT64_MAX :
	    e->visible_since_ms + 2 * e->t.hb_interval_ms;
}

/* Time-driven part of may_stand: when it could first be true. */
static uint64_t
stand_time(const struct elector *e)
{
	uint64_t t = e->backoff_until_ms;

	if (!e->primary_gone && e->leader_ref_ms + e->t.down_after_ms > t)
		t = e->leader_ref_ms + e->t.down_after_ms;
	if (settled_time(e) != UINT64_MAX && settled_time(e) > t)
		t = settled_time(e);
	if (e->round_until_ms > t)
		t = e->round_until_ms;
	if (e->maint_until_ms > t)
		t = e->maint_until_ms;
	if (elector_live_stand_after(e) != UINT64_MAX &&
	    elector_live_stand_after(e) > t)
		t = elector_live_stand_after(e);
	return t;
}

/* A candidacy takes the highest epoch seen plus one. */
static uint64_t
top_epoch(const struct elector *e)
{
	uint64_t top = e->epoch;

	for (size_t i = 0; i < e->n; i++)
		if (i != e->self && e->peers[i].view.epoch > top)
			top = e->peers[i].view.epoch;
	return top;
}

/*
 * Would a majority, ourselves included, take the OFFER of our candidacy
 * (top + 1)? A live peer more than max_epoch_jump below it would hold it:
 * its vote cannot come, and each failed candidacy would lift our epoch
 * one further from it, outrunning its walk when the jump is small. So a
 * replica waits: our heartbeats, a claim beyond or at the edge of its
 * reach, walk it up by a jump per window. A primary standing again
 * (edge_ok) may leave peers at the edge one epoch beyond reach: it wins
 * with the others, and its frames then walk those up.
 */
static bool
reach_quorum(const struct elector *e, uint64_t now, bool edge_ok)
{
	uint64_t top = top_epoch(e), jump = e->max_epoch_jump;
	size_t n = 1;

	if (jump == 0)
		return true;
	for (size_t i = 0; i < e->n; i++) {
		uint64_t d = top - e->peers[i].view.epoch;

		if (i != e->self && elector_peer_alive(e, i, now) &&
		    (d < jump || (edge_ok && d == jump)))
			n++;
	}
	return n >= e->quorum;
}

/* Everything may_stand asks but who is the best candidate. */
static bool
could_stand(const struct elector *e, uint64_t now)
{
	return e->role == WIRE_ROLE_REPLICA && !sits_out(e) &&
	    !maint_active(e, now) && now >= e->round_until_ms &&
	    now >= e->backoff_until_ms && primary_is_down(e, now) &&
	    now >= settled_time(e) && reach_quorum(e, now, false) &&
	    now >= elector_live_stand_after(e) &&
	    !elector_live_claimant(e, now);
}

static bool
may_stand(const struct elector *e, uint64_t now)
{
	return could_stand(e, now) && am_best(e, now);
}

/*
 * The wait on a better tied candidate starts when this node could stand
 * and starts over whenever the epoch moves (someone stood or won).
 */
static void
track_tie_wait(struct elector *e, uint64_t now)
{
	if (!could_stand(e, now))
		e->tie_wait_ms = UINT64_MAX;
	else if (e->tie_wait_ms == UINT64_MAX || e->tie_epoch != e->epoch) {
		e->tie_wait_ms = now;
		e->tie_epoch = e->epoch;
	}
}

/*
 * A voter's refusals for a candidate preferred by priority last one
 * election_timeout from when it knows no live primary (again whenever the
 * epoch moves): if the preferred node cannot stand, the next one wins.
 */
static void
track_rank_wait(struct elector *e, uint64_t now)
{
	if (e->role == WIRE_ROLE_PRIMARY ||
	    (e->primary != ELECTOR_NONE && !primary_is_down(e, now)))
		e->rank_wait_ms = UINT64_MAX;
	else if (e->rank_wait_ms == UINT64_MAX || e->rank_epoch != e->epoch) {
		e->rank_wait_ms = now;
		e->rank_epoch = e->epoch;
	}
}

static bool
rank_refusal_holds(const struct elector *e, uint64_t now)
{
	return e->rank_wait_ms == UINT64_MAX ||
	    now - e->rank_wait_ms < e->t.election_timeout_ms;
}

static void
stand(struct elector *e, uint64_t now, struct elector_out *out)
{
	struct wire_frame f;
	uint64_t top = top_epoch(e);

	if (top == UINT64_MAX)
		return;		/* no epoch left to stand in */
	/* Before the OFFER leaves: how long our last frames may feed a lease. */
	plan_spoke(e, now, out);
	e->cand_fed_until_ms = elector_quiet_fed_until(e, top + 1);
	if (save(e, top + 1, (int)e->self, out) == -1) {
		/* Retry on a later heartbeat, not in a loop. */
		e->backoff_until_ms = now + e->t.hb_interval_ms;
		return;
	}
	e->epoch = top + 1;
	e->voted_epoch = e->epoch;
	e->voted_for = (int)e->self;
	e->role = WIRE_ROLE_CANDIDATE;
	e->primary = ELECTOR_NONE;
	clear_votes(e);
	e->votes = 1;
	e->cand_from = ELECTOR_NONE;
	e->cand_from_voted = false;
	e->cand_start_ms = now;
	e->stats.elections_started++;
	out_event(out, ELECTOR_EV_CANDIDACY, e->epoch, (int)e->self, 0);
	if (e->votes >= e->quorum) {
		win(e, now, out);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.verb = WIRE_OFFER;
	f.epoch = e->epoch;
	snprintf(f.id, sizeof(f.id), "%s", my_id(e));
	f.offset = e->offset;
	out_send(out, ELECTOR_BROADCAST, &f);
}

/*
 * A replica that sits quietly at an epoch above ours (it voted in, or ran,
 * a candidacy that never produced a primary) follows us but cannot vouch
 * for our lease. Once it has been quiet longer than any standing node
 * stays quiet between candidacies, stand again above it: one round brings
 * every node to one epoch. A node that keeps standing (cut off from us
 * one way) raises its epoch each time and never qualifies. 0: none.
 */
static uint64_t
restand_time(const struct elector *e)
{
	uint64_t quiet = e->t.down_after_ms + e->t.election_timeout_ms +
	    e->t.backoff_ms + e->t.backoff_jitter_ms;
	uint64_t t = 0;

	for (size_t i = 0; i < e->n; i++) {
		const struct elector_peer *p = &e->peers[i];

		if (i != e->self && p->view.epoch > e->epoch &&
		    p->view.role == WIRE_ROLE_REPLICA &&
		    (t == 0 || p->epoch_since_ms + quiet < t))
			t = p->epoch_since_ms + quiet;
	}
	return t;
}

static bool
should_restand(const struct elector *e, uint64_t now)
{
	uint64_t t = restand_time(e);

	return e->role == WIRE_ROLE_PRIMARY && !sits_out(e) && t != 0 &&
	    now >= t && elector_is_writable(e, now) &&
	    reach_quorum(e, now, true);
}

static bool
should_abdicate(const struct elector *e, uint64_t now)
{
	uint64_t ref = elector_majority_heard_at(e);

	if (ref == UINT64_MAX)
		return false;
	if (ref < e->quorum_ref_ms)
		ref = e->quorum_ref_ms;
	return now - ref >= e->t.down_after_ms;
}

static uint64_t
earliest(uint64_t a, uint64_t b, uint64_t now)
{
	return b > now && b < a ? b : a;
}

static void
plan(struct elector *e, uint64_t now)
{
	uint64_t d = e->next_hb_ms;

	if (e->role == WIRE_ROLE_CANDIDATE)
		d = earliest(d, elector_live_cand_deadline(e, now), now);
	if (e->role == WIRE_ROLE_REPLICA && !sits_out(e))
		d = earliest(d, stand_time(e), now);
	if (e->so_target != ELECTOR_NONE)
		d = earliest(d, e->so_deadline_ms, now);
	if (e->maint_until_ms != 0)
		d = earliest(d, e->maint_until_ms, now);
	if (e->role == WIRE_ROLE_PRIMARY) {
		uint64_t at = elector_majority_heard_at(e);

		d = earliest(d, e->won_ms + elector_hold_ms(e), now);
		d = earliest(d, restand_time(e), now);
		if (at != UINT64_MAX) {
			d = earliest(d, elector_lease_until(e), now);
			if (at < e->quorum_ref_ms)
				at = e->quorum_ref_ms;
			d = earliest(d, at + e->t.down_after_ms, now);
		}
	}
	/* Peers going DOWN change the down set, quorum and who is best. */
	for (size_t i = 0; i < e->n; i++) {
		const struct elector_peer_view *v = &e->peers[i].view;

		if (i != e->self && v->heard) {
			d = earliest(d, v->last_heard_ms + e->t.down_after_ms, now);
			d = earliest(d, e->peers[i].vouch_ms + e->t.lease_ms,
			    now);
		}
	}
	e->next_deadline_ms = d;
}

/*
 * The pause is over: a primary whose local server died meanwhile steps
 * down now, as it would have without the pause.
 */
static void
maint_stop(struct elector *e, enum elector_maint_end why, uint64_t now,
    struct elector_out *out)
{
	e->maint_until_ms = 0;
	out_event(out, ELECTOR_EV_MAINT_END, e->epoch, ELECTOR_NONE, why);
	if (!e->local_ok && e->role != WIRE_ROLE_REPLICA)
		step_down(e, now, out);
}

/* Whatever time alone can trigger, then the next deadline. */
static void
step(struct elector *e, uint64_t now, struct elector_out *out)
{
	if (!elector_has_quorum(e, now))
		e->visible_since_ms = UINT64_MAX;
	else if (e->visible_since_ms == UINT64_MAX)
		e->visible_since_ms = now;
	if (e->maint_until_ms != 0 && now >= e->maint_until_ms)
		maint_stop(e, ELECTOR_MAINT_EXPIRED, now, out);
	else if (e->maint_until_ms != 0 && !elector_has_quorum(e, now))
		maint_stop(e, ELECTOR_MAINT_NO_MAJORITY, now, out);
	if (e->so_target != ELECTOR_NONE && now >= e->so_deadline_ms)
		so_fail(e, ELECTOR_SO_TIMEOUT, e->so_target, out);
	else if (e->so_target != ELECTOR_NONE && !e->so_voted &&
	    e->role != WIRE_ROLE_PRIMARY)
		so_fail(e, ELECTOR_SO_LOST_ROLE, e->so_target, out);

	if (e->role == WIRE_ROLE_CANDIDATE &&
	    now >= elector_live_cand_deadline(e, now)) {
		uint64_t wait = e->t.backoff_ms;

		if (e->t.backoff_jitter_ms > 0)
			wait += rng_next(&e->rng) % e->t.backoff_jitter_ms;
		e->backoff_until_ms = now + wait;
		e->stats.elections_failed++;
		out_event(out, ELECTOR_EV_TIMEOUT, e->epoch, ELECTOR_NONE, wait);
		step_down(e, now, out);
	}
	if (e->role == WIRE_ROLE_PRIMARY && should_abdicate(e, now)) {
		e->stats.abdications++;
		out_event(out, ELECTOR_EV_ABDICATE, e->epoch, ELECTOR_NONE, 0);
		/* Our next heartbeat says replica: they may stand at once. */
		step_down(e, now, out);
	}
	if (should_restand(e, now)) {
		e->stats.restands++;
		stand(e, now, out);
	}
	/* While primary, our own data is what a replica's lag counts from. */
	if (e->role == WIRE_ROLE_PRIMARY && e->local_ok && e->offset != 0)
		e->primary_offset = e->offset;
	/* Say when the lag limit starts or stops keeping us out of the race. */
	if (elector_lags(e) != e->lagging) {
		e->lagging = !e->lagging;
		out_event(out, ELECTOR_EV_LAG_LIMIT, e->epoch, e->primary,
		    e->lagging);
	}
	track_tie_wait(e, now);
	track_rank_wait(e, now);
	if (may_stand(e, now))
		stand(e, now, out);
}

/* Every entry point: clamp time, detect a pause (TILT), reset the outbox. */
static uint64_t
enter(struct elector *e, uint64_t now, struct elector_out *out)
{
	uint64_t gap;

	memset(out, 0, sizeof(*out));
	if (now < e->last_now_ms)
		now = e->last_now_ms;
	gap = now - e->last_now_ms;
	if (gap > e->t.pause_threshold_ms) {
		/* Time we did not watch does not count as silence. */
		uint64_t heard = elector_majority_heard_at(e);

		e->leader_ref_ms += gap;
		/* Keep the silence watched before the pause, drop the pause. */
		if (heard != UINT64_MAX && heard > e->quorum_ref_ms)
			e->quorum_ref_ms = heard;
		e->quorum_ref_ms += gap;
		/* Frames queued while we slept arrive now: none vouches. */
		for (size_t i = 0; i < e->n; i++)
			e->peers[i].quarantine_until_ms = now +
			    e->t.hb_interval_ms;
		e->stats.pauses++;
		out_event(out, ELECTOR_EV_PAUSE, e->epoch, ELECTOR_NONE, gap);
	}
	e->last_now_ms = now;
	return now;
}

/*
 * Leave every entry point through here: the periodic heartbeat if due, and
 * an extra one whenever epoch or role changed, so an old primary learns at
 * once that this node moved on and stops counting it towards its lease.
 */
static void
leave(struct elector *e, uint64_t now, uint64_t epoch0, enum wire_role role0,
    struct elector_out *out)
{
	bool sent = false, offered = false;

	for (size_t i = 0; i < out->n_send; i++) {
		if (out->send[i].frame.verb == WIRE_HB)
			sent = true;
		if (out->send[i].frame.verb == WIRE_OFFER)
			offered = true;
	}
	plan_spoke(e, now, out);
	if (now >= e->next_hb_ms) {
		struct wire_frame f;

		e->next_hb_ms += e->t.hb_interval_ms;
		if (e->next_hb_ms <= now)
			e->next_hb_ms = now + e->t.hb_interval_ms;
		if (!sent)
			send_hb(e, out);
		/* A candidacy asks again for the votes it lacks. */
		if (!offered && elector_live_reoffer(e, &f))
			out_send(out, ELECTOR_BROADCAST, &f);
	} else if (!sent && (e->epoch != epoch0 || e->role != role0))
		send_hb(e, out);
	plan_spoke(e, now, out);
	plan(e, now);
}

void
elector_tick(struct elector *e, uint64_t now, struct elector_out *out)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;

	now = enter(e, now, out);
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
}

static void on_offer(struct elector *, int, const struct wire_frame *,
    uint64_t, struct elector_out *);

/*
 * Our primary, still at the epoch we follow it in, says `candidate` to us
 * alone: it hands its role over to us (a switchover), has fenced itself
 * and waits for our OFFER to vote for it. Stand at once, whoever else
 * might be a better candidate: the primary chose, and the votes still
 * decide. Only what makes a candidacy hopeless stops us.
 */
static void
handoff_stand(struct elector *e, int x, uint64_t now, struct elector_out *out)
{
	if (sits_out(e) || !elector_has_quorum(e, now) ||
	    !reach_quorum(e, now, false))
		return;
	stand(e, now, out);
	if (e->role == WIRE_ROLE_REPLICA)
		return;		/* the save failed */
	e->cand_from = x;
	e->stats.handoffs++;
	out_event(out, ELECTOR_EV_HANDOFF, e->epoch, x, 0);
}

/*
 * The last OFFER we refused: vote for it after all if our primary has
 * just been seen voting in its epoch (a switchover's primary votes for
 * its target first), while the candidacy can still win.
 */
static void
vote_deferred(struct elector *e, uint64_t now, struct elector_out *out)
{
	struct wire_frame f = e->deferred_offer;

	if (!e->deferred || now - e->deferred_ms >= e->t.election_timeout_ms)
		return;
	e->deferred = false;
	e->stats.votes_deferred++;
	on_offer(e, e->deferred_from, &f, now, out);
}

static void
on_hb(struct elector *e, int x, const struct wire_frame *f, uint64_t was,
    uint64_t now, struct elector_out *out)
{
	/* Our primary standing again to lift its epoch is still alive. */
	if (f->role == WIRE_ROLE_CANDIDATE && x == e->primary &&
	    e->role == WIRE_ROLE_REPLICA) {
		e->leader_ref_ms = now;
		/* At its old epoch: not a candidacy but a hand-off to us. */
		if (f->epoch == was && f->epoch <= e->epoch)
			handoff_stand(e, x, now, out);
		return;
	}
	if (f->role != WIRE_ROLE_PRIMARY) {
		if (x == e->primary) {
			/* The primary of our epoch left it. */
			if (e->primary_epoch == e->epoch)
				e->left_epoch = e->epoch;
			/* It abdicated or moved on: do not wait down_after. */
			e->primary = ELECTOR_NONE;
			e->primary_gone = true;
			e->lost_primary = x;
			e->lost_primary_until_ms = now + e->t.down_after_ms;
			out_event(out, ELECTOR_EV_PRIMARY_LOST, e->epoch, x, 0);
			/*
			 * At a higher epoch it voted there: a candidacy is
			 * under way (a switchover's target). Give it its
			 * election_timeout, and vote for it.
			 */
			if (f->epoch > e->epoch) {
				e->round_epoch = f->epoch;
				e->round_until_ms = now +
				    e->t.election_timeout_ms;
				vote_deferred(e, now, out);
			}
		}
		return;
	}
	if (f->epoch > e->epoch) {
		if (save(e, f->epoch, ELECTOR_NONE, out) == -1) {
			/* Cannot follow, but must not keep authority either. */
			step_down(e, now, out);
			return;
		}
		e->epoch = f->epoch;
		follow(e, x, f->epoch, e->members[x].addr, now, out);
		return;
	}
	if (x == e->primary) {
		e->leader_ref_ms = now;
		return;
	}
	/*
	 * Two primaries in one epoch: only a node that lost its disk (and so
	 * its vote) can cause it. Neither would ever yield by the spec's
	 * rules; the higher id yields, deterministically, and follows.
	 */
	if (e->role == WIRE_ROLE_PRIMARY && f->epoch == e->epoch &&
	    strcmp(my_id(e), e->members[x].id) > 0) {
		e->stats.rivals_yielded++;
		step_down(e, now, out);
		follow(e, x, f->epoch, e->members[x].addr, now, out);
		return;
	}
	/* Spec 2 (equal epoch), and a lagging primary while we know none. */
	if (e->role == WIRE_ROLE_REPLICA && e->primary == ELECTOR_NONE) {
		follow(e, x, f->epoch, e->members[x].addr, now, out);
		return;
	}
	e->stats.frames_ignored++;
}

static bool
vote_is_sticky(const struct elector *e, int c, uint64_t now)
{
	if (e->role == WIRE_ROLE_PRIMARY)
		return elector_is_writable(e, now);
	/* Our own primary re-standing to lift its epoch: help it. */
	return e->primary != ELECTOR_NONE && e->primary != c &&
	    !e->primary_gone && now - e->leader_ref_ms < e->sticky_ms;
}

/*
 * Would we refuse this candidate for a better one (spec 4, with the
 * priority order of elector_rank.c)? Our own primary re-standing holds
 * the data: no race. An OFFER further than max_lag_bytes behind the last
 * primary offset we heard is refused. A switchover's target, and a
 * candidate of the round our old primary voted in, have no tie-break or
 * priority to win: the primary chose them, and they hold at least our
 * offset. A refusal for a candidate preferred by priority (ourselves or
 * a live peer) lasts one election_timeout (track_rank_wait). A paused
 * node (maintenance) is no candidate: it votes as one that sits out.
 */
static bool
offer_is_worse(struct elector *e, int c, const struct wire_frame *f,
    uint64_t now)
{
	bool chosen = (c == e->so_target && e->so_released) ||
	    (f->epoch == e->round_epoch && now < e->round_until_ms);

	if (c == e->primary)
		return false;
	if (elector_rank_lags(e, f->offset)) {
		e->stats.rank_refusals++;
		return true;
	}
	if (chosen)
		return !sits_out(e) && e->offset > f->offset;
	/* Paused, we will not stand: refusing for ourselves holds all up. */
	switch (elector_rank_objects(e, (size_t)c, f->offset,
	    !sits_out(e) && !maint_active(e, now), now)) {
	case ELECTOR_RANK_NONE:
		return false;
	case ELECTOR_RANK_FRESHER:
		return true;
	case ELECTOR_RANK_PREFERRED:
		break;
	}
	if (!rank_refusal_holds(e, now))
		return false;
	e->stats.rank_refusals++;
	return true;
}

static void
on_offer(struct elector *e, int c, const struct wire_frame *f, uint64_t now,
    struct elector_out *out)
{
	struct wire_frame r;

	/* Our candidate asking again: our ACCEPT may have been lost. */
	if (elector_live_reaccept(e, c, f, &r)) {
		out_send(out, c, &r);
		return;
	}
	if (f->epoch <= e->epoch || f->epoch <= e->voted_epoch) {
		e->stats.frames_ignored++;
		return;
	}
	/* Our primary standing above the epoch it was primary in left it. */
	if (c == e->primary && e->primary_epoch == e->epoch)
		e->left_epoch = e->epoch;
	/* Handing over: our vote is for the target alone, once it may stand. */
	if (e->so_target != ELECTOR_NONE && (c != e->so_target ||
	    !e->so_released)) {
		e->stats.votes_refused++;
		return;
	}
	/*
	 * Refused, but kept: should our primary turn out to have voted in
	 * that epoch (a switchover), the tie-break and stickiness no longer
	 * stand in the way; vote_deferred asks everything again.
	 */
	if (offer_is_worse(e, c, f, now) || vote_is_sticky(e, c, now)) {
		e->stats.votes_refused++;
		e->deferred = true;
		e->deferred_from = c;
		e->deferred_ms = now;
		e->deferred_offer = *f;
		return;
	}
	/* Persist the vote before it leaves, or a crash could vote twice. */
	if (save(e, f->epoch, c, out) == -1)
		return;
	e->epoch = f->epoch;
	e->voted_epoch = f->epoch;
	e->voted_for = c;
	if (c == e->so_target)
		e->so_voted = true;	/* no way back to our epoch */
	e->deferred = false;
	/*
	 * Marked quiet when none of our earlier frames (those planned in
	 * this call too) still feeds a lease: later ones carry this epoch.
	 */
	plan_spoke(e, now, out);
	e->voted_quiet = elector_quiet_vote(e, f->epoch, now);
	step_down(e, now, out);
	e->primary = ELECTOR_NONE;
	e->stats.votes_cast++;
	if (e->voted_quiet)
		e->stats.votes_quiet++;
	out_event(out, ELECTOR_EV_VOTE, e->epoch, c, 0);
	memset(&r, 0, sizeof(r));
	r.verb = WIRE_ACCEPT;
	r.epoch = e->epoch;
	r.quiet = e->voted_quiet;
	snprintf(r.id, sizeof(r.id), "%s", my_id(e));
	out_send(out, c, &r);
}

static void
on_accept(struct elector *e, int v, const struct wire_frame *f, uint64_t now,
    struct elector_out *out)
{
	if (e->role != WIRE_ROLE_CANDIDATE || f->epoch != e->epoch ||
	    e->peers[v].voted_for_me) {
		e->stats.frames_ignored++;
		return;
	}
	e->peers[v].voted_for_me = true;
	e->peers[v].vote_quiet = f->quiet;
	if ((int)v == e->cand_from)
		e->cand_from_voted = true;
	e->votes++;
	if (e->votes >= e->quorum)
		win(e, now, out);
}

static void
on_announce(struct elector *e, int p, const struct wire_frame *f,
    uint64_t now, struct elector_out *out)
{
	if (f->epoch < e->epoch || (f->epoch == e->epoch &&
	    (p == e->primary || e->role == WIRE_ROLE_PRIMARY))) {
		if (p == e->primary && e->role == WIRE_ROLE_REPLICA)
			e->leader_ref_ms = now;
		e->stats.frames_ignored++;
		return;
	}
	/* Our vote already says (epoch, p): a second fsync buys nothing. */
	if ((f->epoch != e->voted_epoch || p != e->voted_for) &&
	    save(e, f->epoch, p, out) == -1) {
		step_down(e, now, out);
		return;
	}
	e->epoch = f->epoch;
	e->voted_epoch = f->epoch;
	e->voted_for = p;
	follow(e, p, f->epoch, f->addr, now, out);
	e->primary_quiet = f->quiet;
}

/*
 * A heartbeat of the switchover's target: once it shows our offset, in a
 * heartbeat received at least an interval after we fenced (so it counts
 * what the local server took before the fence reached it), tell it to
 * stand.
 */
static void
so_check(struct elector *e, int x, const struct wire_frame *f, uint64_t now,
    struct elector_out *out)
{
	struct wire_frame hb;

	if (x != e->so_target || e->so_released ||
	    e->role != WIRE_ROLE_PRIMARY || f->role != WIRE_ROLE_REPLICA ||
	    f->epoch > e->epoch || f->offset < e->offset ||
	    now - e->so_start_ms < e->t.hb_interval_ms)
		return;
	e->so_released = true;
	out_event(out, ELECTOR_EV_SO_RELEASE, e->epoch, x, f->offset);
	elector_heartbeat_to(e, (size_t)x, &hb);
	out_send(out, x, &hb);
}

/* Within max_epoch_jump of ours (or no limit): a frame we may apply. */
static bool
epoch_is_near(const struct elector *e, uint64_t epoch)
{
	return e->max_epoch_jump == 0 || epoch <= e->epoch ||
	    epoch - e->epoch <= e->max_epoch_jump;
}

static uint64_t
confirm_ms(const struct elector *e)
{
	return ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS * e->t.down_after_ms;
}

/*
 * Take a raised epoch on x's confirmed claim: saved first (no vote in
 * it), and a primary or candidate steps down, since someone at the higher
 * epoch may be primary. Every claim window restarts, so however many ids
 * claim, the epoch moves at most one step per window.
 */
static int
raise_epoch(struct elector *e, int x, uint64_t to, uint64_t now,
    struct elector_out *out)
{
	uint64_t from = e->epoch;

	if (save(e, to, ELECTOR_NONE, out) == -1) {
		/* Cannot follow, but must not keep authority either. */
		step_down(e, now, out);
		return -1;
	}
	e->epoch = to;
	e->stats.epochs_raised++;
	out_event(out, ELECTOR_EV_EPOCH_RAISED, to, x, from);
	step_down(e, now, out);
	for (size_t i = 0; i < e->n; i++)
		if (e->peers[i].view.claim_epoch != 0)
			e->peers[i].view.claim_since_ms = now;
	return 0;
}

/*
 * x sent a frame at epoch, at least max_epoch_jump above ours: record the
 * claim, and raise our epoch once it is confirmed. A forged frame sent
 * once goes stale (no follow-up within down_after); a real peer repeats
 * its epoch in every heartbeat. Without authentication a confirmed claim
 * moves us by at most max_epoch_jump, so a forger that keeps claiming
 * 2^64-1 moves us that much per window and no more. Returns whether our
 * epoch was raised.
 */
static bool
claim(struct elector *e, int x, uint64_t epoch, uint64_t now,
    struct elector_out *out)
{
	struct elector_peer_view *v = &e->peers[x].view;
	uint64_t to;

	if (v->claim_epoch == 0 || now - v->claim_last_ms > e->t.down_after_ms)
		v->claim_since_ms = now;
	v->claim_epoch = epoch;
	v->claim_last_ms = now;
	if (!e->peers_authenticated && now - v->claim_since_ms < confirm_ms(e))
		return false;
	/*
	 * Beyond reach (held), both targets stay below the claim, so the
	 * frame is then applied as what it is, a frame from a higher epoch
	 * (an HB of a primary or an ANNOUNCE is followed, an OFFER may get
	 * our vote). At the edge of reach (applied already) the claim itself
	 * is one jump up. No overflow: epoch >= ours + jump.
	 */
	if (epoch - e->epoch == e->max_epoch_jump)
		to = epoch;
	else
		to = e->peers_authenticated ? epoch - 1 :
		    e->epoch + e->max_epoch_jump;
	return raise_epoch(e, x, to, now, out) == 0;
}

/*
 * Exactly max_epoch_jump above us: we still apply its frames, but an
 * OFFER one epoch higher from it would be held. A replica without a live
 * primary that sat there would never move (no frame is beyond reach)
 * while that peer, waiting for its vote (reach_quorum), never stands; so
 * such frames count as a claim too. A replica that follows a live primary
 * leaves it alone: raising would withdraw its vouch for that primary's
 * lease, and the primary stands again above the peer instead.
 */
static bool
claims_at_edge(const struct elector *e, uint64_t epoch, uint64_t now)
{
	return e->max_epoch_jump != 0 && e->role == WIRE_ROLE_REPLICA &&
	    (e->primary == ELECTOR_NONE || primary_is_down(e, now)) &&
	    epoch > e->epoch && epoch - e->epoch == e->max_epoch_jump;
}

enum elector_verdict
elector_on_frame(struct elector *e, const struct wire_frame *f, uint64_t now,
    struct elector_out *out)
{
	int x = elector_member_find(e, f->id);

	if (x == ELECTOR_NONE || (size_t)x == e->self) {
		uint64_t epoch0 = e->epoch;
		enum wire_role role0 = e->role;

		/* Nothing changes; time moves on as in any call. */
		now = enter(e, now, out);
		leave(e, now, epoch0, role0, out);
		return x == ELECTOR_NONE ? ELECTOR_FRAME_NOT_MEMBER :
		    ELECTOR_FRAME_FROM_SELF;
	}
	return elector_on_member_frame(e, (size_t)x, f, now, out);
}

enum elector_verdict
elector_on_member_frame(struct elector *e, size_t x,
    const struct wire_frame *f, uint64_t now, struct elector_out *out)
{
	uint64_t epoch0 = e->epoch, was;
	enum wire_role role0 = e->role;
	struct elector_peer_view *v;

	now = enter(e, now, out);
	v = &e->peers[x].view;
	was = v->epoch;
	/*
	 * Forged, or a real peer far ahead: following it at once would let
	 * one forged frame use up the epoch space; refusing it for good
	 * would cut us off from a cluster that really is there. Hold it.
	 */
	if (!epoch_is_near(e, f->epoch) && (!claim(e, x, f->epoch, now, out) ||
	    !epoch_is_near(e, f->epoch))) {
		e->stats.frames_held++;
		leave(e, now, epoch0, role0, out);
		return ELECTOR_FRAME_HELD;
	}
	/*
	 * After a gap in a peer's stream (a partition, a slow link) TCP may
	 * hand over a backlog of old frames at once: they prove it lived,
	 * but only frames from one interval later vouch for a lease.
	 */
	if (v->heard && now - v->last_heard_ms > e->t.pause_threshold_ms)
		e->peers[x].quarantine_until_ms = now + e->t.hb_interval_ms;
	if (now >= e->peers[x].quarantine_until_ms)
		e->peers[x].vouch_ms = now;
	v->heard = true;
	v->last_heard_ms = now;
	/*
	 * A heartbeat states the sender's epoch now (it is lower only after
	 * a wiped disk); other frames can only show it higher.
	 */
	if (f->epoch > v->epoch || (f->verb == WIRE_HB && f->epoch != v->epoch)) {
		v->epoch = f->epoch;
		e->peers[x].epoch_since_ms = now;
	}
	switch (f->verb) {
	case WIRE_HB:
		v->role = f->role;
		v->offset = f->offset;
		on_hb(e, x, f, was, now, out);
		/* 0: a primary that sits out; not where its data is. */
		if (f->role == WIRE_ROLE_PRIMARY && e->primary == (int)x &&
		    f->offset != 0)
			e->primary_offset = f->offset;
		so_check(e, (int)x, f, now, out);
		break;
	case WIRE_OFFER:
		v->role = WIRE_ROLE_CANDIDATE;
		v->offset = f->offset;
		on_offer(e, x, f, now, out);
		break;
	case WIRE_ACCEPT:
		on_accept(e, x, f, now, out);
		break;
	case WIRE_ANNOUNCE:
		v->role = WIRE_ROLE_PRIMARY;
		on_announce(e, x, f, now, out);
		break;
	}
	/* Else a frame within reach ends the sender's claim, forged or not. */
	if (claims_at_edge(e, f->epoch, now))
		claim(e, x, f->epoch, now, out);
	else
		v->claim_epoch = 0;
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
	return ELECTOR_FRAME_APPLIED;
}

void
elector_on_keepalive(struct elector *e, size_t x, uint64_t now,
    struct elector_out *out)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;

	now = enter(e, now, out);
	/*
	 * Alive, for down_after and quorum; never for a lease. Only a
	 * replica goes quiet: whatever it last claimed, it is a replica now
	 * (a stale `primary` kept alive by keepalives would hold every
	 * candidacy back, elector_live_claimant), and if it was our primary
	 * it has left that role, as a heartbeat saying replica would show.
	 */
	if (x < e->n && x != e->self) {
		e->peers[x].view.heard = true;
		e->peers[x].view.last_heard_ms = now;
		e->peers[x].view.role = WIRE_ROLE_REPLICA;
		if ((int)x == e->primary && e->role == WIRE_ROLE_REPLICA) {
			if (e->primary_epoch == e->epoch)
				e->left_epoch = e->epoch;
			e->primary = ELECTOR_NONE;
			e->primary_gone = true;
			e->lost_primary = (int)x;
			e->lost_primary_until_ms = now + e->t.down_after_ms;
			out_event(out, ELECTOR_EV_PRIMARY_LOST, e->epoch,
			    (int)x, 0);
		}
	}
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
}

void
elector_link_up(struct elector *e, size_t to, uint64_t now,
    struct elector_send *s)
{
	s->to = (int)to;
	s->except = ELECTOR_NONE;
	elector_heartbeat_to(e, to, &s->frame);
	/*
	 * Without authentication a connection learns its sender from its
	 * first frame: a keepalive first would leave us unheard on it for
	 * as long as we stay quiet (the nemesis found a majority in which
	 * every node took the others for down). So a heartbeat, noted as
	 * spoken: our next vote then carries no mark.
	 */
	s->keepalive = elector_is_quiet(e, now) && e->peers_authenticated;
	if (!s->keepalive)
		elector_note_spoke(e, now);
}

void
elector_set_offset(struct elector *e, uint64_t offset)
{
	e->offset = offset;
}

void
elector_set_local(struct elector *e, bool ok, uint64_t now,
    struct elector_out *out)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;

	now = enter(e, now, out);
	if (e->local_ok != ok) {
		e->local_ok = ok;
		out_event(out, ok ? ELECTOR_EV_LOCAL_UP : ELECTOR_EV_LOCAL_DOWN,
		    e->epoch, ELECTOR_NONE, 0);
		/*
		 * A sidecar must never keep a dead server primary; but a
		 * maintenance pause is for restarting it.
		 */
		if (!ok && e->role != WIRE_ROLE_REPLICA &&
		    !(e->role == WIRE_ROLE_PRIMARY && maint_active(e, now)))
			step_down(e, now, out);
	}
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
}

bool
elector_local_ok(const struct elector *e)
{
	return e->local_ok;
}

static int
config_check(const struct elector_config *c, char *err, size_t errlen)
{
	if (c->n_members == 0 || c->n_members > ELECTOR_MEMBERS_MAX)
		return errbuf_set(err, errlen, "members: need 1 to 256");
	if (c->self >= c->n_members)
		return errbuf_set(err, errlen, "self is not a member");
	for (size_t i = 0; i < c->n_members; i++) {
		const struct elector_member *m = &c->members[i];

		if (!wire_id_is_valid(m->id, strnlen(m->id, sizeof(m->id))))
			return errbuf_set(err, errlen, "members: bad node id");
		/* elect.meta writes "voted -" for no vote. */
		if (strcmp(m->id, "-") == 0)
			return errbuf_set(err, errlen,
			    "members: node id \"-\" is reserved");
		if (m->priority > ELECTOR_PRIORITY_MAX)
			return errbuf_set(err, errlen,
			    "members: priority above %d", ELECTOR_PRIORITY_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->members[j].id, m->id) == 0)
				return errbuf_set(err, errlen,
				    "members: duplicate node id");
	}
	return 0;
}

struct elector *
elector_new(const struct elector_config *c, const struct elector_store *s,
    const struct elector_saved *saved, uint64_t now, char *err, size_t errlen)
{
	struct elector *e;

	if (config_check(c, err, errlen) == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->members = calloc(c->n_members, sizeof(*e->members))) == NULL ||
	    (e->peers = calloc(c->n_members, sizeof(*e->peers))) == NULL) {
		elector_free(e);
		errbuf_set(err, errlen, "out of memory");
		return NULL;
	}
	e->t = c->timing;
	if (elector_timing_check(&e->t, err, errlen) == -1) {
		elector_free(e);
		return NULL;
	}
	memcpy(e->members, c->members, c->n_members * sizeof(*e->members));
	e->n = c->n_members;
	e->self = c->self;
	e->quorum = e->n / 2 + 1;
	e->sticky_ms = e->t.down_after_ms - e->t.hb_interval_ms;
	e->never_stand = c->never_stand || c->members[c->self].never_stand;
	e->local_ok = true;
	e->want_primary = c->want_primary;
	e->max_epoch_jump = c->max_epoch_jump;
	e->peers_authenticated = c->peers_authenticated;
	e->priority_lag_bytes = c->priority_lag_bytes;
	e->max_lag_bytes = c->max_lag_bytes;
	e->rank_wait_ms = UINT64_MAX;
	e->quiet_ms = c->quiet_off ? 0 : elector_timing_quiet_ms(&e->t);
	/* Frames sent before a restart may still feed a lease: count them. */
	e->spoke_ms = now;
	e->hold_ms = e->t.lease_ms + e->t.hb_interval_ms;
	e->store = *s;
	e->rng = c->seed;
	e->voted_for = ELECTOR_NONE;
	/* Spec 10: whatever the config prefers, start as a replica. */
	e->role = WIRE_ROLE_REPLICA;
	e->epoch = 1;
	if (saved != NULL) {
		if (saved->epoch > 1)
			e->epoch = saved->epoch;
		if (saved->has_vote) {
			e->voted_epoch = e->epoch;
			e->voted_for = elector_member_find(e, saved->vote);
		}
	}
	e->primary = ELECTOR_NONE;
	e->lost_primary = ELECTOR_NONE;
	e->so_target = ELECTOR_NONE;
	e->cand_from = ELECTOR_NONE;
	e->deferred_from = ELECTOR_NONE;
	e->visible_since_ms = UINT64_MAX;
	e->tie_wait_ms = UINT64_MAX;
	e->leader_ref_ms = now;
	e->quorum_ref_ms = now;
	e->next_hb_ms = now;
	e->last_now_ms = now;
	e->next_deadline_ms = now;
	return e;
}

void
elector_free(struct elector *e)
{
	if (e == NULL)
		return;
	free(e->members);
	free(e->peers);
	free(e);
}

int
elector_switchover_target(const struct elector *e)
{
	return e->so_target;
}

/* Everything that makes a switchover to t hopeless, as a sentence. */
static int
so_refuse(const struct elector *e, int t, uint64_t now, char *why,
    size_t len)
{
	const struct elector_peer_view *v;

	if (e->role != WIRE_ROLE_PRIMARY)
		return errbuf_set(why, len, "not primary");
	if (e->so_target != ELECTOR_NONE)
		return errbuf_set(why, len, "switchover to %s already under way",
		    e->members[e->so_target].id);
	if (!elector_is_writable(e, now))
		return errbuf_set(why, len, "this primary is fenced (no lease, "
		    "or still in its hold after winning): nothing to hand over");
	if (t == ELECTOR_NONE)
		return errbuf_set(why, len, "no eligible replica: none is up, "
		    "following us as a replica and allowed to stand");
	if (t < 0 || (size_t)t >= e->n)
		return errbuf_set(why, len, "no such member");
	if ((size_t)t == e->self)
		return errbuf_set(why, len, "%s is this node, already primary",
		    e->members[t].id);
	v = &e->peers[t].view;
	if (e->members[t].never_stand)
		return errbuf_set(why, len, "%s is never_stand: it cannot be "
		    "primary", e->members[t].id);
	if (!elector_peer_alive(e, (size_t)t, now))
		return errbuf_set(why, len, "%s is down", e->members[t].id);
	if (v->role != WIRE_ROLE_REPLICA || v->epoch > e->epoch)
		return errbuf_set(why, len, "%s is not a replica following us "
		    "(role=%s epoch=%llu)", e->members[t].id,
		    wire_role_label(v->role), (unsigned long long)v->epoch);
	return 0;
}

int
elector_switchover(struct elector *e, int target, uint64_t deadline,
    uint64_t now, struct elector_out *out, char *why, size_t len)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;
	int rc;

	now = enter(e, now, out);
	if (target == ELECTOR_NONE && e->role == WIRE_ROLE_PRIMARY &&
	    e->so_target == ELECTOR_NONE)
		target = elector_switchover_pick(e, now);
	if ((rc = so_refuse(e, target, now, why, len)) == 0) {
		/* Fenced from here on: elector_is_writable says no. */
		e->so_target = target;
		e->so_released = e->so_voted = false;
		e->so_start_ms = now;
		e->so_deadline_ms = deadline > now ? deadline : now + 1;
		e->stats.switchovers++;
		out_event(out, ELECTOR_EV_SWITCHOVER, e->epoch, target, 0);
	}
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
	return rc;
}

int
elector_maint_start(struct elector *e, uint64_t until, uint64_t now,
    struct elector_out *out)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;
	int rc = -1;

	now = enter(e, now, out);
	if (elector_has_quorum(e, now) && until > now) {
		e->maint_until_ms = until;
		out_event(out, ELECTOR_EV_MAINT_START, e->epoch, ELECTOR_NONE,
		    until - now);
		rc = 0;
	}
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
	return rc;
}

void
elector_maint_end(struct elector *e, uint64_t now, struct elector_out *out)
{
	uint64_t epoch0 = e->epoch;
	enum wire_role role0 = e->role;

	now = enter(e, now, out);
	if (e->maint_until_ms != 0)
		maint_stop(e, ELECTOR_MAINT_RESUMED, now, out);
	step(e, now, out);
	leave(e, now, epoch0, role0, out);
}

uint64_t
elector_maint_until(const struct elector *e)
{
	return e->maint_until_ms;
}
